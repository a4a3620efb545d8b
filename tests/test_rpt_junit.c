/* test_rpt_junit.c - the JUnit file parses as strict XML and has the
 * shape CI systems read: testsuites > testsuite (properties, testcase*,
 * system-out, system-err), counts that match the testcases, seed and
 * time_scale properties, failures naming the breaking events, undecided
 * expectations as errors, the log path in system-out, and escaping that
 * survives any text (markup characters, control bytes, invalid UTF-8). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpt/report.h"
#include "rpt_testutil.h"
#include "rpt_xmlcheck.h"

static xnode *parse_ok(const char *doc) {
  char why[256];
  xnode *n = xml_parse(doc, why, sizeof why);
  if (!n)
    fail_msg("not well-formed: %s", why);
  return n;
}

static void test_checker_rejects_what_is_not_xml(void **s) {
  (void)s;
  static const char *const bad[] = {
      "<a>",           "<a></b>",      "<a x=\"1\" x=\"2\"/>",
      "<a x=1/>",      "<a x=\"<\"/>", "<a>fish & chips</a>",
      "<a>&nbsp;</a>", "<a>\x01</a>",  "<a>\xff</a>",
      "<a>]]></a>",    "<a/><b/>",     "<a>&#0;</a>",
      "<1a/>",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char why[256];
    xnode *n = xml_parse(bad[i], why, sizeof why);
    if (n) {
      xml_free(n);
      fail_msg("accepted %s", bad[i]);
    }
  }
  xnode *n = parse_ok("<?xml version=\"1.0\"?>\n<!-- c --><a x='&lt;&#x41;'>"
                      "t<![CDATA[<raw>]]><b/></a>\n");
  assert_string_equal(xml_attr(n, "x"), "<A");
  assert_string_equal(n->text, "t<raw>");
  xml_free(n);
}

static bool is_seconds(const char *s) {
  if (!s || !*s)
    return false;
  size_t dots = 0;
  for (const char *p = s; *p; p++) {
    if (*p == '.')
      dots++;
    else if (*p < '0' || *p > '9')
      return false;
  }
  return dots <= 1;
}

static size_t num(const xnode *n, const char *attr) {
  const char *v = xml_attr(n, attr);
  assert_non_null(v);
  return (size_t)strtoul(v, NULL, 10);
}

/* The shape CI systems read, and counts that agree with the content. */
static void check_shape(const xnode *root, rpt_run *const *runs, size_t n) {
  assert_string_equal(root->name, "testsuites");
  assert_int_equal(xml_count(root, "testsuite"), n);
  assert_int_equal(root->n_kids, n);
  size_t tests = 0, failures = 0, errors = 0;
  for (size_t i = 0; i < n; i++) {
    const xnode *ts = xml_child(root, "testsuite", i);
    assert_string_equal(xml_attr(ts, "name"), runs[i]->scenario);
    /* Element order: properties, testcase*, system-out, system-err. */
    assert_true(ts->n_kids >= 3);
    assert_string_equal(ts->kids[0]->name, "properties");
    size_t k = 1;
    while (k < ts->n_kids && strcmp(ts->kids[k]->name, "testcase") == 0)
      k++;
    assert_int_equal(k + 2, ts->n_kids);
    assert_string_equal(ts->kids[k]->name, "system-out");
    assert_string_equal(ts->kids[k + 1]->name, "system-err");
    size_t cases = xml_count(ts, "testcase"), f = 0, e = 0;
    assert_int_equal(num(ts, "tests"), cases);
    assert_int_equal(cases, runs[i]->n_verdicts);
    for (size_t c = 0; c < cases; c++) {
      const xnode *tc = xml_child(ts, "testcase", c);
      assert_string_equal(xml_attr(tc, "name"), runs[i]->verdicts[c].name);
      assert_non_null(xml_attr(tc, "classname"));
      assert_true(is_seconds(xml_attr(tc, "time")));
      const xnode *fl = xml_child(tc, "failure", 0);
      const xnode *er = xml_child(tc, "error", 0);
      f += fl != NULL;
      e += er != NULL;
      const xnode *pb = fl ? fl : er;
      assert_int_equal(pb != NULL, runs[i]->verdicts[c].result != RPT_PASS);
      if (pb) {
        assert_string_equal(xml_attr(pb, "message"),
                            runs[i]->verdicts[c].message);
        assert_non_null(xml_attr(pb, "type"));
        assert_non_null(strstr(pb->text, runs[i]->verdicts[c].path));
      }
    }
    assert_int_equal(num(ts, "failures"), f);
    assert_int_equal(num(ts, "errors"), e);
    assert_true(is_seconds(xml_attr(ts, "time")));
    const xnode *props = ts->kids[0];
    char seed[32], scale[32];
    snprintf(seed, sizeof seed, "%lld", (long long)runs[i]->seed);
    snprintf(scale, sizeof scale, "%g", runs[i]->time_scale);
    bool have_seed = false, have_scale = false;
    for (size_t p = 0; p < xml_count(props, "property"); p++) {
      const xnode *pr = xml_child(props, "property", p);
      const char *nm = xml_attr(pr, "name"), *v = xml_attr(pr, "value");
      assert_non_null(v);
      if (strcmp(nm, "seed") == 0)
        have_seed = strcmp(v, seed) == 0;
      if (strcmp(nm, "time_scale") == 0)
        have_scale = strcmp(v, scale) == 0;
    }
    assert_true(have_seed);
    assert_true(have_scale);
    char want[512];
    snprintf(want, sizeof want, "event log: %s\n", runs[i]->log_path);
    assert_non_null(strstr(ts->kids[k]->text, want));
    tests += cases;
    failures += f;
    errors += e;
  }
  assert_int_equal(num(root, "tests"), tests);
  assert_int_equal(num(root, "failures"), failures);
  assert_int_equal(num(root, "errors"), errors);
}

