// asm_mipsel.S: gort's context primitives for MIPS32r2, o32 ABI, hard float
// (FPXX), SVR4 abicalls (Linux). Position-independent: this object reaches
// other functions and its own labels through the GOT.
//
// Saved and restored by gosave/gogo/mcall: s0-s7, s8 (the frame pointer),
// sp, ra, the return pc, f20-f30 as six doubles (with FR=0 that is f20-f31
// in even/odd pairs; with FR=1, FPXX leaves the odd ones to the caller)
// and FCSR: rounding mode, sticky flags, FS (flush to zero), the condition
// codes; the cause bits are dropped on save (they describe the last
// operation, and one restored with its enable set would trap in gogo).
// MIPS Linux keeps FCSR per thread as glibc's setjmp keeps it per context,
// so a goroutine keeps its own.
// Not saved: the signal mask, the caller-saved registers (v0-v1, a0-a3,
// t0-t9, at, f0-f19), hi/lo, gp, the thread pointer (UserLocal, read by
// rdhwr: the OS thread's).
//
// $gp and $t9. o32 PIC code computes gp on entry from t9, which holds the
// callee's own address at every call and jump to a function (the rule
// port.hpp names "the entry-address register"), and reloads it after every
// call: gp is the caller's to keep, not a callee's. So a context does not
// keep gp; gogo jumps through t9 (a new G's fn computes its gp from it),
// mcall and morestack call fn through t9, and a routine here that needs
// the GOT computes gp with .cpload from its own t9 (or, in goexit, which
// is reached by a return, from a bal's return address).
//
// Argument slots: an o32 caller reserves 16 bytes at sp where the callee
// may store a0-a3. gostartcall, mcall and morestack enter fn with sp
// GORT_MIN_FRAME (16) below the top they are given, and every routine
// here that calls keeps 16 bytes at its own sp for its callee.
//
// Delay slots: the assembler's default (reorder) mode fills them; the
// .cpload and bal sequences that need an exact layout are in noreorder
// blocks of their own.
// The Gobuf layout is in gort_arch.h.
#include "gort_arch.h"

	.text

// gp = this object's GOT pointer, from t9 = the address of the routine
// this opens (o32's .cpload wants noreorder and the routine's first
// instruction).
.macro CPLOAD
	.set	noreorder
	.cpload	$t9
	.set	reorder
.endm

// GOBUF_FCSR($a0) = FCSR with the cause bits (12-17) cleared. Smashes t0.
.macro SAVE_FCSR
	cfc1	$t0, $31
	ins	$t0, $zero, 12, 6
	sw	$t0, GOBUF_FCSR($a0)
.endm

// Store the caller's callee-saved state into the Gobuf at $a0: sp, pc = ra,
// ctxt = 1, ra, s0-s8, f20-f30, FCSR less its cause bits. Smashes t0.
.macro SAVE_CALLER
	sw	$sp, GOBUF_SP($a0)
	sw	$ra, GOBUF_PC($a0)
	li	$t0, 1
	sw	$t0, GOBUF_CTXT($a0)
	sw	$ra, GOBUF_RA($a0)
	sw	$s0, GOBUF_S0($a0)
	sw	$s1, GOBUF_S1($a0)
	sw	$s2, GOBUF_S2($a0)
	sw	$s3, GOBUF_S3($a0)
	sw	$s4, GOBUF_S4($a0)
	sw	$s5, GOBUF_S5($a0)
	sw	$s6, GOBUF_S6($a0)
	sw	$s7, GOBUF_S7($a0)
	sw	$s8, GOBUF_S8($a0)
	sdc1	$f20, GOBUF_F20($a0)
	sdc1	$f22, GOBUF_F22($a0)
	sdc1	$f24, GOBUF_F24($a0)
	sdc1	$f26, GOBUF_F26($a0)
	sdc1	$f28, GOBUF_F28($a0)
	sdc1	$f30, GOBUF_F30($a0)
	SAVE_FCSR
.endm

// uintptr_t gort_gosave(Gobuf *buf /* a0 */)
// A leaf: sp and ra are the caller's as they will be once this returns.
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
// Loads ra, s0-s8, f20-f30, FCSR, sp, pc and ctxt from buf, then moves sp
// and jumps to pc through t9 with a0 = v0 = ctxt (fn's argument for a new
// G, gosave's result otherwise: MIPS returns in v0 and passes in a0). sp
// moves last, just before the jump: once it has moved, a signal handled on
// this stack builds its frame below the new sp, where buf may live (mexit
// resumes a copy of g0's base context kept in its own frame).
// Smashes t0, t1, t9.
	.globl	gort_gogo
	.type	gort_gogo, @function
	.ent	gort_gogo
