/*
 * report.h - the entry points the runner and `ecsboot report` use: build a
 * run's model with its verdicts from an event log, load logs or JSON
 * reports, and write any set of formats (terminal text, JSON, JUnit, SVG,
 * HTML) into a folder with atomic writes.
 *
 * Files written by rpt_report_write_dir (formats not asked for are not
 * touched):
 *   summary.txt   the terminal report without colour      (RPT_FMT_TERM)
 *   report.json   docs/report-schema.md                   (RPT_FMT_JSON)
 *   junit.xml     one <testsuite> per run                 (RPT_FMT_JUNIT)
 *   timeline.svg  (one run) or timeline-<scenario>.svg    (RPT_FMT_SVG)
 *   report.html   self-contained, every run               (RPT_FMT_HTML)
 */
#ifndef RPT_REPORT_H
#define RPT_REPORT_H

#include <stddef.h>

#include "ecsb/err.h"
#include "rpt/eventlog.h"
#include "rpt/expect.h"
#include "rpt/run.h"

enum {
  RPT_FMT_TERM = 1,
  RPT_FMT_JSON = 2,
  RPT_FMT_JUNIT = 4,
  RPT_FMT_SVG = 8,
  RPT_FMT_HTML = 16,
  RPT_FMT_ALL = 31
};

/* Largest event log or report read (fleets of thousands of tasks). */
#define RPT_MAX_INPUT_BYTES ((size_t)1 << 31)

/* "term", "json", "junit", "svg", "html", "all", or a comma list. */
int rpt_formats_parse(const char *s, unsigned *out, ecsb_err *err);

/* The model of log with verdicts recomputed from run.start's expect (a
 * block that does not parse becomes a failing "expectations" verdict and
 * run->expect_error). opts as for rpt_expect_eval; NULL judges the log as
 * it stands (final when it is complete). log_path is recorded as given. */
int rpt_report_from_log(const rpt_log *log, const char *log_path,
                        const rpt_eval_opts *opts, rpt_run **out,
                        ecsb_err *err);

/* Reads path, an event log (JSONL) or a JSON report, and appends its
 * run(s) to *runs / *n (grown with realloc). */
int rpt_report_load(const char *path, rpt_run ***runs, size_t *n,
                    ecsb_err *err);
void rpt_runs_free(rpt_run **runs, size_t n);

/* One format (a single RPT_FMT_* bit) as text; color only affects
 * RPT_FMT_TERM. RPT_FMT_SVG renders the first run. free() the result. */
int rpt_report_render(rpt_run *const *runs, size_t n, unsigned format,
                      bool color, char **out, ecsb_err *err);

/* Creates dir (and parents) and writes every format in formats. */
int rpt_report_write_dir(rpt_run *const *runs, size_t n, const char *dir,
                         unsigned formats, ecsb_err *err);

#endif
