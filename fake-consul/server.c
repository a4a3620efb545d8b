/*
 * server.c - the fake Consul server: the catalog (nodes, their services and
 * checks as pushed by agents) and the catalog, health and status endpoints,
 * with blocking queries on the catalog index.
 *
 * Agents push whole-node snapshots (fcon_server_push); a push that changes
 * anything bumps the index and wakes blocked queries. Every response is
 * built under the lock from those snapshots. Agents proxy their catalog/
 * health requests here through fcon_server_handle; the server never calls
 * an agent, so the lock order is always agent -> server.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ecsb/clock.h"
#include "ecsb/strmap.h"
#include "fcon_internal.h"

typedef struct fcon_node {
  char name[FCON_ID_MAX];
  char address[64];
  cJSON *services; /* array of AgentService */
  cJSON *checks;   /* array of HealthCheck */
  uint64_t index;
  size_t next_addr; /* the next node with this address; NO_NODE: none */
} fcon_node;

#define NO_NODE SIZE_MAX

struct fcon_server {
  fcon_server_config cfg;
  char dc[64];
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool stopping;
  uint64_t index;
  fcon_node *nodes;
  size_t nnodes, cap;
  /* name -> node, address -> its first node (then next_addr): a fleet's
   * every sync and every look at a task's node was a scan of all nodes
   * under the lock, on a busy host seconds of the runner's loop for
   * 1,000 tasks. NULL when out of memory: then scanned. Keys point into
   * nodes, so the maps are rebuilt when nodes moves or shrinks. */
  ecsb_strmap *by_name, *by_addr;
  ecsb_httpd *httpd;    /* NULL while down */
  pthread_mutex_t life; /* serialises down/up/stop */
  char ip[64];
  uint16_t port; /* bound port, kept across down/up */
  fcon_faults faults;
  bool no_leader; /* guarded by mu */
};

void fcon_server_config_default(fcon_server_config *c) {
  memset(c, 0, sizeof *c);
  c->bind_ip = "127.0.0.1";
  c->datacenter = "dc1";
}

static void emit(fcon_server *s, fcon_event_kind k, const fcon_node *n,
                 const char *service_id, const char *service_kind,
                 const char *check_id, const char *status) {
  if (!s->cfg.on_event)
    return;
  fcon_event ev = {.kind = k,
                   .node = n->name,
                   .address = n->address,
                   .service_id = service_id,
                   .service_kind = service_kind,
                   .check_id = check_id,
                   .status = status};
  s->cfg.on_event(s->cfg.event_user, &ev);
}

static const char *jstr(const cJSON *o, const char *k) {
  const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
  return v ? v : "";
}

static const cJSON *find_by(const cJSON *arr, const char *key,
                            const char *val) {
  const cJSON *x;
  cJSON_ArrayForEach(x, arr) {
    if (!strcmp(jstr(x, key), val))
      return x;
  }
  return NULL;
}

/* What changed between two snapshots of a node, as events: services that
 * appeared or went, checks that appeared or changed status. */
static void emit_diff(fcon_server *s, const fcon_node *n, const cJSON *old_svcs,
                      const cJSON *old_checks, const cJSON *svcs,
                      const cJSON *checks) {
  const cJSON *x;
  cJSON_ArrayForEach(x, svcs) {
    if (!find_by(old_svcs, "ID", jstr(x, "ID")))
      emit(s, FCON_EV_REGISTER, n, jstr(x, "ID"), jstr(x, "Kind"), NULL, NULL);
  }
  cJSON_ArrayForEach(x, checks) {
    const cJSON *o = find_by(old_checks, "CheckID", jstr(x, "CheckID"));
    if (!o || strcmp(jstr(o, "Status"), jstr(x, "Status")))
      emit(s, FCON_EV_CHECK_STATUS, n, jstr(x, "ServiceID"), NULL,
           jstr(x, "CheckID"), jstr(x, "Status"));
  }
  cJSON_ArrayForEach(x, old_svcs) {
    if (!find_by(svcs, "ID", jstr(x, "ID")))
      emit(s, FCON_EV_DEREGISTER, n, jstr(x, "ID"), jstr(x, "Kind"), NULL,
           NULL);
  }
}

