/*
 * fecs.c - fake-ecs's public face (fecs/fecs.h): configuration, start and
 * stop of the two servers, the lock and the ordered delivery of hook
 * events, and the thread-safe wrappers the runner, the agent simulator and
 * the tests call (creating things, driving the lifecycle, faults, reads).
 *
 * Everything here takes fecs.mu around one call into fecs_state.c /
 * fecs_faults.c / fecs_throttle.c and releases it with fecs_unlock(),
 * which delivers the events the call queued.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/json.h"
#include "fecs_internal.h"

#define DEFAULT_AKID "AKIAECSBOOTFAKE00001"
#define DEFAULT_SECRET "ecsbootFAKEsecretKEYnotForAWS0000example"

void fecs_config_default(fecs_config *c) {
  memset(c, 0, sizeof *c);
  c->account_id = "123456789012";
  c->region = "us-east-1";
  c->access_key_id = DEFAULT_AKID;
  c->secret_access_key = DEFAULT_SECRET;
  c->verify_sigv4 = true;
  c->max_skew_s = 300;
  c->api_bind_ip = "127.0.0.1";
  c->metadata_bind_ip = "127.0.0.1";
  c->task_ip_first = "127.1.1.1";
  c->task_ip_count = 62000;
  c->seed = 1;
  c->auto_lifecycle = true;
  c->auto_healthy = true;
  c->credentials_ttl_s = 6 * 3600;
  c->max_tasks = 100000;
  c->max_body = 1u << 20;
  c->throttle = true;
  c->time_scale = 1;
}

const char *fecs_hook_kind_name(fecs_hook_kind k) {
  switch (k) {
  case FECS_HOOK_API_CALL:
    return "api.call";
  case FECS_HOOK_ENDPOINT_CALL:
    return "endpoint.call";
  case FECS_HOOK_FAULT:
    return "fault";
  case FECS_HOOK_TASK_STATUS:
    return "task.status";
  case FECS_HOOK_CONTAINER_STATUS:
    return "container.status";
  case FECS_HOOK_CONTAINER_HEALTH:
    return "container.health";
  }
  return "?";
}

/* ---- clock, lock, events ------------------------------------------------- */

int64_t fecs_now_us(fecs *f) {
  return f->cfg.clock_us ? f->cfg.clock_us(f->cfg.clock_user) : ecsb_wall_us();
}

int64_t fecs_mono_us(fecs *f) {
  return f->cfg.clock_us ? f->cfg.clock_us(f->cfg.clock_user) : ecsb_mono_us();
}

void fecs_lock(fecs *f) {
  pthread_mutex_lock(&f->mu);
}

static void flush_events(fecs *f) {
  /* hook_mu before mu, always: deliveries happen in queue order and a
   * hook may call back into fecs (hook_mu is recursive) */
  pthread_mutex_lock(&f->hook_mu);
  pthread_mutex_lock(&f->mu);
  fecs_qevent *q = f->q;
  size_t n = f->n_q;
  f->q = NULL;
  f->n_q = f->cap_q = 0;
  pthread_mutex_unlock(&f->mu);
  for (size_t i = 0; i < n; i++) {
    f->cfg.hook(f->cfg.hook_user, &q[i].ev);
    for (size_t j = 0; j < 8; j++)
      free(q[i].s[j]);
  }
  free(q);
  pthread_mutex_unlock(&f->hook_mu);
}

void fecs_unlock(fecs *f) {
  bool pending = f->n_q > 0;
  pthread_mutex_unlock(&f->mu);
  if (pending && f->cfg.hook)
    flush_events(f);
}

/* ---- configuration ---------------------------------------------------------
 */

static int dup_field(fecs *f, size_t slot, const char **field) {
  if (!*field)
    return 0;
  f->own_strings[slot] = strdup(*field);
  if (!f->own_strings[slot])
    return ECSB_ENOMEM;
  *field = f->own_strings[slot];
  return 0;
}

