/*
 * engine.h - the ECS agent's container-ordering and health-check engine for
 * ONE task: a deterministic state machine on a virtual clock.
 *
 * Owns: dependsOn resolution, the health-check schedule and verdicts, the
 * essential-container and StopTask stop sequences (SIGTERM, then SIGKILL
 * after stopTimeout), the task's lastStatus and healthStatus, and the
 * per-container timestamps. It starts no process, opens no socket and reads
 * no clock. Its caller (the runner's agent simulator) passes `now`
 * (microseconds, >= 0, never decreasing) to every call, performs the
 * ACTIONS the engine queues (start a container, run its health-check
 * command, send a signal), reports back what happened, and copies the
 * EVENTS it queues into the event log (docs/events.md). One engine per
 * task, driven from one thread; the engine owns the task's agent-side
 * state, and fake-ecs's API and metadata endpoint read it from here
 * (fecs_task_engine_new in fecs.h) from their own threads, so every call
 * except fecs_engine_new/free and the spec's queries (container_count,
 * _find, _spec) holds the engine's mutex: the query functions are
 * thread-safe, the driving calls must still come from one thread.
 *
 * Usage sketch (the runner):
 *
 *   fecs_task_spec *spec;   // from the registered task definition
 *   fecs_task_spec_from_json(td, "$.task_definition", &spec, &err);
 *   fecs_engine_opts o = {.scale = scale_us, .scale_ctx = scenario};
 *   fecs_engine_new(spec, &o, &e, &err);
 *   fecs_engine_start(e, now(), &err);
 *   for (;;) {
 *     fecs_action a;  fecs_event ev;
 *     while (fecs_engine_next_action(e, &a)) perform(a);  // spawn, check, kill
 *     while (fecs_engine_next_event(e, &ev)) log(ev);     // rpt_log_emit_at
 *     if (task_info.status == FECS_TASK_STOPPED) break;
 *     wait for a child exit / check result / StopTask, at most until
 *       fecs_engine_next_deadline(e);
 *     then fecs_engine_container_started / _start_failed / _exited /
 *       fecs_engine_health_result / fecs_engine_stop_task, or
 *       fecs_engine_tick(e, now()).
 *   }
 *
 * Every START action must be answered with _container_started or
 * _container_start_failed (unless opts.container_start_timeout_us gave up on
 * it first: the container is then NOT_STARTED and a late answer is
 * ECSB_ESTATE); every RUN_HEALTH_CHECK with _health_result (a
 * run longer than the action's timeout_us is reported as a failure); every
 * started container eventually with _container_exited.
 *
 * ECS facts this follows, and where they come from:
 *  - Conditions (ContainerDependency, ECS API Reference; amazon-ecs-agent
 *    agent/engine/dependencygraph/graph.go
 *    containerOrderingDependenciesIsResolved): START is met once the
 *    dependency has started (and stays met after it stops), COMPLETE once it
 *    exited with any code, SUCCESS once it exited 0, HEALTHY while its
 *    health status is HEALTHY, CREATE (the agent's own, for volumesFrom)
 *    once it is created: here, once its START is queued (FECS_C_STARTING),
 *    before it runs. COMPLETE and SUCCESS "can't be set on an essential
 *    container" (RegisterTaskDefinition answers "A dependency container
 *    with SUCCESS or COMPLETE condition cannot be an essential container",
 *    boto3 issue #2436): a validation error here, as are unknown names,
 *    self-dependencies and dependsOn cycles.
 *  - The ordering (agent/api/task/task.go initializeContainerOrdering):
 *    dependsOn, then a CREATE dependency per volumesFrom source, then a
 *    START dependency per link (etd_ordering). What RegisterTaskDefinition
 *    accepts but no order can start (graph.go ValidDependencies: a HEALTHY
 *    dependency on a container without a healthCheck, a cycle through
 *    volumesFrom, links and dependsOn; etd_agent_check) stops the task at
 *    fecs_engine_start before any container starts
 *    (docker_task_engine.go UpsertTask): stopCode TaskFailedToStart,
 *    stoppedReason "Task dependencies cannot be resolved, taskArn: <arn>".
 *  - A dependency that can never be met is a terminal error for the
 *    WAITING container (amazon-ecs-agent PR #3218, issue #2579;
 *    graph.go verifyContainerOrderingStatusResolvable): it is marked
 *    stopped without starting, exit code 143, with a
 *    "CannotStartContainerError: ..." reason; the task stops only when that
 *    container is essential, otherwise the rest of the task carries on (a
 *    chain reaction through containers that depended on it). Terminal:
 *    a SUCCESS target exited non-zero; any target that will never start;
 *    a target past its startTimeout; and here also a HEALTHY target that
 *    exited. A HEALTHY target that is UNHEALTHY is NOT terminal: the
 *    dependent keeps waiting and starts if it becomes HEALTHY again;
 *    without a startTimeout on the target the task stays PENDING for good
 *    (a FECS_EV_CONTAINER_WAITING event says why).
 *  - startTimeout belongs to the DEPENDENCY (ContainerDefinition.startTimeout:
 *    "If a startTimeout value is specified for containerB and it doesn't
 *    reach the desired status within that time then containerA gives up";
 *    graph.go hasDependencyTimedOut): counted from the dependency's start,
 *    only for COMPLETE/SUCCESS/HEALTHY, never once it has exited, and only
 *    while the condition is unmet. Unset (0) means no limit, as in the agent
 *    (GetStartTimeout() <= 0); Fargate accepts 2-120 s. The agent's instance
 *    setting ECS_CONTAINER_START_TIMEOUT is another limit (below).
 *  - Health checks (HealthCheck, ECS API Reference and the aws-sdk-go-v2 ECS
 *    model): interval 5-300 s (default 30), timeout 2-60 s (default 5),
 *    retries 1-10 (default 3), startPeriod 0-300 s (default off); "If a
 *    health check succeeds within the startPeriod, then the container is
 *    considered healthy and any subsequent failures count". ECS maps them
 *    to Docker's HEALTHCHECK, whose reference says: the first check runs
 *    `interval` after the container starts and each next one `interval`
 *    after the previous one completes; a run longer than `timeout` fails;
 *    any success makes it healthy (resetting the failure streak); `retries`
 *    consecutive failures make it unhealthy; while it has never passed, a
 *    failure of a check that started inside the start period does not count.
 *    Container status UNKNOWN means not decided yet (or no check).
 *    fecs_engine_opts.first_check_at_start runs the first check at start
 *    instead, for scenarios that want that.
 *  - Task healthStatus (HealthCheck, ECS API Reference): over the essential
 *    containers that have a check, UNHEALTHY if any is UNHEALTHY, else
 *    UNKNOWN if any is UNKNOWN, else HEALTHY; non-essential containers count
 *    only when no essential container has a check; none at all: UNKNOWN.
 *  - Task lastStatus (task lifecycle, ECS Developer Guide; agent task.go
 *    updateTaskKnownStatus, "task known status is the minimum of container
 *    known status"): PROVISIONING, PENDING until every container has
 *    started (or stopped for good), ACTIVATING, RUNNING, then DEACTIVATING
 *    (only from RUNNING), STOPPING, DEPROVISIONING once every container has
 *    stopped, STOPPED. The steps ECS spends on networking and load
 *    balancers take no time here.
 *  - An essential container that stops sets the task's desired status to
 *    STOPPED (task.go updateTaskDesiredStatusUnsafe): stopCode
 *    EssentialContainerExited, stoppedReason "Essential container in task
 *    exited". A terminal dependency error or spawn failure of an essential
 *    container: stopCode TaskFailedToStart, stoppedReason the container's
 *    CannotStartContainerError reason (TaskStopCode enum, ECS API Reference).
 *    StopTask: stopCode UserInitiated, stoppedReason the given reason (at
 *    most 255 characters, StopTask API Reference); no reason: "Task stopped
 *    by user" (the text ECS shows; corroborated only by third parties).
 *  - Before a container is created the agent pulls its image
 *    (docker_task_engine.go pullContainer): by default once its ordering
 *    lets it be created, with ECS_PULL_DEPENDENT_CONTAINERS_UPFRONT as soon
 *    as the task starts (etd_pull_may_begin); a container that needs the
 *    execution-role credentials, secrets or registry auth waits for them
 *    first (graph.go executionCredentialsResolved), and a failed fetch
 *    stops the task (TaskFailedToStart, ResourceInitializationError).
 *    The container stays PENDING while it waits and pulls.
 *  - ECS_CONTAINER_START_TIMEOUT bounds `docker start` (dockerapi's
 *    StartContainer timeout): a container whose start is not confirmed in
 *    time is given up (DockerTimeoutError), and an essential one stops the
 *    task (TaskFailedToStart). It is not startTimeout, which is how long
 *    dependents wait for a dependency's condition.
 *  - restartPolicy (task_manager.go, restart_tracker.go ShouldRestart,
 *    etd_restart_should): a container that exits while the task runs is
 *    started again unless its exit code is ignored or it ran less than
 *    restartAttemptPeriod since its last (re)start; a restarted essential
 *    container does not stop the task, and its dependents never see it
 *    COMPLETE. Its health (and failure streak) carries on; checks resume
 *    one interval after the new start.
 *  - Stopping (StopTask API Reference, ContainerDefinition.stopTimeout):
 *    SIGTERM, then SIGKILL after the container's stopTimeout (default 30 s)
 *    if it is still running. Shutdown runs in reverse dependency order
 *    ("When a dependency is defined for container startup, for container
 *    shutdown it is reversed", ContainerDependency; graph.go
 *    verifyShutdownOrder): a container gets SIGTERM only once every
 *    container that depends on it has stopped (fecs_engine_opts
 *    .sigterm_all_at_once: every container at once). Containers that never
 *    started are marked stopped without a signal. No new health check is
 *    started once a container has been sent SIGTERM.
 */
