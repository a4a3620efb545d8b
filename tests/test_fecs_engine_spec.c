/* test_fecs_engine_spec.c - the engine's task spec: ECS's defaults, every
 * validation rule (ecs-taskdef's, with RegisterTaskDefinition's messages)
 * naming the field (table), and reading task-definition JSON, including the
 * shipped example task definition. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fecs_engine_testutil.h"

static const char *const CHECK[] = {"CMD", "true"};

/* web (essential) depends on init SUCCESS and proxy HEALTHY. */
typedef struct base {
  fecs_dependency web_deps[2];
  fecs_dependency proxy_deps[1];
  const char *cmd[2];
  fecs_container_spec cs[3];
  fecs_task_spec spec;
} base;

static void base_init(base *b) {
  memset(b, 0, sizeof *b);
  b->web_deps[0] = (fecs_dependency){"init", FECS_DEP_SUCCESS};
  b->web_deps[1] = (fecs_dependency){"proxy", FECS_DEP_HEALTHY};
  b->cmd[0] = CHECK[0];
  b->cmd[1] = CHECK[1];
  b->cs[0] =
      (fecs_container_spec){.name = "web",
                            .essential = true,
                            .depends_on = b->web_deps,
                            .n_depends_on = 2,
                            .health = {.command = b->cmd, .n_command = 2}};
  b->cs[1] = (fecs_container_spec){.name = "init", .essential = false};
  b->cs[2] =
      (fecs_container_spec){.name = "proxy",
                            .essential = true,
                            .health = {.command = b->cmd, .n_command = 2}};
  b->spec = (fecs_task_spec){b->cs, 3};
}

static void test_normalise_fills_ecs_defaults(void **state) {
  (void)state;
  base b;
  base_init(&b);
  fecs_task_spec *n = NULL;
  ecsb_err err = {0};
  tu_ok(fecs_task_spec_normalise(&b.spec, &n, &err), &err);
  const fecs_container_spec *web = &n->containers[0];
  assert_int_equal(web->health.interval_ms, 30000);
  assert_int_equal(web->health.timeout_ms, 5000);
  assert_int_equal(web->health.retries, 3);
  assert_int_equal(web->health.start_period_ms, 0);
  assert_int_equal(web->stop_timeout_ms, 30000);
  assert_int_equal(web->start_timeout_ms, 0);
  /* A deep copy: nothing points back into the caller's spec. */
  assert_string_equal(web->name, "web");
  assert_ptr_not_equal(web->name, b.cs[0].name);
  assert_ptr_not_equal(web->depends_on, b.web_deps);
  assert_string_equal(web->depends_on[1].container, "proxy");
  assert_int_equal(web->depends_on[1].condition, FECS_DEP_HEALTHY);
  assert_ptr_not_equal(web->health.command, b.cmd);
  assert_string_equal(web->health.command[1], "true");
  assert_null(n->containers[1].health.command);
  fecs_task_spec_free(n);
  fecs_task_spec_free(NULL);
}

typedef enum field {
  F_INTERVAL,
  F_TIMEOUT,
  F_RETRIES,
  F_START_PERIOD,
  F_CMD0,
  F_NCMD,
  F_DEP_NAME,
  F_DEP_COND,
  F_NAME,
  F_NO_ESSENTIAL,
  F_START_TIMEOUT,
  F_STOP_TIMEOUT,
  F_NO_CONTAINERS,
  F_CYCLE,
} field;

typedef struct bad_case {
  field f;
  size_t ctr; /* container index */
  size_t dep; /* dependsOn index (F_DEP_*) */
  int64_t num;
  const char *str;
  const char *want; /* substring of the message */
} bad_case;

