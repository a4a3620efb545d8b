/*
 * http.h - the HTTP client every ecsboot component uses, on libcurl.
 *
 * One client owns one reused curl easy handle (keep-alive to the same host),
 * so a client is NOT thread-safe: use one per thread. Each request has a
 * connect timeout and a total timeout; transport failures and retryable
 * statuses are retried up to max_retries times with capped exponential
 * backoff and full jitter (seedable). Response bodies above max_body bytes
 * are cut off and reported as ECSB_ETOOBIG, so a hostile or endless peer
 * cannot grow memory. Every error message names the method, the URL and the
 * cause.
 *
 * A non-2xx status is NOT an error of ecsb_http_do: the response is returned
 * (after retries are exhausted for retryable statuses) and the caller judges
 * it; ecsb_http_do fails only on transport errors, timeouts, size caps, a
 * refused certificate (ECSB_ETLS, never retried) and a 3xx redirect
 * (ECSB_ESTATUS naming the Location: redirects are never followed).
 */
#ifndef ECSB_HTTP_H
#define ECSB_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "ecsb/err.h"

/* Set by the scenario runner for the processes of a simulated task: the
 * task's own loopback address. A client made in such a process connects
 * from it, as a task's traffic leaves from its ENI's address, so the fakes
 * can tell which task called (the runner charges the time they took to
 * answer as host lag). Ignored unless it is an IPv4 address in
 * 127.0.0.0/8; production never sets it. */
#define ECSB_TASK_IP_ENV "ECSBOOT_TASK_IP"

typedef struct ecsb_http_header {
  char *name;
  char *value;
} ecsb_http_header;

/* What to do with a response. Returned by the retry policy. */
typedef enum ecsb_http_retry {
  ECSB_HTTP_DONE = 0,       /* hand the response to the caller */
  ECSB_HTTP_RETRY = 1,      /* retry with the normal backoff */
  ECSB_HTTP_RETRY_SLOW = 2, /* retry with 4x the backoff (throttling) */
} ecsb_http_retry;

struct ecsb_http_response;
/* Decides, for a received response, whether to retry. The default (NULL)
 * retries 429 and 5xx except 501. */
typedef ecsb_http_retry (*ecsb_http_retry_fn)(
    const struct ecsb_http_response *resp, void *user);

typedef struct ecsb_http_opts {
  long connect_timeout_ms; /* default 2000 */
  long timeout_ms;         /* whole request, default 10000 */
  int max_retries;         /* retries after the first try, default 3 */
  int64_t backoff_base_ms; /* default 100 */
  int64_t backoff_cap_ms;  /* default 5000 */
  uint64_t jitter_seed;    /* 0: seeded from time and pid */
  size_t max_body;         /* default 4 MiB */
  const char *cacert;      /* CA bundle for https (copied), or NULL */
  const char *capath;      /* folder of CA certificates, hashed as
                              `openssl rehash` names them (copied), or NULL */
  const char *user_agent;  /* copied; default "ecsboot/<version>" */
  ecsb_http_retry_fn retry_fn;
  void *retry_user;
  /* Set to non-zero by another thread or a signal handler to abandon the
   * backoff sleep between retries (the request in flight finishes). */
  volatile int *stop;
} ecsb_http_opts;

/* Fills opts with the defaults above. */
void ecsb_http_opts_default(ecsb_http_opts *opts);

typedef struct ecsb_http_request {
  const char *method; /* "GET", "PUT", "POST", "DELETE" */
  const char *url;
  const ecsb_http_header *headers; /* borrowed; may be NULL */
  size_t n_headers;
  const char *body; /* borrowed; may be NULL */
  size_t body_len;
  long timeout_ms; /* 0: the client's */
} ecsb_http_request;

typedef struct ecsb_http_response {
  long status;
  char *body; /* NUL-terminated, owned */
  size_t body_len;
  ecsb_http_header *headers; /* owned; names as received */
  size_t n_headers;
  int attempts; /* tries made, >= 1 */
} ecsb_http_response;

typedef struct ecsb_http_client ecsb_http_client;

ecsb_http_client *ecsb_http_client_new(const ecsb_http_opts *opts,
                                       ecsb_err *err);
void ecsb_http_client_free(ecsb_http_client *c);

/* Performs req, filling *resp (which the caller releases with
 * ecsb_http_response_clear even on error). */
int ecsb_http_do(ecsb_http_client *c, const ecsb_http_request *req,
                 ecsb_http_response *resp, ecsb_err *err);

/* Convenience: GET url with optional headers. */
int ecsb_http_get(ecsb_http_client *c, const char *url,
                  const ecsb_http_header *headers, size_t n_headers,
                  ecsb_http_response *resp, ecsb_err *err);

void ecsb_http_response_clear(ecsb_http_response *resp);
/* Case-insensitive lookup of a response header; borrowed, or NULL. */
const char *ecsb_http_response_header(const ecsb_http_response *resp,
                                      const char *name);

/* The client's whole-request timeout (opts.timeout_ms). */
long ecsb_http_client_timeout_ms(const ecsb_http_client *c);

/* Total requests actually sent by this client (all tries). */
uint64_t ecsb_http_client_requests(const ecsb_http_client *c);

/* Must be called once from main before any thread uses curl. */
int ecsb_http_global_init(ecsb_err *err);
void ecsb_http_global_cleanup(void);

#endif
