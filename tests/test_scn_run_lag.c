/*
 * test_scn_run_lag.c - host lag as the runner keeps it (scenarios/run_lag.c),
 * on a task with no processes: from the exit of one of its processes until
 * the loop has acted on it the task's clock stands still for the runner as
 * for its processes, and once released it goes on from where it stood,
 * however long the loop took to act (starting the next containers takes the
 * task no time, as in ECS, where each task has an agent of its own).
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

#include "../scenarios/run_internal.h"
#include "ecsb/clock.h"
#include "ecsb/taskclock.h"

typedef struct fixture {
  char dir[64];
  char path[128];
  scn_scenario s;
  scn_runner r;
  scn_run_ctr c;
  scn_run_task t;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  if (!f)
    return -1;
  snprintf(f->dir, sizeof f->dir, "/tmp/ecsb-runlag-XXXXXX");
  if (!mkdtemp(f->dir)) {
    free(f);
    return -1;
  }
  snprintf(f->path, sizeof f->path, "%s/task.clock", f->dir);
  f->s.time_scale = 0.01;
  f->r.s = &f->s;
  f->r.t0_mono = ecsb_mono_us();
  f->r.lease_us = 10000000; /* these tests sample when they like */
  f->c.spawn_at = f->c.crash_at = f->c.probe_deadline = SCN_RUN_NEVER;
  atomic_store(&f->c.proc_end.tt, SCN_RUN_NEVER);
  atomic_store(&f->c.probe_end.tt, SCN_RUN_NEVER);
  f->c.proc_end.t = f->c.probe_end.t = &f->t;
  f->t.runner = &f->r;
  f->t.created = true;
  f->t.c = &f->c;
  f->t.n = 1;
  ecsb_err err = {0};
  if (ecsb_taskclock_create(f->path, &f->t.clock, &err)) {
    free(f);
    return -1;
  }
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  ecsb_taskclock_free(f->t.clock);
  unlink(f->path);
  rmdir(f->dir);
  free(f);
  return 0;
}

/* After the clock stood at `from`, the runner's view v and the processes'
 * p of the task's time, read between wall times a and b, go on from
 * there: no further than the wall time in between. */
static void goes_on_from(int64_t from, int64_t v, int64_t p, int64_t a,
                         int64_t b) {
  assert_true(v >= from && p >= from);
  if (v - from > b - a || p - from > b - a)
    fail_msg("the task's clock went on from +%lld us (runner) and +%lld us "
             "(processes) past where it stood, in %lld us of wall time",
             (long long)(v - from), (long long)(p - from), (long long)(b - a));
}

/* The processes' view of the task's time, in the runner's terms. */
static int64_t proc_tt(const fixture *f) {
  return ecsb_taskclock_now_us(f->t.clock) - f->r.t0_mono;
}

static void test_acting_on_an_exit_takes_no_task_time(void **state) {
  fixture *f = *state;
  scn_runner *r = &f->r;
  scn_run_task *t = &f->t;
  usleep(2000);
  /* a process of the task ends; the exit watcher holds the clock */
  scn_run_lag_ended(&f->c.proc_end, ecsb_mono_us());
  int64_t ended = scn_run_lag_ended_tt(t);
  assert_true(ended >= 2000);
  usleep(20000); /* the loop serves other tasks */
  assert_int_equal(scn_run_task_now(r, t), ended);
  assert_int_equal(proc_tt(f), ended);
  /* the loop comes to it: charged the wait, then acts on the exit */
  scn_run_lag_update(r, t, SCN_RUN_NEVER);
  assert_true(t->lag_us >= 20000);
  scn_run_lag_end_done(&f->c.proc_end);
  usleep(20000); /* starting what the exit allowed */
  assert_int_equal(scn_run_task_now(r, t), ended);
  assert_int_equal(proc_tt(f), ended);
  /* released: the clock goes on from where it stood, for both */
  int64_t a = ecsb_mono_us();
  scn_run_lag_release(t);
  int64_t v = scn_run_task_now(r, t), p = proc_tt(f);
  int64_t b = ecsb_mono_us();
  assert_int_equal(ecsb_taskclock_held_at(t->clock), 0);
  goes_on_from(ended, v, p, a, b);
  /* and runs again */
  usleep(5000);
  assert_true(scn_run_task_now(r, t) >= v + 5000);
}

