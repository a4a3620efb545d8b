/*
 * envoy_releases.c - what differs between Consul releases in the Envoy
 * bootstrap that `consul connect envoy -bootstrap` writes: the release
 * number itself (parsed from /v1/agent/self Config.Version or
 * -consul-version, refused outside the supported range) and the stats tag
 * extractors each release emits. envoy_bootstrap.c asks here; nothing
 * else decides a release's format.
 *
 * The extractor tables are data: tag names and regular expressions as the
 * releases' bootstrap files show them (1.10; 1.11-1.12 with admin
 * partitions; 1.13+ with cluster peering).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/envoy_bootstrap.h"

/* Consul 1.10: no partitions. */
static const char *const rules_1_10[][2] = {
    {"consul.destination.custom_hash",
     "^cluster\\.(?:passthrough~)?((?:([^.]+)~)?(?:[^.]+\\.)?[^.]+\\.[^.]+\\.[^"
     ".]+\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.destination.service_subset",
     "^cluster\\.(?:passthrough~)?((?:[^.]+~)?(?:([^.]+)\\.)?[^.]+\\.[^.]+\\.[^"
     ".]+\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.destination.service",
     "^cluster\\.(?:passthrough~)?((?:[^.]+~)?(?:[^.]+\\.)?([^.]+)\\.[^.]+\\.[^"
     ".]+\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.destination.namespace",
     "^cluster\\.(?:passthrough~)?((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.([^.]+)\\.[^"
     ".]+\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.destination.datacenter",
     "^cluster\\.(?:passthrough~)?((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.[^.]+\\.([^."
     "]+)\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.destination.routing_type",
     "^cluster\\.(?:passthrough~)?((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.[^.]+\\.[^.]"
     "+\\.([^.]+)\\.[^.]+\\.consul\\.)"},
    {"consul.destination.trust_domain",
     "^cluster\\.(?:passthrough~)?((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.[^.]+\\.[^.]"
     "+\\.[^.]+\\.([^.]+)\\.consul\\.)"},
    {"consul.destination.target",
     "^cluster\\.(?:passthrough~)?(((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.[^.]+\\.[^."
     "]+)\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.destination.full_target",
     "^cluster\\.(?:passthrough~)?(((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.[^.]+\\.[^."
     "]+\\.[^.]+\\.[^.]+)\\.consul\\.)"},
    {"consul.upstream.service",
     "^(?:tcp|http)\\.upstream\\.(([^.]+)(?:\\.[^.]+)?\\.[^.]+\\.)"},
    {"consul.upstream.datacenter",
     "^(?:tcp|http)\\.upstream\\.([^.]+(?:\\.[^.]+)?\\.([^.]+)\\.)"},
    {"consul.upstream.namespace",
     "^(?:tcp|http)\\.upstream\\.([^.]+(?:\\.([^.]+))?\\.[^.]+\\.)"},
    {"consul.custom_hash", "^cluster\\.((?:([^.]+)~)?(?:[^.]+\\.)?[^.]+\\.[^.]+"
                           "\\.[^.]+\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.service_subset", "^cluster\\.((?:[^.]+~)?(?:([^.]+)\\.)?[^.]+\\.[^"
                              ".]+\\.[^.]+\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.service", "^cluster\\.((?:[^.]+~)?(?:[^.]+\\.)?([^.]+)\\.[^.]+\\.["
                       "^.]+\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.namespace", "^cluster\\.((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.([^.]+)"
                         "\\.[^.]+\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.datacenter", "^cluster\\.((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.[^.]+\\."
                          "([^.]+)\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.routing_type", "^cluster\\.((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.[^.]+"
                            "\\.[^.]+\\.([^.]+)\\.[^.]+\\.consul\\.)"},
    {"consul.trust_domain", "^cluster\\.((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.[^.]+"
                            "\\.[^.]+\\.[^.]+\\.([^.]+)\\.consul\\.)"},
    {"consul.target", "^cluster\\.(((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.[^.]+\\.[^."
                      "]+)\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.full_target", "^cluster\\.(((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.[^.]+"
                           "\\.[^.]+\\.[^.]+\\.[^.]+)\\.consul\\.)"},
};

