/*
 * serve_ecs.h - the fake-ECS part of `ecsboot serve`: its flags, starting
 * fake-ecs (API, task metadata and credentials endpoint) on loopback, and
 * the text that tells a developer how to point the AWS CLI at it.
 *
 * Called by cli/serve.c (which owns the command, the other fakes and the
 * wait-for-signal loop, and the flags for addresses, region, cluster and
 * --no-sigv4). The flags here are all prefixed --ecs- so they sit beside
 * the other fakes'; serve.c hands them over as --ecs-NAME[=VALUE]. Not
 * thread-safe; one call sequence from main: serve_ecs_opts_default,
 * serve_ecs_flags (into the flag table), parse, serve_ecs_start, ...,
 * serve_ecs_stop.
 */
#ifndef ECSB_SERVE_ECS_H
#define ECSB_SERVE_ECS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ecsb/err.h"
#include "ecsb/flags.h"
#include "fecs/fecs.h"

typedef struct serve_ecs_opts {
  const char *bind_ip; /* API address, default 127.0.0.1 */
  int64_t api_port;    /* API port, default 0 (any free port) */
  int64_t md_port;     /* metadata endpoint port, default 0 */
  /* metadata endpoint address (the runner's netblock puts it apart from
   * the API); NULL: bind_ip */
  const char *md_bind_ip;
  const char *cluster; /* created at start, default "default" */
  const char *region;  /* default us-east-1 */
  const char *account; /* --ecs-account, default 123456789012 */
  const char *key_id;  /* --ecs-access-key-id, default fake-ecs's */
  const char *secret;  /* --ecs-secret-access-key, default fake-ecs's */
  bool no_sigv4;       /* --ecs-no-sigv4 */
  bool no_throttle;    /* --ecs-no-throttle */
  int64_t start_delay; /* --ecs-start-delay, nanoseconds, default 0 */
  int64_t seed;        /* --ecs-seed, default 1 */
  const char *taskdef; /* shown in the example commands */
} serve_ecs_opts;

#define SERVE_ECS_N_FLAGS 6

void serve_ecs_opts_default(serve_ecs_opts *o);

/* Writes the --ecs-* flag specs bound to o into out (cap >=
 * SERVE_ECS_N_FLAGS) and returns how many. o must outlive the parse. */
size_t serve_ecs_flags(serve_ecs_opts *o, ecsb_flag *out, size_t cap);

/* Starts fake-ecs with o->cluster created and prints, to out, the
 * endpoints (first lines: "fake-ecs API          <url>" and
 * "metadata/credentials  <url>"), region, fake keys and example
 * `aws ecs ... --endpoint-url` commands. Errors name the flag or the
 * address that failed. */
int serve_ecs_start(const serve_ecs_opts *o, FILE *out, fecs **f,
                    ecsb_err *err);

void serve_ecs_stop(fecs *f);

#endif
