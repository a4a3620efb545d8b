/* test_scn_container.c - how a container definition becomes a process:
 * localhost and volume mapping, the ECS environment, each player's argv,
 * and health-check probes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/json.h"
#include "scn/container.h"

static const scn_task_env env = {
    .task_ip = "127.21.0.5",
    .task_dir = "/run/t5",
    .region = "us-east-1",
    .ecs_endpoint = "http://127.21.0.2:4000",
    .metadata_base = "http://127.21.0.3:4001",
    .creds_full_uri = "http://127.21.0.3:4001/v2/credentials/t5",
    .creds_token = "tok5",
    .ecsboot_bin = "/b/ecsboot",
    .standin_bin = "/b/ecsboot-standin",
    .init_bin = "/b/ecsboot-init",
    .path_env = "/usr/bin:/bin",
};

static cJSON *json(const char *s) {
  cJSON *j = NULL;
  assert_int_equal(ecsb_json_parse(s, strlen(s), "t", &j, NULL), 0);
  return j;
}

static const char *def_text =
    "{\"name\":\"mesh-init\",\"image\":\"public.ecr.aws/hashicorp/"
    "consul-ecs:0.2.0\","
    "\"command\":[\"mesh-init\",\"-envoy-bootstrap-file=/consul/"
    "envoy-bootstrap.json\",\"-port=9090\"],"
    "\"mountPoints\":[{\"sourceVolume\":\"consul_data\",\"containerPath\":"
    "\"/consul\"},{\"sourceVolume\":\"deep\",\"containerPath\":"
    "\"/consul/deep\"}],"
    "\"environment\":[{\"name\":\"UPSTREAM\",\"value\":\"http://"
    "localhost:1234/x\"}],"
    "\"portMappings\":[{\"containerPort\":9090}]}";
static const char *vols_text =
    "[{\"name\":\"consul_data\"},{\"name\":\"deep\"}]";

static void test_map_rewrites_hosts_and_volumes(void **state) {
  (void)state;
  cJSON *def = json(def_text);
  static const struct {
    const char *in, *out;
  } cases[] = {
      {"localhost", "127.21.0.5"},
      {"127.0.0.1:20000", "127.21.0.5:20000"},
      {"http://localhost:8500/v1", "http://127.21.0.5:8500/v1"},
      {"-advertise=127.0.0.1", "-advertise=127.21.0.5"},
      {"127.0.0.10", "127.0.0.10"},
      {"mylocalhost", "mylocalhost"},
      {"localhost.example.com", "localhost.example.com"},
      {"/consul/server-ip", "/run/t5/volumes/consul_data/server-ip"},
      {"-out=/consul/server-ip", "-out=/run/t5/volumes/consul_data/server-ip"},
      {"/consul", "/run/t5/volumes/consul_data"},
      {"/consul/deep/x", "/run/t5/volumes/deep/x"},
      {"/consulx/y", "/consulx/y"},
      {"/etc/consul/x", "/etc/consul/x"},
      {"cat /consul/a > /consul/b", "cat /run/t5/volumes/consul_data/a > "
                                    "/run/t5/volumes/consul_data/b"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *m = scn_container_map(&env, def, cases[i].in);
    if (strcmp(m, cases[i].out) != 0)
      fail_msg("%s -> %s, want %s", cases[i].in, m, cases[i].out);
    free(m);
  }
  cJSON_Delete(def);
}

static bool has(char **v, const char *want) {
  for (; v && *v; v++)
    if (strcmp(*v, want) == 0)
      return true;
  return false;
}

static void test_init_player_env_and_argv(void **state) {
  (void)state;
  cJSON *def = json(def_text), *vols = json(vols_text);
  scn_image_rule rule = {.play = SCN_PLAY_INIT};
  scn_cmd c;
  ecsb_err err = {0};
  assert_int_equal(
      scn_container_command(&env, def, vols, "t5-mesh-init", &rule, &c, &err),
      0);
  assert_string_equal(c.argv[0], "/b/ecsboot-init");
  assert_string_equal(c.argv[1], "mesh-init");
  assert_string_equal(
      c.argv[2],
      "-envoy-bootstrap-file=/run/t5/volumes/consul_data/envoy-bootstrap.json");
  assert_string_equal(c.argv[3], "-port=9090");
  assert_null(c.argv[4]);
  const char *want_env[] = {
      "PATH=/usr/bin:/bin",
      "ECSBOOT_TASK_IP=127.21.0.5",
      "ECSBOOT_CONTAINER=mesh-init",
      "AWS_REGION=us-east-1",
      "AWS_ENDPOINT_URL_ECS=http://127.21.0.2:4000",
      "ECS_CONTAINER_METADATA_URI_V4=http://127.21.0.3:4001/v4/t5-mesh-init",
      "AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.21.0.3:4001/v2/"
      "credentials/t5",
      "AWS_CONTAINER_AUTHORIZATION_TOKEN=tok5",
      "CONSUL_HTTP_ADDR=127.21.0.5:8500",
      "UPSTREAM=http://127.21.0.5:1234/x",
  };
  for (size_t i = 0; i < sizeof want_env / sizeof want_env[0]; i++)
    if (!has(c.envp, want_env[i]))
      fail_msg("missing %s", want_env[i]);
  scn_cmd_clear(&c);
  cJSON_Delete(def);
  cJSON_Delete(vols);
}

static void test_players_build_their_argv(void **state) {
  (void)state;
  cJSON *vols = json(vols_text);
  cJSON *envoy =
      json("{\"name\":\"sidecar-proxy\",\"image\":\"envoyproxy/envoy:v1.16\","
           "\"command\":[\"envoy\",\"--config-path\",\"/consul/"
           "envoy-bootstrap.json\"],\"mountPoints\":[{\"sourceVolume\":"
           "\"consul_data\",\"containerPath\":\"/consul\"}]}");
  cJSON *app =
      json("{\"name\":\"web\",\"image\":\"acme/web\",\"command\":"
           "[\"ignored\"],\"portMappings\":[{\"containerPort\":9090}]}");
  scn_cmd c;
  ecsb_err err = {0};
  scn_image_rule r_envoy = {.play = SCN_PLAY_ENVOY};
  assert_int_equal(
      scn_container_command(&env, envoy, vols, "id", &r_envoy, &c, &err), 0);
  const char *want_envoy[] = {
      "/b/ecsboot-standin", "envoy", "--config-path",
      "/run/t5/volumes/consul_data/envoy-bootstrap.json", NULL};
  for (int i = 0; want_envoy[i]; i++)
    assert_string_equal(c.argv[i], want_envoy[i]);
  assert_null(c.argv[4]);
  scn_cmd_clear(&c);

  char *extra[] = {"--fail-health", NULL};
  scn_image_rule r_app = {.play = SCN_PLAY_APP, .args = extra};
  assert_int_equal(
      scn_container_command(&env, app, vols, "id", &r_app, &c, &err), 0);
  const char *want_app[] = {
      "/b/ecsboot-standin", "app",           "--name", "web", "--listen",
      "127.21.0.5:9090",    "--fail-health", NULL};
  for (int i = 0; want_app[i]; i++)
    assert_string_equal(c.argv[i], want_app[i]);
  scn_cmd_clear(&c);
  /* without ecsboot-standin, the harness program runs the same stand-ins */
  scn_task_env no_standin = env;
  no_standin.standin_bin = NULL;
  assert_int_equal(
      scn_container_command(&no_standin, app, vols, "id", &r_app, &c, &err), 0);
  assert_string_equal(c.argv[0], "/b/ecsboot");
  assert_string_equal(c.argv[1], "app");
  scn_cmd_clear(&c);

  scn_image_rule r_exec = {.play = SCN_PLAY_EXEC,
                           .exec_path = "/usr/local/bin/envoy"};
  assert_int_equal(
      scn_container_command(&env, envoy, vols, "id", &r_exec, &c, &err), 0);
  assert_string_equal(c.argv[0], "/usr/local/bin/envoy");
  assert_string_equal(c.argv[1], "--config-path");
  scn_cmd_clear(&c);

  scn_image_rule r_client = {.play = SCN_PLAY_CONSUL_CLIENT};
  assert_int_equal(
      scn_container_command(&env, envoy, vols, "id", &r_client, &c, &err), 0);
  assert_string_equal(c.argv[1], "consul-client");
  assert_string_equal(c.argv[3], "/run/t5/volumes/consul_data/server-ip");
  assert_string_equal(c.argv[5], "127.21.0.5");
  /* a tag that is not a release reports fake-consul's default */
  for (size_t i = 0; c.argv[i]; i++)
    assert_null(strstr(c.argv[i], "--consul-version"));
  scn_cmd_clear(&c);
  cJSON_Delete(envoy);
  cJSON_Delete(app);
  cJSON_Delete(vols);
}

