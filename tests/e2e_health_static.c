/* e2e_health_static.c - ecsboot-health needs nothing but the kernel: its
 * ELF file has no interpreter and no dynamic section, and a copy alone in
 * an empty folder runs tcp and http checks, pass and fail, against
 * listeners on 127.0.0.1. As root the folder is the copy's whole root
 * (chroot), as in a scratch image; otherwise it runs from that folder with
 * an empty environment. Waits are bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ecsb/clock.h"
#include "ecsb/fileio.h"
#include "init_testutil.h"

static const char *health_bin(void) {
  return ECSB_BUILD_DIR "/core/ecsboot-health";
}

typedef struct fx {
  char *root; /* the empty folder, holding only the copy */
  bool chrooted;
} fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  f->root = tu_tmpdir();
  size_t n = 0;
  char *bin = tu_slurp(health_bin(), &n);
  char dst[4200];
  snprintf(dst, sizeof dst, "%s/ecsboot-health", f->root);
  if (!bin || ecsb_atomic_write(dst, bin, n, 0755, NULL) != 0)
    return -1;
  free(bin);
  f->chrooted = geteuid() == 0;
  if (!f->chrooted)
    print_message("not root: running the copy from an empty folder with an "
                  "empty environment instead of chrooting into it\n");
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  tu_rmtree(f->root);
  free(f->root);
  free(f);
  return 0;
}

/* Runs the copy with args (NULL-terminated) and an empty environment;
 * stdout and stderr into err. Returns the exit code, -1 if it did not exit by
 * itself within 20 s. */
