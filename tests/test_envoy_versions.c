/* test_envoy_versions.c - the Envoy bootstrap of every supported Consul
 * release against that release's own golden files
 * ($ECSB_VECTORS_DIR/envoy-bootstrap/consul-versions/<release>__<case>.golden,
 * Consul's command/connect/envoy/testdata at the commits SOURCES.md names).
 *
 * Each case is replayed as Consul's TestGenerateConfig ran it: the same
 * flags and environment (from that release's envoy_test.go), against a
 * stand-in agent answering as its testMockAgent did (/v1/agent/self with
 * DebugConfig.GRPCPort in 1.10, xDS.Port in 1.12, xDS.Ports from 1.14; the
 * proxy's destination is its ID minus "-sidecar-proxy" up to 1.12, minus
 * "-proxy" from 1.14), plus the Config.Version a real agent of the release
 * reports. Output and golden are compared as JSON documents. The real
 * `ecsboot-init envoy-bootstrap` process runs every case, except the few
 * whose HTTP API is https (the stand-in serves plain HTTP): those call the
 * library with the settings marked https, which is all the bootstrap reads
 * of the scheme. TLS cases inline a test CA; nothing here reads the clock,
 * so the CA that expired in 2024 is compared like any other text.
 *
 * Cases whose flags or proxy settings ecsboot-init does not support are
 * listed with the reason (table below) and printed per release with the
 * coverage; a golden file the table does not know fails the test.
 * 1.9 is outside the supported range: its goldens must be refused.
 * Skips (77) without the vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ecsb/consul.h"
#include "ecsb/envoy_bootstrap.h"
#include "ecsb/http.h"
#include "init_testutil.h"

#define VDIR ECSB_VECTORS_DIR "/envoy-bootstrap/consul-versions"
#define TOKEN "c9a52720-bf6c-4aa6-b8bc-66881a5ade95"

/* The releases of the golden files, with the version a real agent of each
 * reports (the tags of SOURCES.md). */
static const struct release {
  const char *label, *version;
  int minor;
} releases[] = {
    {"1.10", "1.10.12", 10}, {"1.12", "1.12.9", 12}, {"1.14", "1.14.11", 14},
    {"1.15", "1.15.11", 15}, {"1.16", "1.16.7", 16}, {"1.20", "1.20.6", 20},
};

/* One TestGenerateConfig case. "@TMP@" in args and env is the case's
 * temp folder (holding token.txt), "@CA@" the release's test CA
 * (test/ca/root.cer: the 2014 one up to 1.14, the 2023 one from 1.15). */
typedef struct gcase {
  const char *name;
  int min_minor, max_minor; /* releases the row applies to (0: any) */
  const char *args[8];
  const char *env[3];       /* CONSUL_HTTP_ADDR keeps its scheme only */
  const char *proxy_config; /* Proxy.Config as JSON, or NULL */
  const char *access_logs;  /* Proxy.AccessLogs as JSON, or NULL */
  int plain, tls;           /* XDSPorts; both 0: Plaintext 8502 */
  bool self_110;            /* AgentSelf110: DebugConfig.GRPCPort only */
  const char *skip;         /* why ecsboot-init cannot replay it */
} gcase;

#define PID "-proxy-id", "test-proxy"

