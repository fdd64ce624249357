// asm_ppc64le.S: gort's context primitives for 64-bit Power, little-endian,
// OpenPOWER ELF V2 ABI (Linux).
//
// Saved and restored by gosave/gogo/mcall: r1 (sp), the return pc, lr, r2
// (the TOC pointer: see gort_arch.h), r14-r31, f14-f31, v20-v31 (all 128
// bits), CR2-CR4 (gosave stores the whole CR; gogo writes back those three
// fields only, with mtcrf), and the ABI's limited-access bits, which a
// function must hand back as it found them unless changing them is its
// purpose: FPSCR's exception enables VE OE UE ZE XE, NI and rounding mode RN
// (its low byte: mtfsf fields 6 and 7), the decimal rounding mode DRN (high
// word, field 7), and VSCR, whose NJ is limited-access (its one other bit,
// the sticky SAT, travels with it; merging would cost a vector permute per
// switch). FPSCR's status bits (sticky exception flags, FR, FI, FPRF) are
// volatile in the ABI and stay with the thread, as FPSR does on arm64.
// Not saved: the signal mask, the volatile registers (r0, r3-r12, f0-f13,
// v0-v19, CR0, CR1, CR5-CR7, ctr, xer), r13 (the thread pointer, which
// belongs to the OS thread) and VRSAVE (the ABI reserves it: "should not be
// read or written by application software").
//
// Calls through a pointer (gogo's jump to a new G's function, mcall's and
// morestack's calls) go through ctr with the target in r12, because a
// function's global entry point computes its TOC from r12; after such a
// call the caller's r2 is restored, because a callee in another module
// returns with its own.
// The Gobuf layout is in gort_arch.h.
#include "gort_arch.h"

	.abiversion 2
	.text

// Store the caller's context into the Gobuf at \buf: sp, pc = lr, ctxt = 1,
// lr, r2, CR, r14-r31, f14-f31, v20-v31, FPSCR, VSCR. Smashes r0, f0, v0.
.macro SAVE_CALLER buf
	std	%r1, GOBUF_SP(\buf)
	mflr	%r0
	std	%r0, GOBUF_PC(\buf)
	std	%r0, GOBUF_LR(\buf)
	li	%r0, 1
	std	%r0, GOBUF_CTXT(\buf)
	std	%r2, GOBUF_R2(\buf)
	mfcr	%r0
	std	%r0, GOBUF_CR(\buf)
	.irp n, 14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	std	%r\n, GOBUF_R(\n)(\buf)
	.endr
	.irp n, 14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	stfd	%f\n, GOBUF_F(\n)(\buf)
	.endr
	// v20-v31 are VSX registers 52-63; stxvd2x needs no alignment.
	.irp n, 20,21,22,23,24,25,26,27,28,29,30,31
	li	%r0, GOBUF_V(\n)
	stxvd2x	32+\n, \buf, %r0
	.endr
	mffs	%f0
	stfd	%f0, GOBUF_FPSCR(\buf)
	// VSCR is word 3 of v0 after mfvscr; splat it to word 1 for mfvsrwz.
	mfvscr	%v0
	vspltw	%v0, %v0, 3
	mfvsrwz	%r0, %vs32
	std	%r0, GOBUF_VSCR(\buf)
.endm

// uintptr_t gort_gosave(Gobuf *buf /* r3 */)
// A leaf: r1 and lr are the caller's as they will be once this returns.
// Returns 0 now and buf->ctxt (1) when a gogo resumes it. Smashes r0, f0,
// v0.
	.globl	gort_gosave
	.type	gort_gosave, @function
	.p2align 4
gort_gosave:
	.cfi_startproc
	SAVE_CALLER %r3
	li	%r3, 0
	blr
	.cfi_endproc
	.size	gort_gosave, .-gort_gosave

// void gort_gogo(const Gobuf *buf /* r3 */)  -- never returns
// Loads lr, r2, CR2-CR4, r14-r31, f14-f31, v20-v31, FPSCR's and VSCR's
// kept bits, then pc (into r12 and ctr: a new G's function may start with
// a global entry that computes its TOC from r12), sp (into r11) and ctxt
// (into r3, the first argument and the integer return register: fn's arg
// for a new G, gosave's result otherwise). r1 moves last, just before the
// jump: once it has moved, a signal handled on this stack builds its frame
// below the new r1, where buf may live (mexit resumes a copy of g0's base
// context kept in its own frame). Smashes r0, r11, r12, ctr, f0, v0.
	.globl	gort_gogo
	.type	gort_gogo, @function
	.p2align 4
