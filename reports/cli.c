/*
 * cli.c - `ecsboot report` and its compare and merge subcommands
 * (cli.h). Parses flags with core's table-driven parser, loads inputs,
 * and hands the model to the writers; all decisions about formats and
 * files live in report.c. Never calls exit(): returns the exit code.
 */
#include "rpt/cli.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/duration.h"
#include "ecsb/flags.h"
#include "rpt/compare.h"
#include "rpt/merge.h"
#include "rpt/report.h"
#include "rpt/term.h"

enum {
  EXIT_OK = 0,
  EXIT_FAILED = 1,
  EXIT_USAGE = 2,
  EXIT_INCONCLUSIVE = 4 /* as ecsboot run's */
};

static const char *const report_epilog =
    "Formats: term (the terminal report, to stdout), json, junit, svg, "
    "html, all,\nor a comma list. Without --out one format is printed to "
    "stdout (default term);\nwith --out DIR the formats (default all) are "
    "written to DIR as summary.txt,\nreport.json, junit.xml, timeline.svg "
    "and report.html.\n\nExit codes: 0 every expectation passed, 1 one "
    "failed or is undecided,\n2 bad usage or unreadable input, 4 none failed "
    "but one is INCONCLUSIVE.\nSee docs/reports.md.\n";

static int usage_error(FILE *errs, const ecsb_err *e) {
  fprintf(errs, "ecsboot report: %s\n", e->msg);
  return EXIT_USAGE;
}

static int verdict_exit(rpt_run *const *runs, size_t n) {
  bool inconclusive = false;
  for (size_t i = 0; i < n; i++) {
    if (rpt_run_failures(runs[i]) || rpt_run_undecided(runs[i]))
      return EXIT_FAILED;
    inconclusive = inconclusive || rpt_run_inconclusive(runs[i]);
  }
  return inconclusive ? EXIT_INCONCLUSIVE : EXIT_OK;
}

static int print_format(rpt_run *const *runs, size_t n, unsigned fmt, FILE *out,
                        FILE *errs) {
  char *text = NULL;
  ecsb_err e = {0};
  bool color = fmt == RPT_FMT_TERM && rpt_term_color_wanted(fileno(out));
  if (rpt_report_render(runs, n, fmt, color, &text, &e) != 0)
    return usage_error(errs, &e);
  fputs(text, out);
  free(text);
  return EXIT_OK;
}

static bool single_format(unsigned f) {
  return f && !(f & (f - 1));
}

/* report and merge share this: load, then print or write. */
static int load_and_write(const char *cmd, char **inputs, size_t n_inputs,
                          const char *format, const char *dir, bool merge,
                          FILE *out, FILE *errs) {
  ecsb_err e = {0};
  unsigned fmts = 0;
  if (format && rpt_formats_parse(format, &fmts, &e) != 0)
    return usage_error(errs, &e);
  if (!dir && (!fmts || fmts == RPT_FMT_TERM))
    fmts = RPT_FMT_TERM;
  else if (dir && !fmts)
    fmts = RPT_FMT_ALL;
  if (!dir && !single_format(fmts)) {
    fprintf(errs,
            "ecsboot %s: --format %s writes several files: give --out DIR\n",
            cmd, format);
    return EXIT_USAGE;
  }
  rpt_run **runs = NULL;
  size_t n = 0, dups = 0;
  int rc;
  if (merge)
    rc = rpt_merge_load((const char *const *)inputs, n_inputs, &runs, &n, &dups,
                        &e);
  else {
    rc = 0;
    for (size_t i = 0; !rc && i < n_inputs; i++)
      rc = rpt_report_load(inputs[i], &runs, &n, &e);
  }
  if (rc) {
    rpt_runs_free(runs, n);
    fprintf(errs, "ecsboot %s: %s\n", cmd, e.msg);
    return EXIT_USAGE;
  }
  if (dups)
    fprintf(errs,
            "ecsboot %s: note: %zu scenario%s appear%s more than once; each "
            "run is kept\n",
            cmd, dups, dups == 1 ? "" : "s", dups == 1 ? "s" : "");
  int code = EXIT_OK;
  if (dir) {
    if (rpt_report_write_dir(runs, n, dir, fmts, &e) != 0) {
      fprintf(errs, "ecsboot %s: %s\n", cmd, e.msg);
      code = EXIT_USAGE;
    } else {
      if (fmts & RPT_FMT_TERM)
        code = print_format(runs, n, RPT_FMT_TERM, out, errs);
      fprintf(errs, "ecsboot %s: %zu run%s written to %s\n", cmd, n,
              n == 1 ? "" : "s", dir);
    }
  } else {
    code = print_format(runs, n, fmts, out, errs);
  }
  if (code == EXIT_OK)
    code = verdict_exit(runs, n);
  rpt_runs_free(runs, n);
  return code;
}