/* Consul 1.11-1.12: partition segments and tags. */
static const char *const rules_1_11[][2] = {
    {"consul.destination.custom_hash",
     "^cluster\\.(?:passthrough~)?((?:([^.]+)~)?(?:[^.]+\\.)?[^.]+\\.[^.]+\\.(?"
     ":[^.]+\\.)?[^.]+\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.destination.service_subset",
     "^cluster\\.(?:passthrough~)?((?:[^.]+~)?(?:([^.]+)\\.)?[^.]+\\.[^.]+\\.(?"
     ":[^.]+\\.)?[^.]+\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.destination.service",
     "^cluster\\.(?:passthrough~)?((?:[^.]+~)?(?:[^.]+\\.)?([^.]+)\\.[^.]+\\.(?"
     ":[^.]+\\.)?[^.]+\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.destination.namespace",
     "^cluster\\.(?:passthrough~)?((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.([^.]+)\\.(?"
     ":[^.]+\\.)?[^.]+\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.destination.partition",
     "^cluster\\.(?:passthrough~)?((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.[^.]+\\.(?:("
     "[^.]+)\\.)?[^.]+\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.destination.datacenter",
     "^cluster\\.(?:passthrough~)?((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.[^.]+\\.(?:["
     "^.]+\\.)?([^.]+)\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.destination.routing_type",
     "^cluster\\.(?:passthrough~)?((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.[^.]+\\.(?:["
     "^.]+\\.)?[^.]+\\.([^.]+)\\.[^.]+\\.consul\\.)"},
    {"consul.destination.trust_domain",
     "^cluster\\.(?:passthrough~)?((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.[^.]+\\.(?:["
     "^.]+\\.)?[^.]+\\.[^.]+\\.([^.]+)\\.consul\\.)"},
    {"consul.destination.target",
     "^cluster\\.(?:passthrough~)?(((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.[^.]+\\.(?:"
     "[^.]+\\.)?[^.]+)\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.destination.full_target",
     "^cluster\\.(?:passthrough~)?(((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.[^.]+\\.(?:"
     "[^.]+\\.)?[^.]+\\.[^.]+\\.[^.]+)\\.consul\\.)"},
    {"consul.upstream.service", "^(?:tcp|http)\\.upstream\\.(([^.]+)(?:\\.[^.]+"
                                ")?(?:\\.[^.]+)?\\.[^.]+\\.)"},
    {"consul.upstream.datacenter", "^(?:tcp|http)\\.upstream\\.([^.]+(?:\\.[^.]"
                                   "+)?(?:\\.[^.]+)?\\.([^.]+)\\.)"},
    {"consul.upstream.namespace", "^(?:tcp|http)\\.upstream\\.([^.]+(?:\\.([^.]"
                                  "+))?(?:\\.[^.]+)?\\.[^.]+\\.)"},
    {"consul.upstream.partition", "^(?:tcp|http)\\.upstream\\.([^.]+(?:\\.[^.]+"
                                  ")?(?:\\.([^.]+))?\\.[^.]+\\.)"},
    {"consul.custom_hash",
     "^cluster\\.((?:([^.]+)~)?(?:[^.]+\\.)?[^.]+\\.[^.]+\\.(?:[^.]+\\.)?[^.]+"
     "\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.service_subset",
     "^cluster\\.((?:[^.]+~)?(?:([^.]+)\\.)?[^.]+\\.[^.]+\\.(?:[^.]+\\.)?[^.]+"
     "\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.service", "^cluster\\.((?:[^.]+~)?(?:[^.]+\\.)?([^.]+)\\.[^.]+\\.("
                       "?:[^.]+\\.)?[^.]+\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.namespace", "^cluster\\.((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.([^.]+)"
                         "\\.(?:[^.]+\\.)?[^.]+\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.datacenter", "^cluster\\.((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.[^.]+\\."
                          "(?:[^.]+\\.)?([^.]+)\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.routing_type",
     "^cluster\\.((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.[^.]+\\.(?:[^.]+\\.)?[^.]+\\."
     "([^.]+)\\.[^.]+\\.consul\\.)"},
    {"consul.trust_domain",
     "^cluster\\.((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.[^.]+\\.(?:[^.]+\\.)?[^.]+\\."
     "[^.]+\\.([^.]+)\\.consul\\.)"},
    {"consul.target", "^cluster\\.(((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.[^.]+\\.(?:"
                      "[^.]+\\.)?[^.]+)\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.full_target",
     "^cluster\\.(((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.[^.]+\\.(?:[^.]+\\.)?[^.]+"
     "\\.[^.]+\\.[^.]+)\\.consul\\.)"},
};

/* Consul 1.13+: peers and "internal" routing types; the second group are
 * the pre-1.9 names Consul still emits for compatibility. */
