/*
 * fcon_testutil.c - see fcon_testutil.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/clock.h"
#include "ecsb/http.h"
#include "fcon_testutil.h"

unsigned fcon_tu_threads;

void fcon_tu_start(fcon_tu *t, bool join, double time_scale) {
  ecsb_err err = {0};
  fcon_server_config sc;
  fcon_server_config_default(&sc);
  sc.threads = fcon_tu_threads;
  assert_int_equal(fcon_server_start(&sc, &t->srv, &err), 0);
  fcon_agent_config ac;
  fcon_agent_config_default(&ac);
  ac.server = t->srv;
  ac.join_on_start = join;
  ac.node_name = "node-1";
  ac.time_scale = time_scale;
  ac.threads = fcon_tu_threads;
  if (fcon_agent_start(&ac, &t->agent, &err) < 0)
    fail_msg("agent: %s", err.msg);
}

void fcon_tu_stop(fcon_tu *t) {
  fcon_agent_stop(t->agent);
  fcon_server_stop(t->srv);
  t->agent = NULL;
  t->srv = NULL;
}

long fcon_tu_call_h(const char *ip, uint16_t port, const char *method,
                    const char *path, const char *body, char **body_out,
                    const char *hdr_name, char *hdr_out) {
  ecsb_http_opts o;
  ecsb_http_opts_default(&o);
  o.max_retries = 0;
  o.timeout_ms = 30000;
  ecsb_err err = {0};
  ecsb_http_client *c = ecsb_http_client_new(&o, &err);
  assert_non_null(c);
  char url[512];
  snprintf(url, sizeof url, "http://%s:%u%s", ip ? ip : "127.0.0.1", port,
           path);
  ecsb_http_request rq = {.method = method,
                          .url = url,
                          .body = body,
                          .body_len = body ? strlen(body) : 0};
  ecsb_http_response r = {0};
  long st = -1;
  if (ecsb_http_do(c, &rq, &r, &err) == 0) {
    st = r.status;
    if (body_out) {
      *body_out = r.body;
      r.body = NULL;
    }
    if (hdr_name && hdr_out) {
      const char *v = ecsb_http_response_header(&r, hdr_name);
      snprintf(hdr_out, 64, "%s", v ? v : "");
    }
  } else if (body_out) {
    *body_out = NULL;
  }
  ecsb_http_response_clear(&r);
  ecsb_http_client_free(c);
  return st;
}

long fcon_tu_call(uint16_t port, const char *method, const char *path,
                  const char *body, char **body_out) {
  return fcon_tu_call_h(NULL, port, method, path, body, body_out, NULL, NULL);
}

cJSON *fcon_tu_get_json(uint16_t port, const char *path) {
  char *b = NULL;
  long st = fcon_tu_call(port, "GET", path, NULL, &b);
  if (st != 200)
    fail_msg("GET %s: %ld %s", path, st, b ? b : "");
  cJSON *j = cJSON_Parse(b);
  free(b);
  assert_non_null(j);
  return j;
}

bool fcon_tu_wait(bool (*fn)(void *u), void *u) {
  int64_t end = ecsb_mono_ms() + 10000;
  while (ecsb_mono_ms() < end) {
    if (fn(u))
      return true;
    ecsb_sleep_ms(5, NULL);
  }
  return fn(u);
}
