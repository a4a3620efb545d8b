/*
 * compare.c - baseline comparison (compare.h). Figures come from the
 * model's fleet statistics, so an event log and the JSON report of the
 * same run compare identically. Relative changes are against the base;
 * a base of zero compares by the absolute floor alone.
 */
#include "rpt/compare.h"

#include <math.h>
#include <stdarg.h>
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

static rpt_mark mark(int64_t base, int64_t cur, int64_t noise,
                     const rpt_compare_opts *o) {
  if (base == RPT_ABSENT || cur == RPT_ABSENT)
    return RPT_SAME;
  int64_t d = cur - base;
  int64_t ad = d < 0 ? -d : d;
  if (ad < o->min_delta_us || ad <= noise)
    return RPT_SAME;
  if (base > 0 && (double)ad <= o->threshold * (double)base)
    return RPT_SAME;
  return d > 0 ? RPT_SLOWER : RPT_FASTER;
}

/* One side of a row: the figures of one run, or of several runs of the
 * same scenario (ecsboot run --repeat), and what they say about noise. */
typedef struct side {
  rpt_stats st;             /* p50 and p95: the median over the runs */
  size_t of;                /* application tasks */
  int64_t spread, spread95; /* max - min of the runs' p50 and p95 */
  int64_t lag; /* largest host-lag band (rpt_lag_band) a task carried to it */
} side;

/* Folds the runs' stats of one metric (NULL: absent in that run). */
static int fold(const rpt_stats *const *st, size_t k, size_t of, int64_t lag,
                side *out) {
  rpt_stats_of(NULL, 0, &out->st);
  out->of = of;
  out->spread = out->spread95 = 0;
  out->lag = lag;
  int64_t *p50 = calloc(k ? k : 1, sizeof *p50);
  int64_t *p95 = calloc(k ? k : 1, sizeof *p95);
  if (!p50 || !p95) {
    free(p50);
    free(p95);
    return ECSB_ENOMEM;
  }
  size_t n = 0, reached = 0;
  for (size_t i = 0; i < k; i++) {
    if (!st[i] || !st[i]->n)
      continue;
    if (st[i]->n > reached)
      reached = st[i]->n;
    if (!n || st[i]->min < out->st.min)
      out->st.min = st[i]->min;
    if (!n || st[i]->max > out->st.max)
      out->st.max = st[i]->max;
    p50[n] = st[i]->p50;
    p95[n] = st[i]->p95;
    n++;
  }
  if (n) {
    rpt_stats a, b; /* over the runs, as over a run's tasks */
    rpt_stats_of(p50, n, &a);
    rpt_stats_of(p95, n, &b);
    out->st.n = reached;
    out->st.p50 = a.p50;
    out->spread = a.max - a.min;
    out->st.p95 = b.p50;
    out->spread95 = b.max - b.min;
    out->st.p99 = out->st.p95;
    out->st.mean = out->st.p50;
  }
  free(p50);
  free(p95);
  return 0;
}

static int add_row(rpt_compare *c, const char *scenario, const char *metric,
                   const side *b, const side *n, const rpt_compare_opts *o) {
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
  const rpt_stats *base = &b->st, *cur = &n->st;
  r->base = *base;
  r->cur = *cur;
  r->base_of = b->of;
  r->cur_of = n->of;
  /* Host lag may have delayed either side by up to its band (that of
   * an INCONCLUSIVE verdict, rpt_lag_band), and repeated runs
   * differed among themselves by their spread: a difference inside
   * that is noise, not a change. */
  int64_t lag = b->lag > n->lag ? b->lag : n->lag;
  int64_t spread = b->spread > n->spread ? b->spread : n->spread;
  int64_t spread95 = b->spread95 > n->spread95 ? b->spread95 : n->spread95;
  r->noise = lag + spread;
  r->noise95 = lag + spread95;
  r->p50 = mark(base->n ? base->p50 : RPT_ABSENT,
                cur->n ? cur->p50 : RPT_ABSENT, r->noise, o);
  r->p95 = mark(base->n ? base->p95 : RPT_ABSENT,
                cur->n ? cur->p95 : RPT_ABSENT, r->noise95, o);
  const char *note = NULL;
  if (base->n && !cur->n)
    note = "not reached in NEW";
  else if (!base->n && cur->n)
    note = "only in NEW";
  else if (b->of && n->of &&
           (double)cur->n / (double)n->of < (double)base->n / (double)b->of)
    note = "reached by a smaller share of the tasks";
  r->regression = r->p50 == RPT_SLOWER || r->p95 == RPT_SLOWER ||
                  (note && strcmp(note, "only in NEW") != 0);
  if (note && !(r->note = strdup(note)))
    return ECSB_ENOMEM;
  c->regressions += r->regression;
  return 0;
}

