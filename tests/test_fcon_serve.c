/*
 * test_fcon_serve.c - the standalone pair (fcon_serve_*): server and joined
 * agent on the given loopback addresses, and the description it prints.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ecsb/http.h"
#include "fcon_testutil.h"

static void test_serve_pair_on_given_addresses(void **state) {
  (void)state;
  char sip[32], aip[32];
  unsigned r = (unsigned)time(NULL) ^ (unsigned)getpid();
  snprintf(sip, sizeof sip, "127.%u.%u.10", (r >> 8) % 200 + 20, r % 250 + 1);
  snprintf(aip, sizeof aip, "127.%u.%u.11", (r >> 8) % 200 + 20, r % 250 + 1);
  fcon_serve_opts o;
  fcon_serve_opts_default(&o);
  assert_string_equal(o.server_ip, "127.0.0.10");
  assert_string_equal(o.agent_ip, "127.0.0.11");
  assert_int_equal(o.server_port, 8500);
  o.server_ip = sip;
  o.agent_ip = aip;
  o.server_port = 0;
  o.agent_port = 0;
  fcon_serve *s = NULL;
  ecsb_err err = {0};
  if (fcon_serve_start(&o, &s, &err) < 0)
    fail_msg("%s", err.msg);
  fcon_agent *a = fcon_serve_agent(s);
  assert_string_equal(fcon_agent_ip(a), aip);
  assert_string_equal(fcon_server_ip(fcon_serve_server(s)), sip);
  assert_true(fcon_agent_joined(a));
  assert_int_equal(fcon_tu_call_h(aip, fcon_agent_port(a), "PUT",
                                  "/v1/agent/service/register",
                                  "{\"Name\":\"web\"}", NULL, NULL, NULL),
                   200);
  char *b = NULL;
  assert_int_equal(fcon_tu_call_h(sip, fcon_server_port(fcon_serve_server(s)),
                                  "GET", "/v1/catalog/service/web", NULL, &b,
                                  NULL, NULL),
                   200);
  assert_non_null(strstr(b, "\"ServiceID\":\"web\""));
  free(b);
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  fcon_serve_describe(s, f);
  fclose(f);
  char want[96];
  snprintf(want, sizeof want, "CONSUL_HTTP_ADDR=http://%s:%u", aip,
           fcon_agent_port(a));
  assert_non_null(strstr(text, want));
  assert_non_null(strstr(text, "curl"));
  free(text);
  fcon_serve_stop(s);
}

static void test_non_loopback_bind_refused(void **state) {
  (void)state;
  ecsb_err err = {0};
  fcon_server_config sc;
  fcon_server_config_default(&sc);
  sc.bind_ip = "0.0.0.0";
  fcon_server *srv = NULL;
  assert_int_equal(fcon_server_start(&sc, &srv, &err), ECSB_EINVAL);
  assert_null(srv);
  fcon_agent_config ac;
  fcon_agent_config_default(&ac);
  ac.bind_ip = "10.1.2.3";
  fcon_agent *a = NULL;
  assert_int_equal(fcon_agent_start(&ac, &a, &err), ECSB_EINVAL);
  assert_null(a);
  assert_non_null(strstr(err.msg, "fcon agent"));
}

int main(void) {
  ecsb_http_global_init(NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_serve_pair_on_given_addresses),
      cmocka_unit_test(test_non_loopback_bind_refused),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  ecsb_http_global_cleanup();
  return rc;
}
