/* test_etd_agree.c - every consumer of ECS's task-definition rules
 * accepts and refuses the same task definitions with the same message:
 * the library (etd_parse), fake-ecs's RegisterTaskDefinition over HTTP
 * (what the AWS CLI sees), the agent simulator's spec builder
 * (fecs_task_spec_from_json), `ecsboot lint` (lnt_lint) and the scenario
 * loader `ecsboot run` reads with (scn_scenario_parse). The bad table holds
 * every invalid task definition the other tests use (the file and case
 * each comes from is named), in the shapes they use; the good table the
 * three shapes of the shipped examples. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/fileio.h"
#include "etd/taskdef.h"
#include "fecs/engine.h"
#include "fecs_testutil.h"
#include "lnt/lint.h"
#include "scn/scenario.h"

/* Two containers in RegisterTaskDefinition's shape, with room for a
 * change to the second. */
#define TD(extra)                                                              \
  "{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"a\","               \
  "\"image\":\"i\",\"essential\":false},{\"name\":\"b\",\"image\":\"i\"" extra \
  "}]}"

typedef struct bad_case {
  const char *from; /* the test that uses it */
  const char *json;
  const char *want; /* a part of ECS's message */
} bad_case;

static const bad_case BAD[] = {
    /* test_fecs_taskdefs.c: register_rejects_bad_definitions */
    {"fecs_taskdefs",
     "{\"containerDefinitions\":[{\"name\":\"a\",\"image\":"
     "\"i\"}]}",
     "family: required"},
    {"fecs_taskdefs",
     "{\"family\":\"x y\",\"containerDefinitions\":[{\"name\":"
     "\"a\",\"image\":\"i\"}]}",
     "family: required"},
    {"fecs_taskdefs", "{\"family\":\"f\"}",
     "containerDefinitions: required, 1-100 containers (got 0)"},
    {"fecs_taskdefs",
     "{\"family\":\"f\",\"containerDefinitions\":[{\"name\":"
     "\"a\"}]}",
     "containerDefinitions[0].image (container 'a'): should not be null"},
    {"fecs_taskdefs", TD(",\"essential\":\"yes\""),
     "containerDefinitions[1].essential: expected true or false"},
    {"fecs_taskdefs",
     "{\"family\":\"f\",\"containerDefinitions\":[{\"name\":"
     "\"a\",\"image\":\"i\"},{\"name\":\"a\",\"image\":\"j\"}]}",
     "containerDefinitions[1].name: 'a' is used by another container"},
    {"fecs_taskdefs",
     TD(",\"dependsOn\":[{\"containerName\":\"c\","
        "\"condition\":\"START\"}]"),
     "containerDefinitions[1].dependsOn[0].containerName: no container named "
     "'c'"},
    {"fecs_taskdefs",
     TD(",\"dependsOn\":[{\"containerName\":\"b\","
        "\"condition\":\"START\"}]"),
     "container 'b' cannot depend on itself"},
    /* links and volumesFrom name containers of the task (issue #18) */
    {"etd (volumesFrom)", TD(",\"volumesFrom\":[{\"sourceContainer\":\"c\"}]"),
     "containerDefinitions[1].volumesFrom[0].sourceContainer: Invalid "
     "'volumesFrom' setting. Unknown container: 'c'."},
    {"etd (volumesFrom)", TD(",\"volumesFrom\":[\"a\"]"),
     "containerDefinitions[1].volumesFrom[0]: expected {\"sourceContainer\""},
    {"etd (links)", TD(",\"links\":[\"c:alias\"]"),
     "containerDefinitions[1].links[0]: Invalid 'links' setting. Unknown "
     "container: 'c'."},
    {"etd (links)", TD(",\"links\":[\"a:b:c\"]"),
     "'a:b:c' is not a container name or name:alias"},
    {"etd (links)",
     "{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"a\",\"image\":"
     "\"i\",\"links\":[\"b\"]},{\"name\":\"b\",\"image\":\"i\",\"links\":"
     "[\"a:x\"]}]}",
     "containerDefinitions[0].links (container 'a'): Container links should "
     "not have a cycle (a -> b -> a)"},
    {"etd (links)",
     "{\"family\":\"f\",\"networkMode\":\"awsvpc\",\"containerDefinitions\":"
     "[{\"name\":\"a\",\"image\":\"i\"},{\"name\":\"b\",\"image\":\"i\","
     "\"links\":[\"a\"]}]}",
     "containerDefinitions[1].links: Links are not supported when "
     "networkMode=awsvpc."},
    {"fecs_taskdefs",
     "{\"family\":\"f\",\"containerDefinitions\":[{\"name\":"
     "\"a\",\"image\":\"i\"},{\"name\":\"b\",\"image\":\"i\","
     "\"dependsOn\":[{\"containerName\":\"a\",\"condition\":"
     "\"SUCCESS\"}]}]}",
     "cannot be an essential container ('a')"},
    {"fecs_taskdefs",
     TD(",\"dependsOn\":[{\"containerName\":\"a\","
        "\"condition\":\"DONE\"}]"),
     "dependsOn[0].condition: 'DONE' is not START"},
    {"fecs_taskdefs",
     TD(",\"mountPoints\":[{\"sourceVolume\":\"v\","
        "\"containerPath\":\"/c\"}]"),
     "mountPoints[0].sourceVolume: no volume named 'v' in volumes"},
    {"fecs_taskdefs",
     TD(",\"healthCheck\":{\"command\":[\"CMD\",\"true\"],"
        "\"interval\":1}"),
     "containerDefinitions[1].healthCheck.interval: 1 is outside 5-300"},
    {"fecs_taskdefs", TD(",\"healthCheck\":{\"command\":[]}"),
     "healthCheck.command: required, a non-empty list"},
    {"fecs_taskdefs",
     "{\"family\":\"f\",\"requiresCompatibilities\":"
     "[\"FARGATE\"],\"cpu\":\"256\",\"memory\":\"512\","
     "\"containerDefinitions\":[{\"name\":\"a\",\"image\":"
     "\"i\"}]}",
     "Fargate only supports network mode 'awsvpc'."},
    {"fecs_taskdefs",
     "{\"family\":\"f\",\"networkMode\":\"awsvpc\","
     "\"containerDefinitions\":[{\"name\":\"a\",\"image\":"
     "\"i\",\"portMappings\":[{\"containerPort\":80,"
     "\"hostPort\":81}]}]}",
     "hostPort must be left blank or equal containerPort (81 != 80)"},
    {"fecs_taskdefs",
     "{\"family\":\"f\",\"cpu\":256,\"containerDefinitions\":"
     "[{\"name\":\"a\",\"image\":\"i\"}]}",
     "cpu: expected a string"},
    /* test_fecs_engine_spec.c: from_json_errors_name_the_path */
    {"fecs_engine_spec",
     TD(",\"healthCheck\":{\"command\":[\"CMD\",\"x\"],"
        "\"interval\":2}"),
     "healthCheck.interval: 2 is outside 5-300"},
    {"fecs_engine_spec",
     "{\"family\":\"f\",\"containerDefinitions\":[{\"image\":"
     "\"x\"}]}",
     "containerDefinitions[0].name: required"},
    {"fecs_engine_spec", TD(",\"healthCheck\":{\"command\":[\"CMD\",1]}"),
     "healthCheck.command[1]: expected a string"},
    {"fecs_engine_spec",
     TD(",\"healthCheck\":{\"command\":[\"CMD\",\"x\"],"
        "\"retries\":0}"),
     "healthCheck.retries: 0 is outside 1-10"},
    {"fecs_engine_spec", "{\"family\":\"f\",\"containerDefinitions\":[]}",
     "containerDefinitions: required, 1-100 containers (got 0)"},
    {"fecs_engine_spec", "{\"family\":\"f\",\"containerDefinitions\":{}}",
     "containerDefinitions: expected a list"},
    /* test_fecs_engine_spec.c: validation table, as JSON */
    {"fecs_engine_spec", TD(",\"healthCheck\":{\"command\":[\"NONE\",\"x\"]}"),
     "healthCheck.command[0]: must be \"CMD\" or \"CMD-SHELL\", not \"NONE\""},
    {"fecs_engine_spec", TD(",\"healthCheck\":{\"command\":[\"CMD\"]}"),
     "and a command (1 elements given)"},
    {"fecs_engine_spec",
     TD(",\"healthCheck\":{\"command\":[\"CMD\",\"x\"],"
        "\"startPeriod\":301}"),
     "healthCheck.startPeriod: 301 is outside 0-300"},
    {"fecs_engine_spec",
     TD(",\"healthCheck\":{\"command\":[\"CMD\",\"x\"],"
        "\"timeout\":61}"),
     "healthCheck.timeout: 61 is outside 2-60"},
    {"fecs_engine_spec", TD(",\"startTimeout\":-1"),
     "containerDefinitions[1].startTimeout: -1 is outside 0-86400"},
    {"fecs_engine_spec", TD(",\"stopTimeout\":86401"),
     "containerDefinitions[1].stopTimeout: 86401 is outside 0-86400"},
    /* ContainerDefinition.stopTimeout: at most 120 s on Fargate */
    {"etd (Fargate)",
     "{\"family\":\"f\",\"networkMode\":\"awsvpc\",\"requiresCompatibilities\":"
     "[\"FARGATE\"],\"cpu\":\"256\",\"memory\":\"512\","
     "\"containerDefinitions\":"
     "[{\"name\":\"a\",\"image\":\"i\",\"stopTimeout\":121}]}",
     "containerDefinitions[0].stopTimeout: 121 is outside 0-120 on Fargate"},
    {"fecs_engine_spec", TD(",\"essential\":false"),
     "a task needs at least one essential container"},
    /* tests/errors/cases.json: td-cycle-run, td-unknown-dependency-run,
     * td-wrong-type */
    {"errors td-cycle-run",
     "{\"family\":\"web\",\"containerDefinitions\":[{\"name\":\"a\",\"image\":"
     "\"x\",\"essential\":true,\"dependsOn\":[{\"containerName\":\"b\","
     "\"condition\":\"START\"}]},{\"name\":\"b\",\"image\":\"x\",\"essential\":"
     "true,\"dependsOn\":[{\"containerName\":\"a\",\"condition\":\"START\"}]}]"
     "}",
     "containerDefinitions[0].dependsOn (container 'a'): cycle a -> b -> a"},
    {"errors td-unknown-dependency-run",
     "{\"family\":\"web\",\"containerDefinitions\":[{\"name\":\"a\",\"image\":"
     "\"x\",\"essential\":true,\"dependsOn\":[{\"containerName\":\"ghost\","
     "\"condition\":\"SUCCESS\"}]}]}",
     "no container named 'ghost' in this task definition"},
    {"errors td-wrong-type",
     "{\"family\":\"web\",\"containerDefinitions\":\"app\"}",
     "containerDefinitions: expected a list"},
    /* test_scn_scenario.c: bad_scenarios_name_path (a bare array) */
    {"scn_scenario",
     "[{\"name\":\"a\",\"image\":\"i\",\"healthCheck\":"
     "{\"command\":[\"nc\",\"-z\",\"127.0.0.1\",\"1\"]}}]",
     "not \"nc\""},
    /* test_lint.c: shapes_and_paths, and the ECS rules of
     * every_rule_hits_and_misses in the describe shape */
    {"lint", "[1, 2]", "containerDefinitions[0]: expected an object"},
    {"lint", "[{\"image\": \"x\"}]", "containerDefinitions[0].name: required"},
    {"lint",
     "{\"taskDefinition\":" TD(",\"dependsOn\":[{\"containerName\":"
                               "\"ghost\",\"condition\":\"START\"}]") "}",
     "no container named 'ghost'"},
    {"lint",
     "{\"taskDefinition\":" TD(",\"dependsOn\":[{\"containerName\":"
                               "\"a\",\"condition\":\"READY\"}]") "}",
     "'READY' is not START, COMPLETE, SUCCESS or HEALTHY"},
    {"lint",
     "{\"taskDefinition\":" TD(",\"healthCheck\":{\"command\":[\"CMD\","
                               "\"x\"],\"retries\":11}") "}",
     "healthCheck.retries: 11 is outside 1-10"},
    {"lint",
     "{\"taskDefinition\":" TD(",\"healthCheck\":{\"command\":[\"nc\","
                               "\"-z\",\"127.0.0.1\",\"20000\"]}") "}",
     "not \"nc\" (the ECS agent refuses any other)"},
    {"lint", "{\"taskDefinition\":" TD(",\"stopTimeout\":-1") "}",
     "stopTimeout: -1 is outside 0-86400"},
    /* test_fecs_api.c: direct_creation (no family) */
    {"fecs_api",
     "{\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"i\"}],"
     "\"networkMode\":\"awsvpc\"}",
     "family: required"},
    /* restartPolicy (ContainerRestartPolicy; test_fecs_engine_agent.c) */
    {"etd (restartPolicy)", TD(",\"restartPolicy\":{\"ignoredExitCodes\":[1]}"),
     "containerDefinitions[1].restartPolicy.enabled: required"},
    {"etd (restartPolicy)",
     TD(",\"restartPolicy\":{\"enabled\":true,\"restartAttemptPeriod\":59}"),
     "containerDefinitions[1].restartPolicy.restartAttemptPeriod: 59 is "
     "outside 60-1800"},
    {"etd (restartPolicy)",
     TD(",\"restartPolicy\":{\"enabled\":false,\"restartAttemptPeriod\":"
        "1801}"),
     "restartPolicy.restartAttemptPeriod: 1801 is outside 60-1800"},
    {"etd (restartPolicy)",
     TD(",\"restartPolicy\":{\"enabled\":true,\"ignoredExitCodes\":["
        "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,"
        "27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,"
        "50,51]}"),
     "containerDefinitions[1].restartPolicy.ignoredExitCodes: 51 exit codes "
     "(at most 50)"},
    {"etd (restartPolicy)",
     TD(",\"restartPolicy\":{\"enabled\":true,\"ignoredExitCodes\":[\"1\"]}"),
     "containerDefinitions[1].restartPolicy.ignoredExitCodes[0]: expected an "
     "integer"},
};

