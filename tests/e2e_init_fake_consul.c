/* e2e_init_fake_consul.c - `ecsboot-init mesh-init` as a real process
 * against a fake-consul agent (joined to a fake-consul server) and task
 * metadata from fake-ecs: both registrations land in the agent and reach
 * the server's catalog, the bootstrap is valid and names the proxy, a late
 * agent is waited for, and a re-run writes identical bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ecsb/clock.h"
#include "ecsb/fileio.h"
#include "ecsb/http.h"
#include "fcon/fcon.h"
#include "fecs/fecs.h"
#include "scn/proc.h"

typedef struct world {
  fecs *f;
  fcon_server *srv;
  char dir[64];
  char task[FECS_ARN_MAX];
  char task_ip[32];
  char task_id[FECS_ARN_MAX];
  scn_proc *bg;          /* a long-running child; teardown reaps it even when an
                            assertion fails mid-test */
  const char *env_extra; /* one more NAME=VALUE for run_init, or NULL */
} world;

static const char *app_td =
    "{\"family\":\"web\",\"containerDefinitions\":["
    "{\"name\":\"mesh-init\",\"image\":\"ecsboot-init\",\"essential\":false},"
    "{\"name\":\"app\",\"image\":\"acme/web\",\"healthCheck\":{"
    "\"command\":[\"CMD\",\"true\"]}}]}";

static int setup(void **state) {
  world *w = calloc(1, sizeof *w);
  snprintf(w->dir, sizeof w->dir, "/tmp/ecsb-e2e-fcon-XXXXXX");
  if (!mkdtemp(w->dir))
    return -1;
  fecs_config c;
  fecs_config_default(&c);
  c.create_default_cluster = true;
  ecsb_err err = {0};
  cJSON *td = cJSON_Parse(app_td);
  fecs_run_opts ro = {.task_definition = "web"};
  fecs_task_view v;
  if (fecs_new(&c, &w->f, &err) ||
      fecs_task_definition_register(w->f, td, NULL, &err) ||
      fecs_task_run(w->f, &ro, w->task, &err) ||
      fecs_task_get(w->f, w->task, &v, &err)) {
    fprintf(stderr, "fake-ecs: %s\n", err.msg);
    cJSON_Delete(td);
    return -1;
  }
  cJSON_Delete(td);
  snprintf(w->task_ip, sizeof w->task_ip, "%s", v.ip);
  const char *slash = strrchr(w->task, '/');
  snprintf(w->task_id, sizeof w->task_id, "%s", slash ? slash + 1 : w->task);
  fcon_server_config sc;
  fcon_server_config_default(&sc);
  if (fcon_server_start(&sc, &w->srv, &err)) {
    fprintf(stderr, "fake-consul server: %s\n", err.msg);
    return -1;
  }
  *state = w;
  return 0;
}

static int teardown(void **state) {
  world *w = *state;
  scn_proc_free(w->bg);
  fcon_server_stop(w->srv);
  fecs_free(w->f);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", w->dir);
  int rc = system(cmd);
  free(w);
  return rc;
}

static fcon_agent *agent_acl(world *w, uint16_t port, int xds, int xds_tls,
                             const fcon_acl_config *acl) {
  fcon_agent_config ac;
  fcon_agent_config_default(&ac);
  if (acl)
    ac.acl = *acl;
  ac.xds_port = xds;
  ac.xds_tls_port = xds_tls;
  ac.bind_ip = w->task_ip;
  ac.port = port;
  ac.server = w->srv;
  ac.join_on_start = true;
  fcon_agent *a = NULL;
  ecsb_err err = {0};
  if (fcon_agent_start(&ac, &a, &err))
    fail_msg("agent: %s", err.msg);
  return a;
}

static fcon_agent *agent_xds(world *w, uint16_t port, int xds, int xds_tls) {
  return agent_acl(w, port, xds, xds_tls, NULL);
}

static fcon_agent *agent_on(world *w, uint16_t port) {
  return agent_xds(w, port, 0, 0);
}

/* Starts `ecsboot-init <args...>` with the environment fake-ecs gives the
 * task's mesh-init container and CONSUL_HTTP_ADDR on the task address. */
