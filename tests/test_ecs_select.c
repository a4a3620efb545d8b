/* test_ecs_select.c - discover-servers' choice of Consul server from canned
 * DescribeTasks output: status and health rules, IP sources, deterministic
 * ranking whatever the input order, the "what was seen" summary, and
 * malformed input named by JSON path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/ecs.h"

/* One task: arn suffix, task status, container status, health ("" none),
 * container IP ("" none), ENI IP ("" none), startedAt (0 none). */
static cJSON *task(const char *id, const char *last, const char *desired,
                   const char *cstatus, const char *health, const char *ip,
                   const char *eni_ip, double started) {
  cJSON *t = cJSON_CreateObject();
  char arn[128];
  snprintf(arn, sizeof arn, "arn:aws:ecs:us-east-1:1:task/servers/%s", id);
  cJSON_AddStringToObject(t, "taskArn", arn);
  cJSON_AddStringToObject(t, "lastStatus", last);
  cJSON_AddStringToObject(t, "desiredStatus", desired);
  if (started > 0)
    cJSON_AddNumberToObject(t, "startedAt", started);
  cJSON *cs = cJSON_AddArrayToObject(t, "containers");
  cJSON *other = cJSON_CreateObject();
  cJSON_AddStringToObject(other, "name", "log-router");
  cJSON_AddStringToObject(other, "lastStatus", "RUNNING");
  cJSON_AddItemToArray(cs, other);
  cJSON *c = cJSON_CreateObject();
  cJSON_AddStringToObject(c, "name", "consul-server");
  cJSON_AddStringToObject(c, "lastStatus", cstatus);
  if (*health)
    cJSON_AddStringToObject(c, "healthStatus", health);
  cJSON *nis = cJSON_AddArrayToObject(c, "networkInterfaces");
  if (*ip) {
    cJSON *ni = cJSON_CreateObject();
    cJSON_AddStringToObject(ni, "attachmentId", "x");
    cJSON_AddStringToObject(ni, "privateIpv4Address", ip);
    cJSON_AddItemToArray(nis, ni);
  }
  cJSON_AddItemToArray(cs, c);
  if (*eni_ip) {
    cJSON *atts = cJSON_AddArrayToObject(t, "attachments");
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "type", "ElasticNetworkInterface");
    cJSON_AddStringToObject(a, "status", "ATTACHED");
    cJSON *d = cJSON_AddArrayToObject(a, "details");
    cJSON *d1 = cJSON_CreateObject();
    cJSON_AddStringToObject(d1, "name", "subnetId");
    cJSON_AddStringToObject(d1, "value", "subnet-1");
    cJSON_AddItemToArray(d, d1);
    cJSON *d2 = cJSON_CreateObject();
    cJSON_AddStringToObject(d2, "name", "privateIPv4Address");
    cJSON_AddStringToObject(d2, "value", eni_ip);
    cJSON_AddItemToArray(d, d2);
    cJSON_AddItemToArray(atts, a);
  }
  return t;
}

static int pick(cJSON *tasks, bool req, ecsb_ecs_pick *out, char *seen,
                size_t cap, ecsb_err *err) {
  return ecsb_ecs_pick_server(tasks, "consul-server", req, out, seen, cap, err);
}

