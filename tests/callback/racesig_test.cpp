// Go's testprogcgo/racesig: threads gort did not create, in tight
// malloc/free loops, receive a storm of signals gort handles (10^5
// natively, 10^4 under emulation) while gort runs: no crash, no hang, the
// signals reach a notify channel, and the handler path (which borrows a
// spare M on each such thread) allocates nothing: malloc_check.cpp ends
// the process if it does.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdlib>
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

TEST(Racesig, ForeignThreadsInMallocLoopsUnderASignalStorm) {
  GORT_SKIP_IF_SIGNAL_RETURN_LOSES_TLS();
  IgnoreLateSignals ignore;
  const long kSignals = 100000 / kScale;
  std::atomic<long> delivered{0};
  run(
      [&] {
        chan<int> sigs(4096);
        ASSERT_TRUE(signal::notify(sigs, {SIGUSR1}));
        WaitGroup drained;
        drained.add(1);
        go([&, sigs] {
          for (int v : sigs) {
            (void)v;
            delivered.fetch_add(1);
          }
          drained.done();
        });
        std::atomic<bool> stop{false};
        std::vector<std::thread> workers;
        for (int t = 0; t < 4; ++t)
          workers.emplace_back([&stop] {
            unsigned seed = 1;
            while (!stop.load(std::memory_order_relaxed)) {
              void* p[16];
              for (auto& q : p) q = std::malloc(16 + (rand_r(&seed) % 512));
              for (auto& q : p) std::free(q);
            }
          });
        std::thread sender([&] {
          for (long i = 0; i < kSignals; ++i) {
            pthread_kill(workers[i % workers.size()].native_handle(), SIGUSR1);
            if (i % 32 == 0) sched_yield();
          }
        });
        blocking([&] { sender.join(); });
        stop = true;
        blocking([&] {
          for (auto& w : workers) w.join();
        });
        // Let the last ones through, then stop delivery and drain.
        sleep_for(std::chrono::milliseconds(20));
        signal::stop(sigs);
        sigs.close();
        drained.wait();
      },
      Config{2});
  EXPECT_GT(delivered.load(), 0);
}

}  // namespace
}  // namespace gort::test
