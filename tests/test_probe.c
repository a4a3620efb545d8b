/* test_probe.c - the health-check probes against local listeners: a TCP
 * port that accepts, one that refuses, HTTP statuses in and out of the
 * expected set, the status-list syntax, the plain-HTTP status line, and
 * what the probes refuse without ops (as in ecsboot-health), and that a
 * probe's timeout runs on a followed task clock (a held clock lets a slow
 * answer in). */
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
#include <unistd.h>

#include "ecsb/clock.h"
#include "ecsb/http.h"
#include "ecsb/probe.h"
#include "ecsb/taskclock.h"
#include "init_testutil.h"

/* A listening socket on 127.0.0.1 with a free port. */
static int listener(int *port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, (struct sockaddr *)&a, sizeof a);
  listen(fd, 4);
  socklen_t l = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &l);
  *port = ntohs(a.sin_port);
  return fd;
}

static void test_tcp_open_and_closed(void **state) {
  (void)state;
  int port;
  int fd = listener(&port);
  char target[64];
  snprintf(target, sizeof target, "127.0.0.1:%d", port);
  ecsb_err err = {0};
  assert_int_equal(ecsb_probe_tcp(target, 2000, &err), 0);
  snprintf(target, sizeof target, "localhost:%d", port);
  assert_int_equal(ecsb_probe_tcp(target, 2000, &err), 0);
  close(fd);
  snprintf(target, sizeof target, "127.0.0.1:%d", port);
  assert_int_equal(ecsb_probe_tcp(target, 2000, &err), ECSB_ETRANSPORT);
  assert_non_null(strstr(err.msg, "refused"));
  assert_int_equal(ecsb_probe_tcp("127.0.0.1", 2000, &err), ECSB_EINVAL);
  assert_int_equal(ecsb_probe_tcp("127.0.0.1:0", 2000, &err), ECSB_EINVAL);
}

static void test_status_sets(void **state) {
  (void)state;
  ecsb_status_set s;
  ecsb_err err = {0};
  assert_int_equal(ecsb_status_set_parse("200-399", &s, &err), 0);
  assert_true(ecsb_status_set_has(&s, 200));
  assert_true(ecsb_status_set_has(&s, 302));
  assert_false(ecsb_status_set_has(&s, 404));
  assert_int_equal(ecsb_status_set_parse("200,204,500-502", &s, &err), 0);
  assert_true(ecsb_status_set_has(&s, 204));
  assert_true(ecsb_status_set_has(&s, 501));
  assert_false(ecsb_status_set_has(&s, 201));
  const char *bad[] = {"",   "abc", "200-", "300-200",
                       "99", "600", "200,", "200;300"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(ecsb_status_set_parse(bad[i], &s, &err), ECSB_EINVAL);
    assert_non_null(strstr(err.msg, "flag -expect"));
  }
}

static void test_http_statuses(void **state) {
  (void)state;
  tu_json j = {0};
  assert_int_equal(tu_json_start(&j, "ok"), 0);
  char url[128];
  snprintf(url, sizeof url, "%s/ready", j.url);
  ecsb_status_set s;
  ecsb_status_set_parse("200-399", &s, NULL);
  long st = 0;
  ecsb_err err = {0};
  assert_int_equal(ecsb_probe_http(url, &s, 2000, &st, &err), 0);
  assert_int_equal(st, 200);
  assert_string_equal(j.last_path, "/ready");
  /* The runner's probe threads pass neither a set (200-399) nor *status. */
  assert_int_equal(ecsb_probe_http(url, NULL, 2000, NULL, &err), 0);
  tu_json_set(&j, 503, "no");
  assert_int_equal(ecsb_probe_http(url, &s, 2000, &st, &err), ECSB_ESTATUS);
  assert_int_equal(st, 503);
  assert_non_null(strstr(err.msg, "HTTP 503 not expected"));
  /* One try only: ECS's own retries decide. */
  assert_int_equal(tu_json_requests(&j), 3);
  ecsb_status_set_parse("503", &s, NULL);
  assert_int_equal(ecsb_probe_http(url, &s, 2000, &st, &err), 0);
  assert_int_equal(ecsb_probe_http("tcp://x", &s, 2000, &st, &err),
                   ECSB_EINVAL);
  tu_json_stop(&j);
  assert_int_not_equal(ecsb_probe_http(url, &s, 2000, &st, &err), 0);
}

