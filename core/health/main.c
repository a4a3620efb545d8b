/*
 * main.c - ecsboot-health: the health-check command of ecsboot-init as a
 * small statically linked program, which is what mesh-init --copy-self
 * puts in a shared volume for the Envoy and app images. Those images have
 * none of the ~30 shared libraries ecsboot-init links (libcurl and what it
 * brings), so this program links none: it is built from probe.c, health.c
 * and the flag parser only, never libcurl (a TCP connect and a plain HTTP
 * GET to loopback need no more). It resolves no host names and speaks no
 * TLS; `ecsboot-init health-check` does both.
 *
 * Takes `ecsboot-health [health-check] tcp HOST:PORT | http URL [flags]`:
 * with the subcommand word it is a drop-in for a copied ecsboot-init in
 * existing healthCheck commands (`/consul/ecsboot-init health-check ...`).
 */
#include <stdio.h>
#include <string.h>

#include "ecsb/health.h"
#include "ecsb/taskclock.h"
#include "ecsb/version.h"

static int is_any(const char *s, const char *const *names) {
  for (size_t i = 0; names[i]; i++)
    if (strcmp(s, names[i]) == 0)
      return 1;
  return 0;
}

int main(int argc, char **argv) {
  static const char *const version[] = {"version", "-version", "--version",
                                        NULL};
  static const char *const init_only[] = {"discover-servers", "mesh-init",
                                          "envoy-bootstrap",  "health-sync",
                                          "envoy-entrypoint", NULL};
  static const ecsb_health_cmd c = {
      .command = "ecsboot-health",
      .path = "/consul/ecsboot-health",
      .notes =
          "\n\necsboot-health is statically linked so that it runs in any "
          "image: it connects to IP\naddresses and localhost only and "
          "speaks plain http://. `ecsboot-init health-check`\ntakes the "
          "same arguments and also resolves names and speaks https://.\nThe "
          "word health-check may come first, as for a copied "
          "ecsboot-init:\n`ecsboot-health health-check tcp "
          "127.0.0.1:20000`.",
      .ops = NULL};
  int i = 1;
  if (argc > 1 && is_any(argv[1], version)) {
    if (argc > 2) {
      fprintf(stderr, "ecsboot-health version: unexpected argument \"%s\"\n",
              argv[2]);
      return 1;
    }
    printf("ecsboot-health %s\n", ECSB_VERSION);
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "health-check") == 0)
    i = 2;
  else if (argc > 1 && is_any(argv[1], init_only)) {
    fprintf(stderr,
            "ecsboot-health: \"%s\" is an ecsboot-init command; "
            "ecsboot-health only runs health checks (see --help)\n",
            argv[1]);
    return 1;
  }
  /* In a replay its timeout runs on the task's clock, as ecsboot-init's
   * does (ecsb/taskclock.h); unset in production. */
  ecsb_taskclock *clock = NULL;
  ecsb_err err = {0};
  if (ecsb_taskclock_follow_env(&clock, &err) != 0) {
    fprintf(stderr, "ecsboot-health: %s\n", err.msg);
    return 1;
  }
  /* followed until the process ends */
  return ecsb_health_main(&c, argc - i, argv + i);
}
