// os_darwin.cpp: gort's OS port for darwin (macOS, x86-64 and arm64):
// memory, threads, clocks. Signals are in signal_darwin.cpp, the
// per-thread semaphores in sema_darwin.cpp, the profiler's timer and
// mappings in profile_darwin.cpp, the unwinder's list of images in
// objects_darwin.cpp.
//
// Built and linked here with zig's clang and macOS SDK headers; never run
// here (docs/PORTING.md says what that proves).
#include <limits.h>
#include <mach/mach.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "fatal.hpp"
#include "os.hpp"

namespace gort::os {

std::size_t page_size() {
  // 4 KiB on x86-64, 16 KiB on Apple silicon.
  static const std::size_t size = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

void* reserve(std::size_t n) {
  // darwin commits anonymous memory lazily and has no overcommit switch:
  // MAP_NORESERVE exists in its headers and does nothing.
  void* p = mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

void release(void* p, std::size_t n) {
  if (munmap(p, n) != 0) rt::fatal("munmap failed, errno ", errno);
}

void reset(void* p, std::size_t n) {
  // MAP_FIXED replaces the range atomically (no munmap/mmap window).
  if (mmap(p, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON | MAP_FIXED, -1, 0) != p)
    rt::fatal("mmap(MAP_FIXED) failed, errno ", errno);
}

// Guards: darwin has no page-table guard markers, so a guard is
// mprotect(PROT_NONE), a VM map entry of its own. darwin sets no small
// per-process limit on map entries like Linux's vm.max_map_count; ENOMEM
// here means the task's map or the address space ran out.
GuardKind guard_kind() { return GuardKind::protect; }

void guard_install(void* p, std::size_t n) {
  if (mprotect(p, n, PROT_NONE) != 0) {
    if (errno == ENOMEM) rt::fatal("mprotect of a guard page failed: out of memory mappings");
    rt::fatal("mprotect failed, errno ", errno);
  }
}

// guard_install_n: one mprotect per guard (no batched call here).
void guard_install_n(const MemRange* r, std::size_t k) {
  for (std::size_t i = 0; i < k; ++i) guard_install(r[i].p, r[i].n);
}

// prefault_n, prefault: nothing; no call here commits pages for less than
// the first write's fault costs.
void prefault_n(const MemRange*, std::size_t) {}
void prefault(void*, std::size_t) {}

void guard_remove(void* p, std::size_t n) {
  if (mprotect(p, n, PROT_READ | PROT_WRITE) != 0) rt::fatal("mprotect failed, errno ", errno);
}

// release_pages: which advice returns memory on darwin. MADV_DONTNEED only
// deactivates the pages (they stay the task's, contents kept); MADV_FREE
// lets the kernel take them when it wants, and they still count against
// the task until then. MADV_FREE_REUSABLE (Go's choice, sysUnusedOS) takes
// them out of the task's footprint (phys_footprint: what Activity Monitor,
// jetsam and resident_bytes below count) at once; the kernel reclaims them
// when it needs memory, so they read back as zeros or as the old bytes.
// Touching them again makes them count again. (Go also calls
// MADV_FREE_REUSE before reuse, for the kernel's accounting of reusable
// pages; gort has no "used again" hook, and the page fault accounts a
// touched page anyway.) Protections are kept: guards stay guards.
void release_pages(void* p, std::size_t n) {
  if (madvise(p, n, MADV_FREE_REUSABLE) == 0) return;
  if (madvise(p, n, MADV_FREE) != 0) rt::fatal("madvise failed, errno ", errno);
}

std::size_t resident_bytes() {
  // The footprint, not resident_size: pages released with
  // MADV_FREE_REUSABLE leave the first at once, the second only when the
  // kernel reclaims them. task_info is a Mach call on the thread's reply
  // port: no allocation.
  task_vm_info_data_t vm;
  mach_msg_type_number_t count = TASK_VM_INFO_COUNT;
  if (task_info(mach_task_self(), TASK_VM_INFO, reinterpret_cast<task_info_t>(&vm), &count) == KERN_SUCCESS &&
      count >= TASK_VM_INFO_REV1_COUNT)
    return static_cast<std::size_t>(vm.phys_footprint);
  mach_task_basic_info_data_t basic;
  count = MACH_TASK_BASIC_INFO_COUNT;
  if (task_info(mach_task_self(), MACH_TASK_BASIC_INFO, reinterpret_cast<task_info_t>(&basic), &count) !=
      KERN_SUCCESS)
    return 0;
  return static_cast<std::size_t>(basic.resident_size);
}

void current_stack(std::uintptr_t* lo, std::uintptr_t* hi) {
  // pthread_get_stackaddr_np is the top (highest address) of the stack.
  pthread_t self = pthread_self();
  *hi = reinterpret_cast<std::uintptr_t>(pthread_get_stackaddr_np(self));
  *lo = *hi - pthread_get_stacksize_np(self);
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
  // The clock Go reads (mach_absolute_time, scaled): monotonic, stopped
  // while the machine sleeps; read from the commpage, no system call.
  return static_cast<std::int64_t>(clock_gettime_nsec_np(CLOCK_UPTIME_RAW));
}

int ncpu() {
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
  // darwin refuses a size that is not a multiple of the page size (EINVAL)
  // or below PTHREAD_STACK_MIN.
  std::size_t pg = page_size();
  stack_size = (stack_size + pg - 1) / pg * pg;
  if (stack_size < PTHREAD_STACK_MIN) stack_size = PTHREAD_STACK_MIN;
  if (int err = pthread_attr_setstacksize(&attr, stack_size); err != 0)
    rt::fatal("newosproc: pthread_attr_setstacksize failed, errno ", err);
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
