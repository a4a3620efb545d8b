/* test_fecs_api.c - fake-ecs's ECS API over HTTP (signed with core/sigv4):
 * the cluster, task and service operations' request and response shapes
 * (task definitions: test_fecs_taskdefs.c), pagination (maxResults 1
 * over many tasks), every error AWS shapes (ClusterNotFound,
 * InvalidParameter, Client, ServiceNotFound, UnknownOperation,
 * Serialization), the task lifecycle (automatic, driven through the
 * fecs_* drivers, and read from the agent simulator's engine), events, and the
 * configuration checks. Time is the injected clock, so nothing here depends on
 * how fast the machine is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fecs_testutil.h"

#define ACCT_REGION "arn:aws:ecs:us-east-1:123456789012:"

typedef struct fx {
  ft_clock clk;
  ft_events ev;
  fecs *f;
} fx;

static fx *fx_new(bool auto_lifecycle) {
  fx *x = calloc(1, sizeof *x);
  fecs_config c;
  fecs_config_default(&c);
  c.throttle = false; /* throttling has its own tests */
  c.auto_lifecycle = auto_lifecycle;
  x->f = ft_start(&c, &x->clk, &x->ev);
  return x;
}

static void fx_free(fx *x) {
  fecs_free(x->f);
  free(x);
}

static void advance(fx *x, int64_t ms) {
  atomic_fetch_add(&x->clk.now_us, ms * 1000);
}

/* Creates the default cluster and registers the mesh task definition. */
static void setup_mesh(fx *x) {
  cJSON_Delete(ft_ok(x->f, &x->clk, "CreateCluster", "{}"));
  cJSON_Delete(
      ft_ok(x->f, &x->clk, "RegisterTaskDefinition", "%s", ft_mesh_taskdef()));
}

static char *run_one(fx *x, const char *extra) {
  cJSON *r = ft_ok(x->f, &x->clk, "RunTask", "{\"taskDefinition\":\"web\"%s}",
                   extra ? extra : "");
  char *arn = strdup(jps(r, "tasks[0].taskArn"));
  cJSON_Delete(r);
  return arn;
}

/* ---- clusters ------------------------------------------------------------ */

static void test_clusters_create_describe_list(void **state) {
  (void)state;
  fx *x = fx_new(true);
  cJSON *r = ft_ok(x->f, &x->clk, "CreateCluster",
                   "{\"clusterName\":\"prod\",\"tags\":[{\"key\":\"k\","
                   "\"value\":\"v\"}]}");
  assert_string_equal(jps(r, "cluster.clusterArn"), ACCT_REGION "cluster/prod");
  assert_string_equal(jps(r, "cluster.clusterName"), "prod");
  assert_string_equal(jps(r, "cluster.status"), "ACTIVE");
  assert_string_equal(jps(r, "cluster.tags[0].key"), "k");
  cJSON_Delete(r);
  /* idempotent, and no name means "default" */
  cJSON_Delete(
      ft_ok(x->f, &x->clk, "CreateCluster", "{\"clusterName\":\"prod\"}"));
  cJSON_Delete(ft_ok(x->f, &x->clk, "CreateCluster", "{}"));
  r = ft_ok(x->f, &x->clk, "DescribeClusters",
            "{\"clusters\":[\"prod\",\"" ACCT_REGION "cluster/default\","
            "\"nope\"],\"include\":[\"TAGS\",\"SETTINGS\"]}");
  assert_int_equal(cJSON_GetArraySize(jp(r, "clusters")), 2);
  assert_string_equal(jps(r, "clusters[1].clusterName"), "default");
  assert_string_equal(jps(r, "clusters[0].tags[0].value"), "v");
  assert_string_equal(jps(r, "clusters[1].settings[0].name"),
                      "containerInsights");
  assert_string_equal(jps(r, "failures[0].arn"), ACCT_REGION "cluster/nope");
  assert_string_equal(jps(r, "failures[0].reason"), "MISSING");
  cJSON_Delete(r);
  /* no list: the default cluster */
  r = ft_ok(x->f, &x->clk, "DescribeClusters", "{}");
  assert_string_equal(jps(r, "clusters[0].clusterName"), "default");
  cJSON_Delete(r);
  /* ListClusters one per page */
  r = ft_ok(x->f, &x->clk, "ListClusters", "{\"maxResults\":1}");
  assert_string_equal(jps(r, "clusterArns[0]"), ACCT_REGION "cluster/prod");
  const char *tok = jps(r, "nextToken");
  assert_non_null(tok);
  cJSON *r2 = ft_ok(x->f, &x->clk, "ListClusters",
                    "{\"maxResults\":1,\"nextToken\":\"%s\"}", tok);
  assert_string_equal(jps(r2, "clusterArns[0]"), ACCT_REGION "cluster/default");
  assert_null(jp(r2, "nextToken"));
  cJSON_Delete(r);
  cJSON_Delete(r2);
  ft_fails(x->f, &x->clk, "CreateCluster", "InvalidParameterException", 400,
           "{\"clusterName\":\"bad name!\"}");
  fx_free(x);
}

/* ---- tasks -----------------------------------------------------------------
 */