static int check_config(const fecs_config *c, uint32_t *ip_first,
                        ecsb_err *err) {
  size_t n = c->account_id ? strlen(c->account_id) : 0;
  bool digits = n == 12;
  for (size_t i = 0; digits && i < n; i++)
    digits = c->account_id[i] >= '0' && c->account_id[i] <= '9';
  if (!digits)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "fake-ecs config: account_id '%s' must be 12 digits",
                        c->account_id ? c->account_id : "");
  if (!c->region || !*c->region || strlen(c->region) > 40 ||
      strspn(c->region, "abcdefghijklmnopqrstuvwxyz0123456789-") !=
          strlen(c->region))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "fake-ecs config: region '%s' is not a region name "
                        "(like us-east-1)",
                        c->region ? c->region : "");
  if (!c->access_key_id || !*c->access_key_id ||
      strlen(c->access_key_id) > 127 || strchr(c->access_key_id, '/'))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "fake-ecs config: access_key_id must be 1-127 "
                        "characters without '/'");
  if (!c->secret_access_key || !*c->secret_access_key ||
      strlen(c->secret_access_key) > 127)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "fake-ecs config: secret_access_key must be 1-127 "
                        "characters");
  if (c->max_skew_s < 1)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "fake-ecs config: max_skew_s must be positive");
  struct in_addr a;
  if (!c->task_ip_first || inet_pton(AF_INET, c->task_ip_first, &a) != 1 ||
      (ntohl(a.s_addr) >> 24) != 127)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "fake-ecs config: task_ip_first '%s' must be an IPv4 "
                        "address in 127.0.0.0/8",
                        c->task_ip_first ? c->task_ip_first : "");
  *ip_first = ntohl(a.s_addr);
  if (c->task_ip_count < 1)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "fake-ecs config: task_ip_count must be at least 1");
  if (c->start_delay_ms < 0 || c->stop_delay_ms < 0)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "fake-ecs config: start_delay_ms and stop_delay_ms "
                        "must not be negative");
  if (c->credentials_ttl_s < 60)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "fake-ecs config: credentials_ttl_s must be at least "
                        "60");
  if (c->max_tasks < 1)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "fake-ecs config: max_tasks must be at least 1");
  if (!(c->time_scale > 0 && c->time_scale <= 1000))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "fake-ecs config: time_scale must be in (0, 1000]");
  return 0;
}

/* In pool mode a call that may sleep for a fault runs on a thread of its
 * own, holding none of the pool's. */
static bool may_sleep(fecs *f, bool api) {
  fecs_lock(f);
  bool v = fecs_faults_may_sleep(f->faults, api);
  fecs_unlock(f);
  return v;
}

static bool api_may_block(void *user, const ecsb_httpd_req *req) {
  (void)req;
  return may_sleep(user, true);
}

static bool endpoint_may_block(void *user, const ecsb_httpd_req *req) {
  (void)req;
  return may_sleep(user, false);
}

