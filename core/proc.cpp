// proc.cpp: goroutine scheduler.
//
// Words (Go's, defined once here and in runtime.hpp):
//   G   a goroutine. M   an OS thread. P   a processor: the right to run
//   goroutines, with a local run queue; GORTMAXPROCS of them.
//   g0  the M's scheduler goroutine, on the thread's own stack.
//
// Design, following Go's runtime/proc.go:
//
// - An M needs a P to run goroutines. Each P has a bounded lock-free run
//   queue (owner puts at the tail, anyone takes at the head by CAS) and a
//   runnext slot for the goroutine just readied (so a ping-pong pair runs
//   back to back). Overflow goes to the global run queue under sched.lock,
//   half a local queue at a time.
// - The scheduler runs on g0 and is entered only with mcall(fn) (fn is
//   park_m, gosched_m, goexit0, exitsyscall0), which starts a fresh frame at
//   g0's base: frames never pile up on g0 (DESIGN.md invariant 2).
// - findrunnable: timers, then runnext and the local queue, the global queue
//   (first, every 61st tick, for fairness), then stealing half of another
//   P's queue. At most half the busy Ps' worth of Ms spin looking for work.
//   An M with nothing to do puts its P on the idle list and sleeps on its
//   note; wakep() starts a spinning M when work appears and Ps are idle. The
//   last spinning M to give up re-checks every queue, so a wakeup is never
//   lost between "I found nothing" and "I am asleep".
// - One idle M at a time sleeps with a timeout: until the next timer. It
//   runs due timers without a P; what they ready goes on the global queue.
// - Blocking calls (gort::blocking) run on g0 between entersyscall, which
//   marks the P "in syscall" but leaves it attached, and exitsyscall, which
//   takes it back with one CAS if nobody took it. sysmon, a thread of its
//   own, takes such a P after about 20 us when it has work and hands it to
//   another M (handoffp); sysmon also flags a goroutine that has run 10 ms
//   without passing through the scheduler, so it yields at its next safe
//   point (channel operation, yield, sleep, lock).
// - Deadlock: whenever an M goes idle, checkdead() counts the Ms still
//   running; if none is, no blocking call is in flight and no timer is
//   pending, every goroutine is asleep for good: fatal, listing them.
// - gort::run turns the calling thread into m0 and runs main as goroutine
//   1. When main returns, sched.exiting is set; every M leaves at its next
//   pass through the scheduler (or its blocking call's return); m0 waits for
//   them, frees everything and resumes run()'s frame, which returns.
// - A new G gets its stack when it first runs, not when it is created, so a
//   burst of spawns costs G structs, not stacks; a finished G keeps its stack
//   on the P's free list for the next spawn.
//
// Rejected: a global run queue only (contention, Go 1.0's lesson); locking
// the P's queue (the CAS queue is cheaper and never blocks a thief); waking
// an M for every new goroutine (spinning Ms and wakep bound thread churn);
// timers per P (simpler here to keep one heap and one timed sleeper).
#include "sched.hpp"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <new>

#include "gort/gort.hpp"
#include "os.hpp"

