/* test_run.c - `ecsboot run` as CI runs it: scenario errors exit 2 before
 * anything starts, SIGINT tears a run down and marks its log incomplete,
 * a SIGKILLed runner leaves no process behind (the guardian), relative
 * --out and scenario paths from another folder pass, containers without
 * portMappings share a task without a port clash, --shard splits a list
 * stably, and the consul-client stand-in joins a server in another
 * process, takes faults through its control file and leaves on SIGTERM,
 * and ecsboot-init's retries are init.retry events of their container.
 * Processes are found by their working folder: every container runs in its
 * task's folder under the run's --out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ecsb/clock.h"
#include "ecsb/fileio.h"
#include "ecsb/http.h"
#include <cjson/cJSON.h>
#include "fcon/fcon.h"
#include "rpt/eventlog.h"
#include "scn/proc.h"
#include "scn/standin.h"

static char tmp[128];

static int setup(void **state) {
  (void)state;
  snprintf(tmp, sizeof tmp, "/tmp/ecsb-test-run-%d", (int)getpid());
  mkdir(tmp, 0755);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
  return system(cmd) == 0 ? 0 : -1;
}

static scn_proc *start(const char *const *args, const char *log) {
  const char *argv[24] = {ECSBOOT_BIN};
  size_t n = 1;
  for (; args[n - 1] && n < 23; n++)
    argv[n] = args[n - 1];
  argv[n] = NULL;
  const char *envp[] = {"PATH=/usr/bin:/bin", NULL};
  scn_spawn_opts o = {.argv = argv, .envp = envp, .log_path = log};
  scn_proc *p = NULL;
  assert_int_equal(scn_proc_spawn(&o, &p, NULL), 0);
  return p;
}

static int run_wait(const char *const *args, int64_t ms, char **out) {
  char log[300];
  snprintf(log, sizeof log, "%s/out-%lld.log", tmp, (long long)ecsb_mono_us());
  scn_proc *p = start(args, log);
  int code = -1;
  assert_true(scn_proc_wait(p, ms, &code, NULL));
  scn_proc_free(p);
  assert_int_equal(ecsb_read_file(log, 1 << 22, out, NULL, NULL), 0);
  return code;
}

static void write_file(const char *path, const char *text) {
  assert_int_equal(ecsb_atomic_write(path, text, strlen(text), 0644, NULL), 0);
}

/* Processes whose working folder is under dir (containers run in their
 * task's folder). */
static int procs_under(const char *dir) {
  DIR *d = opendir("/proc");
  assert_non_null(d);
  struct dirent *e;
  int n = 0;
  size_t dl = strlen(dir);
  while ((e = readdir(d))) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9')
      continue;
    char link[300], target[4096];
    snprintf(link, sizeof link, "/proc/%s/cwd", e->d_name);
    ssize_t l = readlink(link, target, sizeof target - 1);
    if (l <= 0)
      continue;
    target[l] = '\0';
    if (strncmp(target, dir, dl) == 0)
      n++;
  }
  closedir(d);
  return n;
}

static bool wait_log_has(const char *path, const char *needle, int64_t ms) {
  int64_t until = ecsb_mono_ms() + ms;
  while (ecsb_mono_ms() < until) {
    char *text = NULL;
    if (ecsb_read_file(path, 1 << 24, &text, NULL, NULL) == 0) {
      bool found = strstr(text, needle) != NULL;
      free(text);
      if (found)
        return true;
    }
    ecsb_sleep_ms(20, NULL);
  }
  return false;
}

static void test_bad_scenarios_exit_2_before_anything(void **state) {
  (void)state;
  char good[300], bad[300], out[300];
  snprintf(good, sizeof good, "%s/good.json", tmp);
  snprintf(bad, sizeof bad, "%s/bad.json", tmp);
  snprintf(out, sizeof out, "%s/never", tmp);
  write_file(good,
             "{\"name\": \"good\", \"task_definition\": \"" ECSB_SOURCE_DIR
             "/examples/mesh-task-taskdef.json\"}");
  write_file(bad, "{\"name\": \"bad\", \"task_definition\": \"" ECSB_SOURCE_DIR
                  "/examples/mesh-task-taskdef.json\", \"faults\": [{\"at\": "
                  "\"1s\", \"target\": \"agent\", \"action\": \"explode\"}]}");
  char *text;
  /* The good one comes first and still does not run. */
  const char *a[] = {"run", "--out", out, good, bad, NULL};
  assert_int_equal(run_wait(a, 20000, &text), 2);
  assert_non_null(strstr(text, "bad.json: $.faults[0].action: unknown action "
                               "\"explode\" for target \"agent\""));
  free(text);
  struct stat st;
  assert_int_not_equal(stat(out, &st), 0);

  const char *missing[] = {"run", "/nonexistent/x.json", NULL};
  assert_int_equal(run_wait(missing, 20000, &text), 2);
  assert_non_null(strstr(text, "/nonexistent/x.json"));
  free(text);
  const char *shard[] = {"run", "--shard", "3/2", good, NULL};
  assert_int_equal(run_wait(shard, 20000, &text), 2);
  assert_non_null(strstr(text, "--shard"));
  free(text);
}

/* ./dev demo from a fresh clone: --out and the scenario path relative,
 * from another working folder than the scenario's, and a task definition
 * relative to the scenario file. Containers run in their task's folder,
 * where a relative path would name nothing: the run passes only when every
 * path it handed them was absolute. */
