// signal_darwin.cpp: signals for gort's darwin port (os/linux's
// signal_linux.cpp is the model; what differs is said where it differs):
// alternate signal stacks, installing and forwarding handlers, the default
// action, and the handler that turns siginfo_t and ucontext_t into core's
// SigInfo.
//
// darwin's differences from Linux: signals 1..31 only, in a 32-bit
// sigset_t; libc's sigaction installs its own trampoline (_sigtramp) and
// calls ours; SS_DISABLE is 4, and there is no SS_AUTODISARM; a signal sent
// with kill has si_code 0, not SI_USER (0x10001) as the headers say (Go:
// "empirically true"); uc_mcontext is a pointer (sigctxt.hpp); no tgkill:
// pthread_kill aims a signal at this thread.
//
// Everything called from a signal handler here is a system call or plain
// memory access: no libc function that may allocate or lock.
#include <pthread.h>
#include <signal.h>
#include <sys/ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "fatal.hpp"
#include "os.hpp"
#include "os_defs.hpp"
#include "sigctxt.hpp"

namespace gort::os {

namespace {

constexpr int kNsig = sig::kMax + 1;

// What setsig found, per signal (see signal_linux.cpp).
struct sigaction saved[kNsig];
std::atomic<bool> saved_set[kNsig];
std::atomic<SigHandler> handlers[kNsig];

// sent: whether a signal came from a process rather than a fault.
bool sent(int sig, const siginfo_t* info) {
  if (info == nullptr) return true;
  int code = info->si_code;
  if (code == 0) return !(sig == SIGSEGV && SigCtxt::kSegvCode0IsFault);
  return code >= SI_USER && code <= SI_MESGQ;
}

void sighandler(int sig, siginfo_t* info, void* uctx) {
  int saved_errno = errno;
  SigInfo si;
  si.sig = sig;
  si.sent = sent(sig, info);
  si.addr = info != nullptr ? reinterpret_cast<std::uintptr_t>(info->si_addr) : 0;
  if (uctx != nullptr) {
    SigCtxt c(uctx);
    si.pc = c.pc();
    si.sp = c.sp();
    si.lr = c.lr();
  }
  si.ctx = uctx;
  if (sig > 0 && sig < kNsig)
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
  st.ss_sp = reinterpret_cast<char*>(s.lo);
  st.ss_size = s.size;
  // SS_ONSTACK is a status bit; darwin has no other flag to keep.
  st.ss_flags = s.enabled ? (s.flags & ~(SS_DISABLE | SS_ONSTACK)) : SS_DISABLE;
  // darwin refuses a stack below MINSIGSTKSZ (32 KiB) with ENOMEM; core's
  // gsignal stacks are 32 KiB.
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
  if (::sigaction(sig, &sa, &old) != 0) return false;
  if (!saved_set[sig].load(std::memory_order_relaxed)) {
    saved[sig] = old;
    saved_set[sig].store(true, std::memory_order_release);
  }
  return true;
}

void restoresig(int sig) {
  if (sig <= 0 || sig >= kNsig || !saved_set[sig].load(std::memory_order_acquire)) return;
  ::sigaction(sig, &saved[sig], nullptr);
  saved_set[sig].store(false, std::memory_order_release);
  handlers[sig].store(nullptr, std::memory_order_release);
}

SigPrev sigprevious(int sig) {
  if (sig <= 0 || sig >= kNsig) return SigPrev::dfl;
  struct sigaction sa;
  if (saved_set[sig].load(std::memory_order_acquire))
    sa = saved[sig];
  else if (::sigaction(sig, nullptr, &sa) != 0)
    return SigPrev::dfl;
  if ((sa.sa_flags & SA_SIGINFO) == 0) {
    if (sa.sa_handler == SIG_DFL) return SigPrev::dfl;
    if (sa.sa_handler == SIG_IGN) return SigPrev::ign;
  }
  return SigPrev::handler;
}

bool sigforward(int sig, void* osinfo, void* ctx) {
  if (sig <= 0 || sig >= kNsig || !saved_set[sig].load(std::memory_order_acquire)) return false;
  const struct sigaction& sa = saved[sig];
  if ((sa.sa_flags & SA_SIGINFO) == 0) {
    if (sa.sa_handler == SIG_DFL) return false;
    if (sa.sa_handler == SIG_IGN) return true;
  }
  // Block what the kernel would have blocked for the old handler: the
  // interrupted code's mask, its sa_mask, and sig itself unless SA_NODEFER.
  // darwin's sigset_t is one 32-bit word: the union is one OR.
  sigset_t mask = sa.sa_mask, old;
  if (ctx) mask |= static_cast<ucontext_t*>(ctx)->uc_sigmask;
  if ((sa.sa_flags & SA_NODEFER) == 0) sigaddset(&mask, sig);
  pthread_sigmask(SIG_SETMASK, &mask, &old);
  if (sa.sa_flags & SA_SIGINFO)
    sa.sa_sigaction(sig, static_cast<siginfo_t*>(osinfo), ctx);
  else
    sa.sa_handler(sig);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (sa.sa_flags & SA_RESETHAND) {
    saved[sig].sa_handler = SIG_DFL;
    saved[sig].sa_flags &= ~SA_SIGINFO;
  }
  return true;
}

void diefromsignal(int sig) {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  ::sigaction(sig, &sa, nullptr);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  // To this thread (pthread_kill is async-signal-safe): a synchronous
  // fault's default action must hit the faulting thread.
  pthread_kill(pthread_self(), sig);
}

const char* signame(int sig) {
  switch (sig) {
    case SIGHUP: return "SIGHUP";
    case SIGINT: return "SIGINT";
    case SIGQUIT: return "SIGQUIT";
    case SIGILL: return "SIGILL";
    case SIGTRAP: return "SIGTRAP";
    case SIGABRT: return "SIGABRT";
    case SIGEMT: return "SIGEMT";
    case SIGFPE: return "SIGFPE";
    case SIGKILL: return "SIGKILL";
    case SIGBUS: return "SIGBUS";
    case SIGSEGV: return "SIGSEGV";
    case SIGSYS: return "SIGSYS";
    case SIGPIPE: return "SIGPIPE";
    case SIGALRM: return "SIGALRM";
    case SIGTERM: return "SIGTERM";
    case SIGURG: return "SIGURG";
    case SIGSTOP: return "SIGSTOP";
    case SIGTSTP: return "SIGTSTP";
    case SIGCONT: return "SIGCONT";
    case SIGCHLD: return "SIGCHLD";
    case SIGTTIN: return "SIGTTIN";
    case SIGTTOU: return "SIGTTOU";
    case SIGIO: return "SIGIO";
    case SIGXCPU: return "SIGXCPU";
    case SIGXFSZ: return "SIGXFSZ";
    case SIGVTALRM: return "SIGVTALRM";
    case SIGPROF: return "SIGPROF";
    case SIGWINCH: return "SIGWINCH";
    case SIGINFO: return "SIGINFO";
    case SIGUSR1: return "SIGUSR1";
    case SIGUSR2: return "SIGUSR2";
    default: return nullptr;
  }
}

void sigctxt_regs(void* ctx, std::uintptr_t* regs, std::uint64_t* known, int nregs) {
  SigCtxt(ctx).dwarf_regs(regs, known, nregs);
}

long thread_id() {
  std::uint64_t tid = 0;
  pthread_threadid_np(nullptr, &tid);
  return static_cast<long>(tid);
}

}  // namespace gort::os