#ifndef FECS_ENGINE_H
#define FECS_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ecsb/err.h"
#include "etd/taskdef.h"

/* A timestamp that never happened, and "no deadline pending". */
#define FECS_NEVER ((int64_t)-1)
#define FECS_NO_DEADLINE INT64_MAX
/* Longest stoppedReason / container reason kept (ECS allows 255). */
#define FECS_REASON_MAX 255

/* ---- Task specification (a task definition's container graph) ---- */

/* The spec is ecs-taskdef's normalised container (etd/taskdef.h): the
 * agent simulator runs exactly what the task-definition rules accepted. */
typedef etd_condition fecs_dep_condition;
#define FECS_DEP_START ETD_DEP_START
#define FECS_DEP_COMPLETE ETD_DEP_COMPLETE
#define FECS_DEP_SUCCESS ETD_DEP_SUCCESS
#define FECS_DEP_HEALTHY ETD_DEP_HEALTHY
#define FECS_DEP_CREATE ETD_DEP_CREATE

typedef etd_dep fecs_dependency;

/* Durations in milliseconds as the task definition has them (unscaled);
 * 0 selects ECS's default. command == NULL: no health check. The command
 * is kept exactly as given ("CMD", argv... or "CMD-SHELL", "script"). */
typedef etd_health fecs_health_spec;
typedef etd_container fecs_container_spec;