static void test_run_task_returns_aws_shaped_tasks(void **state) {
  (void)state;
  fx *x = fx_new(true);
  setup_mesh(x);
  cJSON *r = ft_ok(x->f, &x->clk, "RunTask",
                   "{\"taskDefinition\":\"web\",\"count\":3,\"startedBy\":"
                   "\"runner\",\"tags\":[{\"key\":\"t\",\"value\":\"1\"}]}");
  assert_int_equal(cJSON_GetArraySize(jp(r, "tasks")), 3);
  assert_int_equal(cJSON_GetArraySize(jp(r, "failures")), 0);
  const cJSON *t = jp(r, "tasks[0]");
  const char *arn = jps(t, "taskArn");
  assert_true(
      !strncmp(arn, ACCT_REGION "task/default/", strlen(ACCT_REGION) + 13));
  assert_int_equal(strlen(strrchr(arn, '/') + 1), 32);
  assert_string_equal(jps(t, "clusterArn"), ACCT_REGION "cluster/default");
  assert_string_equal(jps(t, "taskDefinitionArn"),
                      ACCT_REGION "task-definition/web:1");
  assert_string_equal(jps(t, "group"), "family:web");
  assert_string_equal(jps(t, "startedBy"), "runner");
  assert_string_equal(jps(t, "lastStatus"), "PROVISIONING");
  assert_string_equal(jps(t, "desiredStatus"), "RUNNING");
  assert_string_equal(jps(t, "launchType"), "FARGATE");
  assert_string_equal(jps(t, "cpu"), "256");
  assert_string_equal(jps(t, "memory"), "512");
  assert_string_equal(jps(t, "healthStatus"), "UNKNOWN");
  assert_string_equal(jps(t, "tags[0].key"), "t");
  double created = jpn(t, "createdAt");
  assert_true(fabs(created - 1700000000.0) < 1e-6);
  assert_true(jpn(t, "version") >= 1);
  assert_string_equal(jps(t, "attachments[0].type"), "ElasticNetworkInterface");
  const cJSON *det = jp(t, "attachments[0].details");
  const char *names[] = {"subnetId", "networkInterfaceId", "macAddress",
                         "privateDnsName", "privateIPv4Address"};
  for (int i = 0; i < 5; i++) {
    char p[32];
    snprintf(p, sizeof p, "[%d].name", i);
    assert_string_equal(jps(det, p), names[i]);
  }
  const char *ip = jps(det, "[4].value");
  assert_true(!strncmp(ip, "127.1.", 6));
  assert_int_equal(cJSON_GetArraySize(jp(t, "containers")), 5);
  const cJSON *c = jp(t, "containers[3]");
  assert_string_equal(jps(c, "name"), "sidecar-proxy");
  assert_string_equal(jps(c, "image"), "envoyproxy/envoy:v1.16.0");
  assert_string_equal(jps(c, "taskArn"), arn);
  assert_non_null(strstr(jps(c, "containerArn"), ":container/default/"));
  assert_string_equal(jps(c, "lastStatus"), "PENDING");
  assert_string_equal(jps(c, "healthStatus"), "UNKNOWN");
  assert_null(jp(c, "exitCode"));
  assert_string_equal(jps(c, "networkInterfaces[0].privateIpv4Address"), ip);
  assert_string_equal(jps(c, "networkInterfaces[0].attachmentId"),
                      jps(t, "attachments[0].id"));
  /* every task has its own address */
  const char *ip1 = jps(r, "tasks[1].attachments[0].details[4].value");
  const char *ip2 = jps(r, "tasks[2].attachments[0].details[4].value");
  assert_string_not_equal(ip, ip1);
  assert_string_not_equal(ip1, ip2);
  cJSON_Delete(r);
  ft_fails(x->f, &x->clk, "RunTask", "InvalidParameterException", 400,
           "{\"taskDefinition\":\"web\",\"count\":11}");
  ft_fails(x->f, &x->clk, "RunTask", "ClientException", 400,
           "{\"taskDefinition\":\"nope\"}");
  ft_fails(x->f, &x->clk, "RunTask", "ClientException", 400, "{}");
  ft_fails(x->f, &x->clk, "RunTask", "ClusterNotFoundException", 400,
           "{\"taskDefinition\":\"web\",\"cluster\":\"other\"}");
  fx_free(x);
}

static void test_describe_tasks_after_automatic_start(void **state) {
  (void)state;
  fx *x = fx_new(true);
  setup_mesh(x);
  cJSON_Delete(
      ft_ok(x->f, &x->clk, "CreateCluster", "{\"clusterName\":\"c2\"}"));
  char *arn = run_one(x, ",\"tags\":[{\"key\":\"a\",\"value\":\"b\"}]");
  cJSON *r2 = ft_ok(x->f, &x->clk, "RunTask",
                    "{\"taskDefinition\":\"web\",\"cluster\":\"c2\"}");
  char *other = strdup(jps(r2, "tasks[0].taskArn"));
  cJSON_Delete(r2);
  advance(x, 1500);
  const char *id = strrchr(arn, '/') + 1;
  cJSON *r =
      ft_ok(x->f, &x->clk, "DescribeTasks",
            "{\"tasks\":[\"%s\",\"%s\",\"0123456789abcdef0123456789abcdef\","
            "\"%s\"],\"include\":[\"TAGS\"]}",
            arn, id, other);
  assert_int_equal(cJSON_GetArraySize(jp(r, "tasks")), 2);
  const cJSON *t = jp(r, "tasks[0]");
  assert_string_equal(jps(t, "lastStatus"), "RUNNING");
  assert_string_equal(jps(t, "connectivity"), "CONNECTED");
  assert_true(jpn(t, "startedAt") >= jpn(t, "createdAt"));
  assert_true(jpn(t, "pullStartedAt") > 0 && jpn(t, "pullStoppedAt") > 0);
  assert_string_equal(jps(t, "containers[0].lastStatus"), "RUNNING");
  assert_string_equal(jps(t, "containers[3].healthStatus"), "HEALTHY");
  assert_string_equal(jps(t, "containers[4].healthStatus"), "UNKNOWN");
  assert_string_equal(jps(t, "healthStatus"), "HEALTHY");
  assert_string_equal(jps(t, "tags[0].value"), "b");
  assert_null(jp(t, "stoppedAt"));
  assert_string_equal(jps(r, "tasks[1].taskArn"), arn);
  /* an unknown ID and another cluster's task are MISSING, as full ARNs */
  assert_int_equal(cJSON_GetArraySize(jp(r, "failures")), 2);
  assert_string_equal(jps(r, "failures[0].arn"), ACCT_REGION
                      "task/default/0123456789abcdef0123456789abcdef");
  assert_string_equal(jps(r, "failures[0].reason"), "MISSING");
  assert_string_equal(jps(r, "failures[1].arn"), other);
  cJSON_Delete(r);
  ft_fails(x->f, &x->clk, "DescribeTasks", "InvalidParameterException", 400,
           "{\"tasks\":[]}");
  char big[4096] = "{\"tasks\":[";
  for (int i = 0; i < 101; i++)
    strcat(big, i ? ",\"x\"" : "\"x\"");
  strcat(big, "]}");
  ft_fails(x->f, &x->clk, "DescribeTasks", "InvalidParameterException", 400,
           "%s", big);
  ft_fails(x->f, &x->clk, "DescribeTasks", "ClusterNotFoundException", 400,
           "{\"cluster\":\"gone\",\"tasks\":[\"%s\"]}", arn);
  free(arn);
  free(other);
  fx_free(x);
}

