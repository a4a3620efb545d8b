/* test_fecs_engine.c - dependsOn ordering on the virtual clock: the mesh
 * task's exact T0-T3 sequence, every condition satisfied and unsatisfiable
 * (table), startTimeout expiry (table), time scaling, and the driving API's
 * error cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "fecs_engine_testutil.h"

/* The mesh task of docs/architecture.md, as in terraform-aws-consul-ecs. */
static const char *const PROXY_CHECK[] = {"CMD", "nc", "-z", "127.0.0.1",
                                          "20000"};
static const fecs_dependency CC_DEPS[] = {
    {"discover-servers", FECS_DEP_SUCCESS}};
static const fecs_dependency MI_DEPS[] = {
    {"discover-servers", FECS_DEP_SUCCESS}};
static const fecs_dependency SP_DEPS[] = {{"mesh-init", FECS_DEP_SUCCESS}};
static const fecs_dependency APP_DEPS[] = {{"mesh-init", FECS_DEP_SUCCESS},
                                           {"sidecar-proxy", FECS_DEP_HEALTHY}};
static const fecs_container_spec MESH[] = {
    {.name = "discover-servers", .essential = false},
    {.name = "consul-client",
     .essential = true,
     .depends_on = CC_DEPS,
     .n_depends_on = 1},
    {.name = "mesh-init",
     .essential = false,
     .depends_on = MI_DEPS,
     .n_depends_on = 1},
    {.name = "sidecar-proxy",
     .essential = true,
     .depends_on = SP_DEPS,
     .n_depends_on = 1,
     .health = {.command = PROXY_CHECK,
                .n_command = 5,
                .interval_ms = 30000,
                .timeout_ms = 5000,
                .retries = 3}},
    {.name = "app",
     .essential = true,
     .depends_on = APP_DEPS,
     .n_depends_on = 2},
};
static const fecs_task_spec MESH_TASK = {MESH, 5};

static void test_mesh_task_happy_path_orders_t0_to_t3(void **state) {
  (void)state;
  char buf[TU_BUF];
  ecsb_err err = {0};
  fecs_engine *e = tu_engine(&MESH_TASK, NULL);
  assert_int_equal(fecs_engine_next_deadline(e), FECS_NO_DEADLINE);

  /* T0: only the container without dependsOn starts. */
  tu_ok(fecs_engine_start(e, 0, &err), &err);
  assert_string_equal(tu_actions(e, 0, buf), "START:discover-servers");
  assert_string_equal(
      tu_events(e, 0, buf),
      "task.status:PROVISIONING task.status:PENDING "
      "container.pending:discover-servers container.pending:consul-client "
      "container.pending:mesh-init container.pending:sidecar-proxy "
      "container.pending:app task.health:UNKNOWN");
  assert_int_equal(fecs_engine_next_deadline(e), FECS_NO_DEADLINE);
  tu_started(e, "discover-servers", S(0.5));
  assert_string_equal(tu_actions(e, S(0.5), buf), "");
  assert_string_equal(tu_events(e, S(0.5), buf),
                      "container.started:discover-servers");

  /* T1: discover-servers exited 0; consul-client and mesh-init start. */
  tu_exited(e, "discover-servers", 0, S(2));
  assert_string_equal(tu_actions(e, S(2), buf),
                      "START:consul-client START:mesh-init");
  assert_string_equal(tu_events(e, S(2), buf),
                      "container.exited:discover-servers=0");
  tu_started(e, "consul-client", S(2.1));
  tu_started(e, "mesh-init", S(2.2));
  tu_drain(e);
  assert_int_equal(tu_task(e).status, FECS_TASK_PENDING);

  /* T2: mesh-init exited 0; sidecar-proxy starts, the app still waits. */
  tu_exited(e, "mesh-init", 0, S(4));
  assert_string_equal(tu_actions(e, S(4), buf), "START:sidecar-proxy");
  tu_started(e, "sidecar-proxy", S(4.1));
  tu_drain(e);
  assert_int_equal(tu_info(e, "app").state, FECS_C_PENDING);
  /* Docker's timing: the first check one interval after the start. */
  assert_int_equal(fecs_engine_next_deadline(e), S(34.1));
  tu_tick(e, S(34.1) - 1);
  assert_string_equal(tu_actions(e, S(34.1) - 1, buf), "");
  assert_int_equal(tu_info(e, "app").state, FECS_C_PENDING);

  /* T3: the proxy's check passes; only now does the app start. */
  tu_check(e, "sidecar-proxy", S(34.1), S(0.05), true);
  assert_string_equal(tu_actions(e, S(34.15), buf), "START:app");
  assert_string_equal(tu_events(e, S(34.15), buf),
                      "container.healthy:sidecar-proxy task.health:HEALTHY");
  tu_started(e, "app", S(34.2));
  assert_string_equal(tu_events(e, S(34.2), buf),
                      "container.started:app task.status:ACTIVATING "
                      "task.status:RUNNING");
  /* The next check is one interval after the previous one completed. */
  assert_int_equal(fecs_engine_next_deadline(e), S(64.15));

  fecs_container_info proxy = tu_info(e, "sidecar-proxy");
  assert_int_equal(proxy.started_us, S(4.1));
  assert_int_equal(proxy.healthy_us, S(34.15));
  assert_int_equal(proxy.health, FECS_HEALTH_HEALTHY);
  fecs_container_info ds = tu_info(e, "discover-servers");
  assert_true(ds.has_exit_code);
  assert_int_equal(ds.exit_code, 0);
  assert_int_equal(ds.exited_us, S(2));
  assert_string_equal(fecs_container_ecs_status(ds.state), "STOPPED");
  fecs_task_info ti = tu_task(e);
  assert_int_equal(ti.status, FECS_TASK_RUNNING);
  assert_int_equal(ti.running_us, S(34.2));
  assert_int_equal(ti.health, FECS_HEALTH_HEALTHY);
  assert_false(ti.stop_requested);
  assert_null(ti.stop_code);
  fecs_engine_free(e);
}

