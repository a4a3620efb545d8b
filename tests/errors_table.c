/*
 * errors_table.c - the bad-input table (docs/errors.md) as tests. Each row
 * of tests/errors/cases.json names one bad input, how to feed it (a command
 * line, input files, a misbehaving HTTP peer, or a request to one of the
 * fakes) and what must come back: the exit code or HTTP status, and the
 * exact message. After a command ran, the case's folder must hold exactly
 * the files the case put there, with the same contents: nothing created,
 * nothing half-written, nothing lost.
 *
 *   errors_table CASES.json INIT ECSBOOT ID   run one row (a ctest each)
 *   errors_table CASES.json --markdown        print docs/errors.md
 *
 * Strings in a case may use {dir} (the case's folder), {peer} (the peer's
 * base URL), {peer_hp} (its host:port), {init}, {health} and {ecsboot} (the
 * programs; ecsboot-health is the one beside ecsboot-init)
 * and {src} (the source tree). ECSB_ERRORS_SHOW=1 prints what came back
 * (how a new row's message is found). A file or body marked "raw"
 * writes every code point below 256 as one byte, which is how a case gets
 * invalid UTF-8 into a file.
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ecsb/clock.h"
#include "ecsb/fileio.h"
#include "ecsb/http.h"
#include "ecsb/httpd.h"
#include "fcon_testutil.h"
#include "fecs_testutil.h"

#define CHILD_DEADLINE_MS 60000
#define MAX_FILES 64

static const char *g_cases_path, *g_init, *g_ecsboot, *g_id;
static char g_health[4200];
static cJSON *g_doc;

/* ---- text with placeholders ------------------------------------------- */

typedef struct ctx {
  char dir[256];
  char peer[96];    /* http://127.0.0.1:PORT */
  char peer_hp[64]; /* 127.0.0.1:PORT */
} ctx;

/* s with {dir}, {peer}, {peer_hp}, {init}, {health}, {ecsboot} replaced
 * (heap). */
static char *subst(const ctx *c, const char *s) {
  const struct {
    const char *k, *v;
  } m[] = {{"{dir}", c->dir},         {"{peer}", c->peer},
           {"{peer_hp}", c->peer_hp}, {"{init}", g_init},
           {"{ecsboot}", g_ecsboot},  {"{src}", ECSB_SOURCE_DIR},
           {"{health}", g_health}};
  size_t cap = strlen(s) * 4 + 1024, n = 0;
  char *out = malloc(cap);
  assert_non_null(out);
  while (*s) {
    bool hit = false;
    for (size_t i = 0; i < sizeof m / sizeof m[0] && !hit; i++) {
      size_t kl = strlen(m[i].k), vl = strlen(m[i].v);
      if (strncmp(s, m[i].k, kl) == 0) {
        assert_true(n + vl < cap);
        memcpy(out + n, m[i].v, vl);
        n += vl;
        s += kl;
        hit = true;
      }
    }
    if (!hit) {
      assert_true(n + 1 < cap);
      out[n++] = *s++;
    }
  }
  out[n] = '\0';
  return out;
}

/* Decodes UTF-8 s into bytes, one per code point (all must be < 256): the
 * way a case spells bytes that are not UTF-8. */
static char *raw_bytes(const char *s, size_t *len) {
  size_t n = 0;
  char *out = malloc(strlen(s) + 1);
  assert_non_null(out);
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    unsigned cp = *p;
    if (cp >= 0xC0 && cp < 0xE0 && p[1]) {
      cp = ((cp & 0x1Fu) << 6) | (p[1] & 0x3Fu);
      p += 2;
    } else {
      p++;
    }
    assert_true(cp < 256);
    out[n++] = (char)cp;
  }
  out[n] = '\0';
  *len = n;
  return out;
}

/* A body or file content: {"text": S, "raw": bool, "fill": {"bytes": N,
 * "with": C, "prefix": P, "suffix": X}} or a plain string. */
