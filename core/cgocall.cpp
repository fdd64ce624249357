// cgocall.cpp: calls into gort from foreign code (Go's cgocall.go and the
// needm/dropm/lockOSThread parts of proc.go): gort::callback, the C API's
// gort_callback, spare Ms for threads gort did not create, and goroutines
// locked to their thread (gort::lock_os_thread).
//
// The call sequences, before any code:
//
// Go -> C -> Go, on one of gort's threads. A goroutine G calls
// gort::blocking(f): entersyscall marks its P "in syscall" (sysmon may hand
// it to another M), and f runs on the M's g0 stack. f calls C code, which
// calls gort::callback(cb). cgocallback finds the M through the
// thread-local g (g0 here) and:
//   1. saves g0's base context and gosave's a new one right here, so that
//      every later mcall and systemstack frame on g0 starts *below* the C
//      frames (invariant 2: nothing on g0 is overwritten, and nothing
//      gogo's back into them);
//   2. makes a goroutine CG for cb, locked to this M (lockedint), and takes
//      a P: G's own P back if sysmon has not taken it, else an idle one,
//      else it queues CG and waits, as a locked M, until a scheduling M
//      finds CG and hands over its P (startlockedm);
//   3. runs CG. CG may do anything a goroutine does: start goroutines,
//      block on channels (then this M sleeps, handing its P off; CG only
//      ever resumes on this M, because the foreign frames under it are on
//      this thread's stack), call blocking (which may call back again: the
//      same sequence, one level deeper), sleep;
//   4. when CG returns, callbackdone puts its P back "in syscall" (as
//      entersyscall would) and resumes the context saved in step 1, which
//      restores g0's base context and returns to the C code; when that
//      returns, blocking's exitsyscall takes the P back as usual.
//
// C -> Go, on a thread gort did not create (needm/dropm). cgocallback
// finds no g: it borrows a spare M (needm): g0 is this thread's own stack,
// gsignal adopts this thread's alternate signal stack or installs the M's
// own (restored by dropm), and the M counts among the run's Ms. Steps 1-3
// as above; in step 4 the P goes back to the scheduler, and dropm returns
// the M to the pool. Spare Ms are reused, so a thread calling back 10^4
// times borrows the same few Ms; there are as many as there are
// simultaneous callers, plus one.
//
// A signal on a thread with no M (signal.cpp) borrows a spare M with
// needm_sig and gives it back with dropm_sig: never this callback path (it
// may allocate, and the signal may have interrupted malloc), only a CAS on
// a pool slot and plain stores into the M's signal-stack bookkeeping. At
// least one spare M is kept ready for that; the callback path makes more
// (off the signal path) when it takes the last one.
//
// lock_os_thread: the goroutine and its M are locked to each other: the
// goroutine runs only on that M, which runs nothing else; when the
// goroutine parks, the M hands its P off and sleeps until an M that finds
// the goroutine runnable hands it a P (startlockedm). A goroutine that
// exits locked takes its thread with it (goexit0), as in Go.
//
// Rejected: running the callback on the C caller's stack as a goroutine
// without a stack of its own (a park would have to move foreign frames);
// a new M per callback from a foreign thread (a thread calling back 10^4
// times would make 10^4 Ms); a mutex around the spare pool (a signal
// handler on the thread holding it would deadlock: Go blocks signals
// around its lock instead; one CAS per slot needs neither).
#include "gort/gort.h"
#include "gort/gort.hpp"
#include "os.hpp"
#include "sched.hpp"
#include "signal.hpp"