static void test_relative_out_and_scenario_from_another_folder(void **state) {
  (void)state;
  char sdir[300], work[300], path[400];
  snprintf(sdir, sizeof sdir, "%s/rel-scenario", tmp);
  snprintf(work, sizeof work, "%s/rel-work", tmp);
  assert_int_equal(mkdir(sdir, 0755), 0);
  assert_int_equal(mkdir(work, 0755), 0);
  char *td = NULL;
  assert_int_equal(ecsb_read_file(ECSB_SOURCE_DIR
                                  "/examples/mesh-task-taskdef.json",
                                  1 << 20, &td, NULL, NULL),
                   0);
  snprintf(path, sizeof path, "%s/td.json", sdir);
  write_file(path, td);
  free(td);
  snprintf(path, sizeof path, "%s/rel.json", sdir);
  write_file(path,
             "{\"name\": \"rel\", \"time_scale\": 0.01,"
             " \"task_definition\": \"td.json\","
             " \"expect\": {\"milestones\": {\"T4\": {\"reached\": true}},"
             " \"final\": {\"task_status\": \"RUNNING\","
             " \"service_passing\": true}}}");
  const char *argv[] = {ECSBOOT_BIN, "run",     "--no-progress",
                        "--out",     "out/rel", "../rel-scenario/rel.json",
                        NULL};
  const char *envp[] = {"PATH=/usr/bin:/bin", NULL};
  char log[400];
  snprintf(log, sizeof log, "%s/rel.log", tmp);
  scn_spawn_opts o = {.argv = argv, .envp = envp, .cwd = work, .log_path = log};
  scn_proc *p = NULL;
  assert_int_equal(scn_proc_spawn(&o, &p, NULL), 0);
  int code = -1;
  assert_true(scn_proc_wait(p, 60000, &code, NULL));
  scn_proc_free(p);
  char *text = NULL;
  assert_int_equal(ecsb_read_file(log, 1 << 22, &text, NULL, NULL), 0);
  if (code != 0)
    fail_msg("ecsboot run exited %d:\n%s", code, text);
  free(text);
  static const char *files[] = {
      "events.jsonl",
      "summary.txt",
      "report.json",
      "junit.xml",
      "timeline.svg",
      "report.html",
      "tasks/web-1/logs/discover-servers.log",
  };
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    struct stat st;
    snprintf(path, sizeof path, "%s/out/rel/%s", work, files[i]);
    if (stat(path, &st) != 0)
      fail_msg("%s is missing", path);
  }
}

/* Two essential containers without portMappings in the mesh task
 * (tests/data/scenarios/two-portless-containers.json): neither gets a port,
 * so the task's shared address has no clash and the run passes (T4, task
 * RUNNING). Each logs that it runs without a port. */
static void test_containers_without_port_mappings_share_a_task(void **state) {
  (void)state;
  char out[300];
  snprintf(out, sizeof out, "%s/portless", tmp);
  char *text;
  const char *a[] = {"run",
                     "--no-progress",
                     "--out",
                     out,
                     ECSB_SOURCE_DIR
                     "/tests/data/scenarios/two-portless-containers.json",
                     NULL};
  int code = run_wait(a, 60000, &text);
  if (code != 0)
    fail_msg("ecsboot run exited %d:\n%s", code, text);
  free(text);
  static const char *names[] = {"log-shipper", "metrics-agent"};
  for (size_t i = 0; i < 2; i++) {
    char log[400];
    snprintf(log, sizeof log, "%s/tasks/web-1/logs/%s.log", out, names[i]);
    assert_int_equal(ecsb_read_file(log, 1 << 20, &text, NULL, NULL), 0);
    if (!strstr(text, "app running without a port") ||
        strstr(text, "app listening"))
      fail_msg("%s:\n%s", log, text);
    free(text);
  }
}

/* Terraform's bare container_definitions array: run and lint accept the
 * same file (issue 19: run refused what lint passed), the run reaches T4
 * with the task named after the file; and both refuse the same broken one
 * (a health check without CMD, as older modules wrote it) in ECS's words. */
static void test_terraform_bare_array_runs_and_lints_alike(void **state) {
  (void)state;
  char *text = NULL;
  assert_int_equal(ecsb_read_file(ECSB_SOURCE_DIR
                                  "/examples/mesh-task-taskdef.json",
                                  1 << 20, &text, NULL, NULL),
                   0);
  cJSON *td = cJSON_Parse(text);
  free(text);
  cJSON *defs = cJSON_GetObjectItem(td, "containerDefinitions");
  char tf[300], bad[300], sc[300], sbad[300], out[300];
  snprintf(tf, sizeof tf, "%s/tf-web.json", tmp);
  snprintf(bad, sizeof bad, "%s/tf-nc.json", tmp);
  snprintf(sc, sizeof sc, "%s/tf.json", tmp);
  snprintf(sbad, sizeof sbad, "%s/tf-bad.json", tmp);
  snprintf(out, sizeof out, "%s/tf-out", tmp);
  char *arr = cJSON_Print(defs);
  write_file(tf, arr);
  free(arr);
  cJSON *proxy = cJSON_GetArrayItem(defs, 3);
  cJSON_ReplaceItemInObject(
      cJSON_GetObjectItem(proxy, "healthCheck"), "command",
      cJSON_Parse("[\"nc\", \"-z\", \"127.0.0.1\", \"20000\"]"));
  arr = cJSON_Print(defs);
  write_file(bad, arr);
  free(arr);
  cJSON_Delete(td);
  write_file(sc, "{\"name\": \"tf\", \"time_scale\": 0.01, "
                 "\"task_definition\": \"tf-web.json\", \"expect\": "
                 "{\"milestones\": {\"T4\": {\"reached\": true}}}}");
  write_file(sbad, "{\"name\": \"tf-bad\", \"task_definition\": "
                   "\"tf-nc.json\"}");

  const char *lint[] = {"lint", tf, NULL};
  assert_int_equal(run_wait(lint, 20000, &text), 0);
  free(text);
  const char *a[] = {"run", "--no-progress", "--out", out, sc, NULL};
  int code = run_wait(a, 60000, &text);
  if (code != 0)
    fail_msg("ecsboot run exited %d:\n%s", code, text);
  free(text);
  char dir[400];
  snprintf(dir, sizeof dir, "%s/tasks/tf-web-1", out);
  struct stat st;
  assert_int_equal(stat(dir, &st), 0);

  static const char ecs[] = "containerDefinitions[3].healthCheck.command[0]: "
                            "must be \"CMD\" or \"CMD-SHELL\", not \"nc\"";
  const char *lint_bad[] = {"lint", bad, NULL};
  assert_int_equal(run_wait(lint_bad, 20000, &text), 1);
  if (!strstr(text, ecs) || !strstr(text, "ECSB-L018"))
    fail_msg("lint:\n%s", text);
  free(text);
  const char *run_bad[] = {"run", "--no-progress", "--out", out, sbad, NULL};
  assert_int_equal(run_wait(run_bad, 20000, &text), 2);
  if (!strstr(text, ecs))
    fail_msg("run:\n%s", text);
  free(text);
}