static const gcase cases[] = {
    {.name = "defaults", .args = {PID}},
    {.name = "defaults-nodemeta", .args = {PID, "-node-name", "test-node"}},
    {.name = "token-arg", .args = {PID, "-token", TOKEN}},
    {.name = "token-env", .args = {PID}, .env = {"CONSUL_HTTP_TOKEN=" TOKEN}},
    {.name = "token-file-arg", .args = {PID, "-token-file", "@TMP@token.txt"}},
    {.name = "token-file-env",
     .args = {PID},
     .env = {"CONSUL_HTTP_TOKEN_FILE=@TMP@token.txt"}},
    {.name = "grpc-addr-flag", .args = {PID, "-grpc-addr", "localhost:9999"}},
    {.name = "grpc-addr-env",
     .args = {PID},
     .env = {"CONSUL_GRPC_ADDR=localhost:9999"}},
    {.name = "grpc-addr-unix",
     .args = {PID, "-grpc-addr", "unix:///var/run/consul.sock"}},
    {.name = "grpc-addr-unix-with-tls",
     .min_minor = 14,
     .args = {PID, "-grpc-ca-file", "@CA@", "-grpc-addr",
              "unix:///var/run/consul.sock"}},
    {.name = "grpc-addr-config",
     .args = {PID},
     .plain = 9999,
     .self_110 = true},
    {.name = "deprecated-grpc-addr-config",
     .args = {PID},
     .plain = 9999,
     .self_110 = true},
    {.name = "xds-addr-config", .args = {PID}, .plain = 9999},
    {.name = "grpc-tls-addr-config",
     .args = {PID},
     .plain = 9997,
     .tls = 9998,
     .skip = "no CA given for the agent's TLS port: Consul writes an empty "
             "trusted_ca Envoy cannot verify with, ecsboot-init refuses"},
    {.name = "access-log-path",
     .args = {PID, "-admin-access-log-path", "/some/path/access.log"}},
    /* Before 1.14 an https HTTP API made gRPC TLS; from 1.14 the test
     * names the gRPC address and its own CA. */
    {.name = "existing-ca-file",
     .max_minor = 13,
     .args = {PID, "-ca-file", "@CA@"},
     .env = {"CONSUL_HTTP_ADDR=https://127.0.0.1:8500"}},
    {.name = "existing-ca-file",
     .min_minor = 14,
     .args = {PID, "-grpc-ca-file", "@CA@"},
     .env = {"CONSUL_GRPC_ADDR=https://127.0.0.1:8502"}},
    /* The test's own template moved to admin.access_log in 1.16.5. */
    {.name = "custom-bootstrap",
     .max_minor = 15,
     .args = {PID},
     .proxy_config =
         "{\"envoy_bootstrap_json_tpl\": \"{\\\"admin\\\": "
         "{\\\"access_log_path\\\": \\\"/dev/null\\\", \\\"address\\\": "
         "{\\\"socket_address\\\": {\\\"address\\\": \\\"{{ "
         ".AdminBindAddress }}\\\", \\\"port_value\\\": {{ .AdminBindPort "
         "}}}}}, \\\"node\\\": {\\\"cluster\\\": \\\"{{ .ProxyCluster "
         "}}\\\", \\\"id\\\": \\\"{{ .ProxyID }}\\\"}, \\\"custom_field\\\": "
         "\\\"foo\\\"}\"}"},
    {.name = "custom-bootstrap",
     .min_minor = 16,
     .args = {PID},
     .proxy_config =
         "{\"envoy_bootstrap_json_tpl\": \"{\\\"admin\\\": "
         "{\\\"access_log\\\": [{\\\"name\\\": "
         "\\\"envoy.access_loggers.file\\\", \\\"typed_config\\\": "
         "{\\\"@type\\\": "
         "\\\"type.googleapis.com/"
         "envoy.extensions.access_loggers.file.v3.FileAccessLog\\\", "
         "\\\"path\\\": \\\"/dev/null\\\"}}], \\\"address\\\": "
         "{\\\"socket_address\\\": {\\\"address\\\": \\\"{{ .AdminBindAddress "
         "}}\\\", \\\"port_value\\\": {{ .AdminBindPort }}}}}, \\\"node\\\": "
         "{\\\"cluster\\\": \\\"{{ .ProxyCluster }}\\\", \\\"id\\\": \\\"{{ "
         ".ProxyID }}\\\"}, \\\"custom_field\\\": \\\"foo\\\"}\"}"},
    {.name = "extra_-single",
     .args = {PID},
     .proxy_config =
         "{\"envoy_extra_static_clusters_json\": \"\\n{\\\"name\\\": "
         "\\\"fake_cluster_1\\\"}\", \"envoy_extra_static_listeners_json\": "
         "\"{\\\"name\\\": \\\"fake_listener_1\\\"}\", "
         "\"envoy_extra_stats_sinks_json\": \"{\\\"name\\\": "
         "\\\"fake_sink_1\\\"}\"}"},
    {.name = "extra_-multiple",
     .args = {PID},
     .proxy_config =
         "{\"envoy_extra_static_clusters_json\": \"{\\\"name\\\": "
         "\\\"fake_cluster_1\\\"},\\n{\\\"name\\\": \\\"fake_cluster_2\\\"}\", "
         "\"envoy_extra_static_listeners_json\": \"{\\\"name\\\": "
         "\\\"fake_listener_1\\\"},{\\\"name\\\": \\\"fake_listener_2\\\"}\", "
         "\"envoy_extra_stats_sinks_json\": \"{\\\"name\\\": "
         "\\\"fake_sink_1\\\"} , { \\\"name\\\": \\\"fake_sink_2\\\" }\"}"},
    {.name = "stats-config-override",
     .args = {PID},
     .proxy_config = "{\"envoy_stats_config_json\": \"{\\\"name\\\": "
                     "\\\"fake_config\\\"}\"}"},
    {.name = "zipkin-tracing-config",
     .args = {PID},
     .proxy_config =
         "{\"envoy_tracing_json\": \"{\\\"http\\\": {\\\"name\\\": "
         "\\\"envoy.zipkin\\\", \\\"config\\\": {\\\"collector_cluster\\\": "
         "\\\"zipkin\\\", \\\"collector_endpoint\\\": "
         "\\\"/api/v1/spans\\\"}}}\", \"envoy_extra_static_clusters_json\": "
         "\"{\\\"name\\\": \\\"zipkin\\\", \\\"type\\\": \\\"STRICT_DNS\\\", "
         "\\\"connect_timeout\\\": \\\"5s\\\", \\\"load_assignment\\\": "
         "{\\\"cluster_name\\\": \\\"zipkin\\\", \\\"endpoints\\\": "
         "[{\\\"lb_endpoints\\\": [{\\\"endpoint\\\": {\\\"address\\\": "
         "{\\\"socket_address\\\": {\\\"address\\\": "
         "\\\"zipkin.service.consul\\\", \\\"port_value\\\": "
         "9411}}}}]}]}}\"}"},
    {.name = "CONSUL_HTTP_ADDR-with-https-scheme-does-not-affect-grpc-tls",
     .args = {PID, "-ca-file", "@CA@"},
     .env = {"CONSUL_HTTP_ADDR=https://127.0.0.1:8500"}},
    {.name = "CONSUL_GRPC_ADDR-with-https-scheme-enables-tls",
     .args = {PID, "-ca-file", "@CA@"},
     .env = {"CONSUL_GRPC_ADDR=https://127.0.0.1:8502"}},
    {.name = "both-CONSUL_HTTP_ADDR-TLS-and-CONSUL_GRPC_ADDR-PLAIN-is-plain",
     .args = {PID, "-ca-file", "@CA@"},
     .env = {"CONSUL_HTTP_ADDR=https://127.0.0.1:8500",
             "CONSUL_GRPC_ADDR=http://127.0.0.1:8502"}},
    {.name = "both-CONSUL_HTTP_ADDR-PLAIN-and-CONSUL_GRPC_ADDR-TLS-is-tls",
     .args = {PID, "-ca-file", "@CA@"},
     .env = {"CONSUL_HTTP_ADDR=http://127.0.0.1:8500",
             "CONSUL_GRPC_ADDR=https://127.0.0.1:8502"}},
    {.name = "access-logs-enabled",
     .args = {PID},
     .access_logs = "{\"Enabled\": true}"},
    {.name = "access-logs-enabled-custom",
     .args = {PID},
     .access_logs = "{\"Enabled\": true, \"Type\": \"file\", \"Path\": "
                    "\"/var/log/consul.log\", \"TextFormat\": \"MY START "
                    "TIME %START_TIME%\"}"},
    /* The agent has ACLs on; Consul only warns when no token is given. */
    {.name = "acl-enabled-and-token", .args = {PID, "-token", "foo"}},
    {.name = "acl-enabled-but-no-token", .args = {PID}},
    {.name = "telemetry-collector",
     .args = {PID},
     .proxy_config = "{\"envoy_telemetry_collector_bind_socket_dir\": "
                     "\"/tmp/consul/telemetry-collector\"}"},
};

