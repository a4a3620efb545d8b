/* e2e_init_discover.c - `ecsboot-init discover-servers` as a real process
 * against local stand-ins for the ECS API, the task metadata endpoint and
 * the container credentials endpoint: happy path, server task late, never
 * RUNNING (exit 2 at the timeout), throttled (backoff visible in the call
 * count), auth refused (exit 3 at once), metadata or credentials down then
 * up, malformed answers from each peer, an unwritable folder, re-runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ecsb/clock.h"
#include "ecsb/http.h"
#include "init_testutil.h"

static const char *creds_ok =
    "{\"AccessKeyId\": \"ASIAE2E\", \"SecretAccessKey\": \"e2e-secret-key\", "
    "\"Token\": \"e2e-session\", \"Expiration\": \"2099-01-01T00:00:00Z\"}";

typedef struct fx {
  tu_ecs ecs;
  tu_json md;
  tu_json creds;
  char *dir;
  char out[1024];
  int pid;
} fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  char *md = tu_task_metadata("web", "t1", "10.0.0.5", "app:");
  if (tu_ecs_start(&f->ecs) || tu_json_start(&f->md, md) ||
      tu_json_start(&f->creds, creds_ok))
    return -1;
  /* Every request the process sends is signature-checked. */
  tu_ecs_add_key(&f->ecs, "ASIAE2E", "e2e-secret-key");
  tu_ecs_add_key(&f->ecs, "AKIDENV", "env-secret");
  free(md);
  f->dir = tu_tmpdir();
  snprintf(f->out, sizeof f->out, "%s/server-ip", f->dir);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  if (f->pid > 0) {
    kill(f->pid, SIGKILL);
    tu_wait(f->pid, 5000);
  }
  tu_ecs_stop(&f->ecs);
  tu_json_stop(&f->md);
  tu_json_stop(&f->creds);
  tu_rmtree(f->dir);
  free(f->dir);
  free(f);
  return 0;
}

/* The environment a task's discover-servers container gets (credentials
 * through FULL_URI on loopback, as the runner gives them). */
typedef struct envbuf {
  char md[128], ecs[128], creds[160];
  const char *v[16];
} envbuf;

static const char *const *task_env(fx *f, envbuf *e, const char *const *extra) {
  snprintf(e->md, sizeof e->md, "ECS_CONTAINER_METADATA_URI_V4=%s", f->md.url);
  snprintf(e->ecs, sizeof e->ecs, "AWS_ENDPOINT_URL_ECS=%s", f->ecs.url);
  snprintf(e->creds, sizeof e->creds,
           "AWS_CONTAINER_CREDENTIALS_FULL_URI=%s/v2/credentials/x",
           f->creds.url);
  size_t k = 0;
  e->v[k++] = e->md;
  e->v[k++] = e->ecs;
  e->v[k++] = e->creds;
  e->v[k++] = "AWS_CONTAINER_AUTHORIZATION_TOKEN=e2e-auth-token";
  for (size_t i = 0; extra && extra[i] && k < 15; i++)
    e->v[k++] = extra[i];
  e->v[k] = NULL;
  return e->v;
}

