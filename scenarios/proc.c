/*
 * proc.c - spawn, signal and reap container processes (see proc.h).
 *
 * posix_spawn rather than fork: the runner is multi-threaded (the fakes'
 * server threads) and may start hundreds of containers, and glibc's
 * posix_spawn uses CLONE_VFORK, which neither copies the address space nor
 * runs atfork handlers in a threaded parent. Descriptors above 2 are closed
 * in the child so listening sockets of the fakes never leak into containers.
 */
/* posix_spawn_file_actions_addchdir_np and _addclosefrom_np (glibc). */
#include "scn/proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ecsb/clock.h"
#include "ecsb/fileio.h"
#include "ecsb/forkserve.h"

/* A thread of a container's tree, as the last reading saw it. */
typedef struct scn_proc_thread {
  pid_t pid, tid;
  int fd;          /* its schedstat kept open, or -1: read by path */
  int64_t wait_us; /* its wait then */
  int64_t now_us;  /* a reading's, until it is taken */
  bool taken;      /* the last walk's record, found again by a walk */
  bool fresh;      /* a walk's new record, opened by it */
} scn_proc_thread;

struct scn_proc {
  pid_t pid;
  bool reaped;
  int exit_code;
  int term_signal;
  /* what its tree took so far (see "host time" below); kept once it is
   * reaped */
  scn_proc_times times;
  /* the processes of its tree at the last walk: each one's CPU and
   * threads at the last reading */
  pid_t tree[SCN_PROC_TREE_MAX];
  int64_t tree_cpu[SCN_PROC_TREE_MAX];
  int64_t tree_cpu_at[SCN_PROC_TREE_MAX]; /* when that figure was read */
  int tree_threads[SCN_PROC_TREE_MAX];
  /* its main thread's children file, kept open (-1: read by name; -2:
   * not read, the walk's last generation), and a hash of what it held */
  int tree_kids_fd[SCN_PROC_TREE_MAX];
  uint64_t tree_kids[SCN_PROC_TREE_MAX];
  size_t n_tree;
  scn_proc_thread *thr; /* the threads the last walk found */
  size_t n_thr, cap_thr;
  /* host time: started, last walked, its CPU last read */
  int64_t born_at, walk_at;
  bool observed;        /* not a child: scn_proc_observe */
  int64_t spawn_cpu_us; /* the fork server's CPU time starting it */
  scn_exitwatch *watch; /* and watch_id: its registration, until reaped */
  uint64_t watch_id;
};

static const char *const empty_env[] = {NULL};

/* ---- the guardian ---------------------------------------------------------
 * A process forked before the runner starts threads. The runner tells it
 * each container's process group as it spawns ("+PGID\n") and reaps it
 * ("-PGID\n") through a pipe; when the pipe reaches EOF (the runner
 * ended, even by SIGKILL, which no handler can catch) it SIGKILLs every
 * group still listed. Spawned children never inherit the pipe (descriptors
 * above 2 are closed). */
static int g_guard_fd = -1;

static void guard_note(char op, pid_t pid) {
  if (g_guard_fd < 0)
    return;
  char b[32];
  int n = snprintf(b, sizeof b, "%c%d\n", op, (int)pid);
  ssize_t w;
  do
    w = write(g_guard_fd, b, (size_t)n);
  while (w < 0 && errno == EINTR);
}

static void guard_main(int rfd) {
  signal(SIGINT, SIG_IGN); /* the terminal's Ctrl-C is the runner's to handle */
  signal(SIGTERM, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  enum { MAX = 65536 };
  static pid_t groups[MAX];
  size_t n = 0;
  char buf[4096], line[32];
  size_t ll = 0;
  ssize_t got;
  while ((got = read(rfd, buf, sizeof buf)) != 0) {
    if (got < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    for (ssize_t i = 0; i < got; i++) {
      if (buf[i] != '\n') {
        if (ll < sizeof line - 1)
          line[ll++] = buf[i];
        continue;
      }
      line[ll] = '\0';
      ll = 0;
      pid_t pid = (pid_t)atoi(line + 1);
      if (pid <= 0)
        continue;
      if (line[0] == '+' && n < MAX) {
        groups[n++] = pid;
      } else if (line[0] == '-') {
        for (size_t k = 0; k < n; k++)
          if (groups[k] == pid) {
            groups[k] = groups[--n];
            break;
          }
      }
    }
  }
  for (size_t k = 0; k < n; k++)
    kill(-groups[k], SIGKILL);
  _exit(0);
}

int scn_proc_guard_start(scn_guard *g, ecsb_err *err) {
  int fds[2];
  g->pid = -1;
  g->fd = -1;
  if (pipe2(fds, O_CLOEXEC) != 0)
    return ecsb_err_set(err, ECSB_EIO, "guardian pipe: %s", strerror(errno));
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return ecsb_err_set(err, ECSB_EIO, "guardian fork: %s", strerror(errno));
  }
  if (pid == 0) {
    close(fds[1]);
    /* its own group: a signal to the runner's group does not reach it */
    setpgid(0, 0);
    guard_main(fds[0]);
  }
  close(fds[0]);
  g->pid = pid;
  g->fd = fds[1];
  g_guard_fd = fds[1];
  return 0;
}

void scn_proc_guard_stop(scn_guard *g) {
  if (!g || g->fd < 0)
    return;
  if (g_guard_fd == g->fd)
    g_guard_fd = -1;
  close(g->fd);
  g->fd = -1;
  int st;
  while (waitpid(g->pid, &st, 0) < 0 && errno == EINTR) {
  }
  g->pid = -1;
}

/* ---- orphans ---------------------------------------------------------------
 */

/* The pids in a /proc "children" file's text (space-separated), at most cap
 * of them; the orphan sweep and the lag samples both read that format. */
static size_t parse_pids(const char *text, pid_t *out, size_t cap) {
  size_t n = 0;
  const char *q = text;
  char *end;
  while (n < cap) {
    long pid = strtol(q, &end, 10);
    if (end == q || pid <= 0)
      break;
    out[n++] = (pid_t)pid;
    q = end;
  }
  return n;
}

/* This process's children (every thread's), at most cap of them. Each
 * thread's file is read to its end, as the sweep must not miss one. */
static size_t list_children(pid_t *out, size_t cap) {
  DIR *d = opendir("/proc/self/task");
  if (!d)
    return 0;
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL && n < cap) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9')
      continue;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%.20s/children", e->d_name);
    char *text = NULL;
    if (ecsb_read_file(path, (size_t)1 << 20, &text, NULL, NULL) != 0)
      continue;
    n += parse_pids(text, out + n, cap - n);
    free(text);
  }
  closedir(d);
  return n;
}

