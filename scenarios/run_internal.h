/*
 * run_internal.h - what the runner's files share (runner.c: set-up, the
 * loop, the stop decision, teardown; run_task.c: tasks, their engines and
 * container processes; run_probe.c: health-check probes; run_faults.c: the
 * fault plan; run_consul.c: the Consul server's events and the
 * service-passing observer). Nobody outside scenarios/ sees it. Its names
 * carry scn_run_ (the run's state is scn_runner: scn_run is the public
 * entry point, scn/runner.h); file-local helpers keep plain names.
 *
 * Threads: the loop runs on the caller's thread and owns every structure
 * here. Other threads (fake-ecs's and fake-consul's server threads, the
 * probe workers) only call scn_run_emit (locked), set atomic flags and write
 * to the wake pipe.
 */
#ifndef SCN_RUN_INTERNAL_H
#define SCN_RUN_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ecsb/clock.h"
#include "ecsb/taskclock.h"
#include "fcon/fcon.h"
#include "fecs/engine.h"
#include "fecs/fecs.h"
#include "rpt/eventlog.h"
#include "rpt/expect.h"
#include "rpt/run.h"
#include "scn/container.h"
#include "scn/exitwatch.h"
#include "scn/netblock.h"
#include "scn/proc.h"
#include "scn/runner.h"
#include "scn/scenario.h"

/* A task's clock stands once the loop has not sampled it for this long
 * (ecsb/taskclock.h's lease), however rarely the loop can sweep: what held
 * the task back since the last sample is not measured yet, and a process
 * that reads the clock in between counts it as task time for good (its
 * clock never goes back). A fleet's sweeps, spaced by their CPU cost, come
 * seconds apart on a host it overloads; a lease that long let a 1,000-task
 * fleet's consul-clients run the app's check twenty times before the app
 * started, and T4 came at 240 s of task time instead of 35. The tasks the
 * loop samples less often than this stand in between, and the next sample
 * charges that as their wait for the loop. */
#define SCN_RUN_LEASE_US 60000

#define SCN_RUN_NEVER INT64_MAX
#define SCN_RUN_MAX_HELD_PORTS 8
/* Floor of a scaled ECS health-check timeout (wall), see run_check. */
#define SCN_RUN_MIN_PROBE_TIMEOUT_US 100000

typedef struct scn_runner scn_runner;
typedef struct scn_run_probes scn_run_probes;
typedef struct scn_run_load scn_run_load;
typedef struct scn_run_initev scn_run_initev;

typedef struct scn_run_task scn_run_task;

/* A process of the task that ended and the loop has yet to act on: set by
 * the exit watcher's thread (scn_run_task_ended), cleared by the loop
 * once it acted on the exit. */
typedef struct scn_run_end {
  _Atomic int64_t tt; /* task time it ended; SCN_RUN_NEVER: none */
  scn_run_task *t;
} scn_run_end;

typedef struct scn_run_ctr {
  const char *name; /* borrowed from def */
  const cJSON *def;
  const scn_image_rule *rule;
  const char *role;
  char id[64]; /* its id in the metadata endpoint */
  scn_proc *proc;
  pid_t pid;
  bool started, exited;
  /* For a task without mesh: essential, has a health check, and is up
   * now (started, and HEALTHY where it has a health check). */
  bool essential, checked;
  /* run time it first came up (started, or HEALTHY with a check) and first
   * ended; RPT_ABSENT before (rpt_ready_add's inputs) */
  int64_t up_at, end_at;
  int64_t spawn_at;  /* a START waiting for slow_start; SCN_RUN_NEVER: none */
  int exit_override; /* the code a fault made it exit with; -1: none */
  int64_t crash_delay_us; /* crash_after armed: delay from start; -1 none */
  int crash_code;
  int64_t crash_at;      /* when the armed crash fires; SCN_RUN_NEVER: none */
  int64_t slow_start_us; /* delay the next start; 0: none */
  bool hang;             /* freeze it (SIGSTOP) as soon as it starts */
  bool health_fail;
  int64_t flap_us, flap_t0; /* health_flap period; 0: none */
  /* Host lag of proc and probe_proc when last sampled (run_lag.c). */
  scn_proc_times lag_seen, probe_lag_seen;
  scn_run_end proc_end, probe_end; /* their exits (run_lag.c) */
  /* Health-check probe. */
  bool has_probe;
  scn_probe probe;
  bool probe_busy;
  scn_proc *probe_proc; /* SCN_PROBE_PROCESS scn_runner */
  int64_t probe_deadline;
  int64_t probe_delay_us; /* slow_accept on the probed port */
} scn_run_ctr;

