/*
 * malformed.c - broken HTTP for bench/soak.sh: sends a fixed list of
 * malformed requests to one fake (the Consul agent, or fake-ecs's API), each
 * on a fresh TCP connection, until a deadline, and prints what came back.
 *
 *   bench_malformed HOST PORT consul|ecs SECONDS [CASE]
 *
 * CASE (a name from the tables below) sends that case alone, to find out
 * which one a server minds.
 * Plain POSIX sockets, not libcurl: the point is bytes libcurl will not
 * send (a garbage request line, a header without a colon, a body shorter
 * than its Content-Length, a body trickled a byte at a time). The ECS cases
 * aimed at the body parser are signed with fake-ecs's default credentials
 * (fecs_config_default) so that they get past authentication.
 *
 * Each case loops in its own thread, so the 2 s slow body holds no other
 * case back; a thread counts into its own struct, summed after the join.
 * Every socket has 2 s send and receive timeouts and is closed with a reset
 * (SO_LINGER 0), so thousands of connections leave no TIME_WAIT behind.
 *
 * Prints one line to stdout:
 *   sent=N answered_4xx_5xx=N closed_no_answer=N answered_2xx=N timeout=N
 *   other=N connect_failed=N
 * and one line per case to stderr; the first 2xx answer of a case (a 2xx
 * to a malformed request is suspicious) is printed to stderr when it comes.
 * Exit 0; 2 on bad arguments.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ecsb/sigv4.h"
#include "fecs/fecs.h"
#include "rpt/strbuf.h"

#define IO_TIMEOUT_S 2
#define NESTING 100000
#define OVER_CAP (2u << 20) /* both fakes cap bodies at 1 MiB */

typedef enum { BODY_TEXT, BODY_NESTED, BODY_BIG } body_kind;
typedef enum { SIGN_OK, SIGN_NONE, SIGN_BAD } sign_kind; /* ECS calls */
typedef enum { SEND_ALL, SEND_SHORT, SEND_SLOW } send_kind;

/* One malformed request. raw, when set, is sent as it is; otherwise the
 * request is built from the other fields: a NULL path is "/", a NULL
 * Content-Type the server's own, a NULL body empty. */
typedef struct mcase {
  const char *name;
  const char *raw;
  const char *method, *path, *ctype;
  const char *op; /* ECS: X-Amz-Target's operation */
  const char *body;
  body_kind body_kind;
  sign_kind sign;
  send_kind send;
} mcase;

#define RAW_GARBAGE "\x16\x03\x01 %%% NOT/HTTP \x01\xff\r\n\r\n"
#define RAW_NO_COLON(path)                                                     \
  "GET " path " HTTP/1.1\r\nHost: x\r\nThis header has no colon\r\n\r\n"

/* The agent's register endpoint, the case's own fields after it. */
#define REGISTER(...)                                                          \
  { .method = "PUT", .path = "/v1/agent/service/register", __VA_ARGS__ }

static const mcase CONSUL[] = {
    REGISTER(.name = "truncated-json",
             .body = "{\"Name\":\"bad\",\"Port\":80,\"Tags\":[\"a\""),
    REGISTER(.name = "short-body", .body = "{\"Name\":\"short\"",
             .send = SEND_SHORT),
    {.name = "garbage-request-line", .raw = RAW_GARBAGE},
    {.name = "header-no-colon", .raw = RAW_NO_COLON("/v1/agent/services")},
    REGISTER(.name = "invalid-utf8",
             .body = "{\"Name\":\"bad\xff\xfe\xc3\x28\",\"Port\":80}"),
    REGISTER(.name = "deep-nesting", .body_kind = BODY_NESTED),
    REGISTER(.name = "over-cap", .body_kind = BODY_BIG),
    REGISTER(.name = "wrong-content-type",
             .ctype = "application/x-www-form-urlencoded",
             .body = "Name=form&Port=80"),
    REGISTER(.name = "overflowing-number",
             .body = "{\"Name\":\"ovf\",\"Port\":99999999999999999999}"),
    REGISTER(.name = "negative-number",
             .body = "{\"Name\":\"neg\",\"Port\":80,"
                     "\"Check\":{\"TTL\":-99999999999999999999}}"),
    {.name = "unknown-query",
     .method = "GET",
     .path = "/v1/catalog/service/svc1?index=not-a-number&wait=forever"
             "&%zz=%ff&nope"},
    REGISTER(.name = "slow-body", .send = SEND_SLOW),
};

