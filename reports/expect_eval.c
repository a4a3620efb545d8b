/*
 * expect_eval.c - judges parsed expectations (expect_impl.h) against an
 * event log and the model computed from it, per application task, then
 * folds the per-task outcomes into one verdict per expectation. On a
 * partial log an outcome that later events could still change stays
 * undecided, which is what rpt_expect_decided reports to the runner.
 *
 * "Before" is log order within a task: the writer appends under one lock,
 * so log order is the order the runner observed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expect_impl.h"
#include "rpt/milestones.h"
#include "rpt/strbuf.h"
#include "ecsb/strmap.h"

#define MAX_REFS 20
#define MAX_TASK_MSGS 3

static void outcome_reset(outcome *o) {
  ecsb_buf_free(&o->msg);
  for (size_t i = 0; i < o->n_refs; i++)
    free(o->notes[i]);
  memset(o, 0, sizeof *o);
  o->at = RPT_ABSENT;
}

void rpt_x_add_ref(outcome *o, size_t ev, const char *note) {
  if (ev == RPT_X_NONE || o->n_refs >= MAX_TASK_REFS)
    return;
  for (size_t i = 0; i < o->n_refs; i++)
    if (o->refs[i] == ev)
      return;
  o->refs[o->n_refs] = ev;
  o->notes[o->n_refs] = note ? strdup(note) : NULL;
  o->n_refs++;
}

void rpt_x_describe(const ectx *c, size_t ev, ecsb_buf *b) {
  const rpt_event *e = RPT_X_EVENT(c, ev);
  char t[32];
  ecsb_buf_printf(b, "%s", e->kind);
  if (e->task)
    ecsb_buf_printf(b, " %s%s%s", e->task, e->container ? "/" : "",
                    e->container ? e->container : "");
  int64_t code;
  const char *s;
  if (strcmp(e->kind, "container.exited") == 0 &&
      rpt_event_int(e, "exit_code", &code))
    ecsb_buf_printf(b, " (exit %lld)", (long long)code);
  else if (strcmp(e->kind, "container.killed") == 0 &&
           (s = rpt_event_str(e, "signal")))
    ecsb_buf_printf(b, " (%s)", s);
  else if (strcmp(e->kind, "task.status") == 0 &&
           (s = rpt_event_str(e, "status")))
    ecsb_buf_printf(b, " %s", s);
  else if (strcmp(e->kind, "consul.check") == 0 &&
           (s = rpt_event_str(e, "check_id")))
    ecsb_buf_printf(b, " %s=%s", s,
                    rpt_event_str(e, "status") ? rpt_event_str(e, "status")
                                               : "?");
  ecsb_buf_printf(b, " @%s", rpt_fmt_us(e->t_us, t, sizeof t));
}

static const rpt_container *ev_container(const ectx *c, size_t ti,
                                         const rpt_event *e) {
  return e->container ? rpt_task_container(&c->run->tasks[ti], e->container)
                      : NULL;
}

bool rpt_x_role_is(const rpt_container *ct, const char *role) {
  return ct && ct->role && strcmp(ct->role, role) == 0;
}

static bool match(const ectx *c, size_t ti, const rpt_pattern *p, size_t ev) {
  const rpt_event *e = RPT_X_EVENT(c, ev);
  switch (p->type) {
  case PAT_MILESTONE:
    return c->ms_event[ti * RPT_MS_COUNT + (size_t)p->milestone] == ev;
  case PAT_TASK_STATUS: {
    const char *st = rpt_event_str(e, "status");
    return strcmp(e->kind, "task.status") == 0 && st &&
           strcmp(st, p->status) == 0;
  }
  case PAT_CONTAINER:
    break;
  }
  if (strncmp(e->kind, "container.", 10) != 0 || !e->container ||
      strcmp(e->kind + 10, rpt_pat_event_name(p->ev)) != 0)
    return false;
  if (p->sel == SEL_NAME && strcmp(e->container, p->name) != 0)
    return false;
  if (p->sel == SEL_ROLE && !rpt_x_role_is(ev_container(c, ti, e), p->name))
    return false;
  if (p->has_code) {
    int64_t code;
    if (!rpt_event_int(e, "exit_code", &code))
      return false;
    if (p->code_not ? code == p->code : code != p->code)
      return false;
  }
  if (p->signal) {
    const char *s = rpt_event_str(e, "signal");
    if (!s || strcmp(s, p->signal) != 0)
      return false;
  }
  return true;
}

int64_t rpt_x_task_now(const ectx *c, const rpt_task *t) {
  return t->sampled_end > 0 && t->sampled_end < c->now ? t->sampled_end
                                                       : c->now;
}

int64_t rpt_x_end_time(const ectx *c, const rpt_task *t) {
  return t->ms[RPT_S4] != RPT_ABSENT ? t->t0_at + t->ms[RPT_S4]
                                     : rpt_x_task_now(c, t);
}

bool rpt_x_task_done(const ectx *c, const rpt_task *t) {
  return c->final || t->ms[RPT_S4] != RPT_ABSENT;
}

static void eval_order(const ectx *c, const xitem *it, size_t ti, outcome *o) {
  const rpt_task *t = &c->run->tasks[ti];
  size_t fi = RPT_X_NONE, th = RPT_X_NONE, n_break = 0,
         first_break = RPT_X_NONE;
  for (size_t k = 0; k < c->n_tev[ti]; k++) {
    size_t ev = c->tev[ti][k];
    /* then is tested first: one event matching both does not precede
     * itself. */
    if (match(c, ti, &it->then, ev)) {
      if (th == RPT_X_NONE)
        th = ev;
      if (fi == RPT_X_NONE) {
        if (first_break == RPT_X_NONE)
          first_break = ev;
        if (n_break < 3) {
          if (n_break)
            ecsb_buf_puts(&o->msg, "; ");
          rpt_x_describe(c, ev, &o->msg);
        }
        n_break++;
        rpt_x_add_ref(o, ev, "no earlier match of first");
      }
    }
    if (fi == RPT_X_NONE && match(c, ti, &it->first, ev))
      fi = ev;
  }
  bool broke =
      it->every ? n_break > 0 : (th != RPT_X_NONE && th == first_break);
  if (broke) {
    o->r = RPT_FAIL;
    o->at = RPT_X_EVENT(c, first_break)->t_us;
    if (n_break > 3)
      ecsb_buf_printf(&o->msg, "; and %zu more", n_break - 3);
    if (!it->every && o->msg.len) {
      /* Only the first occurrence counts without every. */
      ecsb_buf_free(&o->msg);
      rpt_x_describe(c, th, &o->msg);
    }
    ecsb_buf_printf(&o->msg, " before any \"%s\"", it->first.text);
    if (fi != RPT_X_NONE) {
      ecsb_buf_puts(&o->msg, " (first one: ");
      rpt_x_describe(c, fi, &o->msg);
      ecsb_buf_puts(&o->msg, ")");
      rpt_x_add_ref(o, fi, "first match of first");
    }
    return;
  }
  ecsb_buf_free(&o->msg);
  if (th != RPT_X_NONE || (fi != RPT_X_NONE && !it->require_then)) {
    o->r = RPT_PASS;
    o->at = RPT_X_EVENT(c, it->require_then ? th : fi)->t_us;
  } else if (rpt_x_task_done(c, t)) {
    o->at = rpt_x_end_time(c, t);
    if (it->require_then) {
      o->r = RPT_FAIL;
      ecsb_buf_printf(&o->msg, "\"%s\" never happened in %s", it->then.text,
                      t->name);
      if (fi != RPT_X_NONE) {
        ecsb_buf_puts(&o->msg, " (\"first\" did: ");
        rpt_x_describe(c, fi, &o->msg);
        ecsb_buf_puts(&o->msg, ")");
        rpt_x_add_ref(o, fi, "first match of first");
      }
    } else {
      o->r = RPT_PASS;
    }
  } else {
    o->r = RPT_UNDECIDED;
    ecsb_buf_printf(&o->msg, "waiting for \"%s\"",
                    fi == RPT_X_NONE ? it->first.text : it->then.text);
  }
}

