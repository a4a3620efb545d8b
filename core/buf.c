/*
 * buf.c - growable text (see buf.h). Owns only the buffers it is given.
 */
#include "ecsb/buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ecsb_buf_init(ecsb_buf *b) {
  memset(b, 0, sizeof *b);
}

void ecsb_buf_free(ecsb_buf *b) {
  if (!b)
    return;
  free(b->s);
  memset(b, 0, sizeof *b);
}

void ecsb_buf_wipe_free(ecsb_buf *b) {
  if (!b)
    return;
  if (b->s)
    explicit_bzero(b->s, b->cap);
  ecsb_buf_free(b);
}

bool ecsb_buf_reserve(ecsb_buf *b, size_t extra) {
  if (b->oom)
    return false;
  if (extra > SIZE_MAX - b->len - 1) {
    b->oom = true;
    return false;
  }
  size_t need = b->len + extra + 1;
  if (need <= b->cap)
    return true;
  size_t nc = b->cap ? b->cap : 64;
  while (nc < need)
    nc = nc > SIZE_MAX / 2 ? need : nc * 2;
  char *ns = realloc(b->s, nc);
  if (!ns) {
    b->oom = true;
    return false;
  }
  b->s = ns;
  b->cap = nc;
  return true;
}

void ecsb_buf_putn(ecsb_buf *b, const char *s, size_t n) {
  if (!ecsb_buf_reserve(b, n))
    return;
  if (n)
    memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

void ecsb_buf_puts(ecsb_buf *b, const char *s) {
  if (s)
    ecsb_buf_putn(b, s, strlen(s));
}

void ecsb_buf_putc(ecsb_buf *b, char c) {
  ecsb_buf_putn(b, &c, 1);
}

void ecsb_buf_vprintf(ecsb_buf *b, const char *fmt, va_list ap) {
  if (b->oom)
    return;
  va_list again;
  va_copy(again, ap);
  char small[256];
  int n = vsnprintf(small, sizeof small, fmt, ap);
  if (n < 0) {
    b->oom = true;
  } else if ((size_t)n < sizeof small) {
    ecsb_buf_putn(b, small, (size_t)n);
  } else if (ecsb_buf_reserve(b, (size_t)n)) {
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, again);
    b->len += (size_t)n;
  }
  va_end(again);
}

void ecsb_buf_printf(ecsb_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  ecsb_buf_vprintf(b, fmt, ap);
  va_end(ap);
}

void ecsb_buf_join(ecsb_buf *b, const char *const *items, size_t n,
                   const char *sep) {
  for (size_t i = 0; i < n; i++) {
    if (i)
      ecsb_buf_puts(b, sep);
    ecsb_buf_puts(b, items[i]);
  }
}

int ecsb_buf_check(const ecsb_buf *b, const char *what, ecsb_err *err) {
  if (b->oom)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory building %s", what);
  return 0;
}

char *ecsb_buf_take(ecsb_buf *b) {
  if (b->oom) {
    ecsb_buf_free(b);
    return NULL;
  }
  char *s = b->s ? b->s : strdup("");
  memset(b, 0, sizeof *b);
  return s;
}
