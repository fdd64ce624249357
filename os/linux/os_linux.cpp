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
// Rejected: process_madvise(PIDFD_SELF, iov[], MADV_GUARD_INSTALL) in
// batches (about 0.44 us instead of 0.56 us per one-page guard in earlier
// measurements: too little gain for a batched interface, and PIDFD_SELF
// needs a newer kernel than the markers do).

#ifndef MADV_GUARD_INSTALL  // Linux 6.13 uapi; older headers lack them
#define MADV_GUARD_INSTALL 102
#define MADV_GUARD_REMOVE 103
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
