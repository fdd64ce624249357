# gort_install.cmake: what `cmake --install` puts under the prefix:
#
#   include/gort/                 the public headers
#   lib/libgort.a                 the library (with the gdb script inside,
#                                 ELF targets: core/gdbinfo.cpp)
#   lib/cmake/gort/               the CMake package: find_package(gort
#                                 CONFIG REQUIRED) gives gort::gort with
#                                 its usage requirements
#   lib/pkgconfig/gort.pc         the same for pkg-config
#   share/gort/gdb/gort.py        the gdb extension, to `source` by hand
#
# The package is built for one target (CPU, OS, compiler flags): install a
# cross build into a prefix of its own.
include(CMakePackageConfigHelpers)

set(GORT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/gort)
install(TARGETS gort EXPORT gortTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY include/gort DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT gortTargets NAMESPACE gort:: DESTINATION ${GORT_CMAKE_DIR})
install(FILES tools/gdb/gort.py DESTINATION ${CMAKE_INSTALL_DATADIR}/gort/gdb)

# What the package's config needs to find again: the libraries gort::gort
# links (Threads, and zlib where the profiler uses it).
if(ZLIB_FOUND)
  set(GORT_NEEDS_ZLIB 1)
else()
  set(GORT_NEEDS_ZLIB 0)
endif()
configure_package_config_file(cmake/gortConfig.cmake.in
  ${PROJECT_BINARY_DIR}/gortConfig.cmake
  INSTALL_DESTINATION ${GORT_CMAKE_DIR}
  PATH_VARS CMAKE_INSTALL_DATADIR)
# 0.x: a new minor version may change the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/gortConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/gortConfig.cmake ${PROJECT_BINARY_DIR}/gortConfigVersion.cmake
  DESTINATION ${GORT_CMAKE_DIR})

# gort.pc: the usage requirements of gort::gort, spelled for pkg-config.
# (The library is static, so everything it links is in Libs.) The prefix
# is found relative to the .pc file, so the installed tree can move.
set(_pc_cflags "")
set(_pc_libs " -lgort")
if(GORT_HAVE_STACK_CLASH_PROTECTION)
  string(APPEND _pc_cflags " -fstack-clash-protection")
endif()
if(GORT_UNWIND_FORMAT STREQUAL "ehabi")
  string(APPEND _pc_cflags " -funwind-tables")
endif()
if(GORT_NO_EXCEPTIONS)
  string(APPEND _pc_cflags " -fno-exceptions -fno-rtti")
endif()
if(ZLIB_FOUND)
  string(APPEND _pc_libs " -lz")
endif()
if(NOT GORT_ATOMICS_WITHOUT_LIBATOMIC)
  string(APPEND _pc_libs " -latomic")
endif()
string(APPEND _pc_libs " -pthread")
set(GORT_PC_CFLAGS "${_pc_cflags}")
set(GORT_PC_LIBS "${_pc_libs}")
file(RELATIVE_PATH GORT_PC_PREFIX_FROM_PCDIR
  "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
string(REGEX REPLACE "/$" "" GORT_PC_PREFIX_FROM_PCDIR "${GORT_PC_PREFIX_FROM_PCDIR}")
configure_file(cmake/gort.pc.in ${PROJECT_BINARY_DIR}/gort.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/gort.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
