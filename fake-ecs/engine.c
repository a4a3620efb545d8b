/*
 * engine.c - the per-task state machine behind fecs/engine.h: dependsOn
 * resolution, image pulls and the credentials wait, health-check verdicts,
 * restarts, stop sequences, task status and health (the ECS rules it
 * follows, with sources, are in the header; the agent's decisions about
 * one container are ecs-taskdef's etd/agent.h).
 *
 * Called by the runner's agent simulator, one engine per task, from one
 * thread; fake-ecs reads the task's state from it (fecs_task_engine_new)
 * from its HTTP threads, so every call but the spec's queries takes the
 * engine's mutex. It never reads a clock or touches a process: every input
 * carries `now` (and the wall stamp comes from the caller's opts.wall_us),
 * every effect is a queued action or event. Invariants:
 *  - a START action is queued only while every condition of the
 *    container's ordering (dependsOn, volumesFrom as CREATE, links as START:
 *    etd_ordering) holds, once its image is pulled, and never once the task
 *    is stopping (a restart, restartPolicy, queues it again at an exit);
 *  - a container gets SIGTERM only once every container that depends on it
 *    has stopped (or never started), and SIGKILL only stopTimeout later;
 *  - the task's status only moves forward through the ECS lifecycle;
 *  - the event and action queues are FIFO and stamped with non-decreasing
 *    times.
 * Each driving call applies its input, then settles the graph (failures
 * first, so that no container starts in a task that is stopping at the same
 * instant), then issues whatever is due (health checks, SIGKILLs).
 */
#include "fecs/engine.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etd/agent.h"

/* The caller drains both queues after every call; this many undrained
 * entries means it stopped doing so. */
#define QUEUE_MAX 65536
/* What the agent reports for a container stopped because its dependencies
 * can never be met (the code Docker gives a SIGTERMed container). */
#define EXIT_DEPENDENCY_FAILED 143

static const char STOP_ESSENTIAL[] = "EssentialContainerExited";
static const char STOP_FAILED_TO_START[] = "TaskFailedToStart";
static const char STOP_USER[] = "UserInitiated";
static const char REASON_ESSENTIAL[] = "Essential container in task exited";
static const char REASON_USER_DEFAULT[] = "Task stopped by user";

typedef struct queue {
  unsigned char *buf;
  size_t elem, head, len, cap;
} queue;

/* Where a PENDING container is with its image (docker_task_engine.go
 * pullContainer; etd_pull_may_begin says when it may begin). */
typedef enum pull_state { PULL_NONE, PULL_PULLING, PULL_DONE } pull_state;

/* The task's execution-role credentials, secrets and registry auth. */
typedef enum creds_state {
  CREDS_READY,
  CREDS_FETCHING,
  CREDS_FAILED
} creds_state;

typedef struct ctr {
  const fecs_container_spec *spec; /* borrowed from engine->spec */
  /* The agent's ordering (etd_ordering: dependsOn, volumesFrom as CREATE,
   * links as START) and the container index of each entry. */
  etd_dep *ord;
  size_t n_ord;
  size_t *deps;
  int64_t interval_us, timeout_us, start_period_us, start_timeout_us,
      stop_timeout_us, pull_us, restart_period_us;
  pull_state pull;
  int64_t pull_done_us;
  int64_t start_due_us; /* STARTING: when ECS_CONTAINER_START_TIMEOUT ends */
  int restarts;
  int64_t restarted_us; /* the last restart, FECS_NEVER before one */
  fecs_container_state state;
  fecs_health health;
  int streak;
  bool check_running;
  int64_t check_started_us, next_check_us, kill_due_us;
  int64_t started_us, healthy_us, sigterm_us, sigkill_us, exited_us;
  int64_t started_wall_us, exited_wall_us, health_wall_us;
  bool has_exit;
  int exit_code;
  bool has_reason;
  char reason[FECS_REASON_MAX + 1];
  /* Why it never started when the task stopped first: for the event (and
   * so the reports) only; ECS gives such a container no reason. */
  char waited[FECS_REASON_MAX + 1];
  /* The last container.waiting reason emitted ("" when none is due). */
  char waiting[FECS_REASON_MAX + 1];
} ctr;

struct fecs_engine {
  fecs_task_spec *spec; /* normalised copy, owned */
  ctr *c;
  size_t n;
  fecs_engine_opts opts;
  fecs_task_status status;
  fecs_health health;
  bool started, stopping;
  const char *stop_code;
  char stop_reason[FECS_REASON_MAX + 1];
  int64_t now, started_us, running_us, stop_us, stopped_us;
  int64_t wall; /* opts.wall_us at the current call; FECS_NEVER without */
  int64_t status_wall_us[FECS_TASK_STOPPED + 1], stop_wall_us;
  uint64_t changes; /* see fecs_task_info.changes */
  queue acts, evs;
  int broken; /* first queue failure; every later call reports it */
  char task_arn[256];
  /* Why the agent cannot order the task (etd_agent_check), "" when it can:
   * fecs_engine_start then stops the task before any container starts. */
  char unresolvable[ECSB_ERR_MSG_MAX];
  creds_state creds;
  int64_t creds_done_us;
  char creds_error[FECS_REASON_MAX + 1];  /* "" when the fetch succeeds */
  int64_t start_limit_us, start_limit_ms; /* 0: none */
  /* Held by every call that reads or changes the state below (not the
   * spec's queries): fake-ecs reads from other threads. */
  pthread_mutex_t mu;
};

enum verdict { V_WAIT, V_MET, V_FAIL };

/* ---- queues ---- */

