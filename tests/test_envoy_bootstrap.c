/* test_envoy_bootstrap.c - the Envoy bootstrap generator: each proxy Config
 * key that shapes the bootstrap, errors naming the bad key, TLS, unix
 * sockets, the pretty printer, and the agent-facing wrapper's errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/consul.h"
#include "ecsb/envoy_bootstrap.h"
#include "ecsb/http.h"
#include "init_testutil.h"

static ecsb_envoy_bootstrap_args base_args(const cJSON *cfg) {
  /* The shape tests here describe Consul 1.15's format; every release's
   * differences are tested against its golden files (test_envoy_versions). */
  ecsb_envoy_bootstrap_args a = {.version = {1, 15, 0},
                                 .proxy_id = "web-1-sidecar-proxy",
                                 .cluster = "web",
                                 .source_service = "web",
                                 .datacenter = "dc1",
                                 .grpc_host = "127.1.0.5",
                                 .grpc_port = 8502,
                                 .token = "",
                                 .proxy_config = cfg};
  return a;
}

static cJSON *build_ok(const char *cfg_json) {
  cJSON *cfg = cfg_json ? cJSON_Parse(cfg_json) : NULL;
  ecsb_envoy_bootstrap_args a = base_args(cfg);
  cJSON *doc = NULL;
  ecsb_err err = {0};
  int rc = ecsb_envoy_bootstrap_build(&a, &doc, &err);
  if (rc)
    fprintf(stderr, "%s\n", err.msg);
  assert_int_equal(rc, 0);
  cJSON_Delete(cfg);
  return doc;
}

static void build_err(const char *cfg_json, const char *want) {
  cJSON *cfg = cJSON_Parse(cfg_json);
  assert_non_null(cfg);
  ecsb_envoy_bootstrap_args a = base_args(cfg);
  cJSON *doc = NULL;
  ecsb_err err = {0};
  int rc = ecsb_envoy_bootstrap_build(&a, &doc, &err);
  if (rc == 0 || !strstr(err.msg, want))
    fprintf(stderr, "rc %d msg \"%s\" want \"%s\"\n", rc, err.msg, want);
  assert_int_not_equal(rc, 0);
  assert_null(doc);
  assert_non_null(strstr(err.msg, want));
  cJSON_Delete(cfg);
}

static const cJSON *at(const cJSON *j, const char *path) {
  /* "a.b.0.c" */
  char buf[256];
  snprintf(buf, sizeof buf, "%s", path);
  const cJSON *cur = j;
  for (char *s = NULL, *t = strtok_r(buf, ".", &s); t && cur;
       t = strtok_r(NULL, ".", &s)) {
    if (cJSON_IsArray(cur))
      cur = cJSON_GetArrayItem(cur, atoi(t));
    else
      cur = cJSON_GetObjectItemCaseSensitive(cur, t);
  }
  return cur;
}

