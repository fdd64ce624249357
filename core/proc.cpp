// proc.cpp: goroutine scheduler.
//
// Words (Go's, defined once here and in runtime.hpp):
//   G   a goroutine. M   an OS thread. P   a processor: the right to run
//   goroutines, with a local run queue; GORTMAXPROCS of them.
//   g0  the M's scheduler goroutine, on the thread's own stack.
//   m0  the thread that called gort::run.
//
// Design, following Go's runtime/proc.go:
//
// - An M needs a P to run goroutines. Each P has a bounded lock-free run
//   queue (owner puts at the tail, anyone takes at the head by CAS) and a
//   runnext slot for the goroutine just readied (so a ping-pong pair runs
//   back to back). Overflow goes to the global run queue under sched.lock,
//   half a local queue at a time (runq.cpp).
// - The scheduler runs on g0 and is entered only with mcall(fn) (fn is
//   park_m, gosched_m, goexit0, exitsyscall0), which starts a fresh frame at
//   g0's base: frames never pile up on g0 (invariant 2 of gort's design:
//   nothing gogo's back into an existing g0 frame). The one hand-off that
//   skips g0: on a solo P (gomaxprocs 1) a parking or yielding goroutine
//   switches straight to the next one that has run before (solo.cpp), since
//   no other M can take either meanwhile; everything else goes to g0.
// - findrunnable: timers, then runnext and the local queue, the global queue
//   (first, every 61st tick, for fairness), then stealing half of another
//   P's queue. At most half the busy Ps' worth of Ms spin looking for work.
//   An M with nothing to do puts its P on the idle list and sleeps on its
//   note; wakep() starts a spinning M when work appears and Ps are idle. The
//   last spinning M to give up re-checks every queue, so a wakeup is never
//   lost between "I found nothing" and "I am asleep" (the memory ordering
//   that makes this hold on weak CPUs is at wakep).
// - One idle M at a time sleeps with a timeout: until the next timer. It
//   runs due timers without a P; what they ready goes on the global queue.
// - Blocking calls (gort::blocking) run on g0 between entersyscall, which
//   marks the P "in syscall" but leaves it attached, and exitsyscall, which
//   takes it back with one CAS if nobody took it. sysmon (sysmon.cpp), a
//   thread of its own, takes such a P after about 20 us when it has work and
//   hands it to another M (handoffp); sysmon also flags a goroutine that has
//   run 10 ms without passing through the scheduler, so it yields at its
//   next safe point (channel operation, yield, sleep, lock).
// - Deadlock: whenever an M goes idle, checkdead() counts the Ms still
//   running; if none is, no blocking call is in flight and no timer is
//   pending, every goroutine is asleep for good: fatal, listing them.
// - Each gort::run has its own Sched (sched.hpp); the life of a run (start,
//   the end, Ms that cannot leave in time) is in run.cpp.
// - A new G gets its stack when it first runs, not when it is created, so a
//   burst of spawns costs G structs, not stacks. A finished G's stack goes
//   back to the P's stack cache at once (gfput), so that the next G to
//   *start* reuses it; when that next G is the one its P runs next, it
//   takes the stack straight from the ending G and starts there, without
//   the trip through g0 (goexit_direct).
//
// Rejected: a global run queue only (contention, Go 1.0's lesson); locking
// the P's queue (the CAS queue is cheaper and never blocks a thief); waking
// an M for every new goroutine (spinning Ms and wakep bound thread churn);
// timers per P (simpler here to keep one heap per run and one timed
// sleeper).
#include "sched.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>

#include "gort/gort.hpp"
#include "cpuprof.hpp"
#include "os.hpp"
#include "signal.hpp"
#include "solo.hpp"

// The current G (runtime.hpp: getg/setg). Initial-exec: the signal handler
// reads it, and a dynamic TLS access could call __tls_get_addr, which may
// allocate. A C name, for a port's inline access (GORT_ARCH_TLS_G); used:
// where only that inline assembly names it, link-time optimization would
// drop it (tests/consume.cmake builds a user's project so).
extern "C" {
__attribute__((used, tls_model("initial-exec"))) thread_local gort::rt::G* gort_tls_g = nullptr;
}

