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
} world;

static const char *app_td =
    "{\"family\":\"web\",\"containerDefinitions\":["
    "{\"name\":\"mesh-init\",\"image\":\"ecsboot-init\",\"essential\":false},"
    "{\"name\":\"app\",\"image\":\"acme/web\"}]}";

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
  fcon_server_stop(w->srv);
  fecs_free(w->f);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", w->dir);
  int rc = system(cmd);
  free(w);
  return rc;
}

static fcon_agent *agent_on(world *w, uint16_t port) {
  fcon_agent_config ac;
  fcon_agent_config_default(&ac);
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

static scn_proc *start_mesh_init(world *w, uint16_t agent_port,
                                 const char *log) {
  fecs_env fe;
  ecsb_err err = {0};
  assert_int_equal(fecs_container_env(w->f, w->task, "mesh-init", &fe, &err),
                   0);
  static char meta[1024], consul[128], boot[160];
  snprintf(meta, sizeof meta, "ECS_CONTAINER_METADATA_URI_V4=%s",
           fecs_env_get(&fe, "ECS_CONTAINER_METADATA_URI_V4"));
  fecs_env_clear(&fe);
  snprintf(consul, sizeof consul, "CONSUL_HTTP_ADDR=%s:%u", w->task_ip,
           agent_port);
  snprintf(boot, sizeof boot, "-envoy-bootstrap-file=%s/envoy-bootstrap.json",
           w->dir);
  const char *envp[] = {meta, consul, NULL};
  const char *argv[] = {INIT_BIN,     "mesh-init",  boot,
                        "-port=9090", "-upstreams", "db:1234",
                        "--timeout",  "20s",        NULL};
  scn_spawn_opts o = {.argv = argv, .envp = envp, .log_path = log};
  scn_proc *p = NULL;
  assert_int_equal(scn_proc_spawn(&o, &p, &err), 0);
  return p;
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
  int code = -1;
  assert_true(scn_proc_wait(p, 30000, &code, NULL));
  scn_proc_free(p);
  char *l = NULL;
  ecsb_read_file(log, 1 << 20, &l, NULL, NULL);
  if (code != 0)
    fail_msg("mesh-init exit %d: %s", code, l);
  free(l);

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
  assert_true(scn_proc_wait(p, 30000, &code, NULL));
  scn_proc_free(p);
  assert_int_equal(code, 0);
  char *b2 = NULL;
  assert_int_equal(ecsb_read_file(boot, 1 << 20, &b2, NULL, NULL), 0);
  assert_string_equal(b1, b2);
  free(b1);
  free(b2);
  fcon_agent_stop(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_registers_with_a_late_agent_and_writes_bootstrap),
  };
  ecsb_http_global_init(NULL);
  int rc = cmocka_run_group_tests(tests, setup, teardown);
  ecsb_http_global_cleanup();
  return rc;
}
