/*
 * http.c - the libcurl-backed HTTP client (see http.h for the contract).
 *
 * One easy handle per client is reused across requests so connections stay
 * alive; options are reset per request because a previous request's body,
 * method or headers must never leak into the next. Retries live here, not in
 * callers, so every component gets the same bounded, jittered behaviour.
 */
#include "ecsb/http.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ecsb/buf.h"
#include "ecsb/clock.h"
#include "ecsb/version.h"

struct ecsb_http_client {
  CURL *curl;
  CURLM *multi; /* on a followed task clock only (perform) */
  ecsb_http_opts opts;
  char *cacert;
  char *capath;
  char *user_agent;
  ecsb_backoff backoff;
  atomic_uint_fast64_t requests;
  char interface[32]; /* "host!<task ip>" (ECSB_TASK_IP_ENV), or "" */
};

typedef struct body_buf {
  ecsb_buf text;
  size_t max;
  bool too_big;
} body_buf;

typedef struct hdr_buf {
  ecsb_http_header *items;
  size_t n, cap;
  bool oom;
} hdr_buf;

void ecsb_http_opts_default(ecsb_http_opts *o) {
  memset(o, 0, sizeof *o);
  o->connect_timeout_ms = 2000;
  o->timeout_ms = 10000;
  o->max_retries = 3;
  o->backoff_base_ms = 100;
  o->backoff_cap_ms = 5000;
  o->max_body = 4u << 20;
}

int ecsb_http_global_init(ecsb_err *err) {
  CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (rc != CURLE_OK)
    return ecsb_err_set(err, ECSB_EINTERNAL, "curl_global_init: %s",
                        curl_easy_strerror(rc));
  return 0;
}

void ecsb_http_global_cleanup(void) {
  curl_global_cleanup();
}

