// run.cpp: gort::run: the start of a run, its end, and teardown.
//
// Start. gort::run allocates the run's Sched, makes the calling thread m0
// and goroutine 1 the main goroutine. With threads (the default) m0 runs no
// goroutine at all: it starts an M to run main and waits for main to
// return. With Config::threads = false, m0 is the only M and runs the
// scheduler itself.
//
// Why m0 only waits. run must return on the thread that called it, and it
// can only do so if that thread is free: had m0 run goroutines like any M,
// a goroutine stuck in a blocking call on m0 (blocking runs on the M's own
// stack, below run's frame), or one spinning there without a safe point,
// would keep run from ever returning. Rejected: running main on m0 but
// nothing else (every park of main would hand its P to another thread, a
// futex round trip per channel operation); moving a blocking call off m0
// when it starts (a migration per blocking call that happens to land on
// m0, and a spinner on m0 would still hold it). The cost of this choice is
// one thread that sleeps, and main starting on another thread than the
// caller's (lock_os_thread pins a goroutine to the thread it is on, not to
// m0).
//
// The end. When main returns (goexit0 on main's M), maindone sets
// sched.exiting, wakes every idle M, sysmon and m0, and asks running
// goroutines to yield. Every M then leaves at its next pass through the
// scheduler (mexit): an idle or spinning M at once, one running a goroutine
// at that goroutine's next safe point, one inside a blocking call when the
// call returns. m0 waits for sysmon and then for the Ms, joins their threads
// and frees everything (teardown), and run returns.
//
// Abandoned Ms. An M whose goroutine sits in a blocking call that does not
// return, or spins without a safe point, may never leave. gort.hpp promises
// that such goroutines are abandoned, as in Go (where the process exits
// under them), so m0 waits for the Ms only kAbandonAfterNs; then the run is
// abandoned: m0 detaches the threads still out, forgets the Sched and
// returns main's result. Nothing is freed under the Ms still out: they
// keep their run's Sched (every M reaches its run through M::sched, never
// through a global), its Gs, stacks and Ps, and each leaves through mexit
// when it next enters the scheduler (its run is exiting, so it finds no
// work); the last one out runs teardown for the run and frees the Sched.
// Their goroutines' frames are freed without unwinding, as in Go. A later
// run is independent of them: it has a Sched of its own. What they share
// with a later run is only what the program shares (a channel used by both
// runs is the program's business: don't). Rejected: waiting forever (the
// old behaviour: run never returned); killing the threads (pthread_cancel
// in a blocking call runs unwinders and handlers under the runtime's feet,
// and cannot stop a spinner at all); one global Sched reset for the next
// run (an M still out would then wake up inside the next run's state, and
// making that safe needs a barrier on every entry into the runtime).
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "gort/gort.hpp"
#include "cpuprof.hpp"
#include "os.hpp"
#include "sched.hpp"
#include "signal.hpp"
#include "unwind.hpp"