/* The agent answers the first two service registrations with HTTP 500:
 * each of mesh-init's retries is an init.retry event of web-1's mesh-init
 * container (and no other container's but discover-servers'), in order, before
 * mesh-init exits, naming the failure (two name the 500s; any before them, the
 * agent not listening yet), and waiting at most the scaled backoff ceiling (200
 * ms doubling to 5 s, times the time_scale 0.01). */
static void test_init_retries_are_events_of_their_container(void **state) {
  (void)state;
  char sc[300], out[300], log[400];
  snprintf(sc, sizeof sc, "%s/retry.json", tmp);
  snprintf(out, sizeof out, "%s/retry-out", tmp);
  snprintf(log, sizeof log, "%s/events.jsonl", out);
  write_file(sc,
             "{\"name\": \"retry\", \"time_scale\": 0.01, \"seed\": 7,"
             " \"task_definition\": \"" ECSB_SOURCE_DIR
             "/examples/mesh-task-taskdef.json\","
             " \"faults\": [{\"at\": \"0s\", \"target\": \"agent\","
             " \"action\": \"register_error\","
             " \"params\": {\"status\": 500, \"count\": 2}}],"
             " \"expect\": {\"milestones\": {\"T2\": {\"reached\": true}}}}");
  const char *a[] = {"run", "--no-progress", "--quiet", "--out", out, sc, NULL};
  char *text = NULL;
  int code = run_wait(a, 60000, &text);
  if (code != 0)
    fail_msg("ecsboot run exited %d:\n%s", code, text);
  free(text);
  rpt_log *rl = NULL;
  assert_int_equal(rpt_log_read(log, 1 << 24, &rl, NULL), 0);
  int retries = 0, http500 = 0;
  int64_t last_attempt = 0;
  char last_req[300] = "";
  size_t last_len = 0;
  bool exited = false;
  for (size_t i = 0; i < rl->n; i++) {
    const rpt_event *e = &rl->events[i];
    if (e->task && e->container && strcmp(e->task, "web-1") == 0 &&
        strcmp(e->container, "mesh-init") == 0 &&
        strcmp(e->kind, "container.exited") == 0)
      exited = true;
    /* discover-servers may retry too (its polls for a server task that
     * a busy host runs late): only mesh-init's retries are counted */
    if (strcmp(e->kind, "init.retry") != 0 || !e->container ||
        strcmp(e->container, "discover-servers") == 0)
      continue;
    assert_false(exited);
    assert_string_equal(e->task, "web-1");
    assert_string_equal(e->container, "mesh-init");
    assert_string_equal(rpt_event_str(e, "cmd"), "mesh-init");
    assert_string_equal(rpt_event_str(e, "what"), "Consul agent");
    /* mesh-init may also find the agent not listening yet (it starts at
     * the same moment): those retries come first and say so */
    const char *why = rpt_event_str(e, "error");
    assert_non_null(why);
    if (strstr(why, "HTTP 500"))
      http500++;
    else
      assert_int_equal(http500, 0);
    int64_t attempt = 0, wait = -1, scen = -1;
    assert_true(rpt_event_int(e, "attempt", &attempt));
    assert_true(rpt_event_int(e, "wait_us", &wait));
    assert_true(rpt_event_int(e, "wait_scenario_us", &scen));
    /* each request retries on its own count: mesh-init reads the agent
     * (/v1/agent/self) before it registers, so a slow agent start gives
     * that request retries of its own first */
    const char *sep = strstr(why, ": ");
    size_t klen = sep ? (size_t)(sep - why) : strlen(why);
    if (klen != last_len || strncmp(why, last_req, klen) != 0) {
      assert_int_equal(attempt, 1);
      snprintf(last_req, sizeof last_req, "%.*s", (int)klen, why);
      last_len = klen;
    } else {
      assert_int_equal(attempt, last_attempt + 1);
    }
    last_attempt = attempt;
    retries++;
    /* the scaled ceiling: 200 ms doubling up to 5 s, times 0.01 */
    int64_t ceiling = attempt >= 5 ? 50000 : (int64_t)2000 << (attempt - 1);
    if (ceiling > 50000)
      ceiling = 50000;
    assert_true(wait >= 0 && wait <= ceiling);
    assert_true(scen >= wait * 100 - 1 && scen <= wait * 100 + 1);
    assert_false(
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e->detail, "throttled")));
  }
  assert_true(exited);
  assert_int_equal(http500, 2);
  rpt_log_free(rl);
}