int fecs_new(const fecs_config *cfg, fecs **out, ecsb_err *err) {
  *out = NULL;
  fecs_config def;
  if (!cfg) {
    fecs_config_default(&def);
    cfg = &def;
  }
  uint32_t ip_first = 0;
  int rc = check_config(cfg, &ip_first, err);
  if (rc)
    return rc;
  fecs *f = calloc(1, sizeof *f);
  if (!f)
    return ecsb_err_set(err, ECSB_ENOMEM, "fake-ecs: out of memory");
  f->cfg = *cfg;
  pthread_mutex_init(&f->mu, NULL);
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&f->hook_mu, &ma);
  pthread_mutexattr_destroy(&ma);
  if (dup_field(f, 0, &f->cfg.account_id) || dup_field(f, 1, &f->cfg.region) ||
      dup_field(f, 2, &f->cfg.access_key_id) ||
      dup_field(f, 3, &f->cfg.secret_access_key) ||
      dup_field(f, 4, &f->cfg.api_bind_ip) ||
      dup_field(f, 5, &f->cfg.metadata_bind_ip) ||
      dup_field(f, 6, &f->cfg.task_ip_first)) {
    rc = ecsb_err_set(err, ECSB_ENOMEM, "fake-ecs: out of memory");
    goto fail;
  }
  if (!f->cfg.max_body)
    f->cfg.max_body = 1u << 20;
  ecsb_rng_seed(&f->rng, cfg->seed ? cfg->seed : 1);
  f->ip_first = ip_first;
  snprintf(f->main_cred.akid, sizeof f->main_cred.akid, "%s",
           f->cfg.access_key_id);
  snprintf(f->main_cred.secret, sizeof f->main_cred.secret, "%s",
           f->cfg.secret_access_key);
  f->throttle = fecs_throttle_new(cfg->throttle, cfg->time_scale);
  f->faults = fecs_faults_new();
  if (!f->throttle || !f->faults) {
    rc = ecsb_err_set(err, ECSB_ENOMEM, "fake-ecs: out of memory");
    goto fail;
  }
  if (cfg->create_default_cluster) {
    fecs_cluster_rec *cl;
    if ((rc = fecs_cluster_create_locked(f, "default", &cl, err)))
      goto fail;
  }
  ecsb_httpd_opts o;
  ecsb_httpd_opts_default(&o);
  o.bind_ip = f->cfg.api_bind_ip;
  o.port = cfg->api_port;
  o.threads = cfg->threads;
  o.conn_limit = cfg->conn_limit; /* 0: ecsb_httpd_start's default */
  o.max_body = f->cfg.max_body;
  o.served = cfg->served;
  o.served_user = cfg->served_user;
  o.may_block = api_may_block;
  if ((rc = ecsb_httpd_start(&o, fecs_api_handle, f, &f->api, err))) {
    ecsb_err_prefix(err, "fake-ecs API server");
    goto fail;
  }
  o.bind_ip = f->cfg.metadata_bind_ip;
  o.port = cfg->metadata_port;
  o.max_body = 64 * 1024;
  o.may_block = endpoint_may_block;
  if ((rc = ecsb_httpd_start(&o, fecs_endpoint_handle, f, &f->ep, err))) {
    ecsb_err_prefix(err, "fake-ecs metadata/credentials server");
    goto fail;
  }
  snprintf(f->api_url, sizeof f->api_url, "http://%s:%u",
           ecsb_httpd_bind_ip(f->api), ecsb_httpd_port(f->api));
  snprintf(f->ep_url, sizeof f->ep_url, "http://%s:%u",
           ecsb_httpd_bind_ip(f->ep), ecsb_httpd_port(f->ep));
  *out = f;
  return 0;
fail:
  fecs_free(f);
  return rc;
}

void fecs_free(fecs *f) {
  if (!f)
    return;
  /* servers first: their handlers use everything below */
  ecsb_httpd_stop(f->api);
  ecsb_httpd_stop(f->ep);
  fecs_state_free(f);
  fecs_throttle_free(f->throttle);
  fecs_faults_free(f->faults);
  memset(f->main_cred.secret, 0, sizeof f->main_cred.secret);
  for (size_t i = 0; i < sizeof f->own_strings / sizeof f->own_strings[0];
       i++) {
    if (f->own_strings[i])
      memset(f->own_strings[i], 0, strlen(f->own_strings[i]));
    free(f->own_strings[i]);
  }
  pthread_mutex_destroy(&f->mu);
  pthread_mutex_destroy(&f->hook_mu);
  free(f);
}

const char *fecs_api_url(const fecs *f) {
  return f->api_url;
}
const char *fecs_endpoint_url(const fecs *f) {
  return f->ep_url;
}
const char *fecs_region(const fecs *f) {
  return f->cfg.region;
}
const char *fecs_account_id(const fecs *f) {
  return f->cfg.account_id;
}
const char *fecs_access_key_id(const fecs *f) {
  return f->cfg.access_key_id;
}
const char *fecs_secret_access_key(const fecs *f) {
  return f->cfg.secret_access_key;
}

