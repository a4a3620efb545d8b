/*
 * fcon_internal.h - what fake-consul's files share and nobody else sees:
 * the check record, payload decoding (Consul's case- and underscore-
 * insensitive keys), Consul-shaped error replies, and the server's
 * agent-facing calls (snapshot push, proxying of catalog/health requests).
 */
#ifndef FCON_INTERNAL_H
#define FCON_INTERNAL_H

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ecsb/httpd.h"
#include "fcon/fcon.h"

#define FCON_ID_MAX 256
/* Floor of a (time-scaled) HTTP/TCP check timeout, wall milliseconds. */
#define FCON_MIN_CHECK_TIMEOUT_MS 100

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
/* Answers 400 "Invalid index" / "Invalid wait time" (Consul's texts) for
 * an `?index=` that is not an unsigned 64-bit number or a `?wait=` that is
 * not a duration, and returns true; false when both are fine or absent. */
bool fcon_blocking_params_bad(const ecsb_httpd_req *req, ecsb_httpd_resp *resp);
/* Parses `?wait=` (default 5m, capped 10m) and `?index=`. */
void fcon_blocking_params(const ecsb_httpd_req *req, uint64_t *index,
                          int64_t *wait_ms);
/* Absolute CLOCK_MONOTONIC deadline for pthread_cond_timedwait. */
struct timespec;
void fcon_deadline(int64_t ms_from_now, struct timespec *ts);
void fcon_deadline_us(int64_t us_from_now, struct timespec *ts);

/* Fault table (faults.c), one per listener; its own lock. */
#define FCON_MAX_FAULTS 16
typedef struct fcon_faults {
  pthread_mutex_t mu;
  struct {
    char prefix[128];
    int64_t ms;
  } latency[FCON_MAX_FAULTS];
  size_t nlatency;
  struct {
    char prefix[128];
    int left, status;
    char *body;
  } fail[FCON_MAX_FAULTS];
  size_t nfail;
  fcon_event_fn on_event;
  void *event_user;
  const char *node;
} fcon_faults;

void fcon_faults_init(fcon_faults *f, fcon_event_fn fn, void *user,
                      const char *node);
void fcon_faults_destroy(fcon_faults *f);
void fcon_faults_clear(fcon_faults *f);
int fcon_faults_latency(fcon_faults *f, const char *prefix, int64_t ms,
                        ecsb_err *err);
int fcon_faults_fail(fcon_faults *f, const char *prefix, int n, int status,
                     const char *body, ecsb_err *err);
/* True when a latency fault applies to path (the request will sleep). */
bool fcon_faults_delays(fcon_faults *f, const char *path);
/* True when a request may block: a blocking query (?index= or ?hash=) or a
 * latency fault on its path. Used to keep it off the epoll pool. */
bool fcon_may_block(fcon_faults *f, const ecsb_httpd_req *req);
/* Sleeps any latency for req's path, then returns true (resp filled) when a
 * fail fault consumed this request. */
bool fcon_faults_apply(fcon_faults *f, const ecsb_httpd_req *req,
                       ecsb_httpd_resp *resp);

/* ACL (acl.c). */
typedef enum fcon_acl_need {
  FCON_ACL_NONE = 0,
  FCON_ACL_ANY,          /* any known token */
  FCON_ACL_SERVICE,      /* service:write on `service` */
  FCON_ACL_SERVICE_READ, /* service:read on `service` */
  FCON_ACL_AGENT_READ,   /* agent:read on the node named `service` */
  FCON_ACL_MASTER,
} fcon_acl_need;
/* True when allowed; else fills resp with Consul's 403 and returns false. */
bool fcon_acl_allow(const fcon_acl_config *acl, const ecsb_httpd_req *req,
                    fcon_acl_need need, const char *service,
                    ecsb_httpd_resp *resp);
/* The rule for catalog/health/status paths. */
bool fcon_acl_allow_server_path(const fcon_acl_config *acl,
                                const ecsb_httpd_req *req,
                                ecsb_httpd_resp *resp);

/* Server side, called by agents (never holding the server lock). */
/* Replaces node's snapshot (services: array of AgentService, checks:
 * array of HealthCheck); takes ownership of both. A snapshot equal to the
 * node's current one changes nothing (no index bump) unless `changed`
 * says the caller already knows it differs: an in-process agent syncs
 * only after a change it can see, so comparing (a quarter of a
 * registration's cost) would be wasted. */
void fcon_server_push(fcon_server *s, const char *node, const char *address,
                      cJSON *services, cJSON *checks, bool changed);
void fcon_server_drop_node(fcon_server *s, const char *node);
/* Serves a catalog/health/status request as the server would. A blocking
 * query also ends early once *cancel is true (NULL: never) and
 * fcon_server_wake has been called. */
void fcon_server_handle(fcon_server *s, const ecsb_httpd_req *req,
                        ecsb_httpd_resp *resp, const atomic_bool *cancel);
/* Wakes blocked queries so they re-check their cancel flag. */
void fcon_server_wake(fcon_server *s);

#endif
