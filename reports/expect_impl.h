/*
 * expect_impl.h - the parsed form of expectations, shared by the parser
 * (expect.c) and the evaluator (expect_eval.c, expect_inv.c), and the
 * evaluator's internals. Everything else uses the opaque rpt_expect of
 * rpt/expect.h.
 */
#ifndef RPT_EXPECT_IMPL_H
#define RPT_EXPECT_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "rpt/expect.h"
#include "rpt/strbuf.h"

typedef enum pat_type {
  PAT_CONTAINER,
  PAT_TASK_STATUS,
  PAT_MILESTONE
} pat_type;
typedef enum pat_sel { SEL_NAME, SEL_ROLE, SEL_ANY } pat_sel;
typedef enum pat_ev {
  EV_PENDING,
  EV_STARTED,
  EV_HEALTHY,
  EV_UNHEALTHY,
  EV_EXITED,
  EV_KILLED,
  EV_WAITING,
  EV_PULLING,
  EV_PULLED,
  EV_RESTARTING
} pat_ev;

typedef struct rpt_pattern {
  char *text; /* as written, for names and messages */
  pat_type type;
  pat_sel sel;
  char *name; /* container name or role; NULL for SEL_ANY */
  pat_ev ev;
  bool has_code, code_not;
  int code;
  char *signal;  /* killed(SIG...) */
  char *status;  /* task STATUS */
  int milestone; /* PAT_MILESTONE */
} rpt_pattern;

typedef enum xkind { X_ORDER, X_MILESTONE, X_FINAL, X_INVARIANT } xkind;
typedef enum ms_mode { MS_WITHIN, MS_NEVER, MS_REACHED } ms_mode;
typedef enum final_kind {
  F_TASK_STATUS,
  F_STOP_CODE,
  F_STOP_REASON,
  F_SERVICE_PASSING,
  F_FAILED_REQUESTS
} final_kind;
typedef enum inv_kind { INV_APP_AFTER_PROXY, INV_T4_CHECKS } inv_kind;

typedef struct xitem {
  xkind kind;
  char *name;
  char *path;
  /* order */
  rpt_pattern first, then;
  bool every, require_then;
  /* milestone */
  int ms;
  ms_mode mode;
  int64_t within_ns; /* scenario time */
  /* final */
  final_kind fkind;
  char *str;
  bool want;
  int64_t max_failed, min_failed; /* F_FAILED_REQUESTS; -1: no bound */
  /* invariant */
  inv_kind inv;
} xitem;

struct rpt_expect {
  xitem *items;
  size_t n;
};

const char *rpt_pat_event_name(pat_ev ev);

/* ---- evaluator internals (expect_eval.c, expect_inv.c) ---- */

#define RPT_X_NONE ((size_t)-1)
#define MAX_TASK_REFS 8
#define RPT_X_EVENT(c, ev) (&(c)->log->events[(ev)])

typedef struct ectx {
  const rpt_log *log;
  const rpt_run *run;
  const size_t *ms_event;
  size_t **tev; /* per task: indices of its events, in log order */
  size_t *n_tev;
  bool final;
  int64_t now;
} ectx;

typedef struct outcome {
  rpt_result r;
  int64_t at;
  ecsb_buf msg;
  size_t refs[MAX_TASK_REFS];
  char *notes[MAX_TASK_REFS];
  size_t n_refs;
} outcome;

/* Records an event that broke (or decided) an outcome, with why. */
void rpt_x_add_ref(outcome *o, size_t ev, const char *note);
/* "container.exited app-1/mesh-init (exit 1) @1.234s" */
void rpt_x_describe(const ectx *c, size_t ev, ecsb_buf *b);
bool rpt_x_role_is(const rpt_container *ct, const char *role);
/* The run time a task's time is judged up to: now, or the runner's last
 * sample of its lag when that came earlier (rpt_task's sampled_end). */
int64_t rpt_x_task_now(const ectx *c, const rpt_task *t);
/* When a finished task stops changing: its STOPPED time, else
 * rpt_x_task_now. */
int64_t rpt_x_end_time(const ectx *c, const rpt_task *t);
/* The run is over or the task STOPPED. */
bool rpt_x_task_done(const ectx *c, const rpt_task *t);

/* The built-in invariants (expect_inv.c). */
void rpt_x_app_after_proxy(const ectx *c, size_t ti, outcome *o);
void rpt_x_t4_checks(const ectx *c, size_t ti, outcome *o);

#endif
