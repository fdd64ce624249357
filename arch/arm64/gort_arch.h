// gort_arch.h (arm64): layout facts for AArch64, AAPCS64 (Linux) and
// Apple's arm64 ABI (darwin; it differs here in the red zone only).
// Shared by C++ and asm_arm64.S / testhelp_arm64.S.
#ifndef GORT_ARCH_H
#define GORT_ARCH_H

#define GORT_ARCH_NAME "arm64"
#define GORT_PTRSIZE 8
#define GORT_STACK_ALIGN 16  // sp % 16 == 0 always (the hardware checks it)
#define GORT_RA_ON_STACK 0   // return address in x30 (lr)
// Red zone: none in AAPCS64. On Apple platforms gort reserves 128 bytes,
// as on x86-64: whether Apple's arm64 ABI grants leaf functions a red zone
// is not written where we could check, and keeping clear of one costs
// core 128 bytes of a stack when it writes below an interrupted sp.
#if defined(__APPLE__)
#define GORT_RED_ZONE 128
#else
#define GORT_RED_ZONE 0
#endif
#define GORT_MIN_FRAME 0
// BTI (-mbranch-protection): resume points need landing pads (port.hpp,
// gort_mcall; GORT_LANDING_PAD below).
#if defined(__ARM_FEATURE_BTI_DEFAULT) && __ARM_FEATURE_BTI_DEFAULT
#define GORT_BRANCH_TARGETS 1
#endif

// Gobuf: sp, pc, ctxt, then the callee-saved area (stp/ldp pairs):
//
//   +0   sp        +8   pc        +16  ctxt
//   +24  x19 x20   +40  x21 x22   +56  x23 x24   +72  x25 x26   +88 x27 x28
//   +104 x29 (fp)  +112 x30 (lr)
//   +120 d8 d9     +136 d10 d11   +152 d12 d13   +168 d14 d15
//   +184 fpcr
#define GOBUF_SP 0
#define GOBUF_PC 8
#define GOBUF_CTXT 16
#define GOBUF_REGS 24
#define GOBUF_X19 24
#define GOBUF_X21 40
#define GOBUF_X23 56
#define GOBUF_X25 72
#define GOBUF_X27 88
#define GOBUF_X29 104
#define GOBUF_LR 112
#define GOBUF_D8 120
#define GOBUF_D10 136
#define GOBUF_D12 152
#define GOBUF_D14 168
#define GOBUF_FPCR 184

// Optional hook (core/port.hpp): gort_swap, gosave and gogo in one call
// that resumes by a return (asm_arm64.S). A solo P's direct switches use it.
#define GORT_ARCH_SWAP 1

// Test helpers: x19-x29; d8-d15; return registers x0 x1 d0 d1 d2 d3.
#define GORT_TEST_NINT 11
#define GORT_TEST_NFP 8
#define GORT_TEST_NRET 6

// Integer division by zero traps (SIGFPE) on this CPU; where it does not,
// the result is defined and tests send SIGFPE instead.
#define GORT_INT_DIV_TRAPS 0

// DWARF register numbers for gort's unwinder (core/unwind.hpp), DWARF for
// the Arm 64-bit Architecture: x0-x30 0-30 (x29 fp, x30 lr), sp 31:
// integer registers tracked, sp, the frame pointer, the return-address
// column (lr).
#define GORT_DWARF_NREGS 32
#define GORT_DWARF_SP 31
#define GORT_DWARF_FP 29
#define GORT_DWARF_RA 30
// DW_CFA 0x2d is DW_CFA_AARCH64_negate_ra_state here: code built with
// -mbranch-protection signs lr (PAC) while the state is set; the unwinder
// strips a signed return address to the user virtual-address bits (48 on
// Linux unless a program maps above them).
#define GORT_DWARF_PAC_VA_BITS 48
// Frame records (the frame-pointer unwinder, core/unwind_fp.cpp): x29
// addresses {caller's x29, saved lr} (AAPCS64 6.4.6; Apple's ABI requires
// the chain). The caller's sp is at least x29 + 16: exactly that where
// the record tops the frame (clang, Apple), more where GCC puts it at the
// bottom.
#define GORT_FP_RECORD 1

// GORT_GOBUF_DWARF(X): X(DWARF number, Gobuf offset) for every integer
// register a Gobuf saves (the unwinder rebuilds a parked G's frame from it;
// sp and pc are Gobuf's own fields; pc is the return address, lr its own
// slot).
#define GORT_GOBUF_DWARF(X)                                                                       \
  X(19, GOBUF_X19) X(20, GOBUF_X19 + 8) X(21, GOBUF_X21) X(22, GOBUF_X21 + 8) X(23, GOBUF_X23)   \
  X(24, GOBUF_X23 + 8) X(25, GOBUF_X25) X(26, GOBUF_X25 + 8) X(27, GOBUF_X27) X(28, GOBUF_X27 + 8) \
  X(29, GOBUF_X29) X(30, GOBUF_LR)

// FP environment as the test helpers see it: FPCR. A and B differ in every
// bit the FpControl tests compare: flush-to-zero FZ (24), default NaN DN
// (25) and rounding RMode (22-23). FPSR (the cumulative flags) is not part
// of a context here (AAPCS64: "not preserved across a public interface").
#define GORT_TEST_FPENV_A 0x03400000u  // FZ DN, toward +inf
#define GORT_TEST_FPENV_B 0x00800000u  // toward -inf

