// defs_solaris.hpp: the illumos/Solaris ABI facts gort's solaris port uses,
// declared here from the documented interfaces (the man pages of sections
// 2 and 3C and the values in illumos' headers), as Go's defs_solaris.go and
// defs_solaris_amd64.go do. No illumos header, libc or linker exists on the
// machines that build this port, so the port includes no system header at
// all: everything it needs of the OS is below, LP64 (amd64); the register
// file of a signal context is in sigctxt_<cpu>.hpp.
//
// Every function is declared under its own name in namespace sol and bound
// to libc's symbol with an asm label: these declarations can then never
// clash with a system header that some C++ header pulls in (on illumos, or
// glibc's when compiled here), and every constant is k-prefixed so that no
// system macro (EINTR, SIGSEGV, ...) can rewrite it.
//
// Where illumos differs from Linux (the reasons the Linux port cannot be
// reused): signal numbers (SIGBUS 10, SIGUSR1 16, SIGCHLD 18, SIGSTOP 23,
// SIGPROF 29; 73 signals, real-time from 42); SIG_BLOCK/UNBLOCK/SETMASK are
// 1/2/3; struct sigaction starts with sa_flags, then the handler, then a
// 128-bit sigset_t; stack_t is {ss_sp, ss_size, ss_flags} (Linux: ss_sp,
// ss_flags, ss_size); siginfo_t is 256 bytes with the fault address at 16;
// ucontext_t holds uc_flags, uc_link, uc_sigmask, uc_stack, then the
// machine context at offset 64; errno is *___errno().
#pragma once

#include <cstddef>
#include <cstdint>

static_assert(sizeof(void*) == 8 && sizeof(long) == 8, "os/solaris declares the LP64 ABI only (amd64)");

