// race.hpp: what AddressSanitizer, ThreadSanitizer and valgrind must be told
// about goroutines. Every hook here is an empty inline function unless the
// build has that tool (ASan and TSan: -fsanitize, the asan and tsan
// presets; valgrind: its header, valgrind/valgrind.h, is installed), so the
// switch path costs nothing otherwise.
//
// ASan keeps one stack per thread: its bounds (to unpoison a stack before a
// noreturn call or a throw, to name a stack address in a report, to walk the
// frame pointers of an allocation's stack) and its fake stack (frames moved
// off the stack to catch a use after return). A goroutine switch changes
// both, so every switch is bracketed: __sanitizer_start_switch_fiber on the
// stack being left (with the bounds of the stack switched to, and where to
// keep the leaving one's fake stack), __sanitizer_finish_switch_fiber first
// thing on the stack arrived at (with that stack's fake stack back). The
// switches: gogo (g0 to a G), mcall (a G to g0, also when it exits),
// systemstack and morestack
// (there and back, also when an exception unwinds through), the signal
// handler on gsignal's stack (entry and return; skipped when the signal
// landed inside a switch, which ASan cannot nest).
//
// Fake stacks (detect_stack_use_after_return) are handled, not disabled: a
// goroutine's fake stack travels with it in G::race.fake; g0 and gsignal
// keep theirs the same way; a morestack segment gets a fake stack of its
// own, destroyed with the segment, because ASan frees fake frames whose
// real frame lies below the current sp, and a segment's sp says nothing
// about the frames on the stack it came from (which may lie above or below
// it): sharing the goroutine's fake stack there would free its live frames.
// A fake stack is a mapping of some 700 KB. One made and unmade per
// goroutine (the API's way: a fiber that ends passes a null slot) cost a
// mmap and a munmap with their TLB shootdowns each, and ran the suite's
// goroutine churn at 500 goroutines a second; so a G keeps its fake stack
// when its goroutine exits, for the next goroutine it runs (gfput reuses
// Gs), and freeg destroys it (fake_stack_free). A fake frame the old
// goroutine left allocated is only reused later than it would have been.
// Goroutine stacks are unpoisoned when handed out and poisoned when freed
// (but their top word, the free list's link), as Go's stackalloc does, so
// a frame a goroutine left poisoned (it never returned: goexit's) cannot
// trip the next goroutine on that stack, and a touch of a freed stack is
// reported.
//
// TSan: each goroutine is a TSan fiber, created by the goroutine that
// starts it (__tsan_create_fiber gives the new fiber the creator's clock:
// the happens-before edge of a go statement) and destroyed when it exits;
// each M's g0 is its thread's own fiber. Switches do not synchronise
// (__tsan_switch_to_fiber_no_sync): two goroutines that only ever met on
// one thread are unordered, as in Go, so a race between them is reported
// even with GORTMAXPROCS=1. The runtime (core/, os/, arch/) is therefore
// not instrumented (CMakeLists.txt), as Go's runtime is not under -race:
// its own locks and atomics order nothing TSan sees, and it tells TSan
// the edges a program relies on, with acquire/release on the object:
// channels (chan.cpp: each buffer slot, a direct hand-off in both
// directions, close), WaitGroup (done before wait's return), Mutex
// (unlock before the next lock), the end of main before run returns and of
// a callback before gort::callback returns (the end of every goroutine is
// released on its G). Rejected: instrumenting the runtime with switches that
// synchronise (goroutines that shared a thread would be ordered through its
// scheduler, hiding their races); instrumenting it with switches that do
// not (every hand-off between a G and g0 inside the runtime would need an
// edge, and each edge would order the goroutines that met there).
// A goroutine stack is memory that a new goroutine reuses without a free
// and malloc TSan could see: the goroutine that freed it releases the stack
// (stackfree runs after it ended, on g0: the edge is released from its G
// when it exits) and the one that takes it acquires it. So is a G, whose
// fn_buf holds a goroutine's captures: released when its goroutine exits,
// acquired by newproc when it starts another, whether the G comes from a
// P's free list or, in a later run, from the G allocator.
//
// The runtime's bookkeeping. Uninstrumented, the runtime is still seen by
// TSan's interceptors: operator new and delete, and the memcpy, memcmp
// and memmove of the standard containers it uses, record accesses under
// whichever fiber runs the runtime's code, while the locks that order them
// are the runtime's own, which TSan does not see. Where the runtime keeps
// its own heap that way (the timer heap's array, gort::after's timers and
// the time they send, the profiler's tables and file, the interned label
// sets), RuntimeOwn makes TSan ignore those accesses and any edge in
// between, as it ignores the runtime's plain loads and stores. What the
// program hands the runtime is not bookkeeping: a lock the program relies
// on becomes an edge instead (gort::signal's queue: notify and stop before
// its deliveries, as Go's os/signal's mutex orders them). The OS port's
// interceptor writes into the runtime's stack memory (a timespec, a
// thread's attributes) are suppressed by name (proc.cpp). In a signal
// handler the runtime calls no intercepted function (the unwinder copies
// with plain loads): the signal may have landed inside TSan itself.
//
// Thread-shared memory. Goroutines that run on one thread in turn share
// what is the thread's: its errno (a goroutine reads what the last system
// call on its thread left) and, on a thread gort started, the system stack
// where blocking() runs the program's calls for each of them. TSan sees
// unordered fibers touch the same memory (TSan itself writes a thread's
// whole TLS when it starts); nothing orders them but the thread, and an
// edge between them would order the goroutines. minit declares both
// benign for TSan (thread_shared). TSan has no call that withdraws that:
// it outlives the thread, and should glibc unmap an exited M's stack and
// the addresses serve something else later, races there go unreported
// too (a run's Ms live until its end; glibc keeps 40 MB of exited
// threads' stacks for new threads). A thread_local of the program's is not
// covered: a goroutine's first access to one on an M gort started is
// reported against TSan's write of that thread's TLS, even when the
// goroutine is locked to the thread, and so are goroutines that take turns
// with one on their thread. Declaring an M's whole static TLS block benign
// too (its bounds from dl_iterate_phdr's dlpi_tls_data, through the OS
// port) would cover it; not done yet. Rejected: switches from g0 to a goroutine that
// synchronise (the thread's clock would carry whatever its creator did
// before pthread_create to every goroutine it runs); a per-thread edge
// around blocking() (it would order the goroutines that took turns there).
//
// Signals. TSan intercepts sigaction, puts its own handler in front of the
// program's and, for a signal that is not a fault, calls the program's
// only at the thread's next call it intercepts. gort's handler is the
// runtime's (uninstrumented, no lock, no allocation): the OS port installs
// it with glibc's own sigaction, past the interceptor (an M asleep in a
// futex, a call TSan does not see, would otherwise keep a notified signal,
// a SIGQUIT or a profile tick indefinitely). A handler of the program's
// stays TSan's.
//
// TSan's limits, which are the suite's: GCC 12's runtime holds at most
// 8128 threads and fibers at once, and every live goroutine is a fiber (it
// ends the process past that); a fiber that a goroutine's exit destroyed
// leaves its id for reuse, after which its accesses look ordered.
//
// valgrind: memcheck treats a move of sp within 2 MB as a frame being pushed
// or popped (marking the memory in between undefined or inaccessible) unless
// both ends lie in different registered stacks. Every goroutine stack slot is
// registered when its span is carved (stack.cpp) and deregistered when the
// span goes back to the heap; large stacks and each M's g0 stack likewise.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__SANITIZE_ADDRESS__)
#define GORT_RACE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GORT_RACE_ASAN 1
#endif
#endif
#ifndef GORT_RACE_ASAN
#define GORT_RACE_ASAN 0
#endif

