// os_defs.hpp (darwin): the OS facts core needs as constants. darwin's
// signal numbers are BSD's (SIGBUS 10, SIGUSR1 30, SIGPROF 27), and its
// sigset_t is 32 bits: signals 1..31, no real-time signals.
#pragma once

#include <signal.h>

namespace gort::os {
namespace sig {
inline constexpr int kSEGV = SIGSEGV, kBUS = SIGBUS, kFPE = SIGFPE, kILL = SIGILL, kTRAP = SIGTRAP;
inline constexpr int kQUIT = SIGQUIT, kKILL = SIGKILL, kSTOP = SIGSTOP, kPROF = SIGPROF;
inline constexpr int kMax = NSIG - 1;  // signals are 1..kMax (31)
static_assert(NSIG == 32, "darwin: a 32-bit sigset_t");
}  // namespace sig
}  // namespace gort::os
