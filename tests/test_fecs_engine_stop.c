/* test_fecs_engine_stop.c - stopping a task on the virtual clock: an
 * essential exit (SIGTERM, then SIGKILL at each container's stopTimeout), a
 * non-essential exit (nothing), StopTask with its stop code and reason,
 * reverse dependency order, containers that never started, spawn failures,
 * and the lifecycle statuses on the way to STOPPED. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "fecs_engine_testutil.h"

/* The mesh task (docs/architecture.md, "The startup being modelled"), with a 10
 * s stopTimeout on the proxy. */
static const char *const PROXY_CHECK[] = {"CMD", "nc", "-z", "127.0.0.1",
                                          "20000"};
static const fecs_dependency DS_SUCCESS[] = {
    {"discover-servers", FECS_DEP_SUCCESS}};
static const fecs_dependency SP_DEPS[] = {{"mesh-init", FECS_DEP_SUCCESS}};
static const fecs_dependency APP_DEPS[] = {{"mesh-init", FECS_DEP_SUCCESS},
                                           {"sidecar-proxy", FECS_DEP_HEALTHY}};
static const fecs_container_spec MESH[] = {
    {.name = "discover-servers", .essential = false},
    {.name = "consul-client",
     .essential = true,
     .depends_on = DS_SUCCESS,
     .n_depends_on = 1},
    {.name = "mesh-init",
     .essential = false,
     .depends_on = DS_SUCCESS,
     .n_depends_on = 1},
    {.name = "sidecar-proxy",
     .essential = true,
     .depends_on = SP_DEPS,
     .n_depends_on = 1,
     .stop_timeout_ms = 10000,
     .health = {.command = PROXY_CHECK, .n_command = 5}},
    {.name = "app",
     .essential = true,
     .depends_on = APP_DEPS,
     .n_depends_on = 2},
};
static const fecs_task_spec MESH_TASK = {MESH, 5};

/* Brings the mesh task to RUNNING by t = 40 s and drains the queues. */
static fecs_engine *mesh_running_with(const fecs_engine_opts *o) {
  ecsb_err err = {0};
  fecs_engine *e = tu_engine(&MESH_TASK, o);
  tu_ok(fecs_engine_start(e, 0, &err), &err);
  tu_started(e, "discover-servers", 0);
  tu_exited(e, "discover-servers", 0, S(1));
  tu_started(e, "consul-client", S(1));
  tu_started(e, "mesh-init", S(1));
  tu_exited(e, "mesh-init", 0, S(2));
  tu_started(e, "sidecar-proxy", S(2));
  tu_drain(e);
  tu_check(e, "sidecar-proxy", S(32), 0, true);
  tu_started(e, "app", S(33));
  tu_drain(e);
  assert_int_equal(tu_task(e).status, FECS_TASK_RUNNING);
  tu_tick(e, S(40));
  tu_drain(e);
  return e;
}

static fecs_engine *mesh_running(void) {
  return mesh_running_with(NULL);
}

static void test_sigterm_all_at_once(void **s) {
  (void)s;
  char buf[TU_BUF];
  ecsb_err err = {0};
  fecs_engine_opts o = {.sigterm_all_at_once = true};
  fecs_engine *e = mesh_running_with(&o);
  tu_ok(fecs_engine_stop_task(e, NULL, S(50), &err), &err);
  /* The app depends on the proxy, yet both get SIGTERM at the same time. */
  assert_string_equal(tu_actions(e, S(50), buf),
                      "TERM:consul-client TERM:sidecar-proxy TERM:app");
  fecs_engine_free(e);
}