// GORT_RACE_TSAN: CMake sets it for the runtime, which is built without
// -fsanitize=thread (see above); code built with it sees the compiler's flag.
#ifndef GORT_RACE_TSAN
#if defined(__SANITIZE_THREAD__)
#define GORT_RACE_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GORT_RACE_TSAN 1
#endif
#endif
#endif
#ifndef GORT_RACE_TSAN
#define GORT_RACE_TSAN 0
#endif

#if !defined(GORT_NO_VALGRIND) && defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#define GORT_RACE_VALGRIND 1
#endif
#endif
#ifndef GORT_RACE_VALGRIND
#define GORT_RACE_VALGRIND 0
#endif

#if GORT_RACE_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if GORT_RACE_TSAN
#include <sanitizer/tsan_interface.h>
// libtsan's, declared by no header of GCC's: the dynamic annotations
// (valgrind's names) and ignores.
extern "C" void AnnotateBenignRaceSized(const char* file, int line, const volatile void* mem, unsigned long size,
                                        const char* description);
extern "C" void __tsan_ignore_thread_begin(void);
extern "C" void __tsan_ignore_thread_end(void);
extern "C" void AnnotateIgnoreSyncBegin(const char* file, int line);
extern "C" void AnnotateIgnoreSyncEnd(const char* file, int line);
#endif
#if GORT_RACE_VALGRIND
#include <valgrind/valgrind.h>
#endif

