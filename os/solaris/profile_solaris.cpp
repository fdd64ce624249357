// profile_solaris.cpp: the CPU profiler's timers and mapping table for
// gort's solaris port (core/os.hpp, CPU profiling).
//
// Timers: illumos' ITIMER_PROF is a per-LWP timer. setitimer(2) arms the
// calling LWP's, which counts that LWP's user and system time and sends
// SIGPROF to that LWP (getitimer(2); the kernel keeps it in the LWP,
// lwp_timer[ITIMER_PROF], and the clock tick charges the LWP on the CPU).
// That is what Linux gets from timer_create with SIGEV_THREAD_ID, with one
// difference: only the LWP itself can arm its timer, while core starts a
// profile's timers from one thread for every M (core/cpuprof.cpp,
// timers_for_run). So profile_timer_start for another LWP records the rate
// wanted for it and kicks it with _lwp_kill(SIGPROF); that LWP's SIGPROF
// handler (on_sigprof, which signal_solaris.cpp calls before core's) sees a
// kick (si_code SI_LWP), arms or disarms its own timer to match, and
// swallows the kick (it is no CPU-time sample). On its own LWP (minit,
// unminit) profile_timer_start and profile_timer_stop set the timer at
// once. A tick that finds no request for its LWP disarms the timer, so a
// stop whose request was already reused still ends the ticks.
//
// Rejected:
//   - timer_create(CLOCK_THREAD_CPUTIME_ID): illumos reads that clock but
//     refuses timers on it (EINVAL: uts/common/os/clock_thread.c).
//   - One setitimer for the process, as Go does (signal_unix.go,
//     setProcessCPUProfilerTimer): on illumos it arms the one LWP that
//     started the profile, and no other thread is ever sampled.
//   - ITIMER_REALPROF: it samples every LWP on a real-time clock, sleeping
//     ones too (their SIGPROF comes when they wake): a wall-clock profile;
//     and it cannot be used with ITIMER_PROF.
//
// The requests: a list of records, pushed with a CAS and never freed (a
// record is reused once its timer is stopped), so that a handler walks it
// with plain atomic loads: no lock, no allocation.
#include <atomic>

#include "defs_solaris.hpp"
#include "fatal.hpp"
#include "os.hpp"
#include "profile_solaris.hpp"

namespace gort::os {

using namespace sol;

namespace {

struct Request {
  std::atomic<unsigned> lwp{0};  // 0: free
  std::atomic<int> hz{0};        // the rate wanted; 0: none
  Request* next = nullptr;       // fixed before the record is published
};
std::atomic<Request*> g_requests{nullptr};

// claim: a free record for lwp, or a new one. Not in a handler.
Request* claim(unsigned lwp) {
  for (Request* r = g_requests.load(std::memory_order_acquire); r != nullptr; r = r->next) {
    unsigned free = 0;
    if (r->lwp.compare_exchange_strong(free, lwp, std::memory_order_acq_rel)) return r;
  }
  auto* r = new Request;
  r->lwp.store(lwp, std::memory_order_relaxed);
  Request* head = g_requests.load(std::memory_order_relaxed);
  do {
    r->next = head;
  } while (!g_requests.compare_exchange_weak(head, r, std::memory_order_release, std::memory_order_relaxed));
  return r;
}

// wanted: the rate requested for lwp, 0 if none. Async-signal-safe.
int wanted(unsigned lwp) {
  for (Request* r = g_requests.load(std::memory_order_acquire); r != nullptr; r = r->next)
    if (r->lwp.load(std::memory_order_acquire) == lwp) return r->hz.load(std::memory_order_acquire);
  return 0;
}

// arm: the calling LWP's ITIMER_PROF at hz (0: off). setitimer is a system
// call: async-signal-safe.
void arm(int hz) {
  Itimerval it{};
  if (hz > 0) {
    it.it_interval.tv_usec = hz >= 1000000 ? 1 : 1000000 / hz;
    it.it_value = it.it_interval;
  }
  sys_setitimer(kITIMER_PROF, &it, nullptr);
}

}  // namespace

ThreadClock thread_clock() {
  // The LWP id is all a timer needs here: each LWP arms its own.
  ThreadClock t;
  t.tid = static_cast<long>(sys_lwp_self());
  t.valid = true;
  return t;
}

bool profile_per_thread() { return true; }

void* profile_timer_start(const ThreadClock& t, int hz) {
  if (!t.valid || hz <= 0) return nullptr;
  auto lwp = static_cast<unsigned>(t.tid);
  Request* r = claim(lwp);
  r->hz.store(hz, std::memory_order_release);
  if (lwp == sys_lwp_self()) {
    arm(hz);
  } else if (sys_lwp_kill(lwp, kSIGPROF) != 0) {
    // ESRCH: the LWP is gone.
    r->hz.store(0, std::memory_order_relaxed);
    r->lwp.store(0, std::memory_order_release);
    return nullptr;
  }
  return r;
}

void profile_timer_stop(void* timer) {
  auto* r = static_cast<Request*>(timer);
  if (r == nullptr) return;
  unsigned lwp = r->lwp.load(std::memory_order_acquire);
  r->hz.store(0, std::memory_order_release);
  if (lwp == sys_lwp_self())
    arm(0);
  else
    sys_lwp_kill(lwp, kSIGPROF);  // ESRCH: gone, and its timer with it
  r->lwp.store(0, std::memory_order_release);
}

// The process-wide hooks: illumos has no process-wide CPU-time timer, and
// core uses the per-thread ones here (profile_per_thread). The closest is
// the calling LWP's timer.
void profile_process_start(int hz) { arm(hz); }
void profile_process_stop() { arm(0); }

namespace sol {

bool on_sigprof(const Siginfo* info) {
  bool kick = info != nullptr && info->si_code == kSI_LWP;
  int hz = wanted(sys_lwp_self());
  if (kick || hz == 0) arm(hz);
  return kick;
}

}  // namespace sol

namespace {

struct MapWalk {
  void (*fn)(const Mapping&, void*);
  void* arg;
  bool first = true;
};

int each_object(DlPhdrInfo* info, std::size_t, void* data) {
  auto* w = static_cast<MapWalk*>(data);
  // The program comes first (the base link-map list starts with it); its
  // name as the runtime linker knows it may be relative: getexecname(3C)
  // is the path it was run by.
  const char* path = w->first ? sys_getexecname() : info->dlpi_name;
  w->first = false;
  if (path == nullptr || path[0] == '\0') return 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const Phdr64& p = info->dlpi_phdr[i];
    if (p.p_type != kPT_LOAD || (p.p_flags & kPF_X) == 0 || p.p_memsz == 0) continue;
    Mapping m;
    m.start = info->dlpi_addr + static_cast<std::uintptr_t>(p.p_vaddr);
    m.limit = m.start + static_cast<std::uintptr_t>(p.p_memsz);
    m.offset = static_cast<std::uintptr_t>(p.p_offset);
    m.path = path;
    w->fn(m, w->arg);
  }
  return 0;
}

}  // namespace

void for_each_mapping(void (*fn)(const Mapping& m, void* arg), void* arg) {
  // The runtime linker's objects and their executable PT_LOAD segments
  // (/proc/self/map has no paths; /proc/self/path/ has them as links).
  MapWalk w{fn, arg};
  sys_dl_iterate_phdr(&each_object, &w);
}

}  // namespace gort::os
