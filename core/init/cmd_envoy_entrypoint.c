/*
 * cmd_envoy_entrypoint.c - `ecsboot-init envoy-entrypoint [flags] -- CMD...`:
 * the entrypoint (PID 1) of the sidecar-proxy container.
 *
 * It runs CMD (Envoy) as its only child and lives exactly as long as it:
 * SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are forwarded at once, and
 * the child's exit status becomes ours (128+N for signal N). SIGTERM, which
 * ECS sends to every container of a stopping task at the same moment, is
 * not forwarded: the proxy must keep carrying the application's traffic
 * until the application has finished. So SIGTERM starts a drain that polls
 * the task metadata until every application container is STOPPED (or
 * --grace-period passes), then sends SIGTERM to the child, and SIGKILL if it
 * is still alive --stop-timeout later. A second SIGTERM ends the drain at
 * once (an operator insisting).
 *
 * Invariants:
 *  - never a shell: CMD is exec'd directly (fork + execvp), and a CMD that
 *    cannot be exec'd is exit 127 with the reason;
 *  - the child is in its own process group, so a signal for our group (a
 *    terminal, `kill -- -PGID`) reaches the proxy only through us, and it
 *    has PR_SET_PDEATHSIG(SIGKILL), so it never outlives a SIGKILLed us;
 *  - signals go through a self-pipe read by one poll(2) loop, so none is
 *    lost between a check and a wait;
 *  - every wait of the drain is bounded: each metadata read is cut to the
 *    time left, and the drain by --grace-period, the stop by
 *    --stop-timeout. Only the proxy running normally has no deadline: the
 *    proxy's lifetime is the container's.
 * As PID 1 it also reaps orphans re-parented to it.
 */
/* pipe2 (Linux). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"
#include "ecsb/clock.h"
#include "ecsb/duration.h"
#include "ecsb/http.h"
#include "ecsb/metadata.h"

#define EXIT_CANNOT_EXEC 127

typedef struct ep_flags {
  const char *wait_for, *exclude, *log_level;
  int64_t grace, poll, stop_timeout;
  init_retry ir; /* request_timeout: one metadata read */
} ep_flags;

typedef enum ep_phase {
  PH_RUNNING,  /* the proxy runs; no SIGTERM yet */
  PH_DRAINING, /* SIGTERM seen: waiting for the application containers */
  PH_STOPPING, /* SIGTERM sent to the proxy; SIGKILL at kill_at */
  PH_KILLED,   /* SIGKILL sent; waiting for the kernel to reap it */
} ep_phase;

typedef struct ep {
  ep_flags *f;
  char **wait_for, **exclude; /* NULL-terminated */
  size_t n_wait_for;
  pid_t child;
  bool exited;
  int status; /* the child's wait status once exited */
  ep_phase phase;
  int64_t drain_end_ms, next_poll_ms, kill_at_ms;
  const char *md; /* ECS_CONTAINER_METADATA_URI_V4 */
  ecsb_http_client *mh;
  char *self; /* our container's name, once the metadata told us */
  char last_err[ECSB_ERR_MSG_MAX];
  char last_waiting[512];
  bool warned_missing;
} ep;

/* Containers of the Consul-on-ECS machinery, never application
 * containers: consul-ecs's and ecsboot's conventional names. The proxy's
 * own container is excluded by the name the metadata gives it. */
static const char *const helper_names[] = {
    "consul-client",
    "consul-dataplane",
    "consul-ecs-mesh-init",
    "consul-ecs-health-sync",
    "consul-ecs-control-plane",
    "discover-servers",
    "mesh-init",
    "health-sync",
    "sidecar-proxy",
};

/* ---- signals --------------------------------------------------------- */

/* The handler can reach nothing but statics: the write end of the
 * self-pipe, and a flag that cuts a metadata retry's backoff sleep short
 * so a signal is handled within one request. Set before any handler is
 * installed. */
static int g_sig_wfd = -1;
static volatile sig_atomic_t g_sig_pending;

