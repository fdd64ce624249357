// sched.hpp: the scheduler's state and its internal entry points.
//
// proc.cpp holds the design notes. The scheduler's code is split by scope,
// as Go's proc.go is not but its later files are:
//   proc.cpp    Ms, Gs, the scheduling loop, parking and readying, blocking
//               calls
//   solo.cpp    a solo P's direct switches from goroutine to goroutine
//   runq.cpp    per-P run queues, the global run queue, idle Ps
//   sysmon.cpp  sysmon: retaking Ps, preemption requests, the scavenger's
//               clock, schedtrace and debug dumps
//   run.cpp     gort::run: start, the end of a run, teardown, abandoned Ms
//   time.cpp    timers
// This header is what they, chan.cpp and sync.cpp share.
#pragma once

#include <atomic>
#include <cstdint>

#include "lock.hpp"
#include "malloc.hpp"
#include "runtime.hpp"

namespace gort::rt {

enum class Pstatus : std::uint32_t { idle, running, syscall, dead };

inline constexpr std::uint32_t kRunqSize = 256;
inline constexpr std::uint32_t kLifoSize = 256;
inline constexpr std::int32_t kGBatch = 32;  // free Gs a P and the run trade at a time (proc.cpp, gfput)

struct P {
  std::int32_t id = 0;
  std::atomic<Pstatus> status{Pstatus::idle};
  P* link = nullptr;  // idle list
  M* m = nullptr;     // owner while running
  std::uint32_t schedtick = 0;              // bumped by every execute that starts a time slice
  std::atomic<std::uint32_t> syscalltick{0};  // bumped by every blocking call
  // Local run queue: the owner puts at tail; anyone takes at head by CAS.
  std::atomic<std::uint32_t> runqhead{0};
  std::atomic<std::uint32_t> runqtail{0};
  std::atomic<G*> runq[kRunqSize] = {};
  std::atomic<G*> runnext{nullptr};
  // New Gs (never run) pushed out of runnext, last in first out for the
  // owner, stolen one at a time from the oldest end (runq.cpp).
  std::atomic<std::uint32_t> lifohead{0};  // the oldest: thieves take here
  std::atomic<std::uint32_t> lifotail{0};  // one past the newest: the owner's end
  std::atomic<G*> lifo[kLifoSize] = {};
  // solo: the run's only P (gomaxprocs 1). Nobody steals from it and no P
  // is ever idle while its owner runs, so its owner puts and takes with
  // plain loads and stores, and readying a G wakes nobody (runq.cpp).
  bool solo = false;
  std::uint64_t solo_switches = 0;  // direct switches made (for tests)
  std::uint64_t direct_starts = 0;  // new Gs started by goexit_direct (for tests)
  // This P's share of the goroutine count (started here minus ended here;
  // only the owner writes it): an exit touches no shared counter.
  std::atomic<std::int64_t> gcount{0};
  // Bumped by every schedule (and direct switch, solo.cpp), inherited time
  // slice or not: one in 61 serves the global queue and then the ring
  // first. Counting schedtick instead starved both behind a runnext
  // ping-pong, whose turns inherit one time slice (a sleeper's wakeup,
  // queued globally, waited 2-3 s for sysmon's preemptions to add up).
  // Counts 0..60 and wraps; among the owner's own fields, away from the
  // lines thieves read.
  std::uint32_t fairtick = 0;
  // Free Gs for reuse, and free stacks per size class (malloc.hpp).
  G* gfree = nullptr;          // the batch being filled or emptied (proc.cpp, gfput)
  std::int32_t gfreecnt = 0;
  G* gspare = nullptr;         // a full batch, or nullptr
  StackCache stackcache[kNumStackClasses];
  // Observed by sysmon.
  std::uint32_t sysmon_schedtick = 0;
  std::int64_t sysmon_schedwhen = 0;
  std::uint32_t sysmon_syscalltick = 0;
  std::int64_t sysmon_syscallwhen = 0;
};

// Timers (time.cpp). A timer calls f(arg) on some M's g0 once `when`
// (nanotime) has passed, with its heap locked: f must not block, nor add or
// delete timers. Each run has its own heap (Sched::timers); a timer
// remembers the heap it was added to, and teardown detaches every timer
// still in it (heap = nullptr), so a Timer that outlives its run can still
// be stopped and destroyed.
struct TimerHeap;
struct SigQueue;
struct timer {
  std::int64_t when = 0;
  void (*f)(void* arg) = nullptr;
  void* arg = nullptr;
  std::int32_t idx = -1;      // position in the heap, -1 if absent
  // The heap it was last added to; null once its run ended, or a Timer's
  // has fired: a Timer may outlive its run (and the Sched that holds the
  // heap). Read unlocked by deltimer.
  std::atomic<TimerHeap*> heap{nullptr};
  bool owned = false;         // teardown calls f_free(arg) if still pending
  void (*f_free)(void* arg) = nullptr;
};

struct TimerHeap {
  Lock lock;
  timer** t = nullptr;
  std::int32_t n = 0;
  std::int32_t cap = 0;
  std::atomic<std::int64_t> next{INT64_MAX};
};

// Sched: the state of one run of gort::run. A run's Ms point to it
// (M::sched), so an M abandoned when its run ended (run.cpp) keeps using the
// state of its own run, never that of a later one; the last such M to
// leave frees it.
struct Sched {
  Lock lock;
  // Global run queue.
  G* runqhead = nullptr;
  G* runqtail = nullptr;
  std::atomic<std::int32_t> runqsize{0};
  // Idle Ps and Ms.
  P* pidle = nullptr;
  std::atomic<std::int32_t> npidle{0};
  M* midle = nullptr;
  std::int32_t nmidle = 0;
  M* midlelocked = nullptr;        // locked Ms waiting for their G (cgocall.cpp)
  std::int32_t nmidlelocked = 0;
  // Ms that run goroutines and have not left: m0 only when threads is
  // false (with threads, the thread that called run only waits).
  std::int32_t mcount = 0;
  std::atomic<std::int32_t> nmspinning{0};
  M* timed_m = nullptr;           // the idle M sleeping until the next timer
  // All Ps, Ms, Gs.
  P** allp = nullptr;
  std::int32_t gomaxprocs = 0;
  M* allm = nullptr;
  Lock allglock;
  G* allgs = nullptr;
  // Free Gs beyond the per-P lists: full batches, linked by their first
  // G's gfree_batch (proc.cpp, gfput).
  Lock gflock;
  std::atomic<G*> gfree{nullptr};  // written under gflock; gfget peeks without it
  std::int32_t ngfree = 0;
  std::atomic<std::int64_t> ngoroutines{0};  // plus every P's gcount: goroutine_count
  std::int64_t scavenge_delay = 0;
  // The FP control state run's caller had (fpctl_capture, in the slots
  // gort_arch::fpctl_copy names; the rest unused): every goroutine gort::go
  // makes starts with it.
  gort_arch::Regs fpctl{};
  // goidgen on a cache line of its own: every `go` writes it, and beside
  // the fields other Ps touch all the time (timers.next, read by every
  // schedule; the free G list; the goroutine count) each write took the
  // line from the other P's cache and back. Measured on 2 Ps (amd64,
  // alternated runs): fib(27) 36.6 -> 29.0 ms, skynet 70 -> 63 ms; spawn
  // unchanged. Padding more of Sched (nmspinning, allp, allgs, gflock)
  // measured the same as this alone.
  alignas(64) std::atomic<std::uint64_t> goidgen{0};
  alignas(64) TimerHeap timers;
  std::atomic<SigQueue*> sigq{nullptr};  // gort::signal registrations (sigqueue.cpp)
  // Spare Ms for threads gort did not create (cgocall.cpp): one slot each,
  // taken and given back with a CAS, so that a signal handler can take one
  // without a lock.
  static constexpr int kExtraSlots = 256;
  std::atomic<M*> extram[kExtraSlots] = {};
  std::atomic<std::int32_t> nextram{0};  // Ms in the slots
  // Lifecycle (run.cpp).
  std::atomic<bool> exiting{false};
  std::atomic<std::uint32_t> mexits{0};  // futex word: bumped when an M leaves
  Note main_done;                        // main returned (threads: m0 waits on it)
  bool abandoned = false;  // run returned with Ms still out; the last to leave frees this
  M* m0 = nullptr;
  bool threads = true;
  std::size_t stack_size = 0;
  // sysmon.
  bool sysmon_on = false;
  void* sysmon_thread = nullptr;
  Note sysmon_done;
  std::atomic<std::uint32_t> sysmon_wake{0};
  std::int64_t schedtrace_ms = 0;
  bool scheddetail = false;
  std::int64_t start_time = 0;
};

// kFairTicks: one schedule in this many serves the global queue, then the
// ring, first (Go's 61). fairtick_next: the next schedule's tick
// (P::fairtick); true on that one.
inline constexpr std::uint32_t kFairTicks = 61;
inline bool fairtick_next(P* pp) {
  if (++pp->fairtick == kFairTicks) pp->fairtick = 0;
  return pp->fairtick == 0;
}

// goroutine_count: goroutines alive in the run (racy: each P adds its own
// share).
inline std::int64_t goroutine_count(Sched& s) {
  std::int64_t n = s.ngoroutines.load(std::memory_order_relaxed);
  for (std::int32_t i = 0; i < s.gomaxprocs; ++i) n += s.allp[i]->gcount.load(std::memory_order_relaxed);
  return n;
}
// pgcount_add: the owner of pp adds d to its share (no read-modify-write).
inline void pgcount_add(P* pp, std::int64_t d) {
  pp->gcount.store(pp->gcount.load(std::memory_order_relaxed) + d, std::memory_order_relaxed);
}
// g_sched: the running run's state, or nullptr (defined in gdbinfo.cpp,
// beside the table that leads debuggers to it; read it with current_sched).
extern std::atomic<Sched*> g_sched;

// current_sched: the running run's state, or nullptr. For code that has no
// M of a run at hand (debug dumps, mem_stats); everything else uses its M's.
Sched* current_sched();

// gopark: park the current G. On g0, after its context is saved, unlockf(gp,
// lock) runs; if it returns false the G is resumed at once. reason shows in
// deadlock reports. A G must be made runnable again with goready. Inline,
// with mcall (runtime.hpp says why).
void park_m(G* gp);
// park_solo (and yield_solo, solo.hpp): gopark and gosched on a solo P,
// which switch from goroutine to goroutine without g0 when they can
// (solo.cpp), where the CPU port has gort_swap (kSoloSwitch); false, having
// done nothing, when the caller must take the usual path.
#if defined(GORT_ARCH_SWAP)
inline constexpr bool kSoloSwitch = true;
#else
inline constexpr bool kSoloSwitch = false;
#endif
bool park_solo(G* gp, bool (*unlockf)(G*, void*), void* lock, const char* reason, bool small);
[[noreturn]] void gopark_misuse(const char* reason);
[[noreturn]] void goready_misuse();  // goready from a thread with no G
// in_goroutine(gp): gp, the current G, is a goroutine of gort::run (not a
// g0, not a thread without a P); in_goroutine() below reads it first.
inline bool in_goroutine(G* gp) {
  M* mp = gp != nullptr ? gp->m : nullptr;
  return mp != nullptr && mp->p != nullptr && gp != mp->g0;
}
// small: unlockf is a few instructions (a lock's release) and may run on
// the goroutine's own stack. gp: getg(), read by the caller already (the
// misuse check comes first: gp may be null, or a g0, or a thread's without
// a P).
inline void gopark(G* gp, bool (*unlockf)(G*, void*), void* lock, const char* reason, bool small = false) {
  if (!in_goroutine(gp)) [[unlikely]]
    gopark_misuse(reason);
  M* mp = gp->m;
  // A solo P switches straight to the next G (solo.cpp).
  if (kSoloSwitch && mp->p->solo && park_solo(gp, unlockf, lock, reason, small)) return;
  mp->waitunlockf = unlockf;
  mp->waitlock = lock;
  gp->waitreason = reason;
  mcall(&park_m);
}
inline void gopark(bool (*unlockf)(G*, void*), void* lock, const char* reason, bool small = false) {
  gopark(getg(), unlockf, lock, reason, small);
}
// gopark_unlock: park gp (getg(), as for gopark), releasing l (a Lock or a
// SpinLock) once the G is safely parked.
template <class L>
inline void gopark_unlock(G* gp, L* l, const char* reason) {
  gopark(
      gp,
      [](G*, void* p) {
        static_cast<L*>(p)->unlock();
        return true;
      },
      l, reason, true);
}
template <class L>
inline void gopark_unlock(L* l, const char* reason) {
  gopark_unlock(getg(), l, reason);
}
// goready: make a parked G runnable: next on this P (next=true, so that a
// sender and its receiver run back to back), or at the tail of the queue.
void goready(G* gp, bool next = true);
// goready_global: make gp runnable at the tail of the global queue.
void goready_global(G* gp);
// gosched: yield the processor; the G stays runnable.
void gosched();
// checkpreempt: a safe point. Yields if sysmon asked this G to.
// checkpreempt(gp): the same, gp being getg() read by the caller.
inline void checkpreempt(G* gp) {
  if (gp != nullptr && gp->preempt.load(std::memory_order_relaxed)) gosched();
}
inline void checkpreempt() { checkpreempt(getg()); }
// in_goroutine: the calling code runs as a goroutine of gort::run.
bool in_goroutine();
// check_allocator_integrity: stack_check_integrity over the pools and every
// P's cache. On the system stack, while no other P is running goroutines.
const char* check_allocator_integrity();
// debug_dump: print every P, M and G without taking any lock (a hang
// watchdog's last word; the picture may be torn, never a crash).
void debug_dump();
// chans_live: channels made and not yet released (chan.cpp; for tests).
// chans_fold: a freed M's share of that count into the global one.
std::int64_t chans_live();
void chans_fold(M* mp);
// fastrand: per-M pseudo-random numbers.
std::uint32_t fastrand();

// Run queues (runq.cpp). Local queues: runqput/runqget by the owner only.
bool runqempty(P* pp);
std::uint32_t runqlen(P* pp);  // Gs in the ring and the LIFO (not runnext); racy, for traces
// runqput, runqget: inline, in runq.hpp (included at the end).
G* runqsteal(P* pp, P* p2, bool steal_next);
// Global queue and idle Ps: sched.lock held.
void globrunqput(Sched& s, G* gp);
void globrunqputbatch(Sched& s, G* head, G* tail, std::int32_t n);
G* globrunqget(Sched& s, P* pp, std::int32_t max);
void pidleput(Sched& s, P* pp);
P* pidleget(Sched& s);

// Ms and Ps (proc.cpp).
extern FixAlloc<G> gallocator;  // every G and M of every run
extern FixAlloc<M> mallocator;
void mcommoninit(M* mp, G* g0, Sched* s);
void acquirep(P* pp);
P* releasep();
void startm(Sched& s, P* pp, bool spinning);
void wakep(Sched& s);
void handoffp(Sched& s, P* pp);
void wake_timed_m(Sched& s);
void stopm();
[[noreturn]] void schedule();
[[noreturn]] void execute(G* gp, bool inherit);
// run_handoff: on g0, run mp->handoff, a G taken from the run queue on a
// goroutine's stack (M::handoff); its locked M's if it has one.
[[noreturn]] void run_handoff(M* mp);
// execute_on: what running gp on mp (holding pp) means before the switch:
// mp's current G, gp's M and status; a new time slice unless inherited.
// execute's first half, and a solo P's direct switch's (solo.cpp).
inline void execute_on(M* mp, P* pp, G* gp, bool inherit) {
  mp->curg = gp;
  gp->m = mp;
  gp->status.store(Gstatus::running, std::memory_order_relaxed);
  gp->preempt.store(false, std::memory_order_relaxed);
  if (!inherit) ++pp->schedtick;
}
// A goroutine's first FP control state (rounding mode, exception masks,
// flush-to-zero), kept in its Gobuf before its first run and put back over
// gostartcall's (proc.cpp, first_frame): for run's main goroutine and every
// goroutine gort::go makes, the state run's caller had (Sched::fpctl), as
// in Go, where no goroutine inherits another's; for a callback's, the
// calling thread's. Never what its thread was left in by the goroutine
// before it, which may have changed its own and parked or ended there.
// Taking the creator's at each gort::go, as a new thread does, was
// measured and not kept: the state's read (a gosave) made a spawn 6-8 ns
// slower (46 -> 52-54 ns on 1 P, amd64).
// fpctl_capture(r): the FP control state in force, into r's slots.
void fpctl_capture(gort_arch::Regs& r);
void checkdead(Sched& s);  // sched.lock held
// The program can be called back from threads gort did not create
// (cgocall.cpp): checkdead cannot prove a deadlock in it.
extern std::atomic<bool> g_foreign_callbacks;
void allgadd(Sched& s, G* gp);
void mstart(void* arg);
// status_name: what tracebacks and debug dumps call a status (also in the
// debugger's table, gdbinfo.cpp: constexpr for that).
constexpr const char* status_name(Gstatus st) {
  switch (st) {
    case Gstatus::idle: return "idle";
    case Gstatus::runnable: return "runnable";
    case Gstatus::running: return "running";
    case Gstatus::syscall: return "blocking call";
    case Gstatus::waiting: return "waiting";
    case Gstatus::dead: return "dead";
  }
  return "?";
}
void print_goroutines(Sched& s);
// freeg: give a G's memory back (its stack, its function object). For
// teardown only.
void freeg(G* gp);
void freem(M* mp);
void freeallgs(Sched& s);

// The end of a run (run.cpp).
void maindone(Sched& s);
[[noreturn]] void mexit();
// leaving_run: self stops counting among its run's Ms (its thread ends, or
// a borrowed M goes back to the spare pool); sched.lock not held. false
// normally; true if the run was abandoned and self was its last M, in
// which case the run has been torn down and freed, self included, and the
// caller must not touch either again.
bool leaving_run(Sched& s, M* self, bool thread_ends);

// Locked Ms and callbacks (cgocall.cpp).
[[noreturn]] void stoplockedm_execute();
void startlockedm(G* gp);
[[noreturn]] void callbackdone(G* gp);
// needm_sig / dropm_sig: a spare M for a signal handler on a thread with no
// M (plain stores, no allocation, no lock); nullptr if none is spare.
M* needm_sig(Sched& s, std::uintptr_t sp);
void dropm_sig(M* mp);
// new_spare_m: make a spare M and put it in the pool (not in a handler).
void new_spare_m(Sched& s);

// sysmon (sysmon.cpp).
void sysmon(void* arg);
void scavenge(Sched& s, std::int64_t now);
void schedtrace(Sched& s, std::int64_t now, bool detail);

// Timers (time.cpp).
void addtimer(Sched& s, timer* t);
bool deltimer(timer* t);  // true if it removed t before it fired
inline std::int64_t next_timer(TimerHeap& h) { return h.next.load(std::memory_order_acquire); }  // earliest when, or INT64_MAX
void runtimers(TimerHeap& h, std::int64_t now);
inline bool timers_pending(TimerHeap& h) { return next_timer(h) != INT64_MAX; }
// timers_clear: detach every pending timer (teardown); owned ones are freed.
void timers_clear(TimerHeap& h);
void timers_changed(Sched& s);  // proc.cpp: a nearer timer was added

}  // namespace gort::rt

#include "runq.hpp"  // the owner's fast paths, which need all of the above
