/*
 * taskdef.c - ECS's task-definition rules (see etd/taskdef.h).
 *
 * Two passes. The JSON pass reads what RegisterTaskDefinition reads
 * (types, task-level fields, images, ports, mount points, the dependsOn
 * entries and the healthCheck object) into etd_container records and fills
 * ECS's defaults into the JSON. The container pass (etd_containers_check,
 * also run on specs the agent simulator's tests build in code) judges the
 * names, timeouts, health checks and the dependency graph. Both word their
 * problems as RegisterTaskDefinition does; fake-ecs answers them verbatim,
 * so their text must not change without a reason.
 *
 * The JSON pass stops at its first problem (what follows may not be
 * readable); the container pass goes on when the caller asks for every
 * problem (lint).
 */
#include "etd/taskdef.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Far above what ECS allows; keeps the O(n^2) checks bounded. */
#define MAX_DEPENDS_ON 256
#define MAX_COMMAND 256
#define MAX_PROBLEMS 256

static const char *const CLIENT = "ClientException";
static const char *const SERIAL = "SerializationException";

typedef struct vctx {
  etd_problems *ps;
  etd_problem first;
  size_t n;
  bool all;
  bool zero_is_default; /* a spec built in code, not JSON */
} vctx;

static int bad(vctx *v, etd_rule rule, int ctr, const char *path,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int bad(vctx *v, etd_rule rule, int ctr, const char *path,
               const char *fmt, ...) {
  etd_problem p = {.rule = rule,
                   .exception = rule == ETD_R_TYPE ? SERIAL : CLIENT,
                   .container = ctr};
  snprintf(p.path, sizeof p.path, "%s", path);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p.message, sizeof p.message, fmt, ap);
  va_end(ap);
  if (v->n == 0)
    v->first = p;
  if (v->ps && (v->n == 0 || v->all) && v->ps->n < MAX_PROBLEMS) {
    etd_problem *nv = realloc(v->ps->v, (v->ps->n + 1) * sizeof *nv);
    if (nv) {
      v->ps->v = nv;
      nv[v->ps->n++] = p;
    }
  }
  v->n++;
  return -1;
}

/* After a problem in the container pass: go on only when asked to. */
static bool stop(const vctx *v) {
  return !v->all;
}

void etd_problems_clear(etd_problems *ps) {
  if (!ps)
    return;
  free(ps->v);
  ps->v = NULL;
  ps->n = 0;
}

