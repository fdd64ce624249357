// cpuprof.cpp: the CPU profiler (Go's cpuprof.go and the SIGPROF half of
// signal_unix.go).
//
// A timer per thread (os::profile_timer_start, on the thread's own CPU
// clock) sends SIGPROF every 1/hz of that thread's CPU time. The handler
// (signal.cpp -> cpuprof_sample) walks the interrupted stack with gort's
// own unwinder (goroutine, g0 or gsignal, across morestack segments),
// takes the goroutine's label set, and puts both in a lock-free ring: no
// allocation, no lock, nothing that can deadlock against the code it
// interrupted (the seed: a profiling signal that landed while the
// scavenger held the heap lock; here the handler takes no lock at all, and
// the heap lock is only ever held on g0, invariant 3). A goroutine of the
// runtime drains the ring every 50 ms and aggregates; stop_cpu (or the end
// of the run) drains the rest and writes profile.proto, gzipped
// (pprof.cpp). Samples that found the ring full are counted and reported
// in the profile, as pprof does with Go's lost samples.
//
// The ring: a bounded multi-producer, single-consumer queue of fixed cells
// (Vyukov's): a producer claims a cell by CAS on the 32-bit write index
// (32 bits: 64-bit atomics are a lock in libatomic on some CPUs, and a
// lock in a handler is what this avoids), writes it and publishes it by
// its sequence number. A full ring drops the sample.
#include "cpuprof.hpp"

#include <chrono>
#include <cstring>
#include <string>
#include <unordered_map>

#include "gort/gort.hpp"
#include "gort/profile.hpp"
#include "labels.hpp"
#include "os_defs.hpp"
#include "sched.hpp"
#include "signal.hpp"
#include "unwind.hpp"

