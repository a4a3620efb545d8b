/*
 * engine_spec.c - the task spec the engine runs: validation against ECS's
 * rules and ranges, defaults, deep copies, and reading containerDefinitions
 * from task-definition JSON (facts and sources in fecs/engine.h).
 *
 * Called by fecs_engine_new and by the runner (fecs_task_spec_from_json).
 * Every message names the container and the field, so a user can find the
 * line in their task definition. Pure: no I/O, no global state.
 */
#include "fecs/engine.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/json.h"

/* ECS: up to 255 letters, numbers, hyphens and underscores. */
#define NAME_MAX_LEN 255
/* Far above ECS's own per-task limits; keeps the O(n^2) checks bounded. */
#define MAX_CONTAINERS 256
#define MAX_DEPENDS_ON 256
#define MAX_COMMAND 256

/* ---- validation ---- */

static int find_name(const fecs_task_spec *s, const char *name) {
  for (size_t i = 0; i < s->n_containers; i++)
    if (s->containers[i].name && strcmp(s->containers[i].name, name) == 0)
      return (int)i;
  return -1;
}

static bool valid_name(const char *n) {
  size_t len = n ? strlen(n) : 0;
  if (len == 0 || len > NAME_MAX_LEN)
    return false;
  for (const char *p = n; *p; p++) {
    char ch = *p;
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
          (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
      return false;
  }
  return true;
}

#define CFAIL(err, i, c, ...) fail_at(err, i, (c)->name, __VA_ARGS__)

__attribute__((format(printf, 4, 5))) static int
fail_at(ecsb_err *err, size_t i, const char *name, const char *fmt, ...) {
  char what[ECSB_ERR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return ecsb_err_set(err, ECSB_EINVAL,
                      "container \"%.255s\" (containerDefinitions[%zu]): %s",
                      name ? name : "", i, what);
}

/* A range check on an optional duration: 0 means "default". */
static int check_ms(ecsb_err *err, size_t i, const fecs_container_spec *c,
                    const char *field, int64_t v, int64_t lo, int64_t hi) {
  if (v == 0 || (v >= lo && v <= hi))
    return 0;
  return CFAIL(err, i, c, "%s: %lld ms is outside ECS's range %lld-%lld s",
               field, (long long)v, (long long)(lo / 1000),
               (long long)(hi / 1000));
}

static int validate_health(const fecs_container_spec *c, size_t i,
                           ecsb_err *err) {
  const fecs_health_spec *h = &c->health;
  if (!h->command)
    return 0;
  if (h->n_command < 2 || h->n_command > MAX_COMMAND)
    return CFAIL(err, i, c,
                 "healthCheck.command: needs \"CMD\" or \"CMD-SHELL\" and a "
                 "command (%zu elements given)",
                 h->n_command);
  for (size_t k = 0; k < h->n_command; k++)
    if (!h->command[k])
      return CFAIL(err, i, c, "healthCheck.command[%zu]: missing", k);
  if (strcmp(h->command[0], "CMD") != 0 &&
      strcmp(h->command[0], "CMD-SHELL") != 0)
    return CFAIL(err, i, c,
                 "healthCheck.command[0]: must be \"CMD\" or \"CMD-SHELL\", "
                 "not \"%.40s\"",
                 h->command[0]);
  int rc = check_ms(err, i, c, "healthCheck.interval", h->interval_ms,
                    FECS_HC_INTERVAL_MIN_MS, FECS_HC_INTERVAL_MAX_MS);
  if (!rc)
    rc = check_ms(err, i, c, "healthCheck.timeout", h->timeout_ms,
                  FECS_HC_TIMEOUT_MIN_MS, FECS_HC_TIMEOUT_MAX_MS);
  if (!rc && h->start_period_ms != 0 &&
      (h->start_period_ms < 0 ||
       h->start_period_ms > FECS_HC_START_PERIOD_MAX_MS))
    rc = CFAIL(err, i, c,
               "healthCheck.startPeriod: %lld ms is outside ECS's range "
               "0-300 s",
               (long long)h->start_period_ms);
  if (!rc && h->retries != 0 &&
      (h->retries < FECS_HC_RETRIES_MIN || h->retries > FECS_HC_RETRIES_MAX))
    rc = CFAIL(err, i, c, "healthCheck.retries: %d is outside ECS's range 1-10",
               h->retries);
  return rc;
}

/* Names first, so that a bad or repeated name is reported as such rather
 * than as a dependency on a container that seems not to exist. */
static int validate_name(const fecs_task_spec *s, size_t i, ecsb_err *err) {
  const fecs_container_spec *c = &s->containers[i];
  if (!valid_name(c->name))
    return CFAIL(err, i, c,
                 "name: must be 1-255 letters, digits, hyphens or "
                 "underscores");
  int other = find_name(s, c->name);
  if (other >= 0 && (size_t)other != i)
    return CFAIL(err, i, c, "name: also used by containerDefinitions[%d]",
                 other);
  return 0;
}

static int validate_container(const fecs_task_spec *s, size_t i,
                              ecsb_err *err) {
  const fecs_container_spec *c = &s->containers[i];
  if (c->start_timeout_ms < 0 || c->start_timeout_ms > FECS_TIMEOUT_MAX_MS)
    return CFAIL(err, i, c, "startTimeout: %lld ms is out of range (0-1 day)",
                 (long long)c->start_timeout_ms);
  if (c->stop_timeout_ms < 0 || c->stop_timeout_ms > FECS_TIMEOUT_MAX_MS)
    return CFAIL(err, i, c, "stopTimeout: %lld ms is out of range (0-1 day)",
                 (long long)c->stop_timeout_ms);
  if (c->n_depends_on > MAX_DEPENDS_ON || (c->n_depends_on && !c->depends_on))
    return CFAIL(err, i, c, "dependsOn: %zu entries is not a valid list",
                 c->n_depends_on);
  for (size_t k = 0; k < c->n_depends_on; k++) {
    const fecs_dependency *d = &c->depends_on[k];
    if (!d->container)
      return CFAIL(err, i, c, "dependsOn[%zu].containerName: missing", k);
    int t = find_name(s, d->container);
    if (t < 0)
      return CFAIL(err, i, c,
                   "dependsOn[%zu].containerName: no container named "
                   "\"%.255s\"",
                   k, d->container);
    if ((size_t)t == i)
      return CFAIL(err, i, c,
                   "dependsOn[%zu].containerName: a container cannot depend "
                   "on itself",
                   k);
    const fecs_container_spec *target = &s->containers[t];
    switch (d->condition) {
    case FECS_DEP_START:
      break;
    case FECS_DEP_COMPLETE:
    case FECS_DEP_SUCCESS:
      if (target->essential)
        return CFAIL(err, i, c,
                     "dependsOn[%zu].condition: %s cannot be set on an "
                     "essential container (\"%s\" is essential)",
                     k, fecs_dep_condition_name(d->condition), target->name);
      break;
    case FECS_DEP_HEALTHY:
      if (!target->health.command)
        return CFAIL(err, i, c,
                     "dependsOn[%zu].condition: HEALTHY needs a healthCheck on "
                     "\"%s\", which has none",
                     k, target->name);
      break;
    default:
      return CFAIL(err, i, c,
                   "dependsOn[%zu].condition: must be START, COMPLETE, "
                   "SUCCESS or HEALTHY",
                   k);
    }
  }
  return validate_health(c, i, err);
}

/* Depth-first search for a cycle; on finding one, names it in order. */
static int find_cycle(const fecs_task_spec *s, size_t i, unsigned char *mark,
                      size_t *stack, size_t depth, ecsb_err *err) {
  mark[i] = 1; /* on the current path */
  stack[depth] = i;
  const fecs_container_spec *c = &s->containers[i];
  for (size_t k = 0; k < c->n_depends_on; k++) {
    size_t t = (size_t)find_name(s, c->depends_on[k].container);
    if (mark[t] == 1) {
      char path[ECSB_ERR_MSG_MAX] = "";
      size_t from = 0;
      while (stack[from] != t)
        from++;
      size_t off = 0;
      for (size_t j = from; j <= depth && off < sizeof path; j++)
        off += (size_t)snprintf(path + off, sizeof path - off, "%s -> ",
                                s->containers[stack[j]].name);
      if (off < sizeof path)
        snprintf(path + off, sizeof path - off, "%s", s->containers[t].name);
      /* Named after the container where the cycle was entered. */
      return fail_at(err, t, s->containers[t].name, "dependsOn: cycle %s",
                     path);
    }
    if (mark[t] == 0) {
      int rc = find_cycle(s, t, mark, stack, depth + 1, err);
      if (rc)
        return rc;
    }
  }
  mark[i] = 2; /* done, no cycle through it */
  return 0;
}

static int validate(const fecs_task_spec *s, ecsb_err *err) {
  if (!s || s->n_containers == 0 || !s->containers)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "containerDefinitions: needs at least one container");
  if (s->n_containers > MAX_CONTAINERS)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "containerDefinitions: %zu containers (at most %d)",
                        s->n_containers, MAX_CONTAINERS);
  bool any_essential = false;
  for (size_t i = 0; i < s->n_containers; i++) {
    int rc = validate_name(s, i, err);
    if (rc)
      return rc;
  }
  for (size_t i = 0; i < s->n_containers; i++) {
    int rc = validate_container(s, i, err);
    if (rc)
      return rc;
    any_essential |= s->containers[i].essential;
  }
  if (!any_essential)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "containerDefinitions: a task needs at least one "
                        "essential container");
  unsigned char mark[MAX_CONTAINERS] = {0};
  size_t stack[MAX_CONTAINERS];
  for (size_t i = 0; i < s->n_containers; i++)
    if (mark[i] == 0) {
      int rc = find_cycle(s, i, mark, stack, 0, err);
      if (rc)
        return rc;
    }
  return 0;
}

