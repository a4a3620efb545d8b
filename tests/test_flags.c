/* test_flags.c - the flag parser every ecsboot-init subcommand uses: Go-style
 * and GNU-style spellings, bool rules, ranges, durations, positionals, and
 * errors that name the flag. Table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ecsb/duration.h"
#include "ecsb/flags.h"

typedef struct vals {
  const char *name;
  const char *out;
  bool verbose;
  int64_t port;
  int64_t timeout;
  bool port_set;
} vals;

static int parse(vals *v, int argc, char **argv, char **pos, size_t *np,
                 ecsb_err *err) {
  memset(v, 0, sizeof *v);
  v->timeout = 5 * ECSB_NS_PER_S;
  const ecsb_flag flags[] = {
      {"service-name", NULL, ECSB_FLAG_STRING, &v->name, 0, 0, "NAME", "n",
       NULL},
      {"out", "o", ECSB_FLAG_STRING, &v->out, 0, 0, "FILE", "o", NULL},
      {"verbose", NULL, ECSB_FLAG_BOOL, &v->verbose, 0, 0, NULL, "v", NULL},
      {"port", NULL, ECSB_FLAG_INT, &v->port, 1, 65535, "PORT", "p",
       &v->port_set},
      {"timeout", NULL, ECSB_FLAG_DURATION, &v->timeout, ECSB_NS_PER_MS,
       3600 * ECSB_NS_PER_S, "D", "t", NULL},
  };
  const ecsb_flagset fs = {.command = "test",
                           .flags = flags,
                           .n_flags = sizeof flags / sizeof flags[0]};
  return ecsb_flags_parse(&fs, argc, argv, pos, 4, np, err);
}

static void test_accepts_go_and_gnu_spellings(void **state) {
  (void)state;
  const char *forms[][2] = {
      {"-service-name=web", NULL},
      {"-service-name", "web"},
      {"--service-name=web", NULL},
      {"--service-name", "web"},
  };
  for (size_t i = 0; i < 4; i++) {
    char *argv[3] = {(char *)forms[i][0], (char *)forms[i][1], NULL};
    int argc = forms[i][1] ? 2 : 1;
    vals v;
    char *pos[4];
    size_t np = 9;
    ecsb_err err = {0};
    assert_int_equal(parse(&v, argc, argv, pos, &np, &err), 0);
    assert_string_equal(v.name, "web");
    assert_int_equal(np, 0);
  }
}

static void test_alias_and_last_value_wins(void **state) {
  (void)state;
  char *argv[] = {"-o", "a", "--out=b", "-o=c"};
  vals v;
  char *pos[4];
  size_t np;
  ecsb_err err = {0};
  assert_int_equal(parse(&v, 4, argv, pos, &np, &err), 0);
  assert_string_equal(v.out, "c");
}

static void test_bool_forms(void **state) {
  (void)state;
  struct {
    const char *arg;
    int ok;
    bool want;
  } cases[] = {
      {"-verbose", 1, true},        {"--verbose=true", 1, true},
      {"-verbose=false", 1, false}, {"-verbose=1", 1, true},
      {"-verbose=0", 1, false},     {"-verbose=yes", 0, false},
      {"--verbose=", 0, false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *argv[] = {(char *)cases[i].arg};
    vals v;
    char *pos[4];
    size_t np;
    ecsb_err err = {0};
    int rc = parse(&v, 1, argv, pos, &np, &err);
    if (cases[i].ok) {
      assert_int_equal(rc, 0);
      assert_int_equal(v.verbose, cases[i].want);
    } else {
      assert_int_equal(rc, ECSB_EINVAL);
      assert_non_null(strstr(err.msg, "-verbose"));
    }
  }
}

static void test_bool_does_not_eat_next_argument(void **state) {
  (void)state;
  /* As in Go: `-verbose false` is a bool flag and a positional. */
  char *argv[] = {"-verbose", "false"};
  vals v;
  char *pos[4];
  size_t np;
  ecsb_err err = {0};
  assert_int_equal(parse(&v, 2, argv, pos, &np, &err), 0);
  assert_true(v.verbose);
  assert_int_equal(np, 1);
  assert_string_equal(pos[0], "false");
}

