/*
 * standin_http.c - the stand-ins' own small HTTP server and GET (see
 * standin_http.h): sockets, poll and pthreads only, so that ecsboot-standin
 * links no HTTP library. Only what the stand-ins are asked is served:
 * requests with a Content-Length body or none, answers of at most 1 KiB.
 */
#include "standin_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ecsb/clock.h"
#include "ecsb/text.h"

/* Connections open at once, per server; more are closed at accept. Each
 * is a thread, and the stand-ins see a few at a time (health checks,
 * forwarded requests). */
#define MAX_CONNS 256
#define IDLE_MS 60000
#define HEAD_MAX 16384
/* How long stop waits for handlers still running (a response delay). */
#define STOP_WAIT_MS 5000

struct scn_shttp {
  int fd, port;
  scn_shttp_handler handler;
  void *user;
  pthread_t acceptor;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int conns[MAX_CONNS]; /* -1: free slot */
  size_t open;
  bool stopping;
};

void scn_shttp_textf(scn_shttp_resp *resp, int status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(resp->body, sizeof resp->body, fmt, ap);
  va_end(ap);
  resp->status = status;
  resp->content_type = "text/plain; charset=utf-8";
  resp->body_len = n < 0                            ? 0
                   : (size_t)n >= sizeof resp->body ? sizeof resp->body - 1
                                                    : (size_t)n;
}

static const char *reason(int status) {
  switch (status) {
  case 200:
    return "OK";
  case 400:
    return "Bad Request";
  case 404:
    return "Not Found";
  case 411:
    return "Length Required";
  case 431:
    return "Request Header Fields Too Large";
  case 500:
    return "Internal Server Error";
  default:
    return "Status";
  }
}

static bool send_all(int fd, const char *p, size_t len) {
  while (len > 0) {
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    p += n;
    len -= (size_t)n;
  }
  return true;
}

static bool send_resp(int fd, const scn_shttp_resp *r, bool head, bool close) {
  char h[256];
  int n = snprintf(h, sizeof h,
                   "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: "
                   "%zu\r\n%s\r\n",
                   r->status, reason(r->status),
                   r->content_type ? r->content_type : "text/plain",
                   r->body_len, close ? "Connection: close\r\n" : "");
  return n > 0 && (size_t)n < sizeof h && send_all(fd, h, (size_t)n) &&
         (head || send_all(fd, r->body, r->body_len));
}

/* Waits until fd is readable; false on timeout, error or a stop. */
static bool readable(int fd) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  for (;;) {
    int n = poll(&p, 1, IDLE_MS);
    if (n < 0 && errno == EINTR)
      continue;
    return n > 0;
  }
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = (char)(c | 0x20);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The target's path, percent-decoded, without the query, into out. */
static void decode_path(const char *t, size_t tl, char *out, size_t cap) {
  size_t o = 0;
  for (size_t i = 0; i < tl && t[i] != '?' && t[i] != '#' && o + 1 < cap; i++) {
    int hi, lo;
    if (t[i] == '%' && i + 2 < tl && (hi = hexval(t[i + 1])) >= 0 &&
        (lo = hexval(t[i + 2])) >= 0) {
      out[o++] = (char)(hi * 16 + lo);
      i += 2;
    } else {
      out[o++] = t[i];
    }
  }
  out[o] = '\0';
}

/* The value of header `name` within the head (lines after the first), or
 * NULL; *vlen its length. */
