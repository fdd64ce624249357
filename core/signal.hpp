// signal.hpp: signal handling inside the runtime (signal.cpp, sigqueue.cpp,
// traceback.cpp).
#pragma once

#include <cstdint>

#include "os.hpp"

namespace gort::rt {

struct G;
struct M;
struct Sched;
struct UnwindCursor;

// GORTTRACEBACK=none|single|all (Go's GOTRACEBACK): what a fatal signal
// prints besides its message. single (the default): the failing
// goroutine's traceback and a line for every other goroutine; all: every
// goroutine's traceback; none: the message only.
enum class Traceback { none, single, all };
Traceback traceback_mode();

// is_fault: sig is one of the synchronous faults gort reports (SIGSEGV,
// SIGBUS, SIGFPE, SIGILL, SIGTRAP). Any context.
bool is_fault(int sig);

// traceback_owns_sigquit: gort installed its SIGQUIT dump (nothing else
// handled SIGQUIT before).
bool traceback_owns_sigquit();

// initsig: install gort's handler for the signals it owns (once per
// process; at the first gort::run).
void initsig();
// sighandler: core's handler (see signal.cpp). Async-signal-safe.
void sighandler(const os::SigInfo& si, void* osinfo);

// minit / unminit: set up and take down the calling thread's signal stack
// for its M (gsignal), adopting and restoring one foreign code installed.
// On the thread, on its system stack; minit may allocate (once per M).
void minit(M* mp);
void unminit(M* mp);

// print_frames: symbolized frames from c to the end of the stack (at most
// 100). Async-signal-safe.
void print_frames(UnwindCursor* c);
// print_all_goroutines: every goroutine of s but skip: a line each, or
// (full) a header and its traceback. A racy walk, as Go's: for the dying.
void print_all_goroutines(Sched* s, G* skip, bool full);

// sigqueue_record: if a program asked for sig (gort::signal::notify),
// count it for the delivery goroutine and wake it; true if so. Any thread,
// in a signal handler: lock-free, allocation-free.
bool sigqueue_record(int sig);
// sigqueue_stop: the run is ending: wake the delivery goroutine so it
// leaves (maindone).
void sigqueue_stop(Sched& s);
// sigqueue_teardown: forget s's registrations (their channels are
// released) and restore the dispositions only notify wanted.
void sigqueue_teardown(Sched& s);

// in_signal_handler: the calling thread is inside gort's handler (a test's
// malloc interposer aborts then). Async-signal-safe.
bool in_signal_handler();

// sigstacks_live: signal stacks minit took from the stack allocator and
// unminit has not given back (they count in stack_stats).
std::int64_t sigstacks_live();

// last_handler_sp: a frame address inside the last handler run (tests
// check it lies on the alternate stack).
std::uintptr_t last_handler_sp();

}  // namespace gort::rt
