/* test_scn_proc.c - container processes: exact argv and environment, log
 * capture, exit codes and signals, SIGTERM then SIGKILL, that nothing a
 * container started outlives it, and the same for processes a fork server
 * (the real `ecsboot serve-forks`) starts, with exec when it is gone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "ecsb/clock.h"
#include "ecsb/fileio.h"
#include "ecsb/taskclock.h"
#include "ecsb/version.h"
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

/* via NULL: exec'd; else started by that fork server. */
static scn_proc *spawn_via(scn_forksrv *fs, const char *const *argv,
                           const char *const *envp) {
  unlink(logp);
  scn_spawn_opts o = {
      .argv = argv, .envp = envp, .cwd = dir, .log_path = logp, .via = fs};
  scn_proc *p = NULL;
  ecsb_err err = {0};
  if (scn_proc_spawn(&o, &p, &err) != 0)
    fail_msg("spawn: %s", err.msg);
  return p;
}

static scn_proc *spawn(const char *const *argv, const char *const *envp) {
  return spawn_via(NULL, argv, envp);
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

/* Host time: twice as many busy children of a container as this machine
 * has cores run and wait for a CPU, and the container is charged both:
 * the children are found through /proc's children files. Kept when it is
 * reaped. Each busy loop ends by itself after a million turns (about a
 * second of CPU): a failed assertion, which skips the stop below, must
 * not leave them running beside the rest of the suite. */
static void test_times_count_the_containers_children(void **state) {
  (void)state;
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  if (cores < 1 || cores > 32)
    cores = cores < 1 ? 1 : 32;
  char script[160];
  snprintf(script, sizeof script,
           "i=0; while [ $i -lt %ld ]; do (j=0; while [ $j -lt 1000000 ]; "
           "do j=$((j+1)); done) & i=$((i+1)); done; wait",
           2 * cores);
  const char *busy[] = {"/bin/sh", "-c", script, NULL};
  int64_t t0 = ecsb_mono_us();
  scn_proc *p = spawn(busy, NULL);
  scn_proc_times v = {0, 0};
  /* bounded: 20 s of wall time at most, however busy the machine */
  while (ecsb_mono_us() - t0 < 20000000 &&
         ((v = scn_proc_times_us(p)).wait_us < 20000 || v.cpu_us < 20000))
    usleep(50 * 1000);
  int64_t wall = ecsb_mono_us() - t0;
  assert_true(v.wait_us >= 20000); /* half of them wait at any moment */
  assert_true(v.cpu_us >= 20000);
  assert_true(v.wait_us <= 2 * cores * wall + 1000000);
  /* no more CPU than the cores had in that time (and the kernel's tick) */
  assert_true(v.cpu_us <= cores * wall + 100000);
  assert_false(scn_proc_stop(p, 5000));
  assert_true(scn_proc_poll(p, NULL, NULL));
  scn_proc_times after = scn_proc_times_us(p);
  assert_true(after.wait_us >= v.wait_us);
  assert_true(after.cpu_us >= v.cpu_us);
  scn_proc_free(p);
}

/* This process's open descriptors. */
static int open_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  assert_non_null(d);
  int n = 0;
  while (readdir(d))
    n++;
  closedir(d);
  return n;
}

