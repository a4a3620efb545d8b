/*
 * ecs.h - the ECS API client discover-servers uses (awsJson1_1 over POST
 * with X-Amz-Target, SigV4-signed with credentials from aws_creds.h), and
 * the server-selection rules applied to DescribeTasks output.
 *
 * Calls: ListTasks (every page, bounded: at most 100 pages and 10000 ARNs,
 * a repeated nextToken ends the walk with an error) and DescribeTasks (in
 * batches of 100). Each failed call is classified so the caller knows
 * whether to retry, back off harder, stop at once, or give up:
 *   throttled  ThrottlingException, TooManyRequestsException,
 *              RequestLimitExceeded, HTTP 429
 *   auth       AccessDenied(Exception), UnrecognizedClientException,
 *              InvalidSignatureException, IncompleteSignature,
 *              MissingAuthenticationToken, InvalidClientTokenId,
 *              SignatureDoesNotMatch, HTTP 401/403 (ExpiredToken(Exception)
 *              is retried once with refreshed container credentials)
 *   retry      ServerException, InternalFailure, ServiceUnavailable,
 *              ServiceNotFoundException (the server's service may be created
 *              at the same time), HTTP 5xx, transport errors and
 *              credential-endpoint outages
 *   fatal      everything else (ClusterNotFoundException,
 *              InvalidParameterException, ClientException, malformed JSON)
 */
#ifndef ECSB_ECS_H
#define ECSB_ECS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ecsb/aws_creds.h"
#include "ecsb/err.h"

/* A chosen server (defined with the selection rules below). */
typedef struct ecsb_ecs_pick ecsb_ecs_pick;

typedef enum ecsb_ecs_class {
  ECSB_ECS_OK = 0,
  ECSB_ECS_RETRY,
  ECSB_ECS_THROTTLED,
  ECSB_ECS_AUTH,
  ECSB_ECS_FATAL,
} ecsb_ecs_class;

/* Classifies an AWS error: code (the __type or X-Amzn-ErrorType, prefix
 * and suffix already stripped, may be NULL) and HTTP status. */
ecsb_ecs_class ecsb_ecs_classify(const char *code, long status);

/* Extracts the short error code from an awsJson error body's __type
 * ("com.amazonaws.ecs#ThrottlingException" -> "ThrottlingException") or
 * the X-Amzn-ErrorType header ("ThrottlingException:http://..."). */
void ecsb_ecs_error_code(const char *type, char *out, size_t cap);

/* The API endpoint: AWS_ENDPOINT_URL_ECS, else AWS_ENDPOINT_URL, else
 * https://ecs.<region>.amazonaws.com (.amazonaws.com.cn in China). */
int ecsb_ecs_endpoint(const char *region, char *out, size_t cap, ecsb_err *err);

typedef struct ecsb_ecs_opts {
  const char *endpoint; /* from ecsb_ecs_endpoint */
  const char *region;
  ecsb_aws_creds_provider *creds; /* borrowed */
  long timeout_ms;                /* per call, default 10000 */
  size_t max_body;                /* default 8 MiB */
} ecsb_ecs_opts;

typedef struct ecsb_ecs_client ecsb_ecs_client;

ecsb_ecs_client *ecsb_ecs_client_new(const ecsb_ecs_opts *o, ecsb_err *err);
void ecsb_ecs_client_free(ecsb_ecs_client *c);

/* One signed call: action is "ListTasks", ... ; *resp is the parsed 2xx
 * body (caller frees). On failure *cls says what to do. */
int ecsb_ecs_call(ecsb_ecs_client *c, const char *action, const cJSON *req,
                  long timeout_ms, cJSON **resp, ecsb_ecs_class *cls,
                  ecsb_err *err);

/* All task ARNs with desiredStatus RUNNING for a service (or a family when
 * service_name is NULL). *arns: cJSON array of strings, caller frees. */
int ecsb_ecs_list_tasks(ecsb_ecs_client *c, const char *cluster,
                        const char *service_name, const char *family,
                        long timeout_ms, cJSON **arns, ecsb_ecs_class *cls,
                        ecsb_err *err);

/* DescribeTasks for every ARN, 100 per call; *tasks: the merged "tasks"
 * array, caller frees. Holds every answer at once: for large fleets use
 * ecsb_ecs_find_server. */
int ecsb_ecs_describe_tasks(ecsb_ecs_client *c, const char *cluster,
                            const cJSON *arns, long timeout_ms, cJSON **tasks,
                            ecsb_ecs_class *cls, ecsb_err *err);

/* Describes arns 100 at a time and applies ecsb_ecs_pick_server to each
 * batch, keeping the best across batches, so at most one DescribeTasks
 * answer is held at a time. Returns 0, ECSB_ENOTFOUND (cls RETRY, `seen`
 * says why) or an error with cls set. */
int ecsb_ecs_find_server(ecsb_ecs_client *c, const char *cluster,
                         const cJSON *arns, const char *container,
                         bool require_healthy, long timeout_ms,
                         ecsb_ecs_pick *out, char *seen, size_t seen_cap,
                         ecsb_ecs_class *cls, ecsb_err *err);

/* Requests sent so far. */
uint64_t ecsb_ecs_requests(const ecsb_ecs_client *c);

/* ---- server selection (pure) ---------------------------------------- */

struct ecsb_ecs_pick {
  char task_arn[2048];
  char ip[64];
  char health[16]; /* the server container's healthStatus, or "" */
  bool healthy;    /* health is HEALTHY */
  double started;  /* startedAt, or INFINITY when absent */
};

/* Ranking: < 0 when a is the better choice (HEALTHY first, then the
 * earliest startedAt, then the smaller task ARN). */
int ecsb_ecs_pick_cmp(const ecsb_ecs_pick *a, const ecsb_ecs_pick *b);

/* Picks a Consul server from DescribeTasks' tasks array: the task's
 * lastStatus and desiredStatus are RUNNING, the `container` is RUNNING,
 * its healthStatus is HEALTHY (or, unless require_healthy, UNKNOWN/absent,
 * which ECS reports for containers without a health check; UNHEALTHY
 * never), and it has a private IPv4 address (the container's
 * networkInterfaces, else the task's ElasticNetworkInterface attachment).
 * Among several: HEALTHY first, then the longest running (startedAt), then
 * the smallest task ARN, so every caller picks the same one.
 * Returns 0, or ECSB_ENOTFOUND with `seen` summarising why each task was
 * passed over, or ECSB_EINVAL naming the JSON path of a malformed field. */
int ecsb_ecs_pick_server(const cJSON *tasks, const char *container,
                         bool require_healthy, ecsb_ecs_pick *out, char *seen,
                         size_t seen_cap, ecsb_err *err);

#endif
