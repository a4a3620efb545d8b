/*
 * html.c - renders the HTML report (html.h). Everything is escaped with
 * rpt_buf_xml; the pictures come from svg.c. No JavaScript: the page has
 * nothing to fail at load time, which the Chromium test checks.
 */
#include "rpt/html.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpt/svg.h"

static const char *const css =
    "body{font:14px/1.4 -apple-system,'Segoe UI',Helvetica,Arial,"
    "sans-serif;margin:24px;color:#222;background:#fafafa}\n"
    "h1{font-size:22px;margin:0 0 12px}\n"
    "h2{font-size:18px;margin:28px 0 4px;border-bottom:2px solid #ddd}\n"
    "h3{font-size:15px;margin:18px 0 6px}\n"
    "table{border-collapse:collapse;background:#fff;margin:4px 0}\n"
    "th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;"
    "vertical-align:top}\n"
    "th{background:#f0f0f0}\n"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    ".pass{color:#fff;background:#2e7d32;font-weight:bold}\n"
    ".fail{color:#fff;background:#c62828;font-weight:bold}\n"
    ".undecided{color:#000;background:#f9a825;font-weight:bold}\n"
    ".meta{color:#555}\n"
    ".msg{font-family:monospace;white-space:pre-wrap}\n"
    "pre{background:#fff;border:1px solid #ddd;padding:8px}\n"
    ".pic{overflow-x:auto;background:#fff;border:1px solid #ddd;"
    "margin:6px 0}\n"
    "ul.events{margin:4px 0 0 18px;padding:0;font-family:monospace}\n";

static void esc(ecsb_buf *b, const char *s) {
  rpt_buf_xml(b, s ? s : "");
}

static void td(ecsb_buf *b, const char *cls, const char *s) {
  if (cls)
    ecsb_buf_printf(b, "<td class=\"%s\">", cls);
  else
    ecsb_buf_puts(b, "<td>");
  esc(b, s);
  ecsb_buf_puts(b, "</td>");
}

static void td_us(ecsb_buf *b, int64_t us) {
  char t[32];
  td(b, "num", rpt_fmt_us(us, t, sizeof t));
}

static const char *result_class(rpt_result r) {
  /* inconclusive shares undecided's colour: neither green nor red */
  return r == RPT_PASS ? "pass" : r == RPT_FAIL ? "fail" : "undecided";
}

static void verdicts(ecsb_buf *b, const rpt_run *r) {
  ecsb_buf_puts(b, "<h3>Expectations</h3>\n");
  if (r->n_verdicts == 0) {
    ecsb_buf_puts(b, "<p>No expectations.</p>\n");
    return;
  }
  ecsb_buf_puts(b, "<table class=\"verdicts\"><tr><th>result</th>"
                   "<th>expectation</th><th>where</th><th>decided at</th>"
                   "<th>why</th></tr>\n");
  for (size_t i = 0; i < r->n_verdicts; i++) {
    const rpt_verdict *v = &r->verdicts[i];
    ecsb_buf_puts(b, "<tr>");
    const char *cls = result_class(v->result);
    td(b, cls, rpt_result_name(v->result));
    td(b, NULL, v->name);
    td(b, "msg", v->path);
    td_us(b, v->decided_at);
    ecsb_buf_puts(b, "<td><div class=\"msg\">");
    esc(b, v->message);
    ecsb_buf_puts(b, "</div>");
    if (v->n_refs)
      ecsb_buf_puts(b, "<ul class=\"events\">");
    for (size_t k = 0; k < v->n_refs; k++) {
      const rpt_ref *e = &v->refs[k];
      char t[32];
      ecsb_buf_puts(b, "<li>");
      esc(b, e->kind);
      if (e->task) {
        ecsb_buf_putc(b, ' ');
        esc(b, e->task);
      }
      if (e->container) {
        ecsb_buf_putc(b, '/');
        esc(b, e->container);
      }
      ecsb_buf_printf(b, " @%s", rpt_fmt_us(e->at, t, sizeof t));
      if (e->note) {
        ecsb_buf_puts(b, ": ");
        esc(b, e->note);
      }
      ecsb_buf_puts(b, "</li>");
    }
    if (v->n_refs)
      ecsb_buf_puts(b, "</ul>");
    ecsb_buf_puts(b, "</td></tr>\n");
  }
  ecsb_buf_puts(b, "</table>\n");
}

