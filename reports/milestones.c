/*
 * milestones.c - the log -> model analysis behind every report. Two passes
 * over the events: the first creates tasks and their containers from
 * task.containers (so roles are known whatever the order of lines), the
 * second records every phase and milestone in log order. Offsets are then
 * made relative to each task's T0 and rpt_run_derive adds readiness,
 * critical chains and fleet statistics. Never reads anything but the log.
 */
#include "rpt/milestones.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/json.h"
#include "ecsb/strmap.h"

/* Working state: the model being built plus indices over it. */
typedef struct build {
  const rpt_log *log;
  const char *name; /* log name for messages */
  rpt_run *run;
  ecsb_strmap *tasks; /* task name -> index into run->tasks */
  size_t cap_tasks;
  size_t *ms_event; /* per task x milestone: event index */
  size_t cap_ms;    /* tasks ms_event has room for */
  int64_t **lat;    /* per api op: latencies */
  size_t *n_lat;
  size_t n_ops; /* lat[] entries initialised */
  size_t cap_api, cap_consul, cap_faults;
  /* per task: S2 bookkeeping */
  size_t *s2_event;
} build;

static char *dup0(const char *s) {
  return s ? strdup(s) : NULL;
}

static int oom(ecsb_err *err) {
  return ecsb_err_set(err, ECSB_ENOMEM, "out of memory analysing event log");
}

static bool grow(void **p, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap)
    return true;
  size_t nc = *cap ? *cap * 2 : 16;
  while (nc < need)
    nc *= 2;
  void *np = realloc(*p, nc * elem);
  if (!np)
    return false;
  memset((char *)np + *cap * elem, 0, (nc - *cap) * elem);
  *p = np;
  *cap = nc;
  return true;
}

static long task_index(build *b, const char *name, bool create,
                       int64_t first_at) {
  size_t i;
  if (ecsb_strmap_get(b->tasks, name, &i))
    return (long)i;
  if (!create)
    return -1;
  rpt_run *r = b->run;
  size_t old_cap = b->cap_tasks;
  if (!grow((void **)&r->tasks, &b->cap_tasks, r->n_tasks + 1,
            sizeof *r->tasks))
    return -2;
  if (b->cap_tasks != old_cap) {
    size_t *ne =
        realloc(b->ms_event, b->cap_tasks * RPT_MS_COUNT * sizeof *b->ms_event);
    if (!ne)
      return -2;
    b->ms_event = ne;
    size_t *s2 = realloc(b->s2_event, b->cap_tasks * sizeof *s2);
    if (!s2)
      return -2;
    b->s2_event = s2;
  }
  i = r->n_tasks;
  rpt_task *t = &r->tasks[i];
  memset(t, 0, sizeof *t);
  t->name = strdup(name);
  if (!t->name)
    return -2;
  r->n_tasks++;
  t->t0_at = first_at;
  for (int m = 0; m < RPT_MS_COUNT; m++) {
    t->ms[m] = RPT_ABSENT;
    b->ms_event[i * RPT_MS_COUNT + (size_t)m] = RPT_NO_EVENT;
  }
  t->chain_goal_off = RPT_ABSENT;
  b->s2_event[i] = RPT_NO_EVENT;
  if (ecsb_strmap_put(b->tasks, t->name, i))
    return -2;
  return (long)i;
}

static void container_init(rpt_container *c) {
  memset(c, 0, sizeof *c);
  c->pending_at = c->started_at = c->healthy_at = c->exited_at = c->killed_at =
      c->ready_at = c->not_started_at = c->pull_at = c->pulled_at = RPT_ABSENT;
}

static rpt_container *container_get(rpt_task *t, const char *name) {
  long i = rpt_task_container_index(t, name);
  if (i >= 0)
    return &t->containers[i];
  rpt_container *nc =
      realloc(t->containers, (t->n_containers + 1) * sizeof *nc);
  if (!nc)
    return NULL;
  t->containers = nc;
  rpt_container *c = &nc[t->n_containers];
  container_init(c);
  if (!(c->name = strdup(name)))
    return NULL;
  t->n_containers++;
  return c;
}

/* task.containers: creates the containers with role, essential, image,
 * dependencies and whether they have a health check. */
