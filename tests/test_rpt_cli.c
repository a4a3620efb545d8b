/* test_rpt_cli.c - `ecsboot report` through rpt_cli_run, the entry point
 * cli/main.c wires: the terminal report on stdout, one format to stdout,
 * all formats into a folder, exit codes (0 pass, 1 an expectation failed,
 * 2 usage or input errors naming the file and line), --help. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rpt/cli.h"
#include "rpt_testutil.h"

static void test_terminal_report_and_exit_codes(void **s) {
  (void)s;
  char *out = NULL, *err = NULL;
  assert_int_equal(
      rt_cli(&out, &err, "report", RT_EVENTS "seed-ok.jsonl", NULL), 0);
  rt_golden("seed-ok.txt", out); /* not a terminal: no colour */
  assert_string_equal(err, "");
  free(out);
  free(err);
  assert_int_equal(
      rt_cli(&out, NULL, "report", RT_EVENTS "proxy-flap.jsonl", NULL), 1);
  assert_non_null(strstr(out, "FAIL  T4 within 1m"));
  free(out);
}

static void test_one_format_to_stdout(void **s) {
  (void)s;
  char *out = NULL;
  assert_int_equal(rt_cli(&out, NULL, "report", "--format=junit",
                          RT_EVENTS "fleet-5.jsonl", NULL),
                   1);
  rt_golden("fleet-5.xml", out);
  free(out);
  assert_int_equal(rt_cli(&out, NULL, "report", RT_EVENTS "seed-ok.jsonl",
                          "--format", "svg", NULL),
                   0);
  rt_golden("seed-ok.svg", out);
  free(out);
}

static void test_all_formats_into_a_folder(void **s) {
  (void)s;
  char *d = rt_tmpdir();
  char sub[512];
  snprintf(sub, sizeof sub, "%s/reports/out/seed-ok", d);
  char *out = NULL, *err = NULL;
  assert_int_equal(rt_cli(&out, &err, "report", RT_EVENTS "seed-ok.jsonl",
                          "--out", sub, NULL),
                   0);
  static const char *const files[] = {"summary.txt", "report.json", "junit.xml",
                                      "timeline.svg", "report.html"};
  for (size_t i = 0; i < 5; i++) {
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", sub, files[i]);
    struct stat st;
    if (stat(p, &st) != 0 || st.st_size == 0)
      fail_msg("%s missing", p);
  }
  char p[1024];
  snprintf(p, sizeof p, "%s/summary.txt", sub);
  char *summary = rt_slurp(p, NULL);
  assert_string_equal(summary, out);
  assert_non_null(strstr(err, "1 run written to"));
  free(summary);
  free(out);
  free(err);
  /* Only some formats. */
  snprintf(sub, sizeof sub, "%s/some", d);
  assert_int_equal(rt_cli(&out, NULL, "report", RT_EVENTS "seed-ok.jsonl",
                          "--out", sub, "--format", "json,svg", NULL),
                   0);
  assert_string_equal(out, ""); /* term was not asked for */
  free(out);
  snprintf(p, sizeof p, "%s/junit.xml", sub);
  struct stat st;
  assert_int_not_equal(stat(p, &st), 0);
  snprintf(p, sizeof p, "%s/timeline.svg", sub);
  assert_int_equal(stat(p, &st), 0);
  rt_rmtree(d);
  free(d);
}

static void expect_usage_error(const char *want, const char *a1, const char *a2,
                               const char *a3) {
  char *err = NULL, *out = NULL;
  int code = rt_cli(&out, &err, "report", a1, a2, a3, NULL);
  if (code != 2 || !strstr(err, want))
    fail_msg("exit %d, stderr \"%s\" lacks \"%s\"", code, err, want);
  free(err);
  free(out);
}

static void test_usage_and_input_errors(void **s) {
  (void)s;
  char *d = rt_tmpdir();
  char bad[512], empty[512];
  snprintf(bad, sizeof bad, "%s/bad.jsonl", d);
  snprintf(empty, sizeof empty, "%s/empty.jsonl", d);
  rt_write(bad, "{\"t_us\":0,\"kind\":\"run.start\"}\n"
                "{\"t_us\":1,\"kind\":\"task.status\",\"task\":\"a\"}\n"
                "{\"t_us\":2,\"kind\":oops}\n"
                "{\"t_us\":3,\"kind\":\"run.end\"}\n");
  rt_write(empty, "");
  expect_usage_error("give --out DIR", RT_EVENTS "seed-ok.jsonl", "--format",
                     "all");
  expect_usage_error("unknown format \"pdf\"", RT_EVENTS "seed-ok.jsonl",
                     "--format", "pdf");
  expect_usage_error("tests/data/events/nope.jsonl", RT_EVENTS "nope.jsonl",
                     NULL, NULL);
  expect_usage_error("bad.jsonl: line 3", bad, NULL, NULL);
  expect_usage_error("not an ecsboot event log", empty, NULL, NULL);
  expect_usage_error("unknown flag -colour", "--colour",
                     RT_EVENTS "seed-ok.jsonl", NULL);
  expect_usage_error("give at least one event log", NULL, NULL, NULL);
  rt_rmtree(d);
  free(d);
}

static void test_help(void **s) {
  (void)s;
  char *out = NULL;
  assert_int_equal(rt_cli(&out, NULL, "report", "--help", NULL), 0);
  assert_non_null(strstr(out, "Usage: ecsboot report [flags] LOG|REPORT..."));
  assert_non_null(strstr(out, "Exit codes: 0 every expectation passed"));
  free(out);
  assert_int_equal(rt_cli(&out, NULL, "report", "compare", "-h", NULL), 0);
  assert_non_null(strstr(out, "--threshold PCT"));
  free(out);
  assert_int_equal(rt_cli(&out, NULL, "report", "merge", "--help", NULL), 0);
  assert_non_null(strstr(out, "ecsboot report merge"));
  free(out);
}

int main(void) {
  rt_chdir_source();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_terminal_report_and_exit_codes),
      cmocka_unit_test(test_one_format_to_stdout),
      cmocka_unit_test(test_all_formats_into_a_folder),
      cmocka_unit_test(test_usage_and_input_errors),
      cmocka_unit_test(test_help),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
