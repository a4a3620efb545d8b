/*
 * init_testutil.c - local stand-ins and process helpers for the
 * ecsboot-init tests (see init_testutil.h). Loopback only, port 0 only.
 */
#include "init_testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ecsb/clock.h"
#include "ecsb/sigv4.h"

/* ---- agent ----------------------------------------------------------- */

static void logf_req(tu_agent *a, const ecsb_httpd_req *req) {
  size_t n = strlen(a->log);
  if (n + 300 < sizeof a->log)
    snprintf(a->log + n, sizeof a->log - n, "%s %s\n", req->method, req->path);
}

static void agent_handler(void *user, const ecsb_httpd_req *req,
                          ecsb_httpd_resp *resp) {
  tu_agent *a = user;
  pthread_mutex_lock(&a->mu);
  a->n_requests++;
  logf_req(a, req);
  const char *tok = ecsb_httpd_req_header(req, "X-Consul-Token");
  snprintf(a->last_token, sizeof a->last_token, "%s", tok ? tok : "");
  if (a->failures_sent < a->fail_first) {
    a->failures_sent++;
    pthread_mutex_unlock(&a->mu);
    ecsb_httpd_resp_textf(resp, 500, "agent not ready (injected)");
    return;
  }
  if (a->want_token && (!tok || strcmp(tok, a->want_token) != 0)) {
    pthread_mutex_unlock(&a->mu);
    ecsb_httpd_resp_textf(resp, 403, "ACL not found");
    return;
  }
  const char *p = req->path;
  if (strcmp(p, "/v1/agent/self") == 0 && a->self_status) {
    ecsb_httpd_resp_textf(resp, a->self_status,
                          "Permission denied: token lacks agent:read");
  } else if (strcmp(p, "/v1/agent/self") == 0) {
    ecsb_httpd_resp_set(resp, 200, "application/json", a->self_body,
                        strlen(a->self_body));
  } else if (strncmp(p, "/v1/agent/service/register", 26) == 0 &&
             strcmp(req->method, "PUT") == 0) {
    cJSON *j = cJSON_Parse(req->body);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "ID");
    if (!cJSON_IsString(id)) {
      cJSON_Delete(j);
      ecsb_httpd_resp_textf(resp, 400, "missing ID");
    } else {
      a->n_register++;
      cJSON_DeleteItemFromObjectCaseSensitive(a->services, id->valuestring);
      cJSON_AddItemToObject(a->services, id->valuestring, j);
      ecsb_httpd_resp_set(resp, 200, "text/plain", "", 0);
    }
  } else if (strncmp(p, "/v1/agent/service/deregister/", 29) == 0) {
    a->n_deregister++;
    cJSON_DeleteItemFromObjectCaseSensitive(a->services, p + 29);
    ecsb_httpd_resp_set(resp, 200, "text/plain", "", 0);
  } else if (strncmp(p, "/v1/agent/service/", 18) == 0) {
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(a->services, p + 18);
    if (a->raw_service) {
      ecsb_httpd_resp_set(resp, 200, "application/json", a->raw_service,
                          strlen(a->raw_service));
    } else if (!s) {
      ecsb_httpd_resp_textf(resp, 404, "unknown service ID: %s", p + 18);
    } else {
      /* The agent answers with the registration plus Datacenter, much as
       * Consul's /v1/agent/service does. */
      cJSON *c = cJSON_Duplicate(s, true);
      cJSON_AddStringToObject(c, "Service",
                              cJSON_GetObjectItem(c, "Name")
                                  ? cJSON_GetObjectItem(c, "Name")->valuestring
                                  : "");
      if (!a->service_no_dc)
        cJSON_AddStringToObject(c, "Datacenter", "dc1");
      ecsb_httpd_resp_take(resp, 200, "application/json",
                           cJSON_PrintUnformatted(c));
      cJSON_Delete(c);
    }
  } else if (strncmp(p, "/v1/agent/check/update/", 23) == 0) {
    a->n_update++;
    cJSON *j = cJSON_Parse(req->body);
    if (!j) {
      ecsb_httpd_resp_textf(resp, 400, "bad body");
    } else {
      cJSON_DeleteItemFromObjectCaseSensitive(a->checks, p + 23);
      cJSON_AddItemToObject(a->checks, p + 23, j);
      ecsb_httpd_resp_set(resp, 200, "text/plain", "", 0);
    }
  } else {
    ecsb_httpd_resp_textf(resp, 404, "no route %s", p);
  }
  pthread_mutex_unlock(&a->mu);
}

