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
#include <sys/stat.h>

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

/* Consul releases as the agent or -consul-version names them; outside
 * 1.10-1.20 refused, naming the version and the range. */
static void test_consul_version_parse_and_range(void **state) {
  (void)state;
  static const struct {
    const char *in;
    int minor, patch;
  } ok[] = {{"1.15.3", 15, 3},     {"v1.15.3", 15, 3},    {"1.15", 15, 0},
            {"1.16.0-ent", 16, 0}, {"1.17.2+ent", 17, 2}, {"1.20.1-rc1", 20, 1},
            {"1.10.0", 10, 0}};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    ecsb_consul_version v;
    ecsb_err err = {0};
    assert_int_equal(ecsb_consul_version_parse(ok[i].in, "x", &v, &err), 0);
    assert_int_equal(v.major, 1);
    assert_int_equal(v.minor, ok[i].minor);
    assert_int_equal(v.patch, ok[i].patch);
  }
  static const struct {
    const char *in, *want;
  } bad[] = {{"1.9.17", "Consul 1.9.17 is not supported"},
             {"1.21.0", "1.10.0 to 1.20.x"},
             {"2.0.0", "1.10.0 to 1.20.x"},
             {"1", "not a Consul version"},
             {"1.x", "not a Consul version"},
             {"", "not a Consul version"},
             {"1.15.3x", "not a Consul version"},
             {"1.1000000.0", "not a Consul version"}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ecsb_consul_version v;
    ecsb_err err = {0};
    assert_int_equal(
        ecsb_consul_version_parse(bad[i].in, "flag -consul-version", &v, &err),
        ECSB_EINVAL);
    assert_non_null(strstr(err.msg, "flag -consul-version"));
    assert_non_null(strstr(err.msg, bad[i].want));
  }
  ecsb_consul_version z = {0}, v1610 = {1, 16, 4}, v1616 = {1, 16, 5};
  assert_true(ecsb_consul_version_at_least(&z, 1, 20, 0));
  assert_false(ecsb_consul_version_at_least(&v1610, 1, 16, 5));
  assert_true(ecsb_consul_version_at_least(&v1616, 1, 16, 5));
}

static cJSON *build_v(const char *cfg_json, ecsb_envoy_bootstrap_args *a) {
  cJSON *cfg = cfg_json ? cJSON_Parse(cfg_json) : NULL;
  a->proxy_config = cfg;
  cJSON *doc = NULL;
  ecsb_err err = {0};
  int rc = ecsb_envoy_bootstrap_build(a, &doc, &err);
  if (rc)
    fprintf(stderr, "%s\n", err.msg);
  assert_int_equal(rc, 0);
  cJSON_Delete(cfg);
  return doc;
}

/* -prometheus-backend-port and -prometheus-scrape-path, as Consul's
 * prometheus-metrics case shows them (1.10: router without a config). */