struct scn_run_task {
  int index; /* 0-based among application tasks; -1: the server task */
  char name[64];
  char ip[16];
  char arn[FECS_ARN_MAX];
  char dir[1024];
  int64_t create_at; /* run time it is due */
  bool created, done;
  /* A mesh task has a Consul container and is done starting at T4; any
   * other at READY (rpt_ready_at over its containers). */
  bool mesh, ready;
  int64_t t0; /* run time of its T0 */
  /* Host lag since T0 (run_lag.c), wall us: what its processes and the
   * runner spent waiting for a CPU, and its processes' CPU work beyond
   * its scaled duration. Its engine, health checks and
   * container timers run on task time, run time minus this, so a busy
   * host delays a task's timeline instead of changing what happens in it. */
  int64_t lag_us;
  int64_t lag_emitted;   /* lag_us in its last host.lag event */
  int64_t lag_runner;    /* the runner's own lag when last sampled */
  int64_t lag_runner_us; /* the runner's share of lag_us */
  int64_t lag_cpu_us;    /* the measured work's share of lag_us: its
                            processes' CPU and disk writes, the fakes'
                            answering them */
  int64_t lag_io_us;     /* of that, its processes' disk writes */
  int64_t blocked_seen;  /* the clock file's blocked time when last read */
  /* CPU the runner's side spent for the task: its fakes' servers
   * answering the task's calls (added by their threads,
   * scn_run_lag_served), the fork servers starting its containers; and
   * how much of it is charged */
  _Atomic int64_t served_cpu_us;
  int64_t served_seen;
  int64_t tt_max;    /* the latest task time handed out */
  int64_t hold_seen; /* the clock's hold once moved back for the charge */
  /* the lag when the clock's hold was set: what the loop charged since,
   * before it moved the hold, came before the exit */
  _Atomic int64_t hold_lag;
  int64_t sampled_at;  /* run time of its last lag sample */
  int64_t lag_sampled; /* lag_us right after it */
  /* The latest task time at which the Consul server saw a change of the
   * task not yet observed (INT64_MIN: none). */
  _Atomic int64_t consul_tt;
  scn_runner *runner;
  ecsb_taskclock *clock; /* lag_us shared with its processes */
  fecs_engine *eng; /* fake-ecs's (fecs_task_engine_new); driven from here */
  scn_run_ctr *c;
  size_t n;
  int consul_client; /* index of its consul-client container, or -1 */
  /* Milestones as this run sees them (for at_milestone faults and the
   * settle rule), run time; -1: not reached. */
  int64_t ms[5];
  bool passing;               /* last service.* emitted was service.passing */
  atomic_bool consul_changed; /* the server saw a change of this task */
  char passing_instance[256];
  char passing_service[256];
  int held_fd[SCN_RUN_MAX_HELD_PORTS][2]; /* port taken: listener, filler */
  int held_port[SCN_RUN_MAX_HELD_PORTS];
  size_t n_held;
  /* Environment handed to its containers. */
  scn_task_env env;
  char md_base[256], creds_uri[512], creds_token[128];
  char control_path[1100];
  cJSON *control; /* the consul-client's control document so far */
  /* Load (run_load.c): sent until this task time (INT64_MAX while the
   * service passes, + the routing delay once it stopped; 0: never). */
  _Atomic int64_t load_until;
  int64_t load_next; /* the load thread's own */
  atomic_uint_fast64_t load_sent, load_failed;
};