/* ---- owned copies ---- */

static void free_container(fecs_container_spec *c) {
  free((void *)c->name);
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

static int copy_container(const fecs_container_spec *in,
                          fecs_container_spec *out) {
  memset(out, 0, sizeof *out);
  out->essential = in->essential;
  out->start_timeout_ms = in->start_timeout_ms;
  out->stop_timeout_ms =
      in->stop_timeout_ms ? in->stop_timeout_ms : FECS_STOP_TIMEOUT_DEFAULT_MS;
  if (!(out->name = strdup(in->name)))
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

/* The parse borrows strings from the JSON; normalise then copies them. */
typedef struct parsed {
  fecs_container_spec *cs;
  fecs_dependency **deps;
  const char ***cmds;
  size_t n;
} parsed;

static void parsed_free(parsed *p) {
  for (size_t i = 0; i < p->n; i++) {
    free(p->deps ? p->deps[i] : NULL);
    free(p->cmds ? p->cmds[i] : NULL);
  }
  free(p->cs);
  free(p->deps);
  free(p->cmds);
}

/* An optional whole number of seconds in [lo, hi], stored as ms. */
static int get_seconds(const cJSON *o, const char *path, const char *key,
                       int64_t lo, int64_t hi, int64_t *out_ms, ecsb_err *err) {
  int64_t v = -1;
  int rc = ecsb_json_get_int(o, path, key, false, lo, hi, &v, err);
  if (!rc && v >= 0)
    *out_ms = v * 1000;
  return rc;
}

static int parse_health(const cJSON *hc, const char *p, fecs_health_spec *h,
                        const char ***cmd_out, ecsb_err *err) {
  const cJSON *cmd = NULL;
  int rc = ecsb_json_get_array(hc, p, "command", true, &cmd, err);
  if (rc)
    return rc;
  int n = cJSON_GetArraySize(cmd);
  if (n > MAX_COMMAND)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s.command: %d elements (at most %d)", p, n,
                        MAX_COMMAND);
  const char **argv = calloc((size_t)n + 1, sizeof *argv);
  if (!argv)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  *cmd_out = argv;
  for (int k = 0; k < n; k++) {
    const cJSON *a = cJSON_GetArrayItem(cmd, k);
    if (!cJSON_IsString(a))
      return ecsb_err_set(err, ECSB_EINVAL, "%s.command[%d]: expected string",
                          p, k);
    argv[k] = a->valuestring;
  }
  h->command = argv;
  h->n_command = (size_t)n;
  int64_t retries = 0;
  /* Explicit values are range-checked here so the message carries the JSON
   * path; 0 is not a valid explicit value for interval/timeout/retries. */
  rc = get_seconds(hc, p, "interval", FECS_HC_INTERVAL_MIN_MS / 1000,
                   FECS_HC_INTERVAL_MAX_MS / 1000, &h->interval_ms, err);
  if (!rc)
    rc = get_seconds(hc, p, "timeout", FECS_HC_TIMEOUT_MIN_MS / 1000,
                     FECS_HC_TIMEOUT_MAX_MS / 1000, &h->timeout_ms, err);
  if (!rc)
    rc =
        get_seconds(hc, p, "startPeriod", 0, FECS_HC_START_PERIOD_MAX_MS / 1000,
                    &h->start_period_ms, err);
  if (!rc)
    rc = ecsb_json_get_int(hc, p, "retries", false, FECS_HC_RETRIES_MIN,
                           FECS_HC_RETRIES_MAX, &retries, err);
  h->retries = (int)retries;
  return rc;
}

static int parse_depends(const cJSON *deps, const char *p,
                         fecs_container_spec *c, fecs_dependency **out,
                         ecsb_err *err) {
  int n = cJSON_GetArraySize(deps);
  if (n > MAX_DEPENDS_ON)
    return ecsb_err_set(err, ECSB_EINVAL, "%s: %d entries (at most %d)", p, n,
                        MAX_DEPENDS_ON);
  fecs_dependency *d = calloc((size_t)n + 1, sizeof *d);
  if (!d)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  *out = d;
  for (int k = 0; k < n; k++) {
    char dp[300];
    snprintf(dp, sizeof dp, "%s[%d]", p, k);
    const cJSON *o = cJSON_GetArrayItem(deps, k);
    const char *cond = NULL;
    if (!cJSON_IsObject(o))
      return ecsb_err_set(err, ECSB_EINVAL, "%s: expected an object", dp);
    int rc = ecsb_json_get_string(o, dp, "containerName", true, &d[k].container,
                                  err);
    if (!rc)
      rc = ecsb_json_get_string(o, dp, "condition", true, &cond, err);
    if (rc)
      return rc;
    if (fecs_dep_condition_parse(cond, &d[k].condition))
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s.condition: \"%.40s\" is not START, COMPLETE, "
                          "SUCCESS or HEALTHY",
                          dp, cond);
  }
  c->depends_on = d;
  c->n_depends_on = (size_t)n;
  return 0;
}

