/*
 * svg.c - draws the timeline and fleet pictures (svg.h). Panels render
 * into their own buffers with their height known at the end, then are
 * stacked into one <svg>, so each panel lays itself out independently.
 * Coordinates are printed with one decimal: deterministic output for the
 * golden tests, and plenty for a 1100-pixel-wide picture.
 */
#include "rpt/svg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WIDTH 1100.0
#define LEFT 240.0 /* label column */
#define RIGHT 30.0
#define ROW 22.0
#define BAR 14.0
#define MAX_SLOW_ROWS 10
/* Header lanes of the timeline: milestone labels, then fault labels
 * (three lines each so close labels do not overlap), then the rows. */
#define MS_LANE 52.0
#define FAULT_LANE 86.0
#define ROWS_TOP 120.0
/* About what fits across WIDTH in the 11-pixel stop-cause font. */
#define STOP_LINE_CHARS 165

static const char *const style =
    "<style>\n"
    ".ecsb-bg{fill:#ffffff}\n"
    ".ecsb-t{font:12px sans-serif;fill:#222}\n"
    ".ecsb-s{font:10px sans-serif;fill:#555}\n"
    ".ecsb-h{font:bold 14px sans-serif;fill:#111}\n"
    ".ecsb-task{font:bold 12px sans-serif;fill:#111}\n"
    ".ecsb-grid{stroke:#e6e6e6;stroke-width:1}\n"
    ".ecsb-axis{stroke:#888;stroke-width:1}\n"
    ".ecsb-wait{fill:#d0d4da}\n"
    ".ecsb-pull{fill:#9a86c8}\n"
    ".ecsb-run{fill:#6b9bd1}\n"
    ".ecsb-ok{fill:#4caf50}\n"
    ".ecsb-bad{fill:#f0a030}\n"
    ".ecsb-end0{fill:#444}\n"
    ".ecsb-end1{fill:#d32f2f}\n"
    ".ecsb-ms{stroke:#1f4e99;stroke-width:1.2;stroke-dasharray:4 3}\n"
    ".ecsb-ss{stroke:#7b3fa0;stroke-width:1.2;stroke-dasharray:4 3}\n"
    ".ecsb-msl{font:bold 11px sans-serif;fill:#1f4e99}\n"
    ".ecsb-ssl{font:bold 11px sans-serif;fill:#7b3fa0}\n"
    ".ecsb-fault{stroke:#d32f2f;stroke-width:1.5}\n"
    ".ecsb-faultl{font:bold 10px sans-serif;fill:#d32f2f}\n"
    ".ecsb-p1{fill:#bcaad6}.ecsb-p2{fill:#8fd19e}.ecsb-p3{fill:#fdbb84}"
    ".ecsb-p4{fill:#6f9fd8}\n"
    ".ecsb-c1{stroke:#8c6bb1}.ecsb-c2{stroke:#41ab5d}.ecsb-c3{stroke:#f16913}"
    ".ecsb-c4{stroke:#08519c}\n"
    ".ecsb-cdf{fill:none;stroke-width:2}\n"
    ".ecsb-svc0{fill:#f3d9a4}.ecsb-svc1{fill:#2e7d32}\n"
    ".ecsb-stop{font:11px sans-serif;fill:#b71c1c}\n"
    ".ecsb-cut{fill:none;stroke:#888;stroke-width:1;stroke-dasharray:2 2}\n"
    "</style>\n";

typedef struct scale {
  int64_t t0, t1; /* microseconds shown */
  /* Tick labels: scenario time (run time / time_scale) when > 0, else the
   * times themselves. */
  double time_scale;
} scale;

static double X(const scale *s, int64_t t) {
  double span = (double)(s->t1 - s->t0);
  if (span <= 0)
    span = 1;
  double f = (double)(t - s->t0) / span;
  if (f < 0)
    f = 0;
  if (f > 1)
    f = 1;
  return LEFT + f * (WIDTH - LEFT - RIGHT);
}

/* 1, 2 or 5 x 10^k microseconds, giving about 10 ticks. */
static int64_t tick_step(int64_t span) {
  int64_t step = 1;
  while (step * 10 < span) {
    if (step * 2 * 10 >= span)
      return step * 2;
    if (step * 5 * 10 >= span)
      return step * 5;
    step *= 10;
  }
  return step;
}

static void text(ecsb_buf *b, double x, double y, const char *cls,
                 const char *anchor, const char *s) {
  ecsb_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" class=\"%s\"%s%s%s>", x, y,
                  cls, anchor ? " text-anchor=\"" : "", anchor ? anchor : "",
                  anchor ? "\"" : "");
  rpt_buf_xml(b, s);
  ecsb_buf_puts(b, "</text>\n");
}

/* A tick's label, as short as its step allows: "0", "250ms", "30s",
 * "1m30s", "2h". */
