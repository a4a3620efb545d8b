/*
 * run_task.c - one simulated application task: its folder, its record in
 * fake-ecs, its engine (fake-ecs/engine.h), and the real processes that
 * play its containers and their health checks.
 *
 * The engine decides; this file performs (START: spawn; RUN_HEALTH_CHECK:
 * probe; SIGTERM/SIGKILL: signal), reports back (started, exited with its
 * code, health results) and copies the engine's events into the event log.
 * fake-ecs created the engine for the task (fecs_task_engine_new) and
 * reads the task's state from it, so DescribeTasks and the metadata
 * endpoint show what the containers see without a copy from here. Engine
 * time is task time (run time less the host lag, run_lag.c).
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ecsb/fileio.h"
#include "ecsb/http.h"
#include "run_internal.h"
#include "etd/role.h"
#include "scn/standin.h"

static int64_t scale_fn(void *ctx, int64_t us) {
  return scn_scale_us(ctx, us);
}

static const cJSON *defs_of(const scn_runner *r) {
  return cJSON_GetObjectItemCaseSensitive(r->s->task_definition,
                                          "containerDefinitions");
}

int scn_run_task_prepare(scn_runner *r, scn_run_task *t, int index,
                         ecsb_err *err) {
  const scn_scenario *s = r->s;
  t->index = index;
  t->consul_client = -1;
  t->runner = r;
  atomic_init(&t->consul_tt, INT64_MIN);
  for (int m = 0; m < 5; m++)
    t->ms[m] = -1;
  snprintf(t->name, sizeof t->name, "%.50s-%d", r->family, index + 1);
  int rc = scn_netblock_task_ip(&r->nb, index, t->ip, err);
  if (rc)
    return rc;
  snprintf(t->dir, sizeof t->dir, "%.900s/tasks/%s", r->dir, t->name);
  snprintf(t->control_path, sizeof t->control_path,
           "%s/" SCN_CONSUL_CONTROL_FILE, t->dir);
  t->create_at =
      s->start_rate > 0
          ? scn_scale_us(s, (int64_t)((double)index * 1e6 / s->start_rate))
          : 0;
  const cJSON *defs = defs_of(r);
  size_t n = (size_t)cJSON_GetArraySize(defs);
  t->c = calloc(n ? n : 1, sizeof *t->c);
  if (!t->c)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  t->n = n;
  for (size_t i = 0; i < n; i++) {
    scn_run_ctr *c = &t->c[i];
    c->def = cJSON_GetArrayItem(defs, (int)i);
    const cJSON *nm = cJSON_GetObjectItemCaseSensitive(c->def, "name");
    const cJSON *im = cJSON_GetObjectItemCaseSensitive(c->def, "image");
    c->name = cJSON_IsString(nm) ? nm->valuestring : "?";
    c->rule = scn_scenario_player(s, cJSON_IsString(im) ? im->valuestring : "");
    c->role = etd_role_of(c->def);
    c->exit_override = -1;
    c->crash_delay_us = -1;
    c->crash_at = SCN_RUN_NEVER;
    c->spawn_at = SCN_RUN_NEVER;
    c->probe_deadline = SCN_RUN_NEVER;
    c->up_at = c->end_at = RPT_ABSENT;
    scn_run_end *ends[2] = {&c->proc_end, &c->probe_end};
    for (int k = 0; k < 2; k++) {
      atomic_init(&ends[k]->tt, SCN_RUN_NEVER);
      ends[k]->t = t;
    }
    if (strcmp(c->role, "consul-client") == 0 && t->consul_client < 0)
      t->consul_client = (int)i;
    t->mesh = t->mesh || etd_role_is_mesh(c->role);
    const cJSON *ess = cJSON_GetObjectItemCaseSensitive(c->def, "essential");
    c->essential = !cJSON_IsFalse(ess);
    c->checked =
        cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(c->def, "healthCheck"));
  }
  return 0;
}

scn_run_ctr *scn_run_task_role(scn_run_task *t, const char *role) {
  for (size_t i = 0; i < t->n; i++)
    if (strcmp(t->c[i].role, role) == 0)
      return &t->c[i];
  return NULL;
}

/* The container's metadata id and credentials, as fake-ecs hands them to
 * a container of this task. */
