/* net_testutil.h - raw TCP helpers for tests of a server's connection
 * handling: an idle connection, and whether the server closed one. Tests
 * only; loopback addresses only. */
#ifndef NET_TESTUTIL_H
#define NET_TESTUTIL_H

#include <stdbool.h>
#include <stdint.h>

/* An idle TCP connection to ip:port (asserts it connects). */
int ntu_connect_idle(const char *ip, uint16_t port);
/* The same for a server's URL, "http://ip:port". */
int ntu_connect_idle_url(const char *url);
/* Whether the server closed fd within ms. */
bool ntu_closed_within(int fd, int ms);

#endif
