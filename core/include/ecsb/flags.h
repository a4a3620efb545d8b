/*
 * flags.h - command-line flags for ecsboot-init's subcommands.
 *
 * Owns: matching argv against a table of flag specs, converting and
 * range-checking values, and printing --help. Accepted spellings, so that
 * task definitions written for consul-ecs keep working: `-name=value`,
 * `-name value`, `--name=value`, `--name value`; bool flags as `-name` or
 * `-name=true|false` (never `-name false`, as in Go's flag package).
 * Positional arguments may appear before, between or after flags; `--` ends
 * flag parsing. Every error names the flag and the offending value (the
 * caller prefixes its command).
 *
 * String values are borrowed from argv (which outlives the parse in main).
 * No global state: a flag set is a caller-owned table.
 */
#ifndef ECSB_FLAGS_H
#define ECSB_FLAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ecsb/err.h"

typedef enum ecsb_flag_type {
  ECSB_FLAG_STRING,   /* dest: const char ** */
  ECSB_FLAG_BOOL,     /* dest: bool * */
  ECSB_FLAG_INT,      /* dest: int64_t *, checked against [min, max] */
  ECSB_FLAG_DURATION, /* dest: int64_t * nanoseconds, in [min, max] */
} ecsb_flag_type;

typedef struct ecsb_flag {
  const char *name;  /* without dashes: "service-name" */
  const char *alias; /* a second accepted name, or NULL */
  ecsb_flag_type type;
  void *dest;
  int64_t min, max;    /* INT and DURATION; both 0 means no bound */
  const char *metavar; /* shown in --help: "NAME", "DURATION" */
  const char *help;    /* one line; mention the default */
  bool *was_set;       /* optional: set to true when given */
} ecsb_flag;

typedef struct ecsb_flagset {
  const char *command; /* "ecsboot-init discover-servers" */
  const char *args;    /* positional synopsis: "tcp HOST:PORT", or NULL */
  const char *summary; /* what the command does, shown by --help */
  const ecsb_flag *flags;
  size_t n_flags;
  const char *epilog; /* extra help text (env vars, exit codes) or NULL */
} ecsb_flagset;

/* Returned (positive) by ecsb_flags_parse when -h/-help/--help was given. */
#define ECSB_FLAGS_HELP 1

/* Parses argv[0..argc) (argv[0] is the first argument, not the program).
 * Positional arguments are collected in order into pos (borrowed pointers;
 * at most pos_cap, more is an error) and counted in *n_pos. Returns 0,
 * ECSB_FLAGS_HELP, or ECSB_EINVAL with a message naming the flag. */
int ecsb_flags_parse(const ecsb_flagset *fs, int argc, char **argv, char **pos,
                     size_t pos_cap, size_t *n_pos, ecsb_err *err);

/* Prints the usage text for fs. */
void ecsb_flags_usage(const ecsb_flagset *fs, FILE *out);

/* Splits a comma-separated list in place-free fashion: returns a heap array
 * of heap strings (NULL-terminated, freed with ecsb_strv_free), trimming
 * spaces around items. Empty input gives an empty array. An empty item
 * ("a,,b") is ECSB_EINVAL naming `what`. */
int ecsb_split_list(const char *s, const char *what, char ***out, size_t *n,
                    ecsb_err *err);
void ecsb_strv_free(char **v);

#endif