static void test_first_check_at_start_option(void **state) {
  (void)state;
  char buf[TU_BUF];
  ecsb_err err = {0};
  fecs_engine_opts o = {.first_check_at_start = true};
  fecs_engine *e = tu_engine(&MESH_TASK, &o);
  tu_ok(fecs_engine_start(e, 0, &err), &err);
  tu_started(e, "discover-servers", 0);
  tu_exited(e, "discover-servers", 0, S(1));
  tu_drain(e);
  tu_started(e, "mesh-init", S(1));
  tu_exited(e, "mesh-init", 0, S(2));
  tu_drain(e);
  tu_started(e, "sidecar-proxy", S(3));
  assert_string_equal(tu_actions(e, S(3), buf), "CHECK:sidecar-proxy");
  fecs_engine_free(e);
}

static int64_t hundredth(void *ctx, int64_t us) {
  int *calls = ctx;
  (*calls)++;
  return us / 100;
}

static void test_durations_go_through_the_scale_function(void **state) {
  (void)state;
  char buf[TU_BUF];
  ecsb_err err = {0};
  int calls = 0;
  fecs_engine_opts o = {.scale = hundredth, .scale_ctx = &calls};
  fecs_engine *e = tu_engine(&MESH_TASK, &o);
  assert_true(calls > 0);
  tu_ok(fecs_engine_start(e, 0, &err), &err);
  tu_started(e, "discover-servers", 0);
  tu_exited(e, "discover-servers", 0, S(0.01));
  tu_started(e, "consul-client", S(0.02));
  tu_started(e, "mesh-init", S(0.02));
  tu_exited(e, "mesh-init", 0, S(0.03));
  tu_started(e, "sidecar-proxy", S(0.04));
  tu_drain(e);
  /* interval 30 s at 1/100: 0.3 s; the check's timeout 5 s: 50 ms. */
  assert_int_equal(fecs_engine_next_deadline(e), S(0.34));
  tu_tick(e, S(0.34));
  fecs_action a;
  assert_true(fecs_engine_next_action(e, &a));
  assert_int_equal(a.kind, FECS_ACT_RUN_HEALTH_CHECK);
  assert_int_equal(a.timeout_us, S(0.05));
  /* stopTimeout's default 30 s becomes 0.3 s. */
  tu_ok(fecs_engine_stop_task(e, NULL, S(0.35), &err), &err);
  assert_string_equal(tu_actions(e, S(0.35), buf),
                      "TERM:consul-client TERM:sidecar-proxy");
  assert_int_equal(fecs_engine_next_deadline(e), S(0.65));
  fecs_engine_free(e);
}

/* ---- every condition, satisfied and unsatisfiable ---- */

typedef enum step {
  ST_END,
  ST_STARTED,
  ST_EXIT0,
  ST_EXIT1,
  ST_CHECK_OK,
  ST_CHECK_FAIL,
  ST_START_FAILED,
} step;

