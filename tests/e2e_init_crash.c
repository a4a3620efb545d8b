/* e2e_init_crash.c - crash safety of ecsboot-init's outputs: discover-servers
 * and mesh-init are killed with SIGKILL at random moments of their run
 * (seeded, so a failure replays), and after each kill the output file is
 * either absent or complete and identical to a finished run's: never a
 * part. CRASH_RUNS (100) runs of each (ECSB_CRASH_RUNS overrides, e.g. 1000 for
 * the long run reported in the issue note). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ecsb/clock.h"
#include "ecsb/http.h"
#include "init_testutil.h"

#define CRASH_RUNS 100

static const char *creds_ok =
    "{\"AccessKeyId\": \"ASIACR\", \"SecretAccessKey\": \"crash-secret\", "
    "\"Token\": \"crash-session\", \"Expiration\": \"2099-01-01T00:00:00Z\"}";

typedef struct fx {
  tu_ecs ecs;
  tu_json md, creds;
  tu_agent agent;
  char *dir;
  char out[1024], boot[1024];
  char md_env[128], ecs_env[128], creds_env[160], addr_env[128];
} fx;

static int runs(void) {
  const char *v = getenv("ECSB_CRASH_RUNS");
  int n = v ? atoi(v) : CRASH_RUNS;
  return n > 0 ? n : CRASH_RUNS;
}

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  char *md = tu_task_metadata("web", "t1", "10.0.0.5",
                              "consul-client:,app:HEALTHY,sidecar-proxy:");
  if (!f || tu_ecs_start(&f->ecs) || tu_json_start(&f->md, md) ||
      tu_json_start(&f->creds, creds_ok) || tu_agent_start(&f->agent, NULL))
    return -1;
  free(md);
  tu_ecs_add_key(&f->ecs, "ASIACR", "crash-secret");
  tu_ecs_add_task(&f->ecs, "s1", "RUNNING", "RUNNING", "HEALTHY", "10.1.0.7");
  f->dir = tu_tmpdir();
  snprintf(f->out, sizeof f->out, "%s/server-ip", f->dir);
  snprintf(f->boot, sizeof f->boot, "%s/envoy-bootstrap.json", f->dir);
  snprintf(f->md_env, sizeof f->md_env, "ECS_CONTAINER_METADATA_URI_V4=%s",
           f->md.url);
  snprintf(f->ecs_env, sizeof f->ecs_env, "AWS_ENDPOINT_URL_ECS=%s",
           f->ecs.url);
  snprintf(f->creds_env, sizeof f->creds_env,
           "AWS_CONTAINER_CREDENTIALS_FULL_URI=%s/v2/credentials/x",
           f->creds.url);
  snprintf(f->addr_env, sizeof f->addr_env, "CONSUL_HTTP_ADDR=%s",
           f->agent.addr);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  tu_ecs_stop(&f->ecs);
  tu_json_stop(&f->md);
  tu_json_stop(&f->creds);
  tu_agent_stop(&f->agent);
  tu_rmtree(f->dir);
  free(f->dir);
  free(f);
  return 0;
}

/* Runs argv once to the end and returns how long it took (ms) and what it
 * wrote to path. */
static char *reference(const char *const *argv, const char *const *env,
                       const char *path, int64_t *ms) {
  unlink(path);
  tu_proc_result r;
  int64_t t0 = ecsb_mono_ms();
  assert_int_equal(tu_run(argv, env, 60000, &r), 0);
  *ms = ecsb_mono_ms() - t0;
  if (r.exit_code != 0)
    fail_msg("reference run failed: %s", r.err);
  char *text = tu_slurp(path, NULL);
  assert_non_null(text);
  return text;
}

/* Kills runs at seeded random moments within a full run's time. */
static void kill_at_random(fx *f, const char *const *argv,
                           const char *const *env, const char *path,
                           uint64_t seed) {
  int64_t full_ms = 0;
  char *want = reference(argv, env, path, &full_ms);
  ecsb_rng g;
  ecsb_rng_seed(&g, seed);
  int n = runs(), absent = 0, complete = 0;
  for (int i = 0; i < n; i++) {
    unlink(path);
    int64_t delay_us =
        (int64_t)ecsb_rng_below(&g, (uint64_t)(full_ms * 1000 + 1));
    int pid = tu_spawn(argv, env, f->dir);
    assert_true(pid > 0);
    struct timespec ts = {.tv_sec = delay_us / 1000000,
                          .tv_nsec = (delay_us % 1000000) * 1000};
    nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    tu_wait(pid, 10000);
    size_t len = 0;
    char *got = tu_slurp(path, &len);
    if (!got) {
      absent++;
      continue;
    }
    if (strcmp(got, want) != 0)
      fail_msg("run %d (killed after %lld us): %s holds %zu bytes that are "
               "not the complete output",
               i, (long long)delay_us, path, len);
    complete++;
    free(got);
  }
  /* Both outcomes happen: the kills land before and after the write. */
  fprintf(stderr, "%s: %d runs, %d absent, %d complete (full run %lld ms)\n",
          argv[1], n, absent, complete, (long long)full_ms);
  assert_int_equal(absent + complete, n);
  free(want);
}

static void test_discover_servers_killed_anywhere(void **state) {
  fx *f = *state;
  char out_flag[1100];
  snprintf(out_flag, sizeof out_flag, "-out=%s", f->out);
  const char *argv[] = {tu_init_bin(), "discover-servers",
                        "-service-name=consul-server", out_flag, NULL};
  const char *env[] = {f->md_env, f->ecs_env, f->creds_env,
                       "AWS_CONTAINER_AUTHORIZATION_TOKEN=crash-token", NULL};
  kill_at_random(f, argv, env, f->out, 11);
}

static void test_mesh_init_killed_anywhere(void **state) {
  fx *f = *state;
  char boot_flag[1100];
  snprintf(boot_flag, sizeof boot_flag, "-envoy-bootstrap-file=%s", f->boot);
  const char *argv[] = {tu_init_bin(), "mesh-init", boot_flag,
                        "-port",       "8080",      NULL};
  const char *env[] = {f->md_env, f->addr_env, NULL};
  kill_at_random(f, argv, env, f->boot, 12);
}

int main(void) {
  ecsb_http_global_init(NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_discover_servers_killed_anywhere,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_mesh_init_killed_anywhere, setup,
                                      teardown),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  ecsb_http_global_cleanup();
  return rc;
}
