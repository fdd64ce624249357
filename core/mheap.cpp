// mheap.cpp: the page heap and persistent allocation (see malloc.hpp).
//
// Arenas are reserved whole and never returned; each has a page map (one
// Span* per page, itself lazily committed). An in-use span maps every one of
// its pages, so spanof() works for any address inside it; a free span maps
// only its first and last page, which is all that coalescing needs. Free
// spans sit in lists bucketed by size (exact below 128 pages), first fit
// within a bucket.
#include <atomic>

#include "malloc.hpp"
#include "os.hpp"

namespace gort::rt {

namespace {

constexpr std::size_t kArenaBytes = sizeof(void*) == 8 ? std::size_t(1) << 30 : std::size_t(64) << 20;
constexpr std::size_t kBuckets = 128;  // bucket i < 127: exactly i pages; 127: larger

struct Arena {
  std::uintptr_t base;
  std::size_t npages;
  Span** map;
  Arena* next;
};

struct Heap {
  Lock lock;
  std::atomic<Arena*> arenas{nullptr};
  Span* free[kBuckets] = {};
  std::size_t reserved = 0;
  std::size_t inuse = 0;
  std::size_t released = 0;  // bytes
};
Heap heap;
FixAlloc<Span> spanalloc;

Lock persistent_lock;
unsigned char* persistent_chunk = nullptr;
std::size_t persistent_left = 0;

std::size_t page() { return os::page_size(); }

Arena* arena_of(std::uintptr_t a) {
  for (Arena* ar = heap.arenas.load(std::memory_order_acquire); ar; ar = ar->next)
    if (a >= ar->base && a < ar->base + ar->npages * page()) return ar;
  return nullptr;
}

void map_set(Span* s, bool all) {
  Arena* ar = arena_of(s->base);
  std::size_t first = (s->base - ar->base) / page();
  if (all) {
    for (std::size_t i = 0; i < s->npages; ++i) ar->map[first + i] = s;
  } else {
    ar->map[first] = s;
    ar->map[first + s->npages - 1] = s;
  }
}

std::size_t bucket(std::size_t npages) { return npages < kBuckets - 1 ? npages : kBuckets - 1; }

void list_insert(Span* s) {
  Span*& head = heap.free[bucket(s->npages)];
  s->prev = nullptr;
  s->next = head;
  if (head) head->prev = s;
  head = s;
}

void list_remove(Span* s) {
  Span*& head = heap.free[bucket(s->npages)];
  if (s->prev)
    s->prev->next = s->next;
  else
    head = s->next;
  if (s->next) s->next->prev = s->prev;
  s->next = s->prev = nullptr;
}

// insert_free: s (not in any list) becomes free; merge with free neighbours.
void insert_free(Span* s) {
  s->state = SpanState::free;
  Arena* ar = arena_of(s->base);
  std::size_t first = (s->base - ar->base) / page();
  if (first > 0) {
    Span* p = ar->map[first - 1];
    if (p && p->state == SpanState::free && p->base + p->npages * page() == s->base) {
      list_remove(p);
      p->npages += s->npages;
      p->released += s->released;
      if (s->free_since > p->free_since) p->free_since = s->free_since;
      spanalloc.free(s);
      s = p;
    }
  }
  std::size_t end = (s->base - ar->base) / page() + s->npages;
  if (end < ar->npages) {
    Span* n = ar->map[end];
    if (n && n->state == SpanState::free && n->base == s->base + s->npages * page()) {
      list_remove(n);
      s->npages += n->npages;
      s->released += n->released;
      if (n->free_since > s->free_since) s->free_since = n->free_since;
      spanalloc.free(n);
    }
  }
  map_set(s, false);
  list_insert(s);
}

void grow(std::size_t npages) {
  std::size_t bytes = kArenaBytes;
  while (bytes < npages * page()) bytes *= 2;
  void* base = os::reserve(bytes);
  if (base == nullptr) fatal("out of memory: cannot reserve ", bytes, " bytes of address space");
  std::size_t np = bytes / page();
  auto* map = static_cast<Span**>(os::reserve(np * sizeof(Span*)));
  if (map == nullptr) fatal("out of memory: cannot reserve a page map");
  auto* ar = static_cast<Arena*>(persistent_alloc(sizeof(Arena)));
  ar->base = reinterpret_cast<std::uintptr_t>(base);
  ar->npages = np;
  ar->map = map;
  ar->next = heap.arenas.load(std::memory_order_relaxed);
  heap.arenas.store(ar, std::memory_order_release);
  heap.reserved += bytes;
  heap.released += bytes;  // reserved, not yet touched: not resident
  Span* s = spanalloc.alloc();
  s->base = ar->base;
  s->npages = np;
  s->released = np;
  s->free_since = os::nanotime();
  insert_free(s);
}

Span* find_free(std::size_t npages) {
  for (std::size_t b = bucket(npages); b < kBuckets; ++b)
    for (Span* s = heap.free[b]; s; s = s->next)
      if (s->npages >= npages) return s;
  return nullptr;
}

}  // namespace

std::size_t heap_page() { return page(); }

void* persistent_alloc(std::size_t n) {
  constexpr std::size_t kChunk = 256 * 1024;
  n = (n + 63) & ~std::size_t(63);
  if (n > 64 * 1024) fatal("persistent_alloc: ", n, " bytes is too big");
  LockGuard l(persistent_lock);
  if (persistent_left < n) {
    persistent_chunk = static_cast<unsigned char*>(os::reserve(kChunk));
    if (persistent_chunk == nullptr) fatal("out of memory in persistent_alloc");
    persistent_left = kChunk;
  }
  void* p = persistent_chunk;
  persistent_chunk += n;
  persistent_left -= n;
  return p;
}

Span* mheap_alloc(std::size_t npages) {
  GORT_SYSTEMSTACK();
  if (npages == 0) fatal("mheap_alloc: zero pages");
  LockGuard l(heap.lock);
  Span* s = find_free(npages);
  if (s == nullptr) {
    grow(npages);
    s = find_free(npages);
  }
  list_remove(s);
  // In use before the remainder is freed: otherwise the remainder would
  // merge straight back into it.
  s->state = SpanState::inuse;
  std::size_t released_before = s->released;
  if (s->npages > npages) {
    Span* rest = spanalloc.alloc();
    rest->base = s->base + npages * page();
    rest->npages = s->npages - npages;
    rest->free_since = s->free_since;
    // Which pages were released is not tracked; assume the rest keeps them.
    rest->released = s->released < rest->npages ? s->released : rest->npages;
    s->npages = npages;
    insert_free(rest);
    heap.released -= (released_before - rest->released) * page();
  } else {
    heap.released -= released_before * page();
  }
  s->released = 0;
  s->state = SpanState::inuse;
  s->next = s->prev = nullptr;
  s->cls = -1;
  map_set(s, true);
  heap.inuse += npages * page();
  return s;
}

void mheap_free(Span* s) {
  GORT_SYSTEMSTACK();
  LockGuard l(heap.lock);
  if (s->state != SpanState::inuse && s->state != SpanState::stack) fatal("mheap_free: span not in use");
  heap.inuse -= s->npages * page();
  s->free_since = os::nanotime();
  s->released = 0;
  s->cls = -1;
  s->nslots = s->nfree = 0;
  s->freelist = 0;
  insert_free(s);
}

std::size_t mheap_scavenge(std::int64_t now, std::int64_t delay_ns) {
  GORT_SYSTEMSTACK();
  std::size_t total = 0;
  heap.lock.lock();
  for (;;) {
    Span* victim = nullptr;
    for (std::size_t b = 0; b < kBuckets && !victim; ++b)
      for (Span* s = heap.free[b]; s; s = s->next)
        if (s->released < s->npages && now - s->free_since >= delay_ns) {
          victim = s;
          break;
        }
    if (victim == nullptr) break;
    // Out of the lists while the lock is dropped: nobody allocates it or
    // merges with it meanwhile.
    list_remove(victim);
    victim->state = SpanState::scavenging;
    heap.lock.unlock();
    // Free spans hold no guards: release_pages would keep them (os.hpp), so
    // stack spans remove theirs before they come back to the heap.
    os::release_pages(reinterpret_cast<void*>(victim->base), victim->npages * page());
    heap.lock.lock();
    std::size_t newly = victim->npages - victim->released;
    heap.released += newly * page();
    total += newly * page();
    victim->released = victim->npages;
    insert_free(victim);
  }
  heap.lock.unlock();
  return total;
}

Span* spanof(std::uintptr_t addr) {
  Arena* ar = arena_of(addr);
  if (ar == nullptr) return nullptr;
  return ar->map[(addr - ar->base) / page()];
}

HeapStats heap_stats() {
  GORT_SYSTEMSTACK();
  return heap_stats_nocheck();
}

HeapStats heap_stats_nocheck() {
  LockGuard l(heap.lock);
  return HeapStats{heap.reserved, heap.inuse, heap.released};
}

}  // namespace gort::rt