static const char *const rules_1_13[][2] = {
    {"consul.destination.custom_hash",
     "^cluster\\.(?:passthrough~)?((?:([^.]+)~)?(?:[^.]+\\.)?[^.]+\\.[^.]+\\.("
     "?:[^.]+\\.)?[^.]+\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.destination.service_subset",
     "^cluster\\.(?:passthrough~)?((?:[^.]+~)?(?:([^.]+)\\.)?[^.]+\\.[^.]+\\.("
     "?:[^.]+\\.)?[^.]+\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.destination.service",
     "^cluster\\.(?:passthrough~)?((?:[^.]+~)?(?:[^.]+\\.)?([^.]+)\\.[^.]+\\.("
     "?:[^.]+\\.)?[^.]+\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.destination.namespace",
     "^cluster\\.(?:passthrough~)?((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.([^.]+)\\.("
     "?:[^.]+\\.)?[^.]+\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.destination.partition",
     "^cluster\\.(?:passthrough~)?((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.[^.]+\\.(?:"
     "([^.]+)\\.)?[^.]+\\.internal[^.]*\\.[^.]+\\.consul\\.)"},
    {"consul.destination.datacenter",
     "^cluster\\.(?:passthrough~)?((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.[^.]+\\.(?:"
     "[^.]+\\.)?([^.]+)\\.internal[^.]*\\.[^.]+\\.consul\\.)"},
    {"consul.destination.peer", "^cluster\\.([^.]+\\.(?:[^.]+\\.)?([^.]+)\\."
                                "external\\.[^.]+\\.consul\\.)"},
    {"consul.destination.routing_type",
     "^cluster\\.(?:passthrough~)?((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.[^.]+\\.(?:"
     "[^.]+\\.)?[^.]+\\.([^.]+)\\.[^.]+\\.consul\\.)"},
    {"consul.destination.trust_domain",
     "^cluster\\.(?:passthrough~)?((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.[^.]+\\.(?:"
     "[^.]+\\.)?[^.]+\\.[^.]+\\.([^.]+)\\.consul\\.)"},
    {"consul.destination.target",
     "^cluster\\.(?:passthrough~)?(((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.[^.]+\\.(?"
     ":[^.]+\\.)?[^.]+)\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.destination.full_target",
     "^cluster\\.(?:passthrough~)?(((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.[^.]+\\.(?"
     ":[^.]+\\.)?[^.]+\\.[^.]+\\.[^.]+)\\.consul\\.)"},
    {"consul.upstream.service",
     "^(?:tcp|http)\\.upstream(?:_peered)?\\.(([^.]+)(?:\\.[^.]+)?(?:\\.[^.]+)"
     "?\\.[^.]+\\.)"},
    {"consul.upstream.datacenter",
     "^(?:tcp|http)\\.upstream\\.([^.]+(?:\\.[^.]+)?(?:\\.[^.]+)?\\.([^.]+)\\."
     ")"},
    {"consul.upstream.peer",
     "^(?:tcp|http)\\.upstream_peered\\.([^.]+(?:\\.[^.]+)?\\.([^.]+)\\.)"},
    {"consul.upstream.namespace",
     "^(?:tcp|http)\\.upstream(?:_peered)?\\.([^.]+(?:\\.([^.]+))?(?:\\.[^.]+)"
     "?\\.[^.]+\\.)"},
    {"consul.upstream.partition",
     "^(?:tcp|http)\\.upstream\\.([^.]+(?:\\.[^.]+)?(?:\\.([^.]+))?\\.[^.]+\\."
     ")"},
    {"consul.custom_hash",
     "^cluster\\.((?:([^.]+)~)?(?:[^.]+\\.)?[^.]+\\.[^.]+\\.(?:[^.]+\\.)?[^.]+"
     "\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.service_subset",
     "^cluster\\.((?:[^.]+~)?(?:([^.]+)\\.)?[^.]+\\.[^.]+\\.(?:[^.]+\\.)?[^.]+"
     "\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.service",
     "^cluster\\.((?:[^.]+~)?(?:[^.]+\\.)?([^.]+)\\.[^.]+\\.(?:[^.]+\\.)?[^.]+"
     "\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.namespace",
     "^cluster\\.((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.([^.]+)\\.(?:[^.]+\\.)?[^.]+"
     "\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.datacenter",
     "^cluster\\.((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.[^.]+\\.(?:[^.]+\\.)?([^.]+)"
     "\\.internal[^.]*\\.[^.]+\\.consul\\.)"},
    {"consul.routing_type",
     "^cluster\\.((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.[^.]+\\.(?:[^.]+\\.)?[^.]+\\."
     "([^.]+)\\.[^.]+\\.consul\\.)"},
    {"consul.trust_domain",
     "^cluster\\.((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.[^.]+\\.(?:[^.]+\\.)?[^.]+\\."
     "[^.]+\\.([^.]+)\\.consul\\.)"},
    {"consul.target",
     "^cluster\\.(((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.[^.]+\\.(?:[^.]+\\.)?[^.]+)"
     "\\.[^.]+\\.[^.]+\\.consul\\.)"},
    {"consul.full_target",
     "^cluster\\.(((?:[^.]+~)?(?:[^.]+\\.)?[^.]+\\.[^.]+\\.(?:[^.]+\\.)?[^.]+"
     "\\.[^.]+\\.[^.]+)\\.consul\\.)"},
};