gort_gogo:
	.cfi_startproc
	lw	$ra, GOBUF_RA($a0)
	lw	$s0, GOBUF_S0($a0)
	lw	$s1, GOBUF_S1($a0)
	lw	$s2, GOBUF_S2($a0)
	lw	$s3, GOBUF_S3($a0)
	lw	$s4, GOBUF_S4($a0)
	lw	$s5, GOBUF_S5($a0)
	lw	$s6, GOBUF_S6($a0)
	lw	$s7, GOBUF_S7($a0)
	lw	$s8, GOBUF_S8($a0)
	ldc1	$f20, GOBUF_F20($a0)
	ldc1	$f22, GOBUF_F22($a0)
	ldc1	$f24, GOBUF_F24($a0)
	ldc1	$f26, GOBUF_F26($a0)
	ldc1	$f28, GOBUF_F28($a0)
	ldc1	$f30, GOBUF_F30($a0)
	lw	$t0, GOBUF_FCSR($a0)
	ctc1	$t0, $31
	lw	$t1, GOBUF_SP($a0)
	lw	$t9, GOBUF_PC($a0)
	lw	$v0, GOBUF_CTXT($a0)
	move	$a0, $v0
	move	$sp, $t1
	jr	$t9
	.cfi_endproc
	.end	gort_gogo
	.size	gort_gogo, .-gort_gogo

// void gort_mcall(Gobuf *save /* a0 */, uintptr_t g0sp /* a1 */,
//                 void (*fn)(G *) /* a2 */, G *gp /* a3 */)
// Computes this object's gp (the caller's is not kept: o32), saves the
// caller into *save exactly as gosave does, moves sp to
// g0sp - GORT_MIN_FRAME (g0sp is 8-aligned; fn may write the 16 bytes
// above), clears the frame pointer and calls fn(gp) through t9. fn must
// not return; if it does, this calls gort_mcall_returned with the gp kept
// in s0 (fn may leave its own in gp). Once on g0, ra is marked undefined: a
// backtrace or an exception raised in fn ends at this frame. Smashes t0,
// t9, s0 (saved) and whatever fn smashes.
	.globl	gort_mcall
	.type	gort_mcall, @function
	.ent	gort_mcall
gort_mcall:
	.cfi_startproc
	CPLOAD
	SAVE_CALLER
	addiu	$sp, $a1, -GORT_MIN_FRAME
	.cfi_undefined 31
	move	$s8, $zero
	move	$s0, $gp
	move	$a0, $a3
	move	$t9, $a2
	jalr	$t9
	move	$gp, $s0
	lw	$t9, %call16(gort_mcall_returned)($gp)
	jalr	$t9
	break
	.cfi_endproc
	.end	gort_mcall
	.size	gort_mcall, .-gort_mcall

// void gort_morestack(void *arg /* a0 */, void (*fn)(void *) /* a1 */,
//                     uintptr_t sp /* a2 */)
// void gort_systemstack(same)
// Calls fn(arg) through t9 with sp = the given top of another stack
// (8-aligned) less GORT_MIN_FRAME (fn's argument slots), and returns
// whatever fn returned. An 8-byte frame on the caller's stack, below the
// caller's slots for us, holds ra and s8, and s8 then keeps that frame's
// address (GCC's MIPS frame pointer: sp after the prologue, the CFA at
// s8 + 8) while fn runs on either stack, so the unwinder crosses back.
// The return path (lessstack) only moves sp back and reloads ra and s8:
// v0, v1, f0 and f2 are as fn left them. Smashes t9 and what fn smashes.
	.globl	gort_morestack
	.type	gort_morestack, @function
	.globl	gort_systemstack
	.type	gort_systemstack, @function
	.ent	gort_morestack
gort_morestack:
gort_systemstack:
	.cfi_startproc
	addiu	$sp, $sp, -8
	.cfi_def_cfa_offset 8
	sw	$ra, 4($sp)
	sw	$s8, 0($sp)
	.cfi_offset 31, -4
	.cfi_offset 30, -8
	move	$s8, $sp
	.cfi_def_cfa_register 30
	addiu	$sp, $a2, -GORT_MIN_FRAME
	move	$t9, $a1
	jalr	$t9