/* Adds node i (nodes[i] set) to the maps; false when out of memory. */
static bool index_node(fcon_server *s, size_t i) {
  fcon_node *n = &s->nodes[i];
  n->next_addr = NO_NODE;
  if (ecsb_strmap_put(s->by_name, n->name, i))
    return false;
  size_t j;
  if (!ecsb_strmap_get(s->by_addr, n->address, &j))
    return ecsb_strmap_put(s->by_addr, n->address, i) == 0;
  while (s->nodes[j].next_addr != NO_NODE)
    j = s->nodes[j].next_addr;
  s->nodes[j].next_addr = i;
  return true;
}

static void unindex(fcon_server *s) {
  ecsb_strmap_free(s->by_name);
  ecsb_strmap_free(s->by_addr);
  s->by_name = s->by_addr = NULL;
}

static void reindex(fcon_server *s) {
  unindex(s);
  s->by_name = ecsb_strmap_new();
  s->by_addr = ecsb_strmap_new();
  bool ok = s->by_name && s->by_addr;
  for (size_t i = 0; ok && i < s->nnodes; i++)
    ok = index_node(s, i);
  if (!ok)
    unindex(s);
}

static fcon_node *find_node(fcon_server *s, const char *name) {
  size_t i;
  if (s->by_name)
    return ecsb_strmap_get(s->by_name, name, &i) ? &s->nodes[i] : NULL;
  for (i = 0; i < s->nnodes; i++)
    if (!strcmp(s->nodes[i].name, name))
      return &s->nodes[i];
  return NULL;
}

/* The first node with this address (then next_addr), or NO_NODE. */
static size_t first_at(const fcon_server *s, const char *address) {
  size_t i;
  if (s->by_addr)
    return ecsb_strmap_get(s->by_addr, address, &i) ? i : NO_NODE;
  for (i = 0; i < s->nnodes; i++)
    if (!strcmp(s->nodes[i].address, address))
      return i;
  return NO_NODE;
}

/* After `at`, the next node with its address, or NO_NODE. */
static size_t next_at(const fcon_server *s, size_t at) {
  if (s->by_addr)
    return s->nodes[at].next_addr;
  for (size_t i = at + 1; i < s->nnodes; i++)
    if (!strcmp(s->nodes[i].address, s->nodes[at].address))
      return i;
  return NO_NODE;
}

void fcon_server_push(fcon_server *s, const char *node, const char *address,
                      cJSON *services, cJSON *checks, bool changed) {
  pthread_mutex_lock(&s->mu);
  fcon_node *n = find_node(s, node);
  if (!n) {
    bool moved = s->nnodes == s->cap;
    if (moved) {
      size_t nc = s->cap ? s->cap * 2 : 16;
      fcon_node *nn = realloc(s->nodes, nc * sizeof *nn);
      if (!nn) {
        pthread_mutex_unlock(&s->mu);
        cJSON_Delete(services);
        cJSON_Delete(checks);
        return;
      }
      s->nodes = nn;
      s->cap = nc;
    }
    n = &s->nodes[s->nnodes++];
    memset(n, 0, sizeof *n);
    snprintf(n->name, sizeof n->name, "%s", node);
    snprintf(n->address, sizeof n->address, "%s", address);
    if (moved)
      reindex(s);
    else if (s->by_name && !index_node(s, s->nnodes - 1))
      unindex(s);
  }
  bool first = !n->services;
  bool same = !changed && n->services &&
              cJSON_Compare(n->services, services, 1) && n->checks &&
              cJSON_Compare(n->checks, checks, 1);
  if (same) {
    cJSON_Delete(services);
    cJSON_Delete(checks);
  } else {
    if (first)
      emit(s, FCON_EV_JOIN, n, NULL, NULL, NULL, NULL);
    emit_diff(s, n, n->services, n->checks, services, checks);
    cJSON_Delete(n->services);
    cJSON_Delete(n->checks);
    n->services = services;
    n->checks = checks;
    n->index = ++s->index;
    emit(s, FCON_EV_SYNC, n, NULL, NULL, NULL, NULL);
    pthread_cond_broadcast(&s->cv);
  }
  pthread_mutex_unlock(&s->mu);
}

