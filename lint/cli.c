/*
 * cli.c - `ecsboot lint [flags] FILE...`: exit 0 when no finding reaches
 * --fail-on, 1 when one does, 2 when an input cannot be read as a task
 * definition (or a flag is wrong).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/fileio.h"
#include "ecsb/flags.h"
#include "lnt/lint.h"

#define MAX_INPUT (16u << 20)

static const char epilog[] =
    "FILE is a task definition as `aws ecs describe-task-definition` prints "
    "it,\nas `register-task-definition --cli-input-json` takes it, or "
    "Terraform's\ncontainer_definitions array. Rules: docs/lint.md.\n"
    "Exit codes: 0 no finding at or above --fail-on, 1 some, 2 unreadable "
    "input\nor bad flags.";

int lnt_cli_main(int argc, char **argv) {
  const char *format = "text", *fail_on = "error", *timings = NULL;
  ecsb_flag flags[] = {
      {"format", NULL, ECSB_FLAG_STRING, &format, 0, 0, "FMT",
       "text (default), json or sarif (SARIF 2.1.0)", NULL},
      {"fail-on", NULL, ECSB_FLAG_STRING, &fail_on, 0, 0, "SEVERITY",
       "exit 1 on a finding at or above: error (default), warning, info, or "
       "none",
       NULL},
      {"timings", NULL, ECSB_FLAG_STRING, &timings, 0, 0, "REPORT",
       "a run's event log or JSON report: check startPeriods against the "
       "measured time to HEALTHY",
       NULL},
  };
  ecsb_flagset fs = {.command = "ecsboot lint",
                     .args = "FILE...",
                     .summary = "Finds startup-ordering mistakes in ECS task "
                                "definitions.",
                     .flags = flags,
                     .n_flags = sizeof flags / sizeof flags[0],
                     .epilog = epilog};
  char **pos = calloc((size_t)argc + 1, sizeof *pos);
  lnt_result **rs = calloc((size_t)argc + 1, sizeof *rs);
  size_t n_pos = 0, n_rs = 0, n_t = 0;
  lnt_timing *tm = NULL;
  ecsb_err err = {0};
  int code = 2;
  if (!pos || !rs)
    goto out;
  int rc = ecsb_flags_parse(&fs, argc - 1, argv + 1, pos, (size_t)argc + 1,
                            &n_pos, &err);
  if (rc == ECSB_FLAGS_HELP) {
    ecsb_flags_usage(&fs, stdout);
    code = 0;
    goto out;
  }
  lnt_format fmt = LNT_TEXT;
  lnt_severity sev = LNT_ERROR;
  bool never = !strcmp(fail_on, "none");
  if (!rc && strcmp(format, "text")) {
    if (!strcmp(format, "json"))
      fmt = LNT_JSON;
    else if (!strcmp(format, "sarif"))
      fmt = LNT_SARIF;
    else
      rc = ecsb_err_set(&err, ECSB_EINVAL,
                        "--format: expected text, json or sarif, got \"%s\"",
                        format);
  }
  if (!rc && !never && lnt_severity_parse(fail_on, &sev))
    rc = ecsb_err_set(&err, ECSB_EINVAL,
                      "--fail-on: expected error, warning, info or none, got "
                      "\"%s\"",
                      fail_on);
  if (!rc && n_pos == 0)
    rc = ecsb_err_set(&err, ECSB_EINVAL, "give at least one FILE");
  if (!rc && timings && (rc = lnt_timings_load(timings, &tm, &n_t, &err)))
    ecsb_err_prefix(&err, "--timings");
  if (rc) {
    fprintf(stderr, "ecsboot lint: %s\n", err.msg);
    goto out;
  }
  lnt_opts o = {.timings = tm, .n_timings = n_t};
  for (size_t i = 0; i < n_pos; i++) {
    char *text = NULL;
    size_t len = 0;
    rc = ecsb_read_file(pos[i], MAX_INPUT, &text, &len, &err);
    if (!rc)
      rc = lnt_lint(text, len, pos[i], &o, &rs[n_rs], &err);
    free(text);
    if (rc) {
      fprintf(stderr, "ecsboot lint: %s\n", err.msg);
      goto out;
    }
    n_rs++;
  }
  char *s = lnt_render((const lnt_result *const *)rs, n_rs, fmt);
  if (!s) {
    fprintf(stderr, "ecsboot lint: out of memory\n");
    goto out;
  }
  fputs(s, stdout);
  free(s);
  code = 0;
  for (size_t i = 0; i < n_rs && !never; i++)
    if (lnt_count_at(rs[i], sev) > 0)
      code = 1;
out:
  for (size_t i = 0; rs && i < n_rs; i++)
    lnt_result_free(rs[i]);
  free(rs);
  free(pos);
  lnt_timings_free(tm, n_t);
  return code;
}
