/* fuzz_report.c - any bytes read as an event log go through the whole
 * report pipeline (milestones, the expectation parser and evaluator on
 * whatever run.start's expect holds, every output format) without
 * crashing, leaking or tripping the sanitizers. */
#include "fuzz.h"

#include <stdint.h>
#include <stdlib.h>

#include "rpt/eventlog.h"
#include "rpt/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rpt_log *log = NULL;
  if (rpt_log_parse((const char *)data, size, "fuzz", &log, NULL) != 0)
    return 0;
  rpt_run *run = NULL;
  if (rpt_report_from_log(log, "fuzz", NULL, &run, NULL) == 0) {
    static const unsigned fmts[] = {RPT_FMT_TERM, RPT_FMT_JSON, RPT_FMT_JUNIT,
                                    RPT_FMT_SVG, RPT_FMT_HTML};
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
      char *text = NULL;
      if (rpt_report_render(&run, 1, fmts[i], i == 0, &text, NULL) == 0)
        free(text);
    }
    rpt_run_free(run);
  }
  rpt_log_free(log);
  return 0;
}
