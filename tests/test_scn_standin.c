/* test_scn_standin.c - the app and envoy stand-ins as real processes, run
 * as the runner runs them (ecsboot-standin): serving, health modes, crash
 * and signal behaviour, bootstrap validation, forwarding through the
 * public and upstream listeners; their own HTTP server (standin_http.c)
 * with keep-alive, bodies and HTTP/1.0; and `ecsboot app`, the same code
 * in the harness program. */
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
#include <sys/time.h>
#include <unistd.h>

#include "ecsb/clock.h"
#include "ecsb/fileio.h"
#include "ecsb/http.h"
#include "ecsb/httpd.h"
#include "scn/proc.h"
#include "scn/standin.h"

static char dir[128];
static char ip[32];  /* this test run's "task" address */
static char ip2[32]; /* another task, for upstreams */

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/ecsb-standin-XXXXXX");
  if (!mkdtemp(dir))
    return -1;
  unsigned p = (unsigned)getpid();
  snprintf(ip, sizeof ip, "127.%u.%u.1", 100 + p % 100, (p / 100) % 250);
  snprintf(ip2, sizeof ip2, "127.%u.%u.2", 100 + p % 100, (p / 100) % 250);
  ecsb_http_global_init(NULL);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  char cmd[200];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  ecsb_http_global_cleanup();
  return system(cmd);
}

/* The program launch() runs: the runner's, unless a test says otherwise;
 * started by this fork server when one is set. */
static const char *prog = ECSBOOT_STANDIN_BIN;
static scn_forksrv *via = NULL;

static scn_proc *launch(const char *const *args, const char *log) {
  const char *argv[32] = {prog};
  size_t n = 1;
  for (; args[n - 1] && n < 31; n++)
    argv[n] = args[n - 1];
  argv[n] = NULL;
  char env_ip[64], env_consul[128];
  snprintf(env_ip, sizeof env_ip, "ECSBOOT_TASK_IP=%s", ip);
  const char *agent = getenv("TEST_AGENT_ADDR");
  snprintf(env_consul, sizeof env_consul, "CONSUL_HTTP_ADDR=%s",
           agent ? agent : "");
  const char *envp[] = {env_ip, env_consul, NULL};
  scn_spawn_opts o = {.argv = argv, .envp = envp, .log_path = log, .via = via};
  scn_proc *p = NULL;
  ecsb_err err = {0};
  if (scn_proc_spawn(&o, &p, &err))
    fail_msg("spawn: %s", err.msg);
  return p;
}

/* GET url until it answers (bounded); returns the status, 0 if never. */
static long get_until_up(const char *url, char *body, size_t cap) {
  ecsb_http_opts o;
  ecsb_http_opts_default(&o);
  o.max_retries = 0;
  o.timeout_ms = 2000;
  ecsb_http_client *c = ecsb_http_client_new(&o, NULL);
  long status = 0;
  for (int i = 0; i < 500 && !status; i++) {
    ecsb_http_response r;
    if (ecsb_http_get(c, url, NULL, 0, &r, NULL) == 0) {
      status = r.status;
      if (body)
        snprintf(body, cap, "%s", r.body);
    } else {
      usleep(10000);
    }
    ecsb_http_response_clear(&r);
  }
  ecsb_http_client_free(c);
  return status;
}

static long get_once(const char *url) {
  ecsb_http_opts o;
  ecsb_http_opts_default(&o);
  o.max_retries = 0;
  ecsb_http_client *c = ecsb_http_client_new(&o, NULL);
  ecsb_http_response r;
  long status = ecsb_http_get(c, url, NULL, 0, &r, NULL) == 0 ? r.status : 0;
  ecsb_http_response_clear(&r);
  ecsb_http_client_free(c);
  return status;
}

static char *slurp(const char *path) {
  char *b = NULL;
  if (ecsb_read_file(path, 1 << 20, &b, NULL, NULL))
    return strdup("");
  return b;
}

/* Waits (bounded, 20 s) until the log holds `text`: a stand-in installs its
 * signal handlers before it logs that it runs, so a signal sent earlier
 * would meet the default action, more often on a loaded machine or under
 * ASan. */