void fcon_server_drop_node(fcon_server *s, const char *node) {
  pthread_mutex_lock(&s->mu);
  fcon_node *n = find_node(s, node);
  if (n) {
    emit_diff(s, n, n->services, n->checks, NULL, NULL);
    emit(s, FCON_EV_LEAVE, n, NULL, NULL, NULL, NULL);
    cJSON_Delete(n->services);
    cJSON_Delete(n->checks);
    *n = s->nodes[--s->nnodes];
    reindex(s);
    s->index++;
    pthread_cond_broadcast(&s->cv);
  }
  pthread_mutex_unlock(&s->mu);
}

uint64_t fcon_server_index(fcon_server *s) {
  pthread_mutex_lock(&s->mu);
  uint64_t i = s->index;
  pthread_mutex_unlock(&s->mu);
  return i;
}

static cJSON *node_json(const fcon_server *s, const fcon_node *n) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "ID", "");
  cJSON_AddStringToObject(o, "Node", n->name);
  cJSON_AddStringToObject(o, "Address", n->address);
  cJSON_AddStringToObject(o, "Datacenter", s->dc);
  cJSON *ta = cJSON_AddObjectToObject(o, "TaggedAddresses");
  cJSON_AddStringToObject(ta, "lan", n->address);
  cJSON_AddStringToObject(ta, "wan", n->address);
  cJSON_AddObjectToObject(o, "Meta");
  cJSON_AddNumberToObject(o, "CreateIndex", (double)n->index);
  cJSON_AddNumberToObject(o, "ModifyIndex", (double)n->index);
  return o;
}

static bool has_tag(const cJSON *svc, const char *tag) {
  const cJSON *t;
  cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(svc, "Tags")) {
    if (cJSON_IsString(t) && !strcmp(t->valuestring, tag))
      return true;
  }
  return false;
}

struct tag_ctx {
  const cJSON *svc;
  bool ok;
};

static int tag_each(void *u, const char *key, const char *value) {
  struct tag_ctx *c = u;
  if (!strcmp(key, "tag") && value && !has_tag(c->svc, value)) {
    c->ok = false;
    return 1;
  }
  return 0;
}

static bool tag_filter_ok(const ecsb_httpd_req *req, const cJSON *svc) {
  struct tag_ctx c = {svc, true};
  ecsb_httpd_req_query_each(req, tag_each, &c);
  return c.ok;
}

static cJSON *serf_check(const fcon_node *n) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "Node", n->name);
  cJSON_AddStringToObject(o, "CheckID", "serfHealth");
  cJSON_AddStringToObject(o, "Name", "Serf Health Status");
  cJSON_AddStringToObject(o, "Status", "passing");
  cJSON_AddStringToObject(o, "Notes", "");
  cJSON_AddStringToObject(o, "Output", "Agent alive and reachable");
  cJSON_AddStringToObject(o, "ServiceID", "");
  cJSON_AddStringToObject(o, "ServiceName", "");
  cJSON_AddArrayToObject(o, "ServiceTags");
  cJSON_AddStringToObject(o, "Type", "");
  cJSON_AddObjectToObject(o, "Definition");
  cJSON_AddNumberToObject(o, "CreateIndex", (double)n->index);
  cJSON_AddNumberToObject(o, "ModifyIndex", (double)n->index);
  return o;
}

static cJSON *indexed(const cJSON *item, uint64_t index) {
  cJSON *o = cJSON_Duplicate(item, 1);
  cJSON_DeleteItemFromObjectCaseSensitive(o, "CreateIndex");
  cJSON_DeleteItemFromObjectCaseSensitive(o, "ModifyIndex");
  cJSON_AddNumberToObject(o, "CreateIndex", (double)index);
  cJSON_AddNumberToObject(o, "ModifyIndex", (double)index);
  return o;
}

