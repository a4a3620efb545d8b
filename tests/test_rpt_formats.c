/* test_rpt_formats.c - every output format against golden files for the
 * hand-made logs (a passing single task with a stop, a failing one with
 * fault markers, a fleet with one slow task, one with an image pull and a
 * restart), the JSON report round trip
 * (a loaded report renders every format byte for byte like its log),
 * colour rules, the progress line, and the files a report folder gets.
 * Regenerate goldens with ECSB_UPDATE_GOLDEN=1 and review the diff. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ecsb/buf.h"
#include "rpt/json_report.h"
#include "rpt/milestones.h"
#include "rpt/report.h"
#include "rpt/term.h"
#include "rpt_testutil.h"

static const char *const logs[] = {"seed-ok", "proxy-flap", "fleet-5",
                                   "pull-restart"};
static const struct {
  unsigned fmt;
  const char *ext;
} fmts[] = {{RPT_FMT_TERM, "txt"},
            {RPT_FMT_JSON, "json"},
            {RPT_FMT_JUNIT, "xml"},
            {RPT_FMT_SVG, "svg"},
            {RPT_FMT_HTML, "html"}};

static char *render(rpt_run *r, unsigned fmt, bool color) {
  char *text = NULL;
  ecsb_err err = {0};
  rpt_run *runs[1] = {r};
  int rc = rpt_report_render(runs, 1, fmt, color, &text, &err);
  if (rc)
    fail_msg("%s", err.msg);
  return text;
}

static void test_every_format_matches_its_golden_file(void **s) {
  (void)s;
  for (size_t i = 0; i < sizeof logs / sizeof logs[0]; i++) {
    char path[256];
    snprintf(path, sizeof path, RT_EVENTS "%s.jsonl", logs[i]);
    rpt_run *r = rt_load_one(path);
    for (size_t f = 0; f < sizeof fmts / sizeof fmts[0]; f++) {
      char *text = render(r, fmts[f].fmt, false);
      char golden[128];
      snprintf(golden, sizeof golden, "%s.%s", logs[i], fmts[f].ext);
      rt_golden(golden, text);
      free(text);
    }
    rpt_run_free(r);
  }
}

static void test_json_report_renders_like_its_log(void **s) {
  (void)s;
  char *dir = rt_tmpdir();
  for (size_t i = 0; i < sizeof logs / sizeof logs[0]; i++) {
    char path[256], jpath[512];
    snprintf(path, sizeof path, RT_EVENTS "%s.jsonl", logs[i]);
    rpt_run *from_log = rt_load_one(path);
    char *json = render(from_log, RPT_FMT_JSON, false);
    snprintf(jpath, sizeof jpath, "%s/%s.json", dir, logs[i]);
    rt_write(jpath, json);
    rpt_run *from_json = rt_load_one(jpath);
    for (size_t f = 0; f < sizeof fmts / sizeof fmts[0]; f++) {
      char *a = render(from_log, fmts[f].fmt, false);
      char *b = render(from_json, fmts[f].fmt, false);
      if (strcmp(a, b) != 0)
        fail_msg("%s: %s differs after the JSON round trip", logs[i],
                 fmts[f].ext);
      free(a);
      free(b);
    }
    free(json);
    rpt_run_free(from_log);
    rpt_run_free(from_json);
  }
  rt_rmtree(dir);
  free(dir);
}

/* The runner's last sample of each task (host.lag with "final"), up to
 * which the task's time is judged, survives the JSON report. */
static void test_json_report_keeps_each_tasks_last_sample(void **s) {
  (void)s;
  size_t len = 0;
  char *text = rt_slurp(RT_EVENTS "seed-ok.jsonl", &len);
  assert_non_null(text);
  char *end = strstr(text, "{\"t_us\":2400000,\"kind\":\"run.end\"");
  assert_non_null(end);
  ecsb_buf b;
  ecsb_buf_init(&b);
  ecsb_buf_printf(&b,
                  "%.*s{\"t_us\":2350000,\"kind\":\"host.lag\",\"task\":"
                  "\"app-1\",\"detail\":{\"lag_us\":1000,\"final\":true}}\n%s",
                  (int)(end - text), text, end);
  free(text);
  text = ecsb_buf_take(&b);
  rpt_run *from_log = rt_run_from_text(text);
  char *dir = rt_tmpdir(), jpath[512];
  snprintf(jpath, sizeof jpath, "%s/r.json", dir);
  char *json = render(from_log, RPT_FMT_JSON, false);
  assert_non_null(strstr(json, "\"host_lag_sampled_end_us\""));
  rt_write(jpath, json);
  rpt_run *from_json = rt_load_one(jpath);
  for (size_t i = 0; i < from_log->n_tasks; i++) {
    bool app = strcmp(from_log->tasks[i].name, "app-1") == 0;
    assert_int_equal(from_log->tasks[i].sampled_end, app ? 2350000 : 0);
    assert_int_equal(from_json->tasks[i].sampled_end, app ? 2350000 : 0);
  }
  rt_rmtree(dir);
  free(dir);
  free(json);
  free(text);
  rpt_run_free(from_log);
  rpt_run_free(from_json);
}