static bool log_until(const char *path, const char *text) {
  for (int i = 0; i < 2000; i++) {
    char *l = slurp(path);
    bool found = strstr(l, text) != NULL;
    free(l);
    if (found)
      return true;
    usleep(10000);
  }
  return false;
}

static void test_localhost_maps_to_task_ip(void **state) {
  (void)state;
  assert_string_equal(scn_localhost_map("127.0.0.1", "127.1.0.5"), "127.1.0.5");
  assert_string_equal(scn_localhost_map("localhost", "127.1.0.5"), "127.1.0.5");
  assert_string_equal(scn_localhost_map("", "127.1.0.5"), "127.1.0.5");
  assert_string_equal(scn_localhost_map("127.0.0.10", "127.1.0.5"),
                      "127.0.0.10");
  assert_string_equal(scn_localhost_map("127.0.0.1", NULL), "127.0.0.1");
}

static void test_app_serves_and_reports_health(void **state) {
  (void)state;
  const char *args[] = {"app",    "--listen", "127.0.0.1:18080",
                        "--name", "web",      NULL};
  char log[200];
  snprintf(log, sizeof log, "%s/app.log", dir);
  scn_proc *p = launch(args, log);
  char url[128], body[512];
  snprintf(url, sizeof url, "http://%s:18080/hello", ip);
  assert_int_equal(get_until_up(url, body, sizeof body), 200);
  assert_non_null(strstr(body, "\"name\":\"web\""));
  assert_non_null(strstr(body, "\"path\":\"/hello\""));
  snprintf(url, sizeof url, "http://%s:18080/health", ip);
  assert_int_equal(get_once(url), 200);
  /* SIGTERM: exits 0. */
  assert_int_equal(scn_proc_signal(p, SIGTERM), 0);
  int code = -1;
  assert_true(scn_proc_wait(p, 10000, &code, NULL));
  assert_int_equal(code, 0);
  scn_proc_free(p);
  char *l = slurp(log);
  assert_non_null(strstr(l, "app listening"));
  free(l);
}

/* Sends raw bytes to ip:port and reads until the peer closes (bounded by
 * a 20 s receive timeout); returns what was read. */
static char *exchange(int port, const char *req) {
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, ip, &sa.sin_addr);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  assert_int_equal(send(fd, req, strlen(req), MSG_NOSIGNAL),
                   (ssize_t)strlen(req));
  struct timeval tv = {.tv_sec = 20};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char *buf = calloc(1, 8192);
  size_t have = 0;
  for (ssize_t n;
       have < 8191 && (n = recv(fd, buf + have, 8191 - have, 0)) > 0;)
    have += (size_t)n;
  close(fd);
  return buf;
}

static void test_app_http_keepalive_bodies_and_http10(void **state) {
  (void)state;
  const char *args[] = {"app", "--listen", "127.0.0.1:18085", NULL};
  char log[200], url[128];
  snprintf(log, sizeof log, "%s/app-http.log", dir);
  scn_proc *p = launch(args, log);
  snprintf(url, sizeof url, "http://%s:18085/health", ip);
  assert_int_equal(get_until_up(url, NULL, 0), 200);
  /* Two requests on one connection (kept open after the first), the first
   * with a body to skip, the path percent-decoded and its query left out;
   * the second asks for the close that ends the read. */
  char *r = exchange(18085, "POST /a%20b?x=1 HTTP/1.1\r\nHost: t\r\n"
                            "Content-Length: 5\r\n\r\nhello"
                            "GET /health HTTP/1.1\r\nHost: t\r\n"
                            "Connection: close\r\n\r\n");
  const char *first = strstr(r, "HTTP/1.1 200 OK\r\n");
  assert_non_null(first);
  assert_non_null(strstr(first, "\"path\":\"/a b\""));
  const char *second = strstr(first + 1, "HTTP/1.1 200 OK\r\n");
  if (!second)
    fail_msg("one answer for two requests: %s", r);
  assert_non_null(strstr(second, "Content-Length: 3\r\n"));
  assert_non_null(strstr(second, "\r\n\r\nok\n"));
  free(r);
  /* HTTP/1.0: answered, then closed by the server (the read ends). */
  r = exchange(18085, "GET /x HTTP/1.0\r\n\r\n");
  assert_non_null(strstr(r, "HTTP/1.1 200 OK\r\n"));
  assert_non_null(strstr(r, "Connection: close\r\n"));
  assert_non_null(strstr(r, "\"path\":\"/x\""));
  free(r);
  /* A request line that is not HTTP gets 400 and a close. */
  r = exchange(18085, "HELLO\r\n\r\n");
  assert_non_null(strstr(r, "HTTP/1.1 400 "));
  free(r);
  assert_int_equal(scn_proc_signal(p, SIGTERM), 0);
  int code = -1;
  assert_true(scn_proc_wait(p, 10000, &code, NULL));
  assert_int_equal(code, 0);
  scn_proc_free(p);
}

