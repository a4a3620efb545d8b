/*
 * json_report.h - the JSON report: every measurement of one or more runs
 * in a versioned document (schema "ecsboot-report", version 1, described
 * in docs/report-schema.md), and its loader, so compare and merge accept
 * JSON reports as well as event logs.
 */
#ifndef RPT_JSON_REPORT_H
#define RPT_JSON_REPORT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "ecsb/err.h"
#include "rpt/run.h"

#define RPT_REPORT_SCHEMA "ecsboot-report"
#define RPT_REPORT_VERSION 1

/* The document for runs[0..n); caller frees with cJSON_Delete. NULL on
 * ENOMEM. */
cJSON *rpt_json_build(rpt_run *const *runs, size_t n);
/* The same, printed as cJSON indents it (tabs) with a trailing newline;
 * free(). */
char *rpt_json_render(rpt_run *const *runs, size_t n);

/* True when doc looks like a report (has "schema": "ecsboot-report"). */
bool rpt_json_is_report(const cJSON *doc);
/* Loads every run of a report document; appends to *runs (grown with
 * realloc) and *n. name is the file name for messages; errors name the
 * JSON path. A newer major version is refused. */
int rpt_json_load(const cJSON *doc, const char *name, rpt_run ***runs,
                  size_t *n, ecsb_err *err);

#endif
