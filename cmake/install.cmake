# cmake/install.cmake - what `cmake --install` puts under a prefix:
#   bin/ecsboot, bin/ecsboot-init,          side by side: `ecsboot run` finds
#   bin/ecsboot-standin,                     ecsboot-init and ecsboot-standin
#   bin/ecsboot-health                       next to itself, and mesh-init
#                                            --copy-self finds the static
#                                            ecsboot-health next to
#                                            ecsboot-init
#   share/ecsboot/scenarios/catalog/*.json  the shipped scenarios, and
#   share/ecsboot/examples/*.json           the task definitions they name
#                                            (../../examples/, as in the tree)
#   share/ecsboot/examples/ci/               CI examples: shard.sh, merge.sh
#   share/doc/ecsboot/help/*.txt            every command's --help text
#   share/doc/ecsboot/*.md                  README, CONTRIBUTING and docs/
include(GNUInstallDirs)
install(TARGETS ecsboot ecsboot-init ecsboot-standin ecsboot-health RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/scenarios/catalog/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/ecsboot/scenarios/catalog
        FILES_MATCHING PATTERN "*.json")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/ecsboot/examples
        FILES_MATCHING PATTERN "*.json")
# The CI examples (examples/ci/: the shard and merge scripts the GitHub
# Actions workflow and the Kubernetes Indexed Job call).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/ci/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/ecsboot/examples/ci
        USE_SOURCE_PERMISSIONS
        FILES_MATCHING PATTERN "*.sh" PATTERN "*.yml" PATTERN "*.yaml")
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/CONTRIBUTING.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}
        FILES_MATCHING PATTERN "*.md")

# The --help texts, as the programs print them (written at build time, so
# they are never out of date).
set(ECSB_HELP_DIR ${CMAKE_BINARY_DIR}/help)
# Comma-separated: a list's ";" would split the command line.
set(ECSB_HELP_CMDS "run,lint,serve,report,app,envoy,consul-client")
set(ECSB_INIT_HELP_CMDS "discover-servers,mesh-init,envoy-bootstrap,health-check,health-sync,envoy-entrypoint")
add_custom_command(
  OUTPUT ${ECSB_HELP_DIR}/ecsboot.txt
  COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=0
          ${CMAKE_COMMAND} -DOUT=${ECSB_HELP_DIR}
          -DECSBOOT=$<TARGET_FILE:ecsboot> -DINIT=$<TARGET_FILE:ecsboot-init>
          -DHEALTH=$<TARGET_FILE:ecsboot-health>
          "-DCMDS=${ECSB_HELP_CMDS}" "-DINIT_CMDS=${ECSB_INIT_HELP_CMDS}"
          -P ${PROJECT_SOURCE_DIR}/cmake/help_texts.cmake
  DEPENDS ecsboot ecsboot-init ecsboot-health
          ${PROJECT_SOURCE_DIR}/cmake/help_texts.cmake
  COMMENT "--help texts for share/doc/ecsboot/help" VERBATIM)
add_custom_target(ecsb_help_texts ALL DEPENDS ${ECSB_HELP_DIR}/ecsboot.txt)
install(DIRECTORY ${ECSB_HELP_DIR}/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/help)

# The release tarball: `cpack` in a build folder (or `./dev release`)
# packs what `cmake --install` installs, as
# ecsboot-<version>-Linux-<arch>.tar.gz with a top folder of that name
# (bin/, share/ecsboot/, share/doc/ecsboot/ under it).
set(CPACK_GENERATOR TGZ)
set(CPACK_PACKAGE_NAME ecsboot)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_SYSTEM_NAME Linux-${CMAKE_SYSTEM_PROCESSOR})
set(CPACK_PACKAGE_FILE_NAME ecsboot-${PROJECT_VERSION}-${CPACK_SYSTEM_NAME})
set(CPACK_INCLUDE_TOPLEVEL_DIRECTORY ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Consul service mesh on AWS ECS: replay, break and measure task startup")
include(CPack)
