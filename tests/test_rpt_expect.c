/* test_rpt_expect.c - the expectation language: parse errors name the
 * JSON path; every kind (order, every, require_then, each pattern form,
 * milestone within/never/reached, each final field, each invariant)
 * passes and fails on small logs; fleets name the tasks that broke an
 * expectation; on a partial log outcomes stay undecided until decided. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpt/expect.h"
#include "rpt/milestones.h"
#include "rpt/report.h"
#include "rpt/strbuf.h"
#include "rpt_testutil.h"

/* ---- parsing ---- */

static void parse_fails(const char *json, const char *want) {
  cJSON *j = cJSON_Parse(json);
  assert_non_null(j);
  rpt_expect *x = NULL;
  ecsb_err err = {0};
  int rc = rpt_expect_parse(j, "$.expect", &x, &err);
  cJSON_Delete(j);
  if (rc == 0) {
    rpt_expect_free(x);
    fail_msg("%s parsed but should not", json);
  }
  assert_int_equal(rc, ECSB_EINVAL);
  assert_null(x);
  if (!strstr(err.msg, want))
    fail_msg("for %s\n  message: %s\n  lacks:   %s", json, err.msg, want);
}

static void test_parse_errors_name_the_json_path(void **s) {
  (void)s;
  static const struct {
    const char *json, *want;
  } cases[] = {
      {"[]", "$.expect: expected an object"},
      {"{\"final\":{\"failed_requests\":-1}}",
       "$.expect.final.failed_requests: expected an integer >= 0"},
      {"{\"final\":{\"failed_requests\":{\"most\":1}}}",
       "$.expect.final.failed_requests.most: unknown field"},
      {"{\"orders\":[]}",
       "$.expect.orders: unknown field (expected order, milestones, final, "
       "invariants)"},
      {"{\"order\":{}}", "$.expect.order: expected an array"},
      {"{\"order\":[7]}", "$.expect.order[0]: expected an object"},
      {"{\"order\":[{\"first\":\"T1\"}]}", "$.expect.order[0].then: required"},
      {"{\"order\":[{\"first\":\"T1\",\"then\":\"T2\"},{\"first\":\"T1\","
       "\"then\":\"T2\",\"evry\":true}]}",
       "$.expect.order[1].evry: unknown field"},
      {"{\"order\":[{\"first\":\"sidecar-proxy healty\",\"then\":\"T2\"}]}",
       "$.expect.order[0].first: \"sidecar-proxy healty\": unknown event "
       "\"healty\" (expected one of pending, started, healthy, unhealthy, "
       "exited, killed, waiting, pulling, pulled, restarting)"},
      {"{\"order\":[{\"first\":\"T1\",\"then\":\"role:proxy started\"}]}",
       "$.expect.order[0].then: \"role:proxy started\": unknown role "
       "\"proxy\""},
      {"{\"order\":[{\"first\":\"web exited(x)\",\"then\":\"T2\"}]}",
       "$.expect.order[0].first: \"web exited(x)\": exited takes an exit code"},
      {"{\"order\":[{\"first\":\"web healthy(1)\",\"then\":\"T2\"}]}",
       "healthy takes no argument"},
      {"{\"order\":[{\"first\":\"web killed(9)\",\"then\":\"T2\"}]}",
       "killed takes a signal name"},
      {"{\"order\":[{\"first\":\"task RUNING\",\"then\":\"T2\"}]}",
       "$.expect.order[0].first: \"task RUNING\": unknown task status "
       "\"RUNING\""},
      {"{\"order\":[{\"first\":\"T1\",\"then\":\"sidecar proxy healthy\"}]}",
       "$.expect.order[0].then: \"sidecar proxy healthy\": expected "
       "\"<container> <event>\""},
      {"{\"order\":[{\"first\":\"T1\",\"then\":\"web/1 started\"}]}",
       "\"web/1\" is not a container name"},
      {"{\"order\":[{\"first\":\"T1\",\"then\":\"T2\",\"every\":\"yes\"}]}",
       "$.expect.order[0].every: expected true or false"},
      {"{\"order\":[{\"first\":\"\",\"then\":\"T2\"}]}",
       "$.expect.order[0].first: expected a non-empty string"},
      {"{\"milestones\":{\"T9\":{\"within\":\"1s\"}}}",
       "$.expect.milestones.T9: unknown milestone (expected T0..T4 or "
       "S0..S4)"},
      {"{\"milestones\":{\"T4\":{\"within\":\"90\"}}}",
       "$.expect.milestones.T4.within: "},
      {"{\"milestones\":{\"T4\":{\"within\":90}}}",
       "$.expect.milestones.T4.within: expected a duration string"},
      {"{\"milestones\":{\"T4\":{\"within\":\"-5s\"}}}",
       "$.expect.milestones.T4.within: the deadline must be positive"},
      {"{\"milestones\":{\"T4\":{\"within\":\"90s\",\"never\":true}}}",
       "$.expect.milestones.T4: give exactly one of within, never, reached"},
      {"{\"milestones\":{\"T4\":{}}}",
       "$.expect.milestones.T4: give exactly one"},
      {"{\"milestones\":{\"T4\":{\"never\":false}}}",
       "$.expect.milestones.T4.never: only true is meaningful"},
      {"{\"milestones\":{\"T4\":{\"before\":\"1s\"}}}",
       "$.expect.milestones.T4.before: unknown field"},
      {"{\"final\":{\"task_status\":\"DONE\"}}",
       "$.expect.final.task_status: unknown task status \"DONE\""},
      {"{\"final\":{\"service_passing\":\"yes\"}}",
       "$.expect.final.service_passing: expected true or false"},
      {"{\"final\":{\"stop_code\":\"\"}}",
       "$.expect.final.stop_code: expected a non-empty string"},
      {"{\"final\":{\"status\":\"STOPPED\"}}",
       "$.expect.final.status: unknown field"},
      {"{\"invariants\":[\"app_after_proxy_healthy\",\"app_after_proxy\"]}",
       "$.expect.invariants[1]: unknown invariant \"app_after_proxy\" "
       "(expected one of app_after_proxy_healthy, t4_requires_passing_checks)"},
      {"{\"invariants\":\"app_after_proxy_healthy\"}",
       "$.expect.invariants: expected an array"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    parse_fails(cases[i].json, cases[i].want);
}

static void test_parse_uses_the_callers_path(void **s) {
  (void)s;
  cJSON *j = cJSON_Parse("{\"order\":[{\"first\":\"T7\",\"then\":\"T2\"}]}");
  rpt_expect *x = NULL;
  ecsb_err err = {0};
  assert_int_equal(rpt_expect_parse(j, "$.scenarios[2].expect", &x, &err),
                   ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "$.scenarios[2].expect.order[0].first"));
  cJSON_Delete(j);
}

/* A typo in a container name is a scenario error naming the path and the
 * task definition's containers; roles, "*" and milestones are not names. */
static void test_order_names_must_be_containers(void **s) {
  (void)s;
  cJSON *j = cJSON_Parse(
      "{\"order\":[{\"first\":\"role:app started\",\"then\":\"T4\"},"
      "{\"first\":\"* started\",\"then\":\"mesh-init exited(0)\"},"
      "{\"first\":\"mesh-init exited(0)\",\"then\":\"sidecar-proxi "
      "started\"}]}");
  rpt_expect *x = NULL;
  ecsb_err err = {0};
  assert_int_equal(rpt_expect_parse(j, "$.expect", &x, &err), 0);
  const char *names[] = {"mesh-init", "sidecar-proxy", "app"};
  assert_int_equal(rpt_expect_check_containers(x, names, 3, &err), ECSB_EINVAL);
  assert_string_equal(err.msg,
                      "$.expect.order[2].then: \"sidecar-proxi\" names no "
                      "container of the task definition (its containers: "
                      "mesh-init, sidecar-proxy, app)");
  const char *all[] = {"mesh-init", "sidecar-proxi"};
  assert_int_equal(rpt_expect_check_containers(x, all, 2, &err), 0);
  rpt_expect_free(x);
  cJSON_Delete(j);
}

static void test_parse_lists_expectations_in_a_fixed_order(void **s) {
  (void)s;
  cJSON *j = cJSON_Parse(
      "{\"invariants\":[\"t4_requires_passing_checks\"],"
      "\"final\":{\"task_status\":\"STOPPED\",\"service_passing\":false},"
      "\"milestones\":{\"T4\":{\"within\":\"90s\"},\"S4\":{\"reached\":true}},"
      "\"order\":[{\"first\":\"sidecar-proxy healthy\",\"then\":\"role:app "
      "started\",\"every\":true},{\"first\":\"T1\",\"then\":\"T2\",\"name\":"
      "\"init order\"}]}");
  rpt_expect *x = NULL;
  ecsb_err err = {0};
  assert_int_equal(rpt_expect_parse(j, NULL, &x, &err), 0);
  cJSON_Delete(j);
  static const char *const names[] = {
      "order: sidecar-proxy healthy before every role:app started",
      "init order",
      "T4 within 90s",
      "S4 reached",
      "final: task_status STOPPED",
      "final: service_passing false",
      "invariant: t4_requires_passing_checks"};
  static const char *const paths[] = {
      "$.expect.order[0]",          "$.expect.order[1]",
      "$.expect.milestones.T4",     "$.expect.milestones.S4",
      "$.expect.final.task_status", "$.expect.final.service_passing",
      "$.expect.invariants[0]"};
  assert_int_equal(rpt_expect_count(x), 7);
  for (size_t i = 0; i < 7; i++) {
    assert_string_equal(rpt_expect_name(x, i), names[i]);
    assert_string_equal(rpt_expect_path(x, i), paths[i]);
  }
  assert_null(rpt_expect_name(x, 7));
  rpt_expect_free(x);
  /* No expect block: an empty set. */
  assert_int_equal(rpt_expect_parse(NULL, NULL, &x, &err), 0);
  assert_int_equal(rpt_expect_count(x), 0);
  rpt_expect_free(x);
}

/* ---- judging ---- */

/* Builds a JSONL log: run.start (time_scale 0.01) with the expect block,
 * then one line per "T TASK KIND CONTAINER [DETAIL]" ("-" = none). Each
 * task gets the mesh task's task.containers before its first event. */
static char *mk_log(const char *expect, const char *script, bool end) {
  ecsb_buf b;
  ecsb_buf_init(&b);
  ecsb_buf_printf(&b,
                  "{\"t_us\":0,\"kind\":\"run.start\",\"detail\":{\"scenario\":"
                  "\"t\",\"time_scale\":0.01,\"expect\":%s}}\n",
                  expect);
  char seen[8][16];
  int n_seen = 0;
  char *copy = strdup(script);
  int64_t last = 0;
  for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    long long t;
    char task[16], kind[40], ctr[40];
    int used = 0;
    if (sscanf(line, " %lld %15s %39s %39s %n", &t, task, kind, ctr, &used) < 4)
      fail_msg("bad script line: %s", line);
    const char *detail = line + used;
    bool known = false;
    for (int i = 0; i < n_seen; i++)
      known = known || strcmp(seen[i], task) == 0;
    if (!known && strcmp(task, "-") != 0) {
      snprintf(seen[n_seen++], sizeof seen[0], "%s", task);
      ecsb_buf_printf(
          &b,
          "{\"t_us\":%lld,\"kind\":\"task.containers\",\"task\":\"%s\","
          "\"detail\":{\"family\":\"web\",\"containers\":["
          "{\"name\":\"discover-servers\",\"role\":\"discover-servers\"},"
          "{\"name\":\"consul-client\",\"role\":\"consul-client\","
          "\"depends_on\":[{\"container\":\"discover-servers\",\"condition\":"
          "\"SUCCESS\"}]},"
          "{\"name\":\"mesh-init\",\"role\":\"mesh-init\",\"depends_on\":[{"
          "\"container\":\"discover-servers\",\"condition\":\"SUCCESS\"}]},"
          "{\"name\":\"sidecar-proxy\",\"role\":\"sidecar-proxy\","
          "\"health_check\":true,\"depends_on\":[{\"container\":\"mesh-"
          "init\",\"condition\":\"SUCCESS\"}]},"
          "{\"name\":\"web\",\"role\":\"app\",\"depends_on\":[{\"container\":"
          "\"sidecar-proxy\",\"condition\":\"HEALTHY\"}]}]}}\n",
          t, task);
    }
    ecsb_buf_printf(&b, "{\"t_us\":%lld,\"kind\":\"%s\"", t, kind);
    if (strcmp(task, "-") != 0)
      ecsb_buf_printf(&b, ",\"task\":\"%s\"", task);
    if (strcmp(ctr, "-") != 0)
      ecsb_buf_printf(&b, ",\"container\":\"%s\"", ctr);
    if (*detail)
      ecsb_buf_printf(&b, ",\"detail\":%s", detail);
    ecsb_buf_puts(&b, "}\n");
    last = t;
  }
  free(copy);
  if (end)
    ecsb_buf_printf(&b,
                    "{\"t_us\":%lld,\"kind\":\"run.end\",\"detail\":{"
                    "\"complete\":true,\"reason\":\"finished\"}}\n",
                    (long long)last + 1);
  return ecsb_buf_take(&b);
}