/* The task's last event other than a host.lag: the runner's bookkeeping
 * (its last sweep records one for every running task) says nothing of
 * where the task got to. */
static size_t last_event(const ectx *c, size_t ti) {
  for (size_t k = c->n_tev[ti]; k-- > 0;) {
    size_t i = c->tev[ti][k];
    if (strcmp(RPT_X_EVENT(c, i)->kind, "host.lag") != 0)
      return i;
  }
  return RPT_X_NONE;
}

/* The time_scale (1-2-5 steps) at which a verdict that is inside the
 * host-lag band would be decidable, assuming the host adds about the same
 * lag at any scale: the scenario-time margin must exceed twice the
 * uncertain part of the lag it would stand for. 0 when none up to 1
 * would. */
static double decidable_scale(double scale, int64_t off, int64_t lag,
                              int64_t cpu, int64_t dl) {
  double m = ((double)off - (double)lag) / scale; /* lag taken out */
  double margin = (double)dl / scale - m;
  if (margin < 0)
    margin = -margin;
  if (margin <= 0)
    return 0;
  /* twice the band */
  double want = 2.0 * 2.0 * (double)(rpt_lag_band(lag, cpu) - lag) / margin;
  static const double steps[] = {0.001, 0.002, 0.005, 0.01, 0.02,
                                 0.05,  0.1,   0.2,   0.5,  1};
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
    if (steps[i] > scale && steps[i] >= want)
      return steps[i];
  return 0;
}

