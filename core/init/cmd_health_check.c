/*
 * cmd_health_check.c - `ecsboot-init health-check tcp HOST:PORT` and
 * `health-check http URL [--expect 200-399]`: the command line shared with
 * ecsboot-health (core/health.c), with host names and https:// too.
 */
#include "cmd.h"
#include "ecsb/health.h"

int cmd_health_check(int argc, char **argv) {
  static const ecsb_health_cmd c = {.command = "ecsboot-init health-check",
                                    .path = "/consul/ecsboot-health",
                                    .ops = &ecsb_probe_ops_full};
  return ecsb_health_main(&c, argc, argv);
}
