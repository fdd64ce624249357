// scale_bench: a million live goroutines (issue #15). Peer: bench/go/scale.go,
// the same program in Go; tools/bench_scale.sh runs both and prints ratios.
//
//   gort_scale_bench spawn N
//     N goroutines spawned (smallest stack class), each parked on one
//     channel; when all are parked the channel is closed, and all are
//     joined. Measured from outside, whole process: wall time and max RSS
//     (start-up, the run and teardown included).
//   gort_scale_bench idle N
//     with N goroutines parked, the cost of a yield and of a channel
//     ping-pong between two other goroutines, on one P; prints ns per
//     operation. With
//     N = 0 and N = 10^6 the figures must match: nothing the scheduler does
//     per event may walk all goroutines.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <gort/gort.hpp>

namespace {

// spawn_parked: spawn n goroutines that park on gate (each calls
// joined.done() once gate is closed); returns when all n are parked.
void spawn_parked(long n, gort::chan<int> gate, gort::WaitGroup& joined) {
  gort::WaitGroup parked;
  for (long i = 0; i < n; ++i) {
    parked.add(1);
    joined.add(1);
    gort::go([gate, &parked, &joined] {
      parked.done();
      gate.recv();
      joined.done();
    });
  }
  parked.wait();
}

// spawn_park_join: spawn n goroutines that park on gate, close it, join them.
void spawn_park_join(long n, gort::chan<int> gate) {
  gort::WaitGroup joined;
  spawn_parked(n, gate, joined);
  gate.close();
  joined.wait();
}

double now_ns() {
  return double(std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::steady_clock::now().time_since_epoch())
                    .count());
}

// yield_ns: ns per gort::yield of one goroutine while another yields too.
double yield_ns(long iters) {
  gort::WaitGroup wg;
  wg.add(2);
  double t0 = now_ns();
  for (int k = 0; k < 2; ++k)
    gort::go([&wg, iters] {
      for (long i = 0; i < iters; ++i) gort::yield();
      wg.done();
    });
  wg.wait();
  return (now_ns() - t0) / double(2 * iters);
}

// pingpong_ns: ns per round trip of a value between two goroutines over
// two unbuffered channels.
double pingpong_ns(long iters) {
  gort::chan<int> ping, pong;
  gort::WaitGroup wg;
  wg.add(1);
  gort::go([ping, pong, iters, &wg] {
    for (long i = 0; i < iters; ++i) pong.send(*ping.recv());
    wg.done();
  });
  double t0 = now_ns();
  for (long i = 0; i < iters; ++i) {
    ping.send(int(i));
    pong.recv();
  }
  double t = now_ns() - t0;
  wg.wait();
  return t / double(iters);
}

}  // namespace

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "";
  long n = argc > 2 ? std::atol(argv[2]) : 1000000;
  gort::Config cfg;
  cfg.stack_size = 4096;  // the smallest class
  if (std::strcmp(mode, "spawn") == 0)
    return gort::run([n] { spawn_park_join(n, gort::chan<int>()); }, cfg);
  if (std::strcmp(mode, "idle") == 0) {
    // One P, as Go's peers of these two benchmarks (bench/go/
    // sched_bench_test.go): with two, each goroutine of the pair could have
    // a P of its own and a yield would return at once.
    cfg.procs = 1;
    return gort::run(
        [n] {
          gort::chan<int> gate;
          gort::WaitGroup joined;
          spawn_parked(n, gate, joined);
          // Warm up, then the best of 5 (the machine is shared).
          yield_ns(20000);
          pingpong_ns(20000);
          double y = 1e18, p = 1e18;
          for (int r = 0; r < 5; ++r) {
            double a = yield_ns(200000), b = pingpong_ns(100000);
            if (a < y) y = a;
            if (b < p) p = b;
          }
          std::printf("gort idle %ld parked: yield %.1f ns, ping-pong %.1f ns per round trip\n", n, y, p);
          gate.close();
          joined.wait();
        },
        cfg);
  }
  std::fprintf(stderr, "usage: gort_scale_bench spawn|idle N\n");
  return 2;
}
