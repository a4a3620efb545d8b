/*
 * lint.c - the rules of `ecsboot lint` (see lint.h; the rule table is
 * docs/lint.md). Shapes and ECS's own rules come from ecs-taskdef.
 *
 * Containers are recognised by what they run (etd_role_of: image and
 * command), so a renamed discover-servers or proxy is still checked.
 * Heuristics, documented here and in docs/lint.md:
 *  - files written and read across containers (ECSB-L010): discover-servers
 *    writes -out; mesh-init writes -envoy-bootstrap-file (or
 *    -envoy-bootstrap-dir/envoy-bootstrap.json) and --copy-self; the proxy
 *    reads --config-path/-c and the program it runs when that is an
 *    absolute path; a Consul agent reads what its script `cat`s and
 *    --server-ip-file; any container reads an absolute path its health
 *    check runs. A reader must mount, at a path covering the file, the same
 *    volume the writer mounts there.
 *  - envoy-entrypoint (ECSB-L017): a container whose entryPoint or command
 *    runs `envoy-entrypoint` waits --grace-period (default 25 s) after
 *    SIGTERM before stopping Envoy; ECS sends SIGKILL at the container's
 *    stopTimeout (default 30 s), so the grace period must be shorter.
 *  - health-check tools (ECSB-L015): Envoy's official images are built on
 *    Ubuntu or distroless and have neither nc nor curl nor wget; the
 *    -alpine variants have BusyBox's nc and wget but no curl.
 *  - ports (ECSB-L014): in awsvpc and host mode (and in Terraform's bare
 *    container array, whose task is usually awsvpc) every container shares
 *    one network namespace, so two containerPorts collide; bridge mode does
 *    not share.
 */
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/duration.h"
#include "ecsb/json.h"
#include "etd/role.h"
#include "etd/taskdef.h"
#include "lnt/lint.h"

enum {
  R_UNKNOWN_DEP,
  R_CYCLE,
  R_HEALTHY_NO_CHECK,
  R_EXIT_ON_ESSENTIAL,
  R_ESSENTIAL_INIT,
  R_APP_BEFORE_PROXY,
  R_PROXY_BEFORE_MESH_INIT,
  R_MESH_INIT_BEFORE_DISCOVER,
  R_CLIENT_BEFORE_DISCOVER,
  R_VOLUME_NOT_SHARED,
  R_TIMEOUT_GE_INTERVAL,
  R_HEALTH_RANGE,
  R_START_PERIOD_SHORT,
  R_PORT_CONFLICT,
  R_HEALTH_TOOL,
  R_BAD_CONDITION,
  R_GRACE_GE_STOP,
  R_HEALTH_COMMAND,
  R_ECS_REFUSES,
  R_COUNT
};

