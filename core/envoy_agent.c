/*
 * envoy_agent.c - gathers the Envoy bootstrap's inputs from a running
 * Consul agent, as `consul connect envoy -bootstrap` does (see
 * envoy_bootstrap.h): the datacenter, xDS ports and Consul release from
 * /v1/agent/self, the proxy's destination, namespace, partition, Config and
 * AccessLogs from /v1/agent/service/<id>, the CA for gRPC TLS from a file
 * or a folder. The release (forced by -consul-version, else the agent's)
 * decides how the gRPC port and TLS are chosen, as that release's
 * `consul connect envoy` chose them, and the document's format. Used by
 * mesh-init and envoy-bootstrap.
 */
#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>

#include "ecsb/consul.h"
#include "ecsb/envoy_bootstrap.h"
#include "ecsb/fileio.h"
#include "ecsb/json.h"
#include "ecsb/log.h"
#include "ecsb/text.h"

/* Envoy's STATIC clusters take IP literals only. */
static int resolve_ip(const char *host, char *ip, size_t cap, const char *what,
                      ecsb_err *err) {
  struct in_addr a4;
  struct in6_addr a6;
  if (inet_pton(AF_INET, host, &a4) == 1 || inet_pton(AF_INET6, host, &a6) == 1)
    return snprintf(ip, cap, "%s", host) >= (int)cap
               ? ecsb_err_set(err, ECSB_EINVAL, "%s: address too long", what)
               : 0;
  struct addrinfo hints = {0}, *res = NULL;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  int g = getaddrinfo(host, NULL, &hints, &res);
  if (g != 0)
    return ecsb_err_set(err, ECSB_EINVAL, "%s: cannot resolve \"%s\": %s", what,
                        host, gai_strerror(g));
  /* Prefer IPv4: ECS task networking is IPv4 first. */
  const struct addrinfo *pick = NULL;
  for (const struct addrinfo *p = res; p; p = p->ai_next)
    if (p->ai_family == AF_INET && !pick)
      pick = p;
  if (!pick)
    pick = res;
  const void *addr =
      pick->ai_family == AF_INET
          ? (const void *)&((struct sockaddr_in *)pick->ai_addr)->sin_addr
          : (const void *)&((struct sockaddr_in6 *)pick->ai_addr)->sin6_addr;
  const char *ok = inet_ntop(pick->ai_family, addr, ip, (socklen_t)cap);
  freeaddrinfo(res);
  return ok ? 0
            : ecsb_err_set(err, ECSB_EINVAL, "%s: cannot format address of %s",
                           what, host);
}

typedef struct grpc_target {
  char host[256]; /* IP literal */
  int port;
  char socket[1024];
  bool tls;
} grpc_target;

static int grpc_target_parse(const char *addr, const char *what, grpc_target *t,
                             ecsb_err *err) {
  const char *hp = addr;
  if (strncmp(addr, "unix://", 7) == 0) {
    if (addr[7] != '/' || snprintf(t->socket, sizeof t->socket, "%s",
                                   addr + 7) >= (int)sizeof t->socket)
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s: \"%s\": expected unix:///absolute/path", what,
                          addr);
    return 0;
  }
  if (strncmp(addr, "https://", 8) == 0) {
    t->tls = true;
    hp = addr + 8;
  } else if (strncmp(addr, "http://", 7) == 0) {
    hp = addr + 7;
  } else if (strstr(addr, "://")) {
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s: \"%s\": expected HOST:PORT, http://, https:// or "
                        "unix://",
                        what, addr);
  }
  char host[256];
  int rc =
      ecsb_hostport_parse(hp, 8502, what, host, sizeof host, &t->port, err);
  if (rc)
    return rc;
  return resolve_ip(host, t->host, sizeof t->host, what, err);
}

/* -admin-bind as an IP literal and a port. */
static int admin_addr(const ecsb_envoy_agent_opts *o, char *ip, size_t cap,
                      int *port, ecsb_err *err) {
  char host[256];
  int rc =
      ecsb_hostport_parse(o->admin_bind ? o->admin_bind : "127.0.0.1:19000", 0,
                          "flag -admin-bind", host, sizeof host, port, err);
  return rc ? rc : resolve_ip(host, ip, cap, "flag -admin-bind", err);
}