static int q_push(queue *q, const void *item) {
  if (q->len >= QUEUE_MAX)
    return ECSB_ETOOBIG;
  if (q->head + q->len == q->cap) {
    if (q->head > 0) {
      memmove(q->buf, q->buf + q->head * q->elem, q->len * q->elem);
      q->head = 0;
    } else {
      size_t cap = q->cap ? q->cap * 2 : 16;
      unsigned char *b = realloc(q->buf, cap * q->elem);
      if (!b)
        return ECSB_ENOMEM;
      q->buf = b;
      q->cap = cap;
    }
  }
  memcpy(q->buf + (q->head + q->len) * q->elem, item, q->elem);
  q->len++;
  return 0;
}

static bool q_pop(queue *q, void *out) {
  if (q->len == 0)
    return false;
  memcpy(out, q->buf + q->head * q->elem, q->elem);
  q->head++;
  if (--q->len == 0)
    q->head = 0;
  return true;
}

/* ---- emitting ---- */

static void push(fecs_engine *e, queue *q, const void *item) {
  int rc = q_push(q, item);
  if (rc && !e->broken)
    e->broken = rc;
}

static fecs_event ev_new(fecs_engine *e, fecs_event_kind kind, int i) {
  fecs_event ev = {.kind = kind, .t_us = e->now, .container = i};
  if (i >= 0)
    ev.container_name = e->c[i].spec->name;
  return ev;
}

static void emit_container(fecs_engine *e, fecs_event_kind kind, size_t i) {
  fecs_event ev = ev_new(e, kind, (int)i);
  ctr *c = &e->c[i];
  if (kind == FECS_EV_CONTAINER_WAITING)
    ev.reason = c->waiting;
  if (kind == FECS_EV_CONTAINER_PULLING || kind == FECS_EV_CONTAINER_PULLED)
    ev.image = c->spec->image ? c->spec->image : "";
  if (kind == FECS_EV_CONTAINER_PULLING)
    ev.duration_us = c->pull_done_us - e->now;
  if (kind == FECS_EV_CONTAINER_RESTARTING) {
    ev.has_exit_code = true;
    ev.exit_code = c->exit_code;
    ev.count = c->restarts;
  }
  if (kind == FECS_EV_CONTAINER_EXITED ||
      kind == FECS_EV_CONTAINER_NOT_STARTED) {
    ev.has_exit_code = c->has_exit;
    ev.exit_code = c->exit_code;
    ev.reason = c->has_reason ? c->reason : c->waited[0] ? c->waited : NULL;
  }
  push(e, &e->evs, &ev);
}

static void queue_action(fecs_engine *e, fecs_action_kind kind, size_t i) {
  fecs_action a = {.kind = kind,
                   .t_us = e->now,
                   .container = i,
                   .container_name = e->c[i].spec->name};
  if (kind == FECS_ACT_RUN_HEALTH_CHECK)
    a.timeout_us = e->c[i].timeout_us;
  push(e, &e->acts, &a);
}

static void set_status(fecs_engine *e, fecs_task_status st) {
  if (e->status == st)
    return;
  e->status = st;
  e->status_wall_us[st] = e->wall;
  /* fake-ecs shows a task PROVISIONING from RunTask on: no change */
  if (st != FECS_TASK_PROVISIONING)
    e->changes++;
  fecs_event ev = ev_new(e, FECS_EV_TASK_STATUS, -1);
  ev.status = st;
  push(e, &e->evs, &ev);
}

/* ---- health ---- */

static fecs_health derive_task_health(const fecs_engine *e) {
  /* Essential containers with a check decide; non-essential ones only when
   * no essential container has a check. */
  bool essential_checked = false;
  for (size_t i = 0; i < e->n; i++)
    essential_checked |=
        e->c[i].spec->essential && e->c[i].spec->health.command;
  bool any = false, unknown = false;
  for (size_t i = 0; i < e->n; i++) {
    const ctr *c = &e->c[i];
    if (!c->spec->health.command || (essential_checked && !c->spec->essential))
      continue;
    any = true;
    if (c->health == FECS_HEALTH_UNHEALTHY)
      return FECS_HEALTH_UNHEALTHY;
    unknown |= c->health == FECS_HEALTH_UNKNOWN;
  }
  return !any || unknown ? FECS_HEALTH_UNKNOWN : FECS_HEALTH_HEALTHY;
}

static void update_task_health(fecs_engine *e) {
  fecs_health h = derive_task_health(e);
  if (h == e->health)
    return;
  e->health = h;
  fecs_event ev = ev_new(e, FECS_EV_TASK_HEALTH, -1);
  ev.health = h;
  push(e, &e->evs, &ev);
}

static void set_health(fecs_engine *e, size_t i, fecs_health h) {
  ctr *c = &e->c[i];
  if (c->health == h)
    return;
  c->health = h;
  c->health_wall_us = e->wall;
  e->changes++;
  if (h == FECS_HEALTH_HEALTHY && c->healthy_us == FECS_NEVER)
    c->healthy_us = e->now;
  emit_container(e,
                 h == FECS_HEALTH_HEALTHY ? FECS_EV_CONTAINER_HEALTHY
                                          : FECS_EV_CONTAINER_UNHEALTHY,
                 i);
  update_task_health(e);
}

/* ---- transitions ---- */

__attribute__((format(printf, 2, 3))) static void
set_reason(ctr *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->reason, sizeof c->reason, fmt, ap);
  va_end(ap);
  c->has_reason = true;
}

static void begin_stop(fecs_engine *e, const char *code, const char *reason) {
  if (e->stopping)
    return;
  e->stopping = true;
  e->stop_code = code;
  snprintf(e->stop_reason, sizeof e->stop_reason, "%s", reason);
  e->stop_us = e->now;
  e->stop_wall_us = e->wall;
  e->changes++;
  fecs_event ev = ev_new(e, FECS_EV_TASK_STOP_REQUESTED, -1);
  ev.stop_code = e->stop_code;
  ev.reason = e->stop_reason;
  push(e, &e->evs, &ev);
  if (e->status == FECS_TASK_RUNNING)
    set_status(e, FECS_TASK_DEACTIVATING);
  set_status(e, FECS_TASK_STOPPING);
}

