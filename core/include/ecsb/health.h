/*
 * health.h - the health-check command line, one rule for the two programs
 * that take it: `ecsboot-init health-check` and the static ecsboot-health
 * (what mesh-init --copy-self puts in the Envoy image). Arguments, flags,
 * --help, messages and exit codes are the same; only what the probes may
 * use differs (probe.h: ops).
 *
 * Linked into ecsboot-health: sockets, libc and the flag parser only.
 */
#ifndef ECSB_HEALTH_H
#define ECSB_HEALTH_H

#include "ecsb/probe.h"

typedef struct ecsb_health_cmd {
  const char *command; /* "ecsboot-init health-check", in --help and errors */
  const char *path;    /* the program in the help's healthCheck example */
  const char *notes;   /* extra --help text (what this build cannot do) */
  const ecsb_probe_ops *ops; /* NULL: IP literals, localhost, http:// */
} ecsb_health_cmd;

/* Runs `<command> tcp HOST:PORT | http URL [--timeout D] [--expect CODES]`
 * (argv[0] is the first argument). Probes once; returns the exit code: 0
 * healthy (or after --help), 1 not healthy or a usage error, the reason on
 * stderr. */
int ecsb_health_main(const ecsb_health_cmd *c, int argc, char **argv);

#endif
