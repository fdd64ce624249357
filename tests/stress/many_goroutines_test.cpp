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

}  // namespace
}  // namespace gort::test
