/* e2e_init_health.c - `ecsboot-init health-check` and `health-sync` as real
 * processes: probe exit codes against local listeners, and health-sync
 * mirroring ECS container health into a local agent's TTL checks (only on
 * change), then on SIGTERM marking everything critical, optionally
 * deregistering, and exiting 0. Waits are bounded polls for a condition. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ecsb/clock.h"
#include "ecsb/http.h"
#include "init_testutil.h"

static int listener(int *port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, (struct sockaddr *)&a, sizeof a);
  listen(fd, 4);
  socklen_t l = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &l);
  *port = ntohs(a.sin_port);
  return fd;
}

static int run_check(const char *const *args, tu_proc_result *r) {
  const char *argv[8] = {tu_init_bin(), "health-check"};
  for (int i = 0; args[i] && i < 5; i++)
    argv[i + 2] = args[i];
  const char *env[] = {NULL};
  assert_int_equal(tu_run(argv, env, 20000, r), 0);
  return r->exit_code;
}

static void test_health_check_exit_codes(void **state) {
  (void)state;
  int port;
  int fd = listener(&port);
  char hp[64];
  snprintf(hp, sizeof hp, "127.0.0.1:%d", port);
  tu_proc_result r;
  const char *tcp_ok[] = {"tcp", hp, "--timeout=2s", NULL};
  assert_int_equal(run_check(tcp_ok, &r), 0);
  close(fd);
  assert_int_equal(run_check(tcp_ok, &r), 1);
  assert_non_null(strstr(r.err, "unhealthy: tcp"));
  tu_json j = {0};
  assert_int_equal(tu_json_start(&j, "ok"), 0);
  char url[128];
  snprintf(url, sizeof url, "%s/health", j.url);
  const char *http_ok[] = {"http", url, NULL};
  assert_int_equal(run_check(http_ok, &r), 0);
  tu_json_set(&j, 500, "bad");
  assert_int_equal(run_check(http_ok, &r), 1);
  assert_non_null(strstr(r.err, "HTTP 500 not expected"));
  const char *http_500[] = {"http", url, "-expect", "500", NULL};
  assert_int_equal(run_check(http_500, &r), 0);
  tu_json_stop(&j);
  struct {
    const char *args[4];
    const char *want;
  } usage[] = {
      {{NULL}, "expected `tcp HOST:PORT`"},
      {{"udp", "x:1", NULL}, "expected `tcp HOST:PORT`"},
      {{"tcp", "x:1", "--expect=abc", NULL}, NULL},
      {{"http", url, "--expect=abc", NULL}, "flag -expect"},
      {{"tcp", "nohost", NULL}, "expected HOST:PORT"},
      {{"tcp", hp, "--timeout=forever", NULL}, "flag -timeout"},
  };
  for (size_t i = 0; i < sizeof usage / sizeof usage[0]; i++) {
    assert_int_equal(run_check(usage[i].args, &r), 1);
    if (usage[i].want && !strstr(r.err, usage[i].want))
      fprintf(stderr, "case %zu: %s\n", i, r.err);
    if (usage[i].want)
      assert_non_null(strstr(r.err, usage[i].want));
  }
  const char *help[] = {"--help", NULL};
  assert_int_equal(run_check(help, &r), 0);
  assert_non_null(strstr(r.out, "--expect CODES"));
}

/* ---- health-sync ----------------------------------------------------- */

typedef struct fx {
  tu_agent agent;
  tu_json md;
  char *dir;
  int pid; /* a running health-sync, killed by teardown if a test failed */
} fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  if (tu_agent_start(&f->agent, NULL) != 0)
    return -1;
  char *md = tu_task_metadata("web", "t1", "127.0.0.1", "app:UNHEALTHY");
  if (tu_json_start(&f->md, md) != 0)
    return -1;
  free(md);
  f->dir = tu_tmpdir();
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  if (f->pid > 0) {
    kill(f->pid, SIGKILL);
    tu_wait(f->pid, 5000);
  }
  tu_agent_stop(&f->agent);
  tu_json_stop(&f->md);
  tu_rmtree(f->dir);
  free(f->dir);
  free(f);
  return 0;
}