/* START queued: the agent's CREATED; docker start has
 * ECS_CONTAINER_START_TIMEOUT to answer. */
static void queue_start(fecs_engine *e, size_t i) {
  ctr *c = &e->c[i];
  c->state = FECS_C_STARTING;
  c->start_due_us =
      e->start_limit_us > 0 ? e->now + e->start_limit_us : FECS_NEVER;
  queue_action(e, FECS_ACT_START, i);
}

static void mark_started(fecs_engine *e, size_t i) {
  ctr *c = &e->c[i];
  c->state = FECS_C_RUNNING;
  c->start_due_us = FECS_NEVER;
  c->started_us = e->now;
  c->started_wall_us = e->wall;
  e->changes++;
  if (c->spec->health.command)
    c->next_check_us =
        e->now + (e->opts.first_check_at_start ? 0 : c->interval_us);
  emit_container(e, FECS_EV_CONTAINER_STARTED, i);
}

/* The container is done without having run (or without a START answered). */
static void mark_not_started(fecs_engine *e, size_t i) {
  ctr *c = &e->c[i];
  c->state = FECS_C_NOT_STARTED;
  c->exited_us = e->now;
  c->exited_wall_us = e->wall;
  e->changes++;
  emit_container(e, FECS_EV_CONTAINER_NOT_STARTED, i);
}

static void send_sigterm(fecs_engine *e, size_t i) {
  ctr *c = &e->c[i];
  c->state = FECS_C_STOPPING;
  c->sigterm_us = e->now;
  c->kill_due_us = e->now + c->stop_timeout_us;
  c->check_running = false; /* a late result is ignored */
  c->next_check_us = FECS_NEVER;
  queue_action(e, FECS_ACT_SIGTERM, i);
  fecs_event ev = ev_new(e, FECS_EV_CONTAINER_KILLED, (int)i);
  ev.signal = SIGTERM;
  push(e, &e->evs, &ev);
}

static bool terminal(const ctr *c) {
  return c->state == FECS_C_STOPPED || c->state == FECS_C_NOT_STARTED;
}

/* Reverse dependency order: i may stop once its dependents have. */
static bool dependents_done(const fecs_engine *e, size_t i) {
  for (size_t j = 0; j < e->n; j++)
    for (size_t k = 0; k < e->c[j].n_ord; k++)
      if (e->c[j].deps[k] == i && !terminal(&e->c[j]))
        return false;
  return true;
}

/* Whether dependency k of container i is met, can never be met (then `why`
 * says why), or must be waited for. */
static enum verdict dep_verdict(const fecs_engine *e, size_t i, size_t k,
                                char *why, size_t whylen) {
  const fecs_dependency *d = &e->c[i].ord[k];
  const ctr *t = &e->c[e->c[i].deps[k]];
  const char *cond = fecs_dep_condition_name(d->condition);
  bool met = false;
  if (t->state == FECS_C_NOT_STARTED) {
    snprintf(why, whylen, "dependency \"%s\" (%s) will never start",
             d->container, cond);
    return V_FAIL;
  }
  switch (d->condition) {
  case FECS_DEP_CREATE: /* created: its START is queued or done */
    met = t->state != FECS_C_PENDING;
    break;
  case FECS_DEP_START:
    met = t->started_us != FECS_NEVER;
    break;
  case FECS_DEP_COMPLETE:
    met = t->state == FECS_C_STOPPED;
    break;
  case FECS_DEP_SUCCESS:
    if (t->state == FECS_C_STOPPED && t->exit_code != 0) {
      snprintf(why, whylen, "dependency \"%s\" (SUCCESS) exited with code %d",
               d->container, t->exit_code);
      return V_FAIL;
    }
    met = t->state == FECS_C_STOPPED;
    break;
  case FECS_DEP_HEALTHY:
    if (t->state == FECS_C_STOPPED) {
      snprintf(why, whylen, "dependency \"%s\" (HEALTHY) exited with code %d",
               d->container, t->exit_code);
      return V_FAIL;
    }
    /* UNHEALTHY is "not yet", not a failure (graph.go
     * containerOrderingDependenciesIsResolved only asks for HEALTHY, and
     * verifyContainerOrderingStatusResolvable has no terminal case for
     * it): the dependent waits, and starts if it recovers. */
    met = t->health == FECS_HEALTH_HEALTHY;
    break;
  }
  if (met)
    return V_MET;
  /* startTimeout: the dependency's own, from its start, not for START or
   * CREATE (graph.go hasDependencyTimedOut). */
  if (d->condition != FECS_DEP_START && d->condition != FECS_DEP_CREATE &&
      t->start_timeout_us > 0 && t->started_us != FECS_NEVER &&
      t->state != FECS_C_STOPPED &&
      e->now >= t->started_us + t->start_timeout_us) {
    snprintf(why, whylen,
             "dependency \"%s\" did not reach %s within its startTimeout "
             "(%lld s)",
             d->container, cond, (long long)(t->spec->start_timeout_ms / 1000));
    return V_FAIL;
  }
  return V_WAIT;
}

static enum verdict verdict(const fecs_engine *e, size_t i, char *why,
                            size_t whylen) {
  enum verdict all = V_MET;
  for (size_t k = 0; k < e->c[i].n_ord; k++) {
    enum verdict v = dep_verdict(e, i, k, why, whylen);
    if (v == V_FAIL)
      return V_FAIL;
    if (v == V_WAIT)
      all = V_WAIT;
  }
  return all;
}

