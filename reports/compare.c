/*
 * compare.c - baseline comparison (compare.h). Figures come from the
 * model's fleet statistics, so an event log and the JSON report of the
 * same run compare identically. Relative changes are against the base;
 * a base of zero compares by the absolute floor alone.
 */
#include "rpt/compare.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rpt_compare_threshold_parse(const char *s, double *out, ecsb_err *err) {
  char *end = NULL;
  double v = s ? strtod(s, &end) : NAN;
  if (!s || end == s || (*end && strcmp(end, "%") != 0) || !isfinite(v) ||
      v < 0 || v > 1000)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "--threshold: \"%s\" is not a percentage such as 10%%",
                        s ? s : "");
  *out = v / 100.0;
  return 0;
}

static rpt_mark mark(int64_t base, int64_t cur, const rpt_compare_opts *o) {
  if (base == RPT_ABSENT || cur == RPT_ABSENT)
    return RPT_SAME;
  int64_t d = cur - base;
  int64_t ad = d < 0 ? -d : d;
  if (ad < o->min_delta_us)
    return RPT_SAME;
  if (base > 0 && (double)ad <= o->threshold * (double)base)
    return RPT_SAME;
  return d > 0 ? RPT_SLOWER : RPT_FASTER;
}

static int add_row(rpt_compare *c, const char *scenario, const char *metric,
                   const rpt_stats *base, size_t base_of, const rpt_stats *cur,
                   size_t cur_of, const rpt_compare_opts *o) {
  rpt_compare_row *nr = realloc(c->rows, (c->n + 1) * sizeof *nr);
  if (!nr)
    return ECSB_ENOMEM;
  c->rows = nr;
  rpt_compare_row *r = &nr[c->n];
  memset(r, 0, sizeof *r);
  r->scenario = strdup(scenario);
  r->metric = strdup(metric);
  c->n++;
  if (!r->scenario || !r->metric)
    return ECSB_ENOMEM;
  r->base = *base;
  r->cur = *cur;
  r->base_of = base_of;
  r->cur_of = cur_of;
  r->p50 =
      mark(base->n ? base->p50 : RPT_ABSENT, cur->n ? cur->p50 : RPT_ABSENT, o);
  r->p95 =
      mark(base->n ? base->p95 : RPT_ABSENT, cur->n ? cur->p95 : RPT_ABSENT, o);
  const char *note = NULL;
  if (base->n && !cur->n)
    note = "not reached in NEW";
  else if (!base->n && cur->n)
    note = "only in NEW";
  else if (base_of && cur_of &&
           (double)cur->n / (double)cur_of < (double)base->n / (double)base_of)
    note = "reached by a smaller share of the tasks";
  r->regression = r->p50 == RPT_SLOWER || r->p95 == RPT_SLOWER ||
                  (note && strcmp(note, "only in NEW") != 0);
  if (note && !(r->note = strdup(note)))
    return ECSB_ENOMEM;
  c->regressions += r->regression;
  return 0;
}

static int add_note(rpt_compare *c, const char *fmt, const char *a,
                    const char *b) {
  char **nn = realloc(c->notes, (c->n_notes + 1) * sizeof *nn);
  if (!nn)
    return ECSB_ENOMEM;
  c->notes = nn;
  rpt_buf m;
  rpt_buf_init(&m);
  rpt_buf_printf(&m, fmt, a, b);
  nn[c->n_notes] = rpt_buf_take(&m);
  if (!nn[c->n_notes])
    return ECSB_ENOMEM;
  c->n_notes++;
  return 0;
}

static const rpt_ctr_stats *find_ctr(const rpt_run *r, const char *name) {
  for (size_t i = 0; i < r->n_ctr; i++)
    if (strcmp(r->ctr[i].name, name) == 0)
      return &r->ctr[i];
  return NULL;
}

static int compare_pair(rpt_compare *c, const rpt_run *b, const rpt_run *n,
                        const rpt_compare_opts *o) {
  int rc;
  for (int m = RPT_T1; m < RPT_MS_COUNT; m++) {
    if (m >= RPT_S0 && !b->ms[m].n && !n->ms[m].n)
      continue;
    if ((rc = add_row(c, b->scenario, rpt_ms_name(m), &b->ms[m], b->n_app_tasks,
                      &n->ms[m], n->n_app_tasks, o)))
      return rc;
  }
  rpt_stats none;
  rpt_stats_of(NULL, 0, &none);
  for (size_t i = 0; i < b->n_ctr; i++) {
    const rpt_ctr_stats *bc = &b->ctr[i];
    const rpt_ctr_stats *nc = find_ctr(n, bc->name);
    char metric[300];
    snprintf(metric, sizeof metric, "%s ready", bc->name);
    if (!bc->start_to_ready.n && (!nc || !nc->start_to_ready.n))
      continue;
    if ((rc = add_row(c, b->scenario, metric, &bc->start_to_ready,
                      b->n_app_tasks, nc ? &nc->start_to_ready : &none,
                      n->n_app_tasks, o)))
      return rc;
  }
  for (size_t i = 0; i < n->n_ctr; i++) {
    if (find_ctr(b, n->ctr[i].name) || !n->ctr[i].start_to_ready.n)
      continue;
    char metric[300];
    snprintf(metric, sizeof metric, "%s ready", n->ctr[i].name);
    if ((rc = add_row(c, b->scenario, metric, &none, b->n_app_tasks,
                      &n->ctr[i].start_to_ready, n->n_app_tasks, o)))
      return rc;
  }
  return 0;
}

