/*
 * err.c - the ecsb_err helpers. Owns nothing but the caller's struct; safe
 * from any thread.
 */
#include "ecsb/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int ecsb_err_set(ecsb_err *err, int code, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->code = code;
  }
  return code;
}

int ecsb_err_prefix(ecsb_err *err, const char *fmt, ...) {
  if (!err)
    return ECSB_EINTERNAL;
  char prefix[ECSB_ERR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  /* Truncation is intended: the message is a bounded human summary. */
  char joined[ECSB_ERR_MSG_MAX];
  size_t pl = strlen(prefix), ml = strlen(err->msg), off = 0;
  size_t room = sizeof joined - 1;
  memcpy(joined, prefix, pl < room ? pl : room);
  off = pl < room ? pl : room;
  if (off + 2 <= room) {
    memcpy(joined + off, ": ", 2);
    off += 2;
  }
  size_t take = ml < room - off ? ml : room - off;
  memcpy(joined + off, err->msg, take);
  off += take;
  joined[off] = '\0';
  memcpy(err->msg, joined, off + 1);
  return err->code;
}

void ecsb_err_clear(ecsb_err *err) {
  if (err) {
    err->code = 0;
    err->msg[0] = '\0';
  }
}

const char *ecsb_err_name(int code) {
  switch (code) {
  case ECSB_OK:
    return "OK";
  case ECSB_EINVAL:
    return "EINVAL";
  case ECSB_ENOMEM:
    return "ENOMEM";
  case ECSB_EIO:
    return "EIO";
  case ECSB_ETRANSPORT:
    return "ETRANSPORT";
  case ECSB_ETIMEDOUT:
    return "ETIMEDOUT";
  case ECSB_EPARSE:
    return "EPARSE";
  case ECSB_ETOOBIG:
    return "ETOOBIG";
  case ECSB_ENOTFOUND:
    return "ENOTFOUND";
  case ECSB_EAUTH:
    return "EAUTH";
  case ECSB_ESTATUS:
    return "ESTATUS";
  case ECSB_ESTATE:
    return "ESTATE";
  case ECSB_ETLS:
    return "ETLS";
  case ECSB_EINTERNAL:
    return "EINTERNAL";
  default:
    return "EUNKNOWN";
  }
}

void ecsb_errs_add(ecsb_errs *l, const ecsb_err *e) {
  const char *msg = e->msg[0] ? e->msg : ecsb_err_name(e->code);
  if (l->n++ == 0) {
    l->err.code = e->code;
    snprintf(l->err.msg, sizeof l->err.msg, "%s", msg);
    return;
  }
  /* Half the room, so "and N more" and a prefix added on the way up
   * (the file name) still fit. */
  size_t used = strlen(l->err.msg), add = strlen("\n  and: ") + strlen(msg);
  if (l->hidden || used + add >= sizeof l->err.msg / 2) {
    l->hidden++;
    return;
  }
  snprintf(l->err.msg + used, sizeof l->err.msg - used, "\n  and: %s", msg);
}

int ecsb_errs_finish(const ecsb_errs *l, ecsb_err *err) {
  if (!l->n)
    return 0;
  if (!err)
    return l->err.code;
  *err = l->err;
  if (l->hidden) {
    size_t used = strlen(err->msg);
    snprintf(err->msg + used, sizeof err->msg - used, "\n  and %zu more",
             l->hidden);
  }
  return err->code;
}
