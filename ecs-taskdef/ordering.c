/*
 * ordering.c - what the ECS agent does with a task definition
 * RegisterTaskDefinition accepted (etd/taskdef.h): the container ordering
 * it builds from dependsOn, volumesFrom and links, and the check it runs
 * before it starts anything.
 *
 * Called by the agent simulator (fake-ecs/engine.c: the ordering it
 * resolves, and the check that stops a task before any container starts)
 * and by lint (the check, as an error). Registration never calls it: ECS
 * accepts these task definitions. Pure: no I/O, no global state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etd_internal.h"

static int find(const etd_container *c, size_t n, const char *name) {
  for (size_t i = 0; name && i < n; i++)
    if (c[i].name && !strcmp(c[i].name, name))
      return (int)i;
  return -1;
}

/* Follows agent/api/task/task.go initializeContainerOrdering: volumesFrom
 * sources are CREATE dependencies and links START dependencies, appended
 * to dependsOn. A link's name is the part before ':' (dockerLinks). */
int etd_ordering(const etd_container *c, etd_dep **out, size_t *n) {
  size_t total = c->n_depends_on + c->n_volumes_from + c->n_links;
  *out = calloc(total ? total : 1, sizeof **out);
  *n = 0;
  if (!*out)
    return ECSB_ENOMEM;
  for (size_t k = 0; k < c->n_depends_on; k++)
    (*out)[(*n)++] = c->depends_on[k];
  for (size_t k = 0; k < c->n_volumes_from; k++)
    (*out)[(*n)++] =
        (etd_dep){.container = c->volumes_from[k], .condition = ETD_DEP_CREATE};
  for (size_t k = 0; k < c->n_links; k++)
    (*out)[(*n)++] =
        (etd_dep){.container = c->links[k], .condition = ETD_DEP_START};
  return 0;
}

int etd_dep_target(const etd_container *cs, size_t n, const etd_dep *d) {
  const char *colon = strchr(d->container, ':');
  if (!colon)
    return find(cs, n, d->container);
  for (size_t i = 0; i < n; i++)
    if (cs[i].name && strlen(cs[i].name) == (size_t)(colon - d->container) &&
        !strncmp(cs[i].name, d->container, (size_t)(colon - d->container)))
      return (int)i;
  return -1;
}

/* Where dependency k of the ordering came from, for messages. */
static void dep_path(const etd_container *c, size_t i, size_t k, char *p,
                     size_t cap) {
  if (k < c->n_depends_on)
    snprintf(p, cap, "containerDefinitions[%zu].dependsOn[%zu]", i, k);
  else if ((k -= c->n_depends_on) < c->n_volumes_from)
    snprintf(p, cap, "containerDefinitions[%zu].volumesFrom[%zu]", i, k);
  else
    snprintf(p, cap, "containerDefinitions[%zu].links[%zu]", i,
             k - c->n_volumes_from);
}

static const char *via(const etd_container *c, size_t k) {
  return k < c->n_depends_on                       ? "dependsOn"
         : k < c->n_depends_on + c->n_volumes_from ? "volumesFrom"
                                                   : "links";
}

/* Follows agent/engine/dependencygraph/graph.go ValidDependencies with
 * containerOrderingDependenciesCanResolve: a container can be resolved
 * once every container it depends on is, and a HEALTHY dependency needs
 * a container whose health is reported (HealthStatusShouldBeReported: it
 * has a healthCheck). What no order resolves stops the task. */
int etd_agent_check(const etd_container *cs, size_t n, etd_problems *ps,
                    ecsb_err *err) {
  etd_vctx v = {.ps = ps, .all = false};
  if (!cs || n == 0 || n > ETD_MAX_CONTAINERS)
    return etd_finish(&v, etd_count_problem(&v, cs ? n : 0), err);
  etd_dep *ord[ETD_MAX_CONTAINERS] = {0};
  size_t nord[ETD_MAX_CONTAINERS] = {0};
  bool resolved[ETD_MAX_CONTAINERS] = {0};
  int rc = 0;
  for (size_t i = 0; i < n && !rc; i++)
    rc = etd_ordering(&cs[i], &ord[i], &nord[i]);
  for (bool progress = !rc; progress;) {
    progress = false;
    for (size_t i = 0; i < n; i++) {
      bool ok = !resolved[i];
      for (size_t k = 0; ok && k < nord[i]; k++) {
        int t = etd_dep_target(cs, n, &ord[i][k]);
        ok = t >= 0 && resolved[t] &&
             (ord[i][k].condition != ETD_DEP_HEALTHY || cs[t].health.command);
      }
      if (ok)
        progress = resolved[i] = true;
    }
  }
  /* The first unresolved container says why: a HEALTHY dependency the
   * agent can never see met, else the cycle it is on or waits behind. */
  for (size_t i = 0; i < n && !rc && !v.n; i++) {
    if (resolved[i])
      continue;
    char p[128];
    for (size_t k = 0; k < nord[i] && !v.n; k++) {
      int t = etd_dep_target(cs, n, &ord[i][k]);
      if (t >= 0 && ord[i][k].condition == ETD_DEP_HEALTHY &&
          !cs[t].health.command) {
        dep_path(&cs[i], i, k, p, sizeof p);
        etd_bad(&v, ETD_R_HEALTHY_NO_CHECK, (int)i, p,
                "%s: condition HEALTHY requires container '%s' to have a "
                "healthCheck",
                p, cs[t].name);
      }
    }
  }
  for (size_t i = 0; i < n && !rc && !v.n; i++) {
    if (resolved[i])
      continue;
    /* Walk unresolved dependencies until one repeats: that is a cycle. */
    size_t path[ETD_MAX_CONTAINERS + 1], how[ETD_MAX_CONTAINERS + 1];
    int seen[ETD_MAX_CONTAINERS];
    for (size_t j = 0; j < n; j++)
      seen[j] = -1;
    size_t depth = 0, at = i;
    while (seen[at] < 0 && depth <= n) {
      seen[at] = (int)depth;
      path[depth] = at;
      size_t next = at, k = 0;
      for (; k < nord[at]; k++) {
        int t = etd_dep_target(cs, n, &ord[at][k]);
        if (t >= 0 && !resolved[t]) {
          next = (size_t)t;
          break;
        }
      }
      how[depth++] = k;
      if (next == at && k == nord[at])
        break; /* cannot happen: an unresolved container waits on one */
      at = next;
    }
    if (seen[at] < 0)
      continue;
    char names[ECSB_ERR_MSG_MAX] = "", p[128];
    size_t off = 0;
    for (size_t j = (size_t)seen[at]; j < depth && off < sizeof names; j++)
      off += (size_t)snprintf(names + off, sizeof names - off, "%s -(%s)-> ",
                              cs[path[j]].name, via(&cs[path[j]], how[j]));
    if (off < sizeof names)
      snprintf(names + off, sizeof names - off, "%s", cs[at].name);
    dep_path(&cs[at], at, how[seen[at]], p, sizeof p);
    etd_bad(&v, ETD_R_CYCLE, (int)at, p,
            "%s (container '%s'): the ECS agent cannot order the cycle %s", p,
            cs[at].name, names);
  }
  for (size_t i = 0; i < n; i++)
    free(ord[i]);
  return etd_finish(&v, rc, err);
}
