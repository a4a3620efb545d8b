/*
 * cmd_mesh_init.c - `ecsboot-init mesh-init`: read the task metadata,
 * register the service and then its sidecar proxy with the local Consul
 * agent, and write the Envoy bootstrap atomically. The agent starts at the
 * same moment (T1), so every agent call retries refused connections and 5xx
 * answers until --timeout. Re-running gives the same registrations and the
 * same file bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "ecsb/consul.h"
#include "ecsb/duration.h"
#include "ecsb/envoy_bootstrap.h"
#include "ecsb/fileio.h"
#include "ecsb/http.h"
#include "ecsb/mesh.h"
#include "ecsb/metadata.h"

typedef struct mesh_flags {
  const char *bootstrap_file, *bootstrap_dir, *upstreams, *checks, *tags, *meta,
      *service_name, *health_sync, *config, *http_addr, *token_file, *grpc_addr,
      *admin_bind, *log_level, *copy_self, *datacenter, *ca_path,
      *consul_version, *envoy_version, *scrape_path, *ready_bind, *grpc_ca_file,
      *grpc_ca_path, *ready_address, *health_bin;
  int64_t port, timeout, prom_port, ready_port;
  bool port_set;
  init_retry ir;
} mesh_flags;

/* Builds the config: JSON config first, then each flag given overrides. */
static int load_config(const mesh_flags *f, ecsb_mesh_config *cfg,
                       ecsb_err *err) {
  int rc = 0;
  if (f->config) {
    char *buf = NULL;
    size_t len = 0;
    if ((rc = ecsb_read_file(f->config, 1u << 20, &buf, &len, err)))
      return ecsb_err_prefix(err, "flag -config");
    rc = ecsb_mesh_config_apply_json(cfg, buf, len, f->config, err);
    free(buf);
  } else if (getenv("CONSUL_ECS_CONFIG_JSON") &&
             *getenv("CONSUL_ECS_CONFIG_JSON")) {
    const char *j = getenv("CONSUL_ECS_CONFIG_JSON");
    rc = ecsb_mesh_config_apply_json(cfg, j, strlen(j),
                                     "CONSUL_ECS_CONFIG_JSON", err);
  }
  if (rc)
    return rc;
  if (f->bootstrap_file && f->bootstrap_dir)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "give -envoy-bootstrap-file or -envoy-bootstrap-dir, "
                        "not both");
  if (f->bootstrap_file || f->bootstrap_dir) {
    char path[4200];
    const char *b = f->bootstrap_file ? f->bootstrap_file : f->bootstrap_dir;
    if (!*b)
      return ecsb_err_set(err, ECSB_EINVAL, "flag -envoy-bootstrap-%s is empty",
                          f->bootstrap_file ? "file" : "dir");
    if ((size_t)snprintf(path, sizeof path, "%s%s", b,
                         f->bootstrap_dir ? "/envoy-bootstrap.json" : "") >=
        sizeof path)
      return ecsb_err_set(err, ECSB_EINVAL, "bootstrap path too long");
    free(cfg->bootstrap_file);
    if (!(cfg->bootstrap_file = strdup(path)))
      return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  }
  if (f->port_set)
    cfg->port = (int)f->port;
  /* -service-name= (empty, as terraform's mesh-task passes it) is as if not
   * given: the config's name, else the task family. */
  if (f->service_name && *f->service_name) {
    free(cfg->service_name);
    if (!(cfg->service_name = strdup(f->service_name)))
      return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  }
  if ((f->upstreams &&
       (rc = ecsb_mesh_set_upstreams(cfg, f->upstreams, "-upstreams", err))) ||
      (f->checks &&
       (rc = ecsb_mesh_set_checks(cfg, f->checks, "-checks", err))) ||
      (f->tags && (rc = ecsb_mesh_set_tags(cfg, f->tags, "-tags", err))) ||
      (f->meta && (rc = ecsb_mesh_set_meta(cfg, f->meta, "-meta", err))) ||
      (f->health_sync &&
       (rc = ecsb_mesh_set_health_sync(cfg, f->health_sync,
                                       "-health-sync-containers", err))))
    return rc;
  return ecsb_mesh_config_validate(cfg, err);
}

/* Copies ecsboot-health (for the health-check command of images that have
 * neither nc nor curl, e.g. Envoy's), as consul-ecs v0.2 copied its own
 * static binary into the shared volume. Not this binary: ecsboot-init
 * needs libcurl and ~30 other shared libraries that those images lack,
 * while ecsboot-health is static and takes the same health-check command
 * line. It comes from --health-bin, else from beside this program (the
 * image and `cmake --install` put them side by side). Atomic, mode 0755,
 * identical bytes on a re-run. */
