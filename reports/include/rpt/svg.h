/*
 * svg.h - timeline pictures in the style of systemd-analyze plot, as
 * self-contained SVG (no scripts, no external references):
 *   - the container timeline: one row per container, bars for its phases
 *     (waiting on dependencies, running, HEALTHY, UNHEALTHY), its end
 *     (exit code or signal), vertical markers for T0..T4 (and S0..S4) and
 *     for each injected fault, a labelled time axis and a legend;
 *   - the fleet view: the distribution (CDF) of T1..T4 over the tasks and
 *     the slowest tasks' rows split by milestone phase.
 * Every bar carries a <title> so browsers show exact times on hover.
 */
#ifndef RPT_SVG_H
#define RPT_SVG_H

#include "rpt/run.h"
#include "rpt/strbuf.h"

/* The picture for a run: the container timeline for a single application
 * task; for fleets the fleet view followed by the slowest task's
 * container timeline. */
void rpt_svg_render(const rpt_run *r, ecsb_buf *out);
/* Container timeline of one task (only != NULL) or of every task. */
void rpt_svg_timeline(const rpt_run *r, const rpt_task *only, ecsb_buf *out);
/* Fleet view alone. */
void rpt_svg_fleet(const rpt_run *r, ecsb_buf *out);

#endif
