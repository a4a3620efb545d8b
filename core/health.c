/*
 * health.c - the health-check command line of `ecsboot-init health-check`
 * and ecsboot-health (see health.h): one probe, exit 0 healthy or 1 not,
 * one line on stderr saying why. No retries: ECS's healthCheck retries and
 * interval already decide when a container is unhealthy.
 */
#include "ecsb/health.h"

#include <stdio.h>
#include <string.h>

#include "ecsb/duration.h"
#include "ecsb/flags.h"

int ecsb_health_main(const ecsb_health_cmd *c, int argc, char **argv) {
  int64_t timeout = 2 * ECSB_NS_PER_S;
  const char *expect = "200-399";
  const ecsb_flag flags[] = {
      {"timeout", NULL, ECSB_FLAG_DURATION, &timeout, ECSB_NS_PER_MS,
       600 * ECSB_NS_PER_S, "DURATION", "give up after this long (default 2s)",
       NULL},
      {"expect", NULL, ECSB_FLAG_STRING, &expect, 0, 0, "CODES",
       "http: statuses counted healthy, e.g. 200-399 or 200,204 (default "
       "200-399)",
       NULL},
  };
  char summary[1024];
  snprintf(summary, sizeof summary,
           "Probes once. Exit 0 when healthy, 1 when not (or on a usage "
           "error),\nwith the reason on stderr. Use it as an ECS "
           "healthCheck command in images\nwithout nc or curl, e.g. "
           "[\"CMD\", \"%s\", \"health-check\", \"tcp\",\n"
           "\"127.0.0.1:20000\"].%s",
           c->path, c->notes ? c->notes : "");
  const ecsb_flagset fs = {
      .command = c->command,
      .args = "tcp HOST:PORT | http URL",
      .summary = summary,
      .flags = flags,
      .n_flags = sizeof flags / sizeof flags[0],
  };
  char *pos[3];
  size_t np = 0;
  ecsb_err err = {0};
  int rc = ecsb_flags_parse(&fs, argc, argv, pos, 3, &np, &err);
  if (rc == ECSB_FLAGS_HELP) {
    ecsb_flags_usage(&fs, stdout);
    return 0;
  }
  if (rc) {
    fprintf(stderr, "%s: %s\n", c->command, err.msg);
    return 1;
  }
  if (np != 2 || (strcmp(pos[0], "tcp") && strcmp(pos[0], "http"))) {
    fprintf(stderr, "%s: expected `tcp HOST:PORT` or `http URL` (see --help)\n",
            c->command);
    return 1;
  }
  long tmo = (long)(timeout / ECSB_NS_PER_MS);
  if (strcmp(pos[0], "tcp") == 0) {
    rc = ecsb_probe_tcp_ops(pos[1], tmo, c->ops, &err);
  } else {
    ecsb_status_set set;
    if (ecsb_status_set_parse(expect, &set, &err) != 0) {
      fprintf(stderr, "%s: %s\n", c->command, err.msg);
      return 1;
    }
    rc = ecsb_probe_http_ops(pos[1], &set, tmo, c->ops, NULL, &err);
  }
  if (rc) {
    fprintf(stderr, "unhealthy: %s\n", err.msg);
    return 1;
  }
  return 0;
}
