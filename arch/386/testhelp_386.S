// testhelp_386.S: routines the conformance suite uses to see registers.
// Not part of the runtime. Slots are 64-bit; a register takes the low word.
// See tests/conformance/harness.hpp.
#include "gort_arch.h"

	.text

// void gort_test_regs(const uint64_t *in, uint64_t *out,
//                     void (*fn)(void *), void *arg)
// ebx esi edi ebp = in[0..3]; fn(arg); out[0..3] = the same registers,
// out[4] = esp before the call, out[5] = esp after it.
	.globl	gort_test_regs
	.type	gort_test_regs, @function
gort_test_regs:
	.cfi_startproc
	pushl	%ebp
	.cfi_adjust_cfa_offset 4
	pushl	%ebx
	.cfi_adjust_cfa_offset 4
	pushl	%esi
	.cfi_adjust_cfa_offset 4
	pushl	%edi
	.cfi_adjust_cfa_offset 4
	movl	20(%esp), %eax		// in
	movl	28(%esp), %ecx		// fn
	movl	32(%esp), %edx		// arg
	subl	$8, %esp
	.cfi_adjust_cfa_offset 8
	pushl	%edx			// esp % 16 == 0 at the call
	.cfi_adjust_cfa_offset 4
	movl	0(%eax), %ebx
	movl	8(%eax), %esi
	movl	16(%eax), %edi
	movl	24(%eax), %ebp
	movl	36(%esp), %edx		// out
	movl	%esp, 32(%edx)
	call	*%ecx
	movl	36(%esp), %edx
	movl	%ebx, 0(%edx)
	movl	%esi, 8(%edx)
	movl	%edi, 16(%edx)
	movl	%ebp, 24(%edx)
	movl	%esp, 40(%edx)
	addl	$12, %esp
	.cfi_adjust_cfa_offset -12
	popl	%edi
	.cfi_adjust_cfa_offset -4
	popl	%esi
	.cfi_adjust_cfa_offset -4
	popl	%ebx
	.cfi_adjust_cfa_offset -4
	popl	%ebp
	.cfi_adjust_cfa_offset -4
	ret
	.cfi_endproc
	.size	gort_test_regs, .-gort_test_regs

// void gort_test_clobber_gogo(const uint64_t *vals, const Gobuf *buf)
// Never returns.
	.globl	gort_test_clobber_gogo
	.type	gort_test_clobber_gogo, @function
gort_test_clobber_gogo:
	movl	4(%esp), %eax
	movl	0(%eax), %ebx
	movl	8(%eax), %esi
	movl	16(%eax), %edi
	movl	24(%eax), %ebp
	movl	8(%esp), %ecx
	movl	%ecx, 4(%esp)		// gogo's argument
	jmp	gort_gogo
	.size	gort_test_clobber_gogo, .-gort_test_clobber_gogo

// void gort_test_probe(void *arg): calls gort_test_probe_body(arg, esp at
// entry) with esp 16 bytes lower than at entry (same alignment).
	.globl	gort_test_probe
	.type	gort_test_probe, @function
gort_test_probe:
	.cfi_startproc
	movl	%esp, %ecx
	movl	4(%esp), %eax
	subl	$4, %esp
	.cfi_adjust_cfa_offset 4
	pushl	%ecx
	.cfi_adjust_cfa_offset 4
	pushl	%eax
	.cfi_adjust_cfa_offset 4
	call	gort_test_probe_body
	addl	$12, %esp
	.cfi_adjust_cfa_offset -12
	ret
	.cfi_endproc
	.size	gort_test_probe, .-gort_test_probe

// void gort_test_retregs_fill(const uint64_t *p)
// eax = p[0], edx = p[1], st0 = (double)p[2].
	.type	gort_test_retregs_fill, @function
gort_test_retregs_fill:
	movl	4(%esp), %ecx
	movl	0(%ecx), %eax
	movl	8(%ecx), %edx
	fldl	16(%ecx)
	ret
	.size	gort_test_retregs_fill, .-gort_test_retregs_fill

// void gort_test_retregs(const uint64_t *p, uint64_t *out, uintptr_t sp)
	.globl	gort_test_retregs
	.type	gort_test_retregs, @function
gort_test_retregs:
	.cfi_startproc
	pushl	%ebx
	.cfi_adjust_cfa_offset 4
	movl	8(%esp), %eax		// p
	movl	12(%esp), %ebx		// out
	movl	16(%esp), %ecx		// sp
	subl	$12, %esp
	.cfi_adjust_cfa_offset 12
	pushl	%ecx
	.cfi_adjust_cfa_offset 4
	call	1f
1:	popl	%edx
	addl	$(gort_test_retregs_fill - 1b), %edx
	pushl	%edx
	.cfi_adjust_cfa_offset 4
	pushl	%eax			// esp % 16 == 0 at the call
	.cfi_adjust_cfa_offset 4
	call	gort_morestack
	addl	$24, %esp
	.cfi_adjust_cfa_offset -24
	movl	%eax, 0(%ebx)
	movl	%edx, 8(%ebx)
	fstpl	16(%ebx)
	popl	%ebx
	.cfi_adjust_cfa_offset -4
	ret
	.cfi_endproc
	.size	gort_test_retregs, .-gort_test_retregs

// uint32_t gort_test_fpenv_get(void)
// MXCSR in the low 16 bits, the x87 control word in the high 16.
	.globl	gort_test_fpenv_get
	.type	gort_test_fpenv_get, @function
gort_test_fpenv_get:
	subl	$8, %esp
	stmxcsr	(%esp)
	fnstcw	4(%esp)
	movl	(%esp), %eax
	movzwl	4(%esp), %edx
	shll	$16, %edx
	orl	%edx, %eax
	addl	$8, %esp
	ret
	.size	gort_test_fpenv_get, .-gort_test_fpenv_get

// void gort_test_fpenv_set(uint32_t v /* 4(%esp) */): the inverse.
	.globl	gort_test_fpenv_set
	.type	gort_test_fpenv_set, @function
gort_test_fpenv_set:
	movl	4(%esp), %eax
	subl	$8, %esp
	movzwl	%ax, %ecx
	movl	%ecx, (%esp)
	shrl	$16, %eax
	movw	%ax, 4(%esp)
	ldmxcsr	(%esp)
	fldcw	4(%esp)
	addl	$8, %esp
	ret
	.size	gort_test_fpenv_set, .-gort_test_fpenv_set

	.section .note.GNU-stack,"",@progbits
