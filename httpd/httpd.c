/*
 * httpd.c - libmicrohttpd behind the small request/response view in
 * ecsb/httpd.h. Owns: binding, per-connection body accumulation with a cap,
 * the raw request URI (MHD only hands handlers the decoded path, but SigV4
 * verification needs what was on the wire), and response conversion.
 *
 * Refuses to bind outside loopback unless told to: fakes are test servers
 * and must never appear on a real network by accident.
 */
#include "ecsb/httpd.h"
#include "ecsb/clock.h"
#include "ecsb/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

struct ecsb_httpd {
  struct MHD_Daemon *d;
  ecsb_httpd_handler handler;
  void *user;
  size_t max_body;
  uint16_t port;
  char bind_ip[INET6_ADDRSTRLEN];
  atomic_bool stopping; /* ends endless trickled bodies */
  /* Requests that may block run on their own threads (pool mode only). */
  ecsb_httpd_may_block may_block;
  pthread_mutex_t off_mu;
  pthread_cond_t off_cv;
  unsigned off_running; /* offloaded handlers not yet finished */
  ecsb_httpd_served_fn served;
  void *served_user;
  bool thread_per_conn;
};

/* Per-request state, created on the first call of the access handler. */
typedef struct req_ctx {
  char *raw_uri;
  char *body;
  size_t len, cap;
  bool too_big;
  bool started;
  /* An offloaded request: its handler runs on its own thread while the
   * connection is suspended; the answer is queued when it is resumed. */
  bool offloaded, answered;
  ecsb_httpd_req req;
  char remote[INET6_ADDRSTRLEN];
  ecsb_httpd_resp resp;
  int64_t cpu0_us;    /* the thread's CPU time when the request began */
  int64_t cpu_off_us; /* an offloaded handler's, on its own thread */
} req_ctx;

/* In thread-per-connection mode the thread exists for its connection
 * alone: everything it ran so far (starting, reading the request, the
 * answer) was for that connection's requests, so each request is charged
 * what the thread ran since the last one was. */
static _Thread_local int64_t conn_thread_charged_us;
/* The listening thread's CPU when it last took a connection; whether a
 * connection's thread has charged what taking it cost. */
static _Thread_local int64_t listen_charged_us;
static _Thread_local bool conn_accept_charged;

/* Thread-per-connection mode: the listening thread accepts each
 * connection and starts its thread, work for that connection's client
 * too. What it ran since it took the previous one (the accept, and
 * starting the previous one's thread) goes with the connection, to be
 * charged with its first request. */
static void on_connection(void *cls, struct MHD_Connection *c,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode toe) {
  (void)cls;
  (void)c;
  if (toe != MHD_CONNECTION_NOTIFY_STARTED)
    return;
  int64_t now = ecsb_thread_cpu_us();
  int64_t used = listen_charged_us ? now - listen_charged_us : 0;
  listen_charged_us = now;
  *socket_context = (void *)(intptr_t)(used > 0 ? used : 0);
}

void ecsb_httpd_opts_default(ecsb_httpd_opts *o) {
  memset(o, 0, sizeof *o);
  o->bind_ip = "127.0.0.1";
  o->max_body = 1u << 20;
  o->conn_limit = 1024;
  o->conn_timeout_s = 60;
}

void ecsb_httpd_tune_process(void) {
  mallopt(M_ARENA_MAX, 2);
}

bool ecsb_ip_is_loopback(const char *ip) {
  struct in_addr a4;
  struct in6_addr a6;
  if (!ip)
    return false;
  if (inet_pton(AF_INET, ip, &a4) == 1)
    return (ntohl(a4.s_addr) >> 24) == 127;
  if (inet_pton(AF_INET6, ip, &a6) == 1)
    return IN6_IS_ADDR_LOOPBACK(&a6);
  return false;
}

const char *ecsb_httpd_req_header(const ecsb_httpd_req *req, const char *name) {
  return MHD_lookup_connection_value(req->conn_, MHD_HEADER_KIND, name);
}

