/*
 * json_report.c - writes and reads the JSON report (docs/report-schema.md).
 * Writing serialises the model; reading rebuilds the per-task facts,
 * verdicts, API figures and faults, then lets rpt_run_derive recompute
 * what is derived (readiness, chains, fleet statistics), so a re-loaded
 * report renders exactly like the original.
 */
#include "rpt/json_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/json.h"
#include "rpt/strbuf.h"

/* ---- writing ---- */

static void add_us(cJSON *o, const char *key, int64_t v) {
  if (v == RPT_ABSENT)
    cJSON_AddNullToObject(o, key);
  else
    cJSON_AddNumberToObject(o, key, (double)v);
}

static void add_str(cJSON *o, const char *key, const char *v) {
  if (v)
    cJSON_AddStringToObject(o, key, v);
  else
    cJSON_AddNullToObject(o, key);
}

static cJSON *stats_json(const rpt_stats *s) {
  cJSON *o = cJSON_CreateObject();
  if (!o)
    return NULL;
  cJSON_AddNumberToObject(o, "n", (double)s->n);
  add_us(o, "min_us", s->min);
  add_us(o, "p50_us", s->p50);
  add_us(o, "p95_us", s->p95);
  add_us(o, "p99_us", s->p99);
  add_us(o, "max_us", s->max);
  add_us(o, "mean_us", s->mean);
  return o;
}

static cJSON *container_json(const rpt_container *c) {
  cJSON *o = cJSON_CreateObject();
  if (!o)
    return NULL;
  cJSON_AddStringToObject(o, "name", c->name);
  add_str(o, "role", c->role);
  add_str(o, "image", c->image);
  cJSON_AddBoolToObject(o, "essential", c->essential);
  cJSON_AddBoolToObject(o, "health_check", c->health_check);
  cJSON *deps = cJSON_AddArrayToObject(o, "depends_on");
  for (size_t i = 0; deps && i < c->n_deps; i++) {
    cJSON *d = cJSON_CreateObject();
    cJSON_AddItemToArray(deps, d);
    cJSON_AddStringToObject(d, "container", c->deps[i].container);
    cJSON_AddStringToObject(d, "condition", c->deps[i].condition);
  }
  add_us(o, "pending_us", c->pending_at);
  add_us(o, "pull_us", c->pull_at);
  add_us(o, "pulled_us", c->pulled_at);
  add_us(o, "started_us", c->started_at);
  add_us(o, "healthy_us", c->healthy_at);
  add_us(o, "exited_us", c->exited_at);
  if (c->exited_at != RPT_ABSENT)
    cJSON_AddNumberToObject(o, "exit_code", c->exit_code);
  else
    cJSON_AddNullToObject(o, "exit_code");
  add_us(o, "killed_us", c->killed_at);
  add_str(o, "signal", c->signal);
  add_us(o, "ready_us", c->ready_at);
  cJSON *rs = cJSON_AddArrayToObject(o, "restarts");
  for (size_t i = 0; rs && i < c->n_restarts; i++)
    cJSON_AddItemToArray(rs, cJSON_CreateNumber((double)c->restart_at[i]));
  cJSON *h = cJSON_AddArrayToObject(o, "health");
  for (size_t i = 0; h && i < c->n_health; i++) {
    cJSON *e = cJSON_CreateObject();
    cJSON_AddItemToArray(h, e);
    cJSON_AddNumberToObject(e, "t_us", (double)c->health[i].at);
    cJSON_AddBoolToObject(e, "healthy", c->health[i].healthy);
  }
  return o;
}

