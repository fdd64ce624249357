// signal_tls.hpp: does this machine keep a thread's TLS across a handled
// signal? A real kernel does. QEMU 7.2's i386 user-mode emulation does not:
// every thread's TLS descriptor sits in one GDT entry (6) that all threads
// share in the emulator, and sigreturn reloads %gs from that entry, so a
// thread that handled a signal comes back reading the TLS of whichever
// thread set the entry last (signal_return_keeps_tls reproduces it). gort
// keeps its current G in TLS, as every runtime does, so on such an emulator
// a handled signal in a process with more than one thread corrupts it: the
// tests that handle signals and then go on running skip there, with this
// reason, instead of failing for the emulator's bug. Crash reports (the
// handler ends the process) still run.
//
// The probe runs in a forked child (it corrupts the TLS of the thread that
// runs it), once per test binary.
#pragma once

#include <gtest/gtest.h>

#include "signal_tls_probe.hpp"

// First statement of a test that handles a signal in a threaded process and
// then goes on running.
#define GORT_SKIP_IF_SIGNAL_RETURN_LOSES_TLS()                                                       \
  do {                                                                                               \
    if (!::gort::test::signal_return_keeps_tls())                                                    \
      GTEST_SKIP() << "this emulator loses a thread's TLS when a handled signal returns (QEMU i386 " \
                      "user-mode reloads %gs from a GDT entry all threads share); gort's current G " \
                      "lives in TLS";                                                                \
  } while (0)