/* A scenario that stays undecided for a while: it waits for a stop that
 * never comes. */
static void slow_scenario(const char *path, const char *name) {
  char text[1024];
  snprintf(text, sizeof text,
           "{\"name\": \"%s\", \"time_scale\": 0.01, \"deadline\": \"20m\","
           " \"tasks\": {\"count\": 2},"
           " \"task_definition\": \"" ECSB_SOURCE_DIR
           "/examples/mesh-task-taskdef.json\","
           " \"expect\": {\"milestones\": {\"S4\": {\"reached\": true}}}}",
           name);
  write_file(path, text);
}

/* A run of the slow scenario in the background, once its first task's
 * service passes in Consul. */
typedef struct live {
  char out[300], log[400];
  scn_proc *p;
} live;

/* extra: one more flag for the run, or NULL */
static void live_start_with(live *l, const char *name, const char *extra) {
  char sc[300], outlog[300];
  snprintf(sc, sizeof sc, "%s/%s.json", tmp, name);
  snprintf(l->out, sizeof l->out, "%s/%s-out", tmp, name);
  snprintf(l->log, sizeof l->log, "%s/events.jsonl", l->out);
  snprintf(outlog, sizeof outlog, "%s/%s.log", tmp, name);
  slow_scenario(sc, name);
  const char *a[] = {"run", "--no-progress", "--out", l->out, sc, extra, NULL};
  l->p = start(a, outlog);
  assert_true(wait_log_has(l->log, "service.passing", 20000));
}

static void live_start(live *l, const char *name) {
  live_start_with(l, name, NULL);
}

/* SIGINT (130) or SIGTERM (143) of the runner: every container is torn
 * down and the log ends with run.end "interrupted", marked incomplete. */
static void interrupt_run(const char *name, int sig, int want_code) {
  live l;
  live_start(&l, name);
  const char *out = l.out, *log = l.log;
  scn_proc *p = l.p;
  assert_true(procs_under(out) > 0);
  kill(scn_proc_pid(p), sig);
  int code = -1;
  assert_true(scn_proc_wait(p, 10000, &code, NULL));
  scn_proc_free(p);
  assert_int_equal(code, want_code);
  assert_int_equal(procs_under(out), 0);
  rpt_log *rl = NULL;
  assert_int_equal(rpt_log_read(log, 1 << 24, &rl, NULL), 0);
  assert_false(rl->complete);
  const rpt_event *last = &rl->events[rl->n - 1];
  assert_string_equal(last->kind, "run.end");
  assert_string_equal(rpt_event_str(last, "reason"), "interrupted");
  /* the tasks were sampled up to the interrupt, and stopped after it */
  int64_t tasks_end = 0, passing = -1;
  const char *task = NULL;
  assert_true(rpt_event_int(last, "tasks_end_us", &tasks_end));
  for (size_t i = 0; i < rl->n; i++)
    if (strcmp(rl->events[i].kind, "service.passing") == 0) {
      passing = rl->events[i].t_us;
      task = rl->events[i].task;
    }
  assert_true(passing >= 0);
  assert_true(tasks_end >= passing);
  assert_true(tasks_end <= last->t_us);
  /* the last sweep recorded that task's lag once more, marked final, in
   * the sweep (the verdicts judge its time up to there), grown or not */
  int finals = 0;
  for (size_t i = 0; i < rl->n; i++) {
    const rpt_event *e = &rl->events[i];
    if (strcmp(e->kind, "host.lag") != 0 || !e->task ||
        strcmp(e->task, task) != 0 ||
        !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e->detail, "final")))
      continue;
    finals++;
    assert_true(e->t_us >= passing);
    assert_true(e->t_us <= tasks_end);
  }
  assert_int_equal(finals, 1);
  rpt_log_free(rl);
}

static void test_sigint_tears_down_and_marks_the_log(void **state) {
  (void)state;
  interrupt_run("slow", SIGINT, 130);
}

static void test_sigterm_tears_down_and_marks_the_log(void **state) {
  (void)state;
  interrupt_run("slow-term", SIGTERM, 143);
}

/* The value of NAME in the environment of a process running under dir
 * (a container of the run), or false. */
static bool container_env(const char *dir, const char *name, char *out,
                          size_t cap) {
  DIR *d = opendir("/proc");
  struct dirent *e;
  bool found = false;
  while (!found && d && (e = readdir(d))) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9')
      continue;
    char link[300], target[4096], path[300];
    snprintf(link, sizeof link, "/proc/%s/cwd", e->d_name);
    ssize_t l = readlink(link, target, sizeof target - 1);
    if (l <= 0)
      continue;
    target[l] = '\0';
    if (strncmp(target, dir, strlen(dir)) != 0)
      continue;
    snprintf(path, sizeof path, "/proc/%s/environ", e->d_name);
    size_t len = 0;
    char *env = NULL;
    if (ecsb_read_file(path, 1 << 20, &env, &len, NULL) != 0)
      continue;
    size_t nl = strlen(name);
    for (size_t i = 0; i < len && !found; i += strlen(env + i) + 1)
      if (!strncmp(env + i, name, nl) && env[i + nl] == '=') {
        snprintf(out, cap, "%s", env + i + nl + 1);
        found = true;
      }
    free(env);
  }
  if (d)
    closedir(d);
  return found;
}

