/*
 * fecs_internal.h - what fake-ecs's own files share (never installed, never
 * included outside fake-ecs/fecs_*.c): the state records, the lock
 * discipline and the helpers each module exports to the others.
 *
 * Locking: one mutex (fecs.mu) guards every record, the throttle buckets,
 * the faults and the event queue. Functions named *_locked expect it held.
 * Events are queued under the lock and delivered by fecs_flush_events()
 * after it is released, in order, under hook_mu (recursive, so a hook may
 * call back into fecs).
 */
#ifndef FECS_INTERNAL_H
#define FECS_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ecsb/clock.h"
#include "ecsb/err.h"
#include "ecsb/httpd.h"
#include "fecs/fecs.h"

/* Task lastStatus, in lifecycle order. */
enum {
  FECS_LS_PROVISIONING,
  FECS_LS_PENDING,
  FECS_LS_ACTIVATING,
  FECS_LS_RUNNING,
  FECS_LS_DEACTIVATING,
  FECS_LS_STOPPING,
  FECS_LS_DEPROVISIONING,
  FECS_LS_STOPPED,
  FECS_LS_COUNT
};
extern const char *const fecs_ls_names[FECS_LS_COUNT];
int fecs_ls_parse(const char *s); /* -1 when unknown */

/* Container lastStatus and health. */
enum { FECS_CS_PENDING, FECS_CS_RUNNING, FECS_CS_STOPPED };
enum { FECS_H_UNKNOWN, FECS_H_HEALTHY, FECS_H_UNHEALTHY };
extern const char *const fecs_cs_names[3];
extern const char *const fecs_h_names[3];

#define FECS_NEVER_US INT64_MIN

typedef struct fecs_cluster_rec {
  char *name, *arn;
  int64_t created_us;
  cJSON *tags;     /* array of {key, value} */
  cJSON *settings; /* array of {name, value} */
} fecs_cluster_rec;

/* What a task needs from one containerDefinitions entry. */
typedef struct fecs_cdef {
  char *name, *image;
  bool essential, has_hc;
  int64_t cpu, memory; /* 0 when absent */
} fecs_cdef;

typedef struct fecs_taskdef_rec {
  char *family, *arn;
  int revision;
  bool active;
  int64_t registered_us, deregistered_us;
  cJSON *json; /* the taskDefinition as DescribeTaskDefinition returns it */
  cJSON *tags;
  fecs_cdef *cdefs;
  size_t n_cdefs;
  char *task_role_arn; /* NULL: none given */
  char *cpu, *memory;  /* task-level, strings as ECS has them; may be NULL */
} fecs_taskdef_rec;

typedef struct fecs_family {
  char *name;
  fecs_taskdef_rec **revs; /* index = revision - 1 */
  size_t n, cap;
} fecs_family;

typedef struct fecs_service_rec {
  char *name, *arn;
  fecs_cluster_rec *cl;
  fecs_taskdef_rec *td;
  int desired;
  char *launch_type;
  char *started_by; /* "ecs-svc/<digits>" */
  int64_t created_us;
  cJSON *tags;
} fecs_service_rec;

typedef struct fecs_cred_rec {
  char akid[128];
  char secret[128];
  char *token;
  int64_t expires_us;
  struct fecs_task_rec *task; /* NULL for the configured long-term keys */
} fecs_cred_rec;

/* A container as the control plane records it. For a task the agent
 * simulator runs (fecs_task_rec.eng) the fields from `status` on are
 * unused: read them with fecs_ctr_state_locked. */
typedef struct fecs_ctr {
  char *name, *image, *arn, *runtime_id;
  bool essential, has_hc;
  int64_t cpu, memory;
  int status; /* FECS_CS_* */
  bool has_exit;
  int exit_code;
  char *reason;
  int health; /* FECS_H_* */
  int64_t health_since_us, started_us, finished_us;
} fecs_ctr;

