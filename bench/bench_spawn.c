/*
 * bench_spawn.c - the floor for starting a container: posix_spawn of
 * /bin/true and waitpid, averaged over N runs; prints milliseconds per
 * start. bench/runner.sh divides the runner's cost per container by it.
 *
 *   bench_spawn [N]
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 500;
  if (n < 1)
    n = 1;
  char *args[] = {"/bin/true", NULL};
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (int i = 0; i < n; i++) {
    pid_t pid;
    if (posix_spawn(&pid, "/bin/true", NULL, NULL, args, environ) != 0)
      return 1;
    int st;
    waitpid(pid, &st, 0);
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  double ms = ((double)(b.tv_sec - a.tv_sec) * 1e3 +
               (double)(b.tv_nsec - a.tv_nsec) / 1e6) /
              n;
  printf("%.3f\n", ms);
  return 0;
}