static cJSON *task_json(const rpt_task *t) {
  cJSON *o = cJSON_CreateObject();
  if (!o)
    return NULL;
  cJSON_AddStringToObject(o, "name", t->name);
  add_str(o, "family", t->family);
  cJSON_AddBoolToObject(o, "server", t->server);
  cJSON_AddNumberToObject(o, "t0_us", (double)t->t0_at);
  cJSON *ms = cJSON_AddObjectToObject(o, "milestones_us");
  for (int m = 0; ms && m < RPT_MS_COUNT; m++)
    if (t->ms[m] != RPT_ABSENT)
      cJSON_AddNumberToObject(ms, rpt_ms_name(m), (double)t->ms[m]);
  cJSON *lag = cJSON_AddObjectToObject(o, "host_lag_us");
  for (int m = 0; lag && m < RPT_MS_COUNT; m++)
    if (t->ms[m] != RPT_ABSENT)
      cJSON_AddNumberToObject(lag, rpt_ms_name(m), (double)t->lag[m]);
  cJSON_AddNumberToObject(o, "host_lag_end_us", (double)t->lag_end);
  cJSON *cpu = cJSON_AddObjectToObject(o, "host_lag_cpu_us");
  for (int m = 0; cpu && m < RPT_MS_COUNT; m++)
    if (t->ms[m] != RPT_ABSENT)
      cJSON_AddNumberToObject(cpu, rpt_ms_name(m), (double)t->lag_cpu[m]);
  cJSON_AddNumberToObject(o, "host_lag_cpu_end_us", (double)t->lag_cpu_end);
  if (t->sampled_end > 0)
    cJSON_AddNumberToObject(o, "host_lag_sampled_end_us",
                            (double)t->sampled_end);
  cJSON *f = cJSON_AddObjectToObject(o, "final");
  if (f) {
    add_str(f, "status", t->status);
    add_str(f, "stop_code", t->stop_code);
    add_str(f, "stop_reason", t->stop_reason);
    cJSON_AddBoolToObject(f, "service_passing", t->service_passing);
  }
  add_us(o, "ready_us", t->ready_off);
  cJSON *sv = cJSON_AddArrayToObject(o, "consul_service");
  for (size_t i = 0; sv && i < t->n_svc; i++) {
    cJSON *e = cJSON_CreateObject();
    cJSON_AddItemToArray(sv, e);
    cJSON_AddNumberToObject(e, "from_us", (double)t->svc[i].from);
    add_us(e, "to_us", t->svc[i].to);
    cJSON_AddBoolToObject(e, "passing", t->svc[i].passing);
  }
  cJSON *cs = cJSON_AddArrayToObject(o, "containers");
  for (size_t i = 0; cs && i < t->n_containers; i++)
    cJSON_AddItemToArray(cs, container_json(&t->containers[i]));
  cJSON *ch = cJSON_AddObjectToObject(o, "critical_chain");
  if (ch) {
    cJSON_AddStringToObject(ch, "goal", rpt_task_goal_name(t));
    add_us(ch, "goal_us", t->chain_goal_off);
    cJSON *links = cJSON_AddArrayToObject(ch, "links");
    for (size_t i = 0; links && i < t->n_chain; i++) {
      const rpt_link *l = &t->chain[i];
      cJSON *e = cJSON_CreateObject();
      cJSON_AddItemToArray(links, e);
      cJSON_AddStringToObject(e, "container", t->containers[l->container].name);
      add_str(e, "condition", l->why);
      cJSON_AddNumberToObject(e, "start_us", (double)l->start_off);
      cJSON_AddNumberToObject(e, "duration_us", (double)l->dur);
    }
  }
  return o;
}

static cJSON *verdict_json(const rpt_verdict *v) {
  cJSON *o = cJSON_CreateObject();
  if (!o)
    return NULL;
  cJSON_AddStringToObject(o, "name", v->name);
  cJSON_AddStringToObject(o, "path", v->path);
  cJSON_AddStringToObject(o, "kind", v->kind);
  cJSON_AddStringToObject(o, "result", rpt_result_name(v->result));
  add_str(o, "message", v->message);
  add_us(o, "decided_us", v->decided_at);
  cJSON *ft = cJSON_AddArrayToObject(o, "failed_tasks");
  for (size_t i = 0; ft && i < v->n_failed_tasks; i++)
    cJSON_AddItemToArray(ft, cJSON_CreateString(v->failed_tasks[i]));
  cJSON *ev = cJSON_AddArrayToObject(o, "events");
  for (size_t i = 0; ev && i < v->n_refs; i++) {
    const rpt_ref *r = &v->refs[i];
    cJSON *e = cJSON_CreateObject();
    cJSON_AddItemToArray(ev, e);
    cJSON_AddNumberToObject(e, "t_us", (double)r->at);
    cJSON_AddStringToObject(e, "kind", r->kind);
    add_str(e, "task", r->task);
    add_str(e, "container", r->container);
    add_str(e, "note", r->note);
  }
  return o;
}