static int copy_self(const char *dst, const char *from, ecsb_err *err) {
  char src[4200];
  if (from) {
    snprintf(src, sizeof src, "%s", from);
  } else {
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
      return ecsb_err_set(err, ECSB_EIO,
                          "flag -copy-self: cannot read /proc/self/exe to "
                          "find ecsboot-health: %s (give -health-bin FILE)",
                          strerror(errno));
    self[n] = '\0';
    /* Started as `ld.so PROGRAM` (ecsboot run --init-bin on an image
     * root), /proc/self/exe is the loader; the loader rewrites AT_EXECFN
     * to the program's path, which then names another file. */
    const char *fn = (const char *)getauxval(AT_EXECFN);
    struct stat a, b;
    if (fn && stat(fn, &a) == 0 && stat(self, &b) == 0 &&
        (a.st_dev != b.st_dev || a.st_ino != b.st_ino) &&
        strlen(fn) < sizeof self)
      snprintf(self, sizeof self, "%s", fn);
    char *slash = strrchr(self, '/');
    if (slash)
      *slash = '\0';
    snprintf(src, sizeof src, "%s/ecsboot-health", slash ? self : ".");
  }
  char *buf = NULL;
  size_t len = 0;
  int rc = ecsb_read_file(src, 64u << 20, &buf, &len, err);
  if (rc)
    return ecsb_err_prefix(err, "%s",
                           from ? "flag -health-bin"
                                : "flag -copy-self: no ecsboot-health beside "
                                  "ecsboot-init (give -health-bin FILE)");
  rc = ecsb_atomic_write(dst, buf, len, 0755, err);
  free(buf);
  if (rc)
    return ecsb_err_prefix(err, "flag -copy-self");
  ecsb_log(ECSB_LOG_INFO, "copied ecsboot-health", "file", dst, "from", src,
           NULL);
  return 0;
}

/* A failed run takes back the registrations it made, proxy first: Consul
 * would route to a service whose Envoy never gets its bootstrap. Each call
 * retries at most --request-timeout; a failure is logged, the run's own
 * error stays what it exits with. */
static void take_back(ecsb_consul *c, init_retry *ir,
                      const char *const ids[2]) {
  for (size_t i = 0; i < 2; i++) {
    if (!ids[i])
      continue;
    ecsb_retry r;
    ecsb_err e = {0};
    init_retry_start(ir, &r, ir->request_timeout, ir->interval,
                     ir->max_interval, NULL);
    if (ecsb_consul_service_deregister(c, &r, ids[i], &e))
      ecsb_log(ECSB_LOG_WARN, "could not deregister after the failure", "id",
               ids[i], "error", e.msg, NULL);
    else
      ecsb_log(ECSB_LOG_INFO, "deregistered after the failure", "id", ids[i],
               NULL);
  }
}

