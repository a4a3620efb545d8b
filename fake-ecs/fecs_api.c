/*
 * fecs_api.c - the ECS API front door (awsJson1_1): method and
 * X-Amz-Target, SigV4 verification, per-operation throttling, injected
 * latency and errors, request parsing, dispatch to the operations, and
 * every answer shaped as AWS shapes it (x-amzn-RequestId, `{"__type",
 * "message"}` errors).
 *
 * Runs on libmicrohttpd's threads. Takes fecs.mu for each step that reads
 * or changes state and never holds it while sleeping (latency faults) or
 * while the hook runs. The checks run in the order AWS's front end applies
 * them: authentication, then the operation, then throttling, then the
 * request itself.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/json.h"
#include "ecsb/sigv4.h"
#include "etd/taskdef.h"
#include "fecs_internal.h"

#define CT_JSON "application/x-amz-json-1.1"

/* ---- request helpers for the operations --------------------------------- */

int fecs_fail(fecs_call *c, const char *code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->err_msg, sizeof c->err_msg, fmt, ap);
  va_end(ap);
  c->err_code = code;
  c->err_status = fecs_error_status(code);
  return -1;
}

static const cJSON *member(fecs_call *c, const char *key) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(c->in, key);
  return cJSON_IsNull(j) ? NULL : j;
}

int fecs_in_str(fecs_call *c, const char *key, const char **out) {
  const cJSON *j = member(c, key);
  if (!j)
    return 0;
  if (!cJSON_IsString(j))
    return fecs_fail(c, "SerializationException",
                     "Unexpected value for '%s': expected a string", key);
  *out = j->valuestring;
  return 0;
}

int fecs_in_int(fecs_call *c, const char *key, bool *present, int64_t *out) {
  const cJSON *j = member(c, key);
  *present = false;
  if (!j)
    return 0;
  double d = cJSON_IsNumber(j) ? j->valuedouble : NAN;
  if (!cJSON_IsNumber(j) || d != floor(d) || fabs(d) > 9.0e15)
    return fecs_fail(c, "SerializationException",
                     "Unexpected value for '%s': expected an integer", key);
  *present = true;
  *out = (int64_t)d;
  return 0;
}

int fecs_in_array(fecs_call *c, const char *key, const cJSON **out) {
  const cJSON *j = member(c, key);
  if (!j)
    return 0;
  if (!cJSON_IsArray(j))
    return fecs_fail(c, "SerializationException",
                     "Unexpected value for '%s': expected a list", key);
  *out = j;
  return 0;
}

int fecs_in_strlist(fecs_call *c, const char *key, const cJSON **out) {
  const cJSON *a = NULL;
  if (fecs_in_array(c, key, &a))
    return -1;
  int i = 0;
  for (const cJSON *x = a ? a->child : NULL; x; x = x->next, i++)
    if (!cJSON_IsString(x))
      return fecs_fail(c, "SerializationException",
                       "Unexpected value for '%s[%d]': expected a string", key,
                       i);
  if (a)
    *out = a;
  return 0;
}

int fecs_in_tags(fecs_call *c, const char *key, const cJSON **out) {
  const cJSON *a = NULL;
  if (fecs_in_array(c, key, &a))
    return -1;
  int i = 0;
  for (const cJSON *t = a ? a->child : NULL; t; t = t->next, i++) {
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(t, "key");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, "value");
    if (!cJSON_IsObject(t) || !cJSON_IsString(k) ||
        (v && !cJSON_IsString(v) && !cJSON_IsNull(v)))
      return fecs_fail(c, "SerializationException",
                       "Unexpected value for '%s[%d]': expected {\"key\": "
                       "string, \"value\": string}",
                       key, i);
    size_t kl = strlen(k->valuestring);
    if (kl < 1 || kl > 128 ||
        (cJSON_IsString(v) && strlen(v->valuestring) > 256))
      return fecs_fail(c, "InvalidParameterException",
                       "%s[%d]: a tag key is 1-128 characters and a value at "
                       "most 256",
                       key, i);
  }
  if (i > 50)
    return fecs_fail(c, "InvalidParameterException",
                     "%s: at most 50 tags (got %d)", key, i);
  if (a)
    *out = a;
  return 0;
}

