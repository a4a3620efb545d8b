/*
 * taskdef.c - reading a task definition (see etd/taskdef.h): its shapes,
 * and the JSON pass of etd_parse.
 *
 * The JSON pass reads what RegisterTaskDefinition reads (types, task-level
 * fields, images, ports, mount points, the dependsOn entries and the
 * healthCheck object) into etd_container records and fills ECS's defaults
 * into the JSON; rules.c then judges the containers. It stops at its first
 * problem: what follows may not be readable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etd/agent.h"
#include "etd_internal.h"

/* ---- the JSON pass ----------------------------------------------------- */

static const cJSON *get(const cJSON *o, const char *k) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsNull(j) ? NULL : j;
}

/* Type-checked member: -1 (problem reported) when present with another
 * type; *out NULL when absent. */
static int typed(etd_vctx *v, int ctr, const cJSON *o, const char *path,
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
    return etd_bad(v, ETD_R_TYPE, ctr, p, "%s: expected %s", p,
                   type == cJSON_String   ? "a string"
                   : type == cJSON_Number ? "an integer"
                   : type == cJSON_True   ? "true or false"
                   : type == cJSON_Array  ? "a list"
                                          : "an object");
  }
  *out = j;
  return 0;
}

static int int_range(etd_vctx *v, int ctr, const cJSON *o, const char *path,
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
    return etd_bad(v, ETD_R_INVALID, ctr, p, "%s: %lld is outside %lld-%lld", p,
                   (long long)x, (long long)lo, (long long)hi);
  }
  if (out)
    *out = x;
  return 0;
}

/* An optional whole number of seconds, in ms (saturated far outside every
 * range, so the container pass reports it). */
