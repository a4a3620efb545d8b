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

# ecsboot-init against an https agent (CONSUL_CACERT), with Python's stdlib
# TLS server and a throwaway CA made by the openssl CLI.
if(EXISTS /usr/bin/python3)
  add_test(NAME interop_init_consul_tls
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/interop/consul_tls.py
            $<TARGET_FILE:ecsboot-init>)
  set_tests_properties(interop_init_consul_tls PROPERTIES TIMEOUT 120
    LABELS interop SKIP_RETURN_CODE 77)
endif()
