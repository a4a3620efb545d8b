/*
 * mesh_config.c - mesh-init's configuration: flags, the JSON config and
 * their validation (see mesh.h). The payload builders live in
 * mesh_payload.c; this file only turns user input into normalised cJSON.
 *
 * Strictness is deliberate: a typo in a task definition ("intervall", a
 * check with no type, an upstream without a port) is reported with its
 * exact location at start-up rather than becoming a registration Consul
 * half-accepts.
 */
#include "ecsb/mesh.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ecsb/duration.h"
#include "ecsb/flags.h"
#include "ecsb/json.h"

void ecsb_mesh_config_init(ecsb_mesh_config *c) {
  memset(c, 0, sizeof *c);
}

void ecsb_mesh_config_clear(ecsb_mesh_config *c) {
  if (!c)
    return;
  free(c->service_name);
  free(c->bootstrap_file);
  cJSON_Delete(c->tags);
  cJSON_Delete(c->meta);
  cJSON_Delete(c->checks);
  cJSON_Delete(c->upstreams);
  cJSON_Delete(c->health_sync);
  cJSON_Delete(c->proxy_config);
  cJSON_Delete(c->mesh_gateway);
  cJSON_Delete(c->weights);
  memset(c, 0, sizeof *c);
}

static void replace(cJSON **slot, cJSON *v) {
  cJSON_Delete(*slot);
  *slot = v;
}

/* ---- checks ---------------------------------------------------------- */

typedef enum { T_STR, T_BOOL, T_INT, T_DUR, T_STRV, T_HDR, T_STATUS } ftype;

/* Consul check fields: canonical API name, type. Input keys match
 * case-insensitively, so "checkId" (consul-ecs config), "CheckID" (Consul
 * API) and "checkid" all land on CheckID. */
static const struct {
  const char *name;
  ftype type;
} check_fields[] = {
    {"CheckID", T_STR},
    {"Name", T_STR},
    {"Notes", T_STR},
    {"Status", T_STATUS},
    {"Args", T_STRV},
    {"Interval", T_DUR},
    {"Timeout", T_DUR},
    {"TTL", T_DUR},
    {"HTTP", T_STR},
    {"Header", T_HDR},
    {"Method", T_STR},
    {"Body", T_STR},
    {"DisableRedirects", T_BOOL},
    {"TCP", T_STR},
    {"UDP", T_STR},
    {"TLSServerName", T_STR},
    {"TLSSkipVerify", T_BOOL},
    {"GRPC", T_STR},
    {"GRPCUseTLS", T_BOOL},
    {"H2PING", T_STR},
    {"H2PingUseTLS", T_BOOL},
    {"AliasNode", T_STR},
    {"AliasService", T_STR},
    {"SuccessBeforePassing", T_INT},
    {"FailuresBeforeWarning", T_INT},
    {"FailuresBeforeCritical", T_INT},
    {"DeregisterCriticalServiceAfter", T_DUR},
    {"OutputMaxSize", T_INT},
};

static int check_field(const char *key) {
  if (strcasecmp(key, "ID") == 0)
    return 0; /* Consul accepts ID as CheckID */
  if (strcasecmp(key, "ScriptArgs") == 0)
    return 4; /* old name of Args */
  for (size_t i = 0; i < sizeof check_fields / sizeof check_fields[0]; i++)
    if (strcasecmp(key, check_fields[i].name) == 0)
      return (int)i;
  return -1;
}