static const char *tick_label(int64_t us, int64_t step, char *buf, size_t cap) {
  const int64_t ms = 1000, sec = 1000 * ms, min = 60 * sec, hour = 60 * min;
  if (us == 0)
    snprintf(buf, cap, "0");
  else if (step < ms || us % ms)
    snprintf(buf, cap, "%lldus", (long long)us);
  else if (step < sec || us % sec)
    snprintf(buf, cap, "%lldms", (long long)(us / ms));
  else if (us < min)
    snprintf(buf, cap, "%llds", (long long)(us / sec));
  else if (us % hour == 0)
    snprintf(buf, cap, "%lldh", (long long)(us / hour));
  else if (us % min == 0)
    snprintf(buf, cap, "%lldm", (long long)(us / min));
  else
    snprintf(buf, cap, "%lldm%llds", (long long)(us / min),
             (long long)(us % min / sec));
  return buf;
}

/* Vertical grid and labelled axis over [top, bottom]. With a time_scale
 * the ticks fall on round scenario times and are labelled with them. */
static void axis(ecsb_buf *b, const scale *s, double top, double bottom,
                 const char *label) {
  double k = s->time_scale > 0 ? s->time_scale : 1.0;
  int64_t u0 = (int64_t)((double)s->t0 / k), u1 = (int64_t)((double)s->t1 / k);
  int64_t step = tick_step(u1 - u0);
  int64_t first = u0 >= 0 ? (u0 + step - 1) / step * step : u0 / step * step;
  for (int64_t u = first; u <= u1; u += step) {
    int64_t t = (int64_t)((double)u * k + 0.5);
    double x = X(s, t);
    char lbl[32];
    ecsb_buf_printf(b,
                    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                    "class=\"ecsb-grid\"/>\n",
                    x, top, x, bottom);
    text(b, x, bottom + 14, "ecsb-s", "middle",
         tick_label(u, step, lbl, sizeof lbl));
  }
  ecsb_buf_printf(b,
                  "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                  "class=\"ecsb-axis\"/>\n",
                  LEFT, bottom, WIDTH - RIGHT, bottom);
  text(b, WIDTH - RIGHT, bottom + 28, "ecsb-s", "end", label);
}

static void rect(ecsb_buf *b, const scale *s, int64_t from, int64_t to,
                 double y, const char *cls, const char *tip) {
  double x0 = X(s, from), x1 = X(s, to);
  double w = x1 - x0 < 1 ? 1 : x1 - x0;
  ecsb_buf_printf(b,
                  "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                  "class=\"%s\"><title>",
                  x0, y, w, BAR, cls);
  rpt_buf_xml(b, tip);
  ecsb_buf_puts(b, "</title></rect>\n");
}

static void phase(ecsb_buf *b, const scale *s, int64_t from, int64_t to,
                  double y, const char *cls, const char *who,
                  const char *what) {
  if (from == RPT_ABSENT || to == RPT_ABSENT || to < from)
    return;
  char a[32], c[32], tip[400];
  snprintf(tip, sizeof tip, "%s %s %s to %s (%s)", who, what,
           rpt_fmt_us(from, a, sizeof a), rpt_fmt_us(to, c, sizeof c),
           rpt_fmt_us(to - from, (char[32]){0}, 32));
  rect(b, s, from, to, y, cls, tip);
}

