/*
 * test_fcon_acl_faults.c - fake-consul ACLs (unknown token, missing right,
 * X-Consul-Token and Bearer) and every fault hook: latency, fail next N, no
 * leader, agent down/up, slow join, with the events they emit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/clock.h"
#include "ecsb/http.h"
#include "fcon_testutil.h"

/* One request with an optional header. */
static long call_tok(uint16_t port, const char *method, const char *path,
                     const char *body, const char *hname, const char *hval,
                     char **out) {
  ecsb_http_opts o;
  ecsb_http_opts_default(&o);
  o.max_retries = 0;
  ecsb_http_client *c = ecsb_http_client_new(&o, NULL);
  char url[256];
  snprintf(url, sizeof url, "http://127.0.0.1:%u%s", port, path);
  ecsb_http_header h = {(char *)hname, (char *)hval};
  ecsb_http_request rq = {.method = method,
                          .url = url,
                          .headers = hname ? &h : NULL,
                          .n_headers = hname ? 1 : 0,
                          .body = body,
                          .body_len = body ? strlen(body) : 0};
  ecsb_http_response r = {0};
  long st = -1;
  if (ecsb_http_do(c, &rq, &r, NULL) == 0) {
    st = r.status;
    if (out) {
      *out = r.body;
      r.body = NULL;
    }
  }
  ecsb_http_response_clear(&r);
  ecsb_http_client_free(c);
  return st;
}

static void test_acl_tokens_and_rights(void **state) {
  (void)state;
  static const char *const web_only[] = {"web", NULL};
  static const fcon_acl_token toks[] = {
      {.secret = "root", .master = true},
      {.secret = "web-tok", .services = web_only},
  };
  ecsb_err err = {0};
  fcon_server_config sc;
  fcon_server_config_default(&sc);
  sc.acl = (fcon_acl_config){true, toks, 2};
  fcon_server *srv = NULL;
  assert_int_equal(fcon_server_start(&sc, &srv, &err), 0);
  fcon_agent_config ac;
  fcon_agent_config_default(&ac);
  ac.server = srv;
  ac.join_on_start = true;
  ac.acl = sc.acl;
  fcon_agent *a = NULL;
  assert_int_equal(fcon_agent_start(&ac, &a, &err), 0);
  uint16_t ap = fcon_agent_port(a);
  const char *reg = "/v1/agent/service/register";
  char *b = NULL;
  assert_int_equal(
      call_tok(ap, "PUT", reg, "{\"Name\":\"web\"}", NULL, NULL, &b), 403);
  assert_string_equal(b, "Permission denied");
  free(b);
  assert_int_equal(call_tok(ap, "PUT", reg, "{\"Name\":\"web\"}",
                            "X-Consul-Token", "nope", &b),
                   403);
  assert_string_equal(b, "ACL not found");
  free(b);
  assert_int_equal(call_tok(ap, "PUT", reg, "{\"Name\":\"web\"}",
                            "X-Consul-Token", "web-tok", NULL),
                   200);
  assert_int_equal(call_tok(ap, "PUT", reg, "{\"Name\":\"db\"}",
                            "Authorization", "Bearer web-tok", &b),
                   403);
  assert_string_equal(b, "Permission denied");
  free(b);
  assert_int_equal(call_tok(ap, "PUT", reg, "{\"Name\":\"db\"}",
                            "Authorization", "Bearer root", NULL),
                   200);
  assert_int_equal(call_tok(ap, "GET", "/v1/health/service/web", NULL,
                            "X-Consul-Token", "web-tok", NULL),
                   200);
  assert_int_equal(call_tok(ap, "GET", "/v1/health/service/db", NULL,
                            "X-Consul-Token", "web-tok", NULL),
                   403);
  assert_int_equal(call_tok(ap, "GET", "/v1/agent/self", NULL, "X-Consul-Token",
                            "web-tok", NULL),
                   403);
  assert_int_equal(call_tok(ap, "GET", "/v1/agent/self", NULL, "X-Consul-Token",
                            "root", NULL),
                   200);
  assert_int_equal(call_tok(ap, "PUT", "/v1/agent/service/deregister/db", NULL,
                            "X-Consul-Token", "web-tok", NULL),
                   403);
  assert_int_equal(call_tok(fcon_server_port(srv), "GET",
                            "/v1/catalog/service/db", NULL, NULL, NULL, NULL),
                   403);
  assert_int_equal(call_tok(fcon_server_port(srv), "GET", "/v1/status/leader",
                            NULL, NULL, NULL, NULL),
                   200);
  fcon_agent_stop(a);
  fcon_server_stop(srv);
}

/* Consul's right for each endpoint ecsboot-init calls, with a service
 * identity's token (service:write on web and web-sidecar-proxy, read on
 * every service and node, no agent:read) and tokens for the other rules. */