/* A task the loop does not sample within its lease (the loop held back
 * by a busy host): its clock stands at the lease for the runner as for its
 * processes, and the next sample charges the time it stood as the task's
 * wait for the loop, so the clock goes on from where it stood; then the
 * lease is renewed. */
static void test_a_task_not_sampled_in_time_stands(void **state) {
  fixture *f = *state;
  scn_runner *r = &f->r;
  scn_run_task *t = &f->t;
  r->lease_us = 5000;
  scn_run_lag_update(r, t, SCN_RUN_NEVER);
  int64_t lease = ecsb_taskclock_lease(t->clock);
  assert_true(lease > 0);
  int64_t stood = lease - r->t0_mono - t->lag_us;
  usleep(30000); /* the loop is elsewhere */
  assert_int_equal(scn_run_task_now(r, t), stood);
  assert_int_equal(proc_tt(f), stood);
  int64_t lag = t->lag_us, runner = t->lag_runner_us;
  r->lease_us = 10000000; /* the renewed one must not run out here */
  int64_t a = ecsb_mono_us();
  scn_run_lag_update(r, t, SCN_RUN_NEVER);
  int64_t v = scn_run_task_now(r, t), p = proc_tt(f);
  int64_t b = ecsb_mono_us();
  /* at least the 25 ms past the lease, as the runner's */
  assert_true(t->lag_us - lag >= 25000);
  assert_true(t->lag_runner_us - runner >= 25000);
  goes_on_from(stood, v, p, a, b);
  assert_true(ecsb_taskclock_lease(t->clock) > lease);
  usleep(2000);
  assert_true(scn_run_task_now(r, t) >= v + 2000);
  /* no charge for a task sampled within its lease */
  scn_run_lag_update(r, t, SCN_RUN_NEVER);
  lag = t->lag_us;
  usleep(10000);
  scn_run_lag_update(r, t, SCN_RUN_NEVER);
  assert_true(t->lag_us - lag < 10000);
}

/* A sample that raised the lag without an event to record it (the loop
 * acting on the task) leaves the log behind the task; a sweep records it
 * and says the lag grew, although its own sample added nothing: the run's
 * decision, judged on the log, is confirmed only after it (a FAIL decided
 * on the stale lag ended a run that its final judgement then found
 * INCONCLUSIVE). */
static void test_a_sweep_says_the_log_grew(void **state) {
  fixture *f = *state;
  scn_runner *r = &f->r;
  scn_run_task *t = &f->t;
  rpt_log *mem = calloc(1, sizeof *mem);
  assert_non_null(mem);
  pthread_mutex_init(&r->mu, NULL);
  r->mem = mem;
  r->tasks = t;
  r->n_tasks = 1;
  snprintf(t->name, sizeof t->name, "web-1");
  usleep(20000);
  /* a timer of the task due at task time 0: the loop was 20 ms late */
  scn_run_lag_update(r, t, 0);
  assert_true(t->lag_us >= 20000);
  assert_int_equal(t->lag_emitted, 0);
  bool grew = false;
  scn_run_lag_sweep(r, &grew);
  assert_true(grew);
  assert_int_equal(t->lag_emitted, t->lag_us);
  assert_int_equal(mem->n, 1);
  assert_string_equal(mem->events[0].kind, "host.lag");
  /* nothing new since: nothing grew */
  int64_t lag = t->lag_us;
  scn_run_lag_sweep(r, &grew);
  assert_false(grew && t->lag_us - lag >= 100);
  r->tasks = NULL;
  r->n_tasks = 0;
  r->mem = NULL;
  rpt_log_free(mem);
  pthread_mutex_destroy(&r->mu);
}

/* The loop may reap an exit before the exit watcher saw it: the clock is
 * then held at the reap, as the watcher would have held it; an exit the
 * watcher saw keeps the watcher's hold. */
