// sigqueue.cpp: signals delivered to channels (Go's sigqueue.go and
// os/signal): gort::signal::notify and stop.
//
// The handler only counts: g_pending[sig] += 1 and a futex word wakes the
// delivery goroutine, all lock-free and allocation-free, on any thread
// (one gort did not create included). The delivery goroutine, a goroutine
// of the run started by the first notify, waits for that word inside
// blocking() (so it holds an M, as Go's signal_recv does, and never a P),
// then sends every counted signal to every channel registered for it with
// a non-blocking send: a full channel drops the signal, as in Go; give the
// channel room for the signals you expect between two receives.
//
// While a signal is wanted, it goes to the channels only: the handler
// installed before gort's does not see it, nor does the default action
// run (Go's Notify). stop and the end of the run put back what was there.
//
// TSan: the queue's lock is a runtime Lock, which orders nothing TSan sees
// (race.hpp); its holders tell TSan of it as a mutex (acquire on taking
// it, release on leaving it), as Go's os/signal orders Notify, Stop and
// its delivery loop with a sync.Mutex: a channel registered after the
// delivery goroutine started is written by it, and without the edge that
// write races with the making of the channel (tests/sanitize, notify-late).

#include "gort/gort.hpp"
#include "gort/signal.hpp"
#include "os_defs.hpp"
#include "sched.hpp"
#include "signal.hpp"

namespace gort::rt {

namespace {

constexpr int kNsig = os::sig::kMax + 1;

// Wanted: bit sig-1 is set while some channel wants sig. The handler reads
// it, so it is made of 32-bit words: where the CPU has no 64-bit atomic
// instructions (MIPS32, ARMv5), a 64-bit atomic is a call into libatomic,
// which takes a lock, and a handler that interrupted its own thread inside
// it would deadlock. A signal's bit is in one word; writers (under the
// queue's lock) store the words one by one. (Not a static_assert of
// is_always_lock_free: on ARMv5 even 32-bit atomics are calls, to libgcc's
// kernel-helper ones, which are lock-free; the signal tests check that the
// handler takes no lock.)
class Wanted {
 public:
  bool has(int sig) const {
    return (w_[(sig - 1) / 32].load(std::memory_order_acquire) >> ((sig - 1) % 32)) & 1;
  }
  void store(std::uint64_t m) {
    for (int i = 0; i < kWords; ++i) w_[i].store(static_cast<std::uint32_t>(m >> (32 * i)), std::memory_order_release);
  }

 private:
  static constexpr int kWords = 2;
  static_assert(kNsig - 1 <= 32 * kWords, "one bit per signal");
  std::atomic<std::uint32_t> w_[kWords] = {};
};

Wanted g_wanted;
std::atomic<std::uint32_t> g_pending[kNsig];
std::atomic<std::uint32_t> g_wake{0};  // futex word: 1 when there is something to do
// Bumped when a run's delivery must end (sigqueue_stop). The delivery
// goroutine compares it with the value it started with and touches nothing
// of its run after a change: if it was abandoned (run.cpp), its run's
// SigQueue may be gone by the time its wait returns.
std::atomic<std::uint32_t> g_gen{0};

}  // namespace

struct SigQueue {
  Lock lock;
  struct Reg {
    ::gort::detail::hchan* c;
    std::uint64_t mask;
    Reg* next;
  };
  Reg* regs = nullptr;
  bool running = false;
};

namespace {

std::uint64_t bit(int sig) { return std::uint64_t(1) << (sig - 1); }

// QueueLocked: q.lock held for a scope, and told to TSan as a mutex (see
// the top): what a holder did happens before what the next one does.
struct QueueLocked {
  explicit QueueLocked(SigQueue& q) : q(q), l(q.lock) { race::acquire(&q); }
  ~QueueLocked() { race::release(&q); }
  QueueLocked(const QueueLocked&) = delete;
  QueueLocked& operator=(const QueueLocked&) = delete;
  SigQueue& q;
  LockGuard<Lock> l;
};

// wanted_locked: the union of every registration's signals; q.lock held.
std::uint64_t wanted_locked(SigQueue& q) {
  std::uint64_t m = 0;
  for (SigQueue::Reg* r = q.regs; r; r = r->next) m |= r->mask;
  return m;
}

// owned: gort handles sig for itself, whether or not a channel wants it.
bool owned(int sig) { return is_fault(sig); }

void update_dispositions(std::uint64_t before, std::uint64_t after) {
  for (int sig = 1; sig < kNsig; ++sig) {
    bool was = before & bit(sig), now = after & bit(sig);
    if (was && !now && !owned(sig) && !(sig == os::sig::kQUIT && traceback_owns_sigquit())) os::restoresig(sig);
  }
}

void deliver(SigQueue& q) {
  for (int sig = 1; sig < kNsig; ++sig) {
    std::uint32_t n = g_pending[sig].exchange(0, std::memory_order_acq_rel);
    if (n == 0) continue;
    QueueLocked locked(q);
    for (SigQueue::Reg* r = q.regs; r; r = r->next) {
      if (!(r->mask & bit(sig))) continue;
      for (std::uint32_t i = 0; i < n; ++i) {
        int v = sig;
        if (!::gort::detail::chan_send(r->c, &v, false)) break;  // full: dropped, as in Go
      }
    }
  }
}

void delivery_loop(Sched* s, std::uint32_t gen) {
  for (;;) {
    blocking([gen] {
      while (g_wake.load(std::memory_order_acquire) == 0 && g_gen.load(std::memory_order_acquire) == gen)
        os::futexsleep(reinterpret_cast<std::uint32_t*>(&g_wake), 0, -1);
    });
    if (g_gen.load(std::memory_order_acquire) != gen) return;
    g_wake.store(0, std::memory_order_release);  // before reading the counts: a later signal wakes us again
    deliver(*s->sigq.load(std::memory_order_acquire));
  }
}

Sched& run_of(const char* what) {
  if (!in_goroutine()) fatal(what, " called outside a goroutine of gort::run");
  return *getg()->m->sched;
}

}  // namespace

bool sigqueue_record(int sig) {
  // Async-signal-safe: atomics and a futex wake.
  if (sig <= 0 || sig >= kNsig || !g_wanted.has(sig)) return false;
  g_pending[sig].fetch_add(1, std::memory_order_relaxed);
  // Wake every waiter: a delivery goroutine of an abandoned run may wait on
  // the same word (it leaves when it sees the generation changed).
  if (g_wake.exchange(1, std::memory_order_acq_rel) == 0)
    os::futexwakeup(reinterpret_cast<std::uint32_t*>(&g_wake), 0x7fffffff);
  return true;
}

void sigqueue_stop(Sched& s) {
  if (s.sigq.load(std::memory_order_acquire) == nullptr) return;
  g_gen.fetch_add(1, std::memory_order_acq_rel);
  os::futexwakeup(reinterpret_cast<std::uint32_t*>(&g_wake), 0x7fffffff);
}

void sigqueue_teardown(Sched& s) {
  SigQueue* q = s.sigq.load(std::memory_order_acquire);
  if (q == nullptr) return;
  std::uint64_t before;
  {
    QueueLocked locked(*q);  // after every notify and stop
    before = wanted_locked(*q);
    while (SigQueue::Reg* r = q->regs) {
      q->regs = r->next;
      ::gort::detail::chan_release(r->c);
      delete r;
    }
  }
  g_wanted.store(0);
  update_dispositions(before, 0);
  for (auto& p : g_pending) p.store(0, std::memory_order_relaxed);
  g_wake.store(0, std::memory_order_relaxed);
  s.sigq.store(nullptr, std::memory_order_relaxed);
  delete q;
}

}  // namespace gort::rt

