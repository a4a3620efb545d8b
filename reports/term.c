/*
 * term.c - the terminal report and the progress line (term.h). Text only:
 * the caller decides where it goes and whether it is coloured. Column
 * widths count UTF-8 code points so names with accents still line up.
 */
#include "rpt/term.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define C_RESET "\033[0m"
#define C_BOLD "\033[1m"
#define C_RED "\033[31m"
#define C_GREEN "\033[32m"
#define C_YELLOW "\033[33m"
#define C_DIM "\033[2m"

typedef struct tw {
  ecsb_buf *b;
  bool color;
} tw;

static void col(tw *w, const char *code) {
  if (w->color)
    ecsb_buf_puts(w->b, code);
}

static void heading(tw *w, const char *text) {
  ecsb_buf_putc(w->b, '\n');
  col(w, C_BOLD);
  ecsb_buf_puts(w->b, text);
  col(w, C_RESET);
  ecsb_buf_putc(w->b, '\n');
}

/* Left-aligned cell of width w (at least one space after). */
static void cell(tw *w, const char *s, size_t width) {
  ecsb_buf_puts(w->b, s);
  size_t n = rpt_text_width(s);
  rpt_buf_pad(w->b, n < width ? width - n : 1);
}

/* Right-aligned cell after a one-space gap (no trailing blanks). */
static void rcell(tw *w, const char *s, size_t width) {
  size_t n = rpt_text_width(s);
  rpt_buf_pad(w->b, n < width ? width - n + 1 : 1);
  ecsb_buf_puts(w->b, s);
}

static const char *const ms_what[RPT_MS_COUNT] = {
    "task created",
    "discover-servers exited 0",
    "mesh-init exited 0",
    "sidecar-proxy HEALTHY",
    "service instance passing in Consul",
    "stop requested",
    "service instance left the passing set",
    "last application container ended",
    "sidecar-proxy ended",
    "task STOPPED"};

static bool any_stop_milestone(const rpt_run *r) {
  for (int m = RPT_S0; m < RPT_MS_COUNT; m++)
    if (r->ms[m].n)
      return true;
  return false;
}

static void header(tw *w, const rpt_run *r) {
  char t[32];
  col(w, C_BOLD);
  ecsb_buf_printf(w->b, "== %s", r->scenario);
  if (r->description && *r->description)
    ecsb_buf_printf(w->b, ": %s", r->description);
  ecsb_buf_puts(w->b, " ==");
  col(w, C_RESET);
  ecsb_buf_printf(w->b, "\nseed %lld, time_scale %g", (long long)r->seed,
                  r->time_scale);
  if (r->wall_start)
    ecsb_buf_printf(w->b, ", started %s", r->wall_start);
  ecsb_buf_printf(w->b, ", %zu application task%s\n", r->n_app_tasks,
                  r->n_app_tasks == 1 ? "" : "s");
  ecsb_buf_printf(w->b, "log %s (%s, %zu events, last @%s)\n",
                  r->log_path ? r->log_path : "(unknown)",
                  r->complete    ? "complete"
                  : r->torn_tail ? "INCOMPLETE: torn last line"
                                 : "INCOMPLETE: no run.end",
                  r->n_events, rpt_fmt_us(r->end_at, t, sizeof t));
}

/* One milestone line: name, wall offset, scenario time, host lag, what. */
static void ms_line(tw *w, const rpt_run *r, const char *name, size_t width,
                    int64_t off, int64_t lag_at, bool lag, const char *what) {
  char a[48], s[48];
  ecsb_buf_puts(w->b, "  ");
  cell(w, name, width);
  if (off == RPT_ABSENT) {
    cell(w, "-", 12);
    cell(w, "", 20);
    ecsb_buf_printf(w->b, "%s (not reached)\n", what);
    return;
  }
  snprintf(a, sizeof a, "+%s", rpt_fmt_us(off, s, sizeof s));
  cell(w, a, 12);
  char sc[32];
  rpt_fmt_us((int64_t)((double)off / r->time_scale), sc, sizeof sc);
  snprintf(s, sizeof s, "scenario %s", sc);
  cell(w, s, 20);
  if (lag && lag_at == RPT_ABSENT) {
    cell(w, "", 19);
  } else if (lag) {
    char l[32];
    snprintf(s, sizeof s, "host lag %s", rpt_fmt_us(lag_at, l, sizeof l));
    cell(w, s, 19);
  }
  ecsb_buf_printf(w->b, "%s\n", what);
}

