// sigctxt_amd64.hpp: x86-64 registers in a darwin signal context
// (uc_mcontext->__ss: struct __darwin_x86_thread_state64). DWARF numbers
// (System V psABI): rax 0, rdx 1, rcx 2, rbx 3, rsi 4, rdi 5, rbp 6, rsp 7,
// r8-r15 8-15, return address (rip) 16.
#pragma once

#include <sys/ucontext.h>

#include <cstdint>

namespace gort::os {

struct SigCtxt {
  // A load through a non-canonical address faults with SIGSEGV and
  // si_code 0, as if sent by kill (Go's signal_darwin_amd64.go, fixsigcode):
  // on this CPU a SIGSEGV with code 0 is taken as a fault.
  static constexpr bool kSegvCode0IsFault = true;

  ucontext_t* uc;
  explicit SigCtxt(void* c) : uc(static_cast<ucontext_t*>(c)) {}
  std::uintptr_t pc() const { return uc->uc_mcontext->__ss.__rip; }
  std::uintptr_t sp() const { return uc->uc_mcontext->__ss.__rsp; }
  std::uintptr_t lr() const { return 0; }
  void set_pc(std::uintptr_t v) { uc->uc_mcontext->__ss.__rip = v; }
  void set_sp(std::uintptr_t v) { uc->uc_mcontext->__ss.__rsp = v; }
  void dwarf_regs(std::uintptr_t* regs, std::uint64_t* known, int n) const {
    const auto& s = uc->uc_mcontext->__ss;
    const std::uint64_t r[17] = {s.__rax, s.__rdx, s.__rcx, s.__rbx, s.__rsi, s.__rdi, s.__rbp, s.__rsp, s.__r8,
                                 s.__r9,  s.__r10, s.__r11, s.__r12, s.__r13, s.__r14, s.__r15, s.__rip};
    for (int i = 0; i < 17; ++i) sigctxt_put(regs, known, n, i, r[i]);
  }
};

}  // namespace gort::os
