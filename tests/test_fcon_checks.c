/*
 * test_fcon_checks.c - the fake-consul check runner with short (time-scaled)
 * intervals: TTL expiry, TCP, HTTP (2xx, 429, 5xx), alias, the
 * SuccessBeforePassing / FailuresBeforeCritical counters, and
 * DeregisterCriticalServiceAfter. Each wait polls for the expected state
 * with a bounded deadline; nothing asserts on elapsed time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ecsb/clock.h"
#include "ecsb/http.h"
#include "ecsb/httpd.h"
#include "fcon_testutil.h"

typedef struct want {
  fcon_agent *a;
  const char *id;
  const char *status;
} want;

static bool has_status(void *u) {
  want *w = u;
  char st[16];
  return fcon_agent_check_status(w->a, w->id, st, sizeof st, NULL) == 0 &&
         !strcmp(st, w->status);
}

static void wait_status(fcon_agent *a, const char *id, const char *status) {
  want w = {a, id, status};
  if (!fcon_tu_wait(has_status, &w)) {
    char st[16] = "(none)";
    fcon_agent_check_status(a, id, st, sizeof st, NULL);
    fail_msg("check %s: want %s, have %s", id, status, st);
  }
}

static void put_ok(uint16_t port, const char *path, const char *body) {
  char *b = NULL;
  long st = fcon_tu_call(port, "PUT", path, body, &b);
  if (st != 200)
    fail_msg("PUT %s: %ld %s", path, st, b ? b : "");
  free(b);
}

static void test_ttl_expires_to_critical(void **state) {
  (void)state;
  fcon_tu t;
  fcon_tu_start(&t, true, 0.01); /* 1s TTL -> 10 ms */
  uint16_t ap = fcon_agent_port(t.agent);
  put_ok(ap, "/v1/agent/check/register",
         "{\"Name\":\"t\",\"TTL\":\"1s\",\"Status\":\"passing\"}");
  wait_status(t.agent, "t", "critical");
  char *b = NULL;
  fcon_tu_call(ap, "GET", "/v1/agent/checks", NULL, &b);
  assert_non_null(strstr(b, "TTL expired"));
  free(b);
  fcon_tu_stop(&t);
}

static int64_t test_clock(void *ctx) {
  return atomic_load((_Atomic int64_t *)ctx) * 1000;
}

/* An agent on the test's clock (*now, in ms); scale 0: time_scale 1. */
static fcon_agent *clocked_agent(_Atomic int64_t *now, const char *node,
                                 double scale, uint64_t stagger_seed) {
  fcon_agent_config ac;
  fcon_agent_config_default(&ac);
  ac.node_name = node;
  if (scale > 0)
    ac.time_scale = scale;
  ac.clock_us = test_clock;
  ac.clock_ctx = now;
  ac.check_stagger_seed = stagger_seed;
  fcon_agent *a = NULL;
  ecsb_err err = {0};
  if (fcon_agent_start(&ac, &a, &err))
    fail_msg("agent: %s", err.msg);
  return a;
}

/* With a clock of its own (a task's clock in a replay), the agent's TTLs
 * follow that clock, not the wall: a TTL of 10 ms does not expire while
 * the clock stands still, however long that is, and does once it moves. */
static void test_ttl_follows_agent_clock(void **state) {
  (void)state;
  _Atomic int64_t now = 1000000;
  fcon_agent *a = clocked_agent(&now, "node-clock", 0.01, 0); /* TTL 10 ms */
  put_ok(fcon_agent_port(a), "/v1/agent/check/register",
         "{\"Name\":\"t\",\"TTL\":\"1s\",\"Status\":\"passing\"}");
  usleep(200 * 1000); /* twenty TTLs of wall time */
  char st[16] = "";
  assert_int_equal(fcon_agent_check_status(a, "t", st, sizeof st, NULL), 0);
  assert_string_equal(st, "passing");
  atomic_fetch_add(&now, 11);
  wait_status(a, "t", "critical");
  fcon_agent_stop(a);
}

static uint16_t closed_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_addr.s_addr = htonl(0x7f000001)};
  socklen_t l = sizeof sa;
  assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  getsockname(fd, (struct sockaddr *)&sa, &l);
  close(fd);
  return ntohs(sa.sin_port);
}

