// signal.cpp: signal handling (Go's signal_unix.go): per-M signal stacks,
// the one handler, crash reports.
//
// Signal stacks. Every M has gsignal, a G whose stack is the thread's
// alternate signal stack (minit). If the thread already had one (installed
// by foreign code), gsignal adopts it and minit remembers the stack_t it
// found; unminit puts back exactly that when the M leaves the thread. The
// bookkeeping is plain stores into gsignal's bounds and the OS struct: no
// allocation, no lock, no call but sigaltstack itself (a foreign thread's
// signal, #9's needm, may do it inside a handler).
//
// The handler (sighandler) is installed with SA_ONSTACK | SA_SIGINFO |
// SA_RESTART for the synchronous faults (os::sig::kSEGV, os::sig::kBUS, os::sig::kFPE, os::sig::kILL,
// os::sig::kTRAP), for SIGQUIT when nothing else handled it before gort, and for
// the signals a program asks for with gort::signal::notify. It runs on
// gsignal with every signal blocked, takes no lock, never allocates, and
// dispatches:
//   - a fault in the guard below a goroutine's stack: "stack overflow",
//     then that goroutine's traceback; exit status 2;
//   - another synchronous fault: if a handler was installed before gort's,
//     it gets the signal (a JIT or a sanitizer may expect its own faults);
//     otherwise "unexpected signal", the traceback of the faulting code and
//     a line for every other goroutine; exit status 2;
//   - SIGQUIT: every goroutine's traceback, exit status 2 (Go's);
//   - a signal a program asked for: recorded for gort::signal's delivery
//     goroutine (sigqueue.cpp);
//   - anything else: the handler installed before gort's, or the default
//     action.
// Which G was interrupted: the thread-local current G may be stale here
// (the handler can land between setg and the switch of sp in gogo), so
// sigfetchg finds it from sp and the M's known stacks, as Go's sigFetchG.
#include <cerrno>
#include <cstring>

#include "os_defs.hpp"
#include "cpuprof.hpp"
#include "sched.hpp"
#include "signal.hpp"
#include "unwind.hpp"

