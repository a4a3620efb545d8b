/* test_fecs_endpoint.c - fake-ecs's agent endpoint: task metadata v4
 * (container, /task, /stats, /task/stats, errors), container credentials
 * (RELATIVE_URI and FULL_URI + authorization token), and the production
 * clients in core/ against it: the metadata client, the credential chain,
 * and the signed ECS client using the role credentials it handed out; the
 * servers' connection limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/aws_creds.h"
#include "ecsb/clock.h"
#include "ecsb/ecs.h"
#include "ecsb/metadata.h"
#include "fecs_testutil.h"
#include "net_testutil.h"

typedef struct fx {
  ft_clock clk;
  fecs *f;
  char arn[FECS_ARN_MAX];
  fecs_env env; /* of sidecar-proxy */
  char md[512]; /* its ECS_CONTAINER_METADATA_URI_V4 */
  char ip[FECS_IP_MAX];
} fx;

static int setup(void **state) {
  fx *x = calloc(1, sizeof *x);
  fecs_config c;
  fecs_config_default(&c);
  c.throttle = false;
  c.create_default_cluster = true;
  c.auto_lifecycle = false;
  x->f = ft_start(&c, &x->clk, NULL);
  cJSON_Delete(
      ft_ok(x->f, &x->clk, "RegisterTaskDefinition", "%s", ft_mesh_taskdef()));
  cJSON *r = ft_ok(x->f, &x->clk, "RunTask", "{\"taskDefinition\":\"web\"}");
  snprintf(x->arn, sizeof x->arn, "%s", jps(r, "tasks[0].taskArn"));
  snprintf(x->ip, sizeof x->ip, "%s",
           jps(r, "tasks[0].containers[0].networkInterfaces[0]."
                  "privateIpv4Address"));
  cJSON_Delete(r);
  ecsb_err err = {0};
  assert_int_equal(
      fecs_container_env(x->f, x->arn, "sidecar-proxy", &x->env, &err), 0);
  snprintf(x->md, sizeof x->md, "%s",
           fecs_env_get(&x->env, "ECS_CONTAINER_METADATA_URI_V4"));
  *state = x;
  return 0;
}

static int teardown(void **state) {
  fx *x = *state;
  fecs_env_clear(&x->env);
  fecs_free(x->f);
  free(x);
  return 0;
}

static cJSON *get_ok(const char *url, const char *auth) {
  ft_resp r;
  assert_int_equal(ft_get(url, auth, &r), 0);
  if (r.status != 200)
    fail_msg("GET %s: %ld %s", url, r.status, r.raw);
  cJSON *j = r.json;
  r.json = NULL;
  assert_non_null(j);
  ft_resp_clear(&r);
  return j;
}

static long get_status(const char *url, const char *auth) {
  ft_resp r;
  assert_int_equal(ft_get(url, auth, &r), 0);
  long s = r.status;
  ft_resp_clear(&r);
  return s;
}

static void test_container_metadata(void **state) {
  fx *x = *state;
  cJSON *c = get_ok(x->md, NULL);
  const char *id = strrchr(x->md, '/') + 1;
  assert_string_equal(jps(c, "DockerId"), id);
  assert_string_equal(jps(c, "Name"), "sidecar-proxy");
  assert_string_equal(jps(c, "Image"), "envoyproxy/envoy:v1.16.0");
  assert_true(!strncmp(jps(c, "ImageID"), "sha256:", 7));
  assert_string_equal(jps(c, "KnownStatus"), "PENDING");
  assert_string_equal(jps(c, "DesiredStatus"), "RUNNING");
  assert_string_equal(jps(c, "Type"), "NORMAL");
  assert_string_equal(jps(c, "Networks[0].NetworkMode"), "awsvpc");
  assert_string_equal(jps(c, "Networks[0].IPv4Addresses[0]"), x->ip);
  assert_string_equal(
      cJSON_GetObjectItem(jp(c, "Labels"), "com.amazonaws.ecs.task-arn")
          ->valuestring,
      x->arn);
  assert_string_equal(jps(c, "Health.status"), "UNKNOWN");
  cJSON_Delete(c);
}

