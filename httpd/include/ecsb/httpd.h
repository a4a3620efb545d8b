/*
 * httpd.h - the loopback HTTP server plumbing shared by fake-consul, fake-ecs,
 * the stand-in containers and the tests, on libmicrohttpd.
 *
 * It owns: binding (loopback by default; port 0 picks a free port), request
 * body accumulation with a size cap (413 above it), a plain request view
 * (method, decoded path, raw URI, query, headers, body) and a response
 * builder. It knows nothing of Consul or ECS. Production `ecsboot-init` never
 * links it (it is not part of core/).
 *
 * Threading: the handler runs on libmicrohttpd's threads. In the default
 * thread-per-connection mode a handler may block (blocking queries, latency
 * faults); with `threads` > 0 an epoll pool of that many threads serves all
 * connections and handlers must not block for long, unless `may_block`
 * picks them out to run on threads of their own. The handler's `user`
 * state must do its own locking.
 */
#ifndef ECSB_HTTPD_H
#define ECSB_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ecsb/err.h"

typedef struct ecsb_httpd ecsb_httpd;

typedef struct ecsb_httpd_req {
  const char *method;  /* "GET", "PUT", ... */
  const char *path;    /* percent-decoded path, no query */
  const char *raw_uri; /* as sent on the request line: path?query */
  const char *body;    /* NUL-terminated; "" when none */
  size_t body_len;
  const char *remote_ip; /* peer address as text */
  const char *local_ip;  /* the address the server is bound to */
  void *conn_;           /* private: the libmicrohttpd connection */
} ecsb_httpd_req;

/* Case-insensitive request header lookup; borrowed or NULL. */
const char *ecsb_httpd_req_header(const ecsb_httpd_req *req, const char *name);
/* Query argument lookup. Returns true when the key is present; *value is
 * its decoded value, or NULL for a bare key such as `?passing`. value may be
 * NULL. */
bool ecsb_httpd_req_query(const ecsb_httpd_req *req, const char *key,
                          const char **value);
/* Calls fn for every query argument (value NULL for bare keys); stops when
 * fn returns non-zero. */
void ecsb_httpd_req_query_each(const ecsb_httpd_req *req,
                               int (*fn)(void *u, const char *key,
                                         const char *value),
                               void *u);

/* Calls fn for every request header in the order received, repeated
 * names included (SigV4 verification joins repeats); stops when fn returns
 * non-zero. */
void ecsb_httpd_req_header_each(const ecsb_httpd_req *req,
                                int (*fn)(void *u, const char *name,
                                          const char *value),
                                void *u);

#define ECSB_HTTPD_MAX_RESP_HEADERS 16

typedef struct ecsb_httpd_resp {
  int status;            /* default 200 */
  char content_type[64]; /* default "application/json" */
  char *body;            /* owned heap buffer, or NULL */
  size_t body_len;
  size_t n_headers;
  char *header_names[ECSB_HTTPD_MAX_RESP_HEADERS];
  char *header_values[ECSB_HTTPD_MAX_RESP_HEADERS];
  bool close_connection; /* drop the connection after this response */
  /* Close the connection without sending anything: what a client sees
   * from a crashed or unreachable endpoint ("empty reply"). */
  bool abort_connection;
  /* A slow peer: the body goes out one byte every trickle_ms (chunked),
   * and with `endless` spaces follow it until the client gives up or the
   * server stops (JSON that never ends). Thread-per-connection mode only. */
  unsigned trickle_ms;
  bool endless;
} ecsb_httpd_resp;

/* Copies body (len bytes) into the response. */
void ecsb_httpd_resp_set(ecsb_httpd_resp *resp, int status,
                         const char *content_type, const char *body,
                         size_t len);
/* Takes ownership of a malloc'd NUL-terminated body. */
void ecsb_httpd_resp_take(ecsb_httpd_resp *resp, int status,
                          const char *content_type, char *body);
/* printf into a text/plain body (Consul's error style). */
void ecsb_httpd_resp_textf(ecsb_httpd_resp *resp, int status, const char *fmt,
                           ...) __attribute__((format(printf, 3, 4)));
/* Adds a header (copied); extra headers past the limit are dropped. */
void ecsb_httpd_resp_header(ecsb_httpd_resp *resp, const char *name,
                            const char *value);

typedef void (*ecsb_httpd_handler)(void *user, const ecsb_httpd_req *req,
                                   ecsb_httpd_resp *resp);

/* Says whether a request's handler may block (a blocking query, an
 * injected delay). In pool mode such a request runs on a thread of its own
 * while its connection is suspended, so it holds none of the pool's
 * threads. Called on a pool thread; must not block. */
typedef bool (*ecsb_httpd_may_block)(void *user, const ecsb_httpd_req *req);

/* Called once a request has been answered, on the thread that answered
 * it: remote_ip is the client's address, cpu_us the CPU time this
 * server's threads spent on the request (reading it, the handler, sending
 * the answer; in thread-per-connection mode also starting the
 * connection's thread). A client that waited for the answer was blocked
 * that long on this process's work: the runner charges it to the task that
 * called as host lag (scenarios/run_lag.c). Must not block. */
typedef void (*ecsb_httpd_served_fn)(void *user, const char *remote_ip,
                                     int64_t cpu_us);

typedef struct ecsb_httpd_opts {
  const char *bind_ip;     /* default "127.0.0.1" */
  uint16_t port;           /* 0: any free port */
  unsigned threads;        /* 0: thread per connection; N: epoll pool of N */
  size_t max_body;         /* default 1 MiB; larger bodies get 413 */
  unsigned conn_limit;     /* default 1024 */
  unsigned conn_timeout_s; /* idle connection timeout, default 60 */
  /* Allow binding outside 127.0.0.0/8 and ::1. Off by default: fakes bind
   * loopback unless told otherwise. */
  bool allow_non_loopback;
  /* Pool mode only (threads > 0); NULL: every handler runs on the pool. */
  ecsb_httpd_may_block may_block;
  ecsb_httpd_served_fn served; /* optional */
  void *served_user;
} ecsb_httpd_opts;

void ecsb_httpd_opts_default(ecsb_httpd_opts *opts);

/* Starts serving. handler and user must outlive the server. */
int ecsb_httpd_start(const ecsb_httpd_opts *opts, ecsb_httpd_handler handler,
                     void *user, ecsb_httpd **out, ecsb_err *err);
/* The bound port (useful after port 0). */
uint16_t ecsb_httpd_port(const ecsb_httpd *h);
const char *ecsb_httpd_bind_ip(const ecsb_httpd *h);
/* Stops accepting, waits for handlers to return, frees. NULL is fine. */
void ecsb_httpd_stop(ecsb_httpd *h);

/* For a process whose job is serving (`ecsboot serve`, the benchmark
 * servers): caps glibc's malloc arenas at 2. Under load with malformed
 * requests a fake's RSS crept by a few percent a minute, memory freed in
 * one thread's arena left idle while another grew; with 2 arenas it stays
 * flat (bench/soak.sh). Call before any thread starts. */
void ecsb_httpd_tune_process(void);

/* True when ip is textual IPv4 in 127.0.0.0/8 or "::1". */
bool ecsb_ip_is_loopback(const char *ip);

#endif