/* Task definitions RegisterTaskDefinition accepts and the ECS agent then
 * stops before any container starts (graph.go ValidDependencies): every
 * consumer accepts them but lint, which reports the agent's refusal as an
 * error; the agent simulator replays the STOPPED task. */
static const bad_case AGENT_STOPS[] = {
    {"test_fecs_taskdefs (HEALTHY without healthCheck)",
     TD(",\"dependsOn\":[{\"containerName\":\"a\","
        "\"condition\":\"HEALTHY\"}]"),
     "containerDefinitions[1].dependsOn[0]: condition HEALTHY requires "
     "container 'a' to have a healthCheck"},
    {"etd (volumesFrom cycle)",
     "{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"a\",\"image\":"
     "\"i\",\"volumesFrom\":[{\"sourceContainer\":\"b\"}]},{\"name\":\"b\","
     "\"image\":\"i\",\"dependsOn\":[{\"containerName\":\"a\",\"condition\":"
     "\"START\"}]}]}",
     "(container 'a'): the ECS agent cannot order the cycle a -(volumesFrom)-> "
     "b -(dependsOn)-> a"},
    {"etd (volumesFrom itself)",
     "{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"a\",\"image\":"
     "\"i\",\"volumesFrom\":[{\"sourceContainer\":\"a\",\"readOnly\":true}]}]}",
     "containerDefinitions[0].volumesFrom[0] (container 'a'): the ECS agent "
     "cannot order the cycle a -(volumesFrom)-> a"},
    {"etd (links and dependsOn cycle)",
     "{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"a\",\"image\":"
     "\"i\",\"links\":[\"b:db\"]},{\"name\":\"b\",\"image\":\"i\","
     "\"dependsOn\":[{\"containerName\":\"a\",\"condition\":\"START\"}]}]}",
     "the ECS agent cannot order the cycle a -(links)-> b -(dependsOn)-> a"},
};