static cJSON *run_json(const rpt_run *r) {
  cJSON *o = cJSON_CreateObject();
  if (!o)
    return NULL;
  cJSON_AddStringToObject(o, "scenario", r->scenario);
  add_str(o, "description", r->description);
  cJSON_AddNumberToObject(o, "seed", (double)r->seed);
  cJSON_AddNumberToObject(o, "time_scale", r->time_scale);
  add_str(o, "wall_start", r->wall_start);
  add_str(o, "ecsboot_version", r->ecsboot_version);
  cJSON *log = cJSON_AddObjectToObject(o, "log");
  if (log) {
    add_str(log, "path", r->log_path);
    cJSON_AddBoolToObject(log, "complete", r->complete);
    cJSON_AddBoolToObject(log, "torn_tail", r->torn_tail);
    add_str(log, "end_reason", r->end_reason);
    cJSON_AddNumberToObject(log, "events", (double)r->n_events);
    cJSON_AddNumberToObject(log, "end_us", (double)r->end_at);
    cJSON_AddNumberToObject(log, "tasks_end_us", (double)r->tasks_end_at);
  }
  add_str(o, "expect_error", r->expect_error);
  cJSON *sum = cJSON_AddObjectToObject(o, "summary");
  if (sum) {
    size_t f = rpt_run_failures(r), u = rpt_run_undecided(r),
           i = rpt_run_inconclusive(r);
    cJSON_AddNumberToObject(sum, "expectations", (double)r->n_verdicts);
    cJSON_AddNumberToObject(sum, "passed", (double)(r->n_verdicts - f - u - i));
    cJSON_AddNumberToObject(sum, "failed", (double)f);
    cJSON_AddNumberToObject(sum, "undecided", (double)u);
    cJSON_AddNumberToObject(sum, "inconclusive", (double)i);
    cJSON_AddNumberToObject(sum, "tasks", (double)r->n_tasks);
    cJSON_AddNumberToObject(sum, "app_tasks", (double)r->n_app_tasks);
  }
  cJSON *vs = cJSON_AddArrayToObject(o, "verdicts");
  for (size_t i = 0; vs && i < r->n_verdicts; i++)
    cJSON_AddItemToArray(vs, verdict_json(&r->verdicts[i]));
  cJSON *ms = cJSON_AddObjectToObject(o, "milestones");
  for (int m = 0; ms && m < RPT_MS_COUNT; m++)
    cJSON_AddItemToObject(ms, rpt_ms_name(m), stats_json(&r->ms[m]));
  /* Derived from the tasks' host_lag_us (recomputed when read back). */
  cJSON *hs = cJSON_CreateObject();
  for (int m = 0; hs && m < RPT_MS_COUNT; m++)
    if (r->host_share[m].n && r->host_share[m].max > 0) {
      cJSON *e = cJSON_AddObjectToObject(hs, rpt_ms_name(m));
      cJSON_AddNumberToObject(e, "n", (double)r->host_share[m].n);
      cJSON_AddNumberToObject(e, "p50", (double)r->host_share[m].p50);
      cJSON_AddNumberToObject(e, "p95", (double)r->host_share[m].p95);
      cJSON_AddNumberToObject(e, "max", (double)r->host_share[m].max);
    }
  if (cJSON_GetArraySize(hs) > 0)
    cJSON_AddItemToObject(o, "host_share_permille", hs);
  else
    cJSON_Delete(hs);
  if (r->fit_share >= 0)
    cJSON_AddNumberToObject(o, "fit_share_permille", (double)r->fit_share);
  if (r->fit_time_scale > 0)
    cJSON_AddNumberToObject(o, "fit_time_scale", r->fit_time_scale);
  cJSON *cs = cJSON_AddArrayToObject(o, "containers");
  for (size_t i = 0; cs && i < r->n_ctr; i++) {
    const rpt_ctr_stats *c = &r->ctr[i];
    cJSON *e = cJSON_CreateObject();
    cJSON_AddItemToArray(cs, e);
    cJSON_AddStringToObject(e, "name", c->name);
    add_str(e, "role", c->role);
    cJSON_AddItemToObject(e, "wait", stats_json(&c->wait));
    cJSON_AddItemToObject(e, "start_to_ready", stats_json(&c->start_to_ready));
    cJSON_AddItemToObject(e, "start_to_healthy",
                          stats_json(&c->start_to_healthy));
    cJSON_AddItemToObject(e, "start_to_exit", stats_json(&c->start_to_exit));
  }
  cJSON *api = cJSON_AddArrayToObject(o, "ecs_api");
  for (size_t i = 0; api && i < r->n_api; i++) {
    const rpt_api_op *a = &r->api[i];
    cJSON *e = cJSON_CreateObject();
    cJSON_AddItemToArray(api, e);
    cJSON_AddStringToObject(e, "operation", a->operation);
    cJSON_AddNumberToObject(e, "count", (double)a->count);
    cJSON_AddNumberToObject(e, "errors", (double)a->errors);
    cJSON_AddNumberToObject(e, "throttles", (double)a->throttles);
    cJSON_AddItemToObject(e, "latency", stats_json(&a->latency));
  }
  cJSON *con = cJSON_AddObjectToObject(o, "consul");
  for (size_t i = 0; con && i < r->n_consul; i++)
    cJSON_AddNumberToObject(con, r->consul[i].kind, (double)r->consul[i].n);
  cJSON *fs = cJSON_AddArrayToObject(o, "faults");
  for (size_t i = 0; fs && i < r->n_faults; i++) {
    const rpt_fault *f = &r->faults[i];
    cJSON *e = cJSON_CreateObject();
    cJSON_AddItemToArray(fs, e);
    cJSON_AddNumberToObject(e, "t_us", (double)f->at);
    add_str(e, "task", f->task);
    add_str(e, "container", f->container);
    add_str(e, "target", f->target);
    add_str(e, "action", f->action);
    cJSON *p = f->params ? cJSON_Parse(f->params) : NULL;
    if (p)
      cJSON_AddItemToObject(e, "params", p);
    else
      cJSON_AddNullToObject(e, "params");
  }
  cJSON *ts = cJSON_AddArrayToObject(o, "tasks");
  for (size_t i = 0; ts && i < r->n_tasks; i++)
    cJSON_AddItemToArray(ts, task_json(&r->tasks[i]));
  return o;
}

/* cJSON's Add* helpers return NULL on allocation failure and leave the
 * parent short; a document with a missing member is caught here. */
static bool complete_doc(const cJSON *o) {
  for (const cJSON *c = o ? o->child : NULL; c; c = c->next)
    if (!complete_doc(c))
      return false;
  return o != NULL;
}

