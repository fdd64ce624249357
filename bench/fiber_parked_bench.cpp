// fiber_parked_bench: the Boost.Fiber peer of parked_bench.cpp: resident
// memory per parked fiber. N fibers on one thread each block on one
// unbuffered channel; (RSS with all of them blocked - RSS before) / N.
//
//   gort_fiber_parked_bench [N=100000] [stack_bytes=16384]
//
// Stacks from Boost's fixedsize_stack (a malloc each, as a user who takes
// the default allocator gets), 16 KiB by default: the fiber's own control
// block lives at the top of its stack, and 16 KiB is the smallest size
// Boost's documentation leaves room for a few frames in. Pages a parked
// fiber never touched stay unresident, as gort's and Go's do.
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <boost/fiber/all.hpp>
#include <unistd.h>

namespace {
long resident() {
  std::ifstream f("/proc/self/statm");
  long size = 0, rss = 0;
  f >> size >> rss;
  return rss * sysconf(_SC_PAGESIZE);
}
}  // namespace

int main(int argc, char** argv) {
  namespace fibers = boost::fibers;
  long n = argc > 1 ? std::atol(argv[1]) : 100000;
  std::size_t stack = argc > 2 ? std::strtoul(argv[2], nullptr, 0) : 16384;
  fibers::unbuffered_channel<int> gate;
  long parked = 0, done = 0;
  long before = resident();
  for (long i = 0; i < n; ++i) {
    fibers::fiber(std::allocator_arg, fibers::fixedsize_stack(stack), [&] {
      ++parked;
      int v;
      gate.pop(v);  // returns closed once main closes the channel
      ++done;
    }).detach();
  }
  while (parked < n) boost::this_fiber::yield();
  long after = resident();
  std::printf("boost.fiber: %ld fibers parked, stack %zu bytes: %.0f bytes RSS each\n", n, stack,
              double(after - before) / double(n));
  gate.close();
  while (done < n) boost::this_fiber::yield();
  return 0;
}