namespace gort::rt {

namespace {

constexpr std::size_t kDefaultStack = 64 * 1024;
// How long m0 waits for Ms to leave before it abandons the run. Long enough
// that an M which only has to be scheduled by the OS to leave (an idle one,
// woken) does so even on a loaded machine; short enough that run returns
// promptly when a goroutine is stuck.
constexpr std::int64_t kAbandonAfterNs = 100'000'000;

std::atomic<bool> g_running{false};

// teardown: free what the run still holds. On the system stack of an M of
// the run that is the last one in it (m0 after the others left, or the
// last abandoned M to leave: self); every other M has left the runtime.
void teardown(Sched& s, M* self) {
  // No lock: every other thread is past its last use of the runtime, and
  // the M that created one stored its handle before it left (mcount says
  // so). An abandoned run has no handle left here (m0 took them all).
  // Joined first: the join is the edge a thread checker (TSan) sees from
  // everything those threads did in the runtime to what follows here.
  for (M* mp = s.allm; mp; mp = mp->alllink)
    if (mp != self && mp->thread) os::joinosproc(mp->thread);
  // Timers first: a sleeping goroutine's timer lives on its stack, which
  // freeallgs gives back below.
  timers_clear(s.timers);
  freeallgs(s);
  for (M* mp = s.allm; mp;) {
    M* next = mp->alllink;
    if (mp != self && !mp->is_m0) freem(mp);
    mp = next;
  }
  s.allm = nullptr;
  for (std::int32_t i = 0; i < s.gomaxprocs; ++i) {
    stackcache_destroy(s.allp[i]->stackcache);
    delete s.allp[i];
  }
  stackpool_scavenge(INT64_MAX, 0);  // every all-free stack span back to the heap
  // Arenas left all free go back to the OS whole, pages, guards and page
  // tables in one call each, when the run used much of them: a run with
  // 10^6 goroutines gives back 68 GiB of address space and 4 GiB of RSS in
  // about 70 calls. A small run keeps its pages for the next (re-faulting
  // them costs more than keeping them), as the scavenger's delay would.
  mheap_release_arenas(std::size_t(64) << 20);
  delete[] s.allp;
  s.allp = nullptr;
}

// abandon: the Ms still out keep the run; m0 leaves it. sched.lock is taken
// here; on return m0 must not touch s again (the last M out frees it).
void abandon(Sched& s, M* m0) {
  std::vector<void*> exited;  // m0 may allocate: it is an ordinary thread here
  s.lock.lock();
  s.abandoned = true;
  for (M** pm = &s.allm; *pm;) {
    M* mp = *pm;
    if (mp == m0) {
      *pm = mp->alllink;  // m0 frees its own M when run returns
      continue;
    }
    if (mp->thread) {
      // An M that left is joined now (its thread ends at once); one still
      // out is detached: nobody will join it.
      if (mp->exited)
        exited.push_back(mp->thread);
      else
        os::detachosproc(mp->thread);
      mp->thread = nullptr;
    }
    pm = &mp->alllink;
  }
  s.m0 = nullptr;
  bool nobody = s.mcount == 0;  // they all left while we looked
  s.lock.unlock();
  for (void* t : exited) os::joinosproc(t);
  if (nobody) {
    // Nobody is out after all: no one else will free the run.
    teardown(s, m0);
    delete &s;
  }
}

// endrun: m0 after main returned (threads): wait for the Ms, then tear down
// or abandon.
void endrun(Sched& s, M* m0) {
  // sysmon first: until it has stopped it may still start an M (handoffp).
  if (s.sysmon_on) {
    s.sysmon_done.sleep();
    os::joinosproc(s.sysmon_thread);
    s.sysmon_thread = nullptr;
  }
  std::int64_t start = os::nanotime();
  for (;;) {
    std::uint32_t seen = s.mexits.load(std::memory_order_acquire);
    s.lock.lock();
    std::int32_t n = s.mcount;
    s.lock.unlock();
    if (n == 0) break;
    std::int64_t left = kAbandonAfterNs - (os::nanotime() - start);
    if (left <= 0) {
      cpuprof_finish(s);
      sigqueue_teardown(s);
      unminit(m0);
      abandon(s, m0);
      return;
    }
    os::futexsleep(reinterpret_cast<std::uint32_t*>(&s.mexits), seen, std::min<std::int64_t>(left, 1'000'000));
  }
  cpuprof_finish(s);  // a profile still running is written now
  sigqueue_teardown(s);
  unminit(m0);  // before teardown: its stack goes back with the others
  teardown(s, m0);
  delete &s;
}

std::int64_t parse_schedtrace(const char* v) {
  if (v == nullptr) return 0;
  const char* p = std::strstr(v, "schedtrace=");
  if (p == nullptr) return 0;
  return std::atoll(p + std::strlen("schedtrace="));
}

}  // namespace

Sched* current_sched() { return g_sched.load(std::memory_order_acquire); }

void maindone(Sched& s) {
  s.exiting.store(true, std::memory_order_release);
  // Wake every idle M so it can leave, and sysmon.
  s.lock.lock();
  M* list = s.midle;
  s.midle = nullptr;
  s.nmidle = 0;
  s.timed_m = nullptr;
  s.lock.unlock();
  while (list) {
    M* next = list->schedlink;
    list->park.wakeup();
    list = next;
  }
  s.sysmon_wake.store(1, std::memory_order_release);
  os::futexwakeup(reinterpret_cast<std::uint32_t*>(&s.sysmon_wake), 1);
  // Running goroutines: leave at their next safe point.
  for (std::int32_t i = 0; i < s.gomaxprocs; ++i)
    if (M* mp = __atomic_load_n(&s.allp[i]->m, __ATOMIC_RELAXED))
      if (G* gp = __atomic_load_n(&mp->curg, __ATOMIC_RELAXED)) gp->preempt.store(true, std::memory_order_relaxed);
  // Locked Ms waiting for their goroutine: a program's locked goroutine
  // will not run again, so its M leaves; a callback's M waits on (its
  // caller is a thread gort did not create; cgocall.cpp).
  s.lock.lock();
  for (M* mp = s.midlelocked; mp; mp = mp->idlelockedlink) mp->park.wakeup_idempotent();
  s.lock.unlock();
  sigqueue_stop(s);
  if (s.threads) s.main_done.wakeup();  // m0
}

[[noreturn]] void mexit() {
  M* mp = getg()->m;
  Sched& s = *mp->sched;
  if (mp->p) {
    P* pp = mp->p;
    pp->m = nullptr;
    mp->p = nullptr;
  }
  if (mp->is_m0) {
    // Config::threads = false: m0 is the only M; back into run_main.
    gogo(mp->g0);
  }
  // Leave through mstart's base context. After mcount drops, m0 (or the
  // last abandoned M) may free this M, so copy what we need first, and
  // wake m0 while still holding the lock: once we release it, s itself may
  // be freed.
  Gobuf base = mp->g0->sched;
  unminit(mp);  // the thread's alternate stack back as minit found it
  race::stack_deregister(mp->g0_stack_id);
  // If this was the abandoned run's last M, the run is gone, this M too;
  // the thread is detached and ends when this returns through mstart.
  leaving_run(s, mp, true);
  setg(nullptr);
  gort_gogo(&base);
}

bool leaving_run(Sched& s, M* self, bool thread_ends) {
  // Wake m0 while still holding the lock: once we release it, s itself
  // may be freed (by m0's teardown, or by the last abandoned M).
  s.lock.lock();
  --s.mcount;
  if (thread_ends) self->exited = true;  // joinable (abandon reads it under the lock)
  bool last_out = s.abandoned && s.mcount == 0;
  if (!s.abandoned) {
    s.mexits.fetch_add(1, std::memory_order_release);
    os::futexwakeup(reinterpret_cast<std::uint32_t*>(&s.mexits), 1);
  }
  s.lock.unlock();
  if (!last_out) return false;
  // The run was abandoned and this is the last of its Ms: free it all.
  teardown(s, self);
  delete &s;
  freem(self);
  return true;
}

}  // namespace gort::rt

