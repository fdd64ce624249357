// sigctxt_arm64.hpp: AArch64 registers in a darwin signal context
// (uc_mcontext->__ss: struct __darwin_arm_thread_state64: __x[29], fp, lr,
// sp, pc). Read through the SDK's accessor macros: on arm64e, or with
// __DARWIN_OPAQUE_ARM_THREAD_STATE64, fp/lr/sp/pc are opaque (signed)
// pointers. DWARF numbers: x0-x30 are 0-30 (x29 fp, x30 lr and the
// return-address column), sp 31.
#pragma once

#include <sys/ucontext.h>

#include <cstdint>

namespace gort::os {

struct SigCtxt {
  static constexpr bool kSegvCode0IsFault = false;

  ucontext_t* uc;
  explicit SigCtxt(void* c) : uc(static_cast<ucontext_t*>(c)) {}
  std::uintptr_t pc() const { return __darwin_arm_thread_state64_get_pc(uc->uc_mcontext->__ss); }
  std::uintptr_t sp() const { return __darwin_arm_thread_state64_get_sp(uc->uc_mcontext->__ss); }
  std::uintptr_t lr() const { return __darwin_arm_thread_state64_get_lr(uc->uc_mcontext->__ss); }
  void set_pc(std::uintptr_t v) {
    __darwin_arm_thread_state64_set_pc_fptr(uc->uc_mcontext->__ss, reinterpret_cast<void*>(v));
  }
  void set_sp(std::uintptr_t v) { __darwin_arm_thread_state64_set_sp(uc->uc_mcontext->__ss, v); }
  void dwarf_regs(std::uintptr_t* regs, std::uint64_t* known, int n) const {
    const auto& s = uc->uc_mcontext->__ss;
    for (int i = 0; i < 29; ++i) sigctxt_put(regs, known, n, i, s.__x[i]);
    sigctxt_put(regs, known, n, 29, __darwin_arm_thread_state64_get_fp(s));
    sigctxt_put(regs, known, n, 30, lr());
    sigctxt_put(regs, known, n, 31, sp());
  }
};

}  // namespace gort::os