typedef struct fecs_task_spec {
  const fecs_container_spec *containers;
  size_t n_containers;
} fecs_task_spec;

/* ECS's defaults and ranges (milliseconds). */
#define FECS_HC_INTERVAL_DEFAULT_MS ETD_HC_INTERVAL_DEFAULT_MS
#define FECS_HC_TIMEOUT_DEFAULT_MS ETD_HC_TIMEOUT_DEFAULT_MS
#define FECS_HC_RETRIES_DEFAULT ETD_HC_RETRIES_DEFAULT
#define FECS_STOP_TIMEOUT_DEFAULT_MS ETD_STOP_TIMEOUT_DEFAULT_MS

/* Validates `in` with ecs-taskdef's rules and messages
 * ("containerDefinitions[3].dependsOn[0].containerName: no container named
 * 'proxy' in this task definition") and returns a deep copy with ECS's defaults
 * filled in; the copy owns its strings and is freed with
 * fecs_task_spec_free. ECSB_EINVAL on a bad spec. */
int fecs_task_spec_normalise(const fecs_task_spec *in, fecs_task_spec **out,
                             ecsb_err *err);

/* Reads a task definition in any shape etd_parse reads (describe's
 * {"taskDefinition": {...}}, register's, Terraform's bare array), with
 * ECS's rules, then normalises. `path` is the JSON path of `td` for
 * messages ("$" or "$.task_definition"), prefixed to etd's message. */
int fecs_task_spec_from_json(const cJSON *td, const char *path,
                             fecs_task_spec **out, ecsb_err *err);

/* Frees a spec returned by the two functions above (NULL is fine); never
 * call it on a spec the caller assembled itself. */
