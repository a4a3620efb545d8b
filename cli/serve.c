/*
 * serve.c - `ecsboot serve`: runs the fakes on loopback until SIGINT or
 * SIGTERM and prints how to talk to them, so a developer without an AWS
 * account can point the AWS CLI, curl or a Consul client at them.
 *
 *   ecsboot serve [--ecs ADDR:PORT] [--metadata ADDR:PORT] [--no-sigv4]
 *                 [--cluster NAME] [--region R] [--ecs-NAME[=VALUE] ...]
 *                 [--consul-server ADDR:PORT] [--consul-agent ADDR:PORT]
 *                 [--acl-master-token T] [--time-scale X] [--no-consul]
 *
 * fake-ecs ports default to 0 (free ports, printed). The Consul server and
 * its joined agent default to 127.0.0.10:8500 and 127.0.0.11:8500, the
 * production port on addresses of their own, as a simulated task has.
 * Exit: 0 after a signal, 1 when a server cannot start, 2 for bad flags.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ecsb/httpd.h"
#include "fcon/fcon.h"
#include "fecs/fecs.h"
#include "serve_ecs.h"

static int usage(const char *msg, const char *arg) {
  if (msg)
    fprintf(stderr, "ecsboot serve: %s%s%s\n", msg, arg ? " " : "",
            arg ? arg : "");
  fprintf(msg ? stderr : stdout,
          "usage: ecsboot serve [--ecs ADDR:PORT] [--metadata ADDR:PORT]\n"
          "                     [--no-sigv4] [--cluster NAME] [--region R]\n"
          "                     [--ecs-NAME[=VALUE] ...]\n"
          "                     [--consul-server ADDR:PORT] "
          "[--consul-agent ADDR:PORT]\n"
          "                     [--acl-master-token T] [--time-scale X] "
          "[--no-consul]\n"
          "Runs fake-ecs (API, task metadata, container credentials) on\n"
          "loopback until Ctrl-C. Port 0 picks a free port.\n");
  if (!msg) {
    serve_ecs_opts o;
    serve_ecs_opts_default(&o);
    ecsb_flag fl[SERVE_ECS_N_FLAGS];
    ecsb_flagset fs = {.command = "ecsboot serve",
                       .flags = fl,
                       .n_flags = serve_ecs_flags(&o, fl, SERVE_ECS_N_FLAGS),
                       .summary = "fake-ecs settings (docs/fake-ecs.md):"};
    ecsb_flags_usage(&fs, stdout);
  }
  return msg ? 2 : 0;
}

/* ADDR:PORT where PORT may be 0 (pick a free one). */
static bool parse_bind(const char *s, char *host, size_t cap, int *port) {
  const char *colon = strrchr(s, ':');
  char *end = NULL;
  long p = colon ? strtol(colon + 1, &end, 10) : -1;
  if (!colon || colon == s || !end || end == colon + 1 || *end || p < 0 ||
      p > 65535 || (size_t)(colon - s) >= cap)
    return false;
  snprintf(host, cap, "%.*s", (int)(colon - s), s);
  *port = (int)p;
  return true;
}

