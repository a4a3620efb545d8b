/*
 * role.h - what part a container plays in a Consul-on-ECS task, recognised
 * from its image and command (and only then from its name), so a renamed
 * container is still recognised. The roles are docs/events.md's:
 * discover-servers, consul-client, mesh-init, sidecar-proxy, health-sync,
 * consul-server, app.
 *
 * Rules, first match wins:
 *  1. An init image (`*consul-ecs*` or `*ecsboot-init*`) or an entryPoint/
 *     command whose program is consul-ecs or ecsboot-init: the subcommand
 *     (first word of entryPoint+command that is not the program and not a
 *     flag) names the role: discover-servers, mesh-init, health-sync;
 *     envoy-entrypoint is the sidecar-proxy.
 *  2. An Envoy image (`*envoy*`) or a program named envoy: sidecar-proxy.
 *  3. A Consul image (`*consul*`) or a program named consul, or a shell
 *     script running `consul agent`: consul-server when it runs with
 *     -server or -bootstrap, else consul-client.
 *  4. The container's name, when it is one of the role names (or `envoy`,
 *     `consul-agent`, `consul`).
 *  5. Otherwise: app.
 * Pure; the result is a static string.
 *
 * It lives beside the task-definition rules because both the runner
 * (scenarios/) and lint read roles from a task definition, and lint must
 * not link the fakes the runner needs.
 */
#ifndef ETD_ROLE_H
#define ETD_ROLE_H

#include <stdbool.h>

#include <cjson/cJSON.h>

const char *etd_role_of(const cJSON *container_def);

/* True for the roles whose containers are meant to exit (init containers). */
bool etd_role_is_init(const char *role);

/* True for the roles of Consul's mesh (discover-servers, consul-client,
 * mesh-init, sidecar-proxy): a task with one of them is judged by T1-T4,
 * any other task by READY (docs/events.md). */
bool etd_role_is_mesh(const char *role);

#endif