static void milestones(ecsb_buf *b, const rpt_run *r, const rpt_task *t) {
  ecsb_buf_puts(b, "<h3>Milestones</h3>\n");
  if (r->n_app_tasks == 1) {
    ecsb_buf_puts(b, "<p class=\"meta\">");
    esc(b, t->name);
    ecsb_buf_printf(b,
                    ", wall time from the task's T0; scenario time = wall "
                    "/ %g</p>\n",
                    r->time_scale);
    ecsb_buf_puts(b, "<table><tr><th>milestone</th><th>wall</th>"
                     "<th>scenario</th></tr>\n");
    if (!t->mesh)
      ecsb_buf_puts(b, "<p class=\"meta\">goal: READY (no Consul "
                       "containers, so not T1-T4): every essential container "
                       "running, HEALTHY where it has a health check</p>\n");
    for (int m = 0; m < RPT_MS_COUNT; m++) {
      if (m >= RPT_S0 && t->ms[m] == RPT_ABSENT)
        continue;
      if (!t->mesh && m > RPT_T0 && m < RPT_S0) {
        if (m == RPT_T1) {
          ecsb_buf_puts(b, "<tr>");
          td(b, NULL, "READY");
          td_us(b, t->ready_off);
          td_us(b, t->ready_off == RPT_ABSENT
                       ? RPT_ABSENT
                       : (int64_t)((double)t->ready_off / r->time_scale));
          ecsb_buf_puts(b, "</tr>\n");
        }
        continue;
      }
      ecsb_buf_puts(b, "<tr>");
      td(b, NULL, rpt_ms_name(m));
      td_us(b, t->ms[m]);
      td_us(b, t->ms[m] == RPT_ABSENT
                   ? RPT_ABSENT
                   : (int64_t)((double)t->ms[m] / r->time_scale));
      ecsb_buf_puts(b, "</tr>\n");
    }
    ecsb_buf_puts(b, "</table>\n");
    if (t->stop_code || t->stop_reason) {
      ecsb_buf_puts(b, "<p class=\"stop\">stopped: ");
      esc(b, t->stop_code);
      if (t->stop_code && t->stop_reason)
        ecsb_buf_puts(b, ": ");
      esc(b, t->stop_reason);
      char cause[400];
      if (rpt_task_stop_cause_text(t, cause, sizeof cause)) {
        ecsb_buf_puts(b, "<br>");
        esc(b, cause);
      }
      ecsb_buf_puts(b, "</p>\n");
    }
    return;
  }
  ecsb_buf_printf(b,
                  "<p class=\"meta\">over %zu application tasks, wall time "
                  "from each task's T0</p>\n",
                  r->n_app_tasks);
  ecsb_buf_puts(b, "<table><tr><th>milestone</th><th>reached</th>"
                   "<th>p50</th><th>p95</th><th>p99</th><th>max</th></tr>\n");
  for (int m = 0; m < RPT_MS_COUNT; m++) {
    if (m >= RPT_S0 && r->ms[m].n == 0)
      continue;
    char n[48];
    snprintf(n, sizeof n, "%zu/%zu", r->ms[m].n, r->n_app_tasks);
    ecsb_buf_puts(b, "<tr>");
    td(b, NULL, rpt_ms_name(m));
    td(b, "num", n);
    td_us(b, r->ms[m].p50);
    td_us(b, r->ms[m].p95);
    td_us(b, r->ms[m].p99);
    td_us(b, r->ms[m].max);
    ecsb_buf_puts(b, "</tr>\n");
  }
  ecsb_buf_puts(b, "</table>\n");
}