namespace gort::detail {

using namespace gort::rt;

bool signal_notify(hchan* c, const int* sigs, std::size_t n) {
  Sched& s = run_of("gort::signal::notify");
  if (c == nullptr) fatal("gort::signal::notify: nil channel");
  std::uint64_t mask = 0;
  for (std::size_t i = 0; i < n; ++i) {
    int sig = sigs[i];
    if (sig <= 0 || sig >= kNsig) fatal("gort::signal::notify: no signal ", sig);
    if (sig == os::sig::kKILL || sig == os::sig::kSTOP)
      fatal("gort::signal::notify: ", os::signame(sig), " cannot be caught");
    if (owned(sig))
      fatal("gort::signal::notify: ", os::signame(sig),
            " is a synchronous fault: gort reports it (it cannot be delivered to a channel)");
    mask |= bit(sig);
  }
  // The run's queue, made by the first notify: two goroutines may call
  // notify at once, and the one whose queue loses the CAS deletes it.
  SigQueue* made = s.sigq.load(std::memory_order_acquire);
  if (made == nullptr) {
    auto* fresh = new SigQueue;
    if (s.sigq.compare_exchange_strong(made, fresh, std::memory_order_acq_rel))
      made = fresh;
    else
      delete fresh;
  }
  SigQueue& q = *made;
  bool ok = true;
  bool start = false;
  {
    QueueLocked locked(q);
    std::uint64_t before = wanted_locked(q);
    // Install first, then publish the bit: a signal the handler counts is
    // always one a channel wants.
    for (int sig = 1; sig < kNsig; ++sig) {
      if (!(mask & bit(sig)) || (before & bit(sig))) continue;
      if (sig == os::sig::kQUIT && traceback_owns_sigquit()) continue;  // already ours
      if (!os::setsig(sig, &sighandler)) {
        // QEMU user-mode keeps some real-time signals for itself and
        // refuses them (Go skips 32, 33 and 64 for this reason).
        mask &= ~bit(sig);
        ok = false;
      }
    }
    SigQueue::Reg* r = q.regs;
    while (r && r->c != c) r = r->next;
    if (r == nullptr) {
      chan_retain(c);
      r = new SigQueue::Reg{c, 0, q.regs};
      q.regs = r;
    }
    r->mask |= mask;
    g_wanted.store(wanted_locked(q));
    start = !q.running;
    q.running = true;
  }
  if (start) {
    Sched* sp = &s;
    std::uint32_t gen = g_gen.load(std::memory_order_acquire);
    go([sp, gen] { delivery_loop(sp, gen); });
  }
  return ok;
}

void signal_stop(hchan* c) {
  Sched& s = run_of("gort::signal::stop");
  SigQueue* qp = s.sigq.load(std::memory_order_acquire);
  if (qp == nullptr) return;
  SigQueue& q = *qp;
  std::uint64_t before, after;
  {
    QueueLocked locked(q);
    before = wanted_locked(q);
    for (SigQueue::Reg** pr = &q.regs; *pr; pr = &(*pr)->next) {
      if ((*pr)->c != c) continue;
      SigQueue::Reg* r = *pr;
      *pr = r->next;
      chan_release(r->c);
      delete r;
      break;
    }
    after = wanted_locked(q);
    g_wanted.store(after);
  }
  update_dispositions(before, after);
}

}  // namespace gort::detail
