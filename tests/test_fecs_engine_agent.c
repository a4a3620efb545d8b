/* test_fecs_engine_agent.c - what the agent simulator does before a
 * container is created and after it exits, on the virtual clock: image
 * pulls (gated by the ordering, or up front with
 * ECS_PULL_DEPENDENT_CONTAINERS_UPFRONT, shared for one image), the wait
 * for execution-role credentials and its failure, ECS_CONTAINER_START_TIMEOUT,
 * and restartPolicy (restarted, ignored exit code, too soon, task
 * stopping); plus etd_restart_should's rule on its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "etd/agent.h"
#include "fecs_engine_testutil.h"

/* "web" waits for "init" to start; both pull an image. */
static const fecs_dependency WEB_DEPS[] = {{"init", FECS_DEP_START}};
static const fecs_container_spec PAIR[] = {
    {.name = "init", .essential = true, .image = "repo/init:1"},
    {.name = "web",
     .essential = true,
     .image = "repo/web:1",
     .depends_on = WEB_DEPS,
     .n_depends_on = 1},
};
static const fecs_task_spec PAIR_TASK = {PAIR, 2};
static const int64_t PAIR_PULLS[] = {S(10), S(20)};

static void test_pull_waits_for_the_ordering_by_default(void **state) {
  (void)state;
  char buf[TU_BUF];
  ecsb_err err = {0};
  fecs_engine_opts o = {.pull_us = PAIR_PULLS, .n_pull_us = 2};
  fecs_engine *e = tu_engine(&PAIR_TASK, &o);
  tu_ok(fecs_engine_start(e, 0, &err), &err);
  /* init pulls first; web's pull waits until init may be depended on */
  assert_string_equal(tu_actions(e, 0, buf), "");
  assert_non_null(strstr(tu_events(e, 0, buf), "container.pulling:init"));
  assert_null(strstr(buf, "container.pulling:web"));
  assert_int_equal(fecs_engine_next_deadline(e), S(10));
  tu_tick(e, S(10));
  assert_string_equal(tu_events(e, S(10), buf), "container.pulled:init");
  assert_string_equal(tu_actions(e, S(10), buf), "START:init");
  tu_started(e, "init", S(10));
  assert_string_equal(tu_events(e, S(10), buf),
                      "container.started:init container.pulling:web");
  assert_string_equal(tu_actions(e, S(10), buf), "");
  assert_int_equal(tu_info(e, "web").state, FECS_C_PENDING);
  assert_int_equal(tu_task(e).status, FECS_TASK_PENDING);
  assert_int_equal(fecs_engine_next_deadline(e), S(30));
  tu_tick(e, S(30));
  assert_string_equal(tu_events(e, S(30), buf), "container.pulled:web");
  assert_string_equal(tu_actions(e, S(30), buf), "START:web");
  fecs_engine_free(e);
}

static void test_pull_upfront_overlaps_the_dependency(void **state) {
  (void)state;
  char buf[TU_BUF];
  ecsb_err err = {0};
  fecs_engine_opts o = {
      .pull_us = PAIR_PULLS, .n_pull_us = 2, .pull_upfront = true};
  fecs_engine *e = tu_engine(&PAIR_TASK, &o);
  tu_ok(fecs_engine_start(e, 0, &err), &err);
  tu_events(e, 0, buf);
  assert_non_null(strstr(buf, "container.pulling:init"));
  assert_non_null(strstr(buf, "container.pulling:web"));
  tu_tick(e, S(10));
  assert_string_equal(tu_actions(e, S(10), buf), "START:init");
  tu_started(e, "init", S(10));
  tu_drain(e);
  /* pulled, but the ordering still holds it until its own pull ends */
  assert_int_equal(fecs_engine_next_deadline(e), S(20));
  tu_tick(e, S(20));
  assert_string_equal(tu_events(e, S(20), buf), "container.pulled:web");
  assert_string_equal(tu_actions(e, S(20), buf), "START:web");
  fecs_engine_free(e);
}

static void test_pulled_image_is_cached_for_the_next_container(void **state) {
  (void)state;
  char buf[TU_BUF];
  ecsb_err err = {0};
  static const fecs_container_spec same[] = {
      {.name = "init", .essential = true, .image = "repo/same:1"},
      {.name = "web",
       .essential = true,
       .image = "repo/same:1",
       .depends_on = WEB_DEPS,
       .n_depends_on = 1},
  };
  static const fecs_task_spec task = {same, 2};
  static const int64_t pulls[] = {S(10), S(10)};
  fecs_engine_opts o = {.pull_us = pulls, .n_pull_us = 2};
  fecs_engine *e = tu_engine(&task, &o);
  tu_ok(fecs_engine_start(e, 0, &err), &err);
  tu_drain(e);
  tu_tick(e, S(10));
  tu_drain(e);
  tu_started(e, "init", S(11));
  /* no second pull: web starts as soon as init has */
  assert_string_equal(tu_events(e, S(11), buf), "container.started:init");
  assert_string_equal(tu_actions(e, S(11), buf), "START:web");
  fecs_engine_free(e);
}

