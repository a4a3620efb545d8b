/*
 * merge.h - combines the results of sharded runs (`ecsboot run --shard
 * K/N` on several CI machines): event logs and JSON reports, in any mix,
 * into one list of runs, which report.h then writes as one JSON report,
 * one JUnit file (a <testsuite> per run) and one HTML page.
 */
#ifndef RPT_MERGE_H
#define RPT_MERGE_H

#include <stddef.h>

#include "ecsb/err.h"
#include "rpt/run.h"

/* Loads every input in order and sorts the runs by scenario name (stable),
 * so the merged report does not depend on which shard finished first.
 * *dups counts scenarios that appear more than once (kept; a sweep that
 * ran a scenario twice should say so). Caller frees with rpt_runs_free. */
int rpt_merge_load(const char *const *paths, size_t n_paths, rpt_run ***runs,
                   size_t *n_runs, size_t *dups, ecsb_err *err);

#endif
