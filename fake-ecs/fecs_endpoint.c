/*
 * fecs_endpoint.c - the agent endpoint ECS runs at 169.254.170.2, here on
 * loopback: task metadata v4 and container credentials.
 *
 *   GET /v4/<container-id>             that container
 *   GET /v4/<container-id>/task        the task and all its containers
 *   GET /v4/<container-id>/stats       Docker stats of that container
 *   GET /v4/<container-id>/task/stats  {<container-id>: stats, ...}
 *   GET /v2/credentials/<id>           AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
 *   GET /v1/credentials                AWS_CONTAINER_CREDENTIALS_FULL_URI,
 *                                      Authorization: <the task's token>
 *
 * The credentials handed out are the task's role credentials, which the
 * API's SigV4 check accepts (with their session token) until they expire.
 * Faults (down, slow, malformed, 500) apply per endpoint kind. Runs on
 * libmicrohttpd's threads; takes fecs.mu, never holding it while sleeping.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ecsb/json.h"
#include "fecs_internal.h"

static void json_answer(ecsb_httpd_resp *resp, int status, cJSON *o) {
  char *body = o ? ecsb_json_print(o) : NULL;
  cJSON_Delete(o);
  if (body)
    ecsb_httpd_resp_take(resp, status, "application/json", body);
  else
    ecsb_httpd_resp_set(resp, 500, "application/json", "{}", 2);
}

static void msg_answer(ecsb_httpd_resp *resp, int status, const char *code,
                       const char *msg) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "code", code);
  cJSON_AddStringToObject(o, "message", msg);
  json_answer(resp, status, o);
}

static cJSON *creds_json(fecs *f, fecs_task_rec *t) {
  fecs_cred_rec *c = fecs_task_cred_locked(f, t);
  if (!c)
    return NULL;
  char exp[32];
  time_t s = (time_t)(c->expires_us / 1000000);
  struct tm tm;
  gmtime_r(&s, &tm);
  strftime(exp, sizeof exp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "AccessKeyId", c->akid);
  cJSON_AddStringToObject(o, "Expiration", exp);
  cJSON_AddStringToObject(o, "RoleArn", t->role_arn);
  cJSON_AddStringToObject(o, "SecretAccessKey", c->secret);
  cJSON_AddStringToObject(o, "Token", c->token);
  return o;
}

/* Routes a request; returns the status answered. */
static int route(fecs *f, const ecsb_httpd_req *req, ecsb_httpd_resp *resp) {
  const char *p = req->path;
  if (!strncmp(p, "/v2/credentials/", 16)) {
    fecs_task_rec *t = fecs_task_by_cred_id_locked(f, p + 16);
    if (!t) {
      msg_answer(resp, 400, "InvalidIdentity",
                 "no credentials for this ID (unknown task)");
      return 400;
    }
    json_answer(resp, 200, creds_json(f, t));
    return 200;
  }
  if (!strcmp(p, "/v1/credentials")) {
    const char *tok = ecsb_httpd_req_header(req, "Authorization");
    if (!tok || !*tok) {
      msg_answer(resp, 401, "AccessDenied",
                 "the Authorization header with the container authorization "
                 "token is required");
      return 401;
    }
    fecs_task_rec *t = fecs_task_by_auth_token_locked(f, tok);
    if (!t) {
      msg_answer(resp, 403, "AccessDenied",
                 "the authorization token is not valid");
      return 403;
    }
    json_answer(resp, 200, creds_json(f, t));
    return 200;
  }
  if (strncmp(p, "/v4/", 4)) {
    msg_answer(resp, 404, "NotFound", "unknown path");
    return 404;
  }
  char rid[128];
  const char *rest = p + 4;
  size_t n = strcspn(rest, "/");
  if (n == 0 || n >= sizeof rid) {
    msg_answer(resp, 404, "NotFound", "no container ID in the path");
    return 404;
  }
  memcpy(rid, rest, n);
  rid[n] = '\0';
  rest += n;
  fecs_ctr *c = NULL;
  fecs_task_rec *t = fecs_task_by_runtime_id_locked(f, rid, &c);
  if (!t) {
    msg_answer(resp, 404, "NotFound",
               "unable to find the container ID in the metadata path");
    return 404;
  }
  cJSON *o = NULL;
  if (!*rest || !strcmp(rest, "/")) {
    o = fecs_md_container_json(f, t, c);
  } else if (!strcmp(rest, "/task")) {
    o = fecs_md_task_json(f, t);
  } else if (!strcmp(rest, "/stats")) {
    o = fecs_md_stats_json(f, t, c);
  } else if (!strcmp(rest, "/task/stats")) {
    o = cJSON_CreateObject();
    for (size_t i = 0; o && i < t->n_ctrs; i++)
      cJSON_AddItemToObject(o, t->ctrs[i].runtime_id,
                            fecs_md_stats_json(f, t, &t->ctrs[i]));
  } else {
    msg_answer(resp, 404, "NotFound", "unknown metadata path");
    return 404;
  }
  json_answer(resp, 200, o);
  return o ? 200 : 500;
}

