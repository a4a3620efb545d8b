/*
 * output.c - `ecsboot lint` results as text, JSON and SARIF 2.1.0, and the
 * measured timings read from a run's report.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ecsb/version.h"
#include "lnt/lint.h"
#include "rpt/report.h"

int lnt_timings_load(const char *path, lnt_timing **out, size_t *n,
                     ecsb_err *err) {
  rpt_run **runs = NULL;
  size_t nr = 0;
  *out = NULL;
  *n = 0;
  int rc = rpt_report_load(path, &runs, &nr, err);
  if (rc)
    return rc;
  if (nr == 0 || runs[0]->n_ctr == 0) {
    rpt_runs_free(runs, nr);
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s: no container measurements in this report", path);
  }
  const rpt_run *r = runs[0];
  double scale = r->time_scale > 0 ? r->time_scale : 1;
  lnt_timing *t = calloc(r->n_ctr, sizeof *t);
  size_t k = 0;
  for (size_t i = 0; t && i < r->n_ctr; i++) {
    const rpt_stats *st = &r->ctr[i].start_to_healthy;
    if (st->n == 0)
      continue;
    t[k].container = strdup(r->ctr[i].name);
    t[k++].start_to_healthy_s = (double)st->p50 / 1e6 / scale;
  }
  rpt_runs_free(runs, nr);
  if (!t)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  *out = t;
  *n = k;
  return 0;
}

void lnt_timings_free(lnt_timing *t, size_t n) {
  for (size_t i = 0; t && i < n; i++)
    free(t[i].container);
  free(t);
}

static char *text_out(const lnt_result *const *rs, size_t n) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f)
    return NULL;
  for (size_t i = 0; i < n; i++) {
    const lnt_result *r = rs[i];
    size_t c[3] = {0};
    for (size_t k = 0; k < r->n; k++) {
      const lnt_finding *x = &r->findings[k];
      c[x->rule->severity]++;
      if (x->line)
        fprintf(f, "%s:%d: ", r->file, x->line);
      else
        fprintf(f, "%s: ", r->file);
      fprintf(f, "%s %s %s: %s\n  fix: %s\n",
              lnt_severity_name(x->rule->severity), x->rule->code, x->path,
              x->message, x->hint);
    }
    if (r->n == 0)
      fprintf(f, "%s: no findings\n", r->file);
    else
      fprintf(f, "%s: %zu error(s), %zu warning(s), %zu note(s)\n", r->file,
              c[LNT_ERROR], c[LNT_WARNING], c[LNT_INFO]);
  }
  fclose(f);
  return buf;
}

static cJSON *finding_json(const lnt_finding *x) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "code", x->rule->code);
  cJSON_AddStringToObject(o, "rule", x->rule->name);
  cJSON_AddStringToObject(o, "severity", lnt_severity_name(x->rule->severity));
  cJSON_AddStringToObject(o, "path", x->path);
  if (x->line)
    cJSON_AddNumberToObject(o, "line", x->line);
  cJSON_AddStringToObject(o, "message", x->message);
  cJSON_AddStringToObject(o, "hint", x->hint);
  return o;
}

static cJSON *json_out(const lnt_result *const *rs, size_t n) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "version", 1);
  cJSON *files = cJSON_AddArrayToObject(o, "files");
  for (size_t i = 0; i < n; i++) {
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "file", rs[i]->file);
    cJSON_AddNumberToObject(f, "errors",
                            (double)(lnt_count_at(rs[i], LNT_ERROR)));
    cJSON_AddNumberToObject(f, "warnings",
                            (double)(lnt_count_at(rs[i], LNT_WARNING) -
                                     lnt_count_at(rs[i], LNT_ERROR)));
    cJSON *fs = cJSON_AddArrayToObject(f, "findings");
    for (size_t k = 0; k < rs[i]->n; k++)
      cJSON_AddItemToArray(fs, finding_json(&rs[i]->findings[k]));
    cJSON_AddItemToArray(files, f);
  }
  return o;
}

static const char *sarif_level(lnt_severity s) {
  return s == LNT_ERROR ? "error" : s == LNT_WARNING ? "warning" : "note";
}

/* SARIF 2.1.0 (OASIS): one run, the rules in tool.driver.rules, each
 * result pointing at its file (and line) with the JSON path as a logical
 * location. */
