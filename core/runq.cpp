// runq.cpp: run queues and idle Ps (Go's runqput/runqget/runqsteal,
// globrunqput/globrunqget, pidleput/pidleget). The owner's fast paths
// (runqput, runqget, the LIFO's and the ring's take) are inline, in
// runq.hpp; this file has the rest.
//
// Each P has a bounded ring of runnable Gs: only the owner puts, at the
// tail; anyone takes at the head with a CAS (the owner when it schedules, a
// thief stealing half). runnext holds the G readied last by this P, so that
// a sender and its receiver run back to back. A full ring moves half of
// itself to the global queue, which lives under sched.lock.
//
// New goroutines run depth first. A G that has never run and is pushed out
// of runnext (a spawner's earlier children) goes on the P's LIFO, which the
// owner pops newest first: a tree of goroutines (fork-join, skynet) then
// finishes each subtree before it starts the next, so a few dozen of them
// are alive at once instead of a breadth-first frontier of tens of
// thousands (each with a stack: fib(27) kept about 25,000 parked, and most
// of its time went to carving and faulting in their stacks). Thieves take
// from the other end, one at a time: the oldest child, the biggest subtree
// (a Chase-Lev deque over a fixed ring, as Cilk's). Gs that have run
// (readied, yielded) keep the FIFO ring; one schedule in 61 takes the ring
// first, then the LIFO, and runnext last (the tick, P::fairtick, on which
// findrunnable also serves the global queue first), so new work cannot
// starve it, nor a chain of goroutines each starting the next through
// runnext starve the rest, and a yield waits behind at most
// that many goroutines, as Go's does (its Gosched goes to the global
// queue, served first every 61st tick). A full LIFO spills into the ring. Go has no LIFO: its queue
// runs such trees breadth first. Rejected: popping the ring's tail (the
// half-queue steals read a tail the owner could take back), running a
// child at once and queueing its parent (Go runs the spawner on).
//
// A solo P (the only one of its run) has no thieves: runqsteal runs only
// when gomaxprocs > 1, and every other access from another M (runqempty's
// reads) is a read. Its owner then takes and puts with plain atomic loads
// and stores, no read-modify-write: on x86 each locked instruction saved is
// about 6 ns on the development VM, and a channel round trip made four of
// them here. The owner changes only at a hand-off (acquirep after pidleget
// under sched.lock, a P's status CAS, a note wakeup), which orders the old
// owner's stores before the new owner's loads.
#include "sched.hpp"

#include "os.hpp"

