/* fuzz_redact.c - redaction and logfmt formatting of arbitrary text never
 * crash, never overrun, and never leave a secret that follows a marker. */
#include "fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char s[1024];
  size_t n = size < sizeof s - 1 ? size : sizeof s - 1;
  memcpy(s, data, n);
  s[n] = '\0';
  ecsb_redact(s, sizeof s);
  if (strlen(s) >= sizeof s)
    abort();
  /* A secret appended after a marker must always be removed (the input
   * may itself contain the same text elsewhere; only the marked one must
   * go). */
  char t[2048];
  size_t tl = strlen(s);
  memcpy(t, s, tl);
  strcpy(t + tl, "\nX-Consul-Token: SECRET-42\n");
  ecsb_redact(t, sizeof t);
  if (strstr(t, "X-Consul-Token: SECRET-42"))
    abort();
  char line[512];
  const char *kv[] = {"k", s};
  ecsb_log_format(line, sizeof line, ECSB_LOG_INFO, s, kv, 2);
  if (strlen(line) >= sizeof line)
    abort();
  return 0;
}
