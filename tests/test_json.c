/* test_json.c - parse errors carry a position; typed getters name the JSON
 * path of a missing or mistyped field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/json.h"

static cJSON *parse(const char *s) {
  cJSON *j = NULL;
  assert_int_equal(ecsb_json_parse(s, strlen(s), "test", &j, NULL), 0);
  return j;
}

static void test_parse_reports_position_and_source(void **state) {
  (void)state;
  cJSON *j = NULL;
  ecsb_err err = {0};
  const char *bad = "{\"a\": [1, 2,, 3]}";
  assert_int_equal(
      ecsb_json_parse(bad, strlen(bad), "response from x", &j, &err),
      ECSB_EPARSE);
  assert_null(j);
  assert_non_null(strstr(err.msg, "response from x"));
  assert_non_null(strstr(err.msg, "byte 12"));
  assert_int_equal(ecsb_json_parse("", 0, "f.json", &j, &err), ECSB_EPARSE);
  assert_non_null(strstr(err.msg, "empty"));
  const char *trail = "{} {}";
  assert_int_equal(ecsb_json_parse(trail, strlen(trail), "f.json", &j, &err),
                   ECSB_EPARSE);
  assert_non_null(strstr(err.msg, "after the JSON document"));
  /* Truncated documents (a peer cut off mid-body) are errors, not crashes. */
  const char *cut = "{\"tasks\": [{\"taskArn\": \"arn:aws:ecs:us-e";
  assert_int_equal(ecsb_json_parse(cut, strlen(cut), "f", &j, &err),
                   ECSB_EPARSE);
}

static void test_getters_read_typed_values(void **state) {
  (void)state;
  cJSON *j = parse("{\"Name\":\"web\",\"Port\":8080,\"On\":true,"
                   "\"Proxy\":{\"U\":[1]},\"Tags\":[\"a\"],\"N\":null}\n");
  const char *s = NULL;
  int64_t n = 0;
  bool b = false;
  const cJSON *o = NULL, *a = NULL;
  assert_int_equal(ecsb_json_get_string(j, "$", "Name", true, &s, NULL), 0);
  assert_string_equal(s, "web");
  assert_int_equal(ecsb_json_get_int(j, "$", "Port", true, 1, 65535, &n, NULL),
                   0);
  assert_int_equal(n, 8080);
  assert_int_equal(ecsb_json_get_bool(j, "$", "On", true, &b, NULL), 0);
  assert_true(b);
  assert_int_equal(ecsb_json_get_object(j, "$", "Proxy", true, &o, NULL), 0);
  assert_non_null(o);
  assert_int_equal(ecsb_json_get_array(j, "$", "Tags", true, &a, NULL), 0);
  assert_int_equal(cJSON_GetArraySize(a), 1);
  /* Optional and missing (or null): success, output untouched. */
  s = "unchanged";
  assert_int_equal(ecsb_json_get_string(j, "$", "Missing", false, &s, NULL), 0);
  assert_string_equal(s, "unchanged");
  assert_int_equal(ecsb_json_get_string(j, "$", "N", false, &s, NULL), 0);
  cJSON_Delete(j);
}

static void test_getters_name_the_path(void **state) {
  (void)state;
  cJSON *j = parse("{\"Name\":5,\"Port\":70000,\"F\":1.5,\"On\":\"yes\"}");
  ecsb_err err = {0};
  const char *s;
  int64_t n;
  bool b;
  const cJSON *o;
  assert_int_equal(ecsb_json_get_string(j, "$.Service", "Name", true, &s, &err),
                   ECSB_EINVAL);
  assert_string_equal(err.msg, "$.Service.Name: expected a string");
  assert_int_equal(ecsb_json_get_string(j, "$", "ID", true, &s, &err),
                   ECSB_ENOTFOUND);
  assert_string_equal(err.msg, "$.ID: required field missing");
  assert_int_equal(ecsb_json_get_int(j, "$", "Port", true, 1, 65535, &n, &err),
                   ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "$.Port: 70000 is out of range"));
  assert_int_equal(ecsb_json_get_int(j, "$", "F", true, 0, 10, &n, &err),
                   ECSB_EINVAL);
  assert_string_equal(err.msg, "$.F: expected an integer");
  assert_int_equal(ecsb_json_get_bool(j, "$", "On", true, &b, &err),
                   ECSB_EINVAL);
  assert_int_equal(ecsb_json_get_object(j, "$", "Name", true, &o, &err),
                   ECSB_EINVAL);
  assert_string_equal(err.msg, "$.Name: expected an object");
  cJSON *arr = parse("[1]");
  assert_int_equal(ecsb_json_get_string(arr, "$.x[0]", "k", true, &s, &err),
                   ECSB_EINVAL);
  assert_string_equal(err.msg, "$.x[0]: expected an object");
  cJSON_Delete(arr);
  cJSON_Delete(j);
}

static void test_parse_rejects_invalid_utf8(void **state) {
  (void)state;
  const struct {
    const char *doc;
    size_t bad_at; /* SIZE_MAX: valid */
  } cases[] = {
      {"{\"a\": \"caf\xc3\xa9\"}", SIZE_MAX},                   /* é */
      {"{\"a\": \"\xe2\x82\xac \xf0\x9f\x98\x80\"}", SIZE_MAX}, /* € 😀 */
      {"{\"a\": \"caf\xe9\"}", 10},                             /* Latin-1 é */
      {"{\"a\": \"\xc0\xaf\"}", 7},                             /* overlong / */
      {"{\"a\": \"\xed\xa0\x80\"}", 7},     /* a surrogate */
      {"{\"a\": \"\xf4\x90\x80\x80\"}", 7}, /* above U+10FFFF */
      {"{\"a\": \"\xe2\x82\"}", 7},         /* cut short */
      {"{\"a\": 1}\xff", 8},                /* after the document */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cJSON *j = NULL;
    ecsb_err err = {0};
    int rc = ecsb_json_parse(cases[i].doc, strlen(cases[i].doc), "doc.json", &j,
                             &err);
    if (cases[i].bad_at == SIZE_MAX) {
      assert_int_equal(rc, 0);
      cJSON_Delete(j);
      continue;
    }
    assert_int_equal(rc, ECSB_EPARSE);
    assert_null(j);
    char want[96];
    snprintf(want, sizeof want, "doc.json: invalid UTF-8 at byte %zu of %zu",
             cases[i].bad_at, strlen(cases[i].doc));
    assert_non_null(strstr(err.msg, want));
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_reports_position_and_source),
      cmocka_unit_test(test_parse_rejects_invalid_utf8),
      cmocka_unit_test(test_getters_read_typed_values),
      cmocka_unit_test(test_getters_name_the_path),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
