/*
 * fecs_api_clusters.c - the cluster and service operations of the ECS
 * API: CreateCluster, DescribeClusters, ListClusters, CreateService,
 * DescribeServices, ListServices.
 *
 * Services exist to give tasks a service name: CreateService starts
 * desiredCount tasks in group "service:<name>" with startedBy
 * "ecs-svc/<digits>" as ECS's scheduler does; there is no further
 * reconciliation (a stopped service task is not replaced). Called by
 * fecs_api.c with fecs.mu held.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fecs_internal.h"

int fecs_op_create_cluster(fecs_call *c) {
  fecs *f = c->f;
  const char *name = "default";
  const cJSON *tags = NULL, *settings = NULL;
  if (fecs_in_str(c, "clusterName", &name) || fecs_in_tags(c, "tags", &tags) ||
      fecs_in_array(c, "settings", &settings))
    return -1;
  if (!fecs_valid_name(name))
    return fecs_fail(c, "InvalidParameterException",
                     "clusterName '%.300s': up to 255 letters (uppercase and "
                     "lowercase), numbers, hyphens, and underscores are "
                     "allowed",
                     name);
  fecs_cluster_rec *cl = NULL;
  ecsb_err err = {0};
  bool existed = fecs_cluster_find_locked(f, name) != NULL;
  if (fecs_cluster_create_locked(f, name, &cl, &err))
    return fecs_fail(c, "ServerException", "%s", err.msg);
  if (!existed) {
    if (tags)
      cl->tags = cJSON_Duplicate(tags, 1);
    if (settings)
      cl->settings = cJSON_Duplicate(settings, 1);
  }
  c->out = cJSON_CreateObject();
  cJSON_AddItemToObject(c->out, "cluster",
                        fecs_cluster_json(f, cl, true, true, false));
  return 0;
}

int fecs_op_describe_clusters(fecs_call *c) {
  fecs *f = c->f;
  const cJSON *refs = NULL;
  if (fecs_in_strlist(c, "clusters", &refs))
    return -1;
  int n = refs ? cJSON_GetArraySize(refs) : 0;
  if (n > 100)
    return fecs_fail(c, "InvalidParameterException",
                     "clusters can have at most 100 items (got %d)", n);
  bool tags = fecs_in_includes(c, "TAGS");
  bool settings = fecs_in_includes(c, "SETTINGS");
  bool stats = fecs_in_includes(c, "STATISTICS");
  cJSON *out = cJSON_CreateObject();
  cJSON *cs = cJSON_AddArrayToObject(out, "clusters");
  cJSON *fs = cJSON_AddArrayToObject(out, "failures");
  const cJSON *r = refs ? refs->child : NULL;
  /* no list: the default cluster, as in ECS */
  for (int i = 0; i < (n ? n : 1); i++, r = r ? r->next : NULL) {
    const char *ref = r ? r->valuestring : "default";
    fecs_cluster_rec *cl = fecs_cluster_find_locked(f, ref);
    if (cl) {
      cJSON_AddItemToArray(cs, fecs_cluster_json(f, cl, tags, settings, stats));
      continue;
    }
    cJSON *x = cJSON_CreateObject();
    char *arn = strncmp(ref, "arn:", 4)
                    ? fecs_strprintf("arn:aws:ecs:%s:%s:cluster/%s",
                                     f->cfg.region, f->cfg.account_id, ref)
                    : strdup(ref);
    cJSON_AddStringToObject(x, "arn", arn ? arn : ref);
    free(arn);
    cJSON_AddStringToObject(x, "reason", "MISSING");
    cJSON_AddItemToArray(fs, x);
  }
  c->out = out;
  return 0;
}

