/* test_rpt_compare.c - `ecsboot report compare BASE NEW`: a synthetic
 * regression (every time 30% longer) exits 1 and marks the slower
 * figures; a change within the threshold and a speed-up exit 0; a
 * milestone reached by fewer tasks is a regression; a JSON report works
 * as BASE like its log; usage and input errors exit 2; host lag and the
 * spread of repeated runs are noise. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpt/compare.h"
#include "rpt/strbuf.h"
#include "rpt_testutil.h"

#define BASE RT_EVENTS "fleet-5.jsonl"

static char *dir;

static int setup(void **s) {
  (void)s;
  dir = rt_tmpdir();
  return 0;
}

static int teardown(void **s) {
  (void)s;
  rt_rmtree(dir);
  free(dir);
  return 0;
}

/* The base log with every time multiplied by factor, (when drop_task is
 * set) that task's service.passing removed, and (when lag_us > 0) a
 * host.lag event of that much, cpu_us of it CPU work, after each task's
 * first event. */
static char *scaled_lag(const char *name, double factor, const char *drop_task,
                        int64_t lag_us, int64_t cpu_us) {
  char *text = rt_slurp(BASE, NULL);
  assert_non_null(text);
  ecsb_buf out;
  ecsb_buf_init(&out);
  for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    cJSON *o = cJSON_Parse(line);
    assert_non_null(o);
    cJSON *t = cJSON_GetObjectItem(o, "t_us");
    cJSON *task = cJSON_GetObjectItem(o, "task");
    const char *kind = cJSON_GetObjectItem(o, "kind")->valuestring;
    if (drop_task && task && strcmp(task->valuestring, drop_task) == 0 &&
        strcmp(kind, "service.passing") == 0) {
      cJSON_Delete(o);
      continue;
    }
    cJSON_SetNumberValue(t, (double)(int64_t)(t->valuedouble * factor));
    char *l = cJSON_PrintUnformatted(o);
    ecsb_buf_printf(&out, "%s\n", l);
    free(l);
    if (lag_us > 0 && task && strcmp(kind, "task.containers") == 0)
      ecsb_buf_printf(&out,
                      "{\"t_us\":%lld,\"kind\":\"host.lag\",\"task\":\"%s\","
                      "\"detail\":{\"lag_us\":%lld,\"cpu_us\":%lld}}\n",
                      (long long)t->valuedouble, task->valuestring,
                      (long long)lag_us, (long long)cpu_us);
    cJSON_Delete(o);
  }
  free(text);
  char *path = malloc(strlen(dir) + strlen(name) + 2);
  sprintf(path, "%s/%s", dir, name);
  rt_write(path, out.s);
  ecsb_buf_free(&out);
  return path;
}

static char *scaled(const char *name, double factor, const char *drop_task) {
  return scaled_lag(name, factor, drop_task, 0, 0);
}

static const char *line_of(const char *out, const char *metric) {
  char key[64];
  snprintf(key, sizeof key, "\n  %s ", metric);
  const char *p = strstr(out, key);
  if (!p)
    fail_msg("no row for %s in:\n%s", metric, out);
  return p + 1;
}

static bool row_has(const char *out, const char *metric, const char *what) {
  const char *l = line_of(out, metric);
  const char *e = strchr(l, '\n');
  char row[512];
  snprintf(row, sizeof row, "%.*s", (int)(e ? e - l : (long)strlen(l)), l);
  return strstr(row, what) != NULL;
}

static void test_synthetic_regression_exits_1(void **s) {
  (void)s;
  char *slow = scaled("slow.jsonl", 1.3, NULL);
  char *out = NULL, *err = NULL;
  int code = rt_cli(&out, &err, "report", "compare", BASE, slow, NULL);
  assert_int_equal(code, 1);
  assert_true(row_has(out, "T4", "REGRESSION"));
  assert_true(row_has(out, "T4", "+30.0%"));
  assert_true(row_has(out, "T1", "REGRESSION"));
  assert_true(row_has(out, "sidecar-proxy ready", "REGRESSION"));
  /* Containers that are ready as they start stay at zero. */
  assert_false(row_has(out, "web ready", "REGRESSION"));
  assert_non_null(strstr(out, "regressions beyond 10%"));
  /* The whole table, for its shape. */
  char *body = strstr(out, "\nscenario");
  assert_non_null(body);
  rt_golden("compare-regression.txt", body + 1);
  free(out);
  free(err);
  free(slow);
}