typedef struct fecs_task_rec {
  uint64_t seq;
  char id[33];
  char *arn;
  fecs_cluster_rec *cl;
  fecs_taskdef_rec *td;
  char *group, *started_by, *launch_type;
  char ip[FECS_IP_MAX];
  char eni[32], mac[18], attachment_id[37], subnet[32], az[40];
  /* The agent simulator that runs the task (fecs_task_engine_new; owned),
   * or NULL. When set, it owns what the agent knows: lastStatus, health,
   * the lifecycle's timestamps, the agent's stop and every container's
   * state, and the fields below that hold them stay as RunTask left them.
   * Read the task through fecs_task_state_locked / fecs_ctr_state_locked,
   * which pick the owner. */
  fecs_engine *eng;
  int status;           /* FECS_LS_* */
  bool desired_stopped; /* StopTask (and, without eng, the agent's stop) */
  int64_t created_us, pull_started_us, pull_stopped_us, started_us,
      connectivity_us, stopping_us, exec_stopped_us, stopped_us;
  char *stop_code, *stopped_reason;
  int64_t version;
  /* the automatic lifecycle's plan; FECS_NEVER_US when none */
  int64_t run_at_us, stop_at_us;
  bool hold_pending;           /* never-RUNNING fault: stays PENDING */
  int64_t fault_stop_after_us; /* stop-after-start fault, from RUNNING */
  int64_t fault_stop_at_us;
  int fault_exit_code;
  bool pending_plan; /* in fecs.pending */
  fecs_ctr *ctrs;
  size_t n_ctrs;
  fecs_cred_rec *cred; /* current role credentials */
  char cred_id[37];    /* RELATIVE_URI id */
  char auth_token[65]; /* FULL_URI Authorization */
  char *role_arn;
  cJSON *tags;
  /* The task's DescribeTasks JSON as printed, without and with tags, and
   * the version it was printed at: every change to what the JSON shows
   * bumps `version` (ECS's own rule), so equal versions mean equal text. */
  char *wire[2];
  int64_t wire_version[2];
} fecs_task_rec;

typedef struct fecs_throttle fecs_throttle;
typedef struct fecs_faults fecs_faults;

/* A queued hook event; strings owned. */
typedef struct fecs_qevent {
  fecs_hook_event ev;
  char *s[8];
} fecs_qevent;

struct fecs {
  pthread_mutex_t mu;
  pthread_mutex_t hook_mu; /* recursive */
  fecs_config cfg;         /* strings point into owned copies below */
  char *own_strings[12];
  ecsb_rng rng;

  fecs_cluster_rec **clusters;
  size_t n_clusters, cap_clusters;
  fecs_family **families;
  size_t n_families, cap_families;
  fecs_service_rec **services;
  size_t n_services, cap_services;
  fecs_task_rec **tasks; /* creation order; seq = index + 1 */
  size_t n_tasks, cap_tasks;
  fecs_task_rec **pending; /* tasks with a planned automatic transition */
  size_t n_pending, cap_pending;
  fecs_cred_rec **creds;
  size_t n_creds, cap_creds;
  fecs_cred_rec main_cred;
  /* task ID -> task, open addressing (power-of-two size) */
  fecs_task_rec **by_id;
  size_t by_id_cap;
  uint32_t ip_first; /* host order */
  uint64_t ip_next;  /* addresses handed out so far (offset = % count) */

  fecs_qevent *q;
  size_t n_q, cap_q;

  fecs_throttle *throttle;
  fecs_faults *faults;
  fecs_stats stats;

  ecsb_httpd *api, *ep;
  char api_url[64], ep_url[64];
};

/* ---- fecs.c ---- */
int64_t fecs_now_us(fecs *f);  /* the configured clock (wall) */
int64_t fecs_mono_us(fecs *f); /* for durations and refill */
void fecs_lock(fecs *f);
/* Unlocks and delivers queued events. */
void fecs_unlock(fecs *f);

/* ---- fecs_state.c ---- */
void fecs_state_free(fecs *f);
/* Random hex / UUID / digits from the seeded generator. */
void fecs_rand_hex(fecs *f, char *out, size_t n);
void fecs_rand_uuid(fecs *f, char out[37]);
void fecs_rand_alnum(fecs *f, char *out, size_t n, bool upper_only);
char *fecs_strprintf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
/* Queues an event (strings copied); under the lock. */
void fecs_emit_locked(fecs *f, const fecs_hook_event *ev);

