/*
 * agent_http.c - the agent's HTTP API (/v1/agent/...), and the proxying of
 * catalog, health and status requests to the joined server.
 *
 * Errors are Consul's: plain text, 400 "Request decode failed: ..." for a
 * body that is not the expected JSON, 404 for unknown services, checks and
 * paths, 405 for a wrong method, 500 "No known Consul servers" when a
 * server is needed and the agent has not joined.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent_internal.h"
#include "ecsb/clock.h"
#include "ecsb/json.h"

static const char *after(const char *path, const char *prefix) {
  size_t n = strlen(prefix);
  return strncmp(path, prefix, n) ? NULL : path + n;
}

static bool need(const ecsb_httpd_req *req, ecsb_httpd_resp *resp,
                 const char *method) {
  if (!strcmp(req->method, method))
    return true;
  /* Consul before 1.0 took GET on the state-changing agent endpoints
   * (deregister, check pass/warn/fail) and python-consul 0.7 still sends
   * it; accept it there. */
  if (!strcmp(req->method, "GET") && !strcmp(method, "PUT_OR_GET"))
    return true;
  if (!strcmp(method, "PUT_OR_GET") && !strcmp(req->method, "PUT"))
    return true;
  fcon_reply_405(resp, req->method);
  return false;
}

/* Parses the body as one JSON object; replies 400 when it is not. */
static cJSON *body_json(const ecsb_httpd_req *req, ecsb_httpd_resp *resp) {
  cJSON *j = NULL;
  ecsb_err e = {0};
  if (ecsb_json_parse(req->body, req->body_len, "request body", &j, &e) < 0) {
    ecsb_httpd_resp_textf(resp, 400, "Request decode failed: %s", e.msg);
    return NULL;
  }
  if (!cJSON_IsObject(j)) {
    cJSON_Delete(j);
    ecsb_httpd_resp_textf(resp, 400,
                          "Request decode failed: expected a JSON object");
    return NULL;
  }
  return j;
}

/* The service name owning service id (or check id when is_check), copied
 * into out; "" when none. */
static void owner_name(fcon_agent *a, const char *id, bool is_check, char *out,
                       size_t cap) {
  pthread_mutex_lock(&a->mu);
  const char *sid = id;
  if (is_check) {
    fcon_check *c = fcon_agent_find_check_locked(a, id);
    sid = c ? c->service_id : "";
  }
  const cJSON *svc = cJSON_GetObjectItemCaseSensitive(a->services, sid);
  const char *name =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(svc, "Service"));
  snprintf(out, cap, "%s", name ? name : (is_check ? "" : id));
  pthread_mutex_unlock(&a->mu);
}

/* ACL for a request on a service (id) or a check (id); `need` is the right
 * on its service (a node-level check needs node:write: master here). */
static bool allow_owner(fcon_agent *a, const ecsb_httpd_req *req,
                        const char *id, bool is_check, fcon_acl_need need,
                        ecsb_httpd_resp *resp) {
  if (!a->cfg.acl.enabled)
    return true;
  char name[FCON_ID_MAX];
  owner_name(a, id, is_check, name, sizeof name);
  return fcon_acl_allow(&a->cfg.acl, req, *name ? need : FCON_ACL_MASTER, name,
                        resp);
}

/* Consul's rule for a registration: service:write on each service's name,
 * on a connect-proxy's destination too, and on the name a registration it
 * replaces (same ID) had. */