/* Every file under dir; fails naming the file that holds needle. */
static void grep_tree(const char *dir, const char *needle) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
      continue;
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    struct stat st;
    if (lstat(p, &st) != 0)
      continue;
    if (S_ISDIR(st.st_mode)) {
      grep_tree(p, needle);
      continue;
    }
    if (!S_ISREG(st.st_mode) || (st.st_mode & 0111))
      continue; /* the ecsboot-init copy mesh-init may leave */
    char *text = NULL;
    size_t len = 0;
    if (ecsb_read_file(p, 1 << 26, &text, &len, NULL) != 0)
      continue;
    bool hit = memmem(text, len, needle, strlen(needle)) != NULL;
    free(text);
    if (hit)
      fail_msg("%s holds a secret (%.6s...)", p, needle);
  }
  closedir(d);
}

/* The credentials a run hands its containers never reach its event log,
 * container logs or reports. */
static void test_no_secret_in_any_output(void **state) {
  (void)state;
  live l;
  /* Each container exec'd: a fork server's copy shows the server's
   * environment in /proc, not the one it runs with, and the credentials
   * are read from a container's environment below. */
  live_start_with(&l, "secret", "--exec-each");
  const char *out = l.out;
  scn_proc *p = l.p;
  char uri[512], token[256];
  assert_true(container_env(out, "AWS_CONTAINER_CREDENTIALS_FULL_URI", uri,
                            sizeof uri));
  assert_true(container_env(out, "AWS_CONTAINER_AUTHORIZATION_TOKEN", token,
                            sizeof token));
  ecsb_http_opts o;
  ecsb_http_opts_default(&o);
  ecsb_http_client *c = ecsb_http_client_new(&o, NULL);
  ecsb_http_header h = {"Authorization", token};
  ecsb_http_response r = {0};
  assert_int_equal(ecsb_http_get(c, uri, &h, 1, &r, NULL), 0);
  assert_int_equal(r.status, 200);
  cJSON *creds = cJSON_Parse(r.body);
  ecsb_http_response_clear(&r);
  ecsb_http_client_free(c);
  char secret[256], session[2048];
  snprintf(secret, sizeof secret, "%s",
           cJSON_GetStringValue(cJSON_GetObjectItem(creds, "SecretAccessKey")));
  snprintf(session, sizeof session, "%s",
           cJSON_GetStringValue(cJSON_GetObjectItem(creds, "Token")));
  cJSON_Delete(creds);
  assert_true(strlen(secret) > 10 && strlen(session) > 10);
  kill(scn_proc_pid(p), SIGINT);
  int code = -1;
  assert_true(scn_proc_wait(p, 10000, &code, NULL));
  scn_proc_free(p);
  grep_tree(out, secret);
  grep_tree(out, session);
  grep_tree(out, token);
}

static void test_sigkill_of_the_runner_leaves_no_process(void **state) {
  (void)state;
  live l;
  live_start(&l, "killed");
  const char *out = l.out;
  scn_proc *p = l.p;
  assert_true(procs_under(out) >= 4); /* consul-client, envoy, app, ... */
  kill(scn_proc_pid(p), SIGKILL);
  int code = -1, sig = 0;
  assert_true(scn_proc_wait(p, 10000, &code, &sig));
  scn_proc_free(p);
  assert_int_equal(sig, SIGKILL);
  int left = -1;
  for (int i = 0; i < 100 && left != 0; i++) {
    left = procs_under(out);
    if (left)
      ecsb_sleep_ms(20, NULL);
  }
  assert_int_equal(left, 0);
}

static void test_shards_split_a_list_once(void **state) {
  (void)state;
  const char *names[] = {"sh-a", "sh-b", "sh-c", "sh-d"};
  char paths[4][300];
  for (int i = 0; i < 4; i++) {
    snprintf(paths[i], sizeof paths[i], "%s/%s.json", tmp, names[i]);
    char text[600];
    /* mesh-init exits 1 at once: a run of a few tens of milliseconds */
    snprintf(text, sizeof text,
             "{\"name\": \"%s\", \"time_scale\": 0.01, \"task_definition\": "
             "\"" ECSB_SOURCE_DIR "/examples/mesh-task-taskdef.json\", "
             "\"faults\": [{\"at\": \"0s\", \"target\": \"container\", "
             "\"container\": \"mesh-init\", \"action\": \"exit\", "
             "\"params\": {\"code\": 1}}]}",
             names[i]);
    write_file(paths[i], text);
  }
  int seen[4] = {0}, reports[4] = {0};
  /* Three shards: by the names' hashes two hold one scenario each and one
   * holds two; every shard writes DIR/<scenario>, one layout always. */
  for (int k = 1; k <= 3; k++) {
    char out[300], rep[300], shard[8];
    snprintf(out, sizeof out, "%s/shard%d", tmp, k);
    snprintf(rep, sizeof rep, "%s/reports%d", tmp, k);
    snprintf(shard, sizeof shard, "%d/3", k);
    const char *a[] = {
        "run",        "-q",     "--no-progress", "--shard", shard,
        "--out",      out,      "--report-dir",  rep,       "--formats",
        "json,junit", paths[0], paths[1],        paths[2],  paths[3],
        NULL};
    char *text;
    assert_int_equal(run_wait(a, 60000, &text), 0);
    free(text);
    for (int i = 0; i < 4; i++) {
      char f[400];
      struct stat st;
      snprintf(f, sizeof f, "%s/%s/events.jsonl", out, names[i]);
      if (stat(f, &st) == 0)
        seen[i]++;
      snprintf(f, sizeof f, "%s/%s/junit.xml", rep, names[i]);
      if (stat(f, &st) == 0)
        reports[i]++;
      snprintf(f, sizeof f, "%s/%s/timeline.svg", rep, names[i]);
      assert_int_not_equal(stat(f, &st), 0); /* not asked for */
    }
  }
  for (int i = 0; i < 4; i++) {
    assert_int_equal(seen[i], 1);
    assert_int_equal(reports[i], 1);
  }
}