bool etd_valid_name(const char *s) {
  size_t n = 0;
  for (; s && s[n]; n++) {
    char ch = s[n];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
          (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
      return false;
  }
  return n >= 1 && n <= 255;
}

static const char *const COND[] = {"START", "COMPLETE", "SUCCESS", "HEALTHY"};

const char *etd_condition_name(etd_condition c) {
  return (unsigned)c < 4 ? COND[c] : "?";
}

int etd_condition_parse(const char *s, etd_condition *out) {
  for (int c = 0; s && c < 4; c++)
    if (!strcmp(s, COND[c])) {
      *out = (etd_condition)c;
      return 0;
    }
  return ECSB_EINVAL;
}

/* Seconds as the task definition gives them: whole, or with the
 * milliseconds a spec built in code may carry. */
static const char *secs(int64_t ms, char *buf, size_t cap) {
  if (ms % 1000 == 0)
    snprintf(buf, cap, "%lld", (long long)(ms / 1000));
  else
    snprintf(buf, cap, "%.3f", (double)ms / 1000);
  return buf;
}

/* ---- the container pass ---------------------------------------------- */

static int find(const etd_container *c, size_t n, const char *name) {
  for (size_t i = 0; name && i < n; i++)
    if (c[i].name && !strcmp(c[i].name, name))
      return (int)i;
  return -1;
}

static int range_ms(vctx *v, int ctr, const char *path, const char *key,
                    int64_t ms, int64_t lo, int64_t hi, bool has_default) {
  if ((ms == 0 && has_default && v->zero_is_default) || (ms >= lo && ms <= hi))
    return 0;
  char p[256], b[3][40];
  snprintf(p, sizeof p, "%s.%s", path, key);
  return bad(v,
             !strcmp(key, "startTimeout") || !strcmp(key, "stopTimeout")
                 ? ETD_R_TIMEOUT_RANGE
                 : ETD_R_HEALTH_RANGE,
             ctr, p, "%s: %s is outside %s-%s", p, secs(ms, b[0], 40),
             secs(lo, b[1], 40), secs(hi, b[2], 40));
}

static int check_health(vctx *v, int i, const char *cp, const etd_health *h) {
  char p[224];
  snprintf(p, sizeof p, "%s.healthCheck", cp);
  if (h->n_command < 1)
    return bad(v, ETD_R_HEALTH_COMMAND, i, p,
               "%s.command: required, a non-empty list", p);
  for (size_t k = 0; k < h->n_command; k++)
    if (!h->command[k])
      return bad(v, ETD_R_HEALTH_COMMAND, i, p, "%s.command[%zu]: missing", p,
                 k);
  if (strcmp(h->command[0], "CMD") && strcmp(h->command[0], "CMD-SHELL"))
    return bad(v, ETD_R_HEALTH_COMMAND, i, p,
               "%s.command[0]: must be \"CMD\" or \"CMD-SHELL\", not "
               "\"%.40s\" (the ECS agent refuses any other)",
               p, h->command[0]);
  if (h->n_command < 2 || h->n_command > MAX_COMMAND)
    return bad(v, ETD_R_HEALTH_COMMAND, i, p,
               "%s.command: needs \"CMD\" or \"CMD-SHELL\" and a command "
               "(%zu elements given)",
               p, h->n_command);
  if (range_ms(v, i, p, "interval", h->interval_ms, ETD_HC_INTERVAL_MIN_MS,
               ETD_HC_INTERVAL_MAX_MS, true) ||
      range_ms(v, i, p, "timeout", h->timeout_ms, ETD_HC_TIMEOUT_MIN_MS,
               ETD_HC_TIMEOUT_MAX_MS, true) ||
      range_ms(v, i, p, "retries", (int64_t)h->retries * 1000,
               ETD_HC_RETRIES_MIN * 1000, ETD_HC_RETRIES_MAX * 1000, true) ||
      range_ms(v, i, p, "startPeriod", h->start_period_ms, 0,
               ETD_HC_START_PERIOD_MAX_MS, true))
    return -1;
  return 0;
}

/* Names first, so that a bad or repeated name is reported as such rather
 * than as a dependency on a container that seems not to exist. */
static int check_name(vctx *v, const etd_container *cs, size_t n, size_t i) {
  char p[96];
  snprintf(p, sizeof p, "containerDefinitions[%zu].name", i);
  if (!etd_valid_name(cs[i].name))
    return bad(v, ETD_R_NAME, (int)i, p,
               "%s: required; up to 255 letters (uppercase and lowercase), "
               "numbers, hyphens, and underscores",
               p);
  int other = find(cs, n, cs[i].name);
  if (other >= 0 && (size_t)other != i)
    return bad(v, ETD_R_NAME, (int)i, p,
               "%s: '%s' is used by another container", p, cs[i].name);
  return 0;
}

static int check_one(vctx *v, const etd_container *c, size_t i) {
  char cp[64];
  snprintf(cp, sizeof cp, "containerDefinitions[%zu]", i);
  int rc = range_ms(v, (int)i, cp, "startTimeout", c->start_timeout_ms, 0,
                    ETD_TIMEOUT_MAX_MS, false);
  if (!rc)
    rc = range_ms(v, (int)i, cp, "stopTimeout", c->stop_timeout_ms, 0,
                  ETD_TIMEOUT_MAX_MS, false);
  if (!rc && c->health.command)
    rc = check_health(v, (int)i, cp, &c->health);
  return rc;
}

static int check_deps(vctx *v, const etd_container *cs, size_t n, size_t i) {
  const etd_container *c = &cs[i];
  int rc = 0;
  if (c->n_depends_on > MAX_DEPENDS_ON || (c->n_depends_on && !c->depends_on)) {
    char p[96];
    snprintf(p, sizeof p, "containerDefinitions[%zu].dependsOn", i);
    return bad(v, ETD_R_INVALID, (int)i, p, "%s: %zu entries (at most %d)", p,
               c->n_depends_on, MAX_DEPENDS_ON);
  }
  for (size_t k = 0; k < c->n_depends_on && (!rc || !stop(v)); k++) {
    const etd_dep *d = &c->depends_on[k];
    char p[96], q[128];
    snprintf(p, sizeof p, "containerDefinitions[%zu].dependsOn[%zu]", i, k);
    if (!d->container) {
      rc = bad(v, ETD_R_INVALID, (int)i, p,
               "%s (container '%s'): containerName and condition are "
               "required strings",
               p, c->name);
      continue;
    }
    if ((unsigned)d->condition > ETD_DEP_HEALTHY) {
      snprintf(q, sizeof q, "%s.condition", p);
      rc = bad(v, ETD_R_BAD_CONDITION, (int)i, q,
               "%s: %d is not START, COMPLETE, SUCCESS or HEALTHY", q,
               (int)d->condition);
      continue;
    }
    int t = find(cs, n, d->container);
    if (t < 0) {
      snprintf(q, sizeof q, "%s.containerName", p);
      rc = bad(v, ETD_R_UNKNOWN_DEP, (int)i, q,
               "%s: no container named '%.100s' in this task definition", q,
               d->container);
      continue;
    }
    const etd_container *target = &cs[t];
    if ((size_t)t == i)
      rc = bad(v, ETD_R_INVALID, (int)i, p,
               "%s: container '%s' cannot depend on itself", p, c->name);
    else if (d->condition == ETD_DEP_HEALTHY && !target->health.command)
      rc = bad(v, ETD_R_HEALTHY_NO_CHECK, (int)i, p,
               "%s: condition HEALTHY requires container '%s' to have a "
               "healthCheck",
               p, target->name);
    else if ((d->condition == ETD_DEP_COMPLETE ||
              d->condition == ETD_DEP_SUCCESS) &&
             target->essential)
      rc = bad(v, ETD_R_EXIT_ON_ESSENTIAL, (int)i, p,
               "%s: a dependency container with SUCCESS or COMPLETE "
               "condition cannot be an essential container ('%s')",
               p, target->name);
  }
  return rc;
}

/* Depth-first search for a cycle; the first one found is named in order,
 * at the container where it was entered (the agent cannot order it). */
static int find_cycle(vctx *v, const etd_container *cs, size_t n, size_t i,
                      unsigned char *mark, size_t *stack, size_t depth) {
  mark[i] = 1; /* on the current path */
  stack[depth] = i;
  for (size_t k = 0; k < cs[i].n_depends_on; k++) {
    int t = find(cs, n, cs[i].depends_on[k].container);
    if (t < 0 || (size_t)t == i)
      continue; /* reported as such */
    if (mark[t] == 1) {
      char names[ECSB_ERR_MSG_MAX] = "", p[96];
      size_t from = 0, off = 0;
      while (stack[from] != (size_t)t)
        from++;
      for (size_t j = from; j <= depth && off < sizeof names; j++)
        off += (size_t)snprintf(names + off, sizeof names - off, "%s -> ",
                                cs[stack[j]].name);
      if (off < sizeof names)
        snprintf(names + off, sizeof names - off, "%s", cs[t].name);
      snprintf(p, sizeof p, "containerDefinitions[%d].dependsOn", t);
      return bad(v, ETD_R_CYCLE, t, p, "%s (container '%s'): cycle %s", p,
                 cs[t].name, names);
    }
    if (mark[t] == 0 && find_cycle(v, cs, n, (size_t)t, mark, stack, depth + 1))
      return -1;
  }
  mark[i] = 2; /* done, no cycle through it */
  return 0;
}

static int count_problem(vctx *v, size_t n) {
  return bad(v, ETD_R_NO_CONTAINERS, -1, "containerDefinitions",
             "containerDefinitions: required, 1-%d containers (got %zu)",
             ETD_MAX_CONTAINERS, n);
}

static int check_containers(vctx *v, const etd_container *cs, size_t n) {
  if (!cs || n == 0 || n > ETD_MAX_CONTAINERS)
    return count_problem(v, cs ? n : 0);
  size_t before = v->n;
  for (size_t i = 0; i < n; i++)
    if (check_name(v, cs, n, i) && stop(v))
      return -1;
  if (v->n > before) /* the graph cannot be read without its names */
    return -1;
  bool any_essential = false;
  for (size_t i = 0; i < n; i++) {
    if (check_one(v, &cs[i], i) && stop(v))
      return -1;
    any_essential |= cs[i].essential;
  }
  for (size_t i = 0; i < n; i++)
    if (check_deps(v, cs, n, i) && stop(v))
      return -1;
  if (!any_essential &&
      bad(v, ETD_R_INVALID, -1, "containerDefinitions",
          "containerDefinitions: a task needs at least one essential "
          "container") &&
      stop(v))
    return -1;
  unsigned char mark[ETD_MAX_CONTAINERS] = {0};
  size_t stack[ETD_MAX_CONTAINERS];
  for (size_t i = 0; i < n; i++)
    if (mark[i] == 0 && find_cycle(v, cs, n, i, mark, stack, 0))
      return -1;
  return v->n > before ? -1 : 0;
}

static int finish(vctx *v, int rc, ecsb_err *err) {
  if (!rc && v->n == 0)
    return 0;
  if (rc == ECSB_ENOMEM)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  return ecsb_err_set(err, ECSB_EINVAL, "%s", v->first.message);
}

int etd_containers_check(const etd_container *c, size_t n, etd_problems *ps,
                         ecsb_err *err) {
  vctx v = {.ps = ps, .all = ps && ps->all, .zero_is_default = true};
  check_containers(&v, c, n);
  return finish(&v, 0, err);
}

/* ---- the JSON pass ----------------------------------------------------- */

static const cJSON *get(const cJSON *o, const char *k) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsNull(j) ? NULL : j;
}

