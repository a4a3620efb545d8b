# Tests of core/sigv4.c and fake-ecs/ (API, metadata, credentials,
# throttling, faults) and the AWS CLI interop test.
ecsb_add_test(test_sigv4 SOURCES test_sigv4.c LIBS ecsboot-core)

set(FECS_TU ${CMAKE_CURRENT_SOURCE_DIR}/fecs_testutil.c)
set(FECS_LIBS fake-ecs ecsboot-httpd ecsboot-core)
ecsb_add_test(test_fecs_api SOURCES test_fecs_api.c ${FECS_TU}
  LIBS ${FECS_LIBS})
ecsb_add_test(test_fecs_sigv4 SOURCES test_fecs_sigv4.c ${FECS_TU}
  LIBS ${FECS_LIBS})
ecsb_add_test(test_fecs_endpoint SOURCES test_fecs_endpoint.c ${FECS_TU} net_testutil.c
  LIBS ${FECS_LIBS})
ecsb_add_test(test_fecs_faults SOURCES test_fecs_faults.c ${FECS_TU}
  LIBS ${FECS_LIBS})
# The real AWS CLI against fake-ecs (skipped when no `aws` is installed).
ecsb_add_test(interop_awscli SOURCES interop_awscli.c ${FECS_TU}
  LIBS ${FECS_LIBS} LABELS interop TIMEOUT 600)
# The fake-ECS part of `ecsboot serve` (cli/serve_ecs.c), built in directly
# so it is tested whether or not the ecsboot program links yet.
ecsb_add_test(test_serve_ecs SOURCES test_serve_ecs.c
  ${CMAKE_SOURCE_DIR}/cli/serve_ecs.c ${FECS_TU} LIBS ${FECS_LIBS})
target_include_directories(test_serve_ecs PRIVATE ${CMAKE_SOURCE_DIR}/cli)
ecsb_add_test(test_fecs_taskdefs SOURCES test_fecs_taskdefs.c ${FECS_TU}
  LIBS ${FECS_LIBS})