gort_lessstack:
	move	$sp, $s8
	.cfi_def_cfa_register 29
	lw	$ra, 4($sp)
	lw	$s8, 0($sp)
	.cfi_restore 31
	.cfi_restore 30
	addiu	$sp, $sp, 8
	.cfi_def_cfa_offset 0
	jr	$ra
	.cfi_endproc
	.end	gort_morestack
	.size	gort_morestack, .-gort_morestack
	.size	gort_systemstack, .-gort_systemstack

// void gort_gostartcall(Gobuf *buf /* a0 */, void (*fn)(void *) /* a1 */,
//                       void *arg /* a2 */, uintptr_t stack_hi /* a3 */)
// sp = (stack_hi & ~7) - GORT_MIN_FRAME (fn's argument slots), pc = fn
// (gogo enters it through t9), ctxt = arg (gogo puts it in a0), ra =
// gort_goexit_ra (through the GOT: gp from .cpload), s0-s8 and f20-f30 = 0
// (s8, the frame pointer, in particular), FCSR = this thread's now.
// Nothing is written to the new stack. Smashes t0 and gp (o32: the
// caller's to reload).
	.globl	gort_gostartcall
	.type	gort_gostartcall, @function
	.ent	gort_gostartcall
gort_gostartcall:
	.cfi_startproc
	CPLOAD
	li	$t0, -8
	and	$a3, $a3, $t0
	addiu	$a3, $a3, -GORT_MIN_FRAME
	sw	$a3, GOBUF_SP($a0)
	sw	$a1, GOBUF_PC($a0)
	sw	$a2, GOBUF_CTXT($a0)
	la	$t0, gort_goexit_ra
	sw	$t0, GOBUF_RA($a0)
	sw	$zero, GOBUF_S0($a0)
	sw	$zero, GOBUF_S1($a0)
	sw	$zero, GOBUF_S2($a0)
	sw	$zero, GOBUF_S3($a0)
	sw	$zero, GOBUF_S4($a0)
	sw	$zero, GOBUF_S5($a0)
	sw	$zero, GOBUF_S6($a0)
	sw	$zero, GOBUF_S7($a0)
	sw	$zero, GOBUF_S8($a0)
	sw	$zero, GOBUF_F20($a0)
	sw	$zero, GOBUF_F20+4($a0)
	sw	$zero, GOBUF_F22($a0)
	sw	$zero, GOBUF_F22+4($a0)
	sw	$zero, GOBUF_F24($a0)
	sw	$zero, GOBUF_F24+4($a0)
	sw	$zero, GOBUF_F26($a0)
	sw	$zero, GOBUF_F26+4($a0)
	sw	$zero, GOBUF_F28($a0)
	sw	$zero, GOBUF_F28+4($a0)
	sw	$zero, GOBUF_F30($a0)
	sw	$zero, GOBUF_F30+4($a0)
	SAVE_FCSR
	jr	$ra
	.cfi_endproc
	.end	gort_gostartcall
	.size	gort_gostartcall, .-gort_gostartcall

// void gort_goexit(void)  -- never called
// A new G's fn returns here, to gort_goexit_ra, with sp back at its first
// frame's (the 16 bytes above it are gort_goexit1's argument slots) and gp
// whatever fn left (o32). bal's return address, the label after its delay
// slot, is what .cpload needs to compute this object's gp; gort_goexit1 is
// then called through the GOT. ra is undefined throughout, so unwinders
// stop here; the nop keeps ra-1, where an unwinder looks, inside goexit.
	.globl	gort_goexit
	.type	gort_goexit, @function
	.globl	gort_goexit_ra
	.ent	gort_goexit
gort_goexit:
	.cfi_startproc
	.cfi_undefined 31
	nop
gort_goexit_ra:
	.set	noreorder
	bal	1f
	nop
1:	.cpload	$ra
	.set	reorder
	lw	$t9, %call16(gort_goexit1)($gp)
	jalr	$t9
	break
	.cfi_endproc
	.end	gort_goexit
	.size	gort_goexit, .-gort_goexit

	.section .note.GNU-stack,"",@progbits