/* Type-checked member: -1 (problem reported) when present with another
 * type; *out NULL when absent. */
static int typed(vctx *v, int ctr, const cJSON *o, const char *path,
                 const char *k, int type, const cJSON **out) {
  const cJSON *j = get(o, k);
  *out = NULL;
  if (!j)
    return 0;
  bool ok = (type == cJSON_String && cJSON_IsString(j)) ||
            (type == cJSON_Number && cJSON_IsNumber(j) &&
             j->valuedouble == (double)(int64_t)j->valuedouble) ||
            (type == cJSON_True && cJSON_IsBool(j)) ||
            (type == cJSON_Array && cJSON_IsArray(j)) ||
            (type == cJSON_Object && cJSON_IsObject(j));
  if (!ok) {
    char p[256];
    snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", k);
    return bad(v, ETD_R_TYPE, ctr, p, "%s: expected %s", p,
               type == cJSON_String   ? "a string"
               : type == cJSON_Number ? "an integer"
               : type == cJSON_True   ? "true or false"
               : type == cJSON_Array  ? "a list"
                                      : "an object");
  }
  *out = j;
  return 0;
}

static int int_range(vctx *v, int ctr, const cJSON *o, const char *path,
                     const char *k, int64_t lo, int64_t hi, int64_t *out) {
  const cJSON *j;
  if (typed(v, ctr, o, path, k, cJSON_Number, &j))
    return -1;
  if (!j)
    return 0;
  int64_t x = (int64_t)j->valuedouble;
  if (x < lo || x > hi) {
    char p[256];
    snprintf(p, sizeof p, "%s.%s", path, k);
    return bad(v, ETD_R_INVALID, ctr, p, "%s: %lld is outside %lld-%lld", p,
               (long long)x, (long long)lo, (long long)hi);
  }
  if (out)
    *out = x;
  return 0;
}