static const char *str_at(const cJSON *j, const char *path) {
  const cJSON *v = at(j, path);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void test_defaults_shape(void **state) {
  (void)state;
  cJSON *d = build_ok(NULL);
  assert_string_equal(str_at(d, "node.cluster"), "web");
  assert_string_equal(str_at(d, "node.id"), "web-1-sidecar-proxy");
  assert_string_equal(str_at(d, "node.metadata.namespace"), "default");
  assert_string_equal(str_at(d, "admin.access_log_path"), "/dev/null");
  assert_string_equal(str_at(d, "admin.address.socket_address.address"),
                      "127.0.0.1");
  assert_int_equal(at(d, "admin.address.socket_address.port_value")->valueint,
                   19000);
  assert_string_equal(
      str_at(d, "static_resources.clusters.0.loadAssignment.endpoints.0."
                "lbEndpoints.0.endpoint.address.socket_address.address"),
      "127.1.0.5");
  assert_null(at(d, "static_resources.listeners"));
  assert_null(at(d, "stats_sinks"));
  assert_null(at(d, "tracing"));
  assert_string_equal(str_at(d, "dynamic_resources.ads_config.api_type"),
                      "DELTA_GRPC");
  /* 25 extractors + 5 fixed source tags. */
  assert_int_equal(cJSON_GetArraySize(at(d, "stats_config.stats_tags")), 30);
  cJSON_Delete(d);
}

static void test_prometheus_and_stats_listeners_share_self_admin(void **s) {
  (void)s;
  cJSON *d = build_ok("{\"envoy_prometheus_bind_addr\": \"0.0.0.0:9102\","
                      " \"envoy_stats_bind_addr\": \"0.0.0.0:9103\"}");
  const cJSON *clusters = at(d, "static_resources.clusters");
  assert_int_equal(cJSON_GetArraySize(clusters), 2);
  assert_string_equal(str_at(d, "static_resources.clusters.1.name"),
                      "self_admin");
  assert_int_equal(at(d, "static_resources.clusters.1.loadAssignment."
                         "endpoints.0.lbEndpoints.0.endpoint.address."
                         "socket_address.port_value")
                       ->valueint,
                   19000);
  assert_string_equal(str_at(d, "static_resources.listeners.0.name"),
                      "envoy_prometheus_metrics_listener");
  assert_int_equal(at(d, "static_resources.listeners.0.address."
                         "socket_address.port_value")
                       ->valueint,
                   9102);
  const char *route = "static_resources.listeners.0.filter_chains.0.filters.0."
                      "typedConfig.route_config.virtual_hosts.0.routes.0.";
  char p[512];
  snprintf(p, sizeof p, "%smatch.path", route);
  assert_string_equal(str_at(d, p), "/metrics");
  snprintf(p, sizeof p, "%sroute.prefix_rewrite", route);
  assert_string_equal(str_at(d, p), "/stats/prometheus");
  assert_string_equal(str_at(d, "static_resources.listeners.1.name"),
                      "envoy_metrics_listener");
  cJSON_Delete(d);
}

static void test_extra_clusters_listeners_sinks_are_appended(void **state) {
  (void)state;
  cJSON *d = build_ok(
      "{\"envoy_extra_static_clusters_json\": \"{\\\"name\\\": \\\"a\\\"},"
      " {\\\"name\\\": \\\"self_admin\\\"}\","
      " \"envoy_extra_static_listeners_json\": \"{\\\"name\\\": \\\"l\\\"}\","
      " \"envoy_extra_stats_sinks_json\": \"{\\\"name\\\": \\\"s\\\"}\","
      " \"envoy_prometheus_bind_addr\": \"127.0.0.1:9102\","
      " \"envoy_statsd_url\": \"udp://127.0.0.1:8125\","
      " \"envoy_dogstatsd_url\": \"unix:///var/run/dd.sock\"}");
  /* The user's self_admin cluster is kept and not duplicated. */
  assert_int_equal(cJSON_GetArraySize(at(d, "static_resources.clusters")), 3);
  assert_string_equal(str_at(d, "static_resources.clusters.2.name"),
                      "self_admin");
  assert_string_equal(str_at(d, "static_resources.listeners.0.name"), "l");
  assert_string_equal(str_at(d, "static_resources.listeners.1.name"),
                      "envoy_prometheus_metrics_listener");
  assert_string_equal(str_at(d, "stats_sinks.0.name"),
                      "envoy.stat_sinks.statsd");
  assert_int_equal(
      at(d, "stats_sinks.0.typedConfig.address.socket_address.port_value")
          ->valueint,
      8125);
  assert_string_equal(str_at(d, "stats_sinks.1.name"),
                      "envoy.stat_sinks.dog_statsd");
  assert_string_equal(str_at(d, "stats_sinks.1.typedConfig.address.pipe.path"),
                      "/var/run/dd.sock");
  assert_string_equal(str_at(d, "stats_sinks.2.name"), "s");
  cJSON_Delete(d);
}

static void test_stats_tags_flush_tracing_and_override(void **state) {
  (void)state;
  cJSON *d = build_ok("{\"envoy_stats_tags\": [\"Canary\", \"local_cluster="
                      "mine\"], \"envoy_stats_flush_interval\": \"5s\","
                      " \"envoy_tracing_json\": \"{\\\"http\\\": {}}\"}");
  assert_string_equal(str_at(d, "stats_config.stats_tags.0.tag_name"),
                      "canary");
  assert_string_equal(str_at(d, "stats_config.stats_tags.0.fixed_value"), "1");
  /* A user-set local_cluster replaces the default one. */
  const cJSON *tags = at(d, "stats_config.stats_tags");
  int n_local = 0;
  const cJSON *t;
  cJSON_ArrayForEach(t, tags) {
    const cJSON *n = cJSON_GetObjectItem(t, "tag_name");
    if (strcmp(n->valuestring, "local_cluster") == 0) {
      n_local++;
      assert_string_equal(cJSON_GetObjectItem(t, "fixed_value")->valuestring,
                          "mine");
    }
  }
  assert_int_equal(n_local, 1);
  assert_string_equal(str_at(d, "stats_flush_interval"), "5s");
  assert_true(cJSON_IsObject(at(d, "tracing.http")));
  cJSON_Delete(d);
  /* A comma-separated string works too. */
  d = build_ok("{\"envoy_stats_tags\": \"a=1,b=2\"}");
  assert_string_equal(str_at(d, "stats_config.stats_tags.1.tag_name"), "b");
  cJSON_Delete(d);
  d = build_ok("{\"envoy_stats_config_json\": \"{\\\"use_all_default_tags\\\""
               ": false}\", \"envoy_stats_tags\": [\"x=y\"]}");
  assert_null(at(d, "stats_config.stats_tags"));
  assert_true(cJSON_IsFalse(at(d, "stats_config.use_all_default_tags")));
  cJSON_Delete(d);
}

static void test_bad_config_values_name_the_key(void **state) {
  (void)state;
  build_err("{\"envoy_extra_static_clusters_json\": \"{\\\"name\\\": \"}",
            "$.Proxy.Config.envoy_extra_static_clusters_json (as a JSON "
            "array): malformed JSON");
  build_err("{\"envoy_extra_static_listeners_json\": \"1, 2\"}",
            "envoy_extra_static_listeners_json: item 0 is not a JSON object");
  build_err("{\"envoy_tracing_json\": \"[]\"}",
            "$.Proxy.Config.envoy_tracing_json: expected a JSON object");
  build_err("{\"envoy_stats_config_json\": \"{\"}",
            "envoy_stats_config_json: malformed JSON");
  build_err("{\"envoy_prometheus_bind_addr\": \"9102\"}",
            "$.Proxy.Config.envoy_prometheus_bind_addr: \"9102\"");
  build_err("{\"envoy_stats_bind_addr\": 9102}",
            "$.Proxy.Config.envoy_stats_bind_addr: expected a string");
  build_err("{\"envoy_statsd_url\": \"tcp://1.2.3.4:1\"}",
            "envoy_statsd_url: \"tcp://1.2.3.4:1\": expected udp://");
  build_err("{\"envoy_dogstatsd_url\": \"udp://1.2.3.4\"}",
            "envoy_dogstatsd_url");
  build_err("{\"envoy_stats_tags\": [1]}",
            "$.Proxy.Config.envoy_stats_tags[0]: expected a non-empty");
  build_err("{\"envoy_stats_tags\": {}}", "envoy_stats_tags: expected an "
                                          "array");
}

static void test_statsd_url_from_environment(void **state) {
  (void)state;
  setenv("MY_STATSD", "udp://10.1.2.3:9125", 1);
  setenv("HOST_IP", "10.9.9.9", 1);
  cJSON *d = build_ok("{\"envoy_statsd_url\": \"$MY_STATSD\","
                      " \"envoy_dogstatsd_url\": \"udp://${HOST_IP}:8125\"}");
  assert_string_equal(
      str_at(d, "stats_sinks.0.typedConfig.address.socket_address.address"),
      "10.1.2.3");
  assert_string_equal(
      str_at(d, "stats_sinks.1.typedConfig.address.socket_address.address"),
      "10.9.9.9");
  cJSON_Delete(d);
}

static void test_tls_socket_node_name_and_args_validation(void **state) {
  (void)state;
  ecsb_envoy_bootstrap_args a = base_args(NULL);
  a.grpc_tls = true;
  a.node_name = "ip-10-0-0-1";
  a.ns = "team";
  a.token = "secret-token";
  cJSON *d = NULL;
  ecsb_err err = {0};
  assert_int_equal(ecsb_envoy_bootstrap_build(&a, &d, &err), ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "CA file"));
  a.grpc_ca_pem = "-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----";
  assert_int_equal(ecsb_envoy_bootstrap_build(&a, &d, &err), 0);
  assert_string_equal(
      str_at(d, "static_resources.clusters.0.transport_socket.typed_config."
                "common_tls_context.validation_context.trusted_ca."
                "inline_string"),
      a.grpc_ca_pem);
  assert_string_equal(str_at(d, "node.metadata.node_name"), "ip-10-0-0-1");
  assert_string_equal(str_at(d, "node.metadata.namespace"), "team");
  assert_string_equal(str_at(d, "dynamic_resources.ads_config.grpc_services."
                                "initial_metadata.0.value"),
                      "secret-token");
  cJSON_Delete(d);
  a = base_args(NULL);
  a.grpc_socket = "/consul/grpc.sock";
  assert_int_equal(ecsb_envoy_bootstrap_build(&a, &d, &err), 0);
  assert_string_equal(str_at(d, "static_resources.clusters.0.loadAssignment."
                                "endpoints.0.lbEndpoints.0.endpoint.address."
                                "pipe.path"),
                      "/consul/grpc.sock");
  cJSON_Delete(d);
  a = base_args(NULL);
  a.proxy_id = "";
  assert_int_equal(ecsb_envoy_bootstrap_build(&a, &d, &err), ECSB_EINVAL);
  a = base_args(NULL);
  a.grpc_port = 0;
  assert_int_equal(ecsb_envoy_bootstrap_build(&a, &d, &err), ECSB_EINVAL);
}

