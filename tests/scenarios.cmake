# Tests of scenarios/ (process manager, and later the runner).
ecsb_add_test(test_scn_proc SOURCES test_scn_proc.c LIBS ecsboot-scenarios ecsboot-core)
