/*
 * scenario.c - parse and validate scenario files (see scenario.h and
 * docs/scenarios.md). Strict: unknown fields are errors, because a typo in
 * a chaos scenario ("probabilty") would otherwise silently test nothing.
 */
#include "scn/scenario.h"

#include <errno.h>
#include <fnmatch.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ecsb/buf.h"
#include "ecsb/duration.h"
#include "ecsb/fileio.h"
#include "ecsb/json.h"
#include "etd/agent.h"
#include "etd/taskdef.h"
#include "rpt/expect.h"
#include "scn/faults.h"

#define MAX_FILE (4u << 20)
#define US_PER_NS 1000
/* How long the execution-role credentials and secrets take to fetch when
 * the scenario does not say: a few calls to AWS. */
#define SCN_CREDENTIALS_DEFAULT_US 100000

static const struct {
  const char *name;
  scn_player play;
} players[] = {{"ecsboot-init", SCN_PLAY_INIT},
               {"consul-client", SCN_PLAY_CONSUL_CLIENT},
               {"envoy", SCN_PLAY_ENVOY},
               {"app", SCN_PLAY_APP}};

/* Used when no scenario rule matches: the images of the consul-ecs
 * mesh-task module, then anything else is an app. */
static char *const no_args[] = {NULL};
static const scn_image_rule default_rules[] = {
    {.match = (char *)"*ecsboot-init*",
     .play = SCN_PLAY_INIT,
     .args = (char **)no_args},
    {.match = (char *)"*consul-ecs*",
     .play = SCN_PLAY_INIT,
     .args = (char **)no_args},
    {.match = (char *)"*envoy*",
     .play = SCN_PLAY_ENVOY,
     .args = (char **)no_args},
    {.match = (char *)"*consul*",
     .play = SCN_PLAY_CONSUL_CLIENT,
     .args = (char **)no_args},
    {.match = (char *)"*", .play = SCN_PLAY_APP, .args = (char **)no_args},
};

const char *scn_player_name(scn_player p) {
  for (size_t i = 0; i < sizeof players / sizeof players[0]; i++)
    if (players[i].play == p)
      return players[i].name;
  return p == SCN_PLAY_EXEC ? "exec" : "?";
}

int64_t scn_scale_us(const scn_scenario *s, int64_t us) {
  double v = (double)us * s->time_scale;
  return v > 9e18 ? INT64_MAX : (int64_t)llround(v);
}

/* Rejects keys that are not in the NULL-terminated list. */
static int check_keys(const cJSON *o, const char *path, const char *const *ok,
                      ecsb_err *err) {
  const cJSON *c;
  cJSON_ArrayForEach(c, o) {
    bool known = false;
    for (size_t i = 0; ok[i] && !known; i++)
      known = strcmp(c->string, ok[i]) == 0;
    if (!known)
      return ecsb_err_set(err, ECSB_EINVAL, "%s.%s: unknown field", path,
                          c->string);
  }
  return 0;
}

static int get_dur(const cJSON *o, const char *path, const char *key,
                   bool required, int64_t *out_us, ecsb_err *err) {
  const char *s = NULL;
  int rc = ecsb_json_get_string(o, path, key, required, &s, err);
  if (rc || !s)
    return rc;
  int64_t ns;
  ecsb_err e = {0};
  if (ecsb_duration_parse(s, &ns, &e) != 0)
    return ecsb_err_set(err, ECSB_EINVAL, "%s.%s: %s", path, key, e.msg);
  if (ns < 0)
    return ecsb_err_set(err, ECSB_EINVAL, "%s.%s: must not be negative", path,
                        key);
  *out_us = ns / US_PER_NS;
  return 0;
}

static int dup_str(const cJSON *o, const char *path, const char *key,
                   bool required, const char *def, char **out, ecsb_err *err) {
  const char *s = def;
  int rc = ecsb_json_get_string(o, path, key, required, &s, err);
  if (rc)
    return rc;
  *out = s ? strdup(s) : NULL;
  if (s && !*out)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  return 0;
}

/* The catalogue's parameter list as the error messages show it:
 * "delay:d!,operation:s" (type letter; '!' marks a required one). */
static void params_text(const scn_fault_spec *fs, char *buf, size_t cap) {
  static const char letter[] = {[SCN_PARAM_DURATION] = 'd',
                                [SCN_PARAM_INTEGER] = 'i',
                                [SCN_PARAM_NUMBER] = 'n',
                                [SCN_PARAM_STRING] = 's'};
  size_t n = 0;
  buf[0] = '\0';
  for (const scn_fault_param *p = fs->params; p->name && n < cap; p++)
    n += (size_t)snprintf(buf + n, cap - n, "%s%s:%c%s", n ? "," : "", p->name,
                          letter[p->type], p->required ? "!" : "");
  if (!*buf)
    snprintf(buf, cap, "none");
}

