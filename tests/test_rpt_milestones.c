/* test_rpt_milestones.c - the log -> model analysis: T0-T4 and S0-S4 as
 * docs/events.md defines them, container phases and readiness, the
 * critical chain, fleet percentiles (nearest rank), ECS API and Consul
 * counts, faults, partial logs, and errors naming file, line and path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpt/eventlog.h"
#include "rpt/milestones.h"
#include "rpt/run.h"
#include "rpt/term.h"
#include "rpt_testutil.h"

static rpt_run *compute(const char *path) {
  rpt_log *log = NULL;
  ecsb_err err = {0};
  assert_int_equal(rpt_log_read(path, 1 << 24, &log, &err), 0);
  rpt_run *r = NULL;
  int rc = rpt_milestones_compute(log, path, &r, &err);
  if (rc)
    fprintf(stderr, "%s\n", err.msg);
  assert_int_equal(rc, 0);
  rpt_log_free(log);
  return r;
}

static const rpt_task *task(const rpt_run *r, const char *name) {
  for (size_t i = 0; i < r->n_tasks; i++)
    if (strcmp(r->tasks[i].name, name) == 0)
      return &r->tasks[i];
  fail_msg("no task %s", name);
  return NULL;
}

static void test_single_task_milestones_follow_the_definitions(void **s) {
  (void)s;
  rpt_run *r = compute(RT_EVENTS "seed-ok.jsonl");
  assert_string_equal(r->scenario, "seed-ok");
  assert_int_equal(r->seed, 7);
  assert_true(r->time_scale > 0.0099 && r->time_scale < 0.0101);
  assert_true(r->complete);
  assert_int_equal(r->n_tasks, 2);
  assert_int_equal(r->n_app_tasks, 1);
  assert_true(task(r, "consul-server")->server);
  const rpt_task *t = task(r, "app-1");
  assert_false(t->server);
  assert_int_equal(t->t0_at, 10000);
  static const int64_t want[RPT_MS_COUNT] = {0,       300000,  600000,  1000000,
                                             1300000, 1990000, 2040000, 2090000,
                                             2140000, 2290000};
  for (int m = 0; m < RPT_MS_COUNT; m++)
    assert_int_equal(t->ms[m], want[m]);
  assert_string_equal(t->status, "STOPPED");
  assert_string_equal(t->stop_code, "UserInitiated");
  assert_false(t->service_passing);
  assert_string_equal(t->family, "web");
  rpt_run_free(r);
}

static void test_container_phases_and_readiness(void **s) {
  (void)s;
  rpt_run *r = compute(RT_EVENTS "seed-ok.jsonl");
  const rpt_task *t = task(r, "app-1");
  assert_int_equal(t->n_containers, 5);
  const rpt_container *ds = rpt_task_container(t, "discover-servers");
  assert_non_null(ds);
  assert_string_equal(ds->role, "discover-servers");
  assert_false(ds->essential);
  assert_int_equal(ds->pending_at, 10100);
  assert_int_equal(ds->started_at, 40000);
  assert_int_equal(ds->exited_at, 310000);
  assert_int_equal(ds->exit_code, 0);
  /* Others wait on it with SUCCESS: ready when it exited 0. */
  assert_int_equal(ds->ready_at, 310000);
  const rpt_container *px = rpt_task_container(t, "sidecar-proxy");
  assert_true(px->health_check);
  assert_int_equal(px->healthy_at, 1010000);
  assert_int_equal(px->ready_at, 1010000);
  assert_int_equal(px->n_health, 1);
  const rpt_container *web = rpt_task_container(t, "web");
  assert_int_equal(web->n_deps, 2);
  assert_string_equal(web->deps[1].condition, "HEALTHY");
  assert_int_equal(web->ready_at, web->started_at);
  assert_int_equal(web->killed_at, 2010000);
  assert_string_equal(web->signal, "SIGTERM");
  /* COMPLETE is its exit, not the SIGTERM sent before it. */
  assert_int_equal(rpt_condition_met_at(web, "COMPLETE"), 2100000);
  char out[160];
  assert_string_equal(rpt_container_outcome(web, out, sizeof out), "ready");
  assert_int_equal(rpt_condition_met_at(px, "SUCCESS"), 2150000);
  rpt_run_free(r);
}