/* Whether svc answers /v1/health/service/name (connect: false) or
 * /v1/health/connect/name (connect: true, the proxies for name). */
static bool serves(const cJSON *svc, const char *name, bool connect) {
  if (!connect)
    return !strcmp(jstr(svc, "Service"), name);
  const cJSON *p = cJSON_GetObjectItemCaseSensitive(svc, "Proxy");
  return !strcmp(jstr(svc, "Kind"), "connect-proxy") &&
         !strcmp(jstr(p, "DestinationServiceName"), name);
}

static cJSON *health_service(fcon_server *s, const ecsb_httpd_req *req,
                             const char *name, bool connect) {
  bool passing = ecsb_httpd_req_query(req, "passing", NULL);
  const char *pv = NULL;
  if (passing && ecsb_httpd_req_query(req, "passing", &pv) && pv &&
      (!strcmp(pv, "false") || !strcmp(pv, "0")))
    passing = false;
  cJSON *out = cJSON_CreateArray();
  for (size_t i = 0; i < s->nnodes; i++) {
    fcon_node *n = &s->nodes[i];
    const cJSON *svc;
    cJSON_ArrayForEach(svc, n->services) {
      if (!serves(svc, name, connect) || !tag_filter_ok(req, svc))
        continue;
      cJSON *checks = cJSON_CreateArray();
      cJSON_AddItemToArray(checks, serf_check(n));
      bool ok = true;
      const cJSON *c;
      cJSON_ArrayForEach(c, n->checks) {
        if (strcmp(jstr(c, "ServiceID"), jstr(svc, "ID")))
          continue;
        if (strcmp(jstr(c, "Status"), "passing"))
          ok = false;
        cJSON_AddItemToArray(checks, indexed(c, n->index));
      }
      if (passing && !ok) {
        cJSON_Delete(checks);
        continue;
      }
      cJSON *e = cJSON_CreateObject();
      cJSON_AddItemToObject(e, "Node", node_json(s, n));
      cJSON_AddItemToObject(e, "Service", indexed(svc, n->index));
      cJSON_AddItemToObject(e, "Checks", checks);
      cJSON_AddItemToArray(out, e);
    }
  }
  return out;
}

/* Checks of a service (name) or in a state; both NULL-able filters. */
static cJSON *health_checks(fcon_server *s, const char *service,
                            const char *state) {
  cJSON *out = cJSON_CreateArray();
  for (size_t i = 0; i < s->nnodes; i++) {
    fcon_node *n = &s->nodes[i];
    if (!service) {
      cJSON *sc = serf_check(n);
      if (!state || !strcmp(state, "any") || !strcmp(state, "passing"))
        cJSON_AddItemToArray(out, sc);
      else
        cJSON_Delete(sc);
    }
    const cJSON *c;
    cJSON_ArrayForEach(c, n->checks) {
      if (service && strcmp(jstr(c, "ServiceName"), service))
        continue;
      if (state && strcmp(state, "any") && strcmp(jstr(c, "Status"), state))
        continue;
      cJSON_AddItemToArray(out, indexed(c, n->index));
    }
  }
  return out;
}

static cJSON *catalog_services(fcon_server *s) {
  cJSON *out = cJSON_CreateObject();
  cJSON_AddArrayToObject(out, "consul");
  for (size_t i = 0; i < s->nnodes; i++) {
    const cJSON *svc;
    cJSON_ArrayForEach(svc, s->nodes[i].services) {
      const char *name = jstr(svc, "Service");
      cJSON *tags = cJSON_GetObjectItemCaseSensitive(out, name);
      if (!tags)
        tags = cJSON_AddArrayToObject(out, name);
      const cJSON *t;
      cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(svc, "Tags")) {
        bool dup = false;
        const cJSON *x;
        cJSON_ArrayForEach(x, tags) dup |= cJSON_Compare(x, t, 1);
        if (!dup)
          cJSON_AddItemToArray(tags, cJSON_Duplicate(t, 1));
      }
    }
  }
  return out;
}

