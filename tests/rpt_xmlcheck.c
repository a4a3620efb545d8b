/* rpt_xmlcheck.c - see rpt_xmlcheck.h. A recursive-descent reader that
 * rejects anything not well-formed: bad names, unquoted or duplicate
 * attributes, '<' or a bare '&' in values, unknown entities, forbidden
 * control characters, invalid UTF-8, mismatched or unclosed tags, "]]>" in
 * text, content after the root. */
#include "rpt_xmlcheck.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct rd {
  const char *s;
  size_t p;
  char *why;
  size_t cap;
  bool bad;
} rd;

static void bad(rd *r, const char *fmt, ...) {
  if (r->bad)
    return;
  r->bad = true;
  char m[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(m, sizeof m, fmt, ap);
  va_end(ap);
  snprintf(r->why, r->cap, "offset %zu: %s", r->p, m);
}

static void append(char **dst, const char *s, size_t n) {
  size_t old = *dst ? strlen(*dst) : 0;
  char *nd = realloc(*dst, old + n + 1);
  if (!nd)
    abort();
  memcpy(nd + old, s, n);
  nd[old + n] = '\0';
  *dst = nd;
}

/* Valid XML character at s (UTF-8); returns its length or 0. */
static size_t xml_char(const unsigned char *s) {
  unsigned c = s[0];
  if (c < 0x80)
    return (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') ? 1 : 0;
  size_t n = (c & 0xE0) == 0xC0   ? 2
             : (c & 0xF0) == 0xE0 ? 3
             : (c & 0xF8) == 0xF0 ? 4
                                  : 0;
  if (!n)
    return 0;
  unsigned v = c & (0xFF >> (n + 1));
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    v = (v << 6) | (s[i] & 0x3F);
  }
  static const unsigned min[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (v < min[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) ||
      v == 0xFFFE || v == 0xFFFF)
    return 0;
  return n;
}

static bool name_start(char c) {
  return isalpha((unsigned char)c) || c == '_' || c == ':';
}
static bool name_char(char c) {
  return name_start(c) || isdigit((unsigned char)c) || c == '-' || c == '.';
}

static char *name(rd *r) {
  size_t b = r->p;
  if (!name_start(r->s[r->p])) {
    bad(r, "expected a name");
    return NULL;
  }
  while (name_char(r->s[r->p]))
    r->p++;
  return strndup(r->s + b, r->p - b);
}

static void ws(rd *r) {
  while (r->s[r->p] == ' ' || r->s[r->p] == '\t' || r->s[r->p] == '\n' ||
         r->s[r->p] == '\r')
    r->p++;
}

/* Decodes one reference at '&' into out. */
static void entity(rd *r, char **out) {
  static const struct {
    const char *e, *c;
  } named[] = {{"&amp;", "&"},
               {"&lt;", "<"},
               {"&gt;", ">"},
               {"&quot;", "\""},
               {"&apos;", "'"}};
  for (size_t i = 0; i < 5; i++) {
    size_t n = strlen(named[i].e);
    if (strncmp(r->s + r->p, named[i].e, n) == 0) {
      append(out, named[i].c, 1);
      r->p += n;
      return;
    }
  }
  if (r->s[r->p + 1] == '#') {
    size_t q = r->p + 2;
    bool hex = r->s[q] == 'x';
    q += hex;
    size_t d = q;
    while (hex ? isxdigit((unsigned char)r->s[q])
               : isdigit((unsigned char)r->s[q]))
      q++;
    if (q > d && r->s[q] == ';') {
      unsigned long v = strtoul(r->s + d, NULL, hex ? 16 : 10);
      if (v == 0x9 || v == 0xA || v == 0xD || (v >= 0x20 && v <= 0xD7FF) ||
          (v >= 0xE000 && v <= 0xFFFD) || (v >= 0x10000 && v <= 0x10FFFF)) {
        char u[4];
        size_t n = v < 0x80 ? 1 : v < 0x800 ? 2 : v < 0x10000 ? 3 : 4;
        static const unsigned char lead[5] = {0, 0, 0xC0, 0xE0, 0xF0};
        for (size_t i = n; i-- > 1;) {
          u[i] = (char)(0x80 | (v & 0x3F));
          v >>= 6;
        }
        u[0] = (char)(lead[n] | v);
        append(out, u, n);
        r->p = q + 1;
        return;
      }
      bad(r, "character reference to a character XML forbids");
      return;
    }
  }
  bad(r, "bare '&' or unknown entity");
}

static void chars(rd *r, char **out, char stop, bool attr) {
  while (!r->bad && r->s[r->p] && r->s[r->p] != stop) {
    char c = r->s[r->p];
    if (c == '<') {
      if (attr)
        bad(r, "'<' in an attribute value");
      return;
    }
    if (c == '&') {
      entity(r, out);
      continue;
    }
    if (!attr && strncmp(r->s + r->p, "]]>", 3) == 0) {
      bad(r, "\"]]>\" in text");
      return;
    }
    size_t n = xml_char((const unsigned char *)r->s + r->p);
    if (!n) {
      bad(r, "byte 0x%02x is not an XML character", (unsigned char)c);
      return;
    }
    append(out, r->s + r->p, n);
    r->p += n;
  }
}

static bool skip_misc(rd *r) {
  ws(r);
  if (strncmp(r->s + r->p, "<!--", 4) == 0) {
    const char *e = strstr(r->s + r->p + 4, "-->");
    if (!e) {
      bad(r, "unterminated comment");
      return false;
    }
    r->p = (size_t)(e - r->s) + 3;
    return true;
  }
  return false;
}

static xnode *element(rd *r, int depth) {
  if (depth > 100) {
    bad(r, "too deep");
    return NULL;
  }
  if (r->s[r->p] != '<') {
    bad(r, "expected '<'");
    return NULL;
  }
  r->p++;
  xnode *n = calloc(1, sizeof *n);
  n->name = name(r);
  while (!r->bad) {
    size_t before = r->p;
    ws(r);
    if (r->s[r->p] == '/' || r->s[r->p] == '>')
      break;
    if (r->p == before) {
      bad(r, "expected whitespace before an attribute");
      break;
    }
    char *an = name(r);
    if (r->bad) {
      free(an);
      break;
    }
    for (size_t i = 0; i < n->n_attr; i++)
      if (strcmp(n->anames[i], an) == 0)
        bad(r, "duplicate attribute %s", an);
    ws(r);
    if (r->s[r->p] != '=') {
      free(an);
      bad(r, "expected '=' after attribute name");
      break;
    }
    r->p++;
    ws(r);
    char q = r->s[r->p];
    if (q != '"' && q != '\'') {
      free(an);
      bad(r, "attribute value not quoted");
      break;
    }
    r->p++;
    char *val = strdup("");
    chars(r, &val, q, true);
    if (!r->bad && r->s[r->p] != q)
      bad(r, "unterminated attribute value");
    r->p++;
    n->anames = realloc(n->anames, (n->n_attr + 1) * sizeof(char *));
    n->avals = realloc(n->avals, (n->n_attr + 1) * sizeof(char *));
    n->anames[n->n_attr] = an;
    n->avals[n->n_attr] = val;
    n->n_attr++;
  }
  if (r->bad)
    return n;
  if (r->s[r->p] == '/') {
    if (r->s[r->p + 1] != '>')
      bad(r, "expected \"/>\"");
    r->p += 2;
    return n;
  }
  r->p++; /* '>' */
  n->text = strdup("");
  for (;;) {
    chars(r, &n->text, '<', false);
    if (r->bad)
      return n;
    if (!r->s[r->p]) {
      bad(r, "<%s> is never closed", n->name);
      return n;
    }
    if (strncmp(r->s + r->p, "</", 2) == 0) {
      r->p += 2;
      char *en = name(r);
      if (!r->bad && strcmp(en, n->name) != 0)
        bad(r, "</%s> closes <%s>", en, n->name);
      free(en);
      ws(r);
      if (!r->bad && r->s[r->p] != '>')
        bad(r, "expected '>'");
      r->p++;
      return n;
    }
    if (strncmp(r->s + r->p, "<!--", 4) == 0) {
      skip_misc(r);
      continue;
    }
    if (strncmp(r->s + r->p, "<![CDATA[", 9) == 0) {
      const char *e = strstr(r->s + r->p + 9, "]]>");
      if (!e) {
        bad(r, "unterminated CDATA");
        return n;
      }
      append(&n->text, r->s + r->p + 9, (size_t)(e - r->s) - r->p - 9);
      r->p = (size_t)(e - r->s) + 3;
      continue;
    }
    xnode *k = element(r, depth + 1);
    n->kids = realloc(n->kids, (n->n_kids + 1) * sizeof *n->kids);
    n->kids[n->n_kids++] = k;
    if (r->bad)
      return n;
  }
}

xnode *xml_parse(const char *doc, char *why, size_t cap) {
  rd r = {.s = doc, .why = why, .cap = cap};
  why[0] = '\0';
  if (strncmp(doc, "<?xml ", 6) == 0) {
    const char *e = strstr(doc, "?>");
    if (!e) {
      bad(&r, "unterminated XML declaration");
      return NULL;
    }
    r.p = (size_t)(e - doc) + 2;
  }
  while (skip_misc(&r))
    ;
  if (r.bad)
    return NULL;
  xnode *root = element(&r, 0);
  while (!r.bad && skip_misc(&r))
    ;
  if (!r.bad && doc[r.p])
    bad(&r, "content after the root element");
  if (r.bad) {
    xml_free(root);
    return NULL;
  }
  return root;
}

void xml_free(xnode *n) {
  if (!n)
    return;
  free(n->name);
  for (size_t i = 0; i < n->n_attr; i++) {
    free(n->anames[i]);
    free(n->avals[i]);
  }
  free(n->anames);
  free(n->avals);
  for (size_t i = 0; i < n->n_kids; i++)
    xml_free(n->kids[i]);
  free(n->kids);
  free(n->text);
  free(n);
}

const char *xml_attr(const xnode *n, const char *name) {
  for (size_t i = 0; n && i < n->n_attr; i++)
    if (strcmp(n->anames[i], name) == 0)
      return n->avals[i];
  return NULL;
}

size_t xml_count(const xnode *n, const char *name) {
  size_t c = 0;
  for (size_t i = 0; n && i < n->n_kids; i++)
    c += strcmp(n->kids[i]->name, name) == 0;
  return c;
}

const xnode *xml_child(const xnode *n, const char *name, size_t idx) {
  for (size_t i = 0; n && i < n->n_kids; i++)
    if (strcmp(n->kids[i]->name, name) == 0 && idx-- == 0)
      return n->kids[i];
  return NULL;
}
