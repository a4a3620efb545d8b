/*
 * fecs_lifecycle.c - the task lifecycle: lastStatus moves (forward only,
 * recording every step), StopTask, container status and health, the
 * task's healthStatus rule, and the automatic plan (start_delay_ms to
 * RUNNING, stop_delay_ms to STOPPED, and the task faults late / never
 * RUNNING / stopped after start) applied lazily by fecs_advance_locked.
 *
 * What a task shows is read from its owner (fecs_task_state_locked): the
 * record these functions move, or the engine of a task the agent
 * simulator runs, which owns its agent-side state (fecs_task_engine_new).
 *
 * Called with fecs.mu held by the operations, the endpoint and fecs.c.
 * Status changes are queued as hook events stamped with the time they
 * were due. Invariant: a task's lastStatus only moves forward through
 * FECS_LS_*; DEACTIVATING only follows RUNNING; a task stopped before it
 * ran goes straight to STOPPING.
 */
#include <stdlib.h>
#include <string.h>

#include "fecs_internal.h"

/* ---- lifecycle ---------------------------------------------------------- */

int fecs_task_health(const fecs_task_rec *t) {
  /* ECS: essential containers with a check decide; non-essential ones only
   * when no essential container has a check; none at all: UNKNOWN. */
  for (int pass = 0; pass < 2; pass++) {
    bool any = false, unknown = false;
    for (size_t i = 0; i < t->n_ctrs; i++) {
      const fecs_ctr *c = &t->ctrs[i];
      if (!c->has_hc || c->essential != (pass == 0))
        continue;
      any = true;
      if (c->health == FECS_H_UNHEALTHY)
        return FECS_H_UNHEALTHY;
      if (c->health == FECS_H_UNKNOWN)
        unknown = true;
    }
    if (any)
      return unknown ? FECS_H_UNKNOWN : FECS_H_HEALTHY;
  }
  return FECS_H_UNKNOWN;
}

/* ---- what a task shows: its record's, or its engine's ------------------ */

static int64_t from_engine_us(int64_t us) {
  return us == FECS_NEVER ? FECS_NEVER_US : us;
}

static int from_engine_health(fecs_health h) {
  return h == FECS_HEALTH_HEALTHY     ? FECS_H_HEALTHY
         : h == FECS_HEALTH_UNHEALTHY ? FECS_H_UNHEALTHY
                                      : FECS_H_UNKNOWN;
}

void fecs_task_state_locked(const fecs_task_rec *t, fecs_task_state *out) {
  *out = (fecs_task_state){.status = t->status,
                           .desired_stopped = t->desired_stopped,
                           .stop_code = t->stop_code,
                           .stopped_reason = t->stopped_reason,
                           .health = fecs_task_health(t),
                           .pull_started_us = t->pull_started_us,
                           .pull_stopped_us = t->pull_stopped_us,
                           .started_us = t->started_us,
                           .connectivity_us = t->connectivity_us,
                           .stopping_us = t->stopping_us,
                           .exec_stopped_us = t->exec_stopped_us,
                           .stopped_us = t->stopped_us,
                           .version = t->version};
  if (!t->eng)
    return;
  fecs_task_info ti;
  fecs_engine_task_info(t->eng, &ti);
  const int64_t *w = ti.status_wall_us;
  /* fecs_task_status is NONE followed by the lifecycle in FECS_LS_ order */
  out->status =
      ti.status == FECS_TASK_NONE ? FECS_LS_PROVISIONING : (int)ti.status - 1;
  out->health = from_engine_health(ti.health);
  out->connectivity_us = out->pull_started_us =
      from_engine_us(w[FECS_TASK_PENDING]);
  out->pull_stopped_us = from_engine_us(w[FECS_TASK_ACTIVATING]);
  out->started_us = from_engine_us(w[FECS_TASK_RUNNING]);
  out->exec_stopped_us = from_engine_us(
      w[FECS_TASK_DEPROVISIONING] != FECS_NEVER ? w[FECS_TASK_DEPROVISIONING]
                                                : w[FECS_TASK_STOPPED]);
  out->stopped_us = from_engine_us(w[FECS_TASK_STOPPED]);
  out->version = t->version + (int64_t)ti.changes;
  /* A StopTask call came first: its code and reason stand, as in ECS. */
  if (!t->desired_stopped && ti.stop_requested) {
    out->desired_stopped = true;
    out->stop_code = ti.stop_code;
    out->stopped_reason = ti.stopped_reason;
    out->stopping_us = from_engine_us(ti.stop_requested_wall_us);
  }
}

