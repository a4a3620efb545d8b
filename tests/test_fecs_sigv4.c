/* test_fecs_sigv4.c - fake-ecs's SigV4 verification over HTTP, as AWS
 * answers each case: a signed request passes; a wrong secret, a tampered
 * body, a stale or future date, a missing or malformed Authorization, a
 * missing X-Amz-Date, an unknown key, a wrong scope, and role credentials
 * without, with a wrong, or with an expired session token are refused
 * with AWS's error code. (Every case of the AWS signing suite runs through
 * the same canonicalisation in test_sigv4.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/sigv4.h"
#include "fecs_testutil.h"

typedef struct fx {
  ft_clock clk;
  fecs *f;
} fx;

static int setup(void **state) {
  fx *x = calloc(1, sizeof *x);
  fecs_config c;
  fecs_config_default(&c);
  c.throttle = false;
  c.create_default_cluster = true;
  x->f = ft_start(&c, &x->clk, NULL);
  *state = x;
  return 0;
}

static int teardown(void **state) {
  fx *x = *state;
  fecs_free(x->f);
  free(x);
  return 0;
}

static void expect(fx *x, const ft_req *r, long status, const char *type,
                   const char *msg_part) {
  ft_resp out;
  assert_int_equal(ft_call(x->f, &x->clk, r, &out), 0);
  if (out.status != status || strcmp(out.type, type) ||
      (msg_part && !strstr(out.msg, msg_part)))
    fail_msg("want %ld %s '%s', got %ld %s '%s'", status, type,
             msg_part ? msg_part : "", out.status, out.type, out.msg);
  ft_resp_clear(&out);
}

static int64_t now_s(fx *x) {
  return atomic_load(&x->clk.now_us) / 1000000;
}

static void test_signed_request_is_accepted(void **state) {
  fx *x = *state;
  ft_req r = {.op = "ListClusters"};
  expect(x, &r, 200, "", NULL);
  /* a repeated signed header is joined the same way on both sides */
  ecsb_http_header extra[] = {{"X-Test", "one"}, {"X-Test", "two"}};
  r.extra = extra;
  r.n_extra = 2;
  expect(x, &r, 200, "", NULL);
}

static void test_wrong_secret_is_invalid_signature(void **state) {
  fx *x = *state;
  ft_req r = {.op = "ListClusters", .secret = "not-the-secret"};
  expect(x, &r, 400, "InvalidSignatureException",
         "The request signature we calculated does not match");
  ft_resp out;
  assert_int_equal(ft_call(x->f, &x->clk, &r, &out), 0);
  /* the answer shows the canonical request the server computed */
  assert_non_null(strstr(out.msg, "POST\n/\n\ncontent-type:"));
  ft_resp_clear(&out);
}

static void test_tampered_body_is_invalid_signature(void **state) {
  fx *x = *state;
  ft_req r = {.op = "ListTasks",
              .body = "{\"cluster\":\"default\"}",
              .send_body = "{\"cluster\":\"defaulx\"}"};
  expect(x, &r, 400, "InvalidSignatureException", "does not match");
}

static void test_stale_and_future_dates_are_refused(void **state) {
  fx *x = *state;
  ft_req r = {.op = "ListClusters", .time_s = now_s(x) - 301};
  expect(x, &r, 400, "InvalidSignatureException", "Signature expired");
  r.time_s = now_s(x) + 301;
  expect(x, &r, 400, "InvalidSignatureException", "not yet current");
  r.time_s = now_s(x) - 299; /* within five minutes */
  expect(x, &r, 200, "", NULL);
  r.time_s = now_s(x) + 299;
  expect(x, &r, 200, "", NULL);
}

static void test_missing_or_malformed_authorization(void **state) {
  fx *x = *state;
  ft_req r = {.op = "ListClusters", .no_auth = true};
  expect(x, &r, 400, "MissingAuthenticationTokenException",
         "Missing Authentication Token");
  r = (ft_req){.op = "ListClusters", .no_date = true};
  expect(x, &r, 400, "IncompleteSignatureException", "X-Amz-Date");
  r = (ft_req){.op = "ListClusters",
               .auth_override = "AWS4-HMAC-SHA256 Credential=AKIA/2023"};
  expect(x, &r, 400, "IncompleteSignatureException", "SignedHeaders");
  r.auth_override = "Bearer abc";
  expect(x, &r, 400, "IncompleteSignatureException", "AWS4-HMAC-SHA256");
  /* well formed, but the Host header is not among the signed ones */
  char date[17], auth[400];
  ecsb_sigv4_format_date(now_s(x), date);
  snprintf(auth, sizeof auth,
           "AWS4-HMAC-SHA256 Credential=%s/%.8s/us-east-1/ecs/aws4_request, "
           "SignedHeaders=x-amz-date;x-amz-target, Signature=%064d",
           fecs_access_key_id(x->f), date, 0);
  r.auth_override = auth;
  expect(x, &r, 400, "InvalidSignatureException", "'Host'");
}