bool ecsb_httpd_req_query(const ecsb_httpd_req *req, const char *key,
                          const char **value) {
  const char *v = NULL;
  size_t vlen = 0;
  enum MHD_Result r = MHD_lookup_connection_value_n(
      req->conn_, MHD_GET_ARGUMENT_KIND, key, strlen(key), &v, &vlen);
  if (value)
    *value = r == MHD_YES ? v : NULL;
  return r == MHD_YES;
}

typedef struct each_ctx {
  int (*fn)(void *u, const char *key, const char *value);
  void *u;
} each_ctx;

static enum MHD_Result each_arg(void *cls, enum MHD_ValueKind kind,
                                const char *key, const char *value) {
  (void)kind;
  each_ctx *e = cls;
  return e->fn(e->u, key, value) ? MHD_NO : MHD_YES;
}

void ecsb_httpd_req_query_each(const ecsb_httpd_req *req,
                               int (*fn)(void *u, const char *key,
                                         const char *value),
                               void *u) {
  each_ctx e = {fn, u};
  MHD_get_connection_values(req->conn_, MHD_GET_ARGUMENT_KIND, each_arg, &e);
}

void ecsb_httpd_req_header_each(const ecsb_httpd_req *req,
                                int (*fn)(void *u, const char *name,
                                          const char *value),
                                void *u) {
  each_ctx e = {fn, u};
  MHD_get_connection_values(req->conn_, MHD_HEADER_KIND, each_arg, &e);
}

static void resp_reset_body(ecsb_httpd_resp *r) {
  free(r->body);
  r->body = NULL;
  r->body_len = 0;
}

void ecsb_httpd_resp_set(ecsb_httpd_resp *r, int status,
                         const char *content_type, const char *body,
                         size_t len) {
  resp_reset_body(r);
  r->status = status;
  if (content_type)
    snprintf(r->content_type, sizeof r->content_type, "%s", content_type);
  if (body) {
    r->body = malloc(len + 1);
    if (r->body) {
      memcpy(r->body, body, len);
      r->body[len] = '\0';
      r->body_len = len;
    } else {
      r->status = 500;
    }
  }
}

void ecsb_httpd_resp_take(ecsb_httpd_resp *r, int status,
                          const char *content_type, char *body) {
  resp_reset_body(r);
  r->status = body ? status : 500;
  if (content_type)
    snprintf(r->content_type, sizeof r->content_type, "%s", content_type);
  r->body = body;
  r->body_len = body ? strlen(body) : 0;
}

