/*
 * container.c - argv and environment for a simulated container (see
 * container.h). Never builds a command string: every argument stays a
 * separate argv element from the definition to execve.
 */
#include "scn/container.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/buf.h"
#include "ecsb/clock.h"
#include "ecsb/http.h"
#include "ecsb/duration.h"
#include "ecsb/json.h"
#include "ecsb/retry.h"
#include "ecsb/taskclock.h"
#include "scn/standin.h"

typedef struct strvec {
  char **v;
  size_t n, cap;
  bool oom;
} strvec;

static void sv_push(strvec *s, char *str) {
  if (!str) {
    s->oom = true;
    return;
  }
  if (s->n + 2 > s->cap) {
    size_t nc = s->cap ? s->cap * 2 : 16;
    char **nv = realloc(s->v, nc * sizeof *nv);
    if (!nv) {
      free(str);
      s->oom = true;
      return;
    }
    s->v = nv;
    s->cap = nc;
  }
  s->v[s->n++] = str;
  s->v[s->n] = NULL;
}

__attribute__((format(printf, 2, 3))) static void
sv_pushf(strvec *s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *str = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (str) {
    va_start(ap, fmt);
    vsnprintf(str, (size_t)n + 1, fmt, ap);
    va_end(ap);
  }
  sv_push(s, str);
}

static void sv_free(char **v) {
  for (char **p = v; p && *p; p++)
    free(*p);
  free(v);
}

void scn_cmd_clear(scn_cmd *c) {
  if (!c)
    return;
  sv_free(c->argv);
  sv_free(c->envp);
  c->argv = c->envp = NULL;
}

static bool host_char(char c) {
  return isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_';
}

static bool path_boundary(const char *s, size_t i) {
  return i == 0 || strchr(" =:\"',(", s[i - 1]) != NULL;
}

/* The image's tag when it reads as a release (1.15 or 1.15.11, as
 * hashicorp/consul tags them), into out; false otherwise ("latest",
 * "v1.16", a digest, none). */
static bool image_release(const cJSON *def, char *out, size_t cap) {
  const char *img =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(def, "image"));
  const char *colon = img ? strrchr(img, ':') : NULL;
  if (!colon || strchr(colon, '/') || strchr(img, '@'))
    return false;
  const char *tag = colon + 1;
  size_t dots = 0, n = strlen(tag);
  if (n == 0 || n >= cap || !isdigit((unsigned char)tag[0]))
    return false;
  for (size_t i = 0; i < n; i++) {
    if (tag[i] == '.' && isdigit((unsigned char)tag[i + 1]))
      dots++;
    else if (!isdigit((unsigned char)tag[i]))
      return false;
  }
  if (dots < 1 || dots > 2)
    return false;
  memcpy(out, tag, n + 1);
  return true;
}

char *scn_container_map(const scn_task_env *env, const cJSON *def,
                        const char *s) {
  const cJSON *mps =
      def ? cJSON_GetObjectItemCaseSensitive(def, "mountPoints") : NULL;
  /* Out of memory is sticky: one check at the end. */
  ecsb_buf b;
  ecsb_buf_init(&b);
  size_t i = 0, len = strlen(s);
  while (i < len) {
    /* The longest matching containerPath wins ("/consul/data" over
     * "/consul"). */
    const cJSON *best = NULL;
    size_t best_len = 0;
    const cJSON *mp;
    cJSON_ArrayForEach(mp, mps) {
      const cJSON *cp = cJSON_GetObjectItemCaseSensitive(mp, "containerPath");
      if (!cJSON_IsString(cp) || !*cp->valuestring)
        continue;
      size_t cl = strlen(cp->valuestring);
      if (cl > best_len && strncmp(s + i, cp->valuestring, cl) == 0 &&
          path_boundary(s, i) && !host_char(s[i + cl]))
        best = mp, best_len = cl;
    }
    if (best) {
      const cJSON *src = cJSON_GetObjectItemCaseSensitive(best, "sourceVolume");
      char dir[4096];
      snprintf(dir, sizeof dir, "%s/volumes/%s", env->task_dir,
               cJSON_IsString(src) ? src->valuestring : "default");
      ecsb_buf_puts(&b, dir);
      i += best_len;
      continue;
    }
    static const char *hosts[] = {"localhost", "127.0.0.1"};
    bool mapped = false;
    for (size_t h = 0; h < 2 && env->task_ip && !mapped; h++) {
      size_t hl = strlen(hosts[h]);
      /* Whole host tokens only: not "mylocalhost", "127.0.0.10" or
       * "-localhost-only". */
      if (strncmp(s + i, hosts[h], hl) != 0 || (i > 0 && host_char(s[i - 1])) ||
          host_char(s[i + hl]))
        continue;
      ecsb_buf_puts(&b, env->task_ip);
      i += hl;
      mapped = true;
    }
    if (mapped)
      continue;
    ecsb_buf_putc(&b, s[i]);
    i++;
  }
  return ecsb_buf_take(&b);
}