__attribute__((format(printf, 2, 3))) static int
add_note(rpt_compare *c, const char *fmt, ...) {
  char **nn = realloc(c->notes, (c->n_notes + 1) * sizeof *nn);
  if (!nn)
    return ECSB_ENOMEM;
  c->notes = nn;
  ecsb_buf m;
  ecsb_buf_init(&m);
  va_list ap;
  va_start(ap, fmt);
  ecsb_buf_vprintf(&m, fmt, ap);
  va_end(ap);
  nn[c->n_notes] = ecsb_buf_take(&m);
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

/* The largest host-lag band an application task of these runs carried to
 * milestone m (-1: to its end). */
static int64_t max_lag(rpt_run *const *runs, size_t k, int m) {
  int64_t most = 0;
  for (size_t i = 0; i < k; i++)
    for (size_t t = 0; t < runs[i]->n_tasks; t++) {
      const rpt_task *tk = &runs[i]->tasks[t];
      if (tk->server)
        continue;
      bool at_m = m >= 0 && tk->ms[m] != RPT_ABSENT;
      int64_t v = at_m ? rpt_lag_band(tk->lag[m], tk->lag_cpu[m])
                       : rpt_lag_band(tk->lag_end, tk->lag_cpu_end);
      if (v > most)
        most = v;
    }
  return most;
}

/* A metric over k runs of one side: its stats per run (NULL: absent). */
typedef const rpt_stats *(*metric_fn)(const rpt_run *r, const void *arg);

static const rpt_stats *ms_of(const rpt_run *r, const void *arg) {
  return &r->ms[*(const int *)arg];
}

static const rpt_stats *ready_of(const rpt_run *r, const void *arg) {
  const rpt_ctr_stats *c = find_ctr(r, arg);
  return c ? &c->start_to_ready : NULL;
}

static int fold_side(rpt_run *const *runs, size_t k, metric_fn f,
                     const void *arg, int lag_ms, side *out) {
  const rpt_stats **st = calloc(k ? k : 1, sizeof *st);
  if (!st)
    return ECSB_ENOMEM;
  for (size_t i = 0; i < k; i++)
    st[i] = f(runs[i], arg);
  int rc =
      fold(st, k, k ? runs[0]->n_app_tasks : 0, max_lag(runs, k, lag_ms), out);
  free(st);
  return rc;
}

static int compare_metric(rpt_compare *c, const char *scenario,
                          const char *metric, rpt_run *const *b, size_t nb,
                          rpt_run *const *n, size_t nn, metric_fn f,
                          const void *arg, int lag_ms, bool skip_absent,
                          const rpt_compare_opts *o) {
  side sb, sn;
  int rc = fold_side(b, nb, f, arg, lag_ms, &sb);
  if (!rc)
    rc = fold_side(n, nn, f, arg, lag_ms, &sn);
  if (rc)
    return rc;
  if (skip_absent && !sb.st.n && !sn.st.n)
    return 0;
  return add_row(c, scenario, metric, &sb, &sn, o);
}

static int compare_pair(rpt_compare *c, rpt_run *const *b, size_t nb,
                        rpt_run *const *n, size_t nn,
                        const rpt_compare_opts *o) {
  int rc;
  const char *scen = b[0]->scenario;
  for (int m = RPT_T1; m < RPT_MS_COUNT; m++)
    if ((rc = compare_metric(c, scen, rpt_ms_name(m), b, nb, n, nn, ms_of, &m,
                             m, m >= RPT_S0, o)))
      return rc;
  /* container rows: every name on either side, BASE's order first */
  for (int s = 0; s < 2; s++) {
    rpt_run *const *runs = s ? n : b;
    size_t k = s ? nn : nb;
    for (size_t i = 0; i < k; i++)
      for (size_t j = 0; j < runs[i]->n_ctr; j++) {
        const char *name = runs[i]->ctr[j].name;
        bool seen = false;
        for (size_t p = 0; p < c->n && !seen; p++) {
          size_t l = strlen(name);
          seen = strcmp(c->rows[p].scenario, scen) == 0 &&
                 strncmp(c->rows[p].metric, name, l) == 0 &&
                 strcmp(c->rows[p].metric + l, " ready") == 0;
        }
        if (seen)
          continue;
        char metric[300];
        snprintf(metric, sizeof metric, "%s ready", name);
        if ((rc = compare_metric(c, scen, metric, b, nb, n, nn, ready_of, name,
                                 -1, true, o)))
          return rc;
      }
  }
  return 0;
}

/* The runs of one scenario on a side (several after --repeat). */
static size_t group(rpt_run *const *runs, size_t n, const char *scenario,
                    rpt_run **out) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (strcmp(runs[i]->scenario, scenario) == 0)
      out[k++] = runs[i];
  return k;
}

static bool first_of(rpt_run *const *runs, size_t i) {
  for (size_t j = 0; j < i; j++)
    if (strcmp(runs[j]->scenario, runs[i]->scenario) == 0)
      return false;
  return true;
}

