/* test_ecs.c - the ECS API client against a local awsJson1_1 stand-in:
 * endpoint resolution, error classification, ListTasks pagination and its
 * bounds, DescribeTasks batching, ExpiredToken refresh, and the signed
 * request's headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/ecs.h"
#include "ecsb/http.h"
#include "init_testutil.h"

static void test_endpoint_resolution(void **state) {
  (void)state;
  char out[256];
  ecsb_err err = {0};
  unsetenv("AWS_ENDPOINT_URL_ECS");
  unsetenv("AWS_ENDPOINT_URL");
  assert_int_equal(ecsb_ecs_endpoint("us-west-2", out, sizeof out, &err), 0);
  assert_string_equal(out, "https://ecs.us-west-2.amazonaws.com");
  assert_int_equal(ecsb_ecs_endpoint("cn-north-1", out, sizeof out, &err), 0);
  assert_string_equal(out, "https://ecs.cn-north-1.amazonaws.com.cn");
  assert_int_equal(ecsb_ecs_endpoint("us west", out, sizeof out, &err),
                   ECSB_EINVAL);
  assert_int_equal(ecsb_ecs_endpoint("", out, sizeof out, &err), ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "AWS_REGION"));
  setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566/", 1);
  assert_int_equal(ecsb_ecs_endpoint("", out, sizeof out, &err), 0);
  assert_string_equal(out, "http://127.0.0.1:4566");
  setenv("AWS_ENDPOINT_URL_ECS", "http://127.0.0.2:1", 1);
  assert_int_equal(ecsb_ecs_endpoint("us-east-1", out, sizeof out, &err), 0);
  assert_string_equal(out, "http://127.0.0.2:1");
  setenv("AWS_ENDPOINT_URL_ECS", "ecs.local", 1);
  assert_int_equal(ecsb_ecs_endpoint("us-east-1", out, sizeof out, &err),
                   ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "AWS_ENDPOINT_URL_ECS"));
  unsetenv("AWS_ENDPOINT_URL_ECS");
  unsetenv("AWS_ENDPOINT_URL");
}

static void test_error_codes_and_classes(void **state) {
  (void)state;
  char code[64];
  ecsb_ecs_error_code("com.amazonaws.ecs#ThrottlingException", code,
                      sizeof code);
  assert_string_equal(code, "ThrottlingException");
  ecsb_ecs_error_code("AccessDeniedException:http://internal.amazon.com/", code,
                      sizeof code);
  assert_string_equal(code, "AccessDeniedException");
  ecsb_ecs_error_code(NULL, code, sizeof code);
  assert_string_equal(code, "");
  struct {
    const char *code;
    long status;
    ecsb_ecs_class want;
  } cases[] = {
      {"ThrottlingException", 400, ECSB_ECS_THROTTLED},
      {"TooManyRequestsException", 400, ECSB_ECS_THROTTLED},
      {"RequestLimitExceeded", 400, ECSB_ECS_THROTTLED},
      {"", 429, ECSB_ECS_THROTTLED},
      {"AccessDeniedException", 400, ECSB_ECS_AUTH},
      {"UnrecognizedClientException", 403, ECSB_ECS_AUTH},
      {"InvalidSignatureException", 403, ECSB_ECS_AUTH},
      {"ExpiredTokenException", 400, ECSB_ECS_AUTH},
      {"", 403, ECSB_ECS_AUTH},
      {"ServerException", 500, ECSB_ECS_RETRY},
      {"", 503, ECSB_ECS_RETRY},
      {"ServiceNotFoundException", 400, ECSB_ECS_RETRY},
      {"ClusterNotFoundException", 400, ECSB_ECS_FATAL},
      {"InvalidParameterException", 400, ECSB_ECS_FATAL},
      {"ClientException", 400, ECSB_ECS_FATAL},
      {NULL, 404, ECSB_ECS_FATAL},
      {NULL, 200, ECSB_ECS_OK},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    assert_int_equal(ecsb_ecs_classify(cases[i].code, cases[i].status),
                     cases[i].want);
}

typedef struct fx {
  tu_ecs ecs;
  tu_json creds;
  ecsb_aws_creds_provider *p;
  ecsb_ecs_client *c;
} fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  if (tu_ecs_start(&f->ecs) ||
      tu_json_start(&f->creds,
                    "{\"AccessKeyId\": \"ASIATEST\", \"SecretAccessKey\": "
                    "\"shh\", \"Token\": \"sess\", \"Expiration\": "
                    "\"2099-01-01T00:00:00Z\"}"))
    return -1;
  char url[128];
  snprintf(url, sizeof url, "%s/creds", f->creds.url);
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
  ecsb_err err = {0};
  f->p = ecsb_aws_creds_provider_new(NULL, &err);
  tu_ecs_add_key(&f->ecs, "ASIATEST", "shh");
  ecsb_ecs_opts o = {
      .endpoint = f->ecs.url, .region = "us-east-1", .creds = f->p};
  f->c = ecsb_ecs_client_new(&o, &err);
  *state = f;
  return f->c ? 0 : -1;
}

static int teardown(void **state) {
  fx *f = *state;
  ecsb_ecs_client_free(f->c);
  ecsb_aws_creds_provider_free(f->p);
  tu_ecs_stop(&f->ecs);
  tu_json_stop(&f->creds);
  unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  free(f);
  return 0;
}

static void test_pagination_and_batching(void **state) {
  fx *f = *state;
  for (int i = 0; i < 250; i++) {
    char id[16];
    snprintf(id, sizeof id, "t%03d", i);
    tu_ecs_add_task(&f->ecs, id, "RUNNING", "RUNNING", "HEALTHY", "10.0.0.1");
  }
  f->ecs.page_size = 100;
  cJSON *arns = NULL, *tasks = NULL;
  ecsb_ecs_class cls;
  ecsb_err err = {0};
  assert_int_equal(ecsb_ecs_list_tasks(f->c, "prod", "consul-server", NULL, 0,
                                       &arns, &cls, &err),
                   0);
  assert_int_equal(cJSON_GetArraySize(arns), 250);
  assert_int_equal(f->ecs.n_list, 3);
  cJSON *body = cJSON_Parse(f->ecs.last_body);
  assert_string_equal(cJSON_GetObjectItem(body, "cluster")->valuestring,
                      "prod");
  assert_string_equal(cJSON_GetObjectItem(body, "serviceName")->valuestring,
                      "consul-server");
  assert_string_equal(cJSON_GetObjectItem(body, "desiredStatus")->valuestring,
                      "RUNNING");
  assert_string_equal(cJSON_GetObjectItem(body, "nextToken")->valuestring,
                      "200");
  cJSON_Delete(body);
  assert_int_equal(
      ecsb_ecs_describe_tasks(f->c, "prod", arns, 0, &tasks, &cls, &err), 0);
  assert_int_equal(f->ecs.n_describe, 3);
  assert_int_equal(f->ecs.n_described_arns, 250);
  assert_int_equal(cJSON_GetArraySize(tasks), 250);
  /* The request was signed with the container credentials. */
  assert_true(strncmp(f->ecs.last_auth, "AWS4-HMAC-SHA256 Credential=ASIATEST/",
                      37) == 0);
  assert_non_null(strstr(f->ecs.last_auth, "/us-east-1/ecs/aws4_request"));
  assert_non_null(strstr(f->ecs.last_auth, "Signature="));
  assert_string_equal(f->ecs.last_token, "sess");
  /* ...and the stand-in verified every signature with core/sigv4. */
  assert_int_equal(f->ecs.n_bad_signatures, 0);
  cJSON_Delete(arns);
  cJSON_Delete(tasks);
}

