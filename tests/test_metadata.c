/* test_metadata.c - the task metadata v4 client: what it extracts, how it
 * rejects malformed answers (with the JSON path), and its retry policy
 * against a local endpoint that is down, then up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/http.h"
#include "ecsb/metadata.h"
#include "init_testutil.h"

static const char *sample =
    "{\"Cluster\": \"arn:aws:ecs:eu-west-1:111:cluster/prod\","
    " \"TaskARN\": \"arn:aws:ecs:eu-west-1:111:task/prod/0123abcd\","
    " \"Family\": \"web\", \"Revision\": \"7\", \"Unknown\": {\"x\": 1},"
    " \"Containers\": ["
    "  {\"Name\": \"consul-client\", \"KnownStatus\": \"RUNNING\"},"
    "  {\"Name\": \"app\", \"KnownStatus\": \"RUNNING\", \"Health\": "
    "{\"status\": \"HEALTHY\", \"statusSince\": \"x\"},"
    "   \"Networks\": [{\"NetworkMode\": \"awsvpc\", \"IPv4Addresses\": "
    "[\"10.0.1.23\"]}]}]}";

static void test_parse_extracts_what_init_needs(void **state) {
  (void)state;
  ecsb_task_meta *m = NULL;
  ecsb_err err = {0};
  assert_int_equal(ecsb_task_meta_parse(sample, strlen(sample), "md", &m, &err),
                   0);
  assert_string_equal(m->task_id, "0123abcd");
  assert_string_equal(m->region, "eu-west-1");
  assert_string_equal(m->family, "web");
  assert_string_equal(m->cluster, "arn:aws:ecs:eu-west-1:111:cluster/prod");
  assert_string_equal(m->task_ip, "10.0.1.23");
  assert_int_equal(m->n_containers, 2);
  const ecsb_task_container *c = ecsb_task_meta_container(m, "app");
  assert_non_null(c);
  assert_string_equal(c->health_status, "HEALTHY");
  assert_string_equal(
      ecsb_task_meta_container(m, "consul-client")->health_status, "");
  assert_null(ecsb_task_meta_container(m, "nope"));
  ecsb_task_meta_free(m);
  /* Old-format ARN without the cluster segment. */
  const char *old = "{\"TaskARN\": \"arn:aws:ecs:us-east-2:1:task/abc\", "
                    "\"Family\": \"f\"}";
  assert_int_equal(ecsb_task_meta_parse(old, strlen(old), "md", &m, &err), 0);
  assert_string_equal(m->task_id, "abc");
  assert_string_equal(m->task_ip, "");
  assert_int_equal(m->n_containers, 0);
  ecsb_task_meta_free(m);
}

