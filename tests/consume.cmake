# consume.cmake: build and run a user's project (tests/user_project) against
# this build of gort, the way a user would get it (MODE):
#   package       `cmake --install` this build into a fresh prefix, then
#                 find_package(gort CONFIG REQUIRED) from the user's project
#   pkgconfig     the same prefix, then the user's compiler with
#                 `pkg-config --cflags --libs gort` and nothing else
#   subdirectory  the user's project adds gort's source tree (add_subdirectory)
#   fetchcontent  the user's project gets gort with FetchContent
# with this build's toolchain file, compiler flags and emulator, and checks
# that the program runs and prints what it should.
#   cmake -DMODE=... -DWORK=<scratch dir> -DSOURCE_DIR=... -DBUILD_DIR=...
#         -DGENERATOR=... -DTOOLCHAIN=... -DBUILD_TYPE=... -DCXX=...
#         -DCXXFLAGS=... -DLDFLAGS=... -DLIBDIR=... -DEMULATOR=... -P consume.cmake
cmake_minimum_required(VERSION 3.20)

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${ARGN}\n${out}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
set(prefix "${WORK}/prefix")
set(user "${SOURCE_DIR}/tests/user_project")
separate_arguments(emulator UNIX_COMMAND "${EMULATOR}")
set(toolchain_arg "")
if(TOOLCHAIN)
  set(toolchain_arg "-DCMAKE_TOOLCHAIN_FILE=${TOOLCHAIN}")
endif()

if(MODE STREQUAL "package" OR MODE STREQUAL "pkgconfig")
  run("cmake --install" "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}")
  foreach(f include/gort/gort.hpp include/gort/gort.h ${LIBDIR}/libgort.a ${LIBDIR}/cmake/gort/gortConfig.cmake
            ${LIBDIR}/pkgconfig/gort.pc share/gort/gdb/gort.py)
    if(NOT EXISTS "${prefix}/${f}")
      message(FATAL_ERROR "cmake --install did not install ${f}")
    endif()
  endforeach()
endif()

if(MODE STREQUAL "pkgconfig")
  find_program(PKG_CONFIG NAMES pkg-config pkgconf REQUIRED)
  # Only this prefix: PKG_CONFIG_LIBDIR replaces the default search path.
  set(ENV{PKG_CONFIG_LIBDIR} "${prefix}/${LIBDIR}/pkgconfig")
  unset(ENV{PKG_CONFIG_PATH})
  run("pkg-config --cflags" "${PKG_CONFIG}" --cflags gort)
  string(STRIP "${out}" cflags)
  run("pkg-config --libs" "${PKG_CONFIG}" --libs gort)
  string(STRIP "${out}" libs)
  message("pkg-config --cflags gort: ${cflags}\npkg-config --libs gort: ${libs}")
  separate_arguments(cflags UNIX_COMMAND "${cflags}")
  separate_arguments(libs UNIX_COMMAND "${libs}")
  separate_arguments(cxxflags UNIX_COMMAND "${CXXFLAGS}")
  separate_arguments(ldflags UNIX_COMMAND "${LDFLAGS}")
  set(program "${WORK}/pingpong")
  run("the compiler" "${CXX}" -std=c++17 ${cxxflags} ${cflags} "${user}/main.cpp" -o "${program}" ${ldflags} ${libs})
else()
  if(MODE STREQUAL "package")
    # gort_DIR, not CMAKE_PREFIX_PATH: cross toolchain files confine
    # package searches to the target's root (CMAKE_FIND_ROOT_PATH).
    set(how "-Dgort_DIR=${prefix}/${LIBDIR}/cmake/gort")
  elseif(MODE STREQUAL "subdirectory")
    set(how "-DGORT_SOURCE_DIR=${SOURCE_DIR}")
  elseif(MODE STREQUAL "fetchcontent")
    # With the settings a user's release build turns on for everything it
    # compiles, gort included: link-time optimization (gort_tls_g, which
    # only inline assembly names, was dropped: an undefined reference) and
    # a unity build, all of gort in one file (two files' internal names
    # collided).
    set(how "-DGORT_SOURCE_DIR=${SOURCE_DIR}" -DCMAKE_INTERPROCEDURAL_OPTIMIZATION=ON
        -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=0)
  else()
    message(FATAL_ERROR "MODE=${MODE}: package, pkgconfig, subdirectory or fetchcontent")
  endif()
  run("configuring the user's project" "${CMAKE_COMMAND}" -S "${user}" -B "${WORK}/build" -G "${GENERATOR}"
      ${toolchain_arg} "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}" "-DCMAKE_CXX_FLAGS=${CXXFLAGS}"
      "-DGORT_CONSUME=${MODE}" ${how})
  message("${out}")
  run("building the user's project" "${CMAKE_COMMAND}" --build "${WORK}/build" --parallel 2)
  set(program "${WORK}/build/pingpong")
endif()

run("the user's program" ${emulator} "${program}")
message("${out}")
if(NOT out MATCHES "last: 999")
  message(FATAL_ERROR "the user's program printed the wrong result")
endif()
message("ok: ${MODE}")