int tu_agent_start(tu_agent *a, const char *bind_ip) {
  pthread_mutex_init(&a->mu, NULL);
  a->services = cJSON_CreateObject();
  a->checks = cJSON_CreateObject();
  if (!a->self_body[0])
    snprintf(a->self_body, sizeof a->self_body,
             "{\"Config\": {\"Datacenter\": \"dc1\"}, \"xDS\": {\"Port\": "
             "8502, \"Ports\": {\"Plaintext\": 8502, \"TLS\": 0}}}");
  ecsb_httpd_opts o;
  ecsb_httpd_opts_default(&o);
  if (bind_ip)
    o.bind_ip = bind_ip;
  o.port = (uint16_t)a->port;
  ecsb_err err = {0};
  if (ecsb_httpd_start(&o, agent_handler, a, &a->h, &err) != 0) {
    fprintf(stderr, "agent: %s\n", err.msg);
    return -1;
  }
  snprintf(a->addr, sizeof a->addr, "%s:%u", ecsb_httpd_bind_ip(a->h),
           ecsb_httpd_port(a->h));
  return 0;
}

void tu_agent_stop(tu_agent *a) {
  ecsb_httpd_stop(a->h);
  a->h = NULL;
  cJSON_Delete(a->services);
  cJSON_Delete(a->checks);
  free(a->raw_service);
  pthread_mutex_destroy(&a->mu);
}

cJSON *tu_agent_service(tu_agent *a, const char *id) {
  pthread_mutex_lock(&a->mu);
  cJSON *s =
      cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(a->services, id), true);
  pthread_mutex_unlock(&a->mu);
  return s;
}

void tu_agent_check_status(tu_agent *a, const char *id, char *buf, size_t cap) {
  pthread_mutex_lock(&a->mu);
  const cJSON *c = cJSON_GetObjectItemCaseSensitive(a->checks, id);
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(c, "Status");
  snprintf(buf, cap, "%s", cJSON_IsString(s) ? s->valuestring : "");
  pthread_mutex_unlock(&a->mu);
}

/* ---- JSON endpoint --------------------------------------------------- */

static void json_handler(void *user, const ecsb_httpd_req *req,
                         ecsb_httpd_resp *resp) {
  tu_json *j = user;
  pthread_mutex_lock(&j->mu);
  j->n_requests++;
  const char *auth = ecsb_httpd_req_header(req, "Authorization");
  snprintf(j->last_auth, sizeof j->last_auth, "%s", auth ? auth : "");
  snprintf(j->last_path, sizeof j->last_path, "%s", req->path);
  if (j->fail_first > 0) {
    j->fail_first--;
    pthread_mutex_unlock(&j->mu);
    ecsb_httpd_resp_textf(resp, 503, "down (injected)");
    return;
  }
  const char *b = j->body ? j->body : "";
  ecsb_httpd_resp_set(resp, j->status ? j->status : 200, "application/json", b,
                      strlen(b));
  pthread_mutex_unlock(&j->mu);
}

int tu_json_start(tu_json *j, const char *body) {
  pthread_mutex_init(&j->mu, NULL);
  j->body = body ? strdup(body) : NULL;
  ecsb_httpd_opts o;
  ecsb_httpd_opts_default(&o);
  ecsb_err err = {0};
  if (ecsb_httpd_start(&o, json_handler, j, &j->h, &err) != 0) {
    fprintf(stderr, "json: %s\n", err.msg);
    return -1;
  }
  snprintf(j->url, sizeof j->url, "http://127.0.0.1:%u", ecsb_httpd_port(j->h));
  return 0;
}

void tu_json_set(tu_json *j, int status, const char *body) {
  pthread_mutex_lock(&j->mu);
  free(j->body);
  j->body = body ? strdup(body) : NULL;
  j->status = status;
  pthread_mutex_unlock(&j->mu);
}

