// Misuse and deadlock end in a precise fatal message and exit status 2.
#include <cstdint>
#include <thread>

#include "gort/profile.hpp"
#include "sched.hpp"
#include "testutil.hpp"

namespace gort::test {
namespace {

using ::testing::ExitedWithCode;

TEST(DeadlockDeathTest, AllGoroutinesAsleepIsReported) {
  EXPECT_EXIT(run([] {
                chan<int> c;
                go([c] { c.send(1); });
                chan<int> d;
                d.recv();
              }),
              ExitedWithCode(2),
              "fatal: all goroutines are asleep - deadlock!\n"
              "(.|\n)*goroutine 1 \\[chan receive\\] \\(main\\)(.|\n)*");
}

TEST(DeadlockDeathTest, ListsEveryGoroutineAndWhatItWaitsOn) {
  EXPECT_EXIT(run([] {
                chan<int> c;
                go([c] { c.send(1); });
                yield();
                WaitGroup wg;
                wg.add(1);
                wg.wait();
              }),
              ExitedWithCode(2),
              "fatal: all goroutines are asleep - deadlock!(.|\n)*"
              "goroutine 2 \\[chan send\\]");
}

TEST(DeadlockDeathTest, SelectWithNoCasesAndNilChannels) {
  EXPECT_EXIT(run([] {
                chan<int> nil = chan<int>::nil();
                nil.recv();
              }),
              ExitedWithCode(2), "goroutine 1 \\[chan receive \\(nil chan\\)\\]");
  EXPECT_EXIT(run([] { select(); }), ExitedWithCode(2), "goroutine 1 \\[select \\(no cases\\)\\]");
}

TEST(DeadlockDeathTest, WithThreadsOff) {
  EXPECT_EXIT(run(
                  [] {
                    Mutex mu;
                    mu.lock();
                    mu.lock();
                  },
                  Config{1, false}),
              ExitedWithCode(2), "all goroutines are asleep - deadlock!(.|\n)*\\[Mutex.lock\\]");
}

TEST(DeadlockDeathTest, SleepersAreNotDeadlocked) {
  EXPECT_EXIT(
      {
        run([] {
          chan<int> c;
          go([c] {
            sleep_for(std::chrono::milliseconds(30));
            c.send(1);
          });
          c.recv();
        });
        std::exit(0);
      },
      ExitedWithCode(0), "");
}

TEST(MisuseDeathTest, CloseOfClosedChannel) {
  EXPECT_EXIT(run([] {
                chan<int> c;
                c.close();
                c.close();
              }),
              ExitedWithCode(2), "fatal: close of closed channel");
}

TEST(MisuseDeathTest, SendOnClosedChannel) {
  EXPECT_EXIT(run([] {
                chan<int> c(1);
                c.close();
                c.send(1);
              }),
              ExitedWithCode(2), "fatal: send on closed channel");
}

TEST(MisuseDeathTest, SendBlockedWhenChannelIsClosed) {
  EXPECT_EXIT(run([] {
                chan<int> c;
                go([c] {
                  sleep_for(std::chrono::milliseconds(5));
                  c.close();
                });
                c.send(1);
              }),
              ExitedWithCode(2), "fatal: send on closed channel");
}

TEST(MisuseDeathTest, NegativeWaitGroupCounter) {
  EXPECT_EXIT(run([] {
                WaitGroup wg;
                wg.add(1);
                wg.done();
                wg.done();
              }),
              ExitedWithCode(2), "fatal: negative WaitGroup counter");
}

// The counter's 32 bits: a delta past them was truncated (1 << 32 added
// nothing), and an add that passed 2^31-1 said "negative".
TEST(MisuseDeathTest, WaitGroupDeltaOutOfRange) {
  EXPECT_EXIT(run([] {
                WaitGroup wg;
                wg.add(std::int64_t(1) << 32);
              }),
              ExitedWithCode(2), "fatal: WaitGroup.add: delta 4294967296 is out of range");
}

TEST(MisuseDeathTest, WaitGroupCounterOverflow) {
  EXPECT_EXIT(run([] {
                WaitGroup wg;
                wg.add(INT32_MAX);
                wg.add(1);
              }),
              ExitedWithCode(2), "fatal: WaitGroup counter overflow");
}

TEST(MisuseDeathTest, UnlockOfUnlockedMutex) {
  EXPECT_EXIT(run([] {
                Mutex mu;
                mu.unlock();
              }),
              ExitedWithCode(2), "fatal: unlock of unlocked Mutex");
}

TEST(MisuseDeathTest, GoOutsideRun) {
  EXPECT_EXIT(go([] {}), ExitedWithCode(2), "fatal: gort::go called outside a goroutine of gort::run");
}

// A channel operation that would block, on a thread with no goroutine to
// park (outside gort::run): a precise fatal naming the operation, not a
// fault. Each finds no partner and goes on to park; before the check each
// wrote through the missing goroutine (getg() is null there: SIGSEGV).
TEST(MisuseDeathTest, BlockingReceiveOutsideRun) {
  EXPECT_EXIT(
      {
        chan<int> c;
        (void)c.recv();
      },
      ExitedWithCode(2), "fatal: gopark: chan receive outside a goroutine of gort::run");
}

TEST(MisuseDeathTest, BlockingSendOutsideRun) {
  EXPECT_EXIT(
      {
        chan<int> c;
        c.send(1);
      },
      ExitedWithCode(2), "fatal: gopark: chan send outside a goroutine of gort::run");
}

TEST(MisuseDeathTest, BlockingSelectOutsideRun) {
  EXPECT_EXIT(
      {
        chan<int> a;
        chan<int> b;
        auto r = on_recv(a, [](std::optional<int>) {});
        select(r, on_send(b, 1, [] {}));
      },
      ExitedWithCode(2), "fatal: gopark: select outside a goroutine of gort::run");
}

// The same for sync's waits (semacquire queued the missing G).
TEST(MisuseDeathTest, WaitGroupWaitOutsideRun) {
  EXPECT_EXIT(
      {
        WaitGroup wg;
        wg.add(1);
        wg.wait();
      },
      ExitedWithCode(2), "fatal: gopark: WaitGroup.wait outside a goroutine of gort::run");
}

// A thread gort did not create, outside any callback, finds a goroutine
// waiting and would ready it (goready wrote through its own missing G:
// SIGSEGV). The goroutine's wait is real (it is parked when the send
// succeeds); main yields meanwhile, so the run never looks asleep.
TEST(MisuseDeathTest, GoroutineWokenFromAThreadOutsideRun) {
  EXPECT_EXIT(run([] {
                chan<int> c;
                go([c] { (void)c.recv(); });
                std::thread t([c] {
                  while (!c.try_send(1)) std::this_thread::yield();
                });
                t.detach();
                for (;;) yield();
              }),
              ExitedWithCode(2), "fatal: goready: a goroutine woken from a thread outside gort::run");
}

// What does not block needs no goroutine: a select with a default, a
// try_send, from a thread outside any run (the select's random poll order
// came from the missing M's state: SIGSEGV).
TEST(ChannelOutsideRun, NonBlockingOperationsWork) {
  chan<int> a(1);
  chan<int> b;
  EXPECT_TRUE(a.try_send(7));
  int got = 0;
  bool fell_through = false;
  for (int i = 0; i < 2; ++i)
    select(on_recv(a, [&](std::optional<int> v) { got = v.value_or(-1); }), on_send(b, 1, [] { ADD_FAILURE(); }),
           otherwise([&] { fell_through = true; }));
  EXPECT_EQ(got, 7);
  EXPECT_TRUE(fell_through);
}

// sleep_for(0) is a yield, but its misuse names sleep_for (it said
// "yield outside a goroutine").
TEST(MisuseDeathTest, SleepForZeroOutsideRun) {
  EXPECT_EXIT(sleep_for(std::chrono::nanoseconds(0)), ExitedWithCode(2),
              "fatal: gort::sleep_for called outside a goroutine of gort::run");
}

// start_cpu(nullptr) faulted printing its "cannot open" message.
TEST(MisuseDeathTest, StartCpuWithNullPath) {
  EXPECT_EXIT(run([] { (void)profile::start_cpu(nullptr); }), ExitedWithCode(2),
              "fatal: gort::profile::start_cpu: path is null");
}

// A stack size past 1 GiB: SIZE_MAX rounded to 0 and ran with a stack of the
// smallest class; 2^44 mapped its way to the OOM killer.
TEST(MisuseDeathTest, StackSizeOutOfRange) {
  EXPECT_EXIT(run([] {}, Config{1, true, SIZE_MAX}), ExitedWithCode(2),
              "fatal: gort::run: Config::stack_size [0-9]+ is out of range");
}

TEST(MisuseDeathTest, NestedRun) {
  EXPECT_EXIT(run([] { run([] {}); }), ExitedWithCode(2), "fatal: gort::run: the runtime is already running");
}

#if defined(__cpp_exceptions)
TEST(MisuseDeathTest, UncaughtExceptionInGoroutine) {
  EXPECT_EXIT(run([] {
                chan<int> c;
                go([] { throw std::runtime_error("boom"); });
                c.recv();
              }),
              ExitedWithCode(2), "fatal: uncaught exception in goroutine 2: boom");
}
#endif

// Invariant 1: the heap lock is taken on the system stack only.
// mem_stats() reads the heap's counters there; heap_stats() itself refuses
// a goroutine stack.
TEST(MisuseDeathTest, HeapStatsOnAGoroutineStack) {
  EXPECT_EXIT(run([] { (void)rt::heap_stats(); }), ExitedWithCode(2), "fatal: heap_stats not on system stack");
}

TEST(MemStats, FromAGoroutineAndFromOutsideARun) {
  run([] {
    MemStats m = mem_stats();
    EXPECT_GT(m.heap_reserved, 0u);
    EXPECT_EQ(m.goroutines, 1u);
  });
  MemStats m = mem_stats();
  EXPECT_GT(m.heap_reserved, 0u);
  EXPECT_EQ(m.goroutines, 0u);
}

}  // namespace
}  // namespace gort::test
