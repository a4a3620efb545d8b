/*
 * fcon.h - the fake Consul: an in-process server (catalog and health views)
 * and agents (local services and checks, a check runner, sync to a server),
 * each served over HTTP on a loopback address with ecsb_httpd.
 *
 * Model: one fcon_server per scenario; one fcon_agent per simulated task.
 * An agent keeps a pointer to the server it is given in its config, but is
 * only "joined" once fcon_agent_join (or PUT /v1/agent/join/<server ip>, or
 * config.join_on_start) says so. A joined agent pushes a snapshot of its
 * services and checks to the server `sync_delay_ms` after each change (at
 * once when 0). An agent's /v1/catalog, /v1/health and /v1/status endpoints
 * are answered by its server; before it joins they fail with Consul's
 * "No known Consul servers" 500, while agent registrations succeed locally.
 *
 * Lifetimes: the server must outlive every agent that was given it. Free
 * agents first, then the server.
 *
 * Threading: every function here is thread-safe. The event callback runs
 * with the emitting object's lock held: it must not call back into fcon.
 */
#ifndef FCON_FCON_H
#define FCON_FCON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ecsb/err.h"
#include "ecsb/httpd.h"

typedef struct fcon_server fcon_server;
typedef struct fcon_agent fcon_agent;

/* ---- events ------------------------------------------------------------ */

typedef enum fcon_event_kind {
  FCON_EV_REGISTER = 1, /* service registered (service_id) */
  FCON_EV_DEREGISTER,   /* service deregistered (service_id) */
  FCON_EV_CHECK_STATUS, /* check status changed (check_id, status) */
  FCON_EV_JOIN,         /* agent joined its server */
  FCON_EV_LEAVE,        /* agent left its server */
  FCON_EV_SYNC,         /* agent pushed its state to the server */
  FCON_EV_FAULT,        /* a fault hook acted (detail says which) */
} fcon_event_kind;

typedef struct fcon_event {
  fcon_event_kind kind;
  const char *node;       /* agent node name, or the server's */
  const char *service_id; /* or NULL */
  const char *check_id;   /* or NULL */
  const char *status;     /* new check status, or NULL */
  const char *detail;     /* FCON_EV_FAULT: "latency /v1/..." etc., or NULL */
  /* Server events only: the node's address and, for REGISTER/DEREGISTER,
   * the service's Kind ("" or "connect-proxy"); NULL otherwise. */
  const char *address;
  const char *service_kind;
} fcon_event;

/* Called for every event; all strings are borrowed for the call only.
 * Runs under the emitter's lock: must not call fcon functions. */
typedef void (*fcon_event_fn)(void *user, const fcon_event *ev);

/* ---- ACL --------------------------------------------------------------- */

/* A token: `master` has every right; otherwise service:write (and read) on
 * the services named in `services`, agent:read on the nodes named in
 * `agents` ("" for every node), and with `read_all` service:read and
 * node:read on everything (service_prefix "" and node_prefix "" read, as a
 * service identity has). Lists are NULL-terminated; NULL: none. */
typedef struct fcon_acl_token {
  const char *secret;
  bool master;
  const char *const *services;
  const char *const *agents;
  bool read_all;
} fcon_acl_token;

/* When enabled, requests carry X-Consul-Token, "Authorization: Bearer" or
 * ?token=;
 * an unknown token gets 403 "ACL not found", a token without the right 403
 * "Permission denied" (no token: the anonymous token, which has none).
 * Rights, as Consul's (docs/fake-consul.md has the table): service:write
 * <name> to (de)register a service or change its checks (a connect-proxy
 * also on its destination, a replaced registration also on the name it
 * had), service:read <name> for /v1/agent/service/<id>,
 * /v1/health/service, /v1/catalog/service and /v1/health/checks,
 * agent:read <node> for /v1/agent/self; node-level checks, members, join
 * and leave need the master token; other reads need any known token.
 * /v1/status is open. The token array is borrowed and must outlive the
 * server/agent. */
typedef struct fcon_acl_config {
  bool enabled;
  const fcon_acl_token *tokens;
  size_t n_tokens;
} fcon_acl_config;

/* ---- server ------------------------------------------------------------ */

typedef struct fcon_server_config {
  const char *bind_ip;    /* default "127.0.0.1"; must be loopback */
  uint16_t port;          /* 0: any free port */
  const char *datacenter; /* default "dc1" */
  fcon_event_fn on_event; /* optional */
  void *event_user;
  fcon_acl_config acl;
  /* 0 (default): a thread per connection. N: an epoll pool of N threads
   * serves every connection, and requests that may block (blocking
   * queries, latency faults, proxied calls) run on threads of their own. */
  unsigned threads;
  /* Connections served at once, past which libmicrohttpd refuses them;
   * 0: ecsb/httpd.h's default (1024). A fleet's agents all leave at its
   * end, and a refused leave is a node left in the catalog. */
  unsigned conn_limit;
  /* Optional: told of each answered request, with the caller's address
   * and the CPU the answer took (ecsb/httpd.h). */
  ecsb_httpd_served_fn served;
  void *served_user;
} fcon_server_config;

