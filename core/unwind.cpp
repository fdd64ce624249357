// unwind.cpp: PLACEHOLDER until the DWARF unwinder lands: one frame only.
#include "unwind.hpp"

#include "runtime.hpp"

namespace gort::rt {

void unwind_from_signal(UnwindCursor* c, const os::SigInfo& si) {
  os::sigctxt_regs(si.ctx, c->regs, c->known, kUnwindRegs);
  c->pc = si.pc;
  c->exact = true;
}

void unwind_from_gobuf(UnwindCursor* c, const Gobuf& buf) {
  c->pc = buf.pc;
  c->set(GORT_DWARF_SP, buf.sp);
}

void add_stack_ranges(UnwindCursor* c, const G* gp) {
  if (gp == nullptr) return;
  c->add_range(gp->stack_lo, gp->stack_hi);
}

bool unwind_step(UnwindCursor*) { return false; }

bool symbolize(std::uintptr_t, const char**, std::uintptr_t*) { return false; }

void unwind_init() {}

}  // namespace gort::rt