/* Every mountPoint must name a volume of the task definition. */
static int check_mounts(const cJSON *def, const cJSON *volumes,
                        const char *name, ecsb_err *err) {
  const cJSON *mps = cJSON_GetObjectItemCaseSensitive(def, "mountPoints");
  const cJSON *mp;
  int i = 0;
  cJSON_ArrayForEach(mp, mps) {
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(mp, "sourceVolume");
    const cJSON *cp = cJSON_GetObjectItemCaseSensitive(mp, "containerPath");
    if (!cJSON_IsString(src) || !cJSON_IsString(cp) ||
        cp->valuestring[0] != '/')
      return ecsb_err_set(err, ECSB_EINVAL,
                          "container %s: mountPoints[%d]: needs sourceVolume "
                          "and an absolute containerPath",
                          name, i);
    bool found = false;
    const cJSON *v;
    cJSON_ArrayForEach(v, volumes) {
      const cJSON *vn = cJSON_GetObjectItemCaseSensitive(v, "name");
      found |=
          cJSON_IsString(vn) && strcmp(vn->valuestring, src->valuestring) == 0;
    }
    if (!found)
      return ecsb_err_set(err, ECSB_EINVAL,
                          "container %s: mountPoints[%d].sourceVolume: no "
                          "volume named \"%s\" in the task definition",
                          name, i, src->valuestring);
    i++;
  }
  return 0;
}

