# Tests of reports/ (event log, and later every report format).
ecsb_add_test(test_eventlog SOURCES test_eventlog.c LIBS ecsboot-reports ecsboot-core)