static int check_params(const scn_fault_spec *fs, const cJSON *params,
                        const char *path, ecsb_err *err) {
  const char *target = scn_fault_target_of(fs->target)->name;
  /* Every given parameter must be known... */
  const cJSON *c;
  cJSON_ArrayForEach(c, params) {
    if (!scn_fault_param_of(fs->kind, c->string)) {
      char takes[128];
      params_text(fs, takes, sizeof takes);
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s.%s: unknown parameter for %s %s (takes: %s)",
                          path, c->string, target, fs->action, takes);
    }
  }
  /* ...and each known one well-typed, required ones present. */
  for (const scn_fault_param *p = fs->params; p->name; p++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, p->name);
    int rc = 0;
    if (!v) {
      if (p->required)
        rc = ecsb_err_set(err, ECSB_EINVAL, "%s.%s: required for %s %s", path,
                          p->name, target, fs->action);
    } else if (p->type == SCN_PARAM_DURATION) {
      int64_t us;
      rc = get_dur(params, path, p->name, true, &us, err);
    } else if (p->type == SCN_PARAM_INTEGER) {
      int64_t n;
      rc = ecsb_json_get_int(params, path, p->name, true, INT32_MIN, INT32_MAX,
                             &n, err);
    } else if (p->type == SCN_PARAM_NUMBER) {
      if (!cJSON_IsNumber(v) || v->valuedouble < 0)
        rc = ecsb_err_set(err, ECSB_EINVAL,
                          "%s.%s: expected a non-negative number", path,
                          p->name);
    } else if (!cJSON_IsString(v)) {
      rc = ecsb_err_set(err, ECSB_EINVAL, "%s.%s: expected a string", path,
                        p->name);
    }
    if (rc)
      return rc;
  }
  return 0;
}

static int parse_fault(const cJSON *f, const char *path, scn_fault *out,
                       ecsb_err *err) {
  static const char *const keys[] = {
      "at",   "at_milestone", "offset",   "probability", "target", "action",
      "task", "container",    "duration", "params",      NULL};
  if (!cJSON_IsObject(f))
    return ecsb_err_set(err, ECSB_EINVAL, "%s: expected an object", path);
  int rc = check_keys(f, path, keys, err);
  if (rc)
    return rc;
  bool has_at = cJSON_HasObjectItem(f, "at"),
       has_ms = cJSON_HasObjectItem(f, "at_milestone"),
       has_p = cJSON_HasObjectItem(f, "probability");
  if (has_at + has_ms + has_p != 1)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s: give exactly one of \"at\", \"at_milestone\", "
                        "\"probability\"",
                        path);
  if (has_at) {
    out->when = SCN_FAULT_AT;
    rc = get_dur(f, path, "at", true, &out->at_us, err);
  } else if (has_ms) {
    out->when = SCN_FAULT_MILESTONE;
    const char *m = NULL;
    rc = ecsb_json_get_string(f, path, "at_milestone", true, &m, err);
    if (!rc && (strlen(m) != 2 || m[0] != 'T' || m[1] < '0' || m[1] > '4'))
      rc =
          ecsb_err_set(err, ECSB_EINVAL,
                       "%s.at_milestone: \"%s\" is not one of T0..T4", path, m);
    if (!rc) {
      snprintf(out->milestone, sizeof out->milestone, "%s", m);
      rc = get_dur(f, path, "offset", false, &out->at_us, err);
    }
  } else {
    out->when = SCN_FAULT_RANDOM;
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(f, "probability");
    if (!cJSON_IsNumber(p) || p->valuedouble < 0 || p->valuedouble > 1)
      rc = ecsb_err_set(err, ECSB_EINVAL,
                        "%s.probability: expected a number in [0, 1]", path);
    else
      out->probability = p->valuedouble;
  }
  const char *target = NULL, *action = NULL;
  if (!rc)
    rc = ecsb_json_get_string(f, path, "target", true, &target, err);
  if (!rc)
    rc = ecsb_json_get_string(f, path, "action", true, &action, err);
  if (!rc)
    rc = dup_str(f, path, "task", false, "*", &out->task, err);
  if (!rc)
    rc = dup_str(f, path, "container", false, NULL, &out->container, err);
  if (!rc)
    rc = get_dur(f, path, "duration", false, &out->duration_us, err);
  if (rc)
    return rc;
  int found = scn_fault_lookup(target, action, &out->kind);
  if (found == -1) {
    char names[160];
    size_t n = 0;
    for (int t = 0; t < SCN_TARGET_COUNT && n < sizeof names; t++)
      n += (size_t)snprintf(names + n, sizeof names - n, "%s%s", t ? ", " : "",
                            scn_fault_target_of(t)->name);
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s.target: unknown target \"%s\" (%s)", path, target,
                        names);
  }
  if (found)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s.action: unknown action \"%s\" for target \"%s\"",
                        path, action, target);
  const scn_fault_spec *fs = scn_fault_spec_of(out->kind);
  if (scn_fault_target_of(fs->target)->needs_container && !out->container)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s.container: required for target \"%s\"", path,
                        target);
  const cJSON *params = cJSON_GetObjectItemCaseSensitive(f, "params");
  if (params && !cJSON_IsObject(params))
    return ecsb_err_set(err, ECSB_EINVAL, "%s.params: expected an object",
                        path);
  char ppath[128];
  snprintf(ppath, sizeof ppath, "%s.params", path);
  out->params = params ? cJSON_Duplicate(params, true) : cJSON_CreateObject();
  if (!out->params)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  return check_params(fs, out->params, ppath, err);
}

