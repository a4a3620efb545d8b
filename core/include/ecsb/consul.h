/*
 * consul.h - the Consul agent HTTP API client used by mesh-init,
 * envoy-bootstrap and health-sync.
 *
 * Owns: reading the agent's address, ACL token and CA from the environment
 * the Consul CLI uses (CONSUL_HTTP_ADDR, CONSUL_HTTP_SSL, CONSUL_HTTP_TOKEN,
 * CONSUL_HTTP_TOKEN_FILE, CONSUL_CACERT, CONSUL_GRPC_ADDR) with flag
 * overrides, and the agent endpoints: /v1/agent/self,
 * /v1/agent/service/<id>, service register and deregister, and TTL check
 * updates. The token travels only in the X-Consul-Token header and is never
 * logged or put into an error message.
 *
 * Retries: every call takes an optional ecsb_retry. With one, connection
 * errors, timeouts, 429 and 5xx answers are retried until its deadline
 * (the agent usually starts at the same moment as mesh-init). 403 is
 * ECSB_EAUTH, 404 ECSB_ENOTFOUND, other 4xx ECSB_ESTATUS, all at once.
 * Not thread-safe (one HTTP handle per client).
 */
#ifndef ECSB_CONSUL_H
#define ECSB_CONSUL_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ecsb/err.h"
#include "ecsb/retry.h"

/* Where and how to reach the agent. Strings are owned (heap). */
typedef struct ecsb_consul_settings {
  char *base_url; /* "http://127.0.0.1:8500", no trailing slash */
  char *host;     /* host part of base_url, no brackets */
  int port;
  bool https;
  char *token;     /* NULL when none */
  char *cacert;    /* NULL when none */
  char *capath;    /* a folder of CA certificates; NULL when none */
  char *grpc_addr; /* CONSUL_GRPC_ADDR or the flag; NULL when none */
  long timeout_ms; /* one request at most; 0: 10 s. Set by the caller after
                      ecsb_consul_settings_load (a flag, not the env) */
} ecsb_consul_settings;

/* Overrides from flags; NULL fields fall back to the environment. */
typedef struct ecsb_consul_flags {
  const char *http_addr;
  const char *token;
  const char *token_file;
  const char *cacert;
  const char *capath;
  const char *grpc_addr;
} ecsb_consul_flags;

/* Fills s from flags, then the environment, then defaults
 * (127.0.0.1:8500, http). A token file wins over a token string, as in the
 * Consul CLI; the file is read and trimmed here (max 64 KiB). */
int ecsb_consul_settings_load(ecsb_consul_settings *s,
                              const ecsb_consul_flags *f, ecsb_err *err);
void ecsb_consul_settings_clear(ecsb_consul_settings *s);

/* What /v1/agent/self says that the bootstrap needs. */
typedef struct ecsb_consul_self {
  char datacenter[128];
  char node_name[256];
  char partition[128]; /* "" unless Consul Enterprise reports one */
  /* The xDS port `consul connect envoy` (1.14+) picks from this answer:
   * xDS.Ports.TLS when above 0 (xds_tls), else xDS.Ports.Plaintext when
   * above 0, else DebugConfig.GRPCPort. > 0: that port; 0: the agent
   * names none (8502 is assumed); -1: the agent has gRPC disabled. */
  int xds_port;
  bool xds_tls;
  /* What releases before 1.14 read instead (the Envoy bootstrap of such a
   * release, see envoy_bootstrap.h): xDS.Port (0 when absent) and
   * DebugConfig.GRPCPort (0 when absent). */
  int legacy_xds_port;
  int debug_grpc_port;
  bool xds_ports;   /* xDS.Ports present: only 1.14+ agents report it */
  char version[64]; /* Config.Version, e.g. "1.15.3"; "" when absent */
} ecsb_consul_self;

typedef struct ecsb_consul ecsb_consul;

/* Copies what it needs from s. */
ecsb_consul *ecsb_consul_new(const ecsb_consul_settings *s, ecsb_err *err);
void ecsb_consul_free(ecsb_consul *c);

int ecsb_consul_agent_self(ecsb_consul *c, ecsb_retry *r, ecsb_consul_self *out,
                           ecsb_err *err);
/* The agent's view of a local service (GET /v1/agent/service/<id>); the
 * caller frees *out with cJSON_Delete. */
int ecsb_consul_agent_service(ecsb_consul *c, ecsb_retry *r, const char *id,
                              cJSON **out, ecsb_err *err);
int ecsb_consul_service_register(ecsb_consul *c, ecsb_retry *r,
                                 const cJSON *payload, ecsb_err *err);
int ecsb_consul_service_deregister(ecsb_consul *c, ecsb_retry *r,
                                   const char *id, ecsb_err *err);
/* status: "passing", "warning" or "critical". */
int ecsb_consul_check_update(ecsb_consul *c, ecsb_retry *r,
                             const char *check_id, const char *status,
                             const char *output, ecsb_err *err);

/* Parses an /v1/agent/self body (exposed for tests). */
int ecsb_consul_self_parse(const char *body, size_t len, ecsb_consul_self *out,
                           ecsb_err *err);

/* Requests sent so far (all tries). */
uint64_t ecsb_consul_requests(const ecsb_consul *c);

#endif
