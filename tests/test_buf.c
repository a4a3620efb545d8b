/*
 * test_buf.c - core's growable text: appends of every kind keep the text
 * NUL-terminated and grow past any size, printf longer than its stack
 * buffer, taking leaves the buffer empty, an impossible size is a sticky
 * out-of-memory that check names and take answers with NULL, and the wipe
 * clears what it frees.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ecsb/buf.h"

static void test_appends_grow_and_stay_terminated(void **state) {
  (void)state;
  ecsb_buf b;
  ecsb_buf_init(&b);
  ecsb_buf_puts(&b, "ab");
  ecsb_buf_putc(&b, 'c');
  ecsb_buf_putn(&b, "dxyz", 1);
  ecsb_buf_puts(&b, NULL);
  assert_string_equal(b.s, "abcd");
  assert_int_equal(b.len, 4);
  for (int i = 0; i < 10000; i++)
    ecsb_buf_putc(&b, 'x');
  assert_int_equal(b.len, 10004);
  assert_int_equal(strlen(b.s), 10004);
  assert_true(b.cap > b.len);
  char long_arg[1000];
  memset(long_arg, 'y', sizeof long_arg - 1);
  long_arg[sizeof long_arg - 1] = '\0';
  ecsb_buf_printf(&b, "[%s|%d]", long_arg, 42);
  assert_int_equal(b.len, 10004 + 1 + 999 + 4);
  assert_string_equal(b.s + b.len - 4, "|42]");
  assert_int_equal(ecsb_buf_check(&b, "x", NULL), 0);
  char *t = ecsb_buf_take(&b);
  assert_int_equal(strlen(t), 10004 + 1004);
  free(t);
  assert_null(b.s);
  assert_int_equal(b.len, 0);
  t = ecsb_buf_take(&b); /* empty: "" */
  assert_string_equal(t, "");
  free(t);
  const char *items[] = {"a", "b", "c"};
  ecsb_buf_join(&b, items, 3, ", ");
  ecsb_buf_join(&b, items, 0, "-");
  assert_string_equal(b.s, "a, b, c");
  ecsb_buf_free(&b);
}

static void test_out_of_memory_is_sticky(void **state) {
  (void)state;
  ecsb_buf b;
  ecsb_buf_init(&b);
  ecsb_buf_puts(&b, "kept");
  assert_false(ecsb_buf_reserve(&b, SIZE_MAX));
  ecsb_buf_puts(&b, "more");
  ecsb_buf_printf(&b, "%d", 1);
  assert_int_equal(b.len, 4);
  ecsb_err err = {0};
  assert_int_equal(ecsb_buf_check(&b, "the report", &err), ECSB_ENOMEM);
  assert_string_equal(err.msg, "out of memory building the report");
  assert_null(ecsb_buf_take(&b));
  assert_null(b.s);
  ecsb_buf_free(&b);
  ecsb_buf_free(NULL);
}

static void test_wipe_free_empties(void **state) {
  (void)state;
  ecsb_buf b;
  ecsb_buf_init(&b);
  ecsb_buf_puts(&b, "secret");
  ecsb_buf_wipe_free(&b);
  assert_null(b.s);
  assert_int_equal(b.len, 0);
  assert_int_equal(b.cap, 0);
  ecsb_buf_puts(&b, "again"); /* usable afterwards */
  assert_string_equal(b.s, "again");
  ecsb_buf_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_appends_grow_and_stay_terminated),
      cmocka_unit_test(test_out_of_memory_is_sticky),
      cmocka_unit_test(test_wipe_free_empties),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
