// testhelp_amd64.S: routines the conformance suite uses to see registers.
// Not part of the runtime. Slots are 64-bit; see tests/conformance/harness.hpp.
// Every routine starts with GORT_LANDING_PAD (gort_arch.h): several are
// called through pointers (probe, retregs_fill).
#include "gort_arch.h"

	.text

// void gort_test_regs(const uint64_t *in /* rdi */, uint64_t *out /* rsi */,
//                     void (*fn)(void *) /* rdx */, void *arg /* rcx */)
// Loads rbx rbp r12-r15 from in[0..5], calls fn(arg), stores them to
// out[0..5], out[6] = rsp before the call, out[7] = rsp after it. Restores
// the caller's registers.
	.globl	GORT_SYM(gort_test_regs)
	GORT_TYPE(gort_test_regs)
GORT_SYM(gort_test_regs):
	.cfi_startproc
	GORT_LANDING_PAD
	pushq	%rbp
	.cfi_adjust_cfa_offset 8
	pushq	%rbx
	.cfi_adjust_cfa_offset 8
	pushq	%r12
	.cfi_adjust_cfa_offset 8
	pushq	%r13
	.cfi_adjust_cfa_offset 8
	pushq	%r14
	.cfi_adjust_cfa_offset 8
	pushq	%r15
	.cfi_adjust_cfa_offset 8
	pushq	%rsi			// out; rsp % 16 == 0 now
	.cfi_adjust_cfa_offset 8
	movq	%rdx, %rax
	movq	0(%rdi), %rbx
	movq	8(%rdi), %rbp
	movq	16(%rdi), %r12
	movq	24(%rdi), %r13
	movq	32(%rdi), %r14
	movq	40(%rdi), %r15
	movq	%rsp, 48(%rsi)
	movq	%rcx, %rdi
	call	*%rax
	movq	(%rsp), %rsi
	movq	%rbx, 0(%rsi)
	movq	%rbp, 8(%rsi)
	movq	%r12, 16(%rsi)
	movq	%r13, 24(%rsi)
	movq	%r14, 32(%rsi)
	movq	%r15, 40(%rsi)
	movq	%rsp, 56(%rsi)
	popq	%rsi
	.cfi_adjust_cfa_offset -8
	popq	%r15
	.cfi_adjust_cfa_offset -8
	popq	%r14
	.cfi_adjust_cfa_offset -8
	popq	%r13
	.cfi_adjust_cfa_offset -8
	popq	%r12
	.cfi_adjust_cfa_offset -8
	popq	%rbx
	.cfi_adjust_cfa_offset -8
	popq	%rbp
	.cfi_adjust_cfa_offset -8
	ret
	.cfi_endproc
	GORT_SIZE(gort_test_regs)

// void gort_test_clobber_gogo(const uint64_t *vals /* rdi */,
//                             const Gobuf *buf /* rsi */)  -- never returns
// Loads rbx rbp r12-r15 from vals, then gogo(buf).
	.globl	GORT_SYM(gort_test_clobber_gogo)
	GORT_TYPE(gort_test_clobber_gogo)
GORT_SYM(gort_test_clobber_gogo):
	GORT_LANDING_PAD
	movq	0(%rdi), %rbx
	movq	8(%rdi), %rbp
	movq	16(%rdi), %r12
	movq	24(%rdi), %r13
	movq	32(%rdi), %r14
	movq	40(%rdi), %r15
	movq	%rsi, %rdi
	jmp	GORT_SYM(gort_gogo)
	GORT_SIZE(gort_test_clobber_gogo)

// void gort_test_probe(void *arg /* rdi */)
// Tail-calls gort_test_probe_body(arg, rsp at entry): same alignment.
	.globl	GORT_SYM(gort_test_probe)
	GORT_TYPE(gort_test_probe)
GORT_SYM(gort_test_probe):
	GORT_LANDING_PAD
	movq	%rsp, %rsi
	jmp	GORT_SYM(gort_test_probe_body)
	GORT_SIZE(gort_test_probe)

// void gort_test_retregs_fill(const uint64_t *p /* rdi */)
// rax = p[0], rdx = p[1], xmm0 = p[2], xmm1 = p[3], st0 = (double)p[4].
	.globl	GORT_SYM(gort_test_retregs_fill)
	GORT_TYPE(gort_test_retregs_fill)
GORT_SYM(gort_test_retregs_fill):
	GORT_LANDING_PAD
	movq	0(%rdi), %rax
	movq	8(%rdi), %rdx
	movq	16(%rdi), %xmm0
	movq	24(%rdi), %xmm1
	fldl	32(%rdi)
	ret
	GORT_SIZE(gort_test_retregs_fill)

// void gort_test_retregs(const uint64_t *p /* rdi */, uint64_t *out /* rsi */,
//                        uintptr_t sp /* rdx */)
// morestack(p, gort_test_retregs_fill, sp), then stores the return
// registers to out[0..4] in fill's order.
	.globl	GORT_SYM(gort_test_retregs)
	GORT_TYPE(gort_test_retregs)
GORT_SYM(gort_test_retregs):
	.cfi_startproc
	GORT_LANDING_PAD
	pushq	%rbx
	.cfi_adjust_cfa_offset 8
	movq	%rsi, %rbx
	leaq	GORT_SYM(gort_test_retregs_fill)(%rip), %rsi
	call	GORT_SYM(gort_morestack)
	movq	%rax, 0(%rbx)
	movq	%rdx, 8(%rbx)
	movq	%xmm0, 16(%rbx)
	movq	%xmm1, 24(%rbx)
	fstpl	32(%rbx)
	popq	%rbx
	.cfi_adjust_cfa_offset -8
	ret
	.cfi_endproc
	GORT_SIZE(gort_test_retregs)

// uint32_t gort_test_fpenv_get(void)
// MXCSR in the low 16 bits, the x87 control word in the high 16. A leaf:
// it stages both in the red zone.
	.globl	GORT_SYM(gort_test_fpenv_get)
	GORT_TYPE(gort_test_fpenv_get)
GORT_SYM(gort_test_fpenv_get):
	GORT_LANDING_PAD
	stmxcsr	-8(%rsp)
	fnstcw	-4(%rsp)
	movl	-8(%rsp), %eax
	movzwl	-4(%rsp), %edx
	shll	$16, %edx
	orl	%edx, %eax
	ret
	GORT_SIZE(gort_test_fpenv_get)

// void gort_test_fpenv_set(uint32_t v /* edi */): the inverse.
	.globl	GORT_SYM(gort_test_fpenv_set)
	GORT_TYPE(gort_test_fpenv_set)
GORT_SYM(gort_test_fpenv_set):
	GORT_LANDING_PAD
	movzwl	%di, %eax
	movl	%eax, -8(%rsp)
	shrl	$16, %edi
	movw	%di, -4(%rsp)
	ldmxcsr	-8(%rsp)
	fldcw	-4(%rsp)
	ret
	GORT_SIZE(gort_test_fpenv_set)

	GORT_PROPERTY_NOTE
	GORT_NOTE_GNU_STACK
