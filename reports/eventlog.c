/*
 * eventlog.c - write and read the JSONL event log (docs/events.md).
 *
 * Writer: one mutex, lines built in memory and written with a single
 * write(2) on an O_APPEND descriptor, so concurrent emitters (server
 * threads, the runner's loop) never interleave and a crash can only tear
 * the very last line. Reader: tolerant of exactly that torn last line,
 * strict about everything else.
 */
#include "rpt/eventlog.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ecsb/clock.h"
#include "ecsb/fileio.h"
#include "ecsb/json.h"

struct rpt_log_writer {
  pthread_mutex_t mu;
  int fd;
  int64_t t0_us;
  int first_errno;
  char *path;
};

int rpt_log_writer_open(const char *path, int64_t t0_us, rpt_log_writer **out,
                        ecsb_err *err) {
  *out = NULL;
  rpt_log_writer *w = calloc(1, sizeof *w);
  if (!w || !(w->path = strdup(path))) {
    free(w);
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  }
  w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (w->fd < 0) {
    int e = errno;
    free(w->path);
    free(w);
    return ecsb_err_set(err, ECSB_EIO, "cannot create event log %s: %s", path,
                        strerror(e));
  }
  pthread_mutex_init(&w->mu, NULL);
  w->t0_us = t0_us;
  *out = w;
  return 0;
}

int64_t rpt_log_now(const rpt_log_writer *w) {
  return ecsb_mono_us() - w->t0_us;
}

int rpt_log_emit_at(rpt_log_writer *w, int64_t t_us, const char *kind,
                    const char *task, const char *container,
                    const cJSON *detail) {
  if (!w || !kind)
    return ECSB_EINVAL;
  cJSON *o = cJSON_CreateObject();
  if (!o)
    return ECSB_ENOMEM;
  cJSON_AddNumberToObject(o, "t_us", (double)t_us);
  cJSON_AddStringToObject(o, "kind", kind);
  if (task)
    cJSON_AddStringToObject(o, "task", task);
  if (container)
    cJSON_AddStringToObject(o, "container", container);
  if (detail) {
    cJSON *d = cJSON_Duplicate(detail, true);
    if (d)
      cJSON_AddItemToObject(o, "detail", d);
  }
  if (strcmp(kind, "run.start") == 0)
    cJSON_AddNumberToObject(o, "v", RPT_LOG_VERSION);
  char *line = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  if (!line)
    return ECSB_ENOMEM;
  size_t len = strlen(line);
  line[len] = '\n'; /* replaces the NUL; length tracked explicitly */
  int rc = 0;
  pthread_mutex_lock(&w->mu);
  if (w->first_errno) {
    rc = ECSB_EIO;
  } else {
    size_t off = 0;
    while (off < len + 1) {
      ssize_t n = write(w->fd, line + off, len + 1 - off);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0) {
        w->first_errno = errno;
        rc = ECSB_EIO;
        break;
      }
      off += (size_t)n;
    }
  }
  pthread_mutex_unlock(&w->mu);
  free(line);
  return rc;
}

int rpt_log_emit(rpt_log_writer *w, const char *kind, const char *task,
                 const char *container, const cJSON *detail) {
  if (!w)
    return ECSB_EINVAL;
  return rpt_log_emit_at(w, rpt_log_now(w), kind, task, container, detail);
}

int rpt_log_writer_close(rpt_log_writer *w, ecsb_err *err) {
  if (!w)
    return 0;
  int rc = 0;
  if (w->first_errno)
    rc = ecsb_err_set(err, ECSB_EIO, "writing event log %s: %s", w->path,
                      strerror(w->first_errno));
  if (fsync(w->fd) != 0 && !rc && errno != EINVAL)
    rc = ecsb_err_set(err, ECSB_EIO, "fsync of event log %s: %s", w->path,
                      strerror(errno));
  if (close(w->fd) != 0 && !rc)
    rc = ecsb_err_set(err, ECSB_EIO, "closing event log %s: %s", w->path,
                      strerror(errno));
  pthread_mutex_destroy(&w->mu);
  free(w->path);
  free(w);
  return rc;
}