static void update_task_status(fecs_engine *e) {
  bool all_terminal = true, all_begun = true;
  for (size_t i = 0; i < e->n; i++) {
    all_terminal &= terminal(&e->c[i]);
    all_begun &=
        e->c[i].state != FECS_C_PENDING && e->c[i].state != FECS_C_STARTING;
  }
  if (e->stopping) {
    if (all_terminal && e->status != FECS_TASK_STOPPED) {
      set_status(e, FECS_TASK_DEPROVISIONING);
      set_status(e, FECS_TASK_STOPPED);
      e->stopped_us = e->now;
    }
  } else if (e->status == FECS_TASK_PENDING && all_begun) {
    set_status(e, FECS_TASK_ACTIVATING);
    set_status(e, FECS_TASK_RUNNING);
    e->running_us = e->now;
  }
}

/* One pass of dependency failures; true when anything changed. */
static bool settle_failures(fecs_engine *e) {
  bool changed = false;
  for (size_t i = 0; i < e->n; i++) {
    ctr *c = &e->c[i];
    if (c->state != FECS_C_PENDING)
      continue;
    char why[200];
    if (e->stopping) { /* never started: no signal, no exit code */
      /* Say what it was still waiting for, so reports can tell why. */
      const char *dep = NULL, *cond = NULL;
      enum verdict v = V_MET;
      for (size_t k = 0; k < c->n_ord && !dep; k++)
        if ((v = dep_verdict(e, i, k, why, sizeof why)) != V_MET) {
          dep = c->ord[k].container;
          cond = fecs_dep_condition_name(c->ord[k].condition);
        }
      if (e->unresolvable[0])
        snprintf(c->waited, sizeof c->waited, "the task stopped: %.200s",
                 e->unresolvable);
      else if (dep && v == V_FAIL)
        snprintf(c->waited, sizeof c->waited, "the task stopped: %s", why);
      else if (dep)
        snprintf(c->waited, sizeof c->waited,
                 "the task stopped while it waited for dependency \"%s\" "
                 "(%s)",
                 dep, cond);
      else
        snprintf(c->waited, sizeof c->waited,
                 "the task stopped before it started");
      mark_not_started(e, i);
      changed = true;
      continue;
    }
    if (verdict(e, i, why, sizeof why) != V_FAIL)
      continue;
    c->has_exit = true;
    c->exit_code = EXIT_DEPENDENCY_FAILED;
    set_reason(c, "CannotStartContainerError: %s", why);
    mark_not_started(e, i);
    if (c->spec->essential)
      begin_stop(e, STOP_FAILED_TO_START, c->reason);
    changed = true;
  }
  return changed;
}

/* A PENDING container whose HEALTHY dependency is UNHEALTHY waits (the
 * agent does not give up, graph.go containerOrderingDependenciesIsResolved):
 * a container.waiting event says so once per spell, so that a task stuck
 * in PENDING shows why. */
static void note_waiting(fecs_engine *e) {
  for (size_t i = 0; i < e->n; i++) {
    ctr *c = &e->c[i];
    char why[FECS_REASON_MAX + 1] = "";
    for (size_t k = 0;
         c->state == FECS_C_PENDING && !e->stopping && k < c->n_ord && !why[0];
         k++) {
      const ctr *t = &e->c[c->deps[k]];
      if (c->ord[k].condition != FECS_DEP_HEALTHY ||
          t->health != FECS_HEALTH_UNHEALTHY || t->state != FECS_C_RUNNING)
        continue;
      if (t->start_timeout_us > 0)
        snprintf(why, sizeof why,
                 "dependency \"%s\" (HEALTHY) is UNHEALTHY; waiting until it "
                 "is HEALTHY, at most its startTimeout (%lld s)",
                 t->spec->name, (long long)(t->spec->start_timeout_ms / 1000));
      else
        snprintf(why, sizeof why,
                 "dependency \"%s\" (HEALTHY) is UNHEALTHY; it has no "
                 "startTimeout: the task stays PENDING until it is HEALTHY",
                 t->spec->name);
    }
    if (!strcmp(why, c->waiting))
      continue;
    snprintf(c->waiting, sizeof c->waiting, "%s", why);
    if (why[0])
      emit_container(e, FECS_EV_CONTAINER_WAITING, i);
  }
}

/* The pull of container i begins (the caller checked etd_pull_may_begin).
 * An image another container of the task pulled is cached; one it is
 * pulling is shared (the agent's image manager pulls an image once at a
 * time). A pull that takes no time has no events. */
static void begin_pull(fecs_engine *e, size_t i) {
  ctr *c = &e->c[i];
  int64_t done = e->now + c->pull_us;
  for (size_t j = 0; c->spec->image && j < e->n; j++) {
    const ctr *o = &e->c[j];
    if (j == i || !o->spec->image || strcmp(o->spec->image, c->spec->image))
      continue;
    if (o->pull == PULL_DONE)
      done = e->now;
    else if (o->pull == PULL_PULLING && o->pull_done_us < done)
      done = o->pull_done_us;
  }
  c->pull_done_us = done;
  if (done <= e->now) {
    c->pull = PULL_DONE;
    return;
  }
  c->pull = PULL_PULLING;
  emit_container(e, FECS_EV_CONTAINER_PULLING, i);
}

/* The credentials fetch ends (graph.go executionCredentialsResolved waits
 * for it): containers that need them may pull, or the task stops. */