static void test_critical_chain_follows_the_last_met_dependency(void **s) {
  (void)s;
  rpt_run *r = compute(RT_EVENTS "seed-ok.jsonl");
  const rpt_task *t = task(r, "app-1");
  assert_int_equal(t->chain_goal_off, 1300000);
  assert_int_equal(t->n_chain, 4);
  static const struct {
    const char *name, *why;
    int64_t start, dur;
  } want[] = {{"web", "START", 1010000, 0},
              {"sidecar-proxy", "HEALTHY", 610000, 390000},
              {"mesh-init", "SUCCESS", 310000, 290000},
              {"discover-servers", "SUCCESS", 30000, 270000}};
  for (size_t i = 0; i < 4; i++) {
    const rpt_link *l = &t->chain[i];
    assert_string_equal(t->containers[l->container].name, want[i].name);
    assert_string_equal(l->why, want[i].why);
    assert_int_equal(l->start_off, want[i].start);
    assert_int_equal(l->dur, want[i].dur);
  }
  rpt_run_free(r);
}

/* The chain ends at what decided T4: an application container that only
 * started after T4 (here a worker waiting on a slow init) is not in it,
 * even though it is the last application container. */
static void test_critical_chain_ignores_containers_after_t4(void **s) {
  (void)s;
  const char *log =
      "{\"t_us\":0,\"kind\":\"run.start\",\"detail\":{\"scenario\":\"c\"}}\n"
      "{\"t_us\":1,\"kind\":\"task.containers\",\"task\":\"a\",\"detail\":"
      "{\"containers\":[{\"name\":\"init\",\"role\":\"mesh-init\"},"
      "{\"name\":\"web\",\"role\":\"app\",\"depends_on\":[{\"container\":"
      "\"init\",\"condition\":\"SUCCESS\"}]},"
      "{\"name\":\"slow\",\"role\":\"other\"},"
      "{\"name\":\"worker\",\"role\":\"app\",\"depends_on\":[{\"container\":"
      "\"slow\",\"condition\":\"SUCCESS\"}]}]}}\n"
      "{\"t_us\":2,\"kind\":\"task.status\",\"task\":\"a\",\"detail\":"
      "{\"status\":\"PROVISIONING\"}}\n"
      "{\"t_us\":10,\"kind\":\"container.started\",\"task\":\"a\","
      "\"container\":\"init\"}\n"
      "{\"t_us\":11,\"kind\":\"container.started\",\"task\":\"a\","
      "\"container\":\"slow\"}\n"
      "{\"t_us\":100,\"kind\":\"container.exited\",\"task\":\"a\","
      "\"container\":\"init\",\"detail\":{\"exit_code\":0}}\n"
      "{\"t_us\":110,\"kind\":\"container.started\",\"task\":\"a\","
      "\"container\":\"web\"}\n"
      "{\"t_us\":150,\"kind\":\"service.passing\",\"task\":\"a\"}\n"
      "{\"t_us\":500,\"kind\":\"container.exited\",\"task\":\"a\","
      "\"container\":\"slow\",\"detail\":{\"exit_code\":0}}\n"
      "{\"t_us\":510,\"kind\":\"container.started\",\"task\":\"a\","
      "\"container\":\"worker\"}\n";
  rpt_run *r = rt_run_from_text(log);
  const rpt_task *t = &r->tasks[0];
  assert_int_equal(t->ms[RPT_T4], 148);
  assert_int_equal(t->n_chain, 2);
  assert_string_equal(t->containers[t->chain[0].container].name, "web");
  assert_string_equal(t->containers[t->chain[1].container].name, "init");
  for (size_t i = 0; i < t->n_chain; i++)
    assert_string_not_equal(t->containers[t->chain[i].container].name,
                            "worker");
  rpt_run_free(r);
}