static void container_row(ecsb_buf *b, const scale *s, const rpt_run *r,
                          const rpt_task *t, const rpt_container *c, double y,
                          bool indent) {
  /* Name, then the role in grey when it says something the name does
   * not. */
  ecsb_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" class=\"ecsb-t\">",
                  indent ? 20.0 : 8.0, y + BAR - 3);
  rpt_buf_xml(b, c->name);
  if (c->role && strcmp(c->role, c->name) != 0) {
    ecsb_buf_puts(b, "<tspan class=\"ecsb-s\" dx=\"6\">");
    rpt_buf_xml(b, c->role);
    ecsb_buf_puts(b, "</tspan>");
  }
  ecsb_buf_puts(b, "</text>\n");
  int64_t end = rpt_container_end(c);
  int64_t stop = end != RPT_ABSENT ? end : r->end_at;
  int64_t pend = c->pending_at != RPT_ABSENT ? c->pending_at : t->t0_at;
  double by = y + (ROW - BAR) / 2 - 2;
  phase(b, s, pend, c->started_at != RPT_ABSENT ? c->started_at : stop, by,
        "ecsb-wait", c->name, "waiting on dependencies");
  /* The image pull, over the wait it is part of. */
  if (c->pull_at != RPT_ABSENT)
    phase(b, s, c->pull_at,
          c->pulled_at != RPT_ABSENT    ? c->pulled_at
          : c->started_at != RPT_ABSENT ? c->started_at
                                        : stop,
          by, "ecsb-pull", c->name, "pulling its image");
  if (c->started_at == RPT_ABSENT)
    return;
  /* Running until the first health event, then the health phases. */
  int64_t first_h = c->n_health ? c->health[0].at : stop;
  phase(b, s, c->started_at, first_h < stop ? first_h : stop, by, "ecsb-run",
        c->name, "running");
  for (size_t i = 0; i < c->n_health; i++) {
    int64_t from = c->health[i].at;
    int64_t to = i + 1 < c->n_health ? c->health[i + 1].at : stop;
    if (from >= stop)
      break;
    if (to > stop)
      to = stop;
    phase(b, s, from, to, by, c->health[i].healthy ? "ecsb-ok" : "ecsb-bad",
          c->name, c->health[i].healthy ? "HEALTHY" : "UNHEALTHY");
  }
  /* Each restart (restartPolicy): the exit it followed, marked. */
  for (size_t i = 0; i < c->n_restarts; i++) {
    double rx = X(s, c->restart_at[i]);
    char rt[200], ra[32];
    snprintf(rt, sizeof rt, "%s exited and was restarted at %s", c->name,
             rpt_fmt_us(c->restart_at[i], ra, sizeof ra));
    ecsb_buf_printf(b,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"3\" "
                    "height=\"%.1f\" class=\"ecsb-end1\"><title>",
                    rx - 1, by - 2, BAR + 4);
    rpt_buf_xml(b, rt);
    ecsb_buf_puts(b, "</title></rect>\n");
    text(b, rx + 4, by + BAR - 3, "ecsb-faultl", NULL, "restart");
  }
  if (end == RPT_ABSENT)
    return;
  char what[64], a[32];
  bool bad;
  if (end == c->exited_at) {
    snprintf(what, sizeof what, "exit %d", c->exit_code);
    bad = c->exit_code != 0;
  } else {
    snprintf(what, sizeof what, "%s", c->signal ? c->signal : "killed");
    bad = true;
  }
  double x = X(s, end);
  ecsb_buf_printf(b,
                  "<rect x=\"%.1f\" y=\"%.1f\" width=\"3\" height=\"%.1f\" "
                  "class=\"ecsb-end%d\"><title>",
                  x - 1, by - 2, BAR + 4, bad ? 1 : 0);
  char tip[200];
  snprintf(tip, sizeof tip, "%s %s at %s", c->name, what,
           rpt_fmt_us(end, a, sizeof a));
  rpt_buf_xml(b, tip);
  ecsb_buf_puts(b, "</title></rect>\n");
  text(b, x + 4, by + BAR - 3, bad ? "ecsb-faultl" : "ecsb-s", NULL, what);
}

/* Vertical marker spanning the rows with its label in a header lane;
 * labels that would collide move to the next lane. */
static void marker(ecsb_buf *b, double x, double bottom, const char *line_cls,
                   const char *label_cls, const char *label, double lane_y,
                   double *last_x, int *lane, const char *tip) {
  if (*last_x >= 0 && x - *last_x < 60)
    *lane = (*lane + 1) % 3;
  else
    *lane = 0;
  *last_x = x;
  double ly = lane_y + *lane * 11;
  ecsb_buf_printf(b,
                  "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                  "class=\"%s\"><title>",
                  x, ly + 2, x, bottom, line_cls);
  rpt_buf_xml(b, tip);
  ecsb_buf_puts(b, "</title></line>\n");
  /* Near the right edge the label goes to the left of its line. */
  if (x > WIDTH - 160)
    text(b, x - 2, ly, label_cls, "end", label);
  else
    text(b, x + 2, ly, label_cls, NULL, label);
}

static bool any_pull(const rpt_run *r) {
  for (size_t i = 0; i < r->n_tasks; i++)
    for (size_t k = 0; k < r->tasks[i].n_containers; k++)
      if (r->tasks[i].containers[k].pull_at != RPT_ABSENT)
        return true;
  return false;
}

/* One legend entry at (*x, *y), then *x past it; an entry that would
 * cross the right edge starts a new line (*y moves down). */
static void legend_item(ecsb_buf *b, double *x, double *y, const char *cls,
                        const char *label, bool line) {
  double w = 30 + 6.2 * (double)rpt_text_width(label);
  if (*x > 8 && *x + w - 12 > WIDTH) {
    *x = 8;
    *y += 16;
  }
  if (line)
    ecsb_buf_printf(b,
                    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                    "class=\"%s\"/>\n",
                    *x + 6, *y - 11, *x + 6, *y + 2, cls);
  else
    ecsb_buf_printf(b,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"10\" "
                    "class=\"%s\"/>\n",
                    *x, *y - 9, cls);
  text(b, *x + 18, *y, "ecsb-s", NULL, label);
  *x += w;
}

