# expect_output.cmake: run one case of gort_sanitize_cases and judge what the
# sanitizer printed.
#   cmake -DPROGRAM=<exe> -DCASE=<case> -DEXIT=zero|nonzero
#         "-DMATCH=<regex>;<regex>..." "-DNOMATCH=<regex>;..." -P expect_output.cmake
# Every MATCH regex must occur in the output (stdout and stderr together),
# no NOMATCH regex may, and the exit status must be as EXIT says.
execute_process(COMMAND ${PROGRAM} ${CASE} OUTPUT_VARIABLE out ERROR_VARIABLE out RESULT_VARIABLE rc
                TIMEOUT 240)
set(bad "")
if(EXIT STREQUAL "zero" AND NOT rc EQUAL 0)
  string(APPEND bad "exit status ${rc}, want 0\n")
elseif(EXIT STREQUAL "nonzero" AND rc EQUAL 0)
  string(APPEND bad "exit status 0, want a failure\n")
endif()
foreach(re IN LISTS MATCH)
  if(NOT out MATCHES "${re}")
    string(APPEND bad "missing: ${re}\n")
  endif()
endforeach()
foreach(re IN LISTS NOMATCH)
  if(out MATCHES "${re}")
    string(APPEND bad "present: ${re}\n")
  endif()
endforeach()
if(bad)
  message(FATAL_ERROR "${CASE}:\n${bad}--- output (exit ${rc}) ---\n${out}")
endif()
message(STATUS "${CASE}: as expected (exit ${rc})\n${out}")