static void test_essential_exit_stops_with_sigterm_then_sigkill(void **s) {
  (void)s;
  char buf[TU_BUF];
  fecs_engine *e = mesh_running();
  tu_exited(e, "app", 2, S(100));
  /* The app was the only dependent of the proxy, so both the proxy and
   * consul-client get SIGTERM at once. */
  assert_string_equal(tu_actions(e, S(100), buf),
                      "TERM:consul-client TERM:sidecar-proxy");
  assert_string_equal(
      tu_events(e, S(100), buf),
      "container.exited:app=2 task.stop_requested:EssentialContainerExited "
      "task.status:DEACTIVATING task.status:STOPPING "
      "container.killed:consul-client=SIGTERM "
      "container.killed:sidecar-proxy=SIGTERM");
  fecs_task_info ti = tu_task(e);
  assert_string_equal(ti.stop_code, "EssentialContainerExited");
  assert_string_equal(ti.stopped_reason, "Essential container in task exited");
  assert_int_equal(ti.stop_requested_us, S(100));
  /* Each container's own stopTimeout: 10 s for the proxy, 30 s default. */
  assert_int_equal(fecs_engine_next_deadline(e), S(110));
  tu_tick(e, S(110) - 1);
  assert_string_equal(tu_actions(e, S(110) - 1, buf), "");
  tu_tick(e, S(110));
  assert_string_equal(tu_actions(e, S(110), buf), "KILL:sidecar-proxy");
  assert_string_equal(tu_events(e, S(110), buf),
                      "container.killed:sidecar-proxy=SIGKILL");
  tu_exited(e, "sidecar-proxy", 137, S(110.01));
  assert_string_equal(tu_events(e, S(110.01), buf),
                      "container.exited:sidecar-proxy=137");
  /* consul-client honours SIGTERM in time: no SIGKILL for it. */
  assert_int_equal(fecs_engine_next_deadline(e), S(130));
  tu_exited(e, "consul-client", 143, S(120));
  assert_string_equal(tu_actions(e, S(120), buf), "");
  assert_string_equal(tu_events(e, S(120), buf),
                      "container.exited:consul-client=143 "
                      "task.status:DEPROVISIONING task.status:STOPPED");
  assert_int_equal(fecs_engine_next_deadline(e), FECS_NO_DEADLINE);
  fecs_container_info p = tu_info(e, "sidecar-proxy");
  assert_int_equal(p.sigterm_us, S(100));
  assert_int_equal(p.sigkill_us, S(110));
  assert_int_equal(p.exit_code, 137);
  fecs_container_info c = tu_info(e, "consul-client");
  assert_int_equal(c.sigkill_us, FECS_NEVER);
  ti = tu_task(e);
  assert_int_equal(ti.status, FECS_TASK_STOPPED);
  assert_int_equal(ti.stopped_us, S(120));
  fecs_engine_free(e);
}

static void test_non_essential_exit_does_not_stop_the_task(void **state) {
  (void)state;
  char buf[TU_BUF];
  fecs_container_spec cs[2] = {{.name = "web", .essential = true},
                               {.name = "log-router", .essential = false}};
  fecs_task_spec spec = {cs, 2};
  fecs_engine *e = tu_engine(&spec, NULL);
  ecsb_err err = {0};
  tu_ok(fecs_engine_start(e, 0, &err), &err);
  tu_started(e, "web", 0);
  tu_started(e, "log-router", 0);
  tu_drain(e);
  tu_exited(e, "log-router", 1, S(5));
  assert_string_equal(tu_actions(e, S(5), buf), "");
  assert_string_equal(tu_events(e, S(5), buf), "container.exited:log-router=1");
  fecs_task_info ti = tu_task(e);
  assert_false(ti.stop_requested);
  assert_int_equal(ti.status, FECS_TASK_RUNNING);
  assert_int_equal(tu_info(e, "web").state, FECS_C_RUNNING);
  fecs_engine_free(e);
}

static void test_stop_task_runs_in_reverse_dependency_order(void **state) {
  (void)state;
  char buf[TU_BUF];
  ecsb_err err = {0};
  fecs_engine *e = mesh_running();
  tu_ok(fecs_engine_stop_task(e, "scale in", S(50), &err), &err);
  /* The proxy waits: the app depends on it and is still running. */
  assert_string_equal(tu_actions(e, S(50), buf), "TERM:consul-client TERM:app");
  assert_string_equal(tu_events(e, S(50), buf),
                      "task.stop_requested:UserInitiated "
                      "task.status:DEACTIVATING task.status:STOPPING "
                      "container.killed:consul-client=SIGTERM "
                      "container.killed:app=SIGTERM");
  fecs_task_info ti = tu_task(e);
  assert_string_equal(ti.stop_code, "UserInitiated");
  assert_string_equal(ti.stopped_reason, "scale in");
  tu_exited(e, "app", 0, S(51));
  assert_string_equal(tu_actions(e, S(51), buf), "TERM:sidecar-proxy");
  tu_exited(e, "consul-client", 0, S(52));
  assert_int_equal(tu_task(e).status, FECS_TASK_STOPPING);
  /* The proxy's 10 s run from its own SIGTERM. */
  assert_int_equal(fecs_engine_next_deadline(e), S(61));
  tu_exited(e, "sidecar-proxy", 0, S(53));
  tu_drain(e);
  assert_int_equal(tu_task(e).status, FECS_TASK_STOPPED);
  assert_int_equal(tu_info(e, "sidecar-proxy").sigterm_us, S(51));
  fecs_engine_free(e);
}