static char *content(const ctx *c, const cJSON *spec, size_t *len) {
  if (cJSON_IsString(spec)) {
    char *s = subst(c, spec->valuestring);
    *len = strlen(s);
    return s;
  }
  const cJSON *fill = cJSON_GetObjectItem(spec, "fill");
  if (fill) {
    const char *pre = cJSON_GetStringValue(cJSON_GetObjectItem(fill, "prefix"));
    const char *suf = cJSON_GetStringValue(cJSON_GetObjectItem(fill, "suffix"));
    const char *with = cJSON_GetStringValue(cJSON_GetObjectItem(fill, "with"));
    size_t bytes =
        (size_t)cJSON_GetNumberValue(cJSON_GetObjectItem(fill, "bytes"));
    pre = pre ? pre : "";
    suf = suf ? suf : "";
    with = with && *with ? with : "x";
    size_t pl = strlen(pre), sl = strlen(suf), wl = strlen(with);
    char *b = malloc(pl + bytes + wl + sl + 1);
    assert_non_null(b);
    memcpy(b, pre, pl);
    size_t n = pl;
    while (n < pl + bytes) {
      memcpy(b + n, with, wl);
      n += wl;
    }
    memcpy(b + n, suf, sl);
    n += sl;
    b[n] = '\0';
    *len = n;
    return b;
  }
  const char *text = cJSON_GetStringValue(cJSON_GetObjectItem(spec, "text"));
  assert_non_null(text);
  char *s = subst(c, text);
  if (cJSON_IsTrue(cJSON_GetObjectItem(spec, "raw"))) {
    char *r = raw_bytes(s, len);
    free(s);
    return r;
  }
  *len = strlen(s);
  return s;
}

/* ---- the misbehaving peer ---------------------------------------------- */

typedef struct peer {
  ecsb_httpd *h;
  const ctx *c;
  const cJSON *routes; /* {"/path/prefix": response, "*": response} */
} peer;

static void peer_handler(void *user, const ecsb_httpd_req *req,
                         ecsb_httpd_resp *resp) {
  peer *p = user;
  const cJSON *best = NULL;
  size_t best_len = 0;
  const cJSON *r;
  cJSON_ArrayForEach(r, p->routes) {
    size_t kl = strlen(r->string);
    if (strcmp(r->string, "*") == 0) {
      if (!best)
        best = r;
    } else if (strncmp(req->path, r->string, kl) == 0 && kl >= best_len) {
      best = r;
      best_len = kl;
    }
  }
  if (!best) {
    ecsb_httpd_resp_textf(resp, 404, "no route for %s", req->path);
    return;
  }
  if (cJSON_IsTrue(cJSON_GetObjectItem(best, "abort"))) {
    resp->abort_connection = true;
    return;
  }
  const cJSON *st = cJSON_GetObjectItem(best, "status");
  const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(best, "type"));
  const cJSON *body = cJSON_GetObjectItem(best, "body");
  size_t len = 0;
  char *b = body ? content(p->c, body, &len) : strdup("");
  ecsb_httpd_resp_set(resp, st ? (int)st->valuedouble : 200,
                      type ? type : "application/json", b, len);
  free(b);
  const cJSON *hd;
  cJSON_ArrayForEach(hd, cJSON_GetObjectItem(best, "headers")) {
    char *v = subst(p->c, hd->valuestring);
    ecsb_httpd_resp_header(resp, hd->string, v);
    free(v);
  }
  const cJSON *tr = cJSON_GetObjectItem(best, "trickle_ms");
  if (tr) {
    resp->trickle_ms = (unsigned)tr->valuedouble;
    resp->endless = cJSON_IsTrue(cJSON_GetObjectItem(best, "endless"));
  }
}

/* ---- running a command ------------------------------------------------- */

static const char *str_of(const cJSON *o, const char *k) {
  return cJSON_GetStringValue(cJSON_GetObjectItem(o, k));
}

/* Runs argv with exactly env; returns the exit code (128+N for a signal)
 * and the stderr text in *err_out (heap). Bounded by CHILD_DEADLINE_MS. */
static int run_child(char **argv, char **env, char **err_out) {
  char errf[] = "/tmp/ecsb-errors-XXXXXX";
  int efd = mkstemp(errf);
  assert_true(efd >= 0);
  unlink(errf);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    int nul = open("/dev/null", O_RDWR);
    dup2(nul, 0);
    dup2(nul, 1);
    dup2(efd, 2);
    execve(argv[0], argv, env);
    _exit(127);
  }
  int status = 0;
  int64_t end = ecsb_mono_ms() + CHILD_DEADLINE_MS;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (ecsb_mono_ms() > end) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      fail_msg("%s did not exit within %d ms", argv[0], CHILD_DEADLINE_MS);
    }
    ecsb_sleep_ms(5, NULL);
  }
  off_t sz = lseek(efd, 0, SEEK_END);
  char *buf = malloc((size_t)sz + 1);
  assert_non_null(buf);
  assert_int_equal(pread(efd, buf, (size_t)sz, 0), sz);
  buf[sz] = '\0';
  close(efd);
  *err_out = buf;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---- the folder check -------------------------------------------------- */

