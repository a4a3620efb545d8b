/* test_scn_scenario.c - scenario files: a full one parses to the right
 * values, both task-definition shapes and file references work, and every
 * bad input is refused naming the file and the JSON path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ecsb/fileio.h"
#include "ecsb/buf.h"
#include "scn/scenario.h"

#define TD                                                                     \
  "{\"family\":\"web\",\"containerDefinitions\":[{\"name\":\"app\","           \
  "\"image\":\"example/web:1\"}]}"

static scn_scenario *parse_ok(const char *text) {
  scn_scenario *s = NULL;
  ecsb_err err = {0};
  if (scn_scenario_parse(text, strlen(text), "t.json", ".", &s, &err) != 0)
    fail_msg("unexpected error: %s", err.msg);
  return s;
}

static void test_full_scenario_parses(void **state) {
  (void)state;
  const char *text =
      "{\"name\":\"chaos-1\",\"description\":\"d\",\"time_scale\":0.01,"
      "\"seed\":42,\"deadline\":\"5m\",\"cluster\":\"c1\",\"service\":\"web\","
      "\"consul_server\":{\"start_delay\":\"20s\",\"stop_after\":\"1m\"},"
      "\"task_definition\":" TD ","
      "\"tasks\":{\"count\":100,\"rate_per_second\":10},"
      "\"images\":[{\"match\":\"example/*\",\"play\":\"app\",\"args\":"
      "[\"--fail-health\"]},{\"match\":\"my-envoy\",\"play\":\"exec:/usr/"
      "bin/envoy\"}],"
      "\"faults\":[{\"at\":\"5s\",\"target\":\"ecs_api\",\"action\":"
      "\"throttle\",\"params\":{\"burst\":1,\"rate\":0.5,\"operation\":"
      "\"DescribeTasks\"},\"duration\":\"30s\"},"
      "{\"at_milestone\":\"T1\",\"offset\":\"1s\",\"target\":\"agent\","
      "\"action\":\"crash\",\"params\":{\"restart_after\":\"2s\"}},"
      "{\"probability\":0.25,\"target\":\"container\",\"container\":\"app\","
      "\"action\":\"exit\",\"params\":{\"code\":3}}],"
      "\"expect\":{\"milestones\":{\"T4\":{\"within\":\"90s\"}}}}";
  scn_scenario *s = parse_ok(text);
  assert_string_equal(s->name, "chaos-1");
  assert_true(s->time_scale == 0.01);
  assert_int_equal(s->seed, 42);
  assert_int_equal(s->deadline_us, 300000000);
  assert_string_equal(s->cluster, "c1");
  assert_string_equal(s->service_name, "web");
  assert_string_equal(s->server_family, "consul-server");
  assert_int_equal(s->server_start_delay_us, 20000000);
  assert_int_equal(s->server_stop_after_us, 60000000);
  assert_false(s->server_never_running);
  assert_int_equal(s->task_count, 100);
  assert_true(s->start_rate == 10);
  assert_int_equal(s->n_images, 2);
  assert_string_equal(s->images[0].args[0], "--fail-health");
  assert_null(s->images[0].args[1]);
  assert_int_equal(s->images[1].play, SCN_PLAY_EXEC);
  assert_string_equal(s->images[1].exec_path, "/usr/bin/envoy");
  assert_int_equal(s->n_faults, 3);
  assert_int_equal(s->faults[0].when, SCN_FAULT_AT);
  assert_int_equal(s->faults[0].at_us, 5000000);
  assert_int_equal(s->faults[0].duration_us, 30000000);
  assert_string_equal(s->faults[0].task, "*");
  assert_int_equal(s->faults[1].when, SCN_FAULT_MILESTONE);
  assert_string_equal(s->faults[1].milestone, "T1");
  assert_int_equal(s->faults[1].at_us, 1000000);
  assert_int_equal(s->faults[2].when, SCN_FAULT_RANDOM);
  assert_true(s->faults[2].probability == 0.25);
  assert_string_equal(s->faults[2].container, "app");
  assert_non_null(cJSON_GetObjectItem(s->expect, "milestones"));
  /* Scenario time scales to wall time in one place. */
  assert_int_equal(scn_scale_us(s, 90000000), 900000);
  scn_scenario_free(s);
}