static int check_value(const cJSON *v, ftype t, const char *p, cJSON **out,
                       ecsb_err *err) {
  switch (t) {
  case T_STR:
    if (!cJSON_IsString(v))
      return ecsb_err_set(err, ECSB_EINVAL, "%s: expected a string", p);
    break;
  case T_BOOL:
    if (!cJSON_IsBool(v))
      return ecsb_err_set(err, ECSB_EINVAL, "%s: expected true or false", p);
    break;
  case T_INT:
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int)v->valuedouble ||
        v->valuedouble < 0 || v->valuedouble > 1e9)
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s: expected a non-negative integer", p);
    break;
  case T_DUR: {
    int64_t ns;
    ecsb_err derr = {0};
    if (!cJSON_IsString(v))
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s: expected a duration string such as \"10s\"", p);
    if (ecsb_duration_parse(v->valuestring, &ns, &derr) != 0 || ns < 0)
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s: \"%s\" is not a duration such as \"10s\"", p,
                          v->valuestring);
    break;
  }
  case T_STATUS:
    if (!cJSON_IsString(v) || (strcmp(v->valuestring, "passing") &&
                               strcmp(v->valuestring, "warning") &&
                               strcmp(v->valuestring, "critical")))
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s: expected \"passing\", \"warning\" or "
                          "\"critical\"",
                          p);
    break;
  case T_STRV: {
    const cJSON *s;
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s: expected a non-empty array of strings", p);
    cJSON_ArrayForEach(s, v) if (!cJSON_IsString(s)) return ecsb_err_set(
        err, ECSB_EINVAL, "%s: expected an array of strings", p);
    break;
  }
  case T_HDR: {
    const cJSON *h, *s;
    if (!cJSON_IsObject(v))
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s: expected an object of string arrays", p);
    cJSON_ArrayForEach(h, v) {
      if (!cJSON_IsArray(h))
        return ecsb_err_set(err, ECSB_EINVAL,
                            "%s.%s: expected an array of strings", p,
                            h->string);
      cJSON_ArrayForEach(s, h) if (!cJSON_IsString(s)) return ecsb_err_set(
          err, ECSB_EINVAL, "%s.%s: expected an array of strings", p,
          h->string);
    }
    break;
  }
  }
  *out = cJSON_Duplicate(v, true);
  return *out ? 0 : ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
}

int ecsb_mesh_check_normalize(const cJSON *in, const char *path, cJSON **out,
                              ecsb_err *err) {
  *out = NULL;
  if (!cJSON_IsObject(in))
    return ecsb_err_set(err, ECSB_EINVAL, "%s: expected a check object", path);
  cJSON *c = cJSON_CreateObject();
  if (!c)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  const cJSON *kv;
  int rc = 0;
  cJSON_ArrayForEach(kv, in) {
    char p[300];
    snprintf(p, sizeof p, "%s.%s", path, kv->string);
    if (cJSON_IsNull(kv))
      continue;
    int f = check_field(kv->string);
    if (f < 0) {
      rc = ecsb_err_set(err, ECSB_EINVAL, "%s: unknown check field", p);
      goto fail;
    }
    const char *name = check_fields[f].name;
    if (cJSON_GetObjectItemCaseSensitive(c, name)) {
      rc = ecsb_err_set(err, ECSB_EINVAL, "%s: %s given twice", p, name);
      goto fail;
    }
    cJSON *v = NULL;
    if ((rc = check_value(kv, check_fields[f].type, p, &v, err)))
      goto fail;
    cJSON_AddItemToObject(c, name, v);
  }
  /* Exactly one kind of check, and the periodic kinds need an interval. */
  static const char *kinds[] = {"Args", "HTTP",         "TCP",
                                "UDP",  "GRPC",         "H2PING",
                                "TTL",  "AliasService", "AliasNode"};
  int n_kinds = 0;
  bool periodic = false;
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    if (!cJSON_GetObjectItemCaseSensitive(c, kinds[i]))
      continue;
    if (strcmp(kinds[i], "AliasNode") == 0 &&
        cJSON_GetObjectItemCaseSensitive(c, "AliasService"))
      continue; /* an alias check may name both */
    n_kinds++;
    periodic = periodic || i < 6;
  }
  if (n_kinds != 1) {
    rc = ecsb_err_set(err, ECSB_EINVAL,
                      "%s: a check needs exactly one of Args, HTTP, TCP, UDP, "
                      "GRPC, H2PING, TTL, AliasService/AliasNode (found %d)",
                      path, n_kinds);
    goto fail;
  }
  if (periodic && !cJSON_GetObjectItemCaseSensitive(c, "Interval")) {
    rc = ecsb_err_set(err, ECSB_EINVAL, "%s: this check needs an Interval",
                      path);
    goto fail;
  }
  *out = c;
  return 0;
fail:
  cJSON_Delete(c);
  return rc;
}

