// A signal storm (10^5 natively, 10^4 under emulation) during channel
// ping-pong, during mcall/gogo switches and while goroutines end and start
// corrupts nothing: the
// checksums hold. The handler allocates nothing meanwhile (malloc_check.cpp
// ends the process if it does). Signals go to the process and to each of
// gort's threads by pthread_kill, from a thread gort did not create.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include <gort/signal.hpp>

#include "testutil.hpp"
#include "../support/signal_tls.hpp"

namespace gort::test {
namespace {

// The storm's last signals may still be pending on some thread when
// signal::stop puts SIGUSR1's previous disposition back: make that "ignore"
// for the test (the default would end the process).
struct IgnoreLateSignals {
  struct sigaction old {};
  IgnoreLateSignals() {
    struct sigaction sa {};
    sa.sa_handler = SIG_IGN;
    sigaction(SIGUSR1, &sa, &old);
  }
  ~IgnoreLateSignals() { sigaction(SIGUSR1, &old, nullptr); }
};

const long kSignals = 100000 / kScale;

struct Storm {
  std::mutex mu;
  std::vector<pthread_t> targets;  // gort's threads, as goroutines report them
  std::atomic<bool> stop{false};
  std::atomic<bool> done{false};  // every signal sent
  std::atomic<long> sent{0};
  std::thread sender;