namespace gort::rt {

namespace {

constexpr std::size_t kSigStack = 32 * 1024;  // gsignal's stack, as Go's

bool g_initsig_done = false;
bool g_own_sigquit = false;
Traceback g_traceback = Traceback::single;

std::atomic<std::uintptr_t> g_last_handler_sp{0};
std::atomic<std::int64_t> g_sigstacks{0};  // gsignal stacks from stackalloc, live
// Depth of gort's handler on this thread (tests' malloc check). Initial-exec
// TLS: no __tls_get_addr (which may allocate) in a handler.
__attribute__((tls_model("initial-exec"))) thread_local int tls_in_handler = 0;

struct InHandler {
  InHandler() { ++tls_in_handler; }
  ~InHandler() { --tls_in_handler; }
};

bool within(const G* gp, std::uintptr_t sp) { return gp != nullptr && sp >= gp->stack_lo && sp < gp->stack_hi; }

// sigfetchg: the G whose code the signal interrupted, found from sp (see
// the top of this file). Async-signal-safe.
G* sigfetchg(M* mp, G* tlsg, std::uintptr_t sp) {
  if (within(mp->gsignal, sp)) return mp->gsignal;
  if (within(mp->curg, sp)) return mp->curg;
  if (within(tlsg, sp)) return tlsg;
  if (within(mp->g0, sp)) return mp->g0;
  // A solo P's direct switch (solo.cpp): curg and the thread's G are the
  // next goroutine already, sp still on the one being left.
  if (within(mp->solo_prev, sp)) return mp->solo_prev;
  // sp in none of them: a goroutine that ran past its stack into the guard
  // (the common case), or code on a stack gort does not know.
  return mp->curg != nullptr ? mp->curg : mp->g0;
}

void print_signame(int sig) {
  if (const char* n = os::signame(sig))
    print(n);
  else
    print("signal ", sig);
}

void print_where(M* mp, G* gp) {
  if (gp == mp->g0)
    print(" on the system stack (g0 of M ", mp->id, ")");
  else if (gp == mp->gsignal)
    print(" in a signal handler (gsignal of M ", mp->id, ")");
  else
    print(" in goroutine ", gp->goid);
}

// In a handler: the goroutine's traceback from the signal's context.
void traceback_signal(const os::SigInfo& si, M* mp, G* gp) {
  UnwindCursor c;
  unwind_from_signal(&c, si);
  if (gp != nullptr) add_stack_ranges(&c, gp);
  if (mp != nullptr) {
    add_stack_ranges(&c, mp->g0);
    if (mp->gsignal) add_stack_ranges(&c, mp->gsignal);
  }
  print_frames(&c);
}

[[noreturn]] void stack_overflow(const os::SigInfo& si, M* mp, G* gp) {
  fatal_begin();
  print("fatal: stack overflow in goroutine ", gp->goid, " (stack [", hex(gp->stack_lo), ", ", hex(gp->stack_hi),
        "))\n");
  if (g_traceback != Traceback::none) {
    print("\ngoroutine ", gp->goid, " [running]:\n");
    traceback_signal(si, mp, gp);
    if (g_traceback == Traceback::all) print_all_goroutines(mp->sched, gp, true);
  }
  fatal_exit();
}

[[noreturn]] void crash(const os::SigInfo& si, M* mp, G* gp) {
  fatal_begin();
  print("fatal: unexpected signal ");
  print_signame(si.sig);
  print(" at pc=", hex(si.pc), " addr=", hex(si.addr));
  if (mp != nullptr)
    print_where(mp, gp);
  else
    print(" on a thread gort did not create");
  print(si.sent ? " (sent by a process)\n" : "\n");
  if (g_traceback != Traceback::none) {
    print("\n");
    if (mp != nullptr && gp != mp->g0 && gp != mp->gsignal)
      print("goroutine ", gp->goid, " [running]:\n");
    else
      print("system stack:\n");
    traceback_signal(si, mp, mp != nullptr ? gp : nullptr);
    Sched* s = mp != nullptr && mp->sched != nullptr ? mp->sched : current_sched();
    if (s != nullptr) print_all_goroutines(s, mp != nullptr ? gp : nullptr, g_traceback == Traceback::all);
  }
  fatal_exit();
}

[[noreturn]] void sigquit(const os::SigInfo& si, M* mp, G* gp) {
  fatal_begin();
  print("SIGQUIT: quit\n");
  if (mp != nullptr && gp != nullptr && gp != mp->g0 && gp != mp->gsignal) {
    print("\ngoroutine ", gp->goid, " [running]:\n");
    traceback_signal(si, mp, gp);
  }
  Sched* s = mp != nullptr && mp->sched != nullptr ? mp->sched : current_sched();
  if (s != nullptr) print_all_goroutines(s, gp, true);
  fatal_exit();
}

}  // namespace

bool is_fault(int sig) {
  using namespace os::sig;
  return sig == kSEGV || sig == kBUS || sig == kFPE || sig == kILL || sig == kTRAP;
}

// sighandler: core's handler (os::setsig). Async-signal-safe: no
// allocation, no lock, no libc call but what os:: makes (system calls).
void sighandler(const os::SigInfo& si, void* osinfo) {
  InHandler in_handler;
  g_last_handler_sp.store(reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0)), std::memory_order_relaxed);
  int sig = si.sig;
  G* tlsg = getg();
  M* mp = tlsg != nullptr ? tlsg->m : nullptr;
  if (mp == nullptr) {
    // A thread with no M (a thread gort did not create, or one of gort's
    // before minit or after unminit). It borrows a spare M for the
    // handler's duration (needm_sig: a CAS and plain stores, never the
    // callback path), so that the handler runs as gsignal of an M like on
    // any other thread; a run keeps one spare ready for this.
    // SIGPROF: a thread gort does not run is not profiled (the process
    // timer of an OS without per-thread timers may pick it).
    if (sig == os::sig::kPROF) return;
    Sched* s = current_sched();
    M* bm = s != nullptr ? needm_sig(*s, reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0))) : nullptr;
    bool recorded = sigqueue_record(sig);
    if (!recorded) {
      if (is_fault(sig) && !si.sent && os::sigprevious(sig) != os::SigPrev::handler) crash(si, nullptr, nullptr);
      if (sig == os::sig::kQUIT && g_own_sigquit) sigquit(si, nullptr, nullptr);
    }
    if (bm != nullptr) dropm_sig(bm);
    if (!recorded && !os::sigforward(sig, osinfo, si.ctx)) os::diefromsignal(sig);
    return;
  }
  G* gp = sigfetchg(mp, tlsg, si.sp);
  if (mp->gsignal != nullptr) setg(mp->gsignal);
  // ASan: this frame is on gsignal's stack (race.hpp).
  G* gs = mp->gsignal;
  race::SignalScope on_gsignal(gs ? &gs->race : nullptr, gs ? gs->stack_lo : 0, gs ? gs->stack_hi : 0);
  if (sig == os::sig::kPROF) {
    // The profiler's tick (cpuprof.cpp); outside a profile, a late one.
    if (cpuprof_active()) cpuprof_sample(si, mp, gp);
    setg(tlsg);
    return;
  }
  if (is_fault(sig)) {
    if ((sig == os::sig::kSEGV || sig == os::sig::kBUS) && !si.sent && gp != mp->g0 && gp != mp->gsignal &&
        si.addr < gp->stack_lo && si.addr >= gp->stack_lo - stack_guard_bytes())
      stack_overflow(si, mp, gp);
    if (os::sigprevious(sig) == os::SigPrev::handler) {
      os::sigforward(sig, osinfo, si.ctx);
      setg(tlsg);
      return;
    }
    crash(si, mp, gp);
  }
  // A signal a program asked for goes to its channels (SIGQUIT too: then
  // no dump, as with Go's Notify).
  if (!sigqueue_record(sig)) {
    if (sig == os::sig::kQUIT && g_own_sigquit) sigquit(si, mp, gp);
    if (!os::sigforward(sig, osinfo, si.ctx)) os::diefromsignal(sig);
  }
  setg(tlsg);
}

