// sigctxt_amd64.hpp: amd64 registers in a Linux signal context.
// DWARF numbers (System V psABI): rax 0, rdx 1, rcx 2, rbx 3, rsi 4, rdi 5,
// rbp 6, rsp 7, r8-r15 8-15, return address (rip) 16.
#pragma once

#include <ucontext.h>

#include <cstdint>

namespace gort::os {

struct SigCtxt {
  ucontext_t* uc;
  explicit SigCtxt(void* c) : uc(static_cast<ucontext_t*>(c)) {}
  std::uintptr_t reg(int r) const { return static_cast<std::uintptr_t>(uc->uc_mcontext.gregs[r]); }
  std::uintptr_t pc() const { return reg(REG_RIP); }
  std::uintptr_t sp() const { return reg(REG_RSP); }
  std::uintptr_t lr() const { return 0; }
  void set_pc(std::uintptr_t v) { uc->uc_mcontext.gregs[REG_RIP] = static_cast<greg_t>(v); }
  void set_sp(std::uintptr_t v) { uc->uc_mcontext.gregs[REG_RSP] = static_cast<greg_t>(v); }
  void dwarf_regs(std::uintptr_t* regs, std::uint64_t* known, int n) const {
    static constexpr int kGreg[16] = {REG_RAX, REG_RDX, REG_RCX, REG_RBX, REG_RSI, REG_RDI, REG_RBP, REG_RSP,
                                      REG_R8,  REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15};
    for (int i = 0; i < 16; ++i) sigctxt_put(regs, known, n, i, reg(kGreg[i]));
    sigctxt_put(regs, known, n, 16, pc());
  }
};

}  // namespace gort::os
