/*
 * envoy_bootstrap.c - builds the Envoy bootstrap document (see
 * envoy_bootstrap.h) as a cJSON tree rather than by text templating, so a
 * hostile value (a service name with a quote, a malformed extra-clusters
 * string) can never produce invalid JSON: every inserted string is escaped
 * by the serializer and every user-supplied JSON fragment is parsed first.
 *
 * The Consul release in the arguments picks each part's shape (the
 * predicates below and envoy_releases.c); nothing else varies by release.
 *
 * Called by mesh-init and the envoy-bootstrap subcommand. Never touches the
 * network or files.
 */
#include "ecsb/envoy_bootstrap.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/json.h"
#include "ecsb/text.h"

#define SELF_ADMIN "self_admin"
#define LOCAL_AGENT "local_agent"
#define PROMETHEUS_BACKEND "prometheus_backend"

static bool new_envoy_fields(const ecsb_consul_version *v) {
  return ecsb_consul_version_new_envoy_fields(v);
}

/* The proxy Config keys this module reads, with their values once read. */
typedef struct boot_cfg {
  const char *prometheus_bind, *stats_bind, *clusters_json, *listeners_json,
      *sinks_json, *stats_config_json, *flush_interval, *tracing_json,
      *statsd_url, *dogstatsd_url, *bootstrap_tpl, *telemetry_dir;
  const cJSON *stats_tags; /* array or string */
} boot_cfg;

static int cfg_read(const cJSON *cfg, const char *path, boot_cfg *b,
                    ecsb_err *err) {
  memset(b, 0, sizeof *b);
  if (!cfg)
    return 0;
  if (!cJSON_IsObject(cfg))
    return ecsb_err_set(err, ECSB_EINVAL, "%s: expected an object", path);
  struct {
    const char *key;
    const char **dst;
  } keys[] = {
      {"envoy_prometheus_bind_addr", &b->prometheus_bind},
      {"envoy_stats_bind_addr", &b->stats_bind},
      {"envoy_extra_static_clusters_json", &b->clusters_json},
      {"envoy_extra_static_listeners_json", &b->listeners_json},
      {"envoy_extra_stats_sinks_json", &b->sinks_json},
      {"envoy_stats_config_json", &b->stats_config_json},
      {"envoy_stats_flush_interval", &b->flush_interval},
      {"envoy_tracing_json", &b->tracing_json},
      {"envoy_statsd_url", &b->statsd_url},
      {"envoy_dogstatsd_url", &b->dogstatsd_url},
      {"envoy_bootstrap_json_tpl", &b->bootstrap_tpl},
      {"envoy_telemetry_collector_bind_socket_dir", &b->telemetry_dir},
  };
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    int rc =
        ecsb_json_get_string(cfg, path, keys[i].key, false, keys[i].dst, err);
    if (rc)
      return rc;
    if (*keys[i].dst && !**keys[i].dst)
      *keys[i].dst = NULL; /* "" means unset, as in Consul */
  }
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(cfg, "envoy_stats_tags");
  if (t && !cJSON_IsNull(t)) {
    if (!cJSON_IsArray(t) && !cJSON_IsString(t))
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s.envoy_stats_tags: expected an array of "
                          "\"name=value\" strings",
                          path);
    b->stats_tags = t;
  }
  return 0;
}

/* Parses a Consul "extra JSON" value: zero or more objects separated by
 * commas, as if written inside a JSON array. */
static int parse_fragment_list(const char *s, const char *path, const char *key,
                               cJSON **out, ecsb_err *err) {
  size_t n = strlen(s);
  char *buf = malloc(n + 3);
  if (!buf)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  buf[0] = '[';
  memcpy(buf + 1, s, n);
  buf[n + 1] = ']';
  buf[n + 2] = '\0';
  char what[256];
  snprintf(what, sizeof what, "%s.%s (as a JSON array)", path, key);
  int rc = ecsb_json_parse(buf, n + 2, what, out, err);
  free(buf);
  if (rc)
    return rc;
  int i = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, *out) {
    if (!cJSON_IsObject(it)) {
      cJSON_Delete(*out);
      *out = NULL;
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s.%s: item %d is not a JSON object", path, key, i);
    }
    i++;
  }
  return 0;
}