void fecs_endpoint_handle(void *user, const ecsb_httpd_req *req,
                          ecsb_httpd_resp *resp) {
  fecs *f = user;
  int64_t t0 = ecsb_mono_us();
  bool creds = !strncmp(req->path, "/v2/credentials", 15) ||
               !strcmp(req->path, "/v1/credentials");
  fecs_endpoint ep = creds ? FECS_EP_CREDENTIALS : FECS_EP_METADATA;
  const char *kind = creds ? "credentials" : "metadata";
  fecs_endpoint_mode mode;
  int64_t delay = 0;
  fecs_lock(f);
  fecs_faults_endpoint(f->faults, ep, &mode, &delay);
  static const char *const FAULT[] = {NULL, "endpoint-down", "endpoint-slow",
                                      "endpoint-malformed", "endpoint-error"};
  if (mode != FECS_EP_OK) {
    fecs_hook_event ev = {.kind = FECS_HOOK_FAULT,
                          .wall_us = fecs_now_us(f),
                          .operation = kind,
                          .fault = FAULT[mode],
                          .detail = req->path};
    fecs_emit_locked(f, &ev);
    f->stats.faults_injected++;
  }
  fecs_unlock(f);
  int status = 0;
  if (mode == FECS_EP_DOWN) {
    resp->abort_connection = true;
    goto out;
  }
  if (mode == FECS_EP_SLOW && delay > 0)
    ecsb_sleep_ms(delay, NULL);
  if (mode == FECS_EP_ERROR) {
    msg_answer(resp, 500, "InternalError", "injected by fake-ecs");
    status = 500;
    goto out;
  }
  if (strcmp(req->method, "GET")) {
    msg_answer(resp, 405, "MethodNotAllowed", "only GET is served here");
    status = 405;
    goto out;
  }
  fecs_lock(f);
  fecs_advance_locked(f, fecs_now_us(f));
  status = route(f, req, resp);
  fecs_unlock(f);
  if (mode == FECS_EP_MALFORMED && status == 200) {
    /* a body cut off mid-document: valid HTTP, invalid JSON */
    size_t cut = resp->body_len / 2;
    char *half = malloc(cut + 2);
    if (half) {
      memcpy(half, resp->body, cut);
      half[cut] = '{'; /* never a complete document, even when cut is 0 */
      ecsb_httpd_resp_set(resp, 200, "application/json", half, cut + 1);
      free(half);
    }
  }
out:
  fecs_lock(f);
  f->stats.endpoint_calls++;
  fecs_hook_event ev = {.kind = FECS_HOOK_ENDPOINT_CALL,
                        .wall_us = fecs_now_us(f),
                        .operation = kind,
                        .http_status = status,
                        .latency_us = ecsb_mono_us() - t0,
                        .detail = creds ? "(credentials)" : req->path};
  fecs_emit_locked(f, &ev);
  fecs_unlock(f);
}
