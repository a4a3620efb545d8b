# Task definitions (lint, RegisterTaskDefinition checks, the engine), SigV4
# signing and verification, the peers ecsboot-init reads, and its flags.
set(FUZZ_LIBS_taskdef ecsboot-lint fake-ecs ecsboot-scenarios ecsboot-reports ecsboot-core)
set(FUZZ_LIBS_sigv4 ecsboot-core)
set(FUZZ_LIBS_peers ecsboot-core)
# The fakes' request handling, through real HTTP on loopback.
set(FUZZ_LIBS_consul_http fake-consul ecsboot-httpd ecsboot-core)
set(FUZZ_LIBS_ecs_http fake-ecs ecsboot-httpd ecsboot-core)
set(FUZZ_LIBS_flags ecsboot-core)