int scn_proc_adopt_begin(scn_adopt *a, ecsb_err *err) {
  memset(a, 0, sizeof *a);
  int was = 0;
  if (prctl(PR_GET_CHILD_SUBREAPER, &was) != 0)
    return ecsb_err_set(err, ECSB_EIO, "PR_GET_CHILD_SUBREAPER: %s",
                        strerror(errno));
  a->was_reaper = was != 0;
  enum { CAP = 4096 };
  a->before = malloc(CAP * sizeof *a->before);
  if (!a->before)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  a->n_before = list_children(a->before, CAP);
  if (!a->was_reaper && prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    free(a->before);
    a->before = NULL;
    return ecsb_err_set(err, ECSB_EIO, "PR_SET_CHILD_SUBREAPER: %s",
                        strerror(errno));
  }
  a->on = true;
  return 0;
}

size_t scn_proc_adopt_end(scn_adopt *a, int64_t max_ms) {
  if (!a->on)
    return 0;
  enum { CAP = 4096 };
  pid_t kids[CAP];
  size_t alive = 0;
  bool first = true;
  int64_t until = ecsb_mono_host_us() + max_ms * 1000;
  for (;;) {
    size_t n = list_children(kids, CAP), left = 0;
    for (size_t i = 0; i < n; i++) {
      bool theirs = false;
      for (size_t k = 0; k < a->n_before && !theirs; k++)
        theirs = a->before[k] == kids[i];
      if (theirs)
        continue;
      if (first) {
        siginfo_t si;
        memset(&si, 0, sizeof si);
        if (waitid(P_PID, (id_t)kids[i], &si, WEXITED | WNOHANG | WNOWAIT) ==
                0 &&
            si.si_pid != kids[i])
          alive++; /* not yet a zombie */
      }
      kill(kids[i], SIGKILL);
      if (waitpid(kids[i], NULL, WNOHANG) != kids[i])
        left++;
    }
    first = false;
    if (left == 0 || ecsb_mono_host_us() >= until)
      break;
    ecsb_sleep_ms(1, NULL);
  }
  if (!a->was_reaper)
    prctl(PR_SET_CHILD_SUBREAPER, 0);
  free(a->before);
  a->before = NULL;
  a->on = false;
  return alive;
}

/* Resolves the program before spawning so a missing or non-executable one
 * is reported by name, the same way under every libc and under valgrind
 * (where posix_spawn cannot report exec failures). A bare name is looked
 * up in the runner's PATH. */
static int resolve(const char *prog, char *out, size_t cap, ecsb_err *err) {
  if (strchr(prog, '/')) {
    if (access(prog, X_OK) != 0)
      return ecsb_err_set(err, errno == ENOENT ? ECSB_ENOTFOUND : ECSB_EIO,
                          "cannot start %s: %s", prog, strerror(errno));
    snprintf(out, cap, "%s", prog);
    return 0;
  }
  const char *path = getenv("PATH");
  if (!path || !*path)
    path = "/usr/local/bin:/usr/bin:/bin";
  while (*path) {
    const char *end = strchr(path, ':');
    size_t n = end ? (size_t)(end - path) : strlen(path);
    if (n > 0 &&
        (size_t)snprintf(out, cap, "%.*s/%s", (int)n, path, prog) < cap &&
        access(out, X_OK) == 0)
      return 0;
    path += n + (end ? 1 : 0);
  }
  return ecsb_err_set(err, ECSB_ENOTFOUND, "cannot start %s: not found in PATH",
                      prog);
}

static int open_log(const scn_spawn_opts *o, int *lfd, ecsb_err *err) {
  const char *log = o->log_path ? o->log_path : "/dev/null";
  /* Opened here, not in the child, so a bad path is reported to the
   * caller with its name instead of as a silent exit 127. */
  *lfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (*lfd < 0)
    return ecsb_err_set(err, ECSB_EIO, "cannot open container log %s: %s", log,
                        strerror(errno));
  return 0;
}

