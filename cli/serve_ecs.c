/*
 * serve_ecs.c - the fake-ECS part of `ecsboot serve` (see serve_ecs.h):
 * flags, start, the printed endpoint / keys / example AWS CLI commands.
 *
 * The printed secret is fake-ecs's own test key, meant to be copied into
 * a shell; it is printed to the terminal (stdout), never logged.
 */
#include "serve_ecs.h"

#include <stdio.h>
#include <string.h>

void serve_ecs_opts_default(serve_ecs_opts *o) {
  fecs_config c;
  fecs_config_default(&c);
  memset(o, 0, sizeof *o);
  o->bind_ip = "127.0.0.1";
  o->cluster = "default";
  o->region = c.region;
  o->account = c.account_id;
  o->key_id = c.access_key_id;
  o->secret = c.secret_access_key;
  o->seed = 1;
  o->taskdef = "examples/mesh-task-taskdef.json";
}

size_t serve_ecs_flags(serve_ecs_opts *o, ecsb_flag *out, size_t cap) {
  /* Addresses, ports, region, cluster and --no-sigv4 are serve.c's own
   * flags (--ecs ADDR:PORT, --metadata ADDR:PORT, ...); these are the
   * rest of fake-ecs's settings. */
  const ecsb_flag f[SERVE_ECS_N_FLAGS] = {
      {"ecs-account", NULL, ECSB_FLAG_STRING, &o->account, 0, 0, "ID",
       "12-digit account ID in the ARNs (default 123456789012)", NULL},
      {"ecs-access-key-id", NULL, ECSB_FLAG_STRING, &o->key_id, 0, 0, "KEY",
       "access key ID the API accepts (default: a fake one, printed)", NULL},
      {"ecs-secret-access-key", NULL, ECSB_FLAG_STRING, &o->secret, 0, 0,
       "SECRET", "secret key the API accepts (default: a fake one, printed)",
       NULL},
      {"ecs-no-throttle", NULL, ECSB_FLAG_BOOL, &o->no_throttle, 0, 0, NULL,
       "turn off ECS-like API throttling (default: on)", NULL},
      {"ecs-start-delay", NULL, ECSB_FLAG_DURATION, &o->start_delay, 0,
       (int64_t)3600 * 1000000000, "DURATION",
       "how long RunTask'd tasks take to reach RUNNING (default 0s)", NULL},
      {"ecs-seed", NULL, ECSB_FLAG_INT, &o->seed, 1, INT64_MAX, "N",
       "seed for IDs, credentials and random faults (default 1)", NULL},
  };
  size_t n = cap < SERVE_ECS_N_FLAGS ? cap : SERVE_ECS_N_FLAGS;
  memcpy(out, f, n * sizeof *f);
  return n;
}

static void print_banner(const serve_ecs_opts *o, fecs *f, FILE *out) {
  const char *api = fecs_api_url(f), *ep = fecs_endpoint_url(f);
  fprintf(out,
          "fake-ecs API          %s\n"
          "metadata/credentials  %s  (ECS_CONTAINER_METADATA_URI_V4=%s/v4/"
          "<container-id>, credentials %s/v2/credentials/<id>)\n"
          "region %s, account %s, cluster \"%s\", SigV4 %s, throttling %s\n"
          "\n"
          "Use the AWS CLI against it (fake credentials):\n"
          "  export AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s\n"
          "  export AWS_DEFAULT_REGION=%s AWS_EC2_METADATA_DISABLED=true "
          "AWS_PAGER=\"\"\n"
          "  aws ecs list-clusters --endpoint-url %s\n"
          "  aws ecs register-task-definition --endpoint-url %s \\\n"
          "      --cli-input-json file://%s\n"
          "  aws ecs run-task --endpoint-url %s --cluster %s "
          "--task-definition web\n"
          "  aws ecs list-tasks --endpoint-url %s --cluster %s\n"
          "  aws ecs describe-tasks --endpoint-url %s --cluster %s "
          "--tasks <task-arn>\n"
          "  aws ecs stop-task --endpoint-url %s --cluster %s "
          "--task <task-arn>\n\n",
          api, ep, ep, ep, fecs_region(f), fecs_account_id(f), o->cluster,
          o->no_sigv4 ? "off" : "checked",
          o->no_throttle ? "off" : "on (ECS-like token buckets)",
          fecs_access_key_id(f), fecs_secret_access_key(f), fecs_region(f), api,
          api, o->taskdef, api, o->cluster, api, o->cluster, api, o->cluster,
          api, o->cluster);
  fflush(out);
}

int serve_ecs_start(const serve_ecs_opts *o, FILE *out, fecs **f,
                    ecsb_err *err) {
  fecs_config c;
  fecs_config_default(&c);
  c.api_bind_ip = o->bind_ip;
  c.metadata_bind_ip = o->md_bind_ip ? o->md_bind_ip : o->bind_ip;
  c.api_port = (uint16_t)o->api_port;
  c.metadata_port = (uint16_t)o->md_port;
  c.region = o->region;
  c.account_id = o->account;
  c.access_key_id = o->key_id;
  c.secret_access_key = o->secret;
  c.verify_sigv4 = !o->no_sigv4;
  c.throttle = !o->no_throttle;
  c.start_delay_ms = o->start_delay / 1000000;
  c.seed = (uint64_t)o->seed;
  int rc = fecs_new(&c, f, err);
  if (rc)
    return ecsb_err_prefix(err, "fake-ecs (--ecs-* flags)");
  /* a developer can run-task at once */
  if ((rc = fecs_cluster_create(*f, o->cluster, NULL, err))) {
    fecs_free(*f);
    *f = NULL;
    return ecsb_err_prefix(err, "fake-ecs cluster");
  }
  if (out)
    print_banner(o, *f, out);
  return 0;
}

void serve_ecs_stop(fecs *f) {
  fecs_free(f);
}
