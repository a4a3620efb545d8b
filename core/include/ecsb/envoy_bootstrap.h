/*
 * envoy_bootstrap.h - the Envoy bootstrap generator, equivalent to
 * `consul connect envoy -bootstrap` for a sidecar proxy, without the consul
 * binary. It writes what the `consul` of the agent's release writes, for
 * every Consul minor release from 1.10 to 1.20 (ecsb_consul_version): xDS
 * v3 with DELTA_GRPC ADS throughout; node metadata envoy_version (1.10) or
 * partition (1.11+); Consul's stats tag extractors of that release (with
 * partitions from 1.11, peers and the layered runtime from 1.13);
 * initial_fetch_timeout 0s from 1.14.7, 1.15.3 and 1.16; admin.access_log
 * and typed_extension_protocol_options instead of the deprecated Envoy
 * fields from 1.16.5, 1.17.2 and 1.18. Which release changed what is in
 * docs/ecsboot-init.md.
 *
 * Owns: the bootstrap document's shape, and the proxy Config keys that
 * change it: envoy_prometheus_bind_addr, envoy_stats_bind_addr,
 * envoy_stats_tags, envoy_extra_static_clusters_json,
 * envoy_extra_static_listeners_json, envoy_extra_stats_sinks_json,
 * envoy_stats_config_json, envoy_stats_flush_interval, envoy_tracing_json,
 * envoy_statsd_url, envoy_dogstatsd_url, envoy_bootstrap_json_tpl,
 * envoy_telemetry_collector_bind_socket_dir, and the proxy's AccessLogs.
 * Malformed values are errors naming the key (Consul would write a
 * bootstrap Envoy then rejects).
 *
 * The document builder is pure: no network, no files (the agent part,
 * ecsb_envoy_bootstrap_from_agent, reads the agent and the CA files). The
 * output is deterministic for the same inputs, so re-running mesh-init writes
 * identical bytes.
 */
#ifndef ECSB_ENVOY_BOOTSTRAP_H
#define ECSB_ENVOY_BOOTSTRAP_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "ecsb/err.h"

/* ---- Consul releases ------------------------------------------------- */

/* A Consul release as /v1/agent/self Config.Version or -consul-version
 * names it. {0, 0, 0} means "the newest supported". */
typedef struct ecsb_consul_version {
  int major, minor, patch;
} ecsb_consul_version;

#define ECSB_CONSUL_MIN_MINOR 10 /* 1.10.0 */
#define ECSB_CONSUL_MAX_MINOR 20 /* 1.20.x */
#define ECSB_CONSUL_RANGE "1.10.0 to 1.20.x"

/* Parses "1.15.3", "v1.15.3", "1.15" (patch 0), "1.16.0-ent",
 * "1.17.2+ent", "1.20.1-rc1" (suffixes ignored) and refuses a release
 * outside ECSB_CONSUL_RANGE. what names the source in messages (e.g.
 * "flag -consul-version", "Consul /v1/agent/self: $.Config.Version"). */
int ecsb_consul_version_parse(const char *s, const char *what,
                              ecsb_consul_version *v, ecsb_err *err);

/* a >= major.minor.patch; the zero version counts as the newest. */
bool ecsb_consul_version_at_least(const ecsb_consul_version *a, int major,
                                  int minor, int patch);

/* "1.15.3" (or "1.20 (newest)" for the zero version) into buf. */
const char *ecsb_consul_version_str(const ecsb_consul_version *v, char *buf,
                                    size_t cap);

/* Whether release v writes admin.access_log and
 * typed_extension_protocol_options (1.16.5, 1.17.2, 1.18+) rather than Envoy's
 * deprecated access_log_path and http(2)_protocol_options. */
bool ecsb_consul_version_new_envoy_fields(const ecsb_consul_version *v);

/* Adds a cluster's protocol options, proto_key http_protocol_options or
 * http2_protocol_options, as release v writes them. */
void ecsb_envoy_add_protocol_options(cJSON *cluster,
                                     const ecsb_consul_version *v,
                                     const char *proto_key);

/* Consul's stats tag extractors of release v: n pairs {tag_name, regex},
 * in the order that release emits them. Static storage. */
const char *const (*ecsb_envoy_stats_rules(const ecsb_consul_version *v,
                                           size_t *n))[2];

/* ---- the document ---------------------------------------------------- */

