# Tests of core/ plumbing and the httpd wrapper.
ecsb_add_test(test_http SOURCES test_http.c LIBS ecsboot-httpd ecsboot-core)
ecsb_add_test(test_fileio SOURCES test_fileio.c LIBS ecsboot-core)
ecsb_add_test(test_duration SOURCES test_duration.c LIBS ecsboot-core)
ecsb_add_test(test_log SOURCES test_log.c LIBS ecsboot-core)
ecsb_add_test(test_json SOURCES test_json.c LIBS ecsboot-core)
ecsb_add_test(test_clock SOURCES test_clock.c LIBS ecsboot-core)
ecsb_add_test(test_initev SOURCES test_initev.c LIBS ecsboot-core)
ecsb_add_test(test_httpd SOURCES test_httpd.c LIBS ecsboot-httpd ecsboot-core)