/* ---- the consul-client stand-in ------------------------------------------ */

static int agent_status(const char *url, const char *method, const char *body) {
  ecsb_http_opts o;
  ecsb_http_opts_default(&o);
  o.max_retries = 0;
  o.timeout_ms = 2000;
  ecsb_http_client *c = ecsb_http_client_new(&o, NULL);
  ecsb_http_request rq = {.method = method,
                          .url = url,
                          .body = body,
                          .body_len = body ? strlen(body) : 0};
  ecsb_http_response r = {0};
  int st = ecsb_http_do(c, &rq, &r, NULL) == 0 ? (int)r.status : -1;
  ecsb_http_response_clear(&r);
  ecsb_http_client_free(c);
  return st;
}

static bool wait_instances(fcon_server *s, const char *addr, size_t want,
                           int64_t ms) {
  int64_t until = ecsb_mono_ms() + ms;
  while (ecsb_mono_ms() < until) {
    fcon_instance *in = NULL;
    size_t n = 0;
    assert_int_equal(fcon_server_instances(s, addr, &in, &n, NULL), 0);
    fcon_instances_free(in, n);
    if (n == want)
      return true;
    ecsb_sleep_ms(10, NULL);
  }
  return false;
}

static void test_consul_client_joins_takes_faults_and_leaves(void **state) {
  (void)state;
  unsigned o3 = 1 + (unsigned)getpid() % 200;
  char sip[32], aip[32];
  snprintf(sip, sizeof sip, "127.19.%u.10", o3);
  snprintf(aip, sizeof aip, "127.19.%u.11", o3);
  fcon_server_config sc;
  fcon_server_config_default(&sc);
  sc.bind_ip = sip;
  fcon_server *srv = NULL;
  assert_int_equal(fcon_server_start(&sc, &srv, NULL), 0);
  char ipfile[300], ctl[300], sport[16], log[300];
  snprintf(ipfile, sizeof ipfile, "%s/server-ip", tmp);
  snprintf(ctl, sizeof ctl, "%s/consul-client.control", tmp);
  snprintf(sport, sizeof sport, "%u", (unsigned)fcon_server_port(srv));
  snprintf(log, sizeof log, "%s/consul-client.log", tmp);
  const char *a[] = {"consul-client",
                     "--server-ip-file",
                     ipfile,
                     "--bind",
                     aip,
                     "--port",
                     "18500",
                     "--server-port",
                     sport,
                     "--retry-interval",
                     "50ms",
                     "--wait-timeout",
                     "20s",
                     NULL};
  scn_proc *p = start(a, log);
  char url[128];
  snprintf(url, sizeof url, "http://%s:18500/v1/agent/service/register", aip);
  /* The API answers before the join, as a Consul agent's does. */
  int st = -1;
  for (int i = 0; i < 200 && st != 200; i++) {
    st = agent_status(url, "PUT", "{\"Name\": \"web\", \"ID\": \"web-1\"}");
    if (st != 200)
      ecsb_sleep_ms(10, NULL);
  }
  assert_int_equal(st, 200);
  assert_false(wait_instances(srv, aip, 1, 150)); /* no server IP yet */
  write_file(ipfile, sip);
  assert_true(wait_instances(srv, aip, 1, 5000));
  /* A read through the agent is answered by the server. */
  char cat[128];
  snprintf(cat, sizeof cat, "http://%s:18500/v1/catalog/service/web", aip);
  assert_int_equal(agent_status(cat, "GET", NULL), 200);

  /* A fault through the control file: the agent goes down, then up. */
  write_file(ctl, "{\"faults\": [{\"seq\": 1, \"action\": \"down\"}]}");
  kill(scn_proc_pid(p), SIGUSR1);
  st = 0;
  for (int i = 0; i < 200 && st != -1; i++) {
    st = agent_status(cat, "GET", NULL);
    if (st != -1)
      ecsb_sleep_ms(10, NULL);
  }
  assert_int_equal(st, -1);
  write_file(ctl, "{\"faults\": [{\"seq\": 1, \"action\": \"down\"}, "
                  "{\"seq\": 2, \"action\": \"up\"}]}");
  kill(scn_proc_pid(p), SIGUSR1);
  for (int i = 0; i < 200 && st != 200; i++) {
    st = agent_status(cat, "GET", NULL);
    if (st != 200)
      ecsb_sleep_ms(10, NULL);
  }
  assert_int_equal(st, 200);

  kill(scn_proc_pid(p), SIGTERM);
  int code = -1;
  assert_true(scn_proc_wait(p, 10000, &code, NULL));
  scn_proc_free(p);
  assert_int_equal(code, 0);
  assert_true(wait_instances(srv, aip, 0, 2000)); /* it left */
  fcon_server_stop(srv);

  char *text;
  const char *bad[] = {"consul-client", "--server-ip-file", ipfile,
                       "--bind",        "10.0.0.1",         NULL};
  assert_int_equal(run_wait(bad, 10000, &text), 1);
  assert_non_null(strstr(text, "not an address in 127.0.0.0/8"));
  free(text);
}

/* ---- a busy host, and --repeat ---------------------------------------- */

/* The largest host.lag field (lag_us, cpu_us) of task in a log, or -1 when
 * it has none. */