void fecs_ctr_state_locked(const fecs_task_rec *t, size_t i,
                           fecs_ctr_state *out) {
  const fecs_ctr *c = &t->ctrs[i];
  *out = (fecs_ctr_state){.status = c->status,
                          .has_exit = c->has_exit,
                          .exit_code = c->exit_code,
                          .reason = c->reason,
                          .health = c->health,
                          .health_since_us = c->health_since_us,
                          .started_us = c->started_us,
                          .finished_us = c->finished_us};
  fecs_container_info ci;
  if (!t->eng || fecs_engine_container_info(t->eng, i, &ci, NULL) != 0)
    return;
  switch (ci.state) {
  case FECS_C_PENDING:
  case FECS_C_STARTING:
    out->status = FECS_CS_PENDING;
    break;
  case FECS_C_RUNNING:
  case FECS_C_STOPPING:
    out->status = FECS_CS_RUNNING;
    break;
  default:
    out->status = FECS_CS_STOPPED;
  }
  out->has_exit = ci.has_exit_code;
  out->exit_code = ci.exit_code;
  /* ECS shows a reason with the exit code it set (a dependency that can
   * never be met); the stop of a container that never ran shows none. */
  out->reason = ci.has_exit_code ? ci.reason : NULL;
  out->health = from_engine_health(ci.health);
  out->health_since_us = from_engine_us(ci.health_wall_us);
  out->started_us = from_engine_us(ci.started_wall_us);
  out->finished_us = from_engine_us(ci.exited_wall_us);
}

static void set_ls(fecs *f, fecs_task_rec *t, int ls, int64_t when) {
  t->status = ls;
  t->version++;
  switch (ls) {
  case FECS_LS_PENDING:
    t->connectivity_us = when;
    t->pull_started_us = when;
    break;
  case FECS_LS_ACTIVATING:
    t->pull_stopped_us = when;
    break;
  case FECS_LS_RUNNING:
    t->started_us = when;
    break;
  case FECS_LS_DEACTIVATING:
  case FECS_LS_STOPPING:
    if (t->stopping_us == FECS_NEVER_US)
      t->stopping_us = when;
    break;
  case FECS_LS_DEPROVISIONING:
    t->exec_stopped_us = when;
    break;
  case FECS_LS_STOPPED:
    if (t->exec_stopped_us == FECS_NEVER_US)
      t->exec_stopped_us = when;
    t->stopped_us = when;
    break;
  default:
    break;
  }
  fecs_emit_task_locked(f, t, when);
}

void fecs_ctr_set_status_locked(fecs *f, fecs_task_rec *t, fecs_ctr *c,
                                int status, int64_t when) {
  if (c->status == status)
    return;
  c->status = status;
  if (status == FECS_CS_RUNNING && c->started_us == FECS_NEVER_US)
    c->started_us = when;
  if (status == FECS_CS_STOPPED)
    c->finished_us = when;
  t->version++;
  fecs_hook_event ev = {.kind = FECS_HOOK_CONTAINER_STATUS,
                        .wall_us = when,
                        .task_arn = t->arn,
                        .container = c->name,
                        .status = fecs_cs_names[status],
                        .has_exit_code = c->has_exit,
                        .exit_code = c->exit_code};
  fecs_emit_locked(f, &ev);
}

void fecs_ctr_set_health_locked(fecs *f, fecs_task_rec *t, fecs_ctr *c,
                                int health, int64_t when) {
  if (c->health == health)
    return;
  c->health = health;
  c->health_since_us = when;
  t->version++;
  fecs_hook_event ev = {.kind = FECS_HOOK_CONTAINER_HEALTH,
                        .wall_us = when,
                        .task_arn = t->arn,
                        .container = c->name,
                        .status = fecs_h_names[health]};
  fecs_emit_locked(f, &ev);
}

void fecs_task_request_stop_locked(fecs *f, fecs_task_rec *t,
                                   const char *stop_code, const char *reason,
                                   int64_t when) {
  if (t->desired_stopped)
    return; /* the first stop wins, as in ECS */
  t->desired_stopped = true;
  t->stopping_us = when;
  free(t->stop_code);
  free(t->stopped_reason);
  t->stop_code = stop_code ? strdup(stop_code) : NULL;
  t->stopped_reason =
      strdup(reason && *reason ? reason : "Task stopped by user");
  t->version++;
  t->run_at_us = FECS_NEVER_US; /* a stopped task never starts */
  fecs_emit_task_locked(f, t, when);
  if (f->cfg.auto_lifecycle && t->status != FECS_LS_STOPPED) {
    t->stop_at_us = when + f->cfg.stop_delay_ms * 1000;
    fecs_plan_locked(f, t);
  }
}

