// select: uniform choice among ready cases (chi-square), default case,
// send and receive cases mixed, closed channels, blocking until ready.
#include "testutil.hpp"

namespace gort::test {
namespace {

TEST(Select, ReadyCasesChosenUniformly) {
  run([] {
    constexpr int kCases = 4;
    const int n = 100000 / kScale;
    chan<int> c[kCases] = {chan<int>(1), chan<int>(1), chan<int>(1), chan<int>(1)};
    long hits[kCases] = {};
    for (int i = 0; i < n; ++i) {
      for (auto& ch : c)
        if (ch.size() == 0) ch.send(1);
      auto idx = select(on_recv(c[0], [](std::optional<int>) {}), on_recv(c[1], [](std::optional<int>) {}),
                        on_recv(c[2], [](std::optional<int>) {}), on_recv(c[3], [](std::optional<int>) {}));
      ++hits[idx];
    }
    double expect = double(n) / kCases, chi2 = 0;
    for (long h : hits) chi2 += (h - expect) * (h - expect) / expect;
    // 3 degrees of freedom: P(chi2 > 21.11) = 1e-4 for a uniform choice.
    EXPECT_LT(chi2, 21.11) << "hits " << hits[0] << " " << hits[1] << " " << hits[2] << " " << hits[3];
  });
}

TEST(Select, DefaultRunsWhenNothingIsReady) {
  run([] {
    chan<int> a, b;
    bool ran = false;
    auto idx = select(on_recv(a, [](std::optional<int>) { ADD_FAILURE(); }),
                      on_send(b, 1, [] { ADD_FAILURE(); }), otherwise([&] { ran = true; }));
    EXPECT_EQ(idx, 2u);
    EXPECT_TRUE(ran);
  });
}

TEST(Select, DefaultIsNotChosenWhenACaseIsReady) {
  run([] {
    chan<int> a(1);
    a.send(5);
    int got = 0;
    auto idx = select(otherwise([] { ADD_FAILURE(); }), on_recv(a, [&](std::optional<int> v) { got = *v; }));
    EXPECT_EQ(idx, 1u);
    EXPECT_EQ(got, 5);
  });
}

TEST(Select, MixedSendAndReceiveCases) {
  run([] {
    chan<int> in, out;
    std::atomic<long> out_sum{0};
    WaitGroup wg;  // both goroutines end before main (what an abandoned one captured is never freed)
    wg.add(2);
    go([in, &wg] {
      for (int i = 0; i < 100; ++i) in.send(i);
      wg.done();
    });
    go([out, &out_sum, &wg] {
      for (int i = 0; i < 100; ++i) out_sum += *out.recv();
      wg.done();
    });
    int received = 0, sent = 0;
    long in_sum = 0;
    while (received < 100 || sent < 100) {
      chan<int> i_ch = received < 100 ? in : chan<int>::nil();
      chan<int> o_ch = sent < 100 ? out : chan<int>::nil();
      select(on_recv(i_ch,
                     [&](std::optional<int> v) {
                       in_sum += *v;
                       ++received;
                     }),
             on_send(o_ch, sent * 2, [&] { ++sent; }));
    }
    wg.wait();
    EXPECT_EQ(in_sum, 4950);
    EXPECT_EQ(out_sum.load(), 9900);
  });
}

TEST(Select, BlocksUntilACaseIsReady) {
  run([] {
    chan<int> a, b;
    go([b] {
      sleep_for(std::chrono::milliseconds(10));
      b.send(42);
    });
    int got = 0;
    auto idx = select(on_recv(a, [](std::optional<int>) { ADD_FAILURE(); }),
                      on_recv(b, [&](std::optional<int> v) { got = *v; }));
    EXPECT_EQ(idx, 1u);
    EXPECT_EQ(got, 42);
  });
}

TEST(Select, ClosedChannelIsReadyWithNoValue) {
  run([] {
    chan<int> a;
    go([a] {
      sleep_for(std::chrono::milliseconds(5));
      a.close();
    });
    bool closed = false;
    select(on_recv(a, [&](std::optional<int> v) { closed = !v.has_value(); }));
    EXPECT_TRUE(closed);
  });
}

// One channel in two cases, both ready: each select receives exactly one
// value, in FIFO order, through the case it returns (and no other), and the
// channel is empty after two; over many rounds either case is chosen about
// half the time.
TEST(Select, SameChannelInTwoCases) {
  run([] {
    constexpr int kRounds = 200;
    int chosen[2] = {};
    for (int r = 0; r < kRounds; ++r) {
      chan<int> a(2);
      a.send(1);
      a.send(2);
      for (int want = 1; want <= 2; ++want) {
        int got[2] = {0, 0};  // value received through case 0 and case 1
        int calls = 0;
        auto idx = select(on_recv(a, [&](std::optional<int> v) { ++calls; got[0] = v.value_or(-1); }),
                          on_recv(a, [&](std::optional<int> v) { ++calls; got[1] = v.value_or(-1); }));
        ASSERT_TRUE(idx == 0 || idx == 1) << idx;
        EXPECT_EQ(calls, 1);
        EXPECT_EQ(got[idx], want) << "round " << r << ": case " << idx;
        EXPECT_EQ(got[1 - idx], 0) << "round " << r << ": the other case ran too";
        ++chosen[idx];
      }
      EXPECT_EQ(a.size(), 0u);
      EXPECT_EQ(a.try_recv(), std::nullopt);
    }
    // 400 fair coin flips: each side below 100 is 10 standard deviations out.
    EXPECT_GE(chosen[0], kRounds / 2) << chosen[0] << " vs " << chosen[1];
    EXPECT_GE(chosen[1], kRounds / 2) << chosen[0] << " vs " << chosen[1];
  });
}

TEST(Select, ManySelectorsCompeteForOneSender) {
  run(
      [] {
        constexpr int kN = 2000;
        chan<int> data;
        chan<int> quit;
        std::atomic<long> got{0};
        WaitGroup wg;
        for (int w = 0; w < 4; ++w) {
          wg.add(1);
          go([=, &got, &wg] {
            for (;;) {
              bool stop = false;
              select(on_recv(data, [&](std::optional<int> v) { got += *v; }),
                     on_recv(quit, [&](std::optional<int>) { stop = true; }));
              if (stop) break;
            }
            wg.done();
          });
        }
        for (int i = 1; i <= kN; ++i) data.send(i);
        quit.close();
        wg.wait();
        EXPECT_EQ(got.load(), long(kN) * (kN + 1) / 2);
      },
      Config{2});
}

}  // namespace
}  // namespace gort::test