static int name_cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of dir that holds a PEM certificate, in name order,
 * concatenated as Consul's -ca-path gives Envoy its CA bundle. */
static int read_ca_dir(const char *dir, const char *what, char **pem,
                       ecsb_err *err) {
  *pem = NULL;
  DIR *d = opendir(dir);
  if (!d)
    return ecsb_err_set(err, ECSB_EINVAL, "%s \"%s\": %s", what, dir,
                        strerror(errno));
  char *names[256];
  size_t n = 0;
  int rc = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.')
      continue;
    if (n == sizeof names / sizeof names[0]) {
      rc = ecsb_err_set(err, ECSB_EINVAL, "%s \"%s\": more than %zu files",
                        what, dir, n);
      goto out;
    }
    if (!(names[n] = strdup(e->d_name))) {
      rc = ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
      goto out;
    }
    n++;
  }
  qsort(names, n, sizeof names[0], name_cmp);
  size_t len = 0;
  for (size_t i = 0; i < n; i++) {
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
      continue;
    char *text = NULL;
    size_t tl = 0;
    if ((rc = ecsb_read_file(path, 1u << 20, &text, &tl, err)))
      goto out;
    if (!strstr(text, "-----BEGIN CERTIFICATE-----")) {
      free(text);
      continue;
    }
    while (tl > 0 && (text[tl - 1] == '\n' || text[tl - 1] == '\r' ||
                      text[tl - 1] == ' '))
      tl--;
    char *nb = len + tl + 2 > (4u << 20) ? NULL : realloc(*pem, len + tl + 2);
    if (!nb) {
      free(text);
      rc = ecsb_err_set(err, ECSB_ENOMEM, "%s \"%s\": too large", what, dir);
      goto out;
    }
    *pem = nb;
    memcpy(*pem + len, text, tl);
    len += tl;
    (*pem)[len++] = '\n';
    (*pem)[len] = '\0';
    free(text);
  }
  if (!*pem)
    rc = ecsb_err_set(err, ECSB_EINVAL,
                      "%s \"%s\": no PEM certificate in the folder", what, dir);
out:
  closedir(d);
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  if (rc) {
    free(*pem);
    *pem = NULL;
  }
  return rc;
}

/* Where the gRPC CA comes from: -grpc-ca-file, -grpc-ca-path, -ca-file,
 * -ca-path, CONSUL_CACERT, CONSUL_CAPATH, the first given; a file wins over
 * a folder of the same level, as in Consul. */
typedef struct ca_source {
  const char *file, *dir, *what;
} ca_source;

static ca_source ca_pick(const ecsb_consul_settings *s,
                         const ecsb_envoy_agent_opts *o) {
  ca_source c = {0};
  if (o->grpc_ca_file) {
    c.file = o->grpc_ca_file;
    c.what = "flag -grpc-ca-file";
  } else if (o->grpc_ca_path) {
    c.dir = o->grpc_ca_path;
    c.what = "flag -grpc-ca-path";
  } else if (o->ca_file) {
    c.file = o->ca_file;
    c.what = "flag -ca-file";
  } else if (o->ca_path) {
    c.dir = o->ca_path;
    c.what = "flag -ca-path";
  } else if (s->cacert) {
    c.file = s->cacert;
    c.what = "CONSUL_CACERT";
  } else if (getenv("CONSUL_CAPATH") && *getenv("CONSUL_CAPATH")) {
    c.dir = getenv("CONSUL_CAPATH");
    c.what = "CONSUL_CAPATH";
  }
  return c;
}

/* The CA for gRPC TLS, read (the caller frees *pem). */
static int grpc_ca(const ca_source *c, char **pem, ecsb_err *err) {
  if (c->dir)
    return read_ca_dir(c->dir, c->what, pem, err);
  if (!c->file)
    return ecsb_err_set(
        err, ECSB_EINVAL,
        "gRPC over TLS needs a CA file: give -ca-file or -ca-path, "
        "or set CONSUL_CACERT or CONSUL_CAPATH");
  return ecsb_read_file(c->file, 1u << 20, pem, NULL, err);
}

/* The forced release: -consul-version, else ECSBOOT_CONSUL_VERSION, else
 * NULL (the agent's). */
