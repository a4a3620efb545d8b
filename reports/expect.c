/*
 * expect.c - parser of the expectation language (docs/expectations.md).
 * Strict: an unknown field, pattern word, milestone, status or invariant
 * is an error naming its JSON path and the accepted values, because a typo
 * in a chaos scenario would otherwise silently test nothing. Evaluation is
 * in expect_eval.c.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/duration.h"
#include "expect_impl.h"
#include "rpt/strbuf.h"

static const char *const events[] = {
    "pending", "started", "healthy", "unhealthy", "exited",
    "killed",  "waiting", "pulling", "pulled",    "restarting"};
static const char *const roles[] = {
    "discover-servers", "consul-client", "mesh-init", "sidecar-proxy",
    "health-sync",      "consul-server", "app"};
static const char *const statuses[] = {
    "PROVISIONING", "PENDING",  "ACTIVATING",     "RUNNING",
    "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"};
static const char *const invariants[] = {"app_after_proxy_healthy",
                                         "t4_requires_passing_checks"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *rpt_pat_event_name(pat_ev ev) {
  return (size_t)ev < COUNT(events) ? events[ev] : "?";
}

static int find_word(const char *const *list, size_t n, const char *w) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(list[i], w) == 0)
      return (int)i;
  return -1;
}

static void join(char *buf, size_t cap, const char *const *list, size_t n) {
  size_t off = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < n && off < cap; i++)
    off +=
        (size_t)snprintf(buf + off, cap - off, "%s%s", i ? ", " : "", list[i]);
}

static void pattern_clear(rpt_pattern *p) {
  free(p->text);
  free(p->name);
  free(p->signal);
  free(p->status);
  memset(p, 0, sizeof *p);
}

static int nomem(ecsb_err *err) {
  return ecsb_err_set(err, ECSB_ENOMEM, "out of memory parsing expectations");
}

static bool valid_container_name(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 255)
    return false;
  for (; *s; s++)
    if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
      return false;
  return true;
}

/* <container> <event>[(<arg>)] | task <STATUS> | T0..T4 | S0..S4 */
static int pattern_parse(const char *text, const char *path, rpt_pattern *p,
                         ecsb_err *err) {
  char list[200];
  memset(p, 0, sizeof *p);
  if (!(p->text = strdup(text)))
    return nomem(err);
  int ms = rpt_ms_parse(text);
  if (ms >= 0) {
    p->type = PAT_MILESTONE;
    p->milestone = ms;
    return 0;
  }
  const char *sp = strchr(text, ' ');
  if (!sp || sp == text || strchr(sp + 1, ' ') || sp[1] == '\0')
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s: \"%s\": expected \"<container> <event>\", "
                        "\"task <STATUS>\" or a milestone T0..T4, S0..S4",
                        path, text);
  size_t sel_len = (size_t)(sp - text);
  const char *ev = sp + 1;
  if (sel_len == 4 && strncmp(text, "task", 4) == 0 &&
      isupper((unsigned char)ev[0])) {
    if (find_word(statuses, COUNT(statuses), ev) < 0) {
      join(list, sizeof list, statuses, COUNT(statuses));
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s: \"%s\": unknown task status \"%s\" (expected "
                          "one of %s)",
                          path, text, ev, list);
    }
    p->type = PAT_TASK_STATUS;
    return (p->status = strdup(ev)) ? 0 : nomem(err);
  }
  p->type = PAT_CONTAINER;
  if (sel_len == 1 && text[0] == '*') {
    p->sel = SEL_ANY;
  } else if (sel_len > 5 && strncmp(text, "role:", 5) == 0) {
    p->sel = SEL_ROLE;
    if (!(p->name = strndup(text + 5, sel_len - 5)))
      return nomem(err);
    if (find_word(roles, COUNT(roles), p->name) < 0) {
      join(list, sizeof list, roles, COUNT(roles));
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s: \"%s\": unknown role \"%s\" (expected one of "
                          "%s)",
                          path, text, p->name, list);
    }
  } else {
    p->sel = SEL_NAME;
    if (!(p->name = strndup(text, sel_len)))
      return nomem(err);
    if (!valid_container_name(p->name))
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s: \"%s\": \"%s\" is not a container name "
                          "(letters, digits, - and _), role:<role> or *",
                          path, text, p->name);
  }
  const char *paren = strchr(ev, '(');
  size_t ev_len = paren ? (size_t)(paren - ev) : strlen(ev);
  int k = -1;
  for (size_t i = 0; i < COUNT(events); i++)
    if (strlen(events[i]) == ev_len && strncmp(events[i], ev, ev_len) == 0)
      k = (int)i;
  if (k < 0) {
    join(list, sizeof list, events, COUNT(events));
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s: \"%s\": unknown event \"%.*s\" (expected one of "
                        "%s)",
                        path, text, (int)ev_len, ev, list);
  }
  p->ev = (pat_ev)k;
  if (!paren)
    return 0;
  size_t plen = strlen(paren);
  if (plen < 3 || paren[plen - 1] != ')')
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s: \"%s\": expected \"%s(<argument>)\"", path, text,
                        events[k]);
  char arg[64];
  if (plen - 2 >= sizeof arg)
    return ecsb_err_set(err, ECSB_EINVAL, "%s: \"%s\": argument too long", path,
                        text);
  memcpy(arg, paren + 1, plen - 2);
  arg[plen - 2] = '\0';
  if (p->ev == EV_EXITED) {
    const char *num = arg;
    if (*num == '!') {
      p->code_not = true;
      num++;
    }
    char *end = NULL;
    long v = *num ? strtol(num, &end, 10) : 0;
    if (!*num || *end || v < -255 || v > 255)
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s: \"%s\": exited takes an exit code or !code, "
                          "e.g. exited(0) or exited(!0)",
                          path, text);
    p->has_code = true;
    p->code = (int)v;
    return 0;
  }
  if (p->ev == EV_KILLED) {
    bool ok = strncmp(arg, "SIG", 3) == 0 && arg[3];
    for (const char *c = arg + 3; ok && *c; c++)
      ok = isupper((unsigned char)*c) || isdigit((unsigned char)*c);
    if (!ok)
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s: \"%s\": killed takes a signal name, e.g. "
                          "killed(SIGKILL)",
                          path, text);
    return (p->signal = strdup(arg)) ? 0 : nomem(err);
  }
  return ecsb_err_set(err, ECSB_EINVAL,
                      "%s: \"%s\": %s takes no argument (only exited(code) "
                      "and killed(SIGNAL) do)",
                      path, text, events[k]);
}

