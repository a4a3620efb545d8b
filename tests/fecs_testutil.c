/* fecs_testutil.c - see fecs_testutil.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/clock.h"
#include "ecsb/json.h"
#include "ecsb/sigv4.h"
#include "fecs_testutil.h"

int64_t ft_clock_read(void *user) {
  ft_clock *c = user;
  return atomic_load(&c->now_us);
}

void ft_resp_clear(ft_resp *r) {
  cJSON_Delete(r->json);
  free(r->raw);
  memset(r, 0, sizeof *r);
}

static ecsb_http_client *client(void) {
  ecsb_http_opts o;
  ecsb_http_opts_default(&o);
  o.max_retries = 0; /* the tests look at every answer themselves */
  o.timeout_ms = 30000;
  return ecsb_http_client_new(&o, NULL);
}

static void fill(ft_resp *out, ecsb_http_response *hr) {
  out->status = hr->status;
  out->raw = strdup(hr->body ? hr->body : "");
  ecsb_err err = {0};
  if (hr->body_len)
    ecsb_json_parse(hr->body, hr->body_len, "answer", &out->json, &err);
  const cJSON *t = cJSON_GetObjectItem(out->json, "__type");
  const cJSON *m = cJSON_GetObjectItem(out->json, "message");
  if (cJSON_IsString(t))
    snprintf(out->type, sizeof out->type, "%s", t->valuestring);
  if (cJSON_IsString(m))
    snprintf(out->msg, sizeof out->msg, "%s", m->valuestring);
  const char *rid = ecsb_http_response_header(hr, "x-amzn-RequestId");
  if (rid)
    snprintf(out->request_id, sizeof out->request_id, "%s", rid);
}

int ft_call(fecs *f, ft_clock *clk, const ft_req *r, ft_resp *out) {
  memset(out, 0, sizeof *out);
  const char *body = r->body ? r->body : "{}";
  char target[200];
  snprintf(target, sizeof target, "%s%s", FECS_API_TARGET_PREFIX, r->op);
  ecsb_http_header h[12] = {
      {"Content-Type", "application/x-amz-json-1.1"},
      {"X-Amz-Target", (char *)(r->target ? r->target : target)},
  };
  size_t nh = 2;
  for (size_t i = 0; i < r->n_extra && i < 4; i++)
    h[nh++] = r->extra[i];
  char url[128];
  snprintf(url, sizeof url, "%s/", fecs_api_url(f));
  ecsb_sigv4_params p;
  ecsb_sigv4_params_default(&p);
  p.access_key_id = r->akid ? r->akid : fecs_access_key_id(f);
  p.secret_access_key = r->secret ? r->secret : fecs_secret_access_key(f);
  p.session_token = r->token;
  p.region = r->region ? r->region : fecs_region(f);
  p.service = r->service ? r->service : "ecs";
  p.time_s = r->time_s ? r->time_s
                       : (clk ? atomic_load(&clk->now_us) / 1000000
                              : ecsb_wall_us() / 1000000);
  ecsb_sigv4_request sr = {"POST", url, h, nh, body, strlen(body)};
  ecsb_sigv4_signed sig;
  ecsb_err err = {0};
  memset(&sig, 0, sizeof sig);
  if (!r->no_auth) {
    if (ecsb_sigv4_sign(&p, &sr, &sig, &err))
      fail_msg("signing: %s", err.msg);
    for (size_t i = 0; i < sig.n_headers; i++) {
      if (r->no_date && !strcmp(sig.headers[i].name, "X-Amz-Date"))
        continue;
      if (r->auth_override && !strcmp(sig.headers[i].name, "Authorization"))
        h[nh++] = (ecsb_http_header){"Authorization", (char *)r->auth_override};
      else
        h[nh++] = sig.headers[i];
    }
  }
  const char *send = r->send_body ? r->send_body : body;
  ecsb_http_client *c = client();
  ecsb_http_request req = {.method = r->method ? r->method : "POST",
                           .url = url,
                           .headers = h,
                           .n_headers = nh,
                           .body = send,
                           .body_len = strlen(send)};
  ecsb_http_response hr = {0};
  int rc = ecsb_http_do(c, &req, &hr, &err);
  if (rc == 0)
    fill(out, &hr);
  ecsb_http_response_clear(&hr);
  ecsb_http_client_free(c);
  ecsb_sigv4_signed_clear(&sig);
  return rc;
}

static char *vfmt(const char *fmt, va_list ap) {
  va_list cp;
  va_copy(cp, ap);
  int n = vsnprintf(NULL, 0, fmt, cp);
  va_end(cp);
  char *s = malloc((size_t)n + 1);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  return s;
}

