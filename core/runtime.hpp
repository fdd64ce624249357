// runtime.hpp: G, M, the current G, the system-stack rule, and the C++
// wrappers around the CPU port's primitives (port.hpp).
//
// Glossary (Go's words, on purpose; porters read Go's runtime):
//   G       a goroutine: its stack bounds, saved context (Gobuf), status.
//   M       an OS thread. Each M owns g0, whose stack is the thread's own
//           (the system stack, where the scheduler and the allocator run),
//           and gsignal, whose stack is the thread's alternate signal stack.
//   g0 base g0->sched: the context saved where the thread entered the
//           runtime. mcall and systemstack start their frames at its sp, so
//           frames on g0 never pile up: nothing gogo's back into an
//           existing g0 frame.
//   Gobuf   a suspended context: sp, pc and callee-saved state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

#include <atomic>

#include "fatal.hpp"
#include "lock.hpp"
#include "os.hpp"
#include "port.hpp"
#include "race.hpp"

namespace gort::rt {

struct M;
struct P;
struct Sched;
struct Sudog;
struct LabelSet;
namespace detail {
struct SegmentScope;
}

// racy: a relaxed read of a field other threads write without a lock, for
// the debug printers, crash reports and the unwinder (signal handlers
// among them): one load, so a pointer checked for null is the one
// dereferenced. A field wider than a word and than the CPU's atomics (a
// 64-bit goid on MIPS32 or ARMv5) is read word by word instead and may
// tear: the compiler's atomic load would be a call into libatomic, which
// takes a lock, and a handler that interrupted its own thread inside it
// deadlocks.
template <class T>
T racy(const T& x) {
  static_assert(std::is_trivially_copyable_v<T>);
  if constexpr (sizeof(T) <= sizeof(std::uintptr_t) || __atomic_always_lock_free(sizeof(T), 0)) {
    return __atomic_load_n(&x, __ATOMIC_RELAXED);
  } else {
    static_assert(sizeof(T) % sizeof(std::uintptr_t) == 0, "racy: whole words only");
    std::uintptr_t w[sizeof(T) / sizeof(std::uintptr_t)];
    const auto* src = reinterpret_cast<const std::uintptr_t*>(&x);
    for (std::size_t i = 0; i < sizeof w / sizeof w[0]; ++i) w[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
    T v;
    __builtin_memcpy(&v, w, sizeof v);
    return v;
  }
}

enum class Gstatus : std::uint32_t { idle, runnable, running, syscall, waiting, dead };

struct Stack {
  std::uintptr_t lo = 0;  // [lo, hi) usable; a guard page sits just below lo
  std::uintptr_t hi = 0;
};

struct G {
  Gobuf sched{};
  std::uintptr_t stack_lo = 0;  // bounds of the stack (or segment) in use
  std::uintptr_t stack_hi = 0;
  M* m = nullptr;
  std::uint64_t goid = 0;
  std::atomic<Gstatus> status{Gstatus::idle};
  std::atomic<std::uint32_t> select_done{0};  // a select's cases race to set it (chan.cpp)
  // Scheduler state (sched.hpp).
  Stack stack;                // owned stack; kept when the G is reused
  G* schedlink = nullptr;     // run queue or free list
  G* gfree_batch = nullptr;   // the run's free list: the next batch (proc.cpp, gfput)
  G* alllink = nullptr;       // every G ever made (allgs)
  const char* waitreason = "";
  // The one-byte fields together, so that G packs without holes (the
  // bytes of a parked goroutine: docs/PERF.md). callback: a callback's
  // goroutine (cgocall.cpp), whose exit returns to the caller of
  // gort::callback instead of scheduling; callback_foreign: that caller is
  // a thread gort did not create (else a blocking call on gort's own M).
  // fn_heap: fn_obj (below) is on the heap.
  std::atomic<bool> preempt{false};
  bool is_main = false;
  bool callback = false;
  bool callback_foreign = false;
  bool fn_heap = false;
  Sudog* param = nullptr;     // the sudog that woke a parked select (selectgo clears it)
  // The innermost morestack segment in use (its scope records the bounds it
  // returns to): the unwinder's map of this G's stack memory.
  detail::SegmentScope* segments = nullptr;
  // Locked to an M (lock_os_thread, callbacks; cgocall.cpp): it runs on
  // lockedm only, and lockedm runs nothing else. lockedext counts the
  // program's lock_os_thread calls, lockedint the runtime's (a callback).
  M* lockedm = nullptr;
  std::uint32_t lockedext = 0;
  std::uint32_t lockedint = 0;
  // Profiling labels (labels.cpp), inherited by the goroutines it starts.
  const LabelSet* labels = nullptr;
  // The function a new G runs: fn_obj points into fn_buf or to the heap.
  void (*fn_run)(void*) = nullptr;
  void (*fn_destroy)(void*) = nullptr;
  void* fn_obj = nullptr;
  // What ASan and TSan are told of this G (race.hpp; nothing without them).
  [[no_unique_address]] race::GState race;
  alignas(16) unsigned char fn_buf[64];
};

struct M {
  G* g0 = nullptr;
  G* gsignal = nullptr;
  G* curg = nullptr;
  std::int64_t id = 0;
  // Scheduler state (sched.hpp).
  Sched* sched = nullptr;  // the run this M belongs to (nullptr: adopted, no run)
  P* p = nullptr;       // attached P, if any
  P* nextp = nullptr;   // P handed over by startm
  P* oldp = nullptr;    // P held when entering a blocking call
  bool spinning = false;
  bool is_m0 = false;
  bool timed = false;   // parked with a timeout for the next timer
  void* thread = nullptr;  // os handle, joined when gort::run ends
  bool exited = false;     // left the run (mexit); sched.lock
  M* schedlink = nullptr;
  M* alllink = nullptr;
  Note park;
  std::uint64_t fastrand = 0;
  bool (*waitunlockf)(G*, void*) = nullptr;
  void* waitlock = nullptr;
  void (*mcallfn)(G*) = nullptr;  // mcall's fn, when a sanitizer needs a trampoline
  // Channels made minus channels released on this M (chan.cpp, chans_live),
  // written by the M's own thread only; folded into the global count when
  // the M is freed.
  std::atomic<std::int64_t> chans{0};
  // Direct switches on a solo P (solo.cpp): the G being left, whose stack
  // sp is on until the switch completes (for sigfetchg).
  G* solo_prev = nullptr;
  // A G taken from the run queue on a goroutine's stack (a solo P's direct
  // switch, a goroutine's end: goexit_direct) that g0 must run after all
  // (run_handoff), and whether it inherits the time slice.
  G* handoff = nullptr;
  bool handoff_inherit = false;
  // Signals (signal.cpp).
  os::SigStack sigstack_prev;  // the thread's alternate stack before minit
  bool sigstack_ours = false;  // gsignal's stack came from stackalloc
  // Locked goroutines and callbacks (cgocall.cpp).
  G* lockedg = nullptr;     // the G this M runs, and nothing else
  M* idlelockedlink = nullptr;  // Sched::midlelocked: locked Ms waiting for their G
  bool idlelocked = false;
  bool extra = false;       // a spare M for threads gort did not create (needm)
  G* cbfree = nullptr;      // finished callback Gs of this M, for reuse
  // CPU profiling (cpuprof.cpp): this thread's CPU clock, its timer.
  os::ThreadClock clock;
  void* proftimer = nullptr;
  // valgrind's id for g0's stack (race.hpp), registered on the thread.
  unsigned g0_stack_id = 0;
};

// getg/setg: the G running on this thread. Out of line, unless the port
// offers inline access (GORT_ARCH_TLS_G, port.hpp): a goroutine may resume
// on another thread, and a plain inlined thread-local access could reuse
// the previous thread's TLS address computed before the switch.
#if defined(GORT_ARCH_TLS_G)
inline G* getg() noexcept { return static_cast<G*>(gort_arch::tls_g_get()); }
inline void setg(G* gp) noexcept { gort_arch::tls_g_set(gp); }
#else
G* getg() noexcept;
void setg(G* gp) noexcept;
#endif

// adopt_thread: give the calling thread an M and a g0 over its own stack if it
// has none, and return its g0. Allocates; call before using the runtime on a
// thread.
G* adopt_thread();

// on_system_stack: true on g0 or gsignal.
inline bool on_system_stack(G* gp) {
  return gp != nullptr && gp->m != nullptr && (gp == gp->m->g0 || gp == gp->m->gsignal);
}

// systemstack_check(fn): the entry check of every GORT_SYSTEMSTACK function.
void systemstack_check(const char* fn);

// GORT_SYSTEMSTACK(): first statement of a function that touches allocator
// state (invariant 1). On any other stack it ends the process with
// "fatal: <function> not on system stack".
#define GORT_SYSTEMSTACK() ::gort::rt::systemstack_check(__func__)

// gogo(gp): make gp the current G and resume it. From g0 (the scheduler,
// whose frames all end here), or back to the current G's own saved context.
// GORT_RACE_RUNTIME (race.hpp): never returns to its frame.
[[noreturn]] GORT_RACE_RUNTIME inline void gogo(G* gp) {
  G* cur = getg();
  setg(gp);
  if (race::kStackSwitch && cur != gp && cur != nullptr) {
    race::abandon_frames();
    race::switch_begin(cur->race, false, gp->race, gp->stack_lo, gp->stack_hi);
  }
  gort_gogo(&gp->sched);
}

// mcall(fn): save the current G and call fn(g) on g0's stack. fn must not
// return; it ends by resuming some G with gogo. Inline, as are its callers
// on the park path (gopark, gosched): every return taken after the G
// resumes is mispredicted (the CPU's return-address predictor holds what
// the other stacks called), so the fewer frames between a runtime entry
// point and the switch, the cheaper the hand-off (port.hpp, gort_mcall).
// With ASan or TSan the switch is announced before it and fn runs behind
// mcall_switched, which announces the arrival first thing on g0 (race.hpp);
// without them those branches compile to nothing. mcall_exit: the same for
// a G that will never run again (goexit).
[[noreturn]] void mcall_misuse(G* gp);
void mcall_switched(G* gp);
GORT_RACE_RUNTIME inline void mcall1(void (*fn)(G*), bool exiting) {
  G* gp = getg();
  M* mp = gp != nullptr ? gp->m : nullptr;
  if (mp == nullptr || gp == mp->g0 || gp == mp->gsignal || mp->g0->sched.sp == 0) [[unlikely]]
    mcall_misuse(gp);
  G* g0 = mp->g0;
  setg(g0);
  if constexpr (race::kStackSwitch) {
    mp->mcallfn = fn;
    race::switch_begin(gp->race, exiting, g0->race, g0->stack_lo, g0->stack_hi);
    gort_mcall(&gp->sched, g0->sched.sp, &mcall_switched, gp);
    race::switch_end(gp->race);  // resumed by gogo
  } else {
    gort_mcall(&gp->sched, g0->sched.sp, fn, gp);
  }
}
inline void mcall(void (*fn)(G*)) { mcall1(fn, false); }
void mcall_exit(void (*fn)(G*));

namespace detail {
template <class F>
void call_thunk(void* f) {
  (*static_cast<F*>(f))();
}
template <class F, class R>
R call_thunk_ret(void* f) {
  return (*static_cast<F*>(f))();
}

// SwitchedCall: f, and the sanitizers' view of the switch to the stack it
// runs on and back (race.hpp); only with a sanitizer that needs it.
template <class F>
struct SwitchedCall {
  F* f;
  race::CallSwitch sw;
};
template <class F>
void switched_thunk(void* p) {
  auto* c = static_cast<SwitchedCall<F>*>(p);
  c->sw.arrived();
  struct Leave {
    race::CallSwitch& sw;
    ~Leave() { sw.leaving(); }
  } leave{c->sw};
  (*c->f)();
}
template <class F, class R>
R switched_thunk_ret(void* p) {
  auto* c = static_cast<SwitchedCall<F>*>(p);
  c->sw.arrived();
  struct Leave {
    race::CallSwitch& sw;
    ~Leave() { sw.leaving(); }
  } leave{c->sw};
  return (*c->f)();
}
}  // namespace detail

// systemstack(f): run f() on g0's stack and come back; a plain call when
// already on g0 or gsignal.
template <class F>
void systemstack(F&& f) {
  G* gp = getg();
  if (gp == nullptr) fatal("systemstack: no runtime on this thread");
  M* mp = gp->m;
  if (gp == mp->g0 || gp == mp->gsignal) {
    f();
    return;
  }
  G* g0 = mp->g0;
  if (g0->sched.sp == 0) fatal("systemstack: g0 has no base context");
  using Fn = std::remove_reference_t<F>;
  setg(g0);
  if constexpr (race::kAsan) {
    // The same G on another stack: ASan hears of both switches.
    detail::SwitchedCall<Fn> c{&f, {}};
    struct Restore {
      G* gp;
      race::CallSwitch& sw;
      ~Restore() {
        sw.back();
        setg(gp);
      }
    } restore{gp, c.sw};
    c.sw.there(race::fake_slot(g0->race), g0->stack_lo, g0->stack_hi);
    gort_systemstack(&c, &detail::switched_thunk<Fn>, g0->sched.sp);
  } else {
    // Back on gp's stack, gp is the current G again, also when f throws: the
    // exception unwinds through the port's frame back to this one.
    struct Restore {
      G* gp;
      ~Restore() { setg(gp); }
    } restore{gp};
    gort_systemstack(const_cast<void*>(static_cast<const void*>(&f)),
                     &detail::call_thunk<Fn>, g0->sched.sp);
  }
}

// off_goroutine_stack(f): f() on the system stack when this thread runs a
// goroutine, else here (g0, gsignal, or a thread with no runtime at all).
// For the runtime's calls into the OS on paths a goroutine reaches (a
// contended lock's sleep, yield or wake-up): the first call of a libc
// function runs the dynamic linker's resolver, which saves the vector
// registers on the stack (xsave: 1-3 KiB), more than a goroutine on the
// smallest class may have left; a goroutine on such a stack died that way
// in `go` (runqputslow's lock, lock_sema.cpp's first sched_yield). Go calls
// libc on g0 too (darwin's and solaris's libcCall).
// (systemstack already calls f in place on g0 and gsignal; a thread with
// no G at all is the one case it refuses.)
template <class F>
void off_goroutine_stack(F&& f) {
  if (getg() == nullptr)
    f();
  else
    systemstack(f);
}

// stackalloc: a stack of at least n bytes with a guard page below it;
// stackfree: give it back. Both GORT_SYSTEMSTACK (malloc.hpp has the rest).
Stack stackalloc(std::size_t n);
void stackfree(Stack s);

// Segments handed out by morestack and not yet freed, and in all.
std::int64_t segments_live();
std::int64_t segments_total();

inline constexpr std::size_t kSegmentSize = 16 * 1024;

namespace detail {
Stack segment_get(std::size_t n);
void segment_put(Stack s);

// SegmentScope: moves the current G's bounds onto a new segment for the life
// of one morestack call and frees the segment after it (also when an
// exception unwinds through).
struct SegmentScope {
  G* gp;
  Stack seg;
  std::uintptr_t old_lo, old_hi;
  SegmentScope* outer;  // the segment (or nullptr: the G's stack) this one returns to
  explicit SegmentScope(std::size_t n) : gp(getg()), seg(segment_get(n)) {
    old_lo = gp->stack_lo;
    old_hi = gp->stack_hi;
    outer = gp->segments;
    // A signal on this thread may land between these stores and the
    // switch of sp in morestack: the chain lists both stacks, so the
    // unwinder may read either.
    gp->stack_lo = seg.lo;
    gp->stack_hi = seg.hi;
    gp->segments = this;
    race::acquire(reinterpret_cast<void*>(seg.lo));  // from its last user (race.hpp)
  }
  ~SegmentScope() {
    race::release(reinterpret_cast<void*>(seg.lo));
    gp->segments = outer;
    gp->stack_lo = old_lo;
    gp->stack_hi = old_hi;
    segment_put(seg);
  }
  std::uintptr_t top() const { return seg.hi & ~std::uintptr_t(GORT_STACK_ALIGN - 1); }
  SegmentScope(const SegmentScope&) = delete;
  SegmentScope& operator=(const SegmentScope&) = delete;
};
}  // namespace detail

// morestack(f, n): run f() on a fresh stack segment of n bytes and return its
// result; the segment goes back to the allocator when f returns (lessstack).
// Scalar results come back in the return registers through the port's
// return path; other types are constructed in the caller's frame.
template <class F>
auto morestack(F&& f, std::size_t n = kSegmentSize) -> std::invoke_result_t<F&> {
  using R = std::invoke_result_t<F&>;
  using Fn = std::remove_reference_t<F>;
  void* fp = const_cast<void*>(static_cast<const void*>(&f));
  detail::SegmentScope scope(n);
  if constexpr (race::kAsan) {
    // As the plain paths below, with ASan told of the switch to the segment
    // and back (the segment gets a fake stack of its own: race.hpp).
    if constexpr (std::is_void_v<R> || std::is_scalar_v<R>) {
      detail::SwitchedCall<Fn> c{&f, {}};
      struct Back {
        race::CallSwitch& sw;
        ~Back() { sw.back(); }
      } back{c.sw};
      c.sw.there(nullptr, scope.seg.lo, scope.seg.hi);
      if constexpr (std::is_void_v<R>) {
        gort_morestack(&c, &detail::switched_thunk<Fn>, scope.top());
      } else {
        using Port = R (*)(void*, R (*)(void*), std::uintptr_t);
        auto port = reinterpret_cast<Port>(reinterpret_cast<void (*)()>(&gort_morestack));
        return port(&c, &detail::switched_thunk_ret<Fn, R>, scope.top());
      }
    } else {
      struct Slot {
        alignas(R) unsigned char bytes[sizeof(R)];
      } slot;
      auto construct = [&] { ::new (static_cast<void*>(slot.bytes)) R(f()); };
      using C = decltype(construct);
      {
        detail::SwitchedCall<C> c{&construct, {}};
        struct Back {
          race::CallSwitch& sw;
          ~Back() { sw.back(); }
        } back{c.sw};
        c.sw.there(nullptr, scope.seg.lo, scope.seg.hi);
        gort_morestack(&c, &detail::switched_thunk<C>, scope.top());
      }
      R* r = std::launder(reinterpret_cast<R*>(slot.bytes));
      R out(std::move(*r));
      r->~R();
      return out;
    }
  } else if constexpr (std::is_void_v<R>) {
    gort_morestack(fp, &detail::call_thunk<Fn>, scope.top());
  } else if constexpr (std::is_scalar_v<R>) {
    // The port's return path leaves fn's return registers alone, so the
    // same routine serves every scalar type (through void(*)(), the one cast
    // between function types that is meant to round-trip).
    using Port = R (*)(void*, R (*)(void*), std::uintptr_t);
    auto port = reinterpret_cast<Port>(reinterpret_cast<void (*)()>(&gort_morestack));
    return port(fp, &detail::call_thunk_ret<Fn, R>, scope.top());
  } else {
    struct Slot {
      alignas(R) unsigned char bytes[sizeof(R)];
    } slot;
    auto construct = [&] { ::new (static_cast<void*>(slot.bytes)) R(f()); };
    using C = decltype(construct);
    gort_morestack(&construct, &detail::call_thunk<C>, scope.top());
    R* r = std::launder(reinterpret_cast<R*>(slot.bytes));
    R out(std::move(*r));
    r->~R();
    return out;
  }
}

}  // namespace gort::rt
