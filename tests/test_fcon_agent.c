/*
 * test_fcon_agent.c - fake-consul agent endpoints, in-process: service and
 * check registration (CamelCase and snake_case), the two consul-ecs mesh-init
 * registrations, self/members/join/leave, the no-server errors, and bad
 * requests answered as Consul answers them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/http.h"
#include "fcon_testutil.h"

static const char *str(const cJSON *o, const char *k) {
  return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static const char SERVICE[] =
    "{\"ID\":\"web-abc123\",\"Name\":\"web\",\"Port\":8080,\"Tags\":[],"
    "\"Meta\":{\"task-id\":\"abc123\",\"task-arn\":\"arn:aws:ecs:us-east-1:1:"
    "task/c/abc123\",\"source\":\"consul-ecs\"},\"Checks\":[]}";

static const char PROXY[] =
    "{\"ID\":\"web-abc123-sidecar-proxy\",\"Name\":\"web-sidecar-proxy\","
    "\"Kind\":\"connect-proxy\",\"Port\":20000,\"Tags\":[],"
    "\"Meta\":{\"task-id\":\"abc123\",\"source\":\"consul-ecs\"},"
    "\"Proxy\":{\"DestinationServiceName\":\"web\",\"DestinationServiceID\":"
    "\"web-abc123\",\"LocalServicePort\":8080,\"Upstreams\":[{"
    "\"DestinationType\":\"service\",\"DestinationName\":\"db\","
    "\"LocalBindPort\":1234}]},"
    "\"Checks\":[{\"Name\":\"Proxy Public Listener\",\"TCP\":\"127.0.0.1:"
    "20000\",\"Interval\":\"10s\",\"DeregisterCriticalServiceAfter\":\"10m\"},"
    "{\"Name\":\"Destination Alias\",\"AliasService\":\"web-abc123\"}]}";

static void put_ok(uint16_t port, const char *path, const char *body) {
  char *b = NULL;
  long st = fcon_tu_call(port, "PUT", path, body, &b);
  if (st != 200)
    fail_msg("PUT %s: %ld %s", path, st, b ? b : "");
  free(b);
}

static void test_mesh_init_registrations_reported_back(void **state) {
  (void)state;
  fcon_tu t;
  fcon_tu_start(&t, true, 1.0);
  uint16_t ap = fcon_agent_port(t.agent);
  put_ok(ap, "/v1/agent/service/register", SERVICE);
  put_ok(ap, "/v1/agent/service/register", PROXY);

  cJSON *svcs = fcon_tu_get_json(ap, "/v1/agent/services");
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(svcs, "web-abc123");
  assert_non_null(s);
  assert_string_equal(str(s, "Service"), "web");
  const cJSON *meta = cJSON_GetObjectItemCaseSensitive(s, "Meta");
  assert_string_equal(str(meta, "task-id"), "abc123");
  assert_string_equal(str(meta, "source"), "consul-ecs");
  assert_non_null(str(meta, "task-arn"));
  const cJSON *p =
      cJSON_GetObjectItemCaseSensitive(svcs, "web-abc123-sidecar-proxy");
  assert_non_null(p);
  assert_string_equal(str(p, "Kind"), "connect-proxy");
  assert_int_equal(
      cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(p, "Port")), 20000);
  const cJSON *px = cJSON_GetObjectItemCaseSensitive(p, "Proxy");
  assert_string_equal(str(px, "DestinationServiceID"), "web-abc123");
  const cJSON *up =
      cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(px, "Upstreams"), 0);
  assert_string_equal(str(up, "DestinationName"), "db");
  cJSON_Delete(svcs);

  cJSON *checks = fcon_tu_get_json(ap, "/v1/agent/checks");
  const cJSON *tcp = cJSON_GetObjectItemCaseSensitive(
      checks, "service:web-abc123-sidecar-proxy:1");
  assert_non_null(tcp);
  assert_string_equal(str(tcp, "Name"), "Proxy Public Listener");
  assert_string_equal(str(tcp, "Type"), "tcp");
  assert_string_equal(str(tcp, "ServiceID"), "web-abc123-sidecar-proxy");
  const cJSON *def = cJSON_GetObjectItemCaseSensitive(tcp, "Definition");
  assert_string_equal(str(def, "TCP"), "127.0.0.1:20000");
  assert_string_equal(str(def, "Interval"), "10s");
  assert_string_equal(str(def, "DeregisterCriticalServiceAfter"), "10m0s");
  const cJSON *alias = cJSON_GetObjectItemCaseSensitive(
      checks, "service:web-abc123-sidecar-proxy:2");
  assert_non_null(alias);
  assert_string_equal(str(alias, "Type"), "alias");
  cJSON_Delete(checks);

  /* Through the agent's address, answered by its server. */
  cJSON *h = fcon_tu_get_json(ap, "/v1/health/service/web");
  assert_int_equal(cJSON_GetArraySize(h), 1);
  const cJSON *e = cJSON_GetArrayItem(h, 0);
  assert_string_equal(str(cJSON_GetObjectItemCaseSensitive(e, "Service"), "ID"),
                      "web-abc123");
  assert_string_equal(str(cJSON_GetObjectItemCaseSensitive(e, "Node"), "Node"),
                      "node-1");
  assert_true(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(e, "Checks")));
  cJSON_Delete(h);
  h = fcon_tu_get_json(fcon_server_port(t.srv),
                       "/v1/health/service/web-sidecar-proxy");
  assert_int_equal(cJSON_GetArraySize(h), 1);
  /* serfHealth + the two proxy checks */
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
                       cJSON_GetArrayItem(h, 0), "Checks")),
                   3);
  cJSON_Delete(h);
  /* The proxies for web. */
  h = fcon_tu_get_json(ap, "/v1/health/connect/web");
  assert_int_equal(cJSON_GetArraySize(h), 1);
  assert_string_equal(
      str(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(h, 0), "Service"),
          "ID"),
      "web-abc123-sidecar-proxy");
  cJSON_Delete(h);
  fcon_tu_stop(&t);
}

