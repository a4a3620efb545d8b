/*
 * exitwatch.c - a thread that waits on the children's pidfds and reports
 * each exit with its time (see scn/exitwatch.h).
 *
 * A registration is a slot: the pidfd, the callback, and a generation that
 * goes up when the slot is reused, so an epoll event that was already on
 * its way for a removed registration finds a different generation and is
 * dropped instead of calling back into something freed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ecsb/clock.h"
#include "scn/exitwatch.h"

#define STOP_ID UINT64_MAX
#define EVENTS_PER_WAKE 64

typedef struct slot {
  int fd; /* -1: free */
  uint32_t gen;
  bool fired;
  scn_exitwatch_fn fn;
  void *user;
} slot;

struct scn_exitwatch {
  int ep, stop_fd;
  pthread_t th;
  bool have_th;
  pthread_mutex_t mu; /* everything below */
  slot *s;
  uint32_t n, cap;
  uint32_t *free_idx;
  uint32_t n_free;
  uint64_t seen;
};

static uint64_t id_of(uint32_t idx, uint32_t gen) {
  return (uint64_t)gen << 32 | idx;
}

/* The slot an id still names, or NULL. Under mu. */
static slot *slot_of(scn_exitwatch *w, uint64_t id) {
  uint32_t idx = (uint32_t)(id & 0xffffffffu), gen = (uint32_t)(id >> 32);
  if (idx >= w->n || w->s[idx].fd < 0 || w->s[idx].gen != gen)
    return NULL;
  return &w->s[idx];
}

static void *watch_main(void *arg) {
  scn_exitwatch *w = arg;
  for (;;) {
    struct epoll_event ev[EVENTS_PER_WAKE];
    int n = epoll_wait(w->ep, ev, EVENTS_PER_WAKE, -1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return NULL; /* cannot happen with a valid epoll fd */
    int64_t at = ecsb_mono_us();
    bool stop = false;
    pthread_mutex_lock(&w->mu);
    for (int i = 0; i < n; i++) {
      if (ev[i].data.u64 == STOP_ID) {
        stop = true;
        continue;
      }
      slot *s = slot_of(w, ev[i].data.u64);
      if (!s || s->fired)
        continue;
      s->fired = true;
      epoll_ctl(w->ep, EPOLL_CTL_DEL, s->fd, NULL);
      w->seen++;
      s->fn(s->user, at);
    }
    pthread_mutex_unlock(&w->mu);
    if (stop)
      return NULL;
  }
}

int scn_exitwatch_new(scn_exitwatch **out, ecsb_err *err) {
  *out = NULL;
  scn_exitwatch *w = calloc(1, sizeof *w);
  if (!w)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  int rc = 0;
  w->ep = w->stop_fd = -1;
  pthread_mutex_init(&w->mu, NULL);
  w->ep = epoll_create1(EPOLL_CLOEXEC);
  w->stop_fd = eventfd(0, EFD_CLOEXEC);
  if (w->ep < 0 || w->stop_fd < 0) {
    rc = ecsb_err_set(err, ECSB_EIO, "exit watcher: epoll/eventfd: %s",
                      strerror(errno));
    goto fail;
  }
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = STOP_ID};
  if (epoll_ctl(w->ep, EPOLL_CTL_ADD, w->stop_fd, &ev) != 0) {
    rc = ecsb_err_set(err, ECSB_EIO, "exit watcher: epoll_ctl: %s",
                      strerror(errno));
    goto fail;
  }
  int e = pthread_create(&w->th, NULL, watch_main, w);
  if (e) {
    rc = ecsb_err_set(err, ECSB_EIO, "exit watcher: thread: %s", strerror(e));
    goto fail;
  }
  w->have_th = true;
  *out = w;
  return 0;
fail:
  scn_exitwatch_free(w);
  return rc;
}

static int grow(scn_exitwatch *w, ecsb_err *err) {
  uint32_t cap = w->cap ? w->cap * 2 : 64;
  slot *s = realloc(w->s, cap * sizeof *s);
  if (!s)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  w->s = s;
  uint32_t *f = realloc(w->free_idx, cap * sizeof *f);
  if (!f)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  w->free_idx = f;
  w->cap = cap;
  return 0;
}

int scn_exitwatch_add(scn_exitwatch *w, pid_t pid, scn_exitwatch_fn fn,
                      void *user, uint64_t *id, ecsb_err *err) {
  *id = 0;
#ifdef SYS_pidfd_open
  int fd = (int)syscall(SYS_pidfd_open, pid, 0); /* close-on-exec */
#else
  int fd = -1;
  errno = ENOSYS;
#endif
  if (fd < 0)
    return ecsb_err_set(err, ECSB_ESTATE, "exit watcher: pidfd_open %d: %s",
                        (int)pid, strerror(errno));
  int rc = 0;
  pthread_mutex_lock(&w->mu);
  uint32_t idx = 0;
  if (w->n_free)
    idx = w->free_idx[--w->n_free];
  else if (w->n < w->cap || !(rc = grow(w, err)))
    w->s[idx = w->n++].gen = 0; /* a fresh slot */
  if (rc) {
    pthread_mutex_unlock(&w->mu);
    close(fd);
    return rc;
  }
  slot *s = &w->s[idx];
  uint32_t gen = s->gen + 1 ? s->gen + 1 : 1; /* 0 never names a slot */
  *s = (slot){.fd = fd, .gen = gen, .fn = fn, .user = user};
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = id_of(idx, gen)};
  if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
    rc = ecsb_err_set(err, ECSB_EIO, "exit watcher: epoll_ctl: %s",
                      strerror(errno));
    s->fd = -1;
    w->free_idx[w->n_free++] = idx;
    pthread_mutex_unlock(&w->mu);
    close(fd);
    return rc;
  }
  *id = id_of(idx, gen);
  pthread_mutex_unlock(&w->mu);
  return 0;
}

void scn_exitwatch_remove(scn_exitwatch *w, uint64_t id) {
  if (!w || !id)
    return;
  pthread_mutex_lock(&w->mu);
  slot *s = slot_of(w, id);
  if (s) {
    if (!s->fired)
      epoll_ctl(w->ep, EPOLL_CTL_DEL, s->fd, NULL);
    close(s->fd);
    s->fd = -1;
    w->free_idx[w->n_free++] = (uint32_t)(id & 0xffffffffu);
  }
  pthread_mutex_unlock(&w->mu);
}

uint64_t scn_exitwatch_seen(scn_exitwatch *w) {
  pthread_mutex_lock(&w->mu);
  uint64_t v = w->seen;
  pthread_mutex_unlock(&w->mu);
  return v;
}

void scn_exitwatch_free(scn_exitwatch *w) {
  if (!w)
    return;
  if (w->have_th) {
    uint64_t one = 1;
    ssize_t n = write(w->stop_fd, &one, sizeof one);
    (void)n; /* an eventfd counter cannot overflow from one write */
    pthread_join(w->th, NULL);
  }
  for (uint32_t i = 0; i < w->n; i++)
    if (w->s[i].fd >= 0)
      close(w->s[i].fd);
  if (w->ep >= 0)
    close(w->ep);
  if (w->stop_fd >= 0)
    close(w->stop_fd);
  pthread_mutex_destroy(&w->mu);
  free(w->s);
  free(w->free_idx);
  free(w);
}