static void end_credentials(fecs_engine *e) {
  fecs_event ev = ev_new(e, FECS_EV_TASK_CREDENTIALS, -1);
  ev.ok = !e->creds_error[0];
  e->creds = ev.ok ? CREDS_READY : CREDS_FAILED;
  char why[FECS_REASON_MAX + 1];
  if (!ev.ok) {
    etd_resource_init_reason(e->creds_error, why, sizeof why);
    ev.reason = e->creds_error;
  }
  push(e, &e->evs, &ev);
  if (!ev.ok)
    begin_stop(e, STOP_FAILED_TO_START, why);
}

/* What time alone decides before the graph settles: the credentials fetch
 * and pulls that are done, and starts that ECS_CONTAINER_START_TIMEOUT gives
 * up on (dockerapi's DockerTimeoutError). */
static void advance(fecs_engine *e) {
  if (!e->started)
    return;
  if (e->creds == CREDS_FETCHING && e->now >= e->creds_done_us)
    end_credentials(e);
  for (size_t i = 0; i < e->n; i++) {
    ctr *c = &e->c[i];
    if (c->state == FECS_C_PENDING && c->pull == PULL_PULLING &&
        e->now >= c->pull_done_us) {
      c->pull = PULL_DONE;
      emit_container(e, FECS_EV_CONTAINER_PULLED, i);
    }
    if (c->state == FECS_C_STARTING && c->start_due_us != FECS_NEVER &&
        e->now >= c->start_due_us) {
      etd_start_timeout_reason(e->start_limit_ms, c->reason, sizeof c->reason);
      c->has_reason = true;
      mark_not_started(e, i);
      if (c->spec->essential)
        begin_stop(e, STOP_FAILED_TO_START, c->reason);
    }
  }
}

static void settle(fecs_engine *e) {
  if (!e->started)
    return;
  for (;;) {
    if (settle_failures(e))
      continue;
    bool changed = false;
    for (size_t i = 0; i < e->n; i++) {
      ctr *c = &e->c[i];
      if (e->stopping) {
        if (c->state == FECS_C_RUNNING &&
            (e->opts.sigterm_all_at_once || dependents_done(e, i))) {
          send_sigterm(e, i);
          changed = true;
        }
      } else if (c->state == FECS_C_PENDING) {
        char why[200];
        bool met = verdict(e, i, why, sizeof why) == V_MET;
        if (c->pull == PULL_NONE &&
            etd_pull_may_begin(e->opts.pull_upfront, met,
                               !c->spec->exec_creds ||
                                   e->creds == CREDS_READY)) {
          begin_pull(e, i);
          changed = true;
        }
        if (met && c->pull == PULL_DONE) {
          queue_start(e, i);
          changed = true;
        }
      }
    }
    if (!changed)
      break;
  }
  update_task_status(e);
  note_waiting(e);
}

/* Health checks and SIGKILLs due at now. */
static void run_due(fecs_engine *e) {
  for (size_t i = 0; i < e->n; i++) {
    ctr *c = &e->c[i];
    if (c->state == FECS_C_STOPPING && c->kill_due_us != FECS_NEVER &&
        e->now >= c->kill_due_us) {
      c->kill_due_us = FECS_NEVER;
      c->sigkill_us = e->now;
      queue_action(e, FECS_ACT_SIGKILL, i);
      fecs_event ev = ev_new(e, FECS_EV_CONTAINER_KILLED, (int)i);
      ev.signal = SIGKILL;
      push(e, &e->evs, &ev);
    }
    if (c->state == FECS_C_RUNNING && !c->check_running &&
        c->next_check_us != FECS_NEVER && e->now >= c->next_check_us) {
      c->check_running = true;
      c->check_started_us = e->now;
      c->next_check_us = FECS_NEVER;
      queue_action(e, FECS_ACT_RUN_HEALTH_CHECK, i);
    }
  }
}

/* ---- driving API ---- */

static int broken_err(const fecs_engine *e, ecsb_err *err) {
  return ecsb_err_set(err, e->broken,
                      "engine: %s; the action and event queues must be "
                      "drained after every call",
                      e->broken == ECSB_ENOMEM ? "out of memory"
                                               : "queue overflow");
}

static int enter(fecs_engine *e, int64_t now, ecsb_err *err) {
  if (e->broken)
    return broken_err(e, err);
  if (now < 0 || now < e->now)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "engine: time went backwards (%lld us after %lld us)",
                        (long long)now, (long long)e->now);
  e->now = now;
  e->wall = e->opts.wall_us ? e->opts.wall_us(e->opts.wall_ctx) : FECS_NEVER;
  return 0;
}

static int finish(fecs_engine *e, ecsb_err *err) {
  advance(e);
  settle(e);
  run_due(e);
  return e->broken ? broken_err(e, err) : 0;
}

static int lookup(fecs_engine *e, const char *name, size_t *i, ecsb_err *err) {
  int idx = fecs_engine_container_find(e, name);
  if (idx < 0)
    return ecsb_err_set(err, ECSB_ENOTFOUND,
                        "engine: no container named \"%.255s\"",
                        name ? name : "");
  *i = (size_t)idx;
  return 0;
}

static int wrong_state(const fecs_engine *e, size_t i, const char *what,
                       ecsb_err *err) {
  return ecsb_err_set(
      err, ECSB_ESTATE, "engine: container \"%s\" is %s; %s is not expected",
      e->c[i].spec->name, fecs_container_state_name(e->c[i].state), what);
}

static int64_t scale_us(const fecs_engine *e, int64_t us) {
  if (us <= 0)
    return 0;
  if (e->opts.scale)
    us = e->opts.scale(e->opts.scale_ctx, us);
  return us < 1 ? 1 : us; /* a set duration never becomes "none" */
}

static int64_t scale_ms(const fecs_engine *e, int64_t ms) {
  return ms <= 0 ? 0 : scale_us(e, ms * 1000);
}