typedef struct scn_run_timer {
  int64_t at;
  size_t fault; /* index in the scenario's faults */
  int task;     /* application task index, -1: run-wide */
  bool end;     /* the end of a fault with a duration */
} scn_run_timer;

struct scn_runner {
  const scn_scenario *s;
  const scn_run_opts *o;
  /* the words before o->init_bin (scn_task_env.init_prefix) */
  const char *const *init_prefix;
  scn_netblock nb;
  bool have_nb;
  scn_guard guard;
  scn_adopt adopt;
  size_t orphans; /* still alive at the end, then killed */
  /* ecsboot-init's, ecsboot's and ecsboot-standin's fork servers
   * (scn_run_forksrv_for) */
  scn_forksrv *forksrv[3];
  size_t n_forksrv;
  char dir[4096];
  char log_path[4096];
  char ecs_ip[16], md_ip[16], server_ip[16];

  int64_t t0_mono; /* ecsb_mono_us at T0 */
  /* How long a task's clock runs past the loop's last sample of it (its
   * clock file's lease): SCN_RUN_LEASE_US (a field: tests shorten it) */
  int64_t lease_us;
  /* run time of the loop's last lag sweep, before the teardown (0: the
   * loop did not get there); the final verdicts judge with it */
  int64_t tasks_end;
  rpt_log_writer *w;
  pthread_mutex_t mu; /* w, mem, last_t, quiet */
  rpt_log *mem;       /* the log so far, for rpt_expect_decided */
  size_t mem_cap;
  int64_t last_t;
  bool quiet; /* teardown: other threads' events are no longer recorded */
  rpt_expect *expect;
  size_t n_expect;

  fecs *ecs;
  cJSON *task_def; /* as registered (register-task-definition shape) */
  char family[256];
  fecs_task_spec *spec;
  fcon_server *consul;
  atomic_bool consul_dirty;

  scn_run_task server;
  scn_run_task *tasks;
  size_t n_tasks;
  /* n_tasks once tasks is ready for the fakes' threads (0 before) */
  atomic_size_t n_served_tasks;
  size_t n_created, n_done;

  scn_run_timer *timers;
  size_t n_timers, cap_timers;
  ecsb_rng fault_rng;

  scn_run_probes *probes;
  scn_exitwatch *exits; /* when containers end (scn_run_lag_ended) */
  scn_run_load *load;
  scn_run_initev *initev; /* ecsboot-init's retry datagrams (run_initev.c) */
  int wake[2]; /* self-pipe: signals and other threads wake the loop */
  atomic_bool events_since_check; /* written by every thread's scn_run_emit */
  /* Run time of the last event other than host lag (--until stable). */
  _Atomic int64_t last_change_at;
  bool decided; /* the expectations are decided; --until may hold the run */
  bool stop_loop;
  /* A container started since the last quick sample: its start-up is CPU
   * work to charge while it happens (scn_run_lag_quick). */
  bool lag_soon;
  const char *end_reason;
  /* The runner's own lag (its threads' and its fork servers' waits for a
   * CPU, run_lag.c), read through self at most every
   * RUN_LAG_SELF_EVERY_US: the sum, and when; the largest task lag so
   * far, and the largest band verdicts give a task's lag (rpt_lag_band),
   * by which the run's deadline waits. */
  scn_proc *self;
  int64_t self_lag_us, self_lag_at;
  int64_t max_lag_us, max_band_us;
};

/* runner.c */
int64_t scn_run_now(const scn_runner *r);
/* The fork server of a container's program (argv[0]), or NULL: exec it. */
scn_forksrv *scn_run_forksrv_for(const scn_runner *r, const char *prog);
/* Records one event; detail is consumed (may be NULL). t < 0: now. Events
 * are stamped never earlier than the previous one, so the file stays in
 * order whichever thread wrote it. */
void scn_run_emit(scn_runner *r, int64_t t, const char *kind, const char *task,
                  const char *container, cJSON *detail);
void scn_run_wake(scn_runner *r);

