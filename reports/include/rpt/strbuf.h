/*
 * strbuf.h - growable text for the report writers, with the escaping and
 * number formatting every format shares.
 *
 * Out-of-memory is sticky: after the first failed allocation every append
 * is a no-op and rpt_buf_check reports ECSB_ENOMEM, so a writer checks once
 * at the end instead of after every append. Not thread-safe (one owner).
 */
#ifndef RPT_STRBUF_H
#define RPT_STRBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ecsb/err.h"

typedef struct rpt_buf {
  char *s;    /* NUL-terminated when len > 0 or after any append */
  size_t len; /* bytes, excluding the NUL */
  size_t cap;
  bool oom;
} rpt_buf;

void rpt_buf_init(rpt_buf *b);
void rpt_buf_free(rpt_buf *b);
void rpt_buf_putn(rpt_buf *b, const char *s, size_t n);
void rpt_buf_puts(rpt_buf *b, const char *s);
void rpt_buf_putc(rpt_buf *b, char c);
void rpt_buf_printf(rpt_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends s escaped for XML/HTML text and attribute values (& < > " ').
 * Control characters XML 1.0 forbids and invalid UTF-8 become U+FFFD, so
 * any input yields a well-formed document. NULL appends nothing. */
void rpt_buf_xml(rpt_buf *b, const char *s);
/* Appends n spaces (padding for aligned columns). */
void rpt_buf_pad(rpt_buf *b, size_t n);
/* ECSB_ENOMEM (with a message naming what) once an append failed. */
int rpt_buf_check(const rpt_buf *b, const char *what, ecsb_err *err);
/* Hands the text to the caller (free()); the buffer is empty afterwards.
 * Never NULL unless out of memory. */
char *rpt_buf_take(rpt_buf *b);

/* snprintf for JSON paths and other bounded labels, where a cut-off
 * tail is acceptable (messages stay within ECSB_ERR_MSG_MAX anyway). */
void rpt_pathf(char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Display width of UTF-8 text in terminal columns (counts code points). */
size_t rpt_text_width(const char *s);

/* A duration or offset in microseconds for people: "850us", "12.5ms",
 * "1.234s", "2m03.456s"; RPT_ABSENT prints "-". Returns buf (>= 32 bytes). */
char *rpt_fmt_us(int64_t us, char *buf, size_t cap);
/* Seconds with three decimals ("1.234"), as JUnit's time attribute wants. */
char *rpt_fmt_secs(int64_t us, char *buf, size_t cap);

#endif
