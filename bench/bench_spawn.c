/*
 * bench_spawn.c - what starting a process costs: posix_spawn and waitpid
 * N times, output to /dev/null. Without PROGRAM it runs /bin/true and
 * prints the wall milliseconds per start (the floor bench/runner.sh
 * divides the runner's cost per container by). With PROGRAM it prints the
 * wall and CPU milliseconds per start of that command (the CPU its
 * processes used, user + system, from RUSAGE_CHILDREN), which is how a
 * stand-in's start-up is compared with the harness program's
 * (docs/performance.md). With --fork-server, PROGRAM is started as
 * `PROGRAM serve-forks` once and each command is a copy from it, as
 * `ecsboot run` starts ecsboot-init's and ecsboot's containers (scn/proc.h);
 * the server's own CPU is counted too.
 *
 *   bench_spawn [--fork-server] [N] [PROGRAM [ARG...]]
 */
#include <fcntl.h>
#include <stdbool.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scn/proc.h"

extern char **environ;

static double tv_ms(struct timeval t) {
  return (double)t.tv_sec * 1e3 + (double)t.tv_usec / 1e3;
}

int main(int argc, char **argv) {
  scn_forksrv *fs = NULL;
  bool via = argc > 1 && strcmp(argv[1], "--fork-server") == 0;
  if (via) {
    argc--;
    argv++;
  }
  int n = argc > 1 ? atoi(argv[1]) : 500;
  if (n < 1)
    n = 1;
  char *dflt[] = {"/bin/true", NULL};
  char **args = argc > 2 ? argv + 2 : dflt;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  struct rusage ra, rb;
  getrusage(RUSAGE_CHILDREN, &ra);
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  ecsb_err err = {0};
  if (via && scn_forksrv_start(args[0], &fs, &err) != 0) {
    fprintf(stderr, "bench_spawn: %s\n", err.msg);
    return 1;
  }
  for (int i = 0; via && i < n; i++) {
    scn_spawn_opts o = {.argv = (const char *const *)args,
                        .envp = (const char *const *)environ,
                        .via = fs};
    scn_proc *p = NULL;
    if (scn_proc_spawn(&o, &p, &err) != 0) {
      fprintf(stderr, "bench_spawn: %s\n", err.msg);
      return 1;
    }
    scn_proc_wait(p, 60000, NULL, NULL);
    scn_proc_free(p);
  }
  if (via && scn_forksrv_started(fs) != (size_t)n) {
    fprintf(stderr, "bench_spawn: the fork server started %zu of %d\n",
            scn_forksrv_started(fs), n);
    return 1;
  }
  scn_forksrv_free(fs);
  for (int i = 0; !via && i < n; i++) {
    pid_t pid;
    if (posix_spawnp(&pid, args[0], &fa, NULL, args, environ) != 0) {
      fprintf(stderr, "bench_spawn: cannot start %s\n", args[0]);
      return 1;
    }
    int st;
    waitpid(pid, &st, 0);
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  getrusage(RUSAGE_CHILDREN, &rb);
  posix_spawn_file_actions_destroy(&fa);
  double ms = ((double)(b.tv_sec - a.tv_sec) * 1e3 +
               (double)(b.tv_nsec - a.tv_nsec) / 1e6) /
              n;
  if (argc <= 2) {
    printf("%.3f\n", ms);
    return 0;
  }
  double cpu = (tv_ms(rb.ru_utime) - tv_ms(ra.ru_utime) + tv_ms(rb.ru_stime) -
                tv_ms(ra.ru_stime)) /
               n;
  const char *base = strrchr(args[0], '/');
  printf("%s%s%s%s: wall %.3f ms, CPU %.3f ms per start (%d starts)\n",
         base ? base + 1 : args[0], args[1] ? " " : "", args[1] ? args[1] : "",
         via ? " (fork server)" : "", ms, cpu, n);
  return 0;
}
