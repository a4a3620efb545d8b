/*
 * metadata.c - the ECS task metadata v4 client (see metadata.h).
 *
 * Called by mesh-init (task ID, family, task IP), health-sync (container
 * health every interval), discover-servers (cluster, region) and
 * envoy-entrypoint (container known statuses, its own container's name). It
 * keeps a small, copied view of the response rather than the cJSON tree so a
 * long-running health-sync never holds more than one response at a time.
 */
#include "ecsb/metadata.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/json.h"
#include "ecsb/text.h"

int ecsb_is_ipv4(const char *s) {
  struct in_addr a;
  return s && inet_pton(AF_INET, s, &a) == 1;
}

char *ecsb_task_id_from_arn(const char *arn) {
  const char *slash = arn ? strrchr(arn, '/') : NULL;
  if (!slash || !slash[1])
    return NULL;
  return strdup(slash + 1);
}

/* arn:<partition>:ecs:<region>:<account>:task/... -> region */
static char *region_from_arn(const char *arn) {
  if (strncmp(arn, "arn:", 4) != 0)
    return NULL;
  const char *p = arn;
  for (int i = 0; i < 3; i++) {
    p = strchr(p, ':');
    if (!p)
      return NULL;
    p++;
  }
  const char *end = strchr(p, ':');
  if (!end || end == p)
    return NULL;
  return strndup(p, (size_t)(end - p));
}

void ecsb_task_meta_free(ecsb_task_meta *m) {
  if (!m)
    return;
  for (size_t i = 0; i < m->n_containers; i++) {
    free(m->containers[i].name);
    free(m->containers[i].known_status);
    free(m->containers[i].health_status);
  }
  free(m->containers);
  free(m->cluster);
  free(m->task_arn);
  free(m->task_id);
  free(m->region);
  free(m->family);
  free(m->task_ip);
  free(m);
}

const ecsb_task_container *ecsb_task_meta_container(const ecsb_task_meta *m,
                                                    const char *name) {
  for (size_t i = 0; m && i < m->n_containers; i++)
    if (strcmp(m->containers[i].name, name) == 0)
      return &m->containers[i];
  return NULL;
}

/* First valid IPv4 address in a container's Networks, or NULL. */
static int container_ip(const cJSON *c, const char *path, const char **ip,
                        ecsb_err *err) {
  const cJSON *nets = NULL;
  int rc = ecsb_json_get_array(c, path, "Networks", false, &nets, err);
  if (rc || !nets)
    return rc;
  int ni = 0;
  const cJSON *net;
  cJSON_ArrayForEach(net, nets) {
    char np[160];
    snprintf(np, sizeof np, "%s.Networks[%d]", path, ni++);
    const cJSON *addrs = NULL;
    if ((rc =
             ecsb_json_get_array(net, np, "IPv4Addresses", false, &addrs, err)))
      return rc;
    int ai = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, addrs) {
      if (!cJSON_IsString(a) || !ecsb_is_ipv4(a->valuestring))
        return ecsb_err_set(err, ECSB_EINVAL,
                            "%s.IPv4Addresses[%d]: expected an IPv4 address",
                            np, ai);
      if (!*ip)
        *ip = a->valuestring;
      ai++;
    }
  }
  return 0;
}