cJSON *rpt_json_build(rpt_run *const *runs, size_t n) {
  cJSON *doc = cJSON_CreateObject();
  if (!doc)
    return NULL;
  cJSON_AddStringToObject(doc, "schema", RPT_REPORT_SCHEMA);
  cJSON_AddNumberToObject(doc, "version", RPT_REPORT_VERSION);
  cJSON *arr = cJSON_AddArrayToObject(doc, "runs");
  for (size_t i = 0; arr && i < n; i++) {
    cJSON *r = run_json(runs[i]);
    if (!r || !cJSON_AddItemToArray(arr, r)) {
      cJSON_Delete(r);
      cJSON_Delete(doc);
      return NULL;
    }
  }
  if (!arr || !complete_doc(doc) || cJSON_GetArraySize(arr) != (int)n) {
    cJSON_Delete(doc);
    return NULL;
  }
  return doc;
}

char *rpt_json_render(rpt_run *const *runs, size_t n) {
  cJSON *doc = rpt_json_build(runs, n);
  if (!doc)
    return NULL;
  char *s = cJSON_Print(doc);
  cJSON_Delete(doc);
  if (!s)
    return NULL;
  size_t len = strlen(s);
  char *out = realloc(s, len + 2);
  if (!out) {
    free(s);
    return NULL;
  }
  out[len] = '\n';
  out[len + 1] = '\0';
  return out;
}

/* ---- reading ---- */

typedef struct rd {
  const char *name;
  ecsb_err *err;
} rd;

/* Adds the file name in front of a message set below; returns rc. */
static int fail(rd *d, int rc) {
  ecsb_err_prefix(d->err, "%s", d->name);
  return rc;
}

static int oom(rd *d) {
  return ecsb_err_set(d->err, ECSB_ENOMEM, "out of memory loading %s", d->name);
}

/* String or null/absent (-> NULL) into a fresh copy. */
static int get_sdup(rd *d, const cJSON *o, const char *path, const char *key,
                    bool required, char **out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  *out = NULL;
  if (!v || cJSON_IsNull(v)) {
    if (required)
      return fail(
          d, ecsb_err_set(d->err, ECSB_EINVAL, "%s.%s: required", path, key));
    return 0;
  }
  if (!cJSON_IsString(v))
    return fail(d, ecsb_err_set(d->err, ECSB_EINVAL, "%s.%s: expected a string",
                                path, key));
  return (*out = strdup(v->valuestring)) ? 0 : oom(d);
}

/* Number or null (-> RPT_ABSENT). */
static int get_us(rd *d, const cJSON *o, const char *path, const char *key,
                  int64_t *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  *out = RPT_ABSENT;
  if (!v || cJSON_IsNull(v))
    return 0;
  if (!cJSON_IsNumber(v))
    return fail(d, ecsb_err_set(d->err, ECSB_EINVAL,
                                "%s.%s: expected a number or null", path, key));
  *out = (int64_t)v->valuedouble;
  return 0;
}

static int get_flag(rd *d, const cJSON *o, const char *path, const char *key,
                    bool *out) {
  int rc = ecsb_json_get_bool(o, path, key, false, out, d->err);
  return rc ? fail(d, rc) : 0;
}

static int get_arr(rd *d, const cJSON *o, const char *path, const char *key,
                   const cJSON **out) {
  *out = NULL;
  int rc = ecsb_json_get_array(o, path, key, false, out, d->err);
  return rc ? fail(d, rc) : 0;
}

static int get_obj(rd *d, const cJSON *o, const char *path, const char *key,
                   const cJSON **out) {
  *out = NULL;
  int rc = ecsb_json_get_object(o, path, key, false, out, d->err);
  return rc ? fail(d, rc) : 0;
}

static int need_obj(rd *d, const cJSON *o, const char *path) {
  if (cJSON_IsObject(o))
    return 0;
  return fail(
      d, ecsb_err_set(d->err, ECSB_EINVAL, "%s: expected an object", path));
}

static int load_stats(rd *d, const cJSON *o, const char *path, rpt_stats *s) {
  int rc;
  int64_t n = 0;
  rpt_stats_of(NULL, 0, s);
  if (!o)
    return 0;
  if ((rc = need_obj(d, o, path)))
    return rc;
  if ((rc = ecsb_json_get_int(o, path, "n", false, 0, INT64_MAX / 2, &n,
                              d->err)))
    return fail(d, rc);
  s->n = (size_t)n;
  if ((rc = get_us(d, o, path, "min_us", &s->min)) ||
      (rc = get_us(d, o, path, "p50_us", &s->p50)) ||
      (rc = get_us(d, o, path, "p95_us", &s->p95)) ||
      (rc = get_us(d, o, path, "p99_us", &s->p99)) ||
      (rc = get_us(d, o, path, "max_us", &s->max)) ||
      (rc = get_us(d, o, path, "mean_us", &s->mean)))
    return rc;
  return 0;
}

