/*
 * entry_child.c - the stand-in proxy the envoy-entrypoint tests run as the
 * entrypoint's child. No shell, no libraries: it records what happened to
 * it, one line per event, in a file the test reads.
 *
 *   entry_child RECORD [--exit-now N] [--term-exit N] [--ignore-term]
 *                      [--raise SIG]
 *
 * Lines: "ready pid=P pgid=G" at start, then the name of each signal it
 * receives (TERM, INT, HUP, QUIT, USR1, USR2), then "exit N". SIGTERM makes
 * it exit with --term-exit (default 0) unless --ignore-term. --exit-now N
 * exits with N right after "ready"; --raise SIG dies of signal SIG. An
 * alarm ends it after 60 s so a failed test never leaves it behind.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int g_fd = -1;
static volatile sig_atomic_t g_term;
static bool g_ignore_term;

static void put(const char *s) {
  ssize_t n = write(g_fd, s, strlen(s));
  (void)n;
}

static void on_signal(int sig) {
  switch (sig) {
  case SIGTERM:
    put("TERM\n");
    if (!g_ignore_term)
      g_term = 1;
    break;
  case SIGINT:
    put("INT\n");
    break;
  case SIGHUP:
    put("HUP\n");
    break;
  case SIGQUIT:
    put("QUIT\n");
    break;
  case SIGUSR1:
    put("USR1\n");
    break;
  case SIGUSR2:
    put("USR2\n");
    break;
  }
}

int main(int argc, char **argv) {
  if (argc < 2)
    return 2;
  int exit_now = -1, term_exit = 0, raise_sig = 0;
  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "--exit-now") && i + 1 < argc)
      exit_now = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--term-exit") && i + 1 < argc)
      term_exit = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--raise") && i + 1 < argc)
      raise_sig = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--ignore-term"))
      g_ignore_term = true;
    else
      return 2;
  }
  g_fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (g_fd < 0)
    return 2;
  /* Handlers first, "ready" second: a test signals only after "ready". */
  sigset_t block, old;
  sigemptyset(&block);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigfillset(&sa.sa_mask);
  int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
    sigaction(sigs[i], &sa, NULL);
    sigaddset(&block, sigs[i]);
  }
  alarm(60);
  char line[96];
  snprintf(line, sizeof line, "ready pid=%ld pgid=%ld\n", (long)getpid(),
           (long)getpgrp());
  put(line);
  if (exit_now >= 0) {
    snprintf(line, sizeof line, "exit %d\n", exit_now);
    put(line);
    return exit_now;
  }
  if (raise_sig > 0) {
    signal(raise_sig, SIG_DFL);
    raise(raise_sig);
  }
  /* Race-free wait: the flag is checked with the signals blocked and
   * sigsuspend unblocks them atomically. */
  sigprocmask(SIG_BLOCK, &block, &old);
  while (!g_term)
    sigsuspend(&old);
  snprintf(line, sizeof line, "exit %d\n", term_exit);
  put(line);
  return term_exit;
}