static int parse_image(const cJSON *r, const char *path, scn_image_rule *out,
                       ecsb_err *err) {
  static const char *const keys[] = {"match", "play", "args", NULL};
  if (!cJSON_IsObject(r))
    return ecsb_err_set(err, ECSB_EINVAL, "%s: expected an object", path);
  int rc = check_keys(r, path, keys, err);
  const char *play = NULL;
  if (!rc)
    rc = dup_str(r, path, "match", true, NULL, &out->match, err);
  if (!rc)
    rc = ecsb_json_get_string(r, path, "play", true, &play, err);
  if (rc)
    return rc;
  if (strncmp(play, "exec:", 5) == 0) {
    if (play[5] != '/')
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s.play: exec: needs an absolute path, got \"%s\"",
                          path, play);
    out->play = SCN_PLAY_EXEC;
    if (!(out->exec_path = strdup(play + 5)))
      return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  } else {
    size_t i = 0;
    for (; i < sizeof players / sizeof players[0]; i++)
      if (strcmp(players[i].name, play) == 0)
        break;
    if (i == sizeof players / sizeof players[0])
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s.play: unknown player \"%s\" (ecsboot-init, "
                          "consul-client, envoy, app, exec:/path)",
                          path, play);
    out->play = players[i].play;
  }
  const cJSON *args = NULL;
  rc = ecsb_json_get_array(r, path, "args", false, &args, err);
  if (rc)
    return rc;
  int n = args ? cJSON_GetArraySize(args) : 0;
  out->args = calloc((size_t)n + 1, sizeof *out->args);
  if (!out->args)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  for (int i = 0; i < n; i++) {
    const cJSON *a = cJSON_GetArrayItem(args, i);
    if (!cJSON_IsString(a))
      return ecsb_err_set(err, ECSB_EINVAL, "%s.args[%d]: expected a string",
                          path, i);
    if (!(out->args[i] = strdup(a->valuestring)))
      return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  }
  return 0;
}

/* A family for Terraform's bare container array, which has none: the file
 * name without folder and extension, or the scenario's name, with every
 * character ECS does not allow in a family made a hyphen. */
static void family_from(const char *from, char *out, size_t cap) {
  const char *b = strrchr(from, '/') ? strrchr(from, '/') + 1 : from;
  size_t n = strcspn(b, ".");
  if (n == 0 || n >= cap)
    n = n == 0 ? 0 : cap - 1;
  for (size_t i = 0; i < n; i++) {
    char ch = b[i];
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
    out[i] = ok ? ch : '-';
  }
  out[n] = '\0';
  if (n == 0)
    snprintf(out, cap, "task");
}

/* Every shape a task definition comes in, with ECS's rules
 * (ecs-taskdef), kept in register-task-definition's shape with ECS's
 * defaults: what `ecsboot run` registers and the agent simulator runs. */
