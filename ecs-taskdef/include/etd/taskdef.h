/*
 * taskdef.h - ECS's task-definition semantics, in one place: reading every
 * shape a task definition comes in, ECS's rules with the messages
 * RegisterTaskDefinition answers, the container dependency graph, and
 * health-check and timeout semantics.
 *
 * Why a library of its own (ecs-taskdef/, prefix etd_): fake-ecs's
 * RegisterTaskDefinition, the agent simulator's spec builder
 * (fake-ecs/engine_spec.c), the scenario loader, `ecsboot run` and
 * `ecsboot lint` must accept and reject exactly the same task definitions
 * with the same words. They used to hold three copies of these rules, which
 * drifted apart. The folder depends only on ecsboot-core and cJSON, so lint
 * links neither fake and every consumer includes it one way.
 *
 * Shapes (etd_parse): what `aws ecs describe-task-definition` prints
 * ({"taskDefinition": {...}}), what `register-task-definition
 * --cli-input-json` takes ({"family": ..., "containerDefinitions": [...]}),
 * and Terraform's bare container_definitions array, which gets a family
 * from the caller and one volume per sourceVolume its containers mount
 * (Terraform declares both beside the array). All three become one
 * register-task-definition object.
 *
 * Messages are RegisterTaskDefinition's (fake-ecs answers them as they are,
 * so the AWS CLI sees the same text): a JSON path relative to the task
 * definition ("containerDefinitions[0].dependsOn[1].containerName: ..."),
 * then what is wrong. Type errors are SerializationException, every other
 * rule ClientException. Callers add where the task definition sits in
 * their own input ("$.task_definition", a file name).
 *
 * Rules beyond what fake-ecs checked before (the ECS agent refuses these
 * when it starts the task, so a task definition that breaks them can never
 * run): a healthCheck.command must be ["CMD", argv...] or ["CMD-SHELL",
 * "script"]; dependsOn must not form a cycle; at least one container is
 * essential.
 *
 * Pure: no I/O, no global state; thread-safe on distinct objects.
 */
#ifndef ETD_TASKDEF_H
#define ETD_TASKDEF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ecsb/err.h"

typedef enum etd_shape {
  ETD_SHAPE_REGISTER,   /* register-task-definition's input */
  ETD_SHAPE_DESCRIBE,   /* describe-task-definition's {"taskDefinition":} */
  ETD_SHAPE_CONTAINERS, /* Terraform's bare container_definitions array */
} etd_shape;

typedef enum etd_condition {
  ETD_DEP_START,
  ETD_DEP_COMPLETE,
  ETD_DEP_SUCCESS,
  ETD_DEP_HEALTHY,
  /* The agent's own condition for volumesFrom (agent/api/task/task.go
   * ContainerOrderingCreateCondition): met once the dependency is created,
   * before it runs. A task definition cannot name it in dependsOn. */
  ETD_DEP_CREATE,
} etd_condition;

typedef struct etd_dep {
  const char *container;
  etd_condition condition;
} etd_dep;

/* Durations in milliseconds. In a spec built in code (the engine's tests)
 * 0 selects ECS's default; etd_parse always fills the defaults in. */
typedef struct etd_health {
  const char *const *command; /* NULL: no health check */
  size_t n_command;
  int64_t interval_ms;     /* 5-300 s, default 30 s */
  int64_t timeout_ms;      /* 2-60 s, default 5 s */
  int retries;             /* 1-10, default 3 */
  int64_t start_period_ms; /* 0-300 s, default 0 */
} etd_health;

/* A container's restartPolicy (ContainerRestartPolicy, ECS API
 * Reference): enabled is required; at most 50 ignoredExitCodes;
 * restartAttemptPeriod 60-1800 s, 300 s when absent. What the agent does
 * with it is etd/agent.h's etd_restart_should. */
#define ETD_RESTART_IGNORED_MAX 50
#define ETD_RESTART_PERIOD_MIN_MS 60000
#define ETD_RESTART_PERIOD_MAX_MS 1800000
#define ETD_RESTART_PERIOD_DEFAULT_MS 300000
typedef struct etd_restart {
  bool given; /* the container definition has a restartPolicy */
  bool enabled;
  /* the first ETD_RESTART_IGNORED_MAX codes; n_ignored counts every code
   * given, so that the rule can refuse too many */
  int ignored[ETD_RESTART_IGNORED_MAX];
  size_t n_ignored;
  int64_t attempt_period_ms; /* 0 in a spec built in code: 300 s */
} etd_restart;

