/*
 * sigv4_canon.h - internal to core/: the canonicalisation pieces that
 * sigv4_canon.c owns and sigv4.c (signer and verifier) uses. Not part of
 * any public header; nothing outside core/sigv4*.c includes it.
 */
#ifndef ECSB_SIGV4_CANON_H
#define ECSB_SIGV4_CANON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ecsb/buf.h"
#include "ecsb/sigv4.h"

typedef struct ecsb_sv4_target {
  char host[512]; /* from an absolute URL; "" for a relative target */
  const char *path;
  size_t path_len;
  const char *query;
  size_t query_len;
} ecsb_sv4_target;

typedef struct ecsb_sv4_hent {
  char *name;     /* lower-case */
  ecsb_buf value; /* folded; repeated headers joined with ',' */
} ecsb_sv4_hent;

typedef struct ecsb_sv4_hset {
  ecsb_sv4_hent *v;
  size_t n, cap;
  bool oom;
} ecsb_sv4_hset;

typedef struct ecsb_sv4_canon {
  char *request;        /* canonical request */
  char *signed_headers; /* "a;b;c" */
} ecsb_sv4_canon;

void ecsb_sv4_encode_into(ecsb_buf *out, const char *s, size_t n,
                          bool keep_slash);
int ecsb_sv4_hexval(char c);
int ecsb_sv4_parse_target(const char *target, ecsb_sv4_target *t,
                          ecsb_err *err);
void ecsb_sv4_hset_free(ecsb_sv4_hset *s);
char *ecsb_sv4_lower_trim_dup(const char *name);
void ecsb_sv4_hset_add(ecsb_sv4_hset *s, char *lname, const char *value);
const ecsb_sv4_hent *ecsb_sv4_hset_find(const ecsb_sv4_hset *s,
                                        const char *lname);
bool ecsb_sv4_unsignable(const char *lname);
void ecsb_sv4_canon_free(ecsb_sv4_canon *c);
int ecsb_sv4_build_canonical(const char *method, const ecsb_sv4_target *t,
                             ecsb_sv4_hset *h, const char *const *extra_q,
                             const char *payload_hash, bool normalize,
                             ecsb_sv4_canon *out, ecsb_err *err);
int ecsb_sv4_string_to_sign(const char *amz_date, const char *scope,
                            const char *creq, char **out);
int ecsb_sv4_sign_string(const char *secret, const char *date8,
                         const char *region, const char *service,
                         const char *sts, char sig[65]);

#endif
