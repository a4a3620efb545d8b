# The Envoy bootstrap of every supported Consul release against that
# release's golden files (ECSB_VECTORS_DIR/envoy-bootstrap/consul-versions;
# skipped without them). Prints the coverage per release:
#   ctest --test-dir build -R test_envoy_versions -V
ecsb_add_test(test_envoy_versions SOURCES test_envoy_versions.c
  ${CMAKE_CURRENT_SOURCE_DIR}/init_testutil.c
  LIBS ecsboot-httpd ecsboot-core TIMEOUT 300)
if(TARGET ecsboot-init)
  add_dependencies(test_envoy_versions ecsboot-init)
endif()
