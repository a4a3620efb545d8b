/*
 * fecs_state.c - fake-ecs's state model: clusters, task definition
 * families, services, tasks and their containers, task addresses and role
 * credentials.
 *
 * Called by the API operations, the endpoint handler and the public
 * drivers in fecs.c, always with fecs.mu held (the *_locked names). Never
 * does I/O and never calls the hook directly: status changes are queued
 * with fecs_emit_locked and delivered after the lock is released.
 *
 * Invariants: seq is a task's index in fecs.tasks plus one; every task is
 * in the by_id index; a task is in fecs.pending exactly while it has a
 * planned automatic transition (pending_plan). The lifecycle itself is in
 * fecs_lifecycle.c.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fecs_internal.h"

const char *const fecs_ls_names[FECS_LS_COUNT] = {
    "PROVISIONING", "PENDING",  "ACTIVATING",     "RUNNING",
    "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"};
const char *const fecs_cs_names[3] = {"PENDING", "RUNNING", "STOPPED"};
const char *const fecs_h_names[3] = {"UNKNOWN", "HEALTHY", "UNHEALTHY"};

int fecs_ls_parse(const char *s) {
  for (int i = 0; s && i < FECS_LS_COUNT; i++)
    if (!strcmp(s, fecs_ls_names[i]))
      return i;
  return -1;
}

/* ---- small helpers ------------------------------------------------------ */

char *fecs_strprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    return NULL;
  char *s = malloc((size_t)n + 1);
  if (!s)
    return NULL;
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

void fecs_rand_hex(fecs *f, char *out, size_t n) {
  static const char hx[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++)
    out[i] = hx[ecsb_rng_below(&f->rng, 16)];
  out[n] = '\0';
}

void fecs_rand_uuid(fecs *f, char out[37]) {
  fecs_rand_hex(f, out, 36);
  out[8] = out[13] = out[18] = out[23] = '-';
  out[14] = '4'; /* version 4, variant 10xx: what AWS's request IDs look like */
  out[19] = "89ab"[ecsb_rng_below(&f->rng, 4)];
}

void fecs_rand_alnum(fecs *f, char *out, size_t n, bool upper_only) {
  static const char up[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  static const char any[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i < n; i++)
    out[i] = upper_only ? up[ecsb_rng_below(&f->rng, 32)]
                        : any[ecsb_rng_below(&f->rng, 64)];
  out[n] = '\0';
}

/* Appends p to a pointer vector; false on ENOMEM. */
static bool vpush(void ***v, size_t *n, size_t *cap, void *p) {
  if (*n == *cap) {
    size_t nc = *cap ? *cap * 2 : 16;
    void **nv = realloc(*v, nc * sizeof *nv);
    if (!nv)
      return false;
    *v = nv;
    *cap = nc;
  }
  (*v)[(*n)++] = p;
  return true;
}
#define VPUSH(arr, n, cap, p) vpush((void ***)&(arr), &(n), &(cap), (p))

void fecs_emit_locked(fecs *f, const fecs_hook_event *ev) {
  if (!f->cfg.hook)
    return;
  if (f->n_q == f->cap_q) {
    size_t nc = f->cap_q ? f->cap_q * 2 : 32;
    fecs_qevent *nq = realloc(f->q, nc * sizeof *nq);
    if (!nq)
      return; /* an event lost to ENOMEM is better than a crash */
    f->q = nq;
    f->cap_q = nc;
  }
  fecs_qevent *q = &f->q[f->n_q++];
  memset(q, 0, sizeof *q);
  q->ev = *ev;
  const char **fields[] = {&q->ev.operation, &q->ev.error_code, &q->ev.fault,
                           &q->ev.task_arn,  &q->ev.container,  &q->ev.status,
                           &q->ev.detail};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    if (*fields[i]) {
      q->s[i] = strdup(*fields[i]);
      *fields[i] = q->s[i];
    }
  }
}

void fecs_emit_task_locked(fecs *f, const fecs_task_rec *t, int64_t when) {
  fecs_hook_event ev = {.kind = FECS_HOOK_TASK_STATUS,
                        .wall_us = when,
                        .task_arn = t->arn,
                        .status = fecs_ls_names[t->status],
                        .detail = t->desired_stopped ? "STOPPED" : "RUNNING"};
  fecs_emit_locked(f, &ev);
}

