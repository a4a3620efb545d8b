/*
 * run_consul.c - what the Consul server sees, in the event log: joins,
 * registrations and check changes as the agents sync them (consul.*), and
 * whether each task's service instance is passing (service.passing /
 * service.critical, the T4 milestone).
 *
 * The T4 rule (docs/architecture.md): every check of the service instance and
 * of its sidecar proxy passes, i.e. GET /v1/health/service/<name>?passing
 * returns the instance and /v1/health/service/<name>-sidecar-proxy?passing
 * returns its proxy. A task whose definition has a sidecar-proxy
 * container needs its proxy registered before it can pass.
 *
 * The server's callback runs under the server's lock, so it only records
 * and raises a flag; the loop queries the server afterwards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/clock.h"
#include "run_internal.h"

scn_run_task *scn_run_task_by_ip(scn_runner *r, const char *ip) {
  if (!ip)
    return NULL;
  if (strcmp(ip, r->server_ip) == 0)
    return &r->server;
  int i = scn_netblock_task_index(&r->nb, ip);
  return i >= 0 && (size_t)i < r->n_tasks ? &r->tasks[i] : NULL;
}

void scn_run_consul_event(void *user, const fcon_event *ev) {
  scn_runner *r = user;
  int64_t at = ecsb_mono_us();
  pthread_mutex_lock(&r->mu);
  bool quiet = r->quiet;
  scn_run_task *t = quiet ? NULL : scn_run_task_by_ip(r, ev->address);
  /* The latest change (it may be the one that counts), read under mu,
   * which teardown takes before it frees the task's clock. */
  if (t && t->runner) {
    int64_t tt = scn_run_lag_task_time(t, at);
    int64_t cur = atomic_load(&t->consul_tt);
    while (tt > cur && !atomic_compare_exchange_weak(&t->consul_tt, &cur, tt)) {
    }
  }
  pthread_mutex_unlock(&r->mu);
  if (t && ev->kind == FCON_EV_SYNC) {
    atomic_store(&t->consul_changed, true);
    atomic_store(&r->consul_dirty, true);
    scn_run_wake(r);
  }
  if (quiet || ev->kind == FCON_EV_SYNC)
    return;
  const char *task = t ? t->name : NULL;
  cJSON *d = cJSON_CreateObject();
  const char *kind = NULL;
  switch (ev->kind) {
  case FCON_EV_REGISTER:
  case FCON_EV_DEREGISTER:
    kind =
        ev->kind == FCON_EV_REGISTER ? "consul.register" : "consul.deregister";
    cJSON_AddStringToObject(d, "service_id",
                            ev->service_id ? ev->service_id : "");
    cJSON_AddStringToObject(d, "service_kind",
                            ev->service_kind ? ev->service_kind : "");
    break;
  case FCON_EV_CHECK_STATUS:
    kind = "consul.check";
    cJSON_AddStringToObject(d, "check_id", ev->check_id ? ev->check_id : "");
    cJSON_AddStringToObject(d, "status", ev->status ? ev->status : "");
    break;
  case FCON_EV_JOIN:
    kind = "consul.join";
    cJSON_AddStringToObject(d, "server", r->server_ip);
    break;
  case FCON_EV_LEAVE:
    kind = "consul.leave";
    break;
  case FCON_EV_FAULT:
    kind = "consul.fault";
    cJSON_AddStringToObject(d, "detail", ev->detail ? ev->detail : "");
    break;
  default:
    break;
  }
  if (ev->node)
    cJSON_AddStringToObject(d, "node", ev->node);
  if (kind)
    scn_run_emit(r, -1, kind, task, NULL, d);
  else
    cJSON_Delete(d);
  if (t)
    atomic_store(&t->consul_changed, true);
  atomic_store(&r->consul_dirty, true);
  scn_run_wake(r);
}

/* The first non-proxy instance that passes with all of its proxies; the
 * instance's id and service name are copied out. */
static bool task_passing(scn_run_task *t, const fcon_instance *in, size_t n,
                         char *id, size_t id_cap, char *svc, size_t svc_cap) {
  bool wants_proxy = scn_run_task_role(t, "sidecar-proxy") != NULL;
  for (size_t i = 0; i < n; i++) {
    if (in[i].kind && *in[i].kind)
      continue;
    if (!in[i].passing)
      continue;
    bool proxies_ok = true, have_proxy = false;
    for (size_t k = 0; k < n; k++) {
      if (!in[k].proxy_dest || strcmp(in[k].proxy_dest, in[i].id) != 0)
        continue;
      have_proxy = true;
      proxies_ok = proxies_ok && in[k].passing;
    }
    if (!proxies_ok || (wants_proxy && !have_proxy))
      continue;
    snprintf(id, id_cap, "%s", in[i].id);
    snprintf(svc, svc_cap, "%s", in[i].name);
    return true;
  }
  return false;
}

void scn_run_consul_observe(scn_runner *r) {
  if (!r->consul)
    return;
  for (size_t i = 0; i < r->n_tasks; i++) {
    scn_run_task *t = &r->tasks[i];
    /* only the tasks whose node changed: fleets have hundreds */
    if (!t->created || !atomic_exchange(&t->consul_changed, false))
      continue;
    int64_t changed_tt = atomic_exchange(&t->consul_tt, INT64_MIN);
    fcon_instance *in = NULL;
    size_t n = 0;
    ecsb_err e = {0};
    if (fcon_server_instances(r->consul, t->ip, &in, &n, &e)) {
      atomic_store(&t->consul_changed, true); /* asked again */
      continue;
    }
    char id[256] = "", svc[256] = "";
    bool now_passing = task_passing(t, in, n, id, sizeof id, svc, sizeof svc);
    fcon_instances_free(in, n);
    if (now_passing == t->passing)
      continue;
    t->passing = now_passing;
    /* clients learn of the change routing_delay later (xDS), on the
     * task's time: a busy host holds it back, and the faults that follow
     * the change with it */
    atomic_store(&t->load_until,
                 now_passing ? INT64_MAX
                             : scn_run_task_now(r, t) +
                                   scn_scale_us(r->s, r->s->load_delay_us));
    /* the lag this milestone carries, and the loop's delay in seeing it
     * (from the latest change, never more than it was) */
    scn_run_lag_update(r, t,
                       changed_tt == INT64_MIN ? SCN_RUN_NEVER : changed_tt);
    scn_run_lag_flush(r, t, -1);
    cJSON *d = cJSON_CreateObject();
    if (now_passing) {
      snprintf(t->passing_instance, sizeof t->passing_instance, "%s", id);
      snprintf(t->passing_service, sizeof t->passing_service, "%s", svc);
    }
    cJSON_AddStringToObject(d, "service", t->passing_service);
    cJSON_AddStringToObject(d, "instance", t->passing_instance);
    scn_run_emit(r, -1, now_passing ? "service.passing" : "service.critical",
                 t->name, NULL, d);
    if (now_passing)
      scn_run_task_milestone(r, t, 4, scn_run_now(r));
  }
}
