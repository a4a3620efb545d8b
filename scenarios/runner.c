/*
 * runner.c - one scenario run (see runner.h): set-up of the world, the
 * loop, the decision to stop, teardown, and the final verdicts.
 *
 * The loop sleeps in ppoll on a self-pipe until the earliest deadline
 * (an engine's health check or SIGKILL, a task start, a fault, a probe
 * timeout) or until something wakes it: SIGCHLD, SIGINT/SIGTERM, a probe
 * result, a change in the Consul server. Every iteration reaps, fires what
 * is due, drives the engines until their queues are empty, then asks
 * rpt_expect_decided over the in-memory copy of the log whether the run
 * may stop.
 *
 * Teardown is outside the simulation: it is not a StopTask, so it emits no
 * task events (shutdown is replayed by scenarios that ask for it). Events
 * from other threads are no longer recorded once it begins.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ecsb/clock.h"
#include "ecsb/duration.h"
#include "ecsb/fileio.h"
#include "ecsb/log.h"
#include "ecsb/version.h"
#include "rpt/milestones.h"
#include "rpt/term.h"
#include "run_internal.h"
#include "scn/image_root.h"

#define MARKER ".ecsboot-run"
/* How long (wall) the end of a run waits for the orphans it SIGKILLed. */
#define ORPHAN_WAIT_MS 5000
/* Longest teardown grace (wall): containers get SIGTERM, then SIGKILL. */
#define TEARDOWN_GRACE_MS 2000
/* The stop decision re-reads the whole log; not more often than this. */
#define DECIDE_EVERY_US 20000
/* Reaping without a SIGCHLD, as a safety net: not more often than this. */
#define REAP_EVERY_US 100000
/* Every running task's host lag is sampled and recorded at least this
 * often, and every LAG_SWEEP_BUSY_US while it grows (more rarely when a
 * sweep costs more than a twentieth of the gap). A task's processes read
 * its clock between samples: what a sample charges late, they have
 * already counted as task time. */
#define LAG_SWEEP_EVERY_US 20000
#define LAG_SWEEP_BUSY_US 1000
/* Between sweeps the CPU part alone (scn_run_lag_quick) is charged every
 * LAG_QUICK_BUSY_US while it grows and right after a container started,
 * under the same cost rule: a full sweep costs 0.1-0.4 ms of CPU even for
 * one task, so the rule spaces them 2-8 ms apart, and a process that read
 * the clock in between (consul-client registering a check while
 * mesh-init starts) saw the start-up CPU not yet charged as task time: at
 * 0.01 0.1-0.6 s, by which the check's first run, and T4, moved. */
#define LAG_QUICK_BUSY_US 500

/* The gap to the next lag sample: busy_us while the lag grows, doubling
 * up to LAG_SWEEP_EVERY_US while it does not, and never less than twenty
 * times what the last one cost. */
static int64_t lag_pace(int64_t gap, bool grew, int64_t busy_us,
                        int64_t cost_us) {
  gap = grew ? busy_us : gap * 2;
  if (gap > LAG_SWEEP_EVERY_US)
    gap = LAG_SWEEP_EVERY_US;
  if (gap < cost_us * 20)
    gap = cost_us * 20;
  return gap;
}

static volatile sig_atomic_t g_signal;
static volatile sig_atomic_t g_child;
static int g_wake_fd = -1;

static void on_signal(int sig) {
  int e = errno;
  if (sig == SIGCHLD)
    g_child = 1;
  else if (!g_signal)
    g_signal = sig;
  if (g_wake_fd >= 0) {
    char b = 1;
    ssize_t n = write(g_wake_fd, &b, 1);
    (void)n; /* a full pipe already wakes the loop */
  }
  errno = e;
}

int64_t scn_run_now(const scn_runner *r) {
  return ecsb_mono_us() - r->t0_mono;
}

void scn_run_wake(scn_runner *r) {
  char b = 1;
  ssize_t n = write(r->wake[1], &b, 1);
  (void)n;
}

static int mem_append(scn_runner *r, int64_t t, const char *kind,
                      const char *task, const char *container, cJSON *detail) {
  rpt_log *m = r->mem;
  int rc = rpt_log_append(m, &r->mem_cap, t, kind, task, container, detail,
                          m->n + 1);
  if (m->n == 1)
    m->run_start = m->events[0].detail;
  return rc;
}

void scn_run_emit(scn_runner *r, int64_t t, const char *kind, const char *task,
                  const char *container, cJSON *detail) {
  pthread_mutex_lock(&r->mu);
  if (t < 0)
    t = scn_run_now(r);
  if (t < r->last_t)
    t = r->last_t;
  r->last_t = t;
  /* A write error sticks in the writer; rpt_log_writer_close reports it. */
  rpt_log_emit_at(r->w, t, kind, task, container, detail);
  if (strcmp(kind, "host.lag") != 0 && strcmp(kind, "expect.verdict") != 0)
    atomic_store(&r->last_change_at, t);
  if (mem_append(r, t, kind, task, container, detail))
    ecsb_log(ECSB_LOG_ERROR, "runner: out of memory recording events", NULL);
  atomic_store(&r->events_since_check, true);
  pthread_mutex_unlock(&r->mu);
}

/* ---- fake-ecs hook ------------------------------------------------------ */