/* ---- clusters, task definitions, services ------------------------------- */

/* The name part of "arn:aws:ecs:<region>:<account>:<kind>/<name...>" when
 * region and account are ours; NULL when s is not such an ARN. */
static const char *arn_rest(fecs *f, const char *s, const char *kind) {
  char prefix[256];
  snprintf(prefix, sizeof prefix, "arn:aws:ecs:%s:%s:%s/", f->cfg.region,
           f->cfg.account_id, kind);
  size_t n = strlen(prefix);
  return strncmp(s, prefix, n) ? NULL : s + n;
}

fecs_cluster_rec *fecs_cluster_find_locked(fecs *f, const char *ref) {
  if (!strncmp(ref, "arn:", 4)) {
    ref = arn_rest(f, ref, "cluster");
    if (!ref)
      return NULL;
  }
  for (size_t i = 0; i < f->n_clusters; i++)
    if (!strcmp(f->clusters[i]->name, ref))
      return f->clusters[i];
  return NULL;
}

static void cluster_free(fecs_cluster_rec *c) {
  if (!c)
    return;
  free(c->name);
  free(c->arn);
  cJSON_Delete(c->tags);
  cJSON_Delete(c->settings);
  free(c);
}

int fecs_cluster_create_locked(fecs *f, const char *name,
                               fecs_cluster_rec **out, ecsb_err *err) {
  fecs_cluster_rec *c = fecs_cluster_find_locked(f, name);
  if (c) {
    *out = c;
    return 0;
  }
  c = calloc(1, sizeof *c);
  if (!c)
    goto oom;
  c->name = strdup(name);
  c->arn = fecs_strprintf("arn:aws:ecs:%s:%s:cluster/%s", f->cfg.region,
                          f->cfg.account_id, name);
  c->created_us = fecs_now_us(f);
  if (!c->name || !c->arn ||
      !VPUSH(f->clusters, f->n_clusters, f->cap_clusters, c))
    goto oom;
  *out = c;
  return 0;
oom:
  cluster_free(c);
  return ecsb_err_set(err, ECSB_ENOMEM, "fake-ecs: out of memory");
}

fecs_family *fecs_family_find_locked(fecs *f, const char *name) {
  for (size_t i = 0; i < f->n_families; i++)
    if (!strcmp(f->families[i]->name, name))
      return f->families[i];
  return NULL;
}

fecs_taskdef_rec *fecs_taskdef_find_locked(fecs *f, const char *ref) {
  char fam[300];
  if (!strncmp(ref, "arn:", 4)) {
    ref = arn_rest(f, ref, "task-definition");
    if (!ref)
      return NULL;
  }
  const char *colon = strrchr(ref, ':');
  size_t fl = colon ? (size_t)(colon - ref) : strlen(ref);
  if (fl >= sizeof fam)
    return NULL;
  memcpy(fam, ref, fl);
  fam[fl] = '\0';
  fecs_family *fm = fecs_family_find_locked(f, fam);
  if (!fm)
    return NULL;
  if (colon) {
    char *end = NULL;
    long rev = strtol(colon + 1, &end, 10);
    if (!end || *end || end == colon + 1 || rev < 1 || (size_t)rev > fm->n)
      return NULL;
    return fm->revs[rev - 1];
  }
  /* a bare family means its latest ACTIVE revision */
  for (size_t i = fm->n; i > 0; i--)
    if (fm->revs[i - 1]->active)
      return fm->revs[i - 1];
  return NULL;
}

int fecs_taskdef_add_locked(fecs *f, fecs_taskdef_rec *td, ecsb_err *err) {
  fecs_family *fm = fecs_family_find_locked(f, td->family);
  if (!fm) {
    fm = calloc(1, sizeof *fm);
    if (!fm || !(fm->name = strdup(td->family)) ||
        !VPUSH(f->families, f->n_families, f->cap_families, fm)) {
      if (fm)
        free(fm->name);
      free(fm);
      return ecsb_err_set(err, ECSB_ENOMEM, "fake-ecs: out of memory");
    }
  }
  td->revision = (int)fm->n + 1;
  free(td->arn);
  td->arn =
      fecs_strprintf("arn:aws:ecs:%s:%s:task-definition/%s:%d", f->cfg.region,
                     f->cfg.account_id, td->family, td->revision);
  if (!td->arn || !VPUSH(fm->revs, fm->n, fm->cap, td))
    return ecsb_err_set(err, ECSB_ENOMEM, "fake-ecs: out of memory");
  cJSON_AddStringToObject(td->json, "taskDefinitionArn", td->arn);
  cJSON_AddNumberToObject(td->json, "revision", td->revision);
  return 0;
}