static void test_hostile_names_stay_valid_json(void **state) {
  (void)state;
  ecsb_envoy_bootstrap_args a = base_args(NULL);
  a.cluster = "we\"b\\\n";
  cJSON *d = NULL;
  ecsb_err err = {0};
  assert_int_equal(ecsb_envoy_bootstrap_build(&a, &d, &err), 0);
  char *text = ecsb_json_pretty(d);
  cJSON *back = cJSON_Parse(text);
  assert_non_null(back);
  assert_string_equal(str_at(back, "node.cluster"), "we\"b\\\n");
  cJSON_Delete(back);
  free(text);
  cJSON_Delete(d);
}

static void test_pretty_printer(void **state) {
  (void)state;
  cJSON *j = cJSON_Parse("{\"a\": {\"b\": [1, {}, [], \"x,{:}\"]}, \"c\": {}}");
  char *p = ecsb_json_pretty(j);
  assert_string_equal(p, "{\n"
                         "  \"a\": {\n"
                         "    \"b\": [\n"
                         "      1,\n"
                         "      {},\n"
                         "      [],\n"
                         "      \"x,{:}\"\n"
                         "    ]\n"
                         "  },\n"
                         "  \"c\": {}\n"
                         "}\n");
  free(p);
  cJSON_Delete(j);
}

