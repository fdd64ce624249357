// thread_count.cpp: counts every pthread_create in the gort_core binary.
// The binary is linked with -Wl,--wrap=pthread_create (tests/CMakeLists.txt),
// so the linker sends each undefined reference to pthread_create (libgort.a's
// os::newosproc among them, dynamic or static link alike) here. A thread is
// counted before it exists, so one that starts and exits between two looks
// at /proc cannot be missed.
#include <pthread.h>

#include <atomic>

#include "thread_count.hpp"

namespace {
std::atomic<long> g_creates{0};
}

#if defined(__APPLE__)
// Mach-O linkers have no --wrap. This definition of pthread_create is in the
// executable, so the static link binds libgort.a's call to it; it reaches
// libSystem's through dlsym(RTLD_NEXT).
#include <dlfcn.h>

extern "C" int pthread_create(pthread_t* t, const pthread_attr_t* a, void* (*fn)(void*), void* arg) {
  using Fn = int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
  static Fn real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "pthread_create"));
  g_creates.fetch_add(1, std::memory_order_relaxed);
  return real(t, a, fn, arg);
}
#else
extern "C" int __real_pthread_create(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);

extern "C" int __wrap_pthread_create(pthread_t* t, const pthread_attr_t* a, void* (*fn)(void*),
                                     void* arg) {
  g_creates.fetch_add(1, std::memory_order_relaxed);
  return __real_pthread_create(t, a, fn, arg);
}
#endif

namespace gort::test {
long pthread_creates() { return g_creates.load(std::memory_order_relaxed); }
}  // namespace gort::test
