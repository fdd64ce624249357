// malloc.hpp: the runtime's own memory: page heap, fixed-size allocators,
// goroutine stacks.
//
// Layers, bottom up:
//
//   os::reserve        address space in arenas (1 GiB on 64-bit CPUs, 64 MiB
//                      on 32-bit ones), committed lazily by the OS.
//   mheap              spans of pages carved from arenas; free spans coalesce
//                      with their neighbours; one lock. The scavenger returns
//                      pages that stayed free longer than a delay to the OS
//                      (os::release_pages), dropping the lock around the call.
//   stack pools        per size class (powers of two, 4 KiB to 256 KiB with 4
//                      KiB pages), spans carved into slots of [guard |
//                      stack]; the guards (os::guard_install: 64 KiB on
//                      64-bit CPUs, a page on 32-bit ones; stack.cpp says
//                      why) are installed once, when the span is carved. A
//                      span whose slots have all stayed free for the
//                      scavenger's delay goes back to the heap with its
//                      guards (Span::guarded): they are removed in one call
//                      when its pages are handed out again, or go with the
//                      whole arena at the end of a run.
//   per-P caches       a few stacks per class on each P; they refill from and
//                      release to the pools half a cache at a time, so a P
//                      alternating between spawning and exiting does not
//                      thrash the pools. Larger stacks come straight from the
//                      heap, with their own guard.
//   FixAlloc<T>        fixed-size runtime objects (G, M) from chunks that are
//                      never returned, with a free list.
//
// The rule (as in Go's runtime): every entry point that touches heap or
// pool state is GORT_SYSTEMSTACK and checks it on entry, so no goroutine
// stack (which could be switched away from mid-operation, or be the very
// stack being freed) ever holds these locks; and the scavenger takes the
// heap lock only on g0 (sysmon's, or the idle M's).
#pragma once

#include <cstddef>
#include <atomic>
#include <cstdint>

#include "lock.hpp"
#include "runtime.hpp"

namespace gort::rt {

// ---------------------------------------------------------------------------
// Page heap.

enum class SpanState : std::uint8_t { free, inuse, stack, scavenging };

struct Span {
  std::uintptr_t base = 0;
  std::size_t npages = 0;
  Span* next = nullptr;  // free list, or the stack pool's list for its class
  Span* prev = nullptr;
  SpanState state = SpanState::free;
  // Free spans.
  std::int64_t free_since = 0;   // nanotime when it became free
  std::size_t released = 0;      // pages of it given back to the OS
  // May hold guards: a stack span's, left in place when it came back
  // (stack.cpp), removed when the pages are handed out again or with their
  // arena (mheap_release_arenas).
  bool guarded = false;
  // Stack spans.
  std::int32_t cls = -1;
  std::uint32_t nslots = 0;
  std::uint32_t nfree = 0;       // freelist's slots + nfresh
  std::uint32_t nfresh = 0;      // the last nfresh slots were never handed out
  std::uintptr_t freelist = 0;   // freed slots' stack tops, linked through their top word
  unsigned stack_id = 0;         // valgrind's id of its first stack (race.hpp), the rest follow
};

std::size_t heap_page();  // the heap's page: the OS page
// kRegionBytes: the heap's region (mheap.cpp): a span of whole regions,
// aligned to one, costs one map entry per region instead of one per page.
inline constexpr std::size_t kRegionBytes = std::size_t(2) << 20;

// mheap_alloc: a span of npages pages, readable and writable, no guards;
// with regions, npages a multiple of kRegionBytes' pages, aligned to a
// region.
Span* mheap_alloc(std::size_t npages, bool regions = false);  // GORT_SYSTEMSTACK
// mheap_free: s back to the heap. s->guarded: guards may be left in it.
void mheap_free(Span* s);               // GORT_SYSTEMSTACK
// mheap_release_arenas: every arena that is all free and has at least
// min_bytes (or half the arena) handed out since it was last released goes
// back to the OS whole
// (os::reset: its pages, guards and page tables in one call), its page map
// too. Returns the bytes released. For the end of a run (run.cpp).
std::size_t mheap_release_arenas(std::size_t min_bytes);  // GORT_SYSTEMSTACK
// mheap_scavenge: give back to the OS every free page that has stayed free
// for at least delay_ns. Returns the bytes released.
std::size_t mheap_scavenge(std::int64_t now, std::int64_t delay_ns);  // GORT_SYSTEMSTACK
// spanof: the span holding addr, or nullptr. Lock-free; valid for addresses
// of live allocations.
Span* spanof(std::uintptr_t addr);

struct HeapStats {
  std::size_t reserved = 0;  // address space taken from the OS
  std::size_t inuse = 0;     // in spans handed out
  std::size_t released = 0;  // free and given back to the OS
};
HeapStats heap_stats();  // GORT_SYSTEMSTACK
// heap_stats_nocheck: the same, from a thread that has no G (outside any
// run), which is on no goroutine stack either.
HeapStats heap_stats_nocheck();

// ---------------------------------------------------------------------------
// Fixed-size allocation for runtime objects. alloc() may run on any stack:
// its chunks come from the OS directly, not from the heap.

void* persistent_alloc(std::size_t n);  // never freed; n <= 64 KiB

template <class T>
class FixAlloc {
 public:
  __attribute__((noinline)) T* alloc() {
    void* p = nullptr;
    {
      LockGuard l(lock_);
      if (free_) {
        p = free_;
        free_ = free_->next;
      } else {
        if (left_ < sizeof(T)) {
          chunk_ = static_cast<unsigned char*>(persistent_alloc(kChunk));
          left_ = kChunk;
        }
        p = chunk_;
        chunk_ += Size;
        left_ -= Size;
      }
      ++inuse_;
    }
    return ::new (p) T();
  }
  void free(T* t) {
    t->~T();
    auto* n = reinterpret_cast<Node*>(t);
    LockGuard l(lock_);
    n->next = free_;
    free_ = n;
    --inuse_;
  }
  std::int64_t inuse() const { return inuse_; }

