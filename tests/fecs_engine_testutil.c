/* fecs_engine_testutil.c - see fecs_engine_testutil.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "fecs_engine_testutil.h"

void tu_ok(int rc, const ecsb_err *err) {
  if (rc != 0)
    print_error("unexpected error %d: %s\n", rc, err ? err->msg : "");
  assert_int_equal(rc, 0);
}

fecs_engine *tu_engine(const fecs_task_spec *spec, const fecs_engine_opts *o) {
  fecs_engine *e = NULL;
  ecsb_err err = {0};
  tu_ok(fecs_engine_new(spec, o, &e, &err), &err);
  assert_non_null(e);
  return e;
}

static void append(char *buf, const char *fmt, ...) {
  size_t len = strlen(buf);
  if (len && len < TU_BUF - 1)
    buf[len++] = ' ', buf[len] = '\0';
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf + len, TU_BUF - len, fmt, ap);
  va_end(ap);
}

const char *tu_actions(fecs_engine *e, int64_t now, char *buf) {
  static const char *const short_names[] = {"START", "CHECK", "TERM", "KILL"};
  buf[0] = '\0';
  fecs_action a;
  while (fecs_engine_next_action(e, &a)) {
    assert_int_equal(a.t_us, now);
    append(buf, "%s:%s", short_names[a.kind], a.container_name);
  }
  return buf;
}

const char *tu_events(fecs_engine *e, int64_t now, char *buf) {
  buf[0] = '\0';
  fecs_event ev;
  while (fecs_engine_next_event(e, &ev)) {
    assert_int_equal(ev.t_us, now);
    const char *k = fecs_event_kind_name(ev.kind);
    switch (ev.kind) {
    case FECS_EV_TASK_STATUS:
      append(buf, "%s:%s", k, fecs_task_status_name(ev.status));
      break;
    case FECS_EV_TASK_HEALTH:
      append(buf, "%s:%s", k, fecs_health_name(ev.health));
      break;
    case FECS_EV_TASK_STOP_REQUESTED:
      append(buf, "%s:%s", k, ev.stop_code);
      break;
    case FECS_EV_CONTAINER_EXITED:
      append(buf, "%s:%s=%d", k, ev.container_name, ev.exit_code);
      break;
    case FECS_EV_CONTAINER_KILLED:
      append(buf, "%s:%s=%s", k, ev.container_name,
             fecs_signal_name(ev.signal));
      break;
    case FECS_EV_TASK_CREDENTIALS:
      append(buf, "%s:%s", k, ev.ok ? "ok" : "failed");
      break;
    case FECS_EV_CONTAINER_RESTARTING:
      append(buf, "%s:%s=%d", k, ev.container_name, ev.count);
      break;
    case FECS_EV_CONTAINER_NOT_STARTED:
      if (ev.has_exit_code)
        append(buf, "%s:%s=%d", k, ev.container_name, ev.exit_code);
      else
        append(buf, "%s:%s", k, ev.container_name);
      break;
    default:
      append(buf, "%s:%s", k, ev.container_name);
    }
  }
  return buf;
}

void tu_drain(fecs_engine *e) {
  fecs_action a;
  fecs_event ev;
  while (fecs_engine_next_action(e, &a))
    ;
  while (fecs_engine_next_event(e, &ev))
    ;
}

void tu_check(fecs_engine *e, const char *name, int64_t at, int64_t run_us,
              bool ok) {
  char buf[TU_BUF], want[300];
  ecsb_err err = {0};
  assert_int_equal(fecs_engine_next_deadline(e), at);
  tu_ok(fecs_engine_tick(e, at, &err), &err);
  snprintf(want, sizeof want, "CHECK:%s", name);
  assert_string_equal(tu_actions(e, at, buf), want);
  tu_ok(fecs_engine_health_result(e, name, ok, at + run_us, &err), &err);
}

void tu_started(fecs_engine *e, const char *name, int64_t now) {
  ecsb_err err = {0};
  tu_ok(fecs_engine_container_started(e, name, now, &err), &err);
}

void tu_exited(fecs_engine *e, const char *name, int code, int64_t now) {
  ecsb_err err = {0};
  tu_ok(fecs_engine_container_exited(e, name, code, now, &err), &err);
}

void tu_tick(fecs_engine *e, int64_t now) {
  ecsb_err err = {0};
  tu_ok(fecs_engine_tick(e, now, &err), &err);
}

fecs_container_info tu_info(const fecs_engine *e, const char *name) {
  fecs_container_info ci;
  ecsb_err err = {0};
  int i = fecs_engine_container_find(e, name);
  assert_true(i >= 0);
  tu_ok(fecs_engine_container_info(e, (size_t)i, &ci, &err), &err);
  return ci;
}

fecs_task_info tu_task(const fecs_engine *e) {
  fecs_task_info ti;
  fecs_engine_task_info(e, &ti);
  return ti;
}