int fecs_in_enum(fecs_call *c, const char *key, const char *const *allowed,
                 const char **out) {
  const char *v = NULL;
  if (fecs_in_str(c, key, &v))
    return -1;
  if (!v)
    return 0;
  char list[256] = "";
  for (const char *const *a = allowed; *a; a++) {
    if (!strcmp(*a, v)) {
      *out = v;
      return 0;
    }
    size_t n = strlen(list);
    snprintf(list + n, sizeof list - n, "%s%s", n ? ", " : "", *a);
  }
  return fecs_fail(c, "InvalidParameterException",
                   "%s '%.100s' is not one of: %s", key, v, list);
}

/* ECS's one naming rule, for clusters and services as for task
 * definitions. */
bool fecs_valid_name(const char *s) {
  return etd_valid_name(s);
}

int fecs_in_cluster(fecs_call *c, fecs_cluster_rec **out) {
  const char *name = "default";
  if (fecs_in_str(c, "cluster", &name))
    return -1;
  *out = fecs_cluster_find_locked(c->f, name);
  if (!*out)
    return fecs_fail(c, "ClusterNotFoundException", "Cluster not found.");
  return 0;
}

bool fecs_in_includes(fecs_call *c, const char *what) {
  const cJSON *inc = member(c, "include");
  for (const cJSON *x = cJSON_IsArray(inc) ? inc->child : NULL; x; x = x->next)
    if (cJSON_IsString(x) && !strcmp(x->valuestring, what))
      return true;
  return false;
}

int fecs_in_max_results(fecs_call *c, int64_t def, int64_t *out) {
  bool have = false;
  int64_t v = 0;
  if (fecs_in_int(c, "maxResults", &have, &v))
    return -1;
  if (have && (v < 1 || v > 100))
    return fecs_fail(c, "InvalidParameterException",
                     "maxResults must be between 1 and 100 (got %lld)",
                     (long long)v);
  *out = have ? v : def;
  return 0;
}

uint32_t fecs_digest(uint32_t h, const char *s) {
  if (!h)
    h = 2166136261u;
  for (; s && *s; s++)
    h = (h ^ (unsigned char)*s) * 16777619u;
  return (h ^ 0xff) * 16777619u; /* separates "ab"+"c" from "a"+"bc" */
}

void fecs_token_make(const char *op, uint32_t digest, uint64_t pos,
                     char out[64]) {
  snprintf(out, 64, "fecs1.%08x.%llx", fecs_digest(digest, op),
           (unsigned long long)pos);
}

int fecs_token_parse(fecs_call *c, const char *tok, uint32_t digest,
                     uint64_t *pos) {
  unsigned d = 0;
  unsigned long long p = 0;
  char tail = 0;
  if (sscanf(tok, "fecs1.%8x.%llx%c", &d, &p, &tail) != 2 ||
      d != fecs_digest(digest, c->op))
    return fecs_fail(c, "InvalidParameterException",
                     "Invalid nextToken: it was not returned by a %s call "
                     "with the same parameters",
                     c->op);
  *pos = p;
  return 0;
}

/* ---- answers ------------------------------------------------------------- */

static void answer_error(ecsb_httpd_resp *resp, const char *rid,
                         const char *code, int status, const char *msg) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "__type", code);
  cJSON_AddStringToObject(o, "message", msg ? msg : "");
  char *body = ecsb_json_print(o);
  cJSON_Delete(o);
  ecsb_httpd_resp_header(resp, "x-amzn-RequestId", rid);
  ecsb_httpd_resp_header(resp, "x-amzn-ErrorType", code);
  if (body)
    ecsb_httpd_resp_take(resp, status, CT_JSON, body);
  else
    ecsb_httpd_resp_set(resp, 500, CT_JSON, "{}", 2);
}

/* ---- SigV4 --------------------------------------------------------------- */

typedef struct hdrs {
  ecsb_http_header v[64];
  size_t n;
} hdrs;

static int collect_hdr(void *u, const char *name, const char *value) {
  hdrs *h = u;
  if (h->n == 64)
    return 1; /* more than 64 headers: the rest cannot be signed ones */
  h->v[h->n].name = (char *)name;
  h->v[h->n].value = (char *)(value ? value : "");
  h->n++;
  return 0;
}