static int container_env(scn_runner *r, scn_run_task *t, scn_run_ctr *c,
                         ecsb_err *err) {
  fecs_env fe = {0};
  int rc = fecs_container_env(r->ecs, t->arn, c->name, &fe, err);
  if (rc)
    return ecsb_err_prefix(err, "task %s container %s", t->name, c->name);
  const char *md = fecs_env_get(&fe, "ECS_CONTAINER_METADATA_URI_V4");
  const char *full = fecs_env_get(&fe, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
  const char *tok = fecs_env_get(&fe, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
  const char *v4 = md ? strstr(md, "/v4/") : NULL;
  if (!v4 || !full || !tok) {
    fecs_env_clear(&fe);
    return ecsb_err_set(err, ECSB_EINTERNAL,
                        "fake-ecs gave task %s no metadata or credentials "
                        "environment",
                        t->name);
  }
  snprintf(t->md_base, sizeof t->md_base, "%.*s", (int)(v4 - md), md);
  snprintf(c->id, sizeof c->id, "%s", v4 + 4);
  snprintf(t->creds_uri, sizeof t->creds_uri, "%s", full);
  snprintf(t->creds_token, sizeof t->creds_token, "%s", tok);
  fecs_env_clear(&fe);
  return 0;
}

static void emit_containers(scn_runner *r, scn_run_task *t) {
  cJSON *d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "family", r->family);
  cJSON *cs = cJSON_AddArrayToObject(d, "containers");
  for (size_t i = 0; i < t->n; i++) {
    const fecs_container_spec *sp = fecs_engine_container_spec(t->eng, i);
    const cJSON *im = cJSON_GetObjectItemCaseSensitive(t->c[i].def, "image");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", t->c[i].name);
    cJSON_AddStringToObject(o, "role", t->c[i].role);
    cJSON_AddBoolToObject(o, "essential", sp->essential);
    cJSON_AddStringToObject(o, "image",
                            cJSON_IsString(im) ? im->valuestring : "");
    cJSON *deps = cJSON_AddArrayToObject(o, "depends_on");
    for (size_t k = 0; k < sp->n_depends_on; k++) {
      cJSON *dep = cJSON_CreateObject();
      cJSON_AddStringToObject(dep, "container", sp->depends_on[k].container);
      cJSON_AddStringToObject(
          dep, "condition",
          fecs_dep_condition_name(sp->depends_on[k].condition));
      cJSON_AddItemToArray(deps, dep);
    }
    cJSON_AddBoolToObject(o, "health_check", sp->health.command != NULL);
    cJSON_AddItemToArray(cs, o);
  }
  scn_run_emit(r, t->t0, "task.containers", t->name, NULL, d);
}

int scn_run_task_create(scn_runner *r, scn_run_task *t, ecsb_err *err) {
  const scn_scenario *s = r->s;
  char sub[1200];
  int rc = ecsb_mkdirs(t->dir, err);
  snprintf(sub, sizeof sub, "%s/logs", t->dir);
  if (!rc)
    rc = ecsb_mkdirs(sub, err);
  snprintf(sub, sizeof sub, "%s/volumes", t->dir);
  if (!rc)
    rc = ecsb_mkdirs(sub, err);
  const cJSON *vols =
      cJSON_GetObjectItemCaseSensitive(s->task_definition, "volumes");
  const cJSON *v;
  cJSON_ArrayForEach(v, vols) {
    const cJSON *nm = cJSON_GetObjectItemCaseSensitive(v, "name");
    if (rc || !cJSON_IsString(nm))
      continue;
    snprintf(sub, sizeof sub, "%s/volumes/%s", t->dir, nm->valuestring);
    rc = ecsb_mkdirs(sub, err);
  }
  snprintf(sub, sizeof sub, "%s/" ECSB_TASK_CLOCK_FILE, t->dir);
  if (!rc)
    rc = ecsb_taskclock_create(sub, &t->clock, err);
  if (rc)
    return rc;
  char group[300];
  if (s->service_name)
    snprintf(group, sizeof group, "service:%s", s->service_name);
  else
    snprintf(group, sizeof group, "family:%s", r->family);
  fecs_run_opts ro = {.cluster = s->cluster,
                      .task_definition = r->family,
                      .group = group,
                      .started_by = s->service_name ? "ecs-svc/ecsboot" : NULL,
                      .ip = t->ip};
  if ((rc = fecs_task_run(r->ecs, &ro, t->arn, err)))
    return ecsb_err_prefix(err, "task %s", t->name);
  for (size_t i = 0; i < t->n; i++)
    if ((rc = container_env(r, t, &t->c[i], err)))
      return rc;
  t->env = (scn_task_env){.task_ip = t->ip,
                          .task_dir = t->dir,
                          .region = fecs_region(r->ecs),
                          .ecs_endpoint = fecs_api_url(r->ecs),
                          .metadata_base = t->md_base,
                          .creds_full_uri = t->creds_uri,
                          .creds_token = t->creds_token,
                          .ecsboot_bin = r->o->ecsboot_bin,
                          .standin_bin = r->o->standin_bin,
                          .init_bin = r->o->init_bin,
                          .init_prefix = r->init_prefix,
                          .path_env = getenv("PATH"),
                          .time_scale = s->time_scale,
                          .task_name = t->name,
                          .events = scn_run_initev_addr(r),
                          .seed = s->seed,
                          .task_clock = true};
  for (size_t i = 0; i < t->n; i++) {
    scn_run_ctr *c = &t->c[i];
    const cJSON *hc = cJSON_GetObjectItemCaseSensitive(c->def, "healthCheck");
    const cJSON *cmd =
        hc ? cJSON_GetObjectItemCaseSensitive(hc, "command") : NULL;
    if (!cmd)
      continue;
    if ((rc =
             scn_probe_from_health_check(&t->env, c->def, cmd, &c->probe, err)))
      return ecsb_err_prefix(err, "%s: container %s healthCheck.command",
                             s->path, c->name);
    c->has_probe = true;
  }
  /* each container's pull, by its image ($.agent.pulls) */
  int64_t *pulls = calloc(t->n ? t->n : 1, sizeof *pulls);
  if (!pulls)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  for (size_t i = 0; i < t->n; i++) {
    const cJSON *im = cJSON_GetObjectItemCaseSensitive(t->c[i].def, "image");
    pulls[i] = scn_scenario_pull_us(s, cJSON_GetStringValue(im));
  }
  fecs_engine_opts eo = {.scale = scale_fn,
                         .scale_ctx = (void *)s,
                         .sigterm_all_at_once = s->sigterm_all_at_once,
                         .pull_us = pulls,
                         .n_pull_us = t->n,
                         .pull_upfront = s->pull_upfront,
                         .credentials_us = s->credentials_us,
                         .credentials_error = s->credentials_error,
                         .container_start_timeout_us = s->start_timeout_us};
  rc = fecs_task_engine_new(r->ecs, t->arn, r->spec, &eo, &t->eng, err);
  free(pulls); /* the engine keeps its own */
  if (rc)
    return ecsb_err_prefix(err, "task %s", t->name);
  t->created = true;
  t->t0 = scn_run_now(r);
  t->lag_us = t->lag_emitted = t->lag_runner_us = t->lag_cpu_us = 0;
  t->lag_io_us = 0;
  t->blocked_seen = ecsb_taskclock_blocked_us(t->clock);
  t->lag_runner = scn_run_lag_self(r);
  t->tt_max = t->t0;
  emit_containers(r, t);
  if ((rc = fecs_engine_start(t->eng, t->t0, err)))
    return ecsb_err_prefix(err, "task %s", t->name);
  scn_run_task_milestone(r, t, 0, t->t0);
  return scn_run_task_drive(r, t, err);
}

void scn_run_task_milestone(scn_runner *r, scn_run_task *t, int ms,
                            int64_t at) {
  if (t->ms[ms] >= 0)
    return;
  t->ms[ms] = at;
  scn_run_faults_milestone(r, t, ms);
}

/* ---- starting a container --------------------------------------------------
 */

static int spawn(scn_runner *r, scn_run_task *t, size_t ci, int64_t now,
                 ecsb_err *err) {
  scn_run_ctr *c = &t->c[ci];
  fecs_container_info info;
  int rc = fecs_engine_container_info(t->eng, ci, &info, err);
  if (rc)
    return rc;
  /* A start that ECS_CONTAINER_START_TIMEOUT gave up on (a slow_start
   * longer than it) is not performed. */
  if (info.state != FECS_C_STARTING)
    return 0;
  if (c->proc) { /* restartPolicy: the same container, started again */
    scn_run_lag_update(r, t, SCN_RUN_NEVER); /* its share, before it is gone */
    scn_proc_free(c->proc);
    c->proc = NULL;
    c->lag_seen = (scn_proc_times){0, 0}; /* the new process counts from 0 */
    scn_run_lag_end_done(&c->proc_end);
    c->exited = false;
    c->exit_override = -1;
  }
  scn_cmd cmd = {0};
  ecsb_err serr = {0};
  const cJSON *vols =
      cJSON_GetObjectItemCaseSensitive(r->s->task_definition, "volumes");
  rc =
      scn_container_command(&t->env, c->def, vols, c->id, c->rule, &cmd, &serr);
  if (!rc) {
    char logp[1300];
    snprintf(logp, sizeof logp, "%s/logs/%s.log", t->dir, c->name);
    scn_spawn_opts so = {.argv = (const char *const *)cmd.argv,
                         .envp = (const char *const *)cmd.envp,
                         .cwd = t->dir,
                         .log_path = logp,
                         .via = scn_run_forksrv_for(r, cmd.argv[0]),
                         .watch = r->exits,
                         .on_exit = scn_run_lag_ended,
                         .on_exit_user = &c->proc_end};
    rc = scn_proc_spawn(&so, &c->proc, &serr);
  }
  scn_cmd_clear(&cmd);
  if (rc) {
    if (rc == ECSB_ENOMEM)
      return ecsb_err_set(err, rc, "%s", serr.msg);
    return fecs_engine_container_start_failed(t->eng, c->name, serr.msg, now,
                                              err);
  }
  c->pid = scn_proc_pid(c->proc);
  c->started = true;
  r->lag_soon = true;
  atomic_fetch_add(&t->served_cpu_us, scn_proc_spawn_cpu_us(c->proc));
  if (c->hang)
    scn_proc_signal(c->proc, SIGSTOP);
  rc = fecs_engine_container_started(t->eng, c->name, now, err);
  scn_run_faults_started(r, t, c);
  return rc;
}

/* ---- health checks ------------------------------------------------------ */

static bool flap_failing(const scn_run_ctr *c, int64_t now) {
  return c->flap_us > 0 && ((now - c->flap_t0) / c->flap_us) % 2 == 1;
}

int scn_run_task_health_result(scn_runner *r, scn_run_task *t, size_t ci,
                               bool ok, int64_t answered_tt, ecsb_err *err) {
  if (!t->eng || ci >= t->n)
    return 0;
  scn_run_ctr *c = &t->c[ci];
  c->probe_busy = false;
  scn_run_lag_update(r, t, answered_tt);
  int64_t now = scn_run_task_now(r, t);
  if (c->health_fail || flap_failing(c, now))
    ok = false;
  int rc = fecs_engine_health_result(t->eng, c->name, ok, now, err);
  if (rc == ECSB_ESTATE) {
    ecsb_err_clear(err);
    rc = 0; /* it stopped meanwhile */
  }
  return rc ? rc : scn_run_task_drive(r, t, err);
}

static int run_check(scn_runner *r, scn_run_task *t, const fecs_action *a,
                     ecsb_err *err) {
  scn_run_ctr *c = &t->c[a->container];
  int64_t now = scn_run_task_now(r, t);
  if (!c->has_probe || c->health_fail || flap_failing(c, now))
    return fecs_engine_health_result(t->eng, c->name, false, now, err);
  c->probe_busy = true;
  /* A scaled timeout still has to cover a real connect and answer (or a
   * process start) on a loaded machine. */
  int64_t timeout = a->timeout_us > SCN_RUN_MIN_PROBE_TIMEOUT_US
                        ? a->timeout_us
                        : SCN_RUN_MIN_PROBE_TIMEOUT_US;
  if (c->probe.kind != SCN_PROBE_PROCESS)
    return scn_run_probes_submit(r->probes, t->index, a->container, &c->probe,
                                 timeout, c->probe_delay_us, err);
  char ip[40], path[1100], clock[1100];
  snprintf(ip, sizeof ip, ECSB_TASK_IP_ENV "=%s", t->ip);
  snprintf(path, sizeof path, "PATH=%.1000s",
           getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
  /* The check's own timeouts run on the task's clock, as the runner's
   * judgement of it does. */
  snprintf(clock, sizeof clock,
           ECSB_TASK_CLOCK_ENV "=%.1000s/" ECSB_TASK_CLOCK_FILE, t->dir);
  const char *envp[] = {ip, path, clock, NULL};
  char logp[1300];
  snprintf(logp, sizeof logp, "%s/logs/%s.health.log", t->dir, c->name);
  scn_spawn_opts so = {.argv = (const char *const *)c->probe.argv,
                       .envp = envp,
                       .cwd = t->dir,
                       .log_path = logp,
                       .watch = r->exits,
                       .on_exit = scn_run_lag_ended,
                       .on_exit_user = &c->probe_end};
  ecsb_err perr = {0};
  c->probe_lag_seen = (scn_proc_times){0, 0};
  if (scn_proc_spawn(&so, &c->probe_proc, &perr)) {
    c->probe_busy = false;
    return fecs_engine_health_result(t->eng, c->name, false, now, err);
  }
  c->probe_deadline = now + timeout;
  return 0;
}

/* ---- engine queues ----------------------------------------------------------
 */

static int perform(scn_runner *r, scn_run_task *t, const fecs_action *a,
                   ecsb_err *err) {
  scn_run_ctr *c = &t->c[a->container];
  int64_t now = scn_run_task_now(r, t);
  switch (a->kind) {
  case FECS_ACT_START:
    if (c->slow_start_us > 0) {
      c->spawn_at = now + c->slow_start_us;
      return 0;
    }
    return spawn(r, t, a->container, now, err);
  case FECS_ACT_RUN_HEALTH_CHECK:
    return run_check(r, t, a, err);
  case FECS_ACT_SIGTERM:
  case FECS_ACT_SIGKILL:
    if (c->proc)
      scn_proc_signal(c->proc, a->kind == FECS_ACT_SIGTERM ? SIGTERM : SIGKILL);
    return 0;
  }
  return 0;
}

static void record(scn_runner *r, scn_run_task *t, const fecs_event *ev) {
  cJSON *d = NULL;
  scn_run_ctr *c = ev->container >= 0 ? &t->c[ev->container] : NULL;
  switch (ev->kind) {
  case FECS_EV_TASK_STATUS:
    d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "status", fecs_task_status_name(ev->status));
    break;
  case FECS_EV_TASK_HEALTH:
    d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "status", fecs_health_name(ev->health));
    break;
  case FECS_EV_TASK_STOP_REQUESTED:
    d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "stop_code", ev->stop_code ? ev->stop_code : "");
    cJSON_AddStringToObject(d, "reason", ev->reason ? ev->reason : "");
    break;
  case FECS_EV_CONTAINER_STARTED:
    d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "pid", c ? (double)c->pid : 0);
    break;
  case FECS_EV_CONTAINER_EXITED:
    d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "exit_code", ev->exit_code);
    break;
  case FECS_EV_CONTAINER_KILLED:
    d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "signal", fecs_signal_name(ev->signal));
    break;
  case FECS_EV_CONTAINER_NOT_STARTED:
  case FECS_EV_CONTAINER_WAITING:
    d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "reason", ev->reason ? ev->reason : "");
    break;
  case FECS_EV_CONTAINER_PULLING:
  case FECS_EV_CONTAINER_PULLED:
    d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "image", ev->image ? ev->image : "");
    if (ev->kind == FECS_EV_CONTAINER_PULLING)
      cJSON_AddNumberToObject(
          d, "pull_us",
          (double)(r->s->time_scale > 0
                       ? llround((double)ev->duration_us / r->s->time_scale)
                       : 0));
    break;
  case FECS_EV_TASK_CREDENTIALS:
    d = cJSON_CreateObject();
    cJSON_AddBoolToObject(d, "ok", ev->ok);
    if (!ev->ok)
      cJSON_AddStringToObject(d, "error", ev->reason ? ev->reason : "");
    break;
  case FECS_EV_CONTAINER_RESTARTING:
    d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "exit_code", ev->exit_code);
    cJSON_AddNumberToObject(d, "restart_count", ev->count);
    break;
  default:
    break;
  }
  /* The engine runs on task time; the log is in run time. */
  int64_t at = ev->t_us + t->lag_us;
  if (at > scn_run_now(r))
    at = scn_run_now(r);
  scn_run_lag_flush(r, t, at);
  scn_run_emit(r, at, fecs_event_kind_name(ev->kind), t->name,
               ev->container_name, d);
  if (c && ev->kind == FECS_EV_CONTAINER_EXITED && ev->exit_code == 0) {
    if (strcmp(c->role, "discover-servers") == 0)
      scn_run_task_milestone(r, t, 1, at);
    else if (strcmp(c->role, "mesh-init") == 0)
      scn_run_task_milestone(r, t, 2, at);
  }
  if (c && ev->kind == FECS_EV_CONTAINER_HEALTHY &&
      strcmp(c->role, "sidecar-proxy") == 0)
    scn_run_task_milestone(r, t, 3, at);
  if (c) {
    if (c->up_at == RPT_ABSENT &&
        ((ev->kind == FECS_EV_CONTAINER_STARTED && !c->checked) ||
         ev->kind == FECS_EV_CONTAINER_HEALTHY))
      c->up_at = at;
    if (c->end_at == RPT_ABSENT && (ev->kind == FECS_EV_CONTAINER_EXITED ||
                                    ev->kind == FECS_EV_CONTAINER_KILLED))
      c->end_at = at;
    rpt_ready_fold f;
    rpt_ready_init(&f);
    for (size_t i = 0; i < t->n; i++)
      rpt_ready_add(&f, t->c[i].essential, t->c[i].up_at, t->c[i].end_at);
    t->ready = rpt_ready_at(&f) != RPT_ABSENT;
  }
  if (ev->kind == FECS_EV_TASK_STATUS && ev->status == FECS_TASK_STOPPED) {
    t->done = true;
  }
}