static void test_fleet_percentiles_are_nearest_rank(void **s) {
  (void)s;
  rpt_run *r = compute(RT_EVENTS "fleet-5.jsonl");
  assert_int_equal(r->n_app_tasks, 5);
  const rpt_stats *t4 = &r->ms[RPT_T4];
  assert_int_equal(t4->n, 5);
  assert_int_equal(t4->min, 1100000);
  assert_int_equal(t4->p50, 1140000);
  assert_int_equal(t4->p95, 2060000);
  assert_int_equal(t4->p99, 2060000);
  assert_int_equal(t4->max, 2060000);
  assert_int_equal(t4->mean, 1320000);
  assert_string_equal(rpt_run_slowest(r)->name, "app-4");
  assert_int_equal(r->ms[RPT_S0].n, 0);
  /* Per-container statistics over the fleet. */
  const rpt_ctr_stats *px = NULL;
  for (size_t i = 0; i < r->n_ctr; i++)
    if (strcmp(r->ctr[i].name, "sidecar-proxy") == 0)
      px = &r->ctr[i];
  assert_non_null(px);
  assert_int_equal(px->start_to_ready.n, 5);
  assert_int_equal(px->start_to_ready.p50, 290000);
  assert_int_equal(px->start_to_ready.max, 1190000);
  size_t counts[RPT_MS_COUNT];
  rpt_milestones_count(r, counts);
  assert_int_equal(counts[RPT_T4], 5);
  assert_int_equal(counts[RPT_S4], 0);
  rpt_run_free(r);
}

static void test_stats_table(void **s) {
  (void)s;
  int64_t v[100];
  for (int i = 0; i < 100; i++)
    v[i] = 100 - i; /* unsorted on purpose */
  rpt_stats st;
  rpt_stats_of(v, 100, &st);
  assert_int_equal(st.p50, 50);
  assert_int_equal(st.p95, 95);
  assert_int_equal(st.p99, 99);
  assert_int_equal(st.max, 100);
  assert_int_equal(st.min, 1);
  int64_t one = 7;
  rpt_stats_of(&one, 1, &st);
  assert_int_equal(st.p50, 7);
  assert_int_equal(st.p99, 7);
  rpt_stats_of(NULL, 0, &st);
  assert_int_equal(st.n, 0);
  assert_true(st.p50 == RPT_ABSENT);
}

static void test_api_consul_and_fault_counts(void **s) {
  (void)s;
  rpt_run *r = compute(RT_EVENTS "proxy-flap.jsonl");
  assert_int_equal(r->n_api, 2);
  const rpt_api_op *lt = &r->api[0];
  assert_string_equal(lt->operation, "ListTasks");
  assert_int_equal(lt->count, 3);
  assert_int_equal(lt->errors, 2);
  assert_int_equal(lt->throttles, 2);
  assert_int_equal(lt->latency.p50, 900);
  assert_int_equal(lt->latency.max, 1500);
  assert_string_equal(r->api[1].operation, "DescribeTasks");
  assert_int_equal(r->api[1].errors, 0);
  size_t checks = 0, regs = 0;
  for (size_t i = 0; i < r->n_consul; i++) {
    if (strcmp(r->consul[i].kind, "consul.check") == 0)
      checks = r->consul[i].n;
    if (strcmp(r->consul[i].kind, "consul.register") == 0)
      regs = r->consul[i].n;
  }
  assert_int_equal(checks, 4);
  assert_int_equal(regs, 2);
  assert_int_equal(r->n_faults, 2);
  assert_string_equal(r->faults[0].target, "ecs_api");
  assert_string_equal(r->faults[0].action, "error");
  assert_null(r->faults[0].task);
  assert_non_null(strstr(r->faults[0].params, "\"ThrottlingException\""));
  assert_string_equal(r->faults[1].container, "sidecar-proxy");
  /* The flap: healthy, unhealthy, healthy again. */
  const rpt_container *px =
      rpt_task_container(task(r, "app-1"), "sidecar-proxy");
  assert_int_equal(px->n_health, 3);
  assert_true(px->health[0].healthy);
  assert_false(px->health[1].healthy);
  assert_true(px->health[2].healthy);
  rpt_run_free(r);
}

