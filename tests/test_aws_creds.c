/* test_aws_creds.c - the AWS credential chain: environment first, then the
 * container credentials endpoint (RELATIVE_URI through the test-only
 * loopback override, FULL_URI with an authorization token or token file),
 * caching and refresh before Expiration with an injected clock, and the
 * errors for half-set, unsafe or malformed inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ecsb/aws_creds.h"
#include "ecsb/http.h"
#include "init_testutil.h"

static const char *vars[] = {"AWS_ACCESS_KEY_ID",
                             "AWS_SECRET_ACCESS_KEY",
                             "AWS_SESSION_TOKEN",
                             "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                             "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                             "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                             "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                             ECSB_TEST_CREDENTIALS_ENV};

static void clear_env(void) {
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
    unsetenv(vars[i]);
}

/* 2030-01-01T00:00:00Z */
#define EXP_UNIX INT64_C(1893456000)
static const char *creds_body =
    "{\"RoleArn\": \"arn:aws:iam::1:role/r\", \"AccessKeyId\": \"ASIAEXAMPLE\","
    " \"SecretAccessKey\": \"very-secret-key\", \"Token\": \"sess-token\","
    " \"Expiration\": \"2030-01-01T00:00:00Z\"}";

typedef struct clock_t_ {
  int64_t now;
} fake_clock;

static int64_t fake_now(void *u) {
  return ((fake_clock *)u)->now;
}

static void test_environment_first(void **state) {
  (void)state;
  clear_env();
  setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
  setenv("AWS_SESSION_TOKEN", "envtoken", 1);
  setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/creds", 1);
  ecsb_err err = {0};
  ecsb_aws_creds_provider *p = ecsb_aws_creds_provider_new(NULL, &err);
  assert_non_null(p);
  ecsb_aws_creds c;
  assert_int_equal(ecsb_aws_creds_get(p, &c, &err), 0);
  assert_string_equal(c.access_key_id, "AKIDENV");
  assert_string_equal(c.secret_access_key, "envsecret");
  assert_string_equal(c.session_token, "envtoken");
  assert_string_equal(c.source, "environment");
  assert_int_equal(c.expiration, 0);
  assert_int_equal(ecsb_aws_creds_fetches(p), 0);
  assert_int_equal(ecsb_aws_creds_invalidate(p), 0);
  ecsb_aws_creds_provider_free(p);
  clear_env();
}

