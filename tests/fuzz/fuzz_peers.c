/* fuzz_peers.c - what ecsboot-init reads from its peers, as any bytes: a
 * task metadata /task body, a Consul /v1/agent/self body, and a
 * DescribeTasks answer's tasks array (discover-servers' selection). Each
 * parser accepts or rejects without crashing or leaking. */
#include "fuzz.h"

#include <stdint.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "ecsb/consul.h"
#include "ecsb/ecs.h"
#include "ecsb/metadata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ecsb_task_meta *m = NULL;
  if (ecsb_task_meta_parse((const char *)data, size, "fuzz", &m, NULL) == 0)
    ecsb_task_meta_free(m);
  ecsb_consul_self self;
  ecsb_consul_self_parse((const char *)data, size, &self, NULL);
  cJSON *j = cJSON_ParseWithLength((const char *)data, size);
  if (j) {
    const cJSON *tasks = cJSON_GetObjectItemCaseSensitive(j, "tasks");
    ecsb_ecs_pick pick;
    char seen[512];
    ecsb_ecs_pick_server(tasks ? tasks : j, "consul-server", false, &pick, seen,
                         sizeof seen, NULL);
    ecsb_ecs_pick_server(tasks ? tasks : j, "consul-server", true, &pick, seen,
                         sizeof seen, NULL);
    cJSON_Delete(j);
  }
  return 0;
}