/* run_lag.c */
/* Samples the task's host lag (its processes' and the runner's time
 * waiting for a CPU since its T0, and the time the loop kept it waiting:
 * a timer past due, an exit or a probe answer not yet acted on, and
 * due_tt, the task time of what the caller is about to act on, or
 * SCN_RUN_NEVER). Call before acting on the task. */
void scn_run_lag_update(scn_runner *r, scn_run_task *t, int64_t due_tt);
/* The exit watcher's callback for a task's processes (user: the
 * scn_run_end of the process): records the exit and holds the task's
 * clock from then (ecsb_taskclock_hold). */
void scn_run_lag_ended(void *user, int64_t mono_us);
/* The earliest task time at which one of the task's processes ended that
 * the loop has yet to act on, or SCN_RUN_NEVER. */
int64_t scn_run_lag_ended_tt(const scn_run_task *t);
/* The loop reaped e's process: if the exit watcher had not seen the exit
 * yet (the reap took its registration), records it and holds the clock
 * now, as the watcher would have, so that starting what the exit allowed
 * takes the task no time. */
void scn_run_lag_reaped(scn_run_end *e);
/* The loop acted on the exit of e's process. */
void scn_run_lag_end_done(scn_run_end *e);
/* After acting on the task: once no exit is left to act on, charges the
 * time its clock was held (the loop's acting included) and releases it. */
void scn_run_lag_release(scn_run_task *t);
/* The task time of ecsb_mono_us mono_us, from any thread. */
int64_t scn_run_lag_task_time(const scn_run_task *t, int64_t mono_us);
/* Records a host.lag event (at run time `at`, -1: now) when the lag grew
 * since the last one: before any event of the task, so a report finds the
 * lag each event carried. */
void scn_run_lag_flush(scn_runner *r, scn_run_task *t, int64_t at);
/* The CPU part of a sample alone (scn_proc_cpu_us: a system call per
 * process, no /proc walk), charged at once: at 0.01 a container's start-up
 * CPU is nearly all of the wall time it takes, and a process that reads
 * the task's clock before it is charged sees it as task time. Nothing
 * while the clock is held or an exit waits for the loop (the full sample
 * moves the hold). Returns whether the lag grew. */
bool scn_run_lag_quick(scn_runner *r, scn_run_task *t);
/* Samples and records every running task's lag; returns the loop's CPU it
 * cost (us), which paces the next sweep (its wall time is long when the
 * host holds the loop back), and says whether any task's grew since its
 * last host.lag event. */
int64_t scn_run_lag_sweep(scn_runner *r, bool *grew);
/* Takes the lease off every task's clock: the teardown's drains run on. */
void scn_run_lag_unlease(scn_runner *r);
/* The loop's last sample of every running task's lag, each recorded as a
 * host.lag with "final": true, whether it grew or not: on a host a fleet
 * overloads the sweep takes seconds, and what a task was held back after
 * its own sample is not in its lag, so the verdicts judge each task's time
 * up to that event, not to the sweep's end. */
void scn_run_lag_final_sweep(scn_runner *r);
/* The same with scn_run_lag_quick, the CPU part alone. */
int64_t scn_run_lag_quick_sweep(scn_runner *r, bool *grew);
/* The runner's own lag so far (sampled at most every 2 ms). */
int64_t scn_run_lag_self(scn_runner *r);
/* The fakes' servers' ecsb_httpd_served_fn (user: the runner): the CPU
 * an answer to one of a task's processes took, charged to that task (the
 * caller's address names it) at its next sample. */
void scn_run_lag_served(void *user, const char *remote_ip, int64_t cpu_us);
/* Task time: run time with the task's host lag taken out, standing while
 * its clock is held (as its processes see it). */
int64_t scn_run_task_now(const scn_runner *r, scn_run_task *t);

/* run_task.c */
int scn_run_task_prepare(scn_runner *r, scn_run_task *t, int index,
                         ecsb_err *err);
