# The fakes under wrk load mixed with malformed requests:
# bench/soak.sh BUILD_DIR [SECONDS] [CONNECTIONS] runs bench_malformed
# beside wrk against fcon_serve_main and bench_ecs_serve.
add_executable(bench_malformed ${CMAKE_CURRENT_SOURCE_DIR}/malformed.c)
target_link_libraries(bench_malformed PRIVATE fake-ecs ecsboot-reports ecsboot-core
  Threads::Threads)