int rpt_compare_runs(rpt_run *const *base, size_t n_base, rpt_run *const *cur,
                     size_t n_cur, const rpt_compare_opts *o, rpt_compare **out,
                     ecsb_err *err) {
  *out = NULL;
  rpt_compare *c = calloc(1, sizeof *c);
  if (!c)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  int rc = 0;
  if (n_base == 1 && n_cur == 1) {
    /* One run each: compare them even when renamed, and say so. */
    if (strcmp(base[0]->scenario, cur[0]->scenario) != 0)
      rc = add_note(c, "comparing scenario %s with %s (different names)",
                    base[0]->scenario, cur[0]->scenario);
    if (!rc)
      rc = compare_pair(c, base[0], cur[0], o);
  } else {
    for (size_t i = 0; !rc && i < n_base; i++) {
      size_t j = 0;
      while (j < n_cur && strcmp(cur[j]->scenario, base[i]->scenario) != 0)
        j++;
      rc = j < n_cur ? compare_pair(c, base[i], cur[j], o)
                     : add_note(c, "scenario %s%s is only in BASE",
                                base[i]->scenario, "");
    }
    for (size_t j = 0; !rc && j < n_cur; j++) {
      size_t i = 0;
      while (i < n_base && strcmp(base[i]->scenario, cur[j]->scenario) != 0)
        i++;
      if (i == n_base)
        rc = add_note(c, "scenario %s%s is only in NEW", cur[j]->scenario, "");
    }
  }
  if (rc) {
    rpt_compare_free(c);
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory comparing runs");
  }
  *out = c;
  return 0;
}

void rpt_compare_free(rpt_compare *c) {
  if (!c)
    return;
  for (size_t i = 0; i < c->n; i++) {
    free(c->rows[i].scenario);
    free(c->rows[i].metric);
    free(c->rows[i].note);
  }
  free(c->rows);
  for (size_t i = 0; i < c->n_notes; i++)
    free(c->notes[i]);
  free(c->notes);
  free(c);
}

static void change(rpt_buf *b, int64_t base, int64_t cur, size_t bn,
                   size_t cn) {
  char t[48];
  if (!bn || !cn || base == RPT_ABSENT || cur == RPT_ABSENT)
    snprintf(t, sizeof t, "-");
  else if (base == 0)
    snprintf(t, sizeof t, "%s", cur == 0 ? "0.0%" : "new>0");
  else
    snprintf(t, sizeof t, "%+.1f%%",
             100.0 * (double)(cur - base) / (double)base);
  rpt_buf_printf(b, "%9s", t);
}

static void fig(rpt_buf *b, const rpt_stats *s, bool p95) {
  char t[32];
  rpt_buf_printf(
      b, " %10s",
      rpt_fmt_us(s->n ? (p95 ? s->p95 : s->p50) : RPT_ABSENT, t, sizeof t));
}

void rpt_compare_render(const rpt_compare *c, const rpt_compare_opts *o,
                        const char *base_name, const char *new_name, bool color,
                        rpt_buf *out) {
  char t[32];
  rpt_buf_printf(out,
                 "compare BASE %s -> NEW %s (threshold %.4g%%, changes under "
                 "%s ignored)\n",
                 base_name, new_name, o->threshold * 100.0,
                 rpt_fmt_us(o->min_delta_us, t, sizeof t));
  for (size_t i = 0; i < c->n_notes; i++)
    rpt_buf_printf(out, "note: %s\n", c->notes[i]);
  const char *scen = NULL;
  for (size_t i = 0; i < c->n; i++) {
    const rpt_compare_row *r = &c->rows[i];
    if (!scen || strcmp(scen, r->scenario) != 0) {
      scen = r->scenario;
      rpt_buf_printf(out,
                     "\nscenario %s\n  %-26s %10s %10s %9s %10s %10s "
                     "%9s\n",
                     scen, "metric", "p50 BASE", "p50 NEW", "change",
                     "p95 BASE", "p95 NEW", "change");
    }
    rpt_buf_printf(out, "  %-26s", r->metric);
    fig(out, &r->base, false);
    fig(out, &r->cur, false);
    rpt_buf_putc(out, ' ');
    change(out, r->base.p50, r->cur.p50, r->base.n, r->cur.n);
    fig(out, &r->base, true);
    fig(out, &r->cur, true);
    rpt_buf_putc(out, ' ');
    change(out, r->base.p95, r->cur.p95, r->base.n, r->cur.n);
    if (r->regression) {
      rpt_buf_puts(out, color ? "  \033[31mREGRESSION\033[0m" : "  REGRESSION");
    } else if (r->p50 == RPT_FASTER || r->p95 == RPT_FASTER) {
      rpt_buf_puts(out, color ? "  \033[32mfaster\033[0m" : "  faster");
    }
    if (r->note)
      rpt_buf_printf(out, " (%s)", r->note);
    rpt_buf_putc(out, '\n');
  }
  if (c->regressions)
    rpt_buf_printf(out, "\n%zu regression%s beyond %.4g%%\n", c->regressions,
                   c->regressions == 1 ? "" : "s", o->threshold * 100.0);
  else
    rpt_buf_printf(out, "\nno regression beyond %.4g%%\n",
                   o->threshold * 100.0);
}
