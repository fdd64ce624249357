// lock.hpp: the runtime's own lock and one-shot note. Neither allocates;
// both work on any stack: the fast paths are one atomic, and the slow
// ones move to the system stack before they call the OS when a goroutine
// calls them (runtime.hpp, off_goroutine_stack).
//
// Lock is for short critical sections inside the runtime (scheduler, channel,
// timer state). It never parks a goroutine: a goroutine that must wait parks
// through the scheduler after releasing it. Note is how an M sleeps: one
// sleeper, one waker, cleared before reuse.
//
// Two implementations, chosen per OS by file, as Go's lock_futex.go and
// lock_sema.go (cmake/gort_target.cmake picks one and prints it):
//   core/lock_futex.cpp  over os::futexsleep/futexwakeup, for an OS with a
//                        one-word wait (Linux futex);
//   core/lock_sema.cpp   over a counting semaphore per thread (os::Sema),
//                        for an OS without one (darwin, solaris).
// Both keep their state in one pointer-sized key with the same meaning for
// 0 (unlocked, or a note not yet woken) and 1 (locked with nobody waiting,
// or a woken note), so the fast paths below serve both and the layout of
// every struct holding a Lock is the same whichever file is linked.
#pragma once

#include <atomic>
#include <cstdint>

namespace gort::rt {

class Lock {
 public:
  void lock() {
    std::uintptr_t z = 0;
    if (!key_.compare_exchange_strong(z, kLocked, std::memory_order_acquire)) slow();
  }
  bool try_lock() {
    std::uintptr_t z = 0;
    return key_.compare_exchange_strong(z, kLocked, std::memory_order_acquire);
  }
  void unlock() {
    std::uintptr_t v = kLocked;
    if (!key_.compare_exchange_strong(v, 0, std::memory_order_release)) unlock_slow();
  }

 private:
  static constexpr std::uintptr_t kLocked = 1;
  void slow();
  void slow_here();  // slow's waiting, on a stack fit for OS calls
  void unlock_slow();
  // lock_futex: 0 unlocked, 1 locked, 2 locked with (possible) sleepers.
  // lock_sema: bit 0 locked; the rest the list of threads waiting for it.
  std::atomic<std::uintptr_t> key_{0};
};

// SpinLock: a lock whose waiters never sleep, so that unlock is a plain
// store: for critical sections of a few dozen instructions that never
// block and never take another lock that can sleep (a channel's, a
// WaitList's), taken on every goroutine hand-off. A futex Lock's unlock is
// a locked read-modify-write (it must see sleepers), about 6 ns on x86 (the
// development VM), and a channel round trip made four of them. Waiters
// spin, then yield the thread (os::osyield) until the holder, which may
// have been preempted by the OS, lets go. Rejected: a futex lock whose
// unlock stores and then checks for sleepers (it needs a store-load fence,
// as costly as the locked instruction); sleeping waiters with a timeout
// (a lost wakeup costs the timeout).
class SpinLock {
 public:
  void lock() {
    std::uintptr_t z = 0;
    if (!key_.compare_exchange_strong(z, 1, std::memory_order_acquire)) slow();
  }
  bool try_lock() {
    std::uintptr_t z = 0;
    return key_.compare_exchange_strong(z, 1, std::memory_order_acquire);
  }
  void unlock() { key_.store(0, std::memory_order_release); }

 private:
  void slow();  // lock_futex.cpp, lock_sema.cpp
  std::atomic<std::uintptr_t> key_{0};
};

template <class L>
struct LockGuard {
  explicit LockGuard(L& l) : l_(l) { l_.lock(); }
  ~LockGuard() { l_.unlock(); }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;
  L& l_;
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
  bool signaled() const { return key_.load(std::memory_order_acquire) == kWoken; }

 private:
  static constexpr std::uintptr_t kWoken = 1;
  // 0, then 1 once woken; lock_sema: the sleeping thread meanwhile.
  std::atomic<std::uintptr_t> key_{0};
};

}  // namespace gort::rt