const char *const (*ecsb_envoy_stats_rules(const ecsb_consul_version *v,
                                           size_t *n))[2] {
  if (!ecsb_consul_version_at_least(v, 1, 11, 0)) {
    *n = sizeof rules_1_10 / sizeof rules_1_10[0];
    return rules_1_10;
  }
  if (!ecsb_consul_version_at_least(v, 1, 13, 0)) {
    *n = sizeof rules_1_11 / sizeof rules_1_11[0];
    return rules_1_11;
  }
  *n = sizeof rules_1_13 / sizeof rules_1_13[0];
  return rules_1_13;
}

bool ecsb_consul_version_new_envoy_fields(const ecsb_consul_version *v) {
  /* Consul PR #19940 (December 2023): 1.16.5, 1.17.2 and 1.18 on. */
  return ecsb_consul_version_at_least(v, 1, 18, 0) ||
         (v->major == 1 && v->minor == 17 && v->patch >= 2) ||
         (v->major == 1 && v->minor == 16 && v->patch >= 5);
}

void ecsb_envoy_add_protocol_options(cJSON *cluster,
                                     const ecsb_consul_version *v,
                                     const char *proto_key) {
  if (!ecsb_consul_version_new_envoy_fields(v)) {
    cJSON_AddObjectToObject(cluster, proto_key);
    return;
  }
  cJSON *o = cJSON_AddObjectToObject(
      cJSON_AddObjectToObject(cluster, "typed_extension_protocol_options"),
      "envoy.extensions.upstreams.http.v3.HttpProtocolOptions");
  cJSON_AddStringToObject(o, "@type",
                          "type.googleapis.com/"
                          "envoy.extensions.upstreams.http.v3."
                          "HttpProtocolOptions");
  cJSON_AddObjectToObject(cJSON_AddObjectToObject(o, "explicit_http_config"),
                          proto_key);
}

bool ecsb_consul_version_at_least(const ecsb_consul_version *a, int major,
                                  int minor, int patch) {
  if (a->major == 0 && a->minor == 0 && a->patch == 0)
    return true; /* the newest supported is at least anything we ask */
  if (a->major != major)
    return a->major > major;
  if (a->minor != minor)
    return a->minor > minor;
  return a->patch >= patch;
}

const char *ecsb_consul_version_str(const ecsb_consul_version *v, char *buf,
                                    size_t cap) {
  if (v->major == 0 && v->minor == 0 && v->patch == 0)
    snprintf(buf, cap, "1.%d (newest supported)", ECSB_CONSUL_MAX_MINOR);
  else
    snprintf(buf, cap, "%d.%d.%d", v->major, v->minor, v->patch);
  return buf;
}

/* One decimal number of at most 6 digits; *p moves past it. */
static int version_number(const char **p, int *out) {
  int n = 0, digits = 0;
  while (**p >= '0' && **p <= '9') {
    if (++digits > 6)
      return -1;
    n = n * 10 + (**p - '0');
    (*p)++;
  }
  if (!digits)
    return -1;
  *out = n;
  return 0;
}

int ecsb_consul_version_parse(const char *s, const char *what,
                              ecsb_consul_version *v, ecsb_err *err) {
  memset(v, 0, sizeof *v);
  const char *p = s ? s : "";
  if (*p == 'v' || *p == 'V')
    p++;
  int maj = 0, min = 0, pat = 0;
  bool ok = version_number(&p, &maj) == 0 && *p == '.';
  if (ok) {
    p++;
    ok = version_number(&p, &min) == 0;
  }
  if (ok && *p == '.') {
    p++;
    ok = version_number(&p, &pat) == 0;
  }
  /* A pre-release or build suffix (-rc1, -ent, +ent) names the same
   * release for the bootstrap's format. */
  if (ok && *p && *p != '-' && *p != '+')
    ok = false;
  if (!ok)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s: \"%s\" is not a Consul version (expected "
                        "MAJOR.MINOR[.PATCH], e.g. 1.15.3)",
                        what, s ? s : "");
  if (maj != 1 || min < ECSB_CONSUL_MIN_MINOR || min > ECSB_CONSUL_MAX_MINOR)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s: Consul %s is not supported: ecsboot-init writes "
                        "the Envoy bootstrap of Consul " ECSB_CONSUL_RANGE
                        " (give -consul-version to force one of those)",
                        what, s);
  v->major = maj;
  v->minor = min;
  v->patch = pat;
  return 0;
}