/* `ecsboot app` runs the same stand-in as ecsboot-standin. */
/* SIGTERM: the stand-in exits 0. Frees p. */
static void stop_ok(scn_proc *p) {
  assert_int_equal(scn_proc_signal(p, SIGTERM), 0);
  int code = -1;
  assert_true(scn_proc_wait(p, 10000, &code, NULL));
  assert_int_equal(code, 0);
  scn_proc_free(p);
}

static void test_harness_runs_the_same_app(void **state) {
  (void)state;
  const char *args[] = {"app",    "--listen", "127.0.0.1:18086",
                        "--name", "same",     NULL};
  char log[200], url[128], body[512];
  snprintf(log, sizeof log, "%s/app-harness.log", dir);
  prog = ECSBOOT_BIN;
  scn_proc *p = launch(args, log);
  prog = ECSBOOT_STANDIN_BIN;
  snprintf(url, sizeof url, "http://%s:18086/", ip);
  assert_int_equal(get_until_up(url, body, sizeof body), 200);
  assert_non_null(strstr(body, "\"name\":\"same\""));
  stop_ok(p);
}

/* How the runner starts them: copies of `ecsboot-standin serve-forks`. */
static void test_fork_server_copies_run_the_stand_ins(void **state) {
  (void)state;
  ecsb_err err = {0};
  assert_int_equal(scn_forksrv_start(ECSBOOT_STANDIN_BIN, &via, &err), 0);
  const char *args[] = {"app",    "--listen", "127.0.0.1:18087",
                        "--name", "copied",   NULL};
  char log[200], url[128], body[512];
  snprintf(log, sizeof log, "%s/app-copy.log", dir);
  scn_proc *p = launch(args, log);
  /* the server's work for the start: it came from the server */
  assert_true(scn_proc_spawn_cpu_us(p) > 0);
  snprintf(url, sizeof url, "http://%s:18087/", ip);
  assert_int_equal(get_until_up(url, body, sizeof body), 200);
  assert_non_null(strstr(body, "\"name\":\"copied\""));
  assert_true(log_until(log, "app listening"));
  stop_ok(p);

  const char *envoy[] = {"envoy", "--help", NULL};
  snprintf(log, sizeof log, "%s/envoy-copy.log", dir);
  p = launch(envoy, log);
  int code = -1;
  assert_true(scn_proc_wait(p, 10000, &code, NULL));
  assert_int_equal(code, 0);
  scn_proc_free(p);
  char *l = slurp(log);
  assert_non_null(strstr(l, "usage: ecsboot envoy -c BOOTSTRAP.json"));
  free(l);
  assert_int_equal(scn_forksrv_started(via), 2);
  assert_true(scn_forksrv_alive(via));
  scn_forksrv_free(via);
  via = NULL;
}

static void test_app_failure_modes(void **state) {
  (void)state;
  char log[200], url[128];
  snprintf(log, sizeof log, "%s/app2.log", dir);
  const char *failing[] = {"app", "--listen", "127.0.0.1:18081",
                           "--fail-health", NULL};
  scn_proc *p = launch(failing, log);
  snprintf(url, sizeof url, "http://%s:18081/health", ip);
  assert_int_equal(get_until_up(url, NULL, 0), 500);
  scn_proc_free(p);

  const char *crash[] = {"app",
                         "--listen",
                         "127.0.0.1:18082",
                         "--crash-after",
                         "200ms",
                         "--exit-code",
                         "7",
                         NULL};
  p = launch(crash, log);
  int code = -1;
  assert_true(scn_proc_wait(p, 10000, &code, NULL));
  assert_int_equal(code, 7);
  scn_proc_free(p);

  const char *stubborn[] = {"app", "--listen", "127.0.0.1:18083",
                            "--ignore-sigterm", NULL};
  p = launch(stubborn, log);
  snprintf(url, sizeof url, "http://%s:18083/", ip);
  assert_int_equal(get_until_up(url, NULL, 0), 200);
  assert_int_equal(scn_proc_signal(p, SIGTERM), 0);
  assert_false(scn_proc_wait(p, 300, NULL, NULL)); /* still running */
  assert_int_equal(get_once(url), 200);
  assert_true(scn_proc_stop(p, 100)); /* only SIGKILL ends it */
  scn_proc_free(p);
}