/* The app stand-in listens only on a port of its own portMappings: two
 * containers without any share the task's address, so a made-up default
 * port would make them clash. */
static void test_app_port_comes_only_from_its_port_mappings(void **state) {
  (void)state;
  static const struct {
    const char *mappings, *listen; /* listen NULL: no --listen at all */
  } cases[] = {
      {"", NULL},
      {",\"portMappings\":[]", NULL},
      {",\"portMappings\":[{\"containerPort\":0}]", NULL},
      {",\"portMappings\":[{\"containerPort\":9090}]", "127.21.0.5:9090"},
      {",\"portMappings\":[{\"containerPort\":7000},{\"containerPort\":"
       "7001}]",
       "127.21.0.5:7000"},
      {",\"portMappings\":[{\"hostPort\":80},{\"containerPort\":5000}]",
       "127.21.0.5:5000"},
  };
  scn_image_rule rule = {.play = SCN_PLAY_APP};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char text[256];
    snprintf(text, sizeof text, "{\"name\":\"worker\",\"image\":\"x\"%s}",
             cases[i].mappings);
    cJSON *def = json(text);
    scn_cmd c;
    ecsb_err err = {0};
    assert_int_equal(
        scn_container_command(&env, def, NULL, "id", &rule, &c, &err), 0);
    assert_string_equal(c.argv[1], "app");
    assert_string_equal(c.argv[3], "worker");
    if (!cases[i].listen) {
      if (has(c.argv, "--listen"))
        fail_msg("case %zu: --listen without a containerPort", i);
      assert_null(c.argv[4]);
    } else {
      assert_string_equal(c.argv[4], "--listen");
      assert_string_equal(c.argv[5], cases[i].listen);
      assert_null(c.argv[6]);
    }
    scn_cmd_clear(&c);
    cJSON_Delete(def);
  }
}