/* The first n lines of a log file as a string. */
static char *head_lines(const char *path, int n) {
  char *text = rt_slurp(path, NULL);
  assert_non_null(text);
  char *p = text;
  for (int i = 0; i < n && p; i++) {
    p = strchr(p, '\n');
    if (p)
      p++;
  }
  if (p)
    *p = '\0';
  return text;
}

static void test_partial_log_has_only_what_happened(void **s) {
  (void)s;
  char *text = head_lines(RT_EVENTS "seed-ok.jsonl", 29);
  rpt_log *log = NULL;
  ecsb_err err = {0};
  assert_int_equal(rpt_log_parse(text, strlen(text), "partial", &log, &err), 0);
  assert_false(log->complete);
  rpt_run *r = NULL;
  assert_int_equal(rpt_milestones_compute(log, "partial", &r, &err), 0);
  const rpt_task *t = task(r, "app-1");
  assert_true(t->ms[RPT_T2] != RPT_ABSENT);
  assert_true(t->ms[RPT_T3] == RPT_ABSENT);
  assert_true(t->ms[RPT_T4] == RPT_ABSENT);
  assert_int_equal(t->n_chain, 0);
  assert_false(r->complete);
  rpt_run_free(r);
  rpt_log_free(log);
  free(text);
}

static void test_s2_waits_for_every_app_container(void **s) {
  (void)s;
  const char *log =
      "{\"t_us\":0,\"kind\":\"run.start\",\"detail\":{\"scenario\":\"s2\"}}\n"
      "{\"t_us\":1,\"kind\":\"task.containers\",\"task\":\"a\",\"detail\":"
      "{\"containers\":[{\"name\":\"x\",\"role\":\"app\"},{\"name\":\"y\","
      "\"role\":\"app\"}]}}\n"
      "{\"t_us\":2,\"kind\":\"task.status\",\"task\":\"a\",\"detail\":"
      "{\"status\":\"PROVISIONING\"}}\n"
      "{\"t_us\":3,\"kind\":\"container.started\",\"task\":\"a\","
      "\"container\":\"x\"}\n"
      "{\"t_us\":4,\"kind\":\"container.started\",\"task\":\"a\","
      "\"container\":\"y\"}\n"
      "{\"t_us\":10,\"kind\":\"task.stop_requested\",\"task\":\"a\"}\n"
      "{\"t_us\":20,\"kind\":\"container.exited\",\"task\":\"a\","
      "\"container\":\"x\",\"detail\":{\"exit_code\":0}}\n";
  rpt_run *r = rt_run_from_text(log);
  /* y is still running: the last application exit is not known yet. */
  assert_true(r->tasks[0].ms[RPT_S2] == RPT_ABSENT);
  rpt_run_free(r);
  char buf[2048];
  snprintf(buf, sizeof buf,
           "%s{\"t_us\":30,\"kind\":\"container.killed\",\"task\":\"a\","
           "\"container\":\"y\",\"detail\":{\"signal\":\"SIGKILL\"}}\n",
           log);
  r = rt_run_from_text(buf);
  /* a signal sent is not an end: y may still drain or ignore it */
  assert_true(r->tasks[0].ms[RPT_S2] == RPT_ABSENT);
  rpt_run_free(r);
  char buf2[2300];
  snprintf(buf2, sizeof buf2,
           "%s{\"t_us\":31,\"kind\":\"container.exited\",\"task\":\"a\","
           "\"container\":\"y\",\"detail\":{\"exit_code\":137}}\n",
           buf);
  r = rt_run_from_text(buf2);
  assert_int_equal(r->tasks[0].ms[RPT_S2], 29);
  assert_int_equal(r->tasks[0].ms[RPT_S0], 8);
  rpt_run_free(r);
}

/* Blame lists every container with what became of it: ready, exited with
 * a code, killed before it was ready, never started (with the reason its
 * event gave), and a container only signalled is not COMPLETE. */
