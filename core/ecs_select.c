/*
 * ecs_select.c - which Consul server task discover-servers chooses (see
 * ecs.h). consul-ecs v0.1 took the first ARN of one ListTasks page and
 * never looked at its status; this walks every task and applies the rules
 * in the header, so a PENDING, stopping or unhealthy server is never
 * written as the join address. Pure: no I/O.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ecsb/ecs.h"
#include "ecsb/json.h"
#include "ecsb/metadata.h"

typedef struct cand {
  const char *arn;
  const char *ip;
  const char *health;
  bool healthy;
  double started; /* INFINITY when unknown */
} cand;

static int rank(bool ah, double as, const char *aa, bool bh, double bs,
                const char *ba) {
  if (ah != bh)
    return ah ? -1 : 1;
  if (as != bs)
    return as < bs ? -1 : 1;
  return strcmp(aa, ba);
}

/* true when a is the better choice */
static bool better(const cand *a, const cand *b) {
  return rank(a->healthy, a->started, a->arn, b->healthy, b->started, b->arn) <
         0;
}

int ecsb_ecs_pick_cmp(const ecsb_ecs_pick *a, const ecsb_ecs_pick *b) {
  return rank(a->healthy, a->started, a->task_arn, b->healthy, b->started,
              b->task_arn);
}

__attribute__((format(printf, 5, 6))) static void note(char *seen, size_t cap,
                                                       size_t *len,
                                                       const char *arn,
                                                       const char *fmt, ...) {
  if (!seen || *len + 8 >= cap)
    return;
  const char *id = strrchr(arn, '/');
  id = id ? id + 1 : arn;
  int n = snprintf(seen + *len, cap - *len, "%s%s: ", *len ? "; " : "", id);
  if (n < 0 || (size_t)n >= cap - *len) {
    *len = cap - 1;
    return;
  }
  *len += (size_t)n;
  va_list ap;
  va_start(ap, fmt);
  n = vsnprintf(seen + *len, cap - *len, fmt, ap);
  va_end(ap);
  *len = n < 0 || (size_t)n >= cap - *len ? cap - 1 : *len + (size_t)n;
}

/* The container's first private IPv4 address, or the ENI attachment's. */
static int find_ip(const cJSON *task, const cJSON *ctr, const char *tpath,
                   const char *cpath, const char **ip, ecsb_err *err) {
  const cJSON *nis = NULL, *atts = NULL, *x;
  int rc =
      ecsb_json_get_array(ctr, cpath, "networkInterfaces", false, &nis, err);
  if (rc)
    return rc;
  int i = 0;
  cJSON_ArrayForEach(x, nis) {
    char p[160];
    const char *v = NULL;
    snprintf(p, sizeof p, "%s.networkInterfaces[%d]", cpath, i++);
    if ((rc = ecsb_json_get_string(x, p, "privateIpv4Address", false, &v, err)))
      return rc;
    if (v && ecsb_is_ipv4(v)) {
      *ip = v;
      return 0;
    }
  }
  if ((rc = ecsb_json_get_array(task, tpath, "attachments", false, &atts, err)))
    return rc;
  i = 0;
  cJSON_ArrayForEach(x, atts) {
    char p[160];
    const char *type = NULL;
    const cJSON *details = NULL, *d;
    snprintf(p, sizeof p, "%s.attachments[%d]", tpath, i++);
    if ((rc = ecsb_json_get_string(x, p, "type", false, &type, err)) ||
        (rc = ecsb_json_get_array(x, p, "details", false, &details, err)))
      return rc;
    if (!type || strcmp(type, "ElasticNetworkInterface") != 0)
      continue;
    cJSON_ArrayForEach(d, details) {
      const cJSON *n = cJSON_GetObjectItemCaseSensitive(d, "name");
      const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, "value");
      if (cJSON_IsString(n) &&
          strcmp(n->valuestring, "privateIPv4Address") == 0 &&
          cJSON_IsString(v) && ecsb_is_ipv4(v->valuestring)) {
        *ip = v->valuestring;
        return 0;
      }
    }
  }
  return 0;
}