static void test_one_image_pulling_is_shared(void **state) {
  (void)state;
  char buf[TU_BUF];
  ecsb_err err = {0};
  static const fecs_container_spec same[] = {
      {.name = "a", .essential = true, .image = "repo/same:1"},
      {.name = "b", .essential = true, .image = "repo/same:1"},
  };
  static const fecs_task_spec task = {same, 2};
  static const int64_t pulls[] = {S(10), S(25)};
  fecs_engine_opts o = {.pull_us = pulls, .n_pull_us = 2};
  fecs_engine *e = tu_engine(&task, &o);
  tu_ok(fecs_engine_start(e, 0, &err), &err);
  tu_drain(e);
  assert_int_equal(fecs_engine_next_deadline(e), S(10));
  tu_tick(e, S(10));
  assert_string_equal(tu_events(e, S(10), buf),
                      "container.pulled:a container.pulled:b");
  assert_string_equal(tu_actions(e, S(10), buf), "START:a START:b");
  fecs_engine_free(e);
}

/* "web" needs the execution role (secrets); "side" does not. */
static const fecs_container_spec CREDS[] = {
    {.name = "side", .essential = false},
    {.name = "web", .essential = true, .exec_creds = true},
};
static const fecs_task_spec CREDS_TASK = {CREDS, 2};

static void test_credentials_are_awaited_before_the_pull(void **state) {
  (void)state;
  char buf[TU_BUF];
  ecsb_err err = {0};
  fecs_engine_opts o = {.credentials_us = S(5)};
  fecs_engine *e = tu_engine(&CREDS_TASK, &o);
  tu_ok(fecs_engine_start(e, 0, &err), &err);
  assert_string_equal(tu_actions(e, 0, buf), "START:side");
  tu_drain(e);
  assert_int_equal(fecs_engine_next_deadline(e), S(5));
  tu_tick(e, S(5) - 1);
  assert_string_equal(tu_actions(e, S(5) - 1, buf), "");
  tu_tick(e, S(5));
  assert_string_equal(tu_events(e, S(5), buf), "task.credentials:ok");
  assert_string_equal(tu_actions(e, S(5), buf), "START:web");
  fecs_engine_free(e);
}

static void test_failed_credentials_stop_the_task(void **state) {
  (void)state;
  char buf[TU_BUF];
  ecsb_err err = {0};
  fecs_engine_opts o = {.credentials_us = S(5),
                        .credentials_error = "AccessDeniedException: no"};
  fecs_engine *e = tu_engine(&CREDS_TASK, &o);
  tu_ok(fecs_engine_start(e, 0, &err), &err);
  assert_string_equal(tu_actions(e, 0, buf), "START:side");
  tu_started(e, "side", S(1));
  tu_drain(e);
  tu_tick(e, S(5));
  assert_string_equal(tu_events(e, S(5), buf),
                      "task.credentials:failed "
                      "task.stop_requested:TaskFailedToStart "
                      "task.status:STOPPING container.not_started:web "
                      "container.killed:side=SIGTERM");
  assert_string_equal(tu_actions(e, S(5), buf), "TERM:side");
  fecs_task_info ti = tu_task(e);
  assert_string_equal(ti.stopped_reason,
                      "ResourceInitializationError: unable to pull secrets "
                      "or registry auth: AccessDeniedException: no");
  fecs_engine_free(e);
}

static void test_a_task_without_secrets_ignores_a_failing_fetch(void **state) {
  (void)state;
  char buf[TU_BUF];
  ecsb_err err = {0};
  fecs_engine_opts o = {.credentials_error = "AccessDeniedException: no"};
  fecs_engine *e = tu_engine(&PAIR_TASK, &o);
  tu_ok(fecs_engine_start(e, 0, &err), &err);
  assert_null(strstr(tu_events(e, 0, buf), "task.credentials"));
  assert_string_equal(tu_actions(e, 0, buf), "START:init");
  fecs_engine_free(e);
}