static int checks_from_array(const cJSON *arr, const char *path, cJSON **out,
                             ecsb_err *err) {
  *out = NULL;
  if (!cJSON_IsArray(arr))
    return ecsb_err_set(err, ECSB_EINVAL, "%s: expected an array of checks",
                        path);
  cJSON *res = cJSON_CreateArray();
  const cJSON *it;
  int i = 0;
  cJSON_ArrayForEach(it, arr) {
    char p[200];
    snprintf(p, sizeof p, "%s[%d]", path, i++);
    cJSON *c = NULL;
    int rc = ecsb_mesh_check_normalize(it, p, &c, err);
    if (rc) {
      cJSON_Delete(res);
      return rc;
    }
    cJSON_AddItemToArray(res, c);
  }
  *out = res;
  return 0;
}

int ecsb_mesh_set_checks(ecsb_mesh_config *c, const char *s, const char *flag,
                         ecsb_err *err) {
  char what[96];
  snprintf(what, sizeof what, "flag %s", flag);
  cJSON *j = NULL, *checks = NULL;
  int rc = ecsb_json_parse(s, strlen(s), what, &j, err);
  if (rc)
    return rc;
  rc = checks_from_array(j, what, &checks, err);
  cJSON_Delete(j);
  if (rc == 0)
    replace(&c->checks, checks);
  return rc;
}

/* ---- names, lists ---------------------------------------------------- */

/* Consul service names and container names: letters, digits, '-', '_',
 * '.'; no spaces or slashes, which would break IDs and URL paths. */
static bool name_ok(const char *s, size_t max) {
  size_t n = strlen(s);
  if (n == 0 || n > max)
    return false;
  for (const char *p = s; *p; p++)
    if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
      return false;
  return true;
}

static int string_list(const char *s, const char *flag, bool names, cJSON **out,
                       ecsb_err *err) {
  char **v = NULL;
  size_t n = 0;
  char what[96];
  snprintf(what, sizeof what, "flag %s", flag);
  int rc = ecsb_split_list(s, what, &v, &n, err);
  if (rc)
    return rc;
  cJSON *arr = cJSON_CreateArray();
  for (size_t i = 0; i < n; i++) {
    if (names && !name_ok(v[i], 255)) {
      rc = ecsb_err_set(err, ECSB_EINVAL,
                        "%s: \"%s\" is not a valid name (letters, digits, "
                        "'-', '_', '.')",
                        what, v[i]);
      break;
    }
    cJSON_AddItemToArray(arr, cJSON_CreateString(v[i]));
  }
  ecsb_strv_free(v);
  if (rc) {
    cJSON_Delete(arr);
    return rc;
  }
  *out = arr;
  return 0;
}

int ecsb_mesh_set_tags(ecsb_mesh_config *c, const char *s, const char *flag,
                       ecsb_err *err) {
  cJSON *t = NULL;
  int rc = string_list(s, flag, false, &t, err);
  if (rc == 0)
    replace(&c->tags, t);
  return rc;
}

int ecsb_mesh_set_health_sync(ecsb_mesh_config *c, const char *s,
                              const char *flag, ecsb_err *err) {
  cJSON *t = NULL;
  int rc = string_list(s, flag, true, &t, err);
  if (rc == 0)
    replace(&c->health_sync, t);
  return rc;
}

static int meta_validate(const cJSON *m, const char *path, ecsb_err *err) {
  if (!cJSON_IsObject(m))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s: expected an object of string values", path);
  const cJSON *kv;
  int n = 0;
  cJSON_ArrayForEach(kv, m) {
    if (!cJSON_IsString(kv))
      return ecsb_err_set(err, ECSB_EINVAL, "%s.%s: expected a string", path,
                          kv->string);
    /* Consul's own limits, checked here so the message names the input
     * instead of coming back as an agent 400. */
    bool key_ok = *kv->string && strlen(kv->string) <= 128;
    for (const char *p = kv->string; key_ok && *p; p++)
      key_ok = isalnum((unsigned char)*p) || *p == '-' || *p == '_';
    if (!key_ok)
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s: meta key \"%s\" must be 1-128 letters, digits, "
                          "'-' or '_'",
                          path, kv->string);
    if (strlen(kv->valuestring) > 512)
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s.%s: meta values are at most 512 characters", path,
                          kv->string);
    if (++n > 61)
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s: at most 61 meta pairs (Consul allows 64, "
                          "mesh-init sets 3)",
                          path);
    if (strcmp(kv->string, "task-id") == 0 ||
        strcmp(kv->string, "task-arn") == 0 ||
        strcmp(kv->string, "source") == 0)
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s.%s: this key is set by mesh-init itself", path,
                          kv->string);
  }
  return 0;
}

