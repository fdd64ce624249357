// sched_bench.cpp: scheduler benchmarks of gort beside Boost.Fiber, in one
// run; the Go peers are in bench/go/ and tools/bench_sched.sh puts the three
// side by side (./kit bench prints that table).
//
//   spawn      gort::go + gort::WaitGroup on 2 Ps: per goroutine, add(1),
//              go, and the goroutine calls done(); the spawner waits every
//              kSpawnBatch goroutines (so no more than that many are alive).
//              Boost.Fiber: boost::fibers::fiber spawn + join, same batches,
//              on ONE thread with the default round_robin scheduler (its
//              work-sharing schedulers need every thread to take part, and
//              a fiber created on one thread cannot be joined from the
//              other without that).
//   spawn1     not a goal, shown for context: spawn on 1 P.
//   pingpong   unbuffered channel round trip on 1 P: main sends on ping,
//              an echo goroutine receives and sends back on pong. ns per
//              round trip (two channel handoffs, two switches each way).
//              Boost.Fiber: boost::fibers::unbuffered_channel<int>, one
//              thread.
//   pingpong2  the same on 2 Ps (the scheduler decides where the echo
//              goroutine runs). Boost.Fiber: the echo loop on a second
//              thread (its main fiber), so that every handoff crosses
//              threads: what a fiber library does when the two ends live on
//              two threads, not what a work-stealing scheduler chooses.
//   yield      not a goal, shown for context: one goroutine calling
//              gort::yield() on 1 P (nothing else to run; gort's yield then
//              returns at once). Boost.Fiber: boost::this_fiber::yield()
//              alone.
//   yield2     two goroutines on 1 P taking turns with yield, so that every
//              yield is a switch through the scheduler; ns per yield.
//              Boost.Fiber: two fibers, this_fiber::yield.
//   skynet     the skynet benchmark (github.com/atemerev/skynet) on 2 Ps: a
//              10-ary tree of goroutines with 10^6 leaves (1,111,111
//              goroutines); a leaf sends its number on its parent's
//              unbuffered channel, an inner node the sum of its ten
//              children's; ns per tree. Boost.Fiber: a fiber per node and
//              a buffered_channel of 16 (see SkynetChan), one thread of its
//              own, LifoDispatchFirst (as fib27, for the same reason).
//   locked_add not gort, for context: one uncontended atomic add on a
//              cache line only this thread touches (lock xadd on x86), the
//              unit docs/PERF.md counts the spawn and ping-pong rows'
//              floors in: each benchmark's own atomics and the runtime's
//              read-modify-writes pay at least this much apiece.
//   fib27      fork-join Fibonacci(27), a goroutine per call on 2 Ps: fib(n)
//              for n >= 2 spawns fib(n-1) and fib(n-2) as goroutines and
//              joins them with a WaitGroup; ns per fib(27) (635,620
//              goroutines). Boost.Fiber: a fiber per call, both joined, on
//              one thread (a thread of its own) under LifoDispatchFirst
//              below: round_robin's FIFO runs the call tree breadth first,
//              keeping a large part of it alive at once (fib(27): ~8 GB
//              resident, ~40 s, nearly all page faults on fresh stacks).
//
// Timing. A gort benchmark starts the runtime once per benchmark invocation
// (gort::run), warms it up, and times the whole batch of
// state.max_iterations operations inside the main goroutine with
// std::chrono::steady_clock. The Google Benchmark State is never touched
// from a goroutine: with 2 Ps the main goroutine can resume on another OS
// thread after it blocks (a WaitGroup wait, a channel receive), and State's
// loop, its timers (per-thread CPU clocks) and its counters belong to the
// thread that called the benchmark function. Once gort::run has returned,
// back on that thread, the State loop runs max_iterations empty iterations,
// each reporting 1/max_iterations of the measured time through
// SetIterationTime (UseManualTime). So the "Time" column is the time per
// operation measured inside gort; the "CPU" column is the empty loop's and
// means nothing: the counter `cpus` gives the process CPU time over the
// timed window divided by its wall time (2.0 = both cores busy), which shows
// spinning threads. The Boost.Fiber variants are timed the same way for
// uniformity (they run on the benchmark thread's own main fiber, fib27 on a
// thread of its own). Boost.Fiber's stacks come from its pooled allocator,
// see kFiberStack. gort::run and its threads' start-up are outside the
// timed window; every operation is checked (counts, echoed values, fib's
// result).
#include <benchmark/benchmark.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/fiber/all.hpp>
#include <boost/version.hpp>

