/*
 * aws_creds.h - the AWS credential chain ecsboot-init's ECS client uses.
 *
 * Order, as the AWS SDKs: (1) the environment: AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN; (2) the ECS container
 * credentials endpoint: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI against
 * http://169.254.170.2, or AWS_CONTAINER_CREDENTIALS_FULL_URI with the
 * Authorization header from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (re-read
 * on every fetch, since it rotates) or AWS_CONTAINER_AUTHORIZATION_TOKEN.
 * A FULL_URI over plain http must point at a loopback address or the ECS /
 * EKS link-local endpoints, as the SDKs require.
 *
 * Container credentials are cached and refreshed once they are within the
 * refresh window (default 5 minutes) of their Expiration; if a refresh
 * fails while the cached ones are still valid, the cached ones are used.
 *
 * ECSBOOT_TEST_CREDENTIALS_ENDPOINT (tests only) replaces
 * http://169.254.170.2 for RELATIVE_URI with a loopback http://IP:PORT, so
 * tests never leave the machine; any other value is rejected.
 *
 * Secrets live only in ecsb_aws_creds and the provider's cache (wiped on
 * free) and never appear in error messages.
 */
#ifndef ECSB_AWS_CREDS_H
#define ECSB_AWS_CREDS_H

#include <stdint.h>

#include "ecsb/err.h"

#define ECSB_ECS_CREDENTIALS_HOST "http://169.254.170.2"
#define ECSB_TEST_CREDENTIALS_ENV "ECSBOOT_TEST_CREDENTIALS_ENDPOINT"

typedef struct ecsb_aws_creds {
  char access_key_id[256];
  char secret_access_key[256];
  char session_token[4096]; /* "" when none */
  int64_t expiration;       /* Unix seconds; 0 = does not expire */
  const char *source;       /* "environment" or "container" (static) */
} ecsb_aws_creds;

typedef struct ecsb_aws_creds_opts {
  int64_t refresh_window_s; /* default 300 */
  long timeout_ms;          /* per fetch, default 5000 */
  /* Wall clock in Unix seconds; NULL uses the real one (tests inject). */
  int64_t (*now)(void *user);
  void *now_user;
} ecsb_aws_creds_opts;

typedef struct ecsb_aws_creds_provider ecsb_aws_creds_provider;

/* Reads the environment and picks the source; a half-set or invalid
 * configuration is ECSB_EINVAL naming the variable. opts may be NULL. */
ecsb_aws_creds_provider *
ecsb_aws_creds_provider_new(const ecsb_aws_creds_opts *opts, ecsb_err *err);
void ecsb_aws_creds_provider_free(ecsb_aws_creds_provider *p);

/* Current credentials, fetched or refreshed as needed. Errors: transport
 * or 5xx from the endpoint (ECSB_ETRANSPORT, ECSB_ETIMEDOUT, ECSB_ESTATUS:
 * worth retrying), 401/403 (ECSB_EAUTH), other 4xx (ECSB_EINVAL), a
 * malformed answer (ECSB_EPARSE / ECSB_EINVAL). */
int ecsb_aws_creds_get(ecsb_aws_creds_provider *p, ecsb_aws_creds *out,
                       ecsb_err *err);

/* Drops the cache so the next get fetches (after ExpiredToken). Returns 1
 * when the source can refresh (container), 0 when not (environment). */
int ecsb_aws_creds_invalidate(ecsb_aws_creds_provider *p);

/* Endpoint fetches made so far (for tests and logs). */
uint64_t ecsb_aws_creds_fetches(const ecsb_aws_creds_provider *p);

/* Overwrites a credentials struct with zeros. */
void ecsb_aws_creds_wipe(ecsb_aws_creds *c);

#endif