typedef struct cond_case {
  const char *name;
  fecs_dep_condition cond;
  bool main_essential;
  step steps[6];
  bool want_started;
  fecs_container_state want_state;
  const char *want_stop_code; /* NULL: no stop */
  const char *want_reason;    /* substring of main's reason */
} cond_case;

static const cond_case COND_CASES[] = {
    {"START met when the dependency starts",
     FECS_DEP_START,
     true,
     {ST_STARTED},
     true,
     FECS_C_RUNNING,
     NULL,
     NULL},
    {"START met even after the dependency exited",
     FECS_DEP_START,
     true,
     {ST_STARTED, ST_EXIT1},
     true,
     FECS_C_RUNNING,
     NULL,
     NULL},
    {"START unmet: the dependency could not start",
     FECS_DEP_START,
     true,
     {ST_START_FAILED},
     false,
     FECS_C_NOT_STARTED,
     "TaskFailedToStart",
     "\"dep\" (START) will never start"},
    {"COMPLETE waits while the dependency runs",
     FECS_DEP_COMPLETE,
     true,
     {ST_STARTED, ST_CHECK_OK},
     false,
     FECS_C_PENDING,
     NULL,
     NULL},
    {"COMPLETE met by a non-zero exit",
     FECS_DEP_COMPLETE,
     true,
     {ST_STARTED, ST_EXIT1},
     true,
     FECS_C_RUNNING,
     NULL,
     NULL},
    {"COMPLETE unmet: the dependency could not start",
     FECS_DEP_COMPLETE,
     true,
     {ST_START_FAILED},
     false,
     FECS_C_NOT_STARTED,
     "TaskFailedToStart",
     "will never start"},
    {"SUCCESS met by exit 0",
     FECS_DEP_SUCCESS,
     true,
     {ST_STARTED, ST_EXIT0},
     true,
     FECS_C_RUNNING,
     NULL,
     NULL},
    {"SUCCESS waits while the dependency runs",
     FECS_DEP_SUCCESS,
     true,
     {ST_STARTED},
     false,
     FECS_C_PENDING,
     NULL,
     NULL},
    {"SUCCESS unmet: non-zero exit",
     FECS_DEP_SUCCESS,
     true,
     {ST_STARTED, ST_EXIT1},
     false,
     FECS_C_NOT_STARTED,
     "TaskFailedToStart",
     "\"dep\" (SUCCESS) exited with code 1"},
    {"HEALTHY met by a passing check",
     FECS_DEP_HEALTHY,
     true,
     {ST_STARTED, ST_CHECK_OK},
     true,
     FECS_C_RUNNING,
     NULL,
     NULL},
    {"HEALTHY waits while failures are below retries",
     FECS_DEP_HEALTHY,
     true,
     {ST_STARTED, ST_CHECK_FAIL},
     false,
     FECS_C_PENDING,
     NULL,
     NULL},
    /* graph.go containerOrderingDependenciesIsResolved: UNHEALTHY is "not
     * yet", never a terminal error */
    {"HEALTHY waits while the dependency is UNHEALTHY",
     FECS_DEP_HEALTHY,
     true,
     {ST_STARTED, ST_CHECK_FAIL, ST_CHECK_FAIL},
     false,
     FECS_C_PENDING,
     NULL,
     NULL},
    {"HEALTHY met when an UNHEALTHY dependency recovers",
     FECS_DEP_HEALTHY,
     true,
     {ST_STARTED, ST_CHECK_FAIL, ST_CHECK_FAIL, ST_CHECK_FAIL, ST_CHECK_OK},
     true,
     FECS_C_RUNNING,
     NULL,
     NULL},
    /* task.go initializeContainerOrdering: volumesFrom is CREATE */
    {"CREATE met once the dependency is created, before it runs",
     FECS_DEP_CREATE,
     true,
     {ST_END},
     true,
     FECS_C_RUNNING,
     NULL,
     NULL},
    {"CREATE met at creation, even when the start then fails",
     FECS_DEP_CREATE,
     true,
     {ST_START_FAILED},
     true,
     FECS_C_RUNNING,
     NULL,
     NULL},
    {"HEALTHY unmet: the dependency exited before HEALTHY",
     FECS_DEP_HEALTHY,
     true,
     {ST_STARTED, ST_EXIT0},
     false,
     FECS_C_NOT_STARTED,
     "TaskFailedToStart",
     "\"dep\" (HEALTHY) exited with code 0"},
    {"a non-essential container's unmet SUCCESS leaves the task running",
     FECS_DEP_SUCCESS,
     false,
     {ST_STARTED, ST_EXIT1},
     false,
     FECS_C_NOT_STARTED,
     NULL,
     "exited with code 1"},
    {"a non-essential container's unmet HEALTHY leaves the task running",
     FECS_DEP_HEALTHY,
     false,
     {ST_STARTED, ST_EXIT1},
     false,
     FECS_C_NOT_STARTED,
     NULL,
     "(HEALTHY) exited with code 1"},
};