/* An optional whole number of seconds, in ms (saturated far outside every
 * range, so the container pass reports it). */
static int seconds(vctx *v, int ctr, const cJSON *o, const char *path,
                   const char *k, int64_t def_ms, int64_t *out_ms) {
  const cJSON *j;
  *out_ms = def_ms;
  if (typed(v, ctr, o, path, k, cJSON_Number, &j))
    return -1;
  if (j) {
    double s = j->valuedouble;
    *out_ms = s > 1e12    ? INT64_C(1000000000000000)
              : s < -1e12 ? -INT64_C(1000000000000000)
                          : (int64_t)s * 1000;
  }
  return 0;
}

static int str_list(vctx *v, int ctr, const cJSON *o, const char *path,
                    const char *k, const cJSON **out) {
  if (typed(v, ctr, o, path, k, cJSON_Array, out))
    return -1;
  int i = 0;
  for (const cJSON *x = *out ? (*out)->child : NULL; x; x = x->next, i++)
    if (!cJSON_IsString(x)) {
      char p[256];
      snprintf(p, sizeof p, "%s.%s[%d]", path, k, i);
      return bad(v, ETD_R_TYPE, ctr, p, "%s: expected a string", p);
    }
  return 0;
}

static int default_item(cJSON *o, const char *k, cJSON *item) {
  if (!item)
    return ECSB_ENOMEM;
  if (!get(o, k)) {
    cJSON_DeleteItemFromObjectCaseSensitive(o, k);
    cJSON_AddItemToObject(o, k, item);
  } else {
    cJSON_Delete(item);
  }
  return 0;
}

static int default_num(cJSON *o, const char *k, double x) {
  return default_item(o, k, cJSON_CreateNumber(x));
}