/* SIGTERM starts the drain, SIGCHLD wakes the loop, the rest are
 * forwarded. */
static const int handled[] = {SIGTERM, SIGCHLD, SIGINT, SIGHUP,
                              SIGQUIT, SIGUSR1, SIGUSR2};
#define N_HANDLED (sizeof handled / sizeof handled[0])

static void on_signal(int sig) {
  int saved = errno;
  unsigned char b = (unsigned char)sig;
  /* A full pipe (64 KiB of unread signals) drops this one; SIGCHLD is
   * harmless to drop since every loop turn reaps anyway. */
  ssize_t n = write(g_sig_wfd, &b, 1);
  (void)n;
  g_sig_pending = 1;
  errno = saved;
}

static int install_handlers(ecsb_err *err) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigfillset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  for (size_t i = 0; i < N_HANDLED; i++)
    if (sigaction(handled[i], &sa, NULL) != 0)
      return ecsb_err_set(err, ECSB_EINTERNAL, "sigaction(%d): %s", handled[i],
                          strerror(errno));
  return 0;
}

static const char *sig_name(int sig) {
  switch (sig) {
  case SIGTERM:
    return "SIGTERM";
  case SIGINT:
    return "SIGINT";
  case SIGHUP:
    return "SIGHUP";
  case SIGQUIT:
    return "SIGQUIT";
  case SIGUSR1:
    return "SIGUSR1";
  case SIGUSR2:
    return "SIGUSR2";
  case SIGKILL:
    return "SIGKILL";
  default:
    return "signal";
  }
}

/* ---- the child ------------------------------------------------------- */

/* In the forked child: only async-signal-safe calls until execvp. Every
 * signal is blocked on entry (the parent blocked them around fork), so our
 * handlers, which would write into the parent's self-pipe, can never run
 * here; they are reset before the mask is cleared for the new program. */
static void child_exec(char **cmd, pid_t parent, int efd) {
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (size_t i = 0; i < N_HANDLED; i++)
    sigaction(handled[i], &dfl, NULL);
  setpgid(0, 0);
  /* The death signal is tied to the thread that forked: ours is the main
   * thread, which lives until we exit. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  int e = 0;
  if (getppid() != parent) {
    e = ESRCH; /* the parent died before prctl took effect */
  } else {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execvp(cmd[0], cmd);
    e = errno;
  }
  ssize_t n = write(efd, &e, sizeof e);
  (void)n;
  _exit(EXIT_CANNOT_EXEC);
}

/* Starts cmd. A command that cannot be exec'd is reported through a
 * close-on-exec pipe, so "started" means exec succeeded. */
static int spawn_child(char **cmd, pid_t *out, ecsb_err *err) {
  int xp[2];
  if (pipe2(xp, O_CLOEXEC) != 0)
    return ecsb_err_set(err, ECSB_EIO, "pipe: %s", strerror(errno));
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    close(xp[0]);
    child_exec(cmd, parent, xp[1]);
  }
  int fork_errno = errno;
  sigprocmask(SIG_SETMASK, &old, NULL);
  close(xp[1]);
  if (pid < 0) {
    close(xp[0]);
    return ecsb_err_set(err, ECSB_EIO, "fork: %s", strerror(fork_errno));
  }
  /* Also from this side, so the group exists whichever runs first. */
  setpgid(pid, pid);
  int e = 0;
  ssize_t n;
  do
    n = read(xp[0], &e, sizeof e);
  while (n < 0 && errno == EINTR);
  close(xp[0]);
  if (n == (ssize_t)sizeof e) {
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
      ;
    return ecsb_err_set(err, ECSB_ENOTFOUND, "cannot run \"%s\": %s", cmd[0],
                        strerror(e));
  }
  *out = pid;
  return 0;
}

/* Reaps every exited child (orphans re-parented to PID 1 included), noting
 * the proxy's status. Bounded: at most this many per turn. */
