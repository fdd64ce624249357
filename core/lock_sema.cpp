// lock_sema.cpp: Lock, Note and the one-word wait over a counting semaphore
// per thread (os::semacreate/semasleep/semawakeup), for an OS without a
// one-word wait: Go's lock_sema.go. The other choice is lock_futex.cpp
// (see lock.hpp).
//
// Waiter: each thread that ever has to sleep gets one record, with its
// semaphore, in a thread_local. Go keeps the semaphore in the M; gort keeps
// it per thread instead, because gort's waits are the thread's, not the
// M's: a thread sleeps in Lock before it has an M (adopt_thread), an M
// borrowed by a foreign thread (needm) moves between threads, and a second
// fatal error may come from a thread with no M at all. A thread_local also
// needs no hook where an M is freed: the record goes when its thread ends.
// No post is ever lost or left over: a waiter returns only once it has
// consumed the post that was meant for it (see tsleep and futexsleep below),
// so a semaphore's count is 0 whenever its thread starts a wait.
//
// Lock (Go's lock2/unlock2): key bit 0 is the lock, the other bits point to
// the first of a list of waiting threads linked through Waiter::next.
// Only the holder dequeues, so the head it reads cannot be dequeued under
// it; unlock hands the lock back unheld and wakes the head, which competes
// for it again (no handoff: a running thread may take it first).
//
// Note (Go's notesleep/notewakeup): key 0, the sleeping thread's Waiter,
// or 1 once woken.
//
// futexsleep/futexwakeup: core also sleeps on words of its own (sysmon's
// wake word, gort::run's count of exited Ms, the signal delivery word, a
// second fatal error) and wakes some of them from signal handlers. Here a
// sleeper publishes (addr, its Waiter) in one of kSlots slots and sleeps on
// its semaphore; a waker scans the slots, claims each match with one CAS
// and posts its semaphore. No lock anywhere, so a signal handler may wake
// (its CAS and sem_post/semaphore_signal are async-signal-safe).
// Rejected: a table of mutex + condition variable per address (Go's advice
// for such an OS; pthread_cond_signal may not be called from a signal
// handler); routing those words through Note (their waits are counters
// with several waiters, and their files belong to core's scheduler).
#include "fatal.hpp"
#include "lock.hpp"
#include "os.hpp"
#include "runtime.hpp"

namespace gort::rt {

namespace {

struct Waiter {
  os::Sema sema;
  Waiter* next = nullptr;  // the next thread waiting for the same Lock
  bool ready = false;      // sema created
  bool gone = false;       // its thread is ending: destroyed
  ~Waiter() {
    if (ready) os::semadestroy(&sema);
    ready = false;
    gone = true;
  }
};
static_assert(alignof(Waiter) >= 2, "bit 0 of a Lock key is the lock bit");

thread_local Waiter t_waiter;

// self: this thread's record, its semaphore created; nullptr once the
// thread's thread_locals are being destroyed (a lock taken by a later
// destructor or atexit handler): the callers then spin with osyield.
Waiter* self() {
  Waiter* w = &t_waiter;
  if (w->gone) return nullptr;
  if (!w->ready) {
    os::semacreate(&w->sema);
    w->ready = true;
  }
  return w;
}

constexpr std::uintptr_t kLocked = 1;
constexpr int kActiveSpin = 4;       // rounds of kActiveSpinLoads re-reads
constexpr int kActiveSpinLoads = 30;
constexpr int kPassiveSpin = 1;      // rounds of osyield

std::uintptr_t bits(Waiter* w) { return reinterpret_cast<std::uintptr_t>(w); }
Waiter* waiter(std::uintptr_t v) { return reinterpret_cast<Waiter*>(v & ~kLocked); }

}  // namespace

void Lock::slow() {
  // All of it on the system stack when a goroutine waits: self() may create
  // the semaphore, and osyield and semasleep call libc (runtime.hpp,
  // off_goroutine_stack).
  off_goroutine_stack([this] { slow_here(); });
}

void Lock::slow_here() {
  Waiter* w = self();
  for (int i = 0;; ++i) {
    std::uintptr_t v = key_.load(std::memory_order_relaxed);
    if ((v & kLocked) == 0) {
      if (key_.compare_exchange_weak(v, v | kLocked, std::memory_order_acquire)) return;
      i = 0;
      continue;
    }
    if (i < kActiveSpin) {
      for (int k = 0; k < kActiveSpinLoads && (key_.load(std::memory_order_relaxed) & kLocked); ++k) {
      }
      continue;
    }
    if (i < kActiveSpin + kPassiveSpin || w == nullptr) {
      os::osyield();
      continue;
    }
    // Queue this thread at the head of the list; if the lock was released
    // meanwhile, try to take it instead.
    bool queued = false;
    for (;;) {
      w->next = waiter(v);
      if (key_.compare_exchange_weak(v, bits(w) | kLocked, std::memory_order_release,
                                     std::memory_order_relaxed)) {
        queued = true;
        break;
      }
      if ((v & kLocked) == 0) break;
    }
    if (queued) os::semasleep(&w->sema, -1);  // until an unlock dequeues us
    i = 0;
  }
}

void Lock::unlock_slow() {
  for (;;) {
    std::uintptr_t v = key_.load(std::memory_order_acquire);
    if (v == kLocked) {
      if (key_.compare_exchange_weak(v, 0, std::memory_order_release)) return;
      continue;
    }
    if ((v & kLocked) == 0) fatal("unlock of unlocked lock");
    // Dequeue the head and wake it; the lock is free from this CAS on.
    Waiter* w = waiter(v);
    if (key_.compare_exchange_weak(v, bits(w->next), std::memory_order_acq_rel)) {
      off_goroutine_stack([w] { os::semawakeup(&w->sema); });
      return;
    }
  }
}

void Note::wakeup() {
  std::uintptr_t v = key_.exchange(kWoken, std::memory_order_acq_rel);
  if (v == kWoken) fatal("notewakeup: double wakeup");
  if (v != 0) off_goroutine_stack([v] { os::semawakeup(&waiter(v)->sema); });  // the sleeper
}

void Note::wakeup_idempotent() {
  std::uintptr_t v = key_.exchange(kWoken, std::memory_order_acq_rel);
  if (v != 0 && v != kWoken) os::semawakeup(&waiter(v)->sema);  // the sleeper
}

void Note::sleep() {
  Waiter* w = self();
  if (w == nullptr) {
    while (!signaled()) os::osyield();
    return;
  }
  std::uintptr_t v = 0;
  if (!key_.compare_exchange_strong(v, bits(w), std::memory_order_acq_rel)) {
    if (v != kWoken) fatal("notesleep: a second sleeper on one note");
    return;  // already woken
  }
  os::semasleep(&w->sema, -1);
}

bool Note::tsleep(std::int64_t ns) {
  if (ns < 0) {
    sleep();
    return true;
  }
  std::int64_t deadline = os::nanotime() + ns;
  Waiter* w = self();
  if (w == nullptr) {
    while (!signaled()) {
      if (os::nanotime() >= deadline) return false;
      os::osyield();
    }
    return true;
  }
  std::uintptr_t v = 0;
  if (!key_.compare_exchange_strong(v, bits(w), std::memory_order_acq_rel)) {
    if (v != kWoken) fatal("notetsleep: a second sleeper on one note");
    return true;
  }
  for (std::int64_t left = ns; left > 0; left = deadline - os::nanotime())
    if (os::semasleep(&w->sema, left)) return true;  // wakeup took us off the note
  // Out of time: leave the note, unless a wakeup got there first; then its
  // post is on its way and must be taken now, or the next wait would
  // return at once.
  v = bits(w);
  if (key_.compare_exchange_strong(v, 0, std::memory_order_acq_rel)) return false;
  if (v != kWoken) fatal("notetsleep: note out of sync");
  os::semasleep(&w->sema, -1);
  return true;
}

}  // namespace gort::rt