static int parse_object(const char *s, const char *path, const char *key,
                        cJSON **out, ecsb_err *err) {
  char what[256];
  snprintf(what, sizeof what, "%s.%s", path, key);
  int rc = ecsb_json_parse(s, strlen(s), what, out, err);
  if (rc == 0 && !cJSON_IsObject(*out)) {
    cJSON_Delete(*out);
    *out = NULL;
    rc = ecsb_err_set(err, ECSB_EINVAL, "%s: expected a JSON object", what);
  }
  return rc;
}

static cJSON *socket_address(const char *host, int port) {
  cJSON *a = cJSON_CreateObject();
  cJSON *sa = cJSON_AddObjectToObject(a, "socket_address");
  cJSON_AddStringToObject(sa, "address", host);
  cJSON_AddNumberToObject(sa, "port_value", port);
  return a;
}

static cJSON *pipe_address(const char *path) {
  cJSON *a = cJSON_CreateObject();
  cJSON *p = cJSON_AddObjectToObject(a, "pipe");
  cJSON_AddStringToObject(p, "path", path);
  return a;
}

/* A STATIC cluster with one endpoint at addr (taken). proto_key is
 * http_protocol_options or http2_protocol_options, written as the
 * release does: directly, or (1.16.5+) inside Envoy's
 * typed_extension_protocol_options. */
static cJSON *static_cluster(const ecsb_consul_version *v, const char *name,
                             const char *timeout, const char *proto_key,
                             cJSON *addr, cJSON *transport) {
  cJSON *c = cJSON_CreateObject();
  cJSON_AddStringToObject(c, "name", name);
  cJSON_AddFalseToObject(c, "ignore_health_on_host_removal");
  cJSON_AddStringToObject(c, "connect_timeout", timeout);
  cJSON_AddStringToObject(c, "type", "STATIC");
  if (transport)
    cJSON_AddItemToObject(c, "transport_socket", transport);
  ecsb_envoy_add_protocol_options(c, v, proto_key);
  cJSON *la = cJSON_AddObjectToObject(c, "loadAssignment");
  cJSON_AddStringToObject(la, "clusterName", name);
  cJSON *eps = cJSON_AddArrayToObject(la, "endpoints");
  cJSON *ep = cJSON_CreateObject();
  cJSON_AddItemToArray(eps, ep);
  cJSON *lbs = cJSON_AddArrayToObject(ep, "lbEndpoints");
  cJSON *lb = cJSON_CreateObject();
  cJSON_AddItemToArray(lbs, lb);
  cJSON *e = cJSON_AddObjectToObject(lb, "endpoint");
  cJSON_AddItemToObject(e, "address", addr);
  return c;
}

/* The listener that exposes one admin path (Prometheus /metrics, /stats)
 * without exposing the rest of the admin API. */
