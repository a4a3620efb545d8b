/*
 * run_probe.c - TCP and HTTP health-check probes on worker threads, so a
 * slow or hanging probe (an app that accepts and never answers) never
 * holds up the loop or the other tasks. Each probe is bounded by its
 * health check's timeout. A result wakes the loop through scn_run_wake.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/clock.h"
#include "ecsb/probe.h"
#include "run_internal.h"

typedef struct job {
  struct job *next;
  int ti;
  size_t ci;
  scn_probe_kind kind;
  char target[600]; /* host:port or URL */
  long timeout_ms;
  int64_t delay_ms;
  bool ok;
  int64_t done_at; /* ecsb_mono_us when the answer came */
} job;

struct scn_run_probes {
  scn_runner *r;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  job *todo, *todo_tail, *done;
  bool stopping;
  pthread_t *th;
  unsigned n_th;
};

static void *worker(void *arg) {
  scn_run_probes *p = arg;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (!p->todo && !p->stopping)
      pthread_cond_wait(&p->cv, &p->mu);
    if (p->stopping)
      break;
    job *j = p->todo;
    p->todo = j->next;
    if (!p->todo)
      p->todo_tail = NULL;
    pthread_mutex_unlock(&p->mu);
    /* slow_accept: the connection is answered this much later; a probe
     * whose timeout is shorter fails, as it would against the real
     * listener. */
    if (j->delay_ms > 0) {
      int64_t d = j->delay_ms < j->timeout_ms ? j->delay_ms : j->timeout_ms;
      ecsb_sleep_ms(d, NULL);
    }
    ecsb_err e = {0};
    if (j->delay_ms >= j->timeout_ms)
      j->ok = false;
    else if (j->kind == SCN_PROBE_TCP)
      j->ok = ecsb_probe_tcp(j->target, j->timeout_ms - j->delay_ms, &e) == 0;
    else
      j->ok = ecsb_probe_http(j->target, NULL, j->timeout_ms - j->delay_ms,
                              NULL, &e) == 0;
    j->done_at = ecsb_mono_us();
    pthread_mutex_lock(&p->mu);
    j->next = p->done;
    p->done = j;
    scn_run_wake(p->r);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

int scn_run_probes_new(scn_runner *r, unsigned threads, scn_run_probes **out,
                       ecsb_err *err) {
  scn_run_probes *p = calloc(1, sizeof *p);
  if (!p || !(p->th = calloc(threads, sizeof *p->th))) {
    free(p);
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  }
  p->r = r;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
  for (; p->n_th < threads; p->n_th++)
    if (pthread_create(&p->th[p->n_th], NULL, worker, p) != 0)
      break;
  if (p->n_th == 0) {
    scn_run_probes_free(p);
    return ecsb_err_set(err, ECSB_EINTERNAL, "cannot start probe threads");
  }
  *out = p;
  return 0;
}

int scn_run_probes_submit(scn_run_probes *p, int ti, size_t ci,
                          const scn_probe *pr, int64_t timeout_us,
                          int64_t delay_us, ecsb_err *err) {
  job *j = calloc(1, sizeof *j);
  if (!j)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  j->ti = ti;
  j->ci = ci;
  j->kind = pr->kind;
  if (pr->kind == SCN_PROBE_TCP)
    snprintf(j->target, sizeof j->target, "%s:%d", pr->host, pr->port);
  else
    snprintf(j->target, sizeof j->target, "%s", pr->url);
  j->timeout_ms = (long)(timeout_us / 1000);
  if (j->timeout_ms < 1)
    j->timeout_ms = 1;
  j->delay_ms = delay_us / 1000;
  pthread_mutex_lock(&p->mu);
  if (p->todo_tail)
    p->todo_tail->next = j;
  else
    p->todo = j;
  p->todo_tail = j;
  pthread_cond_signal(&p->cv);
  pthread_mutex_unlock(&p->mu);
  return 0;
}

bool scn_run_probes_poll(scn_run_probes *p, int *ti, size_t *ci, bool *ok,
                         int64_t *done_at) {
  pthread_mutex_lock(&p->mu);
  job *j = p->done;
  if (j)
    p->done = j->next;
  pthread_mutex_unlock(&p->mu);
  if (!j)
    return false;
  *ti = j->ti;
  *ci = j->ci;
  *ok = j->ok;
  *done_at = j->done_at;
  free(j);
  return true;
}

void scn_run_probes_free(scn_run_probes *p) {
  if (!p)
    return;
  pthread_mutex_lock(&p->mu);
  p->stopping = true;
  pthread_cond_broadcast(&p->cv);
  pthread_mutex_unlock(&p->mu);
  for (unsigned i = 0; i < p->n_th; i++)
    pthread_join(p->th[i], NULL);
  for (job *j = p->todo, *n; j; j = n) {
    n = j->next;
    free(j);
  }
  for (job *j = p->done, *n; j; j = n) {
    n = j->next;
    free(j);
  }
  pthread_cond_destroy(&p->cv);
  pthread_mutex_destroy(&p->mu);
  free(p->th);
  free(p);
}
