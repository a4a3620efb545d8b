/*
 * json.h - thin helpers over cJSON that report the JSON path of a missing or
 * mistyped field ("$.Proxy.Upstreams[2].LocalBindPort: expected number").
 *
 * Only what removes real repetition: parsing with a position in the error,
 * and typed getters. Key lookup is case-sensitive unless the getter's name
 * says otherwise. `path` is the JSON path of `obj` itself (e.g. "$" or
 * "$.tasks[0]"); messages append the key.
 */
#ifndef ECSB_JSON_H
#define ECSB_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ecsb/err.h"

/* Parses exactly one JSON document of len bytes (trailing whitespace only),
 * which must be well-formed UTF-8 (RFC 8259). `what` names the source for
 * messages ("response from http://.../v1/x"). On error: ECSB_EPARSE with the
 * byte offset. Caller frees *out with cJSON_Delete. */
int ecsb_json_parse(const char *buf, size_t len, const char *what, cJSON **out,
                    ecsb_err *err);
/* The same without the UTF-8 check, for ecsboot's own event logs: their
 * strings may carry bytes a container printed, and the renderers show
 * those as U+FFFD rather than refusing the whole log. */
int ecsb_json_parse_lax_utf8(const char *buf, size_t len, const char *what,
                             cJSON **out, ecsb_err *err);

/* Typed getters. Missing key: ECSB_ENOTFOUND when required, else 0 with the
 * output untouched. Wrong type (null counts as missing): ECSB_EINVAL. The
 * returned string is borrowed from obj. */
int ecsb_json_get_string(const cJSON *obj, const char *path, const char *key,
                         bool required, const char **out, ecsb_err *err);
int ecsb_json_get_int(const cJSON *obj, const char *path, const char *key,
                      bool required, int64_t min, int64_t max, int64_t *out,
                      ecsb_err *err);
int ecsb_json_get_bool(const cJSON *obj, const char *path, const char *key,
                       bool required, bool *out, ecsb_err *err);
/* Object or array child (type checked), borrowed. */
int ecsb_json_get_object(const cJSON *obj, const char *path, const char *key,
                         bool required, const cJSON **out, ecsb_err *err);
int ecsb_json_get_array(const cJSON *obj, const char *path, const char *key,
                        bool required, const cJSON **out, ecsb_err *err);

/* Prints compactly into a heap string the caller frees (NULL on ENOMEM). */
char *ecsb_json_print(const cJSON *j);

#endif