static void lag_note(const ectx *c, int64_t off, int64_t lag, int64_t cpu,
                     int64_t dl, ecsb_buf *b) {
  double scale = c->run->time_scale;
  char l[32], ls[32], corr[32];
  rpt_fmt_us(lag, l, sizeof l);
  rpt_fmt_us((int64_t)((double)lag / scale), ls, sizeof ls);
  rpt_fmt_us((int64_t)((double)(off - lag) / scale), corr, sizeof corr);
  ecsb_buf_printf(b,
                  "; this host held the task back %s of wall time (%s of "
                  "scenario time at time_scale %g): %s with it taken out, "
                  "too close to call",
                  l, ls, scale, corr);
  double k = decidable_scale(scale, off, lag, cpu, dl);
  if (k > 0)
    ecsb_buf_printf(b, "; --time-scale %g would decide it", k);
  else
    ecsb_buf_puts(b, "; rerun on a quieter machine");
}

/* The run ends at its deadline in task time, but never later than twice
 * the deadline plus a minute of wall time (scenarios/runner.c); on a host
 * so busy that it held a task back most of that time the task had less
 * than the deadline's worth of task time, and what did not happen in it
 * may only not have happened yet. *had: the task time the run had for it
 * (wall us: run time less the task's lag; the deadline counts from the
 * run's start, not the task's, so a task started late is not short of
 * time in a run that ran its course). A task that stopped had all it
 * needed. */
static bool short_of_time(const ectx *c, const rpt_task *t, int64_t *had) {
  /* A log whose lag for the task runs past the run time judged (run.end's
   * tasks_end_us before the task's last host.lag): a task held back all
   * along had none, not a negative amount. */
  int64_t now = rpt_x_task_now(c, t);
  *had = now > t->lag_end ? now - t->lag_end : 0;
  return c->run->deadline_us > 0 && t->ms[RPT_S4] == RPT_ABSENT &&
         (double)*had < (double)c->run->deadline_us * c->run->time_scale;
}

static void short_note(const ectx *c, const rpt_task *t, int64_t had,
                       ecsb_buf *b) {
  double scale = c->run->time_scale;
  char l[32], w[32], h[32], hs[32], d[32];
  int64_t now = rpt_x_task_now(c, t);
  rpt_fmt_us(t->lag_end, l, sizeof l);
  rpt_fmt_us(now, w, sizeof w);
  rpt_fmt_us(had, h, sizeof h);
  rpt_fmt_us((int64_t)((double)had / scale), hs, sizeof hs);
  rpt_fmt_us(c->run->deadline_us, d, sizeof d);
  ecsb_buf_printf(
      b,
      "; this host held the task back %s of the run's %s of "
      "wall time%s, so the run had %s of task time for it (%s "
      "of scenario time), less than its %s deadline: too short "
      "to call",
      l, w, now < c->now ? " up to the runner's last sample of its lag" : "", h,
      hs, d);
  if (c->run->fit_time_scale > scale)
    ecsb_buf_printf(b, "; --time-scale %g fits this machine",
                    c->run->fit_time_scale);
  else
    ecsb_buf_puts(b, "; rerun on a quieter machine");
}

/* A deadline in scenario time. Host lag only ever delays a milestone, so
 * one reached within the deadline passes; one that would still be late
 * with the lag band taken out fails (rpt_lag_band: the waits in the lag
 * are an estimate, the kernel may miss one or count one twice); in between
 * the run cannot tell and the verdict is INCONCLUSIVE, never a guess. */