void fecs_task_spec_free(fecs_task_spec *spec);

/* ---- The engine ---- */

typedef enum fecs_container_state {
  FECS_C_PENDING,     /* waiting for its dependencies */
  FECS_C_STARTING,    /* START queued, the caller has not confirmed yet:
                         the agent's CREATED (a CREATE dependency holds) */
  FECS_C_RUNNING,     /* started */
  FECS_C_STOPPING,    /* SIGTERM sent, still running */
  FECS_C_STOPPED,     /* exited */
  FECS_C_NOT_STARTED, /* stopped for good without ever running */
} fecs_container_state;

typedef enum fecs_health {
  FECS_HEALTH_UNKNOWN,
  FECS_HEALTH_HEALTHY,
  FECS_HEALTH_UNHEALTHY,
} fecs_health;

typedef enum fecs_task_status {
  FECS_TASK_NONE, /* before fecs_engine_start */
  FECS_TASK_PROVISIONING,
  FECS_TASK_PENDING,
  FECS_TASK_ACTIVATING,
  FECS_TASK_RUNNING,
  FECS_TASK_DEACTIVATING,
  FECS_TASK_STOPPING,
  FECS_TASK_DEPROVISIONING,
  FECS_TASK_STOPPED,
} fecs_task_status;

typedef enum fecs_action_kind {
  FECS_ACT_START,            /* start the container's process */
  FECS_ACT_RUN_HEALTH_CHECK, /* run its health-check command once */
  FECS_ACT_SIGTERM,
  FECS_ACT_SIGKILL,
} fecs_action_kind;

typedef struct fecs_action {
  fecs_action_kind kind;
  int64_t t_us;
  size_t container;           /* index in the spec */
  const char *container_name; /* borrowed from the engine */
  int64_t timeout_us;         /* RUN_HEALTH_CHECK: scaled healthCheck.timeout */
} fecs_action;

typedef enum fecs_event_kind {
  FECS_EV_TASK_STATUS,         /* task.status: status */
  FECS_EV_TASK_HEALTH,         /* task.health: health */
  FECS_EV_TASK_STOP_REQUESTED, /* task.stop_requested: stop_code, reason */
  FECS_EV_CONTAINER_PENDING,
  FECS_EV_CONTAINER_STARTED,
  FECS_EV_CONTAINER_HEALTHY,
  FECS_EV_CONTAINER_UNHEALTHY,
  FECS_EV_CONTAINER_EXITED,      /* exit_code */
  FECS_EV_CONTAINER_KILLED,      /* signal (SIGTERM or SIGKILL) */
  FECS_EV_CONTAINER_NOT_STARTED, /* reason; exit_code 143 when ECS sets it */
  FECS_EV_CONTAINER_WAITING,     /* reason: a dependency it waits for is
                                    UNHEALTHY (the agent keeps waiting) */
  FECS_EV_CONTAINER_PULLING,     /* image, duration_us: its pull began (only
                                    for a pull that takes time) */
  FECS_EV_CONTAINER_PULLED,      /* image */
  FECS_EV_TASK_CREDENTIALS,      /* ok, reason (the error when not ok): the
                                    execution-role credentials, secrets and
                                    registry auth were fetched, or not */
  FECS_EV_CONTAINER_RESTARTING,  /* exit_code, count: the agent restarts the
                                    container that exited (restartPolicy) */
} fecs_event_kind;

typedef struct fecs_event {
  fecs_event_kind kind;
  int64_t t_us;
  int container;              /* index, -1 for task events */
  const char *container_name; /* borrowed; NULL for task events */
  fecs_task_status status;
  fecs_health health;
  bool has_exit_code;
  int exit_code;
  int signal;
  const char *stop_code; /* borrowed; STOP_REQUESTED */
  const char *reason;    /* borrowed; STOP_REQUESTED, NOT_STARTED, WAITING,
                            TASK_CREDENTIALS */
  const char *image;     /* borrowed; PULLING, PULLED */
  int64_t duration_us;   /* PULLING: how long the pull takes (engine clock) */
  int count;             /* RESTARTING: restarts so far, this one included */
  bool ok;               /* TASK_CREDENTIALS */
} fecs_event;

typedef int64_t (*fecs_scale_fn)(void *ctx, int64_t scenario_us);