static scn_proc *run_init(world *w, uint16_t agent_port,
                          const char *const *args, const char *log) {
  fecs_env fe;
  ecsb_err err = {0};
  assert_int_equal(fecs_container_env(w->f, w->task, "mesh-init", &fe, &err),
                   0);
  static char meta[1024], consul[128];
  snprintf(meta, sizeof meta, "ECS_CONTAINER_METADATA_URI_V4=%s",
           fecs_env_get(&fe, "ECS_CONTAINER_METADATA_URI_V4"));
  fecs_env_clear(&fe);
  snprintf(consul, sizeof consul, "CONSUL_HTTP_ADDR=%s:%u", w->task_ip,
           agent_port);
  const char *envp[] = {meta, consul, w->env_extra, NULL};
  const char *argv[24] = {INIT_BIN};
  size_t n = 1;
  for (; args[n - 1] && n < 23; n++)
    argv[n] = args[n - 1];
  argv[n] = NULL;
  scn_spawn_opts o = {.argv = argv, .envp = envp, .log_path = log};
  scn_proc *p = NULL;
  assert_int_equal(scn_proc_spawn(&o, &p, &err), 0);
  return p;
}

static scn_proc *start_mesh_init(world *w, uint16_t agent_port,
                                 const char *log) {
  static char boot[160];
  snprintf(boot, sizeof boot, "-envoy-bootstrap-file=%s/envoy-bootstrap.json",
           w->dir);
  const char *args[] = {"mesh-init",  boot,        "-port=9090",
                        "-upstreams", "db:1234",   "-health-sync-containers",
                        "app",        "--timeout", "20s",
                        NULL};
  return run_init(w, agent_port, args, log);
}

/* Runs to completion; fails the test with the log when the exit differs. */
static void expect_exit(scn_proc *p, int want, const char *log) {
  int code = -1;
  assert_true(scn_proc_wait(p, 30000, &code, NULL));
  scn_proc_free(p);
  if (code != want) {
    char *l = NULL;
    ecsb_read_file(log, 1 << 20, &l, NULL, NULL);
    fail_msg("exit %d, want %d: %s", code, want, l ? l : "");
  }
}

static cJSON *get_json(const char *url) {
  ecsb_http_client *c = ecsb_http_client_new(NULL, NULL);
  ecsb_http_response r;
  cJSON *j = NULL;
  if (ecsb_http_get(c, url, NULL, 0, &r, NULL) == 0 && r.status == 200)
    j = cJSON_Parse(r.body);
  ecsb_http_response_clear(&r);
  ecsb_http_client_free(c);
  return j;
}

/* How many services the agent has. */
static int agent_services(world *w, fcon_agent *a) {
  char url[256];
  snprintf(url, sizeof url, "http://%s:%u/v1/agent/services", w->task_ip,
           fcon_agent_port(a));
  cJSON *j = get_json(url);
  int n = j ? cJSON_GetArraySize(j) : -1;
  cJSON_Delete(j);
  return n;
}

