/*
 * taskclock.c - the task clock file (see ecsb/taskclock.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ecsb/clock.h"
#include "ecsb/taskclock.h"

/* The file: the lag, the task time the clock is held at (0: not held),
 * the host time the task's processes were blocked on their own disk
 * writes, then the lease (host time past which the clock stands; 0:
 * none). */
#define FILE_SIZE (4 * sizeof(int64_t))

struct ecsb_taskclock {
  int64_t *lag; /* the mapped file: lag[0] the lag, lag[1] the hold,
                   lag[2] the blocked time, lag[3] the lease */
  int64_t last; /* the largest task time handed out, in us */
};

static int map(const char *path, bool create, ecsb_taskclock **out,
               ecsb_err *err) {
  *out = NULL;
  /* a task's process writes too: the time it was blocked */
  int fd =
      open(path,
           create ? O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC : O_RDWR | O_CLOEXEC,
           0644);
  if (fd < 0)
    return ecsb_err_set(err, ECSB_EIO, "task clock %s: %s", path,
                        strerror(errno));
  struct stat st;
  if (create && ftruncate(fd, FILE_SIZE) != 0) {
    int e = errno;
    close(fd);
    return ecsb_err_set(err, ECSB_EIO, "task clock %s: %s", path, strerror(e));
  }
  if (!create && (fstat(fd, &st) != 0 || st.st_size != FILE_SIZE)) {
    close(fd);
    return ecsb_err_set(err, ECSB_EINVAL,
                        "task clock %s: not a clock file (%d bytes expected)",
                        path, (int)FILE_SIZE);
  }
  void *m = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  int e = errno;
  close(fd);
  if (m == MAP_FAILED)
    return ecsb_err_set(err, ECSB_EIO, "task clock %s: mmap: %s", path,
                        strerror(e));
  ecsb_taskclock *c = calloc(1, sizeof *c);
  if (!c) {
    munmap(m, FILE_SIZE);
    return ecsb_err_set(err, ECSB_ENOMEM, "task clock %s: out of memory", path);
  }
  c->lag = m;
  *out = c;
  return 0;
}

int ecsb_taskclock_create(const char *path, ecsb_taskclock **out,
                          ecsb_err *err) {
  return map(path, true, out, err);
}

int ecsb_taskclock_open(const char *path, ecsb_taskclock **out, ecsb_err *err) {
  return map(path, false, out, err);
}

void ecsb_taskclock_set_lag_us(ecsb_taskclock *c, int64_t lag_us) {
  if (c && lag_us > __atomic_load_n(c->lag, __ATOMIC_RELAXED))
    __atomic_store_n(c->lag, lag_us, __ATOMIC_RELEASE);
}

int64_t ecsb_taskclock_lag_us(const ecsb_taskclock *c) {
  return c ? __atomic_load_n(c->lag, __ATOMIC_ACQUIRE) : 0;
}

void ecsb_taskclock_add_blocked_us(ecsb_taskclock *c, int64_t us) {
  if (c && us > 0)
    __atomic_fetch_add(&c->lag[2], us, __ATOMIC_RELEASE);
}

int64_t ecsb_taskclock_blocked_us(const ecsb_taskclock *c) {
  return c ? __atomic_load_n(&c->lag[2], __ATOMIC_ACQUIRE) : 0;
}

void ecsb_taskclock_hold(ecsb_taskclock *c, int64_t task_us) {
  if (!c || task_us <= 0)
    return;
  int64_t cur = __atomic_load_n(&c->lag[1], __ATOMIC_RELAXED);
  while ((cur == 0 || task_us < cur) &&
         !__atomic_compare_exchange_n(&c->lag[1], &cur, task_us, true,
                                      __ATOMIC_RELEASE, __ATOMIC_RELAXED))
    ;
}

/* The low half of a word that a futex waits on: a futex is 32 bits. A
 * hold of X becomes 0 on release, so that half changes unless it was 0
 * already, and then the wake below still ends the wait; a lease renewed
 * moves by less than 2^32 us (71 minutes), so its low half changes. */
static uint32_t *futex_word(const ecsb_taskclock *c, int i) {
  uint32_t *w = (uint32_t *)(void *)&c->lag[i];
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  w++;
#endif
  return w;
}

