/*
 * cmd_discover.c - `ecsboot-init discover-servers`: find a RUNNING Consul
 * server task through the ECS API and write its private IPv4 address
 * atomically (0644). Each round lists every page of the server service's (or
 * family's) RUNNING tasks, describes them and applies the selection rules of
 * ecs.h; rounds repeat with capped exponential backoff and full jitter
 * (harder when throttled) until --timeout. Auth errors stop at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "ecsb/aws_creds.h"
#include "ecsb/duration.h"
#include "ecsb/ecs.h"
#include "ecsb/fileio.h"
#include "ecsb/http.h"
#include "ecsb/metadata.h"
#include "ecsb/retry.h"

typedef struct disc_flags {
  const char *service_name, *family, *cluster, *container, *out, *region,
      *log_level;
  int64_t timeout;
  bool require_healthy;
  init_retry ir; /* interval, max_interval: -poll-interval, -max-... */
} disc_flags;

static const char *env_nonempty(const char *n) {
  const char *v = getenv(n);
  return v && *v ? v : NULL;
}

/* Cluster and region: flags, then AWS_REGION / AWS_DEFAULT_REGION, then the
 * task metadata (only fetched when something is still missing). */
static int resolve_target(const disc_flags *f, ecsb_retry *r, char *cluster,
                          size_t ccap, char *region, size_t rcap,
                          ecsb_err *err) {
  const char *reg = f->region ? f->region : env_nonempty("AWS_REGION");
  if (!reg)
    reg = env_nonempty("AWS_DEFAULT_REGION");
  snprintf(cluster, ccap, "%s", f->cluster ? f->cluster : "");
  snprintf(region, rcap, "%s", reg ? reg : "");
  if (f->cluster && reg)
    return 0;
  /* An explicit endpoint needs no region, but SigV4 still does. */
  ecsb_http_opts ho;
  ecsb_http_opts_default(&ho);
  ho.max_retries = 0;
  ho.max_body = 1u << 20;
  ho.timeout_ms = (init_request_ms(&f->ir) + 1) / 2;
  ecsb_http_client *h = ecsb_http_client_new(&ho, err);
  if (!h)
    return err->code;
  ecsb_task_meta *m = NULL;
  int rc = ecsb_task_meta_fetch(h, getenv(ECSB_METADATA_ENV), r, &m, err);
  ecsb_http_client_free(h);
  if (rc) {
    if (rc == ECSB_EINVAL && !getenv(ECSB_METADATA_ENV))
      ecsb_err_prefix(err, "no %s given",
                      !f->cluster && !reg ? "--cluster or region"
                      : !f->cluster       ? "--cluster"
                                          : "region (--region, AWS_REGION)");
    return rc;
  }
  if (!f->cluster)
    snprintf(cluster, ccap, "%s", m->cluster);
  if (!reg)
    snprintf(region, rcap, "%s", m->region);
  ecsb_task_meta_free(m);
  if (!*cluster)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "the task metadata has no Cluster; give --cluster");
  return 0;
}

/* One round. Returns 0 with *pick filled, or an error with *cls set
 * (ECSB_ENOTFOUND with cls RETRY when no server qualifies yet; `seen`
 * then says why). */
static int round_once(ecsb_ecs_client *c, const disc_flags *f,
                      const char *cluster, long timeout_ms, ecsb_ecs_pick *pick,
                      ecsb_ecs_class *cls, char *seen, size_t seen_cap,
                      ecsb_err *err) {
  cJSON *arns = NULL;
  int rc = ecsb_ecs_list_tasks(c, cluster, f->service_name, f->family,
                               timeout_ms, &arns, cls, err);
  if (rc)
    return rc;
  if (cJSON_GetArraySize(arns) == 0) {
    snprintf(seen, seen_cap, "no tasks with desiredStatus RUNNING for %s %s",
             f->service_name ? "service" : "family",
             f->service_name ? f->service_name : f->family);
    cJSON_Delete(arns);
    *cls = ECSB_ECS_RETRY;
    return ecsb_err_set(err, ECSB_ENOTFOUND, "%s", seen);
  }
  rc = ecsb_ecs_find_server(c, cluster, arns, f->container, f->require_healthy,
                            timeout_ms, pick, seen, seen_cap, cls, err);
  cJSON_Delete(arns);
  return rc;
}

