/*
 * strbuf.c - XML escaping, padding and duration formatting shared by every
 * report writer (terminal, JUnit, SVG, HTML), on core's growable text
 * (ecsb/buf.h). Owns only the buffers it is given; no global state.
 */
#include "rpt/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpt/run.h"

void rpt_buf_pad(ecsb_buf *b, size_t n) {
  static const char spaces[] = "                                ";
  while (n > 0) {
    size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
    ecsb_buf_putn(b, spaces, k);
    n -= k;
  }
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when invalid. */
static size_t utf8_len(const unsigned char *s) {
  unsigned c = s[0];
  if (c < 0x80)
    return 1;
  size_t n;
  unsigned min;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    min = 0x80;
    c &= 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    min = 0x800;
    c &= 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    min = 0x10000;
    c &= 0x07;
  } else {
    return 0;
  }
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    c = (c << 6) | (s[i] & 0x3F);
  }
  /* Overlong forms, surrogates and out-of-range points are not XML. */
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF) || c == 0xFFFE ||
      c == 0xFFFF)
    return 0;
  return n;
}

void rpt_buf_xml(ecsb_buf *b, const char *s) {
  if (!s)
    return;
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    unsigned char c = *p;
    switch (c) {
    case '&':
      ecsb_buf_puts(b, "&amp;");
      p++;
      continue;
    case '<':
      ecsb_buf_puts(b, "&lt;");
      p++;
      continue;
    case '>':
      ecsb_buf_puts(b, "&gt;");
      p++;
      continue;
    case '"':
      ecsb_buf_puts(b, "&quot;");
      p++;
      continue;
    case '\'':
      ecsb_buf_puts(b, "&#39;");
      p++;
      continue;
    default:
      break;
    }
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
      ecsb_buf_puts(b, "\xEF\xBF\xBD");
      p++;
      continue;
    }
    size_t n = utf8_len(p);
    if (n == 0) {
      ecsb_buf_puts(b, "\xEF\xBF\xBD");
      p++;
      continue;
    }
    ecsb_buf_putn(b, (const char *)p, n);
    p += n;
  }
}

void rpt_pathf(char *out, size_t cap, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(out, cap, fmt, ap);
  va_end(ap);
}

size_t rpt_text_width(const char *s) {
  size_t w = 0;
  for (const unsigned char *p = (const unsigned char *)s; p && *p; p++)
    if ((*p & 0xC0) != 0x80)
      w++;
  return w;
}

char *rpt_fmt_us(int64_t us, char *buf, size_t cap) {
  if (us == RPT_ABSENT) {
    snprintf(buf, cap, "-");
    return buf;
  }
  const char *sign = us < 0 ? "-" : "";
  uint64_t a = us < 0 ? (uint64_t)(-(us + 1)) + 1 : (uint64_t)us;
  if (a < 1000)
    snprintf(buf, cap, "%s%lluus", sign, (unsigned long long)a);
  else if (a < 1000000)
    snprintf(buf, cap, "%s%llu.%01llums", sign, (unsigned long long)(a / 1000),
             (unsigned long long)(a % 1000 / 100));
  else if (a < 60000000)
    snprintf(buf, cap, "%s%llu.%03llus", sign,
             (unsigned long long)(a / 1000000),
             (unsigned long long)(a % 1000000 / 1000));
  else
    snprintf(buf, cap, "%s%llum%02llu.%03llus", sign,
             (unsigned long long)(a / 60000000),
             (unsigned long long)(a % 60000000 / 1000000),
             (unsigned long long)(a % 1000000 / 1000));
  return buf;
}

char *rpt_fmt_secs(int64_t us, char *buf, size_t cap) {
  if (us == RPT_ABSENT || us < 0)
    us = 0;
  snprintf(buf, cap, "%llu.%03llu", (unsigned long long)(us / 1000000),
           (unsigned long long)(us % 1000000 / 1000));
  return buf;
}