static void chain(ecsb_buf *b, const rpt_run *r, const rpt_task *t) {
  ecsb_buf_printf(b, "<h3>Critical chain to %s</h3>\n<p class=\"meta\">",
                  rpt_task_goal_name(t));
  esc(b, t->name);
  if (r->n_app_tasks > 1)
    ecsb_buf_puts(b, " (the slowest task)");
  ecsb_buf_puts(b, ": each container that the next one waited for, with when "
                   "it started (from the task's T0) and how long until the "
                   "condition was met</p>\n");
  if (t->chain_goal_off == RPT_ABSENT) {
    ecsb_buf_printf(b, "<p>%s not reached.</p>\n", rpt_task_goal_name(t));
    return;
  }
  char a[32];
  ecsb_buf_printf(b,
                  "<table><tr><th>link</th><th>container</th>"
                  "<th>started</th><th>took</th><th>waited for</th></tr>\n"
                  "<tr><td>goal</td><td>%s</td><td class=\"num\">@%s</td>"
                  "<td></td><td></td></tr>\n",
                  rpt_task_goal_name(t),
                  rpt_fmt_us(t->chain_goal_off, a, sizeof a));
  for (size_t i = 0; i < t->n_chain; i++) {
    const rpt_link *l = &t->chain[i];
    char n[32];
    snprintf(n, sizeof n, "%zu", i + 1);
    ecsb_buf_puts(b, "<tr>");
    td(b, "num", n);
    td(b, NULL, t->containers[l->container].name);
    td_us(b, l->start_off);
    td_us(b, l->dur);
    td(b, NULL, l->why);
    ecsb_buf_puts(b, "</tr>\n");
  }
  ecsb_buf_puts(b, "</table>\n");
}

static void containers(ecsb_buf *b, const rpt_run *r, const rpt_task *t) {
  ecsb_buf_puts(b, "<h3>Containers (blame)</h3>\n");
  if (r->n_app_tasks > 1) {
    ecsb_buf_puts(b, "<table><tr><th>container</th><th>role</th>"
                     "<th>started to ready p50</th><th>p95</th>"
                     "<th>waiting p50</th><th>to HEALTHY p50</th>"
                     "<th>to exit p50</th></tr>\n");
    for (size_t i = 0; i < r->n_ctr; i++) {
      const rpt_ctr_stats *c = &r->ctr[i];
      ecsb_buf_puts(b, "<tr>");
      td(b, NULL, c->name);
      td(b, NULL, c->role);
      td_us(b, c->start_to_ready.p50);
      td_us(b, c->start_to_ready.p95);
      td_us(b, c->wait.p50);
      td_us(b, c->start_to_healthy.p50);
      td_us(b, c->start_to_exit.p50);
      ecsb_buf_puts(b, "</tr>\n");
    }
    ecsb_buf_puts(b, "</table>\n");
    return;
  }
  ecsb_buf_puts(b, "<table><tr><th>container</th><th>role</th>"
                   "<th>started to ready</th><th>waited</th>"
                   "<th>started</th><th>HEALTHY</th><th>ended</th>"
                   "<th>outcome</th></tr>\n");
  for (size_t i = 0; i < t->n_containers; i++) {
    const rpt_container *c = &t->containers[i];
    ecsb_buf_puts(b, "<tr>");
    td(b, NULL, c->name);
    td(b, NULL, c->role);
    td_us(b, c->ready_at != RPT_ABSENT && c->started_at != RPT_ABSENT
                 ? c->ready_at - c->started_at
                 : RPT_ABSENT);
    td_us(b, c->pending_at != RPT_ABSENT && c->started_at != RPT_ABSENT
                 ? c->started_at - c->pending_at
                 : RPT_ABSENT);
    td_us(b, c->started_at);
    td_us(b, c->healthy_at);
    char end[64], a[32];
    if (c->exited_at != RPT_ABSENT)
      snprintf(end, sizeof end, "exit %d @%s", c->exit_code,
               rpt_fmt_us(c->exited_at, a, sizeof a));
    else if (c->killed_at != RPT_ABSENT)
      snprintf(end, sizeof end, "%s @%s", c->signal ? c->signal : "killed",
               rpt_fmt_us(c->killed_at, a, sizeof a));
    else
      snprintf(end, sizeof end, "-");
    td(b, "num", end);
    char outcome[200];
    td(b, NULL, rpt_container_outcome(c, outcome, sizeof outcome));
    ecsb_buf_puts(b, "</tr>\n");
  }
  ecsb_buf_puts(b, "</table>\n");
}

