/*
 * consul.c - Consul agent HTTP API client (see consul.h).
 *
 * Callers: mesh-init (register, then read back for the bootstrap),
 * envoy-bootstrap (self + service), health-sync (TTL updates, deregister).
 * One private request function holds the whole retry and status policy so
 * every endpoint classifies answers the same way.
 */
#include "ecsb/consul.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ecsb/fileio.h"
#include "ecsb/http.h"
#include "ecsb/json.h"
#include "ecsb/text.h"

struct ecsb_consul {
  ecsb_http_client *http;
  long timeout_ms;
  char *base_url;
  char *token;
};

void ecsb_consul_settings_clear(ecsb_consul_settings *s) {
  if (!s)
    return;
  free(s->base_url);
  free(s->host);
  free(s->token);
  free(s->cacert);
  free(s->capath);
  free(s->grpc_addr);
  memset(s, 0, sizeof *s);
}

static const char *pick(const char *flag, const char *env) {
  if (flag)
    return flag;
  const char *v = getenv(env);
  return v && *v ? v : NULL;
}

static bool truthy(const char *v) {
  return v && (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 ||
               strcasecmp(v, "t") == 0);
}

static int read_token_file(const char *path, const char *what, char **out,
                           ecsb_err *err) {
  char *buf = NULL;
  size_t len = 0;
  int rc = ecsb_read_file(path, 64 * 1024, &buf, &len, err);
  if (rc)
    return ecsb_err_prefix(err, "%s", what);
  /* Trim whitespace: files written by `echo` end with a newline. */
  char *b = buf, *e = buf + len;
  while (b < e && isspace((unsigned char)*b))
    b++;
  while (e > b && isspace((unsigned char)e[-1]))
    e--;
  for (char *p = b; p < e; p++) {
    if ((unsigned char)*p < 0x20 || *p == 0x7f) {
      free(buf);
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s: token file %s contains control characters", what,
                          path);
    }
  }
  *out = e > b ? strndup(b, (size_t)(e - b)) : NULL;
  free(buf);
  return 0;
}

int ecsb_consul_settings_load(ecsb_consul_settings *s,
                              const ecsb_consul_flags *f, ecsb_err *err) {
  static const ecsb_consul_flags none = {0};
  if (!f)
    f = &none;
  memset(s, 0, sizeof *s);
  const char *addr = pick(f->http_addr, "CONSUL_HTTP_ADDR");
  const char *what = f->http_addr ? "flag -http-addr" : "CONSUL_HTTP_ADDR";
  bool https = truthy(getenv("CONSUL_HTTP_SSL"));
  int default_port = 8500;
  if (!addr)
    addr = "127.0.0.1:8500";
  /* user:password@ in the address would be echoed by every error below. */
  if (strchr(addr, '@'))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s: credentials in the address are not supported "
                        "(use an ACL token)",
                        what);
  const char *hp = addr;
  if (strncmp(addr, "https://", 8) == 0) {
    https = true;
    hp = addr + 8;
    default_port = 443;
  } else if (strncmp(addr, "http://", 7) == 0) {
    https = false;
    hp = addr + 7;
    default_port = 80;
  } else if (strstr(addr, "://")) {
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s=\"%s\": only http:// and https:// addresses are "
                        "supported",
                        what, addr);
  }
  char hpbuf[512];
  size_t hl = strlen(hp);
  if (hl >= sizeof hpbuf)
    return ecsb_err_set(err, ECSB_EINVAL, "%s is too long", what);
  memcpy(hpbuf, hp, hl + 1);
  if (hl && hpbuf[hl - 1] == '/')
    hpbuf[hl - 1] = '\0';
  if (strchr(hpbuf, '/'))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s=\"%s\": expected [scheme://]host[:port] without "
                        "a path",
                        what, addr);
  char host[256];
  int port = 0;
  int rc = ecsb_hostport_parse(hpbuf, default_port, what, host, sizeof host,
                               &port, err);
  if (rc)
    return rc;
  char url[400];
  bool v6 = strchr(host, ':') != NULL;
  snprintf(url, sizeof url, "%s://%s%s%s:%d", https ? "https" : "http",
           v6 ? "[" : "", host, v6 ? "]" : "", port);
  s->base_url = strdup(url);
  s->host = strdup(host);
  s->port = port;
  s->https = https;
  if (!s->base_url || !s->host)
    goto oom;

  const char *token_file = pick(f->token_file, "CONSUL_HTTP_TOKEN_FILE");
  const char *token = pick(f->token, "CONSUL_HTTP_TOKEN");
  if (token_file) {
    rc = read_token_file(token_file,
                         f->token_file ? "flag -token-file"
                                       : "CONSUL_HTTP_TOKEN_FILE",
                         &s->token, err);
    if (rc)
      goto fail;
  }
  if (!s->token && token) {
    for (const char *p = token; *p; p++) {
      if ((unsigned char)*p < 0x20 || *p == 0x7f) {
        rc = ecsb_err_set(err, ECSB_EINVAL, "%s contains control characters",
                          f->token ? "flag -token" : "CONSUL_HTTP_TOKEN");
        goto fail;
      }
    }
    if (!(s->token = strdup(token)))
      goto oom;
  }
  const char *ca = pick(f->cacert, "CONSUL_CACERT");
  if (ca && !(s->cacert = strdup(ca)))
    goto oom;
  const char *cap = pick(f->capath, "CONSUL_CAPATH");
  if (cap && !(s->capath = strdup(cap)))
    goto oom;
  const char *grpc = pick(f->grpc_addr, "CONSUL_GRPC_ADDR");
  if (grpc && !(s->grpc_addr = strdup(grpc)))
    goto oom;
  return 0;
