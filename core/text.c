/*
 * text.c - string helpers shared by the init components (see text.h).
 * Everything here is pure and bounded; nothing allocates more than its
 * input's size.
 */
#include "ecsb/text.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ecsb/log.h"

char *ecsb_excerpt(const char *body, size_t len, char *buf, size_t cap) {
  size_t max = cap - 4;
  if (max > 200)
    max = 200;
  size_t n = 0;
  for (size_t i = 0; body && i < len && n < max; i++) {
    unsigned char ch = (unsigned char)body[i];
    buf[n++] = (ch < 0x20 || ch == 0x7f) ? '.' : (char)ch;
  }
  buf[n] = '\0';
  /* Redact before appending "..." so a cut secret is still scrubbed. */
  ecsb_redact(buf, cap - 4);
  if (body && len > max)
    strcat(buf, "...");
  return buf;
}

int ecsb_hostport_parse(const char *s, int default_port, const char *what,
                        char *host, size_t host_cap, int *port, ecsb_err *err) {
  if (!s || !*s)
    return ecsb_err_set(err, ECSB_EINVAL, "%s: empty address", what);
  const char *h = s, *hend, *colon;
  if (*s == '[') {
    hend = strchr(s, ']');
    if (!hend)
      return ecsb_err_set(err, ECSB_EINVAL, "%s: \"%s\": missing ']'", what, s);
    h = s + 1;
    colon = hend[1] == ':' ? hend + 1 : NULL;
    if (hend[1] && !colon)
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s: \"%s\": expected ':' after ']'", what, s);
  } else {
    colon = strrchr(s, ':');
    if (colon && strchr(s, ':') != colon)
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s: \"%s\": write IPv6 addresses as [addr]:port",
                          what, s);
    hend = colon ? colon : s + strlen(s);
  }
  size_t hl = (size_t)(hend - h);
  if (hl == 0)
    return ecsb_err_set(err, ECSB_EINVAL, "%s: \"%s\": missing host", what, s);
  if (hl >= host_cap)
    return ecsb_err_set(err, ECSB_EINVAL, "%s: \"%s\": host too long", what, s);
  for (size_t i = 0; i < hl; i++) {
    unsigned char c = (unsigned char)h[i];
    if (!isalnum(c) && c != '.' && c != '-' && c != ':' && c != '_' && c != '%')
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s: \"%s\": invalid character in host", what, s);
  }
  memcpy(host, h, hl);
  host[hl] = '\0';
  if (!colon) {
    if (default_port <= 0)
      return ecsb_err_set(err, ECSB_EINVAL, "%s: \"%s\": expected HOST:PORT",
                          what, s);
    *port = default_port;
    return 0;
  }
  const char *p = colon + 1;
  long v = 0;
  if (!*p || strlen(p) > 5)
    goto bad_port;
  for (const char *q = p; *q; q++) {
    if (!isdigit((unsigned char)*q))
      goto bad_port;
    v = v * 10 + (*q - '0');
  }
  if (v < 1 || v > 65535)
    goto bad_port;
  *port = (int)v;
  return 0;
bad_port:
  return ecsb_err_set(err, ECSB_EINVAL,
                      "%s: \"%s\": port must be a number in 1-65535", what, s);
}

char *ecsb_path_escape(const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  size_t n = strlen(s);
  char *out = malloc(n * 3 + 1), *o = out;
  if (!out)
    return NULL;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
      *o++ = (char)*p;
    } else {
      *o++ = '%';
      *o++ = hex[*p >> 4];
      *o++ = hex[*p & 15];
    }
  }
  *o = '\0';
  return out;
}

static int digits(const char *s, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (!isdigit((unsigned char)s[i]))
      return -1;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return 0;
}

int ecsb_rfc3339_parse(const char *s, int64_t *out_unix, ecsb_err *err) {
  int Y, M, D, h, m, sec;
  if (!s || strlen(s) < 20 || digits(s, 4, &Y) || s[4] != '-' ||
      digits(s + 5, 2, &M) || s[7] != '-' || digits(s + 8, 2, &D) ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || digits(s + 11, 2, &h) ||
      s[13] != ':' || digits(s + 14, 2, &m) || s[16] != ':' ||
      digits(s + 17, 2, &sec))
    goto bad;
  if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
    goto bad;
  const char *p = s + 19;
  if (*p == '.') {
    p++;
    if (!isdigit((unsigned char)*p))
      goto bad;
    while (isdigit((unsigned char)*p))
      p++;
  }
  int offset = 0;
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int oh, om;
    if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) ||
        oh > 23 || om > 59)
      goto bad;
    offset = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
    p += 6;
  } else {
    goto bad;
  }
  if (*p)
    goto bad;
  struct tm tm = {0};
  tm.tm_year = Y - 1900;
  tm.tm_mon = M - 1;
  tm.tm_mday = D;
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = sec;
  *out_unix = (int64_t)timegm(&tm) - offset;
  return 0;
bad:
  return ecsb_err_set(err, ECSB_EPARSE,
                      "\"%s\" is not an RFC 3339 timestamp "
                      "(2006-01-02T15:04:05Z)",
                      s ? s : "");
}

char *ecsb_strdup0(const char *s) {
  return strdup(s ? s : "");
}