static bool allow_register(fcon_agent *a, const ecsb_httpd_req *req,
                           cJSON *const list[2], ecsb_httpd_resp *resp) {
  if (!a->cfg.acl.enabled)
    return true;
  for (size_t i = 0; i < 2; i++) {
    if (!list[i])
      continue;
    const char *id = fcon_jstr(list[i], "ID");
    char old[FCON_ID_MAX] = "";
    if (id) {
      pthread_mutex_lock(&a->mu);
      const char *o = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
          cJSON_GetObjectItemCaseSensitive(a->services, id), "Service"));
      snprintf(old, sizeof old, "%s", o ? o : "");
      pthread_mutex_unlock(&a->mu);
    }
    const char *kind = fcon_jstr(list[i], "Kind");
    const char *dest =
        kind && !strcmp(kind, "connect-proxy")
            ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                  cJSON_GetObjectItemCaseSensitive(list[i], "Proxy"),
                  "DestinationServiceName"))
            : NULL;
    const char *names[] = {fcon_jstr(list[i], "Service"), dest, old};
    for (size_t k = 0; k < 3; k++)
      if (names[k] && *names[k] &&
          !fcon_acl_allow(&a->cfg.acl, req, FCON_ACL_SERVICE, names[k], resp))
        return false;
  }
  return true;
}

static bool str_same(const char *x, const char *y) {
  return !strcmp(x ? x : "", y ? y : "");
}

/* A re-registered check that shows exactly what the current one shows. */
static bool check_same(const fcon_check *o, const fcon_check *c) {
  return !strcmp(o->name, c->name) && !strcmp(o->service_id, c->service_id) &&
         !strcmp(o->status, c->status) && str_same(o->notes, c->notes) &&
         str_same(o->output, c->output) && o->type == c->type &&
         str_same(o->target, c->target) && !strcmp(o->method, c->method) &&
         (o->header == c->header ||
          (o->header && c->header && cJSON_Compare(o->header, c->header, 1))) &&
         o->interval_ms == c->interval_ms && o->timeout_ms == c->timeout_ms &&
         o->ttl_ms == c->ttl_ms && o->dereg_after_ms == c->dereg_after_ms &&
         o->success_before_passing == c->success_before_passing &&
         o->failures_before_critical == c->failures_before_critical &&
         cJSON_Compare(o->definition, c->definition, 1);
}

static void service_register(fcon_agent *a, const ecsb_httpd_req *req,
                             ecsb_httpd_resp *resp) {
  cJSON *j = body_json(req, resp);
  if (!j)
    return;
  cJSON *svc = NULL, *side = NULL;
  fcon_check **checks = NULL;
  size_t n = 0;
  ecsb_err e = {0};
  int rc =
      fcon_service_decode(j, a->cfg.time_scale, &svc, &side, &checks, &n, &e);
  cJSON_Delete(j);
  if (rc < 0) {
    if (!strncmp(e.msg, "Invalid", 7) || !strncmp(e.msg, "Missing", 7))
      ecsb_httpd_resp_textf(resp, 400, "%s", e.msg);
    else
      ecsb_httpd_resp_textf(resp, 400, "Request decode failed: %s", e.msg);
    return;
  }
  cJSON *const regs[2] = {svc, side};
  if (!allow_register(a, req, regs, resp)) {
    cJSON_Delete(svc);
    cJSON_Delete(side);
    for (size_t i = 0; i < n; i++)
      fcon_check_free(checks[i]);
    free(checks);
    return;
  }
  bool replace = ecsb_httpd_req_query(req, "replace-existing-checks", NULL);
  pthread_mutex_lock(&a->mu);
  /* Re-registering what is already there changes nothing anyone can see,
   * so nothing is synced (Consul's catalog keeps its index the same way);
   * clients re-register on a timer, and load tests do it in a loop. */
  bool changed = replace;
  cJSON *list[2] = {svc, side};
  for (int k = 0; k < 2 && !changed; k++) {
    if (!list[k])
      continue;
    const cJSON *old = cJSON_GetObjectItemCaseSensitive(
        a->services,
        cJSON_GetObjectItemCaseSensitive(list[k], "ID")->valuestring);
    changed = !old || !cJSON_Compare(old, list[k], 1);
  }
  for (int k = 0; k < 2; k++) {
    if (!list[k])
      continue;
    char id[FCON_ID_MAX];
    snprintf(id, sizeof id, "%s",
             cJSON_GetObjectItemCaseSensitive(list[k], "ID")->valuestring);
    if (replace) {
      for (size_t i = a->nchecks; i-- > 0;)
        if (!strcmp(a->checks[i]->service_id, id))
          fcon_agent_del_check_locked(a, a->checks[i]->id);
    }
    if (cJSON_GetObjectItemCaseSensitive(a->services, id))
      cJSON_ReplaceItemInObjectCaseSensitive(a->services, id, list[k]);
    else
      cJSON_AddItemToObject(a->services, id, list[k]);
    if (changed)
      fcon_agent_services_changed_locked(a);
    fcon_agent_emit_locked(a, FCON_EV_REGISTER, id, NULL, NULL);
  }
  for (size_t i = 0; i < n; i++) {
    fcon_check *old = fcon_agent_find_check_locked(a, checks[i]->id);
    /* Re-registering keeps a check's current status unless given. */
    if (old && !fcon_jget(checks[i]->definition, "Status"))
      snprintf(checks[i]->status, sizeof checks[i]->status, "%s", old->status);
    if (!old || !check_same(old, checks[i]))
      changed = true;
    fcon_agent_put_check_locked(a, checks[i]);
  }
  if (changed)
    fcon_agent_changed_locked(a);
  pthread_mutex_unlock(&a->mu);
  free(checks);
  ecsb_httpd_resp_set(resp, 200, "text/plain", "", 0);
}