static void test_defaults_and_players(void **state) {
  (void)state;
  scn_scenario *s = parse_ok("{\"name\":\"min\",\"task_definition\":" TD "}");
  assert_true(s->time_scale == 1.0);
  assert_int_equal(s->task_count, 1);
  assert_true(s->start_rate == 0);
  assert_string_equal(s->cluster, "default");
  assert_null(s->expect);
  static const struct {
    const char *image;
    scn_player play;
  } cases[] = {
      {"public.ecr.aws/hashicorp/consul-ecs:0.2.0", SCN_PLAY_INIT},
      {"ghcr.io/acme/ecsboot-init:0.1", SCN_PLAY_INIT},
      {"envoyproxy/envoy-alpine:v1.16.2", SCN_PLAY_ENVOY},
      {"public.ecr.aws/hashicorp/consul:1.9.5", SCN_PLAY_CONSUL_CLIENT},
      {"docker.io/library/nginx", SCN_PLAY_APP},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const scn_image_rule *r = scn_scenario_player(s, cases[i].image);
    assert_non_null(r);
    if (r->play != cases[i].play)
      fail_msg("%s played by %s", cases[i].image, scn_player_name(r->play));
    assert_null(r->args[0]);
  }
  scn_scenario_free(s);
}

/* The ECS agent stops dependents first (graph.go verifyShutdownOrder):
 * that is the default; all-at-once only when asked for (issue #18). */
static void test_stop_order_defaults_to_the_agents(void **state) {
  (void)state;
  scn_scenario *s = parse_ok("{\"name\":\"min\",\"task_definition\":" TD "}");
  assert_false(s->sigterm_all_at_once);
  scn_scenario_free(s);
  s = parse_ok("{\"name\":\"min\",\"stop_order\":\"all-at-once\","
               "\"task_definition\":" TD "}");
  assert_true(s->sigterm_all_at_once);
  scn_scenario_free(s);
  s = parse_ok("{\"name\":\"min\",\"stop_order\":\"reverse-dependencies\","
               "\"task_definition\":" TD "}");
  assert_false(s->sigterm_all_at_once);
  scn_scenario_free(s);
}

/* $.agent: the agent's defaults (ECS_CONTAINER_START_TIMEOUT 3m on Linux,
 * pulls off the ordering, every image cached) and the first pull rule
 * that matches an image. */
static void test_agent_settings_and_pull_rules(void **state) {
  (void)state;
  scn_scenario *s = parse_ok("{\"name\":\"min\",\"task_definition\":" TD "}");
  assert_false(s->pull_upfront);
  assert_int_equal(s->start_timeout_us, INT64_C(180000000));
  assert_int_equal(scn_scenario_pull_us(s, "envoyproxy/envoy:v1"), 0);
  assert_true(s->credentials_us > 0);
  assert_null(s->credentials_error);
  scn_scenario_free(s);
  s = parse_ok("{\"name\":\"min\",\"task_definition\":" TD
               ",\"agent\":{\"pull_dependent_containers_upfront\":true,"
               "\"container_start_timeout\":\"45s\",\"pull_time\":\"5s\","
               "\"pulls\":[{\"match\":\"envoyproxy/*\",\"time\":\"1m\"},"
               "{\"match\":\"*\",\"time\":\"2s\"}],"
               "\"credentials_time\":\"3s\","
               "\"credentials_error\":\"AccessDeniedException: no\"}}");
  assert_true(s->pull_upfront);
  assert_int_equal(s->start_timeout_us, INT64_C(45000000));
  assert_int_equal(scn_scenario_pull_us(s, "envoyproxy/envoy:v1"),
                   INT64_C(60000000));
  assert_int_equal(scn_scenario_pull_us(s, "hashicorp/consul:1.15"),
                   INT64_C(2000000));
  assert_int_equal(s->credentials_us, INT64_C(3000000));
  assert_string_equal(s->credentials_error, "AccessDeniedException: no");
  scn_scenario_free(s);
  /* under the agent's minimum: the agent's minimum, as the agent runs */
  s = parse_ok("{\"name\":\"min\",\"task_definition\":" TD
               ",\"agent\":{\"container_start_timeout\":\"10s\"}}");
  assert_int_equal(s->start_timeout_us, INT64_C(45000000));
  scn_scenario_free(s);
  /* no rule matches: pull_time */
  s = parse_ok("{\"name\":\"min\",\"task_definition\":" TD
               ",\"agent\":{\"pull_time\":\"5s\",\"pulls\":[{\"match\":"
               "\"envoyproxy/*\",\"time\":\"1m\"}]}}");
  assert_int_equal(scn_scenario_pull_us(s, "example/web:1"), INT64_C(5000000));
  scn_scenario_free(s);
}

