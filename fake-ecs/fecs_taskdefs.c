/*
 * fecs_taskdefs.c - task definitions: RegisterTaskDefinition's validation
 * (what `aws ecs register-task-definition --cli-input-json` sends), the
 * record kept per revision, and the operations RegisterTaskDefinition,
 * DescribeTaskDefinition, ListTaskDefinitions, DeregisterTaskDefinition.
 *
 * The request is kept whole, so every field a user sends comes back from
 * DescribeTaskDefinition; ECS's defaults are filled in (essential, cpu,
 * the empty lists, healthCheck interval/timeout/retries, portMappings
 * protocol and the awsvpc hostPort) and the server's own fields added
 * (taskDefinitionArn, revision, status, compatibilities, registeredAt...).
 * Rules checked, each error naming the field: names, image, types, ranges
 * of healthCheck (its command is kept as given: Docker, not the API,
 * judges a first word other than CMD/CMD-SHELL), portMappings, mountPoints
 * naming a volume, dependsOn naming another container with a valid condition
 * (HEALTHY needs the target's healthCheck; COMPLETE/SUCCESS a non-essential
 * target, as ECS answers), and Fargate's awsvpc + task-level cpu/memory
 * requirement. Type errors are SerializationException, rule errors
 * ClientException.
 *
 * Called by fecs_api.c and fecs.c with fecs.mu held.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fecs_internal.h"

typedef struct vctx {
  const char **code;
  char *msg;
  size_t cap;
} vctx;

static int bad(vctx *v, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(vctx *v, const char *code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(v->msg, v->cap, fmt, ap);
  va_end(ap);
  *v->code = code;
  return -1;
}

static const cJSON *get(const cJSON *o, const char *k) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsNull(j) ? NULL : j;
}

/* Type-checked member: returns -1 (error set) when present with another
 * type; *out NULL when absent. */
static int typed(vctx *v, const cJSON *o, const char *path, const char *k,
                 int type, const cJSON **out) {
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
  if (!ok)
    return bad(v, "SerializationException", "%s%s%s: expected %s", path,
               *path ? "." : "", k,
               type == cJSON_String   ? "a string"
               : type == cJSON_Number ? "an integer"
               : type == cJSON_True   ? "true or false"
               : type == cJSON_Array  ? "a list"
                                      : "an object");
  *out = j;
  return 0;
}

static int int_range(vctx *v, const cJSON *o, const char *path, const char *k,
                     int64_t lo, int64_t hi, int64_t *out) {
  const cJSON *j;
  if (typed(v, o, path, k, cJSON_Number, &j))
    return -1;
  if (!j)
    return 0;
  int64_t x = (int64_t)j->valuedouble;
  if (x < lo || x > hi)
    return bad(v, "ClientException", "%s.%s: %lld is outside %lld-%lld", path,
               k, (long long)x, (long long)lo, (long long)hi);
  if (out)
    *out = x;
  return 0;
}

static int str_list(vctx *v, const cJSON *o, const char *path, const char *k,
                    const cJSON **out) {
  if (typed(v, o, path, k, cJSON_Array, out))
    return -1;
  int i = 0;
  for (const cJSON *x = *out ? (*out)->child : NULL; x; x = x->next, i++)
    if (!cJSON_IsString(x))
      return bad(v, "SerializationException", "%s.%s[%d]: expected a string",
                 path, k, i);
  return 0;
}

static void default_item(cJSON *o, const char *k, cJSON *item) {
  if (!get(o, k)) {
    cJSON_DeleteItemFromObjectCaseSensitive(o, k);
    cJSON_AddItemToObject(o, k, item);
  } else {
    cJSON_Delete(item);
  }
}

static int check_health(vctx *v, cJSON *hc, const char *path) {
  const cJSON *cmd;
  if (str_list(v, hc, path, "command", &cmd))
    return -1;
  if (!cmd || cJSON_GetArraySize(cmd) < 1)
    return bad(v, "ClientException", "%s.command: required, a non-empty list",
               path);
  int64_t interval = 30, timeout = 5, retries = 3, start = 0;
  if (int_range(v, hc, path, "interval", 5, 300, &interval) ||
      int_range(v, hc, path, "timeout", 2, 60, &timeout) ||
      int_range(v, hc, path, "retries", 1, 10, &retries) ||
      int_range(v, hc, path, "startPeriod", 0, 300, &start))
    return -1;
  default_item(hc, "interval", cJSON_CreateNumber((double)interval));
  default_item(hc, "timeout", cJSON_CreateNumber((double)timeout));
  default_item(hc, "retries", cJSON_CreateNumber((double)retries));
  return 0;
}

