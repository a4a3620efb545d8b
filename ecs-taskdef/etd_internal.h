/*
 * etd_internal.h - what taskdef.c (the JSON pass, shapes) and rules.c (the
 * container pass) share inside ecs-taskdef: the problem recorder.
 */
#ifndef ETD_INTERNAL_H
#define ETD_INTERNAL_H

#include "etd/taskdef.h"

typedef struct etd_vctx {
  etd_problems *ps;
  etd_problem first;
  size_t n;
  bool all;
  bool zero_is_default; /* a spec built in code, not JSON */
  bool fargate;         /* requiresCompatibilities names FARGATE */
  bool awsvpc;          /* networkMode awsvpc (no links) */
} etd_vctx;

/* Records a problem (the first always, the rest when v->all); returns -1. */
int etd_bad(etd_vctx *v, etd_rule rule, int ctr, const char *path,
            const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* containerDefinitions: required, 1-100 containers (got n). */
int etd_count_problem(etd_vctx *v, size_t n);

/* The container pass over n containers; -1 when it found a problem. */
int etd_check_containers(etd_vctx *v, const etd_container *cs, size_t n);
/* Asked for every problem, when some containers could not be read whole:
 * the checks of each container alone (name, timeouts, health check) for
 * those that were (read_whole[i]); the checks across containers need them
 * all. Returns -1: there was a problem. */
int etd_check_each(etd_vctx *v, const etd_container *cs, size_t n,
                   const bool *read_whole);

/* The caller's result: 0, ECSB_ENOMEM, or ECSB_EINVAL with the first
 * problem's message in err. */
int etd_finish(etd_vctx *v, int rc, ecsb_err *err);

#endif
