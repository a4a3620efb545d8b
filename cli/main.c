/*
 * main.c - the `ecsboot` harness program: dispatches to its subcommands.
 * Production task definitions use `ecsboot-init` instead; this program
 * links the fakes, the stand-ins and the reports, and is only for
 * developers and CI.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ecsb/forkserve.h"
#include "ecsb/http.h"
#include "ecsb/taskclock.h"
#include "ecsb/version.h"
#include "lnt/lint.h"
#include "rpt/cli.h"
#include "scn/standin.h"

static const struct {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
  /* A stand-in container of a replay: its waits follow the task's clock
   * (ECSBOOT_TASK_CLOCK, ecsb/taskclock.h), as ecsboot-init's do. */
  bool stand_in;
} commands[] = {
    {"run", cli_run_main,
     "replay a scenario's task startup (no FILE: the built-in T0-T4)", false},
    {"lint", lnt_cli_main,
     "find startup-ordering mistakes in a task definition", false},
    {"serve", cli_serve_main,
     "run the fakes (ECS API, metadata, credentials, Consul) on loopback",
     false},
    {"report", rpt_cli_main,
     "render, compare or merge reports from event logs (see --help)", false},
    {"app", scn_standin_app_main,
     "stand-in application container (an HTTP server)", true},
    {"envoy", scn_standin_envoy_main,
     "stand-in sidecar proxy that reads an Envoy bootstrap file", true},
    {"consul-client", scn_standin_consul_main,
     "stand-in Consul agent that joins the server in the server IP file", true},
};

static void usage(FILE *out) {
  fprintf(out, "Usage: ecsboot <command> [flags]\n\nCommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(out, "  %-14s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "  %-14s %s\n", "version", "print the version");
  fprintf(out, "\nRun `ecsboot <command> --help` for its flags.\n");
}

static int run_command(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
      strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
    printf("ecsboot %s\n", ECSB_VERSION);
    return 0;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    if (strcmp(argv[1], commands[i].name) != 0)
      continue;
    ecsb_err err = {0};
    /* Followed until the process ends: a thread still timing a wait must
     * never see the clock unmapped. */
    ecsb_taskclock *clock = NULL;
    if (commands[i].stand_in && ecsb_taskclock_follow_env(&clock, &err)) {
      fprintf(stderr, "ecsboot %s: %s\n", commands[i].name, err.msg);
      return 2;
    }
    int rc = 3;
    if (ecsb_http_global_init(&err) != 0) {
      fprintf(stderr, "ecsboot: %s\n", err.msg);
    } else {
      rc = commands[i].run(argc - 1, argv + 1);
      ecsb_http_global_cleanup();
    }
    return rc;
  }
  fprintf(stderr, "ecsboot: unknown command \"%s\"\n\n", argv[1]);
  usage(stderr);
  return 2;
}

/* `ecsboot serve-forks` starts the consul-client stand-ins of a replay
 * without an exec each (ecsb/forkserve.h); not in the usage. */
int main(int argc, char **argv) {
  int rc = ecsb_forkserve_main(argc, argv, "ecsboot", ecsb_http_global_init,
                               run_command);
  return rc >= 0 ? rc : run_command(argc, argv);
}
