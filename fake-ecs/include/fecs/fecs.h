/*
 * fecs.h - fake-ecs: the AWS side of a simulated ECS deployment, in
 * process, on loopback. The public contract of fake-ecs/fecs_*.c.
 *
 * One `fecs` owns:
 *  - the state: clusters, task definitions (families and revisions),
 *    services, tasks with ECS's lifecycle (PROVISIONING, PENDING,
 *    ACTIVATING, RUNNING, DEACTIVATING, STOPPING, DEPROVISIONING, STOPPED)
 *    and their containers, each task with its own IPv4 address in
 *    127.0.0.0/8 (docs/architecture.md), ARNs in AWS's format;
 *  - the ECS API server: awsJson1_1 (`POST /`, `X-Amz-Target:
 *    AmazonEC2ContainerServiceV20141113.<Operation>`), SigV4-verified
 *    (core/sigv4.c), throttled per operation with token buckets;
 *  - the agent endpoint server: task metadata v4 (`/v4/<container-id>`,
 *    `/task`, `/stats`, `/task/stats`) and container credentials
 *    (`/v2/credentials/<id>` for AWS_CONTAINER_CREDENTIALS_RELATIVE_URI,
 *    `/v1/credentials` + Authorization token for the FULL_URI form);
 *  - the fault hooks (latency, errors, throttling, endpoint outages, server
 *    tasks late / never RUNNING / stopped after start);
 *  - an event hook (API calls, endpoint calls, faults, status changes).
 *
 * Lifecycle: with auto_lifecycle on (the default), a task started by
 * RunTask/CreateService walks to RUNNING start_delay_ms after it was
 * created and a stopped one to STOPPED stop_delay_ms after StopTask,
 * unless a task fault says otherwise; transitions are applied lazily, on
 * the next API call, endpoint call or fecs_tick(), stamped with the time
 * they were due. With auto_lifecycle off a task moves only as its driver
 * says: the agent simulator (fecs_task_engine_new), which then owns the
 * task's agent-side state, or the fecs_task_* / fecs_container_* setters
 * (tests, benchmarks, a task no simulator runs).
 *
 * Threading: every function is thread-safe (one lock inside); the servers
 * run handlers on libmicrohttpd's threads. The hook is called without that
 * lock held, serialised, in the order the events happened; it may call
 * fecs functions.
 *
 * Errors as AWS shapes them: HTTP 400 `{"__type": "<Code>", "message":
 * "..."}` (ServerException: 500), header x-amzn-RequestId on every answer.
 * docs/fake-ecs.md lists operations, fields, defaults and faults.
 */
#ifndef FECS_FECS_H
#define FECS_FECS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ecsb/err.h"
#include "ecsb/httpd.h"
#include "fecs/engine.h"

typedef struct fecs fecs;

#define FECS_API_TARGET_PREFIX "AmazonEC2ContainerServiceV20141113."
#define FECS_ARN_MAX 256
#define FECS_IP_MAX 16

/* ---- events ------------------------------------------------------------ */

typedef enum fecs_hook_kind {
  FECS_HOOK_API_CALL,         /* operation, http_status, error_code, latency */
  FECS_HOOK_ENDPOINT_CALL,    /* operation "metadata" | "credentials", detail
                                 = path, http_status, latency */
  FECS_HOOK_FAULT,            /* fault, operation (or endpoint), detail */
  FECS_HOOK_TASK_STATUS,      /* task_arn, status (lastStatus), detail
                                 (desiredStatus) */
  FECS_HOOK_CONTAINER_STATUS, /* task_arn, container, status, exit_code */
  FECS_HOOK_CONTAINER_HEALTH, /* task_arn, container, status (health) */
} fecs_hook_kind;