fecs_service_rec *fecs_service_find_locked(fecs *f, fecs_cluster_rec *cl,
                                           const char *ref) {
  for (size_t i = 0; i < f->n_services; i++) {
    fecs_service_rec *s = f->services[i];
    if (s->cl == cl && (!strcmp(s->name, ref) || !strcmp(s->arn, ref)))
      return s;
  }
  return NULL;
}

int fecs_service_add_locked(fecs *f, fecs_service_rec *s, ecsb_err *err) {
  if (!VPUSH(f->services, f->n_services, f->cap_services, s))
    return ecsb_err_set(err, ECSB_ENOMEM, "fake-ecs: out of memory");
  return 0;
}

static void service_free(fecs_service_rec *s) {
  if (!s)
    return;
  free(s->name);
  free(s->arn);
  free(s->launch_type);
  free(s->started_by);
  cJSON_Delete(s->tags);
  free(s);
}

/* ---- task index --------------------------------------------------------- */

static size_t id_hash(const char *id) {
  size_t h = 1469598103934665603ull;
  for (; *id; id++)
    h = (h ^ (unsigned char)*id) * 1099511628211ull;
  return h;
}

static bool index_put(fecs *f, fecs_task_rec *t) {
  if ((f->n_tasks + 1) * 2 > f->by_id_cap) {
    size_t nc = f->by_id_cap ? f->by_id_cap * 2 : 256;
    fecs_task_rec **nv = calloc(nc, sizeof *nv);
    if (!nv)
      return false;
    for (size_t i = 0; i < f->by_id_cap; i++) {
      fecs_task_rec *x = f->by_id[i];
      if (!x)
        continue;
      size_t j = id_hash(x->id) & (nc - 1);
      while (nv[j])
        j = (j + 1) & (nc - 1);
      nv[j] = x;
    }
    free(f->by_id);
    f->by_id = nv;
    f->by_id_cap = nc;
  }
  size_t j = id_hash(t->id) & (f->by_id_cap - 1);
  while (f->by_id[j])
    j = (j + 1) & (f->by_id_cap - 1);
  f->by_id[j] = t;
  return true;
}

static fecs_task_rec *index_get(fecs *f, const char *id) {
  if (!f->by_id_cap)
    return NULL;
  size_t j = id_hash(id) & (f->by_id_cap - 1);
  while (f->by_id[j]) {
    if (!strcmp(f->by_id[j]->id, id))
      return f->by_id[j];
    j = (j + 1) & (f->by_id_cap - 1);
  }
  return NULL;
}

fecs_task_rec *fecs_task_find_locked(fecs *f, const char *ref) {
  if (!ref)
    return NULL;
  if (!strncmp(ref, "arn:", 4)) {
    const char *slash = strrchr(ref, '/');
    fecs_task_rec *t = slash ? index_get(f, slash + 1) : NULL;
    return t && !strcmp(t->arn, ref) ? t : NULL;
  }
  return index_get(f, ref);
}

fecs_task_rec *fecs_task_by_runtime_id_locked(fecs *f, const char *rid,
                                              fecs_ctr **ctr) {
  char id[33];
  if (strlen(rid) < 33 || rid[32] != '-')
    return NULL;
  memcpy(id, rid, 32);
  id[32] = '\0';
  fecs_task_rec *t = index_get(f, id);
  for (size_t i = 0; t && i < t->n_ctrs; i++) {
    if (!strcmp(t->ctrs[i].runtime_id, rid)) {
      *ctr = &t->ctrs[i];
      return t;
    }
  }
  return NULL;
}

fecs_task_rec *fecs_task_by_cred_id_locked(fecs *f, const char *id) {
  for (size_t i = 0; i < f->n_tasks; i++)
    if (!strcmp(f->tasks[i]->cred_id, id))
      return f->tasks[i];
  return NULL;
}