namespace gort::os::sol {

// <sys/errno.h>
inline constexpr int kEINTR = 4, kEAGAIN = 11, kENOMEM = 12, kEINVAL = 22, kETIMEDOUT = 145;

// <sys/mman.h>: mmap(2), mprotect(2), memcntl(2). madvise(3C) is libc's
// wrapper for memcntl(addr, len, MC_ADVISE, advice, 0, 0).
inline constexpr int kPROT_NONE = 0x0, kPROT_READ = 0x1, kPROT_WRITE = 0x2;
inline constexpr int kMAP_PRIVATE = 0x2, kMAP_FIXED = 0x10, kMAP_NORESERVE = 0x40, kMAP_ANON = 0x100;
inline constexpr int kMC_ADVISE = 4;
inline constexpr int kMADV_FREE = 5;
inline constexpr int kMADV_PURGE = 9;  // illumos (2018), not Oracle Solaris
inline constexpr std::intptr_t kMAP_FAILED = -1;

// <sys/unistd.h>: sysconf(3C) names, lseek(2); <sys/fcntl.h>
inline constexpr int kSC_PAGESIZE = 11, kSC_NPROCESSORS_ONLN = 15;
inline constexpr int kSEEK_END = 2;
inline constexpr int kO_RDONLY = 0, kO_CLOEXEC = 0x800000;

// <sys/iso/signal_iso.h>, <sys/signal.h>
inline constexpr int kSIGHUP = 1, kSIGINT = 2, kSIGQUIT = 3, kSIGILL = 4, kSIGTRAP = 5, kSIGABRT = 6,
                     kSIGEMT = 7, kSIGFPE = 8, kSIGKILL = 9, kSIGBUS = 10, kSIGSEGV = 11, kSIGSYS = 12,
                     kSIGPIPE = 13, kSIGALRM = 14, kSIGTERM = 15, kSIGUSR1 = 16, kSIGUSR2 = 17, kSIGCHLD = 18,
                     kSIGPWR = 19, kSIGWINCH = 20, kSIGURG = 21, kSIGPOLL = 22, kSIGSTOP = 23, kSIGTSTP = 24,
                     kSIGCONT = 25, kSIGTTIN = 26, kSIGTTOU = 27, kSIGVTALRM = 28, kSIGPROF = 29,
                     kSIGXCPU = 30, kSIGXFSZ = 31, kSIGWAITING = 32, kSIGLWP = 33, kSIGFREEZE = 34,
                     kSIGTHAW = 35, kSIGCANCEL = 36, kSIGLOST = 37, kSIGXRES = 38, kSIGJVM1 = 39,
                     kSIGJVM2 = 40, kSIGINFO = 41;
inline constexpr int kSIGRTMIN = 42, kSIGRTMAX = 73;  // _SIGRTMIN, _SIGRTMAX
inline constexpr int kSIG_BLOCK = 1, kSIG_UNBLOCK = 2, kSIG_SETMASK = 3;
inline constexpr int kSA_ONSTACK = 0x1, kSA_RESETHAND = 0x2, kSA_RESTART = 0x4, kSA_SIGINFO = 0x8,
                     kSA_NODEFER = 0x10;
inline constexpr int kSS_ONSTACK = 0x1, kSS_DISABLE = 0x2;
// <sys/siginfo.h>: si_code of a signal sent by _lwp_kill(2) (pthread_kill)
inline constexpr int kSI_LWP = -1;
inline constexpr std::uintptr_t kSIG_DFL = 0, kSIG_IGN = 1;

// sigset_t: 128 bits, signal s is bit (s-1) % 32 of word (s-1) / 32.
struct Sigset {
  std::uint32_t bits[4];
};
inline void sigfill(Sigset* s) {
  for (auto& w : s->bits) w = ~std::uint32_t(0);
}
inline void sigempty(Sigset* s) {
  for (auto& w : s->bits) w = 0;
}
inline void sigadd(Sigset* s, int sig) { s->bits[(sig - 1) / 32] |= std::uint32_t(1) << ((sig - 1) % 32); }
inline bool sigmember(const Sigset& s, int sig) { return (s.bits[(sig - 1) / 32] >> ((sig - 1) % 32)) & 1; }

// stack_t
struct StackT {
  void* ss_sp;
  std::size_t ss_size;
  int ss_flags;
};

// siginfo_t (<sys/siginfo.h>, LP64: SI_MAXSZ 256). si_code <= 0: sent by a
// process (SI_USER 0, SI_LWP -1, SI_QUEUE -2, ...: SI_FROMUSER).
struct Siginfo {
  int si_signo;
  int si_code;
  int si_errno;
  int si_pad;
  union {
    int pad[60];
    struct {
      void* addr;  // si_addr: the faulting address
      int trapno;
      char* pc;
    } fault;
  } data;
};

// struct sigaction: sa_flags first (Linux: the handler first); no sa_resv
// in LP64.
struct Sigaction {
  int sa_flags;
  union {
    void (*handler)(int);
    void (*sigaction)(int, Siginfo*, void*);
    std::uintptr_t bits;  // SIG_DFL, SIG_IGN
  } fn;
  Sigset sa_mask;
};

// ucontext_t up to the machine context (<sys/ucontext.h>); uc_mcontext
// (gregs, then the FP registers, 16-byte aligned) starts at kUcMcontext.
struct UcontextHead {
  unsigned long uc_flags;
  void* uc_link;
  Sigset uc_sigmask;
  StackT uc_stack;
};
inline constexpr std::size_t kUcMcontext = 64;

// <sys/time.h>
struct Timespec {
  long tv_sec;
  long tv_nsec;
};
struct Timeval {
  long tv_sec;
  long tv_usec;
};
struct Itimerval {
  Timeval it_interval;
  Timeval it_value;
};
inline constexpr int kITIMER_PROF = 2;  // per-LWP on illumos (getitimer(2))

// <link.h>, <sys/elf.h>: dl_iterate_phdr(3C)'s record (LP64) and the
// program header fields it hands out.
struct Phdr64 {
  std::uint32_t p_type, p_flags;
  std::uint64_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
};
inline constexpr std::uint32_t kPT_LOAD = 1, kPF_X = 0x1;
struct DlPhdrInfo {
  std::uintptr_t dlpi_addr;  // runtime address = p_vaddr + dlpi_addr
  const char* dlpi_name;
  const Phdr64* dlpi_phdr;
  std::uint16_t dlpi_phnum;
  unsigned long long dlpi_adds, dlpi_subs;  // only when the size passed says so
};

// sem_t (<semaphore.h>: the same as sema_t in <sys/synch.h>)
struct SemT {
  std::uint32_t count;
  std::uint16_t type;
  std::uint16_t magic;
  std::uint64_t pad1[3];  // reserved for a mutex_t
  std::uint64_t pad2[2];  // reserved for a cond_t
};

// <sys/types.h>: pthread_t is an unsigned int (the thread id), the
// attribute object a pointer to libc's own.
using PthreadT = unsigned int;
struct PthreadAttr {
  void* attrp;
};
using HrtimeT = long long;  // gethrtime(3C): nanoseconds, monotonic

// /proc/self/psinfo (<sys/procfs.h>, proc(5)): psinfo_t up to pr_rssize.
struct PsinfoHead {
  int pr_flag, pr_nlwp;
  int pr_pid, pr_ppid, pr_pgid, pr_sid;
  unsigned pr_uid, pr_euid, pr_gid, pr_egid;
  std::uintptr_t pr_addr;
  std::size_t pr_size;    // Kbytes
  std::size_t pr_rssize;  // resident set, Kbytes
};

static_assert(sizeof(Sigset) == 16, "sigset_t");
static_assert(sizeof(StackT) == 24 && offsetof(StackT, ss_flags) == 16, "stack_t");
static_assert(sizeof(Siginfo) == 256 && offsetof(Siginfo, data) == 16, "siginfo_t: si_addr at 16");
static_assert(sizeof(Sigaction) == 32 && offsetof(Sigaction, fn) == 8 && offsetof(Sigaction, sa_mask) == 16,
              "struct sigaction (LP64)");
static_assert(offsetof(UcontextHead, uc_sigmask) == 16 && offsetof(UcontextHead, uc_stack) == 32 &&
                  sizeof(UcontextHead) <= kUcMcontext,
              "ucontext_t head (LP64)");
static_assert(sizeof(SemT) == 48, "sem_t");
static_assert(sizeof(Phdr64) == 56 && offsetof(Phdr64, p_vaddr) == 16 && offsetof(Phdr64, p_memsz) == 40,
              "Elf64_Phdr");
static_assert(offsetof(DlPhdrInfo, dlpi_phnum) == 24 && offsetof(DlPhdrInfo, dlpi_adds) == 32,
              "struct dl_phdr_info (LP64)");
static_assert(offsetof(PsinfoHead, pr_rssize) == 56, "psinfo_t.pr_rssize");

// libc (sections 2 and 3C), bound by asm label.
extern "C" {
int* sys_errno() __asm__("___errno");
void* sys_mmap(void* addr, std::size_t len, int prot, int flags, int fd, long off) __asm__("mmap");
int sys_munmap(void* addr, std::size_t len) __asm__("munmap");
int sys_mprotect(void* addr, std::size_t len, int prot) __asm__("mprotect");
int sys_memcntl(void* addr, std::size_t len, int cmd, void* arg, int attr, int mask) __asm__("memcntl");
long sys_sysconf(int name) __asm__("sysconf");
long sys_write(int fd, const void* buf, std::size_t n) __asm__("write");
long sys_read(int fd, void* buf, std::size_t n) __asm__("read");
int sys_open(const char* path, int flags, ...) __asm__("open");
int sys_close(int fd) __asm__("close");
long sys_lseek(int fd, long off, int whence) __asm__("lseek");
const char* sys_getexecname() __asm__("getexecname");
int sys_dl_iterate_phdr(int (*fn)(DlPhdrInfo* info, std::size_t size, void* arg), void* arg)
    __asm__("dl_iterate_phdr");
[[noreturn]] void sys_exit(int code) __asm__("_exit");
char* sys_getenv(const char* name) __asm__("getenv");
int sys_sched_yield() __asm__("sched_yield");
HrtimeT sys_gethrtime() __asm__("gethrtime");
unsigned int sys_lwp_self() __asm__("_lwp_self");
int sys_lwp_kill(unsigned int lwp, int sig) __asm__("_lwp_kill");  // returns an error number
int sys_thr_stksegment(StackT* ss) __asm__("thr_stksegment");
int sys_pthread_attr_init(PthreadAttr* a) __asm__("pthread_attr_init");
int sys_pthread_attr_destroy(PthreadAttr* a) __asm__("pthread_attr_destroy");
int sys_pthread_attr_setstacksize(PthreadAttr* a, std::size_t n) __asm__("pthread_attr_setstacksize");
int sys_pthread_create(PthreadT* t, const PthreadAttr* a, void* (*fn)(void*), void* arg) __asm__("pthread_create");
int sys_pthread_join(PthreadT t, void** ret) __asm__("pthread_join");
int sys_pthread_detach(PthreadT t) __asm__("pthread_detach");
PthreadT sys_pthread_self() __asm__("pthread_self");
int sys_pthread_sigmask(int how, const Sigset* set, Sigset* old) __asm__("pthread_sigmask");
int sys_pthread_kill(PthreadT t, int sig) __asm__("pthread_kill");
int sys_sigaction(int sig, const Sigaction* act, Sigaction* old) __asm__("sigaction");
int sys_sigaltstack(const StackT* ss, StackT* old) __asm__("sigaltstack");
int sys_setitimer(int which, const Itimerval* v, Itimerval* old) __asm__("setitimer");
int sys_sem_init(SemT* s, int pshared, unsigned value) __asm__("sem_init");
int sys_sem_destroy(SemT* s) __asm__("sem_destroy");
int sys_sem_wait(SemT* s) __asm__("sem_wait");
int sys_sem_reltimedwait_np(SemT* s, const Timespec* rel) __asm__("sem_reltimedwait_np");
int sys_sem_post(SemT* s) __asm__("sem_post");
}

inline int errno_value() { return *sys_errno(); }

}  // namespace gort::os::sol
