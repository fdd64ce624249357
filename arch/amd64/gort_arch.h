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
// Indirect-branch tracking (gcc -fcf-protection): resume points need landing
// pads (port.hpp, gort_mcall; GORT_LANDING_PAD below).
#if defined(__CET__) && (__CET__ & 1)
#define GORT_BRANCH_TARGETS 1
#endif

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

// Integer division by zero traps (SIGFPE) on this CPU; where it does not,
// the result is defined and tests send SIGFPE instead.
#define GORT_INT_DIV_TRAPS 1

// DWARF register numbers for gort's unwinder (core/unwind.hpp), System V
// AMD64 psABI table 3.36: rax 0, rdx 1, rcx 2, rbx 3, rsi 4, rdi 5, rbp 6,
// rsp 7, r8-r15 8-15, return address (rip) 16: integer registers tracked,
// sp, the frame pointer, the return-address column.
#define GORT_DWARF_NREGS 17
#define GORT_DWARF_SP 7
#define GORT_DWARF_FP 6
#define GORT_DWARF_RA 16
// Frame records (the frame-pointer unwinder, core/unwind_fp.cpp): a
// function that keeps rbp pushes it after the return address and points
// rbp there, so rbp addresses {caller's rbp, return address}, and the
// caller's rsp at the call is rbp + 16.
#define GORT_FP_RECORD 1

// FP environment as the test helpers pack it: MXCSR in bits 0-15, the x87
// control word in bits 16-31. A and B differ in every bit the FpControl
// tests compare: MXCSR flush-to-zero (15), denormals-are-zero (6), rounding
// (13-14) and the sticky flags (0-5); x87 precision control (8-9) and
// rounding (10-11). Exceptions stay masked in both (unmasked ones would
// trap in the harness).
#define GORT_TEST_FPENV_A 0x047fbfffu  // FTZ DAZ, round down, flags; x87 single, down
#define GORT_TEST_FPENV_B 0x0b7f5f80u  // round up, no flags; x87 extended, up

#ifdef __ASSEMBLER__
// The object format, through a macro layer, so that one asm_amd64.S (and
// testhelp_amd64.S) serves ELF (Linux, solaris) and Mach-O (darwin):
//   GORT_SYM(name)   a C symbol: name on ELF, _name on Mach-O
//   GORT_TYPE(name), GORT_SIZE(name)  .type/.size of a function (ELF only)
//   GORT_NOTE_GNU_STACK  the non-executable-stack note (ELF only)
// Mach-O also has no GNU property note (GORT_PROPERTY_NOTE is empty there);
// .text, .p2align and the CFI directives are the same in both.
#if defined(__APPLE__) && defined(__MACH__)
#define GORT_SYM(name) _##name
#define GORT_ELF 0
#define GORT_TYPE(name)
#define GORT_SIZE(name)
#define GORT_NOTE_GNU_STACK
#elif defined(__ELF__)
#define GORT_ELF 1
#define GORT_SYM(name) name
#define GORT_TYPE(name) .type name, @function
#define GORT_SIZE(name) .size name, .-name
#define GORT_NOTE_GNU_STACK .section .note.GNU-stack, "", @progbits
#else
#error "gort: arch/amd64 knows ELF and Mach-O objects only (gort_arch.h)"
#endif

// Control-flow protection (gcc -fcf-protection, which defines __CET__).
// Indirect-branch tracking (IBT, __CET__ bit 0): every function that may be
// reached by an indirect call or jump starts with GORT_LANDING_PAD
// (endbr64), and GORT_PROPERTY_NOTE marks the object IBT; without the note
// the linker drops IBT from the whole program. Return points need nothing:
// gogo's jmp lands after a call to gosave or mcall, which port.hpp declares
// returns_twice so that compilers put endbr64 there; gort_goexit_ra and
// lessstack are reached by ret only.
// Shadow stacks (SHSTK, __CET__ bit 1) are not claimed: gogo and mcall move
// to another stack without moving the shadow stack, so the next ret would
// fault. The note leaves SHSTK out, and the linker then builds the program
// without it.
#if defined(__CET__) && (__CET__ & 1)
#define GORT_LANDING_PAD endbr64
#define GORT_X86_FEATURE_1 1  // GNU_PROPERTY_X86_FEATURE_1_IBT
#else
#define GORT_LANDING_PAD
#define GORT_X86_FEATURE_1 0
#endif
// The NT_GNU_PROPERTY_TYPE_0 note (ELF; empty on Mach-O): GNU_PROPERTY_X86_FEATURE_1_AND = IBT.
.macro GORT_PROPERTY_NOTE
.if GORT_ELF && GORT_X86_FEATURE_1
	.pushsection .note.gnu.property, "a"
	.p2align 3
	.long	4			// n_namesz: "GNU\0"
	.long	16			// n_descsz: one property, padded to 8
	.long	5			// NT_GNU_PROPERTY_TYPE_0
	.asciz	"GNU"
	.long	0xc0000002		// GNU_PROPERTY_X86_FEATURE_1_AND
	.long	4			// pr_datasz
	.long	GORT_X86_FEATURE_1
	.p2align 3
	.popsection
.endif
.endm
#endif

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
// fpctl_copy: the FP control slots of a Regs and nothing else: MXCSR and
// the x87 control word, as gosave stores them (core/port.hpp says what
// core copies with it).
inline void fpctl_copy(Regs& to, const Regs& from) noexcept {
  to.mxcsr = from.mxcsr;
  to.x87cw = from.x87cw;
}
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

// Optional hook (core/port.hpp): gort_swap, gosave and gogo in one call
// that resumes by a return (asm_amd64.S). A solo P's direct switches use it.
#define GORT_ARCH_SWAP 1

// Optional hook (core/port.hpp): the current G's thread-local slot,
// gort_tls_g (core/proc.cpp, initial-exec), read and written inline. Each
// access goes through %fs at that moment, so no thread address computed
// before a switch can be reused after it on another thread; the asm is
// volatile, so no read is hoisted across one either. ELF only (Mach-O has
// no initial-exec TLS).
#if defined(__ELF__)
#define GORT_ARCH_TLS_G 1
namespace gort_arch {
inline void* tls_g_get() noexcept {
  void* g;
  asm volatile("movq gort_tls_g@gottpoff(%%rip), %0\n\tmovq %%fs:(%0), %0" : "=r"(g));
  return g;
}
inline void tls_g_set(void* g) noexcept {
  void* off;
  asm volatile("movq gort_tls_g@gottpoff(%%rip), %0\n\tmovq %1, %%fs:(%0)" : "=&r"(off) : "r"(g) : "memory");
}
}  // namespace gort_arch
#endif
#endif

#endif
