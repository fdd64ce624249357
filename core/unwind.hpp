// unwind.hpp: gort's own stack unwinder and symbolizer, for crash reports,
// SIGQUIT dumps and the CPU profiler: code that runs in signal handlers.
//
// Why not libgcc's _Unwind_Backtrace: it may take a mutex (libgcc's
// object_mutex when frame info was registered, as in static binaries; the
// loader's lock through dl_iterate_phdr) and allocate (sorting the FDEs of
// an object on first use). In a handler that interrupted the same code on
// the same thread, that is a deadlock or a corrupted heap. This unwinder
// never allocates or locks: the table of loaded objects is built once,
// outside any handler (unwind_init), and every read of stack memory is
// checked against the stack bounds the cursor was given.
//
// What a CPU port supplies (gort_arch.h): GORT_DWARF_NREGS (integer
// registers tracked, by DWARF number), GORT_DWARF_SP, GORT_DWARF_FP,
// GORT_DWARF_RA (the return-address column of the CFI), and
// GORT_GOBUF_DWARF(X): X(dwarf number, Gobuf offset) for every register a
// Gobuf saves, so a parked goroutine's frame can be rebuilt.
#pragma once

#include <cstddef>
#include <cstdint>

#include "os.hpp"
#include "port.hpp"

namespace gort::rt {

struct G;

inline constexpr int kUnwindRegs = GORT_DWARF_NREGS;
inline constexpr int kUnwindRanges = 8;

// StackRange: memory the unwinder may read as stack: [lo, hi).
struct StackRange {
  std::uintptr_t lo = 0;
  std::uintptr_t hi = 0;
};

// UnwindCursor: one frame: its pc and the registers known in it.
struct UnwindCursor {
  std::uintptr_t pc = 0;
  std::uintptr_t regs[kUnwindRegs] = {};
  std::uint64_t known[(kUnwindRegs + 63) / 64] = {};
  // exact: pc is the instruction that was interrupted (a signal), not a
  // return address; look up pc itself rather than pc - 1.
  bool exact = false;
  StackRange ranges[kUnwindRanges] = {};
  int nranges = 0;

  std::uintptr_t sp() const { return regs[GORT_DWARF_SP]; }
  bool has(int r) const { return r < kUnwindRegs && (known[r / 64] >> (r % 64)) & 1; }
  void set(int r, std::uintptr_t v) {
    regs[r] = v;
    known[r / 64] |= std::uint64_t(1) << (r % 64);
  }
  void add_range(std::uintptr_t lo, std::uintptr_t hi) {
    if (nranges < kUnwindRanges && lo < hi) ranges[nranges++] = StackRange{lo, hi};
  }
};

// unwind_from_signal: the interrupted frame of a signal (its registers from
// os::sigctxt_regs). The caller adds the stack ranges.
void unwind_from_signal(UnwindCursor* c, const os::SigInfo& si);

// unwind_from_gobuf: the frame a parked context resumes in (buf->pc is a
// return address: gosave's or mcall's caller).
void unwind_from_gobuf(UnwindCursor* c, const Gobuf& buf);

// add_stack_ranges: the stack memory of gp: its current stack or segment,
// the stacks its morestack segments return to, and its own stack.
void add_stack_ranges(UnwindCursor* c, const G* gp);

// unwind_step: move c to the caller's frame. false at the end of the stack
// (goexit, mcall's frame on g0, a thread's first frame: the return-address
// rule is undefined) or when the frame cannot be unwound (no unwind info
// for pc, a read outside the cursor's ranges, sp not moving up).
// Async-signal-safe; allocates nothing, takes no lock.
bool unwind_step(UnwindCursor* c);

// symbolize: the (mangled) name of the function holding pc and pc's offset
// from its start; false if no symbol covers pc. Async-signal-safe.
bool symbolize(std::uintptr_t pc, const char** name, std::uintptr_t* offset);

// unwind_init: build the table of loaded objects (their unwind tables and
// symbol tables). Called at the start of every gort::run, outside any
// signal handler; may allocate and lock. Objects loaded later (dlopen) are
// unknown until the next call: their frames end a walk.
void unwind_init();

}  // namespace gort::rt
