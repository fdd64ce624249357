// Timers: sleep never returns early nor absurdly late, timers fire in
// deadline order, after() and Timer (stop, reset). An idle runtime sleeps:
// idle_test.cpp.
#include <atomic>
#include <algorithm>
#include <memory>
#include <vector>

#include "sched.hpp"
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

// Timers fire in the order of their deadlines; a sleeper's deadline is the
// clock read inside sleep_for plus d. A round proves the order only if
// every sleep was registered before the first deadline (a sleeper that
// comes late finds its deadline past and only yields, and may run before
// one whose timer is due but not yet run) and no sleeper's deadline drifted
// past the next one's between the clock read here and the one inside
// sleep_for (preempted or descheduled in between, as on a loaded
// emulator). With one P, the goroutine that reads the clock after sleeper k
// runs once k has parked (it checks: a sleeper that sysmon preempted at
// sleep_for's safe point has not read its clock yet), which bounds k's
// drift. A round that cannot prove the order runs again with lead and
// spacing sized from what it saw: the test waits as long as the machine
// needs, and depends on no speed.
TEST(Timers, FireInDeadlineOrderAndNeverEarly) {
  run(
      [] {
        constexpr int kN = 20;
        Clock::duration lead = 100ms, spacing = 3ms;
        for (int round = 1;; ++round) {
          std::vector<int> order;
          std::vector<Clock::time_point> reads;  // in the order the sleepers ran
          std::atomic<int> registered{0};
          rt::G* last = nullptr;  // the sleeper that read the clock last
          bool parked_in_turn = true;
          // Under clock_mu: the sleepers share one P, but nothing else orders
          // them (TSan reports what the Go memory model does not order).
          Mutex clock_mu;
          auto read_clock = [&] {
            std::lock_guard<Mutex> l(clock_mu);
            auto now = Clock::now();
            if (last != nullptr && last->status.load() != rt::Gstatus::waiting) parked_in_turn = false;
            reads.push_back(now);
            last = rt::getg();
            return now;
          };
          Mutex mu;
          WaitGroup wg;
          auto start = Clock::now() + lead;
          // Spawned in scrambled order; deadline start + i * spacing.
          for (int k = 0; k < kN; ++k) {
            int i = (k * 7) % kN;
            wg.add(1);
            go([&, i] {
              auto deadline = start + i * spacing;
              auto now = read_clock();
              ++registered;
              sleep_for(deadline - now);
              EXPECT_GE(Clock::now(), deadline) << "timer " << i << " fired early";
              std::lock_guard<Mutex> l(mu);
              order.push_back(i);
              wg.done();
            });
          }
          // Back once the last sleeper has parked (one P).
          while (registered < kN) yield();
          read_clock();
          wg.wait();
          ASSERT_EQ(order.size(), size_t(kN));
          Clock::duration drift{0};
          for (int k = 0; k < kN; ++k) drift = std::max(drift, reads[k + 1] - reads[k]);
          bool in_time = reads[kN] < start;
          if (!in_time || !parked_in_turn || drift >= spacing) {
            ASSERT_LT(round, 10) << "no round could show the order: lead " << lead.count() << ", spacing "
                                 << spacing.count() << ", drift " << drift.count()
                                 << (parked_in_turn ? "" : ", a sleeper preempted before it parked");
            lead = std::max(lead, 2 * (reads[kN] - reads[0]) + 2 * drift);
            spacing = std::max(spacing, 2 * drift);
            continue;
          }
          for (int i = 0; i < kN; ++i) EXPECT_EQ(order[i], i);
          break;
        }
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

// Durations whose deadline passes INT64_MAX never fire (the sum wrapped
// negative: each fired at once).
TEST(Timers, FarDeadlinesNeverFire) {
  run([] {
    constexpr auto kMax = std::chrono::nanoseconds::max();
    std::atomic<bool> woke{false};
    go([&] {
      sleep_for(kMax);
      woke = true;
    });
    auto a = after(kMax);
    Timer t(kMax);
    Timer r(1h);
    EXPECT_TRUE(r.reset(kMax));
    sleep_for(20ms);
    EXPECT_FALSE(woke.load());
    EXPECT_FALSE(a.try_recv());
    EXPECT_FALSE(t.c().try_recv());
    EXPECT_FALSE(r.c().try_recv());
    EXPECT_TRUE(t.stop());
  });
}

// A Timer may outlive its run: stopping or destroying one that fired
// touched the ended run's freed timer heap (ASan: heap-use-after-free).
TEST(Timers, TimerOutlivesItsRun) {
  std::unique_ptr<Timer> fired, pending;
  run([&] {
    fired = std::make_unique<Timer>(1ms);
    pending = std::make_unique<Timer>(1h);
    (void)fired->c().recv();
  });
  EXPECT_FALSE(fired->stop());
  EXPECT_FALSE(pending->stop());
  fired.reset();
  pending.reset();
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
