/*
 * sigv4_canon.c - SigV4's canonicalisation (see sigv4.h for the rules and
 * sigv4_canon.h for the pieces): target parsing, path normalisation and
 * encoding, query sorting, header folding, the canonical request, the
 * string to sign and the derived key. sigv4.c's signer and verifier both
 * build every canonical request here, so they cannot drift apart.
 *
 * core/ production code: no I/O, no global state. Scratch buffers that held
 * secrets are wiped.
 */
#include "sigv4_canon.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- primitives ------------------------------------------------------- */

static const char HEX_LO[] = "0123456789abcdef";
static const char HEX_UP[] = "0123456789ABCDEF";

static void hex_lower(const uint8_t *d, size_t n, char *out) {
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = HEX_LO[d[i] >> 4];
    out[2 * i + 1] = HEX_LO[d[i] & 15];
  }
  out[2 * n] = '\0';
}

int ecsb_sigv4_sha256_hex(const void *data, size_t len, char out[65]) {
  uint8_t md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (!EVP_Digest(data ? data : "", len, md, &md_len, EVP_sha256(), NULL) ||
      md_len != 32)
    return ECSB_EINTERNAL;
  hex_lower(md, 32, out);
  return 0;
}

int ecsb_sigv4_hmac(const void *key, size_t key_len, const void *data,
                    size_t len, uint8_t out[32]) {
  unsigned int n = 0;
  if (key_len > 0x7fffffff)
    return ECSB_EINVAL;
  if (!HMAC(EVP_sha256(), key, (int)key_len,
            (const unsigned char *)(data ? data : ""), len, out, &n) ||
      n != 32)
    return ECSB_EINTERNAL;
  return 0;
}

int ecsb_sigv4_signing_key(const char *secret, const char *date8,
                           const char *region, const char *service,
                           uint8_t out[32]) {
  size_t sl = strlen(secret);
  char *k0 = malloc(sl + 5);
  if (!k0)
    return ECSB_ENOMEM;
  memcpy(k0, "AWS4", 4);
  memcpy(k0 + 4, secret, sl + 1);
  uint8_t a[32], b[32];
  int rc = ecsb_sigv4_hmac(k0, sl + 4, date8, strlen(date8), a);
  if (!rc)
    rc = ecsb_sigv4_hmac(a, 32, region, strlen(region), b);
  if (!rc)
    rc = ecsb_sigv4_hmac(b, 32, service, strlen(service), a);
  if (!rc)
    rc = ecsb_sigv4_hmac(a, 32, "aws4_request", 12, out);
  OPENSSL_cleanse(k0, sl + 5);
  OPENSSL_cleanse(a, sizeof a);
  OPENSSL_cleanse(b, sizeof b);
  free(k0);
  return rc;
}