int ecsb_mesh_set_meta(ecsb_mesh_config *c, const char *s, const char *flag,
                       ecsb_err *err) {
  char what[96];
  snprintf(what, sizeof what, "flag %s", flag);
  const char *t = s;
  while (isspace((unsigned char)*t))
    t++;
  cJSON *m = NULL;
  int rc = 0;
  if (*t == '{') {
    if ((rc = ecsb_json_parse(s, strlen(s), what, &m, err)))
      return rc;
  } else {
    char **v = NULL;
    size_t n = 0;
    if ((rc = ecsb_split_list(s, what, &v, &n, err)))
      return rc;
    m = cJSON_CreateObject();
    for (size_t i = 0; i < n && rc == 0; i++) {
      char *eq = strchr(v[i], '=');
      if (!eq || eq == v[i]) {
        rc = ecsb_err_set(err, ECSB_EINVAL, "%s: \"%s\" is not KEY=VALUE", what,
                          v[i]);
        break;
      }
      *eq = '\0';
      if (cJSON_GetObjectItemCaseSensitive(m, v[i]))
        rc = ecsb_err_set(err, ECSB_EINVAL, "%s: key \"%s\" given twice", what,
                          v[i]);
      else
        cJSON_AddStringToObject(m, v[i], eq + 1);
    }
    ecsb_strv_free(v);
  }
  if (rc == 0)
    rc = meta_validate(m, what, err);
  if (rc) {
    cJSON_Delete(m);
    return rc;
  }
  replace(&c->meta, m);
  return 0;
}

static cJSON *upstream_new(const char *name, int port) {
  cJSON *u = cJSON_CreateObject();
  cJSON_AddStringToObject(u, "DestinationType", "service");
  cJSON_AddStringToObject(u, "DestinationName", name);
  cJSON_AddNumberToObject(u, "LocalBindPort", port);
  return u;
}

int ecsb_mesh_set_upstreams(ecsb_mesh_config *c, const char *s,
                            const char *flag, ecsb_err *err) {
  char what[96];
  snprintf(what, sizeof what, "flag %s", flag);
  char **v = NULL;
  size_t n = 0;
  int rc = ecsb_split_list(s, what, &v, &n, err);
  if (rc)
    return rc;
  cJSON *arr = cJSON_CreateArray();
  for (size_t i = 0; i < n && rc == 0; i++) {
    char *colon = strrchr(v[i], ':');
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : 0;
    if (!colon || colon == v[i] || !colon[1] || *end || port < 1 ||
        port > 65535) {
      rc = ecsb_err_set(err, ECSB_EINVAL,
                        "%s: \"%s\" is not NAME:PORT (port 1-65535)", what,
                        v[i]);
      break;
    }
    *colon = '\0';
    if (!name_ok(v[i], 255)) {
      rc = ecsb_err_set(err, ECSB_EINVAL,
                        "%s: \"%s\" is not a valid service name", what, v[i]);
      break;
    }
    cJSON_AddItemToArray(arr, upstream_new(v[i], (int)port));
  }
  ecsb_strv_free(v);
  if (rc) {
    cJSON_Delete(arr);
    return rc;
  }
  replace(&c->upstreams, arr);
  return 0;
}