int ecsb_ecs_pick_server(const cJSON *tasks, const char *container,
                         bool require_healthy, ecsb_ecs_pick *out, char *seen,
                         size_t seen_cap, ecsb_err *err) {
  size_t slen = 0;
  if (seen && seen_cap)
    seen[0] = '\0';
  if (!cJSON_IsArray(tasks))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "DescribeTasks: $.tasks: expected an array");
  cand best = {0};
  bool have = false;
  int ti = 0, rc;
  const cJSON *t;
  cJSON_ArrayForEach(t, tasks) {
    char tp[64];
    snprintf(tp, sizeof tp, "DescribeTasks: $.tasks[%d]", ti++);
    const char *arn = NULL, *last = NULL, *desired = NULL;
    const cJSON *ctrs = NULL, *c, *found = NULL;
    if ((rc = ecsb_json_get_string(t, tp, "taskArn", true, &arn, err)) ||
        (rc = ecsb_json_get_string(t, tp, "lastStatus", false, &last, err)) ||
        (rc = ecsb_json_get_string(t, tp, "desiredStatus", false, &desired,
                                   err)) ||
        (rc = ecsb_json_get_array(t, tp, "containers", false, &ctrs, err)))
      return rc;
    if (!last || strcmp(last, "RUNNING") != 0) {
      note(seen, seen_cap, &slen, arn, "task %s", last ? last : "(no status)");
      continue;
    }
    if (desired && strcmp(desired, "RUNNING") != 0) {
      note(seen, seen_cap, &slen, arn, "task stopping (desired %s)", desired);
      continue;
    }
    int ci = 0, fi = 0;
    cJSON_ArrayForEach(c, ctrs) {
      const cJSON *n = cJSON_GetObjectItemCaseSensitive(c, "name");
      if (cJSON_IsString(n) && strcmp(n->valuestring, container) == 0) {
        found = c;
        fi = ci;
      }
      ci++;
    }
    if (!found) {
      note(seen, seen_cap, &slen, arn, "no container named %s", container);
      continue;
    }
    char cp[96];
    snprintf(cp, sizeof cp, "%s.containers[%d]", tp, fi);
    const char *clast = NULL, *health = NULL, *ip = NULL;
    if ((rc = ecsb_json_get_string(found, cp, "lastStatus", false, &clast,
                                   err)) ||
        (rc = ecsb_json_get_string(found, cp, "healthStatus", false, &health,
                                   err)))
      return rc;
    if (!clast || strcmp(clast, "RUNNING") != 0) {
      note(seen, seen_cap, &slen, arn, "container %s %s", container,
           clast ? clast : "(no status)");
      continue;
    }
    bool healthy = health && strcmp(health, "HEALTHY") == 0;
    bool unknown = !health || strcmp(health, "UNKNOWN") == 0;
    if (!healthy && (!unknown || require_healthy)) {
      note(seen, seen_cap, &slen, arn, "container health %s",
           health ? health : "UNKNOWN");
      continue;
    }
    if ((rc = find_ip(t, found, tp, cp, &ip, err)))
      return rc;
    if (!ip) {
      note(seen, seen_cap, &slen, arn, "RUNNING but no private IPv4 address");
      continue;
    }
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(t, "startedAt");
    cand cd = {.arn = arn,
               .ip = ip,
               .health = health ? health : "",
               .healthy = healthy,
               .started = cJSON_IsNumber(st) ? st->valuedouble : INFINITY};
    if (!have || better(&cd, &best)) {
      best = cd;
      have = true;
    }
  }
  if (!have) {
    if (ti == 0 && seen && seen_cap)
      snprintf(seen, seen_cap, "no tasks with desiredStatus RUNNING");
    return ecsb_err_set(err, ECSB_ENOTFOUND,
                        "no eligible Consul server task yet");
  }
  snprintf(out->task_arn, sizeof out->task_arn, "%s", best.arn);
  snprintf(out->ip, sizeof out->ip, "%s", best.ip);
  snprintf(out->health, sizeof out->health, "%s", best.health);
  out->healthy = best.healthy;
  out->started = best.started;
  return 0;
}
