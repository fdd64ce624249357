// lock.cpp: Lock and Note (see lock.hpp).
#include "lock.hpp"

#include "fatal.hpp"
#include "os.hpp"

namespace gort::rt {

namespace {
std::uint32_t* word(std::atomic<std::uint32_t>& a) { return reinterpret_cast<std::uint32_t*>(&a); }
}  // namespace

void Lock::slow() {
  // Spin briefly: runtime critical sections are short.
  for (int i = 0; i < 64; ++i) {
    std::uint32_t z = 0;
    if (state_.load(std::memory_order_relaxed) == 0 &&
        state_.compare_exchange_weak(z, 1, std::memory_order_acquire))
      return;
  }
  // Mark contended and sleep until an unlock sees the mark.
  while (state_.exchange(2, std::memory_order_acquire) != 0) os::futexsleep(word(state_), 2, -1);
}

void Lock::wake() { os::futexwakeup(word(state_), 1); }

void Note::wakeup() {
  if (key_.exchange(1, std::memory_order_release) != 0) fatal("notewakeup: double wakeup");
  os::futexwakeup(word(key_), 1);
}

void Note::wakeup_idempotent() {
  if (key_.exchange(1, std::memory_order_release) == 0) os::futexwakeup(word(key_), 1);
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