static void test_task_definition_shapes_and_files(void **state) {
  (void)state;
  /* describe-task-definition output wraps it. */
  scn_scenario *s =
      parse_ok("{\"name\":\"d\",\"task_definition\":{\"taskDefinition\":" TD
               ",\"tags\":[]}}");
  assert_string_equal(
      cJSON_GetObjectItem(s->task_definition, "family")->valuestring, "web");
  scn_scenario_free(s);
  /* Terraform's bare container array: the family is the scenario's name,
   * or the file's (below), made a valid family. */
  s = parse_ok("{\"name\":\"tf.1\",\"task_definition\":[{\"name\":\"app\","
               "\"image\":\"example/web:1\"}]}");
  assert_string_equal(
      cJSON_GetObjectItem(s->task_definition, "family")->valuestring, "tf");
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(
                       s->task_definition, "containerDefinitions")),
                   1);
  scn_scenario_free(s);

  char dir[] = "/tmp/ecsb-scn-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char td[128], sc[128];
  snprintf(td, sizeof td, "%s/td.json", dir);
  snprintf(sc, sizeof sc, "%s/s.json", dir);
  const char *tdtext = "{\"taskDefinition\":" TD "}";
  const char *sctext = "{\"name\":\"f\",\"task_definition\":\"td.json\"}";
  assert_int_equal(ecsb_atomic_write(td, tdtext, strlen(tdtext), 0644, NULL),
                   0);
  assert_int_equal(ecsb_atomic_write(sc, sctext, strlen(sctext), 0644, NULL),
                   0);
  ecsb_err err = {0};
  assert_int_equal(scn_scenario_load(sc, &s, &err), 0);
  assert_string_equal(s->task_definition_path, td);
  assert_string_equal(s->path, sc);
  scn_scenario_free(s);
  char tf[128];
  snprintf(tf, sizeof tf, "%s/my_tf containers.json", dir);
  const char *tftext = "[{\"name\":\"app\",\"image\":\"example/web:1\"}]";
  const char *sctf =
      "{\"name\":\"f\",\"task_definition\":\"my_tf containers.json\"}";
  assert_int_equal(ecsb_atomic_write(tf, tftext, strlen(tftext), 0644, NULL),
                   0);
  assert_int_equal(ecsb_atomic_write(sc, sctf, strlen(sctf), 0644, NULL), 0);
  assert_int_equal(scn_scenario_load(sc, &s, &err), 0);
  assert_string_equal(
      cJSON_GetObjectItem(s->task_definition, "family")->valuestring,
      "my_tf-containers");
  scn_scenario_free(s);
  assert_int_equal(ecsb_atomic_write(sc, sctext, strlen(sctext), 0644, NULL),
                   0);
  assert_int_equal(unlink(tf), 0);
  /* Loaded by a relative path, the task definition's path is still
   * absolute (containers run elsewhere); the scenario keeps the name it
   * was given, for messages. */
  char old_cwd[4096], here[4096], want[4200];
  assert_non_null(getcwd(old_cwd, sizeof old_cwd));
  assert_int_equal(chdir(dir), 0);
  assert_non_null(getcwd(here, sizeof here));
  snprintf(want, sizeof want, "%s/td.json", here);
  const char *rel[] = {"s.json", "./s.json", ".//./s.json"};
  for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
    assert_int_equal(scn_scenario_load(rel[i], &s, &err), 0);
    assert_string_equal(s->task_definition_path, want);
    assert_string_equal(s->path, rel[i]);
    scn_scenario_free(s);
  }
  static const struct {
    const char *in, *suffix; /* suffix after the working folder; NULL: as is */
  } abs_cases[] = {
      {"out/x", "/out/x"}, {"./out", "/out"}, {".", ""},
      {"../up", "/../up"}, {"/abs/p", NULL},
  };
  for (size_t i = 0; i < sizeof abs_cases / sizeof abs_cases[0]; i++) {
    char got[4096], exp[4300];
    assert_int_equal(
        scn_path_absolute("t", abs_cases[i].in, got, sizeof got, &err), 0);
    if (abs_cases[i].suffix)
      snprintf(exp, sizeof exp, "%s%s", here, abs_cases[i].suffix);
    else
      snprintf(exp, sizeof exp, "%s", abs_cases[i].in);
    assert_string_equal(got, exp);
  }
  char small[8];
  assert_int_equal(scn_path_absolute("run folder", "reports/out/t0-t4", small,
                                     sizeof small, &err),
                   ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "run folder reports/out/t0-t4"));
  assert_int_equal(chdir(old_cwd), 0);
  /* A missing referenced file names both. */
  const char *bad = "{\"name\":\"f\",\"task_definition\":\"nope.json\"}";
  assert_int_equal(ecsb_atomic_write(sc, bad, strlen(bad), 0644, NULL), 0);
  assert_int_not_equal(scn_scenario_load(sc, &s, &err), 0);
  assert_non_null(strstr(err.msg, sc));
  assert_non_null(strstr(err.msg, "$.task_definition"));
  assert_non_null(strstr(err.msg, "nope.json"));
  unlink(td);
  unlink(sc);
  rmdir(dir);
  assert_int_equal(scn_scenario_load("/nonexistent/s.json", &s, &err),
                   ECSB_ENOTFOUND);
  assert_non_null(strstr(err.msg, "/nonexistent/s.json"));
}