/* fake-ecs's API: POST / with X-Amz-Target, signed unless told. */
#define ECS_CALL(operation, ...)                                               \
  { .method = "POST", .op = operation, __VA_ARGS__ }
#define TASKS_X "{\"cluster\":\"default\",\"tasks\":[\"x\"]}"

static const mcase ECS[] = {
    ECS_CALL("DescribeTasks", .name = "truncated-json",
             .body = "{\"cluster\":\"default\",\"tasks\":[\"arn"),
    ECS_CALL("DescribeTasks", .name = "short-body",
             .body = "{\"cluster\":", .sign = SIGN_NONE, .send = SEND_SHORT),
    {.name = "garbage-request-line", .raw = RAW_GARBAGE},
    {.name = "header-no-colon", .raw = RAW_NO_COLON("/")},
    ECS_CALL("DescribeTasks", .name = "invalid-utf8",
             .body = "{\"cluster\":\"def\xff\xfe\",\"tasks\":[\"\xc3\x28\"]}"),
    ECS_CALL("DescribeTasks", .name = "deep-nesting", .body_kind = BODY_NESTED),
    ECS_CALL("DescribeTasks", .name = "over-cap", .body_kind = BODY_BIG),
    ECS_CALL("DescribeTasks", .name = "wrong-content-type",
             .ctype = "application/x-www-form-urlencoded",
             .body = "Action=DescribeTasks&cluster=default"),
    ECS_CALL("DescribeTasks", .name = "unsigned", .body = TASKS_X,
             .sign = SIGN_NONE),
    ECS_CALL("DescribeTasks", .name = "bad-signature", .body = TASKS_X,
             .sign = SIGN_BAD),
    ECS_CALL("ListTasks", .name = "overflowing-number",
             .body = "{\"cluster\":\"default\","
                     "\"maxResults\":99999999999999999999}"),
    ECS_CALL("ListTasks", .name = "negative-number",
             .body = "{\"cluster\":\"default\",\"maxResults\":-5}"),
    ECS_CALL("DescribeTasks", .name = "unknown-query",
             .path = "/?%zz=%ff&Action=Nope&x", .body = TASKS_X),
    ECS_CALL("DescribeTasks", .name = "slow-body", .sign = SIGN_NONE,
             .send = SEND_SLOW),
};

typedef struct counts {
  long sent, err_4xx_5xx, closed, ok_2xx, timeout, other, connect_failed;
} counts;

