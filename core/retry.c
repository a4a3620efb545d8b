/*
 * retry.c - the deadline-bounded backoff loop (see retry.h). Sleeping is
 * clipped to the deadline so the final attempt happens at the deadline
 * rather than the loop giving up a whole backoff interval early.
 */
#include "ecsb/retry.h"

#include <unistd.h>

#include "ecsb/err.h"

void ecsb_retry_init(ecsb_retry *r, int64_t timeout_ms, int64_t base_ms,
                     int64_t cap_ms, uint64_t seed, volatile int *stop) {
  r->deadline_ms = timeout_ms > 0 ? ecsb_mono_ms() + timeout_ms : 0;
  if (!seed)
    seed = (uint64_t)ecsb_wall_us() ^ ((uint64_t)getpid() << 32);
  ecsb_backoff_init(&r->backoff, base_ms, cap_ms, seed);
  r->attempt = 0;
  r->stop = stop;
}

int64_t ecsb_retry_remaining_ms(const ecsb_retry *r) {
  if (!r->deadline_ms)
    return INT64_MAX;
  return r->deadline_ms - ecsb_mono_ms();
}

long ecsb_retry_request_timeout(const ecsb_retry *r, long want_ms,
                                long floor_ms) {
  int64_t left = ecsb_retry_remaining_ms(r);
  if (left < floor_ms)
    left = floor_ms;
  return left < want_ms ? (long)left : want_ms;
}

int ecsb_retry_wait(ecsb_retry *r, bool slow) {
  if (r->stop && *r->stop)
    return ECSB_ESTATE;
  int64_t left = ecsb_retry_remaining_ms(r);
  if (left <= 0)
    return ECSB_ETIMEDOUT;
  int64_t delay = slow ? ecsb_backoff_next_throttled(&r->backoff, r->attempt)
                       : ecsb_backoff_next(&r->backoff, r->attempt);
  /* A tiny floor keeps an instantly failing peer (connection refused) from
   * turning a zero jitter draw into a busy loop. */
  if (delay < 5)
    delay = 5;
  r->attempt++;
  if (delay > left)
    delay = left;
  ecsb_sleep_ms(delay, r->stop);
  if (r->stop && *r->stop)
    return ECSB_ESTATE;
  return 0;
}