static const lnt_rule rules[R_COUNT] = {
    {"ECSB-L001", "unknown-dependency", LNT_ERROR,
     "dependsOn names a container that does not exist"},
    {"ECSB-L002", "dependency-cycle", LNT_ERROR,
     "dependsOn, links or volumesFrom form a cycle: none of its containers "
     "can start"},
    {"ECSB-L003", "healthy-without-health-check", LNT_ERROR,
     "a HEALTHY dependency on a container without healthCheck"},
    {"ECSB-L004", "exit-condition-on-essential", LNT_ERROR,
     "a SUCCESS or COMPLETE dependency on an essential container"},
    {"ECSB-L005", "essential-init-container", LNT_ERROR,
     "an init container (meant to exit) is essential: its exit stops the "
     "task"},
    {"ECSB-L006", "app-before-proxy-healthy", LNT_ERROR,
     "an application container does not wait for the sidecar proxy to be "
     "HEALTHY"},
    {"ECSB-L007", "proxy-before-mesh-init", LNT_ERROR,
     "the sidecar proxy does not wait for mesh-init SUCCESS"},
    {"ECSB-L008", "mesh-init-before-discover-servers", LNT_ERROR,
     "mesh-init does not wait for discover-servers SUCCESS"},
    {"ECSB-L009", "consul-client-before-discover-servers", LNT_ERROR,
     "the Consul client does not wait for discover-servers SUCCESS"},
    {"ECSB-L010", "volume-not-shared", LNT_ERROR,
     "a file written by one container is read by another that does not "
     "mount the same volume there"},
    {"ECSB-L011", "health-timeout-not-below-interval", LNT_ERROR,
     "healthCheck timeout is not shorter than its interval"},
    {"ECSB-L012", "health-value-out-of-range", LNT_ERROR,
     "a healthCheck value is outside the range ECS accepts"},
    {"ECSB-L013", "start-period-too-short", LNT_WARNING,
     "healthCheck startPeriod is shorter than the measured time to HEALTHY"},
    {"ECSB-L014", "port-conflict", LNT_ERROR,
     "two containers bind the same port in a shared network namespace"},
    {"ECSB-L015", "health-check-tool-missing", LNT_WARNING,
     "the health check needs a tool the image does not have"},
    {"ECSB-L016", "unknown-condition", LNT_ERROR,
     "a dependsOn condition that is not START, COMPLETE, SUCCESS or "
     "HEALTHY"},
    {"ECSB-L017", "grace-period-not-below-stop-timeout", LNT_WARNING,
     "envoy-entrypoint's grace period is not shorter than the container's "
     "stopTimeout: ECS kills Envoy before the grace period ends"},
    {"ECSB-L018", "health-command-not-cmd", LNT_ERROR,
     "a healthCheck command that does not start with CMD or CMD-SHELL: the "
     "ECS agent refuses it"},
    {"ECSB-L019", "ecs-refuses", LNT_ERROR,
     "RegisterTaskDefinition or the ECS agent refuses the task definition "
     "(the message is ECS's)"},
};

const lnt_rule *lnt_rules(size_t *n) {
  *n = R_COUNT;
  return rules;
}

const char *lnt_severity_name(lnt_severity s) {
  return s == LNT_ERROR ? "error" : s == LNT_WARNING ? "warning" : "info";
}

int lnt_severity_parse(const char *s, lnt_severity *out) {
  for (int i = 0; i <= LNT_ERROR; i++)
    if (strcmp(s, lnt_severity_name((lnt_severity)i)) == 0) {
      *out = (lnt_severity)i;
      return 0;
    }
  return ECSB_EINVAL;
}

typedef struct ctr {
  const cJSON *def;
  const char *name, *image, *role;
  bool essential;
  char path[64]; /* JSON path of the container */
  int line;
} ctr;

typedef struct ctx {
  lnt_result *r;
  const lnt_opts *o;
  const char *text;
  size_t len;
  ctr *c;
  size_t n;
  bool shared_netns;
  bool oom;
} ctx;