int ecsb_mesh_config_validate(const ecsb_mesh_config *c, ecsb_err *err) {
  if (!c->bootstrap_file || !*c->bootstrap_file)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "no bootstrap file: give -envoy-bootstrap-file, "
                        "-envoy-bootstrap-dir or bootstrapDir in the config");
  if (c->service_name && !name_ok(c->service_name, 200))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "service name \"%s\" is not valid (letters, digits, "
                        "'-', '_', '.'; at most 200)",
                        c->service_name);
  /* Two upstreams cannot share a local port, nor take the proxy's. */
  const cJSON *u, *w;
  int i = 0;
  cJSON_ArrayForEach(u, c->upstreams) {
    int p = cJSON_GetObjectItemCaseSensitive(u, "LocalBindPort")->valueint;
    if (p == ECSB_MESH_PROXY_PORT || (p == c->port && c->port))
      return ecsb_err_set(err, ECSB_EINVAL,
                          "upstream %d: local port %d is taken by the %s", i, p,
                          p == c->port ? "service" : "proxy");
    int j = 0;
    cJSON_ArrayForEach(w, c->upstreams) {
      if (j++ <= i)
        continue;
      if (cJSON_GetObjectItemCaseSensitive(w, "LocalBindPort")->valueint == p)
        return ecsb_err_set(err, ECSB_EINVAL,
                            "upstreams %d and %d both use local port %d", i,
                            j - 1, p);
    }
    i++;
  }
  if (c->port == ECSB_MESH_PROXY_PORT)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "service port %d is the proxy's public port", c->port);
  const cJSON *a, *b;
  i = 0;
  cJSON_ArrayForEach(a, c->health_sync) {
    int j = 0;
    cJSON_ArrayForEach(b, c->health_sync) {
      if (j++ > i && strcmp(a->valuestring, b->valuestring) == 0)
        return ecsb_err_set(err, ECSB_EINVAL,
                            "health-sync container \"%s\" listed twice",
                            a->valuestring);
    }
    i++;
  }
  return 0;
}

/* ---- the JSON config ------------------------------------------------- */

/* Rejects keys outside `allowed`, naming the first unknown one. */
static int only_keys(const cJSON *o, const char *path,
                     const char *const *allowed, size_t n, ecsb_err *err) {
  if (!cJSON_IsObject(o))
    return ecsb_err_set(err, ECSB_EINVAL, "%s: expected an object", path);
  const cJSON *kv;
  cJSON_ArrayForEach(kv, o) {
    bool ok = false;
    for (size_t i = 0; i < n && !ok; i++)
      ok = strcmp(kv->string, allowed[i]) == 0;
    if (!ok)
      return ecsb_err_set(err, ECSB_EINVAL, "%s.%s: unknown key", path,
                          kv->string);
  }
  return 0;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int dup_into(const cJSON *v, cJSON **slot, ecsb_err *err) {
  cJSON *d = cJSON_Duplicate(v, true);
  if (!d)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  replace(slot, d);
  return 0;
}

static int strings_array(const cJSON *v, const char *path, bool names,
                         ecsb_err *err) {
  if (!cJSON_IsArray(v))
    return ecsb_err_set(err, ECSB_EINVAL, "%s: expected an array of strings",
                        path);
  const cJSON *s;
  int i = 0;
  cJSON_ArrayForEach(s, v) {
    if (!cJSON_IsString(s) || (names && !name_ok(s->valuestring, 255)))
      return ecsb_err_set(err, ECSB_EINVAL, "%s[%d]: expected %s", path, i,
                          names ? "a container name" : "a string");
    i++;
  }
  return 0;
}

static int mesh_gateway(const cJSON *v, const char *path, cJSON **out,
                        ecsb_err *err) {
  static const char *const keys[] = {"mode"};
  const char *mode = NULL;
  int rc = only_keys(v, path, keys, N(keys), err);
  if (rc || (rc = ecsb_json_get_string(v, path, "mode", true, &mode, err)))
    return rc;
  if (strcmp(mode, "none") && strcmp(mode, "local") && strcmp(mode, "remote"))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s.mode: expected \"none\", \"local\" or "
                        "\"remote\"",
                        path);
  *out = cJSON_CreateObject();
  cJSON_AddStringToObject(*out, "Mode", mode);
  return 0;
}