void fecs_tick(fecs *f) {
  fecs_lock(f);
  fecs_advance_locked(f, fecs_now_us(f));
  fecs_unlock(f);
}

void fecs_get_stats(fecs *f, fecs_stats *out) {
  fecs_lock(f);
  *out = f->stats;
  fecs_unlock(f);
}

/* ---- creating things ---------------------------------------------------- */

static void copy_arn(char *out, const char *arn) {
  if (out)
    snprintf(out, FECS_ARN_MAX, "%s", arn);
}

int fecs_cluster_create(fecs *f, const char *name, char *arn_out,
                        ecsb_err *err) {
  if (!name || !fecs_valid_name(name))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "cluster name '%s': up to 255 letters, numbers, "
                        "hyphens and underscores",
                        name ? name : "");
  fecs_lock(f);
  fecs_cluster_rec *cl = NULL;
  int rc = fecs_cluster_create_locked(f, name, &cl, err);
  if (!rc)
    copy_arn(arn_out, cl->arn);
  fecs_unlock(f);
  return rc;
}

int fecs_task_definition_register(fecs *f, const cJSON *request, char *arn_out,
                                  ecsb_err *err) {
  if (!cJSON_IsObject(request))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "task definition: expected a JSON object");
  fecs_lock(f);
  fecs_taskdef_rec *td = NULL;
  const char *code = NULL;
  char msg[1024];
  int rc = 0;
  if (fecs_taskdef_build_locked(f, request, &td, &code, msg, sizeof msg)) {
    rc = ecsb_err_set(err, ECSB_EINVAL, "task definition: %s: %s", code, msg);
  } else if ((rc = fecs_taskdef_add_locked(f, td, err))) {
    fecs_taskdef_free(td);
  } else {
    copy_arn(arn_out, td->arn);
  }
  fecs_unlock(f);
  return rc;
}

int fecs_task_definition_check(const cJSON *request, ecsb_err *err) {
  if (!cJSON_IsObject(request))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "task definition: expected a JSON object");
  /* A blank fake: the checks read nothing of the state but the account. */
  fecs *f = calloc(1, sizeof *f);
  if (!f)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  fecs_config_default(&f->cfg);
  fecs_taskdef_rec *td = NULL;
  const char *code = NULL;
  char msg[1024];
  int rc = 0;
  if (fecs_taskdef_build_locked(f, request, &td, &code, msg, sizeof msg))
    rc = ecsb_err_set(err, ECSB_EINVAL, "task definition: %s: %s", code, msg);
  fecs_taskdef_free(td);
  free(f);
  return rc;
}

int fecs_task_run(fecs *f, const fecs_run_opts *o, char *arn_out,
                  ecsb_err *err) {
  if (!o || !o->task_definition)
    return ecsb_err_set(err, ECSB_EINVAL, "run task: no task definition");
  if (o->ip && (!ecsb_ip_is_loopback(o->ip) || !strchr(o->ip, '.')))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "run task: ip '%s' is not an IPv4 address in "
                        "127.0.0.0/8",
                        o->ip);
  fecs_lock(f);
  fecs_advance_locked(f, fecs_now_us(f));
  int rc = 0;
  const char *cname = o->cluster ? o->cluster : "default";
  fecs_cluster_rec *cl = fecs_cluster_find_locked(f, cname);
  fecs_taskdef_rec *td = fecs_taskdef_find_locked(f, o->task_definition);
  fecs_task_rec *t = NULL;
  if (!cl) {
    rc = ecsb_err_set(err, ECSB_ENOTFOUND, "run task: no cluster '%s'", cname);
  } else if (!td || !td->active) {
    rc = ecsb_err_set(err, ECSB_ENOTFOUND,
                      "run task: no active task definition '%s'",
                      o->task_definition);
  } else {
    fecs_new_task nt = {.cl = cl,
                        .td = td,
                        .group = o->group,
                        .started_by = o->started_by,
                        .launch_type = o->launch_type,
                        .ip = o->ip};
    rc = fecs_task_create_locked(f, &nt, &t, err);
    if (!rc)
      copy_arn(arn_out, t->arn);
  }
  fecs_unlock(f);
  return rc;
}

