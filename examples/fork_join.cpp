// fork_join.cpp: a parallel merge sort. Each call above a cutoff forks a
// goroutine for its left half, sorts the right half itself, joins with a
// WaitGroup and merges. Goroutines are cheap enough to start one per split
// (about 2 x n / cutoff of them); the scheduler spreads them over every
// processor (GORTMAXPROCS, by default the number of CPUs) by work stealing.
// Checks the result against std::sort.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <vector>

#include <gort/gort.hpp>

constexpr std::size_t kCutoff = 2048;  // below this, sorting beats forking

// psort: sort a[0, n), using tmp[0, n) for merging.
static void psort(int* a, int* tmp, std::size_t n) {
  if (n <= kCutoff) {
    std::sort(a, a + n);
    return;
  }
  std::size_t half = n / 2;
  gort::WaitGroup wg;
  wg.add(1);
  gort::go([=, &wg] {  // fork: the left half in a new goroutine
    psort(a, tmp, half);
    wg.done();
  });
  psort(a + half, tmp + half, n - half);  // the right half here
  wg.wait();                              // join
  std::merge(a, a + half, a + half, a + n, tmp);
  std::copy(tmp, tmp + n, a);
}

int main() {
  std::vector<int> v(1 << 18);
  std::uint32_t x = 2463534242u;  // xorshift32: the same input every run
  for (int& e : v) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    e = static_cast<int>(x % 1000000);
  }
  std::vector<int> want = v, tmp(v.size());
  std::sort(want.begin(), want.end());

  gort::run([&] { psort(v.data(), tmp.data(), v.size()); });

  bool ok = v == want;
  std::printf("sorted %zu ints in parallel: %s\n", v.size(), ok ? "ok" : "FAIL: differs from std::sort");
  return ok ? 0 : 1;
}