/* envoy-entrypoint runs for real; the Envoy after "--" is the stand-in;
 * ecsboot-init's durations are scaled, and flags added go before "--". */
static void test_envoy_entrypoint_and_scaled_init_flags(void **state) {
  (void)state;
  cJSON *vols = json(vols_text);
  cJSON *proxy = json(
      "{\"name\":\"sidecar-proxy\",\"image\":\"envoyproxy/envoy-alpine:v1\","
      "\"entryPoint\":[\"/consul/ecsboot-init\",\"envoy-entrypoint\"],"
      "\"command\":[\"--grace-period=20s\",\"--\",\"envoy\","
      "\"--config-path\",\"/consul/envoy-bootstrap.json\"],"
      "\"mountPoints\":[{\"sourceVolume\":\"consul_data\","
      "\"containerPath\":\"/consul\"}]}");
  scn_task_env e = env;
  e.time_scale = 0.01;
  scn_cmd c;
  ecsb_err err = {0};
  scn_image_rule r_envoy = {.play = SCN_PLAY_ENVOY};
  assert_int_equal(
      scn_container_command(&e, proxy, vols, "id", &r_envoy, &c, &err), 0);
  const char *want[] = {"/b/ecsboot-init",
                        "envoy-entrypoint",
                        "--grace-period=200ms",
                        "--poll-interval",
                        "10ms",
                        "--stop-timeout",
                        "100ms",
                        "--retry-interval",
                        "1ms",
                        "--max-retry-interval",
                        "5ms",
                        "--request-timeout",
                        "20ms",
                        "--",
                        "/b/ecsboot-standin",
                        "envoy",
                        "--config-path",
                        "/run/t5/volumes/consul_data/envoy-bootstrap.json",
                        NULL};
  for (int i = 0; want[i]; i++)
    assert_string_equal(c.argv[i], want[i]);
  assert_null(c.argv[18]);
  scn_cmd_clear(&c);

  cJSON *disc =
      json("{\"name\":\"discover-servers\",\"image\":\"x/consul-ecs\","
           "\"command\":[\"discover-servers\",\"-service-name=s\","
           "\"-out=/consul/ip\",\"--timeout\",\"1m\"],"
           "\"mountPoints\":[{\"sourceVolume\":\"consul_data\","
           "\"containerPath\":\"/consul\"}]}");
  scn_image_rule r_init = {.play = SCN_PLAY_INIT};
  assert_int_equal(
      scn_container_command(&e, disc, vols, "id", &r_init, &c, &err), 0);
  const char *want_d[] = {"/b/ecsboot-init",
                          "discover-servers",
                          "-service-name=s",
                          "-out=/run/t5/volumes/consul_data/ip",
                          "--timeout",
                          "600ms",
                          "--poll-interval",
                          "10ms",
                          "--max-poll-interval",
                          "300ms",
                          "--request-timeout",
                          "100ms",
                          NULL};
  for (int i = 0; want_d[i]; i++)
    assert_string_equal(c.argv[i], want_d[i]);
  assert_null(c.argv[12]);
  scn_cmd_clear(&c);
  /* the consul-client stand-in: control file, time scale, the
   * release of its image's tag, scaled
   * -retry-interval (Consul's 30 s) */
  cJSON *agent = json("{\"name\":\"consul-client\",\"image\":\"hashicorp/"
                      "consul:1.9\",\"mountPoints\":[{\"sourceVolume\":"
                      "\"consul_data\",\"containerPath\":\"/consul\"}]}");
  scn_image_rule r_agent = {.play = SCN_PLAY_CONSUL_CLIENT};
  e.task_clock = true; /* and the task's clock */
  assert_int_equal(
      scn_container_command(&e, agent, vols, "id", &r_agent, &c, &err), 0);
  const char *want_a[] = {"/b/ecsboot",
                          "consul-client",
                          "--server-ip-file",
                          "/run/t5/volumes/consul_data/server-ip",
                          "--bind",
                          "127.21.0.5",
                          "--control-file=/run/t5/consul-client.control",
                          "--time-scale=0.01",
                          "--consul-version=1.9",
                          "--retry-interval",
                          "300ms",
                          NULL};
  int n_a = 0;
  for (; want_a[n_a]; n_a++)
    assert_string_equal(c.argv[n_a], want_a[n_a]);
  assert_null(c.argv[n_a]);
  scn_cmd_clear(&c);
  /* the app stand-in, like every container, finds the task's clock in
   * its environment */
  cJSON *app = json("{\"name\":\"worker\",\"image\":\"x/w\"}");
  scn_image_rule r_app = {.play = SCN_PLAY_APP};
  assert_int_equal(scn_container_command(&e, app, vols, "id", &r_app, &c, &err),
                   0);
  const char *want_w[] = {"/b/ecsboot-standin", "app", "--name", "worker",
                          NULL};
  for (int i = 0; want_w[i]; i++)
    assert_string_equal(c.argv[i], want_w[i]);
  assert_null(c.argv[4]);
  bool has_clock = false;
  for (int i = 0; c.envp[i]; i++)
    has_clock = has_clock || strcmp(c.envp[i], "ECSBOOT_TASK_CLOCK=/run/t5/"
                                               "task.clock") == 0;
  assert_true(has_clock);
  scn_cmd_clear(&c);
  cJSON_Delete(app);
  cJSON_Delete(agent);
  cJSON_Delete(disc);
  cJSON_Delete(proxy);
  cJSON_Delete(vols);
}