typedef struct fecs_hook_event {
  fecs_hook_kind kind;
  int64_t wall_us;        /* when it happened (the fake's clock) */
  const char *operation;  /* "ListTasks", "metadata", ... or NULL */
  int http_status;        /* API/ENDPOINT calls */
  const char *error_code; /* "ThrottlingException" or NULL */
  int64_t latency_us;     /* API/ENDPOINT calls: handling time */
  const char *fault;      /* FAULT: "latency", "error", "throttle", ... */
  const char *task_arn;
  const char *container;
  const char *status;
  bool has_exit_code;
  int exit_code;
  const char *detail;
} fecs_hook_event;

/* All strings are borrowed for the duration of the call. */
typedef void (*fecs_hook_fn)(void *user, const fecs_hook_event *ev);

/* Names of the kinds: "api.call", "endpoint.call", "fault", "task.status",
 * "container.status", "container.health". */
const char *fecs_hook_kind_name(fecs_hook_kind k);

/* ---- configuration ------------------------------------------------------ */

/* Picks the IPv4 address of a new task (buf holds FECS_IP_MAX); return 0,
 * or non-zero to fall back to the built-in allocator. */
typedef int (*fecs_ip_fn)(void *user, const char *family, const char *group,
                          uint64_t task_seq, char *buf);

typedef struct fecs_config {
  const char *account_id; /* default "123456789012" */
  const char *region;     /* default "us-east-1" */
  /* The long-term credentials the API accepts (besides the task role
   * credentials the credentials endpoint hands out). Defaults: fake ones,
   * printed by `ecsboot serve`. */
  const char *access_key_id;
  const char *secret_access_key;
  bool verify_sigv4;  /* default true */
  int64_t max_skew_s; /* default 300: AWS's five minutes */

  const char *api_bind_ip;      /* default "127.0.0.1" */
  uint16_t api_port;            /* 0: any free port */
  const char *metadata_bind_ip; /* default "127.0.0.1" */
  uint16_t metadata_port;       /* 0: any free port */
  /* httpd threads: 0, one per connection; N, an epoll pool of N (a call
   * that may sleep for an injected latency or a slow endpoint runs on a
   * thread of its own) */
  unsigned threads;
  /* Connections each server serves at once, past which libmicrohttpd
   * refuses them; 0: ecsb/httpd.h's default (1024). Every task's init
   * containers call both at their start. */
  unsigned conn_limit;

  /* Built-in task address allocator: first..first+count-1, skipping .0
   * and .255 host octets. Default "127.1.1.1", 62000 addresses. */
  const char *task_ip_first;
  uint32_t task_ip_count;
  fecs_ip_fn task_ip; /* optional override (the runner's netblock) */
  void *task_ip_user;

  uint64_t seed; /* IDs, credentials, probabilistic faults; 0: 1 */
  bool create_default_cluster; /* default false, as in AWS */
  bool auto_lifecycle;         /* default true (see the top comment) */
  int64_t start_delay_ms;      /* default 0 */
  int64_t stop_delay_ms;       /* default 0 */
  bool auto_healthy; /* default true: auto-started containers that have a
                        healthCheck become HEALTHY at RUNNING */
  int64_t credentials_ttl_s; /* default 21600 (6 h) */
  size_t max_tasks;          /* default 100000 (RunTask refuses beyond) */
  size_t max_body;           /* API request cap, default 1 MiB */
  bool throttle;             /* default true, ECS-like buckets */
  /* Scenario time scale (default 1): token-bucket refill rates (the
   * defaults and fecs_throttle_set's) are per second of scenario time, so
   * at 0.01 a bucket refills 100 times faster in wall time. */
  double time_scale;

  /* Clock in Unix microseconds for timestamps, signature skew, credential
   * expiry and throttle refill. NULL: the real clocks (wall for
   * timestamps, monotonic for refill). Tests inject one. */
  int64_t (*clock_us)(void *user);
  void *clock_user;

  fecs_hook_fn hook; /* optional */
  void *hook_user;
  /* Optional: told of each answered request of both servers, with the
   * caller's address and the CPU the answer took (ecsb/httpd.h). */
  ecsb_httpd_served_fn served;
  void *served_user;
} fecs_config;