static const char *const DEP_CHECK[] = {"CMD-SHELL", "exit 0"};

/* Confirms every START except dep's at once, checking that main's
 * condition holds whenever it is started. */
static void pump(fecs_engine *e, int64_t now, const cond_case *cc,
                 bool *main_started) {
  fecs_action a;
  while (fecs_engine_next_action(e, &a)) {
    if (a.kind != FECS_ACT_START || strcmp(a.container_name, "dep") == 0)
      continue;
    if (strcmp(a.container_name, "main") == 0) {
      fecs_container_info d = tu_info(e, "dep");
      switch (cc->cond) {
      case FECS_DEP_START:
        assert_true(d.started_us != FECS_NEVER);
        break;
      case FECS_DEP_COMPLETE:
        assert_int_equal(d.state, FECS_C_STOPPED);
        break;
      case FECS_DEP_SUCCESS:
        assert_true(d.state == FECS_C_STOPPED && d.exit_code == 0);
        break;
      case FECS_DEP_HEALTHY:
        assert_int_equal(d.health, FECS_HEALTH_HEALTHY);
        break;
      case FECS_DEP_CREATE:
        assert_int_not_equal(d.state, FECS_C_PENDING);
        break;
      }
      *main_started = true;
    }
    tu_started(e, a.container_name, now);
  }
  tu_drain(e);
}

static void test_every_condition_met_and_unmet(void **state) {
  (void)state;
  for (size_t n = 0; n < sizeof COND_CASES / sizeof COND_CASES[0]; n++) {
    const cond_case *cc = &COND_CASES[n];
    print_message("case: %s\n", cc->name);
    fecs_dependency dep = {"dep", cc->cond};
    /* CREATE is no dependsOn condition: the agent derives it from
     * volumesFrom */
    bool create = cc->cond == FECS_DEP_CREATE;
    static const char *const from[] = {"dep"};
    fecs_container_spec cs[3] = {
        {.name = "dep",
         .essential = false,
         .health = {.command = DEP_CHECK,
                    .n_command = 2,
                    .interval_ms = 5000,
                    .retries = 2}},
        {.name = "main",
         .essential = cc->main_essential,
         .depends_on = create ? NULL : &dep,
         .n_depends_on = create ? 0 : 1,
         .volumes_from = create ? from : NULL,
         .n_volumes_from = create ? 1 : 0},
        {.name = "keeper", .essential = true},
    };
    fecs_task_spec spec = {cs, cc->main_essential ? 2 : 3};
    fecs_engine *e = tu_engine(&spec, NULL);
    ecsb_err err = {0};
    bool main_started = false;
    int64_t now = 0;
    tu_ok(fecs_engine_start(e, now, &err), &err);
    pump(e, now, cc, &main_started);
    for (const step *st = cc->steps; *st != ST_END; st++) {
      now += S(1);
      switch (*st) {
      case ST_STARTED:
        tu_started(e, "dep", now);
        break;
      case ST_EXIT0:
      case ST_EXIT1:
        tu_exited(e, "dep", *st == ST_EXIT1, now);
        break;
      case ST_START_FAILED:
        tu_ok(fecs_engine_container_start_failed(e, "dep", "exec: not found",
                                                 now, &err),
              &err);
        break;
      case ST_CHECK_OK:
      case ST_CHECK_FAIL: {
        int64_t at = fecs_engine_next_deadline(e);
        tu_check(e, "dep", at, S(0.1), *st == ST_CHECK_OK);
        now = at + S(0.1);
        break;
      }
      case ST_END:
        break;
      }
      pump(e, now, cc, &main_started);
    }
    fecs_container_info m = tu_info(e, "main");
    fecs_task_info ti = tu_task(e);
    assert_int_equal(main_started, cc->want_started);
    assert_int_equal(m.state, cc->want_state);
    if (cc->want_reason) {
      assert_non_null(m.reason);
      assert_non_null(strstr(m.reason, cc->want_reason));
      assert_non_null(strstr(m.reason, "CannotStartContainerError: "));
      /* What the agent reports for a container it gave up on. */
      assert_true(m.has_exit_code);
      assert_int_equal(m.exit_code, 143);
      assert_int_equal(m.started_us, FECS_NEVER);
    } else {
      assert_null(m.reason);
    }
    if (cc->want_stop_code) {
      assert_true(ti.stop_requested);
      assert_string_equal(ti.stop_code, cc->want_stop_code);
      assert_string_equal(ti.stopped_reason, m.reason);
    } else {
      assert_false(ti.stop_requested);
      assert_null(ti.stop_code);
      /* Without main the rest of the task still reaches RUNNING. */
      if (!cc->main_essential && cc->want_state == FECS_C_NOT_STARTED)
        assert_int_equal(ti.status, FECS_TASK_RUNNING);
    }
    fecs_engine_free(e);
  }
}

