// Stress: a million goroutines (natively; fewer under emulation), each
// passing a value through a channel, on every P.
#include "../core/testutil.hpp"

namespace gort::test {
namespace {

TEST(Stress, MillionGoroutines) {
  run([] {
    // Under TSan a tenth again: each goroutine's fiber costs about 0.3 ms
    // to make and destroy there (33 s for 10^5).
    const long n = 1000000 / kScale / (kTsan ? 10 : 1);
    // Alive at once (TSan holds fewer: testutil.hpp).
    constexpr long kBatch = kTsan ? kTsanLiveLimit / 8 : 10000;
    chan<long> results(1024);
    // 64-bit sums: n(n-1)/2 is 5e9 for the 10^5 of emulated 32-bit
    // targets, past a 32-bit long (it overflowed there, in the sum and the
    // expectation alike).
    std::int64_t total = 0;
    for (long base = 0; base < n; base += kBatch) {
      WaitGroup wg;
      for (long i = base; i < base + kBatch && i < n; ++i) {
        wg.add(1);
        go([i, results, &wg] {
          results.send(i);
          wg.done();
        });
      }
      std::int64_t got = 0;
      for (long i = base; i < base + kBatch && i < n; ++i) got += *results.recv();
      total += got;
      wg.wait();
    }
    EXPECT_EQ(total, std::int64_t(n) * (n - 1) / 2);
  });
}

TEST(Stress, ChannelChainOfGoroutines) {
  run([] {
    const int n = 10000 / kScale;
    chan<int> first;
    chan<int> in = first;
    for (int i = 0; i < n; ++i) {
      chan<int> out;
      go([in, out] { out.send(*in.recv() + 1); });
      in = out;
    }
    first.send(0);
    EXPECT_EQ(in.recv(), n);
  });
}

}  // namespace
}  // namespace gort::test
