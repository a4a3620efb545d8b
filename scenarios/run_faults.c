/*
 * run_faults.c - the scenario's fault plan (docs/scenarios.md, "faults"),
 * turned into timers and applied to the fakes, the tasks' containers and
 * their Consul agents.
 *
 * Triggers: "at" counts from the run's T0 (a task-level fault on a task
 * created later fires at its creation); "at_milestone" fires offset after
 * each selected task reaches the milestone; "probability" is drawn once per
 * selected task when it is created (once per run for run-wide targets),
 * from a generator seeded with the scenario's seed, the fault's index and
 * the task's index, so a chaos run replays exactly and adding a task does
 * not change the draws of the others. A fault with a duration is undone
 * that long after it fired.
 *
 * The Consul agents run in other processes (the consul-client stand-in):
 * agent faults are written to the task's control file and signalled with
 * SIGUSR1 (scn/standin.h). A port `slow_accept` delays the runner's own
 * health-check probes to that port (the listener belongs to a container
 * the runner does not control).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ecsb/duration.h"
#include "ecsb/log.h"
#include "run_internal.h"
#include "scn/faults.h"
#include "scn/standin.h"

static const scn_fault_spec *spec(const scn_fault *f) {
  return scn_fault_spec_of(f->kind);
}

static const char *target_name(const scn_fault *f) {
  return scn_fault_target_of(spec(f)->target)->name;
}

static bool run_wide(const scn_fault *f) {
  return scn_fault_target_of(spec(f)->target)->run_wide;
}

static bool selects(const scn_fault *f, const scn_run_task *t) {
  return strcmp(f->task, "*") == 0 || strcmp(f->task, t->name) == 0;
}

static int add_timer(scn_runner *r, int64_t at, size_t fault, int task,
                     bool end, ecsb_err *err) {
  if (r->n_timers == r->cap_timers) {
    size_t nc = r->cap_timers ? r->cap_timers * 2 : 16;
    scn_run_timer *nt = realloc(r->timers, nc * sizeof *nt);
    if (!nt)
      return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
    r->timers = nt;
    r->cap_timers = nc;
  }
  r->timers[r->n_timers++] =
      (scn_run_timer){.at = at, .fault = fault, .task = task, .end = end};
  return 0;
}

static bool draw(const scn_runner *r, size_t fault, int task, double p) {
  ecsb_rng g;
  ecsb_rng_seed(&g, r->s->seed * UINT64_C(0x100000001b3) ^
                        ((uint64_t)fault << 32) ^ (uint64_t)(task + 1));
  return ecsb_rng_unit(&g) < p;
}

int scn_run_faults_plan(scn_runner *r, ecsb_err *err) {
  const scn_scenario *s = r->s;
  for (size_t i = 0; i < s->n_faults; i++) {
    const scn_fault *f = &s->faults[i];
    if (!run_wide(f))
      continue;
    int rc = 0;
    if (f->when == SCN_FAULT_AT)
      rc = add_timer(r, scn_scale_us(s, f->at_us), i, -1, false, err);
    else if (f->when == SCN_FAULT_RANDOM && draw(r, i, -1, f->probability))
      rc = add_timer(r, 0, i, -1, false, err);
    if (rc)
      return rc;
  }
  return 0;
}

int scn_run_faults_task(scn_runner *r, scn_run_task *t, ecsb_err *err) {
  const scn_scenario *s = r->s;
  int64_t now = scn_run_now(r);
  for (size_t i = 0; i < s->n_faults; i++) {
    const scn_fault *f = &s->faults[i];
    if (run_wide(f) || !selects(f, t))
      continue;
    int rc = 0;
    if (f->when == SCN_FAULT_AT) {
      int64_t at = scn_scale_us(s, f->at_us);
      rc = add_timer(r, at > now ? at : now, i, t->index, false, err);
    } else if (f->when == SCN_FAULT_RANDOM &&
               draw(r, i, t->index, f->probability)) {
      rc = add_timer(r, now, i, t->index, false, err);
    }
    if (rc)
      return rc;
  }
  return 0;
}

void scn_run_faults_milestone(scn_runner *r, scn_run_task *t, int ms) {
  const scn_scenario *s = r->s;
  for (size_t i = 0; i < s->n_faults; i++) {
    const scn_fault *f = &s->faults[i];
    if (f->when != SCN_FAULT_MILESTONE || f->milestone[1] - '0' != ms ||
        !selects(f, t))
      continue;
    ecsb_err e = {0};
    /* a task's timers are in task time (run_lag.c) */
    if (add_timer(r, t->ms[ms] - t->lag_us + scn_scale_us(s, f->at_us), i,
                  t->index, false, &e))
      ecsb_log(ECSB_LOG_ERROR, "runner: fault plan", "error", e.msg, NULL);
  }
}

