// 10^5 goroutines on 16 KiB stacks, all alive at once, under the OS's
// default limit on mappings per process (vm.max_map_count, 65530 on Linux):
// guard markers split no mapping, so the limit is no limit on goroutines.
// Where guards are mprotect'ed (two mappings per stack, as under QEMU) the
// test needs a limit above 2N; scaled down by 10 under emulation, it fits the
// default.
#include <atomic>
#include <cstdio>

#include "../core/testutil.hpp"
#include "os.hpp"
#include "malloc.hpp"

namespace gort::test {
namespace {

long read_long(const char* path) {
  std::FILE* f = std::fopen(path, "r");
  long v = -1;
  if (f == nullptr) return v;
  if (std::fscanf(f, "%ld", &v) != 1) v = -1;
  std::fclose(f);
  return v;
}

long count_mappings() {
  std::FILE* f = std::fopen("/proc/self/maps", "r");
  if (f == nullptr) return -1;
  long n = 0;
  for (int ch; (ch = std::fgetc(f)) != EOF;) n += ch == '\n';
  std::fclose(f);
  return n;
}

TEST(Goroutines, HundredThousandAliveOnSmallStacksUnderTheMappingLimit) {
  GORT_SKIP_UNDER(kTsan, kTsanLiveWhy);
  constexpr long kN = 100000 / kScale;
  const bool markers = os::guard_kind() == os::GuardKind::marker;
  const long limit = read_long("/proc/sys/vm/max_map_count");
  if (!markers && limit >= 0 && limit < 2 * kN + 20000)
    GTEST_SKIP() << "guards are mprotect'ed here (two mappings per stack) and vm.max_map_count is " << limit
                 << ": " << kN << " goroutines need about " << 2 * kN + 20000;
  Config cfg;
  cfg.procs = 2;
  cfg.stack_size = 16 * 1024;
  run(
      [&] {
        chan<int> gate;
        WaitGroup parked, done;
        std::atomic<long> ran{0};
        long before = count_mappings();
        for (long i = 0; i < kN; ++i) {
          parked.add(1);
          done.add(1);
          go([&, gate] {
            parked.done();
            gate.recv();
            ++ran;
            done.done();
          });
        }
        parked.wait();
        EXPECT_EQ(mem_stats().goroutines, std::size_t(kN) + 1);
        long peak = count_mappings();
        std::printf("%ld goroutines alive: %ld mappings (%ld before), vm.max_map_count %ld, guards by %s\n", kN, peak,
                    before, limit, markers ? "markers" : "mprotect");
        if (markers && peak >= 0) {
          EXPECT_LT(peak - before, kN / 10) << "guard markers should split no mapping";
        }
        gate.close();
        done.wait();
        EXPECT_EQ(ran.load(), kN);
      },
      cfg);
}

// 10^6 goroutines on the smallest stacks, all parked at once on one
// channel, woken by its close, joined (issue #15): natively they must fit
// under Linux's default vm.max_map_count (65530; guard markers split no
// mapping), and when run returns the memory goes back to the OS (whole
// arenas, mheap_release_arenas), not kept resident for a next run. Where
// guards are mprotect'ed (QEMU; kernels before 6.13) each stack is two
// mappings: N shrinks by 10 there, and the test skips unless the limit
// fits it. Under emulation N is scaled down by GORT_TEST_SCALE too.
TEST(Goroutines, MillionParkAndFinishOnTheSmallestStacks) {
  GORT_SKIP_UNDER(kTsan, kTsanLiveWhy);
  const bool markers = os::guard_kind() == os::GuardKind::marker;
  // 10^6 slots of [guard | 4 KiB] need 8 GB of address space even with
  // one-page guards: a 32-bit process parks 10^5.
  const long kMax = sizeof(void*) >= 8 ? 1000000 : 100000;
  const long kN = markers ? kMax / kScale : kMax / kScale / 10;
  constexpr long kDefaultMapCount = 65530;
  const long limit = read_long("/proc/sys/vm/max_map_count");
  if (!markers && limit >= 0 && limit < 2 * kN + 20000)
    GTEST_SKIP() << "guards are mprotect'ed here (the probe found no working guard markers): " << kN
                 << " goroutines need about " << 2 * kN + 20000 << " mappings, vm.max_map_count is " << limit;
  Config cfg;
  cfg.stack_size = 4096;  // the smallest class
  cfg.procs = 2;
  // Checked after run, not by main: a failed assertion's message is more
  // than main's 4 KiB stack holds (gtest formats it there), and the stack
  // overflow that follows hides which one failed.
  MemStats m;
  long before = 0, peak = 0;
  std::atomic<long> ran{0};
  run(
      [&] {
        chan<int> gate;
        WaitGroup parked, done;
        before = count_mappings();
        for (long i = 0; i < kN; ++i) {
          parked.add(1);
          done.add(1);
          go([&, gate] {
            parked.done();
            gate.recv();
            ran.fetch_add(1, std::memory_order_relaxed);
            done.done();
          });
        }
        parked.wait();
        m = mem_stats();
        peak = count_mappings();
        gate.close();
        done.wait();
      },
      cfg);
  const std::size_t peak_rss = m.resident;
  EXPECT_EQ(m.goroutines, std::size_t(kN) + 1);
  EXPECT_GE(m.stack_inuse, std::size_t(kN) * 4096);
  EXPECT_EQ(ran.load(), kN);
  EXPECT_EQ(rt::stack_stats().inuse_count, 0);
  std::size_t after_rss = os::resident_bytes();
  std::printf("%ld goroutines parked: %ld mappings (%ld before), RSS %zu MiB, %zu MiB after run; guards by %s\n", kN,
              peak, before, peak_rss >> 20, after_rss >> 20, markers ? "markers" : "mprotect");
  if (markers && peak >= 0) {
    EXPECT_LT(peak, kDefaultMapCount) << "10^6 guarded stacks must fit the default vm.max_map_count";
    EXPECT_LT(peak - before, 1000) << "guard markers should split no mapping";
  }
  // RSS is QEMU's under emulation.
  if (kScale == 1) {
    EXPECT_GE(peak_rss, std::size_t(kN) * 4096) << "every parked goroutine holds at least its stack's page";
    EXPECT_LT(after_rss, peak_rss / 4) << "the run's memory stayed resident after it returned";
  }
}

}  // namespace
}  // namespace gort::test