static void milestones_single(tw *w, const rpt_run *r, const rpt_task *t) {
  char h[300];
  bool lag = t->lag_end > 0;
  snprintf(h, sizeof h,
           "Milestones of %s (wall time from the task's T0; scenario time "
           "= wall / %g%s)",
           t->name, r->time_scale,
           lag ? "; host lag: wall time this machine added to the task (its "
                 "processes' CPU work beyond the scenario's time, waits for "
                 "a CPU and for the runner), part of the wall time"
               : "");
  heading(w, h);
  /* No Consul container: T1-T4 cannot happen; the goal is READY. */
  if (!t->mesh)
    ecsb_buf_puts(w->b, "  goal: READY (no Consul containers, so not "
                        "T1-T4): every essential container running, "
                        "HEALTHY where it has a health check\n");
  bool stops = any_stop_milestone(r);
  for (int m = 0; m < RPT_MS_COUNT; m++) {
    if (m >= RPT_S0 && !stops)
      break;
    if (!t->mesh && m > RPT_T0 && m < RPT_S0) {
      if (m == RPT_T1)
        ms_line(w, r, "READY", 6, t->ready_off, RPT_ABSENT, lag,
                "every essential container up");
      continue;
    }
    ms_line(w, r, rpt_ms_name(m), t->mesh ? 4 : 6, t->ms[m], t->lag[m], lag,
            ms_what[m]);
  }
  if (t->stop_code || t->stop_reason) {
    ecsb_buf_printf(w->b, "  stopped: %s%s%s", t->stop_code ? t->stop_code : "",
                    t->stop_code && t->stop_reason ? ": " : "",
                    t->stop_reason ? t->stop_reason : "");
    char cause[400];
    if (rpt_task_stop_cause_text(t, cause, sizeof cause))
      ecsb_buf_printf(w->b, "\n    %s", cause);
    ecsb_buf_putc(w->b, '\n');
  }
}

static void stats_cells(tw *w, const rpt_stats *s) {
  char t[32];
  rcell(w, rpt_fmt_us(s->p50, t, sizeof t), 11);
  rcell(w, rpt_fmt_us(s->p95, t, sizeof t), 11);
  rcell(w, rpt_fmt_us(s->p99, t, sizeof t), 11);
  rcell(w, rpt_fmt_us(s->max, t, sizeof t), 11);
}