fecs_task_rec *fecs_task_by_auth_token_locked(fecs *f, const char *token) {
  size_t n = strlen(token);
  for (size_t i = 0; i < f->n_tasks; i++) {
    const char *tok = f->tasks[i]->auth_token;
    if (strlen(tok) == n && !memcmp(tok, token, n))
      return f->tasks[i];
  }
  return NULL;
}

/* ---- credentials -------------------------------------------------------- */

fecs_cred_rec *fecs_cred_find_locked(fecs *f, const char *akid) {
  if (!strcmp(f->main_cred.akid, akid))
    return &f->main_cred;
  for (size_t i = 0; i < f->n_creds; i++)
    if (!strcmp(f->creds[i]->akid, akid))
      return f->creds[i];
  return NULL;
}

static void cred_free(fecs_cred_rec *c) {
  if (!c)
    return;
  if (c->token)
    memset(c->token, 0, strlen(c->token));
  free(c->token);
  memset(c, 0, sizeof *c);
  free(c);
}

/* Drops credentials that expired more than an hour ago (a client holding
 * them gets UnrecognizedClient instead of ExpiredToken after that). */
static void creds_prune(fecs *f, int64_t now) {
  size_t k = 0;
  for (size_t i = 0; i < f->n_creds; i++) {
    fecs_cred_rec *c = f->creds[i];
    bool current = c->task && c->task->cred == c;
    if (!current && c->expires_us + 3600 * 1000000LL < now)
      cred_free(c);
    else
      f->creds[k++] = c;
  }
  f->n_creds = k;
}

static fecs_cred_rec *cred_issue(fecs *f, fecs_task_rec *t, int64_t now) {
  creds_prune(f, now);
  fecs_cred_rec *c = calloc(1, sizeof *c);
  char tok[301];
  if (!c)
    return NULL;
  memcpy(c->akid, "ASIA", 4);
  fecs_rand_alnum(f, c->akid + 4, 16, true);
  fecs_rand_alnum(f, c->secret, 40, false);
  fecs_rand_alnum(f, tok, 300, false);
  c->token = strdup(tok);
  c->expires_us = now + f->cfg.credentials_ttl_s * 1000000LL;
  c->task = t;
  if (!c->token || !VPUSH(f->creds, f->n_creds, f->cap_creds, c)) {
    cred_free(c);
    return NULL;
  }
  return c;
}

fecs_cred_rec *fecs_task_cred_locked(fecs *f, fecs_task_rec *t) {
  int64_t now = fecs_now_us(f);
  /* ECS rotates role credentials well before they expire; 15 minutes
   * keeps SDKs (which refresh 5 minutes ahead) from ever seeing stale ones */
  if (!t->cred || t->cred->expires_us - now < 15 * 60 * 1000000LL) {
    fecs_cred_rec *c = cred_issue(f, t, now);
    if (c)
      t->cred = c;
  }
  return t->cred;
}

/* ---- task creation ------------------------------------------------------ */

static void task_free(fecs_task_rec *t) {
  if (!t)
    return;
  free(t->arn);
  free(t->group);
  free(t->started_by);
  free(t->launch_type);
  free(t->stop_code);
  free(t->stopped_reason);
  free(t->role_arn);
  for (size_t i = 0; i < t->n_ctrs; i++) {
    fecs_ctr *c = &t->ctrs[i];
    free(c->name);
    free(c->image);
    free(c->arn);
    free(c->runtime_id);
    free(c->reason);
  }
  free(t->ctrs);
  cJSON_Delete(t->tags);
  free(t->wire[0]);
  free(t->wire[1]);
  fecs_engine_free(t->eng);
  free(t);
}

static bool ip_in_use(fecs *f, const char *ip) {
  for (size_t i = 0; i < f->n_tasks; i++) {
    fecs_task_state ts;
    fecs_task_state_locked(f->tasks[i], &ts);
    if (ts.status != FECS_LS_STOPPED && !strcmp(f->tasks[i]->ip, ip))
      return true;
  }
  return false;
}

/* The built-in allocator: the next address of the configured range whose
 * host octet is not 0 or 255; addresses of stopped tasks are reused only
 * once the range has been handed out completely. */
