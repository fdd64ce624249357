// gort_arch.h (mips64el): layout facts for MIPS64r2, little-endian, the n64
// ABI under SVR4 abicalls (Debian mips64el: position-independent code, each
// function computing its $gp from $t9). Shared by C++ and asm_mips64el.S /
// testhelp_mips64el.S; every offset the assembly uses is checked below.
#ifndef GORT_ARCH_H
#define GORT_ARCH_H

#if !defined(_MIPS_SIM) || _MIPS_SIM != _ABI64
#error "arch/mips64el is the n64 ABI (-mabi=64); o32 is arch/mipsel, n32 has no port"
#endif
#if !defined(__mips_abicalls)
#error "arch/mips64el is written for SVR4 abicalls (PIC, $gp from $t9), Linux's default"
#endif
#if defined(__MIPSEB__)
#error "arch/mips64el is little-endian; a big-endian n64 port is untested"
#endif

#define GORT_ARCH_NAME "mips64el"
#define GORT_PTRSIZE 8
#define GORT_STACK_ALIGN 16  // n64: sp % 16 == 0 at every call
#define GORT_RA_ON_STACK 0   // jal/jalr leave the return address in $ra
#define GORT_RED_ZONE 0
#define GORT_MIN_FRAME 0     // n64 has no argument home slots (o32 has 16)

// Gobuf: sp, pc, ctxt, then the callee-saved area, one 8-byte slot each.
// n64 keeps $gp callee-saved (unlike o32), so a context keeps it too.
//
//   +0   sp    +8   pc    +16  ctxt
//   +24  ra
//   +32  s0   +40  s1   +48  s2   +56  s3   +64  s4   +72  s5   +80  s6
//   +88  s7   +96  s8 (fp)   +104 gp
//   +112 f24  +120 f25  +128 f26  +136 f27  +144 f28  +152 f29  +160 f30
//   +168 f31
//   +176 fcsr (32 bits, sign-extended into the slot by cfc1)
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
#define GOBUF_GP 104
#define GOBUF_F24 112
#define GOBUF_F25 120
#define GOBUF_F26 128
#define GOBUF_F27 136
#define GOBUF_F28 144
#define GOBUF_F29 152
#define GOBUF_F30 160
#define GOBUF_F31 168
#define GOBUF_FCSR 176

// Test helpers (testhelp_mips64el.S): s0-s8 and gp; f24-f31; return
// registers v0 v1 f0 f2.
#define GORT_TEST_NINT 10
#define GORT_TEST_NFP 8
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
  X(22, GOBUF_S6) X(23, GOBUF_S7) X(30, GOBUF_S8) X(28, GOBUF_GP) X(31, GOBUF_RA)

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
  std::uint64_t ra;
  std::uint64_t s0, s1, s2, s3, s4, s5, s6, s7, s8;
  std::uint64_t gp;
  std::uint64_t f24, f25, f26, f27, f28, f29, f30, f31;
  std::uint64_t fcsr;
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
GORT_REG_AT(gp, GOBUF_GP);
GORT_REG_AT(f24, GOBUF_F24);
GORT_REG_AT(f25, GOBUF_F25);
GORT_REG_AT(f26, GOBUF_F26);
GORT_REG_AT(f27, GOBUF_F27);
GORT_REG_AT(f28, GOBUF_F28);
GORT_REG_AT(f29, GOBUF_F29);
GORT_REG_AT(f30, GOBUF_F30);
GORT_REG_AT(f31, GOBUF_F31);
GORT_REG_AT(fcsr, GOBUF_FCSR);
#undef GORT_REG_AT
}  // namespace gort_arch
#endif

#endif