bool in_signal_handler() { return tls_in_handler > 0; }

std::int64_t sigstacks_live() { return g_sigstacks.load(std::memory_order_relaxed); }

std::uintptr_t last_handler_sp() { return g_last_handler_sp.load(std::memory_order_relaxed); }

void initsig() {
  // GORTTRACEBACK at every run (read here, not in a handler: getenv is no
  // async-signal-safe function).
  g_traceback = Traceback::single;
  if (const char* v = os::getenv("GORTTRACEBACK")) {
    if (std::strcmp(v, "none") == 0) g_traceback = Traceback::none;
    if (std::strcmp(v, "all") == 0) g_traceback = Traceback::all;
  }
  // The dispositions once per process: they stay for good (a fault after
  // the run, on a thread with no M, goes to whatever was there before).
  if (g_initsig_done) return;
  g_initsig_done = true;
  for (int sig : {os::sig::kSEGV, os::sig::kBUS, os::sig::kFPE, os::sig::kILL, os::sig::kTRAP})
    os::setsig(sig, &sighandler);
  // SIGQUIT only if nobody claimed it before gort: a program (or a
  // debugger's harness) that set its own handler or ignores it keeps it.
  if (os::sigprevious(os::sig::kQUIT) == os::SigPrev::dfl)
    g_own_sigquit = os::setsig(os::sig::kQUIT, &sighandler);
}

Traceback traceback_mode() { return g_traceback; }
bool traceback_owns_sigquit() { return g_own_sigquit; }

void minit(M* mp) {
  // On the M's own thread, on its system stack (stackalloc is allowed).
  if (mp->gsignal == nullptr) {
    mp->gsignal = gallocator.alloc();
    mp->gsignal->m = mp;
    mp->gsignal->status = Gstatus::running;
  }
  os::SigStack cur;
  os::sigaltstack_get(&cur);
  mp->sigstack_prev = cur;
  if (cur.enabled) {
    // Foreign code installed one: adopt it.
    mp->sigstack_ours = false;
    mp->gsignal->stack = Stack{cur.lo, cur.lo + cur.size};
  } else {
    mp->sigstack_ours = true;
    mp->gsignal->stack = stackalloc(kSigStack);
    g_sigstacks.fetch_add(1, std::memory_order_relaxed);
    os::SigStack st;
    st.lo = mp->gsignal->stack.lo;
    st.size = mp->gsignal->stack.hi - mp->gsignal->stack.lo;
    st.enabled = true;
    os::sigaltstack_set(st);
  }
  mp->gsignal->stack_lo = mp->gsignal->stack.lo;
  mp->gsignal->stack_hi = mp->gsignal->stack.hi;
  cpuprof_minit(mp);
  // TSan: what the goroutines that run on this thread share in turn
  // (race.hpp's top): its errno; and, on a thread gort started, its
  // system stack below here, where blocking() runs the program's calls
  // (the rest of it is the scheduler's, which TSan does not see).
  race::thread_shared(&errno, sizeof errno, "errno: the thread's, used in turn by the goroutines that run on it");
  if (!mp->is_m0 && !mp->extra) {
    auto here = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
    if (here > mp->g0->stack_lo && here <= mp->g0->stack_hi)
      race::thread_shared(reinterpret_cast<const void*>(mp->g0->stack_lo), here - mp->g0->stack_lo,
                          "a system stack: blocking() lends it in turn to the goroutines of its thread");
  }
}

void unminit(M* mp) {
  // On the M's thread, on its system stack. Put back what minit found;
  // then our stack may go (no signal can land on it any more).
  cpuprof_unminit(mp);
  if (mp->gsignal == nullptr) return;
  os::sigaltstack_set(mp->sigstack_prev);
  if (mp->sigstack_ours) {
    stackfree(mp->gsignal->stack);
    g_sigstacks.fetch_sub(1, std::memory_order_relaxed);
  }
  mp->sigstack_ours = false;
  mp->gsignal->stack = Stack{};
  mp->gsignal->stack_lo = mp->gsignal->stack_hi = 0;
}

}  // namespace gort::rt
