// sigctxt_mipsel.hpp: MIPS o32 registers in a Linux signal context
// (glibc's mcontext_t, the kernel's o32 struct sigcontext: regmask, status,
// pc, then gregs[0..31] for $0-$31, each a 64-bit slot whose low word is the
// register). DWARF numbers: $0-$31 are 0-31 (sp 29, fp/s8 30, ra 31).
#pragma once

#include <ucontext.h>

#include <cstdint>

namespace gort::os {

struct SigCtxt {
  ucontext_t* uc;
  explicit SigCtxt(void* c) : uc(static_cast<ucontext_t*>(c)) {}
  std::uintptr_t pc() const { return static_cast<std::uintptr_t>(uc->uc_mcontext.pc); }
  std::uintptr_t sp() const { return static_cast<std::uintptr_t>(uc->uc_mcontext.gregs[29]); }
  std::uintptr_t lr() const { return static_cast<std::uintptr_t>(uc->uc_mcontext.gregs[31]); }
  // Sign-extended, as the kernel keeps 32-bit registers in the 64-bit slots.
  void set_pc(std::uintptr_t v) { uc->uc_mcontext.pc = static_cast<std::int32_t>(v); }
  void set_sp(std::uintptr_t v) { uc->uc_mcontext.gregs[29] = static_cast<std::int32_t>(v); }
  void dwarf_regs(std::uintptr_t* regs, std::uint64_t* known, int n) const {
    for (int i = 0; i < 32; ++i)
      sigctxt_put(regs, known, n, i, static_cast<std::uintptr_t>(uc->uc_mcontext.gregs[i]));
  }
};

}  // namespace gort::os