static void milestones_fleet(tw *w, const rpt_run *r) {
  char h[200];
  snprintf(h, sizeof h,
           "Milestones over %zu application tasks (wall time from each "
           "task's T0)",
           r->n_app_tasks);
  heading(w, h);
  bool stops = any_stop_milestone(r);
  bool lag = false;
  for (int m = 0; m < RPT_MS_COUNT; m++)
    lag |= r->host_share[m].n > 0 && r->host_share[m].max > 0;
  ecsb_buf_puts(w->b, "  ");
  cell(w, "", 4);
  cell(w, "reached", 9);
  rcell(w, "p50", 11);
  rcell(w, "p95", 11);
  rcell(w, "p99", 11);
  rcell(w, "max", 11);
  if (lag)
    rcell(w, "host p50", 10);
  ecsb_buf_putc(w->b, '\n');
  for (int m = 0; m < RPT_MS_COUNT; m++) {
    if (m >= RPT_S0 && !stops)
      break;
    char n[32];
    snprintf(n, sizeof n, "%zu/%zu", r->ms[m].n, r->n_app_tasks);
    ecsb_buf_puts(w->b, "  ");
    cell(w, rpt_ms_name(m), 4);
    cell(w, n, 9);
    stats_cells(w, &r->ms[m]);
    if (lag && r->host_share[m].n > 0) {
      snprintf(n, sizeof n, "%lld%%",
               (long long)((r->host_share[m].p50 + 5) / 10));
      rcell(w, n, 10);
    }
    ecsb_buf_putc(w->b, '\n');
  }
  if (lag)
    ecsb_buf_puts(w->b, "  host p50: the part of each task's time to the "
                        "milestone that was this machine's contention (host "
                        "lag), median over the tasks\n");
  if (r->fit_time_scale > 0) {
    col(w, C_YELLOW);
    ecsb_buf_printf(
        w->b,
        "  warning: this machine's contention was %lld%% of the "
        "median task's time to T4 (to the end of the run for a "
        "task that did not reach it and did not stop): the fleet is too large "
        "for it at time_scale %g, and its timings are mostly "
        "this host's; --time-scale %g would leave about a "
        "fifth\n",
        (long long)((r->fit_share + 5) / 10), r->time_scale, r->fit_time_scale);
    col(w, C_RESET);
  }
  const rpt_task *slow = rpt_run_slowest(r);
  if (slow && slow->ms[RPT_T4] != RPT_ABSENT) {
    char t[32];
    ecsb_buf_printf(w->b, "  slowest to T4: %s (+%s)\n", slow->name,
                    rpt_fmt_us(slow->ms[RPT_T4], t, sizeof t));
  }
}

static void verdicts(tw *w, const rpt_run *r) {
  size_t f = rpt_run_failures(r), u = rpt_run_undecided(r),
         inc = rpt_run_inconclusive(r);
  char h[200];
  if (r->n_verdicts == 0) {
    heading(w, "Expectations: none");
    return;
  }
  int n = snprintf(h, sizeof h, "Expectations: %zu passed, %zu failed",
                   r->n_verdicts - f - u - inc, f);
  if (inc && n > 0 && (size_t)n < sizeof h)
    n += snprintf(h + n, sizeof h - (size_t)n, ", %zu inconclusive", inc);
  if (u && n > 0 && (size_t)n < sizeof h)
    snprintf(h + n, sizeof h - (size_t)n, ", %zu undecided", u);
  heading(w, h);
  for (size_t i = 0; i < r->n_verdicts; i++) {
    const rpt_verdict *v = &r->verdicts[i];
    ecsb_buf_puts(w->b, "  ");
    col(w, v->result == RPT_PASS   ? C_GREEN
           : v->result == RPT_FAIL ? C_RED
                                   : C_YELLOW);
    cell(w,
         v->result == RPT_PASS           ? "PASS"
         : v->result == RPT_FAIL         ? "FAIL"
         : v->result == RPT_INCONCLUSIVE ? "INCONCLUSIVE"
                                         : "UNDECIDED",
         v->result == RPT_UNDECIDED      ? 10
         : v->result == RPT_INCONCLUSIVE ? 13
                                         : 6);
    col(w, C_RESET);
    ecsb_buf_puts(w->b, v->name);
    if (v->result != RPT_PASS && v->path && *v->path)
      ecsb_buf_printf(w->b, "  (%s)", v->path);
    ecsb_buf_putc(w->b, '\n');
    if (v->message)
      ecsb_buf_printf(w->b, "        %s\n", v->message);
    for (size_t k = 0; k < v->n_refs; k++) {
      const rpt_ref *e = &v->refs[k];
      char t[32];
      ecsb_buf_printf(w->b, "        - %s", e->kind);
      if (e->task)
        ecsb_buf_printf(w->b, " %s%s%s", e->task, e->container ? "/" : "",
                        e->container ? e->container : "");
      ecsb_buf_printf(w->b, " @%s", rpt_fmt_us(e->at, t, sizeof t));
      if (e->note)
        ecsb_buf_printf(w->b, ": %s", e->note);
      ecsb_buf_putc(w->b, '\n');
    }
  }
}

