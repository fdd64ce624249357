// An idle runtime sleeps in the kernel: one goroutine sleeping in 10 ms
// steps for 0.6 s costs the process (every thread: the runtime's Ms and
// sysmon count, which is the point) less than a third of a CPU.
//
// The bug this catches: a futex timeout the kernel reads as zero (libc's
// 64-bit-time_t timespec passed to the 32-bit-time SYS_futex, as in a
// -D_TIME_BITS=64 build for i386 or arm) turns every timed sleep into a busy
// loop. Measured under qemu-arm and qemu-i386 with that bug: 0.6 to 1.0
// CPUs, with threads or without. With sleeps that sleep: 0.01 to 0.03 CPUs
// natively, 0.02 to 0.04 under QEMU, whose own work for the 100 wake-ups a
// second (the timer's M and sysmon) counts into the process's CPU time. A
// third of a CPU is ten times the healthy figures, so emulation or a busy
// machine (which lengthens the wall time, not the CPU time) cannot make a
// correct runtime fail. This binary's tests run serially
// (tests/CMakeLists.txt), so that the suite's own load does not starve a
// spinning M into looking idle.
#if defined(__linux__)
#include <sys/prctl.h>
#endif
#include <sys/resource.h>

#include <cstdio>
#include <ctime>

#include "testutil.hpp"

namespace gort::test {
namespace {

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

// idle_cpu_fraction: process CPU time per wall-clock time while the main
// goroutine sleeps in 10 ms steps for 0.6 s.
double idle_cpu_fraction(Config cfg) {
  // Timer slack 1 ns for this thread and the threads it starts: with the
  // default 50 us the kernel stretches a zero timeout into a nap of up to
  // 50 us, and a spinning M looks half idle. Real sleeps cost the same.
#if defined(__linux__)
  int old_slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
  prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0);
#endif
  double frac = -1;
  run(
      [&] {
        // Warm up: under QEMU the first pass through the sleep and wake-up
        // paths pays for translating them.
        for (int i = 0; i < 5; ++i) sleep_for(std::chrono::milliseconds(10));
        double c0 = cpu_seconds();
        auto t0 = Clock::now();
        while (Clock::now() - t0 < std::chrono::milliseconds(600)) sleep_for(std::chrono::milliseconds(10));
        double c1 = cpu_seconds();
        double wall = std::chrono::duration<double>(Clock::now() - t0).count();
        frac = (c1 - c0) / wall;
        std::printf("idle runtime (%s, %d-bit time_t): %.1f ms of CPU in %.0f ms = %.3f CPUs\n",
                    cfg.threads ? "threads" : "no threads", int(sizeof(std::time_t) * 8),
                    (c1 - c0) * 1e3, wall * 1e3, frac);
      },
      cfg);
#if defined(__linux__)
  if (old_slack > 0) prctl(PR_SET_TIMERSLACK, old_slack, 0, 0, 0);
#endif
  return frac;
}

TEST(Idle, SleepingRuntimeUsesLittleCpu) { EXPECT_LT(idle_cpu_fraction(Config{2}), 1.0 / 3); }

TEST(Idle, SleepingRuntimeWithoutThreadsUsesLittleCpu) {
  EXPECT_LT(idle_cpu_fraction(Config{1, false}), 1.0 / 3);
}

}  // namespace
}  // namespace gort::test
