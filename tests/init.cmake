# Tests of ecsboot-init and the core modules it is built from. The shared
# helpers (local stand-in peers, process runner) are in init_testutil.c.
set(INIT_TU ${CMAKE_CURRENT_SOURCE_DIR}/init_testutil.c)
set(INIT_LIBS ecsboot-httpd ecsboot-core)

ecsb_add_test(test_envoy_golden SOURCES test_envoy_golden.c ${INIT_TU}
  LIBS ${INIT_LIBS} TIMEOUT 120)
if(TARGET ecsboot-init)
  add_dependencies(test_envoy_golden ecsboot-init)
endif()
ecsb_add_test(test_flags SOURCES test_flags.c LIBS ecsboot-core)
ecsb_add_test(test_mesh SOURCES test_mesh.c LIBS ecsboot-core)
ecsb_add_test(test_envoy_bootstrap SOURCES test_envoy_bootstrap.c ${INIT_TU}
  LIBS ${INIT_LIBS})
ecsb_add_test(test_consul SOURCES test_consul.c ${INIT_TU} LIBS ${INIT_LIBS})
ecsb_add_test(test_metadata SOURCES test_metadata.c ${INIT_TU}
  LIBS ${INIT_LIBS})
ecsb_add_test(test_aws_creds SOURCES test_aws_creds.c ${INIT_TU}
  LIBS ${INIT_LIBS})
ecsb_add_test(test_ecs_select SOURCES test_ecs_select.c LIBS ecsboot-core)
ecsb_add_test(test_probe SOURCES test_probe.c ${INIT_TU} LIBS ${INIT_LIBS})
ecsb_add_test(e2e_init_mesh SOURCES e2e_init_mesh.c ${INIT_TU}
  LIBS ${INIT_LIBS} TIMEOUT 300)
if(TARGET ecsboot-init)
  add_dependencies(e2e_init_mesh ecsboot-init ecsboot-health)
endif()
ecsb_add_test(e2e_init_health SOURCES e2e_init_health.c ${INIT_TU}
  LIBS ${INIT_LIBS} TIMEOUT 300)
if(TARGET ecsboot-init)
  add_dependencies(e2e_init_health ecsboot-init)
endif()
ecsb_add_test(test_ecs SOURCES test_ecs.c ${INIT_TU} LIBS ${INIT_LIBS})
ecsb_add_test(e2e_init_discover SOURCES e2e_init_discover.c ${INIT_TU}
  LIBS ${INIT_LIBS} TIMEOUT 300)
if(TARGET ecsboot-init)
  add_dependencies(e2e_init_discover ecsboot-init)
endif()
# envoy-entrypoint: the real binary, its child a stand-in proxy that
# records signals (entry_child.c), fake-ecs for the task metadata.
add_executable(entry_child entry_child.c)
ecsb_add_test(e2e_init_entrypoint SOURCES e2e_init_entrypoint.c ${INIT_TU}
  LIBS fake-ecs ${INIT_LIBS} TIMEOUT 300)
target_compile_definitions(e2e_init_entrypoint PRIVATE
  CHILD_BIN="$<TARGET_FILE:entry_child>")
add_dependencies(e2e_init_entrypoint entry_child)
if(TARGET ecsboot-init)
  add_dependencies(e2e_init_entrypoint ecsboot-init)
endif()
# Crash safety: discover-servers and mesh-init SIGKILLed at random moments
# leave their output absent or complete (ECSB_CRASH_RUNS=1000 for a long run).
ecsb_add_test(e2e_init_crash SOURCES e2e_init_crash.c ${INIT_TU}
  LIBS ${INIT_LIBS} TIMEOUT 300)
if(TARGET ecsboot-init)
  add_dependencies(e2e_init_crash ecsboot-init)
endif()
# ecsboot-health, the static health-check program mesh-init --copy-self
# copies: alone in an empty root (chroot when run as root), tcp and http.
ecsb_add_test(e2e_health_static SOURCES e2e_health_static.c ${INIT_TU}
  LIBS ${INIT_LIBS} TIMEOUT 120)
add_dependencies(e2e_health_static ecsboot-health)
# The ecsboot-init image (deploy/): built from this build's programs with
# docker or buildah, and ecsboot-init --version run inside it. Skipped (77)
# with the reason where neither can run. The image tests stage and build in
# the same folder and buildah store (BUILD_DIR/image, BUILD_DIR/buildah):
# one at a time (RESOURCE_LOCK).
add_test(NAME image_ecsboot_init
  COMMAND ${CMAKE_SOURCE_DIR}/tests/image_test.sh ${CMAKE_SOURCE_DIR}
          ${CMAKE_BINARY_DIR} ${PROJECT_VERSION})
set_tests_properties(image_ecsboot_init PROPERTIES LABELS image TIMEOUT 300
  RESOURCE_LOCK ecsb_image_build
  SKIP_RETURN_CODE 77)
# `ecsboot run --init-bin ROOT` on the unpacked image: catalogue scenarios
# replayed with the image's ecsboot-init, its loader and its libraries.
add_test(NAME image_init_bin
  COMMAND ${CMAKE_SOURCE_DIR}/tests/init_image_test.sh ${CMAKE_SOURCE_DIR}
          ${CMAKE_BINARY_DIR})
set_tests_properties(image_init_bin PROPERTIES LABELS image TIMEOUT 300
  RESOURCE_LOCK ecsb_image_build
  SKIP_RETURN_CODE 77)
# A sanitized build replays its scenarios (time_scale 0.01) five times
# slower, the catalogue's rule (tests/catalog.cmake).
if(ECSB_SANITIZE)
  set_tests_properties(image_init_bin PROPERTIES ENVIRONMENT ECSB_TEST_TIME_SCALE=0.05)
endif()
