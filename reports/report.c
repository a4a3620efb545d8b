/*
 * report.c - glue between the log, the model, the verdicts and the
 * writers: what the runner calls at the end of a run and what `ecsboot
 * report` calls for a saved log. It chooses file names and writes every
 * output through ecsb_atomic_write; the formats themselves live in their
 * own modules.
 */
#include "rpt/report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ecsb/fileio.h"
#include "ecsb/json.h"
#include "rpt/html.h"
#include "rpt/json_report.h"
#include "rpt/junit.h"
#include "rpt/milestones.h"
#include "rpt/strbuf.h"
#include "rpt/svg.h"
#include "rpt/term.h"

static const struct {
  const char *name;
  unsigned bit;
} formats[] = {{"term", RPT_FMT_TERM},   {"json", RPT_FMT_JSON},
               {"junit", RPT_FMT_JUNIT}, {"svg", RPT_FMT_SVG},
               {"html", RPT_FMT_HTML},   {"all", RPT_FMT_ALL}};

int rpt_formats_parse(const char *s, unsigned *out, ecsb_err *err) {
  *out = 0;
  const char *p = s;
  while (p && *p) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    unsigned bit = 0;
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
      if (strlen(formats[i].name) == len &&
          strncmp(formats[i].name, p, len) == 0)
        bit = formats[i].bit;
    if (!bit)
      return ecsb_err_set(err, ECSB_EINVAL,
                          "--format: unknown format \"%.*s\" (expected term, "
                          "json, junit, svg, html or all, or a comma list)",
                          (int)len, p);
    *out |= bit;
    p = comma ? comma + 1 : NULL;
  }
  if (!*out)
    return ecsb_err_set(err, ECSB_EINVAL, "--format: empty");
  return 0;
}

/* A block that does not parse is itself a failed expectation, so a saved
 * log with a broken expect still renders every measurement. */
static int parse_failure_verdict(rpt_run *r, const ecsb_err *perr,
                                 ecsb_err *err) {
  r->verdicts = calloc(1, sizeof *r->verdicts);
  if (!r->verdicts)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  rpt_verdict *v = &r->verdicts[0];
  r->n_verdicts = 1;
  v->name = strdup("expectations");
  v->path = strdup("$.expect");
  v->kind = strdup("parse");
  v->result = RPT_FAIL;
  v->message = strdup(perr->msg);
  v->decided_at = 0;
  r->expect_error = strdup(perr->msg);
  if (!v->name || !v->path || !v->kind || !v->message || !r->expect_error)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  return 0;
}

/* Re-reporting a log whose run was interrupted: what is still open will
 * never be decided, and the reader should know why. */
static int note_incomplete(rpt_run *r, ecsb_err *err) {
  for (size_t i = 0; i < r->n_verdicts; i++) {
    rpt_verdict *v = &r->verdicts[i];
    if (v->result != RPT_UNDECIDED)
      continue;
    ecsb_buf b;
    ecsb_buf_init(&b);
    ecsb_buf_printf(&b, "%s (the log is incomplete: the run was interrupted)",
                    v->message ? v->message : "undecided");
    char *m = ecsb_buf_take(&b);
    if (!m)
      return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
    free(v->message);
    v->message = m;
  }
  return 0;
}

int rpt_report_from_log(const rpt_log *log, const char *log_path,
                        const rpt_eval_opts *opts, rpt_run **out,
                        ecsb_err *err) {
  rpt_run *run = NULL;
  size_t *ms_event = NULL;
  rpt_expect *x = NULL;
  *out = NULL;
  int rc = rpt_milestones_compute_idx(log, log_path, &run, &ms_event, err);
  if (rc)
    return rc;
  const cJSON *expect =
      log->run_start
          ? cJSON_GetObjectItemCaseSensitive(log->run_start, "expect")
          : NULL;
  ecsb_err perr = {0};
  if (rpt_expect_parse(expect, "$.expect", &x, &perr) != 0) {
    if (perr.code == ECSB_ENOMEM) {
      rc = ecsb_err_set(err, ECSB_ENOMEM, "%s", perr.msg);
      goto out;
    }
    rc = parse_failure_verdict(run, &perr, err);
    goto out;
  }
  rc = rpt_expect_eval_run(x, log, run, ms_event, opts, &run->verdicts,
                           &run->n_verdicts, err);
  if (!rc && !log->complete && !(opts && opts->final))
    rc = note_incomplete(run, err);
out:
  rpt_expect_free(x);
  free(ms_event);
  if (rc) {
    rpt_run_free(run);
    return rc;
  }
  *out = run;
  return 0;
}

void rpt_runs_free(rpt_run **runs, size_t n) {
  for (size_t i = 0; runs && i < n; i++)
    rpt_run_free(runs[i]);
  free(runs);
}