static void test_register_accepts_snake_case(void **state) {
  (void)state;
  fcon_tu t;
  fcon_tu_start(&t, true, 1.0);
  uint16_t ap = fcon_agent_port(t.agent);
  put_ok(ap, "/v1/agent/service/register",
         "{\"name\":\"api\",\"id\":\"api-1\",\"port\":9000,\"tags\":[\"v1\"],"
         "\"kind\":\"connect-proxy\",\"proxy\":{\"destination_service_name\":"
         "\"x\",\"local_service_port\":80},"
         "\"check\":{\"ttl\":\"30s\",\"deregister_critical_service_after\":"
         "\"1m\",\"status\":\"passing\"}}");
  cJSON *s = fcon_tu_get_json(ap, "/v1/agent/service/api-1");
  assert_string_equal(str(s, "Service"), "api");
  assert_non_null(str(s, "ContentHash"));
  const cJSON *px = cJSON_GetObjectItemCaseSensitive(s, "Proxy");
  assert_string_equal(str(px, "DestinationServiceName"), "x");
  assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(
                       px, "LocalServicePort")),
                   80);
  cJSON_Delete(s);
  cJSON *c = fcon_tu_get_json(ap, "/v1/agent/checks");
  const cJSON *ck = cJSON_GetObjectItemCaseSensitive(c, "service:api-1");
  assert_non_null(ck);
  assert_string_equal(str(ck, "Status"), "passing");
  assert_string_equal(str(ck, "Name"), "Service 'api' check");
  cJSON_Delete(c);
  fcon_tu_stop(&t);
}

static void test_sidecar_service_registers_proxy(void **state) {
  (void)state;
  fcon_tu t;
  fcon_tu_start(&t, true, 1.0);
  uint16_t ap = fcon_agent_port(t.agent);
  put_ok(ap, "/v1/agent/service/register",
         "{\"Name\":\"web\",\"Port\":80,\"Connect\":{\"SidecarService\":{}}}");
  cJSON *s = fcon_tu_get_json(ap, "/v1/agent/service/web-sidecar-proxy");
  assert_string_equal(str(s, "Kind"), "connect-proxy");
  assert_string_equal(
      str(cJSON_GetObjectItemCaseSensitive(s, "Proxy"), "DestinationServiceID"),
      "web");
  cJSON_Delete(s);
  fcon_tu_stop(&t);
}