static int run(mesh_flags *f, ecsb_err *err) {
  ecsb_mesh_config cfg;
  ecsb_mesh_config_init(&cfg);
  ecsb_consul_settings s = {0};
  ecsb_consul *c = NULL;
  ecsb_http_client *mh = NULL;
  ecsb_task_meta *tm = NULL;
  cJSON *svc = NULL, *proxy = NULL;
  char *boot = NULL;
  const char *done[2] = {NULL, NULL}; /* proxy, service: registered here */
  ecsb_mesh_ids ids;
  int rc;
  if ((rc = load_config(f, &cfg, err)) ||
      (rc = ecsb_atomic_write_check(cfg.bootstrap_file, err)))
    goto out;
  if (f->copy_self && (rc = copy_self(f->copy_self, f->health_bin, err)))
    goto out;
  ecsb_consul_flags cf = {.http_addr = f->http_addr,
                          .token_file = f->token_file,
                          .capath = f->ca_path,
                          .grpc_addr = f->grpc_addr};
  ecsb_envoy_agent_opts eo = {.admin_bind = f->admin_bind,
                              .grpc_addr = f->grpc_addr,
                              .datacenter = f->datacenter,
                              .ca_path = f->ca_path,
                              .grpc_ca_file = f->grpc_ca_file,
                              .grpc_ca_path = f->grpc_ca_path,
                              .consul_version = f->consul_version,
                              .envoy_version = f->envoy_version,
                              .prometheus_backend_port = (int)f->prom_port,
                              .prometheus_scrape_path = f->scrape_path,
                              .ready_bind = f->ready_bind,
                              .ready_bind_address = f->ready_address,
                              .ready_bind_port = (int)f->ready_port};
  /* Everything that can fail without the agent fails before registering. */
  if ((rc = ecsb_consul_settings_load(&s, &cf, err)) ||
      (rc = ecsb_envoy_agent_opts_check(&s, &eo, err)))
    goto out;
  s.timeout_ms = init_request_ms(&f->ir);
  if (!(c = ecsb_consul_new(&s, err))) {
    rc = err->code;
    goto out;
  }
  ecsb_http_opts ho;
  ecsb_http_opts_default(&ho);
  ho.max_retries = 0;
  ho.max_body = 1u << 20;
  ho.timeout_ms = (init_request_ms(&f->ir) + 1) / 2;
  if (!(mh = ecsb_http_client_new(&ho, err))) {
    rc = err->code;
    goto out;
  }
  ecsb_retry r;
  init_retry_start(&f->ir, &r, f->timeout, f->ir.interval, f->ir.max_interval,
                   NULL);
  if ((rc = ecsb_task_meta_fetch(mh, getenv(ECSB_METADATA_ENV), &r, &tm, err)))
    goto out;
  /* The proxy's listener check needs the task's address. Metadata v4
   * always has it in awsvpc mode; otherwise use the agent's host (the agent
   * runs in the task) when it is an IPv4 literal, else 127.0.0.1 as
   * consul-ecs did. */
  const char *task_ip = tm->task_ip;
  if (!*task_ip) {
    task_ip = ecsb_is_ipv4(s.host) ? s.host : "127.0.0.1";
    ecsb_log(ECSB_LOG_WARN,
             "task metadata has no IPv4 address; checking the proxy "
             "listener on the agent's host",
             "address", task_ip, NULL);
  }
  if ((rc = ecsb_mesh_ids_make(&cfg, tm->family, tm->task_id, &ids, err)) ||
      (rc = ecsb_mesh_service_payload(&cfg, &ids, tm->task_id, tm->task_arn,
                                      &svc, err)) ||
      (rc = ecsb_mesh_proxy_payload(&cfg, &ids, tm->task_id, tm->task_arn,
                                    task_ip, &proxy, err)))
    goto out;
  r.attempt = 0;
  if ((rc = ecsb_consul_service_register(c, &r, svc, err)))
    goto out;
  done[1] = ids.service_id;
  ecsb_log(ECSB_LOG_INFO, "registered service", "id", ids.service_id, "name",
           ids.service_name, NULL);
  r.attempt = 0;
  if ((rc = ecsb_consul_service_register(c, &r, proxy, err)))
    goto out;
  done[0] = ids.proxy_id;
  ecsb_log(ECSB_LOG_INFO, "registered proxy", "id", ids.proxy_id, NULL);
  eo.proxy_id = ids.proxy_id;
  r.attempt = 0;
  if ((rc = ecsb_envoy_bootstrap_from_agent(c, &s, &r, &eo, &boot, err)))
    goto out;
  /* The bootstrap holds the ACL token when there is one: keep it private to
   * the task's user. */
  mode_t mode = s.token ? 0600 : 0644;
  if ((rc = ecsb_atomic_write(cfg.bootstrap_file, boot, strlen(boot), mode,
                              err)))
    goto out;
  char nb[32];
  snprintf(nb, sizeof nb, "%zu", strlen(boot));
  ecsb_log(ECSB_LOG_INFO, "wrote envoy bootstrap", "file", cfg.bootstrap_file,
           "bytes", nb, "mode", s.token ? "0600" : "0644", NULL);
out:
  if (rc)
    take_back(c, &f->ir, done);
  free(boot);
  cJSON_Delete(svc);
  cJSON_Delete(proxy);
  ecsb_task_meta_free(tm);
  ecsb_http_client_free(mh);
  ecsb_consul_free(c);
  ecsb_consul_settings_clear(&s);
  ecsb_mesh_config_clear(&cfg);
  return rc;
}

