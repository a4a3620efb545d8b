/* test_httpd.c - the server wrapper: loopback-only binding, query and
 * header access, raw URI, body cap (413), response headers, requests that
 * may block kept off the epoll pool. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "ecsb/clock.h"
#include "ecsb/http.h"
#include "ecsb/httpd.h"

static void echo(void *user, const ecsb_httpd_req *req, ecsb_httpd_resp *resp) {
  (void)user;
  const char *wait = NULL;
  bool has_passing = ecsb_httpd_req_query(req, "passing", NULL);
  bool has_wait = ecsb_httpd_req_query(req, "wait", &wait);
  const char *tok = ecsb_httpd_req_header(req, "x-consul-token");
  char *out = malloc(1024);
  snprintf(out, 1024, "%s|%s|%s|passing=%d|wait=%s|tok=%s|len=%zu|ip=%s",
           req->method, req->path, req->raw_uri, has_passing,
           has_wait ? (wait ? wait : "(bare)") : "(none)", tok ? tok : "",
           req->body_len, req->local_ip);
  ecsb_httpd_resp_header(resp, "X-Consul-Index", "7");
  ecsb_httpd_resp_take(resp, 201, "text/plain", out);
}

static void test_refuses_non_loopback_bind(void **state) {
  (void)state;
  ecsb_httpd_opts o;
  ecsb_httpd_opts_default(&o);
  o.bind_ip = "0.0.0.0";
  ecsb_httpd *h = NULL;
  ecsb_err err = {0};
  assert_int_equal(ecsb_httpd_start(&o, echo, NULL, &h, &err), ECSB_EINVAL);
  assert_null(h);
  assert_non_null(strstr(err.msg, "0.0.0.0"));
  assert_true(ecsb_ip_is_loopback("127.1.2.3"));
  assert_true(ecsb_ip_is_loopback("::1"));
  assert_false(ecsb_ip_is_loopback("10.0.0.1"));
  assert_false(ecsb_ip_is_loopback("localhost"));
}

static void test_request_view_and_response(void **state) {
  (void)state;
  ecsb_httpd_opts o;
  ecsb_httpd_opts_default(&o);
  o.bind_ip = "127.0.0.1";
  o.max_body = 16;
  ecsb_httpd *h = NULL;
  ecsb_err err = {0};
  assert_int_equal(ecsb_httpd_start(&o, echo, NULL, &h, &err), 0);
  assert_true(ecsb_httpd_port(h) > 0);
  ecsb_http_client *c = ecsb_http_client_new(NULL, NULL);
  char url[200];
  snprintf(url, sizeof url,
           "http://127.0.0.1:%u/v1/health/service/web%%20x?passing&wait=5s",
           ecsb_httpd_port(h));
  ecsb_http_header hd[] = {{"X-Consul-Token", "abc"}};
  ecsb_http_request req = {.method = "PUT",
                           .url = url,
                           .headers = hd,
                           .n_headers = 1,
                           .body = "0123456789",
                           .body_len = 10};
  ecsb_http_response r;
  assert_int_equal(ecsb_http_do(c, &req, &r, &err), 0);
  assert_int_equal(r.status, 201);
  assert_string_equal(r.body,
                      "PUT|/v1/health/service/web x|/v1/health/service/"
                      "web%20x?passing&wait=5s|passing=1|wait=5s|tok=abc|"
                      "len=10|ip=127.0.0.1");
  assert_string_equal(ecsb_http_response_header(&r, "X-Consul-Index"), "7");
  ecsb_http_response_clear(&r);

  /* Over the body cap: 413 before the handler runs. */
  req.body = "01234567890123456789";
  req.body_len = 20;
  assert_int_equal(ecsb_http_do(c, &req, &r, &err), 0);
  assert_int_equal(r.status, 413);
  assert_non_null(strstr(r.body, "16 bytes"));
  ecsb_http_response_clear(&r);
  ecsb_http_client_free(c);
  ecsb_httpd_stop(h);
}

/* A body announced over the cap gets 413 from the headers alone: the
 * server neither waits for nor buffers a body it will refuse (a client
 * sending 2 MB used to make it grow a 1 MiB buffer first). Raw socket:
 * libcurl would not stop after the headers. */