static void copy_as(cJSON *dst, const char *name, const cJSON *svc,
                    const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(svc, key);
  cJSON_AddItemToObject(dst, name,
                        v ? cJSON_Duplicate(v, 1) : cJSON_CreateObject());
}

static cJSON *catalog_service(fcon_server *s, const ecsb_httpd_req *req,
                              const char *name) {
  cJSON *out = cJSON_CreateArray();
  for (size_t i = 0; i < s->nnodes; i++) {
    fcon_node *n = &s->nodes[i];
    const cJSON *svc;
    cJSON_ArrayForEach(svc, n->services) {
      if (strcmp(jstr(svc, "Service"), name) || !tag_filter_ok(req, svc))
        continue;
      cJSON *e = node_json(s, n);
      cJSON_DeleteItemFromObject(e, "Meta");
      cJSON_AddObjectToObject(e, "NodeMeta");
      cJSON_AddStringToObject(e, "ServiceKind", jstr(svc, "Kind"));
      cJSON_AddStringToObject(e, "ServiceID", jstr(svc, "ID"));
      cJSON_AddStringToObject(e, "ServiceName", jstr(svc, "Service"));
      copy_as(e, "ServiceTags", svc, "Tags");
      cJSON_AddStringToObject(e, "ServiceAddress", jstr(svc, "Address"));
      copy_as(e, "ServiceWeights", svc, "Weights");
      copy_as(e, "ServiceMeta", svc, "Meta");
      copy_as(e, "ServicePort", svc, "Port");
      cJSON_AddBoolToObject(e, "ServiceEnableTagOverride",
                            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
                                svc, "EnableTagOverride")));
      copy_as(e, "ServiceProxy", svc, "Proxy");
      cJSON_AddObjectToObject(e, "ServiceConnect");
      cJSON_AddItemToArray(out, e);
    }
  }
  return out;
}

static void leader_addr(const fcon_server *s, char *buf, size_t cap) {
  snprintf(buf, cap, "%s:8300", ecsb_httpd_bind_ip(s->httpd));
}

/* Path after prefix, or NULL when path does not start with it. */
static const char *after(const char *path, const char *prefix) {
  size_t n = strlen(prefix);
  return strncmp(path, prefix, n) ? NULL : path + n;
}

static void wait_index(fcon_server *s, const ecsb_httpd_req *req,
                       const atomic_bool *cancel) {
  uint64_t index;
  int64_t wait_ms;
  fcon_blocking_params(req, &index, &wait_ms);
  if (!index)
    return;
  struct timespec ts;
  fcon_deadline(wait_ms, &ts);
  while (!s->stopping && s->index <= index &&
         !(cancel && atomic_load(cancel))) {
    if (pthread_cond_timedwait(&s->cv, &s->mu, &ts))
      break;
  }
}

void fcon_server_wake(fcon_server *s) {
  pthread_mutex_lock(&s->mu);
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
}

