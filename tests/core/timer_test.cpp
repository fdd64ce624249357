// Timers: sleep never returns early, timers fire in deadline order, after()
// and Timer (stop, reset).
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
        // Every deadline in the future, even on a slow emulator: the test is
        // about order, not about how fast goroutines start.
        auto start = Clock::now() + 100ms;
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
