/*
 * forkserve.h - a program's commands started without exec (owns the
 * request and reply formats between `ecsboot run` and a program serving
 * forks, and the serving loop).
 *
 * A replay starts hundreds of short processes from two programs
 * (ecsboot-init and ecsboot's consul-client stand-in). Each exec of them
 * costs 13-30 ms of CPU before main: the dynamic loader maps and relocates
 * libcurl's 30 libraries. At time_scale 0.01 that is seconds of scenario
 * time per container, and its jitter is most of a milestone's spread from
 * run to run. A program started once as `PROG serve-forks` (its libraries
 * already loaded and relocated) instead starts each container on request
 * as a copy of itself that runs the command's main as exec would.
 *
 * The copy is created with clone(CLONE_PARENT): its parent is the runner,
 * not the server, so the runner reaps it, signals its process group and
 * reads its scheduler statistics exactly as for a process it spawned.
 *
 * Protocol, over a SOCK_SEQPACKET socket the runner passes as descriptor
 * ECSB_FORKSERVE_FD: a request is one message, a 16-byte header (magic,
 * argc, envc, length of what follows, each a native uint32) then cwd, the
 * argc arguments and the envc environment entries, each NUL-terminated
 * (an empty cwd: the server's), with the container's log descriptor
 * attached (SCM_RIGHTS; stdout and stderr go there, stdin is /dev/null).
 * The reply is an ecsb_forkserve_reply. Before the first request the
 * server sends one with pid 0 and what "ready", once its set-up is done.
 * The server ends at the socket's end of file.
 */
#ifndef ECSB_FORKSERVE_H
#define ECSB_FORKSERVE_H

#include <stdint.h>

#include "ecsb/err.h"

/* The subcommand of ecsboot-init and ecsboot that serves forks. */
#define ECSB_FORKSERVE_COMMAND "serve-forks"
/* The descriptor the socket is given as. */
#define ECSB_FORKSERVE_FD 3
#define ECSB_FORKSERVE_MAGIC 0x65636662u /* "ecfb" */
/* Largest request: arguments and environment together. */
#define ECSB_FORKSERVE_MAX (256 * 1024)

typedef struct ecsb_forkserve_reply {
  int32_t pid;   /* the started process; 0 when none was started */
  int32_t err;   /* 0, or the errno of what failed (chdir, clone, ...) */
  char what[56]; /* what failed, e.g. "chdir /tmp/x" (truncated) */
  /* the server's CPU time on the request (us): work for the start of the
   * copy that the copy's own figures do not hold (a replay charges it to
   * the copy's task as host lag) */
  int64_t cpu_us;
} ecsb_forkserve_reply;

/* The command a started copy runs: the program's own dispatch, given the
 * request's argv. Its return value is the process's exit status. */
typedef int (*ecsb_forkserve_fn)(int argc, char **argv);

/* Serves requests on fd until its end of file; returns 0 then, or an
 * error when the socket fails. Call it single-threaded (it clones). In
 * each started copy, run_main's return value goes to exit(). */
int ecsb_forkserve_run(int fd, ecsb_forkserve_fn run_main, ecsb_err *err);

/* What a server sets up once, for every copy, before it serves (curl's
 * global set-up: OpenSSL's configuration); NULL when nothing. 0 or an
 * error. */
typedef int (*ecsb_forkserve_init_fn)(ecsb_err *err);

/* A program's main calls this first. When argv is `PROG serve-forks`: runs
 * init, serves on ECSB_FORKSERVE_FD until its end of file and returns the
 * exit status (0, or 1 after a message on stderr that names prog).
 * Otherwise -1: run argv as usual. */
int ecsb_forkserve_main(int argc, char **argv, const char *prog,
                        ecsb_forkserve_init_fn init,
                        ecsb_forkserve_fn run_main);

#endif