/* The task's service in Consul: registered and not passing, then
 * passing, as one row of bars under its containers. */
static void svc_row(ecsb_buf *b, const scale *s, const rpt_run *r,
                    const rpt_task *t, double y, bool indent) {
  text(b, indent ? 20.0 : 8.0, y + BAR - 3, "ecsb-s", NULL,
       "Consul: the service");
  double by = y + (ROW - BAR) / 2 - 2;
  for (size_t i = 0; i < t->n_svc; i++) {
    const rpt_svc_span *v = &t->svc[i];
    phase(b, s, v->from, v->to != RPT_ABSENT ? v->to : r->end_at, by,
          v->passing ? "ecsb-svc1" : "ecsb-svc0", t->name,
          v->passing ? "passing in Consul" : "registered, not passing");
  }
}

/* Why the task stopped, as a line of text under its rows. */
static void stop_row(ecsb_buf *b, const rpt_task *t, double y, bool indent) {
  char line[700], cause[400];
  int n = snprintf(line, sizeof line, "stopped: %s%s%s",
                   t->stop_code ? t->stop_code : "",
                   t->stop_code && t->stop_reason ? ": " : "",
                   t->stop_reason ? t->stop_reason : "");
  if (rpt_task_stop_cause_text(t, cause, sizeof cause) && n > 0 &&
      (size_t)n < sizeof line)
    snprintf(line + n, sizeof line - (size_t)n, "; %s", cause);
  /* One line across the picture; the whole of it in the tooltip. */
  char shown[sizeof line];
  snprintf(shown, sizeof shown, "%s", line);
  size_t max = STOP_LINE_CHARS;
  if (strlen(shown) > max) {
    while (max > 0 && ((unsigned char)shown[max] & 0xC0) == 0x80)
      max--; /* not inside a UTF-8 sequence */
    snprintf(shown + max, sizeof shown - max, "\xe2\x80\xa6");
  }
  ecsb_buf_printf(b, "<g><title>");
  rpt_buf_xml(b, line);
  ecsb_buf_puts(b, "</title>");
  text(b, indent ? 20.0 : 8.0, y + BAR - 3, "ecsb-stop", NULL, shown);
  ecsb_buf_puts(b, "</g>\n");
}

static bool has_stop(const rpt_task *t) {
  return t->stop_code || t->stop_reason;
}

static void later(int64_t *last, int64_t at) {
  if (at != RPT_ABSENT && at > *last)
    *last = at;
}

/* The last moment in view where something happened: a container's start,
 * health change or end, a milestone, a fault, a change in Consul. */
static int64_t last_activity(const rpt_run *r, const rpt_task *only) {
  int64_t last = 0;
  for (size_t i = 0; i < r->n_tasks; i++) {
    const rpt_task *t = &r->tasks[i];
    if (only && t != only)
      continue;
    for (size_t k = 0; k < t->n_containers; k++) {
      const rpt_container *c = &t->containers[k];
      later(&last, c->started_at);
      later(&last, rpt_container_end(c));
      if (c->n_health)
        later(&last, c->health[c->n_health - 1].at);
    }
    for (int m = 0; m < RPT_MS_COUNT; m++)
      if (t->ms[m] != RPT_ABSENT)
        later(&last, t->t0_at + t->ms[m]);
    for (size_t k = 0; k < t->n_svc; k++) {
      later(&last, t->svc[k].from);
      later(&last, t->svc[k].to);
    }
  }
  for (size_t i = 0; i < r->n_faults; i++)
    if (!only || !r->faults[i].task ||
        strcmp(r->faults[i].task, only->name) == 0)
      later(&last, r->faults[i].at);
  return last;
}