#define START(task)                                                            \
  "0 " task " task.status - {\"status\":\"PROVISIONING\"}\n"                   \
  "10 " task " container.started discover-servers\n"                           \
  "100 " task " container.exited discover-servers {\"exit_code\":0}\n"         \
  "110 " task " container.started mesh-init\n"                                 \
  "110 " task " container.started consul-client\n"                             \
  "200 " task " container.exited mesh-init {\"exit_code\":0}\n"                \
  "210 " task " container.started sidecar-proxy\n"
#define HAPPY(task) START(task) RUNNING(task)
#define RUNNING(task)                                                          \
  "300 " task " container.healthy sidecar-proxy\n"                             \
  "310 " task " container.started web\n"                                       \
  "320 " task " task.status - {\"status\":\"RUNNING\"}\n"                      \
  "350 " task " consul.check consul-client "                                   \
  "{\"check_id\":\"c1\",\"status\":\"passing\"}\n"                             \
  "400 " task " service.passing - {\"instance\":\"web-1\"}\n"
#define STOP(task)                                                             \
  "500 " task " task.stop_requested - "                                        \
  "{\"stop_code\":\"EssentialContainerExited\",\"reason\":\"Essential "        \
  "container in task exited\"}\n"                                              \
  "510 " task " service.critical - {}\n"                                       \
  "520 " task " container.exited web {\"exit_code\":1}\n"                      \
  "530 " task " container.killed sidecar-proxy {\"signal\":\"SIGTERM\"}\n"     \
  "600 " task " task.status - {\"status\":\"STOPPED\"}\n"