static void test_tcp_check_follows_listener(void **state) {
  (void)state;
  fcon_tu t;
  fcon_tu_start(&t, true, 0.01);
  uint16_t ap = fcon_agent_port(t.agent);
  char body[256];
  snprintf(body, sizeof body,
           "{\"Name\":\"up\",\"TCP\":\"127.0.0.1:%u\",\"Interval\":\"1s\"}",
           fcon_server_port(t.srv));
  put_ok(ap, "/v1/agent/check/register", body);
  wait_status(t.agent, "up", "passing");
  snprintf(body, sizeof body,
           "{\"Name\":\"down\",\"TCP\":\"127.0.0.1:%u\",\"Interval\":\"1s\","
           "\"Status\":\"passing\"}",
           closed_port());
  put_ok(ap, "/v1/agent/check/register", body);
  wait_status(t.agent, "down", "critical");
  fcon_tu_stop(&t);
}

static void status_handler(void *user, const ecsb_httpd_req *req,
                           ecsb_httpd_resp *resp) {
  (void)req;
  atomic_int *st = user;
  ecsb_httpd_resp_textf(resp, atomic_load(st), "status");
}

static void listen_on(int *fd, uint16_t *port) {
  *fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_addr.s_addr = htonl(0x7f000001)};
  socklen_t l = sizeof sa;
  assert_int_equal(bind(*fd, (struct sockaddr *)&sa, sizeof sa), 0);
  assert_int_equal(listen(*fd, 16), 0);
  getsockname(*fd, (struct sockaddr *)&sa, &l);
  *port = ntohs(sa.sin_port);
}

/* With a stagger seed, a TCP check's first run waits the stagger drawn
 * from that seed (as Consul's lib.RandomStagger, in [0, interval)), on the
 * agent's clock; without one it runs at once. */
static void test_first_run_staggered_by_seed(void **state) {
  (void)state;
  int lfd;
  uint16_t lport;
  listen_on(&lfd, &lport);
  char body[256];
  snprintf(body, sizeof body,
           "{\"Name\":\"up\",\"TCP\":\"127.0.0.1:%u\",\"Interval\":\"10s\"}",
           lport);
  /* the stagger the agent will draw: the first of the seed's sequence */
  uint64_t seed = 41, stagger = 0;
  do {
    ecsb_rng g;
    ecsb_rng_seed(&g, ++seed);
    stagger = ecsb_rng_below(&g, 10000);
  } while (stagger < 2);
  for (int staggered = 0; staggered < 2; staggered++) {
    _Atomic int64_t now = 1000000;
    fcon_agent *a =
        clocked_agent(&now, "node-stagger", 0, staggered ? seed : 0);
    put_ok(fcon_agent_port(a), "/v1/agent/check/register", body);
    if (!staggered) {
      wait_status(a, "up", "passing"); /* at once: the clock stands still */
      fcon_agent_stop(a);
      continue;
    }
    atomic_fetch_add(&now, (int64_t)stagger - 1);
    usleep(100 * 1000); /* ten of the runner's idle wake-ups */
    char st[16] = "";
    assert_int_equal(fcon_agent_check_status(a, "up", st, sizeof st, NULL), 0);
    assert_string_equal(st, "critical");
    atomic_fetch_add(&now, 1);
    wait_status(a, "up", "passing");
    fcon_agent_stop(a);
  }
  close(lfd);
}

static void counting_handler(void *user, const ecsb_httpd_req *req,
                             ecsb_httpd_resp *resp) {
  (void)req;
  atomic_fetch_add((atomic_int *)user, 1);
  ecsb_httpd_resp_textf(resp, 200, "ok");
}

typedef struct hits_want {
  atomic_int *hits;
  int n;
} hits_want;

/* A loopback server for a check to call, answering with fn. */
static ecsb_httpd *check_target(ecsb_httpd_handler fn, void *user) {
  ecsb_httpd_opts o;
  ecsb_httpd_opts_default(&o);
  ecsb_httpd *h = NULL;
  assert_int_equal(ecsb_httpd_start(&o, fn, user, &h, NULL), 0);
  return h;
}

