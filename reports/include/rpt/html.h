/*
 * html.h - the self-contained HTML report: one page, inline CSS, inline
 * SVG, no scripts and no external references (it opens offline and from
 * a CI artifact store). For each run: verdicts with the events that broke
 * them, the timeline pictures, milestones, critical chain, blame, ECS API
 * and Consul figures, faults; with several runs, a summary table first.
 */
#ifndef RPT_HTML_H
#define RPT_HTML_H

#include "rpt/run.h"
#include "rpt/strbuf.h"

void rpt_html_render(rpt_run *const *runs, size_t n, ecsb_buf *out);

#endif
