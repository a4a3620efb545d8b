/* net_testutil.c - see net_testutil.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>

#include "net_testutil.h"

int ntu_connect_idle(const char *ip, uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true(fd >= 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
  assert_int_equal(inet_pton(AF_INET, ip, &sa.sin_addr), 1);
  assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  return fd;
}

int ntu_connect_idle_url(const char *url) {
  char ip[64];
  unsigned port = 0;
  assert_int_equal(sscanf(url, "http://%63[^:]:%u", ip, &port), 2);
  assert_true(port > 0 && port <= 65535);
  return ntu_connect_idle(ip, (uint16_t)port);
}

bool ntu_closed_within(int fd, int ms) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  if (poll(&p, 1, ms) != 1)
    return false;
  char c;
  return recv(fd, &c, 1, 0) <= 0;
}
