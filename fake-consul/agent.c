/*
 * agent.c - a fake Consul agent's state and lifecycle: local services and
 * checks, join/leave, and the sync of a whole-node snapshot to the server.
 *
 * Every change goes through fcon_agent_changed_locked, which bumps the local
 * index (waking ?hash= waiters and the runner) and marks the node dirty.
 * With sync_delay_ms 0 a joined agent pushes at once, inside the call that
 * made the change; otherwise the check runner pushes once the delay has
 * passed. The agent never holds the server's lock itself: it calls the
 * server's push while holding its own, which fixes the lock order
 * agent -> server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent_internal.h"
#include "ecsb/clock.h"

void fcon_agent_config_default(fcon_agent_config *c) {
  memset(c, 0, sizeof *c);
  c->bind_ip = "127.0.0.1";
  c->version = "1.15.11";
  c->time_scale = 1.0;
}

void fcon_agent_emit_locked(fcon_agent *a, fcon_event_kind k,
                            const char *service_id, const char *check_id,
                            const char *status) {
  if (!a->cfg.on_event)
    return;
  fcon_event ev = {.kind = k,
                   .node = a->node,
                   .service_id = service_id,
                   .check_id = check_id,
                   .status = status};
  a->cfg.on_event(a->cfg.event_user, &ev);
}

void fcon_agent_sync_locked(fcon_agent *a) {
  if (!a->joined || (!a->server && !a->remote[0]))
    return;
  cJSON *svcs = cJSON_CreateArray();
  cJSON *checks = cJSON_CreateArray();
  const cJSON *s;
  cJSON_ArrayForEach(s, a->services) {
    cJSON_AddItemToArray(svcs, cJSON_Duplicate(s, 1));
  }
  for (size_t i = 0; i < a->nchecks; i++) {
    const fcon_check *c = a->checks[i];
    const cJSON *svc =
        cJSON_GetObjectItemCaseSensitive(a->services, c->service_id);
    cJSON_AddItemToArray(
        checks,
        fcon_check_json(c, a->node,
                        cJSON_GetStringValue(
                            cJSON_GetObjectItemCaseSensitive(svc, "Service")),
                        cJSON_GetObjectItemCaseSensitive(svc, "Tags")));
  }
  if (!a->server) {
    fcon_remote_queue_locked(a, svcs, checks);
    return;
  }
  /* dirty: a change since the last push, which the server has not seen */
  fcon_server_push(a->server, a->node, a->ip, svcs, checks, a->dirty);
  a->dirty = false;
}

void fcon_agent_kick_locked(fcon_agent *a, int64_t due_ms) {
  if (due_ms < a->runner_due_ms) {
    a->runner_due_ms = 0; /* one wake-up is enough */
    pthread_cond_signal(&a->runner_cv);
  }
}

void fcon_agent_changed_locked(fcon_agent *a) {
  a->local_index++;
  pthread_cond_broadcast(&a->cv);
  if (!a->dirty) {
    a->dirty = true;
    a->dirty_at_ms = fcon_agent_now(a);
  }
  if (a->cfg.sync_delay_ms <= 0)
    fcon_agent_sync_locked(a);
  else if (a->dirty && a->joined)
    fcon_agent_kick_locked(a, a->dirty_at_ms + a->cfg.sync_delay_ms);
  /* An alias check follows every status of its target: look again now. */
  for (size_t i = 0; i < a->nchecks; i++)
    if (a->checks[i]->type == FCON_CHECK_ALIAS) {
      fcon_agent_kick_locked(a, 0);
      break;
    }
}

void fcon_agent_services_changed_locked(fcon_agent *a) {
  free(a->services_text);
  a->services_text = NULL;
}

int64_t fcon_agent_now(const fcon_agent *a) {
  return fcon_agent_now_us(a) / 1000;
}

int64_t fcon_agent_now_us(const fcon_agent *a) {
  return a->cfg.clock_us ? a->cfg.clock_us(a->cfg.clock_ctx) : ecsb_mono_us();
}

fcon_check *fcon_agent_find_check_locked(fcon_agent *a, const char *id) {
  for (size_t i = 0; i < a->nchecks; i++)
    if (!strcmp(a->checks[i]->id, id))
      return a->checks[i];
  return NULL;
}