static const gcase *find_case(const char *name, int minor) {
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    if (!strcmp(cases[i].name, name) &&
        (!cases[i].min_minor || minor >= cases[i].min_minor) &&
        (!cases[i].max_minor || minor <= cases[i].max_minor))
      return &cases[i];
  return NULL;
}

/* What the release's testMockAgentSelf answered, plus Config.Version
 * (NULL: none, as the mock). */
static void self_answer(const struct release *r, const gcase *c,
                        const char *version, char *out, size_t cap) {
  int plain = c->plain, tls = c->tls;
  if (!plain && !tls)
    plain = 8502;
  char cfg[160];
  snprintf(cfg, sizeof cfg, "\"Config\": {\"Datacenter\": \"dc1\"%s%s%s}",
           version ? ", \"Version\": \"" : "", version ? version : "",
           version ? "\"" : "");
  if (r->minor <= 10 || c->self_110)
    snprintf(out, cap, "{%s, \"DebugConfig\": {\"GRPCPort\": %d}}", cfg, plain);
  else if (r->minor < 14)
    snprintf(out, cap, "{%s, \"xDS\": {\"Port\": %d}}", cfg, plain);
  else
    snprintf(out, cap,
             "{%s, \"xDS\": {\"Port\": %d, \"Ports\": {\"Plaintext\": %d, "
             "\"TLS\": %d}}}",
             cfg, tls > 0 ? tls : plain, plain, tls);
}

