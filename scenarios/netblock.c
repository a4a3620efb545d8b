/*
 * netblock.c - see netblock.h. flock(2) rather than a pid file: the kernel
 * drops the lock when the runner dies, however it dies, so a crashed run
 * never leaves a block taken.
 */
#include "scn/netblock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define FIRST_BLOCK 20
#define LAST_BLOCK 250
#define TASKS_PER_OCTET 250

/* Whether a TCP socket listens on an address of block b (/proc/net/tcp,
 * this network namespace's): a process a killed run left behind (a run
 * SIGKILLed together with its guardian) still holds the block's
 * addresses, though its lock is free, and the next run there would fail
 * to bind a task's port and call it a failure of the task. The first such
 * address is written to found (host:port). */
static bool block_has_listeners(int b, char *found, size_t cap) {
  FILE *f = fopen("/proc/net/tcp", "re");
  if (!f)
    return false; /* no /proc: the bind reports a clash as before */
  char line[512];
  bool any = false;
  /* "sl local_address rem_address st ...": the address in the host's
   * byte order in hex, st 0A listening */
  if (fgets(line, sizeof line, f)) {
    while (!any && fgets(line, sizeof line, f)) {
      unsigned addr, port, st;
      if (sscanf(line, " %*u: %8x:%4x %*x:%*x %2x", &addr, &port, &st) != 3 ||
          st != 0x0A)
        continue;
      struct in_addr a = {.s_addr = addr};
      uint32_t v = ntohl(a.s_addr);
      if ((v >> 24) == 127 && (int)((v >> 16) & 0xff) == b) {
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &a, ip, sizeof ip);
        snprintf(found, cap, "%s:%u", ip, port);
        any = true;
      }
    }
  }
  fclose(f);
  return any;
}

static int try_block(int b, const char *dir) {
  char path[4096];
  snprintf(path, sizeof path, "%s/ecsboot-net-127.%d.lock", dir, b);
  /* Read-only is enough for flock, and opens a lock file another user
   * created under their umask (0644): a run as another uid (the harness
   * image's) then shares the blocks instead of finding them all busy. */
  int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0)
    return -1;
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* try_block, and a block held by a stray listener is given back. */
static int take_block(scn_netblock *nb, int b, const char *dir) {
  int fd = try_block(b, dir);
  if (fd < 0)
    return -1;
  char found[40];
  if (block_has_listeners(b, found, sizeof found)) {
    close(fd);
    if (!*nb->stray)
      snprintf(nb->stray, sizeof nb->stray, "%s", found);
    return -1;
  }
  nb->block = b;
  nb->lock_fd = fd;
  return 0;
}

int scn_netblock_acquire(scn_netblock *nb, int preferred, const char *lock_dir,
                         ecsb_err *err) {
  const char *dir = lock_dir ? lock_dir : "/tmp";
  nb->block = -1;
  nb->lock_fd = -1;
  nb->stray[0] = '\0';
  if (preferred >= FIRST_BLOCK && preferred <= LAST_BLOCK &&
      take_block(nb, preferred, dir) == 0)
    return 0;
  for (int b = FIRST_BLOCK; b <= LAST_BLOCK; b++)
    if (b != preferred && take_block(nb, b, dir) == 0)
      return 0;
  return ecsb_err_set(
      err, ECSB_ESTATE,
      "no free address block: 127.%d-%d.0.0/16 are all held "
      "by other ecsboot runs (lock files %s/ecsboot-net-*.lock)%s%s",
      FIRST_BLOCK, LAST_BLOCK, dir,
      *nb->stray ? " or by processes no run holds, such as one listening on "
                 : "",
      nb->stray);
}

void scn_netblock_release(scn_netblock *nb) {
  if (nb && nb->lock_fd >= 0) {
    close(nb->lock_fd); /* drops the flock */
    nb->lock_fd = -1;
  }
}

static const char *addr(const scn_netblock *nb, int c, int d, char *buf) {
  snprintf(buf, 16, "127.%d.%d.%d", nb->block, c, d);
  return buf;
}

const char *scn_netblock_ecs_ip(const scn_netblock *nb, char *buf) {
  return addr(nb, 0, 2, buf);
}

const char *scn_netblock_metadata_ip(const scn_netblock *nb, char *buf) {
  return addr(nb, 0, 3, buf);
}

const char *scn_netblock_server_ip(const scn_netblock *nb, char *buf) {
  return addr(nb, 0, 10, buf);
}

int scn_netblock_task_ip(const scn_netblock *nb, int i, char *buf,
                         ecsb_err *err) {
  if (i < 0 || i >= 255 * TASKS_PER_OCTET)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "task index %d is outside the block (max %d tasks)", i,
                        255 * TASKS_PER_OCTET);
  addr(nb, 1 + i / TASKS_PER_OCTET, 1 + i % TASKS_PER_OCTET, buf);
  return 0;
}

int scn_netblock_task_index(const scn_netblock *nb, const char *ip) {
  struct in_addr a;
  if (!ip || inet_pton(AF_INET, ip, &a) != 1)
    return -1;
  uint32_t v = ntohl(a.s_addr);
  int c = (int)((v >> 8) & 0xff), d = (int)(v & 0xff);
  if ((v >> 24) != 127 || (int)((v >> 16) & 0xff) != nb->block || c < 1 ||
      d < 1 || d > TASKS_PER_OCTET)
    return -1;
  return (c - 1) * TASKS_PER_OCTET + (d - 1);
}
