// sigctxt.hpp (darwin): the signal-context accessors for this CPU (Go's
// signal_darwin_<cpu>.go): CMake defines GORT_SIGCTXT_HEADER as
// "sigctxt_<cpu>.hpp". As on Linux, each defines struct SigCtxt over a
// ucontext_t*: pc(), sp(), lr(), set_pc(), set_sp(), dwarf_regs(), and one
// darwin fact, kSegvCode0IsFault. darwin's ucontext_t differs from Linux's:
// uc_mcontext is a pointer to a struct __darwin_mcontext64 (exception
// state __es, thread state __ss, FP/vector state), not the registers
// themselves. Only plain loads and stores: they run in signal handlers.
#pragma once

#include <sys/ucontext.h>

#include <cstdint>

namespace gort::os {
// sigctxt_put: set DWARF register r and mark it known (for dwarf_regs).
inline void sigctxt_put(std::uintptr_t* regs, std::uint64_t* known, int n, int r, std::uintptr_t v) {
  if (r >= n) return;
  regs[r] = v;
  known[r / 64] |= std::uint64_t(1) << (r % 64);
}
}  // namespace gort::os

#ifndef GORT_SIGCTXT_HEADER
#error "GORT_SIGCTXT_HEADER is not defined: cmake/gort_target.cmake sets it to sigctxt_<cpu>.hpp"
#endif
#include GORT_SIGCTXT_HEADER