static void ecs_hook(void *user, const fecs_hook_event *ev) {
  scn_runner *r = user;
  if (ev->kind != FECS_HOOK_API_CALL)
    return;
  pthread_mutex_lock(&r->mu);
  bool quiet = r->quiet;
  pthread_mutex_unlock(&r->mu);
  if (quiet)
    return;
  cJSON *d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "operation", ev->operation ? ev->operation : "");
  cJSON_AddNumberToObject(d, "status", ev->http_status);
  cJSON_AddNumberToObject(d, "latency_us", (double)ev->latency_us);
  if (ev->error_code)
    cJSON_AddStringToObject(d, "error", ev->error_code);
  scn_run_emit(r, -1, "ecs.api", NULL, NULL, d);
}

/* ---- folders ------------------------------------------------------------ */

static int rm_entry(const char *p, const struct stat *st, int flag,
                    struct FTW *f) {
  (void)st;
  (void)f;
  return flag == FTW_DP ? rmdir(p) : unlink(p);
}

/* Removes an earlier run's tasks/ folder, but only one the runner made. */
static int fresh_tasks_dir(scn_runner *r, ecsb_err *err) {
  char tasks[4200], marker[4300];
  snprintf(tasks, sizeof tasks, "%s/tasks", r->dir);
  snprintf(marker, sizeof marker, "%s/" MARKER, tasks);
  struct stat st;
  if (lstat(tasks, &st) == 0) {
    if (access(marker, F_OK) != 0)
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s exists and was not made by ecsboot run; "
                          "choose another --out folder",
                          tasks);
    if (nftw(tasks, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
      return ecsb_err_set(err, ECSB_EIO, "cannot remove the old %s: %s", tasks,
                          strerror(errno));
  }
  int rc = ecsb_mkdirs(tasks, err);
  if (rc)
    return rc;
  return ecsb_atomic_write(marker, "", 0, 0644, err);
}

/* ---- the world ------------------------------------------------------------
 */

/* The connections each of the fakes' servers serves at once. Every task's
 * agent may have a sync, a proxied blocking query and its leave in flight
 * at once (1,000 tasks' leaves at the teardown met the default of 1,024,
 * and libmicrohttpd refused the rest), and the init containers of a fleet
 * call fake-ecs together at its start. The runner raised its limit on
 * open files to 65,535. */
static unsigned fleet_conn_limit(const scn_scenario *s) {
  return 1024 + 4 * (unsigned)s->task_count;
}

static int setup_ecs(scn_runner *r, ecsb_err *err) {
  const scn_scenario *s = r->s;
  fecs_config c;
  fecs_config_default(&c);
  c.api_bind_ip = r->ecs_ip;
  c.metadata_bind_ip = r->md_ip;
  c.seed = s->seed ? s->seed : 1;
  c.auto_lifecycle = false;
  c.auto_healthy = false;
  c.time_scale = s->time_scale; /* ECS's rate limits, in scenario time */
  c.hook = ecs_hook;
  c.hook_user = r;
  c.served = scn_run_lag_served;
  c.served_user = r;
  c.conn_limit = fleet_conn_limit(s);
  /* A thread per connection, not a pool (c.threads), here and for the
   * Consul server: the host lag sees a thread's wait for a CPU, not a
   * call's wait in a pool's queue behind other tasks' calls, which would
   * count as the calling task's time (with pools, and each agent's pushes
   * on one kept connection, a 500-task fleet's T4 p50 in task time rose
   * by some 2 s, bench/growth.sh). */
  int rc = fecs_new(&c, &r->ecs, err);
  if (rc)
    return ecsb_err_prefix(err, "fake-ecs");
  if ((rc = fecs_cluster_create(r->ecs, s->cluster, NULL, err)))
    return ecsb_err_prefix(err, "fake-ecs cluster");

  /* The Consul server's task definition and service, so discover-servers
   * finds it by service name (or by family). */
  cJSON *td = cJSON_CreateObject();
  cJSON_AddStringToObject(td, "family", s->server_family);
  cJSON_AddStringToObject(td, "networkMode", "awsvpc");
  cJSON *defs = cJSON_AddArrayToObject(td, "containerDefinitions");
  cJSON *d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "name", s->server_container);
  cJSON_AddStringToObject(d, "image", "hashicorp/consul:1.15.11");
  cJSON_AddBoolToObject(d, "essential", true);
  cJSON_AddItemToArray(defs, d);
  rc = fecs_task_definition_register(r->ecs, td, NULL, err);
  cJSON_Delete(td);
  if (rc)
    return ecsb_err_prefix(err, "consul server task definition");
  const char *services[2] = {s->server_family, s->service_name};
  const char *families[2] = {s->server_family, NULL};
  if ((rc = fecs_task_definition_register(r->ecs, s->task_definition, NULL,
                                          err)))
    return ecsb_err_prefix(err, "%s: $.task_definition", s->path);
  const cJSON *fam =
      cJSON_GetObjectItemCaseSensitive(s->task_definition, "family");
  snprintf(r->family, sizeof r->family, "%s",
           cJSON_IsString(fam) ? fam->valuestring : "task");
  families[1] = r->family;
  for (int i = 0; i < 2; i++) {
    if (!services[i])
      continue;
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "cluster", s->cluster);
    cJSON_AddStringToObject(req, "serviceName", services[i]);
    cJSON_AddStringToObject(req, "taskDefinition", families[i]);
    cJSON_AddNumberToObject(req, "desiredCount", 0);
    rc = fecs_invoke(r->ecs, "CreateService", req, NULL, err);
    cJSON_Delete(req);
    if (rc)
      return ecsb_err_prefix(err, "fake-ecs service %s", services[i]);
  }
  return fecs_task_spec_from_json(s->task_definition, "$.task_definition",
                                  &r->spec, err);
}

