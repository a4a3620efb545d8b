/*
 * fecs_throttle.c - per-operation token buckets, as ECS throttles its API
 * (the "Request throttling for the Amazon ECS API" page: a bucket per
 * action whose capacity is the burst rate and whose refill is the
 * sustained rate; an empty bucket answers ThrottlingException "Rate
 * exceeded").
 *
 * Defaults (configurable per operation with fecs_throttle_set) are
 * modelled on that page: task reads (DescribeTasks, ListTasks) 100 burst /
 * 20 per second, cluster reads 50 / 20 (the page's own example), other
 * reads 100 / 20, RunTask and StopTask 100 / 40, and the create/register
 * actions 20 / 1. Called by fecs_api.c under fecs.mu; no I/O.
 */
#include <stdlib.h>
#include <string.h>

#include "fecs_internal.h"

typedef struct bucket {
  const char *op;
  double burst, refill, def_burst, def_refill;
  double tokens;
  int64_t last_us;
  bool fresh; /* full at the first call, whatever the clock reads */
} bucket;

static const struct {
  const char *op;
  double burst, refill;
} DEFAULTS[] = {
    {"DescribeTasks", 100, 20},
    {"ListTasks", 100, 20},
    {"RunTask", 100, 40},
    {"StopTask", 100, 40},
    {"DescribeClusters", 50, 20},
    {"ListClusters", 50, 20},
    {"CreateCluster", 20, 1},
    {"DescribeServices", 100, 20},
    {"ListServices", 100, 20},
    {"CreateService", 20, 1},
    {"RegisterTaskDefinition", 20, 1},
    {"DeregisterTaskDefinition", 20, 1},
    {"DescribeTaskDefinition", 100, 20},
    {"ListTaskDefinitions", 100, 20},
};
#define N_BUCKETS (sizeof DEFAULTS / sizeof DEFAULTS[0])

struct fecs_throttle {
  bool enabled;
  double rate_mult; /* 1 / time_scale: refills run in scenario time */
  bucket b[N_BUCKETS];
};

bool fecs_op_known(const char *op) {
  if (!op || !strcmp(op, "*"))
    return true;
  for (size_t i = 0; i < N_BUCKETS; i++)
    if (!strcmp(DEFAULTS[i].op, op))
      return true;
  return false;
}

void fecs_throttle_reset(fecs_throttle *t) {
  for (size_t i = 0; i < N_BUCKETS; i++) {
    bucket *b = &t->b[i];
    b->op = DEFAULTS[i].op;
    b->burst = b->def_burst = DEFAULTS[i].burst;
    b->refill = b->def_refill = DEFAULTS[i].refill;
    b->tokens = b->burst;
    b->fresh = true;
  }
}

fecs_throttle *fecs_throttle_new(bool enabled, double time_scale) {
  fecs_throttle *t = calloc(1, sizeof *t);
  if (!t)
    return NULL;
  t->enabled = enabled;
  t->rate_mult = time_scale > 0 ? 1.0 / time_scale : 1.0;
  fecs_throttle_reset(t);
  return t;
}

void fecs_throttle_free(fecs_throttle *t) {
  free(t);
}

void fecs_throttle_set_enabled(fecs_throttle *t, bool on) {
  t->enabled = on;
}

static bucket *find(fecs_throttle *t, const char *op) {
  for (size_t i = 0; i < N_BUCKETS; i++)
    if (!strcmp(t->b[i].op, op))
      return &t->b[i];
  return NULL;
}

static void refill(bucket *b, int64_t now, double mult) {
  if (b->fresh) {
    b->fresh = false;
    b->last_us = now;
    return;
  }
  if (now > b->last_us) {
    b->tokens += (double)(now - b->last_us) * b->refill * mult / 1e6;
    if (b->tokens > b->burst)
      b->tokens = b->burst;
  }
  b->last_us = now > b->last_us ? now : b->last_us;
}

bool fecs_throttle_take(fecs_throttle *t, const char *op, int64_t now) {
  if (!t->enabled)
    return true;
  bucket *b = find(t, op);
  if (!b)
    return true;
  refill(b, now, t->rate_mult);
  if (b->tokens >= 1.0) {
    b->tokens -= 1.0;
    return true;
  }
  return false;
}

int fecs_throttle_configure(fecs_throttle *t, const char *op, double burst,
                            double rate, int64_t now, ecsb_err *err) {
  if (!(burst >= 0 && burst <= 1e9) || !(rate >= 0 && rate <= 1e9))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "throttle for %s: burst and refill must be between 0 "
                        "and 1e9 (got %g, %g)",
                        op ? op : "*", burst, rate);
  bool all = !op || !strcmp(op, "*");
  if (!all && !find(t, op))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "throttle: '%s' is not an operation fake-ecs serves",
                        op);
  for (size_t i = 0; i < N_BUCKETS; i++) {
    bucket *b = &t->b[i];
    if (!all && strcmp(b->op, op))
      continue;
    b->burst = burst;
    b->refill = rate;
    b->tokens = burst; /* a new bucket starts full */
    b->last_us = now;
    b->fresh = false;
  }
  return 0;
}