static void test_prometheus_backend_port_and_scrape_path(void **state) {
  (void)state;
  ecsb_envoy_bootstrap_args a = base_args(NULL);
  a.version = (ecsb_consul_version){1, 10, 0};
  a.prometheus_backend_port = 20100;
  a.prometheus_scrape_path = "/scrape-path";
  cJSON *d = build_v("{\"envoy_prometheus_bind_addr\": \"0.0.0.0:9000\"}", &a);
  assert_int_equal(cJSON_GetArraySize(at(d, "static_resources.clusters")), 2);
  assert_string_equal(str_at(d, "static_resources.clusters.1.name"),
                      "prometheus_backend");
  assert_string_equal(str_at(d, "static_resources.clusters.1.connect_timeout"),
                      "5s");
  assert_non_null(at(d, "static_resources.clusters.1.http_protocol_options"));
  assert_string_equal(str_at(d, "static_resources.clusters.1.loadAssignment."
                                "endpoints.0.lbEndpoints.0.endpoint.address."
                                "socket_address.address"),
                      "127.0.0.1");
  assert_int_equal(at(d, "static_resources.clusters.1.loadAssignment."
                         "endpoints.0.lbEndpoints.0.endpoint.address."
                         "socket_address.port_value")
                       ->valueint,
                   20100);
  const char *vh = "static_resources.listeners.0.filter_chains.0.filters.0."
                   "typedConfig.route_config.virtual_hosts.0.routes.0.";
  char p[300];
  snprintf(p, sizeof p, "%smatch.path", vh);
  assert_string_equal(str_at(d, p), "/scrape-path");
  snprintf(p, sizeof p, "%sroute.cluster", vh);
  assert_string_equal(str_at(d, p), "prometheus_backend");
  snprintf(p, sizeof p, "%sroute.prefix_rewrite", vh);
  assert_string_equal(str_at(d, p), "/stats/prometheus");
  assert_null(at(d, "static_resources.listeners.0.filter_chains.0.filters.0."
                    "typedConfig.http_filters.0.typedConfig"));
  cJSON_Delete(d);
  /* Without a backend port the scrape path still applies, to self_admin. */
  a = base_args(NULL);
  a.prometheus_scrape_path = "/x";
  d = build_v("{\"envoy_prometheus_bind_addr\": \"0.0.0.0:9000\"}", &a);
  snprintf(p, sizeof p, "%smatch.path", vh);
  assert_string_equal(str_at(d, p), "/x");
  snprintf(p, sizeof p, "%sroute.cluster", vh);
  assert_string_equal(str_at(d, p), "self_admin");
  cJSON_Delete(d);
}

/* The readiness listener, as Consul's envoy-readiness-probe case shows it
 * (in the format of 1.16.5+). */
static void test_ready_bind_listener(void **state) {
  (void)state;
  ecsb_envoy_bootstrap_args a = base_args(NULL);
  a.version = (ecsb_consul_version){1, 20, 0};
  a.ready_host = "127.0.0.1";
  a.ready_port = 21000;
  cJSON *d = build_v(NULL, &a);
  assert_string_equal(str_at(d, "static_resources.clusters.1.name"),
                      "self_admin");
  assert_non_null(cJSON_GetObjectItemCaseSensitive(
      at(d, "static_resources.clusters.1.typed_extension_protocol_options"),
      "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"));
  assert_string_equal(str_at(d, "static_resources.listeners.0.name"),
                      "envoy_ready_listener");
  assert_int_equal(at(d, "static_resources.listeners.0.address.socket_address."
                         "port_value")
                       ->valueint,
                   21000);
  const char *hcm =
      "static_resources.listeners.0.filter_chains.0.filters.0.typedConfig.";
  char p[300];
  snprintf(p, sizeof p, "%sstat_prefix", hcm);
  assert_string_equal(str_at(d, p), "envoy_ready");
  snprintf(p, sizeof p, "%sroute_config.virtual_hosts.0.routes.0.match.path",
           hcm);
  assert_string_equal(str_at(d, p), "/ready");
  snprintf(p, sizeof p,
           "%sroute_config.virtual_hosts.0.routes.0.route.prefix_rewrite", hcm);
  assert_string_equal(str_at(d, p), "/ready");
  snprintf(p, sizeof p, "%shttp_filters.0.typedConfig.@type", hcm);
  assert_non_null(str_at(d, p));
  cJSON_Delete(d);
}

/* envoy_bootstrap_json_tpl: field substitution only; anything else is an
 * error naming the action. */
static void test_bootstrap_template(void **state) {
  (void)state;
  ecsb_envoy_bootstrap_args a = base_args(NULL);
  cJSON *d = build_v("{\"envoy_bootstrap_json_tpl\": \"{\\\"id\\\": \\\"{{ "
                     ".ProxyID }}\\\", \\\"port\\\": {{.AdminBindPort}}, "
                     "\\\"dc\\\": \\\"{{ .Datacenter }}\\\"}\"}",
                     &a);
  assert_string_equal(str_at(d, "id"), "web-1-sidecar-proxy");
  assert_int_equal(at(d, "port")->valueint, 19000);
  assert_string_equal(str_at(d, "dc"), "dc1");
  cJSON_Delete(d);
  build_err("{\"envoy_bootstrap_json_tpl\": \"{{ if .ProxyID }}{}{{ end "
            "}}\"}",
            "unsupported template action \"{{ if .ProxyID }}\"");
  build_err("{\"envoy_bootstrap_json_tpl\": \"{\\\"x\\\": \\\"{{ .Nope "
            "}}\\\"}\"}",
            "envoy_bootstrap_json_tpl: unsupported template action");
  build_err("{\"envoy_bootstrap_json_tpl\": \"[{{ .ProxyID }}]\"}",
            "envoy_bootstrap_json_tpl (rendered)");
}

