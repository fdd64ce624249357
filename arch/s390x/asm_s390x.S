// asm_s390x.S: gort's context primitives for z/Architecture, s390x ELF ABI
// (Linux).
//
// Saved and restored by gosave/gogo/mcall: r15 (sp), the return pc, r6-r13,
// r14 (the return address, as lr), f8-f15 (with the vector facility, the
// left halves of v8-v15, which is all the ABI keeps of them), and fpc's
// control bits: the IEEE exception masks and both rounding modes, which a
// context keeps as the Power ABI's limited-access FPSCR bits (the s390x ABI
// says nothing of fpc and refers to the Power ABI for it). fpc's flags and
// data-exception code are volatile and stay with the thread; gogo merges.
// Not saved: the signal mask, the volatile registers (r0-r5, f0-f7, the
// right halves of v8-v15, v0-v7, v16-v31), the access registers (a0 and a1
// hold the thread pointer, which belongs to the OS thread), the condition
// code and the program mask (zero across calls by the ABI).
//
// Frames: every caller keeps a 160-byte register save area at r15 for its
// callee (GORT_MIN_FRAME); its first doubleword is the back chain, which
// the ABI preserves across calls and a back-chain walker (code built with
// -mbackchain) follows: the first frame of a new G and of mcall's g0 frame
// holds 0 there, the end of the chain. The DWARF CFA is the caller's r15
// + 160.
// The Gobuf layout is in gort_arch.h.
#include "gort_arch.h"

	.text

// Store the caller's context into the Gobuf at \buf: sp, pc = r14, ctxt =
// 1, r6-r14, f8-f15, fpc. Smashes r0.
.macro SAVE_CALLER buf
	stg	%r15, GOBUF_SP(\buf)
	stg	%r14, GOBUF_PC(\buf)
	lghi	%r0, 1
	stg	%r0, GOBUF_CTXT(\buf)
	stmg	%r6, %r14, GOBUF_R6(\buf)
	.irp n, 8,9,10,11,12,13,14,15
	std	%f\n, GOBUF_F(\n)(\buf)
	.endr
	lghi	%r0, 0
	efpc	%r0			// bits 32-63; 0-31 stay zero
	stg	%r0, GOBUF_FPC(\buf)
.endm

// uintptr_t gort_gosave(Gobuf *buf /* r2 */)
// A leaf: r15 and r14 are the caller's as they will be once this returns.
// Returns 0 now and buf->ctxt (1) when a gogo resumes it. Smashes r0.
	.globl	gort_gosave
	.type	gort_gosave, @function
	.p2align 3
gort_gosave:
	.cfi_startproc
	SAVE_CALLER %r2
	lghi	%r2, 0
	br	%r14
	.cfi_endproc
	.size	gort_gosave, .-gort_gosave

// void gort_gogo(const Gobuf *buf /* r2 */)  -- never returns
// Loads r6-r14, f8-f15 and fpc's kept bits (the thread's flags and DXC
// stay), then pc (into r1), sp (into r0) and ctxt (into r2, the first
// argument and the integer return register: fn's arg for a new G,
// gosave's result otherwise). r15 moves last, just before the jump: once
// it has moved, a signal handled on this stack builds its frame below the
// new r15, where buf may live (mexit resumes a copy of g0's base context
// kept in its own frame). Smashes r0, r1.
	.globl	gort_gogo
	.type	gort_gogo, @function
	.p2align 3
gort_gogo:
	.cfi_startproc
	lmg	%r6, %r14, GOBUF_R6(%r2)
	.irp n, 8,9,10,11,12,13,14,15
	ld	%f\n, GOBUF_F(\n)(%r2)
	.endr
	efpc	%r1
	nilf	%r1, ~GORT_FPC_KEPT & 0xffffffff	// the thread's flags and DXC
	lg	%r0, GOBUF_FPC(%r2)
	nilf	%r0, GORT_FPC_KEPT			// the context's masks and modes
	or	%r0, %r1
	sfpc	%r0
	lg	%r1, GOBUF_PC(%r2)
	lg	%r0, GOBUF_SP(%r2)
	lg	%r2, GOBUF_CTXT(%r2)
	lgr	%r15, %r0
	br	%r1
	.cfi_endproc
	.size	gort_gogo, .-gort_gogo

// void gort_mcall(Gobuf *save /* r2 */, uintptr_t g0sp /* r3 */,
//                 void (*fn)(G *) /* r4 */, G *gp /* r5 */)
// Saves the caller into *save exactly as gosave does, moves r15 to g0sp -
// GORT_MIN_FRAME (g0sp is 8-aligned; the 160 bytes are the register save
// area fn may use), whose back chain is 0, clears the frame pointer (r11)
// and calls fn(gp). fn must not return; if it does, this calls
// gort_mcall_returned. Once on g0, r14 is marked undefined: a backtrace or
// an exception raised in fn ends at this frame. Smashes r0 and whatever fn
// smashes.
	.globl	gort_mcall
	.type	gort_mcall, @function
	.p2align 3