static const char *forced_version(const ecsb_envoy_agent_opts *o,
                                  const char **what) {
  const char *e = getenv("ECSBOOT_CONSUL_VERSION");
  *what = "flag -consul-version";
  if (o->consul_version && *o->consul_version)
    return o->consul_version;
  *what = "ECSBOOT_CONSUL_VERSION";
  return e && *e ? e : NULL;
}

/* The forced release parsed and checked: {0} (newest) when none. */
static int opts_version(const ecsb_envoy_agent_opts *o, ecsb_consul_version *v,
                        ecsb_err *err) {
  memset(v, 0, sizeof *v);
  const char *what, *f = forced_version(o, &what);
  return f ? ecsb_consul_version_parse(f, what, v, err) : 0;
}

/* Consul added the readiness listener (-envoy-ready-bind-address and
 * -envoy-ready-bind-port) in 1.15.0 and backported it to 1.14.4 and
 * 1.13.6. */
static bool has_ready_bind(const ecsb_consul_version *v) {
  return ecsb_consul_version_at_least(v, 1, 15, 0) ||
         (v->minor == 14 && v->patch >= 4) || (v->minor == 13 && v->patch >= 6);
}

/* The readiness listener asked for, as HOST:PORT in hp (hp[0] 0: none):
 * -ready-bind, or -envoy-ready-bind-address with -envoy-ready-bind-port
 * (both, as Consul needs both). */
static int ready_spec(const ecsb_envoy_agent_opts *o, char *hp, size_t cap,
                      ecsb_err *err) {
  hp[0] = '\0';
  bool pair = (o->ready_bind_address && *o->ready_bind_address) ||
              o->ready_bind_port > 0;
  if (o->ready_bind && *o->ready_bind && pair)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "flag -ready-bind and -envoy-ready-bind-address/-port "
                        "name the same listener: give one of them");
  if (o->ready_bind && *o->ready_bind) {
    snprintf(hp, cap, "%s", o->ready_bind);
    return 0;
  }
  if (!pair)
    return 0;
  if (!o->ready_bind_address || !*o->ready_bind_address ||
      o->ready_bind_port <= 0)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "flag %s needs %s too (the readiness listener needs "
                        "both)",
                        o->ready_bind_port > 0 ? "-envoy-ready-bind-port"
                                               : "-envoy-ready-bind-address",
                        o->ready_bind_port > 0 ? "-envoy-ready-bind-address"
                                               : "-envoy-ready-bind-port");
  bool v6 = strchr(o->ready_bind_address, ':') != NULL;
  snprintf(hp, cap, "%s%s%s:%d", v6 ? "[" : "", o->ready_bind_address,
           v6 ? "]" : "", o->ready_bind_port);
  return 0;
}

/* The readiness listener: parsed, and refused for a release that lacks
 * it (when v is NULL the release is not known yet: parsed only). */
static int ready_addr(const ecsb_envoy_agent_opts *o,
                      const ecsb_consul_version *v, char *ip, size_t cap,
                      int *port, ecsb_err *err) {
  char host[256], vb[64], hp[300];
  const char *what = o->ready_bind && *o->ready_bind
                         ? "flag -ready-bind"
                         : "flag -envoy-ready-bind-address/-port";
  int rc = ready_spec(o, hp, sizeof hp, err);
  if (rc || !hp[0])
    return rc;
  if ((rc = ecsb_hostport_parse(hp, 0, what, host, sizeof host, port, err)))
    return rc;
  if (v && !has_ready_bind(v))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s: the readiness listener needs Consul 1.13.6, "
                        "1.14.4, 1.15 or later (its `consul connect envoy` "
                        "added it then); the bootstrap is for Consul %s",
                        what, ecsb_consul_version_str(v, vb, sizeof vb));
  return resolve_ip(host, ip, cap, what, err);
}

