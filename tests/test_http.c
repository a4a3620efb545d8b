/* test_http.c - the libcurl client against an in-process httpd server:
 * retries and their bounds, timeouts (on a followed task clock too), the
 * body cap, headers, methods. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ecsb/clock.h"
#include "ecsb/http.h"
#include "ecsb/httpd.h"
#include "ecsb/taskclock.h"

typedef struct srv {
  ecsb_httpd *h;
  char base[64];
  pthread_mutex_t mu;
  int hits;       /* requests seen on /flaky */
  int fail_first; /* /flaky answers 503 this many times */
  char last_method[16];
  char last_body[256];
  char last_header[256];
} srv;

static void handler(void *user, const ecsb_httpd_req *req,
                    ecsb_httpd_resp *resp) {
  srv *s = user;
  pthread_mutex_lock(&s->mu);
  snprintf(s->last_method, sizeof s->last_method, "%s", req->method);
  snprintf(s->last_body, sizeof s->last_body, "%s", req->body);
  const char *hv = ecsb_httpd_req_header(req, "X-Test");
  snprintf(s->last_header, sizeof s->last_header, "%s", hv ? hv : "");
  pthread_mutex_unlock(&s->mu);
  if (strcmp(req->path, "/ok") == 0) {
    ecsb_httpd_resp_header(resp, "X-Answer", "42");
    ecsb_httpd_resp_set(resp, 200, "application/json", "{\"ok\":true}", 11);
  } else if (strcmp(req->path, "/flaky") == 0) {
    pthread_mutex_lock(&s->mu);
    int n = ++s->hits;
    pthread_mutex_unlock(&s->mu);
    if (n <= s->fail_first)
      ecsb_httpd_resp_textf(resp, 503, "try later %d", n);
    else
      ecsb_httpd_resp_textf(resp, 200, "ok after %d", n);
  } else if (strcmp(req->path, "/missing") == 0) {
    pthread_mutex_lock(&s->mu);
    s->hits++;
    pthread_mutex_unlock(&s->mu);
    ecsb_httpd_resp_textf(resp, 404, "no such thing");
  } else if (strcmp(req->path, "/throttle") == 0) {
    pthread_mutex_lock(&s->mu);
    s->hits++;
    pthread_mutex_unlock(&s->mu);
    ecsb_httpd_resp_textf(resp, 429, "slow down");
  } else if (strcmp(req->path, "/slow") == 0) {
    ecsb_sleep_ms(1500, NULL);
    ecsb_httpd_resp_textf(resp, 200, "late");
  } else if (strcmp(req->path, "/slow-host") == 0) {
    usleep(150000); /* on the host's clock, whatever the process follows */
    ecsb_httpd_resp_textf(resp, 200, "late");
  } else if (strcmp(req->path, "/big") == 0) {
    char *b = malloc(64 * 1024 + 1);
    memset(b, 'x', 64 * 1024);
    b[64 * 1024] = '\0';
    ecsb_httpd_resp_take(resp, 200, "text/plain", b);
  } else {
    ecsb_httpd_resp_textf(resp, 404, "unknown path %s", req->path);
  }
}

static int setup(void **state) {
  srv *s = calloc(1, sizeof *s);
  pthread_mutex_init(&s->mu, NULL);
  ecsb_httpd_opts o;
  ecsb_httpd_opts_default(&o);
  ecsb_err err = {0};
  if (ecsb_httpd_start(&o, handler, s, &s->h, &err) != 0) {
    fprintf(stderr, "httpd: %s\n", err.msg);
    return -1;
  }
  snprintf(s->base, sizeof s->base, "http://127.0.0.1:%u",
           ecsb_httpd_port(s->h));
  *state = s;
  return 0;
}

static int teardown(void **state) {
  srv *s = *state;
  ecsb_httpd_stop(s->h);
  pthread_mutex_destroy(&s->mu);
  free(s);
  return 0;
}