static int check_ports(vctx *v, cJSON *cd, const char *path, bool awsvpc) {
  static const char *const PROTO[] = {"tcp", "udp"};
  const cJSON *pm;
  if (typed(v, cd, path, "portMappings", cJSON_Array, &pm))
    return -1;
  int i = 0;
  for (cJSON *p = pm ? pm->child : NULL; p; p = p->next, i++) {
    char pp[160];
    snprintf(pp, sizeof pp, "%s.portMappings[%d]", path, i);
    if (!cJSON_IsObject(p))
      return bad(v, "SerializationException", "%s: expected an object", pp);
    int64_t cport = -1, hport = -1;
    const cJSON *proto;
    if (int_range(v, p, pp, "containerPort", 0, 65535, &cport) ||
        int_range(v, p, pp, "hostPort", 0, 65535, &hport) ||
        typed(v, p, pp, "protocol", cJSON_String, &proto))
      return -1;
    if (proto && strcmp(proto->valuestring, PROTO[0]) &&
        strcmp(proto->valuestring, PROTO[1]))
      return bad(v, "ClientException", "%s.protocol: '%.20s' is not tcp or udp",
                 pp, proto->valuestring);
    if (awsvpc && cport >= 0 && hport >= 0 && hport != cport)
      return bad(v, "ClientException",
                 "%s: with networkMode awsvpc, hostPort must be left blank or "
                 "equal containerPort (%lld != %lld)",
                 pp, (long long)hport, (long long)cport);
    if (awsvpc && cport >= 0 && hport < 0)
      cJSON_AddNumberToObject(p, "hostPort", (double)cport);
    default_item(p, "protocol", cJSON_CreateString("tcp"));
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

static int check_container(vctx *v, cJSON *cd, int i, const cJSON *volumes,
                           bool awsvpc, fecs_cdef *out) {
  char path[64];
  snprintf(path, sizeof path, "containerDefinitions[%d]", i);
  if (!cJSON_IsObject(cd))
    return bad(v, "SerializationException", "%s: expected an object", path);
  const cJSON *name, *image, *ess, *j, *hc;
  if (typed(v, cd, path, "name", cJSON_String, &name) ||
      typed(v, cd, path, "image", cJSON_String, &image) ||
      typed(v, cd, path, "essential", cJSON_True, &ess))
    return -1;
  if (!name || !fecs_valid_name(name->valuestring))
    return bad(v, "ClientException",
               "%s.name: required; up to 255 letters (uppercase and "
               "lowercase), numbers, hyphens, and underscores",
               path);
  if (!image || !*image->valuestring)
    return bad(v, "ClientException",
               "%s.image (container '%s'): should not be null or empty", path,
               name->valuestring);
  int64_t cpu = 0, mem = 0;
  if (int_range(v, cd, path, "cpu", 0, 10240 * 16, &cpu) ||
      int_range(v, cd, path, "memory", 4, 1 << 24, &mem) ||
      int_range(v, cd, path, "memoryReservation", 4, 1 << 24, NULL) ||
      int_range(v, cd, path, "startTimeout", 0, 86400, NULL) ||
      int_range(v, cd, path, "stopTimeout", 0, 86400, NULL) ||
      str_list(v, cd, path, "command", &j) ||
      str_list(v, cd, path, "entryPoint", &j) ||
      typed(v, cd, path, "environment", cJSON_Array, &j))
    return -1;
  int k = 0;
  for (const cJSON *e = j ? j->child : NULL; e; e = e->next, k++) {
    const cJSON *en = get(e, "name"), *ev = get(e, "value");
    if (!cJSON_IsObject(e) || !cJSON_IsString(en) ||
        (ev && !cJSON_IsString(ev)))
      return bad(v, "SerializationException",
                 "%s.environment[%d]: expected {\"name\": string, \"value\": "
                 "string}",
                 path, k);
  }
  if (check_ports(v, cd, path, awsvpc) ||
      typed(v, cd, path, "mountPoints", cJSON_Array, &j))
    return -1;
  k = 0;
  for (const cJSON *m = j ? j->child : NULL; m; m = m->next, k++) {
    const cJSON *sv = get(m, "sourceVolume"), *cp = get(m, "containerPath");
    if (!cJSON_IsObject(m) || (sv && !cJSON_IsString(sv)) ||
        (cp && !cJSON_IsString(cp)))
      return bad(v, "SerializationException",
                 "%s.mountPoints[%d]: expected {\"sourceVolume\": string, "
                 "\"containerPath\": string}",
                 path, k);
    if (sv && !name_in(volumes, "name", sv->valuestring))
      return bad(v, "ClientException",
                 "%s.mountPoints[%d].sourceVolume: no volume named '%.100s' "
                 "in volumes",
                 path, k, sv->valuestring);
  }
  if (typed(v, cd, path, "healthCheck", cJSON_Object, &hc))
    return -1;
  if (hc) {
    char hp[96];
    snprintf(hp, sizeof hp, "%s.healthCheck", path);
    if (check_health(v, (cJSON *)hc, hp))
      return -1;
  }
  if (typed(v, cd, path, "dependsOn", cJSON_Array, &j))
    return -1;
  default_item(cd, "essential", cJSON_CreateTrue());
  default_item(cd, "cpu", cJSON_CreateNumber(0));
  default_item(cd, "portMappings", cJSON_CreateArray());
  default_item(cd, "environment", cJSON_CreateArray());
  default_item(cd, "mountPoints", cJSON_CreateArray());
  default_item(cd, "volumesFrom", cJSON_CreateArray());
  out->name = strdup(name->valuestring);
  out->image = strdup(image->valuestring);
  out->essential = !ess || cJSON_IsTrue(ess);
  out->has_hc = hc != NULL;
  out->cpu = cpu;
  out->memory = mem;
  return out->name && out->image ? 0 : bad(v, "ServerException", "ENOMEM");
}

/* dependsOn, once every container is known. */
static int check_depends(vctx *v, const cJSON *defs, const fecs_cdef *cd,
                         size_t n) {
  static const char *const COND[] = {"START", "COMPLETE", "SUCCESS", "HEALTHY"};
  int i = 0;
  for (const cJSON *d = defs->child; d; d = d->next, i++) {
    const cJSON *deps = get(d, "dependsOn");
    int k = 0;
    for (const cJSON *x = deps ? deps->child : NULL; x; x = x->next, k++) {
      char p[96];
      snprintf(p, sizeof p, "containerDefinitions[%d].dependsOn[%d]", i, k);
      const cJSON *cn = get(x, "containerName"), *co = get(x, "condition");
      if (!cJSON_IsObject(x) || !cJSON_IsString(cn) || !cJSON_IsString(co))
        return bad(v, "ClientException",
                   "%s (container '%s'): containerName and condition are "
                   "required strings",
                   p, cd[i].name);
      int cond = -1;
      for (int c = 0; c < 4; c++)
        if (!strcmp(co->valuestring, COND[c]))
          cond = c;
      if (cond < 0)
        return bad(v, "ClientException",
                   "%s.condition: '%.40s' is not START, COMPLETE, SUCCESS or "
                   "HEALTHY",
                   p, co->valuestring);
      const fecs_cdef *target = NULL;
      for (size_t t = 0; t < n; t++)
        if (!strcmp(cd[t].name, cn->valuestring))
          target = &cd[t];
      if (!target)
        return bad(v, "ClientException",
                   "%s.containerName: no container named '%.100s' in this "
                   "task definition",
                   p, cn->valuestring);
      if (target == &cd[i])
        return bad(v, "ClientException",
                   "%s: container '%s' cannot depend on itself", p, cd[i].name);
      if (cond == 3 && !target->has_hc)
        return bad(v, "ClientException",
                   "%s: condition HEALTHY requires container '%s' to have a "
                   "healthCheck",
                   p, target->name);
      if ((cond == 1 || cond == 2) && target->essential)
        return bad(v, "ClientException",
                   "%s: a dependency container with SUCCESS or COMPLETE "
                   "condition cannot be an essential container ('%s')",
                   p, target->name);
    }
  }
  return 0;
}

void fecs_taskdef_free(fecs_taskdef_rec *td) {
  if (!td)
    return;
  free(td->family);
  free(td->arn);
  cJSON_Delete(td->json);
  cJSON_Delete(td->tags);
  for (size_t i = 0; i < td->n_cdefs; i++) {
    free(td->cdefs[i].name);
    free(td->cdefs[i].image);
  }
  free(td->cdefs);
  free(td->task_role_arn);
  free(td->cpu);
  free(td->memory);
  free(td);
}

static void add_capability(cJSON *arr, const char *name) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "name", name);
  cJSON_AddItemToArray(arr, o);
}

