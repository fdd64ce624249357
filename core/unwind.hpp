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
// checked against the stack bounds the cursor was given; every read of an
// unwind table stays inside its object's loaded segments.
//
// How a frame is unwound is the CPU port's choice of table format, made by
// file: DWARF CFI from .eh_frame (core/unwind_dwarf.cpp, the default), or
// ARM EHABI from .ARM.exidx/.ARM.extab (arch/arm/unwind_ehabi.cpp, where
// gort_arch.h defines GORT_UNWIND_EHABI). The table of loaded objects comes
// from the object format's reader (os/elf/elf_modules.cpp on ELF systems)
// over two OS hooks (os_objects.hpp). unwind_impl.hpp is the contract
// between these pieces.
//
// What a CPU port supplies (gort_arch.h): GORT_DWARF_NREGS (integer
// registers tracked, by DWARF number), GORT_DWARF_SP, GORT_DWARF_FP,
// GORT_DWARF_RA (the return-address column of the CFI), and
// GORT_GOBUF_DWARF(X): X(dwarf number, Gobuf offset) for every register a
// Gobuf saves, so a parked goroutine's frame can be rebuilt. Optional:
// GORT_DWARF_CFA_OFFSET, the CFA minus the caller's sp at the call, where
// the ABI defines the CFA elsewhere than at that sp (s390x: sp + 160); the
// DWARF strategy subtracts it where a frame leaves sp's rule unspecified.
//
// A walk:
//   UnwindCursor c;
//   unwind_from_gobuf(&c, gp->sched);   // or unwind_from_signal(&c, si)
//   add_stack_ranges(&c, gp);           // memory the walk may read
//   do { use(c.pc); } while (unwind_step(&c));
//   // c.stop says why it ended: UnwindStop::end is the clean end.
#pragma once

#include <cstddef>
#include <cstdint>

#include "os.hpp"
#include "port.hpp"

namespace gort::rt {

struct G;

#ifndef GORT_DWARF_CFA_OFFSET
#define GORT_DWARF_CFA_OFFSET 0  // the CFA is the caller's sp
#endif

inline constexpr int kUnwindRegs = GORT_DWARF_NREGS;
inline constexpr int kUnwindRanges = 16;
// A walk never takes more steps than this, whatever its caller asks.
inline constexpr int kUnwindMaxSteps = 4096;

static_assert(GORT_DWARF_SP < kUnwindRegs && GORT_DWARF_RA < kUnwindRegs && GORT_DWARF_FP < kUnwindRegs,
              "gort_arch.h: GORT_DWARF_SP/RA/FP must be below GORT_DWARF_NREGS");
static_assert(kUnwindRanges <= 32, "UnwindCursor::left is a 32-bit mask");

// StackRange: memory the unwinder may read as stack: [lo, hi).
struct StackRange {
  std::uintptr_t lo = 0;
  std::uintptr_t hi = 0;
};

// UnwindStop: why unwind_step returned false.
enum class UnwindStop : std::uint8_t {
  none,       // not stopped
  end,        // the end of the stack: undefined return address (goexit,
              // mcall's frame, a thread's first frame), EHABI cantunwind,
              // or a zero return address
  no_module,  // pc is in no loaded object (or unwind_init never ran)
  no_info,    // the object has no unwind entry for pc
  bad_table,  // the entry is malformed or uses what the unwinder does not
              // support (an unknown CFA instruction or DW_OP, ...)
  bad_read,   // a read fell outside the cursor's stack ranges
  bad_sp,     // sp did not move up (or went back to a stack already left)
  too_deep,   // kUnwindMaxSteps steps
};

// UnwindFrame: one frame: its pc and the registers known in it.
struct UnwindFrame {
  std::uintptr_t pc = 0;
  std::uintptr_t regs[kUnwindRegs] = {};
  std::uint64_t known[(kUnwindRegs + 63) / 64] = {};
  // exact: pc is the instruction that was interrupted (a signal), not a
  // return address; look up pc itself rather than pc - 1.
  bool exact = false;

  std::uintptr_t sp() const { return regs[GORT_DWARF_SP]; }
  bool has(int r) const { return r >= 0 && r < kUnwindRegs && (known[r / 64] >> (r % 64)) & 1; }
  void set(int r, std::uintptr_t v) {
    regs[r] = v;
    known[r / 64] |= std::uint64_t(1) << (r % 64);
  }
};

// UnwindCursor: a walk: the current frame, the stack memory the walk may
// read, and why it stopped.
struct UnwindCursor : UnwindFrame {
  UnwindStop stop = UnwindStop::none;
  StackRange ranges[kUnwindRanges] = {};
  int nranges = 0;
  // Walk state: ranges the walk has left (it never returns into one: a
  // stack switch only goes to an older stack) and steps taken.
  std::uint32_t left = 0;
  int steps = 0;

  void add_range(std::uintptr_t lo, std::uintptr_t hi) {
    if (lo >= hi) return;
    for (int i = 0; i < nranges; ++i)
      if (ranges[i].lo == lo && ranges[i].hi == hi) return;
    if (nranges < kUnwindRanges) ranges[nranges++] = StackRange{lo, hi};
  }
};

// unwind_from_signal: the interrupted frame of a signal (its registers from
// os::sigctxt_regs). The caller adds the stack ranges. Async-signal-safe.
void unwind_from_signal(UnwindCursor* c, const os::SigInfo& si);

// unwind_from_gobuf: the frame a parked context resumes in (buf->pc is a
// return address: gosave's or mcall's caller), with the registers the
// Gobuf saves (GORT_GOBUF_DWARF). Async-signal-safe.
void unwind_from_gobuf(UnwindCursor* c, const Gobuf& buf);

// add_stack_ranges: the stack memory of gp: its current stack or segment,
// each morestack segment in gp->segments and the bounds it returns to, and
// its own stack. Async-signal-safe; gp must be stopped (parked, or
// interrupted on this thread): its segment chain is read without a lock.
void add_stack_ranges(UnwindCursor* c, const G* gp);

// unwind_step: move c to the caller's frame. false at the end of the stack
// (goexit, mcall's frame on g0, a thread's first frame: the return-address
// rule is undefined) or when the frame cannot be unwound (no unwind info
// for pc, a read outside the cursor's ranges, sp not moving up); c->stop
// says which, and c is left at the last good frame.
// Async-signal-safe; allocates nothing, takes no lock.
bool unwind_step(UnwindCursor* c);

// symbolize: the (mangled) name of the function holding pc and pc's offset
// from its start; false if no symbol covers pc. Async-signal-safe.
bool symbolize(std::uintptr_t pc, const char** name, std::uintptr_t* offset);

// unwind_init: build the table of loaded objects (their unwind tables and
// symbol tables). Called at the start of every gort::run, outside any
// signal handler; may allocate and lock. Objects loaded later (dlopen) are
// unknown until the next call: their frames end a walk. A handler on
// another thread may be reading the previous table meanwhile: it stays
// valid (see unwind.cpp).
void unwind_init();

}  // namespace gort::rt
