// stack.cpp: goroutine stacks and morestack segments (see malloc.hpp).
//
// A stack span of class c is nslots slots of [guard | stack of
// class_size(c)], the guards installed once when the span is carved. Free
// slots are linked through the top word of their stack, in the span (pools)
// or in a per-P cache. A stack's span is found with spanof(), so stackfree
// needs nothing but the stack.
//
// Guard size. A frame larger than the guard can jump it: a function whose
// frame is bigger than the free stack left moves sp past the guard and may
// write its lowest bytes into the stack below, another goroutine's, without
// any fault. Two defences:
//   - gort::gort makes its users compile with -fstack-clash-protection (a
//     public usage requirement): such code probes its frame page by page and
//     faults in the first guard page. GCC on arm64 probes only frames of
//     about 64 KiB and more, because it assumes a 64 KiB guard; GCC 12 on
//     riscv64 accepts the flag and probes nothing (newer GCCs do).
//   - the guard is large where that is cheap, so that code built without
//     the flag (prebuilt libraries) is caught in practice too.
// The cost of a guard's size does not depend on the mechanism (os.hpp): a
// marker guard is no mapping, an mprotect guard is one mapping whatever its
// size, and neither is ever committed. What a larger guard costs is address
// space, plus the page-table entries and the heap's page-map entries over it
// (8 bytes each per 4 KiB, since the stacks around it are in use). Measured
// with 10^6 goroutines parked on 4 KiB stacks (Linux 6.18, x86-64): with a
// 64 KiB guard 4545 bytes of RSS each (4407 with one page: the page map) and
// 137 bytes of page tables (17), so about 260 bytes per goroutine. So:
//   64-bit CPUs: 64 KiB (at least a page). Address space is plentiful (10^6
//     goroutines take 68 GiB of the 128 TiB), arm64's GCC needs it for
//     -fstack-clash-protection to hold, and it catches unprobed frames up to
//     about 64 KiB, which covers the common big local buffers.
//   32-bit CPUs: one page. Address space (2-4 GiB) is what limits the
//     number of goroutines there: a 64 KiB guard would cut it by 8 for 4 KiB
//     stacks. Only probed code is safe from big frames there.
// Rejected: a guard proportional to the stack class (big stacks' frames are
// not bigger), and one size for all pointer sizes (either arm64's flag is
// unsound or 32-bit processes lose most of their goroutines).
#include <atomic>
#include <set>

#include "malloc.hpp"
#include "os.hpp"
#include "sched.hpp"