static void test_task_metadata_follows_the_lifecycle(void **state) {
  fx *x = *state;
  char url[600];
  snprintf(url, sizeof url, "%s/task", x->md);
  cJSON *t = get_ok(url, NULL);
  assert_string_equal(jps(t, "Cluster"),
                      "arn:aws:ecs:us-east-1:123456789012:cluster/default");
  assert_string_equal(jps(t, "TaskARN"), x->arn);
  assert_string_equal(jps(t, "Family"), "web");
  assert_string_equal(jps(t, "Revision"), "1");
  assert_string_equal(jps(t, "DesiredStatus"), "RUNNING");
  assert_string_equal(jps(t, "KnownStatus"), "PROVISIONING");
  assert_string_equal(jps(t, "AvailabilityZone"), "us-east-1a");
  assert_string_equal(jps(t, "LaunchType"), "FARGATE");
  assert_true(jpn(t, "Limits.CPU") == 0.25);
  assert_int_equal(cJSON_GetArraySize(jp(t, "Containers")), 5);
  assert_null(jp(t, "Containers[0].Health")); /* no healthCheck */
  assert_non_null(jp(t, "Containers[3].Health"));
  cJSON_Delete(t);

  ecsb_err err = {0};
  assert_int_equal(fecs_task_set_status(x->f, x->arn, "RUNNING", &err), 0);
  assert_int_equal(fecs_container_set_status(x->f, x->arn, "discover-servers",
                                             "RUNNING", &err),
                   0);
  assert_int_equal(
      fecs_container_set_exit(x->f, x->arn, "discover-servers", 0, NULL, &err),
      0);
  assert_int_equal(
      fecs_container_set_status(x->f, x->arn, "sidecar-proxy", "RUNNING", &err),
      0);
  assert_int_equal(
      fecs_container_set_health(x->f, x->arn, "sidecar-proxy", "HEALTHY", &err),
      0);
  t = get_ok(url, NULL);
  assert_string_equal(jps(t, "KnownStatus"), "RUNNING");
  assert_string_equal(jps(t, "Containers[0].KnownStatus"), "STOPPED");
  assert_int_equal((int)jpn(t, "Containers[0].ExitCode"), 0);
  assert_string_equal(jps(t, "Containers[3].Health.status"), "HEALTHY");
  assert_non_null(jps(t, "Containers[3].Health.statusSince"));
  assert_non_null(jps(t, "PullStartedAt"));
  cJSON_Delete(t);

  /* the production metadata client reads it */
  ecsb_http_client *hc = ecsb_http_client_new(NULL, &err);
  ecsb_task_meta *m = NULL;
  assert_int_equal(ecsb_task_meta_fetch(hc, x->md, NULL, &m, &err), 0);
  assert_string_equal(m->task_arn, x->arn);
  assert_string_equal(m->family, "web");
  assert_string_equal(m->task_ip, x->ip);
  assert_string_equal(m->region, "us-east-1");
  const ecsb_task_container *sc = ecsb_task_meta_container(m, "sidecar-proxy");
  assert_non_null(sc);
  assert_string_equal(sc->health_status, "HEALTHY");
  assert_string_equal(sc->known_status, "RUNNING");
  ecsb_task_meta_free(m);
  ecsb_http_client_free(hc);
}

static void test_stats_shapes(void **state) {
  fx *x = *state;
  char url[600];
  snprintf(url, sizeof url, "%s/stats", x->md);
  ft_resp r;
  assert_int_equal(ft_get(url, NULL, &r), 0);
  assert_int_equal(r.status, 200);
  assert_true(cJSON_IsNull(r.json)); /* not running: no stats, as Docker */
  ft_resp_clear(&r);
  ecsb_err err = {0};
  assert_int_equal(
      fecs_container_set_status(x->f, x->arn, "sidecar-proxy", "RUNNING", &err),
      0);
  atomic_fetch_add(&x->clk.now_us, 10 * 1000000);
  cJSON *s = get_ok(url, NULL);
  assert_non_null(jps(s, "read"));
  assert_true(jpn(s, "cpu_stats.cpu_usage.total_usage") > 0);
  assert_true(jpn(s, "cpu_stats.cpu_usage.total_usage") >
              jpn(s, "precpu_stats.cpu_usage.total_usage"));
  assert_true(jpn(s, "cpu_stats.online_cpus") == 2);
  assert_true(jpn(s, "memory_stats.usage") > 0);
  assert_true(jpn(s, "memory_stats.limit") > jpn(s, "memory_stats.usage"));
  assert_true(jpn(s, "networks.eth1.rx_bytes") > 0);
  assert_string_equal(jps(s, "id"), strrchr(x->md, '/') + 1);
  cJSON_Delete(s);
  snprintf(url, sizeof url, "%s/task/stats", x->md);
  s = get_ok(url, NULL);
  assert_int_equal(cJSON_GetArraySize(s), 5);
  assert_true(cJSON_IsObject(cJSON_GetObjectItem(s, strrchr(x->md, '/') + 1)));
  cJSON_Delete(s);
}

static void test_metadata_errors(void **state) {
  fx *x = *state;
  char url[600];
  snprintf(url, sizeof url, "%s/v4/0123456789abcdef0123456789abcdef-1/task",
           fecs_endpoint_url(x->f));
  assert_int_equal(get_status(url, NULL), 404);
  snprintf(url, sizeof url, "%s/other", x->md);
  assert_int_equal(get_status(url, NULL), 404);
  snprintf(url, sizeof url, "%s/v3/x", fecs_endpoint_url(x->f));
  assert_int_equal(get_status(url, NULL), 404);
}

