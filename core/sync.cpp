// sync.cpp: gort::WaitGroup and gort::Mutex over a queue of parked
// goroutines (detail::WaitList: a runtime SpinLock and a FIFO of Gs).
//
// Happens-before for TSan (race.hpp), as Go's: done() before the wait()
// it lets return; unlock() before the next lock() that succeeds.
#include "gort/gort.hpp"
#include "sched.hpp"

namespace gort {

namespace {

using rt::G;

static_assert(sizeof(rt::SpinLock) == sizeof(detail::WaitList::lock) &&
                  alignof(rt::SpinLock) <= alignof(std::uintptr_t),
              "WaitList::lock holds a runtime SpinLock");

rt::SpinLock& lock_of(detail::WaitList& w) { return *reinterpret_cast<rt::SpinLock*>(&w.lock); }

void push(detail::WaitList& w, G* gp) {
  gp->schedlink = nullptr;
  if (w.tail)
    static_cast<G*>(w.tail)->schedlink = gp;
  else
    w.head = gp;
  w.tail = gp;
}

G* pop(detail::WaitList& w) {
  auto* gp = static_cast<G*>(w.head);
  if (gp) {
    w.head = gp->schedlink;
    if (w.head == nullptr) w.tail = nullptr;
  }
  return gp;
}

}  // namespace

// semacquire/semrelease: a counting semaphore over a WaitList. A release
// with nobody waiting is remembered in count; an acquire takes one or parks.
// The releaser touches the WaitList only under its lock and readies the
// woken goroutine after unlocking, so the goroutine may free the object.
void semacquire(detail::WaitList& w, const char* reason) {
  rt::SpinLock& l = lock_of(w);
  l.lock();
  if (w.count > 0) {
    --w.count;
    l.unlock();
    return;
  }
  // Outside a run there is no goroutine to queue: gopark's message, before
  // anything is written through the missing G.
  G* gp = rt::getg();
  if (!rt::in_goroutine(gp)) [[unlikely]] {
    l.unlock();
    rt::gopark_misuse(reason);
  }
  push(w, gp);
  rt::gopark_unlock(gp, &l, reason);
}

// semrelease_n: n releases at once. Every waiter is taken off the list in
// one lock hold, before any is readied: the first one to run may destroy
// the object that holds w (a WaitGroup's waiters may), so w must not be
// touched again once one is readied.
void semrelease_n(detail::WaitList& w, std::uint32_t n) {
  rt::SpinLock& l = lock_of(w);
  G* ready = nullptr;
  G** tail = &ready;
  l.lock();
  for (; n > 0; --n) {
    G* gp = pop(w);
    if (gp == nullptr) {
      w.count += n;
      break;
    }
    *tail = gp;
    tail = &gp->schedlink;
  }
  *tail = nullptr;
  l.unlock();
  while (ready) {
    G* next = ready->schedlink;  // read before goready: gp may run at once
    rt::goready(ready);
    ready = next;
  }
}

void semrelease(detail::WaitList& w) { semrelease_n(w, 1); }

namespace {
// add's misuse, fatal: the delta out of the counter's range (counter
// false), or the counter pushed past it by n. Out of line, cold and reached
// by tail calls: noipa, so that GCC does not find it never returns and
// call it (a noreturn callee is called, not jumped to); inline, or called,
// it gave add a stack frame on every call (a spawn's wg.add and wg.done).
__attribute__((noipa, cold)) void wg_misuse(std::int64_t n, bool counter) {
  if (!counter) rt::fatal("WaitGroup.add: delta ", n, " is out of range (the counter has 32 bits)");
  if (n > 0) rt::fatal("WaitGroup counter overflow (more than 2^31-1 outstanding)");
  rt::fatal("negative WaitGroup counter");
}
}  // namespace

void WaitGroup::add(std::int64_t n) {
  // The counter has 32 bits: a larger delta would land truncated (1 << 32
  // added nothing).
  if (n > INT32_MAX || n < -INT32_MAX) [[unlikely]]
    return wg_misuse(n, false);
  if (n < 0) rt::race::release(this);
  // Go's design: counter and waiter count in one word, so that the add that
  // brings the counter to zero sees every waiter at once and never touches
  // the WaitGroup again when there is none (its owner may be gone).
  std::uint64_t s = state_.fetch_add(static_cast<std::uint64_t>(n) << 32, std::memory_order_acq_rel) +
                    (static_cast<std::uint64_t>(n) << 32);
  auto v = static_cast<std::int32_t>(s >> 32);
  auto waiters = static_cast<std::uint32_t>(s);
  if (v < 0) [[unlikely]]
    return wg_misuse(n, true);
  if (v > 0 || waiters == 0) return;
  // Counter zero with waiters: nobody may add or wait concurrently now.
  state_.store(0, std::memory_order_relaxed);
  semrelease_n(sema_, waiters);
}

void WaitGroup::wait() {
  rt::checkpreempt();
  std::uint64_t s = state_.load(std::memory_order_acquire);
  for (;;) {
    if ((s >> 32) == 0) {
      rt::race::acquire(this);
      return;
    }
    if (state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel)) {
      semacquire(sema_, "WaitGroup.wait");
      rt::race::acquire(this);
      return;
    }
  }
}

// Mutex: Go's sync.Mutex in its normal mode. state: bit 0 locked, bit 1 a
// waiter has been woken, the rest the number of waiters. unlock() touches
// the semaphore only when waiters are registered, so an unlock that finds
// none never touches the Mutex after releasing it (its owner may free it
// at once). A woken waiter competes with goroutines just arriving.
namespace {
constexpr std::uint32_t kLocked = 1, kWoken = 2, kWaiter = 4;
}

bool Mutex::try_lock() {
  std::uint32_t z = 0;
  if (!state_.compare_exchange_strong(z, kLocked, std::memory_order_acquire)) return false;
  rt::race::acquire(this);
  return true;
}

void Mutex::lock() {
  rt::checkpreempt();
  if (try_lock()) return;
  bool awoke = false;
  std::uint32_t old = state_.load(std::memory_order_relaxed);
  for (;;) {
    std::uint32_t next = old;
    if (old & kLocked)
      next += kWaiter;
    else
      next |= kLocked;
    if (awoke) next &= ~kWoken;
    if (state_.compare_exchange_weak(old, next, std::memory_order_acquire, std::memory_order_relaxed)) {
      if ((old & kLocked) == 0) {
        rt::race::acquire(this);
        return;
      }
      semacquire(waiters_, "Mutex.lock");
      awoke = true;
      old = state_.load(std::memory_order_relaxed);
    }
  }
}

void Mutex::unlock() {
  rt::race::release(this);
  std::uint32_t next = state_.fetch_sub(kLocked, std::memory_order_release) - kLocked;
  if (((next + kLocked) & kLocked) == 0) rt::fatal("unlock of unlocked Mutex");
  if (next == 0) return;
  std::uint32_t old = next;
  for (;;) {
    // Nobody waits, or someone already holds it or has been woken.
    if (old < kWaiter || (old & (kLocked | kWoken)) != 0) return;
    if (state_.compare_exchange_weak(old, (old - kWaiter) | kWoken, std::memory_order_relaxed)) {
      semrelease(waiters_);
      return;
    }
  }
}

}  // namespace gort
