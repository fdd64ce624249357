// Promise: on a solo P (gomaxprocs 1) a goroutine that parks or yields
// hands the thread straight to the next runnable goroutine (core/solo.cpp),
// where the CPU port has gort_swap, and everything a hand-off must not
// skip still happens: timers fire, work on the global queue runs, a
// goroutine locked to its thread runs there and its thread runs nothing
// else, a goroutine that never ran starts from the scheduler.
#include <pthread.h>

#include <atomic>
#include <chrono>

#include "sched.hpp"
#include "testutil.hpp"

namespace gort::test {
namespace {

using namespace std::chrono_literals;

std::uint64_t solo_switches() { return rt::getg()->m->p->solo_switches; }

TEST(Solo, ParkedAndYieldingGoroutinesSwitchDirectly) {
  const long kRounds = 20000 / kScale;
  std::uint64_t switches = 0;
  long sum = 0, yields = 0;
  for (bool threads : {true, false}) {
    Config cfg;
    cfg.procs = 1;
    cfg.threads = threads;
    run(
        [&] {
          std::uint64_t before = solo_switches();
          chan<long> ping, pong;
          WaitGroup echo;
          echo.add(1);
          go([ping, pong, &echo] {
            while (auto v = ping.recv()) pong.send(*v + 1);
            echo.done();
          });
          for (long i = 0; i < kRounds; ++i) {
            ping.send(i);
            sum += *pong.recv() - i;
          }
          ping.close();
          echo.wait();  // its handles go with it (run abandons goroutines)
          std::atomic<bool> stop{false};
          WaitGroup wg;
          wg.add(1);
          go([&] {
            while (!stop.load(std::memory_order_relaxed)) yield();
            wg.done();
          });
          for (long i = 0; i < kRounds; ++i, ++yields) yield();
          stop = true;
          wg.wait();
          switches += solo_switches() - before;
        },
        cfg);
  }
  EXPECT_EQ(sum, 2 * kRounds);
  EXPECT_EQ(yields, 2 * kRounds);
  if (rt::kSoloSwitch)
    // Two switches per round trip and per pair of yields, in two runs; one
    // hand-off in 61 goes through the scheduler on purpose.
    EXPECT_GT(switches, std::uint64_t(2 * 4 * kRounds * 9 / 10)) << "hand-offs went through g0";
  else
    EXPECT_EQ(switches, 0u) << "no gort_swap in this port: every hand-off goes through g0";
}

// A sleeper's timer fires and a select times out while two goroutines hand
// off to each other without pause.
TEST(Solo, TimersFireWhileGoroutinesHandOff) {
  std::atomic<bool> slept{false}, timed_out{false};
  run(
      [&] {
        std::atomic<bool> stop{false};
        chan<int> a, b;
        WaitGroup wg;
        wg.add(2);
        go([&, a, b] {
          for (int i = 0; !stop.load(); ++i) {
            a.send(i);
            b.recv();
          }
          a.close();
          wg.done();
        });
        go([&, a, b] {
          while (auto v = a.recv()) b.send(*v);
          wg.done();
        });
        go([&] {
          sleep_for(20ms);
          slept = true;
        });
        chan<int> never;
        select(on_recv(never, [](std::optional<int>) { ADD_FAILURE(); }),
               on_recv(after(30ms), [&](auto) { timed_out = true; }));
        while (!slept.load()) yield();
        stop = true;
        wg.wait();
      },
      Config{1});
  EXPECT_TRUE(slept.load());
  EXPECT_TRUE(timed_out.load());
}

// A goroutine woken through the global queue (a sleeper's timer) runs
// within a few dozen schedules while two goroutines ping-pong through
// runnext without pause: every turn of theirs inherits one time slice, and
// the one-in-61 check of the global queue must count those turns too.
// Without threads there is no sysmon to preempt them: before that fix the
// sleeper ran only once the ping-pong had ended.
TEST(Solo, GlobalQueueIsServedDuringARunnextPingPong) {
  const long kRounds = 20000 / kScale;
  // Atomics: only the scheduler orders the sleeper and main (one P), which
  // Go's memory model does not count (plain longs are a race, for TSan).
  std::atomic<long> rounds{0}, woke_at{-1};
  Config cfg;
  cfg.procs = 1;
  cfg.threads = false;
  run(
      [&] {
        chan<long> ping, pong;
        WaitGroup echo;
        echo.add(1);
        go([ping, pong, &echo] {
          while (auto v = ping.recv()) pong.send(*v);
          echo.done();
        });
        go([&] {
          sleep_for(1us);  // due at once; woken by goready_global
          woke_at = rounds.load();
        });
        for (; rounds.load() < kRounds; rounds.fetch_add(1)) {
          ping.send(rounds.load());
          pong.recv();
        }
        ping.close();
        echo.wait();
        while (woke_at.load() < 0) yield();
      },
      cfg);
  EXPECT_GE(woke_at.load(), 0);
  EXPECT_LT(woke_at.load(), kRounds) << "the sleeper ran only after the ping-pong ended";
}

// A goroutine whose blocking call outlived its P comes back through the
// global queue, and runs, while others hand off to each other.
TEST(Solo, GlobalQueueWorkRunsWhileGoroutinesHandOff) {
  std::atomic<bool> back{false};
  run(
      [&] {
        std::atomic<bool> stop{false};
        WaitGroup wg;
        wg.add(3);
        go([&] {
          blocking([] { ::usleep(30 * 1000); });  // sysmon hands the P to another M meanwhile
          back = true;
          wg.done();
        });
        for (int k = 0; k < 2; ++k)
          go([&] {
            while (!stop.load()) yield();
            wg.done();
          });
        while (!back.load()) yield();
        stop = true;
        wg.wait();
      },
      Config{1});
  EXPECT_TRUE(back.load());
}

// A goroutine locked to its thread, in a ping-pong with one that is not:
// it runs on its own thread only, and that thread runs nothing else.
TEST(Solo, LockedGoroutineKeepsItsThreadAndItsThreadRunsNothingElse) {
  const int kRounds = 2000 / kScale;
  int locked_moved = 0, other_on_locked = 0;
  run(
      [&] {
        chan<int> a, b;
        WaitGroup wg;
        wg.add(1);
        pthread_t locked_thread{};
        chan<bool> ready;
        go([&, a, b, ready] {
          lock_os_thread();
          locked_thread = pthread_self();
          ready.send(true);
          for (int i = 0; i < kRounds; ++i) {
            a.send(i);
            b.recv();
            locked_moved += !pthread_equal(pthread_self(), locked_thread);
          }
          unlock_os_thread();
          wg.done();
        });
        ready.recv();
        for (int i = 0; i < kRounds; ++i) {
          a.recv();
          other_on_locked += pthread_equal(pthread_self(), locked_thread);
          b.send(i);
        }
        wg.wait();
        await_stragglers();
      },
      Config{1});
  EXPECT_EQ(locked_moved, 0) << "a locked goroutine ran on another thread";
  EXPECT_EQ(other_on_locked, 0) << "a locked goroutine's thread ran another goroutine";
}

// With Config::threads = false the one thread runs every goroutine, a
// locked one included: its parks, sleeps and yields let the others run
// (the M slept for its G, with no other M to wake it: "pidleput: P has
// non-empty run queue", or a hang in sleep_for).
// Each step is checked where it happens; ran is atomic because run does not
// wait for the goroutines it abandons (no happens-before edge from their end
// to run's return: TSan).
TEST(Solo, LockedGoroutineWithoutThreadsLetsOthersRun) {
  std::atomic<int> ran{0};
  run(
      [&] {
        lock_os_thread();
        chan<int> c;
        go([&, c] {
          ++ran;
          c.send(1);
        });
        (void)c.recv();
        EXPECT_EQ(ran.load(), 1);  // ran while main waited
        go([&] { ++ran; });
        yield();
        EXPECT_EQ(ran.load(), 2);  // ran when main yielded
        sleep_for(1ms);
        unlock_os_thread();
        go([&] { ++ran; });
        yield();
        EXPECT_EQ(ran.load(), 3);
      },
      Config{1, false});
}

// Each parent spawns a child and waits for it: the next G is one that never
// ran, every time, and starts from the scheduler.
TEST(Solo, NewGoroutinesStartFromTheScheduler) {
  const int kRounds = 5000 / kScale;
  long total = 0;
  run(
      [&] {
        for (int i = 0; i < kRounds; ++i) {
          chan<int> c;
          go([c, i] { c.send(i); });
          total += *c.recv();
        }
        await_stragglers();
      },
      Config{1});
  EXPECT_EQ(total, long(kRounds) * (kRounds - 1) / 2);
}

}  // namespace
}  // namespace gort::test
