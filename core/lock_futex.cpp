// lock_futex.cpp: Lock and Note over the OS port's one-word wait
// (os::futexsleep/futexwakeup), for an OS that has one: Go's
// lock_futex.go. The other choice is lock_sema.cpp (see lock.hpp).
#include <bit>

#include "fatal.hpp"
#include "lock.hpp"
#include "os.hpp"
#include "runtime.hpp"

namespace gort::rt {

namespace {

// word: the 32-bit word of a key that the OS sleeps on. Keys only ever hold
// 0, 1 or 2, so that is the half with the low-order bits: the first on a
// little-endian CPU, the second on a big-endian one with 64-bit pointers.
// (The kernel reads it as a whole 32-bit word; C++ never accesses it
// through this pointer.)
std::uint32_t* word(std::atomic<std::uintptr_t>& a) {
  static_assert(sizeof(std::atomic<std::uintptr_t>) == sizeof(std::uintptr_t), "atomic key is a plain word");
  auto* p = reinterpret_cast<std::uint32_t*>(&a);
  if constexpr (sizeof(std::uintptr_t) == 8 && std::endian::native == std::endian::big) ++p;
  return p;
}

}  // namespace

void Lock::slow() {
  // Spin briefly: runtime critical sections are short.
  for (int i = 0; i < 64; ++i) {
    std::uintptr_t z = 0;
    if (key_.load(std::memory_order_relaxed) == 0 &&
        key_.compare_exchange_weak(z, kLocked, std::memory_order_acquire))
      return;
  }
  // Mark contended and sleep until an unlock sees the mark. The OS calls
  // on the system stack when a goroutine waits (runtime.hpp,
  // off_goroutine_stack): the OS port may call libc.
  off_goroutine_stack([this] { slow_here(); });
}

void Lock::slow_here() {
  while (key_.exchange(2, std::memory_order_acquire) != 0) os::futexsleep(word(key_), 2, -1);
}

void Lock::unlock_slow() {
  // The fast path saw 2: there may be sleepers.
  key_.store(0, std::memory_order_release);
  std::uint32_t* w = word(key_);
  off_goroutine_stack([w] { os::futexwakeup(w, 1); });
}

void Note::wakeup() {
  if (key_.exchange(kWoken, std::memory_order_release) != 0) fatal("notewakeup: double wakeup");
  std::uint32_t* w = word(key_);
  off_goroutine_stack([w] { os::futexwakeup(w, 1); });
}

void Note::wakeup_idempotent() {
  std::uint32_t* w = word(key_);
  if (key_.exchange(kWoken, std::memory_order_release) == 0) off_goroutine_stack([w] { os::futexwakeup(w, 1); });
}

void Note::sleep() {
  while (key_.load(std::memory_order_acquire) == 0) os::futexsleep(word(key_), 0, -1);
}

bool Note::tsleep(std::int64_t ns) {
  if (ns < 0) {
    sleep();
    return true;
  }
  std::int64_t deadline = os::nanotime() + ns;
  while (key_.load(std::memory_order_acquire) == 0) {
    std::int64_t left = deadline - os::nanotime();
    if (left <= 0) return false;
    os::futexsleep(word(key_), 0, left);
  }
  return true;
}

}  // namespace gort::rt
