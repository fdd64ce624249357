// malloc_check.cpp: the signal handler path allocates nothing and takes
// no lock. Every allocation function of the process goes through here; one
// called while the calling thread is inside gort's handler ends the
// process at once (exit status 99) with a message, so any test that makes
// the handler run (a crash report, a notified signal, a storm, a profiling
// tick) proves it. Where the tests are linked statically, pthread_mutex_lock
// is checked too: it is the lock libatomic takes for an atomic wider than
// the CPU's own (64-bit ones on MIPS32 and ARMv5), which a handler that
// interrupted its own thread inside it would wait on forever.
//
// Natively (dynamic linking) the functions are interposed: glibc calls its
// own malloc through the PLT too, so even an allocation inside libc is
// seen. Statically linked (emulated targets) they are wrapped with
// --wrap=malloc,...: every undefined reference in every object, libc.a's
// included, goes through __wrap_*.
//
// Not with ASan or TSan: they interpose malloc themselves (an interposer
// here would take their allocator away from them), and their own handling
// of a signal may allocate (ASan's unpoisoning before a noreturn call reads
// the thread's attributes with pthread_getattr_np, which allocates). The
// test below says so instead of passing.
#include <gtest/gtest.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdlib>

#include "race.hpp"
#include "signal.hpp"

#define GORT_MALLOC_CHECK (!GORT_RACE_ASAN && !GORT_RACE_TSAN)

namespace {
std::atomic<long> g_calls{0};

[[maybe_unused]] void check(const char* fn) {
  g_calls.fetch_add(1, std::memory_order_relaxed);
  if (!gort::rt::in_signal_handler()) return;
  static const char msg[] = "malloc_check: ";
  (void)!write(2, msg, sizeof msg - 1);
  std::size_t n = 0;
  while (fn[n]) ++n;
  (void)!write(2, fn, n);
  static const char tail[] = " called inside gort's signal handler\n";
  (void)!write(2, tail, sizeof tail - 1);
  _exit(99);
}

TEST(MallocCheck, EveryAllocationGoesThroughTheCheck) {
  if (!GORT_MALLOC_CHECK)
    GTEST_SKIP() << "built with ASan or TSan, which interpose malloc themselves: no allocation check in "
                    "gort's signal handler here (the other builds run it)";
  long before = g_calls.load();
  void* volatile p = std::malloc(24);
  std::free(p);
  EXPECT_GE(g_calls.load() - before, 2) << "malloc and free did not go through malloc_check.cpp";
}

}  // namespace

extern "C" {
#if !GORT_MALLOC_CHECK
#elif GORT_TEST_STATIC
void* __real_malloc(std::size_t);
void __real_free(void*);
void* __real_calloc(std::size_t, std::size_t);
void* __real_realloc(void*, std::size_t);
void* __wrap_malloc(std::size_t n) {
  check("malloc");
  return __real_malloc(n);
}
void __wrap_free(void* p) {
  check("free");
  __real_free(p);
}
void* __wrap_calloc(std::size_t n, std::size_t m) {
  check("calloc");
  return __real_calloc(n, m);
}
void* __wrap_realloc(void* p, std::size_t n) {
  check("realloc");
  return __real_realloc(p, n);
}
int __real_pthread_mutex_lock(pthread_mutex_t*);
int __wrap_pthread_mutex_lock(pthread_mutex_t* m) {
  check("pthread_mutex_lock");
  return __real_pthread_mutex_lock(m);
}
#elif defined(__APPLE__)
// darwin: these definitions are in the executable, so gort's calls (linked
// statically into it) bind to them; they allocate from libSystem's default
// zone. Calls made inside libSystem and libc++ do not come here.
}
#include <malloc/malloc.h>
extern "C" {
void* malloc(std::size_t n) {
  check("malloc");
  return malloc_zone_malloc(malloc_default_zone(), n);
}
void free(void* p) {
  check("free");
  if (p) malloc_zone_free(malloc_default_zone(), p);
}
void* calloc(std::size_t n, std::size_t m) {
  check("calloc");
  return malloc_zone_calloc(malloc_default_zone(), n, m);
}
void* realloc(void* p, std::size_t n) {
  check("realloc");
  return malloc_zone_realloc(malloc_default_zone(), p, n);
}
#else
void* __libc_malloc(std::size_t);
void __libc_free(void*);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* malloc(std::size_t n) {
  check("malloc");
  return __libc_malloc(n);
}
void free(void* p) {
  check("free");
  __libc_free(p);
}
void* calloc(std::size_t n, std::size_t m) {
  check("calloc");
  return __libc_calloc(n, m);
}
void* realloc(void* p, std::size_t n) {
  check("realloc");
  return __libc_realloc(p, n);
}
#endif
}
