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

// release_pages: tell the OS that [p, p+n) (page-aligned, inside a
// reservation) holds nothing worth keeping: it stops counting as resident
// and reads back as zeros, and touching it commits it again; guards in the
// range stay guards. Called by the scavenger on the system stack without
// runtime locks held; cannot allocate.
void release_pages(void* p, std::size_t n);

// resident_bytes: the process's resident set size (for mem_stats and
// tests). Any stack; cannot allocate.
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

// futexsleep: if *addr == val, sleep until futexwakeup(addr) or until ns
// nanoseconds pass (ns < 0: no limit); may also return spuriously. Any
// thread, on g0; cannot allocate. The OS port implements it with whatever
// one-word wait the OS has (futex on Linux, __ulock on darwin, lwp_park on
// solaris).
void futexsleep(std::uint32_t* addr, std::uint32_t val, std::int64_t ns);

// futexwakeup: wake up to cnt threads sleeping on addr. Any thread, any
// stack; cannot allocate.
void futexwakeup(std::uint32_t* addr, std::uint32_t cnt);

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

// exit: end the process with status code now, without running destructors
// or atexit handlers. Any thread, any stack.
[[noreturn]] void exit(int code);

}  // namespace gort::os
