/* test_scn_netblock.c - concurrent runs get different address blocks, a
 * released block is reusable, a lock file we may only read still locks, a
 * block where a stray process listens is passed over, and the layout is
 * as documented. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scn/netblock.h"

static char dir[64];

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/ecsb-nb-XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd);
}

static void test_two_runs_never_share_a_block(void **state) {
  (void)state;
  scn_netblock a, b, c;
  ecsb_err err = {0};
  assert_int_equal(scn_netblock_acquire(&a, 0, dir, &err), 0);
  assert_int_equal(scn_netblock_acquire(&b, a.block, dir, &err), 0);
  assert_int_not_equal(a.block, b.block);
  /* A preference for a free block is honoured. */
  assert_int_equal(scn_netblock_acquire(&c, 200, dir, &err), 0);
  assert_int_equal(c.block, 200);
  scn_netblock_release(&a);
  scn_netblock_acquire(&a, 0, dir, &err);
  assert_true(a.block != b.block && a.block != c.block);
  scn_netblock_release(&a);
  scn_netblock_release(&b);
  scn_netblock_release(&c);
}

static void test_exhaustion_is_a_clear_error(void **state) {
  (void)state;
  scn_netblock held[231];
  ecsb_err err = {0};
  int n = 0;
  int rc = 0;
  for (; n < 231; n++)
    if ((rc = scn_netblock_acquire(&held[n], 0, dir, &err)) != 0)
      break;
  /* 20..250, but for the blocks where a socket listens: the runs other
   * tests run beside this one (their lock files are elsewhere) */
  if (n == 231) {
    scn_netblock extra;
    rc = scn_netblock_acquire(&extra, 0, dir, &err);
  }
  bool distinct = true;
  for (int i = 0; i < n; i++)
    for (int k = 0; k < i; k++)
      distinct = distinct && held[i].block != held[k].block;
  for (int i = 0; i < n; i++)
    scn_netblock_release(&held[i]); /* before a failed assert leaves them */
  assert_true(n > 200);
  assert_true(distinct);
  assert_int_equal(rc, ECSB_ESTATE);
  assert_non_null(strstr(err.msg, "no free address block"));
  assert_non_null(strstr(err.msg, dir));
}

static void test_layout(void **state) {
  (void)state;
  scn_netblock nb = {.block = 42, .lock_fd = -1};
  char buf[16];
  assert_string_equal(scn_netblock_ecs_ip(&nb, buf), "127.42.0.2");
  assert_string_equal(scn_netblock_metadata_ip(&nb, buf), "127.42.0.3");
  assert_string_equal(scn_netblock_server_ip(&nb, buf), "127.42.0.10");
  assert_int_equal(scn_netblock_task_ip(&nb, 0, buf, NULL), 0);
  assert_string_equal(buf, "127.42.1.1");
  assert_int_equal(scn_netblock_task_ip(&nb, 249, buf, NULL), 0);
  assert_string_equal(buf, "127.42.1.250");
  assert_int_equal(scn_netblock_task_ip(&nb, 250, buf, NULL), 0);
  assert_string_equal(buf, "127.42.2.1");
  assert_int_equal(scn_netblock_task_ip(&nb, 999, buf, NULL), 0);
  assert_string_equal(buf, "127.42.4.250");
  assert_int_equal(scn_netblock_task_ip(&nb, -1, buf, NULL), ECSB_EINVAL);
  assert_int_equal(scn_netblock_task_ip(&nb, 255 * 250, buf, NULL),
                   ECSB_EINVAL);
  /* and back: the task a caller's address names */
  for (int i = 0; i < 255 * 250; i += 97) {
    assert_int_equal(scn_netblock_task_ip(&nb, i, buf, NULL), 0);
    assert_int_equal(scn_netblock_task_index(&nb, buf), i);
  }
  assert_int_equal(scn_netblock_task_index(&nb, "127.42.255.250"),
                   255 * 250 - 1);
  const char *none[] = {"127.42.0.2",   "127.42.0.10", "127.42.1.0",
                        "127.42.1.251", "127.43.1.1",  "10.42.1.1",
                        "localhost",    "::1",         NULL};
  for (int i = 0; none[i]; i++)
    if (scn_netblock_task_index(&nb, none[i]) != -1)
      fail_msg("%s named task %d", none[i],
               scn_netblock_task_index(&nb, none[i]));
  assert_int_equal(scn_netblock_task_index(&nb, NULL), -1);
}

/* A lock file another user left (0644 under their umask: read-only for
 * us) is still a block this run can take: flock needs no write access.
 * (Root may write any file, so as root this holds either way.) */
static void test_a_read_only_lock_file_still_locks(void **state) {
  (void)state;
  char sub[96], path[128];
  snprintf(sub, sizeof sub, "%s/ro", dir);
  assert_int_equal(mkdir(sub, 0755), 0);
  snprintf(path, sizeof path, "%s/ecsboot-net-127.201.lock", sub);
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0444);
  assert_true(fd >= 0);
  close(fd);
  scn_netblock a, b;
  ecsb_err err = {0};
  assert_int_equal(scn_netblock_acquire(&a, 201, sub, &err), 0);
  assert_int_equal(a.block, 201);
  /* and it excludes a second run */
  assert_int_equal(scn_netblock_acquire(&b, 201, sub, &err), 0);
  assert_int_not_equal(b.block, 201);
  scn_netblock_release(&b);
  scn_netblock_release(&a);
}

/* A process a killed run left behind still listens on the block's
 * addresses though nobody holds its lock: the next run passes over the
 * block, and says where the stray listener is. */
static void test_a_block_with_a_stray_listener_is_passed_over(void **state) {
  (void)state;
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true(s >= 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  inet_pton(AF_INET, "127.202.1.1", &a.sin_addr);
  assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(s, 1), 0);
  scn_netblock nb;
  ecsb_err err = {0};
  assert_int_equal(scn_netblock_acquire(&nb, 202, dir, &err), 0);
  assert_int_not_equal(nb.block, 202);
  assert_true(strncmp(nb.stray, "127.202.1.1:", 12) == 0);
  scn_netblock_release(&nb);
  /* with the listener gone the block is free again */
  close(s);
  assert_int_equal(scn_netblock_acquire(&nb, 202, dir, &err), 0);
  assert_int_equal(nb.block, 202);
  assert_string_equal(nb.stray, "");
  scn_netblock_release(&nb);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_two_runs_never_share_a_block),
      cmocka_unit_test(test_exhaustion_is_a_clear_error),
      cmocka_unit_test(test_a_read_only_lock_file_still_locks),
      cmocka_unit_test(test_a_block_with_a_stray_listener_is_passed_over),
      cmocka_unit_test(test_layout),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
