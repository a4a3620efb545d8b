/*
 * taskclock.h - a task's clock shared between the runner and the
 * stand-ins of that task (owns the clock file's format and its mapping).
 *
 * The runner runs a task's timers on task time: run time minus the host
 * lag its processes were charged (run_lag.c). A stand-in that keeps time
 * of its own (the consul-client's check runner, TTLs, join retries) must
 * use the same clock, or a busy host makes its intervals look shorter in
 * the task's timeline than the scenario asked. The runner writes the
 * task's lag into a small file in the task's folder; stand-ins map it
 * read-only and take it out of their monotonic clock.
 *
 * The file holds one native int64 (microseconds of lag), only ever
 * growing; it is read and written with atomic 8-byte accesses.
 */
#ifndef SCN_TASKCLOCK_H
#define SCN_TASKCLOCK_H

#include <stdint.h>

#include "ecsb/err.h"

/* Its name in the task's folder. */
#define SCN_TASK_CLOCK_FILE "task.clock"

typedef struct scn_taskclock scn_taskclock;

/* The runner's side: creates (or truncates) path with a lag of 0. */
int scn_taskclock_create(const char *path, scn_taskclock **out, ecsb_err *err);
/* A stand-in's side: maps an existing clock file read-only. */
int scn_taskclock_open(const char *path, scn_taskclock **out, ecsb_err *err);
/* Runner only: the task's host lag so far (never smaller than before). */
void scn_taskclock_set_lag_us(scn_taskclock *c, int64_t lag_us);
int64_t scn_taskclock_lag_us(const scn_taskclock *c);
/* Task time in ms: the monotonic clock minus the lag, never going back
 * (safe from any thread). A NULL clock is the monotonic clock. */
int64_t scn_taskclock_now_ms(scn_taskclock *c);
/* Unmaps; the file stays. NULL is fine. */
void scn_taskclock_free(scn_taskclock *c);

#endif