static cJSON *admin_proxy_listener(const ecsb_consul_version *v,
                                   const char *name, const char *host, int port,
                                   const char *match_type, const char *match,
                                   const char *cluster, const char *rewrite) {
  char lname[128];
  snprintf(lname, sizeof lname, "%s_listener", name);
  cJSON *l = cJSON_CreateObject();
  cJSON_AddStringToObject(l, "name", lname);
  cJSON_AddItemToObject(l, "address", socket_address(host, port));
  cJSON *chains = cJSON_AddArrayToObject(l, "filter_chains");
  cJSON *chain = cJSON_CreateObject();
  cJSON_AddItemToArray(chains, chain);
  cJSON *filters = cJSON_AddArrayToObject(chain, "filters");
  cJSON *f = cJSON_CreateObject();
  cJSON_AddItemToArray(filters, f);
  cJSON_AddStringToObject(f, "name",
                          "envoy.filters.network.http_connection_manager");
  cJSON *tc = cJSON_AddObjectToObject(f, "typedConfig");
  cJSON_AddStringToObject(tc, "@type",
                          "type.googleapis.com/"
                          "envoy.extensions.filters.network.http_connection_"
                          "manager.v3.HttpConnectionManager");
  cJSON_AddStringToObject(tc, "stat_prefix", name);
  cJSON_AddStringToObject(tc, "codec_type", "HTTP1");
  cJSON *rc = cJSON_AddObjectToObject(tc, "route_config");
  cJSON_AddStringToObject(rc, "name", "self_admin_route");
  cJSON *vhs = cJSON_AddArrayToObject(rc, "virtual_hosts");
  cJSON *vh = cJSON_CreateObject();
  cJSON_AddItemToArray(vhs, vh);
  cJSON_AddStringToObject(vh, "name", SELF_ADMIN);
  cJSON *domains = cJSON_AddArrayToObject(vh, "domains");
  cJSON_AddItemToArray(domains, cJSON_CreateString("*"));
  cJSON *routes = cJSON_AddArrayToObject(vh, "routes");
  cJSON *r1 = cJSON_CreateObject();
  cJSON_AddItemToArray(routes, r1);
  cJSON_AddStringToObject(cJSON_AddObjectToObject(r1, "match"), match_type,
                          match);
  cJSON *rt = cJSON_AddObjectToObject(r1, "route");
  cJSON_AddStringToObject(rt, "cluster", cluster);
  cJSON_AddStringToObject(rt, "prefix_rewrite", rewrite);
  cJSON *r2 = cJSON_CreateObject();
  cJSON_AddItemToArray(routes, r2);
  cJSON_AddStringToObject(cJSON_AddObjectToObject(r2, "match"), "prefix", "/");
  cJSON_AddNumberToObject(cJSON_AddObjectToObject(r2, "direct_response"),
                          "status", 404);
  cJSON *hf = cJSON_AddArrayToObject(tc, "http_filters");
  cJSON *router = cJSON_CreateObject();
  cJSON_AddItemToArray(hf, router);
  cJSON_AddStringToObject(router, "name", "envoy.filters.http.router");
  /* Releases before 1.14 name the router filter without a config. */
  if (ecsb_consul_version_at_least(v, 1, 14, 0))
    cJSON_AddStringToObject(cJSON_AddObjectToObject(router, "typedConfig"),
                            "@type",
                            "type.googleapis.com/"
                            "envoy.extensions.filters.http.router.v3.Router");
  return l;
}

static bool has_cluster_named(const cJSON *clusters, const char *name) {
  const cJSON *c;
  cJSON_ArrayForEach(c, clusters) {
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(c, "name");
    if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
      return true;
  }
  return false;
}

/* A listener at bind (what names it in messages) routing one path to
 * Envoy's admin API (self_admin), or to 127.0.0.1:backend_port
 * (prometheus_backend) when backend_port > 0. */
static int add_admin_listener(const ecsb_envoy_bootstrap_args *a,
                              cJSON *clusters, cJSON *listeners,
                              const char *bind, const char *what,
                              const char *name, const char *match_type,
                              const char *match, const char *rewrite,
                              int backend_port, ecsb_err *err) {
  char host[256];
  int port = 0;
  int rc = ecsb_hostport_parse(bind, 0, what, host, sizeof host, &port, err);
  if (rc)
    return rc;
  const char *cluster = backend_port > 0 ? PROMETHEUS_BACKEND : SELF_ADMIN;
  /* One cluster of each name serves every listener (Envoy rejects
   * duplicate cluster names). */
  if (!has_cluster_named(clusters, cluster))
    cJSON_AddItemToArray(
        clusters,
        static_cluster(&a->version, cluster, "5s", "http_protocol_options",
                       backend_port > 0
                           ? socket_address("127.0.0.1", backend_port)
                           : socket_address(a->admin_host, a->admin_port),
                       NULL));
  cJSON_AddItemToArray(listeners, admin_proxy_listener(&a->version, name, host,
                                                       port, match_type, match,
                                                       cluster, rewrite));
  return 0;
}

/* Resolves "$NAME" to the variable's value and expands "${HOST_IP}" (the
 * only variable Consul expands inside a sink URL). */
static int sink_url_expand(const char *in, char *out, size_t cap) {
  if (in[0] == '$' && in[1] != '{' && strlen(in) > 2) {
    const char *v = getenv(in + 1);
    return snprintf(out, cap, "%s", v ? v : "") >= (int)cap ? -1 : 0;
  }
  size_t o = 0;
  for (const char *p = in; *p;) {
    const char *piece = p;
    size_t len = 1;
    if (strncmp(p, "${HOST_IP}", 10) == 0) {
      piece = getenv("HOST_IP");
      piece = piece ? piece : "";
      len = strlen(piece);
      p += 10;
    } else {
      p++;
    }
    if (o + len >= cap)
      return -1;
    memcpy(out + o, piece, len);
    o += len;
  }
  out[o] = '\0';
  return 0;
}

