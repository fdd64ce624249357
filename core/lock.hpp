// lock.hpp: the runtime's own lock and one-shot note, over the OS port's
// futexsleep/futexwakeup. Neither allocates; both work on any stack.
//
// Lock is for short critical sections inside the runtime (scheduler, channel,
// timer state). It never parks a goroutine: a goroutine that must wait parks
// through the scheduler after releasing it. Note is how an M sleeps: one
// sleeper, one waker, cleared before reuse.
#pragma once

#include <atomic>
#include <cstdint>

namespace gort::rt {

class Lock {
 public:
  void lock() {
    std::uint32_t z = 0;
    if (!state_.compare_exchange_strong(z, 1, std::memory_order_acquire)) slow();
  }
  bool try_lock() {
    std::uint32_t z = 0;
    return state_.compare_exchange_strong(z, 1, std::memory_order_acquire);
  }
  void unlock() {
    if (state_.exchange(0, std::memory_order_release) == 2) wake();
  }

 private:
  void slow();
  void wake();
  // 0 unlocked, 1 locked, 2 locked with (possible) sleepers.
  std::atomic<std::uint32_t> state_{0};
};

struct LockGuard {
  explicit LockGuard(Lock& l) : l_(l) { l_.lock(); }
  ~LockGuard() { l_.unlock(); }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;
  Lock& l_;
};

class Note {
 public:
  void clear() { key_.store(0, std::memory_order_relaxed); }
  void wakeup();
  // wakeup_idempotent: wakeup where two wakers may race for one sleep (a
  // locked M woken both by the M handing it a P and by the end of the run).
  void wakeup_idempotent();
  void sleep();
  // tsleep: sleep at most ns nanoseconds; true if woken.
  bool tsleep(std::int64_t ns);
  bool signaled() const { return key_.load(std::memory_order_acquire) != 0; }

 private:
  std::atomic<std::uint32_t> key_{0};
};

}  // namespace gort::rt
