// signal_solaris.cpp: signals for gort's solaris port (os/linux's
// signal_linux.cpp is the model): alternate signal stacks, installing and
// forwarding handlers, the default action, and the handler that turns
// siginfo_t and ucontext_t into core's SigInfo. The structures are the
// port's own declarations (defs_solaris.hpp), whose comment lists where
// they differ from Linux's.
//
// Everything called from a signal handler here is a system call or plain
// memory access: no libc function that may allocate or lock
// (pthread_sigmask and pthread_kill are async-signal-safe).
#include <atomic>
#include <cstring>

#include "defs_solaris.hpp"
#include "fatal.hpp"
#include "os.hpp"
#include "os_defs.hpp"
#include "profile_solaris.hpp"
#include "sigctxt.hpp"

namespace gort::os {

using namespace sol;

namespace {

constexpr int kNsig = sig::kMax + 1;

// What setsig found, per signal (see signal_linux.cpp).
Sigaction saved[kNsig];
std::atomic<bool> saved_set[kNsig];
std::atomic<SigHandler> handlers[kNsig];

void sighandler(int sig, Siginfo* info, void* uctx) {
  int saved_errno = errno_value();
  // The profiler's kicks (profile_solaris.cpp: an LWP arms its own timer)
  // stop here.
  if (sig == kSIGPROF && on_sigprof(info)) {
    *sys_errno() = saved_errno;
    return;
  }
  SigInfo si;
  si.sig = sig;
  // SI_FROMUSER: si_code <= 0 (SI_USER, SI_LWP, SI_QUEUE, ...).
  si.sent = info == nullptr || info->si_code <= 0;
  si.addr = info != nullptr ? reinterpret_cast<std::uintptr_t>(info->data.fault.addr) : 0;
  if (uctx != nullptr) {
    SigCtxt c(uctx);
    si.pc = c.pc();
    si.sp = c.sp();
    si.lr = c.lr();
  }
  si.ctx = uctx;
  if (sig > 0 && sig < kNsig)
    if (SigHandler h = handlers[sig].load(std::memory_order_acquire)) h(si, info);
  *sys_errno() = saved_errno;
}

bool is_default(const Sigaction& sa) { return (sa.sa_flags & kSA_SIGINFO) == 0 && sa.fn.bits == kSIG_DFL; }
bool is_ignore(const Sigaction& sa) { return (sa.sa_flags & kSA_SIGINFO) == 0 && sa.fn.bits == kSIG_IGN; }

}  // namespace

void sigaltstack_get(SigStack* out) {
  StackT st{};
  if (sys_sigaltstack(nullptr, &st) != 0) rt::fatal("sigaltstack failed, errno ", errno_value());
  out->lo = reinterpret_cast<std::uintptr_t>(st.ss_sp);
  out->size = st.ss_size;
  out->flags = st.ss_flags;
  out->enabled = (st.ss_flags & kSS_DISABLE) == 0;
}

void sigaltstack_set(const SigStack& s) {
  StackT st{};
  st.ss_sp = reinterpret_cast<void*>(s.lo);
  st.ss_size = s.size;
  st.ss_flags = s.enabled ? (s.flags & ~(kSS_DISABLE | kSS_ONSTACK)) : kSS_DISABLE;
  if (sys_sigaltstack(&st, nullptr) != 0) rt::fatal("sigaltstack failed, errno ", errno_value());
}

bool setsig(int sig, SigHandler h) {
  if (sig <= 0 || sig >= kNsig) return false;
  Sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.fn.sigaction = &sighandler;
  sa.sa_flags = kSA_ONSTACK | kSA_SIGINFO | kSA_RESTART;
  sigfill(&sa.sa_mask);
  handlers[sig].store(h, std::memory_order_release);
  Sigaction old;
  if (sys_sigaction(sig, &sa, &old) != 0) return false;
  if (!saved_set[sig].load(std::memory_order_relaxed)) {
    saved[sig] = old;
    saved_set[sig].store(true, std::memory_order_release);
  }
  return true;
}

void restoresig(int sig) {
  if (sig <= 0 || sig >= kNsig || !saved_set[sig].load(std::memory_order_acquire)) return;
  sys_sigaction(sig, &saved[sig], nullptr);
  saved_set[sig].store(false, std::memory_order_release);
  handlers[sig].store(nullptr, std::memory_order_release);
}

SigPrev sigprevious(int sig) {
  if (sig <= 0 || sig >= kNsig) return SigPrev::dfl;
  Sigaction sa;
  if (saved_set[sig].load(std::memory_order_acquire))
    sa = saved[sig];
  else if (sys_sigaction(sig, nullptr, &sa) != 0)
    return SigPrev::dfl;
  if (is_default(sa)) return SigPrev::dfl;
  if (is_ignore(sa)) return SigPrev::ign;
  return SigPrev::handler;
}

bool sigforward(int sig, void* osinfo, void* ctx) {
  if (sig <= 0 || sig >= kNsig || !saved_set[sig].load(std::memory_order_acquire)) return false;
  const Sigaction& sa = saved[sig];
  if (is_default(sa)) return false;
  if (is_ignore(sa)) return true;
  // Block what the kernel would have blocked for the old handler: the
  // interrupted code's mask, its sa_mask, and sig itself unless SA_NODEFER.
  Sigset mask, old;
  for (int i = 0; i < 4; ++i)
    mask.bits[i] = sa.sa_mask.bits[i] | (ctx ? SigCtxt(ctx).sigmask().bits[i] : 0);
  if ((sa.sa_flags & kSA_NODEFER) == 0) sigadd(&mask, sig);
  sys_pthread_sigmask(kSIG_SETMASK, &mask, &old);
  if (sa.sa_flags & kSA_SIGINFO)
    sa.fn.sigaction(sig, static_cast<Siginfo*>(osinfo), ctx);
  else
    sa.fn.handler(sig);
  sys_pthread_sigmask(kSIG_SETMASK, &old, nullptr);
  if (sa.sa_flags & kSA_RESETHAND) {
    saved[sig].fn.bits = kSIG_DFL;
    saved[sig].sa_flags &= ~kSA_SIGINFO;
  }
  return true;
}

void diefromsignal(int sig) {
  Sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.fn.bits = kSIG_DFL;
  sys_sigaction(sig, &sa, nullptr);
  Sigset set;
  sigempty(&set);
  sigadd(&set, sig);
  sys_pthread_sigmask(kSIG_UNBLOCK, &set, nullptr);
  // To this thread: a synchronous fault's default action must hit the
  // faulting thread.
  sys_pthread_kill(sys_pthread_self(), sig);
}

const char* signame(int sig) {
  static const char* const names[] = {
      nullptr,     "SIGHUP",    "SIGINT",    "SIGQUIT",   "SIGILL",    "SIGTRAP",  "SIGABRT",   "SIGEMT",
      "SIGFPE",    "SIGKILL",   "SIGBUS",    "SIGSEGV",   "SIGSYS",    "SIGPIPE",  "SIGALRM",   "SIGTERM",
      "SIGUSR1",   "SIGUSR2",   "SIGCHLD",   "SIGPWR",    "SIGWINCH",  "SIGURG",   "SIGPOLL",   "SIGSTOP",
      "SIGTSTP",   "SIGCONT",   "SIGTTIN",   "SIGTTOU",   "SIGVTALRM", "SIGPROF",  "SIGXCPU",   "SIGXFSZ",
      "SIGWAITING", "SIGLWP",   "SIGFREEZE", "SIGTHAW",   "SIGCANCEL", "SIGLOST",  "SIGXRES",   "SIGJVM1",
      "SIGJVM2",   "SIGINFO"};
  static_assert(sizeof names / sizeof names[0] == kSIGINFO + 1, "a name for every signal up to SIGINFO");
  return sig > 0 && sig <= kSIGINFO ? names[sig] : nullptr;
}

void sigctxt_regs(void* ctx, std::uintptr_t* regs, std::uint64_t* known, int nregs) {
  SigCtxt(ctx).dwarf_regs(regs, known, nregs);
}

long thread_id() { return static_cast<long>(sys_lwp_self()); }

}  // namespace gort::os
