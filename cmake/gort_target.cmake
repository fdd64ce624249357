# gort_target.cmake: pick arch/<cpu> and os/<os> from the target, print the
# choice, and stop with a clear message for a target gort has no port for.
# Adding a CPU: one line in the table below (docs/PORTING.md, step 1).

string(TOLOWER "${CMAKE_SYSTEM_PROCESSOR}" _p)
if(_p MATCHES "^(x86_64|amd64|x64)$" AND CMAKE_SIZEOF_VOID_P EQUAL 8)
  set(GORT_CPU amd64)
elseif(_p MATCHES "^(x86_64|amd64|i[3-6]86|x86)$")
  set(GORT_CPU 386)
elseif(_p MATCHES "^(armv7.*|arm|armhf)$")
  set(GORT_CPU arm)
elseif(_p MATCHES "^(armv5.*|armv6.*|armel)$")
  set(GORT_CPU arm)   # soft-float or VFP, chosen by the compiler's macros
elseif(_p MATCHES "^mips64" AND CMAKE_SIZEOF_VOID_P EQUAL 8)
  set(GORT_CPU mips64el)   # n64
elseif(_p MATCHES "^mips")
  set(GORT_CPU mipsel)     # o32 (uname says mips64 under a 64-bit kernel)
elseif(_p MATCHES "^(aarch64|arm64)$")
  set(GORT_CPU arm64)
elseif(_p MATCHES "^riscv64$")
  set(GORT_CPU riscv64)
elseif(_p MATCHES "^(ppc64le|powerpc64le)$")
  set(GORT_CPU ppc64le)
elseif(_p MATCHES "^s390x$")
  set(GORT_CPU s390x)
else()
  message(FATAL_ERROR
    "gort: no CPU port for CMAKE_SYSTEM_PROCESSOR='${CMAKE_SYSTEM_PROCESSOR}'. "
    "Ports: 386 amd64 arm arm64 mips64el mipsel ppc64le riscv64 s390x (arch/<cpu>/). "
    "To add one, follow docs/PORTING.md.")
endif()

# OS ports: os/<os>/. Adding an OS: one branch here (docs/PORTING.md, the
# OS half).
if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  set(GORT_OS linux)
elseif(CMAKE_SYSTEM_NAME STREQUAL "Darwin")
  set(GORT_OS darwin)
elseif(CMAKE_SYSTEM_NAME MATCHES "^(SunOS|Solaris|illumos)$")
  set(GORT_OS solaris)
else()
  message(FATAL_ERROR
    "gort: no OS port for CMAKE_SYSTEM_NAME='${CMAKE_SYSTEM_NAME}'. "
    "Ports: linux darwin solaris (os/<os>/). To add one, follow docs/PORTING.md.")
endif()

if(NOT EXISTS "${PROJECT_SOURCE_DIR}/arch/${GORT_CPU}/asm_${GORT_CPU}.S")
  message(FATAL_ERROR "gort: arch/${GORT_CPU}/asm_${GORT_CPU}.S is missing")
endif()
# One assembly source per CPU: its gort_arch.h has the macro layer for the
# object format (symbol prefix, sections, .type/.size, notes).
if(APPLE)
  set(GORT_OBJECT_FORMAT Mach-O)
else()
  set(GORT_OBJECT_FORMAT ELF)
endif()

# The lock: Go's choice by file. An OS port with a one-word wait has
# os/<os>/futex_<os>.cpp and gets core/lock_futex.cpp; one with per-thread
# semaphores has os/<os>/sema_<os>.cpp and gets core/lock_sema.cpp. A port
# with both gets futex unless GORT_LOCK=sema (the kit's "sema" preset runs
# lock_sema.cpp on Linux that way).
set(GORT_LOCK "" CACHE STRING "futex or sema (empty: futex when the OS port has it)")
set(_gort_osdir "${PROJECT_SOURCE_DIR}/os/${GORT_OS}")
if(NOT GORT_LOCK)
  if(EXISTS "${_gort_osdir}/futex_${GORT_OS}.cpp")
    set(GORT_LOCK futex)
  else()
    set(GORT_LOCK sema)
  endif()
