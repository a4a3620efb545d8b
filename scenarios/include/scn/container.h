/*
 * container.h - turns a container definition into the argv and environment
 * of the process that plays it in a simulated task.
 *
 * Owns the addressing rules (docs/architecture.md, "Processes and
 * addresses of a run") for one container: "localhost" and
 * "127.0.0.1" in its command, environment and health-check command become
 * the task's own loopback address; every volume's containerPath becomes a
 * per-task folder; the environment is exactly what an ECS task container
 * gets (metadata URI, credentials, region, endpoints, CONSUL_HTTP_ADDR)
 * plus the definition's own `environment`, and nothing of the runner's
 * except PATH. Which program runs comes from the image map (scenario.h).
 * Pure: no processes, files or sockets here.
 */
#ifndef SCN_CONTAINER_H
#define SCN_CONTAINER_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "ecsb/err.h"
#include "scn/scenario.h"

typedef struct scn_task_env {
  const char *task_ip;  /* the task's loopback address */
  const char *task_dir; /* volumes live in <task_dir>/volumes/<name> */
  const char *region;   /* AWS_REGION */
  const char
      *ecs_endpoint; /* AWS_ENDPOINT_URL_ECS, e.g. http://127.20.0.2:41000 */
  const char *metadata_base; /* e.g. http://127.20.0.3:41001; the container's
                                URI is <base>/v4/<container_id> */
  /* Container credentials. ECS's own RELATIVE_URI form implies the host
   * 169.254.170.2, which is off loopback, so tasks get the FULL_URI form
   * (a real mechanism every AWS SDK and ecsboot-init support) with the
   * authorization token fake-ecs expects. */
  const char
      *creds_full_uri; /* e.g. http://127.20.0.3:41001/v2/credentials/<id> */
  const char *creds_token; /* AWS_CONTAINER_AUTHORIZATION_TOKEN */
  const char *ecsboot_bin; /* the harness program (consul-client) */
  /* the app and envoy stand-ins' program (ecsboot-standin); NULL:
   * ecsboot_bin */
  const char *standin_bin;
  const char *init_bin; /* ecsboot-init */
  /* Words that go before init_bin (NULL-terminated; NULL: none): the
   * loader and its flags of an image root (scn/image_root.h). */
  const char *const *init_prefix;
  const char *path_env; /* PATH for the container */
  /* The scenario's time_scale: ecsboot-init's poll intervals and timeouts
   * are scaled in its argv (0 or 1: left as they are). */
  double time_scale;
  /* ECSBOOT_TASK and ECSBOOT_EVENTS (where ecsboot-init reports retries;
   * NULL: not set), and the scenario's seed, from which each container's
   * ECSBOOT_RETRY_SEED derives (with the task and container names) when
   * task_name is set. */
  const char *task_name;
  const char *events;
  uint64_t seed;
  /* The runner keeps <task_dir>/ECSB_TASK_CLOCK_FILE (ecsb/taskclock.h):
   * every container then keeps time on task time (ECSBOOT_TASK_CLOCK). */
  bool task_clock;
} scn_task_env;

typedef struct scn_cmd {
  char **argv; /* NULL-terminated, owned */
  char **envp; /* NULL-terminated, owned */
} scn_cmd;

/* Builds the command for container `def` (one element of
 * containerDefinitions) whose id in the metadata endpoint is container_id.
 * `volumes` is the task definition's `volumes` array (may be NULL). */
int scn_container_command(const scn_task_env *env, const cJSON *def,
                          const cJSON *volumes, const char *container_id,
                          const scn_image_rule *rule, scn_cmd *out,
                          ecsb_err *err);
void scn_cmd_clear(scn_cmd *c);

/* Rewrites one string: host tokens "localhost"/"127.0.0.1" -> task_ip, and
 * each mount's containerPath prefix -> its per-task folder. Heap result. */
char *scn_container_map(const scn_task_env *env, const cJSON *def,
                        const char *s);

/* How the runner should run a health-check command (healthCheck.command,
 * already mapped): built-in probes for the tools a minimal image may lack,
 * otherwise a process. */
typedef enum scn_probe_kind {
  SCN_PROBE_TCP,     /* nc -z HOST PORT */
  SCN_PROBE_HTTP,    /* curl [-f|-s|...] URL */
  SCN_PROBE_PROCESS, /* anything else: argv run as a process */
} scn_probe_kind;

typedef struct scn_probe {
  scn_probe_kind kind;
  char host[64];
  int port;
  char url[512];
  char **argv; /* SCN_PROBE_PROCESS: owned, NULL-terminated */
} scn_probe;

/* From a healthCheck.command array ("CMD", ...) or ("CMD-SHELL", "...");
 * CMD-SHELL runs /bin/sh -c, the one place a shell is used, as ECS does. */
int scn_probe_from_health_check(const scn_task_env *env, const cJSON *def,
                                const cJSON *command, scn_probe *out,
                                ecsb_err *err);
void scn_probe_clear(scn_probe *p);

#endif
