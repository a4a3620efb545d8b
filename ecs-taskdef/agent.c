/*
 * agent.c - the ECS agent's run-time decisions about one container (see
 * etd/agent.h): restarts, when to pull, who waits for execution
 * credentials, and the reasons for a start timeout and a failed secrets
 * fetch.
 *
 * Called by the agent simulator (fake-ecs/engine.c), which owns the clock
 * and the state. Pure: no I/O, no global state.
 */
#include "etd/agent.h"

#include <stdio.h>
#include <string.h>

#include "ecsb/duration.h"

bool etd_restart_should(const etd_restart *r, int exit_code, bool stopping,
                        int64_t since_us, int64_t period_us, const char **why) {
  const char *no = NULL;
  bool ignored = false;
  size_t n = r->n_ignored < ETD_RESTART_IGNORED_MAX ? r->n_ignored
                                                    : ETD_RESTART_IGNORED_MAX;
  for (size_t k = 0; k < n; k++)
    ignored |= r->ignored[k] == exit_code;
  /* the order of ShouldRestart's checks: the first that says no is the
   * reason the agent logs */
  if (!r->enabled)
    no = "restart policy is not enabled";
  else if (stopping)
    no = "the task is stopping";
  else if (ignored)
    no = "the exit code is in ignoredExitCodes";
  else if (since_us < period_us)
    no = "it ran less than restartAttemptPeriod since its last start";
  if (why)
    *why = no;
  return no == NULL;
}

bool etd_pull_may_begin(bool upfront, bool ordering_met, bool creds_ready) {
  return creds_ready && (upfront || ordering_met);
}

/* A private ECR image: <account>.dkr.ecr.<region>.amazonaws.com[.cn]/...
 * (public.ecr.aws needs no credentials). */
static bool private_ecr(const char *image) {
  const char *slash = strchr(image, '/');
  const char *dkr = strstr(image, ".dkr.ecr.");
  return slash && dkr && dkr < slash;
}

bool etd_needs_execution_credentials(const cJSON *def, bool execution_role) {
  const cJSON *sec = cJSON_GetObjectItemCaseSensitive(def, "secrets");
  const cJSON *rc =
      cJSON_GetObjectItemCaseSensitive(def, "repositoryCredentials");
  const cJSON *im = cJSON_GetObjectItemCaseSensitive(def, "image");
  if ((cJSON_IsArray(sec) && cJSON_GetArraySize(sec) > 0) || cJSON_IsObject(rc))
    return true;
  return execution_role && cJSON_IsString(im) && private_ecr(im->valuestring);
}

int64_t etd_agent_start_timeout_ms(int64_t configured_ms) {
  if (configured_ms == 0)
    return ETD_AGENT_START_TIMEOUT_DEFAULT_MS;
  return configured_ms < ETD_AGENT_START_TIMEOUT_MIN_MS
             ? ETD_AGENT_START_TIMEOUT_MIN_MS
             : configured_ms;
}

void etd_start_timeout_reason(int64_t timeout_ms, char *buf, size_t cap) {
  char d[32];
  ecsb_duration_format(timeout_ms * ECSB_NS_PER_MS, d, sizeof d);
  snprintf(buf, cap,
           "DockerTimeoutError: Could not transition to started; timed out "
           "after waiting %s",
           d);
}

void etd_resource_init_reason(const char *error, char *buf, size_t cap) {
  snprintf(buf, cap,
           ETD_AGENT_RESOURCE_INIT
           ": unable to pull secrets or registry auth: %s",
           error && *error ? error : "execution resource retrieval failed");
}
