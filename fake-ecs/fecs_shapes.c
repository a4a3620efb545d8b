/*
 * fecs_shapes.c - fake-ecs's records rendered as AWS renders them: the ECS
 * API shapes (Task, Container, Cluster, Service; field names as in the ECS
 * API Reference, timestamps as epoch seconds with a fraction) and the task
 * metadata v4 shapes (PascalCase, RFC 3339 timestamps, Docker-style stats).
 *
 * Called by the operations and the endpoint handler under fecs.mu. Pure
 * apart from reading the clock for /stats. A NULL return means ENOMEM.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ecsb/sigv4.h"
#include "fecs_internal.h"

double fecs_ts(int64_t us) {
  /* milliseconds, as ECS sends them (1603137383.407) */
  int64_t ms = us >= 0 ? (us + 500) / 1000 : (us - 500) / 1000;
  return (double)ms / 1000.0;
}

static void add_ts(cJSON *o, const char *k, int64_t us) {
  if (us != FECS_NEVER_US)
    cJSON_AddNumberToObject(o, k, fecs_ts(us));
}

static void add_str(cJSON *o, const char *k, const char *v) {
  if (v)
    cJSON_AddStringToObject(o, k, v);
}

void fecs_add_tags(cJSON *obj, const char *key, const cJSON *tags) {
  if (cJSON_IsArray(tags) && cJSON_GetArraySize(tags) > 0)
    cJSON_AddItemToObject(obj, key, cJSON_Duplicate(tags, 1));
}

static cJSON *name_value(const char *name, const char *value) {
  cJSON *d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "name", name);
  cJSON_AddStringToObject(d, "value", value);
  return d;
}

static void dns_name(const fecs_task_rec *t, char *out, size_t cap) {
  char ip[FECS_IP_MAX];
  snprintf(ip, sizeof ip, "%s", t->ip);
  for (char *p = ip; *p; p++)
    if (*p == '.')
      *p = '-';
  snprintf(out, cap, "ip-%s.ec2.internal", ip);
}

static cJSON *container_json(const fecs_task_rec *t, size_t i) {
  const fecs_ctr *c = &t->ctrs[i];
  fecs_ctr_state cs;
  fecs_ctr_state_locked(t, i, &cs);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "containerArn", c->arn);
  cJSON_AddStringToObject(o, "taskArn", t->arn);
  cJSON_AddStringToObject(o, "name", c->name);
  cJSON_AddStringToObject(o, "image", c->image);
  cJSON_AddStringToObject(o, "runtimeId", c->runtime_id);
  cJSON_AddStringToObject(o, "lastStatus", fecs_cs_names[cs.status]);
  if (cs.has_exit)
    cJSON_AddNumberToObject(o, "exitCode", cs.exit_code);
  add_str(o, "reason", cs.reason);
  cJSON_AddItemToObject(o, "networkBindings", cJSON_CreateArray());
  cJSON *nis = cJSON_AddArrayToObject(o, "networkInterfaces");
  cJSON *ni = cJSON_CreateObject();
  cJSON_AddStringToObject(ni, "attachmentId", t->attachment_id);
  cJSON_AddStringToObject(ni, "privateIpv4Address", t->ip);
  cJSON_AddItemToArray(nis, ni);
  cJSON_AddStringToObject(o, "healthStatus", fecs_h_names[cs.health]);
  char cpu[24];
  snprintf(cpu, sizeof cpu, "%lld", (long long)c->cpu);
  cJSON_AddStringToObject(o, "cpu", cpu);
  if (c->memory > 0) {
    char mem[24];
    snprintf(mem, sizeof mem, "%lld", (long long)c->memory);
    cJSON_AddStringToObject(o, "memory", mem);
  }
  return o;
}

cJSON *fecs_task_json_wire(fecs *f, fecs_task_rec *t, bool tags) {
  int k = tags ? 1 : 0;
  fecs_task_state ts;
  fecs_task_state_locked(t, &ts);
  if (!t->wire[k] || t->wire_version[k] != ts.version) {
    cJSON *o = fecs_task_json(f, t, tags);
    char *text = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!text)
      return NULL;
    free(t->wire[k]);
    t->wire[k] = text;
    t->wire_version[k] = ts.version;
  }
  return cJSON_CreateRaw(t->wire[k]);
}