static int take_task_definition(const cJSON *td, const char *path,
                                const char *family_hint, cJSON **out,
                                ecsb_err *err) {
  char family[128];
  family_from(family_hint, family, sizeof family);
  etd_opts o = {.family = family};
  /* Every problem at once, so a user fixes a task definition in one go
   * rather than one error per run. */
  etd_problems ps = {.all = true};
  etd_taskdef *t = NULL;
  int rc = etd_parse(td, &o, &t, &ps, err);
  if (rc == ECSB_EINVAL && ps.n) {
    bool describe =
        cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(td, "taskDefinition"));
    char where[160];
    snprintf(where, sizeof where, "%s%s", describe && !*path ? "$" : path,
             describe ? ".taskDefinition" : "");
    ecsb_buf b = {0};
    ecsb_buf_printf(&b, "%s%stask definition: %s: %s", where,
                    *where ? ": " : "", ps.v[0].exception, ps.v[0].message);
    /* What fits of the others, one a line; lint lists every one. */
    size_t shown = 1;
    for (; shown < ps.n; shown++) {
      size_t before = b.len;
      ecsb_buf_printf(&b, "\n  and: %s: %s", ps.v[shown].exception,
                      ps.v[shown].message);
      if (b.len + 80 >= ECSB_ERR_MSG_MAX / 4) {
        b.len = before;
        b.s[before] = '\0';
        break;
      }
    }
    if (shown < ps.n)
      ecsb_buf_printf(&b, "\n  and %zu more (ecsboot lint lists every one)",
                      ps.n - shown);
    ecsb_err_set(err, rc, "%s", b.s ? b.s : "invalid task definition");
    ecsb_buf_free(&b);
  }
  etd_problems_clear(&ps);
  if (!rc)
    *out = etd_taskdef_take_json(t);
  etd_taskdef_free(t);
  return rc;
}

static int parse_server(const cJSON *o, scn_scenario *s, ecsb_err *err) {
  static const char *const keys[] = {"family",      "container",
                                     "start_delay", "never_running",
                                     "stop_after",  NULL};
  const char *path = "$.consul_server";
  int rc = check_keys(o, path, keys, err);
  if (!rc)
    rc = dup_str(o, path, "family", false, "consul-server", &s->server_family,
                 err);
  if (!rc)
    rc = dup_str(o, path, "container", false, "consul-server",
                 &s->server_container, err);
  if (!rc)
    rc = get_dur(o, path, "start_delay", false, &s->server_start_delay_us, err);
  if (!rc)
    rc = ecsb_json_get_bool(o, path, "never_running", false,
                            &s->server_never_running, err);
  if (!rc)
    rc = get_dur(o, path, "stop_after", false, &s->server_stop_after_us, err);
  return rc;
}

/* The task definition's container names (borrowed from it). */
static int container_names(const cJSON *td, const char ***out, size_t *n,
                           ecsb_err *err) {
  const cJSON *defs =
      cJSON_GetObjectItemCaseSensitive(td, "containerDefinitions");
  size_t cap = (size_t)cJSON_GetArraySize(defs);
  *n = 0;
  *out = calloc(cap + 1, sizeof **out);
  if (!*out)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  const cJSON *d;
  cJSON_ArrayForEach(d, defs) {
    const char *name =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "name"));
    if (name)
      (*out)[(*n)++] = name;
  }
  return 0;
}

/* A container fault must name a container of the task definition: a typo
 * would otherwise surface only once the run had started. */
static int check_fault_container(const scn_fault *f, const char *path,
                                 const char *const *names, size_t n,
                                 ecsb_err *err) {
  if (!f->container)
    return 0;
  char where[96];
  snprintf(where, sizeof where, "%s.container", path);
  return rpt_check_container_name(where, f->container, names, n, err);
}

/* $.agent: the ECS agent's settings a replay honours, and how long its
 * pulls and its credentials fetch take (docs/scenarios.md). */