static int spawn_sync(fx *f, const char *extra) {
  char md_env[128], addr_env[128];
  snprintf(md_env, sizeof md_env, "ECS_CONTAINER_METADATA_URI_V4=%s",
           f->md.url);
  snprintf(addr_env, sizeof addr_env, "CONSUL_HTTP_ADDR=%s", f->agent.addr);
  const char *argv[] = {
      tu_init_bin(), "health-sync",     "-health-sync-containers",
      "app,sidecar", "--interval=20ms", extra,
      NULL};
  const char *env[] = {md_env, addr_env, NULL};
  f->pid = tu_spawn(argv, env, f->dir);
  return f->pid;
}

/* Polls (bounded) until check `id` has status `want`. */
static bool wait_status(fx *f, const char *id, const char *want) {
  int64_t deadline = ecsb_mono_ms() + 20000;
  char st[32];
  while (ecsb_mono_ms() < deadline) {
    tu_agent_check_status(&f->agent, id, st, sizeof st);
    if (strcmp(st, want) == 0)
      return true;
    ecsb_sleep_ms(10, NULL);
  }
  fprintf(stderr, "check %s: got \"%s\", want \"%s\"\n", id, st, want);
  return false;
}

/* Polls (bounded) until the metadata endpoint saw `n` more reads. */
static bool wait_reads(fx *f, int n) {
  int want = tu_json_requests(&f->md) + n;
  int64_t deadline = ecsb_mono_ms() + 20000;
  while (ecsb_mono_ms() < deadline) {
    if (tu_json_requests(&f->md) >= want)
      return true;
    ecsb_sleep_ms(10, NULL);
  }
  return false;
}

static int updates(fx *f) {
  pthread_mutex_lock(&f->agent.mu);
  int n = f->agent.n_update;
  pthread_mutex_unlock(&f->agent.mu);
  return n;
}

static int stop_sync(fx *f, int pid) {
  kill(pid, SIGTERM);
  int code = tu_wait(pid, 20000);
  f->pid = 0;
  return code;
}

static void test_health_sync_mirrors_changes_then_sigterm(void **state) {
  fx *f = *state;
  int pid = spawn_sync(f, NULL);
  assert_true(pid > 0);
  assert_true(wait_status(f, "web-t1-app-consul-ecs", "critical"));
  /* "sidecar" is missing from the metadata: critical too. */
  assert_true(wait_status(f, "web-t1-sidecar-consul-ecs", "critical"));
  char *md = tu_task_metadata("web", "t1", "127.0.0.1", "app:HEALTHY");
  tu_json_set(&f->md, 200, md);
  free(md);
  assert_true(wait_status(f, "web-t1-app-consul-ecs", "passing"));
  /* Stable health: many intervals pass without another update. */
  int n = updates(f);
  assert_true(wait_reads(f, 10));
  assert_int_equal(updates(f), n);
  assert_int_equal(stop_sync(f, pid), 0);
  char st[32];
  tu_agent_check_status(&f->agent, "web-t1-app-consul-ecs", st, sizeof st);
  assert_string_equal(st, "critical");
  assert_int_equal(f->agent.n_deregister, 0);
  char path[1100];
  snprintf(path, sizeof path, "%s/stderr.txt", f->dir);
  char *log = tu_slurp(path, NULL);
  assert_non_null(strstr(log, "stopping: marking checks critical"));
  free(log);
}

static void test_health_sync_deregisters_on_exit(void **state) {
  fx *f = *state;
  int pid = spawn_sync(f, "--deregister-on-exit");
  assert_true(pid > 0);
  assert_true(wait_status(f, "web-t1-app-consul-ecs", "critical"));
  assert_int_equal(stop_sync(f, pid), 0);
  assert_int_equal(f->agent.n_deregister, 2);
  assert_non_null(strstr(f->agent.log,
                         "PUT /v1/agent/service/deregister/web-t1-sidecar-"
                         "proxy\nPUT /v1/agent/service/deregister/web-t1\n"));
}