int cli_serve_main(int argc, char **argv) {
  ecsb_httpd_tune_process();
  const char *ecs = "127.0.0.1:0", *meta = "127.0.0.1:0";
  const char *cluster = "default", *region = NULL;
  bool sigv4 = true, consul = true;
  const char *consul_server = "127.0.0.10:8500",
             *consul_agent = "127.0.0.11:8500";
  const char *acl_token = NULL, *time_scale = NULL;
  char *ecs_flags[64]; /* --ecs-NAME[=VALUE], parsed by serve_ecs */
  int n_ecs_flags = 0;
  for (int i = 1; i < argc; i++) {
    const char *f = argv[i];
    if (strcmp(f, "--help") == 0 || strcmp(f, "-h") == 0)
      return usage(NULL, NULL);
    if (strncmp(f, "--ecs-", 6) == 0 && n_ecs_flags < 63) {
      ecs_flags[n_ecs_flags++] = argv[i];
      if (!strchr(f, '=') && i + 1 < argc && argv[i + 1][0] != '-')
        ecs_flags[n_ecs_flags++] = argv[++i]; /* --ecs-NAME VALUE */
      continue;
    }
    if (strcmp(f, "--no-sigv4") == 0) {
      sigv4 = false;
      continue;
    }
    if (strcmp(f, "--no-consul") == 0) {
      consul = false;
      continue;
    }
    if (i + 1 >= argc)
      return usage(strncmp(f, "--", 2) == 0 ? "missing value for"
                                            : "unexpected argument",
                   f);
    const char *v = argv[++i];
    if (strcmp(f, "--ecs") == 0)
      ecs = v;
    else if (strcmp(f, "--metadata") == 0)
      meta = v;
    else if (strcmp(f, "--cluster") == 0)
      cluster = v;
    else if (strcmp(f, "--region") == 0)
      region = v;
    else if (strcmp(f, "--consul-server") == 0)
      consul_server = v;
    else if (strcmp(f, "--consul-agent") == 0)
      consul_agent = v;
    else if (strcmp(f, "--acl-master-token") == 0)
      acl_token = v;
    else if (strcmp(f, "--time-scale") == 0)
      time_scale = v;
    else
      return usage("unknown flag", f);
  }
  char ecs_host[64], meta_host[64];
  int ecs_port = 0, meta_port = 0;
  if (!parse_bind(ecs, ecs_host, sizeof ecs_host, &ecs_port))
    return usage("--ecs must be ADDR:PORT (PORT 0 picks one), got", ecs);
  if (!parse_bind(meta, meta_host, sizeof meta_host, &meta_port))
    return usage("--metadata must be ADDR:PORT (PORT 0 picks one), got", meta);
  char cs_host[64], ca_host[64];
  int cs_port = 0, ca_port = 0;
  if (!parse_bind(consul_server, cs_host, sizeof cs_host, &cs_port))
    return usage("--consul-server must be ADDR:PORT, got", consul_server);
  if (!parse_bind(consul_agent, ca_host, sizeof ca_host, &ca_port))
    return usage("--consul-agent must be ADDR:PORT, got", consul_agent);
  double scale = 1.0;
  if (time_scale) {
    char *end;
    scale = strtod(time_scale, &end);
    if (*end || !(scale > 0) || scale > 1000)
      return usage("--time-scale must be a number in (0, 1000], got",
                   time_scale);
  }
  ecsb_err err = {0};

  /* Signals are taken synchronously by this thread; server threads started
   * below inherit the blocked mask. */
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, NULL);

  serve_ecs_opts eo;
  serve_ecs_opts_default(&eo);
  ecsb_flag fl[SERVE_ECS_N_FLAGS];
  ecsb_flagset fs = {.command = "ecsboot serve",
                     .flags = fl,
                     .n_flags = serve_ecs_flags(&eo, fl, SERVE_ECS_N_FLAGS)};
  size_t n_pos = 0;
  char *pos[1];
  if (ecsb_flags_parse(&fs, n_ecs_flags, ecs_flags, pos, 0, &n_pos, &err))
    return usage(err.msg, NULL);
  eo.bind_ip = ecs_host;
  eo.api_port = ecs_port;
  eo.md_bind_ip = meta_host;
  eo.md_port = meta_port;
  eo.no_sigv4 = !sigv4;
  eo.cluster = cluster;
  if (region)
    eo.region = region;
  fecs *f = NULL;
  if (serve_ecs_start(&eo, stdout, &f, &err) != 0) {
    fprintf(stderr, "ecsboot serve: %s\n", err.msg);
    return 1;
  }
  fcon_serve *cs = NULL;
  if (consul) {
    fcon_serve_opts co;
    fcon_serve_opts_default(&co);
    co.server_ip = cs_host;
    co.server_port = (uint16_t)cs_port;
    co.agent_ip = ca_host;
    co.agent_port = (uint16_t)ca_port;
    co.time_scale = scale;
    fcon_acl_token master = {.secret = acl_token, .master = true};
    if (acl_token) {
      co.acl.enabled = true;
      co.acl.tokens = &master;
      co.acl.n_tokens = 1;
    }
    if (fcon_serve_start(&co, &cs, &err) != 0) {
      fprintf(stderr, "ecsboot serve: fake-consul: %s\n", err.msg);
      serve_ecs_stop(f);
      return 1;
    }
    printf("\n");
    fcon_serve_describe(cs, stdout);
  }
  printf("\nPress Ctrl-C to stop.\n");
  fflush(stdout);
  int sig = 0;
  sigwait(&sigs, &sig);
  fprintf(stderr, "ecsboot serve: stopping (signal %d)\n", sig);
  fcon_serve_stop(cs);
  serve_ecs_stop(f);
  return 0;
}