static int parse_agent(const cJSON *o, scn_scenario *s, ecsb_err *err) {
  static const char *const keys[] = {"pull_dependent_containers_upfront",
                                     "container_start_timeout",
                                     "pull_time",
                                     "pulls",
                                     "credentials_time",
                                     "credentials_error",
                                     NULL};
  const char *path = "$.agent";
  s->start_timeout_us = ETD_AGENT_START_TIMEOUT_DEFAULT_MS * 1000;
  s->credentials_us = SCN_CREDENTIALS_DEFAULT_US;
  if (!o)
    return 0;
  const cJSON *pulls = NULL;
  int rc = check_keys(o, path, keys, err);
  if (!rc)
    rc = ecsb_json_get_bool(o, path, "pull_dependent_containers_upfront", false,
                            &s->pull_upfront, err);
  int64_t start_us = 0;
  if (!rc)
    rc = get_dur(o, path, "container_start_timeout", false, &start_us, err);
  /* What the agent runs with for that setting (a value under its minimum
   * is raised to it, as the agent does), so a replay shows what ECS does. */
  s->start_timeout_us = etd_agent_start_timeout_ms(start_us / 1000) * 1000;
  if (!rc)
    rc = get_dur(o, path, "pull_time", false, &s->pull_default_us, err);
  if (!rc)
    rc = get_dur(o, path, "credentials_time", false, &s->credentials_us, err);
  if (!rc)
    rc = dup_str(o, path, "credentials_error", false, NULL,
                 &s->credentials_error, err);
  if (!rc)
    rc = ecsb_json_get_array(o, path, "pulls", false, &pulls, err);
  if (rc)
    return rc;
  size_t n = pulls ? (size_t)cJSON_GetArraySize(pulls) : 0;
  if (n && !(s->pulls = calloc(n, sizeof *s->pulls)))
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  static const char *const pkeys[] = {"match", "time", NULL};
  const cJSON *r;
  cJSON_ArrayForEach(r, pulls) {
    char p[64];
    snprintf(p, sizeof p, "%s.pulls[%zu]", path, s->n_pulls);
    scn_pull_rule *pr = &s->pulls[s->n_pulls++];
    if (!cJSON_IsObject(r))
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s: expected {\"match\": glob, \"time\": duration}",
                          p);
    if ((rc = check_keys(r, p, pkeys, err)) ||
        (rc = dup_str(r, p, "match", true, NULL, &pr->match, err)) ||
        (rc = get_dur(r, p, "time", true, &pr->us, err)))
      return rc;
  }
  return 0;
}

static int parse_name(const cJSON *j, scn_scenario *s, ecsb_err *err) {
  int rc = dup_str(j, "$", "name", true, NULL, &s->name, err);
  if (rc)
    return rc;
  for (const char *p = s->name; *p; p++)
    if (!(*p >= 'a' && *p <= 'z') && !(*p >= '0' && *p <= '9') &&
        !strchr("-_.", *p))
      return ecsb_err_set(err, ECSB_EINVAL,
                          "$.name: \"%s\" may only use a-z, 0-9, '-', '_', "
                          "'.' (it names report folders)",
                          s->name);
  return 0;
}

static int parse_time_scale(const cJSON *j, scn_scenario *s, ecsb_err *err) {
  const cJSON *ts = cJSON_GetObjectItemCaseSensitive(j, "time_scale");
  if (ts &&
      (!cJSON_IsNumber(ts) || !(ts->valuedouble > 0) || ts->valuedouble > 1000))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "$.time_scale: expected a number in (0, 1000]");
  if (ts)
    s->time_scale = ts->valuedouble;
  return 0;
}

static int parse_seed(const cJSON *j, scn_scenario *s, ecsb_err *err) {
  int64_t seed = 1;
  int rc =
      ecsb_json_get_int(j, "$", "seed", false, 0, INT64_MAX / 2, &seed, err);
  s->seed = (uint64_t)seed;
  return rc;
}

static int parse_consul_server(const cJSON *j, scn_scenario *s, ecsb_err *err) {
  const cJSON *srv = NULL;
  int rc = ecsb_json_get_object(j, "$", "consul_server", false, &srv, err);
  if (rc)
    return rc;
  cJSON *empty_obj = srv ? NULL : cJSON_CreateObject();
  if (!srv && !empty_obj)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  rc = parse_server(srv ? srv : empty_obj, s, err);
  cJSON_Delete(empty_obj);
  return rc;
}

static int parse_task_definition(const cJSON *j, const char *base_dir,
                                 scn_scenario *s, ecsb_err *err) {
  const cJSON *td = cJSON_GetObjectItemCaseSensitive(j, "task_definition");
  if (!td)
    return ecsb_err_set(err, ECSB_ENOTFOUND,
                        "$.task_definition: required field missing");
  if (!cJSON_IsString(td))
    return take_task_definition(td, "$.task_definition",
                                s->name ? s->name : "task", &s->task_definition,
                                err);
  char file[4096];
  int n = td->valuestring[0] == '/'
              ? snprintf(file, sizeof file, "%s", td->valuestring)
              : snprintf(file, sizeof file, "%s/%s", base_dir, td->valuestring);
  if (n < 0 || (size_t)n >= sizeof file)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "$.task_definition: \"%s\" in %s: longer than %zu "
                        "bytes once absolute",
                        td->valuestring, base_dir, sizeof file - 1);
  char *text = NULL;
  size_t len = 0;
  cJSON *tj = NULL;
  ecsb_err e = {0};
  int rc = ecsb_read_file(file, MAX_FILE, &text, &len, &e);
  if (!rc)
    rc = ecsb_json_parse(text, len, file, &tj, &e);
  free(text);
  if (!rc)
    rc = take_task_definition(tj, "", file, &s->task_definition, &e);
  cJSON_Delete(tj);
  if (rc)
    return ecsb_err_set(err, rc, "$.task_definition: %s%s%s",
                        strstr(e.msg, file) ? "" : file,
                        strstr(e.msg, file) ? "" : ": ", e.msg);
  if (!(s->task_definition_path = strdup(file)))
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  return 0;
}

