/*
 * decode.c - Consul registration payloads into fake-consul's model.
 *
 * Consul decodes JSON case-insensitively and translates snake_case keys, so
 * every lookup here goes through fcon_jget, which ignores case and '_'.
 * Services are kept in the agent's AgentService JSON shape (what
 * /v1/agent/services returns); checks as fcon_check records. Durations are
 * Go strings ("10s") or nanosecond numbers, scaled by the agent's time
 * scale. Pure functions: no locks, no I/O.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ecsb/duration.h"
#include "fcon_internal.h"

static bool key_eq(const char *a, const char *b) {
  for (;;) {
    while (*a == '_' || *a == '-')
      a++;
    while (*b == '_' || *b == '-')
      b++;
    if (!*a || !*b)
      return !*a && !*b;
    if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
      return false;
    a++;
    b++;
  }
}

cJSON *fcon_jget(const cJSON *obj, const char *key) {
  if (!cJSON_IsObject(obj))
    return NULL;
  for (cJSON *c = obj->child; c; c = c->next)
    if (c->string && key_eq(c->string, key) && !cJSON_IsNull(c))
      return c;
  return NULL;
}

const char *fcon_jstr(const cJSON *obj, const char *key) {
  cJSON *v = fcon_jget(obj, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

void fcon_check_free(fcon_check *c) {
  if (!c)
    return;
  free(c->notes);
  free(c->output);
  free(c->target);
  cJSON_Delete(c->header);
  cJSON_Delete(c->definition);
  free(c);
}

static char *dup_or_empty(const char *s) {
  return strdup(s ? s : "");
}

/* Duration field: Go string or nanoseconds number. */
static int get_dur(const cJSON *j, const char *key, double scale, int64_t *ms,
                   ecsb_err *err) {
  cJSON *v = fcon_jget(j, key);
  *ms = 0;
  if (!v)
    return 0;
  int64_t ns = 0;
  if (cJSON_IsNumber(v)) {
    ns = (int64_t)v->valuedouble;
  } else if (cJSON_IsString(v)) {
    if (!*v->valuestring)
      return 0;
    ecsb_err e = {0};
    if (ecsb_duration_parse(v->valuestring, &ns, &e) < 0)
      return ecsb_err_set(err, ECSB_EINVAL, "%s: %s", key, e.msg);
  } else {
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s: expected a duration string or number", key);
  }
  if (ns < 0)
    return ecsb_err_set(err, ECSB_EINVAL, "%s: negative duration", key);
  double s = scale > 0 ? scale : 1.0;
  *ms = (int64_t)((double)ns / 1e6 * s);
  if (ns > 0 && *ms == 0)
    *ms = 1;
  return 0;
}

static void copy_id(char *dst, const char *src) {
  snprintf(dst, FCON_ID_MAX, "%s", src ? src : "");
}

