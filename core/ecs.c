/*
 * ecs.c - the signed awsJson1_1 ECS client (see ecs.h). Called by
 * discover-servers once per round; it never retries by itself, so the
 * round loop owns the one backoff policy and the deadline.
 */
#include "ecsb/ecs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ecsb/http.h"
#include "ecsb/json.h"
#include "ecsb/sigv4.h"
#include "ecsb/text.h"

struct ecsb_ecs_client {
  ecsb_http_client *http;
  char endpoint[1024]; /* no trailing slash */
  char region[64];
  ecsb_aws_creds_provider *creds;
  long timeout_ms;
};

void ecsb_ecs_error_code(const char *type, char *out, size_t cap) {
  out[0] = '\0';
  if (!type)
    return;
  const char *h = strrchr(type, '#');
  const char *b = h ? h + 1 : type;
  size_t n = strcspn(b, ":");
  if (n >= cap)
    n = cap - 1;
  memcpy(out, b, n);
  out[n] = '\0';
}

ecsb_ecs_class ecsb_ecs_classify(const char *code, long status) {
  static const char *throttled[] = {
      "ThrottlingException",       "Throttling",
      "ThrottledException",        "RequestLimitExceeded",
      "TooManyRequestsException",  "RequestThrottled",
      "RequestThrottledException", "SlowDown",
      "PriorRequestNotComplete"};
  static const char *auth[] = {"AccessDeniedException",
                               "AccessDenied",
                               "UnrecognizedClientException",
                               "InvalidSignatureException",
                               "IncompleteSignature",
                               "IncompleteSignatureException",
                               "MissingAuthenticationToken",
                               "MissingAuthenticationTokenException",
                               "InvalidClientTokenId",
                               "SignatureDoesNotMatch",
                               "NotAuthorized",
                               "AuthFailure",
                               "UnauthorizedOperation",
                               "ExpiredToken",
                               "ExpiredTokenException",
                               "RequestExpired"};
  static const char *retry[] = {"ServerException",
                                "InternalFailure",
                                "InternalError",
                                "ServiceUnavailable",
                                "ServiceUnavailableException",
                                "ServiceNotFoundException",
                                "ServiceNotActiveException"};
  if (code && *code) {
    for (size_t i = 0; i < sizeof throttled / sizeof *throttled; i++)
      if (strcmp(code, throttled[i]) == 0)
        return ECSB_ECS_THROTTLED;
    for (size_t i = 0; i < sizeof auth / sizeof *auth; i++)
      if (strcmp(code, auth[i]) == 0)
        return ECSB_ECS_AUTH;
    for (size_t i = 0; i < sizeof retry / sizeof *retry; i++)
      if (strcmp(code, retry[i]) == 0)
        return ECSB_ECS_RETRY;
  }
  if (status == 429)
    return ECSB_ECS_THROTTLED;
  if (status >= 500)
    return ECSB_ECS_RETRY;
  if (status == 401 || status == 403)
    return ECSB_ECS_AUTH;
  if (status >= 200 && status <= 299)
    return ECSB_ECS_OK;
  return ECSB_ECS_FATAL;
}

int ecsb_ecs_endpoint(const char *region, char *out, size_t cap,
                      ecsb_err *err) {
  const char *e = getenv("AWS_ENDPOINT_URL_ECS");
  const char *which = "AWS_ENDPOINT_URL_ECS";
  if (!e || !*e) {
    e = getenv("AWS_ENDPOINT_URL");
    which = "AWS_ENDPOINT_URL";
  }
  if (e && *e) {
    if (strchr(e, '@'))
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s: credentials in the URL are not supported",
                          which);
    size_t n = strlen(e);
    if ((strncmp(e, "https://", 8) && strncmp(e, "http://", 7)) || n >= cap ||
        n > 1000)
      return ecsb_err_set(err, ECSB_EINVAL, "%s=\"%s\" is not an http(s) URL",
                          which, e);
    for (const char *p = e; *p; p++)
      if ((unsigned char)*p <= 0x20 || *p == 0x7f)
        return ecsb_err_set(err, ECSB_EINVAL,
                            "%s contains spaces or control characters", which);
    snprintf(out, cap, "%s", e);
    if (out[n - 1] == '/')
      out[n - 1] = '\0';
    return 0;
  }
  if (!region || !*region)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "no AWS region: set AWS_REGION or run in an ECS task");
  for (const char *p = region; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
      return ecsb_err_set(err, ECSB_EINVAL, "AWS region \"%s\" is not valid",
                          region);
  snprintf(out, cap, "https://ecs.%s.amazonaws.com%s", region,
           strncmp(region, "cn-", 3) == 0 ? ".cn" : "");
  return 0;
}