static int stats_sink(const char *name, const char *type, const char *url,
                      const char *path, const char *key, cJSON *sinks,
                      ecsb_err *err) {
  char u[1024];
  if (sink_url_expand(url, u, sizeof u) != 0)
    return ecsb_err_set(err, ECSB_EINVAL, "%s.%s: URL too long", path, key);
  cJSON *addr = NULL;
  if (strncmp(u, "udp://", 6) == 0) {
    char host[256], what[200];
    int port = 0;
    snprintf(what, sizeof what, "%s.%s", path, key);
    char hp[1024];
    memcpy(hp, u + 6, strlen(u + 6) + 1);
    char *slash = strchr(hp, '/');
    if (slash && slash[1] == '\0')
      *slash = '\0';
    int rc = ecsb_hostport_parse(hp, 0, what, host, sizeof host, &port, err);
    if (rc)
      return rc;
    addr = socket_address(host, port);
  } else if (strncmp(u, "unix://", 7) == 0 && u[7] == '/') {
    addr = pipe_address(u + 7);
  } else {
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s.%s: \"%s\": expected udp://HOST:PORT or "
                        "unix:///PATH",
                        path, key, u);
  }
  cJSON *s = cJSON_CreateObject();
  cJSON_AddStringToObject(s, "name", name);
  cJSON *tc = cJSON_AddObjectToObject(s, "typedConfig");
  cJSON_AddStringToObject(tc, "@type", type);
  cJSON_AddItemToObject(tc, "address", addr);
  cJSON_AddItemToArray(sinks, s);
  return 0;
}

static cJSON *fixed_tag(const char *name, const char *value) {
  cJSON *t = cJSON_CreateObject();
  cJSON_AddStringToObject(t, "tag_name", name);
  cJSON_AddStringToObject(t, "fixed_value", value);
  return t;
}

/* stats_config from envoy_stats_tags plus Consul's defaults: user tags
 * first, then the extractors, then the fixed source tags the user did not
 * set themselves. */
static int stats_config(const ecsb_envoy_bootstrap_args *a, const boot_cfg *b,
                        const char *path, cJSON **out, ecsb_err *err) {
  cJSON *sc = cJSON_CreateObject();
  cJSON *tags = cJSON_AddArrayToObject(sc, "stats_tags");
  cJSON *user = NULL;
  int rc = 0;
  if (b->stats_tags && cJSON_IsString(b->stats_tags)) {
    /* A comma-separated string is accepted as well as an array. */
    user = cJSON_CreateArray();
    const char *s = b->stats_tags->valuestring;
    while (*s) {
      const char *c = strchr(s, ',');
      size_t n = c ? (size_t)(c - s) : strlen(s);
      char *item = strndup(s, n);
      cJSON_AddItemToArray(user, cJSON_CreateString(item ? item : ""));
      free(item);
      s += n + (c ? 1 : 0);
    }
  }
  const cJSON *list = user ? user : b->stats_tags;
  int i = 0;
  const cJSON *t;
  cJSON_ArrayForEach(t, list) {
    if (!cJSON_IsString(t) || !*t->valuestring) {
      rc = ecsb_err_set(err, ECSB_EINVAL,
                        "%s.envoy_stats_tags[%d]: expected a non-empty "
                        "\"name=value\" string",
                        path, i);
      goto fail;
    }
    const char *eq = strchr(t->valuestring, '=');
    size_t kl = eq ? (size_t)(eq - t->valuestring) : strlen(t->valuestring);
    char *k = strndup(t->valuestring, kl);
    if (!k) {
      rc = ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
      goto fail;
    }
    for (char *p = k; *p; p++)
      *p = (char)tolower((unsigned char)*p);
    /* A bare name is a boolean tag with value "1", as in Consul. */
    cJSON_AddItemToArray(tags, fixed_tag(k, eq ? eq + 1 : "1"));
    free(k);
    i++;
  }
  size_t n_rules = 0;
  const char *const(*rules)[2] = ecsb_envoy_stats_rules(&a->version, &n_rules);
  for (size_t r = 0; r < n_rules; r++) {
    cJSON *rt = cJSON_CreateObject();
    cJSON_AddStringToObject(rt, "regex", rules[r][1]);
    cJSON_AddStringToObject(rt, "tag_name", rules[r][0]);
    cJSON_AddItemToArray(tags, rt);
  }
  /* Admin partitions, and their tag, arrived in 1.11. */
  bool partitions = ecsb_consul_version_at_least(&a->version, 1, 11, 0);
  const char *defaults[][2] = {
      {"local_cluster", a->cluster},
      {"consul.source.service", a->source_service},
      {"consul.source.namespace", a->ns && *a->ns ? a->ns : "default"},
      {"consul.source.partition", !partitions                     ? NULL
                                  : a->partition && *a->partition ? a->partition
                                                                  : "default"},
      {"consul.source.datacenter", a->datacenter},
  };
  for (size_t d = 0; d < sizeof defaults / sizeof defaults[0]; d++) {
    if (!defaults[d][1] || !*defaults[d][1])
      continue;
    bool taken = false;
    const cJSON *x;
    cJSON_ArrayForEach(x, tags) {
      const cJSON *fv = cJSON_GetObjectItemCaseSensitive(x, "fixed_value");
      const cJSON *tn = cJSON_GetObjectItemCaseSensitive(x, "tag_name");
      if (fv && cJSON_IsString(tn) &&
          strcmp(tn->valuestring, defaults[d][0]) == 0)
        taken = true;
    }
    if (!taken)
      cJSON_AddItemToArray(tags, fixed_tag(defaults[d][0], defaults[d][1]));
  }
  cJSON_AddTrueToObject(sc, "use_all_default_tags");
  cJSON_Delete(user);
  *out = sc;
  return 0;
fail:
  cJSON_Delete(user);
  cJSON_Delete(sc);
  return rc;
}

