/* test_rpt_merge.c - `ecsboot report merge`: two shards' logs become one
 * JSON report, one JUnit file (a testsuite per scenario) and one HTML
 * page, the same whatever the input order and whether the shards are
 * given as logs or as JSON reports; duplicates are kept and reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rpt/merge.h"
#include "rpt/report.h"
#include "rpt_testutil.h"

#define SHARD_A RT_EVENTS "seed-ok.jsonl"
#define SHARD_B RT_EVENTS "proxy-flap.jsonl"

static char *file_in(const char *d, const char *name) {
  char p[1024];
  snprintf(p, sizeof p, "%s/%s", d, name);
  char *t = rt_slurp(p, NULL);
  if (!t)
    fail_msg("%s was not written", p);
  return t;
}

static char *merge_into(const char *d, const char *a, const char *b, int want) {
  char *out = NULL, *err = NULL;
  int code = rt_cli(&out, &err, "report", "merge", a, b, "--out", d, NULL);
  if (code != want)
    fail_msg("merge exited %d, want %d: %s", code, want, err);
  free(err);
  return out;
}

static void test_two_shards_make_one_report_and_one_junit(void **s) {
  (void)s;
  char *d = rt_tmpdir();
  /* proxy-flap fails two expectations: the merge exits 1 for CI. */
  char *out = merge_into(d, SHARD_A, SHARD_B, 1);
  char *junit = file_in(d, "junit.xml");
  char *json = file_in(d, "report.json");
  free(file_in(d, "report.html"));
  free(file_in(d, "timeline-seed-ok.svg"));
  free(file_in(d, "timeline-proxy-flap.svg"));
  char *summary = file_in(d, "summary.txt");
  rt_golden("merged.xml", junit);
  rt_golden("merged.txt", summary);
  /* stdout has the same terminal report. */
  assert_string_equal(out, summary);
  cJSON *doc = cJSON_Parse(json);
  cJSON *runs = cJSON_GetObjectItem(doc, "runs");
  assert_int_equal(cJSON_GetArraySize(runs), 2);
  /* Sorted by scenario. */
  assert_string_equal(
      cJSON_GetObjectItem(cJSON_GetArrayItem(runs, 0), "scenario")->valuestring,
      "proxy-flap");
  assert_string_equal(
      cJSON_GetObjectItem(cJSON_GetArrayItem(runs, 1), "scenario")->valuestring,
      "seed-ok");
  cJSON_Delete(doc);
  assert_non_null(strstr(summary, "2 runs: 1 passed, 1 failed (proxy-flap)"));

  /* Shard order does not matter. */
  char *d2 = rt_tmpdir();
  free(merge_into(d2, SHARD_B, SHARD_A, 1));
  char *junit2 = file_in(d2, "junit.xml"), *json2 = file_in(d2, "report.json");
  assert_string_equal(junit, junit2);
  assert_string_equal(json, json2);
  free(junit2);
  free(json2);
  rt_rmtree(d2);
  free(d2);
  free(out);
  free(junit);
  free(json);
  free(summary);
  rt_rmtree(d);
  free(d);
}

static void test_json_reports_merge_like_their_logs(void **s) {
  (void)s;
  char *d = rt_tmpdir();
  char ra[512], rb[512], m1[512], m2[512];
  snprintf(ra, sizeof ra, "%s/a.json", d);
  snprintf(rb, sizeof rb, "%s/b.json", d);
  snprintf(m1, sizeof m1, "%s/from-logs", d);
  snprintf(m2, sizeof m2, "%s/from-reports", d);
  char *j = NULL;
  assert_int_equal(
      rt_cli(&j, NULL, "report", SHARD_A, "--format", "json", NULL), 0);
  rt_write(ra, j);
  free(j);
  assert_int_equal(
      rt_cli(&j, NULL, "report", SHARD_B, "--format", "json", NULL), 1);
  rt_write(rb, j);
  free(j);
  free(merge_into(m1, SHARD_A, SHARD_B, 1));
  free(merge_into(m2, ra, rb, 1));
  char *x1 = file_in(m1, "junit.xml"), *x2 = file_in(m2, "junit.xml");
  assert_string_equal(x1, x2);
  free(x1);
  free(x2);
  x1 = file_in(m1, "report.html");
  x2 = file_in(m2, "report.html");
  assert_string_equal(x1, x2);
  free(x1);
  free(x2);
  /* A log and a report mixed. */
  rpt_run **runs = NULL;
  size_t n = 0, dups = 0;
  ecsb_err err = {0};
  const char *mixed[] = {ra, SHARD_B};
  assert_int_equal(rpt_merge_load(mixed, 2, &runs, &n, &dups, &err), 0);
  assert_int_equal(n, 2);
  assert_int_equal(dups, 0);
  rpt_runs_free(runs, n);
  rt_rmtree(d);
  free(d);
}

static void test_duplicates_are_kept_and_reported(void **s) {
  (void)s;
  char *d = rt_tmpdir();
  char *err = NULL;
  assert_int_equal(
      rt_cli(NULL, &err, "report", "merge", SHARD_A, SHARD_A, "--out", d, NULL),
      0);
  assert_non_null(strstr(err, "1 scenario appears more than once"));
  free(err);
  char *junit = file_in(d, "junit.xml");
  size_t suites = 0;
  for (const char *p = junit; (p = strstr(p, "<testsuite ")); p++)
    suites++;
  assert_int_equal(suites, 2);
  free(junit);
  rt_rmtree(d);
  free(d);
}

static void test_merge_needs_inputs_and_out(void **s) {
  (void)s;
  char *err = NULL;
  assert_int_equal(rt_cli(NULL, &err, "report", "merge", SHARD_A, NULL), 2);
  assert_non_null(strstr(err, "--out DIR is required"));
  free(err);
  assert_int_equal(
      rt_cli(NULL, &err, "report", "merge", "--out", "/tmp/x", NULL), 2);
  assert_non_null(strstr(err, "give at least one"));
  free(err);
  rpt_run **runs = NULL;
  size_t n = 0, dups = 0;
  ecsb_err e = {0};
  assert_int_equal(rpt_merge_load(NULL, 0, &runs, &n, &dups, &e), ECSB_EINVAL);
}

int main(void) {
  rt_chdir_source();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_two_shards_make_one_report_and_one_junit),
      cmocka_unit_test(test_json_reports_merge_like_their_logs),
      cmocka_unit_test(test_duplicates_are_kept_and_reported),
      cmocka_unit_test(test_merge_needs_inputs_and_out),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