namespace gort::rt {

namespace {

constexpr int kProfileFrames = 64;
constexpr std::uint32_t kCells = 4096;  // a power of two

struct Cell {
  std::atomic<std::uint32_t> seq{0};
  std::uint32_t n = 0;
  const LabelSet* labels = nullptr;
  std::uintptr_t pcs[kProfileFrames];
};

struct Key {
  std::vector<std::uintptr_t> pcs;
  const LabelSet* labels;
  bool operator==(const Key& o) const { return labels == o.labels && pcs == o.pcs; }
};
struct KeyHash {
  std::size_t operator()(const Key& k) const {
    std::size_t h = reinterpret_cast<std::uintptr_t>(k.labels);
    for (std::uintptr_t pc : k.pcs) h = h * 1000003u ^ pc;
    return h;
  }
};

struct Profiler {
  Lock lock;  // start/stop/drain; never in a handler
  std::atomic<bool> on{false};
  std::atomic<std::int32_t> inflight{0};  // handlers between "on?" and publishing
  Cell* cells = nullptr;
  std::atomic<std::uint32_t> head{0};  // next cell to claim
  std::uint32_t tail = 0;              // next cell to read (the drainer)
  // Word-sized: the handler adds to it, and a 64-bit atomic is a lock in
  // libatomic where the CPU has no 64-bit atomics (MIPS32, ARMv5).
  std::atomic<std::uintptr_t> lost{0};
  std::unordered_map<Key, std::int64_t, KeyHash> counts;
  std::FILE* file = nullptr;
  int hz = 100;
  std::int64_t start_ns = 0;       // nanotime at start (the duration)
  std::int64_t start_unix_ns = 0;  // wall clock at start (the profile's time)
  Sched* run = nullptr;
  std::atomic<std::uint32_t> drainer_gen{0};  // bumped to stop the drainer
  bool sigprof_installed = false;
};
Profiler prof;

Lock timer_lock;  // M::proftimer, across minit/unminit and start/stop

void timers_for_run(Sched& s, bool start) {
  LockGuard t(timer_lock);
  LockGuard l(s.lock);
  for (M* mp = s.allm; mp; mp = mp->alllink) {
    if (start) {
      if (mp->proftimer == nullptr && mp->clock.valid && !mp->exited)
        mp->proftimer = os::profile_timer_start(mp->clock, prof.hz);
    } else if (mp->proftimer != nullptr) {
      os::profile_timer_stop(mp->proftimer);
      mp->proftimer = nullptr;
    }
  }
}

// drain: move published cells into counts. prof.lock held.
void drain() {
  race::RuntimeOwn own;  // the profile's tables: the runtime's, under prof.lock
  if (prof.cells == nullptr) return;
  for (;;) {
    Cell& c = prof.cells[prof.tail & (kCells - 1)];
    if (c.seq.load(std::memory_order_acquire) != prof.tail + 1) return;  // not published yet
    Key k{std::vector<std::uintptr_t>(c.pcs, c.pcs + c.n), c.labels};
    ++prof.counts[k];
    c.seq.store(prof.tail + kCells, std::memory_order_release);  // free for the next lap
    ++prof.tail;
  }
}

// finish: stop sampling, drain, write, forget. prof.lock held.
void finish_locked() {
  race::RuntimeOwn own;  // see drain
  prof.on.store(false, std::memory_order_release);
  if (prof.run != nullptr) timers_for_run(*prof.run, false);
  if (!os::profile_per_thread()) os::profile_process_stop();
  // Handlers that saw "on" before it went off publish soon.
  while (prof.inflight.load(std::memory_order_acquire) != 0) os::osyield();
  drain();
  std::vector<ProfSample> samples;
  samples.reserve(prof.counts.size());
  for (auto& [k, n] : prof.counts) samples.push_back(ProfSample{k.pcs, k.labels, n});
  std::int64_t duration = os::nanotime() - prof.start_ns;
  if (!write_pprof(prof.file, samples, prof.hz, prof.start_unix_ns, duration, static_cast<std::int64_t>(prof.lost.load())))
    print("gort: profile: writing the profile failed\n");
  std::fclose(prof.file);
  prof.file = nullptr;
  prof.counts.clear();
  delete[] prof.cells;
  prof.cells = nullptr;
  prof.run = nullptr;
  prof.drainer_gen.fetch_add(1, std::memory_order_release);
}

// The drainer is a goroutine on the run's stack size (4 KiB at the
// smallest): its hash-table work runs on the system stack, as do stop's
// and start's (cpuprof_start, cpuprof_stop), whose file writing and timer
// set-up are libc calls that a 4 KiB stack does not hold (write_pprof
// overflowed main's, seen with Config::stack_size 4096).
void drainer(std::uint32_t gen) {
  bool more = true;
  while (more && prof.drainer_gen.load(std::memory_order_acquire) == gen) {
    sleep_for(std::chrono::milliseconds(50));
    systemstack([&] {
      LockGuard l(prof.lock);
      if (prof.drainer_gen.load(std::memory_order_acquire) != gen) {
        more = false;
        return;
      }
      drain();
    });
  }
}

}  // namespace

bool cpuprof_active() { return prof.on.load(std::memory_order_acquire); }

void cpuprof_minit(M* mp) {
  mp->clock = os::thread_clock();
  if (!prof.on.load(std::memory_order_acquire) || !os::profile_per_thread()) return;
  LockGuard t(timer_lock);
  if (prof.on.load(std::memory_order_acquire) && mp->proftimer == nullptr)
    mp->proftimer = os::profile_timer_start(mp->clock, prof.hz);
}

void cpuprof_unminit(M* mp) {
  if (mp->proftimer == nullptr) return;
  LockGuard t(timer_lock);
  os::profile_timer_stop(mp->proftimer);
  mp->proftimer = nullptr;
}

void cpuprof_sample(const os::SigInfo& si, M* mp, G* gp) {
  // In a signal handler: no allocation, no lock.
  prof.inflight.fetch_add(1, std::memory_order_acq_rel);
  if (!prof.on.load(std::memory_order_acquire) || prof.cells == nullptr) {
    prof.inflight.fetch_sub(1, std::memory_order_release);
    return;
  }
  std::uint32_t pos = prof.head.load(std::memory_order_relaxed);
  Cell* c = nullptr;
  for (;;) {
    c = &prof.cells[pos & (kCells - 1)];
    auto dif = static_cast<std::int32_t>(c->seq.load(std::memory_order_acquire) - pos);
    if (dif == 0) {
      if (prof.head.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) break;
    } else if (dif < 0) {
      prof.lost.fetch_add(1, std::memory_order_relaxed);  // full
      prof.inflight.fetch_sub(1, std::memory_order_release);
      return;
    } else {
      pos = prof.head.load(std::memory_order_relaxed);
    }
  }
  UnwindCursor u;
  unwind_from_signal(&u, si);
  if (gp != nullptr) add_stack_ranges(&u, gp);
  add_stack_ranges(&u, mp->g0);
  if (mp->gsignal) add_stack_ranges(&u, mp->gsignal);
  std::uint32_t n = 0;
  do {
    // The leaf is the interrupted instruction; a caller's pc is a return
    // address: record the call itself (pprof symbolizes the address given).
    c->pcs[n++] = u.exact ? u.pc : u.pc - 1;
  } while (n < kProfileFrames && unwind_step(&u));
  c->n = n;
  c->labels = gp != nullptr && gp != mp->g0 && gp != mp->gsignal ? __atomic_load_n(&gp->labels, __ATOMIC_RELAXED)
                                                                  : nullptr;
  c->seq.store(pos + 1, std::memory_order_release);
  prof.inflight.fetch_sub(1, std::memory_order_release);
}

void cpuprof_finish(Sched& s) {
  LockGuard l(prof.lock);
  if (prof.file != nullptr && prof.run == &s) finish_locked();
}

// Runs at the top of main's goroutine, whose stack may be the smallest
// a Config allows (4 KiB): no path buffer in this frame (a 4 KiB array here
// overflowed it, caught by SelectOnSmallestStack); the path goes to the heap
// only when the variable is set.
void cpuprof_env_start() {
  const char* d = os::getenv("GORTDEBUG");
  if (d == nullptr) return;
  const char* p = std::strstr(d, "cpuprofile=");
  if (p == nullptr) return;
  p += std::strlen("cpuprofile=");
  std::size_t n = 0;
  while (p[n] && p[n] != ',') ++n;
  if (n == 0) return;
  std::string path(p, n);
  ::gort::detail::cpuprof_start(path.c_str(), 100);
}

}  // namespace gort::rt

