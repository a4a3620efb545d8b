/* test_fcon_remote.c - an agent whose server is reached by address (as the
 * consul-client stand-in reaches the runner's): join, the pushed snapshot,
 * the server's events and instance query, proxied reads with Consul's
 * headers, a server that goes down and comes back, leave; a fleet's nodes
 * found by name and by address. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ecsb/clock.h"
#include "ecsb/http.h"
#include "fcon/fcon.h"
#include "fcon_internal.h"
#include "fcon_testutil.h"
#include "net_testutil.h"

#define SRV_IP "127.19.250.10"
#define AGENT_IP "127.19.250.11"

/* Server events, recorded as "kind:service_id:check_id:status:kind". */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char events[64][160];
static size_t n_events;

static void on_event(void *u, const fcon_event *ev) {
  (void)u;
  pthread_mutex_lock(&mu);
  if (n_events < 64 && ev->kind != FCON_EV_SYNC)
    snprintf(events[n_events++], sizeof events[0], "%d:%s:%s:%s:%s@%s",
             (int)ev->kind, ev->service_id ? ev->service_id : "",
             ev->check_id ? ev->check_id : "", ev->status ? ev->status : "",
             ev->service_kind ? ev->service_kind : "",
             ev->address ? ev->address : "");
  pthread_mutex_unlock(&mu);
}

static bool has_event(const char *prefix) {
  pthread_mutex_lock(&mu);
  bool found = false;
  for (size_t i = 0; i < n_events && !found; i++)
    found = strncmp(events[i], prefix, strlen(prefix)) == 0;
  pthread_mutex_unlock(&mu);
  return found;
}

typedef struct want {
  fcon_server *s;
  size_t n;
  bool passing;
} want;

static bool instances_are(void *u) {
  want *w = u;
  fcon_instance *in = NULL;
  size_t n = 0;
  assert_int_equal(fcon_server_instances(w->s, AGENT_IP, &in, &n, NULL), 0);
  bool ok = n == w->n;
  for (size_t i = 0; i < n && ok; i++)
    ok = in[i].passing == w->passing;
  fcon_instances_free(in, n);
  return ok;
}

/* A server on SRV_IP, without an event hook. */
static fcon_server *start_server(void) {
  fcon_server_config sc;
  fcon_server_config_default(&sc);
  sc.bind_ip = SRV_IP;
  fcon_server *s = NULL;
  assert_int_equal(fcon_server_start(&sc, &s, NULL), 0);
  return s;
}

/* A node as an agent pushes it: one service, its check passing or not. */
static void push(fcon_server *s, const char *node, const char *addr,
                 const char *svc, bool passing) {
  cJSON *services = cJSON_CreateArray(), *checks = cJSON_CreateArray();
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "ID", svc);
  cJSON_AddStringToObject(o, "Service", svc);
  cJSON_AddItemToArray(services, o);
  o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "ServiceID", svc);
  cJSON_AddStringToObject(o, "Status", passing ? "passing" : "critical");
  cJSON_AddItemToArray(checks, o);
  fcon_server_push(s, node, addr, services, checks, false);
}

/* The instances at addr are ids: their ids joined by ',', each
 * followed by '!' when not passing. */
static void expect_at(fcon_server *s, const char *addr, const char *ids) {
  fcon_instance *in = NULL;
  size_t n = 0;
  assert_int_equal(fcon_server_instances(s, addr, &in, &n, NULL), 0);
  char got[256] = "";
  size_t o = 0;
  for (size_t i = 0; i < n; i++)
    o += (size_t)snprintf(got + o, sizeof got - o, "%s%s%s", i ? "," : "",
                          in[i].id, in[i].passing ? "" : "!");
  fcon_instances_free(in, n);
  assert_string_equal(got, ids);
}

/* Hundreds of nodes, as a fleet's agents push them: each found by its name
 * (a push replaces its node's snapshot) and by its address (every node
 * there), also after a node left. */