/* A container without portMappings: the app opens no port, yet lives,
 * crashes and stops as scripted; health flags from a shared image rule do
 * not make it fail. */
static void test_app_without_listen_runs_without_a_port(void **state) {
  (void)state;
  char log[200];
  snprintf(log, sizeof log, "%s/app-noport.log", dir);
  const char *worker[] = {"app", "--name", "worker", "--fail-health", NULL};
  scn_proc *p = launch(worker, log);
  assert_true(log_until(log, "app running without a port"));
  assert_false(scn_proc_wait(p, 300, NULL, NULL)); /* still running */
  assert_int_equal(scn_proc_signal(p, SIGTERM), 0);
  int code = -1;
  assert_true(scn_proc_wait(p, 10000, &code, NULL));
  assert_int_equal(code, 0);
  scn_proc_free(p);
  char *l = slurp(log);
  assert_non_null(strstr(l, "app running without a port"));
  assert_non_null(strstr(l, "name=worker"));
  assert_null(strstr(l, "app listening"));
  free(l);

  const char *crash[] = {"app", "--crash-after", "100ms", "--exit-code", "3",
                         NULL};
  p = launch(crash, log);
  assert_true(scn_proc_wait(p, 10000, &code, NULL));
  assert_int_equal(code, 3);
  scn_proc_free(p);
}

static void test_app_start_delay_defers_listening(void **state) {
  (void)state;
  char log[200], url[128];
  snprintf(log, sizeof log, "%s/app3.log", dir);
  const char *slow[] = {"app",           "--listen", "127.0.0.1:18084",
                        "--start-delay", "400ms",    NULL};
  int64_t t0 = ecsb_mono_ms();
  scn_proc *p = launch(slow, log);
  snprintf(url, sizeof url, "http://%s:18084/", ip);
  assert_int_equal(get_until_up(url, NULL, 0), 200);
  /* A lower bound only: it cannot have listened before its delay. */
  assert_true(ecsb_mono_ms() - t0 >= 400);
  scn_proc_free(p);
}

static void test_app_rejects_bad_flags(void **state) {
  (void)state;
  static const char *bad[][6] = {
      {"app", "--listen", NULL},
      {"app", "--listen", "nope", NULL},
      {"app", "--listen", "127.0.0.1:1", "--start-delay", "soon", NULL},
      {"app", "--listen", "127.0.0.1:1", "--exit-code", "300", NULL},
      {"app", "--listen", "127.0.0.1:1", "--frobnicate", "x", NULL},
  };
  static const char *want[] = {"--listen", "nope", "--start-delay", "300",
                               "--frobnicate"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char log[200];
    snprintf(log, sizeof log, "%s/bad%zu.log", dir, i);
    scn_proc *p = launch(bad[i], log);
    int code = -1;
    assert_true(scn_proc_wait(p, 10000, &code, NULL));
    assert_int_equal(code, 2);
    char *l = slurp(log);
    if (!strstr(l, want[i]))
      fail_msg("case %zu: \"%s\" not named in: %s", i, want[i], l);
    free(l);
    scn_proc_free(p);
  }
}

/* ---- envoy ---- */

typedef struct agent {
  int pub_port, app_port, up_port, remote_port;
  char reg_token[64];
} agent;

