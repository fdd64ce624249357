// sysmon.cpp: the system monitor (Go's sysmon): a thread of its own, with no
// P, that retakes Ps from blocking calls, asks long-running goroutines to
// yield, runs the scavenger, and prints schedtrace. Also the debug dump.
#include "os.hpp"
#include "sched.hpp"
#include "signal.hpp"

namespace gort::rt {

namespace {

constexpr std::int64_t kForcePreemptNs = 10'000'000;

bool retake(Sched& s, std::int64_t now) {
  bool acted = false;
  for (std::int32_t i = 0; i < s.gomaxprocs; ++i) {
    P* pp = s.allp[i];
    Pstatus st = pp->status.load(std::memory_order_acquire);
    if (st == Pstatus::syscall) {
      std::uint32_t t = pp->syscalltick.load(std::memory_order_relaxed);
      if (pp->sysmon_syscalltick != t) {
        pp->sysmon_syscalltick = t;
        pp->sysmon_syscallwhen = now;
        continue;
      }
      // Leave it if there is nothing for it to do and others are idle.
      if (runqempty(pp) && s.runqsize.load() == 0 && s.nmspinning.load() + s.npidle.load() > 0 &&
          now - pp->sysmon_syscallwhen < 10'000'000)
        continue;
      if (pp->status.compare_exchange_strong(st, Pstatus::idle)) {
        pp->m = nullptr;
        handoffp(s, pp);
        acted = true;
      }
    } else if (st == Pstatus::running) {
      std::uint32_t t = pp->schedtick;
      if (pp->sysmon_schedtick != t) {
        pp->sysmon_schedtick = t;
        pp->sysmon_schedwhen = now;
      } else if (now - pp->sysmon_schedwhen >= kForcePreemptNs) {
        if (M* mp = racy(pp->m))
          if (G* gp = racy(mp->curg)) gp->preempt.store(true, std::memory_order_relaxed);
        // Work queued behind a goroutine that has run for 10 ms, a P idle
        // and no M looking for work: start one to steal it. The wakeups
        // at every ready (wakep) are a heuristic by design: an M that
        // gives up its P without spinning does not re-check other Ps'
        // queues, so a G readied while every M was busy or about to sleep
        // can wait for its own P. Go repairs that by preempting the
        // running goroutine asynchronously (a signal); gort preempts only
        // at safe points, so a goroutine that never reaches one would
        // starve the queue behind it for good (Runq.ReadiedGoroutineRuns-
        // WhileItsReadierSpins saw it under QEMU, 1 round in a few
        // hundred). Rejected: a re-check by every M going idle (a scan of
        // every P on each sleep, which Go avoids for the same reason).
        if (!runqempty(pp) && s.npidle.load(std::memory_order_seq_cst) > 0 &&
            s.nmspinning.load(std::memory_order_seq_cst) == 0)
          wakep(s);
      }
    }
  }
  return acted;
}

}  // namespace

// scavenge: on g0. Idle Ps' stack caches go back to the pools (an idle P
// has no owner, and sched.lock keeps it idle meanwhile), then the heap
// returns what has stayed free for scavenge_delay to the OS. Invariant 3:
// the heap lock is taken here, on g0, never by a goroutine.
void scavenge(Sched& s, std::int64_t now) {
  {
    LockGuard l(s.lock);
    for (P* pp = s.pidle; pp; pp = pp->link) stackcache_flush(pp->stackcache);
  }
  stackpool_scavenge(now, s.scavenge_delay);
  mheap_scavenge(now, s.scavenge_delay);
}

void sysmon(void* arg) {
  Sched& s = *static_cast<Sched*>(arg);
  // sysmon has no P but a g0 of its own: scavenging runs on it.
  G* g0 = adopt_thread();
  g0->m->sched = &s;
  minit(g0->m);
  std::int64_t delay = 20'000;  // 20 us, doubling to 10 ms while idle
  std::int64_t last_scavenge = os::nanotime();
  int idle = 0;
  std::int64_t last_trace = os::nanotime();
  while (!s.exiting.load(std::memory_order_acquire)) {
    os::futexsleep(reinterpret_cast<std::uint32_t*>(&s.sysmon_wake), 0, delay);
    std::int64_t now = os::nanotime();
    bool acted = retake(s, now);
    if (next_timer(s.timers) <= now && s.npidle.load() > 0) {
      wake_timed_m(s);
      wakep(s);
    }
    if (now - last_scavenge >= s.scavenge_delay / 4) {
      scavenge(s, now);
      last_scavenge = now;
    }
    if (s.schedtrace_ms > 0 && now - last_trace >= s.schedtrace_ms * 1000000) {
      LockGuard l(s.lock);
      schedtrace(s, now, s.scheddetail);
      last_trace = now;
    }
    if (acted) {
      idle = 0;
      delay = 20'000;
    } else if (++idle > 50 && delay < 10'000'000) {
      delay *= 2;
    }
    if (s.schedtrace_ms > 0 && delay > s.schedtrace_ms * 1000000) delay = s.schedtrace_ms * 1000000;
  }
  unminit(g0->m);
  setg(nullptr);
  if (g0->m->gsignal) gallocator.free(g0->m->gsignal);
  delete g0->m;
  delete g0;
  s.sysmon_done.wakeup();
}

// schedtrace: the caller holds sched.lock, or (debug_dump) accepts a racy
// read: every shared field is loaded once (racy), lists are walked with a
// bound, so a torn picture never crashes or loops.
void schedtrace(Sched& s, std::int64_t now, bool detail) {
  print("SCHED ", (now - s.start_time) / 1000000, "ms: gomaxprocs=", s.gomaxprocs,
        " idleprocs=", s.npidle.load(), " threads=", racy(s.mcount),
        " spinningthreads=", s.nmspinning.load(), " idlethreads=", racy(s.nmidle),
        " runqueue=", s.runqsize.load(), " [");
  for (std::int32_t i = 0; i < s.gomaxprocs; ++i) {
    P* pp = s.allp[i];
    std::uint32_t n = runqlen(pp);
    print(i ? " " : "", n);
  }
  print("]\n");
  if (!detail) return;
  // GORTDEBUG=scheddetail=1: every P, M and G, as Go's scheddetail.
  constexpr int kMaxWalk = 1 << 20;
  for (std::int32_t i = 0; i < s.gomaxprocs; ++i) {
    P* pp = s.allp[i];
    M* mp = racy(pp->m);
    G* next = pp->runnext.load();
    print("  P", i, ": status=", static_cast<std::uint32_t>(pp->status.load()), " schedtick=", racy(pp->schedtick),
          " syscalltick=", pp->syscalltick.load(), " m=", mp ? mp->id : -1,
          " runqsize=", runqlen(pp), " runnext=",
          next ? static_cast<std::int64_t>(racy(next->goid)) : -1, "\n");
  }
  int walked = 0;
  for (M* mp = racy(s.allm); mp && walked < kMaxWalk; mp = racy(mp->alllink), ++walked) {
    bool idle = false;
    int w = 0;
    for (M* i = racy(s.midle); i && w < kMaxWalk; i = racy(i->schedlink), ++w) idle |= i == mp;
    P* p = racy(mp->p);
    G* curg = racy(mp->curg);
    P* nextp = racy(mp->nextp);
    print("  M", mp->id, ": p=", p ? p->id : -1, " curg=", curg ? static_cast<std::int64_t>(racy(curg->goid)) : -1,
          " spinning=", racy(mp->spinning) ? 1 : 0, " idle=", idle ? 1 : 0, " timed=", racy(mp->timed) ? 1 : 0,
          " nextp=", nextp ? nextp->id : -1, " woken=", mp->park.signaled() ? 1 : 0, "\n");
  }
  walked = 0;
  for (G* gp = racy(s.allgs); gp && walked < kMaxWalk; gp = racy(gp->alllink), ++walked) {
    Gstatus st = gp->status.load(std::memory_order_relaxed);
    if (st == Gstatus::dead || st == Gstatus::idle) continue;
    M* m = racy(gp->m);
    print("  G", racy(gp->goid), ": status=", status_name(st), " (", racy(gp->waitreason), ") m=", m ? m->id : -1,
          "\n");
  }
  std::int64_t nt = next_timer(s.timers);
  M* tm = racy(s.timed_m);
  print("  timers: next in ", nt == INT64_MAX ? -1 : (nt - now) / 1000, " us; timed_m=", tm ? tm->id : -1, "\n");
}

void debug_dump() {
  Sched* s = current_sched();
  if (s == nullptr) {
    print("gort: no runtime running\n");
    return;
  }
  print("gort: scheduler state (read without locks)\n");
  schedtrace(*s, os::nanotime(), true);
}

}  // namespace gort::rt
