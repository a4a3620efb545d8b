/* test_consul.c - the Consul agent client: settings from flags and the
 * environment (address forms, token file over token, CONSUL_HTTP_SSL), the
 * retry policy (refused and 5xx retried to the deadline, 403 and 404 not),
 * the token header, and the request bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/consul.h"
#include "ecsb/http.h"
#include "init_testutil.h"

static void clear_env(void) {
  unsetenv("CONSUL_HTTP_ADDR");
  unsetenv("CONSUL_HTTP_SSL");
  unsetenv("CONSUL_HTTP_TOKEN");
  unsetenv("CONSUL_HTTP_TOKEN_FILE");
  unsetenv("CONSUL_CACERT");
  unsetenv("CONSUL_CAPATH");
  unsetenv("CONSUL_GRPC_ADDR");
}

/* A folder of CA certificates for the HTTPS API: -ca-path, else
 * CONSUL_CAPATH, as Consul's CLI reads them. */
static void test_settings_ca_path(void **state) {
  (void)state;
  clear_env();
  ecsb_consul_settings s;
  ecsb_err err = {0};
  assert_int_equal(ecsb_consul_settings_load(&s, NULL, &err), 0);
  assert_null(s.capath);
  ecsb_consul_settings_clear(&s);
  setenv("CONSUL_CAPATH", "/etc/env-cas", 1);
  assert_int_equal(ecsb_consul_settings_load(&s, NULL, &err), 0);
  assert_string_equal(s.capath, "/etc/env-cas");
  ecsb_consul_settings_clear(&s);
  ecsb_consul_flags f = {.capath = "/etc/flag-cas"};
  assert_int_equal(ecsb_consul_settings_load(&s, &f, &err), 0);
  assert_string_equal(s.capath, "/etc/flag-cas");
  ecsb_consul *c = ecsb_consul_new(&s, &err); /* the client copies it */
  assert_non_null(c);
  ecsb_consul_free(c);
  ecsb_consul_settings_clear(&s);
  clear_env();
}

static void test_settings_address_forms(void **state) {
  (void)state;
  struct {
    const char *env, *ssl;
    const char *url;
  } ok[] = {
      {NULL, NULL, "http://127.0.0.1:8500"},
      {"127.1.2.3:9500", NULL, "http://127.1.2.3:9500"},
      {"http://agent:8500/", NULL, "http://agent:8500"},
      {"https://agent", NULL, "https://agent:443"},
      {"agent", NULL, "http://agent:8500"},
      {"127.0.0.1:8501", "true", "https://127.0.0.1:8501"},
      {"[::1]:8500", NULL, "http://[::1]:8500"},
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    clear_env();
    if (ok[i].env)
      setenv("CONSUL_HTTP_ADDR", ok[i].env, 1);
    if (ok[i].ssl)
      setenv("CONSUL_HTTP_SSL", ok[i].ssl, 1);
    ecsb_consul_settings s;
    ecsb_err err = {0};
    assert_int_equal(ecsb_consul_settings_load(&s, NULL, &err), 0);
    assert_string_equal(s.base_url, ok[i].url);
    ecsb_consul_settings_clear(&s);
  }
  const char *bad[][2] = {
      {"unix:///var/run/consul.sock", "only http:// and https://"},
      {"127.0.0.1:99999", "port must be a number"},
      {"http://a:1/v1", "without a path"},
      {"a b:1", "invalid character"},
      {"1::2:3", "[addr]:port"},
      {"http://admin:hunter2@agent:8500", "credentials in the address"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    clear_env();
    setenv("CONSUL_HTTP_ADDR", bad[i][0], 1);
    ecsb_consul_settings s;
    ecsb_err err = {0};
    assert_int_equal(ecsb_consul_settings_load(&s, NULL, &err), ECSB_EINVAL);
    assert_non_null(strstr(err.msg, "CONSUL_HTTP_ADDR"));
    assert_non_null(strstr(err.msg, bad[i][1]));
    assert_null(strstr(err.msg, "hunter2"));
  }
  /* The flag wins over the environment and is the one named. */
  clear_env();
  setenv("CONSUL_HTTP_ADDR", "127.0.0.9:1", 1);
  ecsb_consul_flags f = {.http_addr = "x:y"};
  ecsb_consul_settings s;
  ecsb_err err = {0};
  assert_int_equal(ecsb_consul_settings_load(&s, &f, &err), ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "flag -http-addr"));
  clear_env();
}

