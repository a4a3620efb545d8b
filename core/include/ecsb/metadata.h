/*
 * metadata.h - the ECS task metadata endpoint v4 client.
 *
 * Reads `${ECS_CONTAINER_METADATA_URI_V4}/task` and keeps only what the init
 * components use: cluster, task ARN (and the task ID and region derived from
 * it), family, the task's private IPv4 address, and each container's name,
 * known status and health status. The response is treated as hostile: size
 * capped by the HTTP client, every field type-checked, the IPv4 address
 * validated, and errors name the JSON path.
 */
#ifndef ECSB_METADATA_H
#define ECSB_METADATA_H

#include <stddef.h>

#include "ecsb/err.h"
#include "ecsb/http.h"
#include "ecsb/retry.h"

#define ECSB_METADATA_ENV "ECS_CONTAINER_METADATA_URI_V4"

typedef struct ecsb_task_container {
  char *name;
  char *known_status;  /* "RUNNING", ...; "" when absent */
  char *health_status; /* "HEALTHY", "UNHEALTHY", "UNKNOWN"; "" when absent */
} ecsb_task_container;

typedef struct ecsb_task_meta {
  char *cluster;  /* as given: a name or an ARN */
  char *task_arn; /* arn:aws:ecs:<region>:<account>:task/[<cluster>/]<id> */
  char *task_id;  /* last path segment of the ARN */
  char *region;   /* from the ARN */
  char *family;
  char *task_ip; /* first IPv4 address of any container; "" when none */
  ecsb_task_container *containers;
  size_t n_containers;
} ecsb_task_meta;

/* Parses a /task response body. `what` names the source for messages. */
int ecsb_task_meta_parse(const char *json, size_t len, const char *what,
                         ecsb_task_meta **out, ecsb_err *err);
void ecsb_task_meta_free(ecsb_task_meta *m);

/* The container named `name`, or NULL. */
const ecsb_task_container *ecsb_task_meta_container(const ecsb_task_meta *m,
                                                    const char *name);

/* GETs <base_uri>/task. With r, transport errors and 5xx/429 answers are
 * retried until r's deadline (then ECSB_ETIMEDOUT naming the last error);
 * without r, one try. A 4xx answer is ECSB_ESTATUS, a malformed body
 * ECSB_EPARSE/EINVAL, both at once. */
int ecsb_task_meta_fetch(ecsb_http_client *c, const char *base_uri,
                         ecsb_retry *r, ecsb_task_meta **out, ecsb_err *err);

/* GETs <base_uri> itself (the calling container's own metadata) once, in
 * at most timeout_ms (0: the client's timeout), and returns its "Name"
 * (heap string): how a container learns its name in the task definition.
 * Errors as ecsb_task_meta_fetch without r. */
int ecsb_container_name_fetch(ecsb_http_client *c, const char *base_uri,
                              long timeout_ms, char **name, ecsb_err *err);

/* Task ID from a task ARN (the last '/'-separated segment), heap string, or
 * NULL when the ARN has no '/'. */
char *ecsb_task_id_from_arn(const char *arn);

/* True when s is a dotted-quad IPv4 address. */
int ecsb_is_ipv4(const char *s);

#endif