static rpt_verdict judge_text(const char *expect, char *text,
                              const rpt_eval_opts *opts);

static rpt_verdict judge(const char *expect, const char *script, bool end,
                         const rpt_eval_opts *opts) {
  return judge_text(expect, mk_log(expect, script, end), opts);
}

/* The same log with run.start's deadline_us, as ecsboot run writes it;
 * end: with a run.end of mk_log's (else the script has its own). */
static rpt_verdict judge_deadline_end(const char *expect, const char *script,
                                      long long deadline_us, bool end) {
  char *text = mk_log(expect, script, end);
  const char *at = strstr(text, "\"time_scale\":0.01,");
  assert_non_null(at);
  ecsb_buf b;
  ecsb_buf_init(&b);
  ecsb_buf_printf(&b, "%.*s\"deadline_us\":%lld,%s", (int)(at - text), text,
                  deadline_us, at);
  free(text);
  return judge_text(expect, ecsb_buf_take(&b), NULL);
}

static rpt_verdict judge_deadline(const char *expect, const char *script,
                                  long long deadline_us) {
  return judge_deadline_end(expect, script, deadline_us, true);
}

/* Takes text. */
static rpt_verdict judge_text(const char *expect, char *text,
                              const rpt_eval_opts *opts) {
  rpt_log *log = NULL;
  ecsb_err err = {0};
  int rc = rpt_log_parse(text, strlen(text), "t.jsonl", &log, &err);
  if (rc)
    fail_msg("%s\n%s", err.msg, text);
  cJSON *ej = cJSON_Parse(expect);
  rpt_expect *x = NULL;
  rc = rpt_expect_parse(ej, NULL, &x, &err);
  if (rc)
    fail_msg("%s", err.msg);
  assert_int_equal(rpt_expect_count(x), 1);
  rpt_verdict *v = NULL;
  size_t n = 0;
  rc = rpt_expect_eval(x, log, opts, &v, &n, &err);
  if (rc)
    fail_msg("%s", err.msg);
  assert_int_equal(n, 1);
  rpt_verdict out = v[0];
  free(v); /* ownership of the fields moves to the caller */
  rpt_expect_free(x);
  cJSON_Delete(ej);
  rpt_log_free(log);
  free(text);
  return out;
}

typedef struct kcase {
  const char *what;
  const char *expect;
  const char *script;
  rpt_result want;
  const char *msg; /* substring of the message, or NULL */
} kcase;

static void run_cases(const kcase *cases, size_t n) {
  for (size_t i = 0; i < n; i++) {
    rpt_verdict v = judge(cases[i].expect, cases[i].script, true, NULL);
    if (v.result != cases[i].want)
      fail_msg("%s: got %s (%s), want %s", cases[i].what,
               rpt_result_name(v.result), v.message ? v.message : "",
               rpt_result_name(cases[i].want));
    if (cases[i].msg && (!v.message || !strstr(v.message, cases[i].msg)))
      fail_msg("%s: message \"%s\" lacks \"%s\"", cases[i].what,
               v.message ? v.message : "(none)", cases[i].msg);
    if (cases[i].want == RPT_PASS)
      assert_null(v.message);
    else
      assert_true(v.n_refs > 0 || strstr(v.message, "never") ||
                  strstr(v.message, "no stop"));
    rpt_verdict_clear(&v);
  }
}

