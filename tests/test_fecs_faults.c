/* test_fecs_faults.c - fake-ecs's throttling and fault hooks: the
 * per-operation token buckets (ECS-like defaults, reconfigured, disabled),
 * injected latency, the next N errors, seeded-probability errors (replayed
 * exactly by the seed), metadata/credentials endpoints down, slow,
 * malformed and failing (a slowed call holding none of a pool's threads),
 * and server tasks late, never RUNNING, or stopped after start. Refill and the
 * lifecycle run on the injected clock; the latency checks assert only lower
 * bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/aws_creds.h"
#include "ecsb/clock.h"
#include "ecsb/metadata.h"
#include "fecs_testutil.h"

typedef struct fx {
  ft_clock clk;
  ft_events ev;
  fecs *f;
} fx;

static fx *fx_new(bool throttle, uint64_t seed, int64_t start_delay_ms) {
  fx *x = calloc(1, sizeof *x);
  fecs_config c;
  fecs_config_default(&c);
  c.throttle = throttle;
  c.seed = seed;
  c.create_default_cluster = true;
  c.start_delay_ms = start_delay_ms;
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

static long call(fx *x, const char *op, const char *body, char *type,
                 size_t cap) {
  ft_req r = {.op = op, .body = body};
  ft_resp out;
  assert_int_equal(ft_call(x->f, &x->clk, &r, &out), 0);
  long s = out.status;
  if (type)
    snprintf(type, cap, "%s", out.type);
  ft_resp_clear(&out);
  return s;
}

/* How many of n calls succeed before the first ThrottlingException. */
static int until_throttled(fx *x, const char *op, const char *body, int n) {
  for (int i = 0; i < n; i++) {
    char type[128];
    long s = call(x, op, body, type, sizeof type);
    if (s != 200) {
      assert_int_equal(s, 400);
      assert_string_equal(type, "ThrottlingException");
      return i;
    }
  }
  return n;
}

static void test_default_buckets_throttle_and_refill(void **state) {
  (void)state;
  fx *x = fx_new(true, 1, 0);
  const char *body = "{\"tasks\":[\"x\"]}";
  /* DescribeTasks: 100 at once, then 20 per second */
  assert_int_equal(until_throttled(x, "DescribeTasks", body, 150), 100);
  const char *m = ft_fails(x->f, &x->clk, "DescribeTasks",
                           "ThrottlingException", 400, "%s", body);
  assert_string_equal(m, "Rate exceeded");
  /* other operations have their own buckets */
  assert_int_equal(call(x, "ListTasks", "{}", NULL, 0), 200);
  advance(x, 1000);
  assert_int_equal(until_throttled(x, "DescribeTasks", body, 50), 20);
  advance(x, 60000); /* refill stops at the burst */
  assert_int_equal(until_throttled(x, "DescribeTasks", body, 150), 100);
  fecs_stats st;
  fecs_get_stats(x->f, &st);
  assert_true(st.throttled >= 3);
  assert_true(ft_events_count(&x->ev, "api.call", "op=DescribeTasks",
                              "err=ThrottlingException", NULL) >= 3);
  fx_free(x);
}

static void test_throttle_reconfigured_disabled_and_cleared(void **state) {
  (void)state;
  fx *x = fx_new(true, 1, 0);
  ecsb_err err = {0};
  assert_int_equal(fecs_throttle_set(x->f, "ListTasks", 2, 0.5, &err), 0);
  assert_int_equal(until_throttled(x, "ListTasks", "{}", 10), 2);
  advance(x, 2000);
  assert_int_equal(until_throttled(x, "ListTasks", "{}", 10), 1);
  assert_int_equal(fecs_throttle_set(x->f, NULL, 0, 0, &err), 0);
  assert_int_equal(until_throttled(x, "ListClusters", "{}", 5), 0);
  fecs_throttle_enable(x->f, false);
  assert_int_equal(until_throttled(x, "ListClusters", "{}", 5), 5);
  fecs_throttle_enable(x->f, true);
  fecs_fault_clear(x->f); /* default buckets again: ListClusters 50 */
  assert_int_equal(until_throttled(x, "ListClusters", "{}", 60), 50);
  assert_int_equal(fecs_throttle_set(x->f, "Nope", 1, 1, &err), ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "'Nope'"));
  assert_int_equal(fecs_throttle_set(x->f, "ListTasks", -1, 1, &err),
                   ECSB_EINVAL);
  fx_free(x);
}