static int load_containers(build *b, const rpt_event *e, rpt_task *t,
                           ecsb_err *err) {
  const cJSON *d = e->detail;
  const char *family = NULL;
  const cJSON *list = NULL;
  char where[64];
  snprintf(where, sizeof where, "$.detail");
  int rc = ecsb_json_get_string(d, where, "family", false, &family, err);
  if (!rc)
    rc = ecsb_json_get_array(d, where, "containers", true, &list, err);
  if (rc)
    goto bad;
  if (family && !t->family && !(t->family = strdup(family)))
    return oom(err);
  int idx = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, list) {
    char p[96];
    snprintf(p, sizeof p, "$.detail.containers[%d]", idx++);
    const char *name = NULL, *role = NULL, *image = NULL;
    bool essential = true, hc = false;
    const cJSON *deps = NULL;
    if (!cJSON_IsObject(it)) {
      rc = ecsb_err_set(err, ECSB_EINVAL, "%s: expected an object", p);
      goto bad;
    }
    if ((rc = ecsb_json_get_string(it, p, "name", true, &name, err)) ||
        (rc = ecsb_json_get_string(it, p, "role", false, &role, err)) ||
        (rc = ecsb_json_get_string(it, p, "image", false, &image, err)) ||
        (rc = ecsb_json_get_bool(it, p, "essential", false, &essential, err)) ||
        (rc = ecsb_json_get_bool(it, p, "health_check", false, &hc, err)) ||
        (rc = ecsb_json_get_array(it, p, "depends_on", false, &deps, err)))
      goto bad;
    rpt_container *c = container_get(t, name);
    if (!c)
      return oom(err);
    free(c->role);
    free(c->image);
    c->role = dup0(role);
    c->image = dup0(image);
    c->essential = essential;
    c->health_check = hc;
    if ((role && !c->role) || (image && !c->image))
      return oom(err);
    int di = 0;
    const cJSON *dep;
    cJSON_ArrayForEach(dep, deps) {
      char dp[128];
      snprintf(dp, sizeof dp, "%s.depends_on[%d]", p, di++);
      const char *dc = NULL, *cond = NULL;
      if (!cJSON_IsObject(dep)) {
        rc = ecsb_err_set(err, ECSB_EINVAL, "%s: expected an object", dp);
        goto bad;
      }
      if ((rc = ecsb_json_get_string(dep, dp, "container", true, &dc, err)) ||
          (rc = ecsb_json_get_string(dep, dp, "condition", false, &cond, err)))
        goto bad;
      rpt_dep *nd = realloc(c->deps, (c->n_deps + 1) * sizeof *nd);
      if (!nd)
        return oom(err);
      c->deps = nd;
      nd[c->n_deps].container = strdup(dc);
      nd[c->n_deps].condition = strdup(cond ? cond : "START");
      c->n_deps++;
      if (!nd[c->n_deps - 1].container || !nd[c->n_deps - 1].condition)
        return oom(err);
    }
  }
  return 0;
bad:
  return ecsb_err_prefix(err, "%s: line %zu: %s", b->name, e->line, e->kind);
}

static bool role_is(const rpt_container *c, const char *role) {
  return c && c->role && strcmp(c->role, role) == 0;
}

static void set_ms(build *b, size_t ti, int m, const rpt_event *e) {
  rpt_task *t = &b->run->tasks[ti];
  if (t->ms[m] != RPT_ABSENT)
    return;
  t->ms[m] = e->t_us; /* absolute for now; made relative at the end */
  t->lag[m] = t->lag_end;
  t->lag_cpu[m] = t->lag_cpu_end;
  b->ms_event[ti * RPT_MS_COUNT + (size_t)m] = (size_t)(e - b->log->events);
}

static int replace(char **dst, const char *src, ecsb_err *err) {
  char *n = dup0(src);
  if (src && !n)
    return oom(err);
  free(*dst);
  *dst = n;
  return 0;
}

