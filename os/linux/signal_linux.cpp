// signal_linux.cpp: signals for gort's Linux port: alternate signal stacks,
// installing and forwarding handlers, the default action, and the handler
// that turns siginfo_t and ucontext_t into core's SigInfo.
//
// Everything called from a signal handler here is a system call or plain
// memory access: no libc function that may allocate or lock.
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "fatal.hpp"
#include "os.hpp"
#include "os_defs.hpp"
#include "sigctxt.hpp"

#if GORT_RACE_TSAN
// glibc's own sigaction, under a name TSan does not intercept.
extern "C" int __sigaction(int sig, const struct sigaction* act, struct sigaction* old);
#endif

namespace gort::os {

namespace {

constexpr int kNsig = sig::kMax + 1;

// sys_sigaction: sigaction, past TSan's interceptor in a TSan build. TSan
// installs its own handler in front of every one a program sets and runs
// the program's later, at the thread's next call it intercepts, for a
// signal that is not a fault: an idle M asleep in a futex (a system call
// TSan does not see) would keep a notified signal, a SIGQUIT or a profile
// tick forever, and a late SIGPROF would be unwound from a context long
// gone. gort's handler is not the program's code (it is built without
// TSan, touches no memory of the program, takes no lock): the kernel calls
// it directly, as it does natively. A handler it forwards to that was set
// through the interceptor is TSan's, which treats the signal as it would
// have.
int sys_sigaction(int sig, const struct sigaction* act, struct sigaction* old) {
#if GORT_RACE_TSAN
  return __sigaction(sig, act, old);
#else
  return ::sigaction(sig, act, old);
#endif
}

// What setsig found, per signal: the sigaction to forward to and restore.
// Written only by setsig/restoresig (never in a handler), read by
// sigforward in handlers: saved_set is published with release after the
// struct is complete.
struct sigaction saved[kNsig];
std::atomic<bool> saved_set[kNsig];
std::atomic<SigHandler> handlers[kNsig];

// sighandler: the handler the kernel calls. Async-signal-safe: fills a
// SigInfo from the context with plain loads and calls core's handler.
void sighandler(int sig, siginfo_t* info, void* uctx) {
  // errno belongs to the interrupted code: save and restore it, since the
  // system calls below may change it.
  int saved_errno = errno;
  SigInfo si;
  si.sig = sig;
  // si_code <= 0: sent by a process (SI_USER, SI_TKILL, SI_QUEUE, ...).
  si.sent = info != nullptr && info->si_code <= 0;
  si.addr = info != nullptr ? reinterpret_cast<std::uintptr_t>(info->si_addr) : 0;
  if (uctx != nullptr) {
    SigCtxt c(uctx);
    si.pc = c.pc();
    si.sp = c.sp();
    si.lr = c.lr();
  }
  si.ctx = uctx;
  if (SigHandler h = handlers[sig].load(std::memory_order_acquire)) h(si, info);
  errno = saved_errno;
}

}  // namespace

void sigaltstack_get(SigStack* out) {
  stack_t st;
  if (::sigaltstack(nullptr, &st) != 0) rt::fatal("sigaltstack failed, errno ", errno);
  out->lo = reinterpret_cast<std::uintptr_t>(st.ss_sp);
  out->size = st.ss_size;
  out->flags = st.ss_flags;
  out->enabled = (st.ss_flags & SS_DISABLE) == 0;
}

void sigaltstack_set(const SigStack& s) {
  stack_t st;
  st.ss_sp = reinterpret_cast<void*>(s.lo);
  st.ss_size = s.size;
  // SS_ONSTACK is a status bit the kernel reports; it cannot be set. What
  // remains (SS_AUTODISARM) is restored as found.
  st.ss_flags = s.enabled ? (s.flags & ~(SS_DISABLE | SS_ONSTACK)) : SS_DISABLE;
  if (::sigaltstack(&st, nullptr) != 0) rt::fatal("sigaltstack failed, errno ", errno);
}

bool setsig(int sig, SigHandler h) {
  if (sig <= 0 || sig >= kNsig) return false;
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = &sighandler;
  sa.sa_flags = SA_ONSTACK | SA_SIGINFO | SA_RESTART;
  sigfillset(&sa.sa_mask);
  handlers[sig].store(h, std::memory_order_release);
  struct sigaction old;
  // QEMU user-mode refuses sigaction for signals it keeps for itself (the
  // real-time signals its threads use; Go's runtime skips 32, 33 and 64 for
  // this reason): report it and let the caller decide.
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
  struct sigaction sa;
  if (saved_set[sig].load(std::memory_order_acquire))
    sa = saved[sig];
  else if (sys_sigaction(sig, nullptr, &sa) != 0)
    return SigPrev::dfl;
  if ((sa.sa_flags & SA_SIGINFO) == 0) {
    if (sa.sa_handler == SIG_DFL) return SigPrev::dfl;
    if (sa.sa_handler == SIG_IGN) return SigPrev::ign;
  }
  return SigPrev::handler;
}

bool sigforward(int sig, void* osinfo, void* ctx) {
  // Async-signal-safe: plain reads of the saved struct, sigprocmask (a
  // system call) and the call itself.
  if (sig <= 0 || sig >= kNsig || !saved_set[sig].load(std::memory_order_acquire)) return false;
  const struct sigaction& sa = saved[sig];
  if ((sa.sa_flags & SA_SIGINFO) == 0) {
    if (sa.sa_handler == SIG_DFL) return false;
    if (sa.sa_handler == SIG_IGN) return true;
  }
  // Block what the kernel would have blocked for the old handler: the
  // interrupted code's mask, its sa_mask, and sig itself unless
  // SA_NODEFER. (gort's handler runs with everything blocked.) Only signals
  // 1..64 exist: the kernel's part of uc_sigmask is those bits.
  sigset_t mask, old;
  sigemptyset(&mask);
  const sigset_t* interrupted = ctx ? &static_cast<ucontext_t*>(ctx)->uc_sigmask : nullptr;
  for (int s = 1; s < kNsig; ++s)
    if (sigismember(&sa.sa_mask, s) == 1 || (interrupted && sigismember(interrupted, s) == 1)) sigaddset(&mask, s);
  if ((sa.sa_flags & SA_NODEFER) == 0) sigaddset(&mask, sig);
  pthread_sigmask(SIG_SETMASK, &mask, &old);
  if (sa.sa_flags & SA_SIGINFO)
    sa.sa_sigaction(sig, static_cast<siginfo_t*>(osinfo), ctx);
  else
    sa.sa_handler(sig);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (sa.sa_flags & SA_RESETHAND) {
    // A one-shot handler: the next delivery takes the default action.
    saved[sig].sa_handler = SIG_DFL;
    saved[sig].sa_flags &= ~SA_SIGINFO;
  }
  return true;
}

void diefromsignal(int sig) {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  sys_sigaction(sig, &sa, nullptr);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  // To this thread: a synchronous fault's default action must hit the
  // faulting thread.
  syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), sig);
  // A fault delivered on return from the handler would re-fault; for a
  // signal whose default action is to ignore it, we come back here.
}