static void agent_handler(void *user, const ecsb_httpd_req *req,
                          ecsb_httpd_resp *resp) {
  agent *a = user;
  const char *tok = ecsb_httpd_req_header(req, "X-Consul-Token");
  snprintf(a->reg_token, sizeof a->reg_token, "%s", tok ? tok : "");
  char body[1024];
  if (strcmp(req->path, "/v1/agent/service/web-1-sidecar-proxy") == 0) {
    snprintf(body, sizeof body,
             "{\"ID\":\"web-1-sidecar-proxy\",\"Kind\":\"connect-proxy\","
             "\"Port\":%d,\"Address\":\"\",\"Proxy\":{"
             "\"DestinationServiceName\":\"web\",\"LocalServicePort\":%d,"
             "\"Upstreams\":[{\"DestinationName\":\"db\","
             "\"LocalBindPort\":%d}]}}",
             a->pub_port, a->app_port, a->up_port);
    ecsb_httpd_resp_set(resp, 200, "application/json", body, strlen(body));
  } else if (strcmp(req->path, "/v1/health/service/db-sidecar-proxy") == 0) {
    snprintf(body, sizeof body,
             "[{\"Service\":{\"Address\":\"%s\",\"Port\":%d}}]", ip2,
             a->remote_port);
    ecsb_httpd_resp_set(resp, 200, "application/json", body, strlen(body));
  } else {
    ecsb_httpd_resp_textf(resp, 404, "unknown service");
  }
}

static void named(void *user, const ecsb_httpd_req *req,
                  ecsb_httpd_resp *resp) {
  ecsb_httpd_resp_textf(resp, 200, "%s%s", (const char *)user, req->path);
}

/* An Envoy bootstrap with %d for the admin port. */
#define BOOTSTRAP_FMT                                                          \
  "{\"node\":{\"id\":\"web-1-sidecar-proxy\",\"cluster\":\"web\"},"            \
  "\"admin\":{\"access_log_path\":\"/dev/null\",\"address\":{"                 \
  "\"socket_address\":{\"address\":\"127.0.0.1\",\"port_value\":%d}}},"        \
  "\"static_resources\":{\"clusters\":[{\"name\":\"local_agent\","             \
  "\"loadAssignment\":{\"clusterName\":\"local_agent\",\"endpoints\":[{"       \
  "\"lbEndpoints\":[{\"endpoint\":{\"address\":{\"socket_address\":{"          \
  "\"address\":\"127.0.0.1\",\"port_value\":8502}}}}]}]}}]},"                  \
  "\"dynamic_resources\":{\"ads_config\":{\"api_type\":\"DELTA_GRPC\","        \
  "\"grpc_services\":{\"initial_metadata\":[{\"key\":\"x-consul-token\","      \
  "\"value\":\"tok-123\"}],\"envoy_grpc\":{\"cluster_name\":"                  \
  "\"local_agent\"}}}}}"

/* The envoy stand-in's admin counters: downstream connections accepted
 * and upstream connects that failed. */
static void envoy_counters(unsigned long long *down, unsigned long long *fail) {
  char url[128], body[256];
  snprintf(url, sizeof url, "http://%s:21002/stats", ip);
  *down = *fail = 0;
  assert_int_equal(get_until_up(url, body, sizeof body), 200);
  const char *d = strstr(body, "downstream_cx_total: ");
  const char *f = strstr(body, "upstream_cx_connect_fail: ");
  assert_non_null(d);
  assert_non_null(f);
  *down = strtoull(d + 21, NULL, 10);
  *fail = strtoull(f + 26, NULL, 10);
}

/* Opens a connection to the proxy's public port, sends `data` (may be
 * NULL) and closes it. */
static void touch_public(const char *data) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(21000)};
  inet_pton(AF_INET, ip, &sa.sin_addr);
  assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  if (data)
    assert_true(send(fd, data, strlen(data), MSG_NOSIGNAL) > 0);
  close(fd);
}