int tu_json_requests(tu_json *j) {
  pthread_mutex_lock(&j->mu);
  int n = j->n_requests;
  pthread_mutex_unlock(&j->mu);
  return n;
}

void tu_json_stop(tu_json *j) {
  ecsb_httpd_stop(j->h);
  j->h = NULL;
  free(j->body);
  j->body = NULL;
  pthread_mutex_destroy(&j->mu);
}

char *tu_task_metadata(const char *family, const char *task_id, const char *ip,
                       const char *containers) {
  cJSON *m = cJSON_CreateObject();
  char arn[256];
  snprintf(arn, sizeof arn, "arn:aws:ecs:us-east-1:123456789012:task/test/%s",
           task_id);
  cJSON_AddStringToObject(m, "Cluster",
                          "arn:aws:ecs:us-east-1:123456789012:cluster/test");
  cJSON_AddStringToObject(m, "TaskARN", arn);
  cJSON_AddStringToObject(m, "Family", family);
  cJSON_AddStringToObject(m, "Revision", "1");
  cJSON *cs = cJSON_AddArrayToObject(m, "Containers");
  char *copy = strdup(containers ? containers : "");
  for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok;
       tok = strtok_r(NULL, ",", &save)) {
    char *colon = strchr(tok, ':');
    if (colon)
      *colon = '\0';
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "Name", tok);
    cJSON_AddStringToObject(c, "KnownStatus", "RUNNING");
    if (colon && colon[1]) {
      cJSON *h = cJSON_AddObjectToObject(c, "Health");
      cJSON_AddStringToObject(h, "status", colon + 1);
    }
    cJSON *nets = cJSON_AddArrayToObject(c, "Networks");
    cJSON *n = cJSON_CreateObject();
    cJSON_AddItemToArray(nets, n);
    cJSON_AddStringToObject(n, "NetworkMode", "awsvpc");
    cJSON *ips = cJSON_AddArrayToObject(n, "IPv4Addresses");
    cJSON_AddItemToArray(ips, cJSON_CreateString(ip));
    cJSON_AddItemToArray(cs, c);
  }
  free(copy);
  char *s = cJSON_PrintUnformatted(m);
  cJSON_Delete(m);
  return s;
}

/* ---- ECS ------------------------------------------------------------ */

static void ecs_error(ecsb_httpd_resp *resp, int status, const char *type,
                      const char *msg) {
  char body[512];
  snprintf(body, sizeof body,
           "{\"__type\": \"com.amazonaws.ecs#%s\", \"message\": \"%s\"}", type,
           msg);
  ecsb_httpd_resp_set(resp, status, "application/x-amz-json-1.1", body,
                      strlen(body));
}

/* Verifies the request's signature against the stand-in's keys with the
 * same canonicalisation fake-ecs uses. Returns NULL when it is good, else
 * the AWS error type to answer with. */
static const char *ecs_verify(tu_ecs *e, const ecsb_httpd_req *req) {
  const char *auth = ecsb_httpd_req_header(req, "Authorization");
  const char *date = ecsb_httpd_req_header(req, "X-Amz-Date");
  ecsb_sigv4_auth a;
  if (!auth || !date || ecsb_sigv4_parse_auth(auth, &a, NULL) != 0)
    return "IncompleteSignatureException";
  const char *secret = NULL;
  for (int i = 0; i < e->n_keys; i++)
    if (strcmp(e->keys[i][0], a.access_key_id) == 0)
      secret = e->keys[i][1];
  if (!secret)
    return "UnrecognizedClientException";
  /* The signed headers, as received. */
  ecsb_http_header hs[16];
  size_t n = 0;
  char names[1024];
  snprintf(names, sizeof names, "%s", a.signed_headers);
  for (char *save = NULL, *t = strtok_r(names, ";", &save); t && n < 16;
       t = strtok_r(NULL, ";", &save)) {
    const char *v = ecsb_httpd_req_header(req, t);
    if (!v)
      return "InvalidSignatureException";
    hs[n++] = (ecsb_http_header){t, (char *)v};
  }
  ecsb_sigv4_request r = {.method = req->method,
                          .target = req->raw_uri,
                          .headers = hs,
                          .n_headers = n,
                          .body = req->body,
                          .body_len = req->body_len};
  if (strcmp(a.service, "ecs") != 0 ||
      ecsb_sigv4_check(&r, &a, secret, date, true, NULL, NULL) != 0) {
    e->n_bad_signatures++;
    return "InvalidSignatureException";
  }
  return NULL;
}

