// stack.cpp: goroutine stacks and morestack segments (see malloc.hpp).
//
// A stack span of class c is nslots slots of [guard | stack of
// class_size(c)], the guards installed once when the span is carved. Freed
// slots are linked through the top word of their stack, in the span (pools)
// or in a per-P cache; slots never handed out are counted (nfresh), not
// linked, so that nothing touches their pages before a P takes them. A
// stack's span is found with spanof(), so stackfree needs nothing but the
// stack.
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
// space, plus the page-table entries over it (8 bytes each per 4 KiB, since
// the stacks around it are in use; outside RSS). Measured with 10^6
// goroutines parked on 4 KiB stacks (Linux 6.18, x86-64): with a 64 KiB
// guard 137 bytes of page tables each (17 with one page). (The heap's page
// map over the guard cost about as much again, in RSS, until stack spans
// were made of whole regions, mapped one entry per 2 MiB: mheap.cpp.) So:
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

// inuse_add: n stacks of `bytes` each into the global in-use counts (n < 0
// takes them out): large stacks, stacks handed out without a P, and a P's
// share when the P is destroyed (stackcache_destroy).
void inuse_add(std::int64_t n, std::size_t bytes) {
  g_inuse_count.fetch_add(n, std::memory_order_relaxed);
  g_inuse_bytes.fetch_add(n * static_cast<std::int64_t>(bytes), std::memory_order_relaxed);
}

