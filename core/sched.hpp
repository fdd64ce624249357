// sched.hpp: the scheduler's shared state and its internal entry points.
// proc.cpp holds the design notes; this header is what chan.cpp, time.cpp
// and sync.cpp use to park and ready goroutines.
#pragma once

#include <atomic>
#include <cstdint>

#include "lock.hpp"
#include "malloc.hpp"
#include "runtime.hpp"

namespace gort::rt {

enum class Pstatus : std::uint32_t { idle, running, syscall, dead };

inline constexpr std::uint32_t kRunqSize = 256;

struct P {
  std::int32_t id = 0;
  std::atomic<Pstatus> status{Pstatus::idle};
  P* link = nullptr;  // idle list
  M* m = nullptr;     // owner while running
  std::uint32_t schedtick = 0;              // bumped by every execute
  std::atomic<std::uint32_t> syscalltick{0};  // bumped by every blocking call
  // Local run queue: the owner puts at tail; anyone takes at head by CAS.
  std::atomic<std::uint32_t> runqhead{0};
  std::atomic<std::uint32_t> runqtail{0};
  std::atomic<G*> runq[kRunqSize] = {};
  std::atomic<G*> runnext{nullptr};
  // Free Gs for reuse, and free stacks per size class (malloc.hpp).
  G* gfree = nullptr;
  std::int32_t gfreecnt = 0;
  StackCache stackcache[kNumStackClasses];
  // Observed by sysmon.
  std::uint32_t sysmon_schedtick = 0;
  std::int64_t sysmon_schedwhen = 0;
  std::uint32_t sysmon_syscalltick = 0;
  std::int64_t sysmon_syscallwhen = 0;
};

// gopark: park the current G. On g0, after its context is saved, unlockf(gp,
// lock) runs; if it returns false the G is resumed at once. reason shows in
// deadlock reports. A G must be made runnable again with goready.
void gopark(bool (*unlockf)(G*, void*), void* lock, const char* reason);
// gopark_unlock: park, releasing l once the G is safely parked.
void gopark_unlock(Lock* l, const char* reason);
// goready: make a parked G runnable: next on this P (next=true, so that a
// sender and its receiver run back to back), or at the tail of the queue.
void goready(G* gp, bool next = true);
// goready_global: make gp runnable at the tail of the global queue.
void goready_global(G* gp);
// gosched: yield the processor; the G stays runnable.
void gosched();
// checkpreempt: a safe point. Yields if sysmon asked this G to.
inline void checkpreempt() {
  G* gp = getg();
  if (gp != nullptr && gp->preempt.load(std::memory_order_relaxed)) gosched();
}
// in_runtime: the calling code runs as a goroutine of gort::run.
bool in_goroutine();
// check_allocator_integrity: stack_check_integrity over the pools and every
// P's cache. On the system stack, while no other P is running goroutines.
const char* check_allocator_integrity();
// debug_dump: print every P, M and G without taking any lock (a hang
// watchdog's last word; the picture may be torn).
void debug_dump();
// fastrand: per-M pseudo-random numbers.
std::uint32_t fastrand();

// Timers (time.cpp). A timer calls f(arg) on some M's g0 once `when`
// (nanotime) has passed, with the timer heap locked: f must not block, nor
// add or delete timers.
struct timer {
  std::int64_t when = 0;
  void (*f)(void* arg) = nullptr;
  void* arg = nullptr;
  std::int32_t idx = -1;  // position in the heap, -1 if absent
};
void addtimer(timer* t);
bool deltimer(timer* t);  // true if it removed t before it fired
std::int64_t next_timer();  // earliest when, or INT64_MAX
void runtimers(std::int64_t now);
bool timers_pending();
void timers_clear();

}  // namespace gort::rt
