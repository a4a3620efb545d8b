/*
 * retry.h - a deadline-bounded retry loop shared by the init components.
 *
 * Every component of ecsboot-init waits for something that starts at the
 * same moment it does (the Consul agent, the metadata endpoint, the Consul
 * server task). They all retry the same way: capped exponential backoff with
 * full jitter, a harder equal-jitter backoff when the peer says it is
 * throttling (ecsb_backoff_next_throttled), and one overall deadline after
 * which the caller reports what it last saw. The HTTP client's own retries
 * are turned off by callers that use this, so there is exactly one retry
 * policy per component, and every retry is reported in one place: a
 * `level=warn msg=retry` log line and, when the loop has an event channel
 * (initev.h), one datagram.
 *
 * Times are microseconds inside, so a loop scaled down for a replay
 * (`ecsboot run` at time_scale 0.01 turns 200 ms into 2 ms) keeps its
 * jitter rather than rounding to whole milliseconds.
 */
#ifndef ECSB_RETRY_H
#define ECSB_RETRY_H

#include <stdbool.h>
#include <stdint.h>

#include "ecsb/clock.h"
#include "ecsb/err.h"

/* initev.h; a pointer is all a loop keeps. */
typedef struct ecsb_initev ecsb_initev;

typedef struct ecsb_retry_opts {
  int64_t timeout_us;      /* overall deadline from now; <= 0: none (the
                              caller must bound the loop another way) */
  int64_t base_us, cap_us; /* first backoff ceiling, doubling up to cap */
  uint64_t seed;           /* jitter; 0: seeded from time and pid */
  volatile int *stop;      /* may be NULL */
  ecsb_initev *events;     /* retries are also sent here; NULL: log only.
                              Borrowed: must outlive the loop. */
} ecsb_retry_opts;

typedef struct ecsb_retry {
  int64_t deadline_us; /* monotonic us; 0 means no deadline */
  int64_t min_wait_us;
  ecsb_backoff backoff; /* in microseconds */
  int attempt;          /* failed attempts so far */
  volatile int *stop;
  ecsb_initev *events;
} ecsb_retry;

void ecsb_retry_start(ecsb_retry *r, const ecsb_retry_opts *o);

/* The same in milliseconds, for loops without an event channel (tests,
 * stand-ins). timeout_ms <= 0: no deadline. seed 0: time and pid. stop
 * may be NULL. */
void ecsb_retry_init(ecsb_retry *r, int64_t timeout_ms, int64_t base_ms,
                     int64_t cap_ms, uint64_t seed, volatile int *stop);

/* A process's jitter seed in a replay: the runner gives every container
 * one, drawn from the scenario's seed (scenarios/container.c). */
#define ECSB_RETRY_SEED_ENV "ECSBOOT_RETRY_SEED"
/* *seed from ECSB_RETRY_SEED_ENV: 0 when it is unset or empty; an error
 * naming the variable and its value when it is not an integer 0 to
 * 2^63-1. */
int ecsb_retry_seed_env(int64_t *seed, ecsb_err *err);

/* Milliseconds left before the deadline (INT64_MAX without one; may be <= 0).
 */
int64_t ecsb_retry_remaining_ms(const ecsb_retry *r);

/* A request timeout that does not run past the deadline: min(want_ms,
 * remaining), but at least a twentieth of want_ms so the last try can
 * still succeed. */
long ecsb_retry_request_timeout(const ecsb_retry *r, long want_ms);

/* After a failed attempt: logs and reports the retry, sleeps the next
 * backoff delay (clipped to the deadline) and returns 0 so the caller tries
 * again; or returns ECSB_ETIMEDOUT when the deadline has passed, or
 * ECSB_ESTATE when *stop was set (nothing reported then). slow = the peer
 * asked us to slow down (throttling): the delay is
 * ecsb_backoff_next_throttled's instead of full jitter. what names what is
 * waited for ("Consul agent"); why is the failure (may be NULL). */
int ecsb_retry_wait(ecsb_retry *r, bool slow, const char *what,
                    const ecsb_err *why);

#endif
