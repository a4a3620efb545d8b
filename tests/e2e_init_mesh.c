/* e2e_init_mesh.c - `ecsboot-init mesh-init` as a real process against a
 * local Consul agent stand-in and a local task metadata endpoint: happy
 * path, the agent up late (its retries following the retry flags and
 * reported on ECSBOOT_EVENTS), the agent answering 500 three times, ACL denied,
 * never ready (timeout), malformed answers, an unwritable output folder,
 * re-runs giving identical bytes, tokens and file modes, JSON config,
 * -datacenter when /v1/agent/self is denied, the agent's Consul release
 * choosing the bootstrap's format and unsupported releases refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ecsb/clock.h"
#include "ecsb/http.h"
#include "ecsb/initev.h"
#include "init_testutil.h"

typedef struct fx {
  tu_agent agent;
  tu_json md;
  char *dir;
  char boot[1024];
} fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  if (tu_agent_start(&f->agent, NULL) != 0)
    return -1;
  char *md = tu_task_metadata("web-family", "0abc", "10.0.0.5",
                              "consul-client:,app:HEALTHY,sidecar-proxy:");
  if (tu_json_start(&f->md, md) != 0)
    return -1;
  free(md);
  f->dir = tu_tmpdir();
  snprintf(f->boot, sizeof f->boot, "%s/envoy-bootstrap.json", f->dir);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  if (f->agent.h)
    tu_agent_stop(&f->agent);
  tu_json_stop(&f->md);
  tu_rmtree(f->dir);
  free(f->dir);
  free(f);
  return 0;
}

/* Runs mesh-init with the fixture's endpoints plus extra env and args. */
static void run_mesh(fx *f, const char *addr, const char *const *extra_env,
                     const char *const *extra_args, tu_proc_result *r) {
  char md_env[128], addr_env[128], boot_flag[1100];
  snprintf(md_env, sizeof md_env, "ECS_CONTAINER_METADATA_URI_V4=%s",
           f->md.url);
  snprintf(addr_env, sizeof addr_env, "CONSUL_HTTP_ADDR=%s",
           addr ? addr : f->agent.addr);
  snprintf(boot_flag, sizeof boot_flag, "-envoy-bootstrap-file=%s", f->boot);
  const char *argv[32] = {tu_init_bin(), "mesh-init",  boot_flag, "-port",
                          "8080",        "-upstreams", "db:5432"};
  size_t n = 7;
  for (size_t i = 0; extra_args && extra_args[i] && n < 30; i++)
    argv[n++] = extra_args[i];
  argv[n] = NULL;
  const char *env[16] = {md_env, addr_env};
  size_t k = 2;
  for (size_t i = 0; extra_env && extra_env[i] && k < 15; i++)
    env[k++] = extra_env[i];
  env[k] = NULL;
  assert_int_equal(tu_run(argv, env, 60000, r), 0);
}

static bool exists(const char *p) {
  struct stat st;
  return stat(p, &st) == 0;
}

static int count_files(const char *dir) {
  DIR *d = opendir(dir);
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir(d)))
    if (e->d_name[0] != '.' || strncmp(e->d_name, ".envoy", 6) == 0)
      n++;
  if (d)
    closedir(d);
  return n;
}