/* ---- driving the lifecycle ------------------------------------------------
 */

/* Locks, advances, finds the task (and container when name is given). On
 * success the lock is held; on error it has been released. */
static int enter(fecs *f, const char *task, const char *container,
                 fecs_task_rec **t, fecs_ctr **c, ecsb_err *err) {
  fecs_lock(f);
  fecs_advance_locked(f, fecs_now_us(f));
  *t = fecs_task_find_locked(f, task);
  if (!*t) {
    fecs_unlock(f);
    return ecsb_err_set(err, ECSB_ENOTFOUND, "fake-ecs: no task '%s'",
                        task ? task : "(null)");
  }
  if (!container)
    return 0;
  for (size_t i = 0; i < (*t)->n_ctrs; i++) {
    if (!strcmp((*t)->ctrs[i].name, container)) {
      *c = &(*t)->ctrs[i];
      return 0;
    }
  }
  int rc = ecsb_err_set(err, ECSB_ENOTFOUND,
                        "fake-ecs: task %s has no container '%s'", (*t)->id,
                        container);
  fecs_unlock(f);
  return rc;
}

/* The setters move a task's record; a task the agent simulator runs has
 * its state in the engine, and a second writer would make two owners. On
 * error the lock has been released. */
static int refuse_engine(fecs *f, const fecs_task_rec *t, ecsb_err *err) {
  if (!t->eng)
    return 0;
  fecs_unlock(f);
  return ecsb_err_set(err, ECSB_ESTATE,
                      "fake-ecs: task %s is run by the agent simulator, "
                      "which owns its state",
                      t->id);
}

static int64_t engine_wall_us(void *ctx) {
  return fecs_now_us(ctx);
}

/* The task's containers, as the task definition lists them, against the
 * spec's: the engine's container i is the record's container i. */
static bool same_containers(const fecs_task_rec *t, const fecs_engine *e) {
  if (fecs_engine_container_count(e) != t->n_ctrs)
    return false;
  for (size_t i = 0; i < t->n_ctrs; i++)
    if (strcmp(fecs_engine_container_spec(e, i)->name, t->ctrs[i].name) != 0)
      return false;
  return true;
}

int fecs_task_engine_new(fecs *f, const char *task, const fecs_task_spec *spec,
                         const fecs_engine_opts *opts, fecs_engine **out,
                         ecsb_err *err) {
  *out = NULL;
  if (f->cfg.auto_lifecycle)
    return ecsb_err_set(err, ECSB_ESTATE,
                        "fake-ecs: the agent simulator runs tasks only with "
                        "auto_lifecycle off");
  fecs_engine_opts o = opts ? *opts : (fecs_engine_opts){0};
  o.wall_us = engine_wall_us;
  o.wall_ctx = f;
  if (!o.task_arn)
    o.task_arn = task;
  fecs_engine *e = NULL;
  int rc = fecs_engine_new(spec, &o, &e, err);
  if (rc)
    return rc;
  fecs_task_rec *t;
  fecs_ctr *c;
  if ((rc = enter(f, task, NULL, &t, &c, err))) {
    fecs_engine_free(e);
    return rc;
  }
  if (t->eng || t->status != FECS_LS_PROVISIONING || t->desired_stopped)
    rc = ecsb_err_set(err, ECSB_ESTATE, "fake-ecs: task %s has already %s",
                      t->id, t->eng ? "an agent simulator" : "moved");
  else if (!same_containers(t, e))
    rc = ecsb_err_set(err, ECSB_EINVAL,
                      "fake-ecs: task %s: the agent simulator's containers "
                      "are not its task definition's",
                      t->id);
  if (!rc) {
    t->eng = *out = e;
    e = NULL;
  }
  fecs_unlock(f);
  fecs_engine_free(e);
  return rc;
}