static void test_list_tasks_paginates_one_at_a_time(void **state) {
  (void)state;
  fx *x = fx_new(true);
  setup_mesh(x);
  char *arns[25];
  for (int i = 0; i < 25; i++)
    arns[i] = run_one(x, NULL);
  char tok[128] = "";
  int pages = 0;
  for (; pages < 100; pages++) {
    cJSON *r;
    if (tok[0])
      r = ft_ok(x->f, &x->clk, "ListTasks",
                "{\"maxResults\":1,\"family\":\"web\",\"nextToken\":\"%s\"}",
                tok);
    else
      r = ft_ok(x->f, &x->clk, "ListTasks",
                "{\"maxResults\":1,\"family\":\"web\"}");
    assert_int_equal(cJSON_GetArraySize(jp(r, "taskArns")), 1);
    assert_string_equal(jps(r, "taskArns[0]"), arns[pages]);
    const char *n = jps(r, "nextToken");
    snprintf(tok, sizeof tok, "%s", n ? n : "");
    cJSON_Delete(r);
    if (!tok[0])
      break;
  }
  assert_int_equal(pages + 1, 25);
  /* a token only works with the parameters it came from */
  cJSON *r = ft_ok(x->f, &x->clk, "ListTasks", "{\"maxResults\":2}");
  const char *m =
      ft_fails(x->f, &x->clk, "ListTasks", "InvalidParameterException", 400,
               "{\"maxResults\":2,\"family\":\"web\","
               "\"nextToken\":\"%s\"}",
               jps(r, "nextToken"));
  assert_non_null(strstr(m, "nextToken"));
  cJSON_Delete(r);
  ft_fails(x->f, &x->clk, "ListTasks", "InvalidParameterException", 400,
           "{\"nextToken\":\"garbage\"}");
  ft_fails(x->f, &x->clk, "ListTasks", "InvalidParameterException", 400,
           "{\"maxResults\":0}");
  ft_fails(x->f, &x->clk, "ListTasks", "InvalidParameterException", 400,
           "{\"maxResults\":101}");
  /* the default page is 100 */
  r = ft_ok(x->f, &x->clk, "ListTasks", "{}");
  assert_int_equal(cJSON_GetArraySize(jp(r, "taskArns")), 25);
  assert_null(jp(r, "nextToken"));
  cJSON_Delete(r);
  for (int i = 0; i < 25; i++)
    free(arns[i]);
  fx_free(x);
}

static int count_arns(fx *x, const char *body) {
  cJSON *r = ft_ok(x->f, &x->clk, "ListTasks", "%s", body);
  int n = cJSON_GetArraySize(jp(r, "taskArns"));
  cJSON_Delete(r);
  return n;
}

static void test_list_tasks_filters(void **state) {
  (void)state;
  fx *x = fx_new(true);
  setup_mesh(x);
  cJSON_Delete(ft_ok(x->f, &x->clk, "RegisterTaskDefinition",
                     "{\"family\":\"other\",\"containerDefinitions\":[{"
                     "\"name\":\"a\",\"image\":\"i\"}]}"));
  char *a = run_one(x, ",\"startedBy\":\"me\"");
  char *b = run_one(x, ",\"launchType\":\"EC2\"");
  cJSON_Delete(
      ft_ok(x->f, &x->clk, "RunTask", "{\"taskDefinition\":\"other\"}"));
  assert_int_equal(count_arns(x, "{}"), 3);
  assert_int_equal(count_arns(x, "{\"family\":\"web\"}"), 2);
  assert_int_equal(count_arns(x, "{\"startedBy\":\"me\"}"), 1);
  assert_int_equal(count_arns(x, "{\"launchType\":\"EC2\"}"), 1);
  assert_int_equal(count_arns(x, "{\"desiredStatus\":\"PENDING\"}"), 0);
  assert_int_equal(count_arns(x, "{\"containerInstance\":\"ci\"}"), 0);
  cJSON_Delete(ft_ok(x->f, &x->clk, "StopTask", "{\"task\":\"%s\"}", b));
  assert_int_equal(count_arns(x, "{\"desiredStatus\":\"STOPPED\"}"), 1);
  assert_int_equal(count_arns(x, "{\"family\":\"web\"}"), 1);
  ft_fails(x->f, &x->clk, "ListTasks", "ServiceNotFoundException", 400,
           "{\"serviceName\":\"nope\"}");
  ft_fails(x->f, &x->clk, "ListTasks", "InvalidParameterException", 400,
           "{\"desiredStatus\":\"DONE\"}");
  ft_fails(x->f, &x->clk, "ListTasks", "ClusterNotFoundException", 400,
           "{\"cluster\":\"nope\"}");
  free(a);
  free(b);
  fx_free(x);
}

