/*
 * checks.c - the check runner: one thread per agent that expires TTL
 * checks, probes HTTP and TCP checks at their (time-scaled) interval,
 * mirrors alias checks, applies SuccessBeforePassing /
 * FailuresBeforeCritical, deregisters services whose check stayed critical
 * past DeregisterCriticalServiceAfter, and pushes delayed syncs.
 *
 * Probes run without the agent lock (a probe may take its whole timeout):
 * due probes are copied out, run, and their results applied by check ID
 * (a check deregistered meanwhile is skipped). The thread wakes at least
 * every 10 ms and exits when the agent is stopping.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent_internal.h"
#include "ecsb/clock.h"
#include "ecsb/http.h"

/* Longest sleep of the check runner when nothing is due. */
#define IDLE_MS 1000
#define MAX_PROBES 64
/* The longest wait for a held task clock's release (see below). */
#define CHECK_HELD_WAIT_US 1000000

typedef struct probe {
  char id[FCON_ID_MAX];
  fcon_check_type type;
  char *target;
  char method[16];
  cJSON *header;
  int64_t timeout_ms;
  char status[16];
  char output[640];
} probe;

/* host:port or [v6]:port; connect within timeout. */
static void run_tcp(probe *p) {
  char host[256];
  const char *t = p->target;
  const char *colon = strrchr(t, ':');
  snprintf(p->status, sizeof p->status, "critical");
  if (!colon) {
    snprintf(p->output, sizeof p->output, "bad TCP address %s", t);
    return;
  }
  size_t hl = (size_t)(colon - t);
  if (hl >= sizeof host)
    hl = sizeof host - 1;
  memcpy(host, t, hl);
  host[hl] = 0;
  char *h = host;
  if (*h == '[') {
    h++;
    char *e = strchr(h, ']');
    if (e)
      *e = 0;
  }
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
  if (getaddrinfo(h, colon + 1, &hints, &ai) || !ai) {
    snprintf(p->output, sizeof p->output, "dial tcp %s: lookup failed", t);
    return;
  }
  int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int ok = 0;
  if (fd >= 0) {
    int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc == 0) {
      ok = 1;
    } else if (errno == EINPROGRESS) {
      struct pollfd pf = {.fd = fd, .events = POLLOUT};
      if (poll(&pf, 1, (int)p->timeout_ms) == 1) {
        int e = 0;
        socklen_t el = sizeof e;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el);
        ok = e == 0;
        errno = e;
      } else {
        errno = ETIMEDOUT;
      }
    }
    if (!ok)
      snprintf(p->output, sizeof p->output, "dial tcp %s: %s", t,
               strerror(errno));
    close(fd);
  }
  freeaddrinfo(ai);
  if (ok) {
    snprintf(p->status, sizeof p->status, "passing");
    snprintf(p->output, sizeof p->output, "TCP connect %s: Success", t);
  }
}

static void run_http(ecsb_http_client *hc, probe *p) {
  ecsb_http_header hdr[8];
  size_t nh = 0;
  const cJSON *h;
  cJSON_ArrayForEach(h, p->header) {
    const cJSON *v = cJSON_IsArray(h) ? cJSON_GetArrayItem(h, 0) : h;
    if (nh < 8 && cJSON_IsString(v) && h->string)
      hdr[nh++] = (ecsb_http_header){h->string, v->valuestring};
  }
  ecsb_http_request rq = {.method = p->method,
                          .url = p->target,
                          .headers = hdr,
                          .n_headers = nh,
                          .timeout_ms =
                              p->timeout_ms > 0 ? p->timeout_ms : 10000};
  ecsb_http_response r = {0};
  ecsb_err e = {0};
  if (!hc || ecsb_http_do(hc, &rq, &r, &e) < 0) {
    snprintf(p->status, sizeof p->status, "critical");
    snprintf(p->output, sizeof p->output, "%.600s", hc ? e.msg : "no client");
  } else {
    const char *st = r.status >= 200 && r.status < 300 ? "passing"
                     : r.status == 429                 ? "warning"
                                                       : "critical";
    snprintf(p->status, sizeof p->status, "%s", st);
    snprintf(p->output, sizeof p->output, "HTTP %s %s: %ld Output: %.120s",
             p->method, p->target, r.status, r.body ? r.body : "");
  }
  ecsb_http_response_clear(&r);
}

