// profile_solaris.hpp: what the solaris port's SIGPROF handler needs of
// its profiler timers (profile_solaris.cpp).
#pragma once

#include "defs_solaris.hpp"

namespace gort::os::sol {

// on_sigprof: a SIGPROF arrived on this LWP. Brings the LWP's own
// ITIMER_PROF to the rate requested for it; returns true if the signal was
// a request's kick (si_code SI_LWP), which is no CPU-time sample and goes
// no further. In the signal handler: async-signal-safe.
bool on_sigprof(const Siginfo* info);

}  // namespace gort::os::sol
