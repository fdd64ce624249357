// asm_arm.S: gort's context primitives for 32-bit ARM, AAPCS (Linux EABI):
// ARMv7-A hard-float (armhf) and ARMv5TE soft-float (armel) alike.
//
// Written in ARM state; callers and callees may be Thumb (every branch to a
// register is bx/blx, and a function pointer's low bit selects the state;
// ldr pc and pop {pc} interwork from ARMv5T on). No .arch or .fpu here:
// the file assembles for the compiler's target, so an instruction the
// target lacks is an assembler error, and the object's build attributes
// are the program's.
// Saved and restored by gosave/gogo/mcall: r4-r11, sp, lr, the return pc;
// with VFP (GORT_ARM_VFP, gort_arch.h) also d8-d15 and FPSCR (control bits
// and sticky flags). Soft-float has no FP registers. Not saved: the signal
// mask, d0-d7/d16-d31 (caller-saved), APSR flags, the TLS register.
// Unwind tables are ARM EHABI (.fnstart/.save/.setfp), not .cfi.
#include "gort_arch.h"

	.syntax	unified
	.arm
	.text

// Save the caller (sp, return address in lr as pc and as lr) and its
// callee-saved state into the Gobuf at r0; store 1 in ctxt. Smashes ip.
.macro SAVE_CALLER
	str	sp, [r0, #GOBUF_SP]
	str	lr, [r0, #GOBUF_PC]
	str	lr, [r0, #GOBUF_LR]
	mov	ip, #1
	str	ip, [r0, #GOBUF_CTXT]
	add	ip, r0, #GOBUF_R4
	stm	ip, {r4-r11}
#if GORT_ARM_VFP
	vmrs	ip, fpscr
	str	ip, [r0, #GOBUF_FPSCR]
	add	ip, r0, #GOBUF_D8
	vstmia	ip, {d8-d15}
#endif
.endm

// uintptr_t gort_gosave(Gobuf *buf /* r0 */)
// Returns 0 now and buf->ctxt (1) when resumed. Smashes ip.
	.globl	gort_gosave
	.type	gort_gosave, %function
	.p2align 2
gort_gosave:
	.fnstart
	SAVE_CALLER
	mov	r0, #0
	bx	lr
	.fnend
	.size	gort_gosave, .-gort_gosave

// void gort_gogo(const Gobuf *buf /* r0 */)  -- never returns
// r0 = buf->ctxt: fn(arg) for a new G, gosave's result otherwise.
// Everything, lr included, is read from buf first and sp moves last, just
// before the branch: once sp has moved, a signal handled on this stack
// builds its frame below the new sp, where buf may live (mexit resumes a
// copy of g0's base context kept in its own frame). Smashes r1, r2.
	.globl	gort_gogo
	.type	gort_gogo, %function
	.p2align 2
gort_gogo:
	.fnstart
	.cantunwind
	add	r1, r0, #GOBUF_R4
	ldm	r1, {r4-r11}
#if GORT_ARM_VFP
	add	r1, r0, #GOBUF_D8
	vldmia	r1, {d8-d15}
	ldr	r2, [r0, #GOBUF_FPSCR]
	vmsr	fpscr, r2
#endif
	ldr	lr, [r0, #GOBUF_LR]
	ldr	r2, [r0, #GOBUF_SP]
	ldr	r1, [r0, #GOBUF_PC]
	ldr	r0, [r0, #GOBUF_CTXT]
	mov	sp, r2
	bx	r1
	.fnend
	.size	gort_gogo, .-gort_gogo

// void gort_mcall(Gobuf *save /* r0 */, uintptr_t g0sp /* r1 */,
//                 void (*fn)(G *) /* r2 */, G *gp /* r3 */)
// Saves the caller into *save as gosave does, then fn(gp) with sp =
// g0sp - GORT_MIN_FRAME (0 here). fn must not return. Unwinders stop here
// (.cantunwind).
	.globl	gort_mcall
	.type	gort_mcall, %function
	.p2align 2
gort_mcall:
	.fnstart
	.cantunwind
	SAVE_CALLER
	sub	sp, r1, #GORT_MIN_FRAME
	mov	r11, #0
	mov	r0, r3
	blx	r2
	bl	gort_mcall_returned
	udf	#0
	.fnend
	.size	gort_mcall, .-gort_mcall

// void gort_morestack(void *arg /* r0 */, void (*fn)(void *) /* r1 */,
//                     uintptr_t sp /* r2 */)
// void gort_systemstack(same)
// Calls fn(arg) with sp = the given top of another stack - GORT_MIN_FRAME
// (0 here). r11 keeps the old sp, so the
// unwinder finds the caller through .setfp on either stack. The return path
// (lessstack) only moves sp back: r0-r3 (and d0-d7 with VFP) are as fn left
// them.
	.globl	gort_morestack
	.type	gort_morestack, %function
	.globl	gort_systemstack
	.type	gort_systemstack, %function
	.p2align 2
gort_morestack:
gort_systemstack:
	.fnstart
	push	{r11, lr}
	.save	{r11, lr}
	mov	r11, sp
	.setfp	r11, sp
	sub	sp, r2, #GORT_MIN_FRAME
	blx	r1
gort_lessstack:
	mov	sp, r11
	pop	{r11, pc}
	.fnend
	.size	gort_morestack, .-gort_morestack
	.size	gort_systemstack, .-gort_systemstack

// void gort_gostartcall(Gobuf *buf /* r0 */, void (*fn)(void *) /* r1 */,
//                       void *arg /* r2 */, uintptr_t stack_hi /* r3 */)
// sp = (stack_hi & ~7) - GORT_MIN_FRAME, pc = fn, r0 = arg,
// lr = gort_goexit_ra, r4-r11 = 0; with VFP, FPSCR = the caller's now and
// d8-d15 as they are (a new G assumes nothing of them).
	.globl	gort_gostartcall
	.type	gort_gostartcall, %function
	.p2align 2
gort_gostartcall:
	.fnstart
	bic	r3, r3, #7
	sub	r3, r3, #GORT_MIN_FRAME
	str	r3, [r0, #GOBUF_SP]
	str	r1, [r0, #GOBUF_PC]
	str	r2, [r0, #GOBUF_CTXT]
	adr	ip, gort_goexit_ra
	str	ip, [r0, #GOBUF_LR]
	mov	ip, #0
	add	r1, r0, #GOBUF_R4
	.rept	8
	str	ip, [r1], #4
	.endr
#if GORT_ARM_VFP
	vmrs	ip, fpscr
	str	ip, [r0, #GOBUF_FPSCR]
	add	r1, r0, #GOBUF_D8
	vstmia	r1, {d8-d15}
#endif
	bx	lr
	.fnend
	.size	gort_gostartcall, .-gort_gostartcall

// goexit: a new G's function returns to gort_goexit_ra.
	.globl	gort_goexit
	.type	gort_goexit, %function
	.globl	gort_goexit_ra
	.p2align 2
gort_goexit:
	.fnstart
	.cantunwind
	nop				// so that ra-2 lies inside goexit
gort_goexit_ra:
	bl	gort_goexit1
	udf	#0
	.fnend
	.size	gort_goexit, .-gort_goexit

	.section .note.GNU-stack,"",%progbits