typedef struct snap {
  size_t n;
  char *path[MAX_FILES];
  char *data[MAX_FILES];
  size_t len[MAX_FILES];
} snap;

static void snap_take(snap *s, const char *root, const char *rel) {
  char full[1024];
  snprintf(full, sizeof full, "%s/%s", root, rel);
  DIR *d = opendir(full);
  assert_non_null(d);
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
      continue;
    char r[1024], f[1280];
    snprintf(r, sizeof r, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
    snprintf(f, sizeof f, "%s/%s", root, r);
    struct stat st;
    assert_int_equal(lstat(f, &st), 0);
    assert_true(s->n < MAX_FILES);
    s->path[s->n] = strdup(r);
    s->data[s->n] = NULL;
    s->len[s->n] = 0;
    if (S_ISREG(st.st_mode)) {
      char *data = NULL;
      size_t len = 0;
      assert_int_equal(ecsb_read_file(f, 64u << 20, &data, &len, NULL), 0);
      s->data[s->n] = data;
      s->len[s->n] = len;
      s->n++;
    } else {
      s->n++;
      if (S_ISDIR(st.st_mode))
        snap_take(s, root, r);
    }
  }
  closedir(d);
}

static void snap_free(snap *s) {
  for (size_t i = 0; i < s->n; i++) {
    free(s->path[i]);
    free(s->data[i]);
  }
}

static void snap_same(const snap *before, const snap *after) {
  for (size_t i = 0; i < after->n; i++) {
    size_t j = 0;
    while (j < before->n && strcmp(before->path[j], after->path[i]) != 0)
      j++;
    if (j == before->n)
      fail_msg("the failed run left %s behind", after->path[i]);
    if (before->len[j] != after->len[i] ||
        (before->data[j] &&
         memcmp(before->data[j], after->data[i], before->len[j]) != 0))
      fail_msg("the failed run changed %s", after->path[i]);
  }
  for (size_t j = 0; j < before->n; j++) {
    size_t i = 0;
    while (i < after->n && strcmp(before->path[j], after->path[i]) != 0)
      i++;
    if (i == after->n)
      fail_msg("the failed run removed %s", before->path[j]);
  }
}

static void rm_tree(const char *p) {
  struct stat st;
  if (lstat(p, &st) != 0)
    return;
  if (S_ISDIR(st.st_mode)) {
    DIR *d = opendir(p);
    struct dirent *e;
    while (d && (e = readdir(d))) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
        continue;
      char f[1280];
      snprintf(f, sizeof f, "%s/%s", p, e->d_name);
      rm_tree(f);
    }
    if (d)
      closedir(d);
    rmdir(p);
  } else {
    unlink(p);
  }
}

/* ---- the fakes' side --------------------------------------------------- */

/* A request to an in-process fake; returns status, body in *body. */
static long fake_request(const ctx *c, const cJSON *rq, char **body) {
  const char *server = str_of(rq, "server");
  const cJSON *b = cJSON_GetObjectItem(rq, "body");
  size_t blen = 0;
  char *btext = b ? content(c, b, &blen) : NULL;
  long status = -1;
  if (strcmp(server, "consul") == 0) {
    fcon_tu t;
    fcon_tu_start(&t, true, 1.0);
    status = fcon_tu_call(fcon_agent_port(t.agent), str_of(rq, "method"),
                          str_of(rq, "path"), btext, body);
    fcon_tu_stop(&t);
  } else {
    assert_string_equal(server, "ecs");
    ft_clock clk = {0};
    fecs *f = ft_start(NULL, &clk, NULL);
    ft_req r = {.op = str_of(rq, "op"),
                .body = btext,
                .no_auth = cJSON_IsTrue(cJSON_GetObjectItem(rq, "no_auth")),
                .target = str_of(rq, "target"),
                .auth_override = str_of(rq, "authorization"),
                .send_body = str_of(rq, "send_body"),
                .secret = str_of(rq, "secret")};
    ft_resp out = {0};
    assert_int_equal(ft_call(f, &clk, &r, &out), 0);
    status = out.status;
    *body = strdup(out.raw ? out.raw : "");
    ft_resp_clear(&out);
    fecs_free(f);
  }
  free(btext);
  return status;
}