int ecsb_envoy_agent_opts_check(const ecsb_consul_settings *s,
                                const ecsb_envoy_agent_opts *o, ecsb_err *err) {
  char ip[64];
  ecsb_consul_version v;
  int port = 0, rc = admin_addr(o, ip, sizeof ip, &port, err);
  const char *fwhat, *forced = forced_version(o, &fwhat);
  if (rc || (rc = opts_version(o, &v, err)))
    return rc;
  /* Without -consul-version the release is known only from the agent:
   * the readiness listener is checked against it then. */
  if ((rc = ready_addr(o, forced ? &v : NULL, ip, sizeof ip, &port, err)))
    return rc;
  const char *dir = o->grpc_ca_file   ? NULL
                    : o->grpc_ca_path ? o->grpc_ca_path
                    : o->ca_file      ? NULL
                                      : o->ca_path;
  if (dir) {
    char *pem = NULL;
    rc = read_ca_dir(dir,
                     dir == o->ca_path ? "flag -ca-path" : "flag -grpc-ca-path",
                     &pem, err);
    free(pem);
    if (rc)
      return rc;
  }
  const char *gaddr = o->grpc_addr ? o->grpc_addr : s->grpc_addr;
  if (!gaddr)
    return 0;
  grpc_target g = {0};
  if ((rc = grpc_target_parse(
           gaddr, o->grpc_addr ? "flag -grpc-addr" : "CONSUL_GRPC_ADDR", &g,
           err)) ||
      !g.tls)
    return rc;
  char *pem = NULL;
  ca_source cs = ca_pick(s, o);
  rc = grpc_ca(&cs, &pem, err);
  free(pem);
  return rc;
}

