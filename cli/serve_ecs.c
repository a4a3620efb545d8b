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
  o->region = c.region;
  o->account = c.account_id;
  o->key_id = c.access_key_id;
  o->secret = c.secret_access_key;
  o->seed = 1;
  o->taskdef = "examples/mesh-task-taskdef.json";
}

size_t serve_ecs_flags(serve_ecs_opts *o, ecsb_flag *out, size_t cap) {
  const ecsb_flag f[SERVE_ECS_N_FLAGS] = {
      {"ecs-bind", NULL, ECSB_FLAG_STRING, &o->bind_ip, 0, 0, "IP",
       "loopback address of the fake ECS API and metadata endpoint "
       "(default 127.0.0.1)",
       NULL},
      {"ecs-port", NULL, ECSB_FLAG_INT, &o->api_port, 0, 65535, "PORT",
       "port of the fake ECS API (default 0: any free port)", NULL},
      {"ecs-metadata-port", NULL, ECSB_FLAG_INT, &o->md_port, 0, 65535, "PORT",
       "port of the task metadata and credentials endpoint (default 0: any "
       "free port)",
       NULL},
      {"ecs-region", NULL, ECSB_FLAG_STRING, &o->region, 0, 0, "REGION",
       "region fake-ecs serves and signatures must name (default us-east-1)",
       NULL},
      {"ecs-account", NULL, ECSB_FLAG_STRING, &o->account, 0, 0, "ID",
       "12-digit account ID in the ARNs (default 123456789012)", NULL},
      {"ecs-access-key-id", NULL, ECSB_FLAG_STRING, &o->key_id, 0, 0, "KEY",
       "access key ID the API accepts (default: a fake one, printed)", NULL},
      {"ecs-secret-access-key", NULL, ECSB_FLAG_STRING, &o->secret, 0, 0,
       "SECRET", "secret key the API accepts (default: a fake one, printed)",
       NULL},
      {"ecs-no-sigv4", NULL, ECSB_FLAG_BOOL, &o->no_sigv4, 0, 0, NULL,
       "accept unsigned requests (default: SigV4 verified)", NULL},
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
  const char *api = fecs_api_url(f);
  fprintf(out,
          "fake-ecs is serving:\n"
          "  ECS API (awsJson1_1):    %s\n"
          "  task metadata v4:        %s/v4/<container-id>\n"
          "  container credentials:   %s/v2/credentials/<id>\n"
          "  region:                  %s\n"
          "  account:                 %s\n"
          "  access key ID:           %s\n"
          "  secret access key:       %s\n"
          "  SigV4 verification:      %s\n"
          "  throttling:              %s\n"
          "\n"
          "Try it with the AWS CLI:\n"
          "  export AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s "
          "AWS_DEFAULT_REGION=%s AWS_PAGER=\n"
          "  aws ecs list-clusters --endpoint-url %s\n"
          "  aws ecs register-task-definition --cli-input-json file://%s "
          "--endpoint-url %s\n"
          "  aws ecs run-task --cluster default --task-definition web "
          "--endpoint-url %s\n"
          "  aws ecs list-tasks --cluster default --endpoint-url %s\n"
          "  aws ecs describe-tasks --cluster default --tasks <task-arn> "
          "--endpoint-url %s\n"
          "  aws ecs stop-task --cluster default --task <task-arn> "
          "--endpoint-url %s\n",
          api, fecs_endpoint_url(f), fecs_endpoint_url(f), fecs_region(f),
          fecs_account_id(f), fecs_access_key_id(f), fecs_secret_access_key(f),
          o->no_sigv4 ? "off" : "on",
          o->no_throttle ? "off" : "on (ECS-like token buckets)",
          fecs_access_key_id(f), fecs_secret_access_key(f), fecs_region(f), api,
          o->taskdef, api, api, api, api, api);
  fflush(out);
}

int serve_ecs_start(const serve_ecs_opts *o, FILE *out, fecs **f,
                    ecsb_err *err) {
  fecs_config c;
  fecs_config_default(&c);
  c.api_bind_ip = o->bind_ip;
  c.metadata_bind_ip = o->bind_ip;
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
  c.create_default_cluster = true; /* a developer can run-task at once */
  int rc = fecs_new(&c, f, err);
  if (rc)
    return ecsb_err_prefix(err, "ecsboot serve: fake-ecs (--ecs-* flags)");
  if (out)
    print_banner(o, *f, out);
  return 0;
}

void serve_ecs_stop(fecs *f) {
  fecs_free(f);
}
