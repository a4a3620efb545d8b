/*
 * junit.c - renders runs as JUnit XML (junit.h). Element order and
 * attributes follow the Jenkins junit-4 schema (properties, testcase*,
 * system-out, system-err inside a testsuite); tests/data/junit/junit.xsd
 * is the schema the tests validate against.
 *
 * testcase time = seconds from the run's start until the verdict was
 * decided (0 when it never was); testsuite time = the run's length.
 */
#include "rpt/junit.h"

#include <stdio.h>
#include <string.h>

static void attr(ecsb_buf *b, const char *name, const char *value) {
  ecsb_buf_printf(b, " %s=\"", name);
  rpt_buf_xml(b, value);
  ecsb_buf_putc(b, '"');
}

static void attr_n(ecsb_buf *b, const char *name, size_t v) {
  ecsb_buf_printf(b, " %s=\"%zu\"", name, v);
}

static void property(ecsb_buf *b, const char *name, const char *value) {
  ecsb_buf_puts(b, "      <property");
  attr(b, "name", name);
  attr(b, "value", value ? value : "");
  ecsb_buf_puts(b, "/>\n");
}

/* Ant writes "yyyy-MM-ddTHH:mm:ss" without a zone; wall_start is UTC. */
static bool timestamp(const char *wall, char *out, size_t cap) {
  if (!wall || strlen(wall) < 19 || wall[4] != '-' || wall[10] != 'T' ||
      cap < 20)
    return false;
  memcpy(out, wall, 19);
  out[19] = '\0';
  return true;
}

static void refs_text(ecsb_buf *b, const rpt_verdict *v) {
  ecsb_buf b2;
  ecsb_buf_init(&b2);
  ecsb_buf_printf(&b2, "%s\n%s\n", v->path ? v->path : "",
                  v->message ? v->message : "");
  if (v->n_failed_tasks) {
    ecsb_buf_puts(&b2, "failed tasks:");
    for (size_t i = 0; i < v->n_failed_tasks; i++)
      ecsb_buf_printf(&b2, " %s", v->failed_tasks[i]);
    ecsb_buf_putc(&b2, '\n');
  }
  if (v->n_refs)
    ecsb_buf_puts(&b2, "events:\n");
  for (size_t i = 0; i < v->n_refs; i++) {
    const rpt_ref *e = &v->refs[i];
    char t[32];
    ecsb_buf_printf(&b2, "  %s", e->kind);
    if (e->task)
      ecsb_buf_printf(&b2, " %s%s%s", e->task, e->container ? "/" : "",
                      e->container ? e->container : "");
    ecsb_buf_printf(&b2, " @%s", rpt_fmt_us(e->at, t, sizeof t));
    if (e->note)
      ecsb_buf_printf(&b2, ": %s", e->note);
    ecsb_buf_putc(&b2, '\n');
  }
  if (b2.oom)
    b->oom = true;
  rpt_buf_xml(b, b2.s);
  ecsb_buf_free(&b2);
}