// GORT_RACE_RUNTIME: a function of the runtime that is inline in a header,
// and so compiled into the program's code too, which TSan instruments:
// built uninstrumented there as well (as the runtime is: see above), with
// neither its loads and stores nor its entry and exit recorded. That
// matters most for a switch that never returns to its frame (gogo): TSan
// pushes a function's entry on the running fiber's shadow stack of calls
// and pops it at the return, and an entry whose return never comes stays
// there: a test that switched a million times between two contexts
// overflowed that stack inside libtsan (a segfault in __tsan::Acquire).
// Every hook below carries it too: a hook not inlined into such a caller
// would be a call of its own, entered on one fiber and left on another.
// GCC drops all of TSan's instrumentation with no_sanitize("thread");
// clang keeps the entry and exit there, and drops them with
// disable_sanitizer_instrumentation.
#if GORT_RACE_TSAN && defined(__clang__) && defined(__has_attribute)
#if __has_attribute(disable_sanitizer_instrumentation)
#define GORT_RACE_RUNTIME __attribute__((disable_sanitizer_instrumentation))
#endif
#endif
#if GORT_RACE_TSAN && !defined(GORT_RACE_RUNTIME)
#define GORT_RACE_RUNTIME __attribute__((no_sanitize("thread")))
#endif
#ifndef GORT_RACE_RUNTIME
#define GORT_RACE_RUNTIME
#endif

