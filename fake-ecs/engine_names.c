/*
 * engine_names.c - the names of the engine's enums as ECS and
 * docs/events.md spell them, for the event log, DescribeTasks and messages.
 *
 * Part of the engine (fecs/engine.h); pure lookups, no state.
 */
#include "fecs/engine.h"

#include <signal.h>
#include <string.h>

const char *fecs_dep_condition_name(fecs_dep_condition c) {
  return etd_condition_name(c);
}

int fecs_dep_condition_parse(const char *s, fecs_dep_condition *out) {
  return etd_condition_parse(s, out);
}

const char *fecs_health_name(fecs_health h) {
  switch (h) {
  case FECS_HEALTH_UNKNOWN:
    return "UNKNOWN";
  case FECS_HEALTH_HEALTHY:
    return "HEALTHY";
  case FECS_HEALTH_UNHEALTHY:
    return "UNHEALTHY";
  }
  return "?";
}

const char *fecs_task_status_name(fecs_task_status s) {
  static const char *const names[] = {
      "NONE",         "PROVISIONING", "PENDING",        "ACTIVATING", "RUNNING",
      "DEACTIVATING", "STOPPING",     "DEPROVISIONING", "STOPPED"};
  return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

const char *fecs_container_state_name(fecs_container_state s) {
  static const char *const names[] = {"PENDING",  "STARTING", "RUNNING",
                                      "STOPPING", "STOPPED",  "NOT_STARTED"};
  return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

const char *fecs_container_ecs_status(fecs_container_state s) {
  switch (s) {
  case FECS_C_PENDING:
  case FECS_C_STARTING:
    return "PENDING";
  case FECS_C_RUNNING:
  case FECS_C_STOPPING:
    return "RUNNING";
  case FECS_C_STOPPED:
  case FECS_C_NOT_STARTED:
    return "STOPPED";
  }
  return "?";
}

const char *fecs_action_kind_name(fecs_action_kind k) {
  static const char *const names[] = {"START", "RUN_HEALTH_CHECK", "SIGTERM",
                                      "SIGKILL"};
  return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

const char *fecs_event_kind_name(fecs_event_kind k) {
  static const char *const names[] = {
      "task.status",           "task.health",       "task.stop_requested",
      "container.pending",     "container.started", "container.healthy",
      "container.unhealthy",   "container.exited",  "container.killed",
      "container.not_started", "container.waiting", "container.pulling",
      "container.pulled",      "task.credentials",  "container.restarting"};
  return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

const char *fecs_signal_name(int sig) {
  return sig == SIGTERM ? "SIGTERM" : sig == SIGKILL ? "SIGKILL" : "SIG?";
}
