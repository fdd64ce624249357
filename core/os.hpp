// os.hpp: the contract between gort's portable core and an OS port
// (os/<os>/). Each hook says on which thread and stack it may be called and
// whether it may allocate, lock or block. "Cannot allocate" means: no malloc,
// no C++ new, nothing that may take a libc lock.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gort::os {

// page_size: the OS page size. Any thread, any stack; cannot allocate.
std::size_t page_size();

// reserve: reserve n bytes of address space, readable and writable,
// committed lazily by the OS. Returns nullptr on failure. Called on the
// system stack; cannot allocate (it is a system call).
void* reserve(std::size_t n);

// release: give [p, p+n) back to the OS entirely. System stack; cannot
// allocate.
void release(void* p, std::size_t n);

// Guards: ranges of a reservation that fault on any access, below every
// goroutine stack. An OS port offers one of two mechanisms:
//   marker   the page tables mark the pages (Linux 6.13+:
//            madvise(MADV_GUARD_INSTALL)). No memory mapping is split: a
//            guard of any size costs no mapping, and no memory beyond its
//            page-table entries.
//   protect  the pages' protection changes (mprotect PROT_NONE). The guard
//            becomes a mapping of its own, and the stack above it another:
//            the OS's limit on mappings per process (vm.max_map_count on
//            Linux, 65530 by default) then caps live goroutines near half
//            of it.
enum class GuardKind { marker, protect };

// guard_kind: the mechanism guard_install uses in this process, decided on
// first use by a probe that an installed guard really faults, never by a
// call's return code: an emulator may accept the call and install nothing.
// It may turn from marker to protect later, if the OS refuses a marker (Linux:
// on memory locked by mlockall), never back. Any thread, any stack; cannot
// allocate.
GuardKind guard_kind();

// guard_install: make [p, p+n) (page-aligned, inside a reservation) fault on
// any access; its contents are lost. When the OS has no mapping left
// (protect): fatal, with a message naming the limit. System stack; cannot
// allocate.
void guard_install(void* p, std::size_t n);

// guard_remove: make every guard inside [p, p+n) (page-aligned, inside a
// reservation) readable and writable again, with unspecified contents; pages
// of the range that are no guard keep theirs. Whatever the mechanism, a
// guard survives release_pages, so memory goes back to the page heap only
// through this. System stack; cannot allocate.
void guard_remove(void* p, std::size_t n);

// reset: [p, p+n) (page-aligned, a whole reservation or inside one) becomes
// as reserve left it: no guards, nothing resident, reading zeros, in one call
// whatever it held (Linux: mmap(MAP_FIXED) over it, which also frees its
// page tables). The range stays reserved. System stack; cannot allocate.
void reset(void* p, std::size_t n);

// MemRange: a page-aligned range inside a reservation, for the batched hooks
// below.
struct MemRange {
  void* p = nullptr;
  std::size_t n = 0;
};

// guard_install_n: guard_install each of the k ranges, with its promise and
// its fatal errors. A stack span is carved with tens of guards at once; a
// port passes them to the OS in as few calls as it can (Linux:
// process_madvise(PIDFD_SELF, iov[], MADV_GUARD_INSTALL)), or loops. System
// stack; cannot allocate.
void guard_install_n(const MemRange* r, std::size_t k);

// prefault_n: commit the pages of the k ranges now, writable, as a first
// write to each would, because core is about to write to all of them: one
// batched call costs far less than a page fault per page (Linux:
// process_madvise(PIDFD_SELF, iov[], MADV_POPULATE_WRITE); measured on the
// 2-CPU VM here, about 1 us per page against 21 us per first-touch fault).
// Contents are unchanged. Best effort: a port without a batched call does
// nothing (the writes then fault as usual), and a failure (no memory) is
// ignored, to come back at the write. System stack; cannot allocate.
void prefault_n(const MemRange* r, std::size_t k);

// prefault: prefault_n for one range, in one call where the OS has one
// (Linux: madvise(MADV_POPULATE_WRITE)). Any stack (a small frame: it runs
// on goroutine stacks of a page); cannot allocate.
void prefault(void* p, std::size_t n);

// release_pages: tell the OS that [p, p+n) (page-aligned, inside a
// reservation) holds nothing worth keeping: it stops counting as resident
// (resident_bytes falls), touching it commits it again, and its contents
// are unspecified afterwards (zeros on Linux; zeros or the old bytes on
// darwin and solaris: core never relies on either); guards in the range
// stay guards. Called by the scavenger on the system stack without runtime
// locks held; cannot allocate.
void release_pages(void* p, std::size_t n);

// resident_bytes: the memory the OS counts against the process (for
// mem_stats and tests): the resident set on Linux and solaris, the
// footprint on darwin (what release_pages lowers there). Any stack; cannot allocate.
std::size_t resident_bytes();