int fcon_check_decode(const cJSON *j, const char *default_id,
                      const char *default_name, const char *svc_id,
                      double scale, fcon_check **out, ecsb_err *err) {
  *out = NULL;
  if (!cJSON_IsObject(j))
    return ecsb_err_set(err, ECSB_EINVAL, "check must be a JSON object");
  fcon_check *c = calloc(1, sizeof *c);
  if (!c)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  const char *id = fcon_jstr(j, "CheckID");
  if (!id || !*id)
    id = fcon_jstr(j, "ID");
  const char *name = fcon_jstr(j, "Name");
  if ((!id || !*id) && default_id)
    id = default_id;
  if ((!name || !*name) && default_name)
    name = default_name;
  if (!name || !*name) {
    ecsb_err_set(err, ECSB_EINVAL, "Missing check name");
    goto fail;
  }
  if (!id || !*id)
    id = name;
  copy_id(c->id, id);
  copy_id(c->name, name);
  const char *sid = fcon_jstr(j, "ServiceID");
  copy_id(c->service_id, svc_id ? svc_id : sid);
  c->notes = dup_or_empty(fcon_jstr(j, "Notes"));
  c->output = strdup("");
  snprintf(c->status, sizeof c->status, "critical");
  const char *st = fcon_jstr(j, "Status");
  if (st && *st) {
    if (strcmp(st, "passing") && strcmp(st, "warning") &&
        strcmp(st, "critical")) {
      ecsb_err_set(err, ECSB_EINVAL, "Invalid check status: \"%s\"", st);
      goto fail;
    }
    snprintf(c->status, sizeof c->status, "%s", st);
  }
  if (get_dur(j, "Interval", scale, &c->interval_ms, err) < 0 ||
      get_dur(j, "Timeout", scale, &c->timeout_ms, err) < 0 ||
      get_dur(j, "TTL", scale, &c->ttl_ms, err) < 0 ||
      get_dur(j, "DeregisterCriticalServiceAfter", scale, &c->dereg_after_ms,
              err) < 0)
    goto fail;
  cJSON *n = fcon_jget(j, "SuccessBeforePassing");
  c->success_before_passing = cJSON_IsNumber(n) ? (int64_t)n->valuedouble : 0;
  n = fcon_jget(j, "FailuresBeforeCritical");
  c->failures_before_critical = cJSON_IsNumber(n) ? (int64_t)n->valuedouble : 0;
  const char *http = fcon_jstr(j, "HTTP");
  const char *tcp = fcon_jstr(j, "TCP");
  const char *alias = fcon_jstr(j, "AliasService");
  int kinds =
      (http && *http) + (tcp && *tcp) + (alias && *alias) + (c->ttl_ms > 0);
  if (kinds != 1) {
    ecsb_err_set(err, ECSB_EINVAL,
                 kinds ? "Invalid check: only one of HTTP, TCP, TTL or "
                         "AliasService may be set"
                       : "Invalid check: TTL must be > 0 for TTL checks");
    goto fail;
  }
  if (c->ttl_ms > 0) {
    c->type = FCON_CHECK_TTL;
  } else if (alias && *alias) {
    c->type = FCON_CHECK_ALIAS;
    c->target = strdup(alias);
  } else {
    c->type = http && *http ? FCON_CHECK_HTTP : FCON_CHECK_TCP;
    c->target = strdup(http && *http ? http : tcp);
    if (c->interval_ms <= 0) {
      ecsb_err_set(err, ECSB_EINVAL,
                   "Invalid check: Interval must be > 0 for Script, HTTP, "
                   "H2PING, or TCP checks");
      goto fail;
    }
    if (c->timeout_ms <= 0)
      c->timeout_ms = 10000 * (scale > 0 ? scale : 1.0);
    /* A scaled timeout still has to cover a real connect and answer on a
     * loaded machine: never below FCON_MIN_CHECK_TIMEOUT_MS (intervals
     * keep their scaled value, so the ordering is unchanged). */
    if (c->timeout_ms < FCON_MIN_CHECK_TIMEOUT_MS)
      c->timeout_ms = FCON_MIN_CHECK_TIMEOUT_MS;
  }
  const char *m = fcon_jstr(j, "Method");
  snprintf(c->method, sizeof c->method, "%s", m && *m ? m : "GET");
  cJSON *h = fcon_jget(j, "Header");
  if (cJSON_IsObject(h))
    c->header = cJSON_Duplicate(h, 1);
  c->definition = cJSON_Duplicate(j, 1);
  if (!c->notes || !c->output || (c->type != FCON_CHECK_TTL && !c->target) ||
      !c->definition) {
    ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
    goto fail;
  }
  *out = c;
  return 0;
fail:
  fcon_check_free(c);
  return err ? err->code : ECSB_EINVAL;
}

/* Copies key from src under the canonical name, or sets a default. */
static void put_str(cJSON *dst, const char *name, const cJSON *src,
                    const char *key, const char *def) {
  const char *v = fcon_jstr(src, key);
  cJSON_AddStringToObject(dst, name, v ? v : def);
}

static void put_int(cJSON *dst, const char *name, const cJSON *src,
                    const char *key, double def) {
  cJSON *v = fcon_jget(src, key);
  cJSON_AddNumberToObject(dst, name, cJSON_IsNumber(v) ? v->valuedouble : def);
}

static void put_dup(cJSON *dst, const char *name, const cJSON *src,
                    const char *key, bool array) {
  cJSON *v = fcon_jget(src, key);
  if (v && (array ? cJSON_IsArray(v) : cJSON_IsObject(v)))
    cJSON_AddItemToObject(dst, name, cJSON_Duplicate(v, 1));
  else
    cJSON_AddItemToObject(dst, name,
                          array ? cJSON_CreateArray() : cJSON_CreateObject());
}

