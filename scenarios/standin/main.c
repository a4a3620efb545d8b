/*
 * main.c - ecsboot-standin: the app and envoy stand-ins as the small
 * program the runner starts for every task (`ecsboot-standin app|envoy`).
 * A fleet replay starts two of them per task, and through the harness
 * program each start paid the dynamic loader's work for libcurl,
 * libmicrohttpd and some 30 libraries they never used; this program is
 * built from the stand-ins' sources and core's socket-only modules, and
 * links libc and cJSON only (envoy reads its bootstrap and the agent's
 * answers as JSON; Debian ships no static cJSON, so it stays a shared
 * library). The same code runs as `ecsboot app|envoy` (cli/main.c).
 *
 * `ecsboot-standin serve-forks` is how `ecsboot run` starts them: as
 * copies of one server (ecsb/forkserve.h), each with two thirds of an
 * exec's CPU and the server's pages shared (not in the usage).
 */
#include <stdio.h>
#include <string.h>

#include "ecsb/forkserve.h"
#include "ecsb/taskclock.h"
#include "ecsb/version.h"
#include "scn/standin.h"

static void usage(FILE *out) {
  fprintf(out, "Usage: ecsboot-standin app|envoy [flags]\n\n"
               "  app     stand-in application container (an HTTP server)\n"
               "  envoy   stand-in sidecar proxy that reads an Envoy "
               "bootstrap file\n"
               "  version print the version\n\n"
               "The programs a replay runs for app and Envoy images "
               "(docs/scenarios.md);\n`ecsboot-standin <command> --help` "
               "for its flags.\n");
}

static int run_command(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
      strcmp(argv[1], "-h") == 0) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
    printf("ecsboot-standin %s\n", ECSB_VERSION);
    return 0;
  }
  int (*run)(int, char **) = NULL;
  if (strcmp(argv[1], "app") == 0)
    run = scn_standin_app_main;
  else if (strcmp(argv[1], "envoy") == 0)
    run = scn_standin_envoy_main;
  if (!run) {
    fprintf(stderr, "ecsboot-standin: unknown command \"%s\"\n\n", argv[1]);
    usage(stderr);
    return 2;
  }
  /* Its waits follow the task's clock (ECSBOOT_TASK_CLOCK), kept mapped
   * until the process ends: a thread still timing a wait must never see
   * it unmapped. */
  ecsb_taskclock *clock = NULL;
  ecsb_err err = {0};
  if (ecsb_taskclock_follow_env(&clock, &err) != 0) {
    fprintf(stderr, "ecsboot-standin %s: %s\n", argv[1], err.msg);
    return 2;
  }
  return run(argc - 1, argv + 1);
}

int main(int argc, char **argv) {
  int rc =
      ecsb_forkserve_main(argc, argv, "ecsboot-standin", NULL, run_command);
  return rc >= 0 ? rc : run_command(argc, argv);
}