static void test_happy_path_registers_and_writes(void **state) {
  fx *f = *state;
  tu_proc_result r;
  run_mesh(f, NULL, NULL, NULL, &r);
  if (r.exit_code != 0)
    fprintf(stderr, "%s\n", r.err);
  assert_int_equal(r.exit_code, 0);
  assert_non_null(strstr(r.err, "registered service"));
  cJSON *svc = tu_agent_service(&f->agent, "web-family-0abc");
  assert_non_null(svc);
  assert_int_equal(cJSON_GetObjectItem(svc, "Port")->valueint, 8080);
  assert_string_equal(
      cJSON_GetObjectItem(cJSON_GetObjectItem(svc, "Meta"), "task-arn")
          ->valuestring,
      "arn:aws:ecs:us-east-1:123456789012:task/test/0abc");
  cJSON_Delete(svc);
  cJSON *px = tu_agent_service(&f->agent, "web-family-0abc-sidecar-proxy");
  assert_non_null(px);
  const cJSON *ck = cJSON_GetArrayItem(cJSON_GetObjectItem(px, "Checks"), 0);
  assert_string_equal(cJSON_GetObjectItem(ck, "TCP")->valuestring,
                      "10.0.0.5:20000");
  cJSON_Delete(px);
  /* The service was registered before the proxy. */
  const char *first = strstr(f->agent.log, "PUT /v1/agent/service/register");
  assert_non_null(first);
  struct stat st;
  assert_int_equal(stat(f->boot, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0644);
  char *text = tu_slurp(f->boot, NULL);
  cJSON *b = cJSON_Parse(text);
  assert_non_null(b);
  assert_string_equal(
      cJSON_GetObjectItem(cJSON_GetObjectItem(b, "node"), "id")->valuestring,
      "web-family-0abc-sidecar-proxy");
  assert_string_equal(
      cJSON_GetObjectItem(cJSON_GetObjectItem(b, "node"), "cluster")
          ->valuestring,
      "web-family");
  cJSON_Delete(b);
  free(text);
  assert_int_equal(count_files(f->dir), 1); /* no temp files left */
}

static void test_no_task_ip_falls_back_to_agent_host(void **state) {
  fx *f = *state;
  tu_json_set(&f->md, 200,
              "{\"TaskARN\": \"arn:aws:ecs:r:1:task/c/0abc\", \"Family\": "
              "\"web-family\", \"Containers\": [{\"Name\": \"app\"}]}");
  tu_proc_result r;
  run_mesh(f, NULL, NULL, NULL, &r);
  assert_int_equal(r.exit_code, 0);
  assert_non_null(strstr(r.err, "task metadata has no IPv4 address"));
  cJSON *px = tu_agent_service(&f->agent, "web-family-0abc-sidecar-proxy");
  const cJSON *ck = cJSON_GetArrayItem(cJSON_GetObjectItem(px, "Checks"), 0);
  assert_string_equal(cJSON_GetObjectItem(ck, "TCP")->valuestring,
                      "127.0.0.1:20000");
  cJSON_Delete(px);
}

/* --copy-self copies ecsboot-health, the static program that runs in any
 * image, not ecsboot-init (which needs libcurl and its libraries). */
static void test_copy_self_copies_the_static_health_program(void **state) {
  fx *f = *state;
  char dst[1100], flag[1200];
  snprintf(dst, sizeof dst, "%s/ecsboot-init", f->dir);
  snprintf(flag, sizeof flag, "--copy-self=%s", dst);
  const char *args[] = {flag, NULL};
  tu_proc_result r;
  run_mesh(f, NULL, NULL, args, &r);
  assert_int_equal(r.exit_code, 0);
  assert_non_null(strstr(r.err, "copied ecsboot-health"));
  struct stat st;
  assert_int_equal(stat(dst, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0755);
  size_t n1, n2;
  char *a = tu_slurp(ECSB_BUILD_DIR "/core/ecsboot-health", &n1),
       *b = tu_slurp(dst, &n2);
  assert_non_null(a);
  assert_int_equal(n1, n2);
  assert_memory_equal(a, b, n1);
  free(a);
  free(b);
  /* The copy works under the name a task definition gives it, with the
   * health-check command line of ecsboot-init. */
  const char *argv[] = {dst, "version", NULL};
  const char *env[] = {NULL};
  assert_int_equal(tu_run(argv, env, 20000, &r), 0);
  assert_int_equal(r.exit_code, 0);
  assert_non_null(strstr(r.out, "ecsboot-health"));
  const char *help[] = {dst, "health-check", "--help", NULL};
  assert_int_equal(tu_run(help, env, 20000, &r), 0);
  assert_int_equal(r.exit_code, 0);
  assert_non_null(strstr(r.out, "tcp HOST:PORT | http URL"));
}

static void test_copy_self_without_the_health_program_fails(void **state) {
  fx *f = *state;
  char dst[1100], flag[1200], from[1200];
  snprintf(dst, sizeof dst, "%s/copy", f->dir);
  snprintf(flag, sizeof flag, "--copy-self=%s", dst);
  snprintf(from, sizeof from, "--health-bin=%s/missing", f->dir);
  const char *args[] = {flag, from, NULL};
  tu_proc_result r;
  run_mesh(f, NULL, NULL, args, &r);
  assert_int_equal(r.exit_code, 1);
  assert_non_null(strstr(r.err, "flag -health-bin"));
  assert_false(exists(dst));
  /* Nothing was registered: the copy is checked before the agent. */
  cJSON *svc = tu_agent_service(&f->agent, "web-family-0abc");
  assert_null(svc);
}

static void test_rerun_is_idempotent(void **state) {
  fx *f = *state;
  tu_proc_result r;
  run_mesh(f, NULL, NULL, NULL, &r);
  assert_int_equal(r.exit_code, 0);
  size_t n1, n2;
  char *a = tu_slurp(f->boot, &n1);
  cJSON *s1 = tu_agent_service(&f->agent, "web-family-0abc");
  cJSON *p1 = tu_agent_service(&f->agent, "web-family-0abc-sidecar-proxy");
  run_mesh(f, NULL, NULL, NULL, &r);
  assert_int_equal(r.exit_code, 0);
  char *b = tu_slurp(f->boot, &n2);
  assert_int_equal(n1, n2);
  assert_memory_equal(a, b, n1);
  cJSON *s2 = tu_agent_service(&f->agent, "web-family-0abc");
  cJSON *p2 = tu_agent_service(&f->agent, "web-family-0abc-sidecar-proxy");
  assert_true(cJSON_Compare(s1, s2, true));
  assert_true(cJSON_Compare(p1, p2, true));
  assert_int_equal(f->agent.n_register, 4);
  free(a);
  free(b);
  cJSON_Delete(s1);
  cJSON_Delete(s2);
  cJSON_Delete(p1);
  cJSON_Delete(p2);
}

static void test_agent_500_three_times_then_ok(void **state) {
  fx *f = *state;
  f->agent.fail_first = 3;
  tu_proc_result r;
  run_mesh(f, NULL, NULL, NULL, &r);
  if (r.exit_code != 0)
    fprintf(stderr, "%s\n", r.err);
  assert_int_equal(r.exit_code, 0);
  assert_int_equal(f->agent.failures_sent, 3);
  assert_int_equal(f->agent.n_register, 2);
  assert_true(exists(f->boot));
}

static void test_agent_up_late(void **state) {
  fx *f = *state;
  /* A private loopback address nobody else uses, and a port that was free:
   * mesh-init starts first and finds nothing listening there. */
  char ip[32];
  snprintf(ip, sizeof ip, "127.%d.%d.%d", 100 + (int)(getpid() % 100),
           (int)(getpid() / 100 % 250) + 1, (int)(ecsb_mono_us() % 250) + 2);
  tu_agent late = {0};
  assert_int_equal(tu_agent_start(&late, ip), 0);
  int port = ecsb_httpd_port(late.h);
  char addr[64];
  snprintf(addr, sizeof addr, "%s", late.addr);
  tu_agent_stop(&late);
  char md_env[128], addr_env[128], boot_flag[1100];
  snprintf(md_env, sizeof md_env, "ECS_CONTAINER_METADATA_URI_V4=%s",
           f->md.url);
  snprintf(addr_env, sizeof addr_env, "CONSUL_HTTP_ADDR=%s", addr);
  snprintf(boot_flag, sizeof boot_flag, "--envoy-bootstrap-file=%s", f->boot);
  const char *argv[] = {tu_init_bin(), "mesh-init", boot_flag,
                        "--timeout",   "30s",       NULL};
  const char *env[] = {md_env, addr_env, NULL};
  int pid = tu_spawn(argv, env, f->dir);
  assert_true(pid > 0);
  ecsb_sleep_ms(700, NULL);
  assert_false(exists(f->boot));
  memset(&late, 0, sizeof late);
  late.port = port;
  assert_int_equal(tu_agent_start(&late, ip), 0);
  int code = tu_wait(pid, 30000);
  assert_int_equal(code, 0);
  assert_int_equal(late.n_register, 2);
  assert_true(exists(f->boot));
  tu_agent_stop(&late);
}

/* A loopback address nobody else uses and a port that was free there:
 * nothing listens until the test starts an agent on it. */
static void free_agent_addr(char *ip, size_t ipcap, int *port, char *addr,
                            size_t acap) {
  snprintf(ip, ipcap, "127.%d.%d.%d", 100 + (int)(getpid() % 100),
           (int)(getpid() / 100 % 250) + 1, (int)(ecsb_mono_us() % 250) + 2);
  tu_agent probe = {0};
  assert_int_equal(tu_agent_start(&probe, ip), 0);
  *port = ecsb_httpd_port(probe.h);
  snprintf(addr, acap, "%s", probe.addr);
  tu_agent_stop(&probe);
}

typedef struct late_run {
  int n;               /* datagrams received */
  double wait_us[512]; /* their waits, in order */
  int code;            /* mesh-init's exit code */
  int registered;      /* registrations the late agent saw */
} late_run;

/* mesh-init with fast retry flags and a seed, the agent up 300 ms after
 * it started; collects the retry datagrams while it runs. */
static void run_agent_late(fx *f, late_run *out) {
  memset(out, 0, sizeof *out);
  char spec[64];
  snprintf(spec, sizeof spec, "@ecsb-e2e-mesh-%d-%lld", (int)getpid(),
           (long long)ecsb_mono_us());
  struct sockaddr_un sa;
  socklen_t sl;
  assert_int_equal(ecsb_initev_addr(spec, &sa, &sl, NULL), 0);
  int sfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  assert_true(sfd >= 0);
  assert_int_equal(bind(sfd, (struct sockaddr *)&sa, sl), 0);
  char ip[32], addr[64];
  int port;
  free_agent_addr(ip, sizeof ip, &port, addr, sizeof addr);
  char md_env[128], addr_env[128], ev_env[96], boot_flag[1100];
  snprintf(md_env, sizeof md_env, "ECS_CONTAINER_METADATA_URI_V4=%s",
           f->md.url);
  snprintf(addr_env, sizeof addr_env, "CONSUL_HTTP_ADDR=%s", addr);
  snprintf(ev_env, sizeof ev_env, "ECSBOOT_EVENTS=%s", spec);
  snprintf(boot_flag, sizeof boot_flag, "--envoy-bootstrap-file=%s", f->boot);
  const char *argv[] = {tu_init_bin(),
                        "mesh-init",
                        boot_flag,
                        "--timeout",
                        "30s",
                        "--retry-interval=2ms",
                        "--max-retry-interval",
                        "8ms",
                        "--retry-seed=7",
                        NULL};
  const char *env[] = {md_env,
                       addr_env,
                       ev_env,
                       "ECSBOOT_TASK=web-1",
                       "ECSBOOT_CONTAINER=mesh-init",
                       NULL};
  int pid = tu_spawn(argv, env, f->dir);
  assert_true(pid > 0);
  int64_t t0 = ecsb_mono_ms();
  tu_agent late = {0};
  bool up = false, exited = false;
  int st = 0;
  while (!exited && ecsb_mono_ms() - t0 < 30000) {
    /* Up after 300 ms and 20 retries: on a busy machine (an ASan build
     * beside other tests) 300 ms can hold only a few attempts, and the
     * count below is not about the machine's speed. */
    if (!up && ecsb_mono_ms() - t0 >= 300 && out->n >= 20) {
      late.port = port;
      assert_int_equal(tu_agent_start(&late, ip), 0);
      up = true;
    }
    struct pollfd p = {.fd = sfd, .events = POLLIN};
    while (poll(&p, 1, 5) == 1) {
      char buf[2048];
      ssize_t n = recv(sfd, buf, sizeof buf - 1, 0);
      assert_true(n > 0);
      buf[n] = '\0';
      cJSON *j = cJSON_Parse(buf);
      assert_non_null(j);
      assert_string_equal(
          cJSON_GetObjectItemCaseSensitive(j, "kind")->valuestring, "retry");
      assert_string_equal(
          cJSON_GetObjectItemCaseSensitive(j, "cmd")->valuestring, "mesh-init");
      assert_string_equal(
          cJSON_GetObjectItemCaseSensitive(j, "task")->valuestring, "web-1");
      assert_string_equal(
          cJSON_GetObjectItemCaseSensitive(j, "container")->valuestring,
          "mesh-init");
      assert_string_equal(
          cJSON_GetObjectItemCaseSensitive(j, "what")->valuestring,
          "Consul agent");
      assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "attempt")->valueint,
                       out->n + 1);
      assert_true(*cJSON_GetObjectItemCaseSensitive(j, "error")->valuestring);
      if (out->n < 512)
        out->wait_us[out->n] =
            cJSON_GetObjectItemCaseSensitive(j, "wait_us")->valuedouble;
      out->n++;
      cJSON_Delete(j);
    }
    exited = waitpid(pid, &st, WNOHANG) == pid;
  }
  if (!exited)
    out->code = tu_wait(pid, 1000);
  else
    out->code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  if (up) {
    pthread_mutex_lock(&late.mu);
    out->registered = late.n_register;
    pthread_mutex_unlock(&late.mu);
    tu_agent_stop(&late);
  }
  close(sfd);
}