static int seconds(etd_vctx *v, int ctr, const cJSON *o, const char *path,
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

static int str_list(etd_vctx *v, int ctr, const cJSON *o, const char *path,
                    const char *k, const cJSON **out) {
  if (typed(v, ctr, o, path, k, cJSON_Array, out))
    return -1;
  int i = 0;
  for (const cJSON *x = *out ? (*out)->child : NULL; x; x = x->next, i++)
    if (!cJSON_IsString(x)) {
      char p[256];
      snprintf(p, sizeof p, "%s.%s[%d]", path, k, i);
      return etd_bad(v, ETD_R_TYPE, ctr, p, "%s: expected a string", p);
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

static int read_health(etd_vctx *v, int i, cJSON *hc, const char *path,
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

static int read_ports(etd_vctx *v, int i, cJSON *cd, const char *path,
                      bool awsvpc) {
  const cJSON *pm;
  if (typed(v, i, cd, path, "portMappings", cJSON_Array, &pm))
    return -1;
  int k = 0;
  for (cJSON *p = pm ? pm->child : NULL; p; p = p->next, k++) {
    char pp[160];
    snprintf(pp, sizeof pp, "%s.portMappings[%d]", path, k);
    if (!cJSON_IsObject(p))
      return etd_bad(v, ETD_R_TYPE, i, pp, "%s: expected an object", pp);
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
      return etd_bad(v, ETD_R_INVALID, i, q, "%s: '%.20s' is not tcp or udp", q,
                     proto->valuestring);
    }
    if (awsvpc && cport >= 0 && hport >= 0 && hport != cport)
      return etd_bad(
          v, ETD_R_INVALID, i, pp,
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

static int read_mounts(etd_vctx *v, int i, const cJSON *cd, const char *path,
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
      return etd_bad(v, ETD_R_TYPE, i, p,
                     "%s: expected {\"sourceVolume\": string, "
                     "\"containerPath\": string}",
                     p);
    if (sv && !name_in(volumes, "name", sv->valuestring)) {
      char q[224];
      snprintf(q, sizeof q, "%s.sourceVolume", p);
      return etd_bad(v, ETD_R_INVALID, i, q,
                     "%s: no volume named '%.100s' in volumes", q,
                     sv->valuestring);
    }
  }
  return 0;
}

static int read_depends(etd_vctx *v, int i, const cJSON *cd, const char *path,
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
      return etd_bad(v, ETD_R_INVALID, i, p,
                     "%s (container '%s'): containerName and condition are "
                     "required strings",
                     p, name);
    if (etd_condition_parse(co->valuestring, &d[k].condition)) {
      char q[192];
      snprintf(q, sizeof q, "%s.condition", p);
      return etd_bad(v, ETD_R_BAD_CONDITION, i, q,
                     "%s: '%.40s' is not START, COMPLETE, SUCCESS or HEALTHY",
                     q, co->valuestring);
    }
    d[k].container = cn->valuestring;
    c->n_depends_on = (size_t)k + 1;
  }
  return 0;
}

/* restartPolicy: the types and what only the JSON shows (enabled is
 * required); rules.c judges the period and the number of codes. */
static int read_restart(etd_vctx *v, int i, const cJSON *cd, const char *path,
                        etd_restart *r) {
  const cJSON *rp, *en, *codes;
  if (typed(v, i, cd, path, "restartPolicy", cJSON_Object, &rp))
    return -1;
  if (!rp)
    return 0;
  r->given = true;
  char p[96];
  snprintf(p, sizeof p, "%s.restartPolicy", path);
  if (typed(v, i, rp, p, "enabled", cJSON_True, &en) ||
      typed(v, i, rp, p, "ignoredExitCodes", cJSON_Array, &codes) ||
      seconds(v, i, rp, p, "restartAttemptPeriod",
              ETD_RESTART_PERIOD_DEFAULT_MS, &r->attempt_period_ms))
    return -1;
  if (!en)
    return etd_bad(v, ETD_R_INVALID, i, p,
                   "%s.enabled: required (true or false)", p);
  r->enabled = cJSON_IsTrue(en);
  int k = 0;
  for (const cJSON *x = codes ? codes->child : NULL; x; x = x->next, k++) {
    if (!cJSON_IsNumber(x) || x->valuedouble != (double)(int)x->valuedouble) {
      char q[128];
      snprintf(q, sizeof q, "%s.ignoredExitCodes[%d]", p, k);
      return etd_bad(v, ETD_R_TYPE, i, q, "%s: expected an integer", q);
    }
    if ((size_t)k < ETD_RESTART_IGNORED_MAX)
      r->ignored[k] = (int)x->valuedouble;
  }
  r->n_ignored = (size_t)k;
  return 0;
}

/* links (strings) and volumesFrom ({"sourceContainer": string, "readOnly":
 * bool}) into the container's name lists; rules.c judges the names. */
static int read_refs(etd_vctx *v, int i, const cJSON *cd, const char *path,
                     etd_container *c) {
  const cJSON *links, *vf;
  if (str_list(v, i, cd, path, "links", &links) ||
      typed(v, i, cd, path, "volumesFrom", cJSON_Array, &vf))
    return -1;
  size_t nl = links ? (size_t)cJSON_GetArraySize(links) : 0;
  size_t nv = vf ? (size_t)cJSON_GetArraySize(vf) : 0;
  if (nl) {
    const char **l = calloc(nl, sizeof *l);
    if (!l)
      return ECSB_ENOMEM;
    c->links = l;
    for (const cJSON *x = links->child; x; x = x->next)
      l[c->n_links++] = x->valuestring;
  }
  if (!nv)
    return 0;
  const char **src = calloc(nv, sizeof *src);
  if (!src)
    return ECSB_ENOMEM;
  c->volumes_from = src;
  int k = 0;
  for (const cJSON *x = vf->child; x; x = x->next, k++) {
    const cJSON *sc = get(x, "sourceContainer"), *ro = get(x, "readOnly");
    if (!cJSON_IsObject(x) || !cJSON_IsString(sc) ||
        (ro && !cJSON_IsBool(ro))) {
      char p[160];
      snprintf(p, sizeof p, "%s.volumesFrom[%d]", path, k);
      return etd_bad(v, ETD_R_TYPE, i, p,
                     "%s: expected {\"sourceContainer\": string, "
                     "\"readOnly\": true or false}",
                     p);
    }
    src[c->n_volumes_from++] = sc->valuestring;
  }
  return 0;
}

static int read_container(etd_vctx *v, cJSON *cd, int i, const cJSON *volumes,
                          bool awsvpc, etd_container *out) {
  char path[64];
  snprintf(path, sizeof path, "containerDefinitions[%d]", i);
  if (!cJSON_IsObject(cd))
    return etd_bad(v, ETD_R_TYPE, i, path, "%s: expected an object", path);
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
    return etd_bad(v, ETD_R_INVALID, i, p,
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
      return etd_bad(v, ETD_R_TYPE, i, p,
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
  if ((rc = read_depends(v, i, cd, path, out->name, out)) ||
      (rc = read_refs(v, i, cd, path, out)) ||
      (rc = read_restart(v, i, cd, path, &out->restart)))
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

static int read_task(etd_vctx *v, etd_taskdef *t) {
  static const char *const MODES[] = {"bridge", "host", "awsvpc", "none"};
  cJSON *j = t->json;
  const cJSON *fam, *mode, *defs, *vols, *compat, *cpu, *mem, *exec, *x;
  if (typed(v, -1, j, "", "family", cJSON_String, &fam) ||
      typed(v, -1, j, "", "networkMode", cJSON_String, &mode) ||
      typed(v, -1, j, "", "containerDefinitions", cJSON_Array, &defs) ||
      typed(v, -1, j, "", "volumes", cJSON_Array, &vols) ||
      str_list(v, -1, j, "", "requiresCompatibilities", &compat) ||
      typed(v, -1, j, "", "cpu", cJSON_String, &cpu) ||
      typed(v, -1, j, "", "memory", cJSON_String, &mem) ||
      typed(v, -1, j, "", "taskRoleArn", cJSON_String, &x) ||
      typed(v, -1, j, "", "executionRoleArn", cJSON_String, &exec) ||
      typed(v, -1, j, "", "tags", cJSON_Array, &x))
    return -1;
  if (!fam || !etd_valid_name(fam->valuestring))
    return etd_bad(v, ETD_R_INVALID, -1, "family",
                   "family: required; up to 255 letters (uppercase and "
                   "lowercase), numbers, hyphens, and underscores");
  t->family = fam->valuestring;
  if (mode) {
    int ok = 0;
    for (int i = 0; i < 4; i++)
      ok |= !strcmp(mode->valuestring, MODES[i]);
    if (!ok)
      return etd_bad(v, ETD_R_INVALID, -1, "networkMode",
                     "networkMode: '%.40s' is not bridge, host, awsvpc or none",
                     mode->valuestring);
    t->awsvpc = !strcmp(mode->valuestring, "awsvpc");
  }
  bool fargate = false;
  for (const cJSON *c = compat ? compat->child : NULL; c; c = c->next) {
    if (strcmp(c->valuestring, "EC2") && strcmp(c->valuestring, "FARGATE") &&
        strcmp(c->valuestring, "EXTERNAL"))
      return etd_bad(v, ETD_R_INVALID, -1, "requiresCompatibilities",
                     "requiresCompatibilities: '%.40s' is not EC2, FARGATE or "
                     "EXTERNAL",
                     c->valuestring);
    fargate |= !strcmp(c->valuestring, "FARGATE");
  }
  v->fargate = fargate;
  v->awsvpc = t->awsvpc;
  if (fargate && !t->awsvpc)
    return etd_bad(v, ETD_R_INVALID, -1, "networkMode",
                   "Fargate only supports network mode 'awsvpc'.");
  if (fargate && (!cpu || !mem))
    return etd_bad(v, ETD_R_INVALID, -1, cpu ? "memory" : "cpu",
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
      return etd_bad(v, ETD_R_INVALID, -1, p,
                     "%s: required; letters, numbers, hyphens and underscores",
                     p);
    for (const cJSON *w = vols->child; w != vol; w = w->next)
      if (!strcmp(get(w, "name")->valuestring, vn->valuestring))
        return etd_bad(v, ETD_R_INVALID, -1, p, "%s: '%s' is used twice", p,
                       vn->valuestring);
  }
  size_t n = defs ? (size_t)cJSON_GetArraySize(defs) : 0;
  if (n < 1 || n > ETD_MAX_CONTAINERS)
    return etd_count_problem(v, n);
  if (!(t->containers = calloc(n, sizeof *t->containers)))
    return ECSB_ENOMEM;
  t->n_containers = n;
  bool whole[ETD_MAX_CONTAINERS];
  bool all_whole = true;
  i = 0;
  for (cJSON *cd = defs->child; cd; cd = cd->next, i++) {
    int rc = read_container(v, cd, i, vols, t->awsvpc, &t->containers[i]);
    /* Asked for every problem: each container is read, so one without an
     * image does not hide the next one's problems. */
    if (rc && (rc == ECSB_ENOMEM || !v->all))
      return rc;
    whole[i] = rc == 0;
    all_whole = all_whole && whole[i];
    t->containers[i].exec_creds =
        etd_needs_execution_credentials(cd, exec != NULL);
    t->any_health_check |= get(cd, "healthCheck") != NULL;
    t->any_depends_on |= get(cd, "dependsOn") != NULL;
  }
  return all_whole ? etd_check_containers(v, t->containers, n)
                   : etd_check_each(v, t->containers, n, whole);
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

static int unwrap(etd_vctx *v, const cJSON *in, const etd_opts *o,
                  etd_taskdef *t) {
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
    return etd_bad(v, ETD_R_TYPE, -1, "",
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
  etd_vctx v = {0};
  etd_taskdef t = {0};
  *out = NULL;
  int rc = etd_finish(&v, unwrap(&v, in, opts ? opts : &none, &t), err);
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
    free((void *)t->containers[i].links);
    free((void *)t->containers[i].volumes_from);
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
  etd_vctx v = {.ps = ps, .all = ps && ps->all};
  *out = NULL;
  etd_taskdef *t = calloc(1, sizeof *t);
  if (!t)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  int rc = unwrap(&v, in, opts ? opts : &none, t);
  if (!rc)
    rc = read_task(&v, t);
  rc = etd_finish(&v, rc, err);
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
