/*
 * probe.c - the TCP and HTTP probes behind `health-check` (see probe.h).
 * The TCP probe uses a non-blocking connect and poll so the timeout covers
 * every resolved address together, not each one.
 */
#include "ecsb/probe.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ecsb/clock.h"
#include "ecsb/http.h"
#include "ecsb/text.h"

static int connect_one(const struct addrinfo *ai, int64_t deadline,
                       int *err_no) {
  int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err_no = errno;
    return -1;
  }
  int fl = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, fl | O_NONBLOCK);
  int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
  if (rc != 0 && errno != EINPROGRESS) {
    *err_no = errno;
    close(fd);
    return -1;
  }
  if (rc != 0) {
    for (;;) {
      int64_t left = deadline - ecsb_mono_ms();
      if (left <= 0) {
        *err_no = ETIMEDOUT;
        close(fd);
        return -1;
      }
      struct pollfd p = {.fd = fd, .events = POLLOUT};
      int n = poll(&p, 1, (int)left);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0) {
        *err_no = n == 0 ? ETIMEDOUT : errno;
        close(fd);
        return -1;
      }
      int soerr = 0;
      socklen_t sl = sizeof soerr;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
      if (soerr) {
        *err_no = soerr;
        close(fd);
        return -1;
      }
      break;
    }
  }
  close(fd);
  return 0;
}

int ecsb_probe_tcp(const char *hostport, long timeout_ms, ecsb_err *err) {
  char host[256], port_s[8];
  int port = 0;
  int rc = ecsb_hostport_parse(hostport, 0, "tcp target", host, sizeof host,
                               &port, err);
  if (rc)
    return rc;
  snprintf(port_s, sizeof port_s, "%d", port);
  int64_t deadline = ecsb_mono_ms() + timeout_ms;
  struct addrinfo hints = {0}, *res = NULL;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  int g = getaddrinfo(host, port_s, &hints, &res);
  if (g != 0)
    return ecsb_err_set(err, ECSB_ETRANSPORT, "tcp %s: cannot resolve %s: %s",
                        hostport, host, gai_strerror(g));
  int last = ECONNREFUSED;
  for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    if (connect_one(ai, deadline, &last) == 0) {
      freeaddrinfo(res);
      return 0;
    }
  }
  freeaddrinfo(res);
  return ecsb_err_set(err, last == ETIMEDOUT ? ECSB_ETIMEDOUT : ECSB_ETRANSPORT,
                      "tcp %s: %s", hostport,
                      last == ETIMEDOUT ? "no answer before the timeout"
                                        : strerror(last));
}

int ecsb_status_set_parse(const char *s, ecsb_status_set *out, ecsb_err *err) {
  memset(out, 0, sizeof *out);
  const char *p = s;
  if (!s || !*s)
    goto bad;
  for (;;) {
    if (out->n >= ECSB_PROBE_MAX_RANGES)
      goto bad;
    char *end;
    long lo = strtol(p, &end, 10), hi = lo;
    if (end == p)
      goto bad;
    p = end;
    if (*p == '-') {
      const char *q = p + 1;
      hi = strtol(q, &end, 10);
      if (end == q)
        goto bad;
      p = end;
    }
    if (lo < 100 || hi > 599 || lo > hi)
      goto bad;
    out->lo[out->n] = (int)lo;
    out->hi[out->n] = (int)hi;
    out->n++;
    if (*p == '\0')
      return 0;
    if (*p != ',')
      goto bad;
    p++;
  }
bad:
  return ecsb_err_set(err, ECSB_EINVAL,
                      "flag -expect: \"%s\" is not a status list such as "
                      "200-399 or 200,204 (codes 100-599)",
                      s ? s : "");
}

int ecsb_status_set_has(const ecsb_status_set *s, long status) {
  for (size_t i = 0; i < s->n; i++)
    if (status >= s->lo[i] && status <= s->hi[i])
      return 1;
  return 0;
}

int ecsb_probe_http(const char *url, const ecsb_status_set *expect,
                    long timeout_ms, long *status, ecsb_err *err) {
  *status = 0;
  if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "http target \"%s\" is not an http:// or https:// URL",
                        url);
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
    if (!ecsb_status_set_has(expect, resp.status))
      rc = ecsb_err_set(err, ECSB_ESTATUS, "GET %s: HTTP %ld not expected", url,
                        resp.status);
  }
  ecsb_http_response_clear(&resp);
  ecsb_http_client_free(c);
  return rc;
}
