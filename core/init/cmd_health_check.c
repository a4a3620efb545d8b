/*
 * cmd_health_check.c - `ecsboot-init health-check tcp HOST:PORT` and
 * `health-check http URL [--expect 200-399]`: one probe, exit 0 healthy or
 * 1 not, one line on stderr saying why. No retries: ECS's healthCheck
 * retries and interval already decide when a container is unhealthy.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "ecsb/duration.h"
#include "ecsb/probe.h"

int cmd_health_check(int argc, char **argv) {
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
  const ecsb_flagset fs = {
      .command = "ecsboot-init health-check",
      .args = "tcp HOST:PORT | http URL",
      .summary = "Probes once. Exit 0 when healthy, 1 when not (or on a usage "
                 "error),\nwith the reason on stderr. Use it as an ECS "
                 "healthCheck command in images\nwithout nc or curl, e.g. "
                 "[\"CMD\", \"/consul/ecsboot-init\", \"health-check\", "
                 "\"tcp\",\n\"127.0.0.1:20000\"].",
      .flags = flags,
      .n_flags = sizeof flags / sizeof flags[0],
  };
  char *pos[3];
  size_t np = 0;
  int ex = init_parse_flags(&fs, argc, argv, pos, 3, &np);
  if (ex >= 0)
    return ex;
  if (np != 2 || (strcmp(pos[0], "tcp") && strcmp(pos[0], "http"))) {
    fprintf(stderr,
            "ecsboot-init health-check: expected `tcp HOST:PORT` or `http "
            "URL` (see --help)\n");
    return 1;
  }
  ecsb_err err = {0};
  long tmo = (long)(timeout / ECSB_NS_PER_MS);
  int rc;
  if (strcmp(pos[0], "tcp") == 0) {
    rc = ecsb_probe_tcp(pos[1], tmo, &err);
  } else {
    ecsb_status_set set;
    if (ecsb_status_set_parse(expect, &set, &err) != 0) {
      fprintf(stderr, "ecsboot-init health-check: %s\n", err.msg);
      return 1;
    }
    long status = 0;
    rc = ecsb_probe_http(pos[1], &set, tmo, &status, &err);
  }
  if (rc) {
    fprintf(stderr, "unhealthy: %s\n", err.msg);
    return 1;
  }
  return 0;
}