static void ecs_handler(void *user, const ecsb_httpd_req *req,
                        ecsb_httpd_resp *resp) {
  tu_ecs *e = user;
  pthread_mutex_lock(&e->mu);
  e->n_calls++;
  const char *auth = ecsb_httpd_req_header(req, "Authorization");
  const char *tok = ecsb_httpd_req_header(req, "X-Amz-Security-Token");
  const char *target = ecsb_httpd_req_header(req, "X-Amz-Target");
  snprintf(e->last_auth, sizeof e->last_auth, "%s", auth ? auth : "");
  snprintf(e->last_token, sizeof e->last_token, "%s", tok ? tok : "");
  snprintf(e->last_body, sizeof e->last_body, "%s", req->body);
  if (e->n_keys) {
    const char *bad = ecs_verify(e, req);
    if (bad) {
      ecs_error(resp, strcmp(bad, "InvalidSignatureException") ? 400 : 403, bad,
                "signature check failed");
      goto out;
    }
  }
  if (e->fail_n > 0) {
    e->fail_n--;
    ecs_error(resp, e->fail_status, e->fail_type, "injected");
    goto out;
  }
  if (strcmp(req->method, "POST") != 0 || !target ||
      strncmp(target, "AmazonEC2ContainerServiceV20141113.", 35) != 0) {
    ecs_error(resp, 400, "UnknownOperationException", "bad target");
    goto out;
  }
  if (e->malformed) {
    ecsb_httpd_resp_set(resp, 200, "application/x-amz-json-1.1", e->malformed,
                        strlen(e->malformed));
    goto out;
  }
  cJSON *in = cJSON_Parse(req->body);
  cJSON *ans = cJSON_CreateObject();
  if (strcmp(target + 35, "ListTasks") == 0) {
    e->n_list++;
    const cJSON *nt = cJSON_GetObjectItem(in, "nextToken");
    int start = cJSON_IsString(nt) ? atoi(nt->valuestring) : 0;
    int ps = e->page_size > 0 ? e->page_size : 100;
    int n = cJSON_GetArraySize(e->tasks);
    cJSON *arns = cJSON_AddArrayToObject(ans, "taskArns");
    for (int i = start; i < n && i < start + ps; i++)
      cJSON_AddItemToArray(
          arns,
          cJSON_CreateString(
              cJSON_GetObjectItem(cJSON_GetArrayItem(e->tasks, i), "taskArn")
                  ->valuestring));
    if (e->repeat_token) {
      cJSON_AddStringToObject(ans, "nextToken", "0");
    } else if (start + ps < n) {
      char t[16];
      snprintf(t, sizeof t, "%d", start + ps);
      cJSON_AddStringToObject(ans, "nextToken", t);
    }
  } else if (strcmp(target + 35, "DescribeTasks") == 0) {
    e->n_describe++;
    cJSON *out_tasks = cJSON_AddArrayToObject(ans, "tasks");
    cJSON_AddArrayToObject(ans, "failures");
    const cJSON *want, *t;
    cJSON_ArrayForEach(want, cJSON_GetObjectItem(in, "tasks")) {
      e->n_described_arns++;
      cJSON_ArrayForEach(t, e->tasks) {
        if (strcmp(cJSON_GetObjectItem(t, "taskArn")->valuestring,
                   want->valuestring) == 0)
          cJSON_AddItemToArray(out_tasks, cJSON_Duplicate(t, true));
      }
    }
  } else {
    cJSON_Delete(in);
    cJSON_Delete(ans);
    ecs_error(resp, 400, "UnknownOperationException", "unknown op");
    goto out;
  }
  cJSON_Delete(in);
  ecsb_httpd_resp_take(resp, 200, "application/x-amz-json-1.1",
                       cJSON_PrintUnformatted(ans));
  cJSON_Delete(ans);
out:
  pthread_mutex_unlock(&e->mu);
}