#ifdef __ASSEMBLER__
// The object format, through a macro layer, so that one asm_arm64.S (and
// testhelp_arm64.S) serves ELF (Linux, solaris) and Mach-O (darwin):
//   GORT_SYM(name)   a C symbol: name on ELF, _name on Mach-O
//   GORT_TYPE(name), GORT_SIZE(name)  .type/.size of a function (ELF only)
//   GORT_NOTE_GNU_STACK  the non-executable-stack note (ELF only)
//   GORT_ADR reg, name  reg = &name, PC-relative (adr; adrp+add on Mach-O)
// Mach-O also has no GNU property note (GORT_PROPERTY_NOTE is empty there);
// .text, .p2align and the CFI directives are the same in both.
#if defined(__APPLE__) && defined(__MACH__)
#define GORT_SYM(name) _##name
#define GORT_ELF 0
#define GORT_TYPE(name)
#define GORT_SIZE(name)
#define GORT_NOTE_GNU_STACK
// GORT_ADR reg, name: reg = &name, PC-relative. Mach-O has no relocation
// for adr: a page address and the offset in it, as compilers emit.
.macro GORT_ADR reg, name
	adrp	\reg, _\name@PAGE
	add	\reg, \reg, _\name@PAGEOFF
.endm
#elif defined(__ELF__)
#define GORT_ELF 1
#define GORT_SYM(name) name
#define GORT_TYPE(name) .type name, %function
#define GORT_SIZE(name) .size name, .-name
#define GORT_NOTE_GNU_STACK .section .note.GNU-stack, "", %progbits
.macro GORT_ADR reg, name
	adr	\reg, \name
.endm
#else
#error "gort: arch/arm64 knows ELF and Mach-O objects only (gort_arch.h)"
#endif

// Branch protection (gcc -mbranch-protection, which defines
// __ARM_FEATURE_BTI_DEFAULT and __ARM_FEATURE_PAC_DEFAULT).
// BTI: every function that may be reached by an indirect call starts with
// GORT_LANDING_PAD ("bti c", hint #34, a nop without BTI), and
// GORT_PROPERTY_NOTE marks the object BTI; without the note the linker
// drops BTI from the whole program and the loader maps no page guarded.
// Return points need nothing from the port: gogo branches with br x17,
// which "bti c", paciasp and "bti j" all accept, and lands either on a new
// G's function or after a call to gosave or mcall, which port.hpp declares
// returns_twice so that compilers put "bti j" there; gort_goexit_ra and
// lessstack are reached by ret, which BTI does not check.
// PAC: the port signs no return address (__ARM_FEATURE_PAC_DEFAULT is
// ignored). morestack's frame and every Gobuf keep lr unsigned; signing the
// Gobuf copies would need a modifier that survives a stack switch. So the
// note leaves the PAC bit out (it is informational: nothing enforces it).
#if defined(__ARM_FEATURE_BTI_DEFAULT) && __ARM_FEATURE_BTI_DEFAULT
#define GORT_LANDING_PAD hint 34  // bti c
#define GORT_AARCH64_FEATURE_1 1  // GNU_PROPERTY_AARCH64_FEATURE_1_BTI
#else
#define GORT_LANDING_PAD
#define GORT_AARCH64_FEATURE_1 0
#endif
// The NT_GNU_PROPERTY_TYPE_0 note (ELF; empty on Mach-O): GNU_PROPERTY_AARCH64_FEATURE_1_AND = BTI.
.macro GORT_PROPERTY_NOTE
.if GORT_ELF && GORT_AARCH64_FEATURE_1
	.pushsection .note.gnu.property, "a"
	.p2align 3
	.long	4			// n_namesz: "GNU\0"
	.long	16			// n_descsz: one property, padded to 8
	.long	5			// NT_GNU_PROPERTY_TYPE_0
	.asciz	"GNU"
	.long	0xc0000000		// GNU_PROPERTY_AARCH64_FEATURE_1_AND
	.long	4			// pr_datasz
	.long	GORT_AARCH64_FEATURE_1
	.long	0			// pad to 8
	.popsection
.endif
.endm
#endif

#ifndef __ASSEMBLER__
#include <cstddef>
#include <cstdint>
namespace gort_arch {
struct Regs {
  std::uint64_t x19_x28[10];
  std::uint64_t x29, lr;
  std::uint64_t d8_d15[8];
  std::uint64_t fpcr;
};
// fpctl_copy: the FP control slot of a Regs and nothing else: FPCR
// (core/port.hpp says what core copies with it).
inline void fpctl_copy(Regs& to, const Regs& from) noexcept {
  to.fpcr = from.fpcr;
}
static_assert(GOBUF_REGS + offsetof(Regs, x19_x28) == GOBUF_X19, "GOBUF_X19");
static_assert(GOBUF_X21 == GOBUF_X19 + 16 && GOBUF_X23 == GOBUF_X19 + 32 &&
                  GOBUF_X25 == GOBUF_X19 + 48 && GOBUF_X27 == GOBUF_X19 + 64,
              "x19-x28 pairs");
static_assert(GOBUF_REGS + offsetof(Regs, x29) == GOBUF_X29, "GOBUF_X29");
static_assert(GOBUF_REGS + offsetof(Regs, lr) == GOBUF_LR, "GOBUF_LR");
static_assert(GOBUF_REGS + offsetof(Regs, d8_d15) == GOBUF_D8, "GOBUF_D8");
static_assert(GOBUF_D10 == GOBUF_D8 + 16 && GOBUF_D12 == GOBUF_D8 + 32 &&
                  GOBUF_D14 == GOBUF_D8 + 48,
              "d8-d15 pairs");
static_assert(GOBUF_REGS + offsetof(Regs, fpcr) == GOBUF_FPCR, "GOBUF_FPCR");
}  // namespace gort_arch
#endif

#endif
