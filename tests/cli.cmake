# Tests of the ecsboot program (cli/).
ecsb_add_test(test_cli SOURCES test_cli.c LIBS ecsboot-scenarios ecsboot-core)
target_compile_definitions(test_cli PRIVATE ECSBOOT_BIN="$<TARGET_FILE:ecsboot>")
add_dependencies(test_cli ecsboot)
# `cmake --install` into a temporary prefix, and the installed `ecsboot run`
# from another folder (exit 77: the host's lag left a verdict INCONCLUSIVE).
add_test(NAME install_run COMMAND ${CMAKE_SOURCE_DIR}/tests/install_test.sh ${CMAKE_BINARY_DIR})
set_tests_properties(install_run PROPERTIES TIMEOUT 240 SKIP_RETURN_CODE 77)
# What examples/ci/ runs (shards one after another, then the merge) against
# an unsharded run of the same scenarios.
add_test(NAME ci_examples COMMAND ${CMAKE_SOURCE_DIR}/tests/ci_examples_test.sh ${CMAKE_BINARY_DIR})
set_tests_properties(ci_examples PROPERTIES TIMEOUT 240 SKIP_RETURN_CODE 77)
# The release tarball (cpack), unpacked elsewhere and run.
add_test(NAME release_tarball COMMAND ${CMAKE_SOURCE_DIR}/tests/release_test.sh ${CMAKE_BINARY_DIR})
set_tests_properties(release_tarball PROPERTIES TIMEOUT 240 SKIP_RETURN_CODE 77)
# The ecsboot harness image (deploy/Containerfile.harness): built from this
# build, a catalogue scenario and examples/ci's Kubernetes Indexed Job
# command run in it with mounted folders. Shares the image tests' staging
# folder and buildah store (RESOURCE_LOCK, tests/init.cmake).
add_test(NAME image_harness
  COMMAND ${CMAKE_SOURCE_DIR}/tests/harness_image_test.sh ${CMAKE_SOURCE_DIR}
          ${CMAKE_BINARY_DIR} ${PROJECT_VERSION})
set_tests_properties(image_harness PROPERTIES LABELS image TIMEOUT 300
  RESOURCE_LOCK ecsb_image_build SKIP_RETURN_CODE 77)
# A sanitized build replays its scenarios (time_scale 0.01) five times
# slower, the catalogue's rule (tests/catalog.cmake).
if(ECSB_SANITIZE)
  set_tests_properties(image_harness PROPERTIES ENVIRONMENT ECSB_TEST_TIME_SCALE=0.05)
endif()
