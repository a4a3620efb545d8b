/* e2e_init_entrypoint.c - `ecsboot-init envoy-entrypoint` as a real process
 * whose child is tests/entry_child.c (records the signals it gets, exits
 * with a chosen code), against fake-ecs's task metadata endpoint: exit
 * status passthrough, signal forwarding, the SIGTERM drain until the app
 * container is STOPPED, grace-period expiry, the metadata endpoint failing
 * during the drain, exec failure, SIGKILL of an ignoring child, and the
 * child dying with a SIGKILLed entrypoint. Waits are bounded polls. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ecsb/clock.h"
#include "ecsb/http.h"
#include "fecs/fecs.h"
#include "init_testutil.h"

/* The proxy's container has a name the built-in list does not know, so the
 * default selection must exclude it by asking the metadata who it is. */
static const char *task_def =
    "{\"family\":\"web\",\"containerDefinitions\":["
    "{\"name\":\"consul-client\",\"image\":\"hashicorp/consul\"},"
    "{\"name\":\"mesh-init\",\"image\":\"ecsboot-init\",\"essential\":false},"
    "{\"name\":\"envoy\",\"image\":\"envoyproxy/envoy\"},"
    "{\"name\":\"app\",\"image\":\"acme/web\"},"
    "{\"name\":\"worker\",\"image\":\"acme/worker\",\"essential\":false}]}";

typedef struct fx {
  fecs *f;
  char task[FECS_ARN_MAX];
  char md_env[600];
  char *dir;
  char rec[1100];
  int pid;       /* the entrypoint; killed by teardown if a test failed */
  int child_pid; /* from the child's "ready" line */
} fx;

static int setup(void **state) {
  fx *x = calloc(1, sizeof *x);
  fecs_config c;
  fecs_config_default(&c);
  char ip[32];
  snprintf(ip, sizeof ip, "127.18.%u.1", (unsigned)getpid() % 250 + 1);
  c.api_bind_ip = ip;
  c.metadata_bind_ip = ip;
  c.create_default_cluster = true;
  ecsb_err err = {0};
  if (fecs_new(&c, &x->f, &err) != 0) {
    fprintf(stderr, "fecs_new: %s\n", err.msg);
    return -1;
  }
  cJSON *td = cJSON_Parse(task_def);
  int rc = fecs_task_definition_register(x->f, td, NULL, &err);
  cJSON_Delete(td);
  fecs_run_opts ro = {.task_definition = "web"};
  if (rc || fecs_task_run(x->f, &ro, x->task, &err) != 0) {
    fprintf(stderr, "task: %s\n", err.msg);
    return -1;
  }
  fecs_tick(x->f);
  /* mesh-init has done its job: STOPPED, so it never matters. */
  fecs_container_set_exit(x->f, x->task, "mesh-init", 0, NULL, NULL);
  fecs_env fe;
  if (fecs_container_env(x->f, x->task, "envoy", &fe, &err) != 0)
    return -1;
  snprintf(x->md_env, sizeof x->md_env, "ECS_CONTAINER_METADATA_URI_V4=%s",
           fecs_env_get(&fe, "ECS_CONTAINER_METADATA_URI_V4"));
  fecs_env_clear(&fe);
  x->dir = tu_tmpdir();
  snprintf(x->rec, sizeof x->rec, "%s/child.txt", x->dir);
  *state = x;
  return 0;
}

static int teardown(void **state) {
  fx *x = *state;
  if (x->pid > 0) {
    kill(x->pid, SIGKILL);
    tu_wait(x->pid, 5000);
  }
  if (x->child_pid > 0)
    kill(x->child_pid, SIGKILL);
  fecs_free(x->f);
  tu_rmtree(x->dir);
  free(x->dir);
  free(x);
  return 0;
}

/* Starts the entrypoint with `flags` (NULL-terminated, may be NULL) and
 * the child with `child_args`. */
static int spawn(fx *x, const char *const *flags, const char *const *child) {
  const char *argv[32] = {tu_init_bin(), "envoy-entrypoint",
                          "--poll-interval=20ms"};
  size_t n = 3;
  for (; flags && *flags; flags++)
    argv[n++] = *flags;
  argv[n++] = "--";
  argv[n++] = CHILD_BIN;
  argv[n++] = x->rec;
  for (; child && *child; child++)
    argv[n++] = *child;
  argv[n] = NULL;
  const char *env[] = {x->md_env, NULL};
  x->pid = tu_spawn(argv, env, x->dir);
  return x->pid;
}

