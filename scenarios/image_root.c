/*
 * image_root.c - the command that runs a program of an extracted image
 * root with the root's own loader and libraries (scn/image_root.h).
 */
#include "scn/image_root.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The program's PT_INTERP (its loader, as a path inside the root) into
 * interp, or "" for a static program. 64-bit ELF only: the images ecsboot
 * builds are x86_64 or arm64, and a 32-bit program would need a 32-bit
 * loader this host may not run either. */
static int read_interp(const char *path, char *interp, size_t cap,
                       ecsb_err *err) {
  interp[0] = '\0';
  FILE *f = fopen(path, "rb");
  if (!f)
    return ecsb_err_set(err, errno == ENOENT ? ECSB_ENOTFOUND : ECSB_EIO,
                        "%s: %s", path, strerror(errno));
  int rc = 0;
  Elf64_Ehdr eh;
  if (fread(&eh, sizeof eh, 1, f) != 1 || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
      eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) ||
      eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 512) {
    rc = ecsb_err_set(err, ECSB_EINVAL,
                      "%s: not a 64-bit ELF executable, so not a program "
                      "this host can run",
                      path);
    goto out;
  }
  for (unsigned i = 0; i < eh.e_phnum; i++) {
    Elf64_Phdr ph;
    if (fseeko(f, (off_t)(eh.e_phoff + (uint64_t)i * sizeof ph), SEEK_SET) ||
        fread(&ph, sizeof ph, 1, f) != 1) {
      rc = ecsb_err_set(err, ECSB_EPARSE, "%s: program header %u is cut off",
                        path, i);
      goto out;
    }
    if (ph.p_type != PT_INTERP)
      continue;
    if (ph.p_filesz < 2 || ph.p_filesz > cap ||
        fseeko(f, (off_t)ph.p_offset, SEEK_SET) ||
        fread(interp, ph.p_filesz, 1, f) != 1 ||
        interp[ph.p_filesz - 1] != '\0' || interp[0] != '/') {
      interp[0] = '\0';
      rc = ecsb_err_set(err, ECSB_EPARSE,
                        "%s: its PT_INTERP (the loader's path) is not an "
                        "absolute path",
                        path);
    }
    goto out;
  }
out:
  fclose(f);
  return rc;
}

static int append_dir(char *buf, size_t cap, const char *dir, ecsb_err *err) {
  size_t n = strlen(buf);
  int w = snprintf(buf + n, cap - n, "%s%s", n ? ":" : "", dir);
  if (w < 0 || (size_t)w >= cap - n)
    return ecsb_err_set(err, ECSB_ETOOBIG,
                        "the image root's library folders exceed %zu bytes",
                        cap);
  return 0;
}

/* A folder of the root, and not one an absolute symlink takes out of it
 * (the host's /usr/lib would defeat the point). */
static bool root_dir(const char *real_root, const char *p) {
  char real[PATH_MAX];
  struct stat st;
  size_t rl = strlen(real_root);
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode) && realpath(p, real) &&
         strncmp(real, real_root, rl) == 0 && real[rl] == '/';
}

/* The folders a loader searches by default and the multiarch folders
 * under them (lib/x86_64-linux-gnu, where Debian's libraries are), those
 * of them the root has. The multiarch ones go first: a Debian root keeps
 * its libraries there. */
static int lib_path(const char *root, const char *real_root, char *buf,
                    size_t cap, ecsb_err *err) {
  static const char *const bases[] = {"lib", "usr/lib", "lib64", "usr/lib64",
                                      "usr/local/lib"};
  buf[0] = '\0';
  int rc = 0;
  for (int pass = 0; pass < 2 && !rc; pass++)
    for (size_t i = 0; i < sizeof bases / sizeof *bases && !rc; i++) {
      char dir[PATH_MAX];
      snprintf(dir, sizeof dir, "%s/%s", root, bases[i]);
      if (!root_dir(real_root, dir))
        continue;
      if (pass == 1) {
        rc = append_dir(buf, cap, dir, err);
        continue;
      }
      DIR *d = opendir(dir);
      if (!d)
        continue;
      struct dirent *e;
      while (!rc && (e = readdir(d))) {
        /* a multiarch triplet: arch-os-abi, e.g. aarch64-linux-gnu */
        if (e->d_name[0] == '.' || !strstr(e->d_name, "-linux-"))
          continue;
        char sub[PATH_MAX + 256];
        snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
        if (root_dir(real_root, sub))
          rc = append_dir(buf, cap, sub, err);
      }
      closedir(d);
    }
  return rc;
}

int scn_image_root_command(const char *root, const char *program,
                           scn_image_cmd *out, ecsb_err *err) {
  memset(out, 0, sizeof *out);
  int w = snprintf(out->program, sizeof out->program, "%s%s", root, program);
  if (w < 0 || (size_t)w >= sizeof out->program)
    return ecsb_err_set(err, ECSB_ETOOBIG, "image root %s: path too long",
                        root);
  char interp[PATH_MAX];
  int rc = read_interp(out->program, interp, sizeof interp, err);
  if (rc)
    return ecsb_err_prefix(err, "image root %s: %s", root,
                           rc == ECSB_ENOTFOUND ? "no program" : "program");
  if (!interp[0]) { /* static: it needs no loader and no library */
    out->argv[0] = out->program;
    return 0;
  }
  char want[PATH_MAX + 16];
  snprintf(want, sizeof want, "%s%s", root, interp);
  /* An image's /lib64 may be a symlink to /usr/lib64 or the like: an
   * absolute target would name the host's loader, not the image's. */
  char real_root[PATH_MAX], real_loader[PATH_MAX];
  if (!realpath(root, real_root))
    return ecsb_err_set(err, ECSB_EIO, "image root %s: %s", root,
                        strerror(errno));
  if (!realpath(want, real_loader))
    return ecsb_err_set(err, ECSB_ENOTFOUND,
                        "image root %s: %s needs the loader %s, which the "
                        "root does not have (%s: %s)",
                        root, program, interp, want, strerror(errno));
  size_t rl = strlen(real_root);
  if (strncmp(real_loader, real_root, rl) || real_loader[rl] != '/')
    return ecsb_err_set(err, ECSB_EINVAL,
                        "image root %s: its loader %s resolves to %s, "
                        "outside the root (an absolute symlink); extract "
                        "the image with the links' targets copied",
                        root, want, real_loader);
  snprintf(out->loader, sizeof out->loader, "%s", real_loader);
  if ((rc =
           lib_path(root, real_root, out->lib_path, sizeof out->lib_path, err)))
    return ecsb_err_prefix(err, "image root %s", root);
  if (!out->lib_path[0])
    return ecsb_err_set(err, ECSB_ENOTFOUND,
                        "image root %s: %s is dynamically linked but the "
                        "root has no library folder (lib, usr/lib, lib64)",
                        root, program);
  out->argv[0] = out->loader;
  out->argv[1] = "--inhibit-cache"; /* never the host's ld.so.cache */
  out->argv[2] = "--library-path";
  out->argv[3] = out->lib_path;
  out->argv[4] = out->program;
  return 0;
}