/* ---- one case ---------------------------------------------------------- */

static const cJSON *find_case(const char *id) {
  const cJSON *c;
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(g_doc, "cases")) {
    if (strcmp(str_of(c, "id"), id) == 0)
      return c;
  }
  return NULL;
}

static void test_case(void **state) {
  (void)state;
  const cJSON *cs = find_case(g_id);
  if (!cs)
    fail_msg("no case %s in %s", g_id, g_cases_path);
  ctx c = {0};
  snprintf(c.dir, sizeof c.dir, "/tmp/ecsb-errors-%s-XXXXXX", g_id);
  assert_non_null(mkdtemp(c.dir));

  const cJSON *rq = cJSON_GetObjectItem(cs, "request");
  const char *want = str_of(cs, "message");
  if (rq) {
    char *body = NULL;
    long st = fake_request(&c, rq, &body);
    long want_st =
        (long)cJSON_GetNumberValue(cJSON_GetObjectItem(cs, "status"));
    if (getenv("ECSB_ERRORS_SHOW"))
      fprintf(stderr, "[%s] HTTP %ld: %s\n", g_id, st, body ? body : "");
    if (st != want_st || !strstr(body ? body : "", want))
      fail_msg("%s: HTTP %ld (want %ld), body: %s\nwant: %s", g_id, st, want_st,
               body ? body : "", want);
    free(body);
    rm_tree(c.dir);
    return;
  }

  peer p = {.c = &c, .routes = cJSON_GetObjectItem(cs, "peer")};
  if (p.routes) {
    ecsb_httpd_opts o;
    ecsb_httpd_opts_default(&o);
    ecsb_err e = {0};
    assert_int_equal(ecsb_httpd_start(&o, peer_handler, &p, &p.h, &e), 0);
    snprintf(c.peer_hp, sizeof c.peer_hp, "127.0.0.1:%u", ecsb_httpd_port(p.h));
    snprintf(c.peer, sizeof c.peer, "http://%s", c.peer_hp);
  }

  /* Input files, then what the folder holds before the run. */
  const cJSON *f;
  cJSON_ArrayForEach(f, cJSON_GetObjectItem(cs, "files")) {
    char *rel = subst(&c, f->string), path[1024];
    snprintf(path, sizeof path, "%s/%s", c.dir, rel);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    assert_int_equal(ecsb_mkdirs(path, NULL), 0);
    *slash = '/';
    size_t len = 0;
    char *data = content(&c, f, &len);
    ecsb_err e = {0};
    assert_int_equal(ecsb_atomic_write(path, data, len, 0644, &e), 0);
    free(data);
    free(rel);
  }
  snap before = {0};
  snap_take(&before, c.dir, "");

  /* The environment: PATH, the case's sets, then its own. */
  char *env[64];
  size_t ne = 0;
  env[ne++] = strdup("PATH=/usr/bin:/bin");
  const cJSON *sets = cJSON_GetObjectItem(g_doc, "env_sets");
  const cJSON *use;
  cJSON *merged = cJSON_CreateObject();
  cJSON_ArrayForEach(use, cJSON_GetObjectItem(cs, "use")) {
    const cJSON *kv;
    cJSON_ArrayForEach(kv, cJSON_GetObjectItem(sets, use->valuestring)) {
      cJSON_DeleteItemFromObject(merged, kv->string);
      cJSON_AddStringToObject(merged, kv->string, kv->valuestring);
    }
  }
  const cJSON *kv;
  cJSON_ArrayForEach(kv, cJSON_GetObjectItem(cs, "env")) {
    cJSON_DeleteItemFromObject(merged, kv->string);
    cJSON_AddStringToObject(merged, kv->string, kv->valuestring);
  }
  cJSON_ArrayForEach(kv, merged) {
    char *v = subst(&c, kv->valuestring);
    assert_true(ne < 63);
    assert_true(asprintf(&env[ne++], "%s=%s", kv->string, v) > 0);
    free(v);
  }
  env[ne] = NULL;
  cJSON_Delete(merged);

  char *argv[64];
  size_t na = 0;
  const cJSON *a;
  cJSON_ArrayForEach(a, cJSON_GetObjectItem(cs, "argv")) {
    assert_true(na < 63);
    const cJSON *raw = cJSON_GetObjectItem(a, "raw");
    if (cJSON_IsString(a)) {
      argv[na++] = subst(&c, a->valuestring);
    } else {
      size_t len;
      argv[na++] = raw_bytes(cJSON_GetStringValue(raw), &len);
    }
  }
  argv[na] = NULL;

  char *err_text = NULL;
  int code = run_child(argv, env, &err_text);
  ecsb_httpd_stop(p.h);

  int want_code = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(cs, "exit"));
  char *want_s = subst(&c, want);
  if (getenv("ECSB_ERRORS_SHOW"))
    fprintf(stderr, "[%s] exit %d: %s\n", g_id, code, err_text);
  bool ok = code == want_code && strstr(err_text, want_s) != NULL;
  if (!ok)
    fail_msg("%s: exit %d (want %d), stderr:\n%s\nwant the message:\n%s", g_id,
             code, want_code, err_text, want_s);
  snap after = {0};
  snap_take(&after, c.dir, "");
  snap_same(&before, &after);

  snap_free(&before);
  snap_free(&after);
  free(want_s);
  free(err_text);
  for (size_t i = 0; i < na; i++)
    free(argv[i]);
  for (size_t i = 0; i < ne; i++)
    free(env[i]);
  rm_tree(c.dir);
}