static void run_disc(fx *f, const char *const *args,
                     const char *const *extra_env, tu_proc_result *r) {
  char out_flag[1100];
  snprintf(out_flag, sizeof out_flag, "-out=%s", f->out);
  const char *argv[24] = {
      tu_init_bin(), "discover-servers",     "-service-name=consul-server",
      out_flag,      "--poll-interval=20ms", "--max-poll-interval=100ms"};
  size_t n = 6;
  for (size_t i = 0; args && args[i] && n < 22; i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  envbuf e;
  assert_int_equal(tu_run(argv, task_env(f, &e, extra_env), 60000, r), 0);
}

static char *read_out(fx *f) {
  return tu_slurp(f->out, NULL);
}

static bool exists(const char *p) {
  struct stat st;
  return stat(p, &st) == 0;
}

static void assert_no_secret(const char *text) {
  assert_null(strstr(text, "e2e-secret-key"));
  assert_null(strstr(text, "e2e-session"));
  assert_null(strstr(text, "e2e-auth-token"));
}

static void test_happy_path(void **state) {
  fx *f = *state;
  tu_ecs_add_task(&f->ecs, "s1", "RUNNING", "RUNNING", "HEALTHY", "10.1.0.7");
  tu_proc_result r;
  run_disc(f, NULL, NULL, &r);
  if (r.exit_code)
    fprintf(stderr, "%s\n", r.err);
  assert_int_equal(r.exit_code, 0);
  char *ip = read_out(f);
  assert_string_equal(ip, "10.1.0.7");
  free(ip);
  struct stat st;
  assert_int_equal(stat(f->out, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0644);
  /* Cluster and region came from the task metadata. */
  cJSON *body = cJSON_Parse(f->ecs.last_body);
  assert_string_equal(cJSON_GetObjectItem(body, "cluster")->valuestring,
                      "arn:aws:ecs:us-east-1:123456789012:cluster/test");
  cJSON_Delete(body);
  assert_non_null(strstr(f->ecs.last_auth, "/us-east-1/ecs/aws4_request"));
  assert_string_equal(f->creds.last_auth, "e2e-auth-token");
  assert_non_null(strstr(r.err, "wrote Consul server address"));
  assert_int_equal(f->ecs.n_bad_signatures, 0);
  assert_no_secret(r.err);
}

static void test_rerun_gives_identical_file(void **state) {
  fx *f = *state;
  tu_ecs_add_task(&f->ecs, "s1", "RUNNING", "RUNNING", "", "10.1.0.8");
  tu_ecs_add_task(&f->ecs, "s2", "RUNNING", "RUNNING", "", "10.1.0.9");
  tu_proc_result r;
  const char *args[] = {"--cluster=prod", "--region=eu-west-1", NULL};
  run_disc(f, args, NULL, &r);
  assert_int_equal(r.exit_code, 0);
  char *a = read_out(f);
  run_disc(f, args, NULL, &r);
  assert_int_equal(r.exit_code, 0);
  char *b = read_out(f);
  assert_string_equal(a, b);
  assert_string_equal(a, "10.1.0.8"); /* same start time: smallest ARN */
  free(a);
  free(b);
  /* With both flags given, the metadata endpoint is never asked. */
  assert_int_equal(tu_json_requests(&f->md), 0);
  assert_non_null(strstr(f->ecs.last_auth, "/eu-west-1/ecs/aws4_request"));
}

static void test_server_late_succeeds(void **state) {
  fx *f = *state;
  tu_ecs_add_task(&f->ecs, "s1", "PENDING", "PENDING", "", "");
  char out_flag[1100];
  snprintf(out_flag, sizeof out_flag, "-out=%s", f->out);
  const char *argv[] = {tu_init_bin(),
                        "discover-servers",
                        "-service-name",
                        "consul-server",
                        out_flag,
                        "--poll-interval=20ms",
                        "--max-poll-interval=50ms",
                        "--timeout=60s",
                        NULL};
  envbuf e;
  f->pid = tu_spawn(argv, task_env(f, &e, NULL), f->dir);
  assert_true(f->pid > 0);
  /* Bounded wait until it has polled a few times and found nothing. */
  int64_t deadline = ecsb_mono_ms() + 20000;
  while (tu_ecs_calls(&f->ecs) < 6 && ecsb_mono_ms() < deadline)
    ecsb_sleep_ms(10, NULL);
  assert_true(tu_ecs_calls(&f->ecs) >= 6);
  assert_false(exists(f->out));
  tu_ecs_set_status(&f->ecs, "s1", "RUNNING", "RUNNING", "HEALTHY");
  /* The IP shows up with the RUNNING state. */
  pthread_mutex_lock(&f->ecs.mu);
  cJSON *t = cJSON_GetArrayItem(f->ecs.tasks, 0);
  cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItem(t, "containers"), 0);
  cJSON *ni = cJSON_CreateObject();
  cJSON_AddStringToObject(ni, "privateIpv4Address", "10.2.0.2");
  cJSON_AddItemToArray(cJSON_GetObjectItem(c, "networkInterfaces"), ni);
  pthread_mutex_unlock(&f->ecs.mu);
  assert_int_equal(tu_wait(f->pid, 30000), 0);
  f->pid = 0;
  char *ip = read_out(f);
  assert_string_equal(ip, "10.2.0.2");
  free(ip);
}

static void test_never_running_times_out_with_exit_2(void **state) {
  fx *f = *state;
  tu_ecs_add_task(&f->ecs, "s1", "PROVISIONING", "PENDING", "", "");
  tu_ecs_add_task(&f->ecs, "s2", "RUNNING", "RUNNING", "UNHEALTHY", "10.0.0.3");
  const char *args[] = {"--timeout=600ms", NULL};
  tu_proc_result r;
  run_disc(f, args, NULL, &r);
  assert_int_equal(r.exit_code, 2);
  assert_non_null(strstr(r.err, "timed out after 600ms"));
  assert_non_null(strstr(r.err, "last seen"));
  assert_non_null(strstr(r.err, "s1: task PROVISIONING"));
  assert_non_null(strstr(r.err, "s2: container health UNHEALTHY"));
  assert_false(exists(f->out));
}

static void test_no_tasks_at_all_times_out(void **state) {
  fx *f = *state;
  const char *args[] = {"--timeout=300ms", NULL};
  tu_proc_result r;
  run_disc(f, args, NULL, &r);
  assert_int_equal(r.exit_code, 2);
  assert_non_null(strstr(r.err, "no tasks with desiredStatus RUNNING for "
                                "service consul-server"));
}

static void test_throttled_then_succeeds(void **state) {
  fx *f = *state;
  tu_ecs_add_task(&f->ecs, "s1", "RUNNING", "RUNNING", "HEALTHY", "10.1.0.7");
  tu_ecs_fail(&f->ecs, 4, 400, "ThrottlingException");
  tu_proc_result r;
  run_disc(f, NULL, NULL, &r);
  assert_int_equal(r.exit_code, 0);
  /* 4 throttled ListTasks, then ListTasks + DescribeTasks. */
  assert_int_equal(tu_ecs_calls(&f->ecs), 6);
  assert_non_null(strstr(r.err, "throttled by ECS, backing off"));
}

static void test_auth_error_stops_at_once(void **state) {
  fx *f = *state;
  tu_ecs_add_task(&f->ecs, "s1", "RUNNING", "RUNNING", "HEALTHY", "10.1.0.7");
  const char *types[] = {"AccessDeniedException", "UnrecognizedClientException",
                         "InvalidSignatureException"};
  for (int i = 0; i < 3; i++) {
    int before = tu_ecs_calls(&f->ecs);
    tu_ecs_fail(&f->ecs, 1, i == 0 ? 400 : 403, types[i]);
    tu_proc_result r;
    run_disc(f, NULL, NULL, &r);
    assert_int_equal(r.exit_code, 3);
    assert_int_equal(tu_ecs_calls(&f->ecs), before + 1);
    assert_non_null(strstr(r.err, types[i]));
    assert_false(exists(f->out));
    assert_no_secret(r.err);
  }
}

static void test_fatal_client_error_exits_1(void **state) {
  fx *f = *state;
  tu_ecs_fail(&f->ecs, 1, 400, "ClusterNotFoundException");
  tu_proc_result r;
  run_disc(f, NULL, NULL, &r);
  assert_int_equal(r.exit_code, 1);
  assert_non_null(strstr(r.err, "ClusterNotFoundException"));
}

static void test_metadata_down_then_up(void **state) {
  fx *f = *state;
  tu_ecs_add_task(&f->ecs, "s1", "RUNNING", "RUNNING", "", "10.1.0.7");
  f->md.fail_first = 3;
  tu_proc_result r;
  run_disc(f, NULL, NULL, &r);
  assert_int_equal(r.exit_code, 0);
  assert_int_equal(tu_json_requests(&f->md), 4);
}

static void test_credentials_down_then_up(void **state) {
  fx *f = *state;
  tu_ecs_add_task(&f->ecs, "s1", "RUNNING", "RUNNING", "", "10.1.0.7");
  f->creds.fail_first = 3;
  tu_proc_result r;
  run_disc(f, NULL, NULL, &r);
  assert_int_equal(r.exit_code, 0);
  assert_int_equal(tu_json_requests(&f->creds), 4);
  char *ip = read_out(f);
  assert_string_equal(ip, "10.1.0.7");
  free(ip);
}

static void test_malformed_answers_exit_1_without_output(void **state) {
  fx *f = *state;
  tu_ecs_add_task(&f->ecs, "s1", "RUNNING", "RUNNING", "", "10.1.0.7");
  tu_proc_result r;
  /* The ECS API. */
  f->ecs.malformed = "{\"taskArns\": [\"a\"";
  run_disc(f, NULL, NULL, &r);
  assert_int_equal(r.exit_code, 1);
  assert_non_null(strstr(r.err, "ECS ListTasks response: malformed JSON"));
  assert_false(exists(f->out));
  f->ecs.malformed = NULL;
  /* The credentials endpoint. */
  tu_json_set(&f->creds, 200, "{\"AccessKeyId\": 7}");
  run_disc(f, NULL, NULL, &r);
  assert_int_equal(r.exit_code, 1);
  assert_non_null(strstr(r.err, "container credentials: $.AccessKeyId"));
  assert_false(exists(f->out));
  tu_json_set(&f->creds, 200, creds_ok);
  /* The metadata endpoint. */
  tu_json_set(&f->md, 200, "not json");
  run_disc(f, NULL, NULL, &r);
  assert_int_equal(r.exit_code, 1);
  assert_non_null(strstr(r.err, "task metadata"));
  assert_false(exists(f->out));
}

static void test_unwritable_folder(void **state) {
  fx *f = *state;
  tu_ecs_add_task(&f->ecs, "s1", "RUNNING", "RUNNING", "", "10.1.0.7");
  char dir[1100];
  snprintf(dir, sizeof dir, "%s/ro", f->dir);
  mkdir(dir, 0555);
  char probe[1200];
  snprintf(probe, sizeof probe, "%s/p", dir);
  int fd = open(probe, O_CREAT | O_WRONLY, 0644);
  if (fd >= 0) { /* root: use a read-only file system instead */
    close(fd);
    unlink(probe);
    snprintf(dir, sizeof dir, "/sys");
    fd = open("/sys/ecsb-probe", O_CREAT | O_WRONLY, 0644);
    if (fd >= 0) {
      close(fd);
      unlink("/sys/ecsb-probe");
      printf("note: no unwritable folder available; case skipped\n");
      return;
    }
  }
  char out_flag[1200];
  snprintf(out_flag, sizeof out_flag, "-out=%s/server-ip", dir);
  const char *argv[] = {tu_init_bin(), "discover-servers",
                        "-service-name=consul-server", out_flag, NULL};
  envbuf e;
  tu_proc_result r;
  assert_int_equal(tu_run(argv, task_env(f, &e, NULL), 60000, &r), 0);
  assert_int_equal(r.exit_code, 1);
  assert_non_null(strstr(r.err, "cannot create a temp file in"));
}

static void test_environment_credentials_and_usage(void **state) {
  fx *f = *state;
  tu_ecs_add_task(&f->ecs, "s1", "RUNNING", "RUNNING", "", "10.1.0.7");
  const char *env_creds[] = {"AWS_ACCESS_KEY_ID=AKIDENV",
                             "AWS_SECRET_ACCESS_KEY=env-secret", NULL};
  tu_proc_result r;
  run_disc(f, NULL, env_creds, &r);
  assert_int_equal(r.exit_code, 0);
  assert_true(strncmp(f->ecs.last_auth, "AWS4-HMAC-SHA256 Credential=AKIDENV/",
                      36) == 0);
  assert_int_equal(tu_json_requests(&f->creds), 0);
  struct {
    const char *args[4];
    const char *want;
  } usage[] = {
      {{"--family=x", NULL}, "give exactly one of -service-name and --family"},
      {{"--poll-interval=5s", "--max-poll-interval=1s", NULL},
       "must not be below"},
      {{"--timeout=soon", NULL}, "flag -timeout"},
      {{"--container-name=", NULL}, "must not be empty"},
  };
  for (size_t i = 0; i < sizeof usage / sizeof usage[0]; i++) {
    run_disc(f, usage[i].args, NULL, &r);
    assert_int_equal(r.exit_code, 1);
    if (!strstr(r.err, usage[i].want))
      fprintf(stderr, "case %zu: %s\n", i, r.err);
    assert_non_null(strstr(r.err, usage[i].want));
  }
  const char *argv_nomd[] = {tu_init_bin(),     "discover-servers",
                             "-service-name=x", "-out=/tmp/never-written",
                             "--cluster=c",     NULL};
  const char *no_md_env[] = {NULL};
  assert_int_equal(tu_run(argv_nomd, no_md_env, 20000, &r), 0);
  assert_int_equal(r.exit_code, 1);
  assert_non_null(strstr(r.err, "no region (--region, AWS_REGION) given"));
  const char *argv[] = {tu_init_bin(), "discover-servers", "-service-name=x",
                        NULL};
  envbuf e;
  assert_int_equal(tu_run(argv, task_env(f, &e, NULL), 20000, &r), 0);
  assert_int_equal(r.exit_code, 1);
  assert_non_null(strstr(r.err, "flag -out is required"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
      T(test_happy_path),
      T(test_rerun_gives_identical_file),
      T(test_server_late_succeeds),
      T(test_never_running_times_out_with_exit_2),
      T(test_no_tasks_at_all_times_out),
      T(test_throttled_then_succeeds),
      T(test_auth_error_stops_at_once),
      T(test_fatal_client_error_exits_1),
      T(test_metadata_down_then_up),
      T(test_credentials_down_then_up),
      T(test_malformed_answers_exit_1_without_output),
      T(test_unwritable_folder),
      T(test_environment_credentials_and_usage),
  };
  ecsb_http_global_init(NULL);
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  ecsb_http_global_cleanup();
  return rc;
}
