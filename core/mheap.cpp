// mheap.cpp: the page heap and persistent allocation (see malloc.hpp).
//
// Arenas are reserved whole; each has a page map (one Span* per page, itself
// lazily committed). An in-use span maps every one of its pages, so spanof()
// works for any address inside it; a free span maps only its first and last
// page, which is all that coalescing needs. Free spans sit in lists bucketed
// by size (exact below 128 pages), first fit within a bucket. An arena that
// a run left all free may go back to the OS whole (mheap_release_arenas),
// staying reserved.
//
// Regions. An in-use span made of whole regions (kRegionBytes, aligned from
// the arena's base) is mapped in the arena's region map instead, one entry
// per region, and its pages' entries are left alone: spanof() looks at the
// region map first. Likewise a free span's end that falls on a region
// boundary is marked in a per-region array (free_start, free_end), not in
// the page map: carving region after region from a free span would
// otherwise write its new first page's entry, a new page of the map, each
// time. Stack spans are made of whole regions (stack.cpp): with 64 KiB
// guards a 4 KiB stack's slot is 17 pages, whose page-map entries (136
// bytes, a page of the map per 30 stacks) were the largest per-goroutine
// cost after the stack and the G. Rejected: a coarser page map for the
// whole heap (a span of one page must stay possible); a radix tree (spanof
// must stay a few loads).
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
  Span** regions;  // per region: the in-use span made of whole regions that holds it, or nullptr
  // Per region: a free span starting at it, ending with it (may be stale,
  // as the page map's ends of free spans: readers check the span).
  Span** free_start;
  Span** free_end;
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
unsigned char* persistent_committed = nullptr;  // prefaulted up to here in the chunk

std::size_t page() { return os::page_size(); }

// arena_of: the arena holding address a, or nullptr. Lock-free (spanof).
// 10^6 goroutines' stacks take 68 arenas, and stackfree alone asks once per
// goroutine: a direct-mapped cache by address answers most lookups with one
// load and a range check (arenas are never unlinked or moved, so a stale
// entry is still an arena, just maybe not this address's). Rejected: a
// table indexed by address (a 56-bit address space on riscv64 makes it
// large), arenas aligned to their size (over-reserve and trim: a hook for
// little gain).
constexpr std::size_t kArenaCache = 64;
std::atomic<Arena*> arena_cache[kArenaCache];

std::size_t arena_slot(std::uintptr_t a) { return (a / kArenaBytes) % kArenaCache; }

Arena* arena_of(std::uintptr_t a) {
  std::atomic<Arena*>& slot = arena_cache[arena_slot(a)];
  Arena* ar = slot.load(std::memory_order_acquire);
  if (ar && a >= ar->base && a < ar->base + ar->npages * page()) return ar;
  for (ar = heap.arenas.load(std::memory_order_acquire); ar; ar = ar->next)
    if (a >= ar->base && a < ar->base + ar->npages * page()) {
      slot.store(ar, std::memory_order_release);
      return ar;
    }
  return nullptr;
}

std::size_t region_pages() { return kRegionBytes / page(); }

// span_at: the span holding page i of ar, per the region map, else the page
// map (valid for pages of in-use spans and the ends of free ones).
Span* span_at(Arena* ar, std::size_t i) {
  if (Span* s = ar->regions[i / region_pages()]) return s;
  return ar->map[i];
}

// whole_regions: s starts on a region and is made of whole ones.
bool whole_regions(Arena* ar, const Span* s) {
  return (s->base - ar->base) % kRegionBytes == 0 && s->npages % region_pages() == 0;
}

void regions_set(Arena* ar, Span* s, Span* to) {
  std::size_t r = (s->base - ar->base) / kRegionBytes;
  for (std::size_t i = 0; i < s->npages / region_pages(); ++i) ar->regions[r + i] = to;
}

// free_before: a free span ending just below page i of ar, or nullptr;
// free_at: one starting at page i (i < ar->npages).
Span* free_before(Arena* ar, std::size_t i) {
  Span* p = i % region_pages() == 0 ? ar->free_end[i / region_pages() - 1] : span_at(ar, i - 1);
  std::uintptr_t at = ar->base + i * page();
  return p && p->state == SpanState::free && p->base + p->npages * page() == at ? p : nullptr;
}
Span* free_at(Arena* ar, std::size_t i) {
  Span* n = i % region_pages() == 0 ? ar->free_start[i / region_pages()] : span_at(ar, i);
  return n && n->state == SpanState::free && n->base == ar->base + i * page() ? n : nullptr;
}