static char *record(fx *x) {
  char *s = tu_slurp(x->rec, NULL);
  return s ? s : strdup("");
}

/* Polls (bounded) until the child's record holds `want`. */
static bool wait_record(fx *x, const char *want) {
  int64_t deadline = ecsb_mono_ms() + 10000;
  while (ecsb_mono_ms() < deadline) {
    char *r = record(x);
    bool ok = strstr(r, want) != NULL;
    free(r);
    if (ok)
      return true;
    ecsb_sleep_ms(5, NULL);
  }
  char *r = record(x);
  fprintf(stderr, "record lacks \"%s\":\n%s\n", want, r);
  free(r);
  return false;
}

/* Waits for the child's "ready" line; returns its pid, checking that it
 * leads its own process group. */
static int wait_ready(fx *x) {
  if (!wait_record(x, "ready"))
    return -1;
  char *r = record(x);
  long pid = 0, pgid = 0;
  const char *p = strstr(r, "ready ");
  int got = p ? sscanf(p, "ready pid=%ld pgid=%ld", &pid, &pgid) : 0;
  free(r);
  assert_int_equal(got, 2);
  assert_int_equal(pid, pgid);
  x->child_pid = (int)pid;
  return (int)pid;
}

static bool running(int pid) {
  return waitpid(pid, NULL, WNOHANG) == 0;
}

static int finish(fx *x, int timeout_ms) {
  int code = tu_wait(x->pid, timeout_ms);
  x->pid = 0;
  return code;
}

static char *entry_log(fx *x) {
  char path[1100];
  snprintf(path, sizeof path, "%s/stderr.txt", x->dir);
  char *s = tu_slurp(path, NULL);
  return s ? s : strdup("");
}

static uint64_t md_calls(fx *x) {
  fecs_stats st;
  fecs_get_stats(x->f, &st);
  return st.endpoint_calls;
}

/* Polls (bounded) until the metadata endpoint saw n more calls. */
static bool wait_md_calls(fx *x, uint64_t n) {
  uint64_t want = md_calls(x) + n;
  int64_t deadline = ecsb_mono_ms() + 10000;
  while (ecsb_mono_ms() < deadline) {
    if (md_calls(x) >= want)
      return true;
    ecsb_sleep_ms(5, NULL);
  }
  return false;
}

static void test_exit_status_passes_through(void **state) {
  fx *x = *state;
  struct {
    const char *child[3];
    int want;
  } cases[] = {
      {{"--exit-now", "0", NULL}, 0},
      {{"--exit-now", "7", NULL}, 7},
      {{"--raise", "9", NULL}, 128 + 9},   /* SIGKILL */
      {{"--raise", "15", NULL}, 128 + 15}, /* SIGTERM, not through us */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    assert_true(spawn(x, NULL, cases[i].child) > 0);
    int code = finish(x, 10000);
    if (code != cases[i].want) {
      char *log = entry_log(x);
      fail_msg("case %zu: exit %d, want %d\n%s", i, code, cases[i].want, log);
    }
  }
}

static void test_exec_failure_exits_127(void **state) {
  fx *x = *state;
  const char *argv[] = {tu_init_bin(),
                        "envoy-entrypoint",
                        "--",
                        "/nonexistent/envoy",
                        "--config-path",
                        "x",
                        NULL};
  const char *env[] = {x->md_env, NULL};
  tu_proc_result r;
  assert_int_equal(tu_run(argv, env, 10000, &r), 0);
  assert_int_equal(r.exit_code, 127);
  assert_non_null(strstr(r.err, "cannot run \\\"/nonexistent/envoy\\\""));
  assert_non_null(strstr(r.err, "No such file or directory"));
  /* A file that exists but is not executable: also 127. */
  const char *argv2[] = {tu_init_bin(), "envoy-entrypoint", "--", x->dir, NULL};
  assert_int_equal(tu_run(argv2, env, 10000, &r), 0);
  assert_int_equal(r.exit_code, 127);
  assert_non_null(strstr(r.err, "Permission denied"));
}