static void eval_within(const ectx *c, const xitem *it, size_t ti, bool done,
                        outcome *o) {
  const rpt_task *t = &c->run->tasks[ti];
  const char *mn = rpt_ms_name(it->ms);
  int64_t off = t->ms[it->ms];
  size_t ev = c->ms_event[ti * RPT_MS_COUNT + (size_t)it->ms];
  double scale = c->run->time_scale;
  int64_t dl = (int64_t)((double)it->within_ns / 1000.0 * scale + 0.5);
  char a[32], b[32], d[32], sc[32];
  rpt_fmt_us(it->within_ns / 1000, d, sizeof d);
  rpt_fmt_us(dl, b, sizeof b);
  if (off != RPT_ABSENT) {
    int64_t lag = t->lag[it->ms], cpu = t->lag_cpu[it->ms];
    o->at = RPT_X_EVENT(c, ev)->t_us;
    if (off <= dl) {
      o->r = RPT_PASS;
      return;
    }
    o->r = off - rpt_lag_band(lag, cpu) > dl ? RPT_FAIL : RPT_INCONCLUSIVE;
    if (o->r == RPT_FAIL)
      o->at = t->t0_at + dl;
    rpt_fmt_us((int64_t)((double)off / scale), sc, sizeof sc);
    ecsb_buf_printf(&o->msg,
                    "%s at +%s (scenario %s) is past the %s deadline (+%s "
                    "wall): ",
                    mn, rpt_fmt_us(off, a, sizeof a), sc, d, b);
    rpt_x_describe(c, ev, &o->msg);
    if (o->r == RPT_INCONCLUSIVE)
      lag_note(c, off, lag, cpu, dl, &o->msg);
    rpt_x_add_ref(o, ev, "milestone too late");
    return;
  }
  int64_t waited = rpt_x_task_now(c, t) - t->t0_at, lag = t->lag_end,
          cpu = t->lag_cpu_end;
  bool late = waited - rpt_lag_band(lag, cpu) > dl;
  if (!late && !done) {
    o->r = RPT_UNDECIDED;
    ecsb_buf_printf(&o->msg, "waiting for %s (deadline +%s wall)", mn, b);
    return;
  }
  /* A task that stopped never reaches it, whatever the host did. */
  bool stopped = t->ms[RPT_S4] != RPT_ABSENT;
  o->r = late || stopped || waited <= dl ? RPT_FAIL : RPT_INCONCLUSIVE;
  o->at = waited > dl ? t->t0_at + dl : rpt_x_end_time(c, t);
  ecsb_buf_printf(&o->msg, "%s not reached in %s within %s (+%s wall)", mn,
                  t->name, d, b);
  size_t le = last_event(c, ti);
  if (le != RPT_X_NONE) {
    ecsb_buf_puts(&o->msg, "; last event of the task: ");
    rpt_x_describe(c, le, &o->msg);
    rpt_x_add_ref(o, le, "last event of the task");
  }
  if (o->r == RPT_INCONCLUSIVE)
    lag_note(c, waited, lag, cpu, dl, &o->msg);
}

static void eval_milestone(const ectx *c, const xitem *it, size_t ti,
                           outcome *o) {
  const rpt_task *t = &c->run->tasks[ti];
  const char *mn = rpt_ms_name(it->ms);
  int64_t off = t->ms[it->ms];
  size_t ev = c->ms_event[ti * RPT_MS_COUNT + (size_t)it->ms];
  /* Service deregistration (S1) may be seen after STOPPED; every other
   * milestone is settled once the task stopped. */
  bool done = c->final || (t->ms[RPT_S4] != RPT_ABSENT && it->ms != RPT_S1);
  if (it->mode == MS_WITHIN) {
    eval_within(c, it, ti, done, o);
    return;
  }
  if (it->mode == MS_NEVER) {
    if (off != RPT_ABSENT) {
      o->r = RPT_FAIL;
      o->at = RPT_X_EVENT(c, ev)->t_us;
      ecsb_buf_printf(&o->msg, "%s happened: ", mn);
      rpt_x_describe(c, ev, &o->msg);
      rpt_x_add_ref(o, ev, "milestone that must not happen");
    } else if (done) {
      int64_t had;
      o->r = RPT_PASS;
      o->at = rpt_x_end_time(c, t);
      if (short_of_time(c, t, &had)) {
        o->r = RPT_INCONCLUSIVE;
        ecsb_buf_printf(&o->msg, "%s did not happen in %s", mn, t->name);
        short_note(c, t, had, &o->msg);
      }
    } else {
      o->r = RPT_UNDECIDED;
      ecsb_buf_printf(&o->msg, "%s not reached so far", mn);
    }
    return;
  }
  if (off != RPT_ABSENT) {
    o->r = RPT_PASS;
    o->at = RPT_X_EVENT(c, ev)->t_us;
  } else if (done) {
    int64_t had;
    bool cut = short_of_time(c, t, &had);
    o->r = cut ? RPT_INCONCLUSIVE : RPT_FAIL;
    o->at = rpt_x_end_time(c, t);
    ecsb_buf_printf(&o->msg, "%s never reached in %s", mn, t->name);
    size_t le = last_event(c, ti);
    if (le != RPT_X_NONE) {
      ecsb_buf_puts(&o->msg, "; last event of the task: ");
      rpt_x_describe(c, le, &o->msg);
      rpt_x_add_ref(o, le, "last event of the task");
    }
    if (cut)
      short_note(c, t, had, &o->msg);
  } else {
    o->r = RPT_UNDECIDED;
    ecsb_buf_printf(&o->msg, "waiting for %s", mn);
  }
}