static int load_container(rd *d, const cJSON *o, const char *p,
                          rpt_container *c) {
  int rc;
  const cJSON *deps, *health, *restarts;
  int64_t code = RPT_ABSENT;
  memset(c, 0, sizeof *c);
  if ((rc = need_obj(d, o, p)) ||
      (rc = get_sdup(d, o, p, "name", true, &c->name)) ||
      (rc = get_sdup(d, o, p, "role", false, &c->role)) ||
      (rc = get_sdup(d, o, p, "image", false, &c->image)) ||
      (rc = get_flag(d, o, p, "essential", &c->essential)) ||
      (rc = get_flag(d, o, p, "health_check", &c->health_check)) ||
      (rc = get_us(d, o, p, "pending_us", &c->pending_at)) ||
      (rc = get_us(d, o, p, "pull_us", &c->pull_at)) ||
      (rc = get_us(d, o, p, "pulled_us", &c->pulled_at)) ||
      (rc = get_us(d, o, p, "started_us", &c->started_at)) ||
      (rc = get_us(d, o, p, "healthy_us", &c->healthy_at)) ||
      (rc = get_us(d, o, p, "exited_us", &c->exited_at)) ||
      (rc = get_us(d, o, p, "exit_code", &code)) ||
      (rc = get_us(d, o, p, "killed_us", &c->killed_at)) ||
      (rc = get_sdup(d, o, p, "signal", false, &c->signal)) ||
      (rc = get_arr(d, o, p, "depends_on", &deps)) ||
      (rc = get_arr(d, o, p, "health", &health)) ||
      (rc = get_arr(d, o, p, "restarts", &restarts)))
    return rc;
  c->exit_code = code == RPT_ABSENT ? 0 : (int)code;
  c->ready_at = RPT_ABSENT;
  c->not_started_at = RPT_ABSENT; /* the JSON report does not carry it */
  int nr = restarts ? cJSON_GetArraySize(restarts) : 0;
  if (nr && !(c->restart_at = calloc((size_t)nr, sizeof *c->restart_at)))
    return oom(d);
  for (int i = 0; i < nr; i++) {
    const cJSON *e = cJSON_GetArrayItem(restarts, i);
    if (!cJSON_IsNumber(e))
      return fail(d, ecsb_err_set(d->err, ECSB_EINVAL,
                                  "%s.restarts[%d]: expected a number", p, i));
    c->restart_at[c->n_restarts++] = (int64_t)e->valuedouble;
  }
  int nd = deps ? cJSON_GetArraySize(deps) : 0;
  if (nd && !(c->deps = calloc((size_t)nd, sizeof *c->deps)))
    return oom(d);
  for (int i = 0; i < nd; i++) {
    char dp[300];
    rpt_pathf(dp, sizeof dp, "%s.depends_on[%d]", p, i);
    const cJSON *e = cJSON_GetArrayItem(deps, i);
    c->n_deps++;
    if ((rc = need_obj(d, e, dp)) ||
        (rc = get_sdup(d, e, dp, "container", true, &c->deps[i].container)) ||
        (rc = get_sdup(d, e, dp, "condition", true, &c->deps[i].condition)))
      return rc;
  }
  int nh = health ? cJSON_GetArraySize(health) : 0;
  if (nh && !(c->health = calloc((size_t)nh, sizeof *c->health)))
    return oom(d);
  for (int i = 0; i < nh; i++) {
    char hp[300];
    rpt_pathf(hp, sizeof hp, "%s.health[%d]", p, i);
    const cJSON *e = cJSON_GetArrayItem(health, i);
    if ((rc = need_obj(d, e, hp)) ||
        (rc = get_us(d, e, hp, "t_us", &c->health[i].at)) ||
        (rc = get_flag(d, e, hp, "healthy", &c->health[i].healthy)))
      return rc;
    c->n_health++;
  }
  return 0;
}

/* An object of milestone name -> microseconds into out[] (absent or null:
 * `none`). */
static int load_ms_map(rd *d, const cJSON *obj, const char *p, const char *key,
                       int64_t none, int64_t out[RPT_MS_COUNT]) {
  char sp[300];
  rpt_pathf(sp, sizeof sp, "%s.%s", p, key);
  const cJSON *m;
  cJSON_ArrayForEach(m, obj) {
    int k = rpt_ms_parse(m->string);
    if (k < 0)
      return fail(d, ecsb_err_set(d->err, ECSB_EINVAL,
                                  "%s.%s: unknown milestone", sp, m->string));
    int rc = get_us(d, obj, sp, m->string, &out[k]);
    if (rc)
      return rc;
    if (out[k] == RPT_ABSENT)
      out[k] = none;
  }
  return 0;
}