static int run_copy(const fx *f, const char *const *args, char *err,
                    size_t cap) {
  const char *argv[12];
  size_t n = 0;
  argv[n++] = f->chrooted ? "/ecsboot-health" : "./ecsboot-health";
  for (size_t i = 0; args[i] && n < 11; i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  int p[2];
  assert_int_equal(pipe2(p, O_CLOEXEC), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    char *const env[] = {NULL};
    dup2(p[1], 1);
    dup2(p[1], 2);
    if (chdir(f->root) != 0 || (f->chrooted && chroot(".") != 0))
      _exit(126);
    execve(argv[0], (char *const *)argv, env);
    _exit(127);
  }
  close(p[1]);
  size_t got = 0;
  int64_t deadline = ecsb_mono_ms() + 20000;
  for (;;) {
    int64_t left = deadline - ecsb_mono_ms();
    struct pollfd pf = {.fd = p[0], .events = POLLIN};
    if (left <= 0 || poll(&pf, 1, (int)left) == 0)
      break;
    ssize_t r = read(p[0], err + got, cap - 1 - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    got += (size_t)r;
    if (got == cap - 1)
      break;
  }
  err[got] = '\0';
  close(p[0]);
  int st = 0;
  while (waitpid(pid, &st, WNOHANG) == 0) {
    if (ecsb_mono_ms() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &st, 0);
      return -1;
    }
    ecsb_sleep_ms(10, NULL);
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int listener(int *port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, (struct sockaddr *)&a, sizeof a);
  listen(fd, 4);
  socklen_t l = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &l);
  *port = ntohs(a.sin_port);
  return fd;
}

/* No PT_INTERP (nothing loads it) and no PT_DYNAMIC (it asks for no
 * library): the kernel runs it as it is. */
static void test_the_program_needs_no_shared_library(void **state) {
  (void)state;
  size_t n = 0;
  char *bin = tu_slurp(health_bin(), &n);
  assert_non_null(bin);
  assert_true(n > sizeof(Elf64_Ehdr));
  const Elf64_Ehdr *eh = (const Elf64_Ehdr *)bin;
  assert_memory_equal(eh->e_ident, ELFMAG, SELFMAG);
  assert_int_equal(eh->e_ident[EI_CLASS], ELFCLASS64);
  assert_true(eh->e_phoff + (size_t)eh->e_phnum * sizeof(Elf64_Phdr) <= n);
  int loads = 0;
  for (int i = 0; i < eh->e_phnum; i++) {
    const Elf64_Phdr *ph =
        (const Elf64_Phdr *)(bin + eh->e_phoff + (size_t)i * sizeof *ph);
    assert_int_not_equal(ph->p_type, PT_INTERP);
    assert_int_not_equal(ph->p_type, PT_DYNAMIC);
    loads += ph->p_type == PT_LOAD;
  }
  assert_true(loads > 0);
  free(bin);
}

static void test_the_root_holds_only_the_copy(void **state) {
  fx *f = *state;
  DIR *d = opendir(f->root);
  assert_non_null(d);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
      n++;
  closedir(d);
  assert_int_equal(n, 1);
  char err[4096];
  const char *version[] = {"--version", NULL};
  assert_int_equal(run_copy(f, version, err, sizeof err), 0);
  assert_non_null(strstr(err, "ecsboot-health "));
}

static void test_tcp_check_passes_and_fails(void **state) {
  fx *f = *state;
  int port;
  int fd = listener(&port);
  char hp[64], err[4096];
  snprintf(hp, sizeof hp, "127.0.0.1:%d", port);
  const char *plain[] = {"tcp", hp, "--timeout=5s", NULL};
  const char *as_init[] = {"health-check", "tcp", hp, NULL};
  assert_int_equal(run_copy(f, plain, err, sizeof err), 0);
  assert_string_equal(err, "");
  assert_int_equal(run_copy(f, as_init, err, sizeof err), 0);
  close(fd);
  assert_int_equal(run_copy(f, plain, err, sizeof err), 1);
  assert_non_null(strstr(err, "unhealthy: tcp"));
  assert_non_null(strstr(err, "refused"));
}

static void test_http_check_passes_and_fails(void **state) {
  fx *f = *state;
  tu_json j = {0};
  assert_int_equal(tu_json_start(&j, "ok"), 0);
  char url[128], err[4096];
  snprintf(url, sizeof url, "%s/health", j.url);
  const char *check[] = {"health-check", "http", url, NULL};
  assert_int_equal(run_copy(f, check, err, sizeof err), 0);
  assert_string_equal(j.last_path, "/health");
  tu_json_set(&j, 503, "no");
  assert_int_equal(run_copy(f, check, err, sizeof err), 1);
  assert_non_null(strstr(err, "HTTP 503 not expected"));
  const char *expect_503[] = {"http", url, "--expect=503", NULL};
  assert_int_equal(run_copy(f, expect_503, err, sizeof err), 0);
  tu_json_stop(&j);
  assert_int_equal(run_copy(f, check, err, sizeof err), 1);
  assert_non_null(strstr(err, "unhealthy: GET"));
}

/* What it cannot do, it says: names need a resolver, https a TLS library. */
static void test_names_and_https_are_refused_clearly(void **state) {
  fx *f = *state;
  char err[4096];
  const char *name[] = {"tcp", "consul.internal:8500", NULL};
  assert_int_equal(run_copy(f, name, err, sizeof err), 1);
  assert_non_null(strstr(err, "resolves none"));
  const char *tls[] = {"http", "https://127.0.0.1:1/", NULL};
  assert_int_equal(run_copy(f, tls, err, sizeof err), 1);
  assert_non_null(strstr(err, "plain HTTP only"));
  const char *other[] = {"mesh-init", NULL};
  assert_int_equal(run_copy(f, other, err, sizeof err), 1);
  assert_non_null(strstr(err, "is an ecsboot-init command"));
  const char *none[] = {NULL};
  assert_int_equal(run_copy(f, none, err, sizeof err), 1);
  assert_non_null(strstr(err, "expected `tcp HOST:PORT`"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_the_program_needs_no_shared_library),
      cmocka_unit_test(test_the_root_holds_only_the_copy),
      cmocka_unit_test(test_tcp_check_passes_and_fails),
      cmocka_unit_test(test_http_check_passes_and_fails),
      cmocka_unit_test(test_names_and_https_are_refused_clearly),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
