/*
 * strmap.c - string -> index map with linear probing (FNV-1a hash), grown
 * at half load. Keys are borrowed; see strmap.h.
 */
#include "ecsb/strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/err.h"

typedef struct slot {
  const char *key;
  size_t val;
} slot;

struct ecsb_strmap {
  slot *slots;
  size_t cap; /* power of two */
  size_t n;
};

static uint64_t hash(const char *s) {
  uint64_t h = 1469598103934665603ULL;
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 1099511628211ULL;
  }
  return h;
}

ecsb_strmap *ecsb_strmap_new(void) {
  ecsb_strmap *m = calloc(1, sizeof *m);
  if (!m)
    return NULL;
  m->cap = 64;
  m->slots = calloc(m->cap, sizeof *m->slots);
  if (!m->slots) {
    free(m);
    return NULL;
  }
  return m;
}

void ecsb_strmap_free(ecsb_strmap *m) {
  if (!m)
    return;
  free(m->slots);
  free(m);
}

static slot *find(slot *slots, size_t cap, const char *key) {
  size_t i = (size_t)hash(key) & (cap - 1);
  while (slots[i].key && strcmp(slots[i].key, key) != 0)
    i = (i + 1) & (cap - 1);
  return &slots[i];
}

int ecsb_strmap_put(ecsb_strmap *m, const char *key, size_t val) {
  if ((m->n + 1) * 2 > m->cap) {
    size_t nc = m->cap * 2;
    slot *ns = calloc(nc, sizeof *ns);
    if (!ns)
      return ECSB_ENOMEM;
    for (size_t i = 0; i < m->cap; i++)
      if (m->slots[i].key)
        *find(ns, nc, m->slots[i].key) = m->slots[i];
    free(m->slots);
    m->slots = ns;
    m->cap = nc;
  }
  slot *s = find(m->slots, m->cap, key);
  if (!s->key)
    m->n++;
  s->key = key;
  s->val = val;
  return 0;
}

bool ecsb_strmap_get(const ecsb_strmap *m, const char *key, size_t *val) {
  const slot *s = find(m->slots, m->cap, key);
  if (!s->key)
    return false;
  *val = s->val;
  return true;
}
