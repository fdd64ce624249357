// gort_arch.h (s390x): layout facts for z/Architecture, the s390x ELF ABI
// (Linux). Big-endian. Shared by C++ and asm_s390x.S / testhelp_s390x.S;
// every offset the assembly uses is checked against the C++ layout below.
#ifndef GORT_ARCH_H
#define GORT_ARCH_H

#define GORT_ARCH_NAME "s390x"
#define GORT_PTRSIZE 8
#define GORT_STACK_ALIGN 8  // the ABI's frame alignment; GCC keeps no more
#define GORT_RA_ON_STACK 0  // brasl/basr leave the return address in r14
#define GORT_RED_ZONE 0
// The register save area every caller provides at r15: 160 bytes, of which
// the callee may write all but the first doubleword (the back chain, which
// the ABI preserves across calls). GCC's callees store r6-r15 at +48.
#define GORT_MIN_FRAME 160

// Gobuf: sp, pc, ctxt, then the callee-saved area, one 8-byte slot each,
// r6-r14 in stmg/lmg order:
//
//   +0   sp (r15)  +8   pc   +16  ctxt
//   +24  r6   +32  r7   +40  r8   +48  r9   +56  r10  +64  r11 (fp)
//   +72  r12  +80  r13  +88  r14 (the return address, as lr)
//   +96  f8   +104 f9  ... +152 f15
//   +160 fpc (the 32-bit register in the slot's low word: bytes 164-167,
//        as efpc/stg leave it; big-endian)
#define GOBUF_SP 0
#define GOBUF_PC 8
#define GOBUF_CTXT 16
#define GOBUF_REGS 24
#define GOBUF_R6 24
#define GOBUF_R14 88
#define GOBUF_F8 96
#define GOBUF_FPC 160
// GOBUF_R(n), GOBUF_F(n): the slot of r6-r14, f8-f15.
#define GOBUF_R(n) (GOBUF_R6 + ((n) - 6) * 8)
#define GOBUF_F(n) (GOBUF_F8 + ((n) - 8) * 8)

// Test helpers (testhelp_s390x.S): r6-r13; f8-f15; return registers r2
// and f0, and v24 (two slots) where the vector ABI is in use (-march=z13
// and later: __VX__).
#define GORT_TEST_NINT 8
#define GORT_TEST_NFP 8
#ifdef __VX__
#define GORT_TEST_NRET 4
#else
#define GORT_TEST_NRET 2
#endif

// Integer division by zero raises a fixed-point-divide program
// interruption: SIGFPE.
#define GORT_INT_DIV_TRAPS 1

// DWARF register numbers for gort's unwinder (core/unwind.hpp), from the
// ABI: r0-r15 0-15 (r15 sp, r11 GCC's frame pointer, r14 the
// return-address column); f0-f15 are 16-31 in the order f0 f2 f4 f6 f1 f3
// f5 f7 f8 f10 f12 f14 f9 f11 f13 f15, not tracked.
#define GORT_DWARF_NREGS 16
#define GORT_DWARF_SP 15
#define GORT_DWARF_FP 11
#define GORT_DWARF_RA 14
// GORT_DWARF_CFA_OFFSET: the CFA minus the caller's sp at the call. The
// ABI defines the CFA as that sp + 160, so where a frame's CFI leaves r15
// unspecified (a leaf, interrupted by a signal), the caller's r15 is the
// CFA - 160, not the CFA. GCC describes r15 in every frame that moves it.
#define GORT_DWARF_CFA_OFFSET 160

// GORT_GOBUF_DWARF(X): X(DWARF number, Gobuf offset) for every integer
// register a Gobuf saves (sp and pc are Gobuf's own fields; pc is the
// return address, r14 its own slot).
#define GORT_GOBUF_DWARF(X)                                                                  \
  X(6, GOBUF_R(6)) X(7, GOBUF_R(7)) X(8, GOBUF_R(8)) X(9, GOBUF_R(9)) X(10, GOBUF_R(10))     \
  X(11, GOBUF_R(11)) X(12, GOBUF_R(12)) X(13, GOBUF_R(13)) X(14, GOBUF_R14)

// FP environment as the test helpers see it: fpc. The ABI is silent on it
// (its source says "see the FPSCR in the POWER ABI"); gort follows the
// Power ABI's limited-access rule, which z/OS's linkage convention also
// states: the IEEE exception masks (bits 0-5, big-endian numbering; 0xfc000000
// here), the DFP rounding mode (0x70) and the BFP rounding mode (0x07) are
// kept by a context; the flags (0x00fc0000) and the data-exception code
// (0x0000ff00) are volatile and stay with the thread. A and B differ in
// both rounding modes, all six bits; the masks stay 0 (an unmasked
// exception would trap in the harness). BFP mode 7 is "round to prepare
// for shorter precision" (floating-point-extension facility, z196).
#define GORT_FPC_KEPT 0xfc000077  // no suffix: the assembler reads it too
#define GORT_TEST_FPENV_A 0x00000057u  // DFP mode 5, BFP mode 7
#define GORT_TEST_FPENV_B 0x00000020u  // DFP mode 2, BFP to nearest

#ifndef __ASSEMBLER__
#include <cstddef>
#include <cstdint>
namespace gort_arch {
struct Regs {
  std::uint64_t r6_r14[9];
  std::uint64_t f8_f15[8];
  std::uint64_t fpc;  // zero-extended: the register is the slot's low word
};
// fpctl_copy: the FP control slot of a Regs and nothing else: the FPC,
// zero-extended as gosave stores it (core/port.hpp says what core copies
// with it).
inline void fpctl_copy(Regs& to, const Regs& from) noexcept {
  to.fpc = from.fpc;
}
static_assert(GOBUF_REGS + offsetof(Regs, r6_r14) == GOBUF_R6, "GOBUF_R6");
static_assert(GOBUF_REGS + offsetof(Regs, r6_r14[8]) == GOBUF_R14, "GOBUF_R14");
static_assert(GOBUF_R(14) == GOBUF_R14, "r6-r14 are contiguous (stmg/lmg)");
static_assert(GOBUF_REGS + offsetof(Regs, f8_f15) == GOBUF_F8, "GOBUF_F8");
static_assert(GOBUF_REGS + offsetof(Regs, f8_f15[7]) == GOBUF_F(15), "GOBUF_F(15)");
static_assert(GOBUF_REGS + offsetof(Regs, fpc) == GOBUF_FPC, "GOBUF_FPC");
}  // namespace gort_arch
#endif

#endif