/* Replaces the value of the x-amz-security-token line so the canonical
 * request can go into an error message without the token. */
static void mask_token_line(char *s) {
  char *p = strstr(s, "\nx-amz-security-token:");
  if (!p)
    return;
  p += strlen("\nx-amz-security-token:");
  for (; *p && *p != '\n'; p++)
    *p = '*';
}

static bool signs_host(const char *list) {
  for (const char *p = list; *p;) {
    size_t n = strcspn(p, ";");
    if (n == 4 && !strncmp(p, "host", 4))
      return true;
    p += n + (p[n] == ';');
  }
  return false;
}

/* Verifies req's signature. Returns 0, or sets the call's error. */
static int verify(fecs_call *c, const ecsb_httpd_req *req) {
  fecs *f = c->f;
  const char *auth = ecsb_httpd_req_header(req, "Authorization");
  if (!auth)
    return fecs_fail(c, "MissingAuthenticationTokenException",
                     "Missing Authentication Token");
  ecsb_sigv4_auth a;
  ecsb_err err = {0};
  if (ecsb_sigv4_parse_auth(auth, &a, &err))
    return fecs_fail(c, "IncompleteSignatureException", "%s", err.msg);
  const char *date = ecsb_httpd_req_header(req, "X-Amz-Date");
  if (!date)
    return fecs_fail(c, "IncompleteSignatureException",
                     "Authorization header requires existence of either a "
                     "'X-Amz-Date' or a 'Date' header. (only X-Amz-Date is "
                     "accepted here)");
  int64_t signed_s = 0;
  if (ecsb_sigv4_parse_date(date, &signed_s, &err))
    return fecs_fail(c, "IncompleteSignatureException", "%s", err.msg);

  char secret[128] = "", token_copy[512] = "";
  int64_t expires = 0;
  bool has_token = false, found = false;
  fecs_lock(f);
  fecs_cred_rec *cr = fecs_cred_find_locked(f, a.access_key_id);
  if (cr) {
    found = true;
    snprintf(secret, sizeof secret, "%s", cr->secret);
    has_token = cr->token != NULL;
    if (has_token)
      snprintf(token_copy, sizeof token_copy, "%s", cr->token);
    expires = cr->expires_us;
  }
  fecs_unlock(f);
  int rc = 0;
  const char *tok = ecsb_httpd_req_header(req, "X-Amz-Security-Token");
  if (!found || (has_token != (tok != NULL)) ||
      (has_token && strcmp(tok, token_copy))) {
    rc = fecs_fail(c, "UnrecognizedClientException",
                   "The security token included in the request is invalid.");
    goto out;
  }
  if (has_token && c->now_us > expires) {
    rc = fecs_fail(c, "ExpiredTokenException",
                   "The security token included in the request is expired");
    goto out;
  }
  if (strcmp(a.service, "ecs")) {
    rc = fecs_fail(c, "InvalidSignatureException",
                   "Credential should be scoped to correct service: 'ecs'. ");
    goto out;
  }
  if (strcmp(a.region, f->cfg.region)) {
    rc = fecs_fail(c, "InvalidSignatureException",
                   "Credential should be scoped to a valid region, not '%s'. "
                   "(this endpoint serves %s)",
                   a.region, f->cfg.region);
    goto out;
  }
  int64_t now_s = c->now_us / 1000000, skew = f->cfg.max_skew_s;
  if (signed_s < now_s - skew || signed_s > now_s + skew) {
    char lim[17], now_txt[17];
    bool old = signed_s < now_s - skew;
    ecsb_sigv4_format_date(old ? now_s - skew : now_s + skew, lim);
    ecsb_sigv4_format_date(now_s, now_txt);
    rc = fecs_fail(c, "InvalidSignatureException",
                   old ? "Signature expired: %s is now earlier than %s (%s - "
                         "%lld min.)"
                       : "Signature not yet current: %s is still later than "
                         "%s (%s + %lld min.)",
                   date, lim, now_txt, (long long)(skew / 60));
    goto out;
  }
  if (!signs_host(a.signed_headers)) {
    rc = fecs_fail(c, "InvalidSignatureException",
                   "'Host' must be a 'SignedHeader' in the AWS Authorization.");
    goto out;
  }
  hdrs h = {.n = 0};
  ecsb_httpd_req_header_each(req, collect_hdr, &h);
  ecsb_sigv4_request r = {req->method, req->raw_uri, h.v,
                          h.n,         req->body,    req->body_len};
  char *canon = NULL;
  int vrc = ecsb_sigv4_check(&r, &a, secret, date, true, &canon, &err);
  if (vrc == ECSB_EAUTH && canon) {
    mask_token_line(canon);
    rc = fecs_fail(c, "InvalidSignatureException",
                   "The request signature we calculated does not match the "
                   "signature you provided. Check your AWS Secret Access Key "
                   "and signing method. Consult the service documentation "
                   "for details.\n\nThe Canonical String for this request "
                   "should have been\n'%s'\n",
                   canon);
  } else if (vrc) {
    rc = fecs_fail(c, "InvalidSignatureException", "%s", err.msg);
  }
  free(canon);
out:
  memset(secret, 0, sizeof secret);
  memset(token_copy, 0, sizeof token_copy);
  return rc;
}