static void test_settings_token_sources(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  char path[512];
  snprintf(path, sizeof path, "%s/token", dir);
  FILE *f = fopen(path, "w");
  fputs("  file-token\n", f);
  fclose(f);
  clear_env();
  setenv("CONSUL_HTTP_TOKEN", "env-token", 1);
  ecsb_consul_settings s;
  ecsb_err err = {0};
  assert_int_equal(ecsb_consul_settings_load(&s, NULL, &err), 0);
  assert_string_equal(s.token, "env-token");
  ecsb_consul_settings_clear(&s);
  /* The file wins over the string, as in the Consul CLI, trimmed. */
  setenv("CONSUL_HTTP_TOKEN_FILE", path, 1);
  assert_int_equal(ecsb_consul_settings_load(&s, NULL, &err), 0);
  assert_string_equal(s.token, "file-token");
  ecsb_consul_settings_clear(&s);
  setenv("CONSUL_HTTP_TOKEN_FILE", "/nonexistent/token", 1);
  assert_int_equal(ecsb_consul_settings_load(&s, NULL, &err), ECSB_ENOTFOUND);
  assert_non_null(strstr(err.msg, "CONSUL_HTTP_TOKEN_FILE"));
  clear_env();
  setenv("CONSUL_HTTP_TOKEN", "a\nb", 1);
  assert_int_equal(ecsb_consul_settings_load(&s, NULL, &err), ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "control characters"));
  assert_null(strstr(err.msg, "a\nb"));
  clear_env();
  tu_rmtree(dir);
  free(dir);
}

static ecsb_consul *client_for(const char *addr, const char *token) {
  clear_env();
  ecsb_consul_flags f = {.http_addr = addr, .token = token};
  ecsb_consul_settings s;
  ecsb_err err = {0};
  assert_int_equal(ecsb_consul_settings_load(&s, &f, &err), 0);
  ecsb_consul *c = ecsb_consul_new(&s, &err);
  assert_non_null(c);
  ecsb_consul_settings_clear(&s);
  return c;
}

static void test_register_retries_5xx_then_succeeds(void **state) {
  (void)state;
  tu_agent a = {0};
  assert_int_equal(tu_agent_start(&a, NULL), 0);
  a.fail_first = 3;
  ecsb_consul *c = client_for(a.addr, "tok-1");
  ecsb_retry r;
  ecsb_retry_init(&r, 20000, 10, 50, 42, NULL);
  cJSON *p = cJSON_Parse("{\"ID\": \"web-1\", \"Name\": \"web\"}");
  ecsb_err err = {0};
  assert_int_equal(ecsb_consul_service_register(c, &r, p, &err), 0);
  assert_int_equal(a.n_requests, 4);
  assert_int_equal(r.attempt, 3);
  assert_string_equal(a.last_token, "tok-1");
  cJSON *got = tu_agent_service(&a, "web-1");
  assert_true(cJSON_Compare(got, p, true));
  cJSON_Delete(got);
  cJSON_Delete(p);
  ecsb_consul_free(c);
  tu_agent_stop(&a);
}

static void test_without_retry_a_500_fails_at_once(void **state) {
  (void)state;
  tu_agent a = {0};
  assert_int_equal(tu_agent_start(&a, NULL), 0);
  a.fail_first = 1;
  ecsb_consul *c = client_for(a.addr, NULL);
  ecsb_consul_self self;
  ecsb_err err = {0};
  assert_int_equal(ecsb_consul_agent_self(c, NULL, &self, &err), ECSB_ESTATUS);
  assert_non_null(strstr(err.msg, "HTTP 500"));
  assert_non_null(strstr(err.msg, "agent not ready (injected)"));
  assert_int_equal(ecsb_consul_agent_self(c, NULL, &self, &err), 0);
  assert_string_equal(self.datacenter, "dc1");
  assert_int_equal(self.xds_port, 8502);
  assert_false(self.xds_tls);
  ecsb_consul_free(c);
  tu_agent_stop(&a);
}

