/*
 * agent.h - what the ECS container agent does at run time with a container
 * RegisterTaskDefinition accepted, beyond ordering it (ordering is
 * etd/taskdef.h's etd_ordering and etd_agent_check): whether it restarts a
 * container that exited (restartPolicy), when it pulls a container's image
 * (ECS_PULL_DEPENDENT_CONTAINERS_UPFRONT), which containers wait for the
 * task's execution-role credentials, secrets and registry auth first, the
 * instance-wide limit on starting a container (ECS_CONTAINER_START_TIMEOUT),
 * and the reasons the agent gives when those fail.
 *
 * Called by the agent simulator (fake-ecs/engine.c), which keeps the clock
 * and the state; each rule here is a pure decision named after the agent
 * function it follows (aws/amazon-ecs-agent). Durations are on whatever
 * clock the caller uses, as long as both sides of a comparison share it.
 * Pure: no I/O, no global state.
 */
#ifndef ETD_AGENT_H
#define ETD_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "etd/taskdef.h"

/* ECS_CONTAINER_START_TIMEOUT: how long the agent lets `docker start` of
 * one container take before it gives up on it (the agent's config: 3m on
 * Linux, 8m on Windows, at least 45s). It applies to the start call itself;
 * a container's startTimeout is another thing, how long its DEPENDENTS wait
 * for it to reach their condition (etd/taskdef.h). */
#define ETD_AGENT_START_TIMEOUT_DEFAULT_MS 180000
#define ETD_AGENT_START_TIMEOUT_MIN_MS 45000

/* The start timeout the agent runs with when configured to configured_ms
 * (its config parseContainerStartTimeout): 0 (unset) gives the default,
 * anything below the minimum the minimum (the agent warns and goes on). */
int64_t etd_agent_start_timeout_ms(int64_t configured_ms);

/* restart tracker's ShouldRestart (ecs-agent/api/container/restart/
 * restart_tracker.go), asked by the task manager when a container it runs
 * exits: false when the policy is off, when the task is stopping (the
 * container's desired status is STOPPED), when the exit code is one of
 * ignoredExitCodes, and when less than restartAttemptPeriod passed since
 * the container's last restart, or since its start when it never
 * restarted (`since_us`; `period_us` is restartAttemptPeriod on the same
 * clock). *why (may be NULL) says why not. */
bool etd_restart_should(const etd_restart *r, int exit_code, bool stopping,
                        int64_t since_us, int64_t period_us, const char **why);

/* When the agent may pull the container's image: the ordering's
 * dependsOn resolution (graph.go containerOrderingDependenciesIsResolved)
 * gates the move to PULLED like every other move, so by default the pull
 * begins once the container's dependencies let it be created
 * (`ordering_met`); with ECS_PULL_DEPENDENT_CONTAINERS_UPFRONT (`upfront`)
 * a container that is not yet PULLED may pull before its dependencies are
 * met, so every image pulls as the task starts. Either way a container
 * that needs the execution-role credentials waits for them first
 * (graph.go executionCredentialsResolved): `creds_ready`. */
bool etd_pull_may_begin(bool upfront, bool ordering_met, bool creds_ready);

/* Whether the container waits for the task's execution-role credentials,
 * secrets and registry auth before its pull (graph.go
 * executionCredentialsResolved; the ssmsecret/asmsecret/asmauth task
 * resources): it has `secrets` or `repositoryCredentials`, or the task has
 * an executionRoleArn and its image is in a private ECR registry
 * ("<account>.dkr.ecr.<region>.amazonaws.com/...", pulled with the
 * execution role). `def` is its containerDefinitions entry. */
bool etd_needs_execution_credentials(const cJSON *def, bool execution_role);

/* The container's reason when `docker start` passed
 * ECS_CONTAINER_START_TIMEOUT (dockerapi's DockerTimeoutError):
 * "DockerTimeoutError: Could not transition to started; timed out after
 * waiting 3m0s". */
void etd_start_timeout_reason(int64_t timeout_ms, char *buf, size_t cap);

/* The task's stoppedReason when its secrets or registry auth could not be
 * fetched (Fargate's ResourceInitializationError): "ResourceInitialization
 * Error: unable to pull secrets or registry auth: <error>". */
#define ETD_AGENT_RESOURCE_INIT "ResourceInitializationError"
void etd_resource_init_reason(const char *error, char *buf, size_t cap);

#endif
