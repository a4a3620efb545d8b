/*
 * text.h - small string helpers the init components share: a safe excerpt
 * of a peer's response for error messages, host:port splitting, URL-path
 * escaping, and RFC 3339 timestamps.
 */
#ifndef ECSB_TEXT_H
#define ECSB_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "ecsb/err.h"

/* Copies at most 200 bytes of body into buf as one printable line
 * (control bytes become '.'), with secrets redacted (ecsb_redact), and
 * "..." when cut. Returns buf. cap >= 16. */
char *ecsb_excerpt(const char *body, size_t len, char *buf, size_t cap);

/* Splits "host:port", "[v6]:port" or (when default_port > 0) a bare "host"
 * into host (no brackets) and port 1..65535. `what` names the input for the
 * message ("flag -admin-bind"). */
int ecsb_hostport_parse(const char *s, int default_port, const char *what,
                        char *host, size_t host_cap, int *port, ecsb_err *err);

/* Percent-escapes s for use as one URL path segment (unreserved characters
 * kept). Heap string or NULL on ENOMEM. */
char *ecsb_path_escape(const char *s);

/* Parses an RFC 3339 UTC or offset timestamp ("2024-01-02T03:04:05Z",
 * fractional seconds and "+01:00" allowed) into Unix seconds. */
int ecsb_rfc3339_parse(const char *s, int64_t *out_unix, ecsb_err *err);

/* strdup that treats NULL as "". Returns NULL only on ENOMEM. */
char *ecsb_strdup0(const char *s);

#endif
