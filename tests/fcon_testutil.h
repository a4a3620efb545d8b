/*
 * fcon_testutil.h - helpers for the fake-consul tests: start a server and a
 * joined agent on ephemeral loopback ports, and make one HTTP call.
 */
#ifndef FCON_TESTUTIL_H
#define FCON_TESTUTIL_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "fcon/fcon.h"

typedef struct fcon_tu {
  fcon_server *srv;
  fcon_agent *agent;
} fcon_tu;

/* Starts a server and an agent (joined when join); aborts the test on
 * failure. time_scale applies to the agent. */
/* The listeners' epoll pool for fcon_tu_start (0: thread per connection,
 * the default); a test suite may run twice, once per mode. */
extern unsigned fcon_tu_threads;
void fcon_tu_start(fcon_tu *t, bool join, double time_scale);
void fcon_tu_stop(fcon_tu *t);

/* One request to 127.0.0.1:port (no retries); returns the status and, when
 * body_out is not NULL, the body (caller frees). hdr_name/hdr_out fetch
 * one response header into a 64-byte buffer when not NULL. */
long fcon_tu_call(uint16_t port, const char *method, const char *path,
                  const char *body, char **body_out);
long fcon_tu_call_h(const char *ip, uint16_t port, const char *method,
                    const char *path, const char *body, char **body_out,
                    const char *hdr_name, char *hdr_out);
/* GET and parse; aborts unless 200 with JSON. Caller frees. */
cJSON *fcon_tu_get_json(uint16_t port, const char *path);
/* Polls fn until it returns true or 10 s pass (bounded; not a timed
 * assertion: the deadline only stops a hung test). */
bool fcon_tu_wait(bool (*fn)(void *u), void *u);

#endif
