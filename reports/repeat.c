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
#include <string.h>

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Median over the run's application tasks of ms (minus lag when asked);
 * RPT_ABSENT when none reached it. */
static int64_t run_median(const rpt_run *r, int m, bool lagfree, int64_t *tmp) {
  size_t k = 0;
  for (size_t i = 0; i < r->n_tasks; i++) {
    const rpt_task *t = &r->tasks[i];
    if (t->server || t->ms[m] == RPT_ABSENT)
      continue;
    tmp[k++] = t->ms[m] - (lagfree ? t->lag[m] : 0);
  }
  if (!k)
    return RPT_ABSENT;
  qsort(tmp, k, sizeof *tmp, cmp_i64);
  return tmp[k / 2];
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
    rpt_repeat_ms *o = &out[m];
    memset(o, 0, sizeof *o);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
      int64_t v = run_median(runs[i], m, false, tmp);
      if (v == RPT_ABSENT)
        continue;
      raw[k] = v;
      free_[k] = run_median(runs[i], m, true, tmp);
      k++;
    }
    o->n = k;
    if (!k) {
      o->min = o->median = o->max = RPT_ABSENT;
      o->lagfree_min = o->lagfree_median = o->lagfree_max = RPT_ABSENT;
      continue;
    }
    qsort(raw, k, sizeof *raw, cmp_i64);
    qsort(free_, k, sizeof *free_, cmp_i64);
    o->min = raw[0];
    o->median = raw[k / 2];
    o->max = raw[k - 1];
    o->lagfree_min = free_[0];
    o->lagfree_median = free_[k / 2];
    o->lagfree_max = free_[k - 1];
  }
  free(tmp);
  free(raw);
  free(free_);
  return 0;
}

static void sc(rpt_buf *b, int64_t wall, double scale, int width) {
  char t[32];
  rpt_buf_printf(
      b, " %*s", width,
      wall == RPT_ABSENT
          ? "-"
          : rpt_fmt_us((int64_t)((double)wall / scale), t, sizeof t));
}

static void pct(rpt_buf *b, int64_t lo, int64_t mid, int64_t hi) {
  if (mid <= 0)
    rpt_buf_printf(b, " %7s", "-");
  else
    rpt_buf_printf(b, " %6.1f%%", 100.0 * (double)(hi - lo) / (double)mid);
}

void rpt_repeat_render(rpt_run *const *runs, size_t n, rpt_buf *out) {
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
  rpt_buf_printf(out,
                 "Repeated %zu times: %zu passed, %zu failed, %zu "
                 "inconclusive\n",
                 n, pass, fail, inc);
  rpt_repeat_ms st[RPT_MS_COUNT];
  if (rpt_repeat_stats(runs, n, st)) {
    out->oom = true;
    return;
  }
  rpt_buf_printf(out,
                 "Milestones in scenario time (time_scale %g), each run's "
                 "median task; spread = (max - min) / median\n"
                 "  %-4s %5s %11s %11s %11s %7s   %11s %11s %11s %7s\n",
                 scale, "", "runs", "min", "median", "max", "spread",
                 "lag-free min", "median", "max", "spread");
  for (int m = RPT_T1; m < RPT_MS_COUNT; m++) {
    const rpt_repeat_ms *o = &st[m];
    if (!o->n && m >= RPT_S0)
      continue;
    rpt_buf_printf(out, "  %-4s %5zu", rpt_ms_name(m), o->n);
    sc(out, o->min, scale, 11);
    sc(out, o->median, scale, 11);
    sc(out, o->max, scale, 11);
    pct(out, o->min, o->median, o->max);
    rpt_buf_puts(out, "  ");
    sc(out, o->lagfree_min, scale, 11);
    sc(out, o->lagfree_median, scale, 11);
    sc(out, o->lagfree_max, scale, 11);
    pct(out, o->lagfree_min, o->lagfree_median, o->lagfree_max);
    rpt_buf_putc(out, '\n');
  }
}
