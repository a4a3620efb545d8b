/*
 * probe.h - one-shot health probes for `ecsboot-init health-check`: a TCP
 * connect and an HTTP GET with an expected status range. Made for ECS
 * container healthCheck commands in images that have neither nc nor curl
 * (the Envoy image). Each probe is bounded by its timeout.
 */
#ifndef ECSB_PROBE_H
#define ECSB_PROBE_H

#include <stddef.h>

#include "ecsb/err.h"

/* Connects to HOST:PORT (every resolved address in turn) within
 * timeout_ms. 0 when a connection was accepted. */
int ecsb_probe_tcp(const char *hostport, long timeout_ms, ecsb_err *err);

/* Status ranges such as "200-399" or "200,204,300-302". */
#define ECSB_PROBE_MAX_RANGES 16
typedef struct ecsb_status_set {
  int lo[ECSB_PROBE_MAX_RANGES], hi[ECSB_PROBE_MAX_RANGES];
  size_t n;
} ecsb_status_set;

int ecsb_status_set_parse(const char *s, ecsb_status_set *out, ecsb_err *err);
int ecsb_status_set_has(const ecsb_status_set *s, long status);

/* GETs url (http or https) within timeout_ms; 0 when the status is in
 * expect. *status gets the answer's status (0 when none). */
int ecsb_probe_http(const char *url, const ecsb_status_set *expect,
                    long timeout_ms, long *status, ecsb_err *err);

#endif
