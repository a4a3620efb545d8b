/*
 * err.h - the one error type every ecsboot module uses.
 *
 * A function that can fail returns int: 0 on success or a negative ECSB_E*
 * code, and fills the caller-provided ecsb_err with a message that names what
 * failed and where (URL, file, JSON path, HTTP status). The error struct is
 * plain storage owned by the caller; NULL may be passed when the caller does
 * not want the message. Thread-safe: it touches only the struct it is given.
 */
#ifndef ECSB_ERR_H
#define ECSB_ERR_H

#include <stddef.h>

enum {
  ECSB_OK = 0,
  ECSB_EINVAL = -1,     /* bad argument, flag, or input value */
  ECSB_ENOMEM = -2,     /* allocation failed */
  ECSB_EIO = -3,        /* file or socket I/O failed */
  ECSB_ETRANSPORT = -4, /* HTTP transport: refused, reset, DNS, handshake */
  ECSB_ETIMEDOUT = -5,  /* a deadline passed */
  ECSB_EPARSE = -6,     /* malformed JSON, duration, header ... */
  ECSB_ETOOBIG = -7,    /* a size cap was hit */
  ECSB_ENOTFOUND = -8,  /* the thing asked for does not exist */
  ECSB_EAUTH = -9,      /* authentication or authorisation refused */
  ECSB_ESTATUS = -10,   /* an HTTP peer answered with an error status */
  ECSB_ESTATE = -11,    /* operation not valid in the current state */
  ECSB_EINTERNAL = -12, /* a bug or an unexpected library failure */
  ECSB_ETLS = -13,      /* TLS refused (certificate, CA file, handshake) */
};

/* Room for one problem with its path, or an input's problems listed one a
 * line (ecsb_errs). */
#define ECSB_ERR_MSG_MAX 2048

typedef struct ecsb_err {
  int code;
  char msg[ECSB_ERR_MSG_MAX];
} ecsb_err;

/* Sets code and a printf-formatted message (truncated to fit) and returns
 * code, so callers can write `return ecsb_err_set(err, ECSB_EINVAL, ...)`.
 * err may be NULL. */
int ecsb_err_set(ecsb_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes the existing message with "<prefix>: ", keeping the code; returns
 * the code. Used to add context ("mesh-init: ") as an error travels up. */
int ecsb_err_prefix(ecsb_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void ecsb_err_clear(ecsb_err *err);

/* Every problem of one input, for readers that check it all before giving
 * up, so a user fixes a file in one go: the first problem heads the
 * message, each later one follows on its own line ("\n  and: ..."), while
 * it fits in half the message; then how many more there were. Zeroed
 * storage is an empty list. */
typedef struct ecsb_errs {
  ecsb_err err;  /* code: the first problem's; msg: as above */
  size_t n;      /* problems added */
  size_t hidden; /* added but not in msg */
} ecsb_errs;

/* Adds e's problem (e->code, e->msg); e is not NULL. */
void ecsb_errs_add(ecsb_errs *l, const ecsb_err *e);
/* Copies the list into err ("and N more" ended) and returns its code; 0
 * and err untouched when there was none. */
int ecsb_errs_finish(const ecsb_errs *l, ecsb_err *err);

/* A short constant name for a code ("EINVAL", "ETIMEDOUT"). */
const char *ecsb_err_name(int code);

#endif
