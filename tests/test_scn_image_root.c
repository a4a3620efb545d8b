/* test_scn_image_root.c - the command that runs a program of an unpacked
 * image root with the root's loader: the words it gives for a dynamic and
 * a static program, that they run, the library folders it names and
 * leaves out, and what it refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scn/image_root.h"

extern char **environ;

/* The host's loader and C library, copied into the roots below: this test
 * builds its roots from the host's own files, at Debian's x86_64 paths. */
#define HOST_LOADER "/lib64/ld-linux-x86-64.so.2"
#define HOST_LIBC "/lib/x86_64-linux-gnu/libc.so.6"

static char root[64];

static void sh(const char *fmt, ...) {
  char cmd[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  assert_int_equal(system(cmd), 0);
}

static int setup(void **state) {
  (void)state;
  snprintf(root, sizeof root, "/tmp/ecsb-imgroot-XXXXXX");
  return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", root);
  return system(cmd);
}

static bool host_has_x86_64_debian_paths(void) {
  return access(HOST_LOADER, R_OK) == 0 && access(HOST_LIBC, R_OK) == 0 &&
         access("/bin/true", R_OK) == 0;
}

/* /bin/true as the root's ecsboot-init, with a copy of the loader and
 * libc, and a usr/lib that is an absolute symlink to the host's. */
static void make_dynamic_root(void) {
  sh("cd %s && mkdir -p lib/x86_64-linux-gnu lib64 usr && "
     "cp /bin/true ecsboot-init && cp -L %s lib64/ && cp -L %s "
     "lib/x86_64-linux-gnu/ && ln -s /usr/lib usr/lib",
     root, HOST_LOADER, HOST_LIBC);
}

static int run(const char *const *argv) {
  pid_t pid;
  if (posix_spawn(&pid, argv[0], NULL, NULL, (char *const *)argv, environ))
    return -1;
  int st = 0;
  if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
    return -1;
  return WEXITSTATUS(st);
}

static void test_dynamic_program_runs_with_the_roots_loader(void **state) {
  (void)state;
  if (!host_has_x86_64_debian_paths())
    skip();
  make_dynamic_root();
  scn_image_cmd c;
  ecsb_err err = {0};
  assert_int_equal(scn_image_root_command(root, "/ecsboot-init", &c, &err), 0);
  char want[256];
  snprintf(want, sizeof want, "%s/lib64/ld-linux-x86-64.so.2", root);
  assert_string_equal(c.argv[0], want);
  assert_string_equal(c.argv[1], "--inhibit-cache");
  assert_string_equal(c.argv[2], "--library-path");
  /* the multiarch folder first; usr/lib leads out of the root: left out */
  snprintf(want, sizeof want, "%s/lib/x86_64-linux-gnu:%s/lib:%s/lib64", root,
           root, root);
  assert_string_equal(c.argv[3], want);
  snprintf(want, sizeof want, "%s/ecsboot-init", root);
  assert_string_equal(c.argv[4], want);
  assert_null(c.argv[5]);
  assert_int_equal(run(c.argv), 0);
}

static void test_static_program_runs_alone(void **state) {
  (void)state;
  sh("cp %s %s/ecsboot-init", ECSBOOT_HEALTH_BIN, root);
  scn_image_cmd c;
  ecsb_err err = {0};
  assert_int_equal(scn_image_root_command(root, "/ecsboot-init", &c, &err), 0);
  char want[256];
  snprintf(want, sizeof want, "%s/ecsboot-init", root);
  assert_string_equal(c.argv[0], want);
  assert_null(c.argv[1]);
  const char *argv[] = {c.argv[0], "--version", NULL};
  assert_int_equal(run(argv), 0);
}

static void test_refusals_name_the_file(void **state) {
  (void)state;
  scn_image_cmd c;
  ecsb_err err = {0};
  /* no program */
  assert_int_equal(scn_image_root_command(root, "/ecsboot-init", &c, &err),
                   ECSB_ENOTFOUND);
  assert_non_null(strstr(err.msg, "no program"));
  assert_non_null(strstr(err.msg, "/ecsboot-init: No such file"));
  /* not an ELF program */
  sh("echo '#!/bin/sh' > %s/ecsboot-init", root);
  assert_int_equal(scn_image_root_command(root, "/ecsboot-init", &c, &err),
                   ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "not a 64-bit ELF executable"));
  if (!host_has_x86_64_debian_paths())
    return;
  /* a loader the root lacks */
  sh("cp /bin/true %s/ecsboot-init", root);
  assert_int_equal(scn_image_root_command(root, "/ecsboot-init", &c, &err),
                   ECSB_ENOTFOUND);
  assert_non_null(strstr(err.msg, "needs the loader " HOST_LOADER));
  /* a loader that is the host's, through an absolute symlink */
  sh("ln -s /lib64 %s/lib64", root);
  assert_int_equal(scn_image_root_command(root, "/ecsboot-init", &c, &err),
                   ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "outside the root"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          test_dynamic_program_runs_with_the_roots_loader, setup, teardown),
      cmocka_unit_test_setup_teardown(test_static_program_runs_alone, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_refusals_name_the_file, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
