# The shipped scenario catalogue, end to end: every scenarios/catalog/*.json
# is one test that runs `ecsboot run` on it and passes when the run's exit
# code is 0 (every expectation held). Runs take separate 127.B.0.0/16
# blocks (scenarios/include/scn/netblock.h), so ctest -j runs them side by
# side. The built-in scenario (no FILE) is one more.
file(GLOB ECSB_CATALOG CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/scenarios/catalog/*.json)
foreach(f ${ECSB_CATALOG})
  get_filename_component(n ${f} NAME_WE)
  add_test(NAME catalog_${n}
           COMMAND ecsboot run --quiet --no-progress
                   --out ${CMAKE_BINARY_DIR}/catalog-out/${n} ${f})
  set_tests_properties(catalog_${n} PROPERTIES TIMEOUT 120 LABELS catalog)
endforeach()
add_test(NAME catalog_builtin
         COMMAND ecsboot run --no-progress --out ${CMAKE_BINARY_DIR}/catalog-out/builtin)
set_tests_properties(catalog_builtin PROPERTIES TIMEOUT 120 LABELS catalog
  PASS_REGULAR_EXPRESSION "run t0-t4: passed")
