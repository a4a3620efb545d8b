/*
 * standin_http.h - the little HTTP the app and envoy stand-ins speak, on
 * sockets and libc only, so that the program that runs them
 * (ecsboot-standin) loads no libcurl and no libmicrohttpd: a replay starts
 * two of these processes per task, and the dynamic loader's work for
 * those ~30 libraries was the largest single cost of a fleet
 * (docs/performance.md).
 *
 * Owns: a loopback HTTP/1.1 server for small answers (a thread per
 * connection, so a handler may sleep; bodies of requests are read and
 * dropped); it resolves no names and speaks no TLS. Their GETs are core's
 * socket-only ecsb_probe_get (ecsb/probe.h), the health probe's. The fakes and
 * tests keep the full server (ecsb/httpd.h) and client (ecsb/http.h).
 */
#ifndef SCN_STANDIN_HTTP_H
#define SCN_STANDIN_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "ecsb/err.h"

typedef struct scn_shttp scn_shttp;

typedef struct scn_shttp_resp {
  int status;               /* default 200 */
  const char *content_type; /* default "text/plain" */
  char body[1024];
  size_t body_len;
} scn_shttp_resp;

/* path: the request's path, percent-decoded, without the query. Runs on
 * the connection's thread; may block. */
typedef void (*scn_shttp_handler)(void *user, const char *method,
                                  const char *path, scn_shttp_resp *resp);

/* printf into resp's body (cut at its size). */
void scn_shttp_textf(scn_shttp_resp *resp, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Listens on ip:port (an IPv4 literal; port 0 picks one) and serves until
 * scn_shttp_stop. handler and user must outlive the server. */
int scn_shttp_start(const char *ip, int port, scn_shttp_handler handler,
                    void *user, scn_shttp **out, ecsb_err *err);
int scn_shttp_port(const scn_shttp *s);
/* Stops accepting, ends the open connections and waits (bounded) for
 * their handlers to return. NULL is fine. */
void scn_shttp_stop(scn_shttp *s);

#endif