namespace gort::rt::race {

inline constexpr bool kAsan = GORT_RACE_ASAN;
inline constexpr bool kTsan = GORT_RACE_TSAN;
inline constexpr bool kValgrind = GORT_RACE_VALGRIND;
// kStackSwitch: a sanitizer that must hear of switches between stacks.
inline constexpr bool kStackSwitch = kAsan || kTsan;

// GState: a G's part (G::race; empty, and no byte of G, with no sanitizer).
struct GState {
#if GORT_RACE_ASAN
  void* fake = nullptr;  // the G's fake stack while it is switched out
#endif
#if GORT_RACE_TSAN
  void* fiber = nullptr;  // the G's TSan fiber
#endif
};

// fake_slot: where a G keeps its fake stack while switched out (nullptr
// without ASan).
GORT_RACE_RUNTIME inline void** fake_slot([[maybe_unused]] GState& g) {
#if GORT_RACE_ASAN
  return &g.fake;
#else
  return nullptr;
#endif
}

#if GORT_RACE_ASAN
// Set between the two halves of a switch on this thread; the signal handler
// leaves ASan's view alone then (proc.cpp; initial-exec TLS).
extern __attribute__((tls_model("initial-exec"))) thread_local bool tls_switching;
#endif

// ---------------------------------------------------------------------------
// Switches between Gs. switch_begin on the stack being left, just before
// the switch: to the stack [lo, hi) of `to`; `from_ends`: the goroutine
// being left has ended (its G keeps its fake stack all the same: see
// above). switch_end first thing on the stack arrived at.

GORT_RACE_RUNTIME inline void switch_begin([[maybe_unused]] GState& from, [[maybe_unused]] bool from_ends,
                                            [[maybe_unused]] GState& to, [[maybe_unused]] std::uintptr_t lo,
                                            [[maybe_unused]] std::uintptr_t hi) {
#if GORT_RACE_ASAN
  tls_switching = true;
  __sanitizer_start_switch_fiber(&from.fake, reinterpret_cast<const void*>(lo), hi - lo);
#endif
#if GORT_RACE_TSAN
  __tsan_switch_to_fiber(to.fiber, 1 /* __tsan_switch_to_fiber_no_sync */);
#endif
}

GORT_RACE_RUNTIME inline void switch_end([[maybe_unused]] GState& to) {
#if GORT_RACE_ASAN
  __sanitizer_finish_switch_fiber(to.fake, nullptr, nullptr);
  to.fake = nullptr;
  tls_switching = false;
#endif
}

// abandon_frames: the current stack's frames will never return (g0 leaving
// for a G: the scheduler restarts at g0's base). ASan unpoisons them and
// frees their fake frames; the compiler calls it before a noreturn call
// too, but there, after switch_begin, it would no longer see g0's fake
// stack.
GORT_RACE_RUNTIME inline void abandon_frames() {
#if GORT_RACE_ASAN
  __asan_handle_no_return();
#endif
}

// CallSwitch: a call on another stack that comes back (systemstack: g0's
// stack and fake stack; morestack: a segment, with a fake stack of its own
// that ends with the call). there() on the caller's stack before the port's
// routine, arrived() and leaving() first and last on the other stack (also
// when an exception leaves it), back() on the caller's stack after it.
struct CallSwitch {
#if GORT_RACE_ASAN
  void* caller_fake = nullptr;
  void** callee_fake = nullptr;  // g0's slot, or nullptr: the segment's own
  const void* caller_lo = nullptr;
  std::size_t caller_size = 0;
#endif
  void there([[maybe_unused]] void** callee_fake, [[maybe_unused]] std::uintptr_t lo,
             [[maybe_unused]] std::uintptr_t hi) {
#if GORT_RACE_ASAN
    this->callee_fake = callee_fake;
    tls_switching = true;
    __sanitizer_start_switch_fiber(&caller_fake, reinterpret_cast<const void*>(lo), hi - lo);
#endif
  }
  void arrived() {
#if GORT_RACE_ASAN
    void* f = nullptr;
    if (callee_fake != nullptr) {
      f = *callee_fake;
      *callee_fake = nullptr;
    }
    __sanitizer_finish_switch_fiber(f, &caller_lo, &caller_size);
    tls_switching = false;
#endif
  }
  void leaving() {
#if GORT_RACE_ASAN
    tls_switching = true;
    __sanitizer_start_switch_fiber(callee_fake, caller_lo, caller_size);
#endif
  }
  void back() {
#if GORT_RACE_ASAN
    __sanitizer_finish_switch_fiber(caller_fake, nullptr, nullptr);
    tls_switching = false;
#endif
  }
};

#if GORT_RACE_ASAN
// fake_or_none: a fake stack saved by __sanitizer_start_switch_fiber, or
// nullptr for ASan's "being made" mark. ASan makes a thread's fake stack
// lazily, on its first instrumented frame, and holds the value 1 in the
// thread's slot during the mmap; a signal landing there saved that 1, and
// giving it back on the way out put 1 in ASan's thread-local fake-stack
// pointer too: the next instrumented frame (the next signal's handler,
// while the mmap still ran) read through it and crashed with no report
// (SignalStorm.* under ctest -j2 in the asan preset: 17 of 40 runs).
// Given back as nullptr, the slot stays empty until the interrupted code
// stores the fake stack it is making, as it does next.
inline void* fake_or_none(void* f) { return reinterpret_cast<std::uintptr_t>(f) == 1 ? nullptr : f; }
#endif

// SignalScope: a signal handler's frame on gsignal's stack [lo, hi), whose
// fake stack is in `gs`. Nothing when the handler landed inside a switch
// (ASan cannot nest one) or does not run on that stack.
struct SignalScope {
#if GORT_RACE_ASAN
  GState* gs = nullptr;
  void* fake = nullptr;
  const void* lo = nullptr;
  std::size_t size = 0;
#endif
  SignalScope([[maybe_unused]] GState* gs, [[maybe_unused]] std::uintptr_t lo,
              [[maybe_unused]] std::uintptr_t hi) {
#if GORT_RACE_ASAN
    auto sp = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
    if (tls_switching || gs == nullptr || sp < lo || sp >= hi) return;
    this->gs = gs;
    tls_switching = true;
    __sanitizer_start_switch_fiber(&fake, reinterpret_cast<const void*>(lo), hi - lo);
    __sanitizer_finish_switch_fiber(fake_or_none(gs->fake), &this->lo, &size);
    gs->fake = nullptr;
    tls_switching = false;
#endif
  }
  ~SignalScope() {
#if GORT_RACE_ASAN
    if (gs == nullptr) return;
    tls_switching = true;
    __sanitizer_start_switch_fiber(&gs->fake, lo, size);
    __sanitizer_finish_switch_fiber(fake_or_none(fake), nullptr, nullptr);
    tls_switching = false;
#endif
  }
  SignalScope(const SignalScope&) = delete;
  SignalScope& operator=(const SignalScope&) = delete;
};

// fake_stack_free: destroy the fake stack a G keeps (freeg), from code
// running on the stack [lo, hi): ASan destroys only the current fake stack,
// so it becomes current for a moment, with the stack bounds unchanged.
GORT_RACE_RUNTIME inline void fake_stack_free([[maybe_unused]] GState& g, [[maybe_unused]] std::uintptr_t lo,
                                               [[maybe_unused]] std::uintptr_t hi) {
#if GORT_RACE_ASAN
  if (g.fake == nullptr || tls_switching) return;
  tls_switching = true;
  void* mine = nullptr;
  const void* b = reinterpret_cast<const void*>(lo);
  __sanitizer_start_switch_fiber(&mine, b, hi - lo);
  __sanitizer_finish_switch_fiber(g.fake, nullptr, nullptr);
  g.fake = nullptr;
  __sanitizer_start_switch_fiber(nullptr, b, hi - lo);
  __sanitizer_finish_switch_fiber(mine, nullptr, nullptr);
  tls_switching = false;
#endif
}

// ---------------------------------------------------------------------------
// TSan fibers and happens-before edges.

// fiber_new: a fiber for a new goroutine, made by the running code (whose
// clock the fiber starts with) and named after it.
GORT_RACE_RUNTIME inline void fiber_new([[maybe_unused]] GState& g, [[maybe_unused]] std::uint64_t goid) {
#if GORT_RACE_TSAN
  g.fiber = __tsan_create_fiber(0);
  char name[32] = "goroutine ";
  char digits[21];
  int n = 0;
  do digits[n++] = static_cast<char>('0' + goid % 10);
  while ((goid /= 10) != 0);
  char* p = name + 10;
  while (n > 0) *p++ = digits[--n];
  *p = 0;
  __tsan_set_fiber_name(g.fiber, name);
#endif
}

// fiber_free: the fiber of a goroutine that ended (not the running one).
GORT_RACE_RUNTIME inline void fiber_free([[maybe_unused]] GState& g) {
#if GORT_RACE_TSAN
  // Written only when there is a fiber: a second call (the test harness
  // frees a context whose exit freed it already) only reads, and a read
  // is no race with the reads of the switches that went to it.
  if (g.fiber != nullptr) {
    __tsan_destroy_fiber(g.fiber);
    g.fiber = nullptr;
  }
#endif
}

// fiber_thread: g0 is the thread's own fiber (on the thread).
GORT_RACE_RUNTIME inline void fiber_thread([[maybe_unused]] GState& g0) {
#if GORT_RACE_TSAN
  g0.fiber = __tsan_get_current_fiber();
#endif
}

// current_fiber/switch_fiber: for code that returns into another G's
// context than the one it left by (a callback returning into blocking).
GORT_RACE_RUNTIME inline void* current_fiber() {
#if GORT_RACE_TSAN
  return __tsan_get_current_fiber();
#else
  return nullptr;
#endif
}
GORT_RACE_RUNTIME inline void switch_fiber([[maybe_unused]] void* fiber) {
#if GORT_RACE_TSAN
  if (fiber != nullptr && fiber != __tsan_get_current_fiber()) __tsan_switch_to_fiber(fiber, 1);
#endif
}

// release(addr) ... acquire(addr): what the running code did before the
// release happens before what the acquiring code does after.
GORT_RACE_RUNTIME inline void release([[maybe_unused]] const void* addr) {
#if GORT_RACE_TSAN
  __tsan_release(const_cast<void*>(addr));
#endif
}
GORT_RACE_RUNTIME inline void acquire([[maybe_unused]] const void* addr) {
#if GORT_RACE_TSAN
  __tsan_acquire(const_cast<void*>(addr));
#endif
}

// thread_shared(addr, size, what): memory of the calling thread that the
// goroutines running on it use in turn, by design, with nothing that
// orders them (race.hpp's top: thread-shared memory). TSan takes any two
// of their accesses for a race, and has no call that makes it forget a
// range; a benign race is the only word it has for that memory, from then
// on (the range is the thread's for as long as it lives).
GORT_RACE_RUNTIME inline void thread_shared([[maybe_unused]] const void* addr, [[maybe_unused]] std::size_t size,
                                            [[maybe_unused]] const char* what) {
#if GORT_RACE_TSAN
  if (size != 0) AnnotateBenignRaceSized(__FILE__, __LINE__, addr, size, what);
#endif
}

// RuntimeOwn: a scope in which the runtime's own code touches the
// runtime's own heap through calls TSan intercepts (operator new and
// delete, the standard containers' memcpy and memcmp): TSan records none
// of those accesses, and no edge either (race.hpp's top: the runtime's
// bookkeeping). Ignores nest; a goroutine may park inside one and resume
// on another thread (the ignore is its fiber's). Nothing of the program's
// may run inside (its channel elements' moves, its functions): those
// accesses and edges are the program's.
struct RuntimeOwn {
#if GORT_RACE_TSAN
  GORT_RACE_RUNTIME RuntimeOwn() {
    __tsan_ignore_thread_begin();
    AnnotateIgnoreSyncBegin(__FILE__, __LINE__);
  }
  GORT_RACE_RUNTIME ~RuntimeOwn() {
    AnnotateIgnoreSyncEnd(__FILE__, __LINE__);
    __tsan_ignore_thread_end();
  }
#else
  RuntimeOwn() {}
#endif
  RuntimeOwn(const RuntimeOwn&) = delete;
  RuntimeOwn& operator=(const RuntimeOwn&) = delete;
};

// ---------------------------------------------------------------------------
// Stack memory.

// stack_taken/stack_freed: a goroutine stack [lo, hi) handed out, given
// back (see above: poisoned but for its top word).
GORT_RACE_RUNTIME inline void stack_taken([[maybe_unused]] std::uintptr_t lo, [[maybe_unused]] std::uintptr_t hi) {
#if GORT_RACE_ASAN
  __asan_unpoison_memory_region(reinterpret_cast<void*>(lo), hi - lo);
#endif
}
GORT_RACE_RUNTIME inline void stack_freed([[maybe_unused]] std::uintptr_t lo, [[maybe_unused]] std::uintptr_t hi) {
#if GORT_RACE_ASAN
  __asan_poison_memory_region(reinterpret_cast<void*>(lo), hi - lo - sizeof(std::uintptr_t));
#endif
}

// stack_register: valgrind learns that [lo, hi) is a stack; the id goes to
// stack_deregister. 0 without valgrind (and natively: the request is a
// no-op sequence of instructions then).
GORT_RACE_RUNTIME inline unsigned stack_register([[maybe_unused]] std::uintptr_t lo,
                                                  [[maybe_unused]] std::uintptr_t hi) {
#if GORT_RACE_VALGRIND
  return VALGRIND_STACK_REGISTER(lo, hi);
#else
  return 0;
#endif
}
// on_valgrind: the program runs under valgrind.
GORT_RACE_RUNTIME inline bool on_valgrind() {
#if GORT_RACE_VALGRIND
  return RUNNING_ON_VALGRIND != 0;
#else
  return false;
#endif
}
GORT_RACE_RUNTIME inline void stack_deregister([[maybe_unused]] unsigned id) {
#if GORT_RACE_VALGRIND
  VALGRIND_STACK_DEREGISTER(id);
#endif
}

}  // namespace gort::rt::race
