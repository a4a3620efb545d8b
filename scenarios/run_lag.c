/*
 * run_lag.c - host lag: the wall time a busy machine adds to a task's
 * timeline that the scenario never asked for (see run_internal.h).
 *
 * At time_scale 0.01 every millisecond a container waits for a CPU is
 * 100 ms of scenario time, so a loaded host would turn into late
 * milestones, failed health checks and failed deadlines. The runner
 * measures that wait from the kernel's per-thread schedstat (runnable but
 * not running) of every process of the task, their children, its
 * health-check processes and the runner's own threads (the loop, which
 * decides every start and health check; the fakes' servers, which answer
 * the task's calls to ECS and Consul; the probe workers) and fork servers
 * (which start its containers), and runs the task's timers on task time
 * (run time minus the lag); the task's processes follow the same clock
 * (ecsb/taskclock.h). It also charges the time the task waited for the
 * loop to act on it (run_internal.h, scn_run_lag_update), and the task's
 * processes' own CPU work beyond its scaled duration: a process runs at
 * the host's speed, not the scenario's, so at 0.01 each millisecond of
 * CPU a container needs to start and do its work would be 100 ms of
 * scenario time, more on a slower machine; charged, it counts as the
 * millisecond it is. The same holds for the time a process was blocked
 * on its own disk writes (a fsync), which the kernel's counts do not show
 * and the process measures itself. The CPU the fakes' servers spent answering
 * the task's calls is charged too (scn_run_lag_served): its process was blocked
 * on it, and in ECS that time is AWS's and the Consul servers', not the task's
 * host's. The lag is recorded as a host.lag event before each event of the task
 * (a fleet samples far more often than it has events worth a line), in sweeps,
 * and at the end, so reports and verdicts can take it out again
 * (docs/events.md).
 *
 * Containers of a task run side by side: between two samples the task is
 * charged the largest charge (waits and CPU work) of any one of them (plus
 * the runner's), not the sum, which would count the same moment once per
 * process. The task is sampled whenever the runner acts on it (a timer, a
 * reap, a health result, a milestone), so each interval is short.
 */
#include <unistd.h>

#include <cjson/cJSON.h>

#include "run_internal.h"

/* Reading the runner's schedstat is a file read per thread: every 0.5 ms
 * cost a built-in run 18 ms of CPU (perf stat), 12 %. */
#define RUN_LAG_SELF_EVERY_US 2000
/* Smaller changes are not worth an event (0.1 ms wall). */
#define RUN_LAG_EMIT_MIN_US 100

int64_t scn_run_lag_self(scn_runner *r) {
  int64_t now = scn_run_now(r);
  if (r->self_lag_at == 0 || now - r->self_lag_at >= RUN_LAG_SELF_EVERY_US) {
    /* each figure a sum of growth: a thread that ended (the fakes start
     * some for blocking calls) keeps its share */
    int64_t v = scn_proc_times_us(r->self).wait_us;
    for (size_t i = 0; i < r->n_forksrv; i++)
      v += scn_forksrv_times_us(r->forksrv[i]).wait_us;
    r->self_lag_us = v;
    r->self_lag_at = now;
  }
  return r->self_lag_us;
}

/* What a process took from the host since it was last seen that the
 * scenario did not ask for: its waits for a CPU, and of its CPU work what
 * goes beyond its scaled duration (cpu x (1 - time_scale)). The CPU part
 * is measured; the waits are the kernel's count, which may miss a wait or
 * overlap another process's (docs/expectations.md). */
typedef struct charge {
  int64_t all; /* waits and CPU work */
  int64_t cpu; /* the CPU work alone */
} charge;

/* The share of a process's own work (CPU, disk writes) that is the
 * host's: all of it but its scaled duration. */
static int64_t beyond_scale(const scn_runner *r, int64_t work_us) {
  double keep =
      r->s->time_scale > 0 && r->s->time_scale < 1.0 ? r->s->time_scale : 1.0;
  return (int64_t)((double)work_us * (1.0 - keep));
}

