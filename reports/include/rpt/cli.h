/*
 * cli.h - `ecsboot report`, as a library entry point so cli/main.c wires
 * it with one line (argv[0] is "report"):
 *
 *   ecsboot report LOG|REPORT... [--format F] [--out DIR]
 *   ecsboot report compare BASE NEW [--threshold 10%] [--min-delta 1ms]
 *   ecsboot report merge INPUT... --out DIR [--format F]
 *
 * Exit codes (docs/reports.md): 0 every expectation passed / no
 * regression; 1 an expectation failed or is undecided / a regression;
 * 2 bad usage or unreadable input (the message names the file, line and
 * JSON path).
 */
#ifndef RPT_CLI_H
#define RPT_CLI_H

#include <stdio.h>

int rpt_cli_main(int argc, char **argv);
/* The same with explicit streams (tests). Colour follows out's TTY-ness
 * and NO_COLOR. */
int rpt_cli_run(int argc, char **argv, FILE *out, FILE *errs);

#endif