static const char *header(const char *head, size_t hl, const char *name,
                          size_t *vlen) {
  size_t nl = strlen(name);
  const char *p = memchr(head, '\n', hl);
  while (p && (size_t)(p + 1 - head) < hl) {
    const char *line = p + 1;
    const char *eol = memchr(line, '\n', hl - (size_t)(line - head));
    size_t ll = eol ? (size_t)(eol - line) : hl - (size_t)(line - head);
    if (ll > nl && line[nl] == ':' && strncasecmp(line, name, nl) == 0) {
      const char *v = line + nl + 1;
      const char *e = line + ll;
      while (v < e && (*v == ' ' || *v == '\t'))
        v++;
      while (e > v && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
        e--;
      *vlen = (size_t)(e - v);
      return v;
    }
    p = eol;
  }
  return NULL;
}

static bool value_is(const char *v, size_t vl, const char *want) {
  return v && vl == strlen(want) && strncasecmp(v, want, vl) == 0;
}

typedef struct conn {
  scn_shttp *s;
  int fd, slot;
} conn;

/* Serves one connection's requests in turn until either side closes. */
static void serve(scn_shttp *s, int fd) {
  char buf[HEAD_MAX];
  size_t have = 0;
  for (;;) {
    char *end;
    while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
      if (have == sizeof buf) {
        scn_shttp_resp r = {0};
        scn_shttp_textf(&r, 431, "request head too large\n");
        send_resp(fd, &r, false, true);
        return;
      }
      if (!readable(fd))
        return;
      ssize_t n = recv(fd, buf + have, sizeof buf - have, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return;
      have += (size_t)n;
    }
    size_t hl = (size_t)(end - buf);
    const char *sp1 = memchr(buf, ' ', hl);
    const char *sp2 =
        sp1 ? memchr(sp1 + 1, ' ', hl - (size_t)(sp1 + 1 - buf)) : NULL;
    const char *eol = memchr(buf, '\r', hl + 2);
    scn_shttp_resp r = {.status = 200};
    if (!sp1 || !sp2 || sp2 > eol || eol - sp2 < 9 ||
        memcmp(sp2 + 1, "HTTP/1.", 7) != 0) {
      scn_shttp_textf(&r, 400, "bad request line\n");
      send_resp(fd, &r, false, true);
      return;
    }
    bool http10 = sp2[8] == '0';
    size_t vl = 0;
    const char *conn_v = header(buf, hl, "Connection", &vl);
    bool close_after = http10 ? !value_is(conn_v, vl, "keep-alive")
                              : value_is(conn_v, vl, "close");
    if (header(buf, hl, "Transfer-Encoding", &vl)) {
      scn_shttp_textf(&r, 411, "chunked request bodies are not served\n");
      send_resp(fd, &r, false, true);
      return;
    }
    size_t body = 0;
    const char *cl = header(buf, hl, "Content-Length", &vl);
    if (cl) {
      char num[24];
      char *e;
      snprintf(num, sizeof num, "%.*s", (int)(vl < 23 ? vl : 23), cl);
      unsigned long long b = strtoull(num, &e, 10);
      if (*e || e == num || b > (1ull << 30)) {
        scn_shttp_textf(&r, 400, "bad Content-Length\n");
        send_resp(fd, &r, false, true);
        return;
      }
      body = (size_t)b;
    }
    char method[16], path[2048];
    snprintf(method, sizeof method, "%.*s",
             (int)((size_t)(sp1 - buf) < 15 ? sp1 - buf : 15), buf);
    decode_path(sp1 + 1, (size_t)(sp2 - sp1 - 1), path, sizeof path);
    /* Drop the request's body: what is already read, then the rest. */
    size_t used = hl + 4;
    size_t in_buf = have - used < body ? have - used : body;
    used += in_buf;
    for (size_t left = body - in_buf; left > 0;) {
      char sink[4096];
      if (!readable(fd))
        return;
      ssize_t n = recv(fd, sink, left < sizeof sink ? left : sizeof sink, 0);
      if (n <= 0)
        return;
      left -= (size_t)n;
    }
    s->handler(s->user, method, path, &r);
    if (!send_resp(fd, &r, strcmp(method, "HEAD") == 0, close_after) ||
        close_after)
      return;
    memmove(buf, buf + used, have - used);
    have -= used;
  }
}

static void *conn_main(void *arg) {
  conn *c = arg;
  serve(c->s, c->fd);
  scn_shttp *s = c->s;
  pthread_mutex_lock(&s->mu);
  s->conns[c->slot] = -1;
  s->open--;
  close(c->fd);
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  free(c);
  return NULL;
}

static void *accept_main(void *arg) {
  scn_shttp *s = arg;
  for (;;) {
    /* No timeout: stop shuts the listener down, which wakes this, so an
     * idle server costs nothing (hundreds share two cores). */
    struct pollfd p = {.fd = s->fd, .events = POLLIN};
    int n = poll(&p, 1, -1);
    pthread_mutex_lock(&s->mu);
    bool stopping = s->stopping;
    pthread_mutex_unlock(&s->mu);
    if (stopping)
      return NULL;
    if (n <= 0)
      continue;
    int fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
      continue;
    conn *c = malloc(sizeof *c);
    pthread_mutex_lock(&s->mu);
    int slot = -1;
    for (int i = 0; i < MAX_CONNS && slot < 0 && c; i++)
      if (s->conns[i] < 0)
        slot = i;
    if (slot >= 0) {
      s->conns[slot] = fd;
      s->open++;
    }
    pthread_mutex_unlock(&s->mu);
    if (slot < 0) {
      close(fd);
      free(c);
      continue;
    }
    *c = (conn){.s = s, .fd = fd, .slot = slot};
    pthread_t t;
    if (pthread_create(&t, NULL, conn_main, c) != 0) {
      pthread_mutex_lock(&s->mu);
      s->conns[slot] = -1;
      s->open--;
      pthread_mutex_unlock(&s->mu);
      close(fd);
      free(c);
      continue;
    }
    pthread_detach(t);
  }
}

int scn_shttp_start(const char *ip, int port, scn_shttp_handler handler,
                    void *user, scn_shttp **out, ecsb_err *err) {
  *out = NULL;
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_port = htons((uint16_t)port)};
  if (ip && strcmp(ip, "localhost") == 0)
    ip = "127.0.0.1";
  /* Loopback only, as every server of a replay. */
  if (!ip || inet_pton(AF_INET, ip, &sa.sin_addr) != 1 ||
      (ntohl(sa.sin_addr.s_addr) >> 24) != 127)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "invalid listener address %s (an IPv4 address in "
                        "127.0.0.0/8)",
                        ip ? ip : "(none)");
  scn_shttp *s = calloc(1, sizeof *s);
  if (!s)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  int one = 1;
  s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  socklen_t sl = sizeof sa;
  if (s->fd < 0 ||
      setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      bind(s->fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
      listen(s->fd, 128) != 0 ||
      getsockname(s->fd, (struct sockaddr *)&sa, &sl) != 0) {
    int e = errno;
    if (s->fd >= 0)
      close(s->fd);
    free(s);
    return ecsb_err_set(err, ECSB_EIO, "cannot listen on %s:%d: %s", ip, port,
                        strerror(e));
  }
  s->port = ntohs(sa.sin_port);
  s->handler = handler;
  s->user = user;
  for (int i = 0; i < MAX_CONNS; i++)
    s->conns[i] = -1;
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  if (pthread_create(&s->acceptor, NULL, accept_main, s) != 0) {
    close(s->fd);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
    return ecsb_err_set(err, ECSB_EINTERNAL, "cannot start a thread");
  }
  *out = s;
  return 0;
}

int scn_shttp_port(const scn_shttp *s) {
  return s ? s->port : 0;
}

void scn_shttp_stop(scn_shttp *s) {
  if (!s)
    return;
  pthread_mutex_lock(&s->mu);
  s->stopping = true;
  pthread_mutex_unlock(&s->mu);
  shutdown(s->fd, SHUT_RDWR);
  pthread_join(s->acceptor, NULL);
  close(s->fd);
  pthread_mutex_lock(&s->mu);
  for (int i = 0; i < MAX_CONNS; i++)
    if (s->conns[i] >= 0)
      shutdown(s->conns[i], SHUT_RDWR);
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += STOP_WAIT_MS / 1000;
  while (s->open > 0 &&
         pthread_cond_timedwait(&s->cv, &s->mu, &until) != ETIMEDOUT) {
  }
  bool idle = s->open == 0;
  pthread_mutex_unlock(&s->mu);
  /* A handler still running past the wait keeps using the server: it is
   * left allocated for the process's exit, which follows every stop. */
  if (!idle)
    return;
  pthread_cond_destroy(&s->cv);
  pthread_mutex_destroy(&s->mu);
  free(s);
}