/* The last event of the task with this kind (prefix when it ends in .). */
static size_t last_of(const ectx *c, size_t ti, const char *kind) {
  size_t n = strlen(kind);
  for (size_t k = c->n_tev[ti]; k-- > 0;) {
    const rpt_event *e = RPT_X_EVENT(c, c->tev[ti][k]);
    if (kind[n - 1] == '.' ? strncmp(e->kind, kind, n) == 0
                           : strcmp(e->kind, kind) == 0)
      return c->tev[ti][k];
  }
  return RPT_X_NONE;
}

static int64_t count_of(const ectx *c, size_t ti, const char *kind) {
  int64_t n = 0;
  for (size_t k = 0; k < c->n_tev[ti]; k++)
    n += !strcmp(RPT_X_EVENT(c, c->tev[ti][k])->kind, kind);
  return n;
}

static void eval_final(const ectx *c, const xitem *it, size_t ti, bool settled,
                       outcome *o) {
  const rpt_task *t = &c->run->tasks[ti];
  bool ok;
  size_t ref = RPT_X_NONE;
  ecsb_buf now;
  ecsb_buf_init(&now);
  switch (it->fkind) {
  case F_TASK_STATUS:
    ok = t->status && strcmp(t->status, it->str) == 0;
    ref = last_of(c, ti, "task.status");
    ecsb_buf_printf(&now, "task status is %s, expected %s",
                    t->status ? t->status : "unknown", it->str);
    break;
  case F_STOP_CODE:
    ok = t->stop_code && strcmp(t->stop_code, it->str) == 0;
    ref = last_of(c, ti, "task.stop_requested");
    if (ref == RPT_X_NONE)
      ecsb_buf_printf(&now, "no stop was requested, expected stop_code %s",
                      it->str);
    else
      ecsb_buf_printf(&now, "stop_code is %s, expected %s",
                      t->stop_code ? t->stop_code : "(none)", it->str);
    break;
  case F_STOP_REASON:
    ok = t->stop_reason && strstr(t->stop_reason, it->str);
    ref = last_of(c, ti, "task.stop_requested");
    ecsb_buf_printf(&now, "stop reason \"%s\" does not contain \"%s\"",
                    t->stop_reason ? t->stop_reason : "", it->str);
    break;
  case F_FAILED_REQUESTS: {
    int64_t failed = count_of(c, ti, "load.failed");
    ok = (it->max_failed < 0 || failed <= it->max_failed) &&
         (it->min_failed < 0 || failed >= it->min_failed);
    ref = last_of(c, ti, "load.failed");
    if (ref == RPT_X_NONE)
      ref = last_of(c, ti, "load."); /* load.summary: what was sent */
    if (ref == RPT_X_NONE)
      ref = last_of(c, ti, "task.status");
    ecsb_buf_printf(&now, "%lld request(s) through the sidecar failed",
                    (long long)failed);
    break;
  }
  default:
    ok = t->service_passing == it->want;
    ref = last_of(c, ti, "service.");
    ecsb_buf_printf(&now, "the service instance is %s at the end",
                    t->service_passing ? "passing" : "not passing");
    break;
  }
  /* Too many failed requests cannot be undone by later events. */
  bool final_fail = false;
  if (it->fkind == F_FAILED_REQUESTS && it->max_failed >= 0)
    final_fail = count_of(c, ti, "load.failed") > it->max_failed;
  if (rpt_x_task_done(c, t) || (ok && settled) || final_fail) {
    o->r = ok ? RPT_PASS : RPT_FAIL;
    o->at = rpt_x_task_done(c, t) ? rpt_x_end_time(c, t) : c->now;
    if (!ok) {
      ecsb_buf_puts(&o->msg, now.s);
      if (ref != RPT_X_NONE) {
        ecsb_buf_puts(&o->msg, " (");
        rpt_x_describe(c, ref, &o->msg);
        ecsb_buf_puts(&o->msg, ")");
        rpt_x_add_ref(o, ref, "decides the final state");
      }
    }
  } else {
    o->r = RPT_UNDECIDED;
    ecsb_buf_printf(&o->msg, "waiting for the task to stop (status %s)",
                    t->status ? t->status : "unknown");
  }
  ecsb_buf_free(&now);
}