/* A timer of one task is in that task's time; run-wide ones in run time. */
static int64_t timer_lag(const scn_runner *r, const scn_run_timer *tm) {
  return tm->task >= 0 && (size_t)tm->task < r->n_tasks
             ? r->tasks[tm->task].lag_us
             : 0;
}

int64_t scn_run_faults_next(const scn_runner *r) {
  int64_t next = SCN_RUN_NEVER;
  for (size_t i = 0; i < r->n_timers; i++) {
    int64_t at = r->timers[i].at + timer_lag(r, &r->timers[i]);
    if (at < next)
      next = at;
  }
  return next;
}

/* ---- parameters -----------------------------------------------------------
 */

/* Parameters, with the catalogue's defaults (scn/faults.h). */
static const char *pstr(const scn_fault *f, const char *k) {
  return scn_fault_param_str(f->kind, f->params, k);
}

static double pnum(const scn_fault *f, const char *k) {
  return scn_fault_param_num(f->kind, f->params, k);
}

/* A duration parameter in scenario time, scaled to wall us. */
static int64_t pdur(const scn_runner *r, const scn_fault *f, const char *k) {
  return scn_scale_us(r->s, scn_fault_param_dur_us(f->kind, f->params, k));
}

static int signal_of(const char *name) {
  static const struct {
    const char *n;
    int s;
  } sigs[] = {{"SIGTERM", SIGTERM}, {"SIGKILL", SIGKILL}, {"SIGINT", SIGINT},
              {"SIGHUP", SIGHUP},   {"SIGQUIT", SIGQUIT}, {"SIGUSR1", SIGUSR1},
              {"SIGUSR2", SIGUSR2}, {"SIGSTOP", SIGSTOP}, {"SIGCONT", SIGCONT},
              {"SIGABRT", SIGABRT}, {"SIGSEGV", SIGSEGV}};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    if (strcmp(sigs[i].n, name) == 0 || strcmp(sigs[i].n + 3, name) == 0)
      return sigs[i].s;
  return 0;
}

/* ---- targets
 * ------------------------------------------------------------------ */

static int apply_ecs(scn_runner *r, const scn_fault *f, bool end,
                     ecsb_err *err) {
  const char *op = pstr(f, "operation");
  switch (f->kind) {
  case SCN_FAULT_ECS_API_LATENCY:
    return fecs_fault_latency(r->ecs, op, end ? 0 : pdur(r, f, "delay") / 1000,
                              err);
  case SCN_FAULT_ECS_API_ERROR: {
    const char *type = pstr(f, "type");
    int count = (int)pnum(f, "count");
    if (end)
      return fecs_fault_errors_prob(r->ecs, op, 0, type, NULL, err);
    return count > 0
               ? fecs_fault_errors_next(r->ecs, op, count, type, NULL, err)
               : fecs_fault_errors_prob(r->ecs, op, 1.0, type, NULL, err);
  }
  default: /* throttle: its end lifts the operation's limit */
    return end ? fecs_throttle_set(r->ecs, op, 1e9, 1e9, err)
               : fecs_throttle_set(r->ecs, op, pnum(f, "burst"),
                                   pnum(f, "rate"), err);
  }
}

