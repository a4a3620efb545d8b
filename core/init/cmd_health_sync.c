/*
 * cmd_health_sync.c - `ecsboot-init health-sync` with consul-ecs v0.2
 * semantics: every --interval, read the task metadata and set each listed
 * container's TTL check to passing (ECS says HEALTHY) or critical
 * (anything else, or the container is missing), sending an update only when
 * the status changed. On SIGTERM/SIGINT set them all critical, optionally
 * deregister the service and its proxy, and exit 0.
 *
 * A failed update is not remembered as sent, so it is retried on the next
 * tick; metadata errors are logged once per distinct message so a long
 * outage does not flood the log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "ecsb/consul.h"
#include "ecsb/duration.h"
#include "ecsb/http.h"
#include "ecsb/mesh.h"
#include "ecsb/metadata.h"

typedef struct sync_flags {
  const char *containers, *service_name, *http_addr, *token_file, *log_level;
  int64_t interval, timeout, shutdown_timeout;
  bool deregister;
  init_retry ir;
} sync_flags;

enum { ST_UNSENT = 0, ST_PASSING, ST_CRITICAL };

/* Shutdown has a short budget, --shutdown-timeout: ECS sends SIGKILL after
 * the container's stopTimeout (30s by default). Its retries start at half
 * the normal first ceiling and are capped at a fifth of the budget, so a
 * few fit in (100 ms to 1 s with the defaults). */
static void start_shutdown_retry(sync_flags *f, ecsb_retry *r) {
  init_retry_start(&f->ir, r, f->shutdown_timeout, f->ir.interval / 2,
                   f->shutdown_timeout / 5, NULL);
}

/* A failed tick is retried on the next one: reported like any retry, with
 * the interval as its wait (the log keeps one line per distinct error). */
static void report_tick_retry(sync_flags *f, const char *what, int attempt,
                              const ecsb_err *why) {
  ecsb_initev_retry ev = {.what = what,
                          .attempt = attempt,
                          .wait_us = f->interval / 1000,
                          .error = why->msg};
  ecsb_initev_send_retry(&f->ir.events, &ev);
}

static void set_all_critical(sync_flags *f, ecsb_consul *c,
                             const ecsb_mesh_ids *ids, char **names, size_t n) {
  ecsb_retry r;
  start_shutdown_retry(f, &r);
  for (size_t i = 0; i < n; i++) {
    char id[700];
    ecsb_err err = {0};
    ecsb_mesh_health_check_id(ids->service_id, names[i], id, sizeof id);
    r.attempt = 0;
    if (ecsb_consul_check_update(c, &r, id, "critical", "the task is stopping",
                                 &err) == 0)
      ecsb_log(ECSB_LOG_INFO, "set check critical", "check", id, NULL);
    else
      ecsb_log(ECSB_LOG_WARN, err.msg, "check", id, NULL);
  }
}