int fecs_task_move_locked(fecs *f, fecs_task_rec *t, int target, int64_t when,
                          ecsb_err *err) {
  if (target < t->status)
    return ecsb_err_set(err, ECSB_ESTATE,
                        "task %s is %s; lastStatus only moves forward, not "
                        "to %s",
                        t->id, fecs_ls_names[t->status], fecs_ls_names[target]);
  if (target == t->status)
    return 0;
  if (target >= FECS_LS_DEACTIVATING && !t->desired_stopped) {
    t->desired_stopped = true;
    t->stopping_us = when;
    t->run_at_us = FECS_NEVER_US;
  }
  int first = t->status + 1;
  /* A task stopped before it ran never passes through RUNNING, and only a
   * running task deactivates: it goes straight to STOPPING. */
  if (target >= FECS_LS_DEACTIVATING && t->status < FECS_LS_RUNNING)
    first = FECS_LS_STOPPING;
  for (int s = first; s <= target; s++) {
    if (s == FECS_LS_DEACTIVATING && t->status != FECS_LS_RUNNING)
      continue;
    if (s >= FECS_LS_DEPROVISIONING) /* containers are down by then */
      for (size_t i = 0; i < t->n_ctrs; i++)
        fecs_ctr_set_status_locked(f, t, &t->ctrs[i], FECS_CS_STOPPED, when);
    set_ls(f, t, s, when);
  }
  return 0;
}

/* The automatic lifecycle's "started": every container runs, those with a
 * health check report HEALTHY when auto_healthy is set. */
static void auto_run(fecs *f, fecs_task_rec *t, int64_t when) {
  fecs_task_move_locked(f, t, FECS_LS_ACTIVATING, when, NULL);
  for (size_t i = 0; i < t->n_ctrs; i++) {
    fecs_ctr *c = &t->ctrs[i];
    fecs_ctr_set_status_locked(f, t, c, FECS_CS_RUNNING, when);
    if (c->has_hc && f->cfg.auto_healthy)
      fecs_ctr_set_health_locked(f, t, c, FECS_H_HEALTHY, when);
  }
  fecs_task_move_locked(f, t, FECS_LS_RUNNING, when, NULL);
}

/* The automatic "stopped": running containers exit 143 (SIGTERM) unless
 * they already have an exit code, then the task walks to STOPPED. */
static void auto_stop(fecs *f, fecs_task_rec *t, int64_t when) {
  int first =
      t->status == FECS_LS_RUNNING ? FECS_LS_DEACTIVATING : FECS_LS_STOPPING;
  fecs_task_move_locked(f, t, first, when, NULL);
  for (size_t i = 0; i < t->n_ctrs; i++) {
    fecs_ctr *c = &t->ctrs[i];
    if (c->status == FECS_CS_RUNNING && !c->has_exit) {
      c->has_exit = true;
      c->exit_code = 143;
    }
    fecs_ctr_set_status_locked(f, t, c, FECS_CS_STOPPED, when);
  }
  fecs_task_move_locked(f, t, FECS_LS_STOPPED, when, NULL);
}

static bool advance_one(fecs *f, fecs_task_rec *t, int64_t now) {
  if (t->run_at_us != FECS_NEVER_US && t->run_at_us <= now &&
      !t->desired_stopped) {
    int64_t at = t->run_at_us;
    t->run_at_us = FECS_NEVER_US;
    if (t->hold_pending) {
      fecs_task_move_locked(f, t, FECS_LS_PENDING, at, NULL);
    } else if (t->status < FECS_LS_RUNNING) {
      auto_run(f, t, at);
      if (t->fault_stop_after_us != FECS_NEVER_US)
        t->fault_stop_at_us = at + t->fault_stop_after_us;
    }
  }
  if (t->fault_stop_at_us != FECS_NEVER_US && t->fault_stop_at_us <= now) {
    int64_t at = t->fault_stop_at_us;
    t->fault_stop_at_us = FECS_NEVER_US;
    if (t->status == FECS_LS_RUNNING && !t->desired_stopped) {
      /* the first essential container exits; ECS then stops the task */
      for (size_t i = 0; i < t->n_ctrs; i++) {
        fecs_ctr *c = &t->ctrs[i];
        if (c->essential && c->status == FECS_CS_RUNNING) {
          c->has_exit = true;
          c->exit_code = t->fault_exit_code;
          fecs_ctr_set_status_locked(f, t, c, FECS_CS_STOPPED, at);
          break;
        }
      }
      fecs_task_request_stop_locked(f, t, "EssentialContainerExited",
                                    "Essential container in task exited", at);
    }
  }
  if (t->stop_at_us != FECS_NEVER_US && t->stop_at_us <= now) {
    int64_t at = t->stop_at_us;
    t->stop_at_us = FECS_NEVER_US;
    if (t->status != FECS_LS_STOPPED)
      auto_stop(f, t, at);
  }
  return t->run_at_us != FECS_NEVER_US || t->stop_at_us != FECS_NEVER_US ||
         t->fault_stop_at_us != FECS_NEVER_US;
}

void fecs_advance_locked(fecs *f, int64_t now) {
  /* advance_one never adds to f->pending: a task being advanced is already
   * in it (pending_plan), so plan() is a no-op for it. */
  size_t k = 0;
  for (size_t i = 0; i < f->n_pending; i++) {
    fecs_task_rec *t = f->pending[i];
    if (advance_one(f, t, now))
      f->pending[k++] = t;
    else
      t->pending_plan = false;
  }
  f->n_pending = k;
}
