/*
 * strmap.h - a small open-addressing hash map from borrowed C strings to
 * indices, so fleets of thousands of tasks are indexed by name in linear
 * time (the reports' tasks, the fake Consul server's nodes). Keys are NOT
 * copied: they must outlive the map (they point into the event log, the
 * run model or the indexed array). Not thread-safe.
 */
#ifndef ECSB_STRMAP_H
#define ECSB_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct ecsb_strmap ecsb_strmap;

ecsb_strmap *ecsb_strmap_new(void);
void ecsb_strmap_free(ecsb_strmap *m);
/* Inserts or replaces. Returns 0 or ECSB_ENOMEM. */
int ecsb_strmap_put(ecsb_strmap *m, const char *key, size_t val);
bool ecsb_strmap_get(const ecsb_strmap *m, const char *key, size_t *val);

#endif
