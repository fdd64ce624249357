// sigctxt_arm64.hpp: AArch64 registers in a Linux signal context (struct
// sigcontext: regs[31], sp, pc). DWARF numbers: x0-x30 are 0-30 (x29 the
// frame pointer, x30 the link register and return-address column), sp 31.
#pragma once

#include <ucontext.h>

#include <cstdint>

namespace gort::os {

struct SigCtxt {
  ucontext_t* uc;
  explicit SigCtxt(void* c) : uc(static_cast<ucontext_t*>(c)) {}
  std::uintptr_t pc() const { return uc->uc_mcontext.pc; }
  std::uintptr_t sp() const { return uc->uc_mcontext.sp; }
  std::uintptr_t lr() const { return uc->uc_mcontext.regs[30]; }
  void set_pc(std::uintptr_t v) { uc->uc_mcontext.pc = v; }
  void set_sp(std::uintptr_t v) { uc->uc_mcontext.sp = v; }
  void dwarf_regs(std::uintptr_t* regs, std::uint64_t* known, int n) const {
    for (int i = 0; i < 31; ++i) sigctxt_put(regs, known, n, i, uc->uc_mcontext.regs[i]);
    sigctxt_put(regs, known, n, 31, sp());
  }
};

}  // namespace gort::os
