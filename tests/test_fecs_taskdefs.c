/* test_fecs_taskdefs.c - fake-ecs's task definition operations over HTTP:
 * RegisterTaskDefinition with the mesh task of docs/architecture.md (ECS's
 * defaults filled in, the user's fields kept), revisions, Describe by
 * family / family:revision / ARN, List with prefix, status, sort and
 * pagination, Deregister, and every validation error naming its field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fecs_testutil.h"

#define ACCT_REGION "arn:aws:ecs:us-east-1:123456789012:"

typedef struct fx {
  ft_clock clk;
  fecs *f;
} fx;

static fx *fx_new(bool auto_lifecycle) {
  fx *x = calloc(1, sizeof *x);
  fecs_config c;
  fecs_config_default(&c);
  c.throttle = false;
  c.auto_lifecycle = auto_lifecycle;
  x->f = ft_start(&c, &x->clk, NULL);
  return x;
}

static void fx_free(fx *x) {
  fecs_free(x->f);
  free(x);
}

/* ---- task definitions ------------------------------------------------------
 */

static void test_register_and_describe_mesh_task_definition(void **state) {
  (void)state;
  fx *x = fx_new(true);
  cJSON *r =
      ft_ok(x->f, &x->clk, "RegisterTaskDefinition", "%s", ft_mesh_taskdef());
  assert_string_equal(jps(r, "taskDefinition.taskDefinitionArn"),
                      ACCT_REGION "task-definition/web:1");
  assert_int_equal((int)jpn(r, "taskDefinition.revision"), 1);
  assert_string_equal(jps(r, "taskDefinition.status"), "ACTIVE");
  assert_string_equal(jps(r, "tags[0].key"), "team");
  assert_null(jp(r, "taskDefinition.tags"));
  /* ECS's defaults are filled in */
  assert_true(cJSON_IsTrue(jp(r, "taskDefinition.containerDefinitions[4]."
                                 "essential")));
  assert_int_equal((int)jpn(r, "taskDefinition.containerDefinitions[3]."
                               "healthCheck.retries"),
                   3);
  assert_string_equal(jps(r, "taskDefinition.containerDefinitions[3]."
                             "portMappings[0].protocol"),
                      "tcp");
  assert_int_equal((int)jpn(r, "taskDefinition.containerDefinitions[3]."
                               "portMappings[0].hostPort"),
                   20000);
  assert_non_null(jp(r, "taskDefinition.containerDefinitions[0].volumesFrom"));
  assert_true(jpn(r, "taskDefinition.registeredAt") > 1.6e9);
  char *txt =
      cJSON_PrintUnformatted(jp(r, "taskDefinition.requiresAttributes"));
  assert_non_null(strstr(txt, "ecs.capability.container-ordering"));
  assert_non_null(strstr(txt, "ecs.capability.container-health-check"));
  free(txt);
  /* the user's fields come back as sent */
  assert_string_equal(
      jps(r, "taskDefinition.containerDefinitions[2].command[1]"),
      "-envoy-bootstrap-file=/consul/envoy-bootstrap.json");
  assert_string_equal(jps(r, "taskDefinition.containerDefinitions[4]."
                             "dependsOn[1].condition"),
                      "HEALTHY");
  cJSON_Delete(r);
  r = ft_ok(x->f, &x->clk, "RegisterTaskDefinition", "%s", ft_mesh_taskdef());
  assert_int_equal((int)jpn(r, "taskDefinition.revision"), 2);
  cJSON_Delete(r);
  const char *refs[] = {"web", "web:2", ACCT_REGION "task-definition/web:1"};
  const int revs[] = {2, 2, 1};
  for (int i = 0; i < 3; i++) {
    r = ft_ok(x->f, &x->clk, "DescribeTaskDefinition",
              "{\"taskDefinition\":\"%s\",\"include\":[\"TAGS\"]}", refs[i]);
    assert_int_equal((int)jpn(r, "taskDefinition.revision"), revs[i]);
    assert_string_equal(jps(r, "tags[0].value"), "mesh");
    cJSON_Delete(r);
  }
  const char *m =
      ft_fails(x->f, &x->clk, "DescribeTaskDefinition", "ClientException", 400,
               "{\"taskDefinition\":\"web:9\"}");
  assert_non_null(strstr(m, "Unable to describe task definition"));
  fx_free(x);
}