static int start_log(scn_runner *r, ecsb_err *err) {
  if (snprintf(r->log_path, sizeof r->log_path, "%.4000s/events.jsonl",
               r->dir) >= (int)sizeof r->log_path)
    return ecsb_err_set(err, ECSB_EINVAL, "run folder path too long");
  r->t0_mono = ecsb_mono_us();
  r->lease_us = SCN_RUN_LEASE_US;
  int rc = rpt_log_writer_open(r->log_path, r->t0_mono, &r->w, err);
  if (rc)
    return rc;
  r->mem = calloc(1, sizeof *r->mem);
  if (!r->mem)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  const scn_scenario *s = r->s;
  cJSON *d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "scenario", s->name);
  cJSON_AddStringToObject(d, "description", s->description);
  cJSON_AddNumberToObject(d, "seed", (double)s->seed);
  cJSON_AddNumberToObject(d, "time_scale", s->time_scale);
  char ts[40];
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
  cJSON_AddStringToObject(d, "wall_start", ts);
  cJSON_AddStringToObject(d, "ecsboot_version", ECSB_VERSION);
  cJSON_AddNumberToObject(d, "tasks", s->task_count);
  /* what a task that never reached a milestone had to reach it in */
  cJSON_AddNumberToObject(d, "deadline_us", (double)s->deadline_us);
  cJSON_AddStringToObject(d, "net_block_ip", r->ecs_ip);
  /* how containers were started: a reader comparing two runs' start-up
   * figures needs to know */
  cJSON_AddStringToObject(d, "spawn", r->n_forksrv ? "fork-server" : "exec");
  if (s->expect)
    cJSON_AddItemToObject(d, "expect", cJSON_Duplicate(s->expect, true));
  scn_run_emit(r, 0, "run.start", NULL, NULL, d);
  return 0;
}

/* ---- the Consul server task ---------------------------------------------- */

typedef enum { SRV_WAITING, SRV_RUNNING, SRV_STOPPED } srv_state;

typedef struct server_task {
  srv_state state;
  int64_t run_at, stop_at;
} server_task;

static void server_status(scn_runner *r, const char *status) {
  cJSON *d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "status", status);
  scn_run_emit(r, -1, "task.status", r->server.name, NULL, d);
}

static int server_create(scn_runner *r, server_task *st, ecsb_err *err) {
  const scn_scenario *s = r->s;
  scn_run_task *t = &r->server;
  t->index = -1;
  snprintf(t->name, sizeof t->name, "%s", s->server_family);
  snprintf(t->ip, sizeof t->ip, "%s", r->server_ip);
  char group[300];
  snprintf(group, sizeof group, "service:%s", s->server_family);
  fecs_run_opts ro = {.cluster = s->cluster,
                      .task_definition = s->server_family,
                      .group = group,
                      .ip = t->ip};
  int rc = fecs_task_run(r->ecs, &ro, t->arn, err);
  if (rc)
    return ecsb_err_prefix(err, "consul server task");
  t->created = true;
  cJSON *d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "family", s->server_family);
  cJSON *cs = cJSON_AddArrayToObject(d, "containers");
  cJSON *c = cJSON_CreateObject();
  cJSON_AddStringToObject(c, "name", s->server_container);
  cJSON_AddStringToObject(c, "role", "consul-server");
  cJSON_AddBoolToObject(c, "essential", true);
  cJSON_AddStringToObject(c, "image", "hashicorp/consul:1.15.11");
  cJSON_AddArrayToObject(c, "depends_on");
  cJSON_AddBoolToObject(c, "health_check", false);
  cJSON_AddItemToArray(cs, c);
  scn_run_emit(r, 0, "task.containers", t->name, NULL, d);
  server_status(r, "PROVISIONING");
  server_status(r, "PENDING");
  scn_run_emit(r, -1, "container.pending", t->name, s->server_container, NULL);
  st->state = SRV_WAITING;
  st->run_at = s->server_never_running
                   ? SCN_RUN_NEVER
                   : scn_scale_us(s, s->server_start_delay_us);
  st->stop_at = SCN_RUN_NEVER;
  return 0;
}

static int server_due(scn_runner *r, server_task *st, int64_t now,
                      ecsb_err *err) {
  const scn_scenario *s = r->s;
  scn_run_task *t = &r->server;
  int rc = 0;
  if (st->state == SRV_WAITING && now >= st->run_at) {
    fcon_server_config fc;
    fcon_server_config_default(&fc);
    fc.bind_ip = r->server_ip;
    fc.port = 8500;
    fc.on_event = scn_run_consul_event;
    fc.event_user = r;
    fc.served = scn_run_lag_served;
    fc.served_user = r;
    fc.conn_limit = fleet_conn_limit(s);
    if ((rc = fcon_server_start(&fc, &r->consul, err)))
      return ecsb_err_prefix(err, "Consul server on %s:8500", r->server_ip);
    if ((rc = fecs_container_set_status(r->ecs, t->arn, s->server_container,
                                        "RUNNING", err)) ||
        (rc = fecs_task_set_status(r->ecs, t->arn, "RUNNING", err)))
      return ecsb_err_prefix(err, "consul server task");
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "pid", (double)getpid());
    scn_run_emit(r, now, "container.started", t->name, s->server_container, d);
    server_status(r, "ACTIVATING");
    server_status(r, "RUNNING");
    st->state = SRV_RUNNING;
    if (s->server_stop_after_us > 0)
      st->stop_at = now + scn_scale_us(s, s->server_stop_after_us);
  }
  if (st->state == SRV_RUNNING && now >= st->stop_at) {
    /* The server task is stopped (an essential container exited): ECS
     * and Consul both lose it. */
    if ((rc = fecs_container_set_exit(r->ecs, t->arn, s->server_container, 1,
                                      NULL, err)) ||
        (rc = fecs_task_stop(r->ecs, t->arn, "EssentialContainerExited",
                             "Essential container in task exited", err)) ||
        (rc = fecs_task_set_status(r->ecs, t->arn, "STOPPED", err)))
      return ecsb_err_prefix(err, "consul server task");
    fcon_server_down(r->consul, NULL);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "stop_code", "EssentialContainerExited");
    cJSON_AddStringToObject(d, "reason", "Essential container in task exited");
    scn_run_emit(r, now, "task.stop_requested", t->name, NULL, d);
    d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "exit_code", 1);
    scn_run_emit(r, now, "container.exited", t->name, s->server_container, d);
    server_status(r, "STOPPED");
    st->state = SRV_STOPPED;
  }
  return 0;
}