ecsb_ecs_client *ecsb_ecs_client_new(const ecsb_ecs_opts *o, ecsb_err *err) {
  ecsb_ecs_client *c = calloc(1, sizeof *c);
  if (!c) {
    ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
    return NULL;
  }
  if (!o->endpoint || !o->region || !o->creds ||
      snprintf(c->endpoint, sizeof c->endpoint, "%s", o->endpoint) >=
          (int)sizeof c->endpoint ||
      snprintf(c->region, sizeof c->region, "%s", o->region) >=
          (int)sizeof c->region) {
    ecsb_err_set(err, ECSB_EINVAL,
                 "ECS client: endpoint, region and "
                 "credentials are required");
    free(c);
    return NULL;
  }
  /* SigV4 signs the Host header it derives from the URL; make sure there
   * is one before the first call. */
  const char *a = strstr(c->endpoint, "://");
  if (!a || strcspn(a + 3, "/?#") == 0) {
    ecsb_err_set(err, ECSB_EINVAL, "ECS endpoint \"%s\" has no host",
                 c->endpoint);
    free(c);
    return NULL;
  }
  c->creds = o->creds;
  c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 10000;
  ecsb_http_opts ho;
  ecsb_http_opts_default(&ho);
  ho.max_retries = 0; /* the discover round loop retries */
  ho.timeout_ms = c->timeout_ms;
  ho.max_body = o->max_body ? o->max_body : 8u << 20;
  c->http = ecsb_http_client_new(&ho, err);
  if (!c->http) {
    free(c);
    return NULL;
  }
  return c;
}

void ecsb_ecs_client_free(ecsb_ecs_client *c) {
  if (!c)
    return;
  ecsb_http_client_free(c->http);
  free(c);
}

uint64_t ecsb_ecs_requests(const ecsb_ecs_client *c) {
  return c ? ecsb_http_client_requests(c->http) : 0;
}

static ecsb_ecs_class creds_class(int rc) {
  switch (rc) {
  case ECSB_ETRANSPORT:
  case ECSB_ETIMEDOUT:
  case ECSB_ESTATUS:
    return ECSB_ECS_RETRY;
  case ECSB_EAUTH:
    return ECSB_ECS_AUTH;
  default:
    return ECSB_ECS_FATAL;
  }
}