static void test_fleet_nodes_by_name_and_address(void **state) {
  (void)state;
  fcon_server *s = start_server();
  char node[32], addr[32], svc[32];
  for (int i = 0; i < 300; i++) {
    snprintf(node, sizeof node, "node-%d", i);
    snprintf(addr, sizeof addr, "127.30.%d.%d", i / 250, i % 250 + 1);
    snprintf(svc, sizeof svc, "svc-%d", i);
    push(s, node, addr, svc, true);
  }
  push(s, "twin", "127.30.0.8", "svc-twin", false); /* node-7's address */
  expect_at(s, "127.30.0.8", "svc-7,svc-twin!");
  expect_at(s, "127.30.1.50", "svc-299");
  /* by name: the same node's new snapshot, not a second node */
  push(s, "node-5", "127.30.0.6", "svc-5b", false);
  expect_at(s, "127.30.0.6", "svc-5b!");
  /* node-0 leaves; the last node (twin) takes its place in the array */
  fcon_server_drop_node(s, "node-0");
  expect_at(s, "127.30.0.1", "");
  expect_at(s, "127.30.0.8", "svc-twin!,svc-7");
  push(s, "twin", "127.30.0.8", "svc-twin", true);
  expect_at(s, "127.30.0.8", "svc-twin,svc-7");
  expect_at(s, "127.30.1.50", "svc-299");
  fcon_server_stop(s);
}

static void test_remote_agent(void **state) {
  (void)state;
  fcon_server_config sc;
  fcon_server_config_default(&sc);
  sc.bind_ip = SRV_IP;
  sc.on_event = on_event;
  fcon_server *s = NULL;
  assert_int_equal(fcon_server_start(&sc, &s, NULL), 0);
  fcon_agent_config ac;
  fcon_agent_config_default(&ac);
  ac.bind_ip = AGENT_IP;
  ac.node_name = "remote-node";
  fcon_agent *a = NULL;
  assert_int_equal(fcon_agent_start(&ac, &a, NULL), 0);
  uint16_t ap = fcon_agent_port(a);

  /* Nobody at this address: Consul's join error. */
  ecsb_err err = {0};
  assert_int_equal(fcon_agent_join_addr(a, "127.19.250.99:1", &err),
                   ECSB_ETRANSPORT);
  assert_non_null(strstr(err.msg, "Failed to join 127.19.250.99:1"));

  /* Registered before the join: kept locally, synced once joined. */
  const char *reg = "{\"Name\": \"web\", \"ID\": \"web-1\", \"Port\": 9090,"
                    " \"Check\": {\"CheckID\": \"web-ttl\", \"TTL\": \"1h\"},"
                    " \"Connect\": {\"SidecarService\": {}}}";
  assert_int_equal(fcon_tu_call_h(AGENT_IP, ap, "PUT",
                                  "/v1/agent/service/register", reg, NULL, NULL,
                                  NULL),
                   200);
  char path[64];
  snprintf(path, sizeof path, "/v1/agent/join/%s:%u", SRV_IP,
           (unsigned)fcon_server_port(s));
  assert_int_equal(
      fcon_tu_call_h(AGENT_IP, ap, "PUT", path, NULL, NULL, NULL, NULL), 200);
  assert_true(fcon_agent_joined(a));
  want w = {.s = s, .n = 2, .passing = false};
  assert_true(fcon_tu_wait(instances_are, &w));
  assert_true(has_event("4:::")); /* FCON_EV_JOIN */
  assert_true(has_event("1:web-1:::@" AGENT_IP));
  assert_true(has_event("1:web-1-sidecar-proxy:::connect-proxy@" AGENT_IP));
  assert_true(has_event("3:web-1:web-ttl:critical:"));

  /* Reads through the agent are the server's, with its headers. */
  char idx[64] = "", *body = NULL;
  assert_int_equal(fcon_tu_call_h(AGENT_IP, ap, "GET",
                                  "/v1/health/service/web?passing", NULL, &body,
                                  "X-Consul-Index", idx),
                   200);
  assert_true(atoi(idx) > 0);
  assert_string_equal(body, "[]"); /* its TTL check is critical */
  free(body);

  /* The server goes down: the check change waits, then gets through. */
  assert_int_equal(fcon_server_down(s, NULL), 0);
  assert_int_equal(fcon_tu_call_h(AGENT_IP, ap, "PUT",
                                  "/v1/agent/check/pass/web-ttl", NULL, NULL,
                                  NULL, NULL),
                   200);
  ecsb_sleep_ms(150, NULL);
  assert_false(instances_are(&(want){.s = s, .n = 2, .passing = true}));
  assert_int_equal(fcon_server_up(s, NULL), 0);
  w = (want){.s = s, .n = 2, .passing = false};
  /* the proxy has no passing check of its own here; the service does */
  fcon_instance *in = NULL;
  size_t n = 0;
  for (int i = 0; i < 500; i++) {
    fcon_instances_free(in, n);
    assert_int_equal(fcon_server_instances(s, AGENT_IP, &in, &n, NULL), 0);
    bool web_passing = false;
    for (size_t k = 0; k < n; k++)
      if (!strcmp(in[k].id, "web-1"))
        web_passing = in[k].passing;
    if (web_passing)
      break;
    ecsb_sleep_ms(10, NULL);
  }
  assert_int_equal(n, 2);
  for (size_t k = 0; k < n; k++) {
    if (!strcmp(in[k].id, "web-1")) {
      assert_true(in[k].passing);
      assert_string_equal(in[k].kind, "");
    } else {
      assert_string_equal(in[k].kind, "connect-proxy");
      assert_string_equal(in[k].proxy_dest, "web-1");
    }
  }
  fcon_instances_free(in, n);
  assert_true(has_event("3:web-1:web-ttl:passing:"));

  fcon_agent_leave(a);
  w = (want){.s = s, .n = 0};
  assert_true(fcon_tu_wait(instances_are, &w));
  assert_true(has_event("2:web-1:::@")); /* deregistered with the node */
  assert_true(has_event("5:::"));        /* FCON_EV_LEAVE */
  fcon_agent_stop(a);
  fcon_server_stop(s);
}