static int run(sync_flags *f, volatile sig_atomic_t *stop, ecsb_err *err) {
  char **names = NULL;
  size_t n = 0;
  int *state = NULL, *fails = NULL, md_fails = 0;
  ecsb_consul_settings s = {0};
  ecsb_consul *c = NULL;
  ecsb_http_client *mh = NULL;
  ecsb_task_meta *tm = NULL;
  char last_err[ECSB_ERR_MSG_MAX] = "";
  int rc = ecsb_split_list(f->containers, "flag -health-sync-containers",
                           &names, &n, err);
  if (rc)
    goto out;
  if (n == 0) {
    rc = ecsb_err_set(err, ECSB_EINVAL,
                      "flag -health-sync-containers is required");
    goto out;
  }
  state = calloc(n, sizeof *state);
  fails = calloc(n, sizeof *fails);
  ecsb_consul_flags cf = {.http_addr = f->http_addr,
                          .token_file = f->token_file};
  if (!state || !fails) {
    rc = ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
    goto out;
  }
  if ((rc = ecsb_consul_settings_load(&s, &cf, err)))
    goto out;
  s.timeout_ms = init_request_ms(&f->ir);
  if (!(c = ecsb_consul_new(&s, err))) {
    rc = err->code;
    goto out;
  }
  ecsb_http_opts ho;
  ecsb_http_opts_default(&ho);
  ho.max_retries = 0;
  ho.max_body = 1u << 20;
  ho.timeout_ms = (init_request_ms(&f->ir) + 1) / 2;
  if (!(mh = ecsb_http_client_new(&ho, err))) {
    rc = err->code;
    goto out;
  }
  const char *md = getenv(ECSB_METADATA_ENV);
  ecsb_retry r;
  init_retry_start(&f->ir, &r, f->timeout, f->ir.interval, f->ir.max_interval,
                   (volatile int *)stop);
  if ((rc = ecsb_task_meta_fetch(mh, md, &r, &tm, err))) {
    if (rc == ECSB_ESTATE) /* stopped before we knew the task: nothing to do */
      rc = 0;
    goto out;
  }
  ecsb_mesh_config mc;
  ecsb_mesh_config_init(&mc);
  mc.service_name = (char *)f->service_name;
  ecsb_mesh_ids ids;
  rc = ecsb_mesh_ids_make(&mc, tm->family, tm->task_id, &ids, err);
  if (rc)
    goto out;
  ecsb_log(ECSB_LOG_INFO, "syncing container health", "service", ids.service_id,
           "containers", f->containers, NULL);
  while (!*stop) {
    if (!tm) {
      ecsb_err merr = {0};
      if (ecsb_task_meta_fetch(mh, md, NULL, &tm, &merr) != 0) {
        if (strcmp(merr.msg, last_err) != 0)
          ecsb_log(ECSB_LOG_WARN, merr.msg, NULL);
        snprintf(last_err, sizeof last_err, "%s", merr.msg);
        report_tick_retry(f, "task metadata", ++md_fails, &merr);
      } else {
        last_err[0] = '\0';
        md_fails = 0;
      }
    }
    for (size_t i = 0; tm && i < n && !*stop; i++) {
      const ecsb_task_container *tc = ecsb_task_meta_container(tm, names[i]);
      const char *ecs = tc ? tc->health_status : "MISSING";
      int want = tc && strcmp(ecs, "HEALTHY") == 0 ? ST_PASSING : ST_CRITICAL;
      if (want == state[i])
        continue;
      char id[700], output[512];
      ecsb_mesh_health_check_id(ids.service_id, names[i], id, sizeof id);
      snprintf(output, sizeof output,
               "ECS health status is \"%s\" for container \"%s\"",
               *ecs ? ecs : "UNKNOWN", names[i]);
      ecsb_err uerr = {0};
      if (ecsb_consul_check_update(c, NULL, id,
                                   want == ST_PASSING ? "passing" : "critical",
                                   output, &uerr) == 0) {
        state[i] = want;
        fails[i] = 0;
        ecsb_log(ECSB_LOG_INFO, "check updated", "check", id, "status",
                 want == ST_PASSING ? "passing" : "critical", "ecs", ecs, NULL);
      } else {
        ecsb_log(ECSB_LOG_WARN, uerr.msg, "check", id, NULL);
        report_tick_retry(f, "Consul TTL check update", ++fails[i], &uerr);
      }
    }
    ecsb_task_meta_free(tm);
    tm = NULL;
    ecsb_sleep_us(f->interval / 1000, (volatile int *)stop);
  }
  ecsb_log(ECSB_LOG_INFO, "stopping: marking checks critical", NULL);
  set_all_critical(f, c, &ids, names, n);
  if (f->deregister) {
    const char *order[] = {ids.proxy_id, ids.service_id};
    for (size_t i = 0; i < 2; i++) {
      ecsb_err derr = {0};
      ecsb_retry dr;
      start_shutdown_retry(f, &dr);
      if (ecsb_consul_service_deregister(c, &dr, order[i], &derr) == 0)
        ecsb_log(ECSB_LOG_INFO, "deregistered", "id", order[i], NULL);
      else
        ecsb_log(ECSB_LOG_WARN, derr.msg, "id", order[i], NULL);
    }
  }
  rc = 0;
out:
  ecsb_task_meta_free(tm);
  ecsb_http_client_free(mh);
  ecsb_consul_free(c);
  ecsb_consul_settings_clear(&s);
  ecsb_strv_free(names);
  free(state);
  free(fails);
  return rc;
}