static charge delta(const scn_runner *r, scn_proc *p, scn_proc_times *seen) {
  charge ch = {0, 0};
  if (!p)
    return ch;
  scn_proc_times v = scn_proc_times_us(p);
  int64_t wait = v.wait_us > seen->wait_us ? v.wait_us - seen->wait_us : 0;
  int64_t cpu = v.cpu_us > seen->cpu_us ? v.cpu_us - seen->cpu_us : 0;
  *seen = v;
  ch.cpu = beyond_scale(r, cpu);
  ch.all = wait + ch.cpu;
  return ch;
}

/* How long the task has had something waiting for the loop: a timer
 * past due, an exit not yet acted on, or due_tt (what the caller is about
 * to act on). */
static int64_t overdue(scn_runner *r, scn_run_task *t, int64_t due_tt) {
  int64_t now = scn_run_now(r), over = 0;
  int64_t next = scn_run_task_next_deadline(r, t); /* run time */
  if (next != SCN_RUN_NEVER && now > next)
    over = now - next;
  int64_t v = scn_run_lag_ended_tt(t);
  if (v < due_tt)
    due_tt = v;
  if (due_tt != SCN_RUN_NEVER && now - t->lag_us - due_tt > over)
    over = now - t->lag_us - due_tt;
  return over;
}

/* A process blocked on its own disk write (a fsync) is neither running
 * nor waiting for a CPU, so the kernel's counts miss it; it measured the
 * time itself (ecsb_clock_charge_blocked_us). The disk's speed is the
 * host's, not the scenario's: charged as CPU work is. What the task's
 * processes added since the last call. */
static int64_t blocked_charge(const scn_runner *r, scn_run_task *t) {
  int64_t blocked = ecsb_taskclock_blocked_us(t->clock);
  if (blocked <= t->blocked_seen)
    return 0;
  int64_t d = blocked - t->blocked_seen;
  t->blocked_seen = blocked;
  return beyond_scale(r, d);
}

/* The task time that passed since task time was last handed out: a
 * charge never takes more, so task time never goes backwards, and a
 * process whose threads all waited at once is not charged more than the
 * wall time. */
static int64_t room(scn_runner *r, const scn_run_task *t) {
  int64_t v = scn_run_now(r) - t->lag_us - t->tt_max;
  return v > 0 ? v : 0;
}

/* Adds a charge that fits the room to the task's lag and its shares, and
 * hands the lag to its processes. */
static void add_lag(scn_runner *r, scn_run_task *t, int64_t add, int64_t runner,
                    int64_t cpu, int64_t io) {
  if (add <= 0)
    return;
  t->lag_us += add;
  t->lag_runner_us += runner;
  t->lag_cpu_us += cpu;
  t->lag_io_us += io;
  ecsb_taskclock_set_lag_us(t->clock, t->lag_us);
  if (t->lag_us > r->max_lag_us)
    r->max_lag_us = t->lag_us;
  int64_t band = rpt_lag_band(t->lag_us, t->lag_cpu_us);
  if (band > r->max_band_us)
    r->max_band_us = band;
}