static int apply_endpoint(scn_runner *r, const scn_fault *f, bool end,
                          ecsb_err *err) {
  fecs_endpoint ep = spec(f)->target == SCN_TARGET_METADATA
                         ? FECS_EP_METADATA
                         : FECS_EP_CREDENTIALS;
  fecs_endpoint_mode m = FECS_EP_OK;
  if (!end) {
    switch (f->kind) {
    case SCN_FAULT_METADATA_DOWN:
    case SCN_FAULT_CREDENTIALS_DOWN:
      m = FECS_EP_DOWN;
      break;
    case SCN_FAULT_METADATA_MALFORMED:
    case SCN_FAULT_CREDENTIALS_MALFORMED:
      m = FECS_EP_MALFORMED;
      break;
    default:
      m = FECS_EP_SLOW;
    }
  }
  return fecs_fault_endpoint(
      r->ecs, ep, m, m == FECS_EP_SLOW ? pdur(r, f, "delay") / 1000 : 0, err);
}

static int apply_server(scn_runner *r, const scn_fault *f, bool end,
                        ecsb_err *err) {
  switch (f->kind) {
  case SCN_FAULT_CONSUL_SERVER_DOWN:
    return end ? fcon_server_up(r->consul, err)
               : fcon_server_down(r->consul, err);
  case SCN_FAULT_CONSUL_SERVER_NO_LEADER:
    fcon_server_fault_no_leader(r->consul, !end);
    return 0;
  case SCN_FAULT_CONSUL_SERVER_SLOW:
    return fcon_server_fault_latency(r->consul, "/",
                                     end ? 0 : pdur(r, f, "delay") / 1000, err);
  default:
    break;
  }
  /* register_error: agents register through their sync to the server */
  if (end)
    return 0;
  int n = (int)pnum(f, "count");
  int status = (int)pnum(f, "status");
  const char *body = pstr(f, "body");
  int rc = fcon_server_fault_fail(r->consul, "/v1/catalog/register", n, status,
                                  body, err);
  return rc ? rc
            : fcon_server_fault_fail(r->consul, FCON_NODE_SYNC_PREFIX, n,
                                     status, body, err);
}

/* Agent faults are appended to the task's control document (each entry
 * with the next seq) and the consul-client is told with SIGUSR1. */
static int apply_agent(scn_runner *r, scn_run_task *t, const scn_fault *f,
                       bool end, ecsb_err *err) {
  if (end && (f->kind == SCN_FAULT_AGENT_CRASH ||
              f->kind == SCN_FAULT_AGENT_REGISTER_ERROR))
    return 0; /* events: nothing to undo */
  if (!t->control && !(t->control = cJSON_CreateObject()))
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  cJSON *list = cJSON_GetObjectItemCaseSensitive(t->control, "faults");
  if (!list)
    list = cJSON_AddArrayToObject(t->control, "faults");
  cJSON *x = cJSON_CreateObject();
  cJSON_AddItemToArray(list, x);
  cJSON_AddNumberToObject(x, "seq", cJSON_GetArraySize(list));
  /* the control file names agent faults as the catalogue does */
  const char *a = spec(f)->action;
  switch (f->kind) {
  case SCN_FAULT_AGENT_CRASH:
    cJSON_AddStringToObject(x, "action", a);
    cJSON_AddNumberToObject(x, "restart_after_ms",
                            (double)(pdur(r, f, "restart_after") / 1000));
    break;
  case SCN_FAULT_AGENT_SLOW_JOIN:
    cJSON_AddStringToObject(x, "action", a);
    cJSON_AddNumberToObject(x, "delay_ms",
                            end ? 0 : (double)(pdur(r, f, "delay") / 1000));
    break;
  case SCN_FAULT_AGENT_ACL_DENY:
    cJSON_AddStringToObject(x, "action",
                            end ? SCN_CONSUL_CONTROL_ACL_ALLOW : a);
    break;
  default: /* register_error */
    cJSON_AddStringToObject(x, "action", a);
    cJSON_AddNumberToObject(x, "status", pnum(f, "status"));
    cJSON_AddNumberToObject(x, "count", pnum(f, "count"));
    cJSON_AddStringToObject(x, "body", pstr(f, "body"));
  }
  char *text = cJSON_PrintUnformatted(t->control);
  if (!text)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  int rc = scn_consul_control_write(t->control_path, text, err);
  free(text);
  if (rc)
    return rc;
  scn_run_ctr *c = t->consul_client >= 0 ? &t->c[t->consul_client] : NULL;
  if (c && c->proc && !c->exited)
    scn_proc_signal(c->proc, SIGUSR1);
  return 0;
}