/* ---- the agent-facing wrapper ---------------------------------------- */

static char *from_agent(tu_agent *a, const char *proxy_id, const char *grpc,
                        ecsb_err *err, int *rc) {
  ecsb_consul_flags f = {.http_addr = a->addr, .grpc_addr = grpc};
  ecsb_consul_settings s;
  unsetenv("CONSUL_GRPC_ADDR");
  unsetenv("CONSUL_HTTP_TOKEN");
  unsetenv("CONSUL_HTTP_TOKEN_FILE");
  unsetenv("CONSUL_CACERT");
  assert_int_equal(ecsb_consul_settings_load(&s, &f, err), 0);
  ecsb_consul *c = ecsb_consul_new(&s, err);
  ecsb_envoy_agent_opts o = {.proxy_id = proxy_id, .grpc_addr = grpc};
  char *out = NULL;
  *rc = ecsb_envoy_bootstrap_from_agent(c, &s, NULL, &o, &out, err);
  ecsb_consul_free(c);
  ecsb_consul_settings_clear(&s);
  return out;
}

static void test_agent_errors(void **state) {
  (void)state;
  tu_agent a = {0};
  assert_int_equal(tu_agent_start(&a, NULL), 0);
  ecsb_err err = {0};
  int rc;
  char *out = from_agent(&a, "nope", NULL, &err, &rc);
  assert_int_equal(rc, ECSB_ENOTFOUND);
  assert_non_null(strstr(err.msg, "proxy \"nope\" is not registered"));
  assert_null(out);
  a.raw_service = strdup("{\"Kind\": \"mesh-gateway\", \"Proxy\": "
                         "{\"DestinationServiceName\": \"x\"}}");
  out = from_agent(&a, "gw", NULL, &err, &rc);
  assert_int_equal(rc, ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "not a connect-proxy"));
  free(a.raw_service);
  a.raw_service = strdup("{\"Kind\": \"connect-proxy\", \"Proxy\": {}}");
  out = from_agent(&a, "p", NULL, &err, &rc);
  assert_int_equal(rc, ECSB_ENOTFOUND);
  assert_non_null(strstr(err.msg, "$.Proxy.DestinationServiceName"));
  free(a.raw_service);
  a.raw_service = strdup("{\"Kind\": \"connect-proxy\", \"Proxy\": "
                         "{\"DestinationServiceName\": \"x\"}}");
  /* A host name in the gRPC address is resolved to an IP. */
  out = from_agent(&a, "p", "localhost:8600", &err, &rc);
  assert_int_equal(rc, 0);
  cJSON *d = cJSON_Parse(out);
  const char *ip =
      str_at(d, "static_resources.clusters.0.loadAssignment.endpoints.0."
                "lbEndpoints.0.endpoint.address.socket_address.address");
  assert_true(strcmp(ip, "127.0.0.1") == 0 || strcmp(ip, "::1") == 0);
  cJSON_Delete(d);
  free(out);
  out = from_agent(&a, "p", "https://127.0.0.1:8503", &err, &rc);
  assert_int_equal(rc, ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "CA file"));
  out = from_agent(&a, "p", "ftp://x:1", &err, &rc);
  assert_int_equal(rc, ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "flag -grpc-addr"));
  snprintf(a.self_body, sizeof a.self_body, "{\"Config\": {}}");
  out = from_agent(&a, "p", NULL, &err, &rc);
  assert_int_equal(rc, ECSB_ENOTFOUND);
  assert_non_null(strstr(err.msg, "$.Config.Datacenter"));
  snprintf(a.self_body, sizeof a.self_body, "{\"Config\": ");
  out = from_agent(&a, "p", NULL, &err, &rc);
  assert_int_equal(rc, ECSB_EPARSE);
  assert_non_null(strstr(err.msg, "malformed JSON"));
  tu_agent_stop(&a);
}