static int container_event(build *b, size_t ti, const rpt_event *e,
                           ecsb_err *err) {
  rpt_task *t = &b->run->tasks[ti];
  if (!e->container)
    return 0;
  rpt_container *c = container_get(t, e->container);
  if (!c)
    return oom(err);
  const char *what = e->kind + strlen("container.");
  bool after_s0 = t->ms[RPT_S0] != RPT_ABSENT;
  if (strcmp(what, "pending") == 0) {
    if (c->pending_at == RPT_ABSENT)
      c->pending_at = e->t_us;
  } else if (strcmp(what, "started") == 0) {
    if (c->started_at == RPT_ABSENT)
      c->started_at = e->t_us;
  } else if (strcmp(what, "healthy") == 0 || strcmp(what, "unhealthy") == 0) {
    bool h = what[0] == 'h';
    if (h && c->healthy_at == RPT_ABSENT)
      c->healthy_at = e->t_us;
    rpt_health_change *nh = realloc(c->health, (c->n_health + 1) * sizeof *nh);
    if (!nh)
      return oom(err);
    c->health = nh;
    nh[c->n_health].at = e->t_us;
    nh[c->n_health].healthy = h;
    c->n_health++;
    if (h && role_is(c, "sidecar-proxy"))
      set_ms(b, ti, RPT_T3, e);
  } else if (strcmp(what, "pulling") == 0) {
    if (c->pull_at == RPT_ABSENT)
      c->pull_at = e->t_us;
  } else if (strcmp(what, "pulled") == 0) {
    if (c->pulled_at == RPT_ABSENT)
      c->pulled_at = e->t_us;
  } else if (strcmp(what, "restarting") == 0) {
    /* The agent started it again: it did not end at that exit. */
    int64_t *nr = realloc(c->restart_at, (c->n_restarts + 1) * sizeof *nr);
    if (!nr)
      return oom(err);
    c->restart_at = nr;
    nr[c->n_restarts++] = e->t_us;
    c->exited_at = RPT_ABSENT;
  } else if (strcmp(what, "waiting") == 0) {
    const char *why = rpt_event_str(e, "reason");
    if (why && *why && replace(&c->waiting_reason, why, err))
      return ECSB_ENOMEM;
  } else if (strcmp(what, "not_started") == 0) {
    if (c->not_started_at == RPT_ABSENT) {
      c->not_started_at = e->t_us;
      const char *why = rpt_event_str(e, "reason");
      if (why && *why && replace(&c->not_started_reason, why, err))
        return ECSB_ENOMEM;
    }
  } else if (strcmp(what, "exited") == 0 || strcmp(what, "killed") == 0) {
    bool exited = what[0] == 'e';
    if (exited && c->exited_at == RPT_ABSENT) {
      int64_t code = -1;
      if (!rpt_event_int(e, "exit_code", &code))
        return ecsb_err_set(err, ECSB_EINVAL,
                            "%s: line %zu: container.exited: "
                            "$.detail.exit_code: expected a number",
                            b->name, e->line);
      c->exited_at = e->t_us;
      c->exit_code = (int)code;
      if (code == 0 && role_is(c, "discover-servers"))
        set_ms(b, ti, RPT_T1, e);
      if (code == 0 && role_is(c, "mesh-init"))
        set_ms(b, ti, RPT_T2, e);
    } else if (!exited && c->killed_at == RPT_ABSENT) {
      c->killed_at = e->t_us;
      if (replace(&c->signal, rpt_event_str(e, "signal"), err))
        return ECSB_ENOMEM;
    }
    /* A container ends when it exits; container.killed is the signal
     * being sent (the process may drain, or ignore it, for a while). */
    if (exited && after_s0 && role_is(c, "app"))
      b->s2_event[ti] = (size_t)(e - b->log->events);
    if (exited && after_s0 && role_is(c, "sidecar-proxy"))
      set_ms(b, ti, RPT_S3, e);
  }
  return 0;
}

static int api_event(build *b, const rpt_event *e, ecsb_err *err) {
  rpt_run *r = b->run;
  const char *op = rpt_event_str(e, "operation");
  if (!op)
    op = "(unknown)";
  size_t i = 0;
  while (i < r->n_api && strcmp(r->api[i].operation, op) != 0)
    i++;
  if (i == r->n_api) {
    size_t old = b->cap_api;
    if (!grow((void **)&r->api, &b->cap_api, i + 1, sizeof *r->api))
      return oom(err);
    if (old != b->cap_api) {
      int64_t **nl = realloc(b->lat, b->cap_api * sizeof *nl);
      if (nl)
        b->lat = nl;
      size_t *nn = nl ? realloc(b->n_lat, b->cap_api * sizeof *nn) : NULL;
      if (!nn)
        return oom(err);
      b->n_lat = nn;
    }
    memset(&r->api[i], 0, sizeof r->api[i]);
    b->lat[i] = NULL;
    b->n_lat[i] = 0;
    b->n_ops = i + 1;
    if (!(r->api[i].operation = strdup(op)))
      return oom(err);
    r->n_api++;
  }
  rpt_api_op *a = &r->api[i];
  a->count++;
  int64_t status = 0, lat = 0;
  const char *error = rpt_event_str(e, "error");
  bool has_status = rpt_event_int(e, "status", &status);
  if ((error && *error) || (has_status && status >= 400))
    a->errors++;
  if (error && strstr(error, "ThrottlingException"))
    a->throttles++;
  if (rpt_event_int(e, "latency_us", &lat)) {
    int64_t *nl = realloc(b->lat[i], (b->n_lat[i] + 1) * sizeof *nl);
    if (!nl)
      return oom(err);
    b->lat[i] = nl;
    nl[b->n_lat[i]++] = lat;
  }
  return 0;
}