static void add(ctx *x, int rule, const ctr *c, const char *sub,
                const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void add(ctx *x, int rule, const ctr *c, const char *sub,
                const char *hint, const char *fmt, ...) {
  lnt_finding *nf =
      realloc(x->r->findings, (x->r->n + 1) * sizeof *x->r->findings);
  if (!nf) {
    x->oom = true;
    return;
  }
  x->r->findings = nf;
  lnt_finding *f = &nf[x->r->n];
  memset(f, 0, sizeof *f);
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  f->rule = &rules[rule];
  f->line = c ? c->line : 0;
  if (asprintf(&f->path, "%s%s", c ? c->path : "$", sub ? sub : "") < 0)
    f->path = NULL;
  f->message = strdup(msg);
  f->hint = strdup(hint);
  if (!f->path || !f->message || !f->hint) {
    free(f->path);
    free(f->message);
    free(f->hint);
    x->oom = true;
    return;
  }
  x->r->n++;
}

/* ---- reading ------------------------------------------------------------ */

static const char *str(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Line of `"name": "<name>"` in the file, for SARIF regions and editors. */
static int line_of(const char *text, size_t len, const char *name) {
  size_t nl = strlen(name);
  for (size_t i = 0; i + nl + 2 <= len; i++) {
    if (text[i] != '"' || strncmp(text + i + 1, name, nl) != 0 ||
        text[i + 1 + nl] != '"')
      continue;
    size_t k = i;
    while (k > 0 && (text[k - 1] == ' ' || text[k - 1] == '\t' ||
                     text[k - 1] == '\n' || text[k - 1] == '\r'))
      k--;
    if (k == 0 || text[k - 1] != ':')
      continue;
    k--;
    while (k > 0 && (text[k - 1] == ' ' || text[k - 1] == '\t'))
      k--;
    if (k < 6 || strncmp(text + k - 6, "\"name\"", 6) != 0)
      continue;
    int line = 1;
    for (size_t j = 0; j < i; j++)
      line += text[j] == '\n';
    return line;
  }
  return 0;
}

static const ctr *by_role(const ctx *x, const char *role) {
  for (size_t i = 0; i < x->n; i++)
    if (strcmp(x->c[i].role, role) == 0)
      return &x->c[i];
  return NULL;
}

static bool depends(const ctr *c, const char *target, const char *cond) {
  const cJSON *d;
  cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(c->def, "dependsOn")) {
    const char *n = str(d, "containerName"), *k = str(d, "condition");
    if (n && k && !strcmp(n, target) && !strcmp(k, cond))
      return true;
  }
  return false;
}

/* ---- ECS's own rules (ecs-taskdef) ----------------------------------- */

/* Each of ecs-taskdef's rules under lint's code; the message is ECS's. */
static const struct {
  etd_rule rule;
  int lint_rule;
  const char *hint;
} ecs_rules[] = {
    {ETD_R_UNKNOWN_DEP, R_UNKNOWN_DEP,
     "name an existing container, or remove the dependency"},
    {ETD_R_CYCLE, R_CYCLE,
     "remove one dependency of the cycle; ECS can start none of them"},
    {ETD_R_HEALTHY_NO_CHECK, R_HEALTHY_NO_CHECK,
     "give the dependency a healthCheck, or wait for START instead"},
    {ETD_R_EXIT_ON_ESSENTIAL, R_EXIT_ON_ESSENTIAL,
     "mark the dependency \"essential\": false (it is meant to exit), or "
     "wait for START or HEALTHY"},
    {ETD_R_BAD_CONDITION, R_BAD_CONDITION,
     "use START, COMPLETE, SUCCESS or HEALTHY (RegisterTaskDefinition refuses "
     "anything else)"},
    {ETD_R_HEALTH_RANGE, R_HEALTH_RANGE,
     "use a value in the range the message gives"},
    {ETD_R_HEALTH_COMMAND, R_HEALTH_COMMAND,
     "start it with \"CMD\" and the program and its arguments, or "
     "\"CMD-SHELL\" and one shell command: [\"CMD-SHELL\", \"nc -z "
     "127.0.0.1 20000\"]"},
};

static void rule_ecs(ctx *x, etd_shape shape, const etd_problems *ps) {
  for (size_t i = 0; i < ps->n; i++) {
    const etd_problem *p = &ps->v[i];
    int rule = R_ECS_REFUSES;
    const char *hint = "change it as the message says: RegisterTaskDefinition "
                       "or the ECS agent refuses the task definition as it is";
    for (size_t k = 0; k < sizeof ecs_rules / sizeof ecs_rules[0]; k++)
      if (ecs_rules[k].rule == p->rule) {
        rule = ecs_rules[k].lint_rule;
        hint = ecs_rules[k].hint;
      }
    char path[256];
    etd_path_in_file(shape, p->path, path, sizeof path);
    size_t before = x->r->n;
    add(x, rule, NULL, path + 1, hint, "%s", p->message);
    if (x->r->n > before && p->container >= 0 && (size_t)p->container < x->n)
      x->r->findings[before].line = x->c[p->container].line;
  }
}

static void rule_mesh_order(ctx *x) {
  const ctr *proxy = by_role(x, "sidecar-proxy");
  const ctr *mesh = by_role(x, "mesh-init");
  const ctr *disc = by_role(x, "discover-servers");
  for (size_t i = 0; i < x->n; i++) {
    const ctr *c = &x->c[i];
    if (etd_role_is_init(c->role) && c->essential)
      add(x, R_ESSENTIAL_INIT, c, ".essential",
          "set \"essential\": false; containers that depend on it wait with "
          "SUCCESS",
          "%s container \"%s\" is essential (the default): when it exits "
          "after its work ECS stops the whole task",
          c->role, c->name);
    char hint[256];
    if (proxy && !strcmp(c->role, "app") &&
        !depends(c, proxy->name, "HEALTHY")) {
      snprintf(hint, sizeof hint,
               "add {\"containerName\": \"%s\", \"condition\": \"HEALTHY\"} "
               "to its dependsOn",
               proxy->name);
      add(x, R_APP_BEFORE_PROXY, c, ".dependsOn", hint,
          "application container \"%s\" can start before sidecar proxy "
          "\"%s\" is HEALTHY: its first requests go through a proxy that is "
          "not ready",
          c->name, proxy->name);
    }
    if (mesh && !strcmp(c->role, "sidecar-proxy") &&
        !depends(c, mesh->name, "SUCCESS")) {
      snprintf(hint, sizeof hint,
               "add {\"containerName\": \"%s\", \"condition\": \"SUCCESS\"} "
               "to its dependsOn",
               mesh->name);
      add(x, R_PROXY_BEFORE_MESH_INIT, c, ".dependsOn", hint,
          "sidecar proxy \"%s\" can start before mesh-init \"%s\" wrote its "
          "bootstrap file",
          c->name, mesh->name);
    }
    if (disc &&
        (!strcmp(c->role, "mesh-init") || !strcmp(c->role, "consul-client")) &&
        !depends(c, disc->name, "SUCCESS")) {
      snprintf(hint, sizeof hint,
               "add {\"containerName\": \"%s\", \"condition\": \"SUCCESS\"} "
               "to its dependsOn",
               disc->name);
      bool m = !strcmp(c->role, "mesh-init");
      add(x, m ? R_MESH_INIT_BEFORE_DISCOVER : R_CLIENT_BEFORE_DISCOVER, c,
          ".dependsOn", hint,
          "%s \"%s\" can start before discover-servers \"%s\" found the "
          "Consul server",
          m ? "mesh-init" : "Consul client", c->name, disc->name);
    }
  }
}

/* ---- files across containers ------------------------------------------------
 */

#define MAX_WORDS 128

/* entryPoint + command, with shell scripts split on blanks. */
static size_t words(const cJSON *def, char **out, char *store, size_t cap) {
  size_t n = 0, used = 0;
  const char *keys[] = {"entryPoint", "command"};
  for (int k = 0; k < 2; k++) {
    const cJSON *w;
    cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(def, keys[k])) {
      if (!cJSON_IsString(w))
        continue;
      size_t l = strlen(w->valuestring);
      if (used + l + 1 > cap)
        return n;
      char *s = store + used;
      memcpy(s, w->valuestring, l + 1);
      used += l + 1;
      for (char *tok = strtok(s, " \t\n\"'$()"); tok && n < MAX_WORDS;
           tok = strtok(NULL, " \t\n\"'$()"))
        out[n++] = tok;
    }
  }
  return n;
}