static int json_upstream(const cJSON *u, const char *path, cJSON **out,
                         ecsb_err *err) {
  static const char *const keys[] = {
      "destinationType",      "destinationName", "destinationNamespace",
      "destinationPartition", "datacenter",      "localBindAddress",
      "localBindPort",        "config",          "meshGateway"};
  static const char *const strs[][2] = {
      {"destinationNamespace", "DestinationNamespace"},
      {"destinationPartition", "DestinationPartition"},
      {"datacenter", "Datacenter"},
      {"localBindAddress", "LocalBindAddress"}};
  const char *type = "service", *name = NULL;
  int64_t port = 0;
  const cJSON *cfg = NULL, *mg = NULL;
  int rc = only_keys(u, path, keys, N(keys), err);
  if (rc ||
      (rc = ecsb_json_get_string(u, path, "destinationType", false, &type,
                                 err)) ||
      (rc = ecsb_json_get_string(u, path, "destinationName", true, &name,
                                 err)) ||
      (rc = ecsb_json_get_int(u, path, "localBindPort", true, 1, 65535, &port,
                              err)) ||
      (rc = ecsb_json_get_object(u, path, "config", false, &cfg, err)) ||
      (rc = ecsb_json_get_object(u, path, "meshGateway", false, &mg, err)))
    return rc;
  if (strcmp(type, "service") && strcmp(type, "prepared_query"))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s.destinationType: expected \"service\" or "
                        "\"prepared_query\"",
                        path);
  if (!name_ok(name, 255))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s.destinationName: \"%s\" is not a valid name", path,
                        name);
  cJSON *r = upstream_new(name, (int)port);
  cJSON_ReplaceItemInObjectCaseSensitive(r, "DestinationType",
                                         cJSON_CreateString(type));
  for (size_t i = 0; i < N(strs); i++) {
    const char *v = NULL;
    if ((rc = ecsb_json_get_string(u, path, strs[i][0], false, &v, err))) {
      cJSON_Delete(r);
      return rc;
    }
    if (v && *v)
      cJSON_AddStringToObject(r, strs[i][1], v);
  }
  if (cfg)
    cJSON_AddItemToObject(r, "Config", cJSON_Duplicate(cfg, true));
  if (mg) {
    cJSON *m = NULL;
    char p[200];
    snprintf(p, sizeof p, "%s.meshGateway", path);
    if ((rc = mesh_gateway(mg, p, &m, err))) {
      cJSON_Delete(r);
      return rc;
    }
    cJSON_AddItemToObject(r, "MeshGateway", m);
  }
  *out = r;
  return 0;
}

static int json_service(ecsb_mesh_config *c, const cJSON *s, ecsb_err *err) {
  static const char *const keys[] = {
      "name", "port", "tags", "meta", "checks", "enableTagOverride", "weights"};
  const char *P = "$.service";
  const char *name = NULL;
  int64_t port = 0;
  bool eto = false;
  const cJSON *tags = NULL, *meta = NULL, *checks = NULL, *w = NULL;
  int rc = only_keys(s, P, keys, N(keys), err);
  if (rc || (rc = ecsb_json_get_string(s, P, "name", false, &name, err)) ||
      (rc = ecsb_json_get_int(s, P, "port", false, 0, 65535, &port, err)) ||
      (rc = ecsb_json_get_array(s, P, "tags", false, &tags, err)) ||
      (rc = ecsb_json_get_object(s, P, "meta", false, &meta, err)) ||
      (rc = ecsb_json_get_array(s, P, "checks", false, &checks, err)) ||
      (rc = ecsb_json_get_bool(s, P, "enableTagOverride", false, &eto, err)) ||
      (rc = ecsb_json_get_object(s, P, "weights", false, &w, err)))
    return rc;
  if (name && *name) {
    free(c->service_name);
    if (!(c->service_name = strdup(name)))
      return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  }
  c->port = (int)port;
  c->enable_tag_override = eto;
  if (tags && ((rc = strings_array(tags, "$.service.tags", false, err)) ||
               (rc = dup_into(tags, &c->tags, err))))
    return rc;
  if (meta && ((rc = meta_validate(meta, "$.service.meta", err)) ||
               (rc = dup_into(meta, &c->meta, err))))
    return rc;
  if (checks) {
    cJSON *norm = NULL;
    if ((rc = checks_from_array(checks, "$.service.checks", &norm, err)))
      return rc;
    replace(&c->checks, norm);
  }
  if (w) {
    static const char *const wk[] = {"passing", "warning"};
    int64_t pass = 0, warn = 0;
    if ((rc = only_keys(w, "$.service.weights", wk, N(wk), err)) ||
        (rc = ecsb_json_get_int(w, "$.service.weights", "passing", true, 1,
                                65535, &pass, err)) ||
        (rc = ecsb_json_get_int(w, "$.service.weights", "warning", true, 0,
                                65535, &warn, err)))
      return rc;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "Passing", (double)pass);
    cJSON_AddNumberToObject(o, "Warning", (double)warn);
    replace(&c->weights, o);
  }
  return 0;
}