namespace gort::os {

namespace {

using rt::Waiter;

// A slot: free, being filled, published (a sleeper waits on addr), or
// claimed by a waker (whose post the sleeper must take before leaving).
enum : std::uint32_t { kFree, kFilling, kWaiting, kClaimed };
struct Slot {
  std::atomic<std::uint32_t> state{kFree};
  std::atomic<std::uint32_t*> addr{nullptr};
  std::atomic<Waiter*> w{nullptr};
};
// Few threads sleep this way at once (a sysmon and an ending gort::run per
// run, the signal delivery goroutines, fatal errors); a sleeper that finds
// no free slot polls instead (kPollNs).
constexpr int kSlots = 64;
constexpr std::int64_t kPollNs = 1'000'000;
Slot g_slots[kSlots];

std::uint32_t load_word(std::uint32_t* addr) { return __atomic_load_n(addr, __ATOMIC_SEQ_CST); }

}  // namespace

void futexsleep(std::uint32_t* addr, std::uint32_t val, std::int64_t ns) {
  Waiter* w = rt::self();
  if (w == nullptr) {
    osyield();
    return;
  }
  Slot* s = nullptr;
  for (Slot& c : g_slots) {
    std::uint32_t f = kFree;
    if (c.state.compare_exchange_strong(f, kFilling, std::memory_order_acquire)) {
      s = &c;
      break;
    }
  }
  if (s == nullptr) {
    // No slot: a bounded nap (nobody can wake it; returning early is allowed).
    if (load_word(addr) == val) semasleep(&w->sema, ns < 0 || ns > kPollNs ? kPollNs : ns);
    return;
  }
  s->addr.store(addr, std::memory_order_relaxed);
  s->w.store(w, std::memory_order_relaxed);
  // Publish, then look at the word: a waker stores the word, then scans
  // (seq_cst on both sides): either it sees the slot or we see its store.
  s->state.store(kWaiting, std::memory_order_seq_cst);
  bool woken = false;
  if (load_word(addr) == val) woken = semasleep(&w->sema, ns);
  if (!woken) {
    std::uint32_t st = kWaiting;
    if (s->state.compare_exchange_strong(st, kFree, std::memory_order_acq_rel)) return;
    // A waker claimed us after the wait ended: its post is ours to take.
    semasleep(&w->sema, -1);
  }
  s->state.store(kFree, std::memory_order_release);
}

void futexwakeup(std::uint32_t* addr, std::uint32_t cnt) {
  // Async-signal-safe: loads, CAS and semawakeup.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  for (Slot& s : g_slots) {
    if (cnt == 0) return;
    if (s.state.load(std::memory_order_seq_cst) != kWaiting || s.addr.load(std::memory_order_relaxed) != addr)
      continue;
    std::uint32_t st = kWaiting;
    if (!s.state.compare_exchange_strong(st, kClaimed, std::memory_order_acq_rel)) continue;
    // Claimed: the slot's sleeper stays until our post arrives, so its
    // Waiter lives. It may be another sleeper than the one we saw (the slot
    // was reused meanwhile): then it merely wakes spuriously, and ours
    // still counts as not woken.
    Waiter* w = s.w.load(std::memory_order_relaxed);
    bool ours = s.addr.load(std::memory_order_relaxed) == addr;
    semawakeup(&w->sema);
    if (ours) --cnt;
  }
}

}  // namespace gort::os
