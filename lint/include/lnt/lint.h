/*
 * lint.h - `ecsboot lint`: what is wrong with a task definition's startup
 * graph, found before it reaches AWS (rules and codes: docs/lint.md).
 *
 * Owns the startup-ordering rules (ECSB-Lxxx advice on roles, volumes,
 * health-check timing, ports, grace periods) and the three outputs (text,
 * JSON, SARIF 2.1.0). The shapes a task definition comes in (`aws ecs
 * describe-task-definition` output, `register-task-definition
 * --cli-input-json` input, Terraform's `container_definitions` array) and
 * ECS's own rules are ecs-taskdef's (etd/taskdef.h), shared with fake-ecs
 * and `ecsboot run`: every problem it finds becomes a finding with ECS's
 * message. Every finding has a stable code, a severity, the JSON path it
 * is about (in the file's own shape), a one-line explanation and a fix
 * hint. It never stops at the first problem it can report. Links neither
 * fake.
 */
#ifndef LNT_LINT_H
#define LNT_LINT_H

#include <stdbool.h>
#include <stddef.h>

#include "ecsb/err.h"

typedef enum lnt_severity {
  LNT_INFO = 0,
  LNT_WARNING = 1,
  LNT_ERROR = 2,
} lnt_severity;

typedef struct lnt_rule {
  const char *code; /* "ECSB-L001" */
  const char *name; /* "unknown-dependency" */
  lnt_severity severity;
  const char *summary; /* one line, for SARIF rules and docs */
} lnt_rule;

typedef struct lnt_finding {
  const lnt_rule *rule;
  char *path;    /* JSON path in the file: "$.containerDefinitions[4]" */
  char *message; /* one line */
  char *hint;    /* how to fix it */
  int line;      /* 1-based line of the container in the file, 0 unknown */
} lnt_finding;

typedef struct lnt_result {
  char *file;
  lnt_finding *findings;
  size_t n;
} lnt_result;

/* Measured start->HEALTHY per container name, in scenario seconds (from a
 * run's JSON report or event log: lnt_timings_load). */
typedef struct lnt_timing {
  char *container;
  double start_to_healthy_s;
} lnt_timing;

typedef struct lnt_opts {
  const lnt_timing *timings; /* may be NULL */
  size_t n_timings;
} lnt_opts;

/* Lints text (the file's content; name is used in messages). An input that
 * is not a task definition (not JSON, a member of the wrong type, no
 * containerDefinitions, a container name missing, invalid or repeated) is
 * an error naming the file and ECS's message: the CLI exits 2. opts may
 * be NULL. */
int lnt_lint(const char *text, size_t len, const char *name,
             const lnt_opts *opts, lnt_result **out, ecsb_err *err);
void lnt_result_free(lnt_result *r);

/* Median start->HEALTHY of each container over a run's application tasks
 * (an event log or a JSON report written by ecsboot run / report). */
int lnt_timings_load(const char *path, lnt_timing **out, size_t *n,
                     ecsb_err *err);
void lnt_timings_free(lnt_timing *t, size_t n);

const lnt_rule *lnt_rules(size_t *n);
const char *lnt_severity_name(lnt_severity s); /* "error", ... */
int lnt_severity_parse(const char *s, lnt_severity *out);

typedef enum lnt_format { LNT_TEXT, LNT_JSON, LNT_SARIF } lnt_format;
/* Renders results (one per file) in a format; free() the text. */
char *lnt_render(const lnt_result *const *results, size_t n, lnt_format fmt);
/* How many findings are at or above sev. */
size_t lnt_count_at(const lnt_result *r, lnt_severity sev);

/* `ecsboot lint`: argv[0] is "lint". */
int lnt_cli_main(int argc, char **argv);

#endif