/* pass_fd >= 0: given to the child as ECSB_FORKSERVE_FD. */
static int spawn_exec(const scn_spawn_opts *o, int pass_fd, scn_proc *p,
                      ecsb_err *err) {
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&at);
  char prog[4096];
  int rc = resolve(o->argv[0], prog, sizeof prog, err);
  int lfd = -1;
  if (rc || (rc = open_log(o, &lfd, err)))
    goto out;
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, lfd, 1);
  posix_spawn_file_actions_adddup2(&fa, lfd, 2);
  int keep = 3;
  if (pass_fd >= 0) {
    posix_spawn_file_actions_adddup2(&fa, pass_fd, ECSB_FORKSERVE_FD);
    keep = ECSB_FORKSERVE_FD + 1;
  }
  posix_spawn_file_actions_addclosefrom_np(&fa, keep);
  if (o->cwd)
    posix_spawn_file_actions_addchdir_np(&fa, o->cwd);
  /* Own process group: stopping a container stops what it started. Default
   * signal dispositions and an empty mask, whatever the runner blocks. */
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setpgroup(&at, 0);
  posix_spawnattr_setsigmask(&at, &none);
  posix_spawnattr_setsigdefault(&at, &all);
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                    POSIX_SPAWN_SETSIGDEF);
  char *const *argv = (char *const *)o->argv;
  char *const *envp = (char *const *)(o->envp ? o->envp : empty_env);
  int e = posix_spawn(&p->pid, prog, &fa, &at, argv, envp);
  if (e != 0)
    rc = ecsb_err_set(err, e == ENOENT ? ECSB_ENOTFOUND : ECSB_EIO,
                      "cannot start %s: %s", o->argv[0], strerror(e));
out:
  if (lfd >= 0)
    close(lfd);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  return rc;
}

/* ---- fork servers ----------------------------------------------------------
 * The request and reply are ecsb/forkserve.h's. A server is asked with
 * one blocking exchange: it answers once the copy has set itself up, in
 * microseconds, so the wait is bounded by FORKSRV_REPLY_MS only for a
 * server that hangs. One that fails is marked dead and its program is
 * exec'd from then on: a lost server costs CPU, never a container. */
#define FORKSRV_REPLY_MS 30000

struct scn_forksrv {
  char prog[4096];
  int fd;
  scn_proc *proc;
  bool dead;
  size_t started;
  /* the request being built: one buffer for the run, not an allocation
   * (above malloc's mmap threshold: a map, faults and an unmap) a start */
  char req[ECSB_FORKSERVE_MAX];
};

/* One reply, waited for up to FORKSRV_REPLY_MS; false when none came. */
static bool get_reply(scn_forksrv *fs, ecsb_forkserve_reply *r) {
  memset(r, 0, sizeof *r);
  struct pollfd pf = {.fd = fs->fd, .events = POLLIN};
  int64_t until = ecsb_mono_us() + FORKSRV_REPLY_MS * 1000LL;
  int pr;
  do {
    int64_t left = (until - ecsb_mono_us()) / 1000;
    pr = poll(&pf, 1, left > 0 ? (int)left : 0);
  } while (pr < 0 && errno == EINTR);
  ssize_t got = -1;
  if (pr == 1)
    do
      got = recv(fs->fd, r, sizeof *r, 0);
    while (got < 0 && errno == EINTR);
  r->what[sizeof r->what - 1] = '\0';
  return got == (ssize_t)sizeof *r;
}

void scn_forksrv_free(scn_forksrv *fs);

int scn_forksrv_start(const char *prog, scn_forksrv **out, ecsb_err *err) {
  *out = NULL;
  scn_forksrv *fs = calloc(1, sizeof *fs);
  scn_proc *p = calloc(1, sizeof *p);
  int sv[2] = {-1, -1};
  int rc = 0;
  if (!fs || !p) {
    rc = ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
    goto fail;
  }
  if (snprintf(fs->prog, sizeof fs->prog, "%s", prog) >= (int)sizeof fs->prog) {
    rc = ecsb_err_set(err, ECSB_EINVAL, "fork server: program path too long");
    goto fail;
  }
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    rc = ecsb_err_set(err, ECSB_EIO, "fork server socket: %s", strerror(errno));
    goto fail;
  }
  /* dup2 onto itself would keep close-on-exec */
  if (sv[1] == ECSB_FORKSERVE_FD) {
    int d = fcntl(sv[1], F_DUPFD_CLOEXEC, ECSB_FORKSERVE_FD + 1);
    if (d < 0) {
      rc = ecsb_err_set(err, ECSB_EIO, "fork server socket: %s",
                        strerror(errno));
      goto fail;
    }
    close(sv[1]);
    sv[1] = d;
  }
  const char *argv[] = {prog, ECSB_FORKSERVE_COMMAND, NULL};
  /* Every symbol bound once in the server, not lazily in each copy. */
  const char *envp[] = {"LD_BIND_NOW=1", NULL};
  scn_spawn_opts o = {.argv = argv, .envp = envp};
  if ((rc = spawn_exec(&o, sv[1], p, err)))
    goto fail;
  guard_note('+', p->pid);
  close(sv[1]);
  sv[1] = -1;
  fs->fd = sv[0];
  fs->proc = p;
  ecsb_forkserve_reply r;
  if (!get_reply(fs, &r) || r.pid || r.err || strcmp(r.what, "ready")) {
    rc = ecsb_err_set(err, ECSB_EIO, "fork server %s %s did not become ready",
                      prog, ECSB_FORKSERVE_COMMAND);
    scn_forksrv_free(fs);
    return rc;
  }
  *out = fs;
  return 0;
fail:
  if (sv[0] >= 0)
    close(sv[0]);
  if (sv[1] >= 0)
    close(sv[1]);
  free(p);
  free(fs);
  return rc;
}