static cJSON *norm_upstream(const cJSON *u) {
  cJSON *o = cJSON_CreateObject();
  put_str(o, "DestinationType", u, "DestinationType", "service");
  put_str(o, "DestinationNamespace", u, "DestinationNamespace", "");
  put_str(o, "DestinationName", u, "DestinationName", "");
  put_str(o, "Datacenter", u, "Datacenter", "");
  put_str(o, "LocalBindAddress", u, "LocalBindAddress", "");
  put_int(o, "LocalBindPort", u, "LocalBindPort", 0);
  put_dup(o, "Config", u, "Config", false);
  put_dup(o, "MeshGateway", u, "MeshGateway", false);
  return o;
}

static cJSON *norm_proxy(const cJSON *p) {
  cJSON *o = cJSON_CreateObject();
  put_str(o, "DestinationServiceName", p, "DestinationServiceName", "");
  put_str(o, "DestinationServiceID", p, "DestinationServiceID", "");
  put_str(o, "LocalServiceAddress", p, "LocalServiceAddress", "");
  put_int(o, "LocalServicePort", p, "LocalServicePort", 0);
  put_dup(o, "Config", p, "Config", false);
  cJSON *ups = cJSON_AddArrayToObject(o, "Upstreams");
  cJSON *u = fcon_jget(p, "Upstreams"), *it;
  if (cJSON_IsArray(u))
    cJSON_ArrayForEach(it, u) cJSON_AddItemToArray(ups, norm_upstream(it));
  put_dup(o, "MeshGateway", p, "MeshGateway", false);
  put_dup(o, "Expose", p, "Expose", false);
  return o;
}

/* Consul decodes ports and weights into Go ints: a fraction or a number
 * past int64 fails the whole request instead of being stored as sent. */
static int want_int(const cJSON *v, const char *path, ecsb_err *err) {
  if (!v)
    return 0;
  if (!cJSON_IsNumber(v))
    return ecsb_err_set(err, ECSB_EINVAL, "%s: expected a number", path);
  double d = v->valuedouble;
  if (!(d > -9.2e18 && d < 9.2e18) || (double)(long long)d != d)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s: cannot unmarshal number %.17g into an int", path,
                        d);
  return 0;
}

static int check_ints(const cJSON *j, ecsb_err *err) {
  const cJSON *w = fcon_jget(j, "Weights");
  const cJSON *p = fcon_jget(j, "Proxy");
  int rc;
  if ((rc = want_int(fcon_jget(j, "Port"), "Port", err)) < 0 ||
      (rc = want_int(fcon_jget(w, "Passing"), "Weights.Passing", err)) < 0 ||
      (rc = want_int(fcon_jget(w, "Warning"), "Weights.Warning", err)) < 0 ||
      (rc = want_int(fcon_jget(p, "LocalServicePort"), "Proxy.LocalServicePort",
                     err)) < 0)
    return rc;
  const cJSON *ups = fcon_jget(p, "Upstreams"), *u;
  if (cJSON_IsArray(ups))
    cJSON_ArrayForEach(u, ups) {
      if ((rc = want_int(fcon_jget(u, "LocalBindPort"),
                         "Proxy.Upstreams.LocalBindPort", err)) < 0)
        return rc;
    }
  return 0;
}