void fcon_server_handle(fcon_server *s, const ecsb_httpd_req *req,
                        ecsb_httpd_resp *resp, const atomic_bool *cancel) {
  const char *p = req->path, *arg;
  char buf[128];
  bool is_get = !strcmp(req->method, "GET");
  if (fcon_blocking_params_bad(req, resp))
    return;
  if (!strcmp(p, "/v1/status/leader") || !strcmp(p, "/v1/status/peers")) {
    if (!is_get) {
      fcon_reply_405(resp, req->method);
      return;
    }
    leader_addr(s, buf, sizeof buf);
    pthread_mutex_lock(&s->mu);
    bool none = s->no_leader;
    pthread_mutex_unlock(&s->mu);
    if (none)
      buf[0] = 0;
    cJSON *j = strcmp(p, "/v1/status/leader") ? cJSON_CreateArray()
                                              : cJSON_CreateString(buf);
    if (cJSON_IsArray(j) && buf[0])
      cJSON_AddItemToArray(j, cJSON_CreateString(buf));
    {
      fcon_reply_json(resp, 200, j);
      return;
    }
  }
  cJSON *j = NULL;
  bool known = after(p, "/v1/catalog/") || after(p, "/v1/health/");
  if (!known) {
    fcon_reply_404(resp);
    return;
  }
  if (!is_get) {
    fcon_reply_405(resp, req->method);
    return;
  }
  pthread_mutex_lock(&s->mu);
  wait_index(s, req, cancel);
  if (!strcmp(p, "/v1/catalog/services"))
    j = catalog_services(s);
  else if (!strcmp(p, "/v1/catalog/nodes")) {
    j = cJSON_CreateArray();
    for (size_t i = 0; i < s->nnodes; i++)
      cJSON_AddItemToArray(j, node_json(s, &s->nodes[i]));
  } else if ((arg = after(p, "/v1/catalog/service/")) && *arg)
    j = catalog_service(s, req, arg);
  else if ((arg = after(p, "/v1/health/service/")) && *arg)
    j = health_service(s, req, arg, false);
  else if ((arg = after(p, "/v1/health/connect/")) && *arg)
    j = health_service(s, req, arg, true);
  else if ((arg = after(p, "/v1/health/checks/")) && *arg)
    j = health_checks(s, arg, NULL);
  else if ((arg = after(p, "/v1/health/state/")) && *arg) {
    if (strcmp(arg, "any") && strcmp(arg, "passing") &&
        strcmp(arg, "warning") && strcmp(arg, "critical")) {
      pthread_mutex_unlock(&s->mu);
      {
        ecsb_httpd_resp_textf(resp, 400, "Invalid check state");
        return;
      }
    }
    j = health_checks(s, NULL, arg);
  }
  snprintf(buf, sizeof buf, "%llu",
           (unsigned long long)(s->index ? s->index : 1));
  bool leader = !s->no_leader;
  pthread_mutex_unlock(&s->mu);
  if (!j) {
    fcon_reply_404(resp);
    return;
  }
  ecsb_httpd_resp_header(resp, "X-Consul-Index", buf);
  ecsb_httpd_resp_header(resp, "X-Consul-KnownLeader",
                         leader ? "true" : "false");
  ecsb_httpd_resp_header(resp, "X-Consul-LastContact", "0");
  fcon_reply_json(resp, 200, j);
}

/* PUT/DELETE FCON_NODE_SYNC_PREFIX<node>: an agent in another process
 * pushes its node's snapshot or leaves (ecsboot's own, not Consul's). */
static void node_sync(fcon_server *s, const ecsb_httpd_req *req,
                      const char *node, ecsb_httpd_resp *resp) {
  if (!*node || strlen(node) >= FCON_ID_MAX) {
    ecsb_httpd_resp_textf(resp, 400, "bad node name");
    return;
  }
  if (!strcmp(req->method, "DELETE")) {
    fcon_server_drop_node(s, node);
    ecsb_httpd_resp_set(resp, 200, "text/plain", "", 0);
    return;
  }
  if (strcmp(req->method, "PUT")) {
    fcon_reply_405(resp, req->method);
    return;
  }
  cJSON *j = cJSON_ParseWithLength(req->body ? req->body : "", req->body_len);
  const cJSON *addr = cJSON_GetObjectItemCaseSensitive(j, "Address");
  cJSON *svcs = cJSON_DetachItemFromObjectCaseSensitive(j, "Services");
  cJSON *checks = cJSON_DetachItemFromObjectCaseSensitive(j, "Checks");
  if (!cJSON_IsString(addr) || !cJSON_IsArray(svcs) || !cJSON_IsArray(checks)) {
    cJSON_Delete(svcs);
    cJSON_Delete(checks);
    cJSON_Delete(j);
    ecsb_httpd_resp_textf(resp, 400,
                          "Request decode failed: want {\"Address\": string, "
                          "\"Services\": [...], \"Checks\": [...]}");
    return;
  }
  fcon_server_push(s, node, addr->valuestring, svcs, checks, false);
  cJSON_Delete(j);
  ecsb_httpd_resp_set(resp, 200, "text/plain", "", 0);
}