static int count_event(build *b, const char *kind, ecsb_err *err) {
  rpt_run *r = b->run;
  size_t i = 0;
  while (i < r->n_consul && strcmp(r->consul[i].kind, kind) != 0)
    i++;
  if (i == r->n_consul) {
    if (!grow((void **)&r->consul, &b->cap_consul, i + 1, sizeof *r->consul))
      return oom(err);
    if (!(r->consul[i].kind = strdup(kind)))
      return oom(err);
    r->consul[i].n = 0;
    r->n_consul++;
  }
  r->consul[i].n++;
  return 0;
}

static int fault_event(build *b, const rpt_event *e, ecsb_err *err) {
  rpt_run *r = b->run;
  if (!grow((void **)&r->faults, &b->cap_faults, r->n_faults + 1,
            sizeof *r->faults))
    return oom(err);
  rpt_fault *f = &r->faults[r->n_faults++];
  memset(f, 0, sizeof *f);
  f->at = e->t_us;
  f->task = dup0(e->task);
  f->container = dup0(e->container);
  f->target = dup0(rpt_event_str(e, "target"));
  f->action = dup0(rpt_event_str(e, "action"));
  if (e->detail) {
    cJSON *rest = cJSON_Duplicate(e->detail, true);
    if (!rest)
      return oom(err);
    cJSON_DeleteItemFromObjectCaseSensitive(rest, "target");
    cJSON_DeleteItemFromObjectCaseSensitive(rest, "action");
    if (cJSON_GetArraySize(rest) > 0)
      f->params = cJSON_PrintUnformatted(rest);
    cJSON_Delete(rest);
  }
  return 0;
}

/* Ends the task's open stretch in Consul at `at` and, unless `leave`,
 * opens the next one (passing or not). A log from merged shards or a
 * repeated event changes nothing when the state is the same. */
static int svc_change(rpt_task *t, int64_t at, bool passing, bool leave,
                      ecsb_err *err) {
  rpt_svc_span *open = t->n_svc && t->svc[t->n_svc - 1].to == RPT_ABSENT
                           ? &t->svc[t->n_svc - 1]
                           : NULL;
  if (open && !leave && open->passing == passing)
    return 0;
  if (open)
    open->to = at;
  if (leave)
    return 0;
  rpt_svc_span *n = realloc(t->svc, (t->n_svc + 1) * sizeof *n);
  if (!n)
    return oom(err);
  t->svc = n;
  t->svc[t->n_svc++] =
      (rpt_svc_span){.from = at, .to = RPT_ABSENT, .passing = passing};
  return 0;
}

/* The application's own service (not its sidecar proxy's). */
static bool app_service(const rpt_event *e) {
  const char *kind = rpt_event_str(e, "service_kind");
  return !kind || !*kind;
}

