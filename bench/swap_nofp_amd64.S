// swap_nofp_amd64.S: NOT part of gort. The amd64 port's gort_swap
// (arch/amd64/asm_amd64.S) with its four FP-control instructions taken out
// (stmxcsr, fnstcw when saving; ldmxcsr and the x87 control word's compare
// and fldcw when loading), for one benchmark row only: switch_bench.cpp's
// gort_swap_nofp_with_setg, beside gort_swap_with_setg, shows in the same
// run what keeping each goroutine's FP control state costs a switch.
// A runtime switching this way would break the FpControl.* and
// Swap.FpEnvironmentSurvivesSwap promises (a goroutine's rounding mode or
// flush-to-zero would leak into the next goroutine on its thread).
// Everything else is gort_swap's, instruction for instruction.
#include "gort_arch.h"

	.text
	.globl	GORT_SYM(gort_bench_swap_nofp)
	GORT_TYPE(gort_bench_swap_nofp)
	.p2align 4
GORT_SYM(gort_bench_swap_nofp):
	.cfi_startproc
	GORT_LANDING_PAD
	movq	(%rsp), %rax
	leaq	8(%rsp), %r8
	movq	%r8, GOBUF_SP(%rdi)
	movq	%rax, GOBUF_PC(%rdi)
	movq	$(1), GOBUF_CTXT(%rdi)
	movq	%rbx, GOBUF_RBX(%rdi)
	movq	%rbp, GOBUF_RBP(%rdi)
	movq	%r12, GOBUF_R12(%rdi)
	movq	%r13, GOBUF_R13(%rdi)
	movq	%r14, GOBUF_R14(%rdi)
	movq	%r15, GOBUF_R15(%rdi)
	movq	GOBUF_RBX(%rsi), %rbx
	movq	GOBUF_RBP(%rsi), %rbp
	movq	GOBUF_R12(%rsi), %r12
	movq	GOBUF_R13(%rsi), %r13
	movq	GOBUF_R14(%rsi), %r14
	movq	GOBUF_R15(%rsi), %r15
	movq	GOBUF_PC(%rsi), %rcx
	movq	GOBUF_CTXT(%rsi), %rax
	movq	GOBUF_SP(%rsi), %rsp
	movq	%rax, %rdi
	pushq	%rcx
	ret
	.cfi_endproc
	GORT_SIZE(gort_bench_swap_nofp)

	GORT_PROPERTY_NOTE
	GORT_NOTE_GNU_STACK
