/*
 * probe.h - one-shot health probes: a TCP connect and an HTTP GET with an
 * expected status range. Made for ECS container healthCheck commands in
 * images that have neither nc nor curl (the Envoy image). Each probe is
 * bounded by its timeout and tries once (ECS's healthCheck retries).
 *
 * Two layers, so that the statically linked ecsboot-health can share every
 * rule with `ecsboot-init health-check` without linking libcurl:
 *   - the *_ops functions (probe.c) use sockets and libc only. By
 *     themselves (ops NULL) they connect to IP literals and `localhost`
 *     and speak plain http://: a static program has no resolver (glibc's
 *     getaddrinfo loads the NSS libraries at run time) and no TLS;
 *   - ecsb_probe_tcp and ecsb_probe_http (probe_full.c, ecsboot-core only)
 *     are the same probes with ecsb_probe_ops_full: names through
 *     getaddrinfo and https:// through libcurl.
 */
#ifndef ECSB_PROBE_H
#define ECSB_PROBE_H

#include <stddef.h>
#include <sys/socket.h>

#include "ecsb/err.h"

/* Status ranges such as "200-399" or "200,204,300-302". */
#define ECSB_PROBE_MAX_RANGES 16
typedef struct ecsb_status_set {
  int lo[ECSB_PROBE_MAX_RANGES], hi[ECSB_PROBE_MAX_RANGES];
  size_t n;
} ecsb_status_set;

int ecsb_status_set_parse(const char *s, ecsb_status_set *out, ecsb_err *err);
int ecsb_status_set_has(const ecsb_status_set *s, long status);

/* The addresses a host name stands for, in the resolver's order. */
#define ECSB_PROBE_MAX_ADDRS 8
typedef struct ecsb_probe_addrs {
  struct sockaddr_storage a[ECSB_PROBE_MAX_ADDRS];
  socklen_t len[ECSB_PROBE_MAX_ADDRS];
  size_t n;
} ecsb_probe_addrs;

/* What a probe may use beyond sockets. Either member may be NULL: names
 * other than IP literals and localhost, or https:// URLs, are then refused
 * with a message that says so. */
typedef struct ecsb_probe_ops {
  /* Fills out with host's addresses for port (at least one), or fails. */
  int (*resolve)(const char *host, int port, ecsb_probe_addrs *out,
                 ecsb_err *err);
  /* One GET of an https:// URL within timeout_ms; 0 with *status set
   * when the server answered. */
  int (*https_get)(const char *url, long timeout_ms, long *status,
                   ecsb_err *err);
} ecsb_probe_ops;

/* Connects to HOST:PORT (every address in turn) within timeout_ms, all
 * addresses together. 0 when a connection was accepted. */
int ecsb_probe_tcp_ops(const char *hostport, long timeout_ms,
                       const ecsb_probe_ops *ops, ecsb_err *err);

/* GETs url within timeout_ms; 0 when the status is in expect (NULL:
 * 200-399). http:// is an HTTP/1.0 request whose status line is read and
 * the rest ignored, so a large body costs nothing. *status (may be NULL)
 * gets the answer's status (0 when none). */
int ecsb_probe_http_ops(const char *url, const ecsb_status_set *expect,
                        long timeout_ms, const ecsb_probe_ops *ops,
                        long *status, ecsb_err *err);

/* One GET of an http:// URL within timeout_ms, sockets only (names as
 * for the probes, through ops; NULL: IP literals and localhost), with one
 * optional header (hname NULL or hvalue empty: none): on 0, *status is the
 * answer's status and *body (caller frees, NUL-terminated) its *len bytes,
 * at most max (ECSB_ETOOBIG beyond). For programs that must not load
 * libcurl (the stand-ins a fleet starts by the hundred). */
int ecsb_probe_get(const char *url, const char *hname, const char *hvalue,
                   long timeout_ms, size_t max, const ecsb_probe_ops *ops,
                   long *status, char **body, size_t *len, ecsb_err *err);

/* ecsboot-core only (probe_full.c): getaddrinfo and libcurl for https. */
extern const ecsb_probe_ops ecsb_probe_ops_full;
int ecsb_probe_tcp(const char *hostport, long timeout_ms, ecsb_err *err);
int ecsb_probe_http(const char *url, const ecsb_status_set *expect,
                    long timeout_ms, long *status, ecsb_err *err);

#endif
