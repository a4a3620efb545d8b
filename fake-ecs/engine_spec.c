/*
 * engine_spec.c - the task spec the engine runs: validation (ecs-taskdef's
 * rules and messages, etd/taskdef.h), ECS's defaults, deep copies, and
 * reading a task definition's JSON through etd_parse.
 *
 * Called by fecs_engine_new and by the runner (fecs_task_spec_from_json).
 * Pure: no I/O, no global state.
 */
#include "fecs/engine.h"

#include <stdlib.h>
#include <string.h>

/* The rules are ecs-taskdef's, so the agent simulator refuses exactly
 * what RegisterTaskDefinition and lint refuse, in the same words. */
static int validate(const fecs_task_spec *s, ecsb_err *err) {
  if (!s)
    return ecsb_err_set(err, ECSB_EINVAL, "no task spec");
  return etd_containers_check(s->containers, s->n_containers, NULL, err);
}

/* ---- owned copies ---- */

static void free_strs(const char *const *v, size_t n) {
  for (size_t k = 0; v && k < n; k++)
    free((void *)v[k]);
  free((void *)v);
}

static void free_container(fecs_container_spec *c) {
  free((void *)c->name);
  free((void *)c->image);
  free_strs(c->links, c->n_links);
  free_strs(c->volumes_from, c->n_volumes_from);
  for (size_t k = 0; k < c->n_depends_on; k++)
    free((void *)c->depends_on[k].container);
  free((void *)c->depends_on);
  for (size_t k = 0; c->health.command && k < c->health.n_command; k++)
    free((void *)c->health.command[k]);
  free((void *)c->health.command);
}

void fecs_task_spec_free(fecs_task_spec *spec) {
  if (!spec)
    return;
  for (size_t i = 0; spec->containers && i < spec->n_containers; i++)
    free_container((fecs_container_spec *)&spec->containers[i]);
  free((void *)spec->containers);
  free(spec);
}

/* A copy of n strings into *out (counted in *nout as they are made, so
 * that a failure frees what exists). */
static int copy_strs(const char *const *in, size_t n, const char *const **out,
                     size_t *nout) {
  *out = NULL;
  *nout = 0;
  if (!n)
    return 0;
  const char **v = calloc(n, sizeof *v);
  if (!v)
    return ECSB_ENOMEM;
  *out = v;
  for (size_t k = 0; k < n; k++) {
    if (!in[k] || !(v[k] = strdup(in[k])))
      return ECSB_ENOMEM;
    *nout = k + 1;
  }
  return 0;
}

static int copy_container(const fecs_container_spec *in,
                          fecs_container_spec *out) {
  memset(out, 0, sizeof *out);
  out->essential = in->essential;
  out->start_timeout_ms = in->start_timeout_ms;
  out->restart = in->restart;
  if (!out->restart.attempt_period_ms)
    out->restart.attempt_period_ms = ETD_RESTART_PERIOD_DEFAULT_MS;
  out->exec_creds = in->exec_creds;
  if (in->image && !(out->image = strdup(in->image)))
    return ECSB_ENOMEM;
  out->stop_timeout_ms =
      in->stop_timeout_ms ? in->stop_timeout_ms : FECS_STOP_TIMEOUT_DEFAULT_MS;
  if (!(out->name = strdup(in->name)) ||
      copy_strs(in->links, in->n_links, &out->links, &out->n_links) ||
      copy_strs(in->volumes_from, in->n_volumes_from, &out->volumes_from,
                &out->n_volumes_from))
    return ECSB_ENOMEM;
  if (in->n_depends_on) {
    fecs_dependency *d = calloc(in->n_depends_on, sizeof *d);
    if (!d)
      return ECSB_ENOMEM;
    out->depends_on = d;
    for (size_t k = 0; k < in->n_depends_on; k++) {
      d[k].condition = in->depends_on[k].condition;
      if (!(d[k].container = strdup(in->depends_on[k].container)))
        return ECSB_ENOMEM;
      out->n_depends_on = k + 1;
    }
  }
  const fecs_health_spec *h = &in->health;
  if (h->command) {
    const char **cmd = calloc(h->n_command, sizeof *cmd);
    if (!cmd)
      return ECSB_ENOMEM;
    out->health.command = cmd;
    for (size_t k = 0; k < h->n_command; k++) {
      if (!(cmd[k] = strdup(h->command[k])))
        return ECSB_ENOMEM;
      out->health.n_command = k + 1;
    }
    out->health.interval_ms =
        h->interval_ms ? h->interval_ms : FECS_HC_INTERVAL_DEFAULT_MS;
    out->health.timeout_ms =
        h->timeout_ms ? h->timeout_ms : FECS_HC_TIMEOUT_DEFAULT_MS;
    out->health.retries = h->retries ? h->retries : FECS_HC_RETRIES_DEFAULT;
    out->health.start_period_ms = h->start_period_ms;
  }
  return 0;
}

int fecs_task_spec_normalise(const fecs_task_spec *in, fecs_task_spec **out,
                             ecsb_err *err) {
  *out = NULL;
  int rc = validate(in, err);
  if (rc)
    return rc;
  fecs_task_spec *s = calloc(1, sizeof *s);
  fecs_container_spec *cs = calloc(in->n_containers, sizeof *cs);
  if (!s || !cs) {
    free(s);
    free(cs);
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  }
  s->containers = cs;
  for (size_t i = 0; i < in->n_containers; i++) {
    s->n_containers = i + 1; /* so that a failure frees what exists */
    if ((rc = copy_container(&in->containers[i], &cs[i])))
      goto fail;
  }
  *out = s;
  return 0;
fail:
  fecs_task_spec_free(s);
  return ecsb_err_set(err, rc, "out of memory");
}

/* ---- from task-definition JSON ---- */

int fecs_task_spec_from_json(const cJSON *td, const char *path,
                             fecs_task_spec **out, ecsb_err *err) {
  *out = NULL;
  const char *p = path ? path : "$";
  etd_taskdef *t = NULL;
  int rc = etd_parse(td, NULL, &t, NULL, err);
  if (!rc) {
    fecs_task_spec spec = {.containers = t->containers,
                           .n_containers = t->n_containers};
    rc = fecs_task_spec_normalise(&spec, out, err);
  }
  if (rc && rc != ECSB_ENOMEM)
    ecsb_err_prefix(
        err, "%s%s", p,
        cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(td, "taskDefinition"))
            ? ".taskDefinition"
            : "");
  etd_taskdef_free(t);
  return rc;
}
