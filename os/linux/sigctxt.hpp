// sigctxt.hpp: the signal-context accessors for this CPU (Go's
// signal_linux_<cpu>.go): CMake defines GORT_SIGCTXT_HEADER as
// "sigctxt_<cpu>.hpp". Each file defines struct SigCtxt over a ucontext_t*:
// pc(), sp(), lr() (0 where the CPU has no link register), set_pc(),
// set_sp(), and dwarf_regs(), which copies the integer registers into an
// array indexed by DWARF register number for the unwinder (unwind.hpp).
// Only plain loads and stores: they run in signal handlers.
#pragma once

#include <ucontext.h>

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
