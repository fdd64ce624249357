// asm_amd64.S: gort's context primitives for amd64, System V ABI.
//
// Saved and restored by gosave/gogo/mcall: rbx rbp r12-r15 rsp, the return
// pc, MXCSR (whole register) and the x87 control word. Not saved: the signal
// mask, the x87 status/tag words (the x87 stack is empty at every call), XMM
// registers (all caller-saved here), rflags (DF is clear at every call).
// The Gobuf layout is in gort_arch.h.
// Under -fcf-protection each entry starts with endbr64 and the object is
// marked IBT, never SHSTK: shadow stacks are not supported (gort_arch.h).
#include "gort_arch.h"

	.text

// Save the caller of the current routine (return pc at (%rsp), its sp once
// returned = rsp+8) and its callee-saved state into the Gobuf at rdi; store
// 1 in ctxt. Smashes rax, r8. ($(1), not $1: in a macro body Apple's
// assembler syntax, which clang follows for Mach-O, reads $1 as the first
// macro argument.)
.macro SAVE_CALLER
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
	stmxcsr	GOBUF_MXCSR(%rdi)
	fnstcw	GOBUF_X87CW(%rdi)
.endm

// Load the Gobuf at rdi: callee-saved registers, FP control, then rsp last
// (see gogo); leaves pc in rcx and ctxt in rax and rdi. r9w holds the x87
// control word in force: fldcw (about 0.5 ns a switch here) only when the
// Gobuf's differs, which it almost never does; ldmxcsr always (as cheap as
// the compare). Smashes rsi.
.macro RESTORE
	movq	GOBUF_RBX(%rdi), %rbx
	movq	GOBUF_RBP(%rdi), %rbp
	movq	GOBUF_R12(%rdi), %r12
	movq	GOBUF_R13(%rdi), %r13
	movq	GOBUF_R14(%rdi), %r14
	movq	GOBUF_R15(%rdi), %r15
	ldmxcsr	GOBUF_MXCSR(%rdi)
	cmpw	GOBUF_X87CW(%rdi), %r9w
	je	1f
	fldcw	GOBUF_X87CW(%rdi)
1:	movq	GOBUF_SP(%rdi), %rsi
	movq	GOBUF_PC(%rdi), %rcx
	movq	GOBUF_CTXT(%rdi), %rax
	movq	%rax, %rdi
	movq	%rsi, %rsp
.endm

// uintptr_t gort_gosave(Gobuf *buf /* rdi */)
// Returns 0 now and buf->ctxt (1) when resumed by gogo. Smashes rax, r8.
	.globl	GORT_SYM(gort_gosave)
	GORT_TYPE(gort_gosave)
	.p2align 4
GORT_SYM(gort_gosave):
	.cfi_startproc
	GORT_LANDING_PAD
	SAVE_CALLER
	xorl	%eax, %eax
	ret
	.cfi_endproc
	GORT_SIZE(gort_gosave)

// void gort_gogo(const Gobuf *buf /* rdi */)  -- never returns
// rdi and rax get buf->ctxt: fn(arg) for a new G, gosave's result otherwise.
// Everything is read from buf first and rsp moves last, just before the
// jump: once rsp has moved, a signal handled on this stack builds its frame
// below the new rsp, where buf may live (mexit resumes a copy of g0's base
// context kept in its own frame). Smashes rcx, rsi, r9.
	.globl	GORT_SYM(gort_gogo)
	GORT_TYPE(gort_gogo)
	.p2align 4
GORT_SYM(gort_gogo):
	.cfi_startproc
	GORT_LANDING_PAD
	movl	$-1, %r9d		// no control word is 0xffff: fldcw always (reading
					// the one in force costs what fldcw saves)
	RESTORE
	jmp	*%rcx
	.cfi_endproc
	GORT_SIZE(gort_gogo)

// void gort_swap(Gobuf *save /* rdi */, const Gobuf *to /* rsi */)
// gosave(save) then gogo(to) in one call (the optional GORT_ARCH_SWAP hook,
// core/port.hpp). `to` is entered by a return: its pc is pushed below its
// sp and popped by ret, which pairs with the call that entered this
// routine, so the CPU's return-address predictor stays right when `to`
// left by a gort_swap from the same call site (and its callers' returns
// after it). The slot below a saved sp is free: it held the return address
// of the call that saved the context (or, for a new G, lies below its first
// frame). save is resumed as a return from this call. Smashes rax, rcx,
// rsi, rdi, r8, r9.
	.globl	GORT_SYM(gort_swap)
	GORT_TYPE(gort_swap)
	.p2align 4
GORT_SYM(gort_swap):
	.cfi_startproc
	GORT_LANDING_PAD
	SAVE_CALLER
	movzwl	GOBUF_X87CW(%rdi), %r9d
	movq	%rsi, %rdi
	RESTORE
	pushq	%rcx
	ret
	.cfi_endproc
	GORT_SIZE(gort_swap)