static bool may_block(void *user, const ecsb_httpd_req *req) {
  fcon_server *s = user;
  return fcon_may_block(&s->faults, req);
}

static void handler(void *user, const ecsb_httpd_req *req,
                    ecsb_httpd_resp *resp) {
  fcon_server *s = user;
  if (fcon_faults_apply(&s->faults, req, resp))
    return;
  size_t pl = strlen(FCON_NODE_SYNC_PREFIX);
  if (!strncmp(req->path, FCON_NODE_SYNC_PREFIX, pl)) {
    if (fcon_acl_allow(&s->cfg.acl, req, FCON_ACL_MASTER, NULL, resp))
      node_sync(s, req, req->path + pl, resp);
    return;
  }
  if (!fcon_acl_allow_server_path(&s->cfg.acl, req, resp))
    return;
  fcon_server_handle(s, req, resp, NULL);
}

int fcon_server_fault_latency(fcon_server *s, const char *prefix, int64_t ms,
                              ecsb_err *err) {
  return fcon_faults_latency(&s->faults, prefix, ms, err);
}

int fcon_server_fault_fail(fcon_server *s, const char *prefix, int n,
                           int status, const char *body, ecsb_err *err) {
  return fcon_faults_fail(&s->faults, prefix, n, status, body, err);
}

void fcon_server_fault_no_leader(fcon_server *s, bool on) {
  pthread_mutex_lock(&s->mu);
  s->no_leader = on;
  if (s->cfg.on_event) {
    fcon_event ev = {.kind = FCON_EV_FAULT,
                     .node = "server",
                     .detail = on ? "no-leader on" : "no-leader off"};
    s->cfg.on_event(s->cfg.event_user, &ev);
  }
  pthread_mutex_unlock(&s->mu);
}

void fcon_server_faults_clear(fcon_server *s) {
  fcon_faults_clear(&s->faults);
  pthread_mutex_lock(&s->mu);
  s->no_leader = false;
  pthread_mutex_unlock(&s->mu);
}

/* Opens the HTTP API on ip:port with the server's configuration: at its
 * start and again when it comes back up (fcon_server_up). */
static int listen_on(fcon_server *s, const char *ip, uint16_t port,
                     ecsb_err *err) {
  ecsb_httpd_opts o;
  ecsb_httpd_opts_default(&o);
  o.bind_ip = ip;
  o.port = port;
  o.threads = s->cfg.threads;
  o.conn_limit = s->cfg.conn_limit; /* 0: ecsb_httpd_start's default */
  o.may_block = may_block;
  o.served = s->cfg.served;
  o.served_user = s->cfg.served_user;
  return ecsb_httpd_start(&o, handler, s, &s->httpd, err);
}

int fcon_server_start(const fcon_server_config *c, fcon_server **out,
                      ecsb_err *err) {
  *out = NULL;
  fcon_server *s = calloc(1, sizeof *s);
  if (!s)
    return ecsb_err_set(err, ECSB_ENOMEM, "fcon server: out of memory");
  fcon_server_config_default(&s->cfg);
  if (c)
    s->cfg = *c;
  snprintf(s->dc, sizeof s->dc, "%s",
           s->cfg.datacenter ? s->cfg.datacenter : "dc1");
  pthread_mutex_init(&s->mu, NULL);
  pthread_mutex_init(&s->life, NULL);
  fcon_faults_init(&s->faults, s->cfg.on_event, s->cfg.event_user, "server");
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&s->cv, &ca);
  pthread_condattr_destroy(&ca);
  int rc = listen_on(s, s->cfg.bind_ip ? s->cfg.bind_ip : "127.0.0.1",
                     s->cfg.port, err);
  if (rc < 0) {
    ecsb_err_prefix(err, "fcon server");
    fcon_server_stop(s);
    return rc;
  }
  snprintf(s->ip, sizeof s->ip, "%s", ecsb_httpd_bind_ip(s->httpd));
  s->port = ecsb_httpd_port(s->httpd);
  *out = s;
  return 0;
}

uint16_t fcon_server_port(const fcon_server *s) {
  return s->port;
}