static void test_stop_task_walks_to_stopped(void **state) {
  (void)state;
  fx *x = fx_new(true);
  setup_mesh(x);
  char *arn = run_one(x, NULL);
  advance(x, 10);
  cJSON *r = ft_ok(x->f, &x->clk, "StopTask",
                   "{\"task\":\"%s\",\"reason\":\"scaling in\"}", arn);
  assert_string_equal(jps(r, "task.desiredStatus"), "STOPPED");
  assert_string_equal(jps(r, "task.lastStatus"), "RUNNING");
  assert_string_equal(jps(r, "task.stopCode"), "UserInitiated");
  assert_string_equal(jps(r, "task.stoppedReason"), "scaling in");
  assert_true(jpn(r, "task.stoppingAt") > 0);
  cJSON_Delete(r);
  advance(x, 10);
  r = ft_ok(x->f, &x->clk, "DescribeTasks", "{\"tasks\":[\"%s\"]}", arn);
  assert_string_equal(jps(r, "tasks[0].lastStatus"), "STOPPED");
  assert_true(jpn(r, "tasks[0].stoppedAt") > 0);
  assert_true(jpn(r, "tasks[0].executionStoppedAt") > 0);
  assert_string_equal(jps(r, "tasks[0].containers[1].lastStatus"), "STOPPED");
  assert_int_equal((int)jpn(r, "tasks[0].containers[1].exitCode"), 143);
  assert_string_equal(jps(r, "tasks[0].attachments[0].status"), "DELETED");
  cJSON_Delete(r);
  const char *id = strrchr(arn, '/') + 1;
  const char *seq[] = {"st=PROVISIONING",   "st=PENDING",      "st=ACTIVATING",
                       "st=RUNNING",        "st=DEACTIVATING", "st=STOPPING",
                       "st=DEPROVISIONING", "st=STOPPED"};
  for (int i = 0; i < 8; i++)
    assert_int_equal(ft_events_count(&x->ev, "task.status", id, seq[i], NULL),
                     i == 3 ? 2 : 1); /* RUNNING: again when stop requested */
  /* a second stop changes nothing */
  r = ft_ok(x->f, &x->clk, "StopTask", "{\"task\":\"%s\",\"reason\":\"x\"}",
            id);
  assert_string_equal(jps(r, "task.stoppedReason"), "scaling in");
  cJSON_Delete(r);
  const char *m =
      ft_fails(x->f, &x->clk, "StopTask", "InvalidParameterException", 400,
               "{\"task\":\"0123456789abcdef0123456789abcdef\"}");
  assert_string_equal(m, "The referenced task was not found.");
  char longr[300];
  memset(longr, 'r', 299);
  longr[299] = '\0';
  ft_fails(x->f, &x->clk, "StopTask", "InvalidParameterException", 400,
           "{\"task\":\"%s\",\"reason\":\"%s\"}", arn, longr);
  ft_fails(x->f, &x->clk, "StopTask", "InvalidParameterException", 400, "{}");
  free(arn);
  fx_free(x);
}

static void test_services_give_tasks_a_service_name(void **state) {
  (void)state;
  fx *x = fx_new(true);
  setup_mesh(x);
  cJSON *r = ft_ok(x->f, &x->clk, "CreateService",
                   "{\"serviceName\":\"consul-server\",\"taskDefinition\":"
                   "\"web\",\"desiredCount\":2}");
  assert_string_equal(jps(r, "service.serviceArn"),
                      ACCT_REGION "service/default/consul-server");
  assert_string_equal(jps(r, "service.status"), "ACTIVE");
  assert_int_equal((int)jpn(r, "service.desiredCount"), 2);
  assert_int_equal((int)jpn(r, "service.pendingCount"), 2);
  const char *dep = jps(r, "service.deployments[0].id");
  assert_true(!strncmp(dep, "ecs-svc/", 8));
  char started_by[64];
  snprintf(started_by, sizeof started_by, "%s", dep);
  cJSON_Delete(r);
  advance(x, 1);
  r = ft_ok(x->f, &x->clk, "ListTasks", "{\"serviceName\":\"consul-server\"}");
  assert_int_equal(cJSON_GetArraySize(jp(r, "taskArns")), 2);
  cJSON *d = ft_ok(x->f, &x->clk, "DescribeTasks", "{\"tasks\":[\"%s\"]}",
                   jps(r, "taskArns[0]"));
  assert_string_equal(jps(d, "tasks[0].group"), "service:consul-server");
  assert_string_equal(jps(d, "tasks[0].startedBy"), started_by);
  cJSON_Delete(d);
  cJSON_Delete(r);
  r = ft_ok(x->f, &x->clk, "DescribeServices",
            "{\"services\":[\"consul-server\",\"nope\"]}");
  assert_int_equal((int)jpn(r, "services[0].runningCount"), 2);
  assert_string_equal(jps(r, "failures[0].reason"), "MISSING");
  assert_string_equal(jps(r, "failures[0].arn"),
                      ACCT_REGION "service/default/nope");
  cJSON_Delete(r);
  r = ft_ok(x->f, &x->clk, "ListServices", "{}");
  assert_int_equal(cJSON_GetArraySize(jp(r, "serviceArns")), 1);
  cJSON_Delete(r);
  const char *m =
      ft_fails(x->f, &x->clk, "CreateService", "InvalidParameterException", 400,
               "{\"serviceName\":\"consul-server\","
               "\"taskDefinition\":\"web\"}");
  assert_non_null(strstr(m, "idempotent"));
  ft_fails(x->f, &x->clk, "CreateService", "InvalidParameterException", 400,
           "{\"serviceName\":\"s2\"}");
  ft_fails(x->f, &x->clk, "DescribeServices", "InvalidParameterException", 400,
           "{\"services\":[]}");
  fx_free(x);
}

/* ---- protocol errors
 * --------------------------------------------------------- */

