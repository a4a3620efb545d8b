/* fuzz_consul_http.c - any bytes as an HTTP request to a fake Consul agent
 * joined to a fake server (registration payloads, query strings, blocking
 * parameters, ACL headers), and to the server itself. */
#include "fuzz.h"
/* A blocking query (?index=&wait=) legitimately holds its answer for its
 * wait, which the fuzzer sets to anything: move on after 1 s, or most of
 * a run is spent waiting. The held handler ends on its own thread. */
#define FUZZ_HTTP_SILENT_POLLS 20
#include "fuzz_http.h"

#include <stdlib.h>

#include "fcon/fcon.h"

static fcon_server *srv;
static fcon_agent *agent;

static void start(void) {
  fcon_server_config sc;
  fcon_server_config_default(&sc);
  sc.bind_ip = "127.17.0.10";
  fcon_agent_config ac;
  fcon_agent_config_default(&ac);
  ac.bind_ip = "127.17.0.11";
  if (fcon_server_start(&sc, &srv, NULL) != 0)
    abort();
  ac.server = srv;
  ac.join_on_start = true;
  ac.time_scale = 0.001; /* checks run, but do not hold the runs up */
  if (fcon_agent_start(&ac, &agent, NULL) != 0)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!srv)
    start();
  fuzz_http_send("127.17.0.11", fcon_agent_port(agent), data, size);
  fuzz_http_send("127.17.0.10", fcon_server_port(srv), data, size);
  return 0;
}
