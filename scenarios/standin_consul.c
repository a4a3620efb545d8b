/*
 * standin_consul.c - `ecsboot consul-client`: the consul-client container
 * of a simulated task. A fake-consul agent (fake-consul/) in its own
 * process, started the way the mesh-task module starts `consul agent`:
 * it reads the server IP that discover-servers wrote, joins that server
 * retrying as -retry-join does, and serves the agent API on the task's
 * address (port 8500) meanwhile, so registrations made before the join
 * are kept and synced once it joins, as a Consul agent does.
 *
 *   ecsboot consul-client --server-ip-file FILE --bind IP [--port 8500]
 *       [--server-port 8500] [--node NAME] [--retry-interval 30s]
 *       [--retry-max 0] [--wait-timeout 10m] [--time-scale 1]
 *       [--sync-delay 0s] [--control-file FILE] [--no-leave-on-terminate]
 *       [--consul-version X.Y.Z]
 *
 * Exit: 0 after SIGTERM/SIGINT (it leaves the cluster first, as a client
 * agent's leave_on_terminate does by default); 1 for a bad
 * flag, a listener that cannot bind, or no join within --wait-timeout (or
 * --retry-max attempts).
 *
 * Faults arrive through the control file (see standin.h), read at start
 * and on every SIGUSR1.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/clock.h"
#include "ecsb/duration.h"
#include "ecsb/fileio.h"
#include "ecsb/flags.h"
#include "ecsb/json.h"
#include "ecsb/log.h"
#include "ecsb/retry.h"
#include "fcon/fcon.h"
#include "scn/faults.h"
#include "scn/standin.h"
#include "ecsb/taskclock.h"

/* How often the server IP file is looked for until it holds an address. */
#define FILE_POLL_MS 10
/* The longest wait when nothing is due (signals end it at once). */
#define IDLE_MS 1000

int scn_consul_control_write(const char *path, const char *json,
                             ecsb_err *err) {
  return ecsb_atomic_write(path, json, strlen(json), 0644, err);
}

typedef struct client {
  fcon_agent *agent;
  const char *control;
  int64_t applied_seq;
  int64_t restart_at; /* crash: come back up at this task ms; 0: none */
  bool crashed;
  bool down; /* the control file took the API down (or it crashed) */
} client;

/* The agent's timers run on what the process follows: the task's clock in
 * a replay (ECSBOOT_TASK_CLOCK, followed before this runs), so intervals,
 * TTLs and join retries leave out the host's lag. */
static int64_t task_now(void *unused) {
  (void)unused;
  return ecsb_mono_ms();
}

static void logf_action(const char *what, const char *detail) {
  ecsb_log(ECSB_LOG_INFO, "fault applied", "action", what, "detail", detail,
           NULL);
}