static void test_acl_rules_per_endpoint(void **state) {
  (void)state;
  static const char *const si[] = {"web", "web-sidecar-proxy", NULL};
  static const char *const web_only[] = {"web", NULL};
  static const char *const every_node[] = {"", NULL};
  static const char *const other_node[] = {"other-node", NULL};
  static const fcon_acl_token toks[] = {
      {.secret = "root", .master = true},
      {.secret = "si", .services = si, .read_all = true},
      {.secret = "web-tok", .services = web_only},
      {.secret = "agent", .agents = every_node},
      {.secret = "agent-other", .agents = other_node},
  };
  static const struct {
    const char *method, *path, *body, *token;
    long want;
  } rows[] = {
      {"PUT", "/v1/agent/service/register",
       "{\"Name\":\"web\",\"ID\":\"web-1\",\"Port\":80,\"Check\":{"
       "\"CheckID\":\"web-ttl\",\"TTL\":\"100h\"}}",
       "si", 200},
      {"PUT", "/v1/agent/service/register",
       "{\"Name\":\"web-sidecar-proxy\",\"ID\":\"web-1-sidecar-proxy\","
       "\"Kind\":\"connect-proxy\",\"Port\":20000,\"Proxy\":{"
       "\"DestinationServiceName\":\"web\"}}",
       "si", 200},
      /* a proxy needs service:write on its destination too */
      {"PUT", "/v1/agent/service/register",
       "{\"Name\":\"web-sidecar-proxy\",\"ID\":\"px-db\",\"Kind\":"
       "\"connect-proxy\",\"Port\":20000,\"Proxy\":{"
       "\"DestinationServiceName\":\"db\"}}",
       "si", 403},
      {"PUT", "/v1/agent/service/register", "{\"Name\":\"db\",\"ID\":\"db-1\"}",
       "root", 200},
      /* replacing a registration needs write on the name it had */
      {"PUT", "/v1/agent/service/register",
       "{\"Name\":\"web\",\"ID\":\"db-1\"}", "si", 403},
      {"GET", "/v1/agent/service/web-1-sidecar-proxy", NULL, "si", 200},
      {"GET", "/v1/agent/service/db-1", NULL, "si", 200},
      {"GET", "/v1/agent/service/db-1", NULL, "web-tok", 403},
      {"GET", "/v1/agent/self", NULL, "si", 403},
      {"GET", "/v1/agent/self", NULL, "agent", 200},
      {"GET", "/v1/agent/self", NULL, "agent-other", 403},
      {"PUT", "/v1/agent/check/update/web-ttl", "{\"Status\":\"passing\"}",
       "si", 200},
      {"PUT", "/v1/agent/check/update/web-ttl", "{\"Status\":\"passing\"}",
       "agent", 403},
      {"GET", "/v1/health/service/db", NULL, "si", 200},
      {"PUT", "/v1/agent/service/deregister/db-1", NULL, "si", 403},
      {"PUT", "/v1/agent/service/deregister/web-1-sidecar-proxy", NULL, "si",
       200},
  };
  ecsb_err err = {0};
  fcon_server_config sc;
  fcon_server_config_default(&sc);
  sc.acl = (fcon_acl_config){true, toks, sizeof toks / sizeof toks[0]};
  fcon_server *srv = NULL;
  assert_int_equal(fcon_server_start(&sc, &srv, &err), 0);
  fcon_agent_config ac;
  fcon_agent_config_default(&ac);
  ac.server = srv;
  ac.join_on_start = true;
  ac.acl = sc.acl;
  fcon_agent *a = NULL;
  assert_int_equal(fcon_agent_start(&ac, &a, &err), 0);
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    char *b = NULL;
    long st = call_tok(fcon_agent_port(a), rows[i].method, rows[i].path,
                       rows[i].body, "X-Consul-Token", rows[i].token, &b);
    if (st != rows[i].want ||
        (st == 403 && strcmp(b ? b : "", "Permission denied") != 0))
      fail_msg("row %zu: %s %s with %s: %ld %s, want %ld", i, rows[i].method,
               rows[i].path, rows[i].token, st, b ? b : "", rows[i].want);
    free(b);
  }
  fcon_agent_stop(a);
  fcon_server_stop(srv);
}

typedef struct evlog {
  pthread_mutex_t mu;
  char text[4096];
} evlog;

static void log_event(void *u, const fcon_event *ev) {
  evlog *l = u;
  pthread_mutex_lock(&l->mu);
  size_t n = strlen(l->text);
  snprintf(l->text + n, sizeof l->text - n, "%d:%s;", (int)ev->kind,
           ev->detail ? ev->detail : "");
  pthread_mutex_unlock(&l->mu);
}

