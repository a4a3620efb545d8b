# fake-consul under wrk beside a static nginx: requests/s for the agent's
# GET /v1/agent/services and PUT /v1/agent/service/register.
# Run: cmake --build <dir> --target bench_consul_wrk
#  or: bench/consul_wrk.sh <dir>/bench/bench_fcon_serve [SECONDS]
add_executable(bench_fcon_serve ${CMAKE_SOURCE_DIR}/tests/fcon_serve_main.c)
target_link_libraries(bench_fcon_serve PRIVATE fake-consul ecsboot-httpd
  ecsboot-core)
add_custom_target(bench_consul_wrk
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/consul_wrk.sh
          $<TARGET_FILE:bench_fcon_serve> 5
  DEPENDS bench_fcon_serve
  USES_TERMINAL)
# fake-ecs for the same wrk comparison: bench/consul_wrk.sh's 4th argument.
add_executable(bench_ecs_serve ${CMAKE_CURRENT_SOURCE_DIR}/ecs_serve.c)
target_link_libraries(bench_ecs_serve PRIVATE fake-ecs ecsboot-httpd
  ecsboot-core)