static int load_task(rd *d, const cJSON *o, const char *p, rpt_task *t) {
  int rc;
  const cJSON *ms, *fin, *cs, *lag, *lcpu, *sv;
  memset(t, 0, sizeof *t);
  for (int m = 0; m < RPT_MS_COUNT; m++)
    t->ms[m] = RPT_ABSENT;
  t->chain_goal_off = RPT_ABSENT;
  if ((rc = need_obj(d, o, p)) ||
      (rc = get_sdup(d, o, p, "name", true, &t->name)) ||
      (rc = get_sdup(d, o, p, "family", false, &t->family)) ||
      (rc = get_flag(d, o, p, "server", &t->server)) ||
      (rc = get_us(d, o, p, "t0_us", &t->t0_at)) ||
      (rc = get_obj(d, o, p, "milestones_us", &ms)) ||
      (rc = get_obj(d, o, p, "host_lag_us", &lag)) ||
      (rc = get_us(d, o, p, "host_lag_end_us", &t->lag_end)) ||
      (rc = get_obj(d, o, p, "host_lag_cpu_us", &lcpu)) ||
      (rc = get_us(d, o, p, "host_lag_cpu_end_us", &t->lag_cpu_end)) ||
      (rc = get_us(d, o, p, "host_lag_sampled_end_us", &t->sampled_end)) ||
      (rc = get_obj(d, o, p, "final", &fin)) ||
      (rc = get_arr(d, o, p, "consul_service", &sv)) ||
      (rc = get_arr(d, o, p, "containers", &cs)))
    return rc;
  if (t->t0_at == RPT_ABSENT)
    t->t0_at = 0;
  char sp[300];
  if ((rc = load_ms_map(d, ms, p, "milestones_us", RPT_ABSENT, t->ms)))
    return rc;
  /* reports written before host lag was measured have none */
  if (t->lag_end == RPT_ABSENT)
    t->lag_end = 0;
  if ((rc = load_ms_map(d, lag, p, "host_lag_us", 0, t->lag)))
    return rc;
  /* nor a CPU part before the processes' CPU work was charged */
  if (t->lag_cpu_end == RPT_ABSENT)
    t->lag_cpu_end = 0;
  if (t->sampled_end == RPT_ABSENT)
    t->sampled_end = 0;
  else if (t->sampled_end < 0)
    return fail(d, ecsb_err_set(d->err, ECSB_EINVAL,
                                "%s.host_lag_sampled_end_us: expected a run "
                                "time >= 0",
                                p));
  if ((rc = load_ms_map(d, lcpu, p, "host_lag_cpu_us", 0, t->lag_cpu)))
    return rc;
  if (fin) {
    rpt_pathf(sp, sizeof sp, "%s.final", p);
    if ((rc = get_sdup(d, fin, sp, "status", false, &t->status)) ||
        (rc = get_sdup(d, fin, sp, "stop_code", false, &t->stop_code)) ||
        (rc = get_sdup(d, fin, sp, "stop_reason", false, &t->stop_reason)) ||
        (rc = get_flag(d, fin, sp, "service_passing", &t->service_passing)))
      return rc;
  }
  int ns = sv ? cJSON_GetArraySize(sv) : 0;
  if (ns && !(t->svc = calloc((size_t)ns, sizeof *t->svc)))
    return oom(d);
  for (int i = 0; i < ns; i++) {
    rpt_pathf(sp, sizeof sp, "%s.consul_service[%d]", p, i);
    const cJSON *e = cJSON_GetArrayItem(sv, i);
    rpt_svc_span *v = &t->svc[i];
    if ((rc = need_obj(d, e, sp)) ||
        (rc = get_us(d, e, sp, "from_us", &v->from)) ||
        (rc = get_us(d, e, sp, "to_us", &v->to)) ||
        (rc = get_flag(d, e, sp, "passing", &v->passing)))
      return rc;
    if (v->from == RPT_ABSENT)
      return fail(d, ecsb_err_set(d->err, ECSB_EINVAL,
                                  "%s.from_us: expected a number", sp));
    t->n_svc++;
  }
  int nc = cs ? cJSON_GetArraySize(cs) : 0;
  if (nc && !(t->containers = calloc((size_t)nc, sizeof *t->containers)))
    return oom(d);
  for (int i = 0; i < nc; i++) {
    rpt_pathf(sp, sizeof sp, "%s.containers[%d]", p, i);
    t->n_containers++;
    if ((rc = load_container(d, cJSON_GetArrayItem(cs, i), sp,
                             &t->containers[i])))
      return rc;
  }
  return 0;
}

static int load_verdict(rd *d, const cJSON *o, const char *p, rpt_verdict *v) {
  int rc;
  char *result = NULL;
  const cJSON *ft, *ev;
  memset(v, 0, sizeof *v);
  if ((rc = need_obj(d, o, p)) ||
      (rc = get_sdup(d, o, p, "name", true, &v->name)) ||
      (rc = get_sdup(d, o, p, "path", false, &v->path)) ||
      (rc = get_sdup(d, o, p, "kind", false, &v->kind)) ||
      (rc = get_sdup(d, o, p, "result", true, &result)) ||
      (rc = get_sdup(d, o, p, "message", false, &v->message)) ||
      (rc = get_us(d, o, p, "decided_us", &v->decided_at)) ||
      (rc = get_arr(d, o, p, "failed_tasks", &ft)) ||
      (rc = get_arr(d, o, p, "events", &ev)))
    goto out;
  if (strcmp(result, "pass") == 0)
    v->result = RPT_PASS;
  else if (strcmp(result, "fail") == 0)
    v->result = RPT_FAIL;
  else if (strcmp(result, "undecided") == 0)
    v->result = RPT_UNDECIDED;
  else if (strcmp(result, "inconclusive") == 0)
    v->result = RPT_INCONCLUSIVE;
  else {
    rc = fail(d, ecsb_err_set(d->err, ECSB_EINVAL,
                              "%s.result: \"%s\" is not pass, fail, "
                              "inconclusive or undecided",
                              p, result));
    goto out;
  }
  if ((!v->path && !(v->path = strdup(""))) ||
      (!v->kind && !(v->kind = strdup("")))) {
    rc = oom(d);
    goto out;
  }
  int n = ft ? cJSON_GetArraySize(ft) : 0;
  if (n && !(v->failed_tasks = calloc((size_t)n, sizeof(char *)))) {
    rc = oom(d);
    goto out;
  }
  for (int i = 0; i < n; i++) {
    const cJSON *s = cJSON_GetArrayItem(ft, i);
    if (!cJSON_IsString(s)) {
      rc =
          fail(d, ecsb_err_set(d->err, ECSB_EINVAL,
                               "%s.failed_tasks[%d]: expected a string", p, i));
      goto out;
    }
    if (!(v->failed_tasks[i] = strdup(s->valuestring))) {
      rc = oom(d);
      goto out;
    }
    v->n_failed_tasks++;
  }
  n = ev ? cJSON_GetArraySize(ev) : 0;
  if (n && !(v->refs = calloc((size_t)n, sizeof *v->refs))) {
    rc = oom(d);
    goto out;
  }
  for (int i = 0; i < n; i++) {
    char ep[300];
    rpt_pathf(ep, sizeof ep, "%s.events[%d]", p, i);
    const cJSON *e = cJSON_GetArrayItem(ev, i);
    rpt_ref *r = &v->refs[i];
    v->n_refs++;
    if ((rc = need_obj(d, e, ep)) || (rc = get_us(d, e, ep, "t_us", &r->at)) ||
        (rc = get_sdup(d, e, ep, "kind", true, &r->kind)) ||
        (rc = get_sdup(d, e, ep, "task", false, &r->task)) ||
        (rc = get_sdup(d, e, ep, "container", false, &r->container)) ||
        (rc = get_sdup(d, e, ep, "note", false, &r->note)))
      goto out;
  }
out:
  free(result);
  return rc;
}