#define N_CONSUMERS 5

typedef struct world {
  ft_clock clk;
  fecs *f;
} world;

static int setup(void **state) {
  world *w = calloc(1, sizeof *w);
  fecs_config c;
  fecs_config_default(&c);
  c.throttle = false;
  w->f = ft_start(&c, &w->clk, NULL);
  *state = w;
  return 0;
}

static int teardown(void **state) {
  world *w = *state;
  fecs_free(w->f);
  free(w);
  return 0;
}

static bool is_ecs_rule(const lnt_finding *f) {
  if (!f)
    return false;
  static const char *const codes[] = {"ECSB-L001", "ECSB-L002", "ECSB-L003",
                                      "ECSB-L004", "ECSB-L012", "ECSB-L016",
                                      "ECSB-L018", "ECSB-L019"};
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
    if (!strcmp(f->rule->code, codes[i]))
      return true;
  return false;
}

/* What each consumer says about `text`: NULL when it accepts it, else its
 * message reduced to ECS's (the context each adds, checked, is cut). */
typedef struct verdicts {
  char msg[N_CONSUMERS][ECSB_ERR_MSG_MAX];
  bool refused[N_CONSUMERS];
} verdicts;

static const char *const CONSUMER[N_CONSUMERS] = {
    "fake-ecs RegisterTaskDefinition (HTTP)", "agent simulator spec builder",
    "lint", "scenario loader (ecsboot run)", "library"};