static void test_envoy_forwards_public_and_upstream(void **state) {
  (void)state;
  agent a = {.pub_port = 21000, .up_port = 21001};
  ecsb_httpd_opts o;
  ecsb_httpd_opts_default(&o);
  ecsb_httpd *ag = NULL, *app = NULL, *remote = NULL;
  assert_int_equal(ecsb_httpd_start(&o, agent_handler, &a, &ag, NULL), 0);
  o.bind_ip = ip;
  assert_int_equal(ecsb_httpd_start(&o, named, "app:", &app, NULL), 0);
  o.bind_ip = ip2;
  assert_int_equal(ecsb_httpd_start(&o, named, "db:", &remote, NULL), 0);
  a.app_port = ecsb_httpd_port(app);
  a.remote_port = ecsb_httpd_port(remote);
  char agent_addr[64];
  snprintf(agent_addr, sizeof agent_addr, "127.0.0.1:%u", ecsb_httpd_port(ag));
  setenv("TEST_AGENT_ADDR", agent_addr, 1);

  char boot[200], text[2048], log[200];
  snprintf(boot, sizeof boot, "%s/bootstrap.json", dir);
  snprintf(log, sizeof log, "%s/envoy.log", dir);
  snprintf(text, sizeof text, BOOTSTRAP_FMT, 21002);
  assert_int_equal(ecsb_atomic_write(boot, text, strlen(text), 0600, NULL), 0);
  const char *args[] = {"envoy", "-c", boot, "--log-level", "debug", NULL};
  scn_proc *p = launch(args, log);

  char url[128], body[256];
  snprintf(url, sizeof url, "http://%s:21002/ready", ip);
  assert_int_equal(get_until_up(url, body, sizeof body), 200);
  assert_string_equal(body, "LIVE\n");
  snprintf(url, sizeof url, "http://%s:21000/through-proxy", ip);
  assert_int_equal(get_until_up(url, body, sizeof body), 200);
  assert_string_equal(body, "app:/through-proxy");
  snprintf(url, sizeof url, "http://%s:21001/upstream", ip);
  assert_int_equal(get_until_up(url, body, sizeof body), 200);
  assert_string_equal(body, "db:/upstream");
  assert_string_equal(a.reg_token, "tok-123");

  /* With the app gone, a connection that closes without a byte (a TCP
   * health check) never tries the app, as Envoy's mesh listener waits for
   * the client's TLS hello; one that sends a byte does, and fails. */
  ecsb_httpd_stop(app);
  app = NULL;
  unsigned long long down0, fail0, down, fail;
  envoy_counters(&down0, &fail0);
  for (int i = 0; i < 3; i++)
    touch_public(NULL);
  for (int i = 0; i < 500; i++) { /* bounded: 5 s */
    envoy_counters(&down, &fail);
    if (down >= down0 + 3)
      break;
    usleep(10000);
  }
  assert_true(down >= down0 + 3);
  touch_public("x");
  for (int i = 0; i < 500 && fail == fail0; i++) {
    usleep(10000);
    envoy_counters(&down, &fail);
  }
  assert_int_equal(fail, fail0 + 1);

  assert_int_equal(scn_proc_signal(p, SIGTERM), 0);
  int code = -1;
  assert_true(scn_proc_wait(p, 10000, &code, NULL));
  assert_int_equal(code, 0);
  scn_proc_free(p);
  unsetenv("TEST_AGENT_ADDR");
  ecsb_httpd_stop(ag);
  ecsb_httpd_stop(app);
  ecsb_httpd_stop(remote);
}

static void test_envoy_public_port_taken_never_opens(void **state) {
  (void)state;
  agent a = {.pub_port = 21010, .app_port = 1, .up_port = 21011};
  ecsb_httpd *ag = NULL;
  assert_int_equal(ecsb_httpd_start(NULL, agent_handler, &a, &ag, NULL), 0);
  char agent_addr[64];
  snprintf(agent_addr, sizeof agent_addr, "127.0.0.1:%u", ecsb_httpd_port(ag));
  setenv("TEST_AGENT_ADDR", agent_addr, 1);
  /* Squatter: bound but not listening, so connections are refused. */
  int sq = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(21010)};
  inet_pton(AF_INET, ip, &sa.sin_addr);
  assert_int_equal(bind(sq, (struct sockaddr *)&sa, sizeof sa), 0);

  char boot[200], text[2048], log[200];
  snprintf(boot, sizeof boot, "%s/bootstrap2.json", dir);
  snprintf(log, sizeof log, "%s/envoy2.log", dir);
  snprintf(text, sizeof text, BOOTSTRAP_FMT, 21012);
  assert_int_equal(ecsb_atomic_write(boot, text, strlen(text), 0600, NULL), 0);
  const char *args[] = {"envoy", "--config-path", boot, NULL};
  scn_proc *p = launch(args, log);
  char url[128];
  snprintf(url, sizeof url, "http://%s:21012/ready", ip);
  assert_int_equal(get_until_up(url, NULL, 0), 200);
  /* Wait until it has tried (its log says so), then: still running, port
   * still refusing. */
  char *l = NULL;
  for (int i = 0; i < 500; i++) {
    free(l);
    l = slurp(log);
    if (strstr(l, "public listener rejected"))
      break;
    usleep(10000);
  }
  assert_non_null(strstr(l, "public listener rejected"));
  free(l);
  assert_false(scn_proc_poll(p, NULL, NULL));
  snprintf(url, sizeof url, "http://%s:21010/", ip);
  assert_int_equal(get_once(url), 0);
  scn_proc_free(p);
  close(sq);
  unsetenv("TEST_AGENT_ADDR");
  ecsb_httpd_stop(ag);
}