/* The AgentService shape. defaults used for sidecars. */
static int norm_service(const cJSON *j, const char *def_id,
                        const char *def_name, const char *def_kind,
                        double def_port, cJSON **out, ecsb_err *err) {
  *out = NULL;
  const char *name = fcon_jstr(j, "Name");
  if (!name || !*name)
    name = def_name;
  if (!name || !*name)
    return ecsb_err_set(err, ECSB_EINVAL, "Missing service name");
  int rc = check_ints(j, err);
  if (rc < 0)
    return rc;
  const char *id = fcon_jstr(j, "ID");
  if (!id || !*id)
    id = def_id && *def_id ? def_id : name;
  const char *kind = fcon_jstr(j, "Kind");
  if (!kind)
    kind = def_kind ? def_kind : "";
  cJSON *s = cJSON_CreateObject();
  if (!s)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  if (*kind)
    cJSON_AddStringToObject(s, "Kind", kind);
  cJSON_AddStringToObject(s, "ID", id);
  cJSON_AddStringToObject(s, "Service", name);
  cJSON *tags = fcon_jget(j, "Tags");
  if (tags && !cJSON_IsArray(tags)) {
    cJSON_Delete(s);
    return ecsb_err_set(err, ECSB_EINVAL, "Tags: expected an array");
  }
  put_dup(s, "Tags", j, "Tags", true);
  put_dup(s, "Meta", j, "Meta", false);
  cJSON *port = fcon_jget(j, "Port");
  cJSON_AddNumberToObject(s, "Port", port ? port->valuedouble : def_port);
  put_str(s, "Address", j, "Address", "");
  cJSON *tw = cJSON_AddObjectToObject(s, "Weights");
  cJSON *w = fcon_jget(j, "Weights");
  put_int(tw, "Passing", w, "Passing", 1);
  put_int(tw, "Warning", w, "Warning", 1);
  cJSON *eto = fcon_jget(j, "EnableTagOverride");
  cJSON_AddBoolToObject(s, "EnableTagOverride", cJSON_IsTrue(eto));
  cJSON_AddStringToObject(s, "Datacenter", "dc1");
  if (!strcmp(kind, "connect-proxy")) {
    const cJSON *p = fcon_jget(j, "Proxy");
    cJSON *np = norm_proxy(p);
    const char *dsn = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(np, "DestinationServiceName"));
    if (!dsn || !*dsn) {
      /* A sidecar gets its destination from the parent (set by caller). */
      if (!def_kind) {
        cJSON_Delete(np);
        cJSON_Delete(s);
        return ecsb_err_set(err, ECSB_EINVAL,
                            "Invalid Proxy configuration: "
                            "DestinationServiceName must be set");
      }
    }
    if (cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(s, "Port")) <=
        0) {
      cJSON_Delete(np);
      cJSON_Delete(s);
      return ecsb_err_set(err, ECSB_EINVAL,
                          "Invalid Proxy configuration: Port must be set for "
                          "a Connect proxy");
    }
    cJSON_AddItemToObject(s, "Proxy", np);
  }
  *out = s;
  return 0;
}

static int add_check(fcon_check ***checks, size_t *n, fcon_check *c) {
  fcon_check **nc = realloc(*checks, (*n + 1) * sizeof *nc);
  if (!nc) {
    fcon_check_free(c);
    return ECSB_ENOMEM;
  }
  nc[(*n)++] = c;
  *checks = nc;
  return 0;
}

/* Check and Checks of a service definition. */
static int decode_service_checks(const cJSON *j, const char *id,
                                 const char *name, double scale,
                                 fcon_check ***checks, size_t *n,
                                 ecsb_err *err) {
  const cJSON *one = fcon_jget(j, "Check");
  const cJSON *many = fcon_jget(j, "Checks");
  if (many && !cJSON_IsArray(many))
    return ecsb_err_set(err, ECSB_EINVAL, "Checks: expected an array");
  size_t total = (one ? 1 : 0) + (size_t)cJSON_GetArraySize(many);
  char defname[FCON_ID_MAX + 32];
  snprintf(defname, sizeof defname, "Service '%s' check", name);
  size_t k = 0;
  const cJSON *all[2] = {one, many};
  for (int pass = 0; pass < 2; pass++) {
    if (!all[pass])
      continue;
    const cJSON *it = pass ? all[pass]->child : all[pass];
    for (; it; it = pass ? it->next : NULL) {
      k++;
      char defid[FCON_ID_MAX + 32];
      if (total == 1)
        snprintf(defid, sizeof defid, "service:%s", id);
      else
        snprintf(defid, sizeof defid, "service:%s:%zu", id, k);
      fcon_check *c = NULL;
      if (fcon_check_decode(it, defid, defname, id, scale, &c, err) < 0)
        return err ? err->code : ECSB_EINVAL;
      if (add_check(checks, n, c) < 0)
        return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
    }
  }
  return 0;
}