static void test_protocol_errors_are_aws_shaped(void **state) {
  (void)state;
  fx *x = fx_new(true);
  ft_resp out;
  ft_req r = {.op = "DeleteCluster"};
  assert_int_equal(ft_call(x->f, &x->clk, &r, &out), 0);
  assert_int_equal(out.status, 400);
  assert_string_equal(out.type, "UnknownOperationException");
  ft_resp_clear(&out);
  r = (ft_req){.op = "ListTasks", .target = "SomethingElse.ListTasks"};
  assert_int_equal(ft_call(x->f, &x->clk, &r, &out), 0);
  assert_string_equal(out.type, "UnknownOperationException");
  ft_resp_clear(&out);
  const char *bodies[] = {"{\"cluster\":", "[1,2]", "nul", "{\"a\":1}x"};
  for (int i = 0; i < 4; i++) {
    r = (ft_req){.op = "ListClusters", .body = bodies[i]};
    assert_int_equal(ft_call(x->f, &x->clk, &r, &out), 0);
    assert_int_equal(out.status, 400);
    assert_string_equal(out.type, "SerializationException");
    assert_true(out.request_id[0] != '\0');
    ft_resp_clear(&out);
  }
  const char *m = ft_fails(x->f, &x->clk, "ListTasks", "SerializationException",
                           400, "{\"cluster\":5}");
  assert_non_null(strstr(m, "'cluster'"));
  r = (ft_req){.op = "ListClusters", .method = "GET", .no_auth = true};
  assert_int_equal(ft_call(x->f, &x->clk, &r, &out), 0);
  assert_string_equal(out.type, "UnknownOperationException");
  ft_resp_clear(&out);
  /* an empty body is an operation without parameters */
  r = (ft_req){.op = "ListClusters", .body = ""};
  assert_int_equal(ft_call(x->f, &x->clk, &r, &out), 0);
  assert_int_equal(out.status, 200);
  assert_non_null(jp(out.json, "clusterArns"));
  ft_resp_clear(&out);
  m = ft_fails(x->f, &x->clk, "ListTasks", "ClusterNotFoundException", 400,
               "{}");
  assert_string_equal(m, "Cluster not found.");
  /* every call was reported with its status and error code */
  assert_true(ft_events_count(&x->ev, "api.call", "op=ListTasks", "status=400",
                              "err=ClusterNotFoundException", NULL) >= 1);
  assert_true(ft_events_count(&x->ev, "api.call", "op=ListClusters",
                              "status=200", NULL) == 1);
  fx_free(x);
}

/* ---- driving the lifecycle directly
 * ------------------------------------------ */

/* DescribeTasks over HTTP serves each task's JSON from text printed once
 * per task version; it must equal the tree an in-process call builds at
 * that moment, with and without tags. Called after every kind of change. */
static void wire_matches_tree(fx *x, const char *arn) {
  for (int tags = 0; tags < 2; tags++) {
    char in_text[512];
    snprintf(in_text, sizeof in_text, "{\"tasks\":[\"%s\"]%s}", arn,
             tags ? ",\"include\":[\"TAGS\"]" : "");
    cJSON *w = ft_ok(x->f, &x->clk, "DescribeTasks", "%s", in_text);
    cJSON *in = cJSON_Parse(in_text), *t = NULL;
    ecsb_err err = {0};
    assert_int_equal(fecs_invoke(x->f, "DescribeTasks", in, &t, &err), 0);
    char *a = cJSON_PrintUnformatted(cJSON_GetObjectItem(w, "tasks"));
    char *b = cJSON_PrintUnformatted(cJSON_GetObjectItem(t, "tasks"));
    assert_string_equal(a, b);
    free(a);
    free(b);
    cJSON_Delete(in);
    cJSON_Delete(t);
    cJSON_Delete(w);
  }
}

/* A task the agent simulator runs: fake-ecs reads its state from the
 * engine (one owner), so an engine call shows in DescribeTasks, ListTasks
 * and fecs_task_get without a copy, the version counts the engine's
 * changes, and the hand drivers refuse the task. */
static const char *describe_str(fx *x, const char *arn, const char *path,
                                char *buf, size_t cap) {
  cJSON *r = ft_ok(x->f, &x->clk, "DescribeTasks", "{\"tasks\":[\"%s\"]}", arn);
  const char *v = jps(r, path);
  snprintf(buf, cap, "%s", v ? v : "(none)");
  cJSON_Delete(r);
  return buf;
}

static double describe_num(fx *x, const char *arn, const char *path) {
  cJSON *r = ft_ok(x->f, &x->clk, "DescribeTasks", "{\"tasks\":[\"%s\"]}", arn);
  double v = jpn(r, path);
  cJSON_Delete(r);
  return v;
}