static int cmd_report(int argc, char **argv, FILE *out, FILE *errs,
                      bool merge) {
  const char *format = NULL, *dir = NULL;
  ecsb_flag flags[] = {
      {.name = "format",
       .type = ECSB_FLAG_STRING,
       .dest = &format,
       .metavar = "F",
       .help = "term, json, junit, svg, html, all or a comma list"},
      {.name = "out",
       .type = ECSB_FLAG_STRING,
       .dest = &dir,
       .metavar = "DIR",
       .help = merge ? "folder for the merged report (required)"
                     : "write the formats into this folder"},
  };
  ecsb_flagset fs = {
      .command = merge ? "ecsboot report merge" : "ecsboot report",
      .args = merge ? "INPUT..." : "LOG|REPORT...",
      .summary = merge
                     ? "Combines shard event logs and JSON reports into one "
                       "report and one JUnit file."
                     : "Renders the reports of a saved event log (or JSON "
                       "report): milestones, verdicts,\nblame, critical chain, "
                       "JSON, JUnit, SVG timeline, HTML.",
      .flags = flags,
      .n_flags = sizeof flags / sizeof flags[0],
      .epilog = report_epilog};
  char **pos = calloc((size_t)argc + 1, sizeof *pos);
  size_t n_pos = 0;
  ecsb_err e = {0};
  if (!pos)
    return EXIT_USAGE;
  int rc = ecsb_flags_parse(&fs, argc, argv, pos, (size_t)argc + 1, &n_pos, &e);
  int code;
  if (rc == ECSB_FLAGS_HELP) {
    ecsb_flags_usage(&fs, out);
    code = EXIT_OK;
  } else if (rc) {
    code = usage_error(errs, &e);
  } else if (n_pos == 0) {
    fprintf(errs, "%s: give at least one event log or JSON report\n",
            fs.command);
    code = EXIT_USAGE;
  } else if (merge && !dir) {
    fprintf(errs, "%s: --out DIR is required\n", fs.command);
    code = EXIT_USAGE;
  } else {
    code = load_and_write(merge ? "report merge" : "report", pos, n_pos, format,
                          dir, merge, out, errs);
  }
  free(pos);
  return code;
}

static int cmd_compare(int argc, char **argv, FILE *out, FILE *errs) {
  const char *threshold = "10%";
  int64_t min_delta_ns = ECSB_NS_PER_MS;
  ecsb_flag flags[] = {
      {.name = "threshold",
       .type = ECSB_FLAG_STRING,
       .dest = &threshold,
       .metavar = "PCT",
       .help = "relative change that counts (default 10%)"},
      {.name = "min-delta",
       .type = ECSB_FLAG_DURATION,
       .dest = &min_delta_ns,
       .min = 0,
       .max = INT64_C(3600) * ECSB_NS_PER_S,
       .metavar = "DURATION",
       .help = "smaller absolute changes are noise (default 1ms, wall time)"},
  };
  ecsb_flagset fs = {
      .command = "ecsboot report compare",
      .args = "BASE NEW",
      .summary = "Compares the median and p95 of every milestone and "
                 "container between two runs\n(event logs or JSON reports); "
                 "exits 1 on a regression.",
      .flags = flags,
      .n_flags = sizeof flags / sizeof flags[0],
      .epilog = "Exit codes: 0 no regression, 1 a regression, 2 bad usage "
                "or unreadable input.\n"};
  char *pos[3];
  size_t n_pos = 0;
  ecsb_err e = {0};
  int rc = ecsb_flags_parse(&fs, argc, argv, pos, 3, &n_pos, &e);
  if (rc == ECSB_FLAGS_HELP) {
    ecsb_flags_usage(&fs, out);
    return EXIT_OK;
  }
  if (rc)
    return usage_error(errs, &e);
  if (n_pos != 2) {
    fprintf(errs, "%s: give BASE and NEW (event logs or JSON reports)\n",
            fs.command);
    return EXIT_USAGE;
  }
  rpt_compare_opts o = {.min_delta_us = min_delta_ns / 1000};
  if (rpt_compare_threshold_parse(threshold, &o.threshold, &e) != 0)
    return usage_error(errs, &e);
  rpt_run **base = NULL, **cur = NULL;
  size_t nb = 0, nc = 0;
  int code = EXIT_USAGE;
  rpt_compare *c = NULL;
  ecsb_buf b;
  ecsb_buf_init(&b);
  if (rpt_report_load(pos[0], &base, &nb, &e) != 0 ||
      rpt_report_load(pos[1], &cur, &nc, &e) != 0 ||
      rpt_compare_runs(base, nb, cur, nc, &o, &c, &e) != 0) {
    fprintf(errs, "%s: %s\n", fs.command, e.msg);
    goto out;
  }
  rpt_compare_render(c, &o, pos[0], pos[1], rpt_term_color_wanted(fileno(out)),
                     &b);
  if (ecsb_buf_check(&b, "comparison", &e) != 0) {
    fprintf(errs, "%s: %s\n", fs.command, e.msg);
    goto out;
  }
  fputs(b.s, out);
  code = c->regressions ? EXIT_FAILED : EXIT_OK;
out:
  ecsb_buf_free(&b);
  rpt_compare_free(c);
  rpt_runs_free(base, nb);
  rpt_runs_free(cur, nc);
  return code;
}

int rpt_cli_run(int argc, char **argv, FILE *out, FILE *errs) {
  /* argv[0] is "report". */
  if (argc >= 2 && strcmp(argv[1], "compare") == 0)
    return cmd_compare(argc - 2, argv + 2, out, errs);
  if (argc >= 2 && strcmp(argv[1], "merge") == 0)
    return cmd_report(argc - 2, argv + 2, out, errs, true);
  return cmd_report(argc - 1, argv + 1, out, errs, false);
}

int rpt_cli_main(int argc, char **argv) {
  int code = rpt_cli_run(argc, argv, stdout, stderr);
  fflush(stdout);
  return code;
}
