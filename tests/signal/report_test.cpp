// Fatal signals end in a precise report and exit status 2: a fault in a
// goroutine names the signal, pc, fault address and goroutine, then its
// traceback and a line for every other goroutine; on a system stack it
// says which; SIGQUIT dumps every goroutine.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>

#include "gort_arch.h"
#include "sched.hpp"
#include "testutil.hpp"

namespace gort::test {
namespace {

using ::testing::ExitedWithCode;

// A fault in goroutine 2 while main (goroutine 1) waits on a channel: 2
// faults only once main is parked there (with another P, it could start
// and fault first, and the report would find main runnable).
// The faults these tests are about, built without UBSan's checks (with
// them, UBSan would report the undefined store or division first).
// The null pointer comes out of an empty asm the optimizer cannot see
// through: a store to a known null is undefined behaviour the compiler may
// drop (GCC 12 with -fsanitize=address dropped it, even through a volatile
// pointer variable, and goroutine 2 ended without a fault).
__attribute__((noinline, no_sanitize("undefined"))) void store_to_null() {
  volatile int* p = nullptr;
  asm volatile("" : "+r"(p));
  *p = 1;
}
// The operands are hidden from the optimizer (an asm that may change them),
// so the division is a real one (idiv) and is not folded.
[[maybe_unused]] __attribute__((noinline, no_sanitize("undefined"))) int divide(int a, int b) {
  asm volatile("" : "+r"(a), "+r"(b));
  return a / b;
}

template <class F>
void fault_in_goroutine_2(F fault) {
  run([fault] {
    chan<int> never;
    rt::G* main_g = rt::getg();
    go([fault, main_g] {
      while (main_g->status.load() != rt::Gstatus::waiting) yield();
      fault();
    });
    never.recv();
  });
}

TEST(ReportDeathTest, NullDereferenceInAGoroutine) {
  EXPECT_EXIT(fault_in_goroutine_2([] { store_to_null(); }), ExitedWithCode(2),
              "fatal: unexpected signal SIGSEGV at pc=0x[0-9a-f]+ addr=0x0 in goroutine 2\n"
              "\ngoroutine 2 \\[running\\]:\n(.|\n)*"
              "goroutine 1 \\[chan receive\\] \\(main\\)\n");
}

TEST(ReportDeathTest, SigbusInAGoroutine) {
  EXPECT_EXIT(fault_in_goroutine_2([] {
                char path[] = "/tmp/gort-sigbus-XXXXXX";
                int fd = mkstemp(path);
                unlink(path);
                if (fd < 0 || ftruncate(fd, 4096) != 0) std::_Exit(5);
                auto* p = static_cast<volatile char*>(mmap(nullptr, 4096, PROT_READ, MAP_SHARED, fd, 0));
                if (p == MAP_FAILED || ftruncate(fd, 0) != 0) std::_Exit(6);
                (void)p[0];  // beyond the end of the file now: SIGBUS
              }),
              ExitedWithCode(2), "fatal: unexpected signal SIGBUS at pc=0x[0-9a-f]+ addr=0x[0-9a-f]+ in goroutine 2\n");
}

// GORT_INT_DIV_SIGNAL (gort_arch.h, a regular expression): the signal a
// trapping division raises where that is not SIGFPE everywhere the suite
// runs (MIPS: SIGFPE from Linux, SIGTRAP from QEMU user-mode).
#ifndef GORT_INT_DIV_SIGNAL
#define GORT_INT_DIV_SIGNAL "SIGFPE"
#endif

TEST(ReportDeathTest, SigfpeInAGoroutine) {
#if GORT_INT_DIV_TRAPS
  const char* want = "fatal: unexpected signal " GORT_INT_DIV_SIGNAL
                     " at pc=0x[0-9a-f]+ addr=0x[0-9a-f]+ in goroutine 2\n";
#else
  // Integer division by zero does not trap on this CPU: the signal is sent.
  const char* want = "fatal: unexpected signal SIGFPE at pc=0x[0-9a-f]+ addr=0x[0-9a-f]+ in goroutine 2 "
                     "\\(sent by a process\\)\n";
#endif
  EXPECT_EXIT(fault_in_goroutine_2([] {
#if GORT_INT_DIV_TRAPS
                volatile int r = divide(7, 0);  // a real division (operands hidden: not folded)
                (void)r;
#else
                pthread_kill(pthread_self(), SIGFPE);
#endif
              }),
              ExitedWithCode(2), want);
}

TEST(ReportDeathTest, FaultOnTheSystemStackSaysSo) {
  EXPECT_EXIT(fault_in_goroutine_2([] { rt::systemstack([] { store_to_null(); }); }),
              ExitedWithCode(2),
              "fatal: unexpected signal SIGSEGV at pc=0x[0-9a-f]+ addr=0x0 on the system stack \\(g0 of M [0-9]+\\)\n"
              "\nsystem stack:\n");
}

TEST(ReportDeathTest, TracebackNoneIsTheMessageOnly) {
  EXPECT_EXIT(
      {
        setenv("GORTTRACEBACK", "none", 1);
        fault_in_goroutine_2([] { store_to_null(); });
      },
      ExitedWithCode(2), "fatal: unexpected signal SIGSEGV at pc=0x[0-9a-f]+ addr=0x0 in goroutine 2\n$");
}

// SIGQUIT: every goroutine, each with the function it is parked in.
extern "C" __attribute__((noinline)) void gort_test_parked_in_alpha(chan<int> c) {
  c.recv();
  asm volatile("" ::: "memory");
}
extern "C" __attribute__((noinline)) void gort_test_parked_in_beta() {
  sleep_for(std::chrono::hours(1));
  asm volatile("" ::: "memory");
}

TEST(ReportDeathTest, SigquitListsEveryGoroutineWithItsFrames) {
  EXPECT_EXIT(run([] {
                chan<int> c;
                go([c] { gort_test_parked_in_alpha(c); });
                go([] { gort_test_parked_in_beta(); });
                // Let both park.
                for (int i = 0; i < 100; ++i) sleep_for(std::chrono::milliseconds(1));
                kill(getpid(), SIGQUIT);
                c.recv();
              }),
              ExitedWithCode(2),
              "SIGQUIT: quit\n(.|\n)*"
              "goroutine 3 \\[sleep\\]:\n(.|\n)*gort_test_parked_in_beta(.|\n)*"
              "goroutine 2 \\[chan receive\\]:\n(.|\n)*gort_test_parked_in_alpha");
}

}  // namespace
}  // namespace gort::test
