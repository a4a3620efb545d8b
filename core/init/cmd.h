/*
 * cmd.h - the subcommands of ecsboot-init and what they share: exit codes,
 * the error-to-exit-code mapping, signal handling and common flags.
 *
 * Exit codes (docs/ecsboot-init.md): 0 success; 1 usage, configuration or
 * bad-input error (including a malformed answer from a peer and an output
 * file that cannot be written); 2 timed out waiting for a peer (the message
 * says what was last seen); 3 authentication or authorisation refused.
 * health-check uses 0 healthy / 1 not healthy only.
 */
#ifndef ECSB_INIT_CMD_H
#define ECSB_INIT_CMD_H

#include <signal.h>

#include "ecsb/err.h"
#include "ecsb/flags.h"
#include "ecsb/log.h"

enum {
  INIT_EXIT_OK = 0,
  INIT_EXIT_USAGE = 1,
  INIT_EXIT_TIMEOUT = 2,
  INIT_EXIT_AUTH = 3,
};

int cmd_discover_servers(int argc, char **argv);
int cmd_mesh_init(int argc, char **argv);
int cmd_envoy_bootstrap(int argc, char **argv);
int cmd_health_check(int argc, char **argv);
int cmd_health_sync(int argc, char **argv);
int cmd_envoy_entrypoint(int argc, char **argv);

/* Maps an ECSB_E* code to the exit code above. */
int init_exit_code(int rc);
/* Logs err at error level under the subcommand's name and returns the exit
 * code for it. */
int init_fail(const char *cmd, const ecsb_err *err);

/* Parses flags; prints help or the error. Returns -1 to continue, else the
 * exit code to return (0 after --help, 1 after a bad flag). */
int init_parse_flags(const ecsb_flagset *fs, int argc, char **argv, char **pos,
                     size_t pos_cap, size_t *n_pos);

/* Applies --log-level (NULL: keep ECSBOOT_LOG_LEVEL or info). Returns an
 * exit code or -1 to continue. */
int init_set_log_level(const char *level);

/* SIGTERM/SIGINT set *flag (the one piece of signal state, owned by the
 * caller's frame in main's call tree). */
void init_catch_signals(volatile sig_atomic_t *flag);

#endif
