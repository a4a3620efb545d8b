/*
 * taskclock.h - a replay task's clock, shared between the runner that
 * measures the task's host lag and the processes of that task (owns the
 * clock file's format, its mapping and the ECSBOOT_TASK_CLOCK setting).
 *
 * `ecsboot run` runs each task's timers on task time: run time minus the
 * host lag its processes were charged (scenarios/run_lag.c). A process
 * that keeps time of its own (ecsboot-init's polls, retries and timeouts,
 * the stand-ins' delays, checks and drains) must use the same clock, or a
 * busy host makes its waits look shorter in the task's timeline than the
 * scenario asked, and waits that race each other (the app's drain and
 * envoy-entrypoint's grace period) race on different clocks. The runner
 * writes the task's lag into a small file in the task's folder; the
 * task's processes map it and take it out of their monotonic clock
 * (ecsb_clock_follow in ecsb/clock.h).
 *
 * The file holds four native int64s, read and written with atomic 8-byte
 * accesses: the lag in microseconds, only ever growing, the task time at
 * which the runner holds the clock (0: not held), the host time the
 * task's processes were blocked on their own disk writes, which they add
 * and the runner charges as host lag (a fsync runs at the disk's speed,
 * not the scenario's), and the lease: the host time (ecsb_mono_host_us)
 * past which the clock stands until the runner samples the task again (0:
 * no lease). What held a task back since the runner last sampled it is
 * charged only at the next sample; on a host a fleet overloads that can be
 * seconds away, and a process's timeout on task time would fire on time
 * that the sample turns into lag (a fake's answer 50 ms late, waiting for
 * the runner's CPU, made mesh-init give up on the metadata endpoint). The
 * lease bounds how far the clock runs past what was measured. The
 * runner holds a task's clock from the moment one of its processes ends
 * until it has acted on that (started what depended on it): one runner
 * serves every task, and in a fleet that can take seconds, which in ECS,
 * where each task has an agent of its own, would not pass for the task.
 */
#ifndef ECSB_TASKCLOCK_H
#define ECSB_TASKCLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "ecsb/err.h"

/* Its name in the task's folder. */
#define ECSB_TASK_CLOCK_FILE "task.clock"

typedef struct ecsb_taskclock ecsb_taskclock;

/* The runner's side: creates (or truncates) path with a lag of 0. */
int ecsb_taskclock_create(const char *path, ecsb_taskclock **out,
                          ecsb_err *err);
/* A task process's side: maps an existing clock file. */
int ecsb_taskclock_open(const char *path, ecsb_taskclock **out, ecsb_err *err);
/* Runner only: the task's host lag so far (never smaller than before). */
void ecsb_taskclock_set_lag_us(ecsb_taskclock *c, int64_t lag_us);
int64_t ecsb_taskclock_lag_us(const ecsb_taskclock *c);
/* A task's process: adds us of host time it was blocked on its own disk
 * writes (ecsb_clock_charge_blocked_us). */
void ecsb_taskclock_add_blocked_us(ecsb_taskclock *c, int64_t us);
/* Runner: the blocked time the task's processes added so far. */
int64_t ecsb_taskclock_blocked_us(const ecsb_taskclock *c);
/* Runner (or its exit watcher) only: task time stands at task_us (as
 * ecsb_taskclock_now_us counts it: host time minus the lag) until
 * released; an earlier hold stays. Release after raising the lag by the
 * time held, so the clock goes on from where it stood. */
void ecsb_taskclock_hold(ecsb_taskclock *c, int64_t task_us);
void ecsb_taskclock_release(ecsb_taskclock *c);
/* Runner only: the clock runs until host time until_us (then stands at
 * until_us less the lag until renewed), 0: without a bound. Renew after
 * raising the lag. Wakes the processes waiting on an expired lease. */
void ecsb_taskclock_set_lease(ecsb_taskclock *c, int64_t until_us);
int64_t ecsb_taskclock_lease(const ecsb_taskclock *c);
/* Host time host_us as the clock counts it: the lease when that came
 * first (the clock stood from it). */
int64_t ecsb_taskclock_leased(const ecsb_taskclock *c, int64_t host_us);
/* The task time the clock is held at, 0 when it is not. */
int64_t ecsb_taskclock_held_at(const ecsb_taskclock *c);
/* A process's side: while the clock is held or its lease expired, blocks
 * until it is released or renewed (a futex on the file, woken by
 * ecsb_taskclock_release and ecsb_taskclock_set_lease) or max_us of host
 * time passed; returns whether the clock stood. A wait computed from a held
 * clock never shrinks, so a process that slept it again and again would
 * wake every few milliseconds for as long as the hold lasts, which in a
 * fleet is seconds for hundreds of processes. */
bool ecsb_taskclock_wait_release(ecsb_taskclock *c, int64_t max_us);
/* Ends every such wait at once, held or not (a process that is stopping
 * and must not wait for the release). */
void ecsb_taskclock_wake(ecsb_taskclock *c);
/* Task time: the host's monotonic clock (up to the lease) minus the lag,
 * never going back (safe from any thread). A NULL clock is the host's
 * monotonic clock. */
int64_t ecsb_taskclock_now_us(ecsb_taskclock *c);
int64_t ecsb_taskclock_now_ms(ecsb_taskclock *c);
/* The host time (us) until the clock can read task_us if nothing more is
 * charged (<= 0: it can now). Longer than task_us less the clock's reading
 * when the runner charged more lag than host time passed since a process
 * read it: the reading then stands until host time makes up for the
 * charge, and a wait of what the reading says is left wakes early, again
 * and again. A held clock or an expired lease is the caller's to wait for
 * (ecsb_taskclock_wait_release). A NULL clock is the host's. */
int64_t ecsb_taskclock_host_wait_us(const ecsb_taskclock *c, int64_t task_us);
/* The environment variable that names a process's task clock file. The
 * runner sets it for every container of a replay; in production it is
 * unset and every wait is on the host's clock. */
#define ECSB_TASK_CLOCK_ENV "ECSBOOT_TASK_CLOCK"
/* When ECSBOOT_TASK_CLOCK is set and not empty, maps that file, makes
 * this process follow it (ecsb_clock_follow) and sets *out to it (a
 * program follows it to the end; a caller that stops following calls
 * ecsb_clock_follow(NULL) before freeing it); a file that is not a clock
 * is an error naming the variable and the path. Unset: *out is NULL and
 * nothing changes. Call once at start, before any thread. */
int ecsb_taskclock_follow_env(ecsb_taskclock **out, ecsb_err *err);
/* Unmaps; the file stays. NULL is fine. */
void ecsb_taskclock_free(ecsb_taskclock *c);

#endif