namespace gort::rt {

namespace {

std::atomic<std::int64_t> g_segments_live{0};
std::atomic<std::int64_t> g_segments_total{0};
std::atomic<std::int64_t> g_inuse_bytes{0};
std::atomic<std::int64_t> g_inuse_count{0};
std::atomic<std::int64_t> g_spans{0};

Lock pool_lock;
Span* pool[kNumStackClasses] = {};  // stack spans with free slots, per class

// valgrind's stack ids (race.hpp): a span's slots get consecutive ones,
// registered under this lock, which every registration here takes.
Lock vg_lock;

unsigned register_slots(Span* s, std::size_t slot, std::size_t guard, std::uint32_t n) {
  if (!race::on_valgrind()) return 0;
  LockGuard l(vg_lock);
  unsigned first = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    std::uintptr_t lo = s->base + i * slot + guard;
    unsigned id = race::stack_register(lo, lo + slot - guard);
    if (i == 0) first = id;
    if (id != first + i) fatal("valgrind: stack ids not consecutive");
  }
  return first;
}

void deregister_slots(Span* s, std::uint32_t n) {
  if (!race::on_valgrind()) return;
  LockGuard l(vg_lock);
  for (std::uint32_t i = 0; i < n; ++i) race::stack_deregister(s->stack_id + i);
}

std::size_t min_class() {
  std::size_t p = heap_page();
  return p > 4096 ? p : 4096;
}

std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

std::uintptr_t& link(std::uintptr_t top) { return *reinterpret_cast<std::uintptr_t*>(top - sizeof(std::uintptr_t)); }

std::size_t slot_bytes(int c) { return stack_guard_bytes() + stack_class_size(c); }

std::uint32_t slots_per_span(int c) {
  std::size_t n = (256 * 1024) / slot_bytes(c);
  return static_cast<std::uint32_t>(n < 4 ? 4 : n);
}

void pool_push(Span* s) {
  s->prev = nullptr;
  s->next = pool[s->cls];
  if (s->next) s->next->prev = s;
  pool[s->cls] = s;
}

void pool_unlink(Span* s) {
  if (s->prev)
    s->prev->next = s->next;
  else
    pool[s->cls] = s->next;
  if (s->next) s->next->prev = s->prev;
  s->next = s->prev = nullptr;
}

// carve: a new stack span for class c, guards installed; pool_lock held.
Span* carve(int c) {
  std::uint32_t n = slots_per_span(c);
  std::size_t slot = slot_bytes(c);
  Span* s = mheap_alloc(n * slot / heap_page());
  s->state = SpanState::stack;
  s->cls = c;
  s->nslots = n;
  s->nfree = n;
  s->freelist = 0;
  for (std::uint32_t i = n; i-- > 0;) {
    std::uintptr_t guard = s->base + i * slot;
    os::guard_install(reinterpret_cast<void*>(guard), stack_guard_bytes());
    std::uintptr_t top = guard + slot;
    link(top) = s->freelist;
    s->freelist = top;
  }
  s->stack_id = register_slots(s, slot, stack_guard_bytes(), n);
  g_spans.fetch_add(1, std::memory_order_relaxed);
  return s;
}

// pool_get: one free stack top of class c; pool_lock held.
std::uintptr_t pool_get(int c) {
  Span* s = pool[c];
  if (s == nullptr) {
    s = carve(c);
    pool_push(s);
  }
  std::uintptr_t top = s->freelist;
  s->freelist = link(top);
  if (--s->nfree == 0) pool_unlink(s);
  return top;
}

// pool_put: a stack top of class c back to its span; pool_lock held. A span
// whose slots are all free stays in the pool (carving costs a system call
// per guard) until stackpool_scavenge finds it idle for the delay.
void pool_put(std::uintptr_t top) {
  Span* s = spanof(top - 1);
  if (s == nullptr || s->state != SpanState::stack) fatal("stackfree: not a stack: ", hex(top));
  link(top) = s->freelist;
  s->freelist = top;
  if (s->nfree++ == 0) pool_push(s);
  if (s->nfree == s->nslots) s->free_since = os::nanotime();
}

// release_span: an all-free stack span back to the heap, its guards removed
// in one call (the scavenger's release_pages would keep them); pool_lock
// held.
void release_span(Span* s) {
  pool_unlink(s);
  deregister_slots(s, s->nslots);
  race::stack_taken(s->base, s->base + s->npages * heap_page());  // ASan: plain heap memory again
  os::guard_remove(reinterpret_cast<void*>(s->base), s->npages * heap_page());
  g_spans.fetch_sub(1, std::memory_order_relaxed);
  mheap_free(s);
}

StackCache* my_cache(int c) {
  G* gp = getg();
  P* pp = gp->m ? gp->m->p : nullptr;
  return pp ? &pp->stackcache[c] : nullptr;
}

}  // namespace

std::size_t stack_guard_bytes() {
  std::size_t page = heap_page();
  std::size_t want = sizeof(void*) >= 8 ? 64 * 1024 : page;
  return round_up(want, page);
}

int stack_class(std::size_t n) {
  std::size_t size = min_class();
  for (int c = 0; c < kNumStackClasses; ++c, size <<= 1)
    if (n <= size) return c;
  return -1;
}

std::size_t stack_class_size(int c) { return min_class() << c; }

std::size_t stack_round(std::size_t n) {
  int c = stack_class(n);
  return c >= 0 ? stack_class_size(c) : round_up(n, heap_page());
}

void stackcache_refill(StackCache* c, int cls) {
  GORT_SYSTEMSTACK();
  LockGuard l(pool_lock);
  while (c->n < kStackCacheMax / 2) {
    std::uintptr_t top = pool_get(cls);
    link(top) = c->list;
    c->list = top;
    ++c->n;
  }
}

void stackcache_release(StackCache* c, int) {
  GORT_SYSTEMSTACK();
  LockGuard l(pool_lock);
  while (c->n > kStackCacheMax / 2) {
    std::uintptr_t top = c->list;
    c->list = link(top);
    --c->n;
    pool_put(top);
  }
}

void stackcache_flush(StackCache* caches) {
  GORT_SYSTEMSTACK();
  LockGuard l(pool_lock);
  for (int cls = 0; cls < kNumStackClasses; ++cls) {
    StackCache* c = &caches[cls];
    while (c->list) {
      std::uintptr_t top = c->list;
      c->list = link(top);
      pool_put(top);
    }
    c->n = 0;
  }
}