static void test_wrong_secret_is_an_auth_error(void **state) {
  fx *f = *state;
  pthread_mutex_lock(&f->ecs.mu);
  snprintf(f->ecs.keys[0][1], sizeof f->ecs.keys[0][1], "other-secret");
  pthread_mutex_unlock(&f->ecs.mu);
  cJSON *arns = NULL;
  ecsb_ecs_class cls;
  ecsb_err err = {0};
  assert_int_equal(
      ecsb_ecs_list_tasks(f->c, NULL, "s", NULL, 0, &arns, &cls, &err),
      ECSB_EAUTH);
  assert_int_equal(cls, ECSB_ECS_AUTH);
  assert_int_equal(f->ecs.n_bad_signatures, 1);
  assert_non_null(strstr(err.msg, "InvalidSignatureException"));
}

static void test_find_server_across_batches(void **state) {
  fx *f = *state;
  /* 250 servers, none eligible but the last one. */
  for (int i = 0; i < 250; i++) {
    char id[16];
    snprintf(id, sizeof id, "t%03d", i);
    tu_ecs_add_task(&f->ecs, id, i == 249 ? "RUNNING" : "PENDING", "RUNNING",
                    "", "10.0.0.9");
  }
  cJSON *arns = NULL;
  ecsb_ecs_class cls;
  ecsb_err err = {0};
  assert_int_equal(
      ecsb_ecs_list_tasks(f->c, NULL, "s", NULL, 0, &arns, &cls, &err), 0);
  ecsb_ecs_pick p;
  char seen[512];
  assert_int_equal(ecsb_ecs_find_server(f->c, NULL, arns, "consul-server",
                                        false, 0, &p, seen, sizeof seen, &cls,
                                        &err),
                   0);
  assert_int_equal(cls, ECSB_ECS_OK);
  assert_int_equal(f->ecs.n_describe, 3);
  assert_string_equal(p.task_arn,
                      "arn:aws:ecs:us-east-1:123456789012:task/test/t249");
  assert_non_null(strstr(seen, "t000: task PENDING"));
  tu_ecs_set_status(&f->ecs, "t249", "STOPPED", "STOPPED", "");
  assert_int_equal(ecsb_ecs_find_server(f->c, NULL, arns, "consul-server",
                                        false, 0, &p, seen, sizeof seen, &cls,
                                        &err),
                   ECSB_ENOTFOUND);
  assert_int_equal(cls, ECSB_ECS_RETRY);
  assert_true(strlen(seen) < sizeof seen);
  cJSON_Delete(arns);
}

