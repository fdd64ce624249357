// asm_riscv64.S: gort's context primitives for RV64GC, LP64D psABI (Linux).
//
// Saved and restored by gosave/gogo/mcall: s0-s11 (s0 is the frame
// pointer), sp, ra, the return pc, fs0-fs11 (all 64 bits of each: with D,
// that is the whole register) and fcsr in full (rounding mode frm and the
// accrued exception flags fflags, as one CSR). The psABI gives fcsr thread
// storage duration, after C11's <fenv.h> (7.6: the environment, flags
// included, belongs to a thread and a new thread starts with its
// creator's). A goroutine is the thread of control here, so it keeps both
// fields, sticky flags too, and a new G starts with its creator's fcsr: a
// flag raised in one goroutine never shows in another's fetestexcept().
// Not saved: the signal mask, the caller-saved registers (a0-a7, t0-t6,
// fa0-fa7, ft0-ft11), gp (the linker's global pointer, one value per
// program) and tp (the thread pointer, which belongs to the OS thread, not
// to a context), vector state (V is not part of RV64GC).
// The Gobuf layout is in gort_arch.h.
#include "gort_arch.h"

	.text

// Store the caller's callee-saved state into the Gobuf at \buf: sp, pc = ra,
// ctxt = 1, ra, s0-s11, fs0-fs11, fcsr. Smashes \tmp.
.macro SAVE_CALLER buf, tmp
	sd	sp, GOBUF_SP(\buf)
	sd	ra, GOBUF_PC(\buf)
	li	\tmp, 1
	sd	\tmp, GOBUF_CTXT(\buf)
	sd	ra, GOBUF_RA(\buf)
	sd	s0, GOBUF_S0(\buf)
	sd	s1, GOBUF_S1(\buf)
	sd	s2, GOBUF_S2(\buf)
	sd	s3, GOBUF_S3(\buf)
	sd	s4, GOBUF_S4(\buf)
	sd	s5, GOBUF_S5(\buf)
	sd	s6, GOBUF_S6(\buf)
	sd	s7, GOBUF_S7(\buf)
	sd	s8, GOBUF_S8(\buf)
	sd	s9, GOBUF_S9(\buf)
	sd	s10, GOBUF_S10(\buf)
	sd	s11, GOBUF_S11(\buf)
	fsd	fs0, GOBUF_FS0(\buf)
	fsd	fs1, GOBUF_FS1(\buf)
	fsd	fs2, GOBUF_FS2(\buf)
	fsd	fs3, GOBUF_FS3(\buf)
	fsd	fs4, GOBUF_FS4(\buf)
	fsd	fs5, GOBUF_FS5(\buf)
	fsd	fs6, GOBUF_FS6(\buf)
	fsd	fs7, GOBUF_FS7(\buf)
	fsd	fs8, GOBUF_FS8(\buf)
	fsd	fs9, GOBUF_FS9(\buf)
	fsd	fs10, GOBUF_FS10(\buf)
	fsd	fs11, GOBUF_FS11(\buf)
	frcsr	\tmp
	sd	\tmp, GOBUF_FCSR(\buf)
.endm

// uintptr_t gort_gosave(Gobuf *buf /* a0 */)
// A leaf: sp and ra are the caller's as they will be once this returns.
// Returns 0 now and buf->ctxt (1) when a gogo resumes it. Smashes t0.
	.globl	gort_gosave
	.type	gort_gosave, %function
	.p2align 2
gort_gosave:
	.cfi_startproc
	SAVE_CALLER a0, t0
	li	a0, 0
	ret
	.cfi_endproc
	.size	gort_gosave, .-gort_gosave

// void gort_gogo(const Gobuf *buf /* a0 */)  -- never returns
// Loads ra, s0-s11, fs0-fs11, fcsr, sp, pc and ctxt from buf, then moves sp
// and jumps to pc with a0 = ctxt (a0 is both the first argument and the
// integer return register: fn's arg for a new G, gosave's result
// otherwise). sp moves last, just before the jump: once it has moved, a
// signal handled on this stack builds its frame below the new sp, where buf
// may live (mexit resumes a copy of g0's base context kept in its own
// frame). Smashes t0, t1.
	.globl	gort_gogo
	.type	gort_gogo, %function
	.p2align 2
