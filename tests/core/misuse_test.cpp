// Misuse and deadlock end in a precise fatal message and exit status 2.
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
