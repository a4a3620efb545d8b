/*
 * retry.c - the deadline-bounded backoff loop (see retry.h). Sleeping is
 * clipped to the deadline so the final attempt happens at the deadline
 * rather than the loop giving up a whole backoff interval early. Every
 * retry is logged and reported here, so no caller can forget to.
 */
#include "ecsb/retry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ecsb/duration.h"
#include "ecsb/initev.h"
#include "ecsb/log.h"

void ecsb_retry_start(ecsb_retry *r, const ecsb_retry_opts *o) {
  r->deadline_us = o->timeout_us > 0 ? ecsb_mono_us() + o->timeout_us : 0;
  uint64_t seed = o->seed;
  if (!seed)
    seed = (uint64_t)ecsb_wall_us() ^ ((uint64_t)getpid() << 32);
  ecsb_backoff_init(&r->backoff, o->base_us, o->cap_us, seed);
  /* An instantly failing peer (connection refused) must not turn a zero
   * jitter draw into a busy loop; a fortieth of the first ceiling (5 ms of
   * 200 ms) scales with it, so a replayed loop keeps its proportions. */
  r->min_wait_us = r->backoff.base / 40 > 0 ? r->backoff.base / 40 : 1;
  r->attempt = 0;
  r->stop = o->stop;
  r->events = o->events;
}

void ecsb_retry_init(ecsb_retry *r, int64_t timeout_ms, int64_t base_ms,
                     int64_t cap_ms, uint64_t seed, volatile int *stop) {
  ecsb_retry_opts o = {.timeout_us = timeout_ms > 0 ? timeout_ms * 1000 : 0,
                       .base_us = base_ms * 1000,
                       .cap_us = cap_ms * 1000,
                       .seed = seed,
                       .stop = stop};
  ecsb_retry_start(r, &o);
}

int64_t ecsb_retry_remaining_ms(const ecsb_retry *r) {
  if (!r->deadline_us)
    return INT64_MAX;
  return (r->deadline_us - ecsb_mono_us()) / 1000;
}

long ecsb_retry_request_timeout(const ecsb_retry *r, long want_ms) {
  int64_t left = ecsb_retry_remaining_ms(r);
  long floor_ms = want_ms / 20 > 0 ? want_ms / 20 : 1;
  if (left < floor_ms)
    left = floor_ms;
  return left < want_ms ? (long)left : want_ms;
}

static void report(ecsb_retry *r, const char *what, int64_t delay_us, bool slow,
                   const ecsb_err *why) {
  char na[16], wait[32];
  snprintf(na, sizeof na, "%d", r->attempt);
  ecsb_duration_format(delay_us * 1000, wait, sizeof wait);
  ecsb_log(ECSB_LOG_WARN, "retry", "what", what, "attempt", na, "wait", wait,
           "throttled", slow ? "true" : "false", "error", why ? why->msg : "",
           NULL);
  ecsb_initev_retry ev = {.what = what,
                          .attempt = r->attempt,
                          .wait_us = delay_us,
                          .throttled = slow,
                          .error = why ? why->msg : ""};
  ecsb_initev_send_retry(r->events, &ev);
}

int ecsb_retry_wait(ecsb_retry *r, bool slow, const char *what,
                    const ecsb_err *why) {
  if (r->stop && *r->stop)
    return ECSB_ESTATE;
  int64_t left = r->deadline_us ? r->deadline_us - ecsb_mono_us() : INT64_MAX;
  if (left <= 0)
    return ECSB_ETIMEDOUT;
  int64_t delay = slow ? ecsb_backoff_next_throttled(&r->backoff, r->attempt)
                       : ecsb_backoff_next(&r->backoff, r->attempt);
  if (delay < r->min_wait_us)
    delay = r->min_wait_us;
  r->attempt++;
  if (delay > left)
    delay = left;
  report(r, what ? what : "peer", delay, slow, why);
  ecsb_sleep_us(delay, r->stop);
  if (r->stop && *r->stop)
    return ECSB_ESTATE;
  return 0;
}

int ecsb_retry_seed_env(int64_t *seed, ecsb_err *err) {
  *seed = 0;
  const char *v = getenv(ECSB_RETRY_SEED_ENV);
  if (!v || !*v)
    return 0;
  char *end = NULL;
  errno = 0;
  long long n = strtoll(v, &end, 10);
  if (errno || *end || n < 0 || v[0] == '-' || v[0] == '+')
    return ecsb_err_set(err, ECSB_EINVAL,
                        ECSB_RETRY_SEED_ENV " \"%s\": expected an integer "
                                            "0-9223372036854775807",
                        v);
  *seed = n;
  return 0;
}
