// lock_spin.cpp: SpinLock's slow path (lock.hpp), the same for every OS: it
// sleeps on nothing, so it needs neither the futex (lock_futex.cpp) nor the
// semaphore (lock_sema.cpp) that the port provides for Lock and Note.
#include "lock.hpp"
#include "os.hpp"

namespace gort::rt {

// Spin, then yield the thread until the holder lets go.
void SpinLock::slow() {
  for (int i = 0;; ++i) {
    std::uintptr_t z = 0;
    if (key_.load(std::memory_order_relaxed) == 0 &&
        key_.compare_exchange_weak(z, 1, std::memory_order_acquire))
      return;
    if (i >= 64) os::osyield();
  }
}

}  // namespace gort::rt
