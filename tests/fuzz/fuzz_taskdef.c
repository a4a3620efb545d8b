/* fuzz_taskdef.c - any bytes as a task definition: `ecsboot lint`, the
 * RegisterTaskDefinition checks and the engine's spec reader accept or
 * reject it without crashing or leaking; lint never loses a finding's
 * path or message. */
#include "fuzz.h"

#include <stdint.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "fecs/engine.h"
#include "fecs/fecs.h"
#include "lnt/lint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lnt_result *r = NULL;
  if (lnt_lint((const char *)data, size, "fuzz", NULL, &r, NULL) == 0) {
    for (size_t i = 0; i < r->n; i++)
      if (!r->findings[i].path || !r->findings[i].message ||
          !r->findings[i].rule)
        abort();
    const lnt_result *rs[] = {r};
    free(lnt_render(rs, 1, LNT_SARIF));
    lnt_result_free(r);
  }
  cJSON *j = cJSON_ParseWithLength((const char *)data, size);
  if (j) {
    fecs_task_definition_check(j, NULL);
    fecs_task_spec *spec = NULL;
    if (fecs_task_spec_from_json(j, "$", &spec, NULL) == 0) {
      fecs_engine *e = NULL;
      if (fecs_engine_new(spec, NULL, &e, NULL) == 0) {
        fecs_engine_start(e, 0, NULL);
        fecs_action a;
        fecs_event ev;
        while (fecs_engine_next_action(e, &a) || fecs_engine_next_event(e, &ev))
          ;
        fecs_engine_free(e);
      }
      fecs_task_spec_free(spec);
    }
    cJSON_Delete(j);
  }
  return 0;
}
