/* test_fecs_engine_dag.c - ordering holds for randomly generated task
 * definitions (seeded, so a failure names a seed that replays exactly).
 *
 * Each seed draws a valid dependsOn DAG (every condition, essential and
 * non-essential containers, health checks, startTimeouts, stopTimeouts) and
 * a simulated world (start delays and spawn failures, exits with any code,
 * passing and failing checks, containers that ignore SIGTERM), drives the
 * engine on the virtual clock until the task is STOPPED, and checks on every
 * action: no container is started before all its dependencies' conditions
 * hold, SIGTERM only after all its dependents stopped, SIGKILL exactly
 * stopTimeout after SIGTERM, no check on a container that is not running;
 * and at the end that every container stopped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ecsb/clock.h"
#include "fecs_engine_testutil.h"

#define SEEDS 400
#define MAXC 10
#define MAXW 256
#define STOP_AT S(1000)

typedef enum wkind { W_STARTED, W_START_FAILED, W_EXIT, W_CHECK } wkind;

typedef struct wev {
  int64_t t;
  wkind kind;
  int c;
  int value; /* exit code, or check ok */
  bool live;
} wev;

typedef struct world {
  ecsb_rng rng;
  fecs_engine *e;
  const fecs_task_spec *spec;
  wev q[MAXW];
  /* per container */
  bool dead[MAXC];
  int starts[MAXC], terms[MAXC], kills[MAXC];
  bool checking[MAXC];
  double p_ok[MAXC];
  /* coverage across seeds */
  int *seen;
} world;

enum {
  SEEN_RUNNING,
  SEEN_ESSENTIAL,
  SEEN_FAILED_TO_START,
  SEEN_USER,
  SEEN_SIGKILL,
  SEEN_UNHEALTHY,
  SEEN_NOT_STARTED_143,
  SEEN_N
};

static int64_t draw_s(world *w, int lo, int hi) {
  return S(lo) + (int64_t)ecsb_rng_below(&w->rng, (uint64_t)S(hi - lo) + 1);
}

static void schedule(world *w, int64_t t, wkind k, int c, int value) {
  for (int i = 0; i < MAXW; i++)
    if (!w->q[i].live) {
      w->q[i] = (wev){t, k, c, value, true};
      return;
    }
  fail_msg("world queue full");
}

/* Earliest live world event (ties: lowest slot), or -1. */
static int next_wev(const world *w) {
  int best = -1;
  for (int i = 0; i < MAXW; i++)
    if (w->q[i].live && (best < 0 || w->q[i].t < w->q[best].t))
      best = i;
  return best;
}

static bool dep_holds(const fecs_engine *e, const fecs_dependency *d) {
  fecs_container_info t;
  ecsb_err err = {0};
  tu_ok(fecs_engine_container_info(
            e, (size_t)fecs_engine_container_find(e, d->container), &t, &err),
        &err);
  switch (d->condition) {
  case FECS_DEP_START:
    return t.started_us != FECS_NEVER;
  case FECS_DEP_COMPLETE:
    return t.state == FECS_C_STOPPED;
  case FECS_DEP_SUCCESS:
    return t.state == FECS_C_STOPPED && t.exit_code == 0;
  case FECS_DEP_HEALTHY:
    return t.health == FECS_HEALTH_HEALTHY;
  case FECS_DEP_CREATE:
    return t.state != FECS_C_PENDING;
  }
  return false;
}

static void on_action(world *w, const fecs_action *a, int64_t now) {
  const fecs_engine *e = w->e;
  int c = (int)a->container;
  const fecs_container_spec *cs = &w->spec->containers[c];
  fecs_container_info ci;
  ecsb_err err = {0};
  tu_ok(fecs_engine_container_info(e, a->container, &ci, &err), &err);
  switch (a->kind) {
  case FECS_ACT_START:
    assert_int_equal(++w->starts[c], 1);
    assert_false(tu_task(e).stop_requested);
    for (size_t k = 0; k < cs->n_depends_on; k++)
      if (!dep_holds(e, &cs->depends_on[k]))
        fail_msg("%s started before %s %s held", cs->name,
                 cs->depends_on[k].container,
                 fecs_dep_condition_name(cs->depends_on[k].condition));
    if (ecsb_rng_below(&w->rng, 20) == 0)
      schedule(w, now + draw_s(w, 0, 2), W_START_FAILED, c, 0);
    else
      schedule(w, now + draw_s(w, 0, 5), W_STARTED, c, 0);
    break;
  case FECS_ACT_RUN_HEALTH_CHECK:
    assert_int_equal(ci.state, FECS_C_RUNNING);
    assert_non_null(cs->health.command);
    assert_false(w->checking[c]);
    w->checking[c] = true;
    schedule(
        w, now + (int64_t)ecsb_rng_below(&w->rng, (uint64_t)a->timeout_us + 1),
        W_CHECK, c, ecsb_rng_unit(&w->rng) < w->p_ok[c]);
    break;
  case FECS_ACT_SIGTERM:
    assert_int_equal(++w->terms[c], 1);
    assert_true(tu_task(e).stop_requested);
    for (size_t j = 0; j < w->spec->n_containers; j++)
      for (size_t k = 0; k < w->spec->containers[j].n_depends_on; k++)
        if (strcmp(w->spec->containers[j].depends_on[k].container, cs->name) ==
            0) {
          fecs_container_info d;
          tu_ok(fecs_engine_container_info(e, j, &d, &err), &err);
          if (d.state != FECS_C_STOPPED && d.state != FECS_C_NOT_STARTED)
            fail_msg("%s got SIGTERM while %s, which depends on it, runs",
                     cs->name, d.name);
        }
    w->checking[c] = false; /* its result will be ignored */
    /* Most exit on SIGTERM, some slower than stopTimeout, some never. */
    if (ecsb_rng_below(&w->rng, 4) != 0)
      schedule(w, now + draw_s(w, 0, 150), W_EXIT, c, 143);
    break;
  case FECS_ACT_SIGKILL:
    assert_int_equal(++w->kills[c], 1);
    assert_int_equal(ci.sigterm_us + cs->stop_timeout_ms * 1000, now);
    w->seen[SEEN_SIGKILL]++;
    schedule(w, now + draw_s(w, 0, 1), W_EXIT, c, 137);
    break;
  }
}