static cJSON *sarif_out(const lnt_result *const *rs, size_t n) {
  size_t nr;
  const lnt_rule *rules = lnt_rules(&nr);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "$schema",
                          "https://json.schemastore.org/sarif-2.1.0.json");
  cJSON_AddStringToObject(o, "version", "2.1.0");
  cJSON *runs = cJSON_AddArrayToObject(o, "runs");
  cJSON *run = cJSON_CreateObject();
  cJSON_AddItemToArray(runs, run);
  cJSON *driver =
      cJSON_AddObjectToObject(cJSON_AddObjectToObject(run, "tool"), "driver");
  cJSON_AddStringToObject(driver, "name", "ecsboot lint");
  cJSON_AddStringToObject(driver, "version", ECSB_VERSION);
  cJSON_AddStringToObject(driver, "informationUri",
                          "https://github.com/ecsboot/ecsboot/blob/main/docs/"
                          "lint.md");
  cJSON *ra = cJSON_AddArrayToObject(driver, "rules");
  for (size_t i = 0; i < nr; i++) {
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "id", rules[i].code);
    cJSON_AddStringToObject(r, "name", rules[i].name);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(r, "shortDescription"),
                            "text", rules[i].summary);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(r, "defaultConfiguration"),
                            "level", sarif_level(rules[i].severity));
    cJSON_AddItemToArray(ra, r);
  }
  cJSON *results = cJSON_AddArrayToObject(run, "results");
  for (size_t i = 0; i < n; i++) {
    for (size_t k = 0; k < rs[i]->n; k++) {
      const lnt_finding *x = &rs[i]->findings[k];
      cJSON *res = cJSON_CreateObject();
      cJSON_AddStringToObject(res, "ruleId", x->rule->code);
      cJSON_AddNumberToObject(res, "ruleIndex", (double)(x->rule - rules));
      cJSON_AddStringToObject(res, "level", sarif_level(x->rule->severity));
      char *msg = NULL;
      if (asprintf(&msg, "%s Fix: %s", x->message, x->hint) < 0)
        msg = NULL;
      cJSON_AddStringToObject(cJSON_AddObjectToObject(res, "message"), "text",
                              msg ? msg : x->message);
      free(msg);
      cJSON *loc = cJSON_CreateObject();
      cJSON *pl = cJSON_AddObjectToObject(loc, "physicalLocation");
      cJSON_AddStringToObject(cJSON_AddObjectToObject(pl, "artifactLocation"),
                              "uri", rs[i]->file);
      cJSON_AddNumberToObject(cJSON_AddObjectToObject(pl, "region"),
                              "startLine", x->line > 0 ? x->line : 1);
      cJSON *ll = cJSON_CreateObject();
      cJSON_AddStringToObject(ll, "fullyQualifiedName", x->path);
      cJSON_AddStringToObject(ll, "kind", "member");
      cJSON_AddItemToArray(cJSON_AddArrayToObject(loc, "logicalLocations"), ll);
      cJSON_AddItemToArray(cJSON_AddArrayToObject(res, "locations"), loc);
      cJSON_AddItemToArray(results, res);
    }
  }
  return o;
}

char *lnt_render(const lnt_result *const *rs, size_t n, lnt_format fmt) {
  if (fmt == LNT_TEXT)
    return text_out(rs, n);
  cJSON *o = fmt == LNT_JSON ? json_out(rs, n) : sarif_out(rs, n);
  char *s = cJSON_Print(o);
  cJSON_Delete(o);
  if (!s)
    return NULL;
  size_t l = strlen(s);
  char *t = realloc(s, l + 2);
  if (!t)
    return s;
  t[l] = '\n';
  t[l + 1] = '\0';
  return t;
}
