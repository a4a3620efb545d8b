/*
 * standin_app.c - `ecsboot app`: the application container of a simulated
 * task. An HTTP server whose start, health and death are scriptable, so
 * scenarios can model slow starts, failing checks, crashes and apps that
 * ignore SIGTERM.
 *
 *   ecsboot app [--listen ADDR:PORT] [--name N] [--start-delay D]
 *               [--health-path /health] [--fail-health]
 *               [--fail-health-after D] [--crash-after D] [--exit-code N]
 *               [--ignore-sigterm] [--drain D] [--response-delay D]
 *
 * Every path answers 200 with {"name","path","task_ip"}; the health path
 * answers 200 "ok", or 500 once failing. SIGTERM/SIGINT: keep serving for
 * --drain (a graceful app finishing its work while traffic moves away),
 * then exit 0; with --ignore-sigterm only SIGKILL (or SIGINT) ends it.
 *
 * Without --listen (a container with no portMappings: a worker, a batch
 * job) it opens no port and only lives: start delay, crash, signals and
 * drain as above; the health flags have nothing to answer and are
 * accepted so that one image rule's args can fit every app container.
 *
 * Its waits (start delay, crash, health failure, drain) are on the clock
 * the process follows (ecsb_mono_ms: the task's in a replay), as
 * ecsboot-init's are: its drain races envoy-entrypoint's grace period at
 * shutdown, and the two must keep one clock.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ecsb/clock.h"
#include "ecsb/duration.h"
#include "ecsb/http.h"
#include "ecsb/log.h"
#include "ecsb/text.h"
#include "scn/standin.h"
#include "standin_http.h"

typedef struct app {
  const char *name;
  const char *health_path;
  const char *task_ip;
  int64_t response_delay_ms;
  int64_t fail_health_at_ms; /* task ms; 0: never; <0: from the start */
  atomic_uint_fast64_t served;
} app;

/* Waits for a signal in sigs until monotonic ms `until` (-1: 1 s), in
 * steps until it has passed. Returns the signal, or 0 at `until`. */
static int wait_signal(const sigset_t *sigs, int64_t until) {
  for (int i = 0; i < 100000; i++) {
    int64_t ms = until < 0 ? 1000 : until - ecsb_mono_ms();
    if (ms <= 0)
      return 0;
    /* the reading stands after a charge of lag: wait until it can move */
    int64_t host_ms =
        until < 0 ? 0 : ecsb_clock_host_wait_us(until * 1000) / 1000;
    if (host_ms > ms)
      ms = host_ms;
    struct timespec ts = {.tv_sec = ms / 1000,
                          .tv_nsec = (long)(ms % 1000) * 1000000L};
    int s = sigtimedwait(sigs, NULL, &ts);
    if (s > 0 || until < 0)
      return s > 0 ? s : 0;
  }
  return 0;
}

const char *scn_localhost_map(const char *host, const char *task_ip) {
  if (task_ip && *task_ip &&
      (!host || !*host || strcmp(host, "127.0.0.1") == 0 ||
       strcmp(host, "localhost") == 0))
    return task_ip;
  return host;
}

static void handle(void *user, const char *method, const char *path,
                   scn_shttp_resp *resp) {
  (void)method;
  app *a = user;
  if (a->response_delay_ms > 0)
    ecsb_sleep_ms(a->response_delay_ms, NULL);
  if (strcmp(path, a->health_path) == 0) {
    bool failing =
        a->fail_health_at_ms < 0 ||
        (a->fail_health_at_ms > 0 && ecsb_mono_ms() >= a->fail_health_at_ms);
    if (failing)
      scn_shttp_textf(resp, 500, "unhealthy\n");
    else
      scn_shttp_textf(resp, 200, "ok\n");
  } else {
    scn_shttp_textf(resp, 200,
                    "{\"name\":\"%s\",\"path\":\"%.200s\",\"task_ip\":\"%s\"}",
                    a->name, path, a->task_ip ? a->task_ip : "");
    resp->content_type = "application/json";
  }
  atomic_fetch_add(&a->served, 1);
}

static int usage(const char *msg, const char *arg) {
  if (msg)
    fprintf(stderr, "ecsboot app: %s%s%s\n", msg, arg ? " " : "",
            arg ? arg : "");
  fprintf(
      stderr,
      "usage: ecsboot app [--listen ADDR:PORT] [--name N] [--start-delay D]\n"
      "         [--health-path P] [--fail-health] [--fail-health-after D]\n"
      "         [--crash-after D] [--exit-code N] [--ignore-sigterm]\n"
      "         [--drain D] [--response-delay D]\n");
  return msg ? 2 : 0;
}

static int dur_ms(const char *flag, const char *v, int64_t *out) {
  int64_t ns;
  ecsb_err err = {0};
  if (!v || ecsb_duration_parse(v, &ns, &err) != 0 || ns < 0) {
    fprintf(stderr, "ecsboot app: %s: %s\n", flag,
            v ? (err.msg[0] ? err.msg : "must not be negative")
              : "needs a value");
    return -1;
  }
  *out = ns / ECSB_NS_PER_MS;
  return 0;
}

