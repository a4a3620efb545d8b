/*
 * acl.c - the fake's ACL model: a master token with every right and tokens
 * with service:write on a list of service names, agent:read on a list of
 * nodes, and optionally read on every service and node (a service
 * identity's shape). Tokens come from
 * X-Consul-Token, "Authorization: Bearer <token>" or ?token=; no token means
 * the anonymous token, which has no rights. Answers are Consul's: 403 "ACL not
 * found" for an unknown token, 403 "Permission denied" for a missing right.
 * Read-only on the borrowed config: no lock needed.
 */
#include <string.h>
#include <strings.h>

#include "fcon_internal.h"

static const char *req_token(const ecsb_httpd_req *req) {
  const char *t = ecsb_httpd_req_header(req, "X-Consul-Token");
  if (t && *t)
    return t;
  const char *a = ecsb_httpd_req_header(req, "Authorization");
  if (a && !strncasecmp(a, "Bearer ", 7) && a[7])
    return a + 7;
  const char *q = NULL;
  if (ecsb_httpd_req_query(req, "token", &q) && q && *q)
    return q; /* ?token=, as older clients send it */
  return NULL;
}

bool fcon_acl_allow(const fcon_acl_config *acl, const ecsb_httpd_req *req,
                    fcon_acl_need need, const char *service,
                    ecsb_httpd_resp *resp) {
  if (!acl || !acl->enabled || need == FCON_ACL_NONE)
    return true;
  const char *secret = req_token(req);
  const fcon_acl_token *tok = NULL;
  if (secret) {
    for (size_t i = 0; i < acl->n_tokens && !tok; i++)
      if (acl->tokens[i].secret && !strcmp(acl->tokens[i].secret, secret))
        tok = &acl->tokens[i];
    if (!tok) {
      ecsb_httpd_resp_textf(resp, 403, "ACL not found");
      return false;
    }
  }
  bool ok = false;
  if (tok && tok->master) {
    ok = true;
  } else if (tok && need == FCON_ACL_ANY) {
    ok = true;
  } else if (tok &&
             (need == FCON_ACL_SERVICE || need == FCON_ACL_SERVICE_READ) &&
             service) {
    ok = need == FCON_ACL_SERVICE_READ && tok->read_all;
    for (const char *const *s = tok->services; s && *s && !ok; s++)
      ok = !strcmp(*s, service);
  } else if (tok && need == FCON_ACL_AGENT_READ && service) {
    for (const char *const *s = tok->agents; s && *s && !ok; s++)
      ok = !**s || !strcmp(*s, service);
  }
  if (!ok)
    ecsb_httpd_resp_textf(resp, 403, "Permission denied");
  return ok;
}

bool fcon_acl_allow_server_path(const fcon_acl_config *acl,
                                const ecsb_httpd_req *req,
                                ecsb_httpd_resp *resp) {
  static const char *const by_service[] = {
      "/v1/health/service/", "/v1/catalog/service/", "/v1/health/checks/",
      "/v1/health/connect/"};
  const char *p = req->path;
  if (!strncmp(p, "/v1/status/", 11))
    return true;
  for (size_t i = 0; i < 4; i++) {
    size_t n = strlen(by_service[i]);
    if (!strncmp(p, by_service[i], n))
      return fcon_acl_allow(acl, req, FCON_ACL_SERVICE_READ, p + n, resp);
  }
  return fcon_acl_allow(acl, req, FCON_ACL_ANY, NULL, resp);
}
