// What gort promises about thread-bound state when goroutines migrate
// (gort.hpp, "Goroutines migrate between threads").
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "sched.hpp"
#include "testutil.hpp"

namespace gort::test {
namespace {

__attribute__((noinline)) int errno_now() { return errno; }

// Inside blocking(f), f keeps its thread, so errno set by a system call in
// f is still f's after it slept; when blocking returns, errno on the
// thread the goroutine continues on is the value f left, however many
// other goroutines set errno on other threads meanwhile and whether or not
// the P was handed off.
TEST(Errno, BlockingCallKeepsItsErrnoAndHandsItBack) {
  run(
      [] {
        std::atomic<bool> stop{false};
        WaitGroup busy;
        for (int i = 0; i < 3; ++i) {
          busy.add(1);
          go([&] {
            while (!stop.load()) {
              errno = 0;
              (void)open("/nonexistent/gort", O_RDONLY);  // ENOENT on this thread
              yield();
            }
            busy.done();
          });
        }
        const int n = 200 / kScale;
        for (int i = 0; i < n; ++i) {
          int inside = blocking([] {
            (void)read(-1, nullptr, 0);  // EBADF
            usleep(200);                 // long enough for sysmon to hand the P off
            return errno;
          });
          EXPECT_EQ(inside, EBADF) << "errno changed inside the blocking call";
          EXPECT_EQ(errno_now(), EBADF) << "errno after blocking() is not the call's";
        }
        stop = true;
        busy.wait();
      },
      Config{2});
}

// getg() after a park is the goroutine that parked, whichever thread it
// resumed on: the current G is read from the thread running now, never
// through a thread address computed before the switch (port.hpp,
// GORT_ARCH_TLS_G). Four goroutines on 2 Ps hand a token round a ring of
// channels and yield, so that they resume on either thread.
__attribute__((noinline)) int getg_loop(chan<int> in, chan<int> out, int n, int* moved) {
  int bad = 0;
  for (int i = 0; i < n; ++i) {
    rt::G* before = rt::getg();
    rt::M* m0 = before->m;  // the thread it parks on (gettid is Linux's only)
    int v = *in.recv();
    rt::G* mid = rt::getg();
    out.send(v + 1);
    yield();
    rt::G* after = rt::getg();
    bad += (before != mid) + (before != after);
    *moved += after->m != m0;  // resumed on another thread
  }
  return bad;
}

TEST(Getg, IsTheParkedGoroutineAfterItResumesOnAnyThread) {
  run(
      [] {
        constexpr int kG = 4;
        const int n = 20000 / kScale;
        // Buffered by one: the last token stays in ring[0] when all are done.
        chan<int> ring[kG] = {chan<int>(1), chan<int>(1), chan<int>(1), chan<int>(1)};
        std::atomic<int> bad{0}, moved{0};
        WaitGroup wg;
        for (int k = 0; k < kG; ++k) {
          wg.add(1);
          go([&, k] {
            int m = 0;
            bad += getg_loop(ring[k], ring[(k + 1) % kG], n, &m);
            moved += m;
            wg.done();
          });
        }
        ring[0].send(0);
        wg.wait();
        EXPECT_EQ(bad.load(), 0) << "getg() returned another goroutine after a park";
        ::testing::Test::RecordProperty("resumed_on_another_thread", moved.load());
      },
      Config{2});
}

#if defined(__cpp_exceptions)
// An exception leaving systemstack(f) lands back on the goroutine's stack
// with the goroutine as the current G (not g0).
TEST(Systemstack, ExceptionLeavesTheGoroutineCurrent) {
  run([] {
    rt::G* me = rt::getg();
    try {
      rt::systemstack([] { throw 42; });
    } catch (int v) {
      EXPECT_EQ(v, 42);
    }
    EXPECT_EQ(rt::getg(), me);
    yield();  // parks and resumes: only works as the goroutine
    sleep_for(std::chrono::milliseconds(1));
  });
}
#endif

}  // namespace
}  // namespace gort::test