typedef struct worker {
  const mcase *c;
  bool ecs;
  const char *host;
  unsigned port;
  struct sockaddr_in addr;
  double deadline;
  const fecs_config *creds;
  counts n;
  pthread_t tid;
} worker;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The case's body: its text, 100,000 '[' or a 2 MiB JSON string. */
static void make_body(const mcase *c, ecsb_buf *b) {
  if (c->body_kind == BODY_NESTED) {
    for (int i = 0; i < NESTING; i++)
      ecsb_buf_putn(b, "[", 1);
  } else if (c->body_kind == BODY_BIG) {
    ecsb_buf_puts(b, "{\"cluster\":\"");
    char x[4096];
    memset(x, 'x', sizeof x);
    while (b->len < OVER_CAP && !b->oom)
      ecsb_buf_putn(b, x, sizeof x);
    ecsb_buf_putn(b, "\"}", 2);
  } else if (c->body) {
    ecsb_buf_putn(b, c->body, strlen(c->body));
  }
}

/* The whole request into out; *send_len is how much of it goes out at once
 * (less than out->len for a short or slow body). */
static void build(const worker *w, const ecsb_buf *body, ecsb_buf *out,
                  size_t *send_len) {
  const mcase *c = w->c;
  out->len = 0;
  if (c->raw) {
    ecsb_buf_putn(out, c->raw, strlen(c->raw));
    *send_len = out->len;
    return;
  }
  const char *path = c->path ? c->path : "/";
  const char *ctype = c->ctype ? c->ctype
                      : w->ecs ? "application/x-amz-json-1.1"
                               : "application/json";
  ecsb_buf_printf(out, "%s %s HTTP/1.1\r\nHost: %s:%u\r\n", c->method, path,
                  w->host, w->port);
  ecsb_buf_printf(out, "Content-Type: %s\r\n", ctype);
  if (c->op)
    ecsb_buf_printf(out, "X-Amz-Target: %s%s\r\n", FECS_API_TARGET_PREFIX,
                    c->op);
  if (c->op && c->sign != SIGN_NONE) {
    char target[512], op[160];
    snprintf(target, sizeof target, "http://%s:%u%s", w->host, w->port, path);
    snprintf(op, sizeof op, "%s%s", FECS_API_TARGET_PREFIX, c->op);
    ecsb_http_header hs[2] = {{"Content-Type", (char *)ctype},
                              {"X-Amz-Target", op}};
    ecsb_sigv4_params p;
    ecsb_sigv4_params_default(&p);
    p.access_key_id = w->creds->access_key_id;
    p.secret_access_key = w->creds->secret_access_key;
    p.region = w->creds->region;
    p.service = "ecs";
    p.time_s = (int64_t)time(NULL);
    ecsb_sigv4_request rq = {.method = c->method,
                             .target = target,
                             .headers = hs,
                             .n_headers = 2,
                             .body = body->s,
                             .body_len = body->len};
    ecsb_sigv4_signed sg = {0};
    ecsb_err err = {0};
    if (ecsb_sigv4_sign(&p, &rq, &sg, &err) == 0) {
      for (size_t i = 0; i < sg.n_headers; i++) {
        char *v = sg.headers[i].value;
        size_t vl = strlen(v);
        if (c->sign == SIGN_BAD && !strcmp(sg.headers[i].name, "Authorization"))
          v[vl - 1] = v[vl - 1] == '0' ? '1' : '0'; /* last hex digit */
        ecsb_buf_printf(out, "%s: %s\r\n", sg.headers[i].name, v);
      }
    } else {
      fprintf(stderr, "bench_malformed: sign: %s\n", err.msg);
    }
    ecsb_sigv4_signed_clear(&sg);
  }
  /* a short body announces 100 bytes more than it has; a slow one, 1000 */
  size_t declared = body->len + (c->send == SEND_SHORT  ? 100
                                 : c->send == SEND_SLOW ? 1000
                                                        : 0);
  if (body->len || c->send != SEND_ALL || strcmp(c->method, "GET"))
    ecsb_buf_printf(out, "Content-Length: %zu\r\n", declared);
  ecsb_buf_printf(out, "Connection: close\r\n\r\n");
  *send_len = out->len + body->len;
  ecsb_buf_putn(out, body->s ? body->s : "", body->len);
  if (c->send == SEND_SLOW) /* the trickle: 20 bytes, one per 100 ms */
    ecsb_buf_putn(out, "{\"Name\":\"slooooow\",", 20);
}

static bool send_all(int fd, const char *p, size_t len) {
  while (len > 0) {
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    if (n <= 0)
      return false;
    p += n;
    len -= (size_t)n;
  }
  return true;
}

/* Reads until the status line is complete, the peer closes or the receive
 * timeout passes, and counts the outcome. */
static void read_answer(worker *w, int fd) {
  char resp[256];
  size_t got = 0;
  bool timed_out = false;
  while (got < sizeof resp - 1 && !memchr(resp, '\n', got)) {
    ssize_t n = recv(fd, resp + got, sizeof resp - 1 - got, 0);
    if (n < 0) /* EAGAIN after SO_RCVTIMEO; a reset counts as a close */
      timed_out = errno == EAGAIN || errno == EWOULDBLOCK;
    if (n <= 0)
      break;
    got += (size_t)n;
  }
  resp[got] = '\0';
  unsigned status = 0;
  if (got == 0) {
    if (timed_out)
      w->n.timeout++;
    else
      w->n.closed++;
  } else if (sscanf(resp, "HTTP/1.%*1[01] %3u", &status) == 1 &&
             status >= 200 && status < 600) {
    if (status >= 400) {
      w->n.err_4xx_5xx++;
    } else if (status < 300) {
      if (w->n.ok_2xx++ == 0)
        fprintf(stderr, "bench_malformed: %s: 2xx to %s: %.*s\n",
                w->ecs ? "ecs" : "consul", w->c->name,
                (int)strcspn(resp, "\r\n"), resp);
    } else {
      w->n.other++;
    }
  } else {
    w->n.other++;
  }
}

static void *run_case(void *arg) {
  worker *w = arg;
  ecsb_buf body, req;
  ecsb_buf_init(&body);
  ecsb_buf_init(&req);
  make_body(w->c, &body);
  struct timeval tv = {.tv_sec = IO_TIMEOUT_S};
  struct linger reset = {.l_onoff = 1, .l_linger = 0};
  while (now_s() < w->deadline) {
    size_t send_len = 0;
    build(w, &body, &req, &send_len);
    if (body.oom || req.oom) {
      fprintf(stderr, "bench_malformed: out of memory\n");
      exit(1);
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
      break;
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    if (connect(fd, (struct sockaddr *)&w->addr, sizeof w->addr) < 0) {
      w->n.connect_failed++;
      close(fd);
      usleep(10000); /* a server that refuses is not hammered in a spin */
      continue;
    }
    w->n.sent++;
    bool ok = send_all(fd, req.s, send_len);
    for (size_t i = send_len; ok && i < req.len; i++) { /* slow body */
      usleep(100000);
      ok = send_all(fd, req.s + i, 1);
    }
    if (w->c->send != SEND_ALL)
      shutdown(fd, SHUT_WR); /* the client gives up mid-body */
    read_answer(w, fd);
    close(fd);
  }
  ecsb_buf_free(&body);
  ecsb_buf_free(&req);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 5 || argc > 6 ||
      (strcmp(argv[3], "consul") && strcmp(argv[3], "ecs")) ||
      atoi(argv[2]) <= 0 || atoi(argv[4]) <= 0) {
    fprintf(stderr, "usage: %s HOST PORT consul|ecs SECONDS [CASE]\n", argv[0]);
    return 2;
  }
  bool ecs = !strcmp(argv[3], "ecs");
  struct sockaddr_in addr = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)atoi(argv[2]))};
  if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) {
    fprintf(stderr, "bench_malformed: %s: not an IPv4 address\n", argv[1]);
    return 2;
  }
  fecs_config creds;
  fecs_config_default(&creds); /* the keys fake-ecs uses unless told */
  const mcase *cases = ecs ? ECS : CONSUL;
  size_t n =
      ecs ? sizeof ECS / sizeof ECS[0] : sizeof CONSUL / sizeof CONSUL[0];
  worker *ws = calloc(n, sizeof *ws);
  if (!ws)
    return 1;
  double deadline = now_s() + atoi(argv[4]);
  size_t nw = 0;
  for (size_t i = 0; i < n; i++) {
    if (argc == 6 && strcmp(argv[5], cases[i].name))
      continue;
    worker *w = &ws[nw++];
    *w = (worker){.c = &cases[i],
                  .ecs = ecs,
                  .host = argv[1],
                  .port = (unsigned)atoi(argv[2]),
                  .addr = addr,
                  .deadline = deadline,
                  .creds = &creds};
    if (pthread_create(&w->tid, NULL, run_case, w)) {
      fprintf(stderr, "bench_malformed: cannot start a thread\n");
      return 1;
    }
  }
  if (nw == 0) {
    fprintf(stderr, "bench_malformed: no case named %s\n", argv[5]);
    return 2;
  }
  counts t = {0};
  for (size_t i = 0; i < nw; i++) {
    pthread_join(ws[i].tid, NULL);
    counts *c = &ws[i].n;
    fprintf(stderr,
            "case=%s sent=%ld 4xx_5xx=%ld closed=%ld 2xx=%ld timeout=%ld "
            "other=%ld connect_failed=%ld\n",
            ws[i].c->name, c->sent, c->err_4xx_5xx, c->closed, c->ok_2xx,
            c->timeout, c->other, c->connect_failed);
    t.sent += c->sent;
    t.err_4xx_5xx += c->err_4xx_5xx;
    t.closed += c->closed;
    t.ok_2xx += c->ok_2xx;
    t.timeout += c->timeout;
    t.other += c->other;
    t.connect_failed += c->connect_failed;
  }
  printf("sent=%ld answered_4xx_5xx=%ld closed_no_answer=%ld answered_2xx=%ld "
         "timeout=%ld other=%ld connect_failed=%ld\n",
         t.sent, t.err_4xx_5xx, t.closed, t.ok_2xx, t.timeout, t.other,
         t.connect_failed);
  free(ws);
  return 0;
}
