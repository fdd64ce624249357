// parked_bench: resident memory per parked goroutine. Parks N goroutines on
// one channel and reports (RSS with them parked - RSS before) / N, for the
// stack size given (default: gort's default class). Peer: bench/go/parked.go.
//
//   gort_parked_bench [N=1000000] [stack_bytes=0 (default class)]
#include <cstdio>
#include <cstdlib>

#include <gort/gort.hpp>

int main(int argc, char** argv) {
  long n = argc > 1 ? std::atol(argv[1]) : 1000000;
  std::size_t stack = argc > 2 ? std::strtoul(argv[2], nullptr, 0) : 0;
  gort::Config cfg;
  cfg.procs = 2;
  cfg.stack_size = stack;
  return gort::run(
      [n, stack] {
        gort::chan<int> gate;
        gort::WaitGroup parked;
        std::size_t before = gort::mem_stats().resident;
        for (long i = 0; i < n; ++i) {
          parked.add(1);
          gort::go([gate, &parked] {
            parked.done();
            gate.recv();
          });
        }
        parked.wait();
        gort::MemStats m = gort::mem_stats();
        double per = double(m.resident - before) / double(n);
        std::printf("gort: %ld goroutines parked, stack %zu bytes: %.0f bytes RSS each (stacks in use %zu MiB)\n",
                    n, stack ? stack : std::size_t(64 * 1024), per, m.stack_inuse >> 20);
        gate.close();
        return 0;
      },
      cfg);
}