static void on_event(world *w, const fecs_event *ev, int64_t now,
                     fecs_task_status *last, bool user_call,
                     int exited_essential) {
  assert_int_equal(ev->t_us, now);
  if (ev->kind == FECS_EV_TASK_STATUS) {
    assert_true(ev->status > *last); /* the lifecycle only moves forward */
    *last = ev->status;
    w->seen[SEEN_RUNNING] += ev->status == FECS_TASK_RUNNING;
  } else if (ev->kind == FECS_EV_TASK_STOP_REQUESTED) {
    /* The stop code matches what caused it. */
    const char *want = user_call          ? "UserInitiated"
                       : exited_essential ? "EssentialContainerExited"
                                          : "TaskFailedToStart";
    assert_string_equal(ev->stop_code, want);
    w->seen[user_call          ? SEEN_USER
            : exited_essential ? SEEN_ESSENTIAL
                               : SEEN_FAILED_TO_START]++;
  } else if (ev->kind == FECS_EV_CONTAINER_UNHEALTHY) {
    w->seen[SEEN_UNHEALTHY]++;
  } else if (ev->kind == FECS_EV_CONTAINER_NOT_STARTED && ev->has_exit_code) {
    assert_int_equal(ev->exit_code, 143);
    assert_non_null(ev->reason);
    w->seen[SEEN_NOT_STARTED_143]++;
  }
}

/* Draws a valid spec: dependencies only on earlier containers (a DAG),
 * with conditions ECS accepts for the target. */
static void draw_spec(world *w, fecs_container_spec *cs, fecs_dependency *deps,
                      char names[][8], size_t *n) {
  static const char *const check[] = {"CMD", "probe"};
  *n = 2 + (size_t)ecsb_rng_below(&w->rng, MAXC - 1);
  bool any_essential = false;
  for (size_t i = 0; i < *n; i++) {
    snprintf(names[i], 8, "c%d", (int)(i % MAXC));
    cs[i] = (fecs_container_spec){.name = names[i]};
    cs[i].essential = ecsb_rng_below(&w->rng, 3) == 0;
    any_essential |= cs[i].essential;
    if (ecsb_rng_below(&w->rng, 2)) {
      cs[i].health = (fecs_health_spec){
          .command = check,
          .n_command = 2,
          .interval_ms = draw_s(w, 5, 60) / 1000,
          .timeout_ms = draw_s(w, 2, 10) / 1000,
          .retries = 1 + (int)ecsb_rng_below(&w->rng, 4),
          .start_period_ms =
              ecsb_rng_below(&w->rng, 2) ? draw_s(w, 0, 60) / 1000 : 0};
    }
    if (ecsb_rng_below(&w->rng, 3) == 0)
      cs[i].start_timeout_ms = draw_s(w, 2, 120) / 1000;
    cs[i].stop_timeout_ms = draw_s(w, 2, 120) / 1000;
    w->p_ok[i] = ecsb_rng_unit(&w->rng);
    cs[i].depends_on = &deps[i * MAXC];
    for (size_t j = 0; j < i; j++) {
      if (ecsb_rng_below(&w->rng, 3) != 0)
        continue;
      fecs_dep_condition ok[4];
      int m = 0;
      ok[m++] = FECS_DEP_START;
      if (!cs[j].essential)
        ok[m++] = FECS_DEP_COMPLETE, ok[m++] = FECS_DEP_SUCCESS;
      if (cs[j].health.command)
        ok[m++] = FECS_DEP_HEALTHY;
      deps[i * MAXC + cs[i].n_depends_on++] =
          (fecs_dependency){names[j], ok[ecsb_rng_below(&w->rng, (uint64_t)m)]};
    }
  }
  if (!any_essential)
    cs[*n - 1].essential = true; /* never a dependency target */
}