static void test_order_passes_and_fails(void **s) {
  (void)s;
  static const kcase cases[] = {
      {"app after proxy healthy",
       "{\"order\":[{\"first\":\"sidecar-proxy healthy\",\"then\":\"role:app "
       "started\"}]}",
       HAPPY("a"), RPT_PASS, NULL},
      {"app before proxy healthy",
       "{\"order\":[{\"first\":\"sidecar-proxy healthy\",\"then\":\"role:app "
       "started\"}]}",
       START("a") "250 a container.started web\n"
                  "300 a container.healthy sidecar-proxy\n",
       RPT_FAIL,
       "a: container.started a/web @250us before any \"sidecar-proxy "
       "healthy\" (first one: container.healthy a/sidecar-proxy @300us)"},
      {"then never happens",
       "{\"order\":[{\"first\":\"sidecar-proxy healthy\",\"then\":\"web "
       "started\"}]}",
       START("a"), RPT_PASS, NULL},
      {"then never happens but is required",
       "{\"order\":[{\"first\":\"mesh-init started\",\"then\":\"web "
       "started\",\"require_then\":true}]}",
       START("a"), RPT_FAIL,
       "\"web started\" never happened in a (\"first\" did: "
       "container.started a/mesh-init @110us)"},
      {"every names each offending occurrence",
       "{\"order\":[{\"first\":\"mesh-init exited(0)\",\"then\":\"* "
       "started\",\"every\":true}]}",
       HAPPY("a"), RPT_FAIL,
       "container.started a/discover-servers @10us; container.started "
       "a/mesh-init @110us; container.started a/consul-client @110us before "
       "any \"mesh-init exited(0)\""},
      {"exited(!0) does not match exit 0",
       "{\"order\":[{\"first\":\"mesh-init exited(!0)\",\"then\":\"web "
       "started\"}]}",
       HAPPY("a"), RPT_FAIL, "container.started a/web @310us before any"},
      {"exited(0) matches exit 0",
       "{\"order\":[{\"first\":\"mesh-init exited(0)\",\"then\":\"web "
       "started\"}]}",
       HAPPY("a"), RPT_PASS, NULL},
      {"killed(SIGKILL) does not match SIGTERM",
       "{\"order\":[{\"first\":\"sidecar-proxy killed(SIGKILL)\",\"then\":"
       "\"task STOPPED\"}]}",
       HAPPY("a") STOP("a"), RPT_FAIL,
       "task.status a STOPPED @600us before any \"sidecar-proxy "
       "killed(SIGKILL)\""},
      {"killed(SIGTERM) matches",
       "{\"order\":[{\"first\":\"sidecar-proxy killed(SIGTERM)\",\"then\":"
       "\"task STOPPED\"}]}",
       HAPPY("a") STOP("a"), RPT_PASS, NULL},
      {"milestone and task status patterns",
       "{\"order\":[{\"first\":\"T4\",\"then\":\"task STOPPED\","
       "\"require_then\":true}]}",
       HAPPY("a") STOP("a"), RPT_PASS, NULL},
      {"a status that never comes",
       "{\"order\":[{\"first\":\"task DEACTIVATING\",\"then\":\"T4\"}]}",
       HAPPY("a"), RPT_FAIL,
       "service.passing a @400us before any \"task DEACTIVATING\""},
      {"role pattern does not match another role",
       "{\"order\":[{\"first\":\"T3\",\"then\":\"role:mesh-init exited\"}]}",
       HAPPY("a"), RPT_FAIL, "container.exited a/mesh-init (exit 0) @200us"},
  };
  run_cases(cases, sizeof cases / sizeof cases[0]);
}

static void test_milestones_pass_and_fail(void **s) {
  (void)s;
  /* time_scale 0.01: "1s" is a 10 ms wall deadline, "10ms" 100 us. */
  static const kcase cases[] = {
      {"T4 within the deadline",
       "{\"milestones\":{\"T4\":{\"within\":\"1s\"}}}", HAPPY("a"), RPT_PASS,
       NULL},
      {"T4 late", "{\"milestones\":{\"T4\":{\"within\":\"10ms\"}}}", HAPPY("a"),
       RPT_FAIL,
       "T4 at +400us (scenario 40.0ms) is past the 10.0ms deadline (+100us "
       "wall): service.passing a @400us"},
      {"T4 never reached", "{\"milestones\":{\"T4\":{\"within\":\"1s\"}}}",
       START("a"), RPT_FAIL,
       "T4 not reached in a within 1.000s (+10.0ms wall)"},
      {"S0 never, and no stop", "{\"milestones\":{\"S0\":{\"never\":true}}}",
       HAPPY("a"), RPT_PASS, NULL},
      {"S0 never, but stopped", "{\"milestones\":{\"S0\":{\"never\":true}}}",
       HAPPY("a") STOP("a"), RPT_FAIL,
       "S0 happened: task.stop_requested a @500us"},
      {"S4 reached", "{\"milestones\":{\"S4\":{\"reached\":true}}}",
       HAPPY("a") STOP("a"), RPT_PASS, NULL},
      {"T4 not reached", "{\"milestones\":{\"T4\":{\"reached\":true}}}",
       START("a"), RPT_FAIL,
       "T4 never reached in a; last event of the task: container.started "
       "a/sidecar-proxy @210us"},
  };
  run_cases(cases, sizeof cases / sizeof cases[0]);
}

static void test_final_state_passes_and_fails(void **s) {
  (void)s;
  static const kcase cases[] = {
      {"status STOPPED", "{\"final\":{\"task_status\":\"STOPPED\"}}",
       HAPPY("a") STOP("a"), RPT_PASS, NULL},
      {"status RUNNING, want STOPPED",
       "{\"final\":{\"task_status\":\"STOPPED\"}}", HAPPY("a"), RPT_FAIL,
       "task status is RUNNING, expected STOPPED (task.status a RUNNING "
       "@320us)"},
      {"stop code", "{\"final\":{\"stop_code\":\"EssentialContainerExited\"}}",
       HAPPY("a") STOP("a"), RPT_PASS, NULL},
      {"stop code differs", "{\"final\":{\"stop_code\":\"UserInitiated\"}}",
       HAPPY("a") STOP("a"), RPT_FAIL,
       "stop_code is EssentialContainerExited, expected UserInitiated"},
      {"no stop at all", "{\"final\":{\"stop_code\":\"UserInitiated\"}}",
       HAPPY("a"), RPT_FAIL, "no stop was requested"},
      {"reason contains",
       "{\"final\":{\"stop_reason_contains\":\"Essential container\"}}",
       HAPPY("a") STOP("a"), RPT_PASS, NULL},
      {"reason lacks", "{\"final\":{\"stop_reason_contains\":\"timeout\"}}",
       HAPPY("a") STOP("a"), RPT_FAIL,
       "stop reason \"Essential container in task exited\" does not contain "
       "\"timeout\""},
      {"passing at the end", "{\"final\":{\"service_passing\":true}}",
       HAPPY("a"), RPT_PASS, NULL},
      {"critical at the end", "{\"final\":{\"service_passing\":true}}",
       HAPPY("a") STOP("a"), RPT_FAIL,
       "the service instance is not passing at the end (service.critical a "
       "@510us)"},
      {"never passing, as wanted", "{\"final\":{\"service_passing\":false}}",
       START("a"), RPT_PASS, NULL},
      {"no failed request", "{\"final\":{\"failed_requests\":0}}",
       HAPPY("a") STOP("a"), RPT_PASS, NULL},
      {"one failed, none allowed", "{\"final\":{\"failed_requests\":0}}",
       HAPPY("a") "505 a load.failed - {\"status\":503}\n" STOP("a"), RPT_FAIL,
       "1 request(s) through the sidecar failed (load.failed a"},
      {"at most two", "{\"final\":{\"failed_requests\":{\"at_most\":2}}}",
       HAPPY("a") "505 a load.failed - {\"status\":503}\n"
                  "506 a load.failed - {\"error\":\"refused\"}\n" STOP("a"),
       RPT_PASS, NULL},
      {"at least one, got none",
       "{\"final\":{\"failed_requests\":{\"at_least\":1}}}",
       HAPPY("a") STOP("a"), RPT_FAIL,
       "0 request(s) through the sidecar failed"},
  };
  run_cases(cases, sizeof cases / sizeof cases[0]);
}

