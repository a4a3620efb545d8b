/* test_etd_taskdef.c - ecs-taskdef's reading of a task definition: the
 * three shapes become one register-task-definition object (Terraform's
 * array with its family and volumes), ECS's defaults filled in, the
 * normalised containers, every problem when asked for all (and only the
 * first otherwise), and paths in each shape's file. The rules one by one,
 * across every consumer, are test_etd_agree's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "etd/role.h"
#include "etd/taskdef.h"

static etd_taskdef *parse_ok(const char *text, const etd_opts *o) {
  cJSON *j = cJSON_Parse(text);
  assert_non_null(j);
  etd_taskdef *t = NULL;
  ecsb_err err = {0};
  if (etd_parse(j, o, &t, NULL, &err))
    fail_msg("%s: %s", text, err.msg);
  cJSON_Delete(j); /* t holds a copy */
  return t;
}

static void test_three_shapes_become_one(void **state) {
  (void)state;
  static const char body[] =
      "{\"name\":\"a\",\"image\":\"i\",\"essential\":false,"
      "\"mountPoints\":[{\"sourceVolume\":\"data\",\"containerPath\":\"/d\"}]},"
      "{\"name\":\"b\",\"image\":\"i\",\"dependsOn\":[{\"containerName\":\"a\","
      "\"condition\":\"SUCCESS\"}],\"healthCheck\":{\"command\":[\"CMD\","
      "\"true\"],\"interval\":10},\"stopTimeout\":12}]";
  char reg[1024], desc[1100], arr[1024];
  snprintf(reg, sizeof reg,
           "{\"family\":\"web\",\"volumes\":[{\"name\":\"data\"}],"
           "\"containerDefinitions\":[%s}",
           body);
  snprintf(desc, sizeof desc, "{\"taskDefinition\":%s}", reg);
  snprintf(arr, sizeof arr, "[%s", body);
  const char *texts[] = {reg, desc, arr};
  const etd_shape shapes[] = {ETD_SHAPE_REGISTER, ETD_SHAPE_DESCRIBE,
                              ETD_SHAPE_CONTAINERS};
  etd_opts o = {.family = "tf"};
  for (int k = 0; k < 3; k++) {
    etd_taskdef *t = parse_ok(texts[k], &o);
    assert_int_equal(t->shape, shapes[k]);
    assert_string_equal(t->family, k == 2 ? "tf" : "web");
    assert_int_equal(t->n_containers, 2);
    const etd_container *a = &t->containers[0], *b = &t->containers[1];
    assert_false(a->essential);
    assert_true(b->essential); /* ECS's default */
    assert_int_equal(b->n_depends_on, 1);
    assert_string_equal(b->depends_on[0].container, "a");
    assert_int_equal(b->depends_on[0].condition, ETD_DEP_SUCCESS);
    assert_int_equal(b->health.interval_ms, 10000);
    assert_int_equal(b->health.timeout_ms, ETD_HC_TIMEOUT_DEFAULT_MS);
    assert_int_equal(b->health.retries, ETD_HC_RETRIES_DEFAULT);
    assert_int_equal(b->stop_timeout_ms, 12000);
    assert_true(t->any_health_check && t->any_depends_on);
    /* the JSON has ECS's defaults, and the array's task its volume */
    const cJSON *jb = cJSON_GetArrayItem(
        cJSON_GetObjectItem(t->json, "containerDefinitions"), 1);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(jb, "essential")));
    assert_int_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(jb, "healthCheck"), "retries")
            ->valueint,
        3);
    const cJSON *vols = cJSON_GetObjectItem(t->json, "volumes");
    assert_int_equal(cJSON_GetArraySize(vols), 1);
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetArrayItem(vols, 0), "name")->valuestring,
        "data");
    cJSON *owned = etd_taskdef_take_json(t);
    assert_null(t->json);
    etd_taskdef_free(t);
    cJSON_Delete(owned);
  }
  etd_taskdef_free(NULL);
}

