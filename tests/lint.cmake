# Tests of lint/ (`ecsboot lint`): every rule, shapes, outputs, exit codes.
ecsb_add_test(test_lint SOURCES test_lint.c
  LIBS ecsboot-lint ecsboot-scenarios ecsboot-reports ecsboot-core)
target_compile_definitions(test_lint PRIVATE ECSBOOT_BIN="$<TARGET_FILE:ecsboot>")
add_dependencies(test_lint ecsboot)