/* ---- dispatch ------------------------------------------------------------ */

static const struct {
  const char *name;
  fecs_op_fn fn;
} OPS[] = {
    {"ListTasks", fecs_op_list_tasks},
    {"DescribeTasks", fecs_op_describe_tasks},
    {"RunTask", fecs_op_run_task},
    {"StopTask", fecs_op_stop_task},
    {"RegisterTaskDefinition", fecs_op_register_task_definition},
    {"DescribeTaskDefinition", fecs_op_describe_task_definition},
    {"ListTaskDefinitions", fecs_op_list_task_definitions},
    {"DeregisterTaskDefinition", fecs_op_deregister_task_definition},
    {"CreateCluster", fecs_op_create_cluster},
    {"DescribeClusters", fecs_op_describe_clusters},
    {"ListClusters", fecs_op_list_clusters},
    {"CreateService", fecs_op_create_service},
    {"DescribeServices", fecs_op_describe_services},
    {"ListServices", fecs_op_list_services},
};

static fecs_op_fn find_op(const char *name) {
  for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; i++)
    if (!strcmp(OPS[i].name, name))
      return OPS[i].fn;
  return NULL;
}

static void emit_fault(fecs *f, const char *fault, const char *op,
                       const char *detail) {
  fecs_hook_event ev = {.kind = FECS_HOOK_FAULT,
                        .wall_us = fecs_now_us(f),
                        .operation = op,
                        .fault = fault,
                        .detail = detail};
  fecs_emit_locked(f, &ev);
  f->stats.faults_injected++;
}

/* Runs an operation on c->in under the lock, the lifecycle brought up to
 * date first; an operation that answers nothing answers {}. */
static void call_op(fecs_call *c, fecs_op_fn fn) {
  fecs_lock(c->f);
  c->now_us = fecs_now_us(c->f);
  fecs_advance_locked(c->f, c->now_us);
  if (fn(c) == 0 && !c->out && !c->err_code)
    c->out = cJSON_CreateObject();
  fecs_unlock(c->f);
}

int fecs_invoke(fecs *f, const char *operation, const cJSON *request,
                cJSON **response, ecsb_err *err) {
  if (response)
    *response = NULL;
  fecs_op_fn fn = operation ? find_op(operation) : NULL;
  if (!fn)
    return ecsb_err_set(err, ECSB_EINVAL, "fake-ecs: no operation '%s'",
                        operation ? operation : "(null)");
  cJSON *empty = request ? NULL : cJSON_CreateObject();
  fecs_call c = {.f = f, .op = operation, .in = request ? request : empty};
  call_op(&c, fn);
  cJSON_Delete(empty);
  if (c.err_code) {
    cJSON_Delete(c.out);
    return ecsb_err_set(err, ECSB_EINVAL, "%s: %s: %s", operation, c.err_code,
                        c.err_msg);
  }
  if (response)
    *response = c.out;
  else
    cJSON_Delete(c.out);
  return 0;
}

