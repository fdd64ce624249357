// stack.cpp: goroutine stacks and morestack segments.
//
// Every stack is a span from the OS with one guard page below it, so that an
// overflow faults instead of corrupting the neighbour. This is the simplest
// allocator that keeps the system-stack rule; size classes, per-P caches and
// the page heap come with the allocator work (issue #4) behind the same two
// entry points.
#include <atomic>

#include "os.hpp"
#include "runtime.hpp"

namespace gort::rt {

namespace {
std::atomic<std::int64_t> g_segments_live{0};
std::atomic<std::int64_t> g_segments_total{0};

std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) & ~(to - 1); }
}  // namespace

Stack stackalloc(std::size_t n) {
  GORT_SYSTEMSTACK();
  const std::size_t page = os::page_size();
  n = round_up(n, page);
  auto* base = static_cast<unsigned char*>(os::reserve(n + page));
  if (base == nullptr) fatal("stackalloc: out of memory allocating ", n, " bytes");
  os::protect_none(base, page);
  Stack s;
  s.lo = reinterpret_cast<std::uintptr_t>(base + page);
  s.hi = s.lo + n;
  return s;
}

void stackfree(Stack s) {
  GORT_SYSTEMSTACK();
  const std::size_t page = os::page_size();
  os::release(reinterpret_cast<void*>(s.lo - page), s.hi - s.lo + page);
}

std::int64_t segments_live() { return g_segments_live.load(std::memory_order_relaxed); }
std::int64_t segments_total() { return g_segments_total.load(std::memory_order_relaxed); }

namespace detail {
Stack segment_get(std::size_t n) {
  Stack s;
  systemstack([&] { s = stackalloc(n); });
  g_segments_live.fetch_add(1, std::memory_order_relaxed);
  g_segments_total.fetch_add(1, std::memory_order_relaxed);
  return s;
}

void segment_put(Stack s) {
  systemstack([&] { stackfree(s); });
  g_segments_live.fetch_sub(1, std::memory_order_relaxed);
}
}  // namespace detail

}  // namespace gort::rt