int fecs_taskdef_build_locked(fecs *f, const cJSON *req, fecs_taskdef_rec **out,
                              const char **err_code, char *msg, size_t cap) {
  static const char *const MODES[] = {"bridge", "host", "awsvpc", "none"};
  vctx v = {err_code, msg, cap};
  *out = NULL;
  fecs_taskdef_rec *td = calloc(1, sizeof *td);
  if (!td)
    return bad(&v, "ServerException", "fake-ecs: out of memory");
  td->json = cJSON_Duplicate(req, 1);
  if (!td->json)
    goto oom;
  cJSON *j = td->json;
  const cJSON *fam, *mode, *defs, *vols, *compat, *cpu, *mem, *role, *x;
  if (typed(&v, j, "", "family", cJSON_String, &fam) ||
      typed(&v, j, "", "networkMode", cJSON_String, &mode) ||
      typed(&v, j, "", "containerDefinitions", cJSON_Array, &defs) ||
      typed(&v, j, "", "volumes", cJSON_Array, &vols) ||
      str_list(&v, j, "", "requiresCompatibilities", &compat) ||
      typed(&v, j, "", "cpu", cJSON_String, &cpu) ||
      typed(&v, j, "", "memory", cJSON_String, &mem) ||
      typed(&v, j, "", "taskRoleArn", cJSON_String, &role) ||
      typed(&v, j, "", "executionRoleArn", cJSON_String, &x) ||
      typed(&v, j, "", "tags", cJSON_Array, &x))
    goto fail;
  if (!fam || !fecs_valid_name(fam->valuestring)) {
    bad(&v, "ClientException",
        "family: required; up to 255 letters (uppercase and lowercase), "
        "numbers, hyphens, and underscores");
    goto fail;
  }
  bool awsvpc = false;
  if (mode) {
    int ok = 0;
    for (int i = 0; i < 4; i++)
      ok |= !strcmp(mode->valuestring, MODES[i]);
    if (!ok) {
      bad(&v, "ClientException",
          "networkMode: '%.40s' is not bridge, host, awsvpc or none",
          mode->valuestring);
      goto fail;
    }
    awsvpc = !strcmp(mode->valuestring, "awsvpc");
  }
  bool fargate = false;
  for (const cJSON *c = compat ? compat->child : NULL; c; c = c->next) {
    if (strcmp(c->valuestring, "EC2") && strcmp(c->valuestring, "FARGATE") &&
        strcmp(c->valuestring, "EXTERNAL")) {
      bad(&v, "ClientException",
          "requiresCompatibilities: '%.40s' is not EC2, FARGATE or EXTERNAL",
          c->valuestring);
      goto fail;
    }
    fargate |= !strcmp(c->valuestring, "FARGATE");
  }
  if (fargate && !awsvpc) {
    bad(&v, "ClientException", "Fargate only supports network mode 'awsvpc'.");
    goto fail;
  }
  if (fargate && (!cpu || !mem)) {
    bad(&v, "ClientException",
        "Fargate requires that 'cpu' and 'memory' be defined at the task "
        "level.");
    goto fail;
  }
  int i = 0;
  for (const cJSON *vol = vols ? vols->child : NULL; vol;
       vol = vol->next, i++) {
    const cJSON *vn = get(vol, "name");
    if (!cJSON_IsObject(vol) || !cJSON_IsString(vn) ||
        !fecs_valid_name(vn->valuestring)) {
      bad(&v, "ClientException",
          "volumes[%d].name: required; letters, numbers, hyphens and "
          "underscores",
          i);
      goto fail;
    }
    for (const cJSON *w = vols->child; w != vol; w = w->next)
      if (!strcmp(get(w, "name")->valuestring, vn->valuestring)) {
        bad(&v, "ClientException", "volumes[%d].name: '%s' is used twice", i,
            vn->valuestring);
        goto fail;
      }
  }
  size_t n = defs ? (size_t)cJSON_GetArraySize(defs) : 0;
  if (n < 1 || n > 100) {
    bad(&v, "ClientException",
        "containerDefinitions: required, 1-100 containers (got %zu)", n);
    goto fail;
  }
  td->cdefs = calloc(n, sizeof *td->cdefs);
  if (!td->cdefs)
    goto oom;
  i = 0;
  for (cJSON *cd = defs->child; cd; cd = cd->next, i++) {
    if (check_container(&v, cd, i, vols, awsvpc, &td->cdefs[td->n_cdefs]))
      goto fail;
    td->n_cdefs++;
    for (size_t k = 0; k + 1 < td->n_cdefs; k++)
      if (!strcmp(td->cdefs[k].name, td->cdefs[td->n_cdefs - 1].name)) {
        bad(&v, "ClientException",
            "containerDefinitions[%d].name: '%s' is used by another "
            "container",
            i, td->cdefs[k].name);
        goto fail;
      }
  }
  if (check_depends(&v, defs, td->cdefs, td->n_cdefs))
    goto fail;

  td->family = strdup(fam->valuestring);
  td->task_role_arn = role ? strdup(role->valuestring) : NULL;
  td->cpu = cpu ? strdup(cpu->valuestring) : NULL;
  td->memory = mem ? strdup(mem->valuestring) : NULL;
  td->active = true;
  td->registered_us = fecs_now_us(f);
  const cJSON *tags = get(j, "tags");
  if (tags && cJSON_GetArraySize(tags) > 0)
    td->tags = cJSON_Duplicate(tags, 1);
  cJSON_DeleteItemFromObjectCaseSensitive(j, "tags");
  default_item(j, "volumes", cJSON_CreateArray());
  default_item(j, "placementConstraints", cJSON_CreateArray());
  cJSON_DeleteItemFromObjectCaseSensitive(j, "status");
  cJSON_AddStringToObject(j, "status", "ACTIVE");
  cJSON *req_attrs = cJSON_CreateArray();
  add_capability(req_attrs,
                 "com.amazonaws.ecs.capability.docker-remote-api.1.18");
  bool any_hc = false, any_dep = false;
  for (const cJSON *cd = defs->child; cd; cd = cd->next) {
    any_hc |= get(cd, "healthCheck") != NULL;
    any_dep |= get(cd, "dependsOn") != NULL;
  }
  if (any_hc)
    add_capability(req_attrs, "ecs.capability.container-health-check");
  if (any_dep)
    add_capability(req_attrs, "ecs.capability.container-ordering");
  if (awsvpc)
    add_capability(req_attrs, "ecs.capability.task-eni");
  cJSON_DeleteItemFromObjectCaseSensitive(j, "requiresAttributes");
  cJSON_AddItemToObject(j, "requiresAttributes", req_attrs);
  cJSON *comp = cJSON_CreateArray();
  cJSON_AddItemToArray(comp, cJSON_CreateString("EC2"));
  if (awsvpc)
    cJSON_AddItemToArray(comp, cJSON_CreateString("FARGATE"));
  cJSON_DeleteItemFromObjectCaseSensitive(j, "compatibilities");
  cJSON_AddItemToObject(j, "compatibilities", comp);
  cJSON_AddNumberToObject(j, "registeredAt", fecs_ts(td->registered_us));
  char *by = fecs_strprintf("arn:aws:iam::%s:root", f->cfg.account_id);
  cJSON_AddStringToObject(j, "registeredBy", by ? by : "");
  free(by);
  if (!td->family || (role && !td->task_role_arn) || (cpu && !td->cpu) ||
      (mem && !td->memory))
    goto oom;
  *out = td;
  return 0;
oom:
  bad(&v, "ServerException", "fake-ecs: out of memory");
fail:
  fecs_taskdef_free(td);
  return -1;
}