static void test_change_within_threshold_is_not_a_regression(void **s) {
  (void)s;
  char *same = scaled("same.jsonl", 1.05, NULL);
  char *out = NULL;
  assert_int_equal(rt_cli(&out, NULL, "report", "compare", BASE, same, NULL),
                   0);
  assert_null(strstr(out, "REGRESSION"));
  assert_true(row_has(out, "T4", "+5.0%"));
  assert_non_null(strstr(out, "no regression beyond 10%"));
  free(out);
  /* The same change with a tighter threshold is one. */
  assert_int_equal(rt_cli(&out, NULL, "report", "compare", "--threshold", "2%",
                          BASE, same, NULL),
                   1);
  assert_true(row_has(out, "T4", "REGRESSION"));
  free(out);
  /* ...unless the absolute floor says it is noise. */
  assert_int_equal(rt_cli(&out, NULL, "report", "compare", "--threshold", "2%",
                          "--min-delta", "1s", BASE, same, NULL),
                   0);
  free(out);
  char *fast = scaled("fast.jsonl", 0.7, NULL);
  assert_int_equal(rt_cli(&out, NULL, "report", "compare", BASE, fast, NULL),
                   0);
  assert_true(row_has(out, "T4", "faster"));
  assert_true(row_has(out, "T4", "-30.0%"));
  free(out);
  free(fast);
  free(same);
}

/* A difference smaller than the host-lag band the tasks carried is
 * noise: the same 5% slower run is a regression at a 2% threshold, and
 * not when NEW's tasks waited for a CPU long enough to explain it. The
 * band is twice the waits but the CPU work only once (rpt_lag_band). */
static void test_host_lag_is_noise(void **s) {
  (void)s;
  char *same = scaled("same2.jsonl", 1.05, NULL);
  char *lagged = scaled_lag("lagged.jsonl", 1.05, NULL, 200000, 0);
  char *out = NULL;
  assert_int_equal(rt_cli(&out, NULL, "report", "compare", "--threshold", "2%",
                          BASE, same, NULL),
                   1);
  free(out);
  assert_int_equal(rt_cli(&out, NULL, "report", "compare", "--threshold", "2%",
                          BASE, lagged, NULL),
                   0);
  assert_false(row_has(out, "T4", "REGRESSION"));
  assert_true(row_has(out, "T4", "400.0ms")); /* the noise columns */
  free(out);
  free(lagged);
  lagged = scaled_lag("lagged-cpu.jsonl", 1.05, NULL, 200000, 150000);
  assert_int_equal(rt_cli(&out, NULL, "report", "compare", "--threshold", "2%",
                          BASE, lagged, NULL),
                   0);
  assert_true(row_has(out, "T4", "250.0ms"));
  assert_false(row_has(out, "T4", "400.0ms"));
  free(out);
  free(lagged);
  free(same);
}

/* Repeated runs of one scenario in a report are folded into their median,
 * and their spread is noise: BASE is three runs (x1.00, x1.04, x1.08), so
 * NEW x1.10 is within the spread of the median (x1.04) and x1.30 is not. */
