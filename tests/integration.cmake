# Integration tests across areas: the real ecsboot-init processes against
# the real in-process fakes.
ecsb_add_test(e2e_init_fake_ecs SOURCES e2e_init_fake_ecs.c
  LIBS fake-ecs ecsboot-scenarios ecsboot-httpd ecsboot-core TIMEOUT 180)
target_compile_definitions(e2e_init_fake_ecs PRIVATE INIT_BIN="$<TARGET_FILE:ecsboot-init>")
add_dependencies(e2e_init_fake_ecs ecsboot-init)
ecsb_add_test(e2e_init_fake_consul SOURCES e2e_init_fake_consul.c
  LIBS fake-consul fake-ecs ecsboot-scenarios ecsboot-httpd ecsboot-core TIMEOUT 180)
target_compile_definitions(e2e_init_fake_consul PRIVATE INIT_BIN="$<TARGET_FILE:ecsboot-init>")
add_dependencies(e2e_init_fake_consul ecsboot-init)