static void test_blame_gives_every_container_its_outcome(void **s) {
  (void)s;
  const char *log =
      "{\"t_us\":0,\"kind\":\"run.start\",\"detail\":{\"scenario\":\"b\"}}\n"
      "{\"t_us\":1,\"kind\":\"task.containers\",\"task\":\"a\",\"detail\":"
      "{\"containers\":[{\"name\":\"init\",\"role\":\"mesh-init\"},"
      "{\"name\":\"side\",\"role\":\"other\"},"
      "{\"name\":\"proxy\",\"role\":\"sidecar-proxy\",\"health_check\":true},"
      "{\"name\":\"web\",\"role\":\"app\",\"essential\":true,"
      "\"depends_on\":[{\"container\":\"init\",\"condition\":\"SUCCESS\"},"
      "{\"container\":\"side\",\"condition\":\"COMPLETE\"}]}]}}\n"
      "{\"t_us\":2,\"kind\":\"task.status\",\"task\":\"a\",\"detail\":"
      "{\"status\":\"PROVISIONING\"}}\n"
      "{\"t_us\":3,\"kind\":\"container.started\",\"task\":\"a\","
      "\"container\":\"init\"}\n"
      "{\"t_us\":4,\"kind\":\"container.started\",\"task\":\"a\","
      "\"container\":\"side\"}\n"
      "{\"t_us\":5,\"kind\":\"container.started\",\"task\":\"a\","
      "\"container\":\"proxy\"}\n"
      "{\"t_us\":9,\"kind\":\"container.exited\",\"task\":\"a\","
      "\"container\":\"init\",\"detail\":{\"exit_code\":1}}\n"
      "{\"t_us\":10,\"kind\":\"container.not_started\",\"task\":\"a\","
      "\"container\":\"web\",\"detail\":{\"reason\":\"CannotStartContainer"
      "Error: dependency \\\"init\\\" (SUCCESS) exited with code 1\"}}\n"
      "{\"t_us\":10,\"kind\":\"task.stop_requested\",\"task\":\"a\","
      "\"detail\":{\"stop_code\":\"TaskFailedToStart\",\"reason\":\"x\"}}\n"
      "{\"t_us\":11,\"kind\":\"container.killed\",\"task\":\"a\","
      "\"container\":\"side\",\"detail\":{\"signal\":\"SIGTERM\"}}\n"
      "{\"t_us\":12,\"kind\":\"container.killed\",\"task\":\"a\","
      "\"container\":\"proxy\",\"detail\":{\"signal\":\"SIGTERM\"}}\n";
  rpt_run *r = rt_run_from_text(log);
  const rpt_task *t = &r->tasks[0];
  char out[200];
  const rpt_container *side = rpt_task_container(t, "side");
  /* side's SIGTERM is not its completion: web waits on it with COMPLETE */
  assert_true(rpt_condition_met_at(side, "COMPLETE") == RPT_ABSENT);
  assert_string_equal(rpt_container_outcome(side, out, sizeof out),
                      "killed SIGTERM");
  assert_string_equal(
      rpt_container_outcome(rpt_task_container(t, "init"), out, sizeof out),
      "exited 1");
  assert_string_equal(
      rpt_container_outcome(rpt_task_container(t, "proxy"), out, sizeof out),
      "killed SIGTERM");
  assert_string_equal(
      rpt_container_outcome(rpt_task_container(t, "web"), out, sizeof out),
      "never started: CannotStartContainerError: dependency \"init\" "
      "(SUCCESS) exited with code 1");
  ecsb_buf b;
  ecsb_buf_init(&b);
  rpt_term_opts o = {.color = false};
  rpt_term_render(&r, 1, &o, &b);
  const char *bl = strstr(b.s, "Blame of a");
  assert_non_null(bl);
  const char *want[] = {"init",
                        "exited 1",
                        "side",
                        "killed SIGTERM",
                        "proxy",
                        "web",
                        "never started: CannotStartContainerError"};
  /* the stop cause, beside the milestones */
  if (!strstr(b.s, "stopped: TaskFailedToStart: x\n    caused by web "
                   "(essential) @+8us: never started: "
                   "CannotStartContainerError"))
    fail_msg("no stop cause:\n%s", b.s);
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
    if (!strstr(bl, want[i]))
      fail_msg("blame lacks \"%s\":\n%s", want[i], bl);
  ecsb_buf_free(&b);
  rpt_run_free(r);
}

