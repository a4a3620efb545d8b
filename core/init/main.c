/*
 * main.c - ecsboot-init: the init and health containers of a Consul-on-ECS
 * task (discover-servers, mesh-init, envoy-bootstrap, health-check,
 * health-sync) and the entrypoint of its sidecar-proxy container
 * (envoy-entrypoint). Dispatches to the subcommand; owns process-wide setup
 * (curl's global init, the log level). Links only core/.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "ecsb/forkserve.h"
#include "ecsb/http.h"
#include "ecsb/taskclock.h"
#include "ecsb/version.h"

static const struct {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
  /* health-check must be tiny and fast: a tcp probe never touches curl,
   * and curl initialises itself on first use for an http probe. */
  bool no_global_curl;
} commands[] = {
    {"discover-servers", cmd_discover_servers,
     "find a RUNNING Consul server task through the ECS API, write its IP",
     false},
    {"mesh-init", cmd_mesh_init,
     "register the service and its sidecar proxy, write the Envoy bootstrap",
     false},
    {"envoy-bootstrap", cmd_envoy_bootstrap,
     "print the Envoy bootstrap for a registered proxy (no consul binary)",
     false},
    {"health-check", cmd_health_check,
     "probe tcp HOST:PORT or an http URL (for ECS healthCheck commands)", true},
    {"health-sync", cmd_health_sync,
     "mirror ECS container health into Consul TTL checks until SIGTERM", false},
    {"envoy-entrypoint", cmd_envoy_entrypoint,
     "run Envoy as a child; on SIGTERM keep it up until the app has stopped",
     false},
};

static void usage(FILE *out) {
  fprintf(out, "Usage: ecsboot-init <command> [flags]\n\nCommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(out, "  %-18s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "  %-18s %s\n", "version", "print the version");
  fprintf(out, "\nRun `ecsboot-init <command> --help` for its flags. "
               "Exit codes: 0 ok, 1 usage/configuration/bad input,\n"
               "2 timed out, 3 authentication refused (health-check: 0 "
               "healthy, 1 not). See docs/ecsboot-init.md.\n");
}

static int run_command(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return INIT_EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "-help") == 0 ||
      strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
    usage(stdout);
    return INIT_EXIT_OK;
  }
  if (strcmp(cmd, "version") == 0 || strcmp(cmd, "-version") == 0 ||
      strcmp(cmd, "--version") == 0) {
    if (argc > 2 && strcmp(argv[2], "--help") && strcmp(argv[2], "-help") &&
        strcmp(argv[2], "-h")) {
      fprintf(stderr, "ecsboot-init version: unexpected argument \"%s\"\n",
              argv[2]);
      return INIT_EXIT_USAGE;
    }
    if (argc > 2) {
      printf("Usage: ecsboot-init version\n\nPrints the version.\n");
      return INIT_EXIT_OK;
    }
    printf("ecsboot-init %s\n", ECSB_VERSION);
    return INIT_EXIT_OK;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    if (strcmp(cmd, commands[i].name) != 0)
      continue;
    ecsb_err err = {0};
    /* In a replay every wait runs on the task's clock (ecsb/taskclock.h);
     * in production the variable is unset and nothing changes. The clock
     * is followed until the process ends (a thread still timing a wait
     * must never see it unmapped). */
    ecsb_taskclock *clock = NULL;
    if (ecsb_taskclock_follow_env(&clock, &err) != 0) {
      fprintf(stderr, "ecsboot-init: %s\n", err.msg);
      return INIT_EXIT_USAGE;
    }
    int rc;
    if (commands[i].no_global_curl) {
      rc = commands[i].run(argc - 2, argv + 2);
    } else if (ecsb_http_global_init(&err) != 0) {
      fprintf(stderr, "ecsboot-init: %s\n", err.msg);
      rc = INIT_EXIT_USAGE;
    } else {
      rc = commands[i].run(argc - 2, argv + 2);
      ecsb_http_global_cleanup();
    }
    return rc;
  }
  fprintf(stderr, "ecsboot-init: unknown command \"%s\"\n\n", cmd);
  usage(stderr);
  return INIT_EXIT_USAGE;
}

/* `ecsboot-init serve-forks` is how `ecsboot run` starts the init
 * containers of a replay (ecsb/forkserve.h): not for task definitions,
 * and not in the usage. */
int main(int argc, char **argv) {
  int rc = ecsb_forkserve_main(argc, argv, "ecsboot-init",
                               ecsb_http_global_init, run_command);
  return rc >= 0 ? rc : run_command(argc, argv);
}