cJSON *fecs_task_json(fecs *f, const fecs_task_rec *t, bool tags) {
  (void)f;
  fecs_task_state ts;
  fecs_task_state_locked(t, &ts);
  cJSON *o = cJSON_CreateObject();
  if (!o)
    return NULL;
  cJSON *atts = cJSON_AddArrayToObject(o, "attachments");
  cJSON *a = cJSON_CreateObject();
  cJSON_AddStringToObject(a, "id", t->attachment_id);
  cJSON_AddStringToObject(a, "type", "ElasticNetworkInterface");
  const char *ast = ts.status == FECS_LS_STOPPED        ? "DELETED"
                    : ts.status == FECS_LS_PROVISIONING ? "PRECREATED"
                                                        : "ATTACHED";
  cJSON_AddStringToObject(a, "status", ast);
  cJSON *det = cJSON_AddArrayToObject(a, "details");
  char dns[64];
  dns_name(t, dns, sizeof dns);
  cJSON_AddItemToArray(det, name_value("subnetId", t->subnet));
  cJSON_AddItemToArray(det, name_value("networkInterfaceId", t->eni));
  cJSON_AddItemToArray(det, name_value("macAddress", t->mac));
  cJSON_AddItemToArray(det, name_value("privateDnsName", dns));
  cJSON_AddItemToArray(det, name_value("privateIPv4Address", t->ip));
  cJSON_AddItemToArray(atts, a);
  cJSON *attrs = cJSON_AddArrayToObject(o, "attributes");
  cJSON_AddItemToArray(attrs, name_value("ecs.cpu-architecture", "x86_64"));
  cJSON_AddStringToObject(o, "availabilityZone", t->az);
  cJSON_AddStringToObject(o, "clusterArn", t->cl->arn);
  if (ts.connectivity_us != FECS_NEVER_US) {
    cJSON_AddStringToObject(o, "connectivity", "CONNECTED");
    add_ts(o, "connectivityAt", ts.connectivity_us);
  }
  cJSON *cs = cJSON_AddArrayToObject(o, "containers");
  for (size_t i = 0; i < t->n_ctrs; i++)
    cJSON_AddItemToArray(cs, container_json(t, i));
  add_str(o, "cpu", t->td->cpu);
  add_ts(o, "createdAt", t->created_us);
  cJSON_AddStringToObject(o, "desiredStatus",
                          ts.desired_stopped ? "STOPPED" : "RUNNING");
  cJSON_AddBoolToObject(o, "enableExecuteCommand", 0);
  add_ts(o, "executionStoppedAt", ts.exec_stopped_us);
  cJSON_AddStringToObject(o, "group", t->group);
  cJSON_AddStringToObject(o, "healthStatus", fecs_h_names[ts.health]);
  cJSON_AddStringToObject(o, "lastStatus", fecs_ls_names[ts.status]);
  cJSON_AddStringToObject(o, "launchType", t->launch_type);
  add_str(o, "memory", t->td->memory);
  cJSON *ov = cJSON_AddObjectToObject(o, "overrides");
  cJSON *co = cJSON_AddArrayToObject(ov, "containerOverrides");
  for (size_t i = 0; i < t->n_ctrs; i++) {
    cJSON *x = cJSON_CreateObject();
    cJSON_AddStringToObject(x, "name", t->ctrs[i].name);
    cJSON_AddItemToArray(co, x);
  }
  cJSON_AddItemToObject(ov, "inferenceAcceleratorOverrides",
                        cJSON_CreateArray());
  if (!strcmp(t->launch_type, "FARGATE")) {
    cJSON_AddStringToObject(o, "platformVersion", "1.4.0");
    cJSON_AddStringToObject(o, "platformFamily", "Linux");
    cJSON *es = cJSON_AddObjectToObject(o, "ephemeralStorage");
    cJSON_AddNumberToObject(es, "sizeInGiB", 20);
  }
  add_ts(o, "pullStartedAt", ts.pull_started_us);
  add_ts(o, "pullStoppedAt", ts.pull_stopped_us);
  add_ts(o, "startedAt", ts.started_us);
  add_str(o, "startedBy", t->started_by);
  add_str(o, "stopCode", ts.stop_code);
  add_ts(o, "stoppedAt", ts.stopped_us);
  add_str(o, "stoppedReason", ts.stopped_reason);
  add_ts(o, "stoppingAt", ts.desired_stopped ? ts.stopping_us : FECS_NEVER_US);
  if (tags)
    cJSON_AddItemToObject(
        o, "tags", t->tags ? cJSON_Duplicate(t->tags, 1) : cJSON_CreateArray());
  cJSON_AddStringToObject(o, "taskArn", t->arn);
  cJSON_AddStringToObject(o, "taskDefinitionArn", t->td->arn);
  cJSON_AddNumberToObject(o, "version", (double)ts.version);
  return o;
}

