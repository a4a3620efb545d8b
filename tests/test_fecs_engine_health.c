/* test_fecs_engine_health.c - container health checks on the virtual clock:
 * startPeriod grace, retries (table), flapping, the check schedule, the
 * task's health derived from its containers (table), and checks around a
 * stop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "fecs_engine_testutil.h"

static const char *const CHECK[] = {"CMD-SHELL",
                                    "curl -f localhost/ || exit 1"};

/* One essential container "web" with the given check, started at 0. */
static fecs_engine *web(int64_t interval_ms, int retries,
                        int64_t start_period_ms) {
  /* The engine copies the spec, so a local will do. */
  fecs_container_spec cs = {.name = "web",
                            .essential = true,
                            .health = {.command = CHECK,
                                       .n_command = 2,
                                       .interval_ms = interval_ms,
                                       .retries = retries,
                                       .start_period_ms = start_period_ms}};
  fecs_task_spec spec = {&cs, 1};
  fecs_engine *e = tu_engine(&spec, NULL);
  ecsb_err err = {0};
  tu_ok(fecs_engine_start(e, 0, &err), &err);
  tu_started(e, "web", 0);
  tu_drain(e);
  return e;
}

static void test_failures_inside_start_period_do_not_count(void **state) {
  (void)state;
  char buf[TU_BUF];
  fecs_engine *e = web(5000, 2, 12000);
  /* Checks at 5 and 10.1 start inside the 12 s grace: not counted. */
  tu_check(e, "web", S(5), S(0.1), false);
  assert_int_equal(tu_info(e, "web").failing_streak, 0);
  tu_check(e, "web", S(10.1), S(0.1), false);
  assert_int_equal(tu_info(e, "web").failing_streak, 0);
  assert_string_equal(tu_events(e, S(10.2), buf), "");
  /* From 15.2 on they count: two more make it UNHEALTHY (retries 2). */
  tu_check(e, "web", S(15.2), S(0.1), false);
  assert_int_equal(tu_info(e, "web").failing_streak, 1);
  assert_int_equal(tu_info(e, "web").health, FECS_HEALTH_UNKNOWN);
  tu_check(e, "web", S(20.3), S(0.1), false);
  assert_string_equal(tu_events(e, S(20.4), buf),
                      "container.unhealthy:web task.health:UNHEALTHY");
  assert_int_equal(tu_info(e, "web").health, FECS_HEALTH_UNHEALTHY);
  fecs_engine_free(e);
}

static void test_success_inside_start_period_makes_failures_count(void **s) {
  (void)s;
  char buf[TU_BUF];
  fecs_engine *e = web(5000, 2, 30000);
  tu_check(e, "web", S(5), S(0.1), true);
  assert_string_equal(tu_events(e, S(5.1), buf),
                      "container.healthy:web task.health:HEALTHY");
  assert_int_equal(tu_info(e, "web").healthy_us, S(5.1));
  /* Still inside the 30 s start period, but it passed once: these count. */
  tu_check(e, "web", S(10.1), S(0.1), false);
  assert_int_equal(tu_info(e, "web").health, FECS_HEALTH_HEALTHY);
  tu_check(e, "web", S(15.2), S(0.1), false);
  assert_string_equal(tu_events(e, S(15.3), buf),
                      "container.unhealthy:web task.health:UNHEALTHY");
  fecs_engine_free(e);
}