/* ---- startTimeout ---- */

typedef struct timeout_case {
  fecs_dep_condition cond;
  bool times_out;
} timeout_case;

static void test_start_timeout_of_the_dependency(void **state) {
  (void)state;
  static const timeout_case cases[] = {{FECS_DEP_COMPLETE, true},
                                       {FECS_DEP_SUCCESS, true},
                                       {FECS_DEP_HEALTHY, true},
                                       {FECS_DEP_START, false}};
  for (size_t n = 0; n < sizeof cases / sizeof cases[0]; n++) {
    const timeout_case *tc = &cases[n];
    print_message("case: %s\n", fecs_dep_condition_name(tc->cond));
    fecs_dependency dep = {"dep", tc->cond};
    fecs_container_spec cs[2] = {
        {.name = "dep",
         .essential = false,
         .start_timeout_ms = 10000,
         .health = {.command = DEP_CHECK, .n_command = 2}},
        {.name = "main",
         .essential = true,
         .depends_on = &dep,
         .n_depends_on = 1},
    };
    fecs_task_spec spec = {cs, 2};
    fecs_engine *e = tu_engine(&spec, NULL);
    ecsb_err err = {0};
    char buf[TU_BUF];
    tu_ok(fecs_engine_start(e, 0, &err), &err);
    tu_drain(e);
    tu_started(e, "dep", S(1));
    if (!tc->times_out) {
      /* START is met at once and has no timeout. */
      assert_string_equal(tu_actions(e, S(1), buf), "START:main");
      assert_int_equal(fecs_engine_next_deadline(e), S(31)); /* dep's check */
      fecs_engine_free(e);
      continue;
    }
    /* Counted from the dependency's start, not the task's. */
    assert_int_equal(fecs_engine_next_deadline(e), S(11));
    tu_tick(e, S(11) - 1);
    assert_int_equal(tu_info(e, "main").state, FECS_C_PENDING);
    assert_false(tu_task(e).stop_requested);
    tu_drain(e);
    tu_tick(e, S(11));
    assert_string_equal(tu_actions(e, S(11), buf), "TERM:dep");
    assert_string_equal(
        tu_events(e, S(11), buf),
        "container.not_started:main=143 "
        "task.stop_requested:TaskFailedToStart task.status:STOPPING "
        "container.killed:dep=SIGTERM");
    fecs_container_info m = tu_info(e, "main");
    assert_non_null(strstr(m.reason, "did not reach"));
    assert_non_null(strstr(m.reason, "startTimeout (10 s)"));
    assert_string_equal(tu_task(e).stop_code, "TaskFailedToStart");
    fecs_engine_free(e);
  }
}

static void test_start_timeout_does_not_fire_once_met(void **state) {
  (void)state;
  fecs_dependency dep = {"dep", FECS_DEP_SUCCESS};
  fecs_container_spec cs[2] = {
      {.name = "dep", .essential = false, .start_timeout_ms = 10000},
      {.name = "main",
       .essential = true,
       .depends_on = &dep,
       .n_depends_on = 1},
  };
  fecs_task_spec spec = {cs, 2};
  fecs_engine *e = tu_engine(&spec, NULL);
  ecsb_err err = {0};
  char buf[TU_BUF];
  tu_ok(fecs_engine_start(e, 0, &err), &err);
  tu_drain(e);
  tu_started(e, "dep", S(1));
  tu_exited(e, "dep", 0, S(5));
  assert_string_equal(tu_actions(e, S(5), buf), "START:main");
  assert_int_equal(fecs_engine_next_deadline(e), FECS_NO_DEADLINE);
  tu_tick(e, S(20));
  assert_string_equal(tu_actions(e, S(20), buf), "");
  assert_false(tu_task(e).stop_requested);
  fecs_engine_free(e);
}

