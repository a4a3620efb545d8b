/* test_fileio.c - atomic writes (mode, replacement, failure leaves nothing
 * behind, read-only folder) and bounded reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ecsb/fileio.h"

static char dir[256];

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/ecsb-fileio-XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static int count_entries(const char *d) {
  DIR *dp = opendir(d);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(dp)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
      n++;
  closedir(dp);
  return n;
}

static int teardown(void **state) {
  (void)state;
  char cmd[300];
  chmod(dir, 0700);
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd);
}

static void test_atomic_write_creates_file_with_mode(void **state) {
  (void)state;
  char p[300];
  snprintf(p, sizeof p, "%s/server-ip", dir);
  ecsb_err err = {0};
  assert_int_equal(ecsb_atomic_write(p, "10.0.0.5", 8, 0644, &err), 0);
  struct stat st;
  assert_int_equal(stat(p, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0644);
  char *buf;
  size_t len;
  assert_int_equal(ecsb_read_file(p, 100, &buf, &len, &err), 0);
  assert_int_equal(len, 8);
  assert_string_equal(buf, "10.0.0.5");
  free(buf);
  assert_int_equal(count_entries(dir), 1); /* no temp file left */
}

static void
test_mkdirs_creates_parents_and_names_what_is_in_the_way(void **state) {
  (void)state;
  char p[300], f[300];
  snprintf(p, sizeof p, "%s/a/b/c", dir);
  ecsb_err err = {0};
  assert_int_equal(ecsb_mkdirs(p, &err), 0);
  assert_int_equal(ecsb_mkdirs(p, &err), 0); /* existing: fine */
  struct stat st;
  assert_int_equal(stat(p, &st), 0);
  assert_true(S_ISDIR(st.st_mode));
  snprintf(f, sizeof f, "%s/a/file", dir);
  assert_int_equal(ecsb_atomic_write(f, "x", 1, 0644, &err), 0);
  assert_int_equal(ecsb_mkdirs(f, &err), ECSB_EIO);
  assert_non_null(strstr(err.msg, "is not a folder"));
  char deeper[320];
  snprintf(deeper, sizeof deeper, "%s/under", f);
  assert_int_equal(ecsb_mkdirs(deeper, &err), ECSB_EIO);
  assert_non_null(strstr(err.msg, "cannot create folder"));
}

