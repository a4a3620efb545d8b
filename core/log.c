/*
 * log.c - logfmt lines on stderr with secrets redacted.
 *
 * Redaction works at two depths: by key (a value logged under a key that
 * names a secret is never printed) and by content (ecsb_redact scrubs
 * secrets embedded in free text such as an echoed request or a JSON body),
 * because error messages routinely quote peers' responses and headers.
 */
#include "ecsb/log.h"

#include <stdbool.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ecsb/err.h"

/* The one process-wide setting: written by main before threads start. */
static atomic_int g_level = ECSB_LOG_INFO;

static const char *level_names[] = {"debug", "info", "warn", "error", "off"};

void ecsb_log_set_level(ecsb_log_level level) {
  atomic_store(&g_level, (int)level);
}

ecsb_log_level ecsb_log_get_level(void) {
  return (ecsb_log_level)atomic_load(&g_level);
}

int ecsb_log_level_parse(const char *s, ecsb_log_level *out) {
  for (int i = 0; i <= ECSB_LOG_OFF; i++) {
    if (s && strcasecmp(s, level_names[i]) == 0) {
      *out = (ecsb_log_level)i;
      return 0;
    }
  }
  if (s && strcasecmp(s, "warning") == 0) {
    *out = ECSB_LOG_WARN;
    return 0;
  }
  return ECSB_EINVAL;
}

static const char *secret_words[] = {
    "token",     "secret", "password", "authorization", "credential",
    "signature", "passwd", "apikey",   "api_key",       "secretid"};

int ecsb_is_secret_key(const char *key) {
  if (!key)
    return 0;
  for (size_t i = 0; i < sizeof secret_words / sizeof secret_words[0]; i++) {
    const char *w = secret_words[i];
    size_t wl = strlen(w);
    for (const char *p = key; *p; p++)
      if (strncasecmp(p, w, wl) == 0)
        return 1;
  }
  return 0;
}

/* Overwrites s[from, to) with "[redacted]" when it fits, else '*'s; shifts
 * the tail so the string stays well-formed. Returns the end index of the
 * replacement. */
static size_t mask(char *s, size_t cap, size_t from, size_t to) {
  static const char tag[] = "[redacted]";
  size_t len = strlen(s), tl = sizeof tag - 1, span = to - from;
  if (span == 0)
    return to;
  if (len - span + tl < cap) {
    memmove(s + from + tl, s + to, len - to + 1);
    memcpy(s + from, tag, tl);
    return from + tl;
  }
  memset(s + from, '*', span);
  return to;
}

/* After a marker, the secret runs to the end of the line (header values) or
 * to the first of `stops` (Signature=...,). */
static void redact_after(char *s, size_t cap, const char *marker,
                         const char *stops) {
  size_t ml = strlen(marker);
  size_t i = 0;
  while (s[i]) {
    if (strncasecmp(s + i, marker, ml) != 0) {
      i++;
      continue;
    }
    size_t from = i + ml;
    while (s[from] == ' ')
      from++;
    size_t to = from;
    while (s[to] && s[to] != '\r' && s[to] != '\n' && !strchr(stops, s[to]))
      to++;
    i = mask(s, cap, from, to);
    if (i == from) { /* nothing masked: move on, but never past the end */
      if (!s[i])
        break;
      i++;
    }
  }
}

/* "Key": "value" where Key names a secret. */
static void redact_json_values(char *s, size_t cap) {
  size_t i = 0;
  while (s[i]) {
    if (s[i] != '"') {
      i++;
      continue;
    }
    size_t ks = i + 1, ke = ks;
    while (s[ke] && s[ke] != '"')
      ke++;
    if (!s[ke])
      return;
    char key[64];
    size_t kl = ke - ks < sizeof key - 1 ? ke - ks : sizeof key - 1;
    memcpy(key, s + ks, kl);
    key[kl] = '\0';
    size_t j = ke + 1;
    while (s[j] == ' ')
      j++;
    if (s[j] != ':' || !ecsb_is_secret_key(key)) {
      i = ke + 1;
      continue;
    }
    j++;
    while (s[j] == ' ')
      j++;
    if (s[j] != '"') {
      i = j;
      continue;
    }
    size_t vs = j + 1, ve = vs;
    while (s[ve] && s[ve] != '"') {
      if (s[ve] == '\\' && s[ve + 1])
        ve++;
      ve++;
    }
    /* Step over the closing quote only if there is one: an unterminated
     * value ends at the NUL, and stepping past it would read stale bytes. */
    i = mask(s, cap, vs, ve);
    if (s[i] == '"')
      i++;
  }
}

