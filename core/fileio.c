/*
 * fileio.c - atomic writes and bounded reads.
 *
 * The atomic write is the only way ecsboot writes an output file: the
 * server-IP file and the Envoy bootstrap are read by other containers that
 * may start at any moment, so they must see either nothing or a complete
 * file. Temp files live in the target's folder (rename is only atomic
 * within one file system) and are removed on every error path.
 */
#include "ecsb/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ecsb/clock.h"

static int split_path(const char *path, char *dir, size_t dcap, char *base,
                      size_t bcap) {
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
    return -1;
  snprintf(dir, dcap, "%s", dirname(tmp));
  snprintf(tmp, sizeof tmp, "%s", path);
  snprintf(base, bcap, "%s", basename(tmp));
  return 0;
}

/* Checks the path and creates the temp file in dir (cap 4096); the caller
 * owns fd. */
static int temp_open(const char *path, char *dir, char *tmp, size_t cap,
                     int *fd, ecsb_err *err) {
  char base[1024];
  if (!path || !*path || split_path(path, dir, 4096, base, sizeof base))
    return ecsb_err_set(err, ECSB_EINVAL, "invalid output path \"%s\"",
                        path ? path : "");
  if (!*base || strcmp(base, "/") == 0 || strcmp(base, ".") == 0 ||
      strcmp(base, "..") == 0)
    return ecsb_err_set(err, ECSB_EINVAL, "output path \"%s\" names a folder",
                        path);
  snprintf(tmp, cap, "%s/.%s.tmp.XXXXXX", dir, base);
  if ((*fd = mkstemp(tmp)) < 0)
    return ecsb_err_set(err, ECSB_EIO, "cannot create a temp file in %s: %s",
                        dir, strerror(errno));
  return 0;
}

int ecsb_atomic_write_check(const char *path, ecsb_err *err) {
  char dir[4096], tmp[4096 + 1024 + 16];
  int fd = -1, rc = temp_open(path, dir, tmp, sizeof tmp, &fd, err);
  if (rc)
    return rc;
  close(fd);
  unlink(tmp);
  /* The write's rename would fail on a folder in the target's place. */
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
    return ecsb_err_set(err, ECSB_EINVAL, "output path \"%s\" is a folder",
                        path);
  return 0;
}

int ecsb_atomic_write(const char *path, const void *data, size_t len,
                      mode_t mode, ecsb_err *err) {
  char dir[4096], tmp[4096 + 1024 + 16];
  int fd = -1, trc = temp_open(path, dir, tmp, sizeof tmp, &fd, err);
  if (trc)
    return trc;
  const char *p = data;
  size_t left = len;
  while (left > 0) {
    ssize_t w = write(fd, p, left);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0) {
      ecsb_err_set(err, ECSB_EIO, "cannot write %s: %s", tmp, strerror(errno));
      goto fail;
    }
    p += w;
    left -= (size_t)w;
  }
  /* mkstemp creates 0600; set the requested mode before the file becomes
   * visible under its real name. */
  if (fchmod(fd, mode) != 0) {
    ecsb_err_set(err, ECSB_EIO, "cannot chmod %s: %s", tmp, strerror(errno));
    goto fail;
  }
  /* A replay's task charges the wait for the disk as host lag. */
  int64_t t0 = ecsb_mono_host_us();
  int synced = fsync(fd), serrno = errno;
  ecsb_clock_charge_blocked_us(ecsb_mono_host_us() - t0);
  if (synced != 0) {
    ecsb_err_set(err, ECSB_EIO, "cannot fsync %s: %s", tmp, strerror(serrno));
    goto fail;
  }
  if (close(fd) != 0) {
    fd = -1;
    ecsb_err_set(err, ECSB_EIO, "cannot close %s: %s", tmp, strerror(errno));
    goto fail;
  }
  fd = -1;
  if (rename(tmp, path) != 0) {
    ecsb_err_set(err, ECSB_EIO, "cannot rename %s to %s: %s", tmp, path,
                 strerror(errno));
    goto fail;
  }
  /* The rename is durable only once the folder's entry is on disk. */
  int dfd = open(dir, O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    t0 = ecsb_mono_host_us();
    int rc = fsync(dfd);
    int e = errno;
    ecsb_clock_charge_blocked_us(ecsb_mono_host_us() - t0);
    close(dfd);
    if (rc != 0 && e != EINVAL)
      return ecsb_err_set(err, ECSB_EIO, "cannot fsync folder %s: %s", dir,
                          strerror(e));
  }
  return 0;
fail:
  if (fd >= 0)
    close(fd);
  unlink(tmp);
  return err ? err->code : ECSB_EIO;
}

int ecsb_read_file(const char *path, size_t max_len, char **out,
                   size_t *out_len, ecsb_err *err) {
  *out = NULL;
  if (out_len)
    *out_len = 0;
  FILE *f = fopen(path, "rb");
  if (!f)
    return ecsb_err_set(err, errno == ENOENT ? ECSB_ENOTFOUND : ECSB_EIO,
                        "cannot open %s: %s", path, strerror(errno));
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  int rc = 0;
  if (!buf) {
    rc = ecsb_err_set(err, ECSB_ENOMEM, "out of memory reading %s", path);
    goto out;
  }
  for (;;) {
    if (len + 1 >= cap) {
      if (cap > max_len + 1) {
        rc = ecsb_err_set(err, ECSB_ETOOBIG, "%s is larger than %zu bytes",
                          path, max_len);
        goto out;
      }
      char *nb = realloc(buf, cap * 2);
      if (!nb) {
        rc = ecsb_err_set(err, ECSB_ENOMEM, "out of memory reading %s", path);
        goto out;
      }
      buf = nb;
      cap *= 2;
    }
    size_t n = fread(buf + len, 1, cap - 1 - len, f);
    len += n;
    if (len > max_len) {
      rc = ecsb_err_set(err, ECSB_ETOOBIG, "%s is larger than %zu bytes", path,
                        max_len);
      goto out;
    }
    if (n == 0) {
      if (ferror(f))
        rc = ecsb_err_set(err, ECSB_EIO, "cannot read %s", path);
      break;
    }
  }
out:
  fclose(f);
  if (rc) {
    free(buf);
    return rc;
  }
  buf[len] = '\0';
  *out = buf;
  if (out_len)
    *out_len = len;
  return 0;
}

int ecsb_mkdirs(const char *path, ecsb_err *err) {
  char p[4096];
  if (snprintf(p, sizeof p, "%s", path) >= (int)sizeof p)
    return ecsb_err_set(err, ECSB_EINVAL, "path too long: %s", path);
  /* the parents first only when one is missing: a fleet's runner makes
   * four folders a task under ones that exist */
  if (mkdir(p, 0755) != 0 && errno != EEXIST) {
    if (errno != ENOENT)
      return ecsb_err_set(err, ECSB_EIO, "cannot create folder %s: %s", p,
                          strerror(errno));
    for (char *s = p + 1; *s; s++) {
      if (*s != '/')
        continue;
      *s = '\0';
      if (mkdir(p, 0755) != 0 && errno != EEXIST)
        return ecsb_err_set(err, ECSB_EIO, "cannot create folder %s: %s", p,
                            strerror(errno));
      *s = '/';
    }
    if (mkdir(p, 0755) != 0 && errno != EEXIST)
      return ecsb_err_set(err, ECSB_EIO, "cannot create folder %s: %s", p,
                          strerror(errno));
  }
  struct stat st;
  if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode))
    return ecsb_err_set(err, ECSB_EIO, "%s is not a folder", p);
  return 0;
}
