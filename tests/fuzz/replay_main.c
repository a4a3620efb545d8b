/* replay_main.c - runs a fuzz target over every file of a corpus folder
 * without libFuzzer, so committed inputs (seeds and the regression inputs
 * of fixed crashes) are replayed by ctest in every build. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/fileio.h"

#include "fuzz.h"

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  DIR *d = opendir(argv[1]);
  if (!d) {
    fprintf(stderr, "%s: cannot open corpus %s\n", argv[0], argv[1]);
    return 2;
  }
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.')
      continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", argv[1], e->d_name);
    char *buf = NULL;
    size_t len = 0;
    ecsb_err err = {0};
    if (ecsb_read_file(path, 16u << 20, &buf, &len, &err) != 0) {
      fprintf(stderr, "%s\n", err.msg);
      closedir(d);
      return 1;
    }
    LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
    free(buf);
    n++;
  }
  closedir(d);
  printf("replayed %d inputs from %s\n", n, argv[1]);
  /* An empty corpus means the target is not exercised at all. */
  return n > 0 ? 0 : 1;
}