static ecsb_http_client *client(int retries, long timeout_ms, size_t max_body) {
  ecsb_http_opts o;
  ecsb_http_opts_default(&o);
  o.max_retries = retries;
  o.timeout_ms = timeout_ms;
  o.backoff_base_ms = 1;
  o.backoff_cap_ms = 5;
  o.jitter_seed = 7;
  if (max_body)
    o.max_body = max_body;
  ecsb_err err = {0};
  ecsb_http_client *c = ecsb_http_client_new(&o, &err);
  assert_non_null(c);
  return c;
}

static void url(srv *s, char *buf, size_t cap, const char *path) {
  snprintf(buf, cap, "%s%s", s->base, path);
}

static void test_get_returns_status_body_and_headers(void **state) {
  srv *s = *state;
  ecsb_http_client *c = client(0, 2000, 0);
  char u[128];
  url(s, u, sizeof u, "/ok");
  ecsb_http_header h[] = {{"X-Test", "hello"}};
  ecsb_http_response r;
  ecsb_err err = {0};
  assert_int_equal(ecsb_http_get(c, u, h, 1, &r, &err), 0);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "{\"ok\":true}");
  assert_int_equal(r.body_len, 11);
  assert_int_equal(r.attempts, 1);
  assert_string_equal(ecsb_http_response_header(&r, "x-answer"), "42");
  assert_string_equal(ecsb_http_response_header(&r, "Content-Type"),
                      "application/json");
  assert_null(ecsb_http_response_header(&r, "X-Nope"));
  assert_string_equal(s->last_header, "hello");
  ecsb_http_response_clear(&r);
  ecsb_http_client_free(c);
}

static void test_put_sends_method_and_body(void **state) {
  srv *s = *state;
  ecsb_http_client *c = client(0, 2000, 0);
  char u[128];
  url(s, u, sizeof u, "/ok");
  const char *body = "{\"Name\":\"web\"}";
  ecsb_http_request req = {
      .method = "PUT", .url = u, .body = body, .body_len = strlen(body)};
  ecsb_http_response r;
  ecsb_err err = {0};
  assert_int_equal(ecsb_http_do(c, &req, &r, &err), 0);
  assert_int_equal(r.status, 200);
  assert_string_equal(s->last_method, "PUT");
  assert_string_equal(s->last_body, body);
  ecsb_http_response_clear(&r);
  ecsb_http_client_free(c);
}

static void test_retries_5xx_until_success(void **state) {
  srv *s = *state;
  s->hits = 0;
  s->fail_first = 3;
  ecsb_http_client *c = client(5, 2000, 0);
  char u[128];
  url(s, u, sizeof u, "/flaky");
  ecsb_http_response r;
  ecsb_err err = {0};
  assert_int_equal(ecsb_http_get(c, u, NULL, 0, &r, &err), 0);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.attempts, 4);
  assert_string_equal(r.body, "ok after 4");
  assert_int_equal(ecsb_http_client_requests(c), 4);
  ecsb_http_response_clear(&r);
  ecsb_http_client_free(c);
}

static void test_retries_are_bounded_and_last_response_returned(void **state) {
  srv *s = *state;
  s->hits = 0;
  s->fail_first = 100;
  ecsb_http_client *c = client(2, 2000, 0);
  char u[128];
  url(s, u, sizeof u, "/flaky");
  ecsb_http_response r;
  ecsb_err err = {0};
  assert_int_equal(ecsb_http_get(c, u, NULL, 0, &r, &err), 0);
  assert_int_equal(r.status, 503);
  assert_int_equal(r.attempts, 3);
  assert_int_equal(s->hits, 3);
  ecsb_http_response_clear(&r);
  ecsb_http_client_free(c);
}

static void test_4xx_is_not_retried(void **state) {
  srv *s = *state;
  s->hits = 0;
  ecsb_http_client *c = client(3, 2000, 0);
  char u[128];
  url(s, u, sizeof u, "/missing");
  ecsb_http_response r;
  ecsb_err err = {0};
  assert_int_equal(ecsb_http_get(c, u, NULL, 0, &r, &err), 0);
  assert_int_equal(r.status, 404);
  assert_int_equal(r.attempts, 1);
  assert_int_equal(s->hits, 1);
  ecsb_http_response_clear(&r);
  ecsb_http_client_free(c);
}