static void test_json_report_documents_its_schema(void **s) {
  (void)s;
  rpt_run *r = rt_load_one(RT_EVENTS "proxy-flap.jsonl");
  char *json = render(r, RPT_FMT_JSON, false);
  cJSON *doc = cJSON_Parse(json);
  assert_non_null(doc);
  assert_string_equal(cJSON_GetObjectItem(doc, "schema")->valuestring,
                      "ecsboot-report");
  assert_int_equal(cJSON_GetObjectItem(doc, "version")->valueint, 1);
  cJSON *run = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "runs"), 0);
  assert_string_equal(cJSON_GetObjectItem(run, "scenario")->valuestring,
                      "proxy-flap");
  assert_int_equal(cJSON_GetObjectItem(run, "seed")->valueint, 42);
  cJSON *sum = cJSON_GetObjectItem(run, "summary");
  assert_int_equal(cJSON_GetObjectItem(sum, "failed")->valueint, 2);
  cJSON *t4 = cJSON_GetObjectItem(cJSON_GetObjectItem(run, "milestones"), "T4");
  assert_int_equal(cJSON_GetObjectItem(t4, "p50_us")->valuedouble, 2500000);
  cJSON_Delete(doc);
  free(json);
  rpt_run_free(r);
}

static void test_loading_a_bad_report_names_the_path(void **s) {
  (void)s;
  static const struct {
    const char *doc, *want;
  } cases[] = {
      {"{\"schema\":\"ecsboot-report\",\"version\":9,\"runs\":[]}",
       "$.version: report version 9 is newer"},
      {"{\"schema\":\"ecsboot-report\",\"version\":1}", "runs"},
      {"{\"schema\":\"ecsboot-report\",\"version\":1,\"runs\":[{}]}",
       "$.runs[0].scenario: required"},
      {"{\"schema\":\"ecsboot-report\",\"version\":1,\"runs\":[{\"scenario\":"
       "\"x\",\"tasks\":[{\"name\":\"a\",\"containers\":[{\"name\":\"c\","
       "\"started_us\":\"soon\"}]}]}]}",
       "$.runs[0].tasks[0].containers[0].started_us: expected a number"},
      {"{\"schema\":\"ecsboot-report\",\"version\":1,\"runs\":[{\"scenario\":"
       "\"x\",\"tasks\":[{\"name\":\"a\",\"host_lag_sampled_end_us\":-5}]}]}",
       "$.runs[0].tasks[0].host_lag_sampled_end_us: expected a run time >= 0"},
      {"{\"schema\":\"ecsboot-report\",\"version\":1,\"runs\":[{\"scenario\":"
       "\"x\",\"verdicts\":[{\"name\":\"v\",\"result\":\"maybe\"}]}]}",
       "$.runs[0].verdicts[0].result: \"maybe\" is not pass, fail, "
       "inconclusive or undecided"},
  };
  char *dir = rt_tmpdir();
  char path[512];
  snprintf(path, sizeof path, "%s/r.json", dir);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    rt_write(path, cases[i].doc);
    rpt_run **runs = NULL;
    size_t n = 0;
    ecsb_err err = {0};
    assert_int_not_equal(rpt_report_load(path, &runs, &n, &err), 0);
    rpt_runs_free(runs, n);
    if (!strstr(err.msg, cases[i].want) || !strstr(err.msg, path))
      fail_msg("message \"%s\" lacks \"%s\" or the file", err.msg,
               cases[i].want);
  }
  rt_rmtree(dir);
  free(dir);
}