/* What the release's testMockAgentProxyConfig answered (heap). */
static char *service_answer(const struct release *r, const gcase *c) {
  const char *dest = r->minor < 14 ? "test-proxy" : "test";
  char *buf = malloc(8192);
  snprintf(buf, 8192,
           "{\"Kind\": \"connect-proxy\", \"ID\": \"test-proxy\", "
           "\"Service\": \"test-proxy\", \"Proxy\": "
           "{\"DestinationServiceName\": \"%s\", \"DestinationServiceID\": "
           "\"%s\", \"Config\": %s%s%s}, \"Datacenter\": \"dc1\"}",
           dest, dest, c->proxy_config ? c->proxy_config : "{}",
           c->access_logs ? ", \"AccessLogs\": " : "",
           c->access_logs ? c->access_logs : "");
  return buf;
}

/* s with @TMP@ and @CA@ replaced, into buf. */
static const char *subst(const char *s, const char *tmp, const char *ca,
                         char *buf, size_t cap) {
  const char *t = strstr(s, "@TMP@"), *c = strstr(s, "@CA@");
  if (t)
    snprintf(buf, cap, "%.*s%s/%s", (int)(t - s), s, tmp, t + 5);
  else if (c)
    snprintf(buf, cap, "%.*s%s%s", (int)(c - s), s, ca, c + 4);
  else
    snprintf(buf, cap, "%s", s);
  return buf;
}

/* The first path where a and b differ, for the failure message. */
static bool json_diff(const cJSON *a, const cJSON *b, char *path, size_t cap) {
  if (cJSON_Compare(a, b, true))
    return false;
  size_t n = strlen(path);
  if (cJSON_IsObject(a) && cJSON_IsObject(b)) {
    const cJSON *x;
    cJSON_ArrayForEach(x, a) {
      const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
      snprintf(path + n, cap - n, ".%s", x->string);
      if (!y || json_diff(x, y, path, cap))
        return true;
    }
    cJSON_ArrayForEach(x, b) {
      snprintf(path + n, cap - n, ".%s (only in output)", x->string);
      if (!cJSON_GetObjectItemCaseSensitive(a, x->string))
        return true;
    }
  } else if (cJSON_IsArray(a) && cJSON_IsArray(b)) {
    for (int i = 0; i < cJSON_GetArraySize(a); i++) {
      snprintf(path + n, cap - n, "[%d]", i);
      const cJSON *y = cJSON_GetArrayItem(b, i);
      if (!y || json_diff(cJSON_GetArrayItem(a, i), y, path, cap))
        return true;
    }
    snprintf(path + n, cap - n, " (array lengths %d and %d)",
             cJSON_GetArraySize(a), cJSON_GetArraySize(b));
    return true;
  }
  path[n] = '\0';
  return true;
}