static void test_ttl_check_pass_warn_fail_update(void **state) {
  (void)state;
  fcon_tu t;
  fcon_tu_start(&t, true, 1.0);
  uint16_t ap = fcon_agent_port(t.agent);
  put_ok(ap, "/v1/agent/service/register",
         "{\"Name\":\"db\",\"Check\":{\"CheckID\":\"db-ttl\",\"TTL\":\"1h\"}}");
  char st[16];
  assert_int_equal(
      fcon_agent_check_status(t.agent, "db-ttl", st, sizeof st, NULL), 0);
  assert_string_equal(st, "critical");
  put_ok(ap, "/v1/agent/check/pass/db-ttl?note=ok", NULL);
  fcon_agent_check_status(t.agent, "db-ttl", st, sizeof st, NULL);
  assert_string_equal(st, "passing");
  cJSON *h = fcon_tu_get_json(ap, "/v1/health/service/db?passing");
  assert_int_equal(cJSON_GetArraySize(h), 1);
  cJSON_Delete(h);
  put_ok(ap, "/v1/agent/check/warn/db-ttl", NULL);
  fcon_agent_check_status(t.agent, "db-ttl", st, sizeof st, NULL);
  assert_string_equal(st, "warning");
  h = fcon_tu_get_json(ap, "/v1/health/service/db?passing");
  assert_int_equal(cJSON_GetArraySize(h), 0);
  cJSON_Delete(h);
  put_ok(ap, "/v1/agent/check/fail/db-ttl", NULL);
  fcon_agent_check_status(t.agent, "db-ttl", st, sizeof st, NULL);
  assert_string_equal(st, "critical");
  put_ok(ap, "/v1/agent/check/update/db-ttl",
         "{\"Status\":\"passing\",\"Output\":\"fine\"}");
  cJSON *c = fcon_tu_get_json(ap, "/v1/agent/checks");
  const cJSON *ck = cJSON_GetObjectItemCaseSensitive(c, "db-ttl");
  assert_string_equal(str(ck, "Status"), "passing");
  assert_string_equal(str(ck, "Output"), "fine");
  cJSON_Delete(c);
  h = fcon_tu_get_json(ap, "/v1/health/state/critical");
  assert_int_equal(cJSON_GetArraySize(h), 0);
  cJSON_Delete(h);
  h = fcon_tu_get_json(ap, "/v1/health/checks/db");
  assert_int_equal(cJSON_GetArraySize(h), 1);
  cJSON_Delete(h);
  fcon_tu_stop(&t);
}

static void test_check_register_and_deregister(void **state) {
  (void)state;
  fcon_tu t;
  fcon_tu_start(&t, true, 1.0);
  uint16_t ap = fcon_agent_port(t.agent);
  put_ok(ap, "/v1/agent/check/register",
         "{\"Name\":\"mem\",\"TTL\":\"10s\",\"Status\":\"warning\"}");
  char st[16];
  assert_int_equal(fcon_agent_check_status(t.agent, "mem", st, sizeof st, NULL),
                   0);
  assert_string_equal(st, "warning");
  put_ok(ap, "/v1/agent/check/deregister/mem", NULL);
  assert_int_equal(fcon_agent_check_status(t.agent, "mem", st, sizeof st, NULL),
                   ECSB_ENOTFOUND);
  assert_int_equal(
      fcon_tu_call(ap, "PUT", "/v1/agent/check/deregister/mem", NULL, NULL),
      404);
  assert_int_equal(fcon_tu_call(ap, "PUT", "/v1/agent/check/register",
                                "{\"Name\":\"x\",\"TTL\":\"1s\","
                                "\"ServiceID\":\"nope\"}",
                                NULL),
                   400);
  fcon_tu_stop(&t);
}

static void test_deregister_removes_service_everywhere(void **state) {
  (void)state;
  fcon_tu t;
  fcon_tu_start(&t, true, 1.0);
  uint16_t ap = fcon_agent_port(t.agent);
  put_ok(ap, "/v1/agent/service/register", SERVICE);
  put_ok(ap, "/v1/agent/service/deregister/web-abc123", NULL);
  cJSON *s = fcon_tu_get_json(ap, "/v1/agent/services");
  assert_int_equal(cJSON_GetArraySize(s), 0);
  cJSON_Delete(s);
  cJSON *c = fcon_tu_get_json(ap, "/v1/catalog/service/web");
  assert_int_equal(cJSON_GetArraySize(c), 0);
  cJSON_Delete(c);
  char *b = NULL;
  assert_int_equal(fcon_tu_call(ap, "PUT",
                                "/v1/agent/service/deregister/web-abc123", NULL,
                                &b),
                   404);
  assert_non_null(strstr(b, "Unknown service ID"));
  free(b);
  assert_int_equal(
      fcon_tu_call(ap, "GET", "/v1/agent/service/web-abc123", NULL, NULL), 404);
  fcon_tu_stop(&t);
}

