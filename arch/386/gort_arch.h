// gort_arch.h (386): layout facts for i386, System V ABI as used on Linux
// (gcc keeps esp 16-aligned at calls). Needs SSE for MXCSR (Pentium III+).
// Shared by C++ and asm_386.S / testhelp_386.S.
#ifndef GORT_ARCH_H
#define GORT_ARCH_H

#define GORT_ARCH_NAME "386"
#define GORT_PTRSIZE 4
#define GORT_STACK_ALIGN 16  // esp % 16 == 0 at every call instruction
#define GORT_RA_ON_STACK 4   // call pushes the return address
#define GORT_RED_ZONE 0
#define GORT_MIN_FRAME 0

// Gobuf: sp, pc, ctxt, then the callee-saved area:
//
//   +0  esp   +4  pc    +8  ctxt  +12 (pad: the area is 8-aligned)
//   +16 ebx   +20 esi   +24 edi   +28 ebp
//   +32 mxcsr (4 bytes) +36 x87 control word (2 bytes, 2 of padding)
#define GOBUF_SP 0
#define GOBUF_PC 4
#define GOBUF_CTXT 8
#define GOBUF_REGS 16
#define GOBUF_EBX 16
#define GOBUF_ESI 20
#define GOBUF_EDI 24
#define GOBUF_EBP 28
#define GOBUF_MXCSR 32
#define GOBUF_X87CW 36

// Test helpers: ebx esi edi ebp; no callee-saved FP registers; return
// registers eax edx and x87 st0.
#define GORT_TEST_NINT 4
#define GORT_TEST_NFP 0
#define GORT_TEST_NRET 3

// Integer division by zero traps (SIGFPE) on this CPU; where it does not,
// the result is defined and tests send SIGFPE instead.
#define GORT_INT_DIV_TRAPS 1

// DWARF register numbers for gort's unwinder (core/unwind.hpp), i386
// psABI (as GCC numbers them in .eh_frame on Linux): eax 0, ecx 1, edx 2,
// ebx 3, esp 4, ebp 5, esi 6, edi 7, return address (eip) 8: integer
// registers tracked, sp, the frame pointer, the return-address column.
#define GORT_DWARF_NREGS 9
#define GORT_DWARF_SP 4
#define GORT_DWARF_FP 5
#define GORT_DWARF_RA 8

// FP environment as the test helpers pack it: MXCSR in bits 0-15, the x87
// control word in bits 16-31. A and B differ in every bit the FpControl
// tests compare: MXCSR flush-to-zero (15), denormals-are-zero (6), rounding
// (13-14) and the sticky flags (0-5); x87 precision control (8-9) and
// rounding (10-11). Exceptions stay masked in both (unmasked ones would
// trap in the harness).
#define GORT_TEST_FPENV_A 0x047fbfffu  // FTZ DAZ, round down, flags; x87 single, down
#define GORT_TEST_FPENV_B 0x0b7f5f80u  // round up, no flags; x87 extended, up

// GORT_GOBUF_DWARF(X): X(DWARF number, Gobuf offset) for every integer
// register a Gobuf saves (the unwinder rebuilds a parked G's frame from it;
// sp and pc are Gobuf's own fields). pc is also the RA column's value.
#define GORT_GOBUF_DWARF(X) X(3, GOBUF_EBX) X(6, GOBUF_ESI) X(7, GOBUF_EDI) X(5, GOBUF_EBP)

#ifndef __ASSEMBLER__
#include <cstddef>
#include <cstdint>
namespace gort_arch {
struct alignas(8) Regs {
  std::uint32_t ebx, esi, edi, ebp;
  std::uint32_t mxcsr;
  std::uint16_t x87cw, pad;
};
// fpctl_copy: the FP control slots of a Regs and nothing else: MXCSR and
// the x87 control word, as gosave stores them (core/port.hpp says what
// core copies with it).
inline void fpctl_copy(Regs& to, const Regs& from) noexcept {
  to.mxcsr = from.mxcsr;
  to.x87cw = from.x87cw;
}
#define GORT_REG_AT(f, off) \
  static_assert(GOBUF_REGS + offsetof(Regs, f) == (off), #off)
GORT_REG_AT(ebx, GOBUF_EBX);
GORT_REG_AT(esi, GOBUF_ESI);
GORT_REG_AT(edi, GOBUF_EDI);
GORT_REG_AT(ebp, GOBUF_EBP);
GORT_REG_AT(mxcsr, GOBUF_MXCSR);
GORT_REG_AT(x87cw, GOBUF_X87CW);
#undef GORT_REG_AT
}  // namespace gort_arch
#endif

#endif
