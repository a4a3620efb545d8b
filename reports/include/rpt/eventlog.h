/*
 * eventlog.h - the JSONL event log: the one record every report reads
 * (format in docs/events.md).
 *
 * The writer is used by the runner and by anything that emits events on its
 * behalf; it is thread-safe (one lock, one write(2) per line with O_APPEND,
 * so a crash leaves at most a torn last line, never an interleaved one).
 * The reader loads a whole log into memory for the report generators; it
 * never depends on the runner's internals.
 */
#ifndef RPT_EVENTLOG_H
#define RPT_EVENTLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ecsb/err.h"

#define RPT_LOG_VERSION 1

typedef struct rpt_log_writer rpt_log_writer;

/* Creates (truncates) path with mode 0644. t0_us is the monotonic time
 * (ecsb_mono_us) that counts as T0; events are stamped relative to it. */
int rpt_log_writer_open(const char *path, int64_t t0_us, rpt_log_writer **out,
                        ecsb_err *err);
/* Appends one event stamped now. task, container and detail may be NULL;
 * detail is borrowed (not freed). Returns 0 or an error (disk full ...);
 * after the first write error the writer keeps failing, and
 * rpt_log_writer_close reports it. */
int rpt_log_emit(rpt_log_writer *w, const char *kind, const char *task,
                 const char *container, const cJSON *detail);
/* The same with an explicit timestamp (us since T0), for replays and
 * virtual-clock sources. */
int rpt_log_emit_at(rpt_log_writer *w, int64_t t_us, const char *kind,
                    const char *task, const char *container,
                    const cJSON *detail);
/* Monotonic microseconds since this writer's T0. */
int64_t rpt_log_now(const rpt_log_writer *w);
/* fsyncs and closes; returns the first write error if any. NULL is fine. */
int rpt_log_writer_close(rpt_log_writer *w, ecsb_err *err);

typedef struct rpt_event {
  int64_t t_us;
  char *kind;
  char *task;      /* NULL when absent */
  char *container; /* NULL when absent */
  cJSON *detail;   /* NULL when absent; owned by the log */
  size_t line;     /* 1-based line in the log, for messages */
} rpt_event;

typedef struct rpt_log {
  rpt_event *events;
  size_t n;
  bool complete;    /* last line is run.end with complete=true */
  bool torn_tail;   /* the last line was cut off and skipped */
  cJSON *run_start; /* detail of run.start (borrowed from events) */
} rpt_log;

/* Appends one event to an in-memory log: kind, task and container are
 * copied, detail is taken (the log frees it, even on failure); line is its
 * 1-based line. cap is the capacity of log->events, kept by the caller
 * (0 for a new log). ECSB_ENOMEM when out of memory; the log stays valid. */
int rpt_log_append(rpt_log *log, size_t *cap, int64_t t_us, const char *kind,
                   const char *task, const char *container, cJSON *detail,
                   size_t line);
/* Reads a log file (at most max_bytes). A malformed line other than a torn
 * last line is an error naming the file and line number. */
int rpt_log_read(const char *path, size_t max_bytes, rpt_log **out,
                 ecsb_err *err);
/* The same from memory (name is used in messages). */
int rpt_log_parse(const char *buf, size_t len, const char *name, rpt_log **out,
                  ecsb_err *err);
void rpt_log_free(rpt_log *log);

/* Convenience lookups over a loaded log. */
const char *rpt_event_str(const rpt_event *e, const char *key);
bool rpt_event_int(const rpt_event *e, const char *key, int64_t *out);

#endif
