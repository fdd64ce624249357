// asm_386.S: gort's context primitives for i386, System V ABI (Linux).
//
// Arguments arrive on the stack: 4(%esp) is the first. gcc on Linux keeps
// esp 16-aligned at each call, so a function starts with (esp+4) % 16 == 0.
// Saved and restored by gosave/gogo/mcall: ebx esi edi ebp esp, the return
// pc, MXCSR (whole register) and the x87 control word. Not saved: the signal
// mask, eflags, the x87 status/tag words (the x87 stack is empty at every
// call), the segment registers (%gs holds the thread pointer; it is the
// thread's, not the G's).
#include "gort_arch.h"

	.text

// Store the caller's state (return pc at (%esp), sp after return = esp+4)
// into the Gobuf at \buf. Smashes eax.
.macro SAVE_CALLER buf
	movl	(%esp), %eax
	movl	%eax, GOBUF_PC(\buf)
	leal	4(%esp), %eax
	movl	%eax, GOBUF_SP(\buf)
	movl	$1, GOBUF_CTXT(\buf)
	movl	%ebx, GOBUF_EBX(\buf)
	movl	%esi, GOBUF_ESI(\buf)
	movl	%edi, GOBUF_EDI(\buf)
	movl	%ebp, GOBUF_EBP(\buf)
	stmxcsr	GOBUF_MXCSR(\buf)
	fnstcw	GOBUF_X87CW(\buf)
.endm

// uintptr_t gort_gosave(Gobuf *buf /* 4(%esp) */)
// Returns 0 now and buf->ctxt (1) when resumed. Smashes eax, ecx.
	.globl	gort_gosave
	.type	gort_gosave, @function
	.p2align 4
gort_gosave:
	.cfi_startproc
	movl	4(%esp), %ecx
	SAVE_CALLER %ecx
	xorl	%eax, %eax
	ret
	.cfi_endproc
	.size	gort_gosave, .-gort_gosave

// void gort_gogo(const Gobuf *buf /* 4(%esp) */)  -- never returns
// eax = buf->ctxt (gosave's result). A new G finds its argument on its
// stack, where gostartcall put it. Nothing is read from buf (or from the
// old stack) once esp has moved: a signal handled on this stack after that
// builds its frame below the new esp, where buf may live (mexit resumes a
// copy of g0's base context kept in its own frame). Four registers are
// restored, so three are left for the four words still needed: ecx holds
// buf until pc, the last load, replaces it. Smashes ecx, edx.
	.globl	gort_gogo
	.type	gort_gogo, @function
	.p2align 4
gort_gogo:
	.cfi_startproc
	movl	4(%esp), %ecx
	movl	GOBUF_EBX(%ecx), %ebx
	movl	GOBUF_ESI(%ecx), %esi
	movl	GOBUF_EDI(%ecx), %edi
	movl	GOBUF_EBP(%ecx), %ebp
	ldmxcsr	GOBUF_MXCSR(%ecx)
	fldcw	GOBUF_X87CW(%ecx)
	movl	GOBUF_SP(%ecx), %edx
	movl	GOBUF_CTXT(%ecx), %eax
	movl	GOBUF_PC(%ecx), %ecx
	movl	%edx, %esp
	jmp	*%ecx
	.cfi_endproc
	.size	gort_gogo, .-gort_gogo

// void gort_mcall(Gobuf *save /* 4(%esp) */, uintptr_t g0sp /* 8(%esp) */,
//                 void (*fn)(G *) /* 12(%esp) */, G *gp /* 16(%esp) */)
// Saves the caller into *save as gosave does, then fn(gp) on g0's stack
// below g0sp, GORT_MIN_FRAME (0 here) lower still. fn must not return.
// Unwinders stop here.
	.globl	gort_mcall
	.type	gort_mcall, @function
	.p2align 4