static void test_unknown_key_and_wrong_scope(void **state) {
  fx *x = *state;
  ft_req r = {.op = "ListClusters", .akid = "AKIAUNKNOWN000000000"};
  expect(x, &r, 400, "UnrecognizedClientException",
         "The security token included in the request is invalid.");
  r = (ft_req){.op = "ListClusters", .region = "eu-west-1"};
  expect(x, &r, 400, "InvalidSignatureException", "region");
  r = (ft_req){.op = "ListClusters", .service = "s3"};
  expect(x, &r, 400, "InvalidSignatureException", "'ecs'");
  /* long-term keys never carry a session token */
  r = (ft_req){.op = "ListClusters", .token = "tok"};
  expect(x, &r, 400, "UnrecognizedClientException", NULL);
}

static void
test_role_credentials_from_the_endpoint_work_until_expiry(void **state) {
  fx *x = *state;
  cJSON_Delete(ft_ok(x->f, &x->clk, "RegisterTaskDefinition",
                     "{\"family\":\"a\",\"containerDefinitions\":[{\"name\":"
                     "\"c\",\"image\":\"i\"}]}"));
  cJSON *run = ft_ok(x->f, &x->clk, "RunTask", "{\"taskDefinition\":\"a\"}");
  fecs_env env;
  ecsb_err err = {0};
  assert_int_equal(
      fecs_container_env(x->f, jps(run, "tasks[0].taskArn"), "c", &env, &err),
      0);
  cJSON_Delete(run);
  char url[300];
  snprintf(url, sizeof url, "%s%s", fecs_endpoint_url(x->f),
           fecs_env_get(&env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"));
  fecs_env_clear(&env);
  ft_resp cr;
  assert_int_equal(ft_get(url, NULL, &cr), 0);
  assert_int_equal(cr.status, 200);
  char akid[64], secret[64], token[512];
  snprintf(akid, sizeof akid, "%s", jps(cr.json, "AccessKeyId"));
  snprintf(secret, sizeof secret, "%s", jps(cr.json, "SecretAccessKey"));
  snprintf(token, sizeof token, "%s", jps(cr.json, "Token"));
  ft_resp_clear(&cr);
  assert_true(!strncmp(akid, "ASIA", 4));

  ft_req r = {
      .op = "ListTasks", .akid = akid, .secret = secret, .token = token};
  expect(x, &r, 200, "", NULL);
  r.token = NULL;
  expect(x, &r, 400, "UnrecognizedClientException", NULL);
  r.token = "AQoDYXdzEXAMPLE";
  expect(x, &r, 400, "UnrecognizedClientException", NULL);
  /* six hours later the token has expired */
  atomic_fetch_add(&x->clk.now_us, (int64_t)6 * 3600 * 1000000 + 1000000);
  r.token = token;
  expect(x, &r, 400, "ExpiredTokenException", "expired");
}

static void test_verification_can_be_turned_off(void **state) {
  (void)state;
  fecs_config c;
  fecs_config_default(&c);
  c.verify_sigv4 = false;
  fecs *f = ft_start(&c, NULL, NULL);
  ft_req r = {.op = "ListClusters", .no_auth = true};
  ft_resp out;
  assert_int_equal(ft_call(f, NULL, &r, &out), 0);
  assert_int_equal(out.status, 200);
  ft_resp_clear(&out);
  fecs_free(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_signed_request_is_accepted, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_wrong_secret_is_invalid_signature,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_tampered_body_is_invalid_signature,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_stale_and_future_dates_are_refused,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_missing_or_malformed_authorization,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_unknown_key_and_wrong_scope, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(
          test_role_credentials_from_the_endpoint_work_until_expiry, setup,
          teardown),
      cmocka_unit_test(test_verification_can_be_turned_off),
  };
  ecsb_http_global_init(NULL);
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  ecsb_http_global_cleanup();
  return rc;
}