void ecsb_sigv4_format_date(int64_t unix_s, char out[17]) {
  time_t t = (time_t)unix_s;
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

int ecsb_sigv4_parse_date(const char *s, int64_t *unix_s, ecsb_err *err) {
  int f[6] = {0};
  static const int widths[6] = {4, 2, 2, 2, 2, 2};
  const char *p = s;
  if (!s || strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
    goto bad;
  for (int i = 0; i < 6; i++) {
    if (i == 3)
      p++; /* the 'T' */
    for (int j = 0; j < widths[i]; j++, p++) {
      if (!isdigit((unsigned char)*p))
        goto bad;
      f[i] = f[i] * 10 + (*p - '0');
    }
  }
  if (f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 ||
      f[4] > 59 || f[5] > 60)
    goto bad;
  struct tm tm = {0};
  tm.tm_year = f[0] - 1900;
  tm.tm_mon = f[1] - 1;
  tm.tm_mday = f[2];
  tm.tm_hour = f[3];
  tm.tm_min = f[4];
  tm.tm_sec = f[5];
  *unix_s = (int64_t)timegm(&tm);
  return 0;
bad:
  return ecsb_err_set(err, ECSB_EPARSE,
                      "X-Amz-Date '%.32s' is not in the ISO 8601 basic "
                      "format YYYYMMDD'T'HHMMSS'Z'",
                      s ? s : "");
}

/* ---- encoding --------------------------------------------------------- */

static bool unreserved(unsigned char c) {
  return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

void ecsb_sv4_encode_into(ecsb_buf *out, const char *s, size_t n,
                          bool keep_slash) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (unreserved(c) || (keep_slash && c == '/')) {
      ecsb_buf_putc(out, (char)c);
    } else {
      char e[3] = {'%', HEX_UP[c >> 4], HEX_UP[c & 15]};
      ecsb_buf_putn(out, e, 3);
    }
  }
}

int ecsb_sv4_hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Percent-decodes s[0..n) ('+' stays '+': AWS query strings use %20). A
 * malformed escape is kept as it is. */
static char *decode(const char *s, size_t n) {
  char *o = malloc(n + 1);
  if (!o)
    return NULL;
  size_t j = 0;
  for (size_t i = 0; i < n; i++) {
    int h, l;
    if (s[i] == '%' && i + 2 < n && (h = ecsb_sv4_hexval(s[i + 1])) >= 0 &&
        (l = ecsb_sv4_hexval(s[i + 2])) >= 0) {
      o[j++] = (char)(h * 16 + l);
      i += 2;
    } else {
      o[j++] = s[i];
    }
  }
  o[j] = '\0';
  return o;
}

/* ---- target ----------------------------------------------------------- */

int ecsb_sv4_parse_target(const char *target, ecsb_sv4_target *t,
                          ecsb_err *err) {
  memset(t, 0, sizeof *t);
  const char *p = target;
  size_t skip = 0;
  int default_port = 0;
  if (!strncasecmp(p, "http://", 7)) {
    skip = 7;
    default_port = 80;
  } else if (!strncasecmp(p, "https://", 8)) {
    skip = 8;
    default_port = 443;
  }
  if (skip) {
    p += skip;
    size_t alen = strcspn(p, "/?#");
    const char *auth = p;
    const char *at = memchr(auth, '@', alen);
    while (at) { /* userinfo never goes into Host */
      alen -= (size_t)(at + 1 - auth);
      auth = at + 1;
      at = memchr(auth, '@', alen);
    }
    if (alen == 0 || alen >= sizeof t->host)
      return ecsb_err_set(err, ECSB_EINVAL,
                          "sigv4: URL '%.200s' has no usable host", target);
    memcpy(t->host, auth, alen);
    t->host[alen] = '\0';
    /* strip the scheme's default port, as curl and the SDKs do */
    char *colon = strrchr(t->host, ':');
    if (colon && !strchr(colon, ']')) {
      char *end = NULL;
      long port = strtol(colon + 1, &end, 10);
      if (end && *end == '\0' && port == default_port)
        *colon = '\0';
    }
    for (char *c = t->host; *c; c++)
      *c = (char)tolower((unsigned char)*c);
    p = auth + alen;
  }
  size_t plen = strcspn(p, "?#");
  t->path = p;
  t->path_len = plen;
  if (p[plen] == '?') {
    t->query = p + plen + 1;
    t->query_len = strcspn(t->query, "#");
  } else {
    t->query = "";
  }
  return 0;
}

/* ---- canonical path --------------------------------------------------- */

static void canon_path(ecsb_buf *out, const char *path, size_t len,
                       bool normalize) {
  if (len == 0) {
    ecsb_buf_putc(out, '/');
    return;
  }
  if (!normalize) {
    ecsb_sv4_encode_into(out, path, len, true);
    return;
  }
  /* Remove "." and ".." and empty segments; keep a trailing slash. */
  size_t nseg = 1;
  for (size_t i = 0; i < len; i++)
    nseg += path[i] == '/';
  const char **st = malloc(nseg * sizeof *st);
  size_t *sl = malloc(nseg * sizeof *sl);
  if (!st || !sl) {
    free(st);
    free(sl);
    out->oom = true;
    return;
  }
  size_t n = 0;
  for (size_t i = 0; i <= len;) {
    size_t j = i;
    while (j < len && path[j] != '/')
      j++;
    size_t L = j - i;
    if (L == 0 || (L == 1 && path[i] == '.')) {
      /* skip */
    } else if (L == 2 && path[i] == '.' && path[i + 1] == '.') {
      if (n > 0)
        n--;
    } else {
      st[n] = path + i;
      sl[n] = L;
      n++;
    }
    i = j + 1;
  }
  ecsb_buf_putc(out, '/');
  for (size_t k = 0; k < n; k++) {
    if (k)
      ecsb_buf_putc(out, '/');
    ecsb_sv4_encode_into(out, st[k], sl[k], false);
  }
  if (n > 0 && path[len - 1] == '/')
    ecsb_buf_putc(out, '/');
  free(st);
  free(sl);
}

/* ---- canonical query -------------------------------------------------- */

typedef struct qpair {
  char *k, *v; /* encoded */
} qpair;

static int qpair_cmp(const void *a, const void *b) {
  const qpair *x = a, *y = b;
  int c = strcmp(x->k, y->k);
  return c ? c : strcmp(x->v, y->v);
}

static char *encode_dup(const char *s, size_t n) {
  ecsb_buf o = {0};
  ecsb_sv4_encode_into(&o, s, n, false);
  return ecsb_buf_take(&o);
}

/* Appends the request's query pairs (decoded, then encoded) and `extra`
 * (raw name/value strings, NULL-terminated pairs) sorted, joined by '&'. */
static void canon_query(ecsb_buf *out, const char *q, size_t qlen,
                        const char *const *extra) {
  size_t cap = 1, n = 0;
  for (size_t i = 0; i < qlen; i++)
    cap += q[i] == '&';
  for (const char *const *e = extra; e && *e; e += 2)
    cap++;
  qpair *v = calloc(cap, sizeof *v);
  if (!v) {
    out->oom = true;
    return;
  }
  for (size_t i = 0; i < qlen;) {
    size_t j = i;
    while (j < qlen && q[j] != '&')
      j++;
    if (j > i) {
      const char *eq = memchr(q + i, '=', j - i);
      size_t kl = eq ? (size_t)(eq - (q + i)) : j - i;
      char *k = decode(q + i, kl);
      char *val = eq ? decode(eq + 1, (size_t)(q + j - eq - 1)) : strdup("");
      if (k && val) {
        v[n].k = encode_dup(k, strlen(k));
        v[n].v = encode_dup(val, strlen(val));
        if (!v[n].k || !v[n].v)
          out->oom = true;
        n++;
      } else {
        out->oom = true;
      }
      free(k);
      free(val);
    }
    i = j + 1;
  }
  for (const char *const *e = extra; e && *e; e += 2) {
    v[n].k = encode_dup(e[0], strlen(e[0]));
    v[n].v = encode_dup(e[1], strlen(e[1]));
    if (!v[n].k || !v[n].v)
      out->oom = true;
    n++;
  }
  if (!out->oom) {
    qsort(v, n, sizeof *v, qpair_cmp);
    for (size_t i = 0; i < n; i++) {
      if (i)
        ecsb_buf_putc(out, '&');
      ecsb_buf_puts(out, v[i].k);
      ecsb_buf_putc(out, '=');
      ecsb_buf_puts(out, v[i].v);
    }
  }
  for (size_t i = 0; i < n; i++) {
    free(v[i].k);
    if (v[i].v)
      OPENSSL_cleanse(v[i].v, strlen(v[i].v));
    free(v[i].v);
  }
  free(v);
}

/* ---- canonical headers ------------------------------------------------ */

void ecsb_sv4_hset_free(ecsb_sv4_hset *s) {
  for (size_t i = 0; i < s->n; i++) {
    free(s->v[i].name);
    ecsb_buf_wipe_free(&s->v[i].value);
  }
  free(s->v);
  memset(s, 0, sizeof *s);
}

char *ecsb_sv4_lower_trim_dup(const char *name) {
  while (*name == ' ' || *name == '\t')
    name++;
  size_t n = strlen(name);
  while (n && (name[n - 1] == ' ' || name[n - 1] == '\t'))
    n--;
  char *o = malloc(n + 1);
  if (!o)
    return NULL;
  for (size_t i = 0; i < n; i++)
    o[i] = (char)tolower((unsigned char)name[i]);
  o[n] = '\0';
  return o;
}

/* Trims, and folds every run of whitespace (including the line breaks of
 * an obsolete folded header) to one space. */
static void fold_value(ecsb_buf *out, const char *v) {
  bool pending = false, any = false;
  for (; v && *v; v++) {
    unsigned char c = (unsigned char)*v;
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      pending = any;
      continue;
    }
    if (pending)
      ecsb_buf_putc(out, ' ');
    pending = false;
    any = true;
    ecsb_buf_putc(out, (char)c);
  }
}