static const char *base_name(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

/* Appends the process's arguments as Docker builds them (entryPoint, then
 * command), mapped, dropping a leading program name when the player
 * already is that program. */
static void push_command(strvec *argv, const scn_task_env *env,
                         const cJSON *def, const cJSON *entry,
                         const cJSON *command, const char *drop_if_like) {
  bool first = true;
  const cJSON *lists[2] = {entry, command};
  for (int l = 0; l < 2; l++) {
    const cJSON *c;
    cJSON_ArrayForEach(c, lists[l]) {
      if (!cJSON_IsString(c))
        continue;
      if (first && drop_if_like &&
          strstr(base_name(c->valuestring), drop_if_like)) {
        first = false;
        continue;
      }
      first = false;
      sv_push(argv, scn_container_map(env, def, c->valuestring));
    }
  }
}

/* ecsboot-init's own durations (backoff, poll intervals, request and
 * other timeouts: every wait it has, docs/ecsboot-init.md "Waits and
 * retries") are production values; the scenario's time_scale scales every
 * configured duration, so each known flag is rewritten to its scaled
 * value, and added with its scaled default when absent (def NULL: only
 * rewritten, as the app stand-in's durations from a scenario's image
 * args). A scaled value never goes below min, the flag's own minimum (NULL:
 * 1 us, a backoff's): a fixed floor such as 10 ms would turn mesh-init's
 * first 200 ms ceiling at time_scale 0.01 (2 ms) into 1 s of scenario time. */
static const struct {
  const char *sub, *flag, *def, *min;
} init_durations[] = {
    {"discover-servers", "timeout", "5m", "1ms"},
    {"discover-servers", "poll-interval", "1s", NULL},
    {"discover-servers", "max-poll-interval", "30s", NULL},
    {"discover-servers", "request-timeout", "10s", "1ms"},
    {"mesh-init", "timeout", "2m", "1ms"},
    {"mesh-init", "retry-interval", "200ms", NULL},
    {"mesh-init", "max-retry-interval", "5s", NULL},
    {"mesh-init", "request-timeout", "10s", "1ms"},
    {"envoy-bootstrap", "timeout", "30s", "1ms"},
    {"envoy-bootstrap", "retry-interval", "200ms", NULL},
    {"envoy-bootstrap", "max-retry-interval", "5s", NULL},
    {"envoy-bootstrap", "request-timeout", "10s", "1ms"},
    {"health-sync", "interval", "1s", "10ms"},
    {"health-sync", "timeout", "2m", "1ms"},
    {"health-sync", "retry-interval", "200ms", NULL},
    {"health-sync", "max-retry-interval", "5s", NULL},
    {"health-sync", "request-timeout", "10s", "1ms"},
    {"health-sync", "shutdown-timeout", "5s", "1ms"},
    {"envoy-entrypoint", "grace-period", "25s", NULL},
    {"envoy-entrypoint", "poll-interval", "1s", "10ms"},
    {"envoy-entrypoint", "stop-timeout", "10s", "10ms"},
    {"envoy-entrypoint", "retry-interval", "100ms", NULL},
    {"envoy-entrypoint", "max-retry-interval", "500ms", NULL},
    {"envoy-entrypoint", "request-timeout", "2s", "1ms"},
    /* Consul's -retry-interval default */
    {"consul-client", "retry-interval", "30s", "10ms"},
    /* the app stand-in's own durations, given in a scenario's image args */
    {"app", "start-delay", NULL, "10ms"},
    {"app", "drain", NULL, "10ms"},
    {"app", "crash-after", NULL, "10ms"},
    {"app", "fail-health-after", NULL, "10ms"},
    {"app", "response-delay", NULL, "10ms"},
};

static char *scaled_duration(const char *v, double scale, const char *min) {
  int64_t ns, floor_ns = 1000;
  ecsb_err e = {0};
  if (ecsb_duration_parse(v, &ns, &e))
    return strdup(v); /* ecsboot-init reports the bad value itself */
  if (min && ecsb_duration_parse(min, &floor_ns, &e))
    floor_ns = 1000;
  double d = (double)ns * scale;
  if (d < (double)floor_ns)
    d = (double)floor_ns;
  /* whole microseconds: the unit ecsboot-init's waits work in */
  int64_t us = (int64_t)(d / 1000 + 0.5);
  char out[64];
  return strdup(ecsb_duration_format(us * 1000, out, sizeof out));
}

/* Index of the value of flag `name` in argv (forms -x V, --x V, -x=V,
 * --x=V), with *inline_eq set for the = forms; -1 when absent. */
static int find_flag(char **v, size_t n, const char *name, bool *inline_eq) {
  for (size_t i = 1; i < n; i++) {
    const char *a = v[i];
    if (strcmp(a, "--") == 0)
      return -1; /* what follows is another program's */
    if (a[0] != '-')
      continue;
    a += a[1] == '-' ? 2 : 1;
    size_t l = strlen(name);
    if (strncmp(a, name, l) != 0)
      continue;
    if (a[l] == '=') {
      *inline_eq = true;
      return (int)i;
    }
    if (a[l] == '\0' && i + 1 < n) {
      *inline_eq = false;
      return (int)i + 1;
    }
  }
  return -1;
}

/* Moves the last `k` arguments in front of a "--" (the flags of the
 * program before it), if there is one. */
static void move_before_dashes(strvec *argv, size_t k) {
  if (argv->oom || argv->n < k + 1)
    return;
  size_t dd = 0;
  for (size_t i = 1; i + k < argv->n && !dd; i++)
    if (strcmp(argv->v[i], "--") == 0)
      dd = i;
  if (!dd)
    return;
  char *tail[4];
  memcpy(tail, argv->v + argv->n - k, k * sizeof *tail);
  memmove(argv->v + dd + k, argv->v + dd, (argv->n - k - dd) * sizeof *tail);
  memcpy(argv->v + dd, tail, k * sizeof *tail);
}

static void scale_init_flags(strvec *argv, double scale) {
  if (scale <= 0 || scale == 1 || argv->n < 2 || argv->oom)
    return;
  const char *sub = argv->v[1];
  for (size_t k = 0; k < sizeof init_durations / sizeof init_durations[0];
       k++) {
    if (strcmp(init_durations[k].sub, sub) != 0)
      continue;
    bool eq = false;
    int i = find_flag(argv->v, argv->n, init_durations[k].flag, &eq);
    if (i < 0 && !init_durations[k].def)
      continue;
    if (i < 0) {
      sv_pushf(argv, "--%s", init_durations[k].flag);
      sv_push(argv, scaled_duration(init_durations[k].def, scale,
                                    init_durations[k].min));
      move_before_dashes(argv, 2);
      continue;
    }
    char *old = argv->v[i];
    char *val = eq ? strchr(old, '=') + 1 : old;
    char *scaled = scaled_duration(val, scale, init_durations[k].min);
    char *repl = NULL;
    if (scaled && eq) {
      size_t pre = (size_t)(val - old);
      repl = malloc(pre + strlen(scaled) + 1);
      if (repl) {
        memcpy(repl, old, pre);
        strcpy(repl + pre, scaled);
      }
      free(scaled);
    } else {
      repl = scaled;
    }
    if (!repl) {
      argv->oom = true;
      return;
    }
    free(old);
    argv->v[i] = repl;
  }
}

/* The program of the app and envoy stand-ins: ecsboot-standin, which
 * loads no library it does not use, else the harness program, which runs
 * the same stand-ins. */
static const char *standin(const scn_task_env *env) {
  return env->standin_bin ? env->standin_bin : env->ecsboot_bin;
}

/* The words that load ecsboot-init from an image root (ecsboot run
 * --init-bin ROOT), put before its finished command: only once its flags
 * are scaled, since scale_init_flags reads the subcommand at argv[1]. */
static void prepend_init_prefix(strvec *argv, const scn_task_env *env) {
  char *w[8]; /* scn_image_cmd has fewer words */
  size_t k = 0;
  bool oom = false;
  for (; env->init_prefix && env->init_prefix[k] && k < 8; k++)
    oom |= !(w[k] = strdup(env->init_prefix[k]));
  char **nv = NULL;
  if (k && !oom && !argv->oom)
    nv = realloc(argv->v, (argv->n + k + 1) * sizeof *nv);
  if (!nv) {
    for (size_t i = 0; i < k; i++)
      free(w[i]);
    argv->oom |= k > 0;
    return;
  }
  memmove(nv + k, nv, (argv->n + 1) * sizeof *nv); /* with the NULL */
  memcpy(nv, w, k * sizeof *nv);
  argv->v = nv;
  argv->n += k;
  argv->cap = argv->n + 1;
}

/* A proxy run through `ecsboot-init envoy-entrypoint [flags] -- envoy
 * ...` (the binary copied into a shared volume by mesh-init --copy-self):
 * the real entrypoint runs, and the Envoy command after "--" is played by
 * the envoy stand-in. False when the command has no envoy-entrypoint. */
static bool push_envoy_entrypoint(strvec *argv, const scn_task_env *env,
                                  const cJSON *def, const cJSON *entry,
                                  const cJSON *command) {
  strvec w = {0};
  push_command(&w, env, def, entry, command, NULL);
  size_t ep = 0, dd = 0;
  for (size_t i = 0; i < w.n && !ep; i++)
    if (strcmp(base_name(w.v[i]), "envoy-entrypoint") == 0)
      ep = i + 1;
  for (size_t i = ep; ep && i < w.n && !dd; i++)
    if (strcmp(w.v[i], "--") == 0)
      dd = i + 1;
  if (!ep || !dd || w.oom) {
    sv_free(w.v);
    return false;
  }
  sv_push(argv, strdup(env->init_bin));
  sv_push(argv, strdup("envoy-entrypoint"));
  for (size_t i = ep; i < dd; i++) /* its flags, and the "--" */
    sv_push(argv, strdup(w.v[i]));
  sv_push(argv, strdup(standin(env)));
  sv_push(argv, strdup("envoy"));
  for (size_t i = dd; i < w.n; i++)
    if (i > dd || !strstr(base_name(w.v[i]), "envoy"))
      sv_push(argv, strdup(w.v[i]));
  sv_free(w.v);
  scale_init_flags(argv, env->time_scale);
  prepend_init_prefix(argv, env);
  return true;
}

/* The port the app stand-in listens on: the container's own first
 * containerPort, or 0 for none. Never a made-up default: every container
 * of a task shares its address, so two containers given the same stand-in
 * port would clash where the task definition has no clash at all. */
static int first_port(const cJSON *def) {
  const cJSON *pm = cJSON_GetObjectItemCaseSensitive(def, "portMappings");
  const cJSON *m;
  cJSON_ArrayForEach(m, pm) {
    const cJSON *cp = cJSON_GetObjectItemCaseSensitive(m, "containerPort");
    if (cJSON_IsNumber(cp) && cp->valueint > 0 && cp->valueint < 65536)
      return cp->valueint;
  }
  return 0;
}

/* ecsboot-init's jitter seed for one container: the scenario's seed mixed
 * with the task and container names (FNV-1a, then splitmix64), so a replay
 * draws the same waits while two containers never share a sequence. Never
 * 0, which ecsboot-init reads as "random". Decimal, in out. */
static const char *retry_seed(uint64_t seed, const char *task,
                              const char *container, char *out, size_t cap) {
  uint64_t h = UINT64_C(0xcbf29ce484222325);
  const char *parts[] = {task, "/", container};
  for (size_t p = 0; p < 3; p++)
    for (const char *c = parts[p]; *c; c++)
      h = (h ^ (unsigned char)*c) * UINT64_C(0x100000001b3);
  ecsb_rng g;
  ecsb_rng_seed(&g, seed ^ h);
  uint64_t v = ecsb_rng_next(&g) >> 1; /* fits the flag's int64 range */
  snprintf(out, cap, "%llu", (unsigned long long)(v ? v : 1));
  return out;
}

int scn_container_command(const scn_task_env *env, const cJSON *def,
                          const cJSON *volumes, const char *container_id,
                          const scn_image_rule *rule, scn_cmd *out,
                          ecsb_err *err) {
  memset(out, 0, sizeof *out);
  const char *name = NULL;
  int rc = ecsb_json_get_string(def, "container", "name", true, &name, err);
  if (rc)
    return rc;
  if ((rc = check_mounts(def, volumes, name, err)))
    return rc;
  const cJSON *command = cJSON_GetObjectItemCaseSensitive(def, "command");
  const cJSON *entry = cJSON_GetObjectItemCaseSensitive(def, "entryPoint");
  if ((command && !cJSON_IsArray(command)) || (entry && !cJSON_IsArray(entry)))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "container %s: command and entryPoint must be arrays "
                        "of strings",
                        name);
  strvec argv = {0}, envp = {0};
  char port[16];
  switch (rule->play) {
  case SCN_PLAY_INIT:
    /* consul-ecs images have ENTRYPOINT consul-ecs and the subcommand in
     * command; ecsboot-init takes the same subcommands and flags. */
    sv_push(&argv, strdup(env->init_bin));
    push_command(&argv, env, def, entry, command, "consul-ecs");
    scale_init_flags(&argv, env->time_scale);
    prepend_init_prefix(&argv, env);
    break;
  case SCN_PLAY_ENVOY:
    if (push_envoy_entrypoint(&argv, env, def, entry, command))
      break;
    sv_push(&argv, strdup(standin(env)));
    sv_push(&argv, strdup("envoy"));
    push_command(&argv, env, def, entry, command, "envoy");
    break;
  case SCN_PLAY_CONSUL_CLIENT:
    /* The mesh-task module runs the agent through a shell script that
     * reads the server IP file; the stand-in takes the same facts as
     * flags (its defaults follow the module: /consul/server-ip). */
    sv_push(&argv, strdup(env->ecsboot_bin));
    sv_push(&argv, strdup("consul-client"));
    sv_push(&argv, strdup("--server-ip-file"));
    sv_push(&argv, scn_container_map(env, def, "/consul/server-ip"));
    sv_push(&argv, strdup("--bind"));
    sv_push(&argv, strdup(env->task_ip));
    /* where the runner drops agent faults (scn/standin.h), and the run's
     * time scale for the agent's check intervals */
    sv_pushf(&argv, "--control-file=%s/" SCN_CONSUL_CONTROL_FILE,
             env->task_dir);
    if (env->time_scale > 0) {
      char scale[32];
      snprintf(scale, sizeof scale, "%g", env->time_scale);
      sv_pushf(&argv, "--time-scale=%s", scale);
    }
    /* The agent reports the release its image names (hashicorp/consul:
     * 1.15.11), which decides the Envoy bootstrap mesh-init writes. */
    char rel[32];
    if (image_release(def, rel, sizeof rel))
      sv_pushf(&argv, "--consul-version=%s", rel);
    break;
  case SCN_PLAY_APP:
    sv_push(&argv, strdup(standin(env)));
    sv_push(&argv, strdup("app"));
    sv_push(&argv, strdup("--name"));
    sv_push(&argv, strdup(name));
    if (first_port(def)) {
      snprintf(port, sizeof port, "%d", first_port(def));
      sv_push(&argv, strdup("--listen"));
      sv_pushf(&argv, "%s:%s", env->task_ip, port);
    }
    break;
  case SCN_PLAY_EXEC:
    sv_push(&argv, strdup(rule->exec_path));
    /* The image's entrypoint is replaced by the real binary; keep the
     * entrypoint's arguments and the command, minus a repeated name. */
    if (entry && cJSON_GetArraySize(entry) > 1) {
      for (int i = 1; i < cJSON_GetArraySize(entry); i++) {
        const cJSON *e = cJSON_GetArrayItem(entry, i);
        if (cJSON_IsString(e))
          sv_push(&argv, scn_container_map(env, def, e->valuestring));
      }
      push_command(&argv, env, def, NULL, command, NULL);
    } else {
      push_command(&argv, env, def, NULL, command, base_name(rule->exec_path));
    }
    break;
  }
  for (char **a = rule->args; a && *a; a++)
    sv_push(&argv, scn_container_map(env, def, *a));
  if (rule->play == SCN_PLAY_APP || rule->play == SCN_PLAY_CONSUL_CLIENT)
    scale_init_flags(&argv, env->time_scale); /* args are scenario time */

  sv_pushf(&envp, "PATH=%s", env->path_env ? env->path_env : "/usr/bin:/bin");
  sv_pushf(&envp, "HOME=%s", env->task_dir);
  sv_pushf(&envp, ECSB_TASK_IP_ENV "=%s", env->task_ip);
  sv_pushf(&envp, "ECSBOOT_CONTAINER=%s", name);
  if (env->task_clock)
    sv_pushf(&envp, ECSB_TASK_CLOCK_ENV "=%s/" ECSB_TASK_CLOCK_FILE,
             env->task_dir);
  if (env->task_name) {
    char seed[24];
    sv_pushf(&envp, "ECSBOOT_TASK=%s", env->task_name);
    sv_pushf(&envp, ECSB_RETRY_SEED_ENV "=%s",
             retry_seed(env->seed, env->task_name, name, seed, sizeof seed));
  }
  if (env->events)
    sv_pushf(&envp, "ECSBOOT_EVENTS=%s", env->events);
  sv_pushf(&envp, "AWS_REGION=%s", env->region);
  sv_pushf(&envp, "AWS_DEFAULT_REGION=%s", env->region);
  sv_pushf(&envp, "AWS_ENDPOINT_URL_ECS=%s", env->ecs_endpoint);
  sv_push(&envp, strdup("AWS_EC2_METADATA_DISABLED=true"));
  sv_pushf(&envp, "ECS_CONTAINER_METADATA_URI_V4=%s/v4/%s", env->metadata_base,
           container_id);
  sv_pushf(&envp, "AWS_CONTAINER_CREDENTIALS_FULL_URI=%s", env->creds_full_uri);
  sv_pushf(&envp, "AWS_CONTAINER_AUTHORIZATION_TOKEN=%s", env->creds_token);
  sv_pushf(&envp, "CONSUL_HTTP_ADDR=%s:8500", env->task_ip);
  sv_pushf(&envp, "CONSUL_GRPC_ADDR=%s:8502", env->task_ip);
  const cJSON *vars = cJSON_GetObjectItemCaseSensitive(def, "environment");
  const cJSON *v;
  cJSON_ArrayForEach(v, vars) {
    const cJSON *vn = cJSON_GetObjectItemCaseSensitive(v, "name");
    const cJSON *vv = cJSON_GetObjectItemCaseSensitive(v, "value");
    if (!cJSON_IsString(vn) || !*vn->valuestring ||
        strchr(vn->valuestring, '=')) {
      sv_free(argv.v);
      sv_free(envp.v);
      return ecsb_err_set(err, ECSB_EINVAL,
                          "container %s: environment: every entry needs a "
                          "name without '='",
                          name);
    }
    char *val =
        scn_container_map(env, def, cJSON_IsString(vv) ? vv->valuestring : "");
    sv_pushf(&envp, "%s=%s", vn->valuestring, val ? val : "");
    free(val);
  }
  if (argv.oom || envp.oom) {
    sv_free(argv.v);
    sv_free(envp.v);
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  }
  out->argv = argv.v;
  out->envp = envp.v;
  return 0;
}