/* Every wait of ecsboot-init is scaled, down to the flag's own minimum and
 * no further (a fixed 10 ms floor made mesh-init's first 2 ms retry 1 s of
 * scenario time); the container learns its task, where to report retries,
 * and a jitter seed of its own that a replay repeats. */
static void
test_init_waits_scale_to_their_floor_with_seed_and_events(void **state) {
  (void)state;
  cJSON *vols = json(vols_text);
  cJSON *mesh = json("{\"name\":\"mesh-init\",\"image\":\"x/consul-ecs\","
                     "\"command\":[\"mesh-init\",\"--retry-interval=300ms\"]}");
  cJSON *sync = json("{\"name\":\"health-sync\",\"image\":\"x/consul-ecs\","
                     "\"command\":[\"health-sync\",\"-health-sync-"
                     "containers=app\"]}");
  scn_task_env e = env;
  e.time_scale = 0.001;
  e.task_name = "web-1";
  e.events = "@ecsboot-42-0";
  e.seed = 1;
  scn_image_rule r_init = {.play = SCN_PLAY_INIT};
  scn_cmd c, c2;
  ecsb_err err = {0};
  assert_int_equal(
      scn_container_command(&e, mesh, vols, "id", &r_init, &c, &err), 0);
  const char *want[] = {"/b/ecsboot-init",
                        "mesh-init",
                        "--retry-interval=300\xc2\xb5s",
                        "--timeout",
                        "120ms",
                        "--max-retry-interval",
                        "5ms",
                        "--request-timeout",
                        "10ms",
                        NULL};
  for (int i = 0; want[i]; i++)
    assert_string_equal(c.argv[i], want[i]);
  assert_null(c.argv[9]);
  assert_true(has(c.envp, "ECSBOOT_TASK=web-1"));
  assert_true(has(c.envp, "ECSBOOT_EVENTS=@ecsboot-42-0"));
  const char *seed = NULL;
  for (char **v = c.envp; *v; v++)
    if (strncmp(*v, "ECSBOOT_RETRY_SEED=", 19) == 0)
      seed = *v + 19;
  assert_non_null(seed);
  assert_true(strtoull(seed, NULL, 10) > 0);
  /* the same scenario seed gives the same container seed */
  assert_int_equal(
      scn_container_command(&e, mesh, vols, "id", &r_init, &c2, &err), 0);
  bool same = false;
  for (char **v = c2.envp; *v; v++)
    same = same || (strncmp(*v, "ECSBOOT_RETRY_SEED=", 19) == 0 &&
                    strcmp(*v + 19, seed) == 0);
  assert_true(same);
  scn_cmd_clear(&c2);
  /* another container, or another scenario seed: another sequence */
  assert_int_equal(
      scn_container_command(&e, sync, vols, "id", &r_init, &c2, &err), 0);
  for (char **v = c2.envp; *v; v++)
    if (strncmp(*v, "ECSBOOT_RETRY_SEED=", 19) == 0)
      assert_string_not_equal(*v + 19, seed);
  /* health-sync's --interval stops at its own 10 ms minimum */
  const char *want_s[] = {"/b/ecsboot-init",
                          "health-sync",
                          "-health-sync-containers=app",
                          "--interval",
                          "10ms",
                          "--timeout",
                          "120ms",
                          "--retry-interval",
                          "200\xc2\xb5s",
                          NULL};
  for (int i = 0; want_s[i]; i++)
    assert_string_equal(c2.argv[i], want_s[i]);
  scn_cmd_clear(&c2);
  e.seed = 2;
  assert_int_equal(
      scn_container_command(&e, mesh, vols, "id", &r_init, &c2, &err), 0);
  for (char **v = c2.envp; *v; v++)
    if (strncmp(*v, "ECSBOOT_RETRY_SEED=", 19) == 0)
      assert_string_not_equal(*v + 19, seed);
  scn_cmd_clear(&c2);
  /* without a task name (tests, ecsboot serve) nothing is added */
  e.task_name = NULL;
  e.events = NULL;
  assert_int_equal(
      scn_container_command(&e, mesh, vols, "id", &r_init, &c2, &err), 0);
  for (char **v = c2.envp; *v; v++)
    assert_true(strncmp(*v, "ECSBOOT_RETRY_SEED=", 19) &&
                strncmp(*v, "ECSBOOT_EVENTS=", 15) &&
                strncmp(*v, "ECSBOOT_TASK=", 13));
  scn_cmd_clear(&c2);
  scn_cmd_clear(&c);
  cJSON_Delete(mesh);
  cJSON_Delete(sync);
  cJSON_Delete(vols);
}