int rpt_compare_runs(rpt_run *const *base, size_t n_base, rpt_run *const *cur,
                     size_t n_cur, const rpt_compare_opts *o, rpt_compare **out,
                     ecsb_err *err) {
  *out = NULL;
  rpt_compare *c = calloc(1, sizeof *c);
  rpt_run **gb = calloc(n_base + 1, sizeof *gb);
  rpt_run **gn = calloc(n_cur + 1, sizeof *gn);
  int rc = 0;
  if (!c || !gb || !gn) {
    rc = ECSB_ENOMEM;
    goto out;
  }
  size_t ub = 0, un = 0; /* distinct scenarios on each side */
  for (size_t i = 0; i < n_base; i++)
    ub += first_of(base, i);
  for (size_t j = 0; j < n_cur; j++)
    un += first_of(cur, j);
  if (ub == 1 && un == 1) {
    /* One scenario each: compare them even when renamed, and say so. */
    if (strcmp(base[0]->scenario, cur[0]->scenario) != 0)
      rc = add_note(c, "comparing scenario %s with %s (different names)",
                    base[0]->scenario, cur[0]->scenario);
    if (!rc)
      rc = compare_pair(c, base, n_base, cur, n_cur, o);
  } else {
    for (size_t i = 0; !rc && i < n_base; i++) {
      if (!first_of(base, i))
        continue;
      size_t kb = group(base, n_base, base[i]->scenario, gb);
      size_t kn = group(cur, n_cur, base[i]->scenario, gn);
      rc = kn ? compare_pair(c, gb, kb, gn, kn, o)
              : add_note(c, "scenario %s is only in BASE", base[i]->scenario);
    }
    for (size_t j = 0; !rc && j < n_cur; j++) {
      if (!first_of(cur, j) || group(base, n_base, cur[j]->scenario, gb))
        continue;
      rc = add_note(c, "scenario %s is only in NEW", cur[j]->scenario);
    }
  }
out:
  free(gb);
  free(gn);
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

static void change(ecsb_buf *b, int64_t base, int64_t cur, size_t bn,
                   size_t cn) {
  char t[48];
  if (!bn || !cn || base == RPT_ABSENT || cur == RPT_ABSENT)
    snprintf(t, sizeof t, "-");
  else if (base == 0)
    snprintf(t, sizeof t, "%s", cur == 0 ? "0.0%" : "new>0");
  else
    snprintf(t, sizeof t, "%+.1f%%",
             100.0 * (double)(cur - base) / (double)base);
  ecsb_buf_printf(b, "%9s", t);
}

static void fig(ecsb_buf *b, const rpt_stats *s, bool p95) {
  char t[32];
  ecsb_buf_printf(
      b, " %10s",
      rpt_fmt_us(s->n ? (p95 ? s->p95 : s->p50) : RPT_ABSENT, t, sizeof t));
}

void rpt_compare_render(const rpt_compare *c, const rpt_compare_opts *o,
                        const char *base_name, const char *new_name, bool color,
                        ecsb_buf *out) {
  char t[32];
  ecsb_buf_printf(out,
                  "compare BASE %s -> NEW %s (threshold %.4g%%, changes under "
                  "%s ignored)\n",
                  base_name, new_name, o->threshold * 100.0,
                  rpt_fmt_us(o->min_delta_us, t, sizeof t));
  for (size_t i = 0; i < c->n_notes; i++)
    ecsb_buf_printf(out, "note: %s\n", c->notes[i]);
  const char *scen = NULL;
  for (size_t i = 0; i < c->n; i++) {
    const rpt_compare_row *r = &c->rows[i];
    if (!scen || strcmp(scen, r->scenario) != 0) {
      scen = r->scenario;
      ecsb_buf_printf(out,
                      "\nscenario %s\n  %-26s %10s %10s %9s %10s %10s "
                      "%9s %10s %10s\n",
                      scen, "metric", "p50 BASE", "p50 NEW", "change",
                      "p95 BASE", "p95 NEW", "change", "noise p50",
                      "noise p95");
    }
    ecsb_buf_printf(out, "  %-26s", r->metric);
    fig(out, &r->base, false);
    fig(out, &r->cur, false);
    ecsb_buf_putc(out, ' ');
    change(out, r->base.p50, r->cur.p50, r->base.n, r->cur.n);
    fig(out, &r->base, true);
    fig(out, &r->cur, true);
    ecsb_buf_putc(out, ' ');
    change(out, r->base.p95, r->cur.p95, r->base.n, r->cur.n);
    ecsb_buf_printf(out, " %10s", rpt_fmt_us(r->noise, t, sizeof t));
    ecsb_buf_printf(out, " %10s", rpt_fmt_us(r->noise95, t, sizeof t));
    if (r->regression) {
      ecsb_buf_puts(out,
                    color ? "  \033[31mREGRESSION\033[0m" : "  REGRESSION");
    } else if (r->p50 == RPT_FASTER || r->p95 == RPT_FASTER) {
      ecsb_buf_puts(out, color ? "  \033[32mfaster\033[0m" : "  faster");
    }
    if (r->note)
      ecsb_buf_printf(out, " (%s)", r->note);
    ecsb_buf_putc(out, '\n');
  }
  if (c->regressions)
    ecsb_buf_printf(out, "\n%zu regression%s beyond %.4g%%\n", c->regressions,
                    c->regressions == 1 ? "" : "s", o->threshold * 100.0);
  else
    ecsb_buf_printf(out, "\nno regression beyond %.4g%%\n",
                    o->threshold * 100.0);
}