static void test_container_start_timeout_gives_up(void **state) {
  (void)state;
  char buf[TU_BUF];
  ecsb_err err = {0};
  fecs_engine_opts o = {.container_start_timeout_us = S(180)};
  fecs_engine *e = tu_engine(&PAIR_TASK, &o);
  tu_ok(fecs_engine_start(e, 0, &err), &err);
  assert_string_equal(tu_actions(e, 0, buf), "START:init");
  tu_drain(e);
  assert_int_equal(fecs_engine_next_deadline(e), S(180));
  tu_tick(e, S(180));
  assert_string_equal(tu_events(e, S(180), buf),
                      "container.not_started:init "
                      "task.stop_requested:TaskFailedToStart "
                      "task.status:STOPPING container.not_started:web "
                      "task.status:DEPROVISIONING task.status:STOPPED");
  fecs_container_info ci = tu_info(e, "init");
  assert_false(ci.has_exit_code);
  assert_string_equal(ci.reason, "DockerTimeoutError: Could not transition to "
                                 "started; timed out after waiting 3m0s");
  /* a start reported after the agent gave up is refused */
  assert_int_equal(fecs_engine_container_started(e, "init", S(181), &err),
                   ECSB_ESTATE);
  fecs_engine_free(e);
}

static void test_a_start_in_time_is_not_timed_out(void **state) {
  (void)state;
  char buf[TU_BUF];
  ecsb_err err = {0};
  fecs_engine_opts o = {.container_start_timeout_us = S(180)};
  fecs_engine *e = tu_engine(&PAIR_TASK, &o);
  tu_ok(fecs_engine_start(e, 0, &err), &err);
  tu_drain(e);
  tu_started(e, "init", S(179));
  assert_string_equal(tu_actions(e, S(179), buf), "START:web");
  assert_int_equal(fecs_engine_next_deadline(e), S(179) + S(180));
  tu_started(e, "web", S(200));
  tu_drain(e);
  assert_int_equal(fecs_engine_next_deadline(e), FECS_NO_DEADLINE);
  assert_int_equal(tu_task(e).status, FECS_TASK_RUNNING);
  fecs_engine_free(e);
}

/* An essential app with a restart policy (period 60 s, exit 0 ignored). */
static const fecs_container_spec RESTARTING[] = {
    {.name = "app",
     .essential = true,
     .restart = {.enabled = true,
                 .ignored = {0},
                 .n_ignored = 1,
                 .attempt_period_ms = 60000}},
};
static const fecs_task_spec RESTART_TASK = {RESTARTING, 1};

static void test_restart_policy_restarts_an_essential_container(void **state) {
  (void)state;
  char buf[TU_BUF];
  ecsb_err err = {0};
  fecs_engine *e = tu_engine(&RESTART_TASK, NULL);
  tu_ok(fecs_engine_start(e, 0, &err), &err);
  tu_drain(e);
  tu_started(e, "app", S(1));
  tu_drain(e);
  tu_exited(e, "app", 1, S(100));
  assert_string_equal(tu_events(e, S(100), buf),
                      "container.exited:app=1 container.restarting:app=1");
  assert_string_equal(tu_actions(e, S(100), buf), "START:app");
  fecs_task_info ti = tu_task(e);
  assert_false(ti.stop_requested);
  assert_int_equal(ti.status, FECS_TASK_RUNNING);
  tu_started(e, "app", S(101));
  assert_string_equal(tu_events(e, S(101), buf), "container.started:app");
  assert_int_equal(tu_info(e, "app").state, FECS_C_RUNNING);
  /* ran 59 s since the restart: less than restartAttemptPeriod */
  tu_exited(e, "app", 1, S(159));
  assert_string_equal(tu_events(e, S(159), buf),
                      "container.exited:app=1 "
                      "task.stop_requested:EssentialContainerExited "
                      "task.status:DEACTIVATING task.status:STOPPING "
                      "task.status:DEPROVISIONING task.status:STOPPED");
  assert_string_equal(tu_actions(e, S(159), buf), "");
  fecs_engine_free(e);
}

static void test_restart_policy_ignores_listed_exit_codes(void **state) {
  (void)state;
  char buf[TU_BUF];
  ecsb_err err = {0};
  fecs_engine *e = tu_engine(&RESTART_TASK, NULL);
  tu_ok(fecs_engine_start(e, 0, &err), &err);
  tu_drain(e);
  tu_started(e, "app", 0);
  tu_drain(e);
  tu_exited(e, "app", 0, S(100));
  assert_null(strstr(tu_events(e, S(100), buf), "restarting"));
  assert_true(tu_task(e).stop_requested);
  fecs_engine_free(e);
}