static void api(ecsb_buf *b, const rpt_run *r) {
  if (r->n_api) {
    ecsb_buf_puts(b, "<h3>ECS API calls</h3>\n<table><tr><th>operation</th>"
                     "<th>calls</th><th>errors</th><th>throttled</th>"
                     "<th>p50</th><th>p95</th><th>max</th></tr>\n");
    for (size_t i = 0; i < r->n_api; i++) {
      const rpt_api_op *a = &r->api[i];
      char n[32];
      ecsb_buf_puts(b, "<tr>");
      td(b, NULL, a->operation);
      snprintf(n, sizeof n, "%zu", a->count);
      td(b, "num", n);
      snprintf(n, sizeof n, "%zu", a->errors);
      td(b, "num", n);
      snprintf(n, sizeof n, "%zu", a->throttles);
      td(b, "num", n);
      td_us(b, a->latency.p50);
      td_us(b, a->latency.p95);
      td_us(b, a->latency.max);
      ecsb_buf_puts(b, "</tr>\n");
    }
    ecsb_buf_puts(b, "</table>\n");
  }
  if (r->n_consul) {
    ecsb_buf_puts(b, "<h3>Consul events</h3>\n<table><tr><th>kind</th>"
                     "<th>count</th></tr>\n");
    for (size_t i = 0; i < r->n_consul; i++) {
      char n[32];
      snprintf(n, sizeof n, "%zu", r->consul[i].n);
      ecsb_buf_puts(b, "<tr>");
      td(b, NULL, r->consul[i].kind);
      td(b, "num", n);
      ecsb_buf_puts(b, "</tr>\n");
    }
    ecsb_buf_puts(b, "</table>\n");
  }
}

static void faults(ecsb_buf *b, const rpt_run *r) {
  if (!r->n_faults)
    return;
  ecsb_buf_puts(b, "<h3>Faults injected</h3>\n<table><tr><th>at</th>"
                   "<th>target</th><th>action</th><th>task/container</th>"
                   "<th>parameters</th></tr>\n");
  for (size_t i = 0; i < r->n_faults; i++) {
    const rpt_fault *f = &r->faults[i];
    char who[300];
    snprintf(who, sizeof who, "%s%s%s", f->task ? f->task : "",
             f->container ? "/" : "", f->container ? f->container : "");
    ecsb_buf_puts(b, "<tr>");
    td_us(b, f->at);
    td(b, NULL, f->target);
    td(b, NULL, f->action);
    td(b, NULL, who);
    td(b, "msg", f->params);
    ecsb_buf_puts(b, "</tr>\n");
  }
  ecsb_buf_puts(b, "</table>\n");
}

static void picture(ecsb_buf *b, const char *cls,
                    void (*draw)(const rpt_run *, ecsb_buf *),
                    const rpt_run *r) {
  ecsb_buf_printf(b, "<div class=\"pic %s\">\n", cls);
  draw(r, b);
  ecsb_buf_puts(b, "</div>\n");
}

