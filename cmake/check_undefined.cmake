# check_undefined.cmake: for a library that is compiled but never linked
# (GORT_COMPILE_ONLY: solaris), the link's first check, done with nm: every
# symbol of gort's own that a member of the archive uses is defined by
# some member. A hook of core/os.hpp that the OS port forgot, or declared
# with another signature, shows up here instead of at a link nobody runs.
# References to the system (libc, libstdc++) are the linker's business and
# are not checked.
#   cmake -DNM=<nm> -DARCHIVE=<libgort.a> -P check_undefined.cmake
cmake_minimum_required(VERSION 3.20)
if(NOT NM OR NOT ARCHIVE)
  message(FATAL_ERROR "check_undefined.cmake: NM and ARCHIVE are required")
endif()
execute_process(COMMAND ${NM} -g --defined-only ${ARCHIVE} OUTPUT_VARIABLE _defined RESULT_VARIABLE _rc1)
execute_process(COMMAND ${NM} -u ${ARCHIVE} OUTPUT_VARIABLE _undefined RESULT_VARIABLE _rc2)
if(NOT _rc1 EQUAL 0 OR NOT _rc2 EQUAL 0)
  message(FATAL_ERROR "check_undefined.cmake: ${NM} failed on ${ARCHIVE}")
endif()
# "0000000000000000 T name" / "                 U name"
string(REGEX MATCHALL "[0-9a-fA-F]+ [A-TV-Za-z] [^\n]+" _def_lines "${_defined}")
set(_have "")
foreach(_l IN LISTS _def_lines)
  string(REGEX REPLACE "^[0-9a-fA-F]+ [A-Za-z] " "" _s "${_l}")
  list(APPEND _have "${_s}")
endforeach()
string(REGEX MATCHALL "U [^\n]+" _undef_lines "${_undefined}")
set(_missing "")
foreach(_l IN LISTS _undef_lines)
  string(REGEX REPLACE "^U " "" _s "${_l}")
  # gort's own: C++ names in namespace gort (_ZN4gort..., _ZNK4gort...,
  # _ZZN4gort...) and the assembly's gort_* symbols.
  if(_s MATCHES "^(_Z[A-Z]*N4gort|gort_)" AND NOT _s IN_LIST _have AND NOT _s IN_LIST _missing)
    list(APPEND _missing "${_s}")
  endif()
endforeach()
if(_missing)
  list(JOIN _missing "\n  " _text)
  find_program(_filt NAMES c++filt llvm-cxxfilt)
  if(_filt)
    execute_process(COMMAND ${_filt} ${_missing} OUTPUT_VARIABLE _text OUTPUT_STRIP_TRAILING_WHITESPACE)
    string(REPLACE "\n" "\n  " _text "${_text}")
  endif()
  message(FATAL_ERROR "gort: ${ARCHIVE} uses gort symbols that no member defines "
                      "(a hook of core/os.hpp or os_objects.hpp missing from the OS port?):\n  ${_text}")
endif()
list(LENGTH _have _n)
message(STATUS "gort: every gort symbol the archive uses is defined in it (${_n} defined symbols)")
