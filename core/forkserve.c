/*
 * forkserve.c - serving forks (see ecsb/forkserve.h): reads a request,
 * starts a copy of this process as a child of the requester and runs the
 * program's main in it.
 *
 * The copy comes from a raw clone(CLONE_PARENT | SIGCHLD): fork() cannot
 * name another parent, and the runner must be the parent to reap the
 * container, read its exit status and see it in its process tree. The
 * server is single-threaded and holds no lock at that moment, so skipping
 * glibc's fork handlers loses nothing. The copy reports a failed set-up
 * (chdir, descriptors) through a pipe before it runs anything, as
 * posix_spawn reports a failed exec; the server replies once the pipe is
 * closed, so the runner never sees a pid that is not yet in its own
 * process group.
 */
#include "ecsb/clock.h"
#include "ecsb/forkserve.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

typedef struct request {
  const char *cwd;
  char **argv; /* argc entries and NULL */
  int argc;
  char **envp; /* NULL-terminated */
} request;

typedef struct setup_fail {
  int32_t err;
  char what[56];
} setup_fail;

static void close_from(int lowest) {
  if (syscall(SYS_close_range, (unsigned)lowest, ~0u, 0) == 0)
    return;
  long max = sysconf(_SC_OPEN_MAX);
  for (long fd = lowest; fd < (max > 0 ? max : 1024); fd++)
    close((int)fd);
}

/* In the copy: what posix_spawn would have set up, then the command.
 * Never returns. */
static void child(const request *rq, int logfd, int report, int sock,
                  ecsb_forkserve_fn run_main, void *buf, void *ptrs) {
  setup_fail f = {0};
  close(sock);
  /* Its own process group, as the runner's spawns: stopping a container
   * stops what it started. */
  setpgid(0, 0);
  /* The server was started with every disposition at its default and
   * changes only this one. */
  signal(SIGPIPE, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  int nul = open("/dev/null", O_RDONLY);
  if (nul < 0 || dup2(nul, 0) < 0 || dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0) {
    f.err = errno;
    snprintf(f.what, sizeof f.what, "set up stdio");
    goto fail;
  }
  if (*rq->cwd && chdir(rq->cwd) != 0) {
    f.err = errno;
    snprintf(f.what, sizeof f.what, "chdir");
    goto fail;
  }
  environ = rq->envp;
  close(report); /* the server's read sees end of file: set up */
  close_from(3);
  /* _exit, not exit: the atexit handlers and destructors it inherited
   * (OpenSSL's and curl's clean-up, the loader's) free the server's whole
   * heap page by page, each page a copy-on-write fault: most of a copy's
   * CPU, for memory the kernel releases anyway. Only stdio has something
   * to finish. */
  int rc = run_main(rq->argc, rq->argv);
  fflush(NULL);
  /* the request the copy ran (leak checkers see the copy's exit) */
  free(buf);
  free(ptrs);
  _exit(rc);
fail:
  if (write(report, &f, sizeof f) < 0) {
    /* the server then reports an unknown set-up failure */
  }
  free(buf);
  free(ptrs);
  _exit(127);
}

static void start(const request *rq, int logfd, int sock,
                  ecsb_forkserve_fn run_main, void *buf, void *ptrs,
                  ecsb_forkserve_reply *r) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) {
    r->err = errno;
    snprintf(r->what, sizeof r->what, "pipe");
    return;
  }
  long pid = syscall(SYS_clone, (unsigned long)(CLONE_PARENT | SIGCHLD), 0L, 0L,
                     0L, 0L);
  if (pid == 0) {
    close(p[0]);
    child(rq, logfd, p[1], sock, run_main, buf, ptrs);
  }
  close(p[1]);
  if (pid < 0) {
    r->err = errno;
    snprintf(r->what, sizeof r->what, "clone");
    close(p[0]);
    return;
  }
  r->pid = (int32_t)pid;
  setup_fail f = {0};
  ssize_t n;
  do
    n = read(p[0], &f, sizeof f);
  while (n < 0 && errno == EINTR);
  close(p[0]);
  if (n > 0) {
    r->err = n == (ssize_t)sizeof f && f.err ? f.err : EIO;
    memcpy(r->what, f.what, sizeof r->what);
    r->what[sizeof r->what - 1] = '\0';
  }
}