/* Proxy.AccessLogs (1.15+) replaces the admin log; bad values are named;
 * releases before 1.15 ignore it. */
static void test_access_logs(void **state) {
  (void)state;
  cJSON *al = cJSON_Parse("{\"Enabled\": true, \"Type\": \"stderr\", "
                          "\"JSONFormat\": \"{\\\"a\\\": \\\"%START_TIME%\\\"}"
                          "\"}");
  ecsb_envoy_bootstrap_args a = base_args(NULL);
  a.access_logs = al;
  cJSON *d = build_v(NULL, &a);
  assert_string_equal(str_at(d, "admin.access_log.0.typedConfig.@type"),
                      "type.googleapis.com/envoy.extensions.access_loggers."
                      "stream.v3.StderrAccessLog");
  assert_string_equal(
      str_at(d, "admin.access_log.0.typedConfig.logFormat.jsonFormat.a"),
      "%START_TIME%");
  assert_null(at(d, "admin.access_log_path"));
  cJSON_Delete(d);
  a = base_args(NULL);
  a.version = (ecsb_consul_version){1, 14, 0};
  a.access_logs = al;
  d = build_v(NULL, &a);
  assert_string_equal(str_at(d, "admin.access_log_path"), "/dev/null");
  cJSON_Delete(d);
  cJSON_Delete(al);
  static const struct {
    const char *json, *want;
  } bad[] = {
      {"{\"Enabled\": true, \"Type\": \"syslog\"}", "$.Proxy.AccessLogs.Type"},
      {"{\"Enabled\": true, \"Type\": \"file\"}", "$.Proxy.AccessLogs.Path"},
      {"{\"Enabled\": true, \"JSONFormat\": \"{}\", \"TextFormat\": \"x\"}",
       "exclusive"},
      {"{\"Enabled\": true, \"JSONFormat\": \"[1]\"}", "JSONFormat"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    a = base_args(NULL);
    a.access_logs = cJSON_Parse(bad[i].json);
    cJSON *doc = NULL;
    ecsb_err err = {0};
    assert_int_not_equal(ecsb_envoy_bootstrap_build(&a, &doc, &err), 0);
    assert_null(doc);
    assert_non_null(strstr(err.msg, bad[i].want));
    cJSON_Delete((cJSON *)a.access_logs);
  }
}

/* -ca-path: every certificate file of the folder, in name order, is
 * Envoy's CA for gRPC TLS; a folder without one is an error naming the
 * flag; -ca-file wins. */
static void test_ca_path_folder_is_the_grpc_ca(void **state) {
  (void)state;
  tu_agent ag = {0};
  assert_int_equal(tu_agent_start(&ag, NULL), 0);
  ag.raw_service = strdup("{\"Kind\": \"connect-proxy\", \"Proxy\": "
                          "{\"DestinationServiceName\": \"x\"}}");
  char *dir = tu_tmpdir(), p[1200];
  static const char *const files[][2] = {
      {"b.pem", "-----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----"
                "\n\n"},
      {"a.crt", "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----"
                "\n"},
      {"README", "not a certificate\n"}};
  for (size_t i = 0; i < 3; i++) {
    snprintf(p, sizeof p, "%s/%s", dir, files[i][0]);
    FILE *fp = fopen(p, "w");
    fputs(files[i][1], fp);
    fclose(fp);
  }
  ecsb_consul_flags f = {.http_addr = ag.addr};
  ecsb_consul_settings s;
  ecsb_err err = {0};
  unsetenv("CONSUL_CACERT");
  unsetenv("CONSUL_CAPATH");
  unsetenv("CONSUL_GRPC_ADDR");
  assert_int_equal(ecsb_consul_settings_load(&s, &f, &err), 0);
  ecsb_consul *c = ecsb_consul_new(&s, &err);
  ecsb_envoy_agent_opts o = {
      .proxy_id = "p", .grpc_addr = "https://127.0.0.1:8503", .ca_path = dir};
  assert_int_equal(ecsb_envoy_agent_opts_check(&s, &o, &err), 0);
  char *out = NULL;
  assert_int_equal(ecsb_envoy_bootstrap_from_agent(c, &s, NULL, &o, &out, &err),
                   0);
  cJSON *d = cJSON_Parse(out);
  assert_string_equal(
      str_at(d, "static_resources.clusters.0.transport_socket.typed_config."
                "common_tls_context.validation_context.trusted_ca."
                "inline_string"),
      "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n"
      "-----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----\n");
  cJSON_Delete(d);
  free(out);
  /* A folder without certificates, and one that does not exist. */
  char empty[1200];
  snprintf(empty, sizeof empty, "%s/empty", dir);
  assert_int_equal(mkdir(empty, 0755), 0);
  o.ca_path = empty;
  assert_int_equal(ecsb_envoy_agent_opts_check(&s, &o, &err), ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "flag -ca-path"));
  assert_non_null(strstr(err.msg, "no PEM certificate"));
  snprintf(empty, sizeof empty, "%s/missing", dir);
  assert_int_equal(ecsb_envoy_agent_opts_check(&s, &o, &err), ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "flag -ca-path"));
  /* -ca-file wins over -ca-path. */
  snprintf(p, sizeof p, "%s/a.crt", dir);
  o.ca_file = p;
  out = NULL;
  assert_int_equal(ecsb_envoy_bootstrap_from_agent(c, &s, NULL, &o, &out, &err),
                   0);
  d = cJSON_Parse(out);
  assert_string_equal(
      str_at(d, "static_resources.clusters.0.transport_socket.typed_config."
                "common_tls_context.validation_context.trusted_ca."
                "inline_string"),
      "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n");
  cJSON_Delete(d);
  free(out);
  ecsb_consul_free(c);
  ecsb_consul_settings_clear(&s);
  tu_agent_stop(&ag);
  tu_rmtree(dir);
  free(dir);
}

