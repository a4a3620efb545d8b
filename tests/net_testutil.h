/* net_testutil.h - a server's connection limit, tested with raw idle TCP
 * connections. Tests only; loopback addresses only. */
#ifndef NET_TESTUTIL_H
#define NET_TESTUTIL_H

#include <stdbool.h>
#include <stdint.h>

/* Asserts that the server at ip:port, limited to two connections at once
 * (limited) or at its default, closes a third idle one at once or keeps
 * it, and keeps the first. */
void ntu_assert_two_connections(const char *ip, uint16_t port, bool limited);

#endif
