/*
 * sigv4.c - AWS Signature Version 4 signing (header and presigned-query
 * forms) and the verifier's pieces (see sigv4.h for the contract). Every
 * canonical request goes through sigv4_canon.c.
 *
 * core/ production code: no I/O, no fakes. Secrets never reach an error
 * message.
 */
#include "ecsb/sigv4.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sigv4_canon.h"

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
static int collect_headers(const ecsb_sigv4_request *r,
                           const ecsb_sv4_target *t, ecsb_sv4_hset *h,
                           ecsb_err *err) {
  for (size_t i = 0; i < r->n_headers; i++) {
    const ecsb_http_header *x = &r->headers[i];
    if (!x->name)
      continue;
    char *ln = ecsb_sv4_lower_trim_dup(x->name);
    if (ln && (ecsb_sv4_unsignable(ln) || !strcmp(ln, "x-amz-date") ||
               !strcmp(ln, "x-amz-security-token") ||
               !strcmp(ln, "x-amz-content-sha256") || !*ln)) {
      free(ln);
      continue;
    }
    ecsb_sv4_hset_add(h, ln, x->value ? x->value : "");
  }
  if (!ecsb_sv4_hset_find(h, "host")) {
    if (!t->host[0])
      return ecsb_err_set(err, ECSB_EINVAL,
                          "sigv4: request to '%.200s' has no Host header and "
                          "no host in its target",
                          r->target);
    ecsb_sv4_hset_add(h, strdup("host"), t->host);
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
  ecsb_sv4_target t;
  ecsb_sv4_hset h = {0};
  ecsb_sv4_canon c = {0};
  char amz_date[17], body_hash[65], scope[400];
  if ((rc = ecsb_sv4_parse_target(r->target, &t, err)) ||
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
  ecsb_sv4_hset_add(&h, strdup("x-amz-date"), amz_date);
  if (has_token(p) && !p->omit_session_token)
    ecsb_sv4_hset_add(&h, strdup("x-amz-security-token"), p->session_token);
  if (p->sign_body)
    ecsb_sv4_hset_add(&h, strdup("x-amz-content-sha256"), body_hash);
  if ((rc = ecsb_sv4_build_canonical(r->method, &t, &h, NULL, body_hash,
                                     p->normalize_path, &c, err)))
    goto fail;
  if ((rc = ecsb_sv4_string_to_sign(amz_date, scope, c.request,
                                    &out->string_to_sign)) ||
      (rc = ecsb_sv4_sign_string(p->secret_access_key, amz_date, p->region,
                                 p->service, out->string_to_sign,
                                 out->signature))) {
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
  ecsb_sv4_hset_free(&h);
  return 0;
fail:
  ecsb_sv4_canon_free(&c);
  ecsb_sv4_hset_free(&h);
  ecsb_sigv4_signed_clear(out);
  return rc;
}

int ecsb_sigv4_presign(const ecsb_sigv4_params *p, const ecsb_sigv4_request *r,
                       ecsb_sigv4_signed *out, ecsb_err *err) {
  memset(out, 0, sizeof *out);
  int rc = check_params(p, r, err);
  if (rc)
    return rc;
  ecsb_sv4_target t;
  ecsb_sv4_hset h = {0};
  ecsb_sv4_canon c = {0}, hc = {0};
  ecsb_buf q = {0};
  char amz_date[17], body_hash[65], scope[400], cred[700], expires[32];
  if ((rc = ecsb_sv4_parse_target(r->target, &t, err)) ||
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
  if ((rc = ecsb_sv4_build_canonical(r->method, &t, &h, NULL, body_hash,
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
  if ((rc = ecsb_sv4_build_canonical(r->method, &t, &h, extra, body_hash,
                                     p->normalize_path, &c, err)))
    goto fail;
  if ((rc = ecsb_sv4_string_to_sign(amz_date, scope, c.request,
                                    &out->string_to_sign)) ||
      (rc = ecsb_sv4_sign_string(p->secret_access_key, amz_date, p->region,
                                 p->service, out->string_to_sign,
                                 out->signature))) {
    ecsb_err_set(err, rc, "sigv4: computing the signature failed");
    goto fail;
  }
  /* The request line carries the canonical (sorted, encoded) query plus
   * the signature; an unsigned token goes after it. */
  const char *cq = strchr(strchr(c.request, '\n') + 1, '\n') + 1;
  ecsb_buf_putn(&q, cq, strcspn(cq, "\n"));
  ecsb_buf_puts(&q, "&X-Amz-Signature=");
  ecsb_buf_puts(&q, out->signature);
  if (has_token(p) && p->omit_session_token) {
    ecsb_buf_puts(&q, "&X-Amz-Security-Token=");
    ecsb_sv4_encode_into(&q, p->session_token, strlen(p->session_token), false);
  }
  if (q.oom) {
    rc = ecsb_err_set(err, ECSB_ENOMEM, "sigv4: out of memory");
    goto fail;
  }
  out->query = ecsb_buf_take(&q);
  out->canonical_request = c.request;
  out->signed_headers = c.signed_headers;
  c.request = c.signed_headers = NULL;
  ecsb_sv4_canon_free(&hc);
  ecsb_sv4_hset_free(&h);
  return 0;
fail:
  ecsb_buf_wipe_free(&q);
  ecsb_sv4_canon_free(&c);
  ecsb_sv4_canon_free(&hc);
  ecsb_sv4_hset_free(&h);
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
    if (ecsb_sv4_hexval(*s) < 0)
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
  ecsb_sv4_target t;
  ecsb_sv4_hset h = {0};
  ecsb_sv4_canon c = {0};
  char body_hash[65], scope[300], sts_sig[65];
  char *sts = NULL;
  int rc = ecsb_sv4_parse_target(r->target, &t, err);
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
    char *ln = ecsb_sv4_lower_trim_dup(x->name);
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
      ecsb_sv4_hset_add(&h, ln, x->value ? x->value : "");
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
    if (!ecsb_sv4_hset_find(&h, name)) {
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
  if ((rc = ecsb_sv4_build_canonical(r->method, &t, &h, NULL, body_hash,
                                     normalize_path, &c, err)))
    goto out;
  if ((rc = ecsb_sv4_string_to_sign(amz_date, scope, c.request, &sts)) ||
      (rc = ecsb_sv4_sign_string(secret, a->date, a->region, a->service, sts,
                                 sts_sig))) {
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
  ecsb_sv4_canon_free(&c);
  ecsb_sv4_hset_free(&h);
  return rc;
}