fecs_cluster_rec *fecs_cluster_find_locked(fecs *f, const char *name_or_arn);
int fecs_cluster_create_locked(fecs *f, const char *name,
                               fecs_cluster_rec **out, ecsb_err *err);
fecs_taskdef_rec *fecs_taskdef_find_locked(fecs *f, const char *ref);
fecs_family *fecs_family_find_locked(fecs *f, const char *name);
int fecs_taskdef_add_locked(fecs *f, fecs_taskdef_rec *td, ecsb_err *err);
fecs_service_rec *fecs_service_find_locked(fecs *f, fecs_cluster_rec *cl,
                                           const char *name_or_arn);
int fecs_service_add_locked(fecs *f, fecs_service_rec *s, ecsb_err *err);
fecs_task_rec *fecs_task_find_locked(fecs *f, const char *arn_or_id);

typedef struct fecs_new_task {
  fecs_cluster_rec *cl;
  fecs_taskdef_rec *td;
  const char *group, *started_by, *launch_type, *ip;
  const cJSON *tags;
} fecs_new_task;
int fecs_task_create_locked(fecs *f, const fecs_new_task *nt,
                            fecs_task_rec **out, ecsb_err *err);

/* Queues a task.status event; adds a task to fecs.pending. */
void fecs_emit_task_locked(fecs *f, const fecs_task_rec *t, int64_t when);
void fecs_plan_locked(fecs *f, fecs_task_rec *t);

/* Lifecycle (fecs_lifecycle.c); `when` is the wall time to stamp. */
void fecs_advance_locked(fecs *f, int64_t now_us);
int fecs_task_move_locked(fecs *f, fecs_task_rec *t, int target, int64_t when,
                          ecsb_err *err);
void fecs_task_request_stop_locked(fecs *f, fecs_task_rec *t,
                                   const char *stop_code, const char *reason,
                                   int64_t when);
void fecs_ctr_set_status_locked(fecs *f, fecs_task_rec *t, fecs_ctr *c,
                                int status, int64_t when);
void fecs_ctr_set_health_locked(fecs *f, fecs_task_rec *t, fecs_ctr *c,
                                int health, int64_t when);
int fecs_task_health(const fecs_task_rec *t); /* FECS_H_* */

/* What a task shows (DescribeTasks, ListTasks, counts, metadata), read
 * from its owner: the record, or its engine. Strings are borrowed and stay
 * valid while the task exists (an engine writes each one once). */
typedef struct fecs_task_state {
  int status; /* FECS_LS_* */
  bool desired_stopped;
  const char *stop_code, *stopped_reason; /* NULL before a stop */
  int health;                             /* FECS_H_* */
  int64_t pull_started_us, pull_stopped_us, started_us, connectivity_us,
      stopping_us, exec_stopped_us, stopped_us; /* FECS_NEVER_US: never */
  int64_t version;
} fecs_task_state;

typedef struct fecs_ctr_state {
  int status; /* FECS_CS_* */
  bool has_exit;
  int exit_code;
  const char *reason;
  int health; /* FECS_H_* */
  int64_t health_since_us, started_us, finished_us;
} fecs_ctr_state;

void fecs_task_state_locked(const fecs_task_rec *t, fecs_task_state *out);
/* Container i of the task (i < t->n_ctrs). */
void fecs_ctr_state_locked(const fecs_task_rec *t, size_t i,
                           fecs_ctr_state *out);

/* Credentials (fecs_state.c). */
fecs_cred_rec *fecs_cred_find_locked(fecs *f, const char *akid);
/* The task's credentials, rotated when within 15 minutes of expiry. */
fecs_cred_rec *fecs_task_cred_locked(fecs *f, fecs_task_rec *t);
fecs_task_rec *fecs_task_by_cred_id_locked(fecs *f, const char *id);
fecs_task_rec *fecs_task_by_auth_token_locked(fecs *f, const char *token);
/* (task, container) by the container's runtime ID. */
fecs_task_rec *fecs_task_by_runtime_id_locked(fecs *f, const char *rid,
                                              fecs_ctr **ctr);

