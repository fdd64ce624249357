// profiling.cpp: profile a program with gort's CPU profiler and read the
// profile with Go's pprof:
//
//   ./example_profiling cpu.pprof
//   go tool pprof -top example_profiling cpu.pprof   # where the CPU went
//   go tool pprof -tags cpu.pprof                    # per label
//
// Two goroutines burn CPU in two functions, each under a pprof label
// (worker=crc or worker=primes). The profiler samples every thread in
// proportion to its CPU time; the profile names the functions itself, so
// pprof needs nothing else to read it. check_profile.cmake runs this and
// checks pprof's view of the result.
#include <time.h>

#include <cstdint>
#include <cstdio>

#include <gort/gort.hpp>
#include <gort/profile.hpp>

// thread_cpu_ms: CPU time of the calling thread. The loops below never park,
// so each goroutine stays on its thread while it runs.
static double thread_cpu_ms() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// crc_work and count_primes: the two functions the profile must show.
__attribute__((noinline)) std::uint32_t crc_work(double ms) {
  std::uint32_t crc = ~0u;
  for (double t0 = thread_cpu_ms(); thread_cpu_ms() - t0 < ms;)
    for (int i = 0; i < 4096; ++i) {
      crc ^= static_cast<std::uint32_t>(i);
      for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
    }
  return ~crc;
}

__attribute__((noinline)) int count_primes(double ms) {
  int n = 0;
  for (double t0 = thread_cpu_ms(); thread_cpu_ms() - t0 < ms;)
    for (int c = 2; c < 3000; ++c) {
      bool prime = true;
      for (int d = 2; d * d <= c && prime; ++d) prime = c % d != 0;
      n += prime;
    }
  return n;
}

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : "cpu.pprof";
  const double ms = 300;  // CPU time per worker: about 30 samples each at 100 Hz
  int rc = gort::run([&] {
    if (!gort::profile::start_cpu(path)) return 1;
    gort::WaitGroup wg;
    wg.add(2);
    volatile std::uint32_t crc = 0;
    volatile int primes = 0;
    gort::go([&] {
      gort::profile::with_labels({{"worker", "crc"}}, [&] { crc = crc_work(ms); });
      wg.done();
    });
    gort::go([&] {
      gort::profile::with_labels({{"worker", "primes"}}, [&] { primes = count_primes(ms); });
      wg.done();
    });
    wg.wait();
    gort::profile::stop_cpu();  // returns once the file is complete
    return 0;
  });
  std::printf("profile written to %s\n", path);
  return rc;
}