int fcon_agent_put_check_locked(fcon_agent *a, fcon_check *c) {
  int64_t now = fcon_agent_now(a);
  c->next_run_ms = now;
  if (a->cfg.check_stagger_seed && c->interval_ms > 0 &&
      (c->type == FCON_CHECK_HTTP || c->type == FCON_CHECK_TCP))
    c->next_run_ms +=
        (int64_t)ecsb_rng_below(&a->stagger, (uint64_t)c->interval_ms);
  if (c->type == FCON_CHECK_TTL)
    c->ttl_deadline_ms = now + c->ttl_ms;
  if (!strcmp(c->status, "critical"))
    c->critical_since_ms = now;
  fcon_agent_kick_locked(a, fcon_check_next_due(c));
  for (size_t i = 0; i < a->nchecks; i++) {
    if (!strcmp(a->checks[i]->id, c->id)) {
      fcon_check_free(a->checks[i]);
      a->checks[i] = c;
      return 0;
    }
  }
  fcon_check **n = realloc(a->checks, (a->nchecks + 1) * sizeof *n);
  if (!n) {
    fcon_check_free(c);
    return ECSB_ENOMEM;
  }
  a->checks = n;
  a->checks[a->nchecks++] = c;
  return 0;
}

bool fcon_agent_del_check_locked(fcon_agent *a, const char *id) {
  for (size_t i = 0; i < a->nchecks; i++) {
    if (strcmp(a->checks[i]->id, id))
      continue;
    fcon_check_free(a->checks[i]);
    memmove(&a->checks[i], &a->checks[i + 1],
            (a->nchecks - i - 1) * sizeof *a->checks);
    a->nchecks--;
    return true;
  }
  return false;
}

bool fcon_agent_del_service_locked(fcon_agent *a, const char *id) {
  if (!cJSON_GetObjectItemCaseSensitive(a->services, id))
    return false;
  char sid[FCON_ID_MAX];
  snprintf(sid, sizeof sid, "%s", id);
  cJSON_DeleteItemFromObjectCaseSensitive(a->services, sid);
  fcon_agent_services_changed_locked(a);
  for (size_t i = a->nchecks; i-- > 0;)
    if (!strcmp(a->checks[i]->service_id, sid))
      fcon_agent_del_check_locked(a, a->checks[i]->id);
  fcon_agent_emit_locked(a, FCON_EV_DEREGISTER, sid, NULL, NULL);
  return true;
}

void fcon_agent_set_status_locked(fcon_agent *a, fcon_check *c,
                                  const char *status, const char *output) {
  bool changed = strcmp(c->status, status) != 0;
  if (output && strcmp(c->output ? c->output : "", output)) {
    char *o = strdup(output);
    if (o) {
      free(c->output);
      c->output = o;
      changed = true;
    }
  }
  if (strcmp(c->status, status)) {
    snprintf(c->status, sizeof c->status, "%s", status);
    c->critical_since_ms = strcmp(status, "critical") ? 0 : fcon_agent_now(a);
    fcon_agent_kick_locked(a, fcon_check_next_due(c));
    fcon_agent_emit_locked(a, FCON_EV_CHECK_STATUS, c->service_id, c->id,
                           status);
  }
  if (changed)
    fcon_agent_changed_locked(a);
}

int fcon_agent_join_locked(fcon_agent *a, fcon_server *s) {
  if (a->joined && a->server != s && a->server)
    fcon_server_drop_node(a->server, a->node);
  a->server = s;
  a->remote[0] = '\0';
  bool was = a->joined;
  a->joined = true;
  if (!was)
    fcon_agent_emit_locked(a, FCON_EV_JOIN, NULL, NULL, NULL);
  fcon_agent_sync_locked(a);
  return 0;
}

void fcon_agent_slow_join(fcon_agent *a) {
  pthread_mutex_lock(&a->mu);
  int64_t ms = a->slow_join_ms;
  if (ms > 0 && a->cfg.on_event) {
    fcon_event ev = {
        .kind = FCON_EV_FAULT, .node = a->node, .detail = "slow-join"};
    a->cfg.on_event(a->cfg.event_user, &ev);
  }
  pthread_mutex_unlock(&a->mu);
  if (ms > 0)
    ecsb_sleep_ms(ms, NULL);
}