static void service_deregister(fcon_agent *a, const char *id,
                               ecsb_httpd_resp *resp) {
  pthread_mutex_lock(&a->mu);
  bool ok = fcon_agent_del_service_locked(a, id);
  if (ok)
    fcon_agent_changed_locked(a);
  pthread_mutex_unlock(&a->mu);
  if (ok)
    ecsb_httpd_resp_set(resp, 200, "text/plain", "", 0);
  else
    ecsb_httpd_resp_textf(resp, 404,
                          "Unknown service ID \"%s\". Ensure that "
                          "the service ID is passed, not the service name.",
                          id);
}

static cJSON *service_with_hash(const cJSON *svc, char hash[17]) {
  cJSON *o = cJSON_Duplicate(svc, 1);
  char *txt = cJSON_PrintUnformatted(svc);
  fcon_hash_hex(txt ? txt : "", hash);
  free(txt);
  cJSON_AddStringToObject(o, "ContentHash", hash);
  return o;
}

static void service_get(fcon_agent *a, const ecsb_httpd_req *req,
                        const char *id, ecsb_httpd_resp *resp) {
  const char *want = NULL;
  ecsb_httpd_req_query(req, "hash", &want);
  uint64_t idx;
  int64_t wait_ms;
  fcon_blocking_params(req, &idx, &wait_ms);
  struct timespec ts;
  fcon_deadline(wait_ms, &ts);
  char hash[17];
  cJSON *out = NULL;
  pthread_mutex_lock(&a->mu);
  for (;;) {
    const cJSON *svc = cJSON_GetObjectItemCaseSensitive(a->services, id);
    cJSON_Delete(out);
    out = svc ? service_with_hash(svc, hash) : NULL;
    if (!want || !*want || !out || strcmp(hash, want) || a->stopping ||
        atomic_load(&a->cancel))
      break;
    if (pthread_cond_timedwait(&a->cv, &a->mu, &ts))
      break;
  }
  pthread_mutex_unlock(&a->mu);
  if (!out) {
    ecsb_httpd_resp_textf(resp, 404, "unknown service ID: %s", id);
    return;
  }
  ecsb_httpd_resp_header(resp, "X-Consul-ContentHash", hash);
  fcon_reply_json(resp, 200, out);
}

