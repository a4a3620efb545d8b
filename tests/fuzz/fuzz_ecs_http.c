/* fuzz_ecs_http.c - any bytes as an HTTP request to fake-ecs's API
 * (awsJson1_1 bodies, X-Amz-Target, SigV4 headers) and to its metadata and
 * credentials endpoint. Signatures are checked as by default: the fuzzer
 * gets past them only with valid ones (corpus), which is the point. */
#include "fuzz.h"
#include "fuzz_http.h"

#include <stdlib.h>
#include <string.h>

#include "fecs/fecs.h"

static fecs *f;

static uint16_t port_of(const char *url) {
  const char *c = strrchr(url, ':');
  return c ? (uint16_t)atoi(c + 1) : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!f) {
    fecs_config c;
    fecs_config_default(&c);
    c.api_bind_ip = "127.17.1.2";
    c.metadata_bind_ip = "127.17.1.3";
    c.verify_sigv4 = getenv("FUZZ_ECS_SIGV4") != NULL;
    c.create_default_cluster = true;
    if (fecs_new(&c, &f, NULL) != 0)
      abort();
  }
  fuzz_http_send("127.17.1.2", port_of(fecs_api_url(f)), data, size);
  fuzz_http_send("127.17.1.3", port_of(fecs_endpoint_url(f)), data, size);
  return 0;
}
