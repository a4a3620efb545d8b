/* interop_awscli.c - the real AWS CLI against fake-ecs with SigV4
 * verification on: create-cluster, register-task-definition
 * --cli-input-json file://examples/mesh-task-taskdef.json, run-task,
 * list-tasks, describe-tasks, stop-task and describe-task-definition
 * succeed, and the same call with a wrong secret key fails with the CLI
 * printing the signature error.
 *
 * Runs every CLI it finds: the Debian package's /usr/bin/aws (what CI
 * installs) and the `aws` first on PATH when that is another program;
 * none: prints why and exits 77 (skipped). Each child gets a fresh
 * environment (fake keys, temp config and credentials files, no instance
 * metadata, no pager, one attempt), so nothing outside loopback is
 * touched. Every child has a deadline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ecsb/clock.h"
#include "ecsb/fileio.h"
#include "ecsb/http.h"
#include "fecs_testutil.h"

#define DEADLINE_MS 120000

static char g_clis[2][1024];
static int g_n_clis;
static char g_tmp[256];

typedef struct cli_out {
  int exit_code;
  char *out, *err;
  cJSON *json;
} cli_out;

static void cli_out_clear(cli_out *o) {
  free(o->out);
  free(o->err);
  cJSON_Delete(o->json);
  memset(o, 0, sizeof *o);
}

/* Runs `cli args... --endpoint-url <api> --region us-east-1 --output json`
 * with `secret` as the secret key. */
static void run_cli(const char *cli, fecs *f, const char *secret,
                    const char *const *args, cli_out *o) {
  memset(o, 0, sizeof *o);
  char out_path[300], err_path[300];
  snprintf(out_path, sizeof out_path, "%s/stdout", g_tmp);
  snprintf(err_path, sizeof err_path, "%s/stderr", g_tmp);
  const char *argv[40];
  int n = 0;
  argv[n++] = cli;
  for (const char *const *a = args; *a && n < 30; a++)
    argv[n++] = *a;
  argv[n++] = "--endpoint-url";
  argv[n++] = fecs_api_url(f);
  argv[n++] = "--region";
  argv[n++] = "us-east-1";
  argv[n++] = "--output";
  argv[n++] = "json";
  argv[n] = NULL;

  char env_s[16][1200];
  int ne = 0;
  const char *keep[] = {"PATH",          "HOME",      "LANG", "PYENV_ROOT",
                        "PYENV_VERSION", "PYENV_DIR", NULL};
  for (const char **k = keep; *k; k++)
    if (getenv(*k))
      snprintf(env_s[ne++], sizeof env_s[0], "%s=%s", *k, getenv(*k));
  snprintf(env_s[ne++], sizeof env_s[0], "AWS_ACCESS_KEY_ID=%s",
           fecs_access_key_id(f));
  snprintf(env_s[ne++], sizeof env_s[0], "AWS_SECRET_ACCESS_KEY=%s", secret);
  snprintf(env_s[ne++], sizeof env_s[0], "AWS_CONFIG_FILE=%s/config", g_tmp);
  snprintf(env_s[ne++], sizeof env_s[0],
           "AWS_SHARED_CREDENTIALS_FILE=%s/credentials", g_tmp);
  snprintf(env_s[ne++], sizeof env_s[0], "AWS_EC2_METADATA_DISABLED=true");
  snprintf(env_s[ne++], sizeof env_s[0], "AWS_PAGER=");
  snprintf(env_s[ne++], sizeof env_s[0], "AWS_MAX_ATTEMPTS=1");
  snprintf(env_s[ne++], sizeof env_s[0], "AWS_RETRY_MODE=standard");
  snprintf(env_s[ne++], sizeof env_s[0], "AWS_CLI_AUTO_PROMPT=off");
  char *envp[17];
  for (int i = 0; i < ne; i++)
    envp[i] = env_s[i];
  envp[ne] = NULL;

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_path,
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err_path,
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid;
  int rc = posix_spawn(&pid, cli, &fa, NULL, (char *const *)argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  if (rc)
    fail_msg("spawning %s: %s", cli, strerror(rc));
  int status = 0;
  int64_t deadline = ecsb_mono_ms() + DEADLINE_MS;
  for (;;) {
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid)
      break;
    if (ecsb_mono_ms() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      fail_msg("%s %s: no exit within %d ms", cli, args[1], DEADLINE_MS);
    }
    ecsb_sleep_ms(20, NULL);
  }
  o->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  size_t len;
  ecsb_err err = {0};
  if (ecsb_read_file(out_path, 8 << 20, &o->out, &len, &err) ||
      ecsb_read_file(err_path, 8 << 20, &o->err, &len, &err))
    fail_msg("reading the CLI's output: %s", err.msg);
  o->json = cJSON_Parse(o->out);
}