/* A container still waiting for an UNHEALTHY dependency (issue #18): its
 * outcome is the engine's container.waiting reason, so a task stuck in
 * PENDING says why. */
static void test_a_waiting_container_says_why(void **s) {
  (void)s;
  const char *log =
      "{\"t_us\":0,\"kind\":\"run.start\",\"detail\":{\"scenario\":\"w\"}}\n"
      "{\"t_us\":1,\"kind\":\"task.containers\",\"task\":\"a\",\"detail\":"
      "{\"containers\":[{\"name\":\"proxy\",\"role\":\"sidecar-proxy\","
      "\"health_check\":true},{\"name\":\"web\",\"role\":\"app\","
      "\"depends_on\":[{\"container\":\"proxy\",\"condition\":\"HEALTHY\"}]}"
      "]}}\n"
      "{\"t_us\":2,\"kind\":\"task.status\",\"task\":\"a\",\"detail\":"
      "{\"status\":\"PENDING\"}}\n"
      "{\"t_us\":3,\"kind\":\"container.started\",\"task\":\"a\","
      "\"container\":\"proxy\"}\n"
      "{\"t_us\":9,\"kind\":\"container.unhealthy\",\"task\":\"a\","
      "\"container\":\"proxy\"}\n"
      "{\"t_us\":9,\"kind\":\"container.waiting\",\"task\":\"a\","
      "\"container\":\"web\",\"detail\":{\"reason\":\"dependency "
      "\\\"proxy\\\" (HEALTHY) is UNHEALTHY\"}}\n";
  rpt_run *r = rt_run_from_text(log);
  const rpt_task *t = &r->tasks[0];
  char out[200];
  assert_string_equal(
      rpt_container_outcome(rpt_task_container(t, "web"), out, sizeof out),
      "waiting: dependency \"proxy\" (HEALTHY) is UNHEALTHY");
  rpt_run_free(r);
}

/* The start of a fleet's log at time_scale 0.01. */
#define FLEET_START                                                            \
  "{\"t_us\":0,\"kind\":\"run.start\",\"detail\":{\"scenario\":\"f\","         \
  "\"time_scale\":0.01}}\n"

/* The terminal report of r has each of the texts (c may be NULL). */
static void term_has(rpt_run *r, const char *a, const char *b, const char *c) {
  ecsb_buf out;
  ecsb_buf_init(&out);
  rpt_term_opts o = {.color = false};
  rpt_term_render(&r, 1, &o, &out);
  if (!strstr(out.s, a) || !strstr(out.s, b) || (c && !strstr(out.s, c)))
    fail_msg("the report lacks \"%s\", \"%s\" or \"%s\":\n%s", a, b, c ? c : "",
             out.s);
  ecsb_buf_free(&out);
}

/* A fleet's report says how much of each milestone was this machine's
 * contention (host lag) and, when it is most of T4, names a time_scale at
 * which it would be about a fifth. */