int fecs_task_set_status(fecs *f, const char *task, const char *last_status,
                         ecsb_err *err) {
  int ls = fecs_ls_parse(last_status);
  if (ls < 0)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "task status '%s' is not one of PROVISIONING, PENDING, "
                        "ACTIVATING, RUNNING, DEACTIVATING, STOPPING, "
                        "DEPROVISIONING, STOPPED",
                        last_status ? last_status : "(null)");
  fecs_task_rec *t;
  fecs_ctr *c;
  int rc = enter(f, task, NULL, &t, &c, err);
  if (!rc)
    rc = refuse_engine(f, t, err);
  if (rc)
    return rc;
  rc = fecs_task_move_locked(f, t, ls, fecs_now_us(f), err);
  fecs_unlock(f);
  return rc;
}

int fecs_task_stop(fecs *f, const char *task, const char *stop_code,
                   const char *reason, ecsb_err *err) {
  if (reason && strlen(reason) > 255)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "stop reason: at most 255 characters (got %zu)",
                        strlen(reason));
  fecs_task_rec *t;
  fecs_ctr *c;
  int rc = enter(f, task, NULL, &t, &c, err);
  if (!rc)
    rc = refuse_engine(f, t, err);
  if (rc)
    return rc;
  fecs_task_request_stop_locked(f, t, stop_code ? stop_code : "UserInitiated",
                                reason, fecs_now_us(f));
  fecs_unlock(f);
  return 0;
}

static int parse_of(const char *s, const char *const *names, int n) {
  for (int i = 0; s && i < n; i++)
    if (!strcmp(s, names[i]))
      return i;
  return -1;
}

int fecs_container_set_status(fecs *f, const char *task, const char *container,
                              const char *last_status, ecsb_err *err) {
  int st = parse_of(last_status, fecs_cs_names, 3);
  if (st < 0)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "container status '%s' is not PENDING, RUNNING or "
                        "STOPPED",
                        last_status ? last_status : "(null)");
  fecs_task_rec *t;
  fecs_ctr *c;
  int rc = enter(f, task, container, &t, &c, err);
  if (!rc)
    rc = refuse_engine(f, t, err);
  if (rc)
    return rc;
  if (st < c->status)
    rc = ecsb_err_set(err, ECSB_ESTATE,
                      "container %s of task %s is %s; it cannot go back to %s",
                      c->name, t->id, fecs_cs_names[c->status],
                      fecs_cs_names[st]);
  else
    fecs_ctr_set_status_locked(f, t, c, st, fecs_now_us(f));
  fecs_unlock(f);
  return rc;
}

int fecs_container_set_exit(fecs *f, const char *task, const char *container,
                            int exit_code, const char *reason, ecsb_err *err) {
  if (reason && strlen(reason) > 255)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "container reason: at most 255 characters");
  fecs_task_rec *t;
  fecs_ctr *c;
  int rc = enter(f, task, container, &t, &c, err);
  if (!rc)
    rc = refuse_engine(f, t, err);
  if (rc)
    return rc;
  if (c->status == FECS_CS_STOPPED && c->has_exit) {
    rc = ecsb_err_set(err, ECSB_ESTATE,
                      "container %s of task %s already exited with %d", c->name,
                      t->id, c->exit_code);
  } else {
    c->has_exit = true;
    c->exit_code = exit_code;
    free(c->reason);
    c->reason = reason ? strdup(reason) : NULL;
    fecs_ctr_set_status_locked(f, t, c, FECS_CS_STOPPED, fecs_now_us(f));
  }
  fecs_unlock(f);
  return rc;
}