static void test_registers_with_a_late_agent_and_writes_bootstrap(void **s) {
  world *w = *s;
  /* Reserve a port on the task address, free it, start mesh-init first
   * and the agent 300 ms later (they start together at T1 in ECS). */
  fcon_agent *probe = agent_on(w, 0);
  uint16_t port = fcon_agent_port(probe);
  fcon_agent_stop(probe);
  char log[128];
  snprintf(log, sizeof log, "%s/mesh-init.log", w->dir);
  scn_proc *p = start_mesh_init(w, port, log);
  ecsb_sleep_ms(300, NULL);
  fcon_agent *a = agent_on(w, port);
  expect_exit(p, 0, log);

  char sid[FECS_ARN_MAX + 8], pid[FECS_ARN_MAX + 32], url[512];
  snprintf(sid, sizeof sid, "web-%s", w->task_id);
  snprintf(pid, sizeof pid, "%s-sidecar-proxy", sid);
  snprintf(url, sizeof url, "http://%s:%u/v1/agent/services", w->task_ip, port);
  cJSON *svcs = get_json(url);
  assert_non_null(svcs);
  cJSON *svc = cJSON_GetObjectItem(svcs, sid),
        *px = cJSON_GetObjectItem(svcs, pid);
  assert_non_null(svc);
  assert_non_null(px);
  assert_int_equal(cJSON_GetObjectItem(svc, "Port")->valueint, 9090);
  assert_string_equal(cJSON_GetObjectItem(px, "Kind")->valuestring,
                      "connect-proxy");
  assert_int_equal(cJSON_GetObjectItem(px, "Port")->valueint, 20000);
  cJSON *meta = cJSON_GetObjectItem(svc, "Meta");
  assert_string_equal(cJSON_GetObjectItem(meta, "source")->valuestring,
                      "consul-ecs");
  assert_string_equal(cJSON_GetObjectItem(meta, "task-id")->valuestring,
                      w->task_id);
  cJSON_Delete(svcs);

  /* The registration reaches the server's catalog (bounded wait). */
  snprintf(url, sizeof url, "http://%s:%u/v1/health/service/web",
           fcon_server_ip(w->srv), fcon_server_port(w->srv));
  int found = 0;
  for (int i = 0; i < 200 && !found; i++) {
    cJSON *h = get_json(url);
    found = h && cJSON_GetArraySize(h) == 1;
    cJSON_Delete(h);
    if (!found)
      ecsb_sleep_ms(10, NULL);
  }
  assert_true(found);

  char boot[160];
  snprintf(boot, sizeof boot, "%s/envoy-bootstrap.json", w->dir);
  char *b1 = NULL;
  assert_int_equal(ecsb_read_file(boot, 1 << 20, &b1, NULL, NULL), 0);
  cJSON *bj = cJSON_Parse(b1);
  assert_non_null(bj);
  assert_string_equal(
      cJSON_GetObjectItem(cJSON_GetObjectItem(bj, "node"), "id")->valuestring,
      pid);
  cJSON_Delete(bj);

  /* Re-run: same registrations, same bytes. */
  p = start_mesh_init(w, port, log);
  expect_exit(p, 0, log);
  char *b2 = NULL;
  assert_int_equal(ecsb_read_file(boot, 1 << 20, &b2, NULL, NULL), 0);
  assert_string_equal(b1, b2);
  free(b1);
  free(b2);
  fcon_agent_stop(a);
}

static void test_agent_500_three_times_then_success(void **s) {
  world *w = *s;
  fcon_agent *a = agent_on(w, 0);
  ecsb_err err = {0};
  assert_int_equal(fcon_agent_fault_fail(a, "/v1/agent/service/register", 3,
                                         500, "boom", &err),
                   0);
  char log[128];
  snprintf(log, sizeof log, "%s/mesh-init-500.log", w->dir);
  expect_exit(start_mesh_init(w, fcon_agent_port(a), log), 0, log);
  char url[512];
  snprintf(url, sizeof url, "http://%s:%u/v1/agent/service/web-%s", w->task_ip,
           fcon_agent_port(a), w->task_id);
  cJSON *svc = get_json(url);
  assert_non_null(svc);
  cJSON_Delete(svc);
  fcon_agent_stop(a);
}

static void test_metadata_down_then_up(void **s) {
  world *w = *s;
  fcon_agent *a = agent_on(w, 0);
  assert_int_equal(
      fecs_fault_endpoint(w->f, FECS_EP_METADATA, FECS_EP_DOWN, 0, NULL), 0);
  char log[128];
  snprintf(log, sizeof log, "%s/mesh-init-md.log", w->dir);
  scn_proc *p = start_mesh_init(w, fcon_agent_port(a), log);
  ecsb_sleep_ms(300, NULL);
  assert_false(scn_proc_poll(p, NULL, NULL)); /* still waiting */
  assert_int_equal(
      fecs_fault_endpoint(w->f, FECS_EP_METADATA, FECS_EP_OK, 0, NULL), 0);
  expect_exit(p, 0, log);
  fcon_agent_stop(a);
}