/* A server that answers one connection with `reply` and closes. */
typedef struct raw_srv {
  int fd, port;
  const char *reply;
  int delay_ms; /* host time before the reply */
  pthread_t th;
  char req[1024]; /* what it was sent */
} raw_srv;

static void *raw_serve(void *arg) {
  raw_srv *s = arg;
  int c = accept(s->fd, NULL, NULL);
  if (c >= 0) {
    ssize_t n = recv(c, s->req, sizeof s->req - 1, 0); /* the request */
    s->req[n > 0 ? n : 0] = '\0';
    if (s->delay_ms)
      usleep((useconds_t)s->delay_ms * 1000);
    if (s->reply)
      send(c, s->reply, strlen(s->reply), MSG_NOSIGNAL);
    close(c);
  }
  return NULL;
}

static int raw_http(const char *reply, long *status, ecsb_err *err) {
  raw_srv s = {.reply = reply};
  s.fd = listener(&s.port);
  pthread_create(&s.th, NULL, raw_serve, &s);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/x?y=1", s.port);
  int rc = ecsb_probe_http_ops(url, NULL, 5000, NULL, status, err);
  pthread_join(s.th, NULL);
  close(s.fd);
  return rc;
}

/* In a replay a probe's timeout is on the task's clock. While the runner
 * holds it, an answer 150 ms late on the host's clock is still in time
 * for a 50 ms timeout; on a running clock it is not. */
static void test_timeout_follows_the_task_clock(void **state) {
  (void)state;
  char path[] = "/tmp/ecsb-probe-clock-XXXXXX";
  int tfd = mkstemp(path);
  assert_true(tfd >= 0);
  close(tfd);
  ecsb_taskclock *c = NULL;
  ecsb_err err = {0};
  assert_int_equal(ecsb_taskclock_create(path, &c, &err), 0);
  ecsb_clock_follow(c);
  for (int held = 1; held >= 0; held--) {
    if (held)
      ecsb_taskclock_hold(c, ecsb_taskclock_now_us(c));
    else
      ecsb_taskclock_release(c);
    raw_srv s = {.reply = "HTTP/1.1 200 OK\r\n\r\n", .delay_ms = 150};
    s.fd = listener(&s.port);
    pthread_create(&s.th, NULL, raw_serve, &s);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", s.port);
    long status = 0;
    int rc = ecsb_probe_http_ops(url, NULL, 50, NULL, &status, &err);
    pthread_join(s.th, NULL);
    close(s.fd);
    if (held) {
      assert_int_equal(rc, 0);
      assert_int_equal(status, 200);
    } else {
      assert_int_equal(rc, ECSB_ETIMEDOUT);
    }
  }
  ecsb_clock_follow(NULL);
  ecsb_taskclock_free(c);
  unlink(path);
}

/* The plain-HTTP reader: only the status line counts, whatever follows;
 * anything that is not a status line is an error, not a status. */
static void test_plain_http_reads_the_status_line(void **state) {
  (void)state;
  ecsb_err err = {0};
  long st = 0;
  assert_int_equal(raw_http("HTTP/1.1 204 No Content\r\n\r\n", &st, &err), 0);
  assert_int_equal(st, 204);
  assert_int_equal(raw_http("HTTP/1.0 302\r\nLocation: /\r\n\r\n", &st, &err),
                   0);
  assert_int_equal(st, 302);
  assert_int_equal(raw_http("HTTP/1.1 404 Not Found\r\n\r\n", &st, &err),
                   ECSB_ESTATUS);
  assert_int_equal(st, 404);
  const char *bad[] = {"SSH-2.0-OpenSSH\r\n", "HTTP/1.1 20 OK\r\n",
                       "HTTP/1.1 2000 OK\r\n"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(raw_http(bad[i], &st, &err), ECSB_EPARSE);
    assert_non_null(strstr(err.msg, "not an HTTP status line"));
  }
  assert_int_equal(raw_http(NULL, &st, &err), ECSB_ETRANSPORT);
  assert_non_null(strstr(err.msg, "closed before an answer"));
}

/* Without ops (ecsboot-health): IP literals and localhost only, http://
 * only, each refusal saying why. */
