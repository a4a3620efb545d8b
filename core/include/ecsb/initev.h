/*
 * initev.h - ecsboot-init's opt-in event channel: one small JSON datagram
 * per retry, sent to the Linux abstract unix socket that ECSBOOT_EVENTS
 * names (`@NAME`), so a harness that started the process (`ecsboot run`)
 * can put each retry in its event log. The abstract namespace has no path,
 * so a long run folder never meets sun_path's 108-byte limit.
 *
 * Production never sets ECSBOOT_EVENTS; then nothing here opens a socket.
 * Sending never changes what the program does: a send waits at most
 * ECSB_INITEV_SEND_TIMEOUT_MS for room in the receiver's queue, and a
 * failure (or a malformed ECSBOOT_EVENTS) is logged once as a warning.
 *
 * Datagram: {"v":1,"kind":"retry","cmd","task","container","pid","what",
 * "attempt","wait_us","throttled","error"}; task and container come from
 * ECSBOOT_TASK and ECSBOOT_CONTAINER (empty when unset), error is redacted
 * (ecsb_redact) and cut to ECSB_INITEV_ERROR_MAX bytes. docs/ecsboot-init.md
 * describes it. Not thread-safe: one channel per thread.
 */
#ifndef ECSB_INITEV_H
#define ECSB_INITEV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "ecsb/err.h"

#define ECSB_INITEV_ENV "ECSBOOT_EVENTS"
#define ECSB_INITEV_SEND_TIMEOUT_MS 50
#define ECSB_INITEV_ERROR_MAX 256
#define ECSB_INITEV_NAME_MAX 255 /* task and container names (ECS's limit) */

typedef struct ecsb_initev {
  bool enabled; /* ECSBOOT_EVENTS was set and valid */
  bool warned;  /* a failure was logged already */
  int fd;       /* -1 until the first send */
  struct sockaddr_un addr;
  socklen_t addr_len;
  const char *cmd; /* borrowed: the subcommand */
  char task[ECSB_INITEV_NAME_MAX + 1], container[ECSB_INITEV_NAME_MAX + 1];
} ecsb_initev;

/* One retry, as ecsb_retry_wait reports it. */
typedef struct ecsb_initev_retry {
  const char *what;  /* what is waited for: "Consul agent" */
  int attempt;       /* the failed attempt's number, from 1 */
  int64_t wait_us;   /* the wait chosen before the next attempt */
  bool throttled;    /* the peer asked us to slow down */
  const char *error; /* why the attempt failed */
} ecsb_initev_retry;

/* Parses an address `@NAME` (NAME: 1-100 printable ASCII characters) into
 * an abstract socket address. ECSB_EINVAL naming the value otherwise. */
int ecsb_initev_addr(const char *spec, struct sockaddr_un *sa, socklen_t *len,
                     ecsb_err *err);

/* Reads ECSBOOT_EVENTS, ECSBOOT_TASK and ECSBOOT_CONTAINER. Unset
 * ECSBOOT_EVENTS: a disabled channel, returns 0. A bad value: disabled,
 * returns ECSB_EINVAL naming it (the caller logs it; never fatal). No
 * socket is opened until the first send. cmd is borrowed. */
int ecsb_initev_open(ecsb_initev *ev, const char *cmd, ecsb_err *err);
/* Sends one retry datagram; ev may be NULL or disabled (nothing sent). */
void ecsb_initev_send_retry(ecsb_initev *ev, const ecsb_initev_retry *r);
void ecsb_initev_close(ecsb_initev *ev);

#endif