static void test_fail_next_n_and_latency(void **state) {
  (void)state;
  evlog log = {PTHREAD_MUTEX_INITIALIZER, ""};
  ecsb_err err = {0};
  fcon_agent_config ac;
  fcon_agent_config_default(&ac);
  ac.on_event = log_event;
  ac.event_user = &log;
  fcon_agent *a = NULL;
  assert_int_equal(fcon_agent_start(&ac, &a, &err), 0);
  uint16_t ap = fcon_agent_port(a);
  assert_int_equal(
      fcon_agent_fault_fail(a, "/v1/agent/services", 2, 503, "injected", &err),
      0);
  char *b = NULL;
  for (int i = 0; i < 2; i++) {
    assert_int_equal(fcon_tu_call(ap, "GET", "/v1/agent/services", NULL, &b),
                     503);
    assert_string_equal(b, "injected");
    free(b);
  }
  assert_int_equal(fcon_tu_call(ap, "GET", "/v1/agent/services", NULL, NULL),
                   200);
  /* Latency: the request still succeeds; the event log says it was
   * delayed (no assertion on elapsed time). */
  assert_int_equal(fcon_agent_fault_latency(a, "/v1/agent/self", 30, &err), 0);
  assert_int_equal(fcon_tu_call(ap, "GET", "/v1/agent/self", NULL, NULL), 200);
  assert_int_equal(fcon_agent_fault_latency(a, "bad", 30, &err), ECSB_EINVAL);
  fcon_agent_faults_clear(a);
  assert_int_equal(fcon_tu_call(ap, "GET", "/v1/agent/self", NULL, NULL), 200);
  fcon_agent_stop(a);
  char want[64];
  snprintf(want, sizeof want, "%d:fail /v1/agent/services;", FCON_EV_FAULT);
  assert_non_null(strstr(log.text, want));
  snprintf(want, sizeof want, "%d:latency /v1/agent/self;", FCON_EV_FAULT);
  const char *first = strstr(log.text, want);
  assert_non_null(first);
  assert_null(strstr(first + 1, want)); /* cleared: only once */
}

static void test_no_leader(void **state) {
  (void)state;
  fcon_tu t;
  fcon_tu_start(&t, true, 1.0);
  uint16_t sp = fcon_server_port(t.srv);
  fcon_server_fault_no_leader(t.srv, true);
  char *b = NULL;
  assert_int_equal(fcon_tu_call(sp, "GET", "/v1/status/leader", NULL, &b), 200);
  assert_string_equal(b, "\"\"");
  free(b);
  char kl[64];
  fcon_tu_call_h(NULL, sp, "GET", "/v1/catalog/services", NULL, NULL,
                 "X-Consul-KnownLeader", kl);
  assert_string_equal(kl, "false");
  fcon_server_faults_clear(t.srv);
  fcon_tu_call_h(NULL, sp, "GET", "/v1/catalog/services", NULL, NULL,
                 "X-Consul-KnownLeader", kl);
  assert_string_equal(kl, "true");
  assert_int_equal(
      fcon_server_fault_fail(t.srv, "/v1/health/", 1, 500, "rpc error", NULL),
      0);
  assert_int_equal(fcon_tu_call(sp, "GET", "/v1/health/service/x", NULL, NULL),
                   500);
  assert_int_equal(fcon_tu_call(sp, "GET", "/v1/health/service/x", NULL, NULL),
                   200);
  fcon_tu_stop(&t);
}

static void test_agent_down_refuses_then_up_keeps_state(void **state) {
  (void)state;
  fcon_tu t;
  fcon_tu_start(&t, true, 1.0);
  uint16_t ap = fcon_agent_port(t.agent);
  assert_int_equal(fcon_tu_call(ap, "PUT", "/v1/agent/service/register",
                                "{\"Name\":\"web\"}", NULL),
                   200);
  assert_int_equal(fcon_agent_down(t.agent, NULL), 0);
  assert_int_equal(fcon_tu_call(ap, "GET", "/v1/agent/services", NULL, NULL),
                   -1); /* transport error: refused */
  ecsb_err err = {0};
  assert_int_equal(fcon_agent_up(t.agent, &err), 0);
  assert_int_equal(fcon_agent_port(t.agent), ap);
  cJSON *s = fcon_tu_get_json(ap, "/v1/agent/services");
  assert_non_null(cJSON_GetObjectItem(s, "web"));
  cJSON_Delete(s);
  fcon_tu_stop(&t);
}

/* Started down, an agent listens only once told to, and the faults set
 * before that meet its first request (a stand-in applies its control
 * file that way). Its first opening is no fault event; a reopening is. */