static void test_health_sync_survives_metadata_outage(void **state) {
  fx *f = *state;
  int pid = spawn_sync(f, NULL);
  assert_true(wait_status(f, "web-t1-app-consul-ecs", "critical"));
  tu_json_set(&f->md, 500, "down");
  assert_true(wait_reads(f, 5));
  char *md = tu_task_metadata("web", "t1", "127.0.0.1", "app:HEALTHY");
  tu_json_set(&f->md, 200, md);
  free(md);
  assert_true(wait_status(f, "web-t1-app-consul-ecs", "passing"));
  assert_int_equal(stop_sync(f, pid), 0);
}

static void test_health_sync_sigterm_before_metadata_exits_0(void **state) {
  fx *f = *state;
  /* The task stops while the metadata endpoint still fails: nothing is
   * known, so nothing is sent, and the exit is prompt and clean. */
  tu_json_set(&f->md, 503, "not yet");
  int pid = spawn_sync(f, NULL);
  assert_true(pid > 0);
  assert_true(wait_reads(f, 2));
  int64_t t0 = ecsb_mono_ms();
  assert_int_equal(stop_sync(f, pid), 0);
  assert_true(ecsb_mono_ms() - t0 < 3000);
  assert_int_equal(updates(f), 0);
}

static void test_health_sync_sigterm_with_agent_gone_is_bounded(void **state) {
  fx *f = *state;
  int pid = spawn_sync(f, NULL);
  assert_true(wait_status(f, "web-t1-app-consul-ecs", "critical"));
  /* The agent container stopped first: marking critical cannot succeed,
   * and must give up within its 5 s budget (ECS's SIGKILL comes at the
   * container's stopTimeout, 30 s by default). */
  tu_agent_stop(&f->agent);
  memset(&f->agent, 0, sizeof f->agent);
  int64_t t0 = ecsb_mono_ms();
  assert_int_equal(stop_sync(f, pid), 0);
  int64_t took = ecsb_mono_ms() - t0;
  assert_true(took >= 4000 && took < 9000);
  assert_int_equal(tu_agent_start(&f->agent, NULL), 0); /* for teardown */
  char path[1100];
  snprintf(path, sizeof path, "%s/stderr.txt", f->dir);
  char *log = tu_slurp(path, NULL);
  assert_non_null(strstr(log, "level=warn"));
  free(log);
}

static void test_health_sync_usage(void **state) {
  (void)state;
  const char *argv[] = {tu_init_bin(), "health-sync", NULL};
  const char *env[] = {NULL};
  tu_proc_result r;
  assert_int_equal(tu_run(argv, env, 20000, &r), 0);
  assert_int_equal(r.exit_code, 1);
  assert_non_null(strstr(r.err, "flag -health-sync-containers is required"));
  const char *argv2[] = {tu_init_bin(), "health-sync",
                         "-health-sync-containers=app", "-interval=1ms", NULL};
  assert_int_equal(tu_run(argv2, env, 20000, &r), 0);
  assert_int_equal(r.exit_code, 1);
  assert_non_null(strstr(r.err, "flag -interval"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_health_check_exit_codes),
      cmocka_unit_test_setup_teardown(
          test_health_sync_mirrors_changes_then_sigterm, setup, teardown),
      cmocka_unit_test_setup_teardown(test_health_sync_deregisters_on_exit,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_health_sync_survives_metadata_outage,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_health_sync_sigterm_before_metadata_exits_0, setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_health_sync_sigterm_with_agent_gone_is_bounded, setup, teardown),
      cmocka_unit_test(test_health_sync_usage),
  };
  ecsb_http_global_init(NULL);
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  ecsb_http_global_cleanup();
  return rc;
}