static void reap(ep *e) {
  for (int i = 0; i < 1024; i++) {
    int st = 0;
    pid_t p = waitpid(-1, &st, WNOHANG);
    if (p <= 0)
      return;
    if (p == e->child && !e->exited) {
      e->exited = true;
      e->status = st;
    }
  }
}

static int exit_code_of(int st) {
  if (WIFEXITED(st))
    return WEXITSTATUS(st);
  if (WIFSIGNALED(st))
    return 128 + WTERMSIG(st);
  return 1;
}

static void signal_child(ep *e, int sig) {
  if (!e->exited && kill(e->child, sig) != 0 && errno != ESRCH)
    ecsb_log(ECSB_LOG_WARN, "cannot signal the proxy", "signal", sig_name(sig),
             "error", strerror(errno), NULL);
}

static void stop_child(ep *e, const char *why) {
  ecsb_log(ECSB_LOG_INFO, "stopping the proxy", "reason", why, NULL);
  signal_child(e, SIGTERM);
  e->phase = PH_STOPPING;
  e->kill_at_ms = ecsb_mono_ms() + e->f->stop_timeout / ECSB_NS_PER_MS;
}

/* ---- the drain ------------------------------------------------------- */

static bool listed(char **names, const char *name) {
  for (size_t i = 0; names && names[i]; i++)
    if (strcmp(names[i], name) == 0)
      return true;
  return false;
}

static bool is_app(const ep *e, const char *name) {
  if (e->self && strcmp(name, e->self) == 0)
    return false;
  for (size_t i = 0; i < sizeof helper_names / sizeof helper_names[0]; i++)
    if (strcmp(name, helper_names[i]) == 0)
      return false;
  return !listed(e->exclude, name);
}

static void note_metadata_error(ep *e, const ecsb_err *err) {
  if (strcmp(err->msg, e->last_err) != 0)
    ecsb_log(ECSB_LOG_WARN, err->msg, NULL);
  snprintf(e->last_err, sizeof e->last_err, "%s", err->msg);
}

/* One poll (name and task reads together) may take at most the poll
 * interval, at least a tenth of --request-timeout and at most all of it
 * (200 ms and 2 s by default), and never run past the end of the grace
 * period; returns that budget (<= 0: no time left). */
static int64_t poll_budget_ms(const ep *e) {
  int64_t budget = e->f->poll / ECSB_NS_PER_MS,
          req = init_request_ms(&e->f->ir);
  int64_t lo = req / 10 > 0 ? req / 10 : 1;
  budget = budget < lo ? lo : budget > req ? req : budget;
  int64_t left = e->drain_end_ms - ecsb_mono_ms();
  return e->phase == PH_DRAINING && left < budget ? left : budget;
}

static void learn_self(ep *e, int64_t timeout_ms) {
  if (e->self || e->n_wait_for || timeout_ms <= 0)
    return;
  ecsb_err err = {0};
  if (ecsb_container_name_fetch(e->mh, e->md, timeout_ms, &e->self, &err) == 0)
    ecsb_log(ECSB_LOG_DEBUG, "own container", "name", e->self, NULL);
  else
    note_metadata_error(e, &err);
}

/* One look at the task. Returns true when no container we wait for is
 * still running; false while one is, or when the metadata could not be
 * read (the grace period then bounds the wait). */