gort_mcall:
	.cfi_startproc
	movl	4(%esp), %ecx
	SAVE_CALLER %ecx
	movl	12(%esp), %ecx		// fn
	movl	16(%esp), %edx		// gp
	movl	8(%esp), %esp		// onto g0; g0sp % 16 == 0
	.cfi_undefined eip
	xorl	%ebp, %ebp
	subl	$12+GORT_MIN_FRAME, %esp
	pushl	%edx			// esp % 16 == 0 at the call
	call	*%ecx
	call	gort_mcall_returned
	ud2
	.cfi_endproc
	.size	gort_mcall, .-gort_mcall

// void gort_morestack(void *arg /* 4(%esp) */, void (*fn)(void *) /* 8 */,
//                     uintptr_t sp /* 12(%esp) */)
// void gort_systemstack(same)
// Calls fn(arg) on the stack whose top is sp (16-aligned), GORT_MIN_FRAME
// (0 here) below it. ebp keeps the old esp, so the CFA stays ebp+8 on
// either stack. The return path (lessstack) only moves esp back: eax, edx
// and st0 are as fn left them.
	.globl	gort_morestack
	.type	gort_morestack, @function
	.globl	gort_systemstack
	.type	gort_systemstack, @function
	.p2align 4
gort_morestack:
gort_systemstack:
	.cfi_startproc
	pushl	%ebp
	.cfi_def_cfa_offset 8
	.cfi_offset ebp, -8
	movl	%esp, %ebp
	.cfi_def_cfa_register ebp
	movl	8(%ebp), %eax		// arg
	movl	12(%ebp), %ecx		// fn
	movl	16(%ebp), %esp		// the new stack
	subl	$12+GORT_MIN_FRAME, %esp
	pushl	%eax			// esp % 16 == 0 at the call
	call	*%ecx
gort_lessstack:
	movl	%ebp, %esp
	popl	%ebp
	.cfi_def_cfa esp, 4
	ret
	.cfi_endproc
	.size	gort_morestack, .-gort_morestack
	.size	gort_systemstack, .-gort_systemstack

// void gort_gostartcall(Gobuf *buf /* 4(%esp) */, void (*fn)(void *) /* 8 */,
//                       void *arg /* 12 */, uintptr_t stack_hi /* 16 */)
// Frame: [sp] = gort_goexit_ra, [sp+4] = arg, (sp+4) % 16 == 0, as if
// goexit had called fn(arg), GORT_MIN_FRAME (0 here) below stack_hi & ~15.
	.globl	gort_gostartcall
	.type	gort_gostartcall, @function
	.p2align 4
gort_gostartcall:
	.cfi_startproc
	movl	4(%esp), %ecx
	movl	16(%esp), %edx
	andl	$-16, %edx
	subl	$16+GORT_MIN_FRAME, %edx	// the argument's slot, 16-aligned
	movl	12(%esp), %eax
	movl	%eax, (%edx)
	movl	%eax, GOBUF_CTXT(%ecx)
	call	1f			// PC-relative address of gort_goexit_ra
1:	popl	%eax
	addl	$(gort_goexit_ra - 1b), %eax
	movl	%eax, -4(%edx)
	subl	$4, %edx
	movl	%edx, GOBUF_SP(%ecx)
	movl	8(%esp), %eax
	movl	%eax, GOBUF_PC(%ecx)
	xorl	%eax, %eax
	movl	%eax, GOBUF_EBX(%ecx)
	movl	%eax, GOBUF_ESI(%ecx)
	movl	%eax, GOBUF_EDI(%ecx)
	movl	%eax, GOBUF_EBP(%ecx)
	stmxcsr	GOBUF_MXCSR(%ecx)
	fnstcw	GOBUF_X87CW(%ecx)
	ret
	.cfi_endproc
	.size	gort_gostartcall, .-gort_gostartcall

// goexit: a new G's function returns to gort_goexit_ra with esp at its
// argument's slot, 16-aligned.
	.globl	gort_goexit
	.type	gort_goexit, @function
	.globl	gort_goexit_ra
	.p2align 4
gort_goexit:
	.cfi_startproc
	.cfi_undefined eip
	nop				// so that ra-1 lies inside goexit
gort_goexit_ra:
	call	gort_goexit1
	ud2
	.cfi_endproc
	.size	gort_goexit, .-gort_goexit

	.section .note.GNU-stack,"",@progbits
