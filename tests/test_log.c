/* test_log.c - logfmt formatting, quoting, levels, and that secrets never
 * reach a log line, by key or embedded in text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ecsb/log.h"

static void fmt(char *buf, size_t cap, const char *msg, const char *const *kv,
                size_t n) {
  ecsb_log_format(buf, cap, ECSB_LOG_INFO, msg, kv, n);
}

static void test_format_is_logfmt_with_quoting(void **state) {
  (void)state;
  char buf[512];
  const char *kv[] = {"id", "web-1",      "reason", "agent not ready",
                      "q",  "say \"hi\"", "empty",  ""};
  fmt(buf, sizeof buf, "registered service", kv, 8);
  assert_true(strncmp(buf, "ts=", 3) == 0);
  assert_non_null(strstr(buf, " level=info msg=\"registered service\""));
  assert_non_null(strstr(buf, " id=web-1"));
  assert_non_null(strstr(buf, " reason=\"agent not ready\""));
  assert_non_null(strstr(buf, " q=\"say \\\"hi\\\"\""));
  assert_non_null(strstr(buf, " empty=\"\""));
  assert_int_equal(buf[strlen(buf) - 1], '\n');
  assert_ptr_equal(strchr(buf, '\n'), buf + strlen(buf) - 1);
}

static void test_secret_keys_are_redacted(void **state) {
  (void)state;
  static const char *keys[] = {"token",         "CONSUL_HTTP_TOKEN",
                               "secret_key",    "AWS_SECRET_ACCESS_KEY",
                               "Authorization", "session-token",
                               "password"};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    char buf[512];
    const char *kv[] = {keys[i], "s3cr3t-value"};
    fmt(buf, sizeof buf, "x", kv, 2);
    if (strstr(buf, "s3cr3t-value"))
      fail_msg("%s leaked: %s", keys[i], buf);
    assert_non_null(strstr(buf, "[redacted]"));
  }
  assert_false(ecsb_is_secret_key("service"));
  assert_false(ecsb_is_secret_key("port"));
}

static void test_secrets_in_text_are_redacted(void **state) {
  (void)state;
  static const struct {
    const char *text;
    const char *secret;
  } cases[] = {
      {"request had Authorization: AWS4-HMAC-SHA256 Credential=AKID/x, "
       "Signature=abc123def",
       "abc123def"},
      {"X-Consul-Token: 9f3c-token-value", "9f3c-token-value"},
      {"Authorization: Bearer eyJhbGciOi.secret", "eyJhbGciOi.secret"},
      {"body {\"AccessKeyId\":\"AKID\",\"SecretAccessKey\":\"wJalrXUtnFEMI\","
       "\"Token\":\"IQoJb3JpZ2lu\"}",
       "wJalrXUtnFEMI"},
      {"body {\"AccessKeyId\":\"AKID\",\"SecretAccessKey\":\"wJalrXUtnFEMI\","
       "\"Token\":\"IQoJb3JpZ2lu\"}",
       "IQoJb3JpZ2lu"},
      {"https://x/?X-Amz-Signature=feedface&a=b", "feedface"},
      {"X-Amz-Security-Token: FwoGZXIvYXdzE", "FwoGZXIvYXdzE"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char buf[1024];
    fmt(buf, sizeof buf, cases[i].text, NULL, 0);
    if (strstr(buf, cases[i].secret))
      fail_msg("case %zu leaked %s: %s", i, cases[i].secret, buf);
    /* and as a value under an innocent key */
    const char *kv[] = {"detail", cases[i].text};
    fmt(buf, sizeof buf, "m", kv, 2);
    if (strstr(buf, cases[i].secret))
      fail_msg("case %zu leaked as value: %s", i, buf);
  }
  /* Non-secret text survives untouched. */
  char buf[256];
  const char *kv[] = {"detail", "{\"AccessKeyId\":\"AKIDEXAMPLE\"}"};
  fmt(buf, sizeof buf, "m", kv, 2);
  assert_non_null(strstr(buf, "AKIDEXAMPLE"));
}

static void test_redact_small_buffer_masks_in_place(void **state) {
  (void)state;
  char s[] = "X-Consul-Token: abc";
  ecsb_redact(s, sizeof s); /* no room for "[redacted]": stars instead */
  assert_string_equal(s, "X-Consul-Token: ***");
}

static void test_level_parse_and_filter(void **state) {
  (void)state;
  ecsb_log_level l;
  assert_int_equal(ecsb_log_level_parse("debug", &l), 0);
  assert_int_equal(l, ECSB_LOG_DEBUG);
  assert_int_equal(ecsb_log_level_parse("WARN", &l), 0);
  assert_int_equal(l, ECSB_LOG_WARN);
  assert_int_equal(ecsb_log_level_parse("loud", &l), ECSB_EINVAL);
  ecsb_log_set_level(ECSB_LOG_ERROR);
  assert_int_equal(ecsb_log_get_level(), ECSB_LOG_ERROR);
  ecsb_log_set_level(ECSB_LOG_INFO);
}

static void test_truncation_keeps_line_terminated(void **state) {
  (void)state;
  char buf[40];
  const char *kv[] = {"k", "a very long value that will not fit in the buffer"};
  size_t need = ecsb_log_format(buf, sizeof buf, ECSB_LOG_INFO, "m", kv, 2);
  assert_true(need > sizeof buf);
  assert_int_equal(strlen(buf), sizeof buf - 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_format_is_logfmt_with_quoting),
      cmocka_unit_test(test_secret_keys_are_redacted),
      cmocka_unit_test(test_secrets_in_text_are_redacted),
      cmocka_unit_test(test_redact_small_buffer_masks_in_place),
      cmocka_unit_test(test_level_parse_and_filter),
      cmocka_unit_test(test_truncation_keeps_line_terminated),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