/* ecsboot-init from an image root (ecsboot run --init-bin ROOT): the
 * loader's words go first, and the flags are scaled as without them. */
static void test_init_from_an_image_root(void **state) {
  (void)state;
  cJSON *vols = json(vols_text);
  const char *const prefix[] = {"/r/lib64/ld.so", "--inhibit-cache",
                                "--library-path", "/r/lib", NULL};
  scn_task_env e = env;
  e.time_scale = 0.01;
  e.init_bin = "/r/ecsboot-init";
  e.init_prefix = prefix;
  cJSON *disc =
      json("{\"name\":\"discover-servers\",\"image\":\"x/consul-ecs\","
           "\"command\":[\"discover-servers\",\"-service-name=s\","
           "\"-out=/consul/ip\",\"--timeout\",\"1m\"],"
           "\"mountPoints\":[{\"sourceVolume\":\"consul_data\","
           "\"containerPath\":\"/consul\"}]}");
  scn_image_rule r_init = {.play = SCN_PLAY_INIT};
  scn_cmd c;
  ecsb_err err = {0};
  assert_int_equal(
      scn_container_command(&e, disc, vols, "id", &r_init, &c, &err), 0);
  const char *want[] = {"/r/lib64/ld.so",
                        "--inhibit-cache",
                        "--library-path",
                        "/r/lib",
                        "/r/ecsboot-init",
                        "discover-servers",
                        "-service-name=s",
                        "-out=/run/t5/volumes/consul_data/ip",
                        "--timeout",
                        "600ms",
                        "--poll-interval",
                        "10ms",
                        "--max-poll-interval",
                        "300ms",
                        "--request-timeout",
                        "100ms",
                        NULL};
  int n = 0;
  for (; want[n]; n++)
    assert_string_equal(c.argv[n], want[n]);
  assert_null(c.argv[n]);
  scn_cmd_clear(&c);

  cJSON *proxy = json(
      "{\"name\":\"sidecar-proxy\",\"image\":\"envoyproxy/envoy-alpine:v1\","
      "\"entryPoint\":[\"/consul/ecsboot-init\",\"envoy-entrypoint\"],"
      "\"command\":[\"--grace-period=20s\",\"--\",\"envoy\"],"
      "\"mountPoints\":[{\"sourceVolume\":\"consul_data\","
      "\"containerPath\":\"/consul\"}]}");
  scn_image_rule r_envoy = {.play = SCN_PLAY_ENVOY};
  assert_int_equal(
      scn_container_command(&e, proxy, vols, "id", &r_envoy, &c, &err), 0);
  const char *want_e[] = {
      "/r/lib64/ld.so",  "--inhibit-cache",  "--library-path",       "/r/lib",
      "/r/ecsboot-init", "envoy-entrypoint", "--grace-period=200ms", NULL};
  for (int i = 0; want_e[i]; i++)
    assert_string_equal(c.argv[i], want_e[i]);
  scn_cmd_clear(&c);
  cJSON_Delete(proxy);
  cJSON_Delete(disc);
  cJSON_Delete(vols);
}

