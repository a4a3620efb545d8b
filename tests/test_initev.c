/* test_initev.c - ecsboot-init's retry datagrams (core/initev.c) through
 * the loop that sends them (ecsb_retry_wait), received on a real Linux
 * abstract unix socket: the fields, redaction and the UTF-8-safe cut of
 * the error, the address rules, and that a missing or stuck receiver never
 * fails or stalls the sender; and the replay's seed variable, read by
 * ecsboot-init and the consul-client stand-in alike. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "ecsb/clock.h"
#include "ecsb/initev.h"
#include "ecsb/retry.h"

typedef struct fx {
  char spec[64];
  int fd; /* the receiver */
} fx;

static int setup(void **state) {
  static int n;
  fx *f = calloc(1, sizeof *f);
  snprintf(f->spec, sizeof f->spec, "@ecsb-test-initev-%d-%d", (int)getpid(),
           n++);
  struct sockaddr_un sa;
  socklen_t len;
  if (ecsb_initev_addr(f->spec, &sa, &len, NULL) != 0)
    return -1;
  f->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (f->fd < 0 || bind(f->fd, (struct sockaddr *)&sa, len) != 0)
    return -1;
  setenv("ECSBOOT_EVENTS", f->spec, 1);
  setenv("ECSBOOT_TASK", "web-1", 1);
  setenv("ECSBOOT_CONTAINER", "mesh-init", 1);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  close(f->fd);
  unsetenv("ECSBOOT_EVENTS");
  unsetenv("ECSBOOT_TASK");
  unsetenv("ECSBOOT_CONTAINER");
  free(f);
  return 0;
}

/* The next datagram, parsed; NULL when none came within 2 s. */
static cJSON *next_datagram(fx *f) {
  struct pollfd p = {.fd = f->fd, .events = POLLIN};
  if (poll(&p, 1, 2000) != 1)
    return NULL;
  char buf[4096];
  ssize_t n = recv(f->fd, buf, sizeof buf - 1, 0);
  if (n <= 0)
    return NULL;
  buf[n] = '\0';
  return cJSON_Parse(buf);
}

static const char *str(const cJSON *j, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num(const cJSON *j, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);
  return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static void test_each_retry_sends_one_datagram_with_its_fields(void **state) {
  fx *f = *state;
  ecsb_initev ev;
  assert_int_equal(ecsb_initev_open(&ev, "mesh-init", NULL), 0);
  assert_true(ev.enabled);
  ecsb_retry r;
  ecsb_retry_opts o = {.timeout_us = 10000000,
                       .base_us = 2000,
                       .cap_us = 4000,
                       .seed = 7,
                       .events = &ev};
  ecsb_retry_start(&r, &o);
  ecsb_err why = {.code = ECSB_ETRANSPORT};
  snprintf(why.msg, sizeof why.msg,
           "PUT http://127.0.0.1:8500/v1/agent/service/register: connection "
           "refused (X-Consul-Token: s3cr3t-token)");
  for (int attempt = 1; attempt <= 3; attempt++) {
    assert_int_equal(ecsb_retry_wait(&r, attempt == 3, "Consul agent", &why),
                     0);
    cJSON *j = next_datagram(f);
    assert_non_null(j);
    assert_int_equal((int)num(j, "v"), 1);
    assert_string_equal(str(j, "kind"), "retry");
    assert_string_equal(str(j, "cmd"), "mesh-init");
    assert_string_equal(str(j, "task"), "web-1");
    assert_string_equal(str(j, "container"), "mesh-init");
    assert_int_equal((int)num(j, "pid"), (int)getpid());
    assert_string_equal(str(j, "what"), "Consul agent");
    assert_int_equal((int)num(j, "attempt"), attempt);
    /* full jitter up to the ceiling (2 ms, then 4 ms), never below a
     * fortieth of the first; throttled: equal jitter over min(cap / 2,
     * 5 x ceiling) = 2 ms */
    double w = num(j, "wait_us");
    assert_true(w >= (attempt == 3 ? 1000 : 50));
    assert_true(w <= (attempt == 2 ? 4000 : 2000));
    assert_int_equal(
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "throttled")),
        attempt == 3);
    const char *e = str(j, "error");
    assert_non_null(strstr(e, "connection refused"));
    assert_null(strstr(e, "s3cr3t"));
    cJSON_Delete(j);
  }
  ecsb_initev_close(&ev);
}