/* The readiness listener for a release without it (before 1.13.6,
 * 1.14.4, 1.15: forced, or the agent's) is refused, naming the release;
 * Consul's two flags need each other; -ready-bind is the same listener. */
static void test_ready_bind_needs_a_release_with_it(void **state) {
  (void)state;
  tu_agent ag = {0};
  snprintf(ag.self_body, sizeof ag.self_body,
           "{\"Config\": {\"Datacenter\": \"dc1\", \"Version\": \"1.14.3\"}}");
  assert_int_equal(tu_agent_start(&ag, NULL), 0);
  ag.raw_service = strdup("{\"Kind\": \"connect-proxy\", \"Proxy\": "
                          "{\"DestinationServiceName\": \"x\"}}");
  ecsb_consul_flags f = {.http_addr = ag.addr};
  ecsb_consul_settings s;
  ecsb_err err = {0};
  unsetenv("ECSBOOT_CONSUL_VERSION");
  assert_int_equal(ecsb_consul_settings_load(&s, &f, &err), 0);
  ecsb_consul *c = ecsb_consul_new(&s, &err);
  ecsb_envoy_agent_opts o = {.proxy_id = "p",
                             .ready_bind_address = "127.0.0.1",
                             .ready_bind_port = 21000};
  /* Not known before asking the agent. */
  assert_int_equal(ecsb_envoy_agent_opts_check(&s, &o, &err), 0);
  char *out = NULL;
  assert_int_equal(ecsb_envoy_bootstrap_from_agent(c, &s, NULL, &o, &out, &err),
                   ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "flag -envoy-ready-bind-address/-port: the "
                                  "readiness listener needs Consul 1.13.6, "
                                  "1.14.4, 1.15 or later"));
  assert_non_null(strstr(err.msg, "1.14.3"));
  static const char *const ok[] = {"1.13.6", "1.14.4", "1.15.0", "1.20"};
  for (size_t i = 0; i < 4; i++) {
    o.consul_version = ok[i];
    assert_int_equal(
        ecsb_envoy_bootstrap_from_agent(c, &s, NULL, &o, &out, &err), 0);
    assert_non_null(strstr(out, "envoy_ready_listener"));
    free(out);
  }
  o.consul_version = "1.13.5";
  assert_int_equal(ecsb_envoy_agent_opts_check(&s, &o, &err), ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "1.13.5"));
  /* One of Consul's two flags alone, or both spellings at once. */
  o.consul_version = NULL;
  o.ready_bind_port = 0;
  assert_int_equal(ecsb_envoy_agent_opts_check(&s, &o, &err), ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "flag -envoy-ready-bind-address needs "
                                  "-envoy-ready-bind-port"));
  o.ready_bind_port = 21000;
  o.ready_bind = "127.0.0.1:21000";
  assert_int_equal(ecsb_envoy_agent_opts_check(&s, &o, &err), ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "give one of them"));
  /* -ready-bind alone is the same listener. */
  o.ready_bind_address = NULL;
  o.ready_bind_port = 0;
  o.consul_version = "1.15";
  assert_int_equal(ecsb_envoy_bootstrap_from_agent(c, &s, NULL, &o, &out, &err),
                   0);
  assert_non_null(strstr(out, "\"port_value\": 21000"));
  free(out);
  ecsb_consul_free(c);
  ecsb_consul_settings_clear(&s);
  tu_agent_stop(&ag);
}