/* The server serves as many connections at once as it is configured for
 * (a fleet's runner sizes it to the fleet: 1,000 agents leaving at once
 * met the default of 1,024) and closes the one past that at once. */
static void test_connection_limit_is_configured(void **state) {
  (void)state;
  for (int limited = 1; limited >= 0; limited--) {
    fcon_server_config sc;
    fcon_server_config_default(&sc);
    sc.bind_ip = SRV_IP;
    sc.conn_limit = limited ? 2 : 0;
    fcon_server *s = NULL;
    assert_int_equal(fcon_server_start(&sc, &s, NULL), 0);
    ntu_assert_two_connections(SRV_IP, fcon_server_port(s), limited);
    fcon_server_stop(s);
  }
}

static void test_sync_endpoint_rejects_bad_bodies(void **state) {
  (void)state;
  fcon_server *s = start_server();
  uint16_t p = fcon_server_port(s);
  char *body = NULL;
  assert_int_equal(fcon_tu_call_h(SRV_IP, p, "PUT", FCON_NODE_SYNC_PREFIX "n1",
                                  "{\"Address\": 1}", &body, NULL, NULL),
                   400);
  assert_non_null(strstr(body, "Request decode failed"));
  free(body);
  assert_int_equal(fcon_tu_call_h(SRV_IP, p, "POST", FCON_NODE_SYNC_PREFIX "n1",
                                  "{}", NULL, NULL, NULL),
                   405);
  fcon_server_stop(s);
}

int main(void) {
  ecsb_http_global_init(NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_remote_agent),
      cmocka_unit_test(test_fleet_nodes_by_name_and_address),
      cmocka_unit_test(test_sync_endpoint_rejects_bad_bodies),
      cmocka_unit_test(test_connection_limit_is_configured),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  ecsb_http_global_cleanup();
  return rc;
}
