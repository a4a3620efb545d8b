/* test_clock.c - the backoff's ceilings, full-jitter and throttled bounds,
 * seeded reproducibility, and the rng helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ecsb/clock.h"

static void test_backoff_ceiling_doubles_then_caps(void **state) {
  (void)state;
  ecsb_backoff b;
  ecsb_backoff_init(&b, 100, 5000, 1);
  int64_t want[] = {100, 200, 400, 800, 1600, 3200, 5000, 5000};
  for (int i = 0; i < 8; i++)
    assert_int_equal(ecsb_backoff_ceiling(&b, i), want[i]);
  /* Huge attempt numbers must not overflow. */
  assert_int_equal(ecsb_backoff_ceiling(&b, 1000000), 5000);
}

static void test_full_jitter_stays_within_bounds_and_spreads(void **state) {
  (void)state;
  ecsb_backoff b;
  ecsb_backoff_init(&b, 100, 1000, 42);
  for (int attempt = 0; attempt < 6; attempt++) {
    int64_t ceil = ecsb_backoff_ceiling(&b, attempt);
    int64_t lo = ceil, hi = 0;
    for (int i = 0; i < 2000; i++) {
      int64_t d = ecsb_backoff_next(&b, attempt);
      assert_true(d >= 0 && d <= ceil);
      if (d < lo)
        lo = d;
      if (d > hi)
        hi = d;
    }
    /* Full jitter covers the whole window, not just its top. */
    assert_true(lo < ceil / 10);
    assert_true(hi > ceil - ceil / 10);
  }
}

static void test_same_seed_same_sequence(void **state) {
  (void)state;
  ecsb_backoff a, b, c;
  ecsb_backoff_init(&a, 10, 10000, 99);
  ecsb_backoff_init(&b, 10, 10000, 99);
  ecsb_backoff_init(&c, 10, 10000, 100);
  int differ = 0;
  for (int i = 0; i < 50; i++) {
    int64_t x = ecsb_backoff_next(&a, i % 10),
            y = ecsb_backoff_next(&b, i % 10);
    assert_int_equal(x, y);
    if (ecsb_backoff_next(&c, i % 10) != x)
      differ++;
  }
  assert_true(differ > 25);
}

/* Throttled: equal jitter over min(cap/2, 5 * ceiling), never below base.
 * Defaults of discover-servers (1 s, 30 s): 2.5-5 s, 5-10 s, then 7.5-15 s. */
static void test_throttled_backoff_is_equal_jitter(void **state) {
  (void)state;
  ecsb_backoff b;
  ecsb_backoff_init(&b, 1000, 30000, 7);
  const int64_t lo[] = {2500, 5000, 7500, 7500, 7500};
  const int64_t hi[] = {5000, 10000, 15000, 15000, 15000};
  for (int attempt = 0; attempt < 5; attempt++) {
    int64_t mn = INT64_MAX, mx = 0;
    for (int i = 0; i < 2000; i++) {
      int64_t d = ecsb_backoff_next_throttled(&b, attempt);
      assert_true(d >= lo[attempt] && d <= hi[attempt]);
      mn = d < mn ? d : mn;
      mx = d > mx ? d : mx;
    }
    /* spread over the range, not stuck at one end */
    assert_true(mn < lo[attempt] + (hi[attempt] - lo[attempt]) / 10);
    assert_true(mx > hi[attempt] - (hi[attempt] - lo[attempt]) / 10);
  }
  ecsb_backoff_init(&b, 100, 150, 7); /* cap/2 below base: base wins */
  for (int i = 0; i < 100; i++) {
    int64_t d = ecsb_backoff_next_throttled(&b, 3);
    assert_true(d >= 50 && d <= 100);
  }
}

static void test_rng_below_and_unit_ranges(void **state) {
  (void)state;
  ecsb_rng r;
  ecsb_rng_seed(&r, 5);
  int seen[7] = {0};
  for (int i = 0; i < 7000; i++) {
    uint64_t v = ecsb_rng_below(&r, 7);
    assert_true(v < 7);
    seen[v]++;
    double u = ecsb_rng_unit(&r);
    assert_true(u >= 0.0 && u < 1.0);
  }
  for (int i = 0; i < 7; i++)
    assert_true(seen[i] > 700 && seen[i] < 1300);
  assert_int_equal(ecsb_rng_below(&r, 0), 0);
}

static void test_sleep_honours_stop_flag(void **state) {
  (void)state;
  volatile int stop = 1;
  int64_t t0 = ecsb_mono_ms();
  ecsb_sleep_ms(60000, &stop); /* returns at once: stop is already set */
  assert_true(ecsb_mono_ms() - t0 < 30000);
  assert_true(ecsb_mono_us() > 0 && ecsb_wall_us() > 1600000000000000LL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_backoff_ceiling_doubles_then_caps),
      cmocka_unit_test(test_full_jitter_stays_within_bounds_and_spreads),
      cmocka_unit_test(test_same_seed_same_sequence),
      cmocka_unit_test(test_throttled_backoff_is_equal_jitter),
      cmocka_unit_test(test_rng_below_and_unit_ranges),
      cmocka_unit_test(test_sleep_honours_stop_flag),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