static bool has_hits(void *u) {
  const hits_want *w = u;
  return atomic_load(w->hits) >= w->n;
}

/* A check runs on a steady cadence from its first run, as a ticker
 * would: a run that came late (here 7 ms of the agent's clock) does not
 * push back the ones after it, which at time_scale 0.01 would add 0.7 s
 * of scenario time per run. */
static void test_checks_run_on_a_steady_cadence(void **state) {
  (void)state;
  atomic_int hits = 0;
  ecsb_httpd *h = check_target(counting_handler, &hits);
  _Atomic int64_t now = 1000000;
  fcon_agent *a = clocked_agent(&now, "node-cadence", 0, 0);
  char body[256];
  snprintf(body, sizeof body,
           "{\"Name\":\"c\",\"HTTP\":\"http://127.0.0.1:%u/\","
           "\"Interval\":\"10s\"}",
           ecsb_httpd_port(h));
  put_ok(fcon_agent_port(a), "/v1/agent/check/register", body);
  hits_want w = {&hits, 1};
  assert_true(fcon_tu_wait(has_hits, &w)); /* at once: no stagger */
  atomic_fetch_add(&now, 10007);           /* the second run, 7 ms late */
  w.n = 2;
  assert_true(fcon_tu_wait(has_hits, &w));
  atomic_fetch_add(&now, 9993 - 1);
  usleep(100 * 1000);
  assert_int_equal(atomic_load(&hits), 2);
  atomic_fetch_add(&now, 1); /* 20 s after the first run: the third */
  w.n = 3;
  if (!fcon_tu_wait(has_hits, &w))
    fail_msg("the third run did not come 20 s after the first (%d runs)",
             atomic_load(&hits));
  fcon_agent_stop(a);
  ecsb_httpd_stop(h);
}

static void test_http_check_maps_status(void **state) {
  (void)state;
  atomic_int code = 200;
  ecsb_httpd *h = check_target(status_handler, &code);
  fcon_tu t;
  fcon_tu_start(&t, true, 0.01);
  uint16_t ap = fcon_agent_port(t.agent);
  char body[256];
  snprintf(body, sizeof body,
           "{\"Name\":\"h\",\"HTTP\":\"http://127.0.0.1:%u/health\","
           "\"Interval\":\"1s\",\"Timeout\":\"100s\"}",
           ecsb_httpd_port(h));
  put_ok(ap, "/v1/agent/check/register", body);
  wait_status(t.agent, "h", "passing");
  atomic_store(&code, 429);
  wait_status(t.agent, "h", "warning");
  atomic_store(&code, 503);
  wait_status(t.agent, "h", "critical");
  atomic_store(&code, 204);
  wait_status(t.agent, "h", "passing");
  fcon_tu_stop(&t);
  ecsb_httpd_stop(h);
}

static void test_alias_mirrors_service(void **state) {
  (void)state;
  fcon_tu t;
  fcon_tu_start(&t, true, 1.0);
  uint16_t ap = fcon_agent_port(t.agent);
  put_ok(ap, "/v1/agent/service/register",
         "{\"Name\":\"app\",\"Check\":{\"CheckID\":\"app-ttl\","
         "\"TTL\":\"1h\"}}");
  put_ok(ap, "/v1/agent/check/register",
         "{\"Name\":\"al\",\"AliasService\":\"app\"}");
  wait_status(t.agent, "al", "critical");
  put_ok(ap, "/v1/agent/check/pass/app-ttl", NULL);
  wait_status(t.agent, "al", "passing");
  put_ok(ap, "/v1/agent/check/warn/app-ttl", NULL);
  wait_status(t.agent, "al", "warning");
  put_ok(ap, "/v1/agent/service/deregister/app", NULL);
  wait_status(t.agent, "al", "critical");
  fcon_tu_stop(&t);
}

typedef struct flappy {
  atomic_int hits;
  atomic_int flap; /* 1: alternate 200/500; 0: always 200 */
} flappy;

static void flap_handler(void *user, const ecsb_httpd_req *req,
                         ecsb_httpd_resp *resp) {
  (void)req;
  flappy *f = user;
  int n = atomic_fetch_add(&f->hits, 1);
  int code = atomic_load(&f->flap) && n % 2 ? 500 : 200;
  ecsb_httpd_resp_textf(resp, code, "flap");
}

