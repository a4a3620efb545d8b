/* test_run_lag.c - a busy host changes timings, not verdicts: a run whose
 * processes share one CPU with a busy loop records the wait as host.lag
 * events, still passes, and shows the lag in its summary; --repeat runs a
 * scenario several times, each in its own folder, and prints how much
 * each milestone moved, with the runs' combined report beside them. */
#define _GNU_SOURCE 1 /* sched_setaffinity */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "ecsb/clock.h"
#include "ecsb/fileio.h"
#include "scn/proc.h"

static char tmp[128];

static int setup(void **state) {
  (void)state;
  snprintf(tmp, sizeof tmp, "/tmp/ecsb-test-run-lag-%d", (int)getpid());
  mkdir(tmp, 0755);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
  return system(cmd) == 0 ? 0 : -1;
}

/* Runs ecsboot with args, waits up to ms, returns its exit code and its
 * output. */
static int run_wait(const char *const *args, int64_t ms, char **out) {
  const char *argv[24] = {ECSBOOT_BIN};
  size_t n = 1;
  for (; args[n - 1] && n < 23; n++)
    argv[n] = args[n - 1];
  argv[n] = NULL;
  char log[300];
  snprintf(log, sizeof log, "%s/out-%lld.log", tmp, (long long)ecsb_mono_us());
  const char *envp[] = {"PATH=/usr/bin:/bin", NULL};
  scn_spawn_opts o = {.argv = argv, .envp = envp, .log_path = log};
  scn_proc *p = NULL;
  assert_int_equal(scn_proc_spawn(&o, &p, NULL), 0);
  int code = -1;
  assert_true(scn_proc_wait(p, ms, &code, NULL));
  scn_proc_free(p);
  assert_int_equal(ecsb_read_file(log, 1 << 22, out, NULL, NULL), 0);
  return code;
}

/* The largest host.lag of task in a log, or -1 when it has none. */
static double max_lag(const char *log_path, const char *task) {
  char *text = NULL;
  assert_int_equal(ecsb_read_file(log_path, 1 << 24, &text, NULL, NULL), 0);
  double most = -1;
  for (char *save = NULL, *l = strtok_r(text, "\n", &save); l;
       l = strtok_r(NULL, "\n", &save)) {
    cJSON *o = cJSON_Parse(l);
    assert_non_null(o);
    const cJSON *k = cJSON_GetObjectItem(o, "kind");
    const cJSON *t = cJSON_GetObjectItem(o, "task");
    if (cJSON_IsString(k) && strcmp(k->valuestring, "host.lag") == 0 &&
        cJSON_IsString(t) && strcmp(t->valuestring, task) == 0) {
      double v = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "detail"), "lag_us")
                     ->valuedouble;
      if (v > most)
        most = v;
    }
    cJSON_Delete(o);
  }
  free(text);
  return most;
}

/* The runner and everything it starts share CPU 0 with a busy loop: each
 * runnable process waits about as long as it runs. */
static void test_a_starved_run_records_its_lag_and_still_passes(void **state) {
  (void)state;
  cpu_set_t old, one;
  assert_int_equal(sched_getaffinity(0, sizeof old, &old), 0);
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  assert_int_equal(sched_setaffinity(0, sizeof one, &one), 0);
  pid_t hog = fork();
  assert_true(hog >= 0);
  if (hog == 0) {
    /* bounded: the test kills it long before this */
    int64_t until = ecsb_mono_ms() + 60000;
    volatile uint64_t x = 0;
    while (ecsb_mono_ms() < until)
      for (int i = 0; i < 100000; i++)
        x += (uint64_t)i;
    _exit(0);
  }
  char out[300];
  snprintf(out, sizeof out, "%s/starved", tmp);
  const char *a[] = {"run", "--no-progress", "--out", out, NULL};
  char *text = NULL;
  int code = run_wait(a, 60000, &text);
  kill(hog, SIGKILL);
  waitpid(hog, NULL, 0);
  assert_int_equal(sched_setaffinity(0, sizeof old, &old), 0);
  if (code != 0)
    fail_msg("exit %d:\n%s", code, text);
  assert_non_null(strstr(text, "run t0-t4: passed"));
  assert_non_null(strstr(text, "host lag"));
  free(text);
  char log[400];
  snprintf(log, sizeof log, "%s/events.jsonl", out);
  double lag = max_lag(log, "web-1");
  if (lag < 2000)
    fail_msg("web-1 carried %.0f us of host lag beside a busy loop", lag);
}

static void test_repeat_runs_each_in_its_folder_and_sums_up(void **state) {
  (void)state;
  char out[300];
  snprintf(out, sizeof out, "%s/rep", tmp);
  const char *a[] = {"run", "--no-progress", "--repeat",  "2", "--out",
                     out,   "--formats",     "json,term", NULL};
  char *text = NULL;
  int code = run_wait(a, 120000, &text);
  /* 4: this host's lag made a verdict undecidable; the repeat still ran */
  if (code != 0 && code != 4)
    fail_msg("exit %d:\n%s", code, text);
  assert_non_null(strstr(text, "run t0-t4 1/2: "));
  assert_non_null(strstr(text, "run t0-t4 2/2: "));
  assert_non_null(strstr(text, "Repeated 2 times: "));
  assert_non_null(strstr(text, "lag-free min"));
  assert_non_null(strstr(text, "  T4       2 "));
  free(text);
  for (int k = 1; k <= 2; k++) {
    char f[400];
    struct stat st;
    snprintf(f, sizeof f, "%s/run-%d/events.jsonl", out, k);
    assert_int_equal(stat(f, &st), 0);
    snprintf(f, sizeof f, "%s/run-%d/report.json", out, k);
    assert_int_equal(stat(f, &st), 0);
  }
  char f[400];
  snprintf(f, sizeof f, "%s/report.json", out);
  char *json = NULL;
  assert_int_equal(ecsb_read_file(f, 1 << 24, &json, NULL, NULL), 0);
  cJSON *r = cJSON_Parse(json);
  assert_non_null(r);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r, "runs")), 2);
  cJSON_Delete(r);
  free(json);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_a_starved_run_records_its_lag_and_still_passes),
      cmocka_unit_test(test_repeat_runs_each_in_its_folder_and_sums_up),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