static int ip_alloc(fecs *f, char *out, ecsb_err *err) {
  uint32_t count = f->cfg.task_ip_count;
  for (uint32_t tries = 0; tries < count; tries++) {
    uint32_t off = (uint32_t)(f->ip_next % count);
    f->ip_next++;
    uint32_t a = f->ip_first + off;
    if ((a & 0xff) == 0 || (a & 0xff) == 255 || (a >> 24) != 127)
      continue;
    struct in_addr in = {.s_addr = htonl(a)};
    inet_ntop(AF_INET, &in, out, FECS_IP_MAX);
    if (f->ip_next <= count || !ip_in_use(f, out))
      return 0;
  }
  return ecsb_err_set(err, ECSB_ESTATE,
                      "fake-ecs: no free task address in the %u addresses "
                      "from %s (fecs_config.task_ip_first/task_ip_count)",
                      count, f->cfg.task_ip_first);
}

void fecs_plan_locked(fecs *f, fecs_task_rec *t) {
  if (!t->pending_plan && VPUSH(f->pending, f->n_pending, f->cap_pending, t))
    t->pending_plan = true;
}

int fecs_task_create_locked(fecs *f, const fecs_new_task *nt,
                            fecs_task_rec **out, ecsb_err *err) {
  if (f->n_tasks >= f->cfg.max_tasks)
    return ecsb_err_set(err, ECSB_ETOOBIG,
                        "fake-ecs holds its limit of %zu tasks "
                        "(fecs_config.max_tasks)",
                        f->cfg.max_tasks);
  int64_t now = fecs_now_us(f);
  fecs_task_rec *t = calloc(1, sizeof *t);
  if (!t)
    goto oom;
  t->seq = f->n_tasks + 1;
  do {
    fecs_rand_hex(f, t->id, 32);
  } while (index_get(f, t->id));
  t->cl = nt->cl;
  t->td = nt->td;
  t->arn = fecs_strprintf("arn:aws:ecs:%s:%s:task/%s/%s", f->cfg.region,
                          f->cfg.account_id, nt->cl->name, t->id);
  t->group = nt->group ? strdup(nt->group)
                       : fecs_strprintf("family:%s", nt->td->family);
  t->started_by = nt->started_by ? strdup(nt->started_by) : NULL;
  t->launch_type = strdup(nt->launch_type ? nt->launch_type : "FARGATE");
  t->role_arn = nt->td->task_role_arn
                    ? strdup(nt->td->task_role_arn)
                    : fecs_strprintf("arn:aws:iam::%s:role/ecsboot-task-role",
                                     f->cfg.account_id);
  if (!t->arn || !t->group || (nt->started_by && !t->started_by) ||
      !t->launch_type || !t->role_arn)
    goto oom;
  if (nt->tags && !(t->tags = cJSON_Duplicate(nt->tags, 1)))
    goto oom;
  if (nt->ip) {
    snprintf(t->ip, sizeof t->ip, "%s", nt->ip);
  } else if (!f->cfg.task_ip ||
             f->cfg.task_ip(f->cfg.task_ip_user, nt->td->family, t->group,
                            t->seq, t->ip) != 0 ||
             !ecsb_ip_is_loopback(t->ip)) {
    int rc = ip_alloc(f, t->ip, err);
    if (rc) {
      task_free(t);
      return rc;
    }
  }
  /* The ENI attachment a Fargate/awsvpc task carries. */
  fecs_rand_uuid(f, t->attachment_id);
  memcpy(t->eni, "eni-", 4);
  fecs_rand_hex(f, t->eni + 4, 17);
  memcpy(t->subnet, "subnet-", 7);
  fecs_rand_hex(f, t->subnet + 7, 17);
  char m[11];
  fecs_rand_hex(f, m, 10);
  snprintf(t->mac, sizeof t->mac, "0a:%c%c:%c%c:%c%c:%c%c:%c%c", m[0], m[1],
           m[2], m[3], m[4], m[5], m[6], m[7], m[8], m[9]);
  snprintf(t->az, sizeof t->az, "%sa", f->cfg.region);
  fecs_rand_uuid(f, t->cred_id);
  fecs_rand_hex(f, t->auth_token, 64);
  t->status = FECS_LS_PROVISIONING;
  t->created_us = now;
  t->version = 1;
  t->pull_started_us = t->pull_stopped_us = t->started_us = t->connectivity_us =
      t->stopping_us = t->exec_stopped_us = t->stopped_us = FECS_NEVER_US;
  t->run_at_us = t->stop_at_us = t->fault_stop_after_us = t->fault_stop_at_us =
      FECS_NEVER_US;

  t->ctrs = calloc(nt->td->n_cdefs ? nt->td->n_cdefs : 1, sizeof *t->ctrs);
  if (!t->ctrs)
    goto oom;
  for (size_t i = 0; i < nt->td->n_cdefs; i++) {
    const fecs_cdef *d = &nt->td->cdefs[i];
    fecs_ctr *c = &t->ctrs[t->n_ctrs++];
    char uuid[37], digits[11];
    fecs_rand_uuid(f, uuid);
    for (int k = 0; k < 10; k++)
      digits[k] = (char)('0' + ecsb_rng_below(&f->rng, 10));
    digits[10] = '\0';
    c->name = strdup(d->name);
    c->image = strdup(d->image);
    c->arn =
        fecs_strprintf("arn:aws:ecs:%s:%s:container/%s/%s/%s", f->cfg.region,
                       f->cfg.account_id, nt->cl->name, t->id, uuid);
    /* Fargate's DockerId shape: <task id>-<digits> */
    c->runtime_id = fecs_strprintf("%s-%s", t->id, digits);
    c->essential = d->essential;
    c->has_hc = d->has_hc;
    c->cpu = d->cpu;
    c->memory = d->memory;
    c->status = FECS_CS_PENDING;
    c->health = FECS_H_UNKNOWN;
    c->health_since_us = c->started_us = c->finished_us = FECS_NEVER_US;
    if (!c->name || !c->image || !c->arn || !c->runtime_id)
      goto oom;
  }
  if (!fecs_task_cred_locked(f, t))
    goto oom;
  if (!VPUSH(f->tasks, f->n_tasks, f->cap_tasks, t)) {
    goto oom;
  }
  if (!index_put(f, t)) {
    f->n_tasks--;
    goto oom;
  }
  f->stats.tasks++;
  fecs_emit_task_locked(f, t, now);
  if (f->cfg.auto_lifecycle) {
    t->run_at_us = now + f->cfg.start_delay_ms * 1000;
    fecs_task_fault tf;
    if (fecs_faults_match_task(f->faults, nt->td->family, t->group,
                               t->started_by, &tf)) {
      const char *what = "late";
      if (tf.kind == FECS_TF_LATE) {
        t->run_at_us += tf.delay_ms * 1000;
      } else if (tf.kind == FECS_TF_NEVER_RUNNING) {
        t->hold_pending = true;
        what = "never-running";
      } else {
        t->fault_stop_after_us = tf.delay_ms * 1000;
        t->fault_exit_code = tf.exit_code ? tf.exit_code : 1;
        what = "stop-after-start";
      }
      fecs_hook_event ev = {.kind = FECS_HOOK_FAULT,
                            .wall_us = now,
                            .fault = what,
                            .task_arn = t->arn,
                            .detail = nt->td->family};
      fecs_emit_locked(f, &ev);
      f->stats.faults_injected++;
    }
    fecs_plan_locked(f, t);
  }
  *out = t;
  return 0;
oom:
  if (t && t->cred)
    t->cred->task = NULL;
  task_free(t);
  return ecsb_err_set(err, ECSB_ENOMEM, "fake-ecs: out of memory");
}

/* ---- teardown ----------------------------------------------------------- */

void fecs_state_free(fecs *f) {
  for (size_t i = 0; i < f->n_tasks; i++)
    task_free(f->tasks[i]);
  free(f->tasks);
  free(f->by_id);
  free(f->pending);
  for (size_t i = 0; i < f->n_creds; i++)
    cred_free(f->creds[i]);
  free(f->creds);
  for (size_t i = 0; i < f->n_services; i++)
    service_free(f->services[i]);
  free(f->services);
  for (size_t i = 0; i < f->n_families; i++) {
    fecs_family *fm = f->families[i];
    for (size_t j = 0; j < fm->n; j++)
      fecs_taskdef_free(fm->revs[j]);
    free(fm->revs);
    free(fm->name);
    free(fm);
  }
  free(f->families);
  for (size_t i = 0; i < f->n_clusters; i++)
    cluster_free(f->clusters[i]);
  free(f->clusters);
  for (size_t i = 0; i < f->n_q; i++)
    for (size_t j = 0; j < 8; j++)
      free(f->q[i].s[j]);
  free(f->q);
}