/* The events of containers that never started because the task stopped
 * say what each was still waiting for (the reports' blame shows it); ECS's
 * API gives such a container no reason, and neither does fake-ecs. */
static void test_never_started_events_say_what_they_waited_for(void **state) {
  (void)state;
  ecsb_err err = {0};
  fecs_engine *e = tu_engine(&MESH_TASK, NULL);
  tu_ok(fecs_engine_start(e, 0, &err), &err);
  tu_started(e, "discover-servers", 0);
  tu_exited(e, "discover-servers", 0, S(1));
  tu_started(e, "consul-client", S(1));
  tu_started(e, "mesh-init", S(1));
  tu_drain(e);
  tu_exited(e, "consul-client", 1, S(1.5));
  fecs_event ev;
  int seen = 0;
  while (fecs_engine_next_event(e, &ev)) {
    if (ev.kind != FECS_EV_CONTAINER_NOT_STARTED)
      continue;
    assert_non_null(ev.reason);
    assert_string_equal(ev.reason, "the task stopped while it waited for "
                                   "dependency \"mesh-init\" (SUCCESS)");
    seen++;
  }
  assert_int_equal(seen, 2); /* sidecar-proxy and app */
  assert_null(tu_info(e, "app").reason);
  assert_null(tu_info(e, "sidecar-proxy").reason);
  fecs_engine_free(e);
}

static void test_containers_that_never_started_get_no_signal(void **state) {
  (void)state;
  char buf[TU_BUF];
  ecsb_err err = {0};
  fecs_engine *e = tu_engine(&MESH_TASK, NULL);
  tu_ok(fecs_engine_start(e, 0, &err), &err);
  tu_started(e, "discover-servers", 0);
  tu_exited(e, "discover-servers", 0, S(1));
  tu_started(e, "consul-client", S(1));
  tu_started(e, "mesh-init", S(1));
  tu_drain(e);
  /* consul-client (essential) crashes during T1-T2. */
  tu_exited(e, "consul-client", 1, S(1.5));
  assert_string_equal(tu_actions(e, S(1.5), buf), "TERM:mesh-init");
  /* Never RUNNING, so no DEACTIVATING; proxy and app are marked stopped
   * without an exit code or a signal. */
  assert_string_equal(
      tu_events(e, S(1.5), buf),
      "container.exited:consul-client=1 "
      "task.stop_requested:EssentialContainerExited task.status:STOPPING "
      "container.not_started:sidecar-proxy container.not_started:app "
      "container.killed:mesh-init=SIGTERM");
  fecs_container_info app = tu_info(e, "app");
  assert_int_equal(app.state, FECS_C_NOT_STARTED);
  assert_false(app.has_exit_code);
  assert_null(app.reason);
  assert_int_equal(app.sigterm_us, FECS_NEVER);
  assert_string_equal(fecs_container_ecs_status(app.state), "STOPPED");
  tu_exited(e, "mesh-init", 143, S(2));
  assert_string_equal(tu_events(e, S(2), buf),
                      "container.exited:mesh-init=143 "
                      "task.status:DEPROVISIONING task.status:STOPPED");
  assert_int_equal(tu_task(e).running_us, FECS_NEVER);
  fecs_engine_free(e);
}

static void test_stop_task_reason_rules(void **state) {
  (void)state;
  ecsb_err err = {0};
  char longer[FECS_REASON_MAX + 2];
  memset(longer, 'x', sizeof longer - 1);
  longer[sizeof longer - 1] = '\0';
  fecs_engine *e = mesh_running();
  assert_int_equal(fecs_engine_stop_task(e, longer, S(50), &err), ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "256 characters"));
  assert_false(tu_task(e).stop_requested);
  tu_ok(fecs_engine_stop_task(e, "", S(50), &err), &err);
  assert_string_equal(tu_task(e).stopped_reason, "Task stopped by user");
  /* A second StopTask keeps the first stop's code, reason and time. */
  tu_ok(fecs_engine_stop_task(e, "again", S(51), &err), &err);
  fecs_task_info ti = tu_task(e);
  assert_string_equal(ti.stopped_reason, "Task stopped by user");
  assert_int_equal(ti.stop_requested_us, S(50));
  fecs_event ev;
  int stops = 0;
  while (fecs_engine_next_event(e, &ev))
    stops += ev.kind == FECS_EV_TASK_STOP_REQUESTED;
  assert_int_equal(stops, 1);
  fecs_engine_free(e);
}