/* initial_fetch_timeout 0s (wait for the whole initial xDS configuration)
 * arrived with Consul PR #17317 of May 2023 and its backports: 1.14.7,
 * 1.15.3, 1.16 on; 1.13 never had it. */
static bool waits_for_initial_xds(const ecsb_consul_version *v) {
  return ecsb_consul_version_at_least(v, 1, 16, 0) ||
         (v->minor == 15 && v->patch >= 3) || (v->minor == 14 && v->patch >= 7);
}

static cJSON *ads_source(const ecsb_consul_version *v) {
  cJSON *c = cJSON_CreateObject();
  cJSON_AddObjectToObject(c, "ads");
  if (waits_for_initial_xds(v))
    cJSON_AddStringToObject(c, "initial_fetch_timeout", "0s");
  cJSON_AddStringToObject(c, "resource_api_version", "V3");
  return c;
}

static int validate_args(const ecsb_envoy_bootstrap_args *a, ecsb_err *err) {
  if (!a->proxy_id || !*a->proxy_id)
    return ecsb_err_set(err, ECSB_EINVAL, "envoy bootstrap: missing proxy ID");
  if (!a->cluster || !*a->cluster)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "envoy bootstrap: missing cluster (destination "
                        "service name)");
  if (!a->grpc_socket &&
      (!a->grpc_host || a->grpc_port < 1 || a->grpc_port > 65535))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "envoy bootstrap: missing gRPC address of the agent");
  if (a->grpc_tls && (!a->grpc_ca_pem || !*a->grpc_ca_pem))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "envoy bootstrap: gRPC over TLS needs a CA file "
                        "(-ca-file or CONSUL_CACERT)");
  return 0;
}

