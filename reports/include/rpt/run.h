/*
 * run.h - the report model: everything measured about one run, computed
 * from its event log (rpt_milestones_compute, then verdicts from
 * rpt_expect) or loaded back from a JSON report (rpt_json_load). Every
 * writer (terminal, JSON, JUnit, SVG, HTML, compare, merge) reads only this
 * model, so any format can be re-rendered from a saved log or report.
 *
 * Times: `*_at` fields are microseconds since the run's T0 (the log's
 * t_us); milestone offsets `ms[]` are microseconds since the task's own T0.
 * RPT_ABSENT marks what never happened. All figures are wall-clock; the
 * scenario time is wall / time_scale.
 *
 * Ownership: rpt_run_free frees everything reachable from the run.
 */
#ifndef RPT_RUN_H
#define RPT_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ecsb/err.h"

#define RPT_ABSENT INT64_MIN

/* Milestones as docs/events.md defines them. */
typedef enum rpt_ms {
  RPT_T0,
  RPT_T1,
  RPT_T2,
  RPT_T3,
  RPT_T4,
  RPT_S0,
  RPT_S1,
  RPT_S2,
  RPT_S3,
  RPT_S4,
  RPT_MS_COUNT
} rpt_ms;

/* "T0".."S4"; rpt_ms_parse returns -1 for anything else. */
const char *rpt_ms_name(int ms);
int rpt_ms_parse(const char *s);

/* Distribution of a sample (nearest-rank percentiles). n == 0: all
 * fields RPT_ABSENT. */
typedef struct rpt_stats {
  size_t n;
  int64_t min, p50, p95, p99, max;
  int64_t mean;
} rpt_stats;

/* Sorts vals in place and fills out. */
void rpt_stats_of(int64_t *vals, size_t n, rpt_stats *out);

typedef struct rpt_dep {
  char *container;
  char *condition; /* START, COMPLETE, SUCCESS, HEALTHY */
} rpt_dep;

typedef struct rpt_health_change {
  int64_t at;
  bool healthy;
} rpt_health_change;

typedef struct rpt_container {
  char *name;
  char *role; /* docs/events.md roles; NULL when not told */
  char *image;
  bool essential;
  bool health_check;
  rpt_dep *deps;
  size_t n_deps;
  /* First occurrence of each, run time; RPT_ABSENT when none. */
  int64_t pending_at, started_at, healthy_at, exited_at, killed_at;
  int exit_code; /* valid when exited_at != RPT_ABSENT */
  char *signal;  /* when killed */
  /* container.not_started: when, and its reason (NULL when none given). */
  int64_t not_started_at;
  char *not_started_reason;
  /* the last container.waiting reason (a dependency it waits for is
   * UNHEALTHY), or NULL */
  char *waiting_reason;
  /* Its image pull (container.pulling, container.pulled): RPT_ABSENT when
   * it pulled nothing that took time. */
  int64_t pull_at, pulled_at;
  /* Each container.restarting (restartPolicy), run time, in order. */
  int64_t *restart_at;
  size_t n_restarts;
  rpt_health_change *health; /* every healthy/unhealthy event, in order */
  size_t n_health;
  /* Derived (rpt_run_derive): when it was ready as its dependents see it
   * (HEALTHY with a health check; exit for a container others wait on with
   * COMPLETE/SUCCESS; otherwise started). */
  int64_t ready_at;
} rpt_container;

/* One link of a critical chain, from the goal down to the first cause. */
typedef struct rpt_link {
  size_t container;  /* index into the task's containers */
  const char *why;   /* the condition the link above waited for */
  int64_t start_off; /* started, from the task's T0 */
  int64_t dur;       /* started -> the condition was met */
} rpt_link;

/* What Consul said of a task's service instance over one stretch of the
 * run: registered but not passing yet (or critical again), or passing;
 * from the consul.register, service.passing / service.critical and
 * consul.deregister / consul.leave events. Run times; `to` is RPT_ABSENT
 * while the stretch lasts to the end of the log. */
typedef struct rpt_svc_span {
  int64_t from, to;
  bool passing;
} rpt_svc_span;