static int parse_container(const cJSON *o, const char *cp, parsed *ps, size_t i,
                           ecsb_err *err) {
  fecs_container_spec *c = &ps->cs[i];
  char p[272];
  if (!cJSON_IsObject(o))
    return ecsb_err_set(err, ECSB_EINVAL, "%s: expected an object", cp);
  int rc = ecsb_json_get_string(o, cp, "name", true, &c->name, err);
  if (rc)
    return rc;
  /* From here on the container's name goes into every message. */
  c->essential = true; /* ECS's default */
  rc = ecsb_json_get_bool(o, cp, "essential", false, &c->essential, err);
  if (!rc)
    rc = get_seconds(o, cp, "startTimeout", 0, FECS_TIMEOUT_MAX_MS / 1000,
                     &c->start_timeout_ms, err);
  if (!rc)
    rc = get_seconds(o, cp, "stopTimeout", 0, FECS_TIMEOUT_MAX_MS / 1000,
                     &c->stop_timeout_ms, err);
  const cJSON *deps = NULL, *hc = NULL;
  if (!rc)
    rc = ecsb_json_get_array(o, cp, "dependsOn", false, &deps, err);
  if (!rc && deps) {
    snprintf(p, sizeof p, "%s.dependsOn", cp);
    rc = parse_depends(deps, p, c, &ps->deps[i], err);
  }
  if (!rc)
    rc = ecsb_json_get_object(o, cp, "healthCheck", false, &hc, err);
  if (!rc && hc) {
    snprintf(p, sizeof p, "%s.healthCheck", cp);
    rc = parse_health(hc, p, &c->health, &ps->cmds[i], err);
  }
  if (rc)
    ecsb_err_prefix(err, "container \"%.255s\"", c->name);
  return rc;
}