static char *junit(rpt_run *const *runs, size_t n) {
  char *text = NULL;
  ecsb_err err = {0};
  assert_int_equal(
      rpt_report_render(runs, n, RPT_FMT_JUNIT, false, &text, &err), 0);
  return text;
}

static void test_each_log_gives_a_well_formed_file_ci_can_read(void **s) {
  (void)s;
  static const char *const logs[] = {"seed-ok", "proxy-flap", "fleet-5"};
  rpt_run *all[3];
  for (size_t i = 0; i < 3; i++) {
    char p[256];
    snprintf(p, sizeof p, RT_EVENTS "%s.jsonl", logs[i]);
    all[i] = rt_load_one(p);
    char *text = junit(&all[i], 1);
    xnode *root = parse_ok(text);
    check_shape(root, &all[i], 1);
    xml_free(root);
    free(text);
  }
  /* Several runs (a merged sweep): one testsuite each. */
  char *text = junit(all, 3);
  xnode *root = parse_ok(text);
  check_shape(root, all, 3);
  const xnode *flap = xml_child(root, "testsuite", 1);
  const xnode *t4 = xml_child(flap, "testcase", 1);
  assert_string_equal(xml_attr(t4, "name"), "T4 within 1m");
  assert_string_equal(xml_attr(t4, "time"), "0.610");
  const xnode *f = xml_child(t4, "failure", 0);
  assert_string_equal(xml_attr(f, "type"), "milestone");
  assert_non_null(
      strstr(xml_attr(f, "message"), "service.passing app-1 @2.510s"));
  assert_non_null(strstr(f->text, "events:\n  service.passing app-1 @2.510s"));
  xml_free(root);
  free(text);
  for (size_t i = 0; i < 3; i++)
    rpt_run_free(all[i]);
}