static void test_refused_until_deadline_is_a_timeout(void **state) {
  (void)state;
  /* Nothing listens on this port (it was free a moment ago). */
  tu_agent a = {0};
  assert_int_equal(tu_agent_start(&a, NULL), 0);
  char addr[64];
  snprintf(addr, sizeof addr, "%s", a.addr);
  tu_agent_stop(&a);
  ecsb_consul *c = client_for(addr, NULL);
  ecsb_retry r;
  ecsb_retry_init(&r, 300, 10, 40, 7, NULL);
  ecsb_consul_self self;
  ecsb_err err = {0};
  assert_int_equal(ecsb_consul_agent_self(c, &r, &self, &err), ECSB_ETIMEDOUT);
  assert_int_equal(err.code, ECSB_ETIMEDOUT);
  assert_non_null(strstr(err.msg, "not ready in time"));
  assert_true(r.attempt >= 2);
  assert_true(ecsb_consul_requests(c) >= 3);
  ecsb_consul_free(c);
}

static void test_acl_denied_and_not_found_stop_at_once(void **state) {
  (void)state;
  tu_agent a = {0};
  assert_int_equal(tu_agent_start(&a, NULL), 0);
  a.want_token = "right";
  ecsb_consul *c = client_for(a.addr, "wrong-secret");
  ecsb_retry r;
  ecsb_retry_init(&r, 20000, 10, 50, 1, NULL);
  ecsb_consul_self self;
  ecsb_err err = {0};
  assert_int_equal(ecsb_consul_agent_self(c, &r, &self, &err), ECSB_EAUTH);
  assert_int_equal(a.n_requests, 1);
  assert_non_null(strstr(err.msg, "HTTP 403"));
  assert_null(strstr(err.msg, "wrong-secret"));
  ecsb_consul_free(c);
  c = client_for(a.addr, "right");
  cJSON *svc = NULL;
  assert_int_equal(ecsb_consul_agent_service(c, &r, "missing", &svc, &err),
                   ECSB_ENOTFOUND);
  assert_int_equal(a.n_requests, 2);
  ecsb_consul_free(c);
  tu_agent_stop(&a);
}

static void test_check_update_and_deregister(void **state) {
  (void)state;
  tu_agent a = {0};
  assert_int_equal(tu_agent_start(&a, NULL), 0);
  ecsb_consul *c = client_for(a.addr, NULL);
  ecsb_err err = {0};
  assert_int_equal(ecsb_consul_check_update(c, NULL, "web-1-app-consul-ecs",
                                            "passing", "ok", &err),
                   0);
  char st[32];
  tu_agent_check_status(&a, "web-1-app-consul-ecs", st, sizeof st);
  assert_string_equal(st, "passing");
  cJSON *p = cJSON_Parse("{\"ID\": \"a b/c\", \"Name\": \"x\"}");
  assert_int_equal(ecsb_consul_service_register(c, NULL, p, &err), 0);
  /* IDs are escaped as one path segment. */
  assert_int_equal(ecsb_consul_service_deregister(c, NULL, "a b/c", &err), 0);
  assert_non_null(strstr(a.log, "PUT /v1/agent/service/deregister/a b/c"));
  cJSON *gone = tu_agent_service(&a, "a b/c");
  assert_null(gone);
  cJSON_Delete(p);
  ecsb_consul_free(c);
  tu_agent_stop(&a);
}

int main(void) {
  ecsb_http_global_init(NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_settings_address_forms),
      cmocka_unit_test(test_settings_ca_path),
      cmocka_unit_test(test_settings_token_sources),
      cmocka_unit_test(test_register_retries_5xx_then_succeeds),
      cmocka_unit_test(test_without_retry_a_500_fails_at_once),
      cmocka_unit_test(test_refused_until_deadline_is_a_timeout),
      cmocka_unit_test(test_acl_denied_and_not_found_stop_at_once),
      cmocka_unit_test(test_check_update_and_deregister),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  ecsb_http_global_cleanup();
  return rc;
}
