/*
 * sigv4.h - AWS Signature Version 4 (header and presigned-query forms):
 * the ONE canonicalisation ecsboot has. The production ECS client signs
 * with ecsb_sigv4_sign; fake-ecs verifies with ecsb_sigv4_parse_auth +
 * ecsb_sigv4_check, which rebuild the same canonical request through the
 * same code, so the two can never drift apart.
 *
 * Canonical request, as AWS defines it for every service except S3:
 *   method, the URI path (dot segments removed and empty segments dropped
 *   when normalize_path is set, then every byte outside A-Za-z0-9-._~/
 *   percent-encoded, so an already-escaped path is encoded a second time),
 *   the query (each name and value percent-decoded then re-encoded, sorted
 *   by name then value), the signed headers (lower-case names, values
 *   trimmed with inner whitespace runs folded to one space, repeated
 *   headers joined with ','), the signed-header list, and the hex SHA-256
 *   of the body.
 *
 * SHA-256 and HMAC come from OpenSSL's libcrypto: libcurl-openssl already
 * loads it into every process that links ecsboot-core, so it costs the
 * production image nothing and replaces a hand-written primitive.
 *
 * Pure functions: no I/O, no global state; thread-safe. Secrets are never
 * copied into error messages.
 */
#ifndef ECSB_SIGV4_H
#define ECSB_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ecsb/err.h"
#include "ecsb/http.h"

#define ECSB_SIGV4_ALGORITHM "AWS4-HMAC-SHA256"

typedef struct ecsb_sigv4_params {
  const char *access_key_id;
  const char *secret_access_key;
  const char *session_token; /* NULL or "" when none */
  const char *region;        /* "us-east-1" */
  const char *service;       /* "ecs" */
  int64_t time_s;            /* signing time, Unix seconds (UTC) */
  /* Remove "." / ".." and empty path segments before encoding: AWS does
   * this for every service but S3. Default true. */
  bool normalize_path;
  /* Add and sign x-amz-content-sha256 (S3-style). Default false. */
  bool sign_body;
  /* Add X-Amz-Security-Token after signing instead of signing it (the
   * older STS/IoT style). Default false: the token is signed. */
  bool omit_session_token;
  /* Presigned URLs only: X-Amz-Expires in seconds. Default 3600. */
  int64_t expires_s;
} ecsb_sigv4_params;

/* Fills the defaults above (everything else NULL / 0). */
void ecsb_sigv4_params_default(ecsb_sigv4_params *p);

/* The request being signed or checked. */
typedef struct ecsb_sigv4_request {
  const char *method; /* "POST" */
  /* Either what goes on the request line ("/", "/a/b?x=1") or an absolute
   * URL ("http://127.0.0.1:8080/?x=1"); with a URL and no Host header the
   * host comes from the URL (the port omitted when it is the scheme's
   * default, as curl and the SDKs send it). */
  const char *target;
  const ecsb_http_header *headers; /* borrowed; may be NULL */
  size_t n_headers;
  const void *body; /* may be NULL when body_len is 0 */
  size_t body_len;
} ecsb_sigv4_request;

/* A signature and the headers (or query) to add. Strings are owned. */
typedef struct ecsb_sigv4_signed {
  /* Header signing: X-Amz-Date, [X-Amz-Security-Token],
   * [x-amz-content-sha256], Authorization. Presigning: none. */
  ecsb_http_header headers[4];
  size_t n_headers;
  char signature[65];      /* lower-case hex */
  char *signed_headers;    /* "host;x-amz-date" */
  char *canonical_request; /* for tests and debugging */
  char *string_to_sign;
  char *query; /* presigning: the full query to put after '?' */
} ecsb_sigv4_signed;

/* Signs with the Authorization header. Every header given is signed except
 * the ones proxies and clients may change (user-agent, expect, connection,
 * transfer-encoding, x-amzn-trace-id, authorization); the caller adds
 * out->headers to the request as they are. Header values of the request
 * itself are not modified. Errors: ECSB_EINVAL naming what was missing
 * (method, target, host, credentials, region, service). */
int ecsb_sigv4_sign(const ecsb_sigv4_params *p, const ecsb_sigv4_request *r,
                    ecsb_sigv4_signed *out, ecsb_err *err);

/* Presigns (query-string signing): out->query holds the request's own
 * query plus the X-Amz-* parameters, X-Amz-Signature last. */
int ecsb_sigv4_presign(const ecsb_sigv4_params *p, const ecsb_sigv4_request *r,
                       ecsb_sigv4_signed *out, ecsb_err *err);

/* Frees and wipes the strings of a result; the struct may be reused. */
void ecsb_sigv4_signed_clear(ecsb_sigv4_signed *s);

/* ---- verification (the pieces a server needs) ----------------------- */

/* An Authorization header value, parsed. */
typedef struct ecsb_sigv4_auth {
  char access_key_id[128];
  char date[9];    /* scope date, YYYYMMDD */
  char region[64]; /* scope region */
  char service[64];
  char signed_headers[1024]; /* as sent: "host;x-amz-date;..." */
  char signature[65];
} ecsb_sigv4_auth;

/* Parses "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/ecs/
 * aws4_request, SignedHeaders=a;b, Signature=<64 hex>". Errors
 * (ECSB_EPARSE) say which part is missing or malformed, in AWS's terms. */
int ecsb_sigv4_parse_auth(const char *value, ecsb_sigv4_auth *out,
                          ecsb_err *err);

/* Recomputes the signature of a received request: a's scope and
 * signed-header list, amz_date (the request's X-Amz-Date), secret.
 * Returns 0 when it equals a->signature (compared in constant time);
 * ECSB_EAUTH when it differs; ECSB_EINVAL when a signed header is absent
 * from the request or a's list is not sorted lower-case names. When
 * canonical_out is not NULL it receives the canonical request the server
 * computed (heap; the caller frees), for the error message AWS returns. */
int ecsb_sigv4_check(const ecsb_sigv4_request *r, const ecsb_sigv4_auth *a,
                     const char *secret, const char *amz_date,
                     bool normalize_path, char **canonical_out, ecsb_err *err);

/* ---- shared helpers --------------------------------------------------- */

/* "20150830T123600Z" <-> Unix seconds. Parse rejects anything else. */
void ecsb_sigv4_format_date(int64_t unix_s, char out[17]);
int ecsb_sigv4_parse_date(const char *s, int64_t *unix_s, ecsb_err *err);

/* Lower-case hex SHA-256 of data (65 bytes with the NUL). */
int ecsb_sigv4_sha256_hex(const void *data, size_t len, char out[65]);

/* HMAC-SHA256(key, data) into out[32]. */
int ecsb_sigv4_hmac(const void *key, size_t key_len, const void *data,
                    size_t len, uint8_t out[32]);

/* The derived signing key: HMAC chain over "AWS4"+secret, date (YYYYMMDD),
 * region, service, "aws4_request". */
int ecsb_sigv4_signing_key(const char *secret, const char *date8,
                           const char *region, const char *service,
                           uint8_t out[32]);

#endif