int cmd_health_sync(int argc, char **argv) {
  sync_flags f = {.interval = ECSB_NS_PER_S,
                  .timeout = 120 * ECSB_NS_PER_S,
                  .shutdown_timeout = 5 * ECSB_NS_PER_S,
                  .ir = {.interval = 200 * ECSB_NS_PER_MS,
                         .max_interval = 5 * ECSB_NS_PER_S,
                         .request_timeout = 10 * ECSB_NS_PER_S}};
  const ecsb_flag flags[] = {
      {"health-sync-containers", NULL, ECSB_FLAG_STRING, &f.containers, 0, 0,
       "C1,C2", "containers whose ECS health is mirrored (required)", NULL},
      {"service-name", NULL, ECSB_FLAG_STRING, &f.service_name, 0, 0, "NAME",
       "Consul service name (default or empty: the task family), as given to "
       "mesh-init",
       NULL},
      {"interval", NULL, ECSB_FLAG_DURATION, &f.interval, 10 * ECSB_NS_PER_MS,
       3600 * ECSB_NS_PER_S, "DURATION",
       "how often to read the task metadata (default 1s)", NULL},
      {"deregister-on-exit", NULL, ECSB_FLAG_BOOL, &f.deregister, 0, 0, NULL,
       "on SIGTERM also deregister the service and its proxy", NULL},
      {"timeout", NULL, ECSB_FLAG_DURATION, &f.timeout, ECSB_NS_PER_MS,
       24 * 3600 * ECSB_NS_PER_S, "DURATION",
       "give up if the first metadata read fails for this long (default "
       "2m)",
       NULL},
      {"retry-interval", NULL, ECSB_FLAG_DURATION, &f.ir.interval,
       ECSB_NS_PER_MS / 1000, 3600 * ECSB_NS_PER_S, "DURATION",
       "first retry backoff ceiling of the first metadata read, doubling "
       "each retry (default 200ms)",
       NULL},
      {"max-retry-interval", NULL, ECSB_FLAG_DURATION, &f.ir.max_interval,
       ECSB_NS_PER_MS / 1000, 3600 * ECSB_NS_PER_S, "DURATION",
       "retry backoff ceiling cap (default 5s)", NULL},
      {"request-timeout", NULL, ECSB_FLAG_DURATION, &f.ir.request_timeout,
       ECSB_NS_PER_MS, 3600 * ECSB_NS_PER_S, "DURATION",
       "one agent request at most this long, a task metadata read half of "
       "it (default 10s)",
       NULL},
      {"shutdown-timeout", NULL, ECSB_FLAG_DURATION, &f.shutdown_timeout,
       ECSB_NS_PER_MS, 3600 * ECSB_NS_PER_S, "DURATION",
       "on SIGTERM, give setting the checks critical, and each "
       "deregistration, at most this long (default 5s)",
       NULL},
      INIT_RETRY_SEED_FLAG(f.ir),
      {"http-addr", NULL, ECSB_FLAG_STRING, &f.http_addr, 0, 0, "ADDR",
       "agent HTTP API (default CONSUL_HTTP_ADDR, else 127.0.0.1:8500)", NULL},
      {"token-file", NULL, ECSB_FLAG_STRING, &f.token_file, 0, 0, "FILE",
       "ACL token file (default CONSUL_HTTP_TOKEN_FILE / CONSUL_HTTP_TOKEN)",
       NULL},
      {"log-level", NULL, ECSB_FLAG_STRING, &f.log_level, 0, 0, "LEVEL",
       "debug, info, warn, error or off (default info)", NULL},
  };
  const ecsb_flagset fs = {
      .command = "ecsboot-init health-sync",
      .summary = "Mirrors the ECS health of the listed containers into the "
                 "TTL checks mesh-init\nregistered, until SIGTERM; then sets "
                 "them critical and exits 0.",
      .flags = flags,
      .n_flags = sizeof flags / sizeof flags[0],
      .epilog = "Environment: ECS_CONTAINER_METADATA_URI_V4, "
                "CONSUL_HTTP_ADDR, CONSUL_HTTP_SSL,\nCONSUL_HTTP_TOKEN, "
                "CONSUL_HTTP_TOKEN_FILE, CONSUL_CACERT, ECSBOOT_RETRY_SEED,\n"
                "ECSBOOT_EVENTS, ECSBOOT_TASK, ECSBOOT_CONTAINER. Exit codes: "
                "0 after SIGTERM,\n1 usage or configuration error, 2 no task "
                "metadata before --timeout.\n",
  };
  char *pos[1];
  size_t np = 0;
  int ex = init_parse_flags(&fs, argc, argv, pos, 0, &np);
  if (ex >= 0)
    return ex;
  if ((ex = init_set_log_level(f.log_level)) >= 0)
    return ex;
  if (!f.containers || !*f.containers) {
    fprintf(stderr, "%s: flag -health-sync-containers is required\n",
            fs.command);
    return INIT_EXIT_USAGE;
  }
  if (f.ir.max_interval < f.ir.interval) {
    fprintf(stderr,
            "%s: flag -max-retry-interval must not be below "
            "-retry-interval\n",
            fs.command);
    return INIT_EXIT_USAGE;
  }
  if ((ex = init_retry_setup(&f.ir, "health-sync")) >= 0)
    return ex;
  volatile sig_atomic_t stop = 0;
  init_catch_signals(&stop);
  ecsb_err err = {0};
  int rc = run(&f, &stop, &err);
  init_retry_close(&f.ir);
  return rc ? init_fail("health-sync", &err) : INIT_EXIT_OK;
}