int ecsb_task_meta_parse(const char *json, size_t len, const char *what,
                         ecsb_task_meta **out, ecsb_err *err) {
  *out = NULL;
  cJSON *root = NULL;
  int rc = ecsb_json_parse(json, len, what, &root, err);
  if (rc)
    return rc;
  ecsb_task_meta *m = calloc(1, sizeof *m);
  const char *cluster = NULL, *arn = NULL, *family = NULL, *ip = NULL;
  const cJSON *containers = NULL;
  if (!m) {
    rc = ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
    goto fail;
  }
  if ((rc = ecsb_json_get_string(root, "$", "Cluster", false, &cluster, err)) ||
      (rc = ecsb_json_get_string(root, "$", "TaskARN", true, &arn, err)) ||
      (rc = ecsb_json_get_string(root, "$", "Family", true, &family, err)) ||
      (rc = ecsb_json_get_array(root, "$", "Containers", false, &containers,
                                err)))
    goto fail;
  m->task_id = ecsb_task_id_from_arn(arn);
  m->region = region_from_arn(arn);
  if (!m->task_id || !m->region) {
    rc = ecsb_err_set(err, ECSB_EINVAL,
                      "%s: $.TaskARN \"%s\" is not an ECS task ARN "
                      "(arn:aws:ecs:REGION:ACCOUNT:task/CLUSTER/ID)",
                      what, arn);
    goto fail;
  }
  if (!*family) {
    rc = ecsb_err_set(err, ECSB_EINVAL, "%s: $.Family is empty", what);
    goto fail;
  }
  size_t n = containers ? (size_t)cJSON_GetArraySize(containers) : 0;
  m->containers = calloc(n ? n : 1, sizeof *m->containers);
  if (!m->containers) {
    rc = ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
    goto fail;
  }
  const cJSON *c;
  size_t i = 0;
  cJSON_ArrayForEach(c, containers) {
    char cp[64];
    snprintf(cp, sizeof cp, "$.Containers[%zu]", i);
    const char *name = NULL, *known = NULL, *health = NULL;
    const cJSON *h = NULL;
    if ((rc = ecsb_json_get_string(c, cp, "Name", true, &name, err)) ||
        (rc = ecsb_json_get_string(c, cp, "KnownStatus", false, &known, err)) ||
        (rc = ecsb_json_get_object(c, cp, "Health", false, &h, err)))
      goto fail;
    if (h) {
      char hp[80];
      snprintf(hp, sizeof hp, "%s.Health", cp);
      if ((rc = ecsb_json_get_string(h, hp, "status", false, &health, err)))
        goto fail;
    }
    if ((rc = container_ip(c, cp, &ip, err)))
      goto fail;
    ecsb_task_container *tc = &m->containers[i++];
    m->n_containers = i;
    tc->name = strdup(name);
    tc->known_status = ecsb_strdup0(known);
    tc->health_status = ecsb_strdup0(health);
    if (!tc->name || !tc->known_status || !tc->health_status) {
      rc = ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
      goto fail;
    }
  }
  m->cluster = ecsb_strdup0(cluster);
  m->task_arn = strdup(arn);
  m->family = strdup(family);
  m->task_ip = ecsb_strdup0(ip);
  if (!m->cluster || !m->task_arn || !m->family || !m->task_ip) {
    rc = ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
    goto fail;
  }
  cJSON_Delete(root);
  *out = m;
  return 0;
fail:
  if (rc && err && rc != ECSB_ENOMEM && strncmp(err->msg, what, strlen(what)))
    ecsb_err_prefix(err, "%s", what);
  cJSON_Delete(root);
  ecsb_task_meta_free(m);
  return rc;
}

/* <base_uri><suffix> into url (cap >= 2100), checking the variable. */
static int metadata_url(const char *base_uri, const char *suffix, char *url,
                        size_t cap, ecsb_err *err) {
  if (!base_uri || !*base_uri)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s is not set: the task metadata endpoint is "
                        "needed (is this running in an ECS task?)",
                        ECSB_METADATA_ENV);
  size_t bl = strlen(base_uri);
  if (bl > 2048)
    return ecsb_err_set(err, ECSB_EINVAL, "%s is too long", ECSB_METADATA_ENV);
  snprintf(url, cap, "%.*s%s", (int)(base_uri[bl - 1] == '/' ? bl - 1 : bl),
           base_uri, suffix);
  if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
    return ecsb_err_set(err, ECSB_EINVAL, "%s=\"%s\" is not an http(s) URL",
                        ECSB_METADATA_ENV, base_uri);
  return 0;
}

