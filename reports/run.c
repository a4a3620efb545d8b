/*
 * run.c - the report model's lifetime and what is derived from the
 * per-task facts: readiness, critical chains and fleet statistics. Both
 * the log analysis (milestones.c) and the JSON loader (json_report.c) end
 * with rpt_run_derive, so a re-loaded report measures exactly what the
 * original did. Knows nothing of any output format.
 */
#include "rpt/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etd/role.h"
#include "rpt/strbuf.h"

static const char *const ms_names[RPT_MS_COUNT] = {
    "T0", "T1", "T2", "T3", "T4", "S0", "S1", "S2", "S3", "S4"};

const char *rpt_ms_name(int ms) {
  return ms >= 0 && ms < RPT_MS_COUNT ? ms_names[ms] : "?";
}

int rpt_ms_parse(const char *s) {
  for (int i = 0; s && i < RPT_MS_COUNT; i++)
    if (strcmp(s, ms_names[i]) == 0)
      return i;
  return -1;
}

const char *rpt_result_name(rpt_result r) {
  switch (r) {
  case RPT_PASS:
    return "pass";
  case RPT_FAIL:
    return "fail";
  case RPT_INCONCLUSIVE:
    return "inconclusive";
  default:
    return "undecided";
  }
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Nearest rank: the smallest value with at least p% of the sample at or
 * below it. */
static int64_t rank(const int64_t *v, size_t n, int p) {
  size_t k = (size_t)(((unsigned long long)p * n + 99) / 100);
  return v[k ? k - 1 : 0];
}

void rpt_stats_of(int64_t *vals, size_t n, rpt_stats *out) {
  out->n = n;
  if (n == 0) {
    out->min = out->p50 = out->p95 = out->p99 = out->max = out->mean =
        RPT_ABSENT;
    return;
  }
  qsort(vals, n, sizeof *vals, cmp_i64);
  out->min = vals[0];
  out->max = vals[n - 1];
  out->p50 = rank(vals, n, 50);
  out->p95 = rank(vals, n, 95);
  out->p99 = rank(vals, n, 99);
  long double sum = 0;
  for (size_t i = 0; i < n; i++)
    sum += (long double)vals[i];
  out->mean = (int64_t)(sum / (long double)n);
}

rpt_run *rpt_run_new(void) {
  rpt_run *r = calloc(1, sizeof *r);
  if (!r)
    return NULL;
  r->time_scale = 1;
  r->end_at = 0;
  for (int i = 0; i < RPT_MS_COUNT; i++)
    rpt_stats_of(NULL, 0, &r->ms[i]);
  return r;
}

static void container_clear(rpt_container *c) {
  free(c->name);
  free(c->role);
  free(c->image);
  for (size_t i = 0; i < c->n_deps; i++) {
    free(c->deps[i].container);
    free(c->deps[i].condition);
  }
  free(c->deps);
  free(c->signal);
  free(c->not_started_reason);
  free(c->waiting_reason);
  free(c->restart_at);
  free(c->health);
}

void rpt_task_clear(rpt_task *t) {
  if (!t)
    return;
  free(t->name);
  free(t->family);
  free(t->status);
  free(t->stop_code);
  free(t->stop_reason);
  free(t->svc);
  for (size_t i = 0; i < t->n_containers; i++)
    container_clear(&t->containers[i]);
  free(t->containers);
  free(t->chain);
}

void rpt_verdict_clear(rpt_verdict *v) {
  if (!v)
    return;
  free(v->name);
  free(v->path);
  free(v->kind);
  free(v->message);
  for (size_t i = 0; i < v->n_failed_tasks; i++)
    free(v->failed_tasks[i]);
  free(v->failed_tasks);
  for (size_t i = 0; i < v->n_refs; i++) {
    free(v->refs[i].kind);
    free(v->refs[i].task);
    free(v->refs[i].container);
    free(v->refs[i].note);
  }
  free(v->refs);
}

void rpt_run_free(rpt_run *r) {
  if (!r)
    return;
  free(r->scenario);
  free(r->description);
  free(r->wall_start);
  free(r->ecsboot_version);
  free(r->log_path);
  free(r->end_reason);
  for (size_t i = 0; i < r->n_tasks; i++)
    rpt_task_clear(&r->tasks[i]);
  free(r->tasks);
  for (size_t i = 0; i < r->n_ctr; i++) {
    free(r->ctr[i].name);
    free(r->ctr[i].role);
  }
  free(r->ctr);
  for (size_t i = 0; i < r->n_api; i++)
    free(r->api[i].operation);
  free(r->api);
  for (size_t i = 0; i < r->n_consul; i++)
    free(r->consul[i].kind);
  free(r->consul);
  for (size_t i = 0; i < r->n_faults; i++) {
    free(r->faults[i].task);
    free(r->faults[i].container);
    free(r->faults[i].target);
    free(r->faults[i].action);
    free(r->faults[i].params);
  }
  free(r->faults);
  for (size_t i = 0; i < r->n_verdicts; i++)
    rpt_verdict_clear(&r->verdicts[i]);
  free(r->verdicts);
  free(r->expect_error);
  free(r);
}

long rpt_task_container_index(const rpt_task *t, const char *name) {
  for (size_t i = 0; name && i < t->n_containers; i++)
    if (strcmp(t->containers[i].name, name) == 0)
      return (long)i;
  return -1;
}

const rpt_container *rpt_task_container(const rpt_task *t, const char *name) {
  long i = rpt_task_container_index(t, name);
  return i < 0 ? NULL : &t->containers[i];
}

size_t rpt_run_failures(const rpt_run *r) {
  size_t n = 0;
  for (size_t i = 0; i < r->n_verdicts; i++)
    n += r->verdicts[i].result == RPT_FAIL;
  return n;
}

size_t rpt_run_undecided(const rpt_run *r) {
  size_t n = 0;
  for (size_t i = 0; i < r->n_verdicts; i++)
    n += r->verdicts[i].result == RPT_UNDECIDED;
  return n;
}

size_t rpt_run_inconclusive(const rpt_run *r) {
  size_t n = 0;
  for (size_t i = 0; i < r->n_verdicts; i++)
    n += r->verdicts[i].result == RPT_INCONCLUSIVE;
  return n;
}

const rpt_task *rpt_run_slowest(const rpt_run *r) {
  const rpt_task *best = NULL;
  for (size_t i = 0; i < r->n_tasks; i++) {
    const rpt_task *t = &r->tasks[i];
    if (t->server)
      continue;
    if (!best)
      best = t;
    else if (t->ms[RPT_T4] != RPT_ABSENT && (best->ms[RPT_T4] == RPT_ABSENT ||
                                             t->ms[RPT_T4] > best->ms[RPT_T4]))
      best = t;
  }
  return best;
}

int64_t rpt_condition_met_at(const rpt_container *c, const char *condition) {
  if (!condition || strcmp(condition, "START") == 0)
    return c->started_at;
  if (strcmp(condition, "HEALTHY") == 0)
    return c->healthy_at;
  /* A signal is not an end: the process may drain for a while, or ignore
   * it; COMPLETE is its exit. */
  if (strcmp(condition, "COMPLETE") == 0)
    return c->exited_at;
  if (strcmp(condition, "SUCCESS") == 0)
    return c->exited_at != RPT_ABSENT && c->exit_code == 0 ? c->exited_at
                                                           : RPT_ABSENT;
  return RPT_ABSENT;
}

/* When c ended: its exit, or the moment it could not start. */
static int64_t ended_at(const rpt_container *c) {
  return c->exited_at != RPT_ABSENT ? c->exited_at : c->not_started_at;
}

const rpt_container *rpt_task_stop_cause(const rpt_task *t) {
  if (t->ms[RPT_S0] == RPT_ABSENT)
    return NULL;
  int64_t s0 = t->t0_at + t->ms[RPT_S0];
  const rpt_container *best = NULL;
  for (size_t i = 0; i < t->n_containers; i++) {
    const rpt_container *c = &t->containers[i];
    int64_t at = ended_at(c);
    if (!c->essential || at == RPT_ABSENT || at > s0)
      continue;
    if (!best || at > ended_at(best))
      best = c;
  }
  return best;
}

const char *rpt_task_stop_cause_text(const rpt_task *t, char *buf, size_t cap) {
  const rpt_container *c = rpt_task_stop_cause(t);
  if (!c)
    return NULL;
  char o[200], a[32];
  snprintf(buf, cap, "caused by %s (essential) @+%s: %s", c->name,
           rpt_fmt_us(ended_at(c) - t->t0_at, a, sizeof a),
           rpt_container_outcome(c, o, sizeof o));
  return buf;
}

const char *rpt_container_outcome(const rpt_container *c, char *buf,
                                  size_t cap) {
  if (c->started_at == RPT_ABSENT) {
    if (c->not_started_at == RPT_ABSENT && c->waiting_reason)
      snprintf(buf, cap, "waiting: %s", c->waiting_reason);
    else if (c->not_started_at == RPT_ABSENT)
      snprintf(buf, cap, "not started yet");
    else
      snprintf(buf, cap, "never started: %s",
               c->not_started_reason ? c->not_started_reason
                                     : "(no reason given)");
  } else if (c->exited_at != RPT_ABSENT &&
             (c->ready_at == RPT_ABSENT || c->exit_code != 0)) {
    snprintf(buf, cap, "exited %d", c->exit_code);
  } else if (c->ready_at == RPT_ABSENT && c->killed_at != RPT_ABSENT) {
    snprintf(buf, cap, "killed %s", c->signal ? c->signal : "");
  } else if (c->ready_at == RPT_ABSENT) {
    snprintf(buf, cap, "started, never ready");
  } else {
    snprintf(buf, cap, "ready");
  }
  return buf;
}

/* The condition the task's other containers wait for on c: the strongest
 * one named in a dependsOn (an init container is ready when it completes,
 * not when it starts). NULL when nobody waits on it. */
static const char *awaited_condition(const rpt_task *t,
                                     const rpt_container *c) {
  const char *best = NULL;
  int best_rank = 0;
  for (size_t i = 0; i < t->n_containers; i++) {
    const rpt_container *o = &t->containers[i];
    for (size_t d = 0; d < o->n_deps; d++) {
      if (strcmp(o->deps[d].container, c->name) != 0)
        continue;
      const char *cond = o->deps[d].condition;
      int rk = strcmp(cond, "SUCCESS") == 0    ? 4
               : strcmp(cond, "COMPLETE") == 0 ? 3
               : strcmp(cond, "HEALTHY") == 0  ? 2
                                               : 1;
      if (rk > best_rank) {
        best_rank = rk;
        best = cond;
      }
    }
  }
  return best;
}

static void derive_ready(rpt_task *t) {
  for (size_t i = 0; i < t->n_containers; i++) {
    rpt_container *c = &t->containers[i];
    const char *cond = awaited_condition(t, c);
    if (c->health_check)
      c->ready_at = c->healthy_at;
    else if (cond &&
             (strcmp(cond, "SUCCESS") == 0 || strcmp(cond, "COMPLETE") == 0))
      c->ready_at = rpt_condition_met_at(c, cond);
    else
      c->ready_at = c->started_at;
  }
}

static bool is_role(const rpt_container *c, const char *role) {
  return c->role && strcmp(c->role, role) == 0;
}

/* The chain that decided T4: the last application container to become
 * ready before T4, then repeatedly the dependency whose condition was met
 * last before the container started (as systemd-analyze critical-chain
 * follows the unit that was activated last). */
static int derive_chain(rpt_task *t) {
  free(t->chain);
  t->chain = NULL;
  t->n_chain = 0;
  /* A task without mesh is judged by READY (derive_goal), and its chain
   * ends at the essential container that came up last. */
  t->chain_goal_off = t->mesh ? t->ms[RPT_T4] : t->ready_off;
  if (t->chain_goal_off == RPT_ABSENT || t->n_containers == 0)
    return 0;
  int64_t goal = t->t0_at + t->chain_goal_off;
  long top = -1;
  for (int pass = 0; pass < 2 && top < 0; pass++) {
    for (size_t i = 0; i < t->n_containers; i++) {
      const rpt_container *c = &t->containers[i];
      if (pass == 0 && (t->mesh ? !is_role(c, "app") : !c->essential))
        continue;
      if (c->ready_at == RPT_ABSENT || c->ready_at > goal)
        continue;
      if (top < 0 || c->ready_at > t->containers[top].ready_at)
        top = (long)i;
    }
  }
  if (top < 0)
    return 0;
  t->chain = calloc(t->n_containers, sizeof *t->chain);
  if (!t->chain)
    return ECSB_ENOMEM;
  long cur = top;
  const char *why = t->containers[top].health_check ? "HEALTHY" : "START";
  int64_t met = t->containers[top].ready_at;
  while (cur >= 0 && t->n_chain < t->n_containers) {
    const rpt_container *c = &t->containers[cur];
    if (c->started_at == RPT_ABSENT)
      break;
    rpt_link *l = &t->chain[t->n_chain++];
    l->container = (size_t)cur;
    l->why = why;
    l->start_off = c->started_at - t->t0_at;
    l->dur = met != RPT_ABSENT ? met - c->started_at : 0;
    long next = -1;
    int64_t next_met = RPT_ABSENT;
    const char *next_why = NULL;
    for (size_t d = 0; d < c->n_deps; d++) {
      long di = rpt_task_container_index(t, c->deps[d].container);
      if (di < 0)
        continue;
      int64_t m =
          rpt_condition_met_at(&t->containers[di], c->deps[d].condition);
      if (m == RPT_ABSENT || m > c->started_at)
        continue;
      if (next < 0 || m > next_met) {
        next = di;
        next_met = m;
        next_why = c->deps[d].condition;
      }
    }
    cur = next;
    met = next_met;
    why = next_why;
  }
  return 0;
}

static int64_t span(int64_t from, int64_t to) {
  return from == RPT_ABSENT || to == RPT_ABSENT ? RPT_ABSENT : to - from;
}

static int derive_ctr_stats(rpt_run *r) {
  for (size_t i = 0; i < r->n_ctr; i++) {
    free(r->ctr[i].name);
    free(r->ctr[i].role);
  }
  free(r->ctr);
  r->ctr = NULL;
  r->n_ctr = 0;
  /* Container names in first-seen order across the application tasks. */
  size_t cap = 0;
  for (size_t i = 0; i < r->n_tasks; i++)
    if (!r->tasks[i].server)
      cap += r->tasks[i].n_containers;
  if (cap == 0)
    return 0;
  r->ctr = calloc(cap, sizeof *r->ctr);
  int64_t *v[4];
  for (int k = 0; k < 4; k++)
    v[k] = malloc(r->n_tasks * sizeof(int64_t));
  int rc = 0;
  if (!r->ctr || !v[0] || !v[1] || !v[2] || !v[3]) {
    rc = ECSB_ENOMEM;
    goto out;
  }
  for (size_t i = 0; i < r->n_tasks; i++) {
    const rpt_task *t = &r->tasks[i];
    for (size_t c = 0; c < t->n_containers && !t->server; c++) {
      const rpt_container *ct = &t->containers[c];
      size_t j = 0;
      while (j < r->n_ctr && strcmp(r->ctr[j].name, ct->name) != 0)
        j++;
      if (j < r->n_ctr)
        continue;
      r->ctr[j].name = strdup(ct->name);
      r->ctr[j].role = ct->role ? strdup(ct->role) : NULL;
      r->n_ctr++;
      if (!r->ctr[j].name || (ct->role && !r->ctr[j].role)) {
        rc = ECSB_ENOMEM;
        goto out;
      }
    }
  }
  for (size_t j = 0; j < r->n_ctr; j++) {
    size_t n[4] = {0};
    for (size_t i = 0; i < r->n_tasks; i++) {
      const rpt_task *t = &r->tasks[i];
      const rpt_container *c =
          t->server ? NULL : rpt_task_container(t, r->ctr[j].name);
      if (!c)
        continue;
      int64_t s[4] = {span(c->pending_at, c->started_at),
                      span(c->started_at, c->ready_at),
                      span(c->started_at, c->healthy_at),
                      span(c->started_at, c->exited_at)};
      for (int k = 0; k < 4; k++)
        if (s[k] != RPT_ABSENT)
          v[k][n[k]++] = s[k];
    }
    rpt_stats_of(v[0], n[0], &r->ctr[j].wait);
    rpt_stats_of(v[1], n[1], &r->ctr[j].start_to_ready);
    rpt_stats_of(v[2], n[2], &r->ctr[j].start_to_healthy);
    rpt_stats_of(v[3], n[3], &r->ctr[j].start_to_exit);
  }
out:
  for (int k = 0; k < 4; k++)
    free(v[k]);
  return rc;
}

/* The share of each mesh task's time to T4 that was host lag, or of its
 * time to the end of the log when it never got there and did not stop (a
 * run cut short; a task that stopped had what it needed), permille, p50
 * over the tasks (-1: none). */
static int64_t fit_share(const rpt_run *r, int64_t *v) {
  size_t n = 0;
  for (size_t i = 0; i < r->n_tasks; i++) {
    const rpt_task *t = &r->tasks[i];
    bool at = t->ms[RPT_T4] != RPT_ABSENT;
    bool stopped = t->ms[RPT_S4] != RPT_ABSENT;
    if (t->server || (!at && (!t->mesh || stopped)))
      continue;
    int64_t took = at ? t->ms[RPT_T4] : r->tasks_end_at - t->t0_at;
    int64_t lag = at ? t->lag[RPT_T4] : t->lag_end;
    if (took > 0)
      v[n++] = lag >= took ? 1000 : lag * 1000 / took;
  }
  rpt_stats st;
  rpt_stats_of(v, n, &st);
  return n ? st.p50 : -1;
}

/* Host lag is the machine's CPU work and waits, about the same at any
 * time_scale, while the model's part of a milestone scales with it: at
 * scale s with a share h of T4 being lag, the model's part is (1 - h) and
 * the lag h; a scale s * 4h / (1 - h) makes the lag about a fifth. Rounded
 * up to 1, 2 or 5 times a power of ten. */
static double fit_time_scale(const rpt_run *r) {
  if (r->fit_share <= 200 || r->time_scale <= 0)
    return 0;
  double share = r->fit_share >= 990 ? 0.99 : (double)r->fit_share / 1000.0;
  double want = r->time_scale * 4.0 * share / (1.0 - share);
  double p = 1e-6;
  while (p * 10 <= want && p < 1e6)
    p *= 10;
  double nice = want <= p       ? p
                : want <= 2 * p ? 2 * p
                : want <= 5 * p ? 5 * p
                                : 10 * p;
  return nice > 1 ? 1 : nice;
}

/* Whether t is a mesh task, and when every essential container was up at
 * once (see rpt_task.ready_off). */
static void derive_goal(rpt_task *t) {
  t->mesh = false;
  rpt_ready_fold f;
  rpt_ready_init(&f);
  for (size_t i = 0; i < t->n_containers; i++) {
    const rpt_container *c = &t->containers[i];
    t->mesh = t->mesh || (c->role && etd_role_is_mesh(c->role));
    rpt_ready_add(&f, c->essential,
                  c->health_check ? c->healthy_at : c->started_at,
                  rpt_container_end(c));
  }
  int64_t at = rpt_ready_at(&f);
  t->ready_off = at == RPT_ABSENT ? RPT_ABSENT : at - t->t0_at;
}

void rpt_ready_init(rpt_ready_fold *f) {
  f->last_up = f->first_end = RPT_ABSENT;
  f->any = f->missing = false;
}

void rpt_ready_add(rpt_ready_fold *f, bool essential, int64_t up_at,
                   int64_t end_at) {
  if (!essential)
    return;
  f->any = true;
  if (up_at == RPT_ABSENT)
    f->missing = true;
  else if (f->last_up == RPT_ABSENT || up_at > f->last_up)
    f->last_up = up_at;
  if (end_at != RPT_ABSENT &&
      (f->first_end == RPT_ABSENT || end_at < f->first_end))
    f->first_end = end_at;
}

int64_t rpt_ready_at(const rpt_ready_fold *f) {
  if (!f->any || f->missing)
    return RPT_ABSENT;
  if (f->first_end != RPT_ABSENT && f->first_end <= f->last_up)
    return RPT_ABSENT;
  return f->last_up;
}

int64_t rpt_lag_band(int64_t lag, int64_t cpu) {
  if (cpu > lag)
    cpu = lag;
  if (cpu < 0)
    cpu = 0;
  return 2 * lag - cpu;
}

int64_t rpt_container_end(const rpt_container *c) {
  int64_t e = c->exited_at;
  if (e == RPT_ABSENT || (c->killed_at != RPT_ABSENT && c->killed_at < e))
    e = c->killed_at;
  return e;
}

const char *rpt_task_goal_name(const rpt_task *t) {
  return t->mesh ? "T4" : "READY";
}

int rpt_run_derive(rpt_run *r, ecsb_err *err) {
  r->n_app_tasks = 0;
  for (size_t i = 0; i < r->n_tasks; i++) {
    derive_ready(&r->tasks[i]);
    derive_goal(&r->tasks[i]);
    if (derive_chain(&r->tasks[i]))
      return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
    r->n_app_tasks += !r->tasks[i].server;
  }
  int64_t *v = malloc((r->n_tasks ? r->n_tasks : 1) * sizeof *v);
  if (!v)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  for (int m = 0; m < RPT_MS_COUNT; m++) {
    size_t n = 0;
    for (size_t i = 0; i < r->n_tasks; i++)
      if (!r->tasks[i].server && r->tasks[i].ms[m] != RPT_ABSENT)
        v[n++] = r->tasks[i].ms[m];
    rpt_stats_of(v, n, &r->ms[m]);
    n = 0;
    for (size_t i = 0; i < r->n_tasks; i++) {
      const rpt_task *t = &r->tasks[i];
      if (!t->server && t->ms[m] != RPT_ABSENT && t->ms[m] > 0)
        v[n++] = t->lag[m] >= t->ms[m] ? 1000 : t->lag[m] * 1000 / t->ms[m];
    }
    rpt_stats_of(v, n, &r->host_share[m]);
  }
  r->fit_share = fit_share(r, v);
  free(v);
  r->fit_time_scale = fit_time_scale(r);
  if (derive_ctr_stats(r))
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  return 0;
}
