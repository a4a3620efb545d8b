/*
 * duration.h - durations written as Consul and Go write them ("10s",
 * "1m30s", "250ms", "1h", "1.5s", "0"), in nanoseconds as int64_t.
 *
 * Parsing follows Go's time.ParseDuration (units ns, us, µs, ms, s, m, h,
 * optional sign and fractions, overflow rejected); formatting follows Go's
 * Duration.String ("1m30s", "10m0s", "250ms", "0s").
 */
#ifndef ECSB_DURATION_H
#define ECSB_DURATION_H

#include <stddef.h>
#include <stdint.h>

#include "ecsb/err.h"

#define ECSB_NS_PER_MS INT64_C(1000000)
#define ECSB_NS_PER_S INT64_C(1000000000)

int ecsb_duration_parse(const char *s, int64_t *out_ns, ecsb_err *err);
/* Writes the Go form into buf (32 bytes always suffice); returns buf. */
char *ecsb_duration_format(int64_t ns, char *buf, size_t cap);

#endif