static void run_seed(uint64_t seed, int *seen) {
  world w = {.seen = seen};
  ecsb_rng_seed(&w.rng, seed);
  fecs_container_spec cs[MAXC];
  fecs_dependency deps[MAXC * MAXC];
  char names[MAXC][8];
  size_t n;
  draw_spec(&w, cs, deps, names, &n);
  fecs_task_spec spec = {cs, n};
  w.spec = &spec;
  fecs_engine *e = tu_engine(&spec, NULL);
  w.e = e;
  ecsb_err err = {0};
  fecs_task_status last = FECS_TASK_NONE;
  bool stop_sent = false;
  int64_t now = 0;
  int rounds = 0;
  for (;; rounds++) {
    assert_true(rounds < 100000);
    bool user_call = false;
    int exited_essential = 0;
    if (rounds == 0) {
      tu_ok(fecs_engine_start(e, 0, &err), &err);
    } else {
      int wi = next_wev(&w);
      int64_t tw = wi >= 0 ? w.q[wi].t : FECS_NO_DEADLINE;
      int64_t te = fecs_engine_next_deadline(e);
      int64_t ts = stop_sent ? FECS_NO_DEADLINE : STOP_AT;
      int64_t t = tw < te ? tw : te;
      t = t < ts ? t : ts;
      if (t == FECS_NO_DEADLINE)
        break;
      assert_true(t >= now);
      now = t;
      if (t == tw) {
        wev ev = w.q[wi];
        w.q[wi].live = false;
        int c = ev.c;
        const char *name = cs[c].name;
        switch (ev.kind) {
        case W_STARTED:
          tu_started(e, name, now);
          if (ecsb_rng_below(&w.rng, 2))
            schedule(&w, now + draw_s(&w, 1, 400), W_EXIT, c,
                     ecsb_rng_below(&w.rng, 3)
                         ? 0
                         : 1 + (int)ecsb_rng_below(&w.rng, 254));
          break;
        case W_START_FAILED:
          w.dead[c] = true;
          tu_ok(fecs_engine_container_start_failed(e, name, "spawn failed", now,
                                                   &err),
                &err);
          break;
        case W_EXIT:
          if (w.dead[c])
            break; /* a second exit for the same process */
          w.dead[c] = true;
          exited_essential = cs[c].essential;
          tu_exited(e, name, ev.value, now);
          break;
        case W_CHECK:
          w.checking[c] = false;
          tu_ok(fecs_engine_health_result(e, name, ev.value, now, &err), &err);
          break;
        }
      } else if (t == te) {
        tu_tick(e, now);
      } else {
        stop_sent = user_call = true;
        tu_ok(fecs_engine_stop_task(e, NULL, now, &err), &err);
      }
    }
    fecs_action a;
    while (fecs_engine_next_action(e, &a)) {
      assert_int_equal(a.t_us, now);
      on_action(&w, &a, now);
    }
    fecs_event ev;
    while (fecs_engine_next_event(e, &ev))
      on_event(&w, &ev, now, &last, user_call, exited_essential);
  }
  /* Nothing left to happen: the stop at STOP_AT has run its course. */
  fecs_task_info ti = tu_task(e);
  if (ti.status != FECS_TASK_STOPPED)
    fail_msg("seed %llu: task ended %s", (unsigned long long)seed,
             fecs_task_status_name(ti.status));
  for (size_t i = 0; i < n; i++) {
    fecs_container_info ci;
    tu_ok(fecs_engine_container_info(e, i, &ci, &err), &err);
    assert_true(ci.state == FECS_C_STOPPED || ci.state == FECS_C_NOT_STARTED);
    if (ci.state == FECS_C_STOPPED)
      assert_true(ci.exited_us >= ci.started_us && ci.started_us >= 0);
    else
      assert_int_equal(ci.started_us, FECS_NEVER);
  }
  fecs_engine_free(e);
}

static void test_ordering_holds_for_random_dags(void **state) {
  (void)state;
  int seen[SEEN_N] = {0};
  for (uint64_t seed = 1; seed <= SEEDS; seed++)
    run_seed(seed, seen);
  /* The draws reach every path the invariants guard. */
  static const char *const what[SEEN_N] = {
      "task RUNNING",      "EssentialContainerExited",
      "TaskFailedToStart", "UserInitiated",
      "SIGKILL",           "UNHEALTHY",
      "not started (143)"};
  for (int k = 0; k < SEEN_N; k++) {
    print_message("%s: %d\n", what[k], seen[k]);
    assert_true(seen[k] > 0);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ordering_holds_for_random_dags),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