static int add_event(rpt_log *log, size_t *cap, const cJSON *o,
                     const char *name, size_t lineno, ecsb_err *err) {
  const char *kind = NULL;
  int64_t t = 0;
  int rc = ecsb_json_get_string(o, "$", "kind", true, &kind, err);
  if (!rc)
    rc = ecsb_json_get_int(o, "$", "t_us", true, INT64_MIN / 2, INT64_MAX / 2,
                           &t, err);
  if (rc)
    return ecsb_err_prefix(err, "%s: line %zu", name, lineno);
  const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "detail");
  if (d && !cJSON_IsObject(d))
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s: line %zu: $.detail: expected an object", name,
                        lineno);
  const char *task =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "task"));
  const char *ctr =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "container"));
  if (rpt_log_append(log, cap, t, kind, task, ctr,
                     d ? cJSON_Duplicate(d, true) : NULL, lineno))
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory reading %s", name);
  return 0;
}

int rpt_log_append(rpt_log *log, size_t *cap, int64_t t_us, const char *kind,
                   const char *task, const char *container, cJSON *detail,
                   size_t line) {
  if (log->n == *cap) {
    size_t nc = *cap ? *cap * 2 : 256;
    rpt_event *ne = realloc(log->events, nc * sizeof *ne);
    if (!ne) {
      cJSON_Delete(detail);
      return ECSB_ENOMEM;
    }
    log->events = ne;
    *cap = nc;
  }
  rpt_event *e = &log->events[log->n++]; /* rpt_log_free owns what it holds */
  memset(e, 0, sizeof *e);
  e->t_us = t_us;
  e->line = line;
  e->detail = detail;
  e->kind = strdup(kind);
  e->task = task ? strdup(task) : NULL;
  e->container = container ? strdup(container) : NULL;
  if (!e->kind || (task && !e->task) || (container && !e->container))
    return ECSB_ENOMEM;
  return 0;
}

int rpt_log_parse(const char *buf, size_t len, const char *name, rpt_log **out,
                  ecsb_err *err) {
  *out = NULL;
  rpt_log *log = calloc(1, sizeof *log);
  if (!log)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  size_t cap = 0, lineno = 0, pos = 0;
  int rc = 0;
  while (pos < len) {
    const char *nl = memchr(buf + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - buf) : len;
    lineno++;
    size_t l = end - pos;
    if (l > 0) {
      cJSON *o = NULL;
      ecsb_err perr = {0};
      char what[300];
      snprintf(what, sizeof what, "%s: line %zu", name, lineno);
      if (ecsb_json_parse_lax_utf8(buf + pos, l, what, &o, &perr) != 0) {
        if (!nl) { /* a torn last line: the writer was interrupted */
          log->torn_tail = true;
          break;
        }
        rc = ecsb_err_set(err, ECSB_EPARSE, "%s", perr.msg);
        goto fail;
      }
      rc = add_event(log, &cap, o, name, lineno, err);
      cJSON_Delete(o);
      if (rc)
        goto fail;
    }
    pos = end + 1;
  }
  if (log->n == 0 || strcmp(log->events[0].kind, "run.start") != 0) {
    rc = ecsb_err_set(err, ECSB_EPARSE,
                      "%s: not an ecsboot event log (first line is not "
                      "run.start)",
                      name);
    goto fail;
  }
  log->run_start = log->events[0].detail;
  rpt_event *last = &log->events[log->n - 1];
  if (strcmp(last->kind, "run.end") == 0 && last->detail) {
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(last->detail, "complete");
    log->complete = cJSON_IsTrue(c) && !log->torn_tail;
  }
  *out = log;
  return 0;
fail:
  rpt_log_free(log);
  return rc;
}

int rpt_log_read(const char *path, size_t max_bytes, rpt_log **out,
                 ecsb_err *err) {
  char *buf = NULL;
  size_t len = 0;
  *out = NULL;
  int rc = ecsb_read_file(path, max_bytes, &buf, &len, err);
  if (rc)
    return rc;
  rc = rpt_log_parse(buf, len, path, out, err);
  free(buf);
  return rc;
}

void rpt_log_free(rpt_log *log) {
  if (!log)
    return;
  for (size_t i = 0; i < log->n; i++) {
    free(log->events[i].kind);
    free(log->events[i].task);
    free(log->events[i].container);
    cJSON_Delete(log->events[i].detail);
  }
  free(log->events);
  free(log);
}

const char *rpt_event_str(const rpt_event *e, const char *key) {
  const cJSON *v =
      e->detail ? cJSON_GetObjectItemCaseSensitive(e->detail, key) : NULL;
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

bool rpt_event_int(const rpt_event *e, const char *key, int64_t *out) {
  const cJSON *v =
      e->detail ? cJSON_GetObjectItemCaseSensitive(e->detail, key) : NULL;
  if (!cJSON_IsNumber(v))
    return false;
  *out = (int64_t)v->valuedouble;
  return true;
}
