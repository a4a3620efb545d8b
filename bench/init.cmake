# ecsboot-init's cost per run beside a bare libcurl program doing the same
# HTTP calls and atomic write. Run: build/bench/bench_init [RUNS]
add_executable(bare_init ${CMAKE_CURRENT_SOURCE_DIR}/bare_init.c)
target_link_libraries(bare_init PRIVATE PkgConfig::CURL)
if(TARGET ecsboot-init)
  add_executable(bench_init ${CMAKE_CURRENT_SOURCE_DIR}/bench_init.c)
  target_link_libraries(bench_init PRIVATE ecsboot-httpd ecsboot-core)
  target_compile_definitions(bench_init PRIVATE
    ECSB_INIT_BIN="$<TARGET_FILE:ecsboot-init>"
    ECSB_BARE_BIN="$<TARGET_FILE:bare_init>")
  add_dependencies(bench_init bare_init ecsboot-init)
endif()