/* Applies a probe result with the success/failure counters. */
static void apply(fcon_agent *a, fcon_check *c, const char *status,
                  const char *output) {
  if (strcmp(status, "critical")) {
    c->successes++;
    c->failures = 0;
    if (c->successes >= c->success_before_passing)
      fcon_agent_set_status_locked(a, c, status, output);
  } else {
    c->failures++;
    c->successes = 0;
    if (c->failures >= c->failures_before_critical)
      fcon_agent_set_status_locked(a, c, status, output);
  }
}

static int rank(const char *s) {
  return !strcmp(s, "passing") ? 0 : !strcmp(s, "warning") ? 1 : 2;
}

static void run_alias(fcon_agent *a, fcon_check *c) {
  if (!cJSON_GetObjectItemCaseSensitive(a->services, c->target)) {
    char out[FCON_ID_MAX + 40];
    snprintf(out, sizeof out, "Service \"%s\" not registered", c->target);
    fcon_agent_set_status_locked(a, c, "critical", out);
    return;
  }
  int worst = 0;
  for (size_t i = 0; i < a->nchecks; i++) {
    fcon_check *o = a->checks[i];
    if (o != c && !strcmp(o->service_id, c->target) && rank(o->status) > worst)
      worst = rank(o->status);
  }
  static const char *const names[] = {"passing", "warning", "critical"};
  fcon_agent_set_status_locked(a, c, names[worst],
                               worst ? "Aliased service is not healthy"
                                     : "All checks passing.");
}

int64_t fcon_check_next_due(const fcon_check *c) {
  int64_t due = INT64_MAX;
  if (c->type == FCON_CHECK_TTL) {
    if (strcmp(c->status, "critical"))
      due = c->ttl_deadline_ms;
  } else if (c->type == FCON_CHECK_ALIAS) {
    due = 0; /* looked at on every tick */
  } else {
    due = c->next_run_ms;
  }
  if (c->dereg_after_ms > 0 && c->critical_since_ms > 0 &&
      c->critical_since_ms + c->dereg_after_ms < due)
    due = c->critical_since_ms + c->dereg_after_ms;
  return due;
}

/* Under the lock: TTL, alias, deregistration; collects due probes and
 * sets *next to when something is due again (the runner sleeps until then
 * or until a change wakes it: an idle agent costs nothing, which matters
 * with hundreds of agent processes on one machine). */
static size_t tick_locked(fcon_agent *a, int64_t now, probe *pr,
                          int64_t *next) {
  size_t np = 0;
  int64_t due = now + IDLE_MS;
#define DUE(t)                                                                 \
  do {                                                                         \
    if ((t) < due)                                                             \
      due = (t);                                                               \
  } while (0)
  for (size_t i = 0; i < a->nchecks; i++) {
    fcon_check *c = a->checks[i];
    if (c->type == FCON_CHECK_TTL) {
      if (now >= c->ttl_deadline_ms && strcmp(c->status, "critical"))
        fcon_agent_set_status_locked(a, c, "critical", "TTL expired");
      else if (strcmp(c->status, "critical"))
        DUE(c->ttl_deadline_ms);
    } else if (c->type == FCON_CHECK_ALIAS) {
      run_alias(a, c);
    } else if (now < c->next_run_ms) {
      DUE(c->next_run_ms);
    } else if (np < MAX_PROBES) {
      /* On a steady cadence from the first run, not from when this pass
       * came to it: Consul waits the interval after each run, whose
       * milliseconds are noise at 10 s, while here a late wake-up or a
       * slow probe is scaled with the interval (a ms is 0.1 s at 0.01)
       * and would add up from run to run. Far behind (a clock that jumped):
       * from now, rather than a burst of runs. */
      int64_t nx = c->next_run_ms + c->interval_ms;
      c->next_run_ms = nx > now ? nx : now + c->interval_ms;
      DUE(c->next_run_ms);
      probe *p = &pr[np++];
      memset(p, 0, sizeof *p);
      snprintf(p->id, sizeof p->id, "%s", c->id);
      p->type = c->type;
      p->target = strdup(c->target);
      snprintf(p->method, sizeof p->method, "%s", c->method);
      p->header = c->header ? cJSON_Duplicate(c->header, 1) : NULL;
      p->timeout_ms = c->timeout_ms;
    }
  }
  for (size_t i = 0; i < a->nchecks; i++) {
    fcon_check *c = a->checks[i];
    if (c->dereg_after_ms > 0 && c->critical_since_ms > 0 &&
        now - c->critical_since_ms >= c->dereg_after_ms && *c->service_id) {
      char sid[FCON_ID_MAX];
      snprintf(sid, sizeof sid, "%s", c->service_id);
      fcon_agent_del_service_locked(a, sid);
      fcon_agent_changed_locked(a);
      i = (size_t)-1; /* the list changed: rescan */
    } else if (c->dereg_after_ms > 0 && c->critical_since_ms > 0) {
      DUE(c->critical_since_ms + c->dereg_after_ms);
    }
  }
  if (a->dirty && a->joined && now - a->dirty_at_ms >= a->cfg.sync_delay_ms)
    fcon_agent_sync_locked(a);
  else if (a->dirty && a->joined)
    DUE(a->dirty_at_ms + a->cfg.sync_delay_ms);
  if (a->push_body)
    DUE(a->push_at_ms);
#undef DUE
  *next = due;
  return np;
}