static void test_bad_configurations_name_the_variable(void **state) {
  (void)state;
  struct {
    const char *k1, *v1, *k2, *v2, *want;
  } cases[] = {
      {"AWS_ACCESS_KEY_ID", "A", NULL, NULL,
       "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"},
      {"AWS_SECRET_ACCESS_KEY", "S", NULL, NULL,
       "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"},
      {NULL, NULL, NULL, NULL, "no AWS credentials"},
      {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "v2/x", NULL, NULL,
       "must be a path starting with '/'"},
      {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://10.0.0.1/creds", NULL,
       NULL, "plain http is only allowed to a loopback address"},
      {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "file:///etc/passwd", NULL, NULL,
       "is not an http(s) URL"},
      {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/x",
       ECSB_TEST_CREDENTIALS_ENV, "http://10.0.0.1:80", "for tests only"},
      {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/x",
       ECSB_TEST_CREDENTIALS_ENV, "http://127.0.0.1:80/path", "for tests only"},
      {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/c",
       "AWS_CONTAINER_AUTHORIZATION_TOKEN", "a\r\nX-Evil: 1",
       "AWS_CONTAINER_AUTHORIZATION_TOKEN contains control characters"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    clear_env();
    if (cases[i].k1)
      setenv(cases[i].k1, cases[i].v1, 1);
    if (cases[i].k2)
      setenv(cases[i].k2, cases[i].v2, 1);
    ecsb_err err = {0};
    ecsb_aws_creds_provider *p = ecsb_aws_creds_provider_new(NULL, &err);
    if (p || !strstr(err.msg, cases[i].want))
      fprintf(stderr, "case %zu: %s\n", i, err.msg);
    assert_null(p);
    assert_int_equal(err.code, ECSB_EINVAL);
    assert_non_null(strstr(err.msg, cases[i].want));
  }
  clear_env();
  /* https FULL_URI to any host and http to the ECS/EKS endpoints are fine. */
  const char *fine[] = {"https://creds.example.com/x",
                        "http://169.254.170.23/v1/credentials",
                        "http://localhost:51679/creds"};
  for (size_t i = 0; i < 3; i++) {
    clear_env();
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", fine[i], 1);
    ecsb_err err = {0};
    ecsb_aws_creds_provider *p = ecsb_aws_creds_provider_new(NULL, &err);
    assert_non_null(p);
    ecsb_aws_creds_provider_free(p);
  }
  clear_env();
}

static void test_relative_uri_fetch_cache_and_refresh(void **state) {
  (void)state;
  tu_json j = {0};
  assert_int_equal(tu_json_start(&j, creds_body), 0);
  clear_env();
  setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc", 1);
  setenv(ECSB_TEST_CREDENTIALS_ENV, j.url, 1);
  fake_clock clk = {.now = EXP_UNIX - 3600};
  ecsb_aws_creds_opts o = {.now = fake_now, .now_user = &clk};
  ecsb_err err = {0};
  ecsb_aws_creds_provider *p = ecsb_aws_creds_provider_new(&o, &err);
  assert_non_null(p);
  ecsb_aws_creds c;
  assert_int_equal(ecsb_aws_creds_get(p, &c, &err), 0);
  assert_string_equal(j.last_path, "/v2/credentials/abc");
  assert_string_equal(c.access_key_id, "ASIAEXAMPLE");
  assert_string_equal(c.secret_access_key, "very-secret-key");
  assert_string_equal(c.session_token, "sess-token");
  assert_string_equal(c.source, "container");
  assert_int_equal(c.expiration, EXP_UNIX);
  assert_int_equal(tu_json_requests(&j), 1);
  /* Cached while far from Expiration. */
  clk.now = EXP_UNIX - 301;
  assert_int_equal(ecsb_aws_creds_get(p, &c, &err), 0);
  assert_int_equal(tu_json_requests(&j), 1);
  /* Inside the 5-minute window: refreshed. */
  clk.now = EXP_UNIX - 299;
  tu_json_set(&j, 200,
              "{\"AccessKeyId\": \"ASIANEW\", \"SecretAccessKey\": \"s2\","
              " \"Token\": \"t2\", \"Expiration\": \"2030-01-01T01:00:00Z\"}");
  assert_int_equal(ecsb_aws_creds_get(p, &c, &err), 0);
  assert_int_equal(tu_json_requests(&j), 2);
  assert_string_equal(c.access_key_id, "ASIANEW");
  assert_int_equal(c.expiration, EXP_UNIX + 3600);
  /* Refresh fails but the cached ones are still valid: keep using them. */
  clk.now = EXP_UNIX + 3600 - 100;
  tu_json_set(&j, 500, "down");
  assert_int_equal(ecsb_aws_creds_get(p, &c, &err), 0);
  assert_int_equal(tu_json_requests(&j), 3);
  assert_string_equal(c.access_key_id, "ASIANEW");
  /* Expired and the endpoint is down: an error to retry on. */
  clk.now = EXP_UNIX + 3600 + 1;
  assert_int_equal(ecsb_aws_creds_get(p, &c, &err), ECSB_ESTATUS);
  assert_non_null(strstr(err.msg, "HTTP 500"));
  /* invalidate forces a fetch even when fresh. */
  tu_json_set(&j, 200, creds_body);
  clk.now = EXP_UNIX - 3600;
  assert_int_equal(ecsb_aws_creds_get(p, &c, &err), 0);
  int n = tu_json_requests(&j);
  assert_int_equal(ecsb_aws_creds_invalidate(p), 1);
  assert_int_equal(ecsb_aws_creds_get(p, &c, &err), 0);
  assert_int_equal(tu_json_requests(&j), n + 1);
  ecsb_aws_creds_provider_free(p);
  tu_json_stop(&j);
  clear_env();
}

static void test_full_uri_authorization_token_and_file(void **state) {
  (void)state;
  tu_json j = {0};
  assert_int_equal(tu_json_start(&j, creds_body), 0);
  char url[128];
  snprintf(url, sizeof url, "%s/creds", j.url);
  clear_env();
  setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
  setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Basic abc", 1);
  ecsb_err err = {0};
  ecsb_aws_creds_provider *p = ecsb_aws_creds_provider_new(NULL, &err);
  ecsb_aws_creds c;
  assert_int_equal(ecsb_aws_creds_get(p, &c, &err), 0);
  assert_string_equal(j.last_auth, "Basic abc");
  ecsb_aws_creds_provider_free(p);
  /* The file wins and is re-read on every fetch (it rotates). */
  char *dir = tu_tmpdir();
  char path[512];
  snprintf(path, sizeof path, "%s/tok", dir);
  FILE *f = fopen(path, "w");
  fputs("from-file-1\n", f);
  fclose(f);
  setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", path, 1);
  p = ecsb_aws_creds_provider_new(NULL, &err);
  assert_int_equal(ecsb_aws_creds_get(p, &c, &err), 0);
  assert_string_equal(j.last_auth, "from-file-1");
  f = fopen(path, "w");
  fputs("from-file-2", f);
  fclose(f);
  ecsb_aws_creds_invalidate(p);
  assert_int_equal(ecsb_aws_creds_get(p, &c, &err), 0);
  assert_string_equal(j.last_auth, "from-file-2");
  unlink(path);
  ecsb_aws_creds_invalidate(p);
  assert_int_equal(ecsb_aws_creds_get(p, &c, &err), ECSB_ENOTFOUND);
  assert_non_null(strstr(err.msg, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"));
  ecsb_aws_creds_provider_free(p);
  tu_rmtree(dir);
  free(dir);
  tu_json_stop(&j);
  clear_env();
}

static void test_endpoint_answers_classified(void **state) {
  (void)state;
  tu_json j = {0};
  assert_int_equal(tu_json_start(&j, creds_body), 0);
  clear_env();
  setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/c", 1);
  setenv(ECSB_TEST_CREDENTIALS_ENV, j.url, 1);
  struct {
    int status;
    const char *body;
    int code;
    const char *want;
  } cases[] = {
      {403, "no", ECSB_EAUTH, "HTTP 403"},
      {401, "no", ECSB_EAUTH, "HTTP 401"},
      {404, "no", ECSB_EINVAL, "HTTP 404"},
      {503, "no", ECSB_ESTATUS, "HTTP 503"},
      {200, "{\"AccessKeyId\": \"A\", ", ECSB_EPARSE, "malformed JSON"},
      {200, "{\"AccessKeyId\": \"A\"}", ECSB_ENOTFOUND,
       "$.SecretAccessKey: required field missing"},
      {200,
       "{\"AccessKeyId\": \"A\", \"SecretAccessKey\": \"hidden-value\", "
       "\"Expiration\": \"tomorrow\"}",
       ECSB_EPARSE, "$.Expiration"},
      {200, "{\"AccessKeyId\": \"\", \"SecretAccessKey\": \"x\"}", ECSB_EINVAL,
       "$.AccessKeyId: empty"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    tu_json_set(&j, cases[i].status, cases[i].body);
    ecsb_err err = {0};
    ecsb_aws_creds_provider *p = ecsb_aws_creds_provider_new(NULL, &err);
    ecsb_aws_creds c;
    int rc = ecsb_aws_creds_get(p, &c, &err);
    if (rc != cases[i].code || !strstr(err.msg, cases[i].want))
      fprintf(stderr, "case %zu: rc %d %s\n", i, rc, err.msg);
    assert_int_equal(rc, cases[i].code);
    assert_non_null(strstr(err.msg, cases[i].want));
    assert_null(strstr(err.msg, "hidden-value"));
    ecsb_aws_creds_provider_free(p);
  }
  /* Endpoint down entirely: a transport error (retryable). */
  char url[64];
  snprintf(url, sizeof url, "%s", j.url);
  tu_json_stop(&j);
  setenv(ECSB_TEST_CREDENTIALS_ENV, url, 1);
  ecsb_err err = {0};
  ecsb_aws_creds_opts o = {.timeout_ms = 2000};
  ecsb_aws_creds_provider *p = ecsb_aws_creds_provider_new(&o, &err);
  ecsb_aws_creds c;
  assert_int_equal(ecsb_aws_creds_get(p, &c, &err), ECSB_ETRANSPORT);
  ecsb_aws_creds_provider_free(p);
  clear_env();
}

int main(void) {
  ecsb_http_global_init(NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_environment_first),
      cmocka_unit_test(test_bad_configurations_name_the_variable),
      cmocka_unit_test(test_relative_uri_fetch_cache_and_refresh),
      cmocka_unit_test(test_full_uri_authorization_token_and_file),
      cmocka_unit_test(test_endpoint_answers_classified),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  ecsb_http_global_cleanup();
  return rc;
}