static void test_family_filter_and_bounds(void **state) {
  fx *f = *state;
  tu_ecs_add_task(&f->ecs, "a", "RUNNING", "RUNNING", "", "10.0.0.1");
  cJSON *arns = NULL;
  ecsb_ecs_class cls;
  ecsb_err err = {0};
  assert_int_equal(ecsb_ecs_list_tasks(f->c, NULL, NULL, "consul-servers", 0,
                                       &arns, &cls, &err),
                   0);
  cJSON *body = cJSON_Parse(f->ecs.last_body);
  assert_string_equal(cJSON_GetObjectItem(body, "family")->valuestring,
                      "consul-servers");
  assert_null(cJSON_GetObjectItem(body, "cluster"));
  cJSON_Delete(body);
  cJSON_Delete(arns);
  f->ecs.repeat_token = true;
  f->ecs.page_size = 1;
  tu_ecs_add_task(&f->ecs, "b", "RUNNING", "RUNNING", "", "10.0.0.2");
  assert_int_equal(
      ecsb_ecs_list_tasks(f->c, NULL, "s", NULL, 0, &arns, &cls, &err),
      ECSB_EINVAL);
  assert_int_equal(cls, ECSB_ECS_FATAL);
  assert_non_null(strstr(err.msg, "same nextToken came back twice"));
  assert_null(arns);
}