static int read_health(vctx *v, int i, cJSON *hc, const char *path,
                       etd_health *h) {
  const cJSON *cmd;
  if (str_list(v, i, hc, path, "command", &cmd))
    return -1;
  int64_t retries_ms = 0;
  if (seconds(v, i, hc, path, "interval", ETD_HC_INTERVAL_DEFAULT_MS,
              &h->interval_ms) ||
      seconds(v, i, hc, path, "timeout", ETD_HC_TIMEOUT_DEFAULT_MS,
              &h->timeout_ms) ||
      seconds(v, i, hc, path, "retries", ETD_HC_RETRIES_DEFAULT * 1000,
              &retries_ms) ||
      seconds(v, i, hc, path, "startPeriod", 0, &h->start_period_ms))
    return -1;
  h->retries = retries_ms / 1000 > 1000000    ? 1000000
               : retries_ms / 1000 < -1000000 ? -1000000
                                              : (int)(retries_ms / 1000);
  size_t n = cmd ? (size_t)cJSON_GetArraySize(cmd) : 0;
  const char **argv = calloc(n + 1, sizeof *argv);
  if (!argv)
    return ECSB_ENOMEM;
  size_t k = 0;
  for (const cJSON *x = cmd ? cmd->child : NULL; x; x = x->next)
    argv[k++] = x->valuestring;
  h->command = argv;
  h->n_command = n;
  if (default_num(hc, "interval", (double)(h->interval_ms / 1000)) ||
      default_num(hc, "timeout", (double)(h->timeout_ms / 1000)) ||
      default_num(hc, "retries", (double)h->retries))
    return ECSB_ENOMEM;
  return 0;
}

static int read_ports(vctx *v, int i, cJSON *cd, const char *path,
                      bool awsvpc) {
  const cJSON *pm;
  if (typed(v, i, cd, path, "portMappings", cJSON_Array, &pm))
    return -1;
  int k = 0;
  for (cJSON *p = pm ? pm->child : NULL; p; p = p->next, k++) {
    char pp[160];
    snprintf(pp, sizeof pp, "%s.portMappings[%d]", path, k);
    if (!cJSON_IsObject(p))
      return bad(v, ETD_R_TYPE, i, pp, "%s: expected an object", pp);
    int64_t cport = -1, hport = -1;
    const cJSON *proto;
    if (int_range(v, i, p, pp, "containerPort", 0, 65535, &cport) ||
        int_range(v, i, p, pp, "hostPort", 0, 65535, &hport) ||
        typed(v, i, p, pp, "protocol", cJSON_String, &proto))
      return -1;
    if (proto && strcmp(proto->valuestring, "tcp") &&
        strcmp(proto->valuestring, "udp")) {
      char q[192];
      snprintf(q, sizeof q, "%s.protocol", pp);
      return bad(v, ETD_R_INVALID, i, q, "%s: '%.20s' is not tcp or udp", q,
                 proto->valuestring);
    }
    if (awsvpc && cport >= 0 && hport >= 0 && hport != cport)
      return bad(v, ETD_R_INVALID, i, pp,
                 "%s: with networkMode awsvpc, hostPort must be left blank or "
                 "equal containerPort (%lld != %lld)",
                 pp, (long long)hport, (long long)cport);
    if (awsvpc && cport >= 0 && hport < 0 &&
        !cJSON_AddNumberToObject(p, "hostPort", (double)cport))
      return ECSB_ENOMEM;
    if (default_item(p, "protocol", cJSON_CreateString("tcp")))
      return ECSB_ENOMEM;
  }
  return 0;
}

static bool name_in(const cJSON *arr, const char *key, const char *name) {
  for (const cJSON *x = arr ? arr->child : NULL; x; x = x->next) {
    const cJSON *n = get(x, key);
    if (cJSON_IsString(n) && !strcmp(n->valuestring, name))
      return true;
  }
  return false;
}

static int read_mounts(vctx *v, int i, const cJSON *cd, const char *path,
                       const cJSON *volumes) {
  const cJSON *j;
  if (typed(v, i, cd, path, "mountPoints", cJSON_Array, &j))
    return -1;
  int k = 0;
  for (const cJSON *m = j ? j->child : NULL; m; m = m->next, k++) {
    const cJSON *sv = get(m, "sourceVolume"), *cp = get(m, "containerPath");
    char p[192];
    snprintf(p, sizeof p, "%s.mountPoints[%d]", path, k);
    if (!cJSON_IsObject(m) || (sv && !cJSON_IsString(sv)) ||
        (cp && !cJSON_IsString(cp)))
      return bad(v, ETD_R_TYPE, i, p,
                 "%s: expected {\"sourceVolume\": string, "
                 "\"containerPath\": string}",
                 p);
    if (sv && !name_in(volumes, "name", sv->valuestring)) {
      char q[224];
      snprintf(q, sizeof q, "%s.sourceVolume", p);
      return bad(v, ETD_R_INVALID, i, q,
                 "%s: no volume named '%.100s' in volumes", q, sv->valuestring);
    }
  }
  return 0;
}