void scn_run_lag_update(scn_runner *r, scn_run_task *t, int64_t due_tt) {
  if (!t->created)
    return;
  int64_t self = scn_run_lag_self(r);
  int64_t runner = self > t->lag_runner ? self - t->lag_runner : 0;
  t->lag_runner = self;
  int64_t now = scn_run_now(r), since = t->sampled_at;
  int64_t lag_before = t->lag_us;
  t->sampled_at = now;
  charge most = {0, 0};
  /* the charge of a process that ended and is not yet acted on: all of
   * it came before its exit */
  int64_t work = 0;
  for (size_t i = 0; i < t->n; i++) {
    scn_run_ctr *c = &t->c[i];
    charge d = delta(r, c->proc, &c->lag_seen);
    if (d.all > most.all)
      most = d;
    if (d.all > work && atomic_load(&c->proc_end.tt) != SCN_RUN_NEVER)
      work = d.all;
    if ((d = delta(r, c->probe_proc, &c->probe_lag_seen)).all > most.all)
      most = d;
  }
  /* it came before the exit of a process that wrote and ended */
  int64_t io = blocked_charge(r, t);
  most.all += io;
  most.cpu += io;
  work += io;
  /* In ECS every task has an agent of its own; here one loop serves
   * them all, and while it works for other tasks this one's due timer,
   * exit or health answer waits. That wait is the runner's: the task's
   * time stops at the moment it was due (what its processes and the loop
   * waited for a CPU in the meantime is part of it, not added to it). */
  int64_t over = overdue(r, t, due_tt);
  /* what was measured (the runner's and the processes' waits and CPU
   * work), not the loop's delay */
  int64_t measured = runner + most.all;
  if (over > runner + most.all)
    runner = over - most.all;
  /* While a fake answered one of the task's calls, the process that made
   * it was blocked on the runner's CPU work: in ECS the API's and Consul's
   * own time is not the task's host's. Measured CPU, as the processes'. */
  int64_t served = atomic_load(&t->served_cpu_us);
  if (served > t->served_seen) {
    runner += served - t->served_seen;
    most.cpu += served - t->served_seen;
    work += served - t->served_seen;
    measured += served - t->served_seen;
    t->served_seen = served;
  }
  /* The clock stood from its lease on (the loop did not sample the task
   * in time): that time is all lag, and of what was charged since the
   * last sample the share before the lease (taken as spread evenly) came
   * on top of it. What is missing was the task's wait for the loop. */
  int64_t lease = ecsb_taskclock_lease(t->clock);
  if (lease && lease - r->t0_mono < now) {
    int64_t from = lease - r->t0_mono, had = t->lag_us - t->lag_sampled;
    int64_t got = had + runner + most.all, pre = 0;
    if (from > since && now > since)
      pre = (int64_t)((double)got * (double)(from - since) /
                      (double)(now - since));
    int64_t need = now - from + pre;
    if (need > got)
      runner += need - got;
  }
  int64_t add = runner + most.all, cpu = most.cpu, fit = room(r, t);
  if (add > fit) {
    runner = add ? runner * fit / add : 0;
    cpu = add ? cpu * fit / add : 0;
    io = add ? io * fit / add : 0;
    work = add ? work * fit / add : 0;
    measured = add ? measured * fit / add : 0;
    add = fit;
  }
  add_lag(r, t, add, runner, cpu, io);
  /* The exit watcher held the clock at the task time of the exit with the
   * lag as it stood then; the charge of the process that ended, and the
   * fakes' answers to the task, sampled at the first sample after it, came
   * before the exit, so the clock stands where that charge puts the exit,
   * never before task time already handed out. Otherwise task time would
   * run on from the stale hold while the loop starts the next containers,
   * and the next charge would no longer fit. The rest of what was
   * measured may have come after the exit: of it, only the share before
   * the exit (taken as spread evenly since the last sample) moves it.
   * The loop's delay, which came after the exit, does not, nor do later
   * samples of the same hold. This sample moves it even when it charges
   * nothing: the loop is about to hand out the held time. */
  int64_t held = ecsb_taskclock_held_at(t->clock);
  if (held && held != t->hold_seen) {
    /* What the loop charged after the hold was computed and before this
     * sample (a quick sample that raced the exit watcher) came before the
     * exit as well. */
    int64_t hold_lag = atomic_load(&t->hold_lag);
    int64_t late = lag_before > hold_lag ? lag_before - hold_lag : 0;
    int64_t exit_at = held - r->t0_mono + hold_lag; /* run time */
    if (now > since && exit_at > since) {
      int64_t before = exit_at < now ? exit_at - since : now - since;
      int64_t part =
          (int64_t)((double)measured * (double)before / (double)(now - since));
      if (part > work)
        work = part;
    }
    int64_t h = held - work - late, floor = t->tt_max + r->t0_mono;
    ecsb_taskclock_hold(t->clock, h > floor ? h : floor);
    t->hold_seen = ecsb_taskclock_held_at(t->clock);
  }
  t->lag_sampled = t->lag_us;
  ecsb_taskclock_set_lease(t->clock, ecsb_mono_us() + r->lease_us);
}

