/* test_envoy_golden.c - the Envoy bootstrap against the golden files in
 * $ECSB_VECTORS_DIR/envoy-bootstrap, with a local agent answering exactly
 * as their SOURCES.md says; both through the library and through the real
 * `ecsboot-init envoy-bootstrap` process. Skips (77) without the vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ecsb/consul.h"
#include "ecsb/envoy_bootstrap.h"
#include "ecsb/http.h"
#include "init_testutil.h"

#define GOLDEN_DIR ECSB_VECTORS_DIR "/envoy-bootstrap"
#define TOKEN "c9a52720-bf6c-4aa6-b8bc-66881a5ade95"

static const char *self_answer =
    "{\"Config\": {\"Datacenter\": \"dc1\", \"Version\": \"1.15.11\"}, "
    "\"xDS\": {\"Port\": 8502, "
    "\"Ports\": {\"Plaintext\": 8502, \"TLS\": 0}}}";
static const char *service_answer =
    "{\"Kind\": \"connect-proxy\", \"ID\": \"test-proxy\", \"Service\": "
    "\"test-proxy\", \"Proxy\": {\"DestinationServiceName\": \"test\", "
    "\"DestinationServiceID\": \"test\", \"Config\": {}}, \"Datacenter\": "
    "\"dc1\"}";

static int setup(void **state) {
  tu_agent *a = calloc(1, sizeof *a);
  snprintf(a->self_body, sizeof a->self_body, "%s", self_answer);
  if (tu_agent_start(a, NULL) != 0)
    return -1;
  a->raw_service = strdup(service_answer);
  *state = a;
  return 0;
}

static int teardown(void **state) {
  tu_agent *a = *state;
  tu_agent_stop(a);
  free(a);
  return 0;
}

static cJSON *golden(const char *name) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", GOLDEN_DIR, name);
  char *text = tu_slurp(path, NULL);
  assert_non_null(text);
  cJSON *j = cJSON_Parse(text);
  free(text);
  assert_non_null(j);
  return j;
}

static void assert_same_json(const char *text, const char *golden_name) {
  cJSON *want = golden(golden_name);
  cJSON *got = cJSON_Parse(text);
  assert_non_null(got);
  if (!cJSON_Compare(want, got, true)) {
    char *w = cJSON_Print(want), *g = cJSON_Print(got);
    fprintf(stderr, "want:\n%s\ngot:\n%s\n", w, g);
    free(w);
    free(g);
  }
  assert_true(cJSON_Compare(want, got, true));
  cJSON_Delete(want);
  cJSON_Delete(got);
}

static char *library_bootstrap(tu_agent *a, const char *token,
                               const char *access_log) {
  ecsb_consul_flags f = {.http_addr = a->addr, .token = token};
  ecsb_consul_settings s;
  ecsb_err err = {0};
  unsetenv("CONSUL_GRPC_ADDR");
  unsetenv("CONSUL_HTTP_TOKEN");
  unsetenv("CONSUL_HTTP_TOKEN_FILE");
  assert_int_equal(ecsb_consul_settings_load(&s, &f, &err), 0);
  ecsb_consul *c = ecsb_consul_new(&s, &err);
  assert_non_null(c);
  ecsb_envoy_agent_opts o = {.proxy_id = "test-proxy",
                             .admin_access_log_path = access_log};
  char *out = NULL;
  int rc = ecsb_envoy_bootstrap_from_agent(c, &s, NULL, &o, &out, &err);
  if (rc)
    fprintf(stderr, "%s\n", err.msg);
  assert_int_equal(rc, 0);
  ecsb_consul_free(c);
  ecsb_consul_settings_clear(&s);
  return out;
}

static void test_library_matches_token_arg_golden(void **state) {
  tu_agent *a = *state;
  char *out = library_bootstrap(a, TOKEN, NULL);
  assert_same_json(out, "token-arg.golden");
  /* The token travelled to the agent as the API token too. */
  assert_string_equal(a->last_token, TOKEN);
  free(out);
}

static void test_library_matches_access_log_path_golden(void **state) {
  tu_agent *a = *state;
  char *out = library_bootstrap(a, NULL, "/some/path/access.log");
  assert_same_json(out, "access-log-path.golden");
  free(out);
}

static void test_process_matches_token_arg_golden(void **state) {
  tu_agent *a = *state;
  char addr_env[128];
  snprintf(addr_env, sizeof addr_env, "CONSUL_HTTP_ADDR=%s", a->addr);
  const char *argv[] = {tu_init_bin(), "envoy-bootstrap", "-proxy-id",
                        "test-proxy",  "-token",          TOKEN,
                        NULL};
  const char *env[] = {addr_env, NULL};
  tu_proc_result r;
  assert_int_equal(tu_run(argv, env, 20000, &r), 0);
  if (r.exit_code != 0)
    fprintf(stderr, "stderr: %s\n", r.err);
  assert_int_equal(r.exit_code, 0);
  assert_same_json(r.out, "token-arg.golden");
  /* The token reaches the bootstrap but never the log. */
  assert_null(strstr(r.err, TOKEN));
}

static void test_process_matches_access_log_golden_with_go_flags(void **s) {
  tu_agent *a = *s;
  char addr_flag[128];
  snprintf(addr_flag, sizeof addr_flag, "-http-addr=%s", a->addr);
  const char *argv[] = {tu_init_bin(),
                        "envoy-bootstrap",
                        "-bootstrap",
                        "-proxy-id=test-proxy",
                        "--admin-access-log-path",
                        "/some/path/access.log",
                        addr_flag,
                        NULL};
  const char *env[] = {NULL};
  tu_proc_result r;
  assert_int_equal(tu_run(argv, env, 20000, &r), 0);
  if (r.exit_code != 0)
    fprintf(stderr, "stderr: %s\n", r.err);
  assert_int_equal(r.exit_code, 0);
  assert_same_json(r.out, "access-log-path.golden");
}

static void test_process_writes_out_file_0600_with_token(void **state) {
  tu_agent *a = *state;
  char *dir = tu_tmpdir();
  char out[1024], addr_env[128];
  snprintf(out, sizeof out, "%s/boot.json", dir);
  snprintf(addr_env, sizeof addr_env, "CONSUL_HTTP_ADDR=http://%s", a->addr);
  const char *argv[] = {tu_init_bin(), "envoy-bootstrap", "-proxy-id",
                        "test-proxy",  "--out",           out,
                        NULL};
  const char *env[] = {addr_env, "CONSUL_HTTP_TOKEN=" TOKEN, NULL};
  tu_proc_result r;
  assert_int_equal(tu_run(argv, env, 20000, &r), 0);
  assert_int_equal(r.exit_code, 0);
  struct stat st;
  assert_int_equal(stat(out, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  char *text = tu_slurp(out, NULL);
  assert_same_json(text, "token-arg.golden");
  free(text);
  tu_rmtree(dir);
  free(dir);
}

int main(void) {
  if (access(GOLDEN_DIR "/token-arg.golden", R_OK) != 0) {
    printf("skipped: %s/token-arg.golden not found (vectors folder absent)\n",
           GOLDEN_DIR);
    return 77;
  }
  ecsb_http_global_init(NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_library_matches_token_arg_golden,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_library_matches_access_log_path_golden, setup, teardown),
      cmocka_unit_test_setup_teardown(test_process_matches_token_arg_golden,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_process_matches_access_log_golden_with_go_flags, setup,
          teardown),
      cmocka_unit_test_setup_teardown(
          test_process_writes_out_file_0600_with_token, setup, teardown),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  ecsb_http_global_cleanup();
  return rc;
}