// current_stack: bounds of the calling thread's own stack (the one the OS or
// pthreads gave it), for its g0. Called once per thread on that thread, before
// the runtime uses it; may allocate (it runs before the thread is adopted).
void current_stack(std::uintptr_t* lo, std::uintptr_t* hi);

// write_err: write all of [s, s+n) to standard error. Any thread, any stack,
// signal handlers included; cannot allocate, lock or block beyond write(2).
void write_err(const char* s, std::size_t n);

// nanotime: a monotonic clock in nanoseconds. Any thread, any stack, signal
// handlers included; cannot allocate.
std::int64_t nanotime();

// ncpu: how many CPUs this process may run on. Called once at start-up.
int ncpu();

// getenv: the value of an environment variable, or nullptr. Called at
// start-up on the thread that calls gort::run; does not allocate.
const char* getenv(const char* name);

// ---------------------------------------------------------------------------
// Sleeping and waking. Not every OS has a one-word wait, so a port supplies
// one of two sets of hooks (Go's lock_futex.go / lock_sema.go), and the
// files in its folder say which (cmake/gort_target.cmake):
//   futex  os/<os>/futex_<os>.cpp: futexsleep and futexwakeup on a 32-bit
//          word. core/lock_futex.cpp builds Lock and Note on them.
//   sema   os/<os>/sema_<os>.cpp: a counting semaphore per thread (Sema and
//          the four sema hooks below). core/lock_sema.cpp builds Lock and
//          Note on them, and futexsleep/futexwakeup too, for the few
//          sleepers that wait on a word of their own (sysmon, gort::run's
//          end, the signal delivery goroutine, a second fatal error).
// An OS with both offers both (Linux: futex, and sema for the kit's test of
// lock_sema.cpp); the port must then keep futexsleep/futexwakeup in the
// futex file only.

// futexsleep: if *addr == val, sleep until futexwakeup(addr) or until ns
// nanoseconds pass (ns < 0: no limit); may also return spuriously. Any
// thread, on g0; cannot allocate.
void futexsleep(std::uint32_t* addr, std::uint32_t val, std::int64_t ns);

// futexwakeup: wake up to cnt threads sleeping on addr. Any thread, any
// stack, signal handlers included; cannot allocate, lock or block.
void futexwakeup(std::uint32_t* addr, std::uint32_t cnt);

// Sema: room for one OS semaphore, inside core's per-thread wait record (no
// allocation): sem_t (32 bytes on glibc x86-64, 48 on illumos), a Mach
// semaphore_t (4). A port static_asserts that its type fits.
struct Sema {
  alignas(16) unsigned char bytes[64];
};

// semacreate: make *s a semaphore with count 0. Called once per thread, on
// that thread, before its first wait, outside signal handlers; cannot
// allocate (Go's semacreate may: gort's storage is inline instead).
void semacreate(Sema* s);

// semadestroy: release *s. On its thread, when the thread ends (nobody can
// still be waking it then: a waker always finishes before its sleeper
// returns).
void semadestroy(Sema* s);

// semasleep: wait until the count is positive and decrement it: true. With
// ns >= 0, false once ns nanoseconds have passed first (a signal may also
// end the wait early with false). ns < 0: no limit, never false. On s's
// own thread, on g0; cannot allocate.
bool semasleep(Sema* s, std::int64_t ns);

// semawakeup: increment the count, waking its thread if it waits. Any
// thread, any stack, signal handlers included (the delivery of a notified
// signal wakes through it): async-signal-safe, cannot allocate or lock.
void semawakeup(Sema* s);

// osyield: give up the CPU briefly (sched_yield). Any thread.
void osyield();

// newosproc: start a new OS thread running fn(arg) on a fresh system stack of
// stack_size bytes, with all signals blocked while it starts, and return a
// handle for joinosproc. Called on the system stack; may allocate (the thread
// library does). The thread ends when fn returns.
void* newosproc(void (*fn)(void*), void* arg, std::size_t stack_size);

// joinosproc: wait until the thread ends and release its handle. Called on
// the system stack by gort::run's teardown, once per thread.
void joinosproc(void* handle);

// detachosproc: the thread will never be joined; its resources go when it
// ends. Called once per thread instead of joinosproc (a run abandoned with
// the thread still inside a goroutine). Any stack; does not block.
void detachosproc(void* handle);

// exit: end the process with status code now, without running destructors
// or atexit handlers. Any thread, any stack.
[[noreturn]] void exit(int code);

// ---------------------------------------------------------------------------
// Signals. Core names signal numbers through os::sig (os/<os>/os_defs.hpp:
// SIGBUS is 7 on Linux, 10 on darwin and solaris); what else differs per OS
// (struct sigaction, siginfo_t, ucontext_t, the register file in a context)
// stays in the OS port, which hands core a SigInfo.

// SigStack: a thread's alternate signal stack as the OS reports it. flags
// holds the OS's own bits (SS_DISABLE, SS_AUTODISARM, ...) so that a stack
// gort found can be restored exactly.
struct SigStack {
  std::uintptr_t lo = 0;
  std::size_t size = 0;
  int flags = 0;
  bool enabled = false;  // an alternate stack is installed
};