void ecsb_httpd_resp_textf(ecsb_httpd_resp *r, int status, const char *fmt,
                           ...) {
  char buf[2048];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  size_t len = n < 0 ? 0 : (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
  ecsb_httpd_resp_set(r, status, "text/plain; charset=utf-8", buf, len);
}

void ecsb_httpd_resp_header(ecsb_httpd_resp *r, const char *name,
                            const char *value) {
  if (r->n_headers >= ECSB_HTTPD_MAX_RESP_HEADERS)
    return;
  char *n = strdup(name), *v = strdup(value ? value : "");
  if (!n || !v) {
    free(n);
    free(v);
    return;
  }
  r->header_names[r->n_headers] = n;
  r->header_values[r->n_headers] = v;
  r->n_headers++;
}

static void resp_free(ecsb_httpd_resp *r) {
  free(r->body);
  for (size_t i = 0; i < r->n_headers; i++) {
    free(r->header_names[i]);
    free(r->header_values[i]);
  }
}

static enum MHD_Result queue_plain(struct MHD_Connection *c, unsigned status,
                                   const char *text) {
  struct MHD_Response *r = MHD_create_response_from_buffer(
      strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
  if (!r)
    return MHD_NO;
  MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
  enum MHD_Result ret = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return ret;
}

static enum MHD_Result queue_too_big(struct MHD_Connection *c, size_t max) {
  char msg[128];
  snprintf(msg, sizeof msg, "Request body too large (limit %zu bytes)\n", max);
  return queue_plain(c, 413, msg);
}

static void *uri_logger(void *cls, const char *uri, struct MHD_Connection *c) {
  (void)c;
  const ecsb_httpd *h = cls;
  req_ctx *ctx = calloc(1, sizeof *ctx);
  if (ctx) {
    ctx->raw_uri = strdup(uri ? uri : "");
    if (h->served && !h->thread_per_conn)
      ctx->cpu0_us = ecsb_thread_cpu_us();
  }
  return ctx;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
  const ecsb_httpd *h = cls;
  req_ctx *ctx = *con_cls;
  /* not for a connection ended by the server's stop, on the stopping
   * thread: its CPU was not spent on the request */
  if (h->served && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK) {
    int64_t now = ecsb_thread_cpu_us(), used;
    if (h->thread_per_conn) {
      used = now - conn_thread_charged_us;
      conn_thread_charged_us = now;
      if (!conn_accept_charged) {
        conn_accept_charged = true;
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        if (ci)
          used += (int64_t)(intptr_t)ci->socket_context;
      }
    } else {
      used = ctx ? now - ctx->cpu0_us : 0;
    }
    if (ctx && ctx->remote[0] && used >= 0)
      h->served(h->served_user, ctx->remote, used + ctx->cpu_off_us);
  }
  if (ctx) {
    resp_free(&ctx->resp);
    free(ctx->raw_uri);
    free(ctx->body);
    free(ctx);
  }
  *con_cls = NULL;
}

static void addr_text(const struct sockaddr *sa, char *buf, size_t cap) {
  buf[0] = '\0';
  if (!sa)
    return;
  if (sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf,
              (socklen_t)cap);
  else if (sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf,
              (socklen_t)cap);
}

/* A trickled body (ecsb_httpd_resp.trickle_ms): one byte per call, each
 * call sleeping first, on the connection's own thread. */
typedef struct trickle {
  ecsb_httpd *h;
  char *body;
  size_t len;
  unsigned ms;
  bool endless;
} trickle;

static ssize_t trickle_read(void *cls, uint64_t pos, char *buf, size_t max) {
  trickle *t = cls;
  if (max == 0)
    return 0;
  if (atomic_load(&t->h->stopping))
    return MHD_CONTENT_READER_END_WITH_ERROR;
  ecsb_sleep_ms(t->ms, NULL);
  if (pos < t->len) {
    buf[0] = t->body[pos];
    return 1;
  }
  if (!t->endless)
    return MHD_CONTENT_READER_END_OF_STREAM;
  buf[0] = ' ';
  return 1;
}

static void trickle_free(void *cls) {
  trickle *t = cls;
  free(t->body);
  free(t);
}

/* Turns a handler's answer into libmicrohttpd's; the body moves out of
 * resp (resp keeps what on_completed frees). */
static enum MHD_Result queue_resp(ecsb_httpd *h, struct MHD_Connection *conn,
                                  ecsb_httpd_resp *resp) {
  if (resp->abort_connection)
    return MHD_NO; /* libmicrohttpd closes the socket without a reply */
  struct MHD_Response *r = NULL;
  if (resp->trickle_ms) {
    trickle *t = calloc(1, sizeof *t);
    if (t) {
      *t = (trickle){.h = h,
                     .body = resp->body,
                     .len = resp->body_len,
                     .ms = resp->trickle_ms,
                     .endless = resp->endless};
      r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 1, trickle_read,
                                            t, trickle_free);
      if (r)
        resp->body = NULL; /* now owned by t */
      else
        free(t);
    }
  } else {
    r = MHD_create_response_from_buffer(
        resp->body_len, resp->body ? resp->body : (void *)"",
        resp->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (r)
      resp->body = NULL; /* now owned by the MHD response */
  }
  if (!r)
    return MHD_NO;
  if (resp->content_type[0])
    MHD_add_response_header(r, "Content-Type", resp->content_type);
  for (size_t i = 0; i < resp->n_headers; i++)
    MHD_add_response_header(r, resp->header_names[i], resp->header_values[i]);
  if (resp->close_connection)
    MHD_add_response_header(r, "Connection", "close");
  enum MHD_Result ret = MHD_queue_response(
      conn, (unsigned)(resp->status ? resp->status : 200), r);
  MHD_destroy_response(r);
  return ret;
}

typedef struct offload_job {
  ecsb_httpd *h;
  struct MHD_Connection *conn;
  req_ctx *ctx;
} offload_job;

static void *offload_run(void *arg) {
  offload_job *j = arg;
  ecsb_httpd *h = j->h;
  /* The connection is suspended: libmicrohttpd does not touch it (nor the
   * request's headers and query that req reads) until it is resumed. */
  int64_t cpu0 = h->served ? ecsb_thread_cpu_us() : 0;
  h->handler(h->user, &j->ctx->req, &j->ctx->resp);
  if (h->served)
    j->ctx->cpu_off_us = ecsb_thread_cpu_us() - cpu0;
  pthread_mutex_lock(&h->off_mu);
  j->ctx->answered = true;
  MHD_resume_connection(j->conn);
  h->off_running--;
  pthread_cond_broadcast(&h->off_cv);
  pthread_mutex_unlock(&h->off_mu);
  free(j);
  return NULL;
}

/* Runs a request that may block (a blocking query, an injected delay) on a
 * thread of its own, so that it holds none of the pool's threads. */
static enum MHD_Result offload(ecsb_httpd *h, struct MHD_Connection *conn,
                               req_ctx *ctx) {
  offload_job *j = malloc(sizeof *j);
  if (!j)
    return MHD_NO;
  *j = (offload_job){.h = h, .conn = conn, .ctx = ctx};
  ctx->offloaded = true;
  pthread_attr_t at;
  pthread_attr_init(&at);
  pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&at, 256 * 1024);
  pthread_mutex_lock(&h->off_mu);
  /* Suspended before the thread exists, so its resume cannot come first. */
  MHD_suspend_connection(conn);
  pthread_t t;
  int rc = pthread_create(&t, &at, offload_run, j);
  if (rc == 0)
    h->off_running++;
  pthread_mutex_unlock(&h->off_mu);
  pthread_attr_destroy(&at);
  if (rc != 0) {
    free(j);
    ctx->answered = true;
    ecsb_httpd_resp_textf(&ctx->resp, 503,
                          "server busy: cannot start a "
                          "thread for a blocking request");
    MHD_resume_connection(conn);
  }
  return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls) {
  (void)version;
  ecsb_httpd *h = cls;
  req_ctx *ctx = *con_cls;
  if (!ctx)
    return MHD_NO; /* the URI logger could not allocate */
  if (!ctx->started) {
    ctx->started = true;
    /* The body's buffer is sized from Content-Length. Over the cap, the
     * request is refused before its body is read; within it, the buffer
     * is allocated once. Growing by doubling (up to 1 MiB for a refused
     * body, 128 KiB for a 100 KB one) crossed glibc's mmap threshold,
     * which then rises and leaves such buffers in every thread's arena:
     * the RSS of a fake under load grew with each oversized request. */
    const char *cl = MHD_lookup_connection_value(
        conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    unsigned long long announced = cl ? strtoull(cl, NULL, 10) : 0;
    if (announced > h->max_body)
      return queue_too_big(conn, h->max_body);
    if (announced > 0) {
      ctx->body = malloc((size_t)announced + 1);
      if (!ctx->body)
        return MHD_NO;
      ctx->cap = (size_t)announced + 1;
    }
    return MHD_YES; /* headers only; body (if any) comes next */
  }
  if (*upload_size) {
    if (!ctx->too_big) {
      if (ctx->len + *upload_size > h->max_body) {
        ctx->too_big = true;
      } else {
        if (ctx->len + *upload_size + 1 > ctx->cap) {
          size_t nc = ctx->cap ? ctx->cap : 4096;
          while (nc < ctx->len + *upload_size + 1)
            nc *= 2;
          char *nb = realloc(ctx->body, nc);
          if (!nb)
            return MHD_NO;
          ctx->body = nb;
          ctx->cap = nc;
        }
        memcpy(ctx->body + ctx->len, upload, *upload_size);
        ctx->len += *upload_size;
        ctx->body[ctx->len] = '\0';
      }
    }
    *upload_size = 0;
    return MHD_YES;
  }
  if (ctx->too_big) /* a chunked body: no length announced */
    return queue_too_big(conn, h->max_body);

  if (ctx->offloaded) {
    /* Called again after the resume: the handler's thread has answered. */
    pthread_mutex_lock(&h->off_mu);
    bool answered = ctx->answered;
    pthread_mutex_unlock(&h->off_mu);
    return answered ? queue_resp(h, conn, &ctx->resp) : MHD_YES;
  }

  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (ci)
    addr_text(ci->client_addr, ctx->remote, sizeof ctx->remote);
  ctx->req = (ecsb_httpd_req){.method = method,
                              .path = url,
                              .raw_uri = ctx->raw_uri ? ctx->raw_uri : url,
                              .body = ctx->body ? ctx->body : "",
                              .body_len = ctx->len,
                              .remote_ip = ctx->remote,
                              .local_ip = h->bind_ip,
                              .conn_ = conn};
  ctx->resp =
      (ecsb_httpd_resp){.status = 200, .content_type = "application/json"};
  if (h->may_block && h->may_block(h->user, &ctx->req))
    return offload(h, conn, ctx);
  h->handler(h->user, &ctx->req, &ctx->resp);
  return queue_resp(h, conn, &ctx->resp);
}

/* libmicrohttpd's own messages, in the project's log format. A handler
 * that drops a connection on purpose (a fake's "endpoint down" fault) makes
 * libmicrohttpd report an internal error: that one is only debug. */
__attribute__((format(printf, 2, 0))) static void
mhd_log(void *cls, const char *fmt, va_list ap) {
  (void)cls;
  char msg[512];
  vsnprintf(msg, sizeof msg, fmt, ap);
  size_t l = strlen(msg);
  while (l > 0 && (msg[l - 1] == '\n' || msg[l - 1] == '.'))
    msg[--l] = '\0';
  bool deliberate =
      strncmp(msg, "Application reported internal error", 35) == 0;
  ecsb_log(deliberate ? ECSB_LOG_DEBUG : ECSB_LOG_WARN, "libmicrohttpd",
           "message", msg, NULL);
}

int ecsb_httpd_start(const ecsb_httpd_opts *opts, ecsb_httpd_handler handler,
                     void *user, ecsb_httpd **out, ecsb_err *err) {
  ecsb_httpd_opts o;
  if (opts)
    o = *opts;
  else
    ecsb_httpd_opts_default(&o);
  if (!o.bind_ip)
    o.bind_ip = "127.0.0.1";
  if (!o.max_body)
    o.max_body = 1u << 20;
  if (!o.conn_limit)
    o.conn_limit = 1024;
  *out = NULL;
  if (!o.allow_non_loopback && !ecsb_ip_is_loopback(o.bind_ip))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "refusing to bind %s: not a loopback address (fakes "
                        "bind 127.0.0.0/8 or ::1 unless explicitly allowed)",
                        o.bind_ip);
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
  struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, o.bind_ip, &s4->sin_addr) == 1) {
    s4->sin_family = AF_INET;
    s4->sin_port = htons(o.port);
  } else if (inet_pton(AF_INET6, o.bind_ip, &s6->sin6_addr) == 1) {
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(o.port);
    flags |= MHD_USE_IPv6;
  } else {
    return ecsb_err_set(err, ECSB_EINVAL, "invalid bind address \"%s\"",
                        o.bind_ip);
  }
  if (o.threads == 0)
    flags |= MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
  else
    flags |= MHD_USE_EPOLL;
  if (o.threads > 0 && o.may_block)
    flags |= MHD_ALLOW_SUSPEND_RESUME;

  ecsb_httpd *h = calloc(1, sizeof *h);
  if (!h)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  h->handler = handler;
  h->user = user;
  h->max_body = o.max_body;
  snprintf(h->bind_ip, sizeof h->bind_ip, "%s", o.bind_ip);
  h->may_block = o.threads > 0 ? o.may_block : NULL;
  h->served = o.served;
  h->served_user = o.served_user;
  h->thread_per_conn = o.threads == 0;
  pthread_mutex_init(&h->off_mu, NULL);
  pthread_cond_init(&h->off_cv, NULL);

  struct MHD_OptionItem ops[9];
  int n = 0;
  ops[n++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER,
                                     (intptr_t)mhd_log, NULL};
  ops[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &ss};
  ops[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT,
                                     (intptr_t)o.conn_limit, NULL};
  ops[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT,
                                     (intptr_t)o.conn_timeout_s, NULL};
  ops[n++] = (struct MHD_OptionItem){MHD_OPTION_URI_LOG_CALLBACK,
                                     (intptr_t)uri_logger, h};
  ops[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED,
                                     (intptr_t)on_completed, h};
  if (h->served && h->thread_per_conn)
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION,
                                       (intptr_t)on_connection, NULL};
  if (o.threads > 0)
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE,
                                       (intptr_t)o.threads, NULL};
  ops[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};

  h->d = MHD_start_daemon(flags, o.port, NULL, NULL, on_request, h,
                          MHD_OPTION_ARRAY, ops, MHD_OPTION_END);
  if (!h->d) {
    pthread_mutex_destroy(&h->off_mu);
    pthread_cond_destroy(&h->off_cv);
    free(h);
    return ecsb_err_set(err, ECSB_EIO,
                        "cannot listen on %s:%u (address in use, or not "
                        "available on this host)",
                        o.bind_ip, (unsigned)o.port);
  }
  const union MHD_DaemonInfo *di =
      MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
  h->port = di ? di->port : o.port;
  *out = h;
  return 0;
}

