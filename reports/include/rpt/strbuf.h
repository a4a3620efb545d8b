/*
 * strbuf.h - what every report format shares on top of core's growable
 * text (ecsb/buf.h): XML escaping, padding, bounded labels, text width and
 * duration formatting.
 */
#ifndef RPT_STRBUF_H
#define RPT_STRBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ecsb/buf.h"
#include "ecsb/err.h"

/* Appends s escaped for XML/HTML text and attribute values (& < > " ').
 * Control characters XML 1.0 forbids and invalid UTF-8 become U+FFFD, so
 * any input yields a well-formed document. NULL appends nothing. */
void rpt_buf_xml(ecsb_buf *b, const char *s);
/* Appends n spaces (padding for aligned columns). */
void rpt_buf_pad(ecsb_buf *b, size_t n);
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
