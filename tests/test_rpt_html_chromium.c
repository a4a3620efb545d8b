/* test_rpt_html_chromium.c - opens the HTML reports (a failing single task
 * with fault markers, a fleet, a merged sweep) in headless Chromium, takes
 * a screenshot and dumps the DOM, and fails on any console message (the
 * page has no scripts, so anything logged is an error: a blocked load, a
 * parse problem), on a blank page (the PNG must not be one colour: it is
 * decoded with zlib and its pixels counted), on missing report elements,
 * or on any reference to the network. Exits 77 (skipped) when Chromium
 * (Debian package chromium) or zlib is not available; CI installs both
 * through scripts/deps.sh --test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef RPT_HAVE_ZLIB
#include <zlib.h>
#endif

#include "rpt/report.h"
#include "rpt_testutil.h"

extern char **environ;

static char chromium[512];

static bool find_tool(const char *name, char *out, size_t cap) {
  const char *path = getenv("PATH");
  char *copy = strdup(path ? path : "/usr/bin:/bin");
  bool found = false;
  for (char *save = NULL, *d = strtok_r(copy, ":", &save); d && !found;
       d = strtok_r(NULL, ":", &save)) {
    snprintf(out, cap, "%s/%s", d, name);
    found = access(out, X_OK) == 0;
  }
  free(copy);
  return found;
}

/* Runs Chromium headless on url with one extra mode flag; stdout and
 * stderr go to the given files. Returns the exit status. */
