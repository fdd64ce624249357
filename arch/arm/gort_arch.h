// gort_arch.h (arm): layout facts for 32-bit ARM, AAPCS, Linux EABI, in
// two builds chosen by the compiler's target (one port, as Go's GOARM):
//
//   with VFP (__ARM_FP: hard-float armhf, ARMv7-A, or softfp): d8-d15 and
//     FPSCR are part of a context;
//   without (soft-float armel, ARMv5TE): no FP registers exist, the
//     context is r4-r11, sp, lr, and there is no FP environment to keep.
//
// Everything else (ARM state, bx/blx interworking, EHABI unwind tables, the
// signal context, DWARF numbers) is the same, so the variant is the same
// folder with the VFP lines under #if, not a copy (docs/PORTING.md).
// Shared by C++ and asm_arm.S / testhelp_arm.S.
#ifndef GORT_ARCH_H
#define GORT_ARCH_H

#if !defined(__ARM_ARCH) || __ARM_ARCH < 5
#error "arch/arm needs ARMv5T or later (blx)"
#endif
#if defined(__ARM_FP)
#define GORT_ARM_VFP 1
#else
#define GORT_ARM_VFP 0
#endif

#define GORT_ARCH_NAME "arm"
#define GORT_PTRSIZE 4
#define GORT_STACK_ALIGN 8  // AAPCS: sp % 8 == 0 at every public interface
#define GORT_RA_ON_STACK 0  // return address in lr
#define GORT_RED_ZONE 0
#define GORT_MIN_FRAME 0

// Gobuf: sp, pc, ctxt, (pad), then the callee-saved area:
//
//   +0  sp    +4  pc    +8  ctxt   +12 (pad)
//   +16 lr    +20 r4 r5 r6 r7 r8 r9 r10 r11 (to +52)
//   with VFP: +52 fpscr +56 d8 ... d15 (8 bytes each, to +120)
#define GOBUF_SP 0
#define GOBUF_PC 4
#define GOBUF_CTXT 8
#define GOBUF_REGS 16
#define GOBUF_LR 16
#define GOBUF_R4 20
#if GORT_ARM_VFP
#define GOBUF_FPSCR 52
#define GOBUF_D8 56
#endif

#if GORT_ARM_VFP
// Test helpers: r4-r11; d8-d15; return registers r0 r1 d0 d1 d2 d3.
#define GORT_TEST_NINT 8
#define GORT_TEST_NFP 8
#define GORT_TEST_NRET 6
#else
// Test helpers: r4-r11; return registers r0 r1.
#define GORT_TEST_NINT 8
#define GORT_TEST_NFP 0
#define GORT_TEST_NRET 2
#endif

// Integer division does not trap: ARMv5TE and ARMv7-A have no divide
// instruction (sdiv is optional), and libgcc's __aeabi_idiv0 raises SIGFPE
// with raise(), a signal sent by the process, which the tests reproduce
// with pthread_kill.
#define GORT_INT_DIV_TRAPS 0

// Unwinding (core/unwind.hpp): ARM EHABI tables (.ARM.exidx/.ARM.extab),
// not DWARF CFI: GCC emits no .eh_frame here. CMake reads this fact and
// builds arch/arm/unwind_ehabi.cpp instead of core/unwind_dwarf.cpp.
#define GORT_UNWIND_EHABI 1

// Register numbers (EHABI and DWARF for ARM agree: r0-r15 are 0-15):
// integer registers tracked, sp, the frame pointer (ARM state; Thumb code
// uses r7), the return-address register (lr).
#define GORT_DWARF_NREGS 16
#define GORT_DWARF_SP 13
#define GORT_DWARF_FP 11
#define GORT_DWARF_RA 14

// GORT_GOBUF_DWARF(X): X(register number, Gobuf offset) for every integer
// register a Gobuf saves (the unwinder rebuilds a parked G's frame from it;
// sp and pc are Gobuf's own fields; pc is the return address, lr its own
// slot).
#define GORT_GOBUF_DWARF(X)                                                                      \
  X(4, GOBUF_R4) X(5, GOBUF_R4 + 4) X(6, GOBUF_R4 + 8) X(7, GOBUF_R4 + 12) X(8, GOBUF_R4 + 16) \
  X(9, GOBUF_R4 + 20) X(10, GOBUF_R4 + 24) X(11, GOBUF_R4 + 28) X(14, GOBUF_LR)

#if GORT_ARM_VFP
// FP environment as the test helpers see it: FPSCR. A and B differ in every
// bit the FpControl tests compare: flush-to-zero FZ (24), default NaN DN
// (25), rounding RMode (22-23) and the cumulative flags IOC DZC OFC UFC IXC
// IDC (0-4, 7), which this port keeps with the rest of FPSCR. Trap enables
// stay clear.
#define GORT_TEST_FPENV_A 0x0340009fu  // FZ DN, toward +inf, every flag
#define GORT_TEST_FPENV_B 0x00800000u  // toward -inf, no flags
#else
// No FP environment: the FpControl tests skip with this reason.
#define GORT_NO_FPENV                                                            \
  "soft-float ARM (no VFP): a context has no FP registers and no FP "             \
  "environment to keep; libgcc's soft-float arithmetic always rounds to nearest " \
  "and raises no flags"
#endif

#ifndef __ASSEMBLER__
#include <cstddef>
#include <cstdint>
namespace gort_arch {
// 8-aligned in both builds (d8-d15 make it so with VFP), so that the
// offsets above hold for both.
struct alignas(8) Regs {
  std::uint32_t lr;
  std::uint32_t r4_r11[8];
#if GORT_ARM_VFP
  std::uint32_t fpscr;
  std::uint64_t d8_d15[8];
#endif
};
// fpctl_copy: the FP control slot of a Regs and nothing else: FPSCR as
// gosave stores it, or nothing at all without VFP (core/port.hpp says what
// core copies with it).
inline void fpctl_copy([[maybe_unused]] Regs& to, [[maybe_unused]] const Regs& from) noexcept {
#if GORT_ARM_VFP
  to.fpscr = from.fpscr;
#endif
}
static_assert(GOBUF_REGS + offsetof(Regs, lr) == GOBUF_LR, "GOBUF_LR");
static_assert(GOBUF_REGS + offsetof(Regs, r4_r11) == GOBUF_R4, "GOBUF_R4");
#if GORT_ARM_VFP
static_assert(GOBUF_REGS + offsetof(Regs, fpscr) == GOBUF_FPSCR, "GOBUF_FPSCR");
static_assert(GOBUF_REGS + offsetof(Regs, d8_d15) == GOBUF_D8, "GOBUF_D8");
#endif
}  // namespace gort_arch
#endif

#endif
