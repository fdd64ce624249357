// gort::signal::notify/stop: signals reach channels from kill() and from
// pthread_kill() to threads gort created and threads it did not; stop ends
// delivery and puts back the previous handler; a handler installed before
// gort for a signal gort does not own runs exactly as often as sent.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gort/signal.hpp>

#include "testutil.hpp"
#include "../support/signal_tls.hpp"

namespace gort::test {
namespace {

using namespace std::chrono_literals;
using ::testing::ExitedWithCode;

// recv_within: a value from c, or 0 after d (a missing signal fails the
// test instead of hanging it).
int recv_within(const chan<int>& c, std::chrono::nanoseconds d) {
  int got = 0;
  select(on_recv(c, [&](std::optional<int> v) { got = v.value_or(-1); }), on_recv(after(d), [](auto) {}));
  return got;
}

constexpr auto kWait = std::chrono::seconds(kScale == 1 ? 10 : 60);

// The tests that count what a handler of the program's own receives.
// gort's handler is installed past TSan (os/linux/signal_linux.cpp), but
// a program's, set with sigaction, is TSan's wrapper around it.
constexpr const char* kTsanHandlerWhy =
    "TSan: the program's handler, set with sigaction, runs behind TSan's, which calls it only at the interrupted "
    "thread's next call TSan intercepts and merges a signal that comes while one waits; an M asleep in a futex "
    "(no call TSan intercepts) keeps it indefinitely. What the handler counts is then TSan's delivery, not gort's";

TEST(Notify, KillToTheProcess) {
  GORT_SKIP_IF_SIGNAL_RETURN_LOSES_TLS();
  run([] {
    chan<int> c(4);
    ASSERT_TRUE(signal::notify(c, {SIGUSR1}));
    kill(getpid(), SIGUSR1);
    EXPECT_EQ(recv_within(c, kWait), SIGUSR1);
    signal::stop(c);
  });
}

// Goroutines on several Ps call notify at once, first thing in a run: the
// run's queue is made once (the first notify makes it), and every
// channel receives the signal. (Two queues made at once lost the
// registrations in one of them.)
TEST(Notify, FirstNotifiesAtOnceFromSeveralPs) {
  GORT_SKIP_IF_SIGNAL_RETURN_LOSES_TLS();
  const int kRounds = 50 / kScale + 2, kCallers = 4;
  int missing = 0;
  for (int round = 0; round < kRounds; ++round)
    run(
        [&] {
          std::vector<chan<int>> cs;
          for (int i = 0; i < kCallers; ++i) cs.emplace_back(4);
          std::atomic<int> arrived{0};
          WaitGroup wg;
          for (int i = 0; i < kCallers; ++i) {
            wg.add(1);
            go([&, c = cs[i]] {
              arrived.fetch_add(1);
              while (arrived.load() < kCallers) yield();  // all at once
              EXPECT_TRUE(signal::notify(c, {SIGUSR1}));
              wg.done();
            });
          }
          wg.wait();
          kill(getpid(), SIGUSR1);
          for (auto& c : cs) missing += recv_within(c, kWait) != SIGUSR1;
          for (auto& c : cs) signal::stop(c);
        },
        Config{kCallers});
  EXPECT_EQ(missing, 0) << "a channel registered by a concurrent first notify got no signal";
}

TEST(Notify, PthreadKillToAThreadGortCreated) {
  GORT_SKIP_IF_SIGNAL_RETURN_LOSES_TLS();
  run(
      [] {
        chan<int> c(4);
        ASSERT_TRUE(signal::notify(c, {SIGUSR1}));
        // From a goroutine, at its own thread (an M gort started).
        WaitGroup wg;
        wg.add(1);
        go([&] {
          pthread_kill(pthread_self(), SIGUSR1);
          wg.done();
        });
        wg.wait();
        EXPECT_EQ(recv_within(c, kWait), SIGUSR1);
        signal::stop(c);
      },
      Config{2});
}

TEST(Notify, PthreadKillToAThreadGortDidNotCreate) {
  GORT_SKIP_IF_SIGNAL_RETURN_LOSES_TLS();
  run([] {
    chan<int> c(4);
    ASSERT_TRUE(signal::notify(c, {SIGUSR2}));
    std::atomic<bool> done{false};
    std::atomic<bool> started{false};
    std::thread foreign([&] {
      started = true;
      while (!done) usleep(1000);
    });
    while (!started) sleep_for(1ms);
    pthread_kill(foreign.native_handle(), SIGUSR2);
    EXPECT_EQ(recv_within(c, kWait), SIGUSR2);
    done = true;
    blocking([&] { foreign.join(); });
    signal::stop(c);
  });
}

TEST(Notify, EveryChannelRegisteredGetsTheSignalAndStopEndsDelivery) {
  GORT_SKIP_IF_SIGNAL_RETURN_LOSES_TLS();
  run([] {
    chan<int> a(4), b(4);
    ASSERT_TRUE(signal::notify(a, {SIGUSR1}));
    ASSERT_TRUE(signal::notify(b, {SIGUSR1, SIGUSR2}));
    kill(getpid(), SIGUSR1);
    EXPECT_EQ(recv_within(a, kWait), SIGUSR1);
    EXPECT_EQ(recv_within(b, kWait), SIGUSR1);
    signal::stop(a);
    kill(getpid(), SIGUSR1);
    EXPECT_EQ(recv_within(b, kWait), SIGUSR1);
    EXPECT_EQ(recv_within(a, 100ms), 0) << "a stopped channel still got a signal";
    signal::stop(b);
  });
}

std::atomic<int> g_usr_count{0};
void count_handler(int) { g_usr_count.fetch_add(1); }

// SIGUSR2 has a handler of the program's own, installed before gort ran; gort
// does not own SIGUSR2. Sent one at a time (standard signals do not queue),
// it runs exactly as often as sent, also while gort handles other signals.
TEST(Notify, AHandlerInstalledBeforeGortRunsExactlyAsOftenAsSent) {
  GORT_SKIP_IF_SIGNAL_RETURN_LOSES_TLS();
  GORT_SKIP_UNDER(kTsan, kTsanHandlerWhy);
  struct sigaction sa {}, old {};
  sa.sa_handler = count_handler;
  sigaction(SIGUSR2, &sa, &old);
  g_usr_count = 0;
  const int n = 200 / kScale;
  run(
      [n] {
        chan<int> c(n + 8);
        ASSERT_TRUE(signal::notify(c, {SIGUSR1}));
        for (int i = 0; i < n; ++i) {
          kill(getpid(), i % 2 ? SIGUSR1 : SIGUSR2);
          if (i % 2 == 0) {
            auto give_up = Clock::now() + kWait;
            while (g_usr_count.load() < i / 2 + 1 && Clock::now() < give_up) sleep_for(100us);
          } else {
            EXPECT_EQ(recv_within(c, kWait), SIGUSR1);
          }
        }
        signal::stop(c);
      },
      Config{2});
  EXPECT_EQ(g_usr_count.load(), (n + 1) / 2);
  sigaction(SIGUSR2, &old, nullptr);
}

TEST(Notify, StopPutsBackThePreviousHandler) {
  GORT_SKIP_IF_SIGNAL_RETURN_LOSES_TLS();
  GORT_SKIP_UNDER(kTsan, kTsanHandlerWhy);
  struct sigaction sa {}, old {};
  sa.sa_handler = count_handler;
  sigaction(SIGUSR1, &sa, &old);
  g_usr_count = 0;
  run([] {
    chan<int> c(4);
    ASSERT_TRUE(signal::notify(c, {SIGUSR1}));
    kill(getpid(), SIGUSR1);
    EXPECT_EQ(recv_within(c, kWait), SIGUSR1);
    EXPECT_EQ(g_usr_count.load(), 0) << "a notified signal also reached the previous handler";
    signal::stop(c);
    kill(getpid(), SIGUSR1);
    auto give_up = Clock::now() + kWait;
    while (g_usr_count.load() == 0 && Clock::now() < give_up) sleep_for(1ms);
    EXPECT_EQ(g_usr_count.load(), 1);
  });
  sigaction(SIGUSR1, &old, nullptr);
}

TEST(NotifyDeathTest, SignalsThatCannotBeDelivered) {
  EXPECT_EXIT(run([] { signal::notify(chan<int>(1), {SIGKILL}); }), ExitedWithCode(2),
              "fatal: gort::signal::notify: SIGKILL cannot be caught");
  EXPECT_EXIT(run([] { signal::notify(chan<int>(1), {SIGSEGV}); }), ExitedWithCode(2),
              "fatal: gort::signal::notify: SIGSEGV is a synchronous fault");
  EXPECT_EXIT(signal::notify(chan<int>(1), {SIGUSR1}), ExitedWithCode(2),
              "fatal: gort::signal::notify called outside a goroutine of gort::run");
}

}  // namespace
}  // namespace gort::test