static void test_bad_values_name_the_flag(void **state) {
  (void)state;
  struct {
    const char *args[2];
    const char *want;
  } cases[] = {
      {{"-port=abc", NULL},
       "flag -port: \"abc\" is not an integer in [1, "
       "65535]"},
      {{"-port=0", NULL}, "flag -port"},
      {{"-port=65536", NULL}, "flag -port"},
      {{"-port=80x", NULL}, "flag -port"},
      {{"-port=", NULL}, "flag -port"},
      {{"-timeout=5", NULL}, "flag -timeout: \"5\" is not a duration"},
      {{"-timeout=2h", NULL}, "flag -timeout: 2h is out of range"},
      {{"-timeout=0s", NULL}, "out of range"},
      {{"-port", NULL}, "flag -port needs a value"},
      {{"-nope=1", NULL}, "unknown flag -nope"},
      {{"---out=x", NULL}, "bad flag syntax"},
      {{"-=x", NULL}, "bad flag syntax"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *argv[2] = {(char *)cases[i].args[0], (char *)cases[i].args[1]};
    vals v;
    char *pos[4];
    size_t np;
    ecsb_err err = {0};
    int rc = parse(&v, cases[i].args[1] ? 2 : 1, argv, pos, &np, &err);
    assert_int_equal(rc, ECSB_EINVAL);
    if (!strstr(err.msg, cases[i].want))
      fprintf(stderr, "case %zu: got \"%s\", want \"%s\"\n", i, err.msg,
              cases[i].want);
    assert_non_null(strstr(err.msg, cases[i].want));
  }
}

static void test_values_ranges_and_was_set(void **state) {
  (void)state;
  char *argv[] = {"-port", "8080", "--timeout=1m30s"};
  vals v;
  char *pos[4];
  size_t np;
  ecsb_err err = {0};
  assert_int_equal(parse(&v, 3, argv, pos, &np, &err), 0);
  assert_int_equal(v.port, 8080);
  assert_true(v.port_set);
  assert_int_equal(v.timeout, 90 * ECSB_NS_PER_S);
}

static void test_positionals_anywhere_and_double_dash(void **state) {
  (void)state;
  char *argv[] = {"tcp", "-port=1", "127.0.0.1:80", "--", "-verbose"};
  vals v;
  char *pos[4];
  size_t np;
  ecsb_err err = {0};
  assert_int_equal(parse(&v, 5, argv, pos, &np, &err), 0);
  assert_int_equal(np, 3);
  assert_string_equal(pos[0], "tcp");
  assert_string_equal(pos[1], "127.0.0.1:80");
  assert_string_equal(pos[2], "-verbose");
  assert_false(v.verbose);
}

static void test_too_many_positionals_is_an_error(void **state) {
  (void)state;
  char *argv[] = {"a", "b", "c", "d", "e"};
  vals v;
  char *pos[4];
  size_t np;
  ecsb_err err = {0};
  assert_int_equal(parse(&v, 5, argv, pos, &np, &err), ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "unexpected argument \"e\""));
}

static void test_help_in_every_spelling(void **state) {
  (void)state;
  const char *forms[] = {"-h", "--help", "-help", "--h", "-help=1"};
  for (size_t i = 0; i < 5; i++) {
    char *argv[] = {"-port=1", (char *)forms[i]};
    vals v;
    char *pos[4];
    size_t np;
    assert_int_equal(parse(&v, 2, argv, pos, &np, NULL), ECSB_FLAGS_HELP);
  }
}

static void test_usage_lists_every_flag(void **state) {
  (void)state;
  const char *s = NULL;
  bool b = false;
  const ecsb_flag flags[] = {
      {"service-name", "svc", ECSB_FLAG_STRING, &s, 0, 0, "NAME", "the name",
       NULL},
      {"deregister-on-exit", NULL, ECSB_FLAG_BOOL, &b, 0, 0, NULL, "bye", NULL},
  };
  const ecsb_flagset fs = {.command = "ecsboot-init x",
                           .summary = "Does x.",
                           .flags = flags,
                           .n_flags = 2,
                           .epilog = "Exit codes: 0.\n"};
  char buf[4096] = "";
  FILE *f = fmemopen(buf, sizeof buf - 1, "w");
  ecsb_flags_usage(&fs, f);
  fclose(f);
  assert_non_null(strstr(buf, "Usage: ecsboot-init x [flags]"));
  assert_non_null(strstr(buf, "--service-name NAME"));
  /* the alias is named on its line */
  assert_non_null(strstr(buf, "--svc "));
  assert_non_null(strstr(buf, "(same as --service-name)"));
  assert_non_null(strstr(buf, "--deregister-on-exit"));
  assert_non_null(strstr(buf, "Exit codes: 0."));
}

static void test_split_list(void **state) {
  (void)state;
  char **v = NULL;
  size_t n = 0;
  ecsb_err err = {0};
  assert_int_equal(ecsb_split_list(" a, b ,c", "flag -x", &v, &n, &err), 0);
  assert_int_equal(n, 3);
  assert_string_equal(v[0], "a");
  assert_string_equal(v[1], "b");
  assert_string_equal(v[2], "c");
  assert_null(v[3]);
  ecsb_strv_free(v);
  assert_int_equal(ecsb_split_list("", "flag -x", &v, &n, &err), 0);
  assert_int_equal(n, 0);
  ecsb_strv_free(v);
  assert_int_equal(ecsb_split_list("a,,b", "flag -x", &v, &n, &err),
                   ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "flag -x: empty item"));
  assert_int_equal(ecsb_split_list("a,", "flag -x", &v, &n, &err), ECSB_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_accepts_go_and_gnu_spellings),
      cmocka_unit_test(test_alias_and_last_value_wins),
      cmocka_unit_test(test_bool_forms),
      cmocka_unit_test(test_bool_does_not_eat_next_argument),
      cmocka_unit_test(test_bad_values_name_the_flag),
      cmocka_unit_test(test_values_ranges_and_was_set),
      cmocka_unit_test(test_positionals_anywhere_and_double_dash),
      cmocka_unit_test(test_too_many_positionals_is_an_error),
      cmocka_unit_test(test_help_in_every_spelling),
      cmocka_unit_test(test_usage_lists_every_flag),
      cmocka_unit_test(test_split_list),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
