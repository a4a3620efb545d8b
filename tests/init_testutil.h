/*
 * init_testutil.h - shared helpers for the ecsboot-init tests: small local
 * stand-ins for the peers ecsboot-init talks to (a Consul agent, the task
 * metadata endpoint, the container credentials endpoint, the ECS API), all
 * on 127.0.0.1 with port 0, and a bounded way to run the built binary as a
 * real process.
 *
 * The stand-ins answer exactly what a test configures and count what they
 * receive; they are deliberately tiny (the full fakes live in fake-consul/
 * and fake-ecs/). Every field is guarded by the stand-in's mutex because
 * handlers run on libmicrohttpd threads.
 */
#ifndef ECSB_INIT_TESTUTIL_H
#define ECSB_INIT_TESTUTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "ecsb/httpd.h"

/* ---- a Consul agent --------------------------------------------------- */
typedef struct tu_agent {
  ecsb_httpd *h;
  int port;      /* set before start to bind a fixed port (0: any) */
  char addr[64]; /* "127.0.0.1:PORT" */
  pthread_mutex_t mu;
  char self_body[1024]; /* /v1/agent/self answer */
  int fail_first;       /* answer 500 to this many requests */
  int failures_sent;
  const char *want_token; /* when set, other tokens get 403 */
  cJSON *services;        /* object: ID -> registration as received */
  cJSON *checks;          /* object: CheckID -> {"Status","Output"} */
  char *raw_service;      /* when set, answer every service GET with it */
  int self_status;        /* when set, /v1/agent/self answers this status
                             with "Permission denied" (no agent:read) */
  bool service_no_dc;     /* service GETs answer without Datacenter */
  int n_register, n_deregister, n_update, n_requests;
  char last_token[256];
  char log[8192]; /* "METHOD path\n" per request, truncated */
} tu_agent;

int tu_agent_start(tu_agent *a, const char *bind_ip);
void tu_agent_stop(tu_agent *a);
/* Registration by ID (a copy the caller frees), or NULL. */
cJSON *tu_agent_service(tu_agent *a, const char *id);
/* Status of a TTL check set by an update ("passing", ...), or "" */
void tu_agent_check_status(tu_agent *a, const char *id, char *buf, size_t cap);

/* ---- any JSON endpoint (metadata, credentials) ------------------------ */
typedef struct tu_json {
  ecsb_httpd *h;
  char url[64]; /* "http://127.0.0.1:PORT" */
  pthread_mutex_t mu;
  char *body;     /* answer for any GET (heap), status 200 */
  int status;     /* default 200 */
  int fail_first; /* answer 503 to this many requests first */
  int n_requests;
  char last_auth[512];
  char last_path[512];
} tu_json;

int tu_json_start(tu_json *j, const char *body);
void tu_json_set(tu_json *j, int status, const char *body);
void tu_json_stop(tu_json *j);
int tu_json_requests(tu_json *j);

/* A task metadata /task body for a task with the given containers
 * ("name:HEALTH" items, HEALTH may be empty) and IP. Heap string. */
char *tu_task_metadata(const char *family, const char *task_id, const char *ip,
                       const char *containers);

/* ---- the ECS API (awsJson1_1) ----------------------------------------- */
typedef struct tu_ecs {
  ecsb_httpd *h;
  char url[64];
  pthread_mutex_t mu;
  cJSON *tasks;      /* DescribeTasks answers come from here (by taskArn) */
  int page_size;     /* ListTasks page size (default 100) */
  bool repeat_token; /* answer every page with the same nextToken */
  /* The next `fail_n` calls answer `fail_status` with `fail_type`. */
  int fail_n;
  int fail_status;
  char fail_type[96];
  const char *malformed; /* when set, every 200 answer is this text */
  /* Known credentials (access key ID, secret): when any is set, every
   * request's SigV4 signature is verified with core/sigv4 and a bad one
   * gets UnrecognizedClientException / InvalidSignatureException. */
  char keys[4][2][128];
  int n_keys;
  int n_bad_signatures;
  int n_list, n_describe, n_calls, n_described_arns;
  char last_auth[1024];
  char last_token[4096]; /* X-Amz-Security-Token */
  char last_body[8192];
} tu_ecs;

int tu_ecs_start(tu_ecs *e);
void tu_ecs_stop(tu_ecs *e);
/* Adds a task (copied) as DescribeTasks would return it. */
void tu_ecs_add_task(tu_ecs *e, const char *id, const char *last_status,
                     const char *container_status, const char *health,
                     const char *ip);
/* Changes a task's statuses (and the server container's health). */
void tu_ecs_set_status(tu_ecs *e, const char *id, const char *last_status,
                       const char *container_status, const char *health);
/* Accept (and verify) requests signed with this key pair. */
void tu_ecs_add_key(tu_ecs *e, const char *akid, const char *secret);
void tu_ecs_fail(tu_ecs *e, int n, int status, const char *type);
int tu_ecs_calls(tu_ecs *e);

/* ---- processes --------------------------------------------------------- */
typedef struct tu_proc_result {
  int exit_code; /* -1 when killed by a signal or timed out */
  bool timed_out;
  char out[16384]; /* stdout (truncated) */
  char err[16384]; /* stderr (truncated) */
} tu_proc_result;

/* Runs argv with exactly env (NULL-terminated "K=V" list) plus PATH,
 * waiting at most timeout_ms (then SIGKILL). */
int tu_run(const char *const *argv, const char *const *env, int timeout_ms,
           tu_proc_result *res);

/* Starts argv in the background; returns the pid (> 0). Output goes to
 * files under dir (stdout.txt, stderr.txt). */
int tu_spawn(const char *const *argv, const char *const *env, const char *dir);
/* Waits for pid at most timeout_ms; SIGKILL after. Returns exit code or -1. */
int tu_wait(int pid, int timeout_ms);

/* Path of the built ecsboot-init. */
const char *tu_init_bin(void);
/* A fresh temp folder (static storage per call site not needed: heap). */
char *tu_tmpdir(void);
void tu_rmtree(const char *dir);
/* Whole file into a heap string, or NULL. */
char *tu_slurp(const char *path, size_t *len);

#endif