static ecsb_http_retry never_retry(const ecsb_http_response *r, void *u) {
  (void)r;
  int *calls = u;
  (*calls)++;
  return ECSB_HTTP_DONE;
}

static void test_custom_retry_policy_decides(void **state) {
  srv *s = *state;
  s->hits = 0;
  int calls = 0;
  ecsb_http_opts o;
  ecsb_http_opts_default(&o);
  o.max_retries = 3;
  o.retry_fn = never_retry;
  o.retry_user = &calls;
  ecsb_http_client *c = ecsb_http_client_new(&o, NULL);
  char u[128];
  url(s, u, sizeof u, "/throttle");
  ecsb_http_response r;
  assert_int_equal(ecsb_http_get(c, u, NULL, 0, &r, NULL), 0);
  assert_int_equal(r.status, 429);
  assert_int_equal(r.attempts, 1);
  assert_int_equal(calls, 1);
  ecsb_http_response_clear(&r);
  ecsb_http_client_free(c);
}

static void test_timeout_names_url(void **state) {
  srv *s = *state;
  ecsb_http_client *c = client(0, 200, 0);
  char u[128];
  url(s, u, sizeof u, "/slow");
  ecsb_http_response r;
  ecsb_err err = {0};
  /* ETIMEDOUT (not a 200 "late") proves the client gave up first. */
  assert_int_equal(ecsb_http_get(c, u, NULL, 0, &r, &err), ECSB_ETIMEDOUT);
  assert_non_null(strstr(err.msg, u));
  assert_non_null(strstr(err.msg, "GET"));
  ecsb_http_response_clear(&r);
  ecsb_http_client_free(c);
}

/* In a replay a request's timeout is on the task's clock: while the
 * runner holds it, an answer 150 ms late on the host's clock is in time
 * for a 50 ms timeout; on a running clock it is not. */
static void test_timeout_follows_the_task_clock(void **state) {
  srv *s = *state;
  char path[] = "/tmp/ecsb-http-clock-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  ecsb_taskclock *tc = NULL;
  ecsb_err err = {0};
  assert_int_equal(ecsb_taskclock_create(path, &tc, &err), 0);
  ecsb_http_client *c = client(0, 50, 0);
  char u[128];
  url(s, u, sizeof u, "/slow-host");
  ecsb_clock_follow(tc);
  ecsb_taskclock_hold(tc, ecsb_taskclock_now_us(tc));
  ecsb_http_response r;
  assert_int_equal(ecsb_http_get(c, u, NULL, 0, &r, &err), 0);
  assert_int_equal(r.status, 200);
  ecsb_http_response_clear(&r);
  ecsb_taskclock_release(tc);
  assert_int_equal(ecsb_http_get(c, u, NULL, 0, &r, &err), ECSB_ETIMEDOUT);
  assert_non_null(strstr(err.msg, "of task time"));
  ecsb_http_response_clear(&r);
  ecsb_clock_follow(NULL);
  ecsb_http_client_free(c);
  ecsb_taskclock_free(tc);
  unlink(path);
}

static void test_body_cap_is_enforced(void **state) {
  srv *s = *state;
  ecsb_http_client *c = client(3, 2000, 1024);
  char u[128];
  url(s, u, sizeof u, "/big");
  ecsb_http_response r;
  ecsb_err err = {0};
  assert_int_equal(ecsb_http_get(c, u, NULL, 0, &r, &err), ECSB_ETOOBIG);
  assert_non_null(strstr(err.msg, "1024"));
  assert_non_null(strstr(err.msg, u));
  /* A size-cap failure is not retried: the peer would send the same. */
  assert_int_equal(ecsb_http_client_requests(c), 1);
  assert_null(r.body);
  ecsb_http_response_clear(&r);
  ecsb_http_client_free(c);
}