static void test_only_running_healthy_enough_tasks_qualify(void **state) {
  (void)state;
  cJSON *ts = cJSON_CreateArray();
  cJSON_AddItemToArray(
      ts, task("pending", "PENDING", "RUNNING", "PENDING", "", "", "", 0));
  cJSON_AddItemToArray(ts, task("stopping", "RUNNING", "STOPPED", "RUNNING",
                                "HEALTHY", "10.0.0.1", "", 100));
  cJSON_AddItemToArray(ts, task("cstarting", "RUNNING", "RUNNING", "PENDING",
                                "", "10.0.0.2", "", 100));
  cJSON_AddItemToArray(ts, task("sick", "RUNNING", "RUNNING", "RUNNING",
                                "UNHEALTHY", "10.0.0.3", "", 100));
  cJSON_AddItemToArray(ts, task("noip", "RUNNING", "RUNNING", "RUNNING",
                                "HEALTHY", "", "", 100));
  ecsb_ecs_pick p;
  char seen[1024];
  ecsb_err err = {0};
  assert_int_equal(pick(ts, false, &p, seen, sizeof seen, &err),
                   ECSB_ENOTFOUND);
  assert_non_null(strstr(seen, "pending: task PENDING"));
  assert_non_null(strstr(seen, "stopping: task stopping (desired STOPPED)"));
  assert_non_null(strstr(seen, "cstarting: container consul-server PENDING"));
  assert_non_null(strstr(seen, "sick: container health UNHEALTHY"));
  assert_non_null(strstr(seen, "noip: RUNNING but no private IPv4 address"));
  /* An UNKNOWN-health server (no health check) qualifies... */
  cJSON_AddItemToArray(ts, task("nocheck", "RUNNING", "RUNNING", "RUNNING",
                                "UNKNOWN", "10.0.0.9", "", 50));
  assert_int_equal(pick(ts, false, &p, seen, sizeof seen, &err), 0);
  assert_string_equal(p.ip, "10.0.0.9");
  assert_string_equal(p.health, "UNKNOWN");
  /* ...unless HEALTHY is required. */
  assert_int_equal(pick(ts, true, &p, seen, sizeof seen, &err), ECSB_ENOTFOUND);
  assert_non_null(strstr(seen, "nocheck: container health UNKNOWN"));
  /* A HEALTHY one beats an older UNKNOWN one. */
  cJSON_AddItemToArray(ts, task("good", "RUNNING", "RUNNING", "RUNNING",
                                "HEALTHY", "10.0.0.7", "", 500));
  assert_int_equal(pick(ts, false, &p, seen, sizeof seen, &err), 0);
  assert_string_equal(p.ip, "10.0.0.7");
  assert_string_equal(p.task_arn, "arn:aws:ecs:us-east-1:1:task/servers/good");
  cJSON_Delete(ts);
}

static void test_eni_attachment_fallback(void **state) {
  (void)state;
  cJSON *ts = cJSON_CreateArray();
  cJSON_AddItemToArray(
      ts, task("t", "RUNNING", "RUNNING", "RUNNING", "", "", "10.1.2.3", 0));
  ecsb_ecs_pick p;
  ecsb_err err = {0};
  assert_int_equal(pick(ts, false, &p, NULL, 0, &err), 0);
  assert_string_equal(p.ip, "10.1.2.3");
  cJSON_Delete(ts);
  /* A container address that is not IPv4 is skipped for the ENI one. */
  ts = cJSON_CreateArray();
  cJSON_AddItemToArray(ts, task("t", "RUNNING", "RUNNING", "RUNNING", "",
                                "not-an-ip", "10.1.2.4", 0));
  assert_int_equal(pick(ts, false, &p, NULL, 0, &err), 0);
  assert_string_equal(p.ip, "10.1.2.4");
  cJSON_Delete(ts);
}

static void test_choice_is_deterministic_whatever_the_order(void **state) {
  (void)state;
  /* b and c started together and earlier than a; b has the smaller ARN. */
  const char *order[][3] = {
      {"a", "b", "c"}, {"c", "b", "a"}, {"b", "a", "c"}, {"c", "a", "b"}};
  for (size_t o = 0; o < 4; o++) {
    cJSON *ts = cJSON_CreateArray();
    for (int i = 0; i < 3; i++) {
      const char *id = order[o][i];
      double started = strcmp(id, "a") == 0 ? 200 : 100;
      char ip[32];
      snprintf(ip, sizeof ip, "10.0.0.%d", id[0]);
      cJSON_AddItemToArray(ts, task(id, "RUNNING", "RUNNING", "RUNNING",
                                    "HEALTHY", ip, "", started));
    }
    ecsb_ecs_pick p;
    ecsb_err err = {0};
    assert_int_equal(pick(ts, false, &p, NULL, 0, &err), 0);
    assert_string_equal(p.task_arn, "arn:aws:ecs:us-east-1:1:task/servers/b");
    cJSON_Delete(ts);
  }
}