static long long event_latency(ft_events *e, const char *kind, const char *op) {
  long long best = -1;
  for (int i = 0; i < atomic_load(&e->n); i++) {
    const char *l = e->lines[i];
    char want[64];
    snprintf(want, sizeof want, "op=%s ", op);
    if (strncmp(l, kind, strlen(kind)) || !strstr(l, want))
      continue;
    const char *p = strstr(l, "lat=");
    if (p)
      best = atoll(p + 4);
  }
  return best;
}

static void test_latency_is_injected_per_operation(void **state) {
  (void)state;
  fx *x = fx_new(false, 1, 0);
  ecsb_err err = {0};
  assert_int_equal(fecs_fault_latency(x->f, "ListClusters", 200, &err), 0);
  assert_int_equal(call(x, "ListClusters", "{}", NULL, 0), 200);
  assert_true(event_latency(&x->ev, "api.call", "ListClusters") >= 200000);
  assert_int_equal(ft_events_count(&x->ev, "fault", "fault=latency",
                                   "op=ListClusters", NULL),
                   1);
  assert_int_equal(call(x, "ListTasks", "{}", NULL, 0), 200);
  assert_int_equal(
      ft_events_count(&x->ev, "fault=latency", "op=ListTasks", NULL), 0);
  assert_int_equal(fecs_fault_latency(x->f, "ListClusters", 0, &err), 0);
  assert_int_equal(fecs_fault_latency(x->f, "Nope", 10, &err), ECSB_EINVAL);
  assert_int_equal(fecs_fault_latency(x->f, NULL, -1, &err), ECSB_EINVAL);
  fx_free(x);
}

static void test_next_n_errors(void **state) {
  (void)state;
  fx *x = fx_new(false, 1, 0);
  ecsb_err err = {0};
  assert_int_equal(fecs_fault_errors_next(x->f, "ListTasks", 2,
                                          "ServerException", NULL, &err),
                   0);
  ft_fails(x->f, &x->clk, "ListTasks", "ServerException", 500, "{}");
  assert_int_equal(call(x, "ListClusters", "{}", NULL, 0), 200);
  ft_fails(x->f, &x->clk, "ListTasks", "ServerException", 500, "{}");
  assert_int_equal(call(x, "ListTasks", "{}", NULL, 0), 200);
  assert_int_equal(fecs_fault_errors_next(x->f, "*", 1, "AccessDeniedException",
                                          "no ecs:ListClusters for you", &err),
                   0);
  const char *m = ft_fails(x->f, &x->clk, "ListClusters",
                           "AccessDeniedException", 400, "{}");
  assert_string_equal(m, "no ecs:ListClusters for you");
  assert_int_equal(fecs_fault_errors_next(x->f, "DescribeTasks", 1,
                                          "ThrottlingException", NULL, &err),
                   0);
  m = ft_fails(x->f, &x->clk, "DescribeTasks", "ThrottlingException", 400,
               "{\"tasks\":[\"x\"]}");
  assert_string_equal(m, "Rate exceeded");
  assert_int_equal(
      ft_events_count(&x->ev, "fault", "fault=error", "ServerException", NULL),
      2);
  assert_int_equal(fecs_fault_errors_next(x->f, "ListTasks", 0,
                                          "ServerException", NULL, &err),
                   ECSB_EINVAL);
  assert_int_equal(
      fecs_fault_errors_next(x->f, "Bogus", 1, "ServerException", NULL, &err),
      ECSB_EINVAL);
  assert_int_equal(fecs_fault_errors_next(x->f, "ListTasks", 1, "", NULL, &err),
                   ECSB_EINVAL);
  fx_free(x);
}

static void pattern(uint64_t seed, char *out, int n) {
  fx *x = fx_new(false, seed, 0);
  ecsb_err err = {0};
  assert_int_equal(fecs_fault_errors_prob(x->f, "ListClusters", 0.5,
                                          "ServerException", NULL, &err),
                   0);
  for (int i = 0; i < n; i++)
    out[i] = call(x, "ListClusters", "{}", NULL, 0) == 200 ? '.' : 'E';
  out[n] = '\0';
  /* p 0 removes the rule */
  assert_int_equal(
      fecs_fault_errors_prob(x->f, "ListClusters", 0, NULL, NULL, &err), 0);
  for (int i = 0; i < 10; i++)
    assert_int_equal(call(x, "ListClusters", "{}", NULL, 0), 200);
  fx_free(x);
}

static void test_probability_errors_replay_from_the_seed(void **state) {
  (void)state;
  char a[41], b[41], c[41];
  pattern(42, a, 40);
  pattern(42, b, 40);
  pattern(7, c, 40);
  assert_string_equal(a, b);
  assert_string_not_equal(a, c);
  assert_non_null(strchr(a, 'E'));
  assert_non_null(strchr(a, '.'));
  fx *x = fx_new(false, 1, 0);
  ecsb_err err = {0};
  assert_int_equal(fecs_fault_errors_prob(x->f, "ListTasks", 1.5,
                                          "ServerException", NULL, &err),
                   ECSB_EINVAL);
  fx_free(x);
}

