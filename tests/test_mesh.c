/* test_mesh.c - mesh-init's configuration (JSON config and consul-ecs flags,
 * good and bad, with the JSON path or flag in every error) and the two
 * registration payloads, compared as JSON documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/json.h"
#include "ecsb/mesh.h"

static void assert_json_eq(const cJSON *got, const char *want_text) {
  cJSON *want = cJSON_Parse(want_text);
  assert_non_null(want);
  if (!cJSON_Compare(want, got, true)) {
    char *g = cJSON_Print(got), *w = cJSON_Print(want);
    fprintf(stderr, "want:\n%s\ngot:\n%s\n", w, g);
    free(g);
    free(w);
  }
  assert_true(cJSON_Compare(want, got, true));
  cJSON_Delete(want);
}

static const char *full_config =
    "{\"bootstrapDir\": \"/consul\","
    " \"healthSyncContainers\": [\"app\"],"
    " \"service\": {\"name\": \"web\", \"port\": 8080, \"tags\": [\"v1\"],"
    "   \"meta\": {\"team\": \"a\"}, \"enableTagOverride\": true,"
    "   \"weights\": {\"passing\": 3, \"warning\": 1},"
    "   \"checks\": [{\"checkId\": \"web-http\", \"name\": \"HTTP\","
    "     \"http\": \"http://127.0.0.1:8080/health\", \"interval\": \"10s\","
    "     \"timeout\": \"1s\", \"header\": {\"X\": [\"y\"]}}]},"
    " \"proxy\": {\"config\": {\"protocol\": \"http\"},"
    "   \"meshGateway\": {\"mode\": \"local\"},"
    "   \"upstreams\": [{\"destinationName\": \"db\", \"localBindPort\": 5432,"
    "     \"datacenter\": \"dc2\"}, {\"destinationType\": \"prepared_query\","
    "     \"destinationName\": \"q\", \"localBindPort\": 6000,"
    "     \"meshGateway\": {\"mode\": \"remote\"}}]}}";

static void load(ecsb_mesh_config *c, const char *json) {
  ecsb_err err = {0};
  ecsb_mesh_config_init(c);
  int rc = ecsb_mesh_config_apply_json(c, json, strlen(json), "cfg.json", &err);
  if (rc)
    fprintf(stderr, "%s\n", err.msg);
  assert_int_equal(rc, 0);
}

static void test_full_config_gives_exact_payloads(void **state) {
  (void)state;
  ecsb_mesh_config c;
  load(&c, full_config);
  ecsb_err err = {0};
  assert_int_equal(ecsb_mesh_config_validate(&c, &err), 0);
  assert_string_equal(c.bootstrap_file, "/consul/envoy-bootstrap.json");
  ecsb_mesh_ids ids;
  assert_int_equal(ecsb_mesh_ids_make(&c, "family", "abc123", &ids, &err), 0);
  assert_string_equal(ids.service_id, "web-abc123");
  assert_string_equal(ids.proxy_id, "web-abc123-sidecar-proxy");
  const char *arn = "arn:aws:ecs:us-east-1:1:task/c/abc123";
  cJSON *svc = NULL, *proxy = NULL;
  assert_int_equal(
      ecsb_mesh_service_payload(&c, &ids, "abc123", arn, &svc, &err), 0);
  assert_json_eq(
      svc,
      "{\"ID\": \"web-abc123\", \"Name\": \"web\", \"Port\": 8080,"
      " \"Tags\": [\"v1\"],"
      " \"Meta\": {\"task-id\": \"abc123\", \"task-arn\": "
      "\"arn:aws:ecs:us-east-1:1:task/c/abc123\", \"source\": \"consul-ecs\","
      "  \"team\": \"a\"},"
      " \"EnableTagOverride\": true,"
      " \"Weights\": {\"Passing\": 3, \"Warning\": 1},"
      " \"Checks\": [{\"CheckID\": \"web-http\", \"Name\": \"HTTP\","
      "   \"HTTP\": \"http://127.0.0.1:8080/health\", \"Interval\": \"10s\","
      "   \"Timeout\": \"1s\", \"Header\": {\"X\": [\"y\"]}},"
      "  {\"CheckID\": \"web-abc123-app-consul-ecs\","
      "   \"Name\": \"consul ecs synced\","
      "   \"Notes\": \"ecsboot-init health-sync sets this check from the ECS "
      "health status of the app container.\","
      "   \"TTL\": \"100000h\", \"Status\": \"critical\"}]}");
  assert_int_equal(ecsb_mesh_proxy_payload(&c, &ids, "abc123", arn, "10.0.0.5",
                                           &proxy, &err),
                   0);
  assert_json_eq(
      proxy,
      "{\"ID\": \"web-abc123-sidecar-proxy\", \"Name\": "
      "\"web-sidecar-proxy\","
      " \"Kind\": \"connect-proxy\", \"Port\": 20000, \"Tags\": [\"v1\"],"
      " \"Meta\": {\"task-id\": \"abc123\", \"task-arn\": "
      "\"arn:aws:ecs:us-east-1:1:task/c/abc123\", \"source\": \"consul-ecs\","
      "  \"team\": \"a\"},"
      " \"Proxy\": {\"DestinationServiceName\": \"web\","
      "   \"DestinationServiceID\": \"web-abc123\", \"LocalServicePort\": 8080,"
      "   \"Upstreams\": [{\"DestinationType\": \"service\","
      "     \"DestinationName\": \"db\", \"LocalBindPort\": 5432,"
      "     \"Datacenter\": \"dc2\"},"
      "    {\"DestinationType\": \"prepared_query\", \"DestinationName\": "
      "\"q\","
      "     \"LocalBindPort\": 6000, \"MeshGateway\": {\"Mode\": \"remote\"}}],"
      "   \"Config\": {\"protocol\": \"http\"},"
      "   \"MeshGateway\": {\"Mode\": \"local\"}},"
      " \"Checks\": [{\"Name\": \"Proxy Public Listener\", \"TCP\": "
      "\"10.0.0.5:20000\","
      "   \"Interval\": \"10s\", \"DeregisterCriticalServiceAfter\": \"10m\"},"
      "  {\"Name\": \"Destination Alias\", \"AliasService\": "
      "\"web-abc123\"}]}");
  /* Same inputs, same bytes: what makes a re-run idempotent. */
  cJSON *again = NULL;
  assert_int_equal(
      ecsb_mesh_service_payload(&c, &ids, "abc123", arn, &again, &err), 0);
  char *a = ecsb_json_print(svc), *b = ecsb_json_print(again);
  assert_string_equal(a, b);
  free(a);
  free(b);
  cJSON_Delete(again);
  cJSON_Delete(svc);
  cJSON_Delete(proxy);
  ecsb_mesh_config_clear(&c);
}

