/*
 * mesh.h - mesh-init's configuration and the Consul registrations it makes.
 *
 * Owns: the mesh config (from consul-ecs style flags and from the JSON
 * config of `--config FILE` / CONSUL_ECS_CONFIG_JSON, schema in
 * docs/ecsboot-init.md), validation of every part of it with the flag name
 * or JSON path in the message, and the two registration payloads (the
 * service, then its connect-proxy) as Consul's agent API expects them.
 *
 * Checks, upstreams, tags and meta are kept as cJSON in Consul API form
 * (CheckID, TTL, DestinationName, ...), normalised from whatever spelling
 * the user wrote (camelCase in the JSON config, any case in -checks), so
 * building a payload is a copy and re-running yields identical JSON.
 */
#ifndef ECSB_MESH_H
#define ECSB_MESH_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ecsb/err.h"

#define ECSB_MESH_PROXY_PORT 20000

typedef struct ecsb_mesh_config {
  char *service_name;  /* NULL: the task family */
  int port;            /* the app's port; 0 when it has none */
  cJSON *tags;         /* array of strings */
  cJSON *meta;         /* object of strings */
  cJSON *checks;       /* array of Consul check definitions */
  cJSON *upstreams;    /* array of Consul upstream definitions */
  cJSON *health_sync;  /* array of container names */
  cJSON *proxy_config; /* Proxy.Config object, or NULL */
  cJSON *mesh_gateway; /* Proxy.MeshGateway object, or NULL */
  cJSON *weights;      /* Weights object, or NULL */
  bool enable_tag_override;
  char *bootstrap_file; /* where the Envoy bootstrap goes */
} ecsb_mesh_config;

void ecsb_mesh_config_init(ecsb_mesh_config *c);
void ecsb_mesh_config_clear(ecsb_mesh_config *c);

/* Applies a JSON config document (what: its source, e.g. the file name or
 * "CONSUL_ECS_CONFIG_JSON"). Unknown keys and wrong types are errors naming
 * the JSON path. */
int ecsb_mesh_config_apply_json(ecsb_mesh_config *c, const char *json,
                                size_t len, const char *what, ecsb_err *err);

/* Flag parsers; each replaces the corresponding field. `flag` is the flag's
 * name for messages. */
int ecsb_mesh_set_upstreams(ecsb_mesh_config *c, const char *s,
                            const char *flag, ecsb_err *err);
int ecsb_mesh_set_tags(ecsb_mesh_config *c, const char *s, const char *flag,
                       ecsb_err *err);
/* "k=v,k2=v2" or a JSON object of strings (consul-ecs v0.2 took JSON). */
int ecsb_mesh_set_meta(ecsb_mesh_config *c, const char *s, const char *flag,
                       ecsb_err *err);
/* A JSON array of Consul check definitions. */
int ecsb_mesh_set_checks(ecsb_mesh_config *c, const char *s, const char *flag,
                         ecsb_err *err);
int ecsb_mesh_set_health_sync(ecsb_mesh_config *c, const char *s,
                              const char *flag, ecsb_err *err);

/* Normalises one check object into Consul API form (*out, caller frees).
 * path names it in messages ("$.service.checks[1]", "flag -checks[0]"). */
int ecsb_mesh_check_normalize(const cJSON *in, const char *path, cJSON **out,
                              ecsb_err *err);

/* Cross-field validation once every source has been applied. */
int ecsb_mesh_config_validate(const ecsb_mesh_config *c, ecsb_err *err);

/* Names derived from the config and the task. */
typedef struct ecsb_mesh_ids {
  char service_name[256];
  char service_id[384];
  char proxy_id[400];
} ecsb_mesh_ids;

int ecsb_mesh_ids_make(const ecsb_mesh_config *c, const char *family,
                       const char *task_id, ecsb_mesh_ids *out, ecsb_err *err);

/* "<service-id>-<container>-consul-ecs", the health-sync TTL check ID. */
int ecsb_mesh_health_check_id(const char *service_id, const char *container,
                              char *buf, size_t cap);

/* The service registration: ID, Name, Port, Tags, Meta (task-id, task-arn,
 * source=consul-ecs, then the user's), Checks (the user's, then one TTL
 * check per health-sync container, initially critical). */
int ecsb_mesh_service_payload(const ecsb_mesh_config *c,
                              const ecsb_mesh_ids *ids, const char *task_id,
                              const char *task_arn, cJSON **out, ecsb_err *err);
/* The connect-proxy registration for the same task: port 20000, the
 * `Proxy Public Listener` TCP check on <task_ip>:20000 and the
 * `Destination Alias` check. */
int ecsb_mesh_proxy_payload(const ecsb_mesh_config *c, const ecsb_mesh_ids *ids,
                            const char *task_id, const char *task_arn,
                            const char *task_ip, cJSON **out, ecsb_err *err);

#endif
