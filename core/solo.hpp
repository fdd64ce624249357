// solo.hpp: a solo P's yield, inline in its one caller (gosched), and the
// check every solo hand-off makes first. solo.cpp says how a solo P
// switches and when it must not; this is the part of it that runs on every
// yield. Inline, it keeps the yielding G, its M and P and the next G in
// registers up to the switch: a yield between two goroutines took 17.8 ns
// through an out-of-line yield_solo and 15.4 ns inline (amd64, medians of
// 5 alternated runs). The switch itself stays out of line (solo_switch):
// every yield then switches from the same call site, which the port's
// gort_swap relies on to keep the CPU's return prediction right.
#pragma once

#include "sched.hpp"

namespace gort::rt {

#if defined(GORT_ARCH_SWAP)

// solo_switch (solo.cpp): switch from gp, published already, to next, taken
// from the run queue; returns when gp is resumed, on whatever M.
void solo_switch(G* gp, G* next, bool inherit);

// solo_ok: whether this hand-off may skip the scheduler (solo.cpp).
inline bool solo_ok(M* mp, P* pp) {
  Sched& s = *mp->sched;
  if (mp->lockedg != nullptr) return false;
  if (s.runqsize.load(std::memory_order_relaxed) != 0 || timers_pending(s.timers) ||
      s.exiting.load(std::memory_order_relaxed))
    return false;
  // The scheduler's fairness tick comes round: let it run (it bumps it).
  if (pp->fairtick + 1 == kFairTicks) return false;
  ++pp->fairtick;
  return true;
}

// yield_solo: gosched on a solo P; false, having done nothing, when the
// caller must take the usual path.
__attribute__((always_inline)) inline bool yield_solo(G* gp) {
  M* mp = gp->m;
  P* pp = mp->p;
  if (!solo_ok(mp, pp)) return false;
  // gosched_m's steps, on gp's stack: the next G, then gp at the tail.
  bool inherit = false;
  G* next = runqget(pp, &inherit);
  if (next == nullptr) return true;  // nothing else could run (solo_ok: no global work, no timer)
  gp->status.store(Gstatus::runnable, std::memory_order_relaxed);
  runqput(*mp->sched, pp, gp, false);
  solo_switch(gp, next, inherit);
  return true;
}

#else

inline bool yield_solo(G*) { return false; }  // no gort_swap: never a solo switch

#endif

}  // namespace gort::rt
