/*
 * sigv4.c - AWS Signature Version 4 (see sigv4.h for the contract).
 *
 * Owns the one canonicalisation both the signer (the ECS client) and the
 * verifier (fake-ecs) use: target parsing, path normalisation and
 * encoding, query sorting, header folding, the string to sign and the
 * derived key. Everything funnels through build_canonical() so a request
 * signed here is verified by byte-for-byte the same rules.
 *
 * core/ production code: no I/O, no fakes. Secrets are wiped from the
 * scratch buffers that held them and never reach an error message.
 */
#include "ecsb/sigv4.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- a small string builder ------------------------------------------- */

typedef struct sb {
  char *p;
  size_t len, cap;
  bool oom;
} sb;

static void sb_putn(sb *s, const char *d, size_t n) {
  if (s->oom)
    return;
  if (s->len + n + 1 > s->cap) {
    size_t cap = s->cap ? s->cap : 64;
    while (cap < s->len + n + 1)
      cap *= 2;
    char *p = realloc(s->p, cap);
    if (!p) {
      s->oom = true;
      return;
    }
    s->p = p;
    s->cap = cap;
  }
  memcpy(s->p + s->len, d, n);
  s->len += n;
  s->p[s->len] = '\0';
}

static void sb_puts(sb *s, const char *d) {
  sb_putn(s, d, strlen(d));
}

static void sb_putc(sb *s, char c) {
  sb_putn(s, &c, 1);
}

/* Returns the heap string (never NULL unless OOM) and leaves s empty. */
static char *sb_take(sb *s) {
  if (s->oom) {
    free(s->p);
    s->p = NULL;
    s->len = s->cap = 0;
    return NULL;
  }
  char *p = s->p ? s->p : strdup("");
  s->p = NULL;
  s->len = s->cap = 0;
  return p;
}

static void sb_wipe_free(sb *s) {
  if (s->p) {
    OPENSSL_cleanse(s->p, s->cap);
    free(s->p);
  }
  s->p = NULL;
  s->len = s->cap = 0;
}

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

static void encode_into(sb *out, const char *s, size_t n, bool keep_slash) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (unreserved(c) || (keep_slash && c == '/')) {
      sb_putc(out, (char)c);
    } else {
      char e[3] = {'%', HEX_UP[c >> 4], HEX_UP[c & 15]};
      sb_putn(out, e, 3);
    }
  }
}

