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

// protect_none: make [p, p+n) inaccessible (a guard page). System stack;
// cannot allocate.
void protect_none(void* p, std::size_t n);

// current_stack: bounds of the calling thread's own stack (the one the OS or
// pthreads gave it), for its g0. Called once per thread on that thread, before
// the runtime uses it; may allocate (it runs before the thread is adopted).
void current_stack(std::uintptr_t* lo, std::uintptr_t* hi);

// write_err: write all of [s, s+n) to standard error. Any thread, any stack,
// signal handlers included; cannot allocate, lock or block beyond write(2).
void write_err(const char* s, std::size_t n);

// exit: end the process with status code now, without running destructors
// or atexit handlers. Any thread, any stack.
[[noreturn]] void exit(int code);

}  // namespace gort::os