static void test_flags_only_v01_shape(void **state) {
  (void)state;
  /* consul-ecs v0.1: -envoy-bootstrap-file, -port, -upstreams. */
  ecsb_mesh_config c;
  ecsb_mesh_config_init(&c);
  ecsb_err err = {0};
  c.bootstrap_file = strdup("/consul/envoy-bootstrap.json");
  c.port = 9090;
  assert_int_equal(
      ecsb_mesh_set_upstreams(&c, "db:5432,cache:6379", "-upstreams", &err), 0);
  assert_int_equal(ecsb_mesh_config_validate(&c, &err), 0);
  ecsb_mesh_ids ids;
  assert_int_equal(ecsb_mesh_ids_make(&c, "app-family", "t1", &ids, &err), 0);
  assert_string_equal(ids.service_name, "app-family");
  cJSON *svc = NULL, *proxy = NULL;
  assert_int_equal(ecsb_mesh_service_payload(&c, &ids, "t1", "arn", &svc, &err),
                   0);
  assert_json_eq(svc, "{\"ID\": \"app-family-t1\", \"Name\": \"app-family\","
                      " \"Port\": 9090, \"Tags\": [], \"Meta\": {\"task-id\": "
                      "\"t1\", \"task-arn\": \"arn\", \"source\": "
                      "\"consul-ecs\"}, \"Checks\": []}");
  assert_int_equal(
      ecsb_mesh_proxy_payload(&c, &ids, "t1", "arn", "127.1.0.2", &proxy, &err),
      0);
  const cJSON *ups =
      cJSON_GetObjectItem(cJSON_GetObjectItem(proxy, "Proxy"), "Upstreams");
  assert_json_eq(ups, "[{\"DestinationType\": \"service\", "
                      "\"DestinationName\": \"db\", \"LocalBindPort\": 5432},"
                      " {\"DestinationType\": \"service\", "
                      "\"DestinationName\": \"cache\", \"LocalBindPort\": "
                      "6379}]");
  cJSON_Delete(svc);
  cJSON_Delete(proxy);
  ecsb_mesh_config_clear(&c);
}