/* Runs one case; returns true when the output matches the golden. */
static bool run_case(const struct release *r, const gcase *c,
                     const char *version_flag, char *why, size_t whycap) {
  tu_agent a;
  memset(&a, 0, sizeof a);
  self_answer(r, c, version_flag ? NULL : r->version, a.self_body,
              sizeof a.self_body);
  assert_int_equal(tu_agent_start(&a, NULL), 0);
  a.raw_service = service_answer(r, c);
  char *tmp = tu_tmpdir(), tok[1100], ca[1100], golden[1100];
  snprintf(tok, sizeof tok, "%s/token.txt", tmp);
  FILE *tf = fopen(tok, "w");
  assert_non_null(tf);
  fputs(TOKEN, tf);
  fclose(tf);
  snprintf(ca, sizeof ca, "%s/%s", VDIR,
           r->minor < 15 ? "ca2014-root.cer" : "ca2023-root.cer");
  snprintf(golden, sizeof golden, "%s/%s__%s.golden", VDIR, r->label, c->name);

  /* Flags and environment as the case has them; CONSUL_HTTP_ADDR always
   * names the stand-in, in the case's scheme. */
  char args[8][1100], envs[4][1200], addr_env[160];
  bool https_api = false;
  snprintf(addr_env, sizeof addr_env, "CONSUL_HTTP_ADDR=http://%s", a.addr);
  const char *env[6] = {addr_env};
  size_t ne = 1;
  for (size_t i = 0; i < 3 && c->env[i]; i++) {
    if (!strncmp(c->env[i], "CONSUL_HTTP_ADDR=", 17)) {
      https_api = !strncmp(c->env[i] + 17, "https://", 8);
      continue;
    }
    env[ne++] = subst(c->env[i], tmp, ca, envs[i], sizeof envs[i]);
  }
  env[ne] = NULL;
  const char *argv[16] = {tu_init_bin(), "envoy-bootstrap"};
  size_t na = 2;
  for (size_t i = 0; i < 8 && c->args[i]; i++)
    argv[na++] = subst(c->args[i], tmp, ca, args[i], sizeof args[i]);
  if (version_flag) {
    argv[na++] = "-consul-version";
    argv[na++] = version_flag;
  }
  argv[na] = NULL;

  char *text = NULL;
  if (!https_api) {
    tu_proc_result *pr = calloc(1, sizeof *pr);
    assert_int_equal(tu_run(argv, env, 20000, pr), 0);
    if (pr->exit_code == 0)
      text = strdup(pr->out);
    else
      snprintf(why, whycap, "exit %d: %.300s", pr->exit_code, pr->err);
    free(pr);
  } else {
    /* The library, with the HTTP API marked https: the flags these cases
     * use are -proxy-id, -ca-file / -grpc-ca-file and CONSUL_GRPC_ADDR. */
    for (size_t i = 1; i < ne; i++) {
      char kv[1200];
      snprintf(kv, sizeof kv, "%s", env[i]);
      char *eq = strchr(kv, '=');
      *eq = '\0';
      setenv(kv, eq + 1, 1);
    }
    ecsb_consul_flags f = {.http_addr = a.addr};
    ecsb_envoy_agent_opts o = {.proxy_id = "test-proxy"};
    for (size_t i = 2; i + 1 < na; i += 2) {
      if (!strcmp(argv[i], "-ca-file"))
        o.ca_file = f.cacert = argv[i + 1];
      else if (!strcmp(argv[i], "-grpc-ca-file"))
        o.grpc_ca_file = argv[i + 1];
      else if (!strcmp(argv[i], "-consul-version"))
        o.consul_version = argv[i + 1];
      else
        assert_string_equal(argv[i], "-proxy-id");
    }
    ecsb_consul_settings s;
    ecsb_err err = {0};
    assert_int_equal(ecsb_consul_settings_load(&s, &f, &err), 0);
    ecsb_consul *cl = ecsb_consul_new(&s, &err);
    assert_non_null(cl);
    s.https = true;
    if (ecsb_envoy_bootstrap_from_agent(cl, &s, NULL, &o, &text, &err))
      snprintf(why, whycap, "%.400s", err.msg);
    ecsb_consul_free(cl);
    ecsb_consul_settings_clear(&s);
    unsetenv("CONSUL_GRPC_ADDR");
  }
  bool ok = false;
  if (text) {
    char *gtext = tu_slurp(golden, NULL);
    assert_non_null(gtext);
    cJSON *want = cJSON_Parse(gtext), *got = cJSON_Parse(text);
    assert_non_null(want);
    if (!got) {
      snprintf(why, whycap, "output is not JSON");
    } else {
      char path[512] = "$";
      ok = !json_diff(want, got, path, sizeof path);
      if (!ok)
        snprintf(why, whycap, "differs at %s", path);
    }
    cJSON_Delete(want);
    cJSON_Delete(got);
    free(gtext);
    free(text);
  }
  tu_agent_stop(&a);
  tu_rmtree(tmp);
  free(tmp);
  return ok;
}

