# Tests of fake-consul/: agent and server endpoints, the check runner,
# blocking queries, and the python-consul interop test.
set(FCON_TU ${CMAKE_CURRENT_SOURCE_DIR}/fcon_testutil.c)
set(FCON_LIBS fake-consul ecsboot-httpd ecsboot-core)
ecsb_add_test(test_fcon_agent SOURCES test_fcon_agent.c ${FCON_TU}
  LIBS ${FCON_LIBS})
ecsb_add_test(test_fcon_checks SOURCES test_fcon_checks.c ${FCON_TU}
  LIBS ${FCON_LIBS})
ecsb_add_test(test_fcon_blocking SOURCES test_fcon_blocking.c ${FCON_TU}
  LIBS ${FCON_LIBS})
ecsb_add_test(test_fcon_acl_faults SOURCES test_fcon_acl_faults.c ${FCON_TU}
  LIBS ${FCON_LIBS})