static double max_lag(const char *log_path, const char *task,
                      const char *field) {
  char *text = NULL;
  assert_int_equal(ecsb_read_file(log_path, 1 << 24, &text, NULL, NULL), 0);
  double most = -1;
  for (char *save = NULL, *l = strtok_r(text, "\n", &save); l;
       l = strtok_r(NULL, "\n", &save)) {
    cJSON *o = cJSON_Parse(l);
    assert_non_null(o);
    const cJSON *k = cJSON_GetObjectItem(o, "kind");
    const cJSON *t = cJSON_GetObjectItem(o, "task");
    if (cJSON_IsString(k) && strcmp(k->valuestring, "host.lag") == 0 &&
        cJSON_IsString(t) && strcmp(t->valuestring, task) == 0) {
      double v = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "detail"), field)
                     ->valuedouble;
      if (v > most)
        most = v;
    }
    cJSON_Delete(o);
  }
  free(text);
  return most;
}

/* The runner and everything it starts share CPU 0 with a busy loop: each
 * runnable process waits about as long as it runs. */
static void test_a_starved_run_records_its_lag_and_still_passes(void **state) {
  (void)state;
  cpu_set_t old, one;
  assert_int_equal(sched_getaffinity(0, sizeof old, &old), 0);
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  assert_int_equal(sched_setaffinity(0, sizeof one, &one), 0);
  pid_t hog = fork();
  assert_true(hog >= 0);
  if (hog == 0) {
    /* bounded: the test kills it long before this */
    int64_t until = ecsb_mono_ms() + 60000;
    volatile uint64_t x = 0;
    while (ecsb_mono_ms() < until)
      for (int i = 0; i < 100000; i++)
        x += (uint64_t)i;
    _exit(0);
  }
  char out[300];
  snprintf(out, sizeof out, "%s/starved", tmp);
  const char *a[] = {"run", "--no-progress", "--out", out, NULL};
  char *text = NULL;
  int code = run_wait(a, 60000, &text);
  kill(hog, SIGKILL);
  waitpid(hog, NULL, 0);
  assert_int_equal(sched_setaffinity(0, sizeof old, &old), 0);
  if (code != 0)
    fail_msg("exit %d:\n%s", code, text);
  assert_non_null(strstr(text, "run t0-t4: passed"));
  assert_non_null(strstr(text, "host lag"));
  free(text);
  char log[400];
  snprintf(log, sizeof log, "%s/events.jsonl", out);
  double lag = max_lag(log, "web-1", "lag_us");
  if (lag < 2000)
    fail_msg("web-1 carried %.0f us of host lag beside a busy loop", lag);
  /* its containers' CPU work beyond their scaled time is part of it (they
   * need milliseconds of CPU to start: at 0.01 that is 99% of it) */
  double cpu = max_lag(log, "web-1", "cpu_us");
  if (cpu < 1000 || cpu > lag)
    fail_msg("web-1 carried %.0f us of CPU work in %.0f us of lag", cpu, lag);
}

static void test_repeat_runs_each_in_its_folder_and_sums_up(void **state) {
  (void)state;
  char out[300];
  snprintf(out, sizeof out, "%s/rep", tmp);
  const char *a[] = {"run", "--no-progress", "--repeat",  "2", "--out",
                     out,   "--formats",     "json,term", NULL};
  char *text = NULL;
  int code = run_wait(a, 120000, &text);
  /* 4: this host's lag made a verdict undecidable; the repeat still ran */
  if (code != 0 && code != 4)
    fail_msg("exit %d:\n%s", code, text);
  assert_non_null(strstr(text, "run t0-t4 1/2: "));
  assert_non_null(strstr(text, "run t0-t4 2/2: "));
  assert_non_null(strstr(text, "Repeated 2 times: "));
  assert_non_null(strstr(text, "lag-free min"));
  assert_non_null(strstr(text, "  T4       2 "));
  free(text);
  for (int k = 1; k <= 2; k++) {
    char f[400];
    struct stat st;
    snprintf(f, sizeof f, "%s/run-%d/events.jsonl", out, k);
    assert_int_equal(stat(f, &st), 0);
    snprintf(f, sizeof f, "%s/run-%d/report.json", out, k);
    assert_int_equal(stat(f, &st), 0);
  }
  char f[400];
  snprintf(f, sizeof f, "%s/report.json", out);
  char *json = NULL;
  assert_int_equal(ecsb_read_file(f, 1 << 24, &json, NULL, NULL), 0);
  cJSON *r = cJSON_Parse(json);
  assert_non_null(r);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r, "runs")), 2);
  cJSON_Delete(r);
  free(json);
}

/* Last event of a log, and its run.end reason. */
static int64_t log_end(const char *log, char *reason, size_t cap) {
  char *text = NULL;
  assert_int_equal(ecsb_read_file(log, 1 << 24, &text, NULL, NULL), 0);
  char *last = strstr(text, "\"kind\":\"run.end\"");
  assert_non_null(last);
  while (last > text && last[-1] != '\n')
    last--;
  cJSON *e = cJSON_Parse(last);
  assert_non_null(e);
  const cJSON *d = cJSON_GetObjectItem(e, "detail");
  snprintf(reason, cap, "%s",
           cJSON_GetStringValue(cJSON_GetObjectItem(d, "reason")));
  int64_t t = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(e, "t_us"));
  cJSON_Delete(e);
  free(text);
  return t;
}

/* --until keeps a decided run going: "stable" until nothing happened for
 * 30 s of scenario time after the last event, a duration until that much
 * scenario time passed; the verdicts are the same. */
