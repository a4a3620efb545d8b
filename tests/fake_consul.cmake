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
ecsb_add_test(test_fcon_serve SOURCES test_fcon_serve.c ${FCON_TU}
  LIBS ${FCON_LIBS})

# The standalone fake (stand-in for `ecsboot serve`) and the interop test
# with Debian's python3-consul, run by Debian's own interpreter.
add_executable(fcon_serve_main fcon_serve_main.c)
target_link_libraries(fcon_serve_main PRIVATE ${FCON_LIBS})
if(EXISTS /usr/bin/python3)
  add_test(NAME interop_fcon_python
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/interop/consul_python.py
            $<TARGET_FILE:fcon_serve_main>)
  set_tests_properties(interop_fcon_python PROPERTIES TIMEOUT 120
    LABELS interop SKIP_RETURN_CODE 77)
endif()
ecsb_add_test(test_fcon_remote SOURCES test_fcon_remote.c ${FCON_TU} net_testutil.c
  LIBS ${FCON_LIBS})
# its fleet case pushes nodes as agents do (fcon_internal.h)
target_include_directories(test_fcon_remote PRIVATE ${CMAKE_SOURCE_DIR}/fake-consul)