namespace gort::rt {

bool runqempty(P* pp) {
  // runnext and the queue are read separately: retry if the tail moved.
  // seq_cst: an M giving up spinning reads these after its nmspinning
  // decrement, the mirror of wakep's read after a put (proc.cpp, wakep).
  // A G moves from runnext to the LIFO or the ring, never the other way.
  for (;;) {
    std::uint32_t head = pp->runqhead.load(std::memory_order_seq_cst);
    std::uint32_t tail = pp->runqtail.load(std::memory_order_seq_cst);
    std::uint32_t lhead = pp->lifohead.load(std::memory_order_seq_cst);
    std::uint32_t ltail = pp->lifotail.load(std::memory_order_seq_cst);
    G* next = pp->runnext.load(std::memory_order_seq_cst);
    if (tail == pp->runqtail.load(std::memory_order_seq_cst) &&
        ltail == pp->lifotail.load(std::memory_order_seq_cst))
      return head == tail && static_cast<std::int32_t>(ltail - lhead) <= 0 && next == nullptr;
  }
}

std::uint32_t runqlen(P* pp) {
  std::uint32_t n = pp->runqtail.load(std::memory_order_relaxed) - pp->runqhead.load(std::memory_order_relaxed);
  auto l = static_cast<std::int32_t>(pp->lifotail.load(std::memory_order_relaxed) -
                                     pp->lifohead.load(std::memory_order_relaxed));
  return n + (l > 0 ? static_cast<std::uint32_t>(l) : 0);
}

void globrunqput(Sched& s, G* gp) {
  gp->schedlink = nullptr;
  if (s.runqtail)
    s.runqtail->schedlink = gp;
  else
    s.runqhead = gp;
  s.runqtail = gp;
  s.runqsize.fetch_add(1, std::memory_order_relaxed);
}

void globrunqputbatch(Sched& s, G* head, G* tail, std::int32_t n) {
  tail->schedlink = nullptr;
  if (s.runqtail)
    s.runqtail->schedlink = head;
  else
    s.runqhead = head;
  s.runqtail = tail;
  s.runqsize.fetch_add(n, std::memory_order_relaxed);
}

// globrunqget: take a batch for pp (max 0: a fair share); sched.lock held.
// The batch is capped by the free room in pp's ring, so every G but the one
// returned goes straight into it: the lock is held here, and a full ring
// would otherwise spill back to the global queue under the same lock (the
// old code did exactly that: a self-deadlock waiting to happen).
G* globrunqget(Sched& s, P* pp, std::int32_t max) {
  std::int32_t size = s.runqsize.load(std::memory_order_relaxed);
  if (size == 0) return nullptr;
  std::int32_t n = size / s.gomaxprocs + 1;
  if (n > size) n = size;
  if (max > 0 && n > max) n = max;
  if (n > static_cast<std::int32_t>(kRunqSize / 2)) n = kRunqSize / 2;
  std::uint32_t head = pp->runqhead.load(std::memory_order_acquire);
  std::uint32_t tail = pp->runqtail.load(std::memory_order_relaxed);
  auto room = static_cast<std::int32_t>(kRunqSize - (tail - head));
  if (n > room + 1) n = room + 1;  // one is returned, not queued
  s.runqsize.fetch_sub(n, std::memory_order_relaxed);
  G* gp = s.runqhead;
  s.runqhead = gp->schedlink;
  if (s.runqhead == nullptr) s.runqtail = nullptr;
  for (std::int32_t i = 1; i < n; ++i) {
    G* g1 = s.runqhead;
    s.runqhead = g1->schedlink;
    if (s.runqhead == nullptr) s.runqtail = nullptr;
    pp->runq[tail % kRunqSize].store(g1, std::memory_order_relaxed);
    ++tail;
  }
  pp->runqtail.store(tail, std::memory_order_release);
  return gp;
}

namespace {

// runqputslow: move half of pp's full queue and gp to the global queue.
bool runqputslow(Sched& s, P* pp, G* gp, std::uint32_t head, std::uint32_t tail) {
  constexpr std::uint32_t n = kRunqSize / 2;
  G* batch[n + 1];
  if (tail - head != kRunqSize) fatal("runqputslow: queue is not full");
  for (std::uint32_t i = 0; i < n; ++i)
    batch[i] = pp->runq[(head + i) % kRunqSize].load(std::memory_order_relaxed);
  if (!pp->runqhead.compare_exchange_strong(head, head + n, std::memory_order_release))
    return false;
  batch[n] = gp;
  for (std::uint32_t i = 0; i < n; ++i) batch[i]->schedlink = batch[i + 1];
  LockGuard l(s.lock);
  globrunqputbatch(s, batch[0], batch[n], n + 1);
  return true;
}

// runqgrab: take half of p2's queue into batch (and its runnext if
// steal_next and the queue is empty). Returns the count.
std::uint32_t runqgrab(P* p2, G** batch, std::uint32_t batch_head, bool steal_next) {
  for (;;) {
    std::uint32_t head = p2->runqhead.load(std::memory_order_acquire);
    std::uint32_t tail = p2->runqtail.load(std::memory_order_acquire);
    std::uint32_t n = tail - head;
    n = n - n / 2;
    if (n == 0) {
      if (steal_next) {
        G* next = p2->runnext.load(std::memory_order_acquire);
        if (next != nullptr) {
          // Let a running owner that is about to schedule its runnext win.
          if (p2->status.load(std::memory_order_relaxed) == Pstatus::running) os::osyield();
          if (!p2->runnext.compare_exchange_strong(next, nullptr, std::memory_order_acq_rel)) continue;
          batch[batch_head % kRunqSize] = next;
          return 1;
        }
      }
      return 0;
    }
    if (n > kRunqSize / 2) continue;  // read an inconsistent head/tail pair
    for (std::uint32_t i = 0; i < n; ++i)
      batch[(batch_head + i) % kRunqSize] = p2->runq[(head + i) % kRunqSize].load(std::memory_order_relaxed);
    if (p2->runqhead.compare_exchange_strong(head, head + n, std::memory_order_release)) return n;
  }
}

// lifosteal: the oldest of p2's LIFO, or nullptr. Any M.
G* lifosteal(P* p2) {
  for (;;) {
    std::uint32_t h = p2->lifohead.load(std::memory_order_seq_cst);
    std::uint32_t t = p2->lifotail.load(std::memory_order_seq_cst);
    if (static_cast<std::int32_t>(t - h) <= 0) return nullptr;
    G* gp = p2->lifo[h % kLifoSize].load(std::memory_order_relaxed);
    if (p2->lifohead.compare_exchange_strong(h, h + 1, std::memory_order_seq_cst)) return gp;
  }
}

}  // namespace

// runqput_full: runqput (runq.hpp) found the ring full: move half of it
// and gp to the global queue, or put gp in the room a thief made meanwhile.
// Out of line, so that the inline fast path takes no local's address.
void runqput_full(Sched& s, P* pp, G* gp) {
  for (;;) {
    std::uint32_t head = pp->runqhead.load(std::memory_order_acquire);
    std::uint32_t tail = pp->runqtail.load(std::memory_order_relaxed);
    if (tail - head < kRunqSize && ringput(pp, gp)) return;  // a thief made room
    // On the system stack: its batch is 1 KiB (64-bit) and it takes the
    // scheduler's lock, and `go` runs it on the spawner's stack, which
    // may be the smallest class (Go's newproc runs on g0 too).
    bool moved = false;
    off_goroutine_stack([&] { moved = runqputslow(s, pp, gp, head, tail); });
    if (moved) return;
  }
}

// lifoget_shared: lifoget (runq.hpp) on a P with thieves, whose tail less
// one is t. Chase-Lev's take: claim the slot by moving the tail back, then
// read the head after a full fence; only the last G can race with a
// thief, and a CAS on the head settles it.
G* lifoget_shared(P* pp, std::uint32_t t) {
  pp->lifotail.exchange(t, std::memory_order_seq_cst);  // the store, then the fence, in one instruction
  std::uint32_t h = pp->lifohead.load(std::memory_order_relaxed);
  auto left = static_cast<std::int32_t>(t - h);
  if (left < 0) {  // a thief took the last one
    pp->lifotail.store(h, std::memory_order_relaxed);
    return nullptr;
  }
  G* gp = pp->lifo[t % kLifoSize].load(std::memory_order_relaxed);
  if (left == 0) {
    std::uint32_t want = h;  // a failed CAS overwrites it
    if (!pp->lifohead.compare_exchange_strong(want, h + 1, std::memory_order_seq_cst)) gp = nullptr;
    pp->lifotail.store(h + 1, std::memory_order_relaxed);
  }
  return gp;
}

// ringget_shared: ringget (runq.hpp) on a P with thieves.
G* ringget_shared(P* pp) {
  for (;;) {
    std::uint32_t head = pp->runqhead.load(std::memory_order_acquire);
    std::uint32_t tail = pp->runqtail.load(std::memory_order_relaxed);
    if (tail == head) return nullptr;
    G* gp = pp->runq[head % kRunqSize].load(std::memory_order_relaxed);
    if (pp->runqhead.compare_exchange_weak(head, head + 1, std::memory_order_release)) return gp;
  }
}

// runqsteal: steal half of p2's Gs into pp's queue; return one to run.
G* runqsteal(P* pp, P* p2, bool steal_next) {
  std::uint32_t tail = pp->runqtail.load(std::memory_order_relaxed);
  G* batch[kRunqSize];
  std::uint32_t n = runqgrab(p2, batch, 0, false);
  if (n == 0) {
    // The ring is empty: the oldest new G, then (last round) runnext.
    if (G* gp = lifosteal(p2)) return gp;
    if (steal_next) n = runqgrab(p2, batch, 0, true);
  }
  if (n == 0) return nullptr;
  G* gp = batch[n - 1];
  if (--n == 0) return gp;
  for (std::uint32_t i = 0; i < n; ++i) pp->runq[(tail + i) % kRunqSize].store(batch[i], std::memory_order_relaxed);
  pp->runqtail.store(tail + n, std::memory_order_release);
  return gp;
}

// pidleput: sched.lock held. npidle is seq_cst: wakep reads it after
// publishing work, and a spinning M that gives up its P re-checks the
// queues after this increment (proc.cpp, findrunnable).
void pidleput(Sched& s, P* pp) {
  if (!runqempty(pp)) fatal("pidleput: P has non-empty run queue");
  pp->status.store(Pstatus::idle, std::memory_order_release);
  pp->link = s.pidle;
  s.pidle = pp;
  s.npidle.fetch_add(1, std::memory_order_seq_cst);
}

P* pidleget(Sched& s) {
  P* pp = s.pidle;
  if (pp) {
    s.pidle = pp->link;
    s.npidle.fetch_sub(1, std::memory_order_relaxed);
  }
  return pp;
}

}  // namespace gort::rt
