# The shipped scenario catalogue, end to end: every scenarios/catalog/*.json
# is one test that runs `ecsboot run` on it and passes when the run's exit
# code is 0 (every expectation held). Runs take separate 127.B.0.0/16
# blocks (scenarios/include/scn/netblock.h), so ctest -j runs them side by
# side. The built-in scenario (no FILE) is one more. The summary is printed
# (ctest shows it when a run fails: which expectation broke, and why).
# A run whose verdict this host's lag left INCONCLUSIVE (exit 4) is
# reported as skipped, with the reason in its output: the machine could not
# tell, which is neither a pass nor a failure (docs/expectations.md).
#
# Sanitized builds start every process several times slower, while a
# scenario's time_scale compresses ECS's intervals (a 30 s health check is
# 300 ms at 0.01): there each scenario runs five times slower in wall time
# than its own time_scale (0.01 -> 0.05, fleet-100's 0.1 -> 0.5, the scale
# its report names as fitting a sanitized build), which keeps every
# ordering and scenario-time deadline the same. A flat 0.05 ran fleet-100
# twice as fast as its own 0.1, and its fakes' endpoints timed out.
set(ECSB_CATALOG_ARGS)
if(ECSB_SANITIZE)
  set(ECSB_CATALOG_ARGS --time-scale 0.05)
endif()
file(GLOB ECSB_CATALOG CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/scenarios/catalog/*.json)
foreach(f ${ECSB_CATALOG})
  get_filename_component(n ${f} NAME_WE)
  set(args ${ECSB_CATALOG_ARGS})
  if(ECSB_SANITIZE)
    file(READ ${f} scenario_json)
    # JSON numbers come back as doubles (0.10000000000000001)
    string(JSON own ERROR_VARIABLE no_scale GET "${scenario_json}" time_scale)
    if(NOT no_scale AND own GREATER 0.09 AND own LESS 0.11)
      set(args --time-scale 0.5)
    endif()
  endif()
  add_test(NAME catalog_${n}
           COMMAND ecsboot run --no-progress ${args}
                   --out ${CMAKE_BINARY_DIR}/catalog-out/${n} ${f})
  set_tests_properties(catalog_${n} PROPERTIES TIMEOUT 240 LABELS catalog
                       SKIP_RETURN_CODE 4)
  # A fleet's hundreds of processes keep both cores busy for its whole run:
  # beside it every other replay waits for a CPU, and a graceful-stop
  # scenario's lag under `ctest -j2` made its deadline INCONCLUSIVE in
  # every CI run. Fleets run alone.
  if(n MATCHES "^fleet-")
    set_tests_properties(catalog_${n} PROPERTIES RUN_SERIAL TRUE)
  endif()
endforeach()
add_test(NAME catalog_builtin
         COMMAND ecsboot run --no-progress ${ECSB_CATALOG_ARGS} --out ${CMAKE_BINARY_DIR}/catalog-out/builtin)
set_tests_properties(catalog_builtin PROPERTIES TIMEOUT 120 LABELS catalog
  PASS_REGULAR_EXPRESSION "run t0-t4: passed"
  SKIP_REGULAR_EXPRESSION "run t0-t4: INCONCLUSIVE")