static void test_stop_while_a_start_is_unconfirmed(void **state) {
  (void)state;
  char buf[TU_BUF];
  ecsb_err err = {0};
  fecs_engine *e = tu_engine(&MESH_TASK, NULL);
  tu_ok(fecs_engine_start(e, 0, &err), &err);
  tu_started(e, "discover-servers", 0);
  tu_drain(e);
  tu_exited(e, "discover-servers", 0, S(1));
  assert_string_equal(tu_actions(e, S(1), buf),
                      "START:consul-client START:mesh-init");
  tu_ok(fecs_engine_stop_task(e, NULL, S(1.1), &err), &err);
  /* Nothing to signal yet: both starts are still unconfirmed. */
  assert_string_equal(tu_actions(e, S(1.1), buf), "");
  assert_int_equal(tu_task(e).status, FECS_TASK_STOPPING);
  tu_started(e, "consul-client", S(1.2));
  assert_string_equal(tu_actions(e, S(1.2), buf), "TERM:consul-client");
  tu_ok(fecs_engine_container_start_failed(e, "mesh-init", "no such file",
                                           S(1.3), &err),
        &err);
  assert_string_equal(tu_actions(e, S(1.3), buf), "");
  /* The stop that was already requested keeps its code. */
  assert_string_equal(tu_task(e).stop_code, "UserInitiated");
  assert_string_equal(tu_info(e, "mesh-init").reason,
                      "CannotStartContainerError: no such file");
  tu_exited(e, "consul-client", 0, S(1.4));
  assert_int_equal(tu_task(e).status, FECS_TASK_STOPPED);
  fecs_engine_free(e);
}

static void test_spawn_failure_of_an_essential_container(void **state) {
  (void)state;
  char buf[TU_BUF];
  ecsb_err err = {0};
  fecs_container_spec cs[2] = {{.name = "web", .essential = true},
                               {.name = "sidecar", .essential = true}};
  fecs_task_spec spec = {cs, 2};
  fecs_engine *e = tu_engine(&spec, NULL);
  tu_ok(fecs_engine_start(e, 0, &err), &err);
  tu_started(e, "sidecar", 0);
  tu_drain(e);
  tu_ok(fecs_engine_container_start_failed(
            e, "web", "exec: \"/app\": not found", S(0.1), &err),
        &err);
  assert_string_equal(tu_actions(e, S(0.1), buf), "TERM:sidecar");
  assert_string_equal(tu_events(e, S(0.1), buf),
                      "container.not_started:web "
                      "task.stop_requested:TaskFailedToStart "
                      "task.status:STOPPING container.killed:sidecar=SIGTERM");
  fecs_task_info ti = tu_task(e);
  assert_string_equal(ti.stop_code, "TaskFailedToStart");
  assert_string_equal(ti.stopped_reason,
                      "CannotStartContainerError: exec: \"/app\": not found");
  fecs_engine_free(e);
}

static void test_exit_before_the_start_was_confirmed(void **state) {
  (void)state;
  char buf[TU_BUF];
  ecsb_err err = {0};
  fecs_container_spec cs[2] = {{.name = "web", .essential = true},
                               {.name = "init", .essential = false}};
  fecs_task_spec spec = {cs, 2};
  fecs_engine *e = tu_engine(&spec, NULL);
  tu_ok(fecs_engine_start(e, 0, &err), &err);
  tu_drain(e);
  tu_exited(e, "init", 0, S(0.2));
  assert_string_equal(tu_events(e, S(0.2), buf),
                      "container.started:init container.exited:init=0");
  fecs_container_info ci = tu_info(e, "init");
  assert_int_equal(ci.started_us, S(0.2));
  assert_int_equal(ci.exited_us, S(0.2));
  fecs_engine_free(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_essential_exit_stops_with_sigterm_then_sigkill),
      cmocka_unit_test(test_sigterm_all_at_once),
      cmocka_unit_test(test_non_essential_exit_does_not_stop_the_task),
      cmocka_unit_test(test_stop_task_runs_in_reverse_dependency_order),
      cmocka_unit_test(test_containers_that_never_started_get_no_signal),
      cmocka_unit_test(test_never_started_events_say_what_they_waited_for),
      cmocka_unit_test(test_stop_task_reason_rules),
      cmocka_unit_test(test_stop_while_a_start_is_unconfirmed),
      cmocka_unit_test(test_spawn_failure_of_an_essential_container),
      cmocka_unit_test(test_exit_before_the_start_was_confirmed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
