/* cli.h - subcommands implemented in cli/ itself. */
#ifndef ECSB_CLI_H
#define ECSB_CLI_H

/* `ecsboot serve`: argv[0] is "serve". Returns the exit code. */
int cli_serve_main(int argc, char **argv);

/* `ecsboot run [FILE...]`: argv[0] is "run". Returns the exit code. */
int cli_run_main(int argc, char **argv);

#endif