static cJSON *ok(const char *cli, fecs *f, const char *const *args,
                 cli_out *o) {
  run_cli(cli, f, fecs_secret_access_key(f), args, o);
  if (o->exit_code != 0 || !o->json)
    fail_msg("%s %s %s: exit %d\nstdout: %.2000s\nstderr: %.2000s", cli,
             args[0], args[1], o->exit_code, o->out, o->err);
  return o->json;
}

static void test_aws_cli_drives_fake_ecs(void **state) {
  (void)state;
  char taskdef[1200];
  snprintf(taskdef, sizeof taskdef, "file://%s/examples/mesh-task-taskdef.json",
           ECSB_SOURCE_DIR);
  for (int k = 0; k < g_n_clis; k++) {
    const char *cli = g_clis[k];
    fprintf(stderr, "interop_awscli: %s\n", cli);
    fecs_config c;
    fecs_config_default(&c);
    c.verify_sigv4 = true; /* the point of the test; also the default */
    ft_events ev = {0};
    fecs *f = ft_start(&c, NULL, &ev);
    cli_out o;

    const char *a1[] = {"ecs", "create-cluster", "--cluster-name", "default",
                        NULL};
    cJSON *j = ok(cli, f, a1, &o);
    assert_string_equal(jps(j, "cluster.clusterArn"),
                        "arn:aws:ecs:us-east-1:123456789012:cluster/default");
    cli_out_clear(&o);

    const char *a2[] = {"ecs", "register-task-definition", "--cli-input-json",
                        taskdef, NULL};
    j = ok(cli, f, a2, &o);
    assert_string_equal(jps(j, "taskDefinition.family"), "web");
    assert_int_equal((int)jpn(j, "taskDefinition.revision"), 1);
    assert_int_equal(
        cJSON_GetArraySize(jp(j, "taskDefinition.containerDefinitions")), 5);
    cli_out_clear(&o);

    const char *a3[] = {"ecs",
                        "run-task",
                        "--cluster",
                        "default",
                        "--task-definition",
                        "web",
                        "--count",
                        "2",
                        "--started-by",
                        "interop",
                        "--launch-type",
                        "FARGATE",
                        "--network-configuration",
                        "awsvpcConfiguration={subnets=[subnet-1]}",
                        NULL};
    j = ok(cli, f, a3, &o);
    assert_int_equal(cJSON_GetArraySize(jp(j, "tasks")), 2);
    char arn1[FECS_ARN_MAX], arn2[FECS_ARN_MAX];
    snprintf(arn1, sizeof arn1, "%s", jps(j, "tasks[0].taskArn"));
    snprintf(arn2, sizeof arn2, "%s", jps(j, "tasks[1].taskArn"));
    assert_string_equal(jps(j, "tasks[0].startedBy"), "interop");
    cli_out_clear(&o);

    const char *a4[] = {"ecs", "list-tasks", "--cluster", "default", NULL};
    j = ok(cli, f, a4, &o);
    assert_int_equal(cJSON_GetArraySize(jp(j, "taskArns")), 2);
    assert_string_equal(jps(j, "taskArns[0]"), arn1);
    cli_out_clear(&o);

    const char *a5[] = {
        "ecs", "describe-tasks", "--cluster", "default", "--tasks", arn1, arn2,
        NULL};
    j = ok(cli, f, a5, &o);
    assert_int_equal(cJSON_GetArraySize(jp(j, "tasks")), 2);
    assert_string_equal(jps(j, "tasks[0].lastStatus"), "RUNNING");
    assert_string_equal(jps(j, "tasks[0].containers[3].name"), "sidecar-proxy");
    assert_string_equal(jps(j, "tasks[0].containers[3].healthStatus"),
                        "HEALTHY");
    assert_true(!strncmp(jps(j, "tasks[0].containers[0].networkInterfaces[0]."
                                "privateIpv4Address"),
                         "127.", 4));
    /* the CLI parsed the epoch timestamps */
    assert_non_null(jp(j, "tasks[0].createdAt"));
    cli_out_clear(&o);

    const char *a6[] = {"ecs", "stop-task", "--cluster",    "default", "--task",
                        arn1,  "--reason",  "interop done", NULL};
    j = ok(cli, f, a6, &o);
    assert_string_equal(jps(j, "task.desiredStatus"), "STOPPED");
    assert_string_equal(jps(j, "task.stoppedReason"), "interop done");
    cli_out_clear(&o);

    const char *a7[] = {"ecs", "describe-task-definition", "--task-definition",
                        "web", NULL};
    j = ok(cli, f, a7, &o);
    assert_string_equal(jps(j, "taskDefinition.taskDefinitionArn"),
                        "arn:aws:ecs:us-east-1:123456789012:task-definition/"
                        "web:1");
    assert_string_equal(
        jps(j, "taskDefinition.containerDefinitions[3].healthCheck.command[1]"),
        "nc");
    cli_out_clear(&o);

    /* the same call, signed with the wrong secret */
    run_cli(cli, f, "wrongwrongwrongwrongwrongwrongwrongwrong", a4, &o);
    assert_int_not_equal(o.exit_code, 0);
    if (!strstr(o.err, "InvalidSignatureException") ||
        !strstr(o.err, "signature we calculated does not match"))
      fail_msg("%s: stderr lacks the signature error: %s", cli, o.err);
    cli_out_clear(&o);

    /* every call the CLI made was verified and answered */
    assert_int_equal(ft_events_count(&ev, "api.call", "status=200", NULL), 7);
    assert_int_equal(ft_events_count(&ev, "api.call", "op=ListTasks",
                                     "err=InvalidSignatureException", NULL),
                     1);
    fecs_free(f);
  }
}