int fecs_op_list_clusters(fecs_call *c) {
  fecs *f = c->f;
  const char *token = NULL;
  int64_t max = 100;
  if (fecs_in_str(c, "nextToken", &token) || fecs_in_max_results(c, 100, &max))
    return -1;
  uint64_t pos = 0;
  if (token && fecs_token_parse(c, token, 1, &pos))
    return -1;
  cJSON *out = cJSON_CreateObject();
  cJSON *arns = cJSON_AddArrayToObject(out, "clusterArns");
  int64_t n = 0;
  for (size_t i = pos; i < f->n_clusters; i++) {
    if (n == max) {
      char tok[64];
      fecs_token_make(c->op, 1, i, tok);
      cJSON_AddStringToObject(out, "nextToken", tok);
      break;
    }
    cJSON_AddItemToArray(arns, cJSON_CreateString(f->clusters[i]->arn));
    n++;
  }
  c->out = out;
  return 0;
}

int fecs_op_create_service(fecs_call *c) {
  static const char *const LT[] = {"EC2", "FARGATE", "EXTERNAL", NULL};
  fecs *f = c->f;
  fecs_cluster_rec *cl;
  const char *name = NULL, *tdref = NULL, *launch = "FARGATE";
  const cJSON *tags = NULL;
  bool have_desired = false;
  int64_t desired = 1;
  if (fecs_in_cluster(c, &cl) || fecs_in_str(c, "serviceName", &name) ||
      fecs_in_str(c, "taskDefinition", &tdref) ||
      fecs_in_int(c, "desiredCount", &have_desired, &desired) ||
      fecs_in_enum(c, "launchType", LT, &launch) ||
      fecs_in_tags(c, "tags", &tags))
    return -1;
  if (!name || !fecs_valid_name(name))
    return fecs_fail(c, "InvalidParameterException",
                     "serviceName: up to 255 letters (uppercase and "
                     "lowercase), numbers, hyphens, and underscores are "
                     "allowed");
  if (!tdref || !*tdref)
    return fecs_fail(c, "InvalidParameterException",
                     "taskDefinition is required for a service that uses the "
                     "ECS deployment controller");
  if (!have_desired)
    desired = 1;
  if (desired < 0 || desired > 1000)
    return fecs_fail(c, "InvalidParameterException",
                     "desiredCount must be between 0 and 1000 here (got %lld)",
                     (long long)desired);
  if (fecs_service_find_locked(f, cl, name))
    return fecs_fail(c, "InvalidParameterException",
                     "Creation of service was not idempotent.");
  fecs_taskdef_rec *td = fecs_taskdef_find_locked(f, tdref);
  if (!td || !td->active)
    return fecs_fail(c, "ClientException", "TaskDefinition not found: '%.300s'",
                     tdref);
  fecs_service_rec *s = calloc(1, sizeof *s);
  char digits[20];
  for (int i = 0; i < 19; i++)
    digits[i] = (char)('0' + ecsb_rng_below(&f->rng, 10));
  digits[19] = '\0';
  if (s) {
    s->name = strdup(name);
    s->arn = fecs_strprintf("arn:aws:ecs:%s:%s:service/%s/%s", f->cfg.region,
                            f->cfg.account_id, cl->name, name);
    s->cl = cl;
    s->td = td;
    s->desired = (int)desired;
    s->launch_type = strdup(launch);
    s->started_by = fecs_strprintf("ecs-svc/%s", digits);
    s->created_us = c->now_us;
    s->tags = tags ? cJSON_Duplicate(tags, 1) : NULL;
  }
  ecsb_err err = {0};
  if (!s || !s->name || !s->arn || !s->launch_type || !s->started_by ||
      fecs_service_add_locked(f, s, &err)) {
    if (s) {
      free(s->name);
      free(s->arn);
      free(s->launch_type);
      free(s->started_by);
      cJSON_Delete(s->tags);
      free(s);
    }
    return fecs_fail(c, "ServerException", "fake-ecs: out of memory");
  }
  char group[300];
  snprintf(group, sizeof group, "service:%s", name);
  fecs_new_task nt = {.cl = cl,
                      .td = td,
                      .group = group,
                      .started_by = s->started_by,
                      .launch_type = launch};
  for (int64_t i = 0; i < desired; i++) {
    fecs_task_rec *t;
    if (fecs_task_create_locked(f, &nt, &t, &err))
      break; /* the service exists; ECS would report it in its events */
  }
  c->out = cJSON_CreateObject();
  cJSON_AddItemToObject(c->out, "service",
                        fecs_service_json(f, s, tags != NULL));
  return 0;
}

