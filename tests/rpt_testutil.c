/* rpt_testutil.c - see rpt_testutil.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "rpt_testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rpt/cli.h"
#include "rpt/report.h"

void rt_chdir_source(void) {
  if (chdir(ECSB_SOURCE_DIR) != 0) {
    perror(ECSB_SOURCE_DIR);
    exit(1);
  }
}

char *rt_slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
    n += got;
    if (cap - n - 1 == 0) {
      char *nb = realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
      cap *= 2;
    }
  }
  fclose(f);
  if (buf) {
    buf[n] = '\0';
    if (len)
      *len = n;
  }
  return buf;
}

void rt_write(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
  assert_int_equal(fclose(f), 0);
}

void rt_golden(const char *golden_name, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s%s", RT_GOLDEN, golden_name);
  const char *upd = getenv("ECSB_UPDATE_GOLDEN");
  if (upd && *upd == '1') {
    rt_write(path, text);
    fprintf(stderr, "updated %s\n", path);
    return;
  }
  char *want = rt_slurp(path, NULL);
  if (!want) {
    fprintf(stderr, "missing golden file %s (run with ECSB_UPDATE_GOLDEN=1)\n",
            path);
    fail();
  }
  if (strcmp(want, text) != 0) {
    size_t line = 1, i = 0;
    while (want[i] && want[i] == text[i]) {
      if (want[i] == '\n')
        line++;
      i++;
    }
    size_t ls = i;
    while (ls > 0 && want[ls - 1] != '\n')
      ls--;
    fprintf(stderr, "%s differs at line %zu:\n  want: %.160s\n  got:  %.160s\n",
            path, line, want + ls, text + ls);
    free(want);
    fail();
  }
  free(want);
}

char *rt_tmpdir(void) {
  char *d = strdup("/tmp/ecsb-rpt-XXXXXX");
  assert_non_null(d);
  assert_non_null(mkdtemp(d));
  return d;
}

void rt_rmtree(const char *dir) {
  DIR *d = opendir(dir);
  if (!d)
    return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    struct stat st;
    if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
      rt_rmtree(p);
    else
      unlink(p);
  }
  closedir(d);
  rmdir(dir);
}

static char *drain(FILE *f) {
  fflush(f);
  long n = ftell(f);
  char *s = malloc((size_t)(n > 0 ? n : 0) + 1);
  assert_non_null(s);
  rewind(f);
  size_t got = n > 0 ? fread(s, 1, (size_t)n, f) : 0;
  s[got] = '\0';
  fclose(f);
  return s;
}

int rt_cli(char **out, char **err, const char *arg0, ...) {
  char *argv[32];
  int argc = 0;
  va_list ap;
  va_start(ap, arg0);
  for (const char *a = arg0; a && argc < 31; a = va_arg(ap, const char *))
    argv[argc++] = (char *)a;
  va_end(ap);
  argv[argc] = NULL;
  FILE *o = tmpfile(), *e = tmpfile();
  assert_non_null(o);
  assert_non_null(e);
  int code = rpt_cli_run(argc, argv, o, e);
  char *os = drain(o), *es = drain(e);
  if (out)
    *out = os;
  else
    free(os);
  if (err)
    *err = es;
  else
    free(es);
  return code;
}

rpt_run *rt_load_one(const char *path) {
  rpt_run **runs = NULL;
  size_t n = 0;
  ecsb_err err = {0};
  int rc = rpt_report_load(path, &runs, &n, &err);
  if (rc)
    fprintf(stderr, "%s\n", err.msg);
  assert_int_equal(rc, 0);
  assert_int_equal(n, 1);
  rpt_run *r = runs[0];
  free(runs);
  return r;
}

rpt_run *rt_run_from_text(const char *jsonl) {
  rpt_log *log = NULL;
  ecsb_err err = {0};
  int rc = rpt_log_parse(jsonl, strlen(jsonl), "test.jsonl", &log, &err);
  if (rc)
    fprintf(stderr, "%s\n", err.msg);
  assert_int_equal(rc, 0);
  rpt_run *r = NULL;
  rc = rpt_report_from_log(log, "test.jsonl", NULL, &r, &err);
  if (rc)
    fprintf(stderr, "%s\n", err.msg);
  assert_int_equal(rc, 0);
  rpt_log_free(log);
  return r;
}