oom:
  rc = ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
fail:
  ecsb_consul_settings_clear(s);
  return rc;
}

ecsb_consul *ecsb_consul_new(const ecsb_consul_settings *s, ecsb_err *err) {
  ecsb_consul *c = calloc(1, sizeof *c);
  if (!c) {
    ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
    return NULL;
  }
  ecsb_http_opts o;
  ecsb_http_opts_default(&o);
  o.max_retries = 0; /* retries are the caller's ecsb_retry, see header */
  o.cacert = s->cacert;
  o.capath = s->capath;
  o.max_body = 1u << 20;
  c->timeout_ms = s->timeout_ms > 0 ? s->timeout_ms : 10000;
  o.timeout_ms = c->timeout_ms;
  c->http = ecsb_http_client_new(&o, err);
  c->base_url = strdup(s->base_url);
  c->token = s->token ? strdup(s->token) : NULL;
  if (!c->http || !c->base_url || (s->token && !c->token)) {
    if (c->http)
      ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
    ecsb_consul_free(c);
    return NULL;
  }
  return c;
}

void ecsb_consul_free(ecsb_consul *c) {
  if (!c)
    return;
  ecsb_http_client_free(c->http);
  free(c->base_url);
  if (c->token)
    memset(c->token, 0, strlen(c->token));
  free(c->token);
  free(c);
}

uint64_t ecsb_consul_requests(const ecsb_consul *c) {
  return c ? ecsb_http_client_requests(c->http) : 0;
}

/* Sends one API call with the retry policy of consul.h. On success resp
 * holds a 2xx answer (caller clears it). */
static int call(ecsb_consul *c, ecsb_retry *r, const char *method,
                const char *path, const char *body, ecsb_http_response *resp,
                ecsb_err *err) {
  char url[1400];
  if ((size_t)snprintf(url, sizeof url, "%s%s", c->base_url, path) >=
      sizeof url)
    return ecsb_err_set(err, ECSB_EINVAL, "Consul API path too long");
  ecsb_http_header hdrs[2];
  size_t nh = 0;
  if (c->token)
    hdrs[nh++] = (ecsb_http_header){"X-Consul-Token", c->token};
  if (body)
    hdrs[nh++] = (ecsb_http_header){"Content-Type", "application/json"};
  for (;;) {
    ecsb_http_request req = {.method = method,
                             .url = url,
                             .headers = hdrs,
                             .n_headers = nh,
                             .body = body,
                             .body_len = body ? strlen(body) : 0};
    if (r)
      req.timeout_ms = ecsb_retry_request_timeout(r, c->timeout_ms);
    int rc = ecsb_http_do(c->http, &req, resp, err);
    bool retry = false, slow = false;
    if (rc == ECSB_ETRANSPORT || rc == ECSB_ETIMEDOUT) {
      retry = true;
    } else if (rc == 0 && (resp->status < 200 || resp->status > 299)) {
      char ex[256];
      long st = resp->status;
      int code = st == 403   ? ECSB_EAUTH
                 : st == 404 ? ECSB_ENOTFOUND
                             : ECSB_ESTATUS;
      rc = ecsb_err_set(
          err, code, "%s %s: Consul agent answered HTTP %ld: %s", method, url,
          st, ecsb_excerpt(resp->body, resp->body_len, ex, sizeof ex));
      retry = st >= 500 || st == 429;
      slow = st == 429;
    }
    if (rc == 0)
      return 0;
    ecsb_http_response_clear(resp);
    if (!retry || !r)
      return rc;
    int wrc = ecsb_retry_wait(r, slow, "Consul agent", err);
    if (wrc) {
      ecsb_err_prefix(err,
                      "Consul agent at %s not ready in time (%d tries); last "
                      "error",
                      c->base_url, r->attempt + 1);
      if (err)
        err->code = wrc;
      return wrc;
    }
  }
}