static void test_envoy_rejects_invalid_bootstrap(void **state) {
  (void)state;
  static const struct {
    const char *text;
    const char *want;
  } cases[] = {
      {"{\"node\":{\"cluster\":\"web\"}}", "$.node.id: required field missing"},
      {"{\"node\":{\"id\":\"x\",\"cluster\":\"web\"},\"admin\":{\"address\":"
       "{\"socket_address\":{\"address\":\"127.0.0.1\",\"port_value\":\"19000"
       "\"}}}}",
       "$.admin.address.socket_address.port_value: expected a number"},
      {"{\"node\": {", "malformed JSON"},
      {"{\"node\":{\"id\":\"x\",\"cluster\":\"c\"},\"admin\":{\"address\":{"
       "\"socket_address\":{\"address\":\"127.0.0.1\",\"port_value\":19000}}},"
       "\"static_resources\":{\"clusters\":[]},\"dynamic_resources\":{"
       "\"ads_config\":{\"grpc_services\":{\"envoy_grpc\":{\"cluster_name\":"
       "\"local_agent\"}}}}}",
       /* as logfmt writes it: quotes escaped */
       "no cluster named \\\"local_agent\\\""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char boot[200], log[200];
    snprintf(boot, sizeof boot, "%s/bad-boot-%zu.json", dir, i);
    snprintf(log, sizeof log, "%s/bad-envoy-%zu.log", dir, i);
    assert_int_equal(ecsb_atomic_write(boot, cases[i].text,
                                       strlen(cases[i].text), 0644, NULL),
                     0);
    const char *args[] = {"envoy", "-c", boot, NULL};
    scn_proc *p = launch(args, log);
    int code = -1;
    assert_true(scn_proc_wait(p, 10000, &code, NULL));
    assert_int_equal(code, 1);
    char *l = slurp(log);
    if (!strstr(l, cases[i].want) || !strstr(l, boot))
      fail_msg("case %zu: want \"%s\" and the file name in: %s", i,
               cases[i].want, l);
    free(l);
    scn_proc_free(p);
  }
  const char *missing[] = {"envoy", "-c", "/nonexistent/boot.json", NULL};
  char log[200];
  snprintf(log, sizeof log, "%s/missing.log", dir);
  scn_proc *p = launch(missing, log);
  int code = -1;
  assert_true(scn_proc_wait(p, 10000, &code, NULL));
  assert_int_equal(code, 1);
  char *l = slurp(log);
  assert_non_null(strstr(l, "/nonexistent/boot.json"));
  free(l);
  scn_proc_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_localhost_maps_to_task_ip),
      cmocka_unit_test(test_app_serves_and_reports_health),
      cmocka_unit_test(test_app_http_keepalive_bodies_and_http10),
      cmocka_unit_test(test_harness_runs_the_same_app),
      cmocka_unit_test(test_fork_server_copies_run_the_stand_ins),
      cmocka_unit_test(test_app_failure_modes),
      cmocka_unit_test(test_app_without_listen_runs_without_a_port),
      cmocka_unit_test(test_app_start_delay_defers_listening),
      cmocka_unit_test(test_app_rejects_bad_flags),
      cmocka_unit_test(test_envoy_forwards_public_and_upstream),
      cmocka_unit_test(test_envoy_public_port_taken_never_opens),
      cmocka_unit_test(test_envoy_rejects_invalid_bootstrap),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
