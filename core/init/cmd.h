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
#include "ecsb/initev.h"
#include "ecsb/log.h"
#include "ecsb/retry.h"

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

/* The waits every retrying subcommand shares (docs/ecsboot-init.md,
 * "Waits and retries"): the backoff's first ceiling and its cap, how long
 * one request may take, the jitter seed, and the event channel its retries
 * are reported to. Lives in the subcommand's frame. */
typedef struct init_retry {
  int64_t interval, max_interval, request_timeout; /* ns, from flags */
  int64_t seed; /* --retry-seed, else ECSBOOT_RETRY_SEED; 0: random */
  bool seed_set;
  int loops; /* retry loops started: each gets its own seed */
  ecsb_initev events;
} init_retry;

/* The --retry-seed flag of a subcommand with an init_retry `ir`. */
#define INIT_RETRY_SEED_FLAG(ir)                                               \
  {                                                                            \
    "retry-seed", NULL, ECSB_FLAG_INT, &(ir).seed, 0, INT64_MAX, "N",          \
        "seed of the retries' jitter, for a reproducible replay (default "     \
        "ECSBOOT_RETRY_SEED, else random)",                                    \
        &(ir).seed_set                                                         \
  }

/* After the flags and the log level: the seed from ECSBOOT_RETRY_SEED when
 * no flag gave one, and the event channel (ECSBOOT_EVENTS; a bad value is
 * a warning, never fatal). Returns an exit code or -1 to continue. */
int init_retry_setup(init_retry *ir, const char *cmd);
/* Starts one retry loop of the subcommand: deadline timeout_ns from now
 * (<= 0: none), backoff from base_ns doubling to cap_ns. */
void init_retry_start(init_retry *ir, ecsb_retry *r, int64_t timeout_ns,
                      int64_t base_ns, int64_t cap_ns, volatile int *stop);
/* --request-timeout in milliseconds (at least 1). */
long init_request_ms(const init_retry *ir);
void init_retry_close(init_retry *ir);

/* SIGTERM/SIGINT set *flag (the one piece of signal state, owned by the
 * caller's frame in main's call tree). */
void init_catch_signals(volatile sig_atomic_t *flag);

#endif