/* ---- fecs_shapes.c: JSON as AWS writes it ---- */
double fecs_ts(int64_t us); /* epoch seconds, millisecond precision */
cJSON *fecs_task_json(fecs *f, const fecs_task_rec *t, bool tags);
/* The same as a raw item holding text printed once per task version. */
cJSON *fecs_task_json_wire(fecs *f, fecs_task_rec *t, bool tags);
cJSON *fecs_cluster_json(fecs *f, const fecs_cluster_rec *c, bool tags,
                         bool settings, bool stats);
cJSON *fecs_service_json(fecs *f, const fecs_service_rec *s, bool tags);
cJSON *fecs_md_task_json(fecs *f, const fecs_task_rec *t);
cJSON *fecs_md_container_json(fecs *f, const fecs_task_rec *t,
                              const fecs_ctr *c);
cJSON *fecs_md_stats_json(fecs *f, const fecs_task_rec *t, const fecs_ctr *c);
/* Adds "key": [..tags] as given to obj when tags is a non-empty array. */
void fecs_add_tags(cJSON *obj, const char *key, const cJSON *tags);

/* ---- fecs_api.c: request context and errors ---- */
typedef struct fecs_call {
  fecs *f;
  const char *op;
  const cJSON *in; /* the request body (an object) */
  cJSON *out;      /* the response body; set by the operation */
  /* error, when the operation fails */
  const char *err_code;
  int err_status;
  char err_msg[4096];
  int64_t now_us;
  /* The answer is printed for the wire, so it may hold cached JSON text
   * (cJSON raw items); in-process callers of fecs_invoke get real trees. */
  bool wire;
} fecs_call;

