/*
 * term.h - the terminal report: milestone table (fleets: percentiles),
 * verdicts with the events that broke them, blame (containers by time from
 * started to ready, as systemd-analyze blame), the critical chain that
 * decided T4 (as systemd-analyze critical-chain), ECS API and Consul
 * figures, and the faults injected. Also the runner's live progress line.
 *
 * Colour is the caller's choice (rpt_term_color_wanted: a TTY and no
 * NO_COLOR). Nothing here writes to a stream except the progress line.
 */
#ifndef RPT_TERM_H
#define RPT_TERM_H

#include <stdbool.h>
#include <stdio.h>

#include "rpt/run.h"
#include "rpt/strbuf.h"

typedef struct rpt_term_opts {
  bool color; /* ANSI colours and bold */
} rpt_term_opts;

/* Appends the report of every run (and a summary line when n > 1). */
void rpt_term_render(rpt_run *const *runs, size_t n, const rpt_term_opts *o,
                     ecsb_buf *out);

/* Colour on fd: only on a terminal, and never when NO_COLOR is set to a
 * non-empty value (https://no-color.org). */
bool rpt_term_color_wanted(int fd);
/* The rule itself, for tests: is_tty and the NO_COLOR value (or NULL). */
bool rpt_term_color_decide(bool is_tty, const char *no_color);

/* The runner's progress line: on stderr, redrawn in place, only when the
 * stream is a terminal (so logs and CI output stay clean). */
typedef struct rpt_progress {
  FILE *f;
  bool enabled;
  bool drawn;
} rpt_progress;

/* enabled = isatty(fileno(f)). */
void rpt_progress_init(rpt_progress *p, FILE *f);
/* Formats "12.3s  tasks 40/100  T0 40  T1 38  T2 30  T3 21  T4 12" (S
 * milestones when any task reached one) into buf. counts as
 * rpt_milestones_count gives them; total = tasks the run will start. */
void rpt_progress_format(char *buf, size_t cap, size_t total,
                         const size_t counts[RPT_MS_COUNT], int64_t elapsed_us);
/* Redraws the line (no-op when disabled). */
void rpt_progress_update(rpt_progress *p, size_t total,
                         const size_t counts[RPT_MS_COUNT], int64_t elapsed_us);
/* Erases the line so the next output starts clean (no-op when disabled
 * or nothing was drawn). */
void rpt_progress_end(rpt_progress *p);

#endif