static void test_without_start_timeout_a_dependency_is_awaited(void **state) {
  (void)state;
  fecs_dependency dep = {"dep", FECS_DEP_COMPLETE};
  fecs_container_spec cs[2] = {
      {.name = "dep", .essential = false},
      {.name = "main",
       .essential = true,
       .depends_on = &dep,
       .n_depends_on = 1},
  };
  fecs_task_spec spec = {cs, 2};
  fecs_engine *e = tu_engine(&spec, NULL);
  ecsb_err err = {0};
  tu_ok(fecs_engine_start(e, 0, &err), &err);
  tu_started(e, "dep", S(1));
  assert_int_equal(fecs_engine_next_deadline(e), FECS_NO_DEADLINE);
  tu_tick(e, S(86400));
  assert_int_equal(tu_info(e, "main").state, FECS_C_PENDING);
  assert_int_equal(tu_task(e).status, FECS_TASK_PENDING);
  fecs_engine_free(e);
}

/* ---- an UNHEALTHY dependency is "not yet" (issue #18) ---- */

static const char *const WAIT_CHECK[] = {"CMD", "probe"};

/* proxy (essential, checked every 5 s, 1 retry, startTimeout as given) and
 * app (essential) waiting for it HEALTHY: the mesh task's last step. */
static fecs_engine *proxy_app(int64_t start_timeout_ms, fecs_dependency *dep,
                              fecs_container_spec cs[2]) {
  *dep = (fecs_dependency){"proxy", FECS_DEP_HEALTHY};
  cs[0] = (fecs_container_spec){.name = "proxy",
                                .essential = true,
                                .start_timeout_ms = start_timeout_ms,
                                .health = {.command = WAIT_CHECK,
                                           .n_command = 2,
                                           .interval_ms = 5000,
                                           .retries = 1}};
  cs[1] = (fecs_container_spec){
      .name = "app", .essential = true, .depends_on = dep, .n_depends_on = 1};
  fecs_task_spec spec = {cs, 2};
  fecs_engine *e = tu_engine(&spec, NULL);
  ecsb_err err = {0};
  tu_ok(fecs_engine_start(e, 0, &err), &err);
  tu_drain(e);
  tu_started(e, "proxy", S(1));
  tu_drain(e);
  return e;
}

/* graph.go containerOrderingDependenciesIsResolved: the dependent waits
 * while the dependency is UNHEALTHY; without a startTimeout, for good. */
static void test_unhealthy_dependency_keeps_the_task_pending(void **state) {
  (void)state;
  fecs_dependency dep;
  fecs_container_spec cs[2];
  fecs_engine *e = proxy_app(0, &dep, cs);
  char buf[TU_BUF];
  tu_check(e, "proxy", S(6), S(0.1), false);
  assert_string_equal(tu_events(e, S(6.1), buf),
                      "container.unhealthy:proxy task.health:UNHEALTHY "
                      "container.waiting:app");
  /* an hour of failing checks later: still PENDING, nothing stopped, and
   * the reason was given once */
  int64_t now = S(6.1);
  for (int k = 0; k < 720; k++) {
    int64_t at = fecs_engine_next_deadline(e);
    assert_true(at > now);
    tu_check(e, "proxy", at, S(0.1), false);
    now = at + S(0.1);
    assert_string_equal(tu_events(e, now, buf), "");
  }
  assert_int_equal(tu_info(e, "app").state, FECS_C_PENDING);
  fecs_task_info ti = tu_task(e);
  assert_int_equal(ti.status, FECS_TASK_PENDING);
  assert_false(ti.stop_requested);
  fecs_engine_free(e);
}

static void test_waiting_reason_names_dependency_and_condition(void **s) {
  (void)s;
  for (int timeout = 0; timeout < 2; timeout++) {
    fecs_dependency dep;
    fecs_container_spec cs[2];
    fecs_engine *e = proxy_app(timeout ? 60000 : 0, &dep, cs);
    tu_check(e, "proxy", S(6), S(0.1), false);
    fecs_event ev;
    const char *why = NULL;
    while (fecs_engine_next_event(e, &ev))
      if (ev.kind == FECS_EV_CONTAINER_WAITING) {
        assert_string_equal(ev.container_name, "app");
        why = ev.reason;
      }
    assert_non_null(why);
    assert_non_null(strstr(why, "dependency \"proxy\" (HEALTHY) is UNHEALTHY"));
    assert_non_null(strstr(why, timeout ? "at most its startTimeout (60 s)"
                                        : "no startTimeout: the task stays "
                                          "PENDING until it is HEALTHY"));
    fecs_engine_free(e);
  }
}

