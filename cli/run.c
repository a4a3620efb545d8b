/*
 * run.c - `ecsboot run [FILE...]`: flags, loading every scenario before
 * anything starts (a bad one exits 2), sharding, one run after another,
 * the terminal summary and the report folder of each, and the exit code.
 *
 * Exit codes: 0 every expectation of every run held; 1 one failed; 2 a
 * usage or scenario error (nothing was started); 3 an internal error (a
 * run could not be set up, or its log not written); 4 none failed but one
 * was INCONCLUSIVE (host lag, docs/expectations.md); 128+N when interrupted
 * by signal N (SIGINT 130, SIGTERM 143): the run in progress is torn down
 * and its log marked incomplete, later scenarios are not started.
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "ecsb/flags.h"
#include "fecs/engine.h"
#include "fecs/fecs.h"
#include "rpt/repeat.h"
#include "rpt/report.h"
#include "rpt/strbuf.h"
#include "scn/image_root.h"
#include "scn/runner.h"

#ifndef ECSB_INIT_BIN_DEFAULT
#define ECSB_INIT_BIN_DEFAULT "ecsboot-init"
#endif
#ifndef ECSB_STANDIN_BIN_DEFAULT
#define ECSB_STANDIN_BIN_DEFAULT ""
#endif

enum {
  EXIT_PASS = 0,
  EXIT_FAIL = 1,
  EXIT_USAGE = 2,
  EXIT_INTERNAL = 3,
  EXIT_INCONCLUSIVE = 4
};

static const char epilog[] =
    "With no FILE, runs the built-in T0-T4 scenario (scenarios/catalog/"
    "t0-t4.json\nwith examples/mesh-task-taskdef.json).\n"
    "Each run writes <out>/events.jsonl, the container logs under <out>/tasks/"
    "\nand the reports (summary.txt, report.json, junit.xml, timeline.svg,\n"
    "report.html) into --report-dir.\n"
    "Exit codes: 0 every expectation held, 1 one failed, 2 usage or scenario\n"
    "error (nothing started), 3 internal error, 4 none failed but one was\n"
    "INCONCLUSIVE (this host lagged more than the margin: the message says\n"
    "which --time-scale would decide it), 130/143 interrupted by\n"
    "SIGINT/SIGTERM (the log is marked incomplete).";

typedef struct run_flags {
  const char *out, *report_dir, *formats, *shard, *init_bin, *until;
  int64_t seed, net_block, repeat;
  const char *time_scale;
  bool seed_set, quiet, no_progress, exec_each;
} run_flags;

static int parse_shard(const char *s, unsigned *k, unsigned *n) {
  char *end;
  unsigned long a = strtoul(s, &end, 10);
  if (*end != '/')
    return -1;
  unsigned long b = strtoul(end + 1, &end, 10);
  if (*end || b < 1 || b > 10000 || a < 1 || a > b)
    return -1;
  *k = (unsigned)a;
  *n = (unsigned)b;
  return 0;
}

/* Stable shard of a scenario: FNV-1a of its file name (not its position),
 * so adding a scenario moves no other one to another shard. */
static unsigned shard_of(const char *path, unsigned n) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  uint32_t h = 2166136261u;
  for (const char *p = base; *p; p++)
    h = (h ^ (unsigned char)*p) * 16777619u;
  return h % n;
}

static void self_dir(char *buf, size_t cap) {
  ssize_t n = readlink("/proc/self/exe", buf, cap - 1);
  if (n <= 0) {
    snprintf(buf, cap, ".");
    return;
  }
  buf[n] = '\0';
  char *slash = strrchr(buf, '/');
  if (slash)
    *slash = '\0';
}

/* A program installed side by side with this one, or in the build tree
 * (build_rel, from cli/), else the build's own path (dflt). False when
 * none is executable; out then holds dflt. */
