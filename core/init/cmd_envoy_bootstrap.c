/*
 * cmd_envoy_bootstrap.c - `ecsboot-init envoy-bootstrap`: the generator
 * alone, flag-compatible with `consul connect envoy -bootstrap` for a
 * sidecar proxy. Prints to stdout, or writes --out atomically (0600 when
 * the bootstrap holds an ACL token, else 0644).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "ecsb/consul.h"
#include "ecsb/duration.h"
#include "ecsb/envoy_bootstrap.h"
#include "ecsb/fileio.h"

int cmd_envoy_bootstrap(int argc, char **argv) {
  const char *proxy_id = NULL, *admin_bind = "127.0.0.1:19000",
             *access_log = "/dev/null", *grpc_addr = NULL, *token = NULL,
             *token_file = NULL, *ca_file = NULL, *http_addr = NULL,
             *node_name = NULL, *out = NULL, *log_level = NULL,
             *datacenter = NULL, *ca_path = NULL, *consul_version = NULL,
             *envoy_version = NULL, *scrape_path = NULL, *ready_bind = NULL,
             *grpc_ca_file = NULL, *grpc_ca_path = NULL, *ready_address = NULL;
  int64_t ready_port = 0;
  int64_t prom_port = 0;
  bool bootstrap = false;
  int64_t timeout = 30 * ECSB_NS_PER_S;
  init_retry ir = {.interval = 200 * ECSB_NS_PER_MS,
                   .max_interval = 5 * ECSB_NS_PER_S,
                   .request_timeout = 10 * ECSB_NS_PER_S};
  const ecsb_flag flags[] = {
      {"proxy-id", NULL, ECSB_FLAG_STRING, &proxy_id, 0, 0, "ID",
       "ID of the connect-proxy registered with the local agent (required)",
       NULL},
      {"admin-bind", NULL, ECSB_FLAG_STRING, &admin_bind, 0, 0, "HOST:PORT",
       "Envoy admin listener (default 127.0.0.1:19000)", NULL},
      {"admin-access-log-path", NULL, ECSB_FLAG_STRING, &access_log, 0, 0,
       "PATH", "admin access log (default /dev/null)", NULL},
      {"grpc-addr", NULL, ECSB_FLAG_STRING, &grpc_addr, 0, 0, "ADDR",
       "agent gRPC address [http(s)://]HOST:PORT or unix:///path (default "
       "CONSUL_GRPC_ADDR, else the HTTP host and the agent's xDS port)",
       NULL},
      {"token", NULL, ECSB_FLAG_STRING, &token, 0, 0, "TOKEN",
       "ACL token (default CONSUL_HTTP_TOKEN)", NULL},
      {"token-file", NULL, ECSB_FLAG_STRING, &token_file, 0, 0, "FILE",
       "file holding the ACL token (default CONSUL_HTTP_TOKEN_FILE)", NULL},
      {"ca-file", NULL, ECSB_FLAG_STRING, &ca_file, 0, 0, "FILE",
       "CA bundle for https and gRPC TLS (default CONSUL_CACERT)", NULL},
      {"grpc-ca-file", NULL, ECSB_FLAG_STRING, &grpc_ca_file, 0, 0, "FILE",
       "CA bundle for gRPC TLS only (Consul 1.14+ flag)", NULL},
      {"grpc-ca-path", NULL, ECSB_FLAG_STRING, &grpc_ca_path, 0, 0, "DIR",
       "folder of CA certificates for gRPC TLS only (Consul 1.14+ flag)", NULL},
      {"ca-path", NULL, ECSB_FLAG_STRING, &ca_path, 0, 0, "DIR",
       "folder of CA certificates for gRPC TLS (default CONSUL_CAPATH; "
       "-ca-file wins)",
       NULL},
      {"consul-version", NULL, ECSB_FLAG_STRING, &consul_version, 0, 0,
       "X.Y[.Z]",
       "write the bootstrap of this Consul release, 1.10-1.20 (default "
       "ECSBOOT_CONSUL_VERSION, else the agent's Config.Version)",
       NULL},
      {"envoy-version", NULL, ECSB_FLAG_STRING, &envoy_version, 0, 0, "X.Y.Z",
       "node metadata envoy_version, written for Consul 1.10 only (default "
       "1.20.2)",
       NULL},
      {"prometheus-backend-port", NULL, ECSB_FLAG_INT, &prom_port, 0, 65535,
       "PORT",
       "with envoy_prometheus_bind_addr: serve the scrape path from "
       "127.0.0.1:PORT (default 0: Envoy's own stats)",
       NULL},
      {"prometheus-scrape-path", NULL, ECSB_FLAG_STRING, &scrape_path, 0, 0,
       "PATH", "Prometheus scrape path (default /metrics)", NULL},
      {"ready-bind", NULL, ECSB_FLAG_STRING, &ready_bind, 0, 0, "HOST:PORT",
       "serve Envoy's /ready on this listener (same as the two flags below)",
       NULL},
      {"envoy-ready-bind-address", NULL, ECSB_FLAG_STRING, &ready_address, 0, 0,
       "ADDR",
       "address of Envoy's readiness listener (/ready; Consul 1.13.6, 1.14.4, "
       "1.15+), with -envoy-ready-bind-port",
       NULL},
      {"envoy-ready-bind-port", NULL, ECSB_FLAG_INT, &ready_port, 1, 65535,
       "PORT", "port of Envoy's readiness listener", NULL},
      {"http-addr", NULL, ECSB_FLAG_STRING, &http_addr, 0, 0, "ADDR",
       "agent HTTP API (default CONSUL_HTTP_ADDR, else 127.0.0.1:8500)", NULL},
      {"node-name", NULL, ECSB_FLAG_STRING, &node_name, 0, 0, "NAME",
       "node name put in the bootstrap's node metadata", NULL},
      {"datacenter", NULL, ECSB_FLAG_STRING, &datacenter, 0, 0, "DC",
       "the bootstrap's datacenter when the token may not read "
       "/v1/agent/self and the registration names none",
       NULL},
      {"bootstrap", NULL, ECSB_FLAG_BOOL, &bootstrap, 0, 0, NULL,
       "accepted for compatibility with `consul connect envoy`; always on",
       NULL},
      {"out", NULL, ECSB_FLAG_STRING, &out, 0, 0, "FILE",
       "write the bootstrap to FILE atomically instead of stdout", NULL},
      {"timeout", NULL, ECSB_FLAG_DURATION, &timeout, ECSB_NS_PER_MS,
       24 * 3600 * ECSB_NS_PER_S, "DURATION",
       "how long to wait for the agent (default 30s)", NULL},
      {"retry-interval", NULL, ECSB_FLAG_DURATION, &ir.interval,
       ECSB_NS_PER_MS / 1000, 3600 * ECSB_NS_PER_S, "DURATION",
       "first retry backoff ceiling, doubling each retry (default 200ms)",
       NULL},
      {"max-retry-interval", NULL, ECSB_FLAG_DURATION, &ir.max_interval,
       ECSB_NS_PER_MS / 1000, 3600 * ECSB_NS_PER_S, "DURATION",
       "retry backoff ceiling cap (default 5s)", NULL},
      {"request-timeout", NULL, ECSB_FLAG_DURATION, &ir.request_timeout,
       ECSB_NS_PER_MS, 3600 * ECSB_NS_PER_S, "DURATION",
       "one agent request at most this long (default 10s)", NULL},
      INIT_RETRY_SEED_FLAG(ir),
      {"log-level", NULL, ECSB_FLAG_STRING, &log_level, 0, 0, "LEVEL",
       "debug, info, warn, error or off (default info)", NULL},
  };
  const ecsb_flagset fs = {
      .command = "ecsboot-init envoy-bootstrap",
      .summary = "Generates the Envoy bootstrap for a sidecar proxy "
                 "registered with the local\nConsul agent, as `consul "
                 "connect envoy -bootstrap` does, from GET\n"
                 "/v1/agent/self and GET /v1/agent/service/<proxy-id>.",
      .flags = flags,
      .n_flags = sizeof flags / sizeof flags[0],
      .epilog = "Environment: CONSUL_HTTP_ADDR, CONSUL_HTTP_SSL, "
                "CONSUL_HTTP_TOKEN, CONSUL_HTTP_TOKEN_FILE,\nCONSUL_CACERT, "
                "CONSUL_CAPATH, CONSUL_GRPC_ADDR, ECSBOOT_CONSUL_VERSION,\n"
                "ECSBOOT_RETRY_SEED, ECSBOOT_EVENTS, ECSBOOT_TASK, "
                "ECSBOOT_CONTAINER.\nExit codes: 0 written, 1 usage or bad "
                "input, 2 agent not reachable in time,\n3 ACL refused.\n",
  };
  char *pos[1];
  size_t np = 0;
  int ex = init_parse_flags(&fs, argc, argv, pos, 0, &np);
  if (ex >= 0)
    return ex;
  if ((ex = init_set_log_level(log_level)) >= 0)
    return ex;
  (void)bootstrap;
  ecsb_err err = {0};
  if (!proxy_id || !*proxy_id) {
    fprintf(stderr, "%s: flag -proxy-id is required\n", fs.command);
    return INIT_EXIT_USAGE;
  }
  if (ir.max_interval < ir.interval) {
    fprintf(stderr,
            "%s: flag -max-retry-interval must not be below "
            "-retry-interval\n",
            fs.command);
    return INIT_EXIT_USAGE;
  }
  if ((ex = init_retry_setup(&ir, "envoy-bootstrap")) >= 0)
    return ex;
  ecsb_consul_flags cf = {.http_addr = http_addr,
                          .token = token,
                          .token_file = token_file,
                          .cacert = ca_file,
                          .capath = ca_path,
                          .grpc_addr = grpc_addr};
  ecsb_consul_settings s;
  if (ecsb_consul_settings_load(&s, &cf, &err) != 0) {
    init_retry_close(&ir);
    return init_fail("envoy-bootstrap", &err);
  }
  s.timeout_ms = init_request_ms(&ir);
  ecsb_consul *c = ecsb_consul_new(&s, &err);
  char *text = NULL;
  int rc = c ? 0 : err.code;
  if (c) {
    ecsb_retry r;
    init_retry_start(&ir, &r, timeout, ir.interval, ir.max_interval, NULL);
    ecsb_envoy_agent_opts o = {.proxy_id = proxy_id,
                               .admin_bind = admin_bind,
                               .admin_access_log_path = access_log,
                               .node_name = node_name,
                               .grpc_addr = grpc_addr,
                               .ca_file = ca_file,
                               .datacenter = datacenter,
                               .ca_path = ca_path,
                               .grpc_ca_file = grpc_ca_file,
                               .grpc_ca_path = grpc_ca_path,
                               .consul_version = consul_version,
                               .envoy_version = envoy_version,
                               .prometheus_backend_port = (int)prom_port,
                               .prometheus_scrape_path = scrape_path,
                               .ready_bind = ready_bind,
                               .ready_bind_address = ready_address,
                               .ready_bind_port = (int)ready_port};
    rc = ecsb_envoy_bootstrap_from_agent(c, &s, &r, &o, &text, &err);
  }
  if (rc == 0 && out) {
    mode_t mode = s.token ? 0600 : 0644;
    rc = ecsb_atomic_write(out, text, strlen(text), mode, &err);
    if (rc == 0)
      ecsb_log(ECSB_LOG_INFO, "wrote envoy bootstrap", "file", out, NULL);
  } else if (rc == 0) {
    fputs(text, stdout);
    if (fflush(stdout) != 0)
      rc = ecsb_err_set(&err, ECSB_EIO, "cannot write to stdout");
  }
  free(text);
  ecsb_consul_free(c);
  ecsb_consul_settings_clear(&s);
  init_retry_close(&ir);
  return rc ? init_fail("envoy-bootstrap", &err) : INIT_EXIT_OK;
}