/* Too many failed requests is decided at once; "at least" waits for the
 * task to stop. */
static void test_failed_requests_decided_early(void **s) {
  (void)s;
  rpt_eval_opts o = {.now_us = 506};
  rpt_verdict v =
      judge("{\"final\":{\"failed_requests\":0}}",
            HAPPY("a") "505 a load.failed - {\"status\":503}\n", false, &o);
  assert_int_equal(v.result, RPT_FAIL);
  rpt_verdict_clear(&v);
  v = judge("{\"final\":{\"failed_requests\":{\"at_least\":1}}}", HAPPY("a"),
            false, &o);
  assert_int_equal(v.result, RPT_UNDECIDED);
  rpt_verdict_clear(&v);
}

static void test_invariants_pass_and_fail(void **s) {
  (void)s;
  static const kcase cases[] = {
      {"app after proxy healthy",
       "{\"invariants\":[\"app_after_proxy_healthy\"]}", HAPPY("a"), RPT_PASS,
       NULL},
      {"proxy flapped before the app started",
       "{\"invariants\":[\"app_after_proxy_healthy\"]}",
       START("a") "300 a container.healthy sidecar-proxy\n"
                  "305 a container.unhealthy sidecar-proxy\n"
                  "310 a container.started web\n",
       RPT_FAIL,
       "container.started a/web @310us while sidecar-proxy was not HEALTHY "
       "(its last health event: container.unhealthy a/sidecar-proxy @305us)"},
      {"app with a proxy never healthy",
       "{\"invariants\":[\"app_after_proxy_healthy\"]}",
       START("a") "310 a container.started web\n", RPT_FAIL,
       "(it had never been HEALTHY)"},
      {"checks passing at T4",
       "{\"invariants\":[\"t4_requires_passing_checks\"]}", HAPPY("a"),
       RPT_PASS, NULL},
      {"a check critical at T4",
       "{\"invariants\":[\"t4_requires_passing_checks\"]}",
       START("a") "300 a container.healthy sidecar-proxy\n"
                  "310 a container.started web\n"
                  "340 a consul.check consul-client "
                  "{\"check_id\":\"c2\",\"status\":\"critical\"}\n"
                  "350 a consul.check consul-client "
                  "{\"check_id\":\"c1\",\"status\":\"passing\"}\n"
                  "400 a service.passing - {}\n"
                  "410 a consul.check consul-client "
                  "{\"check_id\":\"c2\",\"status\":\"passing\"}\n",
       RPT_FAIL,
       "T4 (service.passing a @400us) while not every check passed: "
       "consul.check a/consul-client c2=critical @340us"},
      {"T4 never reached: nothing to hold",
       "{\"invariants\":[\"t4_requires_passing_checks\"]}", START("a"),
       RPT_PASS, NULL},
  };
  run_cases(cases, sizeof cases / sizeof cases[0]);
}

static void test_fleet_names_the_tasks_that_broke_it(void **s) {
  (void)s;
  const char *script =
      HAPPY("a") START("b") "900 b container.healthy sidecar-proxy\n"
                            "910 b container.started web\n"
                            "990 b service.passing - {}\n" HAPPY("c");
  rpt_verdict v = judge("{\"milestones\":{\"T4\":{\"within\":\"50ms\"}}}",
                        script, true, NULL);
  assert_int_equal(v.result, RPT_FAIL);
  assert_int_equal(v.n_failed_tasks, 1);
  assert_string_equal(v.failed_tasks[0], "b");
  assert_non_null(strstr(v.message, "failed in 1 of 3 tasks. b: T4 at +990us"));
  assert_int_equal(v.n_refs, 1);
  assert_string_equal(v.refs[0].task, "b");
  assert_string_equal(v.refs[0].kind, "service.passing");
  assert_int_equal(v.refs[0].at, 990);
  /* Decided when the deadline passed for b: its T0 + 500 us. */
  assert_int_equal(v.decided_at, 500);
  rpt_verdict_clear(&v);
}

static void test_no_application_task_fails_at_the_end(void **s) {
  (void)s;
  rpt_verdict v =
      judge("{\"final\":{\"service_passing\":false}}",
            "5 - fault.injected - {\"target\":\"ecs_api\",\"action\":\"x\"}\n",
            true, NULL);
  assert_int_equal(v.result, RPT_FAIL);
  assert_string_equal(v.message, "no application task in the log");
  rpt_verdict_clear(&v);
}

/* ---- host lag ---- */

/* A deadline missed by less than twice the host lag the task carried is
 * INCONCLUSIVE (with the lag and a time_scale that would decide it); a
 * deadline missed by more fails; one met passes whatever the lag. At
 * time_scale 0.01 "30ms" is a 300 us wall deadline and T4 is at 400 us. */
static void test_host_lag_makes_a_close_deadline_inconclusive(void **s) {
  (void)s;
  const char *x = "{\"milestones\":{\"T4\":{\"within\":\"30ms\"}}}";
  rpt_verdict v = judge(x, HAPPY("a"), true, NULL);
  assert_int_equal(v.result, RPT_FAIL);
  rpt_verdict_clear(&v);

  v = judge(x, START("a") "250 a host.lag - {\"lag_us\":60}\n" RUNNING("a"),
            true, NULL);
  assert_int_equal(v.result, RPT_INCONCLUSIVE);
  if (!strstr(v.message, "T4 at +400us (scenario 40.0ms) is past the 30.0ms "
                         "deadline") ||
      !strstr(v.message, "this host held the task back 60us of wall time "
                         "(6.0ms of scenario time at time_scale 0.01): "
                         "34.0ms with it taken out, too close to call") ||
      !strstr(v.message, "--time-scale 0.1 would decide it"))
    fail_msg("message: %s", v.message);
  rpt_verdict_clear(&v);

  /* 400 - 2 x 40 = 320 us: late even without twice the lag */
  v = judge(x, START("a") "250 a host.lag - {\"lag_us\":40}\n" RUNNING("a"),
            true, NULL);
  assert_int_equal(v.result, RPT_FAIL);
  rpt_verdict_clear(&v);

  /* lag after the milestone does not count for it */
  v = judge(x, HAPPY("a") "450 a host.lag - {\"lag_us\":900}\n", true, NULL);
  assert_int_equal(v.result, RPT_FAIL);
  rpt_verdict_clear(&v);

  v = judge("{\"milestones\":{\"T4\":{\"within\":\"1s\"}}}",
            START("a") "250 a host.lag - {\"lag_us\":900}\n" RUNNING("a"), true,
            NULL);
  assert_int_equal(v.result, RPT_PASS);
  rpt_verdict_clear(&v);
}