const char *scn_forksrv_prog(const scn_forksrv *fs) {
  return fs ? fs->prog : NULL;
}

pid_t scn_forksrv_pid(const scn_forksrv *fs) {
  return fs ? scn_proc_pid(fs->proc) : -1;
}

size_t scn_forksrv_started(const scn_forksrv *fs) {
  return fs ? fs->started : 0;
}

bool scn_forksrv_alive(const scn_forksrv *fs) {
  return fs && !fs->dead;
}

void scn_forksrv_free(scn_forksrv *fs) {
  if (!fs)
    return;
  close(fs->fd); /* the server ends at end of file */
  if (fs->proc && !scn_proc_wait(fs->proc, 2000, NULL, NULL))
    scn_proc_stop(fs->proc, 0);
  scn_proc_free(fs->proc);
  free(fs);
}

/* Appends s and its NUL to b; false when it does not fit. */
static bool put(char *b, size_t cap, size_t *n, const char *s) {
  size_t l = strlen(s) + 1;
  if (l > cap - *n)
    return false;
  memcpy(b + *n, s, l);
  *n += l;
  return true;
}

/* ECSB_ESTATE: not started by the server (the caller execs instead). */
static int spawn_via(scn_forksrv *fs, const scn_spawn_opts *o, scn_proc *p,
                     ecsb_err *err) {
  int rc = 0, lfd = -1;
  char *b = fs->req;
  if ((rc = open_log(o, &lfd, err)))
    goto out;
  uint32_t h[4] = {ECSB_FORKSERVE_MAGIC, 0, 0, 0};
  size_t n = sizeof h;
  bool fits = put(b, ECSB_FORKSERVE_MAX, &n, o->cwd ? o->cwd : "");
  for (; fits && o->argv[h[1]]; h[1]++)
    fits = put(b, ECSB_FORKSERVE_MAX, &n, o->argv[h[1]]);
  for (; fits && o->envp && o->envp[h[2]]; h[2]++)
    fits = put(b, ECSB_FORKSERVE_MAX, &n, o->envp[h[2]]);
  if (!fits) {
    rc = ECSB_ESTATE; /* too big for a request: exec it */
    goto out;
  }
  h[3] = (uint32_t)(n - sizeof h);
  memcpy(b, h, sizeof h);
  union {
    struct cmsghdr h;
    char b[CMSG_SPACE(sizeof(int))];
  } ctl;
  memset(&ctl, 0, sizeof ctl);
  struct iovec iov = {.iov_base = b, .iov_len = n};
  struct msghdr m = {.msg_iov = &iov,
                     .msg_iovlen = 1,
                     .msg_control = ctl.b,
                     .msg_controllen = sizeof ctl.b};
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &lfd, sizeof lfd);
  ssize_t w;
  do
    w = sendmsg(fs->fd, &m, MSG_NOSIGNAL);
  while (w < 0 && errno == EINTR);
  ecsb_forkserve_reply r;
  if (w != (ssize_t)n || !get_reply(fs, &r)) {
    fs->dead = true;
    rc = ECSB_ESTATE;
    goto out;
  }
  if (r.err && r.pid > 0) {
    /* The copy failed its set-up (chdir) and exited 127: reported as a
     * spawn reports it, naming what failed. */
    int st;
    while (waitpid(r.pid, &st, 0) < 0 && errno == EINTR) {
    }
    bool cd = strcmp(r.what, "chdir") == 0 && o->cwd;
    rc = ecsb_err_set(err, r.err == ENOENT ? ECSB_ENOTFOUND : ECSB_EIO,
                      "cannot start %s: %s%s%s: %s", o->argv[0], r.what,
                      cd ? " " : "", cd ? o->cwd : "", strerror(r.err));
    goto out;
  }
  if (r.err || r.pid <= 0) {
    /* No copy: the server itself failed (clone refused). It is not asked
     * again; the program is exec'd. */
    fs->dead = true;
    rc = ECSB_ESTATE;
    goto out;
  }
  p->pid = r.pid;
  fs->started++;
  p->spawn_cpu_us = r.cpu_us > 0 ? r.cpu_us : 0;
out:
  if (lfd >= 0)
    close(lfd);
  return rc;
}

int scn_proc_spawn(const scn_spawn_opts *o, scn_proc **out, ecsb_err *err) {
  *out = NULL;
  if (!o || !o->argv || !o->argv[0] || !*o->argv[0])
    return ecsb_err_set(err, ECSB_EINVAL, "spawn: empty command");
  scn_proc *p = calloc(1, sizeof *p);
  if (!p)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  /* before the process exists: its CPU is all after this */
  int64_t before = ecsb_mono_host_us();
  int rc = ECSB_ESTATE;
  if (o->via && !o->via->dead && strcmp(o->argv[0], o->via->prog) == 0)
    rc = spawn_via(o->via, o, p, err);
  if (rc == ECSB_ESTATE)
    rc = spawn_exec(o, -1, p, err);
  if (rc) {
    free(p);
    return rc;
  }
  guard_note('+', p->pid);
  /* its tree until the first walk: itself, from no CPU */
  p->tree[0] = p->pid;
  p->tree_cpu[0] = 0;
  p->tree_kids_fd[0] = -2;
  p->n_tree = 1;
  p->born_at = p->tree_cpu_at[0] = before;
  p->walk_at = INT64_MIN / 2;
  if (o->watch && o->on_exit) {
    ecsb_err e = {0};
    if (scn_exitwatch_add(o->watch, p->pid, o->on_exit, o->on_exit_user,
                          &p->watch_id, &e) == 0)
      p->watch = o->watch;
  }
  *out = p;
  return 0;
}