int ecsb_envoy_bootstrap_build(const ecsb_envoy_bootstrap_args *a, cJSON **out,
                               ecsb_err *err) {
  *out = NULL;
  int rc = validate_args(a, err);
  if (rc)
    return rc;
  const char *cpath = a->config_path ? a->config_path : "$.Proxy.Config";
  boot_cfg b;
  if ((rc = cfg_read(a->proxy_config, cpath, &b, err)))
    return rc;
  const char *admin_host = a->admin_host ? a->admin_host : "127.0.0.1";
  int admin_port = a->admin_port > 0 ? a->admin_port : 19000;
  ecsb_envoy_bootstrap_args ad = *a;
  ad.admin_host = admin_host;
  ad.admin_port = admin_port;
  const ecsb_consul_version *v = &a->version;
  if (b.bootstrap_tpl)
    /* envoy_bootstrap_json_tpl replaces the whole document. */
    return ecsb_envoy_template_render(b.bootstrap_tpl, &ad, cpath, out, err);

  cJSON *root = cJSON_CreateObject(), *extra = NULL, *sinks = NULL,
        *stats = NULL, *tracing = NULL, *alogs = NULL;
  cJSON *admin = cJSON_AddObjectToObject(root, "admin");
  const char *alp =
      a->admin_access_log_path ? a->admin_access_log_path : "/dev/null";
  if (a->access_logs && ecsb_consul_version_at_least(v, 1, 15, 0) &&
      (rc = ecsb_envoy_access_logs(a->access_logs, "$.Proxy.AccessLogs", &alogs,
                                   err)))
    goto fail;
  if (alogs) {
    /* Enabled proxy-defaults access logs (1.15+) replace the admin log. */
    cJSON_AddItemToObject(admin, "access_log", alogs);
    alogs = NULL;
  } else if (new_envoy_fields(v)) {
    cJSON *l = cJSON_CreateObject();
    cJSON_AddItemToArray(cJSON_AddArrayToObject(admin, "access_log"), l);
    cJSON_AddStringToObject(l, "name", "envoy.access_loggers.file");
    cJSON *tc = cJSON_AddObjectToObject(l, "typed_config");
    cJSON_AddStringToObject(tc, "@type",
                            "type.googleapis.com/"
                            "envoy.extensions.access_loggers.file.v3."
                            "FileAccessLog");
    cJSON_AddStringToObject(tc, "path", alp);
  } else {
    cJSON_AddStringToObject(admin, "access_log_path", alp);
  }
  cJSON_AddItemToObject(admin, "address",
                        socket_address(admin_host, admin_port));

  cJSON *node = cJSON_AddObjectToObject(root, "node");
  cJSON_AddStringToObject(node, "cluster", a->cluster);
  cJSON_AddStringToObject(node, "id", a->proxy_id);
  cJSON *md = cJSON_AddObjectToObject(node, "metadata");
  if (a->node_name && *a->node_name)
    cJSON_AddStringToObject(md, "node_name", a->node_name);
  cJSON_AddStringToObject(md, "namespace", a->ns && *a->ns ? a->ns : "default");
  if (ecsb_consul_version_at_least(v, 1, 11, 0))
    cJSON_AddStringToObject(md, "partition",
                            a->partition && *a->partition ? a->partition
                                                          : "default");
  else
    cJSON_AddStringToObject(
        md, "envoy_version",
        a->envoy_version && *a->envoy_version ? a->envoy_version : "1.20.2");

  if (ecsb_consul_version_at_least(v, 1, 13, 0)) {
    /* The 1.13+ extractors outgrow RE2's default program size. */
    cJSON *layers = cJSON_AddArrayToObject(
        cJSON_AddObjectToObject(root, "layered_runtime"), "layers");
    cJSON *base = cJSON_CreateObject();
    cJSON_AddItemToArray(layers, base);
    cJSON_AddStringToObject(base, "name", "base");
    cJSON_AddNumberToObject(cJSON_AddObjectToObject(base, "static_layer"),
                            "re2.max_program_size.error_level", 1048576);
  }

  cJSON *sr = cJSON_AddObjectToObject(root, "static_resources");
  cJSON *clusters = cJSON_AddArrayToObject(sr, "clusters");
  cJSON *tls = NULL;
  if (a->grpc_tls) {
    tls = cJSON_CreateObject();
    cJSON_AddStringToObject(tls, "name", "tls");
    cJSON *tc = cJSON_AddObjectToObject(tls, "typed_config");
    cJSON_AddStringToObject(tc, "@type",
                            "type.googleapis.com/"
                            "envoy.extensions.transport_sockets.tls.v3."
                            "UpstreamTlsContext");
    cJSON *vc = cJSON_AddObjectToObject(
        cJSON_AddObjectToObject(tc, "common_tls_context"),
        "validation_context");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(vc, "trusted_ca"),
                            "inline_string", a->grpc_ca_pem);
  }
  cJSON_AddItemToArray(
      clusters, static_cluster(v, LOCAL_AGENT, "1s", "http2_protocol_options",
                               a->grpc_socket
                                   ? pipe_address(a->grpc_socket)
                                   : socket_address(a->grpc_host, a->grpc_port),
                               tls));
  if (b.clusters_json) {
    if ((rc = parse_fragment_list(b.clusters_json, cpath,
                                  "envoy_extra_static_clusters_json", &extra,
                                  err)))
      goto fail;
    while (cJSON_GetArraySize(extra) > 0)
      cJSON_AddItemToArray(clusters, cJSON_DetachItemFromArray(extra, 0));
    cJSON_Delete(extra);
    extra = NULL;
  }
  cJSON *listeners = cJSON_CreateArray();
  cJSON_AddItemToObject(sr, "listeners", listeners);
  if (b.listeners_json) {
    if ((rc = parse_fragment_list(b.listeners_json, cpath,
                                  "envoy_extra_static_listeners_json", &extra,
                                  err)))
      goto fail;
    while (cJSON_GetArraySize(extra) > 0)
      cJSON_AddItemToArray(listeners, cJSON_DetachItemFromArray(extra, 0));
    cJSON_Delete(extra);
    extra = NULL;
  }
  char what[300];
  snprintf(what, sizeof what, "%s.envoy_prometheus_bind_addr", cpath);
  if (b.prometheus_bind &&
      (rc = add_admin_listener(
           &ad, clusters, listeners, b.prometheus_bind, what,
           "envoy_prometheus_metrics", "path",
           a->prometheus_scrape_path && *a->prometheus_scrape_path
               ? a->prometheus_scrape_path
               : "/metrics",
           "/stats/prometheus", a->prometheus_backend_port, err)))
    goto fail;
  snprintf(what, sizeof what, "%s.envoy_stats_bind_addr", cpath);
  if (b.stats_bind &&
      (rc = add_admin_listener(&ad, clusters, listeners, b.stats_bind, what,
                               "envoy_metrics", "prefix", "/stats", "/stats", 0,
                               err)))
    goto fail;
  if (a->ready_host && a->ready_port > 0) {
    char rb[300];
    snprintf(rb, sizeof rb, "%s%s%s:%d", strchr(a->ready_host, ':') ? "[" : "",
             a->ready_host, strchr(a->ready_host, ':') ? "]" : "",
             a->ready_port);
    if ((rc = add_admin_listener(&ad, clusters, listeners, rb,
                                 "flag -ready-bind", "envoy_ready", "path",
                                 "/ready", "/ready", 0, err)))
      goto fail;
  }
  if (cJSON_GetArraySize(listeners) == 0)
    cJSON_DeleteItemFromObjectCaseSensitive(sr, "listeners");

  sinks = cJSON_CreateArray();
  /* The HCP telemetry collector arrived in 1.15; older releases ignore
   * the key, as they ignore any key they do not know. */
  bool telemetry = b.telemetry_dir && ecsb_consul_version_at_least(v, 1, 15, 0);
  if (telemetry) {
    cJSON *tcl = NULL, *tsink = NULL;
    if ((rc = ecsb_envoy_telemetry_collector(&ad, b.telemetry_dir, cpath, &tcl,
                                             &tsink, err)))
      goto fail;
    cJSON_AddItemToArray(clusters, tcl);
    cJSON_AddItemToArray(sinks, tsink);
  }
  if (b.statsd_url &&
      (rc = stats_sink("envoy.stat_sinks.statsd",
                       "type.googleapis.com/envoy.config.metrics.v3.StatsdSink",
                       b.statsd_url, cpath, "envoy_statsd_url", sinks, err)))
    goto fail;
  if (b.dogstatsd_url &&
      (rc = stats_sink(
           "envoy.stat_sinks.dog_statsd",
           "type.googleapis.com/envoy.config.metrics.v3.DogStatsdSink",
           b.dogstatsd_url, cpath, "envoy_dogstatsd_url", sinks, err)))
    goto fail;
  if (b.sinks_json) {
    if ((rc = parse_fragment_list(b.sinks_json, cpath,
                                  "envoy_extra_stats_sinks_json", &extra, err)))
      goto fail;
    while (cJSON_GetArraySize(extra) > 0)
      cJSON_AddItemToArray(sinks, cJSON_DetachItemFromArray(extra, 0));
    cJSON_Delete(extra);
    extra = NULL;
  }
  if (cJSON_GetArraySize(sinks) > 0) {
    cJSON_AddItemToObject(root, "stats_sinks", sinks);
  } else {
    cJSON_Delete(sinks);
  }
  sinks = NULL;

  if (b.stats_config_json)
    rc = parse_object(b.stats_config_json, cpath, "envoy_stats_config_json",
                      &stats, err);
  else
    rc = stats_config(a, &b, cpath, &stats, err);
  if (rc)
    goto fail;
  cJSON_AddItemToObject(root, "stats_config", stats);
  stats = NULL;
  if (b.flush_interval || telemetry)
    cJSON_AddStringToObject(root, "stats_flush_interval",
                            b.flush_interval ? b.flush_interval : "60s");
  if (b.tracing_json) {
    if ((rc = parse_object(b.tracing_json, cpath, "envoy_tracing_json",
                           &tracing, err)))
      goto fail;
    cJSON_AddItemToObject(root, "tracing", tracing);
    tracing = NULL;
  }

  cJSON *dyn = cJSON_AddObjectToObject(root, "dynamic_resources");
  cJSON_AddItemToObject(dyn, "lds_config", ads_source(&a->version));
  cJSON_AddItemToObject(dyn, "cds_config", ads_source(&a->version));
  cJSON *ads = cJSON_AddObjectToObject(dyn, "ads_config");
  cJSON_AddStringToObject(ads, "api_type", "DELTA_GRPC");
  cJSON_AddStringToObject(ads, "transport_api_version", "V3");
  cJSON *gs = cJSON_AddObjectToObject(ads, "grpc_services");
  cJSON *im = cJSON_AddArrayToObject(gs, "initial_metadata");
  cJSON *tok = cJSON_CreateObject();
  cJSON_AddItemToArray(im, tok);
  cJSON_AddStringToObject(tok, "key", "x-consul-token");
  cJSON_AddStringToObject(tok, "value", a->token ? a->token : "");
  cJSON_AddStringToObject(cJSON_AddObjectToObject(gs, "envoy_grpc"),
                          "cluster_name", LOCAL_AGENT);
  *out = root;
  return 0;
