/*
 * runner.h - `ecsboot run`: replays one scenario (docs/scenarios.md) with
 * real processes, the real ecsboot-init and the in-process fakes, records
 * every event (docs/events.md) and judges the expectations.
 *
 * Owns one run from start to teardown: the run's address block
 * (netblock.h), fake-ecs (API, metadata, credentials) and the fake-consul
 * server in process, the Consul server task, the application tasks (one
 * fecs_engine each, driving real child processes built by container.h and
 * proc.h), health-check probes, the fault plan, the service-passing
 * observer, the event log, the decision to stop, and the teardown that
 * leaves no process behind. It does not render reports (reports/ does,
 * from the log the run wrote) and does not parse flags (cli/run.c does).
 *
 * Layout of a run folder (scn_run_opts.out_dir):
 *   events.jsonl                  the event log
 *   tasks/<task>/logs/<c>.log     stdout+stderr of each container
 *   tasks/<task>/volumes/<v>/     the task's volumes
 * The tasks/ folder of an earlier run in the same folder is removed first
 * (only when it carries the marker file the runner leaves in it).
 *
 * Not re-entrant: one run per process at a time (it installs handlers for
 * SIGCHLD, SIGINT and SIGTERM for the run's duration and restores them).
 */
#ifndef SCN_RUNNER_H
#define SCN_RUNNER_H

#include <stdbool.h>
#include <stdint.h>

#include "ecsb/err.h"
#include "scn/scenario.h"

/* Relative paths here are taken against the working folder when scn_run
 * starts, and every container gets them absolute (it runs in its task's
 * folder); a program given as a bare name is looked up in PATH. */
/* How long a run goes on once its expectations are decided (--until):
 * by default it ends then, which cuts the timeline short; the others let a
 * user watch what happens after. Every run still ends at its deadline. */
typedef enum scn_until {
  SCN_UNTIL_DECIDED,  /* the expectations are decided (or, without any,
                         every task reached T4 or stopped) */
  SCN_UNTIL_T4,       /* and every application task reached T4 (READY
                         without mesh) or stopped */
  SCN_UNTIL_STABLE,   /* and nothing happened for SCN_UNTIL_STABLE_US */
  SCN_UNTIL_DEADLINE, /* the scenario's deadline */
  SCN_UNTIL_DURATION  /* and this much scenario time passed since T0 */
} scn_until;
/* "Nothing happened" for --until stable: no event but host lag, in
 * scenario time (a Consul check interval and then some). */
#define SCN_UNTIL_STABLE_US 30000000
/* Parses decided | T4 | stable | deadline | a duration ("90s", "5m"):
 * *until and, for a duration, *until_us (scenario time). */
int scn_until_parse(const char *s, scn_until *until, int64_t *until_us,
                    ecsb_err *err);

typedef struct scn_run_opts {
  const char *out_dir;     /* run folder (created) */
  const char *ecsboot_bin; /* the harness program (consul-client) */
  /* ecsboot-standin (the app and envoy stand-ins); NULL: ecsboot_bin,
   * which runs the same stand-ins as `ecsboot app|envoy` */
  const char *standin_bin;
  /* ecsboot-init, or a folder: an extracted image root holding
   * /ecsboot-init, run with the root's own loader and libraries
   * (scn/image_root.h) */
  const char *init_bin;
  const char *lock_dir; /* netblock lock files; NULL: /tmp */
  int net_block;        /* preferred 127.B block; 0: any */
  bool progress;        /* live progress line on stderr */
  scn_until until;      /* --until; SCN_UNTIL_DECIDED by default */
  int64_t until_us;     /* SCN_UNTIL_DURATION: scenario time */
  /* exec every container's program, as a container runtime does; by
   * default ecsboot-init's and ecsboot's containers are started by a
   * fork server of each (scn/proc.h), which costs a fraction of the CPU
   * (not with an image root as init_bin) */
  bool exec_each;
} scn_run_opts;

typedef enum scn_run_outcome {
  SCN_RUN_PASSED,      /* every expectation held */
  SCN_RUN_FAILED,      /* at least one did not */
  SCN_RUN_INTERRUPTED, /* SIGINT/SIGTERM: log marked incomplete */
  /* none failed, but the host's lag left one undecidable */
  SCN_RUN_INCONCLUSIVE,
} scn_run_outcome;

typedef struct scn_run_result {
  scn_run_outcome outcome;
  int interrupt_signal; /* SIGINT or SIGTERM when interrupted */
  /* finished, settled, stable, deadline, interrupted */
  char end_reason[32];
  char log_path[4096];
  int64_t wall_us; /* T0 to the end of teardown */
  size_t n_expect, n_failed, n_inconclusive;
} scn_run_result;

/* Runs s to the end. Returns 0 when the run happened (whatever its
 * verdicts: see res->outcome), or an error when it could not be set up or
 * the event log could not be written (the caller exits 3). */
int scn_run(const scn_scenario *s, const scn_run_opts *o, scn_run_result *res,
            ecsb_err *err);

/* The built-in scenario: the seed's T0-T4 timeline of the mesh-task
 * example (scenarios/catalog/t0-t4.json with examples/mesh-task-taskdef.json
 * inline, compiled in). */
int scn_builtin_load(scn_scenario **out, ecsb_err *err);

#endif