/* One signed POST; *resp on 2xx. */
static int call_once(ecsb_ecs_client *c, const char *action, const char *body,
                     long timeout_ms, cJSON **resp, ecsb_ecs_class *cls,
                     char *code, size_t code_cap, ecsb_err *err) {
  ecsb_aws_creds cr;
  code[0] = '\0';
  int rc = ecsb_aws_creds_get(c->creds, &cr, err);
  if (rc) {
    *cls = creds_class(rc);
    ecsb_err_prefix(err, "ECS %s: credentials", action);
    return rc;
  }
  char target[128], url[1100];
  snprintf(target, sizeof target, "AmazonEC2ContainerServiceV20141113.%s",
           action);
  snprintf(url, sizeof url, "%s/", c->endpoint);
  ecsb_http_header h[8];
  size_t nh = 0;
  h[nh++] = (ecsb_http_header){"Content-Type", "application/x-amz-json-1.1"};
  h[nh++] = (ecsb_http_header){"X-Amz-Target", target};
  ecsb_sigv4_params sp;
  ecsb_sigv4_params_default(&sp);
  sp.access_key_id = cr.access_key_id;
  sp.secret_access_key = cr.secret_access_key;
  sp.session_token = cr.session_token;
  sp.region = c->region;
  sp.service = "ecs";
  sp.time_s = (int64_t)time(NULL);
  ecsb_sigv4_request sr = {.method = "POST",
                           .target = url,
                           .headers = h,
                           .n_headers = nh,
                           .body = body,
                           .body_len = strlen(body)};
  ecsb_sigv4_signed sig;
  memset(&sig, 0, sizeof sig);
  rc = ecsb_sigv4_sign(&sp, &sr, &sig, err);
  ecsb_aws_creds_wipe(&cr);
  if (rc) {
    ecsb_sigv4_signed_clear(&sig);
    *cls = ECSB_ECS_FATAL;
    return ecsb_err_prefix(err, "ECS %s: signing", action);
  }
  /* X-Amz-Date, X-Amz-Security-Token, Authorization, as signed. */
  for (size_t i = 0; i < sig.n_headers && nh < 8; i++)
    h[nh++] = sig.headers[i];
  ecsb_http_request req = {.method = "POST",
                           .url = url,
                           .headers = h,
                           .n_headers = nh,
                           .body = body,
                           .body_len = strlen(body),
                           .timeout_ms = timeout_ms};
  ecsb_http_response r;
  rc = ecsb_http_do(c->http, &req, &r, err);
  ecsb_sigv4_signed_clear(&sig);
  if (rc) {
    *cls = rc == ECSB_ETOOBIG || rc == ECSB_ETLS || rc == ECSB_ESTATUS
               ? ECSB_ECS_FATAL
               : ECSB_ECS_RETRY;
    ecsb_err_prefix(err, "ECS %s", action);
    ecsb_http_response_clear(&r);
    return rc;
  }
  char what[192];
  /* A proxy or captive portal answers HTML: say so beside the parse error. */
  const char *ctype = ecsb_http_response_header(&r, "Content-Type");
  if (ctype && !strstr(ctype, "json"))
    snprintf(what, sizeof what, "ECS %s response (Content-Type %.64s)", action,
             ctype);
  else
    snprintf(what, sizeof what, "ECS %s response", action);
  if (r.status >= 200 && r.status <= 299) {
    rc = ecsb_json_parse(r.body, r.body_len, what, resp, err);
    if (rc == 0 && !cJSON_IsObject(*resp)) {
      cJSON_Delete(*resp);
      *resp = NULL;
      rc = ecsb_err_set(err, ECSB_EINVAL, "%s: $: expected an object", what);
    }
    *cls = rc ? ECSB_ECS_FATAL : ECSB_ECS_OK;
    ecsb_http_response_clear(&r);
    return rc;
  }
  /* An AWS error: the code from the body's __type, else the header. */
  cJSON *j = cJSON_ParseWithLength(r.body, r.body_len);
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(j, "__type");
  const cJSON *msg = cJSON_GetObjectItemCaseSensitive(j, "message");
  if (!cJSON_IsString(msg))
    msg = cJSON_GetObjectItemCaseSensitive(j, "Message");
  ecsb_ecs_error_code(cJSON_IsString(type)
                          ? type->valuestring
                          : ecsb_http_response_header(&r, "x-amzn-ErrorType"),
                      code, code_cap);
  char ex[256];
  if (cJSON_IsString(msg))
    ecsb_excerpt(msg->valuestring, strlen(msg->valuestring), ex, sizeof ex);
  else
    ecsb_excerpt(r.body, r.body_len, ex, sizeof ex);
  *cls = ecsb_ecs_classify(code, r.status);
  rc = ecsb_err_set(err,
                    *cls == ECSB_ECS_AUTH    ? ECSB_EAUTH
                    : *cls == ECSB_ECS_FATAL ? ECSB_EINVAL
                                             : ECSB_ESTATUS,
                    "ECS %s: HTTP %ld %s: %s", action, r.status,
                    code[0] ? code : "(no error code)", ex);
  cJSON_Delete(j);
  ecsb_http_response_clear(&r);
  return rc;
}