static int load_run(rd *d, const cJSON *o, const char *p, rpt_run *r) {
  int rc;
  const cJSON *log, *vs, *api, *con, *fs, *ts;
  int64_t seed = 0;
  const cJSON *v;
  if ((rc = need_obj(d, o, p)) ||
      (rc = get_sdup(d, o, p, "scenario", true, &r->scenario)) ||
      (rc = get_sdup(d, o, p, "description", false, &r->description)) ||
      (rc = get_sdup(d, o, p, "wall_start", false, &r->wall_start)) ||
      (rc = get_sdup(d, o, p, "ecsboot_version", false, &r->ecsboot_version)) ||
      (rc = get_sdup(d, o, p, "expect_error", false, &r->expect_error)) ||
      (rc = get_us(d, o, p, "seed", &seed)) ||
      (rc = get_obj(d, o, p, "log", &log)) ||
      (rc = get_arr(d, o, p, "verdicts", &vs)) ||
      (rc = get_arr(d, o, p, "ecs_api", &api)) ||
      (rc = get_obj(d, o, p, "consul", &con)) ||
      (rc = get_arr(d, o, p, "faults", &fs)) ||
      (rc = get_arr(d, o, p, "tasks", &ts)))
    return rc;
  r->seed = seed == RPT_ABSENT ? 0 : seed;
  v = cJSON_GetObjectItemCaseSensitive(o, "time_scale");
  if (v && (!cJSON_IsNumber(v) || v->valuedouble <= 0))
    return fail(d,
                ecsb_err_set(d->err, ECSB_EINVAL,
                             "%s.time_scale: expected a positive number", p));
  r->time_scale = v ? v->valuedouble : 1;
  char sp[300];
  if (log) {
    int64_t n = 0, end = 0, tasks_end = 0;
    rpt_pathf(sp, sizeof sp, "%s.log", p);
    if ((rc = get_sdup(d, log, sp, "path", false, &r->log_path)) ||
        (rc = get_flag(d, log, sp, "complete", &r->complete)) ||
        (rc = get_flag(d, log, sp, "torn_tail", &r->torn_tail)) ||
        (rc = get_sdup(d, log, sp, "end_reason", false, &r->end_reason)) ||
        (rc = get_us(d, log, sp, "events", &n)) ||
        (rc = get_us(d, log, sp, "end_us", &end)) ||
        (rc = get_us(d, log, sp, "tasks_end_us", &tasks_end)))
      return rc;
    r->n_events = n == RPT_ABSENT ? 0 : (size_t)n;
    r->end_at = end == RPT_ABSENT ? 0 : end;
    r->tasks_end_at = tasks_end == RPT_ABSENT ? r->end_at : tasks_end;
  }
  int n = vs ? cJSON_GetArraySize(vs) : 0;
  if (n && !(r->verdicts = calloc((size_t)n, sizeof *r->verdicts)))
    return oom(d);
  for (int i = 0; i < n; i++) {
    rpt_pathf(sp, sizeof sp, "%s.verdicts[%d]", p, i);
    r->n_verdicts++;
    if ((rc = load_verdict(d, cJSON_GetArrayItem(vs, i), sp, &r->verdicts[i])))
      return rc;
  }
  n = api ? cJSON_GetArraySize(api) : 0;
  if (n && !(r->api = calloc((size_t)n, sizeof *r->api)))
    return oom(d);
  for (int i = 0; i < n; i++) {
    rpt_pathf(sp, sizeof sp, "%s.ecs_api[%d]", p, i);
    const cJSON *e = cJSON_GetArrayItem(api, i);
    rpt_api_op *a = &r->api[i];
    const cJSON *lat;
    int64_t c = 0, er = 0, th = 0;
    r->n_api++;
    if ((rc = need_obj(d, e, sp)) ||
        (rc = get_sdup(d, e, sp, "operation", true, &a->operation)) ||
        (rc = get_us(d, e, sp, "count", &c)) ||
        (rc = get_us(d, e, sp, "errors", &er)) ||
        (rc = get_us(d, e, sp, "throttles", &th)) ||
        (rc = get_obj(d, e, sp, "latency", &lat)))
      return rc;
    a->count = c == RPT_ABSENT ? 0 : (size_t)c;
    a->errors = er == RPT_ABSENT ? 0 : (size_t)er;
    a->throttles = th == RPT_ABSENT ? 0 : (size_t)th;
    char lp[320];
    rpt_pathf(lp, sizeof lp, "%s.latency", sp);
    if ((rc = load_stats(d, lat, lp, &a->latency)))
      return rc;
  }
  n = con ? cJSON_GetArraySize(con) : 0;
  if (n && !(r->consul = calloc((size_t)n, sizeof *r->consul)))
    return oom(d);
  for (const cJSON *e = con ? con->child : NULL; e; e = e->next) {
    if (!cJSON_IsNumber(e))
      return fail(d, ecsb_err_set(d->err, ECSB_EINVAL,
                                  "%s.consul.%s: expected a number", p,
                                  e->string));
    rpt_count *k = &r->consul[r->n_consul++];
    k->n = (size_t)e->valuedouble;
    if (!(k->kind = strdup(e->string)))
      return oom(d);
  }
  n = fs ? cJSON_GetArraySize(fs) : 0;
  if (n && !(r->faults = calloc((size_t)n, sizeof *r->faults)))
    return oom(d);
  for (int i = 0; i < n; i++) {
    rpt_pathf(sp, sizeof sp, "%s.faults[%d]", p, i);
    const cJSON *e = cJSON_GetArrayItem(fs, i);
    rpt_fault *f = &r->faults[i];
    r->n_faults++;
    if ((rc = need_obj(d, e, sp)) || (rc = get_us(d, e, sp, "t_us", &f->at)) ||
        (rc = get_sdup(d, e, sp, "task", false, &f->task)) ||
        (rc = get_sdup(d, e, sp, "container", false, &f->container)) ||
        (rc = get_sdup(d, e, sp, "target", false, &f->target)) ||
        (rc = get_sdup(d, e, sp, "action", false, &f->action)))
      return rc;
    const cJSON *pa = cJSON_GetObjectItemCaseSensitive(e, "params");
    if (cJSON_IsObject(pa) && !(f->params = cJSON_PrintUnformatted(pa)))
      return oom(d);
  }
  n = ts ? cJSON_GetArraySize(ts) : 0;
  if (n && !(r->tasks = calloc((size_t)n, sizeof *r->tasks)))
    return oom(d);
  for (int i = 0; i < n; i++) {
    rpt_pathf(sp, sizeof sp, "%s.tasks[%d]", p, i);
    r->n_tasks++;
    if ((rc = load_task(d, cJSON_GetArrayItem(ts, i), sp, &r->tasks[i])))
      return rc;
  }
  if ((rc = rpt_run_derive(r, d->err)))
    return rc;
  /* Fleet statistics are recomputed above from the tasks; the document's
   * own copy only matters to other tools. */
  return 0;
}