typedef struct rpt_task {
  char *name;
  char *family;
  bool server;   /* the Consul server task (not an application task) */
  int64_t t0_at; /* run time of T0 (or of the task's first event) */
  int64_t ms[RPT_MS_COUNT]; /* offsets from t0_at */
  /* Host lag (host.lag events, wall) the task had accrued by each
   * milestone, and by the end of the log: the part of ms[] that was this
   * machine being busy rather than the scenario. */
  int64_t lag[RPT_MS_COUNT];
  int64_t lag_end;
  /* The part of lag[] / lag_end that was the task's processes' own CPU
   * work beyond the scenario's time (host.lag's cpu_us): measured, where
   * the waits for a CPU are the kernel's estimate, so verdicts take it
   * out once and not twice (docs/expectations.md). */
  int64_t lag_cpu[RPT_MS_COUNT];
  int64_t lag_cpu_end;
  /* Run time of the runner's last sample of the task's lag (its host.lag
   * with "final": true), 0 in a log without one. The final sweep samples
   * a fleet's tasks one after another, for seconds on a host the fleet
   * overloads: what a task was held back after its own sample is not in
   * lag_end, so its time is judged up to that sample, not the sweep's end. */
  int64_t sampled_end;
  /* Final state as the log ends. */
  char *status;    /* last task.status */
  char *stop_code; /* last task.stop_requested */
  char *stop_reason;
  bool service_passing; /* last service.* event was service.passing */
  rpt_svc_span *svc;    /* the service's stretches in Consul, in order */
  size_t n_svc;
  rpt_container *containers;
  size_t n_containers;
  /* Derived: the goal the task is judged by. A mesh task (one with a
   * Consul container: discover-servers, mesh-init, consul-client or
   * sidecar-proxy) has T1-T4. Any task has READY: every essential
   * container running, and HEALTHY where it has a health check, none of
   * them ended yet; offset from t0_at, or RPT_ABSENT. */
  bool mesh;
  int64_t ready_off;
  /* Derived: the chain that decided T4 (empty when T4 was not reached). */
  rpt_link *chain;
  size_t n_chain;
  int64_t chain_goal_off; /* T4 offset, or RPT_ABSENT */
} rpt_task;

/* Fleet statistics of one container name over the application tasks. */
typedef struct rpt_ctr_stats {
  char *name;
  char *role;
  rpt_stats wait;           /* pending -> started */
  rpt_stats start_to_ready; /* started -> ready */
  rpt_stats start_to_healthy;
  rpt_stats start_to_exit;
} rpt_ctr_stats;

typedef struct rpt_api_op {
  char *operation;
  size_t count, errors, throttles;
  rpt_stats latency;
} rpt_api_op;

typedef struct rpt_count {
  char *kind;
  size_t n;
} rpt_count;

typedef struct rpt_fault {
  int64_t at;
  char *task, *container; /* NULL when run-wide */
  char *target, *action;
  char *params; /* the other detail fields, compact JSON, or NULL */
} rpt_fault;

/* INCONCLUSIVE: the run could not tell, because the host held the task
 * back by more than the margin (docs/expectations.md); never a pass. */
typedef enum rpt_result {
  RPT_UNDECIDED,
  RPT_PASS,
  RPT_FAIL,
  RPT_INCONCLUSIVE
} rpt_result;
/* "undecided", "pass", "fail", "inconclusive" */
const char *rpt_result_name(rpt_result r);

/* An event named in a verdict: what broke an expectation, or decided it. */
typedef struct rpt_ref {
  int64_t at;
  char *kind;
  char *task;      /* NULL when run-level */
  char *container; /* NULL when not about one */
  char *note;      /* why this event matters, or NULL */
} rpt_ref;

typedef struct rpt_verdict {
  char *name; /* human name, e.g. "order: sidecar-proxy healthy before ..." */
  char *path; /* where it was written: "$.expect.order[0]" */
  char *kind; /* order, milestone, final, invariant */
  rpt_result result;
  char *message;      /* why it failed / what is pending; NULL on a pass */
  int64_t decided_at; /* run time of the deciding event; RPT_ABSENT if not */
  char **failed_tasks;
  size_t n_failed_tasks;
  rpt_ref *refs;
  size_t n_refs;
} rpt_verdict;