/* Value of -flag/--flag in "-flag=V" or "-flag V" form. */
static const char *flag_value(char **w, size_t n, const char *flag) {
  size_t fl = strlen(flag);
  for (size_t i = 0; i < n; i++) {
    const char *a = w[i];
    if (a[0] != '-')
      continue;
    a += a[1] == '-' ? 2 : 1;
    if (strncmp(a, flag, fl) != 0)
      continue;
    if (a[fl] == '=')
      return a + fl + 1;
    if (a[fl] == '\0' && i + 1 < n)
      return w[i + 1];
  }
  return NULL;
}

typedef struct file_use {
  const ctr *c;
  char path[512];
  const char *how;
} file_use;

/* The mount covering path: the volume's name and its containerPath. */
static const cJSON *mount_for(const ctr *c, const char *path) {
  const cJSON *best = NULL;
  size_t best_len = 0;
  const cJSON *m;
  cJSON_ArrayForEach(m,
                     cJSON_GetObjectItemCaseSensitive(c->def, "mountPoints")) {
    const char *cp = str(m, "containerPath");
    if (!cp)
      continue;
    size_t l = strlen(cp);
    while (l > 1 && cp[l - 1] == '/')
      l--;
    if (strncmp(path, cp, l) == 0 && (path[l] == '/' || path[l] == '\0') &&
        l >= best_len) {
      best = m;
      best_len = l;
    }
  }
  return best;
}