void fcon_agent_fault_slow_join(fcon_agent *a, int64_t ms) {
  pthread_mutex_lock(&a->mu);
  a->slow_join_ms = ms;
  pthread_mutex_unlock(&a->mu);
}

int fcon_agent_fault_latency(fcon_agent *a, const char *prefix, int64_t ms,
                             ecsb_err *err) {
  return fcon_faults_latency(&a->faults, prefix, ms, err);
}

int fcon_agent_fault_fail(fcon_agent *a, const char *prefix, int n, int status,
                          const char *body, ecsb_err *err) {
  return fcon_faults_fail(&a->faults, prefix, n, status, body, err);
}

void fcon_agent_faults_clear(fcon_agent *a) {
  fcon_faults_clear(&a->faults);
  fcon_agent_fault_slow_join(a, 0);
}

/* Ends blocked queries on this agent (its own ?hash= waits and those it
 * proxies to the server) so its listener can stop. */
static void cancel_blocking(fcon_agent *a) {
  atomic_store(&a->cancel, true);
  pthread_mutex_lock(&a->mu);
  pthread_cond_broadcast(&a->cv);
  fcon_server *s = a->server;
  pthread_mutex_unlock(&a->mu);
  if (s)
    fcon_server_wake(s);
}

static void emit_fault(fcon_agent *a, const char *detail) {
  pthread_mutex_lock(&a->mu);
  if (a->cfg.on_event) {
    fcon_event ev = {.kind = FCON_EV_FAULT, .node = a->node, .detail = detail};
    a->cfg.on_event(a->cfg.event_user, &ev);
  }
  pthread_mutex_unlock(&a->mu);
}

int fcon_agent_down(fcon_agent *a, ecsb_err *err) {
  (void)err;
  pthread_mutex_lock(&a->life);
  ecsb_httpd *h = a->httpd;
  a->httpd = NULL;
  if (h)
    cancel_blocking(a);
  ecsb_httpd_stop(h);
  atomic_store(&a->cancel, false);
  pthread_mutex_unlock(&a->life);
  if (h)
    emit_fault(a, "agent-down");
  return 0;
}

static int listen_on(fcon_agent *a, uint16_t port, ecsb_err *err) {
  ecsb_httpd_opts o;
  ecsb_httpd_opts_default(&o);
  o.bind_ip = a->ip;
  o.port = port;
  o.threads = a->cfg.threads;
  o.may_block = fcon_agent_may_block;
  int rc = ecsb_httpd_start(&o, fcon_agent_handle, a, &a->httpd, err);
  if (rc < 0)
    return ecsb_err_prefix(err, "fcon agent %s", a->node);
  a->port = ecsb_httpd_port(a->httpd);
  a->listened = true;
  return 0;
}

int fcon_agent_up(fcon_agent *a, ecsb_err *err) {
  pthread_mutex_lock(&a->life);
  /* an agent started down opening for the first time is no fault */
  bool reopened = !a->httpd && a->listened;
  int rc = a->httpd ? 0 : listen_on(a, a->port, err);
  pthread_mutex_unlock(&a->life);
  if (rc == 0 && reopened)
    emit_fault(a, "agent-up");
  return rc;
}

int fcon_agent_join(fcon_agent *a, fcon_server *s, ecsb_err *err) {
  if (!a || !s)
    return ecsb_err_set(err, ECSB_EINVAL, "fcon_agent_join: NULL argument");
  fcon_agent_slow_join(a);
  pthread_mutex_lock(&a->mu);
  int rc = fcon_agent_join_locked(a, s);
  pthread_mutex_unlock(&a->mu);
  return rc;
}

void fcon_agent_leave(fcon_agent *a) {
  char remote[sizeof a->remote] = "";
  pthread_mutex_lock(&a->mu);
  if (a->joined && (a->server || a->remote[0])) {
    if (a->server)
      fcon_server_drop_node(a->server, a->node);
    snprintf(remote, sizeof remote, "%s", a->remote);
    a->remote[0] = '\0';
    free(a->push_body);
    a->push_body = NULL;
    a->joined = false;
    fcon_agent_emit_locked(a, FCON_EV_LEAVE, NULL, NULL, NULL);
  }
  pthread_mutex_unlock(&a->mu);
  if (remote[0])
    fcon_remote_leave(a, remote);
}

