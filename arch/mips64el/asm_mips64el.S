// asm_mips64el.S: gort's context primitives for MIPS64r2, n64 ABI, SVR4
// abicalls (Linux). Position-independent: this object reaches other
// functions and its own labels through the GOT.
//
// Saved and restored by gosave/gogo/mcall: s0-s7, s8 (the frame pointer),
// gp, sp, ra, the return pc, f24-f31 (n64 with FR=1: 64-bit registers,
// all eight callee-saved) and FCSR: rounding mode, sticky flags, FS
// (flush to zero), the condition codes; the cause bits are dropped on save
// (they describe the last operation, and one restored with its enable set
// would trap in gogo). MIPS Linux keeps FCSR per thread as glibc's
// setjmp keeps it per context, so a goroutine keeps its own.
// Not saved: the signal mask, the caller-saved registers (v0-v1, a0-a7,
// t0-t3, t8-t9, at, f0-f23), hi/lo, the thread pointer (UserLocal, read
// by rdhwr: the OS thread's).
//
// $gp. n64 makes it callee-saved, and PIC code computes it on entry from
// $t9, which holds the callee's own address at every call and jump to a
// function (the rule port.hpp names "the entry-address register"). So:
// gogo jumps through $t9 (a new G's fn computes its gp from it; a resumed
// gosave or mcall caller ignores it), mcall and morestack call fn through
// $t9, and a routine here that needs the GOT computes gp with .cpsetup
// from its own $t9 and gives the caller's back with .cpreturn where it
// returns. A new G starts with this object's gp (gostartcall's), which fn
// gives back when it returns to goexit: goexit calls through the GOT
// with it.
//
// Delay slots: the assembler's default (reorder) mode fills them; nothing
// here depends on what it puts there.
// The Gobuf layout is in gort_arch.h.
#include "gort_arch.h"

	.text

// GOBUF_FCSR($a0) = FCSR with the cause bits (12-17) cleared. Smashes t0.
.macro SAVE_FCSR
	cfc1	$t0, $31
	ins	$t0, $zero, 12, 6
	sd	$t0, GOBUF_FCSR($a0)
.endm

// Store the caller's callee-saved state into the Gobuf at $a0: sp, pc = ra,
// ctxt = 1, ra, s0-s8, gp, f24-f31, FCSR less its cause bits. Smashes t0.
.macro SAVE_CALLER
	sd	$sp, GOBUF_SP($a0)
	sd	$ra, GOBUF_PC($a0)
	li	$t0, 1
	sd	$t0, GOBUF_CTXT($a0)
	sd	$ra, GOBUF_RA($a0)
	sd	$s0, GOBUF_S0($a0)
	sd	$s1, GOBUF_S1($a0)
	sd	$s2, GOBUF_S2($a0)
	sd	$s3, GOBUF_S3($a0)
	sd	$s4, GOBUF_S4($a0)
	sd	$s5, GOBUF_S5($a0)
	sd	$s6, GOBUF_S6($a0)
	sd	$s7, GOBUF_S7($a0)
	sd	$s8, GOBUF_S8($a0)
	sd	$gp, GOBUF_GP($a0)
	sdc1	$f24, GOBUF_F24($a0)
	sdc1	$f25, GOBUF_F25($a0)
	sdc1	$f26, GOBUF_F26($a0)
	sdc1	$f27, GOBUF_F27($a0)
	sdc1	$f28, GOBUF_F28($a0)
	sdc1	$f29, GOBUF_F29($a0)
	sdc1	$f30, GOBUF_F30($a0)
	sdc1	$f31, GOBUF_F31($a0)
	SAVE_FCSR
.endm

// uintptr_t gort_gosave(Gobuf *buf /* a0 */)
// A leaf: sp, ra and gp are the caller's as they will be once this returns.
// Returns 0 (v0) now and buf->ctxt (1) when a gogo resumes it. Smashes t0.
	.globl	gort_gosave
	.type	gort_gosave, @function
	.ent	gort_gosave
gort_gosave:
	.cfi_startproc
	SAVE_CALLER
	move	$v0, $zero
	jr	$ra
	.cfi_endproc
	.end	gort_gosave
	.size	gort_gosave, .-gort_gosave