int tu_ecs_start(tu_ecs *e) {
  pthread_mutex_init(&e->mu, NULL);
  e->tasks = cJSON_CreateArray();
  ecsb_httpd_opts o;
  ecsb_httpd_opts_default(&o);
  ecsb_err err = {0};
  if (ecsb_httpd_start(&o, ecs_handler, e, &e->h, &err) != 0) {
    fprintf(stderr, "ecs: %s\n", err.msg);
    return -1;
  }
  snprintf(e->url, sizeof e->url, "http://127.0.0.1:%u", ecsb_httpd_port(e->h));
  return 0;
}

void tu_ecs_stop(tu_ecs *e) {
  ecsb_httpd_stop(e->h);
  e->h = NULL;
  cJSON_Delete(e->tasks);
  e->tasks = NULL;
  pthread_mutex_destroy(&e->mu);
}

void tu_ecs_add_task(tu_ecs *e, const char *id, const char *last_status,
                     const char *container_status, const char *health,
                     const char *ip) {
  cJSON *t = cJSON_CreateObject();
  char arn[256];
  snprintf(arn, sizeof arn, "arn:aws:ecs:us-east-1:123456789012:task/test/%s",
           id);
  cJSON_AddStringToObject(t, "taskArn", arn);
  cJSON_AddStringToObject(t, "lastStatus", last_status);
  cJSON_AddStringToObject(t, "desiredStatus", "RUNNING");
  cJSON_AddNumberToObject(t, "startedAt", 1700000000.5);
  cJSON *cs = cJSON_AddArrayToObject(t, "containers");
  cJSON *c = cJSON_CreateObject();
  cJSON_AddStringToObject(c, "name", "consul-server");
  cJSON_AddStringToObject(c, "lastStatus", container_status);
  if (health && *health)
    cJSON_AddStringToObject(c, "healthStatus", health);
  cJSON *nis = cJSON_AddArrayToObject(c, "networkInterfaces");
  if (ip && *ip) {
    cJSON *ni = cJSON_CreateObject();
    cJSON_AddStringToObject(ni, "privateIpv4Address", ip);
    cJSON_AddItemToArray(nis, ni);
  }
  cJSON_AddItemToArray(cs, c);
  pthread_mutex_lock(&e->mu);
  cJSON_AddItemToArray(e->tasks, t);
  pthread_mutex_unlock(&e->mu);
}

void tu_ecs_set_status(tu_ecs *e, const char *id, const char *last_status,
                       const char *container_status, const char *health) {
  pthread_mutex_lock(&e->mu);
  cJSON *t;
  cJSON_ArrayForEach(t, e->tasks) {
    const char *arn = cJSON_GetObjectItem(t, "taskArn")->valuestring;
    const char *slash = strrchr(arn, '/');
    if (strcmp(slash + 1, id) != 0)
      continue;
    cJSON_ReplaceItemInObject(t, "lastStatus", cJSON_CreateString(last_status));
    cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItem(t, "containers"), 0);
    cJSON_ReplaceItemInObject(c, "lastStatus",
                              cJSON_CreateString(container_status));
    cJSON_DeleteItemFromObject(c, "healthStatus");
    if (health && *health)
      cJSON_AddStringToObject(c, "healthStatus", health);
  }
  pthread_mutex_unlock(&e->mu);
}

void tu_ecs_add_key(tu_ecs *e, const char *akid, const char *secret) {
  pthread_mutex_lock(&e->mu);
  if (e->n_keys < 4) {
    snprintf(e->keys[e->n_keys][0], sizeof e->keys[0][0], "%s", akid);
    snprintf(e->keys[e->n_keys][1], sizeof e->keys[0][1], "%s", secret);
    e->n_keys++;
  }
  pthread_mutex_unlock(&e->mu);
}