typedef struct ecsb_envoy_bootstrap_args {
  ecsb_consul_version version; /* the format to write; {0}: newest */
  /* node.metadata.envoy_version, written by Consul 1.10 only (its
   * -envoy-version default); NULL: "1.20.2", what 1.10.12 writes. */
  const char *envoy_version;
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
  /* -prometheus-backend-port: with envoy_prometheus_bind_addr, the
   * scrape path is served by 127.0.0.1:PORT (a "prometheus_backend"
   * cluster) instead of Envoy's own /stats/prometheus. 0: none. */
  int prometheus_backend_port;
  const char *prometheus_scrape_path; /* default /metrics */
  /* The readiness listener (Consul 1.13.6, 1.14.4, 1.15+): serves
   * Envoy's /ready. */
  const char *ready_host; /* IP literal; NULL: none */
  int ready_port;
  /* The proxy's Proxy.AccessLogs (proxy-defaults access logs, Consul
   * 1.15+), or NULL; when Enabled it replaces the admin access log. */
  const cJSON *access_logs;
} ecsb_envoy_bootstrap_args;

/* Builds the bootstrap document; the caller frees *out with cJSON_Delete. */
int ecsb_envoy_bootstrap_build(const ecsb_envoy_bootstrap_args *a, cJSON **out,
                               ecsb_err *err);

/* ---- parts of the document, for core/envoy_*.c ------------------------ */

/* Renders a proxy's envoy_bootstrap_json_tpl: {{ .Name }} (or {{.Name}})
 * takes the value of the argument Consul's template knows by that name
 * (AdminBindAddress, AdminBindPort, AdminAccessLogPath, ProxyCluster,
 * ProxyID, ProxySourceService, NodeName, Namespace, Partition,
 * Datacenter, Token, LocalAgentClusterName, AgentCAPEM, GRPC.AgentAddress,
 * GRPC.AgentPort, GRPC.AgentSocket, GRPC.AgentTLS); any other action is an
 * error naming it. The result must be a JSON object. */
int ecsb_envoy_template_render(const char *tpl,
                               const ecsb_envoy_bootstrap_args *a,
                               const char *path, cJSON **out, ecsb_err *err);

/* The HCP telemetry collector of Consul 1.15+
 * (envoy_telemetry_collector_bind_socket_dir = dir): a STATIC cluster
 * "consul_telemetry_collector_loopback" to the unix socket
 * dir/<base64url(sha1(namespace "_" proxy_id))>.sock and a metrics_service
 * stats sink sending to it. The caller owns both. */
int ecsb_envoy_telemetry_collector(const ecsb_envoy_bootstrap_args *a,
                                   const char *dir, const char *path,
                                   cJSON **cluster, cJSON **sink,
                                   ecsb_err *err);

/* The admin access_log array for a Proxy.AccessLogs object (path names
 * it in messages); *out is NULL when it is not Enabled. */
int ecsb_envoy_access_logs(const cJSON *al, const char *path, cJSON **out,
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
  /* Directory of CA certificates (every regular file, in name order) for
   * gRPC TLS, as -ca-path; -ca-file wins when both are given. */
  const char *ca_path;
  /* -grpc-ca-file / -grpc-ca-path (Consul 1.14+): the CA for gRPC only,
   * ahead of the others; with a unix:// gRPC address they turn TLS on. */
  const char *grpc_ca_file;
  const char *grpc_ca_path;
  /* The release whose bootstrap to write (-consul-version); NULL: the
   * agent's Config.Version from /v1/agent/self, else (denied or absent)
   * the newest supported, with a warning. */
  const char *consul_version;
  const char *envoy_version;          /* -envoy-version (1.10's metadata) */
  int prometheus_backend_port;        /* 0: none */
  const char *prometheus_scrape_path; /* NULL: /metrics */
  /* The readiness listener: -envoy-ready-bind-address with
   * -envoy-ready-bind-port, as Consul 1.13.6, 1.14.4 and 1.15+ take it,
   * or -ready-bind HOST:PORT; NULL / 0: none. */
  const char *ready_bind;
  const char *ready_bind_address;
  int ready_bind_port;
} ecsb_envoy_agent_opts;

/* What ecsb_envoy_bootstrap_from_agent checks before asking the agent
 * anything: -admin-bind, -ready-bind, -consul-version (in range, and new
 * enough for -ready-bind), -ca-path, an explicit gRPC address, and its CA
 * when it is TLS. mesh-init calls it before registering. */
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
