/* test_duration.c - Go/Consul duration parsing and formatting, table-driven
 * over the forms Consul writes and accepts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "ecsb/duration.h"

#define MS ECSB_NS_PER_MS
#define S ECSB_NS_PER_S

static void test_parse_accepts_go_forms(void **state) {
  (void)state;
  static const struct {
    const char *in;
    int64_t ns;
  } cases[] = {
      {"0", 0},
      {"10s", 10 * S},
      {"1m30s", 90 * S},
      {"250ms", 250 * MS},
      {"1h", 3600 * S},
      {"1.5s", 1500 * MS},
      {".5s", 500 * MS},
      {"10m", 600 * S},
      {"2h45m", (2 * 3600 + 45 * 60) * S},
      {"1us", 1000},
      {"1\xc2\xb5s", 1000},
      {"3ns", 3},
      {"-1.5h", -5400 * S},
      {"+5s", 5 * S},
      {"1h1m1s1ms1us1ns", 3661 * S + MS + 1000 + 1},
      {"2562047h47m16.854775807s", INT64_MAX},
      {"-2562047h47m16.854775808s", INT64_MIN},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int64_t ns = -42;
    ecsb_err err = {0};
    int rc = ecsb_duration_parse(cases[i].in, &ns, &err);
    if (rc != 0)
      fail_msg("%s: %s", cases[i].in, err.msg);
    if (ns != cases[i].ns)
      fail_msg("%s: got %lld want %lld", cases[i].in, (long long)ns,
               (long long)cases[i].ns);
  }
}

static void test_parse_rejects_bad_input_naming_it(void **state) {
  (void)state;
  static const char *bad[] = {"",
                              "s",
                              "10",
                              "1x",
                              "1.s.",
                              "--1s",
                              "1 s",
                              "ten s",
                              ".s",
                              "9223372037s",
                              "2562047h47m16.854775808s",
                              "1h-1m"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int64_t ns = 0;
    ecsb_err err = {0};
    if (ecsb_duration_parse(bad[i], &ns, &err) != ECSB_EPARSE)
      fail_msg("%s: accepted as %lld", bad[i], (long long)ns);
    assert_non_null(strstr(err.msg, "invalid duration"));
    if (bad[i][0])
      assert_non_null(strstr(err.msg, bad[i]));
  }
}

static void test_format_matches_go_string(void **state) {
  (void)state;
  static const struct {
    int64_t ns;
    const char *out;
  } cases[] = {
      {0, "0s"},
      {10 * S, "10s"},
      {90 * S, "1m30s"},
      {600 * S, "10m0s"},
      {3600 * S, "1h0m0s"},
      {250 * MS, "250ms"},
      {1500 * MS, "1.5s"},
      {1000, "1\xc2\xb5s"},
      {1500, "1.5\xc2\xb5s"},
      {999, "999ns"},
      {-90 * S, "-1m30s"},
      {INT64_MAX, "2562047h47m16.854775807s"},
      {INT64_MIN, "-2562047h47m16.854775808s"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char buf[40];
    ecsb_duration_format(cases[i].ns, buf, sizeof buf);
    if (strcmp(buf, cases[i].out) != 0)
      fail_msg("%lld: got %s want %s", (long long)cases[i].ns, buf,
               cases[i].out);
  }
}

static void test_format_then_parse_round_trips(void **state) {
  (void)state;
  int64_t vals[] = {1,       999, 1001, 123456789, 10 * S, 3 * 3600 * S + 7,
                    -42 * MS};
  for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
    char buf[40];
    int64_t back = 0;
    ecsb_duration_format(vals[i], buf, sizeof buf);
    assert_int_equal(ecsb_duration_parse(buf, &back, NULL), 0);
    assert_int_equal(back, vals[i]);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_accepts_go_forms),
      cmocka_unit_test(test_parse_rejects_bad_input_naming_it),
      cmocka_unit_test(test_format_matches_go_string),
      cmocka_unit_test(test_format_then_parse_round_trips),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