cJSON *fecs_cluster_json(fecs *f, const fecs_cluster_rec *c, bool tags,
                         bool settings, bool stats) {
  cJSON *o = cJSON_CreateObject();
  if (!o)
    return NULL;
  int running = 0, pending = 0, services = 0;
  for (size_t i = 0; i < f->n_tasks; i++) {
    const fecs_task_rec *t = f->tasks[i];
    if (t->cl != c)
      continue;
    fecs_task_state ts;
    fecs_task_state_locked(t, &ts);
    running += ts.status == FECS_LS_RUNNING;
    pending += ts.status < FECS_LS_RUNNING && !ts.desired_stopped;
  }
  for (size_t i = 0; i < f->n_services; i++)
    services += f->services[i]->cl == c;
  cJSON_AddStringToObject(o, "clusterArn", c->arn);
  cJSON_AddStringToObject(o, "clusterName", c->name);
  cJSON_AddStringToObject(o, "status", "ACTIVE");
  cJSON_AddNumberToObject(o, "registeredContainerInstancesCount", 0);
  cJSON_AddNumberToObject(o, "runningTasksCount", running);
  cJSON_AddNumberToObject(o, "pendingTasksCount", pending);
  cJSON_AddNumberToObject(o, "activeServicesCount", services);
  cJSON *st = cJSON_AddArrayToObject(o, "statistics");
  if (stats) {
    char n[24];
    snprintf(n, sizeof n, "%d", running);
    cJSON_AddItemToArray(st, name_value("runningFargateTasksCount", n));
    snprintf(n, sizeof n, "%d", pending);
    cJSON_AddItemToArray(st, name_value("pendingFargateTasksCount", n));
  }
  if (tags)
    cJSON_AddItemToObject(
        o, "tags", c->tags ? cJSON_Duplicate(c->tags, 1) : cJSON_CreateArray());
  if (settings) {
    if (c->settings) {
      cJSON_AddItemToObject(o, "settings", cJSON_Duplicate(c->settings, 1));
    } else {
      cJSON *s = cJSON_AddArrayToObject(o, "settings");
      cJSON_AddItemToArray(s, name_value("containerInsights", "disabled"));
    }
  }
  cJSON_AddItemToObject(o, "capacityProviders", cJSON_CreateArray());
  cJSON_AddItemToObject(o, "defaultCapacityProviderStrategy",
                        cJSON_CreateArray());
  return o;
}

cJSON *fecs_service_json(fecs *f, const fecs_service_rec *s, bool tags) {
  cJSON *o = cJSON_CreateObject();
  if (!o)
    return NULL;
  char group[300];
  snprintf(group, sizeof group, "service:%s", s->name);
  int running = 0, pending = 0;
  for (size_t i = 0; i < f->n_tasks; i++) {
    const fecs_task_rec *t = f->tasks[i];
    if (t->cl != s->cl || strcmp(t->group, group))
      continue;
    fecs_task_state ts;
    fecs_task_state_locked(t, &ts);
    if (ts.desired_stopped)
      continue;
    running += ts.status == FECS_LS_RUNNING;
    pending += ts.status < FECS_LS_RUNNING;
  }
  cJSON_AddStringToObject(o, "serviceArn", s->arn);
  cJSON_AddStringToObject(o, "serviceName", s->name);
  cJSON_AddStringToObject(o, "clusterArn", s->cl->arn);
  cJSON_AddItemToObject(o, "loadBalancers", cJSON_CreateArray());
  cJSON_AddItemToObject(o, "serviceRegistries", cJSON_CreateArray());
  cJSON_AddStringToObject(o, "status", "ACTIVE");
  cJSON_AddNumberToObject(o, "desiredCount", s->desired);
  cJSON_AddNumberToObject(o, "runningCount", running);
  cJSON_AddNumberToObject(o, "pendingCount", pending);
  cJSON_AddStringToObject(o, "launchType", s->launch_type);
  if (!strcmp(s->launch_type, "FARGATE"))
    cJSON_AddStringToObject(o, "platformVersion", "LATEST");
  cJSON_AddStringToObject(o, "taskDefinition", s->td->arn);
  cJSON *dc = cJSON_AddObjectToObject(o, "deploymentConfiguration");
  cJSON_AddNumberToObject(dc, "maximumPercent", 200);
  cJSON_AddNumberToObject(dc, "minimumHealthyPercent", 100);
  cJSON *deps = cJSON_AddArrayToObject(o, "deployments");
  cJSON *d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "id", s->started_by);
  cJSON_AddStringToObject(d, "status", "PRIMARY");
  cJSON_AddStringToObject(d, "taskDefinition", s->td->arn);
  cJSON_AddNumberToObject(d, "desiredCount", s->desired);
  cJSON_AddNumberToObject(d, "pendingCount", pending);
  cJSON_AddNumberToObject(d, "runningCount", running);
  cJSON_AddNumberToObject(d, "failedTasks", 0);
  add_ts(d, "createdAt", s->created_us);
  add_ts(d, "updatedAt", s->created_us);
  cJSON_AddStringToObject(d, "launchType", s->launch_type);
  cJSON_AddStringToObject(d, "rolloutState",
                          running >= s->desired ? "COMPLETED" : "IN_PROGRESS");
  cJSON_AddItemToArray(deps, d);
  cJSON_AddItemToObject(o, "events", cJSON_CreateArray());
  add_ts(o, "createdAt", s->created_us);
  cJSON_AddItemToObject(o, "placementConstraints", cJSON_CreateArray());
  cJSON_AddItemToObject(o, "placementStrategy", cJSON_CreateArray());
  cJSON_AddStringToObject(o, "schedulingStrategy", "REPLICA");
  cJSON_AddBoolToObject(o, "enableECSManagedTags", 0);
  cJSON_AddStringToObject(o, "propagateTags", "NONE");
  cJSON_AddBoolToObject(o, "enableExecuteCommand", 0);
  if (tags)
    cJSON_AddItemToObject(
        o, "tags", s->tags ? cJSON_Duplicate(s->tags, 1) : cJSON_CreateArray());
  return o;
}