int scn_run_task_drive(scn_runner *r, scn_run_task *t, ecsb_err *err) {
  if (!t->eng)
    return 0;
  for (int guard = 0; guard < 100000; guard++) {
    fecs_action a;
    fecs_event ev;
    bool any = false;
    while (fecs_engine_next_event(t->eng, &ev)) {
      any = true;
      record(r, t, &ev);
    }
    if (fecs_engine_next_action(t->eng, &a)) {
      any = true;
      int rc = perform(r, t, &a, err);
      if (rc)
        return ecsb_err_prefix(err, "task %s", t->name);
    }
    if (!any)
      return 0;
  }
  return ecsb_err_set(err, ECSB_EINTERNAL,
                      "task %s: the engine kept queueing work", t->name);
}

/* ---- time passing
 * ------------------------------------------------------------- */

/* Whether anything of the task is due or ended: sampling its lag reads
 * /proc for every process, too dear to do for each task of a fleet on
 * every reap (one SIGCHLD reaps all of them). */
static bool task_busy(scn_runner *r, scn_run_task *t, bool reap) {
  if (scn_run_task_next_deadline(r, t) <= scn_run_now(r) ||
      scn_run_lag_ended_tt(t) != SCN_RUN_NEVER)
    return true;
  for (size_t i = 0; reap && i < t->n; i++) {
    scn_run_ctr *c = &t->c[i];
    /* reaps (keeping the status) what ended; the loop below acts on it */
    if ((c->proc && !c->exited && scn_proc_poll(c->proc, NULL, NULL)) ||
        (c->probe_proc && scn_proc_poll(c->probe_proc, NULL, NULL)))
      return true;
  }
  return false;
}