static void eval_item(const ectx *c, const xitem *it, size_t ti, bool settled,
                      outcome *o) {
  switch (it->kind) {
  case X_ORDER:
    eval_order(c, it, ti, o);
    break;
  case X_MILESTONE:
    eval_milestone(c, it, ti, o);
    break;
  case X_FINAL:
    eval_final(c, it, ti, settled, o);
    break;
  case X_INVARIANT:
    if (it->inv == INV_APP_AFTER_PROXY)
      rpt_x_app_after_proxy(c, ti, o);
    else
      rpt_x_t4_checks(c, ti, o);
    break;
  }
}

/* Folds per-task outcomes into one verdict. */
typedef struct agg {
  size_t n_pass, n_fail, n_undecided, n_inconclusive;
  int64_t fail_at, pass_at, undecided_at;
  ecsb_buf fail_msgs;
  ecsb_buf inconclusive_msgs;
  ecsb_buf first_undecided;
  char **failed;
  rpt_ref refs[MAX_REFS];
  size_t n_refs;
  bool oom;
} agg;

static char *dup0(const char *s) {
  return s ? strdup(s) : NULL;
}

static void agg_add(agg *g, const ectx *c, const rpt_task *t, outcome *o) {
  if (o->r == RPT_PASS) {
    g->n_pass++;
    if (g->pass_at == RPT_ABSENT || o->at > g->pass_at)
      g->pass_at = o->at;
    return;
  }
  if (o->r == RPT_UNDECIDED) {
    if (g->n_undecided++ == 0) {
      ecsb_buf_printf(&g->first_undecided, "%s: %s", t->name,
                      o->msg.s ? o->msg.s : "");
    }
    return;
  }
  if (o->r == RPT_INCONCLUSIVE) {
    if (g->n_inconclusive < MAX_TASK_MSGS) {
      if (g->n_inconclusive)
        ecsb_buf_puts(&g->inconclusive_msgs, "; ");
      ecsb_buf_printf(&g->inconclusive_msgs, "%s: %s", t->name,
                      o->msg.s ? o->msg.s : "");
    }
    g->n_inconclusive++;
    if (g->pass_at == RPT_ABSENT || o->at > g->pass_at)
      g->pass_at = o->at;
    return;
  }
  if (g->fail_at == RPT_ABSENT || o->at < g->fail_at)
    g->fail_at = o->at;
  char **nf = realloc(g->failed, (g->n_fail + 1) * sizeof *nf);
  if (!nf || !(nf[g->n_fail] = strdup(t->name))) {
    if (nf)
      g->failed = nf;
    g->oom = true;
    return;
  }
  g->failed = nf;
  if (g->n_fail < MAX_TASK_MSGS) {
    if (g->n_fail)
      ecsb_buf_puts(&g->fail_msgs, "; ");
    ecsb_buf_printf(&g->fail_msgs, "%s: %s", t->name, o->msg.s ? o->msg.s : "");
  }
  g->n_fail++;
  for (size_t i = 0; i < o->n_refs && g->n_refs < MAX_REFS; i++) {
    const rpt_event *e = RPT_X_EVENT(c, o->refs[i]);
    rpt_ref *r = &g->refs[g->n_refs++];
    r->at = e->t_us;
    r->kind = dup0(e->kind);
    r->task = dup0(e->task);
    r->container = dup0(e->container);
    r->note = dup0(o->notes[i]);
    if (!r->kind || (e->task && !r->task) || (e->container && !r->container) ||
        (o->notes[i] && !r->note))
      g->oom = true;
  }
}