/* ---- task metadata v4 -----------------------------------------------------
 */

static void rfc3339(int64_t us, char *out, size_t cap) {
  time_t s = (time_t)(us / 1000000);
  struct tm tm;
  gmtime_r(&s, &tm);
  char base[32];
  strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out, cap, "%s.%06lldZ", base, (long long)(us % 1000000));
}

static void add_rfc(cJSON *o, const char *k, int64_t us) {
  if (us == FECS_NEVER_US)
    return;
  char b[48];
  rfc3339(us, b, sizeof b);
  cJSON_AddStringToObject(o, k, b);
}

cJSON *fecs_md_container_json(fecs *f, const fecs_task_rec *t,
                              const fecs_ctr *c) {
  (void)f;
  fecs_task_state ts;
  fecs_task_state_locked(t, &ts);
  fecs_ctr_state cs;
  fecs_ctr_state_locked(t, (size_t)(c - t->ctrs), &cs);
  cJSON *o = cJSON_CreateObject();
  if (!o)
    return NULL;
  char buf[512], img[65];
  cJSON_AddStringToObject(o, "DockerId", c->runtime_id);
  cJSON_AddStringToObject(o, "Name", c->name);
  snprintf(buf, sizeof buf, "ecs-%s-%d-%s", t->td->family, t->td->revision,
           c->name);
  cJSON_AddStringToObject(o, "DockerName", buf);
  cJSON_AddStringToObject(o, "Image", c->image);
  ecsb_sigv4_sha256_hex(c->image, strlen(c->image), img);
  snprintf(buf, sizeof buf, "sha256:%s", img);
  cJSON_AddStringToObject(o, "ImageID", buf);
  cJSON *l = cJSON_AddObjectToObject(o, "Labels");
  cJSON_AddStringToObject(l, "com.amazonaws.ecs.cluster", t->cl->arn);
  cJSON_AddStringToObject(l, "com.amazonaws.ecs.container-name", c->name);
  cJSON_AddStringToObject(l, "com.amazonaws.ecs.task-arn", t->arn);
  cJSON_AddStringToObject(l, "com.amazonaws.ecs.task-definition-family",
                          t->td->family);
  snprintf(buf, sizeof buf, "%d", t->td->revision);
  cJSON_AddStringToObject(l, "com.amazonaws.ecs.task-definition-version", buf);
  cJSON_AddStringToObject(o, "DesiredStatus",
                          ts.desired_stopped ? "STOPPED" : "RUNNING");
  cJSON_AddStringToObject(o, "KnownStatus", fecs_cs_names[cs.status]);
  cJSON *lim = cJSON_AddObjectToObject(o, "Limits");
  cJSON_AddNumberToObject(lim, "CPU", (double)c->cpu);
  if (c->memory > 0)
    cJSON_AddNumberToObject(lim, "Memory", (double)c->memory);
  add_rfc(o, "CreatedAt", t->created_us);
  add_rfc(o, "StartedAt", cs.started_us);
  add_rfc(o, "FinishedAt", cs.finished_us);
  if (cs.has_exit)
    cJSON_AddNumberToObject(o, "ExitCode", cs.exit_code);
  cJSON_AddStringToObject(o, "Type", "NORMAL");
  cJSON_AddStringToObject(o, "ContainerARN", c->arn);
  cJSON *nets = cJSON_AddArrayToObject(o, "Networks");
  cJSON *n = cJSON_CreateObject();
  cJSON_AddStringToObject(n, "NetworkMode", "awsvpc");
  cJSON *ips = cJSON_AddArrayToObject(n, "IPv4Addresses");
  cJSON_AddItemToArray(ips, cJSON_CreateString(t->ip));
  cJSON_AddNumberToObject(n, "AttachmentIndex", 0);
  cJSON_AddStringToObject(n, "MACAddress", t->mac);
  cJSON_AddStringToObject(n, "IPv4SubnetCIDRBlock", "127.0.0.0/8");
  dns_name(t, buf, sizeof buf);
  cJSON_AddStringToObject(n, "PrivateDNSName", buf);
  cJSON_AddStringToObject(n, "SubnetGatewayIpv4Address", "127.0.0.1/8");
  cJSON_AddItemToArray(nets, n);
  if (c->has_hc) {
    cJSON *h = cJSON_AddObjectToObject(o, "Health");
    cJSON_AddStringToObject(h, "status", fecs_h_names[cs.health]);
    add_rfc(h, "statusSince", cs.health_since_us);
    if (cs.health != FECS_H_UNKNOWN)
      cJSON_AddNumberToObject(h, "exitCode",
                              cs.health == FECS_H_HEALTHY ? 0 : 1);
  }
  return o;
}

