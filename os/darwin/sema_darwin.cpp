// sema_darwin.cpp: per-thread semaphores for core/lock_sema.cpp: darwin's
// lock choice.
//
// Why lock_sema and not a futex on darwin: darwin's one-word wait,
// __ulock_wait/__ulock_wake, is private (no SDK header declares it; Apple's
// libc++ calls it from inside the OS), and the public successor,
// os_sync_wait_on_address, needs macOS 14.4, newer than the SDK here
// (zig 0.11 ships 11-13). Go chose semaphores on darwin for the same reason
// (public interfaces only).
// Why Mach semaphores (semaphore_create/wait/timedwait/signal, declared in
// <mach/semaphore.h>): semaphore_signal is one Mach trap with no user-space
// state, so it may be called from a signal handler, which lock_sema's
// one-word wait needs for signal delivery (Go used them until 1.12).
// Rejected: a pthread mutex and condition variable (Go's choice since 1.12;
// pthread_cond_signal is not async-signal-safe, so Go needs a separate
// pipe to wake its signal receiver); dispatch_semaphore (libdispatch says
// nothing about signal handlers).
#include <mach/mach.h>
#include <mach/semaphore.h>

#include <cstring>

#include "fatal.hpp"
#include "os.hpp"

namespace gort::os {

namespace {
static_assert(sizeof(semaphore_t) <= sizeof(Sema::bytes), "semaphore_t fits os::Sema");
semaphore_t get(const Sema* s) {
  semaphore_t m;
  std::memcpy(&m, s->bytes, sizeof m);
  return m;
}
}  // namespace

void semacreate(Sema* s) {
  semaphore_t m;
  kern_return_t kr = semaphore_create(mach_task_self(), &m, SYNC_POLICY_FIFO, 0);
  if (kr != KERN_SUCCESS) rt::fatal("semaphore_create failed, kern_return ", static_cast<long>(kr));
  std::memcpy(s->bytes, &m, sizeof m);
}

void semadestroy(Sema* s) { semaphore_destroy(mach_task_self(), get(s)); }

bool semasleep(Sema* s, std::int64_t ns) {
  semaphore_t m = get(s);
  if (ns < 0) {
    for (;;) {
      kern_return_t kr = semaphore_wait(m);
      if (kr == KERN_SUCCESS) return true;
      if (kr != KERN_ABORTED) rt::fatal("semaphore_wait failed, kern_return ", static_cast<long>(kr));
      // KERN_ABORTED: a signal interrupted the wait.
    }
  }
  mach_timespec_t ts;
  ts.tv_sec = static_cast<unsigned int>(ns / 1000000000);
  ts.tv_nsec = static_cast<clock_res_t>(ns % 1000000000);
  kern_return_t kr = semaphore_timedwait(m, ts);
  if (kr == KERN_SUCCESS) return true;
  if (kr != KERN_OPERATION_TIMED_OUT && kr != KERN_ABORTED)
    rt::fatal("semaphore_timedwait failed, kern_return ", static_cast<long>(kr));
  return false;
}

void semawakeup(Sema* s) { semaphore_signal(get(s)); }

}  // namespace gort::os
