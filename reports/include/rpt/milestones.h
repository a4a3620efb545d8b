/*
 * milestones.h - turns an event log into the report model (run.h): per
 * task the milestones T0-T4 and S0-S4 exactly as docs/events.md defines
 * them, per container its phases (pending, started, healthy, exited or
 * killed) and readiness, the fleet percentiles, counts and latencies of
 * ECS API calls per operation, counts of Consul events, and the injected
 * faults. Verdicts are not computed here (see expect.h and report.h).
 *
 * Reads only the log; safe to call on a partial log (what has not
 * happened yet is simply absent). No global state; thread-safe for
 * distinct outputs.
 */
#ifndef RPT_MILESTONES_H
#define RPT_MILESTONES_H

#include <stddef.h>

#include "ecsb/err.h"
#include "rpt/eventlog.h"
#include "rpt/run.h"

#define RPT_NO_EVENT ((size_t)-1)

/* Computes the model; log_path (may be NULL) is recorded for reports.
 * A malformed detail of a known kind is an error naming the log, the line
 * and the JSON path. */
int rpt_milestones_compute(const rpt_log *log, const char *log_path,
                           rpt_run **out, ecsb_err *err);

/* The same, also returning which event set each milestone:
 * (*ms_event)[task_index * RPT_MS_COUNT + ms] is an index into log->events
 * or RPT_NO_EVENT. Caller frees *ms_event with free(). */
int rpt_milestones_compute_idx(const rpt_log *log, const char *log_path,
                               rpt_run **out, size_t **ms_event, ecsb_err *err);

/* How many application tasks reached each milestone (for progress lines). */
void rpt_milestones_count(const rpt_run *r, size_t counts[RPT_MS_COUNT]);

#endif