// ---------------------------------------------------------------------------
// gort::run (include/gort/detail.hpp).

namespace gort::detail {

using namespace gort::rt;

int run_main(void (*fn)(void*), void* arg, const Config& cfg) {
  if (g_running.exchange(true)) fatal("gort::run: the runtime is already running");
  unwind_init();  // outside any handler: the unwinder's table of loaded objects
  initsig();
  int procs = cfg.procs;
  if (procs <= 0) {
    if (const char* v = os::getenv("GORTMAXPROCS")) procs = std::atoi(v);
    if (procs <= 0) procs = os::ncpu();
  }
  if (!cfg.threads && procs != 1) fatal("gort::run: Config::threads = false needs procs = 1");
  if (procs > 1024) procs = 1024;
  // Go's limit on 64-bit CPUs. Beyond it the rounding wraps (SIZE_MAX gave
  // 0) or the heap maps terabytes, page map included, before any fault.
  constexpr std::size_t kMaxStack = std::size_t(1) << 30;
  if (cfg.stack_size > kMaxStack)
    fatal("gort::run: Config::stack_size ", cfg.stack_size, " is out of range (at most ", kMaxStack, ")");
  auto* sp = new Sched;
  Sched& s = *sp;
  s.threads = cfg.threads;
  s.stack_size = stack_round(cfg.stack_size ? cfg.stack_size : kDefaultStack);
  // A delay past ~73 years is never (in nanoseconds, milliseconds::max()
  // overflowed: negative, every free page went back to the OS at once).
  constexpr std::int64_t kNeverNs = INT64_MAX / 4;
  s.scavenge_delay = cfg.scavenge_delay.count() > kNeverNs / 1000000
                         ? kNeverNs
                         : std::chrono::nanoseconds(cfg.scavenge_delay).count();
  s.schedtrace_ms = cfg.threads ? parse_schedtrace(os::getenv("GORTDEBUG")) : 0;
  if (const char* d = os::getenv("GORTDEBUG")) s.scheddetail = std::strstr(d, "scheddetail=1") != nullptr;
  s.start_time = os::nanotime();
  s.gomaxprocs = procs;
  s.allp = new P*[procs];
  for (int i = 0; i < procs; ++i) {
    s.allp[i] = new P;
    s.allp[i]->id = i;
    s.allp[i]->solo = procs == 1;
  }
  for (int i = procs - 1; i >= 0; --i) pidleput(s, s.allp[i]);

  // The calling thread becomes m0; its previous runtime identity (if it had
  // been adopted) comes back when run returns.
  G* saved_g = getg();
  M* m0 = mallocator.alloc();
  G* g0 = gallocator.alloc();
  mcommoninit(m0, g0, sp);
  m0->is_m0 = true;
  os::current_stack(&g0->stack_lo, &g0->stack_hi);
  race::fiber_thread(g0->race);
  m0->g0_stack_id = race::stack_register(g0->stack_lo, g0->stack_hi);
  s.m0 = m0;
  s.mcount = cfg.threads ? 0 : 1;
  s.allm = m0;
  setg(g0);
  minit(m0);

  G* mg = gallocator.alloc();
  mg->goid = s.goidgen.fetch_add(1) + 1;
  mg->is_main = true;
  mg->fn_run = fn;
  mg->fn_destroy = [](void*) {};
  mg->fn_obj = arg;
  mg->status = Gstatus::runnable;
  mg->alllink = nullptr;
  fpctl_capture(s.fpctl);  // run's caller's: main's and every gort::go's (sched.hpp)
  gort_arch::fpctl_copy(mg->sched.regs, s.fpctl);
  race::fiber_new(mg->race, mg->goid);  // after the caller's work: run's edge to main
  s.allgs = mg;
  s.ngoroutines.store(1, std::memory_order_relaxed);
  new_spare_m(s);  // one spare M ready for a signal on a thread gort did not create
  g_sched.store(sp, std::memory_order_release);

  if (cfg.threads) {
    s.sysmon_on = true;
    s.sysmon_thread = os::newosproc(&sysmon, sp, 256 * 1024);
    s.lock.lock();
    P* pp = pidleget(s);
    s.lock.unlock();
    runqput(s, pp, mg, false);  // pp has no owner yet: nobody else touches its queue
    startm(s, pp, false);
    s.main_done.sleep();
    race::acquire(mg);  // main's end (gort_goexit1), before run returns
    g_sched.store(nullptr, std::memory_order_release);
    endrun(s, m0);  // frees s, now or when its last abandoned M leaves
  } else {
    if (gort_gosave(&g0->sched) == 0) {
      s.lock.lock();
      P* pp = pidleget(s);
      s.lock.unlock();
      acquirep(pp);
      runqput(s, pp, mg, false);
      schedule();
    }
    // Back from mexit on m0: there is no other M.
    race::acquire(mg);
    g_sched.store(nullptr, std::memory_order_release);
    cpuprof_finish(s);
    sigqueue_teardown(s);
    unminit(m0);
    teardown(s, m0);
    delete sp;
  }
  race::stack_deregister(m0->g0_stack_id);
  setg(saved_g);
  freem(m0);
  g_running.store(false);
  return 0;
}

}  // namespace gort::detail