/* A task and the metadata URL of its container "c". */
static void start_task(fx *x, char *md, size_t cap, fecs_env *env) {
  cJSON_Delete(ft_ok(x->f, &x->clk, "RegisterTaskDefinition",
                     "{\"family\":\"a\",\"containerDefinitions\":[{\"name\":"
                     "\"c\",\"image\":\"i\"}]}"));
  cJSON *r = ft_ok(x->f, &x->clk, "RunTask", "{\"taskDefinition\":\"a\"}");
  ecsb_err err = {0};
  assert_int_equal(
      fecs_container_env(x->f, jps(r, "tasks[0].taskArn"), "c", env, &err), 0);
  snprintf(md, cap, "%s/task",
           fecs_env_get(env, "ECS_CONTAINER_METADATA_URI_V4"));
  cJSON_Delete(r);
}

static void test_endpoint_down_slow_malformed_error(void **state) {
  (void)state;
  fx *x = fx_new(false, 1, 0);
  char md[600], creds[600];
  fecs_env env;
  start_task(x, md, sizeof md, &env);
  snprintf(creds, sizeof creds, "%s%s", fecs_endpoint_url(x->f),
           fecs_env_get(&env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"));
  ecsb_err err = {0};
  ft_resp r;

  assert_int_equal(
      fecs_fault_endpoint(x->f, FECS_EP_METADATA, FECS_EP_DOWN, 0, &err), 0);
  assert_int_not_equal(ft_get(md, NULL, &r), 0); /* no answer at all */
  ft_resp_clear(&r);
  assert_int_equal(ft_get(creds, NULL, &r), 0); /* credentials still up */
  assert_int_equal(r.status, 200);
  ft_resp_clear(&r);
  assert_int_equal(ft_events_count(&x->ev, "fault", "fault=endpoint-down",
                                   "op=metadata", NULL),
                   1);

  assert_int_equal(
      fecs_fault_endpoint(x->f, FECS_EP_METADATA, FECS_EP_MALFORMED, 0, &err),
      0);
  assert_int_equal(ft_get(md, NULL, &r), 0);
  assert_int_equal(r.status, 200);
  assert_null(r.json);
  assert_true(strlen(r.raw) > 0);
  ft_resp_clear(&r);
  ecsb_http_client *hc = ecsb_http_client_new(NULL, &err);
  ecsb_task_meta *m = NULL;
  char base[600];
  snprintf(base, sizeof base, "%s",
           fecs_env_get(&env, "ECS_CONTAINER_METADATA_URI_V4"));
  assert_int_equal(ecsb_task_meta_fetch(hc, base, NULL, &m, &err), ECSB_EPARSE);
  ecsb_http_client_free(hc);

  assert_int_equal(
      fecs_fault_endpoint(x->f, FECS_EP_METADATA, FECS_EP_ERROR, 0, &err), 0);
  assert_int_equal(ft_get(md, NULL, &r), 0);
  assert_int_equal(r.status, 500);
  ft_resp_clear(&r);

  assert_int_equal(
      fecs_fault_endpoint(x->f, FECS_EP_CREDENTIALS, FECS_EP_SLOW, 300, &err),
      0);
  assert_int_equal(ft_get(creds, NULL, &r), 0);
  assert_int_equal(r.status, 200);
  ft_resp_clear(&r);
  assert_true(event_latency(&x->ev, "endpoint.call", "credentials") >= 300000);
  assert_int_equal(ft_events_count(&x->ev, "fault", "fault=endpoint-slow",
                                   "op=credentials", NULL),
                   1);

  /* the production credential chain sees a down endpoint as transport */
  assert_int_equal(
      fecs_fault_endpoint(x->f, FECS_EP_CREDENTIALS, FECS_EP_DOWN, 0, &err), 0);
  atomic_store(&x->clk.now_us, ecsb_wall_us()); /* the provider's clock */
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI",
         fecs_env_get(&env, "AWS_CONTAINER_CREDENTIALS_FULL_URI"), 1);
  setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN",
         fecs_env_get(&env, "AWS_CONTAINER_AUTHORIZATION_TOKEN"), 1);
  ecsb_aws_creds_provider *p = ecsb_aws_creds_provider_new(NULL, &err);
  assert_non_null(p);
  ecsb_aws_creds cr;
  assert_int_equal(ecsb_aws_creds_get(p, &cr, &err), ECSB_ETRANSPORT);
  assert_int_equal(
      fecs_fault_endpoint(x->f, FECS_EP_CREDENTIALS, FECS_EP_OK, 0, &err), 0);
  assert_int_equal(ecsb_aws_creds_get(p, &cr, &err), 0);
  ecsb_aws_creds_wipe(&cr);
  ecsb_aws_creds_provider_free(p);
  unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");

  fecs_fault_clear(x->f);
  assert_int_equal(ft_get(md, NULL, &r), 0);
  assert_int_equal(r.status, 200);
  ft_resp_clear(&r);
  assert_int_equal(
      fecs_fault_endpoint(x->f, FECS_EP_METADATA, FECS_EP_SLOW, -5, &err),
      ECSB_EINVAL);
  fecs_env_clear(&env);
  fx_free(x);
}