static bool find_program(const char *dir, const char *name,
                         const char *build_rel, const char *dflt, char *out,
                         size_t cap) {
  const char *rel[] = {name, build_rel};
  for (size_t i = 0; i < 2; i++) {
    snprintf(out, cap, "%s/%s", dir, rel[i]);
    if (access(out, X_OK) == 0)
      return true;
  }
  snprintf(out, cap, "%s", dflt);
  return *dflt && access(dflt, X_OK) == 0;
}

static int apply_overrides(scn_scenario *s, const run_flags *f, ecsb_err *err) {
  if (f->seed_set)
    s->seed = (uint64_t)f->seed;
  if (f->time_scale) {
    char *end;
    double v = strtod(f->time_scale, &end);
    if (*end || !(v > 0 && v <= 1000))
      return ecsb_err_set(err, ECSB_EINVAL,
                          "--time-scale: expected a number in (0, 1000], got "
                          "\"%s\"",
                          f->time_scale);
    s->time_scale = v;
  }
  return 0;
}

static const char *outcome_name(scn_run_outcome o) {
  return o == SCN_RUN_PASSED         ? "passed"
         : o == SCN_RUN_FAILED       ? "FAILED"
         : o == SCN_RUN_INCONCLUSIVE ? "INCONCLUSIVE"
                                     : "interrupted";
}

static int report(const scn_scenario *s, const scn_run_result *res,
                  const char *report_dir, unsigned formats, bool quiet,
                  rpt_run ***all, size_t *n_all) {
  ecsb_err err = {0};
  rpt_log *log = NULL;
  rpt_run *run = NULL;
  int rc = rpt_log_read(res->log_path, RPT_MAX_INPUT_BYTES, &log, &err);
  if (!rc)
    rc = rpt_report_from_log(log, res->log_path, NULL, &run, &err);
  rpt_log_free(log);
  if (!rc && !quiet) {
    bool color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
    char *text = NULL;
    if (!rpt_report_render(&run, 1, RPT_FMT_TERM, color, &text, &err))
      fputs(text, stdout);
    free(text);
  }
  if (!rc)
    rc = rpt_report_write_dir(&run, 1, report_dir, formats, &err);
  if (rc) {
    fprintf(stderr, "ecsboot run: %s: report: %s\n", s->name, err.msg);
    rpt_run_free(run);
    return EXIT_INTERNAL;
  }
  if (!quiet)
    printf("\nrun %s: %s in %.2f s wall (time_scale %g); log %s; reports in "
           "%s\n",
           s->name, outcome_name(res->outcome), (double)res->wall_us / 1e6,
           s->time_scale, res->log_path, report_dir);
  fflush(stdout);
  rpt_run **na = realloc(*all, (*n_all + 1) * sizeof *na);
  if (!na) {
    rpt_run_free(run);
    return EXIT_INTERNAL;
  }
  *all = na;
  na[(*n_all)++] = run;
  return 0;
}

/* --repeat: the runs' combined reports in the scenario's folder, and how
 * much each milestone moved between them. */
static int repeat_summary(rpt_run *const *runs, size_t n, const char *dir,
                          unsigned formats, bool quiet) {
  ecsb_err err = {0};
  if (rpt_report_write_dir(runs, n, dir,
                           formats & (RPT_FMT_JSON | RPT_FMT_JUNIT |
                                      RPT_FMT_HTML | RPT_FMT_TERM),
                           &err)) {
    fprintf(stderr, "ecsboot run: %s: combined report: %s\n", runs[0]->scenario,
            err.msg);
    return EXIT_INTERNAL;
  }
  if (quiet)
    return 0;
  ecsb_buf b;
  ecsb_buf_init(&b);
  rpt_repeat_render(runs, n, &b);
  if (b.oom) {
    ecsb_buf_free(&b);
    return EXIT_INTERNAL;
  }
  printf("\n%s(combined reports of the %zu runs in %s)\n", b.s, n, dir);
  ecsb_buf_free(&b);
  fflush(stdout);
  return 0;
}