void fecs_config_default(fecs_config *c);

/* Validates c (errors name the field), builds the state and starts both
 * servers. The strings in c are copied. */
int fecs_new(const fecs_config *c, fecs **out, ecsb_err *err);
/* Stops the servers (waiting for handlers) and frees. NULL is fine. */
void fecs_free(fecs *f);

/* "http://127.0.0.1:PORT" of the API and of the agent endpoint (metadata
 * and credentials). Borrowed, valid until fecs_free. */
const char *fecs_api_url(const fecs *f);
const char *fecs_endpoint_url(const fecs *f);
const char *fecs_region(const fecs *f);
const char *fecs_account_id(const fecs *f);
const char *fecs_access_key_id(const fecs *f);
const char *fecs_secret_access_key(const fecs *f);

/* Applies every automatic transition that is due now. */
void fecs_tick(fecs *f);

/* ---- state: creating things directly (same rules as the API) ----------- */

/* CreateCluster. arn_out may be NULL; cap >= FECS_ARN_MAX. */
int fecs_cluster_create(fecs *f, const char *name, char *arn_out,
                        ecsb_err *err);

/* RegisterTaskDefinition with a request body as `aws ecs
 * register-task-definition --cli-input-json` sends it. Errors
 * (ECSB_EINVAL) carry the ClientException message, naming the field. */
int fecs_task_definition_register(fecs *f, const cJSON *request, char *arn_out,
                                  ecsb_err *err);

typedef struct fecs_run_opts {
  const char *cluster;         /* NULL: "default" */
  const char *task_definition; /* family, family:revision or ARN */
  const char *started_by;      /* optional */
  const char *group;           /* NULL: "family:<family>" */
  const char *launch_type;     /* NULL: "FARGATE" */
  const char *ip;              /* NULL: allocated */
} fecs_run_opts;

/* RegisterTaskDefinition's checks only, without a fake: the error
 * RegisterTaskDefinition would answer, or 0. */
int fecs_task_definition_check(const cJSON *request, ecsb_err *err);

/* RunTask for one task; arn_out (FECS_ARN_MAX) may be NULL. */
int fecs_task_run(fecs *f, const fecs_run_opts *o, char *arn_out,
                  ecsb_err *err);

/* Runs one API operation in process, as if it came over HTTP but without
 * SigV4, throttling, faults or the hook (the runner sets up its world
 * with it: CreateService, ...). request NULL: {}. *response (may be NULL
 * to discard) is the answer's body, caller frees. An AWS error becomes
 * ECSB_EINVAL with "<Operation>: <Code>: <message>". */
int fecs_invoke(fecs *f, const char *operation, const cJSON *request,
                cJSON **response, ecsb_err *err);

/* ---- state: the agent simulator ------------------------------------------
 * A task the agent simulator runs: fake-ecs creates its engine
 * (engine.h; spec and opts as fecs_engine_new takes them, opts->wall_us
 * replaced by fake-ecs's clock) and from then on reads, never copies,
 * what the agent knows from it: lastStatus, the agent's stop (desiredStatus
 * STOPPED, stopCode, stoppedReason, stoppingAt), healthStatus, the
 * timestamps of the lifecycle, and each container's status, exit code,
 * reason, health and times, in DescribeTasks, ListTasks, the cluster and
 * service counts, fecs_task_get and the metadata endpoint. The task's
 * version counts the engine's changes too. What the control plane owns
 * stays in fake-ecs (createdAt, the address, tags, credentials, a StopTask
 * call's desiredStatus). The setters below then refuse the task
 * (ECSB_ESTATE): an event is recorded once, by the engine, and the hook's
 * task.status / container.* events, which report the record's changes,
 * are not sent for it (the engine's own events say the same).
 *
 * The engine belongs to the task and is freed by fecs_free; the caller
 * drives it (engine.h) from one thread and never frees it. Only with
 * auto_lifecycle off, once per task, before the engine starts: ECSB_ESTATE
 * otherwise; ECSB_EINVAL when the spec's containers are not the task
 * definition's, in its order. */