// sigaltstack_get / sigaltstack_set: read or install the calling thread's
// alternate signal stack (set with enabled = false disables it; flags are
// passed through). Any thread, any stack, signal handlers included; cannot
// allocate, lock or block.
void sigaltstack_get(SigStack* out);
void sigaltstack_set(const SigStack& st);

// SigInfo: what core's handler needs of a signal, filled by the OS port's
// handler from siginfo_t and the context (sigctxt_<cpu>.hpp).
struct SigInfo {
  int sig = 0;
  bool sent = false;             // sent by a process (kill, tgkill, raise), not by a fault
  std::uintptr_t addr = 0;       // the faulting address (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP)
  std::uintptr_t pc = 0;         // the interrupted pc
  std::uintptr_t sp = 0;         // the interrupted sp
  std::uintptr_t lr = 0;         // the link register (0 where the CPU has none)
  void* ctx = nullptr;           // the OS's context (ucontext_t*), for sigctxt_regs
};

// SigHandler: core's handler. Runs on the thread's alternate signal stack
// with every signal blocked. Returns normally to resume the interrupted
// code.
using SigHandler = void (*)(const SigInfo& info, void* osinfo);

// setsig: install h for sig (SA_ONSTACK | SA_SIGINFO | SA_RESTART, every
// signal blocked while it runs). The disposition found there is kept for
// sigforward and restoresig, once: installing again keeps the first one.
// Returns false if the OS refuses (QEMU user-mode refuses some real-time
// signals). Not in a signal handler; does not allocate.
bool setsig(int sig, SigHandler h);

// restoresig: put back the disposition setsig found. Not in a handler.
void restoresig(int sig);

// SigPrev: what was installed for sig before gort (setsig's record, or the
// current disposition if gort never installed one).
enum class SigPrev { dfl, ign, handler };
SigPrev sigprevious(int sig);

// sigforward: hand a signal to the disposition setsig found, as the OS
// would have run it (one-argument or SA_SIGINFO form, its sa_mask blocked
// meanwhile, SA_RESETHAND honoured). Returns false if that disposition is
// the default action (the caller decides: usually dieFromSignal). In a
// signal handler; cannot allocate or lock.
bool sigforward(int sig, void* osinfo, void* ctx);

// diefromsignal: take sig's default action now: reset it to SIG_DFL,
// unblock it and send it to this thread. Returns only if the default
// action is to ignore it. In a signal handler; cannot allocate or lock.
void diefromsignal(int sig);

// signame: "SIGSEGV", ..., or nullptr for a number without a name. Any
// context.
const char* signame(int sig);

// sigctxt_regs: the interrupted registers by DWARF number (unwind.hpp):
// regs[i] with bit i set in known. In a signal handler.
void sigctxt_regs(void* ctx, std::uintptr_t* regs, std::uint64_t* known, int nregs);

// thread_id: the calling thread's OS id (for messages and tests). Any
// context.
long thread_id();

// ---------------------------------------------------------------------------
// CPU profiling (core/cpuprof.cpp): SIGPROF at a rate proportional to the
// CPU time each thread uses. Where the OS has per-thread CPU-time timers
// (Linux: timer_create on the thread's CPU clock with SIGEV_THREAD_ID),
// every busy thread is sampled; where it has only the process's interval
// timer (setitimer(ITIMER_PROF)), whichever thread the kernel picks is.

// ThreadClock: what profile_timer_start needs to aim a timer at a thread:
// its id and its CPU-time clock, read on the thread itself (minit).
struct ThreadClock {
  long tid = 0;
  std::intptr_t clock = 0;
  bool valid = false;
};
// thread_clock: the calling thread's. Called on the thread, not in a
// handler.
ThreadClock thread_clock();
// profile_per_thread: true if profile_timer_start works per thread; false
// if the OS port uses profile_process_start instead.
bool profile_per_thread();
// profile_timer_start: SIGPROF to thread t every 1/hz of its CPU time;
// returns a handle (nullptr on failure). Any thread, not in a handler.
void* profile_timer_start(const ThreadClock& t, int hz);
// profile_timer_stop: delete a timer profile_timer_start made.
void profile_timer_stop(void* timer);
// profile_process_start / stop: the process-wide alternative (setitimer).
void profile_process_start(int hz);
void profile_process_stop();

// Mapping: an executable mapping of a loaded object, for a profile's
// mapping table (pprof symbolizes addresses through them).
struct Mapping {
  std::uintptr_t start = 0, limit = 0, offset = 0;
  const char* path = nullptr;  // valid during the callback only
};
// for_each_mapping: call fn(m, arg) for each executable mapping backed by a
// file (Linux: and the vDSO), the main program's first. Goroutine or thread context (may
// allocate and read files), not in a handler.
void for_each_mapping(void (*fn)(const Mapping& m, void* arg), void* arg);

}  // namespace gort::os
