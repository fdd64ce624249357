// unwind_fp.cpp: the frame-pointer strategy of gort's unwinder
// (unwind_impl.hpp): a frame's caller from the chain of frame records. On a
// CPU whose gort_arch.h defines GORT_FP_RECORD, the frame pointer of a
// function that made a record addresses {the caller's frame pointer, the
// return address}; the caller's sp at the call is at least two words above
// it (exactly there on amd64 and where the record tops the frame).
//
// Why darwin walks frame pointers and not DWARF CFI (the decision for the
// Mach-O default, cmake/gort_target.cmake):
//   - Both of darwin's ABIs keep the chain: Apple's arm64 ABI requires x29
//     to address a valid frame record at all times, and Apple's compilers
//     keep rbp as the frame pointer on x86-64; libSystem is built so.
//   - __eh_frame is mostly absent: Apple's linkers (ld64, and zig's) turn
//     each function's CFI into a compact-unwind entry in __unwind_info and
//     keep the DWARF FDE only for the few functions compact unwind cannot
//     describe. A DWARF walk would stop at the first frame without one.
// Rejected:
//   - DWARF from __eh_frame: the FDEs are missing, as above.
//   - A compact-unwind (__unwind_info) reader: a second table format to
//     parse in a signal handler for what the chain already gives; compact
//     unwind describes a frame only after its prologue, so it is no more
//     exact than the chain in prologues and epilogues. The next step if
//     code built without frame pointers must be crossed.
//   - libunwind's unw_step or backtrace(3): not documented
//     async-signal-safe, and neither walks another goroutine's stack from
//     its Gobuf.
//
// What it cannot see (a frame-pointer walk's limits, as in any sampler
// that walks the chain): a function interrupted before its prologue made
// the record, or after its epilogue removed it, or a leaf that makes none
// (arm64 leaves may keep the return address in lr only), is listed
// (its pc is exact) but its caller is not; code built without frame
// pointers (-fomit-frame-pointer, glibc on Linux) ends the walk or skips
// frames, safely: every read is checked against the cursor's stack ranges,
// and unwind_step's sp rules stop a chain that does not move up. gort
// asks for frame pointers in user code too (a usage requirement of
// gort::gort: -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer).
//
// The end of a stack: gostartcall and mcall zero the frame pointer, so the
// chain ends in gort_goexit and in mcall's callee with a record whose
// saved frame pointer is 0, where DWARF ends through .cfi_undefined;
// morestack and systemstack make a record on the old stack, so the chain
// crosses back to it.
#include "unwind_impl.hpp"

#if !defined(GORT_FP_RECORD)
#error "core/unwind_fp.cpp needs GORT_FP_RECORD in gort_arch.h: this CPU's frame records are not {fp, ra}"
#endif

namespace gort::rt::unw {

// Nothing to index: the walk reads the stack only.
void frame_prepare(Module&) {}

// In handlers: two checked stack reads.
UnwindStop frame_step(const Module&, std::uintptr_t, const UnwindCursor& cur, UnwindFrame* out) {
  if (!cur.has(GORT_DWARF_FP)) return UnwindStop::no_info;
  std::uintptr_t fp = cur.regs[GORT_DWARF_FP];
  if (fp == 0) return UnwindStop::end;  // goexit, mcall's callee, a thread's first frame
  if (fp % sizeof(std::uintptr_t) != 0) return UnwindStop::bad_read;
  std::uintptr_t rec[2];
  if (!read_stack(cur, fp, rec, sizeof rec)) return UnwindStop::bad_read;
  std::uintptr_t pc = rec[1];
#ifdef GORT_DWARF_PAC_VA_BITS
  // A signed return address (arm64e, -mbranch-protection): user addresses
  // have their high bits clear, so stripping them is always right.
  pc &= (std::uintptr_t(1) << GORT_DWARF_PAC_VA_BITS) - 1;
#endif
  // The caller's registers: only its frame pointer and sp are known (the
  // record holds no others).
  *out = UnwindFrame{};
  out->set(GORT_DWARF_FP, rec[0]);
  out->set(GORT_DWARF_SP, fp + 2 * sizeof(std::uintptr_t));
  out->pc = pc;
  out->exact = false;
  return UnwindStop::none;
}

}  // namespace gort::rt::unw
