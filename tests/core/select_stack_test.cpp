// select's stack: its working storage (poll order, lock order, one sudog per
// case) is sized by the number of cases, so a select runs on the smallest
// stack class and costs a few hundred bytes; and there is no fixed limit on
// the number of cases.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <utility>

#include <gort/profile.hpp>
#include <gort/signal.hpp>

#include "sched.hpp"
#include "testutil.hpp"
#include "../support/signal_tls.hpp"

namespace gort::test {
namespace {

constexpr std::size_t kSmallest = 4096;  // the smallest stack class
constexpr const char* kAsanWhy =
    "ASan: its instrumented frames and its allocator (operator new in chan_make) take more than the "
    "smallest stack holds, and the stack a select costs is then ASan's";

// Goroutines on the smallest stacks block in three-case selects (two
// receives that main feeds, one send nobody takes, so its sudog is queued and
// withdrawn every time), then run selects with otherwise(). With one P and
// no threads every select of the first round blocks: the workers run, and
// park, before main sends anything.
TEST(SelectOnSmallestStack, BlockingAndDefaultSelectsInGoroutines) {
  GORT_SKIP_UNDER(kAsan, kAsanWhy);
  Config cfg;
  cfg.procs = 1;
  cfg.threads = false;
  cfg.stack_size = kSmallest;
  run(
      [] {
        const int kWorkers = 50, kRounds = 200 / kScale;
        chan<int> a, b, sink;
        chan<int> ready(1);
        std::atomic<long> got{0}, defaults{0}, ready_taken{0};
        WaitGroup wg;
        for (int w = 0; w < kWorkers; ++w) {
          wg.add(1);
          go([&, a, b, sink, ready] {
            for (int r = 0; r < kRounds; ++r)
              select(on_recv(a, [&](std::optional<int> v) { got += *v; }),
                     on_recv(b, [&](std::optional<int> v) { got += *v; }), on_send(sink, 1, [] { ADD_FAILURE(); }));
            for (int r = 0; r < kRounds; ++r) {
              // Nothing ready: the default runs.
              select(on_recv(a, [](std::optional<int>) { ADD_FAILURE(); }), on_send(sink, 1, [] { ADD_FAILURE(); }),
                     otherwise([&] { ++defaults; }));
              // A value ready: it is taken, not the default.
              ready.send(1);
              select(on_recv(ready, [&](std::optional<int> v) { ready_taken += *v; }),
                     otherwise([] { ADD_FAILURE(); }));
            }
            wg.done();
          });
        }
        yield();  // every worker runs and parks in its first select
        for (int i = 0; i < kWorkers * kRounds; ++i) (i % 2 ? a : b).send(1);
        wg.wait();
        EXPECT_EQ(got.load(), long(kWorkers) * kRounds);
        EXPECT_EQ(defaults.load(), long(kWorkers) * kRounds);
        EXPECT_EQ(ready_taken.load(), long(kWorkers) * kRounds);
      },
      cfg);
}

// The same on every P, with threads: selects woken from other threads.
TEST(SelectOnSmallestStack, BlockingSelectsOnEveryP) {
  GORT_SKIP_UNDER(kAsan, kAsanWhy);  // overflowed in libasan's frames (fake stacks on, -O1)
  Config cfg;
  cfg.procs = 4;
  cfg.stack_size = kSmallest;
  run(
      [] {
        const int kPairs = 32, kRounds = 1000 / kScale;
        std::atomic<long> got{0};
        WaitGroup wg;
        for (int p = 0; p < kPairs; ++p) {
          chan<int> x, y;
          wg.add(2);
          go([&, x, y] {
            for (int r = 0; r < kRounds; ++r)
              select(on_recv(x, [&](std::optional<int> v) { got += *v; }),
                     on_recv(y, [&](std::optional<int> v) { got += *v; }));
            wg.done();
          });
          go([&, x, y] {
            for (int r = 0; r < kRounds; ++r)
              select(on_send(x, 1, [] {}), on_send(y, 1, [] {}));
            wg.done();
          });
        }
        wg.wait();
        EXPECT_EQ(got.load(), long(kPairs) * kRounds);
      },
      cfg);
}

// How deep a blocking two-case select reaches below its caller: paint the
// free stack, block in select, find the lowest byte that changed.
constexpr unsigned char kPaint = 0x5a;

__attribute__((noinline)) void paint_below_me(std::uintptr_t lo) {
  volatile unsigned char here = 0;
  std::uintptr_t top = reinterpret_cast<std::uintptr_t>(&here) - 256;  // past any red zone
  for (std::uintptr_t p = lo; p < top; ++p) *reinterpret_cast<volatile unsigned char*>(p) = kPaint;
}

__attribute__((noinline)) std::uintptr_t lowest_touched(std::uintptr_t lo) {
  std::uintptr_t p = lo;
  while (*reinterpret_cast<volatile unsigned char*>(p) == kPaint) ++p;
  return p;
}

TEST(SelectOnSmallestStack, BlockingSelectCostsAFewHundredBytes) {
  GORT_SKIP_UNDER(kAsan, kAsanWhy);
  GORT_SKIP_UNDER(kTsan, "TSan: its fiber switch and the acquire and release of the park run on the goroutine's "
                         "stack (3575 bytes measured in all), so the bytes counted here would be TSan's");
  // Measured on 16 KiB stacks, so that a select that needs more than the
  // smallest class fails here rather than crashing.
  Config cfg;
  cfg.procs = 1;
  cfg.threads = false;
  cfg.stack_size = 16 * 1024;
  run(
      [] {
        chan<int> a, b;
        std::size_t used = 0;
        WaitGroup wg;
        wg.add(1);
        go([&, a, b] {
          volatile unsigned char anchor = 0;
          std::uintptr_t lo = rt::getg()->stack.lo;
          paint_below_me(lo);
          select(on_recv(a, [](std::optional<int>) {}), on_recv(b, [](std::optional<int>) {}));
          used = reinterpret_cast<std::uintptr_t>(&anchor) - lowest_touched(lo);
          wg.done();
        });
        yield();  // it paints and parks
        b.send(1);
        wg.wait();
        std::printf("a blocking two-case select used %zu bytes of stack\n", used);
        // A few hundred bytes of select, plus gopark's frames (a few
        // hundred more on some CPUs); arrays for 64 cases took 4 KiB.
        EXPECT_LT(used, 1536u);
      },
      cfg);
}

// More cases than the old fixed arrays held (64): fine, and the ready one is
// found among them, blocking or not.
template <std::size_t... I>
std::size_t select_among(const chan<int>* cs, int* got, std::index_sequence<I...>) {
  return select(on_recv(cs[I], [got](std::optional<int> v) { *got = v ? *v : -1; })...);
}

TEST(Select, ManyMoreCasesThanSixtyFour) {
  run([] {
    constexpr std::size_t kCases = 100;
    std::vector<chan<int>> cs;
    for (std::size_t i = 0; i < kCases; ++i) cs.emplace_back(1);
    int got = 0;
    cs[77].send(77);
    EXPECT_EQ(select_among(cs.data(), &got, std::make_index_sequence<kCases>{}), 77u);
    EXPECT_EQ(got, 77);
    chan<int> c93 = cs[93];
    go([c93] { c93.send(93); });
    EXPECT_EQ(select_among(cs.data(), &got, std::make_index_sequence<kCases>{}), 93u);
    EXPECT_EQ(got, 93);
  });
}

// Every public call the runtime serves on the caller's stack, from
// goroutines on the smallest class, on two Ps so that the runtime's locks
// are contended (their slow paths call the OS: runtime.hpp,
// off_goroutine_stack) and `go` overflows the local run queue into the
// global one (runqputslow, on the system stack). A call that needs more
// than the smallest stack leaves (libc through the dynamic linker's
// resolver, a big table) ends the process with "stack overflow in
// goroutine N". (CPU profiling: Profile.StartAndStopOnTheSmallestStack.)
// Coverage of the API's stack needs; whether a lock is contended is up to
// timing here: with the lock slow paths on the goroutine stack again it
// still passed 6 of 6 runs (futex and sema), and the regression test for
// those is RuntimeLock.AGoroutineWaitsForAContendedLockOnTheSystemStack.
// It caught profile::with_labels: labels_push interned its set (maps,
// strings, malloc) on the caller's stack, which overflowed in the UBSan
// build 5 of 5 runs; it runs on the system stack now (labels.cpp).
TEST(SmallestStack, EveryPublicCallFromGoroutines) {
  GORT_SKIP_UNDER(kAsan, kAsanWhy);
  Config cfg;
  cfg.procs = 2;
  cfg.stack_size = kSmallest;
  std::atomic<long> sum{0}, once_runs{0};
  long counted = 0;
  const int kWorkers = 600;  // more than a local run queue holds (256)
  // The signal part only where a handled signal keeps the thread's TLS
  // (support/signal_tls.hpp: not QEMU's i386 user-mode, where it ended
  // this test with "stackfree not on system stack": the wrong current G).
  const bool signals = signal_return_keeps_tls();
  run(
      [&] {
        chan<int> c, sigs(4);
        Mutex mu;
        Once once;
        WaitGroup wg;
        if (signals) {
          EXPECT_TRUE(signal::notify(sigs, {SIGUSR1}));
        }
        for (int w = 0; w < kWorkers; ++w) {
          wg.add(1);
          go([&, c, w] {
            for (int r = 0; r < 20; ++r) {
              mu.lock();
              ++counted;
              mu.unlock();
              if (r % 4 == 0) yield();
            }
            once.call([&] { ++once_runs; });
            profile::with_labels({{"worker", "small"}}, [&] { sum += blocking([w] { return w % 3; }); });
            if (w % 50 == 0) {
              sleep_for(std::chrono::microseconds(100));
              lock_os_thread();
              unlock_os_thread();
              EXPECT_GT(mem_stats().goroutines, 0u);
            }
            c.send(1);
            wg.done();
          });
        }
        long got = 0;
        for (int w = 0; w < kWorkers; ++w) got += *c.recv();
        wg.wait();
        EXPECT_EQ(got, kWorkers);
        if (signals) {
          ::kill(::getpid(), SIGUSR1);
          EXPECT_EQ(*sigs.recv(), SIGUSR1);
          signal::stop(sigs);
        }
      },
      cfg);
  EXPECT_EQ(counted, long(kWorkers) * 20);
  EXPECT_EQ(once_runs.load(), 1);
  long want = 0;
  for (int w = 0; w < kWorkers; ++w) want += w % 3;
  EXPECT_EQ(sum.load(), want);
}

}  // namespace
}  // namespace gort::test
