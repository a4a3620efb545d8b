/*
 * rules.c - ECS's rules on containers (see etd/taskdef.h): names, timeouts,
 * health checks, dependsOn and its graph, and how a problem is recorded.
 *
 * The container pass of etd_parse (taskdef.c reads the JSON into
 * etd_container records first) and etd_containers_check, which the agent
 * simulator runs on specs built in code. Problems are worded as
 * RegisterTaskDefinition words them; fake-ecs answers them verbatim, so
 * their text must not change without a reason. Goes on after a problem
 * only when the caller asks for every problem (lint).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etd_internal.h"

/* Far above what ECS allows; keeps the O(n^2) checks bounded. */
#define MAX_DEPENDS_ON 256
#define MAX_COMMAND 256
#define MAX_PROBLEMS 256

static const char *const CLIENT = "ClientException";
static const char *const SERIAL = "SerializationException";

int etd_bad(etd_vctx *v, etd_rule rule, int ctr, const char *path,
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
static bool stop(const etd_vctx *v) {
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

static const char *const COND[] = {"START", "COMPLETE", "SUCCESS", "HEALTHY",
                                   "CREATE"};

const char *etd_condition_name(etd_condition c) {
  return (unsigned)c <= ETD_DEP_CREATE ? COND[c] : "?";
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

static int range_ms(etd_vctx *v, int ctr, const char *path, const char *key,
                    int64_t ms, int64_t lo, int64_t hi, bool has_default) {
  if ((ms == 0 && has_default && v->zero_is_default) || (ms >= lo && ms <= hi))
    return 0;
  char p[256], b[3][40];
  snprintf(p, sizeof p, "%s.%s", path, key);
  bool fargate = v->fargate && !strcmp(key, "stopTimeout");
  return etd_bad(v,
                 !strcmp(key, "startTimeout") || !strcmp(key, "stopTimeout")
                     ? ETD_R_TIMEOUT_RANGE
                 : !strcmp(key, "restartAttemptPeriod") ? ETD_R_INVALID
                                                        : ETD_R_HEALTH_RANGE,
                 ctr, p, "%s: %s is outside %s-%s%s", p, secs(ms, b[0], 40),
                 secs(lo, b[1], 40), secs(hi, b[2], 40),
                 fargate ? " on Fargate" : "");
}

static int check_health(etd_vctx *v, int i, const char *cp,
                        const etd_health *h) {
  char p[224];
  snprintf(p, sizeof p, "%s.healthCheck", cp);
  if (h->n_command < 1)
    return etd_bad(v, ETD_R_HEALTH_COMMAND, i, p,
                   "%s.command: required, a non-empty list", p);
  for (size_t k = 0; k < h->n_command; k++)
    if (!h->command[k])
      return etd_bad(v, ETD_R_HEALTH_COMMAND, i, p, "%s.command[%zu]: missing",
                     p, k);
  if (strcmp(h->command[0], "CMD") && strcmp(h->command[0], "CMD-SHELL"))
    return etd_bad(v, ETD_R_HEALTH_COMMAND, i, p,
                   "%s.command[0]: must be \"CMD\" or \"CMD-SHELL\", not "
                   "\"%.40s\" (the ECS agent refuses any other)",
                   p, h->command[0]);
  if (h->n_command < 2 || h->n_command > MAX_COMMAND)
    return etd_bad(v, ETD_R_HEALTH_COMMAND, i, p,
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
static int check_name(etd_vctx *v, const etd_container *cs, size_t n,
                      size_t i) {
  char p[96];
  snprintf(p, sizeof p, "containerDefinitions[%zu].name", i);
  if (!etd_valid_name(cs[i].name))
    return etd_bad(v, ETD_R_NAME, (int)i, p,
                   "%s: required; up to 255 letters (uppercase and lowercase), "
                   "numbers, hyphens, and underscores",
                   p);
  int other = find(cs, n, cs[i].name);
  if (other >= 0 && (size_t)other != i)
    return etd_bad(v, ETD_R_NAME, (int)i, p,
                   "%s: '%s' is used by another container", p, cs[i].name);
  return 0;
}

static int check_one(etd_vctx *v, const etd_container *c, size_t i) {
  char cp[64];
  snprintf(cp, sizeof cp, "containerDefinitions[%zu]", i);
  int rc = range_ms(v, (int)i, cp, "startTimeout", c->start_timeout_ms, 0,
                    ETD_TIMEOUT_MAX_MS, false);
  if (!rc)
    rc = range_ms(v, (int)i, cp, "stopTimeout", c->stop_timeout_ms, 0,
                  v->fargate ? ETD_FARGATE_STOP_TIMEOUT_MAX_MS
                             : ETD_TIMEOUT_MAX_MS,
                  false);
  if (!rc && c->health.command)
    rc = check_health(v, (int)i, cp, &c->health);
  if (!rc && c->restart.n_ignored > ETD_RESTART_IGNORED_MAX) {
    char p[128];
    snprintf(p, sizeof p, "%s.restartPolicy.ignoredExitCodes", cp);
    rc = etd_bad(v, ETD_R_INVALID, (int)i, p, "%s: %zu exit codes (at most %d)",
                 p, c->restart.n_ignored, ETD_RESTART_IGNORED_MAX);
  }
  if (!rc && (c->restart.given || c->restart.enabled)) {
    char p[128];
    snprintf(p, sizeof p, "%s.restartPolicy", cp);
    rc = range_ms(v, (int)i, p, "restartAttemptPeriod",
                  c->restart.attempt_period_ms, ETD_RESTART_PERIOD_MIN_MS,
                  ETD_RESTART_PERIOD_MAX_MS, true);
  }
  return rc;
}

static int check_deps(etd_vctx *v, const etd_container *cs, size_t n,
                      size_t i) {
  const etd_container *c = &cs[i];
  int rc = 0;
  if (c->n_depends_on > MAX_DEPENDS_ON || (c->n_depends_on && !c->depends_on)) {
    char p[96];
    snprintf(p, sizeof p, "containerDefinitions[%zu].dependsOn", i);
    return etd_bad(v, ETD_R_INVALID, (int)i, p, "%s: %zu entries (at most %d)",
                   p, c->n_depends_on, MAX_DEPENDS_ON);
  }
  for (size_t k = 0; k < c->n_depends_on && (!rc || !stop(v)); k++) {
    const etd_dep *d = &c->depends_on[k];
    char p[96], q[128];
    snprintf(p, sizeof p, "containerDefinitions[%zu].dependsOn[%zu]", i, k);
    if (!d->container) {
      rc = etd_bad(v, ETD_R_INVALID, (int)i, p,
                   "%s (container '%s'): containerName and condition are "
                   "required strings",
                   p, c->name);
      continue;
    }
    if ((unsigned)d->condition > ETD_DEP_HEALTHY) { /* CREATE too */
      snprintf(q, sizeof q, "%s.condition", p);
      rc = etd_bad(v, ETD_R_BAD_CONDITION, (int)i, q,
                   "%s: %d is not START, COMPLETE, SUCCESS or HEALTHY", q,
                   (int)d->condition);
      continue;
    }
    int t = find(cs, n, d->container);
    if (t < 0) {
      snprintf(q, sizeof q, "%s.containerName", p);
      rc = etd_bad(v, ETD_R_UNKNOWN_DEP, (int)i, q,
                   "%s: no container named '%.100s' in this task definition", q,
                   d->container);
      continue;
    }
    const etd_container *target = &cs[t];
    if ((size_t)t == i)
      rc = etd_bad(v, ETD_R_INVALID, (int)i, p,
                   "%s: container '%s' cannot depend on itself", p, c->name);
    /* HEALTHY on a container without a healthCheck is accepted here, as
     * RegisterTaskDefinition does; the agent then stops the task
     * (etd_agent_check). */
    else if ((d->condition == ETD_DEP_COMPLETE ||
              d->condition == ETD_DEP_SUCCESS) &&
             target->essential)
      rc = etd_bad(v, ETD_R_EXIT_ON_ESSENTIAL, (int)i, p,
                   "%s: a dependency container with SUCCESS or COMPLETE "
                   "condition cannot be an essential container ('%s')",
                   p, target->name);
  }
  return rc;
}

/* The container a link names: "name" or "name:alias" (the agent's
 * dockerLinks); -1 when the link has another form. */
static int link_name(const char *link, char *out, size_t cap) {
  const char *colon = strchr(link, ':');
  if (colon && strchr(colon + 1, ':'))
    return -1;
  size_t n = colon ? (size_t)(colon - link) : strlen(link);
  snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), link);
  return 0;
}

/* links and volumesFrom name containers of this task (RegisterTaskDefinition
 * answers "Invalid 'volumesFrom' setting. Unknown container: 'x'."), and
 * awsvpc tasks have no links ("Links are not supported when
 * networkMode=awsvpc."). */
static int check_refs(etd_vctx *v, const etd_container *cs, size_t n,
                      size_t i) {
  const etd_container *c = &cs[i];
  int rc = 0;
  char p[128], name[256];
  if (c->n_links && v->awsvpc) {
    snprintf(p, sizeof p, "containerDefinitions[%zu].links", i);
    return etd_bad(v, ETD_R_INVALID, (int)i, p,
                   "%s: Links are not supported when networkMode=awsvpc.", p);
  }
  for (size_t k = 0; k < c->n_links && (!rc || !stop(v)); k++) {
    snprintf(p, sizeof p, "containerDefinitions[%zu].links[%zu]", i, k);
    if (!c->links[k] || link_name(c->links[k], name, sizeof name))
      rc = etd_bad(v, ETD_R_INVALID, (int)i, p,
                   "%s: '%.100s' is not a container name or name:alias", p,
                   c->links[k] ? c->links[k] : "");
    else if (find(cs, n, name) < 0)
      rc = etd_bad(v, ETD_R_UNKNOWN_DEP, (int)i, p,
                   "%s: Invalid 'links' setting. Unknown container: "
                   "'%.100s'.",
                   p, name);
  }
  for (size_t k = 0; k < c->n_volumes_from && (!rc || !stop(v)); k++) {
    snprintf(p, sizeof p,
             "containerDefinitions[%zu].volumesFrom[%zu].sourceContainer", i,
             k);
    if (find(cs, n, c->volumes_from[k]) < 0)
      rc = etd_bad(v, ETD_R_UNKNOWN_DEP, (int)i, p,
                   "%s: Invalid 'volumesFrom' setting. Unknown container: "
                   "'%.100s'.",
                   p, c->volumes_from[k] ? c->volumes_from[k] : "");
  }
  return rc;
}

/* "a -> b -> a": the cycle on the search path stack[0..depth] that closes
 * at container t. */
static void cycle_names(const etd_container *cs, const size_t *stack,
                        size_t depth, size_t t, char *names, size_t cap) {
  size_t from = 0, off = 0;
  names[0] = '\0';
  while (stack[from] != t)
    from++;
  for (size_t j = from; j <= depth && off < cap; j++)
    off +=
        (size_t)snprintf(names + off, cap - off, "%s -> ", cs[stack[j]].name);
  if (off < cap)
    snprintf(names + off, cap - off, "%s", cs[t].name);
}

/* Links must not form a cycle, a container linking itself included
 * ("Container links should not have a cycle", RegisterTaskDefinition). */
static int link_cycle(etd_vctx *v, const etd_container *cs, size_t n, size_t i,
                      unsigned char *mark, size_t *stack, size_t depth) {
  mark[i] = 1;
  stack[depth] = i;
  for (size_t k = 0; k < cs[i].n_links; k++) {
    char name[256];
    int t =
        link_name(cs[i].links[k], name, sizeof name) ? -1 : find(cs, n, name);
    if (t < 0)
      continue;
    if (mark[t] == 1) {
      char names[ECSB_ERR_MSG_MAX], p[96];
      cycle_names(cs, stack, depth, (size_t)t, names, sizeof names);
      snprintf(p, sizeof p, "containerDefinitions[%d].links", t);
      return etd_bad(v, ETD_R_CYCLE, t, p,
                     "%s (container '%s'): Container links should not have a "
                     "cycle (%s)",
                     p, cs[t].name, names);
    }
    if (mark[t] == 0 && link_cycle(v, cs, n, (size_t)t, mark, stack, depth + 1))
      return -1;
  }
  mark[i] = 2;
  return 0;
}

/* Depth-first search for a cycle; the first one found is named in order,
 * at the container where it was entered (the agent cannot order it). */
static int find_cycle(etd_vctx *v, const etd_container *cs, size_t n, size_t i,
                      unsigned char *mark, size_t *stack, size_t depth) {
  mark[i] = 1; /* on the current path */
  stack[depth] = i;
  for (size_t k = 0; k < cs[i].n_depends_on; k++) {
    int t = find(cs, n, cs[i].depends_on[k].container);
    if (t < 0 || (size_t)t == i)
      continue; /* reported as such */
    if (mark[t] == 1) {
      char names[ECSB_ERR_MSG_MAX], p[96];
      cycle_names(cs, stack, depth, (size_t)t, names, sizeof names);
      snprintf(p, sizeof p, "containerDefinitions[%d].dependsOn", t);
      return etd_bad(v, ETD_R_CYCLE, t, p, "%s (container '%s'): cycle %s", p,
                     cs[t].name, names);
    }
    if (mark[t] == 0 && find_cycle(v, cs, n, (size_t)t, mark, stack, depth + 1))
      return -1;
  }
  mark[i] = 2; /* done, no cycle through it */
  return 0;
}

int etd_count_problem(etd_vctx *v, size_t n) {
  return etd_bad(v, ETD_R_NO_CONTAINERS, -1, "containerDefinitions",
                 "containerDefinitions: required, 1-%d containers (got %zu)",
                 ETD_MAX_CONTAINERS, n);
}

int etd_check_containers(etd_vctx *v, const etd_container *cs, size_t n) {
  if (!cs || n == 0 || n > ETD_MAX_CONTAINERS)
    return etd_count_problem(v, cs ? n : 0);
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
    if ((check_deps(v, cs, n, i) | check_refs(v, cs, n, i)) && stop(v))
      return -1;
  if (!any_essential &&
      etd_bad(v, ETD_R_INVALID, -1, "containerDefinitions",
              "containerDefinitions: a task needs at least one essential "
              "container") &&
      stop(v))
    return -1;
  unsigned char mark[ETD_MAX_CONTAINERS] = {0};
  size_t stack[ETD_MAX_CONTAINERS];
  for (size_t i = 0; i < n; i++)
    if (mark[i] == 0 && find_cycle(v, cs, n, i, mark, stack, 0))
      return -1;
  memset(mark, 0, sizeof mark);
  for (size_t i = 0; i < n; i++)
    if (mark[i] == 0 && link_cycle(v, cs, n, i, mark, stack, 0))
      return -1;
  return v->n > before ? -1 : 0;
}

int etd_check_each(etd_vctx *v, const etd_container *cs, size_t n,
                   const bool *read_whole) {
  for (size_t i = 0; i < n; i++)
    if (read_whole[i] && !check_name(v, cs, n, i))
      check_one(v, &cs[i], i);
  return -1;
}

int etd_finish(etd_vctx *v, int rc, ecsb_err *err) {
  if (!rc && v->n == 0)
    return 0;
  if (rc == ECSB_ENOMEM)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  return ecsb_err_set(err, ECSB_EINVAL, "%s", v->first.message);
}

int etd_containers_check(const etd_container *c, size_t n, etd_problems *ps,
                         ecsb_err *err) {
  etd_vctx v = {.ps = ps, .all = ps && ps->all, .zero_is_default = true};
  etd_check_containers(&v, c, n);
  return etd_finish(&v, 0, err);
}