static void put(file_use *arr, size_t *cnt, const ctr *c, const char *p,
                const char *how) {
  if (!p || p[0] != '/' || *cnt >= 64)
    return;
  arr[*cnt].c = c;
  snprintf(arr[*cnt].path, sizeof arr[*cnt].path, "%s", p);
  arr[(*cnt)++].how = how;
}

static void collect(ctx *x, file_use *wr, size_t *nw, file_use *rd,
                    size_t *nr) {
  for (size_t i = 0; i < x->n; i++) {
    const ctr *c = &x->c[i];
    char store[8192], *w[MAX_WORDS];
    size_t n = words(c->def, w, store, sizeof store);
    const char *v;
    if (!strcmp(c->role, "discover-servers"))
      put(wr, nw, c, flag_value(w, n, "out"), "-out");
    if (!strcmp(c->role, "mesh-init")) {
      put(wr, nw, c, flag_value(w, n, "envoy-bootstrap-file"),
          "-envoy-bootstrap-file");
      if ((v = flag_value(w, n, "envoy-bootstrap-dir"))) {
        char p[512];
        snprintf(p, sizeof p, "%s/envoy-bootstrap.json", v);
        put(wr, nw, c, p, "-envoy-bootstrap-dir");
      }
      put(wr, nw, c, flag_value(w, n, "copy-self"), "--copy-self");
    }
    if (!strcmp(c->role, "sidecar-proxy")) {
      put(rd, nr, c, flag_value(w, n, "config-path"), "--config-path");
      put(rd, nr, c, flag_value(w, n, "c"), "-c");
      if (n > 0)
        put(rd, nr, c, w[0], "runs");
    }
    if (!strcmp(c->role, "consul-client")) {
      put(rd, nr, c, flag_value(w, n, "server-ip-file"), "--server-ip-file");
      for (size_t k = 0; k + 1 < n; k++)
        if (!strcmp(w[k], "cat"))
          put(rd, nr, c, w[k + 1], "cat");
    }
    const cJSON *hc = cJSON_GetObjectItemCaseSensitive(c->def, "healthCheck");
    const cJSON *hw;
    cJSON_ArrayForEach(hw, cJSON_GetObjectItemCaseSensitive(hc, "command")) {
      if (cJSON_IsString(hw) && hw->valuestring[0] == '/')
        put(rd, nr, c, hw->valuestring, "healthCheck.command");
    }
  }
}

static void rule_volumes(ctx *x) {
  file_use wr[64], rd[64];
  size_t nw = 0, nr = 0;
  collect(x, wr, &nw, rd, &nr);
  for (size_t i = 0; i < nr; i++) {
    for (size_t j = 0; j < nw; j++) {
      if (strcmp(rd[i].path, wr[j].path) != 0 || rd[i].c == wr[j].c)
        continue;
      const cJSON *mw = mount_for(wr[j].c, wr[j].path);
      const cJSON *mr = mount_for(rd[i].c, rd[i].path);
      const char *vw = mw ? str(mw, "sourceVolume") : NULL;
      const char *vr = mr ? str(mr, "sourceVolume") : NULL;
      char hint[512];
      if (!vw) {
        snprintf(hint, sizeof hint,
                 "mount a task volume in \"%s\" at a folder holding %s, and "
                 "the same volume in \"%s\"",
                 wr[j].c->name, wr[j].path, rd[i].c->name);
        add(x, R_VOLUME_NOT_SHARED, wr[j].c, ".mountPoints", hint,
            "\"%s\" writes %s (%s) outside any volume, so \"%s\" (%s) never "
            "sees it",
            wr[j].c->name, wr[j].path, wr[j].how, rd[i].c->name, rd[i].how);
      } else if (!vr || strcmp(vr, vw) != 0) {
        snprintf(hint, sizeof hint,
                 "add {\"sourceVolume\": \"%s\", \"containerPath\": \"%s\"} "
                 "to \"%s\"'s mountPoints",
                 vw, str(mw, "containerPath") ? str(mw, "containerPath") : "/",
                 rd[i].c->name);
        add(x, R_VOLUME_NOT_SHARED, rd[i].c, ".mountPoints", hint,
            "\"%s\" reads %s (%s), written by \"%s\" on volume \"%s\", but "
            "%s",
            rd[i].c->name, rd[i].path, rd[i].how, wr[j].c->name, vw,
            vr ? "mounts another volume there" : "does not mount it");
      }
    }
  }
}