static void one_run(ecsb_buf *b, const rpt_run *r, size_t idx) {
  char t[32];
  ecsb_buf_printf(b, "<section class=\"run\" id=\"run-%zu\">\n<h2>", idx);
  esc(b, r->scenario);
  if (r->description && *r->description) {
    ecsb_buf_puts(b, ": ");
    esc(b, r->description);
  }
  ecsb_buf_printf(b,
                  "</h2>\n<p class=\"meta\">seed %lld &middot; time_scale "
                  "%g &middot; ",
                  (long long)r->seed, r->time_scale);
  if (r->wall_start) {
    ecsb_buf_puts(b, "started ");
    esc(b, r->wall_start);
    ecsb_buf_puts(b, " &middot; ");
  }
  ecsb_buf_printf(b, "%zu application task%s &middot; log <code>",
                  r->n_app_tasks, r->n_app_tasks == 1 ? "" : "s");
  esc(b, r->log_path ? r->log_path : "(unknown)");
  ecsb_buf_printf(b, "</code> (%s, %zu events, last @%s)</p>\n",
                  r->complete ? "complete" : "INCOMPLETE", r->n_events,
                  rpt_fmt_us(r->end_at, t, sizeof t));
  verdicts(b, r);
  const rpt_task *slow = rpt_run_slowest(r);
  ecsb_buf_puts(b, "<h3>Timeline</h3>\n");
  if (r->n_app_tasks > 1) {
    picture(b, "fleet", rpt_svg_fleet, r);
    ecsb_buf_puts(b, "<div class=\"pic timeline\">\n");
    rpt_svg_timeline(r, slow, b);
    ecsb_buf_puts(b, "</div>\n");
  } else {
    picture(b, "timeline", rpt_svg_render, r);
  }
  if (slow) {
    milestones(b, r, slow);
    chain(b, r, slow);
    containers(b, r, slow);
  }
  api(b, r);
  faults(b, r);
  ecsb_buf_puts(b, "</section>\n");
}

void rpt_html_render(rpt_run *const *runs, size_t n, ecsb_buf *out) {
  ecsb_buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                     "<meta charset=\"utf-8\">\n<title>ecsboot report");
  if (n == 1) {
    ecsb_buf_puts(out, ": ");
    esc(out, runs[0]->scenario);
  }
  ecsb_buf_printf(out,
                  "</title>\n<style>\n%s</style>\n</head>\n<body>\n"
                  "<h1>ecsboot report</h1>\n",
                  css);
  if (n > 1) {
    ecsb_buf_puts(out, "<table class=\"summary\"><tr><th>scenario</th>"
                       "<th>result</th><th>expectations</th><th>tasks</th>"
                       "<th>T4 p50</th><th>T4 max</th></tr>\n");
    for (size_t i = 0; i < n; i++) {
      const rpt_run *r = runs[i];
      size_t f = rpt_run_failures(r), u = rpt_run_undecided(r),
             inc = rpt_run_inconclusive(r);
      rpt_result res = f     ? RPT_FAIL
                       : u   ? RPT_UNDECIDED
                       : inc ? RPT_INCONCLUSIVE
                             : RPT_PASS;
      char e[64], k[32];
      snprintf(e, sizeof e, "%zu/%zu passed", r->n_verdicts - f - u - inc,
               r->n_verdicts);
      snprintf(k, sizeof k, "%zu", r->n_app_tasks);
      ecsb_buf_printf(out, "<tr><td><a href=\"#run-%zu\">", i);
      esc(out, r->scenario);
      ecsb_buf_puts(out, "</a></td>");
      td(out, result_class(res), rpt_result_name(res));
      td(out, "num", e);
      td(out, "num", k);
      td_us(out, r->ms[RPT_T4].p50);
      td_us(out, r->ms[RPT_T4].max);
      ecsb_buf_puts(out, "</tr>\n");
    }
    ecsb_buf_puts(out, "</table>\n");
  }
  for (size_t i = 0; i < n; i++)
    one_run(out, runs[i], i);
  ecsb_buf_puts(out, "</body>\n</html>\n");
}