ecsb_http_client *ecsb_http_client_new(const ecsb_http_opts *opts,
                                       ecsb_err *err) {
  ecsb_http_client *c = calloc(1, sizeof *c);
  if (!c) {
    ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
    return NULL;
  }
  if (opts)
    c->opts = *opts;
  else
    ecsb_http_opts_default(&c->opts);
  if (c->opts.max_retries < 0)
    c->opts.max_retries = 0;
  if (c->opts.max_body == 0)
    c->opts.max_body = 4u << 20;
  char ua[64];
  snprintf(ua, sizeof ua, "ecsboot/%s", ECSB_VERSION);
  c->user_agent = strdup(c->opts.user_agent ? c->opts.user_agent : ua);
  c->cacert = c->opts.cacert ? strdup(c->opts.cacert) : NULL;
  c->capath = c->opts.capath ? strdup(c->opts.capath) : NULL;
  c->opts.user_agent = NULL;
  c->opts.cacert = NULL;
  c->opts.capath = NULL;
  c->curl = curl_easy_init();
  if (!c->curl || !c->user_agent || (opts && opts->cacert && !c->cacert) ||
      (opts && opts->capath && !c->capath)) {
    ecsb_err_set(err, ECSB_ENOMEM, "cannot create an HTTP client");
    ecsb_http_client_free(c);
    return NULL;
  }
  const char *tip = getenv(ECSB_TASK_IP_ENV);
  struct in_addr a;
  if (tip && inet_pton(AF_INET, tip, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127)
    snprintf(c->interface, sizeof c->interface, "host!%s", tip);
  uint64_t seed = c->opts.jitter_seed;
  if (!seed)
    seed = (uint64_t)ecsb_wall_us() ^ ((uint64_t)getpid() << 32);
  ecsb_backoff_init(&c->backoff, c->opts.backoff_base_ms,
                    c->opts.backoff_cap_ms, seed);
  return c;
}

void ecsb_http_client_free(ecsb_http_client *c) {
  if (!c)
    return;
  if (c->curl)
    curl_easy_cleanup(c->curl);
  if (c->multi)
    curl_multi_cleanup(c->multi);
  free(c->cacert);
  free(c->capath);
  free(c->user_agent);
  free(c);
}

long ecsb_http_client_timeout_ms(const ecsb_http_client *c) {
  return c->opts.timeout_ms;
}

uint64_t ecsb_http_client_requests(const ecsb_http_client *c) {
  return c ? atomic_load(&((ecsb_http_client *)c)->requests) : 0;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud) {
  body_buf *b = ud;
  size_t n = size * nmemb;
  if (b->text.len + n > b->max) {
    b->too_big = true;
    return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
  }
  ecsb_buf_putn(&b->text, ptr, n);
  return b->text.oom ? 0 : n;
}

static void hdrs_clear(hdr_buf *h) {
  for (size_t i = 0; i < h->n; i++) {
    free(h->items[i].name);
    free(h->items[i].value);
  }
  free(h->items);
  memset(h, 0, sizeof *h);
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *ud) {
  hdr_buf *h = ud;
  size_t n = size * nitems;
  /* A new status line (after a redirect or 100 Continue) starts over. */
  if (n >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
    hdrs_clear(h);
    return n;
  }
  const char *colon = memchr(buf, ':', n);
  if (!colon || h->n >= 256) /* 256 headers is more than any peer sends */
    return n;
  size_t nl = (size_t)(colon - buf);
  const char *v = colon + 1, *end = buf + n;
  while (v < end && (*v == ' ' || *v == '\t'))
    v++;
  while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
    end--;
  if (h->n == h->cap) {
    size_t nc = h->cap ? h->cap * 2 : 16;
    ecsb_http_header *ni = realloc(h->items, nc * sizeof *ni);
    if (!ni) {
      h->oom = true;
      return 0;
    }
    h->items = ni;
    h->cap = nc;
  }
  char *name = strndup(buf, nl), *val = strndup(v, (size_t)(end - v));
  if (!name || !val) {
    free(name);
    free(val);
    h->oom = true;
    return 0;
  }
  h->items[h->n].name = name;
  h->items[h->n].value = val;
  h->n++;
  return n;
}

void ecsb_http_response_clear(ecsb_http_response *r) {
  if (!r)
    return;
  free(r->body);
  for (size_t i = 0; i < r->n_headers; i++) {
    free(r->headers[i].name);
    free(r->headers[i].value);
  }
  free(r->headers);
  memset(r, 0, sizeof *r);
}

const char *ecsb_http_response_header(const ecsb_http_response *r,
                                      const char *name) {
  for (size_t i = 0; r && i < r->n_headers; i++)
    if (strcasecmp(r->headers[i].name, name) == 0)
      return r->headers[i].value;
  return NULL;
}

static ecsb_http_retry default_retry(const ecsb_http_response *r, void *u) {
  (void)u;
  if (r->status == 429)
    return ECSB_HTTP_RETRY_SLOW;
  if (r->status >= 500 && r->status != 501)
    return ECSB_HTTP_RETRY;
  return ECSB_HTTP_DONE;
}

/* A certificate the CA does not vouch for, a wrong name, an unreadable CA
 * or client file: asking again gets the same answer, so these end the
 * call at once instead of being retried until a deadline. */
static bool tls_refused(CURLcode cc) {
  switch (cc) {
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_CRL_BADFILE:
  case CURLE_SSL_INVALIDCERTSTATUS:
  /* The handshake itself failed: mostly https to a plain-HTTP port ("wrong
   * version number") or no common protocol, which no retry changes. */
  case CURLE_SSL_CONNECT_ERROR:
    return true;
  default:
    return false;
  }
}

/* The transfer, its timeout on this process's clock. In production that
 * is the host's, and curl keeps it. In a replay the process follows its
 * task's clock (ecsb_clock_follow), which runs slower than the host's
 * while the host is busy and stands still while the runner holds it; curl
 * counts on the host's, so it gets a host-time bound only
 * (ecsb_clock_host_bound_us) and the transfer is driven here
 * until the task clock says the timeout passed. */
static CURLcode perform(ecsb_http_client *c, long timeout_ms, char *ebuf) {
  CURL *h = c->curl;
  if (!ecsb_clock_following())
    return curl_easy_perform(h);
  if (!c->multi && !(c->multi = curl_multi_init()))
    return CURLE_OUT_OF_MEMORY;
  curl_easy_setopt(
      h, CURLOPT_TIMEOUT_MS,
      (long)(ecsb_clock_host_bound_us((int64_t)timeout_ms * 1000) / 1000));
  if (curl_multi_add_handle(c->multi, h) != CURLM_OK)
    return CURLE_FAILED_INIT;
  int64_t deadline = ecsb_mono_us() + (int64_t)timeout_ms * 1000;
  CURLcode cc = CURLE_OK;
  /* bounded: curl ends the transfer at its own (host-time) timeout */
  for (;;) {
    int running = 0;
    if (curl_multi_perform(c->multi, &running) != CURLM_OK) {
      cc = CURLE_FAILED_INIT;
      break;
    }
    if (!running) {
      int left = 0;
      CURLMsg *m;
      while ((m = curl_multi_info_read(c->multi, &left)))
        if (m->msg == CURLMSG_DONE)
          cc = m->data.result;
      break;
    }
    int64_t left_us = deadline - ecsb_mono_us();
    if (left_us <= 0) {
      cc = CURLE_OPERATION_TIMEDOUT;
      snprintf(ebuf, CURL_ERROR_SIZE,
               "Operation timed out after %ld milliseconds of task time",
               timeout_ms);
      break;
    }
    /* a held clock does not move: look again now and then */
    int wait_ms = left_us > 50000 ? 50 : (int)(left_us / 1000) + 1;
    curl_multi_poll(c->multi, NULL, 0, wait_ms, NULL);
  }
  curl_multi_remove_handle(c->multi, h);
  return cc;
}

/* One try. Returns 0 with resp filled, or an error (transport, size). */
static int try_once(ecsb_http_client *c, const ecsb_http_request *req,
                    ecsb_http_response *resp, ecsb_err *err) {
  CURL *h = c->curl;
  body_buf body = {.max = c->opts.max_body};
  hdr_buf hdrs = {0};
  struct curl_slist *list = NULL;
  char ebuf[CURL_ERROR_SIZE] = "";
  int rc = 0;

  curl_easy_reset(h);
  curl_easy_setopt(h, CURLOPT_URL, req->url);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
  if (c->interface[0]) {
    curl_easy_setopt(h, CURLOPT_INTERFACE, c->interface);
    /* "localhost" may resolve to ::1 first, which an IPv4 source cannot
     * reach */
    curl_easy_setopt(h, CURLOPT_IPRESOLVE, (long)CURL_IPRESOLVE_V4);
  }
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->opts.connect_timeout_ms);
  long timeout_ms = req->timeout_ms > 0 ? req->timeout_ms : c->opts.timeout_ms;
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &hdrs);
  curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->opts.max_body);
  /* Redirects are never followed: no AWS or Consul endpoint we call
   * redirects, and following one could send credentials elsewhere. */
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  if (c->cacert)
    curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);
  if (c->capath)
    curl_easy_setopt(h, CURLOPT_CAPATH, c->capath);
  const char *method = req->method ? req->method : "GET";
  if (strcmp(method, "GET") == 0) {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else if (strcmp(method, "HEAD") == 0) {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (req->body || strcmp(method, "DELETE") != 0) {
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                       (curl_off_t)(req->body ? req->body_len : 0));
    }
  }
  /* curl sends "Expect: 100-continue" on larger bodies and waits up to
   * 1 s for the go-ahead, which a server may never send: suppressed up to
   * 1 MiB (every request ecsboot-init makes). Above it the server may
   * refuse from the headers alone (413) before the body is sent; without
   * it the client could still be sending when the server answers and
   * closes, and see the connection reset instead of the answer. */
  if (!req->body || req->body_len <= ((size_t)1 << 20))
    list = curl_slist_append(list, "Expect:");
  for (size_t i = 0; i < req->n_headers; i++) {
    char line[8192];
    const char *v = req->headers[i].value ? req->headers[i].value : "";
    /* "Name;" is curl's way of sending a header with an empty value. */
    if (*v)
      snprintf(line, sizeof line, "%s: %s", req->headers[i].name, v);
    else
      snprintf(line, sizeof line, "%s;", req->headers[i].name);
    struct curl_slist *nl = curl_slist_append(list, line);
    if (!nl) {
      rc = ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
      goto out;
    }
    list = nl;
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);

  atomic_fetch_add(&c->requests, 1);
  CURLcode cc = perform(c, timeout_ms, ebuf);
  if (body.too_big || cc == CURLE_FILESIZE_EXCEEDED) {
    rc = ecsb_err_set(err, ECSB_ETOOBIG,
                      "%s %s: response body larger than %zu bytes", method,
                      req->url, c->opts.max_body);
    goto out;
  }
  if (hdrs.oom) {
    rc = ecsb_err_set(err, ECSB_ENOMEM, "%s %s: out of memory", method,
                      req->url);
    goto out;
  }
  if (cc != CURLE_OK) {
    int code = cc == CURLE_OPERATION_TIMEDOUT ? ECSB_ETIMEDOUT
               : tls_refused(cc)              ? ECSB_ETLS
                                              : ECSB_ETRANSPORT;
    rc = ecsb_err_set(err, code, "%s %s: %s", method, req->url,
                      ebuf[0] ? ebuf : curl_easy_strerror(cc));
    goto out;
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
  resp->body_len = body.text.len;
  resp->body = ecsb_buf_take(&body.text);
  if (!resp->body) {
    rc = ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
    goto out;
  }
  resp->headers = hdrs.items;
  resp->n_headers = hdrs.n;
  memset(&hdrs, 0, sizeof hdrs);
out:
  ecsb_buf_free(&body.text);
  hdrs_clear(&hdrs);
  curl_slist_free_all(list);
  return rc;
}