fail:
  cJSON_Delete(alogs);
  cJSON_Delete(extra);
  cJSON_Delete(sinks);
  cJSON_Delete(stats);
  cJSON_Delete(tracing);
  cJSON_Delete(root);
  return rc;
}

/* Re-indents compact JSON with two spaces per level (cJSON only indents
 * with tabs). Works on the serializer's own output, so the only state
 * needed is "inside a string" and "after a backslash". */
char *ecsb_json_pretty(const cJSON *j) {
  char *flat = cJSON_PrintUnformatted(j);
  if (!flat)
    return NULL;
  size_t n = strlen(flat), cap = n * 2 + 64, o = 0;
  int depth = 0;
  char *out = malloc(cap);
  if (!out)
    goto fail;
  bool in_str = false, esc = false;
  for (size_t i = 0; i < n; i++) {
    char ch = flat[i];
    /* Worst case per byte: newline plus indentation. */
    size_t need = o + 4 + (size_t)(depth + 1) * 2;
    if (need >= cap) {
      cap = need * 2;
      char *nb = realloc(out, cap);
      if (!nb)
        goto fail;
      out = nb;
    }
    if (in_str) {
      out[o++] = ch;
      if (esc)
        esc = false;
      else if (ch == '\\')
        esc = true;
      else if (ch == '"')
        in_str = false;
      continue;
    }
    switch (ch) {
    case '"':
      in_str = true;
      out[o++] = ch;
      break;
    case '{':
    case '[':
      out[o++] = ch;
      if (flat[i + 1] == (ch == '{' ? '}' : ']')) {
        out[o++] = flat[++i];
        break;
      }
      depth++;
      out[o++] = '\n';
      for (int d = 0; d < depth * 2; d++)
        out[o++] = ' ';
      break;
    case '}':
    case ']':
      depth--;
      out[o++] = '\n';
      for (int d = 0; d < depth * 2; d++)
        out[o++] = ' ';
      out[o++] = ch;
      break;
    case ',':
      out[o++] = ',';
      out[o++] = '\n';
      for (int d = 0; d < depth * 2; d++)
        out[o++] = ' ';
      break;
    case ':':
      out[o++] = ':';
      out[o++] = ' ';
      break;
    default:
      out[o++] = ch;
    }
  }
  out[o++] = '\n';
  out[o] = '\0';
  free(flat);
  return out;
fail:
  free(flat);
  free(out);
  return NULL;
}
