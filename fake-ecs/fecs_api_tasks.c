/*
 * fecs_api_tasks.c - the task operations of the ECS API: ListTasks
 * (filters and pagination), DescribeTasks (tasks and MISSING failures),
 * RunTask and StopTask, with AWS's request and response shapes.
 *
 * Called by fecs_api.c with fecs.mu held and the lifecycle advanced to
 * the call's time. Validation errors use AWS's codes
 * (InvalidParameterException, ClientException, ClusterNotFoundException,
 * ServiceNotFoundException) and name the member that was wrong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fecs_internal.h"

static const char *const LAUNCH_TYPES[] = {"EC2", "FARGATE", "EXTERNAL", NULL};

int fecs_op_list_tasks(fecs_call *c) {
  static const char *const DESIRED[] = {"RUNNING", "PENDING", "STOPPED", NULL};
  fecs *f = c->f;
  fecs_cluster_rec *cl;
  const char *family = NULL, *service = NULL, *desired = "RUNNING",
             *started_by = NULL, *instance = NULL, *launch = NULL,
             *token = NULL;
  int64_t max = 100;
  if (fecs_in_cluster(c, &cl) || fecs_in_str(c, "family", &family) ||
      fecs_in_str(c, "serviceName", &service) ||
      fecs_in_enum(c, "desiredStatus", DESIRED, &desired) ||
      fecs_in_str(c, "startedBy", &started_by) ||
      fecs_in_str(c, "containerInstance", &instance) ||
      fecs_in_enum(c, "launchType", LAUNCH_TYPES, &launch) ||
      fecs_in_str(c, "nextToken", &token) || fecs_in_max_results(c, 100, &max))
    return -1;
  char group[300] = "";
  if (service) {
    fecs_service_rec *s = fecs_service_find_locked(f, cl, service);
    if (!s)
      return fecs_fail(c, "ServiceNotFoundException", "Service not found.");
    snprintf(group, sizeof group, "service:%s", s->name);
  }
  uint32_t dg = fecs_digest(0, cl->arn);
  dg = fecs_digest(dg, family);
  dg = fecs_digest(dg, group);
  dg = fecs_digest(dg, desired);
  dg = fecs_digest(dg, started_by);
  dg = fecs_digest(dg, instance);
  dg = fecs_digest(dg, launch);
  uint64_t pos = 0;
  if (token && fecs_token_parse(c, token, dg, &pos))
    return -1;
  cJSON *out = cJSON_CreateObject();
  cJSON *arns = cJSON_AddArrayToObject(out, "taskArns");
  int64_t n = 0;
  for (size_t i = pos; i < f->n_tasks; i++) {
    const fecs_task_rec *t = f->tasks[i];
    if (t->cl != cl || (family && strcmp(family, t->td->family)) ||
        (group[0] && strcmp(group, t->group)) ||
        (started_by && (!t->started_by || strcmp(started_by, t->started_by))) ||
        (launch && strcmp(launch, t->launch_type)))
      continue;
    /* tasks never run on a container instance here */
    if (instance)
      continue;
    fecs_task_state ts;
    fecs_task_state_locked(t, &ts);
    const char *d = ts.desired_stopped ? "STOPPED" : "RUNNING";
    if (strcmp(d, desired))
      continue;
    if (n == max) {
      char tok[64];
      fecs_token_make(c->op, dg, i, tok);
      cJSON_AddStringToObject(out, "nextToken", tok);
      break;
    }
    cJSON_AddItemToArray(arns, cJSON_CreateString(t->arn));
    n++;
  }
  c->out = out;
  return 0;
}

/* The full ARN a DescribeTasks failure names for a reference. */
static void failure_arn(fecs *f, const fecs_cluster_rec *cl, const char *ref,
                        char *out, size_t cap) {
  if (!strncmp(ref, "arn:", 4))
    snprintf(out, cap, "%s", ref);
  else
    snprintf(out, cap, "arn:aws:ecs:%s:%s:task/%s/%s", f->cfg.region,
             f->cfg.account_id, cl->name, ref);
}

int fecs_op_describe_tasks(fecs_call *c) {
  fecs *f = c->f;
  fecs_cluster_rec *cl;
  const cJSON *refs = NULL;
  /* The input is checked before it is looked up, as AWS does. */
  if (fecs_in_strlist(c, "tasks", &refs) || fecs_in_cluster(c, &cl))
    return -1;
  int n = refs ? cJSON_GetArraySize(refs) : 0;
  if (n == 0)
    return fecs_fail(c, "InvalidParameterException", "Tasks cannot be empty.");
  if (n > 100)
    return fecs_fail(c, "InvalidParameterException",
                     "tasks can have at most 100 items (got %d)", n);
  bool tags = fecs_in_includes(c, "TAGS");
  cJSON *out = cJSON_CreateObject();
  cJSON *ts = cJSON_AddArrayToObject(out, "tasks");
  cJSON *fs = cJSON_AddArrayToObject(out, "failures");
  for (const cJSON *r = refs->child; r; r = r->next) {
    fecs_task_rec *t = fecs_task_find_locked(f, r->valuestring);
    if (t && t->cl == cl) {
      cJSON_AddItemToArray(ts, c->wire ? fecs_task_json_wire(f, t, tags)
                                       : fecs_task_json(f, t, tags));
    } else {
      char arn[FECS_ARN_MAX + 300];
      failure_arn(f, cl, r->valuestring, arn, sizeof arn);
      cJSON *x = cJSON_CreateObject();
      cJSON_AddStringToObject(x, "arn", arn);
      cJSON_AddStringToObject(x, "reason", "MISSING");
      cJSON_AddItemToArray(fs, x);
    }
  }
  c->out = out;
  return 0;
}