static void test_replace_existing_checks(void **state) {
  (void)state;
  fcon_tu t;
  fcon_tu_start(&t, true, 1.0);
  uint16_t ap = fcon_agent_port(t.agent);
  put_ok(ap, "/v1/agent/service/register",
         "{\"Name\":\"a\",\"Checks\":[{\"CheckID\":\"c1\",\"TTL\":\"1h\"},"
         "{\"CheckID\":\"c2\",\"TTL\":\"1h\"}]}");
  put_ok(ap, "/v1/agent/service/register?replace-existing-checks",
         "{\"Name\":\"a\",\"Checks\":[{\"CheckID\":\"c3\",\"TTL\":\"1h\"}]}");
  cJSON *c = fcon_tu_get_json(ap, "/v1/agent/checks");
  assert_int_equal(cJSON_GetArraySize(c), 1);
  assert_non_null(cJSON_GetObjectItemCaseSensitive(c, "c3"));
  cJSON_Delete(c);
  fcon_tu_stop(&t);
}

typedef struct bad_case {
  const char *method, *path, *body;
  long status;
  const char *text;
} bad_case;

static void test_bad_requests_answered_as_consul(void **state) {
  (void)state;
  static const bad_case cases[] = {
      {"PUT", "/v1/agent/service/register", "{nope", 400,
       "Request decode failed: "},
      {"PUT", "/v1/agent/service/register", "[1]", 400,
       "Request decode failed: "},
      {"PUT", "/v1/agent/service/register", "{\"Port\":1}", 400,
       "Missing service name"},
      {"PUT", "/v1/agent/service/register", "{\"Name\":\"a\",\"Port\":\"x\"}",
       400, "Request decode failed: "},
      {"PUT", "/v1/agent/service/register",
       "{\"Name\":\"a\",\"Port\":99999999999999999999}", 400,
       "Request decode failed: Port: cannot unmarshal number 1e+20 into an "
       "int"},
      {"PUT", "/v1/agent/service/register", "{\"Name\":\"a\",\"Port\":80.5}",
       400, "Port: cannot unmarshal number 80.5 into an int"},
      {"PUT", "/v1/agent/service/register",
       "{\"Name\":\"a\",\"Proxy\":{\"Upstreams\":[{\"LocalBindPort\":"
       "1e30}]}}",
       400, "Proxy.Upstreams.LocalBindPort: cannot unmarshal number"},
      {"PUT", "/v1/agent/service/register",
       "{\"Name\":\"p\",\"Kind\":\"connect-proxy\",\"Port\":1}", 400,
       "DestinationServiceName"},
      {"PUT", "/v1/agent/service/register",
       "{\"Name\":\"a\",\"Check\":{\"TCP\":\"127.0.0.1:1\"}}", 400,
       "Interval must be > 0"},
      {"PUT", "/v1/agent/service/register",
       "{\"Name\":\"a\",\"Check\":{\"TTL\":\"soon\"}}", 400,
       "Request decode failed: "},
      {"GET", "/v1/agent/service/register", NULL, 405, "method GET"},
      {"POST", "/v1/agent/services", "", 405, "method POST"},
      {"GET", "/v1/agent/check/update/x", NULL, 405, "method GET"},
      {"POST", "/v1/agent/check/pass/x", "", 405, "method POST"},
      {"DELETE", "/v1/agent/service/deregister/x", NULL, 405, "method DELETE"},
      {"GET", "/v1/agent/service/deregister/none", NULL, 404,
       "Unknown service ID"},
      {"PUT", "/v1/agent/check/pass/none", NULL, 404, "Unknown check ID"},
      {"PUT", "/v1/agent/check/update/none", "{\"Status\":\"bad\"}", 400,
       "Invalid check status"},
      {"GET", "/v1/agent/nothing", NULL, 404, "404 page not found"},
      {"GET", "/v1/health/state/bogus", NULL, 400, "Invalid check state"},
      {"PUT", "/v1/catalog/services", NULL, 405, "method PUT"},
  };
  fcon_tu t;
  fcon_tu_start(&t, true, 1.0);
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char *b = NULL;
    long st = fcon_tu_call(fcon_agent_port(t.agent), cases[i].method,
                           cases[i].path, cases[i].body, &b);
    if (st != cases[i].status || !b || !strstr(b, cases[i].text))
      fail_msg("case %zu %s %s: %ld %s", i, cases[i].method, cases[i].path, st,
               b ? b : "(null)");
    free(b);
  }
  fcon_tu_stop(&t);
}

