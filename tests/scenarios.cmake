# Tests of scenarios/ (process manager, and later the runner).
ecsb_add_test(test_scn_proc SOURCES test_scn_proc.c LIBS ecsboot-scenarios ecsboot-core)
add_executable(standin_launcher standin_launcher.c)
target_link_libraries(standin_launcher PRIVATE ecsboot-scenarios ecsboot-httpd ecsboot-core)
ecsb_add_test(test_scn_standin SOURCES test_scn_standin.c LIBS ecsboot-scenarios ecsboot-httpd ecsboot-core)
target_compile_definitions(test_scn_standin PRIVATE
  STANDIN_LAUNCHER="$<TARGET_FILE:standin_launcher>")
add_dependencies(test_scn_standin standin_launcher)
ecsb_add_test(test_scn_scenario SOURCES test_scn_scenario.c LIBS ecsboot-scenarios ecsboot-core)
ecsb_add_test(test_scn_container SOURCES test_scn_container.c LIBS ecsboot-scenarios ecsboot-core)
ecsb_add_test(test_scn_netblock SOURCES test_scn_netblock.c LIBS ecsboot-scenarios ecsboot-core)
