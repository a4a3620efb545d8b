/*
 * standin.h - the built-in programs that play container images in a
 * simulated task: `ecsboot app` (an HTTP application) and `ecsboot envoy`
 * (a sidecar proxy that reads a real Envoy bootstrap). Each is a main()
 * body run as its own process by the runner (or by a person).
 *
 * In awsvpc mode every container of a task shares one network namespace;
 * in the simulation each task has its own loopback IP instead, given to
 * every container as ECSBOOT_TASK_IP. Stand-ins therefore read
 * "127.0.0.1" and "localhost" as that address.
 *
 * Durations given to stand-ins are already scaled by the scenario's
 * time_scale. In a replay they run on the task's clock (ECSBOOT_TASK_CLOCK,
 * ecsb/taskclock.h, followed by cli/main.c before the stand-in starts),
 * which leaves out the host lag the runner measured for the task; run by
 * hand, on the host's clock.
 */
#ifndef SCN_STANDIN_H
#define SCN_STANDIN_H

#include "ecsb/err.h"

/* argv[0] is the subcommand name. Return the process exit code. */
int scn_standin_app_main(int argc, char **argv);
int scn_standin_envoy_main(int argc, char **argv);
/* `ecsboot consul-client`: a fake-consul agent process (standin_consul.c). */
int scn_standin_consul_main(int argc, char **argv);

/* The consul-client stand-in's control file: how the runner, in another
 * process, injects agent faults. JSON {"faults": [{"seq": N, "action":
 * A, ...}]}, entries only ever appended, each applied once (seq above the
 * last applied) when the stand-in starts and on every SIGUSR1. Actions:
 * the catalogue's agent faults by their names (scn/faults.h):
 * "slow_join" (delay_ms), "register_error" (status, count, body: the next
 * count registrations get that answer), "acl_deny" (403 on service
 * endpoints), "crash" (restart_after_ms: the node leaves the server and
 * the API refuses connections; it comes back with its local state and
 * joins again); and the control's own: "acl_allow" (clears the agent's
 * HTTP faults; the end of acl_deny), "down" and "up". Written
 * atomically. */
#define SCN_CONSUL_CONTROL_ACL_ALLOW "acl_allow"
#define SCN_CONSUL_CONTROL_DOWN "down"
#define SCN_CONSUL_CONTROL_UP "up"
int scn_consul_control_write(const char *path, const char *json, ecsb_err *err);
/* Its name in the task's folder, where the runner gives it. */
#define SCN_CONSUL_CONTROL_FILE "consul-client.control"

/* Maps "127.0.0.1"/"localhost"/"" to task_ip (when set), else returns
 * host. Exposed for tests. */
const char *scn_localhost_map(const char *host, const char *task_ip);

#endif