static cJSON *checks_json_locked(fcon_agent *a) {
  cJSON *o = cJSON_CreateObject();
  for (size_t i = 0; i < a->nchecks; i++) {
    const fcon_check *c = a->checks[i];
    const cJSON *svc =
        cJSON_GetObjectItemCaseSensitive(a->services, c->service_id);
    cJSON_AddItemToObject(
        o, c->id,
        fcon_check_json(c, a->node,
                        cJSON_GetStringValue(
                            cJSON_GetObjectItemCaseSensitive(svc, "Service")),
                        cJSON_GetObjectItemCaseSensitive(svc, "Tags")));
  }
  return o;
}

static void check_register(fcon_agent *a, const ecsb_httpd_req *req,
                           ecsb_httpd_resp *resp) {
  cJSON *j = body_json(req, resp);
  if (!j)
    return;
  fcon_check *c = NULL;
  ecsb_err e = {0};
  int rc = fcon_check_decode(j, NULL, NULL, NULL, a->cfg.time_scale, &c, &e);
  cJSON_Delete(j);
  if (rc < 0) {
    ecsb_httpd_resp_textf(resp, 400, "%s", e.msg);
    return;
  }
  if (!allow_owner(a, req, c->service_id, false, FCON_ACL_SERVICE, resp)) {
    fcon_check_free(c);
    return;
  }
  pthread_mutex_lock(&a->mu);
  if (*c->service_id &&
      !cJSON_GetObjectItemCaseSensitive(a->services, c->service_id)) {
    pthread_mutex_unlock(&a->mu);
    ecsb_httpd_resp_textf(resp, 400, "ServiceID \"%s\" does not exist",
                          c->service_id);
    fcon_check_free(c);
    return;
  }
  fcon_agent_put_check_locked(a, c);
  fcon_agent_changed_locked(a);
  pthread_mutex_unlock(&a->mu);
  ecsb_httpd_resp_set(resp, 200, "text/plain", "", 0);
}

static void unknown_check(ecsb_httpd_resp *resp, const char *id) {
  ecsb_httpd_resp_textf(resp, 404,
                        "Unknown check ID \"%s\". Ensure that the check ID is "
                        "passed, not the check name.",
                        id);
}

/* pass|warn|fail|update */
static void check_ttl(fcon_agent *a, const ecsb_httpd_req *req,
                      const char *verb, const char *id, ecsb_httpd_resp *resp) {
  const char *status = !strcmp(verb, "pass")   ? "passing"
                       : !strcmp(verb, "warn") ? "warning"
                                               : "critical";
  const char *note = NULL;
  ecsb_httpd_req_query(req, "note", &note);
  cJSON *j = NULL;
  if (!strcmp(verb, "update")) {
    j = body_json(req, resp);
    if (!j)
      return;
    const char *st = fcon_jstr(j, "Status");
    if (!st || (strcmp(st, "passing") && strcmp(st, "warning") &&
                strcmp(st, "critical"))) {
      ecsb_httpd_resp_textf(resp, 400, "Invalid check status: \"%s\"",
                            st ? st : "");
      cJSON_Delete(j);
      return;
    }
    status = st;
    note = fcon_jstr(j, "Output");
  }
  pthread_mutex_lock(&a->mu);
  fcon_check *c = fcon_agent_find_check_locked(a, id);
  if (c && c->type != FCON_CHECK_TTL) {
    pthread_mutex_unlock(&a->mu);
    cJSON_Delete(j);
    ecsb_httpd_resp_textf(resp, 500,
                          "CheckID \"%s\" does not have associated TTL", id);
    return;
  }
  if (c) {
    c->ttl_deadline_ms = fcon_agent_now(a) + c->ttl_ms;
    fcon_agent_set_status_locked(a, c, status, note ? note : "");
  }
  pthread_mutex_unlock(&a->mu);
  cJSON_Delete(j);
  if (!c) {
    unknown_check(resp, id);
    return;
  }
  ecsb_httpd_resp_set(resp, 200, "text/plain", "", 0);
}