gort_gogo:
	.cfi_startproc
	ld	%r0, GOBUF_LR(%r3)
	mtlr	%r0
	ld	%r2, GOBUF_R2(%r3)
	ld	%r0, GOBUF_CR(%r3)
	mtcrf	0x38, %r0		// CR2, CR3, CR4
	.irp n, 14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	ld	%r\n, GOBUF_R(\n)(%r3)
	.endr
	.irp n, 14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	lfd	%f\n, GOBUF_F(\n)(%r3)
	.endr
	.irp n, 20,21,22,23,24,25,26,27,28,29,30,31
	li	%r0, GOBUF_V(\n)
	lxvd2x	32+\n, %r3, %r0
	.endr
	lfd	%f0, GOBUF_FPSCR(%r3)
	mtfsf	0x03, %f0		// fields 6-7: VE OE UE ZE, XE NI RN
	mtfsf	0x01, %f0, 0, 1		// high word's field 7: DRN
	ld	%r0, GOBUF_VSCR(%r3)
	mtvsrwz	%vs32, %r0		// word 1 of v0
	vspltw	%v0, %v0, 1		// to word 3, which mtvscr reads
	mtvscr	%v0
	ld	%r12, GOBUF_PC(%r3)
	ld	%r11, GOBUF_SP(%r3)
	ld	%r3, GOBUF_CTXT(%r3)
	mtctr	%r12
	mr	%r1, %r11
	bctr
	.cfi_endproc
	.size	gort_gogo, .-gort_gogo

// void gort_mcall(Gobuf *save /* r3 */, uintptr_t g0sp /* r4 */,
//                 void (*fn)(G *) /* r5 */, G *gp /* r6 */)
// Saves the caller into *save exactly as gosave does, then moves r1 to
// g0sp - GORT_MIN_FRAME (g0sp is 16-aligned; the 32 bytes are the frame
// the ABI has every caller keep for its callee: back chain, CR, LR and TOC
// save words), whose back chain is 0, the end of g0's chain for a
// back-chain walker, and calls fn(gp). fn must not return; if it does, the
// TOC kept in r31 is restored and gort_mcall_returned is called. Once on
// g0, lr is marked undefined: a backtrace or an exception raised in fn ends
// at this frame. Smashes r0, r31, f0, v0 and whatever fn smashes.
	.globl	gort_mcall
	.type	gort_mcall, @function
	.p2align 4
gort_mcall:
	.cfi_startproc
	SAVE_CALLER %r3
	li	%r0, 0
	std	%r0, -GORT_MIN_FRAME(%r4)
	addi	%r1, %r4, -GORT_MIN_FRAME
	.cfi_undefined lr
	mr	%r31, %r2		// r14-r31 are in *save; r31 now keeps our TOC
	mr	%r3, %r6
	mr	%r12, %r5
	mtctr	%r12
	bctrl
	mr	%r2, %r31
	bl	gort_mcall_returned
	nop
	trap
	.cfi_endproc
	.size	gort_mcall, .-gort_mcall

// void gort_morestack(void *arg /* r3 */, void (*fn)(void *) /* r4 */,
//                     uintptr_t sp /* r5 */)
// void gort_systemstack(same)
// Calls fn(arg) with r1 = the given top of another stack (16-aligned) less
// GORT_MIN_FRAME, and returns whatever fn returned. A 48-byte frame on the
// caller's stack, made by stdu as the ABI's frames are, keeps the caller's
// r2 in its TOC save word (+24) and r31 (+40); lr goes to the LR save word
// of the caller's frame. r31 then points at this frame, and the CFA is
// r31 + 48 while fn runs on either stack, so the unwinder crosses back. The
// new stack's first frame gets this frame as its back chain, so a
// back-chain walker (glibc's backtrace on Power) crosses back too. The
// return path (lessstack) only moves r1 back and reloads r2, r31 and lr:
// r3, r4, f1-f8 and v2-v9, the return registers, are as fn left them.
// Smashes r0, r12, ctr and what fn smashes.
	.globl	gort_morestack
	.type	gort_morestack, @function
	.globl	gort_systemstack
	.type	gort_systemstack, @function
	.p2align 4