int fcon_service_decode(const cJSON *j, double scale, cJSON **svc,
                        cJSON **sidecar, fcon_check ***checks, size_t *ncheck,
                        ecsb_err *err) {
  *svc = NULL;
  *sidecar = NULL;
  *checks = NULL;
  *ncheck = 0;
  if (!cJSON_IsObject(j))
    return ecsb_err_set(err, ECSB_EINVAL, "expected a JSON object");
  cJSON *s = NULL, *sc = NULL;
  if (norm_service(j, NULL, NULL, NULL, 0, &s, err) < 0)
    goto fail;
  const char *id = cJSON_GetObjectItemCaseSensitive(s, "ID")->valuestring;
  const char *name =
      cJSON_GetObjectItemCaseSensitive(s, "Service")->valuestring;
  if (decode_service_checks(j, id, name, scale, checks, ncheck, err) < 0)
    goto fail;
  const cJSON *conn = fcon_jget(j, "Connect");
  const cJSON *side = fcon_jget(conn, "SidecarService");
  if (cJSON_IsObject(side)) {
    char sid[FCON_ID_MAX + 16], sname[FCON_ID_MAX + 16];
    snprintf(sid, sizeof sid, "%s-sidecar-proxy", id);
    snprintf(sname, sizeof sname, "%s-sidecar-proxy", name);
    if (norm_service(side, sid, sname, "connect-proxy", 21000, &sc, err) < 0)
      goto fail;
    cJSON *p = cJSON_GetObjectItemCaseSensitive(sc, "Proxy");
    cJSON_ReplaceItemInObject(p, "DestinationServiceName",
                              cJSON_CreateString(name));
    cJSON_ReplaceItemInObject(p, "DestinationServiceID",
                              cJSON_CreateString(id));
    cJSON_ReplaceItemInObject(p, "LocalServiceAddress",
                              cJSON_CreateString("127.0.0.1"));
    cJSON *port = cJSON_GetObjectItemCaseSensitive(s, "Port");
    cJSON_ReplaceItemInObject(p, "LocalServicePort",
                              cJSON_CreateNumber(port->valuedouble));
    const char *scid = cJSON_GetObjectItemCaseSensitive(sc, "ID")->valuestring;
    const char *scname =
        cJSON_GetObjectItemCaseSensitive(sc, "Service")->valuestring;
    size_t before = *ncheck;
    if (decode_service_checks(side, scid, scname, scale, checks, ncheck, err) <
        0)
      goto fail;
    if (*ncheck == before) {
      /* Consul's default sidecar checks: TCP on the proxy, alias. */
      char addr[64];
      snprintf(addr, sizeof addr, "127.0.0.1:%d",
               (int)cJSON_GetNumberValue(
                   cJSON_GetObjectItemCaseSensitive(sc, "Port")));
      cJSON *t = cJSON_CreateObject();
      cJSON_AddStringToObject(t, "Name", "Connect Sidecar Listening");
      cJSON_AddStringToObject(t, "TCP", addr);
      cJSON_AddStringToObject(t, "Interval", "10s");
      cJSON *a = cJSON_CreateObject();
      cJSON_AddStringToObject(a, "Name", "Connect Sidecar Aliasing");
      cJSON_AddStringToObject(a, "AliasService", id);
      cJSON *arr = cJSON_CreateObject();
      cJSON *list = cJSON_AddArrayToObject(arr, "Checks");
      cJSON_AddItemToArray(list, t);
      cJSON_AddItemToArray(list, a);
      int rc =
          decode_service_checks(arr, scid, scname, scale, checks, ncheck, err);
      cJSON_Delete(arr);
      if (rc < 0)
        goto fail;
    }
  }
  *svc = s;
  *sidecar = sc;
  return 0;
fail:
  cJSON_Delete(s);
  cJSON_Delete(sc);
  for (size_t i = 0; i < *ncheck; i++)
    fcon_check_free((*checks)[i]);
  free(*checks);
  *checks = NULL;
  *ncheck = 0;
  return err && err->code ? err->code : ECSB_EINVAL;
}

static const char *type_name(fcon_check_type t) {
  switch (t) {
  case FCON_CHECK_TTL:
    return "ttl";
  case FCON_CHECK_HTTP:
    return "http";
  case FCON_CHECK_TCP:
    return "tcp";
  case FCON_CHECK_ALIAS:
    return "alias";
  }
  return "";
}

