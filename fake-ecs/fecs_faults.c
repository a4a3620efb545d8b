/*
 * fecs_faults.c - the fault plan of one fake-ecs: per-operation latency,
 * the next N errors, seeded-probability errors, metadata/credentials
 * endpoint modes and task faults (late, never RUNNING, stopped after
 * start).
 *
 * Called by fecs_api.c, fecs_endpoint.c and fecs_state.c under fecs.mu; it
 * decides, the callers apply and report (FECS_HOOK_FAULT). Probabilistic
 * draws use the fecs's seeded generator so a chaos run replays exactly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fecs_internal.h"

#define MAX_RULES 64

typedef struct err_rule {
  char op[48]; /* "" = every operation */
  char code[96];
  char *msg;
  int remaining; /* next-N; -1 for probability rules */
  double p;
} err_rule;

typedef struct lat_rule {
  char op[48];
  int64_t ms;
} lat_rule;

struct fecs_faults {
  lat_rule lat[MAX_RULES];
  size_t n_lat;
  err_rule err[MAX_RULES];
  size_t n_err;
  fecs_endpoint_mode ep_mode[2];
  int64_t ep_delay[2];
  fecs_task_fault tf[MAX_RULES];
  char *tf_str[MAX_RULES][3];
  size_t n_tf;
};

fecs_faults *fecs_faults_new(void) {
  return calloc(1, sizeof(fecs_faults));
}

void fecs_faults_reset(fecs_faults *x) {
  for (size_t i = 0; i < x->n_err; i++)
    free(x->err[i].msg);
  for (size_t i = 0; i < x->n_tf; i++)
    for (int k = 0; k < 3; k++)
      free(x->tf_str[i][k]);
  memset(x, 0, sizeof *x);
}

void fecs_faults_free(fecs_faults *x) {
  if (!x)
    return;
  fecs_faults_reset(x);
  free(x);
}

static const char *norm_op(const char *op) {
  return !op || !strcmp(op, "*") ? "" : op;
}

static int check_op(const char *op, const char *what, ecsb_err *err) {
  if (!fecs_op_known(op))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s fault: '%s' is not an operation fake-ecs serves",
                        what, op);
  return 0;
}

int fecs_faults_set_latency(fecs_faults *x, const char *op, int64_t ms,
                            ecsb_err *err) {
  int rc = check_op(op, "latency", err);
  if (rc)
    return rc;
  if (ms < 0 || ms > 3600 * 1000)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "latency fault: %lld ms is outside 0..3600000",
                        (long long)ms);
  op = norm_op(op);
  for (size_t i = 0; i < x->n_lat; i++) {
    if (!strcmp(x->lat[i].op, op)) {
      x->lat[i].ms = ms;
      return 0;
    }
  }
  if (x->n_lat == MAX_RULES)
    return ecsb_err_set(err, ECSB_ETOOBIG, "latency fault: more than %d rules",
                        MAX_RULES);
  snprintf(x->lat[x->n_lat].op, sizeof x->lat[0].op, "%s", op);
  x->lat[x->n_lat++].ms = ms;
  return 0;
}

int64_t fecs_faults_latency_ms(fecs_faults *x, const char *op) {
  int64_t any = 0;
  for (size_t i = 0; i < x->n_lat; i++) {
    if (!strcmp(x->lat[i].op, op))
      return x->lat[i].ms; /* the operation's own rule wins */
    if (!x->lat[i].op[0])
      any = x->lat[i].ms;
  }
  return any;
}

bool fecs_faults_may_sleep(fecs_faults *x, bool api) {
  if (!api) {
    for (int ep = FECS_EP_METADATA; ep <= FECS_EP_CREDENTIALS; ep++)
      if (x->ep_mode[ep] == FECS_EP_SLOW && x->ep_delay[ep] > 0)
        return true;
    return false;
  }
  for (size_t i = 0; i < x->n_lat; i++)
    if (x->lat[i].ms > 0)
      return true;
  return false;
}

static int add_err(fecs_faults *x, const char *op, const char *code,
                   const char *msg, int n, double p, ecsb_err *err) {
  int rc = check_op(op, "error", err);
  if (rc)
    return rc;
  if (!code || !*code || strlen(code) >= sizeof x->err[0].code)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "error fault: needs an AWS error code such as "
                        "ServerException");
  if (x->n_err == MAX_RULES)
    return ecsb_err_set(err, ECSB_ETOOBIG, "error fault: more than %d rules",
                        MAX_RULES);
  err_rule *r = &x->err[x->n_err];
  memset(r, 0, sizeof *r);
  snprintf(r->op, sizeof r->op, "%s", norm_op(op));
  snprintf(r->code, sizeof r->code, "%s", code);
  r->msg = msg ? strdup(msg) : NULL;
  if (msg && !r->msg)
    return ecsb_err_set(err, ECSB_ENOMEM, "error fault: out of memory");
  r->remaining = n;
  r->p = p;
  x->n_err++;
  return 0;
}

int fecs_faults_set_next(fecs_faults *x, const char *op, int n,
                         const char *code, const char *msg, ecsb_err *err) {
  if (n < 1 || n > 1000000)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "error fault: count %d is outside 1..1000000", n);
  return add_err(x, op, code, msg, n, 0, err);
}