bool rpt_json_is_report(const cJSON *doc) {
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(doc, "schema");
  return cJSON_IsString(s) && strcmp(s->valuestring, RPT_REPORT_SCHEMA) == 0;
}

int rpt_json_load(const cJSON *doc, const char *name, rpt_run ***runs,
                  size_t *n, ecsb_err *err) {
  rd d = {.name = name, .err = err};
  int64_t version = 0;
  const cJSON *arr = NULL;
  int rc;
  if (!rpt_json_is_report(doc))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s: $.schema: not an ecsboot report (expected "
                        "\"%s\")",
                        name, RPT_REPORT_SCHEMA);
  if ((rc = ecsb_json_get_int(doc, "$", "version", true, 1, INT32_MAX, &version,
                              err)))
    return fail(&d, rc);
  if (version > RPT_REPORT_VERSION)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s: $.version: report version %lld is newer than "
                        "this ecsboot reads (%d)",
                        name, (long long)version, RPT_REPORT_VERSION);
  if ((rc = ecsb_json_get_array(doc, "$", "runs", true, &arr, err)))
    return fail(&d, rc);
  int count = cJSON_GetArraySize(arr);
  rpt_run **nr = realloc(*runs, (*n + (size_t)count + 1) * sizeof *nr);
  if (!nr)
    return oom(&d);
  *runs = nr;
  for (int i = 0; i < count; i++) {
    char p[64];
    snprintf(p, sizeof p, "$.runs[%d]", i);
    rpt_run *r = rpt_run_new();
    if (!r)
      return oom(&d);
    if ((rc = load_run(&d, cJSON_GetArrayItem(arr, i), p, r))) {
      rpt_run_free(r);
      return rc;
    }
    nr[(*n)++] = r;
  }
  return 0;
}