Stack stackalloc(std::size_t n) {
  GORT_SYSTEMSTACK();
  int cls = stack_class(n);
  if (cls < 0) {
    // Large: its own span, guard first.
    std::size_t bytes = round_up(n, heap_page()), guard = stack_guard_bytes();
    Span* s = mheap_alloc((guard + bytes) / heap_page());
    os::guard_install(reinterpret_cast<void*>(s->base), guard);
    s->stack_id = register_slots(s, guard + bytes, guard, 1);
    race::stack_taken(s->base + guard, s->base + guard + bytes);
    g_inuse_bytes.fetch_add(static_cast<std::int64_t>(bytes), std::memory_order_relaxed);
    g_inuse_count.fetch_add(1, std::memory_order_relaxed);
    return Stack{s->base + guard, s->base + guard + bytes};
  }
  std::uintptr_t top;
  if (StackCache* c = my_cache(cls)) {
    if (c->n == 0) stackcache_refill(c, cls);
    top = c->list;
    c->list = link(top);
    --c->n;
  } else {
    LockGuard l(pool_lock);
    top = pool_get(cls);
  }
  std::size_t size = stack_class_size(cls);
  race::stack_taken(top - size, top);
  g_inuse_bytes.fetch_add(static_cast<std::int64_t>(size), std::memory_order_relaxed);
  g_inuse_count.fetch_add(1, std::memory_order_relaxed);
  return Stack{top - size, top};
}

void stackfree(Stack st) {
  GORT_SYSTEMSTACK();
  Span* s = spanof(st.lo);
  if (s == nullptr) fatal("stackfree: not a stack: ", hex(st.lo));
  g_inuse_bytes.fetch_sub(static_cast<std::int64_t>(st.hi - st.lo), std::memory_order_relaxed);
  g_inuse_count.fetch_sub(1, std::memory_order_relaxed);
  if (s->state == SpanState::inuse) {  // large
    deregister_slots(s, 1);
    os::guard_remove(reinterpret_cast<void*>(s->base), stack_guard_bytes());
    mheap_free(s);
    return;
  }
  int cls = s->cls;
  race::stack_freed(st.lo, st.hi);
  if (StackCache* c = my_cache(cls)) {
    link(st.hi) = c->list;
    c->list = st.hi;
    if (++c->n >= kStackCacheMax) stackcache_release(c, cls);
    return;
  }
  LockGuard l(pool_lock);
  pool_put(st.hi);
}

std::size_t stackpool_scavenge(std::int64_t now, std::int64_t delay_ns) {
  GORT_SYSTEMSTACK();
  LockGuard l(pool_lock);
  std::size_t freed = 0;
  for (int c = 0; c < kNumStackClasses; ++c) {
    for (Span* s = pool[c]; s;) {
      Span* next = s->next;
      if (s->nfree == s->nslots && now - s->free_since >= delay_ns) {
        freed += s->npages * heap_page();
        release_span(s);
      }
      s = next;
    }
  }
  return freed;
}

StackStats stack_stats() {
  return StackStats{g_inuse_bytes.load(), g_inuse_count.load(), g_spans.load()};
}

const char* stack_check_integrity(StackCache* const* caches, int ncaches) {
  GORT_SYSTEMSTACK();
  LockGuard l(pool_lock);
  std::set<std::uintptr_t> seen;
  for (int c = 0; c < kNumStackClasses; ++c) {
    for (Span* s = pool[c]; s; s = s->next) {
      if (s->state != SpanState::stack || s->cls != c) return "a pool holds a span of another class or state";
      if (s->nfree == 0 || s->nfree > s->nslots) return "a pooled span has a bad free count";
      std::uint32_t n = 0;
      for (std::uintptr_t top = s->freelist; top; top = link(top)) {
        if ((top - s->base) % slot_bytes(c) != 0 || top <= s->base || top > s->base + s->npages * heap_page())
          return "a free slot lies outside its span or off a slot boundary";
        if (!seen.insert(top).second) return "a free slot is on a list twice";
        if (++n > s->nslots) return "a span's free list is longer than its slots";
      }
      if (n != s->nfree) return "a span's free list length differs from its free count";
    }
  }
  for (int i = 0; i < ncaches; ++i)
    for (int c = 0; c < kNumStackClasses; ++c) {
      std::int32_t n = 0;
      for (std::uintptr_t top = caches[i][c].list; top; top = link(top)) {
        Span* s = spanof(top - 1);
        if (s == nullptr || s->state != SpanState::stack || s->cls != c)
          return "a cached stack is not in a stack span of its class";
        if (!seen.insert(top).second) return "a cached stack is also free elsewhere";
        if (++n > kStackCacheMax) return "a cache holds more than its maximum";
      }
      if (n != caches[i][c].n) return "a cache's count differs from its list";
    }
  return nullptr;
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