static void test_connection_refused_retries_then_fails(void **state) {
  (void)state;
  /* Find a port nobody listens on: start and stop a server. */
  ecsb_httpd *h = NULL;
  assert_int_equal(ecsb_httpd_start(NULL, handler, NULL, &h, NULL), 0);
  uint16_t port = ecsb_httpd_port(h);
  ecsb_httpd_stop(h);
  ecsb_http_client *c = client(2, 2000, 0);
  char u[128];
  snprintf(u, sizeof u, "http://127.0.0.1:%u/ok", port);
  ecsb_http_response r;
  ecsb_err err = {0};
  assert_int_equal(ecsb_http_get(c, u, NULL, 0, &r, &err), ECSB_ETRANSPORT);
  assert_int_equal(r.attempts, 3);
  assert_int_equal(ecsb_http_client_requests(c), 3);
  assert_non_null(strstr(err.msg, "after 3 attempts"));
  assert_non_null(strstr(err.msg, u));
  ecsb_http_response_clear(&r);
  ecsb_http_client_free(c);
}

static void test_tls_refusal_is_final(void **state) {
  srv *s = *state;
  ecsb_http_opts o;
  ecsb_http_opts_default(&o);
  o.max_retries = 3;
  o.backoff_base_ms = 1;
  o.backoff_cap_ms = 5;
  o.cacert = "/nonexistent/ecsboot-ca.pem";
  ecsb_err err = {0};
  ecsb_http_client *c = ecsb_http_client_new(&o, &err);
  assert_non_null(c);
  char u[128];
  snprintf(u, sizeof u, "https://127.0.0.1:%u/ok", ecsb_httpd_port(s->h));
  ecsb_http_response r;
  assert_int_equal(ecsb_http_get(c, u, NULL, 0, &r, &err), ECSB_ETLS);
  /* A CA file that cannot be read gives the same answer every time. */
  assert_int_equal(r.attempts, 1);
  assert_int_equal(ecsb_http_client_requests(c), 1);
  assert_non_null(strstr(err.msg, u));
  ecsb_http_response_clear(&r);
  ecsb_http_client_free(c);
}

static void test_stop_flag_abandons_retries(void **state) {
  srv *s = *state;
  s->hits = 0;
  s->fail_first = 100;
  volatile int stop = 1;
  ecsb_http_opts o;
  ecsb_http_opts_default(&o);
  o.max_retries = 50;
  o.backoff_base_ms = 1000;
  o.stop = &stop;
  ecsb_http_client *c = ecsb_http_client_new(&o, NULL);
  char u[128];
  url(s, u, sizeof u, "/flaky");
  ecsb_http_response r;
  assert_int_equal(ecsb_http_get(c, u, NULL, 0, &r, NULL), 0);
  assert_int_equal(r.status, 503);
  assert_int_equal(r.attempts, 1);
  ecsb_http_response_clear(&r);
  ecsb_http_client_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_get_returns_status_body_and_headers),
      cmocka_unit_test(test_put_sends_method_and_body),
      cmocka_unit_test(test_retries_5xx_until_success),
      cmocka_unit_test(test_retries_are_bounded_and_last_response_returned),
      cmocka_unit_test(test_4xx_is_not_retried),
      cmocka_unit_test(test_custom_retry_policy_decides),
      cmocka_unit_test(test_timeout_names_url),
      cmocka_unit_test(test_timeout_follows_the_task_clock),
      cmocka_unit_test(test_body_cap_is_enforced),
      cmocka_unit_test(test_connection_refused_retries_then_fails),
      cmocka_unit_test(test_stop_flag_abandons_retries),
      cmocka_unit_test(test_tls_refusal_is_final),
  };
  ecsb_http_global_init(NULL);
  int rc = cmocka_run_group_tests(tests, setup, teardown);
  ecsb_http_global_cleanup();
  return rc;
}
