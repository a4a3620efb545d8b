/*
 * faults.c - fault hooks shared by the server's and agents' listeners:
 * latency per path prefix and "fail the next N requests" with a given
 * status and body. The table has its own lock; the latency sleep happens
 * outside it, on the request's own thread (thread-per-connection httpd),
 * so one slow path never delays another.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/clock.h"
#include "fcon_internal.h"

void fcon_faults_init(fcon_faults *f, fcon_event_fn fn, void *user,
                      const char *node) {
  memset(f, 0, sizeof *f);
  pthread_mutex_init(&f->mu, NULL);
  f->on_event = fn;
  f->event_user = user;
  f->node = node;
}

static void clear_locked(fcon_faults *f) {
  for (size_t i = 0; i < f->nfail; i++)
    free(f->fail[i].body);
  f->nfail = 0;
  f->nlatency = 0;
}

void fcon_faults_clear(fcon_faults *f) {
  pthread_mutex_lock(&f->mu);
  clear_locked(f);
  pthread_mutex_unlock(&f->mu);
}

void fcon_faults_destroy(fcon_faults *f) {
  clear_locked(f);
  pthread_mutex_destroy(&f->mu);
}

static bool prefix_ok(const char *prefix, ecsb_err *err) {
  if (!prefix || prefix[0] != '/' || strlen(prefix) >= 128) {
    ecsb_err_set(err, ECSB_EINVAL,
                 "fcon fault: prefix must start with '/' and be under 128 "
                 "bytes");
    return false;
  }
  return true;
}

int fcon_faults_latency(fcon_faults *f, const char *prefix, int64_t ms,
                        ecsb_err *err) {
  if (!prefix_ok(prefix, err) || ms < 0)
    return ecsb_err_set(err, ECSB_EINVAL, "fcon fault: bad latency fault");
  pthread_mutex_lock(&f->mu);
  size_t i = 0;
  while (i < f->nlatency && strcmp(f->latency[i].prefix, prefix))
    i++;
  int rc = 0;
  if (ms == 0) {
    if (i < f->nlatency)
      f->latency[i] = f->latency[--f->nlatency];
  } else if (i == f->nlatency && i == FCON_MAX_FAULTS) {
    rc = ecsb_err_set(err, ECSB_ETOOBIG, "fcon fault: too many latencies");
  } else {
    if (i == f->nlatency)
      f->nlatency++;
    snprintf(f->latency[i].prefix, sizeof f->latency[i].prefix, "%s", prefix);
    f->latency[i].ms = ms;
  }
  pthread_mutex_unlock(&f->mu);
  return rc;
}

int fcon_faults_fail(fcon_faults *f, const char *prefix, int n, int status,
                     const char *body, ecsb_err *err) {
  if (!prefix_ok(prefix, err) || n < 0 || status < 100 || status > 599)
    return ecsb_err_set(err, ECSB_EINVAL, "fcon fault: bad fail fault");
  char *b = strdup(body ? body : "");
  if (!b)
    return ecsb_err_set(err, ECSB_ENOMEM, "fcon fault: out of memory");
  pthread_mutex_lock(&f->mu);
  size_t i = 0;
  while (i < f->nfail && strcmp(f->fail[i].prefix, prefix))
    i++;
  int rc = 0;
  if (i == f->nfail && i == FCON_MAX_FAULTS) {
    free(b);
    rc = ecsb_err_set(err, ECSB_ETOOBIG, "fcon fault: too many fail faults");
  } else {
    if (i == f->nfail)
      f->nfail++;
    else
      free(f->fail[i].body);
    snprintf(f->fail[i].prefix, sizeof f->fail[i].prefix, "%s", prefix);
    f->fail[i].left = n;
    f->fail[i].status = status;
    f->fail[i].body = b;
  }
  pthread_mutex_unlock(&f->mu);
  return rc;
}

static bool starts(const char *s, const char *p) {
  return !strncmp(s, p, strlen(p));
}

static void emit_locked(fcon_faults *f, const char *what, const char *path) {
  if (!f->on_event)
    return;
  char detail[256];
  snprintf(detail, sizeof detail, "%s %s", what, path);
  fcon_event ev = {.kind = FCON_EV_FAULT, .node = f->node, .detail = detail};
  f->on_event(f->event_user, &ev);
}

bool fcon_faults_delays(fcon_faults *f, const char *path) {
  bool d = false;
  pthread_mutex_lock(&f->mu);
  for (size_t i = 0; i < f->nlatency && !d; i++)
    d = f->latency[i].ms > 0 && starts(path, f->latency[i].prefix);
  pthread_mutex_unlock(&f->mu);
  return d;
}

bool fcon_may_block(fcon_faults *f, const ecsb_httpd_req *req) {
  return ecsb_httpd_req_query(req, "index", NULL) ||
         ecsb_httpd_req_query(req, "hash", NULL) ||
         fcon_faults_delays(f, req->path);
}

bool fcon_faults_apply(fcon_faults *f, const ecsb_httpd_req *req,
                       ecsb_httpd_resp *resp) {
  int64_t delay = 0;
  bool failed = false;
  pthread_mutex_lock(&f->mu);
  for (size_t i = 0; i < f->nlatency; i++)
    if (starts(req->path, f->latency[i].prefix) && f->latency[i].ms > delay)
      delay = f->latency[i].ms;
  if (delay)
    emit_locked(f, "latency", req->path);
  for (size_t i = 0; i < f->nfail && !failed; i++) {
    if (f->fail[i].left <= 0 || !starts(req->path, f->fail[i].prefix))
      continue;
    f->fail[i].left--;
    ecsb_httpd_resp_set(resp, f->fail[i].status, "text/plain", f->fail[i].body,
                        strlen(f->fail[i].body));
    emit_locked(f, "fail", req->path);
    failed = true;
  }
  pthread_mutex_unlock(&f->mu);
  if (delay)
    ecsb_sleep_ms(delay, NULL);
  return failed;
}