// void gort_gogo(const Gobuf *buf /* a0 */)  -- never returns
// Loads ra, s0-s8, gp, f24-f31, FCSR, sp, pc and ctxt from buf, then moves
// sp and jumps to pc through t9 with a0 = v0 = ctxt (fn's argument for a
// new G, gosave's result otherwise: MIPS returns in v0 and passes in a0).
// sp moves last, just before the jump: once it has moved, a signal handled
// on this stack builds its frame below the new sp, where buf may live
// (mexit resumes a copy of g0's base context kept in its own frame).
// Smashes t0, t1, t9.
	.globl	gort_gogo
	.type	gort_gogo, @function
	.ent	gort_gogo
gort_gogo:
	.cfi_startproc
	ld	$ra, GOBUF_RA($a0)
	ld	$s0, GOBUF_S0($a0)
	ld	$s1, GOBUF_S1($a0)
	ld	$s2, GOBUF_S2($a0)
	ld	$s3, GOBUF_S3($a0)
	ld	$s4, GOBUF_S4($a0)
	ld	$s5, GOBUF_S5($a0)
	ld	$s6, GOBUF_S6($a0)
	ld	$s7, GOBUF_S7($a0)
	ld	$s8, GOBUF_S8($a0)
	ld	$gp, GOBUF_GP($a0)
	ldc1	$f24, GOBUF_F24($a0)
	ldc1	$f25, GOBUF_F25($a0)
	ldc1	$f26, GOBUF_F26($a0)
	ldc1	$f27, GOBUF_F27($a0)
	ldc1	$f28, GOBUF_F28($a0)
	ldc1	$f29, GOBUF_F29($a0)
	ldc1	$f30, GOBUF_F30($a0)
	ldc1	$f31, GOBUF_F31($a0)
	ld	$t0, GOBUF_FCSR($a0)
	ctc1	$t0, $31
	ld	$t1, GOBUF_SP($a0)
	ld	$t9, GOBUF_PC($a0)
	ld	$v0, GOBUF_CTXT($a0)
	move	$a0, $v0
	move	$sp, $t1
	jr	$t9
	.cfi_endproc
	.end	gort_gogo
	.size	gort_gogo, .-gort_gogo

// void gort_mcall(Gobuf *save /* a0 */, uintptr_t g0sp /* a1 */,
//                 void (*fn)(G *) /* a2 */, G *gp /* a3 */)
// Saves the caller into *save exactly as gosave does (its gp included),
// computes this object's gp (for gort_mcall_returned), moves sp to
// g0sp - GORT_MIN_FRAME (0 here; g0sp is 16-aligned), clears the frame
// pointer and calls fn(gp) through t9. fn must not return; if it does (gp
// is callee-saved, so still ours) this calls gort_mcall_returned. Once on
// g0, ra is marked undefined: a backtrace or an exception raised in fn ends
// at this frame. Smashes t0, t8, t9 and whatever fn smashes.
	.globl	gort_mcall
	.type	gort_mcall, @function
	.ent	gort_mcall
gort_mcall:
	.cfi_startproc
	SAVE_CALLER
	.cpsetup $t9, $t8, gort_mcall
	daddiu	$sp, $a1, -GORT_MIN_FRAME
	.cfi_undefined 31
	move	$s8, $zero
	move	$a0, $a3
	move	$t9, $a2
	jalr	$t9
	ld	$t9, %call16(gort_mcall_returned)($gp)
	jalr	$t9
	break
	.cfi_endproc
	.end	gort_mcall
	.size	gort_mcall, .-gort_mcall

// void gort_morestack(void *arg /* a0 */, void (*fn)(void *) /* a1 */,
//                     uintptr_t sp /* a2 */)
// void gort_systemstack(same)
// Calls fn(arg) through t9 with sp = the given top of another stack
// (16-aligned) less GORT_MIN_FRAME (0 here), and returns whatever fn
// returned. A 16-byte frame on the caller's stack holds ra and s8, and s8
// then keeps that frame's address (GCC's MIPS frame pointer: sp after the
// prologue, the CFA at s8 + 16) while fn runs on either stack, so the
// unwinder crosses back. The return path (lessstack) only moves sp back
// and reloads ra and s8: v0, v1, f0 and f2 are as fn left them. gp is
// not touched (fn keeps it). Smashes t9 and what fn smashes.
	.globl	gort_morestack
	.type	gort_morestack, @function
	.globl	gort_systemstack
	.type	gort_systemstack, @function
	.ent	gort_morestack
