/*
 * common.c - what every ecsboot-init subcommand shares: flag parsing with
 * help and error reporting, the exit-code mapping, log level, signals.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