static void chain(tw *w, const rpt_run *r, const rpt_task *t) {
  char h[240], a[32], b[32];
  snprintf(h, sizeof h,
           "Critical chain of %s%s (@ started, from the task's T0; + until "
           "the condition the next link waited for)",
           t->name, r->n_app_tasks > 1 ? ", the slowest task" : "");
  heading(w, h);
  if (t->chain_goal_off == RPT_ABSENT) {
    ecsb_buf_printf(w->b, "  %s not reached\n", rpt_task_goal_name(t));
    return;
  }
  ecsb_buf_printf(w->b, "  %s @%s\n", rpt_task_goal_name(t),
                  rpt_fmt_us(t->chain_goal_off, a, sizeof a));
  for (size_t i = 0; i < t->n_chain; i++) {
    const rpt_link *l = &t->chain[i];
    rpt_buf_pad(w->b, 2 + 2 * i);
    ecsb_buf_printf(w->b, "\xe2\x94\x94\xe2\x94\x80%s @%s +%s (%s)\n",
                    t->containers[l->container].name,
                    rpt_fmt_us(l->start_off, a, sizeof a),
                    rpt_fmt_us(l->dur, b, sizeof b), l->why ? l->why : "-");
  }
}

typedef struct blame_row {
  const char *name;
  int64_t dur, waited; /* dur RPT_ABSENT: never ready (sorted last) */
  int64_t pull;        /* of the wait, its image pull; RPT_ABSENT: none */
  size_t restarts;
  char outcome[160];
} blame_row;

static int cmp_blame(const void *x, const void *y) {
  const blame_row *a = x, *b = y;
  if ((a->dur == RPT_ABSENT) != (b->dur == RPT_ABSENT))
    return a->dur == RPT_ABSENT ? 1 : -1;
  if (a->dur != b->dur)
    return a->dur < b->dur ? 1 : -1;
  return strcmp(a->name, b->name);
}

/* Every container, ready ones first by their time from started to ready;
 * the others with what became of them. */
static void blame(tw *w, const rpt_run *r, const rpt_task *t) {
  bool fleet = r->n_app_tasks > 1;
  size_t n = fleet ? r->n_ctr : t->n_containers;
  blame_row *rows = calloc(n + 1, sizeof *rows);
  if (!rows) {
    w->b->oom = true;
    return;
  }
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (fleet) {
      if (r->ctr[i].start_to_ready.n == 0)
        continue;
      rows[k].name = r->ctr[i].name;
      rows[k].dur = r->ctr[i].start_to_ready.p50;
      rows[k].waited = r->ctr[i].start_to_ready.p95;
    } else {
      const rpt_container *c = &t->containers[i];
      rows[k].name = c->name;
      rpt_container_outcome(c, rows[k].outcome, sizeof rows[k].outcome);
      rows[k].dur = c->ready_at != RPT_ABSENT && c->started_at != RPT_ABSENT
                        ? c->ready_at - c->started_at
                        : RPT_ABSENT;
      rows[k].waited =
          c->pending_at != RPT_ABSENT && c->started_at != RPT_ABSENT
              ? c->started_at - c->pending_at
              : RPT_ABSENT;
      rows[k].pull = c->pull_at != RPT_ABSENT && c->pulled_at != RPT_ABSENT
                         ? c->pulled_at - c->pull_at
                         : RPT_ABSENT;
      rows[k].restarts = c->n_restarts;
    }
    k++;
  }
  qsort(rows, k, sizeof *rows, cmp_blame);
  char h[200];
  if (fleet)
    snprintf(h, sizeof h,
             "Blame (median time from started to ready over %zu tasks; p95 "
             "after it)",
             r->n_app_tasks);
  else
    snprintf(h, sizeof h,
             "Blame of %s (time from started to ready; waited = pending to "
             "started)",
             t->name);
  heading(w, h);
  for (size_t i = 0; i < k; i++) {
    char a[32], b[32];
    ecsb_buf_puts(w->b, "  ");
    rcell(w, rpt_fmt_us(rows[i].dur, a, sizeof a), 10);
    ecsb_buf_puts(w->b, "  ");
    if (fleet) {
      cell(w, rows[i].name, 22);
      ecsb_buf_printf(w->b, "p95 %s\n",
                      rpt_fmt_us(rows[i].waited, b, sizeof b));
    } else if (rows[i].dur == RPT_ABSENT) {
      cell(w, rows[i].name, 22);
      ecsb_buf_printf(w->b, "%s", rows[i].outcome);
    } else if (rows[i].waited != RPT_ABSENT && rows[i].waited > 0) {
      cell(w, rows[i].name, 22);
      ecsb_buf_printf(w->b, "waited %s",
                      rpt_fmt_us(rows[i].waited, b, sizeof b));
      if (rows[i].pull != RPT_ABSENT)
        ecsb_buf_printf(w->b, " (image pull %s)",
                        rpt_fmt_us(rows[i].pull, b, sizeof b));
    } else {
      ecsb_buf_printf(w->b, "%s", rows[i].name);
    }
    if (!fleet && rows[i].restarts)
      ecsb_buf_printf(
          w->b, "%srestarted %zu time%s",
          rows[i].dur == RPT_ABSENT ||
                  (rows[i].waited != RPT_ABSENT && rows[i].waited > 0)
              ? "; "
              : "  ",
          rows[i].restarts, rows[i].restarts == 1 ? "" : "s");
    if (!fleet)
      ecsb_buf_putc(w->b, '\n');
  }
  free(rows);
}

