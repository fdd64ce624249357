// os_solaris.cpp: gort's OS port for illumos and Solaris (amd64): memory,
// threads, clocks. Signals are in signal_solaris.cpp, the per-thread
// semaphores in sema_solaris.cpp, the profiler's timers in
// profile_solaris.cpp, the unwinder's list of objects in
// objects_solaris.cpp; what the port uses of the OS is declared in
// defs_solaris.hpp (no system header). Written to the documented
// interfaces and compiled here; never linked or run here
// (docs/PORTING.md).
#include <cstdint>

#include "defs_solaris.hpp"
#include "fatal.hpp"
#include "os.hpp"

namespace gort::os {

using namespace sol;

std::size_t page_size() {
  static const std::size_t size = static_cast<std::size_t>(sys_sysconf(kSC_PAGESIZE));
  return size;
}

void* reserve(std::size_t n) {
  // MAP_NORESERVE: no swap is reserved for the range up front (illumos
  // reserves swap for private writable mappings by default).
  void* p = sys_mmap(nullptr, n, kPROT_READ | kPROT_WRITE, kMAP_PRIVATE | kMAP_ANON | kMAP_NORESERVE, -1, 0);
  return reinterpret_cast<std::intptr_t>(p) == kMAP_FAILED ? nullptr : p;
}

void release(void* p, std::size_t n) {
  if (sys_munmap(p, n) != 0) rt::fatal("munmap failed, errno ", errno_value());
}

void reset(void* p, std::size_t n) {
  // MAP_FIXED replaces the range atomically (no munmap/mmap window).
  if (sys_mmap(p, n, kPROT_READ | kPROT_WRITE, kMAP_PRIVATE | kMAP_ANON | kMAP_NORESERVE | kMAP_FIXED, -1, 0) != p)
    rt::fatal("mmap(MAP_FIXED) failed, errno ", errno_value());
}

// Guards: no guard markers on illumos: mprotect(PROT_NONE), a segment of
// its own in the address space (illumos sets no small per-process limit on
// segments like Linux's vm.max_map_count).
GuardKind guard_kind() { return GuardKind::protect; }

void guard_install(void* p, std::size_t n) {
  if (sys_mprotect(p, n, kPROT_NONE) != 0) {
    int e = errno_value();
    if (e == kENOMEM || e == kEAGAIN) rt::fatal("mprotect of a guard page failed: out of memory mappings");
    rt::fatal("mprotect failed, errno ", e);
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
  if (sys_mprotect(p, n, kPROT_READ | kPROT_WRITE) != 0) rt::fatal("mprotect failed, errno ", errno_value());
}

// release_pages: memcntl(2) MC_ADVISE (what madvise(3C) calls). illumos'
// MADV_PURGE frees the pages at once and they read back as zeros; Oracle
// Solaris has no MADV_PURGE (EINVAL) and gets MADV_FREE, which frees them
// when memory is wanted (contents kept until then: madvise(3C)). Solaris'
// MADV_DONTNEED, unlike Linux's, only pages them out. Protections are kept:
// guards stay guards.
void release_pages(void* p, std::size_t n) {
  if (sys_memcntl(p, n, kMC_ADVISE, reinterpret_cast<void*>(std::intptr_t(kMADV_PURGE)), 0, 0) == 0) return;
  if (errno_value() != kEINVAL ||
      sys_memcntl(p, n, kMC_ADVISE, reinterpret_cast<void*>(std::intptr_t(kMADV_FREE)), 0, 0) != 0)
    rt::fatal("memcntl(MC_ADVISE) failed, errno ", errno_value());
}

std::size_t resident_bytes() {
  // /proc/self/psinfo (proc(5)): a binary psinfo_t; pr_rssize in KiB.
  int fd = sys_open("/proc/self/psinfo", kO_RDONLY);
  if (fd < 0) return 0;
  PsinfoHead ps{};
  long n = sys_read(fd, &ps, sizeof ps);
  sys_close(fd);
  if (n < static_cast<long>(sizeof ps)) return 0;
  return ps.pr_rssize * 1024;
}

void current_stack(std::uintptr_t* lo, std::uintptr_t* hi) {
  // thr_stksegment(3C): ss_sp is the high address of the calling thread's
  // stack, ss_size its size.
  StackT st{};
  if (sys_thr_stksegment(&st) != 0) rt::fatal("cannot read this thread's stack bounds");
  *hi = reinterpret_cast<std::uintptr_t>(st.ss_sp);
  *lo = *hi - st.ss_size;
}

void write_err(const char* s, std::size_t n) {
  while (n > 0) {
    long w = sys_write(2, s, n);
    if (w < 0) {
      if (errno_value() == kEINTR) continue;
      return;
    }
    s += w;
    n -= static_cast<std::size_t>(w);
  }
}

// gethrtime(3C): nanoseconds since an arbitrary time, monotonic, not set by
// anyone; async-signal-safe.
std::int64_t nanotime() { return sys_gethrtime(); }

int ncpu() {
  long n = sys_sysconf(kSC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

const char* getenv(const char* name) { return sys_getenv(name); }

void osyield() { sys_sched_yield(); }

void* newosproc(void (*fn)(void*), void* arg, std::size_t stack_size) {
  struct Start {
    void (*fn)(void*);
    void* arg;
    Sigset mask;
  };
  auto* st = new Start{fn, arg, {}};
  PthreadAttr attr;
  sys_pthread_attr_init(&attr);
  sys_pthread_attr_setstacksize(&attr, stack_size);
  // Block signals while the thread starts, so none arrives before the
  // thread has its runtime state; the thread restores the mask first thing.
  Sigset all, old;
  sigfill(&all);
  sys_pthread_sigmask(kSIG_SETMASK, &all, &old);
  st->mask = old;
  struct Boot {
    static void* main(void* p) {
      auto* st = static_cast<Start*>(p);
      Start s = *st;
      delete st;
      sys_pthread_sigmask(kSIG_SETMASK, &s.mask, nullptr);
      s.fn(s.arg);
      return nullptr;
    }
  };
  PthreadT tid = 0;
  int err = sys_pthread_create(&tid, &attr, &Boot::main, st);
  sys_pthread_sigmask(kSIG_SETMASK, &old, nullptr);
  sys_pthread_attr_destroy(&attr);
  if (err != 0) rt::fatal("newosproc: pthread_create failed, errno ", err);
  return reinterpret_cast<void*>(static_cast<std::uintptr_t>(tid));
}

namespace {
PthreadT thread_of(void* handle) { return static_cast<PthreadT>(reinterpret_cast<std::uintptr_t>(handle)); }
}  // namespace

void joinosproc(void* handle) {
  int err = sys_pthread_join(thread_of(handle), nullptr);
  if (err != 0) rt::fatal("joinosproc: pthread_join failed, errno ", err);
}

void detachosproc(void* handle) {
  int err = sys_pthread_detach(thread_of(handle));
  if (err != 0) rt::fatal("detachosproc: pthread_detach failed, errno ", err);
}

void exit(int code) { sys_exit(code); }

}  // namespace gort::os