gort_morestack:
gort_systemstack:
	.cfi_startproc
	daddiu	$sp, $sp, -16
	.cfi_def_cfa_offset 16
	sd	$ra, 8($sp)
	sd	$s8, 0($sp)
	.cfi_offset 31, -8
	.cfi_offset 30, -16
	move	$s8, $sp
	.cfi_def_cfa_register 30
	daddiu	$sp, $a2, -GORT_MIN_FRAME
	move	$t9, $a1
	jalr	$t9
gort_lessstack:
	move	$sp, $s8
	.cfi_def_cfa_register 29
	ld	$ra, 8($sp)
	ld	$s8, 0($sp)
	.cfi_restore 31
	.cfi_restore 30
	daddiu	$sp, $sp, 16
	.cfi_def_cfa_offset 0
	jr	$ra
	.cfi_endproc
	.end	gort_morestack
	.size	gort_morestack, .-gort_morestack
	.size	gort_systemstack, .-gort_systemstack

// void gort_gostartcall(Gobuf *buf /* a0 */, void (*fn)(void *) /* a1 */,
//                       void *arg /* a2 */, uintptr_t stack_hi /* a3 */)
// sp = (stack_hi & ~15) - GORT_MIN_FRAME, pc = fn (gogo enters it through
// t9), ctxt = arg (gogo puts it in a0), ra = gort_goexit_ra, gp = this
// object's (computed here by .cpsetup, which also reaches gort_goexit_ra
// through the GOT; .cpreturn gives the caller its own back), s0-s8 and
// f24-f31 = 0 (s8, the frame pointer, in particular), FCSR = this thread's
// now. Nothing is written to the new stack. Smashes t0, t8.
	.globl	gort_gostartcall
	.type	gort_gostartcall, @function
	.ent	gort_gostartcall
gort_gostartcall:
	.cfi_startproc
	.cpsetup $t9, $t8, gort_gostartcall
	li	$t0, -16
	and	$a3, $a3, $t0
	daddiu	$a3, $a3, -GORT_MIN_FRAME
	sd	$a3, GOBUF_SP($a0)
	sd	$a1, GOBUF_PC($a0)
	sd	$a2, GOBUF_CTXT($a0)
	dla	$t0, gort_goexit_ra
	sd	$t0, GOBUF_RA($a0)
	sd	$gp, GOBUF_GP($a0)
	sd	$zero, GOBUF_S0($a0)
	sd	$zero, GOBUF_S1($a0)
	sd	$zero, GOBUF_S2($a0)
	sd	$zero, GOBUF_S3($a0)
	sd	$zero, GOBUF_S4($a0)
	sd	$zero, GOBUF_S5($a0)
	sd	$zero, GOBUF_S6($a0)
	sd	$zero, GOBUF_S7($a0)
	sd	$zero, GOBUF_S8($a0)
	sd	$zero, GOBUF_F24($a0)
	sd	$zero, GOBUF_F25($a0)
	sd	$zero, GOBUF_F26($a0)
	sd	$zero, GOBUF_F27($a0)
	sd	$zero, GOBUF_F28($a0)
	sd	$zero, GOBUF_F29($a0)
	sd	$zero, GOBUF_F30($a0)
	sd	$zero, GOBUF_F31($a0)
	SAVE_FCSR
	.cpreturn
	jr	$ra
	.cfi_endproc
	.end	gort_gostartcall
	.size	gort_gostartcall, .-gort_gostartcall

// void gort_goexit(void)  -- never called
// A new G's fn returns here, to gort_goexit_ra, with sp back at its first
// frame's and gp as gostartcall set it (n64: fn gives it back), which
// reaches gort_goexit1 through the GOT. ra is undefined throughout, so
// unwinders stop here; the nop keeps ra-1, where an unwinder looks, inside
// goexit.
	.globl	gort_goexit
	.type	gort_goexit, @function
	.globl	gort_goexit_ra
	.ent	gort_goexit
gort_goexit:
	.cfi_startproc
	.cfi_undefined 31
	nop
gort_goexit_ra:
	ld	$t9, %call16(gort_goexit1)($gp)
	jalr	$t9
	break
	.cfi_endproc
	.end	gort_goexit
	.size	gort_goexit, .-gort_goexit

	.section .note.GNU-stack,"",@progbits