bool fcon_agent_joined(fcon_agent *a) {
  pthread_mutex_lock(&a->mu);
  bool j = a->joined;
  pthread_mutex_unlock(&a->mu);
  return j;
}

int fcon_agent_check_status(fcon_agent *a, const char *check_id, char *buf,
                            size_t cap, ecsb_err *err) {
  pthread_mutex_lock(&a->mu);
  fcon_check *c = fcon_agent_find_check_locked(a, check_id);
  if (c)
    snprintf(buf, cap, "%s", c->status);
  pthread_mutex_unlock(&a->mu);
  return c ? 0
           : ecsb_err_set(err, ECSB_ENOTFOUND, "fcon: unknown check %s",
                          check_id);
}

int fcon_agent_start(const fcon_agent_config *c, fcon_agent **out,
                     ecsb_err *err) {
  *out = NULL;
  fcon_agent *a = calloc(1, sizeof *a);
  if (!a)
    return ecsb_err_set(err, ECSB_ENOMEM, "fcon agent: out of memory");
  fcon_agent_config_default(&a->cfg);
  if (c)
    a->cfg = *c;
  if (a->cfg.time_scale <= 0)
    a->cfg.time_scale = 1.0;
  ecsb_rng_seed(&a->stagger, a->cfg.check_stagger_seed);
  const char *ip = a->cfg.bind_ip ? a->cfg.bind_ip : "127.0.0.1";
  snprintf(a->ip, sizeof a->ip, "%s", ip);
  if (a->cfg.node_name && *a->cfg.node_name)
    snprintf(a->node, sizeof a->node, "%s", a->cfg.node_name);
  else
    snprintf(a->node, sizeof a->node, "node-%s", ip);
  snprintf(a->version, sizeof a->version, "%s",
           a->cfg.version ? a->cfg.version : "1.15.11");
  a->server = a->cfg.server;
  a->services = cJSON_CreateObject();
  pthread_mutex_init(&a->mu, NULL);
  pthread_mutex_init(&a->life, NULL);
  fcon_faults_init(&a->faults, a->cfg.on_event, a->cfg.event_user, a->node);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&a->cv, &ca);
  pthread_cond_init(&a->runner_cv, &ca);
  pthread_condattr_destroy(&ca);
  int rc;
  if (!a->services) {
    rc = ecsb_err_set(err, ECSB_ENOMEM, "fcon agent: out of memory");
    goto fail;
  }
  if (a->cfg.join_on_start && a->server)
    fcon_agent_join_locked(a, a->server);
  a->port = a->cfg.port;
  rc = a->cfg.start_down ? 0 : listen_on(a, a->cfg.port, err);
  if (rc < 0)
    goto fail;
  if (pthread_create(&a->runner, NULL, fcon_runner_main, a)) {
    rc = ecsb_err_set(err, ECSB_EINTERNAL, "fcon agent: pthread_create");
    goto fail;
  }
  a->runner_started = true;
  *out = a;
  return 0;
fail:
  fcon_agent_stop(a);
  return rc;
}

uint16_t fcon_agent_port(const fcon_agent *a) {
  return a->port;
}

const char *fcon_agent_ip(const fcon_agent *a) {
  return a->ip;
}

const char *fcon_agent_node(const fcon_agent *a) {
  return a->node;
}

void fcon_agent_stop(fcon_agent *a) {
  if (!a)
    return;
  pthread_mutex_lock(&a->mu);
  a->stopping = true;
  pthread_cond_broadcast(&a->cv);
  pthread_cond_signal(&a->runner_cv);
  pthread_mutex_unlock(&a->mu);
  ecsb_clock_wake_waiters(); /* the check runner may wait for a release */
  cancel_blocking(a);
  ecsb_httpd_stop(a->httpd);
  a->httpd = NULL;
  if (a->runner_started)
    pthread_join(a->runner, NULL);
  for (size_t i = 0; i < a->nchecks; i++)
    fcon_check_free(a->checks[i]);
  free(a->checks);
  free(a->push_body);
  cJSON_Delete(a->services);
  free(a->services_text);
  fcon_faults_destroy(&a->faults);
  pthread_mutex_destroy(&a->life);
  pthread_mutex_destroy(&a->mu);
  pthread_cond_destroy(&a->cv);
  pthread_cond_destroy(&a->runner_cv);
  free(a);
}
