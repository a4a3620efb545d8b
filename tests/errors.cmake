# The bad-input table: tests/errors/cases.json holds every row of
# docs/errors.md; each row is one test (errors_<id>) that feeds the bad
# input and checks the exit code or HTTP status, the exact message, and that
# the case's folder holds exactly what it held before (nothing created,
# nothing half-written, nothing lost). errors_doc checks that docs/errors.md
# is what the cases say (regenerate it with
#   build/tests/errors_table tests/errors/cases.json --markdown > docs/errors.md).
set(ERRORS_CASES ${CMAKE_CURRENT_SOURCE_DIR}/errors/cases.json)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${ERRORS_CASES})
add_executable(errors_table errors_table.c
  ${CMAKE_CURRENT_SOURCE_DIR}/fecs_testutil.c ${CMAKE_CURRENT_SOURCE_DIR}/fcon_testutil.c)
target_include_directories(errors_table PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_compile_definitions(errors_table PRIVATE ECSB_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
target_link_libraries(errors_table PRIVATE fake-ecs fake-consul ecsboot-httpd
  ecsboot-core PkgConfig::CMOCKA)
add_dependencies(errors_table ecsboot-init ecsboot-health ecsboot)
file(READ ${ERRORS_CASES} ERRORS_JSON)
string(JSON ERRORS_N LENGTH "${ERRORS_JSON}" cases)
math(EXPR ERRORS_LAST "${ERRORS_N} - 1")
foreach(i RANGE ${ERRORS_LAST})
  string(JSON id GET "${ERRORS_JSON}" cases ${i} id)
  add_test(NAME errors_${id}
           COMMAND errors_table ${ERRORS_CASES} $<TARGET_FILE:ecsboot-init>
                   $<TARGET_FILE:ecsboot> ${id})
  set_tests_properties(errors_${id} PROPERTIES TIMEOUT 120 LABELS errors)
endforeach()
add_test(NAME errors_doc
  COMMAND sh -c "\"$1\" \"$2\" --markdown | diff -u \"$3\" -" errors_doc
          $<TARGET_FILE:errors_table> ${ERRORS_CASES} ${CMAKE_SOURCE_DIR}/docs/errors.md)
set_tests_properties(errors_doc PROPERTIES LABELS errors)
