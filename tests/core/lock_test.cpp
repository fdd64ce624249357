// The runtime's Lock (core/lock.hpp), taken by a goroutine: its waiting and
// waking call the OS, and do so on the system stack (runtime.hpp,
// off_goroutine_stack), never on the goroutine's own, which may be the
// smallest class with little of it left: a libc function's first call runs
// the dynamic linker's resolver, which saves the vector registers on the
// stack (1-3 KiB). Goroutines on 4 KiB stacks died of it in `go`
// (runqputslow's lock, lock_sema.cpp's first sched_yield: seen on CI in
// Goroutines.MillionParkAndFinishOnTheSmallestStacks, sema target).
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "os.hpp"
#include "sched.hpp"
#include "testutil.hpp"
#include "../support/signal_tls.hpp"

namespace gort::test {
namespace {

std::atomic<std::uintptr_t> g_waiting_sp{0};

// on_usr2: async-signal-safe: one atomic store.
void on_usr2(const os::SigInfo& si, void*) { g_waiting_sp.store(si.sp == 0 ? 1 : si.sp); }

// The OS's view of a thread: 'S' while it sleeps (in the lock's futex or
// semaphore wait), '?' where there is no /proc to ask.
char thread_state(long tid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/task/%ld/stat", tid);
  std::FILE* f = std::fopen(path, "r");
  if (f == nullptr) return '?';
  char state = '?';
  // pid (comm) state ...: comm may hold spaces; the state follows the last ')'.
  int last = 0;
  char buf[512];
  std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = 0;
  for (std::size_t i = 0; i < n; ++i)
    if (buf[i] == ')') last = static_cast<int>(i);
  if (last + 2 < static_cast<int>(n)) state = buf[last + 2];
  return state;
}

// A goroutine on the smallest stack waits for a runtime Lock that another
// thread holds; once its thread sleeps, a signal to it reports the sp the
// wait was interrupted at. That sp must be on the M's system stack, not the
// goroutine's. Broken on purpose (the slow path without
// off_goroutine_stack), the sp was on the goroutine's stack, with the futex
// lock and with the semaphore one.
TEST(RuntimeLock, AGoroutineWaitsForAContendedLockOnTheSystemStack) {
  GORT_SKIP_UNDER(kTsan, "TSan runs a signal's handler at its own time, not where the thread was interrupted");
  GORT_SKIP_IF_SIGNAL_RETURN_LOSES_TLS();  // the waiting thread handles a signal and goes on
  ASSERT_TRUE(os::setsig(SIGUSR2, &on_usr2));
  g_waiting_sp = 0;
  rt::Lock lk;
  std::atomic<int> phase{0};
  std::atomic<long> tid{0};
  std::atomic<pthread_t> thread{};
  // Written by the goroutine before phase 2, read by the holder after it.
  std::uintptr_t lo = 0, hi = 0, g0lo = 0, g0hi = 0;
  std::thread holder([&] {
    lk.lock();
    phase = 1;
    while (phase.load() != 2) std::this_thread::yield();
    // Once the goroutine's thread sleeps (or after 10 s, where /proc cannot
    // say), a signal samples where it waits. Under QEMU a thread also shows
    // 'S' while it waits for the emulator itself (armel's atomics take an
    // exclusive section there, and the other threads wait for it), which
    // can be while it still spins on the goroutine's stack, before the
    // wait: so it samples again, up to 100 times, until a sample lands on
    // the system stack. A wait that is on the goroutine's stack never does.
    for (int attempt = 0; attempt < 100; ++attempt) {
      for (int i = 0; i < 10000 && thread_state(tid.load()) != 'S'; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      g_waiting_sp = 0;
      pthread_kill(thread.load(), SIGUSR2);
      while (g_waiting_sp.load() == 0) std::this_thread::yield();
      std::uintptr_t sp = g_waiting_sp.load();
      if (g0hi == 0 ? !(sp >= lo && sp < hi) : (sp >= g0lo && sp < g0hi)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    lk.unlock();
  });
  Config cfg;
  cfg.procs = 1;
  cfg.stack_size = 4096;
  run(
      [&] {
        rt::G* gp = rt::getg();
        lo = gp->stack_lo;
        hi = gp->stack_hi;
        g0lo = gp->m->g0->stack_lo;
        g0hi = gp->m->g0->stack_hi;
        while (phase.load() != 1) yield();
        tid = os::thread_id();
        thread = pthread_self();
        phase = 2;
        lk.lock();  // sleeps until the holder has seen the signal
        lk.unlock();
      },
      cfg);
  holder.join();
  os::restoresig(SIGUSR2);
  std::uintptr_t sp = g_waiting_sp.load();
  std::printf("waiting sp %#zx; goroutine stack [%#zx, %#zx), system stack [%#zx, %#zx)\n", static_cast<std::size_t>(sp),
              static_cast<std::size_t>(lo), static_cast<std::size_t>(hi), static_cast<std::size_t>(g0lo),
              static_cast<std::size_t>(g0hi));
  ASSERT_GT(sp, 1u) << "the signal reported no sp";
  EXPECT_FALSE(sp >= lo && sp < hi) << "the goroutine waited for the lock on its own stack";
  if (g0hi != 0) {
    EXPECT_TRUE(sp >= g0lo && sp < g0hi) << "the wait was on neither the goroutine's nor the system stack";
  }
}

}  // namespace
}  // namespace gort::test