static void test_proxy_payload_needs_task_ip(void **state) {
  (void)state;
  ecsb_mesh_config c;
  ecsb_mesh_config_init(&c);
  ecsb_mesh_ids ids;
  ecsb_err err = {0};
  assert_int_equal(ecsb_mesh_ids_make(&c, "f", "t", &ids, &err), 0);
  cJSON *p = NULL;
  assert_int_equal(ecsb_mesh_proxy_payload(&c, &ids, "t", "a", "", &p, &err),
                   ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "IPv4"));
  assert_int_equal(ecsb_mesh_ids_make(&c, "", "t", &ids, &err), ECSB_EINVAL);
}

/* -service-name= as terraform's mesh-task passes it: the family. */
static void test_empty_service_name_is_the_family(void **state) {
  (void)state;
  ecsb_mesh_config c;
  ecsb_mesh_config_init(&c);
  c.service_name = strdup("");
  ecsb_mesh_ids ids;
  ecsb_err err = {0};
  assert_int_equal(ecsb_mesh_ids_make(&c, "fam", "t1", &ids, &err), 0);
  assert_string_equal(ids.service_name, "fam");
  assert_string_equal(ids.service_id, "fam-t1");
  ecsb_mesh_config_clear(&c);
}

static void test_bad_json_configs_name_the_path(void **state) {
  (void)state;
  struct {
    const char *json;
    const char *want;
  } cases[] = {
      {"{\"service\": {\"port\": \"80\"}}",
       "$.service.port: expected a number"},
      {"{\"service\": {\"prot\": 80}}", "$.service.prot: unknown key"},
      {"{\"servise\": {}}", "$.servise: unknown key"},
      {"{\"service\": {\"port\": 70000}}", "$.service.port: 70000 is out of "
                                           "range"},
      {"{\"proxy\": {\"upstreams\": [{\"destinationName\": \"db\"}]}}",
       "$.proxy.upstreams[0].localBindPort: required field missing"},
      {"{\"proxy\": {\"upstreams\": [{\"destinationName\": \"db\", "
       "\"localBindPort\": 0}]}}",
       "$.proxy.upstreams[0].localBindPort: 0 is out of range"},
      {"{\"proxy\": {\"upstreams\": [{\"destinationName\": \"db\", "
       "\"localBindPort\": 1, \"destinationType\": \"x\"}]}}",
       "$.proxy.upstreams[0].destinationType: expected"},
      {"{\"proxy\": {\"upstreams\": [{\"destinationName\": \"a b\", "
       "\"localBindPort\": 1}]}}",
       "$.proxy.upstreams[0].destinationName: \"a b\" is not a valid name"},
      {"{\"proxy\": {\"meshGateway\": {\"mode\": \"far\"}}}",
       "$.proxy.meshGateway.mode: expected"},
      {"{\"service\": {\"checks\": [{\"name\": \"x\", \"http\": \"http://a\", "
       "\"intervall\": \"10s\"}]}}",
       "$.service.checks[0].intervall: unknown check field"},
      {"{\"service\": {\"checks\": [{\"name\": \"x\"}]}}",
       "$.service.checks[0]: a check needs exactly one of"},
      {"{\"service\": {\"checks\": [{\"tcp\": \"a:1\", \"ttl\": \"1s\"}]}}",
       "(found 2)"},
      {"{\"service\": {\"checks\": [{\"http\": \"http://a\"}]}}",
       "$.service.checks[0]: this check needs an Interval"},
      {"{\"service\": {\"checks\": [{\"ttl\": \"10 seconds\"}]}}",
       "$.service.checks[0].ttl: \"10 seconds\" is not a duration"},
      {"{\"service\": {\"checks\": [{\"ttl\": \"1s\", \"status\": \"ok\"}]}}",
       "$.service.checks[0].status: expected \"passing\""},
      {"{\"service\": {\"checks\": [{\"args\": [1], \"interval\": \"1s\"}]}}",
       "$.service.checks[0].args: expected an array of strings"},
      {"{\"service\": {\"checks\": {}}}", "$.service.checks: expected an "
                                          "array"},
      {"{\"service\": {\"meta\": {\"task-id\": \"x\"}}}",
       "$.service.meta.task-id: this key is set by mesh-init itself"},
      {"{\"service\": {\"meta\": {\"k\": 1}}}", "$.service.meta.k: expected a "
                                                "string"},
      {"{\"service\": {\"tags\": [\"a\", 2]}}", "$.service.tags[1]: expected a "
                                                "string"},
      {"{\"service\": {\"weights\": {\"passing\": 1}}}",
       "$.service.weights.warning: required field missing"},
      {"{\"healthSyncContainers\": [\"a b\"]}",
       "$.healthSyncContainers[0]: expected a container name"},
      {"{\"bootstrapDir\": \"/a\", \"bootstrapFile\": \"/b\"}", "not both"},
      {"{\"bootstrapDir\": \"\"}", "$.bootstrapDir: must not be empty"},
      {"{\"service\": {\"port\": 80}", "malformed JSON at byte"},
      {"{\"service\": {}} x", "unexpected data after the JSON document"},
      {"[]", "$: expected an object"},
      {"", "empty document"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ecsb_mesh_config c;
    ecsb_mesh_config_init(&c);
    ecsb_err err = {0};
    int rc = ecsb_mesh_config_apply_json(
        &c, cases[i].json, strlen(cases[i].json), "cfg.json", &err);
    if (rc == 0 || !strstr(err.msg, cases[i].want) ||
        !strstr(err.msg, "cfg.json"))
      fprintf(stderr, "case %zu: rc %d msg \"%s\", want \"%s\"\n", i, rc,
              err.msg, cases[i].want);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(err.msg, cases[i].want));
    assert_non_null(strstr(err.msg, "cfg.json"));
    ecsb_mesh_config_clear(&c);
  }
}

