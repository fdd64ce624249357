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