/* ---- operations ---------------------------------------------------------- */

static void td_response(fecs_call *c, const fecs_taskdef_rec *td, bool tags) {
  c->out = cJSON_CreateObject();
  cJSON_AddItemToObject(c->out, "taskDefinition", cJSON_Duplicate(td->json, 1));
  if (tags)
    cJSON_AddItemToObject(c->out, "tags",
                          td->tags ? cJSON_Duplicate(td->tags, 1)
                                   : cJSON_CreateArray());
}

int fecs_op_register_task_definition(fecs_call *c) {
  fecs_taskdef_rec *td = NULL;
  const char *code = NULL;
  if (fecs_taskdef_build_locked(c->f, c->in, &td, &code, c->err_msg,
                                sizeof c->err_msg)) {
    c->err_code = code;
    c->err_status = fecs_error_status(code);
    return -1;
  }
  ecsb_err err = {0};
  if (fecs_taskdef_add_locked(c->f, td, &err)) {
    fecs_taskdef_free(td);
    return fecs_fail(c, "ServerException", "%s", err.msg);
  }
  td_response(c, td, td->tags != NULL);
  return 0;
}

int fecs_op_describe_task_definition(fecs_call *c) {
  const char *ref = NULL;
  if (fecs_in_str(c, "taskDefinition", &ref))
    return -1;
  if (!ref || !*ref)
    return fecs_fail(c, "ClientException", "taskDefinition can not be blank.");
  fecs_taskdef_rec *td = fecs_taskdef_find_locked(c->f, ref);
  if (!td)
    return fecs_fail(c, "ClientException",
                     "Unable to describe task definition.");
  td_response(c, td, fecs_in_includes(c, "TAGS"));
  return 0;
}