void *fcon_runner_main(void *arg) {
  fcon_agent *a = arg;
  ecsb_http_opts ho;
  ecsb_http_opts_default(&ho);
  ho.max_retries = 0;
  ho.max_body = 64 * 1024;
  ecsb_http_client *hc = NULL;
  probe *pr = calloc(MAX_PROBES, sizeof *pr);
  pthread_mutex_lock(&a->mu);
  while (!a->stopping && pr) {
    if (fcon_remote_pump_locked(a))
      continue;
    int64_t next = 0;
    size_t np = tick_locked(a, fcon_agent_now(a), pr, &next);
    if (np) {
      pthread_mutex_unlock(&a->mu);
      for (size_t i = 0; i < np; i++) {
        if (pr[i].type == FCON_CHECK_TCP) {
          run_tcp(&pr[i]);
        } else {
          if (!hc)
            hc = ecsb_http_client_new(&ho, NULL);
          run_http(hc, &pr[i]);
        }
      }
      pthread_mutex_lock(&a->mu);
      for (size_t i = 0; i < np; i++) {
        fcon_check *c = fcon_agent_find_check_locked(a, pr[i].id);
        if (c)
          apply(a, c, pr[i].status, pr[i].output);
        free(pr[i].target);
        cJSON_Delete(pr[i].header);
      }
      continue;
    }
    int64_t wait_us = next * 1000 - fcon_agent_now_us(a);
    /* On a task's clock (the consul-client of a replay follows one), past
     * a charge of lag the reading stands until host time makes up for it:
     * waiting what it says is left woke this thread again and again. */
    if (wait_us > 0 && !a->cfg.clock_us) {
      int64_t host = ecsb_clock_host_wait_us(next * 1000);
      if (host > wait_us)
        wait_us = host;
    }
    /* On a held task clock (a replay whose runner has yet to act on an
     * exit) the wait never shrinks: sleeping it again and again would wake
     * this thread every few ms for as long as the hold lasts, hundreds of
     * agents at once in a fleet. Nothing comes due before the release, so
     * wait for that instead (a second at most; fcon_agent_stop ends it). */
    if (wait_us > 0) {
      pthread_mutex_unlock(&a->mu);
      bool held = ecsb_clock_wait_while_held(CHECK_HELD_WAIT_US);
      pthread_mutex_lock(&a->mu);
      if (held)
        continue;
      struct timespec ts;
      fcon_deadline_us(wait_us, &ts);
      a->runner_due_ms = next;
      pthread_cond_timedwait(&a->runner_cv, &a->mu, &ts);
      a->runner_due_ms = 0;
    }
  }
  pthread_mutex_unlock(&a->mu);
  free(pr);
  ecsb_http_client_free(hc);
  return NULL;
}