static void test_restart_policy_never_restarts_a_stopping_task(void **state) {
  (void)state;
  char buf[TU_BUF];
  ecsb_err err = {0};
  fecs_engine *e = tu_engine(&RESTART_TASK, NULL);
  tu_ok(fecs_engine_start(e, 0, &err), &err);
  tu_drain(e);
  tu_started(e, "app", 0);
  tu_drain(e);
  tu_ok(fecs_engine_stop_task(e, NULL, S(100), &err), &err);
  assert_string_equal(tu_actions(e, S(100), buf), "TERM:app");
  tu_drain(e);
  tu_exited(e, "app", 143, S(101));
  assert_null(strstr(tu_events(e, S(101), buf), "restarting"));
  assert_string_equal(tu_actions(e, S(101), buf), "");
  assert_int_equal(tu_task(e).status, FECS_TASK_STOPPED);
  fecs_engine_free(e);
}

static void test_restart_should_follows_the_restart_tracker(void **state) {
  (void)state;
  etd_restart r = {.enabled = true,
                   .ignored = {0, 137},
                   .n_ignored = 2,
                   .attempt_period_ms = 300000};
  const char *why = NULL;
  assert_true(etd_restart_should(&r, 1, false, S(300), S(300), &why));
  assert_null(why);
  assert_false(etd_restart_should(&r, 1, false, S(299), S(300), &why));
  assert_non_null(strstr(why, "restartAttemptPeriod"));
  assert_false(etd_restart_should(&r, 137, false, S(999), S(300), &why));
  assert_non_null(strstr(why, "ignoredExitCodes"));
  assert_false(etd_restart_should(&r, 1, true, S(999), S(300), &why));
  assert_non_null(strstr(why, "stopping"));
  r.enabled = false;
  assert_false(etd_restart_should(&r, 1, false, S(999), S(300), &why));
  assert_non_null(strstr(why, "not enabled"));
}

static void test_pull_may_begin_follows_the_upfront_setting(void **state) {
  (void)state;
  assert_false(etd_pull_may_begin(false, false, true));
  assert_true(etd_pull_may_begin(false, true, true));
  assert_true(etd_pull_may_begin(true, false, true));
  assert_false(etd_pull_may_begin(true, true, false));
}

/* The agent's config: unset is 3m, under 45s is 45s, else as given. */
static void test_start_timeout_as_the_agent_configures_it(void **state) {
  (void)state;
  assert_int_equal(etd_agent_start_timeout_ms(0), 180000);
  assert_int_equal(etd_agent_start_timeout_ms(10000), 45000);
  assert_int_equal(etd_agent_start_timeout_ms(44999), 45000);
  assert_int_equal(etd_agent_start_timeout_ms(45000), 45000);
  assert_int_equal(etd_agent_start_timeout_ms(600000), 600000);
}

static void test_who_needs_execution_credentials(void **state) {
  (void)state;
  static const struct {
    const char *def;
    bool role, want;
  } cases[] = {
      {"{\"image\":\"i\",\"secrets\":[{\"name\":\"A\",\"valueFrom\":\"x\"}]}",
       false, true},
      {"{\"image\":\"i\",\"secrets\":[]}", true, false},
      {"{\"image\":\"i\",\"repositoryCredentials\":{\"credentialsParameter\":"
       "\"x\"}}",
       false, true},
      {"{\"image\":\"123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1\"}",
       true, true},
      {"{\"image\":\"123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1\"}",
       false, false},
      {"{\"image\":\"public.ecr.aws/hashicorp/consul:1.15\"}", true, false},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    cJSON *d = cJSON_Parse(cases[k].def);
    assert_non_null(d);
    if (etd_needs_execution_credentials(d, cases[k].role) != cases[k].want)
      fail_msg("case %zu: %s", k, cases[k].def);
    cJSON_Delete(d);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pull_waits_for_the_ordering_by_default),
      cmocka_unit_test(test_pull_upfront_overlaps_the_dependency),
      cmocka_unit_test(test_pulled_image_is_cached_for_the_next_container),
      cmocka_unit_test(test_one_image_pulling_is_shared),
      cmocka_unit_test(test_credentials_are_awaited_before_the_pull),
      cmocka_unit_test(test_failed_credentials_stop_the_task),
      cmocka_unit_test(test_a_task_without_secrets_ignores_a_failing_fetch),
      cmocka_unit_test(test_container_start_timeout_gives_up),
      cmocka_unit_test(test_a_start_in_time_is_not_timed_out),
      cmocka_unit_test(test_restart_policy_restarts_an_essential_container),
      cmocka_unit_test(test_restart_policy_ignores_listed_exit_codes),
      cmocka_unit_test(test_restart_policy_never_restarts_a_stopping_task),
      cmocka_unit_test(test_restart_should_follows_the_restart_tracker),
      cmocka_unit_test(test_pull_may_begin_follows_the_upfront_setting),
      cmocka_unit_test(test_start_timeout_as_the_agent_configures_it),
      cmocka_unit_test(test_who_needs_execution_credentials),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