pid_t scn_proc_pid(const scn_proc *p) {
  return p ? p->pid : -1;
}

int scn_proc_signal(scn_proc *p, int sig) {
  if (!p || p->reaped || p->observed)
    return ECSB_ESTATE;
  /* The group may already be gone (the leader exited, not yet reaped);
   * fall back to the pid itself. */
  if (kill(-p->pid, sig) != 0 && kill(p->pid, sig) != 0)
    return ECSB_ESTATE;
  return 0;
}

static void unwatch(scn_proc *p) {
  scn_exitwatch_remove(p->watch, p->watch_id);
  p->watch = NULL;
  p->watch_id = 0;
}

static void drop_kept(scn_proc *p);

static void record(scn_proc *p, int status) {
  p->reaped = true;
  drop_kept(p);
  unwatch(p);
  guard_note('-', p->pid);
  if (WIFEXITED(status)) {
    p->exit_code = WEXITSTATUS(status);
    p->term_signal = 0;
  } else {
    p->exit_code = -1;
    p->term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  }
}

bool scn_proc_poll(scn_proc *p, int *exit_code, int *term_signal) {
  if (!p || p->observed)
    return false;
  if (!p->reaped) {
    /* Look without reaping first: while the leader is a zombie its pid
     * cannot be reused, so killing its group hits only what it left behind
     * (as Docker does when a container's main process exits) and never a
     * newer process that happens to get the same number. */
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int r;
    do
      r = waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT);
    while (r < 0 && errno == EINTR);
    if (r == 0 && si.si_pid == p->pid) {
      /* A zombie still has its scheduler statistics; after waitpid they
       * are gone. */
      scn_proc_times_us(p);
      kill(-p->pid, SIGKILL);
      int status;
      pid_t w;
      do
        w = waitpid(p->pid, &status, 0);
      while (w < 0 && errno == EINTR);
      record(p, w == p->pid ? status : 0xff << 8);
    } else if (r < 0) { /* not our child any more (reaped elsewhere) */
      record(p, 0xff << 8);
    }
  }
  if (p->reaped) {
    if (exit_code)
      *exit_code = p->exit_code;
    if (term_signal)
      *term_signal = p->term_signal;
  }
  return p->reaped;
}

/* ---- host time -------------------------------------------------------------
 * /proc/PID/task/TID/schedstat holds, in ns, the time that thread ran on a
 * CPU and the time it spent runnable but waiting for one: what the host
 * spent on a container beyond what the scenario asked for (host lag,
 * scenarios/run_lag.c). A container's own children (envoy under
 * envoy-entrypoint, a shell's commands) count with it, a few generations
 * deep.
 *
 * A walk lists every thread of the tree and reads every thread's children
 * file. Between walks a reading reads only the threads the last walk
 * found, from schedstat files it keeps open, after checking that no
 * process of the tree gained or lost a thread and that each one's main
 * thread has the children it had (the file kept open too: a shell or an
 * entrypoint forks from it): at 0.01 a fleet's health checks have the
 * runner sample each task about 20 times a second, and a walk of a mesh
 * task cost 230 us of its CPU each time. A process walks again once the
 * last walk is a quarter of its age old (at most LAG_REWALK_MAX_US): a
 * child another thread forked since then counts from that walk on, all it
 * took so far included, and a young process, whose threads and children
 * are still starting, is walked at every reading.
 *
 * What a tree took is the growth of each thread's wait and each process's
 * CPU, summed: a thread or child that ended keeps what it was seen to
 * take, and the others' growth after it counts at once. */
#define LAG_MAX_DEPTH 3
#define LAG_MAX_CHILDREN 64
#define LAG_REWALK_MAX_US 1000000
#define LAG_CPU_SLACK_US 20000

/* A small /proc file read whole, relative to dir: open/read/close, no
 * stdio buffer to allocate. Returns the length, or -1. */
static ssize_t read_small(int dir, const char *name, char *buf, size_t cap) {
  int fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n;
  do
    n = read(fd, buf, cap - 1);
  while (n < 0 && errno == EINTR);
  close(fd);
  if (n >= 0)
    buf[n] = '\0';
  return n;
}

/* schedstat's first two fields, in us; false when the text has none. */
static bool parse_schedstat(const char *buf, int64_t *run, int64_t *wait) {
  char *end;
  unsigned long long r = strtoull(buf, &end, 10);
  if (end == buf)
    return false;
  unsigned long long w = strtoull(end, NULL, 10);
  *run = (int64_t)(r / 1000);
  *wait = (int64_t)(w / 1000);
  return true;
}

/* A process's CPU time (all its threads, those that ended too), in us, or
 * -1. The kernel brings a running thread's time up to date when this is
 * read, where schedstat's first field stands still until the next tick or
 * switch: 4 ms at HZ=250, 0.4 s of scenario time at 0.01, which a process
 * that reads its task clock in between sees as task time. */