static void test_fleet_host_share_and_fitting_time_scale(void **s) {
  (void)s;
  char log[4096];
  size_t n = (size_t)snprintf(log, sizeof log, "%s", FLEET_START);
  const char *names[] = {"a", "b", "c"};
  const int lag[] = {600, 800, 100};
  for (int i = 0; i < 3; i++)
    n += (size_t)snprintf(
        log + n, sizeof log - n,
        "{\"t_us\":%d,\"kind\":\"task.status\",\"task\":\"%s\","
        "\"detail\":{\"status\":\"PROVISIONING\"}}\n"
        "{\"t_us\":%d,\"kind\":\"host.lag\",\"task\":\"%s\","
        "\"detail\":{\"lag_us\":%d}}\n"
        "{\"t_us\":%d,\"kind\":\"service.passing\",\"task\":\"%s\"}\n",
        10 * i, names[i], 10 * i + 900, names[i], lag[i], 10 * i + 1000,
        names[i]);
  rpt_run *r = rt_run_from_text(log);
  assert_int_equal(r->host_share[RPT_T4].n, 3);
  assert_int_equal(r->host_share[RPT_T4].p50, 600); /* nearest rank */
  assert_int_equal(r->host_share[RPT_T4].max, 800);
  /* 0.01 * 4 * 0.6 / 0.4 = 0.06, rounded up to 0.1 */
  assert_true(r->fit_time_scale > 0.099 && r->fit_time_scale < 0.101);
  term_has(r, "host p50", "60%", "--time-scale 0.1 would leave about a fifth");
  rpt_run_free(r);
}

/* A fleet so large for the machine that no task reached T4 still gets the
 * warning and a time_scale: each mesh task's share of its time to the end
 * of the log. Two mesh tasks held back 700 and 900 of 1,000 us; a task
 * without mesh (never T4) and a mesh task that stopped (held back all of
 * its time) not counted. */
static void test_fleet_with_no_task_at_t4_still_names_a_time_scale(void **s) {
  (void)s;
  char log[4096];
  size_t n = (size_t)snprintf(log, sizeof log, "%s", FLEET_START);
  const char *names[] = {"a", "b", "c", "d"};
  const char *roles[] = {"mesh-init", "mesh-init", "app", "mesh-init"};
  const int lag[] = {700, 900, 0, 900};
  for (int i = 0; i < 4; i++)
    n += (size_t)snprintf(
        log + n, sizeof log - n,
        "{\"t_us\":0,\"kind\":\"task.containers\",\"task\":\"%s\","
        "\"detail\":{\"containers\":[{\"name\":\"x\",\"role\":\"%s\","
        "\"essential\":true}]}}\n"
        "{\"t_us\":0,\"kind\":\"task.status\",\"task\":\"%s\","
        "\"detail\":{\"status\":\"PROVISIONING\"}}\n"
        "{\"t_us\":900,\"kind\":\"host.lag\",\"task\":\"%s\","
        "\"detail\":{\"lag_us\":%d}}\n",
        names[i], roles[i], names[i], names[i], lag[i]);
  n += (size_t)snprintf(log + n, sizeof log - n,
                        "{\"t_us\":900,\"kind\":\"task.status\",\"task\":"
                        "\"d\",\"detail\":{\"status\":\"STOPPED\"}}\n");
  n += (size_t)snprintf(log + n, sizeof log - n,
                        "{\"t_us\":1000,\"kind\":\"run.end\","
                        "\"detail\":{\"complete\":true}}\n");
  rpt_run *r = rt_run_from_text(log);
  assert_int_equal(r->host_share[RPT_T4].n, 0);
  assert_int_equal(r->fit_share, 700); /* nearest rank of 700 and 900 */
  /* 0.01 * 4 * 0.7 / 0.3 = 0.093, rounded up to 0.1 */
  assert_true(r->fit_time_scale > 0.099 && r->fit_time_scale < 0.101);
  term_has(r,
           "contention was 70% of the median task's time to T4 (to the "
           "end of the run for a task that did not reach it and did not "
           "stop)",
           "--time-scale 0.1 would leave about a fifth", NULL);
  rpt_run_free(r);
}

static void expect_error(const char *text, const char *want) {
  rpt_log *log = NULL;
  ecsb_err err = {0};
  assert_int_equal(rpt_log_parse(text, strlen(text), "bad.jsonl", &log, &err),
                   0);
  rpt_run *r = NULL;
  int rc = rpt_milestones_compute(log, "bad.jsonl", &r, &err);
  assert_int_not_equal(rc, 0);
  assert_null(r);
  if (!strstr(err.msg, want))
    fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
  rpt_log_free(log);
}