/* The CPU work in the lag (cpu_us) is measured, so it is taken out once,
 * and only the waits twice: T4 at 400 us with 60 us of lag is inside the
 * band while the lag is all waits (400 - 120 < 300, as above), but past it
 * when 50 us of it was CPU work (400 - 70 > 300), and with the CPU part
 * the note names a scale for the waits alone. */
static void test_host_lag_cpu_work_is_taken_out_once(void **s) {
  (void)s;
  const char *x = "{\"milestones\":{\"T4\":{\"within\":\"30ms\"}}}";
  rpt_verdict v = judge(
      x,
      START("a") "250 a host.lag - {\"lag_us\":60,\"cpu_us\":50}\n" RUNNING(
          "a"),
      true, NULL);
  assert_int_equal(v.result, RPT_FAIL);
  rpt_verdict_clear(&v);
  /* 20 us of CPU: 400 - 100 = 300, not past the 300 us deadline */
  v = judge(
      x,
      START("a") "250 a host.lag - {\"lag_us\":60,\"cpu_us\":20}\n" RUNNING(
          "a"),
      true, NULL);
  assert_int_equal(v.result, RPT_INCONCLUSIVE);
  assert_non_null(strstr(v.message, "--time-scale 0.05 would decide it"));
  rpt_verdict_clear(&v);
  /* not reached: 20 ms waited, 6 ms of lag of which 5 ms CPU work: 20 -
   * 7 > 10, late (all waits: 20 - 12 < 10 would be INCONCLUSIVE above) */
  rpt_eval_opts o = {.now_us = 20000, .final = true};
  v = judge("{\"milestones\":{\"T4\":{\"within\":\"1s\"}}}",
            START("a") "300 a host.lag - {\"lag_us\":6000,\"cpu_us\":5000}\n",
            false, &o);
  assert_int_equal(v.result, RPT_FAIL);
  rpt_verdict_clear(&v);
}

/* Not reached yet: the deadline waits for the lag (undecided while the
 * run goes on); at the end it is INCONCLUSIVE inside the band, FAIL past
 * it, and FAIL once the task stopped (it never will be reached). */
static void test_host_lag_postpones_a_missed_deadline(void **s) {
  (void)s;
  const char *x = "{\"milestones\":{\"T4\":{\"within\":\"1s\"}}}";
  const char *lagged = START("a") "300 a host.lag - {\"lag_us\":6000}\n";
  rpt_eval_opts o = {.now_us = 20000}; /* 10 ms past the deadline */
  rpt_verdict v = judge(x, lagged, false, &o);
  assert_int_equal(v.result, RPT_UNDECIDED);
  rpt_verdict_clear(&v);
  o.final = true;
  v = judge(x, lagged, false, &o);
  assert_int_equal(v.result, RPT_INCONCLUSIVE);
  assert_non_null(strstr(v.message, "T4 not reached in a within 1.000s"));
  assert_non_null(strstr(v.message, "held the task back 6.0ms"));
  rpt_verdict_clear(&v);
  o.now_us = 30000; /* 30 - 2 x 6 > 10 */
  v = judge(x, lagged, false, &o);
  assert_int_equal(v.result, RPT_FAIL);
  rpt_verdict_clear(&v);
  o.now_us = 20000;
  v = judge(x, START("a") "300 a host.lag - {\"lag_us\":6000}\n" STOP("a"),
            false, &o);
  assert_int_equal(v.result, RPT_FAIL);
  rpt_verdict_clear(&v);
}

/* A run whose wall-time limit (twice its deadline plus a minute) ended it
 * before a task, held back by a busy host, had its deadline's worth of
 * task time: what did not happen in it is INCONCLUSIVE, with what the
 * task had; with enough task time, or once the task stopped, it is
 * decided as always. The run's deadline is 1 s of scenario time (10 ms of
 * wall time at 0.01); the log ends at 20 ms. */
static void test_a_run_cut_short_by_the_host_cannot_call_absence(void **s) {
  (void)s;
  const char *reached = "{\"milestones\":{\"T4\":{\"reached\":true}}}";
  const char *never = "{\"milestones\":{\"S4\":{\"never\":true}}}";
  /* 19 ms of the 20 held back: 1 ms of task time, 100 ms of scenario */
  const char *held = START("a") "19999 a host.lag - {\"lag_us\":19000}\n";
  rpt_verdict v = judge_deadline(reached, held, 1000000);
  assert_int_equal(v.result, RPT_INCONCLUSIVE);
  assert_non_null(strstr(v.message, "T4 never reached in a"));
  assert_non_null(
      strstr(v.message, "held the task back 19.0ms of the run's 20.0ms"));
  assert_non_null(strstr(v.message, "the run had 1.0ms of task time for it"));
  assert_non_null(strstr(v.message, "less than its 1.000s deadline"));
  rpt_verdict_clear(&v);
  v = judge_deadline(never, held, 1000000);
  assert_int_equal(v.result, RPT_INCONCLUSIVE);
  assert_non_null(strstr(v.message, "S4 did not happen in a"));
  rpt_verdict_clear(&v);
  /* 5 ms held back: 15 ms of task time, past the 10 ms deadline */
  const char *some = START("a") "19999 a host.lag - {\"lag_us\":5000}\n";
  v = judge_deadline(reached, some, 1000000);
  assert_int_equal(v.result, RPT_FAIL);
  rpt_verdict_clear(&v);
  v = judge_deadline(never, some, 1000000);
  assert_int_equal(v.result, RPT_PASS);
  rpt_verdict_clear(&v);
  /* a task that stopped will never reach it, however little time it had
   * (it ran 0.6 ms of the 10) */
  v = judge_deadline(reached, START("a") STOP("a"), 1000000);
  assert_int_equal(v.result, RPT_FAIL);
  rpt_verdict_clear(&v);
  /* a task started late in a run that ran its course: the deadline is the
   * run's, so it was not short of time */
  v = judge_deadline(reached,
                     "12000 a task.status - {\"status\":\"PROVISIONING\"}\n"
                     "12010 a container.started discover-servers\n"
                     "19999 a host.lag - {\"lag_us\":1000}\n",
                     1000000);
  assert_int_equal(v.result, RPT_FAIL);
  rpt_verdict_clear(&v);
  /* a log without the deadline (before it was recorded): decided as always */
  v = judge(reached, held, true, NULL);
  assert_int_equal(v.result, RPT_FAIL);
  rpt_verdict_clear(&v);
}

