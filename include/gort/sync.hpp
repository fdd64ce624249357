// sync.hpp: WaitGroup, Mutex and Once for goroutines. Waiting parks the
// goroutine, never the thread.
#pragma once

#include <atomic>
#include <cstdint>

#include "gort/detail.hpp"

namespace gort {

// WaitGroup: wait for a collection of goroutines to finish. A negative
// counter is fatal. As in Go, done() may be the last use of the WaitGroup by
// its caller: a waiter may return and destroy it as soon as the counter
// reaches zero.
class WaitGroup {
 public:
  void add(std::int64_t n = 1);
  void done() { add(-1); }
  void wait();

 private:
  // High 32 bits: the counter; low 32 bits: goroutines waiting.
  std::atomic<std::uint64_t> state_{0};
  detail::WaitList sema_;
};

// Mutex: mutual exclusion between goroutines; meets Lockable, so it works
// with std::lock_guard and std::unique_lock. Unlocking an unlocked Mutex is
// fatal. Waiters are woken in order; a woken waiter competes with newcomers
// (Go's normal mode). A Mutex may be destroyed as soon as it is unlocked.
class Mutex {
 public:
  void lock();
  bool try_lock();
  void unlock();

 private:
  std::atomic<std::uint32_t> state_{0};  // bit 0 locked, bit 1 woken, rest waiters
  detail::WaitList waiters_;
};

// Once: run a function exactly once, however many goroutines ask.
class Once {
 public:
  template <class F>
  void call(F&& f) {
    if (done_.load(std::memory_order_acquire)) return;
    m_.lock();
    if (!done_.load(std::memory_order_relaxed)) {
      struct Unlock {
        Mutex& m;
        ~Unlock() { m.unlock(); }
      } u{m_};
      f();
      done_.store(true, std::memory_order_release);
      return;
    }
    m_.unlock();
  }

 private:
  std::atomic<bool> done_{false};
  Mutex m_;
};

}  // namespace gort