// map_set: all: s is in use: map all its pages (or its regions); else s is
// free: mark its ends.
void map_set(Span* s, bool all) {
  Arena* ar = arena_of(s->base);
  std::size_t first = (s->base - ar->base) / page();
  if (all && whole_regions(ar, s)) {
    regions_set(ar, s, s);
  } else if (all) {
    // A span of a page of map entries or more (stack spans are) commits
    // its slice of the map in one call instead of a fault per map page.
    std::size_t bytes = s->npages * sizeof(Span*);
    if (bytes >= page()) {
      std::uintptr_t lo = reinterpret_cast<std::uintptr_t>(&ar->map[first]) & ~(page() - 1);
      std::uintptr_t hi = reinterpret_cast<std::uintptr_t>(&ar->map[first + s->npages]);
      os::prefault(reinterpret_cast<void*>(lo), hi - lo);
    }
    for (std::size_t i = 0; i < s->npages; ++i) ar->map[first + i] = s;
  } else {
    std::size_t end = first + s->npages;
    if (first % region_pages() == 0)
      ar->free_start[first / region_pages()] = s;
    else
      ar->map[first] = s;
    if (end % region_pages() == 0)
      ar->free_end[end / region_pages() - 1] = s;
    else
      ar->map[end - 1] = s;
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
    if (Span* p = free_before(ar, first)) {
      list_remove(p);
      p->npages += s->npages;
      p->released += s->released;
      p->guarded |= s->guarded;
      if (s->free_since > p->free_since) p->free_since = s->free_since;
      spanalloc.free(s);
      s = p;
    }
  }
  std::size_t end = (s->base - ar->base) / page() + s->npages;
  if (end < ar->npages) {
    if (Span* n = free_at(ar, end)) {
      list_remove(n);
      s->npages += n->npages;
      s->released += n->released;
      s->guarded |= n->guarded;
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
  std::size_t nregions = bytes / kRegionBytes + 1;
  auto* regions = static_cast<Span**>(os::reserve(3 * nregions * sizeof(Span*)));
  if (regions == nullptr) fatal("out of memory: cannot reserve a region map");
  auto* ar = static_cast<Arena*>(persistent_alloc(sizeof(Arena)));
  ar->base = reinterpret_cast<std::uintptr_t>(base);
  ar->npages = np;
  ar->map = map;
  ar->regions = regions;
  ar->free_start = regions + nregions;
  ar->free_end = regions + 2 * nregions;
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

// fit: where a span of npages fits in the free span s: s->base, or with
// aligned the first region boundary from which it fits; 0 if it does not.
std::uintptr_t fit(Span* s, std::size_t npages, bool aligned) {
  if (s->npages < npages) return 0;
  if (!aligned) return s->base;
  Arena* ar = arena_of(s->base);
  std::uintptr_t a = ar->base + (s->base - ar->base + kRegionBytes - 1) / kRegionBytes * kRegionBytes;
  return a + npages * page() <= s->base + s->npages * page() ? a : 0;
}

Span* find_free(std::size_t npages, bool aligned, std::uintptr_t* at) {
  for (std::size_t b = bucket(npages); b < kBuckets; ++b)
    for (Span* s = heap.free[b]; s; s = s->next)
      if ((*at = fit(s, npages, aligned)) != 0) return s;
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
    persistent_committed = persistent_chunk;
  }
  // What is handed out here is written at once (a G, a span) and never
  // freed: commit it 64 KiB ahead in one call rather than fault it in a
  // page at a time (os::prefault; 10^6 goroutines' Gs are 80k pages).
  if (persistent_chunk + n > persistent_committed) {
    constexpr std::size_t kAhead = 64 * 1024;
    unsigned char* end = persistent_chunk + persistent_left;
    unsigned char* to = persistent_committed + kAhead;
    while (to < persistent_chunk + n) to += kAhead;
    if (to > end) to = end;
    os::prefault(persistent_committed, static_cast<std::size_t>(to - persistent_committed));
    persistent_committed = to;
  }
  void* p = persistent_chunk;
  persistent_chunk += n;
  persistent_left -= n;
  return p;
}

Span* mheap_alloc(std::size_t npages, bool regions) {
  GORT_SYSTEMSTACK();
  if (npages == 0) fatal("mheap_alloc: zero pages");
  if (regions && npages % region_pages() != 0) fatal("mheap_alloc: ", npages, " pages are not whole regions");
  Span* s;
  bool unguard;
  {
    LockGuard l(heap.lock);
    std::uintptr_t at = 0;
    s = find_free(npages, regions, &at);
    if (s == nullptr) {
      grow(npages + (regions ? region_pages() : 0));
      s = find_free(npages, regions, &at);
      if (s == nullptr) fatal("mheap_alloc: no room for ", npages, " pages in a new arena");
    }
    list_remove(s);
    // In use before the remainders are freed: otherwise they would merge
    // straight back into it.
    s->state = SpanState::inuse;
    if (at > s->base) {
      // Aligned to a region: the pages below stay free.
      Span* pre = spanalloc.alloc();
      pre->base = s->base;
      pre->npages = (at - s->base) / page();
      pre->free_since = s->free_since;
      pre->guarded = s->guarded;
      // As for the rest below: which pages were released is not tracked.
      pre->released = s->released < pre->npages ? s->released : pre->npages;
      s->released -= pre->released;
      s->base = at;
      s->npages -= pre->npages;
      insert_free(pre);
    }
    std::size_t released_before = s->released;
    if (s->npages > npages) {
      Span* rest = spanalloc.alloc();
      rest->base = s->base + npages * page();
      rest->npages = s->npages - npages;
      rest->free_since = s->free_since;
      rest->guarded = s->guarded;
      // Which pages were released is not tracked; assume the rest keeps them.
      rest->released = s->released < rest->npages ? s->released : rest->npages;
      s->npages = npages;
      insert_free(rest);
      heap.released -= (released_before - rest->released) * page();
    } else {
      heap.released -= released_before * page();
    }
    unguard = s->guarded;
    s->guarded = false;
    s->released = 0;
    s->state = SpanState::inuse;
    s->next = s->prev = nullptr;
    s->cls = -1;
    map_set(s, true);
    heap.inuse += npages * page();
  }
  // Guards a stack span left (Span::guarded) go now, in one call, outside
  // the lock: the span is ours.
  if (unguard) os::guard_remove(reinterpret_cast<void*>(s->base), s->npages * page());
  return s;
}

void mheap_free(Span* s) {
  GORT_SYSTEMSTACK();
  LockGuard l(heap.lock);
  if (s->state != SpanState::inuse && s->state != SpanState::stack) fatal("mheap_free: span not in use");
  Arena* ar = arena_of(s->base);
  if (ar->regions[(s->base - ar->base) / kRegionBytes] == s) regions_set(ar, s, nullptr);
  heap.inuse -= s->npages * page();
  s->free_since = os::nanotime();
  s->released = 0;
  s->cls = -1;
  s->nslots = s->nfree = s->nfresh = 0;
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
    // Guards survive release_pages (os.hpp): a guarded span stays so.
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

std::size_t mheap_release_arenas(std::size_t min_bytes) {
  GORT_SYSTEMSTACK();
  LockGuard l(heap.lock);
  std::size_t total = 0;
  for (Arena* ar = heap.arenas.load(std::memory_order_acquire); ar; ar = ar->next) {
    Span* s = free_at(ar, 0);
    if (s == nullptr || s->npages != ar->npages) continue;
    // At most half an arena: 32-bit CPUs' arenas are 64 MiB.
    std::size_t unreleased = (s->npages - s->released) * page();
    if (unreleased < min_bytes && unreleased < ar->npages * page() / 2) continue;
    os::reset(reinterpret_cast<void*>(ar->base), ar->npages * page());
    os::release_pages(ar->map, (ar->npages * sizeof(Span*) + page() - 1) / page() * page());
    map_set(s, false);
    heap.released += unreleased;
    total += unreleased;
    s->released = s->npages;
    s->guarded = false;
  }
  return total;
}

Span* spanof(std::uintptr_t addr) {
  Arena* ar = arena_of(addr);
  if (ar == nullptr) return nullptr;
  return span_at(ar, (addr - ar->base) / page());
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
