// proc.cpp: the current G, threads' g0s, and what happens when a G's
// function returns.
//
// Until the scheduler exists (issue #3), a finished G hands the thread back
// to its g0 base context: whoever saved g0->sched (a test harness that ran
// the G) resumes. The scheduler replaces that with schedule().
#include "os.hpp"
#include "runtime.hpp"

namespace gort::rt {

namespace {
thread_local G* tls_g = nullptr;
std::int64_t next_mid = 0;
}  // namespace

__attribute__((noinline, noipa)) G* getg() noexcept { return tls_g; }
__attribute__((noinline, noipa)) void setg(G* gp) noexcept { tls_g = gp; }

G* adopt_thread() {
  if (G* gp = getg()) return gp->m->g0;
  auto* mp = new M;
  auto* g0 = new G;
  mp->id = __atomic_fetch_add(&next_mid, 1, __ATOMIC_RELAXED);
  mp->g0 = g0;
  g0->m = mp;
  g0->status = Gstatus::running;
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

namespace {
[[noreturn]] void goexit0(G* gp) {
  gp->status = Gstatus::dead;
  gogo(gp->m->g0);
}
}  // namespace

}  // namespace gort::rt

extern "C" void gort_goexit1() {
  gort::rt::mcall([](gort::rt::G* gp) { gort::rt::goexit0(gp); });
  gort::rt::fatal("goexit: dead goroutine resumed");
}

extern "C" void gort_mcall_returned() {
  gort::rt::fatal("mcall: function returned; it must end in gogo");
}
