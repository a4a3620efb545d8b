/*
 * expect_inv.c - the named invariants of the expectation language
 * (docs/expectations.md), judged per task by expect_eval.c:
 *   app_after_proxy_healthy     every application container starts while
 *                               each sidecar-proxy is HEALTHY (its latest
 *                               health event is healthy and it has not
 *                               ended), as the ECS agent's HEALTHY
 *                               dependency promises;
 *   t4_requires_passing_checks  when T4 is reached, every Consul check of
 *                               the task seen so far is passing.
 */
#include <stdlib.h>
#include <string.h>

#include "expect_impl.h"

void rpt_x_app_after_proxy(const ectx *c, size_t ti, outcome *o) {
  const rpt_task *t = &c->run->tasks[ti];
  size_t n_proxy = 0, n_app = 0, n_app_started = 0, n_break = 0;
  int64_t first_break = RPT_ABSENT, last_start = RPT_ABSENT;
  bool *healthy = calloc(t->n_containers + 1, sizeof *healthy);
  size_t *last_h = malloc((t->n_containers + 1) * sizeof *last_h);
  if (!healthy || !last_h) {
    free(healthy);
    free(last_h);
    o->r = RPT_UNDECIDED;
    ecsb_buf_puts(&o->msg, "out of memory");
    return;
  }
  for (size_t i = 0; i < t->n_containers; i++) {
    n_proxy += rpt_x_role_is(&t->containers[i], "sidecar-proxy");
    n_app += rpt_x_role_is(&t->containers[i], "app");
    last_h[i] = RPT_X_NONE;
  }
  for (size_t k = 0; n_proxy && k < c->n_tev[ti]; k++) {
    size_t ev = c->tev[ti][k];
    const rpt_event *e = RPT_X_EVENT(c, ev);
    long ci = e->container ? rpt_task_container_index(t, e->container) : -1;
    if (ci < 0 || strncmp(e->kind, "container.", 10) != 0)
      continue;
    const rpt_container *ct = &t->containers[ci];
    const char *what = e->kind + 10;
    if (rpt_x_role_is(ct, "sidecar-proxy")) {
      if (strcmp(what, "healthy") == 0)
        healthy[ci] = true;
      else if (strcmp(what, "unhealthy") == 0 || strcmp(what, "exited") == 0 ||
               strcmp(what, "killed") == 0)
        healthy[ci] = false;
      if (strcmp(what, "pending") != 0 && strcmp(what, "started") != 0)
        last_h[ci] = ev;
    } else if (rpt_x_role_is(ct, "app") && strcmp(what, "started") == 0) {
      n_app_started++;
      last_start = e->t_us;
      for (size_t p = 0; p < t->n_containers; p++) {
        if (!rpt_x_role_is(&t->containers[p], "sidecar-proxy") || healthy[p])
          continue;
        if (n_break++ == 0) {
          first_break = e->t_us;
          rpt_x_describe(c, ev, &o->msg);
          ecsb_buf_printf(&o->msg, " while %s was not HEALTHY",
                          t->containers[p].name);
          if (last_h[p] != RPT_X_NONE) {
            ecsb_buf_puts(&o->msg, " (its last health event: ");
            rpt_x_describe(c, last_h[p], &o->msg);
            ecsb_buf_puts(&o->msg, ")");
          } else {
            ecsb_buf_puts(&o->msg, " (it had never been HEALTHY)");
          }
        }
        rpt_x_add_ref(o, ev, "application container started");
        rpt_x_add_ref(o, last_h[p], "sidecar-proxy's last health event before");
        break;
      }
    }
  }
  free(healthy);
  free(last_h);
  if (n_break) {
    o->r = RPT_FAIL;
    o->at = first_break;
    if (n_break > 1)
      ecsb_buf_printf(&o->msg, "; %zu application starts in all", n_break);
    return;
  }
  ecsb_buf_free(&o->msg);
  if (n_proxy == 0 && t->n_containers > 0) {
    o->r = RPT_PASS; /* no sidecar-proxy: nothing to wait for */
    o->at = t->t0_at;
  } else if (n_app && n_app_started == n_app) {
    o->r = RPT_PASS;
    o->at = last_start;
  } else if (rpt_x_task_done(c, t)) {
    o->r = RPT_PASS;
    o->at = rpt_x_end_time(c, t);
  } else {
    o->r = RPT_UNDECIDED;
    ecsb_buf_puts(&o->msg, "waiting for the application containers to start");
  }
}

typedef struct check_state {
  const char *id;
  const char *status;
  size_t ev;
} check_state;

void rpt_x_t4_checks(const ectx *c, size_t ti, outcome *o) {
  const rpt_task *t = &c->run->tasks[ti];
  size_t te = c->ms_event[ti * RPT_MS_COUNT + RPT_T4];
  if (te == RPT_X_NONE) {
    if (rpt_x_task_done(c, t)) {
      o->r = RPT_PASS; /* never reached T4: nothing to hold */
      o->at = rpt_x_end_time(c, t);
    } else {
      o->r = RPT_UNDECIDED;
      ecsb_buf_puts(&o->msg, "waiting for T4");
    }
    return;
  }
  check_state *cs = NULL;
  size_t n = 0;
  for (size_t k = 0; k < c->n_tev[ti] && c->tev[ti][k] < te; k++) {
    size_t ev = c->tev[ti][k];
    const rpt_event *e = RPT_X_EVENT(c, ev);
    const char *id = rpt_event_str(e, "check_id");
    if (strcmp(e->kind, "consul.check") != 0 || !id)
      continue;
    size_t i = 0;
    while (i < n && strcmp(cs[i].id, id) != 0)
      i++;
    if (i == n) {
      check_state *ncs = realloc(cs, (n + 1) * sizeof *ncs);
      if (!ncs)
        break;
      cs = ncs;
      n++;
    }
    cs[i].id = id;
    cs[i].status = rpt_event_str(e, "status");
    cs[i].ev = ev;
  }
  size_t bad = 0;
  for (size_t i = 0; i < n; i++) {
    if (cs[i].status && strcmp(cs[i].status, "passing") == 0)
      continue;
    if (bad++ == 0) {
      ecsb_buf_puts(&o->msg, "T4 (");
      rpt_x_describe(c, te, &o->msg);
      ecsb_buf_puts(&o->msg, ") while not every check passed: ");
      rpt_x_add_ref(o, te, "T4");
    } else {
      ecsb_buf_puts(&o->msg, "; ");
    }
    rpt_x_describe(c, cs[i].ev, &o->msg);
    rpt_x_add_ref(o, cs[i].ev, "check not passing at T4");
  }
  free(cs);
  o->at = RPT_X_EVENT(c, te)->t_us;
  o->r = bad ? RPT_FAIL : RPT_PASS;
}