static void test_parse_rejects_malformed_with_path(void **state) {
  (void)state;
  struct {
    const char *json, *want;
  } cases[] = {
      {"{\"Family\": \"f\"}", "$.TaskARN: required field missing"},
      {"{\"TaskARN\": 5, \"Family\": \"f\"}", "$.TaskARN: expected a string"},
      {"{\"TaskARN\": \"nope\", \"Family\": \"f\"}",
       "$.TaskARN \"nope\" is not an ECS task ARN"},
      {"{\"TaskARN\": \"arn:aws:ecs:r:1:task/x\", \"Family\": \"\"}",
       "$.Family is empty"},
      {"{\"TaskARN\": \"arn:aws:ecs:r:1:task/x\", \"Family\": \"f\", "
       "\"Containers\": {}}",
       "$.Containers: expected an array"},
      {"{\"TaskARN\": \"arn:aws:ecs:r:1:task/x\", \"Family\": \"f\", "
       "\"Containers\": [{}]}",
       "$.Containers[0].Name: required field missing"},
      {"{\"TaskARN\": \"arn:aws:ecs:r:1:task/x\", \"Family\": \"f\", "
       "\"Containers\": [{\"Name\": \"a\", \"Health\": {\"status\": 1}}]}",
       "$.Containers[0].Health.status: expected a string"},
      {"{\"TaskARN\": \"arn:aws:ecs:r:1:task/x\", \"Family\": \"f\", "
       "\"Containers\": [{\"Name\": \"a\", \"Networks\": [{\"IPv4Addresses\": "
       "[\"10.0.0.300\"]}]}]}",
       "$.Containers[0].Networks[0].IPv4Addresses[0]: expected an IPv4"},
      {"{\"TaskARN\": ", "malformed JSON at byte"},
      {"<html>", "malformed JSON"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ecsb_task_meta *m = NULL;
    ecsb_err err = {0};
    int rc = ecsb_task_meta_parse(cases[i].json, strlen(cases[i].json),
                                  "task metadata X", &m, &err);
    if (rc == 0 || !strstr(err.msg, cases[i].want))
      fprintf(stderr, "case %zu: \"%s\"\n", i, err.msg);
    assert_int_not_equal(rc, 0);
    assert_null(m);
    assert_non_null(strstr(err.msg, cases[i].want));
    assert_non_null(strstr(err.msg, "task metadata X"));
  }
}

static ecsb_http_client *client(size_t max_body) {
  ecsb_http_opts o;
  ecsb_http_opts_default(&o);
  o.max_retries = 0;
  if (max_body)
    o.max_body = max_body;
  return ecsb_http_client_new(&o, NULL);
}

static void test_fetch_down_then_up(void **state) {
  (void)state;
  tu_json j = {0};
  assert_int_equal(tu_json_start(&j, sample), 0);
  j.fail_first = 2;
  ecsb_http_client *c = client(0);
  ecsb_retry r;
  ecsb_retry_init(&r, 20000, 5, 20, 3, NULL);
  ecsb_task_meta *m = NULL;
  ecsb_err err = {0};
  assert_int_equal(ecsb_task_meta_fetch(c, j.url, &r, &m, &err), 0);
  assert_int_equal(tu_json_requests(&j), 3);
  assert_string_equal(j.last_path, "/task");
  assert_string_equal(m->family, "web");
  ecsb_task_meta_free(m);
  /* Without a retry state a 503 is returned at once. */
  j.fail_first = 1;
  assert_int_equal(ecsb_task_meta_fetch(c, j.url, NULL, &m, &err),
                   ECSB_ESTATUS);
  assert_non_null(strstr(err.msg, "HTTP 503"));
  ecsb_http_client_free(c);
  tu_json_stop(&j);
}

static void test_fetch_errors(void **state) {
  (void)state;
  tu_json j = {0};
  assert_int_equal(tu_json_start(&j, "{}"), 0);
  ecsb_http_client *c = client(0);
  ecsb_retry r;
  ecsb_retry_init(&r, 20000, 5, 20, 3, NULL);
  ecsb_task_meta *m = NULL;
  ecsb_err err = {0};
  tu_json_set(&j, 404, "not found");
  assert_int_equal(ecsb_task_meta_fetch(c, j.url, &r, &m, &err), ECSB_ESTATUS);
  assert_int_equal(tu_json_requests(&j), 1); /* 4xx is not retried */
  tu_json_set(&j, 200, "{\"TaskARN\": [");
  assert_int_equal(ecsb_task_meta_fetch(c, j.url, &r, &m, &err), ECSB_EPARSE);
  assert_int_equal(tu_json_requests(&j), 2); /* nor is malformed JSON */
  assert_int_equal(ecsb_task_meta_fetch(c, NULL, &r, &m, &err), ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "ECS_CONTAINER_METADATA_URI_V4 is not set"));
  assert_int_equal(ecsb_task_meta_fetch(c, "ftp://x", &r, &m, &err),
                   ECSB_EINVAL);
  /* A huge answer is cut off, not buffered. */
  char *big = malloc(300000);
  memset(big, ' ', 299999);
  big[0] = '{';
  big[299998] = '}';
  big[299999] = '\0';
  tu_json_set(&j, 200, big);
  free(big);
  ecsb_http_client_free(c);
  c = client(64 * 1024);
  assert_int_equal(ecsb_task_meta_fetch(c, j.url, &r, &m, &err), ECSB_ETOOBIG);
  ecsb_http_client_free(c);
  /* Down for longer than the deadline: a timeout naming the last error. */
  c = client(0);
  tu_json_set(&j, 500, "boom");
  ecsb_retry_init(&r, 200, 5, 20, 3, NULL);
  assert_int_equal(ecsb_task_meta_fetch(c, j.url, &r, &m, &err),
                   ECSB_ETIMEDOUT);
  assert_non_null(strstr(err.msg, "gave up on the task metadata endpoint"));
  assert_non_null(strstr(err.msg, "HTTP 500: boom"));
  ecsb_http_client_free(c);
  tu_json_stop(&j);
}

