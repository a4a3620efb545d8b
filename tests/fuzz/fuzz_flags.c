/* fuzz_flags.c - command-line parsing as ecsboot-init's subcommands do it.
 * The input is an argv (arguments separated by NUL bytes) parsed against a
 * flag table with every flag type; whatever parses must respect the table
 * (ranges, the positional cap), a failure must say why, and the list flags
 * (-upstreams, -tags, -meta, -checks, -health-sync-containers) take the
 * string values through their own parsers. */
#include "fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/flags.h"
#include "ecsb/mesh.h"

#define MAX_ARGS 32
#define MAX_POS 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096)
    return 0;
  char *buf = malloc(size + 1);
  if (!buf)
    return 0;
  memcpy(buf, data, size);
  buf[size] = '\0';
  char *argv[MAX_ARGS];
  int argc = 0;
  for (size_t i = 0; i <= size && argc < MAX_ARGS;) {
    argv[argc++] = buf + i;
    i += strlen(buf + i) + 1;
  }

  const char *name = NULL, *ups = NULL, *tags = NULL, *meta = NULL,
             *checks = NULL;
  bool verbose = false, vset = false;
  int64_t port = 0, timeout = 0;
  const ecsb_flag flags[] = {
      {"service-name", "name", ECSB_FLAG_STRING, &name, 0, 0, "NAME", "", NULL},
      {"upstreams", NULL, ECSB_FLAG_STRING, &ups, 0, 0, "LIST", "", NULL},
      {"tags", NULL, ECSB_FLAG_STRING, &tags, 0, 0, "LIST", "", NULL},
      {"meta", NULL, ECSB_FLAG_STRING, &meta, 0, 0, "K=V", "", NULL},
      {"checks", NULL, ECSB_FLAG_STRING, &checks, 0, 0, "JSON", "", NULL},
      {"verbose", "v", ECSB_FLAG_BOOL, &verbose, 0, 0, NULL, "", &vset},
      {"port", NULL, ECSB_FLAG_INT, &port, 1, 65535, "PORT", "", NULL},
      {"timeout", NULL, ECSB_FLAG_DURATION, &timeout, 1000000, 3600000000000LL,
       "DURATION", "", NULL},
  };
  const ecsb_flagset fs = {
      "fuzz", "[ARG...]", "fuzz", flags, sizeof flags / sizeof flags[0], NULL};
  char *pos[MAX_POS];
  size_t n_pos = 0;
  ecsb_err err = {0};
  int rc = ecsb_flags_parse(&fs, argc, argv, pos, MAX_POS, &n_pos, &err);
  if (rc == 0) {
    if (n_pos > MAX_POS || (port != 0 && (port < 1 || port > 65535)) ||
        (timeout != 0 && (timeout < 1000000 || timeout > 3600000000000LL)))
      abort();
    ecsb_mesh_config c;
    ecsb_mesh_config_init(&c);
    ecsb_err e2 = {0};
    if (ups && ecsb_mesh_set_upstreams(&c, ups, "upstreams", &e2) && !e2.msg[0])
      abort();
    if (tags && ecsb_mesh_set_tags(&c, tags, "tags", &e2) && !e2.msg[0])
      abort();
    if (meta && ecsb_mesh_set_meta(&c, meta, "meta", &e2) && !e2.msg[0])
      abort();
    if (checks && ecsb_mesh_set_checks(&c, checks, "checks", &e2) && !e2.msg[0])
      abort();
    if (name && ecsb_mesh_set_health_sync(&c, name, "name", &e2) && !e2.msg[0])
      abort();
    ecsb_mesh_config_clear(&c);
  } else if (rc != ECSB_FLAGS_HELP && !err.msg[0]) {
    abort();
  }
  free(buf);
  return 0;
}
