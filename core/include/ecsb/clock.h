/*
 * clock.h - monotonic time, sleeping, and the capped-exponential backoff with
 * full jitter that every retry loop in ecsboot uses.
 *
 * Durations use the monotonic clock; wall time is only for timestamps shown
 * to people or sent to AWS. In a replay a process may follow its task's
 * clock instead (ecsb/taskclock.h): then the monotonic clock and every
 * sleep here are on task time. The backoff's random source is a small seedable
 * generator owned by the caller's struct (no global state), so tests can
 * check jitter bounds and replay exact sequences.
 */
#ifndef ECSB_CLOCK_H
#define ECSB_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* Monotonic time in milliseconds / microseconds: task time when this
 * process follows a task clock. */
int64_t ecsb_mono_ms(void);
int64_t ecsb_mono_us(void);
/* The host's monotonic clock, whatever the process follows: for code that
 * measures the host itself. */
int64_t ecsb_mono_host_us(void);
/* From now on ecsb_mono_* return c's task time and ecsb_sleep_* wait for
 * task time to pass; NULL: the host's clock again. The caller keeps c
 * alive while it is followed. Not thread-safe: call before threads. */
struct ecsb_taskclock;
void ecsb_clock_follow(struct ecsb_taskclock *c);
/* Whether this process follows a task clock (ecsb_clock_follow). */
bool ecsb_clock_following(void);
/* While the followed clock is held, waits until it is released or max_us
 * of host time passed and returns true; false at once when it is not held
 * (or nothing is followed). For a wait loop that recomputes what is left
 * of task time: while the clock stands that never shrinks
 * (ecsb_taskclock_wait_release). */
bool ecsb_clock_wait_while_held(int64_t max_us);
/* The host time (us) a wait until ecsb_mono_us reads task_us should
 * sleep (<= 0: it reads that now): on a task clock longer than what its
 * reading says is left when the runner just charged lag (the reading
 * stands until host time makes up for it; ecsb_taskclock_host_wait_us). */
int64_t ecsb_clock_host_wait_us(int64_t task_us);
/* Ends every ecsb_clock_wait_while_held of the task's processes at once
 * (ecsb_taskclock_wake); nothing when nothing is followed. */
void ecsb_clock_wake_waiters(void);
/* Tells the followed clock's runner that this process was blocked us of
 * host time on its own disk writes (a fsync): the disk's time, not the
 * scenario's, which the runner charges as host lag like CPU work. Nothing
 * when nothing is followed (production). */
void ecsb_clock_charge_blocked_us(int64_t us);
/* How long (us of host time) a wait of us on the followed clock may take
 * before it gives up whatever that clock says: ten times it plus 10 s, so
 * a clock held for ever cannot hold a wait for ever. */
int64_t ecsb_clock_host_bound_us(int64_t us);
/* CPU time the calling thread has run, in microseconds (0 if the clock
 * cannot be read): what a server charges a request it answered. */
int64_t ecsb_thread_cpu_us(void);
/* Wall-clock time in microseconds since the Unix epoch. */
int64_t ecsb_wall_us(void);
/* Sleeps ms milliseconds (restarting on EINTR until the full time passed,
 * unless *stop becomes non-zero; stop may be NULL). On a task clock the
 * wait lasts until that much task time passed, or ten times as much host
 * time (plus 10 s) if the task's clock nearly stands still. */
void ecsb_sleep_ms(int64_t ms, volatile int *stop);
/* The same in microseconds: a retry scaled down for a replay (time_scale
 * 0.01 turns 200 ms into 2 ms) keeps its jitter instead of rounding to
 * whole milliseconds. */
void ecsb_sleep_us(int64_t us, volatile int *stop);

/* splitmix64: small, fast, seedable; enough for jitter and chaos draws. */
typedef struct ecsb_rng {
  uint64_t state;
} ecsb_rng;
void ecsb_rng_seed(ecsb_rng *r, uint64_t seed);
uint64_t ecsb_rng_next(ecsb_rng *r);
/* Uniform in [0, n); n == 0 gives 0. */
uint64_t ecsb_rng_below(ecsb_rng *r, uint64_t n);
/* Uniform double in [0, 1). */
double ecsb_rng_unit(ecsb_rng *r);

/* Any time unit, as long as base and cap share it (ecsb_retry uses
 * microseconds). */
typedef struct ecsb_backoff {
  int64_t base; /* first ceiling */
  int64_t cap;  /* ceiling never exceeds this */
  ecsb_rng rng;
} ecsb_backoff;

void ecsb_backoff_init(ecsb_backoff *b, int64_t base, int64_t cap,
                       uint64_t seed);
/* Ceiling for a 0-based attempt: min(cap, base * 2^attempt). */
int64_t ecsb_backoff_ceiling(const ecsb_backoff *b, int attempt);
/* Full jitter: uniform in [0, ceiling(attempt)]. */
int64_t ecsb_backoff_next(ecsb_backoff *b, int attempt);
/* After a throttled attempt: equal jitter, uniform in [c/2, c] with
 * c = min(cap / 2, 5 * ceiling(attempt)), and c never below base. The
 * peer's bucket is empty and refills at its own pace: a retry drawn near
 * zero only spends a call, and a 4x-stretched ceiling left a few callers
 * waiting minutes after the bucket had room (bench/throttled.sh). */
int64_t ecsb_backoff_next_throttled(ecsb_backoff *b, int attempt);

#endif