typedef struct fecs_engine_opts {
  /* Maps a task-definition duration (us) to the clock the caller drives
   * (the runner passes scn_scale_us). NULL: durations are used as given. */
  fecs_scale_fn scale;
  void *scale_ctx;
  /* false (Docker): the first check runs one interval after the start. */
  bool first_check_at_start;
  /* true: a stopping task sends SIGTERM to every running container at
   * once, as consul-ecs's documentation describes ECS stopping a task and
   * as Fargate tasks behave (the reason consul-ecs added envoy-entrypoint
   * and health-sync's critical-on-SIGTERM); false (the default): reverse
   * dependency order, as the ContainerDependency reference and the EC2
   * agent's graph.go describe. */
  bool sigterm_all_at_once;
  /* The wall clock (epoch us) that stamps each change for what shows it
   * (fake-ecs's DescribeTasks and metadata timestamps): read once per
   * driving call, so a change is stamped when it was reported. NULL:
   * changes carry no wall stamp (FECS_NEVER). Must not call back into the
   * engine. */
  int64_t (*wall_us)(void *ctx);
  void *wall_ctx;
  /* The task's ARN, for the stop reason of a task whose dependencies the
   * agent cannot resolve (copied; NULL: none). */
  const char *task_arn;
  /* Image pulls: pull_us[i] is how long container i's image takes to pull
   * (task-definition time, us, mapped by `scale`; copied); NULL or 0: the
   * image is cached and the pull takes no time (no event). A second
   * container of the task with the same image shares the first one's pull
   * (the agent's image manager pulls an image once at a time; once pulled
   * it is cached). pull_upfront: ECS_PULL_DEPENDENT_CONTAINERS_UPFRONT
   * (etd_pull_may_begin). */
  const int64_t *pull_us;
  size_t n_pull_us;
  bool pull_upfront;
  /* How long fetching the execution-role credentials, secrets and registry
   * auth takes (task-definition time, us), for a task with a container
   * that needs them (etd_needs_execution_credentials); credentials_error
   * non-NULL: the fetch fails with it (copied) and the task stops,
   * TaskFailedToStart, etd_resource_init_reason. */
  int64_t credentials_us;
  const char *credentials_error;
  /* ECS_CONTAINER_START_TIMEOUT (task-definition time, us): a START not
   * answered by _container_started within it gives up on the container
   * (etd_start_timeout_reason; the task stops if it is essential). 0: no
   * limit (the runner passes the agent's default, 3m). */
  int64_t container_start_timeout_us;
} fecs_engine_opts;

typedef struct fecs_engine fecs_engine;

/* Validates and copies spec (the caller may free it afterwards). opts may
 * be NULL. Queues nothing until fecs_engine_start. */
int fecs_engine_new(const fecs_task_spec *spec, const fecs_engine_opts *opts,
                    fecs_engine **out, ecsb_err *err);
void fecs_engine_free(fecs_engine *e);

/* Driving calls. Each one first applies its input, then everything due at
 * `now` (health checks, SIGKILLs, startTimeouts), then resolves the
 * dependency graph; actions and events it causes are queued stamped `now`.
 * Errors: ECSB_EINVAL (time went backwards, bad argument), ECSB_ENOTFOUND
 * (no such container), ECSB_ESTATE (not valid in the container's or task's
 * state), ECSB_ETOOBIG (the caller stopped draining the queues; the engine
 * then refuses every further call). */
int fecs_engine_start(fecs_engine *e, int64_t now, ecsb_err *err);
int fecs_engine_container_started(fecs_engine *e, const char *name, int64_t now,
                                  ecsb_err *err);
/* The process could not be started (spawn failed); reason is kept as
 * "CannotStartContainerError: <reason>". */
int fecs_engine_container_start_failed(fecs_engine *e, const char *name,
                                       const char *reason, int64_t now,
                                       ecsb_err *err);
/* The process exited (exit_code as a shell reports it: 128+N for signal N).
 * Accepted from STARTING too (a process that exited before the caller
 * confirmed its start counts as started and exited at `now`). */
int fecs_engine_container_exited(fecs_engine *e, const char *name,
                                 int exit_code, int64_t now, ecsb_err *err);
/* Result of the RUN_HEALTH_CHECK last queued for the container. A result for
 * a container that has since been sent SIGTERM or exited is ignored. */
