// sigctxt_ppc64le.hpp: 64-bit Power registers in a Linux signal context
// (glibc's mcontext_t: gp_regs[0..31] are r0-r31, then the kernel's pt_regs
// order: nip 32, msr 33, orig_r3 34, ctr 35, link 36). DWARF numbers: r0-r31
// are 0-31 (r1 the stack pointer), lr 65 (the return-address column).
#pragma once

#include <ucontext.h>

#include <cstdint>

namespace gort::os {

struct SigCtxt {
  static constexpr int kNip = 32;   // PT_NIP
  static constexpr int kLink = 36;  // PT_LNK
  ucontext_t* uc;
  explicit SigCtxt(void* c) : uc(static_cast<ucontext_t*>(c)) {}
  std::uintptr_t pc() const { return uc->uc_mcontext.gp_regs[kNip]; }
  std::uintptr_t sp() const { return uc->uc_mcontext.gp_regs[1]; }
  std::uintptr_t lr() const { return uc->uc_mcontext.gp_regs[kLink]; }
  void set_pc(std::uintptr_t v) { uc->uc_mcontext.gp_regs[kNip] = v; }
  void set_sp(std::uintptr_t v) { uc->uc_mcontext.gp_regs[1] = v; }
  void dwarf_regs(std::uintptr_t* regs, std::uint64_t* known, int n) const {
    for (int i = 0; i < 32; ++i) sigctxt_put(regs, known, n, i, uc->uc_mcontext.gp_regs[i]);
    sigctxt_put(regs, known, n, 65, lr());
  }
};

}  // namespace gort::os
