/* test_rpt_junit_xsd.c - validates the JUnit files of every hand-made log
 * (alone and merged) with `xmllint --schema tests/data/junit/junit.xsd`,
 * the schema written from the junit-4 format CI systems read; and checks
 * the schema rejects a file CI would not read (so the check can fail).
 * Exits 77 (skipped) when xmllint (libxml2-utils) is not installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rpt/report.h"
#include "rpt_testutil.h"

extern char **environ;

#define XSD "tests/data/junit/junit.xsd"

static char xmllint[512];

static bool find_tool(const char *name, char *out, size_t cap) {
  const char *path = getenv("PATH");
  char *copy = strdup(path ? path : "/usr/bin:/bin");
  bool found = false;
  for (char *save = NULL, *d = strtok_r(copy, ":", &save); d && !found;
       d = strtok_r(NULL, ":", &save)) {
    snprintf(out, cap, "%s/%s", d, name);
    found = access(out, X_OK) == 0;
  }
  free(copy);
  return found;
}

/* Exit status of xmllint on file; its output goes to /dev/null. */
static int validate(const char *file) {
  char *argv[] = {xmllint, "--noout", "--schema", XSD, (char *)file, NULL};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 01, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", 01, 0);
  pid_t pid;
  int rc = posix_spawn(&pid, xmllint, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  assert_int_equal(rc, 0);
  int st = 0;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFEXITED(st));
  return WEXITSTATUS(st);
}

static void test_junit_files_match_the_schema(void **s) {
  (void)s;
  static const char *const logs[] = {"seed-ok", "proxy-flap", "fleet-5"};
  char *dir = rt_tmpdir();
  rpt_run *all[3];
  for (size_t i = 0; i < 3; i++) {
    char p[256], out[512];
    snprintf(p, sizeof p, RT_EVENTS "%s.jsonl", logs[i]);
    all[i] = rt_load_one(p);
    char *text = NULL;
    ecsb_err err = {0};
    assert_int_equal(
        rpt_report_render(&all[i], 1, RPT_FMT_JUNIT, false, &text, &err), 0);
    snprintf(out, sizeof out, "%s/%s.xml", dir, logs[i]);
    rt_write(out, text);
    free(text);
    if (validate(out) != 0)
      fail_msg("%s does not match %s", out, XSD);
  }
  char *text = NULL, out[512];
  ecsb_err err = {0};
  assert_int_equal(rpt_report_render(all, 3, RPT_FMT_JUNIT, false, &text, &err),
                   0);
  snprintf(out, sizeof out, "%s/merged.xml", dir);
  rt_write(out, text);
  assert_int_equal(validate(out), 0);
  /* Without a classname (or with a word for a time) CI would not read it:
   * the schema must say so. */
  char *p = strstr(text, " classname=\"");
  assert_non_null(p);
  memcpy(p, " klassname=\"", 12);
  rt_write(out, text);
  assert_int_not_equal(validate(out), 0);
  free(text);
  for (size_t i = 0; i < 3; i++)
    rpt_run_free(all[i]);
  rt_rmtree(dir);
  free(dir);
}

int main(void) {
  rt_chdir_source();
  if (!find_tool("xmllint", xmllint, sizeof xmllint)) {
    printf("skipped: xmllint not found (Debian package libxml2-utils; "
           "scripts/deps.sh --test installs it)\n");
    return 77;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_junit_files_match_the_schema),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