/* Applies the control file's entries newer than the last one applied. */
static void apply_control(client *c) {
  char *text = NULL;
  size_t len = 0;
  ecsb_err e = {0};
  if (!c->control || ecsb_read_file(c->control, 1 << 20, &text, &len, &e))
    return; /* absent: no faults */
  cJSON *doc = NULL;
  if (ecsb_json_parse(text, len, c->control, &doc, &e)) {
    ecsb_log(ECSB_LOG_ERROR, "bad control file", "error", e.msg, NULL);
    free(text);
    return;
  }
  free(text);
  const cJSON *f;
  cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(doc, "faults")) {
    const cJSON *seq = cJSON_GetObjectItemCaseSensitive(f, "seq");
    const char *act =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "action"));
    int64_t sq = cJSON_IsNumber(seq) ? (int64_t)seq->valuedouble : 0;
    if (!act || sq <= c->applied_seq)
      continue;
    c->applied_seq = sq;
    const cJSON *v;
    char d[160] = "";
    scn_fault_kind kind = SCN_FAULT_KIND_COUNT;
    bool agent_fault =
        scn_fault_lookup(scn_fault_target_of(SCN_TARGET_AGENT)->name, act,
                         &kind) == 0;
    if (!agent_fault && !strcmp(act, SCN_CONSUL_CONTROL_DOWN)) {
      fcon_agent_down(c->agent, NULL);
      c->down = true;
    } else if (!agent_fault && !strcmp(act, SCN_CONSUL_CONTROL_UP)) {
      if (fcon_agent_up(c->agent, &e) == 0)
        c->down = false;
    } else if (!agent_fault && !strcmp(act, SCN_CONSUL_CONTROL_ACL_ALLOW)) {
      fcon_agent_faults_clear(c->agent);
    } else if (kind == SCN_FAULT_AGENT_SLOW_JOIN) {
      v = cJSON_GetObjectItemCaseSensitive(f, "delay_ms");
      int64_t ms = cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
      fcon_agent_fault_slow_join(c->agent, ms);
      snprintf(d, sizeof d, "%lld ms", (long long)ms);
    } else if (kind == SCN_FAULT_AGENT_REGISTER_ERROR) {
      v = cJSON_GetObjectItemCaseSensitive(f, "status");
      int status = cJSON_IsNumber(v) ? v->valueint : 500;
      v = cJSON_GetObjectItemCaseSensitive(f, "count");
      int n = cJSON_IsNumber(v) && v->valueint > 0
                  ? v->valueint
                  : (int)scn_fault_param_num(kind, NULL, "count");
      const char *body =
          cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "body"));
      fcon_agent_fault_fail(
          c->agent, "/v1/agent/service/register", n, status,
          body ? body : scn_fault_param_str(kind, NULL, "body"), &e);
      snprintf(d, sizeof d, "%d x HTTP %d", n, status);
    } else if (kind == SCN_FAULT_AGENT_ACL_DENY) {
      fcon_agent_fault_fail(c->agent, "/v1/agent/service/", 1000000, 403,
                            "Permission denied", &e);
    } else if (kind == SCN_FAULT_AGENT_CRASH) {
      /* The agent process dies: the server loses the node, the API
       * refuses connections. It comes back with its local state (a real
       * agent reloads services from its -data-dir) and joins again. */
      v = cJSON_GetObjectItemCaseSensitive(f, "restart_after_ms");
      int64_t ms = cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
      fcon_agent_leave(c->agent);
      fcon_agent_down(c->agent, NULL);
      c->crashed = true;
      c->down = true;
      c->restart_at = task_now(NULL) + (ms > 0 ? ms : 0);
      snprintf(d, sizeof d, "restart after %lld ms", (long long)ms);
    } else {
      ecsb_log(ECSB_LOG_WARN, "unknown fault action", "action", act, NULL);
      continue;
    }
    logf_action(act, d);
  }
  cJSON_Delete(doc);
}

/* The server IP file as discover-servers writes it: an IPv4 address,
 * perhaps with surrounding whitespace. */
static bool read_server_ip(const char *path, char *ip, size_t cap) {
  char *text = NULL;
  size_t len = 0;
  ecsb_err e = {0};
  if (ecsb_read_file(path, 256, &text, &len, &e))
    return false;
  char *s = text;
  while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
    s++;
  size_t n = strcspn(s, " \t\r\n");
  s[n] = '\0';
  struct in_addr a;
  bool ok = n > 0 && n < cap && inet_pton(AF_INET, s, &a) == 1;
  if (ok)
    snprintf(ip, cap, "%s", s);
  free(text);
  return ok;
}

