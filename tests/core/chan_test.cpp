// Channel semantics: FIFO order, unbuffered rendezvous, buffered capacity,
// close and drain, range-for, nil channels, non-blocking operations.
#include <string>
#include <vector>

#include "testutil.hpp"

namespace gort::test {
namespace {

TEST(Chan, BufferedKeepsFifoOrder) {
  run([] {
    chan<int> c(100);
    for (int i = 0; i < 100; ++i) c.send(i);
    EXPECT_EQ(c.size(), 100u);
    EXPECT_EQ(c.capacity(), 100u);
    for (int i = 0; i < 100; ++i) EXPECT_EQ(c.recv(), i);
  });
}

TEST(Chan, UnbufferedFifoAcrossGoroutines) {
  run([] {
    chan<int> c;
    constexpr int kN = 10000 / kScale;
    go([c] {
      for (int i = 0; i < kN; ++i) c.send(i);
      c.close();
    });
    int want = 0;
    for (int v : c) EXPECT_EQ(v, want++);
    EXPECT_EQ(want, kN);
  });
}

TEST(Chan, UnbufferedSendIsARendezvous) {
  run([] {
    chan<int> c;
    std::atomic<int> stage{0};
    WaitGroup wg;
    wg.add(1);
    go([&, c] {
      c.send(1);  // cannot complete before the receive below
      stage = 2;
      wg.done();
    });
    sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(stage.load(), 0) << "unbuffered send completed with no receiver";
    stage = 1;
    EXPECT_EQ(c.recv(), 1);
    wg.wait();
    EXPECT_EQ(stage.load(), 2);
  });
}

TEST(Chan, BufferedSendBlocksOnlyWhenFull) {
  run([] {
    chan<int> c(3);
    std::atomic<int> sent{0};
    WaitGroup wg;
    wg.add(1);
    go([&, c] {
      for (int i = 0; i < 5; ++i) {
        c.send(i);
        ++sent;
      }
      wg.done();
    });
    sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(sent.load(), 3) << "a buffered channel of 3 must take exactly 3 without a receiver";
    EXPECT_EQ(c.size(), 3u);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(c.recv(), i);
    wg.wait();
  });
}

TEST(Chan, CloseDrainsThenReportsClosed) {
  run([] {
    chan<std::string> c(4);
    c.send("a");
    c.send("b");
    c.close();
    EXPECT_EQ(c.recv(), "a");
    EXPECT_EQ(c.recv(), "b");
    EXPECT_EQ(c.recv(), std::nullopt);
    EXPECT_EQ(c.try_recv(), std::nullopt);
  });
}

TEST(Chan, CloseWakesEveryBlockedReceiver) {
  run([] {
    chan<int> c;
    chan<bool> done(8);
    for (int i = 0; i < 8; ++i) go([c, done] { done.send(!c.recv().has_value()); });
    sleep_for(std::chrono::milliseconds(10));
    c.close();
    for (int i = 0; i < 8; ++i) EXPECT_EQ(done.recv(), true);
  });
}

TEST(Chan, RangeForStopsAtClose) {
  run([] {
    chan<int> c(2);
    go([c] {
      for (int i = 1; i <= 100; ++i) c.send(i);
      c.close();
    });
    int sum = 0;
    for (int v : c) sum += v;
    EXPECT_EQ(sum, 5050);
  });
}

TEST(Chan, TrySendAndTryRecvNeverBlock) {
  run([] {
    chan<int> c(1);
    EXPECT_EQ(c.try_recv(), std::nullopt);
    EXPECT_TRUE(c.try_send(1));
    EXPECT_FALSE(c.try_send(2));
    EXPECT_EQ(c.try_recv(), 1);
    chan<int> u;
    EXPECT_FALSE(u.try_send(1)) << "no receiver waiting";
  });
}

TEST(Chan, MoveOnlyValuesTravel) {
  run([] {
    chan<std::unique_ptr<int>> c(1);
    go([c] { c.send(std::make_unique<int>(7)); });
    auto v = c.recv();
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(**v, 7);
  });
}

TEST(Chan, ValuesLeftInABufferAreDestroyed) {
  static int live = 0;
  struct Counted {
    Counted() { ++live; }
    Counted(Counted&&) { ++live; }
    ~Counted() { --live; }
  };
  run([] {
    chan<Counted> c(4);
    c.send(Counted{});
    c.send(Counted{});
    EXPECT_EQ(live, 2);
  });
  EXPECT_EQ(live, 0);
}

TEST(Chan, ManyProducersManyConsumers) {
  run(
      [] {
        constexpr int kProducers = 8, kPer = 20000 / kScale;
        chan<int> c(16);
        chan<long> sums(kProducers);
        WaitGroup wg;
        for (int p = 0; p < kProducers; ++p) {
          wg.add(1);
          go([c, &wg] {
            for (int i = 1; i <= kPer; ++i) c.send(i);
            wg.done();
          });
        }
        for (int q = 0; q < kProducers; ++q)
          go([c, sums] {
            long s = 0;
            for (int v : c) s += v;
            sums.send(s);
          });
        wg.wait();
        c.close();
        long total = 0;
        for (int q = 0; q < kProducers; ++q) total += *sums.recv();
        EXPECT_EQ(total, long(kProducers) * kPer * (kPer + 1) / 2);
      },
      Config{4});
}

}  // namespace
}  // namespace gort::test