int cli_run_main(int argc, char **argv) {
  run_flags f = {.formats = "all", .repeat = 1};
  ecsb_flag flags[] = {
      {"out", NULL, ECSB_FLAG_STRING, &f.out, 0, 0, "DIR",
       "run folder (default reports/out/<scenario>; with several scenarios "
       "DIR/<scenario>)",
       NULL},
      {"report-dir", NULL, ECSB_FLAG_STRING, &f.report_dir, 0, 0, "DIR",
       "where the reports go (default: the run folder; with several "
       "scenarios DIR/<scenario>, plus the combined report in DIR)",
       NULL},
      {"formats", NULL, ECSB_FLAG_STRING, &f.formats, 0, 0, "LIST",
       "term,json,junit,svg,html or all (default all)", NULL},
      {"shard", NULL, ECSB_FLAG_STRING, &f.shard, 0, 0, "K/N",
       "run only the K-th of N slices of the scenarios (stable by file name)",
       NULL},
      {"seed", NULL, ECSB_FLAG_INT, &f.seed, 0, INT64_MAX, "N",
       "override every scenario's seed", &f.seed_set},
      {"time-scale", NULL, ECSB_FLAG_STRING, &f.time_scale, 0, 0, "X",
       "override every scenario's time_scale", NULL},
      {"net-block", NULL, ECSB_FLAG_INT, &f.net_block, 0, 250, "B",
       "prefer the address block 127.B.0.0/16 (default: the first free one)",
       NULL},
      {"init-bin", NULL, ECSB_FLAG_STRING, &f.init_bin, 0, 0, "PATH",
       "the ecsboot-init program (default: next to ecsboot), or an extracted "
       "image root holding /ecsboot-init, run with the root's own loader and "
       "libraries",
       NULL},
      {"until", NULL, ECSB_FLAG_STRING, &f.until, 0, 0, "WHEN",
       "how long to go on once the expectations are decided: decided "
       "(default), T4 (every task reached T4 or stopped), stable (nothing "
       "happened for 30s), deadline, or a scenario time since T0 (90s, 5m); "
       "never past the deadline",
       NULL},
      {"repeat", NULL, ECSB_FLAG_INT, &f.repeat, 1, 1000, "N",
       "run each scenario N times (into <out>/run-K) and print how much each "
       "milestone moved between runs",
       NULL},
      {"quiet", "q", ECSB_FLAG_BOOL, &f.quiet, 0, 0, NULL,
       "print no summary (reports are still written)", NULL},
      {"exec-each", NULL, ECSB_FLAG_BOOL, &f.exec_each, 0, 0, NULL,
       "exec every container's program, as a container runtime does, "
       "instead of starting ecsboot-init's and ecsboot's containers from a "
       "fork server with their libraries already loaded (slower; for "
       "comparing start-up costs)",
       NULL},
      {"no-progress", NULL, ECSB_FLAG_BOOL, &f.no_progress, 0, 0, NULL,
       "no live progress line on stderr", NULL},
  };
  ecsb_flagset fs = {.command = "ecsboot run",
                     .args = "[FILE...]",
                     .summary = "Replays the startup of ECS tasks with real "
                                "processes, the real ecsboot-init and the\n"
                                "in-process fakes, and judges the scenario's "
                                "expectations.",
                     .flags = flags,
                     .n_flags = sizeof flags / sizeof flags[0],
                     .epilog = epilog};
  char **pos = calloc((size_t)argc + 1, sizeof *pos);
  size_t n_pos = 0;
  ecsb_err err = {0};
  if (!pos)
    return EXIT_INTERNAL;
  int code = EXIT_PASS;
  scn_scenario **sc = NULL;
  size_t n_sc = 0;
  rpt_run **runs = NULL;
  size_t n_runs = 0;
  unsigned formats = 0, shard_k = 1, shard_n = 1;
  scn_until until = SCN_UNTIL_DECIDED;
  int64_t until_us = 0;
  int rc = ecsb_flags_parse(&fs, argc - 1, argv + 1, pos, (size_t)argc + 1,
                            &n_pos, &err);
  if (rc == ECSB_FLAGS_HELP) {
    ecsb_flags_usage(&fs, stdout);
    goto out;
  }
  if (rc || rpt_formats_parse(f.formats, &formats, &err) ||
      (f.until && scn_until_parse(f.until, &until, &until_us, &err))) {
    fprintf(stderr, "ecsboot run: %s\n", err.msg);
    code = EXIT_USAGE;
    goto out;
  }
  if (f.shard && parse_shard(f.shard, &shard_k, &shard_n)) {
    fprintf(stderr,
            "ecsboot run: --shard: expected K/N with 1 <= K <= N, got "
            "\"%s\"\n",
            f.shard);
    code = EXIT_USAGE;
    goto out;
  }
  sc = calloc(n_pos + 1, sizeof *sc);
  if (!sc) {
    code = EXIT_INTERNAL;
    goto out;
  }
  /* Every scenario is checked before the first one starts. */
  if (n_pos == 0) {
    rc = scn_builtin_load(&sc[n_sc], &err);
    if (!rc)
      n_sc++;
  }
  for (size_t i = 0; i < n_pos && !rc; i++) {
    if (shard_of(pos[i], shard_n) != shard_k - 1)
      continue;
    rc = scn_scenario_load(pos[i], &sc[n_sc], &err);
    if (!rc)
      n_sc++;
  }
  for (size_t i = 0; i < n_sc && !rc; i++)
    rc = apply_overrides(sc[i], &f, &err);
  /* What ECS and its agent would refuse, before anything starts: the
   * loader judged each task definition with ecs-taskdef's rules (those of
   * RegisterTaskDefinition and lint); the agent simulator's spec is built
   * from the same rules here, so nothing it refuses surfaces mid-run. */
  for (size_t i = 0; i < n_sc && !rc; i++) {
    fecs_task_spec *spec = NULL;
    rc = fecs_task_spec_from_json(sc[i]->task_definition, "$.task_definition",
                                  &spec, &err);
    fecs_task_spec_free(spec);
    if (rc)
      ecsb_err_prefix(&err, "%s", sc[i]->path);
  }
  if (rc) {
    fprintf(stderr, "ecsboot run: %s\n", err.msg);
    code = rc == ECSB_ENOMEM ? EXIT_INTERNAL : EXIT_USAGE;
    goto out;
  }
  if (n_sc == 0) {
    printf("ecsboot run: shard %u/%u has no scenario\n", shard_k, shard_n);
    goto out;
  }
  char dir[PATH_MAX], init_bin[PATH_MAX + 32], ecsboot_bin[PATH_MAX + 16],
      standin_bin[PATH_MAX + 40];
  self_dir(dir, sizeof dir);
  snprintf(ecsboot_bin, sizeof ecsboot_bin, "%s/ecsboot", dir);
  if (f.init_bin) {
    snprintf(init_bin, sizeof init_bin, "%s", f.init_bin);
    /* An image root that cannot run is bad input: said now, with exit 2,
     * before any run folder exists (the runner resolves it again). */
    struct stat st;
    scn_image_cmd img;
    if (stat(init_bin, &st) == 0 && S_ISDIR(st.st_mode) &&
        scn_image_root_command(init_bin, "/ecsboot-init", &img, &err)) {
      fprintf(stderr, "ecsboot run: --init-bin: %s\n", err.msg);
      code = EXIT_USAGE;
      goto out;
    }
  } else
    find_program(dir, "ecsboot-init", "../core/ecsboot-init",
                 ECSB_INIT_BIN_DEFAULT, init_bin, sizeof init_bin);
  /* Without ecsboot-standin, this program runs the same stand-ins. */
  bool have_standin =
      find_program(dir, "ecsboot-standin", "../scenarios/ecsboot-standin",
                   ECSB_STANDIN_BIN_DEFAULT, standin_bin, sizeof standin_bin);
  /* Several files (a shard of them too, even when this shard holds one):
   * DIR/<scenario> always, so a CI job's layout never depends on how the
   * hash split the files. */
  bool many = n_pos > 1 || shard_n > 1;
  for (size_t i = 0; i < n_sc; i++) {
    char out_dir[PATH_MAX], rep_dir[PATH_MAX];
    if (f.out)
      snprintf(out_dir, sizeof out_dir, many ? "%s/%s" : "%s", f.out,
               sc[i]->name);
    else
      snprintf(out_dir, sizeof out_dir, "reports/out/%s", sc[i]->name);
    if (f.report_dir)
      snprintf(rep_dir, sizeof rep_dir, many ? "%s/%s" : "%s", f.report_dir,
               sc[i]->name);
    else
      snprintf(rep_dir, sizeof rep_dir, "%s", out_dir);
    if (!f.quiet && many)
      printf("== %s (%zu/%zu)\n", sc[i]->name, i + 1, n_sc);
    size_t first = n_runs;
    bool stop = false;
    for (int64_t k = 1; k <= f.repeat && !stop; k++) {
      /* Repeated runs are identical (same seed): each in its own folder. */
      char od[PATH_MAX + 32], rd[PATH_MAX + 32];
      snprintf(od, sizeof od, f.repeat > 1 ? "%s/run-%lld" : "%s", out_dir,
               (long long)k);
      snprintf(rd, sizeof rd, f.repeat > 1 ? "%s/run-%lld" : "%s", rep_dir,
               (long long)k);
      scn_run_opts o = {.out_dir = od,
                        .ecsboot_bin = ecsboot_bin,
                        .standin_bin = have_standin ? standin_bin : NULL,
                        .init_bin = init_bin,
                        .net_block = (int)f.net_block,
                        .progress = !f.no_progress,
                        .exec_each = f.exec_each,
                        .until = until,
                        .until_us = until_us};
      scn_run_result res;
      fflush(stdout);
      if (scn_run(sc[i], &o, &res, &err)) {
        fprintf(stderr, "ecsboot run: %s: %s\n", sc[i]->name, err.msg);
        code = EXIT_INTERNAL;
        stop = true;
        break;
      }
      int rcode = report(sc[i], &res, rd, formats, f.quiet || f.repeat > 1,
                         &runs, &n_runs);
      if (rcode)
        code = rcode;
      if (!f.quiet && f.repeat > 1)
        printf("run %s %lld/%lld: %s in %.2f s wall; reports in %s\n",
               sc[i]->name, (long long)k, (long long)f.repeat,
               outcome_name(res.outcome), (double)res.wall_us / 1e6, rd);
      if (res.outcome == SCN_RUN_INTERRUPTED) {
        code = 128 + res.interrupt_signal;
        stop = true;
        break;
      }
      if (res.outcome == SCN_RUN_FAILED &&
          (code == EXIT_PASS || code == EXIT_INCONCLUSIVE))
        code = EXIT_FAIL;
      if (res.outcome == SCN_RUN_INCONCLUSIVE && code == EXIT_PASS)
        code = EXIT_INCONCLUSIVE;
    }
    if (f.repeat > 1 && n_runs - first > 1 &&
        repeat_summary(runs + first, n_runs - first, rep_dir, formats, f.quiet))
      code = EXIT_INTERNAL;
    if (stop)
      break;
  }
  if (many && f.report_dir && n_runs > 1 &&
      rpt_report_write_dir(runs, n_runs, f.report_dir,
                           formats & (RPT_FMT_JSON | RPT_FMT_JUNIT |
                                      RPT_FMT_HTML | RPT_FMT_TERM),
                           &err)) {
    fprintf(stderr, "ecsboot run: combined report: %s\n", err.msg);
    code = EXIT_INTERNAL;
  }
out:
  rpt_runs_free(runs, n_runs);
  for (size_t i = 0; i < n_sc; i++)
    scn_scenario_free(sc[i]);
  free(sc);
  free(pos);
  return code;
}