cJSON *ft_ok(fecs *f, ft_clock *clk, const char *op, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *body = vfmt(fmt, ap);
  va_end(ap);
  ft_req r = {.op = op, .body = body};
  ft_resp out;
  assert_int_equal(ft_call(f, clk, &r, &out), 0);
  if (out.status != 200)
    fail_msg("%s: HTTP %ld %s: %.600s (request %.300s)", op, out.status,
             out.type, out.msg, body);
  cJSON *j = out.json;
  out.json = NULL;
  assert_non_null(j);
  ft_resp_clear(&out);
  free(body);
  return j;
}

const char *ft_fails(fecs *f, ft_clock *clk, const char *op, const char *type,
                     long status, const char *fmt, ...) {
  static __thread char msg[4096];
  va_list ap;
  va_start(ap, fmt);
  char *body = vfmt(fmt, ap);
  va_end(ap);
  ft_req r = {.op = op, .body = body};
  ft_resp out;
  assert_int_equal(ft_call(f, clk, &r, &out), 0);
  if (out.status != status || strcmp(out.type, type))
    fail_msg("%s: want HTTP %ld %s, got HTTP %ld %s: %.600s (request "
             "%.300s)",
             op, status, type, out.status, out.type, out.msg, body);
  assert_true(out.request_id[0] != '\0');
  snprintf(msg, sizeof msg, "%s", out.msg);
  ft_resp_clear(&out);
  free(body);
  return msg;
}

int ft_get(const char *url, const char *auth, ft_resp *out) {
  memset(out, 0, sizeof *out);
  ecsb_http_client *c = client();
  ecsb_http_header h[1] = {{"Authorization", (char *)auth}};
  ecsb_http_response hr = {0};
  ecsb_err err = {0};
  int rc = ecsb_http_get(c, url, auth ? h : NULL, auth ? 1 : 0, &hr, &err);
  if (rc == 0)
    fill(out, &hr);
  else
    snprintf(out->msg, sizeof out->msg, "%s", err.msg);
  ecsb_http_response_clear(&hr);
  ecsb_http_client_free(c);
  return rc;
}

static pthread_mutex_t ev_mu = PTHREAD_MUTEX_INITIALIZER;

void ft_events_hook(void *user, const fecs_hook_event *ev) {
  ft_events *e = user;
  pthread_mutex_lock(&ev_mu);
  int i = atomic_load(&e->n);
  if (i < 4096) {
    snprintf(e->lines[i], sizeof e->lines[i],
             "%s op=%s status=%d err=%s fault=%s task=%s ctr=%s st=%s "
             "exit=%d lat=%lld detail=%s",
             fecs_hook_kind_name(ev->kind), ev->operation ? ev->operation : "-",
             ev->http_status, ev->error_code ? ev->error_code : "-",
             ev->fault ? ev->fault : "-",
             ev->task_arn ? strrchr(ev->task_arn, '/') + 1 : "-",
             ev->container ? ev->container : "-", ev->status ? ev->status : "-",
             ev->has_exit_code ? ev->exit_code : -1, (long long)ev->latency_us,
             ev->detail ? ev->detail : "-");
    atomic_store(&e->n, i + 1);
  }
  pthread_mutex_unlock(&ev_mu);
}

int ft_events_count(ft_events *e, ...) {
  const char *subs[16];
  int ns = 0;
  va_list ap;
  va_start(ap, e);
  for (const char *s = va_arg(ap, const char *); s && ns < 16;
       s = va_arg(ap, const char *))
    subs[ns++] = s;
  va_end(ap);
  int count = 0;
  pthread_mutex_lock(&ev_mu);
  for (int i = 0; i < atomic_load(&e->n); i++) {
    bool all = true;
    for (int k = 0; k < ns && all; k++)
      all = strstr(e->lines[i], subs[k]) != NULL;
    count += all;
  }
  pthread_mutex_unlock(&ev_mu);
  return count;
}