static bool executable(const char *p) {
  return access(p, X_OK) == 0;
}

static void find_clis(void) {
  if (getenv("ECSB_AWS_CLI")) {
    snprintf(g_clis[g_n_clis++], sizeof g_clis[0], "%s",
             getenv("ECSB_AWS_CLI"));
    return;
  }
  if (executable("/usr/bin/aws"))
    snprintf(g_clis[g_n_clis++], sizeof g_clis[0], "/usr/bin/aws");
  const char *path = getenv("PATH");
  char buf[4096];
  snprintf(buf, sizeof buf, "%s", path ? path : "");
  char *save = NULL;
  for (char *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
    char p[1024];
    snprintf(p, sizeof p, "%s/aws", d);
    if (!executable(p))
      continue;
    char a[PATH_MAX], b[PATH_MAX];
    bool same =
        g_n_clis && realpath(p, a) && realpath(g_clis[0], b) && !strcmp(a, b);
    if (!same)
      snprintf(g_clis[g_n_clis++], sizeof g_clis[0], "%s", p);
    break;
  }
}

int main(void) {
  find_clis();
  if (!g_n_clis) {
    fprintf(stderr, "interop_awscli: no AWS CLI (install the Debian package "
                    "awscli: scripts/deps.sh --test); skipped\n");
    return 77;
  }
  snprintf(g_tmp, sizeof g_tmp, "/tmp/ecsb-awscli-XXXXXX");
  if (!mkdtemp(g_tmp)) {
    perror("mkdtemp");
    return 1;
  }
  char p[300];
  snprintf(p, sizeof p, "%s/config", g_tmp);
  ecsb_atomic_write(p, "", 0, 0600, NULL);
  snprintf(p, sizeof p, "%s/credentials", g_tmp);
  ecsb_atomic_write(p, "", 0, 0600, NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_aws_cli_drives_fake_ecs),
  };
  ecsb_http_global_init(NULL);
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  ecsb_http_global_cleanup();
  const char *files[] = {"config", "credentials", "stdout", "stderr"};
  for (int i = 0; i < 4; i++) {
    snprintf(p, sizeof p, "%s/%s", g_tmp, files[i]);
    unlink(p);
  }
  rmdir(g_tmp);
  return rc;
}