/* One container, normalised. The first fields are the agent simulator's
 * container spec (fecs_container_spec is this type). */
typedef struct etd_container {
  const char *name;
  bool essential; /* ECS's default is true */
  const etd_dep *depends_on;
  size_t n_depends_on;
  etd_health health;
  int64_t start_timeout_ms; /* 0: none; at most 1 day */
  int64_t stop_timeout_ms;  /* 0: ECS's 30 s; at most 1 day, 120 s on
                               Fargate */
  /* links ("name" or "name:alias") and each volumesFrom's
   * sourceContainer, as given; the agent orders containers by them too
   * (etd_ordering). */
  const char *const *links;
  size_t n_links;
  const char *const *volumes_from;
  size_t n_volumes_from;
  etd_restart restart;
  /* The agent needs the task's execution-role credentials before it pulls
   * this container's image (etd_needs_execution_credentials). */
  bool exec_creds;
  /* Read from JSON only (NULL / 0 in a spec built in code). */
  const char *image;
  int64_t cpu, memory; /* 0 when absent */
  const cJSON *def;    /* its containerDefinitions entry */
} etd_container;

/* ECS's defaults and ranges (milliseconds). */
#define ETD_HC_INTERVAL_DEFAULT_MS 30000
#define ETD_HC_INTERVAL_MIN_MS 5000
#define ETD_HC_INTERVAL_MAX_MS 300000
#define ETD_HC_TIMEOUT_DEFAULT_MS 5000
#define ETD_HC_TIMEOUT_MIN_MS 2000
#define ETD_HC_TIMEOUT_MAX_MS 60000
#define ETD_HC_RETRIES_DEFAULT 3
#define ETD_HC_RETRIES_MIN 1
#define ETD_HC_RETRIES_MAX 10
#define ETD_HC_START_PERIOD_MAX_MS 300000
#define ETD_STOP_TIMEOUT_DEFAULT_MS 30000
/* ecsboot's own cap on startTimeout/stopTimeout (ECS has none for EC2):
 * one day, so that scaled deadlines can never overflow. */
#define ETD_TIMEOUT_MAX_MS 86400000
/* "For tasks that use the Fargate launch type, the max stop timeout value
 * is 120 seconds" (ContainerDefinition.stopTimeout, ECS API Reference). */
#define ETD_FARGATE_STOP_TIMEOUT_MAX_MS 120000
#define ETD_MAX_CONTAINERS 100

/* Which rule a problem breaks, so lint can give each its own code. */
typedef enum etd_rule {
  ETD_R_TYPE,          /* SerializationException: a field of the wrong type */
  ETD_R_NO_CONTAINERS, /* no containerDefinitions to read */
  ETD_R_NAME,          /* a container name missing, invalid or repeated */
  ETD_R_INVALID,       /* any other ClientException */
  ETD_R_UNKNOWN_DEP,
  ETD_R_CYCLE,
  ETD_R_HEALTHY_NO_CHECK,
  ETD_R_EXIT_ON_ESSENTIAL,
  ETD_R_BAD_CONDITION,
  ETD_R_HEALTH_RANGE,
  ETD_R_HEALTH_COMMAND,
  ETD_R_TIMEOUT_RANGE,
} etd_rule;

typedef struct etd_problem {
  etd_rule rule;
  const char *exception; /* "ClientException", "SerializationException" */
  int container;         /* index, or -1 for the task */
  char path[192];        /* "containerDefinitions[0].healthCheck.retries" */
  char message[ECSB_ERR_MSG_MAX]; /* ECS's message; starts with path */
} etd_problem;

/* What etd_parse found wrong. `all` (in): go on after a rule error, to
 * report every one (lint); otherwise only the first is kept. */
typedef struct etd_problems {
  bool all;
  etd_problem *v;
  size_t n;
} etd_problems;
void etd_problems_clear(etd_problems *ps);

/* A parsed task definition. Every string borrows from json. */
typedef struct etd_taskdef {
  etd_shape shape;
  cJSON *json; /* register-task-definition shape, ECS's defaults filled in */
  const char *family;
  bool awsvpc, any_health_check, any_depends_on;
  etd_container *containers;
  size_t n_containers;
} etd_taskdef;

