/*
 * retry.h - a deadline-bounded retry loop shared by the init components.
 *
 * Every component of ecsboot-init waits for something that starts at the
 * same moment it does (the Consul agent, the metadata endpoint, the Consul
 * server task). They all retry the same way: capped exponential backoff with
 * full jitter, a harder backoff (4x ceiling) when the peer says it is
 * throttling, and one overall deadline after which the caller reports what
 * it last saw. The HTTP client's own retries are turned off by callers that
 * use this, so there is exactly one retry policy per component.
 */
#ifndef ECSB_RETRY_H
#define ECSB_RETRY_H

#include <stdbool.h>
#include <stdint.h>

#include "ecsb/clock.h"

typedef struct ecsb_retry {
  int64_t deadline_ms; /* monotonic ms; 0 means no deadline */
  ecsb_backoff backoff;
  int attempt; /* failed attempts so far */
  volatile int *stop;
} ecsb_retry;

/* timeout_ms <= 0: no deadline (the caller must bound the loop another way).
 * seed 0: seeded from time and pid. stop may be NULL. */
void ecsb_retry_init(ecsb_retry *r, int64_t timeout_ms, int64_t base_ms,
                     int64_t cap_ms, uint64_t seed, volatile int *stop);

/* Milliseconds left before the deadline (INT64_MAX without one; may be <= 0).
 */
int64_t ecsb_retry_remaining_ms(const ecsb_retry *r);

/* A request timeout that does not run past the deadline: min(want_ms,
 * remaining), but at least floor_ms so the last try can still succeed. */
long ecsb_retry_request_timeout(const ecsb_retry *r, long want_ms,
                                long floor_ms);

/* After a failed attempt: sleeps the next backoff delay (clipped to the
 * deadline) and returns 0 so the caller tries again, or returns
 * ECSB_ETIMEDOUT when the deadline has passed, or ECSB_ESTATE when *stop was
 * set. slow = the peer asked us to slow down (throttling): the delay is
 * ecsb_backoff_next_throttled's instead of full jitter. */
int ecsb_retry_wait(ecsb_retry *r, bool slow);

#endif