static void test_health_sync_mirrors_ecs_health(void **s) {
  world *w = *s;
  fcon_agent *a = agent_on(w, 0);
  uint16_t port = fcon_agent_port(a);
  char log[128], check[FECS_ARN_MAX + 64], st[32];
  snprintf(log, sizeof log, "%s/mesh-init-hs.log", w->dir);
  expect_exit(start_mesh_init(w, port, log), 0, log);
  snprintf(check, sizeof check, "web-%s-app-consul-ecs", w->task_id);
  ecsb_err err = {0};
  assert_int_equal(fcon_agent_check_status(a, check, st, sizeof st, &err), 0);
  assert_string_equal(st, "critical"); /* registered critical */

  snprintf(log, sizeof log, "%s/health-sync.log", w->dir);
  const char *args[] = {"health-sync", "-health-sync-containers",
                        "app",         "--interval",
                        "50ms",        NULL};
  scn_proc *p = w->bg = run_init(w, port, args, log);
  /* Each ECS health change is mirrored (bounded waits). */
  static const char *seq[][2] = {{"HEALTHY", "passing"},
                                 {"UNHEALTHY", "critical"},
                                 {"HEALTHY", "passing"}};
  for (size_t k = 0; k < 3; k++) {
    assert_int_equal(
        fecs_container_set_health(w->f, w->task, "app", seq[k][0], &err), 0);
    for (int i = 0; i < 400; i++) {
      fcon_agent_check_status(a, check, st, sizeof st, NULL);
      if (strcmp(st, seq[k][1]) == 0)
        break;
      ecsb_sleep_ms(10, NULL);
    }
    if (strcmp(st, seq[k][1]) != 0)
      fail_msg("ECS %s: check is %s, want %s", seq[k][0], st, seq[k][1]);
  }
  /* SIGTERM: every synced check critical, exit 0. */
  assert_int_equal(scn_proc_signal(p, SIGTERM), 0);
  w->bg = NULL; /* expect_exit reaps and frees it */
  expect_exit(p, 0, log);
  assert_int_equal(fcon_agent_check_status(a, check, st, sizeof st, &err), 0);
  assert_string_equal(st, "critical");
  fcon_agent_stop(a);
}

static void test_envoy_bootstrap_reads_the_registration(void **s) {
  world *w = *s;
  fcon_agent *a = agent_on(w, 0);
  char log[128], pid[FECS_ARN_MAX + 32];
  snprintf(log, sizeof log, "%s/mesh-init-eb.log", w->dir);
  expect_exit(start_mesh_init(w, fcon_agent_port(a), log), 0, log);
  snprintf(pid, sizeof pid, "web-%s-sidecar-proxy", w->task_id);
  snprintf(log, sizeof log, "%s/envoy-bootstrap.log", w->dir);
  const char *args[] = {"envoy-bootstrap", "-proxy-id", pid, NULL};
  expect_exit(run_init(w, fcon_agent_port(a), args, log), 0, log);
  char *out = NULL;
  assert_int_equal(ecsb_read_file(log, 1 << 20, &out, NULL, NULL), 0);
  cJSON *bj = cJSON_Parse(strchr(out, '{'));
  assert_non_null(bj);
  cJSON *node = cJSON_GetObjectItem(bj, "node");
  assert_string_equal(cJSON_GetObjectItem(node, "id")->valuestring, pid);
  assert_string_equal(cJSON_GetObjectItem(node, "cluster")->valuestring, "web");
  cJSON_Delete(bj);
  free(out);
  fcon_agent_stop(a);
}

/* terraform's mesh-task module passes -service-name= (empty) on every task:
 * both commands take the task family, as consul-ecs does. */
static void test_empty_service_name_means_the_family(void **s) {
  world *w = *s;
  fcon_agent *a = agent_on(w, 0);
  uint16_t port = fcon_agent_port(a);
  char log[128], boot[160], check[FECS_ARN_MAX + 64], st[32];
  snprintf(log, sizeof log, "%s/mesh-init-empty.log", w->dir);
  snprintf(boot, sizeof boot, "-envoy-bootstrap-dir=%s", w->dir);
  const char *margs[] = {"mesh-init", boot,
                         "-service-name=", "-health-sync-containers=app", NULL};
  expect_exit(run_init(w, port, margs, log), 0, log);
  snprintf(check, sizeof check, "web-%s-app-consul-ecs", w->task_id);
  ecsb_err err = {0};
  assert_int_equal(fcon_agent_check_status(a, check, st, sizeof st, &err), 0);

  snprintf(log, sizeof log, "%s/health-sync-empty.log", w->dir);
  const char *hargs[] = {"health-sync",
                         "-service-name=", "-health-sync-containers=app",
                         "--interval=50ms", NULL};
  scn_proc *p = w->bg = run_init(w, port, hargs, log);
  assert_int_equal(
      fecs_container_set_health(w->f, w->task, "app", "HEALTHY", &err), 0);
  for (int i = 0; i < 400 && strcmp(st, "passing") != 0; i++) {
    ecsb_sleep_ms(10, NULL);
    fcon_agent_check_status(a, check, st, sizeof st, NULL);
  }
  assert_string_equal(st, "passing");
  assert_int_equal(scn_proc_signal(p, SIGTERM), 0);
  w->bg = NULL;
  expect_exit(p, 0, log);
  fcon_agent_stop(a);
}