int fecs_op_run_task(fecs_call *c) {
  fecs *f = c->f;
  fecs_cluster_rec *cl;
  const char *tdref = NULL, *started_by = NULL, *group = NULL, *launch = NULL;
  const cJSON *tags = NULL, *ignored = NULL;
  bool have_count = false;
  int64_t count = 1;
  if (fecs_in_cluster(c, &cl) || fecs_in_str(c, "taskDefinition", &tdref) ||
      fecs_in_int(c, "count", &have_count, &count) ||
      fecs_in_str(c, "startedBy", &started_by) ||
      fecs_in_str(c, "group", &group) ||
      fecs_in_enum(c, "launchType", LAUNCH_TYPES, &launch) ||
      fecs_in_tags(c, "tags", &tags) ||
      fecs_in_array(c, "capacityProviderStrategy", &ignored))
    return -1;
  if (!tdref || !*tdref)
    return fecs_fail(c, "ClientException", "TaskDefinition can not be blank.");
  if (!have_count)
    count = 1;
  if (count < 1 || count > 10)
    return fecs_fail(c, "InvalidParameterException",
                     "count must be between 1 and 10 (got %lld)",
                     (long long)count);
  if (started_by && strlen(started_by) > 128)
    return fecs_fail(c, "InvalidParameterException",
                     "startedBy can have at most 128 characters");
  if (group && (strlen(group) < 1 || strlen(group) > 255))
    return fecs_fail(c, "InvalidParameterException",
                     "group must have 1-255 characters");
  fecs_taskdef_rec *td = fecs_taskdef_find_locked(f, tdref);
  if (!td)
    return fecs_fail(c, "ClientException", "TaskDefinition not found: '%.300s'",
                     tdref);
  if (!td->active)
    return fecs_fail(c, "ClientException",
                     "TaskDefinition is inactive: '%.300s'", td->arn);
  fecs_new_task nt = {.cl = cl,
                      .td = td,
                      .group = group,
                      .started_by = started_by,
                      .launch_type = launch,
                      .tags = tags};
  cJSON *out = cJSON_CreateObject();
  cJSON *ts = cJSON_AddArrayToObject(out, "tasks");
  cJSON *fs = cJSON_AddArrayToObject(out, "failures");
  for (int64_t i = 0; i < count; i++) {
    fecs_task_rec *t = NULL;
    ecsb_err err = {0};
    if (fecs_task_create_locked(f, &nt, &t, &err)) {
      if (i == 0) {
        cJSON_Delete(out);
        return fecs_fail(c, "ClientException", "%s", err.msg);
      }
      cJSON *x = cJSON_CreateObject();
      cJSON_AddStringToObject(x, "reason", "RESOURCE:TASKS");
      cJSON_AddStringToObject(x, "detail", err.msg);
      cJSON_AddItemToArray(fs, x);
      continue;
    }
    cJSON_AddItemToArray(ts, fecs_task_json(f, t, tags != NULL));
  }
  c->out = out;
  return 0;
}

int fecs_op_stop_task(fecs_call *c) {
  fecs *f = c->f;
  fecs_cluster_rec *cl;
  const char *ref = NULL, *reason = NULL;
  if (fecs_in_cluster(c, &cl) || fecs_in_str(c, "task", &ref) ||
      fecs_in_str(c, "reason", &reason))
    return -1;
  if (!ref || !*ref)
    return fecs_fail(c, "InvalidParameterException", "task can not be blank.");
  if (reason && strlen(reason) > 255)
    return fecs_fail(c, "InvalidParameterException",
                     "reason can have at most 255 characters (got %zu)",
                     strlen(reason));
  fecs_task_rec *t = fecs_task_find_locked(f, ref);
  if (!t || t->cl != cl)
    return fecs_fail(c, "InvalidParameterException",
                     "The referenced task was not found.");
  fecs_task_request_stop_locked(f, t, "UserInitiated", reason, c->now_us);
  c->out = cJSON_CreateObject();
  cJSON_AddItemToObject(c->out, "task", fecs_task_json(f, t, false));
  return 0;
}