static void test_announced_body_over_cap_is_refused_unread(void **state) {
  (void)state;
  ecsb_httpd_opts o;
  ecsb_httpd_opts_default(&o);
  o.max_body = 16;
  ecsb_httpd *h = NULL;
  ecsb_err err = {0};
  assert_int_equal(ecsb_httpd_start(&o, echo, NULL, &h, &err), 0);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct timeval tv = {.tv_sec = 2};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons(ecsb_httpd_port(h))};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
  const char *head = "PUT /x HTTP/1.1\r\nHost: x\r\n"
                     "Content-Length: 2097152\r\n\r\n";
  assert_int_equal(send(fd, head, strlen(head), 0), (ssize_t)strlen(head));
  char got[64] = "";
  ssize_t n = recv(fd, got, sizeof got - 1, 0);
  assert_true(n > 0); /* no body sent: an answer now, not a wait */
  got[n] = '\0';
  assert_memory_equal(got, "HTTP/1.1 413", 12);
  close(fd);
  ecsb_httpd_stop(h);
}

static void test_port_in_use_is_a_clear_error(void **state) {
  (void)state;
  ecsb_httpd *a = NULL, *b = NULL;
  ecsb_err err = {0};
  assert_int_equal(ecsb_httpd_start(NULL, echo, NULL, &a, &err), 0);
  ecsb_httpd_opts o;
  ecsb_httpd_opts_default(&o);
  o.port = ecsb_httpd_port(a);
  assert_int_equal(ecsb_httpd_start(&o, echo, NULL, &b, &err), ECSB_EIO);
  assert_null(b);
  char want[64];
  snprintf(want, sizeof want, "127.0.0.1:%u", o.port);
  assert_non_null(strstr(err.msg, want));
  ecsb_httpd_stop(a);
}

/* A handler that waits behind a gate, as a blocking query waits for a
 * change; the test opens the gate. */
typedef struct gate {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool open, waiting;
} gate;

/* One step of a bounded wait on cv: at most 100 ms. */
static void wait_100ms(pthread_cond_t *cv, pthread_mutex_t *mu) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_nsec += 100000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  pthread_cond_timedwait(cv, mu, &ts);
}

static void gate_wait(gate *g, bool *flag) { /* bounded: 10 s */
  for (int i = 0; !*flag && i < 100; i++)
    wait_100ms(&g->cv, &g->mu);
}

static void gated(void *user, const ecsb_httpd_req *req,
                  ecsb_httpd_resp *resp) {
  gate *g = user;
  if (strcmp(req->path, "/wait")) {
    ecsb_httpd_resp_textf(resp, 200, "fast %s", req->path);
    return;
  }
  pthread_mutex_lock(&g->mu);
  g->waiting = true;
  pthread_cond_broadcast(&g->cv);
  gate_wait(g, &g->open);
  bool open = g->open;
  pthread_mutex_unlock(&g->mu);
  const char *idx = NULL;
  ecsb_httpd_req_query(req, "index", &idx);
  ecsb_httpd_resp_textf(resp, open ? 200 : 504, "waited index=%s body=%s",
                        idx ? idx : "", req->body);
}

static bool gated_may_block(void *user, const ecsb_httpd_req *req) {
  (void)user;
  return ecsb_httpd_req_query(req, "index", NULL);
}

typedef struct waiter {
  char url[128];
  ecsb_http_response r;
  int rc;
} waiter;

static void *do_wait(void *arg) {
  waiter *w = arg;
  ecsb_http_client *c = ecsb_http_client_new(NULL, NULL);
  ecsb_http_request rq = {
      .method = "PUT", .url = w->url, .body = "abc", .body_len = 3};
  w->rc = ecsb_http_do(c, &rq, &w->r, NULL);
  ecsb_http_client_free(c);
  return NULL;
}