/* The goldens of release label, by case name (heap strings, sorted). */
static size_t golden_cases(const char *label, char **names, size_t cap) {
  DIR *d = opendir(VDIR);
  assert_non_null(d);
  size_t n = 0, ll = strlen(label);
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t len = strlen(e->d_name);
    if (strncmp(e->d_name, label, ll) || strncmp(e->d_name + ll, "__", 2) ||
        len < ll + 2 + 7 || strcmp(e->d_name + len - 7, ".golden"))
      continue;
    assert_true(n < cap);
    names[n++] = strndup(e->d_name + ll + 2, len - ll - 2 - 7);
  }
  closedir(d);
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
      char *t = names[j];
      names[j] = names[j - 1];
      names[j - 1] = t;
    }
  return n;
}

static void test_every_release_matches_its_goldens(void **state) {
  (void)state;
  int failures = 0;
  for (size_t ri = 0; ri < sizeof releases / sizeof releases[0]; ri++) {
    const struct release *r = &releases[ri];
    char *names[64];
    size_t n = golden_cases(r->label, names, 64), covered = 0, skipped = 0;
    char skips[4096] = "";
    for (size_t i = 0; i < n; i++) {
      const gcase *c = find_case(names[i], r->minor);
      char why[512] = "";
      if (!c) {
        printf("FAIL %s__%s: no replay known for this case\n", r->label,
               names[i]);
        failures++;
      } else if (c->skip) {
        skipped++;
        size_t l = strlen(skips);
        snprintf(skips + l, sizeof skips - l, "\n    %s: %s", c->name, c->skip);
      } else if (run_case(r, c, NULL, why, sizeof why)) {
        covered++;
      } else {
        printf("FAIL %s__%s: %s\n", r->label, c->name, why);
        failures++;
      }
      free(names[i]);
    }
    printf("Consul %s (agent %s): %zu/%zu golden cases covered, %zu "
           "skipped%s\n",
           r->label, r->version, covered, n, skipped, skips);
  }
  fflush(stdout);
  assert_int_equal(failures, 0);
}

/* The flag forces the release when the agent does not say (Consul's own
 * mock never did): each release's defaults with -consul-version. */
static void test_consul_version_flag_selects_the_format(void **state) {
  (void)state;
  for (size_t ri = 0; ri < sizeof releases / sizeof releases[0]; ri++) {
    char why[512] = "";
    bool ok = run_case(&releases[ri], find_case("defaults", 0),
                       releases[ri].version, why, sizeof why);
    if (!ok)
      fprintf(stderr, "%s: %s\n", releases[ri].label, why);
    assert_true(ok);
  }
}

/* 1.9 (and anything newer than 1.20) is refused, naming the version and
 * the range, with nothing on stdout; from the agent or from the flag. */
static void test_unsupported_releases_are_refused(void **state) {
  (void)state;
  static const struct {
    const char *self_version, *flag;
  } v[] = {{"1.9.17", NULL},
           {NULL, "1.9.17"},
           {"1.21.0", NULL},
           {NULL, "v0.9"},
           {NULL, "banana"}};
  const struct release r19 = {"1.9", "1.9.17", 9};
  assert_int_equal(access(VDIR "/1.9__defaults.golden", R_OK), 0);
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    tu_agent a;
    memset(&a, 0, sizeof a);
    self_answer(&r19, find_case("defaults", 0), v[i].self_version, a.self_body,
                sizeof a.self_body);
    assert_int_equal(tu_agent_start(&a, NULL), 0);
    a.raw_service = service_answer(&r19, find_case("defaults", 0));
    char addr_env[160];
    snprintf(addr_env, sizeof addr_env, "CONSUL_HTTP_ADDR=%s", a.addr);
    const char *argv[] = {tu_init_bin(),     "envoy-bootstrap", PID,
                          "-consul-version", v[i].flag,         NULL};
    if (!v[i].flag)
      argv[4] = NULL;
    const char *env[] = {addr_env, NULL};
    tu_proc_result *pr = calloc(1, sizeof *pr);
    assert_int_equal(tu_run(argv, env, 20000, pr), 0);
    assert_int_equal(pr->exit_code, 1);
    assert_string_equal(pr->out, "");
    const char *named = v[i].flag ? v[i].flag : v[i].self_version;
    assert_non_null(strstr(pr->err, named));
    if (strcmp(named, "banana") != 0)
      assert_non_null(strstr(pr->err, "1.10.0 to 1.20.x"));
    free(pr);
    tu_agent_stop(&a);
  }
}