static int64_t children_cpu_us(void) {
  struct rusage ru;
  getrusage(RUSAGE_CHILDREN, &ru);
  return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
         ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

/* What a child took stays counted once it ended, and the container's own
 * work after it counts at once: a tree's CPU is the sum of each process's
 * growth. (The largest sum seen, as it was counted before, stood still
 * once the child ended until the shell's own CPU passed the child's: half
 * of this tree's CPU.) The busy loops end by themselves. */
static void test_times_keep_what_an_ended_child_took(void **state) {
  (void)state;
  const char *script = "(j=0; while [ $j -lt 600000 ]; do j=$((j+1)); done); "
                       "j=0; while [ $j -lt 600000 ]; do j=$((j+1)); done";
  const char *argv[] = {"/bin/sh", "-c", script, NULL};
  int fds = open_fds();
  int64_t before = children_cpu_us(), t0 = ecsb_mono_us();
  scn_proc *p = spawn(argv, NULL);
  /* bounded: 60 s of wall time at most, however busy the machine */
  while (!scn_proc_poll(p, NULL, NULL) && ecsb_mono_us() - t0 < 60000000) {
    scn_proc_times_us(p);
    usleep(5000);
  }
  assert_true(scn_proc_poll(p, NULL, NULL));
  /* the shell and, through it, its child: reaped */
  int64_t all = children_cpu_us() - before;
  int64_t cpu = scn_proc_times_us(p).cpu_us;
  assert_true(all > 200000);
  /* less only what the last readings before each exit missed (more than
   * 0.2 s of the loops' 1 s or so: this thread waited that long for a
   * CPU right then) */
  assert_true(cpu >= all * 8 / 10);
  assert_true(cpu <= all + 20000);
  scn_proc_free(p);
  /* the files the readings kept open are closed with it */
  assert_int_equal(open_fds(), fds);
}

/* The CPU-only reading follows a busy process from its start, read every
 * 0.2 ms: each figure is bounded by the time since the last one was read,
 * and the process's CPU before the spawn returned fits the bound too. Its
 * clock read just before and just after each reading brackets it, however
 * long this thread waits in between. */
static void test_cpu_readings_follow_a_busy_start(void **state) {
  (void)state;
  const char *script = "j=0; while [ $j -lt 300000 ]; do j=$((j+1)); done";
  const char *argv[] = {"/bin/sh", "-c", script, NULL};
  scn_proc *p = spawn(argv, NULL);
  clockid_t id;
  assert_int_equal(clock_getcpuclockid(scn_proc_pid(p), &id), 0);
  int64_t t0 = ecsb_mono_us(), seen = 0, own0 = 0, own1 = 0;
  struct timespec ts;
  /* 10 ms of its CPU, bounded by 20 s of wall time */
  while (own1 < 10000 && ecsb_mono_us() - t0 < 20000000) {
    assert_int_equal(clock_gettime(id, &ts), 0);
    own0 = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    seen = scn_proc_cpu_us(p);
    assert_int_equal(clock_gettime(id, &ts), 0);
    own1 = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    usleep(200);
  }
  assert_true(own1 >= 10000);
  assert_true(seen >= own0);
  assert_true(seen <= own1);
  scn_proc_free(p);
}

/* A process the runner observes (itself) is read for its own threads
 * alone: its work counts, its busy child's does not, and nothing signals
 * it. */
static void test_an_observed_process_counts_its_own_threads(void **state) {
  (void)state;
  scn_proc *self = scn_proc_observe(getpid());
  assert_non_null(self);
  assert_false(scn_proc_poll(self, NULL, NULL));
  assert_int_equal(scn_proc_signal(self, SIGTERM), ECSB_ESTATE);
  int64_t at = scn_proc_times_us(self).cpu_us;

  const char *script = "j=0; while [ $j -lt 200000 ]; do j=$((j+1)); done";
  const char *argv[] = {"/bin/sh", "-c", script, NULL};
  int64_t before = children_cpu_us();
  scn_proc *p = spawn(argv, NULL);
  int64_t t0 = ecsb_mono_us();
  while (!scn_proc_poll(p, NULL, NULL) && ecsb_mono_us() - t0 < 60000000) {
    scn_proc_times_us(self);
    usleep(5000);
  }
  scn_proc_free(p);
  int64_t child = children_cpu_us() - before;
  int64_t mine = scn_proc_times_us(self).cpu_us - at;
  assert_true(child > 50000);
  assert_true(mine < child / 2); /* this test's own sleeps and readings */

  /* 100 ms of this thread's own CPU, bounded by 20 s of wall time */
  at = scn_proc_times_us(self).cpu_us;
  struct timespec a, b;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
  t0 = ecsb_mono_us();
  int64_t spun = 0;
  while (spun < 100000 && ecsb_mono_us() - t0 < 20000000) {
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
    spun = (int64_t)(b.tv_sec - a.tv_sec) * 1000000 +
           (b.tv_nsec - a.tv_nsec) / 1000;
  }
  assert_true(spun >= 100000);
  assert_true(scn_proc_times_us(self).cpu_us - at >= spun);
  scn_proc_free(self);
}

/* The runner raises its soft limit on open files for its kept /proc files,
 * to Fargate's default (or the hard limit), never lowers it, and its
 * containers inherit it. */
static void test_open_file_limit_is_raised_for_a_fleet(void **state) {
  (void)state;
  struct rlimit before;
  assert_int_equal(getrlimit(RLIMIT_NOFILE, &before), 0);
  rlim_t want = SCN_PROC_NOFILE;
  if (before.rlim_max != RLIM_INFINITY && before.rlim_max < want)
    want = before.rlim_max;
  struct rlimit low = {want < 256 ? want : 256, before.rlim_max};
  assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
  assert_int_equal(scn_proc_raise_nofile(), want);
  struct rlimit now;
  assert_int_equal(getrlimit(RLIMIT_NOFILE, &now), 0);
  assert_int_equal(now.rlim_cur, want);
  assert_int_equal(now.rlim_max, before.rlim_max); /* the hard one stays */
  assert_int_equal(scn_proc_raise_nofile(), want); /* once is enough */

  const char *argv[] = {"/bin/sh", "-c", "ulimit -Sn", NULL};
  const char *envp[] = {"PATH=/usr/bin:/bin", NULL};
  scn_proc *p = spawn(argv, envp);
  int code = -1, sig = -1;
  assert_true(scn_proc_wait(p, 5000, &code, &sig));
  assert_int_equal(code, 0);
  scn_proc_free(p);
  /* at least: under valgrind the caller sees a limit a few files lower
   * than the kernel's, which its children get */
  char *log = read_log();
  assert_true(strtoull(log, NULL, 10) >= (unsigned long long)want);
  free(log);

  /* a limit above it is left alone */
  if (before.rlim_cur != RLIM_INFINITY && before.rlim_cur > want) {
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &before), 0);
    assert_int_equal(scn_proc_raise_nofile(), before.rlim_cur);
  }
  setrlimit(RLIMIT_NOFILE, &before);
}