gort_mcall:
	.cfi_startproc
	SAVE_CALLER %r2
	lghi	%r0, 0
	stg	%r0, -GORT_MIN_FRAME(%r3)
	lay	%r15, -GORT_MIN_FRAME(%r3)
	.cfi_undefined %r14
	lghi	%r11, 0
	lgr	%r2, %r5
	basr	%r14, %r4
	brasl	%r14, gort_mcall_returned
	.word	0			// an invalid opcode: SIGILL
	.cfi_endproc
	.size	gort_mcall, .-gort_mcall

// void gort_morestack(void *arg /* r2 */, void (*fn)(void *) /* r3 */,
//                     uintptr_t sp /* r4 */)
// void gort_systemstack(same)
// Calls fn(arg) with r15 = the given top of another stack (8-aligned) less
// GORT_MIN_FRAME, and returns whatever fn returned. No frame of its own:
// r11-r15 go to their slots in the register save area the caller provides
// (+88), r11 then holds the caller's r15, and the CFA is r11 + 160 while fn
// runs on either stack, so the unwinder crosses back (r15 is described too:
// the ABI's CFA is not the caller's sp). The new stack's area gets the
// caller's r15 as its back chain. The return path (lessstack) only reloads
// r11-r15: r2, f0 and v24, the return registers, are as fn left them.
// Smashes what fn smashes.
	.globl	gort_morestack
	.type	gort_morestack, @function
	.globl	gort_systemstack
	.type	gort_systemstack, @function
	.p2align 3
gort_morestack:
gort_systemstack:
	.cfi_startproc
	stmg	%r11, %r15, 88(%r15)
	.cfi_offset %r11, -72
	.cfi_offset %r12, -64
	.cfi_offset %r13, -56
	.cfi_offset %r14, -48
	.cfi_offset %r15, -40
	lgr	%r11, %r15
	.cfi_def_cfa_register %r11
	stg	%r11, -GORT_MIN_FRAME(%r4)	// the new area's back chain
	lay	%r15, -GORT_MIN_FRAME(%r4)
	basr	%r14, %r3
gort_lessstack:
	lmg	%r11, %r15, 88(%r11)
	.cfi_def_cfa %r15, 160
	.cfi_restore %r11
	.cfi_restore %r12
	.cfi_restore %r13
	.cfi_restore %r14
	.cfi_restore %r15
	br	%r14
	.cfi_endproc
	.size	gort_morestack, .-gort_morestack
	.size	gort_systemstack, .-gort_systemstack

// void gort_gostartcall(Gobuf *buf /* r2 */, void (*fn)(void *) /* r3 */,
//                       void *arg /* r4 */, uintptr_t stack_hi /* r5 */)
// sp = (stack_hi & ~7) - GORT_MIN_FRAME, and that area's back chain is 0
// (the end of the new G's chain); pc = fn, ctxt = arg (gogo puts it in
// r2), r14 = gort_goexit_ra (larl: PC-relative, so fn's return lands in
// goexit), r6-r13 and f8-f15 = 0 (r11, the frame pointer, in particular),
// fpc = this thread's now (its kept bits: see the top of this file).
// Smashes r0, r1, r5.
	.globl	gort_gostartcall
	.type	gort_gostartcall, @function
	.p2align 3
gort_gostartcall:
	.cfi_startproc
	nill	%r5, 0xfff8
	aghi	%r5, -GORT_MIN_FRAME
	lghi	%r0, 0
	stg	%r0, 0(%r5)
	stg	%r5, GOBUF_SP(%r2)
	stg	%r3, GOBUF_PC(%r2)
	stg	%r4, GOBUF_CTXT(%r2)
	larl	%r1, gort_goexit_ra
	stg	%r1, GOBUF_R14(%r2)
	xc	GOBUF_R6(64, %r2), GOBUF_R6(%r2)	// r6-r13
	xc	GOBUF_F8(64, %r2), GOBUF_F8(%r2)	// f8-f15
	efpc	%r0			// r0 is 0: the slot is fpc, zero-extended
	stg	%r0, GOBUF_FPC(%r2)
	br	%r14
	.cfi_endproc
	.size	gort_gostartcall, .-gort_gostartcall

// void gort_goexit(void)  -- never called
// A new G's fn returns here, to gort_goexit_ra, with r15 back at its first
// frame. r14 is undefined throughout, so unwinders stop here; the 2-byte
// nopr keeps ra-1, where an unwinder looks, inside goexit.
	.globl	gort_goexit
	.type	gort_goexit, @function
	.globl	gort_goexit_ra
	.p2align 3
gort_goexit:
	.cfi_startproc
	.cfi_undefined %r14
	nopr	%r7
gort_goexit_ra:
	brasl	%r14, gort_goexit1
	.word	0			// an invalid opcode: SIGILL
	.cfi_endproc
	.size	gort_goexit, .-gort_goexit

	.section .note.GNU-stack,"",@progbits