static void test_agent_simulator_owns_its_task_state(void **state) {
  (void)state;
  fx *x = fx_new(false);
  setup_mesh(x);
  char *arn = run_one(x, NULL);
  cJSON *td = cJSON_Parse(ft_mesh_taskdef());
  fecs_task_spec *spec = NULL;
  ecsb_err err = {0};
  assert_int_equal(fecs_task_spec_from_json(td, "$", &spec, &err), 0);
  fecs_engine *e = NULL, *again = NULL;
  assert_int_equal(fecs_task_engine_new(x->f, arn, spec, NULL, &e, &err), 0);
  assert_non_null(e);
  assert_int_equal(fecs_task_engine_new(x->f, arn, spec, NULL, &again, &err),
                   ECSB_ESTATE);
  assert_null(again);
  char b[256];
  assert_string_equal(describe_str(x, arn, "tasks[0].lastStatus", b, sizeof b),
                      "PROVISIONING");
  assert_true(describe_num(x, arn, "tasks[0].version") == 1);

  assert_int_equal(fecs_engine_start(e, 0, &err), 0);
  assert_string_equal(describe_str(x, arn, "tasks[0].lastStatus", b, sizeof b),
                      "PENDING");
  assert_true(describe_num(x, arn, "tasks[0].version") == 2);
  assert_true(describe_num(x, arn, "tasks[0].pullStartedAt") > 0);
  wire_matches_tree(x, arn);

  /* The first container the engine starts runs, then exits 0. */
  fecs_action a;
  assert_true(fecs_engine_next_action(e, &a));
  assert_int_equal(a.kind, FECS_ACT_START);
  char path[96];
  snprintf(path, sizeof path, "tasks[0].containers[%zu].lastStatus",
           a.container);
  advance(x, 1000);
  assert_int_equal(
      fecs_engine_container_started(e, a.container_name, 1000, &err), 0);
  assert_string_equal(describe_str(x, arn, path, b, sizeof b), "RUNNING");
  assert_int_equal(
      fecs_engine_container_exited(e, a.container_name, 0, 2000, &err), 0);
  assert_string_equal(describe_str(x, arn, path, b, sizeof b), "STOPPED");
  snprintf(path, sizeof path, "tasks[0].containers[%zu].exitCode", a.container);
  assert_true(describe_num(x, arn, path) == 0);
  assert_true(describe_num(x, arn, "tasks[0].version") == 4);
  wire_matches_tree(x, arn);

  /* The hand drivers refuse it: the engine is the one writer. */
  assert_int_equal(fecs_task_set_status(x->f, arn, "RUNNING", &err),
                   ECSB_ESTATE);
  assert_non_null(strstr(err.msg, "agent simulator"));
  assert_int_equal(
      fecs_container_set_health(x->f, arn, a.container_name, "HEALTHY", &err),
      ECSB_ESTATE);
  assert_int_equal(fecs_task_stop(x->f, arn, NULL, NULL, &err), ECSB_ESTATE);

  /* The agent's stop: desiredStatus, code and reason come from the engine. */
  assert_int_equal(fecs_engine_stop_task(e, "bye", 3000, &err), 0);
  assert_string_equal(
      describe_str(x, arn, "tasks[0].desiredStatus", b, sizeof b), "STOPPED");
  assert_string_equal(describe_str(x, arn, "tasks[0].stopCode", b, sizeof b),
                      "UserInitiated");
  assert_string_equal(
      describe_str(x, arn, "tasks[0].stoppedReason", b, sizeof b), "bye");
  fecs_task_view v;
  assert_int_equal(fecs_task_get(x->f, arn, &v, &err), 0);
  assert_string_equal(v.desired_status, "STOPPED");
  assert_string_equal(v.last_status, "STOPPING");
  cJSON *l =
      ft_ok(x->f, &x->clk, "ListTasks", "{\"desiredStatus\":\"STOPPED\"}");
  assert_string_equal(jps(l, "taskArns[0]"), arn);
  cJSON_Delete(l);
  wire_matches_tree(x, arn);

  fecs_task_spec_free(spec);
  cJSON_Delete(td);
  free(arn);
  fx_free(x); /* frees the engine with the task */
}

static void test_drivers_move_tasks_and_containers(void **state) {
  (void)state;
  fx *x = fx_new(false);
  setup_mesh(x);
  char *arn = run_one(x, NULL);
  advance(x, 60000);
  fecs_tick(x->f);
  fecs_task_view v;
  ecsb_err err = {0};
  assert_int_equal(fecs_task_get(x->f, arn, &v, &err), 0);
  assert_string_equal(v.last_status, "PROVISIONING"); /* nothing automatic */
  assert_int_equal(v.n_containers, 5);
  assert_int_equal(fecs_task_set_status(x->f, v.id, "RUNNING", &err), 0);
  wire_matches_tree(x, arn);
  const char *id = v.id;
  assert_int_equal(
      ft_events_count(&x->ev, "task.status", id, "st=PENDING", NULL), 1);
  assert_int_equal(
      ft_events_count(&x->ev, "task.status", id, "st=ACTIVATING", NULL), 1);
  assert_int_equal(
      fecs_container_set_status(x->f, arn, "discover-servers", "RUNNING", &err),
      0);
  wire_matches_tree(x, arn);
  assert_int_equal(
      fecs_container_set_exit(x->f, arn, "discover-servers", 0, NULL, &err), 0);
  wire_matches_tree(x, arn);
  assert_int_equal(
      fecs_container_set_status(x->f, arn, "discover-servers", "RUNNING", &err),
      ECSB_ESTATE);
  assert_int_equal(
      fecs_container_set_exit(x->f, arn, "discover-servers", 1, NULL, &err),
      ECSB_ESTATE);
  assert_int_equal(
      fecs_container_set_status(x->f, arn, "sidecar-proxy", "RUNNING", &err),
      0);
  assert_int_equal(
      fecs_container_set_health(x->f, arn, "sidecar-proxy", "HEALTHY", &err),
      0);
  assert_int_equal(fecs_task_get(x->f, arn, &v, &err), 0);
  assert_string_equal(v.health_status, "HEALTHY");
  wire_matches_tree(x, arn);
  assert_int_equal(
      fecs_container_set_health(x->f, arn, "sidecar-proxy", "UNHEALTHY", &err),
      0);
  assert_int_equal(fecs_task_get(x->f, arn, &v, &err), 0);
  assert_string_equal(v.health_status, "UNHEALTHY");
  wire_matches_tree(x, arn);
  assert_int_equal(ft_events_count(&x->ev, "container.health", "sidecar-proxy",
                                   "st=UNHEALTHY", NULL),
                   1);
  assert_int_equal(ft_events_count(&x->ev, "container.status",
                                   "discover-servers", "st=STOPPED", "exit=0",
                                   NULL),
                   1);
  cJSON *r = ft_ok(x->f, &x->clk, "DescribeTasks", "{\"tasks\":[\"%s\"]}", arn);
  assert_int_equal((int)jpn(r, "tasks[0].containers[0].exitCode"), 0);
  assert_string_equal(jps(r, "tasks[0].containers[0].lastStatus"), "STOPPED");
  assert_string_equal(jps(r, "tasks[0].containers[3].healthStatus"),
                      "UNHEALTHY");
  assert_string_equal(jps(r, "tasks[0].lastStatus"), "RUNNING");
  cJSON_Delete(r);

  /* errors name what was wrong */
  assert_int_equal(fecs_task_set_status(x->f, arn, "PENDING", &err),
                   ECSB_ESTATE);
  assert_non_null(strstr(err.msg, "only moves forward"));
  assert_int_equal(fecs_task_set_status(x->f, arn, "DONE", &err), ECSB_EINVAL);
  assert_int_equal(
      fecs_container_set_health(x->f, arn, "nope", "HEALTHY", &err),
      ECSB_ENOTFOUND);
  assert_non_null(strstr(err.msg, "'nope'"));
  assert_int_equal(fecs_task_set_status(x->f, "feed", "RUNNING", &err),
                   ECSB_ENOTFOUND);
  assert_int_equal(fecs_task_set_ip(x->f, arn, "10.0.0.1", &err), ECSB_EINVAL);
  assert_int_equal(fecs_task_set_ip(x->f, arn, "127.9.9.9", &err), 0);
  wire_matches_tree(x, arn);

  assert_int_equal(fecs_task_stop(x->f, arn, "EssentialContainerExited",
                                  "Essential container in task exited", &err),
                   0);
  wire_matches_tree(x, arn);
  assert_int_equal(fecs_task_set_status(x->f, arn, "STOPPED", &err), 0);
  wire_matches_tree(x, arn);
  char *json = NULL;
  assert_int_equal(fecs_task_describe_json(x->f, arn, &json, &err), 0);
  cJSON *t = cJSON_Parse(json);
  assert_string_equal(jps(t, "lastStatus"), "STOPPED");
  assert_string_equal(jps(t, "stopCode"), "EssentialContainerExited");
  assert_string_equal(jps(t, "containers[4].lastStatus"), "STOPPED");
  assert_string_equal(jps(t, "containers[0].networkInterfaces[0]."
                             "privateIpv4Address"),
                      "127.9.9.9");
  cJSON_Delete(t);
  free(json);
  free(arn);
  fx_free(x);
}

