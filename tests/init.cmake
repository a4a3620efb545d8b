# Tests of ecsboot-init and the core modules it is built from. The shared
# helpers (local stand-in peers, process runner) are in init_testutil.c.
set(INIT_TU ${CMAKE_CURRENT_SOURCE_DIR}/init_testutil.c)
set(INIT_LIBS ecsboot-httpd ecsboot-core)

ecsb_add_test(test_envoy_golden SOURCES test_envoy_golden.c ${INIT_TU}
  LIBS ${INIT_LIBS} TIMEOUT 120)
if(TARGET ecsboot-init)
  add_dependencies(test_envoy_golden ecsboot-init)
endif()