int fecs_op_deregister_task_definition(fecs_call *c) {
  const char *ref = NULL;
  if (fecs_in_str(c, "taskDefinition", &ref))
    return -1;
  if (!ref || !strchr(ref, ':'))
    return fecs_fail(c, "ClientException",
                     "taskDefinition must name a revision (family:revision "
                     "or its ARN)");
  fecs_taskdef_rec *td = fecs_taskdef_find_locked(c->f, ref);
  if (!td)
    return fecs_fail(c, "ClientException",
                     "The specified task definition does not exist.");
  if (td->active) {
    td->active = false;
    td->deregistered_us = c->now_us;
    cJSON_ReplaceItemInObjectCaseSensitive(td->json, "status",
                                           cJSON_CreateString("INACTIVE"));
    cJSON_AddNumberToObject(td->json, "deregisteredAt",
                            fecs_ts(td->deregistered_us));
  }
  td_response(c, td, false);
  return 0;
}

static int fam_cmp(const void *a, const void *b) {
  return strcmp((*(fecs_family *const *)a)->name,
                (*(fecs_family *const *)b)->name);
}

int fecs_op_list_task_definitions(fecs_call *c) {
  static const char *const ST[] = {"ACTIVE", "INACTIVE", "DELETE_IN_PROGRESS",
                                   NULL};
  static const char *const SORT[] = {"ASC", "DESC", NULL};
  fecs *f = c->f;
  const char *prefix = NULL, *status = "ACTIVE", *sort = "ASC", *token = NULL;
  int64_t max = 100;
  if (fecs_in_str(c, "familyPrefix", &prefix) ||
      fecs_in_enum(c, "status", ST, &status) ||
      fecs_in_enum(c, "sort", SORT, &sort) ||
      fecs_in_str(c, "nextToken", &token) || fecs_in_max_results(c, 100, &max))
    return -1;
  uint32_t dg = fecs_digest(fecs_digest(fecs_digest(0, prefix), status), sort);
  uint64_t pos = 0;
  if (token && fecs_token_parse(c, token, dg, &pos))
    return -1;
  /* every matching revision, by family name then revision */
  fecs_family **fams = malloc((f->n_families + 1) * sizeof *fams);
  if (!fams)
    return fecs_fail(c, "ServerException", "fake-ecs: out of memory");
  if (f->n_families)
    memcpy(fams, f->families, f->n_families * sizeof *fams);
  qsort(fams, f->n_families, sizeof *fams, fam_cmp);
  size_t total = 0;
  for (size_t i = 0; i < f->n_families; i++)
    total += fams[i]->n;
  const fecs_taskdef_rec **all = malloc((total + 1) * sizeof *all);
  size_t n = 0;
  bool want_active = !strcmp(status, "ACTIVE");
  bool deleting = !strcmp(status, "DELETE_IN_PROGRESS");
  for (size_t i = 0; all && i < f->n_families; i++) {
    if (prefix && strncmp(fams[i]->name, prefix, strlen(prefix)))
      continue;
    for (size_t r = 0; r < fams[i]->n; r++)
      if (!deleting && fams[i]->revs[r]->active == want_active)
        all[n++] = fams[i]->revs[r];
  }
  free(fams);
  if (!all)
    return fecs_fail(c, "ServerException", "fake-ecs: out of memory");
  bool desc = !strcmp(sort, "DESC");
  cJSON *out = cJSON_CreateObject();
  cJSON *arns = cJSON_AddArrayToObject(out, "taskDefinitionArns");
  int64_t k = 0;
  for (size_t i = pos; i < n; i++) {
    if (k == max) {
      char tok[64];
      fecs_token_make(c->op, dg, i, tok);
      cJSON_AddStringToObject(out, "nextToken", tok);
      break;
    }
    const fecs_taskdef_rec *td = all[desc ? n - 1 - i : i];
    cJSON_AddItemToArray(arns, cJSON_CreateString(td->arn));
    k++;
  }
  free(all);
  c->out = out;
  return 0;
}