static void
test_register_rejects_bad_definitions_naming_the_field(void **state) {
  (void)state;
  fx *x = fx_new(true);
  static const struct {
    const char *body, *type, *want;
  } cases[] = {
      {"{\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"i\"}]}",
       "ClientException", "family"},
      {"{\"family\":\"x y\",\"containerDefinitions\":[{\"name\":\"a\","
       "\"image\":\"i\"}]}",
       "ClientException", "family"},
      {"{\"family\":\"f\"}", "ClientException", "containerDefinitions"},
      {"{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"a\"}]}",
       "ClientException", "containerDefinitions[0].image"},
      {"{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"a\","
       "\"image\":\"i\",\"essential\":\"yes\"}]}",
       "SerializationException", "containerDefinitions[0].essential"},
      {"{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"a\","
       "\"image\":\"i\"},{\"name\":\"a\",\"image\":\"j\"}]}",
       "ClientException", "containerDefinitions[1].name"},
      {"{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"a\","
       "\"image\":\"i\",\"dependsOn\":[{\"containerName\":\"b\","
       "\"condition\":\"START\"}]}]}",
       "ClientException", "no container named 'b'"},
      {"{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"a\","
       "\"image\":\"i\",\"dependsOn\":[{\"containerName\":\"a\","
       "\"condition\":\"START\"}]}]}",
       "ClientException", "cannot depend on itself"},
      /* HEALTHY on a container without a healthCheck registers (the
       * agent stops the task: test_etd_agree.c); volumesFrom and links
       * naming no container do not */
      {"{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"a\","
       "\"image\":\"i\"},{\"name\":\"b\",\"image\":\"i\",\"volumesFrom\":"
       "[{\"sourceContainer\":\"c\"}]}]}",
       "ClientException",
       "Invalid 'volumesFrom' setting. Unknown container: 'c'."},
      {"{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"a\","
       "\"image\":\"i\"},{\"name\":\"b\",\"image\":\"i\",\"dependsOn\":"
       "[{\"containerName\":\"a\",\"condition\":\"SUCCESS\"}]}]}",
       "ClientException", "cannot be an essential container"},
      {"{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"a\","
       "\"image\":\"i\"},{\"name\":\"b\",\"image\":\"i\",\"dependsOn\":"
       "[{\"containerName\":\"a\",\"condition\":\"DONE\"}]}]}",
       "ClientException", "dependsOn[0].condition"},
      {"{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"a\","
       "\"image\":\"i\",\"mountPoints\":[{\"sourceVolume\":\"v\","
       "\"containerPath\":\"/c\"}]}]}",
       "ClientException", "mountPoints[0].sourceVolume"},
      {"{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"a\","
       "\"image\":\"i\",\"healthCheck\":{\"command\":[\"CMD\",\"true\"],"
       "\"interval\":1}}]}",
       "ClientException", "healthCheck.interval"},
      {"{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"a\","
       "\"image\":\"i\",\"healthCheck\":{\"command\":[]}}]}",
       "ClientException", "healthCheck.command"},
      {"{\"family\":\"f\",\"requiresCompatibilities\":[\"FARGATE\"],"
       "\"cpu\":\"256\",\"memory\":\"512\",\"containerDefinitions\":"
       "[{\"name\":\"a\",\"image\":\"i\"}]}",
       "ClientException", "awsvpc"},
      {"{\"family\":\"f\",\"networkMode\":\"awsvpc\",\"containerDefinitions\":"
       "[{\"name\":\"a\",\"image\":\"i\",\"portMappings\":[{"
       "\"containerPort\":80,\"hostPort\":81}]}]}",
       "ClientException", "portMappings[0]"},
      {"{\"family\":\"f\",\"cpu\":256,\"containerDefinitions\":[{\"name\":"
       "\"a\",\"image\":\"i\"}]}",
       "SerializationException", "cpu"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *m = ft_fails(x->f, &x->clk, "RegisterTaskDefinition",
                             cases[i].type, 400, "%s", cases[i].body);
    if (!strstr(m, cases[i].want))
      fail_msg("case %zu: message '%s' does not name '%s'", i, m,
               cases[i].want);
  }
  /* nothing was registered by the failures */
  cJSON *r = ft_ok(x->f, &x->clk, "ListTaskDefinitions", "{}");
  assert_int_equal(cJSON_GetArraySize(jp(r, "taskDefinitionArns")), 0);
  cJSON_Delete(r);
  fx_free(x);
}

static void test_list_and_deregister_task_definitions(void **state) {
  (void)state;
  fx *x = fx_new(true);
  cJSON_Delete(ft_ok(x->f, &x->clk, "CreateCluster", "{}"));
#define TD_OF_FAMILY                                                           \
  "{\"family\":\"%s\",\"containerDefinitions\":[{\"name\":\"a\",\"image\":"    \
  "\"i\"}]}"
  const char *fams[] = {"beta", "alpha", "beta", "alpha", "alpha"};
  for (int i = 0; i < 5; i++)
    cJSON_Delete(
        ft_ok(x->f, &x->clk, "RegisterTaskDefinition", TD_OF_FAMILY, fams[i]));
  cJSON *r = ft_ok(x->f, &x->clk, "ListTaskDefinitions", "{}");
  const char *want[] = {"alpha:1", "alpha:2", "alpha:3", "beta:1", "beta:2"};
  assert_int_equal(cJSON_GetArraySize(jp(r, "taskDefinitionArns")), 5);
  for (int i = 0; i < 5; i++) {
    char p[32];
    snprintf(p, sizeof p, "taskDefinitionArns[%d]", i);
    assert_non_null(strstr(jps(r, p), want[i]));
  }
  cJSON_Delete(r);
  r = ft_ok(x->f, &x->clk, "ListTaskDefinitions",
            "{\"familyPrefix\":\"be\",\"sort\":\"DESC\",\"maxResults\":1}");
  assert_non_null(strstr(jps(r, "taskDefinitionArns[0]"), "beta:2"));
  cJSON *r2 = ft_ok(x->f, &x->clk, "ListTaskDefinitions",
                    "{\"familyPrefix\":\"be\",\"sort\":\"DESC\","
                    "\"maxResults\":1,\"nextToken\":\"%s\"}",
                    jps(r, "nextToken"));
  assert_non_null(strstr(jps(r2, "taskDefinitionArns[0]"), "beta:1"));
  assert_null(jp(r2, "nextToken"));
  cJSON_Delete(r);
  cJSON_Delete(r2);
  r = ft_ok(x->f, &x->clk, "DeregisterTaskDefinition",
            "{\"taskDefinition\":\"alpha:3\"}");
  assert_string_equal(jps(r, "taskDefinition.status"), "INACTIVE");
  assert_true(jpn(r, "taskDefinition.deregisteredAt") > 0);
  cJSON_Delete(r);
  r = ft_ok(x->f, &x->clk, "ListTaskDefinitions", "{\"status\":\"INACTIVE\"}");
  assert_int_equal(cJSON_GetArraySize(jp(r, "taskDefinitionArns")), 1);
  cJSON_Delete(r);
  /* the family now means its latest ACTIVE revision */
  r = ft_ok(x->f, &x->clk, "DescribeTaskDefinition",
            "{\"taskDefinition\":\"alpha\"}");
  assert_int_equal((int)jpn(r, "taskDefinition.revision"), 2);
  cJSON_Delete(r);
  const char *m = ft_fails(x->f, &x->clk, "RunTask", "ClientException", 400,
                           "{\"taskDefinition\":\"alpha:3\"}");
  assert_non_null(strstr(m, "inactive"));
  ft_fails(x->f, &x->clk, "DeregisterTaskDefinition", "ClientException", 400,
           "{\"taskDefinition\":\"alpha\"}");
  ft_fails(x->f, &x->clk, "ListTaskDefinitions", "InvalidParameterException",
           400, "{\"sort\":\"UP\"}");
  fx_free(x);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_register_and_describe_mesh_task_definition),
      cmocka_unit_test(test_register_rejects_bad_definitions_naming_the_field),
      cmocka_unit_test(test_list_and_deregister_task_definitions),
  };
  ecsb_http_global_init(NULL);
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  ecsb_http_global_cleanup();
  return rc;
}
