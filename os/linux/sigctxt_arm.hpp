// sigctxt_arm.hpp: ARMv7 registers in a Linux signal context (struct
// sigcontext: arm_r0..arm_r10, arm_fp (r11), arm_ip (r12), arm_sp, arm_lr,
// arm_pc). DWARF numbers: r0-r15 are 0-15 (sp 13, lr 14, pc 15).
#pragma once

#include <ucontext.h>

#include <cstdint>

namespace gort::os {

struct SigCtxt {
  ucontext_t* uc;
  explicit SigCtxt(void* c) : uc(static_cast<ucontext_t*>(c)) {}
  std::uintptr_t pc() const { return uc->uc_mcontext.arm_pc; }
  std::uintptr_t sp() const { return uc->uc_mcontext.arm_sp; }
  std::uintptr_t lr() const { return uc->uc_mcontext.arm_lr; }
  void set_pc(std::uintptr_t v) { uc->uc_mcontext.arm_pc = v; }
  void set_sp(std::uintptr_t v) { uc->uc_mcontext.arm_sp = v; }
  void dwarf_regs(std::uintptr_t* regs, std::uint64_t* known, int n) const {
    // r0..r15 are consecutive unsigned longs in struct sigcontext.
    const unsigned long* r = &uc->uc_mcontext.arm_r0;
    for (int i = 0; i < 16; ++i) sigctxt_put(regs, known, n, i, r[i]);
  }
};
static_assert(offsetof(mcontext_t, arm_pc) - offsetof(mcontext_t, arm_r0) == 15 * sizeof(unsigned long),
              "struct sigcontext: arm_r0..arm_pc are not consecutive");

}  // namespace gort::os
