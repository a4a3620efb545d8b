/*
 * run_load.c - steady requests through each task's sidecar proxy while
 * its service is passing in Consul (scenario "load"), as a mesh client
 * would send them: traffic starts when the instance passes and stops
 * routing_delay after Consul no longer lists it (how long a change takes to
 * reach the clients' proxies). Each failed request (transport error or a
 * status >= 500) is one `load.failed` event; `load.summary` closes each
 * task's count. One thread, one reused libcurl handle; each request is
 * bounded by LOAD_TIMEOUT_MS.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/clock.h"
#include "ecsb/http.h"
#include "run_internal.h"

#define LOAD_TIMEOUT_MS 1000
/* Failures recorded one by one; beyond this only the count grows. */
#define LOAD_MAX_FAILURE_EVENTS 200

struct scn_run_load {
  scn_runner *r;
  pthread_t th;
  atomic_bool stop;
  bool started;
};

static void *load_main(void *arg) {
  scn_run_load *l = arg;
  scn_runner *r = l->r;
  const scn_scenario *s = r->s;
  ecsb_http_opts o;
  ecsb_http_opts_default(&o);
  o.max_retries = 0;
  o.connect_timeout_ms = LOAD_TIMEOUT_MS;
  o.timeout_ms = LOAD_TIMEOUT_MS;
  o.max_body = 64 * 1024;
  ecsb_http_client *c = ecsb_http_client_new(&o, NULL);
  int64_t period = (int64_t)(1e6 / s->load_rate);
  if (period < 1)
    period = 1;
  while (c && !atomic_load(&l->stop)) {
    int64_t now = ecsb_mono_us(), next = now + 10000;
    for (size_t i = 0; i < r->n_tasks && !atomic_load(&l->stop); i++) {
      scn_run_task *t = &r->tasks[i];
      int64_t until = atomic_load(&t->load_until);
      /* set once the task (and its clock) exists; its clock held at an
       * exit stands still for the load too */
      if (until <= 0 || ecsb_taskclock_now_us(t->clock) - r->t0_mono >= until) {
        t->load_next = 0;
        continue;
      }
      if (t->load_next == 0)
        t->load_next = now;
      if (now < t->load_next) {
        if (t->load_next < next)
          next = t->load_next;
        continue;
      }
      t->load_next += period;
      char url[128];
      snprintf(url, sizeof url, "http://%s:%d%s", t->ip, s->load_port,
               s->load_path);
      ecsb_http_response resp = {0};
      ecsb_err e = {0};
      int rc = ecsb_http_get(c, url, NULL, 0, &resp, &e);
      atomic_fetch_add(&t->load_sent, 1);
      if (rc || resp.status >= 500) {
        uint64_t nf = atomic_fetch_add(&t->load_failed, 1);
        if (nf < LOAD_MAX_FAILURE_EVENTS) {
          cJSON *d = cJSON_CreateObject();
          if (rc)
            cJSON_AddStringToObject(d, "error", e.msg);
          else
            cJSON_AddNumberToObject(d, "status", (double)resp.status);
          scn_run_emit(r, -1, "load.failed", t->name, NULL, d);
        }
      }
      ecsb_http_response_clear(&resp);
      now = ecsb_mono_us();
      if (t->load_next < next)
        next = t->load_next;
    }
    int64_t wait = next - ecsb_mono_us();
    if (wait > 0)
      ecsb_sleep_ms(wait / 1000 > 0 ? wait / 1000 : 1, NULL);
  }
  ecsb_http_client_free(c);
  return NULL;
}

int scn_run_load_start(scn_runner *r, scn_run_load **out, ecsb_err *err) {
  *out = NULL;
  if (r->s->load_rate <= 0)
    return 0;
  scn_run_load *l = calloc(1, sizeof *l);
  if (!l)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  l->r = r;
  atomic_init(&l->stop, false);
  if (pthread_create(&l->th, NULL, load_main, l) != 0) {
    free(l);
    return ecsb_err_set(err, ECSB_EINTERNAL, "cannot start the load thread");
  }
  l->started = true;
  *out = l;
  return 0;
}

void scn_run_load_stop(scn_run_load *l) {
  if (!l)
    return;
  atomic_store(&l->stop, true);
  if (l->started)
    pthread_join(l->th, NULL);
  scn_runner *r = l->r;
  for (size_t i = 0; i < r->n_tasks; i++) {
    scn_run_task *t = &r->tasks[i];
    if (!t->created)
      continue;
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "sent", (double)atomic_load(&t->load_sent));
    cJSON_AddNumberToObject(d, "failed", (double)atomic_load(&t->load_failed));
    scn_run_emit(r, -1, "load.summary", t->name, NULL, d);
  }
  free(l);
}
