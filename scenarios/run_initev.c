/*
 * run_initev.c - the receiving end of ecsboot-init's retry datagrams
 * (core/initev.c): one Linux abstract unix datagram socket per run, named
 * `@ecsboot-<runner pid>-<n>` and handed to every container as
 * ECSBOOT_EVENTS, read by one thread that records each retry as an
 * `init.retry` event (docs/events.md) through scn_run_emit, which stamps it
 * with the run's clock at receipt and keeps the log in order.
 *
 * The datagram names its task and container (ECSBOOT_TASK,
 * ECSBOOT_CONTAINER, set by the runner). Abstract sockets have no
 * permissions, so a datagram from another user is dropped (SO_PASSCRED),
 * and one that is not a well-formed retry is ignored. This thread touches
 * nothing of the run but scn_run_emit, the quiet flag (under r->mu) and the
 * scenario's time_scale.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ecsb/initev.h"
#include "ecsb/log.h"
#include "run_internal.h"

/* Names tried after one in use (a second run in the same process). */
#define INITEV_MAX_NAMES 1000
/* Datagrams read per wake-up before looking at the stop pipe again. */
#define INITEV_BATCH 64

struct scn_run_initev {
  scn_runner *r;
  int fd;
  int stop[2];
  pthread_t th;
  bool started;
  char addr[64]; /* "@ecsboot-<pid>-<n>" */
};

static bool name_ok(const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (n == 0 || n > ECSB_INITEV_NAME_MAX)
    return false;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
      return false;
  return true;
}

static const char *get_str(const cJSON *j, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double get_num(const cJSON *j, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);
  return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* One datagram -> one init.retry event; anything malformed is dropped. */
static void record(scn_run_initev *ev, const char *buf, size_t len) {
  cJSON *j = cJSON_ParseWithLength(buf, len);
  const char *kind = get_str(j, "kind"), *task = get_str(j, "task"),
             *ctr = get_str(j, "container"), *what = get_str(j, "what"),
             *cmd = get_str(j, "cmd"), *error = get_str(j, "error");
  double attempt = get_num(j, "attempt"), wait_us = get_num(j, "wait_us");
  if (!kind || strcmp(kind, "retry") != 0 || !name_ok(task) || !name_ok(ctr) ||
      !what || attempt < 1 || wait_us < 0) {
    cJSON_Delete(j);
    return;
  }
  scn_runner *r = ev->r;
  cJSON *d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "cmd", cmd ? cmd : "");
  cJSON_AddStringToObject(d, "what", what);
  cJSON_AddNumberToObject(d, "attempt", attempt);
  cJSON_AddNumberToObject(d, "wait_us", wait_us);
  /* the wait as the scenario sees it: wall time / time_scale */
  double scale = r->s->time_scale > 0 ? r->s->time_scale : 1;
  cJSON_AddNumberToObject(d, "wait_scenario_us",
                          (double)(int64_t)(wait_us / scale));
  cJSON_AddBoolToObject(
      d, "throttled",
      cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "throttled")));
  cJSON_AddStringToObject(d, "error", error ? error : "");
  pthread_mutex_lock(&r->mu);
  bool quiet = r->quiet;
  pthread_mutex_unlock(&r->mu);
  if (quiet)
    cJSON_Delete(d);
  else
    scn_run_emit(r, -1, "init.retry", task, ctr, d);
  cJSON_Delete(j);
}

/* Reads what is queued; false when the socket failed for good. */
static bool drain(scn_run_initev *ev) {
  uid_t me = getuid();
  for (int i = 0; i < INITEV_BATCH; i++) {
    char buf[2048];
    union {
      struct cmsghdr h;
      char space[CMSG_SPACE(sizeof(struct ucred))];
    } ctl;
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
    struct msghdr m = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = &ctl,
                       .msg_controllen = sizeof ctl};
    ssize_t n = recvmsg(ev->fd, &m, MSG_DONTWAIT);
    if (n < 0)
      return errno == EAGAIN || errno == EINTR;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    struct ucred cred;
    if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_CREDENTIALS ||
        (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
      continue;
    memcpy(&cred, CMSG_DATA(c), sizeof cred);
    if (cred.uid != me)
      continue;
    record(ev, buf, (size_t)n);
  }
  return true;
}

static void *initev_main(void *arg) {
  scn_run_initev *ev = arg;
  for (;;) {
    struct pollfd p[2] = {{.fd = ev->fd, .events = POLLIN},
                          {.fd = ev->stop[0], .events = POLLIN}};
    if (poll(p, 2, -1) < 0 && errno != EINTR)
      break;
    if (p[1].revents)
      break;
    if (p[0].revents && !drain(ev)) {
      ecsb_log(ECSB_LOG_WARN, "runner: retry events from ecsboot-init stop",
               "error", strerror(errno), NULL);
      break;
    }
  }
  return NULL;
}

static int bind_free_name(scn_run_initev *ev, ecsb_err *err) {
  int one = 1;
  ev->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (ev->fd < 0 ||
      setsockopt(ev->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0)
    return ecsb_err_set(err, ECSB_EIO, "retry event socket: %s",
                        strerror(errno));
  for (int n = 0; n < INITEV_MAX_NAMES; n++) {
    snprintf(ev->addr, sizeof ev->addr, "@ecsboot-%d-%d", (int)getpid(), n);
    struct sockaddr_un sa;
    socklen_t len;
    int rc = ecsb_initev_addr(ev->addr, &sa, &len, err);
    if (rc)
      return rc;
    if (bind(ev->fd, (struct sockaddr *)&sa, len) == 0)
      return 0;
    if (errno != EADDRINUSE)
      break;
  }
  return ecsb_err_set(err, ECSB_EIO, "retry event socket %s: bind: %s",
                      ev->addr, strerror(errno));
}

int scn_run_initev_start(scn_runner *r, ecsb_err *err) {
  scn_run_initev *ev = calloc(1, sizeof *ev);
  if (!ev)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  ev->r = r;
  ev->fd = ev->stop[0] = ev->stop[1] = -1;
  r->initev = ev;
  int rc = bind_free_name(ev, err);
  if (rc)
    return rc;
  if (pipe2(ev->stop, O_CLOEXEC) != 0)
    return ecsb_err_set(err, ECSB_EIO, "pipe: %s", strerror(errno));
  if ((rc = pthread_create(&ev->th, NULL, initev_main, ev)) != 0)
    return ecsb_err_set(err, ECSB_EINTERNAL,
                        "retry event thread: pthread_create: %s", strerror(rc));
  ev->started = true;
  return 0;
}

const char *scn_run_initev_addr(const scn_runner *r) {
  return r->initev && r->initev->started ? r->initev->addr : NULL;
}

void scn_run_initev_stop(scn_runner *r) {
  scn_run_initev *ev = r->initev;
  if (!ev)
    return;
  if (ev->started) {
    char b = 1;
    ssize_t n = write(ev->stop[1], &b, 1);
    (void)n; /* a pipe with room: the thread wakes */
    pthread_join(ev->th, NULL);
  }
  if (ev->fd >= 0)
    close(ev->fd);
  for (int i = 0; i < 2; i++)
    if (ev->stop[i] >= 0)
      close(ev->stop[i]);
  free(ev);
  r->initev = NULL;
}
