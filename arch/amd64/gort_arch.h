// gort_arch.h (amd64): layout facts for the System V AMD64 ABI port.
// Shared by C++ and asm_amd64.S / testhelp_amd64.S; every offset the
// assembly uses is checked against the C++ layout below.
#ifndef GORT_ARCH_H
#define GORT_ARCH_H

#define GORT_ARCH_NAME "amd64"
#define GORT_PTRSIZE 8
#define GORT_STACK_ALIGN 16  // rsp % 16 == 0 at every call instruction
#define GORT_RA_ON_STACK 8   // call pushes the return address
#define GORT_RED_ZONE 128
#define GORT_MIN_FRAME 0

// Gobuf: sp, pc, ctxt, then the callee-saved area:
//
//   +0  sp     +8  pc     +16 ctxt
//   +24 rbx    +32 rbp    +40 r12    +48 r13    +56 r14    +64 r15
//   +72 mxcsr (4 bytes)   +76 x87 control word (2 bytes, 2 of padding)
#define GOBUF_SP 0
#define GOBUF_PC 8
#define GOBUF_CTXT 16
#define GOBUF_REGS 24
#define GOBUF_RBX 24
#define GOBUF_RBP 32
#define GOBUF_R12 40
#define GOBUF_R13 48
#define GOBUF_R14 56
#define GOBUF_R15 64
#define GOBUF_MXCSR 72
#define GOBUF_X87CW 76

// Test helpers (testhelp_amd64.S): rbx rbp r12-r15; no callee-saved XMM in
// this ABI; return registers rax rdx xmm0 xmm1 (low halves) and x87 st0.
#define GORT_TEST_NINT 6
#define GORT_TEST_NFP 0
#define GORT_TEST_NRET 5

// DWARF register numbers for gort's unwinder (core/unwind.hpp), System V
// AMD64 psABI table 3.36: rax 0, rdx 1, rcx 2, rbx 3, rsi 4, rdi 5, rbp 6,
// rsp 7, r8-r15 8-15, return address (rip) 16: integer registers tracked,
// sp, the frame pointer, the return-address column.
#define GORT_DWARF_NREGS 17
#define GORT_DWARF_SP 7
#define GORT_DWARF_FP 6
#define GORT_DWARF_RA 16

// GORT_GOBUF_DWARF(X): X(DWARF number, Gobuf offset) for every integer
// register a Gobuf saves (the unwinder rebuilds a parked G's frame from it;
// sp and pc are Gobuf's own fields). pc is also the RA column's value.
#define GORT_GOBUF_DWARF(X) \
  X(3, GOBUF_RBX) X(6, GOBUF_RBP) X(12, GOBUF_R12) X(13, GOBUF_R13) X(14, GOBUF_R14) X(15, GOBUF_R15)

#ifndef __ASSEMBLER__
#include <cstddef>
#include <cstdint>
namespace gort_arch {
struct Regs {
  std::uint64_t rbx, rbp, r12, r13, r14, r15;
  std::uint32_t mxcsr;
  std::uint16_t x87cw, pad;
};
#define GORT_REG_AT(f, off) \
  static_assert(GOBUF_REGS + offsetof(Regs, f) == (off), #off)
GORT_REG_AT(rbx, GOBUF_RBX);
GORT_REG_AT(rbp, GOBUF_RBP);
GORT_REG_AT(r12, GOBUF_R12);
GORT_REG_AT(r13, GOBUF_R13);
GORT_REG_AT(r14, GOBUF_R14);
GORT_REG_AT(r15, GOBUF_R15);
GORT_REG_AT(mxcsr, GOBUF_MXCSR);
GORT_REG_AT(x87cw, GOBUF_X87CW);
#undef GORT_REG_AT
}  // namespace gort_arch
#endif

#endif