static void test_undecided_expectations_are_errors(void **s) {
  (void)s;
  /* The run was killed before T4's deadline: no run.end. */
  rpt_run *r = rt_run_from_text(
      "{\"t_us\":0,\"kind\":\"run.start\",\"detail\":{\"scenario\":\"cut\","
      "\"time_scale\":1,\"expect\":{\"milestones\":{\"T4\":{\"within\":"
      "\"90s\"}}}}}\n"
      "{\"t_us\":5,\"kind\":\"task.containers\",\"task\":\"a\",\"detail\":"
      "{\"containers\":[{\"name\":\"web\",\"role\":\"app\"}]}}\n"
      "{\"t_us\":5,\"kind\":\"task.status\",\"task\":\"a\",\"detail\":"
      "{\"status\":\"PROVISIONING\"}}\n");
  assert_false(r->complete);
  assert_int_equal(r->verdicts[0].result, RPT_UNDECIDED);
  char *text = junit(&r, 1);
  xnode *root = parse_ok(text);
  check_shape(root, &r, 1);
  const xnode *ts = xml_child(root, "testsuite", 0);
  assert_string_equal(xml_attr(ts, "errors"), "1");
  const xnode *er = xml_child(xml_child(ts, "testcase", 0), "error", 0);
  assert_non_null(er);
  assert_string_equal(xml_attr(er, "type"), "undecided");
  assert_non_null(strstr(xml_attr(er, "message"), "the log is incomplete"));
  assert_non_null(
      strstr(xml_child(ts, "system-out", 0)->text, "log INCOMPLETE"));
  xml_free(root);
  free(text);
  rpt_run_free(r);
}

static void test_any_text_is_escaped(void **s) {
  (void)s;
  /* Markup characters, a control character (as a JSON escape) and a raw
   * invalid UTF-8 byte in the scenario, description and expectation name. */
  const char *nasty = "a<b>&c\\\"d'e\\u0001f\xff";
  char log[2048];
  snprintf(
      log, sizeof log,
      "{\"t_us\":0,\"kind\":\"run.start\",\"detail\":{\"scenario\":\"%s\","
      "\"description\":\"]]> %s\",\"expect\":{\"order\":[{\"first\":\"T4\","
      "\"then\":\"task STOPPED\",\"name\":\"%s\",\"require_then\":true}]}}}\n"
      "{\"t_us\":5,\"kind\":\"task.containers\",\"task\":\"t<1>\","
      "\"detail\":{\"containers\":[{\"name\":\"web\",\"role\":\"app\"}]}}\n"
      "{\"t_us\":5,\"kind\":\"task.status\",\"task\":\"t<1>\",\"detail\":"
      "{\"status\":\"PROVISIONING\"}}\n"
      "{\"t_us\":9,\"kind\":\"run.end\",\"detail\":{\"complete\":true}}\n",
      nasty, nasty, nasty);
  rpt_run *r = rt_run_from_text(log);
  assert_int_equal(r->verdicts[0].result, RPT_FAIL);
  char *text = junit(&r, 1);
  xnode *root = parse_ok(text);
  const xnode *ts = xml_child(root, "testsuite", 0);
  const char *want = "a<b>&c\"d'e\xEF\xBF\xBD"
                     "f\xEF\xBF\xBD";
  assert_string_equal(xml_attr(ts, "name"), want);
  assert_string_equal(xml_attr(xml_child(ts, "testcase", 0), "name"), want);
  const xnode *f = xml_child(xml_child(ts, "testcase", 0), "failure", 0);
  assert_non_null(strstr(xml_attr(f, "message"), "never happened in t<1>"));
  xml_free(root);
  free(text);
  /* The same text through HTML and SVG stays well-formed too. */
  char *svg = NULL;
  ecsb_err err = {0};
  assert_int_equal(rpt_report_render(&r, 1, RPT_FMT_SVG, false, &svg, &err), 0);
  root = parse_ok(svg);
  assert_string_equal(root->name, "svg");
  xml_free(root);
  free(svg);
  rpt_run_free(r);
}

int main(void) {
  rt_chdir_source();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_checker_rejects_what_is_not_xml),
      cmocka_unit_test(test_each_log_gives_a_well_formed_file_ci_can_read),
      cmocka_unit_test(test_undecided_expectations_are_errors),
      cmocka_unit_test(test_any_text_is_escaped),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
