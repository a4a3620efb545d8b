/*
 * test_scn_taskclock.c - the task clock file the runner shares with a
 * task's consul-client: lag written by one side is read by the other,
 * task time is the monotonic clock minus the lag and never goes back, and
 * a file that is not a clock is refused by name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ecsb/clock.h"
#include "scn/taskclock.h"

static char dir[64];

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/ecsb-taskclock-XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd);
}

static void test_lag_is_shared_and_taken_out(void **state) {
  (void)state;
  char path[128];
  snprintf(path, sizeof path, "%s/" SCN_TASK_CLOCK_FILE, dir);
  scn_taskclock *w = NULL, *r = NULL;
  ecsb_err err = {0};
  assert_int_equal(scn_taskclock_create(path, &w, &err), 0);
  assert_int_equal(scn_taskclock_open(path, &r, &err), 0);
  assert_int_equal(scn_taskclock_lag_us(r), 0);

  int64_t before = ecsb_mono_ms();
  int64_t t = scn_taskclock_now_ms(r);
  assert_true(t >= before && t <= ecsb_mono_ms());

  /* An hour of lag: task time stands still (it never runs backwards)
   * until the monotonic clock has caught up with it. */
  scn_taskclock_set_lag_us(w, 3600LL * 1000 * 1000);
  assert_int_equal(scn_taskclock_lag_us(r), 3600LL * 1000 * 1000);
  assert_int_equal(scn_taskclock_now_ms(r), t);
  /* A fresh reader has no history: it shows the lag taken out. */
  scn_taskclock *r2 = NULL;
  assert_int_equal(scn_taskclock_open(path, &r2, &err), 0);
  int64_t t2 = scn_taskclock_now_ms(r2);
  assert_true(t2 <= ecsb_mono_ms() - 3600LL * 1000 + 1);
  assert_true(t2 >= before - 3600LL * 1000);
  /* The lag only grows. */
  scn_taskclock_set_lag_us(w, 5);
  assert_int_equal(scn_taskclock_lag_us(r2), 3600LL * 1000 * 1000);
  scn_taskclock_free(r2);
  scn_taskclock_free(r);
  scn_taskclock_free(w);

  /* Without a clock: the monotonic clock. */
  before = ecsb_mono_ms();
  t = scn_taskclock_now_ms(NULL);
  assert_true(t >= before && t <= ecsb_mono_ms());
  scn_taskclock_free(NULL);
}

static void test_bad_files_are_named(void **state) {
  (void)state;
  char path[128];
  snprintf(path, sizeof path, "%s/missing.clock", dir);
  scn_taskclock *c = NULL;
  ecsb_err err = {0};
  assert_int_not_equal(scn_taskclock_open(path, &c, &err), 0);
  assert_null(c);
  assert_non_null(strstr(err.msg, path));

  snprintf(path, sizeof path, "%s/short.clock", dir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("12", f);
  fclose(f);
  assert_int_equal(scn_taskclock_open(path, &c, &err), ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "not a clock file"));
  assert_non_null(strstr(err.msg, path));

  snprintf(path, sizeof path, "%s/no-such-dir/task.clock", dir);
  assert_int_not_equal(scn_taskclock_create(path, &c, &err), 0);
  assert_non_null(strstr(err.msg, path));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lag_is_shared_and_taken_out),
      cmocka_unit_test(test_bad_files_are_named),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