static int agg_finish(agg *g, const ectx *c, const xitem *it, size_t n_tasks,
                      size_t missing, rpt_verdict *v, ecsb_err *err) {
  memset(v, 0, sizeof *v);
  v->decided_at = RPT_ABSENT;
  v->name = dup0(it->name);
  v->path = dup0(it->path);
  v->kind = dup0(it->kind == X_ORDER       ? "order"
                 : it->kind == X_MILESTONE ? "milestone"
                 : it->kind == X_FINAL     ? "final"
                                           : "invariant");
  ecsb_buf m;
  ecsb_buf_init(&m);
  if (g->n_fail) {
    v->result = RPT_FAIL;
    v->decided_at = g->fail_at;
    if (n_tasks > 1)
      ecsb_buf_printf(&m, "failed in %zu of %zu tasks. ", g->n_fail, n_tasks);
    ecsb_buf_puts(&m, g->fail_msgs.s);
    if (g->n_fail > MAX_TASK_MSGS)
      ecsb_buf_printf(&m, "; and %zu more tasks", g->n_fail - MAX_TASK_MSGS);
  } else if (n_tasks == 0 && c->final) {
    v->result = RPT_FAIL;
    v->decided_at = c->now;
    ecsb_buf_puts(&m, "no application task in the log");
  } else if (g->n_undecided || missing || n_tasks == 0) {
    v->result = RPT_UNDECIDED;
    if (g->n_undecided)
      ecsb_buf_printf(&m, "undecided in %zu of %zu tasks; %s", g->n_undecided,
                      n_tasks + missing, g->first_undecided.s);
    else
      ecsb_buf_printf(&m, "waiting for %zu more task(s) to start", missing);
  } else if (g->n_inconclusive) {
    v->result = RPT_INCONCLUSIVE;
    v->decided_at = g->pass_at;
    if (n_tasks > 1)
      ecsb_buf_printf(&m, "inconclusive in %zu of %zu tasks. ",
                      g->n_inconclusive, n_tasks);
    ecsb_buf_puts(&m, g->inconclusive_msgs.s);
    if (g->n_inconclusive > MAX_TASK_MSGS)
      ecsb_buf_printf(&m, "; and %zu more tasks",
                      g->n_inconclusive - MAX_TASK_MSGS);
  } else {
    v->result = RPT_PASS;
    v->decided_at = g->pass_at;
  }
  v->failed_tasks = g->failed;
  v->n_failed_tasks = g->failed ? g->n_fail : 0;
  g->failed = NULL;
  if (g->n_refs) {
    v->refs = calloc(g->n_refs, sizeof *v->refs);
    if (v->refs) {
      memcpy(v->refs, g->refs, g->n_refs * sizeof *v->refs);
      v->n_refs = g->n_refs;
      g->n_refs = 0;
    } else {
      g->oom = true;
    }
  }
  if (v->result != RPT_PASS)
    v->message = ecsb_buf_take(&m);
  ecsb_buf_free(&m);
  if (g->oom || !v->name || !v->path || !v->kind ||
      (v->result != RPT_PASS && !v->message))
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory judging %s", it->path);
  return 0;
}

static void agg_clear(agg *g) {
  ecsb_buf_free(&g->fail_msgs);
  ecsb_buf_free(&g->inconclusive_msgs);
  ecsb_buf_free(&g->first_undecided);
  if (g->failed) {
    for (size_t i = 0; i < g->n_fail; i++)
      free(g->failed[i]);
    free(g->failed);
  }
  for (size_t i = 0; i < g->n_refs; i++) {
    free(g->refs[i].kind);
    free(g->refs[i].task);
    free(g->refs[i].container);
    free(g->refs[i].note);
  }
  memset(g, 0, sizeof *g);
}

void rpt_verdicts_free(rpt_verdict *v, size_t n) {
  for (size_t i = 0; v && i < n; i++)
    rpt_verdict_clear(&v[i]);
  free(v);
}

static int index_events(ectx *c, ecsb_err *err) {
  const rpt_run *r = c->run;
  ecsb_strmap *m = ecsb_strmap_new();
  c->tev = calloc(r->n_tasks + 1, sizeof *c->tev);
  c->n_tev = calloc(r->n_tasks + 1, sizeof *c->n_tev);
  size_t *cap = calloc(r->n_tasks + 1, sizeof *cap);
  int rc = 0;
  if (!m || !c->tev || !c->n_tev || !cap)
    goto nomem;
  for (size_t i = 0; i < r->n_tasks; i++)
    if (ecsb_strmap_put(m, r->tasks[i].name, i))
      goto nomem;
  for (size_t i = 0; i < c->log->n; i++) {
    size_t ti;
    const char *task = c->log->events[i].task;
    if (!task || !ecsb_strmap_get(m, task, &ti))
      continue;
    if (c->n_tev[ti] == cap[ti]) {
      size_t nc = cap[ti] ? cap[ti] * 2 : 32;
      size_t *ne = realloc(c->tev[ti], nc * sizeof *ne);
      if (!ne)
        goto nomem;
      c->tev[ti] = ne;
      cap[ti] = nc;
    }
    c->tev[ti][c->n_tev[ti]++] = i;
  }
  goto out;
nomem:
  rc = ecsb_err_set(err, ECSB_ENOMEM, "out of memory judging expectations");
out:
  free(cap);
  ecsb_strmap_free(m);
  return rc;
}