static int run_chromium(const char *dir, const char *mode, const char *url,
                        const char *out, const char *err) {
  char profile[600];
  snprintf(profile, sizeof profile, "--user-data-dir=%s/profile", dir);
  char *argv[] = {chromium,
                  "--headless",
                  "--no-sandbox",
                  "--disable-gpu",
                  "--disable-quic",
                  "--no-first-run",
                  "--disable-background-networking",
                  "--disable-component-update",
                  "--disable-sync",
                  "--hide-scrollbars",
                  profile,
                  "--window-size=1280,2400",
                  "--enable-logging=stderr",
                  "--v=0",
                  (char *)mode,
                  (char *)url,
                  NULL};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  pid_t pid;
  int rc = posix_spawn(&pid, chromium, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  assert_int_equal(rc, 0);
  int st = 0;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static bool line_has(const char *p, size_t len, const char *needle) {
  size_t n = strlen(needle);
  for (size_t i = 0; i + n <= len; i++)
    if (memcmp(p + i, needle, n) == 0)
      return true;
  return false;
}

/* Every console line Chromium logged, joined; NULL when none. */
static char *console_lines(const char *stderr_text) {
  char *found = NULL;
  size_t n = 0;
  const char *p = stderr_text;
  while (p && *p) {
    const char *e = strchr(p, '\n');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (line_has(p, len, "CONSOLE") || line_has(p, len, "Uncaught")) {
      char *nf = realloc(found, n + len + 2);
      assert_non_null(nf);
      found = nf;
      memcpy(found + n, p, len);
      n += len;
      found[n++] = '\n';
      found[n] = '\0';
    }
    p = e ? e + 1 : NULL;
  }
  return found;
}

#ifdef RPT_HAVE_ZLIB
static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

static int paeth(int a, int b, int c) {
  int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* Decodes an 8-bit RGB or RGBA PNG into RGB pixels (3 bytes each). */
static unsigned char *png_rgb(const char *path, uint32_t *w, uint32_t *h) {
  size_t len = 0;
  unsigned char *f = (unsigned char *)rt_slurp(path, &len);
  assert_non_null(f);
  assert_true(len > 33);
  assert_memory_equal(f, "\x89PNG\r\n\x1a\n", 8);
  size_t pos = 8, zlen = 0;
  unsigned char *z = NULL;
  int ctype = -1, depth = 0;
  while (pos + 12 <= len) {
    uint32_t n = be32(f + pos);
    const unsigned char *type = f + pos + 4, *data = f + pos + 8;
    assert_true(pos + 12 + n <= len);
    if (memcmp(type, "IHDR", 4) == 0) {
      *w = be32(data);
      *h = be32(data + 4);
      depth = data[8];
      ctype = data[9];
      assert_int_equal(data[12], 0); /* not interlaced */
    } else if (memcmp(type, "IDAT", 4) == 0) {
      z = realloc(z, zlen + n);
      assert_non_null(z);
      memcpy(z + zlen, data, n);
      zlen += n;
    }
    pos += 12 + n;
  }
  assert_int_equal(depth, 8);
  assert_true(ctype == 2 || ctype == 6);
  size_t bpp = ctype == 6 ? 4 : 3, stride = *w * bpp;
  uLongf rawlen = (uLongf)((stride + 1) * *h);
  unsigned char *raw = malloc(rawlen);
  assert_non_null(raw);
  assert_int_equal(uncompress(raw, &rawlen, z, zlen), Z_OK);
  assert_int_equal(rawlen, (stride + 1) * *h);
  unsigned char *img = calloc(stride * *h, 1);
  unsigned char *rgb = malloc((size_t)*w * *h * 3);
  assert_non_null(img);
  assert_non_null(rgb);
  for (uint32_t y = 0; y < *h; y++) {
    int filter = raw[y * (stride + 1)];
    const unsigned char *in = raw + y * (stride + 1) + 1;
    unsigned char *row = img + y * stride;
    const unsigned char *up = y ? row - stride : NULL;
    for (size_t x = 0; x < stride; x++) {
      int a = x >= bpp ? row[x - bpp] : 0, b = up ? up[x] : 0;
      int c = up && x >= bpp ? up[x - bpp] : 0;
      int pred = filter == 0   ? 0
                 : filter == 1 ? a
                 : filter == 2 ? b
                 : filter == 3 ? (a + b) / 2
                               : paeth(a, b, c);
      assert_true(filter >= 0 && filter <= 4);
      row[x] = (unsigned char)(in[x] + pred);
    }
    for (uint32_t x = 0; x < *w; x++)
      memcpy(rgb + ((size_t)y * *w + x) * 3, row + x * bpp, 3);
  }
  free(f);
  free(z);
  free(raw);
  free(img);
  return rgb;
}

/* Not blank: several colours, and a fair share of pixels that are not the
 * background. */
static void assert_not_blank(const char *png) {
  uint32_t w = 0, h = 0;
  unsigned char *rgb = png_rgb(png, &w, &h);
  assert_true(w >= 100 && h >= 100);
  size_t n = (size_t)w * h, bg = 0, distinct = 0;
  uint32_t seen[64];
  uint32_t first = (uint32_t)rgb[0] << 16 | rgb[1] << 8 | rgb[2];
  for (size_t i = 0; i < n; i++) {
    uint32_t c =
        (uint32_t)rgb[i * 3] << 16 | rgb[i * 3 + 1] << 8 | rgb[i * 3 + 2];
    bg += c == first;
    bool known = false;
    for (size_t k = 0; k < distinct && !known; k++)
      known = seen[k] == c;
    if (!known && distinct < 64)
      seen[distinct++] = c;
  }
  free(rgb);
  if (distinct < 16 || (n - bg) * 100 < n * 3)
    fail_msg("%s looks blank: %zu colours, %zu of %zu pixels not background",
             png, distinct, n - bg, n);
}
#endif

static void check_page(const char *name, rpt_run *const *runs, size_t n,
                       const char *const *must) {
  char *dir = rt_tmpdir();
  char html[600], png[600], out[600], err[600], url[700], mode[700];
  snprintf(html, sizeof html, "%s/report.html", dir);
  snprintf(png, sizeof png, "%s/shot.png", dir);
  snprintf(out, sizeof out, "%s/out.txt", dir);
  snprintf(err, sizeof err, "%s/err.txt", dir);
  snprintf(url, sizeof url, "file://%s", html);
  char *text = NULL;
  ecsb_err e = {0};
  assert_int_equal(rpt_report_render(runs, n, RPT_FMT_HTML, false, &text, &e),
                   0);
  /* Self-contained: nothing is fetched from anywhere. */
  static const char *const net[] = {
      "<script", "<link",       "src=",     "@import",
      "url(",    "href=\"http", "href=\"//"};
  for (size_t i = 0; i < sizeof net / sizeof net[0]; i++)
    if (strstr(text, net[i]))
      fail_msg("%s: the page refers to something outside it (%s)", name,
               net[i]);
  rt_write(html, text);
  free(text);

  snprintf(mode, sizeof mode, "--screenshot=%s", png);
  int rc = run_chromium(dir, mode, url, out, err);
  char *log = rt_slurp(err, NULL);
  assert_non_null(log);
  if (rc != 0)
    fail_msg("%s: chromium exited %d:\n%s", name, rc, log);
  char *console = console_lines(log);
  if (console)
    fail_msg("%s: console messages:\n%s", name, console);
  free(log);
#ifdef RPT_HAVE_ZLIB
  assert_not_blank(png);
#endif

  rc = run_chromium(dir, "--dump-dom", url, out, err);
  log = rt_slurp(err, NULL);
  char *dom = rt_slurp(out, NULL);
  assert_non_null(dom);
  if (rc != 0)
    fail_msg("%s: chromium --dump-dom exited %d:\n%s", name, rc, log);
  console = console_lines(log);
  if (console)
    fail_msg("%s: console messages:\n%s", name, console);
  for (size_t i = 0; must[i]; i++)
    if (!strstr(dom, must[i]))
      fail_msg("%s: the rendered page lacks %s", name, must[i]);
  size_t rects = 0;
  for (const char *p = dom; (p = strstr(p, "<rect")); p++)
    rects++;
  if (rects < 20)
    fail_msg("%s: only %zu bars drawn", name, rects);
  free(dom);
  free(log);
  rt_rmtree(dir);
  free(dir);
}

static void test_failing_single_task_with_faults(void **s) {
  (void)s;
  rpt_run *r = rt_load_one(RT_EVENTS "proxy-flap.jsonl");
  static const char *const must[] = {"<h1>ecsboot report</h1>",
                                     "proxy-flap",
                                     "<svg",
                                     "class=\"verdicts\"",
                                     "T4 within 1m",
                                     "class=\"fail\"",
                                     "container/health_fail",
                                     "Critical chain to T4",
                                     "ThrottlingException",
                                     NULL};
  check_page("proxy-flap", &r, 1, must);
  rpt_run_free(r);
}

static void test_fleet(void **s) {
  (void)s;
  rpt_run *r = rt_load_one(RT_EVENTS "fleet-5.jsonl");
  static const char *const must[] = {
      "fleet-5",
      "time to each milestone over 5 application tasks (CDF)",
      "The 5 slowest tasks",
      "app-4",
      "p95",
      NULL};
  check_page("fleet-5", &r, 1, must);
  rpt_run_free(r);
}

static void test_merged_sweep(void **s) {
  (void)s;
  rpt_run *r[2] = {rt_load_one(RT_EVENTS "seed-ok.jsonl"),
                   rt_load_one(RT_EVENTS "proxy-flap.jsonl")};
  static const char *const must[] = {"class=\"summary\"", "href=\"#run-1\"",
                                     "seed-ok", "proxy-flap", NULL};
  check_page("merged", r, 2, must);
  rpt_run_free(r[0]);
  rpt_run_free(r[1]);
}

int main(void) {
  rt_chdir_source();
  if (!find_tool("chromium", chromium, sizeof chromium) &&
      !find_tool("chromium-browser", chromium, sizeof chromium)) {
    printf("skipped: chromium not found (Debian packages chromium, "
           "chromium-driver; scripts/deps.sh --test installs them)\n");
    return 77;
  }
#ifndef RPT_HAVE_ZLIB
  printf("skipped: built without zlib (zlib1g-dev), needed to check the "
         "screenshot is not blank\n");
  return 77;
#endif
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_failing_single_task_with_faults),
      cmocka_unit_test(test_fleet),
      cmocka_unit_test(test_merged_sweep),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