int ecsb_http_do(ecsb_http_client *c, const ecsb_http_request *req,
                 ecsb_http_response *resp, ecsb_err *err) {
  memset(resp, 0, sizeof *resp);
  if (!c || !req || !req->url)
    return ecsb_err_set(err, ECSB_EINVAL, "http: missing client or URL");
  ecsb_http_retry_fn decide =
      c->opts.retry_fn ? c->opts.retry_fn : default_retry;
  int attempts = 0;
  for (;;) {
    ecsb_http_response_clear(resp);
    attempts++;
    int rc = try_once(c, req, resp, err);
    resp->attempts = attempts;
    ecsb_http_retry verdict;
    if (rc == ECSB_ETRANSPORT || rc == ECSB_ETIMEDOUT)
      verdict = ECSB_HTTP_RETRY;
    else if (rc != 0)
      return rc; /* size cap or OOM: retrying cannot help */
    else
      verdict = decide(resp, c->opts.retry_user);
    if (rc == 0 && resp->status >= 300 && resp->status < 400) {
      /* Never followed (see try_once), so never a success either. */
      const char *loc = ecsb_http_response_header(resp, "Location");
      ecsb_err_set(err, ECSB_ESTATUS,
                   "%s %s: HTTP %ld redirect to %s (redirects are not "
                   "followed: point the URL at the endpoint itself)",
                   req->method ? req->method : "GET", req->url, resp->status,
                   loc && *loc ? loc : "(no Location)");
      ecsb_http_response_clear(resp);
      return ECSB_ESTATUS;
    }
    if (verdict == ECSB_HTTP_DONE)
      return 0;
    if (attempts > c->opts.max_retries) {
      if (rc != 0) {
        /* Only worth saying when there were retries. */
        if (attempts > 1)
          ecsb_err_prefix(err, "after %d attempts", attempts);
        return rc;
      }
      return 0; /* the last response goes to the caller to judge */
    }
    int64_t delay = ecsb_backoff_next(&c->backoff, attempts - 1);
    if (verdict == ECSB_HTTP_RETRY_SLOW)
      delay *= 4;
    if (c->opts.stop && *c->opts.stop)
      return rc ? rc : 0;
    ecsb_sleep_ms(delay, c->opts.stop);
  }
}

int ecsb_http_get(ecsb_http_client *c, const char *url,
                  const ecsb_http_header *headers, size_t n_headers,
                  ecsb_http_response *resp, ecsb_err *err) {
  ecsb_http_request req = {
      .method = "GET", .url = url, .headers = headers, .n_headers = n_headers};
  return ecsb_http_do(c, &req, resp, err);
}