static int read_depends(vctx *v, int i, const cJSON *cd, const char *path,
                        const char *name, etd_container *c) {
  const cJSON *deps;
  if (typed(v, i, cd, path, "dependsOn", cJSON_Array, &deps))
    return -1;
  size_t n = deps ? (size_t)cJSON_GetArraySize(deps) : 0;
  if (!n)
    return 0;
  etd_dep *d = calloc(n, sizeof *d);
  if (!d)
    return ECSB_ENOMEM;
  c->depends_on = d;
  int k = 0;
  for (const cJSON *x = deps->child; x; x = x->next, k++) {
    char p[160];
    snprintf(p, sizeof p, "%s.dependsOn[%d]", path, k);
    const cJSON *cn = get(x, "containerName"), *co = get(x, "condition");
    if (!cJSON_IsObject(x) || !cJSON_IsString(cn) || !cJSON_IsString(co))
      return bad(v, ETD_R_INVALID, i, p,
                 "%s (container '%s'): containerName and condition are "
                 "required strings",
                 p, name);
    if (etd_condition_parse(co->valuestring, &d[k].condition)) {
      char q[192];
      snprintf(q, sizeof q, "%s.condition", p);
      return bad(v, ETD_R_BAD_CONDITION, i, q,
                 "%s: '%.40s' is not START, COMPLETE, SUCCESS or HEALTHY", q,
                 co->valuestring);
    }
    d[k].container = cn->valuestring;
    c->n_depends_on = (size_t)k + 1;
  }
  return 0;
}

static int read_container(vctx *v, cJSON *cd, int i, const cJSON *volumes,
                          bool awsvpc, etd_container *out) {
  char path[64];
  snprintf(path, sizeof path, "containerDefinitions[%d]", i);
  if (!cJSON_IsObject(cd))
    return bad(v, ETD_R_TYPE, i, path, "%s: expected an object", path);
  out->def = cd;
  const cJSON *name, *image, *ess, *j, *hc;
  if (typed(v, i, cd, path, "name", cJSON_String, &name) ||
      typed(v, i, cd, path, "image", cJSON_String, &image) ||
      typed(v, i, cd, path, "essential", cJSON_True, &ess))
    return -1;
  out->name = name ? name->valuestring : NULL;
  /* A bad name is the container pass's, which names it first. */
  if (!etd_valid_name(out->name))
    return 0;
  if (!image || !*image->valuestring) {
    char p[96];
    snprintf(p, sizeof p, "%s.image", path);
    return bad(v, ETD_R_INVALID, i, p,
               "%s (container '%s'): should not be null or empty", p,
               out->name);
  }
  out->image = image->valuestring;
  out->essential = !ess || cJSON_IsTrue(ess);
  if (int_range(v, i, cd, path, "cpu", 0, 10240 * 16, &out->cpu) ||
      int_range(v, i, cd, path, "memory", 4, 1 << 24, &out->memory) ||
      int_range(v, i, cd, path, "memoryReservation", 4, 1 << 24, NULL) ||
      seconds(v, i, cd, path, "startTimeout", 0, &out->start_timeout_ms) ||
      seconds(v, i, cd, path, "stopTimeout", 0, &out->stop_timeout_ms) ||
      str_list(v, i, cd, path, "command", &j) ||
      str_list(v, i, cd, path, "entryPoint", &j) ||
      typed(v, i, cd, path, "environment", cJSON_Array, &j))
    return -1;
  int k = 0;
  for (const cJSON *e = j ? j->child : NULL; e; e = e->next, k++) {
    const cJSON *en = get(e, "name"), *ev = get(e, "value");
    if (!cJSON_IsObject(e) || !cJSON_IsString(en) ||
        (ev && !cJSON_IsString(ev))) {
      char p[96];
      snprintf(p, sizeof p, "%s.environment[%d]", path, k);
      return bad(v, ETD_R_TYPE, i, p,
                 "%s: expected {\"name\": string, \"value\": string}", p);
    }
  }
  int rc;
  if ((rc = read_ports(v, i, cd, path, awsvpc)) ||
      (rc = read_mounts(v, i, cd, path, volumes)) ||
      (rc = typed(v, i, cd, path, "healthCheck", cJSON_Object, &hc)))
    return rc;
  if (hc) {
    char hp[96];
    snprintf(hp, sizeof hp, "%s.healthCheck", path);
    if ((rc = read_health(v, i, (cJSON *)hc, hp, &out->health)))
      return rc;
  }
  if ((rc = read_depends(v, i, cd, path, out->name, out)))
    return rc;
  if (default_item(cd, "essential", cJSON_CreateTrue()) ||
      default_num(cd, "cpu", 0) ||
      default_item(cd, "portMappings", cJSON_CreateArray()) ||
      default_item(cd, "environment", cJSON_CreateArray()) ||
      default_item(cd, "mountPoints", cJSON_CreateArray()) ||
      default_item(cd, "volumesFrom", cJSON_CreateArray()))
    return ECSB_ENOMEM;
  return 0;
}