int ecsb_envoy_bootstrap_from_agent(ecsb_consul *c,
                                    const ecsb_consul_settings *s,
                                    ecsb_retry *r,
                                    const ecsb_envoy_agent_opts *o, char **out,
                                    ecsb_err *err) {
  *out = NULL;
  cJSON *svc = NULL, *doc = NULL;
  char *ca = NULL;
  int rc = 0;
  int admin_port = 0;
  char admin_ip[64];
  if (!o->proxy_id || !*o->proxy_id)
    return ecsb_err_set(err, ECSB_EINVAL, "flag -proxy-id is required");
  if ((rc = admin_addr(o, admin_ip, sizeof admin_ip, &admin_port, err)))
    return rc;

  ecsb_consul_version ver;
  if ((rc = opts_version(o, &ver, err)))
    return rc;
  ecsb_consul_self self;
  bool self_denied = false;
  rc = ecsb_consul_agent_self(c, r, &self, err);
  if (rc == ECSB_EAUTH && err && strstr(err->msg, "Permission denied")) {
    /* A sidecar's usual token (a service identity) has no agent:read.
     * `consul connect envoy` goes on with defaults then, and so do we: the
     * datacenter comes from the registration, the gRPC port is 8502. */
    ecsb_log(ECSB_LOG_WARN,
             "no agent:read for /v1/agent/self (403 Permission denied): "
             "taking the datacenter from the proxy's registration or "
             "-datacenter, and gRPC from -grpc-addr, else port 8502",
             NULL);
    memset(&self, 0, sizeof self);
    self_denied = true;
    rc = 0;
  }
  if (rc)
    return rc;
  /* Which release's bootstrap: -consul-version forces one; else the
   * agent's own, refused when out of range; else the newest. */
  char vb[64];
  const char *fwhat, *forced = forced_version(o, &fwhat);
  if (forced) {
    if (self.version[0] &&
        strncmp(self.version, forced[0] == 'v' ? forced + 1 : forced,
                strlen(forced[0] == 'v' ? forced + 1 : forced)) != 0)
      ecsb_log(ECSB_LOG_INFO,
               "writing the bootstrap of the forced Consul release, not the "
               "agent's",
               "consul_version", forced, "from", fwhat, "agent_version",
               self.version, NULL);
  } else if (self.version[0]) {
    if ((rc = ecsb_consul_version_parse(
             self.version, "Consul /v1/agent/self: $.Config.Version", &ver,
             err)))
      return rc;
  } else {
    ecsb_log(ECSB_LOG_WARN,
             self_denied ? "the agent's Consul version is unknown "
                           "(/v1/agent/self denied): writing the bootstrap of "
                           "the newest supported release; give "
                           "-consul-version to choose"
                         : "the agent reports no Config.Version: writing the "
                           "bootstrap of the newest supported release; give "
                           "-consul-version to choose",
             "consul_version", ecsb_consul_version_str(&ver, vb, sizeof vb),
             NULL);
  }
  char ready_ip[64] = "";
  int ready_port = 0;
  if ((rc = ready_addr(o, &ver, ready_ip, sizeof ready_ip, &ready_port, err)))
    return rc;
  rc = ecsb_consul_agent_service(c, r, o->proxy_id, &svc, err);
  if (rc == ECSB_ENOTFOUND) {
    ecsb_err_prefix(err, "proxy \"%s\" is not registered with the agent",
                    o->proxy_id);
    return rc;
  }
  if (rc)
    return rc;

  char what[600];
  snprintf(what, sizeof what, "Consul /v1/agent/service/%s: $", o->proxy_id);
  const char *kind = NULL, *dest = NULL, *ns = NULL, *part = NULL, *dc = NULL;
  const cJSON *proxy = NULL, *cfg = NULL, *alogs = NULL;
  char ppath[640];
  snprintf(ppath, sizeof ppath, "%s.Proxy", what);
  if ((rc = ecsb_json_get_string(svc, what, "Kind", false, &kind, err)) ||
      (rc = ecsb_json_get_string(svc, what, "Namespace", false, &ns, err)) ||
      (rc = ecsb_json_get_string(svc, what, "Partition", false, &part, err)) ||
      (rc = ecsb_json_get_string(svc, what, "Datacenter", false, &dc, err)) ||
      (rc = ecsb_json_get_object(svc, what, "Proxy", true, &proxy, err)) ||
      (rc = ecsb_json_get_string(proxy, ppath, "DestinationServiceName", true,
                                 &dest, err)) ||
      (rc = ecsb_json_get_object(proxy, ppath, "Config", false, &cfg, err)))
    goto out;
  alogs = cJSON_GetObjectItemCaseSensitive(proxy, "AccessLogs");
  if (!kind || strcmp(kind, "connect-proxy") != 0) {
    rc = ecsb_err_set(err, ECSB_EINVAL,
                      "service \"%s\" is of kind \"%s\", not a connect-proxy "
                      "(gateways are not supported)",
                      o->proxy_id, kind ? kind : "");
    goto out;
  }

  grpc_target g = {0};
  const char *gaddr = o->grpc_addr ? o->grpc_addr : s->grpc_addr;
  if (gaddr) {
    if ((rc = grpc_target_parse(
             gaddr, o->grpc_addr ? "flag -grpc-addr" : "CONSUL_GRPC_ADDR", &g,
             err)))
      goto out;
    /* Before 1.14.1 (which fixed it) gRPC TLS followed the HTTP API's:
     * https or CONSUL_HTTP_SSL made even a plain gRPC address TLS. From
     * 1.14 a gRPC CA makes a unix socket TLS. */
    if (!ecsb_consul_version_at_least(&ver, 1, 14, 1) && s->https)
      g.tls = true;
    else if (ecsb_consul_version_at_least(&ver, 1, 14, 0) && g.socket[0] &&
             (o->grpc_ca_file || o->grpc_ca_path))
      g.tls = true;
  } else if (!ecsb_consul_version_at_least(&ver, 1, 14, 0) && !self.xds_ports &&
             !(self.legacy_xds_port <= 0 && self.debug_grpc_port < 0)) {
    /* Releases before 1.14 take xDS.Port, else DebugConfig.GRPCPort, else
     * 8502, and use TLS when the HTTP API does. An agent that reports
     * xDS.Ports is 1.14 or later, whatever its version says, and gets the
     * ports 1.14 chooses; one that says gRPC is off (GRPCPort -1) gets the
     * error below rather than the 8502 those releases assumed. */
    g.tls = s->https;
    g.port = self.legacy_xds_port > 0   ? self.legacy_xds_port
             : self.debug_grpc_port > 0 ? self.debug_grpc_port
                                        : 8502;
    if ((rc = resolve_ip(s->host, g.host, sizeof g.host, "CONSUL_HTTP_ADDR",
                         err)))
      goto out;
  } else {
    /* The port and TLS as `consul connect envoy` (1.14+) picks them: the
     * TLS xDS port whenever the agent has one, whatever the HTTP API's
     * scheme. The host is the HTTP API's: the agent the task talks to. */
    if (self.xds_port < 0) {
      rc = ecsb_err_set(err, ECSB_EINVAL,
                        "Consul %s/v1/agent/self: the agent has gRPC disabled "
                        "(no xDS.Ports.TLS or .Plaintext above 0, "
                        "DebugConfig.GRPCPort -1 or absent), so Envoy cannot "
                        "get its configuration: enable ports.grpc or "
                        "ports.grpc_tls on the agent, or give -grpc-addr",
                        s->base_url);
      goto out;
    }
    /* 1.14.0 still made gRPC TLS for an https HTTP API (fixed in
     * 1.14.1). */
    g.tls = self.xds_tls ||
            (s->https && !ecsb_consul_version_at_least(&ver, 1, 14, 1));
    g.port = self.xds_port;
    if (!g.port) {
      g.port = 8502;
      if (!self_denied)
        ecsb_log(ECSB_LOG_WARN,
                 "the agent reports no gRPC port; using 8502, Consul's "
                 "default (give -grpc-addr to choose)",
                 NULL);
    }
    if ((rc = resolve_ip(s->host, g.host, sizeof g.host, "CONSUL_HTTP_ADDR",
                         err)))
      goto out;
  }
  /* The agent's own answer first; the registration's (Consul's agent
   * fills it in) when that was denied; the flag last. */
  if (self.datacenter[0])
    dc = self.datacenter;
  else if (!dc || !*dc)
    dc = o->datacenter;
  if (!dc || !*dc) {
    rc = ecsb_err_set(err, ECSB_EINVAL,
                      "the datacenter is unknown: /v1/agent/self was denied "
                      "(no agent:read) and %s.Datacenter is absent; give "
                      "-datacenter",
                      what);
    goto out;
  }
  ca_source cas = ca_pick(s, o);
  const char *ca_flag = o->grpc_ca_file   ? "-grpc-ca-file"
                        : o->grpc_ca_path ? "-grpc-ca-path"
                        : o->ca_file      ? "-ca-file"
                        : o->ca_path      ? "-ca-path"
                                          : NULL;
  if (!g.tls && ca_flag) {
    /* A CA given for gRPC that Envoy will not use means the user expects
     * TLS they do not get: say so rather than drop it silently. */
    char ga[1100], msg[300];
    if (g.socket[0])
      snprintf(ga, sizeof ga, "unix://%s", g.socket);
    else
      snprintf(ga, sizeof ga, "%s:%d", g.host, g.port);
    if (ca_flag[1] == 'g')
      snprintf(msg, sizeof msg,
               "flag %s is ignored: the gRPC address is plaintext (give "
               "-grpc-addr https://HOST:PORT for TLS)",
               ca_flag);
    else if (s->https)
      snprintf(msg, sizeof msg,
               "flag %s is used for the HTTP API only: the gRPC address is "
               "plaintext, so Envoy gets no CA (give -grpc-addr "
               "https://HOST:PORT for TLS)",
               ca_flag);
    else
      snprintf(msg, sizeof msg,
               "flag %s is ignored: neither the HTTP API nor the gRPC "
               "address uses TLS (give -grpc-addr https://HOST:PORT for TLS)",
               ca_flag);
    ecsb_log(ECSB_LOG_WARN, msg, "grpc_addr", ga, "ca",
             cas.file ? cas.file : cas.dir, NULL);
  }
  if (g.tls && (rc = grpc_ca(&cas, &ca, err)))
    goto out;
  ecsb_envoy_bootstrap_args a = {
      .version = ver,
      .envoy_version = o->envoy_version,
      .prometheus_backend_port = o->prometheus_backend_port,
      .prometheus_scrape_path = o->prometheus_scrape_path,
      .ready_host = ready_port > 0 ? ready_ip : NULL,
      .ready_port = ready_port,
      .access_logs = alogs,
      .proxy_id = o->proxy_id,
      .cluster = dest,
      .source_service = dest,
      .node_name = o->node_name,
      .ns = ns,
      .partition = part && *part ? part : self.partition,
      .datacenter = dc,
      .admin_host = admin_ip,
      .admin_port = admin_port,
      .admin_access_log_path = o->admin_access_log_path,
      .grpc_host = g.socket[0] ? NULL : g.host,
      .grpc_port = g.port,
      .grpc_socket = g.socket[0] ? g.socket : NULL,
      .grpc_tls = g.tls,
      .grpc_ca_pem = ca,
      .token = s->token,
      .proxy_config = cfg,
      .config_path = "$.Proxy.Config",
  };
  if ((rc = ecsb_envoy_bootstrap_build(&a, &doc, err)))
    goto out;
  *out = ecsb_json_pretty(doc);
  if (!*out)
    rc = ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
out:
  cJSON_Delete(svc);
  cJSON_Delete(doc);
  free(ca);
  return rc;
}