static void test_empty_and_missing_container(void **state) {
  (void)state;
  cJSON *ts = cJSON_CreateArray();
  ecsb_ecs_pick p;
  char seen[256];
  ecsb_err err = {0};
  assert_int_equal(pick(ts, false, &p, seen, sizeof seen, &err),
                   ECSB_ENOTFOUND);
  assert_string_equal(seen, "no tasks with desiredStatus RUNNING");
  cJSON_AddItemToArray(
      ts, task("x", "RUNNING", "RUNNING", "RUNNING", "", "10.0.0.1", "", 0));
  assert_int_equal(
      ecsb_ecs_pick_server(ts, "consul", false, &p, seen, sizeof seen, &err),
      ECSB_ENOTFOUND);
  assert_non_null(strstr(seen, "x: no container named consul"));
  cJSON_Delete(ts);
}

static void test_seen_summary_is_bounded(void **state) {
  (void)state;
  cJSON *ts = cJSON_CreateArray();
  for (int i = 0; i < 200; i++) {
    char id[16];
    snprintf(id, sizeof id, "task%03d", i);
    cJSON_AddItemToArray(
        ts, task(id, "PROVISIONING", "RUNNING", "PENDING", "", "", "", 0));
  }
  ecsb_ecs_pick p;
  char seen[200];
  memset(seen, 'Z', sizeof seen);
  ecsb_err err = {0};
  assert_int_equal(pick(ts, false, &p, seen, sizeof seen, &err),
                   ECSB_ENOTFOUND);
  assert_true(strlen(seen) < sizeof seen);
  assert_non_null(strstr(seen, "task000: task PROVISIONING"));
  cJSON_Delete(ts);
}

static void test_malformed_tasks_name_the_path(void **state) {
  (void)state;
  struct {
    const char *json, *want;
  } cases[] = {
      {"{}", "$.tasks: expected an array"},
      {"[{\"lastStatus\": \"RUNNING\"}]", "$.tasks[0].taskArn: required"},
      {"[{\"taskArn\": \"a\", \"lastStatus\": 1}]",
       "$.tasks[0].lastStatus: expected a string"},
      {"[{\"taskArn\": \"a\", \"lastStatus\": \"RUNNING\", \"containers\": "
       "{}}]",
       "$.tasks[0].containers: expected an array"},
      {"[{\"taskArn\": \"a\", \"lastStatus\": \"RUNNING\", \"containers\": "
       "[{\"name\": \"consul-server\", \"lastStatus\": \"RUNNING\", "
       "\"networkInterfaces\": [{\"privateIpv4Address\": 7}]}]}]",
       "$.tasks[0].containers[0].networkInterfaces[0].privateIpv4Address: "
       "expected a string"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cJSON *ts = cJSON_Parse(cases[i].json);
    ecsb_ecs_pick p;
    ecsb_err err = {0};
    int rc = pick(ts, false, &p, NULL, 0, &err);
    if (!strstr(err.msg, cases[i].want))
      fprintf(stderr, "case %zu: %s\n", i, err.msg);
    assert_true(rc == ECSB_EINVAL || rc == ECSB_ENOTFOUND);
    assert_non_null(strstr(err.msg, cases[i].want));
    assert_non_null(strstr(err.msg, "DescribeTasks"));
    cJSON_Delete(ts);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_only_running_healthy_enough_tasks_qualify),
      cmocka_unit_test(test_eni_attachment_fallback),
      cmocka_unit_test(test_choice_is_deterministic_whatever_the_order),
      cmocka_unit_test(test_empty_and_missing_container),
      cmocka_unit_test(test_seen_summary_is_bounded),
      cmocka_unit_test(test_malformed_tasks_name_the_path),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