static void test_bad_definitions_are_named(void **state) {
  (void)state;
  static const struct {
    const char *def, *want;
  } cases[] = {
      {"{\"image\":\"x\"}", "container.name: required field missing"},
      {"{\"name\":\"a\",\"image\":\"x\",\"mountPoints\":[{\"sourceVolume\":"
       "\"nope\",\"containerPath\":\"/d\"}]}",
       "container a: mountPoints[0].sourceVolume: no volume named \"nope\""},
      {"{\"name\":\"a\",\"image\":\"x\",\"mountPoints\":[{\"sourceVolume\":"
       "\"consul_data\",\"containerPath\":\"rel\"}]}",
       "absolute containerPath"},
      {"{\"name\":\"a\",\"image\":\"x\",\"command\":\"sh -c x\"}",
       "must be arrays"},
      {"{\"name\":\"a\",\"image\":\"x\",\"environment\":[{\"value\":\"v\"}]}",
       "container a: environment"},
  };
  cJSON *vols = json(vols_text);
  scn_image_rule rule = {.play = SCN_PLAY_APP};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cJSON *def = json(cases[i].def);
    scn_cmd c;
    ecsb_err err = {0};
    assert_int_not_equal(
        scn_container_command(&env, def, vols, "id", &rule, &c, &err), 0);
    if (!strstr(err.msg, cases[i].want))
      fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.msg, cases[i].want);
    cJSON_Delete(def);
  }
  cJSON_Delete(vols);
}

