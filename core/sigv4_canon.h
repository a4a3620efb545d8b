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

typedef struct sv4_target {
  char host[512]; /* from an absolute URL; "" for a relative target */
  const char *path;
  size_t path_len;
  const char *query;
  size_t query_len;
} sv4_target;

typedef struct sv4_hent {
  char *name;     /* lower-case */
  ecsb_buf value; /* folded; repeated headers joined with ',' */
} sv4_hent;

typedef struct sv4_hset {
  sv4_hent *v;
  size_t n, cap;
  bool oom;
} sv4_hset;

typedef struct sv4_canon {
  char *request;        /* canonical request */
  char *signed_headers; /* "a;b;c" */
} sv4_canon;

void sv4_encode_into(ecsb_buf *out, const char *s, size_t n, bool keep_slash);
int sv4_hexval(char c);
int sv4_parse_target(const char *target, sv4_target *t, ecsb_err *err);
void sv4_hset_free(sv4_hset *s);
char *sv4_lower_trim_dup(const char *name);
void sv4_hset_add(sv4_hset *s, char *lname, const char *value);
const sv4_hent *sv4_hset_find(const sv4_hset *s, const char *lname);
bool sv4_unsignable(const char *lname);
void sv4_canon_free(sv4_canon *c);
int sv4_build_canonical(const char *method, const sv4_target *t, sv4_hset *h,
                        const char *const *extra_q, const char *payload_hash,
                        bool normalize, sv4_canon *out, ecsb_err *err);
int sv4_string_to_sign(const char *amz_date, const char *scope,
                       const char *creq, char **out);
int sv4_sign_string(const char *secret, const char *date8, const char *region,
                    const char *service, const char *sts, char sig[65]);

#endif
