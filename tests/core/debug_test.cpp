// The debug printers read the scheduler without locks (the hang watchdog
// calls them from a signal handler): a torn picture is fine, a crash is
// not. Each shared pointer must be loaded once before it is dereferenced.
#include <atomic>
#include <thread>

#include "sched.hpp"
#include "testutil.hpp"

namespace gort::test {
namespace {

TEST(DebugDump, WhileGoroutinesPingPongOnTwoPs) {
  // Nothing is written: with stderr a dump costs a hundred system calls,
  // and the torn reads this looks for take a few nanoseconds.
  rt::set_print_sink([](const char*, std::size_t) {});
  std::atomic<bool> done{false};
  std::atomic<long> dumps{0};
  run(
      [&] {
        std::thread dumper([&] {
          while (!done.load()) {
            rt::debug_dump();
            dumps.fetch_add(1);
          }
        });
        const int n = 200000 / kScale;
        WaitGroup wg;
        for (int pair = 0; pair < 4; ++pair) {
          wg.add(2);  // the pair's echo too: once its last send is taken it
                      // may not have run to its end, and a goroutine left at
                      // the run's end keeps its channels (LeakSanitizer: asan)
          go([&wg, n] {
            chan<int> a, b;
            go([a, b, n, &wg] {
              for (int i = 0; i < n; ++i) b.send(*a.recv());
              wg.done();
            });
            for (int i = 0; i < n; ++i) {
              a.send(i);
              b.recv();
            }
            wg.done();
          });
        }
        wg.wait();
        done = true;
        dumper.join();
      },
      Config{2});
  rt::set_print_sink(nullptr);
  EXPECT_GT(dumps.load(), 0);
}

}  // namespace
}  // namespace gort::test
