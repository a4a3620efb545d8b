/*
 * repeat.c - statistics of one scenario run several times (see repeat.h).
 *
 * Each run contributes one figure per milestone: the median over its
 * application tasks (a fleet's runs are compared by their middle task, as
 * report compare does). The spread (max - min) is what identical runs on
 * this machine disagree by; the lag-free columns show how much of that
 * the host's measured lag explains.
 */
#include "rpt/repeat.h"

#include <stdlib.h>

/* The lag-free median over the run's application tasks (nearest rank,
 * as the run's own milestone statistics); RPT_ABSENT when none reached m. */
static int64_t lagfree_p50(const rpt_run *r, int m, int64_t *tmp) {
  size_t k = 0;
  for (size_t i = 0; i < r->n_tasks; i++) {
    const rpt_task *t = &r->tasks[i];
    if (!t->server && t->ms[m] != RPT_ABSENT)
      tmp[k++] = t->ms[m] - t->lag[m];
  }
  rpt_stats st;
  rpt_stats_of(tmp, k, &st);
  return st.p50;
}

int rpt_repeat_stats(rpt_run *const *runs, size_t n,
                     rpt_repeat_ms out[RPT_MS_COUNT]) {
  size_t most = 1;
  for (size_t i = 0; i < n; i++)
    if (runs[i]->n_tasks > most)
      most = runs[i]->n_tasks;
  int64_t *tmp = malloc(most * sizeof *tmp);
  int64_t *raw = malloc((n ? n : 1) * sizeof *raw);
  int64_t *free_ = malloc((n ? n : 1) * sizeof *free_);
  if (!tmp || !raw || !free_) {
    free(tmp);
    free(raw);
    free(free_);
    return ECSB_ENOMEM;
  }
  for (int m = 0; m < RPT_MS_COUNT; m++) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
      /* the run's median task, as its own milestone statistics say */
      if (!runs[i]->ms[m].n)
        continue;
      raw[k] = runs[i]->ms[m].p50;
      free_[k] = lagfree_p50(runs[i], m, tmp);
      k++;
    }
    rpt_stats a, b;
    rpt_stats_of(raw, k, &a);
    rpt_stats_of(free_, k, &b);
    out[m] = (rpt_repeat_ms){.n = k,
                             .min = a.min,
                             .median = a.p50,
                             .max = a.max,
                             .lagfree_min = b.min,
                             .lagfree_median = b.p50,
                             .lagfree_max = b.max};
  }
  free(tmp);
  free(raw);
  free(free_);
  return 0;
}

static void sc(ecsb_buf *b, int64_t wall, double scale, int width) {
  char t[32];
  ecsb_buf_printf(
      b, " %*s", width,
      wall == RPT_ABSENT
          ? "-"
          : rpt_fmt_us((int64_t)((double)wall / scale), t, sizeof t));
}

static void pct(ecsb_buf *b, int64_t lo, int64_t mid, int64_t hi) {
  if (mid <= 0)
    ecsb_buf_printf(b, " %7s", "-");
  else
    ecsb_buf_printf(b, " %6.1f%%", 100.0 * (double)(hi - lo) / (double)mid);
}

void rpt_repeat_render(rpt_run *const *runs, size_t n, ecsb_buf *out) {
  if (!n)
    return;
  size_t pass = 0, fail = 0, inc = 0;
  for (size_t i = 0; i < n; i++) {
    if (rpt_run_failures(runs[i]) || rpt_run_undecided(runs[i]))
      fail++;
    else if (rpt_run_inconclusive(runs[i]))
      inc++;
    else
      pass++;
  }
  double scale = runs[0]->time_scale > 0 ? runs[0]->time_scale : 1;
  ecsb_buf_printf(out,
                  "Repeated %zu times: %zu passed, %zu failed, %zu "
                  "inconclusive\n",
                  n, pass, fail, inc);
  rpt_repeat_ms st[RPT_MS_COUNT];
  if (rpt_repeat_stats(runs, n, st)) {
    out->oom = true;
    return;
  }
  ecsb_buf_printf(out,
                  "Milestones in scenario time (time_scale %g), each run's "
                  "median task; spread = (max - min) / median\n"
                  "  %-4s %5s %11s %11s %11s %7s   %11s %11s %11s %7s\n",
                  scale, "", "runs", "min", "median", "max", "spread",
                  "lag-free min", "median", "max", "spread");
  for (int m = RPT_T1; m < RPT_MS_COUNT; m++) {
    const rpt_repeat_ms *o = &st[m];
    if (!o->n && m >= RPT_S0)
      continue;
    ecsb_buf_printf(out, "  %-4s %5zu", rpt_ms_name(m), o->n);
    sc(out, o->min, scale, 11);
    sc(out, o->median, scale, 11);
    sc(out, o->max, scale, 11);
    pct(out, o->min, o->median, o->max);
    ecsb_buf_puts(out, "  ");
    sc(out, o->lagfree_min, scale, 11);
    sc(out, o->lagfree_median, scale, 11);
    sc(out, o->lagfree_max, scale, 11);
    pct(out, o->lagfree_min, o->lagfree_median, o->lagfree_max);
    ecsb_buf_putc(out, '\n');
  }
}