static void item_clear(xitem *it) {
  free(it->name);
  free(it->path);
  free(it->str);
  pattern_clear(&it->first);
  pattern_clear(&it->then);
}

void rpt_expect_free(rpt_expect *x) {
  if (!x)
    return;
  for (size_t i = 0; i < x->n; i++)
    item_clear(&x->items[i]);
  free(x->items);
  free(x);
}

static xitem *add_item(rpt_expect *x, xkind kind, const char *path) {
  xitem *ni = realloc(x->items, (x->n + 1) * sizeof *ni);
  if (!ni)
    return NULL;
  x->items = ni;
  xitem *it = &ni[x->n];
  memset(it, 0, sizeof *it);
  it->kind = kind;
  if (!(it->path = strdup(path)))
    return NULL;
  x->n++;
  return it;
}

__attribute__((format(printf, 2, 3))) static int
set_name(xitem *it, const char *fmt, ...) {
  ecsb_buf nb;
  ecsb_buf_init(&nb);
  va_list ap;
  va_start(ap, fmt);
  ecsb_buf_vprintf(&nb, fmt, ap);
  va_end(ap);
  it->name = ecsb_buf_take(&nb);
  return it->name ? 0 : ECSB_ENOMEM;
}

/* Rejects keys not in allowed (NULL-terminated). */
static int only_keys(const cJSON *o, const char *path,
                     const char *const *allowed, ecsb_err *err) {
  const cJSON *c;
  cJSON_ArrayForEach(c, o) {
    size_t n = 0;
    bool ok = false;
    for (; allowed[n]; n++)
      ok = ok || strcmp(allowed[n], c->string) == 0;
    if (!ok) {
      char list[200];
      join(list, sizeof list, allowed, n);
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s.%s: unknown field (expected %s)", path, c->string,
                          list);
    }
  }
  return 0;
}

static int get_string(const cJSON *o, const char *path, const char *key,
                      bool required, const char **out, ecsb_err *err) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!v) {
    if (required)
      return ecsb_err_set(err, ECSB_EINVAL, "%s.%s: required", path, key);
    return 0;
  }
  if (!cJSON_IsString(v) || !v->valuestring[0])
    return ecsb_err_set(err, ECSB_EINVAL, "%s.%s: expected a non-empty string",
                        path, key);
  *out = v->valuestring;
  return 0;
}