static int64_t server_next(const server_task *st) {
  if (st->state == SRV_WAITING)
    return st->run_at;
  if (st->state == SRV_RUNNING)
    return st->stop_at;
  return SCN_RUN_NEVER;
}

/* ---- the stop decision ----------------------------------------------------
 */

int scn_until_parse(const char *s, scn_until *until, int64_t *until_us,
                    ecsb_err *err) {
  static const struct {
    const char *name;
    scn_until u;
  } names[] = {{"decided", SCN_UNTIL_DECIDED},
               {"T4", SCN_UNTIL_T4},
               {"stable", SCN_UNTIL_STABLE},
               {"deadline", SCN_UNTIL_DEADLINE}};
  *until_us = 0;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(s, names[i].name) == 0) {
      *until = names[i].u;
      return 0;
    }
  int64_t ns = 0;
  ecsb_err derr = {0};
  if (ecsb_duration_parse(s, &ns, &derr) != 0 || ns <= 0)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "--until: expected decided, T4, stable, deadline or a "
                        "duration such as 90s or 5m, got \"%s\"",
                        s);
  *until = SCN_UNTIL_DURATION;
  *until_us = ns / 1000;
  return 0;
}

/* Done starting: T4 for a mesh task, every essential container up at
 * once for any other (the reports' READY). */
static bool goal_reached(const scn_run_task *t) {
  return t->mesh ? t->ms[4] >= 0 : t->ready;
}

/* Whether --until lets the run end now, its expectations being decided. */
static bool until_met(scn_runner *r, int64_t now) {
  const scn_run_opts *o = r->o;
  switch (o->until) {
  case SCN_UNTIL_DECIDED:
    return true;
  case SCN_UNTIL_T4:
    if (r->n_created < r->n_tasks)
      return false;
    for (size_t i = 0; i < r->n_tasks; i++)
      if (!r->tasks[i].done && !goal_reached(&r->tasks[i]))
        return false;
    return true;
  case SCN_UNTIL_STABLE:
    if (now - atomic_load(&r->last_change_at) <
        scn_scale_us(r->s, SCN_UNTIL_STABLE_US) + r->max_lag_us)
      return false;
    r->end_reason = "stable";
    return true;
  case SCN_UNTIL_DURATION:
    return now >= scn_scale_us(r->s, o->until_us) + r->max_lag_us;
  case SCN_UNTIL_DEADLINE:
    return false;
  }
  return true;
}

/* When --until could next let a decided run end (run time). */
static int64_t until_wake(scn_runner *r) {
  if (r->o->until == SCN_UNTIL_STABLE)
    return atomic_load(&r->last_change_at) +
           scn_scale_us(r->s, SCN_UNTIL_STABLE_US) + r->max_lag_us;
  if (r->o->until == SCN_UNTIL_DURATION)
    return scn_scale_us(r->s, r->o->until_us) + r->max_lag_us;
  return SCN_RUN_NEVER;
}

/* Whether the expectations are all decided at run time now; false when
 * they could not be judged (logged). */
static bool expect_decided(scn_runner *r, int64_t now, bool *decided) {
  rpt_eval_opts eo = {.now_us = now, .expected_tasks = r->n_tasks};
  ecsb_err e = {0};
  *decided = false;
  pthread_mutex_lock(&r->mu);
  int rc = rpt_expect_decided(r->expect, r->mem, &eo, decided, NULL, &e);
  pthread_mutex_unlock(&r->mu);
  if (rc)
    ecsb_log(ECSB_LOG_WARN, "runner: judging expectations", "error", e.msg,
             NULL);
  return rc == 0;
}

/* Without expectations a run is over once every task reached T4 or
 * stopped; with them, once each one is decided (or every task stopped, as
 * nothing can change then); and then once --until says so. */
static void decide(scn_runner *r, int64_t now, bool force) {
  bool all_stopped = r->n_created == r->n_tasks && r->n_done == r->n_tasks;
  if (all_stopped) {
    r->stop_loop = true;
    r->end_reason = "finished";
    return;
  }
  if (r->decided) {
    r->stop_loop = until_met(r, now);
    return;
  }
  bool fresh = atomic_exchange(&r->events_since_check, false);
  if (!fresh && !force)
    return;
  if (r->n_expect == 0) {
    if (r->n_created < r->n_tasks)
      return;
    for (size_t i = 0; i < r->n_tasks; i++)
      if (!r->tasks[i].done && !goal_reached(&r->tasks[i]))
        return;
    r->decided = true;
    r->end_reason = "settled";
    r->stop_loop = until_met(r, now);
    return;
  }
  bool decided = false;
  if (!expect_decided(r, now, &decided) || !decided)
    return;
  /* The final verdicts are judged after one more sweep of every task's
   * lag; lag it finds that the log did not hold yet widens the band a
   * missed deadline is judged with, and could turn the FAIL that ended
   * the run into INCONCLUSIVE (a run of a few tens of milliseconds beside
   * other jobs did). Confirmed with every task's lag as it stands, the
   * run ends on a decision its final judgement repeats. */
  bool grew = false;
  scn_run_lag_sweep(r, &grew);
  if (grew && (!expect_decided(r, scn_run_now(r), &decided) || !decided))
    return;
  r->decided = true;
  r->end_reason = "finished";
  r->stop_loop = until_met(r, now);
}

