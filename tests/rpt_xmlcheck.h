/* rpt_xmlcheck.h - a small strict XML 1.0 well-formedness checker for the
 * reports tests (no DTDs, no external entities: what ecsboot writes never
 * needs them). Builds an element tree so tests can assert structure. */
#ifndef RPT_XMLCHECK_H
#define RPT_XMLCHECK_H

#include <stddef.h>

typedef struct xnode {
  char *name;
  char **anames, **avals; /* attribute values with entities decoded */
  size_t n_attr;
  struct xnode **kids;
  size_t n_kids;
  char *text; /* character data (decoded), concatenated */
} xnode;

/* Returns the root or NULL with a reason (and byte offset) in why. */
xnode *xml_parse(const char *doc, char *why, size_t cap);
void xml_free(xnode *n);
const char *xml_attr(const xnode *n, const char *name);
/* Children named name, counted / the i-th. */
size_t xml_count(const xnode *n, const char *name);
const xnode *xml_child(const xnode *n, const char *name, size_t i);

#endif
