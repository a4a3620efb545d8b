/* fuzz_sigv4.c - SigV4 on any bytes. The input is split at newlines: an
 * Authorization header to parse, a request target, a header value, then
 * the body. Parsing never crashes; and whatever target, header and body
 * sign, the signature parses back and verifies (the signer and fake-ecs's
 * verifier canonicalise alike). */
#include "fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/sigv4.h"

static char *line(const uint8_t **p, const uint8_t *end) {
  const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
  size_t n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
  char *s = malloc(n + 1);
  if (!s)
    abort();
  memcpy(s, *p, n);
  s[n] = '\0';
  *p += n + (nl ? 1 : 0);
  return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const uint8_t *p = data, *end = data + size;
  char *auth = line(&p, end), *target = line(&p, end), *hv = line(&p, end);
  ecsb_sigv4_auth a;
  ecsb_sigv4_parse_auth(auth, &a, NULL);
  int64_t t;
  ecsb_sigv4_parse_date(auth, &t, NULL);

  ecsb_sigv4_params prm;
  ecsb_sigv4_params_default(&prm);
  prm.access_key_id = "AKIDFUZZ";
  prm.secret_access_key = "fuzz-secret";
  prm.session_token = "fuzz-token";
  prm.region = "us-east-1";
  prm.service = "ecs";
  prm.time_s = 1440938160;
  ecsb_http_header hs[2] = {{"Host", "127.0.0.1:8080"}, {"X-Fuzz", hv}};
  ecsb_sigv4_request rq = {.method = "POST",
                           .target = target,
                           .headers = hs,
                           .n_headers = 2,
                           .body = p,
                           .body_len = (size_t)(end - p)};
  ecsb_sigv4_signed sg = {0};
  if (strlen(target) == strcspn(target, "\r") && target[0] == '/' &&
      ecsb_sigv4_sign(&prm, &rq, &sg, NULL) == 0) {
    const char *authz = NULL, *date = NULL;
    for (size_t i = 0; i < sg.n_headers; i++) {
      if (!strcmp(sg.headers[i].name, "Authorization"))
        authz = sg.headers[i].value;
      if (!strcmp(sg.headers[i].name, "X-Amz-Date"))
        date = sg.headers[i].value;
    }
    ecsb_http_header all[6] = {hs[0], hs[1]};
    size_t n = 2;
    for (size_t i = 0; i < sg.n_headers && n < 6; i++)
      all[n++] = sg.headers[i];
    ecsb_sigv4_request back = rq;
    back.headers = all;
    back.n_headers = n;
    if (!authz || !date || ecsb_sigv4_parse_auth(authz, &a, NULL) != 0 ||
        ecsb_sigv4_check(&back, &a, "fuzz-secret", date, true, NULL, NULL) != 0)
      abort();
  }
  ecsb_sigv4_signed_clear(&sg);
  free(auth);
  free(target);
  free(hv);
  return 0;
}
