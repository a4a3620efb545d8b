/*
 * envoy_bootstrap.h - the Envoy bootstrap generator, equivalent to
 * `consul connect envoy -bootstrap` for a sidecar proxy (recent Consul
 * format: xDS v3, DELTA_GRPC ADS, partition metadata, Consul's stats tags,
 * layered runtime), without the consul binary.
 *
 * Owns: the bootstrap document's shape, and the proxy Config keys that
 * change it: envoy_prometheus_bind_addr, envoy_stats_bind_addr,
 * envoy_stats_tags, envoy_extra_static_clusters_json,
 * envoy_extra_static_listeners_json, envoy_extra_stats_sinks_json,
 * envoy_stats_config_json, envoy_stats_flush_interval, envoy_tracing_json,
 * envoy_statsd_url, envoy_dogstatsd_url. Malformed values are errors naming
 * the key (Consul would write a bootstrap Envoy then rejects).
 *
 * Pure: no network, no files. The output is deterministic for the same
 * inputs, so re-running mesh-init writes identical bytes.
 */
#ifndef ECSB_ENVOY_BOOTSTRAP_H
#define ECSB_ENVOY_BOOTSTRAP_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "ecsb/err.h"

typedef struct ecsb_envoy_bootstrap_args {
  const char *proxy_id;       /* node.id */
  const char *cluster;        /* node.cluster, local_cluster tag */
  const char *source_service; /* consul.source.service tag */
  const char *node_name;      /* node.metadata.node_name, or NULL */
  const char *ns;             /* namespace, NULL or "" means "default" */
  const char *partition;      /* NULL or "" means "default" */
  const char *datacenter;     /* consul.source.datacenter tag; may be "" */
  const char *admin_host;     /* default 127.0.0.1 */
  int admin_port;             /* default 19000 */
  const char *admin_access_log_path; /* default /dev/null */
  /* The agent's gRPC (xDS) endpoint: an IP literal and port, or a unix
   * socket path (grpc_socket, which wins when set). */
  const char *grpc_host;
  int grpc_port;
  const char *grpc_socket;
  bool grpc_tls;
  const char *grpc_ca_pem;   /* CA bundle text, required with grpc_tls */
  const char *token;         /* x-consul-token metadata; NULL means "" */
  const cJSON *proxy_config; /* the proxy's Proxy.Config object, or NULL */
  const char *config_path;   /* JSON path of proxy_config for messages,
                                e.g. "$.Proxy.Config" */
} ecsb_envoy_bootstrap_args;

/* Builds the bootstrap document; the caller frees *out with cJSON_Delete. */
int ecsb_envoy_bootstrap_build(const ecsb_envoy_bootstrap_args *a, cJSON **out,
                               ecsb_err *err);

/* ---- from a running agent, as `consul connect envoy -bootstrap` ---- */

struct ecsb_consul;
struct ecsb_consul_settings;
struct ecsb_retry;

typedef struct ecsb_envoy_agent_opts {
  const char *proxy_id;              /* required */
  const char *admin_bind;            /* HOST:PORT, default 127.0.0.1:19000 */
  const char *admin_access_log_path; /* default /dev/null */
  const char *node_name;             /* optional */
  /* gRPC address: "HOST:PORT", "http://HOST:PORT", "https://HOST:PORT"
   * (TLS) or "unix:///path". NULL: the settings' grpc_addr
   * (CONSUL_GRPC_ADDR), else the agent's HTTP host with the xDS port the
   * agent reports, chosen as Consul 1.14+ does (its TLS port first), or
   * 8502 when /v1/agent/self is denied. Host names are
   * resolved to an IP address here, because Envoy's STATIC cluster needs
   * one. */
  const char *grpc_addr;
  const char *ca_file; /* CA bundle for gRPC TLS; default settings cacert */
  /* Used only when /v1/agent/self is denied (a token without agent:read)
   * and the proxy's registration names no Datacenter; may be NULL. */
  const char *datacenter;
} ecsb_envoy_agent_opts;

/* What ecsb_envoy_bootstrap_from_agent checks before asking the agent
 * anything: -admin-bind, an explicit gRPC address, and its CA when it is
 * TLS. mesh-init calls it before registering. */
int ecsb_envoy_agent_opts_check(const struct ecsb_consul_settings *s,
                                const ecsb_envoy_agent_opts *o, ecsb_err *err);

/* Reads GET /v1/agent/self and GET /v1/agent/service/<proxy-id> (retrying
 * per r, which may be NULL) and renders the bootstrap text (*out, heap,
 * ecsb_json_pretty form). The proxy must be a connect-proxy. */
int ecsb_envoy_bootstrap_from_agent(struct ecsb_consul *c,
                                    const struct ecsb_consul_settings *s,
                                    struct ecsb_retry *r,
                                    const ecsb_envoy_agent_opts *o, char **out,
                                    ecsb_err *err);

/* Renders j with two-space indentation, as `consul connect envoy` prints
 * it, with a trailing newline. Heap string, NULL on ENOMEM. */
char *ecsb_json_pretty(const cJSON *j);

#endif