/* Sets the call's error; returns -1 so handlers can `return fecs_fail(...)`. */
int fecs_fail(fecs_call *c, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Typed request members: absent -> 0 with *out untouched; wrong type ->
 * SerializationException naming the member. */
int fecs_in_str(fecs_call *c, const char *key, const char **out);
int fecs_in_int(fecs_call *c, const char *key, bool *present, int64_t *out);
int fecs_in_strlist(fecs_call *c, const char *key, const cJSON **out);
int fecs_in_array(fecs_call *c, const char *key, const cJSON **out);
/* A "tags" list: objects with "key" (1-128) and "value" (0-256) strings. */
int fecs_in_tags(fecs_call *c, const char *key, const cJSON **out);
/* An enum member: absent -> *out untouched; not one of `allowed` (NULL-
 * terminated) -> InvalidParameterException listing them. */
int fecs_in_enum(fecs_call *c, const char *key, const char *const *allowed,
                 const char **out);
/* True for 1-255 letters, digits, hyphens and underscores (ECS names). */
bool fecs_valid_name(const char *s);
/* cluster member (default "default") -> record, or ClusterNotFoundException */
int fecs_in_cluster(fecs_call *c, fecs_cluster_rec **out);
/* "include": true when the list holds `what`. */
bool fecs_in_includes(fecs_call *c, const char *what);
/* Pagination tokens: opaque, tied to the operation and a filter digest. */
void fecs_token_make(const char *op, uint32_t digest, uint64_t pos,
                     char out[64]);
int fecs_token_parse(fecs_call *c, const char *tok, uint32_t digest,
                     uint64_t *pos);
uint32_t fecs_digest(uint32_t h, const char *s);
int fecs_in_max_results(fecs_call *c, int64_t def, int64_t *out);

typedef int (*fecs_op_fn)(fecs_call *c);
/* Operations, one file per concern. Called with the lock held. */
int fecs_op_list_tasks(fecs_call *c);
int fecs_op_describe_tasks(fecs_call *c);
int fecs_op_run_task(fecs_call *c);
int fecs_op_stop_task(fecs_call *c);
int fecs_op_register_task_definition(fecs_call *c);
int fecs_op_describe_task_definition(fecs_call *c);
int fecs_op_list_task_definitions(fecs_call *c);
int fecs_op_deregister_task_definition(fecs_call *c);
int fecs_op_create_cluster(fecs_call *c);
int fecs_op_describe_clusters(fecs_call *c);
int fecs_op_list_clusters(fecs_call *c);
int fecs_op_create_service(fecs_call *c);
int fecs_op_describe_services(fecs_call *c);
int fecs_op_list_services(fecs_call *c);

/* Task definition parsing (fecs_taskdefs.c): validates a
 * RegisterTaskDefinition request and builds the record (not yet added). */
int fecs_taskdef_build_locked(fecs *f, const cJSON *req, fecs_taskdef_rec **out,
                              const char **err_code, char *msg, size_t cap);
void fecs_taskdef_free(fecs_taskdef_rec *td);

/* The HTTP handlers (fecs_api.c, fecs_endpoint.c). */
void fecs_api_handle(void *user, const ecsb_httpd_req *req,
                     ecsb_httpd_resp *resp);
void fecs_endpoint_handle(void *user, const ecsb_httpd_req *req,
                          ecsb_httpd_resp *resp);

/* ---- fecs_throttle.c ---- */
/* time_scale: refill rates are per second of scenario time. */
fecs_throttle *fecs_throttle_new(bool enabled, double time_scale);
void fecs_throttle_free(fecs_throttle *t);
void fecs_throttle_reset(fecs_throttle *t);
/* true when a token was taken; false: throttled. */
bool fecs_throttle_take(fecs_throttle *t, const char *op, int64_t mono_us);
int fecs_throttle_configure(fecs_throttle *t, const char *op, double burst,
                            double refill, int64_t mono_us, ecsb_err *err);
void fecs_throttle_set_enabled(fecs_throttle *t, bool on);

/* ---- fecs_faults.c ---- */
fecs_faults *fecs_faults_new(void);
void fecs_faults_free(fecs_faults *x);
void fecs_faults_reset(fecs_faults *x);
int64_t fecs_faults_latency_ms(fecs_faults *x, const char *op);
/* Whether a call may sleep for a fault: an API call (api) with a latency
 * rule of any operation in place, or a metadata/credentials request with
 * either endpoint slowed. */
bool fecs_faults_may_sleep(fecs_faults *x, bool api);
/* An injected error for this call of op, or NULL; *msg may stay NULL. */
const char *fecs_faults_error(fecs_faults *x, ecsb_rng *rng, const char *op,
                              const char **msg);
int fecs_faults_set_latency(fecs_faults *x, const char *op, int64_t ms,
                            ecsb_err *err);
int fecs_faults_set_next(fecs_faults *x, const char *op, int n,
                         const char *code, const char *msg, ecsb_err *err);
int fecs_faults_set_prob(fecs_faults *x, const char *op, double p,
                         const char *code, const char *msg, ecsb_err *err);
void fecs_faults_endpoint(fecs_faults *x, fecs_endpoint ep,
                          fecs_endpoint_mode *mode, int64_t *delay_ms);
int fecs_faults_set_endpoint(fecs_faults *x, fecs_endpoint ep,
                             fecs_endpoint_mode mode, int64_t delay_ms,
                             ecsb_err *err);
int fecs_faults_add_task(fecs_faults *x, const fecs_task_fault *tf,
                         ecsb_err *err);
/* The task fault that applies to a new task (consuming one of its count),
 * copied into *out; false when none. */
bool fecs_faults_match_task(fecs_faults *x, const char *family,
                            const char *group, const char *started_by,
                            fecs_task_fault *out);
/* HTTP status AWS uses for an error code (ServerException 500, else 400). */
int fecs_error_status(const char *code);
/* AWS's default message for an injected error code. */
const char *fecs_error_default_message(const char *code);
/* true when op names an operation fake-ecs serves (or is NULL / "*"). */
bool fecs_op_known(const char *op);

#endif