/* ---- health checks, ports
 * ----------------------------------------------------- */

static bool num(const cJSON *hc, const char *k, double *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(hc, k);
  if (!cJSON_IsNumber(v))
    return false;
  *out = v->valuedouble;
  return true;
}

static void rule_health(ctx *x) {
  static const struct {
    const char *key;
    double def;
  } ranges[] = {
      {"interval", 30}, {"timeout", 5}, {"retries", 3}, {"startPeriod", 0}};
  for (size_t i = 0; i < x->n; i++) {
    const ctr *c = &x->c[i];
    const cJSON *hc = cJSON_GetObjectItemCaseSensitive(c->def, "healthCheck");
    if (!hc)
      continue;
    double v[4]; /* out-of-range values are ecs-taskdef's (ECSB-L012) */
    for (int k = 0; k < 4; k++)
      if (!num(hc, ranges[k].key, &v[k]))
        v[k] = ranges[k].def;
    if (v[1] >= v[0])
      add(x, R_TIMEOUT_GE_INTERVAL, c, ".healthCheck.timeout",
          "make the timeout shorter than the interval",
          "container \"%s\": healthCheck timeout %gs is not shorter than its "
          "interval %gs; a slow check overlaps the next one",
          c->name, v[1], v[0]);
    for (size_t t = 0; x->o && t < x->o->n_timings; t++) {
      const lnt_timing *tm = &x->o->timings[t];
      /* Checks run every interval from the start, each for up to timeout;
       * HEALTHY at h means the check before the passing one started at
       * h - interval - timeout or later. Only a failed check after
       * startPeriod counts against retries, so a first check that passes
       * after startPeriod (h around interval, the usual case) is fine. */
      double last_fail = tm->start_to_healthy_s - v[0] - v[1];
      if (strcmp(tm->container, c->name) || last_fail <= v[3])
        continue;
      char hint[160];
      snprintf(hint, sizeof hint,
               "set startPeriod to at least %.0f (seconds), so start-up "
               "failures do not count against retries",
               last_fail + 1);
      add(x, R_START_PERIOD_SHORT, c, ".healthCheck.startPeriod", hint,
          "container \"%s\" took %.1fs from start to HEALTHY in the measured "
          "run: with checks every %gs, one failed about %.0fs after the "
          "start, past its startPeriod %gs, and counted against its %g "
          "retries",
          c->name, tm->start_to_healthy_s, v[0], last_fail, v[3], v[2]);
    }
    /* tools the image may not have */
    if (fnmatch("*envoy*", c->image, 0) != 0)
      continue;
    bool alpine = strstr(c->image, "alpine") != NULL;
    const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(hc, "command");
    const cJSON *first = cJSON_GetArrayItem(cmd, 0);
    const cJSON *prog = cJSON_GetArrayItem(cmd, 1);
    const char *tool = NULL;
    static const char *const tools[] = {"nc", "curl", "wget"};
    for (int k = 0; k < 3 && cJSON_IsString(prog) && cJSON_IsString(first);
         k++) {
      const char *p = prog->valuestring;
      const char *b = strrchr(p, '/') ? strrchr(p, '/') + 1 : p;
      bool hit = !strcmp(first->valuestring, "CMD")
                     ? !strcmp(b, tools[k])
                     : strstr(p, tools[k]) != NULL;
      if (hit && !(alpine && strcmp(tools[k], "curl")))
        tool = tools[k];
    }
    if (tool)
      add(x, R_HEALTH_TOOL, c, ".healthCheck.command",
          "copy the static ecsboot-health into a shared volume (mesh-init "
          "--copy-self /consul/ecsboot-health) and check with [\"CMD\", "
          "\"/consul/ecsboot-health\", \"health-check\", \"tcp\", "
          "\"127.0.0.1:20000\"]",
          "container \"%s\": its health check runs %s, which the image %s "
          "does not have; the check always fails",
          c->name, tool, c->image);
  }
}