 private:
  struct Node {
    Node* next;
  };
  static constexpr std::size_t Size = (sizeof(T) + alignof(T) - 1) / alignof(T) * alignof(T);
  static constexpr std::size_t kChunk = 16 * 1024;
  static_assert(alignof(T) <= 64 && Size <= kChunk, "FixAlloc: object too big or too aligned");
  Lock lock_;
  Node* free_ = nullptr;
  unsigned char* chunk_ = nullptr;
  std::size_t left_ = 0;
  std::int64_t inuse_ = 0;
};

// ---------------------------------------------------------------------------
// Stacks.

inline constexpr int kNumStackClasses = 7;     // 4 KiB << 0..6 (with 4 KiB pages)
inline constexpr std::int32_t kStackCacheMax = 16;  // per class per P; refill/release half

struct StackCache {
  std::uintptr_t list = 0;  // stack tops, linked through their top word
  std::int32_t n = 0;
  // Stacks of this class its P handed out minus those it took back (may
  // be negative: a stack is often freed by another P than the one that
  // gave it out). Written by the P's owner only, with plain stores, so
  // that a spawn and an exit touch no shared counter; stack_stats adds it
  // to the global count. It stays here for the P's life, also while the P
  // is idle: folding it into the global count while a reader adds the two
  // lost it from that reader's sum (read the global count before the fold,
  // the share after it). stackcache_destroy folds it, when no one reads.
  std::atomic<std::int64_t> taken{0};
};

// stack_guard_bytes: the size of the guard below every stack (a multiple of
// the page): a fault in [lo - stack_guard_bytes(), lo) is a stack overflow.
std::size_t stack_guard_bytes();
// stack_class: the class for a stack of n bytes, or -1 for a large stack.
int stack_class(std::size_t n);
// stack_class_size: the usable bytes of class c.
std::size_t stack_class_size(int c);
// stack_round: the usable bytes a request of n bytes gets.
std::size_t stack_round(std::size_t n);

// stackalloc/stackfree (declared in runtime.hpp) use the current M's P's
// cache when it has one, the pools otherwise.
void stackcache_refill(StackCache* c, int cls);   // GORT_SYSTEMSTACK
void stackcache_release(StackCache* c, int cls);  // GORT_SYSTEMSTACK
// stackcache_flush: every stack in the caches goes back to the pools (an
// idle P's, by sysmon); the P's counts of stacks in use stay with it.
void stackcache_flush(StackCache* caches);  // GORT_SYSTEMSTACK
// stackcache_destroy: the same for a P being destroyed at the run's end,
// and its counts of stacks in use go to the global ones.
void stackcache_destroy(StackCache* caches);  // GORT_SYSTEMSTACK

// stackpool_scavenge: stack spans whose slots have all been free for
// delay_ns go back to the heap (then to the OS by mheap_scavenge). Returns
// the bytes given back.
std::size_t stackpool_scavenge(std::int64_t now, std::int64_t delay_ns);  // GORT_SYSTEMSTACK

struct StackStats {
  std::int64_t inuse_bytes = 0;   // handed out, not freed
  std::int64_t inuse_count = 0;
  std::int64_t spans = 0;         // stack spans carved from the heap
};
// stack_stats: the global counts plus the shares of the calling M's run's
// Ps (exact there; from a thread of no run, shares not yet flushed are
// missing until the run ends).
StackStats stack_stats();

// stack_check_integrity: walk every pool and the given caches; check that
// each free slot lies in a stack span of its class, on no list twice, and
// that every span's free count matches its list. Returns nullptr when all is
// well, else what is wrong. Test support; allocates.
const char* stack_check_integrity(StackCache* const* caches, int ncaches);  // GORT_SYSTEMSTACK

}  // namespace gort::rt
