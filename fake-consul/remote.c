/*
 * remote.c - an agent whose server lives in another process (the
 * consul-client stand-in of a simulated task joins the runner's server):
 * join by address, the snapshot pushed over HTTP (FCON_NODE_SYNC_PREFIX),
 * leave, and catalog/health/status requests proxied to the server.
 *
 * Pushes never happen under the agent's lock: fcon_agent_sync_locked only
 * leaves the newest snapshot in push_body, and the check runner's thread
 * sends it (fcon_remote_pump_locked). A failed push is kept (unless a newer
 * one replaced it) and retried every REMOTE_RETRY_MS, as a Consul agent
 * keeps trying its anti-entropy sync.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_internal.h"
#include "ecsb/clock.h"
#include "ecsb/http.h"

#define REMOTE_RETRY_MS 100
#define REMOTE_TIMEOUT_MS 2000
/* Proxied blocking queries wait at most this long (Consul allows 10 min;
 * the stand-in must stop promptly when its task stops). */
#define REMOTE_MAX_WAIT_MS 60000

static ecsb_http_client *client(long timeout_ms) {
  ecsb_http_opts o;
  ecsb_http_opts_default(&o);
  o.max_retries = 0;
  o.connect_timeout_ms = 1000;
  o.timeout_ms = timeout_ms;
  o.max_body = 8 * 1024 * 1024;
  return ecsb_http_client_new(&o, NULL);
}

void fcon_remote_queue_locked(fcon_agent *a, cJSON *services, cJSON *checks) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "Address", a->ip);
  cJSON_AddItemToObject(o, "Services", services);
  cJSON_AddItemToObject(o, "Checks", checks);
  char *body = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  if (!body)
    return; /* stays dirty: the next change or tick tries again */
  free(a->push_body);
  a->push_body = body;
  a->push_at_ms = 0;
  a->dirty = false;
  fcon_agent_kick_locked(a, 0);
}

bool fcon_remote_pump_locked(fcon_agent *a) {
  if (!a->push_body || !a->joined || !a->remote[0] ||
      fcon_agent_now(a) < a->push_at_ms)
    return false;
  char *body = a->push_body;
  a->push_body = NULL;
  char url[512];
  snprintf(url, sizeof url, "http://%s%s%s", a->remote, FCON_NODE_SYNC_PREFIX,
           a->node);
  pthread_mutex_unlock(&a->mu);
  ecsb_http_client *c = client(REMOTE_TIMEOUT_MS);
  ecsb_http_response r = {0};
  ecsb_http_request rq = {
      .method = "PUT", .url = url, .body = body, .body_len = strlen(body)};
  bool ok = c && ecsb_http_do(c, &rq, &r, NULL) == 0 && r.status == 200;
  ecsb_http_response_clear(&r);
  ecsb_http_client_free(c);
  pthread_mutex_lock(&a->mu);
  if (ok || a->push_body) {
    free(body); /* sent, or a newer snapshot supersedes it */
  } else {
    a->push_body = body;
    a->push_at_ms = fcon_agent_now(a) + REMOTE_RETRY_MS;
  }
  return true;
}

int fcon_agent_join_addr(fcon_agent *a, const char *addr, ecsb_err *err) {
  if (!a || !addr || !*addr || strlen(addr) >= sizeof a->remote - 8)
    return ecsb_err_set(err, ECSB_EINVAL, "join: bad address");
  fcon_agent_slow_join(a);
  char hostport[96];
  /* Consul joins on the serf port; here the server's HTTP port, 8500 when
   * the address names none. */
  snprintf(hostport, sizeof hostport, strchr(addr, ':') ? "%s" : "%s:8500",
           addr);
  char url[160];
  snprintf(url, sizeof url, "http://%s/v1/status/leader", hostport);
  ecsb_http_client *c = client(REMOTE_TIMEOUT_MS);
  ecsb_http_response r = {0};
  ecsb_err e = {0};
  int rc = c ? ecsb_http_get(c, url, NULL, 0, &r, &e) : ECSB_ENOMEM;
  long status = r.status;
  ecsb_http_response_clear(&r);
  ecsb_http_client_free(c);
  if (rc || status != 200)
    return ecsb_err_set(err, ECSB_ETRANSPORT,
                        "1 error occurred:\n\t* Failed to join %s: dial tcp "
                        "%s: connect: connection refused",
                        addr, hostport);
  pthread_mutex_lock(&a->mu);
  bool was = a->joined;
  a->server = NULL;
  snprintf(a->remote, sizeof a->remote, "%s", hostport);
  a->joined = true;
  if (!was)
    fcon_agent_emit_locked(a, FCON_EV_JOIN, NULL, NULL, NULL);
  fcon_agent_sync_locked(a);
  pthread_mutex_unlock(&a->mu);
  return 0;
}

void fcon_remote_leave(fcon_agent *a, const char *remote) {
  char url[512];
  snprintf(url, sizeof url, "http://%s%s%s", remote, FCON_NODE_SYNC_PREFIX,
           a->node);
  ecsb_http_client *c = client(REMOTE_TIMEOUT_MS);
  ecsb_http_response r = {0};
  ecsb_http_request rq = {.method = "DELETE", .url = url};
  if (c)
    ecsb_http_do(c, &rq, &r, NULL);
  ecsb_http_response_clear(&r);
  ecsb_http_client_free(c);
}

static int64_t wait_ms(const ecsb_httpd_req *req) {
  uint64_t index = 0;
  int64_t w = 0;
  fcon_blocking_params(req, &index, &w);
  if (!index)
    return 0;
  return w < REMOTE_MAX_WAIT_MS ? w : REMOTE_MAX_WAIT_MS;
}

void fcon_remote_proxy(fcon_agent *a, const char *remote,
                       const ecsb_httpd_req *req, ecsb_httpd_resp *resp) {
  char url[2048];
  snprintf(url, sizeof url, "http://%s%s", remote, req->raw_uri);
  int64_t w = wait_ms(req);
  ecsb_http_client *c = client((long)(w + REMOTE_TIMEOUT_MS));
  ecsb_http_response r = {0};
  ecsb_http_request rq = {.method = req->method,
                          .url = url,
                          .body = req->body,
                          .body_len = req->body_len};
  (void)a;
  if (!c || ecsb_http_do(c, &rq, &r, NULL) != 0) {
    ecsb_http_client_free(c);
    ecsb_httpd_resp_textf(resp, 500,
                          "rpc error making call: dial tcp %s: connect: "
                          "connection refused",
                          remote);
    return;
  }
  static const char *const pass[] = {"X-Consul-Index", "X-Consul-KnownLeader",
                                     "X-Consul-LastContact"};
  for (size_t i = 0; i < sizeof pass / sizeof pass[0]; i++) {
    const char *v = ecsb_http_response_header(&r, pass[i]);
    if (v)
      ecsb_httpd_resp_header(resp, pass[i], v);
  }
  const char *ct = ecsb_http_response_header(&r, "Content-Type");
  ecsb_httpd_resp_set(resp, (int)r.status, ct ? ct : "application/json",
                      r.body ? r.body : "", r.body_len);
  ecsb_http_response_clear(&r);
  ecsb_http_client_free(c);
}
