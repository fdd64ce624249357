// gort_arch.h (mipsel): layout facts for MIPS32r2, little-endian, the o32
// ABI with hard float in FPXX mode (Debian mipsel: code that runs with
// 32-bit FP registers, FR=0, doubles in even/odd pairs, and with 64-bit
// ones, FR=1), under SVR4 abicalls (position-independent, $gp from $t9).
// Shared by C++ and asm_mipsel.S / testhelp_mipsel.S; every offset the
// assembly uses is checked below.
#ifndef GORT_ARCH_H
#define GORT_ARCH_H

#if !defined(_MIPS_SIM) || _MIPS_SIM != _ABIO32
#error "arch/mipsel is the o32 ABI (-mabi=32); n64 is arch/mips64el, n32 has no port"
#endif
#if !defined(__mips_abicalls)
#error "arch/mipsel is written for SVR4 abicalls (PIC, $gp from $t9), Linux's default"
#endif
#if defined(__MIPSEB__)
#error "arch/mipsel is little-endian (the test helpers use the low word of a 64-bit slot at +0)"
#endif
#if !defined(__mips_hard_float) || (__mips_fpr != 0 && __mips_fpr != 32)
#error "arch/mipsel saves f20-f30 as doubles: hard float, -mfpxx or -mfp32 (o32 FP64 keeps more)"
#endif

#define GORT_ARCH_NAME "mipsel"
#define GORT_PTRSIZE 4
#define GORT_STACK_ALIGN 8  // o32: sp % 8 == 0 at every call
#define GORT_RA_ON_STACK 0  // jal/jalr leave the return address in $ra
#define GORT_RED_ZONE 0
// o32: a caller reserves 16 bytes at sp, the home slots of a0-a3, and the
// callee may store its arguments there before it moves sp.
#define GORT_MIN_FRAME 16

// Gobuf: sp, pc, ctxt, (pad), then the callee-saved area. $gp is not in
// it: o32 PIC code reloads it after every call (from the slot .cprestore
// keeps in its frame) and computes it from $t9 at every entry.
//
//   +0  sp    +4  pc    +8  ctxt   +12 (pad)
//   +16 ra
//   +20 s0  +24 s1  +28 s2  +32 s3  +36 s4  +40 s5  +44 s6  +48 s7
//   +52 s8 (fp)   +56 fcsr   +60 (pad)
//   +64 f20  +72 f22  +80 f24  +88 f26  +96 f28  +104 f30  (doubles)
//
// The callee-saved FP registers are f20-f31 with FR=0 (six even/odd
// pairs) and the even f20-f30 with FR=1 (FPXX leaves the odd ones to the
// caller there): six sdc1/ldc1 of the even registers keep both.
#define GOBUF_SP 0
#define GOBUF_PC 4
#define GOBUF_CTXT 8
#define GOBUF_REGS 16
#define GOBUF_RA 16
#define GOBUF_S0 20
#define GOBUF_S1 24
#define GOBUF_S2 28
#define GOBUF_S3 32
#define GOBUF_S4 36
#define GOBUF_S5 40
#define GOBUF_S6 44
#define GOBUF_S7 48
#define GOBUF_S8 52
#define GOBUF_FCSR 56
#define GOBUF_F20 64
#define GOBUF_F22 72
#define GOBUF_F24 80
#define GOBUF_F26 88
#define GOBUF_F28 96
#define GOBUF_F30 104

// Test helpers (testhelp_mipsel.S): s0-s8; f20 f22 ... f30 (doubles);
// return registers v0 v1 f0 f2.
#define GORT_TEST_NINT 9
#define GORT_TEST_NFP 6
#define GORT_TEST_NRET 4

// MIPS's div does not trap; GCC follows it with `teq divisor, $zero, 7`
// (-mcheck-zero-division, the default), and Linux turns trap code 7 into
// SIGFPE (FPE_INTDIV). QEMU 7.2 user-mode delivers SIGTRAP for it instead
// (it loses the trap code), hence the second name.
#define GORT_INT_DIV_TRAPS 1
#define GORT_INT_DIV_SIGNAL "SIG(FPE|TRAP)"

// DWARF register numbers for gort's unwinder (core/unwind.hpp): $0-$31 are
// 0-31 (sp 29, fp/s8 30, ra 31, the CFI's return-address column).
#define GORT_DWARF_NREGS 32
#define GORT_DWARF_SP 29
#define GORT_DWARF_FP 30
#define GORT_DWARF_RA 31

// GORT_GOBUF_DWARF(X): X(DWARF number, Gobuf offset) for every integer
// register a Gobuf saves (the unwinder rebuilds a parked G's frame from it;
// sp and pc are Gobuf's own fields; pc is the return address, ra its own
// slot).
#define GORT_GOBUF_DWARF(X)                                                                     \
  X(16, GOBUF_S0) X(17, GOBUF_S1) X(18, GOBUF_S2) X(19, GOBUF_S3) X(20, GOBUF_S4) X(21, GOBUF_S5) \
  X(22, GOBUF_S6) X(23, GOBUF_S7) X(30, GOBUF_S8) X(31, GOBUF_RA)

// FP environment as the test helpers see it: FCSR. RM is bits 0-1, the
// sticky flags I U O Z V bits 2-6, FS (flush denormals to zero) bit 24, the
// FP condition codes bits 23 and 25-31. A context keeps all of them (the
// cause bits 12-17 are dropped: they describe the last operation only, and
// restoring one whose enable is set would trap at once). A and B differ in
// every kept bit; the enables (7-11) stay clear.
#define GORT_TEST_FPENV_A 0xff80007eu  // toward +inf, every flag, FS, every FCC
#define GORT_TEST_FPENV_B 0x00000001u  // toward zero, no flags

#ifndef __ASSEMBLER__
#include <cstddef>
#include <cstdint>
namespace gort_arch {
struct Regs {
  std::uint32_t ra;
  std::uint32_t s0, s1, s2, s3, s4, s5, s6, s7, s8;
  std::uint32_t fcsr;
  std::uint32_t pad;
  std::uint64_t f20, f22, f24, f26, f28, f30;
};
// fpctl_copy: the FP control slot of a Regs and nothing else: FCSR as
// gosave stores it, cause bits cleared (core/port.hpp says what core
// copies with it).
inline void fpctl_copy(Regs& to, const Regs& from) noexcept {
  to.fcsr = from.fcsr;
}
#define GORT_REG_AT(f, off) static_assert(GOBUF_REGS + offsetof(Regs, f) == (off), #off)
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
GORT_REG_AT(fcsr, GOBUF_FCSR);
GORT_REG_AT(f20, GOBUF_F20);
GORT_REG_AT(f22, GOBUF_F22);
GORT_REG_AT(f24, GOBUF_F24);
GORT_REG_AT(f26, GOBUF_F26);
GORT_REG_AT(f28, GOBUF_F28);
GORT_REG_AT(f30, GOBUF_F30);
#undef GORT_REG_AT
}  // namespace gort_arch
#endif

#endif