static int parse_tasks(const cJSON *j, scn_scenario *s, ecsb_err *err) {
  static const char *const tkeys[] = {"count", "rate_per_second", NULL};
  const cJSON *tasks = NULL;
  int rc = ecsb_json_get_object(j, "$", "tasks", false, &tasks, err);
  if (rc || !tasks)
    return rc;
  int64_t count = 1;
  if ((rc = check_keys(tasks, "$.tasks", tkeys, err)) ||
      (rc = ecsb_json_get_int(tasks, "$.tasks", "count", false, 1, 10000,
                              &count, err)))
    return rc;
  s->task_count = (int)count;
  const cJSON *rate =
      cJSON_GetObjectItemCaseSensitive(tasks, "rate_per_second");
  if (rate && (!cJSON_IsNumber(rate) || rate->valuedouble < 0))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "$.tasks.rate_per_second: expected a number >= 0 "
                        "(0: all at once)");
  s->start_rate = rate ? rate->valuedouble : 0;
  return 0;
}

static int parse_stop_order(const cJSON *j, scn_scenario *s, ecsb_err *err) {
  const char *order = NULL;
  int rc = ecsb_json_get_string(j, "$", "stop_order", false, &order, err);
  if (rc)
    return rc;
  /* The ECS agent's order by default (graph.go verifyShutdownOrder:
   * dependents stop first); all-at-once on request. */
  s->sigterm_all_at_once = order && !strcmp(order, "all-at-once");
  if (order && strcmp(order, "all-at-once") &&
      strcmp(order, "reverse-dependencies"))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "$.stop_order: \"%s\" is not all-at-once or "
                        "reverse-dependencies",
                        order);
  return 0;
}

static int parse_agent_field(const cJSON *j, scn_scenario *s, ecsb_err *err) {
  const cJSON *agent = NULL;
  int rc = ecsb_json_get_object(j, "$", "agent", false, &agent, err);
  return rc ? rc : parse_agent(agent, s, err);
}

static int parse_load(const cJSON *j, scn_scenario *s, ecsb_err *err) {
  static const char *const lkeys[] = {"rate_per_second", "port", "path",
                                      "routing_delay", NULL};
  const cJSON *load = NULL;
  int rc = ecsb_json_get_object(j, "$", "load", false, &load, err);
  if (rc || !load)
    return rc;
  int64_t port = 20000;
  const char *lpath = "/";
  const cJSON *lr = cJSON_GetObjectItemCaseSensitive(load, "rate_per_second");
  if ((rc = check_keys(load, "$.load", lkeys, err)) ||
      (rc = ecsb_json_get_int(load, "$.load", "port", false, 1, 65535, &port,
                              err)) ||
      (rc = ecsb_json_get_string(load, "$.load", "path", false, &lpath, err)))
    return rc;
  if (!cJSON_IsNumber(lr) || lr->valuedouble <= 0 || lr->valuedouble > 10000)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "$.load.rate_per_second: expected a number in "
                        "(0, 10000] (requests per second, wall time, per "
                        "task)");
  if (lpath[0] != '/')
    return ecsb_err_set(err, ECSB_EINVAL,
                        "$.load.path: \"%s\" must start with '/'", lpath);
  s->load_delay_us = 1000000;
  if ((rc = get_dur(load, "$.load", "routing_delay", false, &s->load_delay_us,
                    err)))
    return rc;
  s->load_rate = lr->valuedouble;
  s->load_port = (int)port;
  if (!(s->load_path = strdup(lpath)))
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  return 0;
}

/* Expectations are judged by reports/ from the event log; checked here so
 * a bad expectation (or a container name with a typo) stops the run before
 * anything starts. names is NULL when the task definition could not be
 * read (its names are then unknown). */