/* ---- the loop -------------------------------------------------------------
 */

static int64_t next_deadline(scn_runner *r, const server_task *st,
                             int64_t deadline) {
  int64_t next = deadline;
  int64_t v = server_next(st);
  if (v < next)
    next = v;
  if ((v = scn_run_faults_next(r)) < next)
    next = v;
  for (size_t i = 0; i < r->n_tasks; i++) {
    scn_run_task *t = &r->tasks[i];
    if (!t->created) {
      if (t->create_at < next)
        next = t->create_at;
      continue;
    }
    if (!t->done && (v = scn_run_task_next_deadline(r, t)) < next)
      next = v;
  }
  return next;
}

static void drain_wake(scn_runner *r) {
  char buf[256];
  while (read(r->wake[0], buf, sizeof buf) > 0) {
  }
}

static void progress(scn_runner *r, rpt_progress *p, int64_t now) {
  size_t counts[RPT_MS_COUNT] = {0};
  for (size_t i = 0; i < r->n_tasks; i++)
    for (int m = 0; m < 5; m++)
      if (r->tasks[i].ms[m] >= 0)
        counts[m]++;
  rpt_progress_update(p, r->n_tasks, counts, now);
}

static int loop(scn_runner *r, ecsb_err *err) {
  const scn_scenario *s = r->s;
  server_task st = {.state = SRV_STOPPED};
  int rc = server_create(r, &st, err);
  if (rc)
    return rc;
  /* The deadline is in task time: the run goes on while host lag held its
   * tasks back (run_lag.c), by the band verdicts give a lag (rpt_lag_band:
   * its CPU work once, its waits twice; docs/expectations.md): a milestone
   * still missing then is missing with the lag taken out, not one a busy
   * host held back. Never past twice the deadline plus a minute of wall
   * time. */
  int64_t deadline = scn_scale_us(s, s->deadline_us);
  int64_t hard_end = 2 * deadline + 60000000;
  int64_t last_decide = 0, last_progress = 0, last_reap = 0;
  int64_t last_lag_sweep = 0, lag_gap = LAG_SWEEP_EVERY_US;
  int64_t last_quick = 0, quick_gap = LAG_SWEEP_EVERY_US;
  int64_t decide_gap = DECIDE_EVERY_US;
  rpt_progress prog;
  rpt_progress_init(&prog, stderr);
  prog.enabled = prog.enabled && r->o->progress;
  while (!r->stop_loop) {
    if (g_signal) {
      r->end_reason = "interrupted";
      break;
    }
    int64_t now = scn_run_now(r);
    /* Before the sweeps: on a host a fleet overloads, a sweep of 1,000
     * tasks' processes takes seconds. */
    if (now >= hard_end) {
      /* not "deadline": the tasks had less than the deadline's worth of
       * task time, and a reader of the log must be able to tell */
      r->end_reason = "wall_limit";
      break;
    }
    /* Idle tasks are sampled too: a deadline still open waits for their
     * lag, and past the run's deadline it extends the run. A fleet's sweep
     * reads /proc for every process: kept under a twentieth of the time. */
    if (now - last_lag_sweep >= lag_gap) {
      bool grew = false;
      int64_t cpu = scn_run_lag_sweep(r, &grew);
      last_lag_sweep = now;
      /* paced by its CPU, not its wall time, which is long when the host
       * holds the loop back: the loop would then sample ever more rarely
       * exactly when the lag grows */
      lag_gap = lag_pace(lag_gap, grew, LAG_SWEEP_BUSY_US, cpu);
    }
    if (r->lag_soon) {
      r->lag_soon = false;
      quick_gap = LAG_QUICK_BUSY_US;
    }
    if (now - last_quick >= quick_gap) {
      bool grew = false;
      int64_t cost = scn_run_lag_quick_sweep(r, &grew);
      last_quick = now;
      quick_gap = lag_pace(quick_gap, grew, LAG_QUICK_BUSY_US, cost);
    }
    /* (past hard_end the pass ended above; the band only grows from 0) */
    if (now >= deadline + r->max_band_us) {
      r->end_reason = "deadline";
      break;
    }
    if ((rc = server_due(r, &st, now, err)) ||
        (rc = scn_run_faults_due(r, now, err)))
      return rc;
    /* A pass over a fleet of hundreds starts hundreds of processes, each
     * a wait for the host's scheduler: on a host that cannot carry the
     * fleet one pass took 110 s. The wall-time bound holds within a
     * pass too, to a task's work. */
    for (size_t i = 0; i < r->n_tasks && scn_run_now(r) < hard_end; i++) {
      scn_run_task *t = &r->tasks[i];
      if (!t->created && now >= t->create_at) {
        if ((rc = scn_run_task_create(r, t, err)) ||
            (rc = scn_run_faults_task(r, t, err)))
          return rc;
        r->n_created++;
      }
    }
    /* task-level faults at T0 of the tasks just created */
    if ((rc = scn_run_faults_due(r, scn_run_now(r), err)))
      return rc;
    /* Reap only after a SIGCHLD (and now and then, should one be
     * coalesced with a reap already under way). */
    bool reap = g_child || now - last_reap >= REAP_EVERY_US;
    if (reap) {
      g_child = 0;
      last_reap = now;
    }
    int pti;
    size_t pci;
    bool pok;
    int64_t pat;
    while (scn_run_probes_poll(r->probes, &pti, &pci, &pok, &pat)) {
      if (pti < 0 || (size_t)pti >= r->n_tasks)
        continue;
      scn_run_task *t = &r->tasks[pti];
      if ((rc = scn_run_task_health_result(r, t, pci, pok,
                                           scn_run_lag_task_time(t, pat), err)))
        return rc;
    }
    for (size_t i = 0; i < r->n_tasks; i++) {
      scn_run_task *t = &r->tasks[i];
      if (!t->created || t->done)
        continue;
      int64_t tn = scn_run_now(r);
      if (tn >= hard_end)
        break;
      if (!reap && scn_run_task_next_deadline(r, t) > tn &&
          scn_run_lag_ended_tt(t) == SCN_RUN_NEVER)
        continue;
      if ((rc = scn_run_task_poll(r, t, reap, err)) ||
          (rc = scn_run_task_drive(r, t, err)))
        return rc;
      if (t->done)
        r->n_done++;
    }
    if (scn_run_now(r) < hard_end && atomic_exchange(&r->consul_dirty, false))
      scn_run_consul_observe(r);
    now = scn_run_now(r);
    if (now - last_decide >= decide_gap || r->n_done == r->n_tasks ||
        r->decided) {
      decide(r, now, false);
      /* Judging re-reads the whole log: on a fleet's long log keep it
       * under a tenth of the loop's time. */
      int64_t cost = scn_run_now(r) - now;
      decide_gap = cost * 10 > DECIDE_EVERY_US ? cost * 10 : DECIDE_EVERY_US;
      last_decide = now;
    }
    if (now - last_progress >= 250000) {
      progress(r, &prog, now);
      last_progress = now;
    }
    if (r->stop_loop)
      break;
    int64_t next = next_deadline(r, &st, deadline + r->max_band_us);
    if (next > last_decide + decide_gap && atomic_load(&r->events_since_check))
      next = last_decide + decide_gap;
    if (next > last_reap + REAP_EVERY_US)
      next = last_reap + REAP_EVERY_US;
    if (next > last_lag_sweep + lag_gap)
      next = last_lag_sweep + lag_gap;
    if (next > last_quick + quick_gap)
      next = last_quick + quick_gap;
    /* a container started in this pass: sample it soon, not after the gap
     * chosen before it started */
    if (r->lag_soon && next > now + LAG_QUICK_BUSY_US)
      next = now + LAG_QUICK_BUSY_US;
    if (r->decided && until_wake(r) < next)
      next = until_wake(r);
    if (next > now + 250000)
      next = now + 250000; /* progress line, and a bound on every sleep */
    int64_t wait = next - scn_run_now(r);
    if (wait > 0) {
      struct timespec ts = {.tv_sec = wait / 1000000,
                            .tv_nsec = (wait % 1000000) * 1000};
      struct pollfd pfd = {.fd = r->wake[0], .events = POLLIN};
      ppoll(&pfd, 1, &ts, NULL);
    }
    drain_wake(r);
  }
  scn_run_lag_final_sweep(r); /* the lag the final verdicts judge with */
  r->tasks_end = scn_run_now(r);
  rpt_progress_end(&prog);
  return 0;
}

