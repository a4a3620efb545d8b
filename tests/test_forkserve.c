/* test_forkserve.c - the fork server's protocol (ecsb/forkserve.h): the
 * ready message, a request's argv, environment, working folder and log
 * reaching the copy, the copy being the requester's child in its own
 * process group, a failed chdir reported before anything runs, malformed
 * requests refused, and the server ending at end of file. The server runs
 * in a forked child of the test; its "program" is run_main below. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ecsb/fileio.h"
#include "ecsb/forkserve.h"

static char dir[128], logp[192];
static int sock = -1;
static pid_t server = -1;

/* The copy's command: writes what it was given to stdout (the log). */
static int run_main(int argc, char **argv) {
  char cwd[256];
  if (!getcwd(cwd, sizeof cwd))
    return 9;
  printf("argc=%d", argc);
  for (int i = 0; i < argc; i++)
    printf(" [%s]", argv[i]);
  const char *v = getenv("FS_TEST");
  printf(" env=%s cwd=%s pgid_is_pid=%d ppid=%d\n", v ? v : "(unset)", cwd,
         getpgid(0) == getpid(), (int)getppid());
  return argc > 1 ? atoi(argv[1]) : 0;
}

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/ecsb-fs-XXXXXX");
  if (!mkdtemp(dir))
    return -1;
  snprintf(logp, sizeof logp, "%s/c.log", dir);
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
    return -1;
  server = fork();
  if (server == 0) {
    close(sv[0]);
    ecsb_err err = {0};
    _exit(ecsb_forkserve_run(sv[1], run_main, &err) ? 1 : 0);
  }
  close(sv[1]);
  sock = sv[0];
  ecsb_forkserve_reply r;
  if (recv(sock, &r, sizeof r, 0) != (ssize_t)sizeof r || r.pid || r.err ||
      strcmp(r.what, "ready"))
    return -1;
  return 0;
}

static int teardown(void **state) {
  (void)state;
  close(sock);
  int st = -1;
  waitpid(server, &st, 0);
  char cmd[200];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0)
    return -1;
  /* the server ended by itself at end of file, with status 0 */
  return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* Sends a request of raw bytes with fd attached (fd < 0: none). */
static ecsb_forkserve_reply ask_raw(const void *b, size_t n, int fd) {
  union {
    struct cmsghdr h;
    char b[CMSG_SPACE(sizeof(int))];
  } ctl;
  memset(&ctl, 0, sizeof ctl);
  struct iovec iov = {.iov_base = (void *)b, .iov_len = n};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
  if (fd >= 0) {
    m.msg_control = ctl.b;
    m.msg_controllen = sizeof ctl.b;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
  }
  assert_int_equal(sendmsg(sock, &m, 0), (ssize_t)n);
  ecsb_forkserve_reply r;
  assert_int_equal(recv(sock, &r, sizeof r, 0), (ssize_t)sizeof r);
  return r;
}

static ecsb_forkserve_reply ask(const char *cwd, const char *const *argv,
                                const char *const *envp) {
  char b[4096];
  uint32_t h[4] = {ECSB_FORKSERVE_MAGIC, 0, 0, 0};
  size_t n = sizeof h;
  n += (size_t)sprintf(b + n, "%s", cwd) + 1;
  for (; argv[h[1]]; h[1]++)
    n += (size_t)sprintf(b + n, "%s", argv[h[1]]) + 1;
  for (; envp[h[2]]; h[2]++)
    n += (size_t)sprintf(b + n, "%s", envp[h[2]]) + 1;
  h[3] = (uint32_t)(n - sizeof h);
  memcpy(b, h, sizeof h);
  int fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_true(fd >= 0);
  ecsb_forkserve_reply r = ask_raw(b, n, fd);
  close(fd);
  return r;
}

static char *read_log(void) {
  char *buf = NULL;
  assert_int_equal(ecsb_read_file(logp, 1 << 16, &buf, NULL, NULL), 0);
  return buf;
}

