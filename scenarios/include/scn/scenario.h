/*
 * scenario.h - the scenario file: what to run, what to break, what to
 * expect (format: docs/scenarios.md, schema: scenarios/schema.json).
 *
 * Owns parsing and validation only. Every error names the file and the
 * JSON path ("scenarios/x.json: $.faults[2].action: unknown action
 * \"explode\" for target \"agent\""), and the runner exits 2 on any of
 * them before starting anything. Durations are kept in SCENARIO time
 * (microseconds); the runner scales them with scn_scale_us().
 *
 * The task definition is kept as JSON (either shape AWS prints or takes);
 * fake-ecs registers it and the engine reads its container graph. The
 * expectations are kept as JSON and judged by reports/ (rpt_expect).
 */
#ifndef SCN_SCENARIO_H
#define SCN_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ecsb/err.h"
#include "scn/faults.h"

typedef enum scn_player {
  SCN_PLAY_INIT,          /* the real ecsboot-init */
  SCN_PLAY_CONSUL_CLIENT, /* built-in fake-consul agent process */
  SCN_PLAY_ENVOY,         /* built-in envoy stand-in */
  SCN_PLAY_APP,           /* built-in app stand-in */
  SCN_PLAY_EXEC,          /* exec:PATH, any real program */
} scn_player;

typedef struct scn_image_rule {
  char *match; /* fnmatch(3) pattern on the image name */
  scn_player play;
  char *exec_path; /* SCN_PLAY_EXEC only */
  char **args;     /* extra arguments for the player (NULL-terminated) */
} scn_image_rule;

/* How long an image takes to pull ($.agent.pulls). */
typedef struct scn_pull_rule {
  char *match; /* fnmatch(3) pattern on the image name */
  int64_t us;  /* scenario time */
} scn_pull_rule;

typedef enum scn_fault_when {
  SCN_FAULT_AT,        /* at_us after the run's T0 */
  SCN_FAULT_MILESTONE, /* offset_us after a task reaches milestone */
  SCN_FAULT_RANDOM,    /* with probability, per task, seeded */
} scn_fault_when;

typedef struct scn_fault {
  scn_fault_when when;
  int64_t at_us;       /* SCN_FAULT_AT, and the offset for MILESTONE */
  char milestone[4];   /* "T0".."T4" */
  double probability;  /* SCN_FAULT_RANDOM */
  scn_fault_kind kind; /* its target and action (scn/faults.h) */
  char *task;          /* task selector: "*" (default) or a task name */
  char *container;     /* target "container": its name */
  int64_t duration_us; /* 0: until the run ends */
  cJSON *params;       /* action parameters, validated (owned) */
} scn_fault;

typedef struct scn_scenario {
  char *path; /* file it came from, or "<built-in>" */
  char *name;
  char *description;
  double time_scale;
  uint64_t seed;
  int64_t deadline_us; /* whole run, scenario time */
  char *cluster;

  /* The Consul server task. */
  char *server_family;
  char *server_container;
  int64_t server_start_delay_us;
  bool server_never_running;
  int64_t server_stop_after_us; /* 0: never stops */

  cJSON *task_definition;     /* register-task-definition shape (owned) */
  char *task_definition_path; /* when it came from a file, else NULL */
  char *service_name;         /* ECS service the tasks belong to, or NULL */
  int task_count;
  double start_rate; /* tasks per second; 0: all at once */

  scn_image_rule *images;
  size_t n_images;
  scn_fault *faults;
  size_t n_faults;
  cJSON *expect; /* owned; NULL when none */

  /* How a stopping task signals its containers: in reverse dependency
   * order, as the ECS agent does (default), or every one at once
   * (stop_order "all-at-once"; fecs_engine_opts). */
  bool sigterm_all_at_once;
  /* Steady requests through each task's sidecar while its service is
   * passing in Consul (0: none): rate per task, wall time. */
  double load_rate;
  int load_port;
  char *load_path;
  int64_t load_delay_us; /* routing_delay, scenario time */

  /* The ECS agent's configuration and the world around its pulls
   * ($.agent; fecs_engine_opts), scenario time. */
  bool pull_upfront;        /* ECS_PULL_DEPENDENT_CONTAINERS_UPFRONT */
  int64_t start_timeout_us; /* ECS_CONTAINER_START_TIMEOUT */
  int64_t pull_default_us;  /* an image no pull rule matches */
  scn_pull_rule *pulls;
  size_t n_pulls;
  int64_t credentials_us;  /* execution-role credentials, secrets */
  char *credentials_error; /* NULL: the fetch succeeds */
} scn_scenario;

/* `path` made absolute against the working folder (as it is when it
 * already is; leading "./" dropped) into out. Containers run in their
 * task's folder, where a relative path names nothing, so every path that
 * enters the runner goes through this once: a scenario's folder
 * (scn_scenario_parse's base_dir) and the run's folder and programs
 * (scn_run). ECSB_EINVAL, naming `what` and the path, when it does not
 * fit or the working folder cannot be read. */
int scn_path_absolute(const char *what, const char *path, char *out, size_t cap,
                      ecsb_err *err);

/* Parses a scenario from a file. A relative task-definition path is read
 * relative to the scenario file's folder, and kept absolute in
 * task_definition_path. */
int scn_scenario_load(const char *path, scn_scenario **out, ecsb_err *err);
/* Parses from memory; `name` is used in messages and `base_dir` for
 * relative task-definition paths. */
int scn_scenario_parse(const char *text, size_t len, const char *name,
                       const char *base_dir, scn_scenario **out, ecsb_err *err);
void scn_scenario_free(scn_scenario *s);

/* The image rule that plays `image` (first match wins; the defaults come
 * after the scenario's own rules). Never NULL after a successful parse. */
const scn_image_rule *scn_scenario_player(const scn_scenario *s,
                                          const char *image);

/* How long `image` takes to pull, scenario time: the first
 * $.agent.pulls rule that matches, else $.agent.pull_time (0: cached). */
int64_t scn_scenario_pull_us(const scn_scenario *s, const char *image);

/* Scenario time -> wall time, the one place time_scale is applied. */
int64_t scn_scale_us(const scn_scenario *s, int64_t scenario_us);

const char *scn_player_name(scn_player p);

#endif