int fecs_faults_set_prob(fecs_faults *x, const char *op, double p,
                         const char *code, const char *msg, ecsb_err *err) {
  if (!(p >= 0 && p <= 1))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "error fault: probability %g is outside 0..1", p);
  const char *o = norm_op(op);
  /* p 0 removes the operation's probability rules */
  size_t k = 0;
  for (size_t i = 0; i < x->n_err; i++) {
    if (x->err[i].remaining < 0 && !strcmp(x->err[i].op, o))
      free(x->err[i].msg);
    else
      x->err[k++] = x->err[i];
  }
  x->n_err = k;
  if (p == 0)
    return 0;
  return add_err(x, op, code, msg, -1, p, err);
}

const char *fecs_faults_error(fecs_faults *x, ecsb_rng *rng, const char *op,
                              const char **msg) {
  *msg = NULL;
  for (size_t i = 0; i < x->n_err; i++) {
    err_rule *r = &x->err[i];
    if (r->op[0] && strcmp(r->op, op))
      continue;
    if (r->remaining > 0) {
      r->remaining--;
      *msg = r->msg;
      return r->code;
    }
    /* one draw per matching rule and call, so the sequence depends only on
     * the seed and the calls made */
    if (r->remaining < 0 && ecsb_rng_unit(rng) < r->p) {
      *msg = r->msg;
      return r->code;
    }
  }
  return NULL;
}

void fecs_faults_endpoint(fecs_faults *x, fecs_endpoint ep,
                          fecs_endpoint_mode *mode, int64_t *delay_ms) {
  *mode = x->ep_mode[ep];
  *delay_ms = x->ep_delay[ep];
}

int fecs_faults_set_endpoint(fecs_faults *x, fecs_endpoint ep,
                             fecs_endpoint_mode mode, int64_t delay_ms,
                             ecsb_err *err) {
  if ((int)ep < 0 || ep > FECS_EP_CREDENTIALS)
    return ecsb_err_set(err, ECSB_EINVAL, "endpoint fault: unknown endpoint");
  if ((int)mode < 0 || mode > FECS_EP_ERROR)
    return ecsb_err_set(err, ECSB_EINVAL, "endpoint fault: unknown mode");
  if (delay_ms < 0 || delay_ms > 3600 * 1000)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "endpoint fault: delay %lld ms is outside 0..3600000",
                        (long long)delay_ms);
  x->ep_mode[ep] = mode;
  x->ep_delay[ep] = delay_ms;
  return 0;
}

int fecs_faults_add_task(fecs_faults *x, const fecs_task_fault *tf,
                         ecsb_err *err) {
  if (!tf || (int)tf->kind < 0 || tf->kind > FECS_TF_STOP_AFTER_START)
    return ecsb_err_set(err, ECSB_EINVAL, "task fault: unknown kind");
  if (tf->delay_ms < 0 || tf->delay_ms > 86400 * 1000LL)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "task fault: delay %lld ms is outside 0..86400000",
                        (long long)tf->delay_ms);
  if (tf->exit_code < 0 || tf->exit_code > 255)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "task fault: exit code %d is outside 0..255",
                        tf->exit_code);
  if (tf->count < 0)
    return ecsb_err_set(err, ECSB_EINVAL, "task fault: negative count");
  if (x->n_tf == MAX_RULES)
    return ecsb_err_set(err, ECSB_ETOOBIG, "task fault: more than %d rules",
                        MAX_RULES);
  size_t i = x->n_tf;
  x->tf[i] = *tf;
  const char *src[3] = {tf->family, tf->group, tf->started_by};
  const char **dst[3] = {&x->tf[i].family, &x->tf[i].group,
                         &x->tf[i].started_by};
  for (int k = 0; k < 3; k++) {
    x->tf_str[i][k] = src[k] ? strdup(src[k]) : NULL;
    if (src[k] && !x->tf_str[i][k]) {
      for (int j = 0; j < k; j++)
        free(x->tf_str[i][j]);
      return ecsb_err_set(err, ECSB_ENOMEM, "task fault: out of memory");
    }
    *dst[k] = x->tf_str[i][k];
  }
  x->n_tf++;
  return 0;
}

static bool field_matches(const char *want, const char *have) {
  return !want || (have && !strcmp(want, have));
}

bool fecs_faults_match_task(fecs_faults *x, const char *family,
                            const char *group, const char *started_by,
                            fecs_task_fault *out) {
  for (size_t i = 0; i < x->n_tf; i++) {
    fecs_task_fault *tf = &x->tf[i];
    if (tf->count < 0)
      continue; /* used up */
    if (!field_matches(tf->family, family) ||
        !field_matches(tf->group, group) ||
        !field_matches(tf->started_by, started_by))
      continue;
    *out = *tf;
    if (tf->count > 0 && --tf->count == 0)
      tf->count = -1;
    return true;
  }
  return false;
}

int fecs_error_status(const char *code) {
  if (!strcmp(code, "ServerException") || !strcmp(code, "InternalFailure"))
    return 500;
  if (!strcmp(code, "ServiceUnavailable") ||
      !strcmp(code, "ServiceUnavailableException"))
    return 503;
  return 400;
}

const char *fecs_error_default_message(const char *code) {
  static const struct {
    const char *code, *msg;
  } M[] = {
      {"ThrottlingException", "Rate exceeded"},
      {"ServerException", "Service Unavailable. Please try again later."},
      {"AccessDeniedException",
       "User is not authorized to perform this operation (fault injected by "
       "fake-ecs)"},
      {"ClientException", "fault injected by fake-ecs"},
  };
  for (size_t i = 0; i < sizeof M / sizeof M[0]; i++)
    if (!strcmp(M[i].code, code))
      return M[i].msg;
  return "fault injected by fake-ecs";
}
