# The runner's costs: bench/runner.sh BUILD_DIR [FLEET] uses bench_spawn as
# the floor for starting a process.
add_executable(bench_spawn ${CMAKE_CURRENT_SOURCE_DIR}/bench_spawn.c)
target_link_libraries(bench_spawn PRIVATE ecsboot-scenarios ecsboot-core)