// taken_add: the same into a P's share (StackCache::taken), by its owner.
void taken_add(StackCache* c, std::int64_t n) {
  c->taken.store(c->taken.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

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

// min_class: the smallest class's size. Every stackalloc and stackfree asks
// (stack_class, stack_class_size): computed once, not through heap_page's
// out-of-line call each time.
std::size_t min_class() {
  static const std::size_t size = [] {
    std::size_t p = heap_page();
    return p > 4096 ? p : 4096;
  }();
  return size;
}

std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

std::uintptr_t& link(std::uintptr_t top) { return *reinterpret_cast<std::uintptr_t*>(top - sizeof(std::uintptr_t)); }

std::size_t slot_bytes(int c) { return stack_guard_bytes() + stack_class_size(c); }

// Span sizes. Carving costs two system calls per span whatever its slots
// (os::guard_install_n, os::prefault_n: batches), so a span holds as many
// slots as fit in a heap region (kRegionBytes, 2 MiB), between 4 and
// kSpanSlots; a span of more than half a region is rounded up to whole
// regions, which the heap maps with one entry per region instead of one per
// page (mheap.cpp; the tail past the last slot is never touched). So with
// 4 KiB pages on 64-bit CPUs every class's span is one region: 30 slots of
// the smallest class, 16 of the default 64 KiB one. On 32-bit CPUs (one-page
// guards) small classes get 64 slots in page-mapped spans of 512 KiB or
// less. What a large span costs is a free slot's top page, committed from
// the carve until the whole span goes back (a span returns only when all its
// slots are free). Measured with 10^6 goroutines (x86-64 VM, 4 KiB stacks):
// the old 4-slot spans took 4 guard calls and 4 first-touch faults of the
// list links (about 21 us each here) per carve, under the pool lock.
constexpr std::uint32_t kSpanSlots = 64;

std::uint32_t slots_per_span(int c) {
  std::size_t n = kRegionBytes / slot_bytes(c);
  if (n > kSpanSlots) n = kSpanSlots;
  return static_cast<std::uint32_t>(n < 4 ? 4 : n);
}

// span_pages: the pages of a span of class c, and whether it is made of
// whole regions.
std::size_t span_pages(int c, bool* regions) {
  std::size_t bytes = slots_per_span(c) * slot_bytes(c);
  *regions = bytes > kRegionBytes / 2;
  if (*regions) bytes = round_up(bytes, kRegionBytes);
  return bytes / heap_page();
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

// carve: a new stack span for class c, guards installed, not in the pool
// yet. Called without pool_lock: its system calls take about 100 us per
// span, and another P refilling meanwhile must not sleep on the lock (on a
// loaded machine a futex wakeup can cost milliseconds). Every slot's guard
// goes in one batch, and every stack's top page, which the first frame is
// written to, is committed in another (os::prefault_n): a burst of spawns
// costs two system calls per span instead of a guard call and a page fault
// per stack. The slots are handed out in order from nfresh without being
// written to, so that each stack's page is first touched by the P that
// takes it (stackcache_refill), not all here.
Span* carve(int c) {
  std::uint32_t n = slots_per_span(c);
  std::size_t slot = slot_bytes(c), guard = stack_guard_bytes(), page = heap_page();
  bool regions;
  std::size_t npages = span_pages(c, &regions);
  Span* s = mheap_alloc(npages, regions);
  s->state = SpanState::stack;
  s->cls = c;
  s->nslots = n;
  s->nfree = n;
  s->nfresh = n;
  s->freelist = 0;
  os::MemRange r[kSpanSlots];
  for (std::uint32_t i = 0; i < n; ++i) r[i] = os::MemRange{reinterpret_cast<void*>(s->base + i * slot), guard};
  os::guard_install_n(r, n);
  for (std::uint32_t i = 0; i < n; ++i) r[i] = os::MemRange{reinterpret_cast<void*>(s->base + (i + 1) * slot - page), page};
  os::prefault_n(r, n);
  s->stack_id = register_slots(s, slot, guard, n);
  g_spans.fetch_add(1, std::memory_order_relaxed);
  return s;
}

// span_take: one free stack top of s (nfree > 0): a freed one, else the
// next never-used slot. pool_lock held if s is in the pool.
std::uintptr_t span_take(Span* s) {
  std::uintptr_t top;
  if (s->freelist) {
    top = s->freelist;
    s->freelist = link(top);
  } else {
    if (s->nfresh == 0) fatal("stackalloc: stack span free count corrupted");
    top = s->base + (s->nslots - s->nfresh + 1) * slot_bytes(s->cls);
    --s->nfresh;
  }
  --s->nfree;
  return top;
}

// pool_take: up to want free stack tops of class c into out, carving spans
// (outside pool_lock) when the pool has none. Returns want.
int pool_take(int c, std::uintptr_t* out, int want) {
  int n = 0;
  {
    LockGuard l(pool_lock);
    while (n < want && pool[c]) {
      Span* s = pool[c];
      out[n++] = span_take(s);
      if (s->nfree == 0) pool_unlink(s);
    }
  }
  while (n < want) {
    Span* s = carve(c);  // ours until pushed: no lock needed to take from it
    while (n < want && s->nfree > 0) out[n++] = span_take(s);
    if (s->nfree > 0) {
      LockGuard l(pool_lock);
      pool_push(s);
    }
  }
  return n;
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

// release_span: an all-free stack span back to the heap with its guards in
// place (Span::guarded): mheap_alloc removes them in one call if the pages
// are handed out again, and at the end of a run they mostly go with their
// whole arena (mheap_release_arenas) or with the process, costing no call
// per span (measured with 10^6 stacks: removing them span by span cost
// about 1.3 us per stack, on top of the exit's own unmapping). pool_lock
// held.
void release_span(Span* s) {
  pool_unlink(s);
  deregister_slots(s, s->nslots);
  race::stack_taken(s->base, s->base + s->npages * heap_page());  // ASan: plain heap memory again
  g_spans.fetch_sub(1, std::memory_order_relaxed);
  s->guarded = true;
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
  // The links are written after pool_lock is dropped: for a fresh slot it
  // is the first touch of its page.
  std::uintptr_t tops[kStackCacheMax / 2];
  int n = pool_take(cls, tops, kStackCacheMax / 2 - c->n);
  for (int i = 0; i < n; ++i) {
    link(tops[i]) = c->list;
    c->list = tops[i];
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

void stackcache_destroy(StackCache* caches) {
  GORT_SYSTEMSTACK();
  stackcache_flush(caches);
  // Only at the run's end (teardown), when every other M has left: no
  // stack_stats runs meanwhile to see the share in neither place.
  for (int cls = 0; cls < kNumStackClasses; ++cls) {
    StackCache* c = &caches[cls];
    inuse_add(c->taken.load(std::memory_order_relaxed), stack_class_size(cls));
    c->taken.store(0, std::memory_order_relaxed);
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
    inuse_add(1, bytes);
    return Stack{s->base + guard, s->base + guard + bytes};
  }
  std::uintptr_t top;
  std::size_t size = stack_class_size(cls);
  if (StackCache* c = my_cache(cls)) {
    if (c->n == 0) stackcache_refill(c, cls);
    top = c->list;
    c->list = link(top);
    --c->n;
    taken_add(c, 1);
  } else {
    pool_take(cls, &top, 1);
    inuse_add(1, size);
  }
  race::stack_taken(top - size, top);
  return Stack{top - size, top};
}

void stackfree(Stack st) {
  GORT_SYSTEMSTACK();
  // A stack of a class is exactly the class's size; a large one is larger
  // than every class (stackalloc): the size says which, with no lookup of
  // the span (an arena search and a division) on the path every goroutine
  // exit takes.
  std::size_t size = st.hi - st.lo;
  int cls = stack_class(size);
  if (cls < 0 || stack_class_size(cls) != size) {
    Span* s = spanof(st.lo);
    if (s == nullptr || s->state != SpanState::inuse) fatal("stackfree: not a stack: ", hex(st.lo));
    inuse_add(-1, size);
    deregister_slots(s, 1);
    s->guarded = true;
    mheap_free(s);
    return;
  }
  race::stack_freed(st.lo, st.hi);
  if (StackCache* c = my_cache(cls)) {
    taken_add(c, -1);
    link(st.hi) = c->list;
    c->list = st.hi;
    if (++c->n >= kStackCacheMax) stackcache_release(c, cls);
    return;
  }
  inuse_add(-1, size);
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
  StackStats st{g_inuse_bytes.load(), g_inuse_count.load(), g_spans.load()};
  G* gp = getg();
  Sched* s = gp != nullptr && gp->m != nullptr ? gp->m->sched : nullptr;
  if (s != nullptr && s->allp != nullptr) {
    for (std::int32_t i = 0; i < s->gomaxprocs; ++i)
      for (int cls = 0; cls < kNumStackClasses; ++cls) {
        std::int64_t t = s->allp[i]->stackcache[cls].taken.load(std::memory_order_relaxed);
        st.inuse_count += t;
        st.inuse_bytes += t * static_cast<std::int64_t>(stack_class_size(cls));
      }
  }
  return st;
}

const char* stack_check_integrity(StackCache* const* caches, int ncaches) {
  GORT_SYSTEMSTACK();
  LockGuard l(pool_lock);
  std::set<std::uintptr_t> seen;
  for (int c = 0; c < kNumStackClasses; ++c) {
    for (Span* s = pool[c]; s; s = s->next) {
      if (s->state != SpanState::stack || s->cls != c) return "a pool holds a span of another class or state";
      if (s->nfree == 0 || s->nfree > s->nslots) return "a pooled span has a bad free count";
      if (s->nfresh > s->nfree) return "a pooled span has more never-used slots than free ones";
      std::uintptr_t fresh = s->base + (s->nslots - s->nfresh) * slot_bytes(c);  // never-used slots start here
      std::uint32_t n = 0;
      for (std::uintptr_t top = s->freelist; top; top = link(top)) {
        if ((top - s->base) % slot_bytes(c) != 0 || top <= s->base || top > s->base + s->npages * heap_page())
          return "a free slot lies outside its span or off a slot boundary";
        if (top > fresh) return "a freed slot lies among the never-used ones";
        if (!seen.insert(top).second) return "a free slot is on a list twice";
        if (++n > s->nslots) return "a span's free list is longer than its slots";
      }
      if (n + s->nfresh != s->nfree) return "a span's free list length and never-used slots differ from its free count";
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