/* The consul-ecs users' flags, through the real process: -ca-path,
 * -prometheus-backend-port, -prometheus-scrape-path,
 * -envoy-ready-bind-address and -port,
 * -envoy-version (1.10 only). */
static void test_connect_envoy_flags_reach_the_bootstrap(void **state) {
  (void)state;
  const struct release *r20 = &releases[5];
  gcase c = {.name = "flags",
             .proxy_config =
                 "{\"envoy_prometheus_bind_addr\": \"0.0.0.0:9000\"}"};
  tu_agent a;
  memset(&a, 0, sizeof a);
  self_answer(r20, &c, r20->version, a.self_body, sizeof a.self_body);
  assert_int_equal(tu_agent_start(&a, NULL), 0);
  a.raw_service = service_answer(r20, &c);
  char *dir = tu_tmpdir(), cert[1100], addr_env[160];
  snprintf(cert, sizeof cert, "%s/root.cer", dir);
  char *pem = tu_slurp(VDIR "/ca2023-root.cer", NULL);
  FILE *fp = fopen(cert, "w");
  fputs(pem, fp);
  fclose(fp);
  snprintf(addr_env, sizeof addr_env, "CONSUL_HTTP_ADDR=%s", a.addr);
  const char *argv[] = {tu_init_bin(),
                        "envoy-bootstrap",
                        PID,
                        "-ca-path",
                        dir,
                        "-grpc-addr",
                        "https://127.0.0.1:8503",
                        "-prometheus-backend-port",
                        "20100",
                        "--prometheus-scrape-path=/scrape-path",
                        "-envoy-ready-bind-address",
                        "127.0.0.1",
                        "--envoy-ready-bind-port=21000",
                        NULL};
  const char *env[] = {addr_env, NULL};
  tu_proc_result *pr = calloc(1, sizeof *pr);
  assert_int_equal(tu_run(argv, env, 20000, pr), 0);
  if (pr->exit_code)
    fprintf(stderr, "%s\n", pr->err);
  assert_int_equal(pr->exit_code, 0);
  cJSON *d = cJSON_Parse(pr->out);
  assert_non_null(d);
  char *flat = cJSON_PrintUnformatted(d);
  assert_non_null(strstr(flat, "\"name\":\"prometheus_backend\""));
  assert_non_null(strstr(flat, "\"port_value\":20100"));
  assert_non_null(strstr(flat, "\"path\":\"/scrape-path\""));
  assert_non_null(strstr(flat, "\"name\":\"envoy_ready_listener\""));
  assert_non_null(strstr(flat, "\"port_value\":21000"));
  cJSON *ca = cJSON_CreateString(pem);
  char *ca_json = cJSON_PrintUnformatted(ca);
  assert_non_null(strstr(flat, ca_json));
  free(ca_json);
  cJSON_Delete(ca);
  free(flat);
  cJSON_Delete(d);
  /* -envoy-version is 1.10's node metadata. */
  const char *argv2[] = {
      tu_init_bin(), "envoy-bootstrap", PID,      "-consul-version",
      "1.10",        "-envoy-version",  "1.18.3", NULL};
  assert_int_equal(tu_run(argv2, env, 20000, pr), 0);
  assert_int_equal(pr->exit_code, 0);
  assert_non_null(strstr(pr->out, "\"envoy_version\": \"1.18.3\""));
  free(pr);
  free(pem);
  tu_agent_stop(&a);
  tu_rmtree(dir);
  free(dir);
}

int main(void) {
  if (access(VDIR "/SOURCES.md", R_OK) != 0) {
    printf("skipped: %s not found (vectors folder absent; set "
           "ECSB_VECTORS_DIR)\n",
           VDIR);
    return 77;
  }
  unsetenv("CONSUL_GRPC_ADDR");
  unsetenv("CONSUL_HTTP_TOKEN");
  unsetenv("CONSUL_HTTP_TOKEN_FILE");
  unsetenv("CONSUL_CACERT");
  unsetenv("CONSUL_CAPATH");
  unsetenv("CONSUL_HTTP_SSL");
  unsetenv("ECSBOOT_CONSUL_VERSION");
  ecsb_http_global_init(NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_release_matches_its_goldens),
      cmocka_unit_test(test_consul_version_flag_selects_the_format),
      cmocka_unit_test(test_unsupported_releases_are_refused),
      cmocka_unit_test(test_connect_envoy_flags_reach_the_bootstrap),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  ecsb_http_global_cleanup();
  return rc;
}