endif()
if(NOT GORT_LOCK MATCHES "^(futex|sema)$" OR NOT EXISTS "${_gort_osdir}/${GORT_LOCK}_${GORT_OS}.cpp")
  message(FATAL_ERROR "gort: GORT_LOCK=${GORT_LOCK}: os/${GORT_OS}/${GORT_LOCK}_${GORT_OS}.cpp is missing "
                      "(an OS port supplies futex_<os>.cpp or sema_<os>.cpp; docs/PORTING.md)")
endif()
file(GLOB GORT_OS_SOURCES "${_gort_osdir}/*.cpp")
list(FILTER GORT_OS_SOURCES EXCLUDE REGEX "/(futex|sema)_[^/]*\\.cpp$")
list(APPEND GORT_OS_SOURCES "${_gort_osdir}/${GORT_LOCK}_${GORT_OS}.cpp")
# Pieces written once for the OS ports that build against their POSIX libc
# headers (solaris declares its system interface itself).
if(GORT_OS STREQUAL "linux" OR GORT_OS STREQUAL "darwin")
  list(APPEND GORT_OS_SOURCES "${PROJECT_SOURCE_DIR}/os/posix/map_file_posix.cpp")
endif()
set(GORT_LOCK_SOURCE "${PROJECT_SOURCE_DIR}/core/lock_${GORT_LOCK}.cpp")

# The signal-context accessors of this OS for this CPU (os/<os>/sigctxt_<cpu>.hpp).
set(GORT_SIGCTXT "${_gort_osdir}/sigctxt_${GORT_CPU}.hpp")
if(NOT EXISTS "${GORT_SIGCTXT}")
  message(FATAL_ERROR "gort: os/${GORT_OS}/sigctxt_${GORT_CPU}.hpp is missing "
                      "(the signal-context accessors; docs/PORTING.md, signals)")
endif()
# The unwinder's strategy (core/unwind_impl.hpp: frame_prepare and
# frame_step), one file, chosen here:
#   dwarf  core/unwind_dwarf.cpp: DWARF CFI from .eh_frame (the default)
#   ehabi  arch/arm/unwind_ehabi.cpp: ARM EHABI tables, where the CPU's
#          gort_arch.h says GORT_UNWIND_EHABI (one fact, read by C++ and here)
#   fp     core/unwind_fp.cpp: the frame-pointer chain, where the CPU's
#          gort_arch.h says GORT_FP_RECORD (frame records {caller's fp,
#          return address}). Mach-O's default: Apple's linkers keep DWARF
#          only for the few functions compact unwind cannot describe
#          (core/unwind_fp.cpp says why, and what was rejected).
# GORT_UNWIND overrides the default: the kit's "fp" variant builds Linux
# with the frame-pointer strategy, so that darwin's strategy runs here.
set(GORT_UNWIND "" CACHE STRING "dwarf, ehabi or fp (empty: the target's default)")
set(_gort_arch_h "${PROJECT_SOURCE_DIR}/arch/${GORT_CPU}/gort_arch.h")
file(STRINGS "${_gort_arch_h}" _gort_ehabi REGEX "^#define[ \t]+GORT_UNWIND_EHABI[ \t]+1")
file(STRINGS "${_gort_arch_h}" _gort_fp_record REGEX "^#define[ \t]+GORT_FP_RECORD[ \t]+1")
if(GORT_UNWIND)
  set(GORT_UNWIND_FORMAT ${GORT_UNWIND})
elseif(GORT_OBJECT_FORMAT STREQUAL "Mach-O")
  set(GORT_UNWIND_FORMAT fp)
elseif(_gort_ehabi)
  set(GORT_UNWIND_FORMAT ehabi)
else()
  set(GORT_UNWIND_FORMAT dwarf)