static void test_atomic_write_replaces_and_sets_0600(void **state) {
  (void)state;
  char p[300];
  snprintf(p, sizeof p, "%s/bootstrap.json", dir);
  ecsb_err err = {0};
  assert_int_equal(ecsb_atomic_write(p, "old", 3, 0644, &err), 0);
  assert_int_equal(ecsb_atomic_write(p, "new-content", 11, 0600, &err), 0);
  struct stat st;
  assert_int_equal(stat(p, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  char *buf;
  assert_int_equal(ecsb_read_file(p, 100, &buf, NULL, &err), 0);
  assert_string_equal(buf, "new-content");
  free(buf);
}

static void test_atomic_write_readonly_folder_leaves_nothing(void **state) {
  (void)state;
  ecsb_err err = {0};
  if (geteuid() == 0) {
    /* root ignores mode bits, so use a folder no one may create files in:
     * /proc/self is read-only for everybody. */
    assert_int_equal(
        ecsb_atomic_write("/proc/self/ecsb-out", "x", 1, 0644, &err), ECSB_EIO);
    assert_non_null(strstr(err.msg, "/proc/self"));
    assert_int_equal(access("/proc/self/ecsb-out", F_OK), -1);
    return;
  }
  char ro[300], p[320];
  snprintf(ro, sizeof ro, "%s/ro", dir);
  assert_int_equal(mkdir(ro, 0500), 0);
  snprintf(p, sizeof p, "%s/out", ro);
  assert_int_equal(ecsb_atomic_write(p, "x", 1, 0644, &err), ECSB_EIO);
  assert_non_null(strstr(err.msg, ro));
  assert_int_equal(count_entries(ro), 0);
}

static void test_atomic_write_missing_folder_fails(void **state) {
  (void)state;
  char p[300];
  snprintf(p, sizeof p, "%s/missing/out", dir);
  ecsb_err err = {0};
  assert_int_equal(ecsb_atomic_write(p, "x", 1, 0644, &err), ECSB_EIO);
  assert_non_null(strstr(err.msg, "missing"));
}

static void test_atomic_write_over_a_folder_fails_and_keeps_it(void **state) {
  (void)state;
  /* rename(2) onto an existing folder fails: exercises the path where the
   * temp file already exists and must be removed. Works as root too. */
  char sub[300];
  snprintf(sub, sizeof sub, "%s/taken", dir);
  assert_int_equal(mkdir(sub, 0755), 0);
  int before = count_entries(dir);
  ecsb_err err = {0};
  assert_int_equal(ecsb_atomic_write(sub, "data", 4, 0644, &err), ECSB_EIO);
  assert_non_null(strstr(err.msg, "rename"));
  assert_int_equal(count_entries(dir), before);
  struct stat st;
  assert_int_equal(stat(sub, &st), 0);
  assert_true(S_ISDIR(st.st_mode));
}

/* The check fails as the write would, and leaves the folder as it was. */
static void test_atomic_write_check(void **state) {
  (void)state;
  char p[300];
  ecsb_err err = {0};
  int before = count_entries(dir);
  snprintf(p, sizeof p, "%s/checked", dir);
  assert_int_equal(ecsb_atomic_write_check(p, &err), 0);
  assert_int_equal(count_entries(dir), before);
  snprintf(p, sizeof p, "%s/missing/out", dir);
  assert_int_equal(ecsb_atomic_write_check(p, &err), ECSB_EIO);
  assert_non_null(strstr(err.msg, "cannot create a temp file in"));
  snprintf(p, sizeof p, "%s/a-folder", dir);
  assert_int_equal(mkdir(p, 0755), 0);
  assert_int_equal(ecsb_atomic_write_check(p, &err), ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "is a folder"));
  assert_int_equal(ecsb_atomic_write_check("", &err), ECSB_EINVAL);
}

static void test_atomic_write_rejects_bad_paths(void **state) {
  (void)state;
  ecsb_err err = {0};
  assert_int_equal(ecsb_atomic_write("", "x", 1, 0644, &err), ECSB_EINVAL);
  assert_int_equal(ecsb_atomic_write("/", "x", 1, 0644, &err), ECSB_EINVAL);
}

static void test_read_file_cap_and_missing(void **state) {
  (void)state;
  char p[300];
  snprintf(p, sizeof p, "%s/big", dir);
  char data[10000];
  memset(data, 'a', sizeof data);
  assert_int_equal(ecsb_atomic_write(p, data, sizeof data, 0644, NULL), 0);
  char *buf = NULL;
  ecsb_err err = {0};
  assert_int_equal(ecsb_read_file(p, 9999, &buf, NULL, &err), ECSB_ETOOBIG);
  assert_null(buf);
  assert_non_null(strstr(err.msg, p));
  size_t len = 0;
  assert_int_equal(ecsb_read_file(p, 10000, &buf, &len, &err), 0);
  assert_int_equal(len, 10000);
  free(buf);
  snprintf(p, sizeof p, "%s/nope", dir);
  assert_int_equal(ecsb_read_file(p, 10, &buf, NULL, &err), ECSB_ENOTFOUND);
  assert_non_null(strstr(err.msg, "nope"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_atomic_write_creates_file_with_mode),
      cmocka_unit_test(
          test_mkdirs_creates_parents_and_names_what_is_in_the_way),
      cmocka_unit_test(test_atomic_write_replaces_and_sets_0600),
      cmocka_unit_test(test_atomic_write_readonly_folder_leaves_nothing),
      cmocka_unit_test(test_atomic_write_missing_folder_fails),
      cmocka_unit_test(test_atomic_write_over_a_folder_fails_and_keeps_it),
      cmocka_unit_test(test_atomic_write_check),
      cmocka_unit_test(test_atomic_write_rejects_bad_paths),
      cmocka_unit_test(test_read_file_cap_and_missing),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
