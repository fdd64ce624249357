// futex_linux.cpp: the one-word wait of gort's Linux port (futexsleep,
// futexwakeup), which core/lock_futex.cpp builds Lock and Note on. The
// port also has sema_linux.cpp for the kit's test of lock_sema.cpp
// (preset "sema"); CMake compiles one of the two.
#include <linux/futex.h>
#include <linux/posix_types.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>

#include "os.hpp"

namespace gort::os {

// futex passes the kernel the timespec of the system call it makes, never
// libc's: with -D_TIME_BITS=64 on a 32-bit target (Debian 13's armhf
// default, always so on musl >= 1.2) libc's timespec has a 64-bit tv_sec,
// and SYS_futex, which there reads two 32-bit longs, would see tv_sec's two
// halves (0 s 0 ns for any sleep under a second): every timed sleep would
// return at once and idle Ms would spin.
//
// Where the headers define SYS_futex_time64 (the 32-bit ABIs, Linux >= 5.1
// headers) we call it with two 64-bit fields and fall back to SYS_futex if
// it answers ENOSYS: kernels before 5.1 and QEMU user-mode before 5.0 (QEMU
// 7.2's qemu-arm and qemu-i386 implement it). SYS_futex takes two
// __kernel_long_t: 32 bits on 32-bit ABIs, 64 on 64-bit ones and on x32,
// whatever libc's time_t is.
// Rejected: choosing the layout by sizeof(time_t) (libc's choice, not the
// kernel's); a libc futex wrapper (glibc has none, musl's is internal).
namespace {

struct KernelTimespec {  // what SYS_futex reads (__kernel_old_timespec)
  __kernel_long_t tv_sec;
  __kernel_long_t tv_nsec;
};

#ifdef SYS_futex_time64
struct KernelTimespec64 {  // what SYS_futex_time64 reads (__kernel_timespec)
  std::int64_t tv_sec;
  std::int64_t tv_nsec;
};

// Set once futex_time64 has answered ENOSYS; from then on SYS_futex only.
std::atomic<bool> no_futex_time64{false};
#endif

// futex: the FUTEX_WAIT or FUTEX_WAKE op on addr, with a relative timeout
// of ns nanoseconds (ns < 0: none). Returns the system call's result.
long futex(std::uint32_t* addr, int op, std::uint32_t val, std::int64_t ns) {
  std::int64_t sec = ns / 1000000000, nsec = ns % 1000000000;
#ifdef SYS_futex_time64
  if (!no_futex_time64.load(std::memory_order_relaxed)) {
    KernelTimespec64 ts{sec, nsec};
    long r = syscall(SYS_futex_time64, addr, op, val, ns >= 0 ? &ts : nullptr, nullptr, 0);
    if (r >= 0 || errno != ENOSYS) return r;
    no_futex_time64.store(true, std::memory_order_relaxed);
  }
#endif
  // A 32-bit tv_sec ends after 68 years: clamp rather than wrap.
  constexpr std::int64_t kMaxSec = sizeof(__kernel_long_t) >= 8 ? INT64_MAX : INT32_MAX;
  KernelTimespec ts{static_cast<__kernel_long_t>(sec > kMaxSec ? kMaxSec : sec),
                    static_cast<__kernel_long_t>(nsec)};
  return syscall(SYS_futex, addr, op, val, ns >= 0 ? &ts : nullptr, nullptr, 0);
}

}  // namespace

void futexsleep(std::uint32_t* addr, std::uint32_t val, std::int64_t ns) {
  // FUTEX_PRIVATE_FLAG: the word is never shared with another process.
  // Errors (EAGAIN: *addr != val; ETIMEDOUT; EINTR) all mean "return".
  futex(addr, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, val, ns);
}

void futexwakeup(std::uint32_t* addr, std::uint32_t cnt) {
  futex(addr, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, cnt, -1);
}

}  // namespace gort::os
