# check_property_note.cmake: does a program's .note.gnu.property say what the
# port promises? cmake -DREADELF=... -DFILE=... -DWANT=<regex>
# [-DNOT=<regex>] -P check_property_note.cmake
execute_process(COMMAND ${READELF} -n ${FILE} OUTPUT_VARIABLE notes RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${READELF} -n ${FILE} failed (${rc})")
endif()
string(REGEX MATCH "Properties: [^\n]*" props "${notes}")
if(NOT props MATCHES "${WANT}")
  message(FATAL_ERROR "${FILE}: want '${WANT}' in the GNU property note, found '${props}'\n${notes}")
endif()
if(NOT "${NOT}" STREQUAL "" AND props MATCHES "${NOT}")
  message(FATAL_ERROR "${FILE}: the GNU property note claims '${NOT}': '${props}'")
endif()
message(STATUS "${FILE}: ${props}")