/* -ca-file with a plaintext gRPC address would give Envoy no TLS: the run
 * still works, and a warning names the flag instead of ignoring it. */
static void test_envoy_bootstrap_warns_of_an_unused_ca_file(void **s) {
  world *w = *s;
  fcon_agent *a = agent_on(w, 0);
  char log[128], pid[FECS_ARN_MAX + 32], ca[160], caflag[180];
  snprintf(log, sizeof log, "%s/mesh-init-ca.log", w->dir);
  expect_exit(start_mesh_init(w, fcon_agent_port(a), log), 0, log);
  snprintf(ca, sizeof ca, "%s/ca.pem", w->dir);
  assert_int_equal(ecsb_atomic_write(ca, "not used\n", 9, 0644, NULL), 0);
  snprintf(caflag, sizeof caflag, "-ca-file=%s", ca);
  snprintf(pid, sizeof pid, "web-%s-sidecar-proxy", w->task_id);
  snprintf(log, sizeof log, "%s/envoy-bootstrap-ca.log", w->dir);
  const char *args[] = {"envoy-bootstrap", "-proxy-id", pid, caflag, NULL};
  expect_exit(run_init(w, fcon_agent_port(a), args, log), 0, log);
  char *out = NULL;
  assert_int_equal(ecsb_read_file(log, 1 << 20, &out, NULL, NULL), 0);
  assert_non_null(strstr(out, "level=warn msg=\"flag -ca-file is ignored"));
  assert_null(strstr(out, "transport_socket"));
  free(out);
  fcon_agent_stop(a);
}

/* The agent's xDS ports as Consul 1.14+ reports them: a TLS port is
 * preferred (the bootstrap speaks TLS to 8503, never plaintext to it), and
 * an agent with gRPC off is an error that says so, not a bootstrap for
 * 8502. */
static void test_xds_ports_as_consul_picks_them(void **s) {
  world *w = *s;
  fcon_agent *a = agent_xds(w, 0, -1, 8503);
  char log[128], ca[160], cae[200], path[160];
  snprintf(ca, sizeof ca, "%s/ca.pem", w->dir);
  assert_int_equal(ecsb_atomic_write(ca, "CA PEM\n", 7, 0644, NULL), 0);
  snprintf(cae, sizeof cae, "CONSUL_CACERT=%s", ca);
  w->env_extra = cae;
  snprintf(log, sizeof log, "%s/mesh-init-tls.log", w->dir);
  expect_exit(start_mesh_init(w, fcon_agent_port(a), log), 0, log);
  w->env_extra = NULL;
  snprintf(path, sizeof path, "%s/envoy-bootstrap.json", w->dir);
  char *b = NULL;
  assert_int_equal(ecsb_read_file(path, 1 << 20, &b, NULL, NULL), 0);
  cJSON *bj = cJSON_Parse(b);
  free(b);
  cJSON *cl = cJSON_GetArrayItem(
      cJSON_GetObjectItem(cJSON_GetObjectItem(bj, "static_resources"),
                          "clusters"),
      0);
  assert_non_null(cJSON_GetObjectItem(cl, "transport_socket"));
  char *txt = cJSON_PrintUnformatted(cl);
  assert_non_null(strstr(txt, "\"port_value\":8503"));
  free(txt);
  cJSON_Delete(bj);
  fcon_agent_stop(a);

  a = agent_xds(w, 0, -1, -1);
  snprintf(log, sizeof log, "%s/mesh-init-nogrpc.log", w->dir);
  expect_exit(start_mesh_init(w, fcon_agent_port(a), log), 1, log);
  char *l = NULL;
  assert_int_equal(ecsb_read_file(log, 1 << 20, &l, NULL, NULL), 0);
  assert_non_null(strstr(l, "/v1/agent/self: the agent has gRPC disabled"));
  /* The failure came after both registrations: both are taken back. */
  assert_non_null(strstr(l, "msg=\"deregistered after the failure\""));
  free(l);
  assert_int_equal(agent_services(w, a), 0);
  fcon_agent_stop(a);
}

