// os_defs.hpp (linux): the OS facts core needs as constants. Signal numbers
// differ between OSes (SIGBUS is 7 here, 10 on darwin and solaris), so core
// names them through os::sig, never through <signal.h>.
#pragma once

#include <signal.h>

namespace gort::os {
namespace sig {
inline constexpr int kSEGV = SIGSEGV, kBUS = SIGBUS, kFPE = SIGFPE, kILL = SIGILL, kTRAP = SIGTRAP;
inline constexpr int kQUIT = SIGQUIT, kKILL = SIGKILL, kSTOP = SIGSTOP, kPROF = SIGPROF;
inline constexpr int kMax = 64;  // signals are 1..kMax
}  // namespace sig
}  // namespace gort::os
