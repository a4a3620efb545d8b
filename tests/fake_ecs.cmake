# Tests of core/sigv4.c and fake-ecs/ (API, metadata, credentials,
# throttling, faults) and the AWS CLI interop test.
ecsb_add_test(test_sigv4 SOURCES test_sigv4.c LIBS ecsboot-core)