static void test_health_check_probes(void **state) {
  (void)state;
  cJSON *def = json(def_text);
  scn_probe p;
  ecsb_err err = {0};
  cJSON *nc = json("[\"CMD\",\"nc\",\"-z\",\"127.0.0.1\",\"20000\"]");
  assert_int_equal(scn_probe_from_health_check(&env, def, nc, &p, &err), 0);
  assert_int_equal(p.kind, SCN_PROBE_TCP);
  assert_string_equal(p.host, "127.21.0.5");
  assert_int_equal(p.port, 20000);
  scn_probe_clear(&p);

  cJSON *curl = json("[\"CMD\",\"curl\",\"-f\",\"http://localhost:9090/h\"]");
  assert_int_equal(scn_probe_from_health_check(&env, def, curl, &p, &err), 0);
  assert_int_equal(p.kind, SCN_PROBE_HTTP);
  assert_string_equal(p.url, "http://127.21.0.5:9090/h");
  scn_probe_clear(&p);

  cJSON *shell =
      json("[\"CMD-SHELL\",\"curl -f http://localhost/ || exit 1\"]");
  assert_int_equal(scn_probe_from_health_check(&env, def, shell, &p, &err), 0);
  assert_int_equal(p.kind, SCN_PROBE_PROCESS);
  assert_string_equal(p.argv[0], "/bin/sh");
  assert_string_equal(p.argv[1], "-c");
  assert_string_equal(p.argv[2], "curl -f http://127.21.0.5/ || exit 1");
  scn_probe_clear(&p);

  cJSON *init = json("[\"CMD\",\"/ecsboot-init\",\"health-check\",\"tcp\","
                     "\"127.0.0.1:20000\"]");
  assert_int_equal(scn_probe_from_health_check(&env, def, init, &p, &err), 0);
  assert_int_equal(p.kind, SCN_PROBE_PROCESS);
  assert_string_equal(p.argv[3], "127.21.0.5:20000");
  assert_null(p.argv[4]);
  scn_probe_clear(&p);

  cJSON *bad = json("[\"RUN\",\"x\"]");
  assert_int_equal(scn_probe_from_health_check(&env, def, bad, &p, &err),
                   ECSB_EINVAL);
  assert_non_null(strstr(err.msg, "neither CMD nor CMD-SHELL"));
  cJSON *short_cmd = json("[\"CMD\"]");
  assert_int_equal(scn_probe_from_health_check(&env, def, short_cmd, &p, &err),
                   ECSB_EINVAL);
  cJSON *items[] = {nc, curl, shell, init, bad, short_cmd, def};
  for (size_t i = 0; i < sizeof items / sizeof items[0]; i++)
    cJSON_Delete(items[i]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_map_rewrites_hosts_and_volumes),
      cmocka_unit_test(test_init_player_env_and_argv),
      cmocka_unit_test(test_players_build_their_argv),
      cmocka_unit_test(test_app_port_comes_only_from_its_port_mappings),
      cmocka_unit_test(test_envoy_entrypoint_and_scaled_init_flags),
      cmocka_unit_test(test_init_from_an_image_root),
      cmocka_unit_test(
          test_init_waits_scale_to_their_floor_with_seed_and_events),
      cmocka_unit_test(test_bad_definitions_are_named),
      cmocka_unit_test(test_health_check_probes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
