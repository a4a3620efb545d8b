# Tests of the ecsboot program (cli/).
ecsb_add_test(test_cli SOURCES test_cli.c LIBS ecsboot-scenarios ecsboot-core)
target_compile_definitions(test_cli PRIVATE ECSBOOT_BIN="$<TARGET_FILE:ecsboot>")
add_dependencies(test_cli ecsboot)