/* ---- teardown ---------------------------------------------------------------
 */

static void teardown(scn_runner *r) {
  scn_run_load_stop(r->load); /* its summaries go in the log first */
  r->load = NULL;
  scn_run_initev_stop(r);
  pthread_mutex_lock(&r->mu);
  r->quiet = true;
  pthread_mutex_unlock(&r->mu);
  for (size_t i = 0; i < r->n_tasks; i++)
    scn_run_task_signal_all(&r->tasks[i], SIGTERM);
  /* The loop samples no more: the stops' drains run on. Not before the
   * signals, which take a fleet of 1,000 a second or two to send: with
   * their clocks running, every task's checks ran on meanwhile. */
  scn_run_lag_unlease(r);
  int64_t until = ecsb_mono_ms() + TEARDOWN_GRACE_MS;
  for (;;) {
    bool all = true;
    for (size_t i = 0; i < r->n_tasks && all; i++)
      all = scn_run_task_all_exited(&r->tasks[i]);
    if (all || ecsb_mono_ms() >= until)
      break;
    ecsb_sleep_ms(5, NULL);
  }
  /* Every task's rest is killed before any is reaped, so that they end
   * side by side: killed and reaped one by one, 1,000 tasks' processes
   * took 8 s to stop on a busy host. */
  for (size_t i = 0; i < r->n_tasks; i++)
    scn_run_task_signal_all(&r->tasks[i], SIGKILL);
  for (size_t i = 0; i < r->n_tasks; i++)
    scn_run_task_free(&r->tasks[i]); /* reaps (SIGKILLs what is left) */
  scn_exitwatch_free(r->exits);      /* after every process it watched */
  r->exits = NULL;
  scn_run_probes_free(r->probes);
  r->probes = NULL;
  fcon_server_stop(r->consul);
  r->consul = NULL;
  fecs_free(r->ecs);
  r->ecs = NULL;
}