#include "gort/gort.hpp"

namespace {

constexpr int kSpawnBatch = 1000;  // spawns between two waits
constexpr int kFibN = 27;
constexpr int kFibResult = 196418;  // fib(27)
constexpr std::int64_t kSkynetSize = 1000000;
constexpr std::int64_t kSkynetResult = 499999500000;  // 0 + 1 + ... + 999999

using Clock = std::chrono::steady_clock;

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Window: wall and process CPU time of one timed batch.
struct Window {
  double wall = 0;
  double cpu = 0;
  bool ok = true;  // the batch's own check passed
};

template <class F>
Window timed(F&& f) {
  Window w;
  const double c0 = process_cpu_seconds();
  const auto t0 = Clock::now();
  w.ok = f();
  const auto t1 = Clock::now();
  w.cpu = process_cpu_seconds() - c0;
  w.wall = std::chrono::duration<double>(t1 - t0).count();
  return w;
}

// report: on the benchmark's own thread, after the batch: spread its time
// over the State loop's iterations (see the top comment).
void report(benchmark::State& state, const Window& w, const char* what) {
  if (!w.ok) {
    state.SkipWithError(what);
    return;
  }
  const double per = w.wall / static_cast<double>(state.max_iterations);
  for (auto _ : state) state.SetIterationTime(per);
  state.counters["cpus"] = w.wall > 0 ? w.cpu / w.wall : 0;
}

// ---- gort ------------------------------------------------------------------

// in_gort(state, procs, body): gort::run with `procs` Ps; body(n) runs in the
// main goroutine and returns the timed Window of n operations.
template <class Body>
void in_gort(benchmark::State& state, int procs, const char* what, Body body) {
  const std::int64_t n = state.max_iterations;
  Window w;
  gort::Config cfg;
  cfg.procs = procs;
  gort::run([&] { w = body(n); }, cfg);
  report(state, w, what);
}

// gort_spawn_n: n goroutines in batches, each doing wg.done(); true if every
// one ran.
bool gort_spawn_n(std::int64_t n) {
  std::atomic<std::int64_t> ran{0};
  gort::WaitGroup wg;
  for (std::int64_t i = 0; i < n; ++i) {
    wg.add(1);
    gort::go([&wg, &ran] {
      ran.fetch_add(1, std::memory_order_relaxed);
      wg.done();
    });
    if ((i + 1) % kSpawnBatch == 0) wg.wait();
  }
  wg.wait();
  return ran.load() == n;
}

void spawn_on(benchmark::State& state, int procs) {
  in_gort(state, procs, "not every goroutine ran", [](std::int64_t n) {
    gort_spawn_n(4 * kSpawnBatch);  // warm-up: the second M, stacks, G structs
    return timed([n] { return gort_spawn_n(n); });
  });
}

void gort_spawn(benchmark::State& state) { spawn_on(state, 2); }
// For context: the same on one P (no thief, no wake-ups, no cache lines
// crossing CPUs), against which spawn on 2 Ps shows what the second P adds.
void gort_spawn1(benchmark::State& state) { spawn_on(state, 1); }

Window gort_pingpong_n(std::int64_t n) {
  gort::chan<std::int64_t> ping, pong;
  gort::go([ping, pong] {
    while (auto v = ping.recv()) pong.send(*v);
  });
  for (int i = 0; i < 1000; ++i) {  // warm-up: the echo goroutine's first run
    ping.send(i);
    pong.recv();
  }
  Window w = timed([&] {
    bool ok = true;
    for (std::int64_t i = 0; i < n; ++i) {
      ping.send(i);
      ok &= *pong.recv() == i;
    }
    return ok;
  });
  ping.close();
  return w;
}

void gort_pingpong(benchmark::State& state) { in_gort(state, 1, "wrong value echoed", gort_pingpong_n); }
void gort_pingpong2(benchmark::State& state) { in_gort(state, 2, "wrong value echoed", gort_pingpong_n); }

void gort_yield(benchmark::State& state) {
  in_gort(state, 1, "", [](std::int64_t n) {
    for (int i = 0; i < 1000; ++i) gort::yield();
    return timed([n] {
      for (std::int64_t i = 0; i < n; ++i) gort::yield();
      return true;
    });
  });
}

// Two goroutines take turns until they have yielded n times between them;
// ns per yield. The check: the peer had at least a third of the turns.
void gort_yield2(benchmark::State& state) {
  in_gort(state, 1, "the goroutines did not take turns", [](std::int64_t n) {
    std::atomic<bool> stop{false};
    std::atomic<std::int64_t> peer{0};
    gort::go([&stop, &peer] {
      while (!stop.load(std::memory_order_relaxed)) {
        peer.fetch_add(1, std::memory_order_relaxed);
        gort::yield();
      }
    });
    for (int i = 0; i < 1000; ++i) gort::yield();
    Window w = timed([&] {
      const std::int64_t p0 = peer.load();
      std::int64_t mine = 0;
      while (mine + peer.load(std::memory_order_relaxed) - p0 < n) {
        gort::yield();
        ++mine;
      }
      return 2 * (peer.load() - p0) >= mine;
    });
    stop = true;
    return w;
  });
}

int gort_fib(int n) {
  if (n < 2) return n;
  int a = 0, b = 0;
  gort::WaitGroup wg;
  wg.add(2);
  gort::go([&a, &wg, n] {
    a = gort_fib(n - 1);
    wg.done();
  });
  gort::go([&b, &wg, n] {
    b = gort_fib(n - 2);
    wg.done();
  });
  wg.wait();
  return a + b;
}

void gort_skynet_node(gort::chan<std::int64_t> c, std::int64_t num, std::int64_t size) {
  if (size == 1) {
    c.send(num);
    return;
  }
  gort::chan<std::int64_t> rc;
  for (std::int64_t i = 0; i < 10; ++i)
    gort::go([rc, sub = num + i * (size / 10), size] { gort_skynet_node(rc, sub, size / 10); });
  std::int64_t sum = 0;
  for (int i = 0; i < 10; ++i) sum += *rc.recv();
  c.send(sum);
}

std::int64_t gort_skynet_root(std::int64_t size) {
  gort::chan<std::int64_t> c;
  gort::go([c, size] { gort_skynet_node(c, 0, size); });
  return *c.recv();
}

void gort_skynet(benchmark::State& state) {
  in_gort(state, 2, "wrong skynet sum", [](std::int64_t n) {
    gort_skynet_root(1000);  // warm-up
    return timed([n] {
      bool ok = true;
      for (std::int64_t i = 0; i < n; ++i) ok &= gort_skynet_root(kSkynetSize) == kSkynetResult;
      return ok;
    });
  });
}

void gort_fib27(benchmark::State& state) {
  in_gort(state, 2, "wrong fib(27)", [](std::int64_t n) {
    gort_fib(18);  // warm-up
    return timed([n] {
      bool ok = true;
      for (std::int64_t i = 0; i < n; ++i) ok &= gort_fib(kFibN) == kFibResult;
      return ok;
    });
  });
}

// ---- Boost.Fiber (one thread, round_robin) --------------------------------

namespace fibers = boost::fibers;

// Fiber stacks: 64 KiB (gort's default) from Boost's own pool, reused from
// fiber to fiber, as gort and Go reuse stacks. Boost.Fiber's default
// allocator (fixedsize_stack: a fresh 128 KiB malloc per fiber, which glibc
// serves with mmap/munmap or by growing and trimming the heap) made spawn
// ~24 us and fib(27) ~18 s on the development VM: a measure of glibc, not
// of the scheduler.
constexpr std::size_t kFiberStack = 64 * 1024;

bool fiber_spawn_n(fibers::pooled_fixedsize_stack& stacks, std::int64_t n) {
  std::int64_t ran = 0;
  std::vector<fibers::fiber> batch;
  batch.reserve(kSpawnBatch);
  for (std::int64_t i = 0; i < n; ++i) {
    batch.emplace_back(std::allocator_arg, stacks, [&ran] { ++ran; });
    if (batch.size() == kSpawnBatch) {
      for (auto& f : batch) f.join();
      batch.clear();
    }
  }
  for (auto& f : batch) f.join();
  return ran == n;
}

void boost_fiber_spawn(benchmark::State& state) {
  fibers::pooled_fixedsize_stack stacks(kFiberStack);
  fiber_spawn_n(stacks, 4 * kSpawnBatch);
  const std::int64_t n = state.max_iterations;
  report(state, timed([&stacks, n] { return fiber_spawn_n(stacks, n); }), "not every fiber ran");
}

void boost_fiber_pingpong(benchmark::State& state) {
  const std::int64_t n = state.max_iterations;
  fibers::unbuffered_channel<std::int64_t> ping, pong;
  fibers::fiber echo([&] {
    std::int64_t v;
    while (ping.pop(v) == fibers::channel_op_status::success) pong.push(v);
  });
  std::int64_t v = 0;
  for (int i = 0; i < 1000; ++i) {
    ping.push(i);
    pong.pop(v);
  }
  Window w = timed([&] {
    bool ok = true;
    for (std::int64_t i = 0; i < n; ++i) {
      ping.push(i);
      ok &= pong.pop(v) == fibers::channel_op_status::success && v == i;
    }
    return ok;
  });
  ping.close();
  echo.join();
  report(state, w, "wrong value echoed");
}

// The echo loop runs on a second thread's main fiber: every push wakes the
// other thread (Boost.Fiber's remote-ready path).
void boost_fiber_pingpong2(benchmark::State& state) {
  const std::int64_t n = state.max_iterations;
  fibers::unbuffered_channel<std::int64_t> ping, pong;
  std::thread echo([&] {
    std::int64_t v;
    while (ping.pop(v) == fibers::channel_op_status::success) pong.push(v);
  });
  std::int64_t v = 0;
  for (int i = 0; i < 1000; ++i) {
    ping.push(i);
    pong.pop(v);
  }
  Window w = timed([&] {
    bool ok = true;
    for (std::int64_t i = 0; i < n; ++i) {
      ping.push(i);
      ok &= pong.pop(v) == fibers::channel_op_status::success && v == i;
    }
    return ok;
  });
  ping.close();
  echo.join();
  report(state, w, "wrong value echoed");
}

void boost_fiber_yield(benchmark::State& state) {
  const std::int64_t n = state.max_iterations;
  for (int i = 0; i < 1000; ++i) boost::this_fiber::yield();
  report(state, timed([n] {
           for (std::int64_t i = 0; i < n; ++i) boost::this_fiber::yield();
           return true;
         }),
         "");
}

// LifoDispatchFirst: a Boost.Fiber scheduling algorithm for the fork-join
// benchmark: ready fibers run last-in first-out (depth first, as a
// recursion would, so few fibers are alive at once), except Boost's
// dispatcher fiber, which runs first whenever it is ready. The dispatcher
// is what frees terminated fibers (and their stacks); under a plain LIFO it
// sinks to the bottom of the queue and nothing is freed until the end.
class LifoDispatchFirst : public fibers::algo::algorithm {
 public:
  void awakened(fibers::context* ctx) noexcept override {
    if (ctx->is_context(fibers::type::dispatcher_context))
      dispatcher_ = ctx;
    else
      ready_.push_front(*ctx);
  }
  fibers::context* pick_next() noexcept override {
    if (fibers::context* d = dispatcher_) {
      dispatcher_ = nullptr;
      return d;
    }
    if (ready_.empty()) return nullptr;
    fibers::context* ctx = &ready_.front();
    ready_.pop_front();
    return ctx;
  }
  bool has_ready_fibers() const noexcept override { return dispatcher_ != nullptr || !ready_.empty(); }
  void suspend_until(std::chrono::steady_clock::time_point const& t) noexcept override {
    std::unique_lock<std::mutex> lk(mtx_);
    if (t == std::chrono::steady_clock::time_point::max())
      cnd_.wait(lk, [this] { return flag_; });
    else
      cnd_.wait_until(lk, t, [this] { return flag_; });
    flag_ = false;
  }
  void notify() noexcept override {
    {
      std::lock_guard<std::mutex> lk(mtx_);
      flag_ = true;
    }
    cnd_.notify_all();
  }

