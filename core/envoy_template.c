/*
 * envoy_template.c - a proxy's envoy_bootstrap_json_tpl, the escape hatch
 * that replaces the whole Envoy bootstrap with the user's own text. Consul
 * runs it through Go's text/template with its bootstrap arguments; this
 * file supports the part of that language such templates use, field
 * substitution ({{ .Name }}), and refuses every other action by name
 * rather than guessing. Called by ecsb_envoy_bootstrap_build only; pure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/envoy_bootstrap.h"
#include "ecsb/json.h"

/* The value of template field name, or NULL when Consul has no such
 * field. num is scratch space for numbers. */
static const char *field(const ecsb_envoy_bootstrap_args *a, const char *name,
                         char *num, size_t cap) {
#define S(x) ((x) ? (x) : "")
  if (!strcmp(name, "AdminBindAddress"))
    return S(a->admin_host);
  if (!strcmp(name, "AdminBindPort") || !strcmp(name, "GRPC.AgentPort")) {
    int port = name[0] == 'A' ? a->admin_port : a->grpc_port;
    if (name[0] == 'G' && a->grpc_socket)
      return "";
    snprintf(num, cap, "%d", port);
    return num;
  }
  if (!strcmp(name, "AdminAccessLogPath"))
    return a->admin_access_log_path ? a->admin_access_log_path : "/dev/null";
  if (!strcmp(name, "ProxyCluster"))
    return S(a->cluster);
  if (!strcmp(name, "ProxyID"))
    return S(a->proxy_id);
  if (!strcmp(name, "ProxySourceService"))
    return S(a->source_service);
  if (!strcmp(name, "NodeName"))
    return S(a->node_name);
  if (!strcmp(name, "Namespace"))
    return a->ns && *a->ns ? a->ns : "default";
  if (!strcmp(name, "Partition"))
    return a->partition && *a->partition ? a->partition : "default";
  if (!strcmp(name, "Datacenter"))
    return S(a->datacenter);
  if (!strcmp(name, "Token"))
    return S(a->token);
  if (!strcmp(name, "LocalAgentClusterName"))
    return "local_agent";
  if (!strcmp(name, "AgentCAPEM"))
    return S(a->grpc_ca_pem);
  if (!strcmp(name, "GRPC.AgentAddress"))
    return a->grpc_socket ? "" : S(a->grpc_host);
  if (!strcmp(name, "GRPC.AgentSocket"))
    return S(a->grpc_socket);
  if (!strcmp(name, "GRPC.AgentTLS"))
    return a->grpc_tls ? "true" : "false";
  return NULL;
#undef S
}

int ecsb_envoy_template_render(const char *tpl,
                               const ecsb_envoy_bootstrap_args *a,
                               const char *path, cJSON **out, ecsb_err *err) {
  *out = NULL;
  size_t cap = strlen(tpl) + 1024, o = 0;
  char *buf = malloc(cap);
  if (!buf)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  int rc = 0;
  const char *p = tpl;
  while (*p) {
    const char *open = strstr(p, "{{");
    size_t lit = open ? (size_t)(open - p) : strlen(p);
    const char *val = NULL;
    char num[32], name[128];
    size_t vlen = 0;
    const char *next = p + lit;
    if (open) {
      const char *close = strstr(open + 2, "}}");
      const char *b = open + 2, *e = close;
      while (close && b < e && (*b == ' ' || *b == '\t'))
        b++;
      while (close && e > b && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
      size_t n = close ? (size_t)(e - b) : 0;
      if (close && n > 1 && n < sizeof name && b[0] == '.') {
        memcpy(name, b + 1, n - 1);
        name[n - 1] = '\0';
        val = field(a, name, num, sizeof num);
      }
      if (!val) {
        int shown = close ? (int)(close + 2 - open) : 20;
        rc = ecsb_err_set(err, ECSB_EINVAL,
                          "%s.envoy_bootstrap_json_tpl: unsupported template "
                          "action \"%.*s\": only field substitutions such as "
                          "{{ .ProxyID }} are supported",
                          path, shown > 80 ? 80 : shown, open);
        goto out;
      }
      vlen = strlen(val);
      next = close + 2;
    }
    if (o + lit + vlen + 1 > cap) {
      cap = (o + lit + vlen + 1) * 2;
      char *nb = realloc(buf, cap);
      if (!nb) {
        rc = ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
        goto out;
      }
      buf = nb;
    }
    memcpy(buf + o, p, lit);
    o += lit;
    if (val) {
      memcpy(buf + o, val, vlen);
      o += vlen;
    }
    p = next;
  }
  buf[o] = '\0';
  char what[300];
  snprintf(what, sizeof what, "%s.envoy_bootstrap_json_tpl (rendered)", path);
  if ((rc = ecsb_json_parse(buf, o, what, out, err)))
    goto out;
  if (!cJSON_IsObject(*out)) {
    cJSON_Delete(*out);
    *out = NULL;
    rc = ecsb_err_set(err, ECSB_EINVAL, "%s: expected a JSON object", what);
  }
out:
  free(buf);
  return rc;
}