void tu_ecs_fail(tu_ecs *e, int n, int status, const char *type) {
  pthread_mutex_lock(&e->mu);
  e->fail_n = n;
  e->fail_status = status;
  snprintf(e->fail_type, sizeof e->fail_type, "%s", type);
  pthread_mutex_unlock(&e->mu);
}

int tu_ecs_calls(tu_ecs *e) {
  pthread_mutex_lock(&e->mu);
  int n = e->n_calls;
  pthread_mutex_unlock(&e->mu);
  return n;
}

/* ---- processes ------------------------------------------------------- */

const char *tu_init_bin(void) {
  return ECSB_BUILD_DIR "/core/ecsboot-init";
}

static char **make_env(const char *const *env) {
  size_t n = 0;
  while (env && env[n])
    n++;
  char **e = calloc(n + 3, sizeof *e);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    e[k++] = (char *)env[i];
  e[k++] = "PATH=/usr/bin:/bin";
  /* Sanitizer builds: keep leak reports failing the child like the test. */
  const char *asan = getenv("ASAN_OPTIONS");
  static char asan_buf[512];
  if (asan) {
    snprintf(asan_buf, sizeof asan_buf, "ASAN_OPTIONS=%s", asan);
    e[k++] = asan_buf;
  }
  return e;
}

int tu_spawn(const char *const *argv, const char *const *env, const char *dir) {
  char outp[4096], errp[4096];
  snprintf(outp, sizeof outp, "%s/stdout.txt", dir);
  snprintf(errp, sizeof errp, "%s/stderr.txt", dir);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, outp, O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&fa, 2, errp, O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  char **e = make_env(env);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, e);
  posix_spawn_file_actions_destroy(&fa);
  free(e);
  return rc == 0 ? (int)pid : -1;
}

int tu_wait(int pid, int timeout_ms) {
  int64_t deadline = ecsb_mono_ms() + timeout_ms;
  int st = 0;
  for (;;) {
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid)
      break;
    if (r < 0 && errno != EINTR)
      return -1;
    if (ecsb_mono_ms() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &st, 0);
      return -1;
    }
    ecsb_sleep_ms(5, NULL);
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void read_into(const char *path, char *buf, size_t cap) {
  buf[0] = '\0';
  FILE *f = fopen(path, "rb");
  if (!f)
    return;
  size_t n = fread(buf, 1, cap - 1, f);
  buf[n] = '\0';
  fclose(f);
}

int tu_run(const char *const *argv, const char *const *env, int timeout_ms,
           tu_proc_result *res) {
  memset(res, 0, sizeof *res);
  char *dir = tu_tmpdir();
  int pid = tu_spawn(argv, env, dir);
  if (pid <= 0) {
    tu_rmtree(dir);
    free(dir);
    return -1;
  }
  int64_t t0 = ecsb_mono_ms();
  res->exit_code = tu_wait(pid, timeout_ms);
  res->timed_out = res->exit_code == -1 && ecsb_mono_ms() - t0 >= timeout_ms;
  char p[4096];
  snprintf(p, sizeof p, "%s/stdout.txt", dir);
  read_into(p, res->out, sizeof res->out);
  snprintf(p, sizeof p, "%s/stderr.txt", dir);
  read_into(p, res->err, sizeof res->err);
  tu_rmtree(dir);
  free(dir);
  return 0;
}

char *tu_tmpdir(void) {
  char tmpl[] = "/tmp/ecsb-init-test-XXXXXX";
  char *d = mkdtemp(tmpl);
  return d ? strdup(d) : NULL;
}

void tu_rmtree(const char *dir) {
  DIR *d = opendir(dir);
  if (!d)
    return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    struct stat st;
    if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
      chmod(p, 0700);
      tu_rmtree(p);
    } else {
      unlink(p);
    }
  }
  closedir(d);
  rmdir(dir);
}

char *tu_slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 4096, n = 0;
  char *b = malloc(cap);
  for (;;) {
    if (n + 1024 > cap)
      b = realloc(b, cap *= 2);
    size_t r = fread(b + n, 1, cap - n - 1, f);
    n += r;
    if (r == 0)
      break;
  }
  fclose(f);
  b[n] = '\0';
  if (len)
    *len = n;
  return b;
}