int fecs_task_engine_new(fecs *f, const char *task, const fecs_task_spec *spec,
                         const fecs_engine_opts *opts, fecs_engine **out,
                         ecsb_err *err);

/* ---- state: driving the lifecycle by hand (tests, benchmarks) ----------
 * `task` is a task ARN or ID of a task no agent simulator runs. Errors:
 * ECSB_ENOTFOUND (no such task or container), ECSB_EINVAL (not a status
 * name), ECSB_ESTATE (a move backwards: lastStatus only moves forward, as
 * in ECS; a task fecs_task_engine_new runs). */

/* Sets the task's lastStatus (one of the eight lifecycle names); skipped
 * intermediate steps are recorded too. RUNNING sets startedAt;
 * DEACTIVATING and later imply desiredStatus STOPPED; STOPPED sets
 * stoppedAt and stops every container that has not stopped. */
int fecs_task_set_status(fecs *f, const char *task, const char *last_status,
                         ecsb_err *err);

/* StopTask from the agent's side: desiredStatus STOPPED with a stop code
 * ("UserInitiated", "EssentialContainerExited", "TaskFailedToStart", ...)
 * and reason (NULL: "Task stopped by user"). With auto_lifecycle the task
 * then walks to STOPPED after stop_delay_ms. */
int fecs_task_stop(fecs *f, const char *task, const char *stop_code,
                   const char *reason, ecsb_err *err);

/* A container's lastStatus: PENDING, RUNNING or STOPPED. */
int fecs_container_set_status(fecs *f, const char *task, const char *container,
                              const char *last_status, ecsb_err *err);
/* The container exited: lastStatus STOPPED, exitCode, reason (optional). */
int fecs_container_set_exit(fecs *f, const char *task, const char *container,
                            int exit_code, const char *reason, ecsb_err *err);
/* HEALTHY, UNHEALTHY or UNKNOWN; the task's healthStatus follows ECS's
 * rule (essential containers with a check decide). */
int fecs_container_set_health(fecs *f, const char *task, const char *container,
                              const char *health, ecsb_err *err);
/* Moves the task to another address (before its containers start). */
int fecs_task_set_ip(fecs *f, const char *task, const char *ip, ecsb_err *err);

/* ---- state: reading ----------------------------------------------------- */

typedef struct fecs_task_view {
  char arn[FECS_ARN_MAX];
  char id[40];
  char cluster_arn[FECS_ARN_MAX];
  char task_definition_arn[FECS_ARN_MAX];
  char family[256];
  char group[300];
  char ip[FECS_IP_MAX];
  char last_status[16];
  char desired_status[16];
  char health_status[16];
  size_t n_containers;
} fecs_task_view;

int fecs_task_get(fecs *f, const char *task, fecs_task_view *out,
                  ecsb_err *err);

/* The task as DescribeTasks shows it (heap JSON text, caller frees). */
int fecs_task_describe_json(fecs *f, const char *task, char **json,
                            ecsb_err *err);

/* The environment ECS gives a container: ECS_CONTAINER_METADATA_URI_V4,
 * AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (relative to the agent endpoint,
 * 169.254.170.2 in ECS: a client must be pointed at fecs_endpoint_url),
 * AWS_CONTAINER_CREDENTIALS_FULL_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN
 * (works as it is on loopback), AWS_REGION, AWS_DEFAULT_REGION,
 * AWS_EXECUTION_ENV. SDKs prefer RELATIVE_URI when both are set: a runner
 * passes the one it wants. */