static bool ten_hits(void *u) {
  flappy *f = u;
  return atomic_load(&f->hits) >= 10;
}

typedef struct events {
  atomic_int critical, passing, dereg;
} events;

static void on_event(void *u, const fcon_event *ev) {
  events *e = u;
  if (ev->kind == FCON_EV_CHECK_STATUS && !strcmp(ev->status, "critical"))
    atomic_fetch_add(&e->critical, 1);
  if (ev->kind == FCON_EV_CHECK_STATUS && !strcmp(ev->status, "passing"))
    atomic_fetch_add(&e->passing, 1);
  if (ev->kind == FCON_EV_DEREGISTER)
    atomic_fetch_add(&e->dereg, 1);
}

static void test_success_and_failure_counters(void **state) {
  (void)state;
  flappy f = {0};
  atomic_store(&f.flap, 1);
  ecsb_httpd *h = check_target(flap_handler, &f);
  events ev = {0};
  ecsb_err err = {0};
  fcon_agent_config ac;
  fcon_agent_config_default(&ac);
  ac.time_scale = 0.01;
  ac.on_event = on_event;
  ac.event_user = &ev;
  fcon_agent *a = NULL;
  assert_int_equal(fcon_agent_start(&ac, &a, &err), 0);
  char body[320];
  snprintf(body, sizeof body,
           "{\"Name\":\"h\",\"HTTP\":\"http://127.0.0.1:%u/\","
           "\"Interval\":\"1s\",\"SuccessBeforePassing\":2,"
           "\"FailuresBeforeCritical\":2}",
           ecsb_httpd_port(h));
  put_ok(fcon_agent_port(a), "/v1/agent/check/register", body);
  /* Alternating results never reach two in a row: still critical. */
  assert_true(fcon_tu_wait(ten_hits, &f));
  char st[16];
  fcon_agent_check_status(a, "h", st, sizeof st, NULL);
  assert_string_equal(st, "critical");
  assert_int_equal(atomic_load(&ev.passing), 0);
  atomic_store(&f.flap, 0);
  wait_status(a, "h", "passing");
  assert_int_equal(atomic_load(&ev.passing), 1);
  fcon_agent_stop(a);
  ecsb_httpd_stop(h);
}

static bool dereg_seen(void *u) {
  events *e = u;
  return atomic_load(&e->dereg) > 0;
}

static void test_deregister_critical_service_after(void **state) {
  (void)state;
  events ev = {0};
  ecsb_err err = {0};
  fcon_agent_config ac;
  fcon_agent_config_default(&ac);
  ac.time_scale = 0.001; /* 10m -> 600 ms */
  ac.on_event = on_event;
  ac.event_user = &ev;
  fcon_agent *a = NULL;
  assert_int_equal(fcon_agent_start(&ac, &a, &err), 0);
  put_ok(fcon_agent_port(a), "/v1/agent/service/register",
         "{\"Name\":\"gone\",\"Check\":{\"TTL\":\"1h\","
         "\"DeregisterCriticalServiceAfter\":\"10m\"}}");
  assert_true(fcon_tu_wait(dereg_seen, &ev));
  cJSON *s = fcon_tu_get_json(fcon_agent_port(a), "/v1/agent/services");
  assert_int_equal(cJSON_GetArraySize(s), 0);
  cJSON_Delete(s);
  fcon_agent_stop(a);
}

int main(void) {
  ecsb_http_global_init(NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ttl_expires_to_critical),
      cmocka_unit_test(test_ttl_follows_agent_clock),
      cmocka_unit_test(test_tcp_check_follows_listener),
      cmocka_unit_test(test_first_run_staggered_by_seed),
      cmocka_unit_test(test_checks_run_on_a_steady_cadence),
      cmocka_unit_test(test_http_check_maps_status),
      cmocka_unit_test(test_alias_mirrors_service),
      cmocka_unit_test(test_success_and_failure_counters),
      cmocka_unit_test(test_deregister_critical_service_after),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  ecsb_http_global_cleanup();
  return rc;
}
