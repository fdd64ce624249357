// gort_arch.h (riscv64): layout facts for RV64GC, LP64D psABI (Linux).
// Shared by C++ and asm_riscv64.S / testhelp_riscv64.S; every offset the
// assembly uses is checked against the C++ layout below.
#ifndef GORT_ARCH_H
#define GORT_ARCH_H

#define GORT_ARCH_NAME "riscv64"
#define GORT_PTRSIZE 8
#define GORT_STACK_ALIGN 16  // sp % 16 == 0 at every call (psABI)
#define GORT_RA_ON_STACK 0   // jal/jalr leave the return address in ra (x1)
#define GORT_RED_ZONE 0
#define GORT_MIN_FRAME 0

// Gobuf: sp, pc, ctxt, then the callee-saved area, one 8-byte slot each
// (RISC-V has no paired loads or stores, so only the order matters):
//
//   +0   sp    +8   pc    +16  ctxt
//   +24  ra
//   +32  s0 (fp)  +40  s1   +48  s2   +56  s3   +64  s4   +72  s5
//   +80  s6       +88  s7   +96  s8   +104 s9   +112 s10  +120 s11
//   +128 fs0  +136 fs1  +144 fs2  +152 fs3  +160 fs4   +168 fs5
//   +176 fs6  +184 fs7  +192 fs8  +200 fs9  +208 fs10  +216 fs11
//   +224 fcsr (the CSR is 32 bits; frcsr zero-extends it into the slot)
#define GOBUF_SP 0
#define GOBUF_PC 8
#define GOBUF_CTXT 16
#define GOBUF_REGS 24
#define GOBUF_RA 24
#define GOBUF_S0 32
#define GOBUF_S1 40
#define GOBUF_S2 48
#define GOBUF_S3 56
#define GOBUF_S4 64
#define GOBUF_S5 72
#define GOBUF_S6 80
#define GOBUF_S7 88
#define GOBUF_S8 96
#define GOBUF_S9 104
#define GOBUF_S10 112
#define GOBUF_S11 120
#define GOBUF_FS0 128
#define GOBUF_FS1 136
#define GOBUF_FS2 144
#define GOBUF_FS3 152
#define GOBUF_FS4 160
#define GOBUF_FS5 168
#define GOBUF_FS6 176
#define GOBUF_FS7 184
#define GOBUF_FS8 192
#define GOBUF_FS9 200
#define GOBUF_FS10 208
#define GOBUF_FS11 216
#define GOBUF_FCSR 224

// Test helpers (testhelp_riscv64.S): s0-s11; fs0-fs11; return registers
// a0 a1 fa0 fa1.
#define GORT_TEST_NINT 12
#define GORT_TEST_NFP 12
#define GORT_TEST_NRET 4

// Integer division by zero traps (SIGFPE) on this CPU; where it does not,
// the result is defined and tests send SIGFPE instead.
#define GORT_INT_DIV_TRAPS 0

// DWARF register numbers for gort's unwinder (core/unwind.hpp), RISC-V
// ELF psABI: x0-x31 0-31 (ra x1, sp x2, s0/fp x8, s1 x9, s2-s11 x18-x27):
// integer registers tracked, sp, the frame pointer, the return-address
// column (ra).
#define GORT_DWARF_NREGS 32
#define GORT_DWARF_SP 2
#define GORT_DWARF_FP 8
#define GORT_DWARF_RA 1

// FP environment as the test helpers see it: fcsr (frm in bits 5-7, fflags
// in 0-4). A and B differ in all eight bits: the rounding mode and the
// accrued flags NV DZ OF UF NX, both of which a context keeps.
#define GORT_TEST_FPENV_A 0x7fu  // round up (RUP), every flag
#define GORT_TEST_FPENV_B 0x80u  // round to nearest, max magnitude (RMM), no flags

// GORT_GOBUF_DWARF(X): X(DWARF number, Gobuf offset) for every integer
// register a Gobuf saves (the unwinder rebuilds a parked G's frame from it;
// sp and pc are Gobuf's own fields; pc is the return address, ra its own
// slot).
#define GORT_GOBUF_DWARF(X)                                                                   \
  X(8, GOBUF_S0) X(9, GOBUF_S1) X(18, GOBUF_S2) X(19, GOBUF_S3) X(20, GOBUF_S4) X(21, GOBUF_S5) \
  X(22, GOBUF_S6) X(23, GOBUF_S7) X(24, GOBUF_S8) X(25, GOBUF_S9) X(26, GOBUF_S10)              \
  X(27, GOBUF_S11) X(1, GOBUF_RA)

#ifndef __ASSEMBLER__
#include <cstddef>
#include <cstdint>
namespace gort_arch {
struct Regs {
  std::uint64_t ra;
  std::uint64_t s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11;
  std::uint64_t fs0, fs1, fs2, fs3, fs4, fs5, fs6, fs7, fs8, fs9, fs10, fs11;
  std::uint64_t fcsr;
};
// fpctl_copy: the FP control slot of a Regs and nothing else: fcsr, the
// rounding mode with the accrued flags (core/port.hpp says what core
// copies with it).
inline void fpctl_copy(Regs& to, const Regs& from) noexcept {
  to.fcsr = from.fcsr;
}
#define GORT_REG_AT(f, off) \
  static_assert(GOBUF_REGS + offsetof(Regs, f) == (off), #off)
GORT_REG_AT(ra, GOBUF_RA);
GORT_REG_AT(s0, GOBUF_S0);
GORT_REG_AT(s1, GOBUF_S1);
GORT_REG_AT(s2, GOBUF_S2);
GORT_REG_AT(s3, GOBUF_S3);
GORT_REG_AT(s4, GOBUF_S4);
GORT_REG_AT(s5, GOBUF_S5);
GORT_REG_AT(s6, GOBUF_S6);
GORT_REG_AT(s7, GOBUF_S7);
GORT_REG_AT(s8, GOBUF_S8);
GORT_REG_AT(s9, GOBUF_S9);
GORT_REG_AT(s10, GOBUF_S10);
GORT_REG_AT(s11, GOBUF_S11);
GORT_REG_AT(fs0, GOBUF_FS0);
GORT_REG_AT(fs1, GOBUF_FS1);
GORT_REG_AT(fs2, GOBUF_FS2);
GORT_REG_AT(fs3, GOBUF_FS3);
GORT_REG_AT(fs4, GOBUF_FS4);
GORT_REG_AT(fs5, GOBUF_FS5);
GORT_REG_AT(fs6, GOBUF_FS6);
GORT_REG_AT(fs7, GOBUF_FS7);
GORT_REG_AT(fs8, GOBUF_FS8);
GORT_REG_AT(fs9, GOBUF_FS9);
GORT_REG_AT(fs10, GOBUF_FS10);
GORT_REG_AT(fs11, GOBUF_FS11);
GORT_REG_AT(fcsr, GOBUF_FCSR);
#undef GORT_REG_AT
}  // namespace gort_arch
#endif

#endif