static int finish(scn_runner *r, scn_run_result *res, ecsb_err *err) {
  bool interrupted = g_signal != 0;
  rpt_verdict *v = NULL;
  size_t nv = 0;
  /* Judged when the loop last sampled the tasks: stopping a fleet of
   * hundreds takes seconds of wall time in which no task's lag is
   * sampled, and counted as task time it would turn a run cut short by a
   * busy host (INCONCLUSIVE) into a task that had its deadline's worth of
   * time and missed it (FAIL). */
  int64_t judged = r->tasks_end > 0 ? r->tasks_end : scn_run_now(r);
  rpt_eval_opts eo = {
      .final = true, .now_us = judged, .expected_tasks = r->n_tasks};
  int rc = rpt_expect_eval(r->expect, r->mem, &eo, &v, &nv, err);
  if (rc)
    return rc;
  res->n_expect = nv;
  for (size_t i = 0; i < nv; i++) {
    bool ok = v[i].result == RPT_PASS;
    if (v[i].result == RPT_INCONCLUSIVE)
      res->n_inconclusive++;
    else if (!ok)
      res->n_failed++;
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "name", v[i].name);
    cJSON_AddBoolToObject(d, "ok", ok);
    cJSON_AddStringToObject(d, "result", rpt_result_name(v[i].result));
    if (v[i].message)
      cJSON_AddStringToObject(d, "message", v[i].message);
    scn_run_emit(r, -1, "expect.verdict", NULL, NULL, d);
  }
  rpt_verdicts_free(v, nv);
  cJSON *d = cJSON_CreateObject();
  cJSON_AddBoolToObject(d, "complete", !interrupted);
  cJSON_AddStringToObject(d, "reason", r->end_reason);
  cJSON_AddNumberToObject(d, "orphans", (double)r->orphans);
  cJSON_AddNumberToObject(d, "tasks_end_us", (double)judged);
  scn_run_emit(r, -1, "run.end", NULL, NULL, d);
  res->outcome = interrupted           ? SCN_RUN_INTERRUPTED
                 : res->n_failed       ? SCN_RUN_FAILED
                 : res->n_inconclusive ? SCN_RUN_INCONCLUSIVE
                                       : SCN_RUN_PASSED;
  res->interrupt_signal = g_signal;
  snprintf(res->end_reason, sizeof res->end_reason, "%s", r->end_reason);
  return 0;
}

/* ---- entry ------------------------------------------------------------------
 */

static int setup(scn_runner *r, ecsb_err *err) {
  const scn_scenario *s = r->s;
  /* a fleet's lag samples read kept /proc files, one per thread */
  scn_proc_raise_nofile();
  int rc = scn_netblock_acquire(&r->nb, r->o->net_block, r->o->lock_dir, err);
  if (rc)
    return rc;
  r->have_nb = true;
  if (*r->nb.stray)
    ecsb_log(ECSB_LOG_WARN,
             "runner: passed over an address block where a process of no "
             "run listens (left behind by a run that was killed?)",
             "address", r->nb.stray, NULL);
  scn_netblock_ecs_ip(&r->nb, r->ecs_ip);
  scn_netblock_metadata_ip(&r->nb, r->md_ip);
  scn_netblock_server_ip(&r->nb, r->server_ip);
  snprintf(r->dir, sizeof r->dir, "%s", r->o->out_dir);
  if ((rc = ecsb_mkdirs(r->dir, err)) || (rc = fresh_tasks_dir(r, err)))
    return rc;
  if ((rc = rpt_expect_parse(s->expect, "$.expect", &r->expect, err)))
    return ecsb_err_prefix(err, "%s", s->path);
  r->n_expect = rpt_expect_count(r->expect);
  if (pipe2(r->wake, O_NONBLOCK | O_CLOEXEC))
    return ecsb_err_set(err, ECSB_EIO, "pipe: %s", strerror(errno));
  if ((rc = setup_ecs(r, err)))
    return rc;
  ecsb_rng_seed(&r->fault_rng, s->seed ^ UINT64_C(0x9e3779b97f4a7c15));
  r->tasks = calloc((size_t)s->task_count, sizeof *r->tasks);
  if (!r->tasks)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  r->n_tasks = (size_t)s->task_count;
  for (size_t i = 0; i < r->n_tasks; i++)
    if ((rc = scn_run_task_prepare(r, &r->tasks[i], (int)i, err)))
      return rc;
  atomic_store(&r->n_served_tasks, r->n_tasks);
  if ((rc = scn_run_probes_new(r, 4, &r->probes, err)) ||
      (rc = scn_exitwatch_new(&r->exits, err)))
    return rc;
  if ((rc = start_log(r, err)) || (rc = scn_run_load_start(r, &r->load, err)) ||
      (rc = scn_run_initev_start(r, err)))
    return rc;
  return scn_run_faults_plan(r, err);
}

/* The options with every path absolute. Containers run in their task's
 * folder, where a relative run folder or program names nothing: this is
 * the one place the run's paths are resolved, so every path built from
 * them (volumes, logs, argv, environment) is absolute too. */
typedef struct abs_opts {
  scn_run_opts o;
  char out_dir[4096], ecsboot_bin[4096], standin_bin[4096], init_bin[4096];
  scn_image_cmd image; /* init_bin is an image root */
  const char *const *init_prefix;
} abs_opts;

/* ecsboot-init's, ecsboot's and ecsboot-standin's containers (init
 * containers, the consul-client, the app and the proxy) are started by a
 * fork server of each: an exec of the first two spends 13-30 ms of CPU in
 * the dynamic loader, seconds of scenario time at 0.01 that vary from run
 * to run; a copy of a stand-in costs two thirds of its exec's CPU and
 * shares the server's pages. A server that cannot start only costs that:
 * its containers are exec'd. Not for an image root, whose program runs
 * through the image's loader. */