static void api(tw *w, const rpt_run *r) {
  if (r->n_api == 0)
    return;
  heading(w, "ECS API calls");
  ecsb_buf_puts(w->b, "  ");
  cell(w, "operation", 22);
  rcell(w, "calls", 6);
  rcell(w, "errors", 6);
  rcell(w, "throttled", 9);
  rcell(w, "p50", 10);
  rcell(w, "p95", 10);
  rcell(w, "max", 10);
  ecsb_buf_putc(w->b, '\n');
  for (size_t i = 0; i < r->n_api; i++) {
    const rpt_api_op *a = &r->api[i];
    char n[32], t[32];
    ecsb_buf_puts(w->b, "  ");
    cell(w, a->operation, 22);
    snprintf(n, sizeof n, "%zu", a->count);
    rcell(w, n, 6);
    snprintf(n, sizeof n, "%zu", a->errors);
    rcell(w, n, 6);
    snprintf(n, sizeof n, "%zu", a->throttles);
    rcell(w, n, 9);
    rcell(w, rpt_fmt_us(a->latency.p50, t, sizeof t), 10);
    rcell(w, rpt_fmt_us(a->latency.p95, t, sizeof t), 10);
    rcell(w, rpt_fmt_us(a->latency.max, t, sizeof t), 10);
    ecsb_buf_putc(w->b, '\n');
  }
}

static void consul(tw *w, const rpt_run *r) {
  if (r->n_consul == 0)
    return;
  heading(w, "Consul events");
  ecsb_buf_puts(w->b, " ");
  for (size_t i = 0; i < r->n_consul; i++)
    ecsb_buf_printf(w->b, " %s %zu%s", r->consul[i].kind, r->consul[i].n,
                    i + 1 < r->n_consul ? "," : "\n");
}

static void faults(tw *w, const rpt_run *r) {
  if (r->n_faults == 0)
    return;
  heading(w, "Faults injected");
  for (size_t i = 0; i < r->n_faults; i++) {
    const rpt_fault *f = &r->faults[i];
    char t[32], at[40];
    snprintf(at, sizeof at, "@%s", rpt_fmt_us(f->at, t, sizeof t));
    ecsb_buf_puts(w->b, "  ");
    col(w, C_YELLOW);
    cell(w, at, 11);
    col(w, C_RESET);
    ecsb_buf_printf(w->b, "%s %s", f->target ? f->target : "?",
                    f->action ? f->action : "?");
    if (f->task)
      ecsb_buf_printf(w->b, "  %s%s%s", f->task, f->container ? "/" : "",
                      f->container ? f->container : "");
    if (f->params)
      ecsb_buf_printf(w->b, "  %s", f->params);
    ecsb_buf_putc(w->b, '\n');
  }
}