char *ecsb_redact(char *s, size_t cap) {
  if (!s || cap == 0)
    return s;
  redact_after(s, cap, "Authorization:", "");
  redact_after(s, cap, "X-Consul-Token:", "");
  redact_after(s, cap, "X-Amz-Security-Token:", "");
  redact_after(s, cap, "X-aws-ec2-metadata-token:", "");
  redact_after(s, cap, "Bearer ", " \",;");
  redact_after(s, cap, "Signature=", " ,;\"&");
  redact_after(s, cap, "X-Amz-Signature=", " ,;\"&");
  redact_after(s, cap, "token=", " ,;\"&");
  redact_json_values(s, cap);
  return s;
}

static bool needs_quotes(const char *v) {
  if (!*v)
    return true;
  for (const char *p = v; *p; p++)
    if (*p == ' ' || *p == '"' || *p == '=' || *p == '\\' ||
        (unsigned char)*p < 0x20)
      return true;
  return false;
}

/* Appends key=value, quoting and escaping as logfmt readers expect. */
static size_t put_pair(char *buf, size_t cap, size_t off, const char *key,
                       const char *val) {
#define PUT(c)                                                                 \
  do {                                                                         \
    if (off + 1 < cap)                                                         \
      buf[off] = (c);                                                          \
    off++;                                                                     \
  } while (0)
  PUT(' ');
  for (const char *p = key; *p; p++)
    PUT(*p);
  PUT('=');
  bool q = needs_quotes(val);
  if (q)
    PUT('"');
  for (const char *p = val; *p; p++) {
    unsigned char c = (unsigned char)*p;
    if (c == '"' || c == '\\') {
      PUT('\\');
      PUT((char)c);
    } else if (c == '\n') {
      PUT('\\');
      PUT('n');
    } else if (c < 0x20) {
      PUT(' ');
    } else {
      PUT((char)c);
    }
  }
  if (q)
    PUT('"');
#undef PUT
  return off;
}

size_t ecsb_log_format(char *buf, size_t cap, ecsb_log_level level,
                       const char *msg, const char *const *kv, size_t n_kv) {
  char ts[40];
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  struct tm tm;
  gmtime_r(&now.tv_sec, &tm);
  size_t tl = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(ts + tl, sizeof ts - tl, ".%03ldZ", now.tv_nsec / 1000000L);

  int lv = level < 0 || level > ECSB_LOG_OFF ? ECSB_LOG_ERROR : (int)level;
  int n = snprintf(buf, cap, "ts=%s level=%s", ts, level_names[lv]);
  size_t off = n > 0 ? (size_t)n : 0;
  /* Redact a private copy of each value: callers pass borrowed strings. */
  char val[2048];
  snprintf(val, sizeof val, "%s", msg ? msg : "");
  ecsb_redact(val, sizeof val);
  off = put_pair(buf, cap, off, "msg", val);
  for (size_t i = 0; i + 1 < n_kv; i += 2) {
    const char *k = kv[i] ? kv[i] : "";
    const char *v = kv[i + 1] ? kv[i + 1] : "";
    if (ecsb_is_secret_key(k) && *v)
      snprintf(val, sizeof val, "[redacted]");
    else
      snprintf(val, sizeof val, "%s", v);
    ecsb_redact(val, sizeof val);
    off = put_pair(buf, cap, off, k, val);
  }
  if (off + 1 < cap)
    buf[off] = '\n';
  off++;
  if (cap)
    buf[off < cap ? off : cap - 1] = '\0';
  return off;
}

void ecsb_log(ecsb_log_level level, const char *msg, ...) {
  if ((int)level < atomic_load(&g_level) || level >= ECSB_LOG_OFF)
    return;
  const char *kv[64];
  size_t n = 0;
  va_list ap;
  va_start(ap, msg);
  for (;;) {
    const char *k = va_arg(ap, const char *);
    if (!k)
      break;
    const char *v = va_arg(ap, const char *);
    if (n + 2 <= sizeof kv / sizeof kv[0]) {
      kv[n++] = k;
      kv[n++] = v;
    }
  }
  va_end(ap);
  char line[4096];
  size_t len = ecsb_log_format(line, sizeof line, level, msg, kv, n);
  if (len >= sizeof line) { /* truncated: keep the line terminated */
    len = sizeof line - 1;
    line[len - 1] = '\n';
  }
  /* One write per line so concurrent threads never interleave a line. */
  ssize_t w = write(STDERR_FILENO, line, len);
  (void)w;
}