static void
test_agent_up_late_retries_follow_flags_and_are_reported(void **state) {
  fx *f = *state;
  late_run a, b;
  run_agent_late(f, &a);
  assert_int_equal(a.code, 0);
  assert_int_equal(a.registered, 2);
  assert_true(exists(f->boot));
  /* 20 retries or more of refused connections, each wait at most 2, 4,
   * then 8 ms as the flags say (the default would wait 200 ms..5 s) */
  assert_true(a.n >= 20);
  for (int i = 0; i < a.n && i < 512; i++) {
    double ceiling = i == 0 ? 2000 : i == 1 ? 4000 : 8000;
    assert_true(a.wait_us[i] >= 50 && a.wait_us[i] <= ceiling);
  }
  char log[1200];
  snprintf(log, sizeof log, "%s/stderr.txt", f->dir);
  char *err = tu_slurp(log, NULL);
  assert_non_null(err);
  assert_non_null(strstr(err, "level=warn msg=retry what=\"Consul agent\" "
                              "attempt=1 wait="));
  free(err);
  /* the same seed draws the same waits */
  unlink(f->boot);
  run_agent_late(f, &b);
  assert_int_equal(b.code, 0);
  assert_true(b.n >= 10);
  for (int i = 0; i < 10; i++)
    assert_true(a.wait_us[i] == b.wait_us[i]);
}