static void test_bad_scenarios_name_path(void **state) {
  (void)state;
  static const struct {
    const char *text;
    const char *want;
  } cases[] = {
      {"{\"task_definition\":" TD "}", "$.name: required field missing"},
      {"{\"name\":\"Bad Name\",\"task_definition\":" TD "}", "$.name:"},
      {"{\"name\":\"x\"}", "$.task_definition: required field missing"},
      {"{\"name\":\"x\",\"task_definition\":" TD ",\"probabilty\":1}",
       "$.probabilty: unknown field"},
      {"{\"name\":\"x\",\"time_scale\":0,\"task_definition\":" TD "}",
       "$.time_scale"},
      {"{\"name\":\"x\",\"deadline\":\"soon\",\"task_definition\":" TD "}",
       "$.deadline: invalid duration"},
      {"{\"name\":\"x\",\"task_definition\":" TD
       ",\"agent\":{\"pull_upfront\":true}}",
       "$.agent.pull_upfront: unknown field"},
      {"{\"name\":\"x\",\"task_definition\":" TD
       ",\"agent\":{\"pulls\":[{\"time\":\"1s\"}]}}",
       "$.agent.pulls[0].match: required field missing"},
      {"{\"name\":\"x\",\"task_definition\":" TD
       ",\"agent\":{\"pulls\":[\"*\"]}}",
       "$.agent.pulls[0]: expected {\"match\": glob, \"time\": duration}"},
      {"{\"name\":\"x\",\"task_definition\":" TD
       ",\"agent\":{\"pull_time\":\"-1s\"}}",
       "$.agent.pull_time: must not be negative"},
      {"{\"name\":\"x\",\"task_definition\":{\"family\":\"f\"}}",
       "$.task_definition: task definition: ClientException: "
       "containerDefinitions: required, 1-100 containers (got 0)"},
      {"{\"name\":\"x\",\"task_definition\":{\"family\":\"f\","
       "\"containerDefinitions\":[{\"name\":\"a\"}]}}",
       "$.task_definition: task definition: ClientException: "
       "containerDefinitions[0].image (container 'a'): should not be null or "
       "empty"},
      /* Terraform's bare array is read too, with ECS's rules */
      {"{\"name\":\"x\",\"task_definition\":[{\"name\":\"a\",\"image\":\"i\","
       "\"healthCheck\":{\"command\":[\"nc\",\"-z\",\"127.0.0.1\",\"1\"]}}]}",
       "$.task_definition: task definition: ClientException: "
       "containerDefinitions[0].healthCheck.command[0]: must be \"CMD\" or "
       "\"CMD-SHELL\", not \"nc\""},
      {"{\"name\":\"x\",\"task_definition\":" TD ",\"tasks\":{\"count\":0}}",
       "$.tasks.count: 0 is out of range"},
      {"{\"name\":\"x\",\"task_definition\":" TD
       ",\"consul_server\":{\"start_delay\":5}}",
       "$.consul_server.start_delay: expected a string"},
      {"{\"name\":\"x\",\"task_definition\":" TD
       ",\"images\":[{\"match\":\"*\",\"play\":\"nginx\"}]}",
       "$.images[0].play: unknown player \"nginx\""},
      {"{\"name\":\"x\",\"task_definition\":" TD
       ",\"images\":[{\"match\":\"*\",\"play\":\"exec:envoy\"}]}",
       "$.images[0].play: exec: needs an absolute path"},
      {"{\"name\":\"x\",\"task_definition\":" TD
       ",\"faults\":[{\"target\":\"agent\",\"action\":\"crash\"}]}",
       "$.faults[0]: give exactly one of"},
      {"{\"name\":\"x\",\"task_definition\":" TD
       ",\"faults\":[{\"at\":\"1s\",\"target\":\"agent\",\"action\":"
       "\"explode\"}]}",
       "$.faults[0].action: unknown action \"explode\" for target \"agent\""},
      {"{\"name\":\"x\",\"task_definition\":" TD
       ",\"faults\":[{\"at\":\"1s\",\"target\":\"moon\",\"action\":\"x\"}]}",
       "$.faults[0].target: unknown target \"moon\""},
      {"{\"name\":\"x\",\"task_definition\":" TD
       ",\"faults\":[{\"at\":\"1s\",\"target\":\"metadata\",\"action\":"
       "\"slow\"}]}",
       "$.faults[0].params.delay: required for metadata slow"},
      {"{\"name\":\"x\",\"task_definition\":" TD
       ",\"faults\":[{\"at\":\"1s\",\"target\":\"metadata\",\"action\":"
       "\"slow\",\"params\":{\"delay\":\"1s\",\"jitter\":1}}]}",
       "$.faults[0].params.jitter: unknown parameter for metadata slow"},
      {"{\"name\":\"x\",\"task_definition\":" TD
       ",\"faults\":[{\"at\":\"1s\",\"target\":\"ecs_api\",\"action\":"
       "\"error\",\"params\":{\"type\":\"ServerException\",\"count\":\"3\"}}"
       "]}",
       "$.faults[0].params.count: expected a number"},
      {"{\"name\":\"x\",\"task_definition\":" TD
       ",\"faults\":[{\"at_milestone\":\"T9\",\"target\":\"agent\","
       "\"action\":\"crash\"}]}",
       "$.faults[0].at_milestone: \"T9\" is not one of T0..T4"},
      {"{\"name\":\"x\",\"task_definition\":" TD
       ",\"faults\":[{\"probability\":1.5,\"target\":\"agent\",\"action\":"
       "\"crash\"}]}",
       "$.faults[0].probability: expected a number in [0, 1]"},
      {"{\"name\":\"x\",\"task_definition\":" TD
       ",\"faults\":[{\"at\":\"1s\",\"target\":\"container\",\"action\":"
       "\"exit\",\"params\":{\"code\":1}}]}",
       "$.faults[0].container: required for target \"container\""},
      {"{\"name\":\"x\",\"task_definition\":" TD ",\"expect\":[1]}",
       "$.expect: expected an object"},
      /* names that are not the task definition's containers: exit 2
       * before anything starts, naming the known ones */
      {"{\"name\":\"x\",\"task_definition\":" TD
       ",\"faults\":[{\"at\":\"1s\",\"target\":\"container\",\"container\":"
       "\"ap\",\"action\":\"exit\",\"params\":{\"code\":1}}]}",
       "$.faults[0].container: \"ap\" names no container of the task "
       "definition (its containers: app)"},
      {"{\"name\":\"x\",\"task_definition\":" TD
       ",\"expect\":{\"order\":[{\"first\":\"T3\",\"then\":\"apps "
       "started\"}]}}",
       "$.expect.order[0].then: \"apps\" names no container of the task "
       "definition (its containers: app)"},
      {"{\"name\":\"x\",\"task_definition\":" TD
       ",\"expect\":{\"order\":[{\"first\":\"sidecar-proxy healty\","
       "\"then\":\"app started\"}]}}",
       "$.expect.order[0].first"},
      {"{\"name\":\"x\",\"task_definition\":" TD
       ",\"expect\":{\"milestones\":{\"T9\":{\"within\":\"1s\"}}}}",
       "$.expect.milestones"},
      {"{\"name\":", "malformed JSON"},
      {"[]", "$: expected an object"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    scn_scenario *s = NULL;
    ecsb_err err = {0};
    int rc = scn_scenario_parse(cases[i].text, strlen(cases[i].text),
                                "catalog/x.json", ".", &s, &err);
    if (rc == 0)
      fail_msg("case %zu accepted", i);
    assert_null(s);
    if (!strstr(err.msg, cases[i].want) || !strstr(err.msg, "catalog/x.json"))
      fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.msg, cases[i].want);
  }
}

