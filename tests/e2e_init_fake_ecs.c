/* e2e_init_fake_ecs.c - `ecsboot-init discover-servers` as a real process
 * against the in-process fake-ecs, with SigV4 verified, the container
 * environment fake-ecs hands out (metadata URI, FULL_URI credentials), and
 * fake-ecs's own faults: the server late, never RUNNING, throttling, and
 * wrong credentials. */
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
#include "fecs/fecs.h"
#include "scn/proc.h"

typedef struct world {
  fecs *f;
  char dir[64];
  char server_ip[32];
  char app_task[FECS_ARN_MAX];
} world;

static const char *server_td =
    "{\"family\":\"consul-server\",\"containerDefinitions\":[{\"name\":"
    "\"consul-server\",\"image\":\"hashicorp/consul:1.9\",\"essential\":"
    "true}]}";
static const char *app_td =
    "{\"family\":\"web\",\"containerDefinitions\":[{\"name\":"
    "\"discover-servers\",\"image\":\"ecsboot-init\",\"essential\":false},"
    "{\"name\":\"app\",\"image\":\"acme/web\"}]}";

static void reg(fecs *f, const char *td) {
  cJSON *j = cJSON_Parse(td);
  ecsb_err err = {0};
  if (fecs_task_definition_register(f, j, NULL, &err) != 0)
    fail_msg("register: %s", err.msg);
  cJSON_Delete(j);
}

/* Replaces w's fake-ecs with a fresh one holding both task definitions
 * and one app task; `tf` (may be NULL) applies to server tasks started
 * afterwards. */
static void new_world(world *w, const fecs_task_fault *tf) {
  fecs_free(w->f);
  fecs_config c;
  fecs_config_default(&c);
  c.create_default_cluster = true;
  ecsb_err err = {0};
  if (fecs_new(&c, &w->f, &err) != 0)
    fail_msg("fecs_new: %s", err.msg);
  reg(w->f, server_td);
  reg(w->f, app_td);
  fecs_run_opts ro = {.task_definition = "web"};
  if (fecs_task_run(w->f, &ro, w->app_task, &err) != 0)
    fail_msg("run app: %s", err.msg);
  if (tf && fecs_fault_task(w->f, tf, &err) != 0)
    fail_msg("task fault: %s", err.msg);
}

static int setup(void **state) {
  world *w = calloc(1, sizeof *w);
  snprintf(w->dir, sizeof w->dir, "/tmp/ecsb-e2e-fecs-XXXXXX");
  if (!mkdtemp(w->dir))
    return -1;
  unsigned p = (unsigned)getpid();
  snprintf(w->server_ip, sizeof w->server_ip, "127.%u.%u.10", 100 + p % 100,
           (p / 100) % 250);
  new_world(w, NULL);
  *state = w;
  return 0;
}

static int teardown(void **state) {
  world *w = *state;
  fecs_free(w->f);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", w->dir);
  int rc = system(cmd);
  free(w);
  return rc;
}

static void run_server(world *w) {
  fecs_run_opts ro = {.task_definition = "consul-server", .ip = w->server_ip};
  ecsb_err err = {0};
  if (fecs_task_run(w->f, &ro, NULL, &err) != 0)
    fail_msg("run server: %s", err.msg);
}

/* Runs discover-servers with the environment fake-ecs gives the app
 * task's discover-servers container, plus extra "K=V" entries. */
static int discover(world *w, const char *timeout, const char *const *extra,
                    char **log_out) {
  fecs_env fe;
  ecsb_err err = {0};
  assert_int_equal(
      fecs_container_env(w->f, w->app_task, "discover-servers", &fe, &err), 0);
  char env_store[16][1024];
  const char *envp[24];
  size_t n = 0;
  static const char *keep[] = {
      "ECS_CONTAINER_METADATA_URI_V4", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
      "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_REGION"};
  for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
    const char *v = fecs_env_get(&fe, keep[i]);
    assert_non_null(v);
    snprintf(env_store[n], sizeof env_store[n], "%s=%s", keep[i], v);
    envp[n] = env_store[n];
    n++;
  }
  snprintf(env_store[n], sizeof env_store[n], "AWS_ENDPOINT_URL_ECS=%s",
           fecs_api_url(w->f));
  envp[n] = env_store[n];
  n++;
  fecs_env_clear(&fe);
  for (; extra && *extra; extra++)
    envp[n++] = *extra;
  envp[n] = NULL;
  char out[128], log[128];
  snprintf(out, sizeof out, "%s/server-ip", w->dir);
  snprintf(log, sizeof log, "%s/discover.log", w->dir);
  unlink(out);
  unlink(log);
  const char *argv[] = {
      INIT_BIN, "discover-servers", "--family", "consul-server",   "--out",
      out,      "--timeout",        timeout,    "--poll-interval", "50ms",
      NULL};
  scn_spawn_opts o = {.argv = argv, .envp = envp, .log_path = log};
  scn_proc *p = NULL;
  assert_int_equal(scn_proc_spawn(&o, &p, &err), 0);
  int code = -1;
  assert_true(scn_proc_wait(p, 60000, &code, NULL));
  scn_proc_free(p);
  if (log_out)
    assert_int_equal(ecsb_read_file(log, 1 << 20, log_out, NULL, NULL), 0);
  return code;
}

