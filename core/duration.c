/*
 * duration.c - Go/Consul duration strings <-> nanoseconds.
 *
 * Consul's API and config accept Go's time.ParseDuration syntax and print
 * Duration.String(); matching both exactly keeps registrations we send and
 * values fake-consul echoes byte-compatible with what real clients expect.
 */
#include "ecsb/duration.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const struct {
  const char *name;
  int64_t ns;
} units[] = {
    {"ns", 1},
    {"us", 1000},
    {"\xc2\xb5s", 1000}, /* U+00B5 micro sign */
    {"\xce\xbcs", 1000}, /* U+03BC greek mu */
    {"ms", 1000000},
    {"s", INT64_C(1000000000)},
    {"m", INT64_C(60000000000)},
    {"h", INT64_C(3600000000000)},
};

int ecsb_duration_parse(const char *s, int64_t *out_ns, ecsb_err *err) {
  if (!s || !*s)
    return ecsb_err_set(err, ECSB_EPARSE, "invalid duration \"\": empty");
  const char *orig = s;
  bool neg = false;
  if (*s == '-' || *s == '+') {
    neg = *s == '-';
    s++;
  }
  if (strcmp(s, "0") == 0) {
    *out_ns = 0;
    return 0;
  }
  if (!*s)
    return ecsb_err_set(err, ECSB_EPARSE, "invalid duration \"%s\"", orig);
  /* Accumulate as unsigned so that exactly -2^63 ns is representable. */
  uint64_t total = 0;
  const uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  while (*s) {
    uint64_t whole = 0;
    bool any = false, overflow = false;
    while (*s >= '0' && *s <= '9') {
      if (whole > (UINT64_MAX - 9) / 10)
        overflow = true;
      else
        whole = whole * 10 + (uint64_t)(*s - '0');
      s++;
      any = true;
    }
    uint64_t frac = 0, scale = 1;
    if (*s == '.') {
      s++;
      while (*s >= '0' && *s <= '9') {
        /* Digits past 1e18 cannot change a nanosecond result. */
        if (scale < UINT64_C(1000000000000000000)) {
          frac = frac * 10 + (uint64_t)(*s - '0');
          scale *= 10;
        }
        s++;
        any = true;
      }
    }
    if (!any)
      return ecsb_err_set(err, ECSB_EPARSE,
                          "invalid duration \"%s\": expected a number", orig);
    size_t ulen = 0;
    int64_t unit = 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
      size_t n = strlen(units[i].name);
      if (strncmp(s, units[i].name, n) == 0 && n > ulen) {
        ulen = n;
        unit = units[i].ns;
      }
    }
    if (!ulen)
      return ecsb_err_set(
          err, ECSB_EPARSE,
          "invalid duration \"%s\": missing or unknown unit (use ns, us, ms, "
          "s, m, h)",
          orig);
    s += ulen;
    if (overflow || whole > limit / (uint64_t)unit)
      return ecsb_err_set(err, ECSB_EPARSE,
                          "invalid duration \"%s\": out of range", orig);
    uint64_t v = whole * (uint64_t)unit;
    /* frac/scale of a unit, computed without overflow. */
    long double fv = (long double)frac * (long double)unit / (long double)scale;
    v += (uint64_t)fv;
    if (v > limit || total > limit - v)
      return ecsb_err_set(err, ECSB_EPARSE,
                          "invalid duration \"%s\": out of range", orig);
    total += v;
  }
  *out_ns = neg ? (int64_t)(0 - total) : (int64_t)total;
  return 0;
}

/* Writes v / 10^prec with trailing zeros of the fraction dropped. */
static int put_frac(char *buf, size_t cap, uint64_t v, int prec) {
  uint64_t div = 1;
  for (int i = 0; i < prec; i++)
    div *= 10;
  uint64_t whole = v / div, frac = v % div;
  if (!frac)
    return snprintf(buf, cap, "%llu", (unsigned long long)whole);
  char digits[24];
  snprintf(digits, sizeof digits, "%0*llu", prec, (unsigned long long)frac);
  size_t n = strlen(digits);
  while (n > 0 && digits[n - 1] == '0')
    digits[--n] = '\0';
  return snprintf(buf, cap, "%llu.%s", (unsigned long long)whole, digits);
}

char *ecsb_duration_format(int64_t ns, char *buf, size_t cap) {
  if (!buf || cap == 0)
    return buf;
  if (ns == 0) {
    snprintf(buf, cap, "0s");
    return buf;
  }
  size_t off = 0;
  uint64_t u = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
  if (ns < 0 && cap > 1)
    buf[off++] = '-';
  if (u < UINT64_C(1000000000)) {
    const char *unit;
    int prec;
    if (u < 1000) {
      unit = "ns";
      prec = 0;
    } else if (u < 1000000) {
      unit = "\xc2\xb5s";
      prec = 3;
    } else {
      unit = "ms";
      prec = 6;
    }
    int n = put_frac(buf + off, cap - off, u, prec);
    if (n > 0 && (size_t)n < cap - off)
      snprintf(buf + off + n, cap - off - (size_t)n, "%s", unit);
    return buf;
  }
  uint64_t h = u / UINT64_C(3600000000000);
  u %= UINT64_C(3600000000000);
  uint64_t m = u / UINT64_C(60000000000);
  u %= UINT64_C(60000000000);
  char secs[40];
  put_frac(secs, sizeof secs, u, 9);
  if (h)
    snprintf(buf + off, cap - off, "%lluh%llum%ss", (unsigned long long)h,
             (unsigned long long)m, secs);
  else if (m)
    snprintf(buf + off, cap - off, "%llum%ss", (unsigned long long)m, secs);
  else
    snprintf(buf + off, cap - off, "%ss", secs);
  return buf;
}