static void test_same_seed_reports_the_same_waits(void **state) {
  fx *f = *state;
  double waits[2][4];
  for (int run = 0; run < 2; run++) {
    ecsb_initev ev;
    assert_int_equal(ecsb_initev_open(&ev, "discover-servers", NULL), 0);
    ecsb_retry r;
    ecsb_retry_opts o = {
        .base_us = 1000, .cap_us = 8000, .seed = 42, .events = &ev};
    ecsb_retry_start(&r, &o);
    for (int i = 0; i < 4; i++) {
      assert_int_equal(ecsb_retry_wait(&r, false, "Consul server task", NULL),
                       0);
      cJSON *j = next_datagram(f);
      assert_non_null(j);
      waits[run][i] = num(j, "wait_us");
      assert_string_equal(str(j, "error"), "");
      cJSON_Delete(j);
    }
    ecsb_initev_close(&ev);
  }
  for (int i = 0; i < 4; i++)
    assert_true(waits[0][i] == waits[1][i]);
}

static void test_error_is_cut_without_splitting_a_character(void **state) {
  fx *f = *state;
  ecsb_initev ev;
  assert_int_equal(ecsb_initev_open(&ev, "mesh-init", NULL), 0);
  char msg[ECSB_ERR_MSG_MAX];
  size_t n = 0;
  msg[n++] = 'x'; /* odd offset: a cut at 256 would split a 2-byte char */
  while (n + 2 < sizeof msg) {
    msg[n++] = (char)0xc3;
    msg[n++] = (char)0xa9; /* é */
  }
  msg[n] = '\0';
  ecsb_initev_retry rt = {
      .what = "task metadata", .attempt = 1, .wait_us = 5, .error = msg};
  ecsb_initev_send_retry(&ev, &rt);
  cJSON *j = next_datagram(f);
  assert_non_null(j);
  const char *e = str(j, "error");
  assert_true(strlen(e) <= ECSB_INITEV_ERROR_MAX && strlen(e) > 200);
  assert_int_equal(strlen(e) % 2, 1); /* 'x' plus whole characters */
  assert_int_equal((unsigned char)e[strlen(e) - 1], 0xa9);
  cJSON_Delete(j);
  ecsb_initev_close(&ev);
}

static void test_address_must_be_an_abstract_name(void **state) {
  (void)state;
  struct sockaddr_un sa;
  socklen_t len = 0;
  const char *bad[] = {"",        "@",    "/tmp/ecsboot.sock",
                       "ecsboot", "@a b", "@\x7f"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ecsb_err err = {0};
    assert_int_equal(ecsb_initev_addr(bad[i], &sa, &len, &err), ECSB_EINVAL);
    assert_non_null(strstr(err.msg, "ECSBOOT_EVENTS"));
  }
  char longname[120];
  memset(longname, 'a', sizeof longname);
  longname[0] = '@';
  longname[sizeof longname - 1] = '\0';
  assert_int_equal(ecsb_initev_addr(longname, &sa, &len, NULL), ECSB_EINVAL);
  assert_int_equal(ecsb_initev_addr("@ecsboot-1-2", &sa, &len, NULL), 0);
  assert_int_equal(sa.sun_path[0], '\0');
  assert_memory_equal(sa.sun_path + 1, "ecsboot-1-2", 11);
  assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + 12);
}

