/*
 * test_scn_exitwatch.c - the exit watcher: a child's end is reported with
 * its time while nobody reaps it (the runner's loop may be busy for
 * seconds), once; a zombie is reported at once; a removed registration
 * never calls back; and the watcher never reaps, so scn_proc still gets
 * the exit code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ecsb/clock.h"
#include "scn/exitwatch.h"
#include "scn/proc.h"

typedef struct seen {
  atomic_int calls;
  _Atomic int64_t at;
} seen;

static void on_exit_cb(void *user, int64_t at) {
  seen *s = user;
  atomic_store(&s->at, at);
  atomic_fetch_add(&s->calls, 1);
}

/* pidfd_open is Linux 5.3's; valgrind 3.19 does not know it either. The
 * watcher then reports nothing, which the runner copes with. */
static void need_pidfds(void) {
#ifdef SYS_pidfd_open
  int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
  if (fd >= 0) {
    close(fd);
    return;
  }
#endif
  print_message("pidfd_open unavailable here: skipped\n");
  skip();
}

/* Waits (bounded) until the callback ran, without reaping anything. */
static bool wait_call(seen *s, int64_t ms) {
  for (int64_t i = 0; i < ms && !atomic_load(&s->calls); i++)
    usleep(1000);
  return atomic_load(&s->calls) > 0;
}

static scn_proc *spawn_sh(const char *script, scn_exitwatch *w, seen *s) {
  const char *argv[] = {"/bin/sh", "-c", script, NULL};
  scn_spawn_opts o = {
      .argv = argv, .watch = w, .on_exit = on_exit_cb, .on_exit_user = s};
  scn_proc *p = NULL;
  ecsb_err err = {0};
  assert_int_equal(scn_proc_spawn(&o, &p, &err), 0);
  return p;
}

static void test_exit_is_seen_before_it_is_reaped(void **state) {
  (void)state;
  need_pidfds();
  scn_exitwatch *w = NULL;
  ecsb_err err = {0};
  assert_int_equal(scn_exitwatch_new(&w, &err), 0);
  seen s = {0};
  int64_t t0 = ecsb_mono_us();
  scn_proc *p = spawn_sh("sleep 0.05; exit 7", w, &s);
  assert_true(wait_call(&s, 10000));
  int64_t at = atomic_load(&s.at);
  assert_true(at - t0 >= 50000); /* not before it ended */
  assert_true(at <= ecsb_mono_us());
  /* still a zombie: the watcher did not reap it */
  siginfo_t si = {0};
  assert_int_equal(
      waitid(P_PID, (id_t)scn_proc_pid(p), &si, WEXITED | WNOHANG | WNOWAIT),
      0);
  assert_int_equal(si.si_pid, scn_proc_pid(p));
  int code = -1;
  assert_true(scn_proc_poll(p, &code, NULL));
  assert_int_equal(code, 7);
  assert_int_equal(atomic_load(&s.calls), 1);
  assert_int_equal(scn_exitwatch_seen(w), 1);
  scn_proc_free(p);
  scn_exitwatch_free(w);
}

static void test_zombie_is_seen_at_once(void **state) {
  (void)state;
  need_pidfds();
  scn_exitwatch *w = NULL;
  ecsb_err err = {0};
  assert_int_equal(scn_exitwatch_new(&w, &err), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0)
    _exit(0);
  /* bounded: it exits at once */
  siginfo_t si = {0};
  for (int i = 0; i < 10000 && si.si_pid != pid; i++) {
    waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT);
    if (si.si_pid != pid)
      usleep(1000);
  }
  assert_int_equal(si.si_pid, pid);
  seen s = {0};
  uint64_t id = 0;
  assert_int_equal(scn_exitwatch_add(w, pid, on_exit_cb, &s, &id, &err), 0);
  assert_true(id != 0);
  assert_true(wait_call(&s, 10000));
  scn_exitwatch_remove(w, id);
  scn_exitwatch_remove(w, id); /* twice is fine */
  int st;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  scn_exitwatch_free(w);
}

/* Registrations reuse slots: a removed one never calls back, even when
 * its process ends later, and its slot serves the next one. */
static void test_removed_registration_never_calls_back(void **state) {
  (void)state;
  need_pidfds();
  scn_exitwatch *w = NULL;
  ecsb_err err = {0};
  assert_int_equal(scn_exitwatch_new(&w, &err), 0);
  seen gone = {0}, kept = {0};
  const char *argv[] = {"/bin/sh", "-c", "sleep 0.05", NULL};
  scn_spawn_opts o = {.argv = argv};
  scn_proc *a = NULL, *b = NULL;
  assert_int_equal(scn_proc_spawn(&o, &a, &err), 0);
  uint64_t ida = 0;
  assert_int_equal(
      scn_exitwatch_add(w, scn_proc_pid(a), on_exit_cb, &gone, &ida, &err), 0);
  scn_exitwatch_remove(w, ida);
  b = spawn_sh("sleep 0.1", w, &kept);
  assert_true(scn_proc_wait(a, 10000, NULL, NULL));
  assert_true(wait_call(&kept, 10000));
  assert_int_equal(atomic_load(&gone.calls), 0);
  assert_int_equal(atomic_load(&kept.calls), 1);
  scn_proc_free(a);
  scn_proc_free(b);
  /* no such process: an error naming it, and nothing registered */
  uint64_t id = 1;
  assert_int_equal(scn_exitwatch_add(w, -1, on_exit_cb, &gone, &id, &err),
                   ECSB_ESTATE);
  assert_int_equal(id, 0);
  assert_non_null(strstr(err.msg, "pidfd_open -1"));
  scn_exitwatch_free(w);
  scn_exitwatch_free(NULL);
}

/* A hundred at once, half of them freed while still running (the
 * runner's teardown): each exit is reported once, and none after
 * scn_proc_free. */
static void test_many_children_each_seen_once(void **state) {
  (void)state;
  need_pidfds();
  scn_exitwatch *w = NULL;
  ecsb_err err = {0};
  assert_int_equal(scn_exitwatch_new(&w, &err), 0);
  enum { N = 100 };
  static seen s[N];
  scn_proc *p[N];
  for (int i = 0; i < N; i++) {
    atomic_store(&s[i].calls, 0);
    p[i] = spawn_sh(i % 2 ? "exit 0" : "sleep 30", w, &s[i]);
  }
  for (int i = 1; i < N; i += 2)
    assert_true(wait_call(&s[i], 10000));
  for (int i = 0; i < N; i++)
    scn_proc_free(p[i]); /* SIGKILLs the sleepers, reaps, unwatches */
  for (int i = 0; i < N; i++)
    assert_true(atomic_load(&s[i].calls) <= 1);
  for (int i = 1; i < N; i += 2)
    assert_int_equal(atomic_load(&s[i].calls), 1);
  scn_exitwatch_free(w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exit_is_seen_before_it_is_reaped),
      cmocka_unit_test(test_zombie_is_seen_at_once),
      cmocka_unit_test(test_removed_registration_never_calls_back),
      cmocka_unit_test(test_many_children_each_seen_once),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