int fecs_container_set_health(fecs *f, const char *task, const char *container,
                              const char *health, ecsb_err *err) {
  int h = parse_of(health, fecs_h_names, 3);
  if (h < 0)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "health '%s' is not HEALTHY, UNHEALTHY or UNKNOWN",
                        health ? health : "(null)");
  fecs_task_rec *t;
  fecs_ctr *c;
  int rc = enter(f, task, container, &t, &c, err);
  if (!rc)
    rc = refuse_engine(f, t, err);
  if (rc)
    return rc;
  fecs_ctr_set_health_locked(f, t, c, h, fecs_now_us(f));
  fecs_unlock(f);
  return 0;
}

int fecs_task_set_ip(fecs *f, const char *task, const char *ip, ecsb_err *err) {
  struct in_addr a;
  if (!ip || inet_pton(AF_INET, ip, &a) != 1 || (ntohl(a.s_addr) >> 24) != 127)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "task ip '%s' is not an IPv4 address in 127.0.0.0/8",
                        ip ? ip : "(null)");
  fecs_task_rec *t;
  fecs_ctr *c;
  int rc = enter(f, task, NULL, &t, &c, err);
  if (rc)
    return rc;
  snprintf(t->ip, sizeof t->ip, "%s", ip);
  t->version++;
  fecs_unlock(f);
  return 0;
}

/* ---- reading ---------------------------------------------------------------
 */

int fecs_task_get(fecs *f, const char *task, fecs_task_view *out,
                  ecsb_err *err) {
  fecs_task_rec *t;
  fecs_ctr *c;
  int rc = enter(f, task, NULL, &t, &c, err);
  if (rc)
    return rc;
  memset(out, 0, sizeof *out);
  snprintf(out->arn, sizeof out->arn, "%s", t->arn);
  snprintf(out->id, sizeof out->id, "%s", t->id);
  snprintf(out->cluster_arn, sizeof out->cluster_arn, "%s", t->cl->arn);
  snprintf(out->task_definition_arn, sizeof out->task_definition_arn, "%s",
           t->td->arn);
  snprintf(out->family, sizeof out->family, "%s", t->td->family);
  snprintf(out->group, sizeof out->group, "%s", t->group);
  snprintf(out->ip, sizeof out->ip, "%s", t->ip);
  fecs_task_state ts;
  fecs_task_state_locked(t, &ts);
  snprintf(out->last_status, sizeof out->last_status, "%s",
           fecs_ls_names[ts.status]);
  snprintf(out->desired_status, sizeof out->desired_status, "%s",
           ts.desired_stopped ? "STOPPED" : "RUNNING");
  snprintf(out->health_status, sizeof out->health_status, "%s",
           fecs_h_names[ts.health]);
  out->n_containers = t->n_ctrs;
  fecs_unlock(f);
  return 0;
}

int fecs_task_describe_json(fecs *f, const char *task, char **json,
                            ecsb_err *err) {
  *json = NULL;
  fecs_task_rec *t;
  fecs_ctr *c;
  int rc = enter(f, task, NULL, &t, &c, err);
  if (rc)
    return rc;
  cJSON *o = fecs_task_json(f, t, true);
  *json = o ? ecsb_json_print(o) : NULL;
  cJSON_Delete(o);
  fecs_unlock(f);
  return *json ? 0 : ecsb_err_set(err, ECSB_ENOMEM, "fake-ecs: out of memory");
}

static int env_add(fecs_env *e, const char *name, const char *value) {
  if (e->n == sizeof e->names / sizeof e->names[0])
    return ECSB_ETOOBIG;
  e->names[e->n] = strdup(name);
  e->values[e->n] = strdup(value);
  e->n++;
  return e->names[e->n - 1] && e->values[e->n - 1] ? 0 : ECSB_ENOMEM;
}