namespace gort::detail {

using namespace gort::rt;

bool cpuprof_start(const char* path, int hz) {
  if (!in_goroutine()) fatal("gort::profile::start_cpu called outside a goroutine of gort::run");
  if (hz <= 0 || hz > 10000) fatal("gort::profile::start_cpu: hz ", hz, " is out of range (1..10000)");
  if (path == nullptr) fatal("gort::profile::start_cpu: path is null");
  Sched& s = *getg()->m->sched;
  // Open before taking prof.lock: a runtime Lock is never held across
  // anything that may park (blocking() may resume on another M).
  std::FILE* f = blocking([path] {
    race::RuntimeOwn own;  // the FILE is the profiler's (see drain)
    return std::fopen(path, "wb");
  });
  if (f == nullptr) {
    print("gort: profile: cannot open ", path, " for writing\n");
    return false;
  }
  std::uint32_t gen = 0;
  bool started = false;
  systemstack([&] {
    race::RuntimeOwn own;  // see drain
    LockGuard l(prof.lock);
    if (prof.file != nullptr) {
      std::fclose(f);
      print("gort: profile: a CPU profile is already running\n");
      return;
    }
    started = true;
    if (!prof.sigprof_installed) {
      // Kept for good: a SIGPROF still in flight after stop_cpu must not
      // take its default action (ending the process).
      prof.sigprof_installed = os::setsig(os::sig::kPROF, &sighandler);
    }
    prof.file = f;
    prof.hz = hz;
    prof.cells = new Cell[kCells];
    for (std::uint32_t i = 0; i < kCells; ++i) prof.cells[i].seq.store(i, std::memory_order_relaxed);
    prof.head.store(0, std::memory_order_relaxed);
    prof.tail = 0;
    prof.lost.store(0);
    prof.start_ns = os::nanotime();
    prof.start_unix_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    prof.run = &s;
    gen = prof.drainer_gen.load(std::memory_order_acquire);
    prof.on.store(true, std::memory_order_release);
    if (os::profile_per_thread())
      timers_for_run(s, true);
    else
      os::profile_process_start(hz);
  });
  if (!started) return false;
  go([gen] { drainer(gen); });
  return true;
}

void cpuprof_stop() {
  if (!in_goroutine()) fatal("gort::profile::stop_cpu called outside a goroutine of gort::run");
  systemstack([] {
    LockGuard l(prof.lock);
    if (prof.file != nullptr) finish_locked();
  });
}

}  // namespace gort::detail
