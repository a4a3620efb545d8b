/*
 * merge.c - loads shard outputs for one combined report (merge.h). The
 * order is by scenario, then by input order, so merging the same shards
 * always gives byte-identical files.
 */
#include "rpt/merge.h"

#include <stdlib.h>
#include <string.h>

#include "rpt/report.h"

typedef struct keyed {
  rpt_run *run;
  size_t order;
} keyed;

static int cmp_keyed(const void *a, const void *b) {
  const keyed *x = a, *y = b;
  int c = strcmp(x->run->scenario, y->run->scenario);
  if (c)
    return c;
  return (x->order > y->order) - (x->order < y->order);
}

int rpt_merge_load(const char *const *paths, size_t n_paths, rpt_run ***runs,
                   size_t *n_runs, size_t *dups, ecsb_err *err) {
  *runs = NULL;
  *n_runs = 0;
  *dups = 0;
  if (n_paths == 0)
    return ecsb_err_set(err, ECSB_EINVAL, "merge: no input given");
  rpt_run **r = NULL;
  size_t n = 0;
  for (size_t i = 0; i < n_paths; i++) {
    int rc = rpt_report_load(paths[i], &r, &n, err);
    if (rc) {
      rpt_runs_free(r, n);
      return rc;
    }
  }
  keyed *k = calloc(n + 1, sizeof *k);
  if (!k) {
    rpt_runs_free(r, n);
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < n; i++) {
    k[i].run = r[i];
    k[i].order = i;
  }
  qsort(k, n, sizeof *k, cmp_keyed);
  for (size_t i = 0; i < n; i++) {
    r[i] = k[i].run;
    if (i && strcmp(r[i]->scenario, r[i - 1]->scenario) == 0)
      (*dups)++;
  }
  free(k);
  *runs = r;
  *n_runs = n;
  return 0;
}