static void test_bad_flags_name_the_flag(void **state) {
  (void)state;
  struct {
    int which; /* 0 upstreams 1 meta 2 tags 3 checks 4 health-sync */
    const char *value;
    const char *want;
  } cases[] = {
      {0, "db", "flag -upstreams: \"db\" is not NAME:PORT"},
      {0, "db:0", "is not NAME:PORT"},
      {0, "db:65536", "is not NAME:PORT"},
      {0, ":80", "is not NAME:PORT"},
      {0, "db:8o", "is not NAME:PORT"},
      {0, "db:1,,c:2", "flag -upstreams: empty item"},
      {0, "d/b:1", "is not a valid service name"},
      {1, "a", "flag -meta: \"a\" is not KEY=VALUE"},
      {1, "=b", "is not KEY=VALUE"},
      {1, "a=1,a=2", "key \"a\" given twice"},
      {1, "{\"a\": 1}", "flag -meta.a: expected a string"},
      {1, "{\"a\": ", "flag -meta: malformed JSON"},
      {1, "source=x", "flag -meta.source: this key is set by mesh-init"},
      {1, "a b=1", "meta key \"a b\" must be 1-128 letters"},
      {1, "k.x=1", "meta key \"k.x\""},
      {2, "a,,b", "flag -tags: empty item"},
      {3, "{}", "flag -checks: expected an array of checks"},
      {3, "[{\"HTTP\": \"http://x\"}]",
       "flag -checks[0]: this check needs an "
       "Interval"},
      {3, "[{\"Foo\": 1}]", "flag -checks[0].Foo: unknown check field"},
      {4, "app,a b",
       "flag -health-sync-containers: \"a b\" is not a valid "
       "name"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ecsb_mesh_config c;
    ecsb_mesh_config_init(&c);
    ecsb_err err = {0};
    int rc = 0;
    switch (cases[i].which) {
    case 0:
      rc = ecsb_mesh_set_upstreams(&c, cases[i].value, "-upstreams", &err);
      break;
    case 1:
      rc = ecsb_mesh_set_meta(&c, cases[i].value, "-meta", &err);
      break;
    case 2:
      rc = ecsb_mesh_set_tags(&c, cases[i].value, "-tags", &err);
      break;
    case 3:
      rc = ecsb_mesh_set_checks(&c, cases[i].value, "-checks", &err);
      break;
    default:
      rc = ecsb_mesh_set_health_sync(&c, cases[i].value,
                                     "-health-sync-containers", &err);
    }
    if (rc == 0 || !strstr(err.msg, cases[i].want))
      fprintf(stderr, "case %zu: rc %d msg \"%s\", want \"%s\"\n", i, rc,
              err.msg, cases[i].want);
    assert_int_equal(rc, ECSB_EINVAL == rc ? rc : ECSB_EPARSE);
    assert_non_null(strstr(err.msg, cases[i].want));
    ecsb_mesh_config_clear(&c);
  }
}

static void test_good_flags(void **state) {
  (void)state;
  ecsb_mesh_config c;
  ecsb_mesh_config_init(&c);
  ecsb_err err = {0};
  assert_int_equal(ecsb_mesh_set_meta(&c, "a=1, b=x=y", "-meta", &err), 0);
  assert_json_eq(c.meta, "{\"a\": \"1\", \"b\": \"x=y\"}");
  /* consul-ecs v0.2 passed -meta as JSON. */
  assert_int_equal(ecsb_mesh_set_meta(&c, "{\"k\": \"v\"}", "-meta", &err), 0);
  assert_json_eq(c.meta, "{\"k\": \"v\"}");
  assert_int_equal(ecsb_mesh_set_tags(&c, "x, y", "-tags", &err), 0);
  assert_json_eq(c.tags, "[\"x\", \"y\"]");
  /* Consul API spelling in any case, ScriptArgs and ID aliases. */
  assert_int_equal(
      ecsb_mesh_set_checks(&c,
                           "[{\"id\": \"c1\", \"NAME\": \"n\", \"ScriptArgs\":"
                           " [\"/bin/true\"], \"interval\": \"5s\","
                           " \"deregistercriticalserviceafter\": \"1m\"},"
                           " {\"AliasService\": \"s\", \"AliasNode\": \"n\"}]",
                           "-checks", &err),
      0);
  assert_json_eq(c.checks, "[{\"CheckID\": \"c1\", \"Name\": \"n\", \"Args\": "
                           "[\"/bin/true\"], \"Interval\": \"5s\","
                           " \"DeregisterCriticalServiceAfter\": \"1m\"},"
                           " {\"AliasService\": \"s\", \"AliasNode\": \"n\"}]");
  assert_int_equal(ecsb_mesh_set_health_sync(&c, "app,sidecar", "-h", &err), 0);
  assert_json_eq(c.health_sync, "[\"app\", \"sidecar\"]");
  ecsb_mesh_config_clear(&c);
}

static void test_validate_cross_field_rules(void **state) {
  (void)state;
  struct {
    const char *ups;
    int port;
    const char *hs;
    const char *want;
  } cases[] = {
      {"db:20000", 80, NULL, "local port 20000 is taken by the proxy"},
      {"db:8080", 8080, NULL, "local port 8080 is taken by the service"},
      {"a:1000,b:1000", 80, NULL, "upstreams 0 and 1 both use local port"},
      {NULL, 20000, NULL, "service port 20000 is the proxy's"},
      {NULL, 80, "app,app", "\"app\" listed twice"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ecsb_mesh_config c;
    ecsb_mesh_config_init(&c);
    ecsb_err err = {0};
    c.bootstrap_file = strdup("/x");
    c.port = cases[i].port;
    if (cases[i].ups)
      assert_int_equal(ecsb_mesh_set_upstreams(&c, cases[i].ups, "-u", &err),
                       0);
    if (cases[i].hs)
      assert_int_equal(ecsb_mesh_set_health_sync(&c, cases[i].hs, "-h", &err),
                       0);
    assert_int_equal(ecsb_mesh_config_validate(&c, &err), ECSB_EINVAL);
    if (!strstr(err.msg, cases[i].want))
      fprintf(stderr, "case %zu: %s\n", i, err.msg);
    assert_non_null(strstr(err.msg, cases[i].want));
    ecsb_mesh_config_clear(&c);
  }
  ecsb_mesh_config c;
  ecsb_mesh_config_init(&c);
  ecsb_err err = {0};
  assert_int_equal(ecsb_mesh_config_validate(&c, &err), ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "-envoy-bootstrap-file"));
  c.bootstrap_file = strdup("/x");
  c.service_name = strdup("bad name");
  assert_int_equal(ecsb_mesh_config_validate(&c, &err), ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "\"bad name\""));
  ecsb_mesh_config_clear(&c);
}

static void test_health_check_id(void **state) {
  (void)state;
  char buf[64];
  assert_int_equal(ecsb_mesh_health_check_id("web-t1", "app", buf, sizeof buf),
                   0);
  assert_string_equal(buf, "web-t1-app-consul-ecs");
  assert_int_equal(ecsb_mesh_health_check_id("web-t1", "app", buf, 8),
                   ECSB_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_full_config_gives_exact_payloads),
      cmocka_unit_test(test_flags_only_v01_shape),
      cmocka_unit_test(test_proxy_payload_needs_task_ip),
      cmocka_unit_test(test_empty_service_name_is_the_family),
      cmocka_unit_test(test_bad_json_configs_name_the_path),
      cmocka_unit_test(test_bad_flags_name_the_flag),
      cmocka_unit_test(test_good_flags),
      cmocka_unit_test(test_validate_cross_field_rules),
      cmocka_unit_test(test_health_check_id),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