static int64_t process_cpu_us(pid_t pid) {
  /* The kernel's id of a process's CPU clock, as clock_getcpuclockid makes
   * it without the system call it adds to check the pid: a pid that is
   * gone fails clock_gettime itself. */
  clockid_t id = (clockid_t)((~(unsigned)pid << 3) | 2u);
  struct timespec ts;
  if (clock_gettime(id, &ts) != 0)
    return -1;
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* schedstat files kept open by every process's readings together: at most
 * a quarter of the descriptor limit, so that a fleet's sockets and logs
 * keep the rest; a thread beyond it is read by path. */
static atomic_long g_kept;
static atomic_long g_kept_most = -1;
static long kept_most(void) {
  long most = atomic_load(&g_kept_most);
  if (most < 0) {
    struct rlimit rl;
    most = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
               ? (long)(rl.rlim_cur / 4)
               : 256;
    atomic_store(&g_kept_most, most);
  }
  return most;
}

rlim_t scn_proc_raise_nofile(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return 0;
  rlim_t want = SCN_PROC_NOFILE;
  if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
    want = rl.rlim_max;
  if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
    return rl.rlim_cur;
  rl.rlim_cur = want;
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return 0;
  atomic_store(&g_kept_most, -1); /* the budget follows the new limit */
  return rl.rlim_cur;
}

static int keep_open(int dir, const char *name) {
  if (atomic_fetch_add(&g_kept, 1) >= kept_most()) {
    atomic_fetch_sub(&g_kept, 1);
    return -1;
  }
  int fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    atomic_fetch_sub(&g_kept, 1);
  return fd;
}

static void close_kept(int fd) {
  if (fd >= 0) {
    close(fd);
    atomic_fetch_sub(&g_kept, 1);
  }
}

/* A /proc file read whole, from its kept descriptor (fd >= 0) or by name
 * relative to dir. Returns the length, or -1. */
static ssize_t read_kept(int fd, int dir, const char *name, char *buf,
                         size_t cap) {
  if (fd < 0)
    return read_small(dir, name, buf, cap);
  ssize_t n;
  do
    n = pread(fd, buf, cap - 1, 0);
  while (n < 0 && errno == EINTR);
  if (n >= 0)
    buf[n] = '\0';
  return n;
}

/* One thread's run and wait now; false when it is gone. */
static bool read_thread(const scn_proc_thread *th, int64_t *run,
                        int64_t *wait) {
  char buf[128], path[80] = "";
  if (th->fd < 0)
    snprintf(path, sizeof path, "/proc/%d/task/%d/schedstat", (int)th->pid,
             (int)th->tid);
  return read_kept(th->fd, AT_FDCWD, path, buf, sizeof buf) > 0 &&
         parse_schedstat(buf, run, wait);
}

static void drop_kids(scn_proc *p) {
  for (size_t i = 0; i < p->n_tree; i++) {
    close_kept(p->tree_kids_fd[i]);
    p->tree_kids_fd[i] = -2;
  }
}

static void drop_kept(scn_proc *p) {
  drop_kids(p);
  for (size_t i = 0; i < p->n_thr; i++)
    close_kept(p->thr[i].fd);
  free(p->thr);
  p->thr = NULL;
  p->n_thr = p->cap_thr = 0;
}

static long cpu_count(void) {
  static long cpus;
  if (cpus <= 0)
    cpus = sysconf(_SC_NPROCESSORS_ONLN);
  return cpus > 0 ? cpus : 1;
}

/* Whether v can be process k's CPU, as a figure after its last: a CPU
 * clock never goes back, nor grows faster than every CPU could since the
 * last figure was read (else the pid was reused, and v is another
 * process's). Taken after v was read, the bound holds however late the
 * reading got to it; LAG_CPU_SLACK_US more, as the kernel's CPU clocks
 * and the wall clock do not keep step (a clock read 0.3 ms apart grew by
 * 4 ms on this project's 2-core VMs). */
static bool cpu_own(const scn_proc *p, size_t k, int64_t v) {
  int64_t most = (ecsb_mono_host_us() - p->tree_cpu_at[k]) * cpu_count() +
                 LAG_CPU_SLACK_US;
  return v >= p->tree_cpu[k] && v - p->tree_cpu[k] <= most;
}

/* The growth of process k's CPU to v, read by a reading that began at
 * read_at; only a figure of its own replaces the last one. */
static int64_t cpu_growth(scn_proc *p, size_t k, int64_t v, int64_t read_at) {
  if (!cpu_own(p, k, v))
    return 0;
  int64_t g = v - p->tree_cpu[k];
  p->tree_cpu[k] = v;
  p->tree_cpu_at[k] = read_at;
  return g;
}

/* The growth of a thread's wait. Not bounded by the time between two
 * readings: the kernel adds a wait when it ends, all of it at once. */
static int64_t wait_growth(int64_t v, int64_t seen) {
  return v > seen ? v - seen : 0;
}

/* FNV-1a of what a children file held (n < 0: unreadable). */
static uint64_t hash(const char *buf, ssize_t n) {
  uint64_t h = 14695981039346656037ull;
  for (ssize_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)buf[i]) * 1099511628211ull;
  return n < 0 ? 0 : h;
}

typedef struct tree_walk {
  scn_proc *p;
  pid_t tree[SCN_PROC_TREE_MAX];
  int64_t cpu[SCN_PROC_TREE_MAX];
  int threads[SCN_PROC_TREE_MAX];
  int kids_fd[SCN_PROC_TREE_MAX];
  uint64_t kids[SCN_PROC_TREE_MAX];
  size_t n;
  scn_proc_thread *thr; /* the threads found, and their growth */
  size_t n_thr, cap_thr;
  scn_proc_times grew;
  bool oom;
} tree_walk;