void scn_run_lag_unlease(scn_runner *r) {
  for (size_t i = 0; i < r->n_tasks; i++)
    if (r->tasks[i].clock)
      ecsb_taskclock_set_lease(r->tasks[i].clock, 0);
}

/* The CPU a process's tree did since seen, beyond its scaled duration. */
static int64_t cpu_delta(const scn_runner *r, scn_proc *p,
                         scn_proc_times *seen) {
  if (!p)
    return 0;
  int64_t v = scn_proc_cpu_us(p);
  if (v <= seen->cpu_us)
    return 0;
  int64_t d = v - seen->cpu_us;
  seen->cpu_us = v;
  return beyond_scale(r, d);
}

bool scn_run_lag_quick(scn_runner *r, scn_run_task *t) {
  /* A held clock, or an exit not yet acted on: the full sample moves the
   * hold by what came before the exit. */
  if (!t->created || t->done || ecsb_taskclock_held_at(t->clock) ||
      scn_run_lag_ended_tt(t) != SCN_RUN_NEVER)
    return false;
  int64_t most = 0;
  for (size_t i = 0; i < t->n; i++) {
    scn_run_ctr *c = &t->c[i];
    int64_t d = cpu_delta(r, c->proc, &c->lag_seen);
    if (d > most)
      most = d;
    if ((d = cpu_delta(r, c->probe_proc, &c->probe_lag_seen)) > most)
      most = d;
  }
  int64_t io = blocked_charge(r, t), add = most + io, fit = room(r, t);
  if (add > fit) {
    io = add ? io * fit / add : 0;
    add = fit;
  }
  add_lag(r, t, add, 0, add, io);
  return add > 0;
}

void scn_run_lag_served(void *user, const char *remote_ip, int64_t cpu_us) {
  scn_runner *r = user;
  int i = scn_netblock_task_index(&r->nb, remote_ip);
  if (i >= 0 && (size_t)i < atomic_load(&r->n_served_tasks))
    atomic_fetch_add(&r->tasks[i].served_cpu_us, cpu_us);
}

static void emit_lag(scn_runner *r, scn_run_task *t, int64_t at, bool final) {
  t->lag_emitted = t->lag_us;
  cJSON *d = cJSON_CreateObject();
  cJSON_AddNumberToObject(d, "lag_us", (double)t->lag_us);
  cJSON_AddNumberToObject(d, "runner_us", (double)t->lag_runner_us);
  cJSON_AddNumberToObject(d, "cpu_us", (double)t->lag_cpu_us);
  cJSON_AddNumberToObject(d, "io_us", (double)t->lag_io_us);
  if (final)
    cJSON_AddTrueToObject(d, "final");
  scn_run_emit(r, at, "host.lag", t->name, NULL, d);
}

void scn_run_lag_flush(scn_runner *r, scn_run_task *t, int64_t at) {
  if (t->created && t->lag_us - t->lag_emitted >= RUN_LAG_EMIT_MIN_US)
    emit_lag(r, t, at, false);
}

/* Samples every running task; final: each recorded whether it grew or
 * not, marked final. Returns the loop's CPU it cost. */
static int64_t sweep(scn_runner *r, bool *grew, bool final) {
  int64_t cpu0 = ecsb_thread_cpu_us();
  *grew = false;
  for (size_t i = 0; i < r->n_tasks; i++) {
    scn_run_task *t = &r->tasks[i];
    if (!t->created || t->done)
      continue;
    /* grown since the log last said: a sample before this one (the loop
     * acting on the task) may have raised the lag without an event to
     * record it, and a decision judged on the log must see it */
    int64_t before = t->lag_us, logged = t->lag_emitted;
    /* a final one is stamped when the sample began: the lag covers at
     * least that much of the run, so the task is never credited time it
     * was held back */
    int64_t at = final ? scn_run_now(r) : -1;
    scn_run_lag_update(r, t, SCN_RUN_NEVER);
    if (final)
      emit_lag(r, t, at, true);
    else
      scn_run_lag_flush(r, t, at);
    *grew = *grew || t->lag_us > before || t->lag_emitted > logged;
  }
  return ecsb_thread_cpu_us() - cpu0;
}

