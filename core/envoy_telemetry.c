/*
 * envoy_telemetry.c - the HCP telemetry collector part of the Envoy
 * bootstrap (proxy Config envoy_telemetry_collector_bind_socket_dir,
 * Consul 1.15+): Envoy sends its metrics over gRPC to a unix socket in that
 * folder, whose name Consul derives from the proxy (so the collector's
 * listener, configured over xDS, finds the same path). Called by
 * ecsb_envoy_bootstrap_build; pure.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "ecsb/envoy_bootstrap.h"

#define COLLECTOR "consul_telemetry_collector_loopback"

/* Unpadded base64url of n bytes into out (cap >= 4 * n / 3 + 2). */
static void base64url(const unsigned char *in, size_t n, char *out) {
  static const char tab[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  size_t o = 0;
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)in[i] << 16;
    if (i + 1 < n)
      v |= (unsigned)in[i + 1] << 8;
    if (i + 2 < n)
      v |= in[i + 2];
    out[o++] = tab[(v >> 18) & 63];
    out[o++] = tab[(v >> 12) & 63];
    if (i + 1 < n)
      out[o++] = tab[(v >> 6) & 63];
    if (i + 2 < n)
      out[o++] = tab[v & 63];
  }
  out[o] = '\0';
}

int ecsb_envoy_telemetry_collector(const ecsb_envoy_bootstrap_args *a,
                                   const char *dir, const char *path,
                                   cJSON **cluster, cJSON **sink,
                                   ecsb_err *err) {
  *cluster = *sink = NULL;
  char id[1024], sock[2048], hash[64];
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  /* The namespace defaults to "default", as Consul's xDS side does. */
  int n = snprintf(id, sizeof id, "%s_%s", a->ns && *a->ns ? a->ns : "default",
                   a->proxy_id);
  if (n < 0 || (size_t)n >= sizeof id ||
      !EVP_Digest(id, (size_t)n, md, &mdlen, EVP_sha1(), NULL))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s.envoy_telemetry_collector_bind_socket_dir: cannot "
                        "name the socket for proxy \"%s\"",
                        path, a->proxy_id);
  base64url(md, mdlen, hash);
  size_t dl = strlen(dir);
  if (snprintf(sock, sizeof sock, "%s%s%s.sock", dir,
               dl && dir[dl - 1] == '/' ? "" : "/", hash) >= (int)sizeof sock)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s.envoy_telemetry_collector_bind_socket_dir: path "
                        "too long",
                        path);
  cJSON *c = cJSON_CreateObject();
  cJSON_AddStringToObject(c, "name", COLLECTOR);
  cJSON_AddStringToObject(c, "type", "STATIC");
  ecsb_envoy_add_protocol_options(c, &a->version, "http2_protocol_options");
  cJSON *la = cJSON_AddObjectToObject(c, "loadAssignment");
  cJSON_AddStringToObject(la, "clusterName", COLLECTOR);
  cJSON *ep = cJSON_CreateObject();
  cJSON_AddItemToArray(cJSON_AddArrayToObject(la, "endpoints"), ep);
  cJSON *lb = cJSON_CreateObject();
  cJSON_AddItemToArray(cJSON_AddArrayToObject(ep, "lbEndpoints"), lb);
  cJSON_AddStringToObject(
      cJSON_AddObjectToObject(
          cJSON_AddObjectToObject(cJSON_AddObjectToObject(lb, "endpoint"),
                                  "address"),
          "pipe"),
      "path", sock);
  cJSON *s = cJSON_CreateObject();
  cJSON_AddStringToObject(s, "name", "envoy.stat_sinks.metrics_service");
  cJSON *tc = cJSON_AddObjectToObject(s, "typed_config");
  cJSON_AddStringToObject(
      tc, "@type",
      "type.googleapis.com/envoy.config.metrics.v3.MetricsServiceConfig");
  cJSON_AddStringToObject(tc, "transport_api_version", "V3");
  cJSON_AddStringToObject(
      cJSON_AddObjectToObject(cJSON_AddObjectToObject(tc, "grpc_service"),
                              "envoy_grpc"),
      "cluster_name", COLLECTOR);
  cJSON_AddTrueToObject(tc, "emit_tags_as_labels");
  *cluster = c;
  *sink = s;
  return 0;
}