static int run(disc_flags *f, ecsb_err *err) {
  ecsb_retry r;
  init_retry_start(&f->ir, &r, f->timeout, f->ir.interval, f->ir.max_interval,
                   NULL);
  char cluster[2048], region[64], endpoint[1100];
  int rc = resolve_target(f, &r, cluster, sizeof cluster, region, sizeof region,
                          err);
  if (rc)
    return rc;
  if ((rc = ecsb_ecs_endpoint(region, endpoint, sizeof endpoint, err)))
    return rc;
  if (!*region)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "no AWS region: set AWS_REGION or give --region");
  ecsb_aws_creds_opts co = {.timeout_ms = (init_request_ms(&f->ir) + 1) / 2};
  ecsb_aws_creds_provider *creds = ecsb_aws_creds_provider_new(&co, err);
  if (!creds)
    return err->code;
  ecsb_ecs_opts eo = {.endpoint = endpoint,
                      .region = region,
                      .creds = creds,
                      .timeout_ms = init_request_ms(&f->ir)};
  ecsb_ecs_client *c = ecsb_ecs_client_new(&eo, err);
  if (!c) {
    ecsb_aws_creds_provider_free(creds);
    return err->code;
  }
  ecsb_log(ECSB_LOG_INFO, "looking for a Consul server", "cluster", cluster,
           f->service_name ? "service" : "family",
           f->service_name ? f->service_name : f->family, "endpoint", endpoint,
           NULL);
  r.attempt = 0; /* metadata retries must not inflate the first backoff */
  char seen[1024] = "", last_logged[ECSB_ERR_MSG_MAX] = "";
  ecsb_ecs_pick pick;
  int rounds = 0;
  for (;;) {
    ecsb_ecs_class cls = ECSB_ECS_OK;
    ecsb_err rerr = {0};
    rounds++;
    seen[0] = '\0';
    rc = round_once(c, f, cluster,
                    ecsb_retry_request_timeout(&r, init_request_ms(&f->ir)),
                    &pick, &cls, seen, sizeof seen, &rerr);
    if (rc == 0)
      break;
    const char *what = seen[0] ? seen : rerr.msg;
    if (cls == ECSB_ECS_AUTH || cls == ECSB_ECS_FATAL) {
      *err = rerr;
      goto out;
    }
    /* Log what changed, not every identical round. */
    if (strcmp(what, last_logged) != 0) {
      ecsb_log(cls == ECSB_ECS_THROTTLED ? ECSB_LOG_WARN : ECSB_LOG_INFO,
               cls == ECSB_ECS_THROTTLED ? "throttled by ECS, backing off"
                                         : "no Consul server yet",
               "seen", what, NULL);
      snprintf(last_logged, sizeof last_logged, "%s", what);
    }
    ecsb_err why = {.code = rc};
    snprintf(why.msg, sizeof why.msg, "%s", what);
    if (ecsb_retry_wait(&r, cls == ECSB_ECS_THROTTLED, "Consul server task",
                        &why) != 0) {
      char d[32];
      rc = ecsb_err_set(err, ECSB_ETIMEDOUT,
                        "timed out after %s (%d rounds) waiting for a RUNNING "
                        "Consul server task; last seen: %s",
                        ecsb_duration_format(f->timeout, d, sizeof d), rounds,
                        what);
      goto out;
    }
  }
  /* consul-ecs wrote the bare address; readers use it verbatim. */
  rc = ecsb_atomic_write(f->out, pick.ip, strlen(pick.ip), 0644, err);
  if (rc == 0) {
    char nr[16];
    snprintf(nr, sizeof nr, "%d", rounds);
    ecsb_log(ECSB_LOG_INFO, "wrote Consul server address", "ip", pick.ip,
             "task", pick.task_arn, "health",
             pick.health[0] ? pick.health : "UNKNOWN", "file", f->out, "rounds",
             nr, NULL);
  }
out:
  ecsb_ecs_client_free(c);
  ecsb_aws_creds_provider_free(creds);
  return rc;
}