static void test_register_only_takes_no_wrapper(void **state) {
  (void)state;
  cJSON *j = cJSON_Parse("[{\"name\":\"a\",\"image\":\"i\"}]");
  etd_opts o = {.register_only = true};
  etd_taskdef *t = NULL;
  etd_problems ps = {0};
  ecsb_err err = {0};
  assert_int_equal(etd_parse(j, &o, &t, &ps, &err), ECSB_EINVAL);
  assert_null(t);
  assert_int_equal(ps.n, 1);
  assert_string_equal(ps.v[0].exception, "SerializationException");
  assert_string_equal(err.msg, "expected a task definition (an object)");
  etd_problems_clear(&ps);
  cJSON_Delete(j);
}

static void test_every_problem_when_asked_the_first_otherwise(void **state) {
  (void)state;
  cJSON *j = cJSON_Parse(
      "{\"family\":\"f\",\"containerDefinitions\":["
      "{\"name\":\"a\",\"image\":\"i\",\"essential\":false,\"dependsOn\":"
      "[{\"containerName\":\"ghost\",\"condition\":\"START\"}]},"
      "{\"name\":\"b\",\"image\":\"i\",\"healthCheck\":{\"command\":[\"nc\","
      "\"-z\"]},\"dependsOn\":[{\"containerName\":\"a\",\"condition\":"
      "\"HEALTHY\"}],\"links\":[\"ghost:g\"]}]}");
  static const struct {
    etd_rule rule;
    int container;
    const char *path;
  } want[] = {
      {ETD_R_HEALTH_COMMAND, 1, "containerDefinitions[1].healthCheck"},
      {ETD_R_UNKNOWN_DEP, 0,
       "containerDefinitions[0].dependsOn[0]."
       "containerName"},
      /* HEALTHY on a without a healthCheck is the agent's to refuse
       * (etd_agent_check), not RegisterTaskDefinition's */
      {ETD_R_UNKNOWN_DEP, 1, "containerDefinitions[1].links[0]"},
  };
  etd_problems ps = {.all = true};
  etd_taskdef *t = NULL;
  ecsb_err err = {0};
  assert_int_equal(etd_parse(j, NULL, &t, &ps, &err), ECSB_EINVAL);
  assert_int_equal(ps.n, 3);
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(ps.v[i].rule, want[i].rule);
    assert_int_equal(ps.v[i].container, want[i].container);
    assert_string_equal(ps.v[i].path, want[i].path);
    assert_string_equal(ps.v[i].exception, "ClientException");
  }
  assert_string_equal(err.msg, ps.v[0].message);
  etd_problems_clear(&ps);
  ps.all = false;
  assert_int_equal(etd_parse(j, NULL, &t, &ps, &err), ECSB_EINVAL);
  assert_int_equal(ps.n, 1);
  etd_problems_clear(&ps);
  cJSON_Delete(j);

  /* A container that cannot be read whole (no image) does not hide the
   * next one's problems; the checks across containers then wait for a
   * task definition whose containers all read. */
  j = cJSON_Parse("{\"family\":\"f\",\"containerDefinitions\":["
                  "{\"name\":\"a\"},{\"name\":\"b\",\"image\":\"i\","
                  "\"essential\":\"yes\"},{\"name\":\"c\"},{\"name\":"
                  "\"d\",\"image\":\"i\",\"healthCheck\":{\"command\":["
                  "\"nc\"]},\"dependsOn\":[{\"containerName\":\"ghost\","
                  "\"condition\":\"START\"}]}]}");
  ps.all = true;
  assert_int_equal(etd_parse(j, NULL, &t, &ps, &err), ECSB_EINVAL);
  assert_int_equal(ps.n, 4);
  assert_string_equal(ps.v[0].path, "containerDefinitions[0].image");
  assert_string_equal(ps.v[1].path, "containerDefinitions[1].essential");
  assert_string_equal(ps.v[2].path, "containerDefinitions[2].image");
  /* d read whole: its own health check is checked, its dependency on a
   * container that does not exist is not (the graph needs them all) */
  assert_string_equal(ps.v[3].path, "containerDefinitions[3].healthCheck");
  etd_problems_clear(&ps);
  cJSON_Delete(j);
}

