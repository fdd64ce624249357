// solo.cpp: a solo P switches straight from one goroutine to the next.
//
// Everywhere else a goroutine that parks or yields goes to g0 (mcall), and
// the scheduler on g0 picks the next one and gogo's to it: two switches per
// hand-off. Go does the same, for a reason that holds on any P with
// neighbours: the moment a parked G is visible (its unlockf has run, or it
// sits in a run queue), another M may take it and resume it, and two
// threads must never run on one stack; so the G is published only once its
// stack is left, from g0.
//
// A solo P (gomaxprocs 1, sched.hpp) has no neighbours to fear. A G runs
// only on the M that holds a P (schedule, execute; a blocking call's M takes
// its own G back only with a P; a callback's M waits for one), and the solo
// P's holder is the M doing the hand-off, which keeps it throughout. So
// here, on the leaving G's own stack, the G is published (unlockf, or the
// tail of the run queue), the next G is taken from the run queue and the
// M switches to it directly: gosave, then gogo, one switch per hand-off.
// The switch is the port's gort_swap (the optional GORT_ARCH_SWAP hook,
// port.hpp): gosave then gogo would leave the CPU's return prediction one
// call off, and every return the next goroutine then makes mispredicts
// (measured on amd64: slower than the trip through g0). Without the hook
// the solo P goes through g0 like any other (kSoloSwitch, sched.hpp).
// Anything that is not a plain hand-off between two goroutines that have
// run before goes the usual way, through g0:
//   - a next G never run (its stack and first frame are made on g0), or
//     locked to another M (startlockedm);
//   - this M locked to the leaving G (lock_os_thread: the M must sleep);
//   - nothing runnable on this P (the scheduler finds work or idles);
//   - work on the global queue, a pending timer, the end of the run, and
//     one hand-off in 61, so that the scheduler's checks (timers, the
//     global queue, the ring's turn) run as often as they would have.
// unlockf runs on g0's stack (systemstack), as in park_m, unless the
// caller says it is small (gopark_unlock's: one store).
// A yield's part (solo_ok, yield_solo) is inline in solo.hpp; a park's is
// here, out of line, so that every park switches from one call site, and
// every yield from another (gosched's).
//
// While the switch is under way (between setg and the move of sp) a
// signal handler finds the current G from sp (signal.cpp, sigfetchg):
// M::solo_prev names the goroutine being left, whose stack that is.
// Sanitizers hear of the switch as of any other (race.hpp): the G arriving
// calls switch_end where it resumes, after its gort_swap here or its mcall.
//
// Rejected: the same on every P, publishing the leaving G from the next G's
// stack after the switch (each resume point would have to run the leaving
// G's unlockf: mcall's return, goentry, this file's swap; and a G readied
// while its unlockf is still pending must not be run elsewhere).
#include "solo.hpp"

#if defined(GORT_ARCH_SWAP)

namespace gort::rt {

namespace {

// solo_run_next: on g0, after a solo hand-off found a next G it cannot
// switch to directly (never run, or locked to another M). The leaving G is
// already published (parked or queued).
void solo_run_next(G* gp) {
  M* mp = gp->m;
  mp->curg = nullptr;
  run_handoff(mp);
}

// unlock_on_g0: park_solo's unlockf(gp, lock) on g0's stack. Out of
// line: the lambda takes the address of what it captures, and inline that
// kept park_solo's arguments in its frame (stores and reloads) on the
// small unlockf's path too, every channel park.
__attribute__((noinline)) bool unlock_on_g0(bool (*unlockf)(G*, void*), G* gp, void* lock) {
  bool parked = true;
  systemstack([&] { parked = unlockf(gp, lock); });
  return parked;
}

}  // namespace

// solo_switch (solo.hpp): switch from gp, published already, to next, taken
// from the run queue; returns when gp is resumed, on whatever M.
__attribute__((noinline)) void solo_switch(G* gp, G* next, bool inherit) {
  M* mp = gp->m;
  if (next->sched.sp == 0 || (next->lockedm != nullptr && next->lockedm != mp)) {
    mp->handoff = next;
    mp->handoff_inherit = inherit;
    mcall(&solo_run_next);
    return;
  }
  // execute's bookkeeping, without its trip through g0.
  P* pp = mp->p;
  execute_on(mp, pp, next, inherit);
  ++pp->solo_switches;
  mp->solo_prev = gp;
  setg(next);
  if constexpr (race::kStackSwitch) race::switch_begin(gp->race, false, next->race, next->stack_lo, next->stack_hi);
  gort_swap(&gp->sched, &next->sched);
  // Resumed (by a gogo from g0 or from another solo switch).
  race::switch_end(gp->race);
}

bool park_solo(G* gp, bool (*unlockf)(G*, void*), void* lock, const char* reason, bool small) {
  M* mp = gp->m;
  P* pp = mp->p;
  if (!solo_ok(mp, pp)) return false;
  gp->waitreason = reason;
  // park_m's steps before gp's stack is left: nobody else can run gp
  // meanwhile. unlockf on g0's stack, as in park_m, unless small: an
  // unlockf may take more stack than a goroutine on the smallest class has
  // left (sleep's adds a timer, which may grow the heap and wake an M).
  gp->status.store(Gstatus::waiting, std::memory_order_relaxed);
  if (unlockf != nullptr) {
    if (!(small ? unlockf(gp, lock) : unlock_on_g0(unlockf, gp, lock))) {
      gp->status.store(Gstatus::running, std::memory_order_relaxed);
      return true;
    }
  }
  bool inherit = false;
  G* next = runqget(pp, &inherit);
  if (next == nullptr) {
    // Nothing here to run: the scheduler looks further, or idles (gp is
    // parked already: no unlockf for park_m).
    mp->waitunlockf = nullptr;
    mcall(&park_m);
    return true;
  }
  solo_switch(gp, next, inherit);
  return true;
}

}  // namespace gort::rt

#endif  // GORT_ARCH_SWAP