/* The last walk's record of a thread, or NULL when the thread is new. */
static scn_proc_thread *find_thread(scn_proc *p, pid_t pid, pid_t tid) {
  for (size_t i = 0; i < p->n_thr; i++)
    if (p->thr[i].tid == tid && p->thr[i].pid == pid && !p->thr[i].taken)
      return &p->thr[i];
  return NULL;
}

static void walk_thread(tree_walk *w, int dfd, pid_t pid, pid_t tid,
                        const char *tname, int64_t *ran) {
  if (w->n_thr == w->cap_thr) {
    size_t cap = w->cap_thr ? 2 * w->cap_thr : 8;
    scn_proc_thread *t = realloc(w->thr, cap * sizeof *t);
    if (!t) {
      w->oom = true;
      return;
    }
    w->thr = t;
    w->cap_thr = cap;
  }
  scn_proc_thread *old = find_thread(w->p, pid, tid);
  scn_proc_thread th = {pid, tid, -1, 0, 0, false, !old};
  if (old) {
    th.fd = old->fd;
    th.wait_us = old->wait_us;
  } else {
    char name[64];
    snprintf(name, sizeof name, "%.20s/schedstat", tname);
    th.fd = keep_open(dfd, name);
  }
  int64_t run, wait;
  if (!read_thread(&th, &run, &wait)) {
    if (!old)
      close_kept(th.fd);
    return; /* an old one's is closed with the last walk's records */
  }
  if (old)
    old->taken = true;
  *ran += run;
  w->grew.wait_us += old ? wait_growth(wait, th.wait_us) : wait;
  th.wait_us = wait;
  w->thr[w->n_thr++] = th;
}

/* Notes pid's tree (pid, its children, a few generations deep) in w. */
static void walk_tree(pid_t pid, int depth, tree_walk *w) {
  if (w->n >= SCN_PROC_TREE_MAX)
    return;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
  DIR *d = opendir(path);
  if (!d)
    return;
  int dfd = dirfd(d);
  size_t slot = w->n++;
  w->tree[slot] = pid;
  w->threads[slot] = 0;
  w->kids_fd[slot] = -2;
  w->kids[slot] = 0;
  int64_t ran = 0; /* the live threads' run, should the CPU clock fail */
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9')
      continue;
    w->threads[slot]++;
    walk_thread(w, dfd, pid, (pid_t)atoi(e->d_name), e->d_name, &ran);
    if (depth >= LAG_MAX_DEPTH)
      continue;
    char name[64], buf[512];
    snprintf(name, sizeof name, "%.20s/children", e->d_name);
    ssize_t n;
    if (atoi(e->d_name) == pid) { /* kept: a reading checks it */
      w->kids_fd[slot] = keep_open(dfd, name);
      n = read_kept(w->kids_fd[slot], dfd, name, buf, sizeof buf);
      w->kids[slot] = hash(buf, n);
    } else {
      n = read_small(dfd, name, buf, sizeof buf);
    }
    if (n <= 0)
      continue;
    if ((size_t)n == sizeof buf - 1) { /* full: the last pid may be cut */
      char *sp = strrchr(buf, ' ');
      *(sp ? sp : buf) = '\0';
    }
    pid_t kids[LAG_MAX_CHILDREN];
    size_t nk = parse_pids(buf, kids, LAG_MAX_CHILDREN);
    for (size_t k = 0; k < nk; k++)
      walk_tree(kids[k], depth + 1, w);
  }
  closedir(d);
  int64_t cpu = process_cpu_us(pid);
  if (cpu < 0)
    cpu = ran;
  const scn_proc *p = w->p;
  bool known = false;
  for (size_t i = 0; i < p->n_tree && !known; i++)
    if (p->tree[i] == pid) {
      known = true;
      if (cpu_own(p, i, cpu))
        w->grew.cpu_us += cpu - p->tree_cpu[i];
    }
  if (!known)
    w->grew.cpu_us += cpu;
  w->cpu[slot] = cpu;
}

static void walk(scn_proc *p, int64_t now) {
  tree_walk *w = calloc(1, sizeof *w);
  if (!w)
    return;
  w->p = p;
  walk_tree(p->pid, p->observed ? LAG_MAX_DEPTH : 0, w);
  /* Out of memory, nothing changes: the next reading walks again. */
  bool ok = !w->oom;
  for (size_t i = 0; i < p->n_thr; i++) {
    if (ok && !p->thr[i].taken)
      close_kept(p->thr[i].fd); /* ended */
    p->thr[i].taken = false;
  }
  for (size_t i = 0; i < w->n_thr; i++) {
    if (!ok && w->thr[i].fresh)
      close_kept(w->thr[i].fd);
    w->thr[i].fresh = false;
  }
  if (!ok) {
    for (size_t i = 0; i < w->n; i++)
      close_kept(w->kids_fd[i]);
    free(w->thr);
    free(w);
    return;
  }
  drop_kids(p);
  memcpy(p->tree_kids_fd, w->kids_fd, w->n * sizeof *p->tree_kids_fd);
  memcpy(p->tree_kids, w->kids, w->n * sizeof *p->tree_kids);
  free(p->thr);
  p->thr = w->thr;
  p->n_thr = w->n_thr;
  p->cap_thr = w->cap_thr;
  memcpy(p->tree, w->tree, w->n * sizeof *p->tree);
  memcpy(p->tree_cpu, w->cpu, w->n * sizeof *p->tree_cpu);
  for (size_t i = 0; i < w->n; i++)
    p->tree_cpu_at[i] = now; /* the walk found each one: its own figure */
  memcpy(p->tree_threads, w->threads, w->n * sizeof *p->tree_threads);
  p->n_tree = w->n;
  p->times.cpu_us += w->grew.cpu_us;
  p->times.wait_us += w->grew.wait_us;
  p->walk_at = now;
  free(w);
}