typedef struct fecs_env {
  size_t n;
  char *names[12];
  char *values[12];
} fecs_env;
int fecs_container_env(fecs *f, const char *task, const char *container,
                       fecs_env *out, ecsb_err *err);
void fecs_env_clear(fecs_env *e);
/* The value of one variable, borrowed, or NULL. */
const char *fecs_env_get(const fecs_env *e, const char *name);

/* ---- faults ------------------------------------------------------------
 * `op` is an operation name ("DescribeTasks") or NULL / "*" for all. Each
 * injected fault is reported through the hook (FECS_HOOK_FAULT). */

/* Every call of op waits ms before it is answered (0 removes). */
int fecs_fault_latency(fecs *f, const char *op, int64_t ms, ecsb_err *err);

/* The next n calls of op fail with `code` (an AWS error code such as
 * "ServerException", "ThrottlingException", "AccessDeniedException";
 * ServerException answers HTTP 500, others 400). message NULL: AWS's. */
int fecs_fault_errors_next(fecs *f, const char *op, int n, const char *code,
                           const char *message, ecsb_err *err);

/* Each call of op fails with `code` with probability p (0..1), drawn from
 * the config's seed, so a run replays exactly. p 0 removes. */
int fecs_fault_errors_prob(fecs *f, const char *op, double p, const char *code,
                           const char *message, ecsb_err *err);

/* Token bucket of op: burst (capacity) and refill per second; the bucket
 * starts full. burst 0 throttles every call. */
int fecs_throttle_set(fecs *f, const char *op, double burst,
                      double refill_per_s, ecsb_err *err);
/* Turns throttling off (false) or back on (true). */
void fecs_throttle_enable(fecs *f, bool on);

typedef enum fecs_endpoint {
  FECS_EP_METADATA,
  FECS_EP_CREDENTIALS,
} fecs_endpoint;

typedef enum fecs_endpoint_mode {
  FECS_EP_OK,        /* normal answers */
  FECS_EP_DOWN,      /* the connection is closed without an answer */
  FECS_EP_SLOW,      /* answers after delay_ms */
  FECS_EP_MALFORMED, /* 200 with a body that is not valid JSON */
  FECS_EP_ERROR,     /* 500 */
} fecs_endpoint_mode;

int fecs_fault_endpoint(fecs *f, fecs_endpoint ep, fecs_endpoint_mode mode,
                        int64_t delay_ms, ecsb_err *err);

typedef enum fecs_task_fault_kind {
  FECS_TF_LATE,             /* RUNNING delay_ms later than it would be */
  FECS_TF_NEVER_RUNNING,    /* stays PENDING */
  FECS_TF_STOP_AFTER_START, /* STOPPED delay_ms after RUNNING: an essential
                               container exited with exit_code */
} fecs_task_fault_kind;

typedef struct fecs_task_fault {
  fecs_task_fault_kind kind;
  /* Which new tasks it applies to (NULL: any): family, group
   * ("service:consul-server"), startedBy. */
  const char *family;
  const char *group;
  const char *started_by;
  int64_t delay_ms;
  int exit_code; /* STOP_AFTER_START; default 1 when 0 */
  int count;     /* the next `count` matching tasks; 0: every one */
} fecs_task_fault;

/* Task faults apply to tasks created afterwards by the automatic
 * lifecycle. */
int fecs_fault_task(fecs *f, const fecs_task_fault *tf, ecsb_err *err);

/* Removes every fault (latency, errors, endpoint modes, task faults) and
 * restores the default throttling buckets. */
void fecs_fault_clear(fecs *f);

/* ---- counters ---------------------------------------------------------- */

typedef struct fecs_stats {
  uint64_t api_calls;
  uint64_t api_errors;
  uint64_t throttled;
  uint64_t faults_injected;
  uint64_t endpoint_calls;
  uint64_t tasks;
} fecs_stats;

void fecs_get_stats(fecs *f, fecs_stats *out);

#endif