const char *ft_mesh_taskdef(void) {
  return "{\"family\":\"web\",\"networkMode\":\"awsvpc\","
         "\"requiresCompatibilities\":[\"FARGATE\"],\"cpu\":\"256\","
         "\"memory\":\"512\",\"taskRoleArn\":"
         "\"arn:aws:iam::123456789012:role/web-task\","
         "\"volumes\":[{\"name\":\"consul_data\"}],"
         "\"containerDefinitions\":["
         "{\"name\":\"discover-servers\",\"image\":\"ecsboot-init\","
         "\"essential\":false,\"command\":[\"discover-servers\","
         "\"-service-name=consul-server\",\"-out=/consul/server-ip\"],"
         "\"mountPoints\":[{\"sourceVolume\":\"consul_data\","
         "\"containerPath\":\"/consul\"}]},"
         "{\"name\":\"consul-client\",\"image\":\"consul:1.9\","
         "\"essential\":true,\"entryPoint\":[\"/bin/sh\",\"-ec\"],"
         "\"command\":[\"consul agent -retry-join $(cat /consul/server-ip)\"],"
         "\"portMappings\":[{\"containerPort\":8502}],"
         "\"mountPoints\":[{\"sourceVolume\":\"consul_data\","
         "\"containerPath\":\"/consul\"}],"
         "\"dependsOn\":[{\"containerName\":\"discover-servers\","
         "\"condition\":\"SUCCESS\"}]},"
         "{\"name\":\"mesh-init\",\"image\":\"ecsboot-init\","
         "\"essential\":false,\"command\":[\"mesh-init\","
         "\"-envoy-bootstrap-file=/consul/envoy-bootstrap.json\","
         "\"-port=9090\",\"-upstreams=backend:1234\"],"
         "\"mountPoints\":[{\"sourceVolume\":\"consul_data\","
         "\"containerPath\":\"/consul\"}],"
         "\"dependsOn\":[{\"containerName\":\"discover-servers\","
         "\"condition\":\"SUCCESS\"}]},"
         "{\"name\":\"sidecar-proxy\",\"image\":\"envoyproxy/envoy:v1.16.0\","
         "\"essential\":true,\"entryPoint\":[\"envoy\",\"--config-path\","
         "\"/consul/envoy-bootstrap.json\"],"
         "\"portMappings\":[{\"containerPort\":20000}],"
         "\"healthCheck\":{\"command\":[\"CMD\",\"nc\",\"-z\",\"127.0.0.1\","
         "\"20000\"],\"interval\":30,\"timeout\":5,\"retries\":3},"
         "\"mountPoints\":[{\"sourceVolume\":\"consul_data\","
         "\"containerPath\":\"/consul\"}],"
         "\"dependsOn\":[{\"containerName\":\"mesh-init\","
         "\"condition\":\"SUCCESS\"}]},"
         "{\"name\":\"app\",\"image\":\"web:1\",\"essential\":true,"
         "\"environment\":[{\"name\":\"PORT\",\"value\":\"9090\"}],"
         "\"portMappings\":[{\"containerPort\":9090}],"
         "\"dependsOn\":[{\"containerName\":\"mesh-init\","
         "\"condition\":\"SUCCESS\"},{\"containerName\":\"sidecar-proxy\","
         "\"condition\":\"HEALTHY\"}],\"startTimeout\":120,"
         "\"stopTimeout\":30}],"
         "\"tags\":[{\"key\":\"team\",\"value\":\"mesh\"}]}";
}

fecs *ft_start(fecs_config *cfg, ft_clock *clk, ft_events *ev) {
  fecs_config def;
  if (!cfg) {
    fecs_config_default(&def);
    cfg = &def;
  }
  if (clk) {
    if (atomic_load(&clk->now_us) == 0)
      atomic_store(&clk->now_us, 1700000000LL * 1000000);
    cfg->clock_us = ft_clock_read;
    cfg->clock_user = clk;
  }
  if (ev) {
    cfg->hook = ft_events_hook;
    cfg->hook_user = ev;
  }
  fecs *f = NULL;
  ecsb_err err = {0};
  if (fecs_new(cfg, &f, &err))
    fail_msg("fecs_new: %s", err.msg);
  return f;
}

const cJSON *jp(const cJSON *root, const char *path) {
  const cJSON *cur = root;
  const char *p = path;
  while (cur && *p) {
    if (*p == '.') {
      p++;
      continue;
    }
    if (*p == '[') {
      int idx = atoi(p + 1);
      cur = cJSON_GetArrayItem(cur, idx);
      p = strchr(p, ']');
      if (!p)
        return NULL;
      p++;
      continue;
    }
    size_t n = strcspn(p, ".[");
    char key[128];
    snprintf(key, sizeof key, "%.*s", (int)n, p);
    cur = cJSON_GetObjectItemCaseSensitive(cur, key);
    p += n;
  }
  return cur;
}

const char *jps(const cJSON *root, const char *path) {
  const cJSON *j = jp(root, path);
  return cJSON_IsString(j) ? j->valuestring : NULL;
}

double jpn(const cJSON *root, const char *path) {
  const cJSON *j = jp(root, path);
  return cJSON_IsNumber(j) ? j->valuedouble : -1e300;
}