static void
test_unjoined_agent_registers_locally_and_syncs_on_join(void **state) {
  (void)state;
  fcon_tu t;
  fcon_tu_start(&t, false, 1.0);
  uint16_t ap = fcon_agent_port(t.agent);
  put_ok(ap, "/v1/agent/service/register", SERVICE);
  char *b = NULL;
  assert_int_equal(fcon_tu_call(ap, "GET", "/v1/health/service/web", NULL, &b),
                   500);
  assert_string_equal(b, "No known Consul servers");
  free(b);
  assert_int_equal(fcon_tu_call(ap, "GET", "/v1/catalog/services", NULL, NULL),
                   500);
  assert_int_equal(
      fcon_tu_call(ap, "PUT", "/v1/agent/join/10.9.9.9", NULL, NULL), 500);
  assert_false(fcon_agent_joined(t.agent));
  char path[128];
  snprintf(path, sizeof path, "/v1/agent/join/%s", fcon_server_ip(t.srv));
  put_ok(ap, path, NULL);
  assert_true(fcon_agent_joined(t.agent));
  cJSON *c = fcon_tu_get_json(ap, "/v1/catalog/service/web");
  assert_int_equal(cJSON_GetArraySize(c), 1);
  assert_string_equal(str(cJSON_GetArrayItem(c, 0), "ServiceID"), "web-abc123");
  cJSON_Delete(c);
  c = fcon_tu_get_json(ap, "/v1/catalog/services");
  assert_non_null(cJSON_GetObjectItemCaseSensitive(c, "web"));
  assert_non_null(cJSON_GetObjectItemCaseSensitive(c, "consul"));
  cJSON_Delete(c);
  c = fcon_tu_get_json(ap, "/v1/catalog/nodes");
  assert_int_equal(cJSON_GetArraySize(c), 1);
  assert_string_equal(str(cJSON_GetArrayItem(c, 0), "Node"), "node-1");
  cJSON_Delete(c);
  put_ok(ap, "/v1/agent/leave", NULL);
  assert_false(fcon_agent_joined(t.agent));
  c = fcon_tu_get_json(fcon_server_port(t.srv), "/v1/catalog/nodes");
  assert_int_equal(cJSON_GetArraySize(c), 0);
  cJSON_Delete(c);
  fcon_tu_stop(&t);
}

static void test_self_members_and_status(void **state) {
  (void)state;
  fcon_tu t;
  fcon_tu_start(&t, true, 1.0);
  uint16_t ap = fcon_agent_port(t.agent);
  cJSON *s = fcon_tu_get_json(ap, "/v1/agent/self");
  const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(s, "Config");
  assert_string_equal(str(cfg, "Datacenter"), "dc1");
  assert_string_equal(str(cfg, "NodeName"), "node-1");
  assert_non_null(str(cfg, "Version"));
  assert_non_null(
      str(cJSON_GetObjectItemCaseSensitive(s, "DebugConfig"), "Version"));
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(s, "xDS");
  assert_int_equal(
      cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(x, "Port")), 8502);
  const cJSON *ports = cJSON_GetObjectItemCaseSensitive(x, "Ports");
  assert_int_equal(cJSON_GetNumberValue(
                       cJSON_GetObjectItemCaseSensitive(ports, "Plaintext")),
                   8502);
  assert_int_equal(
      cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(ports, "TLS")), -1);
  cJSON_Delete(s);
  s = fcon_tu_get_json(ap, "/v1/agent/members");
  assert_string_equal(str(cJSON_GetArrayItem(s, 0), "Name"), "node-1");
  cJSON_Delete(s);
  char want[64];
  snprintf(want, sizeof want, "%s:8300", fcon_server_ip(t.srv));
  s = fcon_tu_get_json(fcon_server_port(t.srv), "/v1/status/leader");
  assert_string_equal(cJSON_GetStringValue(s), want);
  cJSON_Delete(s);
  s = fcon_tu_get_json(ap, "/v1/status/peers");
  assert_string_equal(cJSON_GetStringValue(cJSON_GetArrayItem(s, 0)), want);
  cJSON_Delete(s);
  fcon_tu_stop(&t);
}