int fecs_engine_new(const fecs_task_spec *spec, const fecs_engine_opts *opts,
                    fecs_engine **out, ecsb_err *err) {
  *out = NULL;
  fecs_engine *e = calloc(1, sizeof *e);
  if (!e)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  pthread_mutex_init(&e->mu, NULL);
  int rc = fecs_task_spec_normalise(spec, &e->spec, err);
  if (rc)
    goto fail;
  if (opts)
    e->opts = *opts;
  e->n = e->spec->n_containers;
  e->acts.elem = sizeof(fecs_action);
  e->evs.elem = sizeof(fecs_event);
  e->stop_us = e->running_us = e->stopped_us = e->started_us = FECS_NEVER;
  e->wall = e->stop_wall_us = FECS_NEVER;
  for (size_t k = 0; k <= FECS_TASK_STOPPED; k++)
    e->status_wall_us[k] = FECS_NEVER;
  if (!(e->c = calloc(e->n, sizeof *e->c))) {
    rc = ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
    goto fail;
  }
  for (size_t i = 0; i < e->n; i++) {
    ctr *c = &e->c[i];
    c->spec = &e->spec->containers[i];
    c->started_us = c->healthy_us = c->sigterm_us = c->sigkill_us =
        c->exited_us = c->next_check_us = c->kill_due_us = FECS_NEVER;
    c->started_wall_us = c->exited_wall_us = c->health_wall_us = FECS_NEVER;
    c->interval_us = scale_ms(e, c->spec->health.interval_ms);
    c->timeout_us = scale_ms(e, c->spec->health.timeout_ms);
    c->start_period_us = scale_ms(e, c->spec->health.start_period_ms);
    c->start_timeout_us = scale_ms(e, c->spec->start_timeout_ms);
    c->stop_timeout_us = scale_ms(e, c->spec->stop_timeout_ms);
    c->restart_period_us = scale_ms(e, c->spec->restart.attempt_period_ms);
    c->pull_us = opts && opts->pull_us && i < opts->n_pull_us
                     ? scale_us(e, opts->pull_us[i])
                     : 0;
    c->pull_done_us = c->start_due_us = c->restarted_us = FECS_NEVER;
    if (etd_ordering(c->spec, &c->ord, &c->n_ord) ||
        !(c->deps = calloc(c->n_ord + 1, sizeof *c->deps))) {
      rc = ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
      goto fail;
    }
    for (size_t k = 0; k < c->n_ord; k++)
      c->deps[k] =
          (size_t)etd_dep_target(e->spec->containers, e->n, &c->ord[k]);
  }
  if (opts && opts->task_arn)
    snprintf(e->task_arn, sizeof e->task_arn, "%s", opts->task_arn);
  if (opts && opts->credentials_error)
    snprintf(e->creds_error, sizeof e->creds_error, "%s",
             *opts->credentials_error ? opts->credentials_error
                                      : "execution resource retrieval failed");
  e->creds_done_us = FECS_NEVER;
  e->start_limit_ms = e->opts.container_start_timeout_us / 1000;
  e->start_limit_us = scale_us(e, e->opts.container_start_timeout_us);
  /* the copies are the engine's; the caller's arrays may go */
  e->opts.pull_us = NULL;
  e->opts.credentials_error = NULL;
  e->opts.task_arn = NULL;
  ecsb_err aerr = {0};
  if (etd_agent_check(e->spec->containers, e->n, NULL, &aerr) == ECSB_ENOMEM) {
    rc = ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
    goto fail;
  }
  snprintf(e->unresolvable, sizeof e->unresolvable, "%s", aerr.msg);
  *out = e;
  return 0;
fail:
  fecs_engine_free(e);
  return rc;
}

void fecs_engine_free(fecs_engine *e) {
  if (!e)
    return;
  for (size_t i = 0; e->c && i < e->n; i++) {
    free(e->c[i].deps);
    free(e->c[i].ord);
  }
  free(e->c);
  free(e->acts.buf);
  free(e->evs.buf);
  fecs_task_spec_free(e->spec);
  pthread_mutex_destroy(&e->mu);
  free(e);
}

static int start_locked(fecs_engine *e, int64_t now, ecsb_err *err) {
  int rc = enter(e, now, err);
  if (rc)
    return rc;
  if (e->started)
    return ecsb_err_set(err, ECSB_ESTATE, "engine: the task already started");
  e->started = true;
  e->started_us = now;
  set_status(e, FECS_TASK_PROVISIONING);
  set_status(e, FECS_TASK_PENDING);
  for (size_t i = 0; i < e->n; i++)
    emit_container(e, FECS_EV_CONTAINER_PENDING, i);
  fecs_event ev = ev_new(e, FECS_EV_TASK_HEALTH, -1);
  ev.health = e->health = FECS_HEALTH_UNKNOWN;
  push(e, &e->evs, &ev);
  /* The credentials fetch begins with the task, for the containers that
   * need them (etd_needs_execution_credentials); advance() ends it. */
  for (size_t i = 0; i < e->n && e->creds == CREDS_READY; i++)
    if (e->c[i].spec->exec_creds) {
      e->creds = CREDS_FETCHING;
      e->creds_done_us = now + scale_us(e, e->opts.credentials_us);
    }
  if (e->unresolvable[0]) {
    /* docker_task_engine.go UpsertTask: ValidDependencies failed, the task
     * stops before any container starts (TaskDependencyError's text). */
    char why[FECS_REASON_MAX + 1];
    snprintf(why, sizeof why, "%s%s%.200s", ETD_AGENT_UNRESOLVABLE,
             e->task_arn[0] ? ", taskArn: " : "", e->task_arn);
    begin_stop(e, STOP_FAILED_TO_START, why);
  }
  return finish(e, err);
}

