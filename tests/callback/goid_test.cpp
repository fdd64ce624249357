// Goroutine ids: what `info goroutines` (tools/gdb/gort.py), tracebacks and
// deadlock reports show. The main goroutine is 1 in every run, and ids count
// up in creation order: goroutines started with go, and callbacks (each a
// goroutine of its own), from one counter of the run.
#include <cstdint>
#include <thread>
#include <vector>

#include "sched.hpp"
#include "testutil.hpp"

namespace gort::test {
namespace {

TEST(Goid, MainIsOneThenCreationOrderInEveryRun) {
  for (int r = 0; r < 2; ++r) {
    constexpr int kN = 40;
    std::vector<std::uint64_t> ids(kN), nested(kN);
    std::uint64_t main_id = 0, callback_id = 0, after_callback = 0;
    run([&] {
      main_id = rt::getg()->goid;
      WaitGroup wg;
      for (int i = 0; i < kN; ++i) {
        wg.add(1);
        go([&, i] {
          ids[i] = rt::getg()->goid;
          wg.done();
        });
      }
      wg.wait();
      // Started by another goroutine: the next id all the same.
      chan<std::uint64_t> c;
      go([c] {
        go([c] { c.send(rt::getg()->goid); });
      });
      std::uint64_t outer_child = *c.recv();
      nested[0] = outer_child;
      // A callback from a thread gort did not create is a goroutine too.
      blocking([&] {
        std::thread t([&] { callback([&] { callback_id = rt::getg()->goid; }); });
        t.join();
      });
      go([c] { c.send(rt::getg()->goid); });
      after_callback = *c.recv();
    });
    EXPECT_EQ(main_id, 1u) << "run " << r;
    for (int i = 0; i < kN; ++i) EXPECT_EQ(ids[i], std::uint64_t(i) + 2) << "goroutine " << i << ", run " << r;
    EXPECT_EQ(nested[0], std::uint64_t(kN) + 3) << "run " << r;  // kN+2 is its parent
    EXPECT_EQ(callback_id, std::uint64_t(kN) + 4) << "run " << r;
    EXPECT_EQ(after_callback, std::uint64_t(kN) + 5) << "run " << r;
  }
}

}  // namespace
}  // namespace gort::test
