# Tests of the agent simulator's ordering and health-check engine
# (fake-ecs/engine*.c). The engine sources are compiled straight into each
# test so that these tests never depend on the rest of fake-ecs building;
# the engine itself needs only ecs-taskdef (its spec) and ecsboot-core.
set(ECSB_ENGINE_SOURCES
  ${CMAKE_SOURCE_DIR}/fake-ecs/engine.c
  ${CMAKE_SOURCE_DIR}/fake-ecs/engine_spec.c
  ${CMAKE_SOURCE_DIR}/fake-ecs/engine_names.c
  ${CMAKE_CURRENT_SOURCE_DIR}/fecs_engine_testutil.c)
foreach(t test_fecs_engine test_fecs_engine_health test_fecs_engine_stop
          test_fecs_engine_spec test_fecs_engine_dag test_fecs_engine_agent)
  ecsb_add_test(${t} SOURCES ${t}.c ${ECSB_ENGINE_SOURCES} LIBS ecs-taskdef ecsboot-core)
  target_include_directories(${t} PRIVATE ${CMAKE_SOURCE_DIR}/fake-ecs/include)
endforeach()
