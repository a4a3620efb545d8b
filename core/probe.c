/*
 * probe.c - the TCP and HTTP probes behind `ecsboot-init health-check` and
 * ecsboot-health (see probe.h), on sockets and libc only: this file is
 * linked into the static ecsboot-health, so it must never call libcurl,
 * getaddrinfo or anything else that loads a shared library at run time;
 * what needs one comes in through ecsb_probe_ops.
 *
 * One deadline covers every address together (non-blocking connect and
 * poll), and for HTTP the request and the answer too. A probe reads only
 * the status line: it has no use for the body, and reading no more makes
 * a large body harmless. ecsb_probe_get reads the body as well, capped.
 */
#include "ecsb/probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ecsb/clock.h"
#include "ecsb/text.h"

/* The host time (ms) past which a wait for deadline gives up whatever the
 * clock says. deadline is on ecsb_mono_ms's clock: in a replay that is the
 * task's (ecsb_clock_follow), which stands still while the runner holds
 * it, so a poll that timed out on the host's clock looks again. */
static int64_t host_end(int64_t deadline) {
  int64_t left = deadline - ecsb_mono_ms();
  return (ecsb_mono_host_us() + ecsb_clock_host_bound_us(left * 1000)) / 1000;
}

/* Starts a connect to one address and waits for it until deadline. Returns
 * the connected (non-blocking) socket, or -1 with *err_no set. */
static int connect_one(const struct sockaddr_storage *sa, socklen_t len,
                       int64_t deadline, int *err_no) {
  int fd = socket(sa->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    *err_no = errno;
    return -1;
  }
  if (connect(fd, (const struct sockaddr *)sa, len) == 0)
    return fd;
  if (errno != EINPROGRESS) {
    *err_no = errno;
    close(fd);
    return -1;
  }
  int64_t end = host_end(deadline);
  for (;;) {
    int64_t left = deadline - ecsb_mono_ms();
    if (left <= 0 || ecsb_mono_host_us() / 1000 >= end) {
      *err_no = ETIMEDOUT;
      break;
    }
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int n = poll(&p, 1, (int)left);
    if (n == 0 || (n < 0 && errno == EINTR))
      continue;
    if (n < 0) {
      *err_no = errno;
      break;
    }
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
      soerr = errno;
    if (!soerr)
      return fd;
    *err_no = soerr;
    break;
  }
  close(fd);
  return -1;
}

static void add_addr(ecsb_probe_addrs *out, int family, const void *ip,
                     int port) {
  struct sockaddr_storage *ss = &out->a[out->n];
  memset(ss, 0, sizeof *ss);
  if (family == AF_INET) {
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    memcpy(&s4->sin_addr, ip, sizeof s4->sin_addr);
    out->len[out->n++] = sizeof *s4;
  } else {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons((uint16_t)port);
    memcpy(&s6->sin6_addr, ip, sizeof s6->sin6_addr);
    out->len[out->n++] = sizeof *s6;
  }
}

/* IP literals and localhost need no resolver. localhost is 127.0.0.1 and
 * then ::1, as the /etc/hosts of ECS's awsvpc tasks has it. */
static int resolve(const char *host, int port, const ecsb_probe_ops *ops,
                   ecsb_probe_addrs *out, ecsb_err *err) {
  unsigned char ip[16];
  out->n = 0;
  if (inet_pton(AF_INET, host, ip) == 1) {
    add_addr(out, AF_INET, ip, port);
  } else if (inet_pton(AF_INET6, host, ip) == 1) {
    add_addr(out, AF_INET6, ip, port);
  } else if (strcasecmp(host, "localhost") == 0) {
    inet_pton(AF_INET, "127.0.0.1", ip);
    add_addr(out, AF_INET, ip, port);
    inet_pton(AF_INET6, "::1", ip);
    add_addr(out, AF_INET6, ip, port);
  } else if (ops && ops->resolve) {
    return ops->resolve(host, port, out, err);
  } else {
    return ecsb_err_set(err, ECSB_EINVAL,
                        "\"%s\" is a host name, and ecsboot-health resolves "
                        "none (a static program has no resolver): give an IP "
                        "address or localhost, or use ecsboot-init "
                        "health-check",
                        host);
  }
  return 0;
}

