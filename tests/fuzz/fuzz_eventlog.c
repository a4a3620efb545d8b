/* fuzz_eventlog.c - the event log reader accepts or rejects any bytes
 * without crashing or leaking. */
#include "fuzz.h"

#include <stdint.h>

#include "rpt/eventlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rpt_log *log = NULL;
  if (rpt_log_parse((const char *)data, size, "fuzz", &log, NULL) == 0)
    rpt_log_free(log);
  return 0;
}