static bool apps_stopped(ep *e) {
  int64_t t0 = ecsb_mono_ms(), budget = poll_budget_ms(e);
  learn_self(e, budget);
  budget -= ecsb_mono_ms() - t0;
  if (budget <= 0) /* ecsb_retry would read 0 as "no deadline" */
    return false;
  ecsb_retry r;
  init_retry_start(&e->f->ir, &r, budget * ECSB_NS_PER_MS, e->f->ir.interval,
                   e->f->ir.max_interval, (volatile int *)&g_sig_pending);
  ecsb_task_meta *tm = NULL;
  ecsb_err err = {0};
  if (ecsb_task_meta_fetch(e->mh, e->md, &r, &tm, &err) != 0) {
    note_metadata_error(e, &err);
    return false;
  }
  e->last_err[0] = '\0';
  char waiting[512] = "";
  size_t wl = 0;
  bool running = false;
  for (size_t i = 0; i < tm->n_containers; i++) {
    const ecsb_task_container *c = &tm->containers[i];
    bool wanted =
        e->n_wait_for ? listed(e->wait_for, c->name) : is_app(e, c->name);
    if (!wanted || strcmp(c->known_status, "STOPPED") == 0)
      continue;
    running = true;
    int n =
        snprintf(waiting + wl, sizeof waiting - wl, "%s%s:%s", wl ? "," : "",
                 c->name, *c->known_status ? c->known_status : "UNKNOWN");
    if (n > 0 && (size_t)n < sizeof waiting - wl)
      wl += (size_t)n;
  }
  /* A --wait-for name the task does not have cannot be waited for: said
   * once, as it is most likely a typo in the task definition. */
  for (size_t i = 0; i < e->n_wait_for && !e->warned_missing; i++)
    if (!ecsb_task_meta_container(tm, e->wait_for[i]))
      ecsb_log(ECSB_LOG_WARN, "flag -wait-for names no container of the task",
               "container", e->wait_for[i], NULL);
  e->warned_missing = true;
  ecsb_task_meta_free(tm);
  if (running && strcmp(waiting, e->last_waiting) != 0)
    ecsb_log(ECSB_LOG_INFO, "waiting for application containers", "containers",
             waiting, NULL);
  snprintf(e->last_waiting, sizeof e->last_waiting, "%s",
           running ? waiting : "");
  return !running;
}

static void start_drain(ep *e) {
  int64_t grace_ms = e->f->grace / ECSB_NS_PER_MS;
  if (grace_ms <= 0) {
    stop_child(e, "SIGTERM (no grace period)");
    return;
  }
  char gs[32];
  snprintf(gs, sizeof gs, "%lldms", (long long)grace_ms);
  ecsb_log(ECSB_LOG_INFO, "SIGTERM: waiting for the application to stop",
           "grace_period", gs, NULL);
  e->phase = PH_DRAINING;
  e->drain_end_ms = ecsb_mono_ms() + grace_ms;
  e->next_poll_ms = 0;
}

static void on_sigterm(ep *e) {
  switch (e->phase) {
  case PH_RUNNING:
    start_drain(e);
    break;
  case PH_DRAINING:
    stop_child(e, "second SIGTERM");
    break;
  case PH_STOPPING:
    signal_child(e, SIGTERM);
    break;
  case PH_KILLED:
    break;
  }
}

/* poll(2) timeout for the current phase. */
static int wait_ms(const ep *e) {
  int64_t now = ecsb_mono_ms(), until;
  switch (e->phase) {
  case PH_DRAINING:
    until =
        e->next_poll_ms < e->drain_end_ms ? e->next_poll_ms : e->drain_end_ms;
    break;
  case PH_STOPPING:
    until = e->kill_at_ms;
    break;
  default:
    return -1;
  }
  int64_t d = until - now;
  return d <= 0 ? 0 : d > 60000 ? 60000 : (int)d;
}

static void handle_signals(ep *e, int rfd) {
  g_sig_pending = 0;
  unsigned char buf[64];
  for (int i = 0; i < 64; i++) {
    ssize_t n = read(rfd, buf, sizeof buf);
    if (n <= 0)
      return;
    for (ssize_t j = 0; j < n; j++) {
      int sig = buf[j];
      if (sig == SIGCHLD)
        continue; /* the loop reaps every turn */
      if (sig == SIGTERM) {
        on_sigterm(e);
        continue;
      }
      ecsb_log(ECSB_LOG_INFO, "forwarding signal", "signal", sig_name(sig),
               NULL);
      signal_child(e, sig);
    }
  }
}