static scn_run_ctr *find_ctr(scn_run_task *t, const char *name) {
  for (size_t i = 0; i < t->n; i++)
    if (strcmp(t->c[i].name, name) == 0)
      return &t->c[i];
  return NULL;
}

static int apply_container(scn_runner *r, scn_run_task *t, const scn_fault *f,
                           bool end, ecsb_err *err) {
  scn_run_ctr *c = find_ctr(t, f->container);
  if (!c)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s: fault on container \"%s\": task %s has no such "
                        "container",
                        r->s->path, f->container, t->name);
  bool running = c->proc && !c->exited;
  int64_t now = scn_run_task_now(r, t);
  switch (f->kind) {
  case SCN_FAULT_CONTAINER_EXIT:
  case SCN_FAULT_CONTAINER_CRASH_AFTER:
    if (end)
      return 0;
    c->crash_code = (int)pnum(f, "code");
    c->crash_delay_us =
        f->kind == SCN_FAULT_CONTAINER_EXIT ? 0 : pdur(r, f, "delay");
    if (running)
      c->crash_at = now + c->crash_delay_us;
    break;
  case SCN_FAULT_CONTAINER_SLOW_START:
    c->slow_start_us = end ? 0 : pdur(r, f, "delay");
    break;
  case SCN_FAULT_CONTAINER_HANG:
    c->hang = !end;
    if (running)
      scn_proc_signal(c->proc, end ? SIGCONT : SIGSTOP);
    break;
  case SCN_FAULT_CONTAINER_HEALTH_FAIL:
    c->health_fail = !end;
    break;
  case SCN_FAULT_CONTAINER_HEALTH_FLAP:
    c->flap_us = end ? 0 : pdur(r, f, "period");
    c->flap_t0 = now;
    break;
  default: /* kill */
    if (!end && running)
      scn_proc_signal(c->proc, signal_of(pstr(f, "signal")));
  }
  return 0;
}

/* The port is held by "another process" that listens and never accepts:
 * a container's bind fails with EADDRINUSE (even with SO_REUSEADDR, since
 * a listener holds it), and once the one-slot accept queue is filled by
 * our own connection, new connections are never answered, so probes and
 * Consul's TCP check time out. SO_REUSEADDR lets it take a port that an
 * earlier run left in TIME_WAIT. */
static int take_port(scn_run_task *t, int port, ecsb_err *err) {
  if (t->n_held == SCN_RUN_MAX_HELD_PORTS)
    return ecsb_err_set(err, ECSB_ETOOBIG, "task %s: too many taken ports",
                        t->name);
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, t->ip, &sa.sin_addr);
  int one = 1, e = 0;
  const char *step = "socket";
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (lfd < 0 || cfd < 0) {
    e = errno;
  } else if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
             bind(lfd, (struct sockaddr *)&sa, sizeof sa)) {
    e = errno;
    step = "bind";
  } else if (listen(lfd, 0)) {
    e = errno;
    step = "listen";
  } else if (connect(cfd, (struct sockaddr *)&sa, sizeof sa)) {
    e = errno;
    step = "connect";
  }
  if (e) {
    if (lfd >= 0)
      close(lfd);
    if (cfd >= 0)
      close(cfd);
    return ecsb_err_set(err, ECSB_EIO,
                        "task %s: cannot take port %s:%d: %s: %s", t->name,
                        t->ip, port, step, strerror(e));
  }
  t->held_fd[t->n_held][0] = lfd;
  t->held_fd[t->n_held][1] = cfd;
  t->held_port[t->n_held++] = port;
  return 0;
}

static void free_port(scn_run_task *t, int port) {
  for (size_t i = 0; i < t->n_held; i++) {
    if (t->held_port[i] != port)
      continue;
    close(t->held_fd[i][0]);
    close(t->held_fd[i][1]);
    t->n_held--;
    memcpy(t->held_fd[i], t->held_fd[t->n_held], sizeof t->held_fd[i]);
    t->held_port[i] = t->held_port[t->n_held];
    return;
  }
}