/* The message after `prefix`, which must be there. */
static void cut(char *out, const char *msg, const char *prefix,
                const char *who) {
  if (strncmp(msg, prefix, strlen(prefix)))
    fail_msg("%s: \"%s\" does not start with \"%s\"", who, msg, prefix);
  snprintf(out, ECSB_ERR_MSG_MAX, "%s", msg + strlen(prefix));
}

static void judge(world *w, const char *text, verdicts *v) {
  memset(v, 0, sizeof *v);
  cJSON *j = cJSON_Parse(text);
  assert_non_null(j);
  bool describe =
      cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(j, "taskDefinition"));
  ecsb_err err = {0};

  /* the library */
  etd_problems ps = {0};
  etd_taskdef *t = NULL;
  v->refused[4] = etd_parse(j, NULL, &t, &ps, &err) != 0;
  const char *exc = ps.n ? ps.v[0].exception : "";
  if (v->refused[4])
    snprintf(v->msg[4], sizeof v->msg[4], "%s", err.msg);
  etd_taskdef_free(t);

  /* fake-ecs over HTTP, given what `ecsboot run` registers: the task
   * definition in RegisterTaskDefinition's shape */
  cJSON *reg = NULL;
  etd_shape shape;
  assert_int_equal(etd_unwrap(j, NULL, &reg, &shape, &err), 0);
  char *body = cJSON_PrintUnformatted(reg);
  cJSON_Delete(reg);
  if (v->refused[4]) {
    const char *m =
        ft_fails(w->f, &w->clk, "RegisterTaskDefinition", exc, 400, "%s", body);
    v->refused[0] = true;
    snprintf(v->msg[0], sizeof v->msg[0], "%s", m);
  } else {
    cJSON_Delete(ft_ok(w->f, &w->clk, "RegisterTaskDefinition", "%s", body));
  }
  free(body);

  /* the agent simulator's spec builder */
  fecs_task_spec *spec = NULL;
  if (fecs_task_spec_from_json(j, "$", &spec, &err)) {
    v->refused[1] = true;
    cut(v->msg[1], err.msg,
        describe ? "$.taskDefinition: " : "$: ", CONSUMER[1]);
  }
  fecs_task_spec_free(spec);

  /* lint: unreadable (exit 2), or an error finding of an ECS rule */
  lnt_result *r = NULL;
  if (lnt_lint(text, strlen(text), "td.json", NULL, &r, &err)) {
    v->refused[2] = true;
    cut(v->msg[2], err.msg,
        describe ? "td.json: $.taskDefinition: " : "td.json: ", CONSUMER[2]);
  } else {
    for (size_t i = 0; i < r->n && !v->refused[2]; i++)
      if (is_ecs_rule(&r->findings[i])) {
        v->refused[2] = true;
        assert_int_equal(r->findings[i].rule->severity, LNT_ERROR);
        snprintf(v->msg[2], sizeof v->msg[2], "%s", r->findings[i].message);
      }
    lnt_result_free(r);
  }

  /* the scenario loader */
  char sc[8192];
  snprintf(sc, sizeof sc, "{\"name\":\"agree\",\"task_definition\":%s}", text);
  scn_scenario *s = NULL;
  if (scn_scenario_parse(sc, strlen(sc), "s.json", ".", &s, &err)) {
    v->refused[3] = true;
    char prefix[160];
    snprintf(prefix, sizeof prefix,
             "s.json: $.task_definition%s: task definition: %s: ",
             describe ? ".taskDefinition" : "", exc);
    cut(v->msg[3], err.msg, prefix, CONSUMER[3]);
    /* the first problem; the loader lists the others after it, one a line
     * (test_scn_scenario) */
    char *nl = strchr(v->msg[3], '\n');
    if (nl)
      *nl = '\0';
  }
  scn_scenario_free(s);
  etd_problems_clear(&ps);
  cJSON_Delete(j);
}