int fecs_container_env(fecs *f, const char *task, const char *container,
                       fecs_env *out, ecsb_err *err) {
  memset(out, 0, sizeof *out);
  fecs_task_rec *t;
  fecs_ctr *c;
  int rc = enter(f, task, container, &t, &c, err);
  if (rc)
    return rc;
  char buf[512];
  snprintf(buf, sizeof buf, "%s/v4/%s", f->ep_url, c->runtime_id);
  rc |= env_add(out, "ECS_CONTAINER_METADATA_URI_V4", buf);
  snprintf(buf, sizeof buf, "/v2/credentials/%s", t->cred_id);
  rc |= env_add(out, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", buf);
  snprintf(buf, sizeof buf, "%s/v1/credentials", f->ep_url);
  rc |= env_add(out, "AWS_CONTAINER_CREDENTIALS_FULL_URI", buf);
  rc |= env_add(out, "AWS_CONTAINER_AUTHORIZATION_TOKEN", t->auth_token);
  rc |= env_add(out, "AWS_REGION", f->cfg.region);
  rc |= env_add(out, "AWS_DEFAULT_REGION", f->cfg.region);
  rc |= env_add(out, "AWS_EXECUTION_ENV",
                strcmp(t->launch_type, "FARGATE") ? "AWS_ECS_EC2"
                                                  : "AWS_ECS_FARGATE");
  fecs_unlock(f);
  if (rc) {
    fecs_env_clear(out);
    return ecsb_err_set(err, ECSB_ENOMEM, "fake-ecs: out of memory");
  }
  return 0;
}

void fecs_env_clear(fecs_env *e) {
  for (size_t i = 0; i < e->n; i++) {
    free(e->names[i]);
    if (e->values[i])
      memset(e->values[i], 0, strlen(e->values[i]));
    free(e->values[i]);
  }
  memset(e, 0, sizeof *e);
}

const char *fecs_env_get(const fecs_env *e, const char *name) {
  for (size_t i = 0; i < e->n; i++)
    if (e->names[i] && !strcmp(e->names[i], name))
      return e->values[i];
  return NULL;
}

/* ---- faults
 * ------------------------------------------------------------------ */

int fecs_fault_latency(fecs *f, const char *op, int64_t ms, ecsb_err *err) {
  fecs_lock(f);
  int rc = fecs_faults_set_latency(f->faults, op, ms, err);
  fecs_unlock(f);
  return rc;
}

int fecs_fault_errors_next(fecs *f, const char *op, int n, const char *code,
                           const char *message, ecsb_err *err) {
  fecs_lock(f);
  int rc = fecs_faults_set_next(f->faults, op, n, code, message, err);
  fecs_unlock(f);
  return rc;
}

int fecs_fault_errors_prob(fecs *f, const char *op, double p, const char *code,
                           const char *message, ecsb_err *err) {
  fecs_lock(f);
  int rc = fecs_faults_set_prob(f->faults, op, p, code, message, err);
  fecs_unlock(f);
  return rc;
}

int fecs_throttle_set(fecs *f, const char *op, double burst,
                      double refill_per_s, ecsb_err *err) {
  fecs_lock(f);
  int rc = fecs_throttle_configure(f->throttle, op, burst, refill_per_s,
                                   fecs_mono_us(f), err);
  fecs_unlock(f);
  return rc;
}

void fecs_throttle_enable(fecs *f, bool on) {
  fecs_lock(f);
  fecs_throttle_set_enabled(f->throttle, on);
  fecs_unlock(f);
}

int fecs_fault_endpoint(fecs *f, fecs_endpoint ep, fecs_endpoint_mode mode,
                        int64_t delay_ms, ecsb_err *err) {
  fecs_lock(f);
  int rc = fecs_faults_set_endpoint(f->faults, ep, mode, delay_ms, err);
  fecs_unlock(f);
  return rc;
}

int fecs_fault_task(fecs *f, const fecs_task_fault *tf, ecsb_err *err) {
  fecs_lock(f);
  int rc = fecs_faults_add_task(f->faults, tf, err);
  fecs_unlock(f);
  return rc;
}

void fecs_fault_clear(fecs *f) {
  fecs_lock(f);
  fecs_faults_reset(f->faults);
  fecs_throttle_reset(f->throttle);
  fecs_unlock(f);
}
