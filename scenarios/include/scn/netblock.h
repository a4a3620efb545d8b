/*
 * netblock.h - one run's private slice of 127.0.0.0/8.
 *
 * Each run takes a /16 block 127.B.0.0 (B in 20..250) and holds an flock on
 * a lock file for as long as it runs, so two runs on one machine never bind
 * the same addresses; production ports (8500, 20000, the app's) stay as
 * they are because every task has its own address (docs/architecture.md).
 * Layout inside the block:
 *   127.B.0.2   fake-ecs API          127.B.0.3   metadata + credentials
 *   127.B.0.10  the Consul server task
 *   127.B.1.1 ... application tasks, 250 per third octet (up to 62,500)
 */
#ifndef SCN_NETBLOCK_H
#define SCN_NETBLOCK_H

#include "ecsb/err.h"

typedef struct scn_netblock {
  int block; /* B */
  int lock_fd;
  /* A block whose lock was free but where a socket listened (a process a
   * killed run left behind) is passed over; the first such address
   * (host:port), or "". */
  char stray[40];
} scn_netblock;

/* Takes the first free block, trying `preferred` first when it is in range
 * (0: no preference), passing over one where a TCP socket listens on an
 * address of the block. lock_dir holds the lock files (NULL: /tmp). */
int scn_netblock_acquire(scn_netblock *nb, int preferred, const char *lock_dir,
                         ecsb_err *err);
void scn_netblock_release(scn_netblock *nb);

/* Address of the fake-ecs API, metadata, the server task, and app task i
 * (0-based). buf must hold 16 bytes. */
const char *scn_netblock_ecs_ip(const scn_netblock *nb, char *buf);
const char *scn_netblock_metadata_ip(const scn_netblock *nb, char *buf);
const char *scn_netblock_server_ip(const scn_netblock *nb, char *buf);
int scn_netblock_task_ip(const scn_netblock *nb, int i, char *buf,
                         ecsb_err *err);
/* The index of the app task whose address ip is, or -1 (not one of this
 * block's task addresses). */
int scn_netblock_task_index(const scn_netblock *nb, const char *ip);

#endif