int ecsb_ecs_call(ecsb_ecs_client *c, const char *action, const cJSON *req,
                  long timeout_ms, cJSON **resp, ecsb_ecs_class *cls,
                  ecsb_err *err) {
  *resp = NULL;
  char *body = cJSON_PrintUnformatted(req);
  if (!body) {
    *cls = ECSB_ECS_FATAL;
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  }
  if (timeout_ms <= 0)
    timeout_ms = c->timeout_ms;
  char code[96];
  int rc =
      call_once(c, action, body, timeout_ms, resp, cls, code, sizeof code, err);
  /* Expired container credentials: fetch fresh ones once and retry. */
  if (rc &&
      (strcmp(code, "ExpiredTokenException") == 0 ||
       strcmp(code, "ExpiredToken") == 0) &&
      ecsb_aws_creds_invalidate(c->creds))
    rc = call_once(c, action, body, timeout_ms, resp, cls, code, sizeof code,
                   err);
  free(body);
  return rc;
}

int ecsb_ecs_list_tasks(ecsb_ecs_client *c, const char *cluster,
                        const char *service_name, const char *family,
                        long timeout_ms, cJSON **arns, ecsb_ecs_class *cls,
                        ecsb_err *err) {
  *arns = cJSON_CreateArray();
  char *prev_token = NULL;
  int rc = 0;
  for (int page = 0;; page++) {
    if (page >= 100) {
      *cls = ECSB_ECS_FATAL;
      rc = ecsb_err_set(err, ECSB_ETOOBIG,
                        "ECS ListTasks: more than 100 pages; narrow the "
                        "service or family");
      break;
    }
    cJSON *req = cJSON_CreateObject(), *resp = NULL;
    if (cluster && *cluster)
      cJSON_AddStringToObject(req, "cluster", cluster);
    if (service_name)
      cJSON_AddStringToObject(req, "serviceName", service_name);
    else
      cJSON_AddStringToObject(req, "family", family);
    cJSON_AddStringToObject(req, "desiredStatus", "RUNNING");
    cJSON_AddNumberToObject(req, "maxResults", 100);
    if (prev_token)
      cJSON_AddStringToObject(req, "nextToken", prev_token);
    rc = ecsb_ecs_call(c, "ListTasks", req, timeout_ms, &resp, cls, err);
    cJSON_Delete(req);
    if (rc)
      break;
    const cJSON *list = NULL, *a;
    const char *next = NULL;
    if ((rc = ecsb_json_get_array(resp, "ECS ListTasks response: $", "taskArns",
                                  false, &list, err)) ||
        (rc = ecsb_json_get_string(resp, "ECS ListTasks response: $",
                                   "nextToken", false, &next, err))) {
      *cls = ECSB_ECS_FATAL;
      cJSON_Delete(resp);
      break;
    }
    int i = 0;
    cJSON_ArrayForEach(a, list) {
      if (!cJSON_IsString(a) || !*a->valuestring) {
        rc = ecsb_err_set(err, ECSB_EINVAL,
                          "ECS ListTasks response: $.taskArns[%d]: expected "
                          "a task ARN",
                          i);
        break;
      }
      if (cJSON_GetArraySize(*arns) >= 10000) {
        rc = ecsb_err_set(err, ECSB_ETOOBIG,
                          "ECS ListTasks: more than 10000 tasks");
        break;
      }
      cJSON_AddItemToArray(*arns, cJSON_CreateString(a->valuestring));
      i++;
    }
    if (!rc && next && *next && prev_token && strcmp(next, prev_token) == 0)
      rc = ecsb_err_set(err, ECSB_EINVAL,
                        "ECS ListTasks: the same nextToken came back twice");
    free(prev_token);
    prev_token = !rc && next && *next ? strdup(next) : NULL;
    cJSON_Delete(resp);
    if (rc) {
      *cls = ECSB_ECS_FATAL;
      break;
    }
    if (!prev_token)
      break;
  }
  free(prev_token);
  if (rc) {
    cJSON_Delete(*arns);
    *arns = NULL;
  }
  return rc;
}