/* ---- the document ------------------------------------------------------ */

/* A table cell: | and newlines would break the row. */
static void cell(const char *s) {
  fputc('`', stdout);
  for (; *s; s++) {
    if (*s == '|')
      fputs("\\|", stdout);
    else if (*s == '\n')
      fputs(" ", stdout);
    else if (*s == '`')
      fputc('\'', stdout);
    else
      fputc(*s, stdout);
  }
  fputc('`', stdout);
}

static void markdown(void) {
  fputs(cJSON_GetStringValue(cJSON_GetObjectItem(g_doc, "preamble")), stdout);
  const char *area = "";
  const cJSON *cs;
  int n = 0;
  cJSON_ArrayForEach(cs, cJSON_GetObjectItem(g_doc, "cases")) {
    const char *a = str_of(cs, "area");
    if (strcmp(a, area) != 0) {
      area = a;
      printf(
          "\n## %s\n\n| id | bad input | %s | message |\n|---|---|---|---|\n",
          a, cJSON_GetObjectItem(cs, "request") ? "HTTP status" : "exit");
    }
    const cJSON *code = cJSON_GetObjectItem(cs, "request")
                            ? cJSON_GetObjectItem(cs, "status")
                            : cJSON_GetObjectItem(cs, "exit");
    printf("| %s | %s | %d | ", str_of(cs, "id"), str_of(cs, "input"),
           (int)cJSON_GetNumberValue(code));
    cell(str_of(cs, "message"));
    fputs(" |\n", stdout);
    n++;
  }
  printf("\n%d bad inputs.\n", n);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: errors_table CASES.json INIT ECSBOOT ID\n"
                    "       errors_table CASES.json --markdown\n");
    return 2;
  }
  g_cases_path = argv[1];
  char *text = NULL;
  size_t len = 0;
  ecsb_err e = {0};
  if (ecsb_read_file(g_cases_path, 1u << 20, &text, &len, &e) != 0) {
    fprintf(stderr, "errors_table: %s\n", e.msg);
    return 2;
  }
  g_doc = cJSON_Parse(text);
  free(text);
  if (!g_doc) {
    fprintf(stderr, "errors_table: %s: not JSON\n", g_cases_path);
    return 2;
  }
  int rc = 0;
  if (strcmp(argv[2], "--markdown") == 0) {
    markdown();
  } else if (argc == 5) {
    g_init = argv[2];
    g_ecsboot = argv[3];
    const char *slash = strrchr(g_init, '/');
    snprintf(g_health, sizeof g_health, "%.*s%secsboot-health",
             slash ? (int)(slash - g_init) : 0, g_init, slash ? "/" : "");
    g_id = argv[4];
    signal(SIGPIPE, SIG_IGN);
    ecsb_http_global_init(NULL);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_case)};
    rc = cmocka_run_group_tests_name(g_id, tests, NULL, NULL);
    ecsb_http_global_cleanup();
  } else {
    fprintf(stderr, "errors_table: expected INIT ECSBOOT ID\n");
    rc = 2;
  }
  cJSON_Delete(g_doc);
  return rc;
}
