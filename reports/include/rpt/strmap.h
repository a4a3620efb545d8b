/*
 * strmap.h - a small open-addressing hash map from borrowed C strings to
 * indices, so fleets of thousands of tasks are indexed by name in linear
 * time. Keys are NOT copied: they must outlive the map (they point into the
 * event log or the run model). Not thread-safe.
 */
#ifndef RPT_STRMAP_H
#define RPT_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct rpt_strmap rpt_strmap;

rpt_strmap *rpt_strmap_new(void);
void rpt_strmap_free(rpt_strmap *m);
/* Inserts or replaces. Returns 0 or ECSB_ENOMEM. */
int rpt_strmap_put(rpt_strmap *m, const char *key, size_t val);
bool rpt_strmap_get(const rpt_strmap *m, const char *key, size_t *val);

#endif
