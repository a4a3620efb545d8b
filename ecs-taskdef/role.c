/*
 * role.c - container roles from image and command (see role.h).
 */
#include "etd/role.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

static const char *str(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : "";
}

static const char *base(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

/* The i-th string of entryPoint followed by command, or NULL. */
static const char *word(const cJSON *def, int i) {
  const cJSON *ep = cJSON_GetObjectItemCaseSensitive(def, "entryPoint");
  const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(def, "command");
  int ne = cJSON_IsArray(ep) ? cJSON_GetArraySize(ep) : 0;
  const cJSON *w =
      i < ne ? cJSON_GetArrayItem(ep, i)
             : (cJSON_IsArray(cmd) ? cJSON_GetArrayItem(cmd, i - ne) : NULL);
  return cJSON_IsString(w) ? w->valuestring : NULL;
}

static bool has_word(const cJSON *def, const char *needle) {
  for (int i = 0;; i++) {
    const char *w = word(def, i);
    if (!w)
      return false;
    if (strstr(w, needle))
      return true;
  }
}

/* A flag such as -server in any word, also inside a shell script: preceded
 * by start or a space, followed by end, a space or '='. Not a substring of
 * another word ("consul-server" is no -server). */
static bool has_flag(const cJSON *def, const char *flag) {
  size_t fl = strlen(flag);
  for (int i = 0;; i++) {
    const char *w = word(def, i);
    if (!w)
      return false;
    for (const char *p = w; (p = strstr(p, flag)); p += fl) {
      bool start = p == w || p[-1] == ' ' ||
                   (p - w >= 1 && p[-1] == '-' && (p - 1 == w || p[-2] == ' '));
      char after = p[fl];
      if (start && (after == '\0' || after == ' ' || after == '='))
        return true;
    }
  }
}

static bool glob(const char *pat, const char *s) {
  return fnmatch(pat, s, 0) == 0;
}

static const char *init_role(const cJSON *def) {
  for (int i = 0;; i++) {
    const char *w = word(def, i);
    if (!w)
      return NULL;
    const char *b = base(w);
    if (w[0] == '-' || strstr(b, "consul-ecs") || strstr(b, "ecsboot-init"))
      continue;
    if (!strcmp(b, "discover-servers") || !strcmp(b, "mesh-init") ||
        !strcmp(b, "health-sync"))
      return strcmp(b, "discover-servers") == 0 ? "discover-servers"
             : strcmp(b, "mesh-init") == 0      ? "mesh-init"
                                                : "health-sync";
    if (!strcmp(b, "envoy-entrypoint"))
      return "sidecar-proxy";
    return NULL;
  }
}

static bool program_is(const cJSON *def, const char *name) {
  for (int i = 0; i < 2; i++) {
    const char *w = word(def, i);
    if (w && strcmp(base(w), name) == 0)
      return true;
  }
  return false;
}

static bool runs_init(const cJSON *def) {
  for (int i = 0; i < 2; i++) {
    const char *w = word(def, i);
    if (w && (strstr(base(w), "consul-ecs") || strstr(base(w), "ecsboot-init")))
      return true;
  }
  return false;
}

const char *etd_role_of(const cJSON *def) {
  const char *image = str(def, "image");
  bool init_image =
      glob("*consul-ecs*", image) || glob("*ecsboot-init*", image);
  if (init_image || runs_init(def)) {
    const char *r = init_role(def);
    if (r)
      return r;
  }
  if (glob("*envoy*", image) || program_is(def, "envoy"))
    return "sidecar-proxy";
  if ((!init_image && glob("*consul*", image)) || program_is(def, "consul") ||
      has_word(def, "consul agent")) {
    if (has_flag(def, "-server") || has_flag(def, "-bootstrap") ||
        has_flag(def, "-bootstrap-expect"))
      return "consul-server";
    return "consul-client";
  }
  static const struct {
    const char *name, *role;
  } names[] = {
      {"discover-servers", "discover-servers"},
      {"mesh-init", "mesh-init"},
      {"health-sync", "health-sync"},
      {"consul-client", "consul-client"},
      {"consul-agent", "consul-client"},
      {"sidecar-proxy", "sidecar-proxy"},
      {"envoy", "sidecar-proxy"},
      {"consul-server", "consul-server"},
  };
  const char *n = str(def, "name");
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(names[i].name, n) == 0)
      return names[i].role;
  return "app";
}

bool etd_role_is_mesh(const char *role) {
  return role &&
         (etd_role_is_init(role) || strcmp(role, "consul-client") == 0 ||
          strcmp(role, "sidecar-proxy") == 0);
}

bool etd_role_is_init(const char *role) {
  return role && (strcmp(role, "discover-servers") == 0 ||
                  strcmp(role, "mesh-init") == 0);
}