static void test_errors_are_classified(void **state) {
  fx *f = *state;
  struct {
    int status;
    const char *type;
    ecsb_ecs_class cls;
    int code;
  } cases[] = {
      {400, "ThrottlingException", ECSB_ECS_THROTTLED, ECSB_ESTATUS},
      {400, "AccessDeniedException", ECSB_ECS_AUTH, ECSB_EAUTH},
      {403, "InvalidSignatureException", ECSB_ECS_AUTH, ECSB_EAUTH},
      {500, "ServerException", ECSB_ECS_RETRY, ECSB_ESTATUS},
      {400, "ClusterNotFoundException", ECSB_ECS_FATAL, ECSB_EINVAL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    tu_ecs_fail(&f->ecs, 1, cases[i].status, cases[i].type);
    cJSON *arns = NULL;
    ecsb_ecs_class cls;
    ecsb_err err = {0};
    int rc = ecsb_ecs_list_tasks(f->c, NULL, "s", NULL, 0, &arns, &cls, &err);
    assert_int_equal(rc, cases[i].code);
    assert_int_equal(cls, cases[i].cls);
    assert_non_null(strstr(err.msg, cases[i].type));
    assert_non_null(strstr(err.msg, "ECS ListTasks"));
    assert_null(strstr(err.msg, "shh"));
  }
  f->ecs.malformed = "{\"taskArns\": [";
  cJSON *arns = NULL;
  ecsb_ecs_class cls;
  ecsb_err err = {0};
  assert_int_equal(
      ecsb_ecs_list_tasks(f->c, NULL, "s", NULL, 0, &arns, &cls, &err),
      ECSB_EPARSE);
  assert_int_equal(cls, ECSB_ECS_FATAL);
  assert_non_null(strstr(err.msg, "ECS ListTasks response: malformed JSON"));
  f->ecs.malformed = "{\"taskArns\": [3]}";
  assert_int_equal(
      ecsb_ecs_list_tasks(f->c, NULL, "s", NULL, 0, &arns, &cls, &err),
      ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "$.taskArns[0]"));
}

static void test_expired_token_refreshes_credentials_once(void **state) {
  fx *f = *state;
  cJSON *arns = NULL;
  ecsb_ecs_class cls;
  ecsb_err err = {0};
  assert_int_equal(
      ecsb_ecs_list_tasks(f->c, NULL, "s", NULL, 0, &arns, &cls, &err), 0);
  cJSON_Delete(arns);
  int fetches = tu_json_requests(&f->creds);
  tu_ecs_fail(&f->ecs, 1, 400, "ExpiredTokenException");
  assert_int_equal(
      ecsb_ecs_list_tasks(f->c, NULL, "s", NULL, 0, &arns, &cls, &err), 0);
  assert_int_equal(tu_json_requests(&f->creds), fetches + 1);
  cJSON_Delete(arns);
  /* Expired twice in a row: an auth error, not a loop. */
  tu_ecs_fail(&f->ecs, 2, 400, "ExpiredTokenException");
  assert_int_equal(
      ecsb_ecs_list_tasks(f->c, NULL, "s", NULL, 0, &arns, &cls, &err),
      ECSB_EAUTH);
  assert_int_equal(cls, ECSB_ECS_AUTH);
  /* The credentials endpoint down: retry later, not fatal. */
  tu_json_set(&f->creds, 503, "down");
  ecsb_aws_creds_invalidate(f->p);
  assert_int_equal(
      ecsb_ecs_list_tasks(f->c, NULL, "s", NULL, 0, &arns, &cls, &err),
      ECSB_ESTATUS);
  assert_int_equal(cls, ECSB_ECS_RETRY);
  assert_non_null(strstr(err.msg, "credentials"));
}

int main(void) {
  ecsb_http_global_init(NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_endpoint_resolution),
      cmocka_unit_test(test_error_codes_and_classes),
      cmocka_unit_test_setup_teardown(test_pagination_and_batching, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_wrong_secret_is_an_auth_error, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_find_server_across_batches, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_family_filter_and_bounds, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_errors_are_classified, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(
          test_expired_token_refreshes_credentials_once, setup, teardown),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  ecsb_http_global_cleanup();
  return rc;
}