cJSON *fecs_md_task_json(fecs *f, const fecs_task_rec *t) {
  fecs_task_state ts;
  fecs_task_state_locked(t, &ts);
  cJSON *o = cJSON_CreateObject();
  if (!o)
    return NULL;
  char rev[16];
  snprintf(rev, sizeof rev, "%d", t->td->revision);
  cJSON_AddStringToObject(o, "Cluster", t->cl->arn);
  cJSON_AddStringToObject(o, "TaskARN", t->arn);
  cJSON_AddStringToObject(o, "Family", t->td->family);
  cJSON_AddStringToObject(o, "Revision", rev);
  cJSON_AddStringToObject(o, "DesiredStatus",
                          ts.desired_stopped ? "STOPPED" : "RUNNING");
  cJSON_AddStringToObject(o, "KnownStatus", fecs_ls_names[ts.status]);
  if (t->td->cpu || t->td->memory) {
    cJSON *lim = cJSON_AddObjectToObject(o, "Limits");
    if (t->td->cpu)
      cJSON_AddNumberToObject(lim, "CPU", atof(t->td->cpu) / 1024.0);
    if (t->td->memory)
      cJSON_AddNumberToObject(lim, "Memory", atof(t->td->memory));
  }
  add_rfc(o, "PullStartedAt", ts.pull_started_us);
  add_rfc(o, "PullStoppedAt", ts.pull_stopped_us);
  add_rfc(o, "ExecutionStoppedAt", ts.exec_stopped_us);
  cJSON_AddStringToObject(o, "AvailabilityZone", t->az);
  cJSON_AddStringToObject(o, "LaunchType", t->launch_type);
  cJSON *cs = cJSON_AddArrayToObject(o, "Containers");
  for (size_t i = 0; i < t->n_ctrs; i++)
    cJSON_AddItemToArray(cs, fecs_md_container_json(f, t, &t->ctrs[i]));
  cJSON *cd = cJSON_AddObjectToObject(o, "ClockDrift");
  cJSON_AddNumberToObject(cd, "ClockErrorBound", 0.5);
  add_rfc(cd, "ReferenceTimestamp", fecs_now_us(f));
  cJSON_AddStringToObject(cd, "ClockSynchronizationStatus", "SYNCHRONIZED");
  cJSON *es = cJSON_AddObjectToObject(o, "EphemeralStorageMetrics");
  cJSON_AddNumberToObject(es, "Utilized", 261);
  cJSON_AddNumberToObject(es, "Reserved", 20496);
  return o;
}