static void test_terminal_colour_rules(void **s) {
  (void)s;
  assert_true(rpt_term_color_decide(true, NULL));
  assert_true(rpt_term_color_decide(true, ""));
  assert_false(rpt_term_color_decide(true, "1"));
  assert_false(rpt_term_color_decide(false, NULL));
  rpt_run *r = rt_load_one(RT_EVENTS "proxy-flap.jsonl");
  char *plain = render(r, RPT_FMT_TERM, false);
  char *color = render(r, RPT_FMT_TERM, true);
  assert_null(strchr(plain, '\033'));
  assert_non_null(strstr(color, "\033[31mFAIL"));
  assert_non_null(strstr(color, "\033[32mPASS"));
  free(plain);
  free(color);
  rpt_run_free(r);
}

static void test_progress_line(void **s) {
  (void)s;
  size_t counts[RPT_MS_COUNT] = {40, 38, 30, 21, 12};
  char line[256];
  rpt_progress_format(line, sizeof line, 100, counts, 12345678);
  assert_string_equal(line, "12.3s  tasks 40/100  T1 38  T2 30  T3 21  T4 12");
  counts[RPT_S0] = 3;
  rpt_progress_format(line, sizeof line, 100, counts, 500000);
  assert_string_equal(line, "0.5s  tasks 40/100  T1 38  T2 30  T3 21  T4 12"
                            "  S0 3  S1 0  S2 0  S3 0  S4 0");
  /* Not a terminal: nothing is written. */
  FILE *f = tmpfile();
  rpt_progress p;
  rpt_progress_init(&p, f);
  assert_false(p.enabled);
  rpt_progress_update(&p, 100, counts, 1000);
  rpt_progress_end(&p);
  fflush(f);
  assert_int_equal(ftell(f), 0);
  fclose(f);
  /* Enabled (as on a terminal): redrawn in place, erased at the end. */
  f = tmpfile();
  p.f = f;
  p.enabled = true;
  rpt_progress_update(&p, 100, counts, 500000);
  rpt_progress_end(&p);
  fflush(f);
  rewind(f);
  char got[512] = {0};
  assert_true(fread(got, 1, sizeof got - 1, f) > 0);
  assert_int_equal(got[0], '\r');
  assert_non_null(strstr(got, "tasks 40/100"));
  assert_non_null(strstr(got, "\033[K\r\033[K"));
  fclose(f);
}

static bool exists(const char *dir, const char *file) {
  char p[1024];
  snprintf(p, sizeof p, "%s/%s", dir, file);
  struct stat st;
  return stat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

static void test_write_dir_creates_every_file(void **s) {
  (void)s;
  char *dir = rt_tmpdir();
  char sub[512];
  snprintf(sub, sizeof sub, "%s/out/seed", dir);
  rpt_run *runs[2] = {rt_load_one(RT_EVENTS "seed-ok.jsonl"),
                      rt_load_one(RT_EVENTS "fleet-5.jsonl")};
  ecsb_err err = {0};
  assert_int_equal(rpt_report_write_dir(runs, 1, sub, RPT_FMT_ALL, &err), 0);
  assert_true(exists(sub, "summary.txt"));
  assert_true(exists(sub, "report.json"));
  assert_true(exists(sub, "junit.xml"));
  assert_true(exists(sub, "timeline.svg"));
  assert_true(exists(sub, "report.html"));
  snprintf(sub, sizeof sub, "%s/two", dir);
  assert_int_equal(
      rpt_report_write_dir(runs, 2, sub, RPT_FMT_SVG | RPT_FMT_JUNIT, &err), 0);
  assert_true(exists(sub, "timeline-seed-ok.svg"));
  assert_true(exists(sub, "timeline-fleet-5.svg"));
  assert_true(exists(sub, "junit.xml"));
  assert_false(exists(sub, "report.json"));
  /* A file where the folder should be. */
  snprintf(sub, sizeof sub, "%s/two/junit.xml", dir);
  assert_int_not_equal(rpt_report_write_dir(runs, 1, sub, RPT_FMT_JSON, &err),
                       0);
  assert_non_null(strstr(err.msg, "junit.xml"));
  rpt_run_free(runs[0]);
  rpt_run_free(runs[1]);
  rt_rmtree(dir);
  free(dir);
}

static void test_formats_parse(void **s) {
  (void)s;
  unsigned f = 0;
  ecsb_err err = {0};
  assert_int_equal(rpt_formats_parse("json,junit", &f, &err), 0);
  assert_int_equal(f, RPT_FMT_JSON | RPT_FMT_JUNIT);
  assert_int_equal(rpt_formats_parse("all", &f, &err), 0);
  assert_int_equal(f, RPT_FMT_ALL);
  assert_int_equal(rpt_formats_parse("json,pdf", &f, &err), ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "unknown format \"pdf\""));
}