static cJSON *member_json(const fcon_agent *a) {
  cJSON *m = cJSON_CreateObject();
  cJSON_AddStringToObject(m, "Name", a->node);
  cJSON_AddStringToObject(m, "Addr", a->ip);
  cJSON_AddNumberToObject(m, "Port", 8301);
  cJSON *t = cJSON_AddObjectToObject(m, "Tags");
  cJSON_AddStringToObject(t, "role", "node");
  cJSON_AddStringToObject(t, "dc", "dc1");
  cJSON_AddStringToObject(t, "build", a->version);
  cJSON_AddNumberToObject(m, "Status", 1);
  cJSON_AddNumberToObject(m, "ProtocolMin", 1);
  cJSON_AddNumberToObject(m, "ProtocolMax", 5);
  cJSON_AddNumberToObject(m, "ProtocolCur", 2);
  cJSON_AddNumberToObject(m, "DelegateMin", 2);
  cJSON_AddNumberToObject(m, "DelegateMax", 5);
  cJSON_AddNumberToObject(m, "DelegateCur", 4);
  return m;
}

static cJSON *self_json(const fcon_agent *a) {
  cJSON *o = cJSON_CreateObject();
  cJSON *c = cJSON_AddObjectToObject(o, "Config");
  cJSON_AddStringToObject(c, "Datacenter", "dc1");
  cJSON_AddStringToObject(c, "PrimaryDatacenter", "dc1");
  cJSON_AddStringToObject(c, "NodeName", a->node);
  cJSON_AddStringToObject(c, "NodeID", "");
  cJSON_AddStringToObject(c, "Revision", "fcon");
  cJSON_AddBoolToObject(c, "Server", false);
  cJSON_AddStringToObject(c, "Version", a->version);
  int plain = a->cfg.xds_port ? a->cfg.xds_port : 8502;
  int tls = a->cfg.xds_tls_port ? a->cfg.xds_tls_port : -1;
  bool grpc = plain > 0 || tls > 0;
  cJSON *d = cJSON_AddObjectToObject(o, "DebugConfig");
  cJSON_AddStringToObject(d, "Datacenter", "dc1");
  cJSON_AddStringToObject(d, "NodeName", a->node);
  cJSON_AddStringToObject(d, "Version", a->version);
  cJSON_AddNumberToObject(d, "GRPCPort", plain > 0 ? plain : -1);
  cJSON_AddNumberToObject(d, "GRPCTLSPort", tls > 0 ? tls : -1);
  cJSON_AddObjectToObject(o, "Coord");
  cJSON_AddItemToObject(o, "Member", member_json(a));
  cJSON_AddObjectToObject(o, "Meta");
  if (!grpc)
    return o; /* Consul has no xDS server then, and says nothing of it */
  cJSON *x = cJSON_AddObjectToObject(o, "xDS");
  cJSON *sp = cJSON_AddObjectToObject(x, "SupportedProxies");
  cJSON *ev = cJSON_AddArrayToObject(sp, "envoy");
  const char *vers[] = {"1.18.4", "1.17.4", "1.16.5", "1.15.5"};
  for (size_t i = 0; i < sizeof vers / sizeof *vers; i++)
    cJSON_AddItemToArray(ev, cJSON_CreateString(vers[i]));
  /* Consul's deprecated single port is the TLS one when there is one. */
  cJSON_AddNumberToObject(x, "Port", tls > 0 ? tls : plain);
  cJSON *ports = cJSON_AddObjectToObject(x, "Ports");
  cJSON_AddNumberToObject(ports, "Plaintext", plain > 0 ? plain : -1);
  cJSON_AddNumberToObject(ports, "TLS", tls > 0 ? tls : -1);
  return o;
}

