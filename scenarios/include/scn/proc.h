/*
 * proc.h - child processes for simulated containers.
 *
 * Owns: spawning a program with an explicit argv and environment (never a
 * shell, never a command string), stdout+stderr appended to a per-container
 * log file, each child in its own process group (so a container's own
 * children are signalled with it), and reaping. It does not decide WHEN to
 * start or stop anything; the runner does, following fake-ecs's engine.
 *
 * Not thread-safe: one runner thread owns its processes. Reaping uses
 * waitpid on the specific pid, so it coexists with other children of the
 * process (e.g. a test harness).
 */
#ifndef SCN_PROC_H
#define SCN_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "ecsb/err.h"
#include "scn/exitwatch.h"

typedef struct scn_proc scn_proc;
typedef struct scn_forksrv scn_forksrv;

typedef struct scn_spawn_opts {
  const char *const *argv; /* argv[0] is the program; PATH is not searched
                              unless it has no '/' */
  const char *const *envp; /* full environment; NULL: an empty one */
  const char *cwd;         /* NULL: the runner's */
  const char *log_path;    /* stdout+stderr appended here; NULL: /dev/null */
  /* when argv[0] is this server's program: started by it, without an
   * exec (ecsb/forkserve.h). A failed chdir is an error as for a spawn;
   * what the server cannot start (a request too big, clone refused) is
   * exec'd, and a server that stopped answering is not asked again. */
  scn_forksrv *via;
  /* when set, on_exit(on_exit_user, time) is called from the watcher's
   * thread as the child ends (scn/exitwatch.h), until it is reaped or
   * freed; a kernel without pidfds calls nothing */
  scn_exitwatch *watch;
  scn_exitwatch_fn on_exit;
  void *on_exit_user;
} scn_spawn_opts;

int scn_proc_spawn(const scn_spawn_opts *o, scn_proc **out, ecsb_err *err);
pid_t scn_proc_pid(const scn_proc *p);

/* Signals the child's whole process group. Returns 0, or ECSB_ESTATE when
 * the child was already reaped. */
int scn_proc_signal(scn_proc *p, int sig);

/* Non-blocking: true once the child has exited (and was reaped). Then
 * *exit_code is its exit status (0-255) or -1 when a signal ended it, and
 * *term_signal the signal (0 for a normal exit). Either pointer may be NULL. */
bool scn_proc_poll(scn_proc *p, int *exit_code, int *term_signal);

/* Host time of the child's threads, and its children's, so far (from
 * /proc's schedstat and each process's CPU clock): cpu_us on a CPU,
 * wait_us runnable but waiting for one; each the sum of what every thread
 * or process was seen to add, so one that ended keeps its share. Cheap
 * between walks of /proc (proc.c, "host time"). The figures are kept when
 * the child is reaped (they are read while it is still a zombie); 0 where
 * /proc has no schedstat. */
typedef struct scn_proc_times {
  int64_t cpu_us;
  int64_t wait_us;
} scn_proc_times;
scn_proc_times scn_proc_times_us(scn_proc *p);
/* The processes of a tree scn_proc_times_us walks at most. */
#define SCN_PROC_TREE_MAX 16
/* The CPU part alone, cheaply: the CPU clocks of the processes the last
 * walk found in the tree (one system call each, where scn_proc_times_us
 * reads a file for every thread), so the runner can charge a container's
 * start-up CPU while it happens. It adds to the same sum as
 * scn_proc_times_us; a child born since that walk counts from the next
 * one. */
int64_t scn_proc_cpu_us(scn_proc *p);
/* The CPU time the fork server spent starting p (0 when it was exec'd):
 * work for p's start that p's own figures do not hold. */
int64_t scn_proc_spawn_cpu_us(const scn_proc *p);
/* A process that is not the caller's child (the runner itself), read by
 * scn_proc_times_us for its own threads alone (a runner's children are its
 * containers); its CPU counts from this call, its waits from its start.
 * Polling and signalling it do nothing; scn_proc_free lets it go. NULL when
 * out of memory. */
scn_proc *scn_proc_observe(pid_t pid);

/* Raises the caller's soft limit on open files to SCN_PROC_NOFILE, or to
 * the hard limit when that is lower, and never lowers it. The runner keeps
 * a /proc file open for each thread it samples (a quarter of the limit at
 * most), which Debian's default soft limit of 1024 holds for some 20
 * tasks; its containers inherit the limit, Fargate's default for every
 * container. Returns the soft limit now, 0 when it cannot be read. */
#define SCN_PROC_NOFILE 65535
rlim_t scn_proc_raise_nofile(void);

/* Waits up to timeout_ms for exit; returns true when it exited. */
bool scn_proc_wait(scn_proc *p, int64_t timeout_ms, int *exit_code,
                   int *term_signal);

/* SIGTERM, wait up to grace_ms, then SIGKILL and reap. Returns true when
 * SIGKILL was needed. Safe on an already-exited child. */
bool scn_proc_stop(scn_proc *p, int64_t grace_ms);

/* Kills (SIGKILL to the group) if still running, reaps, frees. NULL is
 * fine. Guarantees no child outlives its scn_proc. */
void scn_proc_free(scn_proc *p);

/* A fork server: prog (a path, as the containers' argv[0] names it)
 * started as `prog serve-forks`, which then starts each container of that
 * program as a copy of itself, its libraries already loaded: the same
 * process a spawn would give (the caller's child, its own process group,
 * the log as stdout and stderr) for a fraction of the CPU. Freeing it
 * ends the server; the processes it started are the caller's. */
int scn_forksrv_start(const char *prog, scn_forksrv **out, ecsb_err *err);
const char *scn_forksrv_prog(const scn_forksrv *fs);
/* The server's pid, the containers it started, and whether it still
 * answers. */
pid_t scn_forksrv_pid(const scn_forksrv *fs);
/* The fork server's own host time, as scn_proc_times_us (its copies are
 * not its children). */
scn_proc_times scn_forksrv_times_us(scn_forksrv *fs);
size_t scn_forksrv_started(const scn_forksrv *fs);
bool scn_forksrv_alive(const scn_forksrv *fs);
void scn_forksrv_free(scn_forksrv *fs);

/* The guardian: a small process that SIGKILLs every container's process
 * group still running when the runner ends in any way, SIGKILL included.
 * Start it before any thread exists (it forks); from then on every spawn
 * and reap is reported to it. Stop it after every child was reaped. */
typedef struct scn_guard {
  pid_t pid;
  int fd;
} scn_guard;
int scn_proc_guard_start(scn_guard *g, ecsb_err *err);
void scn_proc_guard_stop(scn_guard *g);

/* Orphans: a container's own child whose parent died (envoy under a
 * killed envoy-entrypoint, in a process group of its own) comes to the
 * runner instead of init (PR_SET_CHILD_SUBREAPER), so the run can end
 * them before its addresses are free for the next run: a dying orphan
 * still listening on a task's port would make the next run's bind fail.
 * Begin before the first spawn; end after every process the run knows of
 * was reaped: it SIGKILLs and reaps every child that came since begin and
 * waits at most max_ms for them, then gives up being a subreaper unless
 * it was one before. Returns how many were still alive. One run at a
 * time in a process: the end takes every child that is not the caller's
 * from before the begin. */
typedef struct scn_adopt {
  bool was_reaper, on;
  pid_t *before; /* the children the caller had at begin: not ours */
  size_t n_before;
} scn_adopt;
int scn_proc_adopt_begin(scn_adopt *a, ecsb_err *err);
size_t scn_proc_adopt_end(scn_adopt *a, int64_t max_ms);

#endif