/* A bootstrap folder that does not exist fails before anything is
 * registered (it used to leave both registrations behind). */
static void test_checks_before_registering(void **s) {
  world *w = *s;
  fcon_agent *a = agent_on(w, 0);
  char log[128], dir[160], l2[160];
  snprintf(log, sizeof log, "%s/mesh-init-nodir.log", w->dir);
  snprintf(dir, sizeof dir, "-envoy-bootstrap-dir=%s/nope", w->dir);
  const char *args[] = {"mesh-init", dir, "-port=9090", NULL};
  expect_exit(run_init(w, fcon_agent_port(a), args, log), 1, log);
  char *l = NULL;
  assert_int_equal(ecsb_read_file(log, 1 << 20, &l, NULL, NULL), 0);
  snprintf(l2, sizeof l2, "cannot create a temp file in %s/nope", w->dir);
  assert_non_null(strstr(l, l2));
  free(l);
  assert_int_equal(agent_services(w, a), 0);
  /* So does a gRPC address that cannot be parsed. */
  snprintf(dir, sizeof dir, "-envoy-bootstrap-dir=%s", w->dir);
  const char *args2[] = {"mesh-init", dir, "--grpc-addr=ftp://x:1", NULL};
  expect_exit(run_init(w, fcon_agent_port(a), args2, log), 1, log);
  assert_int_equal(agent_services(w, a), 0);
  fcon_agent_stop(a);
}

/* The usual ACL setup: a token from a service identity (service:write on
 * web and web-sidecar-proxy, read on everything, no agent:read). The agent
 * denies /v1/agent/self, and mesh-init still registers both services and
 * writes a bootstrap (datacenter from the registration, gRPC 8502). */
static void test_registers_with_a_service_identity_token(void **s) {
  world *w = *s;
  static const char *const si[] = {"web", "web-sidecar-proxy", NULL};
  static const fcon_acl_token toks[] = {
      {.secret = "si-token", .services = si, .read_all = true}};
  fcon_acl_config acl = {true, toks, 1};
  fcon_agent *a = agent_acl(w, 0, 0, 0, &acl);
  char log[128], path[160];
  snprintf(path, sizeof path, "%s/envoy-bootstrap.json", w->dir);
  unlink(path);
  snprintf(log, sizeof log, "%s/mesh-init-si.log", w->dir);
  w->env_extra = "CONSUL_HTTP_TOKEN=si-token";
  expect_exit(start_mesh_init(w, fcon_agent_port(a), log), 0, log);
  w->env_extra = NULL;
  char *l = NULL;
  assert_int_equal(ecsb_read_file(log, 1 << 20, &l, NULL, NULL), 0);
  assert_non_null(strstr(l, "no agent:read for /v1/agent/self"));
  free(l);
  char *b = NULL;
  assert_int_equal(ecsb_read_file(path, 1 << 20, &b, NULL, NULL), 0);
  assert_non_null(strstr(b, "\"port_value\": 8502"));
  assert_non_null(strstr(b, "si-token")); /* Envoy's x-consul-token */
  free(b);
  /* The service is registered with its TTL check; the proxy is, since the
   * bootstrap is made from its registration (a 404 otherwise). */
  char check[FECS_ARN_MAX + 64], st[32];
  snprintf(check, sizeof check, "web-%s-app-consul-ecs", w->task_id);
  assert_int_equal(fcon_agent_check_status(a, check, st, sizeof st, NULL), 0);
  fcon_agent_stop(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_registers_with_a_late_agent_and_writes_bootstrap),
      cmocka_unit_test(test_agent_500_three_times_then_success),
      cmocka_unit_test(test_metadata_down_then_up),
      cmocka_unit_test(test_health_sync_mirrors_ecs_health),
      cmocka_unit_test(test_envoy_bootstrap_reads_the_registration),
      cmocka_unit_test(test_empty_service_name_means_the_family),
      cmocka_unit_test(test_envoy_bootstrap_warns_of_an_unused_ca_file),
      cmocka_unit_test(test_xds_ports_as_consul_picks_them),
      cmocka_unit_test(test_registers_with_a_service_identity_token),
      cmocka_unit_test(test_checks_before_registering),
  };
  ecsb_http_global_init(NULL);
  int rc = cmocka_run_group_tests(tests, setup, teardown);
  ecsb_http_global_cleanup();
  return rc;
}