 private:
  fibers::scheduler::ready_queue_type ready_;
  fibers::context* dispatcher_ = nullptr;
  std::mutex mtx_;
  std::condition_variable cnd_;
  bool flag_ = false;
};

void boost_fiber_yield2(benchmark::State& state) {
  const std::int64_t n = state.max_iterations;
  bool stop = false;
  std::int64_t peer = 0;
  fibers::fiber f([&stop, &peer] {
    while (!stop) {
      ++peer;
      boost::this_fiber::yield();
    }
  });
  for (int i = 0; i < 1000; ++i) boost::this_fiber::yield();
  Window w = timed([&] {
    const std::int64_t p0 = peer;
    std::int64_t mine = 0;
    while (mine + peer - p0 < n) {
      boost::this_fiber::yield();
      ++mine;
    }
    return 2 * (peer - p0) >= mine;
  });
  stop = true;
  f.join();
  report(state, w, "the fibers did not take turns");
}

int fiber_fib(fibers::pooled_fixedsize_stack& stacks, int n) {
  if (n < 2) return n;
  int a = 0, b = 0;
  fibers::fiber fa(std::allocator_arg, stacks, [&stacks, &a, n] { a = fiber_fib(stacks, n - 1); });
  fibers::fiber fb(std::allocator_arg, stacks, [&stacks, &b, n] { b = fiber_fib(stacks, n - 2); });
  fa.join();
  fb.join();
  return a + b;
}

// Buffered (16), as in Boost.Fiber's own skynet example: a detached child
// may still be inside an unbuffered push when its parent, having taken the
// value, destroys the channel.
using SkynetChan = fibers::buffered_channel<std::int64_t>;

void fiber_skynet(fibers::pooled_fixedsize_stack& stacks, SkynetChan& c,
                  std::int64_t num, std::int64_t size) {
  if (size == 1) {
    c.push(num);
    return;
  }
  SkynetChan rc(16);
  for (std::int64_t i = 0; i < 10; ++i)
    fibers::fiber(std::allocator_arg, stacks, [&stacks, &rc, sub = num + i * (size / 10), size] {
      fiber_skynet(stacks, rc, sub, size / 10);
    }).detach();
  std::int64_t sum = 0, v = 0;
  for (int i = 0; i < 10; ++i) {
    rc.pop(v);
    sum += v;
  }
  c.push(sum);
}

std::int64_t fiber_skynet_root(fibers::pooled_fixedsize_stack& stacks, std::int64_t size) {
  SkynetChan c(16);
  fibers::fiber(std::allocator_arg, stacks, [&stacks, &c, size] { fiber_skynet(stacks, c, 0, size); }).detach();
  std::int64_t v = 0;
  c.pop(v);
  return v;
}

// skynet and fib27 run on a thread of their own, so that the benchmark
// thread keeps round_robin (a thread's algorithm is chosen once, before its
// first fiber).
void boost_fiber_skynet(benchmark::State& state) {
  const std::int64_t n = state.max_iterations;
  Window w;
  std::thread([&w, n] {
    fibers::use_scheduling_algorithm<LifoDispatchFirst>();
    fibers::pooled_fixedsize_stack stacks(kFiberStack);
    fiber_skynet_root(stacks, 1000);
    w = timed([&stacks, n] {
      bool ok = true;
      for (std::int64_t i = 0; i < n; ++i) ok &= fiber_skynet_root(stacks, kSkynetSize) == kSkynetResult;
      return ok;
    });
  }).join();
  report(state, w, "wrong skynet sum");
}

void boost_fiber_fib27(benchmark::State& state) {
  const std::int64_t n = state.max_iterations;
  Window w;
  std::thread([&w, n] {
    fibers::use_scheduling_algorithm<LifoDispatchFirst>();
    fibers::pooled_fixedsize_stack stacks(kFiberStack);
    fiber_fib(stacks, 18);
    w = timed([&stacks, n] {
      bool ok = true;
      for (std::int64_t i = 0; i < n; ++i) ok &= fiber_fib(stacks, kFibN) == kFibResult;
      return ok;
    });
  }).join();
  report(state, w, "wrong fib(27)");
}

void locked_add(benchmark::State& state) {
  alignas(64) static std::atomic<std::int64_t> word{0};
  for (auto _ : state) word.fetch_add(1, std::memory_order_relaxed);
  if (word.load() < state.iterations()) state.SkipWithError("lost adds");
}

// Registered pairwise so that peers run back to back.
BENCHMARK(gort_spawn)->UseManualTime();
BENCHMARK(gort_spawn1)->UseManualTime();
BENCHMARK(boost_fiber_spawn)->UseManualTime();
BENCHMARK(gort_pingpong)->UseManualTime();
BENCHMARK(boost_fiber_pingpong)->UseManualTime();
BENCHMARK(gort_pingpong2)->UseManualTime();
BENCHMARK(boost_fiber_pingpong2)->UseManualTime();
BENCHMARK(gort_yield)->UseManualTime();
BENCHMARK(boost_fiber_yield)->UseManualTime();
BENCHMARK(gort_yield2)->UseManualTime();
BENCHMARK(boost_fiber_yield2)->UseManualTime();
BENCHMARK(gort_skynet)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(boost_fiber_skynet)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(gort_fib27)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(boost_fiber_fib27)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(locked_add);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("boost_version", BOOST_LIB_VERSION);
  benchmark::AddCustomContext("boost_fiber_scheduler",
                              "round_robin on one thread; pingpong2: two threads; skynet, fib27: "
                              "LifoDispatchFirst on one thread");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