int cmd_discover_servers(int argc, char **argv) {
  disc_flags f = {.container = "consul-server",
                  .timeout = 300 * ECSB_NS_PER_S,
                  .ir = {.interval = ECSB_NS_PER_S,
                         .max_interval = 30 * ECSB_NS_PER_S,
                         .request_timeout = 10 * ECSB_NS_PER_S}};
  const ecsb_flag flags[] = {
      {"service-name", NULL, ECSB_FLAG_STRING, &f.service_name, 0, 0, "NAME",
       "ECS service of the Consul servers", NULL},
      {"family", NULL, ECSB_FLAG_STRING, &f.family, 0, 0, "FAMILY",
       "task definition family of the servers (instead of a service)", NULL},
      {"cluster", NULL, ECSB_FLAG_STRING, &f.cluster, 0, 0, "CLUSTER",
       "cluster name or ARN (default: this task's, from its metadata)", NULL},
      {"container-name", NULL, ECSB_FLAG_STRING, &f.container, 0, 0, "NAME",
       "the server container (default consul-server)", NULL},
      {"out", NULL, ECSB_FLAG_STRING, &f.out, 0, 0, "FILE",
       "write the server's IP here (required)", NULL},
      {"region", NULL, ECSB_FLAG_STRING, &f.region, 0, 0, "REGION",
       "AWS region (default AWS_REGION, AWS_DEFAULT_REGION, the task's)", NULL},
      {"timeout", NULL, ECSB_FLAG_DURATION, &f.timeout, ECSB_NS_PER_MS,
       24 * 3600 * ECSB_NS_PER_S, "DURATION",
       "give up after this long, exit 2 (default 5m)", NULL},
      {"poll-interval", NULL, ECSB_FLAG_DURATION, &f.ir.interval,
       ECSB_NS_PER_MS / 1000, 3600 * ECSB_NS_PER_S, "DURATION",
       "first backoff ceiling, doubling each round (default 1s)", NULL},
      {"max-poll-interval", NULL, ECSB_FLAG_DURATION, &f.ir.max_interval,
       ECSB_NS_PER_MS / 1000, 3600 * ECSB_NS_PER_S, "DURATION",
       "backoff ceiling cap (default 30s)", NULL},
      {"request-timeout", NULL, ECSB_FLAG_DURATION, &f.ir.request_timeout,
       ECSB_NS_PER_MS, 3600 * ECSB_NS_PER_S, "DURATION",
       "one ECS API call at most this long, a task metadata or credentials "
       "read half of it (default 10s)",
       NULL},
      INIT_RETRY_SEED_FLAG(f.ir),
      {"require-healthy", NULL, ECSB_FLAG_BOOL, &f.require_healthy, 0, 0, NULL,
       "accept only a server container ECS reports HEALTHY", NULL},
      {"log-level", NULL, ECSB_FLAG_STRING, &f.log_level, 0, 0, "LEVEL",
       "debug, info, warn, error or off (default info)", NULL},
  };
  const ecsb_flagset fs = {
      .command = "ecsboot-init discover-servers",
      .summary = "Finds a RUNNING Consul server task through the ECS API "
                 "(ListTasks, DescribeTasks)\nand writes its private IPv4 "
                 "address to --out (mode 0644).",
      .flags = flags,
      .n_flags = sizeof flags / sizeof flags[0],
      .epilog =
          "Environment: ECS_CONTAINER_METADATA_URI_V4, AWS_REGION, "
          "AWS_DEFAULT_REGION,\nAWS_ENDPOINT_URL_ECS, AWS_ENDPOINT_URL, "
          "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,\nAWS_SESSION_TOKEN, "
          "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI,\n"
          "AWS_CONTAINER_CREDENTIALS_FULL_URI, "
          "AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE),\nECSBOOT_RETRY_SEED, "
          "ECSBOOT_EVENTS, ECSBOOT_TASK, ECSBOOT_CONTAINER.\nExit codes: 0 "
          "written, 1 usage or configuration error, 2 timed out (the\nmessage "
          "says what was last seen), 3 authentication or authorisation "
          "error.\n",
  };
  char *pos[1];
  size_t np = 0;
  int ex = init_parse_flags(&fs, argc, argv, pos, 0, &np);
  if (ex >= 0)
    return ex;
  if ((ex = init_set_log_level(f.log_level)) >= 0)
    return ex;
  const char *usage = NULL;
  if (!f.out || !*f.out)
    usage = "flag -out is required";
  else if ((f.service_name != NULL) == (f.family != NULL))
    usage = "give exactly one of -service-name and --family";
  else if ((f.service_name && !*f.service_name) || (f.family && !*f.family) ||
           !*f.container)
    usage = "-service-name, --family and --container-name must not be empty";
  else if (f.ir.max_interval < f.ir.interval)
    usage = "flag -max-poll-interval must not be below -poll-interval";
  if (usage) {
    fprintf(stderr, "%s: %s\n", fs.command, usage);
    return INIT_EXIT_USAGE;
  }
  if ((ex = init_retry_setup(&f.ir, "discover-servers")) >= 0)
    return ex;
  ecsb_err err = {0};
  int rc = run(&f, &err);
  init_retry_close(&f.ir);
  return rc ? init_fail("discover-servers", &err) : INIT_EXIT_OK;
}