static int container_started_locked(fecs_engine *e, const char *name,
                                    int64_t now, ecsb_err *err) {
  size_t i = 0;
  int rc = enter(e, now, err);
  if (!rc)
    rc = lookup(e, name, &i, err);
  if (rc)
    return rc;
  if (e->c[i].state != FECS_C_STARTING)
    return wrong_state(e, i, "a start", err);
  mark_started(e, i);
  return finish(e, err);
}

static int container_start_failed_locked(fecs_engine *e, const char *name,
                                         const char *reason, int64_t now,
                                         ecsb_err *err) {
  size_t i = 0;
  int rc = enter(e, now, err);
  if (!rc)
    rc = lookup(e, name, &i, err);
  if (rc)
    return rc;
  ctr *c = &e->c[i];
  if (c->state != FECS_C_STARTING)
    return wrong_state(e, i, "a start failure", err);
  set_reason(c, "CannotStartContainerError: %s",
             reason && *reason ? reason : "the process could not be started");
  mark_not_started(e, i);
  if (c->spec->essential)
    begin_stop(e, STOP_FAILED_TO_START, c->reason);
  return finish(e, err);
}

static int container_exited_locked(fecs_engine *e, const char *name,
                                   int exit_code, int64_t now, ecsb_err *err) {
  size_t i = 0;
  int rc = enter(e, now, err);
  if (!rc)
    rc = lookup(e, name, &i, err);
  if (rc)
    return rc;
  ctr *c = &e->c[i];
  if (c->state == FECS_C_STARTING)
    mark_started(e, i);
  if (c->state != FECS_C_RUNNING && c->state != FECS_C_STOPPING)
    return wrong_state(e, i, "an exit", err);
  c->state = FECS_C_STOPPED;
  c->exited_us = now;
  c->exited_wall_us = e->wall;
  e->changes++;
  c->has_exit = true;
  c->exit_code = exit_code;
  c->check_running = false;
  c->next_check_us = c->kill_due_us = FECS_NEVER;
  emit_container(e, FECS_EV_CONTAINER_EXITED, i);
  /* task_manager.go asks the restart tracker before the exit can stop the
   * task: a container it restarts is not stopped, for the task or for its
   * dependents. */
  int64_t since =
      now - (c->restarted_us != FECS_NEVER ? c->restarted_us : c->started_us);
  if (etd_restart_should(&c->spec->restart, exit_code, e->stopping, since,
                         c->restart_period_us, NULL)) {
    c->restarts++;
    c->restarted_us = now;
    c->streak = 0;
    emit_container(e, FECS_EV_CONTAINER_RESTARTING, i);
    queue_start(e, i);
  } else if (c->spec->essential) {
    begin_stop(e, STOP_ESSENTIAL, REASON_ESSENTIAL);
  }
  return finish(e, err);
}

static int health_result_locked(fecs_engine *e, const char *name, bool ok,
                                int64_t now, ecsb_err *err) {
  size_t i = 0;
  int rc = enter(e, now, err);
  if (!rc)
    rc = lookup(e, name, &i, err);
  if (rc)
    return rc;
  ctr *c = &e->c[i];
  if (c->state == FECS_C_STOPPING || c->state == FECS_C_STOPPED)
    return finish(e, err); /* raced with the stop: nothing to decide */
  if (c->state != FECS_C_RUNNING || !c->check_running)
    return wrong_state(e, i, "a health-check result with no check running",
                       err);
  c->check_running = false;
  c->next_check_us = now + c->interval_us;
  if (ok) {
    c->streak = 0;
    set_health(e, i, FECS_HEALTH_HEALTHY);
  } else {
    /* Docker: until the first success, a failure of a check that started
     * inside the start period does not count. */
    bool grace = c->health == FECS_HEALTH_UNKNOWN &&
                 c->check_started_us < c->started_us + c->start_period_us;
    if (!grace && ++c->streak >= c->spec->health.retries)
      set_health(e, i, FECS_HEALTH_UNHEALTHY);
  }
  return finish(e, err);
}

static int stop_task_locked(fecs_engine *e, const char *reason, int64_t now,
                            ecsb_err *err) {
  int rc = enter(e, now, err);
  if (rc)
    return rc;
  if (!e->started)
    return ecsb_err_set(err, ECSB_ESTATE, "engine: the task has not started");
  if (reason && strlen(reason) > FECS_REASON_MAX)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "engine: the stop reason has %zu characters (at most "
                        "%d)",
                        strlen(reason), FECS_REASON_MAX);
  begin_stop(e, STOP_USER, reason && *reason ? reason : REASON_USER_DEFAULT);
  return finish(e, err);
}

static int tick_locked(fecs_engine *e, int64_t now, ecsb_err *err) {
  int rc = enter(e, now, err);
  return rc ? rc : finish(e, err);
}

/* The driving calls: each holds the engine's mutex throughout; the
 * *_locked bodies above expect it held. */

static void lock(const fecs_engine *e) {
  /* the mutex is not part of the state a const engine promises to keep */
  pthread_mutex_lock((pthread_mutex_t *)&e->mu);
}

static void unlock(const fecs_engine *e) {
  pthread_mutex_unlock((pthread_mutex_t *)&e->mu);
}

int fecs_engine_start(fecs_engine *e, int64_t now, ecsb_err *err) {
  lock(e);
  int rc = start_locked(e, now, err);
  unlock(e);
  return rc;
}

int fecs_engine_container_started(fecs_engine *e, const char *name, int64_t now,
                                  ecsb_err *err) {
  lock(e);
  int rc = container_started_locked(e, name, now, err);
  unlock(e);
  return rc;
}