static int parse_expect(const cJSON *expect, const char *const *names,
                        size_t n_names, scn_scenario *s, ecsb_err *err) {
  rpt_expect *x = NULL;
  int rc = rpt_expect_parse(expect, "$.expect", &x, err);
  if (rc)
    return rc;
  if (names)
    rc = rpt_expect_check_containers(x, names, n_names, err);
  rpt_expect_free(x);
  if (!rc && !(s->expect = cJSON_Duplicate(expect, true)))
    rc = ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  return rc;
}

/* Records a problem and goes on, so every problem of the file is reported
 * at once; only running out of memory stops the reading. */
static int note(ecsb_errs *l, int rc, const ecsb_err *err) {
  if (rc == ECSB_ENOMEM)
    return rc;
  if (rc)
    ecsb_errs_add(l, err);
  return 0;
}

/* err must not be NULL: each problem is read back from it. */
static int parse_all(const cJSON *j, const char *base_dir, scn_scenario *s,
                     ecsb_err *err) {
  static const char *const keys[] = {
      "$schema",    "name",          "description",
      "time_scale", "seed",          "deadline",
      "cluster",    "consul_server", "task_definition",
      "service",    "tasks",         "images",
      "faults",     "expect",        "stop_order",
      "load",       "agent",         NULL};
  if (!cJSON_IsObject(j))
    return ecsb_err_set(err, ECSB_EINVAL, "$: expected an object");
  ecsb_errs l = {0};
  s->time_scale = 1.0;
  s->seed = 1;
  s->deadline_us = INT64_C(900000000); /* 15 minutes of scenario time */
  s->task_count = 1;
  int rc;
  if ((rc = note(&l, check_keys(j, "$", keys, err), err)) ||
      (rc = note(&l, parse_name(j, s, err), err)) ||
      (rc = note(
           &l, dup_str(j, "$", "description", false, "", &s->description, err),
           err)) ||
      (rc = note(&l, parse_time_scale(j, s, err), err)) ||
      (rc = note(&l, parse_seed(j, s, err), err)) ||
      (rc = note(&l, get_dur(j, "$", "deadline", false, &s->deadline_us, err),
                 err)) ||
      (rc = note(&l,
                 dup_str(j, "$", "cluster", false, "default", &s->cluster, err),
                 err)) ||
      (rc = note(&l,
                 dup_str(j, "$", "service", false, NULL, &s->service_name, err),
                 err)) ||
      (rc = note(&l, parse_consul_server(j, s, err), err)))
    return rc;
  size_t before = l.n;
  if ((rc = note(&l, parse_task_definition(j, base_dir, s, err), err)))
    return rc;
  bool td_ok = l.n == before;
  if ((rc = note(&l, parse_tasks(j, s, err), err)) ||
      (rc = note(&l, parse_stop_order(j, s, err), err)) ||
      (rc = note(&l, parse_agent_field(j, s, err), err)) ||
      (rc = note(&l, parse_load(j, s, err), err)))
    return rc;

  const cJSON *images = NULL, *faults = NULL, *expect = NULL;
  if ((rc = note(&l, ecsb_json_get_array(j, "$", "images", false, &images, err),
                 err)) ||
      (rc = note(&l, ecsb_json_get_array(j, "$", "faults", false, &faults, err),
                 err)) ||
      (rc =
           note(&l, ecsb_json_get_object(j, "$", "expect", false, &expect, err),
                err)))
    return rc;
  size_t n = images ? (size_t)cJSON_GetArraySize(images) : 0;
  s->images = calloc(n + 1, sizeof *s->images);
  s->faults = calloc((faults ? (size_t)cJSON_GetArraySize(faults) : 0) + 1,
                     sizeof *s->faults);
  if (!s->images || !s->faults)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  const cJSON *c;
  cJSON_ArrayForEach(c, images) {
    char p[64];
    snprintf(p, sizeof p, "$.images[%zu]", s->n_images);
    rc = parse_image(c, p, &s->images[s->n_images], err);
    s->n_images++; /* counted even on error so free() releases it */
    if ((rc = note(&l, rc, err)))
      return rc;
  }
  const char **names = NULL;
  size_t n_names = 0;
  if (td_ok &&
      (rc = container_names(s->task_definition, &names, &n_names, err)))
    return rc;
  cJSON_ArrayForEach(c, faults) {
    char p[64];
    snprintf(p, sizeof p, "$.faults[%zu]", s->n_faults);
    rc = parse_fault(c, p, &s->faults[s->n_faults], err);
    if (!rc && names)
      rc = check_fault_container(&s->faults[s->n_faults], p, names, n_names,
                                 err);
    s->n_faults++;
    if ((rc = note(&l, rc, err)))
      goto out;
  }
  if (expect &&
      (rc = note(&l, parse_expect(expect, names, n_names, s, err), err)))
    goto out;
  rc = ecsb_errs_finish(&l, err);
out:
  free(names);
  return rc;
}