static int read_task(vctx *v, etd_taskdef *t) {
  static const char *const MODES[] = {"bridge", "host", "awsvpc", "none"};
  cJSON *j = t->json;
  const cJSON *fam, *mode, *defs, *vols, *compat, *cpu, *mem, *x;
  if (typed(v, -1, j, "", "family", cJSON_String, &fam) ||
      typed(v, -1, j, "", "networkMode", cJSON_String, &mode) ||
      typed(v, -1, j, "", "containerDefinitions", cJSON_Array, &defs) ||
      typed(v, -1, j, "", "volumes", cJSON_Array, &vols) ||
      str_list(v, -1, j, "", "requiresCompatibilities", &compat) ||
      typed(v, -1, j, "", "cpu", cJSON_String, &cpu) ||
      typed(v, -1, j, "", "memory", cJSON_String, &mem) ||
      typed(v, -1, j, "", "taskRoleArn", cJSON_String, &x) ||
      typed(v, -1, j, "", "executionRoleArn", cJSON_String, &x) ||
      typed(v, -1, j, "", "tags", cJSON_Array, &x))
    return -1;
  if (!fam || !etd_valid_name(fam->valuestring))
    return bad(v, ETD_R_INVALID, -1, "family",
               "family: required; up to 255 letters (uppercase and "
               "lowercase), numbers, hyphens, and underscores");
  t->family = fam->valuestring;
  if (mode) {
    int ok = 0;
    for (int i = 0; i < 4; i++)
      ok |= !strcmp(mode->valuestring, MODES[i]);
    if (!ok)
      return bad(v, ETD_R_INVALID, -1, "networkMode",
                 "networkMode: '%.40s' is not bridge, host, awsvpc or none",
                 mode->valuestring);
    t->awsvpc = !strcmp(mode->valuestring, "awsvpc");
  }
  bool fargate = false;
  for (const cJSON *c = compat ? compat->child : NULL; c; c = c->next) {
    if (strcmp(c->valuestring, "EC2") && strcmp(c->valuestring, "FARGATE") &&
        strcmp(c->valuestring, "EXTERNAL"))
      return bad(v, ETD_R_INVALID, -1, "requiresCompatibilities",
                 "requiresCompatibilities: '%.40s' is not EC2, FARGATE or "
                 "EXTERNAL",
                 c->valuestring);
    fargate |= !strcmp(c->valuestring, "FARGATE");
  }
  if (fargate && !t->awsvpc)
    return bad(v, ETD_R_INVALID, -1, "networkMode",
               "Fargate only supports network mode 'awsvpc'.");
  if (fargate && (!cpu || !mem))
    return bad(v, ETD_R_INVALID, -1, cpu ? "memory" : "cpu",
               "Fargate requires that 'cpu' and 'memory' be defined at the "
               "task level.");
  int i = 0;
  for (const cJSON *vol = vols ? vols->child : NULL; vol;
       vol = vol->next, i++) {
    const cJSON *vn = get(vol, "name");
    char p[64];
    snprintf(p, sizeof p, "volumes[%d].name", i);
    if (!cJSON_IsObject(vol) || !cJSON_IsString(vn) ||
        !etd_valid_name(vn->valuestring))
      return bad(v, ETD_R_INVALID, -1, p,
                 "%s: required; letters, numbers, hyphens and underscores", p);
    for (const cJSON *w = vols->child; w != vol; w = w->next)
      if (!strcmp(get(w, "name")->valuestring, vn->valuestring))
        return bad(v, ETD_R_INVALID, -1, p, "%s: '%s' is used twice", p,
                   vn->valuestring);
  }
  size_t n = defs ? (size_t)cJSON_GetArraySize(defs) : 0;
  if (n < 1 || n > ETD_MAX_CONTAINERS)
    return count_problem(v, n);
  if (!(t->containers = calloc(n, sizeof *t->containers)))
    return ECSB_ENOMEM;
  t->n_containers = n;
  i = 0;
  for (cJSON *cd = defs->child; cd; cd = cd->next, i++) {
    int rc = read_container(v, cd, i, vols, t->awsvpc, &t->containers[i]);
    if (rc)
      return rc;
    t->any_health_check |= get(cd, "healthCheck") != NULL;
    t->any_depends_on |= get(cd, "dependsOn") != NULL;
  }
  return check_containers(v, t->containers, n);
}