static void *heal_later(void *arg) {
  world *w = arg;
  ecsb_sleep_ms(300, NULL);
  fecs_fault_endpoint(w->f, FECS_EP_CREDENTIALS, FECS_EP_OK, 0, NULL);
  return NULL;
}

static char *server_ip_file(world *w) {
  char path[128], *buf = NULL;
  snprintf(path, sizeof path, "%s/server-ip", w->dir);
  if (ecsb_read_file(path, 1024, &buf, NULL, NULL) != 0)
    return NULL;
  return buf;
}

static void test_finds_the_running_server(void **state) {
  world *w = *state;
  run_server(w);
  char *log = NULL;
  int code = discover(w, "20s", NULL, &log);
  if (code != 0)
    fail_msg("exit %d: %s", code, log);
  char *ip = server_ip_file(w);
  assert_non_null(ip);
  assert_string_equal(ip, w->server_ip);
  free(ip);
  free(log);
  fecs_stats st;
  fecs_get_stats(w->f, &st);
  assert_true(st.api_calls >= 2); /* ListTasks + DescribeTasks, signed */
}

static void test_wrong_secret_is_an_auth_error(void **state) {
  world *w = *state;
  const char *extra[] = {"AWS_ACCESS_KEY_ID=AKIAWRONGWRONGWRONG1",
                         "AWS_SECRET_ACCESS_KEY=not-the-secret", NULL};
  char *log = NULL;
  int code = discover(w, "20s", extra, &log);
  if (code != 3)
    fail_msg("exit %d, want 3: %s", code, log);
  assert_null(server_ip_file(w));
  assert_null(strstr(log, "not-the-secret")); /* never logged */
  free(log);
}

static void test_server_never_running_times_out(void **state) {
  world *w = *state;
  fecs_task_fault tf = {.kind = FECS_TF_NEVER_RUNNING,
                        .family = "consul-server"};
  /* A fresh world: the earlier server task is already RUNNING. */
  new_world(w, &tf);
  run_server(w);
  char *log = NULL;
  int code = discover(w, "1s", NULL, &log);
  if (code != 2)
    fail_msg("exit %d, want 2: %s", code, log);
  assert_null(server_ip_file(w));
  free(log);
}

static void test_server_late_and_throttled_still_succeeds(void **state) {
  world *w = *state;
  fecs_task_fault late = {
      .kind = FECS_TF_LATE, .family = "consul-server", .delay_ms = 500};
  new_world(w, &late);
  assert_int_equal(fecs_throttle_set(w->f, "DescribeTasks", 1, 4, NULL), 0);
  run_server(w);
  char *log = NULL;
  int code = discover(w, "30s", NULL, &log);
  if (code != 0)
    fail_msg("exit %d: %s", code, log);
  char *ip = server_ip_file(w);
  assert_string_equal(ip, w->server_ip);
  free(ip);
  free(log);
  fecs_stats st;
  fecs_get_stats(w->f, &st);
  printf("late+throttled: %llu API calls, %llu throttled\n",
         (unsigned long long)st.api_calls, (unsigned long long)st.throttled);
}

static void test_credentials_down_then_up(void **state) {
  world *w = *state;
  new_world(w, NULL);
  run_server(w);
  assert_int_equal(
      fecs_fault_endpoint(w->f, FECS_EP_CREDENTIALS, FECS_EP_DOWN, 0, NULL), 0);
  /* Heal it from another thread after 300 ms while discover runs. */
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, heal_later, w), 0);
  char *log = NULL;
  int code = discover(w, "20s", NULL, &log);
  pthread_join(t, NULL);
  if (code != 0)
    fail_msg("exit %d: %s", code, log);
  char *ip = server_ip_file(w);
  assert_string_equal(ip, w->server_ip);
  free(ip);
  free(log);
}

static void test_malformed_metadata_is_a_clear_error(void **state) {
  world *w = *state;
  new_world(w, NULL);
  run_server(w);
  assert_int_equal(
      fecs_fault_endpoint(w->f, FECS_EP_METADATA, FECS_EP_MALFORMED, 0, NULL),
      0);
  char *log = NULL;
  int code = discover(w, "2s", NULL, &log);
  if (code != 1) /* documented: 1 for bad input from a peer */
    fail_msg("exit %d, want 1: %s", code, log);
  assert_null(server_ip_file(w)); /* nothing written */
  assert_non_null(strstr(log, "metadata"));
  free(log);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_finds_the_running_server),
      cmocka_unit_test(test_wrong_secret_is_an_auth_error),
      cmocka_unit_test(test_server_never_running_times_out),
      cmocka_unit_test(test_server_late_and_throttled_still_succeeds),
      cmocka_unit_test(test_credentials_down_then_up),
      cmocka_unit_test(test_malformed_metadata_is_a_clear_error),
  };
  ecsb_http_global_init(NULL);
  int rc = cmocka_run_group_tests(tests, setup, teardown);
  ecsb_http_global_cleanup();
  return rc;
}
