// malloc_count.cpp: counts allocations for the no-allocation tests.
//
// How (ELF; Mach-O below): the link wraps malloc and its siblings (-Wl,--wrap=malloc, ...; see
// tests/CMakeLists.txt), so every reference to them in the objects linked
// statically goes through __wrap_*, and operator new is replaced here so
// that the C++ library's allocations go through malloc too. In a static
// link (the emulated targets) that is every allocation in the process,
// libc's and libstdc++'s included; natively (libc.so) it is every one made
// by gort's code and the test's. Rejected: interposing malloc itself in
// the executable (a static link then carries two definitions of malloc)
// and glibc's malloc hooks (gone since 2.34).
#include "malloc_count.hpp"

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace {
std::atomic<long> g_count{0};
}

long malloc_count() { return g_count.load(); }

#if defined(__APPLE__)
// Mach-O linkers have no --wrap: the definitions below are in the
// executable, so gort's calls (linked statically into it, as is zig's
// libc++) bind to them; they allocate from libSystem's default zone, whose
// free() takes them back. Calls made inside libSystem do not come here.
#include <malloc/malloc.h>
extern "C" {
void* malloc(std::size_t n) {
  g_count.fetch_add(1, std::memory_order_relaxed);
  return malloc_zone_malloc(malloc_default_zone(), n);
}
void* calloc(std::size_t n, std::size_t m) {
  g_count.fetch_add(1, std::memory_order_relaxed);
  return malloc_zone_calloc(malloc_default_zone(), n, m);
}
void* realloc(void* p, std::size_t n) {
  g_count.fetch_add(1, std::memory_order_relaxed);
  return malloc_zone_realloc(malloc_default_zone(), p, n);
}
void* aligned_alloc(std::size_t a, std::size_t n) {
  g_count.fetch_add(1, std::memory_order_relaxed);
  return malloc_zone_memalign(malloc_default_zone(), a, n);
}
int posix_memalign(void** p, std::size_t a, std::size_t n) {
  g_count.fetch_add(1, std::memory_order_relaxed);
  *p = malloc_zone_memalign(malloc_default_zone(), a, n);
  return *p != nullptr ? 0 : 12;  // ENOMEM
}
}
#else
extern "C" {
void* __real_malloc(std::size_t n);
void* __real_calloc(std::size_t n, std::size_t m);
void* __real_realloc(void* p, std::size_t n);
void* __real_memalign(std::size_t a, std::size_t n);
void* __real_aligned_alloc(std::size_t a, std::size_t n);
int __real_posix_memalign(void** p, std::size_t a, std::size_t n);

void* __wrap_malloc(std::size_t n) {
  g_count.fetch_add(1, std::memory_order_relaxed);
  return __real_malloc(n);
}
void* __wrap_calloc(std::size_t n, std::size_t m) {
  g_count.fetch_add(1, std::memory_order_relaxed);
  return __real_calloc(n, m);
}
void* __wrap_realloc(void* p, std::size_t n) {
  g_count.fetch_add(1, std::memory_order_relaxed);
  return __real_realloc(p, n);
}
void* __wrap_memalign(std::size_t a, std::size_t n) {
  g_count.fetch_add(1, std::memory_order_relaxed);
  return __real_memalign(a, n);
}
void* __wrap_aligned_alloc(std::size_t a, std::size_t n) {
  g_count.fetch_add(1, std::memory_order_relaxed);
  return __real_aligned_alloc(a, n);
}
int __wrap_posix_memalign(void** p, std::size_t a, std::size_t n) {
  g_count.fetch_add(1, std::memory_order_relaxed);
  return __real_posix_memalign(p, a, n);
}
}
#endif

// operator new through malloc (counted above); the library's delete frees
// it with free.
void* operator new(std::size_t n) {
  if (void* p = std::malloc(n ? n : 1)) return p;
#if defined(__cpp_exceptions)
  throw std::bad_alloc();
#else
  std::abort();
#endif
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return std::malloc(n ? n : 1); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return std::malloc(n ? n : 1); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
