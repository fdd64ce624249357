// Memory goes back: 2*10^4 goroutines each touching 64 KiB of stack raise the
// RSS; after they exit and the scavenger delay passes, it falls back to
// within 20% of where it started. Natively only: RSS under QEMU is QEMU's.
#include <fstream>

#include "../core/testutil.hpp"
#include "os.hpp"

namespace gort::test {
namespace {

long max_map_count() {
  std::ifstream f("/proc/sys/vm/max_map_count");
  long v = 0;
  f >> v;
  return v;
}

__attribute__((noinline)) void touch_stack(std::size_t n) {
  volatile char buf[64 * 1024];
  for (std::size_t i = 0; i < n; i += 512) buf[i] = 1;
  asm volatile("" ::"r"(buf) : "memory");
}

TEST(Memory, StacksGoBackToTheOs) {
  if (kEmulated) GTEST_SKIP() << "RSS is measured natively only";
  GORT_SKIP_UNDER(kAsan || kTsan, "ASan and TSan: RSS counts their shadow memory (and ASan's fake stacks, "
                                  "which hold this test's stack buffers)");
  // 1.3 GB of stacks touched: enough to see, quick enough for CI (10^5
  // took 50-100 s of page faults on a 2-CPU VM).
  constexpr int kN = 20000;
  // With mprotect'ed guards each stack is two mappings (guard, stack).
  if (os::guard_kind() == os::GuardKind::protect && max_map_count() < 2L * kN + 20000)
    GTEST_SKIP() << "vm.max_map_count is " << max_map_count() << ": " << kN
                 << " guarded stacks need about " << 2L * kN + 20000
                 << " (./kit raises it when run as root)";
  Config cfg;
  cfg.procs = 2;
  cfg.stack_size = 128 * 1024;
  cfg.scavenge_delay = std::chrono::milliseconds(50);
  run(
      [] {
        auto park_all = [](bool touch) {
          chan<int> gate;
          WaitGroup parked, done;
          for (int i = 0; i < kN; ++i) {
            parked.add(1);
            done.add(1);
            go([&, gate, touch] {
              if (touch) touch_stack(64 * 1024);
              parked.done();
              gate.recv();
              done.done();
            });
          }
          parked.wait();
          std::size_t peak = mem_stats().resident;
          gate.close();
          done.wait();
          return peak;
        };
        auto settle = [](std::size_t target) {
          // The scavenger runs every delay/4 once memory has been free for
          // the delay; give it up to 10 s on a loaded machine. With no
          // target (0), until the RSS stops falling for half a second.
          std::size_t rss = mem_stats().resident;
          int steady = 0;
          for (int i = 0; i < 200 && rss > target && steady < 10; ++i) {
            sleep_for(std::chrono::milliseconds(50));
            std::size_t now = mem_stats().resident;
            steady = now >= rss ? steady + 1 : 0;
            rss = now;
          }
          return rss;
        };
        park_all(false);  // G structs are reused, never returned (as in Go)
        std::size_t base = settle(0);
        std::size_t peak = park_all(true);
        EXPECT_GT(peak, base + std::size_t(kN) * 60 * 1024) << "touching stacks did not raise RSS";
        std::size_t after = settle(base + base / 5);
        EXPECT_LE(after, base + base / 5) << "RSS went from " << base << " to " << peak << " and only back to "
                                          << after;
        std::printf("RSS: base %zu MiB, peak %zu MiB, after %zu MiB\n", base >> 20, peak >> 20, after >> 20);
      },
      cfg);
}

}  // namespace
}  // namespace gort::test