static int json_proxy(ecsb_mesh_config *c, const cJSON *p, ecsb_err *err) {
  static const char *const keys[] = {"config", "upstreams", "meshGateway"};
  const char *P = "$.proxy";
  const cJSON *cfg = NULL, *ups = NULL, *mg = NULL;
  int rc = only_keys(p, P, keys, N(keys), err);
  if (rc || (rc = ecsb_json_get_object(p, P, "config", false, &cfg, err)) ||
      (rc = ecsb_json_get_array(p, P, "upstreams", false, &ups, err)) ||
      (rc = ecsb_json_get_object(p, P, "meshGateway", false, &mg, err)))
    return rc;
  if (cfg && (rc = dup_into(cfg, &c->proxy_config, err)))
    return rc;
  if (ups) {
    cJSON *arr = cJSON_CreateArray();
    const cJSON *u;
    int i = 0;
    cJSON_ArrayForEach(u, ups) {
      char path[64];
      snprintf(path, sizeof path, "$.proxy.upstreams[%d]", i++);
      cJSON *one = NULL;
      if ((rc = json_upstream(u, path, &one, err))) {
        cJSON_Delete(arr);
        return rc;
      }
      cJSON_AddItemToArray(arr, one);
    }
    replace(&c->upstreams, arr);
  }
  if (mg) {
    cJSON *m = NULL;
    if ((rc = mesh_gateway(mg, "$.proxy.meshGateway", &m, err)))
      return rc;
    replace(&c->mesh_gateway, m);
  }
  return 0;
}

int ecsb_mesh_config_apply_json(ecsb_mesh_config *c, const char *json,
                                size_t len, const char *what, ecsb_err *err) {
  static const char *const keys[] = {"bootstrapDir", "bootstrapFile",
                                     "healthSyncContainers", "service",
                                     "proxy"};
  cJSON *j = NULL;
  int rc = ecsb_json_parse(json, len, what, &j, err);
  if (rc)
    return rc;
  const char *dir = NULL, *file = NULL;
  const cJSON *hs = NULL, *svc = NULL, *proxy = NULL;
  if ((rc = only_keys(j, "$", keys, N(keys), err)) ||
      (rc = ecsb_json_get_string(j, "$", "bootstrapDir", false, &dir, err)) ||
      (rc = ecsb_json_get_string(j, "$", "bootstrapFile", false, &file, err)) ||
      (rc = ecsb_json_get_array(j, "$", "healthSyncContainers", false, &hs,
                                err)) ||
      (rc = ecsb_json_get_object(j, "$", "service", false, &svc, err)) ||
      (rc = ecsb_json_get_object(j, "$", "proxy", false, &proxy, err)))
    goto out;
  if (dir && file) {
    rc = ecsb_err_set(err, ECSB_EINVAL,
                      "$: give bootstrapDir or bootstrapFile, not both");
    goto out;
  }
  if ((dir && !*dir) || (file && !*file)) {
    rc = ecsb_err_set(err, ECSB_EINVAL, "$.%s: must not be empty",
                      dir ? "bootstrapDir" : "bootstrapFile");
    goto out;
  }
  if (dir || file) {
    char path[4200];
    if ((size_t)snprintf(path, sizeof path, "%s%s", dir ? dir : file,
                         dir ? "/envoy-bootstrap.json" : "") >= sizeof path) {
      rc = ecsb_err_set(err, ECSB_EINVAL, "$.bootstrapDir: path too long");
      goto out;
    }
    free(c->bootstrap_file);
    if (!(c->bootstrap_file = strdup(path))) {
      rc = ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
      goto out;
    }
  }
  if (hs && ((rc = strings_array(hs, "$.healthSyncContainers", true, err)) ||
             (rc = dup_into(hs, &c->health_sync, err))))
    goto out;
  if (svc && (rc = json_service(c, svc, err)))
    goto out;
  if (proxy && (rc = json_proxy(c, proxy, err)))
    goto out;
out:
  if (rc && err && strncmp(err->msg, what, strlen(what)) != 0)
    ecsb_err_prefix(err, "%s", what);
  cJSON_Delete(j);
  return rc;
}