typedef struct etd_opts {
  /* Accept only the register-task-definition shape (the API itself). */
  bool register_only;
  /* The family given to Terraform's bare array; NULL: "task". */
  const char *family;
} etd_opts;

/* Reads `in` in any shape (opts may be NULL), checks ECS's rules and
 * returns the normalised task definition (a copy: `in` is not kept).
 * ECSB_EINVAL on a rule broken: err holds the first problem's message and
 * `ps` (may be NULL) the problems found; ECSB_ENOMEM. */
int etd_parse(const cJSON *in, const etd_opts *opts, etd_taskdef **out,
              etd_problems *ps, ecsb_err *err);
void etd_taskdef_free(etd_taskdef *t);

/* Only the shape: `in` as register-task-definition's object (a copy, no
 * defaults, no rule checked), for readers that go on past a broken rule
 * (lint). ECSB_EINVAL when it is neither an object nor an array. */
int etd_unwrap(const cJSON *in, const etd_opts *opts, cJSON **out,
               etd_shape *shape, ecsb_err *err);

/* Takes the JSON out of t (the caller now owns and frees it); t's strings
 * stay valid as long as that JSON does. */
cJSON *etd_taskdef_take_json(etd_taskdef *t);

/* The rules on containers alone, for a spec built in code (0 selects a
 * default, no image needed): names, timeouts, health checks, dependsOn and
 * its graph. Same problems and messages as etd_parse. */
int etd_containers_check(const etd_container *c, size_t n, etd_problems *ps,
                         ecsb_err *err);

/* ---- What the ECS agent does with an accepted task definition ---------
 *
 * RegisterTaskDefinition accepts some task definitions the agent then
 * cannot start. The agent orders containers by dependsOn, volumesFrom and
 * links together (agent/api/task/task.go initializeContainerOrdering), and
 * before it starts anything checks that some order reaches every
 * container (agent/engine/dependencygraph/graph.go ValidDependencies,
 * called by docker_task_engine.go UpsertTask): when none does, the task
 * goes to STOPPED without a container started, with the reason
 * ETD_AGENT_UNRESOLVABLE ("Task dependencies cannot be resolved, taskArn:
 * ..."). Lint reports these as errors; `ecsboot run` replays the stopped
 * task; fake-ecs's RegisterTaskDefinition accepts them, as ECS does. */

/* The container's ordering dependencies as the agent builds them
 * (initializeContainerOrdering): its dependsOn as given, then a CREATE
 * dependency on each volumesFrom source, then a START dependency on each
 * link's container (the name before ':'). *out is allocated (free it);
 * its names borrow from c. ECSB_ENOMEM. */
int etd_ordering(const etd_container *c, etd_dep **out, size_t *n);

/* Index among cs[0..n) of the container a dependency of the ordering
 * names (a link's "name:alias" names "name"), or -1. */
int etd_dep_target(const etd_container *cs, size_t n, const etd_dep *d);

/* ValidDependencies over the ordering of n containers (already accepted by
 * etd_parse or etd_containers_check): 0, or ECSB_EINVAL with the first
 * container no order reaches, and why: a HEALTHY dependency on a container
 * without a healthCheck (ETD_R_HEALTHY_NO_CHECK), or a cycle through
 * dependsOn, volumesFrom and links (ETD_R_CYCLE). `ps` as etd_parse's. */
int etd_agent_check(const etd_container *c, size_t n, etd_problems *ps,
                    ecsb_err *err);

/* The agent's stop reason for such a task (engine/errors.go
 * TaskDependencyError), before ", taskArn: <arn>". */
#define ETD_AGENT_UNRESOLVABLE "Task dependencies cannot be resolved"

/* Where a path of a problem sits in a file of that shape:
 * "containerDefinitions[2].name" -> "$.taskDefinition.containerDefinitions
 * [2].name" (describe) or "$[2].name" (bare array). */
void etd_path_in_file(etd_shape shape, const char *path, char *out, size_t cap);

/* "START", ... "CREATE"; ETD_DEP_* from a name dependsOn may use (START,
 * COMPLETE, SUCCESS, HEALTHY; ECSB_EINVAL for anything else, CREATE too). */
const char *etd_condition_name(etd_condition c);
int etd_condition_parse(const char *s, etd_condition *out);

/* ECS's names: 1-255 letters, digits, hyphens and underscores. */
bool etd_valid_name(const char *s);

#endif