int fecs_op_describe_services(fecs_call *c) {
  fecs *f = c->f;
  fecs_cluster_rec *cl;
  const cJSON *refs = NULL;
  if (fecs_in_cluster(c, &cl) || fecs_in_strlist(c, "services", &refs))
    return -1;
  int n = refs ? cJSON_GetArraySize(refs) : 0;
  if (n < 1 || n > 10)
    return fecs_fail(c, "InvalidParameterException",
                     "services must have 1-10 items (got %d)", n);
  bool tags = fecs_in_includes(c, "TAGS");
  cJSON *out = cJSON_CreateObject();
  cJSON *ss = cJSON_AddArrayToObject(out, "services");
  cJSON *fs = cJSON_AddArrayToObject(out, "failures");
  for (const cJSON *r = refs->child; r; r = r->next) {
    fecs_service_rec *s = fecs_service_find_locked(f, cl, r->valuestring);
    if (s) {
      cJSON_AddItemToArray(ss, fecs_service_json(f, s, tags));
      continue;
    }
    cJSON *x = cJSON_CreateObject();
    char *arn =
        strncmp(r->valuestring, "arn:", 4)
            ? fecs_strprintf("arn:aws:ecs:%s:%s:service/%s/%s", f->cfg.region,
                             f->cfg.account_id, cl->name, r->valuestring)
            : strdup(r->valuestring);
    cJSON_AddStringToObject(x, "arn", arn ? arn : r->valuestring);
    free(arn);
    cJSON_AddStringToObject(x, "reason", "MISSING");
    cJSON_AddItemToArray(fs, x);
  }
  c->out = out;
  return 0;
}

int fecs_op_list_services(fecs_call *c) {
  static const char *const LT[] = {"EC2", "FARGATE", "EXTERNAL", NULL};
  static const char *const SS[] = {"REPLICA", "DAEMON", NULL};
  fecs *f = c->f;
  fecs_cluster_rec *cl;
  const char *token = NULL, *launch = NULL, *sched = NULL;
  int64_t max = 10;
  if (fecs_in_cluster(c, &cl) || fecs_in_str(c, "nextToken", &token) ||
      fecs_in_enum(c, "launchType", LT, &launch) ||
      fecs_in_enum(c, "schedulingStrategy", SS, &sched) ||
      fecs_in_max_results(c, 10, &max))
    return -1;
  uint32_t dg =
      fecs_digest(fecs_digest(fecs_digest(0, cl->arn), launch), sched);
  uint64_t pos = 0;
  if (token && fecs_token_parse(c, token, dg, &pos))
    return -1;
  cJSON *out = cJSON_CreateObject();
  cJSON *arns = cJSON_AddArrayToObject(out, "serviceArns");
  int64_t n = 0;
  for (size_t i = pos; i < f->n_services; i++) {
    const fecs_service_rec *s = f->services[i];
    if (s->cl != cl || (launch && strcmp(launch, s->launch_type)) ||
        (sched && strcmp(sched, "REPLICA")))
      continue;
    if (n == max) {
      char tok[64];
      fecs_token_make(c->op, dg, i, tok);
      cJSON_AddStringToObject(out, "nextToken", tok);
      break;
    }
    cJSON_AddItemToArray(arns, cJSON_CreateString(s->arn));
    n++;
  }
  c->out = out;
  return 0;
}