static int get_bool(const cJSON *o, const char *path, const char *key,
                    bool *out, ecsb_err *err) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!v)
    return 0;
  if (!cJSON_IsBool(v))
    return ecsb_err_set(err, ECSB_EINVAL, "%s.%s: expected true or false", path,
                        key);
  *out = cJSON_IsTrue(v);
  return 0;
}

static int parse_order(rpt_expect *x, const cJSON *arr, const char *path,
                       ecsb_err *err) {
  static const char *const keys[] = {"first",        "then", "every",
                                     "require_then", "name", NULL};
  if (!cJSON_IsArray(arr))
    return ecsb_err_set(err, ECSB_EINVAL, "%s: expected an array", path);
  int i = 0;
  const cJSON *o;
  cJSON_ArrayForEach(o, arr) {
    char p[128], fp[160];
    rpt_pathf(p, sizeof p, "%s[%d]", path, i++);
    if (!cJSON_IsObject(o))
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s: expected an object {\"first\": ..., "
                          "\"then\": ...}",
                          p);
    int rc;
    const char *first = NULL, *then = NULL, *name = NULL;
    if ((rc = only_keys(o, p, keys, err)) ||
        (rc = get_string(o, p, "first", true, &first, err)) ||
        (rc = get_string(o, p, "then", true, &then, err)) ||
        (rc = get_string(o, p, "name", false, &name, err)))
      return rc;
    xitem *it = add_item(x, X_ORDER, p);
    if (!it)
      return nomem(err);
    if ((rc = get_bool(o, p, "every", &it->every, err)) ||
        (rc = get_bool(o, p, "require_then", &it->require_then, err)))
      return rc;
    rpt_pathf(fp, sizeof fp, "%s.first", p);
    if ((rc = pattern_parse(first, fp, &it->first, err)))
      return rc;
    rpt_pathf(fp, sizeof fp, "%s.then", p);
    if ((rc = pattern_parse(then, fp, &it->then, err)))
      return rc;
    if (name)
      rc = set_name(it, "%s", name);
    else
      rc = set_name(
          it, it->every ? "order: %s before every %s" : "order: %s before %s",
          first, then);
    if (rc)
      return nomem(err);
  }
  return 0;
}

static int parse_milestones(rpt_expect *x, const cJSON *obj, const char *path,
                            ecsb_err *err) {
  static const char *const keys[] = {"within", "never", "reached", NULL};
  if (!cJSON_IsObject(obj))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s: expected an object like {\"T4\": {\"within\": "
                        "\"90s\"}}",
                        path);
  const cJSON *o;
  cJSON_ArrayForEach(o, obj) {
    char p[128];
    rpt_pathf(p, sizeof p, "%s.%s", path, o->string);
    int ms = rpt_ms_parse(o->string);
    if (ms < 0)
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s: unknown milestone (expected T0..T4 or S0..S4)",
                          p);
    if (!cJSON_IsObject(o))
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s: expected an object with within, never or "
                          "reached",
                          p);
    int rc = only_keys(o, p, keys, err);
    if (rc)
      return rc;
    if (cJSON_GetArraySize(o) != 1)
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s: give exactly one of within, never, reached", p);
    xitem *it = add_item(x, X_MILESTONE, p);
    if (!it)
      return nomem(err);
    it->ms = ms;
    const cJSON *v = o->child;
    char wp[160];
    rpt_pathf(wp, sizeof wp, "%s.%s", p, v->string);
    if (strcmp(v->string, "within") == 0) {
      it->mode = MS_WITHIN;
      ecsb_err derr = {0};
      if (!cJSON_IsString(v))
        return ecsb_err_set(err, ECSB_EINVAL,
                            "%s: expected a duration string such as \"90s\"",
                            wp);
      if (ecsb_duration_parse(v->valuestring, &it->within_ns, &derr) != 0)
        return ecsb_err_set(err, ECSB_EINVAL, "%s: %s", wp, derr.msg);
      if (it->within_ns <= 0)
        return ecsb_err_set(err, ECSB_EINVAL,
                            "%s: the deadline must be positive", wp);
      rc = set_name(it, "%s within %s", o->string, v->valuestring);
    } else {
      if (!cJSON_IsTrue(v))
        return ecsb_err_set(err, ECSB_EINVAL,
                            "%s: only true is meaningful (remove the "
                            "milestone to expect nothing)",
                            wp);
      it->mode = strcmp(v->string, "never") == 0 ? MS_NEVER : MS_REACHED;
      rc = set_name(it, it->mode == MS_NEVER ? "%s never" : "%s reached",
                    o->string);
    }
    if (rc)
      return nomem(err);
  }
  return 0;
}

