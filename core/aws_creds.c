/*
 * aws_creds.c - the AWS credential chain (see aws_creds.h). Called by the
 * ECS client before signing each request. The container endpoint is
 * contacted once per Expiration window, not per request, so a fleet of
 * starting tasks does not hammer the ECS agent.
 */
#include "ecsb/aws_creds.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ecsb/clock.h"
#include "ecsb/fileio.h"
#include "ecsb/http.h"
#include "ecsb/json.h"
#include "ecsb/text.h"

struct ecsb_aws_creds_provider {
  ecsb_aws_creds_opts opts;
  bool from_env;
  char url[2200];         /* container endpoint */
  char *auth_token;       /* AWS_CONTAINER_AUTHORIZATION_TOKEN copy */
  char *auth_token_file;  /* path */
  ecsb_http_client *http; /* only for the container source */
  ecsb_aws_creds cache;
  bool cached;
  uint64_t fetches;
};

void ecsb_aws_creds_wipe(ecsb_aws_creds *c) {
  volatile char *p = (volatile char *)c;
  for (size_t i = 0; i < sizeof *c; i++)
    p[i] = 0;
}

static int64_t real_now(void *u) {
  (void)u;
  return (int64_t)time(NULL);
}

static const char *env(const char *name) {
  const char *v = getenv(name);
  return v && *v ? v : NULL;
}

static bool printable(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7f)
      return false;
  return true;
}

/* Host part of an http(s) URL into host (no brackets). */
static int url_host(const char *url, size_t skip, char *host, size_t cap) {
  const char *h = url + skip, *end = h;
  if (*h == '[') {
    end = strchr(h, ']');
    if (!end)
      return -1;
    h++;
  } else {
    end = h + strcspn(h, ":/?#");
  }
  size_t n = (size_t)(end - h);
  if (n == 0 || n >= cap)
    return -1;
  memcpy(host, h, n);
  host[n] = '\0';
  return 0;
}

