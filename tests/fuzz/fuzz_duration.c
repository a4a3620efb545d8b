/* fuzz_duration.c - duration parsing never crashes, and whatever parses
 * formats back to a string that parses to the same value. */
#include "fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/duration.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char s[256];
  size_t n = size < sizeof s - 1 ? size : sizeof s - 1;
  memcpy(s, data, n);
  s[n] = '\0';
  int64_t ns;
  if (ecsb_duration_parse(s, &ns, NULL) == 0) {
    char buf[40];
    int64_t back;
    ecsb_duration_format(ns, buf, sizeof buf);
    if (ecsb_duration_parse(buf, &back, NULL) != 0 || back != ns)
      abort();
  }
  return 0;
}