static void test_repeated_runs_fold_into_median_and_spread(void **s) {
  (void)s;
  char *r1 = scaled("r1.jsonl", 1.0, NULL);
  char *r2 = scaled("r2.jsonl", 1.04, NULL);
  char *r3 = scaled("r3.jsonl", 1.08, NULL);
  char *rep = malloc(strlen(dir) + 16);
  sprintf(rep, "%s/rep", dir);
  char *out = NULL, *err = NULL;
  /* (its exit code is the runs' verdicts) */
  int code = rt_cli(&out, &err, "report", "--format", "json", "--out", rep, r1,
                    r2, r3, NULL);
  if (code != 0 && code != 1)
    fail_msg("report exited %d: %s", code, err ? err : "");
  free(out);
  free(err);
  char *json = malloc(strlen(rep) + 16);
  sprintf(json, "%s/report.json", rep);
  char *near = scaled("near.jsonl", 1.10, NULL);
  char *slow = scaled("slow2.jsonl", 1.30, NULL);
  if (rt_cli(&out, NULL, "report", "compare", "--threshold", "2%", json, near,
             NULL) != 0)
    fail_msg("a change within the spread is a regression:\n%s", out);
  free(out);
  assert_int_equal(rt_cli(&out, NULL, "report", "compare", "--threshold", "2%",
                          json, slow, NULL),
                   1);
  assert_true(row_has(out, "T4", "REGRESSION"));
  free(out);
  free(slow);
  free(near);
  free(json);
  free(rep);
  free(r3);
  free(r2);
  free(r1);
}

static void test_fewer_tasks_reaching_t4_is_a_regression(void **s) {
  (void)s;
  char *lost = scaled("lost.jsonl", 1.0, "app-2");
  char *out = NULL;
  assert_int_equal(rt_cli(&out, NULL, "report", "compare", BASE, lost, NULL),
                   1);
  assert_true(row_has(out, "T4", "REGRESSION"));
  assert_true(row_has(out, "T4", "reached by a smaller share of the tasks"));
  assert_false(row_has(out, "T3", "REGRESSION"));
  free(out);
  free(lost);
}

static void test_json_report_compares_like_its_log(void **s) {
  (void)s;
  char *json = NULL;
  assert_int_equal(
      rt_cli(&json, NULL, "report", "--format", "json", BASE, NULL), 1);
  char path[512];
  snprintf(path, sizeof path, "%s/base.json", dir);
  rt_write(path, json);
  free(json);
  char *slow = scaled("slow2.jsonl", 1.3, NULL);
  char *a = NULL, *b = NULL;
  assert_int_equal(rt_cli(&a, NULL, "report", "compare", BASE, slow, NULL), 1);
  assert_int_equal(rt_cli(&b, NULL, "report", "compare", path, slow, NULL), 1);
  /* Identical tables; only the BASE name in the first line differs. */
  assert_string_equal(strchr(a, '\n'), strchr(b, '\n'));
  free(a);
  free(b);
  free(slow);
}

static void test_compare_usage_and_input_errors(void **s) {
  (void)s;
  char *err = NULL;
  assert_int_equal(rt_cli(NULL, &err, "report", "compare", BASE, NULL), 2);
  assert_non_null(strstr(err, "give BASE and NEW"));
  free(err);
  assert_int_equal(rt_cli(NULL, &err, "report", "compare", BASE,
                          "tests/data/events/missing.jsonl", NULL),
                   2);
  assert_non_null(strstr(err, "tests/data/events/missing.jsonl"));
  free(err);
  assert_int_equal(rt_cli(NULL, &err, "report", "compare", "--threshold", "ten",
                          BASE, BASE, NULL),
                   2);
  assert_non_null(strstr(err, "--threshold: \"ten\" is not a percentage"));
  free(err);
  double t = 0;
  ecsb_err e = {0};
  assert_int_equal(rpt_compare_threshold_parse("12.5%", &t, &e), 0);
  assert_true(t > 0.1249 && t < 0.1251);
  assert_int_equal(rpt_compare_threshold_parse("7", &t, &e), 0);
  assert_true(t > 0.0699 && t < 0.0701);
  assert_int_equal(rpt_compare_threshold_parse("-1%", &t, &e), ECSB_EINVAL);
  assert_int_equal(rpt_compare_threshold_parse("5%%", &t, &e), ECSB_EINVAL);
}

int main(void) {
  rt_chdir_source();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_synthetic_regression_exits_1),
      cmocka_unit_test(test_change_within_threshold_is_not_a_regression),
      cmocka_unit_test(test_host_lag_is_noise),
      cmocka_unit_test(test_repeated_runs_fold_into_median_and_spread),
      cmocka_unit_test(test_fewer_tasks_reaching_t4_is_a_regression),
      cmocka_unit_test(test_json_report_compares_like_its_log),
      cmocka_unit_test(test_compare_usage_and_input_errors),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