static bool loopback_or_ecs(const char *host) {
  struct in_addr a4;
  if (strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 ||
      strcmp(host, "169.254.170.2") == 0 ||
      strcmp(host, "169.254.170.23") == 0 || strcmp(host, "fd00:ec2::23") == 0)
    return true;
  return inet_pton(AF_INET, host, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

static int setup_container(ecsb_aws_creds_provider *p, ecsb_err *err) {
  const char *rel = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  const char *full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  if (rel) {
    if (rel[0] != '/' || !printable(rel) || strlen(rel) > 2048)
      return ecsb_err_set(err, ECSB_EINVAL,
                          "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must be a "
                          "path starting with '/'");
    const char *base = ECSB_ECS_CREDENTIALS_HOST;
    const char *test = env(ECSB_TEST_CREDENTIALS_ENV);
    if (test) {
      char host[256];
      if (strncmp(test, "http://", 7) != 0 ||
          url_host(test, 7, host, sizeof host) || !loopback_or_ecs(host) ||
          strcmp(host, "169.254.170.2") == 0 || strchr(test + 7, '/'))
        return ecsb_err_set(err, ECSB_EINVAL,
                            "%s must be http://<loopback IP>:PORT (it exists "
                            "for tests only)",
                            ECSB_TEST_CREDENTIALS_ENV);
      base = test;
    }
    snprintf(p->url, sizeof p->url, "%s%s", base, rel);
  } else if (full) {
    char host[256];
    bool https = strncmp(full, "https://", 8) == 0;
    bool http = strncmp(full, "http://", 7) == 0;
    if ((!https && !http) || !printable(full) || strlen(full) > 2048 ||
        url_host(full, https ? 8 : 7, host, sizeof host))
      return ecsb_err_set(err, ECSB_EINVAL,
                          "AWS_CONTAINER_CREDENTIALS_FULL_URI is not an "
                          "http(s) URL");
    if (http && !loopback_or_ecs(host))
      return ecsb_err_set(err, ECSB_EINVAL,
                          "AWS_CONTAINER_CREDENTIALS_FULL_URI: plain http is "
                          "only allowed to a loopback address or the ECS/EKS "
                          "credential endpoints, not \"%s\"",
                          host);
    snprintf(p->url, sizeof p->url, "%s", full);
    const char *tf = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    const char *tok = env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    if (tf && !(p->auth_token_file = strdup(tf)))
      return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
    if (!tf && tok) {
      if (!printable(tok))
        return ecsb_err_set(err, ECSB_EINVAL,
                            "AWS_CONTAINER_AUTHORIZATION_TOKEN contains "
                            "control characters");
      if (!(p->auth_token = strdup(tok)))
        return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
    }
  } else {
    return ecsb_err_set(
        err, ECSB_EINVAL,
        "no AWS credentials: set AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY, or run with a task role "
        "(AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI)");
  }
  ecsb_http_opts o;
  ecsb_http_opts_default(&o);
  o.max_retries = 0; /* the caller's round loop retries */
  o.timeout_ms = p->opts.timeout_ms;
  o.max_body = 64 * 1024;
  p->http = ecsb_http_client_new(&o, err);
  return p->http ? 0 : (err ? err->code : ECSB_ENOMEM);
}

ecsb_aws_creds_provider *
ecsb_aws_creds_provider_new(const ecsb_aws_creds_opts *opts, ecsb_err *err) {
  ecsb_aws_creds_provider *p = calloc(1, sizeof *p);
  if (!p) {
    ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
    return NULL;
  }
  if (opts)
    p->opts = *opts;
  if (p->opts.refresh_window_s <= 0)
    p->opts.refresh_window_s = 300;
  if (p->opts.timeout_ms <= 0)
    p->opts.timeout_ms = 5000;
  if (!p->opts.now)
    p->opts.now = real_now;
  const char *ak = env("AWS_ACCESS_KEY_ID"), *sk = env("AWS_SECRET_ACCESS_KEY");
  const char *st = env("AWS_SESSION_TOKEN");
  if (ak || sk) {
    if (!ak || !sk) {
      ecsb_err_set(err, ECSB_EINVAL, "%s is set but %s is not",
                   ak ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                   ak ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
      goto fail;
    }
    if (strlen(ak) >= sizeof p->cache.access_key_id ||
        strlen(sk) >= sizeof p->cache.secret_access_key ||
        (st && strlen(st) >= sizeof p->cache.session_token) || !printable(ak) ||
        !printable(sk) || (st && !printable(st))) {
      ecsb_err_set(err, ECSB_EINVAL,
                   "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY or "
                   "AWS_SESSION_TOKEN is too long or has control characters");
      goto fail;
    }
    p->from_env = true;
    snprintf(p->cache.access_key_id, sizeof p->cache.access_key_id, "%s", ak);
    snprintf(p->cache.secret_access_key, sizeof p->cache.secret_access_key,
             "%s", sk);
    snprintf(p->cache.session_token, sizeof p->cache.session_token, "%s",
             st ? st : "");
    p->cache.source = "environment";
    p->cached = true;
    return p;
  }
  if (setup_container(p, err) != 0)
    goto fail;
  return p;
fail:
  ecsb_aws_creds_provider_free(p);
  return NULL;
}

void ecsb_aws_creds_provider_free(ecsb_aws_creds_provider *p) {
  if (!p)
    return;
  ecsb_http_client_free(p->http);
  if (p->auth_token) {
    memset(p->auth_token, 0, strlen(p->auth_token));
    free(p->auth_token);
  }
  free(p->auth_token_file);
  ecsb_aws_creds_wipe(&p->cache);
  free(p);
}

uint64_t ecsb_aws_creds_fetches(const ecsb_aws_creds_provider *p) {
  return p ? p->fetches : 0;
}

int ecsb_aws_creds_invalidate(ecsb_aws_creds_provider *p) {
  if (p->from_env)
    return 0;
  p->cached = false;
  ecsb_aws_creds_wipe(&p->cache);
  return 1;
}

static int copy_field(const cJSON *j, const char *key, bool required, char *dst,
                      size_t cap, ecsb_err *err) {
  const char *v = NULL;
  int rc = ecsb_json_get_string(j, "container credentials: $", key, required,
                                &v, err);
  if (rc)
    return rc;
  if (!v) {
    dst[0] = '\0';
    return 0;
  }
  if (strlen(v) >= cap || !printable(v) || (required && !*v))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "container credentials: $.%s: empty, too long or "
                        "has control characters",
                        key);
  snprintf(dst, cap, "%s", v);
  return 0;
}

static int fetch(ecsb_aws_creds_provider *p, ecsb_aws_creds *out,
                 ecsb_err *err) {
  char *tok = NULL;
  int rc = 0;
  if (p->auth_token_file) {
    size_t n = 0;
    if ((rc = ecsb_read_file(p->auth_token_file, 16 * 1024, &tok, &n, err)))
      return ecsb_err_prefix(err, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    while (n && (tok[n - 1] == '\n' || tok[n - 1] == '\r' || tok[n - 1] == ' '))
      tok[--n] = '\0';
    if (!printable(tok)) {
      free(tok);
      return ecsb_err_set(err, ECSB_EINVAL,
                          "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s: token "
                          "has control characters",
                          p->auth_token_file);
    }
  }
  const char *auth = tok ? tok : p->auth_token;
  ecsb_http_header h = {"Authorization", (char *)auth};
  ecsb_http_response resp;
  p->fetches++;
  rc = ecsb_http_get(p->http, p->url, &h, auth ? 1 : 0, &resp, err);
  if (tok) {
    memset(tok, 0, strlen(tok));
    free(tok);
  }
  if (rc) {
    ecsb_err_prefix(err, "container credentials endpoint");
    return rc;
  }
  cJSON *j = NULL;
  if (resp.status < 200 || resp.status > 299) {
    long st = resp.status;
    rc = ecsb_err_set(err,
                      st == 401 || st == 403   ? ECSB_EAUTH
                      : st >= 500 || st == 429 ? ECSB_ESTATUS
                                               : ECSB_EINVAL,
                      "container credentials endpoint %s answered HTTP %ld",
                      p->url, st);
    goto out;
  }
  if ((rc = ecsb_json_parse(resp.body, resp.body_len, "container credentials",
                            &j, err)))
    goto out;
  const char *exp = NULL;
  if ((rc = copy_field(j, "AccessKeyId", true, out->access_key_id,
                       sizeof out->access_key_id, err)) ||
      (rc = copy_field(j, "SecretAccessKey", true, out->secret_access_key,
                       sizeof out->secret_access_key, err)) ||
      (rc = copy_field(j, "Token", false, out->session_token,
                       sizeof out->session_token, err)) ||
      (rc = ecsb_json_get_string(j, "container credentials: $", "Expiration",
                                 false, &exp, err)))
    goto out;
  out->expiration = 0;
  if (exp && (rc = ecsb_rfc3339_parse(exp, &out->expiration, err))) {
    ecsb_err_prefix(err, "container credentials: $.Expiration");
    goto out;
  }
  out->source = "container";
out:
  if (resp.body)
    memset(resp.body, 0, resp.body_len); /* it held the secret key */
  ecsb_http_response_clear(&resp);
  cJSON_Delete(j);
  return rc;
}

int ecsb_aws_creds_get(ecsb_aws_creds_provider *p, ecsb_aws_creds *out,
                       ecsb_err *err) {
  int64_t now = p->opts.now(p->opts.now_user);
  bool fresh =
      p->cached && (p->cache.expiration == 0 ||
                    now < p->cache.expiration - p->opts.refresh_window_s);
  if (fresh) {
    *out = p->cache;
    return 0;
  }
  ecsb_aws_creds n;
  memset(&n, 0, sizeof n);
  int rc = fetch(p, &n, err);
  if (rc) {
    ecsb_aws_creds_wipe(&n);
    /* Still valid: keep working on the old ones until they expire. */
    if (p->cached && now < p->cache.expiration) {
      *out = p->cache;
      return 0;
    }
    return rc;
  }
  p->cache = n;
  p->cached = true;
  ecsb_aws_creds_wipe(&n);
  *out = p->cache;
  return 0;
}