static void test_copy_gets_argv_env_cwd_log_and_is_our_child(void **state) {
  (void)state;
  const char *argv[] = {"prog", "7", "a b", "", NULL};
  const char *envp[] = {"FS_TEST=x=y", NULL};
  ecsb_forkserve_reply r = ask(dir, argv, envp);
  assert_int_equal(r.err, 0);
  assert_true(r.pid > 0);
  int st = 0;
  /* the copy is this process's child: waitpid works on it */
  assert_int_equal(waitpid(r.pid, &st, 0), r.pid);
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), 7); /* run_main's return value */
  char want[512];
  snprintf(want, sizeof want,
           "argc=4 [prog] [7] [a b] [] env=x=y cwd=%s pgid_is_pid=1 "
           "ppid=%d\n",
           dir, (int)getpid());
  char *log = read_log();
  assert_string_equal(log, want);
  free(log);
}

static void test_empty_cwd_and_environment(void **state) {
  (void)state;
  const char *argv[] = {"prog", NULL};
  const char *envp[] = {NULL};
  ecsb_forkserve_reply r = ask("", argv, envp);
  assert_int_equal(r.err, 0);
  int st = 0;
  assert_int_equal(waitpid(r.pid, &st, 0), r.pid);
  assert_int_equal(WEXITSTATUS(st), 0);
  char *log = read_log();
  assert_non_null(strstr(log, "env=(unset) "));
  free(log);
}

static void test_failed_chdir_is_reported_before_running(void **state) {
  (void)state;
  const char *argv[] = {"prog", NULL};
  const char *envp[] = {NULL};
  char missing[256];
  snprintf(missing, sizeof missing, "%s/no-such-folder", dir);
  ecsb_forkserve_reply r = ask(missing, argv, envp);
  assert_int_equal(r.err, ENOENT);
  assert_string_equal(r.what, "chdir");
  assert_true(r.pid > 0);
  int st = 0;
  assert_int_equal(waitpid(r.pid, &st, 0), r.pid);
  assert_int_equal(WEXITSTATUS(st), 127);
  char *log = read_log();
  assert_string_equal(log, ""); /* run_main never ran */
  free(log);
}

static void test_malformed_requests_are_refused(void **state) {
  (void)state;
  uint32_t h[4] = {ECSB_FORKSERVE_MAGIC, 1, 0, 0};
  char b[64];
  int fd = open("/dev/null", O_WRONLY);
  /* too short */
  ecsb_forkserve_reply r = ask_raw(h, 8, fd);
  assert_int_equal(r.err, EINVAL);
  assert_int_equal(r.pid, 0);
  assert_string_equal(r.what, "malformed request");
  /* wrong magic */
  h[0] = 1;
  memcpy(b, h, sizeof h);
  memcpy(b + sizeof h, "\0p\0", 3);
  h[3] = 3;
  memcpy(b, h, sizeof h);
  r = ask_raw(b, sizeof h + 3, fd);
  assert_int_equal(r.err, EINVAL);
  /* the right magic, but fewer strings than argc says */
  h[0] = ECSB_FORKSERVE_MAGIC;
  h[1] = 2;
  memcpy(b, h, sizeof h);
  r = ask_raw(b, sizeof h + 3, fd);
  assert_int_equal(r.err, EINVAL);
  /* no argv at all */
  h[1] = 0;
  h[3] = 1;
  memcpy(b, h, sizeof h);
  r = ask_raw(b, sizeof h + 1, fd);
  assert_int_equal(r.err, EINVAL);
  /* a good request without its log descriptor */
  h[1] = 1;
  h[3] = 3;
  memcpy(b, h, sizeof h);
  r = ask_raw(b, sizeof h + 3, -1);
  assert_int_equal(r.err, EINVAL);
  /* and the server still serves */
  r = ask_raw(b, sizeof h + 3, fd);
  assert_int_equal(r.err, 0);
  int st = 0;
  assert_int_equal(waitpid(r.pid, &st, 0), r.pid);
  close(fd);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_copy_gets_argv_env_cwd_log_and_is_our_child),
      cmocka_unit_test(test_empty_cwd_and_environment),
      cmocka_unit_test(test_failed_chdir_is_reported_before_running),
      cmocka_unit_test(test_malformed_requests_are_refused),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