int ecsb_consul_self_parse(const char *body, size_t len, ecsb_consul_self *out,
                           ecsb_err *err) {
  memset(out, 0, sizeof *out);
  cJSON *j = NULL;
  int rc = ecsb_json_parse(body, len, "Consul /v1/agent/self", &j, err);
  if (rc)
    return rc;
  const cJSON *cfg = NULL, *xds = NULL, *ports = NULL, *dbg = NULL;
  const char *dc = NULL, *node = NULL, *part = NULL, *ver = NULL;
  int64_t plain = 0, tls = 0, legacy = 0, dport = 0;
  const char *P = "Consul /v1/agent/self: $";
  const char *XP = "Consul /v1/agent/self: $.xDS";
  const char *PP = "Consul /v1/agent/self: $.xDS.Ports";
  const char *DP = "Consul /v1/agent/self: $.DebugConfig";
  if ((rc = ecsb_json_get_object(j, P, "Config", true, &cfg, err)) ||
      (rc = ecsb_json_get_string(cfg, "Consul /v1/agent/self: $.Config",
                                 "Datacenter", true, &dc, err)) ||
      (rc = ecsb_json_get_string(cfg, "Consul /v1/agent/self: $.Config",
                                 "NodeName", false, &node, err)) ||
      (rc = ecsb_json_get_string(cfg, "Consul /v1/agent/self: $.Config",
                                 "Partition", false, &part, err)) ||
      (rc = ecsb_json_get_string(cfg, "Consul /v1/agent/self: $.Config",
                                 "Version", false, &ver, err)) ||
      (rc = ecsb_json_get_object(j, P, "xDS", false, &xds, err)) ||
      (rc = ecsb_json_get_object(j, P, "DebugConfig", false, &dbg, err)) ||
      (xds &&
       ((rc = ecsb_json_get_int(xds, XP, "Port", false, -1, 65535, &legacy,
                                err)) ||
        (rc = ecsb_json_get_object(xds, XP, "Ports", false, &ports, err)))) ||
      (ports && ((rc = ecsb_json_get_int(ports, PP, "Plaintext", false, -1,
                                         65535, &plain, err)) ||
                 (rc = ecsb_json_get_int(ports, PP, "TLS", false, -1, 65535,
                                         &tls, err)))) ||
      (dbg && (rc = ecsb_json_get_int(dbg, DP, "GRPCPort", false, -1, 65535,
                                      &dport, err))))
    goto out;
  /* Consul 1.14+'s choice, in its order. xDS.Port is never used: from 1.14
   * it is the TLS port when there is one, so reading it as plaintext
   * pointed Envoy's plaintext cluster at the TLS listener. */
  bool has_dport = dbg && cJSON_GetObjectItemCaseSensitive(dbg, "GRPCPort");
  if (tls > 0) {
    out->xds_port = (int)tls;
    out->xds_tls = true;
  } else if (plain > 0) {
    out->xds_port = (int)plain;
  } else if (has_dport) {
    out->xds_port = dport < 0 ? -1 : (int)dport;
  } else if (dbg || (ports && plain < 0 && tls < 0)) {
    out->xds_port = -1; /* an agent with gRPC off reports no port at all */
  } else if (!ports && legacy > 0) {
    /* Every real agent sends DebugConfig; a stand-in with only the 1.12
     * shape means its one port. */
    out->xds_port = (int)legacy;
  }
  out->legacy_xds_port = legacy > 0 ? (int)legacy : 0;
  out->xds_ports = ports != NULL;
  out->debug_grpc_port = has_dport ? (int)dport : 0;
  if (strlen(dc) >= sizeof out->datacenter ||
      (node && strlen(node) >= sizeof out->node_name) ||
      (part && strlen(part) >= sizeof out->partition) ||
      (ver && strlen(ver) >= sizeof out->version)) {
    rc = ecsb_err_set(err, ECSB_EINVAL,
                      "Consul /v1/agent/self: datacenter, node, partition "
                      "name or version too long");
    goto out;
  }
  snprintf(out->datacenter, sizeof out->datacenter, "%s", dc);
  snprintf(out->node_name, sizeof out->node_name, "%s", node ? node : "");
  snprintf(out->partition, sizeof out->partition, "%s", part ? part : "");
  snprintf(out->version, sizeof out->version, "%s", ver ? ver : "");
out:
  cJSON_Delete(j);
  return rc;
}

