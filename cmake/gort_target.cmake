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
else()
  message(FATAL_ERROR
    "gort: no CPU port for CMAKE_SYSTEM_PROCESSOR='${CMAKE_SYSTEM_PROCESSOR}'. "
    "Ports: 386 amd64 arm arm64 mips64el mipsel riscv64 (arch/<cpu>/). "
    "To add one, follow docs/PORTING.md.")
endif()

if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  set(GORT_OS linux)
else()
  message(FATAL_ERROR
    "gort: no OS port for CMAKE_SYSTEM_NAME='${CMAKE_SYSTEM_NAME}'. Ports: linux (os/<os>/).")
endif()

if(NOT EXISTS "${PROJECT_SOURCE_DIR}/arch/${GORT_CPU}/asm_${GORT_CPU}.S")
  message(FATAL_ERROR "gort: arch/${GORT_CPU}/asm_${GORT_CPU}.S is missing")
endif()
file(GLOB GORT_OS_SOURCES "${PROJECT_SOURCE_DIR}/os/${GORT_OS}/*.cpp")
# The signal-context accessors of this OS for this CPU (os/<os>/sigctxt_<cpu>.hpp).
set(GORT_SIGCTXT "${PROJECT_SOURCE_DIR}/os/${GORT_OS}/sigctxt_${GORT_CPU}.hpp")
if(NOT EXISTS "${GORT_SIGCTXT}")
  message(FATAL_ERROR "gort: os/${GORT_OS}/sigctxt_${GORT_CPU}.hpp is missing "
                      "(the signal-context accessors; docs/PORTING.md, signals)")
endif()
message(STATUS "gort: CPU port arch/${GORT_CPU} (${CMAKE_SYSTEM_PROCESSOR}), OS port os/${GORT_OS}")
if(CMAKE_CROSSCOMPILING_EMULATOR)
  list(JOIN CMAKE_CROSSCOMPILING_EMULATOR " " _gort_emu)
  message(STATUS "gort: tests run under ${_gort_emu}")
endif()
