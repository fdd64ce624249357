// Timers: sleep never returns early nor absurdly late, timers fire in
// deadline order, after() and Timer (stop, reset). An idle runtime sleeps:
// idle_test.cpp.
#include <vector>

#include "testutil.hpp"

namespace gort::test {
namespace {

using namespace std::chrono_literals;

TEST(Timers, SleepNeverReturnsEarly) {
  run([] {
    for (auto d : {1ms, 3ms, 7ms, 15ms}) {
      auto t0 = Clock::now();
      sleep_for(d);
      EXPECT_GE(Clock::now() - t0, d);
    }
  });
}

TEST(Timers, FireInDeadlineOrderAndNeverEarly) {
  run(
      [] {
        constexpr int kN = 20;
        std::vector<int> order;
        Mutex mu;
        WaitGroup wg;
        // Every deadline in the future, even on a slow emulator or under a
        // sanitizer: the test is about order, not about how fast goroutines
        // start.
        auto start = Clock::now() + 100ms * kScale;
        // Spawned in scrambled order; deadline start + i * 3 ms.
        for (int k = 0; k < kN; ++k) {
          int i = (k * 7) % kN;
          wg.add(1);
          go([&, i] {
            auto deadline = start + i * 3ms;
            sleep_for(deadline - Clock::now());
            EXPECT_GE(Clock::now(), deadline) << "timer " << i << " fired early";
            std::lock_guard<Mutex> l(mu);
            order.push_back(i);
            wg.done();
          });
        }
        wg.wait();
        ASSERT_EQ(order.size(), size_t(kN));
        for (int i = 0; i < kN; ++i) EXPECT_EQ(order[i], i);
      },
      Config{1});
}

TEST(Timers, AfterReceivesOnceAfterTheDuration) {
  run([] {
    auto t0 = Clock::now();
    auto c = after(10ms);
    auto v = c.recv();
    ASSERT_TRUE(v.has_value());
    EXPECT_GE(*v - t0, 10ms);
    EXPECT_GE(Clock::now() - t0, 10ms);
    EXPECT_EQ(c.try_recv(), std::nullopt);
  });
}

TEST(Timers, AfterInSelectIsATimeout) {
  run([] {
    chan<int> never;
    bool timed_out = false;
    auto t0 = Clock::now();
    select(on_recv(never, [](std::optional<int>) { ADD_FAILURE(); }),
           on_recv(after(5ms), [&](auto) { timed_out = true; }));
    EXPECT_TRUE(timed_out);
    EXPECT_GE(Clock::now() - t0, 5ms);
  });
}

TEST(Timers, StoppedTimerNeverFires) {
  run([] {
    Timer t(5ms);
    EXPECT_TRUE(t.stop());
    EXPECT_FALSE(t.stop());
    sleep_for(15ms);
    EXPECT_EQ(t.c().try_recv(), std::nullopt);
  });
}

TEST(Timers, ResetMovesTheDeadline) {
  run([] {
    auto t0 = Clock::now();
    Timer t(1h);
    EXPECT_TRUE(t.reset(5ms));
    t.c().recv();
    EXPECT_GE(Clock::now() - t0, 5ms);
    EXPECT_LT(Clock::now() - t0, 1h);
    EXPECT_FALSE(t.reset(1ms)) << "a fired timer is not active";
    t.c().recv();
  });
}

// "Not absurdly late": a 100 ms wait ends within 2 s natively, so a timeout
// the OS port stretches or drops (the sleeper then waits for some unrelated
// wake-up, or until the watchdog) fails here. With threads, sysmon's ticks
// hide part of such a bug; without, nothing else wakes the one M. Under
// emulation the bound is scaled by kScale (20 s): QEMU on a shared machine
// can stall a thread for seconds, and this test must not flake.
constexpr auto kWait = std::chrono::milliseconds(100);
constexpr auto kLate = std::chrono::seconds(2) * kScale;

template <class F>
void expect_on_time(const char* what, F wait) {
  auto t0 = Clock::now();
  wait();
  auto d = Clock::now() - t0;
  EXPECT_GE(d, kWait) << what << " returned early";
  EXPECT_LT(d, kLate) << what << " took "
                      << std::chrono::duration_cast<std::chrono::milliseconds>(d).count() << " ms";
}

void hundred_ms_waits() {
  expect_on_time("sleep_for", [] { sleep_for(kWait); });
  expect_on_time("after", [] {
    auto c = after(kWait);
    c.recv();
  });
  expect_on_time("Timer", [] {
    Timer t(kWait);
    t.c().recv();
  });
  expect_on_time("Timer::reset", [] {
    Timer t(std::chrono::hours(1));
    t.reset(kWait);
    t.c().recv();
  });
  expect_on_time("select on after", [] {
    chan<int> never;
    select(on_recv(never, [](std::optional<int>) { ADD_FAILURE(); }),
           on_recv(after(kWait), [](auto) {}));
  });
}

TEST(Timers, HundredMillisecondWaitsAreNeverEarlyNorAbsurdlyLate) { run(hundred_ms_waits); }

TEST(Timers, HundredMillisecondWaitsWithoutThreads) { run(hundred_ms_waits, Config{1, false}); }

TEST(Timers, ManySleepersOnManyPs) {
  run(
      [] {
        WaitGroup wg;
        std::atomic<int> early{0};
        for (int i = 0; i < 1000 / kScale; ++i) {
          wg.add(1);
          go([&, i] {
            auto d = std::chrono::microseconds(100 * (i % 50));
            auto t0 = Clock::now();
            sleep_for(d);
            if (Clock::now() - t0 < d) ++early;
            wg.done();
          });
        }
        wg.wait();
        EXPECT_EQ(early.load(), 0);
      },
      Config{2});
}

}  // namespace
}  // namespace gort::test