/* Adds one header (name already lower-case, ownership taken). */
void ecsb_sv4_hset_add(ecsb_sv4_hset *s, char *lname, const char *value) {
  if (!lname) {
    s->oom = true;
    return;
  }
  for (size_t i = 0; i < s->n; i++) {
    if (!strcmp(s->v[i].name, lname)) {
      ecsb_buf_putc(&s->v[i].value, ',');
      fold_value(&s->v[i].value, value);
      s->oom |= s->v[i].value.oom;
      free(lname);
      return;
    }
  }
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 8;
    ecsb_sv4_hent *v = realloc(s->v, cap * sizeof *v);
    if (!v) {
      free(lname);
      s->oom = true;
      return;
    }
    s->v = v;
    s->cap = cap;
  }
  ecsb_sv4_hent *e = &s->v[s->n++];
  memset(e, 0, sizeof *e);
  e->name = lname;
  ecsb_buf_putn(&e->value, "", 0);
  fold_value(&e->value, value);
  s->oom |= e->value.oom;
}

const ecsb_sv4_hent *ecsb_sv4_hset_find(const ecsb_sv4_hset *s,
                                        const char *lname) {
  for (size_t i = 0; i < s->n; i++)
    if (!strcmp(s->v[i].name, lname))
      return &s->v[i];
  return NULL;
}

