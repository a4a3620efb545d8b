# Tests of the reports computed from the event log (milestones,
# expectations, every output format, compare, merge, the CLI entry point).
set(RPT_TEST_LIBS ecsboot-reports ecsboot-core)
ecsb_add_test(test_rpt_milestones SOURCES test_rpt_milestones.c rpt_testutil.c LIBS ${RPT_TEST_LIBS})
ecsb_add_test(test_rpt_expect SOURCES test_rpt_expect.c rpt_testutil.c LIBS ${RPT_TEST_LIBS})
ecsb_add_test(test_rpt_formats SOURCES test_rpt_formats.c rpt_testutil.c LIBS ${RPT_TEST_LIBS})
ecsb_add_test(test_rpt_junit SOURCES test_rpt_junit.c rpt_xmlcheck.c rpt_testutil.c LIBS ${RPT_TEST_LIBS})
ecsb_add_test(test_rpt_junit_xsd SOURCES test_rpt_junit_xsd.c rpt_testutil.c LIBS ${RPT_TEST_LIBS})
# The HTML report in headless Chromium; zlib decodes the screenshot.
find_package(ZLIB)
ecsb_add_test(test_rpt_html_chromium SOURCES test_rpt_html_chromium.c rpt_testutil.c
              LIBS ${RPT_TEST_LIBS} TIMEOUT 300)
if(ZLIB_FOUND)
  target_link_libraries(test_rpt_html_chromium PRIVATE ZLIB::ZLIB)
  target_compile_definitions(test_rpt_html_chromium PRIVATE RPT_HAVE_ZLIB)
endif()
ecsb_add_test(test_rpt_compare SOURCES test_rpt_compare.c rpt_testutil.c LIBS ${RPT_TEST_LIBS})
ecsb_add_test(test_rpt_merge SOURCES test_rpt_merge.c rpt_testutil.c LIBS ${RPT_TEST_LIBS})
ecsb_add_test(test_rpt_cli SOURCES test_rpt_cli.c rpt_testutil.c LIBS ${RPT_TEST_LIBS})