static void suite(ecsb_buf *b, const rpt_run *r, size_t id) {
  size_t f = rpt_run_failures(r), u = rpt_run_undecided(r),
         inc = rpt_run_inconclusive(r);
  char t[32], ts[32];
  ecsb_buf_puts(b, "  <testsuite");
  attr(b, "name", r->scenario);
  attr_n(b, "tests", r->n_verdicts);
  attr_n(b, "failures", f);
  attr_n(b, "errors", u);
  attr_n(b, "skipped", inc);
  attr(b, "time", rpt_fmt_secs(r->end_at, t, sizeof t));
  if (timestamp(r->wall_start, ts, sizeof ts))
    attr(b, "timestamp", ts);
  attr_n(b, "id", id);
  attr(b, "package", "ecsboot");
  ecsb_buf_puts(b, ">\n    <properties>\n");
  char num[64];
  snprintf(num, sizeof num, "%lld", (long long)r->seed);
  property(b, "seed", num);
  snprintf(num, sizeof num, "%g", r->time_scale);
  property(b, "time_scale", num);
  if (r->description)
    property(b, "description", r->description);
  if (r->wall_start)
    property(b, "wall_start", r->wall_start);
  if (r->ecsboot_version)
    property(b, "ecsboot_version", r->ecsboot_version);
  property(b, "log_complete", r->complete ? "true" : "false");
  snprintf(num, sizeof num, "%zu", r->n_app_tasks);
  property(b, "app_tasks", num);
  /* Every milestone reached (T0-T4, then the shutdown's S0-S4): the
   * median offset from each task's T0 over the application tasks, wall
   * microseconds, so a CI dashboard can chart them. */
  for (int m = 0; m < RPT_MS_COUNT; m++) {
    if (r->ms[m].n == 0)
      continue;
    char name[48];
    snprintf(name, sizeof name, "milestone.%s.p50_us", rpt_ms_name(m));
    snprintf(num, sizeof num, "%lld", (long long)r->ms[m].p50);
    property(b, name, num);
  }
  ecsb_buf_puts(b, "    </properties>\n");
  ecsb_buf b2;
  ecsb_buf_init(&b2);
  ecsb_buf_printf(&b2, "ecsboot.%s", r->scenario);
  const char *classname = b2.s ? b2.s : "ecsboot";
  for (size_t i = 0; i < r->n_verdicts; i++) {
    const rpt_verdict *v = &r->verdicts[i];
    ecsb_buf_puts(b, "    <testcase");
    attr(b, "name", v->name);
    attr(b, "classname", classname);
    attr(b, "time", rpt_fmt_secs(v->decided_at, t, sizeof t));
    if (v->result == RPT_PASS) {
      ecsb_buf_puts(b, "/>\n");
      continue;
    }
    /* JUnit has no "could not tell": skipped, with the reason, is what CI
     * dashboards show as neither green nor red. */
    if (v->result == RPT_INCONCLUSIVE) {
      ecsb_buf_puts(b, ">\n      <skipped");
      ecsb_buf b4;
      ecsb_buf_init(&b4);
      ecsb_buf_printf(&b4, "INCONCLUSIVE: %s", v->message ? v->message : "");
      if (b4.oom)
        b->oom = true;
      attr(b, "message", b4.s ? b4.s : "INCONCLUSIVE");
      ecsb_buf_free(&b4);
      ecsb_buf_puts(b, "/>\n    </testcase>\n");
      continue;
    }
    const char *el = v->result == RPT_FAIL ? "failure" : "error";
    ecsb_buf_printf(b, ">\n      <%s", el);
    attr(b, "message", v->message ? v->message : "");
    attr(b, "type",
         v->result == RPT_FAIL ? (v->kind && *v->kind ? v->kind : "failure")
                               : "undecided");
    ecsb_buf_putc(b, '>');
    refs_text(b, v);
    ecsb_buf_printf(b, "</%s>\n    </testcase>\n", el);
  }
  if (b2.oom)
    b->oom = true;
  ecsb_buf_free(&b2);
  ecsb_buf_puts(b, "    <system-out>");
  ecsb_buf b3;
  ecsb_buf_init(&b3);
  ecsb_buf_printf(&b3,
                  "event log: %s\nlog %s, %zu events, %zu tasks (%zu "
                  "application)\n",
                  r->log_path ? r->log_path : "(unknown)",
                  r->complete ? "complete" : "INCOMPLETE", r->n_events,
                  r->n_tasks, r->n_app_tasks);
  if (r->expect_error)
    ecsb_buf_printf(&b3, "expectations did not parse: %s\n", r->expect_error);
  if (b3.oom)
    b->oom = true;
  rpt_buf_xml(b, b3.s);
  ecsb_buf_free(&b3);
  ecsb_buf_puts(b, "</system-out>\n    <system-err></system-err>\n"
                   "  </testsuite>\n");
}

void rpt_junit_render(rpt_run *const *runs, size_t n, ecsb_buf *out) {
  size_t tests = 0, f = 0, u = 0;
  int64_t time = 0;
  for (size_t i = 0; i < n; i++) {
    tests += runs[i]->n_verdicts;
    f += rpt_run_failures(runs[i]);
    u += rpt_run_undecided(runs[i]);
    time += runs[i]->end_at;
  }
  char t[32];
  ecsb_buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites");
  attr(out, "name", "ecsboot");
  attr_n(out, "tests", tests);
  attr_n(out, "failures", f);
  attr_n(out, "errors", u);
  attr(out, "time", rpt_fmt_secs(time, t, sizeof t));
  ecsb_buf_puts(out, ">\n");
  for (size_t i = 0; i < n; i++)
    suite(out, runs[i], i);
  ecsb_buf_puts(out, "</testsuites>\n");
}