static void start_forksrv(scn_runner *r) {
  if (r->o->exec_each)
    return;
  const char *progs[3] = {r->init_prefix ? NULL : r->o->init_bin,
                          r->o->ecsboot_bin, r->o->standin_bin};
  if (progs[2] && progs[1] && strcmp(progs[2], progs[1]) == 0)
    progs[2] = NULL; /* ecsboot's server runs the stand-ins too */
  for (size_t i = 0; i < 3; i++) {
    ecsb_err e = {0};
    if (progs[i] &&
        scn_forksrv_start(progs[i], &r->forksrv[r->n_forksrv], &e) == 0)
      r->n_forksrv++;
  }
}

scn_forksrv *scn_run_forksrv_for(const scn_runner *r, const char *prog) {
  for (size_t i = 0; prog && i < r->n_forksrv; i++)
    if (strcmp(scn_forksrv_prog(r->forksrv[i]), prog) == 0)
      return r->forksrv[i];
  return NULL;
}

static int abs_program(const char *what, const char **p, char *buf, size_t cap,
                       ecsb_err *err) {
  if (!*p || !strchr(*p, '/'))
    return 0; /* a bare name is looked up in PATH when spawned */
  int rc = scn_path_absolute(what, *p, buf, cap, err);
  if (!rc)
    *p = buf;
  return rc;
}

static int abs_opts_make(const scn_run_opts *o, abs_opts *a, ecsb_err *err) {
  memset(a, 0, sizeof *a);
  a->o = *o;
  int rc = scn_path_absolute("run folder", o->out_dir, a->out_dir,
                             sizeof a->out_dir, err);
  if (rc)
    return rc;
  a->o.out_dir = a->out_dir;
  if ((rc = abs_program("ecsboot program", &a->o.ecsboot_bin, a->ecsboot_bin,
                        sizeof a->ecsboot_bin, err)) ||
      (rc = abs_program("ecsboot-standin program", &a->o.standin_bin,
                        a->standin_bin, sizeof a->standin_bin, err)))
    return rc;
  if ((rc = abs_program("ecsboot-init program", &a->o.init_bin, a->init_bin,
                        sizeof a->init_bin, err)))
    return rc;
  struct stat st;
  if (!a->o.init_bin || stat(a->o.init_bin, &st) || !S_ISDIR(st.st_mode))
    return 0; /* a missing program fails when spawned, naming it */
  if ((rc = scn_image_root_command(a->o.init_bin, "/ecsboot-init", &a->image,
                                   err)))
    return ecsb_err_prefix(err, "ecsboot-init program");
  /* the words up to the program go first, the program is init_bin */
  size_t n = 0;
  while (a->image.argv[n + 1])
    n++;
  a->o.init_bin = a->image.argv[n];
  a->image.argv[n] = NULL;
  a->init_prefix = a->image.argv;
  return 0;
}

int scn_run(const scn_scenario *s, const scn_run_opts *o, scn_run_result *res,
            ecsb_err *err) {
  memset(res, 0, sizeof *res);
  abs_opts ao;
  int path_rc = abs_opts_make(o, &ao, err);
  if (path_rc)
    return path_rc;
  scn_runner *r = calloc(1, sizeof *r);
  if (!r)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  r->s = s;
  r->o = &ao.o;
  r->init_prefix = ao.init_prefix;
  r->wake[0] = r->wake[1] = -1;
  r->guard.fd = -1;
  r->end_reason = "finished";
  pthread_mutex_init(&r->mu, NULL);
  atomic_init(&r->consul_dirty, false);

  struct sigaction sa = {0}, old_int, old_term, old_chld;
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  g_signal = 0;
  g_child = 0;
  /* Before setup starts the fakes' threads: the guardian forks. */
  int rc = scn_proc_adopt_begin(&r->adopt, err);
  if (!rc)
    rc = scn_proc_guard_start(&r->guard, err);
  if (!rc) {
    r->self = scn_proc_observe(getpid());
    start_forksrv(r);
    rc = setup(r, err);
  }
  g_wake_fd = r->wake[1];
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  sigaction(SIGCHLD, &sa, &old_chld);
  if (!rc)
    rc = loop(r, err);
  teardown(r);
  for (size_t i = 0; i < r->n_forksrv; i++)
    scn_forksrv_free(r->forksrv[i]);
  scn_proc_free(r->self);
  r->self = NULL;
  scn_proc_guard_stop(&r->guard);
  /* before the block's addresses are free for another run */
  r->orphans = scn_proc_adopt_end(&r->adopt, ORPHAN_WAIT_MS);
  if (!rc && r->w) {
    rc = finish(r, res, err);
    snprintf(res->log_path, sizeof res->log_path, "%s", r->log_path);
  }
  res->wall_us = r->t0_mono ? scn_run_now(r) : 0;
  if (r->w) {
    ecsb_err cerr = {0};
    if (rpt_log_writer_close(r->w, &cerr) && !rc)
      rc = ecsb_err_set(err, cerr.code, "%s", cerr.msg);
  }
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGTERM, &old_term, NULL);
  sigaction(SIGCHLD, &old_chld, NULL);
  g_wake_fd = -1;
  free(r->tasks);
  free(r->timers);
  rpt_log_free(r->mem);
  rpt_expect_free(r->expect);
  fecs_task_spec_free(r->spec);
  if (r->wake[0] >= 0)
    close(r->wake[0]);
  if (r->wake[1] >= 0)
    close(r->wake[1]);
  if (r->have_nb)
    scn_netblock_release(&r->nb);
  pthread_mutex_destroy(&r->mu);
  free(r);
  return rc;
}
