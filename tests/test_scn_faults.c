/* test_scn_faults.c - the fault catalogue (scn/faults.h) is one table:
 * it is indexed by kind, its defaults are well-formed, and the two places
 * written by hand from it, scenarios/schema.json and the faults table of
 * docs/scenarios.md, list exactly its faults with the same parameters.
 * A disagreement names the fault and what differs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/buf.h"
#include "ecsb/duration.h"
#include "ecsb/fileio.h"
#include "ecsb/json.h"
#include "scn/faults.h"

#define MAX_DOC (1u << 20)

static char *read_source(const char *rel, size_t *len) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", ECSB_SOURCE_DIR, rel);
  char *text = NULL;
  ecsb_err err = {0};
  if (ecsb_read_file(path, MAX_DOC, &text, len, &err) != 0)
    fail_msg("%s", err.msg);
  return text;
}

static const char *target_name(const scn_fault_spec *fs) {
  return scn_fault_target_of(fs->target)->name;
}

/* The parameters of one fault as a source lists them: "name:type!" each,
 * sorted by the table's order when known, so two lists compare as text. */
typedef struct listed {
  char target[32];
  char action[32];
  char params[160]; /* "delay!,operation" (the docs) or with types */
  bool container;   /* the schema: "container" is required */
  bool seen;        /* matched a row of the table */
} listed;

static const char *type_name(scn_fault_param_type t) {
  switch (t) {
  case SCN_PARAM_DURATION:
    return "duration";
  case SCN_PARAM_INTEGER:
    return "integer";
  case SCN_PARAM_NUMBER:
    return "number";
  default:
    return "string";
  }
}

/* The table's parameters in a source's form: with types for the schema,
 * names only for the docs. */
static void table_params(const scn_fault_spec *fs, bool typed, char *buf,
                         size_t cap) {
  size_t n = 0;
  buf[0] = '\0';
  for (const scn_fault_param *p = fs->params; p->name && n < cap; p++)
    n += (size_t)snprintf(buf + n, cap - n, "%s%s%s%s%s", n ? "," : "", p->name,
                          typed ? ":" : "", typed ? type_name(p->type) : "",
                          p->required ? "!" : "");
}

/* Compares the rows found in a source with the table; every difference
 * goes into `report`, one line each. */
static void compare(const char *source, listed *rows, size_t n, bool typed,
                    bool check_container, ecsb_buf *report) {
  for (int k = 0; k < SCN_FAULT_KIND_COUNT; k++) {
    const scn_fault_spec *fs = scn_fault_spec_of((scn_fault_kind)k);
    listed *row = NULL;
    for (size_t i = 0; i < n && !row; i++)
      if (!strcmp(rows[i].target, target_name(fs)) &&
          !strcmp(rows[i].action, fs->action))
        row = &rows[i];
    if (!row) {
      ecsb_buf_printf(report, "%s: missing fault %s %s\n", source,
                      target_name(fs), fs->action);
      continue;
    }
    row->seen = true;
    char want[160];
    table_params(fs, typed, want, sizeof want);
    if (strcmp(want, row->params) != 0)
      ecsb_buf_printf(report,
                      "%s: fault %s %s: params \"%s\", the table has \"%s\"\n",
                      source, row->target, row->action, row->params, want);
    bool needs = scn_fault_target_of(fs->target)->needs_container;
    if (check_container && needs != row->container)
      ecsb_buf_printf(report, "%s: fault %s %s: container %s, the table %s\n",
                      source, row->target, row->action,
                      row->container ? "required" : "not required",
                      needs ? "requires it" : "does not");
  }
  for (size_t i = 0; i < n; i++)
    if (!rows[i].seen)
      ecsb_buf_printf(report, "%s: extra fault %s %s (not in the table)\n",
                      source, rows[i].target, rows[i].action);
}

static void fail_on(ecsb_buf *report) {
  if (report->len)
    fail_msg("%s", report->s);
  ecsb_buf_free(report);
}

static void test_table_is_indexed_by_kind_and_names_each_once(void **state) {
  (void)state;
  for (int k = 0; k < SCN_FAULT_KIND_COUNT; k++) {
    const scn_fault_spec *fs = scn_fault_spec_of((scn_fault_kind)k);
    assert_non_null(fs);
    assert_int_equal(fs->kind, k);
    assert_non_null(fs->action);
    assert_non_null(fs->description);
    assert_true(*fs->description);
    scn_fault_kind found;
    assert_int_equal(scn_fault_lookup(target_name(fs), fs->action, &found), 0);
    assert_int_equal(found, k);
  }
  for (int t = 0; t < SCN_TARGET_COUNT; t++) {
    assert_non_null(scn_fault_target_of((scn_fault_target)t)->name);
    assert_non_null(scn_fault_target_of((scn_fault_target)t)->targets);
  }
  scn_fault_kind k;
  assert_int_equal(scn_fault_lookup("moon", "x", &k), -1);
  assert_int_equal(scn_fault_lookup("agent", "explode", &k), -2);
  assert_null(scn_fault_spec_of(SCN_FAULT_KIND_COUNT));
}

