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

void WaitGroup::add(std::int64_t n) {
  std::int64_t v = count_.fetch_add(n, std::memory_order_acq_rel) + n;
  if (v < 0) rt::fatal("negative WaitGroup counter");
  if (v > 0 || n == 0) return;
  rt::Lock& l = lock_of(waiters_);
  l.lock();
  G* all = static_cast<G*>(waiters_.head);
  waiters_.head = waiters_.tail = nullptr;
  l.unlock();
  while (all) {
    G* next = all->schedlink;
    rt::goready(all);
    all = next;
  }
}

void WaitGroup::wait() {
  rt::checkpreempt();
  if (count_.load(std::memory_order_acquire) == 0) return;
  rt::Lock& l = lock_of(waiters_);
  l.lock();
  if (count_.load(std::memory_order_acquire) == 0) {
    l.unlock();
    return;
  }
  push(waiters_, rt::getg());
  rt::gopark_unlock(&l, "WaitGroup.wait");
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