void fcon_server_config_default(fcon_server_config *c);
int fcon_server_start(const fcon_server_config *c, fcon_server **out,
                      ecsb_err *err);
uint16_t fcon_server_port(const fcon_server *s);
const char *fcon_server_ip(const fcon_server *s);
/* The catalog's Raft index (X-Consul-Index). */
uint64_t fcon_server_index(fcon_server *s);
/* Wakes blocked queries, stops serving, frees. NULL is fine. */
void fcon_server_stop(fcon_server *s);
/* Server down: the listener stops (connections refused), the catalog is
 * kept; up: listens again on the same address and port. */
int fcon_server_down(fcon_server *s, ecsb_err *err);
int fcon_server_up(fcon_server *s, ecsb_err *err);

/* Server events: besides FCON_EV_SYNC for every changed snapshot, the
 * server reports what changed in it, for agents in this process and in
 * others alike: FCON_EV_JOIN (a node's first snapshot), FCON_EV_REGISTER /
 * FCON_EV_DEREGISTER (service_id, service_kind), FCON_EV_CHECK_STATUS (a
 * check that appeared or changed status: check_id, service_id, status),
 * FCON_EV_LEAVE (the node was dropped, after its deregistrations); each
 * with node and address. */

/* One service instance in the server's catalogue. */
typedef struct fcon_instance {
  char *id, *name;
  char *kind;       /* "" or "connect-proxy" */
  char *proxy_dest; /* DestinationServiceID of a proxy, else "" */
  bool passing;     /* every check of the node and of the instance passes */
} fcon_instance;

/* The instances on the node(s) with this address; free with
 * fcon_instances_free. */
int fcon_server_instances(fcon_server *s, const char *address,
                          fcon_instance **out, size_t *n, ecsb_err *err);
void fcon_instances_free(fcon_instance *v, size_t n);

/* Agents in other processes (the consul-client stand-in) sync to a server
 * with PUT <prefix><node> {"Address", "Services", "Checks"} (the snapshot
 * an in-process agent pushes) and leave with DELETE <prefix><node>. Not a
 * Consul API; it needs the master token when ACLs are on. */
#define FCON_NODE_SYNC_PREFIX "/v1/internal/ecsboot/node/"

/* ---- agent ------------------------------------------------------------- */

typedef struct fcon_agent_config {
  const char *bind_ip;   /* default "127.0.0.1"; must be loopback */
  uint16_t port;         /* 0: any free port */
  const char *node_name; /* default "node-<bind_ip>" */
  const char *version;   /* Consul version reported; default "1.15.11" */
  /* gRPC (xDS) ports /v1/agent/self reports, as xDS.Ports and
   * DebugConfig.GRPCPort: 0 means the default (plaintext 8502, no TLS
   * port), -1 disabled. Both disabled: no xDS object, GRPCPort -1, as a
   * Consul agent with gRPC off answers. Nothing listens on them. */
  int xds_port, xds_tls_port;
  fcon_server *server; /* the server it may join; borrowed; may be NULL */
  bool join_on_start;  /* join `server` at start */
  /* true: the API does not listen until fcon_agent_up, so faults set
   * before it are in place for its first request. */
  bool start_down;
  int64_t sync_delay_ms; /* delay from a change to the server seeing it */
  /* Nonzero: an HTTP or TCP check's first run waits a stagger drawn
   * uniformly from [0, interval), as a Consul agent's check runners do
   * (lib.RandomStagger), from a generator seeded with this, so a replay
   * draws the same staggers. 0: the first run is at once. */
  uint64_t check_stagger_seed;
  /* Check intervals, TTLs and DeregisterCriticalServiceAfter are
   * multiplied by this (scenario time scale); <= 0 means 1. */
  double time_scale;
  /* The agent's clock in us for those intervals and every other wait of
   * its own (sync delays, retries); NULL: ecsb_mono_us, which in a
   * process that follows a task clock (the consul-client stand-in of a
   * replay, ecsb/taskclock.h) is the task's, leaving out the host's lag
   * as the runner's timers do. Called from any thread. The
   * agent keeps its times in ms but waits to the us: at time_scale 0.01 a
   * ms of wall time is 0.1 s of the scenario's. */
  int64_t (*clock_us)(void *ctx);
  void *clock_ctx;
  fcon_event_fn on_event; /* optional */
  void *event_user;
  fcon_acl_config acl;
  /* 0 (default): a thread per connection. N: an epoll pool of N threads
   * serves every connection, and requests that may block (blocking
   * queries, latency faults, proxied calls) run on threads of their own. */
  unsigned threads;
} fcon_agent_config;