int fecs_engine_health_result(fecs_engine *e, const char *name, bool ok,
                              int64_t now, ecsb_err *err);
/* StopTask. reason NULL or "": "Task stopped by user"; longer than
 * FECS_REASON_MAX: ECSB_EINVAL. A second call keeps the first stop. */
int fecs_engine_stop_task(fecs_engine *e, const char *reason, int64_t now,
                          ecsb_err *err);
/* Time passed: processes whatever is due at `now`. */
int fecs_engine_tick(fecs_engine *e, int64_t now, ecsb_err *err);

/* When the caller must call fecs_engine_tick next (health check due,
 * startTimeout expiry, SIGKILL due), or FECS_NO_DEADLINE. */
int64_t fecs_engine_next_deadline(const fecs_engine *e);

/* Dequeue in order; false when empty. Borrowed strings stay valid until
 * fecs_engine_free. */
bool fecs_engine_next_action(fecs_engine *e, fecs_action *out);
bool fecs_engine_next_event(fecs_engine *e, fecs_event *out);

/* ---- Queries ---- */

typedef struct fecs_container_info {
  const char *name;
  bool essential;
  bool has_health_check;
  fecs_container_state state;
  fecs_health health;
  int failing_streak;
  int64_t started_us; /* FECS_NEVER when it never started */
  int64_t healthy_us; /* first time HEALTHY */
  int64_t sigterm_us;
  int64_t sigkill_us;
  int64_t exited_us; /* exited, or marked NOT_STARTED */
  bool has_exit_code;
  int exit_code;
  const char *reason; /* why it stopped without running, else NULL */
  /* opts.wall_us at its start, its exit (or NOT_STARTED) and its last
   * health change; FECS_NEVER when none */
  int64_t started_wall_us, exited_wall_us, health_wall_us;
} fecs_container_info;

typedef struct fecs_task_info {
  fecs_task_status status;
  fecs_health health;
  bool stop_requested;   /* desiredStatus STOPPED */
  const char *stop_code; /* NULL until a stop */
  const char *stopped_reason;
  int64_t started_us; /* fecs_engine_start */
  int64_t running_us; /* reached RUNNING */
  int64_t stop_requested_us;
  int64_t stopped_us; /* reached STOPPED */
  /* opts.wall_us when it entered each status (indexed by
   * fecs_task_status) and when its stop was requested; FECS_NEVER when
   * never */
  int64_t status_wall_us[FECS_TASK_STOPPED + 1];
  int64_t stop_requested_wall_us;
  /* Changes DescribeTasks shows (a status after PROVISIONING, the stop
   * request, a container's start, stop and health): fake-ecs adds them to
   * the task's version. */
  uint64_t changes;
} fecs_task_info;

size_t fecs_engine_container_count(const fecs_engine *e);
/* Index of the container, or -1. */
int fecs_engine_container_find(const fecs_engine *e, const char *name);
/* ECSB_ENOTFOUND when i is out of range. */
int fecs_engine_container_info(const fecs_engine *e, size_t i,
                               fecs_container_info *out, ecsb_err *err);
/* The normalised spec of container i (defaults filled in, unscaled), or
 * NULL when out of range; borrowed. Its health.command is what the caller
 * runs for RUN_HEALTH_CHECK. */
const fecs_container_spec *fecs_engine_container_spec(const fecs_engine *e,
                                                      size_t i);
void fecs_engine_task_info(const fecs_engine *e, fecs_task_info *out);

/* Names as ECS and docs/events.md spell them. */
const char *fecs_dep_condition_name(fecs_dep_condition c);
/* ECSB_EINVAL for anything but START, COMPLETE, SUCCESS, HEALTHY. */
int fecs_dep_condition_parse(const char *s, fecs_dep_condition *out);
const char *fecs_health_name(fecs_health h);
const char *fecs_task_status_name(fecs_task_status s);
const char *fecs_container_state_name(fecs_container_state s);
/* The container lastStatus ECS reports: PENDING, RUNNING or STOPPED. */
const char *fecs_container_ecs_status(fecs_container_state s);
const char *fecs_action_kind_name(fecs_action_kind k);
/* "task.status", "container.started", ... (docs/events.md). */
const char *fecs_event_kind_name(fecs_event_kind k);
/* "SIGTERM" / "SIGKILL" / "SIG?" */
const char *fecs_signal_name(int sig);

#endif
