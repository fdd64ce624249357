// sigctxt_386.hpp: i386 registers in a Linux signal context.
// DWARF numbers (i386 psABI): eax 0, ecx 1, edx 2, ebx 3, esp 4, ebp 5,
// esi 6, edi 7, return address (eip) 8.
#pragma once

#include <ucontext.h>

#include <cstdint>

namespace gort::os {

struct SigCtxt {
  ucontext_t* uc;
  explicit SigCtxt(void* c) : uc(static_cast<ucontext_t*>(c)) {}
  std::uintptr_t reg(int r) const { return static_cast<std::uintptr_t>(uc->uc_mcontext.gregs[r]); }
  std::uintptr_t pc() const { return reg(REG_EIP); }
  std::uintptr_t sp() const { return reg(REG_ESP); }
  std::uintptr_t lr() const { return 0; }
  void set_pc(std::uintptr_t v) { uc->uc_mcontext.gregs[REG_EIP] = static_cast<greg_t>(v); }
  void set_sp(std::uintptr_t v) { uc->uc_mcontext.gregs[REG_ESP] = static_cast<greg_t>(v); }
  void dwarf_regs(std::uintptr_t* regs, std::uint64_t* known, int n) const {
    static constexpr int kGreg[8] = {REG_EAX, REG_ECX, REG_EDX, REG_EBX, REG_ESP, REG_EBP, REG_ESI, REG_EDI};
    for (int i = 0; i < 8; ++i) sigctxt_put(regs, known, n, i, reg(kGreg[i]));
    sigctxt_put(regs, known, n, 8, pc());
  }
};

}  // namespace gort::os
