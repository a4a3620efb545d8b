/* fecs_testutil.h - a small signed awsJson1_1 client for the fake-ecs tests:
 * signs with core/sigv4 (or deliberately does not), can tamper with what it
 * sends, and hands back status, __type, message and the parsed body. Also a
 * settable clock for fake-ecs's clock_us hook and an event recorder. Tests
 * only; every request goes to the fake on loopback. */
#ifndef FECS_TESTUTIL_H
#define FECS_TESTUTIL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ecsb/http.h"
#include "fecs/fecs.h"

typedef struct ft_clock {
  _Atomic int64_t now_us;
} ft_clock;
int64_t ft_clock_read(void *user);

typedef struct ft_req {
  const char *op;                    /* "ListTasks" */
  const char *body;                  /* JSON text; NULL: "{}" */
  const char *akid, *secret, *token; /* NULL: the fake's own keys */
  const char *region, *service;      /* NULL: the fake's region, "ecs" */
  int64_t time_s;                    /* 0: the fake's clock */
  bool no_auth;                      /* send no Authorization header */
  bool no_date;                      /* drop X-Amz-Date after signing */
  const char *send_body;             /* send this instead of the signed body */
  const char *target;                /* X-Amz-Target override */
  const char *method;                /* NULL: POST */
  const char *auth_override;         /* Authorization value to send */
  const ecsb_http_header *extra;     /* more headers, signed too */
  size_t n_extra;                    /* at most 4 */
} ft_req;

typedef struct ft_resp {
  long status;
  cJSON *json;    /* parsed body or NULL */
  char type[128]; /* __type, "" on success */
  char msg[4096];
  char request_id[64];
  char *raw;
} ft_resp;

/* Sends r to f's API; returns 0 when an HTTP answer came back. */
int ft_call(fecs *f, ft_clock *clk, const ft_req *r, ft_resp *out);
void ft_resp_clear(ft_resp *r);

/* Signed call that must succeed (200); returns the body (caller frees). */
cJSON *ft_ok(fecs *f, ft_clock *clk, const char *op, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Signed call that must fail with `type`; returns the message (static). */
const char *ft_fails(fecs *f, ft_clock *clk, const char *op, const char *type,
                     long status, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* GET on the agent endpoint; body parsed when JSON. */
int ft_get(const char *url, const char *auth, ft_resp *out);

/* Records hook events (thread-safe). */
typedef struct ft_events {
  _Atomic int n;
  char lines[4096][200];
} ft_events;
void ft_events_hook(void *user, const fecs_hook_event *ev);
/* Number of recorded lines containing every one of the NULL-terminated
 * substrings. */
int ft_events_count(ft_events *e, ...);

/* Member at a path like "tasks[0].containers[2].name" (NULL if absent);
 * jps: its string value or NULL; jpn: its number or -1e300. */
const cJSON *jp(const cJSON *root, const char *path);
const char *jps(const cJSON *root, const char *path);
double jpn(const cJSON *root, const char *path);

/* A mesh-task-shaped RegisterTaskDefinition body (docs/architecture.md). */
const char *ft_mesh_taskdef(void);

/* A fake with test defaults: injected clock, hook into ev (may be NULL),
 * throttling as configured by the caller's cfg (may be NULL). */
fecs *ft_start(fecs_config *cfg, ft_clock *clk, ft_events *ev);

#endif