int scn_standin_consul_main(int argc, char **argv) {
  const char *ip_file = NULL, *bind = NULL, *node = NULL, *control = NULL,
             *scale_s = NULL, *version = NULL;
  int64_t port = 8500, server_port = 8500, retry_max = 0;
  bool no_leave = false;
  int64_t retry_ns = 30 * ECSB_NS_PER_S, wait_ns = 600 * ECSB_NS_PER_S,
          sync_ns = 0;
  ecsb_flag flags[] = {
      {"server-ip-file", NULL, ECSB_FLAG_STRING, &ip_file, 0, 0, "FILE",
       "the file discover-servers writes (required)", NULL},
      {"bind", NULL, ECSB_FLAG_STRING, &bind, 0, 0, "IP",
       "the task's loopback address (required)", NULL},
      {"port", NULL, ECSB_FLAG_INT, &port, 1, 65535, "PORT",
       "agent HTTP API port (default 8500)", NULL},
      {"server-port", NULL, ECSB_FLAG_INT, &server_port, 1, 65535, "PORT",
       "the server's HTTP port (default 8500)", NULL},
      {"node", NULL, ECSB_FLAG_STRING, &node, 0, 0, "NAME",
       "node name (default ecsboot-<bind ip>)", NULL},
      {"retry-interval", NULL, ECSB_FLAG_DURATION, &retry_ns, ECSB_NS_PER_MS,
       3600 * ECSB_NS_PER_S, "DURATION",
       "between join attempts, as -retry-interval (default 30s)", NULL},
      {"retry-max", NULL, ECSB_FLAG_INT, &retry_max, 0, 1000000, "N",
       "give up after N join attempts (default 0: only --wait-timeout)", NULL},
      {"wait-timeout", NULL, ECSB_FLAG_DURATION, &wait_ns, ECSB_NS_PER_MS,
       24 * 3600 * ECSB_NS_PER_S, "DURATION",
       "give up when not joined by then (default 10m)", NULL},
      {"time-scale", NULL, ECSB_FLAG_STRING, &scale_s, 0, 0, "X",
       "multiplies check intervals and TTLs (default 1)", NULL},
      {"sync-delay", NULL, ECSB_FLAG_DURATION, &sync_ns, 0,
       3600 * ECSB_NS_PER_S, "DURATION",
       "from a change to the server seeing it (default 0s)", NULL},
      {"no-leave-on-terminate", NULL, ECSB_FLAG_BOOL, &no_leave, 0, 0, NULL,
       "exit on SIGTERM without leaving the cluster (Consul's "
       "leave_on_terminate = false): the server keeps the node and its "
       "checks",
       NULL},
      {"consul-version", NULL, ECSB_FLAG_STRING, &version, 0, 0, "X.Y.Z",
       "the Consul release the agent reports in /v1/agent/self (default "
       "fake-consul's, 1.15.11)",
       NULL},
      {"control-file", NULL, ECSB_FLAG_STRING, &control, 0, 0, "FILE",
       "fault instructions from the runner (default <ip file dir>/"
       "consul-client.control)",
       NULL},
  };
  ecsb_flagset fs = {.command = "ecsboot consul-client",
                     .summary = "A fake Consul agent that joins the server "
                                "named in the server IP file.",
                     .flags = flags,
                     .n_flags = sizeof flags / sizeof flags[0]};
  ecsb_err err = {0};
  int rc = ecsb_flags_parse(&fs, argc - 1, argv + 1, NULL, 0, NULL, &err);
  if (rc == ECSB_FLAGS_HELP) {
    ecsb_flags_usage(&fs, stdout);
    return 0;
  }
  double scale = 1;
  if (!rc && scale_s) {
    char *end;
    scale = strtod(scale_s, &end);
    if (*end || !(scale > 0 && scale <= 1000))
      rc = ecsb_err_set(&err, ECSB_EINVAL,
                        "--time-scale: expected a number in (0, 1000]");
  }
  struct in_addr ia;
  if (!rc && (!ip_file || !bind))
    rc = ecsb_err_set(&err, ECSB_EINVAL,
                      "--server-ip-file and --bind are required");
  if (!rc &&
      (inet_pton(AF_INET, bind, &ia) != 1 || (ntohl(ia.s_addr) >> 24) != 127))
    rc = ecsb_err_set(&err, ECSB_EINVAL,
                      "--bind: \"%s\" is not an address in 127.0.0.0/8", bind);
  client cl = {0};
  if (rc) {
    fprintf(stderr, "ecsboot consul-client: %s\n", err.msg);
    return 1;
  }
  char ctl[4096];
  if (!control) {
    const char *slash = strrchr(ip_file, '/');
    snprintf(ctl, sizeof ctl, "%.*s%sconsul-client.control",
             slash ? (int)(slash - ip_file) : 0, ip_file, slash ? "/" : "");
    control = ctl;
  }
  char node_buf[128];
  if (!node) {
    snprintf(node_buf, sizeof node_buf, "ecsboot-%s", bind);
    node = node_buf;
  }
  fcon_agent_config c;
  fcon_agent_config_default(&c);
  c.bind_ip = bind;
  c.port = (uint16_t)port;
  c.node_name = node;
  if (version)
    c.version = version;
  c.time_scale = scale;
  c.sync_delay_ms = sync_ns / ECSB_NS_PER_MS;
  /* clock_us NULL: ecsb_mono_us, the task's clock (followed since the
   * start) */
  /* In a replay the container's seed (which the runner draws from the
   * scenario's): checks start staggered, as a Consul agent's do, and the
   * same way in every replay. Run by hand: at once. */
  int64_t seed = 0;
  if (ecsb_retry_seed_env(&seed, &err) != 0) {
    fprintf(stderr, "ecsboot consul-client: %s\n", err.msg);
    return 1;
  }
  c.check_stagger_seed = (uint64_t)seed;
  cl.control = control;
  /* Signals are taken synchronously (sigtimedwait) by this thread alone:
   * blocked before the agent's threads exist, so they inherit the mask.
   * An idle agent then sleeps instead of polling a flag. */
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &sigs, NULL);
  /* The control file's faults are in place before the API opens: a
   * fault from the scenario's start meets mesh-init's first request. */
  c.start_down = true;
  if (fcon_agent_start(&c, &cl.agent, &err)) {
    fprintf(stderr, "ecsboot consul-client: %s\n", err.msg);
    return 1;
  }
  apply_control(&cl);
  if (!cl.down && fcon_agent_up(cl.agent, &err)) {
    fprintf(stderr, "ecsboot consul-client: %s\n", err.msg);
    fcon_agent_stop(cl.agent);
    return 1;
  }
  char port_s[16];
  snprintf(port_s, sizeof port_s, "%lld", (long long)port);
  ecsb_log(ECSB_LOG_INFO,
           cl.down ? "agent API down (control file)" : "agent API listening",
           "addr", bind, "port", port_s, "node", node, NULL);

  int64_t start = task_now(NULL), next_try = start;
  int64_t retry_ms = retry_ns / ECSB_NS_PER_MS;
  int64_t attempts = 0;
  char server[64] = "";
  bool joined = false;
  int code = 0;
  bool stop = false;
  while (!stop) {
    int64_t now = task_now(NULL);
    if (cl.crashed && now >= cl.restart_at) {
      cl.crashed = false;
      if (fcon_agent_up(cl.agent, &err) == 0)
        cl.down = false;
      ecsb_log(ECSB_LOG_INFO, "agent restarted", NULL);
      next_try = now;
    }
    if (!joined && !cl.crashed && now >= next_try) {
      if (now - start >= wait_ns / ECSB_NS_PER_MS ||
          (retry_max > 0 && attempts >= retry_max)) {
        fprintf(stderr,
                "ecsboot consul-client: not joined after %lld attempts "
                "in %lld ms (server IP file %s%s)\n",
                (long long)attempts, (long long)(now - start), ip_file,
                server[0] ? "" : " never held an address");
        code = 1;
        break;
      }
      char ip[64];
      if (read_server_ip(ip_file, ip, sizeof ip)) {
        char addr[96];
        snprintf(addr, sizeof addr, "%s:%lld", ip, (long long)server_port);
        snprintf(server, sizeof server, "%s", ip);
        attempts++;
        ecsb_err je = {0};
        char att[24];
        snprintf(att, sizeof att, "%lld", (long long)attempts);
        if (fcon_agent_join_addr(cl.agent, addr, &je) == 0) {
          joined = true;
          ecsb_log(ECSB_LOG_INFO, "joined server", "server", addr, "attempts",
                   att, NULL);
        } else {
          ecsb_log(ECSB_LOG_WARN, "join failed, retrying", "server", addr,
                   "attempts", att, "error", je.msg, NULL);
        }
        next_try = task_now(NULL) + (joined ? 0 : retry_ms);
      } else {
        next_try = now + FILE_POLL_MS; /* the file is not there yet */
      }
    }
    int64_t until = now + IDLE_MS;
    if (!joined && !cl.crashed && next_try < until)
      until = next_try;
    if (cl.crashed && cl.restart_at < until)
      until = cl.restart_at;
    /* A wall-clock wait of that length; task time may lag behind it, and
     * the loop then waits again for the rest. */
    int64_t wait = until - task_now(NULL);
    int64_t host_ms = ecsb_clock_host_wait_us(until * 1000) / 1000;
    if (host_ms > wait)
      wait = host_ms; /* the reading stands after a charge of lag */
    if (wait < 0)
      wait = 0;
    struct timespec ts = {.tv_sec = wait / 1000,
                          .tv_nsec = (wait % 1000) * 1000000};
    int sig = sigtimedwait(&sigs, NULL, &ts);
    if (sig == SIGUSR1) {
      apply_control(&cl);
      if (cl.crashed)
        joined = false;
    } else if (sig == SIGTERM || sig == SIGINT) {
      stop = true;
    }
  }
  if (joined && !no_leave)
    fcon_agent_leave(cl.agent);
  fcon_agent_stop(cl.agent);
  if (!code)
    ecsb_log(ECSB_LOG_INFO, "left the cluster and stopped", NULL);
  return code;
}