int scn_standin_app_main(int argc, char **argv) {
  app a = {.name = "app", .health_path = "/health"};
  a.task_ip = getenv(ECSB_TASK_IP_ENV);
  const char *listen = NULL;
  int64_t start_delay = 0, crash_after = -1, fail_after = -1, drain = 0;
  int exit_code = 1;
  bool ignore_term = false, fail_health = false;
  for (int i = 1; i < argc; i++) {
    const char *f = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(f, "--help") == 0 || strcmp(f, "-h") == 0)
      return usage(NULL, NULL);
    if (strcmp(f, "--fail-health") == 0) {
      fail_health = true;
      continue;
    }
    if (strcmp(f, "--ignore-sigterm") == 0) {
      ignore_term = true;
      continue;
    }
    if (!v)
      return usage("missing value for", f);
    i++;
    if (strcmp(f, "--listen") == 0)
      listen = v;
    else if (strcmp(f, "--name") == 0)
      a.name = v;
    else if (strcmp(f, "--health-path") == 0)
      a.health_path = v;
    else if (strcmp(f, "--start-delay") == 0) {
      if (dur_ms(f, v, &start_delay))
        return 2;
    } else if (strcmp(f, "--fail-health-after") == 0) {
      if (dur_ms(f, v, &fail_after))
        return 2;
    } else if (strcmp(f, "--crash-after") == 0) {
      if (dur_ms(f, v, &crash_after))
        return 2;
    } else if (strcmp(f, "--drain") == 0) {
      if (dur_ms(f, v, &drain))
        return 2;
    } else if (strcmp(f, "--response-delay") == 0) {
      if (dur_ms(f, v, &a.response_delay_ms))
        return 2;
    } else if (strcmp(f, "--exit-code") == 0) {
      char *end;
      long c = strtol(v, &end, 10);
      if (*end || c < 0 || c > 255)
        return usage("--exit-code must be 0-255, got", v);
      exit_code = (int)c;
    } else {
      return usage("unknown flag", f);
    }
  }
  char host[64];
  int port = 0;
  ecsb_err perr = {0};
  if (listen && ecsb_hostport_parse(listen, 0, "flag --listen", host,
                                    sizeof host, &port, &perr) != 0)
    return usage(perr.msg, NULL);

  /* Signals are taken synchronously by this thread only. */
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, NULL);

  int64_t t0 = ecsb_mono_ms();
  if (fail_health)
    a.fail_health_at_ms = -1;
  else if (fail_after >= 0)
    a.fail_health_at_ms = t0 + start_delay + (fail_after ? fail_after : 1);
  int64_t crash_at = crash_after >= 0 ? t0 + start_delay + crash_after : -1;

  /* The start delay models a slow app: it is not listening meanwhile. A
   * signal during the delay ends the process like any other. */
  for (int s = start_delay > 0 ? -1 : 0; s != 0;) {
    s = wait_signal(&sigs, t0 + start_delay);
    if (s == SIGINT || (s == SIGTERM && !ignore_term))
      return 0;
  }
  scn_shttp *h = NULL;
  if (listen) {
    const char *bind_ip = scn_localhost_map(host, a.task_ip);
    ecsb_err err = {0};
    if (scn_shttp_start(bind_ip, port, handle, &a, &h, &err) != 0) {
      ecsb_log(ECSB_LOG_ERROR, "app cannot listen", "name", a.name, "error",
               err.msg, NULL);
      return 1;
    }
    char addr[96];
    snprintf(addr, sizeof addr, "%s:%d", bind_ip, scn_shttp_port(h));
    ecsb_log(ECSB_LOG_INFO, "app listening", "name", a.name, "addr", addr,
             NULL);
  } else {
    ecsb_log(ECSB_LOG_INFO, "app running without a port", "name", a.name, NULL);
  }
  int rc = 0;
  for (;;) {
    int sig = wait_signal(&sigs, crash_at);
    if (sig == 0 && crash_at >= 0) {
      ecsb_log(ECSB_LOG_WARN, "app crashing as scripted", "name", a.name, NULL);
      rc = exit_code;
      break;
    }
    if (sig == SIGTERM && ignore_term) {
      ecsb_log(ECSB_LOG_WARN, "app ignoring SIGTERM", "name", a.name, NULL);
      continue;
    }
    if (sig == SIGTERM || sig == SIGINT) {
      ecsb_sleep_ms(drain, NULL);
      break;
    }
  }
  scn_shttp_stop(h);
  char served[32];
  snprintf(served, sizeof served, "%llu",
           (unsigned long long)atomic_load(&a.served));
  ecsb_log(ECSB_LOG_INFO, "app exiting", "name", a.name, "served", served,
           NULL);
  return rc;
}