int ecsb_consul_agent_self(ecsb_consul *c, ecsb_retry *r, ecsb_consul_self *out,
                           ecsb_err *err) {
  ecsb_http_response resp;
  int rc = call(c, r, "GET", "/v1/agent/self", NULL, &resp, err);
  if (rc)
    return rc;
  rc = ecsb_consul_self_parse(resp.body, resp.body_len, out, err);
  ecsb_http_response_clear(&resp);
  return rc;
}

int ecsb_consul_agent_service(ecsb_consul *c, ecsb_retry *r, const char *id,
                              cJSON **out, ecsb_err *err) {
  *out = NULL;
  char *esc = ecsb_path_escape(id);
  if (!esc)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  char path[1200];
  snprintf(path, sizeof path, "/v1/agent/service/%s", esc);
  free(esc);
  ecsb_http_response resp;
  int rc = call(c, r, "GET", path, NULL, &resp, err);
  if (rc)
    return rc;
  char what[1300];
  snprintf(what, sizeof what, "Consul %s", path);
  rc = ecsb_json_parse(resp.body, resp.body_len, what, out, err);
  ecsb_http_response_clear(&resp);
  if (rc == 0 && !cJSON_IsObject(*out)) {
    cJSON_Delete(*out);
    *out = NULL;
    rc = ecsb_err_set(err, ECSB_EINVAL, "%s: $: expected an object", what);
  }
  return rc;
}

int ecsb_consul_service_register(ecsb_consul *c, ecsb_retry *r,
                                 const cJSON *payload, ecsb_err *err) {
  char *body = ecsb_json_print(payload);
  if (!body)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  ecsb_http_response resp;
  int rc = call(c, r, "PUT", "/v1/agent/service/register", body, &resp, err);
  free(body);
  if (rc == 0)
    ecsb_http_response_clear(&resp);
  return rc;
}

int ecsb_consul_service_deregister(ecsb_consul *c, ecsb_retry *r,
                                   const char *id, ecsb_err *err) {
  char *esc = ecsb_path_escape(id);
  if (!esc)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  char path[1200];
  snprintf(path, sizeof path, "/v1/agent/service/deregister/%s", esc);
  free(esc);
  ecsb_http_response resp;
  int rc = call(c, r, "PUT", path, NULL, &resp, err);
  if (rc == 0)
    ecsb_http_response_clear(&resp);
  return rc;
}

int ecsb_consul_check_update(ecsb_consul *c, ecsb_retry *r,
                             const char *check_id, const char *status,
                             const char *output, ecsb_err *err) {
  char *esc = ecsb_path_escape(check_id);
  cJSON *b = cJSON_CreateObject();
  char *body = NULL;
  int rc = 0;
  if (!esc || !b || !cJSON_AddStringToObject(b, "Status", status) ||
      !cJSON_AddStringToObject(b, "Output", output ? output : "") ||
      !(body = ecsb_json_print(b))) {
    rc = ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
    goto out;
  }
  char path[1200];
  snprintf(path, sizeof path, "/v1/agent/check/update/%s", esc);
  ecsb_http_response resp;
  rc = call(c, r, "PUT", path, body, &resp, err);
  if (rc == 0)
    ecsb_http_response_clear(&resp);
out:
  free(esc);
  free(body);
  cJSON_Delete(b);
  return rc;
}