/* ecs-taskdef's messages, as RegisterTaskDefinition answers them. */
static const bad_case BAD[] = {
    {F_INTERVAL, 0, 0, 3000, NULL,
     "containerDefinitions[0].healthCheck.interval: 3 is outside 5-300"},
    {F_INTERVAL, 2, 0, 301000, NULL,
     "containerDefinitions[2].healthCheck.interval"},
    {F_TIMEOUT, 0, 0, 1000, NULL,
     "containerDefinitions[0].healthCheck.timeout: 1 is outside 2-60"},
    {F_TIMEOUT, 0, 0, 61000, NULL, "healthCheck.timeout"},
    {F_RETRIES, 0, 0, 11, NULL, "healthCheck.retries: 11 is outside 1-10"},
    {F_RETRIES, 0, 0, -1, NULL, "healthCheck.retries: -1"},
    {F_START_PERIOD, 0, 0, 301000, NULL,
     "healthCheck.startPeriod: 301 is outside 0-300"},
    {F_START_PERIOD, 0, 0, -5, NULL, "healthCheck.startPeriod: -0.005"},
    {F_CMD0, 0, 0, 0, "NONE",
     "healthCheck.command[0]: must be \"CMD\" or \"CMD-SHELL\", not \"NONE\""},
    {F_NCMD, 0, 0, 1, NULL,
     "healthCheck.command: needs \"CMD\" or "
     "\"CMD-SHELL\" and a command (1 elements given)"},
    {F_DEP_NAME, 0, 0, 0, "ghost",
     "containerDefinitions[0].dependsOn[0].containerName: no container named "
     "'ghost' in this task definition"},
    {F_DEP_NAME, 0, 1, 0, "web",
     "containerDefinitions[0].dependsOn[1]: container 'web' cannot depend on "
     "itself"},
    {F_DEP_COND, 0, 1, FECS_DEP_COMPLETE, NULL,
     "containerDefinitions[0].dependsOn[1]: a dependency container with "
     "SUCCESS or COMPLETE condition cannot be an essential container "
     "('proxy')"},
    {F_DEP_COND, 0, 1, FECS_DEP_SUCCESS, NULL,
     "cannot be an essential container ('proxy')"},
    /* HEALTHY on init (no healthCheck) is accepted: the agent stops such
     * a task at its start (test_fecs_engine.c) */
    {F_DEP_COND, 0, 0, FECS_DEP_CREATE, NULL,
     "containerDefinitions[0].dependsOn[0].condition: 4 is not START"},
    {F_DEP_COND, 0, 0, 7, NULL,
     "containerDefinitions[0].dependsOn[0].condition: 7 is not START, "
     "COMPLETE, SUCCESS or HEALTHY"},
    {F_NAME, 1, 0, 0, "web",
     "containerDefinitions[1].name: 'web' is used by another container"},
    {F_NAME, 1, 0, 0, "my init",
     "containerDefinitions[1].name: required; up to 255 letters"},
    {F_NAME, 1, 0, 0, "", "containerDefinitions[1].name: required"},
    {F_NO_ESSENTIAL, 0, 0, 0, NULL, "at least one essential container"},
    {F_START_TIMEOUT, 1, 0, -1, NULL,
     "containerDefinitions[1].startTimeout: -0.001 is outside 0-86400"},
    {F_STOP_TIMEOUT, 1, 0, 86400001, NULL, "stopTimeout: 86400.001 is outside"},
    {F_NO_CONTAINERS, 0, 0, 0, NULL,
     "containerDefinitions: required, 1-100 containers (got 0)"},
    {F_CYCLE, 0, 0, 0, NULL,
     "containerDefinitions[0].dependsOn (container 'web'): cycle web -> proxy "
     "-> web"},
};

static void test_validation_names_container_and_field(void **state) {
  (void)state;
  for (size_t n = 0; n < sizeof BAD / sizeof BAD[0]; n++) {
    const bad_case *bc = &BAD[n];
    base b;
    base_init(&b);
    fecs_container_spec *c = &b.cs[bc->ctr];
    switch (bc->f) {
    case F_INTERVAL:
      c->health.interval_ms = bc->num;
      break;
    case F_TIMEOUT:
      c->health.timeout_ms = bc->num;
      break;
    case F_RETRIES:
      c->health.retries = (int)bc->num;
      break;
    case F_START_PERIOD:
      c->health.start_period_ms = bc->num;
      break;
    case F_CMD0:
      b.cmd[0] = bc->str;
      break;
    case F_NCMD:
      c->health.n_command = (size_t)bc->num;
      break;
    case F_DEP_NAME:
      b.web_deps[bc->dep].container = bc->str;
      break;
    case F_DEP_COND:
      b.web_deps[bc->dep].condition = (fecs_dep_condition)bc->num;
      break;
    case F_NAME:
      c->name = bc->str;
      break;
    case F_NO_ESSENTIAL:
      b.cs[0].essential = b.cs[2].essential = false;
      break;
    case F_START_TIMEOUT:
      c->start_timeout_ms = bc->num;
      break;
    case F_STOP_TIMEOUT:
      c->stop_timeout_ms = bc->num;
      break;
    case F_NO_CONTAINERS:
      b.spec.n_containers = 0;
      break;
    case F_CYCLE:
      b.proxy_deps[0] = (fecs_dependency){"web", FECS_DEP_START};
      b.cs[2].depends_on = b.proxy_deps;
      b.cs[2].n_depends_on = 1;
      break;
    }
    fecs_task_spec *out = (fecs_task_spec *)1;
    fecs_engine *e = (fecs_engine *)1;
    ecsb_err err = {0};
    print_message("want: %s\n", bc->want);
    assert_int_equal(fecs_task_spec_normalise(&b.spec, &out, &err),
                     ECSB_EINVAL);
    assert_null(out);
    if (!strstr(err.msg, bc->want))
      fail_msg("got: %s", err.msg);
    /* The engine refuses the same spec with the same message. */
    ecsb_err err2 = {0};
    assert_int_equal(fecs_engine_new(&b.spec, NULL, &e, &err2), ECSB_EINVAL);
    assert_null(e);
    assert_string_equal(err2.msg, err.msg);
  }
}

