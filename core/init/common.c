/*
 * common.c - what every ecsboot-init subcommand shares: flag parsing with
 * help and error reporting, the exit-code mapping, log level, signals.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/duration.h"

#include "cmd.h"

int init_exit_code(int rc) {
  switch (rc) {
  case 0:
    return INIT_EXIT_OK;
  case ECSB_ETIMEDOUT:
    return INIT_EXIT_TIMEOUT;
  case ECSB_EAUTH:
    return INIT_EXIT_AUTH;
  default:
    return INIT_EXIT_USAGE;
  }
}

int init_fail(const char *cmd, const ecsb_err *err) {
  ecsb_log(ECSB_LOG_ERROR, err->msg, "cmd", cmd, "code",
           ecsb_err_name(err->code), NULL);
  return init_exit_code(err->code);
}

int init_parse_flags(const ecsb_flagset *fs, int argc, char **argv, char **pos,
                     size_t pos_cap, size_t *n_pos) {
  ecsb_err err = {0};
  int rc = ecsb_flags_parse(fs, argc, argv, pos, pos_cap, n_pos, &err);
  if (rc == ECSB_FLAGS_HELP) {
    ecsb_flags_usage(fs, stdout);
    return INIT_EXIT_OK;
  }
  if (rc) {
    fprintf(stderr, "%s: %s\n", fs->command, err.msg);
    return INIT_EXIT_USAGE;
  }
  return -1;
}

int init_set_log_level(const char *level) {
  const char *v = level ? level : getenv("ECSBOOT_LOG_LEVEL");
  if (!v || !*v)
    return -1;
  ecsb_log_level l;
  if (ecsb_log_level_parse(v, &l) != 0) {
    fprintf(stderr,
            "ecsboot-init: %s \"%s\": expected debug, info, warn, "
            "error or off\n",
            level ? "flag -log-level" : "ECSBOOT_LOG_LEVEL", v);
    return INIT_EXIT_USAGE;
  }
  ecsb_log_set_level(l);
  return -1;
}

int init_retry_setup(init_retry *ir, const char *cmd) {
  ecsb_err err = {0};
  int64_t seed = 0;
  if (!ir->seed_set && ecsb_retry_seed_env(&seed, &err) != 0) {
    fprintf(stderr, "ecsboot-init %s: %s\n", cmd, err.msg);
    return INIT_EXIT_USAGE;
  }
  if (seed)
    ir->seed = seed;
  if (ecsb_initev_open(&ir->events, cmd, &err) != 0)
    ecsb_log(ECSB_LOG_WARN, "retries are not reported to the event channel",
             "cmd", cmd, "error", err.msg, NULL);
  return -1;
}

void init_retry_start(init_retry *ir, ecsb_retry *r, int64_t timeout_ns,
                      int64_t base_ns, int64_t cap_ns, volatile int *stop) {
  /* A given seed makes every loop reproducible; loops of one process
   * (health-sync's start and stop, one per drain poll) draw from their
   * own sequence so they do not repeat each other's waits. */
  uint64_t seed = 0;
  if (ir->seed) {
    ecsb_rng g;
    ecsb_rng_seed(&g, (uint64_t)ir->seed + (uint64_t)ir->loops);
    seed = ecsb_rng_next(&g) | 1; /* 0 would mean "random" */
  }
  ir->loops++;
  ecsb_retry_opts o = {.timeout_us = timeout_ns > 0 ? timeout_ns / 1000 : 0,
                       .base_us = base_ns / 1000,
                       .cap_us = cap_ns / 1000,
                       .seed = seed,
                       .stop = stop,
                       .events = &ir->events};
  ecsb_retry_start(r, &o);
}

long init_request_ms(const init_retry *ir) {
  int64_t ms = ir->request_timeout / ECSB_NS_PER_MS;
  return ms > 0 ? (long)ms : 1;
}

void init_retry_close(init_retry *ir) {
  ecsb_initev_close(&ir->events);
}

/* The handler can only reach the flag through a static pointer; it is set
 * once by init_catch_signals before any signal can arrive. */
static volatile sig_atomic_t *g_stop_flag;

static void on_signal(int sig) {
  (void)sig;
  if (g_stop_flag)
    *g_stop_flag = 1;
}

void init_catch_signals(volatile sig_atomic_t *flag) {
  g_stop_flag = flag;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
}