/* Docker's stats for a running container: counters that grow with the
 * time it has been running, so consecutive reads look like a live one. */
cJSON *fecs_md_stats_json(fecs *f, const fecs_task_rec *t, const fecs_ctr *c) {
  fecs_ctr_state cs;
  fecs_ctr_state_locked(t, (size_t)(c - t->ctrs), &cs);
  if (cs.status != FECS_CS_RUNNING)
    return cJSON_CreateNull();
  int64_t now = fecs_now_us(f);
  double up_s = (double)(now - cs.started_us) / 1e6;
  if (up_s < 0)
    up_s = 0;
  cJSON *o = cJSON_CreateObject();
  if (!o)
    return NULL;
  add_rfc(o, "read", now);
  add_rfc(o, "preread", now - 1000000);
  cJSON *pids = cJSON_AddObjectToObject(o, "pids_stats");
  cJSON_AddNumberToObject(pids, "current", 3);
  cJSON *blk = cJSON_AddObjectToObject(o, "blkio_stats");
  cJSON_AddItemToObject(blk, "io_service_bytes_recursive", cJSON_CreateArray());
  cJSON_AddItemToObject(blk, "io_serviced_recursive", cJSON_CreateArray());
  cJSON_AddNumberToObject(o, "num_procs", 0);
  cJSON_AddItemToObject(o, "storage_stats", cJSON_CreateObject());
  double total = floor(up_s * 2.0e7); /* 2% of one CPU, in nanoseconds */
  for (int pre = 0; pre < 2; pre++) {
    double tot = pre ? total - 2.0e7 : total;
    if (tot < 0)
      tot = 0;
    cJSON *cpu = cJSON_AddObjectToObject(o, pre ? "precpu_stats" : "cpu_stats");
    cJSON *u = cJSON_AddObjectToObject(cpu, "cpu_usage");
    cJSON_AddNumberToObject(u, "total_usage", tot);
    cJSON_AddNumberToObject(u, "usage_in_kernelmode", floor(tot * 0.3));
    cJSON_AddNumberToObject(u, "usage_in_usermode", floor(tot * 0.7));
    cJSON_AddNumberToObject(cpu, "system_cpu_usage",
                            (double)now * 1000.0 * 2 - (pre ? 2e9 : 0));
    cJSON_AddNumberToObject(cpu, "online_cpus", 2);
    cJSON *th = cJSON_AddObjectToObject(cpu, "throttling_data");
    cJSON_AddNumberToObject(th, "periods", 0);
    cJSON_AddNumberToObject(th, "throttled_periods", 0);
    cJSON_AddNumberToObject(th, "throttled_time", 0);
  }
  double limit = (double)(c->memory > 0 ? c->memory : 512) * 1048576.0;
  cJSON *mem = cJSON_AddObjectToObject(o, "memory_stats");
  cJSON_AddNumberToObject(mem, "usage", 24.0 * 1048576);
  cJSON_AddNumberToObject(mem, "max_usage", 31.0 * 1048576);
  cJSON *ms = cJSON_AddObjectToObject(mem, "stats");
  cJSON_AddNumberToObject(ms, "cache", 4.0 * 1048576);
  cJSON_AddNumberToObject(ms, "rss", 18.0 * 1048576);
  cJSON_AddNumberToObject(mem, "limit", limit);
  char name[300];
  snprintf(name, sizeof name, "/ecs-%s-%d-%s", t->td->family, t->td->revision,
           c->name);
  cJSON_AddStringToObject(o, "name", name);
  cJSON_AddStringToObject(o, "id", c->runtime_id);
  cJSON *nets = cJSON_AddObjectToObject(o, "networks");
  cJSON *eth = cJSON_AddObjectToObject(nets, "eth1");
  cJSON_AddNumberToObject(eth, "rx_bytes", floor(1500.0 * up_s));
  cJSON_AddNumberToObject(eth, "rx_packets", floor(12.0 * up_s));
  cJSON_AddNumberToObject(eth, "rx_errors", 0);
  cJSON_AddNumberToObject(eth, "rx_dropped", 0);
  cJSON_AddNumberToObject(eth, "tx_bytes", floor(900.0 * up_s));
  cJSON_AddNumberToObject(eth, "tx_packets", floor(9.0 * up_s));
  cJSON_AddNumberToObject(eth, "tx_errors", 0);
  cJSON_AddNumberToObject(eth, "tx_dropped", 0);
  return o;
}
