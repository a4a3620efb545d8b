/*
 * fecs_engine_testutil.h - shared helpers for the engine tests: build an
 * engine, drain its queues into short comparable strings, and drive one
 * health check. Everything runs on the virtual clock the tests pass in
 * (times are microseconds; S(x) is x seconds).
 */
#ifndef FECS_ENGINE_TESTUTIL_H
#define FECS_ENGINE_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fecs/engine.h"

/* Rounded, so that S(34.1) == S(4.1) + S(30) exactly. */
#define S(x) ((int64_t)((x)*1000000.0 + 0.5))
#define TU_BUF 4096

/* Asserts rc == 0, printing the engine's message when not. */
void tu_ok(int rc, const ecsb_err *err);
/* New engine from spec (asserts success). */
fecs_engine *tu_engine(const fecs_task_spec *spec, const fecs_engine_opts *o);

/* Drains the action queue: "START:a CHECK:b TERM:c KILL:d" (space
 * separated, in order; "" when empty). Asserts every action is stamped
 * `now`. Returns buf. */
const char *tu_actions(fecs_engine *e, int64_t now, char *buf);
/* Drains the event queue: "task.status:PENDING container.started:a
 * container.exited:a=0 container.killed:a=SIGTERM task.health:HEALTHY
 * task.stop_requested:EssentialContainerExited container.not_started:a=143"
 * (not_started without an exit code: "container.not_started:a"). Asserts
 * every event is stamped `now`. */
const char *tu_events(fecs_engine *e, int64_t now, char *buf);
/* Drains both queues, discarding them. */
void tu_drain(fecs_engine *e);

/* Ticks to the engine's next deadline, which must be `at`, and asserts the
 * only action is RUN_HEALTH_CHECK for `name`; then reports `ok` at
 * at + run_us. Events are left queued. */
void tu_check(fecs_engine *e, const char *name, int64_t at, int64_t run_us,
              bool ok);

/* Shorthands that assert success. */
void tu_started(fecs_engine *e, const char *name, int64_t now);
void tu_exited(fecs_engine *e, const char *name, int code, int64_t now);
void tu_tick(fecs_engine *e, int64_t now);

fecs_container_info tu_info(const fecs_engine *e, const char *name);
fecs_task_info tu_task(const fecs_engine *e);

#endif
