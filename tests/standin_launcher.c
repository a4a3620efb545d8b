/* standin_launcher.c - test-only: runs a stand-in main as its own process,
 * as `ecsboot <name> ...` will once the CLI dispatches to it. */
#include <stdio.h>
#include <string.h>

#include "ecsb/http.h"
#include "scn/standin.h"

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: standin_launcher app|envoy ...\n");
    return 2;
  }
  ecsb_http_global_init(NULL);
  int rc = 2;
  if (strcmp(argv[1], "app") == 0)
    rc = scn_standin_app_main(argc - 1, argv + 1);
  else if (strcmp(argv[1], "envoy") == 0)
    rc = scn_standin_envoy_main(argc - 1, argv + 1);
  else
    fprintf(stderr, "standin_launcher: unknown stand-in %s\n", argv[1]);
  ecsb_http_global_cleanup();
  return rc;
}