static void test_malformed_details_name_line_and_path(void **s) {
  (void)s;
  expect_error(
      "{\"t_us\":0,\"kind\":\"run.start\"}\n"
      "{\"t_us\":1,\"kind\":\"task.containers\",\"task\":\"a\",\"detail\":"
      "{\"containers\":[{\"name\":\"x\"},{\"name\":5}]}}\n",
      "bad.jsonl: line 2: task.containers: $.detail.containers[1].name");
  expect_error(
      "{\"t_us\":0,\"kind\":\"run.start\"}\n"
      "{\"t_us\":1,\"kind\":\"task.containers\",\"task\":\"a\",\"detail\":"
      "{\"containers\":[{\"name\":\"x\",\"depends_on\":[{\"condition\":"
      "\"START\"}]}]}}\n",
      "line 2: task.containers: $.detail.containers[0].depends_on[0]."
      "container");
  expect_error("{\"t_us\":0,\"kind\":\"run.start\"}\n\n"
               "{\"t_us\":5,\"kind\":\"container.exited\",\"task\":\"a\","
               "\"container\":\"x\"}\n",
               "bad.jsonl: line 3: container.exited: $.detail.exit_code");
  expect_error("{\"t_us\":0,\"kind\":\"run.start\"}\n"
               "{\"t_us\":5,\"kind\":\"task.status\",\"task\":\"a\"}\n",
               "line 2: task.status: $.detail.status");
}

/* READY, the goal of a task without mesh, as the runner and reports both
 * fold it: every essential container up, none ended before the last. */
static void test_ready_is_every_essential_container_up_at_once(void **st) {
  (void)st;
  rpt_ready_fold f;
  rpt_ready_init(&f);
  assert_true(rpt_ready_at(&f) == RPT_ABSENT); /* nothing essential */
  rpt_ready_add(&f, false, RPT_ABSENT, RPT_ABSENT);
  assert_true(rpt_ready_at(&f) == RPT_ABSENT);
  rpt_ready_add(&f, true, 300, RPT_ABSENT);
  rpt_ready_add(&f, true, 500, RPT_ABSENT);
  rpt_ready_add(&f, false, RPT_ABSENT, 100); /* a sidecar's end is no matter */
  assert_int_equal(rpt_ready_at(&f), 500);
  /* one essential container that never came up */
  rpt_ready_fold g = f;
  rpt_ready_add(&g, true, RPT_ABSENT, RPT_ABSENT);
  assert_true(rpt_ready_at(&g) == RPT_ABSENT);
  /* one that ended before the last came up, and one at the same moment */
  g = f;
  rpt_ready_add(&g, true, 200, 400);
  assert_true(rpt_ready_at(&g) == RPT_ABSENT);
  g = f;
  rpt_ready_add(&g, true, 200, 500);
  assert_true(rpt_ready_at(&g) == RPT_ABSENT);
  /* ended after: READY stands at the last start */
  g = f;
  rpt_ready_add(&g, true, 200, 501);
  assert_int_equal(rpt_ready_at(&g), 500);
}

int main(void) {
  rt_chdir_source();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_single_task_milestones_follow_the_definitions),
      cmocka_unit_test(test_container_phases_and_readiness),
      cmocka_unit_test(test_critical_chain_follows_the_last_met_dependency),
      cmocka_unit_test(test_critical_chain_ignores_containers_after_t4),
      cmocka_unit_test(test_fleet_percentiles_are_nearest_rank),
      cmocka_unit_test(test_stats_table),
      cmocka_unit_test(test_api_consul_and_fault_counts),
      cmocka_unit_test(test_partial_log_has_only_what_happened),
      cmocka_unit_test(test_s2_waits_for_every_app_container),
      cmocka_unit_test(test_blame_gives_every_container_its_outcome),
      cmocka_unit_test(test_a_waiting_container_says_why),
      cmocka_unit_test(test_fleet_host_share_and_fitting_time_scale),
      cmocka_unit_test(test_fleet_with_no_task_at_t4_still_names_a_time_scale),
      cmocka_unit_test(test_malformed_details_name_line_and_path),
      cmocka_unit_test(test_ready_is_every_essential_container_up_at_once),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