/* The runner stops a fleet's tasks after its last sample of their lag;
 * that takes seconds of wall time in which no lag is sampled. A task's
 * time is judged to run.end's tasks_end_us, not to the end of the log:
 * 12 ms of 20 held back leaves 8 ms of task time, short of the 10 ms
 * deadline, although the log ends 10 ms later. */
static void test_the_teardown_is_no_tasks_time(void **s) {
  (void)s;
  const char *reached = "{\"milestones\":{\"T4\":{\"reached\":true}}}";
  const char *held = START("a") "19999 a host.lag - {\"lag_us\":12000}\n";
  char script[1024];
  snprintf(script, sizeof script,
           "%s30000 - run.end - {\"complete\":true,\"reason\":\"deadline\","
           "\"tasks_end_us\":20000}\n",
           held);
  rpt_verdict v = judge_deadline_end(reached, script, 1000000, false);
  assert_int_equal(v.result, RPT_INCONCLUSIVE);
  assert_non_null(
      strstr(v.message, "held the task back 12.0ms of the run's 20.0ms"));
  rpt_verdict_clear(&v);
  /* without it (an older log), to the end of the log: 18 ms, FAIL */
  snprintf(script, sizeof script,
           "%s30000 - run.end - {\"complete\":true,\"reason\":\"deadline\"}\n",
           held);
  v = judge_deadline_end(reached, script, 1000000, false);
  assert_int_equal(v.result, RPT_FAIL);
  rpt_verdict_clear(&v);
  /* a time past the log's end is not believed */
  snprintf(script, sizeof script,
           "%s30000 - run.end - {\"complete\":true,\"reason\":\"deadline\","
           "\"tasks_end_us\":40000}\n",
           held);
  v = judge_deadline_end(reached, script, 1000000, false);
  assert_int_equal(v.result, RPT_FAIL);
  rpt_verdict_clear(&v);
  /* A task's last lag past tasks_end_us, more than the time judged: a
   * task held back all along had no task time, not a negative amount. */
  snprintf(script, sizeof script,
           "%s25000 a host.lag - {\"lag_us\":24000}\n"
           "30000 - run.end - {\"complete\":true,\"reason\":\"deadline\","
           "\"tasks_end_us\":20000}\n",
           held);
  v = judge_deadline_end(reached, script, 1000000, false);
  assert_int_equal(v.result, RPT_INCONCLUSIVE);
  assert_non_null(strstr(v.message, "so the run had 0us of task time"));
  assert_null(strstr(v.message, "had -"));
  rpt_verdict_clear(&v);
}

/* The last sweep samples a fleet's tasks one after another, for seconds on
 * a host the fleet overloads; what held a task back after its own sample
 * is not in its lag. Its time is judged up to that sample (its host.lag
 * with "final"): 12 ms held back of 13 leaves 1 ms of task time, short of
 * the 10 ms deadline, where judged to the sweep's end (25 ms) it would
 * have had 13 ms and failed. */
static void test_a_task_is_judged_to_its_own_last_sample(void **s) {
  (void)s;
  const char *reached = "{\"milestones\":{\"T4\":{\"reached\":true}}}";
  const char *within = "{\"milestones\":{\"T4\":{\"within\":\"1s\"}}}";
  /* T4 reached with a 1 s deadline; T4 within 1 s (10 ms wall): with 2 ms
   * of lag, 13 ms waited is past it either way; with 5 ms it is too close
   * to call judged to the sample, and 25 ms waited, judged to the sweep's
   * end, is past it */
  static const struct {
    bool within, final;
    int lag, cpu;
    rpt_result want;
  } cases[] = {
      {false, true, 12000, 0, RPT_INCONCLUSIVE},
      {false, false, 12000, 0, RPT_FAIL},
      {true, true, 2000, 2000, RPT_FAIL},
      {true, true, 5000, 5000, RPT_INCONCLUSIVE},
      {true, false, 5000, 5000, RPT_FAIL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char script[1024];
    snprintf(script, sizeof script,
             "%s13000 a host.lag - {\"lag_us\":%d,\"cpu_us\":%d%s}\n"
             "30000 - run.end - {\"complete\":true,\"reason\":"
             "\"deadline\",\"tasks_end_us\":25000}\n",
             START("a"), cases[i].lag, cases[i].cpu,
             cases[i].final ? ",\"final\":true" : "");
    rpt_verdict v =
        judge_deadline_end(cases[i].within ? within : reached, script,
                           cases[i].within ? 0 : 1000000, false);
    if (v.result != cases[i].want)
      fail_msg("case %zu: %s", i, v.message);
    if (i == 0) {
      assert_non_null(strstr(v.message,
                             "held the task back 12.0ms of the run's 13.0ms "
                             "of wall time up to the runner's last sample of "
                             "its lag, so the run had 1.0ms of task time"));
      /* where the task got to, not the runner's bookkeeping */
      assert_non_null(strstr(v.message, "last event of the task: container."
                                        "started a/sidecar-proxy @210us"));
    }
    rpt_verdict_clear(&v);
  }
}

static void test_a_bad_host_lag_event_names_the_line(void **s) {
  (void)s;
  char *text =
      mk_log("{}", START("a") "300 a host.lag - {\"lag_us\":\"x\"}\n", true);
  rpt_log *log = NULL;
  ecsb_err err = {0};
  assert_int_equal(rpt_log_parse(text, strlen(text), "l.jsonl", &log, &err), 0);
  rpt_run *run = NULL;
  assert_int_equal(rpt_milestones_compute(log, "l.jsonl", &run, &err),
                   ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "host.lag: $.detail.lag_us: expected a "
                                  "number of microseconds >= 0"));
  rpt_log_free(log);
  free(text);
  /* a CPU part larger than the lag it is part of */
  text = mk_log(
      "{}", START("a") "300 a host.lag - {\"lag_us\":5,\"cpu_us\":6}\n", true);
  log = NULL;
  assert_int_equal(rpt_log_parse(text, strlen(text), "l.jsonl", &log, &err), 0);
  assert_int_equal(rpt_milestones_compute(log, "l.jsonl", &run, &err),
                   ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "l.jsonl: line "));
  assert_non_null(strstr(err.msg, "host.lag: $.detail.cpu_us: expected a "
                                  "number of microseconds from 0 to lag_us"));
  rpt_log_free(log);
  free(text);
}