/* DescribeTasks for arns[start, start+100): the API's limit per call. */
static int describe_batch(ecsb_ecs_client *c, const char *cluster,
                          const cJSON *arns, int start, long timeout_ms,
                          cJSON **resp, ecsb_ecs_class *cls, ecsb_err *err) {
  int n = cJSON_GetArraySize(arns);
  cJSON *req = cJSON_CreateObject();
  if (cluster && *cluster)
    cJSON_AddStringToObject(req, "cluster", cluster);
  cJSON *batch = cJSON_AddArrayToObject(req, "tasks");
  for (int i = start; i < n && i < start + 100; i++)
    cJSON_AddItemToArray(
        batch, cJSON_CreateString(cJSON_GetArrayItem(arns, i)->valuestring));
  int rc = ecsb_ecs_call(c, "DescribeTasks", req, timeout_ms, resp, cls, err);
  cJSON_Delete(req);
  return rc;
}

int ecsb_ecs_describe_tasks(ecsb_ecs_client *c, const char *cluster,
                            const cJSON *arns, long timeout_ms, cJSON **tasks,
                            ecsb_ecs_class *cls, ecsb_err *err) {
  *tasks = cJSON_CreateArray();
  int n = cJSON_GetArraySize(arns), rc = 0;
  *cls = ECSB_ECS_OK;
  for (int start = 0; start < n && rc == 0; start += 100) {
    cJSON *resp = NULL;
    rc = describe_batch(c, cluster, arns, start, timeout_ms, &resp, cls, err);
    if (rc)
      break;
    const cJSON *ts = NULL;
    rc = ecsb_json_get_array(resp, "ECS DescribeTasks response: $", "tasks",
                             false, &ts, err);
    if (rc) {
      *cls = ECSB_ECS_FATAL;
    } else if (ts) {
      cJSON *list = cJSON_DetachItemFromObjectCaseSensitive(resp, "tasks");
      while (cJSON_GetArraySize(list) > 0)
        cJSON_AddItemToArray(*tasks, cJSON_DetachItemFromArray(list, 0));
      cJSON_Delete(list);
    }
    cJSON_Delete(resp);
  }
  if (rc) {
    cJSON_Delete(*tasks);
    *tasks = NULL;
  }
  return rc;
}

int ecsb_ecs_find_server(ecsb_ecs_client *c, const char *cluster,
                         const cJSON *arns, const char *container,
                         bool require_healthy, long timeout_ms,
                         ecsb_ecs_pick *out, char *seen, size_t seen_cap,
                         ecsb_ecs_class *cls, ecsb_err *err) {
  int n = cJSON_GetArraySize(arns), rc = 0;
  bool have = false;
  size_t slen = 0;
  if (seen && seen_cap)
    seen[0] = '\0';
  *cls = ECSB_ECS_OK;
  for (int start = 0; start < n; start += 100) {
    cJSON *resp = NULL;
    rc = describe_batch(c, cluster, arns, start, timeout_ms, &resp, cls, err);
    if (rc)
      return rc;
    const cJSON *ts = NULL;
    if ((rc = ecsb_json_get_array(resp, "ECS DescribeTasks response: $",
                                  "tasks", true, &ts, err))) {
      cJSON_Delete(resp);
      *cls = ECSB_ECS_FATAL;
      return rc;
    }
    ecsb_ecs_pick p;
    ecsb_err perr = {0};
    if (seen && slen && slen + 3 < seen_cap) {
      memcpy(seen + slen, "; ", 3);
      slen += 2;
    }
    rc = ecsb_ecs_pick_server(ts, container, require_healthy, &p,
                              seen ? seen + slen : NULL,
                              seen ? seen_cap - slen : 0, &perr);
    cJSON_Delete(resp);
    if (seen)
      slen = strlen(seen);
    if (rc == 0) {
      if (!have || ecsb_ecs_pick_cmp(&p, out) < 0)
        *out = p;
      have = true;
    } else if (rc != ECSB_ENOTFOUND) {
      *err = perr;
      *cls = ECSB_ECS_FATAL;
      return rc;
    }
  }
  if (have) {
    *cls = ECSB_ECS_OK;
    return 0;
  }
  *cls = ECSB_ECS_RETRY;
  return ecsb_err_set(err, ECSB_ENOTFOUND,
                      "no eligible Consul server task yet");
}
