/*
 * initev.c - the retry datagrams of ecsboot-init (see initev.h). Called by
 * ecsb_retry_wait only; never fatal, never blocking for long: production
 * does not set ECSBOOT_EVENTS, and a harness that does must not be able
 * to change the outcome it is measuring.
 */
#include "ecsb/initev.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "ecsb/log.h"

int ecsb_initev_addr(const char *spec, struct sockaddr_un *sa, socklen_t *len,
                     ecsb_err *err) {
  size_t n = spec ? strlen(spec) : 0;
  bool ok = n >= 2 && n <= 101 && spec[0] == '@';
  for (size_t i = 1; ok && i < n; i++)
    ok = spec[i] > 0x20 && spec[i] < 0x7f;
  if (!ok)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s \"%.120s\": expected @NAME, the name of a Linux "
                        "abstract unix socket (1-100 printable characters)",
                        ECSB_INITEV_ENV, spec ? spec : "");
  memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  /* abstract namespace: a leading NUL, then the name, no terminator */
  memcpy(sa->sun_path + 1, spec + 1, n - 1);
  *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
  return 0;
}

static int copy_name(const char *var, char *dst, size_t cap, ecsb_err *err) {
  const char *v = getenv(var);
  if (!v)
    v = "";
  if (strlen(v) >= cap)
    return ecsb_err_set(err, ECSB_EINVAL, "%s is longer than %zu bytes", var,
                        cap - 1);
  memcpy(dst, v, strlen(v) + 1);
  return 0;
}

int ecsb_initev_open(ecsb_initev *ev, const char *cmd, ecsb_err *err) {
  memset(ev, 0, sizeof *ev);
  ev->fd = -1;
  ev->cmd = cmd;
  const char *spec = getenv(ECSB_INITEV_ENV);
  if (!spec)
    return 0;
  int rc = ecsb_initev_addr(spec, &ev->addr, &ev->addr_len, err);
  if (!rc)
    rc = copy_name("ECSBOOT_TASK", ev->task, sizeof ev->task, err);
  if (!rc)
    rc = copy_name("ECSBOOT_CONTAINER", ev->container, sizeof ev->container,
                   err);
  ev->enabled = rc == 0;
  /* the caller logs a bad value; sends must not log it a second time */
  ev->warned = rc != 0;
  return rc;
}

void ecsb_initev_close(ecsb_initev *ev) {
  /* enabled first: a zeroed channel that was never opened has fd 0 */
  if (ev && ev->enabled && ev->fd >= 0) {
    close(ev->fd);
    ev->fd = -1;
  }
}

static void warn_once(ecsb_initev *ev, const char *what, int e) {
  if (ev->warned)
    return;
  ev->warned = true;
  ecsb_log(ECSB_LOG_WARN, "cannot report retries to the event channel",
           "channel", getenv(ECSB_INITEV_ENV), "step", what, "error",
           strerror(e), NULL);
}

/* Cuts s to at most max bytes without splitting a UTF-8 sequence. */
static void cut_utf8(char *s, size_t max) {
  size_t n = strlen(s);
  if (n <= max)
    return;
  while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
    max--;
  s[max] = '\0';
}

static int ensure_socket(ecsb_initev *ev) {
  if (ev->fd >= 0)
    return 0;
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return errno;
  /* A full receiver queue blocks a datagram send: bounded, so a slow
   * harness delays a retry by at most this much instead of stalling it. */
  struct timeval tv = {.tv_sec = 0,
                       .tv_usec = ECSB_INITEV_SEND_TIMEOUT_MS * 1000};
  if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0) {
    int e = errno;
    close(fd);
    return e;
  }
  ev->fd = fd;
  return 0;
}

void ecsb_initev_send_retry(ecsb_initev *ev, const ecsb_initev_retry *r) {
  if (!ev || !ev->enabled)
    return;
  int e = ensure_socket(ev);
  if (e) {
    warn_once(ev, "socket", e);
    return;
  }
  /* room for redaction markers before the cut */
  char error[ECSB_ERR_MSG_MAX + 64];
  snprintf(error, sizeof error, "%s", r->error ? r->error : "");
  ecsb_redact(error, sizeof error);
  cut_utf8(error, ECSB_INITEV_ERROR_MAX);
  cJSON *j = cJSON_CreateObject();
  if (!j) {
    warn_once(ev, "encode", ENOMEM);
    return;
  }
  cJSON_AddNumberToObject(j, "v", 1);
  cJSON_AddStringToObject(j, "kind", "retry");
  cJSON_AddStringToObject(j, "cmd", ev->cmd ? ev->cmd : "");
  cJSON_AddStringToObject(j, "task", ev->task);
  cJSON_AddStringToObject(j, "container", ev->container);
  cJSON_AddNumberToObject(j, "pid", (double)getpid());
  cJSON_AddStringToObject(j, "what", r->what ? r->what : "");
  cJSON_AddNumberToObject(j, "attempt", r->attempt);
  cJSON_AddNumberToObject(j, "wait_us", (double)r->wait_us);
  cJSON_AddBoolToObject(j, "throttled", r->throttled);
  cJSON_AddStringToObject(j, "error", error);
  char *text = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  if (!text) {
    warn_once(ev, "encode", ENOMEM);
    return;
  }
  ssize_t n = -1;
  for (int i = 0; i < 3 && n < 0; i++) /* a signal may cut the wait short */
    if ((n = sendto(ev->fd, text, strlen(text), MSG_NOSIGNAL,
                    (const struct sockaddr *)&ev->addr, ev->addr_len)) < 0 &&
        errno != EINTR)
      break;
  if (n < 0)
    warn_once(ev, "send", errno);
  free(text);
}
