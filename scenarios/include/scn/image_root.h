/*
 * image_root.h - running a program of an extracted container image root
 * (the image's layers unpacked into a folder) on this host, unprivileged:
 * through the root's own dynamic loader, started with --inhibit-cache and
 * --library-path naming the root's library folders, so the program loads
 * the shared libraries that ship in the image, not the host's. Owns that
 * rule only; the runner uses it for `ecsboot run --init-bin ROOT`, so a
 * scenario replays the ecsboot-init of the image that ships.
 *
 * Never chroots: that needs CAP_SYS_CHROOT, and the runner's containers
 * are given host paths (their volumes are folders of the run). The loader
 * still falls back to the host's trusted folders (/lib, /usr/lib) for a
 * library the root lacks; `ld.so --list` with the same flags shows where
 * each one comes from (tests/init_image_test.sh checks it).
 */
#ifndef SCN_IMAGE_ROOT_H
#define SCN_IMAGE_ROOT_H

#include <stddef.h>

#include "ecsb/err.h"

/* The words that start a program of the root: the loader, its flags and
 * the program, or the program alone when it is static (no PT_INTERP). */
typedef struct scn_image_cmd {
  const char *argv[6]; /* NULL-terminated, pointing into the buffers */
  char loader[4096];
  char lib_path[8192]; /* the root's library folders, ':'-separated */
  char program[4096];
} scn_image_cmd;

/* The command for `program` (a path inside the root, such as
 * "/ecsboot-init") of the image root `root` (an absolute folder). Fails,
 * naming the file, when the program is missing or not a 64-bit ELF
 * executable, or when its loader is missing from the root or resolves
 * outside it (an absolute symlink). */
int scn_image_root_command(const char *root, const char *program,
                           scn_image_cmd *out, ecsb_err *err);

#endif