static void test_without_ops_names_and_https_are_refused(void **state) {
  (void)state;
  int port;
  int fd = listener(&port);
  char target[64];
  ecsb_err err = {0};
  snprintf(target, sizeof target, "localhost:%d", port);
  assert_int_equal(ecsb_probe_tcp_ops(target, 2000, NULL, &err), 0);
  snprintf(target, sizeof target, "[::1]:%d", port); /* v4-only listener */
  assert_int_not_equal(ecsb_probe_tcp_ops(target, 2000, NULL, &err), 0);
  assert_int_equal(ecsb_probe_tcp_ops("db.internal:5432", 2000, NULL, &err),
                   ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "resolves none"));
  long st = 0;
  assert_int_equal(
      ecsb_probe_http_ops("https://127.0.0.1:1/", NULL, 2000, NULL, &st, &err),
      ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "plain HTTP only"));
  assert_int_equal(ecsb_probe_http_ops("http://127.0.0.1:1/a b", NULL, 2000,
                                       NULL, &st, &err),
                   ECSB_EINVAL);
  close(fd);
}

/* The GET that returns the body (the stand-ins'): the header sent, the
 * body after the head, a body over the cap and a head that is not HTTP
 * refused. */
static void test_get_returns_the_body(void **state) {
  (void)state;
  static const struct {
    const char *reply;
    size_t max;
    int rc;
    const char *body; /* NULL: refused, with why */
    const char *why;
  } cases[] = {
      {"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n[{\"a\":1}]",
       1024, 0, "[{\"a\":1}]", NULL},
      {"HTTP/1.0 404 Not Found\r\n\r\n", 1024, 0, "", NULL},
      {"HTTP/1.1 200 OK\r\n\r\n0123456789", 10, 0, "0123456789", NULL},
      {"HTTP/1.1 200 OK\r\n\r\n0123456789", 9, ECSB_ETOOBIG, NULL,
       "answer over 9 bytes"},
      {"SSH-2.0-OpenSSH\r\n\r\n", 1024, ECSB_EPARSE, NULL,
       "not an HTTP answer"},
      {NULL, 1024, ECSB_EPARSE, NULL, "not an HTTP answer"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    raw_srv s = {.reply = cases[i].reply};
    s.fd = listener(&s.port);
    pthread_create(&s.th, NULL, raw_serve, &s);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/x?passing", s.port);
    long st = -1;
    char *body = NULL;
    size_t len = 0;
    ecsb_err err = {0};
    int rc = ecsb_probe_get(url, "X-Consul-Token", "secret", 5000, cases[i].max,
                            NULL, &st, &body, &len, &err);
    pthread_join(s.th, NULL);
    close(s.fd);
    if (rc != cases[i].rc)
      fail_msg("case %zu: rc %d (%s), want %d", i, rc, err.msg, cases[i].rc);
    assert_non_null(strstr(s.req, "GET /v1/x?passing HTTP/1.0\r\n"));
    assert_non_null(strstr(s.req, "\r\nX-Consul-Token: secret\r\n"));
    if (cases[i].body) {
      assert_string_equal(body, cases[i].body);
      assert_int_equal(len, strlen(cases[i].body));
      assert_int_equal(st, i == 1 ? 404 : 200);
    } else {
      assert_null(body);
      assert_non_null(strstr(err.msg, cases[i].why));
    }
    free(body);
  }
  /* over max plus the head's room */
  static char big[20000];
  memcpy(big, "HTTP/1.1 200 OK\r\n\r\n", 19);
  memset(big + 19, 'x', sizeof big - 20);
  raw_srv s = {.reply = big};
  s.fd = listener(&s.port);
  pthread_create(&s.th, NULL, raw_serve, &s);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/", s.port);
  long st = 0;
  char *body = NULL;
  size_t len = 0;
  ecsb_err err = {0};
  assert_int_equal(
      ecsb_probe_get(url, NULL, NULL, 5000, 1024, NULL, &st, &body, &len, &err),
      ECSB_ETOOBIG);
  pthread_join(s.th, NULL);
  close(s.fd);
  assert_null(body);
  /* a header value that would start a second header */
  assert_int_equal(ecsb_probe_get(url, "X-Consul-Token", "a\r\nHost: b", 5000,
                                  1024, NULL, &st, &body, &len, &err),
                   ECSB_EINVAL);
}

int main(void) {
  ecsb_http_global_init(NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tcp_open_and_closed),
      cmocka_unit_test(test_status_sets),
      cmocka_unit_test(test_http_statuses),
      cmocka_unit_test(test_plain_http_reads_the_status_line),
      cmocka_unit_test(test_timeout_follows_the_task_clock),
      cmocka_unit_test(test_without_ops_names_and_https_are_refused),
      cmocka_unit_test(test_get_returns_the_body),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  ecsb_http_global_cleanup();
  return rc;
}