static void join(fcon_agent *a, const char *addr, ecsb_httpd_resp *resp) {
  pthread_mutex_lock(&a->mu);
  fcon_server *s = a->server;
  pthread_mutex_unlock(&a->mu);
  /* no server in this process: fcon_agent_join_addr sleeps slow-join */
  if (s)
    fcon_agent_slow_join(a);
  pthread_mutex_lock(&a->mu);
  bool ok = false;
  if (s) {
    const char *ip = fcon_server_ip(s);
    size_t n = strlen(ip);
    ok = !strncmp(addr, ip, n) && (addr[n] == 0 || addr[n] == ':');
  }
  if (ok)
    fcon_agent_join_locked(a, s);
  pthread_mutex_unlock(&a->mu);
  ecsb_err e = {0};
  if (!ok && !s && fcon_agent_join_addr(a, addr, &e) == 0)
    ok = true; /* a server in another process */
  if (ok)
    ecsb_httpd_resp_set(resp, 200, "text/plain", "", 0);
  else
    ecsb_httpd_resp_textf(resp, 500,
                          "1 error occurred:\n\t* Failed to join %s: dial "
                          "tcp %s:8301: connect: connection refused\n\n",
                          addr, addr);
}

static void proxy(fcon_agent *a, const ecsb_httpd_req *req,
                  ecsb_httpd_resp *resp) {
  char remote[sizeof a->remote];
  pthread_mutex_lock(&a->mu);
  fcon_server *s = a->joined ? a->server : NULL;
  snprintf(remote, sizeof remote, "%s", a->joined ? a->remote : "");
  pthread_mutex_unlock(&a->mu);
  if (!fcon_acl_allow_server_path(&a->cfg.acl, req, resp))
    return;
  if (!s && remote[0]) {
    fcon_remote_proxy(a, remote, req, resp);
    return;
  }
  if (!s) {
    ecsb_httpd_resp_textf(resp, 500, "No known Consul servers");
    return;
  }
  fcon_server_handle(s, req, resp, &a->cancel);
}

/* ACL for the agent endpoints whose right follows from the path alone;
 * register and check/register decide after decoding the body. */
static bool agent_acl(fcon_agent *a, const ecsb_httpd_req *req,
                      ecsb_httpd_resp *resp) {
  const fcon_acl_config *acl = &a->cfg.acl;
  const char *p = req->path, *arg;
  if (!acl->enabled || !after(p, "/v1/agent/"))
    return true;
  if (!strcmp(p, "/v1/agent/service/register") ||
      !strcmp(p, "/v1/agent/check/register"))
    return true;
  if ((arg = after(p, "/v1/agent/service/deregister/")))
    return allow_owner(a, req, arg, false, FCON_ACL_SERVICE, resp);
  if ((arg = after(p, "/v1/agent/check/")) && strchr(arg, '/'))
    return allow_owner(a, req, strchr(arg, '/') + 1, true, FCON_ACL_SERVICE,
                       resp);
  if ((arg = after(p, "/v1/agent/service/")))
    return allow_owner(a, req, arg, false, FCON_ACL_SERVICE_READ, resp);
  if (!strcmp(p, "/v1/agent/self"))
    return fcon_acl_allow(acl, req, FCON_ACL_AGENT_READ, a->node, resp);
  if (!strcmp(p, "/v1/agent/services") || !strcmp(p, "/v1/agent/checks"))
    return fcon_acl_allow(acl, req, FCON_ACL_ANY, NULL, resp);
  return fcon_acl_allow(acl, req, FCON_ACL_MASTER, NULL, resp);
}

bool fcon_agent_may_block(void *user, const ecsb_httpd_req *req) {
  fcon_agent *a = user;
  if (fcon_may_block(&a->faults, req) || after(req->path, "/v1/agent/join/"))
    return true;
  /* Joined to a server in another process, catalog/health/status calls and
   * leaving go over HTTP to it: any request may wait on that. */
  pthread_mutex_lock(&a->mu);
  bool remote = a->remote[0] != '\0';
  pthread_mutex_unlock(&a->mu);
  return remote;
}