int scn_run_task_poll(scn_runner *r, scn_run_task *t, bool reap,
                      ecsb_err *err) {
  int rc = 0;
  if (!task_busy(r, t, reap))
    return 0;
  /* task time is read afresh at each step: each may sample the lag */
  scn_run_lag_update(r, t, SCN_RUN_NEVER);
  for (size_t i = 0; i < t->n && !rc; i++) {
    scn_run_ctr *c = &t->c[i];
    int64_t now = scn_run_task_now(r, t);
    if (c->spawn_at != SCN_RUN_NEVER && now >= c->spawn_at) {
      c->spawn_at = SCN_RUN_NEVER;
      rc = spawn(r, t, i, now, err);
    }
    if (!rc && c->proc && !c->exited && now >= c->crash_at) {
      c->crash_at = SCN_RUN_NEVER;
      c->crash_delay_us = -1; /* once: a restarted container runs on */
      c->exit_override = c->crash_code;
      scn_proc_signal(c->proc, SIGKILL);
    }
    int code, sig;
    if (!rc && reap && c->proc && !c->exited &&
        scn_proc_poll(c->proc, &code, &sig)) {
      scn_run_lag_reaped(&c->proc_end);
      c->exited = true;
      int ec = code >= 0 ? code : 128 + sig;
      if (c->exit_override >= 0)
        ec = c->exit_override;
      rc = fecs_engine_container_exited(t->eng, c->name, ec,
                                        scn_run_task_now(r, t), err);
      scn_run_lag_end_done(&c->proc_end);
    }
    if (!rc && c->probe_proc) {
      bool done = reap && scn_proc_poll(c->probe_proc, &code, &sig);
      if (!done && scn_run_task_now(r, t) >= c->probe_deadline) {
        scn_run_lag_update(r, t, SCN_RUN_NEVER); /* its share, first */
        scn_proc_free(c->probe_proc);            /* kills and reaps */
        c->probe_proc = NULL;
        scn_run_lag_end_done(&c->probe_end);
        rc = scn_run_task_health_result(r, t, i, false, SCN_RUN_NEVER, err);
      } else if (done) {
        scn_run_lag_update(r, t, SCN_RUN_NEVER);
        scn_proc_free(c->probe_proc);
        c->probe_proc = NULL;
        scn_run_lag_end_done(&c->probe_end);
        c->probe_deadline = SCN_RUN_NEVER;
        rc = scn_run_task_health_result(r, t, i, code == 0, SCN_RUN_NEVER, err);
      }
    }
    if (!rc)
      rc = scn_run_task_drive(r, t, err);
  }
  if (!rc && t->eng &&
      fecs_engine_next_deadline(t->eng) <= scn_run_task_now(r, t)) {
    rc = fecs_engine_tick(t->eng, scn_run_task_now(r, t), err);
    if (!rc)
      rc = scn_run_task_drive(r, t, err);
  }
  scn_run_lag_release(t);
  return rc;
}