const char *fcon_server_ip(const fcon_server *s) {
  return s->ip;
}

int fcon_server_down(fcon_server *s, ecsb_err *err) {
  (void)err;
  pthread_mutex_lock(&s->life);
  ecsb_httpd *h = s->httpd;
  s->httpd = NULL;
  if (h)
    fcon_server_wake(s); /* blocked queries end so the listener can stop */
  ecsb_httpd_stop(h);
  pthread_mutex_unlock(&s->life);
  return 0;
}

int fcon_server_up(fcon_server *s, ecsb_err *err) {
  pthread_mutex_lock(&s->life);
  int rc = 0;
  if (!s->httpd) {
    rc = listen_on(s, s->ip, s->port, err);
    if (rc < 0)
      ecsb_err_prefix(err, "fcon server");
  }
  pthread_mutex_unlock(&s->life);
  return rc < 0 ? rc : 0;
}

/* An instance passes when every check of its node and of itself passes:
 * what /v1/health/service/<name>?passing applies. */
static bool instance_passing(const fcon_node *n, const char *id) {
  const cJSON *c;
  cJSON_ArrayForEach(c, n->checks) {
    const char *sid = jstr(c, "ServiceID");
    if ((!*sid || !strcmp(sid, id)) && strcmp(jstr(c, "Status"), "passing"))
      return false;
  }
  return true;
}

int fcon_server_instances(fcon_server *s, const char *address,
                          fcon_instance **out, size_t *n_out, ecsb_err *err) {
  *out = NULL;
  *n_out = 0;
  pthread_mutex_lock(&s->mu);
  size_t cap = 0;
  for (size_t i = first_at(s, address); i != NO_NODE; i = next_at(s, i))
    cap += (size_t)cJSON_GetArraySize(s->nodes[i].services);
  fcon_instance *v = cap ? calloc(cap, sizeof *v) : NULL;
  size_t k = 0;
  bool oom = cap && !v;
  for (size_t i = first_at(s, address); i != NO_NODE && !oom;
       i = next_at(s, i)) {
    const fcon_node *n = &s->nodes[i];
    const cJSON *svc;
    cJSON_ArrayForEach(svc, n->services) {
      fcon_instance *in = &v[k++];
      const cJSON *px = cJSON_GetObjectItemCaseSensitive(svc, "Proxy");
      in->id = strdup(jstr(svc, "ID"));
      in->name = strdup(jstr(svc, "Service"));
      in->kind = strdup(jstr(svc, "Kind"));
      in->proxy_dest = strdup(jstr(px, "DestinationServiceID"));
      in->passing = instance_passing(n, jstr(svc, "ID"));
      oom = oom || !in->id || !in->name || !in->kind || !in->proxy_dest;
    }
  }
  pthread_mutex_unlock(&s->mu);
  if (oom) {
    fcon_instances_free(v, k);
    return ecsb_err_set(err, ECSB_ENOMEM, "fcon server: out of memory");
  }
  *out = v;
  *n_out = k;
  return 0;
}

void fcon_instances_free(fcon_instance *v, size_t n) {
  for (size_t i = 0; i < n && v; i++) {
    free(v[i].id);
    free(v[i].name);
    free(v[i].kind);
    free(v[i].proxy_dest);
  }
  free(v);
}

void fcon_server_stop(fcon_server *s) {
  if (!s)
    return;
  pthread_mutex_lock(&s->mu);
  s->stopping = true;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  pthread_mutex_lock(&s->life);
  ecsb_httpd_stop(s->httpd);
  s->httpd = NULL;
  pthread_mutex_unlock(&s->life);
  for (size_t i = 0; i < s->nnodes; i++) {
    cJSON_Delete(s->nodes[i].services);
    cJSON_Delete(s->nodes[i].checks);
  }
  free(s->nodes);
  unindex(s);
  fcon_faults_destroy(&s->faults);
  pthread_mutex_destroy(&s->mu);
  pthread_mutex_destroy(&s->life);
  pthread_cond_destroy(&s->cv);
  free(s);
}
