/*
 * builtin.c - the scenario `ecsboot run` replays without a file: the
 * catalogue's t0-t4.json, whose task_definition path is replaced by the
 * example task definition, both compiled in (scenarios/CMakeLists.txt).
 */
#include <stdlib.h>
#include <string.h>

#include "ecsb/json.h"
#include "scn/runner.h"

extern const unsigned char scn_builtin_scenario[];
extern const size_t scn_builtin_scenario_len;
extern const unsigned char scn_builtin_taskdef[];
extern const size_t scn_builtin_taskdef_len;

int scn_builtin_load(scn_scenario **out, ecsb_err *err) {
  cJSON *sc = NULL, *td = NULL;
  *out = NULL;
  int rc = ecsb_json_parse((const char *)scn_builtin_scenario,
                           scn_builtin_scenario_len, "<built-in>", &sc, err);
  if (!rc)
    rc = ecsb_json_parse((const char *)scn_builtin_taskdef,
                         scn_builtin_taskdef_len,
                         "<built-in>/mesh-task-taskdef.json", &td, err);
  if (rc)
    goto out;
  cJSON_ReplaceItemInObjectCaseSensitive(sc, "task_definition", td);
  td = NULL;
  char *text = cJSON_PrintUnformatted(sc);
  if (!text) {
    rc = ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
    goto out;
  }
  rc = scn_scenario_parse(text, strlen(text), "<built-in>", ".", out, err);
  free(text);
out:
  cJSON_Delete(sc);
  cJSON_Delete(td);
  return rc;
}