  void add_target(pthread_t t) {
    std::lock_guard<std::mutex> l(mu);
    for (pthread_t x : targets)
      if (pthread_equal(x, t)) return;
    targets.push_back(t);
  }
  void start() {
    sender = std::thread([this] {
      for (long i = 0; i < kSignals && !stop; ++i) {
        if (i % 2 == 0) {
          kill(getpid(), SIGUSR1);
        } else {
          std::lock_guard<std::mutex> l(mu);
          if (!targets.empty()) pthread_kill(targets[i % targets.size()], SIGUSR1);
        }
        sent.fetch_add(1);
        if (i % 64 == 0) sched_yield();
      }
      done = true;
    });
  }
  void finish() {
    stop = true;
    sender.join();
  }
};

// SignalSink: the storm's SIGUSR1s delivered to a channel (signal::notify)
// and read by a goroutine, so that notify's path runs under the storm too.
// Made, started and stopped in a run's main goroutine; stop() returns once
// the reader has ended (its channel handle is then not left to the run's end).
struct SignalSink {
  chan<int> sigs = chan<int>(1024);
  WaitGroup drained;
  [[nodiscard]] bool start() {
    if (!signal::notify(sigs, {SIGUSR1})) return false;
    drained.add(1);
    go([sigs = sigs, this] {
      for (int v : sigs) (void)v;
      drained.done();
    });
    return true;
  }
  void stop() {
    signal::stop(sigs);
    sigs.close();
    drained.wait();
  }
};

// procs 2: hand-offs through g0 (mcall, gogo); procs 1: a solo P's direct
// switches (core/solo.cpp), where the handler may land between setg and the
// move of sp from one goroutine's stack to the other's.
void ping_pong_storm(int procs) {
  GORT_SKIP_IF_SIGNAL_RETURN_LOSES_TLS();
  IgnoreLateSignals ignore;
  long checksum = 0, expect = 0;
  std::atomic<long> received{0};
  Storm storm;
  run(
      [&] {
        chan<int> sigs(1024);
        chan<bool> drained;
        ASSERT_TRUE(signal::notify(sigs, {SIGUSR1}));
        go([&, drained] {
          for (int v : sigs) {
            (void)v;
            received.fetch_add(1);
          }
          drained.close();
        });
        storm.start();
        // Ping-pong until every signal has been sent.
        chan<long> a, b;
        go([&, a, b] {
          storm.add_target(pthread_self());
          for (long v : a) b.send(v * 3 + 1);
          b.close();
        });
        storm.add_target(pthread_self());
        for (long i = 0; !storm.done; ++i) {
          a.send(i);
          checksum += *b.recv();
          expect += i * 3 + 1;
          if (i % 1024 == 0) storm.add_target(pthread_self());
        }
        a.close();
        b.recv();
        storm.finish();
        // Until the first delivery is counted (bounded): the delivery
        // goroutine and the reader may not have had the P yet. On a solo P
        // the ping-pong holds it through runnext, and only sysmon's
        // preemption (10 ms and more) lets the others in; a storm shorter
        // than that (ASan's tenth of the signals) ended with nothing
        // delivered, and stop dropped what was pending: received was 0 in
        // about 2 of 120 ASan runs. Main sleeping gives them the P.
        for (int i = 0; i < 5000 && received.load() == 0; ++i) sleep_for(std::chrono::milliseconds(1));
        signal::stop(sigs);
        sigs.close();
        drained.recv();  // the reader has counted every delivery (run abandons goroutines)
      },
      Config{procs});
  EXPECT_EQ(checksum, expect);
  EXPECT_EQ(storm.sent.load(), kSignals);
  EXPECT_GT(received.load(), 0);
}

TEST(SignalStorm, DuringChannelPingPong) { ping_pong_storm(2); }
TEST(SignalStorm, DuringChannelPingPongOnASoloP) { ping_pong_storm(1); }

void yield_storm(int procs) {
  GORT_SKIP_IF_SIGNAL_RETURN_LOSES_TLS();
  IgnoreLateSignals ignore;
  Storm storm;
  std::atomic<int> bad{0};
  run(
      [&] {
        SignalSink sink;
        ASSERT_TRUE(sink.start());
        storm.start();
        WaitGroup wg;
        for (int g = 0; g < 4; ++g) {
          wg.add(1);
          go([&, g] {
            long mine = 0, i = 0;
            for (; !storm.done; ++i) {
              mine += i ^ g;
              yield();  // mcall(gosched_m) and gogo back, every time
              if (i % 4096 == 0) storm.add_target(pthread_self());
            }
            long expect = 0;
            for (long k = 0; k < i; ++k) expect += k ^ g;
            if (mine != expect) bad.fetch_add(1);
            wg.done();
          });
        }
        wg.wait();
        storm.finish();
        sink.stop();
      },
      Config{procs});
  EXPECT_EQ(bad.load(), 0) << "a goroutine's running sum went wrong across switches";
  EXPECT_EQ(storm.sent.load(), kSignals);
}

TEST(SignalStorm, DuringMcallAndGogoSwitches) { yield_storm(2); }
TEST(SignalStorm, DuringYieldsOnASoloP) { yield_storm(1); }

// Goroutines end and new ones start on their stacks (core/proc.cpp,
// goexit_direct), where the handler may land between the new goroutine
// becoming current and the move of sp to its first frame, while the
// ending one's frames are still below sp.
void spawn_storm(int procs) {
  GORT_SKIP_IF_SIGNAL_RETURN_LOSES_TLS();
  IgnoreLateSignals ignore;
  Storm storm;
  long expect = 0;
  std::atomic<long> sum{0};
  run(
      [&] {
        SignalSink sink;
        ASSERT_TRUE(sink.start());
        storm.start();
        storm.add_target(pthread_self());
        for (long i = 0; !storm.done; ++i) {
          WaitGroup wg;
          for (long k = 0; k < 64; ++k) {
            long v = i * 64 + k;
            expect += v * 5 + 3;
            wg.add(1);
            go([&, v] {
              long x = v * 5 + 3;  // computed across the handler's landing
              sum.fetch_add(x);
              if (v % 4096 == 0) storm.add_target(pthread_self());
              wg.done();
            });
          }
          wg.wait();
        }
        storm.finish();
        sink.stop();
      },
      Config{procs});
  EXPECT_EQ(sum.load(), expect) << "a goroutine's result went wrong across its start";
  EXPECT_EQ(storm.sent.load(), kSignals);
}

TEST(SignalStorm, DuringGoroutineEndsAndStarts) { spawn_storm(2); }
TEST(SignalStorm, DuringGoroutineEndsAndStartsOnASoloP) { spawn_storm(1); }

}  // namespace
}  // namespace gort::test