/* The service's stretches in Consul: registered (not passing), passing,
 * critical again, deregistered; the sidecar's registration is not the
 * service's. A run that idles long after its last event has the idle
 * tail cut from the timeline, and the picture says so. */
static void test_consul_band_and_idle_tail(void **s) {
  (void)s;
  rpt_run *r = rt_run_from_text(
      "{\"t_us\":0,\"kind\":\"run.start\",\"detail\":{\"scenario\":"
      "\"idle\",\"time_scale\":0.01},\"v\":1}\n"
      "{\"t_us\":10,\"kind\":\"task.containers\",\"task\":\"t\","
      "\"detail\":{\"family\":\"f\",\"containers\":[{\"name\":\"app\","
      "\"role\":\"app\",\"essential\":true,\"depends_on\":[],"
      "\"health_check\":false}]}}\n"
      "{\"t_us\":20,\"kind\":\"task.status\",\"task\":\"t\","
      "\"detail\":{\"status\":\"PROVISIONING\"}}\n"
      "{\"t_us\":1000,\"kind\":\"container.started\",\"task\":\"t\","
      "\"container\":\"app\",\"detail\":{\"pid\":1}}\n"
      "{\"t_us\":2000,\"kind\":\"consul.register\",\"task\":\"t\","
      "\"detail\":{\"service_id\":\"p\",\"service_kind\":"
      "\"connect-proxy\"}}\n"
      "{\"t_us\":3000,\"kind\":\"consul.register\",\"task\":\"t\","
      "\"detail\":{\"service_id\":\"s\",\"service_kind\":\"\"}}\n"
      "{\"t_us\":3500,\"kind\":\"consul.register\",\"task\":\"t\","
      "\"detail\":{\"service_id\":\"s\",\"service_kind\":\"\"}}\n"
      "{\"t_us\":4000,\"kind\":\"service.passing\",\"task\":\"t\","
      "\"detail\":{\"service\":\"s\",\"instance\":\"s\"}}\n"
      "{\"t_us\":5000,\"kind\":\"service.critical\",\"task\":\"t\","
      "\"detail\":{\"service\":\"s\",\"instance\":\"s\"}}\n"
      "{\"t_us\":6000,\"kind\":\"consul.deregister\",\"task\":\"t\","
      "\"detail\":{\"service_id\":\"s\",\"service_kind\":\"\"}}\n"
      "{\"t_us\":5000000,\"kind\":\"run.end\",\"detail\":"
      "{\"complete\":true,\"reason\":\"deadline\"}}\n");
  const rpt_task *t = &r->tasks[0];
  assert_int_equal(t->n_svc, 3);
  assert_int_equal(t->svc[0].from, 3000);
  assert_int_equal(t->svc[0].to, 4000);
  assert_false(t->svc[0].passing);
  assert_int_equal(t->svc[1].from, 4000);
  assert_int_equal(t->svc[1].to, 5000);
  assert_true(t->svc[1].passing);
  assert_int_equal(t->svc[2].from, 5000);
  assert_int_equal(t->svc[2].to, 6000);
  assert_false(t->svc[2].passing);

  char *svg = render(r, RPT_FMT_SVG, false);
  assert_non_null(strstr(svg, "Consul: the service"));
  assert_non_null(strstr(svg, "passing in Consul"));
  /* Activity ends at 6 ms of a 5 s run: 600 ms to 8m20s of scenario
   * time are not drawn, and the axis stops near the activity. */
  assert_non_null(
      strstr(svg, "nothing happened from 600.0ms to the end at 8m20.000s"));
  assert_non_null(strstr(svg, "class=\"ecsb-cut\""));
  assert_null(strstr(svg, ">8m<"));
  free(svg);
  rpt_run_free(r);
}

int main(void) {
  rt_chdir_source();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_format_matches_its_golden_file),
      cmocka_unit_test(test_json_report_renders_like_its_log),
      cmocka_unit_test(test_json_report_keeps_each_tasks_last_sample),
      cmocka_unit_test(test_json_report_documents_its_schema),
      cmocka_unit_test(test_loading_a_bad_report_names_the_path),
      cmocka_unit_test(test_terminal_colour_rules),
      cmocka_unit_test(test_progress_line),
      cmocka_unit_test(test_write_dir_creates_every_file),
      cmocka_unit_test(test_formats_parse),
      cmocka_unit_test(test_consul_band_and_idle_tail),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