int fecs_engine_container_start_failed(fecs_engine *e, const char *name,
                                       const char *reason, int64_t now,
                                       ecsb_err *err) {
  lock(e);
  int rc = container_start_failed_locked(e, name, reason, now, err);
  unlock(e);
  return rc;
}

int fecs_engine_container_exited(fecs_engine *e, const char *name,
                                 int exit_code, int64_t now, ecsb_err *err) {
  lock(e);
  int rc = container_exited_locked(e, name, exit_code, now, err);
  unlock(e);
  return rc;
}

int fecs_engine_health_result(fecs_engine *e, const char *name, bool ok,
                              int64_t now, ecsb_err *err) {
  lock(e);
  int rc = health_result_locked(e, name, ok, now, err);
  unlock(e);
  return rc;
}

int fecs_engine_stop_task(fecs_engine *e, const char *reason, int64_t now,
                          ecsb_err *err) {
  lock(e);
  int rc = stop_task_locked(e, reason, now, err);
  unlock(e);
  return rc;
}

int fecs_engine_tick(fecs_engine *e, int64_t now, ecsb_err *err) {
  lock(e);
  int rc = tick_locked(e, now, err);
  unlock(e);
  return rc;
}

static int64_t min64(int64_t a, int64_t b) {
  return a < b ? a : b;
}

static int64_t next_deadline_locked(const fecs_engine *e) {
  int64_t d = FECS_NO_DEADLINE;
  if (!e->started)
    return d;
  if (e->creds == CREDS_FETCHING && !e->stopping)
    d = e->creds_done_us;
  for (size_t i = 0; i < e->n; i++) {
    const ctr *c = &e->c[i];
    if (c->state == FECS_C_RUNNING && !c->check_running &&
        c->next_check_us != FECS_NEVER)
      d = min64(d, c->next_check_us);
    if (c->state == FECS_C_STOPPING && c->kill_due_us != FECS_NEVER)
      d = min64(d, c->kill_due_us);
    if (c->state == FECS_C_STARTING && c->start_due_us != FECS_NEVER)
      d = min64(d, c->start_due_us);
    if (c->state == FECS_C_PENDING && c->pull == PULL_PULLING && !e->stopping)
      d = min64(d, c->pull_done_us);
    if (c->state != FECS_C_PENDING || e->stopping)
      continue;
    for (size_t k = 0; k < c->n_ord; k++) {
      const ctr *t = &e->c[c->deps[k]];
      char why[200];
      if (c->ord[k].condition != FECS_DEP_START &&
          c->ord[k].condition != FECS_DEP_CREATE && t->start_timeout_us > 0 &&
          t->started_us != FECS_NEVER && t->state != FECS_C_STOPPED &&
          dep_verdict(e, i, k, why, sizeof why) == V_WAIT)
        d = min64(d, t->started_us + t->start_timeout_us);
    }
  }
  return d;
}

int64_t fecs_engine_next_deadline(const fecs_engine *e) {
  lock(e);
  int64_t d = next_deadline_locked(e);
  unlock(e);
  return d;
}

bool fecs_engine_next_action(fecs_engine *e, fecs_action *out) {
  lock(e);
  bool any = q_pop(&e->acts, out);
  unlock(e);
  return any;
}

bool fecs_engine_next_event(fecs_engine *e, fecs_event *out) {
  lock(e);
  bool any = q_pop(&e->evs, out);
  unlock(e);
  return any;
}

/* ---- queries ---- */

size_t fecs_engine_container_count(const fecs_engine *e) {
  return e->n;
}

int fecs_engine_container_find(const fecs_engine *e, const char *name) {
  for (size_t i = 0; name && i < e->spec->n_containers; i++)
    if (strcmp(e->spec->containers[i].name, name) == 0)
      return (int)i;
  return -1;
}

int fecs_engine_container_info(const fecs_engine *e, size_t i,
                               fecs_container_info *out, ecsb_err *err) {
  if (i >= e->n)
    return ecsb_err_set(err, ECSB_ENOTFOUND,
                        "engine: no container %zu (the task has %zu)", i, e->n);
  lock(e);
  const ctr *c = &e->c[i];
  *out = (fecs_container_info){
      .name = c->spec->name,
      .essential = c->spec->essential,
      .has_health_check = c->spec->health.command != NULL,
      .state = c->state,
      .health = c->health,
      .failing_streak = c->streak,
      .started_us = c->started_us,
      .healthy_us = c->healthy_us,
      .sigterm_us = c->sigterm_us,
      .sigkill_us = c->sigkill_us,
      .exited_us = c->exited_us,
      .has_exit_code = c->has_exit,
      .exit_code = c->exit_code,
      .reason = c->has_reason ? c->reason : NULL,
      .started_wall_us = c->started_wall_us,
      .exited_wall_us = c->exited_wall_us,
      .health_wall_us = c->health_wall_us,
  };
  unlock(e);
  return 0;
}

const fecs_container_spec *fecs_engine_container_spec(const fecs_engine *e,
                                                      size_t i) {
  return i < e->n ? &e->spec->containers[i] : NULL;
}

void fecs_engine_task_info(const fecs_engine *e, fecs_task_info *out) {
  lock(e);
  *out = (fecs_task_info){
      .status = e->status,
      .health = e->health,
      .stop_requested = e->stopping,
      .stop_code = e->stop_code,
      .stopped_reason = e->stopping ? e->stop_reason : NULL,
      .started_us = e->started_us,
      .running_us = e->running_us,
      .stop_requested_us = e->stop_us,
      .stopped_us = e->stopped_us,
      .stop_requested_wall_us = e->stop_wall_us,
      .changes = e->changes,
  };
  memcpy(out->status_wall_us, e->status_wall_us, sizeof out->status_wall_us);
  unlock(e);
}