/* The gRPC port of releases before 1.14: xDS.Port, else
 * DebugConfig.GRPCPort, else 8502; an agent saying gRPC is off (-1) is an
 * error; one reporting xDS.Ports is 1.14+ whatever its Version says. */
static void test_grpc_port_before_1_14(void **state) {
  (void)state;
  static const struct {
    const char *self;
    int rc, port;
    bool tls;
  } cases[] = {
      {"{\"Config\": {\"Datacenter\": \"d\", \"Version\": \"1.12.3\"}, "
       "\"xDS\": {\"Port\": 9100}, \"DebugConfig\": {\"GRPCPort\": 9200}}",
       0, 9100, false},
      {"{\"Config\": {\"Datacenter\": \"d\", \"Version\": \"1.10.4\"}, "
       "\"DebugConfig\": {\"GRPCPort\": 9200}}",
       0, 9200, false},
      {"{\"Config\": {\"Datacenter\": \"d\", \"Version\": \"1.11.0\"}, "
       "\"DebugConfig\": {\"GRPCPort\": 0}}",
       0, 8502, false},
      {"{\"Config\": {\"Datacenter\": \"d\", \"Version\": \"1.13.1\"}, "
       "\"DebugConfig\": {\"GRPCPort\": -1}}",
       ECSB_EINVAL, 0, false},
      {"{\"Config\": {\"Datacenter\": \"d\", \"Version\": \"1.10.4\"}, "
       "\"xDS\": {\"Port\": 8503, \"Ports\": {\"Plaintext\": -1, \"TLS\": "
       "8503}}, \"DebugConfig\": {\"GRPCPort\": -1}}",
       0, 8503, true},
  };
  char *dir = tu_tmpdir(), ca[1100];
  snprintf(ca, sizeof ca, "%s/ca.pem", dir);
  FILE *fp = fopen(ca, "w");
  fputs("-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n", fp);
  fclose(fp);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    tu_agent ag = {0};
    snprintf(ag.self_body, sizeof ag.self_body, "%s", cases[i].self);
    assert_int_equal(tu_agent_start(&ag, NULL), 0);
    ag.raw_service = strdup("{\"Kind\": \"connect-proxy\", \"Proxy\": "
                            "{\"DestinationServiceName\": \"x\"}}");
    ecsb_consul_flags f = {.http_addr = ag.addr};
    ecsb_consul_settings s;
    ecsb_err err = {0};
    unsetenv("CONSUL_GRPC_ADDR");
    assert_int_equal(ecsb_consul_settings_load(&s, &f, &err), 0);
    ecsb_consul *c = ecsb_consul_new(&s, &err);
    ecsb_envoy_agent_opts o = {.proxy_id = "p", .ca_file = ca};
    char *out = NULL;
    int rc = ecsb_envoy_bootstrap_from_agent(c, &s, NULL, &o, &out, &err);
    assert_int_equal(rc, cases[i].rc);
    if (rc) {
      assert_non_null(strstr(err.msg, "gRPC disabled"));
    } else {
      cJSON *d = cJSON_Parse(out);
      assert_int_equal(at(d, "static_resources.clusters.0.loadAssignment."
                             "endpoints.0.lbEndpoints.0.endpoint.address."
                             "socket_address.port_value")
                           ->valueint,
                       cases[i].port);
      assert_int_equal(at(d, "static_resources.clusters.0.transport_socket") !=
                           NULL,
                       cases[i].tls);
      cJSON_Delete(d);
      free(out);
    }
    ecsb_consul_free(c);
    ecsb_consul_settings_clear(&s);
    tu_agent_stop(&ag);
  }
  tu_rmtree(dir);
  free(dir);
}