static void test_usage_errors(void **state) {
  fx *x = *state;
  const char *env[] = {x->md_env, NULL};
  const char *no_md[] = {NULL};
  struct {
    const char *args[6];
    const char *const *env;
    const char *want;
  } cases[] = {
      {{"--grace-period=1s", NULL},
       env,
       "no proxy command; the proxy command goes after \"--\""},
      {{"--", NULL}, env, "no proxy command after \"--\""},
      {{"/usr/bin/envoy", "-c", "x", NULL},
       env,
       "unknown flag -c (see --help); the proxy command goes after \"--\""},
      {{"--grace-period=forever", "--", "true", NULL},
       env,
       "flag -grace-period"},
      {{"--wait-for=app", "--exclude=worker", "--", "true", NULL},
       env,
       "cannot be combined"},
      {{"--wait-for=app;rm", "--", "true", NULL},
       env,
       "is not an ECS container name"},
      {{"envoy", "--", "true", NULL}, env, "unexpected argument"},
      {{"--", "true", NULL}, no_md, "ECS_CONTAINER_METADATA_URI_V4 is not set"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *argv[10] = {tu_init_bin(), "envoy-entrypoint"};
    for (size_t j = 0; cases[i].args[j]; j++)
      argv[j + 2] = cases[i].args[j];
    tu_proc_result r;
    assert_int_equal(tu_run(argv, cases[i].env, 10000, &r), 0);
    if (r.exit_code != 1 || !strstr(r.err, cases[i].want))
      fail_msg("case %zu: exit %d: %s", i, r.exit_code, r.err);
  }
  /* Outside ECS with no grace period the metadata is not needed. */
  const char *argv[] = {tu_init_bin(),
                        "envoy-entrypoint",
                        "--grace-period=0",
                        "--",
                        CHILD_BIN,
                        x->rec,
                        "--exit-now",
                        "4",
                        NULL};
  tu_proc_result r;
  assert_int_equal(tu_run(argv, no_md, 10000, &r), 0);
  assert_int_equal(r.exit_code, 4);
}

static void test_forwards_signals_at_once(void **state) {
  fx *x = *state;
  assert_true(spawn(x, NULL, NULL) > 0);
  assert_true(wait_ready(x) > 0);
  int sigs[] = {SIGUSR1, SIGHUP, SIGUSR2, SIGQUIT, SIGINT};
  const char *names[] = {"USR1\n", "HUP\n", "USR2\n", "QUIT\n", "INT\n"};
  for (size_t i = 0; i < 5; i++) {
    assert_int_equal(kill(x->pid, sigs[i]), 0);
    assert_true(wait_record(x, names[i]));
  }
  assert_true(running(x->pid));
  char *r = record(x);
  assert_null(strstr(r, "TERM"));
  free(r);
}

static void test_sigterm_waits_for_the_app_then_stops_the_proxy(void **state) {
  fx *x = *state;
  const char *child[] = {"--term-exit", "3", NULL};
  assert_true(spawn(x, NULL, child) > 0);
  assert_true(wait_ready(x) > 0);
  assert_int_equal(kill(x->pid, SIGTERM), 0);
  /* Many polls with app (and worker) RUNNING: the proxy keeps running and
   * never saw SIGTERM. */
  assert_true(wait_md_calls(x, 10));
  assert_true(running(x->pid));
  char *r = record(x);
  assert_null(strstr(r, "TERM"));
  free(r);
  assert_int_equal(fecs_container_set_exit(x->f, x->task, "app", 0, NULL, NULL),
                   0);
  assert_true(wait_md_calls(x, 5));
  assert_true(running(x->pid)); /* worker still runs */
  assert_int_equal(
      fecs_container_set_exit(x->f, x->task, "worker", 0, NULL, NULL), 0);
  assert_int_equal(finish(x, 10000), 3);
  r = record(x);
  assert_non_null(strstr(r, "TERM\nexit 3\n"));
  free(r);
  char *log = entry_log(x);
  assert_non_null(strstr(log, "waiting for application containers"));
  assert_non_null(strstr(log, "app:RUNNING,worker:RUNNING"));
  assert_non_null(strstr(log, "reason=\"application containers stopped\""));
  /* consul-client, and the proxy's own container, were never waited for. */
  assert_null(strstr(log, "consul-client:"));
  assert_null(strstr(log, "envoy:"));
  free(log);
}

static void test_wait_for_and_exclude_choose_the_containers(void **state) {
  fx *x = *state;
  /* app and worker RUNNING: each flag makes the answer "nothing to wait
   * for" or "only this". */
  struct {
    const char *flag;
    bool stops_at_once;
  } cases[] = {
      {"--exclude=app,worker", true},
      {"--wait-for=mesh-init", true},
      {"--wait-for=nosuch", true},
      {"--wait-for=consul-client", false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *flags[] = {cases[i].flag, "--grace-period=1500ms", NULL};
    unlink(x->rec);
    assert_true(spawn(x, flags, NULL) > 0);
    assert_true(wait_ready(x) > 0);
    int64_t t0 = ecsb_mono_ms();
    kill(x->pid, SIGTERM);
    assert_int_equal(finish(x, 10000), 0);
    int64_t took = ecsb_mono_ms() - t0;
    if (cases[i].stops_at_once ? took >= 1000 : took < 1450)
      fail_msg("case %zu (%s): took %lld ms", i, cases[i].flag,
               (long long)took);
  }
}

static void test_grace_period_bounds_the_wait(void **state) {
  fx *x = *state;
  const char *flags[] = {"--grace-period=700ms", NULL};
  const char *child[] = {"--term-exit", "5", NULL};
  assert_true(spawn(x, flags, child) > 0);
  assert_true(wait_ready(x) > 0);
  int64_t t0 = ecsb_mono_ms();
  kill(x->pid, SIGTERM);
  assert_int_equal(finish(x, 10000), 5);
  int64_t took = ecsb_mono_ms() - t0;
  assert_true(took >= 650);
  assert_true(took < 3000);
  char *log = entry_log(x);
  assert_non_null(strstr(log, "reason=\"grace period over\""));
  free(log);
}

static void test_metadata_failing_during_drain_is_bounded(void **state) {
  fx *x = *state;
  struct {
    fecs_endpoint_mode mode;
    int64_t delay;
  } cases[] = {
      {FECS_EP_DOWN, 0},
      {FECS_EP_ERROR, 0},
      {FECS_EP_SLOW, 3000},
      {FECS_EP_MALFORMED, 0},
  };
  const char *flags[] = {"--grace-period=800ms", NULL};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    unlink(x->rec);
    assert_true(spawn(x, flags, NULL) > 0);
    assert_true(wait_ready(x) > 0);
    assert_int_equal(fecs_fault_endpoint(x->f, FECS_EP_METADATA, cases[i].mode,
                                         cases[i].delay, NULL),
                     0);
    int64_t t0 = ecsb_mono_ms();
    kill(x->pid, SIGTERM);
    assert_int_equal(finish(x, 10000), 0);
    int64_t took = ecsb_mono_ms() - t0;
    fecs_fault_clear(x->f);
    if (took < 750 || took > 2500)
      fail_msg("case %zu: took %lld ms", i, (long long)took);
    char *log = entry_log(x);
    assert_non_null(strstr(log, "level=warn"));
    assert_non_null(strstr(log, "reason=\"grace period over\""));
    free(log);
  }
}

static void test_second_sigterm_stops_the_proxy_at_once(void **state) {
  fx *x = *state;
  const char *flags[] = {"--grace-period=60s", NULL};
  assert_true(spawn(x, flags, NULL) > 0);
  assert_true(wait_ready(x) > 0);
  kill(x->pid, SIGTERM);
  assert_true(wait_md_calls(x, 3));
  assert_true(running(x->pid));
  int64_t t0 = ecsb_mono_ms();
  kill(x->pid, SIGTERM);
  assert_int_equal(finish(x, 10000), 0);
  assert_true(ecsb_mono_ms() - t0 < 3000);
  char *log = entry_log(x);
  assert_non_null(strstr(log, "reason=\"second SIGTERM\""));
  free(log);
}

static void test_proxy_exiting_during_drain_ends_it(void **state) {
  fx *x = *state;
  const char *flags[] = {"--grace-period=60s", NULL};
  assert_true(spawn(x, flags, NULL) > 0);
  int child = wait_ready(x);
  kill(x->pid, SIGTERM);
  assert_true(wait_md_calls(x, 3));
  kill(child, SIGKILL);
  assert_int_equal(finish(x, 5000), 128 + 9);
}

static void test_proxy_ignoring_sigterm_is_killed(void **state) {
  fx *x = *state;
  const char *flags[] = {"--grace-period=0", "--stop-timeout=300ms", NULL};
  const char *child[] = {"--ignore-term", NULL};
  assert_true(spawn(x, flags, child) > 0);
  assert_true(wait_ready(x) > 0);
  int64_t t0 = ecsb_mono_ms();
  kill(x->pid, SIGTERM);
  assert_int_equal(finish(x, 10000), 128 + 9);
  int64_t took = ecsb_mono_ms() - t0;
  assert_true(took >= 250 && took < 3000);
  assert_true(wait_record(x, "TERM\n"));
  char *log = entry_log(x);
  assert_non_null(strstr(log, "sending SIGKILL"));
  free(log);
}

/* Dead: gone, or a zombie waiting for whoever inherited it. */
static bool dead(int pid) {
  char path[64], buf[256];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return true;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  const char *p = strrchr(buf, ')');
  return p && (p[2] == 'Z' || p[2] == 'X');
}

static void test_proxy_dies_with_a_sigkilled_entrypoint(void **state) {
  fx *x = *state;
  assert_true(spawn(x, NULL, NULL) > 0);
  int child = wait_ready(x);
  assert_false(dead(child));
  kill(x->pid, SIGKILL);
  assert_int_equal(finish(x, 5000), -1);
  int64_t deadline = ecsb_mono_ms() + 5000;
  while (!dead(child) && ecsb_mono_ms() < deadline)
    ecsb_sleep_ms(5, NULL);
  assert_true(dead(child));
  x->child_pid = 0;
}

/* The example task definition registers, and its sidecar-proxy's argv
 * (entryPoint after the binary, then command) is accepted as it is, with
 * only the envoy program swapped for the stand-in. */
static void test_the_example_task_definition_runs(void **state) {
  fx *x = *state;
  char *text = tu_slurp(
      ECSB_SOURCE_DIR "/examples/mesh-task-entrypoint-taskdef.json", NULL);
  assert_non_null(text);
  cJSON *td = cJSON_Parse(text);
  free(text);
  assert_non_null(td);
  ecsb_err err = {0};
  if (fecs_task_definition_register(x->f, td, NULL, &err) != 0)
    fail_msg("register: %s", err.msg);
  const cJSON *defs = cJSON_GetObjectItem(td, "containerDefinitions"), *d;
  const cJSON *proxy = NULL, *mesh_init = NULL;
  cJSON_ArrayForEach(d, defs) {
    const char *n = cJSON_GetObjectItem(d, "name")->valuestring;
    if (!strcmp(n, "sidecar-proxy"))
      proxy = d;
    if (!strcmp(n, "mesh-init"))
      mesh_init = d;
  }
  assert_non_null(proxy);
  assert_non_null(mesh_init);
  char *mi = cJSON_PrintUnformatted(cJSON_GetObjectItem(mesh_init, "command"));
  assert_non_null(strstr(mi, "\"--copy-self=/consul/ecsboot-init\""));
  free(mi);
  const cJSON *ep = cJSON_GetObjectItem(proxy, "entryPoint");
  const cJSON *cmd = cJSON_GetObjectItem(proxy, "command");
  assert_string_equal(cJSON_GetArrayItem(ep, 0)->valuestring,
                      "/consul/ecsboot-init");
  const char *argv[32] = {tu_init_bin()};
  size_t n = 1;
  for (int i = 1; i < cJSON_GetArraySize(ep) && n < 24; i++)
    argv[n++] = cJSON_GetArrayItem(ep, i)->valuestring;
  for (int i = 0; i < cJSON_GetArraySize(cmd) && n < 24; i++) {
    const char *w = cJSON_GetArrayItem(cmd, i)->valuestring;
    if (!strcmp(w, "envoy")) {
      argv[n++] = CHILD_BIN;
      argv[n++] = x->rec;
      argv[n++] = "--exit-now";
      argv[n++] = "0";
      break; /* Envoy's own flags are not the stand-in's */
    }
    argv[n++] = w;
  }
  assert_string_equal(argv[1], "envoy-entrypoint");
  const char *env[] = {x->md_env, NULL};
  tu_proc_result r;
  assert_int_equal(tu_run(argv, env, 10000, &r), 0);
  if (r.exit_code != 0)
    fail_msg("exit %d: %s", r.exit_code, r.err);
  assert_true(wait_record(x, "exit 0"));
  cJSON_Delete(td);
}

int main(void) {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_exit_status_passes_through),
      T(test_exec_failure_exits_127),
      T(test_usage_errors),
      T(test_forwards_signals_at_once),
      T(test_sigterm_waits_for_the_app_then_stops_the_proxy),
      T(test_wait_for_and_exclude_choose_the_containers),
      T(test_grace_period_bounds_the_wait),
      T(test_metadata_failing_during_drain_is_bounded),
      T(test_second_sigterm_stops_the_proxy_at_once),
      T(test_proxy_exiting_during_drain_ends_it),
      T(test_proxy_ignoring_sigterm_is_killed),
      T(test_proxy_dies_with_a_sigkilled_entrypoint),
      T(test_the_example_task_definition_runs),
  };
#undef T
  ecsb_http_global_init(NULL);
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  ecsb_http_global_cleanup();
  return rc;
}