namespace gort::rt {

namespace {
thread_local G* tls_g = nullptr;
std::atomic<std::int64_t> next_mid{0};
}  // namespace

__attribute__((noinline, noipa)) G* getg() noexcept { return tls_g; }
__attribute__((noinline, noipa)) void setg(G* gp) noexcept { tls_g = gp; }

namespace {
// mcommoninit: what every M and its g0 need, however they were allocated
// (Go's name). The g0's stack bounds are set on the M's own thread.
void mcommoninit(M* mp, G* g0) {
  mp->id = next_mid.fetch_add(1, std::memory_order_relaxed);
  mp->g0 = g0;
  mp->fastrand = (static_cast<std::uint64_t>(mp->id) + 1) * 0xbf58476d1ce4e5b9ull ^
                 static_cast<std::uint64_t>(os::nanotime()) ^ 0x9e3779b97f4a7c15ull;
  g0->m = mp;
  g0->status = Gstatus::running;
}
}  // namespace

G* adopt_thread() {
  if (G* gp = getg()) return gp->m->g0;
  auto* mp = new M;
  auto* g0 = new G;
  mcommoninit(mp, g0);
  os::current_stack(&g0->stack_lo, &g0->stack_hi);
  setg(g0);
  return g0;
}

void systemstack_check(const char* fn) {
  if (!on_system_stack(getg())) fatal(fn, " not on system stack");
}

void mcall(void (*fn)(G*)) {
  G* gp = getg();
  if (gp == nullptr) fatal("mcall: no runtime on this thread");
  M* mp = gp->m;
  if (on_system_stack(gp)) fatal("mcall called on the system stack");
  G* g0 = mp->g0;
  if (g0->sched.sp == 0) fatal("mcall: g0 has no base context");
  setg(g0);
  gort_mcall(&gp->sched, g0->sched.sp, fn, gp);
}

std::uint32_t fastrand() {
  M* mp = getg()->m;
  std::uint64_t x = mp->fastrand;  // xorshift64*
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  mp->fastrand = x;
  return static_cast<std::uint32_t>((x * 0x2545F4914F6CDD1Dull) >> 32);
}

// ---------------------------------------------------------------------------
// Global scheduler state.

namespace {

constexpr std::size_t kDefaultStack = 64 * 1024;
constexpr std::size_t kG0Stack = 2 * 1024 * 1024;  // new Ms' system stacks
constexpr std::size_t kFnHeapAlign = 64;  // goroutine functions too big for G::fn_buf

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
  std::int32_t mcount = 0;        // Ms alive, m0 included
  std::atomic<std::int32_t> nmspinning{0};
  M* timed_m = nullptr;           // the idle M sleeping until the next timer
  // All Ps, Ms, Gs.
  P** allp = nullptr;
  std::int32_t gomaxprocs = 0;
  M* allm = nullptr;
  Lock allglock;
  G* allgs = nullptr;
  // Free Gs beyond the per-P lists.
  Lock gflock;
  G* gfree = nullptr;
  std::int32_t ngfree = 0;
  std::atomic<std::int64_t> ngoroutines{0};
  std::int64_t scavenge_delay = 0;
  std::atomic<std::uint64_t> goidgen{0};
  // Lifecycle.
  std::atomic<bool> running{false};
  std::atomic<bool> exiting{false};
  std::atomic<std::uint32_t> mexits{0};  // futex word: bumped when an M leaves
  M* m0 = nullptr;
  bool threads = true;
  std::size_t stack_size = kDefaultStack;
  // sysmon.
  bool sysmon_on = false;
  void* sysmon_thread = nullptr;
  Note sysmon_done;
  std::atomic<std::uint32_t> sysmon_wake{0};
  std::int64_t schedtrace_ms = 0;
  bool scheddetail = false;
  std::int64_t start_time = 0;
};

Sched sched;
FixAlloc<G> gallocator;  // every G and M of gort::run; reused, never returned
FixAlloc<M> mallocator;

bool runqempty(P* pp) {
  // runnext and the queue are read separately: retry if the tail moved.
  for (;;) {
    std::uint32_t head = pp->runqhead.load(std::memory_order_acquire);
    std::uint32_t tail = pp->runqtail.load(std::memory_order_acquire);
    G* next = pp->runnext.load(std::memory_order_acquire);
    if (tail == pp->runqtail.load(std::memory_order_acquire)) return head == tail && next == nullptr;
  }
}

// Global run queue; sched.lock held.
void globrunqput(G* gp) {
  gp->schedlink = nullptr;
  if (sched.runqtail)
    sched.runqtail->schedlink = gp;
  else
    sched.runqhead = gp;
  sched.runqtail = gp;
  sched.runqsize.fetch_add(1, std::memory_order_relaxed);
}

void globrunqputbatch(G* head, G* tail, std::int32_t n) {
  tail->schedlink = nullptr;
  if (sched.runqtail)
    sched.runqtail->schedlink = head;
  else
    sched.runqhead = head;
  sched.runqtail = tail;
  sched.runqsize.fetch_add(n, std::memory_order_relaxed);
}

bool runqput_local(P* pp, G* gp);

// globrunqget: take a batch for pp (max 0: a fair share); sched.lock held.
G* globrunqget(P* pp, std::int32_t max) {
  std::int32_t size = sched.runqsize.load(std::memory_order_relaxed);
  if (size == 0) return nullptr;
  std::int32_t n = size / sched.gomaxprocs + 1;
  if (n > size) n = size;
  if (max > 0 && n > max) n = max;
  if (n > static_cast<std::int32_t>(kRunqSize / 2)) n = kRunqSize / 2;
  sched.runqsize.fetch_sub(n, std::memory_order_relaxed);
  G* gp = sched.runqhead;
  sched.runqhead = gp->schedlink;
  if (sched.runqhead == nullptr) sched.runqtail = nullptr;
  while (--n > 0) {
    G* g1 = sched.runqhead;
    sched.runqhead = g1->schedlink;
    if (sched.runqhead == nullptr) sched.runqtail = nullptr;
    runqput_local(pp, g1);
  }
  return gp;
}

// runqputslow: move half of pp's full queue and gp to the global queue.
bool runqputslow(P* pp, G* gp, std::uint32_t head, std::uint32_t tail) {
  constexpr std::uint32_t n = kRunqSize / 2;
  G* batch[n + 1];
  if (tail - head != kRunqSize) fatal("runqputslow: queue is not full");
  for (std::uint32_t i = 0; i < n; ++i)
    batch[i] = pp->runq[(head + i) % kRunqSize].load(std::memory_order_relaxed);
  if (!pp->runqhead.compare_exchange_strong(head, head + n, std::memory_order_release))
    return false;
  batch[n] = gp;
  for (std::uint32_t i = 0; i < n; ++i) batch[i]->schedlink = batch[i + 1];
  LockGuard l(sched.lock);
  globrunqputbatch(batch[0], batch[n], n + 1);
  return true;
}

// runqput_local: put at the tail; false if full (caller decides).
bool runqput_local(P* pp, G* gp) {
  std::uint32_t head = pp->runqhead.load(std::memory_order_acquire);
  std::uint32_t tail = pp->runqtail.load(std::memory_order_relaxed);
  if (tail - head >= kRunqSize) {
    LockGuard l(sched.lock);
    globrunqput(gp);
    return true;
  }
  pp->runq[tail % kRunqSize].store(gp, std::memory_order_relaxed);
  pp->runqtail.store(tail + 1, std::memory_order_release);
  return true;
}

// runqput: owner only. next: into runnext, kicking its old G to the queue.
void runqput(P* pp, G* gp, bool next) {
  if (next) {
    G* old = pp->runnext.load(std::memory_order_relaxed);
    while (!pp->runnext.compare_exchange_weak(old, gp, std::memory_order_acq_rel)) {
    }
    if (old == nullptr) return;
    gp = old;
  }
  for (;;) {
    std::uint32_t head = pp->runqhead.load(std::memory_order_acquire);
    std::uint32_t tail = pp->runqtail.load(std::memory_order_relaxed);
    if (tail - head < kRunqSize) {
      pp->runq[tail % kRunqSize].store(gp, std::memory_order_relaxed);
      pp->runqtail.store(tail + 1, std::memory_order_release);
      return;
    }
    if (runqputslow(pp, gp, head, tail)) return;
  }
}

// runqget: owner only. Returns (G, inherit_time): a runnext G inherits the
// current time slice.
G* runqget(P* pp, bool* inherit) {
  G* next = pp->runnext.load(std::memory_order_relaxed);
  if (next != nullptr && pp->runnext.compare_exchange_strong(next, nullptr, std::memory_order_acq_rel)) {
    *inherit = true;
    return next;
  }
  *inherit = false;
  for (;;) {
    std::uint32_t head = pp->runqhead.load(std::memory_order_acquire);
    std::uint32_t tail = pp->runqtail.load(std::memory_order_relaxed);
    if (tail == head) return nullptr;
    G* gp = pp->runq[head % kRunqSize].load(std::memory_order_relaxed);
    if (pp->runqhead.compare_exchange_weak(head, head + 1, std::memory_order_release)) return gp;
  }
}

// runqgrab: take half of p2's queue into batch (and its runnext if
// steal_next and the queue is empty). Returns the count.
std::uint32_t runqgrab(P* p2, G** batch, std::uint32_t batch_head, bool steal_next) {
  for (;;) {
    std::uint32_t head = p2->runqhead.load(std::memory_order_acquire);
    std::uint32_t tail = p2->runqtail.load(std::memory_order_acquire);
    std::uint32_t n = tail - head;
    n = n - n / 2;
    if (n == 0) {
      if (steal_next) {
        G* next = p2->runnext.load(std::memory_order_acquire);
        if (next != nullptr) {
          // Let a running owner that is about to schedule its runnext win.
          if (p2->status.load(std::memory_order_relaxed) == Pstatus::running) os::osyield();
          if (!p2->runnext.compare_exchange_strong(next, nullptr, std::memory_order_acq_rel)) continue;
          batch[batch_head % kRunqSize] = next;
          return 1;
        }
      }
      return 0;
    }
    if (n > kRunqSize / 2) continue;  // read an inconsistent head/tail pair
    for (std::uint32_t i = 0; i < n; ++i)
      batch[(batch_head + i) % kRunqSize] = p2->runq[(head + i) % kRunqSize].load(std::memory_order_relaxed);
    if (p2->runqhead.compare_exchange_strong(head, head + n, std::memory_order_release)) return n;
  }
}

// runqsteal: steal half of p2's Gs into pp's queue; return one to run.
G* runqsteal(P* pp, P* p2, bool steal_next) {
  std::uint32_t tail = pp->runqtail.load(std::memory_order_relaxed);
  G* batch[kRunqSize];
  std::uint32_t n = runqgrab(p2, batch, 0, steal_next);
  if (n == 0) return nullptr;
  G* gp = batch[n - 1];
  if (--n == 0) return gp;
  for (std::uint32_t i = 0; i < n; ++i) pp->runq[(tail + i) % kRunqSize].store(batch[i], std::memory_order_relaxed);
  pp->runqtail.store(tail + n, std::memory_order_release);
  return gp;
}

// Idle P list; sched.lock held.
void pidleput(P* pp) {
  if (!runqempty(pp)) fatal("pidleput: P has non-empty run queue");
  pp->status.store(Pstatus::idle, std::memory_order_release);
  pp->link = sched.pidle;
  sched.pidle = pp;
  sched.npidle.fetch_add(1, std::memory_order_relaxed);
}

P* pidleget() {
  P* pp = sched.pidle;
  if (pp) {
    sched.pidle = pp->link;
    sched.npidle.fetch_sub(1, std::memory_order_relaxed);
  }
  return pp;
}

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

// ---------------------------------------------------------------------------
// Goroutine bookkeeping.

void allgadd(G* gp) {
  LockGuard l(sched.allglock);
  gp->alllink = sched.allgs;
  sched.allgs = gp;
}

// gfput: keep a finished G for reuse. Its stack goes back to the P's stack
// cache, not with the G, so that the next G to *start* reuses it: kept with
// the G, a burst of spawns that queues N goroutines would own N stacks.
void gfput(P* pp, G* gp) {
  if (gp->stack.hi != 0) {
    stackfree(gp->stack);
    gp->stack = Stack{};
  }
  gp->schedlink = pp->gfree;
  pp->gfree = gp;
  if (++pp->gfreecnt >= 64) {
    LockGuard l(sched.gflock);
    while (pp->gfreecnt >= 32) {
      G* g1 = pp->gfree;
      pp->gfree = g1->schedlink;
      --pp->gfreecnt;
      g1->schedlink = sched.gfree;
      sched.gfree = g1;
      ++sched.ngfree;
    }
  }
}

G* gfget(P* pp) {
  if (pp->gfree == nullptr && sched.gfree != nullptr) {
    LockGuard l(sched.gflock);
    while (pp->gfreecnt < 32 && sched.gfree != nullptr) {
      G* g1 = sched.gfree;
      sched.gfree = g1->schedlink;
      --sched.ngfree;
      g1->schedlink = pp->gfree;
      pp->gfree = g1;
      ++pp->gfreecnt;
    }
  }
  G* gp = pp->gfree;
  if (gp) {
    pp->gfree = gp->schedlink;
    --pp->gfreecnt;
  }
  return gp;
}

const char* status_name(Gstatus s) {
  switch (s) {
    case Gstatus::idle: return "idle";
    case Gstatus::runnable: return "runnable";
    case Gstatus::running: return "running";
    case Gstatus::syscall: return "blocking call";
    case Gstatus::waiting: return "waiting";
    case Gstatus::dead: return "dead";
  }
  return "?";
}

// ---------------------------------------------------------------------------
// Ms.

void schedule();
void scavenge(std::int64_t now);
[[noreturn]] void mexit();
void sysmon(void*);

void mstart(void* arg) {
  auto* mp = static_cast<M*>(arg);
  G* g0 = mp->g0;
  os::current_stack(&g0->stack_lo, &g0->stack_hi);
  setg(g0);
  if (gort_gosave(&g0->sched) == 0) {
    // The base context: mexit resumes it to end the thread.
    P* pp = mp->nextp;
    mp->nextp = nullptr;
    acquirep(pp);
    schedule();
  }
  setg(nullptr);
}

M* allocm() {
  M* mp = mallocator.alloc();
  mcommoninit(mp, gallocator.alloc());
  LockGuard l(sched.lock);
  mp->alllink = sched.allm;
  sched.allm = mp;
  ++sched.mcount;
  return mp;
}

void newm(P* pp, bool spinning) {
  if (!sched.threads) fatal("newm: Config::threads is false, so no thread may start");
  M* mp = allocm();
  mp->nextp = pp;
  mp->spinning = spinning;
  void* t = os::newosproc(&mstart, mp, kG0Stack);
  LockGuard l(sched.lock);
  mp->thread = t;
}

// mget: an idle M; sched.lock held.
M* mget() {
  M* mp = sched.midle;
  if (mp) {
    sched.midle = mp->schedlink;
    --sched.nmidle;
    if (sched.timed_m == mp) sched.timed_m = nullptr;
  }
  return mp;
}

void print_goroutines();

// checkdead: called with sched.lock held whenever an M goes idle.
void checkdead() {
  if (sched.exiting.load(std::memory_order_relaxed)) return;
  std::int32_t run = sched.mcount - sched.nmidle;
  if (run > 0) return;
  if (run < 0) fatal("checkdead: inconsistent M counts: mcount=", sched.mcount, " nmidle=", sched.nmidle);
  if (sched.runqsize.load(std::memory_order_relaxed) > 0) return;  // an idle M will be woken
  for (std::int32_t i = 0; i < sched.gomaxprocs; ++i)
    if (!runqempty(sched.allp[i])) return;
  if (timers_pending()) return;  // the timed M will wake for it
  fatal_begin();
  print("fatal: all goroutines are asleep - deadlock!\n");
  print_goroutines();
  fatal_exit();
}

void mput(M* mp) {
  mp->schedlink = sched.midle;
  sched.midle = mp;
  ++sched.nmidle;
  checkdead();
}

// stopm: park this M (which holds no P) until startm hands it a P, or, if it
// is the timed sleeper, until the next timer is due. On return the M may
// still have no P; the caller loops.
void stopm() {
  M* mp = getg()->m;
  if (mp->p != nullptr) fatal("stopm: holding a P");
  std::int64_t wait = -1;
  {
    LockGuard l(sched.lock);
    if (sched.exiting.load(std::memory_order_relaxed)) return;
    mput(mp);
    std::int64_t next = next_timer();
    if (next != INT64_MAX && sched.timed_m == nullptr) {
      sched.timed_m = mp;
      mp->timed = true;
      wait = next - os::nanotime();
      if (wait < 0) wait = 0;
    }
  }
  if (!sched.threads) scavenge(os::nanotime());  // no sysmon to do it
  bool woken = mp->park.tsleep(wait);
  if (!woken) {
    // Timed out: take ourselves off the idle list unless a waker got there
    // first (then its wakeup is on the way and must be consumed).
    bool mine = false;
    {
      LockGuard l(sched.lock);
      M** pp = &sched.midle;
      while (*pp && *pp != mp) pp = &(*pp)->schedlink;
      if (*pp == mp) {
        *pp = mp->schedlink;
        --sched.nmidle;
        if (sched.timed_m == mp) sched.timed_m = nullptr;
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
void startm(P* pp, bool spinning) {
  sched.lock.lock();
  if (pp == nullptr) {
    pp = pidleget();
    if (pp == nullptr) {
      sched.lock.unlock();
      if (spinning) sched.nmspinning.fetch_sub(1, std::memory_order_relaxed);
      return;
    }
  }
  M* nmp = mget();
  if (nmp == nullptr && !sched.threads) {
    // No thread may start: the one M finds the work itself.
    pidleput(pp);
    sched.lock.unlock();
    if (spinning) sched.nmspinning.fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  sched.lock.unlock();
  if (nmp == nullptr) {
    newm(pp, spinning);
    return;
  }
  nmp->spinning = spinning;
  nmp->nextp = pp;
  nmp->park.wakeup();
}

// wake_timed_m: the timed sleeper recomputes its deadline (a nearer timer
// was added); with none, any idle M wakes to become it.
void wake_timed_m() {
  sched.lock.lock();
  M* mp = sched.timed_m;
  if (mp == nullptr) {
    mp = mget();
  } else {
    M** pp = &sched.midle;
    while (*pp && *pp != mp) pp = &(*pp)->schedlink;
    if (*pp == mp) {
      *pp = mp->schedlink;
      --sched.nmidle;
    } else {
      mp = nullptr;
    }
    sched.timed_m = nullptr;
  }
  sched.lock.unlock();
  if (mp) mp->park.wakeup();
}

void wakep() {
  if (sched.npidle.load(std::memory_order_relaxed) == 0) return;
  std::int32_t z = 0;
  if (sched.nmspinning.load(std::memory_order_relaxed) != 0 ||
      !sched.nmspinning.compare_exchange_strong(z, 1))
    return;
  startm(nullptr, true);
}

// handoffp: pp's M is stuck in a blocking call; give pp to someone else.
void handoffp(P* pp) {
  if (!runqempty(pp) || sched.runqsize.load(std::memory_order_relaxed) != 0) {
    startm(pp, false);
    return;
  }
  if (sched.nmspinning.load() + sched.npidle.load() == 0) {
    std::int32_t z = 0;
    if (sched.nmspinning.compare_exchange_strong(z, 1)) {
      startm(pp, true);
      return;
    }
  }
  sched.lock.lock();
  if (sched.runqsize.load(std::memory_order_relaxed) != 0) {
    sched.lock.unlock();
    startm(pp, false);
    return;
  }
  pidleput(pp);
  sched.lock.unlock();
}

void resetspinning() {
  M* mp = getg()->m;
  mp->spinning = false;
  if (sched.nmspinning.fetch_sub(1) - 1 < 0) fatal("resetspinning: negative nmspinning");
  wakep();  // we found work: maybe there is more, for another M
}

// ---------------------------------------------------------------------------
// Running goroutines.

void goentry(void* arg);

[[noreturn]] void execute(G* gp, bool inherit) {
  M* mp = getg()->m;
  P* pp = mp->p;
  mp->curg = gp;
  gp->m = mp;
  gp->status.store(Gstatus::running, std::memory_order_relaxed);
  gp->preempt.store(false, std::memory_order_relaxed);
  if (!inherit) ++pp->schedtick;
  if (gp->sched.sp == 0) {
    // First run: give it a stack (kept across reuse) and its first frame.
    if (gp->stack.hi == 0) gp->stack = stackalloc(sched.stack_size);
    gp->stack_lo = gp->stack.lo;
    gp->stack_hi = gp->stack.hi;
    gort_gostartcall(&gp->sched, &goentry, gp, gp->stack.hi);
  }
  gogo(gp);
}

G* findrunnable(bool* inherit) {
  M* mp = getg()->m;
top:
  if (sched.exiting.load(std::memory_order_acquire)) mexit();
  if (mp->p == nullptr) {
    // Woken without a P (timers, or a lost race): run timers, find a P.
    runtimers(os::nanotime());
    sched.lock.lock();
    P* pp = nullptr;
    if (sched.runqsize.load(std::memory_order_relaxed) != 0 || mp->spinning) pp = pidleget();
    if (pp == nullptr) {
      for (std::int32_t i = 0; i < sched.gomaxprocs && !pp; ++i)
        if (!runqempty(sched.allp[i])) pp = pidleget();
    }
    sched.lock.unlock();
    if (pp == nullptr) {
      if (mp->spinning) {
        mp->spinning = false;
        sched.nmspinning.fetch_sub(1);
      }
      stopm();
      goto top;
    }
    acquirep(pp);
  }
  P* pp = mp->p;
  // The clock costs tens of ns: read it only when a timer exists.
  if (std::int64_t nt = next_timer(); nt != INT64_MAX) {
    std::int64_t now = os::nanotime();
    if (nt <= now) runtimers(now);
  }

  if (pp->schedtick % 61 == 0 && sched.runqsize.load(std::memory_order_relaxed) > 0) {
    LockGuard l(sched.lock);
    if (G* gp = globrunqget(pp, 1)) {
      *inherit = false;
      return gp;
    }
  }
  if (G* gp = runqget(pp, inherit)) return gp;
  if (sched.runqsize.load(std::memory_order_relaxed) > 0) {
    LockGuard l(sched.lock);
    if (G* gp = globrunqget(pp, 0)) {
      *inherit = false;
      return gp;
    }
  }

  // Steal, if not too many Ms are already spinning.
  std::int32_t busy = sched.gomaxprocs - sched.npidle.load(std::memory_order_relaxed);
  if (!mp->spinning && 2 * sched.nmspinning.load(std::memory_order_relaxed) < busy) {
    mp->spinning = true;
    sched.nmspinning.fetch_add(1);
  }
  if (mp->spinning && sched.gomaxprocs > 1) {
    for (int round = 0; round < 4; ++round) {
      std::uint32_t start = fastrand();
      for (std::int32_t k = 0; k < sched.gomaxprocs; ++k) {
        P* p2 = sched.allp[(start + k) % sched.gomaxprocs];
        if (p2 == pp) continue;
        if (G* gp = runqsteal(pp, p2, round == 3)) {
          *inherit = false;
          return gp;
        }
      }
    }
  }

  // Nothing to do: give up the P.
  sched.lock.lock();
  if (sched.exiting.load(std::memory_order_relaxed)) {
    sched.lock.unlock();
    mexit();
  }
  if (sched.runqsize.load(std::memory_order_relaxed) > 0) {
    G* gp = globrunqget(pp, 0);
    sched.lock.unlock();
    *inherit = false;
    return gp;
  }
  releasep();
  pidleput(pp);
  sched.lock.unlock();

  if (mp->spinning) {
    mp->spinning = false;
    sched.nmspinning.fetch_sub(1);
    // The last spinner re-checks: work may have arrived after we looked,
    // from a goready that saw us spinning and so woke nobody.
    bool work = sched.runqsize.load(std::memory_order_relaxed) > 0;
    for (std::int32_t i = 0; i < sched.gomaxprocs; ++i) {
      if (work || !runqempty(sched.allp[i])) {
        sched.lock.lock();
        P* p2 = pidleget();
        sched.lock.unlock();
        if (p2) {
          acquirep(p2);
          mp->spinning = true;
          sched.nmspinning.fetch_add(1);
          goto top;
        }
        break;
      }
    }
  }
  stopm();
  goto top;
}

void schedule() {
  M* mp = getg()->m;
  if (getg() != mp->g0) fatal("schedule: not on g0");
  bool inherit = false;
  G* gp = findrunnable(&inherit);
  if (mp->spinning) resetspinning();
  execute(gp, inherit);
}

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

void gosched_m(G* gp) {
  M* mp = gp->m;
  gp->status.store(Gstatus::runnable, std::memory_order_relaxed);
  mp->curg = nullptr;
  // At the tail of this P's queue (Go uses the global queue; the local tail
  // is as fair within the P, the every-61st-tick global check keeps the
  // global queue served, and it takes no lock).
  runqput(mp->p, gp, false);
  schedule();
}

void print_goroutines() {
  for (G* gp = sched.allgs; gp; gp = gp->alllink) {
    Gstatus s = gp->status.load(std::memory_order_relaxed);
    if (s == Gstatus::dead || s == Gstatus::idle) continue;
    print("goroutine ", gp->goid, " [", s == Gstatus::waiting ? gp->waitreason : status_name(s), "]",
          gp->is_main ? " (main)" : "", "\n");
  }
}

void maindone();

void goexit0(G* gp) {
  M* mp = gp->m;
  gp->status.store(Gstatus::dead, std::memory_order_relaxed);
  mp->curg = nullptr;
  if (mp->p == nullptr) gogo(mp->g0);  // not a scheduler G: back to g0's base
  if (gp->is_main) maindone();
  gp->sched = Gobuf{};
  gp->m = nullptr;
  gp->preempt.store(false, std::memory_order_relaxed);
  gfput(mp->p, gp);
  sched.ngoroutines.fetch_sub(1, std::memory_order_relaxed);  // after its stack is freed
  schedule();
}

// goentry: every scheduler G starts here (gostartcall's fn).
void goentry(void* arg) {
  auto* gp = static_cast<G*>(arg);
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

// ---------------------------------------------------------------------------
// sysmon: retake Ps from blocking calls, flag long-running goroutines, and
// print schedtrace.

constexpr std::int64_t kForcePreemptNs = 10'000'000;

void schedtrace_locked(std::int64_t now, bool detail);

void schedtrace(std::int64_t now) {
  LockGuard l(sched.lock);
  schedtrace_locked(now, sched.scheddetail);
}

// schedtrace_locked: the caller holds sched.lock, or (debug_dump) accepts
// a racy read.
void schedtrace_locked(std::int64_t now, bool detail) {
  print("SCHED ", (now - sched.start_time) / 1000000, "ms: gomaxprocs=", sched.gomaxprocs,
        " idleprocs=", sched.npidle.load(), " threads=", sched.mcount,
        " spinningthreads=", sched.nmspinning.load(), " idlethreads=", sched.nmidle,
        " runqueue=", sched.runqsize.load(), " [");
  for (std::int32_t i = 0; i < sched.gomaxprocs; ++i) {
    P* pp = sched.allp[i];
    std::uint32_t n = pp->runqtail.load() - pp->runqhead.load();
    print(i ? " " : "", n);
  }
  print("]\n");
  if (!detail) return;
  // GORTDEBUG=scheddetail=1: every P, M and G, as Go's scheddetail.
  for (std::int32_t i = 0; i < sched.gomaxprocs; ++i) {
    P* pp = sched.allp[i];
    M* mp = pp->m;
    print("  P", i, ": status=", static_cast<std::uint32_t>(pp->status.load()), " schedtick=", pp->schedtick,
          " syscalltick=", pp->syscalltick.load(), " m=", mp ? mp->id : -1,
          " runqsize=", pp->runqtail.load() - pp->runqhead.load(), " runnext=",
          pp->runnext.load() ? static_cast<std::int64_t>(pp->runnext.load()->goid) : -1, "\n");
  }
  for (M* mp = sched.allm; mp; mp = mp->alllink) {
    bool idle = false;
    for (M* i = sched.midle; i; i = i->schedlink) idle |= i == mp;
    print("  M", mp->id, ": p=", mp->p ? mp->p->id : -1, " curg=", mp->curg ? static_cast<std::int64_t>(mp->curg->goid) : -1,
          " spinning=", mp->spinning ? 1 : 0, " idle=", idle ? 1 : 0, " timed=", mp->timed ? 1 : 0,
          " nextp=", mp->nextp ? mp->nextp->id : -1, " woken=", mp->park.signaled() ? 1 : 0, "\n");
  }
  for (G* gp = sched.allgs; gp; gp = gp->alllink) {
    Gstatus st = gp->status.load(std::memory_order_relaxed);
    if (st == Gstatus::dead || st == Gstatus::idle) continue;
    print("  G", gp->goid, ": status=", status_name(st), " (", gp->waitreason, ") m=",
          gp->m ? gp->m->id : -1, "\n");
  }
  print("  timers: next in ", next_timer() == INT64_MAX ? -1 : (next_timer() - now) / 1000, " us; timed_m=",
        sched.timed_m ? sched.timed_m->id : -1, "\n");
}

bool retake(std::int64_t now) {
  bool acted = false;
  for (std::int32_t i = 0; i < sched.gomaxprocs; ++i) {
    P* pp = sched.allp[i];
    Pstatus s = pp->status.load(std::memory_order_acquire);
    if (s == Pstatus::syscall) {
      std::uint32_t t = pp->syscalltick.load(std::memory_order_relaxed);
      if (pp->sysmon_syscalltick != t) {
        pp->sysmon_syscalltick = t;
        pp->sysmon_syscallwhen = now;
        continue;
      }
      // Leave it if there is nothing for it to do and others are idle.
      if (runqempty(pp) && sched.runqsize.load() == 0 &&
          sched.nmspinning.load() + sched.npidle.load() > 0 && now - pp->sysmon_syscallwhen < 10'000'000)
        continue;
      if (pp->status.compare_exchange_strong(s, Pstatus::idle)) {
        pp->m = nullptr;
        handoffp(pp);
        acted = true;
      }
    } else if (s == Pstatus::running) {
      std::uint32_t t = pp->schedtick;
      if (pp->sysmon_schedtick != t) {
        pp->sysmon_schedtick = t;
        pp->sysmon_schedwhen = now;
      } else if (now - pp->sysmon_schedwhen >= kForcePreemptNs) {
        if (M* mp = pp->m)
          if (G* gp = mp->curg) gp->preempt.store(true, std::memory_order_relaxed);
      }
    }
  }
  return acted;
}

// scavenge: on g0. Idle Ps' stack caches go back to the pools (an idle P
// has no owner, and sched.lock keeps it idle meanwhile), then the heap
// returns what has stayed free for scavenge_delay to the OS. Invariant 3:
// the heap lock is taken here, on g0, never by a goroutine.
void scavenge(std::int64_t now) {
  {
    LockGuard l(sched.lock);
    for (P* pp = sched.pidle; pp; pp = pp->link) stackcache_flush(pp->stackcache);
  }
  stackpool_scavenge(now, sched.scavenge_delay);
  mheap_scavenge(now, sched.scavenge_delay);
}

void sysmon(void*) {
  // sysmon has no P but a g0 of its own: scavenging runs on it.
  adopt_thread();
  std::int64_t delay = 20'000;  // 20 us, doubling to 10 ms while idle
  std::int64_t last_scavenge = os::nanotime();
  int idle = 0;
  std::int64_t last_trace = os::nanotime();
  while (!sched.exiting.load(std::memory_order_acquire)) {
    os::futexsleep(reinterpret_cast<std::uint32_t*>(&sched.sysmon_wake), 0, delay);
    std::int64_t now = os::nanotime();
    bool acted = retake(now);
    if (next_timer() <= now && sched.npidle.load() > 0) {
      wake_timed_m();
      wakep();
    }
    if (now - last_scavenge >= sched.scavenge_delay / 4) {
      scavenge(now);
      last_scavenge = now;
    }
    if (sched.schedtrace_ms > 0 && now - last_trace >= sched.schedtrace_ms * 1000000) {
      schedtrace(now);
      last_trace = now;
    }
    if (acted) {
      idle = 0;
      delay = 20'000;
    } else if (++idle > 50 && delay < 10'000'000) {
      delay *= 2;
    }
    if (sched.schedtrace_ms > 0 && delay > sched.schedtrace_ms * 1000000)
      delay = sched.schedtrace_ms * 1000000;
  }
  G* g0 = getg();
  setg(nullptr);
  delete g0->m;
  delete g0;
  sched.sysmon_done.wakeup();
}

// ---------------------------------------------------------------------------
// Start and end.

void maindone() {
  sched.exiting.store(true, std::memory_order_release);
  // Wake every idle M so it can leave, and sysmon.
  sched.lock.lock();
  M* list = sched.midle;
  sched.midle = nullptr;
  sched.nmidle = 0;
  sched.timed_m = nullptr;
  sched.lock.unlock();
  while (list) {
    M* next = list->schedlink;
    list->park.wakeup();
    list = next;
  }
  sched.sysmon_wake.store(1, std::memory_order_release);
  os::futexwakeup(reinterpret_cast<std::uint32_t*>(&sched.sysmon_wake), 1);
  // Running goroutines: leave at their next safe point.
  for (std::int32_t i = 0; i < sched.gomaxprocs; ++i)
    if (M* mp = sched.allp[i]->m)
      if (G* gp = mp->curg) gp->preempt.store(true, std::memory_order_relaxed);
}

void teardown();

[[noreturn]] void mexit() {
  M* mp = getg()->m;
  if (mp->p) {
    P* pp = mp->p;
    pp->m = nullptr;
    mp->p = nullptr;
  }
  if (mp->is_m0) {
    // sysmon first: until it has stopped it may still start an M (handoffp).
    if (sched.sysmon_on) sched.sysmon_done.sleep();
    // Then every other M; none can start another now (each starts Ms only
    // while running, and each is leaving).
    for (;;) {
      std::uint32_t seen = sched.mexits.load(std::memory_order_acquire);
      sched.lock.lock();
      std::int32_t n = sched.mcount;
      sched.lock.unlock();
      if (n == 1) break;
      os::futexsleep(reinterpret_cast<std::uint32_t*>(&sched.mexits), seen, 1'000'000);
    }
    teardown();
    gogo(mp->g0);  // back into run_main
  }
  // Leave through mstart's base context; after mcount drops, m0 may free
  // this M, so copy what we need first.
  Gobuf base = mp->g0->sched;
  sched.lock.lock();
  --sched.mcount;
  sched.lock.unlock();
  sched.mexits.fetch_add(1, std::memory_order_release);
  os::futexwakeup(reinterpret_cast<std::uint32_t*>(&sched.mexits), 1);
  setg(nullptr);
  gort_gogo(&base);
}

void teardown() {
  for (G* gp = sched.allgs; gp;) {
    G* next = gp->alllink;
    if (gp->stack.hi) stackfree(gp->stack);
    if (gp->fn_obj) {
      // A goroutine that never ran: its function object is destroyed. One
      // abandoned mid-run keeps its object alive to the end, as its frames
      // may point into it; they are freed without unwinding, as in Go.
      if (gp->sched.sp == 0) gp->fn_destroy(gp->fn_obj);
      if (gp->fn_heap) ::operator delete(gp->fn_obj, std::align_val_t(kFnHeapAlign));
    }
    gallocator.free(gp);
    gp = next;
  }
  sched.allgs = nullptr;
  // Every other thread has left the runtime; wait until it has ended too,
  // so that run() returns with no thread of ours alive.
  if (sched.sysmon_thread) os::joinosproc(sched.sysmon_thread);
  // No lock: each thread is past its last use of the runtime, and the M
  // that created it stored the handle before it left (mcount says so).
  for (M* mp = sched.allm; mp; mp = mp->alllink)
    if (!mp->is_m0 && mp->thread) os::joinosproc(mp->thread);
  for (M* mp = sched.allm; mp;) {
    M* next = mp->alllink;
    if (!mp->is_m0) {
      gallocator.free(mp->g0);
      mallocator.free(mp);
    }
    mp = next;
  }
  sched.allm = nullptr;
  for (std::int32_t i = 0; i < sched.gomaxprocs; ++i) {
    stackcache_flush(sched.allp[i]->stackcache);
    delete sched.allp[i];
  }
  stackpool_scavenge(INT64_MAX, 0);  // every all-free stack span back to the heap
  delete[] sched.allp;
  sched.allp = nullptr;
  timers_clear();
}

std::int64_t parse_schedtrace(const char* v) {
  if (v == nullptr) return 0;
  const char* p = std::strstr(v, "schedtrace=");
  if (p == nullptr) return 0;
  return std::atoll(p + std::strlen("schedtrace="));
}

}  // namespace

// ---------------------------------------------------------------------------
// Internal API (sched.hpp).

bool in_goroutine() {
  G* gp = getg();
  return gp != nullptr && gp->m != nullptr && gp->m->p != nullptr && gp != gp->m->g0;
}

void gopark(bool (*unlockf)(G*, void*), void* lock, const char* reason) {
  G* gp = getg();
  if (!in_goroutine()) fatal("gopark: ", reason, " outside a goroutine of gort::run");
  M* mp = gp->m;
  mp->waitunlockf = unlockf;
  mp->waitlock = lock;
  gp->waitreason = reason;
  mcall(&park_m);
}

void gopark_unlock(Lock* l, const char* reason) {
  gopark(
      [](G*, void* p) {
        static_cast<Lock*>(p)->unlock();
        return true;
      },
      l, reason);
}

// wake_for_global: work went on the global queue. From an M with a P, the
// usual wakep. From one without (timers run by the idle M), start an M for
// an idle P outright: a spinning M that is just giving up re-checks the
// local queues, not the global one, so wakep's "someone is spinning" is no
// promise here (Go's injectglist does the same).
void wake_for_global(M* mp) {
  if (mp != nullptr && mp->p != nullptr) {
    wakep();
  } else if (sched.npidle.load(std::memory_order_relaxed) > 0) {
    startm(nullptr, false);
  }
}

void goready(G* gp, bool next) {
  gp->status.store(Gstatus::runnable, std::memory_order_relaxed);
  M* mp = getg()->m;
  if (mp->p != nullptr) {
    runqput(mp->p, gp, next);
    wakep();
    return;
  }
  {
    LockGuard l(sched.lock);
    globrunqput(gp);
  }
  wake_for_global(mp);
}

void goready_global(G* gp) {
  gp->status.store(Gstatus::runnable, std::memory_order_relaxed);
  {
    LockGuard l(sched.lock);
    globrunqput(gp);
  }
  G* cur = getg();
  wake_for_global(cur ? cur->m : nullptr);
}

void gosched() {
  G* gp = getg();
  if (!in_goroutine()) fatal("yield outside a goroutine of gort::run");
  gp->preempt.store(false, std::memory_order_relaxed);
  // Nothing else could run here (no goroutine queued on this P or globally,
  // no timer that might be due): switching to the scheduler would only
  // come straight back.
  P* pp = gp->m->p;
  if (runqempty(pp) && sched.runqsize.load(std::memory_order_relaxed) == 0 && !timers_pending() &&
      !sched.exiting.load(std::memory_order_relaxed))
    return;
  mcall(&gosched_m);
}

void debug_dump() {
  if (sched.allp == nullptr) {
    print("gort: no runtime running\n");
    return;
  }
  print("gort: scheduler state (read without locks)\n");
  schedtrace_locked(os::nanotime(), true);
}

const char* check_allocator_integrity() {
  // sched.lock keeps idle Ps idle (and their caches still); running Ps'
  // caches are read too, so call this when only the caller's P is busy.
  LockGuard l(sched.lock);
  StackCache* caches[1024];
  int n = 0;
  for (std::int32_t i = 0; i < sched.gomaxprocs && n < 1024; ++i) caches[n++] = sched.allp[i]->stackcache;
  return stack_check_integrity(caches, n);
}

// Hooks for time.cpp: a nearer timer was added.
void timers_changed() {
  if (!sched.running.load(std::memory_order_acquire)) return;
  wake_timed_m();
}

}  // namespace gort::rt

// ---------------------------------------------------------------------------
// The public entry points (include/gort/detail.hpp).

namespace gort::detail {

using namespace gort::rt;

int run_main(void (*fn)(void*), void* arg, const Config& cfg) {
  bool expected = false;
  if (!sched.running.compare_exchange_strong(expected, true))
    fatal("gort::run: the runtime is already running");
  int procs = cfg.procs;
  if (procs <= 0) {
    if (const char* v = os::getenv("GORTMAXPROCS")) procs = std::atoi(v);
    if (procs <= 0) procs = os::ncpu();
  }
  if (!cfg.threads && procs != 1) fatal("gort::run: Config::threads = false needs procs = 1");
  if (procs > 1024) procs = 1024;
  sched.threads = cfg.threads;
  sched.stack_size = stack_round(cfg.stack_size ? cfg.stack_size : kDefaultStack);
  sched.scavenge_delay = std::chrono::nanoseconds(cfg.scavenge_delay).count();
  sched.schedtrace_ms = cfg.threads ? parse_schedtrace(os::getenv("GORTDEBUG")) : 0;
  if (const char* d = os::getenv("GORTDEBUG")) sched.scheddetail = std::strstr(d, "scheddetail=1") != nullptr;
  sched.exiting.store(false);
  sched.start_time = os::nanotime();
  sched.gomaxprocs = procs;
  sched.allp = new P*[procs];
  for (int i = 0; i < procs; ++i) {
    sched.allp[i] = new P;
    sched.allp[i]->id = i;
  }
  for (int i = procs - 1; i >= 0; --i) pidleput(sched.allp[i]);

  // The calling thread becomes m0; its previous runtime identity (if it had
  // been adopted) comes back when run returns.
  G* saved_g = getg();
  M* m0 = mallocator.alloc();
  G* g0 = gallocator.alloc();
  mcommoninit(m0, g0);
  m0->is_m0 = true;
  os::current_stack(&g0->stack_lo, &g0->stack_hi);
  sched.m0 = m0;
  sched.mcount = 1;
  m0->alllink = nullptr;
  sched.allm = m0;
  setg(g0);

  G* mg = gallocator.alloc();
  mg->goid = sched.goidgen.fetch_add(1) + 1;
  mg->is_main = true;
  mg->fn_run = fn;
  mg->fn_destroy = [](void*) {};
  mg->fn_obj = arg;
  mg->status = Gstatus::runnable;
  allgadd(mg);
  sched.ngoroutines.store(1, std::memory_order_relaxed);

  if (cfg.threads) {
    sched.sysmon_on = true;
    sched.sysmon_done.clear();
    sched.sysmon_wake.store(0);
    sched.sysmon_thread = os::newosproc(&sysmon, nullptr, 256 * 1024);
  } else {
    sched.sysmon_on = false;
  }

  if (gort_gosave(&g0->sched) == 0) {
    sched.lock.lock();
    P* pp = pidleget();
    sched.lock.unlock();
    acquirep(pp);
    runqput(pp, mg, false);
    schedule();
  }
  // Back from mexit on m0: everything else has stopped and been freed.
  gallocator.free(g0);
  mallocator.free(m0);
  sched.~Sched();
  new (&sched) Sched();
  setg(saved_g);
  return 0;
}

void newproc(void (*run)(void*), const Ops* ops, void* fobj) {
  G* cur = getg();
  if (!in_goroutine()) fatal("gort::go called outside a goroutine of gort::run");
  P* pp = cur->m->p;
  G* gp = gfget(pp);
  if (gp == nullptr) {
    gp = gallocator.alloc();
    allgadd(gp);
  }
  sched.ngoroutines.fetch_add(1, std::memory_order_relaxed);
  gp->goid = sched.goidgen.fetch_add(1, std::memory_order_relaxed) + 1;
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
  gp->waitreason = "";
  gp->sched = Gobuf{};
  gp->status.store(Gstatus::runnable, std::memory_order_relaxed);
  runqput(pp, gp, true);
  wakep();
}

void yield() { gosched(); }

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
  gp->status.store(Gstatus::runnable, std::memory_order_relaxed);
  mp->curg = nullptr;
  sched.lock.lock();
  P* pp = sched.exiting.load() ? nullptr : pidleget();
  if (pp == nullptr) globrunqput(gp);
  sched.lock.unlock();
  if (pp != nullptr) {
    acquirep(pp);
    execute(gp, false);
  }
  stopm();
  schedule();
}
}  // namespace

void exitsyscall() {
  G* gp = getg();
  M* mp = gp->m;
  P* pp = mp->oldp;
  mp->oldp = nullptr;
  Pstatus s = Pstatus::syscall;
  if (!sched.exiting.load(std::memory_order_relaxed) &&
      pp->status.compare_exchange_strong(s, Pstatus::running, std::memory_order_acq_rel)) {
    mp->p = pp;
    pp->m = mp;
    gp->status.store(Gstatus::running, std::memory_order_relaxed);
    return;
  }
  // The P was handed off: find another, or queue this G and sleep.
  mcall(&exitsyscall0);
  checkpreempt();
}

void on_system_stack(void (*fn)(void*), void* arg) {
  rt::systemstack([&] { fn(arg); });
}

std::int64_t nanotime() { return os::nanotime(); }

}  // namespace gort::detail

namespace gort {

MemStats mem_stats() {
  using namespace gort::rt;
  HeapStats h = heap_stats();
  StackStats st = stack_stats();
  MemStats m;
  m.heap_reserved = h.reserved;
  m.heap_inuse = h.inuse;
  m.heap_released = h.released;
  m.stack_inuse = static_cast<std::size_t>(st.inuse_bytes);
  m.goroutines = static_cast<std::size_t>(sched.ngoroutines.load(std::memory_order_relaxed));
  m.resident = os::resident_bytes();
  return m;
}

}  // namespace gort

namespace gort::detail {

}  // namespace gort::detail

extern "C" void gort_goexit1() {
  gort::rt::mcall(&gort::rt::goexit0);
  gort::rt::fatal("goexit: dead goroutine resumed");
}

extern "C" void gort_mcall_returned() {
  gort::rt::fatal("mcall: function returned; it must end in gogo");
}
