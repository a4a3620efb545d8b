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
 * The rules and their messages (and the defaults above) are
 * ecs-taskdef's (etd/taskdef.h), shared with the agent simulator, the
 * scenario loader and lint, so all of them refuse the same task
 * definitions in the same words; this file adds the server's fields.
 *
 * Called by fecs_api.c and fecs.c with fecs.mu held.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etd/taskdef.h"
#include "fecs_internal.h"

static const cJSON *get(const cJSON *o, const char *k) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsNull(j) ? NULL : j;
}

static void default_item(cJSON *o, const char *k, cJSON *item) {
  if (!get(o, k)) {
    cJSON_DeleteItemFromObjectCaseSensitive(o, k);
    cJSON_AddItemToObject(o, k, item);
  } else {
    cJSON_Delete(item);
  }
}

static int fail(const char **code, char *msg, size_t cap, const char *c,
                const char *m) {
  *code = c;
  snprintf(msg, cap, "%s", m);
  return -1;
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
  *out = NULL;
  fecs_taskdef_rec *td = calloc(1, sizeof *td);
  if (!td)
    return fail(err_code, msg, cap, "ServerException",
                "fake-ecs: out of memory");
  /* ECS's rules, messages and defaults are ecs-taskdef's; the server's
   * own fields are added here. */
  etd_opts eo = {.register_only = true};
  etd_problems ps = {0};
  etd_taskdef *t = NULL;
  ecsb_err e = {0};
  if (etd_parse(req, &eo, &t, &ps, &e)) {
    fail(err_code, msg, cap,
         e.code == ECSB_ENOMEM ? "ServerException"
         : ps.n                ? ps.v[0].exception
                               : "ClientException",
         e.code == ECSB_ENOMEM ? "fake-ecs: out of memory" : e.msg);
    etd_problems_clear(&ps);
    free(td);
    return -1;
  }
  td->cdefs = calloc(t->n_containers, sizeof *td->cdefs);
  if (!td->cdefs)
    goto oom;
  for (size_t i = 0; i < t->n_containers; i++) {
    const etd_container *c = &t->containers[i];
    fecs_cdef *d = &td->cdefs[i];
    td->n_cdefs = i + 1;
    d->name = strdup(c->name);
    d->image = strdup(c->image);
    d->essential = c->essential;
    d->has_hc = c->health.command != NULL;
    d->cpu = c->cpu;
    d->memory = c->memory;
    if (!d->name || !d->image)
      goto oom;
  }
  bool awsvpc = t->awsvpc, any_hc = t->any_health_check,
       any_dep = t->any_depends_on;
  td->json = etd_taskdef_take_json(t);
  cJSON *j = td->json;
  const cJSON *fam = get(j, "family"), *role = get(j, "taskRoleArn"),
              *cpu = get(j, "cpu"), *mem = get(j, "memory");
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
  etd_taskdef_free(t);
  return 0;
oom:
  etd_taskdef_free(t);
  fecs_taskdef_free(td);
  return fail(err_code, msg, cap, "ServerException", "fake-ecs: out of memory");
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
