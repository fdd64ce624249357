// gort_arch.h (ppc64le): layout facts for 64-bit Power, little-endian, the
// OpenPOWER ELF V2 ABI (Linux). Shared by C++ and asm_ppc64le.S /
// testhelp_ppc64le.S; every offset the assembly uses is checked against the
// C++ layout below.
#ifndef GORT_ARCH_H
#define GORT_ARCH_H

#define GORT_ARCH_NAME "ppc64le"
#define GORT_PTRSIZE 8
#define GORT_STACK_ALIGN 16  // r1 is quadword aligned at all times
#define GORT_RA_ON_STACK 0   // bl leaves the return address in lr
// The ABI's protected zone: a function may use 288 bytes below r1 without
// a frame, and "interrupt handlers and any other functions that might run
// without an explicit call" keep off 512 (the 288 and 224 more for system
// code), as the kernel does for a signal frame.
#define GORT_RED_ZONE 512
// The minimum frame every caller keeps at r1: back chain (+0), CR save word
// (+8), LR save (+16, where the callee stores its return address) and TOC
// save (+24): 32 bytes.
#define GORT_MIN_FRAME 32

// Gobuf: sp, pc, ctxt, then the callee-saved area, one 8-byte slot per
// register except the vector registers (16 bytes each):
//
//   +0   sp (r1)   +8   pc       +16  ctxt
//   +24  lr        +32  r2 (TOC) +40  cr (gogo restores CR2-CR4)
//   +48  fpscr (mffs doubleword; gogo restores its control fields)
//   +56  vscr (the 32-bit word)
//   +64  r14  +72  r15 ... +200 r31            (18 slots)
//   +208 f14  +216 f15 ... +344 f31            (18 slots)
//   +352 v20  +368 v21 ... +528 v31            (12 x 16 bytes, stxvd2x order)
//
// r2 is saved: within a module r2 is nonvolatile (a local call expects it
// back unchanged), and the TOC differs between modules (a PIE and its
// shared libraries) and between the TOC groups the linker makes in a large
// program, so a gogo called with one TOC must resume its gosave's caller
// with that caller's.
#define GOBUF_SP 0
#define GOBUF_PC 8
#define GOBUF_CTXT 16
#define GOBUF_REGS 24
#define GOBUF_LR 24
#define GOBUF_R2 32
#define GOBUF_CR 40
#define GOBUF_FPSCR 48
#define GOBUF_VSCR 56
#define GOBUF_R14 64
#define GOBUF_F14 208
#define GOBUF_V20 352
// GOBUF_R(n), GOBUF_F(n), GOBUF_V(n): the slot of r14-r31, f14-f31, v20-v31.
#define GOBUF_R(n) (GOBUF_R14 + ((n) - 14) * 8)
#define GOBUF_F(n) (GOBUF_F14 + ((n) - 14) * 8)
#define GOBUF_V(n) (GOBUF_V20 + ((n) - 20) * 16)

// Test helpers (testhelp_ppc64le.S): integer slots r14-r31, CR2-CR4 (slot
// 18) and r2 (slot 19); FP slots f14-f31, then v20-v31 (two slots each); return
// registers r3 r4, f1-f8, v2-v9 (two slots each: the ABI returns
// homogeneous aggregates in up to eight FP or vector registers).
#define GORT_TEST_NINT 20
#define GORT_TEST_NFP 42
#define GORT_TEST_NRET 26

// Integer division by zero does not trap on Power (divd leaves an undefined
// result); tests send SIGFPE instead.
#define GORT_INT_DIV_TRAPS 0

// DWARF register numbers for gort's unwinder (core/unwind.hpp), as GCC
// writes them in .eh_frame and the ABI maps them: r0-r31 0-31, f0-f31
// 32-63, lr 65 (the return-address column), ctr 66, cr0-cr7 68-75, v0-v31
// 77-108. 66 tracks r0-r31 and lr (and f0-f31 on the way).
#define GORT_DWARF_NREGS 66
#define GORT_DWARF_SP 1
#define GORT_DWARF_FP 31  // GCC's frame pointer; the ABI's chain is the back chain
#define GORT_DWARF_RA 65
// GORT_DWARF_CFA_OFFSET: the CFA minus the caller's r1 at the call (0: the
// CFA is the caller's r1).
#define GORT_DWARF_CFA_OFFSET 0

