/*
 * run_lag.c - host lag: the wall time a busy machine adds to a task's
 * timeline that the scenario never asked for (see run_internal.h).
 *
 * At time_scale 0.01 every millisecond a container waits for a CPU is
 * 100 ms of scenario time, so a loaded host would turn into late
 * milestones, failed health checks and failed deadlines; and so would a
 * process's own CPU work, which takes the host's time, not the
 * scenario's. The runner measures both from the kernel's per-thread
 * schedstat (time on a CPU, and runnable but not running) of every
 * process of the task, their children and its health-check processes,
 * and the wait of its own loop thread (which decides every start and
 * health check), and runs the task's timers on task time (run time minus
 * the lag); the task's processes follow the same clock (ecsb/taskclock.h). The
 * lag is recorded as a host.lag event before each event of the task (a fleet
 * samples far more often than it has events worth a line), in sweeps, and at
 * the end, so reports and verdicts can take it out again (docs/events.md).
 *
 * Containers of a task run side by side: between two samples the task is
 * charged the largest figure of any one of them (plus the loop's), not the
 * sum, which would count the same stalled moment once per process. The
 * task is sampled whenever the runner acts on it (a timer, a reap, a
 * health result, a milestone), so each interval is short.
 */
#include <sys/syscall.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "run_internal.h"

/* Reading the loop thread's schedstat is a file read. */
#define RUN_LAG_SELF_EVERY_US 500
/* Smaller changes are not worth an event (0.1 ms wall). */
#define RUN_LAG_EMIT_MIN_US 100

int64_t scn_run_lag_self(scn_runner *r) {
  if (!r->loop_tid)
    r->loop_tid = (pid_t)syscall(SYS_gettid);
  int64_t now = scn_run_now(r);
  if (r->self_lag_at == 0 || now - r->self_lag_at >= RUN_LAG_SELF_EVERY_US) {
    int64_t v = scn_proc_thread_run_delay_us(r->loop_tid);
    if (v > r->self_lag_us)
      r->self_lag_us = v;
    r->self_lag_at = now;
  }
  return r->self_lag_us;
}

/* The host time a process took since it was last seen: all of its waits
 * for a CPU, and of its time on a CPU what the scenario did not ask for.
 * A process runs at the host's speed, not the scenario's: at time_scale
 * 0.01 the 25 ms discover-servers needs to start and load its libraries
 * would be 2.5 s of scenario time, and how long it takes changes from one
 * run to the next. Its CPU time counts as the scaled duration it would
 * have in the scenario (cpu * time_scale) and the rest is lag. */
typedef struct charge {
  int64_t all; /* waits and CPU work beyond the scenario's time */
  int64_t cpu; /* the CPU work alone: measured, not estimated */
} charge;

static charge delta(const scn_runner *r, scn_proc *p, scn_proc_times *seen) {
  charge ch = {0, 0};
  if (!p)
    return ch;
  scn_proc_times v = scn_proc_times_us(p);
  int64_t wait = v.wait_us > seen->wait_us ? v.wait_us - seen->wait_us : 0;
  int64_t cpu = v.cpu_us > seen->cpu_us ? v.cpu_us - seen->cpu_us : 0;
  *seen = v;
  double keep = r->s->time_scale < 1.0 ? r->s->time_scale : 1.0;
  ch.cpu = (int64_t)((double)cpu * (1.0 - keep));
  ch.all = wait + ch.cpu;
  return ch;
}

void scn_run_lag_update(scn_runner *r, scn_run_task *t) {
  if (!t->created)
    return;
  int64_t self = scn_run_lag_self(r);
  int64_t runner = self > t->lag_runner ? self - t->lag_runner : 0;
  t->lag_runner = self;
  charge most = {0, 0};
  for (size_t i = 0; i < t->n; i++) {
    scn_run_ctr *c = &t->c[i];
    charge d = delta(r, c->proc, &c->lag_seen);
    if (d.all > most.all)
      most = d;
    if ((d = delta(r, c->probe_proc, &c->probe_lag_seen)).all > most.all)
      most = d;
  }
  /* Never more than the task time that passed since task time was last
   * handed out: task time never goes backwards, and a process whose
   * threads all waited at once is not charged more than the wall time. */
  int64_t add = runner + most.all, cpu = most.cpu;
  int64_t room = scn_run_now(r) - t->lag_us - t->tt_max;
  if (room < 0)
    room = 0;
  if (add > room) {
    runner = add ? runner * room / add : 0;
    cpu = add ? cpu * room / add : 0;
    add = room;
  }
  if (add <= 0)
    return;
  t->lag_us += add;
  t->lag_runner_us += runner;
  t->lag_cpu_us += cpu;
  ecsb_taskclock_set_lag_us(t->clock, t->lag_us);
  if (t->lag_us > r->max_lag_us)
    r->max_lag_us = t->lag_us;
}

void scn_run_lag_flush(scn_runner *r, scn_run_task *t, int64_t at) {
  if (!t->created || t->lag_us - t->lag_emitted < RUN_LAG_EMIT_MIN_US)
    return;
  t->lag_emitted = t->lag_us;
  cJSON *d = cJSON_CreateObject();
  cJSON_AddNumberToObject(d, "lag_us", (double)t->lag_us);
  cJSON_AddNumberToObject(d, "runner_us", (double)t->lag_runner_us);
  cJSON_AddNumberToObject(d, "cpu_us", (double)t->lag_cpu_us);
  scn_run_emit(r, at, "host.lag", t->name, NULL, d);
}

int64_t scn_run_lag_sweep(scn_runner *r) {
  int64_t t0 = scn_run_now(r);
  for (size_t i = 0; i < r->n_tasks; i++) {
    scn_run_task *t = &r->tasks[i];
    if (t->created && !t->done) {
      scn_run_lag_update(r, t);
      scn_run_lag_flush(r, t, -1);
    }
  }
  return scn_run_now(r) - t0;
}

int64_t scn_run_task_now(const scn_runner *r, scn_run_task *t) {
  int64_t v = scn_run_now(r) - t->lag_us;
  if (v > t->tt_max)
    t->tt_max = v;
  return t->tt_max;
}