static void test_bad_or_unset_channel_is_disabled_not_fatal(void **state) {
  (void)state;
  ecsb_initev ev;
  unsetenv("ECSBOOT_EVENTS");
  assert_int_equal(ecsb_initev_open(&ev, "mesh-init", NULL), 0);
  assert_false(ev.enabled);
  ecsb_initev_retry rt = {.what = "x", .attempt = 1};
  ecsb_initev_send_retry(&ev, &rt);
  assert_int_equal(ev.fd, -1); /* production opens no socket */
  ecsb_initev_close(&ev);
  setenv("ECSBOOT_EVENTS", "/run/ecsboot.sock", 1);
  ecsb_err err = {0};
  assert_int_equal(ecsb_initev_open(&ev, "mesh-init", &err), ECSB_EINVAL);
  assert_false(ev.enabled);
  ecsb_initev_send_retry(&ev, &rt);
  assert_int_equal(ev.fd, -1);
  ecsb_initev_close(&ev);
}

static void test_missing_or_stuck_receiver_never_stalls(void **state) {
  fx *f = *state;
  ecsb_initev ev;
  ecsb_initev_retry rt = {.what = "Consul agent", .attempt = 1};
  /* nobody bound there: refused at once, warned once */
  setenv("ECSBOOT_EVENTS", "@ecsb-test-initev-nobody", 1);
  assert_int_equal(ecsb_initev_open(&ev, "mesh-init", NULL), 0);
  ecsb_initev_send_retry(&ev, &rt);
  assert_true(ev.warned);
  ecsb_initev_close(&ev);
  /* a receiver that never reads: its queue fills, then each send gives
   * up after ECSB_INITEV_SEND_TIMEOUT_MS */
  setenv("ECSBOOT_EVENTS", f->spec, 1);
  assert_int_equal(ecsb_initev_open(&ev, "mesh-init", NULL), 0);
  int64_t t0 = ecsb_mono_ms();
  for (int i = 0; i < 40; i++) {
    int64_t s = ecsb_mono_ms();
    ecsb_initev_send_retry(&ev, &rt);
    assert_true(ecsb_mono_ms() - s < 20 * ECSB_INITEV_SEND_TIMEOUT_MS);
  }
  assert_true(ev.warned);
  assert_true(ecsb_mono_ms() - t0 < 40 * 20 * ECSB_INITEV_SEND_TIMEOUT_MS);
  ecsb_initev_close(&ev);
}

static void test_retry_seed_variable(void **state) {
  (void)state;
  int64_t seed = -1;
  ecsb_err err = {0};
  unsetenv(ECSB_RETRY_SEED_ENV);
  assert_int_equal(ecsb_retry_seed_env(&seed, &err), 0);
  assert_int_equal(seed, 0);
  setenv(ECSB_RETRY_SEED_ENV, "", 1);
  assert_int_equal(ecsb_retry_seed_env(&seed, &err), 0);
  assert_int_equal(seed, 0);
  setenv(ECSB_RETRY_SEED_ENV, "9223372036854775807", 1);
  assert_int_equal(ecsb_retry_seed_env(&seed, &err), 0);
  assert_true(seed == INT64_MAX);
  const char *bad[] = {"-1", "+1", "12x", "9223372036854775808"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    setenv(ECSB_RETRY_SEED_ENV, bad[i], 1);
    seed = 5;
    assert_int_equal(ecsb_retry_seed_env(&seed, &err), ECSB_EINVAL);
    assert_int_equal(seed, 0);
    char want[160];
    snprintf(want, sizeof want,
             "ECSBOOT_RETRY_SEED \"%s\": expected an integer "
             "0-9223372036854775807",
             bad[i]);
    assert_string_equal(err.msg, want);
  }
  unsetenv(ECSB_RETRY_SEED_ENV);
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
      T(test_each_retry_sends_one_datagram_with_its_fields),
      T(test_same_seed_reports_the_same_waits),
      T(test_error_is_cut_without_splitting_a_character),
      T(test_address_must_be_an_abstract_name),
      T(test_bad_or_unset_channel_is_disabled_not_fatal),
      T(test_missing_or_stuck_receiver_never_stalls),
      cmocka_unit_test(test_retry_seed_variable),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
