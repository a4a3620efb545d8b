/*
 * serve.c - `ecsboot serve`: runs the fakes on loopback until SIGINT or
 * SIGTERM and prints how to talk to them, so a developer without an AWS
 * account can point the AWS CLI, curl or a Consul client at them.
 *
 *   ecsboot serve [--ecs ADDR:PORT] [--metadata ADDR:PORT] [--no-sigv4]
 *                 [--cluster NAME] [--region R]
 *
 * Port 0 (the default) picks free ports; the chosen ones are printed.
 * Exit: 0 after a signal, 1 when a server cannot start, 2 for bad flags.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fecs/fecs.h"

static int usage(const char *msg, const char *arg) {
  if (msg)
    fprintf(stderr, "ecsboot serve: %s%s%s\n", msg, arg ? " " : "",
            arg ? arg : "");
  fprintf(msg ? stderr : stdout,
          "usage: ecsboot serve [--ecs ADDR:PORT] [--metadata ADDR:PORT]\n"
          "                     [--no-sigv4] [--cluster NAME] [--region R]\n"
          "Runs fake-ecs (API, task metadata, container credentials) on\n"
          "loopback until Ctrl-C. Port 0 picks a free port.\n");
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

static void describe_ecs(const fecs *f, const char *cluster) {
  printf("fake-ecs API          %s\n", fecs_api_url(f));
  printf("metadata/credentials  %s\n", fecs_endpoint_url(f));
  printf("region %s, account %s, cluster \"%s\"\n\n", fecs_region(f),
         fecs_account_id(f), cluster);
  printf("Use the AWS CLI against it (fake credentials, SigV4 checked):\n");
  printf("  export AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s\n",
         fecs_access_key_id(f), fecs_secret_access_key(f));
  printf("  export AWS_DEFAULT_REGION=%s AWS_EC2_METADATA_DISABLED=true "
         "AWS_PAGER=\"\"\n",
         fecs_region(f));
  printf("  aws ecs list-clusters --endpoint-url %s\n", fecs_api_url(f));
  printf("  aws ecs register-task-definition --endpoint-url %s \\\n"
         "      --cli-input-json file://examples/ecsboot-init-taskdef.json\n",
         fecs_api_url(f));
  printf("  aws ecs run-task --endpoint-url %s --cluster %s "
         "--task-definition <family>\n\n",
         fecs_api_url(f), cluster);
}

int cli_serve_main(int argc, char **argv) {
  const char *ecs = "127.0.0.1:0", *meta = "127.0.0.1:0";
  const char *cluster = "default", *region = NULL;
  bool sigv4 = true;
  for (int i = 1; i < argc; i++) {
    const char *f = argv[i];
    if (strcmp(f, "--help") == 0 || strcmp(f, "-h") == 0)
      return usage(NULL, NULL);
    if (strcmp(f, "--no-sigv4") == 0) {
      sigv4 = false;
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
    else
      return usage("unknown flag", f);
  }
  char ecs_host[64], meta_host[64];
  int ecs_port = 0, meta_port = 0;
  if (!parse_bind(ecs, ecs_host, sizeof ecs_host, &ecs_port))
    return usage("--ecs must be ADDR:PORT (PORT 0 picks one), got", ecs);
  if (!parse_bind(meta, meta_host, sizeof meta_host, &meta_port))
    return usage("--metadata must be ADDR:PORT (PORT 0 picks one), got", meta);
  ecsb_err err = {0};

  /* Signals are taken synchronously by this thread; server threads started
   * below inherit the blocked mask. */
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, NULL);

  fecs_config c;
  fecs_config_default(&c);
  c.api_bind_ip = ecs_host;
  c.api_port = (uint16_t)ecs_port;
  c.metadata_bind_ip = meta_host;
  c.metadata_port = (uint16_t)meta_port;
  c.verify_sigv4 = sigv4;
  if (region)
    c.region = region;
  fecs *f = NULL;
  if (fecs_new(&c, &f, &err) != 0) {
    fprintf(stderr, "ecsboot serve: fake-ecs: %s\n", err.msg);
    return 1;
  }
  if (fecs_cluster_create(f, cluster, NULL, &err) != 0) {
    fprintf(stderr, "ecsboot serve: cluster %s: %s\n", cluster, err.msg);
    fecs_free(f);
    return 1;
  }
  describe_ecs(f, cluster);
  printf("Press Ctrl-C to stop.\n");
  fflush(stdout);
  int sig = 0;
  sigwait(&sigs, &sig);
  fprintf(stderr, "ecsboot serve: stopping (signal %d)\n", sig);
  fecs_free(f);
  return 0;
}
