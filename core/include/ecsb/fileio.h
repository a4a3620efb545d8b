/*
 * fileio.h - atomic file writes and bounded file reads.
 *
 * Every output file ecsboot produces goes through ecsb_atomic_write: a temp
 * file in the same folder, write, fsync, chmod to the requested mode, rename
 * over the target, fsync the folder. Readers see the old file or the new
 * one, never a partial one; on any error the temp file is removed and the
 * target is left untouched.
 */
#ifndef ECSB_FILEIO_H
#define ECSB_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

#include "ecsb/err.h"

int ecsb_atomic_write(const char *path, const void *data, size_t len,
                      mode_t mode, ecsb_err *err);

/* Fails as ecsb_atomic_write(path) would before writing a byte (a bad path,
 * a folder in its place, a folder missing or not writable), by creating
 * and removing the same temp file; for a command to check before side
 * effects it cannot undo. The target is not touched. */
int ecsb_atomic_write_check(const char *path, ecsb_err *err);

/* Reads a whole file of at most max_len bytes into a NUL-terminated heap
 * buffer the caller frees. A larger file is ECSB_ETOOBIG. */
int ecsb_read_file(const char *path, size_t max_len, char **out,
                   size_t *out_len, ecsb_err *err);

/* Creates path and its missing parents (mode 0755), as mkdir -p; an
 * existing folder is fine, an existing non-folder is an error naming it. */
int ecsb_mkdirs(const char *path, ecsb_err *err);

#endif