static void test_agent_started_down_faults_first_request(void **state) {
  (void)state;
  evlog log = {PTHREAD_MUTEX_INITIALIZER, ""};
  ecsb_err err = {0};
  fcon_agent_config ac;
  fcon_agent_config_default(&ac);
  ac.start_down = true;
  ac.on_event = log_event;
  ac.event_user = &log;
  fcon_agent *a = NULL;
  assert_int_equal(fcon_agent_start(&ac, &a, &err), 0);
  assert_int_equal(fcon_agent_port(a), 0); /* nothing bound yet */
  assert_int_equal(fcon_agent_fault_fail(a, "/v1/agent/service/register", 1,
                                         500, "injected", &err),
                   0);
  assert_int_equal(fcon_agent_up(a, &err), 0);
  uint16_t ap = fcon_agent_port(a);
  assert_true(ap > 0);
  assert_int_equal(fcon_tu_call(ap, "PUT", "/v1/agent/service/register",
                                "{\"Name\":\"web\"}", NULL),
                   500);
  assert_int_equal(fcon_tu_call(ap, "PUT", "/v1/agent/service/register",
                                "{\"Name\":\"web\"}", NULL),
                   200);
  assert_null(strstr(log.text, "agent-up"));
  assert_int_equal(fcon_agent_down(a, &err), 0);
  assert_int_equal(fcon_agent_up(a, &err), 0);
  assert_int_equal(fcon_agent_port(a), ap);
  char want[64];
  snprintf(want, sizeof want, "%d:agent-down;%d:agent-up;", FCON_EV_FAULT,
           FCON_EV_FAULT);
  assert_non_null(strstr(log.text, want));
  fcon_agent_stop(a);
}

static void test_slow_join_still_joins(void **state) {
  (void)state;
  evlog log = {PTHREAD_MUTEX_INITIALIZER, ""};
  fcon_tu t;
  fcon_tu_start(&t, false, 1.0);
  ecsb_err err = {0};
  fcon_agent_fault_slow_join(t.agent, 20);
  fcon_agent_stop(t.agent);
  fcon_agent_config ac;
  fcon_agent_config_default(&ac);
  ac.server = t.srv;
  ac.on_event = log_event;
  ac.event_user = &log;
  assert_int_equal(fcon_agent_start(&ac, &t.agent, &err), 0);
  fcon_agent_fault_slow_join(t.agent, 20);
  assert_int_equal(fcon_agent_join(t.agent, t.srv, &err), 0);
  assert_true(fcon_agent_joined(t.agent));
  char want[64];
  snprintf(want, sizeof want, "%d:slow-join;%d:;", FCON_EV_FAULT, FCON_EV_JOIN);
  assert_non_null(strstr(log.text, want));
  fcon_tu_stop(&t);
}

static void test_events_for_lifecycle(void **state) {
  (void)state;
  evlog log = {PTHREAD_MUTEX_INITIALIZER, ""};
  ecsb_err err = {0};
  fcon_server *srv = NULL;
  assert_int_equal(fcon_server_start(NULL, &srv, &err), 0);
  fcon_agent_config ac;
  fcon_agent_config_default(&ac);
  ac.server = srv;
  ac.on_event = log_event;
  ac.event_user = &log;
  fcon_agent *a = NULL;
  assert_int_equal(fcon_agent_start(&ac, &a, &err), 0);
  uint16_t ap = fcon_agent_port(a);
  assert_int_equal(fcon_agent_join(a, srv, &err), 0);
  assert_int_equal(fcon_tu_call(ap, "PUT", "/v1/agent/service/register",
                                "{\"Name\":\"web\",\"Check\":{\"CheckID\":"
                                "\"c\",\"TTL\":\"1h\"}}",
                                NULL),
                   200);
  assert_int_equal(
      fcon_tu_call(ap, "PUT", "/v1/agent/check/pass/c", NULL, NULL), 200);
  assert_int_equal(
      fcon_tu_call(ap, "PUT", "/v1/agent/service/deregister/web", NULL, NULL),
      200);
  fcon_agent_leave(a);
  fcon_agent_stop(a);
  fcon_server_stop(srv);
  char want[128];
  snprintf(want, sizeof want, "%d:;%d:;%d:;%d:;%d:;", FCON_EV_JOIN,
           FCON_EV_REGISTER, FCON_EV_CHECK_STATUS, FCON_EV_DEREGISTER,
           FCON_EV_LEAVE);
  assert_string_equal(log.text, want);
}

int main(void) {
  ecsb_http_global_init(NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_acl_tokens_and_rights),
      cmocka_unit_test(test_acl_rules_per_endpoint),
      cmocka_unit_test(test_fail_next_n_and_latency),
      cmocka_unit_test(test_no_leader),
      cmocka_unit_test(test_agent_down_refuses_then_up_keeps_state),
      cmocka_unit_test(test_agent_started_down_faults_first_request),
      cmocka_unit_test(test_slow_join_still_joins),
      cmocka_unit_test(test_events_for_lifecycle),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  ecsb_http_global_cleanup();
  return rc;
}
