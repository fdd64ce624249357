// stack.cpp: goroutine stacks and morestack segments (see malloc.hpp).
//
// A stack span of class c is nslots slots of [guard page | stack of
// class_size(c)], the guards protected once when the span is carved. Free
// slots are linked through the top word of their stack, in the span (pools)
// or in a per-P cache. A stack's span is found with spanof(), so stackfree
// needs nothing but the stack.
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

std::size_t min_class() {
  std::size_t p = heap_page();
  return p > 4096 ? p : 4096;
}

std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

std::uintptr_t& link(std::uintptr_t top) { return *reinterpret_cast<std::uintptr_t*>(top - sizeof(std::uintptr_t)); }

std::size_t slot_bytes(int c) { return heap_page() + stack_class_size(c); }

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

// carve: a new stack span for class c, guards protected; pool_lock held.
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
    os::protect_none(reinterpret_cast<void*>(guard), heap_page());
    std::uintptr_t top = guard + slot;
    link(top) = s->freelist;
    s->freelist = top;
  }
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
// per guard page) until stackpool_scavenge finds it idle for the delay.
void pool_put(std::uintptr_t top) {
  Span* s = spanof(top - 1);
  if (s == nullptr || s->state != SpanState::stack) fatal("stackfree: not a stack: ", hex(top));
  link(top) = s->freelist;
  s->freelist = top;
  if (s->nfree++ == 0) pool_push(s);
  if (s->nfree == s->nslots) s->free_since = os::nanotime();
}

// release_span: an all-free stack span back to the heap, writable again in
// one call; pool_lock held.
void release_span(Span* s) {
  pool_unlink(s);
  os::protect_rw(reinterpret_cast<void*>(s->base), s->npages * heap_page());
  g_spans.fetch_sub(1, std::memory_order_relaxed);
  mheap_free(s);
}

StackCache* my_cache(int c) {
  G* gp = getg();
  P* pp = gp->m ? gp->m->p : nullptr;
  return pp ? &pp->stackcache[c] : nullptr;
}

}  // namespace

std::size_t stack_guard_bytes() { return heap_page(); }  // TEMPORARY until the guards land

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
    // Large: its own span, guard page first.
    std::size_t bytes = round_up(n, heap_page());
    Span* s = mheap_alloc(bytes / heap_page() + 1);
    os::protect_none(reinterpret_cast<void*>(s->base), heap_page());
    g_inuse_bytes.fetch_add(static_cast<std::int64_t>(bytes), std::memory_order_relaxed);
    g_inuse_count.fetch_add(1, std::memory_order_relaxed);
    return Stack{s->base + heap_page(), s->base + heap_page() + bytes};
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
    os::protect_rw(reinterpret_cast<void*>(s->base), heap_page());
    mheap_free(s);
    return;
  }
  int cls = s->cls;
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