gort_gogo:
	.cfi_startproc
	ld	ra, GOBUF_RA(a0)
	ld	s0, GOBUF_S0(a0)
	ld	s1, GOBUF_S1(a0)
	ld	s2, GOBUF_S2(a0)
	ld	s3, GOBUF_S3(a0)
	ld	s4, GOBUF_S4(a0)
	ld	s5, GOBUF_S5(a0)
	ld	s6, GOBUF_S6(a0)
	ld	s7, GOBUF_S7(a0)
	ld	s8, GOBUF_S8(a0)
	ld	s9, GOBUF_S9(a0)
	ld	s10, GOBUF_S10(a0)
	ld	s11, GOBUF_S11(a0)
	fld	fs0, GOBUF_FS0(a0)
	fld	fs1, GOBUF_FS1(a0)
	fld	fs2, GOBUF_FS2(a0)
	fld	fs3, GOBUF_FS3(a0)
	fld	fs4, GOBUF_FS4(a0)
	fld	fs5, GOBUF_FS5(a0)
	fld	fs6, GOBUF_FS6(a0)
	fld	fs7, GOBUF_FS7(a0)
	fld	fs8, GOBUF_FS8(a0)
	fld	fs9, GOBUF_FS9(a0)
	fld	fs10, GOBUF_FS10(a0)
	fld	fs11, GOBUF_FS11(a0)
	ld	t0, GOBUF_FCSR(a0)
	fscsr	t0
	ld	t0, GOBUF_SP(a0)
	ld	t1, GOBUF_PC(a0)
	ld	a0, GOBUF_CTXT(a0)
	mv	sp, t0
	jr	t1
	.cfi_endproc
	.size	gort_gogo, .-gort_gogo

// void gort_mcall(Gobuf *save /* a0 */, uintptr_t g0sp /* a1 */,
//                 void (*fn)(G *) /* a2 */, G *gp /* a3 */)
// Saves the caller into *save exactly as gosave does, moves sp to
// g0sp - GORT_MIN_FRAME (0 here; g0sp is 16-aligned, so fn is entered as
// the psABI wants), clears the frame
// pointer and calls fn(gp). fn must not return; if it does, this calls
// gort_mcall_returned. Once on g0, ra is marked undefined: a backtrace or
// an exception raised in fn ends at this frame. Smashes t0 and whatever fn
// smashes.
	.globl	gort_mcall
	.type	gort_mcall, %function
	.p2align 2
gort_mcall:
	.cfi_startproc
	SAVE_CALLER a0, t0
	addi	sp, a1, -GORT_MIN_FRAME
	.cfi_undefined ra
	li	s0, 0
	mv	a0, a3
	jalr	a2
	call	gort_mcall_returned
	unimp
	.cfi_endproc
	.size	gort_mcall, .-gort_mcall

// void gort_morestack(void *arg /* a0 */, void (*fn)(void *) /* a1 */,
//                     uintptr_t sp /* a2 */)
// void gort_systemstack(same)
// Calls fn(arg) with sp = the given top of another stack (16-aligned) less
// GORT_MIN_FRAME (0 here) and
// returns whatever fn returned. A 16-byte frame on the caller's stack holds
// ra and s0; s0 is then pointed at the caller's sp, the psABI's frame
// pointer convention (s0 = the CFA, ra at s0-8, the old s0 at s0-16), so
// the CFA is s0+0 while fn runs on either stack and the unwinder crosses
// back. The return path (lessstack) only moves sp back and reloads ra and
// s0: a0, a1, fa0 and fa1 are as fn left them. Smashes what fn smashes.
	.globl	gort_morestack
	.type	gort_morestack, %function
	.globl	gort_systemstack
	.type	gort_systemstack, %function
	.p2align 2
