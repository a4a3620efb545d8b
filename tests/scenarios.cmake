# Tests of scenarios/ (process manager, and later the runner).
ecsb_add_test(test_scn_proc SOURCES test_scn_proc.c LIBS ecsboot-scenarios ecsboot-core)
# its fork-server cases start the real `ecsboot serve-forks`
target_compile_definitions(test_scn_proc PRIVATE ECSBOOT_BIN="$<TARGET_FILE:ecsboot>")
add_dependencies(test_scn_proc ecsboot)
ecsb_add_test(test_scn_exitwatch SOURCES test_scn_exitwatch.c LIBS ecsboot-scenarios ecsboot-core)
# The stand-ins run as `ecsboot-standin app|envoy`, exactly as the runner
# starts them (and once as `ecsboot app`, the same code).
ecsb_add_test(test_scn_standin SOURCES test_scn_standin.c LIBS ecsboot-scenarios ecsboot-httpd ecsboot-core)
target_compile_definitions(test_scn_standin PRIVATE ECSBOOT_BIN="$<TARGET_FILE:ecsboot>"
                           ECSBOOT_STANDIN_BIN="$<TARGET_FILE:ecsboot-standin>")
add_dependencies(test_scn_standin ecsboot ecsboot-standin)
# ecsboot-standin loads no shared library but libc and cJSON (and, in a
# sanitized build, the sanitizers' runtimes).
add_test(NAME standin_links COMMAND ${CMAKE_SOURCE_DIR}/tests/standin_links.sh
         $<TARGET_FILE:ecsboot-standin>)
ecsb_add_test(test_scn_scenario SOURCES test_scn_scenario.c LIBS ecsboot-scenarios ecsboot-core)
ecsb_add_test(test_scn_container SOURCES test_scn_container.c LIBS ecsboot-scenarios ecsboot-core)
ecsb_add_test(test_scn_netblock SOURCES test_scn_netblock.c LIBS ecsboot-scenarios ecsboot-core)
# Running a program of an unpacked image root with the root's loader
# (roots made of the host's /bin/true, loader and libc; ecsboot-health as
# the static program).
ecsb_add_test(test_scn_image_root SOURCES test_scn_image_root.c LIBS ecsboot-scenarios ecsboot-core)
target_compile_definitions(test_scn_image_root PRIVATE ECSBOOT_HEALTH_BIN="$<TARGET_FILE:ecsboot-health>")
add_dependencies(test_scn_image_root ecsboot-health)
# The runner's host-lag bookkeeping on a task without processes (it reads
# the runner's internal header: the held clock is the runner's own state).
ecsb_add_test(test_scn_run_lag SOURCES test_scn_run_lag.c
  LIBS ecsboot-scenarios fake-consul ecsboot-reports ecsboot-httpd ecsboot-core)
# `ecsboot run` and the consul-client stand-in as processes.
ecsb_add_test(test_run SOURCES test_run.c
  LIBS ecsboot-scenarios fake-consul ecsboot-reports ecsboot-httpd ecsboot-core
  TIMEOUT 240)
target_compile_definitions(test_run PRIVATE ECSBOOT_BIN="$<TARGET_FILE:ecsboot>")
add_dependencies(test_run ecsboot)
# The fault catalogue, and schema.json and docs/scenarios.md against it.
ecsb_add_test(test_scn_faults SOURCES test_scn_faults.c LIBS ecsboot-scenarios ecsboot-core)