/* envoy_telemetry_collector_bind_socket_dir (1.15+): the loopback
 * cluster and metrics_service sink; a user flush interval stays; releases
 * before 1.15 ignore the key. */
static void test_telemetry_collector(void **state) {
  (void)state;
  ecsb_envoy_bootstrap_args a = base_args(NULL);
  cJSON *d = build_v("{\"envoy_telemetry_collector_bind_socket_dir\": "
                     "\"/run/tc/\", \"envoy_stats_flush_interval\": \"10s\"}",
                     &a);
  assert_string_equal(str_at(d, "static_resources.clusters.1.name"),
                      "consul_telemetry_collector_loopback");
  const char *sock = str_at(d, "static_resources.clusters.1.loadAssignment."
                               "endpoints.0.lbEndpoints.0.endpoint.address."
                               "pipe.path");
  assert_non_null(sock);
  assert_int_equal(strncmp(sock, "/run/tc/", 8), 0);
  assert_int_equal(strlen(sock), 8 + 27 + 5); /* sha1, base64url, .sock */
  assert_string_equal(str_at(d, "stats_sinks.0.name"),
                      "envoy.stat_sinks.metrics_service");
  assert_string_equal(str_at(d, "stats_flush_interval"), "10s");
  cJSON_Delete(d);
  a = base_args(NULL);
  a.version = (ecsb_consul_version){1, 14, 3};
  d = build_v("{\"envoy_telemetry_collector_bind_socket_dir\": \"/run/tc\"}",
              &a);
  assert_int_equal(cJSON_GetArraySize(at(d, "static_resources.clusters")), 1);
  assert_null(at(d, "stats_sinks"));
  assert_null(at(d, "stats_flush_interval"));
  cJSON_Delete(d);
}

/* An https HTTP API made gRPC TLS up to 1.14.0 (Consul fixed it in
 * 1.14.1), for the agent's port and for an explicit plain address. */
static void test_https_api_grpc_tls_until_1_14_1(void **state) {
  (void)state;
  static const struct {
    const char *version, *grpc;
    bool tls;
  } cases[] = {{"1.13.9", NULL, true},
               {"1.14.0", NULL, true},
               {"1.14.1", NULL, false},
               {"1.20.0", NULL, false},
               {"1.12.0", "127.0.0.1:8502", true},
               {"1.14.1", "127.0.0.1:8502", false}};
  char *dir = tu_tmpdir(), ca[1100];
  snprintf(ca, sizeof ca, "%s/ca.pem", dir);
  FILE *fp = fopen(ca, "w");
  fputs("-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n", fp);
  fclose(fp);
  tu_agent ag = {0};
  assert_int_equal(tu_agent_start(&ag, NULL), 0);
  ag.raw_service = strdup("{\"Kind\": \"connect-proxy\", \"Proxy\": "
                          "{\"DestinationServiceName\": \"x\"}}");
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ecsb_consul_flags f = {.http_addr = ag.addr};
    ecsb_consul_settings s;
    ecsb_err err = {0};
    unsetenv("CONSUL_GRPC_ADDR");
    assert_int_equal(ecsb_consul_settings_load(&s, &f, &err), 0);
    ecsb_consul *c = ecsb_consul_new(&s, &err);
    s.https = true; /* the stand-in speaks plain HTTP; the choice reads this */
    ecsb_envoy_agent_opts o = {.proxy_id = "p",
                               .ca_file = ca,
                               .grpc_addr = cases[i].grpc,
                               .consul_version = cases[i].version};
    char *out = NULL;
    assert_int_equal(
        ecsb_envoy_bootstrap_from_agent(c, &s, NULL, &o, &out, &err), 0);
    cJSON *d = cJSON_Parse(out);
    assert_int_equal(at(d, "static_resources.clusters.0.transport_socket") !=
                         NULL,
                     cases[i].tls);
    cJSON_Delete(d);
    free(out);
    ecsb_consul_free(c);
    ecsb_consul_settings_clear(&s);
  }
  tu_agent_stop(&ag);
  tu_rmtree(dir);
  free(dir);
}