gort_morestack:
gort_systemstack:
	.cfi_startproc
	mflr	%r0
	std	%r0, 16(%r1)
	.cfi_offset lr, 16
	stdu	%r1, -48(%r1)
	.cfi_def_cfa_offset 48
	std	%r31, 40(%r1)
	.cfi_offset %r31, -8
	std	%r2, 24(%r1)
	.cfi_offset %r2, -24
	mr	%r31, %r1
	.cfi_def_cfa_register %r31
	std	%r31, -GORT_MIN_FRAME(%r5)	// the new stack's back chain
	addi	%r1, %r5, -GORT_MIN_FRAME
	mr	%r12, %r4
	mtctr	%r12
	bctrl
gort_lessstack:
	mr	%r1, %r31
	.cfi_def_cfa_register %r1
	ld	%r2, 24(%r1)
	.cfi_restore %r2
	ld	%r31, 40(%r1)
	.cfi_restore %r31
	addi	%r1, %r1, 48
	.cfi_def_cfa_offset 0
	ld	%r0, 16(%r1)
	mtlr	%r0
	.cfi_restore lr
	blr
	.cfi_endproc
	.size	gort_morestack, .-gort_morestack
	.size	gort_systemstack, .-gort_systemstack

// void gort_gostartcall(Gobuf *buf /* r3 */, void (*fn)(void *) /* r4 */,
//                       void *arg /* r5 */, uintptr_t stack_hi /* r6 */)
// sp = (stack_hi & ~15) - GORT_MIN_FRAME, and that frame's back chain is 0
// (the end of the new G's chain); pc = fn, ctxt = arg (gogo puts it in
// r3), lr = gort_goexit_ra (so fn's return lands in goexit), r2 = this
// caller's TOC, CR, r14-r31, f14-f31 and v20-v31 = 0, FPSCR and VSCR =
// this thread's now (the kept bits: see the top of this file). Smashes r0,
// r7, f0, v0.
	.globl	gort_gostartcall
	.type	gort_gostartcall, @function
	.p2align 4
gort_gostartcall:
	.cfi_startproc
	clrrdi	%r6, %r6, 4
	addi	%r6, %r6, -GORT_MIN_FRAME
	li	%r0, 0
	std	%r0, 0(%r6)
	std	%r6, GOBUF_SP(%r3)
	std	%r4, GOBUF_PC(%r3)
	std	%r5, GOBUF_CTXT(%r3)
	// gort_goexit_ra, PC-relatively (POWER8 has no pla): bcl to the next
	// instruction is the ABI's way to read the pc.
	mflr	%r0
	bcl	20, 31, 1f
1:	mflr	%r7
	mtlr	%r0
	addis	%r7, %r7, (gort_goexit_ra - 1b)@ha
	addi	%r7, %r7, (gort_goexit_ra - 1b)@l
	std	%r7, GOBUF_LR(%r3)
	std	%r2, GOBUF_R2(%r3)
	li	%r0, 0
	std	%r0, GOBUF_CR(%r3)
	.irp n, 14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	std	%r0, GOBUF_R(\n)(%r3)
	std	%r0, GOBUF_F(\n)(%r3)
	.endr
	.irp n, 20,21,22,23,24,25,26,27,28,29,30,31
	std	%r0, GOBUF_V(\n)(%r3)
	std	%r0, GOBUF_V(\n)+8(%r3)
	.endr
	mffs	%f0
	stfd	%f0, GOBUF_FPSCR(%r3)
	mfvscr	%v0
	vspltw	%v0, %v0, 3
	mfvsrwz	%r0, %vs32
	std	%r0, GOBUF_VSCR(%r3)
	blr
	.cfi_endproc
	.size	gort_gostartcall, .-gort_gostartcall

// void gort_goexit(void)  -- never called
// A new G's fn returns here, to gort_goexit_ra, with r1 back at its first
// frame and r2 possibly another module's TOC: ours is computed from the pc,
// as a global entry point does, before the call to gort_goexit1. lr is
// undefined throughout, so unwinders stop here; the nop keeps ra-1, where
// an unwinder looks, inside goexit.
	.globl	gort_goexit
	.type	gort_goexit, @function
	.globl	gort_goexit_ra
	.p2align 4
gort_goexit:
	.cfi_startproc
	.cfi_undefined lr
	nop
gort_goexit_ra:
	bcl	20, 31, 1f
1:	mflr	%r12
	addis	%r2, %r12, (.TOC. - 1b)@ha
	addi	%r2, %r2, (.TOC. - 1b)@l
	bl	gort_goexit1
	nop
	trap
	.cfi_endproc
	.size	gort_goexit, .-gort_goexit

	.section .note.GNU-stack,"",@progbits
