// os_defs.hpp (solaris): the OS facts core needs as constants, from the
// port's own ABI declarations (defs_solaris.hpp: no system header).
#pragma once

#include "defs_solaris.hpp"

namespace gort::os {
namespace sig {
inline constexpr int kSEGV = sol::kSIGSEGV, kBUS = sol::kSIGBUS, kFPE = sol::kSIGFPE, kILL = sol::kSIGILL,
                     kTRAP = sol::kSIGTRAP;
inline constexpr int kQUIT = sol::kSIGQUIT, kKILL = sol::kSIGKILL, kSTOP = sol::kSIGSTOP, kPROF = sol::kSIGPROF;
// illumos has 73 signals (real-time 42..73), but core keeps the signals a
// program wants in one 64-bit mask (sigqueue.cpp): gort covers 1..64, and
// gort::signal::notify refuses 65..73 ("no signal").
inline constexpr int kMax = 64;
}  // namespace sig
}  // namespace gort::os