static void test_paths_in_each_shape(void **state) {
  (void)state;
  static const struct {
    etd_shape shape;
    const char *path, *want;
  } cases[] = {
      {ETD_SHAPE_REGISTER, "containerDefinitions[2].name",
       "$.containerDefinitions[2].name"},
      {ETD_SHAPE_REGISTER, "", "$"},
      {ETD_SHAPE_DESCRIBE, "family", "$.taskDefinition.family"},
      {ETD_SHAPE_CONTAINERS, "containerDefinitions[2].name", "$[2].name"},
      {ETD_SHAPE_CONTAINERS, "containerDefinitions", "$"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char out[128];
    etd_path_in_file(cases[i].shape, cases[i].path, out, sizeof out);
    assert_string_equal(out, cases[i].want);
  }
}

static void test_names_and_conditions(void **state) {
  (void)state;
  assert_true(etd_valid_name("web_1-a"));
  assert_false(etd_valid_name("web 1"));
  assert_false(etd_valid_name(""));
  assert_false(etd_valid_name(NULL));
  char long_name[300];
  memset(long_name, 'a', sizeof long_name - 1);
  long_name[sizeof long_name - 1] = '\0';
  assert_false(etd_valid_name(long_name));
  long_name[255] = '\0';
  assert_true(etd_valid_name(long_name));
  etd_condition c;
  assert_int_equal(etd_condition_parse("HEALTHY", &c), 0);
  assert_int_equal(c, ETD_DEP_HEALTHY);
  assert_string_equal(etd_condition_name(ETD_DEP_COMPLETE), "COMPLETE");
  assert_int_equal(etd_condition_parse("healthy", &c), ECSB_EINVAL);
}

/* The roles that make a task a mesh task (judged by T1-T4, not READY), as
 * the runner and the reports both ask, from a container definition. */
static void test_mesh_roles(void **state) {
  (void)state;
  static const struct {
    const char *def;
    bool mesh;
  } cases[] = {
      {"{\"name\":\"x\",\"image\":\"ecsboot-init:0.1\","
       "\"command\":[\"discover-servers\"]}",
       true},
      {"{\"name\":\"x\",\"image\":\"hashicorp/consul-ecs:0.2\","
       "\"command\":[\"mesh-init\"]}",
       true},
      {"{\"name\":\"x\",\"image\":\"hashicorp/consul:1.15.11\"}", true},
      {"{\"name\":\"x\",\"image\":\"envoyproxy/envoy:v1.26\"}", true},
      {"{\"name\":\"x\",\"image\":\"hashicorp/consul-ecs:0.2\","
       "\"command\":[\"health-sync\"]}",
       false},
      {"{\"name\":\"web\",\"image\":\"nginx\"}", false},
      {"{\"name\":\"x\",\"image\":\"hashicorp/consul:1.15.11\","
       "\"command\":[\"agent\",\"-server\"]}",
       false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cJSON *d = cJSON_Parse(cases[i].def);
    assert_non_null(d);
    const char *role = etd_role_of(d);
    if (etd_role_is_mesh(role) != cases[i].mesh)
      fail_msg("%s: role %s, mesh %d", cases[i].def, role, !cases[i].mesh);
    cJSON_Delete(d);
  }
  assert_false(etd_role_is_mesh(NULL));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_three_shapes_become_one),
      cmocka_unit_test(test_register_only_takes_no_wrapper),
      cmocka_unit_test(test_every_problem_when_asked_the_first_otherwise),
      cmocka_unit_test(test_paths_in_each_shape),
      cmocka_unit_test(test_names_and_conditions),
      cmocka_unit_test(test_mesh_roles),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