static void futex_wake(const ecsb_taskclock *c, int i) {
  /* The file is shared between processes: a shared (not private) futex. */
  syscall(SYS_futex, futex_word(c, i), FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

void ecsb_taskclock_wake(ecsb_taskclock *c) {
  if (c) {
    futex_wake(c, 1);
    futex_wake(c, 3);
  }
}

void ecsb_taskclock_set_lease(ecsb_taskclock *c, int64_t until_us) {
  if (!c)
    return;
  int64_t was = __atomic_exchange_n(&c->lag[3], until_us, __ATOMIC_RELEASE);
  /* only an expired lease has waiters: a wake per renewal would be a
   * system call per sample of every task */
  if (was && was <= ecsb_mono_host_us())
    futex_wake(c, 3);
}

int64_t ecsb_taskclock_lease(const ecsb_taskclock *c) {
  return c ? __atomic_load_n(&c->lag[3], __ATOMIC_ACQUIRE) : 0;
}

int64_t ecsb_taskclock_leased(const ecsb_taskclock *c, int64_t host_us) {
  int64_t lease = ecsb_taskclock_lease(c);
  return lease && lease < host_us ? lease : host_us;
}

void ecsb_taskclock_release(ecsb_taskclock *c) {
  if (!c)
    return;
  __atomic_store_n(&c->lag[1], 0, __ATOMIC_RELEASE);
  futex_wake(c, 1);
}

bool ecsb_taskclock_wait_release(ecsb_taskclock *c, int64_t max_us) {
  if (!c || max_us <= 0)
    return false;
  int i = 1;
  int64_t seen = ecsb_taskclock_held_at(c);
  if (!seen) {
    seen = ecsb_taskclock_lease(c);
    if (!seen || ecsb_mono_host_us() < seen)
      return false;
    i = 3;
  }
  uint32_t want = __atomic_load_n(futex_word(c, i), __ATOMIC_ACQUIRE);
  if (__atomic_load_n(&c->lag[i], __ATOMIC_ACQUIRE) != seen)
    return true;
  struct timespec ts = {.tv_sec = (time_t)(max_us / 1000000),
                        .tv_nsec = (long)(max_us % 1000000) * 1000L};
  syscall(SYS_futex, futex_word(c, i), FUTEX_WAIT, want, &ts, NULL, 0);
  return true;
}

int64_t ecsb_taskclock_held_at(const ecsb_taskclock *c) {
  return c ? __atomic_load_n(&c->lag[1], __ATOMIC_ACQUIRE) : 0;
}

int64_t ecsb_taskclock_now_us(ecsb_taskclock *c) {
  if (!c)
    return ecsb_mono_host_us();
  /* The lag may grow by more than the time since the last read (the
   * runner charges a stall after the fact): hold the clock still then
   * rather than letting a timer see time run backwards. The hold and the
   * lease are read before the lag: the runner raises the lag before it
   * releases or renews. */
  int64_t held = ecsb_taskclock_held_at(c);
  int64_t v = held ? held
                   : ecsb_taskclock_leased(c, ecsb_mono_host_us()) -
                         ecsb_taskclock_lag_us(c);
  int64_t last = __atomic_load_n(&c->last, __ATOMIC_RELAXED);
  while (v > last &&
         !__atomic_compare_exchange_n(&c->last, &last, v, true,
                                      __ATOMIC_RELAXED, __ATOMIC_RELAXED))
    ;
  return v > last ? v : last;
}

int64_t ecsb_taskclock_host_wait_us(const ecsb_taskclock *c, int64_t task_us) {
  int64_t host = ecsb_mono_host_us();
  if (!c)
    return task_us - host;
  int64_t held = ecsb_taskclock_held_at(c);
  if (held)
    return task_us - held;
  return task_us - (ecsb_taskclock_leased(c, host) - ecsb_taskclock_lag_us(c));
}

int64_t ecsb_taskclock_now_ms(ecsb_taskclock *c) {
  return ecsb_taskclock_now_us(c) / 1000;
}

int ecsb_taskclock_follow_env(ecsb_taskclock **out, ecsb_err *err) {
  *out = NULL;
  const char *path = getenv(ECSB_TASK_CLOCK_ENV);
  if (!path || !*path)
    return 0;
  int rc = ecsb_taskclock_open(path, out, err);
  if (rc)
    return ecsb_err_prefix(err, ECSB_TASK_CLOCK_ENV);
  ecsb_clock_follow(*out);
  return 0;
}

void ecsb_taskclock_free(ecsb_taskclock *c) {
  if (!c)
    return;
  munmap(c->lag, FILE_SIZE);
  free(c);
}