/* Every problem of a scenario file at once (fields, task definition,
 * faults, expectations), the first heading the message; a fault or an
 * expectation naming a container is still checked against the task
 * definition's names, and past half the message the rest are counted. */
static void test_every_problem_at_once(void **state) {
  (void)state;
  scn_scenario *s = NULL;
  ecsb_err err = {0};
  const char *text =
      "{\"name\":\"x\",\"time_scale\":0,\"probabilty\":1,\"task_"
      "definition\":" TD
      ",\"stop_order\":\"sideways\",\"faults\":[{\"at\":\"1s\",\"target\":"
      "\"moon\",\"action\":\"x\"},{\"at\":\"1s\",\"target\":\"container\","
      "\"action\":\"hang\",\"container\":\"ap\"}],\"expect\":{\"order\":[{"
      "\"first\":\"app started\",\"then\":\"web started\"}]}}";
  assert_int_equal(
      scn_scenario_parse(text, strlen(text), "s.json", ".", &s, &err),
      ECSB_EINVAL);
  assert_null(s);
  const char *want[] = {
      "s.json: $.probabilty: unknown field\n",
      "\n  and: $.time_scale: expected a number in (0, 1000]\n",
      "\n  and: $.stop_order: \"sideways\" is not all-at-once",
      "\n  and: $.faults[0].target: unknown target \"moon\"",
      "\n  and: $.faults[1].container: \"ap\" names no container",
      "\n  and: $.expect.order[0].then: \"web\" names no container",
  };
  const char *at = err.msg;
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    const char *hit = strstr(at, want[i]);
    if (!hit)
      fail_msg("missing, in order, \"%s\" in:\n%s", want[i], err.msg);
    at = hit + 1;
  }
  assert_null(strstr(err.msg, "more"));

  /* A broken task definition: its problems, and the rest of the file's,
   * without container names checked against names unknown. */
  const char *text2 = "{\"name\":\"x\",\"task_definition\":{\"family\":\"f\"},"
                      "\"seed\":-1,\"faults\":[{\"at\":\"1s\",\"target\":"
                      "\"container\",\"action\":\"hang\",\"container\":"
                      "\"ap\"}]}";
  assert_int_equal(
      scn_scenario_parse(text2, strlen(text2), "s.json", ".", &s, &err),
      ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "s.json: $.seed: -1 is out of range"));
  assert_non_null(strstr(err.msg, "\n  and: $.task_definition: task "
                                  "definition: ClientException: "
                                  "containerDefinitions: required"));
  assert_null(strstr(err.msg, "\"ap\""));

  /* Forty bad images: what fits is listed, the rest counted. */
  ecsb_buf b = {0};
  ecsb_buf_printf(&b,
                  "{\"name\":\"x\",\"task_definition\":" TD ",\"images\":[");
  for (int i = 0; i < 40; i++)
    ecsb_buf_printf(&b, "%s{\"match\":\"*\",\"play\":\"nginx%d\"}",
                    i ? "," : "", i);
  ecsb_buf_puts(&b, "]}");
  assert_int_equal(scn_scenario_parse(b.s, b.len, "s.json", ".", &s, &err),
                   ECSB_EINVAL);
  ecsb_buf_free(&b);
  assert_non_null(strstr(err.msg, "$.images[0].play: unknown player "
                                  "\"nginx0\""));
  assert_non_null(strstr(err.msg, "\n  and: $.images[1].play"));
  assert_null(strstr(err.msg, "$.images[39]"));
  const char *more = strstr(err.msg, "\n  and ");
  while (more && strncmp(more, "\n  and: ", 8) == 0)
    more = strstr(more + 1, "\n  and ");
  assert_non_null(more);
  unsigned long shown = 0, hidden = 0;
  for (const char *p = err.msg; (p = strstr(p, "$.images[")); p++)
    shown++;
  assert_int_equal(sscanf(more, "\n  and %lu more", &hidden), 1);
  assert_int_equal(shown + hidden, 40);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_full_scenario_parses),
      cmocka_unit_test(test_defaults_and_players),
      cmocka_unit_test(test_stop_order_defaults_to_the_agents),
      cmocka_unit_test(test_agent_settings_and_pull_rules),
      cmocka_unit_test(test_task_definition_shapes_and_files),
      cmocka_unit_test(test_bad_scenarios_name_path),
      cmocka_unit_test(test_every_problem_at_once),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
