/* test_serve_ecs.c - the fake-ECS part of `ecsboot serve`: its --ecs-*
 * flags parse into options (and bad values are named), start prints the
 * endpoint, keys and AWS CLI examples, the printed endpoint answers signed
 * requests with the printed keys, and a non-loopback bind is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fecs_testutil.h"
#include "serve_ecs.h"

static int parse(serve_ecs_opts *o, int argc, char **argv, ecsb_err *err) {
  ecsb_flag flags[SERVE_ECS_N_FLAGS];
  size_t n = serve_ecs_flags(o, flags, SERVE_ECS_N_FLAGS);
  ecsb_flagset fs = {.command = "ecsboot serve", .flags = flags, .n_flags = n};
  char *pos[4];
  size_t n_pos = 0;
  return ecsb_flags_parse(&fs, argc, argv, pos, 4, &n_pos, err);
}

static void test_flags_parse_into_options(void **state) {
  (void)state;
  serve_ecs_opts o;
  serve_ecs_opts_default(&o);
  assert_string_equal(o.bind_ip, "127.0.0.1");
  assert_string_equal(o.region, "us-east-1");
  char *argv[] = {"--ecs-account=210987654321",
                  "--ecs-no-throttle",
                  "--ecs-start-delay=2s",
                  "--ecs-access-key-id=AKIDTEST",
                  "--ecs-seed",
                  "9"};
  ecsb_err err = {0};
  assert_int_equal(parse(&o, 6, argv, &err), 0);
  assert_string_equal(o.account, "210987654321");
  assert_true(o.no_throttle);
  assert_false(o.no_sigv4);
  assert_int_equal(o.start_delay, 2000000000LL);
  assert_string_equal(o.key_id, "AKIDTEST");
  assert_int_equal(o.seed, 9);
  char *bad[] = {"--ecs-seed=0"};
  assert_int_equal(parse(&o, 1, bad, &err), ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "ecs-seed"));
  char *unknown[] = {"--ecs-port=1"};
  assert_int_equal(parse(&o, 1, unknown, &err), ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "ecs-port"));
}

static void test_start_prints_a_working_endpoint(void **state) {
  (void)state;
  serve_ecs_opts o;
  serve_ecs_opts_default(&o);
  o.region = "eu-west-1";
  o.cluster = "dev";
  o.md_bind_ip = "127.0.0.3";
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  fecs *f = NULL;
  ecsb_err err = {0};
  assert_int_equal(serve_ecs_start(&o, out, &f, &err), 0);
  fclose(out);
  char want[200];
  snprintf(want, sizeof want, "fake-ecs API          %s\n", fecs_api_url(f));
  assert_non_null(strstr(text, want));
  snprintf(want, sizeof want,
           "aws ecs run-task --endpoint-url %s --cluster dev "
           "--task-definition web\n",
           fecs_api_url(f));
  assert_non_null(strstr(text, want));
  assert_non_null(strstr(text, "AWS_DEFAULT_REGION=eu-west-1"));
  assert_non_null(strstr(text, fecs_access_key_id(f)));
  assert_non_null(strstr(text, fecs_secret_access_key(f)));
  assert_non_null(strstr(text, "SigV4 checked"));
  snprintf(want, sizeof want, "metadata/credentials  %s ",
           fecs_endpoint_url(f));
  assert_non_null(strstr(text, want));
  assert_true(!strncmp(fecs_endpoint_url(f), "http://127.0.0.3:", 17));
  /* the printed keys open the printed endpoint; the cluster exists */
  cJSON *r = ft_ok(f, NULL, "DescribeClusters", "{\"clusters\":[\"dev\"]}");
  assert_string_equal(jps(r, "clusters[0].clusterArn"),
                      "arn:aws:ecs:eu-west-1:123456789012:cluster/dev");
  cJSON_Delete(r);
  serve_ecs_stop(f);
  free(text);
}

static void test_refuses_a_non_loopback_bind(void **state) {
  (void)state;
  serve_ecs_opts o;
  serve_ecs_opts_default(&o);
  o.bind_ip = "0.0.0.0";
  fecs *f = NULL;
  ecsb_err err = {0};
  assert_int_not_equal(serve_ecs_start(&o, NULL, &f, &err), 0);
  assert_null(f);
  assert_non_null(strstr(err.msg, "--ecs-"));
  assert_non_null(strstr(err.msg, "0.0.0.0"));
  o.bind_ip = "127.0.0.1";
  o.account = "42";
  assert_int_equal(serve_ecs_start(&o, NULL, &f, &err), ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "account_id"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_flags_parse_into_options),
      cmocka_unit_test(test_start_prints_a_working_endpoint),
      cmocka_unit_test(test_refuses_a_non_loopback_bind),
  };
  ecsb_http_global_init(NULL);
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  ecsb_http_global_cleanup();
  return rc;
}