static int parse_body(const cJSON *j, const char *base_dir, scn_scenario *s,
                      ecsb_err *err) {
  ecsb_err e = {0};
  int rc = parse_all(j, base_dir, s, &e);
  if (rc && err)
    *err = e;
  return rc;
}

int scn_path_absolute(const char *what, const char *path, char *out, size_t cap,
                      ecsb_err *err) {
  while (path[0] == '.' && path[1] == '/') {
    path += 2;
    while (*path == '/')
      path++;
  }
  if (strcmp(path, ".") == 0)
    path = "";
  char cwd[4096] = "";
  if (path[0] != '/' && !getcwd(cwd, sizeof cwd))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s %s: cannot read the working folder to make it "
                        "absolute: %s",
                        what, path, strerror(errno));
  int n = snprintf(out, cap, "%s%s%s", cwd, *cwd && *path ? "/" : "", path);
  if (n < 0 || (size_t)n >= cap)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s %s: longer than %zu bytes once absolute", what,
                        path, cap - 1);
  return 0;
}

int scn_scenario_parse(const char *text, size_t len, const char *name,
                       const char *base_dir, scn_scenario **out,
                       ecsb_err *err) {
  *out = NULL;
  /* The task definition's path is kept and may be handed on: absolute. */
  char base[4096];
  int rc = scn_path_absolute("scenario folder", base_dir ? base_dir : ".", base,
                             sizeof base, err);
  if (rc)
    return ecsb_err_prefix(err, "%s", name);
  scn_scenario *s = calloc(1, sizeof *s);
  if (!s || !(s->path = strdup(name))) {
    free(s);
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  }
  cJSON *j = NULL;
  rc = ecsb_json_parse(text, len, name, &j, err);
  if (!rc) {
    rc = parse_body(j, base, s, err);
    if (rc)
      ecsb_err_prefix(err, "%s", name);
  }
  cJSON_Delete(j);
  if (rc) {
    scn_scenario_free(s);
    return rc;
  }
  *out = s;
  return 0;
}

int scn_scenario_load(const char *path, scn_scenario **out, ecsb_err *err) {
  char *text = NULL;
  size_t len = 0;
  *out = NULL;
  int rc = ecsb_read_file(path, MAX_FILE, &text, &len, err);
  if (rc)
    return rc;
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", path);
  rc = scn_scenario_parse(text, len, path, dirname(dir), out, err);
  free(text);
  return rc;
}

const scn_image_rule *scn_scenario_player(const scn_scenario *s,
                                          const char *image) {
  for (size_t i = 0; i < s->n_images; i++)
    if (fnmatch(s->images[i].match, image, 0) == 0)
      return &s->images[i];
  for (size_t i = 0; i < sizeof default_rules / sizeof default_rules[0]; i++)
    if (fnmatch(default_rules[i].match, image, 0) == 0)
      return &default_rules[i];
  return NULL; /* unreachable: the last default matches everything */
}

int64_t scn_scenario_pull_us(const scn_scenario *s, const char *image) {
  for (size_t i = 0; image && i < s->n_pulls; i++)
    if (fnmatch(s->pulls[i].match, image, 0) == 0)
      return s->pulls[i].us;
  return s->pull_default_us;
}

void scn_scenario_free(scn_scenario *s) {
  if (!s)
    return;
  for (size_t i = 0; i < s->n_images; i++) {
    free(s->images[i].match);
    free(s->images[i].exec_path);
    for (char **a = s->images[i].args; a && *a; a++)
      free(*a);
    free(s->images[i].args);
  }
  for (size_t i = 0; i < s->n_faults; i++) {
    free(s->faults[i].task);
    free(s->faults[i].container);
    cJSON_Delete(s->faults[i].params);
  }
  for (size_t i = 0; i < s->n_pulls; i++)
    free(s->pulls[i].match);
  free(s->pulls);
  free(s->credentials_error);
  free(s->images);
  free(s->faults);
  free(s->path);
  free(s->name);
  free(s->description);
  free(s->cluster);
  free(s->load_path);
  free(s->server_family);
  free(s->server_container);
  free(s->service_name);
  free(s->task_definition_path);
  cJSON_Delete(s->task_definition);
  cJSON_Delete(s->expect);
  free(s);
}