static void test_retries_consecutive_failures_and_reset(void **state) {
  (void)state;
  static const int retries[] = {1, 2, 3, 10};
  for (size_t n = 0; n < sizeof retries / sizeof retries[0]; n++) {
    int r = retries[n];
    print_message("retries %d\n", r);
    fecs_engine *e = web(5000, r, 0);
    int64_t at = S(5);
    for (int k = 1; k < r; k++, at += S(5))
      tu_check(e, "web", at, 0, false);
    assert_int_equal(tu_info(e, "web").health, FECS_HEALTH_UNKNOWN);
    assert_int_equal(tu_info(e, "web").failing_streak, r - 1);
    tu_check(e, "web", at, 0, false);
    at += S(5);
    assert_int_equal(tu_info(e, "web").health, FECS_HEALTH_UNHEALTHY);
    /* One success: HEALTHY, streak reset. */
    tu_check(e, "web", at, 0, true);
    at += S(5);
    assert_int_equal(tu_info(e, "web").health, FECS_HEALTH_HEALTHY);
    assert_int_equal(tu_info(e, "web").failing_streak, 0);
    for (int k = 1; k < r; k++, at += S(5))
      tu_check(e, "web", at, 0, false);
    assert_int_equal(tu_info(e, "web").health, FECS_HEALTH_HEALTHY);
    tu_check(e, "web", at, 0, false);
    assert_int_equal(tu_info(e, "web").health, FECS_HEALTH_UNHEALTHY);
    fecs_engine_free(e);
  }
}

static void test_flapping_health_reports_every_change(void **state) {
  (void)state;
  char buf[TU_BUF];
  fecs_engine *e = web(5000, 1, 0);
  static const bool results[] = {true, false, true, true, false, true};
  static const char *const want[] = {
      "container.healthy:web task.health:HEALTHY",
      "container.unhealthy:web task.health:UNHEALTHY",
      "container.healthy:web task.health:HEALTHY",
      "", /* still HEALTHY: no event */
      "container.unhealthy:web task.health:UNHEALTHY",
      "container.healthy:web task.health:HEALTHY",
  };
  int64_t at = S(5);
  for (size_t k = 0; k < sizeof results / sizeof results[0]; k++) {
    tu_check(e, "web", at, S(1), results[k]);
    assert_string_equal(tu_events(e, at + S(1), buf), want[k]);
    at += S(6);
  }
  /* The first HEALTHY is what T3 measures; flapping does not move it. */
  assert_int_equal(tu_info(e, "web").healthy_us, S(6));
  /* Health alone never stops a task that is not part of a service. */
  assert_false(tu_task(e).stop_requested);
  fecs_engine_free(e);
}

static void test_next_check_follows_the_previous_completion(void **state) {
  (void)state;
  fecs_engine *e = web(0, 0, 0); /* ECS defaults: 30 s, timeout 5 s, 3 */
  assert_int_equal(fecs_engine_next_deadline(e), S(30));
  tu_tick(e, S(30));
  fecs_action a;
  assert_true(fecs_engine_next_action(e, &a));
  assert_int_equal(a.kind, FECS_ACT_RUN_HEALTH_CHECK);
  assert_int_equal(a.timeout_us, S(5));
  /* While it runs, no second check is due. */
  assert_int_equal(fecs_engine_next_deadline(e), FECS_NO_DEADLINE);
  tu_tick(e, S(33));
  assert_false(fecs_engine_next_action(e, &a));
  /* The caller timed it out at 35 and reports a failure. */
  ecsb_err err = {0};
  tu_ok(fecs_engine_health_result(e, "web", false, S(35), &err), &err);
  assert_int_equal(fecs_engine_next_deadline(e), S(65));
  const fecs_container_spec *cs = fecs_engine_container_spec(e, 0);
  assert_int_equal(cs->health.interval_ms, 30000);
  assert_int_equal(cs->health.timeout_ms, 5000);
  assert_int_equal(cs->health.retries, 3);
  assert_string_equal(cs->health.command[0], "CMD-SHELL");
  fecs_engine_free(e);
}

/* ---- task health from container health ---- */

typedef struct hc {
  bool essential;
  bool check;
  fecs_health target; /* UNKNOWN: its check never answers */
} hc;

typedef struct task_health_case {
  const char *name;
  hc c[3];
  fecs_health want;
} task_health_case;

#define U FECS_HEALTH_UNKNOWN
#define H FECS_HEALTH_HEALTHY
#define X FECS_HEALTH_UNHEALTHY

