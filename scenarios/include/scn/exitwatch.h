/*
 * exitwatch.h - when child processes end, seen by a thread of its own
 * (owns the watcher thread, its pidfds and their registrations).
 *
 * The runner's loop reaps a container only when it gets to it; in a fleet
 * one pass over hundreds of tasks can take seconds, and the time between
 * a container's exit and its reaping is the runner's, not the task's
 * (run_lag.c charges it as host lag). A thread that does nothing but wait
 * on the children's pidfds sees each exit within a scheduling delay and
 * calls back with the time, while the loop is busy elsewhere. It never
 * reaps: waitpid stays with scn_proc.
 *
 * Where the kernel has no pidfd (before Linux 5.3) scn_exitwatch_add
 * fails with ECSB_ESTATE and nothing is watched.
 */
#ifndef SCN_EXITWATCH_H
#define SCN_EXITWATCH_H

#include <stdint.h>
#include <sys/types.h>

#include "ecsb/err.h"

typedef struct scn_exitwatch scn_exitwatch;

/* Called on the watcher's thread, at most once per registration, with
 * ecsb_mono_us when the exit was seen. It runs under the watcher's lock:
 * keep it short (an atomic store, a wake-up) and never call the watcher. */
typedef void (*scn_exitwatch_fn)(void *user, int64_t exited_mono_us);

int scn_exitwatch_new(scn_exitwatch **out, ecsb_err *err);
/* Watches pid, a child of the caller not yet reaped (a zombie is seen at
 * once). *id names the registration for scn_exitwatch_remove. */
int scn_exitwatch_add(scn_exitwatch *w, pid_t pid, scn_exitwatch_fn fn,
                      void *user, uint64_t *id, ecsb_err *err);
/* Ends a registration (fired or not): once it returns, its callback is not
 * running and never will. An id already removed is ignored. */
void scn_exitwatch_remove(scn_exitwatch *w, uint64_t id);
/* Exits seen so far (for tests and figures). */
uint64_t scn_exitwatch_seen(scn_exitwatch *w);
/* Stops the thread and closes every pidfd. NULL is fine. */
void scn_exitwatch_free(scn_exitwatch *w);

#endif
