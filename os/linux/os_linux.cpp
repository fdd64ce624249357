// os_linux.cpp: gort's OS port for Linux (glibc or musl).
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <fcntl.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>

#include "fatal.hpp"
#include "os.hpp"

namespace gort::os {

std::size_t page_size() {
  static const std::size_t size = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

void* reserve(std::size_t n) {
  void* p = mmap(nullptr, n, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

void release(void* p, std::size_t n) {
  if (munmap(p, n) != 0) rt::fatal("munmap failed, errno ", errno);
}

void reset(void* p, std::size_t n) {
  // MAP_FIXED replaces the range atomically: no other thread can map
  // anything into it meanwhile, as between a munmap and a new mmap.
  if (mmap(p, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) != p)
    rt::fatal("mmap(MAP_FIXED) failed, errno ", errno);
}

// Guards. Linux 6.13+ has guard markers: madvise(MADV_GUARD_INSTALL) writes
// a marker into the page table entries of the range; it splits no mapping
// (VMA) and commits no memory, and MADV_GUARD_REMOVE clears the markers and
// leaves every other page of a range as it was. MADV_DONTNEED (the
// scavenger's release_pages) keeps the markers: a guard still faults after
// it (checked on 6.18), so stack spans remove their guards before they go
// back to the heap; nothing relies on the scavenger to clear them.
// Elsewhere guards are mprotect(PROT_NONE): each one its own mapping.
//
// Measured natively on 6.18 (x86-64, CPU time per call, 30k stacks, busy
// machine): MADV_GUARD_INSTALL 1.5 us for a one-page guard, 2.4 us for 64
// KiB; mprotect 3.7 us per guard (4.7 us with 300k stacks: the mapping tree
// grows) and two mappings per stack. Removing a span's guards in one call
// costs about 1 us per guard either way. 10^4 guarded 16 KiB stacks add 0
// or 1 line to /proc/self/maps with markers, 20018 with mprotect; 10^6
// goroutines parked on 4 KiB stacks add 22 mappings instead of 2000009.
// Batches (guard_install_n, prefault_n): process_madvise(PIDFD_SELF, iov[],
// advice) takes up to 1024 ranges per call, any advice when the process
// advises itself (6.13), PIDFD_SELF needing 6.14. For guards alone it gains
// little (about 0.44 us instead of 0.56 us per one-page guard); what it
// pays for is prefaulting: on the 2-CPU VM here a first-touch page fault
// costs about 21 us of CPU and MADV_POPULATE_WRITE through one batched call
// about 1 us per page (3 us with one madvise per page), and a new stack span
// writes to the top page of every one of its stacks. Where the batched call
// is refused (older kernels, seccomp, QEMU's ENOSYS) guards go one madvise
// or mprotect each and prefaulting is skipped: one call per page would cost
// about what a fault costs on real hardware. Rejected: pidfd_open(getpid())
// for 6.13 (an fd the program could close or dup over under us).

#ifndef MADV_GUARD_INSTALL  // Linux 6.13 uapi; older headers lack them
#define MADV_GUARD_INSTALL 102
#define MADV_GUARD_REMOVE 103
#endif
#ifndef MADV_POPULATE_WRITE  // Linux 5.14
#define MADV_POPULATE_WRITE 23
#endif

namespace {

enum : int { kGuardUnknown, kGuardMarker, kGuardProtect };
std::atomic<int> guard_mode{kGuardUnknown};
// What guard_remove must undo: markers, mprotect, or both (after a switch).
std::atomic<bool> guards_marked{false}, guards_protected{false};

// markers_fault: whether a guard marker on a fresh page really makes the
// kernel fail to read it. Decided by the effect, never by madvise's return
// code: QEMU user-mode (7.2) returns 0 for MADV_GUARD_INSTALL and installs
// nothing (and answers process_vm_readv with ENOSYS); kernels before 6.13
// reject the advice with EINVAL; a seccomp filter may refuse
// process_vm_readv (EPERM). Anything but EFAULT: use mprotect, which works
// everywhere.
bool markers_fault() {
  std::size_t pg = page_size();
  void* p = mmap(nullptr, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return false;
  bool faults = false;
  if (madvise(p, pg, MADV_GUARD_INSTALL) == 0) {
    char b;
    iovec local{&b, 1}, remote{p, 1};
    faults = process_vm_readv(getpid(), &local, 1, &remote, 1, 0) < 0 && errno == EFAULT;
  }
  munmap(p, pg);
  return faults;
}

void protect_guard(void* p, std::size_t n) {
  guards_protected.store(true, std::memory_order_relaxed);
  if (mprotect(p, n, PROT_NONE) != 0) {
    if (errno == ENOMEM)
      rt::fatal("mprotect of a guard page failed: too many memory mappings "
                "(see /proc/sys/vm/max_map_count)");
    rt::fatal("mprotect failed, errno ", errno);
  }
}

// Batched advice (process_madvise on ourselves): unknown until a call
// succeeds or is refused; refused for good on errors that say the call or
// PIDFD_SELF is missing or forbidden.
constexpr int kPidfdSelf = -10000;  // PIDFD_SELF (Linux 6.14 uapi)
std::atomic<bool> batch_refused{false};

// madvise_batch: advice over r[0..k), 64 ranges per call (the kernel takes
// up to UIO_MAXIOV, 1024; 64 keep the array small on a system stack and
// cover a stack span). Returns how many leading ranges were advised
// entirely: k, or fewer with *err the error of the next one.
__attribute__((noinline)) std::size_t madvise_batch(const MemRange* r, std::size_t k, int advice, int* err) {
  *err = ENOSYS;
#ifdef SYS_process_madvise
  constexpr std::size_t kBatch = 64;
  iovec iov[kBatch];
  std::size_t done = 0;
  while (done < k && !batch_refused.load(std::memory_order_relaxed)) {
    std::size_t m = k - done < kBatch ? k - done : kBatch, bytes = 0;
    for (std::size_t i = 0; i < m; ++i) {
      iov[i] = iovec{r[done + i].p, r[done + i].n};
      bytes += r[done + i].n;
    }
    long got = syscall(SYS_process_madvise, kPidfdSelf, iov, m, advice, 0);
    if (got < 0) {
      *err = errno;
      // The call or PIDFD_SELF missing (ENOSYS, EBADF: before 6.14; QEMU),
      // forbidden (EPERM: seccomp), or the advice refused through it
      // (EINVAL before 6.13; for guards EINVAL may also be locked memory,
      // which guard_install_n sorts out).
      if (*err == ENOSYS || *err == EBADF || *err == EPERM || *err == ESRCH ||
          (*err == EINVAL && advice != MADV_GUARD_INSTALL))
        batch_refused.store(true, std::memory_order_relaxed);
      return done;
    }
    if (static_cast<std::size_t>(got) == bytes) {
      done += m;
      continue;
    }
    // A short count: the kernel stopped inside a range; ask again from that
    // range, to get its error (advice over a range is idempotent).
    std::size_t i = 0;
    for (std::size_t sum = 0; i < m && sum + r[done + i].n <= static_cast<std::size_t>(got); ++i)
      sum += r[done + i].n;
    done += i;
  }
  return done;
#else
  (void)r;
  (void)advice;
  return k - k;
#endif
}

}  // namespace

GuardKind guard_kind() {
  int m = guard_mode.load(std::memory_order_acquire);
  if (m == kGuardUnknown) {
    // Threads racing here probe twice and agree.
    m = markers_fault() ? kGuardMarker : kGuardProtect;
    int expect = kGuardUnknown;
    if (!guard_mode.compare_exchange_strong(expect, m)) m = expect;
  }
  return m == kGuardMarker ? GuardKind::marker : GuardKind::protect;
}

void guard_install(void* p, std::size_t n) {
  if (guard_kind() == GuardKind::marker) {
    guards_marked.store(true, std::memory_order_relaxed);
    if (madvise(p, n, MADV_GUARD_INSTALL) == 0) return;
    // EINVAL: the mapping is locked (mlockall after the probe): markers are
    // refused there, PROT_NONE is not. From now on this process uses
    // mprotect; guard_remove undoes both.
    if (errno != EINVAL) rt::fatal("madvise(MADV_GUARD_INSTALL) failed, errno ", errno);
    guard_mode.store(kGuardProtect, std::memory_order_release);
  }
  protect_guard(p, n);
}

void guard_install_n(const MemRange* r, std::size_t k) {
  std::size_t done = 0;
  while (done < k) {
    int err = 0;
    if (guard_kind() == GuardKind::marker && !batch_refused.load(std::memory_order_relaxed)) {
      guards_marked.store(true, std::memory_order_relaxed);
      done += madvise_batch(r + done, k - done, MADV_GUARD_INSTALL, &err);
      if (done == k) return;
    }
    // No batches, or this range refused in one: alone, through
    // guard_install, which turns to mprotect if memory was locked since the
    // probe (EINVAL). A marker that madvise installs where the batch said
    // EINVAL means the batched call is what is refused.
    guard_install(r[done].p, r[done].n);
    if (err == EINVAL && guard_kind() == GuardKind::marker) batch_refused.store(true, std::memory_order_relaxed);
    ++done;
  }
}

void prefault_n(const MemRange* r, std::size_t k) {
  int err;
  if (!batch_refused.load(std::memory_order_relaxed)) madvise_batch(r, k, MADV_POPULATE_WRITE, &err);
}

void prefault(void* p, std::size_t n) {
  // Errors ignored: EINVAL before 5.14, ENOMEM to come back at the write.
  // (QEMU 7.2 returns 0 and commits nothing: the writes fault, as before.)
  int e = errno;
  madvise(p, n, MADV_POPULATE_WRITE);
  errno = e;
}

void guard_remove(void* p, std::size_t n) {
  // MADV_GUARD_REMOVE, unlike install, is accepted on locked mappings.
  if (guards_marked.load(std::memory_order_relaxed) && madvise(p, n, MADV_GUARD_REMOVE) != 0)
    rt::fatal("madvise(MADV_GUARD_REMOVE) failed, errno ", errno);
  // One call for a whole span: the kernel merges the mappings back.
  if (guards_protected.load(std::memory_order_relaxed) && mprotect(p, n, PROT_READ | PROT_WRITE) != 0)
    rt::fatal("mprotect failed, errno ", errno);
}

void release_pages(void* p, std::size_t n) {
  // MADV_DONTNEED drops the pages at once (RSS falls now); MADV_FREE would
  // leave them counted until the kernel needs memory.
  if (madvise(p, n, MADV_DONTNEED) != 0) rt::fatal("madvise failed, errno ", errno);
}

std::size_t resident_bytes() {
  // /proc/self/statm: size resident shared text lib data dt, in pages.
  int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[128];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  const char* q = buf;
  while (*q && *q != ' ') ++q;
  std::size_t pages = 0;
  while (*q == ' ') ++q;
  while (*q >= '0' && *q <= '9') pages = pages * 10 + static_cast<std::size_t>(*q++ - '0');
  return pages * page_size();
}

void current_stack(std::uintptr_t* lo, std::uintptr_t* hi) {
  // Called on the thread itself: glibc reads /proc/self/maps for the main
  // thread, which may allocate; that is allowed here (see os.hpp).
  pthread_attr_t attr;
  void* addr = nullptr;
  std::size_t size = 0;
  if (pthread_getattr_np(pthread_self(), &attr) != 0 ||
      pthread_attr_getstack(&attr, &addr, &size) != 0)
    rt::fatal("cannot read this thread's stack bounds");
  pthread_attr_destroy(&attr);
  *lo = reinterpret_cast<std::uintptr_t>(addr);
  *hi = *lo + size;
}

void write_err(const char* s, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(2, s, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;
    }
    s += w;
    n -= static_cast<std::size_t>(w);
  }
}

std::int64_t nanotime() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

int ncpu() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

const char* getenv(const char* name) { return ::getenv(name); }

void osyield() { sched_yield(); }

void* newosproc(void (*fn)(void*), void* arg, std::size_t stack_size) {
  struct Start {
    void (*fn)(void*);
    void* arg;
    sigset_t mask;
  };
  auto* st = new Start{fn, arg, {}};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, stack_size);
  // Block signals while the thread starts, so none arrives before the
  // thread has its runtime state; the thread restores the mask first thing.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  st->mask = old;
  struct Boot {
    static void* main(void* p) {
      auto* st = static_cast<Start*>(p);
      Start s = *st;
      delete st;
      pthread_sigmask(SIG_SETMASK, &s.mask, nullptr);
      s.fn(s.arg);
      return nullptr;
    }
  };
  pthread_t tid;
  int err = pthread_create(&tid, &attr, &Boot::main, st);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  pthread_attr_destroy(&attr);
  if (err != 0) rt::fatal("newosproc: pthread_create failed, errno ", err);
  static_assert(sizeof(pthread_t) <= sizeof(void*), "pthread_t fits a pointer");
  return reinterpret_cast<void*>(tid);
}

void joinosproc(void* handle) {
  int err = pthread_join(reinterpret_cast<pthread_t>(handle), nullptr);
  if (err != 0) rt::fatal("joinosproc: pthread_join failed, errno ", err);
}

void detachosproc(void* handle) {
  int err = pthread_detach(reinterpret_cast<pthread_t>(handle));
  if (err != 0) rt::fatal("detachosproc: pthread_detach failed, errno ", err);
}

void exit(int code) { ::_exit(code); }

}  // namespace gort::os