namespace gort::rt {

namespace {
std::atomic<std::int64_t> next_mid{0};
}  // namespace

#if GORT_RACE_ASAN
__attribute__((tls_model("initial-exec"))) thread_local bool race::tls_switching = false;
#endif

#if GORT_RACE_TSAN
// The runtime is not instrumented (race.hpp), but the libc calls of its OS
// port are intercepted, and the interceptors record their writes to the
// runtime's own stack memory (a timespec, a thread's attributes), which
// goroutine stacks and system stacks reuse without TSan seeing a free: a
// report with the OS port in either stack is the runtime's bookkeeping,
// never the program's. Weak: a program's own definition wins (it should
// then carry this line).
extern "C" __attribute__((weak)) const char* __tsan_default_suppressions() { return "race:gort::os::\n"; }
#endif

#if !defined(GORT_ARCH_TLS_G)
__attribute__((noinline, noipa)) G* getg() noexcept { return gort_tls_g; }
__attribute__((noinline, noipa)) void setg(G* gp) noexcept { gort_tls_g = gp; }
#endif

// FixAlloc for every G and M of every run; reused, never returned to the OS.
FixAlloc<G> gallocator;
FixAlloc<M> mallocator;

namespace {
constexpr std::size_t kG0Stack = 2 * 1024 * 1024;  // new Ms' system stacks
}  // namespace

// mcommoninit: what every M and its g0 need, however they were allocated
// (Go's name). The g0's stack bounds are set on the M's own thread.
void mcommoninit(M* mp, G* g0, Sched* s) {
  mp->id = next_mid.fetch_add(1, std::memory_order_relaxed);
  mp->g0 = g0;
  mp->sched = s;
  mp->fastrand = (static_cast<std::uint64_t>(mp->id) + 1) * 0xbf58476d1ce4e5b9ull ^
                 static_cast<std::uint64_t>(os::nanotime()) ^ 0x9e3779b97f4a7c15ull;
  g0->m = mp;
  g0->status = Gstatus::running;
}

G* adopt_thread() {
  if (G* gp = getg()) return gp->m->g0;
  auto* mp = new M;
  auto* g0 = new G;
  mcommoninit(mp, g0, nullptr);
  os::current_stack(&g0->stack_lo, &g0->stack_hi);
  race::fiber_thread(g0->race);
  setg(g0);
  return g0;
}

void systemstack_check(const char* fn) {
  if (!on_system_stack(getg())) fatal(fn, " not on system stack");
}

// mcall_switched: mcall's fn with a sanitizer that must hear of the switch
// first thing on g0 (race.hpp; runtime.hpp's mcall1 lands here).
void mcall_switched(G* gp) {
  M* mp = gp->m;
  race::switch_end(mp->g0->race);
  void (*fn)(G*) = mp->mcallfn;
  mp->mcallfn = nullptr;
  fn(gp);
}

void mcall_misuse(G* gp) {
  if (gp == nullptr || gp->m == nullptr) fatal("mcall: no runtime on this thread");
  if (on_system_stack(gp)) fatal("mcall called on the system stack");
  fatal("mcall: g0 has no base context");
}

void mcall_exit(void (*fn)(G*)) { mcall1(fn, true); }

std::uint32_t fastrand() {
  // A thread with no M (outside any run: a select that does not block may
  // be made from any thread, as a try_send may) keeps its own state, seeded
  // from where that state lies (distinct per live thread; never zero).
  thread_local std::uint64_t own = 0;
  G* gp = getg();
  std::uint64_t* state = gp != nullptr && gp->m != nullptr ? &gp->m->fastrand : &own;
  std::uint64_t x = *state;  // xorshift64*
  if (x == 0) x = reinterpret_cast<std::uintptr_t>(state) | 1;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return static_cast<std::uint32_t>((x * 0x2545F4914F6CDD1Dull) >> 32);
}

// ---------------------------------------------------------------------------
// Goroutine bookkeeping.

void allgadd(Sched& s, G* gp) {
  LockGuard l(s.allglock);
  gp->alllink = s.allgs;
  s.allgs = gp;
}

namespace {

constexpr std::size_t kFnHeapAlign = 64;  // goroutine functions too big for G::fn_buf

// gfput: keep a finished G for reuse. Its stack goes back to the P's stack
// cache, not with the G, so that the next G to *start* reuses it: kept with
// the G, a burst of spawns that queues N goroutines would own N stacks.
//
// Free Gs move between a P and the run's list in whole batches of kGBatch,
// each a schedlink chain the list holds by its first G (G::gfree_batch):
// one link moves a batch, where moving Gs one by one walked a chain of
// mostly cold Gs under gflock (a loop that spawns more goroutines than the
// P keeps, 1000 between waits in the spawn benchmark, moved every G twice:
// ~25 instructions and two dependent loads a spawn). A P keeps the batch it
// is filling or emptying (gfree, gfreecnt Gs) and at most one full spare
// (gspare), so it holds at most 2 * kGBatch - 1, as many as before, and a
// P that alternates between putting and getting around a batch boundary
// trades only with its spare, never with the lock.
void gfput(Sched& s, P* pp, G* gp) {
  if (gp->stack.hi != 0) {
    stackfree(gp->stack);
    gp->stack = Stack{};
  }
  gp->schedlink = pp->gfree;
  pp->gfree = gp;
  if (++pp->gfreecnt < kGBatch) return;
  if (G* spare = pp->gspare) {
    LockGuard l(s.gflock);
    spare->gfree_batch = s.gfree.load(std::memory_order_relaxed);
    s.gfree.store(spare, std::memory_order_relaxed);
    s.ngfree += kGBatch;
  }
  pp->gspare = pp->gfree;
  pp->gfree = nullptr;
  pp->gfreecnt = 0;
}

G* gfget(Sched& s, P* pp) {
  G* gp = pp->gfree;
  if (gp == nullptr) {
    if (pp->gspare != nullptr) {
      gp = pp->gspare;
      pp->gspare = nullptr;
    } else {
      // Read without gflock, as Go's gfget does (hence the atomic): a stale
      // nullptr only allocates a new G.
      if (s.gfree.load(std::memory_order_relaxed) == nullptr) return nullptr;
      LockGuard l(s.gflock);
      gp = s.gfree.load(std::memory_order_relaxed);
      if (gp == nullptr) return nullptr;
      s.gfree.store(gp->gfree_batch, std::memory_order_relaxed);
      s.ngfree -= kGBatch;
    }
    pp->gfreecnt = kGBatch;
  }
  pp->gfree = gp->schedlink;
  --pp->gfreecnt;
  return gp;
}

}  // namespace

void freeg(G* gp) {
  race::fiber_free(gp->race);
  if (G* me = getg()) race::fake_stack_free(gp->race, me->stack_lo, me->stack_hi);
  if (gp->stack.hi) stackfree(gp->stack);
  gp->stack = Stack{};
  if (gp->fn_obj) {
    // A goroutine that never ran: its function object is destroyed. One
    // abandoned mid-run keeps its object alive to the end, as its frames
    // may point into it; they are freed without unwinding, as in Go.
    if (gp->sched.sp == 0) gp->fn_destroy(gp->fn_obj);
    if (gp->fn_heap) ::operator delete(gp->fn_obj, std::align_val_t(kFnHeapAlign));
    gp->fn_obj = nullptr;
  }
  gallocator.free(gp);
}

void freem(M* mp) {
  chans_fold(mp);
  G* me = getg();
  if (me != nullptr && mp->gsignal) race::fake_stack_free(mp->gsignal->race, me->stack_lo, me->stack_hi);
  if (mp->gsignal) gallocator.free(mp->gsignal);  // its stack went in unminit
  gallocator.free(mp->g0);
  mallocator.free(mp);
}

void freeallgs(Sched& s) {
  for (G* gp = s.allgs; gp;) {
    G* next = gp->alllink;
    freeg(gp);
    gp = next;
  }
  s.allgs = nullptr;
}

// ---------------------------------------------------------------------------
// Ms.

void mstart(void* arg) {
  auto* mp = static_cast<M*>(arg);
  G* g0 = mp->g0;
  os::current_stack(&g0->stack_lo, &g0->stack_hi);
  race::fiber_thread(g0->race);
  mp->g0_stack_id = race::stack_register(g0->stack_lo, g0->stack_hi);
  setg(g0);
  minit(mp);
  if (gort_gosave(&g0->sched) == 0) {
    // The base context: mexit resumes it to end the thread.
    P* pp = mp->nextp;
    mp->nextp = nullptr;
    acquirep(pp);
    schedule();
  }
  setg(nullptr);
}

namespace {

M* allocm(Sched& s) {
  M* mp = mallocator.alloc();
  mcommoninit(mp, gallocator.alloc(), &s);
  LockGuard l(s.lock);
  mp->alllink = s.allm;
  s.allm = mp;
  ++s.mcount;
  return mp;
}

void newm(Sched& s, P* pp, bool spinning) {
  if (!s.threads) fatal("newm: Config::threads is false, so no thread may start");
  M* mp = allocm(s);
  mp->nextp = pp;
  mp->spinning = spinning;
  void* t = os::newosproc(&mstart, mp, kG0Stack);
  LockGuard l(s.lock);
  if (s.abandoned)
    os::detachosproc(t);  // m0 has gone (run.cpp): nobody will join it
  else
    mp->thread = t;
}

// mget: an idle M; sched.lock held.
M* mget(Sched& s) {
  M* mp = s.midle;
  if (mp) {
    s.midle = mp->schedlink;
    --s.nmidle;
    if (s.timed_m == mp) s.timed_m = nullptr;
  }
  return mp;
}

}  // namespace

// checkdead: called with sched.lock held whenever an M goes idle. Ms idle
// and locked Ms waiting for their G count as asleep.
void checkdead(Sched& s) {
  if (s.exiting.load(std::memory_order_relaxed)) return;
  // In a program that can be called back from threads gort did not create
  // (it calls gort::callback or links gort_callback), goroutines asleep on
  // channels may be waiting for such a thread: one not yet started, or in C
  // between two callbacks, is invisible to the counts below, so "nothing
  // runs" proves nothing. Go decides the same way: with cgo its extra M
  // counts as running, so checkdead never fires. Rejected: silence only
  // after the first callback or while one is in progress (examples/
  // c_callback: the main goroutine waits on a channel before the sensor
  // threads' first reading and between readings, and was reported dead);
  // an API for C threads to announce themselves (a C library cannot be
  // made to call it). Such a program that really deadlocks hangs, as in Go.
  if (g_foreign_callbacks.load(std::memory_order_relaxed)) return;
  std::int32_t run = s.mcount - s.nmidle - s.nmidlelocked;
  if (run > 0) return;
  if (run < 0)
    fatal("checkdead: inconsistent M counts: mcount=", s.mcount, " nmidle=", s.nmidle,
          " nmidlelocked=", s.nmidlelocked);
  if (s.runqsize.load(std::memory_order_relaxed) > 0) return;  // an idle M will be woken
  for (std::int32_t i = 0; i < s.gomaxprocs; ++i)
    if (!runqempty(s.allp[i])) return;
  if (timers_pending(s.timers)) return;  // the timed M will wake for it
  fatal_begin();
  print("fatal: all goroutines are asleep - deadlock!\n");
  print_goroutines(s);
  fatal_exit();
}

namespace {

void mput(Sched& s, M* mp) {
  mp->schedlink = s.midle;
  s.midle = mp;
  ++s.nmidle;
  checkdead(s);
}

}  // namespace

void acquirep(P* pp) {
  M* mp = getg()->m;
  if (mp->p != nullptr) fatal("acquirep: M already has a P");
  if (pp->m != nullptr) fatal("acquirep: P already has an M");
  mp->p = pp;
  pp->m = mp;
  pp->status.store(Pstatus::running, std::memory_order_release);
}

P* releasep() {
  M* mp = getg()->m;
  P* pp = mp->p;
  if (pp == nullptr) fatal("releasep: no P");
  pp->m = nullptr;
  mp->p = nullptr;
  pp->status.store(Pstatus::idle, std::memory_order_release);
  return pp;
}

// stopm: park this M (which holds no P) until startm hands it a P, or, if it
// is the timed sleeper, until the next timer is due. On return the M may
// still have no P; the caller loops.
void stopm() {
  M* mp = getg()->m;
  Sched& s = *mp->sched;
  if (mp->p != nullptr) fatal("stopm: holding a P");
  std::int64_t wait = -1;
  {
    LockGuard l(s.lock);
    if (s.exiting.load(std::memory_order_relaxed)) return;
    mput(s, mp);
    std::int64_t next = next_timer(s.timers);
    if (next != INT64_MAX && s.timed_m == nullptr) {
      s.timed_m = mp;
      mp->timed = true;
      wait = next - os::nanotime();
      if (wait < 0) wait = 0;
    }
  }
  if (!s.threads) scavenge(s, os::nanotime());  // no sysmon to do it
  bool woken = mp->park.tsleep(wait);
  if (!woken) {
    // Timed out: take ourselves off the idle list unless a waker got there
    // first (then its wakeup is on the way and must be consumed).
    bool mine = false;
    {
      LockGuard l(s.lock);
      M** pp = &s.midle;
      while (*pp && *pp != mp) pp = &(*pp)->schedlink;
      if (*pp == mp) {
        *pp = mp->schedlink;
        --s.nmidle;
        if (s.timed_m == mp) s.timed_m = nullptr;
        mine = true;
      }
    }
    if (!mine) mp->park.sleep();
  }
  mp->park.clear();
  mp->timed = false;
  if (mp->nextp) {
    P* pp = mp->nextp;
    mp->nextp = nullptr;
    acquirep(pp);
  }
}

// startm: run pp (or an idle P) on an idle or new M. spinning: the caller
// already counted the M in nmspinning.
void startm(Sched& s, P* pp, bool spinning) {
  s.lock.lock();
  if (pp == nullptr) {
    pp = pidleget(s);
    if (pp == nullptr) {
      s.lock.unlock();
      if (spinning) s.nmspinning.fetch_sub(1, std::memory_order_relaxed);
      return;
    }
  }
  M* nmp = mget(s);
  if (nmp == nullptr && !s.threads) {
    // No thread may start: the one M finds the work itself.
    pidleput(s, pp);
    s.lock.unlock();
    if (spinning) s.nmspinning.fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  s.lock.unlock();
  if (nmp == nullptr) {
    newm(s, pp, spinning);
    return;
  }
  nmp->spinning = spinning;
  nmp->nextp = pp;
  nmp->park.wakeup();
}

// wake_timed_m: the timed sleeper recomputes its deadline (a nearer timer
// was added); with none, any idle M wakes to become it.
void wake_timed_m(Sched& s) {
  s.lock.lock();
  M* mp = s.timed_m;
  if (mp == nullptr) {
    mp = mget(s);
  } else {
    M** pp = &s.midle;
    while (*pp && *pp != mp) pp = &(*pp)->schedlink;
    if (*pp == mp) {
      *pp = mp->schedlink;
      --s.nmidle;
    } else {
      mp = nullptr;
    }
    s.timed_m = nullptr;
  }
  s.lock.unlock();
  if (mp) mp->park.wakeup();
}

// wakep: work was just published (a G put in a run queue); start a spinning
// M if a P is idle and nobody spins.
//
// Memory order. This is the producer half of a store-load pattern: the put
// (a seq_cst exchange of runnext, or a queue store followed by a seq_cst
// fence in the caller) must be ordered before these loads of npidle and
// nmspinning, and an M giving up its P orders its npidle increment and
// nmspinning decrement before re-reading the queues (findrunnable). With
// only acquire/release, a CPU that reorders stores after loads (every one
// here, x86 included, and arm/arm64/riscv64 more freely) lets both sides
// read the other's old value: the producer sees "someone spins, no idle P"
// and wakes nobody, the spinner sees empty queues and sleeps, and the G
// waits for its own P to come round. seq_cst on both halves rules that out;
// on arm64 it costs nothing extra (stlr then ldar are ordered).
void wakep(Sched& s) {
  if (s.npidle.load(std::memory_order_seq_cst) == 0) return;
  std::int32_t z = 0;
  if (s.nmspinning.load(std::memory_order_seq_cst) != 0 || !s.nmspinning.compare_exchange_strong(z, 1))
    return;
  // On the system stack, as Go's newproc does: starting an M (a thread's
  // creation, the clock) can take more stack than a goroutine on the
  // smallest class has left (under ASan, newosproc's and clock_gettime's
  // interceptors alone overflowed main's 4 KiB stack in gort::go).
  G* gp = getg();
  if (gp != nullptr && !on_system_stack(gp))
    systemstack([&s] { startm(s, nullptr, true); });
  else
    startm(s, nullptr, true);
}

// handoffp: pp's M is stuck in a blocking call; give pp to someone else.
void handoffp(Sched& s, P* pp) {
  if (!runqempty(pp) || s.runqsize.load(std::memory_order_relaxed) != 0) {
    startm(s, pp, false);
    return;
  }
  if (s.nmspinning.load() + s.npidle.load() == 0) {
    std::int32_t z = 0;
    if (s.nmspinning.compare_exchange_strong(z, 1)) {
      startm(s, pp, true);
      return;
    }
  }
  s.lock.lock();
  if (s.runqsize.load(std::memory_order_relaxed) != 0) {
    s.lock.unlock();
    startm(s, pp, false);
    return;
  }
  pidleput(s, pp);
  s.lock.unlock();
}

namespace {

void resetspinning(Sched& s, M* mp) {
  mp->spinning = false;
  if (s.nmspinning.fetch_sub(1) - 1 < 0) fatal("resetspinning: negative nmspinning");
  wakep(s);  // we found work: maybe there is more, for another M
}

// ---------------------------------------------------------------------------
// Running goroutines.

void goentry(void* arg);

// first_frame: gp's first frame at the top of its stack (gostartcall),
// with the FP control state it was made with (sched.hpp, fpctl_capture)
// rather than the one in force here.
inline void first_frame(G* gp, std::uintptr_t stack_hi) {
  gort_arch::Regs creator;  // only its FP control slot is used
  gort_arch::fpctl_copy(creator, gp->sched.regs);
  gort_gostartcall(&gp->sched, &goentry, gp, stack_hi);
  gort_arch::fpctl_copy(gp->sched.regs, creator);
}

}  // namespace

// Out of line and on its own: gosave is returns_twice, which would
// pessimize a caller it were inlined into. It returns once here (nothing
// gogo's to b): all it is for is the FP control state, stored as the
// port's gosave stores it, so that no port writes a second routine for it.
__attribute__((noinline)) void fpctl_capture(gort_arch::Regs& r) {
  Gobuf b;
  gort_gosave(&b);
  gort_arch::fpctl_copy(r, b.regs);
}

[[noreturn]] void execute(G* gp, bool inherit) {
  M* mp = getg()->m;
  P* pp = mp->p;
  if (gp->lockedm != nullptr && gp->lockedm != mp) fatal("execute: a locked goroutine on another M");
  execute_on(mp, pp, gp, inherit);
  if (gp->sched.sp == 0) {
    // First run: give it a stack and its first frame.
    if (gp->stack.hi == 0) gp->stack = stackalloc(mp->sched->stack_size);
    gp->stack_lo = gp->stack.lo;
    gp->stack_hi = gp->stack.hi;
    first_frame(gp, gp->stack.hi);
  }
  gogo(gp);
}

namespace {

// anywork: a run queue holds a G (the re-check of an M going idle).
bool anywork(Sched& s) {
  if (s.runqsize.load(std::memory_order_seq_cst) > 0) return true;
  for (std::int32_t i = 0; i < s.gomaxprocs; ++i)
    if (!runqempty(s.allp[i])) return true;
  return false;
}

G* findrunnable(bool* inherit) {
  M* mp = getg()->m;
  Sched& s = *mp->sched;
top:
  if (s.exiting.load(std::memory_order_acquire)) mexit();
  if (mp->p == nullptr) {
    // Woken without a P (timers, or a lost race): run timers, find a P.
    runtimers(s.timers, os::nanotime());
    s.lock.lock();
    P* pp = nullptr;
    if (s.runqsize.load(std::memory_order_relaxed) != 0 || mp->spinning) pp = pidleget(s);
    if (pp == nullptr) {
      for (std::int32_t i = 0; i < s.gomaxprocs && !pp; ++i)
        if (!runqempty(s.allp[i])) pp = pidleget(s);
    }
    s.lock.unlock();
    if (pp == nullptr) {
      if (mp->spinning) {
        mp->spinning = false;
        s.nmspinning.fetch_sub(1);
      }
      stopm();
      goto top;
    }
    acquirep(pp);
  }
  P* pp = mp->p;
  // The clock costs tens of ns: read it only when a timer exists.
  if (std::int64_t nt = next_timer(s.timers); nt != INT64_MAX) {
    std::int64_t now = os::nanotime();
    if (nt <= now) runtimers(s.timers, now);
  }

  if (fairtick_next(pp) && s.runqsize.load(std::memory_order_relaxed) > 0) {
    LockGuard l(s.lock);
    if (G* gp = globrunqget(s, pp, 1)) {
      *inherit = false;
      return gp;
    }
  }
  if (G* gp = runqget(pp, inherit)) return gp;
  if (s.runqsize.load(std::memory_order_relaxed) > 0) {
    LockGuard l(s.lock);
    if (G* gp = globrunqget(s, pp, 0)) {
      *inherit = false;
      return gp;
    }
  }

  // Steal, if not too many Ms are already spinning.
  std::int32_t busy = s.gomaxprocs - s.npidle.load(std::memory_order_relaxed);
  if (!mp->spinning && 2 * s.nmspinning.load(std::memory_order_relaxed) < busy) {
    mp->spinning = true;
    s.nmspinning.fetch_add(1);
  }
  if (mp->spinning && s.gomaxprocs > 1) {
    for (int round = 0; round < 4; ++round) {
      std::uint32_t start = fastrand();
      for (std::int32_t k = 0; k < s.gomaxprocs; ++k) {
        P* p2 = s.allp[(start + k) % s.gomaxprocs];
        if (p2 == pp) continue;
        if (G* gp = runqsteal(pp, p2, round == 3)) {
          *inherit = false;
          return gp;
        }
      }
    }
  }

  // Nothing to do: give up the P.
  s.lock.lock();
  if (s.exiting.load(std::memory_order_relaxed)) {
    s.lock.unlock();
    mexit();
  }
  if (s.runqsize.load(std::memory_order_relaxed) > 0) {
    G* gp = globrunqget(s, pp, 0);
    s.lock.unlock();
    *inherit = false;
    return gp;
  }
  releasep();
  pidleput(s, pp);
  s.lock.unlock();

  if (mp->spinning) {
    mp->spinning = false;
    s.nmspinning.fetch_sub(1, std::memory_order_seq_cst);
    // The last spinner re-checks: work may have arrived after we looked,
    // from a goready that saw us spinning and so woke nobody. The fence is
    // the consumer half of wakep's store-load pattern (see wakep): the
    // decrement above and pidleput's increment come before these reads.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (anywork(s)) {
      s.lock.lock();
      P* p2 = pidleget(s);
      s.lock.unlock();
      if (p2) {
        acquirep(p2);
        mp->spinning = true;
        s.nmspinning.fetch_add(1);
        goto top;
      }
    }
  }
  stopm();
  goto top;
}

void gosched_m(G* gp) {
  M* mp = gp->m;
  gp->status.store(Gstatus::runnable, std::memory_order_relaxed);
  mp->curg = nullptr;
  // At the tail of this P's queue (Go uses the global queue; the local tail
  // is as fair within the P, the every-61st-tick global check keeps the
  // global queue served, and it takes no lock).
  runqput(*mp->sched, mp->p, gp, false);
  schedule();
}

}  // namespace

void park_m(G* gp) {
  M* mp = gp->m;
  gp->status.store(Gstatus::waiting, std::memory_order_relaxed);
  mp->curg = nullptr;
  if (auto f = mp->waitunlockf) {
    void* l = mp->waitlock;
    mp->waitunlockf = nullptr;
    mp->waitlock = nullptr;
    if (!f(gp, l)) {
      gp->status.store(Gstatus::runnable, std::memory_order_relaxed);
      execute(gp, true);
    }
  }
  schedule();
}

void schedule() {
  M* mp = getg()->m;
  if (getg() != mp->g0) fatal("schedule: not on g0");
  // A locked M runs its G and nothing else (cgocall.cpp); with
  // Config::threads = false it is the only M, and runs everything.
  if (mp->lockedg != nullptr && mp->sched->threads) stoplockedm_execute();
  for (;;) {
    bool inherit = false;
    G* gp = findrunnable(&inherit);
    if (mp->spinning) resetspinning(*mp->sched, mp);
    if (gp->lockedm != nullptr && gp->lockedm != mp) {
      // gp runs only on its own M: hand it our P, then look for work.
      startlockedm(gp);
      continue;
    }
    execute(gp, inherit);
  }
}

void print_goroutines(Sched& s) {
  for (G* gp = s.allgs; gp; gp = gp->alllink) {
    Gstatus st = gp->status.load(std::memory_order_relaxed);
    if (st == Gstatus::dead || st == Gstatus::idle) continue;
    print("goroutine ", gp->goid, " [", st == Gstatus::waiting ? gp->waitreason : status_name(st), "]",
          gp->is_main ? " (main)" : "", "\n");
  }
}

void goexit0(G* gp) {
  M* mp = gp->m;
  race::fiber_free(gp->race);
  gp->status.store(Gstatus::dead, std::memory_order_relaxed);
  mp->curg = nullptr;
  if (mp->p == nullptr) gogo(mp->g0);  // not a scheduler G: back to g0's base
  if (gp->callback) callbackdone(gp);  // back to gort::callback's caller
  Sched& s = *mp->sched;
  // A goroutine that exits locked to its thread takes the thread with it,
  // as in Go: whatever it did to the thread (thread_locals, signal masks,
  // a thread-affine library's state) must not leak into other goroutines.
  bool take_thread = gp->lockedext > 0 && !mp->is_m0;
  if (gp->lockedm != nullptr) {
    gp->lockedm = nullptr;
    gp->lockedext = gp->lockedint = 0;
    mp->lockedg = nullptr;
  }
  if (gp->is_main) maindone(s);
  gp->sched = Gobuf{};
  gp->m = nullptr;
  gp->preempt.store(false, std::memory_order_relaxed);
  gfput(s, mp->p, gp);
  pgcount_add(mp->p, -1);  // after its stack is freed
  if (take_thread) {
    P* pp = releasep();
    if (!s.exiting.load(std::memory_order_acquire)) handoffp(s, pp);
    mexit();
  }
  if (mp->handoff != nullptr) run_handoff(mp);  // goexit_direct took it
  schedule();
}

void run_handoff(M* mp) {
  G* next = mp->handoff;
  mp->handoff = nullptr;
  if (next->lockedm != nullptr && next->lockedm != mp) {
    startlockedm(next);
    schedule();
  }
  execute(next, mp->handoff_inherit);
}

// goexit_direct: a goroutine's end without the trip through g0, when the
// next G to run here has never run. That G takes the ending one's stack
// as it is (no stackfree into the P's cache, no stackalloc out of it) and
// starts on it straight from here: one switch instead of mcall to g0 and
// gogo from it, and none of schedule's frames. A loop that spawns
// goroutines, and any fork-join tree, ends a goroutine and starts a new
// one at every step: spawn + complete 68 -> 47 ns on 1 P and 74 -> 57 ns
// on 2 Ps, fib(27) 31 -> 28 ms (amd64, alternated A/B, medians of 3).
//
// Why this is safe on the goroutine's own stack, on any P (the rule a solo
// P's direct switch obeys, solo.cpp, is that a G must not be visible to
// another M while its stack is in use; neither G here is): the ending G
// will never run again and nobody can resume it; the next G is taken from
// this P's own queue, so no other M can have it; the stack passes from one
// to the other without ever being free, so no other M can take it either.
// Everything below runs near the top of the stack (the ending G's
// function has returned; goexit called us from its first frame), and
// gostartcall writes only the slots a new frame starts with, at the very
// top, which belong to that finished first frame.
//
// Only what schedule would have chosen next, and only when its checks
// would have let it: the end of the run, a due timer, the fairness tick
// (the scheduler's turn, which serves the global queue) and an empty
// local queue all go the usual way, as do the G's that end differently
// (main, a callback's, a locked G's, a G whose stack is not the run's
// class) and builds whose sanitizers must hear of every stack switch
// (race.hpp). A next G that has run before (it has a stack of its own) is
// handed to g0 (M::handoff), which runs it after goexit0 frees this stack.
//
// FP control: the new G gets the one it was made with (first_frame), not
// this goroutine's, which gostartcall alone would give it.
namespace {

// goexit_start: goexit_direct's second half, out of line: its frame and
// saved registers are paid only by the ends that start a new G here.
[[noreturn]] __attribute__((noinline)) void goexit_start(G* gp, M* mp, P* pp, G* next, bool inherit) {
  // next becomes the current G on this stack before gp is taken apart: a
  // signal's handler (sigfetchg) then finds next, with sp inside its stack.
  Stack st = gp->stack;
  gp->stack = Stack{};
  next->stack = st;
  next->stack_lo = st.lo;
  next->stack_hi = st.hi;
  execute_on(mp, pp, next, inherit);
  setg(next);
  // goexit0's steps for gp, but its stack: that is next's now. Its Gobuf
  // is left as it is: a dead G's is read by nobody (tracebacks, the debug
  // dump and gdb's listing skip dead Gs; freeg reads it only for a G whose
  // function was never destroyed, which this one's was, in goentry), and
  // newproc clears it for the G's next life.
  gp->status.store(Gstatus::dead, std::memory_order_relaxed);
  gp->m = nullptr;
  gp->preempt.store(false, std::memory_order_relaxed);
  gfput(*mp->sched, pp, gp);  // gp may be reused from here on: not touched again
  pgcount_add(pp, -1);
  ++pp->direct_starts;
  first_frame(next, st.hi);
  gort_gogo(&next->sched);
  __builtin_unreachable();
}

}  // namespace

// Inline in its one caller (gort_goexit1): every goroutine's end makes
// these checks, and out of line they cost a frame with every callee-saved
// register pushed (1.4% of skynet, whose ends mostly hand a parent over).
__attribute__((always_inline)) inline void goexit_direct(G* gp) {
  if constexpr (race::kStackSwitch) return;
  M* mp = gp->m;
  P* pp = mp->p;
  if (pp == nullptr || gp->is_main || gp->callback || gp->lockedm != nullptr || mp->lockedg != nullptr) return;
  Sched& s = *mp->sched;
  if (s.exiting.load(std::memory_order_relaxed)) return;
  if (gp->stack.hi - gp->stack.lo != s.stack_size) return;
  // findrunnable's checks before its local queue, in its order.
  if (std::int64_t nt = next_timer(s.timers); nt != INT64_MAX && nt <= os::nanotime()) return;
  if (pp->fairtick + 1 == kFairTicks) return;
  // A hand-off's usual case: the ending G readied one that waits in
  // runnext (a result sent to a parked parent). g0's way at once, without
  // taking it here only to hand it over.
  if (G* peek = pp->runnext.load(std::memory_order_relaxed); peek != nullptr && peek->sched.sp != 0) return;
  ++pp->fairtick;
  bool inherit = false;
  G* next = runqget(pp, &inherit);
  if (next == nullptr) return;
  if (next->sched.sp != 0 || next->stack.hi != 0) {
    mp->handoff = next;
    mp->handoff_inherit = inherit;
    return;
  }
  goexit_start(gp, mp, pp, next, inherit);
}

namespace {

// goentry: every scheduler G starts here (gostartcall's fn).
void goentry(void* arg) {
  auto* gp = static_cast<G*>(arg);
  race::switch_end(gp->race);
  race::acquire(reinterpret_cast<void*>(gp->stack.lo));  // from its last user (race.hpp)
  if (gp->is_main) cpuprof_env_start();  // GORTDEBUG=cpuprofile=<path>
#if defined(__cpp_exceptions)
  try {
#endif
    gp->fn_run(gp->fn_obj);
#if defined(__cpp_exceptions)
  } catch (const std::exception& e) {
    fatal("uncaught exception in goroutine ", gp->goid, ": ", e.what());
  } catch (...) {
    fatal("uncaught exception in goroutine ", gp->goid, ": (not a std::exception)");
  }
#endif
  gp->fn_destroy(gp->fn_obj);
  if (gp->fn_heap) ::operator delete(gp->fn_obj, std::align_val_t(kFnHeapAlign));
  gp->fn_obj = nullptr;
}

}  // namespace

// ---------------------------------------------------------------------------
// Internal API (sched.hpp).

bool in_goroutine() { return in_goroutine(getg()); }

void gopark_misuse(const char* reason) { fatal("gopark: ", reason, " outside a goroutine of gort::run"); }

void goready_misuse() {
  fatal("goready: a goroutine woken from a thread outside gort::run (by a channel or sync operation there); "
        "such a thread calls in through gort::callback");
}

namespace {
// wake_for_global: work went on the global queue. From an M with a P, the
// usual wakep. From one without (timers run by the idle M), start an M for
// an idle P outright: a spinning M that is just giving up re-checks the
// queues, but wakep's "someone is spinning" is no promise to an M that has
// no P to run the work itself (Go's injectglist does the same).
void wake_for_global(Sched& s, M* mp) {
  if (mp != nullptr && mp->p != nullptr) {
    std::atomic_thread_fence(std::memory_order_seq_cst);  // the global put before wakep's loads
    wakep(s);
  } else if (s.npidle.load(std::memory_order_seq_cst) > 0) {
    startm(s, nullptr, false);
  }
}
}  // namespace

void goready(G* gp, bool next) {
  G* me = getg();
  // A thread with no G (not a goroutine, not an M of a run) has no queue
  // to put gp on, and no business readying it: a run that cannot see such
  // threads may already have reported its goroutines asleep, or ended.
  // Threads gort did not create come in through gort::callback.
  if (me == nullptr) [[unlikely]]
    goready_misuse();
  gp->status.store(Gstatus::runnable, std::memory_order_relaxed);
  M* mp = me->m;
  Sched& s = *mp->sched;
  if (P* pp = mp->p) {
    runqput(s, pp, gp, next);
    if (pp->solo) return;  // no P to wake (runq.cpp)
    // next: runnext's seq_cst exchange published gp; otherwise order the
    // queue store before wakep's loads here.
    if (!next) std::atomic_thread_fence(std::memory_order_seq_cst);
    wakep(s);
    return;
  }
  {
    LockGuard l(s.lock);
    globrunqput(s, gp);
  }
  wake_for_global(s, mp);
}

void goready_global(G* gp) {
  gp->status.store(Gstatus::runnable, std::memory_order_relaxed);
  M* mp = getg()->m;
  Sched& s = *mp->sched;
  {
    LockGuard l(s.lock);
    globrunqput(s, gp);
  }
  wake_for_global(s, mp);
}

void gosched() {
  G* gp = getg();
  if (!in_goroutine(gp)) fatal("yield outside a goroutine of gort::run");
  M* mp = gp->m;
  gp->preempt.store(false, std::memory_order_relaxed);
  // A solo P switches straight to the next G (solo.hpp, inline), or runs
  // on when there is none.
  if (kSoloSwitch && mp->p->solo && yield_solo(gp)) return;
  // Nothing else could run here (no goroutine queued on this P or globally,
  // no timer that might be due): switching to the scheduler would only
  // come straight back.
  Sched& s = *mp->sched;
  if (runqempty(mp->p) && s.runqsize.load(std::memory_order_relaxed) == 0 && !timers_pending(s.timers) &&
      !s.exiting.load(std::memory_order_relaxed))
    return;
  // At the end of a run, a callback's goroutine runs on rather than yield:
  // its caller, a thread gort did not create, waits for it to finish.
  if (gp->lockedint > 0 && s.exiting.load(std::memory_order_relaxed)) return;
  mcall(&gosched_m);
}

const char* check_allocator_integrity() {
  // sched.lock keeps idle Ps idle (and their caches still); running Ps'
  // caches are read too, so call this when only the caller's P is busy.
  Sched& s = *getg()->m->sched;
  LockGuard l(s.lock);
  StackCache* caches[1024];
  int n = 0;
  for (std::int32_t i = 0; i < s.gomaxprocs && n < 1024; ++i) caches[n++] = s.allp[i]->stackcache;
  return stack_check_integrity(caches, n);
}

// timers_changed: a nearer timer was added; the timed M recomputes.
void timers_changed(Sched& s) { wake_timed_m(s); }

}  // namespace gort::rt

