# cmake/help_texts.cmake - writes every command's --help text to OUT
# (cmake -P; see install.cmake). A command whose --help fails stops the
# build: a help text that cannot be printed is a bug.
file(MAKE_DIRECTORY ${OUT})
function(help prog name)
  execute_process(COMMAND ${prog} ${ARGN} --help OUTPUT_VARIABLE o
                  ERROR_VARIABLE e RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${prog} ${ARGN} --help exited ${rc}: ${e}")
  endif()
  # The stand-ins print their usage on stderr.
  file(WRITE ${OUT}/${name}.txt "${o}${e}")
endfunction()
string(REPLACE "," ";" CMDS "${CMDS}")
string(REPLACE "," ";" INIT_CMDS "${INIT_CMDS}")
foreach(c ${CMDS})
  help(${ECSBOOT} ecsboot-${c} ${c})
endforeach()
foreach(c ${INIT_CMDS})
  help(${INIT} ecsboot-init-${c} ${c})
endforeach()
help(${INIT} ecsboot-init)
help(${HEALTH} ecsboot-health)
help(${ECSBOOT} ecsboot)