static void test_self_parse_old_agents(void **state) {
  (void)state;
  ecsb_consul_self s;
  ecsb_err err = {0};
  const char *old = "{\"Config\": {\"Datacenter\": \"dc9\", \"NodeName\": "
                    "\"n1\"}, \"DebugConfig\": {\"GRPCPort\": 8600}}";
  assert_int_equal(ecsb_consul_self_parse(old, strlen(old), &s, &err), 0);
  assert_string_equal(s.datacenter, "dc9");
  assert_string_equal(s.node_name, "n1");
  assert_int_equal(s.xds_port, 8600);
  assert_false(s.xds_tls);
  const char *bad = "{\"Config\": {\"Datacenter\": \"d\"}, \"xDS\": "
                    "{\"Ports\": {\"Plaintext\": \"x\"}}}";
  assert_int_equal(ecsb_consul_self_parse(bad, strlen(bad), &s, &err),
                   ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "$.xDS.Ports.Plaintext"));
}

/* The xDS port and TLS as `consul connect envoy` 1.14+ picks them from
 * each shape of /v1/agent/self. */
static void test_self_xds_port_choice(void **state) {
  (void)state;
  static const struct {
    const char *xds, *dbg;
    int port;
    bool tls;
  } cases[] = {
      /* TLS preferred; xDS.Port (then the TLS port) is not the plaintext. */
      {"{\"Port\": 8503, \"Ports\": {\"Plaintext\": -1, \"TLS\": 8503}}",
       "{\"GRPCPort\": -1}", 8503, true},
      {"{\"Port\": 8503, \"Ports\": {\"Plaintext\": 8502, \"TLS\": 8503}}",
       "{\"GRPCPort\": 8502}", 8503, true},
      {"{\"Port\": 8502, \"Ports\": {\"Plaintext\": 8502, \"TLS\": 0}}",
       "{\"GRPCPort\": 8502}", 8502, false},
      /* gRPC disabled, however the agent says it. */
      {"{\"Port\": -1, \"Ports\": {\"Plaintext\": -1, \"TLS\": -1}}",
       "{\"GRPCPort\": -1}", -1, false},
      {NULL, "{\"GRPCPort\": -1}", -1, false},
      {NULL, "{\"Version\": \"1.9.1\"}", -1, false},
      {"{\"Ports\": {\"Plaintext\": -1, \"TLS\": -1}}", NULL, -1, false},
      /* Older agents: DebugConfig; 0 leaves the default to the caller. */
      {"{\"Port\": 8502}", "{\"GRPCPort\": 8600}", 8600, false},
      {NULL, "{\"GRPCPort\": 0}", 0, false},
      {"{\"Port\": 8502}", NULL, 8502, false},
      {NULL, NULL, 0, false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char body[512];
    snprintf(body, sizeof body, "{\"Config\": {\"Datacenter\": \"d\"}%s%s%s%s}",
             cases[i].xds ? ", \"xDS\": " : "",
             cases[i].xds ? cases[i].xds : "",
             cases[i].dbg ? ", \"DebugConfig\": " : "",
             cases[i].dbg ? cases[i].dbg : "");
    ecsb_consul_self s;
    ecsb_err err = {0};
    assert_int_equal(ecsb_consul_self_parse(body, strlen(body), &s, &err), 0);
    if (s.xds_port != cases[i].port || s.xds_tls != cases[i].tls)
      fail_msg("case %zu %s: port %d tls %d, want %d %d", i, body, s.xds_port,
               s.xds_tls, cases[i].port, cases[i].tls);
  }
}

int main(void) {
  ecsb_http_global_init(NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults_shape),
      cmocka_unit_test(test_prometheus_and_stats_listeners_share_self_admin),
      cmocka_unit_test(test_extra_clusters_listeners_sinks_are_appended),
      cmocka_unit_test(test_stats_tags_flush_tracing_and_override),
      cmocka_unit_test(test_bad_config_values_name_the_key),
      cmocka_unit_test(test_statsd_url_from_environment),
      cmocka_unit_test(test_tls_socket_node_name_and_args_validation),
      cmocka_unit_test(test_hostile_names_stay_valid_json),
      cmocka_unit_test(test_pretty_printer),
      cmocka_unit_test(test_agent_errors),
      cmocka_unit_test(test_self_parse_old_agents),
      cmocka_unit_test(test_self_xds_port_choice),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  ecsb_http_global_cleanup();
  return rc;
}
