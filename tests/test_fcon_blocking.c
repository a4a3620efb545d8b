/*
 * test_fcon_blocking.c - fake-consul blocking queries (?index=&wait= on
 * catalog and health, ?hash= on /v1/agent/service/:id), their headers, and
 * the agent-to-server sync delay, with a thread per connection and on an
 * epoll pool of one thread. A blocked query runs on its own thread;
 * the test waits for it with a bounded join, never on elapsed time.
 */
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

#include "ecsb/clock.h"
#include "ecsb/http.h"
#include "fcon_testutil.h"

typedef struct call {
  uint16_t port;
  char path[256];
  long status;
  char *body;
  char index[64];
  atomic_int done;
} call;

static void *call_main(void *u) {
  call *c = u;
  c->status = fcon_tu_call_h(NULL, c->port, "GET", c->path, NULL, &c->body,
                             "X-Consul-Index", c->index);
  atomic_store(&c->done, 1);
  return NULL;
}

static bool call_done(void *u) {
  return atomic_load(&((call *)u)->done);
}

static void put_ok(uint16_t port, const char *path, const char *body) {
  char *b = NULL;
  long st = fcon_tu_call(port, "PUT", path, body, &b);
  if (st != 200)
    fail_msg("PUT %s: %ld %s", path, st, b ? b : "");
  free(b);
}

static void test_health_blocks_until_change(void **state) {
  (void)state;
  fcon_tu t;
  fcon_tu_start(&t, true, 1.0);
  uint16_t sp = fcon_server_port(t.srv), ap = fcon_agent_port(t.agent);
  char idx[64], kl[64];
  assert_int_equal(fcon_tu_call_h(NULL, sp, "GET", "/v1/health/service/web",
                                  NULL, NULL, "X-Consul-Index", idx),
                   200);
  assert_int_equal(fcon_tu_call_h(NULL, sp, "GET", "/v1/health/service/web",
                                  NULL, NULL, "X-Consul-KnownLeader", kl),
                   200);
  assert_string_equal(kl, "true");
  call c = {.port = ap};
  snprintf(c.path, sizeof c.path, "/v1/health/service/web?index=%s&wait=5m",
           idx);
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, call_main, &c), 0);
  /* The query must still be blocked: nothing changed yet. Give it a moment
   * to reach the server, then change something. */
  ecsb_sleep_ms(50, NULL);
  assert_false(atomic_load(&c.done));
  put_ok(ap, "/v1/agent/service/register", "{\"Name\":\"web\",\"Port\":80}");
  assert_true(fcon_tu_wait(call_done, &c));
  pthread_join(th, NULL);
  assert_int_equal(c.status, 200);
  assert_true(strtoull(c.index, NULL, 10) > strtoull(idx, NULL, 10));
  assert_non_null(strstr(c.body, "\"Service\":\"web\""));
  free(c.body);
  fcon_tu_stop(&t);
}

static void test_wait_expires_with_same_index(void **state) {
  (void)state;
  fcon_tu t;
  fcon_tu_start(&t, true, 1.0);
  uint16_t sp = fcon_server_port(t.srv);
  char idx[64], idx2[64], path[128];
  fcon_tu_call_h(NULL, sp, "GET", "/v1/catalog/services", NULL, NULL,
                 "X-Consul-Index", idx);
  snprintf(path, sizeof path, "/v1/catalog/services?index=%s&wait=20ms", idx);
  assert_int_equal(
      fcon_tu_call_h(NULL, sp, "GET", path, NULL, NULL, "X-Consul-Index", idx2),
      200);
  assert_string_equal(idx, idx2);
  fcon_tu_stop(&t);
}

static void test_service_hash_blocks_until_change(void **state) {
  (void)state;
  fcon_tu t;
  fcon_tu_start(&t, true, 1.0);
  uint16_t ap = fcon_agent_port(t.agent);
  put_ok(ap, "/v1/agent/service/register", "{\"Name\":\"web\",\"Port\":80}");
  cJSON *s = fcon_tu_get_json(ap, "/v1/agent/service/web");
  char hash[64];
  snprintf(hash, sizeof hash, "%s",
           cJSON_GetStringValue(cJSON_GetObjectItem(s, "ContentHash")));
  cJSON_Delete(s);
  call c = {.port = ap};
  snprintf(c.path, sizeof c.path, "/v1/agent/service/web?hash=%s&wait=5m",
           hash);
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, call_main, &c), 0);
  ecsb_sleep_ms(50, NULL);
  assert_false(atomic_load(&c.done));
  put_ok(ap, "/v1/agent/service/register", "{\"Name\":\"web\",\"Port\":81}");
  assert_true(fcon_tu_wait(call_done, &c));
  pthread_join(th, NULL);
  assert_int_equal(c.status, 200);
  assert_non_null(strstr(c.body, "\"Port\":81"));
  assert_null(strstr(c.body, hash));
  free(c.body);
  fcon_tu_stop(&t);
}