static int task_event(build *b, size_t ti, const rpt_event *e, ecsb_err *err) {
  rpt_task *t = &b->run->tasks[ti];
  const char *k = e->kind;
  if (strcmp(k, "task.status") == 0) {
    const char *st = rpt_event_str(e, "status");
    if (!st)
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s: line %zu: task.status: $.detail.status: "
                          "expected a string",
                          b->name, e->line);
    set_ms(b, ti, RPT_T0, e);
    if (strcmp(st, "STOPPED") == 0)
      set_ms(b, ti, RPT_S4, e);
    return replace(&t->status, st, err);
  }
  if (strcmp(k, "task.stop_requested") == 0) {
    set_ms(b, ti, RPT_S0, e);
    if (replace(&t->stop_code, rpt_event_str(e, "stop_code"), err))
      return ECSB_ENOMEM;
    return replace(&t->stop_reason, rpt_event_str(e, "reason"), err);
  }
  if (strcmp(k, "host.lag") == 0) {
    const cJSON *v = e->detail
                         ? cJSON_GetObjectItemCaseSensitive(e->detail, "lag_us")
                         : NULL;
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e15)
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s: line %zu: host.lag: $.detail.lag_us: "
                          "expected a number of microseconds >= 0",
                          b->name, e->line);
    /* optional: logs from before the CPU work was charged have none */
    const cJSON *cpu = cJSON_GetObjectItemCaseSensitive(e->detail, "cpu_us");
    if (cpu && (!cJSON_IsNumber(cpu) || cpu->valuedouble < 0 ||
                cpu->valuedouble > v->valuedouble))
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s: line %zu: host.lag: $.detail.cpu_us: "
                          "expected a number of microseconds from 0 to "
                          "lag_us",
                          b->name, e->line);
    /* cumulative; a log merged from shards never goes back */
    if ((int64_t)v->valuedouble > t->lag_end)
      t->lag_end = (int64_t)v->valuedouble;
    if (cpu && (int64_t)cpu->valuedouble > t->lag_cpu_end)
      t->lag_cpu_end = (int64_t)cpu->valuedouble;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e->detail, "final")))
      t->sampled_end = e->t_us;
    return 0;
  }
  if (strcmp(k, "service.passing") == 0) {
    set_ms(b, ti, RPT_T4, e);
    t->service_passing = true;
    return svc_change(t, e->t_us, true, false, err);
  }
  if (strcmp(k, "service.critical") == 0) {
    if (t->ms[RPT_S0] != RPT_ABSENT)
      set_ms(b, ti, RPT_S1, e);
    t->service_passing = false;
    /* Only while registered: a deregistration also ends the passing set. */
    if (!t->n_svc || t->svc[t->n_svc - 1].to != RPT_ABSENT)
      return 0;
    return svc_change(t, e->t_us, false, false, err);
  }
  if (strcmp(k, "consul.register") == 0 && app_service(e)) {
    if (t->n_svc && t->svc[t->n_svc - 1].to == RPT_ABSENT)
      return 0; /* a re-registration */
    return svc_change(t, e->t_us, false, false, err);
  }
  if ((strcmp(k, "consul.deregister") == 0 && app_service(e)) ||
      strcmp(k, "consul.leave") == 0)
    return svc_change(t, e->t_us, false, true, err);
  if (strncmp(k, "container.", 10) == 0)
    return container_event(b, ti, e, err);
  return 0;
}

/* S2 is the last application container's end after S0, and only once every
 * application container that started has ended (before that the "last" one
 * is not known yet). */
static void finish_s2(build *b, size_t ti) {
  rpt_task *t = &b->run->tasks[ti];
  size_t ev = b->s2_event[ti];
  if (ev == RPT_NO_EVENT)
    return;
  for (size_t i = 0; i < t->n_containers; i++) {
    const rpt_container *c = &t->containers[i];
    if (role_is(c, "app") && c->started_at != RPT_ABSENT &&
        c->exited_at == RPT_ABSENT)
      return;
  }
  set_ms(b, ti, RPT_S2, &b->log->events[ev]);
}

static bool all_roles(const rpt_task *t, const char *role) {
  if (t->n_containers == 0)
    return false;
  for (size_t i = 0; i < t->n_containers; i++)
    if (!role_is(&t->containers[i], role))
      return false;
  return true;
}

static int load_meta(rpt_run *r, const rpt_log *log, ecsb_err *err) {
  const cJSON *d = log->run_start;
  const char *s;
  if (!d)
    return 0;
  if ((s = rpt_event_str(&log->events[0], "scenario")) &&
      !(r->scenario = strdup(s)))
    return oom(err);
  if ((s = rpt_event_str(&log->events[0], "description")) &&
      !(r->description = strdup(s)))
    return oom(err);
  if ((s = rpt_event_str(&log->events[0], "wall_start")) &&
      !(r->wall_start = strdup(s)))
    return oom(err);
  if ((s = rpt_event_str(&log->events[0], "ecsboot_version")) &&
      !(r->ecsboot_version = strdup(s)))
    return oom(err);
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, "seed");
  if (cJSON_IsNumber(v))
    r->seed = (int64_t)v->valuedouble;
  v = cJSON_GetObjectItemCaseSensitive(d, "time_scale");
  if (cJSON_IsNumber(v) && v->valuedouble > 0)
    r->time_scale = v->valuedouble;
  v = cJSON_GetObjectItemCaseSensitive(d, "deadline_us");
  if (cJSON_IsNumber(v) && v->valuedouble > 0)
    r->deadline_us = (int64_t)v->valuedouble;
  return 0;
}