static void one_run(tw *w, const rpt_run *r) {
  header(w, r);
  const rpt_task *t = rpt_run_slowest(r);
  if (!t) {
    heading(w, "No application task in the log");
  } else if (r->n_app_tasks == 1) {
    milestones_single(w, r, t);
  } else {
    milestones_fleet(w, r);
  }
  verdicts(w, r);
  if (t) {
    chain(w, r, t);
    blame(w, r, t);
  }
  api(w, r);
  consul(w, r);
  faults(w, r);
}

void rpt_term_render(rpt_run *const *runs, size_t n, const rpt_term_opts *o,
                     ecsb_buf *out) {
  tw w = {.b = out, .color = o && o->color};
  size_t failed = 0, inconclusive = 0;
  for (size_t i = 0; i < n; i++) {
    if (i)
      ecsb_buf_putc(out, '\n');
    one_run(&w, runs[i]);
    bool f = rpt_run_failures(runs[i]) + rpt_run_undecided(runs[i]) > 0;
    failed += f;
    inconclusive += !f && rpt_run_inconclusive(runs[i]) > 0;
  }
  if (n > 1) {
    ecsb_buf_putc(out, '\n');
    col(&w, failed ? C_RED : inconclusive ? C_YELLOW : C_GREEN);
    ecsb_buf_printf(out, "%zu runs: %zu passed, %zu failed", n,
                    n - failed - inconclusive, failed);
    if (inconclusive)
      ecsb_buf_printf(out, ", %zu inconclusive", inconclusive);
    col(&w, C_RESET);
    for (size_t i = 0, k = 0; i < n; i++)
      if (rpt_run_failures(runs[i]) + rpt_run_undecided(runs[i]))
        ecsb_buf_printf(out, "%s%s", k++ ? ", " : " (", runs[i]->scenario);
    ecsb_buf_puts(out, failed ? ")\n" : "\n");
  }
}

bool rpt_term_color_decide(bool is_tty, const char *no_color) {
  return is_tty && !(no_color && *no_color);
}

bool rpt_term_color_wanted(int fd) {
  return rpt_term_color_decide(isatty(fd) == 1, getenv("NO_COLOR"));
}

void rpt_progress_init(rpt_progress *p, FILE *f) {
  p->f = f;
  p->enabled = f && isatty(fileno(f)) == 1;
  p->drawn = false;
}

void rpt_progress_format(char *buf, size_t cap, size_t total,
                         const size_t counts[RPT_MS_COUNT],
                         int64_t elapsed_us) {
  size_t off = 0;
  int n = snprintf(
      buf, cap, "%lld.%llds  tasks %zu/%zu", (long long)(elapsed_us / 1000000),
      (long long)(elapsed_us % 1000000 / 100000), counts[RPT_T0], total);
  off = n > 0 ? (size_t)n : 0;
  bool stops = false;
  for (int m = RPT_S0; m < RPT_MS_COUNT; m++)
    stops = stops || counts[m] > 0;
  for (int m = RPT_T1; m < RPT_MS_COUNT && off < cap; m++) {
    if (m >= RPT_S0 && !stops)
      break;
    n = snprintf(buf + off, cap - off, "  %s %zu", rpt_ms_name(m), counts[m]);
    off += n > 0 ? (size_t)n : 0;
  }
}

void rpt_progress_update(rpt_progress *p, size_t total,
                         const size_t counts[RPT_MS_COUNT],
                         int64_t elapsed_us) {
  if (!p->enabled)
    return;
  char line[256];
  rpt_progress_format(line, sizeof line, total, counts, elapsed_us);
  /* \r and erase-to-end redraw in place without scrolling. */
  fprintf(p->f, "\r%s\033[K", line);
  fflush(p->f);
  p->drawn = true;
}

void rpt_progress_end(rpt_progress *p) {
  if (!p->enabled || !p->drawn)
    return;
  fputs("\r\033[K", p->f);
  fflush(p->f);
  p->drawn = false;
}
