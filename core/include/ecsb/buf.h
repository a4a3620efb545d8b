/*
 * buf.h - growable text: the one buffer every part of ecsboot appends to
 * (the HTTP client's response bodies, SigV4's canonical strings, container
 * command lines, every report writer).
 *
 * Out-of-memory is sticky: after the first failed allocation every append
 * is a no-op and ecsb_buf_check reports ECSB_ENOMEM, so a writer checks
 * once at the end instead of after every append. The text is always
 * NUL-terminated after an append. Not thread-safe (one owner).
 */
#ifndef ECSB_BUF_H
#define ECSB_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "ecsb/err.h"

typedef struct ecsb_buf {
  char *s;    /* NUL-terminated when len > 0 or after any append */
  size_t len; /* bytes, excluding the NUL */
  size_t cap;
  bool oom;
} ecsb_buf;

void ecsb_buf_init(ecsb_buf *b);
/* Frees the text; the buffer is empty (and usable) afterwards. NULL is
 * fine. */
void ecsb_buf_free(ecsb_buf *b);
/* The same, overwriting the text first (a secret, a signing key). */
void ecsb_buf_wipe_free(ecsb_buf *b);
/* Room for `extra` more bytes and the NUL; false once out of memory. */
bool ecsb_buf_reserve(ecsb_buf *b, size_t extra);
void ecsb_buf_putn(ecsb_buf *b, const char *s, size_t n);
/* NULL appends nothing. */
void ecsb_buf_puts(ecsb_buf *b, const char *s);
void ecsb_buf_putc(ecsb_buf *b, char c);
void ecsb_buf_printf(ecsb_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ecsb_buf_vprintf(ecsb_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Appends items[0..n) separated by sep ("a, b, c"). */
void ecsb_buf_join(ecsb_buf *b, const char *const *items, size_t n,
                   const char *sep);
/* ECSB_ENOMEM (with a message naming what) once an append failed. */
int ecsb_buf_check(const ecsb_buf *b, const char *what, ecsb_err *err);
/* Hands the text to the caller (free()); the buffer is empty afterwards.
 * "" for an empty buffer; NULL only when out of memory. */
char *ecsb_buf_take(ecsb_buf *b);

#endif