int scn_run_task_create(scn_runner *r, scn_run_task *t, ecsb_err *err);
/* Feeds what happened to the task's engine and performs what it asks,
 * until both queues are empty. */
int scn_run_task_drive(scn_runner *r, scn_run_task *t, ecsb_err *err);
/* Fires due timers (slow starts, crashes, probe timeouts, engine
 * deadlines) and, with reap, reaps exited processes (one waitid each: only
 * after a SIGCHLD, since fleets have thousands of processes). */
int scn_run_task_poll(scn_runner *r, scn_run_task *t, bool reap, ecsb_err *err);
int64_t scn_run_task_next_deadline(const scn_runner *r, const scn_run_task *t);
scn_run_ctr *scn_run_task_role(scn_run_task *t, const char *role);
/* Kills every process of the task (SIGTERM, then SIGKILL after grace_ms
 * shared by all tasks: see runner.c) and frees its engine. */
void scn_run_task_signal_all(scn_run_task *t, int sig);
bool scn_run_task_all_exited(scn_run_task *t);
void scn_run_task_free(scn_run_task *t);
void scn_run_task_milestone(scn_runner *r, scn_run_task *t, int ms, int64_t at);
/* A health check's result; answered_tt: the task time its answer came
 * (a probe worker's), so the loop's delay in acting on it is charged as
 * lag; SCN_RUN_NEVER when the loop acts on it as it comes. */
int scn_run_task_health_result(scn_runner *r, scn_run_task *t, size_t ci,
                               bool ok, int64_t answered_tt, ecsb_err *err);

/* run_probe.c: TCP and HTTP probes on worker threads. */
int scn_run_probes_new(scn_runner *r, unsigned threads, scn_run_probes **out,
                       ecsb_err *err);
/* Queues a probe of container ci of task ti (an application task index,
 * -1 for none); its result comes back through scn_run_probes_poll. */
int scn_run_probes_submit(scn_run_probes *p, int ti, size_t ci,
                          const scn_probe *pr, int64_t timeout_us,
                          int64_t delay_us, ecsb_err *err);
/* Pops one finished probe (its answer came at ecsb_mono_us *done_at);
 * false when none. */
bool scn_run_probes_poll(scn_run_probes *p, int *ti, size_t *ci, bool *ok,
                         int64_t *done_at);
void scn_run_probes_free(scn_run_probes *p);

/* run_load.c: requests through each passing task's sidecar. Start does
 * nothing without a scenario "load"; stop emits each task's summary. */
int scn_run_load_start(scn_runner *r, scn_run_load **out, ecsb_err *err);
void scn_run_load_stop(scn_run_load *l);

/* run_initev.c: ecsboot-init's retries as init.retry events. Start binds
 * the socket and starts its reader (r->initev; stop frees it, also after a
 * failed start); addr is the ECSBOOT_EVENTS value for containers, NULL
 * when not started. */
int scn_run_initev_start(scn_runner *r, ecsb_err *err);
const char *scn_run_initev_addr(const scn_runner *r);
void scn_run_initev_stop(scn_runner *r);

/* run_faults.c */
int scn_run_faults_plan(scn_runner *r, ecsb_err *err); /* run-wide timers */
int scn_run_faults_task(scn_runner *r, scn_run_task *t,
                        ecsb_err *err); /* at creation */
void scn_run_faults_milestone(scn_runner *r, scn_run_task *t, int ms);
int scn_run_faults_due(scn_runner *r, int64_t now, ecsb_err *err);
int64_t scn_run_faults_next(const scn_runner *r);
/* A container of t was just started: arm its container faults. */
void scn_run_faults_started(scn_runner *r, scn_run_task *t, scn_run_ctr *c);

/* run_consul.c */
void scn_run_consul_event(void *user, const fcon_event *ev);
/* Emits service.passing / service.critical for every task whose state in
 * the Consul server changed. */
void scn_run_consul_observe(scn_runner *r);
/* The task at this address (the server task included), or NULL. */
scn_run_task *scn_run_task_by_ip(scn_runner *r, const char *ip);

#endif
