// Signal stacks: gort's handler runs on the thread's alternate stack
// (gsignal's); a thread that had one installed by foreign code keeps it
// (gort adopts it) and gets back exactly what it had when gort leaves it.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <gort/signal.hpp>

#include "sched.hpp"
#include "signal.hpp"
#include "testutil.hpp"
#include "../support/signal_tls.hpp"

namespace gort::test {
namespace {

using namespace std::chrono_literals;

stack_t current_altstack() {
  stack_t st{};
  sigaltstack(nullptr, &st);
  return st;
}

TEST(SignalStack, HandlerRunsOnTheMsSignalStack) {
  GORT_SKIP_IF_SIGNAL_RETURN_LOSES_TLS();
  run(
      [] {
        chan<int> c(4);
        ASSERT_TRUE(signal::notify(c, {SIGUSR1}));
        for (int i = 0; i < 20; ++i) {
          rt::G* gs = rt::getg()->m->gsignal;
          ASSERT_NE(gs, nullptr);
          std::uintptr_t lo = gs->stack.lo, hi = gs->stack.hi;
          // Read the M's bounds and raise on the same thread: no park in
          // between (the goroutine could migrate).
          pthread_kill(pthread_self(), SIGUSR1);
          std::uintptr_t sp = rt::last_handler_sp();
          EXPECT_GE(sp, lo);
          EXPECT_LT(sp, hi);
          EXPECT_EQ(*c.recv(), SIGUSR1);
          yield();
        }
        signal::stop(c);
      },
      Config{2});
}

TEST(SignalStack, AForeignAlternateStackIsAdoptedAndRestored) {
  GORT_SKIP_IF_SIGNAL_RETURN_LOSES_TLS();
  // This thread (m0 of the run) has an alternate stack of its own, with
  // SS_AUTODISARM if the kernel has it (restored as found).
  static char mine[64 * 1024];
  stack_t st{};
  st.ss_sp = mine;
  st.ss_size = sizeof mine;
  st.ss_flags = 0;
  ASSERT_EQ(sigaltstack(&st, nullptr), 0);
  stack_t before = current_altstack();
  pthread_t m0 = pthread_self();
  std::uintptr_t sp = 0;
  run([&] {
    chan<int> c(4);
    ASSERT_TRUE(signal::notify(c, {SIGUSR1}));
    pthread_kill(m0, SIGUSR1);  // m0 waits in run: its handler runs on our stack
    EXPECT_EQ(*c.recv(), SIGUSR1);
    sp = rt::last_handler_sp();
    signal::stop(c);
  });
  auto lo = reinterpret_cast<std::uintptr_t>(mine);
  EXPECT_GE(sp, lo);
  EXPECT_LT(sp, lo + sizeof mine) << "the handler did not run on the thread's own alternate stack";
  stack_t after = current_altstack();
  EXPECT_EQ(after.ss_sp, before.ss_sp);
  EXPECT_EQ(after.ss_size, before.ss_size);
  EXPECT_EQ(after.ss_flags, before.ss_flags);
  stack_t off{};
  off.ss_flags = SS_DISABLE;
  sigaltstack(&off, nullptr);
}

TEST(SignalStack, AThreadWithoutOneGetsOursAndLosesItWhenGortLeaves) {
  GORT_SKIP_IF_SIGNAL_RETURN_LOSES_TLS();
  stack_t off{};
  off.ss_flags = SS_DISABLE;
  sigaltstack(&off, nullptr);
  stack_t inside{};
  run([&] {
    // m0's stack is gort's while the run lasts; read it from main's M's g0?
    // No: main runs on another thread. Ask the goroutine's own thread.
    inside = current_altstack();
  });
  EXPECT_EQ(inside.ss_flags & SS_DISABLE, 0) << "a goroutine's thread has no alternate stack";
  EXPECT_NE(current_altstack().ss_flags & SS_DISABLE, 0) << "m0's alternate stack was not removed";
}

}  // namespace
}  // namespace gort::test