gort_morestack:
gort_systemstack:
	.cfi_startproc
	addi	sp, sp, -16
	.cfi_def_cfa_offset 16
	sd	ra, 8(sp)
	sd	s0, 0(sp)
	.cfi_offset ra, -8
	.cfi_offset s0, -16
	addi	s0, sp, 16
	.cfi_def_cfa s0, 0
	addi	sp, a2, -GORT_MIN_FRAME
	jalr	a1
gort_lessstack:
	addi	sp, s0, -16
	.cfi_def_cfa sp, 16
	ld	ra, 8(sp)
	ld	s0, 0(sp)
	.cfi_restore ra
	.cfi_restore s0
	addi	sp, sp, 16
	.cfi_def_cfa_offset 0
	ret
	.cfi_endproc
	.size	gort_morestack, .-gort_morestack
	.size	gort_systemstack, .-gort_systemstack

// void gort_gostartcall(Gobuf *buf /* a0 */, void (*fn)(void *) /* a1 */,
//                       void *arg /* a2 */, uintptr_t stack_hi /* a3 */)
// sp = (stack_hi & ~15) - GORT_MIN_FRAME, pc = fn, ctxt = arg (gogo puts
// it in a0), ra = gort_goexit_ra (so fn's return lands in goexit), s0-s11
// and fs0-fs11 = 0 (s0, the frame pointer, in particular), fcsr = this
// thread's fcsr now (frm and fflags: see the top of this file). Nothing is
// written to the new stack. Smashes t0.
	.globl	gort_gostartcall
	.type	gort_gostartcall, %function
	.p2align 2
gort_gostartcall:
	.cfi_startproc
	andi	a3, a3, -16
	addi	a3, a3, -GORT_MIN_FRAME
	sd	a3, GOBUF_SP(a0)
	sd	a1, GOBUF_PC(a0)
	sd	a2, GOBUF_CTXT(a0)
	lla	t0, gort_goexit_ra
	sd	t0, GOBUF_RA(a0)
	sd	zero, GOBUF_S0(a0)
	sd	zero, GOBUF_S1(a0)
	sd	zero, GOBUF_S2(a0)
	sd	zero, GOBUF_S3(a0)
	sd	zero, GOBUF_S4(a0)
	sd	zero, GOBUF_S5(a0)
	sd	zero, GOBUF_S6(a0)
	sd	zero, GOBUF_S7(a0)
	sd	zero, GOBUF_S8(a0)
	sd	zero, GOBUF_S9(a0)
	sd	zero, GOBUF_S10(a0)
	sd	zero, GOBUF_S11(a0)
	sd	zero, GOBUF_FS0(a0)
	sd	zero, GOBUF_FS1(a0)
	sd	zero, GOBUF_FS2(a0)
	sd	zero, GOBUF_FS3(a0)
	sd	zero, GOBUF_FS4(a0)
	sd	zero, GOBUF_FS5(a0)
	sd	zero, GOBUF_FS6(a0)
	sd	zero, GOBUF_FS7(a0)
	sd	zero, GOBUF_FS8(a0)
	sd	zero, GOBUF_FS9(a0)
	sd	zero, GOBUF_FS10(a0)
	sd	zero, GOBUF_FS11(a0)
	frcsr	t0
	sd	t0, GOBUF_FCSR(a0)
	ret
	.cfi_endproc
	.size	gort_gostartcall, .-gort_gostartcall

// void gort_goexit(void)  -- never called
// A new G's fn returns here, to gort_goexit_ra, with sp back at the
// aligned stack top. ra is undefined throughout, so unwinders stop here;
// the nop (2 bytes as c.nop) keeps ra-1, where an unwinder looks, inside
// goexit.
	.globl	gort_goexit
	.type	gort_goexit, %function
	.globl	gort_goexit_ra
	.p2align 2
gort_goexit:
	.cfi_startproc
	.cfi_undefined ra
	nop
gort_goexit_ra:
	call	gort_goexit1
	unimp
	.cfi_endproc
	.size	gort_goexit, .-gort_goexit

	.section .note.GNU-stack,"",%progbits
