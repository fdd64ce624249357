// unwind_bench.cpp: what a CPU profiler's sample costs in gort's unwinder
// (core/unwind.hpp): one walk of 20 frames from a Gobuf, with symbolization
// off (unwind_walk20) and on (unwind_walk20_symbolize), and one symbolize
// call alone.
//
// The frames are real: the benchmark loop runs at the bottom of a 20-deep
// recursion of noinline functions on the benchmark thread (adopted as g0,
// whose stack bounds are the walk's range). Each iteration saves a Gobuf
// there and steps 20 times. ns_per_frame = CPU time / (20 * iterations).
#include <benchmark/benchmark.h>

#include "runtime.hpp"
#include "unwind.hpp"

namespace {

namespace rt = gort::rt;

constexpr int kFrames = 20;
volatile int g_sink;

using Body = void (*)(benchmark::State&);

__attribute__((noinline)) void recurse(benchmark::State& state, int n, Body body) {
  if (n == 0)
    body(state);
  else
    recurse(state, n - 1, body);
  g_sink = g_sink + n;  // no tail call: every level keeps its frame
}

template <bool Symbolize>
__attribute__((noinline)) void walk_loop(benchmark::State& state) {
  rt::G* g0 = rt::adopt_thread();
  Gobuf b;
  gort_gosave(&b);
  for (auto _ : state) {
    rt::UnwindCursor c;
    rt::unwind_from_gobuf(&c, b);
    c.add_range(g0->stack_lo, g0->stack_hi);
    for (int i = 0; i < kFrames; ++i) {
      if (Symbolize) {
        const char* name;
        std::uintptr_t off;
        benchmark::DoNotOptimize(rt::symbolize(c.pc - 1, &name, &off));
      }
      if (!rt::unwind_step(&c)) {
        state.SkipWithError("the walk ended before 20 frames");
        return;
      }
    }
    benchmark::DoNotOptimize(c.pc);
  }
  state.counters["ns_per_frame"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * kFrames,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void unwind_walk20(benchmark::State& state) {
  rt::unwind_init();
  recurse(state, kFrames, &walk_loop<false>);
}
BENCHMARK(unwind_walk20);

void unwind_walk20_symbolize(benchmark::State& state) {
  rt::unwind_init();
  recurse(state, kFrames, &walk_loop<true>);
}
BENCHMARK(unwind_walk20_symbolize);

void unwind_symbolize(benchmark::State& state) {
  rt::unwind_init();
  auto pc = reinterpret_cast<std::uintptr_t>(&recurse) + 4;
  for (auto _ : state) {
    const char* name;
    std::uintptr_t off;
    benchmark::DoNotOptimize(rt::symbolize(pc, &name, &off));
  }
}
BENCHMARK(unwind_symbolize);

}  // namespace

BENCHMARK_MAIN();
