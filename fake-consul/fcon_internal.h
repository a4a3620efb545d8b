/*
 * fcon_internal.h - what fake-consul's files share and nobody else sees:
 * the check record, payload decoding (Consul's case- and underscore-
 * insensitive keys), Consul-shaped error replies, and the server's
 * agent-facing calls (snapshot push, proxying of catalog/health requests).
 */
#ifndef FCON_INTERNAL_H
#define FCON_INTERNAL_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "ecsb/httpd.h"
#include "fcon/fcon.h"

#define FCON_ID_MAX 256

typedef enum fcon_check_type {
  FCON_CHECK_TTL = 1,
  FCON_CHECK_HTTP,
  FCON_CHECK_TCP,
  FCON_CHECK_ALIAS,
} fcon_check_type;

typedef struct fcon_check {
  char id[FCON_ID_MAX];
  char name[FCON_ID_MAX];
  char service_id[FCON_ID_MAX]; /* "" for node checks */
  char status[16];
  char *notes;
  char *output;
  fcon_check_type type;
  char *target;           /* HTTP URL, TCP host:port, alias service id */
  char method[16];        /* HTTP */
  cJSON *header;          /* HTTP headers {name: [values]}, or NULL */
  int64_t interval_ms;    /* scaled */
  int64_t timeout_ms;     /* scaled */
  int64_t ttl_ms;         /* scaled */
  int64_t dereg_after_ms; /* scaled; 0: never */
  int64_t success_before_passing;
  int64_t failures_before_critical;
  /* runner state */
  int64_t next_run_ms; /* monotonic */
  int64_t ttl_deadline_ms;
  int64_t critical_since_ms; /* 0 when not critical */
  int64_t successes, failures;
  cJSON *definition; /* the check as registered, for Definition */
} fcon_check;

void fcon_check_free(fcon_check *c);

/* Member lookup as Consul decodes: case-insensitive, '_' ignored. */
cJSON *fcon_jget(const cJSON *obj, const char *key);
const char *fcon_jstr(const cJSON *obj, const char *key);

/* Decodes one check definition (from Check, Checks[] or check/register).
 * svc_id/svc_name may be NULL. Returns 0 or ECSB_EINVAL with the message
 * Consul would put after "Request decode failed: " or as a 400 body. */
int fcon_check_decode(const cJSON *j, const char *default_id,
                      const char *default_name, const char *svc_id,
                      double scale, fcon_check **out, ecsb_err *err);

/* Decodes a service registration into the agent's AgentService shape and
 * its checks. On success *svc is the normalized service, *sidecar is the
 * Connect sidecar service (or NULL) and checks/ncheck its checks (service
 * checks first, then the sidecar's, each with service_id set). */
int fcon_service_decode(const cJSON *j, double scale, cJSON **svc,
                        cJSON **sidecar, fcon_check ***checks, size_t *ncheck,
                        ecsb_err *err);

/* Agent-facing HealthCheck JSON for a check. */
cJSON *fcon_check_json(const fcon_check *c, const char *node,
                       const char *service_name, const cJSON *service_tags);

/* 64-bit FNV-1a of s as 16 hex digits into out[17]. */
void fcon_hash_hex(const char *s, char out[17]);

/* Replies */
void fcon_reply_json(ecsb_httpd_resp *r, int status, cJSON *j); /* frees j */
void fcon_reply_405(ecsb_httpd_resp *r, const char *method);
void fcon_reply_404(ecsb_httpd_resp *r);
/* Parses `?wait=` (default 5m, capped 10m) and `?index=`. */
void fcon_blocking_params(const ecsb_httpd_req *req, uint64_t *index,
                          int64_t *wait_ms);
/* Absolute CLOCK_MONOTONIC deadline for pthread_cond_timedwait. */
struct timespec;
void fcon_deadline(int64_t ms_from_now, struct timespec *ts);

/* Server side, called by agents (never holding the server lock). */
/* Replaces node's snapshot (services: array of AgentService, checks:
 * array of HealthCheck); takes ownership of both. */
void fcon_server_push(fcon_server *s, const char *node, const char *address,
                      cJSON *services, cJSON *checks);
void fcon_server_drop_node(fcon_server *s, const char *node);
/* Serves a catalog/health/status request as the server would. */
void fcon_server_handle(fcon_server *s, const ecsb_httpd_req *req,
                        ecsb_httpd_resp *resp);

#endif
