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
 * Durations given to stand-ins are wall-clock: the runner has already
 * applied the scenario's time_scale.
 */
#ifndef SCN_STANDIN_H
#define SCN_STANDIN_H

/* argv[0] is the subcommand name. Return the process exit code. */
int scn_standin_app_main(int argc, char **argv);
int scn_standin_envoy_main(int argc, char **argv);

/* Maps "127.0.0.1"/"localhost"/"" to task_ip (when set), else returns
 * host. Exposed for tests. */
const char *scn_localhost_map(const char *host, const char *task_ip);

#endif