int cmd_mesh_init(int argc, char **argv) {
  mesh_flags f = {.timeout = 120 * ECSB_NS_PER_S,
                  .ir = {.interval = 200 * ECSB_NS_PER_MS,
                         .max_interval = 5 * ECSB_NS_PER_S,
                         .request_timeout = 10 * ECSB_NS_PER_S}};
  const ecsb_flag flags[] = {
      {"envoy-bootstrap-file", NULL, ECSB_FLAG_STRING, &f.bootstrap_file, 0, 0,
       "FILE", "write the Envoy bootstrap here (consul-ecs v0.1)", NULL},
      {"envoy-bootstrap-dir", NULL, ECSB_FLAG_STRING, &f.bootstrap_dir, 0, 0,
       "DIR", "write DIR/envoy-bootstrap.json (consul-ecs v0.2)", NULL},
      {"port", NULL, ECSB_FLAG_INT, &f.port, 0, 65535, "PORT",
       "the application's port (default 0: none)", &f.port_set},
      {"upstreams", NULL, ECSB_FLAG_STRING, &f.upstreams, 0, 0, "NAME:PORT,...",
       "upstream services and their local ports", NULL},
      {"checks", NULL, ECSB_FLAG_STRING, &f.checks, 0, 0, "JSON",
       "JSON array of Consul check definitions for the service", NULL},
      {"tags", NULL, ECSB_FLAG_STRING, &f.tags, 0, 0, "T1,T2", "service tags",
       NULL},
      {"meta", NULL, ECSB_FLAG_STRING, &f.meta, 0, 0, "K=V,...",
       "service meta as K=V,... or a JSON object", NULL},
      {"service-name", NULL, ECSB_FLAG_STRING, &f.service_name, 0, 0, "NAME",
       "Consul service name (default or empty: the task family)", NULL},
      {"health-sync-containers", NULL, ECSB_FLAG_STRING, &f.health_sync, 0, 0,
       "C1,C2", "containers whose ECS health gets a TTL check", NULL},
      {"config", NULL, ECSB_FLAG_STRING, &f.config, 0, 0, "FILE",
       "JSON config (default: CONSUL_ECS_CONFIG_JSON); flags override it",
       NULL},
      {"timeout", NULL, ECSB_FLAG_DURATION, &f.timeout, ECSB_NS_PER_MS,
       24 * 3600 * ECSB_NS_PER_S, "DURATION",
       "give up waiting for metadata and the agent after this (default 2m)",
       NULL},
      {"retry-interval", NULL, ECSB_FLAG_DURATION, &f.ir.interval,
       ECSB_NS_PER_MS / 1000, 3600 * ECSB_NS_PER_S, "DURATION",
       "first retry backoff ceiling, doubling each retry (default 200ms)",
       NULL},
      {"max-retry-interval", NULL, ECSB_FLAG_DURATION, &f.ir.max_interval,
       ECSB_NS_PER_MS / 1000, 3600 * ECSB_NS_PER_S, "DURATION",
       "retry backoff ceiling cap (default 5s)", NULL},
      {"request-timeout", NULL, ECSB_FLAG_DURATION, &f.ir.request_timeout,
       ECSB_NS_PER_MS, 3600 * ECSB_NS_PER_S, "DURATION",
       "one agent request at most this long, a task metadata read half of "
       "it (default 10s)",
       NULL},
      INIT_RETRY_SEED_FLAG(f.ir),
      {"http-addr", NULL, ECSB_FLAG_STRING, &f.http_addr, 0, 0, "ADDR",
       "agent HTTP API (default CONSUL_HTTP_ADDR, else 127.0.0.1:8500)", NULL},
      {"token-file", NULL, ECSB_FLAG_STRING, &f.token_file, 0, 0, "FILE",
       "ACL token file (default CONSUL_HTTP_TOKEN_FILE / CONSUL_HTTP_TOKEN)",
       NULL},
      {"grpc-addr", NULL, ECSB_FLAG_STRING, &f.grpc_addr, 0, 0, "ADDR",
       "agent gRPC address for Envoy (default CONSUL_GRPC_ADDR, else the "
       "HTTP host and the agent's xDS port)",
       NULL},
      {"admin-bind", NULL, ECSB_FLAG_STRING, &f.admin_bind, 0, 0, "HOST:PORT",
       "Envoy admin listener (default 127.0.0.1:19000)", NULL},
      {"datacenter", NULL, ECSB_FLAG_STRING, &f.datacenter, 0, 0, "DC",
       "the bootstrap's datacenter when the token may not read "
       "/v1/agent/self and the registration names none",
       NULL},
      {"grpc-ca-file", NULL, ECSB_FLAG_STRING, &f.grpc_ca_file, 0, 0, "FILE",
       "CA bundle for gRPC TLS only (Consul 1.14+ flag)", NULL},
      {"grpc-ca-path", NULL, ECSB_FLAG_STRING, &f.grpc_ca_path, 0, 0, "DIR",
       "folder of CA certificates for gRPC TLS only (Consul 1.14+ flag)", NULL},
      {"ca-path", NULL, ECSB_FLAG_STRING, &f.ca_path, 0, 0, "DIR",
       "folder of CA certificates for gRPC TLS (default CONSUL_CAPATH; "
       "-ca-file wins)",
       NULL},
      {"consul-version", NULL, ECSB_FLAG_STRING, &f.consul_version, 0, 0,
       "X.Y[.Z]",
       "write the bootstrap of this Consul release, 1.10-1.20 (default "
       "ECSBOOT_CONSUL_VERSION, else the agent's Config.Version)",
       NULL},
      {"envoy-version", NULL, ECSB_FLAG_STRING, &f.envoy_version, 0, 0, "X.Y.Z",
       "node metadata envoy_version, written for Consul 1.10 only (default "
       "1.20.2)",
       NULL},
      {"prometheus-backend-port", NULL, ECSB_FLAG_INT, &f.prom_port, 0, 65535,
       "PORT",
       "with envoy_prometheus_bind_addr: serve the scrape path from "
       "127.0.0.1:PORT (default 0: Envoy's own stats)",
       NULL},
      {"prometheus-scrape-path", NULL, ECSB_FLAG_STRING, &f.scrape_path, 0, 0,
       "PATH", "Prometheus scrape path (default /metrics)", NULL},
      {"ready-bind", NULL, ECSB_FLAG_STRING, &f.ready_bind, 0, 0, "HOST:PORT",
       "serve Envoy's /ready on this listener (same as the two flags below)",
       NULL},
      {"envoy-ready-bind-address", NULL, ECSB_FLAG_STRING, &f.ready_address, 0,
       0, "ADDR",
       "address of Envoy's readiness listener (/ready; Consul 1.13.6, 1.14.4, "
       "1.15+), with -envoy-ready-bind-port",
       NULL},
      {"envoy-ready-bind-port", NULL, ECSB_FLAG_INT, &f.ready_port, 1, 65535,
       "PORT", "port of Envoy's readiness listener", NULL},
      {"copy-self", NULL, ECSB_FLAG_STRING, &f.copy_self, 0, 0, "FILE",
       "also copy ecsboot-health, the static health-check program, to FILE "
       "(mode 0755) for health checks in other images",
       NULL},
      {"health-bin", NULL, ECSB_FLAG_STRING, &f.health_bin, 0, 0, "FILE",
       "the ecsboot-health that -copy-self copies (default: the one beside "
       "this program)",
       NULL},
      {"log-level", NULL, ECSB_FLAG_STRING, &f.log_level, 0, 0, "LEVEL",
       "debug, info, warn, error or off (default info)", NULL},
  };
  const ecsb_flagset fs = {
      .command = "ecsboot-init mesh-init",
      .summary = "Registers the task's service and its sidecar proxy with "
                 "the local Consul agent\nand writes the Envoy bootstrap "
                 "(mode 0600 when it holds an ACL token).",
      .flags = flags,
      .n_flags = sizeof flags / sizeof flags[0],
      .epilog = "Environment: ECS_CONTAINER_METADATA_URI_V4, "
                "CONSUL_ECS_CONFIG_JSON, CONSUL_HTTP_ADDR,\nCONSUL_HTTP_SSL, "
                "CONSUL_HTTP_TOKEN, CONSUL_HTTP_TOKEN_FILE, CONSUL_CACERT,\n"
                "CONSUL_CAPATH, CONSUL_GRPC_ADDR, ECSBOOT_CONSUL_VERSION,\n"
                "ECSBOOT_RETRY_SEED, ECSBOOT_EVENTS, ECSBOOT_TASK, "
                "ECSBOOT_CONTAINER. Exit codes: 0 registered "
                "and written, 1 usage, configuration\nor bad input, 2 metadata "
                "or agent not ready before --timeout, 3 ACL refused.\n",
  };
  char *pos[1];
  size_t np = 0;
  int ex = init_parse_flags(&fs, argc, argv, pos, 0, &np);
  if (ex >= 0)
    return ex;
  if ((ex = init_set_log_level(f.log_level)) >= 0)
    return ex;
  if (f.ir.max_interval < f.ir.interval) {
    fprintf(stderr,
            "%s: flag -max-retry-interval must not be below "
            "-retry-interval\n",
            fs.command);
    return INIT_EXIT_USAGE;
  }
  if ((ex = init_retry_setup(&f.ir, "mesh-init")) >= 0)
    return ex;
  ecsb_err err = {0};
  int rc = run(&f, &err);
  init_retry_close(&f.ir);
  return rc ? init_fail("mesh-init", &err) : INIT_EXIT_OK;
}