endif()
if(GORT_UNWIND_FORMAT STREQUAL "ehabi")
  if(NOT _gort_ehabi)
    message(FATAL_ERROR "gort: GORT_UNWIND=ehabi: arch/${GORT_CPU}/gort_arch.h does not define GORT_UNWIND_EHABI")
  endif()
  set(GORT_UNWIND_SOURCES "${PROJECT_SOURCE_DIR}/arch/arm/unwind_ehabi.cpp")
elseif(GORT_UNWIND_FORMAT STREQUAL "fp")
  if(NOT _gort_fp_record)
    message(FATAL_ERROR "gort: GORT_UNWIND=fp: arch/${GORT_CPU}/gort_arch.h does not define GORT_FP_RECORD "
                        "(this CPU's frame records are not {caller's fp, return address}; docs/PORTING.md)")
  endif()
  set(GORT_UNWIND_SOURCES "${PROJECT_SOURCE_DIR}/core/unwind_fp.cpp")
elseif(GORT_UNWIND_FORMAT STREQUAL "dwarf")
  if(_gort_ehabi)
    message(FATAL_ERROR "gort: GORT_UNWIND=dwarf: arch/${GORT_CPU} emits ARM EHABI tables, not .eh_frame")
  endif()
  set(GORT_UNWIND_SOURCES "${PROJECT_SOURCE_DIR}/core/unwind_dwarf.cpp")
else()
  message(FATAL_ERROR "gort: GORT_UNWIND=${GORT_UNWIND}: dwarf, ehabi or fp")
endif()
# The object format's reader for the unwinder's module table
# (core/unwind_impl.hpp: module_load): ELF systems share os/elf/, Mach-O
# ones os/macho/.
if(GORT_OBJECT_FORMAT STREQUAL "ELF")
  set(GORT_OBJFMT elf)
  list(APPEND GORT_UNWIND_SOURCES "${PROJECT_SOURCE_DIR}/os/elf/elf_modules.cpp")
else()
  set(GORT_OBJFMT macho)
  list(APPEND GORT_UNWIND_SOURCES "${PROJECT_SOURCE_DIR}/os/macho/macho_modules.cpp"
                                  "${PROJECT_SOURCE_DIR}/os/macho/macho_image.cpp")
endif()

# What this build can prove: run its tests (natively or under an emulator),
# only build and link them (no way to run the target here: darwin), or
# only compile the library (no target linker or libc here: solaris, whose
# toolchain file sets GORT_COMPILE_ONLY).
if(GORT_COMPILE_ONLY)
  set(GORT_RUNS "compiled, not linked, not run")
  set(GORT_TESTS OFF)  # nothing to link them with
  set(GORT_BENCH OFF)
elseif(CMAKE_CROSSCOMPILING AND NOT CMAKE_CROSSCOMPILING_EMULATOR)
  set(GORT_RUNS "built and linked, not run")
else()
  set(GORT_RUNS "run")
endif()

message(STATUS "gort: CPU port arch/${GORT_CPU} (${CMAKE_SYSTEM_PROCESSOR}), OS port os/${GORT_OS}, "
               "unwinder ${GORT_UNWIND_FORMAT} over ${GORT_OBJFMT} objects")
message(STATUS "gort: assembly arch/${GORT_CPU}/asm_${GORT_CPU}.S as ${GORT_OBJECT_FORMAT}; "
               "lock core/lock_${GORT_LOCK}.cpp over os/${GORT_OS}/${GORT_LOCK}_${GORT_OS}.cpp")
if(CMAKE_CROSSCOMPILING_EMULATOR)
  list(JOIN CMAKE_CROSSCOMPILING_EMULATOR " " _gort_emu)
  message(STATUS "gort: tests run under ${_gort_emu}")
elseif(NOT GORT_RUNS STREQUAL "run")
  message(STATUS "gort: ${GORT_OS}: ${GORT_RUNS}")
endif()