static void test_agent_never_ready_times_out(void **state) {
  fx *f = *state;
  char addr[64];
  snprintf(addr, sizeof addr, "%s", f->agent.addr);
  tu_agent_stop(&f->agent);
  f->agent.h = NULL;
  const char *args[] = {"--timeout=700ms", NULL};
  tu_proc_result r;
  int64_t t0 = ecsb_mono_ms();
  run_mesh(f, addr, NULL, args, &r);
  assert_int_equal(r.exit_code, 2);
  assert_true(ecsb_mono_ms() - t0 < 20000);
  assert_non_null(strstr(r.err, "not ready in time"));
  assert_false(exists(f->boot));
}

static void test_acl_denied_exits_3_and_token_stays_secret(void **state) {
  fx *f = *state;
  f->agent.want_token = "the-right-one";
  const char *env[] = {"CONSUL_HTTP_TOKEN=wrong-secret-value", NULL};
  tu_proc_result r;
  run_mesh(f, NULL, env, NULL, &r);
  assert_int_equal(r.exit_code, 3);
  assert_non_null(strstr(r.err, "403"));
  assert_null(strstr(r.err, "wrong-secret-value"));
  assert_false(exists(f->boot));
}

static void test_token_file_gives_0600_bootstrap(void **state) {
  fx *f = *state;
  f->agent.want_token = "tok-from-file";
  char tf[1100], tenv[1200];
  snprintf(tf, sizeof tf, "%s/token", f->dir);
  FILE *fp = fopen(tf, "w");
  fputs("tok-from-file\n", fp);
  fclose(fp);
  snprintf(tenv, sizeof tenv, "CONSUL_HTTP_TOKEN_FILE=%s", tf);
  const char *env[] = {tenv, NULL};
  tu_proc_result r;
  run_mesh(f, NULL, env, NULL, &r);
  assert_int_equal(r.exit_code, 0);
  struct stat st;
  assert_int_equal(stat(f->boot, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  char *text = tu_slurp(f->boot, NULL);
  assert_non_null(strstr(text, "tok-from-file"));
  free(text);
  assert_null(strstr(r.err, "tok-from-file"));
}

/* The tag_name=value fixed stats tag of a bootstrap file, or NULL. */
static char *bootstrap_tag(const char *path, const char *tag) {
  char *text = tu_slurp(path, NULL);
  cJSON *b = text ? cJSON_Parse(text) : NULL;
  free(text);
  const cJSON *t;
  char *v = NULL;
  cJSON_ArrayForEach(t,
                     cJSON_GetObjectItem(cJSON_GetObjectItem(b, "stats_config"),
                                         "stats_tags")) {
    const cJSON *n = cJSON_GetObjectItem(t, "tag_name");
    const cJSON *fv = cJSON_GetObjectItem(t, "fixed_value");
    if (cJSON_IsString(n) && cJSON_IsString(fv) && !strcmp(n->valuestring, tag))
      v = strdup(fv->valuestring);
  }
  cJSON_Delete(b);
  return v;
}

/* A token without agent:read (403 on /v1/agent/self) and a registration
 * that names no Datacenter: without -datacenter mesh-init fails naming
 * the flag and takes its registrations back; with it the bootstrap's
 * datacenter is the flag's. */
static void test_datacenter_flag_when_agent_self_is_denied(void **state) {
  fx *f = *state;
  f->agent.self_status = 403;
  f->agent.service_no_dc = true;
  tu_proc_result r;
  run_mesh(f, NULL, NULL, NULL, &r);
  assert_int_equal(r.exit_code, 1);
  assert_non_null(strstr(r.err, "no agent:read"));
  assert_non_null(strstr(r.err, "give -datacenter"));
  assert_false(exists(f->boot));
  assert_int_equal(f->agent.n_register, 2);
  assert_null(tu_agent_service(&f->agent, "web-family-0abc"));
  assert_null(tu_agent_service(&f->agent, "web-family-0abc-sidecar-proxy"));
  const char *args[] = {"-datacenter", "dc7", NULL};
  run_mesh(f, NULL, NULL, args, &r);
  if (r.exit_code != 0)
    fprintf(stderr, "%s\n", r.err);
  assert_int_equal(r.exit_code, 0);
  char *dc = bootstrap_tag(f->boot, "consul.source.datacenter");
  assert_non_null(dc);
  assert_string_equal(dc, "dc7");
  free(dc);
  /* The agent's release is unknown too: the newest format, said so. */
  assert_non_null(strstr(r.err, "newest supported release"));
}

/* A release outside 1.10-1.20, or a readiness listener for a release
 * without it, given as a flag, fails before anything is registered. */
static void
test_unsupported_consul_version_flag_fails_before_registering(void **state) {
  fx *f = *state;
  static const struct {
    const char *args[7];
    const char *want[2];
  } cases[] = {
      {{"-consul-version", "1.9.1", NULL}, {"1.9.1", "1.10.0 to 1.20.x"}},
      {{"--consul-version=1.21.0", NULL}, {"1.21.0", "1.10.0 to 1.20.x"}},
      {{"-consul-version", "1.14.3", "-envoy-ready-bind-address", "127.0.0.1",
        "-envoy-ready-bind-port", "21000", NULL},
       {"readiness listener needs Consul 1.13.6, 1.14.4, 1.15", "1.14.3"}},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    tu_proc_result r;
    run_mesh(f, NULL, NULL, cases[i].args, &r);
    assert_int_equal(r.exit_code, 1);
    for (size_t k = 0; k < 2; k++)
      assert_non_null(strstr(r.err, cases[i].want[k]));
    assert_int_equal(f->agent.n_register, 0);
    assert_false(exists(f->boot));
  }
  /* ECSBOOT_CONSUL_VERSION is checked as early, and named. */
  const char *env[] = {"ECSBOOT_CONSUL_VERSION=1.8.0", NULL};
  tu_proc_result r;
  run_mesh(f, NULL, env, NULL, &r);
  assert_int_equal(r.exit_code, 1);
  assert_non_null(strstr(r.err, "ECSBOOT_CONSUL_VERSION"));
  assert_int_equal(f->agent.n_register, 0);
}

/* An agent of an unsupported release is known only after registering:
 * mesh-init fails naming it and deregisters both services. */
static void test_unsupported_agent_version_deregisters(void **state) {
  fx *f = *state;
  snprintf(f->agent.self_body, sizeof f->agent.self_body,
           "{\"Config\": {\"Datacenter\": \"dc1\", \"Version\": "
           "\"1.9.17\"}, \"DebugConfig\": {\"GRPCPort\": 8502}}");
  tu_proc_result r;
  run_mesh(f, NULL, NULL, NULL, &r);
  assert_int_equal(r.exit_code, 1);
  assert_non_null(strstr(r.err, "Consul 1.9.17 is not supported"));
  assert_non_null(strstr(r.err, "$.Config.Version"));
  assert_false(exists(f->boot));
  assert_int_equal(f->agent.n_register, 2);
  assert_int_equal(f->agent.n_deregister, 2);
  assert_null(tu_agent_service(&f->agent, "web-family-0abc"));
  assert_null(tu_agent_service(&f->agent, "web-family-0abc-sidecar-proxy"));
}

/* The agent's Config.Version picks the bootstrap's format. */
static void test_agent_version_picks_the_bootstrap_format(void **state) {
  fx *f = *state;
  snprintf(f->agent.self_body, sizeof f->agent.self_body,
           "{\"Config\": {\"Datacenter\": \"dc1\", \"Version\": "
           "\"1.10.4\"}, \"DebugConfig\": {\"GRPCPort\": 8502}}");
  tu_proc_result r;
  run_mesh(f, NULL, NULL, NULL, &r);
  assert_int_equal(r.exit_code, 0);
  char *text = tu_slurp(f->boot, NULL);
  assert_non_null(strstr(text, "\"envoy_version\": \"1.20.2\""));
  assert_null(strstr(text, "\"partition\""));
  assert_non_null(strstr(text, "\"access_log_path\""));
  free(text);
  snprintf(f->agent.self_body, sizeof f->agent.self_body,
           "{\"Config\": {\"Datacenter\": \"dc1\", \"Version\": "
           "\"1.20.1\"}, \"xDS\": {\"Port\": 8502, \"Ports\": "
           "{\"Plaintext\": 8502, \"TLS\": 0}}}");
  run_mesh(f, NULL, NULL, NULL, &r);
  assert_int_equal(r.exit_code, 0);
  text = tu_slurp(f->boot, NULL);
  assert_null(strstr(text, "envoy_version"));
  assert_non_null(strstr(text, "\"partition\": \"default\""));
  assert_non_null(strstr(text, "envoy.access_loggers.file"));
  free(text);
}

static void test_malformed_metadata_fails_without_output(void **state) {
  fx *f = *state;
  tu_json_set(&f->md, 200, "{\"TaskARN\": \"arn:aws:ecs:r:1:task/x\", ");
  tu_proc_result r;
  run_mesh(f, NULL, NULL, NULL, &r);
  assert_int_equal(r.exit_code, 1);
  assert_non_null(strstr(r.err, "task metadata"));
  assert_non_null(strstr(r.err, "malformed JSON"));
  assert_false(exists(f->boot));
  assert_int_equal(f->agent.n_register, 0);
}

static void test_malformed_agent_answer_fails_without_output(void **state) {
  fx *f = *state;
  snprintf(f->agent.self_body, sizeof f->agent.self_body, "{\"Config\": [}");
  tu_proc_result r;
  run_mesh(f, NULL, NULL, NULL, &r);
  assert_int_equal(r.exit_code, 1);
  assert_non_null(strstr(r.err, "/v1/agent/self"));
  assert_non_null(strstr(r.err, "malformed JSON"));
  assert_false(exists(f->boot));
}

/* A folder this process cannot write into: a 0555 folder when not root,
 * else a read-only file system (/sys); NULL when neither is available. */
static const char *unwritable_dir(fx *f, char *buf, size_t cap) {
  snprintf(buf, cap, "%s/ro", f->dir);
  mkdir(buf, 0555);
  char probe[1200];
  snprintf(probe, sizeof probe, "%s/probe", buf);
  int fd = open(probe, O_CREAT | O_WRONLY, 0644);
  if (fd < 0)
    return buf;
  close(fd);
  unlink(probe);
  fd = open("/sys/ecsb-probe", O_CREAT | O_WRONLY, 0644);
  if (fd >= 0) {
    close(fd);
    unlink("/sys/ecsb-probe");
    return NULL;
  }
  snprintf(buf, cap, "/sys");
  return buf;
}

static void test_unwritable_folder_clear_error_no_partial_file(void **state) {
  fx *f = *state;
  char dir[1100];
  if (!unwritable_dir(f, dir, sizeof dir)) {
    printf("note: no unwritable folder available; case skipped\n");
    return;
  }
  char flag[1200], target[1200];
  snprintf(target, sizeof target, "%s/envoy-bootstrap.json", dir);
  snprintf(flag, sizeof flag, "-envoy-bootstrap-dir=%s", dir);
  /* -envoy-bootstrap-dir replaces the fixture's -envoy-bootstrap-file, so
   * give the file flag in an extra arg pair that wins: use a fresh run. */
  char md_env[128], addr_env[128];
  snprintf(md_env, sizeof md_env, "ECS_CONTAINER_METADATA_URI_V4=%s",
           f->md.url);
  snprintf(addr_env, sizeof addr_env, "CONSUL_HTTP_ADDR=%s", f->agent.addr);
  const char *argv[] = {tu_init_bin(), "mesh-init", flag, NULL};
  const char *env[] = {md_env, addr_env, NULL};
  tu_proc_result r;
  assert_int_equal(tu_run(argv, env, 60000, &r), 0);
  assert_int_equal(r.exit_code, 1);
  assert_non_null(strstr(r.err, "cannot create a temp file in"));
  assert_non_null(strstr(r.err, dir));
  assert_false(exists(target));
  if (strcmp(dir, "/sys") != 0)
    assert_int_equal(count_files(dir), 0);
}

static void test_json_config_with_health_sync(void **state) {
  fx *f = *state;
  char cfg[2048], cenv[2200];
  snprintf(cfg, sizeof cfg,
           "{\"bootstrapDir\": \"%s\", \"healthSyncContainers\": [\"app\"],"
           " \"service\": {\"name\": \"api\", \"port\": 9000, \"tags\": "
           "[\"t\"]}, \"proxy\": {\"upstreams\": [{\"destinationName\": "
           "\"db\", \"localBindPort\": 1234}]}}",
           f->dir);
  snprintf(cenv, sizeof cenv, "CONSUL_ECS_CONFIG_JSON=%s", cfg);
  char md_env[128], addr_env[128];
  snprintf(md_env, sizeof md_env, "ECS_CONTAINER_METADATA_URI_V4=%s",
           f->md.url);
  snprintf(addr_env, sizeof addr_env, "CONSUL_HTTP_ADDR=%s", f->agent.addr);
  /* A flag overrides the config: the port. */
  const char *argv[] = {tu_init_bin(), "mesh-init", "-port=9001", NULL};
  const char *env[] = {md_env, addr_env, cenv, NULL};
  tu_proc_result r;
  assert_int_equal(tu_run(argv, env, 60000, &r), 0);
  if (r.exit_code != 0)
    fprintf(stderr, "%s\n", r.err);
  assert_int_equal(r.exit_code, 0);
  cJSON *svc = tu_agent_service(&f->agent, "api-0abc");
  assert_non_null(svc);
  assert_int_equal(cJSON_GetObjectItem(svc, "Port")->valueint, 9001);
  const cJSON *ck = cJSON_GetArrayItem(cJSON_GetObjectItem(svc, "Checks"), 0);
  assert_string_equal(cJSON_GetObjectItem(ck, "CheckID")->valuestring,
                      "api-0abc-app-consul-ecs");
  assert_string_equal(cJSON_GetObjectItem(ck, "Status")->valuestring,
                      "critical");
  cJSON_Delete(svc);
  assert_true(exists(f->boot)); /* bootstrapDir/envoy-bootstrap.json */
}

static void test_usage_errors_and_help(void **state) {
  fx *f = *state;
  (void)f;
  struct {
    const char *args[4];
    int code;
    const char *in_err, *in_out;
  } cases[] = {
      {{"mesh-init", "-port=http", NULL}, 1, "flag -port", NULL},
      {{"mesh-init", "-bogus", NULL}, 1, "unknown flag -bogus", NULL},
      {{"mesh-init", "-upstreams=db", NULL}, 1, "flag -upstreams", NULL},
      {{"mesh-init", NULL}, 1, "no bootstrap file", NULL},
      {{"mesh-init", "--config", "/nonexistent.json", NULL},
       1,
       "flag -config",
       NULL},
      {{"mesh-init", "--help", NULL}, 0, NULL, "--envoy-bootstrap-dir DIR"},
      {{"nope", NULL}, 1, "unknown command \"nope\"", NULL},
      {{"version", NULL}, 0, NULL, "ecsboot-init 0."},
      {{"--help", NULL}, 0, NULL, "mesh-init"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *argv[6] = {tu_init_bin()};
    for (int k = 0; k < 4 && cases[i].args[k]; k++)
      argv[k + 1] = cases[i].args[k];
    const char *env[] = {NULL};
    tu_proc_result r;
    assert_int_equal(tu_run(argv, env, 20000, &r), 0);
    if (r.exit_code != cases[i].code ||
        (cases[i].in_err && !strstr(r.err, cases[i].in_err)) ||
        (cases[i].in_out && !strstr(r.out, cases[i].in_out)))
      fprintf(stderr, "case %zu: exit %d\nout: %s\nerr: %s\n", i, r.exit_code,
              r.out, r.err);
    assert_int_equal(r.exit_code, cases[i].code);
    if (cases[i].in_err)
      assert_non_null(strstr(r.err, cases[i].in_err));
    if (cases[i].in_out)
      assert_non_null(strstr(r.out, cases[i].in_out));
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
      T(test_happy_path_registers_and_writes),
      T(test_no_task_ip_falls_back_to_agent_host),
      T(test_copy_self_copies_the_static_health_program),
      T(test_copy_self_without_the_health_program_fails),
      T(test_rerun_is_idempotent),
      T(test_agent_500_three_times_then_ok),
      T(test_agent_up_late),
      T(test_agent_up_late_retries_follow_flags_and_are_reported),
      T(test_agent_never_ready_times_out),
      T(test_acl_denied_exits_3_and_token_stays_secret),
      T(test_token_file_gives_0600_bootstrap),
      T(test_datacenter_flag_when_agent_self_is_denied),
      T(test_unsupported_consul_version_flag_fails_before_registering),
      T(test_unsupported_agent_version_deregisters),
      T(test_agent_version_picks_the_bootstrap_format),
      T(test_malformed_metadata_fails_without_output),
      T(test_malformed_agent_answer_fails_without_output),
      T(test_unwritable_folder_clear_error_no_partial_file),
      T(test_json_config_with_health_sync),
      T(test_usage_errors_and_help),
  };
  ecsb_http_global_init(NULL);
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  ecsb_http_global_cleanup();
  return rc;
}
