# Tests of the reports computed from the event log (milestones,
# expectations, every output format, compare, merge, the CLI entry point).
set(RPT_TEST_LIBS ecsboot-reports ecsboot-core)
ecsb_add_test(test_rpt_milestones SOURCES test_rpt_milestones.c rpt_testutil.c LIBS ${RPT_TEST_LIBS})
ecsb_add_test(test_rpt_expect SOURCES test_rpt_expect.c rpt_testutil.c LIBS ${RPT_TEST_LIBS})
ecsb_add_test(test_rpt_formats SOURCES test_rpt_formats.c rpt_testutil.c LIBS ${RPT_TEST_LIBS})