int64_t scn_run_task_next_deadline(const scn_runner *r, const scn_run_task *t) {
  (void)r;
  /* in task time; the run time it is due at is returned */
  int64_t next = t->eng ? fecs_engine_next_deadline(t->eng) : SCN_RUN_NEVER;
  if (next == FECS_NO_DEADLINE)
    next = SCN_RUN_NEVER;
  for (size_t i = 0; i < t->n; i++) {
    const scn_run_ctr *c = &t->c[i];
    if (c->spawn_at < next)
      next = c->spawn_at;
    if (c->proc && !c->exited && c->crash_at < next)
      next = c->crash_at;
    if (c->probe_proc && c->probe_deadline < next)
      next = c->probe_deadline;
  }
  return next == SCN_RUN_NEVER ? next : next + t->lag_us;
}

/* ---- teardown
 * ---------------------------------------------------------------- */

void scn_run_task_signal_all(scn_run_task *t, int sig) {
  for (size_t i = 0; i < t->n; i++) {
    scn_run_ctr *c = &t->c[i];
    if (c->proc && !c->exited) {
      scn_proc_signal(c->proc, sig);
      if (c->hang)
        scn_proc_signal(c->proc, SIGCONT);
    }
    if (c->probe_proc)
      scn_proc_signal(c->probe_proc, SIGKILL);
  }
}

bool scn_run_task_all_exited(scn_run_task *t) {
  for (size_t i = 0; i < t->n; i++) {
    scn_run_ctr *c = &t->c[i];
    if (c->proc && !c->exited) {
      if (!scn_proc_poll(c->proc, NULL, NULL))
        return false;
      c->exited = true;
    }
  }
  return true;
}

void scn_run_task_free(scn_run_task *t) {
  for (size_t i = 0; i < t->n; i++) {
    scn_proc_free(t->c[i].proc);
    scn_proc_free(t->c[i].probe_proc);
    scn_probe_clear(&t->c[i].probe);
  }
  for (size_t i = 0; i < t->n_held; i++) {
    close(t->held_fd[i][0]);
    close(t->held_fd[i][1]);
  }
  t->n_held = 0;
  cJSON_Delete(t->control);
  t->control = NULL;
  free(t->c);
  t->c = NULL;
  t->n = 0;
  t->eng = NULL; /* fake-ecs's: freed with the task's record */
  ecsb_taskclock_free(t->clock);
  t->clock = NULL;
}