int ecsb_container_name_fetch(ecsb_http_client *c, const char *base_uri,
                              long timeout_ms, char **name, ecsb_err *err) {
  *name = NULL;
  char url[2100];
  int rc = metadata_url(base_uri, "", url, sizeof url, err);
  if (rc)
    return rc;
  ecsb_http_response resp;
  cJSON *root = NULL;
  ecsb_http_request req = {
      .method = "GET", .url = url, .timeout_ms = timeout_ms};
  rc = ecsb_http_do(c, &req, &resp, err);
  if (rc)
    goto out;
  if (resp.status < 200 || resp.status > 299) {
    char ex[256];
    rc = ecsb_err_set(err, ECSB_ESTATUS, "GET %s: HTTP %ld: %s", url,
                      resp.status,
                      ecsb_excerpt(resp.body, resp.body_len, ex, sizeof ex));
    goto out;
  }
  char what[2200];
  snprintf(what, sizeof what, "container metadata %s", url);
  const char *n = NULL;
  if ((rc = ecsb_json_parse(resp.body, resp.body_len, what, &root, err)))
    goto out;
  if ((rc = ecsb_json_get_string(root, "$", "Name", true, &n, err))) {
    ecsb_err_prefix(err, "%s", what);
    goto out;
  }
  if (!*n) {
    rc = ecsb_err_set(err, ECSB_EINVAL, "%s: $.Name is empty", what);
    goto out;
  }
  if (!(*name = strdup(n)))
    rc = ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
out:
  cJSON_Delete(root);
  ecsb_http_response_clear(&resp);
  return rc;
}

int ecsb_task_meta_fetch(ecsb_http_client *c, const char *base_uri,
                         ecsb_retry *r, ecsb_task_meta **out, ecsb_err *err) {
  *out = NULL;
  char url[2100];
  int prc = metadata_url(base_uri, "/task", url, sizeof url, err);
  if (prc)
    return prc;
  char what[2200];
  snprintf(what, sizeof what, "task metadata %s", url);
  for (;;) {
    ecsb_http_response resp;
    ecsb_http_request req = {.method = "GET", .url = url};
    if (r)
      req.timeout_ms =
          ecsb_retry_request_timeout(r, ecsb_http_client_timeout_ms(c));
    int rc = ecsb_http_do(c, &req, &resp, err);
    bool retry = false, slow = false;
    if (rc == ECSB_ETRANSPORT || rc == ECSB_ETIMEDOUT) {
      retry = true;
    } else if (rc == 0 && (resp.status >= 500 || resp.status == 429)) {
      char ex[256];
      rc = ecsb_err_set(err, ECSB_ESTATUS, "GET %s: HTTP %ld: %s", url,
                        resp.status,
                        ecsb_excerpt(resp.body, resp.body_len, ex, sizeof ex));
      retry = true;
      slow = resp.status == 429;
    } else if (rc == 0 && (resp.status < 200 || resp.status > 299)) {
      char ex[256];
      rc = ecsb_err_set(err, ECSB_ESTATUS, "GET %s: HTTP %ld: %s", url,
                        resp.status,
                        ecsb_excerpt(resp.body, resp.body_len, ex, sizeof ex));
    } else if (rc == 0) {
      rc = ecsb_task_meta_parse(resp.body, resp.body_len, what, out, err);
    }
    ecsb_http_response_clear(&resp);
    if (!retry || !r)
      return rc;
    int wrc = ecsb_retry_wait(r, slow, "task metadata", err);
    if (wrc) {
      ecsb_err_prefix(err,
                      "gave up on the task metadata endpoint after %d tries; "
                      "last error",
                      r->attempt + 1);
      if (wrc == ECSB_ETIMEDOUT && err)
        err->code = ECSB_ETIMEDOUT;
      return wrc;
    }
  }
}