void fcon_agent_config_default(fcon_agent_config *c);
int fcon_agent_start(const fcon_agent_config *c, fcon_agent **out,
                     ecsb_err *err);
uint16_t fcon_agent_port(const fcon_agent *a);
const char *fcon_agent_ip(const fcon_agent *a);
const char *fcon_agent_node(const fcon_agent *a);
/* Joins s (which replaces config.server) and syncs at once. */
int fcon_agent_join(fcon_agent *a, fcon_server *s, ecsb_err *err);
/* Joins a server in another process at addr ("ip" or "ip:port", port
 * 8500 by default) after checking it answers; from then on the agent's
 * snapshot is pushed over HTTP and its catalog/health/status requests are
 * proxied there. A server that does not answer: ECSB_ETRANSPORT with
 * Consul's "Failed to join" text. */
int fcon_agent_join_addr(fcon_agent *a, const char *addr, ecsb_err *err);
/* Leaves: the node disappears from the server's catalog. */
void fcon_agent_leave(fcon_agent *a);
bool fcon_agent_joined(fcon_agent *a);
/* Status of a local check ("passing", "warning", "critical") copied into
 * buf; ECSB_ENOTFOUND when unknown. */
int fcon_agent_check_status(fcon_agent *a, const char *check_id, char *buf,
                            size_t cap, ecsb_err *err);
/* Stops the runner and the listener, frees. NULL is fine. */
void fcon_agent_stop(fcon_agent *a);

/* ---- fault hooks ------------------------------------------------------
 * Faults apply to requests on the object's own listener (an agent's
 * proxied catalog/health calls see the agent's faults only). Each call
 * replaces an existing entry for the same prefix; at most 16 entries of
 * each kind. All return 0, ECSB_EINVAL or ECSB_ETOOBIG. */

/* Delays every request whose path starts with prefix by ms (0 removes). */
int fcon_server_fault_latency(fcon_server *s, const char *prefix, int64_t ms,
                              ecsb_err *err);
int fcon_agent_fault_latency(fcon_agent *a, const char *prefix, int64_t ms,
                             ecsb_err *err);
/* The next n requests on paths starting with prefix get status and body
 * (text/plain) instead of their answer. */
int fcon_server_fault_fail(fcon_server *s, const char *prefix, int n,
                           int status, const char *body, ecsb_err *err);
int fcon_agent_fault_fail(fcon_agent *a, const char *prefix, int n, int status,
                          const char *body, ecsb_err *err);
/* No leader: /v1/status/leader answers "" and catalog/health answer with
 * X-Consul-KnownLeader: false. */
void fcon_server_fault_no_leader(fcon_server *s, bool on);
/* Removes every latency and fail fault (and no-leader). */
void fcon_server_faults_clear(fcon_server *s);
void fcon_agent_faults_clear(fcon_agent *a);
/* Agent down: stops the listener (connections refused; state and runner
 * are kept). Up: listens again on the same IP and port. */
int fcon_agent_down(fcon_agent *a, ecsb_err *err);
int fcon_agent_up(fcon_agent *a, ecsb_err *err);
/* Joins (API or HTTP) take ms longer before they return. */
void fcon_agent_fault_slow_join(fcon_agent *a, int64_t ms);

/* ---- standalone: one server and one joined agent ----------------------- */

typedef struct fcon_serve fcon_serve;

typedef struct fcon_serve_opts {
  const char *server_ip; /* default "127.0.0.10" */
  uint16_t server_port;  /* default 8500 (0: any free port) */
  const char *agent_ip;  /* default "127.0.0.11" */
  uint16_t agent_port;   /* default 8500 (0: any free port) */
  const char *node_name; /* default "ecsboot-agent" */
  double time_scale;     /* default 1 */
  int64_t sync_delay_ms; /* default 0 */
  fcon_acl_config acl;   /* default off; applies to both */
  fcon_event_fn on_event;
  void *event_user;
  /* Both listeners' epoll pool (see fcon_agent_config.threads); default 2,
   * the standalone fake being what clients and benchmarks load. */
  unsigned threads;
} fcon_serve_opts;

void fcon_serve_opts_default(fcon_serve_opts *o);
/* Starts the server, then the agent joined to it. */
int fcon_serve_start(const fcon_serve_opts *o, fcon_serve **out, ecsb_err *err);
fcon_server *fcon_serve_server(fcon_serve *s);
fcon_agent *fcon_serve_agent(fcon_serve *s);
/* Prints where both listen, CONSUL_HTTP_ADDR and curl examples. */
void fcon_serve_describe(const fcon_serve *s, FILE *f);
/* Stops the agent, then the server; NULL is fine. */
void fcon_serve_stop(fcon_serve *s);

#endif