void fcon_agent_handle(void *user, const ecsb_httpd_req *req,
                       ecsb_httpd_resp *resp) {
  fcon_agent *a = user;
  const char *p = req->path, *arg;
  if (fcon_faults_apply(&a->faults, req, resp))
    return;
  if (!agent_acl(a, req, resp))
    return;
  if (fcon_blocking_params_bad(req, resp))
    return;
  if (after(p, "/v1/catalog/") || after(p, "/v1/health/") ||
      after(p, "/v1/status/")) {
    proxy(a, req, resp);
    return;
  }
  if (!strcmp(p, "/v1/agent/service/register")) {
    if (need(req, resp, "PUT"))
      service_register(a, req, resp);
  } else if ((arg = after(p, "/v1/agent/service/deregister/")) && *arg) {
    if (need(req, resp, "PUT_OR_GET"))
      service_deregister(a, arg, resp);
  } else if (!strcmp(p, "/v1/agent/services")) {
    if (!need(req, resp, "GET"))
      return;
    pthread_mutex_lock(&a->mu);
    if (!a->services_text) {
      a->services_text = cJSON_PrintUnformatted(a->services);
      a->services_len = a->services_text ? strlen(a->services_text) : 0;
    }
    if (a->services_text)
      ecsb_httpd_resp_set(resp, 200, "application/json", a->services_text,
                          a->services_len);
    else
      ecsb_httpd_resp_textf(resp, 500, "out of memory");
    pthread_mutex_unlock(&a->mu);
  } else if ((arg = after(p, "/v1/agent/service/")) && *arg) {
    if (need(req, resp, "GET"))
      service_get(a, req, arg, resp);
  } else if (!strcmp(p, "/v1/agent/checks")) {
    if (!need(req, resp, "GET"))
      return;
    pthread_mutex_lock(&a->mu);
    cJSON *o = checks_json_locked(a);
    pthread_mutex_unlock(&a->mu);
    fcon_reply_json(resp, 200, o);
  } else if (!strcmp(p, "/v1/agent/check/register")) {
    if (need(req, resp, "PUT"))
      check_register(a, req, resp);
  } else if ((arg = after(p, "/v1/agent/check/deregister/")) && *arg) {
    if (!need(req, resp, "PUT_OR_GET"))
      return;
    pthread_mutex_lock(&a->mu);
    bool ok = fcon_agent_del_check_locked(a, arg);
    if (ok)
      fcon_agent_changed_locked(a);
    pthread_mutex_unlock(&a->mu);
    if (!ok) {
      unknown_check(resp, arg);
      return;
    }
    ecsb_httpd_resp_set(resp, 200, "text/plain", "", 0);
  } else if (after(p, "/v1/agent/check/")) {
    const char *verbs[] = {"pass", "warn", "fail", "update"};
    for (size_t i = 0; i < 4; i++) {
      char pre[64];
      snprintf(pre, sizeof pre, "/v1/agent/check/%s/", verbs[i]);
      if ((arg = after(p, pre)) && *arg) {
        if (need(req, resp, i < 3 ? "PUT_OR_GET" : "PUT"))
          check_ttl(a, req, verbs[i], arg, resp);
        return;
      }
    }
    fcon_reply_404(resp);
  } else if (!strcmp(p, "/v1/agent/self")) {
    if (need(req, resp, "GET"))
      fcon_reply_json(resp, 200, self_json(a));
  } else if (!strcmp(p, "/v1/agent/members")) {
    if (!need(req, resp, "GET"))
      return;
    cJSON *arr = cJSON_CreateArray();
    cJSON_AddItemToArray(arr, member_json(a));
    fcon_reply_json(resp, 200, arr);
  } else if ((arg = after(p, "/v1/agent/join/")) && *arg) {
    if (need(req, resp, "PUT"))
      join(a, arg, resp);
  } else if (!strcmp(p, "/v1/agent/leave")) {
    if (!need(req, resp, "PUT"))
      return;
    fcon_agent_leave(a);
    ecsb_httpd_resp_set(resp, 200, "text/plain", "", 0);
  } else {
    fcon_reply_404(resp);
  }
}