int rpt_milestones_compute_idx(const rpt_log *log, const char *log_path,
                               rpt_run **out, size_t **ms_event,
                               ecsb_err *err) {
  *out = NULL;
  if (ms_event)
    *ms_event = NULL;
  build b = {.log = log, .name = log_path ? log_path : "event log"};
  rpt_run *r = NULL;
  int rc = 0;
  b.run = rpt_run_new();
  b.tasks = ecsb_strmap_new();
  if (!b.run || !b.tasks) {
    rc = oom(err);
    goto fail;
  }
  r = b.run;
  if ((rc = load_meta(r, log, err)))
    goto fail;
  if (log_path && !(r->log_path = strdup(log_path))) {
    rc = oom(err);
    goto fail;
  }
  if (!r->scenario && !(r->scenario = strdup("(unnamed)"))) {
    rc = oom(err);
    goto fail;
  }
  r->complete = log->complete;
  r->torn_tail = log->torn_tail;
  r->n_events = log->n;
  /* Pass 1: tasks in order of first appearance, containers and roles. */
  for (size_t i = 0; i < log->n; i++) {
    const rpt_event *e = &log->events[i];
    if (e->t_us > r->end_at)
      r->end_at = e->t_us;
    if (!e->task)
      continue;
    long ti = task_index(&b, e->task, true, e->t_us);
    if (ti < 0) {
      rc = oom(err);
      goto fail;
    }
    if (strcmp(e->kind, "task.containers") == 0 &&
        (rc = load_containers(&b, e, &r->tasks[ti], err)))
      goto fail;
  }
  /* Pass 2: phases and milestones in log order. */
  for (size_t i = 0; i < log->n; i++) {
    const rpt_event *e = &log->events[i];
    if (strcmp(e->kind, "ecs.api") == 0)
      rc = api_event(&b, e, err);
    else if (strncmp(e->kind, "consul.", 7) == 0)
      rc = count_event(&b, e->kind, err);
    else if (strcmp(e->kind, "fault.injected") == 0)
      rc = fault_event(&b, e, err);
    else if (strcmp(e->kind, "run.end") == 0) {
      rc = replace(&r->end_reason, rpt_event_str(e, "reason"), err);
      int64_t v;
      if (rpt_event_int(e, "tasks_end_us", &v) && v > 0 && v <= e->t_us)
        r->tasks_end_at = v;
    }
    if (rc)
      goto fail;
    if (e->task && (rc = task_event(
                        &b, (size_t)task_index(&b, e->task, false, 0), e, err)))
      goto fail;
  }
  if (r->tasks_end_at <= 0)
    r->tasks_end_at = r->end_at;
  for (size_t i = 0; i < r->n_api; i++)
    rpt_stats_of(b.lat[i], b.n_lat[i], &r->api[i].latency);
  for (size_t ti = 0; ti < r->n_tasks; ti++) {
    rpt_task *t = &r->tasks[ti];
    finish_s2(&b, ti);
    t->server = all_roles(t, "consul-server");
    if (t->ms[RPT_T0] != RPT_ABSENT)
      t->t0_at = t->ms[RPT_T0];
    for (int m = 0; m < RPT_MS_COUNT; m++)
      if (t->ms[m] != RPT_ABSENT)
        t->ms[m] -= t->t0_at;
  }
  if ((rc = rpt_run_derive(r, err)))
    goto fail;
  if (ms_event) {
    *ms_event = b.ms_event;
    b.ms_event = NULL;
  }
  *out = r;
  b.run = NULL;
fail:
  for (size_t i = 0; i < b.n_ops; i++)
    free(b.lat[i]);
  free(b.lat);
  free(b.n_lat);
  free(b.ms_event);
  free(b.s2_event);
  ecsb_strmap_free(b.tasks);
  rpt_run_free(b.run);
  return rc;
}

int rpt_milestones_compute(const rpt_log *log, const char *log_path,
                           rpt_run **out, ecsb_err *err) {
  return rpt_milestones_compute_idx(log, log_path, out, NULL, err);
}

void rpt_milestones_count(const rpt_run *r, size_t counts[RPT_MS_COUNT]) {
  for (int m = 0; m < RPT_MS_COUNT; m++)
    counts[m] = 0;
  for (size_t i = 0; i < r->n_tasks; i++)
    for (int m = 0; m < RPT_MS_COUNT && !r->tasks[i].server; m++)
      counts[m] += r->tasks[i].ms[m] != RPT_ABSENT;
}
