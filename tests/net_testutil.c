/* net_testutil.c - see net_testutil.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net_testutil.h"

static int connect_idle(const char *ip, uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true(fd >= 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
  assert_int_equal(inet_pton(AF_INET, ip, &sa.sin_addr), 1);
  assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  return fd;
}

static bool closed_within(int fd, int ms) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  if (poll(&p, 1, ms) != 1)
    return false;
  char c;
  return recv(fd, &c, 1, 0) <= 0;
}

void ntu_assert_two_connections(const char *ip, uint16_t port, bool limited) {
  int a = connect_idle(ip, port), b = connect_idle(ip, port);
  usleep(100000); /* both accepted before the third */
  int c = connect_idle(ip, port);
  if (limited)
    assert_true(closed_within(c, 5000));
  else
    assert_false(closed_within(c, 300));
  assert_false(closed_within(a, 0));
  close(a);
  close(b);
  close(c);
}