static void test_from_json_reads_either_shape_in_seconds(void **state) {
  (void)state;
  static const char *const docs[] = {
      "{\"taskDefinition\": {\"family\": \"x\", \"containerDefinitions\": [",
      "{\"family\": \"x\", \"containerDefinitions\": [",
  };
  static const char body[] =
      "{\"name\": \"a\", \"image\": \"i\", \"essential\": false},"
      "{\"name\": \"b\", \"image\": \"i\", \"dependsOn\": [{\"containerName\": "
      "\"a\","
      " \"condition\": \"SUCCESS\"}], \"healthCheck\": {\"command\":"
      " [\"CMD-SHELL\", \"true\"], \"interval\": 10, \"startPeriod\": 5},"
      " \"startTimeout\": 60, \"stopTimeout\": 12}]";
  for (size_t n = 0; n < 2; n++) {
    char text[1024];
    snprintf(text, sizeof text, "%s%s%s", docs[n], body, n == 0 ? "}}" : "}");
    cJSON *j = cJSON_Parse(text);
    assert_non_null(j);
    fecs_task_spec *s = NULL;
    ecsb_err err = {0};
    tu_ok(fecs_task_spec_from_json(j, "$", &s, &err), &err);
    cJSON_Delete(j); /* the spec owns its strings */
    assert_int_equal(s->n_containers, 2);
    const fecs_container_spec *a = &s->containers[0], *b = &s->containers[1];
    assert_string_equal(a->name, "a");
    assert_false(a->essential);
    assert_true(b->essential); /* ECS's default */
    assert_int_equal(b->n_depends_on, 1);
    assert_string_equal(b->depends_on[0].container, "a");
    assert_int_equal(b->depends_on[0].condition, FECS_DEP_SUCCESS);
    assert_int_equal(b->health.n_command, 2);
    assert_string_equal(b->health.command[0], "CMD-SHELL");
    assert_int_equal(b->health.interval_ms, 10000);
    assert_int_equal(b->health.start_period_ms, 5000);
    assert_int_equal(b->health.timeout_ms, 5000);
    assert_int_equal(b->health.retries, 3);
    assert_int_equal(b->start_timeout_ms, 60000);
    assert_int_equal(b->stop_timeout_ms, 12000);
    assert_int_equal(a->stop_timeout_ms, 30000);
    fecs_task_spec_free(s);
  }
}

typedef struct json_case {
  const char *defs; /* the containerDefinitions array */
  const char *want[2];
} json_case;

static const json_case JSON_BAD[] = {
    {"[{\"name\": \"a\", \"image\": \"i\"}, {\"name\": \"b\", \"image\": "
     "\"i\", \"healthCheck\": {\"command\": [\"CMD\", \"x\"], \"interval\": "
     "2}}]",
     {"$.td: ", "containerDefinitions[1].healthCheck.interval: 2 is outside "
                "5-300"}},
    {"[{\"name\": \"a\", \"image\": \"i\", \"dependsOn\": [{\"containerName\":"
     " \"b\", \"condition\": \"READY\"}]}, {\"name\": \"b\", \"image\": "
     "\"i\"}]",
     {"$.td: ", "containerDefinitions[0].dependsOn[0].condition: 'READY' is "
                "not START"}},
    {"[{\"image\": \"x\"}]", {"$.td: containerDefinitions[0].name", ""}},
    {"[{\"name\": \"a\", \"image\": \"i\", \"healthCheck\": {\"command\": "
     "[\"CMD\", 1]}}]",
     {"containerDefinitions[0].healthCheck.command[1]: expected a string", ""}},
    {"[{\"name\": \"a\", \"image\": \"i\", \"healthCheck\": {\"command\": "
     "[\"CMD\", \"x\"], \"retries\": 0}}]",
     {"healthCheck.retries: 0 is outside 1-10", ""}},
    {"[{\"name\": \"a\", \"image\": \"i\", \"healthCheck\": {\"command\": "
     "[\"nc\", \"-z\", \"127.0.0.1\", \"20000\"]}}]",
     {"healthCheck.command[0]: must be \"CMD\" or \"CMD-SHELL\", not \"nc\"",
      ""}},
    {"[{\"name\": \"a\", \"image\": \"i\", \"essential\": \"yes\"}]",
     {"containerDefinitions[0].essential: expected true or false", ""}},
    {"[{\"name\": \"a\", \"image\": \"i\", \"dependsOn\": [{\"containerName\":"
     " \"zz\", \"condition\": \"START\"}]}]",
     {"$.td: containerDefinitions[0].dependsOn[0].containerName: no container "
      "named 'zz' in this task definition",
      ""}},
    {"[]",
     {"$.td: containerDefinitions: required, 1-100 containers (got 0)", ""}},
    {"{}", {"$.td: containerDefinitions: expected a list", ""}},
};

