/*
 * mesh_payload.c - the two registrations mesh-init makes (see mesh.h):
 * the service and its connect-proxy, as consul-ecs v0.2 registered them,
 * plus the fixes it lacked: the proxy's TCP check targets the task's IP
 * (the agent checks from its own network namespace, where 127.0.0.1 is the
 * agent's loopback in bridge mode), health-sync TTL checks start critical
 * so an app is never reported healthy before ECS says so, and user checks
 * and health-sync checks can be combined.
 *
 * Output is plain cJSON built in a fixed key order, so the same inputs give
 * byte-identical request bodies on every run.
 */
#include "ecsb/mesh.h"

#include <stdio.h>
#include <string.h>

int ecsb_mesh_ids_make(const ecsb_mesh_config *c, const char *family,
                       const char *task_id, ecsb_mesh_ids *out, ecsb_err *err) {
  /* Empty means the family too: terraform's mesh-task module passes
   * -service-name= on every task that has no name of its own. */
  const char *name =
      c->service_name && *c->service_name ? c->service_name : family;
  if (!name || !*name)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "no service name: give -service-name or run in a "
                        "task whose family is known");
  if (!task_id || !*task_id)
    return ecsb_err_set(err, ECSB_EINVAL, "no task ID in the task metadata");
  if ((size_t)snprintf(out->service_name, sizeof out->service_name, "%s",
                       name) >= sizeof out->service_name ||
      (size_t)snprintf(out->service_id, sizeof out->service_id, "%s-%s", name,
                       task_id) >= sizeof out->service_id ||
      (size_t)snprintf(out->proxy_id, sizeof out->proxy_id, "%s-sidecar-proxy",
                       out->service_id) >= sizeof out->proxy_id)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "service name or task ID too long for an ID");
  return 0;
}

int ecsb_mesh_health_check_id(const char *service_id, const char *container,
                              char *buf, size_t cap) {
  return (size_t)snprintf(buf, cap, "%s-%s-consul-ecs", service_id,
                          container) >= cap
             ? ECSB_EINVAL
             : 0;
}

static cJSON *full_meta(const ecsb_mesh_config *c, const char *task_id,
                        const char *task_arn) {
  cJSON *m = cJSON_CreateObject();
  cJSON_AddStringToObject(m, "task-id", task_id);
  cJSON_AddStringToObject(m, "task-arn", task_arn);
  cJSON_AddStringToObject(m, "source", "consul-ecs");
  const cJSON *kv;
  cJSON_ArrayForEach(kv, c->meta) {
    cJSON_AddStringToObject(m, kv->string, kv->valuestring);
  }
  return m;
}

static cJSON *dup_or_empty_array(const cJSON *a) {
  return a ? cJSON_Duplicate(a, true) : cJSON_CreateArray();
}

int ecsb_mesh_service_payload(const ecsb_mesh_config *c,
                              const ecsb_mesh_ids *ids, const char *task_id,
                              const char *task_arn, cJSON **out,
                              ecsb_err *err) {
  cJSON *s = cJSON_CreateObject();
  cJSON_AddStringToObject(s, "ID", ids->service_id);
  cJSON_AddStringToObject(s, "Name", ids->service_name);
  cJSON_AddNumberToObject(s, "Port", c->port);
  cJSON_AddItemToObject(s, "Tags", dup_or_empty_array(c->tags));
  cJSON_AddItemToObject(s, "Meta", full_meta(c, task_id, task_arn));
  if (c->enable_tag_override)
    cJSON_AddTrueToObject(s, "EnableTagOverride");
  if (c->weights)
    cJSON_AddItemToObject(s, "Weights", cJSON_Duplicate(c->weights, true));
  cJSON *checks = dup_or_empty_array(c->checks);
  cJSON_AddItemToObject(s, "Checks", checks);
  const cJSON *name;
  cJSON_ArrayForEach(name, c->health_sync) {
    char id[600], notes[400];
    if (ecsb_mesh_health_check_id(ids->service_id, name->valuestring, id,
                                  sizeof id)) {
      cJSON_Delete(s);
      return ecsb_err_set(err, ECSB_EINVAL, "container name \"%s\" too long",
                          name->valuestring);
    }
    snprintf(notes, sizeof notes,
             "ecsboot-init health-sync sets this check from the ECS health "
             "status of the %s container.",
             name->valuestring);
    cJSON *ck = cJSON_CreateObject();
    cJSON_AddStringToObject(ck, "CheckID", id);
    cJSON_AddStringToObject(ck, "Name", "consul ecs synced");
    cJSON_AddStringToObject(ck, "Notes", notes);
    cJSON_AddStringToObject(ck, "TTL", "100000h");
    cJSON_AddStringToObject(ck, "Status", "critical");
    cJSON_AddItemToArray(checks, ck);
  }
  if (!cJSON_GetObjectItemCaseSensitive(s, "Checks")) {
    cJSON_Delete(s);
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  }
  *out = s;
  return 0;
}

int ecsb_mesh_proxy_payload(const ecsb_mesh_config *c, const ecsb_mesh_ids *ids,
                            const char *task_id, const char *task_arn,
                            const char *task_ip, cJSON **out, ecsb_err *err) {
  if (!task_ip || !*task_ip)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "the task metadata has no IPv4 address for the task: "
                        "the proxy's listener check needs one");
  char name[300], tcp[64];
  snprintf(name, sizeof name, "%s-sidecar-proxy", ids->service_name);
  snprintf(tcp, sizeof tcp, "%s:%d", task_ip, ECSB_MESH_PROXY_PORT);
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "ID", ids->proxy_id);
  cJSON_AddStringToObject(p, "Name", name);
  cJSON_AddStringToObject(p, "Kind", "connect-proxy");
  cJSON_AddNumberToObject(p, "Port", ECSB_MESH_PROXY_PORT);
  cJSON_AddItemToObject(p, "Tags", dup_or_empty_array(c->tags));
  cJSON_AddItemToObject(p, "Meta", full_meta(c, task_id, task_arn));
  cJSON *px = cJSON_AddObjectToObject(p, "Proxy");
  cJSON_AddStringToObject(px, "DestinationServiceName", ids->service_name);
  cJSON_AddStringToObject(px, "DestinationServiceID", ids->service_id);
  if (c->port)
    cJSON_AddNumberToObject(px, "LocalServicePort", c->port);
  cJSON_AddItemToObject(px, "Upstreams", dup_or_empty_array(c->upstreams));
  if (c->proxy_config)
    cJSON_AddItemToObject(px, "Config", cJSON_Duplicate(c->proxy_config, 1));
  if (c->mesh_gateway)
    cJSON_AddItemToObject(px, "MeshGateway",
                          cJSON_Duplicate(c->mesh_gateway, true));
  cJSON *checks = cJSON_AddArrayToObject(p, "Checks");
  cJSON *l = cJSON_CreateObject();
  cJSON_AddItemToArray(checks, l);
  cJSON_AddStringToObject(l, "Name", "Proxy Public Listener");
  cJSON_AddStringToObject(l, "TCP", tcp);
  cJSON_AddStringToObject(l, "Interval", "10s");
  cJSON_AddStringToObject(l, "DeregisterCriticalServiceAfter", "10m");
  cJSON *a = cJSON_CreateObject();
  cJSON_AddItemToArray(checks, a);
  cJSON_AddStringToObject(a, "Name", "Destination Alias");
  cJSON_AddStringToObject(a, "AliasService", ids->service_id);
  if (!cJSON_GetObjectItemCaseSensitive(a, "AliasService")) {
    cJSON_Delete(p);
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  }
  *out = p;
  return 0;
}
