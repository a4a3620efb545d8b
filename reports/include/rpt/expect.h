/*
 * expect.h - the expectation language (docs/expectations.md): order
 * constraints between events, milestone deadlines, the final task state
 * and named invariants, parsed from a scenario's "expect" object (also
 * recorded verbatim in run.start's detail) and judged against an event
 * log, per application task.
 *
 * The runner uses three calls: rpt_expect_parse to validate a scenario
 * file (errors name the JSON path under the path it passes, e.g.
 * "$.expect.order[1].then"), rpt_expect_decided on the partial log to
 * know when the run may stop, and rpt_expect_eval with final=true (or
 * rpt_report_from_log, report.h) for the verdicts.
 *
 * A parsed rpt_expect is immutable: evaluating it from several threads at
 * once is safe.
 */
#ifndef RPT_EXPECT_H
#define RPT_EXPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ecsb/err.h"
#include "rpt/eventlog.h"
#include "rpt/run.h"

typedef struct rpt_expect rpt_expect;

/* Parses expect (NULL or an object; NULL gives an empty set). path is the
 * JSON path of expect itself for messages ("$.expect" when NULL). Unknown
 * fields are errors. Caller frees *out with rpt_expect_free. */
int rpt_expect_parse(const cJSON *expect, const char *path, rpt_expect **out,
                     ecsb_err *err);
void rpt_expect_free(rpt_expect *x);
/* Every container an order pattern names (not a role, not "*") must be
 * one of names[0..n), the task definition's containers: otherwise
 * ECSB_EINVAL naming the pattern's JSON path, the name and the known
 * names, so a typo is a scenario error instead of a silent pass. */
int rpt_expect_check_containers(const rpt_expect *x, const char *const *names,
                                size_t n, ecsb_err *err);
/* The same check for one name found at path (a fault's container). */
int rpt_check_container_name(const char *path, const char *name,
                             const char *const *names, size_t n, ecsb_err *err);

/* Number of expectations (each order entry, milestone, final field and
 * invariant is one), and the name and JSON path of the i-th. */
size_t rpt_expect_count(const rpt_expect *x);
const char *rpt_expect_name(const rpt_expect *x, size_t i);
const char *rpt_expect_path(const rpt_expect *x, size_t i);

typedef struct rpt_eval_opts {
  /* The run is over: what is still open gets its end-of-run verdict
   * (also implied by a complete log). Without it, an expectation whose
   * outcome could still change stays RPT_UNDECIDED. */
  bool final;
  /* Current run time (us since T0) for deadlines on a partial log; 0 means
   * the time of the log's last event. */
  int64_t now_us;
  /* Application tasks the run will start; tasks not in the log yet keep
   * expectations undecided. 0: those in the log are all. */
  size_t expected_tasks;
} rpt_eval_opts;

/* Judges every expectation against log; opts may be NULL (not final).
 * Fills *out with rpt_expect_count(x) verdicts in declaration order;
 * free them with rpt_verdicts_free. */
int rpt_expect_eval(const rpt_expect *x, const rpt_log *log,
                    const rpt_eval_opts *opts, rpt_verdict **out, size_t *n_out,
                    ecsb_err *err);

/* The same over a model already computed from this log with
 * rpt_milestones_compute_idx (ms_event as it returned). */
int rpt_expect_eval_run(const rpt_expect *x, const rpt_log *log,
                        const rpt_run *run, const size_t *ms_event,
                        const rpt_eval_opts *opts, rpt_verdict **out,
                        size_t *n_out, ecsb_err *err);

/* "Is every expectation decided yet?" over a partial log: *decided is true
 * when no verdict is RPT_UNDECIDED (a failure is decided). *failed tells
 * whether one already failed (may be NULL). */
int rpt_expect_decided(const rpt_expect *x, const rpt_log *log,
                       const rpt_eval_opts *opts, bool *decided, bool *failed,
                       ecsb_err *err);

void rpt_verdicts_free(rpt_verdict *v, size_t n);

#endif