static void test_defaults_are_well_formed_and_optional(void **state) {
  (void)state;
  for (int k = 0; k < SCN_FAULT_KIND_COUNT; k++) {
    const scn_fault_spec *fs = scn_fault_spec_of((scn_fault_kind)k);
    for (const scn_fault_param *p = fs->params; p->name; p++) {
      if (!p->def)
        continue;
      if (p->required)
        fail_msg("%s %s: required %s has a default", target_name(fs),
                 fs->action, p->name);
      if (p->type == SCN_PARAM_DURATION) {
        int64_t ns;
        ecsb_err e = {0};
        if (ecsb_duration_parse(p->def, &ns, &e) != 0)
          fail_msg("%s %s: %s: %s", target_name(fs), fs->action, p->name,
                   e.msg);
      } else if (p->type != SCN_PARAM_STRING) {
        char *end;
        strtod(p->def, &end);
        if (*end)
          fail_msg("%s %s: %s: default \"%s\" is not a number", target_name(fs),
                   fs->action, p->name, p->def);
      }
    }
  }
}

static void test_params_fall_back_to_the_table(void **state) {
  (void)state;
  cJSON *given = cJSON_Parse("{\"status\":503,\"restart_after\":\"2s\"}");
  assert_non_null(given);
  assert_true(scn_fault_param_num(SCN_FAULT_AGENT_REGISTER_ERROR, given,
                                  "status") == 503);
  assert_true(
      scn_fault_param_num(SCN_FAULT_AGENT_REGISTER_ERROR, given, "count") == 1);
  assert_string_equal(
      scn_fault_param_str(SCN_FAULT_AGENT_REGISTER_ERROR, given, "body"),
      "injected by ecsboot");
  assert_int_equal(
      scn_fault_param_dur_us(SCN_FAULT_AGENT_CRASH, given, "restart_after"),
      2000000);
  assert_true(
      scn_fault_param_num(SCN_FAULT_CONTAINER_CRASH_AFTER, given, "code") == 1);
  assert_null(scn_fault_param_str(SCN_FAULT_TASK_STOP, given, "reason"));
  cJSON_Delete(given);
}

/* ---- scenarios/schema.json ------------------------------------------- */

static const char *schema_type(const cJSON *prop) {
  const cJSON *ref = cJSON_GetObjectItemCaseSensitive(prop, "$ref");
  if (cJSON_IsString(ref) && strstr(ref->valuestring, "/duration"))
    return "duration";
  const char *t =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(prop, "type"));
  return t ? t : "?";
}

static bool has_string(const cJSON *arr, const char *s) {
  const cJSON *c;
  cJSON_ArrayForEach(c, arr) if (cJSON_IsString(c) &&
                                 !strcmp(c->valuestring, s)) return true;
  return false;
}

static void test_schema_lists_the_catalogue(void **state) {
  (void)state;
  size_t len;
  char *text = read_source("scenarios/schema.json", &len);
  cJSON *doc = NULL;
  ecsb_err err = {0};
  if (ecsb_json_parse(text, len, "schema.json", &doc, &err) != 0)
    fail_msg("%s", err.msg);
  free(text);
  const cJSON *any = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(
          cJSON_GetObjectItemCaseSensitive(doc, "$defs"), "fault"),
      "anyOf");
  assert_true(cJSON_IsArray(any));
  size_t n = (size_t)cJSON_GetArraySize(any);
  listed *rows = calloc(n + 1, sizeof *rows);
  assert_non_null(rows);
  const cJSON *alt;
  size_t i = 0;
  cJSON_ArrayForEach(alt, any) {
    listed *row = &rows[i++];
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(alt, "properties");
    const cJSON *req = cJSON_GetObjectItemCaseSensitive(alt, "required");
    const char *tg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(props, "target"), "const"));
    const char *ac = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(props, "action"), "const"));
    snprintf(row->target, sizeof row->target, "%s", tg ? tg : "?");
    snprintf(row->action, sizeof row->action, "%s", ac ? ac : "?");
    row->container = has_string(req, "container");
    /* Listed in the table's order where the table knows the fault, so
     * only a real difference shows. */
    const cJSON *pp = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(props, "params"), "properties");
    const cJSON *preq = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(props, "params"), "required");
    size_t w = 0;
    scn_fault_kind kind;
    bool known = scn_fault_lookup(row->target, row->action, &kind) == 0;
    if (known) {
      for (const scn_fault_param *p = scn_fault_spec_of(kind)->params; p->name;
           p++) {
        const cJSON *prop = cJSON_GetObjectItemCaseSensitive(pp, p->name);
        if (prop)
          w += (size_t)snprintf(row->params + w, sizeof row->params - w,
                                "%s%s:%s%s", w ? "," : "", p->name,
                                schema_type(prop),
                                has_string(preq, p->name) ? "!" : "");
      }
    }
    const cJSON *prop;
    cJSON_ArrayForEach(prop, pp) {
      if (known && scn_fault_param_of(kind, prop->string))
        continue;
      w +=
          (size_t)snprintf(row->params + w, sizeof row->params - w, "%s%s:%s%s",
                           w ? "," : "", prop->string, schema_type(prop),
                           has_string(preq, prop->string) ? "!" : "");
    }
    /* A fault with a required parameter needs "params" itself. */
    bool needs_params = preq && cJSON_GetArraySize(preq) > 0;
    if (needs_params != has_string(req, "params"))
      fail_msg("schema.json: fault %s %s: \"params\" is %srequired though it "
               "%s required parameters",
               row->target, row->action, needs_params ? "not " : "",
               needs_params ? "has" : "has no");
  }
  ecsb_buf report = {0};
  compare("scenarios/schema.json", rows, n, true, true, &report);
  free(rows);
  cJSON_Delete(doc);
  fail_on(&report);
}