static void test_an_exit_reaped_first_holds_the_clock(void **state) {
  fixture *f = *state;
  scn_runner *r = &f->r;
  scn_run_task *t = &f->t;
  usleep(2000);
  int64_t before = scn_run_task_now(r, t);
  scn_run_lag_reaped(&f->c.proc_end);
  int64_t ended = scn_run_lag_ended_tt(t);
  assert_true(ended >= before);
  assert_int_equal(ecsb_taskclock_held_at(t->clock), ended + r->t0_mono);
  usleep(20000); /* starting what the exit allowed */
  assert_int_equal(scn_run_task_now(r, t), ended);
  assert_int_equal(proc_tt(f), ended);
  /* seen by the watcher first: the reap leaves its hold as it is */
  scn_run_lag_end_done(&f->c.proc_end);
  scn_run_lag_release(t);
  usleep(2000);
  scn_run_lag_ended(&f->c.proc_end, ecsb_mono_us());
  int64_t seen = scn_run_lag_ended_tt(t);
  usleep(5000);
  scn_run_lag_reaped(&f->c.proc_end);
  assert_int_equal(scn_run_lag_ended_tt(t), seen);
  assert_int_equal(ecsb_taskclock_held_at(t->clock), seen + r->t0_mono);
  scn_run_lag_end_done(&f->c.proc_end);
  scn_run_lag_release(t);
}

/* An exit the loop has not acted on keeps the clock held through a
 * release, which charges nothing yet. */
static void test_release_waits_for_every_exit(void **state) {
  fixture *f = *state;
  scn_run_task *t = &f->t;
  scn_run_lag_ended(&f->c.proc_end, ecsb_mono_us());
  scn_run_lag_ended(&f->c.probe_end, ecsb_mono_us());
  int64_t ended = scn_run_lag_ended_tt(t);
  scn_run_lag_end_done(&f->c.proc_end);
  scn_run_lag_release(t);
  assert_int_equal(ecsb_taskclock_held_at(t->clock) - f->r.t0_mono, ended);
  assert_int_equal(t->lag_us, 0);
  scn_run_lag_end_done(&f->c.probe_end);
  scn_run_lag_release(t);
  assert_int_equal(ecsb_taskclock_held_at(t->clock), 0);
}

/* A fake's answer to one of the task's processes (its server's CPU, told
 * through scn_run_lag_served, the caller's address naming the task) is
 * charged to that task at its next sample, as measured CPU; an address
 * that is no task of the run's block, or a task not yet made, is not. */
static void test_the_fakes_answers_are_charged_to_the_caller(void **state) {
  fixture *f = *state;
  scn_runner *r = &f->r;
  scn_run_task *t = &f->t;
  r->nb.block = 42;
  r->tasks = t;
  r->n_tasks = 1;
  scn_run_lag_served(r, "127.42.1.1", 3000); /* before the tasks are ready */
  atomic_store(&r->n_served_tasks, 1);
  /* the test's own waits so far (the runner's, to it) are charged first */
  scn_run_lag_update(r, t, SCN_RUN_NEVER);
  int64_t cpu0 = t->lag_cpu_us;
  usleep(10000); /* room: the charge is never more than the time passed */
  scn_run_lag_served(r, "127.42.1.1", 4000);
  scn_run_lag_served(r, "127.42.1.2", 1000);  /* task 1: not in the run */
  scn_run_lag_served(r, "127.43.1.1", 1000);  /* another run's block */
  scn_run_lag_served(r, "127.42.0.10", 1000); /* the Consul server */
  scn_run_lag_update(r, t, SCN_RUN_NEVER);
  /* the waits of this test's own threads may add to lag_us, not to the
   * CPU part: that is the served CPU alone */
  assert_int_equal(t->lag_cpu_us - cpu0, 4000);
  assert_true(t->lag_us >= 4000 && t->lag_runner_us >= 4000);
  scn_run_lag_update(r, t, SCN_RUN_NEVER); /* charged once */
  assert_int_equal(t->lag_cpu_us - cpu0, 4000);
}

/* A process blocked on its own disk write (added to the clock file, as
 * ecsb_atomic_write does around its fsyncs) is charged at the next sample
 * as measured work beyond its scaled duration, once; at time_scale 1 the
 * disk's time is the scenario's and nothing is charged. */
static void test_a_process_blocked_on_its_disk_is_charged(void **state) {
  fixture *f = *state;
  scn_runner *r = &f->r;
  scn_run_task *t = &f->t;
  ecsb_taskclock *proc = NULL;
  ecsb_err err = {0};
  assert_int_equal(ecsb_taskclock_open(f->path, &proc, &err), 0);
  scn_run_lag_update(r, t, SCN_RUN_NEVER);
  int64_t cpu0 = t->lag_cpu_us, lag0 = t->lag_us;
  usleep(20000); /* room: the charge is never more than the time passed */
  ecsb_taskclock_add_blocked_us(proc, 10000);
  scn_run_lag_update(r, t, SCN_RUN_NEVER);
  assert_int_equal(t->lag_io_us, 9900); /* all but its 1 % */
  assert_int_equal(t->lag_cpu_us - cpu0, 9900);
  assert_true(t->lag_us - lag0 >= 9900);
  scn_run_lag_update(r, t, SCN_RUN_NEVER); /* charged once */
  assert_int_equal(t->lag_io_us, 9900);
  assert_int_equal(t->lag_cpu_us - cpu0, 9900);
  f->s.time_scale = 1.0;
  usleep(20000);
  ecsb_taskclock_add_blocked_us(proc, 10000);
  scn_run_lag_update(r, t, SCN_RUN_NEVER);
  assert_int_equal(t->lag_io_us, 9900);
  assert_int_equal(t->lag_cpu_us - cpu0, 9900);
  ecsb_taskclock_free(proc);
}

