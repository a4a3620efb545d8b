/*
 * clock.c - monotonic time, interruptible sleep, the seedable splitmix64
 * generator and the capped exponential backoff with full jitter.
 *
 * Full jitter (uniform over [0, ceiling]) rather than "equal" jitter because
 * many tasks start at once in a fleet; spreading retries over the whole
 * window is what keeps them from hitting ECS's throttle in lockstep.
 */
#include "ecsb/clock.h"
#include "ecsb/taskclock.h"

#include <errno.h>
#include <time.h>

static int64_t ts_us(clockid_t id) {
  struct timespec ts;
  if (clock_gettime(id, &ts) != 0)
    return 0;
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The task clock this process follows; NULL: the host's. */
static ecsb_taskclock *g_follow;

void ecsb_clock_follow(ecsb_taskclock *c) {
  g_follow = c;
}

bool ecsb_clock_following(void) {
  return g_follow != NULL;
}

bool ecsb_clock_wait_while_held(int64_t max_us) {
  return ecsb_taskclock_wait_release(g_follow, max_us);
}

int64_t ecsb_clock_host_wait_us(int64_t task_us) {
  return ecsb_taskclock_host_wait_us(g_follow, task_us);
}

void ecsb_clock_wake_waiters(void) {
  ecsb_taskclock_wake(g_follow);
}

void ecsb_clock_charge_blocked_us(int64_t us) {
  ecsb_taskclock_add_blocked_us(g_follow, us);
}

int64_t ecsb_clock_host_bound_us(int64_t us) {
  return 10 * (us > 0 ? us : 0) + 10000000;
}

int64_t ecsb_mono_host_us(void) {
  return ts_us(CLOCK_MONOTONIC);
}

int64_t ecsb_thread_cpu_us(void) {
  return ts_us(CLOCK_THREAD_CPUTIME_ID);
}

int64_t ecsb_mono_us(void) {
  return g_follow ? ecsb_taskclock_now_us(g_follow) : ts_us(CLOCK_MONOTONIC);
}

int64_t ecsb_mono_ms(void) {
  return ecsb_mono_us() / 1000;
}

int64_t ecsb_wall_us(void) {
  return ts_us(CLOCK_REALTIME);
}

void ecsb_sleep_ms(int64_t ms, volatile int *stop) {
  if (ms > 0)
    ecsb_sleep_us(ms * 1000, stop);
}

void ecsb_sleep_us(int64_t us, volatile int *stop) {
  if (us <= 0)
    return;
  /* Sleep in slices of at most 50 ms so a stop flag is noticed promptly.
   * Task time never runs faster than the host's, so sleeping what is
   * left of it never oversleeps; a busy host only adds slices. After a
   * charge of lag the reading stands until host time makes up for it:
   * sleep that long, not a slice per what the standing reading says. */
  int64_t deadline = ecsb_mono_us() + us;
  int64_t host_limit = ecsb_mono_host_us() + ecsb_clock_host_bound_us(us);
  for (;;) {
    if (stop && *stop)
      return;
    int64_t left = deadline - ecsb_mono_us();
    if (left <= 0 || ecsb_mono_host_us() >= host_limit)
      return;
    int64_t host_left = ecsb_clock_host_wait_us(deadline);
    if (host_left > left)
      left = host_left;
    int64_t to_limit = host_limit - ecsb_mono_host_us();
    if (left > to_limit)
      left = to_limit > 0 ? to_limit : 1;
    if (stop && left > 50000)
      left = 50000;
    if (ecsb_clock_wait_while_held(left))
      continue;
    struct timespec ts = {.tv_sec = left / 1000000,
                          .tv_nsec = (long)(left % 1000000) * 1000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
      if (stop && *stop)
        return;
    }
  }
}

void ecsb_rng_seed(ecsb_rng *r, uint64_t seed) {
  r->state = seed;
}

uint64_t ecsb_rng_next(ecsb_rng *r) {
  uint64_t z = (r->state += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

uint64_t ecsb_rng_below(ecsb_rng *r, uint64_t n) {
  if (n == 0)
    return 0;
  /* Rejection sampling removes modulo bias; expected < 2 draws. */
  uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t v;
  do {
    v = ecsb_rng_next(r);
  } while (v >= limit);
  return v % n;
}

double ecsb_rng_unit(ecsb_rng *r) {
  return (double)(ecsb_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

void ecsb_backoff_init(ecsb_backoff *b, int64_t base, int64_t cap,
                       uint64_t seed) {
  b->base = base > 0 ? base : 1;
  b->cap = cap >= b->base ? cap : b->base;
  ecsb_rng_seed(&b->rng, seed);
}

int64_t ecsb_backoff_ceiling(const ecsb_backoff *b, int attempt) {
  int64_t c = b->base;
  for (int i = 0; i < attempt && c < b->cap; i++)
    c *= 2; /* stops doubling at the cap, so it cannot overflow */
  return c < b->cap ? c : b->cap;
}

int64_t ecsb_backoff_next(ecsb_backoff *b, int attempt) {
  int64_t ceiling = ecsb_backoff_ceiling(b, attempt);
  return (int64_t)ecsb_rng_below(&b->rng, (uint64_t)ceiling + 1);
}

int64_t ecsb_backoff_next_throttled(ecsb_backoff *b, int attempt) {
  int64_t c = ecsb_backoff_ceiling(b, attempt);
  c = c > b->cap / 10 ? b->cap / 2 : c * 5; /* min(cap/2, 5c) */
  if (c < b->base)
    c = b->base;
  int64_t half = c / 2;
  return half + (int64_t)ecsb_rng_below(&b->rng, (uint64_t)(c - half) + 1);
}