/* Starts a pool server and a client whose request waits at the gate. */
static ecsb_httpd *start_waiting(gate *g, unsigned threads, waiter *w,
                                 pthread_t *t) {
  pthread_mutex_init(&g->mu, NULL);
  pthread_cond_init(&g->cv, NULL);
  ecsb_httpd_opts o;
  ecsb_httpd_opts_default(&o);
  o.threads = threads;
  o.may_block = gated_may_block;
  ecsb_httpd *h = NULL;
  assert_int_equal(ecsb_httpd_start(&o, gated, g, &h, NULL), 0);
  snprintf(w->url, sizeof w->url, "http://127.0.0.1:%u/wait?index=42",
           ecsb_httpd_port(h));
  assert_int_equal(pthread_create(t, NULL, do_wait, w), 0);
  pthread_mutex_lock(&g->mu);
  gate_wait(g, &g->waiting);
  bool waiting = g->waiting;
  pthread_mutex_unlock(&g->mu);
  assert_true(waiting);
  return h;
}

static void open_gate(gate *g) {
  pthread_mutex_lock(&g->mu);
  g->open = true;
  pthread_cond_broadcast(&g->cv);
  pthread_mutex_unlock(&g->mu);
}

/* Pool mode with one thread: the waiting request runs on a thread of its
 * own, so the pool still answers everyone else; its own answer comes when
 * its handler returns, with the request (query, body) intact. */
static void test_blocking_request_leaves_the_pool_free(void **state) {
  (void)state;
  gate g = {0};
  waiter w = {0};
  pthread_t t;
  ecsb_httpd *h = start_waiting(&g, 1, &w, &t);
  ecsb_http_opts co;
  ecsb_http_opts_default(&co);
  co.timeout_ms = 3000;
  co.max_retries = 0;
  ecsb_http_client *c = ecsb_http_client_new(&co, NULL);
  char u[128];
  snprintf(u, sizeof u, "http://127.0.0.1:%u/other", ecsb_httpd_port(h));
  for (int i = 0; i < 20; i++) {
    ecsb_http_response r;
    assert_int_equal(ecsb_http_get(c, u, NULL, 0, &r, NULL), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "fast /other");
    ecsb_http_response_clear(&r);
  }
  ecsb_http_client_free(c);
  open_gate(&g);
  pthread_join(t, NULL);
  assert_int_equal(w.rc, 0);
  assert_int_equal(w.r.status, 200);
  assert_string_equal(w.r.body, "waited index=42 body=abc");
  ecsb_http_response_clear(&w.r);
  ecsb_httpd_stop(h);
  pthread_mutex_destroy(&g.mu);
  pthread_cond_destroy(&g.cv);
}

/* Stopping waits for an offloaded handler to answer (a suspended
 * connection cannot be closed), and the client still gets that answer. */
static void test_stop_waits_for_offloaded_handler(void **state) {
  (void)state;
  gate g = {0};
  waiter w = {0};
  pthread_t t;
  ecsb_httpd *h = start_waiting(&g, 2, &w, &t);
  open_gate(&g); /* what an application's stop does to its waits */
  ecsb_httpd_stop(h);
  pthread_join(t, NULL);
  assert_int_equal(w.rc, 0);
  assert_int_equal(w.r.status, 200);
  ecsb_http_response_clear(&w.r);
  pthread_mutex_destroy(&g.mu);
  pthread_cond_destroy(&g.cv);
}

/* What a served callback was told; the callback comes after the answer
 * went out, so the test waits for it (bounded). */
typedef struct served_log {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  char ip[8][64];
  int64_t cpu[8];
  int n;
} served_log;

static void on_served(void *user, const char *ip, int64_t cpu_us) {
  served_log *l = user;
  pthread_mutex_lock(&l->mu);
  if (l->n < 8) {
    snprintf(l->ip[l->n], sizeof l->ip[l->n], "%s", ip);
    l->cpu[l->n++] = cpu_us;
  }
  pthread_cond_broadcast(&l->cv);
  pthread_mutex_unlock(&l->mu);
}

/* /burn spends 20 ms of CPU; the handler reports what it measured. */
static void burner(void *user, const ecsb_httpd_req *req,
                   ecsb_httpd_resp *resp) {
  (void)user;
  int64_t a = ecsb_thread_cpu_us(), b = a;
  volatile uint64_t x = 0;
  while (!strcmp(req->path, "/burn") && (b = ecsb_thread_cpu_us()) - a < 20000)
    for (int i = 0; i < 1000; i++)
      x += (uint64_t)i;
  ecsb_httpd_resp_textf(resp, 200, "%lld", (long long)(b - a));
}

/* One request with ECSBOOT_TASK_IP set to task_ip (NULL: unset); returns
 * the CPU the handler measured and fills what the server was told. */
