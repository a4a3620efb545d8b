/*
 * json.c - cJSON parsing with an error position, and typed getters whose
 * messages carry the JSON path, so "bad input" errors say exactly where.
 */
#include "ecsb/json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int ecsb_json_parse(const char *buf, size_t len, const char *what, cJSON **out,
                    ecsb_err *err) {
  *out = NULL;
  if (!buf || len == 0)
    return ecsb_err_set(err, ECSB_EPARSE, "%s: empty document, expected JSON",
                        what);
  const char *end = NULL;
  /* ParseWithLengthOpts reports the failure point through `end` without the
   * global error pointer, so it is safe on server threads. */
  cJSON *j = cJSON_ParseWithLengthOpts(buf, len, &end, false);
  if (!j) {
    size_t off = end && end >= buf ? (size_t)(end - buf) : 0;
    return ecsb_err_set(err, ECSB_EPARSE,
                        "%s: malformed JSON at byte %zu of %zu", what, off,
                        len);
  }
  for (const char *p = end; p && p < buf + len; p++) {
    if (*p == '\0' && p == buf + len - 1)
      break; /* a trailing NUL counted in len */
    if (*p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') {
      cJSON_Delete(j);
      return ecsb_err_set(err, ECSB_EPARSE,
                          "%s: unexpected data after the JSON document at "
                          "byte %zu",
                          what, (size_t)(p - buf));
    }
  }
  *out = j;
  return 0;
}

/* Looks key up; distinguishes missing (or null) from present. */
static const cJSON *child(const cJSON *obj, const char *path, const char *key,
                          bool required, int *rc, ecsb_err *err) {
  *rc = 0;
  if (!cJSON_IsObject(obj)) {
    *rc = ecsb_err_set(err, ECSB_EINVAL, "%s: expected an object", path);
    return NULL;
  }
  const cJSON *c = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!c || cJSON_IsNull(c)) {
    if (required)
      *rc = ecsb_err_set(err, ECSB_ENOTFOUND, "%s.%s: required field missing",
                         path, key);
    return NULL;
  }
  return c;
}

int ecsb_json_get_string(const cJSON *obj, const char *path, const char *key,
                         bool required, const char **out, ecsb_err *err) {
  int rc;
  const cJSON *c = child(obj, path, key, required, &rc, err);
  if (!c)
    return rc;
  if (!cJSON_IsString(c))
    return ecsb_err_set(err, ECSB_EINVAL, "%s.%s: expected a string", path,
                        key);
  *out = c->valuestring;
  return 0;
}

int ecsb_json_get_int(const cJSON *obj, const char *path, const char *key,
                      bool required, int64_t min, int64_t max, int64_t *out,
                      ecsb_err *err) {
  int rc;
  const cJSON *c = child(obj, path, key, required, &rc, err);
  if (!c)
    return rc;
  if (!cJSON_IsNumber(c))
    return ecsb_err_set(err, ECSB_EINVAL, "%s.%s: expected a number", path,
                        key);
  double d = c->valuedouble;
  if (!isfinite(d) || d != floor(d))
    return ecsb_err_set(err, ECSB_EINVAL, "%s.%s: expected an integer", path,
                        key);
  if (d < (double)min || d > (double)max)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s.%s: %.0f is out of range [%lld, %lld]", path, key,
                        d, (long long)min, (long long)max);
  *out = (int64_t)d;
  return 0;
}

int ecsb_json_get_bool(const cJSON *obj, const char *path, const char *key,
                       bool required, bool *out, ecsb_err *err) {
  int rc;
  const cJSON *c = child(obj, path, key, required, &rc, err);
  if (!c)
    return rc;
  if (!cJSON_IsBool(c))
    return ecsb_err_set(err, ECSB_EINVAL, "%s.%s: expected true or false", path,
                        key);
  *out = cJSON_IsTrue(c);
  return 0;
}

int ecsb_json_get_object(const cJSON *obj, const char *path, const char *key,
                         bool required, const cJSON **out, ecsb_err *err) {
  int rc;
  const cJSON *c = child(obj, path, key, required, &rc, err);
  if (!c)
    return rc;
  if (!cJSON_IsObject(c))
    return ecsb_err_set(err, ECSB_EINVAL, "%s.%s: expected an object", path,
                        key);
  *out = c;
  return 0;
}

int ecsb_json_get_array(const cJSON *obj, const char *path, const char *key,
                        bool required, const cJSON **out, ecsb_err *err) {
  int rc;
  const cJSON *c = child(obj, path, key, required, &rc, err);
  if (!c)
    return rc;
  if (!cJSON_IsArray(c))
    return ecsb_err_set(err, ECSB_EINVAL, "%s.%s: expected an array", path,
                        key);
  *out = c;
  return 0;
}

char *ecsb_json_print(const cJSON *j) {
  return cJSON_PrintUnformatted(j);
}
