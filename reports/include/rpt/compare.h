/*
 * compare.h - baseline comparison: for each scenario present in both BASE
 * and NEW (event logs or JSON reports), the change in median (p50) and p95
 * of every milestone and of every container's started-to-ready time,
 * marked when beyond a threshold and beyond the noise the runs measured
 * (host lag, and the spread of runs repeated with --repeat, which are
 * folded into their median). A slower figure beyond both, a milestone
 * reached by fewer of the tasks, or one no longer reached at all is a
 * regression, so CI can keep a baseline report and fail a change that
 * slows startup.
 */
#ifndef RPT_COMPARE_H
#define RPT_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ecsb/err.h"
#include "rpt/run.h"
#include "rpt/strbuf.h"

typedef struct rpt_compare_opts {
  double threshold;     /* relative change, 0.10 for 10% */
  int64_t min_delta_us; /* changes smaller than this are noise */
} rpt_compare_opts;

/* Parses "10%", "10" (also percent) or "2.5%" into a fraction. */
int rpt_compare_threshold_parse(const char *s, double *out, ecsb_err *err);

typedef enum rpt_mark { RPT_SAME, RPT_SLOWER, RPT_FASTER } rpt_mark;

typedef struct rpt_compare_row {
  char *scenario;
  char *metric;           /* "T4", "mesh-init ready" */
  rpt_stats base, cur;    /* n == 0: not reached / absent */
  size_t base_of, cur_of; /* tasks the share reached is out of */
  rpt_mark p50, p95;
  /* Differences up to this are noise (wall): twice the largest host lag a
   * task carried to it on either side, plus the spread of the p50 (p95)
   * over repeated runs of the scenario (docs/reports.md). */
  int64_t noise, noise95;
  bool regression;
  char *note; /* e.g. "not reached in NEW", or NULL */
} rpt_compare_row;

typedef struct rpt_compare {
  rpt_compare_row *rows;
  size_t n;
  size_t regressions;
  char **notes; /* scenarios only on one side, renamed pairs */
  size_t n_notes;
} rpt_compare;

int rpt_compare_runs(rpt_run *const *base, size_t n_base, rpt_run *const *cur,
                     size_t n_cur, const rpt_compare_opts *o, rpt_compare **out,
                     ecsb_err *err);
/* The table; base_name and new_name label the inputs. */
void rpt_compare_render(const rpt_compare *c, const rpt_compare_opts *o,
                        const char *base_name, const char *new_name, bool color,
                        ecsb_buf *out);
void rpt_compare_free(rpt_compare *c);

#endif
