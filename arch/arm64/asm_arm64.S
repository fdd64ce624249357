// asm_arm64.S: gort's context primitives for AArch64, AAPCS64.
//
// Saved and restored by gosave/gogo/mcall: x19-x29, sp, lr (x30), the
// return pc, d8-d15 (the low 64 bits of v8-v15, all the ABI preserves) and
// FPCR. Not saved: the signal mask, FPSR (the sticky flags, which AAPCS64
// leaves undefined across any call, so no code may count on them across
// gosave or mcall either), NZCV, the upper halves of v8-v15, x18 (the
// platform register, never written either: Apple platforms reserve it),
// TPIDR_EL0.
// Under -mbranch-protection each entry starts with "bti c" and the object
// is marked BTI; no return address is signed, so it is not marked PAC
// (gort_arch.h).
#include "gort_arch.h"

	.text

// Save the caller's callee-saved state into the Gobuf at \buf; pc = lr.
// Smashes \tmp.
.macro SAVE_CALLER buf, tmp
	mov	\tmp, sp
	str	\tmp, [\buf, #GOBUF_SP]
	str	x30, [\buf, #GOBUF_PC]
	mov	\tmp, #1
	str	\tmp, [\buf, #GOBUF_CTXT]
	stp	x19, x20, [\buf, #GOBUF_X19]
	stp	x21, x22, [\buf, #GOBUF_X21]
	stp	x23, x24, [\buf, #GOBUF_X23]
	stp	x25, x26, [\buf, #GOBUF_X25]
	stp	x27, x28, [\buf, #GOBUF_X27]
	stp	x29, x30, [\buf, #GOBUF_X29]
	stp	d8, d9, [\buf, #GOBUF_D8]
	stp	d10, d11, [\buf, #GOBUF_D10]
	stp	d12, d13, [\buf, #GOBUF_D12]
	stp	d14, d15, [\buf, #GOBUF_D14]
	mrs	\tmp, fpcr
	str	\tmp, [\buf, #GOBUF_FPCR]
.endm

// Load the Gobuf at x0: callee-saved registers, lr, FPCR (written only
// when it differs: msr fpcr can stall the pipeline), then sp last (see
// gogo); leaves pc in x17 and ctxt in x0. Smashes x1, x2.
.macro RESTORE
	ldp	x19, x20, [x0, #GOBUF_X19]
	ldp	x21, x22, [x0, #GOBUF_X21]
	ldp	x23, x24, [x0, #GOBUF_X23]
	ldp	x25, x26, [x0, #GOBUF_X25]
	ldp	x27, x28, [x0, #GOBUF_X27]
	ldp	x29, x30, [x0, #GOBUF_X29]
	ldp	d8, d9, [x0, #GOBUF_D8]
	ldp	d10, d11, [x0, #GOBUF_D10]
	ldp	d12, d13, [x0, #GOBUF_D12]
	ldp	d14, d15, [x0, #GOBUF_D14]
	ldr	x1, [x0, #GOBUF_FPCR]
	mrs	x2, fpcr
	cmp	x1, x2
	b.eq	1f
	msr	fpcr, x1
1:	ldr	x1, [x0, #GOBUF_SP]
	ldr	x17, [x0, #GOBUF_PC]
	ldr	x0, [x0, #GOBUF_CTXT]
	mov	sp, x1
.endm

// uintptr_t gort_gosave(Gobuf *buf /* x0 */)
// Returns 0 now and buf->ctxt (1) when resumed. Smashes x1.
	.globl	GORT_SYM(gort_gosave)
	GORT_TYPE(gort_gosave)
	.p2align 4
GORT_SYM(gort_gosave):
	.cfi_startproc
	GORT_LANDING_PAD
	SAVE_CALLER x0, x1
	mov	x0, #0
	ret
	.cfi_endproc
	GORT_SIZE(gort_gosave)

// void gort_gogo(const Gobuf *buf /* x0 */)  -- never returns
// x0 = buf->ctxt: fn(arg) for a new G, gosave's result otherwise. FPCR is
// written only when it differs: msr fpcr can stall the pipeline.
// Everything is read from buf first and sp moves last, just before the
// branch: once sp has moved, a signal handled on this stack builds its
// frame below the new sp, where buf may live (mexit resumes a copy of g0's
// base context kept in its own frame).
// The branch goes through x17: under BTI, br x16/x17 may land on "bti c" or
// paciasp (a new G's function) as well as on "bti j" (the landing pad
// compilers put after a call to a returns_twice function: gosave, mcall).
// Smashes x1, x2, x17.
	.globl	GORT_SYM(gort_gogo)
	GORT_TYPE(gort_gogo)
	.p2align 4
GORT_SYM(gort_gogo):
	.cfi_startproc
	GORT_LANDING_PAD
	RESTORE
	br	x17
	.cfi_endproc
	GORT_SIZE(gort_gogo)

// void gort_swap(Gobuf *save /* x0 */, const Gobuf *to /* x1 */)
// gosave(save) then gogo(to) in one call (the optional GORT_ARCH_SWAP hook,
// core/port.hpp), entering `to` by "ret x17" where gogo branches: a return
// that pairs with the bl into this routine, so the CPU's return-address
// predictor stays right when `to` left by a gort_swap from the same call
// site. lr is to's own, from its Gobuf (goexit's for a new G); BTI does not
// check the target of a ret. save is resumed as a return from this call.
// Smashes x0-x2, x17.
	.globl	GORT_SYM(gort_swap)
	GORT_TYPE(gort_swap)
	.p2align 4
GORT_SYM(gort_swap):
	.cfi_startproc
	GORT_LANDING_PAD
	SAVE_CALLER x0, x2
	mov	x0, x1
	RESTORE
	ret	x17
	.cfi_endproc
	GORT_SIZE(gort_swap)

// void gort_mcall(Gobuf *save /* x0 */, uintptr_t g0sp /* x1 */,
//                 void (*fn)(G *) /* x2 */, G *gp /* x3 */)
// Saves the caller into *save as gosave does, then fn(gp) with sp =
// g0sp - GORT_MIN_FRAME (0 here). fn must not return. Unwinders stop here.
	.globl	GORT_SYM(gort_mcall)
	GORT_TYPE(gort_mcall)
	.p2align 4
GORT_SYM(gort_mcall):
	.cfi_startproc
	GORT_LANDING_PAD
	SAVE_CALLER x0, x4
	sub	sp, x1, #GORT_MIN_FRAME
	.cfi_undefined x30
	mov	x29, xzr
	mov	x0, x3
	blr	x2
	bl	GORT_SYM(gort_mcall_returned)
	brk	#0
	.cfi_endproc
	GORT_SIZE(gort_mcall)

// void gort_morestack(void *arg /* x0 */, void (*fn)(void *) /* x1 */,
//                     uintptr_t sp /* x2 */)
// void gort_systemstack(same)
// Calls fn(arg) with sp = the given top of another stack - GORT_MIN_FRAME
// (0 here). x29 keeps the old sp, so the
// CFA stays x29+16 on either stack. The return path (lessstack) only moves
// sp back: x0-x7, x8 and v0-v7 are as fn left them.
	.globl	GORT_SYM(gort_morestack)
	GORT_TYPE(gort_morestack)
	.globl	GORT_SYM(gort_systemstack)
	GORT_TYPE(gort_systemstack)
	.p2align 4
GORT_SYM(gort_morestack):
GORT_SYM(gort_systemstack):
	.cfi_startproc
	GORT_LANDING_PAD
	stp	x29, x30, [sp, #-16]!
	.cfi_def_cfa_offset 16
	.cfi_offset x29, -16
	.cfi_offset x30, -8
	mov	x29, sp
	.cfi_def_cfa_register x29
	sub	sp, x2, #GORT_MIN_FRAME
	blr	x1
GORT_SYM(gort_lessstack):
	mov	sp, x29
	.cfi_def_cfa_register sp
	ldp	x29, x30, [sp], #16
	.cfi_def_cfa_offset 0
	.cfi_restore x29
	.cfi_restore x30
	ret
	.cfi_endproc
	GORT_SIZE(gort_morestack)
	GORT_SIZE(gort_systemstack)

// void gort_gostartcall(Gobuf *buf /* x0 */, void (*fn)(void *) /* x1 */,
//                       void *arg /* x2 */, uintptr_t stack_hi /* x3 */)
// sp = (stack_hi & ~15) - GORT_MIN_FRAME, pc = fn, x0 = arg,
// lr = gort_goexit_ra, x29 = 0.
	.globl	GORT_SYM(gort_gostartcall)
	GORT_TYPE(gort_gostartcall)
	.p2align 4
GORT_SYM(gort_gostartcall):
	.cfi_startproc
	GORT_LANDING_PAD
	and	x3, x3, #~15
	sub	x3, x3, #GORT_MIN_FRAME
	str	x3, [x0, #GOBUF_SP]
	str	x1, [x0, #GOBUF_PC]
	str	x2, [x0, #GOBUF_CTXT]
	stp	xzr, xzr, [x0, #GOBUF_X19]
	stp	xzr, xzr, [x0, #GOBUF_X21]
	stp	xzr, xzr, [x0, #GOBUF_X23]
	stp	xzr, xzr, [x0, #GOBUF_X25]
	stp	xzr, xzr, [x0, #GOBUF_X27]
	GORT_ADR x4, gort_goexit_ra
	stp	xzr, x4, [x0, #GOBUF_X29]
	stp	xzr, xzr, [x0, #GOBUF_D8]
	stp	xzr, xzr, [x0, #GOBUF_D10]
	stp	xzr, xzr, [x0, #GOBUF_D12]
	stp	xzr, xzr, [x0, #GOBUF_D14]
	mrs	x4, fpcr
	str	x4, [x0, #GOBUF_FPCR]
	ret
	.cfi_endproc
	GORT_SIZE(gort_gostartcall)

// goexit: a new G's function returns to gort_goexit_ra.
	.globl	GORT_SYM(gort_goexit)
	GORT_TYPE(gort_goexit)
	.globl	GORT_SYM(gort_goexit_ra)
	.p2align 4
GORT_SYM(gort_goexit):
	.cfi_startproc
	.cfi_undefined x30
	nop				// so that ra-1 lies inside goexit
GORT_SYM(gort_goexit_ra):
	bl	GORT_SYM(gort_goexit1)
	brk	#0
	.cfi_endproc
	GORT_SIZE(gort_goexit)

	GORT_PROPERTY_NOTE
	GORT_NOTE_GNU_STACK