static void test_from_json_errors_name_the_path(void **state) {
  (void)state;
  for (size_t n = 0; n < sizeof JSON_BAD / sizeof JSON_BAD[0]; n++) {
    char text[1024];
    snprintf(text, sizeof text,
             "{\"family\": \"f\", \"containerDefinitions\": %s}",
             JSON_BAD[n].defs);
    cJSON *j = cJSON_Parse(text);
    assert_non_null(j);
    fecs_task_spec *s = (fecs_task_spec *)1;
    ecsb_err err = {0};
    assert_int_not_equal(fecs_task_spec_from_json(j, "$.td", &s, &err), 0);
    assert_null(s);
    for (int k = 0; k < 2; k++)
      if (!strstr(err.msg, JSON_BAD[n].want[k]))
        fail_msg("case %zu: want \"%s\" in: %s", n, JSON_BAD[n].want[k],
                 err.msg);
    cJSON_Delete(j);
  }
}

static void test_the_example_task_definition_runs_to_t3(void **state) {
  (void)state;
  const char *path = ECSB_SOURCE_DIR "/examples/ecsboot-init-taskdef.json";
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  static char text[65536];
  size_t len = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[len] = '\0';
  cJSON *j = cJSON_Parse(text);
  assert_non_null(j);
  fecs_task_spec *s = NULL;
  ecsb_err err = {0};
  tu_ok(fecs_task_spec_from_json(j, "$", &s, &err), &err);
  cJSON_Delete(j);
  fecs_engine *e = tu_engine(s, NULL);
  fecs_task_spec_free(s);
  char buf[TU_BUF];
  tu_ok(fecs_engine_start(e, 0, &err), &err);
  assert_string_equal(tu_actions(e, 0, buf), "START:discover-servers");
  tu_started(e, "discover-servers", 0);
  tu_exited(e, "discover-servers", 0, S(1));
  assert_string_equal(tu_actions(e, S(1), buf),
                      "START:consul-client START:mesh-init");
  tu_started(e, "consul-client", S(1));
  tu_started(e, "mesh-init", S(1));
  tu_exited(e, "mesh-init", 0, S(2));
  assert_string_equal(tu_actions(e, S(2), buf),
                      "START:sidecar-proxy START:health-sync");
  tu_started(e, "sidecar-proxy", S(2));
  tu_started(e, "health-sync", S(2));
  tu_drain(e);
  tu_check(e, "sidecar-proxy", S(32), 0, true);
  assert_string_equal(tu_actions(e, S(32), buf), "START:app");
  /* The app's check: interval 10 s, startPeriod 10 s, from the JSON. */
  tu_started(e, "app", S(33));
  assert_int_equal(fecs_engine_next_deadline(e), S(43));
  assert_int_equal(tu_task(e).status, FECS_TASK_RUNNING);
  fecs_engine_free(e);
}

static void test_condition_names_round_trip(void **state) {
  (void)state;
  static const char *const names[] = {"START", "COMPLETE", "SUCCESS",
                                      "HEALTHY"};
  for (int i = 0; i < 4; i++) {
    fecs_dep_condition c;
    assert_int_equal(fecs_dep_condition_parse(names[i], &c), 0);
    assert_string_equal(fecs_dep_condition_name(c), names[i]);
  }
  fecs_dep_condition c;
  assert_int_equal(fecs_dep_condition_parse("healthy", &c), ECSB_EINVAL);
  assert_int_equal(fecs_dep_condition_parse(NULL, &c), ECSB_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_normalise_fills_ecs_defaults),
      cmocka_unit_test(test_validation_names_container_and_field),
      cmocka_unit_test(test_from_json_reads_either_shape_in_seconds),
      cmocka_unit_test(test_from_json_errors_name_the_path),
      cmocka_unit_test(test_the_example_task_definition_runs_to_t3),
      cmocka_unit_test(test_condition_names_round_trip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