static int64_t served_request(served_log *l, ecsb_httpd *h, const char *host,
                              const char *query, const char *task_ip, char *ip,
                              int64_t *cpu) {
  if (task_ip)
    setenv(ECSB_TASK_IP_ENV, task_ip, 1);
  ecsb_http_client *c = ecsb_http_client_new(NULL, NULL);
  unsetenv(ECSB_TASK_IP_ENV);
  char url[128];
  snprintf(url, sizeof url, "http://%s:%u/burn%s", host, ecsb_httpd_port(h),
           query);
  ecsb_http_request rq = {.method = "GET", .url = url};
  ecsb_http_response r;
  ecsb_err err = {0};
  pthread_mutex_lock(&l->mu);
  int before = l->n;
  pthread_mutex_unlock(&l->mu);
  if (ecsb_http_do(c, &rq, &r, &err) != 0)
    fail_msg("GET %s: %s", url, err.msg);
  assert_int_equal(r.status, 200);
  int64_t burnt = strtoll(r.body, NULL, 10);
  ecsb_http_response_clear(&r);
  ecsb_http_client_free(c); /* closes the connection */
  pthread_mutex_lock(&l->mu);
  for (int i = 0; l->n == before && i < 100; i++) /* bounded: 10 s */
    wait_100ms(&l->cv, &l->mu);
  assert_int_equal(l->n, before + 1);
  snprintf(ip, 64, "%s", l->ip[before]);
  *cpu = l->cpu[before];
  pthread_mutex_unlock(&l->mu);
  return burnt;
}

/* The server tells who called (the client's address: ECSBOOT_TASK_IP,
 * which a client in a simulated task connects from) and how much CPU the
 * answer took, in either threading mode, an offloaded handler's included;
 * a task address outside 127.0.0.0/8 is ignored. */
static void test_served_names_the_caller_and_the_cpu_it_took(void **state) {
  (void)state;
  /* one thread per connection, the pool, a handler offloaded from it */
  for (int mode = 0; mode < 3; mode++) {
    const char *q = mode == 2 ? "?index=1" : "";
    served_log l = {.n = 0};
    pthread_mutex_init(&l.mu, NULL);
    pthread_cond_init(&l.cv, NULL);
    ecsb_httpd_opts o;
    ecsb_httpd_opts_default(&o);
    o.threads = mode ? 1 : 0;
    o.served = on_served;
    o.served_user = &l;
    o.may_block = gated_may_block; /* pool only: ?index= is offloaded */
    ecsb_httpd *h = NULL;
    assert_int_equal(ecsb_httpd_start(&o, burner, NULL, &h, NULL), 0);
    char ip[64];
    int64_t cpu = 0;
    int64_t burnt =
        served_request(&l, h, "127.0.0.1", q, "127.0.0.7", ip, &cpu);
    assert_string_equal(ip, "127.0.0.7");
    if (burnt < 20000 || cpu < burnt)
      fail_msg("mode %d: the handler burnt %lld us, the server was told "
               "%lld us",
               mode, (long long)burnt, (long long)cpu);
    served_request(&l, h, "localhost", q, "127.0.0.8", ip, &cpu);
    assert_string_equal(ip, "127.0.0.8");
    served_request(&l, h, "127.0.0.1", q, "10.0.0.7", ip, &cpu);
    assert_string_equal(ip, "127.0.0.1");
    served_request(&l, h, "127.0.0.1", q, NULL, ip, &cpu);
    assert_string_equal(ip, "127.0.0.1");
    ecsb_httpd_stop(h);
    pthread_mutex_destroy(&l.mu);
    pthread_cond_destroy(&l.cv);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_refuses_non_loopback_bind),
      cmocka_unit_test(test_request_view_and_response),
      cmocka_unit_test(test_announced_body_over_cap_is_refused_unread),
      cmocka_unit_test(test_port_in_use_is_a_clear_error),
      cmocka_unit_test(test_blocking_request_leaves_the_pool_free),
      cmocka_unit_test(test_stop_waits_for_offloaded_handler),
      cmocka_unit_test(test_served_names_the_caller_and_the_cpu_it_took),
  };
  ecsb_http_global_init(NULL);
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  ecsb_http_global_cleanup();
  return rc;
}