static int apply_port(scn_runner *r, scn_run_task *t, const scn_fault *f,
                      bool end, ecsb_err *err) {
  int port = (int)pnum(f, "port");
  if (f->kind == SCN_FAULT_PORT_TAKEN) {
    if (end) {
      free_port(t, port);
      return 0;
    }
    return take_port(t, port, err);
  }
  int64_t delay = end ? 0 : pdur(r, f, "delay");
  for (size_t i = 0; i < t->n; i++)
    if (t->c[i].has_probe && t->c[i].probe.port == port)
      t->c[i].probe_delay_us = delay;
  return 0;
}

static void record(scn_runner *r, scn_run_task *t, const scn_fault *f,
                   bool end) {
  cJSON *d = cJSON_Duplicate(f->params, true);
  if (!d)
    d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "target", target_name(f));
  cJSON_AddStringToObject(d, "action", spec(f)->action);
  scn_run_emit(r, -1, end ? "fault.cleared" : "fault.injected",
               t ? t->name : NULL, f->container, d);
}

static int apply(scn_runner *r, const scn_run_timer *tm, bool *retry,
                 ecsb_err *err) {
  const scn_fault *f = &r->s->faults[tm->fault];
  scn_run_task *t = tm->task >= 0 ? &r->tasks[tm->task] : NULL;
  scn_fault_target tg = spec(f)->target;
  *retry = false;
  if (t && t->done && tg != SCN_TARGET_PORT)
    return 0; /* the task is gone */
  if (!t && !run_wide(f))
    return 0;
  int rc = 0;
  switch (tg) {
  case SCN_TARGET_ECS_API:
    rc = apply_ecs(r, f, tm->end, err);
    break;
  case SCN_TARGET_METADATA:
  case SCN_TARGET_CREDENTIALS:
    rc = apply_endpoint(r, f, tm->end, err);
    break;
  case SCN_TARGET_CONSUL_SERVER:
    if (!r->consul) {
      *retry = true; /* the server task is not running yet */
      return 0;
    }
    rc = apply_server(r, f, tm->end, err);
    break;
  case SCN_TARGET_AGENT:
    rc = apply_agent(r, t, f, tm->end, err);
    break;
  case SCN_TARGET_CONTAINER:
    rc = apply_container(r, t, f, tm->end, err);
    break;
  case SCN_TARGET_PORT:
    rc = apply_port(r, t, f, tm->end, err);
    break;
  case SCN_TARGET_TASK:
    if (tm->end)
      break;
    /* StopTask, as the API would be called (reason: StopTask's) */
    rc = fecs_engine_stop_task(t->eng, pstr(f, "reason"),
                               scn_run_task_now(r, t), err);
    if (!rc)
      rc = scn_run_task_drive(r, t, err);
    break;
  case SCN_TARGET_COUNT:
    break;
  }
  if (rc)
    return ecsb_err_prefix(err, "fault %s %s", target_name(f), spec(f)->action);
  record(r, t, f, tm->end);
  return 0;
}

int scn_run_faults_due(scn_runner *r, int64_t wall, ecsb_err *err) {
  for (size_t i = 0; i < r->n_timers;) {
    int64_t now = wall - timer_lag(r, &r->timers[i]);
    if (r->timers[i].at > now) {
      i++;
      continue;
    }
    scn_run_timer tm = r->timers[i];
    r->timers[i] = r->timers[--r->n_timers];
    bool retry = false;
    int rc = apply(r, &tm, &retry, err);
    if (rc)
      return rc;
    const scn_fault *f = &r->s->faults[tm.fault];
    if (retry)
      rc = add_timer(r, now + 5000, tm.fault, tm.task, tm.end, err);
    else if (!tm.end && f->duration_us > 0)
      rc = add_timer(r, now + scn_scale_us(r->s, f->duration_us), tm.fault,
                     tm.task, true, err);
    if (rc)
      return rc;
  }
  return 0;
}

void scn_run_faults_started(scn_runner *r, scn_run_task *t, scn_run_ctr *c) {
  if (c->crash_delay_us >= 0)
    c->crash_at = scn_run_task_now(r, t) + c->crash_delay_us;
}