static void test_container_name_fetch(void **state) {
  (void)state;
  tu_json j = {0};
  assert_int_equal(tu_json_start(&j, "{\"Name\": \"sidecar-proxy\", "
                                     "\"KnownStatus\": \"RUNNING\"}"),
                   0);
  ecsb_http_client *c = client(0);
  char *name = NULL;
  ecsb_err err = {0};
  char base[128];
  snprintf(base, sizeof base, "%s/v4/abc/", j.url);
  assert_int_equal(ecsb_container_name_fetch(c, base, 0, &name, &err), 0);
  assert_string_equal(name, "sidecar-proxy");
  assert_string_equal(j.last_path, "/v4/abc"); /* the base itself, no /task */
  free(name);
  struct {
    int status;
    const char *body;
    int want;
    const char *msg;
  } bad[] = {
      {200, "{\"Name\": 3}", ECSB_EINVAL, "$.Name"},
      {200, "{}", ECSB_ENOTFOUND, "$.Name"},
      {200, "{\"Name\": \"\"}", ECSB_EINVAL, "$.Name is empty"},
      {200, "[", ECSB_EPARSE, "container metadata"},
      {404, "no", ECSB_ESTATUS, "HTTP 404"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    tu_json_set(&j, bad[i].status, bad[i].body);
    assert_int_equal(ecsb_container_name_fetch(c, base, 0, &name, &err),
                     bad[i].want);
    assert_null(name);
    if (!strstr(err.msg, bad[i].msg))
      fail_msg("case %zu: %s", i, err.msg);
  }
  assert_int_equal(ecsb_container_name_fetch(c, NULL, 0, &name, &err),
                   ECSB_EINVAL);
  ecsb_http_client_free(c);
  tu_json_stop(&j);
}

static void test_task_id_and_ipv4_helpers(void **state) {
  (void)state;
  char *id = ecsb_task_id_from_arn("arn:aws:ecs:r:1:task/c/xyz");
  assert_string_equal(id, "xyz");
  free(id);
  assert_null(ecsb_task_id_from_arn("arn:aws:ecs:r:1:task/"));
  assert_null(ecsb_task_id_from_arn("nothing"));
  assert_true(ecsb_is_ipv4("127.1.0.2"));
  assert_false(ecsb_is_ipv4("127.1.0"));
  assert_false(ecsb_is_ipv4("::1"));
  assert_false(ecsb_is_ipv4(NULL));
}

int main(void) {
  ecsb_http_global_init(NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_extracts_what_init_needs),
      cmocka_unit_test(test_parse_rejects_malformed_with_path),
      cmocka_unit_test(test_fetch_down_then_up),
      cmocka_unit_test(test_fetch_errors),
      cmocka_unit_test(test_container_name_fetch),
      cmocka_unit_test(test_task_id_and_ipv4_helpers),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  ecsb_http_global_cleanup();
  return rc;
}