static void
test_unhealthy_dependency_that_recovers_starts_the_dependent(void **state) {
  (void)state;
  fecs_dependency dep;
  fecs_container_spec cs[2];
  fecs_engine *e = proxy_app(0, &dep, cs);
  char buf[TU_BUF];
  tu_check(e, "proxy", S(6), S(0.1), false);
  tu_drain(e);
  tu_check(e, "proxy", S(11.1), S(0.1), false);
  assert_string_equal(tu_actions(e, S(11.2), buf), "");
  tu_check(e, "proxy", S(16.2), S(0.1), true);
  assert_string_equal(tu_actions(e, S(16.3), buf), "START:app");
  tu_drain(e);
  /* a second spell of UNHEALTHY after the start changes nothing */
  tu_started(e, "app", S(16.4));
  tu_drain(e);
  tu_check(e, "proxy", S(21.3), S(0.1), false);
  assert_string_equal(tu_events(e, S(21.4), buf),
                      "container.unhealthy:proxy task.health:UNHEALTHY");
  assert_int_equal(tu_task(e).status, FECS_TASK_RUNNING);
  fecs_engine_free(e);
}

/* graph.go hasDependencyTimedOut: with a startTimeout the wait ends, and
 * the task fails to start. */
static void
test_unhealthy_dependency_past_start_timeout_stops_the_task(void **state) {
  (void)state;
  fecs_dependency dep;
  fecs_container_spec cs[2];
  fecs_engine *e = proxy_app(20000, &dep, cs);
  int64_t now = S(1);
  while (fecs_engine_next_deadline(e) < S(21)) {
    int64_t at = fecs_engine_next_deadline(e);
    tu_check(e, "proxy", at, S(0.1), false);
    now = at + S(0.1);
    tu_drain(e);
  }
  assert_int_equal(tu_info(e, "app").state, FECS_C_PENDING);
  assert_int_equal(fecs_engine_next_deadline(e), S(21));
  tu_tick(e, S(21));
  fecs_container_info app = tu_info(e, "app");
  assert_int_equal(app.state, FECS_C_NOT_STARTED);
  assert_non_null(strstr(app.reason, "did not reach HEALTHY within its "
                                     "startTimeout (20 s)"));
  assert_string_equal(tu_task(e).stop_code, "TaskFailedToStart");
  (void)now;
  fecs_engine_free(e);
}

/* task.go initializeContainerOrdering: volumesFrom waits for the source's
 * creation (CREATE), links for its start (START). */
static void test_volumes_from_and_links_order_the_start(void **state) {
  (void)state;
  static const char *const from[] = {"data"};
  static const char *const links[] = {"db:database"};
  fecs_container_spec cs[3] = {
      {.name = "data", .essential = false},
      {.name = "db",
       .essential = false,
       .volumes_from = from,
       .n_volumes_from = 1},
      {.name = "web", .essential = true, .links = links, .n_links = 1},
  };
  fecs_task_spec spec = {cs, 3};
  fecs_engine *e = tu_engine(&spec, NULL);
  ecsb_err err = {0};
  char buf[TU_BUF];
  tu_ok(fecs_engine_start(e, 0, &err), &err);
  /* data is created (its START queued): db may be created and started
   * with it; web waits for db to run */
  assert_string_equal(tu_actions(e, 0, buf), "START:data START:db");
  tu_drain(e);
  tu_started(e, "data", S(1));
  assert_string_equal(tu_actions(e, S(1), buf), "");
  tu_started(e, "db", S(2));
  assert_string_equal(tu_actions(e, S(2), buf), "START:web");
  fecs_engine_free(e);
}

/* graph.go verifyShutdownOrder: a link or volumesFrom is a dependency for
 * the shutdown too (dependents first). */
static void test_links_reverse_the_stop_order(void **state) {
  (void)state;
  static const char *const links[] = {"db"};
  fecs_container_spec cs[2] = {
      {.name = "db", .essential = true},
      {.name = "web", .essential = true, .links = links, .n_links = 1},
  };
  fecs_task_spec spec = {cs, 2};
  fecs_engine *e = tu_engine(&spec, NULL);
  ecsb_err err = {0};
  char buf[TU_BUF];
  tu_ok(fecs_engine_start(e, 0, &err), &err);
  tu_drain(e);
  tu_started(e, "db", S(1));
  tu_drain(e);
  tu_started(e, "web", S(2));
  tu_drain(e);
  tu_ok(fecs_engine_stop_task(e, NULL, S(3), &err), &err);
  assert_string_equal(tu_actions(e, S(3), buf), "TERM:web");
  tu_exited(e, "web", 143, S(4));
  assert_string_equal(tu_actions(e, S(4), buf), "TERM:db");
  fecs_engine_free(e);
}