static bool server_has_web(void *u) {
  cJSON *c = fcon_tu_get_json(*(uint16_t *)u, "/v1/catalog/service/web");
  bool ok = cJSON_GetArraySize(c) == 1;
  cJSON_Delete(c);
  return ok;
}

static void test_sync_delay(void **state) {
  (void)state;
  ecsb_err err = {0};
  fcon_server *srv = NULL;
  assert_int_equal(fcon_server_start(NULL, &srv, &err), 0);
  fcon_agent_config ac;
  fcon_agent_config_default(&ac);
  ac.server = srv;
  ac.join_on_start = true;
  ac.sync_delay_ms = 10 * 60 * 1000; /* far beyond the test */
  ac.threads = fcon_tu_threads;
  fcon_agent *a = NULL;
  assert_int_equal(fcon_agent_start(&ac, &a, &err), 0);
  uint16_t sp = fcon_server_port(srv);
  put_ok(fcon_agent_port(a), "/v1/agent/service/register",
         "{\"Name\":\"web\"}");
  assert_false(server_has_web(&sp));
  fcon_agent_stop(a);

  /* A short delay: the change arrives on its own. */
  ac.sync_delay_ms = 20;
  assert_int_equal(fcon_agent_start(&ac, &a, &err), 0);
  put_ok(fcon_agent_port(a), "/v1/agent/service/register",
         "{\"Name\":\"web\"}");
  assert_true(fcon_tu_wait(server_has_web, &sp));
  fcon_agent_stop(a);
  fcon_server_stop(srv);
}

static void test_agent_stop_ends_blocked_queries(void **state) {
  (void)state;
  fcon_tu t;
  fcon_tu_start(&t, true, 1.0);
  uint16_t ap = fcon_agent_port(t.agent);
  put_ok(ap, "/v1/agent/service/register", "{\"Name\":\"web\"}");
  cJSON *s = fcon_tu_get_json(ap, "/v1/agent/service/web");
  call h = {.port = ap}, q = {.port = ap};
  snprintf(h.path, sizeof h.path, "/v1/agent/service/web?hash=%s&wait=10m",
           cJSON_GetStringValue(cJSON_GetObjectItem(s, "ContentHash")));
  cJSON_Delete(s);
  snprintf(q.path, sizeof q.path, "/v1/health/service/web?index=%llu&wait=10m",
           (unsigned long long)fcon_server_index(t.srv));
  pthread_t th1, th2;
  assert_int_equal(pthread_create(&th1, NULL, call_main, &h), 0);
  assert_int_equal(pthread_create(&th2, NULL, call_main, &q), 0);
  ecsb_sleep_ms(50, NULL);
  /* Returns only once both handlers have: they were cut short. */
  fcon_agent_stop(t.agent);
  t.agent = NULL;
  pthread_join(th1, NULL);
  pthread_join(th2, NULL);
  assert_true(atomic_load(&h.done) && atomic_load(&q.done));
  free(h.body);
  free(q.body);
  fcon_server_stop(t.srv);
}

int main(void) {
  ecsb_http_global_init(NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_health_blocks_until_change),
      cmocka_unit_test(test_wait_expires_with_same_index),
      cmocka_unit_test(test_service_hash_blocks_until_change),
      cmocka_unit_test(test_sync_delay),
      cmocka_unit_test(test_agent_stop_ends_blocked_queries),
  };
  int rc =
      cmocka_run_group_tests_name("thread per connection", tests, NULL, NULL);
  /* Again on a one-thread epoll pool: a blocked query that held the pool's
   * only thread would keep the change that ends it from being served. */
  fcon_tu_threads = 1;
  rc += cmocka_run_group_tests_name("epoll pool of 1", tests, NULL, NULL);
  ecsb_http_global_cleanup();
  return rc;
}