/* ECSB-L017: envoy-entrypoint's grace period against the stopTimeout. */
static void rule_grace(ctx *x) {
  char *w[MAX_WORDS], store[8192];
  for (size_t i = 0; i < x->n; i++) {
    const ctr *c = &x->c[i];
    size_t n = words(c->def, w, store, sizeof store);
    bool entry = false;
    for (size_t k = 0; k < n && !entry; k++)
      entry = strcmp(w[k], "envoy-entrypoint") == 0;
    if (!entry)
      continue;
    const char *g = flag_value(w, n, "grace-period");
    int64_t grace = 25 * ECSB_NS_PER_S;
    if (g && ecsb_duration_parse(g, &grace, NULL) != 0)
      continue; /* ecsboot-init itself refuses it, naming the value */
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(c->def, "stopTimeout");
    double stop_s = cJSON_IsNumber(st) ? st->valuedouble : 30;
    if ((double)grace / ECSB_NS_PER_S < stop_s)
      continue;
    char gs[32];
    add(x, R_GRACE_GE_STOP, c, cJSON_IsNumber(st) ? ".stopTimeout" : "",
        "make --grace-period shorter than stopTimeout (ECS allows up to 120 s "
        "of stopTimeout on Fargate), leaving room for Envoy to exit",
        "%s runs envoy-entrypoint with a %s grace period, but ECS kills it "
        "%g s after SIGTERM (%s): the connections it was draining are cut",
        c->name, ecsb_duration_format(grace, gs, sizeof gs), stop_s,
        cJSON_IsNumber(st) ? "stopTimeout" : "the default stopTimeout");
  }
}

static void rule_ports(ctx *x) {
  if (!x->shared_netns)
    return;
  for (size_t i = 0; i < x->n; i++) {
    int k = 0;
    const cJSON *pm;
    cJSON_ArrayForEach(
        pm, cJSON_GetObjectItemCaseSensitive(x->c[i].def, "portMappings")) {
      double port;
      int idx = k++;
      if (!num(pm, "containerPort", &port))
        continue;
      for (size_t j = 0; j < i; j++) {
        const cJSON *q;
        cJSON_ArrayForEach(
            q, cJSON_GetObjectItemCaseSensitive(x->c[j].def, "portMappings")) {
          double other;
          if (!num(q, "containerPort", &other) || other != port)
            continue;
          char sub[64];
          snprintf(sub, sizeof sub, ".portMappings[%d].containerPort", idx);
          add(x, R_PORT_CONFLICT, &x->c[i], sub,
              "give one of them another port; in awsvpc mode all containers "
              "of a task share one address",
              "containers \"%s\" and \"%s\" both bind port %g in one network "
              "namespace; the second one to start fails",
              x->c[j].name, x->c[i].name, port);
        }
      }
    }
  }
}

/* ---- entry
 * ---------------------------------------------------------------------- */

void lnt_result_free(lnt_result *r) {
  if (!r)
    return;
  for (size_t i = 0; i < r->n; i++) {
    free(r->findings[i].path);
    free(r->findings[i].message);
    free(r->findings[i].hint);
  }
  free(r->findings);
  free(r->file);
  free(r);
}

size_t lnt_count_at(const lnt_result *r, lnt_severity sev) {
  size_t n = 0;
  for (size_t i = 0; i < r->n; i++)
    n += r->findings[i].rule->severity >= sev;
  return n;
}

/* Problems after which lint cannot read the task definition at all: the
 * CLI exits 2 instead of reporting findings. */
