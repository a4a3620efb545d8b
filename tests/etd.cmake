# Tests of ecs-taskdef/ (ECS's task-definition rules): every consumer --
# the library, fake-ecs's RegisterTaskDefinition, the agent simulator's spec
# builder, lint and the scenario loader -- refuses the same task definitions
# with the same message, and accepts the same shapes.
ecsb_add_test(test_etd_agree SOURCES test_etd_agree.c
  ${CMAKE_CURRENT_SOURCE_DIR}/fecs_testutil.c
  LIBS ecsboot-lint ecsboot-scenarios fake-ecs ecs-taskdef ecsboot-httpd
       ecsboot-core)
# The library alone: shapes, defaults, problems, paths.
ecsb_add_test(test_etd_taskdef SOURCES test_etd_taskdef.c
  LIBS ecs-taskdef ecsboot-core)