static int hexval(char c) {
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
    if (s[i] == '%' && i + 2 < n && (h = hexval(s[i + 1])) >= 0 &&
        (l = hexval(s[i + 2])) >= 0) {
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

typedef struct target_parts {
  char host[512]; /* from an absolute URL; "" for a relative target */
  const char *path;
  size_t path_len;
  const char *query;
  size_t query_len;
} target_parts;

static int parse_target(const char *target, target_parts *t, ecsb_err *err) {
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

static void canon_path(sb *out, const char *path, size_t len, bool normalize) {
  if (len == 0) {
    sb_putc(out, '/');
    return;
  }
  if (!normalize) {
    encode_into(out, path, len, true);
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
  sb_putc(out, '/');
  for (size_t k = 0; k < n; k++) {
    if (k)
      sb_putc(out, '/');
    encode_into(out, st[k], sl[k], false);
  }
  if (n > 0 && path[len - 1] == '/')
    sb_putc(out, '/');
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
  sb o = {0};
  encode_into(&o, s, n, false);
  return sb_take(&o);
}

/* Appends the request's query pairs (decoded, then encoded) and `extra`
 * (raw name/value strings, NULL-terminated pairs) sorted, joined by '&'. */
static void canon_query(sb *out, const char *q, size_t qlen,
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
        sb_putc(out, '&');
      sb_puts(out, v[i].k);
      sb_putc(out, '=');
      sb_puts(out, v[i].v);
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

typedef struct hent {
  char *name; /* lower-case */
  sb value;   /* folded; repeated headers joined with ',' */
} hent;

typedef struct hset {
  hent *v;
  size_t n, cap;
  bool oom;
} hset;

static void hset_free(hset *s) {
  for (size_t i = 0; i < s->n; i++) {
    free(s->v[i].name);
    sb_wipe_free(&s->v[i].value);
  }
  free(s->v);
  memset(s, 0, sizeof *s);
}

static char *lower_trim_dup(const char *name) {
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
static void fold_value(sb *out, const char *v) {
  bool pending = false, any = false;
  for (; v && *v; v++) {
    unsigned char c = (unsigned char)*v;
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      pending = any;
      continue;
    }
    if (pending)
      sb_putc(out, ' ');
    pending = false;
    any = true;
    sb_putc(out, (char)c);
  }
}

/* Adds one header (name already lower-case, ownership taken). */
static void hset_add(hset *s, char *lname, const char *value) {
  if (!lname) {
    s->oom = true;
    return;
  }
  for (size_t i = 0; i < s->n; i++) {
    if (!strcmp(s->v[i].name, lname)) {
      sb_putc(&s->v[i].value, ',');
      fold_value(&s->v[i].value, value);
      s->oom |= s->v[i].value.oom;
      free(lname);
      return;
    }
  }
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 8;
    hent *v = realloc(s->v, cap * sizeof *v);
    if (!v) {
      free(lname);
      s->oom = true;
      return;
    }
    s->v = v;
    s->cap = cap;
  }
  hent *e = &s->v[s->n++];
  memset(e, 0, sizeof *e);
  e->name = lname;
  sb_putn(&e->value, "", 0);
  fold_value(&e->value, value);
  s->oom |= e->value.oom;
}

static const hent *hset_find(const hset *s, const char *lname) {
  for (size_t i = 0; i < s->n; i++)
    if (!strcmp(s->v[i].name, lname))
      return &s->v[i];
  return NULL;
}

static int hent_cmp(const void *a, const void *b) {
  return strcmp(((const hent *)a)->name, ((const hent *)b)->name);
}

/* Headers a signer leaves out: clients and proxies rewrite them. */
static bool unsignable(const char *lname) {
  static const char *const skip[] = {
      "authorization",     "user-agent",      "expect", "connection",
      "transfer-encoding", "x-amzn-trace-id", NULL};
  for (const char *const *k = skip; *k; k++)
    if (!strcmp(*k, lname))
      return true;
  return false;
}

/* ---- the canonical request -------------------------------------------- */

typedef struct canon {
  char *request;        /* canonical request */
  char *signed_headers; /* "a;b;c" */
} canon;

static void canon_free(canon *c) {
  if (c->request) {
    OPENSSL_cleanse(c->request, strlen(c->request));
    free(c->request);
  }
  free(c->signed_headers);
  memset(c, 0, sizeof *c);
}

static int build_canonical(const char *method, const target_parts *t, hset *h,
                           const char *const *extra_q, const char *payload_hash,
                           bool normalize, canon *out, ecsb_err *err) {
  sb cr = {0}, sh = {0};
  qsort(h->v, h->n, sizeof *h->v, hent_cmp);
  sb_puts(&cr, method);
  sb_putc(&cr, '\n');
  canon_path(&cr, t->path, t->path_len, normalize);
  sb_putc(&cr, '\n');
  canon_query(&cr, t->query, t->query_len, extra_q);
  sb_putc(&cr, '\n');
  for (size_t i = 0; i < h->n; i++) {
    sb_puts(&cr, h->v[i].name);
    sb_putc(&cr, ':');
    sb_puts(&cr, h->v[i].value.p ? h->v[i].value.p : "");
    sb_putc(&cr, '\n');
    if (i)
      sb_putc(&sh, ';');
    sb_puts(&sh, h->v[i].name);
  }
  sb_putc(&cr, '\n');
  sb_puts(&cr, sh.p ? sh.p : "");
  sb_putc(&cr, '\n');
  sb_puts(&cr, payload_hash);
  if (cr.oom || sh.oom || h->oom) {
    sb_wipe_free(&cr);
    sb_wipe_free(&sh);
    return ecsb_err_set(err, ECSB_ENOMEM, "sigv4: out of memory");
  }
  out->request = sb_take(&cr);
  out->signed_headers = sb_take(&sh);
  if (!out->request || !out->signed_headers) {
    canon_free(out);
    return ecsb_err_set(err, ECSB_ENOMEM, "sigv4: out of memory");
  }
  return 0;
}

static int string_to_sign(const char *amz_date, const char *scope,
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

static int sign_string(const char *secret, const char *date8,
                       const char *region, const char *service, const char *sts,
                       char sig[65]) {
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

/* ---- signing ---------------------------------------------------------- */

void ecsb_sigv4_params_default(ecsb_sigv4_params *p) {
  memset(p, 0, sizeof *p);
  p->normalize_path = true;
  p->expires_s = 3600;
}

void ecsb_sigv4_signed_clear(ecsb_sigv4_signed *s) {
  if (!s)
    return;
  for (size_t i = 0; i < s->n_headers; i++) {
    free(s->headers[i].name);
    if (s->headers[i].value) {
      OPENSSL_cleanse(s->headers[i].value, strlen(s->headers[i].value));
      free(s->headers[i].value);
    }
  }
  free(s->signed_headers);
  free(s->canonical_request);
  free(s->string_to_sign);
  free(s->query);
  memset(s, 0, sizeof *s);
}

static int check_params(const ecsb_sigv4_params *p, const ecsb_sigv4_request *r,
                        ecsb_err *err) {
  if (!p || !r)
    return ecsb_err_set(err, ECSB_EINVAL, "sigv4: no parameters");
  if (!r->method || !*r->method)
    return ecsb_err_set(err, ECSB_EINVAL, "sigv4: request has no method");
  if (!r->target || !*r->target)
    return ecsb_err_set(err, ECSB_EINVAL, "sigv4: request has no target");
  if (!p->access_key_id || !*p->access_key_id || !p->secret_access_key ||
      !*p->secret_access_key)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "sigv4: credentials need an access key ID and a "
                        "secret access key");
  if (!p->region || !*p->region)
    return ecsb_err_set(err, ECSB_EINVAL, "sigv4: no region");
  if (!p->service || !*p->service)
    return ecsb_err_set(err, ECSB_EINVAL, "sigv4: no service");
  if (r->body_len && !r->body)
    return ecsb_err_set(err, ECSB_EINVAL, "sigv4: body_len without body");
  return 0;
}

static bool has_token(const ecsb_sigv4_params *p) {
  return p->session_token && *p->session_token;
}

/* Collects the request's signable headers, plus host from the URL when
 * the request has none. Headers the signer itself sets are dropped. */
static int collect_headers(const ecsb_sigv4_request *r, const target_parts *t,
                           hset *h, ecsb_err *err) {
  for (size_t i = 0; i < r->n_headers; i++) {
    const ecsb_http_header *x = &r->headers[i];
    if (!x->name)
      continue;
    char *ln = lower_trim_dup(x->name);
    if (ln && (unsignable(ln) || !strcmp(ln, "x-amz-date") ||
               !strcmp(ln, "x-amz-security-token") ||
               !strcmp(ln, "x-amz-content-sha256") || !*ln)) {
      free(ln);
      continue;
    }
    hset_add(h, ln, x->value ? x->value : "");
  }
  if (!hset_find(h, "host")) {
    if (!t->host[0])
      return ecsb_err_set(err, ECSB_EINVAL,
                          "sigv4: request to '%.200s' has no Host header and "
                          "no host in its target",
                          r->target);
    hset_add(h, strdup("host"), t->host);
  }
  return h->oom ? ecsb_err_set(err, ECSB_ENOMEM, "sigv4: out of memory") : 0;
}

static int scope_of(const ecsb_sigv4_params *p, const char *amz_date,
                    char *scope, size_t cap) {
  int n = snprintf(scope, cap, "%.8s/%s/%s/aws4_request", amz_date, p->region,
                   p->service);
  return (n < 0 || (size_t)n >= cap) ? ECSB_EINVAL : 0;
}

static int add_out_header(ecsb_sigv4_signed *o, const char *name,
                          const char *value) {
  ecsb_http_header *h = &o->headers[o->n_headers];
  h->name = strdup(name);
  h->value = strdup(value);
  o->n_headers++;
  return h->name && h->value ? 0 : ECSB_ENOMEM;
}

int ecsb_sigv4_sign(const ecsb_sigv4_params *p, const ecsb_sigv4_request *r,
                    ecsb_sigv4_signed *out, ecsb_err *err) {
  memset(out, 0, sizeof *out);
  int rc = check_params(p, r, err);
  if (rc)
    return rc;
  target_parts t;
  hset h = {0};
  canon c = {0};
  char amz_date[17], body_hash[65], scope[400];
  if ((rc = parse_target(r->target, &t, err)) ||
      (rc = collect_headers(r, &t, &h, err)))
    goto fail;
  ecsb_sigv4_format_date(p->time_s, amz_date);
  if (ecsb_sigv4_sha256_hex(r->body, r->body_len, body_hash)) {
    rc = ecsb_err_set(err, ECSB_EINTERNAL, "sigv4: SHA-256 failed");
    goto fail;
  }
  if (scope_of(p, amz_date, scope, sizeof scope)) {
    rc = ecsb_err_set(err, ECSB_EINVAL, "sigv4: region or service too long");
    goto fail;
  }
  hset_add(&h, strdup("x-amz-date"), amz_date);
  if (has_token(p) && !p->omit_session_token)
    hset_add(&h, strdup("x-amz-security-token"), p->session_token);
  if (p->sign_body)
    hset_add(&h, strdup("x-amz-content-sha256"), body_hash);
  if ((rc = build_canonical(r->method, &t, &h, NULL, body_hash,
                            p->normalize_path, &c, err)))
    goto fail;
  if ((rc = string_to_sign(amz_date, scope, c.request, &out->string_to_sign)) ||
      (rc = sign_string(p->secret_access_key, amz_date, p->region, p->service,
                        out->string_to_sign, out->signature))) {
    ecsb_err_set(err, rc, "sigv4: computing the signature failed");
    goto fail;
  }
  char auth[1400 + 400];
  int n = snprintf(auth, sizeof auth,
                   "%s Credential=%s/%s, SignedHeaders=%s, Signature=%s",
                   ECSB_SIGV4_ALGORITHM, p->access_key_id, scope,
                   c.signed_headers, out->signature);
  if (n < 0 || (size_t)n >= sizeof auth) {
    rc = ecsb_err_set(err, ECSB_EINVAL,
                      "sigv4: Authorization header would exceed %zu bytes",
                      sizeof auth);
    goto fail;
  }
  if (add_out_header(out, "X-Amz-Date", amz_date) ||
      (has_token(p) &&
       add_out_header(out, "X-Amz-Security-Token", p->session_token)) ||
      (p->sign_body &&
       add_out_header(out, "x-amz-content-sha256", body_hash)) ||
      add_out_header(out, "Authorization", auth)) {
    rc = ecsb_err_set(err, ECSB_ENOMEM, "sigv4: out of memory");
    goto fail;
  }
  out->canonical_request = c.request;
  out->signed_headers = c.signed_headers;
  c.request = c.signed_headers = NULL;
  hset_free(&h);
  return 0;
fail:
  canon_free(&c);
  hset_free(&h);
  ecsb_sigv4_signed_clear(out);
  return rc;
}

int ecsb_sigv4_presign(const ecsb_sigv4_params *p, const ecsb_sigv4_request *r,
                       ecsb_sigv4_signed *out, ecsb_err *err) {
  memset(out, 0, sizeof *out);
  int rc = check_params(p, r, err);
  if (rc)
    return rc;
  target_parts t;
  hset h = {0};
  canon c = {0}, hc = {0};
  sb q = {0};
  char amz_date[17], body_hash[65], scope[400], cred[700], expires[32];
  if ((rc = parse_target(r->target, &t, err)) ||
      (rc = collect_headers(r, &t, &h, err)))
    goto fail;
  ecsb_sigv4_format_date(p->time_s, amz_date);
  if (ecsb_sigv4_sha256_hex(r->body, r->body_len, body_hash) ||
      scope_of(p, amz_date, scope, sizeof scope)) {
    rc = ecsb_err_set(err, ECSB_EINVAL, "sigv4: region or service too long");
    goto fail;
  }
  snprintf(cred, sizeof cred, "%s/%s", p->access_key_id, scope);
  snprintf(expires, sizeof expires, "%lld", (long long)p->expires_s);
  /* The signed-header list goes into the query, so compute it first from
   * a canonical pass over the headers alone. */
  if ((rc = build_canonical(r->method, &t, &h, NULL, body_hash,
                            p->normalize_path, &hc, err)))
    goto fail;
  const char *tok =
      has_token(p) && !p->omit_session_token ? p->session_token : NULL;
  const char *extra[] = {"X-Amz-Algorithm",
                         ECSB_SIGV4_ALGORITHM,
                         "X-Amz-Credential",
                         cred,
                         "X-Amz-Date",
                         amz_date,
                         "X-Amz-Expires",
                         expires,
                         "X-Amz-SignedHeaders",
                         hc.signed_headers,
                         tok ? "X-Amz-Security-Token" : NULL,
                         tok,
                         NULL};
  if ((rc = build_canonical(r->method, &t, &h, extra, body_hash,
                            p->normalize_path, &c, err)))
    goto fail;
  if ((rc = string_to_sign(amz_date, scope, c.request, &out->string_to_sign)) ||
      (rc = sign_string(p->secret_access_key, amz_date, p->region, p->service,
                        out->string_to_sign, out->signature))) {
    ecsb_err_set(err, rc, "sigv4: computing the signature failed");
    goto fail;
  }
  /* The request line carries the canonical (sorted, encoded) query plus
   * the signature; an unsigned token goes after it. */
  const char *cq = strchr(strchr(c.request, '\n') + 1, '\n') + 1;
  sb_putn(&q, cq, strcspn(cq, "\n"));
  sb_puts(&q, "&X-Amz-Signature=");
  sb_puts(&q, out->signature);
  if (has_token(p) && p->omit_session_token) {
    sb_puts(&q, "&X-Amz-Security-Token=");
    encode_into(&q, p->session_token, strlen(p->session_token), false);
  }
  if (q.oom) {
    rc = ecsb_err_set(err, ECSB_ENOMEM, "sigv4: out of memory");
    goto fail;
  }
  out->query = sb_take(&q);
  out->canonical_request = c.request;
  out->signed_headers = c.signed_headers;
  c.request = c.signed_headers = NULL;
  canon_free(&hc);
  hset_free(&h);
  return 0;
fail:
  sb_wipe_free(&q);
  canon_free(&c);
  canon_free(&hc);
  hset_free(&h);
  ecsb_sigv4_signed_clear(out);
  return rc;
}

/* ---- verification ----------------------------------------------------- */

/* Copies the value of "Key=" up to ',' (trimmed) into out. */
static int auth_field(const char *v, const char *key, char *out, size_t cap,
                      ecsb_err *err) {
  size_t kl = strlen(key);
  const char *p = v;
  while ((p = strstr(p, key)) != NULL) {
    bool at_start = p == v || p[-1] == ' ' || p[-1] == ',';
    if (at_start && p[kl] == '=')
      break;
    p += kl;
  }
  if (!p)
    return ecsb_err_set(err, ECSB_EPARSE,
                        "Authorization header requires '%s' parameter", key);
  p += kl + 1;
  size_t n = strcspn(p, ",");
  while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
    n--;
  if (n == 0 || n >= cap)
    return ecsb_err_set(err, ECSB_EPARSE,
                        "Authorization header has an %s '%s' parameter",
                        n ? "overlong" : "empty", key);
  memcpy(out, p, n);
  out[n] = '\0';
  return 0;
}

int ecsb_sigv4_parse_auth(const char *value, ecsb_sigv4_auth *out,
                          ecsb_err *err) {
  memset(out, 0, sizeof *out);
  if (!value || !*value)
    return ecsb_err_set(err, ECSB_EPARSE, "Authorization header is empty");
  size_t al = strlen(ECSB_SIGV4_ALGORITHM);
  while (*value == ' ')
    value++;
  if (strncmp(value, ECSB_SIGV4_ALGORITHM, al) || value[al] != ' ')
    return ecsb_err_set(err, ECSB_EPARSE,
                        "Authorization header does not start with '%s '",
                        ECSB_SIGV4_ALGORITHM);
  const char *rest = value + al + 1;
  char cred[512];
  int rc;
  if ((rc = auth_field(rest, "Credential", cred, sizeof cred, err)) ||
      (rc = auth_field(rest, "SignedHeaders", out->signed_headers,
                       sizeof out->signed_headers, err)) ||
      (rc = auth_field(rest, "Signature", out->signature, sizeof out->signature,
                       err)))
    return rc;
  /* AKID/date/region/service/aws4_request */
  char *parts[5] = {0};
  int np = 0;
  char *save = NULL;
  for (char *tok = strtok_r(cred, "/", &save); tok && np < 6;
       tok = strtok_r(NULL, "/", &save)) {
    if (np == 5) {
      np++;
      break;
    }
    parts[np++] = tok;
  }
  if (np != 5 || strcmp(parts[4], "aws4_request"))
    return ecsb_err_set(err, ECSB_EPARSE,
                        "Credential should be of the form "
                        "<key>/<date>/<region>/<service>/aws4_request");
  if (strlen(parts[0]) >= sizeof out->access_key_id || strlen(parts[1]) != 8 ||
      strlen(parts[2]) >= sizeof out->region ||
      strlen(parts[3]) >= sizeof out->service)
    return ecsb_err_set(err, ECSB_EPARSE,
                        "Credential has a malformed access key, date, "
                        "region or service");
  for (const char *d = parts[1]; *d; d++)
    if (!isdigit((unsigned char)*d))
      return ecsb_err_set(err, ECSB_EPARSE,
                          "Credential date '%s' is not YYYYMMDD", parts[1]);
  strcpy(out->access_key_id, parts[0]);
  strcpy(out->date, parts[1]);
  strcpy(out->region, parts[2]);
  strcpy(out->service, parts[3]);
  if (strlen(out->signature) != 64)
    return ecsb_err_set(err, ECSB_EPARSE,
                        "Signature is not 64 hexadecimal digits");
  for (const char *s = out->signature; *s; s++)
    if (hexval(*s) < 0)
      return ecsb_err_set(err, ECSB_EPARSE,
                          "Signature is not 64 hexadecimal digits");
  return 0;
}

/* Byte order of two length-delimited names. */
static int seg_cmp(const char *a, size_t al, const char *b, size_t bl) {
  int c = memcmp(a, b, al < bl ? al : bl);
  if (c)
    return c;
  return al < bl ? -1 : al > bl;
}

int ecsb_sigv4_check(const ecsb_sigv4_request *r, const ecsb_sigv4_auth *a,
                     const char *secret, const char *amz_date,
                     bool normalize_path, char **canonical_out, ecsb_err *err) {
  if (canonical_out)
    *canonical_out = NULL;
  if (!r || !r->method || !r->target || !a || !secret || !amz_date)
    return ecsb_err_set(err, ECSB_EINVAL, "sigv4: check without inputs");
  if (strncmp(amz_date, a->date, 8))
    return ecsb_err_set(err, ECSB_EAUTH,
                        "Date in Credential scope does not match YYYYMMDD "
                        "from ISO-8601 version of date from HTTP: '%.8s' != "
                        "'%.8s'",
                        a->date, amz_date);
  target_parts t;
  hset h = {0};
  canon c = {0};
  char body_hash[65], scope[300], sts_sig[65];
  char *sts = NULL;
  int rc = parse_target(r->target, &t, err);
  if (rc)
    return rc;
  /* The list must be sorted, lower-case, without repeats: that is the only
   * form a conforming signer produces, and it fixes the canonical order. */
  const char *prev = NULL;
  size_t prev_len = 0;
  for (const char *p = a->signed_headers; *p;) {
    size_t n = strcspn(p, ";");
    for (size_t i = 0; i < n; i++)
      if (isupper((unsigned char)p[i]))
        return ecsb_err_set(err, ECSB_EINVAL,
                            "SignedHeaders '%s' must be lower-case",
                            a->signed_headers);
    if (n == 0 || (prev && seg_cmp(prev, prev_len, p, n) >= 0))
      return ecsb_err_set(err, ECSB_EINVAL,
                          "SignedHeaders '%s' must be sorted names without "
                          "repeats",
                          a->signed_headers);
    prev = p;
    prev_len = n;
    p += n;
    if (*p == ';')
      p++;
  }
  for (size_t i = 0; i < r->n_headers; i++) {
    const ecsb_http_header *x = &r->headers[i];
    if (!x->name)
      continue;
    char *ln = lower_trim_dup(x->name);
    if (!ln) {
      h.oom = true;
      break;
    }
    size_t ll = strlen(ln);
    bool listed = false;
    for (const char *p = a->signed_headers; *p && !listed;) {
      size_t n = strcspn(p, ";");
      listed = n == ll && !strncmp(p, ln, n);
      p += n;
      if (*p == ';')
        p++;
    }
    if (listed)
      hset_add(&h, ln, x->value ? x->value : "");
    else
      free(ln);
  }
  if (h.oom) {
    rc = ecsb_err_set(err, ECSB_ENOMEM, "sigv4: out of memory");
    goto out;
  }
  for (const char *p = a->signed_headers; *p;) {
    size_t n = strcspn(p, ";");
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)(n < 255 ? n : 255), p);
    if (!hset_find(&h, name)) {
      rc = ecsb_err_set(err, ECSB_EINVAL,
                        "signed header '%s' is not in the request", name);
      goto out;
    }
    p += n;
    if (*p == ';')
      p++;
  }
  if (ecsb_sigv4_sha256_hex(r->body, r->body_len, body_hash)) {
    rc = ecsb_err_set(err, ECSB_EINTERNAL, "sigv4: SHA-256 failed");
    goto out;
  }
  snprintf(scope, sizeof scope, "%s/%s/%s/aws4_request", a->date, a->region,
           a->service);
  if ((rc = build_canonical(r->method, &t, &h, NULL, body_hash, normalize_path,
                            &c, err)))
    goto out;
  if ((rc = string_to_sign(amz_date, scope, c.request, &sts)) ||
      (rc =
           sign_string(secret, a->date, a->region, a->service, sts, sts_sig))) {
    rc = ecsb_err_set(err, rc, "sigv4: computing the signature failed");
    goto out;
  }
  if (CRYPTO_memcmp(sts_sig, a->signature, 64) != 0) {
    rc = ecsb_err_set(err, ECSB_EAUTH,
                      "The request signature we calculated does not match "
                      "the signature you provided");
    if (canonical_out) {
      *canonical_out = c.request;
      c.request = NULL;
    }
  }
out:
  free(sts);
  canon_free(&c);
  hset_free(&h);
  return rc;
}