/* Container timeline panel; returns its height. */
static double panel_timeline(ecsb_buf *b, const rpt_run *r,
                             const rpt_task *only, const char *title) {
  /* Several tasks: each gets a header row above its containers. */
  bool grouped = !only && r->n_tasks > 1;
  size_t rows = 0;
  for (size_t i = 0; i < r->n_tasks; i++)
    if (!only || &r->tasks[i] == only)
      rows += r->tasks[i].n_containers + (grouped ? 1 : 0) +
              (r->tasks[i].n_svc ? 1 : 0) + (has_stop(&r->tasks[i]) ? 1 : 0);
  scale s = {.t0 = 0,
             .t1 = r->end_at > 0 ? r->end_at : 1,
             .time_scale = r->time_scale};
  if (only) {
    s.t0 = only->t0_at;
    int64_t last = only->t0_at + 1;
    for (size_t i = 0; i < only->n_containers; i++) {
      const rpt_container *c = &only->containers[i];
      int64_t e = rpt_container_end(c);
      if (e == RPT_ABSENT)
        e = r->end_at;
      if (e > last)
        last = e;
    }
    for (int m = 0; m < RPT_MS_COUNT; m++)
      if (only->ms[m] != RPT_ABSENT && only->t0_at + only->ms[m] > last)
        last = only->t0_at + only->ms[m];
    s.t1 = last;
  }
  /* A run that idled to its deadline would squeeze everything into the
   * left of the picture: the idle tail is cut, and the picture says so. */
  int64_t idle_from = RPT_ABSENT, full_end = s.t1;
  int64_t busy = last_activity(r, only);
  if (busy > s.t0 && s.t1 - busy > (busy - s.t0) / 2) {
    idle_from = busy;
    s.t1 = busy;
  }
  /* A little room after the last event for the end labels. */
  s.t1 += (s.t1 - s.t0) / 12 + 1;
  double top = ROWS_TOP, y = top;
  text(b, 8, 20, "ecsb-h", NULL, title);
  char sub[400], idle_a[32], idle_b[32];
  int n = snprintf(sub, sizeof sub,
                   "scenario time since the run's T0 (time_scale %g: wall "
                   "time x %g, host lag included)",
                   r->time_scale, r->time_scale > 0 ? 1 / r->time_scale : 1);
  if (idle_from != RPT_ABSENT && n > 0 && (size_t)n < sizeof sub) {
    double k = r->time_scale > 0 ? r->time_scale : 1;
    snprintf(
        sub + n, sizeof sub - (size_t)n,
        "; nothing happened from %s to the end at %s, not drawn",
        rpt_fmt_us((int64_t)((double)idle_from / k), idle_a, sizeof idle_a),
        rpt_fmt_us((int64_t)((double)full_end / k), idle_b, sizeof idle_b));
  }
  text(b, 8, 36, "ecsb-s", NULL, sub);
  double bottom = top + (double)rows * ROW + 4;
  axis(b, &s, top - 4, bottom, "scenario time since the run's T0");
  if (idle_from != RPT_ABSENT) {
    double x = X(&s, s.t1);
    ecsb_buf_printf(b,
                    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                    "y2=\"%.1f\" class=\"ecsb-cut\"><title>the run idled "
                    "until its end; not drawn</title></line>\n",
                    x, top - 4, x, bottom);
  }
  for (size_t i = 0; i < r->n_tasks; i++) {
    const rpt_task *t = &r->tasks[i];
    if (only && t != only)
      continue;
    if (grouped) {
      ecsb_buf_printf(b, "<text x=\"8\" y=\"%.1f\" class=\"ecsb-task\">",
                      y + BAR - 3);
      rpt_buf_xml(b, t->name);
      ecsb_buf_puts(b, "</text>\n");
      y += ROW;
    }
    for (size_t k = 0; k < t->n_containers; k++) {
      if ((size_t)((y - top) / ROW) % 2 == 1)
        ecsb_buf_printf(b,
                        "<rect x=\"0\" y=\"%.1f\" width=\"%.1f\" "
                        "height=\"%.1f\" fill=\"#f7f7f7\"/>\n",
                        y - 2, WIDTH, ROW);
      container_row(b, &s, r, t, &t->containers[k], y, grouped);
      y += ROW;
    }
    if (t->n_svc) {
      svc_row(b, &s, r, t, y, grouped);
      y += ROW;
    }
    if (has_stop(t)) {
      stop_row(b, t, y, grouped);
      y += ROW;
    }
  }
  /* Milestones of the application tasks in view (one task: all of them;
   * several: only when there is a single application task). */
  double last_x = -1;
  int lane = 0;
  for (size_t i = 0; i < r->n_tasks; i++) {
    const rpt_task *t = &r->tasks[i];
    if (t->server || (only && t != only) || (!only && r->n_app_tasks != 1))
      continue;
    for (int m = 0; m < RPT_MS_COUNT; m++) {
      if (t->ms[m] == RPT_ABSENT)
        continue;
      char tip[200], a[32];
      snprintf(tip, sizeof tip, "%s of %s at +%s from its T0", rpt_ms_name(m),
               t->name, rpt_fmt_us(t->ms[m], a, sizeof a));
      bool stop = m >= RPT_S0;
      marker(b, X(&s, t->t0_at + t->ms[m]), bottom,
             stop ? "ecsb-ss" : "ecsb-ms", stop ? "ecsb-ssl" : "ecsb-msl",
             rpt_ms_name(m), MS_LANE, &last_x, &lane, tip);
    }
  }
  last_x = -1;
  lane = 0;
  for (size_t i = 0; i < r->n_faults; i++) {
    const rpt_fault *f = &r->faults[i];
    if (only && f->task && strcmp(f->task, only->name) != 0)
      continue;
    if (f->at < s.t0 || f->at > s.t1)
      continue;
    char label[160], tip[600], a[32];
    snprintf(label, sizeof label, "\xe2\x9a\xa1 %s/%s",
             f->target ? f->target : "?", f->action ? f->action : "?");
    snprintf(tip, sizeof tip, "fault %s %s%s%s%s%s at %s%s%s",
             f->target ? f->target : "?", f->action ? f->action : "?",
             f->task ? " on " : "", f->task ? f->task : "",
             f->container ? "/" : "", f->container ? f->container : "",
             rpt_fmt_us(f->at, a, sizeof a), f->params ? " " : "",
             f->params ? f->params : "");
    marker(b, X(&s, f->at), bottom, "ecsb-fault", "ecsb-faultl", label,
           FAULT_LANE, &last_x, &lane, tip);
  }
  double ly = bottom + 48, lx = 8;
  legend_item(b, &lx, &ly, "ecsb-wait", "waiting on dependencies", false);
  /* Only where a pull is drawn: the legend is one line, and most runs
   * pull nothing (a cached image). */
  if (any_pull(r))
    legend_item(b, &lx, &ly, "ecsb-pull", "image pull", false);
  legend_item(b, &lx, &ly, "ecsb-run", "running", false);
  legend_item(b, &lx, &ly, "ecsb-ok", "HEALTHY", false);
  legend_item(b, &lx, &ly, "ecsb-bad", "UNHEALTHY", false);
  legend_item(b, &lx, &ly, "ecsb-end0", "exit 0", false);
  legend_item(b, &lx, &ly, "ecsb-end1", "exit code != 0 / killed", false);
  legend_item(b, &lx, &ly, "ecsb-svc0", "in Consul, not passing", false);
  legend_item(b, &lx, &ly, "ecsb-svc1", "passing", false);
  legend_item(b, &lx, &ly, "ecsb-ms", "milestone T0-T4", true);
  legend_item(b, &lx, &ly, "ecsb-ss", "stop S0-S4", true);
  legend_item(b, &lx, &ly, "ecsb-fault", "fault injected", true);
  return ly + 14;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* CDF of T1..T4 over the application tasks; returns its height. */
static double panel_cdf(ecsb_buf *b, const rpt_run *r) {
  const double top = 84, h = 200;
  int64_t *v = malloc((r->n_tasks + 1) * sizeof *v);
  if (!v) {
    b->oom = true;
    return 0;
  }
  scale s = {.t0 = 0, .t1 = 1};
  for (int m = RPT_T1; m <= RPT_T4; m++)
    if (r->ms[m].n && r->ms[m].max > s.t1)
      s.t1 = r->ms[m].max;
  s.t1 += s.t1 / 20 + 1;
  char title[200];
  snprintf(title, sizeof title,
           "%s: time to each milestone over %zu application tasks (CDF)",
           r->scenario, r->n_app_tasks);
  text(b, 8, 20, "ecsb-h", NULL, title);
  text(b, 8, 36, "ecsb-s", NULL,
       "share of tasks that reached the milestone by this time since their "
       "own T0 (wall clock)");
  for (int pct = 0; pct <= 100; pct += 25) {
    double y = top + h - h * pct / 100.0;
    char lbl[16];
    snprintf(lbl, sizeof lbl, "%d%%", pct);
    ecsb_buf_printf(b,
                    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                    "class=\"ecsb-grid\"/>\n",
                    LEFT, y, WIDTH - RIGHT, y);
    text(b, LEFT - 6, y + 4, "ecsb-s", "end", lbl);
  }
  axis(b, &s, top, top + h, "time since each task's T0");
  for (int m = RPT_T1; m <= RPT_T4; m++) {
    size_t n = 0;
    for (size_t i = 0; i < r->n_tasks; i++)
      if (!r->tasks[i].server && r->tasks[i].ms[m] != RPT_ABSENT)
        v[n++] = r->tasks[i].ms[m];
    if (!n || !r->n_app_tasks)
      continue;
    qsort(v, n, sizeof *v, cmp_i64);
    ecsb_buf_printf(b, "<path class=\"ecsb-cdf ecsb-c%d\" d=\"M%.1f %.1f", m,
                    X(&s, 0), top + h);
    for (size_t i = 0; i < n; i++) {
      double x = X(&s, v[i]);
      double y0 = top + h - h * (double)i / (double)r->n_app_tasks;
      double y1 = top + h - h * (double)(i + 1) / (double)r->n_app_tasks;
      ecsb_buf_printf(b, " H%.1f V%.1f", x, y0);
      ecsb_buf_printf(b, " V%.1f", y1);
    }
    ecsb_buf_printf(b, " H%.1f\"><title>%s: p50 ", X(&s, s.t1), rpt_ms_name(m));
    char a[32];
    ecsb_buf_printf(b, "%s, p95 ", rpt_fmt_us(r->ms[m].p50, a, sizeof a));
    ecsb_buf_printf(b, "%s, max ", rpt_fmt_us(r->ms[m].p95, a, sizeof a));
    ecsb_buf_printf(b, "%s, %zu/%zu tasks</title></path>\n",
                    rpt_fmt_us(r->ms[m].max, a, sizeof a), n, r->n_app_tasks);
  }
  free(v);
  /* p50 and p95 of T4 as markers. */
  double last_x = -1;
  int lane = 0;
  const rpt_stats *t4 = &r->ms[RPT_T4];
  if (t4->n) {
    char a[32], lbl[64];
    snprintf(lbl, sizeof lbl, "T4 p50 %s", rpt_fmt_us(t4->p50, a, sizeof a));
    marker(b, X(&s, t4->p50), top + h, "ecsb-ms", "ecsb-msl", lbl, top - 30,
           &last_x, &lane, lbl);
    snprintf(lbl, sizeof lbl, "T4 p95 %s", rpt_fmt_us(t4->p95, a, sizeof a));
    marker(b, X(&s, t4->p95), top + h, "ecsb-ms", "ecsb-msl", lbl, top - 30,
           &last_x, &lane, lbl);
  }
  double ly = top + h + 48, lx = 8;
  legend_item(b, &lx, &ly, "ecsb-cdf ecsb-c1", "T1 discover-servers done",
              true);
  legend_item(b, &lx, &ly, "ecsb-cdf ecsb-c2", "T2 mesh-init done", true);
  legend_item(b, &lx, &ly, "ecsb-cdf ecsb-c3", "T3 sidecar-proxy HEALTHY",
              true);
  legend_item(b, &lx, &ly, "ecsb-cdf ecsb-c4", "T4 passing in Consul", true);
  return ly + 14;
}

static int cmp_slow(const void *a, const void *b) {
  const rpt_task *x = *(const rpt_task *const *)a;
  const rpt_task *y = *(const rpt_task *const *)b;
  /* Tasks that never reached T4 are the slowest of all. */
  int64_t tx = x->ms[RPT_T4] == RPT_ABSENT ? INT64_MAX : x->ms[RPT_T4];
  int64_t ty = y->ms[RPT_T4] == RPT_ABSENT ? INT64_MAX : y->ms[RPT_T4];
  if (tx != ty)
    return tx < ty ? 1 : -1;
  return strcmp(x->name, y->name);
}

/* The slowest tasks, one row each split by milestone phase. */
static double panel_slowest(ecsb_buf *b, const rpt_run *r) {
  const rpt_task **ts = malloc((r->n_tasks + 1) * sizeof *ts);
  if (!ts) {
    b->oom = true;
    return 0;
  }
  size_t n = 0;
  for (size_t i = 0; i < r->n_tasks; i++)
    if (!r->tasks[i].server)
      ts[n++] = &r->tasks[i];
  qsort(ts, n, sizeof *ts, cmp_slow);
  if (n > MAX_SLOW_ROWS)
    n = MAX_SLOW_ROWS;
  scale s = {.t0 = 0, .t1 = 1};
  for (size_t i = 0; i < n; i++) {
    int64_t last = r->end_at - ts[i]->t0_at;
    for (int m = 0; m <= RPT_T4; m++)
      if (ts[i]->ms[m] != RPT_ABSENT && ts[i]->ms[m] > s.t1)
        s.t1 = ts[i]->ms[m];
    if (ts[i]->ms[RPT_T4] == RPT_ABSENT && last > s.t1)
      s.t1 = last;
  }
  s.t1 += s.t1 / 12 + 1;
  char title[160];
  snprintf(title, sizeof title,
           "The %zu slowest tasks, by phase (time since each task's T0)", n);
  text(b, 8, 20, "ecsb-h", NULL, title);
  const double top = 44;
  double bottom = top + (double)n * ROW + 4;
  axis(b, &s, top - 4, bottom, "time since each task's T0");
  static const char *const names[4] = {
      "discover-servers (T0-T1)", "mesh-init (T1-T2)",
      "sidecar-proxy to HEALTHY (T2-T3)", "Consul checks passing (T3-T4)"};
  for (size_t i = 0; i < n; i++) {
    const rpt_task *t = ts[i];
    double y = top + (double)i * ROW, by = y + (ROW - BAR) / 2 - 2;
    char label[200], a[32];
    snprintf(label, sizeof label, "%s  T4 %s%s", t->name,
             t->ms[RPT_T4] == RPT_ABSENT ? "" : "+",
             t->ms[RPT_T4] == RPT_ABSENT
                 ? "not reached"
                 : rpt_fmt_us(t->ms[RPT_T4], a, sizeof a));
    text(b, 8, y + BAR - 3, "ecsb-t", NULL, label);
    int64_t prev = 0;
    for (int m = RPT_T1; m <= RPT_T4; m++) {
      int64_t at = t->ms[m];
      char cls[16];
      snprintf(cls, sizeof cls, "ecsb-p%d", m);
      if (at == RPT_ABSENT) {
        /* Stuck in this phase until the log ends. */
        phase(b, &s, prev, r->end_at - t->t0_at, by, cls, t->name,
              names[m - 1]);
        break;
      }
      phase(b, &s, prev, at, by, cls, t->name, names[m - 1]);
      prev = at;
    }
    for (size_t k = 0; k < r->n_faults; k++) {
      const rpt_fault *f = &r->faults[k];
      if (!f->task || strcmp(f->task, t->name) != 0)
        continue;
      double x = X(&s, f->at - t->t0_at);
      ecsb_buf_printf(b,
                      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                      "class=\"ecsb-fault\"><title>",
                      x, by - 3, x, by + BAR + 3);
      char tip[300];
      snprintf(tip, sizeof tip, "fault %s/%s at +%s",
               f->target ? f->target : "?", f->action ? f->action : "?",
               rpt_fmt_us(f->at - t->t0_at, a, sizeof a));
      rpt_buf_xml(b, tip);
      ecsb_buf_puts(b, "</title></line>\n");
    }
  }
  free(ts);
  double ly = bottom + 48, lx = 8;
  for (int m = 0; m < 4; m++) {
    char cls[16];
    snprintf(cls, sizeof cls, "ecsb-p%d", m + 1);
    legend_item(b, &lx, &ly, cls, names[m], false);
  }
  legend_item(b, &lx, &ly, "ecsb-fault", "fault injected", true);
  return ly + 14;
}

/* Stacks panels (each rendered at y = 0) into one document. */
static void assemble(ecsb_buf *out, ecsb_buf *panels, const double *heights,
                     size_t n, const char *title) {
  double total = 0;
  for (size_t i = 0; i < n; i++)
    total += heights[i] + 10;
  ecsb_buf_printf(out,
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
                  "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">\n",
                  WIDTH, total, WIDTH, total);
  ecsb_buf_puts(out, "<title>");
  rpt_buf_xml(out, title);
  ecsb_buf_puts(out, "</title>\n");
  ecsb_buf_puts(out, style);
  ecsb_buf_printf(out,
                  "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" "
                  "class=\"ecsb-bg\"/>\n",
                  WIDTH, total);
  double y = 0;
  for (size_t i = 0; i < n; i++) {
    ecsb_buf_printf(out, "<g transform=\"translate(0,%.1f)\">\n", y);
    if (panels[i].s)
      ecsb_buf_puts(out, panels[i].s);
    if (panels[i].oom)
      out->oom = true;
    ecsb_buf_puts(out, "</g>\n");
    y += heights[i] + 10;
  }
  ecsb_buf_puts(out, "</svg>\n");
}

void rpt_svg_timeline(const rpt_run *r, const rpt_task *only, ecsb_buf *out) {
  ecsb_buf p;
  ecsb_buf_init(&p);
  char title[300];
  snprintf(title, sizeof title, "%s: startup timeline%s%s", r->scenario,
           only ? " of " : "", only ? only->name : "");
  double h = panel_timeline(&p, r, only, title);
  assemble(out, &p, &h, 1, title);
  ecsb_buf_free(&p);
}

void rpt_svg_fleet(const rpt_run *r, ecsb_buf *out) {
  ecsb_buf p[2];
  double h[2];
  ecsb_buf_init(&p[0]);
  ecsb_buf_init(&p[1]);
  h[0] = panel_cdf(&p[0], r);
  h[1] = panel_slowest(&p[1], r);
  char title[300];
  snprintf(title, sizeof title, "%s: fleet startup", r->scenario);
  assemble(out, p, h, 2, title);
  ecsb_buf_free(&p[0]);
  ecsb_buf_free(&p[1]);
}

void rpt_svg_render(const rpt_run *r, ecsb_buf *out) {
  if (r->n_app_tasks <= 1) {
    rpt_svg_timeline(r, NULL, out);
    return;
  }
  const rpt_task *slow = rpt_run_slowest(r);
  ecsb_buf p[3];
  double h[3];
  for (int i = 0; i < 3; i++)
    ecsb_buf_init(&p[i]);
  h[0] = panel_cdf(&p[0], r);
  h[1] = panel_slowest(&p[1], r);
  char title[300];
  snprintf(title, sizeof title, "%s: startup timeline of %s, the slowest task",
           r->scenario, slow ? slow->name : "?");
  h[2] = panel_timeline(&p[2], r, slow, title);
  snprintf(title, sizeof title, "%s: fleet startup", r->scenario);
  assemble(out, p, h, 3, title);
  for (int i = 0; i < 3; i++)
    ecsb_buf_free(&p[i]);
}