/* ---- docs/scenarios.md ----------------------------------------------- */

/* The backticked words of a table cell, text in parentheses left out; a
 * '!' right after a word marks it required. */
static size_t cell_words(const char *cell, size_t len, char words[][40],
                         bool *required, size_t max) {
  size_t n = 0;
  int depth = 0;
  for (size_t i = 0; i < len; i++) {
    if (cell[i] == '(')
      depth++;
    else if (cell[i] == ')')
      depth--;
    else if (cell[i] == '`' && depth == 0 && n < max) {
      const char *end = memchr(cell + i + 1, '`', len - i - 1);
      if (!end)
        break;
      size_t wl = (size_t)(end - (cell + i + 1));
      snprintf(words[n], 40, "%.*s", (int)(wl < 39 ? wl : 39), cell + i + 1);
      size_t after = (size_t)(end - cell) + 1;
      required[n] = after < len && cell[after] == '!';
      n++;
      i = (size_t)(end - cell);
    }
  }
  return n;
}

static void test_docs_list_the_catalogue(void **state) {
  (void)state;
  size_t len;
  char *text = read_source("docs/scenarios.md", &len);
  const char *sec = strstr(text, "\n## `faults`");
  assert_non_null(sec);
  const char *tab = strstr(sec, "\n| target | action | params");
  assert_non_null(tab);
  listed rows[128];
  size_t n = 0;
  const char *line = strchr(tab + 1, '\n') + 1; /* the header */
  line = strchr(line, '\n') + 1;                /* |---| */
  while (*line == '|') {
    const char *eol = strchr(line, '\n');
    if (!eol)
      eol = line + strlen(line);
    /* three cells: | targets | actions | params | */
    const char *c1 = line + 1, *c2 = memchr(c1, '|', (size_t)(eol - c1));
    assert_non_null(c2);
    c2++;
    const char *c3 = memchr(c2, '|', (size_t)(eol - c2));
    assert_non_null(c3);
    c3++;
    const char *c4 = memchr(c3, '|', (size_t)(eol - c3));
    assert_non_null(c4);
    char tg[8][40], ac[8][40], pa[8][40];
    bool rq[8], unused[8];
    size_t nt = cell_words(c1, (size_t)(c2 - 1 - c1), tg, unused, 8);
    size_t na = cell_words(c2, (size_t)(c3 - 1 - c2), ac, unused, 8);
    size_t np = cell_words(c3, (size_t)(c4 - c3), pa, rq, 8);
    for (size_t t = 0; t < nt; t++)
      for (size_t a = 0; a < na && n < 128; a++) {
        listed *row = &rows[n++];
        memset(row, 0, sizeof *row);
        snprintf(row->target, sizeof row->target, "%s", tg[t]);
        snprintf(row->action, sizeof row->action, "%s", ac[a]);
        size_t w = 0;
        for (size_t p = 0; p < np; p++)
          w +=
              (size_t)snprintf(row->params + w, sizeof row->params - w,
                               "%s%s%s", w ? "," : "", pa[p], rq[p] ? "!" : "");
      }
    line = *eol ? eol + 1 : eol;
  }
  free(text);
  assert_true(n > 0);
  ecsb_buf report = {0};
  compare("docs/scenarios.md", rows, n, false, false, &report);
  fail_on(&report);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table_is_indexed_by_kind_and_names_each_once),
      cmocka_unit_test(test_defaults_are_well_formed_and_optional),
      cmocka_unit_test(test_params_fall_back_to_the_table),
      cmocka_unit_test(test_schema_lists_the_catalogue),
      cmocka_unit_test(test_docs_list_the_catalogue),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