void fecs_api_handle(void *user, const ecsb_httpd_req *req,
                     ecsb_httpd_resp *resp) {
  fecs *f = user;
  int64_t t0 = ecsb_mono_us();
  char rid[37];
  fecs_call c = {.f = f, .op = NULL, .wire = true};
  fecs_lock(f);
  fecs_rand_uuid(f, rid);
  c.now_us = fecs_now_us(f);
  fecs_unlock(f);
  char opname[80] = "";
  cJSON *in = NULL;
  fecs_op_fn fn = NULL;

  if (strcmp(req->method, "POST")) {
    fecs_fail(&c, "UnknownOperationException",
              "fake-ecs answers POST / with X-Amz-Target (awsJson1_1), not "
              "%s %s",
              req->method, req->path);
    goto done;
  }
  const char *target = ecsb_httpd_req_header(req, "X-Amz-Target");
  size_t pl = strlen(FECS_API_TARGET_PREFIX);
  if (target && !strncmp(target, FECS_API_TARGET_PREFIX, pl) &&
      strlen(target + pl) < sizeof opname)
    snprintf(opname, sizeof opname, "%s", target + pl);
  fn = opname[0] ? find_op(opname) : NULL;
  if (f->cfg.verify_sigv4 && verify(&c, req))
    goto done;
  if (!fn) {
    fecs_fail(&c, "UnknownOperationException",
              target ? "fake-ecs does not serve the operation '%s'"
                     : "%sMissing X-Amz-Target header",
              target ? target : "");
    goto done;
  }
  c.op = opname;

  /* injected latency first: a slow service is slow whatever it answers */
  fecs_lock(f);
  int64_t lat = fecs_faults_latency_ms(f->faults, c.op);
  if (lat > 0) {
    char d[32];
    snprintf(d, sizeof d, "%lld ms", (long long)lat);
    emit_fault(f, "latency", c.op, d);
  }
  fecs_unlock(f);
  if (lat > 0)
    ecsb_sleep_ms(lat, NULL);

  fecs_lock(f);
  c.now_us = fecs_now_us(f);
  if (!fecs_throttle_take(f->throttle, c.op, fecs_mono_us(f))) {
    f->stats.throttled++;
    fecs_fail(&c, "ThrottlingException", "Rate exceeded");
    fecs_unlock(f);
    goto done;
  }
  const char *fmsg = NULL;
  const char *fcode = fecs_faults_error(f->faults, &f->rng, c.op, &fmsg);
  if (fcode) {
    emit_fault(f, "error", c.op, fcode);
    fecs_fail(&c, fcode, "%s", fmsg ? fmsg : fecs_error_default_message(fcode));
    fecs_unlock(f);
    goto done;
  }
  fecs_unlock(f);

  ecsb_err err = {0};
  if (req->body_len == 0) {
    in = cJSON_CreateObject(); /* an operation without parameters */
  } else if (ecsb_json_parse(req->body, req->body_len, "request body", &in,
                             &err)) {
    fecs_fail(&c, "SerializationException", "%s", err.msg);
    goto done;
  }
  if (!cJSON_IsObject(in)) {
    fecs_fail(&c, "SerializationException",
              "the request body must be a JSON object (start of structure "
              "expected)");
    goto done;
  }
  c.in = in;
  call_op(&c, fn);

done:;
  int status = 200;
  if (c.err_code) {
    status = c.err_status;
    answer_error(resp, rid, c.err_code, status, c.err_msg);
  } else {
    char *body = ecsb_json_print(c.out);
    ecsb_httpd_resp_header(resp, "x-amzn-RequestId", rid);
    if (body) {
      ecsb_httpd_resp_take(resp, 200, CT_JSON, body);
    } else {
      status = 500;
      answer_error(resp, rid, "ServerException", 500, "out of memory");
    }
  }
  cJSON_Delete(c.out);
  cJSON_Delete(in);
  fecs_lock(f);
  f->stats.api_calls++;
  if (status != 200)
    f->stats.api_errors++;
  fecs_hook_event ev = {.kind = FECS_HOOK_API_CALL,
                        .wall_us = fecs_now_us(f),
                        .operation = opname[0] ? opname : "(none)",
                        .http_status = status,
                        .error_code = c.err_code,
                        .latency_us = ecsb_mono_us() - t0,
                        .detail = rid};
  fecs_emit_locked(f, &ev);
  fecs_unlock(f);
}