void scn_probe_clear(scn_probe *p) {
  if (p) {
    sv_free(p->argv);
    p->argv = NULL;
  }
}

int scn_probe_from_health_check(const scn_task_env *env, const cJSON *def,
                                const cJSON *command, scn_probe *out,
                                ecsb_err *err) {
  memset(out, 0, sizeof *out);
  int n = cJSON_GetArraySize(command);
  const cJSON *kind = cJSON_GetArrayItem(command, 0);
  if (!cJSON_IsArray(command) || n < 2 || !cJSON_IsString(kind))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "healthCheck.command: expected [\"CMD\", ...] or "
                        "[\"CMD-SHELL\", \"...\"]");
  strvec argv = {0};
  for (int i = 1; i < n; i++) {
    const cJSON *a = cJSON_GetArrayItem(command, i);
    if (!cJSON_IsString(a)) {
      sv_free(argv.v);
      return ecsb_err_set(err, ECSB_EINVAL,
                          "healthCheck.command[%d]: expected a string", i);
    }
    sv_push(&argv, scn_container_map(env, def, a->valuestring));
  }
  if (argv.oom) {
    sv_free(argv.v);
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  }
  if (strcmp(kind->valuestring, "CMD-SHELL") == 0) {
    /* ECS runs CMD-SHELL through the image's shell; so do we. */
    strvec sh = {0};
    sv_push(&sh, strdup("/bin/sh"));
    sv_push(&sh, strdup("-c"));
    for (size_t i = 0; i < argv.n; i++)
      sv_push(&sh, strdup(argv.v[i]));
    sv_free(argv.v);
    if (sh.oom) {
      sv_free(sh.v);
      return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
    }
    out->kind = SCN_PROBE_PROCESS;
    out->argv = sh.v;
    return 0;
  }
  if (strcmp(kind->valuestring, "CMD") != 0) {
    sv_free(argv.v);
    return ecsb_err_set(err, ECSB_EINVAL,
                        "healthCheck.command[0]: \"%s\" is neither CMD nor "
                        "CMD-SHELL",
                        kind->valuestring);
  }
  const char *prog = base_name(argv.v[0]);
  /* nc -z HOST PORT: a TCP connect, done in-process (the host may not
   * have nc; the point is the port, not the tool). */
  if (strcmp(prog, "nc") == 0 && argv.n == 4 && strcmp(argv.v[1], "-z") == 0) {
    char *end;
    long port = strtol(argv.v[3], &end, 10);
    if (!*end && port > 0 && port < 65536 &&
        strlen(argv.v[2]) < sizeof out->host) {
      out->kind = SCN_PROBE_TCP;
      snprintf(out->host, sizeof out->host, "%s", argv.v[2]);
      out->port = (int)port;
      sv_free(argv.v);
      return 0;
    }
  }
  /* curl with flags and one http(s) URL: an HTTP GET, 2xx/3xx healthy. */
  if (strcmp(prog, "curl") == 0) {
    const char *url = NULL;
    bool simple = true;
    for (size_t i = 1; i < argv.n; i++) {
      bool is_url = strncmp(argv.v[i], "http://", 7) == 0 ||
                    strncmp(argv.v[i], "https://", 8) == 0;
      if (is_url && !url)
        url = argv.v[i];
      else if (is_url || argv.v[i][0] != '-')
        simple = false; /* two URLs, or a flag value we do not model */
    }
    if (url && simple && strlen(url) < sizeof out->url) {
      out->kind = SCN_PROBE_HTTP;
      snprintf(out->url, sizeof out->url, "%s", url);
      sv_free(argv.v);
      return 0;
    }
  }
  out->kind = SCN_PROBE_PROCESS;
  out->argv = argv.v;
  return 0;
}