/* ---- partial logs ---- */

static void test_partial_log_decides_deadlines_with_now(void **s) {
  (void)s;
  const char *x = "{\"milestones\":{\"T4\":{\"within\":\"1s\"}}}";
  rpt_eval_opts o = {.now_us = 5000};
  rpt_verdict v = judge(x, START("a"), false, &o);
  assert_int_equal(v.result, RPT_UNDECIDED);
  assert_non_null(strstr(v.message, "waiting for T4 (deadline +10.0ms wall)"));
  rpt_verdict_clear(&v);
  o.now_us = 20000; /* past T0 + 10 ms */
  v = judge(x, START("a"), false, &o);
  assert_int_equal(v.result, RPT_FAIL);
  assert_int_equal(v.decided_at, 10000);
  rpt_verdict_clear(&v);
  o.now_us = 0; /* the last event's time */
  v = judge(x, HAPPY("a"), false, &o);
  assert_int_equal(v.result, RPT_PASS);
  assert_int_equal(v.decided_at, 400);
  rpt_verdict_clear(&v);
  /* The run is over (final) although the log has no run.end. */
  o.final = true;
  v = judge(x, START("a"), false, &o);
  assert_int_equal(v.result, RPT_FAIL);
  rpt_verdict_clear(&v);
}

static bool decided(const char *expect, const char *script,
                    const rpt_eval_opts *o, bool *failed) {
  char *text = mk_log(expect, script, false);
  rpt_log *log = NULL;
  ecsb_err err = {0};
  assert_int_equal(rpt_log_parse(text, strlen(text), "t", &log, &err), 0);
  cJSON *ej = cJSON_Parse(expect);
  rpt_expect *x = NULL;
  assert_int_equal(rpt_expect_parse(ej, NULL, &x, &err), 0);
  bool d = false;
  assert_int_equal(rpt_expect_decided(x, log, o, &d, failed, &err), 0);
  rpt_expect_free(x);
  cJSON_Delete(ej);
  rpt_log_free(log);
  free(text);
  return d;
}

static void test_decided_over_a_partial_log(void **s) {
  (void)s;
  bool failed = true;
  const char *x = "{\"order\":[{\"first\":\"sidecar-proxy healthy\","
                  "\"then\":\"web started\",\"every\":true}],"
                  "\"milestones\":{\"T4\":{\"within\":\"1s\"}},"
                  "\"final\":{\"service_passing\":true},"
                  "\"invariants\":[\"app_after_proxy_healthy\","
                  "\"t4_requires_passing_checks\"]}";
  /* Mid-startup: nothing can be decided yet. */
  assert_false(decided(x, START("a"), NULL, &failed));
  assert_false(failed);
  /* T4 reached, checks passing, app after a healthy proxy: every
   * expectation is decided, and the final state settles at its current
   * value because nothing else is pending. */
  assert_true(decided(x, HAPPY("a"), NULL, &failed));
  assert_false(failed);
  /* A second task is still to come. */
  rpt_eval_opts o = {.expected_tasks = 2};
  assert_false(decided(x, HAPPY("a"), &o, &failed));
  /* A failure is a decision even while other tasks are pending. */
  const char *one = "{\"invariants\":[\"app_after_proxy_healthy\"]}";
  assert_true(decided(one,
                      START("a") "310 a container.started web\n" START("b"),
                      NULL, &failed));
  assert_true(failed);
  /* final task_status STOPPED stays open while the task runs. */
  assert_false(decided("{\"final\":{\"task_status\":\"STOPPED\"}}", HAPPY("a"),
                       NULL, &failed));
  assert_true(decided("{\"final\":{\"task_status\":\"STOPPED\"}}",
                      HAPPY("a") STOP("a"), NULL, &failed));
  assert_false(failed);
  /* order without require_then is decided once "first" happened. */
  assert_true(decided("{\"order\":[{\"first\":\"mesh-init started\",\"then\":"
                      "\"web started\"}]}",
                      START("a"), NULL, &failed));
  assert_false(decided("{\"order\":[{\"first\":\"mesh-init started\",\"then\":"
                       "\"web started\",\"require_then\":true}]}",
                       START("a"), NULL, &failed));
}

static void test_report_turns_a_bad_expect_block_into_a_failure(void **s) {
  (void)s;
  char *text = mk_log("{\"order\":[{\"first\":\"T1\"}]}", HAPPY("a"), true);
  rpt_run *r = rt_run_from_text(text);
  assert_int_equal(r->n_verdicts, 1);
  assert_int_equal(r->verdicts[0].result, RPT_FAIL);
  assert_string_equal(r->verdicts[0].name, "expectations");
  assert_string_equal(r->expect_error, "$.expect.order[0].then: required");
  /* Measurements are still there. */
  assert_int_equal(r->tasks[0].ms[RPT_T4], 400);
  rpt_run_free(r);
  free(text);
}

int main(void) {
  rt_chdir_source();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_errors_name_the_json_path),
      cmocka_unit_test(test_parse_uses_the_callers_path),
      cmocka_unit_test(test_order_names_must_be_containers),
      cmocka_unit_test(test_parse_lists_expectations_in_a_fixed_order),
      cmocka_unit_test(test_order_passes_and_fails),
      cmocka_unit_test(test_milestones_pass_and_fail),
      cmocka_unit_test(test_final_state_passes_and_fails),
      cmocka_unit_test(test_failed_requests_decided_early),
      cmocka_unit_test(test_invariants_pass_and_fail),
      cmocka_unit_test(test_fleet_names_the_tasks_that_broke_it),
      cmocka_unit_test(test_no_application_task_fails_at_the_end),
      cmocka_unit_test(test_host_lag_makes_a_close_deadline_inconclusive),
      cmocka_unit_test(test_host_lag_cpu_work_is_taken_out_once),
      cmocka_unit_test(test_host_lag_postpones_a_missed_deadline),
      cmocka_unit_test(test_a_run_cut_short_by_the_host_cannot_call_absence),
      cmocka_unit_test(test_the_teardown_is_no_tasks_time),
      cmocka_unit_test(test_a_task_is_judged_to_its_own_last_sample),
      cmocka_unit_test(test_a_bad_host_lag_event_names_the_line),
      cmocka_unit_test(test_partial_log_decides_deadlines_with_now),
      cmocka_unit_test(test_decided_over_a_partial_log),
      cmocka_unit_test(test_report_turns_a_bad_expect_block_into_a_failure),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
