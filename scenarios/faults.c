/*
 * faults.c - the fault catalogue (see faults.h): the one table of fault
 * kinds, their targets and parameters. A new fault is a row here, a case
 * in run_faults.c's dispatch, and the same row in schema.json and
 * docs/scenarios.md (tests/test_scn_faults.c holds them together).
 *
 * Only data and lookups: no scenario parsing, no runner state.
 */
#include "scn/faults.h"

#include <stdlib.h>
#include <string.h>

#include "ecsb/duration.h"

#define D SCN_PARAM_DURATION
#define I SCN_PARAM_INTEGER
#define N SCN_PARAM_NUMBER
#define S SCN_PARAM_STRING

static const scn_fault_target_spec targets[SCN_TARGET_COUNT] = {
    [SCN_TARGET_ECS_API] = {"ecs_api", "the fake ECS API", true, false},
    [SCN_TARGET_METADATA] = {"metadata", "the task metadata endpoint", true,
                             false},
    [SCN_TARGET_CREDENTIALS] = {"credentials",
                                "the container credentials endpoint", true,
                                false},
    [SCN_TARGET_CONSUL_SERVER] = {"consul_server", "the Consul server task",
                                  true, false},
    [SCN_TARGET_AGENT] = {"agent", "the task's consul-client agent", false,
                          false},
    [SCN_TARGET_CONTAINER] = {"container", "one container of the task", false,
                              true},
    [SCN_TARGET_PORT] = {"port", "a port on the task's address", false, false},
    [SCN_TARGET_TASK] = {"task", "the task as ECS sees it", false, false},
};

static const scn_fault_spec specs[SCN_FAULT_KIND_COUNT] = {
    {SCN_FAULT_ECS_API_LATENCY,
     SCN_TARGET_ECS_API,
     "latency",
     {{"delay", D, true, NULL}, {"operation", S, false, NULL}},
     "every answer (of one operation) is delayed"},
    {SCN_FAULT_ECS_API_ERROR,
     SCN_TARGET_ECS_API,
     "error",
     {{"type", S, true, NULL},
      {"count", I, false, "0"},
      {"operation", S, false, NULL}},
     "the next count calls (0: every call) fail with the error type"},
    {SCN_FAULT_ECS_API_THROTTLE,
     SCN_TARGET_ECS_API,
     "throttle",
     {{"burst", I, true, NULL},
      {"rate", N, true, NULL},
      {"operation", S, false, NULL}},
     "calls beyond a token bucket get ThrottlingException"},
    {SCN_FAULT_METADATA_DOWN,
     SCN_TARGET_METADATA,
     "down",
     {{0}},
     "connections are refused"},
    {SCN_FAULT_METADATA_SLOW,
     SCN_TARGET_METADATA,
     "slow",
     {{"delay", D, true, NULL}},
     "every answer is delayed"},
    {SCN_FAULT_METADATA_MALFORMED,
     SCN_TARGET_METADATA,
     "malformed",
     {{0}},
     "answers are not valid JSON"},
    {SCN_FAULT_CREDENTIALS_DOWN,
     SCN_TARGET_CREDENTIALS,
     "down",
     {{0}},
     "connections are refused"},
    {SCN_FAULT_CREDENTIALS_SLOW,
     SCN_TARGET_CREDENTIALS,
     "slow",
     {{"delay", D, true, NULL}},
     "every answer is delayed"},
    {SCN_FAULT_CREDENTIALS_MALFORMED,
     SCN_TARGET_CREDENTIALS,
     "malformed",
     {{0}},
     "answers are not valid JSON"},
    {SCN_FAULT_CONSUL_SERVER_DOWN,
     SCN_TARGET_CONSUL_SERVER,
     "down",
     {{0}},
     "the server stops answering"},
    {SCN_FAULT_CONSUL_SERVER_NO_LEADER,
     SCN_TARGET_CONSUL_SERVER,
     "no_leader",
     {{0}},
     "the server answers without a leader"},
    {SCN_FAULT_CONSUL_SERVER_SLOW,
     SCN_TARGET_CONSUL_SERVER,
     "slow",
     {{"delay", D, true, NULL}},
     "every answer is delayed"},
    {SCN_FAULT_CONSUL_SERVER_REGISTER_ERROR,
     SCN_TARGET_CONSUL_SERVER,
     "register_error",
     {{"status", I, true, NULL},
      {"count", I, false, "1"},
      {"body", S, false, "rpc error: injected by ecsboot"}},
     "the next count catalog registrations (agents' syncs) get that answer"},
    {SCN_FAULT_AGENT_CRASH,
     SCN_TARGET_AGENT,
     "crash",
     {{"restart_after", D, false, "0s"}},
     "the agent leaves and refuses connections, then restarts and rejoins"},
    {SCN_FAULT_AGENT_SLOW_JOIN,
     SCN_TARGET_AGENT,
     "slow_join",
     {{"delay", D, true, NULL}},
     "each join attempt takes that long more"},
    {SCN_FAULT_AGENT_REGISTER_ERROR,
     SCN_TARGET_AGENT,
     "register_error",
     {{"status", I, true, NULL},
      {"count", I, false, "1"},
      {"body", S, false, "injected by ecsboot"}},
     "the next count service registrations get that answer"},
    {SCN_FAULT_AGENT_ACL_DENY,
     SCN_TARGET_AGENT,
     "acl_deny",
     {{0}},
     "service endpoints answer 403 Permission denied"},
    {SCN_FAULT_CONTAINER_EXIT,
     SCN_TARGET_CONTAINER,
     "exit",
     {{"code", I, true, NULL}},
     "the container exits with the code as soon as it runs"},
    {SCN_FAULT_CONTAINER_CRASH_AFTER,
     SCN_TARGET_CONTAINER,
     "crash_after",
     {{"delay", D, true, NULL}, {"code", I, false, "1"}},
     "the container exits with the code that long after it started"},
    {SCN_FAULT_CONTAINER_SLOW_START,
     SCN_TARGET_CONTAINER,
     "slow_start",
     {{"delay", D, true, NULL}},
     "the process starts that long after ECS decided to start it"},
    {SCN_FAULT_CONTAINER_HANG,
     SCN_TARGET_CONTAINER,
     "hang",
     {{0}},
     "the process is frozen (SIGSTOP)"},
    {SCN_FAULT_CONTAINER_HEALTH_FAIL,
     SCN_TARGET_CONTAINER,
     "health_fail",
     {{0}},
     "every ECS health check fails"},
    {SCN_FAULT_CONTAINER_HEALTH_FLAP,
     SCN_TARGET_CONTAINER,
     "health_flap",
     {{"period", D, true, NULL}},
     "ECS health checks pass and fail by turns, each for a period"},
    {SCN_FAULT_CONTAINER_KILL,
     SCN_TARGET_CONTAINER,
     "kill",
     {{"signal", S, true, NULL}},
     "the process gets the signal"},
    {SCN_FAULT_PORT_TAKEN,
     SCN_TARGET_PORT,
     "taken",
     {{"port", I, true, NULL}},
     "a listener that never accepts holds the port"},
    {SCN_FAULT_PORT_SLOW_ACCEPT,
     SCN_TARGET_PORT,
     "slow_accept",
     {{"port", I, true, NULL}, {"delay", D, true, NULL}},
     "the runner's health-check probes to the port are delayed"},
    {SCN_FAULT_TASK_STOP,
     SCN_TARGET_TASK,
     "stop",
     /* no default here: StopTask's own ("Task stopped by user") applies */
     {{"reason", S, false, NULL}},
     "StopTask, with the reason"},
};

