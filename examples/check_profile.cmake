# check_profile.cmake: run the profiling example, then read its profile with
# `go tool pprof` and check that both functions and both labels are there.
#   cmake -DPROGRAM=... -DEMULATOR=... -DPROBE=... -DGO=... -DWORKDIR=... -P check_profile.cmake
# Skips (ctest's SKIP_REGULAR_EXPRESSION "SKIP:") when go is missing, or
# when PROBE (tests/support/signal_tls_probe.cpp) exits 3.
if(NOT GO OR NOT EXISTS "${GO}")
  message("SKIP: go not found (./kit deps installs golang-go): cannot read the profile")
  return()
endif()
separate_arguments(emulator UNIX_COMMAND "${EMULATOR}")
execute_process(COMMAND ${emulator} "${PROBE}" RESULT_VARIABLE rc)
if(rc EQUAL 3)
  message("SKIP: this emulator loses a thread's TLS when a handled signal returns "
    "(QEMU i386 user-mode; tests/support/signal_tls.hpp): SIGPROF would test the emulator")
  return()
endif()
file(MAKE_DIRECTORY "${WORKDIR}")
set(profile "${WORKDIR}/cpu.pprof")
file(REMOVE "${profile}")
execute_process(COMMAND ${emulator} "${PROGRAM}" "${profile}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} failed: ${rc}")
endif()
# pprof writes its cache (and nothing else) under HOME; keep it here.
set(ENV{HOME} "${WORKDIR}")
execute_process(COMMAND "${GO}" tool pprof -top "${profile}"
  OUTPUT_VARIABLE top ERROR_VARIABLE err RESULT_VARIABLE rc)
message("${err}${top}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "go tool pprof -top failed: ${rc}")
endif()
foreach(fn crc_work count_primes)
  if(NOT top MATCHES "${fn}")
    message(FATAL_ERROR "go tool pprof -top: ${fn} missing")
  endif()
endforeach()
execute_process(COMMAND "${GO}" tool pprof -tags "${profile}"
  OUTPUT_VARIABLE tags ERROR_VARIABLE err RESULT_VARIABLE rc)
message("${err}${tags}")
if(NOT rc EQUAL 0 OR NOT tags MATCHES "crc" OR NOT tags MATCHES "primes")
  message(FATAL_ERROR "go tool pprof -tags: the labels worker=crc and worker=primes are missing")
endif()
message("ok: both functions and both labels in the profile")