// void gort_mcall(Gobuf *save /* rdi */, uintptr_t g0sp /* rsi */,
//                 void (*fn)(G *) /* rdx */, G *gp /* rcx */)
// Saves the caller into *save as gosave does, then calls fn(gp) on g0's
// stack below g0sp, GORT_MIN_FRAME (0 here) lower still. fn must not return.
	.globl	GORT_SYM(gort_mcall)
	GORT_TYPE(gort_mcall)
	.p2align 4
GORT_SYM(gort_mcall):
	.cfi_startproc
	GORT_LANDING_PAD
	SAVE_CALLER
	leaq	-GORT_MIN_FRAME(%rsi), %rsp	// onto g0, below fn's reserved area;
					// fn sees rsp % 16 == 8
	.cfi_undefined rip		// a backtrace from fn stops here
	xorl	%ebp, %ebp
	movq	%rcx, %rdi
	call	*%rdx
	call	GORT_SYM(gort_mcall_returned)
	ud2
	.cfi_endproc
	GORT_SIZE(gort_mcall)

// void gort_morestack(void *arg /* rdi */, void (*fn)(void *) /* rsi */,
//                     uintptr_t sp /* rdx */)
// void gort_systemstack(same)
// Calls fn(arg) on the stack whose top is sp, GORT_MIN_FRAME (0 here) below
// it, and returns what it returned.
// rbp holds the old rsp meanwhile, so the CFA stays rbp+16 on either stack.
// The return path (lessstack) only moves rsp back: rax, rdx, xmm0, xmm1 and
// st0 are as fn left them.
	.globl	GORT_SYM(gort_morestack)
	GORT_TYPE(gort_morestack)
	.globl	GORT_SYM(gort_systemstack)
	GORT_TYPE(gort_systemstack)
	.p2align 4
GORT_SYM(gort_morestack):
GORT_SYM(gort_systemstack):
	.cfi_startproc
	GORT_LANDING_PAD
	pushq	%rbp
	.cfi_def_cfa_offset 16
	.cfi_offset rbp, -16
	movq	%rsp, %rbp
	.cfi_def_cfa_register rbp
	leaq	-GORT_MIN_FRAME(%rdx), %rsp
	call	*%rsi
	.globl	GORT_SYM(gort_lessstack)
GORT_SYM(gort_lessstack):
	movq	%rbp, %rsp
	popq	%rbp
	.cfi_def_cfa rsp, 8
	ret
	.cfi_endproc
	GORT_SIZE(gort_morestack)
	GORT_SIZE(gort_systemstack)

// void gort_gostartcall(Gobuf *buf /* rdi */, void (*fn)(void *) /* rsi */,
//                       void *arg /* rdx */, uintptr_t stack_hi /* rcx */)
// Frame: [sp] = gort_goexit_ra, sp % 16 == 8, as if goexit had called fn,
// GORT_MIN_FRAME (0 here) below stack_hi & ~15.
	.globl	GORT_SYM(gort_gostartcall)
	GORT_TYPE(gort_gostartcall)
	.p2align 4
GORT_SYM(gort_gostartcall):
	.cfi_startproc
	GORT_LANDING_PAD
	andq	$-16, %rcx
	subq	$GORT_MIN_FRAME, %rcx
	leaq	GORT_SYM(gort_goexit_ra)(%rip), %rax
	movq	%rax, -8(%rcx)
	subq	$8, %rcx
	movq	%rcx, GOBUF_SP(%rdi)
	movq	%rsi, GOBUF_PC(%rdi)
	movq	%rdx, GOBUF_CTXT(%rdi)
	xorl	%eax, %eax
	movq	%rax, GOBUF_RBX(%rdi)
	movq	%rax, GOBUF_RBP(%rdi)
	movq	%rax, GOBUF_R12(%rdi)
	movq	%rax, GOBUF_R13(%rdi)
	movq	%rax, GOBUF_R14(%rdi)
	movq	%rax, GOBUF_R15(%rdi)
	stmxcsr	GOBUF_MXCSR(%rdi)
	fnstcw	GOBUF_X87CW(%rdi)
	ret
	.cfi_endproc
	GORT_SIZE(gort_gostartcall)

// goexit: a new G's function returns to gort_goexit_ra with rsp % 16 == 0.
// The return-address column is undefined, so unwinders end here.
	.globl	GORT_SYM(gort_goexit)
	GORT_TYPE(gort_goexit)
	.globl	GORT_SYM(gort_goexit_ra)
	.p2align 4
GORT_SYM(gort_goexit):
	.cfi_startproc
	.cfi_undefined rip
	nop				// so that ra-1 lies inside goexit
GORT_SYM(gort_goexit_ra):
	call	GORT_SYM(gort_goexit1)
	ud2
	.cfi_endproc
	GORT_SIZE(gort_goexit)

	GORT_PROPERTY_NOTE
	GORT_NOTE_GNU_STACK
