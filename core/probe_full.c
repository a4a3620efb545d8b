/*
 * probe_full.c - what the dynamically linked programs add to the probes of
 * probe.c: host names through getaddrinfo and https:// through libcurl
 * (ecsb_probe_ops_full). `ecsboot-init health-check` and the runner's
 * in-process probes use it; ecsboot-health never links this file.
 */
#include "ecsb/probe.h"

#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "ecsb/http.h"

static int resolve_gai(const char *host, int port, ecsb_probe_addrs *out,
                       ecsb_err *err) {
  char port_s[8];
  snprintf(port_s, sizeof port_s, "%d", port);
  struct addrinfo hints = {0}, *res = NULL;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  int g = getaddrinfo(host, port_s, &hints, &res);
  if (g != 0)
    return ecsb_err_set(err, ECSB_ETRANSPORT, "cannot resolve %s: %s", host,
                        gai_strerror(g));
  out->n = 0;
  for (const struct addrinfo *ai = res; ai && out->n < ECSB_PROBE_MAX_ADDRS;
       ai = ai->ai_next) {
    if (ai->ai_addrlen > sizeof out->a[0])
      continue;
    memcpy(&out->a[out->n], ai->ai_addr, ai->ai_addrlen);
    out->len[out->n++] = ai->ai_addrlen;
  }
  freeaddrinfo(res);
  if (out->n == 0)
    return ecsb_err_set(err, ECSB_ETRANSPORT, "cannot resolve %s: no address",
                        host);
  return 0;
}

static int https_get(const char *url, long timeout_ms, long *status,
                     ecsb_err *err) {
  ecsb_http_opts o;
  ecsb_http_opts_default(&o);
  o.max_retries = 0; /* ECS retries the health check itself */
  o.timeout_ms = timeout_ms;
  o.connect_timeout_ms = timeout_ms;
  o.max_body = 64 * 1024; /* the body is ignored; do not buffer much */
  ecsb_http_client *c = ecsb_http_client_new(&o, err);
  if (!c)
    return err ? err->code : ECSB_ENOMEM;
  ecsb_http_response resp;
  int rc = ecsb_http_get(c, url, NULL, 0, &resp, err);
  if (rc == ECSB_ETOOBIG) {
    /* A large body still means the server answered; only the status
     * matters here, but curl gives up before reporting it. */
    rc = ecsb_err_set(err, ECSB_ETOOBIG,
                      "GET %s: body larger than 64 KiB; serve a smaller "
                      "health endpoint",
                      url);
  } else if (rc == 0) {
    *status = resp.status;
  }
  ecsb_http_response_clear(&resp);
  ecsb_http_client_free(c);
  return rc;
}

const ecsb_probe_ops ecsb_probe_ops_full = {.resolve = resolve_gai,
                                            .https_get = https_get};

int ecsb_probe_tcp(const char *hostport, long timeout_ms, ecsb_err *err) {
  return ecsb_probe_tcp_ops(hostport, timeout_ms, &ecsb_probe_ops_full, err);
}

int ecsb_probe_http(const char *url, const ecsb_status_set *expect,
                    long timeout_ms, long *status, ecsb_err *err) {
  return ecsb_probe_http_ops(url, expect, timeout_ms, &ecsb_probe_ops_full,
                             status, err);
}