int rpt_expect_eval_run(const rpt_expect *x, const rpt_log *log,
                        const rpt_run *run, const size_t *ms_event,
                        const rpt_eval_opts *opts, rpt_verdict **out,
                        size_t *n_out, ecsb_err *err) {
  *out = NULL;
  *n_out = 0;
  ectx c = {.log = log, .run = run, .ms_event = ms_event};
  c.final = (opts && opts->final) || log->complete;
  c.now = opts && opts->now_us > 0 ? opts->now_us : run->tasks_end_at;
  size_t expected = opts ? opts->expected_tasks : 0;
  size_t n_items = rpt_expect_count(x);
  rpt_verdict *v = calloc(n_items + 1, sizeof *v);
  bool *unsettled = calloc(run->n_tasks + 1, sizeof *unsettled);
  int rc = 0;
  if (!v || !unsettled) {
    rc = ecsb_err_set(err, ECSB_ENOMEM, "out of memory judging expectations");
    goto fail;
  }
  if ((rc = index_events(&c, err)))
    goto fail;
  size_t missing =
      expected > run->n_app_tasks && !c.final ? expected - run->n_app_tasks : 0;
  /* Final-state expectations last: they may settle early only when the
   * task's other expectations are all decided. */
  for (int phase = 0; phase < 2; phase++) {
    for (size_t i = 0; i < n_items; i++) {
      const xitem *it = &x->items[i];
      if ((it->kind == X_FINAL) != (phase == 1))
        continue;
      agg g = {.fail_at = RPT_ABSENT, .pass_at = RPT_ABSENT};
      outcome o;
      memset(&o, 0, sizeof o);
      for (size_t ti = 0; ti < run->n_tasks; ti++) {
        if (run->tasks[ti].server)
          continue;
        outcome_reset(&o);
        eval_item(&c, it, ti, !unsettled[ti] && !missing, &o);
        if (o.r == RPT_UNDECIDED && phase == 0)
          unsettled[ti] = true;
        agg_add(&g, &c, &run->tasks[ti], &o);
      }
      outcome_reset(&o);
      rc = agg_finish(&g, &c, it, run->n_app_tasks, missing, &v[i], err);
      agg_clear(&g);
      if (rc)
        goto fail;
    }
  }
  *out = v;
  *n_out = n_items;
  v = NULL;
fail:
  rpt_verdicts_free(v, n_items);
  for (size_t i = 0; c.tev && i < run->n_tasks; i++)
    free(c.tev[i]);
  free(c.tev);
  free(c.n_tev);
  free(unsettled);
  return rc;
}

int rpt_expect_eval(const rpt_expect *x, const rpt_log *log,
                    const rpt_eval_opts *opts, rpt_verdict **out, size_t *n_out,
                    ecsb_err *err) {
  rpt_run *run = NULL;
  size_t *ms_event = NULL;
  *out = NULL;
  *n_out = 0;
  int rc = rpt_milestones_compute_idx(log, NULL, &run, &ms_event, err);
  if (!rc)
    rc = rpt_expect_eval_run(x, log, run, ms_event, opts, out, n_out, err);
  free(ms_event);
  rpt_run_free(run);
  return rc;
}

int rpt_expect_decided(const rpt_expect *x, const rpt_log *log,
                       const rpt_eval_opts *opts, bool *decided, bool *failed,
                       ecsb_err *err) {
  rpt_verdict *v = NULL;
  size_t n = 0;
  *decided = false;
  if (failed)
    *failed = false;
  int rc = rpt_expect_eval(x, log, opts, &v, &n, err);
  if (rc)
    return rc;
  *decided = true;
  for (size_t i = 0; i < n; i++) {
    if (v[i].result == RPT_UNDECIDED)
      *decided = false;
    if (v[i].result == RPT_FAIL && failed)
      *failed = true;
  }
  rpt_verdicts_free(v, n);
  return 0;
}