/* A reading of the threads the last walk found; false, having changed
 * nothing, when one ended or a process of the tree has a new one. */
static bool read_known(scn_proc *p, int64_t now) {
  if (!p->n_thr)
    return false;
  for (size_t i = 0; i < p->n_tree; i++) {
    char path[64];
    struct stat st;
    snprintf(path, sizeof path, "/proc/%d/task", (int)p->tree[i]);
    /* a /proc task folder's links: 2 and one per thread */
    if (stat(path, &st) != 0 || st.st_nlink != (nlink_t)p->tree_threads[i] + 2)
      return false;
    char buf[512], name[80];
    snprintf(name, sizeof name, "%s/%d/children", path, (int)p->tree[i]);
    if (p->tree_kids_fd[i] != -2 &&
        hash(buf, read_kept(p->tree_kids_fd[i], AT_FDCWD, name, buf,
                            sizeof buf)) != p->tree_kids[i])
      return false; /* a child born or gone */
  }
  int64_t ran[SCN_PROC_TREE_MAX] = {0};
  for (size_t i = 0; i < p->n_thr; i++) {
    scn_proc_thread *th = &p->thr[i];
    int64_t run;
    if (!read_thread(th, &run, &th->now_us))
      return false;
    for (size_t k = 0; k < p->n_tree; k++)
      if (p->tree[k] == th->pid)
        ran[k] += run;
  }
  for (size_t i = 0; i < p->n_thr; i++) {
    scn_proc_thread *th = &p->thr[i];
    p->times.wait_us += wait_growth(th->now_us, th->wait_us);
    th->wait_us = th->now_us;
  }
  for (size_t k = 0; k < p->n_tree; k++) {
    int64_t cpu = process_cpu_us(p->tree[k]);
    if (cpu < 0)
      cpu = ran[k];
    p->times.cpu_us += cpu_growth(p, k, cpu, now);
  }
  return true;
}

int64_t scn_proc_spawn_cpu_us(const scn_proc *p) {
  return p ? p->spawn_cpu_us : 0;
}

scn_proc *scn_proc_observe(pid_t pid) {
  scn_proc *p = pid > 0 ? calloc(1, sizeof *p) : NULL;
  if (!p)
    return NULL;
  p->pid = pid;
  p->observed = true;
  p->tree[0] = pid;
  p->tree_kids_fd[0] = -2;
  p->tree_cpu[0] = process_cpu_us(pid); /* from now on */
  p->n_tree = 1;
  p->born_at = p->tree_cpu_at[0] = ecsb_mono_host_us();
  p->walk_at = INT64_MIN / 2;
  return p;
}

scn_proc_times scn_forksrv_times_us(scn_forksrv *fs) {
  scn_proc_times none = {0, 0};
  return fs ? scn_proc_times_us(fs->proc) : none;
}

scn_proc_times scn_proc_times_us(scn_proc *p) {
  scn_proc_times none = {0, 0};
  if (!p)
    return none;
  if (!p->reaped) {
    int64_t now = ecsb_mono_host_us(), gap = (now - p->born_at) / 4;
    if (gap > LAG_REWALK_MAX_US)
      gap = LAG_REWALK_MAX_US;
    if (now - p->walk_at >= gap || !read_known(p, now))
      walk(p, now);
  }
  return p->times;
}

bool scn_proc_wait(scn_proc *p, int64_t timeout_ms, int *exit_code,
                   int *term_signal) {
  int64_t deadline = ecsb_mono_ms() + timeout_ms;
  int64_t nap = 1;
  for (;;) {
    if (scn_proc_poll(p, exit_code, term_signal))
      return true;
    int64_t left = deadline - ecsb_mono_ms();
    if (left <= 0)
      return false;
    ecsb_sleep_ms(nap < left ? nap : left, NULL);
    if (nap < 20)
      nap *= 2;
  }
}

bool scn_proc_stop(scn_proc *p, int64_t grace_ms) {
  if (!p || p->observed || scn_proc_poll(p, NULL, NULL))
    return false;
  scn_proc_signal(p, SIGTERM);
  if (scn_proc_wait(p, grace_ms, NULL, NULL))
    return false;
  scn_proc_signal(p, SIGKILL);
  scn_proc_wait(p, 10000, NULL, NULL);
  return true;
}

void scn_proc_free(scn_proc *p) {
  if (!p)
    return;
  if (!p->observed && !scn_proc_poll(p, NULL, NULL)) {
    scn_proc_signal(p, SIGKILL);
    scn_proc_wait(p, 10000, NULL, NULL);
  }
  unwatch(p);
  drop_kept(p);
  free(p);
}

int64_t scn_proc_cpu_us(scn_proc *p) {
  if (!p)
    return 0;
  if (!p->reaped) {
    /* A child of the container (not the runner's, so not kept as a zombie
     * for it) may have ended and its pid gone to another process since
     * it was read: cpu_growth() leaves such a figure out. */
    int64_t now = ecsb_mono_host_us();
    for (size_t i = 0; i < p->n_tree; i++)
      p->times.cpu_us += cpu_growth(p, i, process_cpu_us(p->tree[i]), now);
  }
  return p->times.cpu_us;
}