/* A stop before the task ran never passes through RUNNING. */
static void test_stop_before_running_skips_running(void **state) {
  (void)state;
  fx *x = fx_new(false);
  setup_mesh(x);
  char *arn = run_one(x, NULL);
  ecsb_err err = {0};
  assert_int_equal(fecs_task_set_status(x->f, arn, "STOPPED", &err), 0);
  const char *id = strrchr(arn, '/') + 1;
  assert_int_equal(
      ft_events_count(&x->ev, "task.status", id, "st=RUNNING", NULL), 0);
  assert_int_equal(
      ft_events_count(&x->ev, "task.status", id, "st=STOPPING", NULL), 1);
  free(arn);
  fx_free(x);
}

static int pick_ip(void *user, const char *family, const char *group,
                   uint64_t seq, char *buf) {
  (void)user;
  (void)group;
  if (strcmp(family, "web"))
    return 1;
  snprintf(buf, FECS_IP_MAX, "127.42.0.%llu", (unsigned long long)seq + 10);
  return 0;
}

static void test_direct_creation_env_and_ip_choice(void **state) {
  (void)state;
  fecs_config c;
  fecs_config_default(&c);
  c.create_default_cluster = true;
  c.task_ip = pick_ip;
  ft_clock clk = {0};
  fecs *f = ft_start(&c, &clk, NULL);
  ecsb_err err = {0};
  char arn[FECS_ARN_MAX];
  assert_int_equal(fecs_cluster_create(f, "extra", arn, &err), 0);
  assert_string_equal(arn, ACCT_REGION "cluster/extra");
  assert_int_equal(fecs_cluster_create(f, "bad/name", arn, &err), ECSB_EINVAL);
  cJSON *td = cJSON_Parse(ft_mesh_taskdef());
  assert_int_equal(fecs_task_definition_register(f, td, arn, &err), 0);
  assert_string_equal(arn, ACCT_REGION "task-definition/web:1");
  cJSON_DeleteItemFromObject(td, "family");
  assert_int_equal(fecs_task_definition_register(f, td, arn, &err),
                   ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "ClientException"));
  assert_non_null(strstr(err.msg, "family"));
  cJSON_Delete(td);
  fecs_run_opts o = {.task_definition = "web", .group = "service:web"};
  assert_int_equal(fecs_task_run(f, &o, arn, &err), 0);
  fecs_task_view v;
  assert_int_equal(fecs_task_get(f, arn, &v, &err), 0);
  assert_string_equal(v.ip, "127.42.0.11"); /* the callback's choice */
  assert_string_equal(v.group, "service:web");
  o.ip = "127.0.0.10";
  assert_int_equal(fecs_task_run(f, &o, arn, &err), 0);
  assert_int_equal(fecs_task_get(f, arn, &v, &err), 0);
  assert_string_equal(v.ip, "127.0.0.10");
  o.ip = "10.1.1.1";
  assert_int_equal(fecs_task_run(f, &o, arn, &err), ECSB_EINVAL);
  o.ip = NULL;
  o.cluster = "nope";
  assert_int_equal(fecs_task_run(f, &o, arn, &err), ECSB_ENOTFOUND);

  fecs_env env;
  assert_int_equal(fecs_container_env(f, v.arn, "mesh-init", &env, &err), 0);
  const char *md = fecs_env_get(&env, "ECS_CONTAINER_METADATA_URI_V4");
  assert_non_null(md);
  assert_true(!strncmp(md, fecs_endpoint_url(f), strlen(fecs_endpoint_url(f))));
  assert_non_null(strstr(md, v.id));
  assert_true(
      !strncmp(fecs_env_get(&env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"),
               "/v2/credentials/", 16));
  assert_int_equal(
      strlen(fecs_env_get(&env, "AWS_CONTAINER_AUTHORIZATION_TOKEN")), 64);
  assert_string_equal(fecs_env_get(&env, "AWS_REGION"), "us-east-1");
  assert_string_equal(fecs_env_get(&env, "AWS_EXECUTION_ENV"),
                      "AWS_ECS_FARGATE");
  fecs_env_clear(&env);
  assert_int_equal(fecs_container_env(f, v.arn, "nope", &env, &err),
                   ECSB_ENOTFOUND);
  fecs_stats st;
  fecs_get_stats(f, &st);
  assert_int_equal(st.tasks, 2);
  fecs_free(f);
}

