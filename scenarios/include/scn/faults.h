/*
 * faults.h - the fault catalogue: every kind of fault a scenario can
 * inject, in one table (faults.c). Each entry names its target and
 * action, its parameters with their types, whether each is required and
 * its default, and says in one line what it does.
 *
 * The scenario loader (scenario.c) validates `faults` against the table,
 * the runner (run_faults.c) dispatches on scn_fault_kind and reads
 * parameters with the table's defaults, and the consul-client stand-in
 * (standin_consul.c) names agent faults as the table does. schema.json and
 * docs/scenarios.md ("faults") are written by hand; tests/test_scn_faults.c
 * fails when either disagrees with the table.
 *
 * The table is constant: every call here is thread-safe.
 */
#ifndef SCN_FAULTS_H
#define SCN_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

typedef enum scn_fault_target {
  SCN_TARGET_ECS_API,
  SCN_TARGET_METADATA,
  SCN_TARGET_CREDENTIALS,
  SCN_TARGET_CONSUL_SERVER,
  SCN_TARGET_AGENT,
  SCN_TARGET_CONTAINER,
  SCN_TARGET_PORT,
  SCN_TARGET_TASK,
  SCN_TARGET_COUNT
} scn_fault_target;

/* One per row of the catalogue, in the table's order. */
typedef enum scn_fault_kind {
  SCN_FAULT_ECS_API_LATENCY,
  SCN_FAULT_ECS_API_ERROR,
  SCN_FAULT_ECS_API_THROTTLE,
  SCN_FAULT_METADATA_DOWN,
  SCN_FAULT_METADATA_SLOW,
  SCN_FAULT_METADATA_MALFORMED,
  SCN_FAULT_CREDENTIALS_DOWN,
  SCN_FAULT_CREDENTIALS_SLOW,
  SCN_FAULT_CREDENTIALS_MALFORMED,
  SCN_FAULT_CONSUL_SERVER_DOWN,
  SCN_FAULT_CONSUL_SERVER_NO_LEADER,
  SCN_FAULT_CONSUL_SERVER_SLOW,
  SCN_FAULT_CONSUL_SERVER_REGISTER_ERROR,
  SCN_FAULT_AGENT_CRASH,
  SCN_FAULT_AGENT_SLOW_JOIN,
  SCN_FAULT_AGENT_REGISTER_ERROR,
  SCN_FAULT_AGENT_ACL_DENY,
  SCN_FAULT_CONTAINER_EXIT,
  SCN_FAULT_CONTAINER_CRASH_AFTER,
  SCN_FAULT_CONTAINER_SLOW_START,
  SCN_FAULT_CONTAINER_HANG,
  SCN_FAULT_CONTAINER_HEALTH_FAIL,
  SCN_FAULT_CONTAINER_HEALTH_FLAP,
  SCN_FAULT_CONTAINER_KILL,
  SCN_FAULT_PORT_TAKEN,
  SCN_FAULT_PORT_SLOW_ACCEPT,
  SCN_FAULT_TASK_STOP,
  SCN_FAULT_KIND_COUNT
} scn_fault_kind;

typedef enum scn_fault_param_type {
  SCN_PARAM_DURATION, /* a duration string ("1.5s"), not negative */
  SCN_PARAM_INTEGER,  /* a JSON integer (32-bit) */
  SCN_PARAM_NUMBER,   /* a JSON number, not negative */
  SCN_PARAM_STRING,
} scn_fault_param_type;

#define SCN_FAULT_MAX_PARAMS 3

typedef struct scn_fault_param {
  const char *name; /* NULL ends a spec's list */
  scn_fault_param_type type;
  bool required;
  /* Used when the scenario leaves it out (in the type's text form, e.g.
   * "1" or "0s"); NULL: none, the fault's effect says what absence means
   * (`operation`: every operation). */
  const char *def;
} scn_fault_param;

typedef struct scn_fault_target_spec {
  const char *name;     /* as in scenario files: "ecs_api" */
  const char *targets;  /* one line: what it acts on */
  bool run_wide;        /* one for the run, not one per task */
  bool needs_container; /* the fault names a container of the task */
} scn_fault_target_spec;

typedef struct scn_fault_spec {
  scn_fault_kind kind;
  scn_fault_target target;
  const char *action; /* as in scenario files: "latency" */
  scn_fault_param params[SCN_FAULT_MAX_PARAMS + 1];
  const char *description; /* one line */
} scn_fault_spec;

/* The catalogue, indexed by kind / target. Never NULL for a valid value. */
const scn_fault_spec *scn_fault_spec_of(scn_fault_kind kind);
const scn_fault_target_spec *scn_fault_target_of(scn_fault_target target);

/* The kind named by target and action. Returns 0, or -1 when no target has
 * that name, -2 when the target has no such action. */
int scn_fault_lookup(const char *target, const char *action,
                     scn_fault_kind *out);

/* The parameter `name` of kind; NULL when the kind takes none by that
 * name. */
const scn_fault_param *scn_fault_param_of(scn_fault_kind kind,
                                          const char *name);

/* A parameter's value from a validated `params` object, or its default
 * from the table when absent. A parameter with neither gives NULL, 0 and
 * 0. Durations are in scenario time (microseconds, not scaled). */
const char *scn_fault_param_str(scn_fault_kind kind, const cJSON *params,
                                const char *name);
double scn_fault_param_num(scn_fault_kind kind, const cJSON *params,
                           const char *name);
int64_t scn_fault_param_dur_us(scn_fault_kind kind, const cJSON *params,
                               const char *name);

#endif
