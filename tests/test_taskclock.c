/*
 * test_taskclock.c - the task clock file the runner shares with a
 * task's consul-client: lag written by one side is read by the other,
 * task time is the monotonic clock minus the lag and never goes back, and
 * a file that is not a clock is refused by name; a held clock stands at
 * the task time it was held at, whatever the lag does meanwhile, and goes
 * on from there once released, and another process waiting for the
 * release wakes at it; a process that follows it (ECSBOOT_TASK_CLOCK)
 * sleeps and times out on task time, and past a charge of lag sleeps
 * until its reading can move again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ecsb/clock.h"
#include "ecsb/taskclock.h"

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

/* A clock file `name` in the test's folder (its path in path), created
 * by the runner's side (*w) and mapped by a task process's (*p). */
static void runner_and_process(const char *name, char *path, size_t cap,
                               ecsb_taskclock **w, ecsb_taskclock **p) {
  snprintf(path, cap, "%s/%s", dir, name);
  ecsb_err err = {0};
  assert_int_equal(ecsb_taskclock_create(path, w, &err), 0);
  assert_int_equal(ecsb_taskclock_open(path, p, &err), 0);
}

static void test_lag_is_shared_and_taken_out(void **state) {
  (void)state;
  char path[128];
  ecsb_taskclock *w = NULL, *r = NULL;
  runner_and_process(ECSB_TASK_CLOCK_FILE, path, sizeof path, &w, &r);
  ecsb_err err = {0};
  assert_int_equal(ecsb_taskclock_lag_us(r), 0);

  int64_t before = ecsb_mono_ms();
  int64_t t = ecsb_taskclock_now_ms(r);
  assert_true(t >= before && t <= ecsb_mono_ms());

  /* A lag of half the time since the host booted (an hour was more than
   * a freshly booted machine has, and a task's lag is never more than
   * its time): task time stands still (it never runs backwards) until
   * the monotonic clock has caught up with it. */
  const int64_t lag = (ecsb_mono_us() / 2000) * 1000;
  assert_true(lag > 0);
  ecsb_taskclock_set_lag_us(w, lag);
  assert_int_equal(ecsb_taskclock_lag_us(r), lag);
  assert_int_equal(ecsb_taskclock_now_ms(r), t);
  /* A fresh reader has no history: it shows the lag taken out. */
  ecsb_taskclock *r2 = NULL;
  assert_int_equal(ecsb_taskclock_open(path, &r2, &err), 0);
  int64_t t2 = ecsb_taskclock_now_ms(r2);
  assert_true(t2 <= ecsb_mono_ms() - lag / 1000 + 1);
  assert_true(t2 >= before - lag / 1000);
  /* The lag only grows. */
  ecsb_taskclock_set_lag_us(w, 5);
  assert_int_equal(ecsb_taskclock_lag_us(r2), lag);
  ecsb_taskclock_free(r2);
  ecsb_taskclock_free(r);
  ecsb_taskclock_free(w);

  /* Without a clock: the monotonic clock. */
  before = ecsb_mono_ms();
  t = ecsb_taskclock_now_ms(NULL);
  assert_true(t >= before && t <= ecsb_mono_ms());
  ecsb_taskclock_free(NULL);
}

/* The runner holds a task's clock while one of the task's exits waits
 * for it, raises the lag by the time held, then releases. */
static void test_hold_stops_the_clock_until_released(void **state) {
  (void)state;
  char path[128];
  ecsb_taskclock *w = NULL, *r = NULL;
  runner_and_process("hold.clock", path, sizeof path, &w, &r);
  ecsb_err err = {0};
  assert_int_equal(ecsb_taskclock_held_at(r), 0);

  int64_t at = ecsb_taskclock_now_us(w);
  ecsb_taskclock_hold(w, at);
  assert_int_equal(ecsb_taskclock_held_at(r), at);
  /* a later hold does not move it; an earlier one does */
  ecsb_taskclock_hold(w, at + 5000);
  assert_int_equal(ecsb_taskclock_held_at(r), at);
  ecsb_taskclock_hold(w, at - 1000);
  assert_int_equal(ecsb_taskclock_held_at(r), at - 1000);
  ecsb_taskclock_hold(w, at);
  /* the reader has seen no more than at - 1000 yet... */
  ecsb_taskclock *fresh = NULL;
  assert_int_equal(ecsb_taskclock_open(path, &fresh, &err), 0);
  assert_int_equal(ecsb_taskclock_now_us(fresh), at - 1000);
  /* ...and stays there while the host's clock runs and the lag grows */
  ecsb_sleep_ms(20, NULL);
  ecsb_taskclock_set_lag_us(w, 10000);
  assert_int_equal(ecsb_taskclock_now_us(fresh), at - 1000);
  ecsb_taskclock_free(fresh);

  /* Released with the time held charged: a reader with no history goes
   * on from where it stood (plus the time since the release). */
  int64_t t_set = ecsb_mono_host_us();
  ecsb_taskclock_set_lag_us(w, t_set - (at - 1000));
  ecsb_taskclock_release(w);
  assert_int_equal(ecsb_taskclock_held_at(r), 0);
  assert_int_equal(ecsb_taskclock_open(path, &fresh, &err), 0);
  int64_t v = ecsb_taskclock_now_us(fresh);
  assert_true(v >= at - 1000);
  assert_true(v <= at - 1000 + (ecsb_mono_host_us() - t_set));
  ecsb_taskclock_free(fresh);
  ecsb_taskclock_free(r);
  ecsb_taskclock_free(w);
}