static void test_config_rejects_bad_values_by_name(void **state) {
  (void)state;
  static const struct {
    int field;
    const char *value, *want;
  } cases[] = {
      {0, "12345", "account_id"},       {1, "US EAST", "region"},
      {2, "", "access_key_id"},         {3, "", "secret_access_key"},
      {4, "10.0.0.1", "task_ip_first"}, {5, "0.0.0.0", "0.0.0.0"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    fecs_config c;
    fecs_config_default(&c);
    const char **fields[] = {&c.account_id,    &c.region,
                             &c.access_key_id, &c.secret_access_key,
                             &c.task_ip_first, &c.api_bind_ip};
    *fields[cases[i].field] = cases[i].value;
    fecs *f = NULL;
    ecsb_err err = {0};
    assert_int_not_equal(fecs_new(&c, &f, &err), 0);
    assert_null(f);
    if (!strstr(err.msg, cases[i].want))
      fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, cases[i].want);
  }
}

/* The built-in allocator skips .0 and .255 and never hands out one address
 * twice while the range lasts. */
static void test_task_addresses_skip_network_and_broadcast(void **state) {
  (void)state;
  fecs_config c;
  fecs_config_default(&c);
  c.task_ip_first = "127.3.0.250";
  c.create_default_cluster = true;
  ft_clock clk = {0};
  fecs *f = ft_start(&c, &clk, NULL);
  ecsb_err err = {0};
  cJSON *td = cJSON_Parse("{\"family\":\"a\",\"containerDefinitions\":[{"
                          "\"name\":\"a\",\"image\":\"i\"}]}");
  assert_int_equal(fecs_task_definition_register(f, td, NULL, &err), 0);
  cJSON_Delete(td);
  const char *want[] = {"127.3.0.250", "127.3.0.251", "127.3.0.252",
                        "127.3.0.253", "127.3.0.254", "127.3.1.1"};
  for (int i = 0; i < 6; i++) {
    char arn[FECS_ARN_MAX];
    fecs_run_opts o = {.task_definition = "a"};
    assert_int_equal(fecs_task_run(f, &o, arn, &err), 0);
    fecs_task_view v;
    assert_int_equal(fecs_task_get(f, arn, &v, &err), 0);
    assert_string_equal(v.ip, want[i]);
  }
  fecs_free(f);
}

typedef struct worker {
  fx *x;
  int n, ok; /* calls to make; RunTask + ListTasks pairs answered 200 */
} worker;

static void *run_many(void *u) {
  worker *w = u;
  for (int i = 0; i < w->n; i++) {
    ft_req r = {.op = "RunTask", .body = "{\"taskDefinition\":\"web\"}"};
    ft_req d = {.op = "ListTasks", .body = "{\"maxResults\":5}"};
    ft_resp a, b;
    int rc = ft_call(w->x->f, &w->x->clk, &r, &a);
    int rc2 = ft_call(w->x->f, &w->x->clk, &d, &b);
    w->ok += rc == 0 && rc2 == 0 && a.status == 200 && b.status == 200;
    ft_resp_clear(&a);
    ft_resp_clear(&b);
  }
  return NULL;
}

/* Four clients at once: every call answered, every task kept, every
 * address distinct, every call reported once. */
static void test_concurrent_clients(void **state) {
  (void)state;
  fx *x = fx_new(true);
  setup_mesh(x);
  pthread_t th[4];
  worker w[4];
  for (int i = 0; i < 4; i++) {
    w[i] = (worker){x, 25, 0};
    assert_int_equal(pthread_create(&th[i], NULL, run_many, &w[i]), 0);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    assert_int_equal(w[i].ok, 25);
  }
  cJSON *r = ft_ok(x->f, &x->clk, "ListTasks", "{}");
  const cJSON *arns = jp(r, "taskArns");
  assert_int_equal(cJSON_GetArraySize(arns), 100);
  char ips[100][FECS_IP_MAX];
  int i = 0;
  for (const cJSON *a = arns->child; a; a = a->next, i++) {
    fecs_task_view v;
    ecsb_err err = {0};
    assert_int_equal(fecs_task_get(x->f, a->valuestring, &v, &err), 0);
    snprintf(ips[i], FECS_IP_MAX, "%s", v.ip);
    for (int k = 0; k < i; k++)
      assert_string_not_equal(ips[k], ips[i]);
  }
  cJSON_Delete(r);
  assert_int_equal(
      ft_events_count(&x->ev, "api.call", "op=RunTask", "status=200", NULL),
      100);
  fx_free(x);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_clusters_create_describe_list),
      cmocka_unit_test(test_run_task_returns_aws_shaped_tasks),
      cmocka_unit_test(test_describe_tasks_after_automatic_start),
      cmocka_unit_test(test_list_tasks_paginates_one_at_a_time),
      cmocka_unit_test(test_list_tasks_filters),
      cmocka_unit_test(test_stop_task_walks_to_stopped),
      cmocka_unit_test(test_services_give_tasks_a_service_name),
      cmocka_unit_test(test_protocol_errors_are_aws_shaped),
      cmocka_unit_test(test_drivers_move_tasks_and_containers),
      cmocka_unit_test(test_stop_before_running_skips_running),
      cmocka_unit_test(test_direct_creation_env_and_ip_choice),
      cmocka_unit_test(test_config_rejects_bad_values_by_name),
      cmocka_unit_test(test_task_addresses_skip_network_and_broadcast),
      cmocka_unit_test(test_concurrent_clients),
      cmocka_unit_test(test_agent_simulator_owns_its_task_state),
  };
  ecsb_http_global_init(NULL);
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  ecsb_http_global_cleanup();
  return rc;
}