// GORT_GOBUF_DWARF(X): X(DWARF number, Gobuf offset) for every integer
// register a Gobuf saves (sp and pc are Gobuf's own fields; pc is the
// return address, lr its own slot).
#define GORT_GOBUF_DWARF(X)                                                                    \
  X(2, GOBUF_R2) X(14, GOBUF_R(14)) X(15, GOBUF_R(15)) X(16, GOBUF_R(16)) X(17, GOBUF_R(17))   \
  X(18, GOBUF_R(18)) X(19, GOBUF_R(19)) X(20, GOBUF_R(20)) X(21, GOBUF_R(21))                  \
  X(22, GOBUF_R(22)) X(23, GOBUF_R(23)) X(24, GOBUF_R(24)) X(25, GOBUF_R(25))                  \
  X(26, GOBUF_R(26)) X(27, GOBUF_R(27)) X(28, GOBUF_R(28)) X(29, GOBUF_R(29))                  \
  X(30, GOBUF_R(30)) X(31, GOBUF_R(31)) X(65, GOBUF_LR)

// FP environment as the test helpers pack it: bits 0-7 are FPSCR's low byte
// (exception enables VE OE UE ZE XE, NI, rounding RN), bits 8-10 the
// decimal rounding mode DRN (FPSCR bits 29-31), bit 16 VSCR's NJ. The ABI
// makes RN, DRN, the enables and NJ "limited-access": preserved across
// calls like a nonvolatile register. FPSCR's status bits (the sticky flags,
// FR, FI, FPRF) are volatile and stay with the thread. A and B differ in
// every kept bit except the enables, which stay 0 (an enabled exception
// would trap in the harness): RN, NI, DRN and NJ.
#define GORT_TEST_FPENV_A 0x00010506u  // NJ, DRN 5, NI, toward +inf
#define GORT_TEST_FPENV_B 0x00000201u  // DRN 2, toward zero

#ifndef __ASSEMBLER__
#include <cstddef>
#include <cstdint>
namespace gort_arch {
struct Regs {
  std::uint64_t lr, r2, cr, fpscr, vscr;
  std::uint64_t r14_r31[18];
  std::uint64_t f14_f31[18];
  std::uint64_t v20_v31[12][2];
};
// fpctl_copy: the FP control slots of a Regs and nothing else: FPSCR's
// image and VSCR, as gosave stores them (core/port.hpp says what core
// copies with it).
inline void fpctl_copy(Regs& to, const Regs& from) noexcept {
  to.fpscr = from.fpscr;
  to.vscr = from.vscr;
}
static_assert(GOBUF_REGS + offsetof(Regs, lr) == GOBUF_LR, "GOBUF_LR");
static_assert(GOBUF_REGS + offsetof(Regs, r2) == GOBUF_R2, "GOBUF_R2");
static_assert(GOBUF_REGS + offsetof(Regs, cr) == GOBUF_CR, "GOBUF_CR");
static_assert(GOBUF_REGS + offsetof(Regs, fpscr) == GOBUF_FPSCR, "GOBUF_FPSCR");
static_assert(GOBUF_REGS + offsetof(Regs, vscr) == GOBUF_VSCR, "GOBUF_VSCR");
static_assert(GOBUF_REGS + offsetof(Regs, r14_r31) == GOBUF_R14, "GOBUF_R14");
static_assert(GOBUF_REGS + offsetof(Regs, r14_r31[17]) == GOBUF_R(31), "GOBUF_R(31)");
static_assert(GOBUF_REGS + offsetof(Regs, f14_f31) == GOBUF_F14, "GOBUF_F14");
static_assert(GOBUF_REGS + offsetof(Regs, f14_f31[17]) == GOBUF_F(31), "GOBUF_F(31)");
static_assert(GOBUF_REGS + offsetof(Regs, v20_v31) == GOBUF_V20, "GOBUF_V20");
static_assert(GOBUF_REGS + offsetof(Regs, v20_v31[11]) == GOBUF_V(31), "GOBUF_V(31)");
static_assert(GOBUF_REGS + sizeof(Regs) == GOBUF_V(31) + 16, "Gobuf ends after v31");
}  // namespace gort_arch
#endif

#endif
