// sync.cpp: gort::WaitGroup and gort::Mutex over a queue of parked
// goroutines (detail::WaitList: a runtime Lock and a FIFO of Gs).
#include "gort/gort.hpp"
#include "sched.hpp"

namespace gort {

namespace {

using rt::G;

static_assert(sizeof(rt::Lock) == sizeof(std::uint32_t), "WaitList::lock holds a runtime Lock");

rt::Lock& lock_of(detail::WaitList& w) { return *reinterpret_cast<rt::Lock*>(&w.lock); }

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
  rt::Lock& l = lock_of(w);
  l.lock();
  if (w.count > 0) {
    --w.count;
    l.unlock();
    return;
  }
  push(w, rt::getg());
  rt::gopark_unlock(&l, reason);
}

void semrelease(detail::WaitList& w) {
  rt::Lock& l = lock_of(w);
  l.lock();
  G* gp = pop(w);
  if (gp == nullptr) ++w.count;
  l.unlock();
  if (gp) rt::goready(gp);
}

void WaitGroup::add(std::int64_t n) {
  // Go's design: counter and waiter count in one word, so that the add that
  // brings the counter to zero sees every waiter at once and never touches
  // the WaitGroup again when there is none (its owner may be gone).
  std::uint64_t s = state_.fetch_add(static_cast<std::uint64_t>(n) << 32, std::memory_order_acq_rel) +
                    (static_cast<std::uint64_t>(n) << 32);
  auto v = static_cast<std::int32_t>(s >> 32);
  auto waiters = static_cast<std::uint32_t>(s);
  if (v < 0) rt::fatal("negative WaitGroup counter");
  if (v > 0 || waiters == 0) return;
  // Counter zero with waiters: nobody may add or wait concurrently now.
  state_.store(0, std::memory_order_relaxed);
  for (; waiters > 0; --waiters) semrelease(sema_);
}

void WaitGroup::wait() {
  rt::checkpreempt();
  std::uint64_t s = state_.load(std::memory_order_acquire);
  for (;;) {
    if ((s >> 32) == 0) return;
    if (state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel)) {
      semacquire(sema_, "WaitGroup.wait");
      return;
    }
  }
}

bool Mutex::try_lock() {
  std::uint32_t z = 0;
  return state_.compare_exchange_strong(z, 1, std::memory_order_acquire);
}

void Mutex::lock() {
  rt::checkpreempt();
  if (try_lock()) return;
  rt::Lock& l = lock_of(waiters_);
  l.lock();
  for (;;) {
    std::uint32_t s = state_.load(std::memory_order_relaxed);
    if ((s & 1) == 0) {
      if (state_.compare_exchange_weak(s, s | 1, std::memory_order_acquire)) {
        l.unlock();
        return;
      }
      continue;
    }
    if (state_.compare_exchange_weak(s, s | 2, std::memory_order_relaxed)) break;
  }
  push(waiters_, rt::getg());
  rt::gopark_unlock(&l, "Mutex.lock");
  // unlock() handed the Mutex to us: state's lock bit stayed set.
}

void Mutex::unlock() {
  std::uint32_t one = 1;
  if (state_.compare_exchange_strong(one, 0, std::memory_order_release)) return;
  rt::Lock& l = lock_of(waiters_);
  l.lock();
  std::uint32_t s = state_.load(std::memory_order_relaxed);
  if ((s & 1) == 0) {
    l.unlock();
    rt::fatal("unlock of unlocked Mutex");
  }
  G* next = pop(waiters_);
  if (next == nullptr) {
    state_.store(0, std::memory_order_release);
    l.unlock();
    return;
  }
  state_.store(waiters_.head ? 3 : 1, std::memory_order_release);
  l.unlock();
  rt::goready(next);
}

}  // namespace gort