int fecs_task_spec_from_json(const cJSON *td, const char *path,
                             fecs_task_spec **out, ecsb_err *err) {
  *out = NULL;
  char p[200];
  snprintf(p, sizeof p, "%s", path ? path : "$");
  const cJSON *inner = cJSON_GetObjectItemCaseSensitive(td, "taskDefinition");
  if (cJSON_IsObject(inner)) {
    td = inner;
    snprintf(p, sizeof p, "%s.taskDefinition", path ? path : "$");
  }
  if (!cJSON_IsObject(td))
    return ecsb_err_set(err, ECSB_EINVAL, "%s: expected an object", p);
  const cJSON *defs = NULL;
  int rc = ecsb_json_get_array(td, p, "containerDefinitions", true, &defs, err);
  if (rc)
    return rc;
  int n = cJSON_GetArraySize(defs);
  if (n == 0 || n > MAX_CONTAINERS)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s.containerDefinitions: %d containers (1-%d)", p, n,
                        MAX_CONTAINERS);
  parsed ps = {.n = (size_t)n};
  ps.cs = calloc((size_t)n, sizeof *ps.cs);
  ps.deps = calloc((size_t)n, sizeof *ps.deps);
  ps.cmds = calloc((size_t)n, sizeof *ps.cmds);
  if (!ps.cs || !ps.deps || !ps.cmds) {
    rc = ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
    goto out;
  }
  for (int i = 0; i < n; i++) {
    char cp[240];
    snprintf(cp, sizeof cp, "%s.containerDefinitions[%d]", p, i);
    if ((rc = parse_container(cJSON_GetArrayItem(defs, i), cp, &ps, (size_t)i,
                              err)))
      goto out;
  }
  fecs_task_spec spec = {.containers = ps.cs, .n_containers = (size_t)n};
  if ((rc = fecs_task_spec_normalise(&spec, out, err)))
    ecsb_err_prefix(err, "%s", p);
out:
  parsed_free(&ps);
  return rc;
}
