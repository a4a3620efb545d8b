/* test_scn_proc.c - container processes: exact argv and environment, log
 * capture, exit codes and signals, SIGTERM then SIGKILL, and that nothing a
 * container started outlives it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ecsb/fileio.h"
#include "scn/proc.h"

static char dir[128], logp[192];

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/ecsb-proc-XXXXXX");
  if (!mkdtemp(dir))
    return -1;
  snprintf(logp, sizeof logp, "%s/c.log", dir);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  char cmd[200];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd);
}

static char *read_log(void) {
  char *buf = NULL;
  assert_int_equal(ecsb_read_file(logp, 1 << 16, &buf, NULL, NULL), 0);
  return buf;
}

/* Gone, or a zombie waiting for init: either way it no longer runs. */
static int running(pid_t pid) {
  char p[64], st[512];
  snprintf(p, sizeof p, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(p, "r");
  if (!f)
    return 0;
  size_t n = fread(st, 1, sizeof st - 1, f);
  fclose(f);
  st[n] = '\0';
  char *rp = strrchr(st, ')');
  return rp && rp[1] == ' ' && rp[2] != 'Z' && rp[2] != 'X';
}

static scn_proc *spawn(const char *const *argv, const char *const *envp) {
  unlink(logp);
  scn_spawn_opts o = {.argv = argv, .envp = envp, .cwd = dir, .log_path = logp};
  scn_proc *p = NULL;
  ecsb_err err = {0};
  if (scn_proc_spawn(&o, &p, &err) != 0)
    fail_msg("spawn: %s", err.msg);
  return p;
}

static void test_exact_env_cwd_and_log_capture(void **state) {
  (void)state;
  const char *argv[] = {"/usr/bin/env", NULL};
  const char *envp[] = {"CONSUL_HTTP_ADDR=127.1.0.1:8500", "A=b c", NULL};
  scn_proc *p = spawn(argv, envp);
  int code = -5, sig = -5;
  assert_true(scn_proc_wait(p, 10000, &code, &sig));
  assert_int_equal(code, 0);
  assert_int_equal(sig, 0);
  char *log = read_log();
  /* Exactly the given environment: nothing inherited from the runner. */
  assert_string_equal(log, "CONSUL_HTTP_ADDR=127.1.0.1:8500\nA=b c\n");
  free(log);
  scn_proc_free(p);

  const char *pwd[] = {"/bin/pwd", NULL};
  p = spawn(pwd, NULL);
  assert_true(scn_proc_wait(p, 10000, &code, NULL));
  log = read_log();
  char want[200];
  snprintf(want, sizeof want, "%s\n", dir);
  assert_string_equal(log, want);
  free(log);
  scn_proc_free(p);
}

static void test_argv_is_not_shell_parsed(void **state) {
  (void)state;
  const char *argv[] = {"/bin/echo", "$(id)", "a;b", "*", NULL};
  scn_proc *p = spawn(argv, NULL);
  assert_true(scn_proc_wait(p, 10000, NULL, NULL));
  char *log = read_log();
  assert_string_equal(log, "$(id) a;b *\n");
  free(log);
  scn_proc_free(p);
}

static void test_exit_codes_and_signals(void **state) {
  (void)state;
  const char *exit3[] = {"/bin/sh", "-c", "echo out; echo err >&2; exit 3",
                         NULL};
  scn_proc *p = spawn(exit3, NULL);
  int code = 0, sig = 0;
  assert_true(scn_proc_wait(p, 10000, &code, &sig));
  assert_int_equal(code, 3);
  assert_int_equal(sig, 0);
  char *log = read_log();
  assert_string_equal(log, "out\nerr\n"); /* stdout and stderr both kept */
  free(log);
  /* Polling again after reaping keeps answering the same. */
  assert_true(scn_proc_poll(p, &code, NULL));
  assert_int_equal(code, 3);
  assert_int_equal(scn_proc_signal(p, SIGTERM), ECSB_ESTATE);
  scn_proc_free(p);

  const char *sleeper[] = {"/bin/sleep", "100", NULL};
  p = spawn(sleeper, NULL);
  assert_false(scn_proc_poll(p, NULL, NULL));
  assert_int_equal(scn_proc_signal(p, SIGTERM), 0);
  assert_true(scn_proc_wait(p, 10000, &code, &sig));
  assert_int_equal(code, -1);
  assert_int_equal(sig, SIGTERM);
  scn_proc_free(p);
}

static void test_stop_escalates_to_sigkill_for_ignorers(void **state) {
  (void)state;
  const char *polite[] = {"/bin/sleep", "100", NULL};
  scn_proc *p = spawn(polite, NULL);
  assert_false(scn_proc_stop(p, 5000)); /* SIGTERM was enough */
  int sig = 0;
  assert_true(scn_proc_poll(p, NULL, &sig));
  assert_int_equal(sig, SIGTERM);
  scn_proc_free(p);

  const char *stubborn[] = {"/bin/sh", "-c",
                            "trap '' TERM; echo ready; while :; do sleep 1; "
                            "done",
                            NULL};
  p = spawn(stubborn, NULL);
  /* Wait until the trap is installed, bounded. */
  for (int i = 0; i < 500; i++) {
    char *log = read_log();
    int ready = strstr(log, "ready") != NULL;
    free(log);
    if (ready)
      break;
    usleep(10000);
  }
  assert_true(scn_proc_stop(p, 100)); /* needed SIGKILL */
  assert_true(scn_proc_poll(p, NULL, &sig));
  assert_int_equal(sig, SIGKILL);
  scn_proc_free(p);
}

static pid_t logged_pid(void) {
  for (int i = 0; i < 500; i++) {
    char *log = read_log();
    long v = strtol(log, NULL, 10);
    free(log);
    if (v > 0)
      return (pid_t)v;
    usleep(10000);
  }
  fail_msg("child never logged its pid");
  return -1;
}

static void test_no_descendant_outlives_its_container(void **state) {
  (void)state;
  /* The main process exits and leaves a background child behind. */
  const char *leaver[] = {
      "/bin/sh", "-c", "sleep 100 & echo $!; read x < /dev/null; exit 0", NULL};
  scn_proc *p = spawn(leaver, NULL);
  pid_t bg = logged_pid();
  assert_true(scn_proc_wait(p, 10000, NULL, NULL));
  for (int i = 0; i < 200 && running(bg); i++)
    usleep(10000);
  assert_false(running(bg));
  scn_proc_free(p);

  /* Freed while running: the whole group dies. */
  const char *parent[] = {"/bin/sh", "-c", "sleep 100 & echo $!; wait", NULL};
  p = spawn(parent, NULL);
  bg = logged_pid();
  pid_t leader = scn_proc_pid(p);
  scn_proc_free(p);
  for (int i = 0; i < 200 && (running(bg) || running(leader)); i++)
    usleep(10000);
  assert_false(running(bg));
  assert_false(running(leader));
}

static void test_spawn_errors_name_the_problem(void **state) {
  (void)state;
  const char *missing[] = {"/nonexistent/envoy", NULL};
  scn_spawn_opts o = {.argv = missing, .log_path = logp};
  scn_proc *p = NULL;
  ecsb_err err = {0};
  assert_int_equal(scn_proc_spawn(&o, &p, &err), ECSB_ENOTFOUND);
  assert_null(p);
  assert_non_null(strstr(err.msg, "/nonexistent/envoy"));

  const char *ok[] = {"/bin/true", NULL};
  o.argv = ok;
  o.log_path = "/nonexistent/dir/c.log";
  assert_int_equal(scn_proc_spawn(&o, &p, &err), ECSB_EIO);
  assert_non_null(strstr(err.msg, "/nonexistent/dir/c.log"));

  const char *empty[] = {NULL};
  o.argv = empty;
  assert_int_equal(scn_proc_spawn(&o, &p, &err), ECSB_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exact_env_cwd_and_log_capture),
      cmocka_unit_test(test_argv_is_not_shell_parsed),
      cmocka_unit_test(test_exit_codes_and_signals),
      cmocka_unit_test(test_stop_escalates_to_sigkill_for_ignorers),
      cmocka_unit_test(test_no_descendant_outlives_its_container),
      cmocka_unit_test(test_spawn_errors_name_the_problem),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