int64_t scn_run_lag_sweep(scn_runner *r, bool *grew) {
  return sweep(r, grew, false);
}

void scn_run_lag_final_sweep(scn_runner *r) {
  bool grew;
  sweep(r, &grew, true);
}

int64_t scn_run_lag_quick_sweep(scn_runner *r, bool *grew) {
  int64_t t0 = scn_run_now(r);
  *grew = false;
  for (size_t i = 0; i < r->n_tasks; i++)
    if (scn_run_lag_quick(r, &r->tasks[i])) {
      scn_run_lag_flush(r, &r->tasks[i], -1);
      *grew = true;
    }
  return scn_run_now(r) - t0;
}

int64_t scn_run_task_now(const scn_runner *r, scn_run_task *t) {
  int64_t v = ecsb_taskclock_leased(t->clock, scn_run_now(r) + r->t0_mono) -
              r->t0_mono - t->lag_us;
  /* While the task's clock is held its processes see it stand still, and
   * so does the runner: starting what an exit allowed takes it no task
   * time, as in ECS, where each task has an agent of its own. */
  int64_t held = ecsb_taskclock_held_at(t->clock);
  if (held && held - r->t0_mono < v)
    v = held - r->t0_mono;
  if (v > t->tt_max)
    t->tt_max = v;
  return t->tt_max;
}

int64_t scn_run_lag_task_time(const scn_run_task *t, int64_t mono_us) {
  return ecsb_taskclock_leased(t->clock, mono_us) - t->runner->t0_mono -
         ecsb_taskclock_lag_us(t->clock);
}

/* Holds t's clock at task time tt (an exit's), the lag being lag; an
 * earlier hold stays, with its lag. */
static void hold_at(scn_run_task *t, int64_t tt, int64_t lag) {
  int64_t before = ecsb_taskclock_held_at(t->clock);
  /* the clock file counts from the host's boot, the run from its T0 */
  ecsb_taskclock_hold(t->clock, tt + t->runner->t0_mono);
  if (ecsb_taskclock_held_at(t->clock) != before)
    atomic_store(&t->hold_lag, lag);
}

void scn_run_lag_ended(void *user, int64_t mono_us) {
  scn_run_end *e = user;
  int64_t lag = ecsb_taskclock_lag_us(e->t->clock);
  int64_t tt =
      ecsb_taskclock_leased(e->t->clock, mono_us) - e->t->runner->t0_mono - lag;
  atomic_store(&e->tt, tt);
  hold_at(e->t, tt, lag);
}

int64_t scn_run_lag_ended_tt(const scn_run_task *t) {
  int64_t v = SCN_RUN_NEVER;
  for (size_t i = 0; i < t->n; i++) {
    int64_t a = atomic_load(&t->c[i].proc_end.tt);
    int64_t b = atomic_load(&t->c[i].probe_end.tt);
    if (a < v)
      v = a;
    if (b < v)
      v = b;
  }
  return v;
}

void scn_run_lag_reaped(scn_run_end *e) {
  if (atomic_load(&e->tt) == SCN_RUN_NEVER)
    scn_run_lag_ended(e, ecsb_mono_us());
}

void scn_run_lag_end_done(scn_run_end *e) {
  atomic_store(&e->tt, SCN_RUN_NEVER);
}

void scn_run_lag_release(scn_run_task *t) {
  int64_t held = ecsb_taskclock_held_at(t->clock);
  if (!held || scn_run_lag_ended_tt(t) != SCN_RUN_NEVER)
    return;
  /* the loop's time acting on it is charged as overdue since the clock
   * stood, so the clock goes on from where it stood */
  scn_run_lag_update(t->runner, t, held - t->runner->t0_mono);
  ecsb_taskclock_release(t->clock);
  /* an exit the watcher saw in the meantime holds it again (the samples
   * since its hold charged what came before it, as far as they could) */
  int64_t v = scn_run_lag_ended_tt(t);
  if (v != SCN_RUN_NEVER)
    hold_at(t, v, t->lag_us);
}