static void test_fork_server_starts_what_a_spawn_would(void **state) {
  (void)state;
  scn_forksrv *fs = NULL;
  ecsb_err err = {0};
  assert_int_equal(scn_forksrv_start(ECSBOOT_BIN, &fs, &err), 0);
  assert_string_equal(scn_forksrv_prog(fs), ECSBOOT_BIN);

  const char *version[] = {ECSBOOT_BIN, "version", NULL};
  scn_proc *p = spawn_via(fs, version, NULL);
  /* the server's own work for the start, which the copy's figures miss */
  assert_true(scn_proc_spawn_cpu_us(p) > 0);
  int code = -5, sig = -5;
  assert_true(scn_proc_wait(p, 10000, &code, &sig));
  assert_int_equal(code, 0);
  assert_int_equal(sig, 0);
  char *log = read_log();
  assert_string_equal(log, "ecsboot " ECSB_VERSION "\n");
  free(log);
  scn_proc_free(p);
  assert_int_equal(scn_forksrv_started(fs), 1);
  p = spawn_via(NULL, version, NULL); /* exec'd: no server's work */
  assert_int_equal(scn_proc_spawn_cpu_us(p), 0);
  assert_true(scn_proc_wait(p, 10000, &code, NULL));
  scn_proc_free(p);

  /* The environment and the working folder are the request's: a task
   * clock named relative to the folder opens. */
  char clk[256];
  snprintf(clk, sizeof clk, "%s/" ECSB_TASK_CLOCK_FILE, dir);
  ecsb_taskclock *tc = NULL;
  assert_int_equal(ecsb_taskclock_create(clk, &tc, &err), 0);
  const char *help[] = {ECSBOOT_BIN, "app", "--help", NULL};
  const char *env_ok[] = {ECSB_TASK_CLOCK_ENV "=" ECSB_TASK_CLOCK_FILE, NULL};
  p = spawn_via(fs, help, env_ok);
  assert_true(scn_proc_wait(p, 10000, &code, NULL));
  assert_int_equal(code, 0);
  scn_proc_free(p);
  const char *env_bad[] = {ECSB_TASK_CLOCK_ENV "=missing.clock", NULL};
  p = spawn_via(fs, help, env_bad);
  assert_true(scn_proc_wait(p, 10000, &code, NULL));
  assert_int_equal(code, 2);
  log = read_log();
  assert_non_null(strstr(log, "missing.clock"));
  free(log);
  scn_proc_free(p);
  ecsb_taskclock_free(tc);

  /* A long-running copy: the caller's child, its own process group,
   * stopped by SIGTERM like any container. */
  const char *app[] = {ECSBOOT_BIN, "app", "--listen", "127.0.0.1:0", NULL};
  p = spawn_via(fs, app, NULL);
  pid_t pid = scn_proc_pid(p);
  assert_int_equal(getpgid(pid), pid);
  char st[64], buf[512];
  snprintf(st, sizeof st, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(st, "r");
  assert_non_null(f);
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  int ppid = 0;
  assert_int_equal(sscanf(strrchr(buf, ')') + 2, "%*c %d", &ppid), 1);
  assert_int_equal(ppid, (int)getpid());
  assert_false(scn_proc_stop(p, 10000)); /* SIGTERM was enough */
  assert_true(scn_proc_poll(p, &code, NULL));
  scn_proc_free(p);
  assert_false(running(pid));
  assert_int_equal(scn_forksrv_started(fs), 4);
  assert_true(scn_forksrv_alive(fs));

  /* A folder that does not exist: reported as a spawn reports it. */
  scn_spawn_opts o = {.argv = version,
                      .cwd = "/nonexistent/folder",
                      .log_path = logp,
                      .via = fs};
  assert_int_equal(scn_proc_spawn(&o, &p, &err), ECSB_ENOTFOUND);
  assert_null(p);
  assert_non_null(strstr(err.msg, ECSBOOT_BIN));
  assert_non_null(strstr(err.msg, "chdir /nonexistent/folder"));
  assert_true(scn_forksrv_alive(fs)); /* the server itself is fine */

  /* A server that is gone: the program is exec'd instead. */
  pid_t spid = scn_forksrv_pid(fs);
  assert_true(spid > 0);
  kill(spid, SIGKILL);
  p = spawn_via(fs, version, NULL);
  assert_true(scn_proc_wait(p, 10000, &code, NULL));
  assert_int_equal(code, 0);
  log = read_log();
  assert_string_equal(log, "ecsboot " ECSB_VERSION "\n");
  free(log);
  scn_proc_free(p);
  assert_false(scn_forksrv_alive(fs));
  assert_int_equal(scn_forksrv_started(fs), 4);
  scn_forksrv_free(fs);
  assert_false(running(spid));
}

static void test_fork_server_that_cannot_start(void **state) {
  (void)state;
  scn_forksrv *fs = NULL;
  ecsb_err err = {0};
  /* a program without serve-forks never says it is ready */
  assert_int_not_equal(scn_forksrv_start("/bin/true", &fs, &err), 0);
  assert_null(fs);
  assert_non_null(strstr(err.msg, "/bin/true serve-forks"));
  assert_int_equal(scn_forksrv_start("/nonexistent/ecsboot", &fs, &err),
                   ECSB_ENOTFOUND);
  assert_null(fs);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exact_env_cwd_and_log_capture),
      cmocka_unit_test(test_argv_is_not_shell_parsed),
      cmocka_unit_test(test_exit_codes_and_signals),
      cmocka_unit_test(test_stop_escalates_to_sigkill_for_ignorers),
      cmocka_unit_test(test_no_descendant_outlives_its_container),
      cmocka_unit_test(test_spawn_errors_name_the_problem),
      cmocka_unit_test(test_times_count_the_containers_children),
      cmocka_unit_test(test_times_keep_what_an_ended_child_took),
      cmocka_unit_test(test_cpu_readings_follow_a_busy_start),
      cmocka_unit_test(test_an_observed_process_counts_its_own_threads),
      cmocka_unit_test(test_open_file_limit_is_raised_for_a_fleet),
      cmocka_unit_test(test_fork_server_starts_what_a_spawn_would),
      cmocka_unit_test(test_fork_server_that_cannot_start),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