static bool unreadable(const etd_problems *ps) {
  return ps->n &&
         (ps->v[0].rule == ETD_R_TYPE || ps->v[0].rule == ETD_R_NO_CONTAINERS ||
          ps->v[0].rule == ETD_R_NAME);
}

int lnt_lint(const char *text, size_t len, const char *name,
             const lnt_opts *opts, lnt_result **out, ecsb_err *err) {
  *out = NULL;
  cJSON *j = NULL, *td = NULL;
  etd_shape shape = ETD_SHAPE_REGISTER;
  etd_problems ps = {.all = true};
  etd_taskdef *t = NULL;
  ctx x = {.o = opts, .text = text, .len = len};
  int rc = ecsb_json_parse(text, len, name, &j, err);
  if (rc)
    return rc;
  /* The shapes and ECS's rules are ecs-taskdef's, so lint refuses what
   * RegisterTaskDefinition and `ecsboot run` refuse, in their words. */
  if ((rc = etd_unwrap(j, NULL, &td, &shape, err))) {
    ecsb_err_prefix(err, "%s", name);
    goto out;
  }
  ecsb_err e = {0};
  if (etd_parse(j, NULL, &t, &ps, &e) == ECSB_ENOMEM) {
    rc = ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
    goto out;
  }
  if (unreadable(&ps)) {
    rc = ecsb_err_set(err, ECSB_EINVAL, "%s: %s%s", name,
                      shape == ETD_SHAPE_DESCRIBE ? "$.taskDefinition: " : "",
                      ps.v[0].message);
    goto out;
  }
  const cJSON *defs =
      cJSON_GetObjectItemCaseSensitive(td, "containerDefinitions");
  char base[40];
  etd_path_in_file(shape, "containerDefinitions", base, sizeof base);
  x.n = (size_t)cJSON_GetArraySize(defs);
  x.c = calloc(x.n, sizeof *x.c);
  x.r = calloc(1, sizeof *x.r);
  if (!x.c || !x.r || !(x.r->file = strdup(name))) {
    rc = ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
    goto out;
  }
  const char *mode = str(td, "networkMode");
  x.shared_netns = !mode || !strcmp(mode, "awsvpc") || !strcmp(mode, "host");
  for (size_t i = 0; i < x.n; i++) {
    ctr *c = &x.c[i];
    c->def = cJSON_GetArrayItem(defs, (int)i);
    snprintf(c->path, sizeof c->path, "%s[%zu]", base, i);
    c->name = str(c->def, "name");
    if (!cJSON_IsObject(c->def) || !c->name || !*c->name) {
      rc = ecsb_err_set(err, ECSB_EINVAL,
                        "%s: %s: a container definition needs a \"name\"", name,
                        c->path);
      goto out;
    }
    c->image = str(c->def, "image") ? str(c->def, "image") : "";
    const cJSON *es = cJSON_GetObjectItemCaseSensitive(c->def, "essential");
    c->essential = !cJSON_IsBool(es) || cJSON_IsTrue(es); /* ECS: true */
    c->role = etd_role_of(c->def);
    c->line = line_of(text, len, c->name);
  }
  rule_ecs(&x, shape, &ps);
  if (t) {
    /* What RegisterTaskDefinition accepts but the ECS agent cannot start
     * (a HEALTHY dependency without a healthCheck, a cycle through
     * volumesFrom and links): an error too, since the task would stop. */
    etd_problems ap = {0};
    if (etd_agent_check(t->containers, t->n_containers, &ap, &e) == ECSB_ENOMEM)
      x.oom = true;
    rule_ecs(&x, shape, &ap);
    etd_problems_clear(&ap);
  }
  rule_mesh_order(&x);
  rule_volumes(&x);
  rule_health(&x);
  rule_ports(&x);
  rule_grace(&x);
  if (x.oom) {
    rc = ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
    goto out;
  }
  *out = x.r;
  x.r = NULL;
out:
  lnt_result_free(x.r);
  free(x.c);
  etd_taskdef_free(t);
  etd_problems_clear(&ps);
  cJSON_Delete(td);
  cJSON_Delete(j);
  return rc;
}