static const task_health_case TH_CASES[] = {
    {"all essential checks HEALTHY",
     {{true, true, H}, {true, true, H}, {true, false, U}},
     H},
    {"one essential check still UNKNOWN",
     {{true, true, H}, {true, true, U}, {false, false, U}},
     U},
    {"UNHEALTHY beats UNKNOWN",
     {{true, true, X}, {true, true, U}, {true, true, H}},
     X},
    {"non-essential ignored when an essential has a check",
     {{true, true, H}, {false, true, X}, {false, true, U}},
     H},
    {"non-essential counts when no essential has a check",
     {{true, false, U}, {false, true, X}, {false, true, H}},
     X},
    {"non-essential all HEALTHY, no essential check",
     {{true, false, U}, {false, true, H}, {false, false, U}},
     H},
    {"no checks at all",
     {{true, false, U}, {false, false, U}, {true, false, U}},
     U},
};

static void test_task_health_is_derived_from_containers(void **state) {
  (void)state;
  static const char *const names[] = {"a", "b", "c"};
  for (size_t n = 0; n < sizeof TH_CASES / sizeof TH_CASES[0]; n++) {
    const task_health_case *tc = &TH_CASES[n];
    print_message("case: %s\n", tc->name);
    fecs_container_spec cs[3];
    for (int i = 0; i < 3; i++)
      cs[i] = (fecs_container_spec){
          .name = names[i],
          .essential = tc->c[i].essential,
          .health = {.command = tc->c[i].check ? CHECK : NULL,
                     .n_command = 2,
                     .interval_ms = 5000,
                     .retries = 1}};
    fecs_task_spec spec = {cs, 3};
    fecs_engine *e = tu_engine(&spec, NULL);
    ecsb_err err = {0};
    tu_ok(fecs_engine_start(e, 0, &err), &err);
    for (int i = 0; i < 3; i++)
      tu_started(e, names[i], 0);
    tu_drain(e);
    tu_tick(e, S(5));
    tu_drain(e);
    for (int i = 0; i < 3; i++)
      if (tc->c[i].check && tc->c[i].target != U)
        tu_ok(fecs_engine_health_result(e, names[i], tc->c[i].target == H, S(5),
                                        &err),
              &err);
    assert_int_equal(tu_task(e).health, tc->want);
    fecs_engine_free(e);
  }
}

static void test_no_check_after_sigterm_and_late_results_ignored(void **s) {
  (void)s;
  char buf[TU_BUF];
  ecsb_err err = {0};
  fecs_engine *e = web(5000, 1, 0);
  tu_tick(e, S(5));
  assert_string_equal(tu_actions(e, S(5), buf), "CHECK:web");
  tu_ok(fecs_engine_stop_task(e, NULL, S(6), &err), &err);
  assert_string_equal(tu_actions(e, S(6), buf), "TERM:web");
  tu_drain(e);
  /* The check that was running answers late: ignored. */
  tu_ok(fecs_engine_health_result(e, "web", false, S(7), &err), &err);
  assert_string_equal(tu_events(e, S(7), buf), "");
  assert_int_equal(tu_info(e, "web").health, FECS_HEALTH_UNKNOWN);
  /* Only the SIGKILL is due now, no further check. */
  assert_int_equal(fecs_engine_next_deadline(e), S(36));
  tu_tick(e, S(20));
  assert_string_equal(tu_actions(e, S(20), buf), "");
  fecs_engine_free(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_failures_inside_start_period_do_not_count),
      cmocka_unit_test(test_success_inside_start_period_makes_failures_count),
      cmocka_unit_test(test_retries_consecutive_failures_and_reset),
      cmocka_unit_test(test_flapping_health_reports_every_change),
      cmocka_unit_test(test_next_check_follows_the_previous_completion),
      cmocka_unit_test(test_task_health_is_derived_from_containers),
      cmocka_unit_test(test_no_check_after_sigterm_and_late_results_ignored),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
