// sigctxt_s390x.hpp: z/Architecture registers in a Linux signal context
// (mcontext_t: psw.addr is the pc, gregs[0..15] are r0-r15; r15 the stack
// pointer, r14 the return address). DWARF numbers: r0-r15 are 0-15 (r14
// the return-address column); f0-f15 follow as 16-31, which the unwinder
// does not track.
#pragma once

#include <ucontext.h>

#include <cstdint>

namespace gort::os {

struct SigCtxt {
  ucontext_t* uc;
  explicit SigCtxt(void* c) : uc(static_cast<ucontext_t*>(c)) {}
  std::uintptr_t pc() const { return uc->uc_mcontext.psw.addr; }
  std::uintptr_t sp() const { return uc->uc_mcontext.gregs[15]; }
  std::uintptr_t lr() const { return uc->uc_mcontext.gregs[14]; }
  void set_pc(std::uintptr_t v) { uc->uc_mcontext.psw.addr = v; }
  void set_sp(std::uintptr_t v) { uc->uc_mcontext.gregs[15] = v; }
  void dwarf_regs(std::uintptr_t* regs, std::uint64_t* known, int n) const {
    for (int i = 0; i < 16; ++i) sigctxt_put(regs, known, n, i, uc->uc_mcontext.gregs[i]);
  }
};

}  // namespace gort::os