typedef struct rpt_run {
  char *scenario;
  char *description;
  int64_t seed;
  double time_scale;
  /* The run's deadline in scenario time (run.start's deadline_us); 0: not
   * recorded (older logs) */
  int64_t deadline_us;
  char *wall_start; /* RFC 3339, or NULL */
  char *ecsboot_version;
  char *log_path; /* where the log was read from, as given */
  bool complete;  /* run.end with complete=true */
  bool torn_tail;
  char *end_reason; /* run.end's reason, or NULL */
  int64_t end_at;   /* last event's time */
  /* When the runner last acted on its tasks and sampled their host lag,
   * before it stopped them (run.end's tasks_end_us; end_at in a log
   * without it): the time verdicts judge a task's time with. The
   * teardown after it is no task's time. */
  int64_t tasks_end_at;
  size_t n_events;
  rpt_task *tasks;
  size_t n_tasks;
  size_t n_app_tasks;
  rpt_stats ms[RPT_MS_COUNT]; /* over application tasks */
  /* Host contention: per milestone, over the tasks that reached it, the
   * share of their time to it that was host lag (permille, the tasks'
   * p50); over every mesh task, the share of its time to T4, or to the
   * end of the log when it never reached T4 and did not stop (fit_share,
   * permille, p50: a fleet too large for the machine may have no task at
   * T4); and a
   * time_scale at which that share would be about a fifth (0: it is
   * already small, or not known). */
  rpt_stats host_share[RPT_MS_COUNT];
  int64_t fit_share;
  double fit_time_scale;
  rpt_ctr_stats *ctr;
  size_t n_ctr;
  rpt_api_op *api;
  size_t n_api;
  rpt_count *consul; /* counts of consul.* events by kind */
  size_t n_consul;
  rpt_fault *faults;
  size_t n_faults;
  rpt_verdict *verdicts;
  size_t n_verdicts;
  char *expect_error; /* the log's expect block did not parse: why */
} rpt_run;

rpt_run *rpt_run_new(void);
void rpt_run_free(rpt_run *r);
void rpt_task_clear(rpt_task *t);
void rpt_verdict_clear(rpt_verdict *v);

/* The milestone a task's startup is judged by: "T4" for a mesh task,
 * "READY" for any other (rpt_task.mesh). */
const char *rpt_task_goal_name(const rpt_task *t);

/* READY, the goal of a task without mesh: the moment every essential
 * container was up (its first HEALTHY with a health check, else its first
 * start) with none of them ended before the last came up. One rule for the
 * runner, which settles a run there, and the reports, which judge by it:
 * fold each container in with rpt_ready_add, then rpt_ready_at gives the
 * time, RPT_ABSENT when not (yet) reached. Times in any one base. */
typedef struct rpt_ready_fold {
  int64_t last_up, first_end;
  bool any, missing;
} rpt_ready_fold;

void rpt_ready_init(rpt_ready_fold *f);
void rpt_ready_add(rpt_ready_fold *f, bool essential, int64_t up_at,
                   int64_t end_at);
int64_t rpt_ready_at(const rpt_ready_fold *f);

/* How much earlier than measured a time with host lag `lag` (of which
 * `cpu` was the processes' CPU work) may really have been: the lag taken
 * out once, and its estimated part (the waits for a CPU, which the kernel
 * may not all show or may show twice) once more. The CPU work is
 * measured, so it is taken out only once. The one rule for verdicts'
 * INCONCLUSIVE band and compare's noise (docs/expectations.md). */
int64_t rpt_lag_band(int64_t lag, int64_t cpu);

/* When c stopped running: its exit or the signal that killed it, whichever
 * came first; RPT_ABSENT while it runs. */
int64_t rpt_container_end(const rpt_container *c);

/* Fills ready_at, the critical chains, the fleet milestone statistics and
 * the per-container statistics from tasks[] (used after computing from a
 * log and after loading a JSON report). */
int rpt_run_derive(rpt_run *r, ecsb_err *err);

/* Lookups. */
const rpt_container *rpt_task_container(const rpt_task *t, const char *name);
/* Index of the container, or -1. */
long rpt_task_container_index(const rpt_task *t, const char *name);
/* How many verdicts failed / are undecided / are inconclusive. */
size_t rpt_run_failures(const rpt_run *r);
size_t rpt_run_undecided(const rpt_run *r);
size_t rpt_run_inconclusive(const rpt_run *r);
/* The application task with the largest T4 (or, when none reached T4, the
 * first application task); NULL without application tasks. */
const rpt_task *rpt_run_slowest(const rpt_run *r);

/* Run time at which the condition of a dependency on c was met (START:
 * started, COMPLETE: exited or killed, SUCCESS: exited 0, HEALTHY: first
 * healthy), or RPT_ABSENT. */
int64_t rpt_condition_met_at(const rpt_container *c, const char *condition);
/* The container whose end made the task stop: the essential container
 * that exited or could not start last at or before the stop request (S0);
 * NULL when none did (StopTask, a stop with no container cause). */
const rpt_container *rpt_task_stop_cause(const rpt_task *t);
/* "caused by NAME (essential) @+T: OUTCOME" for that container, into buf
 * (T from the task's T0); NULL when there is none. */
const char *rpt_task_stop_cause_text(const rpt_task *t, char *buf, size_t cap);
/* What became of c, for blame: "ready", "exited CODE", "killed SIGNAL",
 * "never started: REASON", "started, never ready", or "not started yet"
 * when the log ends first. Returns buf. */
const char *rpt_container_outcome(const rpt_container *c, char *buf,
                                  size_t cap);

#endif