static void test_until_keeps_watching_after_the_verdicts(void **state) {
  (void)state;
  char out[300], log[400], reason[64];
  snprintf(out, sizeof out, "%s/until-stable", tmp);
  const char *a[] = {"run", "--no-progress", "--until", "stable", "--out",
                     out,   "--formats",     "json",    NULL};
  char *text = NULL;
  int code = run_wait(a, 120000, &text);
  if (code != 0 && code != 4)
    fail_msg("exit %d:\n%s", code, text);
  free(text);
  snprintf(log, sizeof log, "%s/events.jsonl", out);
  int64_t end = log_end(log, reason, sizeof reason);
  assert_string_equal(reason, "stable");
  /* t0-t4 runs at time_scale 0.01: 30 s of quiet is 300 ms of wall */
  assert_true(end >= 300000);

  snprintf(out, sizeof out, "%s/until-3m", tmp);
  const char *b[] = {"run", "--no-progress", "--until", "3m", "--out",
                     out,   "--formats",     "json",    NULL};
  code = run_wait(b, 120000, &text);
  if (code != 0 && code != 4)
    fail_msg("exit %d:\n%s", code, text);
  free(text);
  snprintf(log, sizeof log, "%s/events.jsonl", out);
  end = log_end(log, reason, sizeof reason);
  assert_string_equal(reason, "finished");
  assert_true(end >= 1800000); /* 3 minutes of scenario time */
}

/* A task without Consul containers is judged by READY (every essential
 * container running, HEALTHY where it has a health check), not T1-T4: the
 * run settles there instead of idling to its deadline, and the summary
 * says which goal it judged. */
static void test_a_task_without_mesh_settles_at_ready(void **state) {
  (void)state;
  char out[300], log[400], reason[64];
  snprintf(out, sizeof out, "%s/no-mesh", tmp);
  const char *a[] = {"run",
                     "--no-progress",
                     "--out",
                     out,
                     ECSB_SOURCE_DIR "/tests/data/scenarios/no-mesh.json",
                     NULL};
  char *text = NULL;
  int code = run_wait(a, 60000, &text);
  if (code != 0)
    fail_msg("exit %d:\n%s", code, text);
  assert_non_null(strstr(text, "goal: READY (no Consul containers"));
  assert_non_null(strstr(text, "  READY +"));
  assert_null(strstr(text, "T4 not reached"));
  assert_null(strstr(text, "T1    -"));
  free(text);
  snprintf(log, sizeof log, "%s/events.jsonl", out);
  int64_t end = log_end(log, reason, sizeof reason);
  assert_string_equal(reason, "settled");
  assert_true(end < 3000000); /* the deadline is 5m: 3 s of wall */
}

/* A container's child in a session of its own outlives the container
 * (nothing sends it a signal): the runner adopts it and ends it before
 * the run ends, so no process of the run is left and its addresses are
 * free for the next. */
static void test_orphans_of_containers_end_with_the_run(void **state) {
  (void)state;
  char sc[300], out[300], log[400];
  snprintf(sc, sizeof sc, "%s/orphan.json", tmp);
  snprintf(out, sizeof out, "%s/orphan-out", tmp);
  snprintf(log, sizeof log, "%s/events.jsonl", out);
  write_file(sc, "{\"name\": \"orphan\", \"time_scale\": 0.01,"
                 " \"task_definition\": {\"family\": \"o\","
                 " \"networkMode\": \"awsvpc\", \"containerDefinitions\": [{"
                 "\"name\": \"worker\", \"image\": \"example/orphan:1\","
                 " \"essential\": true, \"command\": [\"-c\","
                 " \"setsid sleep 300 & exec sleep 300\"]}]},"
                 " \"images\": [{\"match\": \"example/orphan*\","
                 " \"play\": \"exec:/bin/sh\"}]}");
  const char *a[] = {"run", "--no-progress", "--quiet", "--until",
                     "1m",  "--out",         out,       sc,
                     NULL};
  char *text = NULL;
  int code = run_wait(a, 60000, &text);
  if (code != 0)
    fail_msg("ecsboot run exited %d:\n%s", code, text);
  free(text);
  /* at once: nothing of the run may be left once it exited */
  assert_int_equal(procs_under(out), 0);
  char *log_text = NULL;
  assert_int_equal(ecsb_read_file(log, 1 << 24, &log_text, NULL, NULL), 0);
  assert_non_null(strstr(log_text, "\"orphans\":1"));
  free(log_text);
}

int main(void) {
  ecsb_http_global_init(NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bad_scenarios_exit_2_before_anything),
      cmocka_unit_test(test_relative_out_and_scenario_from_another_folder),
      cmocka_unit_test(test_containers_without_port_mappings_share_a_task),
      cmocka_unit_test(test_terraform_bare_array_runs_and_lints_alike),
      cmocka_unit_test(test_init_retries_are_events_of_their_container),
      cmocka_unit_test(test_sigint_tears_down_and_marks_the_log),
      cmocka_unit_test(test_sigterm_tears_down_and_marks_the_log),
      cmocka_unit_test(test_sigkill_of_the_runner_leaves_no_process),
      cmocka_unit_test(test_no_secret_in_any_output),
      cmocka_unit_test(test_shards_split_a_list_once),
      cmocka_unit_test(test_consul_client_joins_takes_faults_and_leaves),
      cmocka_unit_test(test_a_starved_run_records_its_lag_and_still_passes),
      cmocka_unit_test(test_repeat_runs_each_in_its_folder_and_sums_up),
      cmocka_unit_test(test_until_keeps_watching_after_the_verdicts),
      cmocka_unit_test(test_a_task_without_mesh_settles_at_ready),
      cmocka_unit_test(test_orphans_of_containers_end_with_the_run),
  };
  int rc = cmocka_run_group_tests(tests, setup, teardown);
  ecsb_http_global_cleanup();
  return rc;
}