cJSON *fcon_check_json(const fcon_check *c, const char *node,
                       const char *service_name, const cJSON *service_tags) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "Node", node);
  cJSON_AddStringToObject(o, "CheckID", c->id);
  cJSON_AddStringToObject(o, "Name", c->name);
  cJSON_AddStringToObject(o, "Status", c->status);
  cJSON_AddStringToObject(o, "Notes", c->notes ? c->notes : "");
  cJSON_AddStringToObject(o, "Output", c->output ? c->output : "");
  cJSON_AddStringToObject(o, "ServiceID", c->service_id);
  cJSON_AddStringToObject(o, "ServiceName", service_name ? service_name : "");
  cJSON_AddItemToObject(o, "ServiceTags",
                        service_tags ? cJSON_Duplicate(service_tags, 1)
                                     : cJSON_CreateArray());
  cJSON_AddStringToObject(o, "Type", type_name(c->type));
  cJSON *d = cJSON_AddObjectToObject(o, "Definition");
  char buf[32];
  if (c->type == FCON_CHECK_HTTP) {
    cJSON_AddStringToObject(d, "HTTP", c->target);
    cJSON_AddStringToObject(d, "Method", c->method);
  } else if (c->type == FCON_CHECK_TCP) {
    cJSON_AddStringToObject(d, "TCP", c->target);
  }
  if (c->interval_ms)
    cJSON_AddStringToObject(
        d, "Interval",
        ecsb_duration_format(c->interval_ms * 1000000, buf, sizeof buf));
  if (c->dereg_after_ms)
    cJSON_AddStringToObject(
        d, "DeregisterCriticalServiceAfter",
        ecsb_duration_format(c->dereg_after_ms * 1000000, buf, sizeof buf));
  cJSON_AddNumberToObject(o, "CreateIndex", 0);
  cJSON_AddNumberToObject(o, "ModifyIndex", 0);
  return o;
}

void fcon_hash_hex(const char *s, char out[17]) {
  uint64_t h = 1469598103934665603ULL;
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 1099511628211ULL;
  }
  snprintf(out, 17, "%016llx", (unsigned long long)h);
}

void fcon_reply_json(ecsb_httpd_resp *r, int status, cJSON *j) {
  char *body = j ? cJSON_PrintUnformatted(j) : NULL;
  cJSON_Delete(j);
  if (!body) {
    ecsb_httpd_resp_textf(r, 500, "out of memory");
    return;
  }
  ecsb_httpd_resp_take(r, status, "application/json", body);
}

void fcon_reply_405(ecsb_httpd_resp *r, const char *method) {
  ecsb_httpd_resp_textf(r, 405, "method %s not allowed", method);
}

void fcon_reply_404(ecsb_httpd_resp *r) {
  ecsb_httpd_resp_textf(r, 404, "404 page not found\n");
}

bool fcon_blocking_params_bad(const ecsb_httpd_req *req,
                              ecsb_httpd_resp *resp) {
  const char *v = NULL;
  if (ecsb_httpd_req_query(req, "index", &v) && v) {
    bool ok = *v != '\0' && strlen(v) <= 20;
    for (const char *p = v; ok && *p; p++)
      ok = *p >= '0' && *p <= '9';
    errno = 0;
    if (!ok || (strtoull(v, NULL, 10) == ULLONG_MAX && errno == ERANGE)) {
      ecsb_httpd_resp_textf(resp, 400, "Invalid index");
      return true;
    }
  }
  int64_t ns = 0;
  if (ecsb_httpd_req_query(req, "wait", &v) && v &&
      (ecsb_duration_parse(v, &ns, NULL) != 0 || ns < 0)) {
    ecsb_httpd_resp_textf(resp, 400, "Invalid wait time");
    return true;
  }
  return false;
}

void fcon_blocking_params(const ecsb_httpd_req *req, uint64_t *index,
                          int64_t *wait_ms) {
  const char *v = NULL;
  *index = 0;
  *wait_ms = 5 * 60 * 1000;
  if (ecsb_httpd_req_query(req, "index", &v) && v)
    *index = strtoull(v, NULL, 10);
  if (ecsb_httpd_req_query(req, "wait", &v) && v) {
    int64_t ns = 0;
    if (ecsb_duration_parse(v, &ns, NULL) == 0 && ns >= 0)
      *wait_ms = ns / 1000000;
  }
  if (*wait_ms > 10 * 60 * 1000)
    *wait_ms = 10 * 60 * 1000;
}

void fcon_deadline(int64_t ms_from_now, struct timespec *ts) {
  fcon_deadline_us(ms_from_now * 1000, ts);
}

void fcon_deadline_us(int64_t us_from_now, struct timespec *ts) {
  clock_gettime(CLOCK_MONOTONIC, ts);
  ts->tv_sec += us_from_now / 1000000;
  ts->tv_nsec += (us_from_now % 1000000) * 1000;
  if (ts->tv_nsec >= 1000000000) {
    ts->tv_sec++;
    ts->tv_nsec -= 1000000000;
  }
}