/* ---- shapes ------------------------------------------------------------ */

/* Terraform declares a task's volumes on the resource, beside its
 * container array: the array's task gets one volume per distinct
 * sourceVolume its containers mount, so it registers and runs as it would
 * in AWS. */
static int add_volumes(cJSON *j, const cJSON *defs) {
  cJSON *vols = cJSON_AddArrayToObject(j, "volumes");
  if (!vols)
    return ECSB_ENOMEM;
  const cJSON *cd, *m;
  cJSON_ArrayForEach(cd, defs) {
    cJSON_ArrayForEach(m, get(cd, "mountPoints")) {
      const cJSON *sv = get(m, "sourceVolume");
      if (!cJSON_IsString(sv) || name_in(vols, "name", sv->valuestring))
        continue;
      cJSON *o = cJSON_CreateObject();
      if (!o || !cJSON_AddStringToObject(o, "name", sv->valuestring)) {
        cJSON_Delete(o);
        return ECSB_ENOMEM;
      }
      cJSON_AddItemToArray(vols, o);
    }
  }
  return 0;
}

static int unwrap(vctx *v, const cJSON *in, const etd_opts *o, etd_taskdef *t) {
  const cJSON *inner = cJSON_GetObjectItemCaseSensitive(in, "taskDefinition");
  if (cJSON_IsArray(in) && !o->register_only) {
    t->shape = ETD_SHAPE_CONTAINERS;
    cJSON *defs = cJSON_Duplicate(in, 1);
    t->json = cJSON_CreateObject();
    if (!t->json || !defs ||
        !cJSON_AddStringToObject(t->json, "family",
                                 o->family ? o->family : "task")) {
      cJSON_Delete(defs);
      return ECSB_ENOMEM;
    }
    cJSON_AddItemToObject(t->json, "containerDefinitions", defs);
    return add_volumes(t->json, defs);
  }
  if (!cJSON_IsObject(in))
    return bad(v, ETD_R_TYPE, -1, "",
               "expected a task definition (an object)%s",
               o->register_only ? "" : " or a container definitions array");
  t->shape = ETD_SHAPE_REGISTER;
  if (cJSON_IsObject(inner) && !o->register_only) {
    t->shape = ETD_SHAPE_DESCRIBE;
    in = inner;
  }
  t->json = cJSON_Duplicate(in, 1);
  return t->json ? 0 : ECSB_ENOMEM;
}

int etd_unwrap(const cJSON *in, const etd_opts *opts, cJSON **out,
               etd_shape *shape, ecsb_err *err) {
  static const etd_opts none = {0};
  vctx v = {0};
  etd_taskdef t = {0};
  *out = NULL;
  int rc = finish(&v, unwrap(&v, in, opts ? opts : &none, &t), err);
  if (rc) {
    cJSON_Delete(t.json);
    return rc;
  }
  *out = t.json;
  *shape = t.shape;
  return 0;
}

void etd_taskdef_free(etd_taskdef *t) {
  if (!t)
    return;
  for (size_t i = 0; t->containers && i < t->n_containers; i++) {
    free((void *)t->containers[i].depends_on);
    free((void *)t->containers[i].health.command);
  }
  free(t->containers);
  cJSON_Delete(t->json);
  free(t);
}

cJSON *etd_taskdef_take_json(etd_taskdef *t) {
  cJSON *j = t->json;
  t->json = NULL;
  return j;
}

int etd_parse(const cJSON *in, const etd_opts *opts, etd_taskdef **out,
              etd_problems *ps, ecsb_err *err) {
  static const etd_opts none = {0};
  vctx v = {.ps = ps, .all = ps && ps->all};
  *out = NULL;
  etd_taskdef *t = calloc(1, sizeof *t);
  if (!t)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  int rc = unwrap(&v, in, opts ? opts : &none, t);
  if (!rc)
    rc = read_task(&v, t);
  rc = finish(&v, rc, err);
  if (rc) {
    etd_taskdef_free(t);
    return rc;
  }
  *out = t;
  return 0;
}

void etd_path_in_file(etd_shape shape, const char *path, char *out,
                      size_t cap) {
  static const char defs[] = "containerDefinitions";
  if (shape == ETD_SHAPE_CONTAINERS)
    snprintf(out, cap, "$%s",
             !strncmp(path, defs, sizeof defs - 1) ? path + sizeof defs - 1
                                                   : "");
  else
    snprintf(out, cap, "$%s%s%s",
             shape == ETD_SHAPE_DESCRIBE ? ".taskDefinition" : "",
             *path ? "." : "", path);
}