// ---------------------------------------------------------------------------
// The public entry points (include/gort/detail.hpp).

namespace gort::detail {

using namespace gort::rt;

void newproc(void (*run)(void*), const Ops* ops, void* fobj) {
  G* cur = getg();
  if (!in_goroutine(cur)) [[unlikely]]
    fatal("gort::go called outside a goroutine of gort::run");
  M* mp = cur->m;
  Sched& s = *mp->sched;
  P* pp = mp->p;
  G* gp = gfget(s, pp);
  if (gp == nullptr) {
    gp = gallocator.alloc();
    allgadd(s, gp);
  }
  // A G reused, from this P's free list or from an earlier run's through
  // the G allocator: its last goroutine's accesses to it (the captures in
  // its fn_buf) happen before this one's (released on the G when it exited).
  race::acquire(gp);
  pgcount_add(pp, 1);
  // One shared fetch_add per spawn, kept on purpose: ids count up in
  // creation order across Ps (gdb's `info goroutines`, tracebacks and
  // tests rely on it). Rejected: Go's per-P batches (goidcache), which
  // interleave ids from different Ps; a spawn pays one contended atomic for it.
  gp->goid = s.goidgen.fetch_add(1, std::memory_order_relaxed) + 1;
  gp->fn_run = run;
  gp->fn_destroy = ops->destroy;
  if (ops->size <= sizeof gp->fn_buf && ops->align <= 16) {
    gp->fn_obj = gp->fn_buf;
    gp->fn_heap = false;
  } else {
    if (ops->align > kFnHeapAlign) fatal("gort::go: function object over-aligned (", ops->align, ")");
    gp->fn_obj = ::operator new(ops->size, std::align_val_t(kFnHeapAlign));
    gp->fn_heap = true;
  }
  ops->move_construct(gp->fn_obj, fobj);
  gp->labels = cur->labels;  // inherited (gort::profile::with_labels)
  race::fiber_new(gp->race, gp->goid);  // the go statement's edge: after everything above
  gp->waitreason = "";
  gp->sched = Gobuf{};
  gort_arch::fpctl_copy(gp->sched.regs, s.fpctl);  // run's caller's (sched.hpp)
  gp->status.store(Gstatus::runnable, std::memory_order_relaxed);
  runqput(s, pp, gp, true);  // publishes gp with a seq_cst exchange (see wakep)
  if (!pp->solo) wakep(s);
}

void yield() { gosched(); }

int thread_errno() { return errno; }
void set_thread_errno(int e) { errno = e; }

void entersyscall() {
  G* gp = getg();
  if (!in_goroutine()) fatal("gort::blocking called outside a goroutine of gort::run");
  M* mp = gp->m;
  P* pp = mp->p;
  gp->status.store(Gstatus::syscall, std::memory_order_relaxed);
  pp->syscalltick.fetch_add(1, std::memory_order_relaxed);
  mp->oldp = pp;
  mp->p = nullptr;
  pp->status.store(Pstatus::syscall, std::memory_order_release);
}

namespace {
void exitsyscall0(G* gp) {
  M* mp = gp->m;
  Sched& s = *mp->sched;
  gp->status.store(Gstatus::runnable, std::memory_order_relaxed);
  mp->curg = nullptr;
  s.lock.lock();
  P* pp = s.exiting.load() ? nullptr : pidleget(s);
  if (pp == nullptr) globrunqput(s, gp);
  s.lock.unlock();
  if (pp != nullptr) {
    acquirep(pp);
    execute(gp, false);
  }
  // gp is queued. Locked to this M, it can only run here: wait for an M
  // that finds it to hand us a P (stopm would put this M among the idle
  // ones, for any work).
  if (mp->lockedg != nullptr) stoplockedm_execute();
  stopm();
  schedule();
}
}  // namespace

void exitsyscall() {
  G* gp = getg();
  M* mp = gp->m;
  P* pp = mp->oldp;
  mp->oldp = nullptr;
  Pstatus st = Pstatus::syscall;
  if (!mp->sched->exiting.load(std::memory_order_relaxed) &&
      pp->status.compare_exchange_strong(st, Pstatus::running, std::memory_order_acq_rel)) {
    mp->p = pp;
    pp->m = mp;
    gp->status.store(Gstatus::running, std::memory_order_relaxed);
    return;
  }
  // The P was handed off (or the run is ending): find another, or queue
  // this G and sleep.
  mcall(&exitsyscall0);
  checkpreempt();
}

void on_system_stack(void (*fn)(void*), void* arg) {
  rt::systemstack([&] { fn(arg); });
}

std::int64_t nanotime() { return os::nanotime(); }

}  // namespace gort::detail

extern "C" void gort_goexit1() {
  using namespace gort::rt;
  G* gp = getg();
  // Its end, for whoever waits for it (run, callback), and its stack, for
  // the next goroutine on it (race.hpp).
  race::release(gp);
  race::release(reinterpret_cast<void*>(gp->stack.lo));
  gort::rt::goexit_direct(gp);  // returns when the next G is not one it can start here
  gort::rt::mcall_exit(&gort::rt::goexit0);
  gort::rt::fatal("goexit: dead goroutine resumed");
}

extern "C" void gort_mcall_returned() {
  gort::rt::fatal("mcall: function returned; it must end in gogo");
}