const char* signame(int sig) {
  switch (sig) {
    case SIGHUP: return "SIGHUP";
    case SIGINT: return "SIGINT";
    case SIGQUIT: return "SIGQUIT";
    case SIGILL: return "SIGILL";
    case SIGTRAP: return "SIGTRAP";
    case SIGABRT: return "SIGABRT";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGKILL: return "SIGKILL";
    case SIGUSR1: return "SIGUSR1";
    case SIGSEGV: return "SIGSEGV";
    case SIGUSR2: return "SIGUSR2";
    case SIGPIPE: return "SIGPIPE";
    case SIGALRM: return "SIGALRM";
    case SIGTERM: return "SIGTERM";
    case SIGCHLD: return "SIGCHLD";
    case SIGCONT: return "SIGCONT";
    case SIGSTOP: return "SIGSTOP";
    case SIGTSTP: return "SIGTSTP";
    case SIGTTIN: return "SIGTTIN";
    case SIGTTOU: return "SIGTTOU";
    case SIGURG: return "SIGURG";
    case SIGXCPU: return "SIGXCPU";
    case SIGXFSZ: return "SIGXFSZ";
    case SIGVTALRM: return "SIGVTALRM";
    case SIGPROF: return "SIGPROF";
    case SIGWINCH: return "SIGWINCH";
    case SIGIO: return "SIGIO";
    case SIGSYS: return "SIGSYS";
    default: return nullptr;
  }
}

void sigctxt_regs(void* ctx, std::uintptr_t* regs, std::uint64_t* known, int nregs) {
  SigCtxt(ctx).dwarf_regs(regs, known, nregs);
}

long thread_id() { return syscall(SYS_gettid); }

}  // namespace gort::os