static void test_credentials_relative_and_full_uri(void **state) {
  fx *x = *state;
  char url[600];
  snprintf(url, sizeof url, "%s%s", fecs_endpoint_url(x->f),
           fecs_env_get(&x->env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"));
  cJSON *a = get_ok(url, NULL);
  assert_true(!strncmp(jps(a, "AccessKeyId"), "ASIA", 4));
  assert_int_equal(strlen(jps(a, "AccessKeyId")), 20);
  assert_int_equal(strlen(jps(a, "SecretAccessKey")), 40);
  assert_true(strlen(jps(a, "Token")) > 100);
  assert_string_equal(jps(a, "RoleArn"),
                      "arn:aws:iam::123456789012:role/web-task");
  /* six hours after the fake's clock, in RFC 3339 */
  assert_string_equal(jps(a, "Expiration"), "2023-11-15T04:13:20Z");
  const char *full =
      fecs_env_get(&x->env, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
  const char *tok = fecs_env_get(&x->env, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
  cJSON *b = get_ok(full, tok);
  assert_string_equal(jps(b, "AccessKeyId"), jps(a, "AccessKeyId"));
  assert_string_equal(jps(b, "Token"), jps(a, "Token"));
  cJSON_Delete(a);
  cJSON_Delete(b);
  assert_int_equal(get_status(full, NULL), 401);
  assert_int_equal(get_status(full, "wrong-token"), 403);
  snprintf(url, sizeof url, "%s/v2/credentials/nope", fecs_endpoint_url(x->f));
  assert_int_equal(get_status(url, NULL), 400);
}

/* The production credential chain and ECS client, against the fake: the
 * role credentials it hands out sign requests the API accepts. */
static void test_core_clients_use_the_handed_out_credentials(void **state) {
  fx *x = *state;
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  unsetenv("AWS_SESSION_TOKEN");
  unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI",
         fecs_env_get(&x->env, "AWS_CONTAINER_CREDENTIALS_FULL_URI"), 1);
  setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN",
         fecs_env_get(&x->env, "AWS_CONTAINER_AUTHORIZATION_TOKEN"), 1);
  /* the client signs with the real clock: move the fake's there */
  atomic_store(&x->clk.now_us, ecsb_wall_us());
  ecsb_err err = {0};
  ecsb_aws_creds_provider *p = ecsb_aws_creds_provider_new(NULL, &err);
  assert_non_null(p);
  ecsb_aws_creds cr;
  assert_int_equal(ecsb_aws_creds_get(p, &cr, &err), 0);
  assert_true(!strncmp(cr.access_key_id, "ASIA", 4));
  ecsb_aws_creds_wipe(&cr);

  ecsb_ecs_opts eo = {
      .endpoint = fecs_api_url(x->f), .region = "us-east-1", .creds = p};
  ecsb_ecs_client *ec = ecsb_ecs_client_new(&eo, &err);
  assert_non_null(ec);
  cJSON *arns = NULL;
  ecsb_ecs_class cls;
  assert_int_equal(
      ecsb_ecs_list_tasks(ec, "default", NULL, "web", 5000, &arns, &cls, &err),
      0);
  assert_int_equal(cJSON_GetArraySize(arns), 1);
  assert_string_equal(cJSON_GetArrayItem(arns, 0)->valuestring, x->arn);
  cJSON *tasks = NULL;
  assert_int_equal(
      ecsb_ecs_describe_tasks(ec, "default", arns, 5000, &tasks, &cls, &err),
      0);
  assert_string_equal(jps(tasks, "[0].taskArn"), x->arn);
  cJSON_Delete(tasks);
  cJSON_Delete(arns);
  ecsb_ecs_client_free(ec);
  ecsb_aws_creds_provider_free(p);
  unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
}

/* Both servers serve as many connections at once as configured (the
 * runner sizes them to its fleet, whose init containers all call at their
 * start) and close the one past that at once. */
static void test_connection_limit_is_configured(void **state) {
  (void)state;
  for (int limited = 1; limited >= 0; limited--) {
    fecs_config c;
    fecs_config_default(&c);
    c.conn_limit = limited ? 2 : 0;
    ft_clock clk = {0};
    fecs *f = ft_start(&c, &clk, NULL);
    const char *urls[2] = {fecs_api_url(f), fecs_endpoint_url(f)};
    for (int u = 0; u < 2; u++) {
      char ip[64];
      unsigned port = 0;
      assert_int_equal(sscanf(urls[u], "http://%63[^:]:%u", ip, &port), 2);
      ntu_assert_two_connections(ip, (uint16_t)port, limited);
    }
    fecs_free(f);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_container_metadata, setup, teardown),
      cmocka_unit_test_setup_teardown(test_task_metadata_follows_the_lifecycle,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_stats_shapes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_metadata_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_credentials_relative_and_full_uri,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_core_clients_use_the_handed_out_credentials, setup, teardown),
      cmocka_unit_test(test_connection_limit_is_configured),
  };
  ecsb_http_global_init(NULL);
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  ecsb_http_global_cleanup();
  return rc;
}
