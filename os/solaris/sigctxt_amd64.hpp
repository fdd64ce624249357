// sigctxt_amd64.hpp: amd64 registers in an illumos signal context.
// uc_mcontext.gregs (gregset_t, 28 longs, <sys/regset.h>) is indexed by
// REG_R15 0 ... REG_RAX 14, REG_TRAPNO 15, REG_ERR 16, REG_RIP 17, REG_CS 18,
// REG_RFL 19, REG_RSP 20, ... (Linux's REG_* order differs). DWARF numbers
// (System V psABI): rax 0, rdx 1, rcx 2, rbx 3, rsi 4, rdi 5, rbp 6, rsp 7,
// r8-r15 8-15, return address (rip) 16.
#pragma once

#include <cstddef>
#include <cstdint>

#include "defs_solaris.hpp"

namespace gort::os {

namespace sol {
inline constexpr int kREG_R15 = 0, kREG_R14 = 1, kREG_R13 = 2, kREG_R12 = 3, kREG_R11 = 4, kREG_R10 = 5,
                     kREG_R9 = 6, kREG_R8 = 7, kREG_RDI = 8, kREG_RSI = 9, kREG_RBP = 10, kREG_RBX = 11,
                     kREG_RDX = 12, kREG_RCX = 13, kREG_RAX = 14, kREG_TRAPNO = 15, kREG_ERR = 16,
                     kREG_RIP = 17, kREG_CS = 18, kREG_RFL = 19, kREG_RSP = 20, kNGREG = 28;

// ucontext_t with its machine context: mcontext_t is {gregset_t gregs;
// fpregset_t fpregs;}, 16-byte aligned by the FP registers' upad128_t.
struct Ucontext {
  UcontextHead head;
  alignas(16) long gregs[kNGREG];
};
static_assert(offsetof(Ucontext, gregs) == kUcMcontext, "uc_mcontext.gregs at 64 (Go's defs_solaris_amd64)");
}  // namespace sol

struct SigCtxt {
  sol::Ucontext* uc;
  explicit SigCtxt(void* c) : uc(static_cast<sol::Ucontext*>(c)) {}
  std::uintptr_t reg(int r) const { return static_cast<std::uintptr_t>(uc->gregs[r]); }
  std::uintptr_t pc() const { return reg(sol::kREG_RIP); }
  std::uintptr_t sp() const { return reg(sol::kREG_RSP); }
  std::uintptr_t lr() const { return 0; }
  void set_pc(std::uintptr_t v) { uc->gregs[sol::kREG_RIP] = static_cast<long>(v); }
  void set_sp(std::uintptr_t v) { uc->gregs[sol::kREG_RSP] = static_cast<long>(v); }
  const sol::Sigset& sigmask() const { return uc->head.uc_sigmask; }
  void dwarf_regs(std::uintptr_t* regs, std::uint64_t* known, int n) const {
    static constexpr int kGreg[16] = {sol::kREG_RAX, sol::kREG_RDX, sol::kREG_RCX, sol::kREG_RBX,
                                      sol::kREG_RSI, sol::kREG_RDI, sol::kREG_RBP, sol::kREG_RSP,
                                      sol::kREG_R8,  sol::kREG_R9,  sol::kREG_R10, sol::kREG_R11,
                                      sol::kREG_R12, sol::kREG_R13, sol::kREG_R14, sol::kREG_R15};
    for (int i = 0; i < 16; ++i) sigctxt_put(regs, known, n, i, reg(kGreg[i]));
    sigctxt_put(regs, known, n, 16, pc());
  }
};

}  // namespace gort::os