namespace gort::rt {

// Set before main in a program that can be called back (detail.hpp's
// ForeignCallbacks, capi_callback.cpp); read by checkdead.
std::atomic<bool> g_foreign_callbacks{false};

namespace {

// The calling thread's stack bounds, for a borrowed M's g0 (os::current_stack
// may allocate; once per thread, on the callback path only). Initial-exec:
// a signal handler may read it.
struct ThreadStack {
  std::uintptr_t lo = 0, hi = 0;
};
__attribute__((tls_model("initial-exec"))) thread_local ThreadStack tls_stack;

// take_spare: a spare M from the pool, or nullptr. Lock-free: one CAS on a
// slot; safe in a signal handler.
M* take_spare(Sched& s) {
  if (s.nextram.load(std::memory_order_acquire) == 0) return nullptr;
  for (auto& slot : s.extram) {
    M* mp = slot.load(std::memory_order_acquire);
    if (mp != nullptr && slot.compare_exchange_strong(mp, nullptr, std::memory_order_acq_rel)) {
      s.nextram.fetch_sub(1, std::memory_order_relaxed);
      return mp;
    }
  }
  return nullptr;
}

// put_spare: mp back into a free slot; false if every slot is taken (mp
// then stays in allm, unused, until teardown frees it). Lock-free.
bool put_spare(Sched& s, M* mp) {
  for (auto& slot : s.extram) {
    M* empty = nullptr;
    if (slot.load(std::memory_order_relaxed) == nullptr &&
        slot.compare_exchange_strong(empty, mp, std::memory_order_acq_rel)) {
      s.nextram.fetch_add(1, std::memory_order_release);
      return true;
    }
  }
  return false;
}

// newextram: a spare M for the run (allocates: never in a handler). In
// allm, so that teardown frees it; not in mcount until borrowed.
M* newextram(Sched& s) {
  M* mp = mallocator.alloc();
  mcommoninit(mp, gallocator.alloc(), &s);
  mp->extra = true;
  mp->gsignal = gallocator.alloc();
  mp->gsignal->m = mp;
  mp->gsignal->status = Gstatus::running;
  LockGuard l(s.lock);
  mp->alllink = s.allm;
  s.allm = mp;
  return mp;
}

// needm: borrow a spare M for this thread, which has none (callback path).
M* needm(Sched& s) {
  M* mp = take_spare(s);
  if (mp == nullptr) mp = newextram(s);
  if (tls_stack.hi == 0) os::current_stack(&tls_stack.lo, &tls_stack.hi);
  mp->g0->stack_lo = mp->g0->stack.lo = tls_stack.lo;
  mp->g0->stack_hi = mp->g0->stack.hi = tls_stack.hi;
  race::fiber_thread(mp->g0->race);
  mp->g0_stack_id = race::stack_register(tls_stack.lo, tls_stack.hi);
  setg(mp->g0);
  // This thread's signal stack, afresh: the M may have served another
  // thread, whose alternate stack is none of this one's business.
  minit(mp);
  {
    LockGuard l(s.lock);
    ++s.mcount;
  }
  // Keep one spare ready for a signal handler on another foreign thread.
  if (s.nextram.load(std::memory_order_acquire) == 0) new_spare_m(s);
  return mp;
}

// dropm: give the borrowed M back (callback path). The thread's signal
// stack is restored; this thread has no M again.
void dropm(M* mp) {
  Sched& s = *mp->sched;
  unminit(mp);
  race::stack_deregister(mp->g0_stack_id);
  mp->g0->sched = Gobuf{};
  mp->g0->stack_lo = mp->g0->stack_hi = 0;
  if (leaving_run(s, mp, false)) {
    setg(nullptr);  // the run was abandoned and we were its last M: all gone
    return;
  }
  setg(nullptr);
  put_spare(s, mp);
}

void noop_destroy(void*) {}

// newcallbackg: the goroutine that runs a callback on mp, locked to it.
G* newcallbackg(Sched& s, M* mp, void (*fn)(void*), void* arg, bool foreign) {
  G* gp = mp->cbfree;
  if (gp != nullptr) {
    mp->cbfree = gp->schedlink;
  } else {
    gp = gallocator.alloc();
    allgadd(s, gp);
  }
  gp->goid = s.goidgen.fetch_add(1, std::memory_order_relaxed) + 1;
  gp->fn_run = fn;
  gp->fn_destroy = &noop_destroy;
  gp->fn_obj = arg;
  gp->fn_heap = false;
  gp->waitreason = "";
  gp->sched = Gobuf{};
  fpctl_capture(gp->sched.regs);  // the calling thread's (sched.hpp)
  gp->callback = true;
  gp->callback_foreign = foreign;
  gp->labels = nullptr;
  gp->lockedm = mp;
  gp->lockedint = 1;
  gp->lockedext = 0;
  mp->lockedg = gp;
  race::fiber_new(gp->race, gp->goid);  // the caller's work happens before the callback
  gp->status.store(Gstatus::runnable, std::memory_order_relaxed);
  s.ngoroutines.fetch_add(1, std::memory_order_relaxed);
  return gp;
}

// callback_start: run cg on this M (like exitsyscall: a P first). On the
// stack cgocallback runs on, below the context it saved; never returns.
[[noreturn]] void callback_start(Sched& s, M* mp, G* cg) {
  P* pp = nullptr;
  if (P* op = mp->oldp) {
    // Inside blocking: the blocking goroutine's P, if sysmon left it.
    Pstatus st = Pstatus::syscall;
    if (op->status.compare_exchange_strong(st, Pstatus::running, std::memory_order_acq_rel)) pp = op;
    mp->oldp = nullptr;
  }
  if (pp == nullptr) {
    // No P free: queue cg; an M that finds it hands us its P (cg is locked
    // to us), and schedule waits for that as a locked M. Under the same
    // hold of the lock as the pidleget that found none, as exitsyscall0
    // does: an M that gives up its P afterwards looks at the global queue
    // under this lock first (findrunnable) and finds cg. With the lock
    // dropped in between, the last busy P could go idle in the gap, and
    // cg then waited in the global queue with every P idle and no M to
    // look: a hang, seen once in Callback.ManyForeignThreadsEachCalling...
    // (armel under QEMU, whose scheduler dump showed just that).
    LockGuard l(s.lock);
    if (!s.exiting.load(std::memory_order_acquire)) pp = pidleget(s);
    if (pp != nullptr)
      pp->status.store(Pstatus::running, std::memory_order_release);
    else
      globrunqput(s, cg);
  }
  if (pp == nullptr) schedule();
  mp->p = pp;
  pp->m = mp;
  execute(cg, false);
}

// callback_run: save this frame as g0's base context (from here on,
// frames on g0 start below it: see the top), run cg, and return when
// callbackdone resumes the saved context. A function of its own, so that
// nothing live in the caller spans the second return of gosave.
__attribute__((noinline)) void callback_run(Sched& s, M* mp, G* cg) {
  if (gort_gosave(&mp->g0->sched) == 0) callback_start(s, mp, cg);
}

}  // namespace

void new_spare_m(Sched& s) {
  M* mp = newextram(s);
  put_spare(s, mp);
}

[[noreturn]] void stoplockedm_execute() {
  M* mp = getg()->m;
  Sched& s = *mp->sched;
  G* gp = mp->lockedg;
  // Our P to someone else meanwhile (it may hold gp itself: whoever runs
  // it finds gp locked to us and hands the P back, startlockedm).
  if (mp->p != nullptr) handoffp(s, releasep());
  for (;;) {
    {
      LockGuard l(s.lock);
      if (mp->nextp == nullptr) {
        mp->idlelocked = true;
        mp->idlelockedlink = s.midlelocked;
        s.midlelocked = mp;
        ++s.nmidlelocked;
        checkdead(s);
      }
    }
    mp->park.sleep();
    mp->park.clear();
    {
      LockGuard l(s.lock);
      if (mp->idlelocked) {
        // Woken by the end of the run (startlockedm takes us off itself).
        M** pm = &s.midlelocked;
        while (*pm != mp) pm = &(*pm)->idlelockedlink;
        *pm = mp->idlelockedlink;
        --s.nmidlelocked;
        mp->idlelocked = false;
      }
    }
    if (mp->nextp != nullptr) break;
    if (s.exiting.load(std::memory_order_acquire) && gp->lockedint == 0) {
      // The run is over and a locked goroutine of the program's will not
      // run again: the M leaves. (A callback's M waits on: its caller is a
      // foreign thread, and only the goroutine finishing may return to it.)
      mp->lockedg = nullptr;
      mexit();
    }
  }
  P* pp = mp->nextp;
  mp->nextp = nullptr;
  acquirep(pp);
  execute(gp, false);
}

void startlockedm(G* gp) {
  M* lm = gp->lockedm;
  M* mp = getg()->m;
  Sched& s = *mp->sched;
  if (lm == mp) fatal("startlockedm: locked to this M");
  P* pp = releasep();
  {
    // Off the idle-locked list under the lock, with its P: checkdead must
    // not see it asleep once it has work.
    LockGuard l(s.lock);
    lm->nextp = pp;
    if (lm->idlelocked) {
      M** pm = &s.midlelocked;
      while (*pm != lm) pm = &(*pm)->idlelockedlink;
      *pm = lm->idlelockedlink;
      --s.nmidlelocked;
      lm->idlelocked = false;
    }
  }
  lm->park.wakeup_idempotent();
  stopm();
}

[[noreturn]] void callbackdone(G* gp) {
  M* mp = gp->m;
  Sched& s = *mp->sched;
  // Callbacks on one thread return in the reverse order they were made:
  // g0's saved context is the innermost one's. Only Config::threads =
  // false, whose one M runs every goroutine, can end an outer one first.
  if (mp->lockedg != gp) [[unlikely]]
    fatal("gort::callback: a callback's goroutine returned while a later callback on its thread had not "
          "(Config::threads = false runs them all on one thread)");
  bool foreign = gp->callback_foreign;
  gp->callback = false;
  gp->lockedm = nullptr;
  gp->lockedint = gp->lockedext = 0;
  mp->lockedg = nullptr;
  gp->sched = Gobuf{};
  gp->m = nullptr;
  gp->preempt.store(false, std::memory_order_relaxed);
  if (gp->stack.hi != 0) {
    stackfree(gp->stack);
    gp->stack = Stack{};
  }
  gp->schedlink = mp->cbfree;
  mp->cbfree = gp;
  s.ngoroutines.fetch_sub(1, std::memory_order_relaxed);
  P* pp = mp->p;
  if (foreign) {
    releasep();
    if (!s.exiting.load(std::memory_order_acquire)) handoffp(s, pp);
  } else {
    // Back into the blocking call that called back: the P is "in syscall"
    // again, as entersyscall leaves it (sysmon may hand it off), and
    // blocking's exitsyscall takes it back.
    pp->syscalltick.fetch_add(1, std::memory_order_relaxed);
    mp->oldp = pp;
    mp->p = nullptr;
    pp->status.store(Pstatus::syscall, std::memory_order_release);
  }
  gogo(mp->g0);  // cgocallback's saved context: back to the caller
}

M* needm_sig(Sched& s, std::uintptr_t sp) {
  // Async-signal-safe: a CAS on a pool slot, sigaltstack (a system call)
  // and plain stores.
  M* mp = take_spare(s);
  if (mp == nullptr) return nullptr;
  os::SigStack cur;
  os::sigaltstack_get(&cur);
  G* gs = mp->gsignal;
  if (cur.enabled && sp >= cur.lo && sp < cur.lo + cur.size) {
    gs->stack_lo = cur.lo;
    gs->stack_hi = cur.lo + cur.size;
  } else {
    // On the thread's own stack: bounds around the handler's frame.
    gs->stack_lo = sp > 64 * 1024 ? sp - 64 * 1024 : 0;
    gs->stack_hi = sp + 64 * 1024;
  }
  mp->g0->stack_lo = mp->g0->stack_hi = 0;  // this thread's stack is unknown here
  setg(gs);
  return mp;
}

void dropm_sig(M* mp) {
  // Async-signal-safe, as needm_sig.
  setg(nullptr);
  mp->gsignal->stack_lo = mp->gsignal->stack_hi = 0;
  if (!put_spare(*mp->sched, mp)) {
    // Every slot taken meanwhile (cannot happen with fewer than
    // kExtraSlots borrowed Ms): mp stays in allm for teardown.
  }
}

}  // namespace gort::rt