static int parse_final(rpt_expect *x, const cJSON *obj, const char *path,
                       ecsb_err *err) {
  static const char *const keys[] = {"task_status",          "stop_code",
                                     "stop_reason_contains", "service_passing",
                                     "failed_requests",      NULL};
  if (!cJSON_IsObject(obj))
    return ecsb_err_set(err, ECSB_EINVAL, "%s: expected an object", path);
  int rc = only_keys(obj, path, keys, err);
  if (rc)
    return rc;
  const cJSON *o;
  cJSON_ArrayForEach(o, obj) {
    char p[128];
    rpt_pathf(p, sizeof p, "%s.%s", path, o->string);
    final_kind k =
        strcmp(o->string, "task_status") == 0            ? F_TASK_STATUS
        : strcmp(o->string, "stop_code") == 0            ? F_STOP_CODE
        : strcmp(o->string, "stop_reason_contains") == 0 ? F_STOP_REASON
        : strcmp(o->string, "failed_requests") == 0      ? F_FAILED_REQUESTS
                                                         : F_SERVICE_PASSING;
    xitem *it = add_item(x, X_FINAL, p);
    if (!it)
      return nomem(err);
    it->fkind = k;
    if (k == F_FAILED_REQUESTS) {
      /* N (at most N), or {"at_most": N} / {"at_least": N} */
      it->max_failed = it->min_failed = -1;
      const cJSON *most = cJSON_IsNumber(o)
                              ? o
                              : cJSON_GetObjectItemCaseSensitive(o, "at_most");
      const cJSON *least = cJSON_IsObject(o)
                               ? cJSON_GetObjectItemCaseSensitive(o, "at_least")
                               : NULL;
      static const char *const fkeys[] = {"at_most", "at_least", NULL};
      if (cJSON_IsObject(o) && (rc = only_keys(o, p, fkeys, err)))
        return rc;
      const cJSON *b[2] = {most, least};
      for (int q = 0; q < 2; q++)
        if (b[q] && (!cJSON_IsNumber(b[q]) || b[q]->valuedouble < 0 ||
                     b[q]->valuedouble != (double)(int64_t)b[q]->valuedouble))
          return ecsb_err_set(err, ECSB_EINVAL,
                              "%s: expected an integer >= 0, or {\"at_most\": "
                              "N} / {\"at_least\": N}",
                              p);
      if (!most && !least)
        return ecsb_err_set(err, ECSB_EINVAL,
                            "%s: expected an integer >= 0, or {\"at_most\": "
                            "N} / {\"at_least\": N}",
                            p);
      char num[64] = "";
      if (most) {
        it->max_failed = (int64_t)most->valuedouble;
        snprintf(num, sizeof num, "<= %lld", (long long)it->max_failed);
      }
      if (least) {
        it->min_failed = (int64_t)least->valuedouble;
        size_t l = strlen(num);
        snprintf(num + l, sizeof num - l, "%s>= %lld", l ? ", " : "",
                 (long long)it->min_failed);
      }
      rc = set_name(it, "final: failed_requests %s", num);
    } else if (k == F_SERVICE_PASSING) {
      if (!cJSON_IsBool(o))
        return ecsb_err_set(err, ECSB_EINVAL, "%s: expected true or false", p);
      it->want = cJSON_IsTrue(o);
      rc = set_name(it, "final: service_passing %s",
                    it->want ? "true" : "false");
    } else {
      if (!cJSON_IsString(o) || !o->valuestring[0])
        return ecsb_err_set(err, ECSB_EINVAL, "%s: expected a non-empty string",
                            p);
      if (k == F_TASK_STATUS &&
          find_word(statuses, COUNT(statuses), o->valuestring) < 0) {
        char list[200];
        join(list, sizeof list, statuses, COUNT(statuses));
        return ecsb_err_set(err, ECSB_EINVAL,
                            "%s: unknown task status \"%s\" (expected one of "
                            "%s)",
                            p, o->valuestring, list);
      }
      if (!(it->str = strdup(o->valuestring)))
        return nomem(err);
      rc =
          set_name(it, k == F_STOP_REASON ? "final: %s \"%s\"" : "final: %s %s",
                   o->string, o->valuestring);
    }
    if (rc)
      return nomem(err);
  }
  return 0;
}