/* ---- driving errors ---- */

static void test_driving_errors_are_named(void **state) {
  (void)state;
  ecsb_err err = {0};
  fecs_engine *e = tu_engine(&MESH_TASK, NULL);
  assert_int_equal(fecs_engine_stop_task(e, "x", 0, &err), ECSB_ESTATE);
  tu_ok(fecs_engine_start(e, S(5), &err), &err);
  assert_int_equal(fecs_engine_start(e, S(5), &err), ECSB_ESTATE);
  assert_int_equal(fecs_engine_tick(e, S(4), &err), ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "time went backwards"));
  assert_int_equal(fecs_engine_container_started(e, "nope", S(6), &err),
                   ECSB_ENOTFOUND);
  assert_non_null(strstr(err.msg, "\"nope\""));
  /* mesh-init has not been asked to start. */
  assert_int_equal(fecs_engine_container_started(e, "mesh-init", S(6), &err),
                   ECSB_ESTATE);
  assert_non_null(strstr(err.msg, "\"mesh-init\" is PENDING"));
  assert_int_equal(fecs_engine_container_exited(e, "mesh-init", 0, S(6), &err),
                   ECSB_ESTATE);
  tu_started(e, "discover-servers", S(6));
  assert_int_equal(
      fecs_engine_container_started(e, "discover-servers", S(6), &err),
      ECSB_ESTATE);
  /* No check was asked of discover-servers. */
  assert_int_equal(
      fecs_engine_health_result(e, "discover-servers", true, S(6), &err),
      ECSB_ESTATE);
  fecs_container_info ci;
  assert_int_equal(fecs_engine_container_info(e, 99, &ci, &err),
                   ECSB_ENOTFOUND);
  assert_null(fecs_engine_container_spec(e, 99));
  fecs_engine_free(e);
}

static void test_undrained_queues_are_refused_not_grown(void **state) {
  (void)state;
  fecs_container_spec cs[1] = {
      {.name = "web",
       .essential = true,
       .health = {.command = DEP_CHECK, .n_command = 2, .interval_ms = 5000}}};
  fecs_task_spec spec = {cs, 1};
  fecs_engine *e = tu_engine(&spec, NULL);
  ecsb_err err = {0};
  tu_ok(fecs_engine_start(e, 0, &err), &err);
  tu_started(e, "web", 0);
  int rc = 0;
  int64_t now = 0;
  for (int i = 0; i < 70000 && rc == 0; i++) {
    now = fecs_engine_next_deadline(e);
    rc = fecs_engine_tick(e, now, &err);
    if (rc == 0)
      rc = fecs_engine_health_result(e, "web", true, now, &err);
  }
  assert_int_equal(rc, ECSB_ETOOBIG);
  assert_non_null(strstr(err.msg, "drained"));
  /* Every later call reports it, even after draining. */
  tu_drain(e);
  assert_int_equal(fecs_engine_tick(e, now, &err), ECSB_ETOOBIG);
  fecs_engine_free(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mesh_task_happy_path_orders_t0_to_t3),
      cmocka_unit_test(test_first_check_at_start_option),
      cmocka_unit_test(test_durations_go_through_the_scale_function),
      cmocka_unit_test(test_every_condition_met_and_unmet),
      cmocka_unit_test(test_start_timeout_of_the_dependency),
      cmocka_unit_test(test_start_timeout_does_not_fire_once_met),
      cmocka_unit_test(test_without_start_timeout_a_dependency_is_awaited),
      cmocka_unit_test(test_unhealthy_dependency_keeps_the_task_pending),
      cmocka_unit_test(test_waiting_reason_names_dependency_and_condition),
      cmocka_unit_test(
          test_unhealthy_dependency_that_recovers_starts_the_dependent),
      cmocka_unit_test(
          test_unhealthy_dependency_past_start_timeout_stops_the_task),
      cmocka_unit_test(test_volumes_from_and_links_order_the_start),
      cmocka_unit_test(test_links_reverse_the_stop_order),
      cmocka_unit_test(test_driving_errors_are_named),
      cmocka_unit_test(test_undrained_queues_are_refused_not_grown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
