/* test_cli.c - the ecsboot program as a user runs it: version, unknown
 * commands and flags, and `serve` starting, announcing and stopping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ecsb/fileio.h"
#include "ecsb/http.h"
#include "scn/proc.h"

static char logp[128];

static int run(const char *const *args, int64_t wait_ms, char **out) {
  const char *argv[16] = {ECSBOOT_BIN};
  size_t n = 1;
  for (; args[n - 1] && n < 15; n++)
    argv[n] = args[n - 1];
  argv[n] = NULL;
  snprintf(logp, sizeof logp, "/tmp/ecsb-cli-%d.log", (int)getpid());
  unlink(logp);
  const char *envp[] = {"PATH=/usr/bin:/bin", NULL};
  scn_spawn_opts o = {.argv = argv, .envp = envp, .log_path = logp};
  scn_proc *p = NULL;
  assert_int_equal(scn_proc_spawn(&o, &p, NULL), 0);
  int code = -1;
  assert_true(scn_proc_wait(p, wait_ms, &code, NULL));
  scn_proc_free(p);
  assert_int_equal(ecsb_read_file(logp, 1 << 20, out, NULL, NULL), 0);
  unlink(logp);
  return code;
}

static void test_version_and_usage(void **state) {
  (void)state;
  char *out;
  const char *v[] = {"version", NULL};
  assert_int_equal(run(v, 10000, &out), 0);
  assert_non_null(strstr(out, "ecsboot 0."));
  free(out);
  const char *none[] = {NULL};
  assert_int_equal(run(none, 10000, &out), 2);
  assert_non_null(strstr(out, "Usage: ecsboot <command>"));
  free(out);
  const char *bad[] = {"frobnicate", NULL};
  assert_int_equal(run(bad, 10000, &out), 2);
  assert_non_null(strstr(out, "unknown command \"frobnicate\""));
  free(out);
  const char *flag[] = {"serve", "--bogus", "x", NULL};
  assert_int_equal(run(flag, 10000, &out), 2);
  assert_non_null(strstr(out, "unknown flag --bogus"));
  free(out);
  const char *addr[] = {"serve", "--ecs", "nowhere", NULL};
  assert_int_equal(run(addr, 10000, &out), 2);
  assert_non_null(strstr(out, "--ecs must be ADDR:PORT"));
  free(out);
  const char *scale[] = {"serve", "--time-scale", "-1", NULL};
  assert_int_equal(run(scale, 10000, &out), 2);
  assert_non_null(strstr(out, "--time-scale must be a number"));
  free(out);
  const char *nonloop[] = {"serve", "--ecs", "0.0.0.0:0", NULL};
  assert_int_equal(run(nonloop, 10000, &out), 1);
  assert_non_null(strstr(out, "not a loopback address"));
  free(out);
}

static void test_serve_announces_answers_and_stops(void **state) {
  (void)state;
  unsigned pid = (unsigned)getpid();
  char ecs[64], srv[64], agent[64];
  unsigned b = 100 + pid % 100, o3 = (pid / 100) % 250;
  snprintf(ecs, sizeof ecs, "127.%u.%u.7:0", b, o3);
  snprintf(srv, sizeof srv, "127.%u.%u.10:8500", b, o3);
  snprintf(agent, sizeof agent, "127.%u.%u.11:8500", b, o3);
  const char *argv[] = {
      ECSBOOT_BIN, "serve",          "--ecs", ecs, "--consul-server",
      srv,         "--consul-agent", agent,   NULL};
  snprintf(logp, sizeof logp, "/tmp/ecsb-cli-serve-%d.log", (int)pid);
  unlink(logp);
  const char *envp[] = {"PATH=/usr/bin:/bin", NULL};
  scn_spawn_opts o = {.argv = argv, .envp = envp, .log_path = logp};
  scn_proc *p = NULL;
  assert_int_equal(scn_proc_spawn(&o, &p, NULL), 0);
  char url[128] = "";
  for (int i = 0; i < 500 && !url[0]; i++) {
    char *out = NULL;
    if (ecsb_read_file(logp, 1 << 20, &out, NULL, NULL) == 0) {
      const char *u = strstr(out, "fake-ecs API");
      if (u && strstr(u, "\n"))
        sscanf(u, "fake-ecs API %127s", url);
    }
    free(out);
    if (!url[0])
      usleep(10000);
  }
  assert_true(strncmp(url, "http://127.", 11) == 0);
  /* An unsigned call is refused the way AWS refuses it. */
  ecsb_http_client *c = ecsb_http_client_new(NULL, NULL);
  ecsb_http_header h[] = {
      {"X-Amz-Target", "AmazonEC2ContainerServiceV20141113.ListClusters"},
      {"Content-Type", "application/x-amz-json-1.1"}};
  ecsb_http_request req = {.method = "POST",
                           .url = url,
                           .headers = h,
                           .n_headers = 2,
                           .body = "{}",
                           .body_len = 2};
  ecsb_http_response r;
  assert_int_equal(ecsb_http_do(c, &req, &r, NULL), 0);
  assert_true(r.status == 400 || r.status == 403);
  assert_non_null(strstr(r.body, "__type"));
  ecsb_http_response_clear(&r);
  /* The fake Consul agent answers on its address, joined to the server. */
  char self[128];
  snprintf(self, sizeof self, "http://127.%u.%u.11:8500/v1/agent/self", b, o3);
  assert_int_equal(ecsb_http_get(c, self, NULL, 0, &r, NULL), 0);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "\"Datacenter\":\"dc1\""));
  ecsb_http_response_clear(&r);
  ecsb_http_client_free(c);
  assert_int_equal(scn_proc_signal(p, SIGTERM), 0);
  int code = -1;
  assert_true(scn_proc_wait(p, 10000, &code, NULL));
  assert_int_equal(code, 0);
  scn_proc_free(p);
  char *out = NULL;
  assert_int_equal(ecsb_read_file(logp, 1 << 20, &out, NULL, NULL), 0);
  assert_non_null(strstr(out, "aws ecs list-clusters --endpoint-url"));
  assert_non_null(strstr(out, "AWS_DEFAULT_REGION="));
  assert_non_null(strstr(out, "CONSUL_HTTP_ADDR="));
  free(out);
  unlink(logp);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_version_and_usage),
      cmocka_unit_test(test_serve_announces_answers_and_stops),
  };
  ecsb_http_global_init(NULL);
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  ecsb_http_global_cleanup();
  return rc;
}