/* Task time handed out 20 ms in (*handed), then a process that works
 * 20 ms and ends, the exit watcher holding the clock at its exit (*ended);
 * then the loop charges `add` of its own since the watcher read the lag
 * (negative: past all the room), stores the lag (*lag) and comes to the
 * exit. Returns where the hold stands. */
static int64_t exit_then_lag(fixture *f, int64_t add, int64_t *handed,
                             int64_t *ended, int64_t *lag) {
  scn_runner *r = &f->r;
  scn_run_task *t = &f->t;
  usleep(20000);
  *handed = scn_run_task_now(r, t);
  usleep(20000); /* the process works */
  scn_run_lag_ended(&f->c.proc_end, ecsb_mono_us());
  *ended = scn_run_lag_ended_tt(t);
  t->lag_us = add < 0 ? scn_run_now(r) - t->tt_max + 1000 : t->lag_us + add;
  ecsb_taskclock_set_lag_us(t->clock, t->lag_us);
  *lag = t->lag_us;
  scn_run_lag_update(r, t, SCN_RUN_NEVER);
  return ecsb_taskclock_held_at(t->clock) - r->t0_mono;
}

/* The exit watcher computes an exit's task time with the lag as it reads
 * it; a charge the loop stored after that (a quick sample racing the
 * watcher, which charged the process's last CPU) came before the exit as
 * well, and the first full sample moves the hold back by it. Without
 * that, task time ran on from the stale hold while the next containers
 * started: mesh-init's exit, T2, 0.4-1.0 s late at 0.01. */
static void test_a_charge_that_raced_an_exit_moves_its_hold_back(void **s) {
  int64_t handed, ended, lag;
  int64_t held = exit_then_lag(*s, 8000, &handed, &ended, &lag);
  if (held > ended - 8000 || held < handed)
    fail_msg("exit at task time %lld us, 8 ms charged for the time before it "
             "after the hold: the hold stands at %lld us (task time %lld us "
             "was handed out before)",
             (long long)ended, (long long)held, (long long)handed);
}

/* The first sample after an exit moves its hold back even when it
 * charges nothing itself (here the loop's charges since the watcher read
 * the lag took all the room): right after it the loop hands out the held
 * time to what the exit starts, and then it can no longer move. */
static void test_a_hold_moves_back_when_the_sample_charges_nothing(void **s) {
  fixture *f = *s;
  int64_t handed, ended, lag;
  int64_t held = exit_then_lag(f, -1, &handed, &ended, &lag);
  assert_int_equal(f->t.lag_us, lag); /* nothing charged */
  if (held != handed)
    fail_msg("exit at task time %lld us, the lag since grown past it: the "
             "hold stands at %lld us, not at the %lld us handed out",
             (long long)ended, (long long)held, (long long)handed);
}

/* A quick sample charges a running process's CPU beyond its scaled
 * duration at once, from its CPU clock, without a walk of /proc; the
 * next full sample does not charge it again; nothing while the clock is
 * held (the full sample moves a hold). */