static void test_every_bad_task_definition_is_refused_alike(void **state) {
  world *w = *state;
  size_t n = sizeof BAD / sizeof BAD[0];
  for (size_t i = 0; i < n; i++) {
    verdicts v;
    judge(w, BAD[i].json, &v);
    print_message("case %zu (%s): %s\n", i, BAD[i].from, v.msg[4]);
    if (!v.refused[4] || !strstr(v.msg[4], BAD[i].want))
      fail_msg("case %zu (%s): library says \"%s\", want \"%s\"", i,
               BAD[i].from, v.msg[4], BAD[i].want);
    for (int c = 0; c < N_CONSUMERS - 1; c++) {
      if (!v.refused[c])
        fail_msg("case %zu (%s): %s accepts it", i, BAD[i].from, CONSUMER[c]);
      if (strcmp(v.msg[c], v.msg[4]))
        fail_msg("case %zu (%s): %s says \"%s\", the library \"%s\"", i,
                 BAD[i].from, CONSUMER[c], v.msg[c], v.msg[4]);
    }
  }
  print_message("%zu bad task definitions, %d consumers agree\n", n,
                N_CONSUMERS);
}

static void
test_what_the_agent_stops_registers_and_replays_stopped(void **state) {
  world *w = *state;
  size_t n = sizeof AGENT_STOPS / sizeof AGENT_STOPS[0];
  for (size_t i = 0; i < n; i++) {
    const bad_case *bc = &AGENT_STOPS[i];
    verdicts v;
    judge(w, bc->json, &v);
    for (int c = 0; c < N_CONSUMERS; c++)
      if (c != 2 && v.refused[c])
        fail_msg("case %zu (%s): %s refuses it: %s", i, bc->from, CONSUMER[c],
                 v.msg[c]);
    if (!v.refused[2] || !strstr(v.msg[2], bc->want))
      fail_msg("case %zu (%s): lint says \"%s\", want \"%s\"", i, bc->from,
               v.msg[2], bc->want);
    /* the library's agent check says the same as lint */
    cJSON *j = cJSON_Parse(bc->json);
    etd_taskdef *t = NULL;
    ecsb_err err = {0};
    assert_int_equal(etd_parse(j, NULL, &t, NULL, &err), 0);
    assert_int_equal(
        etd_agent_check(t->containers, t->n_containers, NULL, &err),
        ECSB_EINVAL);
    assert_string_equal(err.msg, v.msg[2]);
    etd_taskdef_free(t);
    /* the agent simulator: STOPPED before any container starts */
    fecs_task_spec *spec = NULL;
    fecs_engine *e = NULL;
    fecs_engine_opts o = {.task_arn = "arn:aws:ecs:r:1:task/c/t"};
    assert_int_equal(fecs_task_spec_from_json(j, "$", &spec, &err), 0);
    assert_int_equal(fecs_engine_new(spec, &o, &e, &err), 0);
    assert_int_equal(fecs_engine_start(e, 0, &err), 0);
    fecs_action a;
    assert_false(fecs_engine_next_action(e, &a));
    fecs_task_info ti;
    fecs_engine_task_info(e, &ti);
    assert_int_equal(ti.status, FECS_TASK_STOPPED);
    assert_string_equal(ti.stop_code, "TaskFailedToStart");
    assert_string_equal(ti.stopped_reason,
                        "Task dependencies cannot be resolved, taskArn: "
                        "arn:aws:ecs:r:1:task/c/t");
    fecs_event ev;
    size_t not_started = 0;
    while (fecs_engine_next_event(e, &ev))
      if (ev.kind == FECS_EV_CONTAINER_NOT_STARTED) {
        not_started++;
        assert_non_null(strstr(ev.reason, v.msg[2]));
      }
    assert_int_equal(not_started, fecs_engine_container_count(e));
    fecs_engine_free(e);
    fecs_task_spec_free(spec);
    cJSON_Delete(j);
  }
  print_message("%zu task definitions the agent stops: all consumers agree\n",
                n);
}

