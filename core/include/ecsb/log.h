/*
 * log.h - leveled logfmt logging to stderr, with secrets redacted.
 *
 * One line per event: `ts=<RFC3339> level=<lvl> msg="..." key=value ...`.
 * Values are quoted when they contain spaces, quotes or '='. Any value whose
 * key names a secret (token, secret, password, authorization, credential,
 * signature; case-insensitive) is written as "[redacted]", and every value
 * is passed through ecsb_redact() so secrets embedded in free text (an
 * Authorization header, an X-Consul-Token, a JSON SecretAccessKey) never
 * reach the log.
 *
 * The level is the one piece of process-wide state: main() sets it once
 * before starting threads; ecsb_log itself is thread-safe (one write(2) per
 * line).
 */
#ifndef ECSB_LOG_H
#define ECSB_LOG_H

#include <stddef.h>

#include "ecsb/err.h"

typedef enum ecsb_log_level {
  ECSB_LOG_DEBUG = 0,
  ECSB_LOG_INFO = 1,
  ECSB_LOG_WARN = 2,
  ECSB_LOG_ERROR = 3,
  ECSB_LOG_OFF = 4,
} ecsb_log_level;

void ecsb_log_set_level(ecsb_log_level level);
ecsb_log_level ecsb_log_get_level(void);
/* Parses "debug", "info", "warn", "error", "off"; returns 0 or ECSB_EINVAL. */
int ecsb_log_level_parse(const char *s, ecsb_log_level *out);

/* Logs msg with key/value string pairs, terminated by a NULL key:
 *   ecsb_log(ECSB_LOG_INFO, "registered", "id", id, "port", "20000", NULL);
 * A NULL value is written as an empty string. */
void ecsb_log(ecsb_log_level level, const char *msg, ...);

/* Formats the same line into buf (for tests and for callers that route logs
 * elsewhere). Returns the length that was needed, like snprintf. */
size_t ecsb_log_format(char *buf, size_t cap, ecsb_log_level level,
                       const char *msg, const char *const *kv, size_t n_kv);

/* Redacts secrets inside free text in place: the value after
 * "Authorization:", "X-Consul-Token:", "X-Amz-Security-Token:",
 * "Signature=", "Credential=<key>/", "Bearer ", and the JSON string values
 * of keys named like secrets ("SecretAccessKey", "Token", "SessionToken",
 * "token", "SecretID"). Replaced bytes become "[redacted]" when room allows,
 * else '*'. Returns s. */
char *ecsb_redact(char *s, size_t cap);

/* True when a key (header name, JSON key, flag name) names a secret. */
int ecsb_is_secret_key(const char *key);

#endif