static void test_a_quick_sample_charges_cpu_at_once(void **s) {
  fixture *f = *s;
  scn_runner *r = &f->r;
  scn_run_task *t = &f->t;
  const char *const argv[] = {"/bin/sh", "-c", "while :; do :; done", NULL};
  scn_spawn_opts o = {.argv = argv};
  ecsb_err err = {0};
  assert_int_equal(scn_proc_spawn(&o, &f->c.proc, &err), 0);
  scn_run_lag_update(r, t, SCN_RUN_NEVER); /* a full sample: the baseline */
  int64_t cpu0 = t->lag_cpu_us, lag0 = t->lag_us;
  int64_t seen0 = f->c.lag_seen.cpu_us;
  /* bounded: 20 s of wall time at most, however busy the machine */
  int64_t w0 = ecsb_mono_host_us();
  while (scn_proc_cpu_us(f->c.proc) - seen0 < 20000 &&
         ecsb_mono_host_us() - w0 < 20000000)
    usleep(2000);
  assert_true(scn_run_lag_quick(r, t));
  int64_t q = t->lag_cpu_us - cpu0;
  assert_true(q >= 19000); /* 99 % of 20 ms or more */
  assert_int_equal(t->lag_us - lag0, q);
  scn_run_lag_update(r, t, SCN_RUN_NEVER);
  int64_t all = scn_proc_cpu_us(f->c.proc) - seen0;
  if (t->lag_cpu_us - cpu0 > all)
    fail_msg("%lld us of CPU charged for %lld us the process ran",
             (long long)(t->lag_cpu_us - cpu0), (long long)all);
  /* held: left to the full sample */
  ecsb_taskclock_hold(t->clock, scn_run_task_now(r, t) + r->t0_mono);
  int64_t lag1 = t->lag_us;
  usleep(20000);
  assert_false(scn_run_lag_quick(r, t));
  assert_int_equal(t->lag_us, lag1);
  ecsb_taskclock_release(t->clock);
  scn_proc_free(f->c.proc);
  f->c.proc = NULL;
}

/* The fixture's task as task 0 of a run in block 42, for
 * scn_run_lag_served. */
static void serve_as_task0(fixture *f) {
  f->r.nb.block = 42;
  f->r.tasks = &f->t;
  f->r.n_tasks = 1;
  atomic_store(&f->r.n_served_tasks, 1);
}

/* The exit watcher holds the clock at the exit's task time with the lag
 * as it stood; the first sample after it charges what came before the
 * exit (here 8 ms of a fake's CPU answering the task) and moves the hold
 * back by as much (never before task time already handed out), so task
 * time does not run on from a stale hold while the loop starts the next
 * containers. */
static void test_a_charge_after_an_exit_moves_its_hold_back(void **state) {
  fixture *f = *state;
  scn_runner *r = &f->r;
  scn_run_task *t = &f->t;
  serve_as_task0(f);
  usleep(20000);
  int64_t handed = scn_run_task_now(r, t);
  usleep(20000); /* the process works, answered by a fake */
  scn_run_lag_served(r, "127.42.1.1", 8000);
  scn_run_lag_ended(&f->c.proc_end, ecsb_mono_us());
  int64_t ended = scn_run_lag_ended_tt(t);
  assert_int_equal(ecsb_taskclock_held_at(t->clock) - r->t0_mono, ended);
  scn_run_lag_update(r, t, SCN_RUN_NEVER); /* the loop comes to it */
  int64_t held = ecsb_taskclock_held_at(t->clock) - r->t0_mono;
  if (held > ended - 8000 || held < handed)
    fail_msg("exit at task time %lld us, 8 ms charged after it: the hold "
             "stands at %lld us (task time %lld us was handed out before)",
             (long long)ended, (long long)held, (long long)handed);
  assert_int_equal(proc_tt(f), held);
  /* the runner's view stands there too, or before it by what it charged
   * for the time since the exit (its own waits) */
  assert_true(scn_run_task_now(r, t) <= held);
  /* later charges of the same hold (the loop's delay, other processes)
   * do not move it again */
  scn_run_lag_served(r, "127.42.1.1", 60000);
  scn_run_lag_update(r, t, SCN_RUN_NEVER);
  assert_int_equal(ecsb_taskclock_held_at(t->clock) - r->t0_mono, held);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_acting_on_an_exit_takes_no_task_time,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_a_task_not_sampled_in_time_stands,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_a_sweep_says_the_log_grew, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_release_waits_for_every_exit, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(
          test_a_process_blocked_on_its_disk_is_charged, setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_a_charge_that_raced_an_exit_moves_its_hold_back, setup,
          teardown),
      cmocka_unit_test_setup_teardown(
          test_a_hold_moves_back_when_the_sample_charges_nothing, setup,
          teardown),
      cmocka_unit_test_setup_teardown(test_a_quick_sample_charges_cpu_at_once,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_an_exit_reaped_first_holds_the_clock,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_the_fakes_answers_are_charged_to_the_caller, setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_a_charge_after_an_exit_moves_its_hold_back, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
