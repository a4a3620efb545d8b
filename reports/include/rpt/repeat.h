/*
 * repeat.h - the same scenario run several times (ecsboot run --repeat N):
 * how much each milestone moved between runs, in scenario time, as
 * measured and with each task's host lag taken out, and how the verdicts
 * split. It is the noise a person (or `report compare`, which folds
 * repeated runs the same way) should expect from this machine.
 *
 * Reads only report models (run.h). No global state.
 */
#ifndef RPT_REPEAT_H
#define RPT_REPEAT_H

#include <stddef.h>
#include <stdint.h>

#include "rpt/run.h"
#include "rpt/strbuf.h"

/* One milestone over the runs: the median over each run's application
 * tasks, then min / median / max over the runs; wall microseconds.
 * lagfree_* are the same with each task's host lag at that milestone
 * taken out. n == 0 when no run reached it. */
typedef struct rpt_repeat_ms {
  size_t n;
  int64_t min, median, max;
  int64_t lagfree_min, lagfree_median, lagfree_max;
} rpt_repeat_ms;

/* Fills out[RPT_MS_COUNT] from runs (all of one scenario). */
int rpt_repeat_stats(rpt_run *const *runs, size_t n,
                     rpt_repeat_ms out[RPT_MS_COUNT]);

/* The table and the verdict counts, for the terminal. */
void rpt_repeat_render(rpt_run *const *runs, size_t n, ecsb_buf *out);

#endif