static int hent_cmp(const void *a, const void *b) {
  return strcmp(((const ecsb_sv4_hent *)a)->name,
                ((const ecsb_sv4_hent *)b)->name);
}

/* Headers a signer leaves out: clients and proxies rewrite them. */
bool ecsb_sv4_unsignable(const char *lname) {
  static const char *const skip[] = {
      "authorization",     "user-agent",      "expect", "connection",
      "transfer-encoding", "x-amzn-trace-id", NULL};
  for (const char *const *k = skip; *k; k++)
    if (!strcmp(*k, lname))
      return true;
  return false;
}

/* ---- the canonical request -------------------------------------------- */

void ecsb_sv4_canon_free(ecsb_sv4_canon *c) {
  if (c->request) {
    OPENSSL_cleanse(c->request, strlen(c->request));
    free(c->request);
  }
  free(c->signed_headers);
  memset(c, 0, sizeof *c);
}

int ecsb_sv4_build_canonical(const char *method, const ecsb_sv4_target *t,
                             ecsb_sv4_hset *h, const char *const *extra_q,
                             const char *payload_hash, bool normalize,
                             ecsb_sv4_canon *out, ecsb_err *err) {
  ecsb_buf cr = {0}, sh = {0};
  qsort(h->v, h->n, sizeof *h->v, hent_cmp);
  ecsb_buf_puts(&cr, method);
  ecsb_buf_putc(&cr, '\n');
  canon_path(&cr, t->path, t->path_len, normalize);
  ecsb_buf_putc(&cr, '\n');
  canon_query(&cr, t->query, t->query_len, extra_q);
  ecsb_buf_putc(&cr, '\n');
  for (size_t i = 0; i < h->n; i++) {
    ecsb_buf_puts(&cr, h->v[i].name);
    ecsb_buf_putc(&cr, ':');
    ecsb_buf_puts(&cr, h->v[i].value.s ? h->v[i].value.s : "");
    ecsb_buf_putc(&cr, '\n');
    if (i)
      ecsb_buf_putc(&sh, ';');
    ecsb_buf_puts(&sh, h->v[i].name);
  }
  ecsb_buf_putc(&cr, '\n');
  ecsb_buf_puts(&cr, sh.s ? sh.s : "");
  ecsb_buf_putc(&cr, '\n');
  ecsb_buf_puts(&cr, payload_hash);
  if (cr.oom || sh.oom || h->oom) {
    ecsb_buf_wipe_free(&cr);
    ecsb_buf_wipe_free(&sh);
    return ecsb_err_set(err, ECSB_ENOMEM, "sigv4: out of memory");
  }
  out->request = ecsb_buf_take(&cr);
  out->signed_headers = ecsb_buf_take(&sh);
  if (!out->request || !out->signed_headers) {
    ecsb_sv4_canon_free(out);
    return ecsb_err_set(err, ECSB_ENOMEM, "sigv4: out of memory");
  }
  return 0;
}

int ecsb_sv4_string_to_sign(const char *amz_date, const char *scope,
                            const char *creq, char **out) {
  char h[65];
  if (ecsb_sigv4_sha256_hex(creq, strlen(creq), h))
    return ECSB_EINTERNAL;
  size_t n =
      strlen(ECSB_SIGV4_ALGORITHM) + strlen(amz_date) + strlen(scope) + 64 + 4;
  *out = malloc(n);
  if (!*out)
    return ECSB_ENOMEM;
  snprintf(*out, n, "%s\n%s\n%s\n%s", ECSB_SIGV4_ALGORITHM, amz_date, scope, h);
  return 0;
}

int ecsb_sv4_sign_string(const char *secret, const char *date8,
                         const char *region, const char *service,
                         const char *sts, char sig[65]) {
  uint8_t key[32], mac[32];
  char d8[9]; /* callers may pass the whole X-Amz-Date */
  snprintf(d8, sizeof d8, "%.8s", date8);
  int rc = ecsb_sigv4_signing_key(secret, d8, region, service, key);
  if (!rc)
    rc = ecsb_sigv4_hmac(key, 32, sts, strlen(sts), mac);
  if (!rc)
    hex_lower(mac, 32, sig);
  OPENSSL_cleanse(key, sizeof key);
  return rc;
}
