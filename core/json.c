/*
 * json.c - cJSON parsing with an error position, and typed getters whose
 * messages carry the JSON path, so "bad input" errors say exactly where.
 */
#include "ecsb/json.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Offset of the first byte that is not well-formed UTF-8 (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF), or len. cJSON
 * copies string bytes as they come, and JSON text must be UTF-8 (RFC 8259
 * section 8.1): a Latin-1 file or answer would otherwise reach a Consul
 * service name or an output file as mojibake. */
static size_t utf8_bad_at(const unsigned char *s, size_t len) {
  size_t i = 0;
  while (i < len) {
    unsigned char c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t n;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      if (c == 0xE0)
        lo = 0xA0; /* overlong */
      if (c == 0xED)
        hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      if (c == 0xF0)
        lo = 0x90; /* overlong */
      if (c == 0xF4)
        hi = 0x8F; /* above U+10FFFF */
    } else {
      return i;
    }
    if (i + n >= len) /* cut short */
      return i;
    if (s[i + 1] < lo || s[i + 1] > hi)
      return i;
    for (size_t k = 2; k <= n; k++)
      if (s[i + k] < 0x80 || s[i + k] > 0xBF)
        return i;
    i += n + 1;
  }
  return len;
}

static int parse(const char *buf, size_t len, const char *what, bool utf8,
                 cJSON **out, ecsb_err *err) {
  *out = NULL;
  if (!buf || len == 0)
    return ecsb_err_set(err, ECSB_EPARSE, "%s: empty document, expected JSON",
                        what);
  size_t bad = utf8 ? utf8_bad_at((const unsigned char *)buf, len) : len;
  if (bad < len)
    return ecsb_err_set(err, ECSB_EPARSE,
                        "%s: invalid UTF-8 at byte %zu of %zu (JSON text must "
                        "be UTF-8)",
                        what, bad, len);
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

int ecsb_json_parse(const char *buf, size_t len, const char *what, cJSON **out,
                    ecsb_err *err) {
  return parse(buf, len, what, true, out, err);
}

int ecsb_json_parse_lax_utf8(const char *buf, size_t len, const char *what,
                             cJSON **out, ecsb_err *err) {
  return parse(buf, len, what, false, out, err);
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