// ---------------------------------------------------------------------------
// gort::callback, gort_callback, lock_os_thread.

namespace gort::detail {

using namespace gort::rt;

int cgocallback(void (*fn)(void*), void* arg) {
  G* tls = getg();
  M* mp;
  bool foreign = false;
  if (tls == nullptr) {
    Sched* s = current_sched();
    if (s == nullptr) return GORT_ENORUNTIME;
    mp = needm(*s);
    foreign = true;
  } else {
    mp = tls->m;
    if (tls == mp->gsignal) fatal("gort::callback called from a signal handler");
    if (tls != mp->g0) {
      fn(arg);  // already a goroutine
      return 0;
    }
    if (mp->sched == nullptr) {
      if (current_sched() == nullptr) return GORT_ENORUNTIME;
      fatal("gort::callback from a thread that has a runtime identity but belongs to no run");
    }
    G* cur = mp->curg;
    if (cur == nullptr || cur->status.load(std::memory_order_relaxed) != Gstatus::syscall)
      fatal("gort::callback from gort's system stack outside gort::blocking");
  }
  Sched& s = *mp->sched;
  if (s.exiting.load(std::memory_order_acquire)) {
    // main has returned: the run takes no more work.
    if (foreign) dropm(mp);
    return GORT_ENORUNTIME;
  }
  Gobuf saved_base = mp->g0->sched;
  G* saved_curg = mp->curg;
  G* saved_lockedg = mp->lockedg;
  // Inside blocking, this code runs as the blocking goroutine, whose TSan
  // fiber is not g0's (systemstack keeps it): callbackdone comes back on
  // g0's, so the caller's goes back here (race.hpp).
  void* fiber = race::current_fiber();
  G* cg = newcallbackg(s, mp, fn, arg, foreign);
  callback_run(s, mp, cg);
  // Back from callbackdone: the callback's goroutine has returned.
  race::switch_fiber(fiber);
  race::acquire(cg);  // its end (gort_goexit1), before the caller goes on
  mp->g0->sched = saved_base;
  mp->curg = saved_curg;
  mp->lockedg = saved_lockedg;
  if (foreign) dropm(mp);
  return 0;
}

[[noreturn]] void callback_no_runtime() { fatal("gort::callback with no runtime running"); }

bool note_foreign_callbacks() noexcept {
  g_foreign_callbacks.store(true, std::memory_order_relaxed);
  return true;
}

void lock_os_thread() {
  G* gp = getg();
  if (!in_goroutine()) fatal("gort::lock_os_thread called outside a goroutine of gort::run");
  if (++gp->lockedext == 0) fatal("gort::lock_os_thread: too many nested locks");
  // Config::threads = false: every goroutine runs on the one thread; the
  // count alone keeps Go's semantics, and the M never sleeps for its G.
  if (!gp->m->sched->threads) return;
  gp->lockedm = gp->m;
  gp->m->lockedg = gp;
}

void unlock_os_thread() {
  G* gp = getg();
  if (!in_goroutine()) fatal("gort::unlock_os_thread called outside a goroutine of gort::run");
  if (gp->lockedext == 0) return;  // as in Go: unlocking an unlocked goroutine does nothing
  if (--gp->lockedext == 0 && gp->lockedint == 0 && gp->m->sched->threads) {
    gp->lockedm = nullptr;
    gp->m->lockedg = nullptr;
  }
}

}  // namespace gort::detail