#undef D
#undef I
#undef N
#undef S

const scn_fault_spec *scn_fault_spec_of(scn_fault_kind kind) {
  return (unsigned)kind < SCN_FAULT_KIND_COUNT ? &specs[kind] : NULL;
}

const scn_fault_target_spec *scn_fault_target_of(scn_fault_target target) {
  return (unsigned)target < SCN_TARGET_COUNT ? &targets[target] : NULL;
}

int scn_fault_lookup(const char *target, const char *action,
                     scn_fault_kind *out) {
  bool target_known = false;
  for (size_t i = 0; i < SCN_FAULT_KIND_COUNT; i++) {
    if (strcmp(targets[specs[i].target].name, target) != 0)
      continue;
    target_known = true;
    if (strcmp(specs[i].action, action) == 0) {
      *out = specs[i].kind;
      return 0;
    }
  }
  return target_known ? -2 : -1;
}

const scn_fault_param *scn_fault_param_of(scn_fault_kind kind,
                                          const char *name) {
  const scn_fault_spec *fs = scn_fault_spec_of(kind);
  for (const scn_fault_param *p = fs ? fs->params : NULL; p && p->name; p++)
    if (strcmp(p->name, name) == 0)
      return p;
  return NULL;
}

const char *scn_fault_param_str(scn_fault_kind kind, const cJSON *params,
                                const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, name);
  if (cJSON_IsString(v))
    return v->valuestring;
  const scn_fault_param *p = scn_fault_param_of(kind, name);
  return p ? p->def : NULL;
}

double scn_fault_param_num(scn_fault_kind kind, const cJSON *params,
                           const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, name);
  if (cJSON_IsNumber(v))
    return v->valuedouble;
  const scn_fault_param *p = scn_fault_param_of(kind, name);
  return p && p->def ? strtod(p->def, NULL) : 0;
}

int64_t scn_fault_param_dur_us(scn_fault_kind kind, const cJSON *params,
                               const char *name) {
  const char *v = scn_fault_param_str(kind, params, name);
  int64_t ns = 0;
  ecsb_err e = {0};
  if (!v || ecsb_duration_parse(v, &ns, &e))
    return 0; /* validated when the scenario was parsed */
  return ns / 1000;
}