uint16_t ecsb_httpd_port(const ecsb_httpd *h) {
  return h ? h->port : 0;
}

const char *ecsb_httpd_bind_ip(const ecsb_httpd *h) {
  return h ? h->bind_ip : "";
}

void ecsb_httpd_stop(ecsb_httpd *h) {
  if (!h)
    return;
  atomic_store(&h->stopping, true);
  /* Offloaded handlers must answer first: a suspended connection cannot be
   * closed by MHD_stop_daemon. The application ends its blocking waits
   * before stopping its server, so this is short; bounded all the same. */
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 60;
  pthread_mutex_lock(&h->off_mu);
  while (h->off_running > 0 &&
         pthread_cond_timedwait(&h->off_cv, &h->off_mu, &deadline) != ETIMEDOUT)
    ;
  unsigned left = h->off_running;
  pthread_mutex_unlock(&h->off_mu);
  if (left)
    ecsb_log(ECSB_LOG_ERROR, "httpd stop", "message",
             "handlers still running after 60 s", NULL);
  /* libmicrohttpd 0.9.75 (Debian 12) can crash in a per-connection thread
   * when the daemon is stopped while that thread is still answering a
   * malformed request (seen with a TLS hello sent to a plain port, one stop
   * in four). Connections that are closing go away within milliseconds, so
   * give them a short, bounded moment; an idle keep-alive connection only
   * costs the bound. */
  for (int i = 0; i < 40; i++) {
    const union MHD_DaemonInfo *di =
        MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    if (!di || di->num_connections == 0)
      break;
    ecsb_sleep_ms(5, NULL);
  }
  MHD_stop_daemon(h->d);
  pthread_mutex_destroy(&h->off_mu);
  pthread_cond_destroy(&h->off_cv);
  free(h);
}