static void loop(ep *e, int rfd) {
  for (;;) {
    reap(e);
    if (e->exited)
      return;
    struct pollfd p = {.fd = rfd, .events = POLLIN};
    if (poll(&p, 1, wait_ms(e)) < 0 && errno != EINTR)
      ecsb_sleep_ms(10, NULL); /* ENOMEM: do not spin */
    handle_signals(e, rfd);
    reap(e);
    if (e->exited)
      return;
    int64_t now = ecsb_mono_ms();
    if (e->phase == PH_DRAINING && now >= e->drain_end_ms) {
      stop_child(e, "grace period over");
    } else if (e->phase == PH_DRAINING && now >= e->next_poll_ms) {
      if (apps_stopped(e))
        stop_child(e, "application containers stopped");
      else
        e->next_poll_ms = ecsb_mono_ms() + e->f->poll / ECSB_NS_PER_MS;
    }
    if (e->phase == PH_STOPPING && ecsb_mono_ms() >= e->kill_at_ms) {
      ecsb_log(ECSB_LOG_WARN, "the proxy ignored SIGTERM: sending SIGKILL",
               NULL);
      signal_child(e, SIGKILL);
      e->phase = PH_KILLED;
    }
  }
}

/* ---- the command ----------------------------------------------------- */

static int check_names(char **names, const char *flag, ecsb_err *err) {
  for (size_t i = 0; names && names[i]; i++) {
    const char *s = names[i];
    size_t n = strlen(s);
    bool ok = n > 0 && n <= 255;
    for (size_t j = 0; ok && j < n; j++)
      ok = (s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z') ||
           (s[j] >= '0' && s[j] <= '9') || s[j] == '-' || s[j] == '_';
    if (!ok)
      return ecsb_err_set(err, ECSB_EINVAL,
                          "flag -%s: \"%s\" is not an ECS container name "
                          "(1-255 letters, digits, '-', '_')",
                          flag, s);
  }
  return 0;
}

static int run(ep_flags *f, char **cmd, ecsb_err *err) {
  ep e = {.f = f, .md = getenv(ECSB_METADATA_ENV)};
  int pfd[2] = {-1, -1};
  size_t n_excl = 0;
  int rc = ecsb_split_list(f->wait_for ? f->wait_for : "", "flag -wait-for",
                           &e.wait_for, &e.n_wait_for, err);
  if (rc || (rc = ecsb_split_list(f->exclude ? f->exclude : "", "flag -exclude",
                                  &e.exclude, &n_excl, err)))
    goto out;
  if ((rc = check_names(e.wait_for, "wait-for", err)) ||
      (rc = check_names(e.exclude, "exclude", err)))
    goto out;
  if (pipe2(pfd, O_CLOEXEC | O_NONBLOCK) != 0) {
    rc = ecsb_err_set(err, ECSB_EIO, "pipe: %s", strerror(errno));
    goto out;
  }
  g_sig_wfd = pfd[1];
  if ((rc = install_handlers(err)))
    goto out;
  /* Before any HTTP use, so no resolver thread exists at fork. */
  if ((rc = spawn_child(cmd, &e.child, err)))
    goto out;
  ecsb_log(ECSB_LOG_INFO, "proxy started", "command", cmd[0], NULL);
  ecsb_http_opts ho;
  ecsb_http_opts_default(&ho);
  ho.max_retries = 0;
  ho.max_body = 1u << 20;
  ho.timeout_ms = init_request_ms(&f->ir);
  ho.connect_timeout_ms = (ho.timeout_ms + 1) / 2;
  if (!(e.mh = ecsb_http_client_new(&ho, err))) {
    /* The proxy runs; without a client the drain is the grace period. */
    ecsb_log(ECSB_LOG_WARN, err->msg, NULL);
  }
  if (e.mh && f->grace > 0)
    learn_self(&e, poll_budget_ms(&e));
  loop(&e, pfd[0]);
  int code = exit_code_of(e.status);
  char cs[16];
  snprintf(cs, sizeof cs, "%d", code);
  ecsb_log(ECSB_LOG_INFO, "proxy exited", "code", cs, "signal",
           WIFSIGNALED(e.status) ? sig_name(WTERMSIG(e.status)) : "", NULL);
  rc = code;
out:
  ecsb_http_client_free(e.mh);
  free(e.self);
  ecsb_strv_free(e.wait_for);
  ecsb_strv_free(e.exclude);
  /* Handlers stay installed until exit; the pipe stays open with them. */
  return rc;
}

int cmd_envoy_entrypoint(int argc, char **argv) {
  ep_flags f = {.grace = 25 * ECSB_NS_PER_S,
                .poll = ECSB_NS_PER_S,
                .stop_timeout = 10 * ECSB_NS_PER_S,
                .ir = {.interval = 100 * ECSB_NS_PER_MS,
                       .max_interval = 500 * ECSB_NS_PER_MS,
                       .request_timeout = 2 * ECSB_NS_PER_S}};
  const ecsb_flag flags[] = {
      {"grace-period", NULL, ECSB_FLAG_DURATION, &f.grace, 0,
       3600 * ECSB_NS_PER_S, "DURATION",
       "after SIGTERM, keep the proxy up at most this long waiting for the "
       "application containers (default 25s; 0: stop it at once)",
       NULL},
      {"poll-interval", NULL, ECSB_FLAG_DURATION, &f.poll, 10 * ECSB_NS_PER_MS,
       60 * ECSB_NS_PER_S, "DURATION",
       "how often to read the task metadata while waiting (default 1s)", NULL},
      {"wait-for", NULL, ECSB_FLAG_STRING, &f.wait_for, 0, 0, "C1,C2",
       "wait for exactly these containers (default: every container but "
       "this one and the Consul ones)",
       NULL},
      {"exclude", NULL, ECSB_FLAG_STRING, &f.exclude, 0, 0, "C1,C2",
       "also do not wait for these containers", NULL},
      {"stop-timeout", NULL, ECSB_FLAG_DURATION, &f.stop_timeout,
       10 * ECSB_NS_PER_MS, 3600 * ECSB_NS_PER_S, "DURATION",
       "SIGKILL the proxy if it is still running this long after our "
       "SIGTERM (default 10s)",
       NULL},
      {"retry-interval", NULL, ECSB_FLAG_DURATION, &f.ir.interval,
       ECSB_NS_PER_MS / 1000, 3600 * ECSB_NS_PER_S, "DURATION",
       "first backoff ceiling of a failed metadata read within one poll, "
       "doubling each retry (default 100ms)",
       NULL},
      {"max-retry-interval", NULL, ECSB_FLAG_DURATION, &f.ir.max_interval,
       ECSB_NS_PER_MS / 1000, 3600 * ECSB_NS_PER_S, "DURATION",
       "retry backoff ceiling cap (default 500ms)", NULL},
      {"request-timeout", NULL, ECSB_FLAG_DURATION, &f.ir.request_timeout,
       ECSB_NS_PER_MS, 3600 * ECSB_NS_PER_S, "DURATION",
       "one task metadata read at most this long; one poll's reads at most "
       "this and at least a tenth of it (default 2s)",
       NULL},
      INIT_RETRY_SEED_FLAG(f.ir),
      {"log-level", NULL, ECSB_FLAG_STRING, &f.log_level, 0, 0, "LEVEL",
       "debug, info, warn, error or off (default info)", NULL},
  };
  const ecsb_flagset fs = {
      .command = "ecsboot-init envoy-entrypoint",
      .args = "-- COMMAND [ARGS...]",
      .summary =
          "Runs COMMAND (Envoy) as a child and forwards SIGINT, SIGHUP, "
          "SIGQUIT, SIGUSR1, SIGUSR2.\nOn SIGTERM it keeps the proxy running "
          "until the task's application containers\nhave stopped (task "
          "metadata) or --grace-period passed, then sends it SIGTERM.\nA "
          "second SIGTERM stops the proxy at once.",
      .flags = flags,
      .n_flags = sizeof flags / sizeof flags[0],
      .epilog = "Environment: ECS_CONTAINER_METADATA_URI_V4, "
                "ECSBOOT_RETRY_SEED, ECSBOOT_EVENTS,\nECSBOOT_TASK, "
                "ECSBOOT_CONTAINER. Exit codes: the proxy's (128+N when it\n"
                "died of signal N), 127 COMMAND cannot be run, 1 usage or "
                "configuration error.\n",
  };
  /* Everything after the first "--" is the command, untouched: its own
   * flags must never be read as ours. */
  int split = -1;
  for (int i = 0; i < argc; i++)
    if (strcmp(argv[i], "--") == 0) {
      split = i;
      break;
    }
  char *pos[1];
  size_t np = 0;
  if (split < 0) {
    /* Without "--" the proxy command's first word (or its first flag) reads
     * as a bad argument of ours; say what is missing rather than that. */
    ecsb_err perr = {0};
    int prc = ecsb_flags_parse(&fs, argc, argv, pos, 1, &np, &perr);
    if (prc == ECSB_FLAGS_HELP) {
      ecsb_flags_usage(&fs, stdout);
      return INIT_EXIT_OK;
    }
    if (prc)
      fprintf(stderr, "%s: %s; ", fs.command, perr.msg);
    else if (np)
      fprintf(stderr, "%s: \"%s\" is not a flag; ", fs.command, pos[0]);
    else
      fprintf(stderr, "%s: no proxy command; ", fs.command);
    fprintf(stderr,
            "the proxy command goes after \"--\": %s [flags] -- "
            "COMMAND [ARGS...]\n",
            fs.command);
    return INIT_EXIT_USAGE;
  }
  int ex = init_parse_flags(&fs, split, argv, pos, 0, &np);
  if (ex >= 0)
    return ex;
  if ((ex = init_set_log_level(f.log_level)) >= 0)
    return ex;
  if (split + 1 >= argc) {
    fprintf(stderr,
            "%s: no proxy command after \"--\": %s [flags] -- COMMAND "
            "[ARGS...]\n",
            fs.command, fs.command);
    return INIT_EXIT_USAGE;
  }
  if (f.wait_for && f.exclude) {
    fprintf(stderr,
            "%s: flags -wait-for and -exclude cannot be combined (-exclude "
            "narrows the default set, -wait-for replaces it)\n",
            fs.command);
    return INIT_EXIT_USAGE;
  }
  const char *md = getenv(ECSB_METADATA_ENV);
  if (f.grace > 0 && (!md || (strncmp(md, "http://", 7) != 0 &&
                              strncmp(md, "https://", 8) != 0))) {
    fprintf(stderr,
            "%s: %s is %s: the task metadata is needed to wait for the "
            "application on SIGTERM (outside ECS, use --grace-period=0)\n",
            fs.command, ECSB_METADATA_ENV,
            md ? "not an http(s) URL" : "not set");
    return INIT_EXIT_USAGE;
  }
  if (f.ir.max_interval < f.ir.interval) {
    fprintf(stderr,
            "%s: flag -max-retry-interval must not be below "
            "-retry-interval\n",
            fs.command);
    return INIT_EXIT_USAGE;
  }
  if ((ex = init_retry_setup(&f.ir, "envoy-entrypoint")) >= 0)
    return ex;
  ecsb_err err = {0};
  int rc = run(&f, argv + split + 1, &err);
  init_retry_close(&f.ir);
  if (rc >= 0)
    return rc;
  if (err.code == ECSB_ENOTFOUND) {
    ecsb_log(ECSB_LOG_ERROR, err.msg, "cmd", "envoy-entrypoint", NULL);
    return EXIT_CANNOT_EXEC;
  }
  return init_fail("envoy-entrypoint", &err);
}