/* What each release writes, at the edges the docs' table names. */
static void test_release_format_edges(void **state) {
  (void)state;
  static const struct {
    ecsb_consul_version v;
    bool partition, layered, fetch0, new_fields;
    int n_regex;
  } cases[] = {
      {{1, 10, 12}, false, false, false, false, 21},
      {{1, 11, 0}, true, false, false, false, 23},
      {{1, 12, 9}, true, false, false, false, 23},
      {{1, 13, 0}, true, true, false, false, 25},
      {{1, 14, 6}, true, true, false, false, 25},
      {{1, 14, 7}, true, true, true, false, 25},
      {{1, 15, 2}, true, true, false, false, 25},
      {{1, 15, 3}, true, true, true, false, 25},
      {{1, 16, 0}, true, true, true, false, 25},
      {{1, 16, 4}, true, true, true, false, 25},
      {{1, 16, 5}, true, true, true, true, 25},
      {{1, 17, 1}, true, true, true, false, 25},
      {{1, 17, 2}, true, true, true, true, 25},
      {{1, 18, 0}, true, true, true, true, 25},
      {{1, 20, 6}, true, true, true, true, 25},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ecsb_envoy_bootstrap_args a = base_args(NULL);
    a.version = cases[i].v;
    cJSON *d = build_v(NULL, &a);
    assert_int_equal(at(d, "node.metadata.partition") != NULL,
                     cases[i].partition);
    assert_int_equal(at(d, "node.metadata.envoy_version") != NULL,
                     !cases[i].partition);
    assert_int_equal(at(d, "layered_runtime") != NULL, cases[i].layered);
    assert_int_equal(
        at(d, "dynamic_resources.lds_config.initial_fetch_timeout") != NULL,
        cases[i].fetch0);
    assert_int_equal(at(d, "admin.access_log") != NULL, cases[i].new_fields);
    assert_int_equal(at(d, "admin.access_log_path") != NULL,
                     !cases[i].new_fields);
    assert_int_equal(
        at(d, "static_resources.clusters.0.typed_extension_protocol_options") !=
            NULL,
        cases[i].new_fields);
    int n = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, at(d, "stats_config.stats_tags")) n +=
        cJSON_GetObjectItem(t, "regex") != NULL;
    assert_int_equal(n, cases[i].n_regex);
    assert_string_equal(str_at(d, "dynamic_resources.ads_config.api_type"),
                        "DELTA_GRPC");
    cJSON_Delete(d);
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
      cmocka_unit_test(test_consul_version_parse_and_range),
      cmocka_unit_test(test_prometheus_backend_port_and_scrape_path),
      cmocka_unit_test(test_ready_bind_listener),
      cmocka_unit_test(test_bootstrap_template),
      cmocka_unit_test(test_access_logs),
      cmocka_unit_test(test_ca_path_folder_is_the_grpc_ca),
      cmocka_unit_test(test_ready_bind_needs_a_release_with_it),
      cmocka_unit_test(test_grpc_port_before_1_14),
      cmocka_unit_test(test_telemetry_collector),
      cmocka_unit_test(test_release_format_edges),
      cmocka_unit_test(test_https_api_grpc_tls_until_1_14_1),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  ecsb_http_global_cleanup();
  return rc;
}