/* Connects to the first address of host:port that accepts. Returns the
 * socket, or -1 with err set (its message prefixed with label). */
static int connect_host(const char *label, const char *host, int port,
                        int64_t deadline, const ecsb_probe_ops *ops,
                        ecsb_err *err) {
  ecsb_probe_addrs addrs;
  if (resolve(host, port, ops, &addrs, err)) {
    ecsb_err_prefix(err, "%s", label);
    return -1;
  }
  int last = ECONNREFUSED;
  for (size_t i = 0; i < addrs.n; i++) {
    int fd = connect_one(&addrs.a[i], addrs.len[i], deadline, &last);
    if (fd >= 0)
      return fd;
  }
  ecsb_err_set(err, last == ETIMEDOUT ? ECSB_ETIMEDOUT : ECSB_ETRANSPORT,
               "%s: %s", label,
               last == ETIMEDOUT ? "no answer before the timeout"
                                 : strerror(last));
  return -1;
}

int ecsb_probe_tcp_ops(const char *hostport, long timeout_ms,
                       const ecsb_probe_ops *ops, ecsb_err *err) {
  char host[256], label[320];
  int port = 0;
  int rc = ecsb_hostport_parse(hostport, 0, "tcp target", host, sizeof host,
                               &port, err);
  if (rc)
    return rc;
  snprintf(label, sizeof label, "tcp %s", hostport);
  int fd =
      connect_host(label, host, port, ecsb_mono_ms() + timeout_ms, ops, err);
  if (fd < 0)
    return err ? err->code : ECSB_ETRANSPORT;
  close(fd);
  return 0;
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

/* Waits until fd is ready for ev or deadline. 0 ready, else an ECSB code. */
static int wait_fd(int fd, short ev, int64_t deadline) {
  int64_t end = host_end(deadline);
  for (;;) {
    int64_t left = deadline - ecsb_mono_ms();
    if (left <= 0 || ecsb_mono_host_us() / 1000 >= end)
      return ECSB_ETIMEDOUT;
    struct pollfd p = {.fd = fd, .events = ev};
    int n = poll(&p, 1, (int)left);
    if (n > 0)
      return 0;
    if (n < 0 && errno != EINTR)
      return ECSB_ETRANSPORT;
  }
}

/* The request line's target: the URL's path and query, "/" when empty.
 * Control characters and spaces would split or break the request. */
static int split_url(const char *url, char *auth, size_t auth_cap, char *path,
                     size_t path_cap, ecsb_err *err) {
  const char *a = url + 7; /* after "http://" */
  size_t al = strcspn(a, "/?#");
  const char *rest = a + al;
  size_t rl = strcspn(rest, "#");
  if (al == 0 || al >= auth_cap)
    return ecsb_err_set(err, ECSB_EINVAL, "http target \"%s\": %s", url,
                        al ? "host too long" : "missing host");
  memcpy(auth, a, al);
  auth[al] = '\0';
  for (size_t i = 0; i < rl; i++)
    if ((unsigned char)rest[i] <= ' ' || rest[i] == 0x7f)
      return ecsb_err_set(err, ECSB_EINVAL,
                          "http target \"%s\": spaces and control characters "
                          "must be percent-encoded",
                          url);
  int n = snprintf(path, path_cap, "%s%.*s", *rest == '/' ? "" : "/", (int)rl,
                   rest);
  if (n < 0 || (size_t)n >= path_cap)
    return ecsb_err_set(err, ECSB_EINVAL, "http target \"%s\": path too long",
                        url);
  return 0;
}

/* Connects to url's host and sends a GET for it (HTTP/1.0, Connection:
 * close: the server sends no chunked body and expects nothing more from
 * us), with one optional header. Returns the socket, or -1 with err set. */
static int http_send(const char *url, const char *hname, const char *hvalue,
                     int64_t deadline, const ecsb_probe_ops *ops,
                     ecsb_err *err) {
  char auth[300], path[2048], host[256], label[2100], extra[1100] = "";
  int port = 0;
  if (split_url(url, auth, sizeof auth, path, sizeof path, err) ||
      ecsb_hostport_parse(auth, 80, "http target", host, sizeof host, &port,
                          err))
    return -1;
  if (hname && hvalue && *hvalue) {
    int n = snprintf(extra, sizeof extra, "%s: %s\r\n", hname, hvalue);
    if (n < 0 || (size_t)n >= sizeof extra ||
        strcspn(extra, "\r\n") != strlen(hname) + 2 + strlen(hvalue)) {
      ecsb_err_set(err, ECSB_EINVAL,
                   "GET %s: header %s: too long or not "
                   "one line",
                   url, hname);
      return -1;
    }
  }
  /* Fits: path, auth and the header are capped above. */
  char req[sizeof path + sizeof auth + sizeof extra + 128];
  int len = snprintf(req, sizeof req,
                     "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: "
                     "ecsboot-health\r\nAccept: */*\r\n%sConnection: "
                     "close\r\n\r\n",
                     path, auth, extra);
  snprintf(label, sizeof label, "GET %s", url);
  int fd = connect_host(label, host, port, deadline, ops, err);
  if (fd < 0)
    return -1;
  for (size_t off = 0; off < (size_t)len;) {
    if (wait_fd(fd, POLLOUT, deadline)) {
      ecsb_err_set(err, ECSB_ETIMEDOUT, "GET %s: no answer before the timeout",
                   url);
      goto fail;
    }
    ssize_t n = send(fd, req + off, (size_t)len - off, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
      continue;
    if (n < 0) {
      ecsb_err_set(err, ECSB_ETRANSPORT, "GET %s: %s", url, strerror(errno));
      goto fail;
    }
    off += (size_t)n;
  }
  return fd;
fail:
  close(fd);
  return -1;
}

/* Reads from fd into buf until it holds a line, the connection closes
 * (*got then unchanged), or cap bytes (until_eof: until the close). */
static int http_read(int fd, const char *url, char *buf, size_t cap,
                     size_t *got, bool until_eof, int64_t deadline,
                     ecsb_err *err) {
  while (*got < cap && (until_eof || !memchr(buf, '\n', *got))) {
    if (wait_fd(fd, POLLIN, deadline))
      return ecsb_err_set(err, ECSB_ETIMEDOUT,
                          "GET %s: no answer before the timeout", url);
    ssize_t n = recv(fd, buf + *got, cap - *got, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
      continue;
    if (n < 0)
      return ecsb_err_set(err, ECSB_ETRANSPORT, "GET %s: %s", url,
                          strerror(errno));
    if (n == 0)
      break;
    *got += (size_t)n;
  }
  return 0;
}

/* The status of an answer that starts with "HTTP/1.x NNN" and a space or
 * the line's end; -1 for anything else. */
static long status_of(const char *line, size_t got) {
  if (got < 12 || memcmp(line, "HTTP/1.", 7) != 0 || line[8] != ' ' ||
      line[9] < '1' || line[9] > '5' || line[10] < '0' || line[10] > '9' ||
      line[11] < '0' || line[11] > '9' ||
      (got > 12 && line[12] != ' ' && line[12] != '\r' && line[12] != '\n'))
    return -1;
  return (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
}

static int http_plain(const char *url, long timeout_ms,
                      const ecsb_probe_ops *ops, long *status, ecsb_err *err) {
  int64_t deadline = ecsb_mono_ms() + timeout_ms;
  int fd = http_send(url, NULL, NULL, deadline, ops, err);
  if (fd < 0)
    return err ? err->code : ECSB_ETRANSPORT;
  char line[512];
  size_t got = 0;
  int rc = http_read(fd, url, line, sizeof line, &got, false, deadline, err);
  close(fd);
  if (rc)
    return rc;
  if (got < sizeof line && !memchr(line, '\n', got))
    return ecsb_err_set(err, ECSB_ETRANSPORT,
                        "GET %s: the connection closed before an answer", url);
  if (!memchr(line, '\n', got) || (*status = status_of(line, got)) < 0)
    return ecsb_err_set(err, ECSB_EPARSE,
                        "GET %s: the answer's first line is not an HTTP "
                        "status line",
                        url);
  return 0;
}

int ecsb_probe_get(const char *url, const char *hname, const char *hvalue,
                   long timeout_ms, size_t max, const ecsb_probe_ops *ops,
                   long *status, char **body, size_t *len, ecsb_err *err) {
  *status = 0;
  *body = NULL;
  *len = 0;
  if (strncmp(url, "http://", 7) != 0)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "http target \"%s\" is not an http:// URL", url);
  int64_t deadline = ecsb_mono_ms() + timeout_ms;
  /* Room for the head (up to 8 KiB) and max bytes of body. */
  size_t cap = max + 8192;
  char *buf = malloc(cap + 1);
  if (!buf)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  int fd = http_send(url, hname, hvalue, deadline, ops, err);
  if (fd < 0) {
    free(buf);
    return err ? err->code : ECSB_ETRANSPORT;
  }
  size_t got = 0;
  char probe;
  int rc = http_read(fd, url, buf, cap, &got, true, deadline, err);
  /* Full buffer: over the cap unless the server closes right there. */
  if (!rc && got == cap && recv(fd, &probe, 1, MSG_DONTWAIT) != 0)
    rc = ecsb_err_set(err, ECSB_ETOOBIG, "GET %s: answer over %zu bytes", url,
                      max);
  close(fd);
  if (rc)
    goto fail;
  buf[got] = '\0';
  char *hend = strstr(buf, "\r\n\r\n");
  long st = status_of(buf, got);
  if (!hend || st < 0) {
    rc = ecsb_err_set(err, ECSB_EPARSE, "GET %s: not an HTTP answer", url);
    goto fail;
  }
  size_t off = (size_t)(hend + 4 - buf);
  if (got - off > max) {
    rc = ecsb_err_set(err, ECSB_ETOOBIG, "GET %s: answer over %zu bytes", url,
                      max);
    goto fail;
  }
  memmove(buf, buf + off, got - off + 1);
  *status = st;
  *len = got - off;
  *body = buf;
  return 0;
fail:
  free(buf);
  return rc;
}

int ecsb_probe_http_ops(const char *url, const ecsb_status_set *expect,
                        long timeout_ms, const ecsb_probe_ops *ops,
                        long *status, ecsb_err *err) {
  long st = 0;
  int rc;
  if (status)
    *status = 0;
  if (strncmp(url, "http://", 7) == 0) {
    rc = http_plain(url, timeout_ms, ops, &st, err);
  } else if (strncmp(url, "https://", 8) == 0) {
    if (!ops || !ops->https_get)
      return ecsb_err_set(err, ECSB_EINVAL,
                          "GET %s: ecsboot-health speaks plain HTTP only (no "
                          "TLS library, so that it runs in any image): probe "
                          "an http:// URL, or use ecsboot-init health-check",
                          url);
    rc = ops->https_get(url, timeout_ms, &st, err);
  } else {
    return ecsb_err_set(err, ECSB_EINVAL,
                        "http target \"%s\" is not an http:// or https:// URL",
                        url);
  }
  if (rc)
    return rc;
  if (status)
    *status = st;
  ecsb_status_set dflt;
  if (!expect) {
    dflt = (ecsb_status_set){.lo = {200}, .hi = {399}, .n = 1};
    expect = &dflt;
  }
  if (!ecsb_status_set_has(expect, st))
    return ecsb_err_set(err, ECSB_ESTATUS, "GET %s: HTTP %ld not expected", url,
                        st);
  return 0;
}