typedef struct slow_call {
  fx *x;
  const char *url; /* a metadata/credentials URL; NULL: ListTasks */
  atomic_bool done;
  long status;
} slow_call;

static void *slow_call_run(void *arg) {
  slow_call *c = arg;
  if (c->url) {
    ft_resp r;
    if (ft_get(c->url, NULL, &r) == 0)
      c->status = r.status;
    ft_resp_clear(&r);
  } else {
    c->status = call(c->x, "ListTasks", "{}", NULL, 0);
  }
  atomic_store(&c->done, true);
  return NULL;
}

/* Waits (at most 10 s) for the fault event naming fault and op. */
static void wait_fault(fx *x, const char *fault, const char *op) {
  for (int i = 0;
       i < 1000 && ft_events_count(&x->ev, "fault", fault, op, NULL) == 0; i++)
    ecsb_sleep_ms(10, NULL);
  assert_int_equal(ft_events_count(&x->ev, "fault", fault, op, NULL), 1);
}

/* A pool of one thread (how the runner serves a fleet's calls): a call
 * slowed by a fault sleeps on a thread of its own, and the pool answers
 * the next call meanwhile, on both servers. */
static void test_pool_slow_call_holds_no_thread(void **state) {
  (void)state;
  fx *x = calloc(1, sizeof *x);
  fecs_config c;
  fecs_config_default(&c);
  c.throttle = false;
  c.create_default_cluster = true;
  c.threads = 1;
  x->f = ft_start(&c, &x->clk, &x->ev);
  ecsb_err err = {0};
  assert_int_equal(fecs_fault_latency(x->f, "ListTasks", 4000, &err), 0);
  slow_call sc = {.x = x};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, slow_call_run, &sc), 0);
  wait_fault(x, "fault=latency", "op=ListTasks");
  assert_int_equal(call(x, "ListClusters", "{}", NULL, 0), 200);
  assert_false(atomic_load(&sc.done)); /* answered while it slept */
  pthread_join(th, NULL);
  assert_int_equal(sc.status, 200);

  char md[600], creds[600];
  fecs_env env;
  start_task(x, md, sizeof md, &env);
  snprintf(creds, sizeof creds, "%s%s", fecs_endpoint_url(x->f),
           fecs_env_get(&env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"));
  assert_int_equal(
      fecs_fault_endpoint(x->f, FECS_EP_METADATA, FECS_EP_SLOW, 4000, &err), 0);
  slow_call mc = {.x = x, .url = md};
  assert_int_equal(pthread_create(&th, NULL, slow_call_run, &mc), 0);
  wait_fault(x, "fault=endpoint-slow", "op=metadata");
  ft_resp r;
  assert_int_equal(ft_get(creds, NULL, &r), 0);
  assert_int_equal(r.status, 200);
  ft_resp_clear(&r);
  assert_false(atomic_load(&mc.done));
  pthread_join(th, NULL);
  assert_int_equal(mc.status, 200);
  fecs_env_clear(&env);
  fx_free(x);
}

static const char *status_of(fx *x, const char *arn) {
  static char st[32];
  fecs_task_view v;
  ecsb_err err = {0};
  assert_int_equal(fecs_task_get(x->f, arn, &v, &err), 0);
  snprintf(st, sizeof st, "%s", v.last_status);
  return st;
}

static void run(fx *x, const char *family, const char *group, char *arn) {
  fecs_run_opts o = {.task_definition = family, .group = group};
  ecsb_err err = {0};
  assert_int_equal(fecs_task_run(x->f, &o, arn, &err), 0);
}

static void register_family(fx *x, const char *family) {
  cJSON *td = cJSON_CreateObject();
  cJSON_AddStringToObject(td, "family", family);
  cJSON *defs = cJSON_AddArrayToObject(td, "containerDefinitions");
  cJSON *c = cJSON_CreateObject();
  cJSON_AddStringToObject(c, "name", "server");
  cJSON_AddStringToObject(c, "image", "consul");
  cJSON_AddItemToArray(defs, c);
  ecsb_err err = {0};
  assert_int_equal(fecs_task_definition_register(x->f, td, NULL, &err), 0);
  cJSON_Delete(td);
}

static void test_server_task_late_never_running_stopped(void **state) {
  (void)state;
  fx *x = fx_new(false, 1, 1000); /* tasks start one second after RunTask */
  register_family(x, "srv");
  register_family(x, "app");
  ecsb_err err = {0};
  fecs_task_fault late = {
      .kind = FECS_TF_LATE, .family = "srv", .delay_ms = 5000, .count = 1};
  assert_int_equal(fecs_fault_task(x->f, &late, &err), 0);
  char a[FECS_ARN_MAX], b[FECS_ARN_MAX], c[FECS_ARN_MAX];
  run(x, "srv", NULL, a);
  run(x, "app", NULL, b);
  run(x, "srv", NULL, c); /* count 1: the second srv task is on time */
  advance(x, 2000);
  assert_string_equal(status_of(x, a), "PROVISIONING");
  assert_string_equal(status_of(x, b), "RUNNING");
  assert_string_equal(status_of(x, c), "RUNNING");
  advance(x, 4000);
  assert_string_equal(status_of(x, a), "RUNNING");
  char *json = NULL;
  assert_int_equal(fecs_task_describe_json(x->f, a, &json, &err), 0);
  cJSON *t = cJSON_Parse(json);
  /* started exactly when due: 1 s start delay + 5 s late */
  assert_true(jpn(t, "startedAt") - jpn(t, "createdAt") == 6.0);
  cJSON_Delete(t);
  free(json);
  assert_int_equal(
      ft_events_count(&x->ev, "fault", "fault=late", strrchr(a, '/') + 1, NULL),
      1);

  fecs_task_fault never = {.kind = FECS_TF_NEVER_RUNNING,
                           .group = "service:consul-server"};
  assert_int_equal(fecs_fault_task(x->f, &never, &err), 0);
  run(x, "srv", "service:consul-server", a);
  advance(x, 3600 * 1000);
  assert_string_equal(status_of(x, a), "PENDING");

  fecs_task_fault stop = {.kind = FECS_TF_STOP_AFTER_START,
                          .family = "app",
                          .delay_ms = 3000,
                          .exit_code = 2,
                          .count = 1};
  assert_int_equal(fecs_fault_task(x->f, &stop, &err), 0);
  run(x, "app", NULL, a);
  run(x, "app", NULL, b);
  advance(x, 1000);
  assert_string_equal(status_of(x, a), "RUNNING");
  advance(x, 3000);
  assert_string_equal(status_of(x, a), "STOPPED");
  assert_string_equal(status_of(x, b), "RUNNING");
  assert_int_equal(fecs_task_describe_json(x->f, a, &json, &err), 0);
  t = cJSON_Parse(json);
  assert_string_equal(jps(t, "stopCode"), "EssentialContainerExited");
  assert_string_equal(jps(t, "stoppedReason"),
                      "Essential container in task exited");
  assert_int_equal((int)jpn(t, "containers[0].exitCode"), 2);
  assert_true(jpn(t, "stoppedAt") - jpn(t, "startedAt") == 3.0);
  cJSON_Delete(t);
  free(json);

  fecs_task_fault bad = {.kind = FECS_TF_STOP_AFTER_START, .exit_code = 300};
  assert_int_equal(fecs_fault_task(x->f, &bad, &err), ECSB_EINVAL);
  bad = (fecs_task_fault){.kind = FECS_TF_LATE, .delay_ms = -1};
  assert_int_equal(fecs_fault_task(x->f, &bad, &err), ECSB_EINVAL);
  fx_free(x);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_default_buckets_throttle_and_refill),
      cmocka_unit_test(test_throttle_reconfigured_disabled_and_cleared),
      cmocka_unit_test(test_latency_is_injected_per_operation),
      cmocka_unit_test(test_next_n_errors),
      cmocka_unit_test(test_probability_errors_replay_from_the_seed),
      cmocka_unit_test(test_endpoint_down_slow_malformed_error),
      cmocka_unit_test(test_pool_slow_call_holds_no_thread),
      cmocka_unit_test(test_server_task_late_never_running_stopped),
  };
  ecsb_http_global_init(NULL);
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  ecsb_http_global_cleanup();
  return rc;
}