int rpt_report_load(const char *path, rpt_run ***runs, size_t *n,
                    ecsb_err *err) {
  char *buf = NULL;
  size_t len = 0;
  int rc = ecsb_read_file(path, RPT_MAX_INPUT_BYTES, &buf, &len, err);
  if (rc)
    return rc;
  /* A report is one JSON document; a log is one object per line, which
   * does not parse as a single document (unless it has one line, and then
   * it has no "schema"). */
  cJSON *doc = cJSON_ParseWithLength(buf, len);
  if (doc && rpt_json_is_report(doc)) {
    free(buf);
    rc = rpt_json_load(doc, path, runs, n, err);
    cJSON_Delete(doc);
    return rc;
  }
  cJSON_Delete(doc);
  rpt_log *log = NULL;
  rc = rpt_log_parse(buf, len, path, &log, err);
  free(buf);
  if (rc)
    return rc;
  rpt_run *r = NULL;
  rc = rpt_report_from_log(log, path, NULL, &r, err);
  rpt_log_free(log);
  if (rc)
    return rc;
  rpt_run **nr = realloc(*runs, (*n + 1) * sizeof *nr);
  if (!nr) {
    rpt_run_free(r);
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  }
  nr[(*n)++] = r;
  *runs = nr;
  return 0;
}

int rpt_report_render(rpt_run *const *runs, size_t n, unsigned format,
                      bool color, char **out, ecsb_err *err) {
  ecsb_buf b;
  ecsb_buf_init(&b);
  *out = NULL;
  const char *what = "report";
  switch (format) {
  case RPT_FMT_TERM: {
    rpt_term_opts o = {.color = color};
    rpt_term_render(runs, n, &o, &b);
    what = "terminal report";
    break;
  }
  case RPT_FMT_JSON: {
    char *s = rpt_json_render(runs, n);
    if (!s)
      return ecsb_err_set(err, ECSB_ENOMEM, "out of memory building JSON");
    *out = s;
    return 0;
  }
  case RPT_FMT_JUNIT:
    rpt_junit_render(runs, n, &b);
    what = "JUnit XML";
    break;
  case RPT_FMT_SVG:
    if (n == 0)
      return ecsb_err_set(err, ECSB_EINVAL, "no run to draw");
    rpt_svg_render(runs[0], &b);
    what = "SVG timeline";
    break;
  case RPT_FMT_HTML:
    rpt_html_render(runs, n, &b);
    what = "HTML report";
    break;
  default:
    return ecsb_err_set(err, ECSB_EINVAL, "render: one format at a time");
  }
  int rc = ecsb_buf_check(&b, what, err);
  if (rc) {
    ecsb_buf_free(&b);
    return rc;
  }
  *out = ecsb_buf_take(&b);
  return *out ? 0 : ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
}

static int write_text(const char *dir, const char *file, const char *text,
                      ecsb_err *err) {
  char path[4096];
  if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path)
    return ecsb_err_set(err, ECSB_EINVAL, "path too long: %s/%s", dir, file);
  return ecsb_atomic_write(path, text, strlen(text), 0644, err);
}

/* Scenario names are [a-z0-9._-]+ by the scenario schema, but a log may
 * come from anywhere: anything else becomes '_'. */
static void safe_name(const char *s, char *out, size_t cap) {
  size_t i = 0;
  for (; s && *s && i + 1 < cap; s++, i++) {
    char c = *s;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
    out[i] = ok && !(i == 0 && c == '.') ? c : '_';
  }
  out[i] = '\0';
}

int rpt_report_write_dir(rpt_run *const *runs, size_t n, const char *dir,
                         unsigned fmts, ecsb_err *err) {
  int rc = ecsb_mkdirs(dir, err);
  if (rc)
    return rc;
  static const struct {
    unsigned bit;
    const char *file;
  } files[] = {{RPT_FMT_TERM, "summary.txt"},
               {RPT_FMT_JSON, "report.json"},
               {RPT_FMT_JUNIT, "junit.xml"},
               {RPT_FMT_HTML, "report.html"}};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    if (!(fmts & files[i].bit))
      continue;
    char *text = NULL;
    if ((rc = rpt_report_render(runs, n, files[i].bit, false, &text, err)))
      return rc;
    rc = write_text(dir, files[i].file, text, err);
    free(text);
    if (rc)
      return rc;
  }
  for (size_t i = 0; (fmts & RPT_FMT_SVG) && i < n; i++) {
    char *text = NULL;
    if ((rc = rpt_report_render(&runs[i], 1, RPT_FMT_SVG, false, &text, err)))
      return rc;
    char file[300] = "timeline.svg";
    if (n > 1) {
      char sn[200];
      safe_name(runs[i]->scenario, sn, sizeof sn);
      snprintf(file, sizeof file, "timeline-%s.svg", sn);
    }
    rc = write_text(dir, file, text, err);
    free(text);
    if (rc)
      return rc;
  }
  return 0;
}
