/* fuzz_scenario.c - the scenario parser accepts or rejects any bytes
 * without crashing or leaking; an accepted scenario is self-consistent. */
#include "fuzz.h"

#include <stdint.h>
#include <stdlib.h>

#include "scn/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  scn_scenario *s = NULL;
  /* base_dir "/nonexistent" keeps file references from reading anything. */
  if (scn_scenario_parse((const char *)data, size, "fuzz", "/nonexistent", &s,
                         NULL) == 0) {
    if (!s->name || !s->task_definition || s->task_count < 1 ||
        !(s->time_scale > 0) || !scn_scenario_player(s, "x"))
      abort();
    scn_scenario_free(s);
  }
  return 0;
}
