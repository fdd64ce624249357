// sigctxt_riscv64.hpp: RV64 registers in a Linux signal context (glibc's
// mcontext_t: __gregs[0] is pc, __gregs[1..31] are x1..x31). DWARF numbers:
// x0-x31 are 0-31 (ra 1, the return-address column; sp 2; s0/fp 8).
#pragma once

#include <ucontext.h>

#include <cstdint>

namespace gort::os {

struct SigCtxt {
  ucontext_t* uc;
  explicit SigCtxt(void* c) : uc(static_cast<ucontext_t*>(c)) {}
  std::uintptr_t pc() const { return uc->uc_mcontext.__gregs[0]; }
  std::uintptr_t sp() const { return uc->uc_mcontext.__gregs[2]; }
  std::uintptr_t lr() const { return uc->uc_mcontext.__gregs[1]; }
  void set_pc(std::uintptr_t v) { uc->uc_mcontext.__gregs[0] = v; }
  void set_sp(std::uintptr_t v) { uc->uc_mcontext.__gregs[2] = v; }
  void dwarf_regs(std::uintptr_t* regs, std::uint64_t* known, int n) const {
    sigctxt_put(regs, known, n, 0, 0);  // x0 is zero
    for (int i = 1; i < 32; ++i) sigctxt_put(regs, known, n, i, uc->uc_mcontext.__gregs[i]);
  }
};

}  // namespace gort::os