static void test_health_tag_filter(void **state) {
  (void)state;
  fcon_tu t;
  fcon_tu_start(&t, true, 1.0);
  uint16_t ap = fcon_agent_port(t.agent);
  put_ok(ap, "/v1/agent/service/register",
         "{\"Name\":\"w\",\"ID\":\"w1\",\"Tags\":[\"a\",\"b\"]}");
  put_ok(ap, "/v1/agent/service/register",
         "{\"Name\":\"w\",\"ID\":\"w2\",\"Tags\":[\"a\"]}");
  cJSON *h = fcon_tu_get_json(ap, "/v1/health/service/w?tag=a");
  assert_int_equal(cJSON_GetArraySize(h), 2);
  cJSON_Delete(h);
  h = fcon_tu_get_json(ap, "/v1/health/service/w?tag=a&tag=b");
  assert_int_equal(cJSON_GetArraySize(h), 1);
  cJSON_Delete(h);
  h = fcon_tu_get_json(ap, "/v1/catalog/service/w?tag=b");
  assert_int_equal(cJSON_GetArraySize(h), 1);
  cJSON_Delete(h);
  /* No checks: passing. */
  h = fcon_tu_get_json(ap, "/v1/health/service/w?passing");
  assert_int_equal(cJSON_GetArraySize(h), 2);
  cJSON_Delete(h);
  fcon_tu_stop(&t);
}

/* Re-registering exactly what is there changes nothing: the server's index
 * stays put (no sync) and /v1/agent/services is the same text; any
 * difference in the service or its check is synced. */
static void test_identical_reregistration_is_not_a_change(void **state) {
  (void)state;
  fcon_tu t;
  fcon_tu_start(&t, true, 1.0);
  uint16_t ap = fcon_agent_port(t.agent);
  const char *reg = "{\"Name\":\"web\",\"Port\":8080,\"Check\":{\"TTL\":"
                    "\"1h\",\"Status\":\"passing\"}}";
  put_ok(ap, "/v1/agent/service/register", reg);
  uint64_t i0 = fcon_server_index(t.srv);
  char *before = NULL, *after = NULL;
  assert_int_equal(fcon_tu_call(ap, "GET", "/v1/agent/services", NULL, &before),
                   200);
  put_ok(ap, "/v1/agent/service/register", reg);
  assert_int_equal(fcon_server_index(t.srv), i0);
  assert_int_equal(fcon_tu_call(ap, "GET", "/v1/agent/services", NULL, &after),
                   200);
  assert_string_equal(before, after);
  free(after);
  put_ok(ap, "/v1/agent/service/register",
         "{\"Name\":\"web\",\"Port\":8081,\"Check\":{\"TTL\":\"1h\","
         "\"Status\":\"passing\"}}");
  uint64_t i1 = fcon_server_index(t.srv);
  assert_true(i1 > i0);
  assert_int_equal(fcon_tu_call(ap, "GET", "/v1/agent/services", NULL, &after),
                   200);
  assert_non_null(strstr(after, "8081"));
  free(after);
  put_ok(ap, "/v1/agent/service/register",
         "{\"Name\":\"web\",\"Port\":8081,\"Check\":{\"TTL\":\"1h\","
         "\"Status\":\"warning\"}}");
  assert_true(fcon_server_index(t.srv) > i1);
  free(before);
  fcon_tu_stop(&t);
}

int main(void) {
  ecsb_http_global_init(NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mesh_init_registrations_reported_back),
      cmocka_unit_test(test_register_accepts_snake_case),
      cmocka_unit_test(test_sidecar_service_registers_proxy),
      cmocka_unit_test(test_ttl_check_pass_warn_fail_update),
      cmocka_unit_test(test_check_register_and_deregister),
      cmocka_unit_test(test_deregister_removes_service_everywhere),
      cmocka_unit_test(test_replace_existing_checks),
      cmocka_unit_test(test_bad_requests_answered_as_consul),
      cmocka_unit_test(test_unjoined_agent_registers_locally_and_syncs_on_join),
      cmocka_unit_test(test_self_members_and_status),
      cmocka_unit_test(test_health_tag_filter),
      cmocka_unit_test(test_identical_reregistration_is_not_a_change),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  ecsb_http_global_cleanup();
  return rc;
}
