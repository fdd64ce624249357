// runq.hpp: the owner's side of a P's run queues, inline. Every hand-off
// puts one G and takes one, and out of line each was a call with its own
// frame, saved registers and (runqput, once its full-ring path took a
// lambda capturing by reference) arguments spilled to the stack. Measured
// on amd64 against the out-of-line versions, same run, medians of 3:
// yield 20.1 -> 18.1 ns, channel ping-pong 54.4 -> 51 ns, spawn 77 -> 72 ns.
// runq.cpp has the rest (a full ring, a P with thieves, stealing) and says
// how the queues work; sched.hpp includes this after P.
#pragma once

namespace gort::rt {

// runq.cpp: what an owner needs rarely, or only on a P with neighbours.
void runqput_full(Sched& s, P* pp, G* gp);  // the ring is full
G* ringget_shared(P* pp);
G* lifoget_shared(P* pp, std::uint32_t t);  // t: the tail less one

// lifoput: owner only. false when full.
inline bool lifoput(P* pp, G* gp) {
  std::uint32_t t = pp->lifotail.load(std::memory_order_relaxed);
  if (t - pp->lifohead.load(std::memory_order_acquire) >= kLifoSize) return false;
  pp->lifo[t % kLifoSize].store(gp, std::memory_order_relaxed);
  pp->lifotail.store(t + 1, std::memory_order_release);
  return true;
}

// lifoget: owner only; the newest. A solo P's owner has no thief to race.
inline G* lifoget(P* pp) {
  std::uint32_t t = pp->lifotail.load(std::memory_order_relaxed);
  if (t == pp->lifohead.load(std::memory_order_relaxed)) return nullptr;  // a stale head only costs a fence
  --t;
  if (!pp->solo) return lifoget_shared(pp, t);
  pp->lifotail.store(t, std::memory_order_relaxed);
  return pp->lifo[t % kLifoSize].load(std::memory_order_relaxed);
}

// ringget: the oldest G of pp's ring; owner only.
inline G* ringget(P* pp) {
  if (!pp->solo) return ringget_shared(pp);
  std::uint32_t head = pp->runqhead.load(std::memory_order_relaxed);
  if (pp->runqtail.load(std::memory_order_relaxed) == head) return nullptr;
  G* gp = pp->runq[head % kRunqSize].load(std::memory_order_relaxed);
  pp->runqhead.store(head + 1, std::memory_order_release);
  return gp;
}

// ringput: gp at the tail of pp's ring, if it has room; owner only.
inline bool ringput(P* pp, G* gp) {
  std::uint32_t head = pp->runqhead.load(std::memory_order_acquire);
  std::uint32_t tail = pp->runqtail.load(std::memory_order_relaxed);
  if (tail - head >= kRunqSize) return false;
  pp->runq[tail % kRunqSize].store(gp, std::memory_order_relaxed);
  pp->runqtail.store(tail + 1, std::memory_order_release);
  return true;
}

// runqput: owner only. next: into runnext, kicking its old G to the queue.
// The runnext exchange is seq_cst: it is the store that publishes gp before
// wakep reads npidle/nmspinning (see wakep).
inline void runqput(Sched& s, P* pp, G* gp, bool next) {
  if (next) {
    if (pp->solo) {
      G* old = pp->runnext.load(std::memory_order_relaxed);
      pp->runnext.store(gp, std::memory_order_release);
      gp = old;
    } else {
      gp = pp->runnext.exchange(gp, std::memory_order_seq_cst);
    }
    if (gp == nullptr) return;
    // A new G pushed out of runnext: depth first (runq.cpp).
    if (gp->sched.sp == 0 && lifoput(pp, gp)) return;
  }
  if (!ringput(pp, gp)) runqput_full(s, pp, gp);
}

// runnextget: take pp's runnext G, if any; owner only.
__attribute__((always_inline)) inline G* runnextget(P* pp) {
  G* next = pp->runnext.load(std::memory_order_relaxed);
  if (next == nullptr) return nullptr;
  if (pp->solo) {
    pp->runnext.store(nullptr, std::memory_order_relaxed);
    return next;
  }
  if (pp->runnext.compare_exchange_strong(next, nullptr, std::memory_order_acq_rel)) return next;
  return nullptr;  // a thief took it
}

// runqget: owner only. *inherit: a runnext G inherits the current time
// slice. runnext first, then the newest new G (the LIFO), then the ring;
// but every 61st schedule (the fairness tick) the ring, the LIFO and only
// then runnext, with a time slice of its own (runq.cpp). runnext last on
// that tick because a goroutine that starts its successor and ends (a
// relay, each link new) refills runnext at every schedule, and the
// preemption flag sysmon sets on a goroutine that holds the P too long
// dies with each link: everything else on the P waited for the chain to
// stop (a sleeper waited 30 s and more, on 1 P).
// Always inline: GCC otherwise keeps it a call, and *inherit goes through
// memory (a yield between two goroutines: 18.1 -> 16.6 ns inline, amd64).
__attribute__((always_inline)) inline G* runqget(P* pp, bool* inherit) {
  *inherit = false;
  if (pp->fairtick == 0) {
    if (G* gp = ringget(pp)) return gp;
    if (G* gp = lifoget(pp)) return gp;
    return runnextget(pp);
  }
  if (G* next = runnextget(pp)) {
    *inherit = true;
    return next;
  }
  if (G* gp = lifoget(pp)) return gp;
  return ringget(pp);
}

}  // namespace gort::rt