/* A process that waits for the release: forked while the clock is held,
 * it maps the file read-only and waits up to 20 s; exits 0 when the wait
 * said the clock was held. */
static pid_t waiter(const char *path) {
  pid_t pid = fork();
  if (pid != 0)
    return pid;
  ecsb_taskclock *c = NULL;
  if (ecsb_taskclock_open(path, &c, NULL))
    _exit(2);
  _exit(ecsb_taskclock_wait_release(c, 20000000) ? 0 : 1);
}

/* Whether pid sleeps (state S in /proc/PID/stat), within 5 s. */
static bool sleeps(pid_t pid) {
  char p[64];
  snprintf(p, sizeof p, "/proc/%d/stat", (int)pid);
  for (int i = 0; i < 500; i++) {
    FILE *f = fopen(p, "re");
    char st = '?';
    if (f) {
      if (fscanf(f, "%*d (%*[^)]) %c", &st) != 1)
        st = '?';
      fclose(f);
    }
    if (st == 'S')
      return true;
    usleep(10000);
  }
  return false;
}

/* Waits (bounded, 10 s) for pid; its exit code, or -1. */
static int reap(pid_t pid, int64_t *took_us) {
  int64_t t0 = ecsb_mono_host_us();
  int status;
  while (ecsb_mono_host_us() - t0 < 10000000) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      *took_us = ecsb_mono_host_us() - t0;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    usleep(1000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

/* Starts a waiter on the clock at path and sees it block. */
static pid_t blocked_waiter(const char *path) {
  pid_t pid = waiter(path);
  assert_true(pid > 0);
  assert_true(sleeps(pid));
  usleep(20000);
  int status;
  assert_int_equal(waitpid(pid, &status, WNOHANG), 0); /* still waiting */
  return pid;
}

/* Holds w's clock and starts a waiter; once it sleeps, ends the hold
 * (release) or only wakes it (a stop, the clock still held): the waiter
 * must end at that, long before its own 20 s bound. */
static void waiter_ends_at(ecsb_taskclock *w, const char *path, bool release) {
  ecsb_taskclock_hold(w, ecsb_taskclock_now_us(w));
  pid_t pid = blocked_waiter(path);
  if (release)
    ecsb_taskclock_release(w);
  else
    ecsb_taskclock_wake(w);
  int64_t took = 0;
  assert_int_equal(reap(pid, &took), 0);
  assert_true(took < 10000000);
  ecsb_taskclock_release(w);
}

/* A process waiting for a held clock blocks (it does not poll) and wakes
 * at the release, or at a wake for a process that is stopping; on a clock
 * that is not held it returns at once. */
static void test_a_wait_for_the_release_ends_at_it(void **state) {
  (void)state;
  char path[128];
  snprintf(path, sizeof path, "%s/wait.clock", dir);
  ecsb_taskclock *w = NULL;
  ecsb_err err = {0};
  assert_int_equal(ecsb_taskclock_create(path, &w, &err), 0);
  assert_false(ecsb_taskclock_wait_release(w, 20000000));
  waiter_ends_at(w, path, true);
  waiter_ends_at(w, path, false);
  ecsb_taskclock_free(w);
}

/* Past its lease the clock stands where the lease put it, for a reader
 * with no history too; a process waiting on it blocks until the runner
 * renews the lease, or a stop wakes it; renewed, the clock goes on. */
static void test_a_clock_stands_past_its_lease(void **state) {
  (void)state;
  char path[128];
  snprintf(path, sizeof path, "%s/lease.clock", dir);
  ecsb_taskclock *w = NULL, *fresh = NULL;
  ecsb_err err = {0};
  assert_int_equal(ecsb_taskclock_create(path, &w, &err), 0);
  ecsb_taskclock_set_lag_us(w, 1000);
  /* (leases of seconds where one must not run out: the test may run
   * beside other jobs, or under valgrind) */
  ecsb_taskclock_set_lease(w, ecsb_mono_host_us() + 10000000);
  assert_false(ecsb_taskclock_wait_release(w, 20000000)); /* not yet */
  int64_t lease = ecsb_mono_host_us();
  ecsb_taskclock_set_lease(w, lease);
  assert_int_equal(ecsb_taskclock_lease(w), lease);
  usleep(5000);
  assert_int_equal(ecsb_taskclock_open(path, &fresh, &err), 0);
  assert_int_equal(ecsb_taskclock_now_us(fresh), lease - 1000);
  usleep(5000);
  assert_int_equal(ecsb_taskclock_now_us(fresh), lease - 1000);
  /* a waiter blocks on the expired lease and ends at the renewal */
  for (int renew = 1; renew >= 0; renew--) {
    pid_t pid = blocked_waiter(path);
    if (renew) {
      ecsb_taskclock_set_lease(w, ecsb_mono_host_us() + 10000000);
    } else {
      ecsb_taskclock_wake(w); /* a stop */
    }
    int64_t took = 0;
    assert_int_equal(reap(pid, &took), 0);
    assert_true(took < 10000000);
    if (renew) {
      /* renewed: runs again */
      int64_t v = ecsb_taskclock_now_us(fresh);
      usleep(5000);
      assert_true(ecsb_taskclock_now_us(fresh) >= v + 5000);
      ecsb_taskclock_set_lease(w, ecsb_mono_host_us()); /* runs out */
    }
  }
  /* no lease: the clock runs without a bound */
  ecsb_taskclock_set_lease(w, 0);
  int64_t v = ecsb_taskclock_now_us(fresh);
  usleep(5000);
  assert_true(ecsb_taskclock_now_us(fresh) >= v + 5000);
  assert_false(ecsb_taskclock_wait_release(w, 20000000));
  ecsb_taskclock_free(fresh);
  ecsb_taskclock_free(w);
}

static void test_bad_files_are_named(void **state) {
  (void)state;
  char path[128];
  snprintf(path, sizeof path, "%s/missing.clock", dir);
  ecsb_taskclock *c = NULL;
  ecsb_err err = {0};
  assert_int_not_equal(ecsb_taskclock_open(path, &c, &err), 0);
  assert_null(c);
  assert_non_null(strstr(err.msg, path));

  snprintf(path, sizeof path, "%s/short.clock", dir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("12", f);
  fclose(f);
  assert_int_equal(ecsb_taskclock_open(path, &c, &err), ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "not a clock file"));
  assert_non_null(strstr(err.msg, path));

  snprintf(path, sizeof path, "%s/no-such-dir/task.clock", dir);
  assert_int_not_equal(ecsb_taskclock_create(path, &c, &err), 0);
  assert_non_null(strstr(err.msg, path));
}

/* A followed clock: ecsb_mono_* is task time, and a sleep lasts until
 * that much task time passed, so host lag charged meanwhile lengthens it
 * in host time (never shortens it). */
static void test_follow_sleeps_on_task_time(void **state) {
  (void)state;
  char path[128];
  snprintf(path, sizeof path, "%s/" ECSB_TASK_CLOCK_FILE, dir);
  ecsb_taskclock *w = NULL;
  ecsb_err err = {0};
  assert_int_equal(ecsb_taskclock_create(path, &w, &err), 0);

  assert_int_equal(setenv(ECSB_TASK_CLOCK_ENV, path, 1), 0);
  ecsb_taskclock *followed = NULL;
  assert_int_equal(ecsb_taskclock_follow_env(&followed, &err), 0);
  assert_non_null(followed);
  /* 30 ms of lag at once: task time stands still until the host's clock
   * has moved 30 ms, then a 10 ms sleep still has all of its 10 ms. */
  int64_t task0 = ecsb_mono_us(), host0 = ecsb_mono_host_us();
  assert_true(task0 <= host0);
  ecsb_taskclock_set_lag_us(w, 30000);
  ecsb_sleep_ms(10, NULL);
  assert_true(ecsb_mono_us() - task0 >= 10000);
  /* from task0: it was the host time when read (no lag yet); host0 was
   * read later, by as much as a slow run (valgrind) takes */
  assert_true(ecsb_mono_host_us() - task0 >= 40000);
  /* A charge of 200 ms more than host time since the last reading: the
   * reading stands until host time makes up for it, and a wait of 10 ms
   * of task time sleeps through that once, rather than 10 ms at a time
   * (twenty wake-ups; hundreds of consul-clients' check runners did that
   * in a fleet). */
  int64_t task1 = ecsb_mono_us(), set = ecsb_mono_host_us();
  ecsb_taskclock_set_lag_us(w, set - task1 + 200000);
  /* the reading moves past task1 + 10 ms at host time set + 210 ms
   * (however long this thread waited for a CPU in between) */
  int64_t wait = ecsb_clock_host_wait_us(task1 + 10000);
  assert_true(wait >= 210000 - (ecsb_mono_host_us() - set));
  assert_true(wait <= 210000);
  struct rusage ru0, ru1;
  assert_int_equal(getrusage(RUSAGE_THREAD, &ru0), 0);
  ecsb_sleep_ms(10, NULL);
  assert_int_equal(getrusage(RUSAGE_THREAD, &ru1), 0);
  assert_true(ecsb_mono_us() - task1 >= 10000);
  assert_true(ecsb_mono_host_us() - set >= 210000);
  assert_true(ru1.ru_nvcsw - ru0.ru_nvcsw <= 3);
  ecsb_clock_follow(NULL);
  /* The host's clock again. */
  int64_t h = ecsb_mono_host_us(), m = ecsb_mono_us();
  assert_true(m >= h);
  assert_true(m - h < 1000000);
  ecsb_taskclock_free(followed);
  ecsb_taskclock_free(w);
  unsetenv(ECSB_TASK_CLOCK_ENV);
}

/* A task's process tells its runner how long it was blocked on its own
 * disk writes through its mapping of the clock; the runner reads the sum.
 * Not following a clock (production), the same call changes nothing. */
static void test_blocked_time_reaches_the_runner(void **state) {
  (void)state;
  char path[128];
  ecsb_taskclock *w = NULL, *p = NULL;
  runner_and_process(ECSB_TASK_CLOCK_FILE, path, sizeof path, &w, &p);
  ecsb_clock_charge_blocked_us(700); /* nothing followed: dropped */
  assert_int_equal(ecsb_taskclock_blocked_us(w), 0);
  ecsb_clock_follow(p);
  ecsb_clock_charge_blocked_us(700);
  ecsb_clock_charge_blocked_us(-5); /* a clock that went back: nothing */
  ecsb_taskclock_add_blocked_us(p, 300);
  assert_int_equal(ecsb_taskclock_blocked_us(w), 1000);
  ecsb_clock_follow(NULL);
  ecsb_clock_charge_blocked_us(700);
  assert_int_equal(ecsb_taskclock_blocked_us(w), 1000);
  /* the lag and the hold are not touched */
  assert_int_equal(ecsb_taskclock_lag_us(w), 0);
  assert_int_equal(ecsb_taskclock_held_at(w), 0);
  ecsb_taskclock_free(p);
  ecsb_taskclock_free(w);
}

static void test_follow_env_names_a_bad_file(void **state) {
  (void)state;
  ecsb_err err = {0};
  unsetenv(ECSB_TASK_CLOCK_ENV);
  ecsb_taskclock *c = (ecsb_taskclock *)&err;               /* must be reset */
  assert_int_equal(ecsb_taskclock_follow_env(&c, &err), 0); /* production */
  assert_null(c);
  char path[128];
  snprintf(path, sizeof path, "%s/none.clock", dir);
  assert_int_equal(setenv(ECSB_TASK_CLOCK_ENV, path, 1), 0);
  assert_int_not_equal(ecsb_taskclock_follow_env(&c, &err), 0);
  assert_null(c);
  assert_non_null(strstr(err.msg, ECSB_TASK_CLOCK_ENV));
  assert_non_null(strstr(err.msg, path));
  unsetenv(ECSB_TASK_CLOCK_ENV);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lag_is_shared_and_taken_out),
      cmocka_unit_test(test_hold_stops_the_clock_until_released),
      cmocka_unit_test(test_a_wait_for_the_release_ends_at_it),
      cmocka_unit_test(test_bad_files_are_named),
      cmocka_unit_test(test_follow_sleeps_on_task_time),
      cmocka_unit_test(test_a_clock_stands_past_its_lease),
      cmocka_unit_test(test_blocked_time_reaches_the_runner),
      cmocka_unit_test(test_follow_env_names_a_bad_file),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