static int parse_invariants(rpt_expect *x, const cJSON *arr, const char *path,
                            ecsb_err *err) {
  if (!cJSON_IsArray(arr))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s: expected an array of invariant names", path);
  int i = 0;
  const cJSON *o;
  cJSON_ArrayForEach(o, arr) {
    char p[128];
    rpt_pathf(p, sizeof p, "%s[%d]", path, i++);
    int k = cJSON_IsString(o)
                ? find_word(invariants, COUNT(invariants), o->valuestring)
                : -1;
    if (k < 0) {
      char list[200];
      join(list, sizeof list, invariants, COUNT(invariants));
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s: unknown invariant%s%s%s (expected one of %s)", p,
                          cJSON_IsString(o) ? " \"" : "",
                          cJSON_IsString(o) ? o->valuestring : "",
                          cJSON_IsString(o) ? "\"" : "", list);
    }
    xitem *it = add_item(x, X_INVARIANT, p);
    if (!it)
      return nomem(err);
    it->inv = (inv_kind)k;
    if (set_name(it, "invariant: %s", invariants[k]))
      return nomem(err);
  }
  return 0;
}

int rpt_check_container_name(const char *path, const char *name,
                             const char *const *names, size_t n,
                             ecsb_err *err) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(names[i], name) == 0)
      return 0;
  ecsb_buf known;
  ecsb_buf_init(&known);
  ecsb_buf_join(&known, names, n, ", ");
  int rc = ecsb_err_set(err, ECSB_EINVAL,
                        "%s: \"%s\" names no container of the task "
                        "definition (its containers: %s)",
                        path, name, known.s ? known.s : "none");
  ecsb_buf_free(&known);
  return rc;
}

static int check_pattern(const rpt_pattern *p, const char *path,
                         const char *field, const char *const *names, size_t n,
                         ecsb_err *err) {
  if (p->type != PAT_CONTAINER || p->sel != SEL_NAME)
    return 0;
  char where[320];
  rpt_pathf(where, sizeof where, "%s.%s", path, field);
  return rpt_check_container_name(where, p->name, names, n, err);
}

int rpt_expect_check_containers(const rpt_expect *x, const char *const *names,
                                size_t n, ecsb_err *err) {
  for (size_t i = 0; x && i < x->n; i++) {
    const xitem *it = &x->items[i];
    if (it->kind != X_ORDER)
      continue;
    int rc = check_pattern(&it->first, it->path, "first", names, n, err);
    if (!rc)
      rc = check_pattern(&it->then, it->path, "then", names, n, err);
    if (rc)
      return rc;
  }
  return 0;
}

int rpt_expect_parse(const cJSON *expect, const char *path, rpt_expect **out,
                     ecsb_err *err) {
  static const char *const keys[] = {"order", "milestones", "final",
                                     "invariants", NULL};
  *out = NULL;
  if (!path)
    path = "$.expect";
  rpt_expect *x = calloc(1, sizeof *x);
  if (!x)
    return nomem(err);
  int rc = 0;
  if (!expect || cJSON_IsNull(expect))
    goto done;
  if (!cJSON_IsObject(expect)) {
    rc = ecsb_err_set(err, ECSB_EINVAL, "%s: expected an object", path);
    goto fail;
  }
  if ((rc = only_keys(expect, path, keys, err)))
    goto fail;
  /* Fixed order (order, milestones, final, invariants) so verdicts list
   * the same way whatever the key order in the file. */
  for (int k = 0; keys[k]; k++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(expect, keys[k]);
    if (!v)
      continue;
    char p[128];
    rpt_pathf(p, sizeof p, "%s.%s", path, keys[k]);
    rc = k == 0   ? parse_order(x, v, p, err)
         : k == 1 ? parse_milestones(x, v, p, err)
         : k == 2 ? parse_final(x, v, p, err)
                  : parse_invariants(x, v, p, err);
    if (rc)
      goto fail;
  }
done:
  *out = x;
  return 0;
fail:
  rpt_expect_free(x);
  return rc;
}

size_t rpt_expect_count(const rpt_expect *x) {
  return x ? x->n : 0;
}

const char *rpt_expect_name(const rpt_expect *x, size_t i) {
  return x && i < x->n ? x->items[i].name : NULL;
}

const char *rpt_expect_path(const rpt_expect *x, size_t i) {
  return x && i < x->n ? x->items[i].path : NULL;
}