/* Splits a request's strings into rq (pointers into buf). */
static int parse(char *buf, size_t n, request *rq, char **ptrs, size_t cap) {
  uint32_t h[4];
  if (n < sizeof h)
    return -1;
  memcpy(h, buf, sizeof h);
  if (h[0] != ECSB_FORKSERVE_MAGIC || h[1] == 0 ||
      (size_t)h[1] + h[2] + 2 > cap || h[3] != n - sizeof h)
    return -1;
  char *s = buf + sizeof h, *end = buf + n;
  /* cwd, then argc arguments (ptrs[0..]), then the environment after
   * the arguments' NULL */
  for (size_t k = 0; k < 1 + (size_t)h[1] + h[2]; k++) {
    char *z = memchr(s, '\0', (size_t)(end - s));
    if (!z)
      return -1;
    if (k == 0)
      rq->cwd = s;
    else
      ptrs[k <= h[1] ? k - 1 : k] = s;
    s = z + 1;
  }
  if (s != end)
    return -1;
  rq->argc = (int)h[1];
  rq->argv = ptrs;
  ptrs[h[1]] = NULL;
  rq->envp = ptrs + h[1] + 1;
  rq->envp[h[2]] = NULL;
  return 0;
}

int ecsb_forkserve_run(int fd, ecsb_forkserve_fn run_main, ecsb_err *err) {
  int rc = 0;
  size_t cap = ECSB_FORKSERVE_MAX / 2;
  char *buf = malloc(ECSB_FORKSERVE_MAX);
  char **ptrs = calloc(cap, sizeof *ptrs);
  if (!buf || !ptrs) {
    rc = ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
    goto out;
  }
  /* A runner gone mid-reply is an error from send, not a signal. */
  signal(SIGPIPE, SIG_IGN);
  /* Ready: the program's set-up is done, and the requester can start its
   * clock without this process's start-up competing for the CPU. */
  ecsb_forkserve_reply ready;
  memset(&ready, 0, sizeof ready);
  snprintf(ready.what, sizeof ready.what, "ready");
  if (send(fd, &ready, sizeof ready, MSG_NOSIGNAL) != (ssize_t)sizeof ready) {
    rc = ecsb_err_set(err, ECSB_EIO, "serve-forks: %s", strerror(errno));
    goto out;
  }
  for (;;) {
    union {
      struct cmsghdr h;
      char b[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct iovec iov = {.iov_base = buf, .iov_len = ECSB_FORKSERVE_MAX};
    struct msghdr m = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = ctl.b,
                       .msg_controllen = sizeof ctl.b};
    ssize_t n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
    int64_t cpu0 = ecsb_thread_cpu_us();
    if (n == 0)
      break;
    if (n < 0) {
      if (errno == EINTR)
        continue;
      rc = ecsb_err_set(err, ECSB_EIO, "serve-forks: reading a request: %s",
                        strerror(errno));
      break;
    }
    int logfd = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
          c->cmsg_len == CMSG_LEN(sizeof(int)))
        memcpy(&logfd, CMSG_DATA(c), sizeof logfd);
    ecsb_forkserve_reply r;
    memset(&r, 0, sizeof r);
    request rq = {0};
    if (logfd < 0 || (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
        parse(buf, (size_t)n, &rq, ptrs, cap) != 0) {
      r.err = EINVAL;
      snprintf(r.what, sizeof r.what, "malformed request");
    } else {
      start(&rq, logfd, fd, run_main, buf, ptrs, &r);
    }
    if (logfd >= 0)
      close(logfd);
    r.cpu_us = ecsb_thread_cpu_us() - cpu0;
    if (send(fd, &r, sizeof r, MSG_NOSIGNAL) != (ssize_t)sizeof r) {
      rc = ecsb_err_set(err, ECSB_EIO, "serve-forks: replying: %s",
                        strerror(errno));
      break;
    }
  }
out:
  free(buf);
  free(ptrs);
  return rc;
}

int ecsb_forkserve_main(int argc, char **argv, const char *prog,
                        ecsb_forkserve_init_fn init,
                        ecsb_forkserve_fn run_main) {
  if (argc != 2 || strcmp(argv[1], ECSB_FORKSERVE_COMMAND) != 0)
    return -1;
  ecsb_err err = {0};
  if ((init && init(&err) != 0) ||
      ecsb_forkserve_run(ECSB_FORKSERVE_FD, run_main, &err) != 0) {
    fprintf(stderr, "%s: %s\n", prog, err.msg);
    return 1;
  }
  return 0;
}
