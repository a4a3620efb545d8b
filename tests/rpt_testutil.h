/* rpt_testutil.h - helpers shared by the reports tests: reading files,
 * golden comparison (ECSB_UPDATE_GOLDEN=1 rewrites the golden file instead
 * of comparing), temporary folders, and running `ecsboot report` through
 * rpt_cli_run with captured output. Tests run from the source tree so log
 * paths in the outputs are the relative ones the goldens hold. */
#ifndef RPT_TESTUTIL_H
#define RPT_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "rpt/run.h"

#define RT_EVENTS "tests/data/events/"
#define RT_GOLDEN "tests/golden/reports/"

/* chdir to the source tree (call first in main). */
void rt_chdir_source(void);
/* Whole file, NUL-terminated; NULL when unreadable. */
char *rt_slurp(const char *path, size_t *len);
void rt_write(const char *path, const char *text);
/* Compares text with the golden file (or rewrites it); on a difference
 * prints the first differing line and fails the test. */
void rt_golden(const char *golden_name, const char *text);
/* mkdtemp under /tmp; caller frees; rt_rmtree removes it. */
char *rt_tmpdir(void);
void rt_rmtree(const char *dir);
/* Runs rpt_cli_run(argv) with stdout/stderr captured into heap strings. */
int rt_cli(char **out, char **err, const char *arg0, ...);
/* Loads a log or report into one run (asserts success). */
rpt_run *rt_load_one(const char *path);
/* Parses a JSONL log from memory and builds the report model. */
rpt_run *rt_run_from_text(const char *jsonl);

#endif
