# reports/: the whole pipeline from an arbitrary event log to every format.
set(FUZZ_LIBS_report ecsboot-reports ecsboot-core)
