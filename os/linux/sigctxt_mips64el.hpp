// sigctxt_mips64el.hpp: MIPS n64 registers in a Linux signal context
// (glibc's mcontext_t, the kernel's struct sigcontext: pc, then gregs[0..31]
// for $0-$31). DWARF numbers: $0-$31 are 0-31 (sp 29, fp/s8 30, ra 31).
#pragma once

#include <ucontext.h>

#include <cstdint>

namespace gort::os {

struct SigCtxt {
  ucontext_t* uc;
  explicit SigCtxt(void* c) : uc(static_cast<ucontext_t*>(c)) {}
  std::uintptr_t pc() const { return uc->uc_mcontext.pc; }
  std::uintptr_t sp() const { return uc->uc_mcontext.gregs[29]; }
  std::uintptr_t lr() const { return uc->uc_mcontext.gregs[31]; }
  void set_pc(std::uintptr_t v) { uc->uc_mcontext.pc = v; }
  void set_sp(std::uintptr_t v) { uc->uc_mcontext.gregs[29] = v; }
  void dwarf_regs(std::uintptr_t* regs, std::uint64_t* known, int n) const {
    for (int i = 0; i < 32; ++i) sigctxt_put(regs, known, n, i, uc->uc_mcontext.gregs[i]);
  }
};

}  // namespace gort::os
