/* test_eventlog.c - the JSONL event log: round trip, concurrent writers
 * never interleave, torn last line tolerated and marked incomplete, other
 * malformed lines rejected with file and line number. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ecsb/fileio.h"
#include "rpt/eventlog.h"

static char path[256];

static int setup(void **state) {
  (void)state;
  snprintf(path, sizeof path, "/tmp/ecsb-events-%d.jsonl", (int)getpid());
  return 0;
}

static int teardown(void **state) {
  (void)state;
  unlink(path);
  return 0;
}

static void test_round_trip_and_complete(void **state) {
  (void)state;
  rpt_log_writer *w = NULL;
  ecsb_err err = {0};
  assert_int_equal(rpt_log_writer_open(path, 0, &w, &err), 0);
  cJSON *d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "scenario", "seed-t0-t4");
  cJSON_AddNumberToObject(d, "seed", 7);
  assert_int_equal(rpt_log_emit_at(w, 0, "run.start", NULL, NULL, d), 0);
  cJSON_Delete(d);
  d = cJSON_CreateObject();
  cJSON_AddNumberToObject(d, "exit_code", 0);
  assert_int_equal(
      rpt_log_emit_at(w, 1500, "container.exited", "app-1", "mesh-init", d), 0);
  cJSON_Delete(d);
  d = cJSON_CreateObject();
  cJSON_AddTrueToObject(d, "complete");
  assert_int_equal(rpt_log_emit_at(w, 9000, "run.end", NULL, NULL, d), 0);
  cJSON_Delete(d);
  assert_int_equal(rpt_log_writer_close(w, &err), 0);

  rpt_log *log = NULL;
  assert_int_equal(rpt_log_read(path, 1 << 20, &log, &err), 0);
  assert_int_equal(log->n, 3);
  assert_true(log->complete);
  assert_false(log->torn_tail);
  assert_string_equal(
      cJSON_GetObjectItem(log->run_start, "scenario")->valuestring,
      "seed-t0-t4");
  rpt_event *e = &log->events[1];
  assert_int_equal(e->t_us, 1500);
  assert_string_equal(e->kind, "container.exited");
  assert_string_equal(e->task, "app-1");
  assert_string_equal(e->container, "mesh-init");
  int64_t code = -1;
  assert_true(rpt_event_int(e, "exit_code", &code));
  assert_int_equal(code, 0);
  assert_null(log->events[0].task);
  rpt_log_free(log);
}

typedef struct wargs {
  rpt_log_writer *w;
  int id;
} wargs;

static void *writer_thread(void *p) {
  wargs *a = p;
  char task[16];
  snprintf(task, sizeof task, "task-%d", a->id);
  cJSON *d = cJSON_CreateObject();
  /* A long detail makes interleaving likely if writes were not atomic. */
  char pad[600];
  memset(pad, 'a' + a->id, sizeof pad - 1);
  pad[sizeof pad - 1] = '\0';
  cJSON_AddStringToObject(d, "pad", pad);
  for (int i = 0; i < 500; i++)
    rpt_log_emit(a->w, "container.started", task, "app", d);
  cJSON_Delete(d);
  return NULL;
}

static void test_concurrent_writers_never_interleave(void **state) {
  (void)state;
  rpt_log_writer *w = NULL;
  assert_int_equal(rpt_log_writer_open(path, 0, &w, NULL), 0);
  assert_int_equal(rpt_log_emit(w, "run.start", NULL, NULL, NULL), 0);
  pthread_t th[4];
  wargs a[4];
  for (int i = 0; i < 4; i++) {
    a[i] = (wargs){w, i};
    pthread_create(&th[i], NULL, writer_thread, &a[i]);
  }
  for (int i = 0; i < 4; i++)
    pthread_join(th[i], NULL);
  assert_int_equal(rpt_log_writer_close(w, NULL), 0);
  rpt_log *log = NULL;
  ecsb_err err = {0};
  assert_int_equal(rpt_log_read(path, 16 << 20, &log, &err), 0);
  assert_int_equal(log->n, 1 + 4 * 500);
  assert_false(log->complete); /* no run.end */
  int per[4] = {0};
  for (size_t i = 1; i < log->n; i++) {
    int id = log->events[i].task[5] - '0';
    const char *pad = rpt_event_str(&log->events[i], "pad");
    assert_int_equal(strlen(pad), 599);
    assert_int_equal(pad[0], 'a' + id);
    assert_int_equal(pad[598], 'a' + id);
    per[id]++;
  }
  for (int i = 0; i < 4; i++)
    assert_int_equal(per[i], 500);
  rpt_log_free(log);
}

static void test_torn_last_line_is_incomplete_not_fatal(void **state) {
  (void)state;
  const char *text =
      "{\"t_us\":0,\"kind\":\"run.start\",\"v\":1}\n"
      "{\"t_us\":5,\"kind\":\"container.started\",\"task\":\"a\"}\n"
      "{\"t_us\":9,\"kind\":\"container.ex";
  rpt_log *log = NULL;
  ecsb_err err = {0};
  assert_int_equal(rpt_log_parse(text, strlen(text), "x.jsonl", &log, &err), 0);
  assert_int_equal(log->n, 2);
  assert_true(log->torn_tail);
  assert_false(log->complete);
  rpt_log_free(log);
}

static void test_bad_lines_name_file_and_line(void **state) {
  (void)state;
  static const struct {
    const char *text;
    const char *want;
  } cases[] = {
      {"{\"t_us\":0,\"kind\":\"run.start\"}\nnot json\n{}\n", "line 2"},
      {"{\"t_us\":0,\"kind\":\"run.start\"}\n{\"t_us\":1}\n",
       "line 2: $.kind: required field missing"},
      {"{\"t_us\":0,\"kind\":\"run.start\"}\n{\"t_us\":\"x\",\"kind\":\"a\"}\n",
       "line 2: $.t_us: expected a number"},
      {"{\"t_us\":0,\"kind\":\"run.start\"}\n{\"t_us\":1,\"kind\":\"a\","
       "\"detail\":[1]}\n",
       "line 2: $.detail: expected an object"},
      {"{\"t_us\":0,\"kind\":\"container.started\"}\n", "not an ecsboot event"},
      {"", "not an ecsboot event"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    rpt_log *log = NULL;
    ecsb_err err = {0};
    int rc = rpt_log_parse(cases[i].text, strlen(cases[i].text), "run.jsonl",
                           &log, &err);
    assert_int_not_equal(rc, 0);
    assert_null(log);
    if (!strstr(err.msg, cases[i].want) || !strstr(err.msg, "run.jsonl"))
      fail_msg("case %zu: message \"%s\" lacks \"%s\"", i, err.msg,
               cases[i].want);
  }
}

static void test_unwritable_path_is_a_clear_error(void **state) {
  (void)state;
  rpt_log_writer *w = NULL;
  ecsb_err err = {0};
  assert_int_equal(
      rpt_log_writer_open("/proc/self/nope/events.jsonl", 0, &w, &err),
      ECSB_EIO);
  assert_null(w);
  assert_non_null(strstr(err.msg, "/proc/self/nope/events.jsonl"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip_and_complete),
      cmocka_unit_test(test_concurrent_writers_never_interleave),
      cmocka_unit_test(test_torn_last_line_is_incomplete_not_fatal),
      cmocka_unit_test(test_bad_lines_name_file_and_line),
      cmocka_unit_test(test_unwritable_path_is_a_clear_error),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