static char *read_example(const char *name) {
  char path[512], *text = NULL;
  snprintf(path, sizeof path, "%s/examples/%s", ECSB_SOURCE_DIR, name);
  assert_int_equal(ecsb_read_file(path, 1 << 20, &text, NULL, NULL), 0);
  return text;
}

static void test_every_good_shape_is_accepted_by_all(void **state) {
  world *w = *state;
  static const char *const files[] = {"mesh-task-taskdef.json",
                                      "ecsboot-init-taskdef.json",
                                      "mesh-task-entrypoint-taskdef.json"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char *text = read_example(files[i]);
    cJSON *j = cJSON_Parse(text);
    assert_non_null(j);
    /* register-task-definition's input, describe's output, Terraform's
     * bare array */
    cJSON *desc = cJSON_CreateObject();
    cJSON_AddItemToObject(desc, "taskDefinition", cJSON_Duplicate(j, 1));
    char *shapes[3] = {
        cJSON_PrintUnformatted(j), cJSON_PrintUnformatted(desc),
        cJSON_PrintUnformatted(cJSON_GetObjectItem(j, "containerDefinitions"))};
    for (int k = 0; k < 3; k++) {
      verdicts v;
      judge(w, shapes[k], &v);
      for (int c = 0; c < N_CONSUMERS; c++)
        if (v.refused[c])
          fail_msg("%s shape %d: %s refuses it: %s", files[i], k, CONSUMER[c],
                   v.msg[c]);
      free(shapes[k]);
    }
    cJSON_Delete(desc);
    cJSON_Delete(j);
    free(text);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_bad_task_definition_is_refused_alike),
      cmocka_unit_test(test_every_good_shape_is_accepted_by_all),
      cmocka_unit_test(test_what_the_agent_stops_registers_and_replays_stopped),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
