// testhelp_s390x.S: routines that let the conformance suite see
// z/Architecture registers. Test-only, not part of the runtime; the
// contract of each is in tests/conformance/harness.hpp.
//
// Slot order (GORT_TEST_NINT = 8, GORT_TEST_NFP = 8): slots 0-7 are r6-r13,
// slots 8-15 are f8-f15 (all 64 bits). Return-register slots
// (GORT_TEST_NRET): r2, f0, and v24 (two slots) with the vector ABI.
#include "gort_arch.h"

	.text

// Load r6-r13 from \vals[0..7] and f8-f15 from \vals[8..15].
.macro LOAD_SLOTS vals
	.irp n, 8,9,10,11,12,13,14,15
	ld	%f\n, 64 + (\n - 8) * 8(\vals)
	.endr
	lmg	%r6, %r13, 0(\vals)
.endm

// Store r6-r13 to \out[0..7] and f8-f15 to \out[8..15].
.macro STORE_SLOTS out
	stmg	%r6, %r13, 0(\out)
	.irp n, 8,9,10,11,12,13,14,15
	std	%f\n, 64 + (\n - 8) * 8(\out)
	.endr
.endm

// void gort_test_regs(const uint64_t *in /* r2 */, uint64_t *out /* r3 */,
//                     void (*fn)(void *) /* r4 */, void *arg /* r5 */)
// Loads the slots from in, out[16] = r15 before calling fn(arg), then
// stores the slots to out and out[17] = r15 after. r6-r15 go to the
// caller's register save area; a 232-byte frame holds the save area for
// fn (0..159), f8-f15 (160..216) and out (224). Smashes r0-r5 and what fn
// smashes.
	.globl	gort_test_regs
	.type	gort_test_regs, @function
	.p2align 3
gort_test_regs:
	.cfi_startproc
	stmg	%r6, %r15, 48(%r15)
	.irp n, 6,7,8,9,10,11,12,13,14,15
	.cfi_offset %r\n, 48 + (\n - 6) * 8 - 160
	.endr
	lay	%r15, -232(%r15)
	.cfi_adjust_cfa_offset 232
	.irp n, 8,9,10,11,12,13,14,15
	std	%f\n, 160 + (\n - 8) * 8(%r15)
	.endr
	stg	%r3, 224(%r15)
	LOAD_SLOTS %r2
	stg	%r15, 128(%r3)
	lgr	%r2, %r5
	basr	%r14, %r4
	lg	%r1, 224(%r15)
	STORE_SLOTS %r1
	stg	%r15, 136(%r1)
	.irp n, 8,9,10,11,12,13,14,15
	ld	%f\n, 160 + (\n - 8) * 8(%r15)
	.endr
	lmg	%r6, %r15, 232 + 48(%r15)
	.cfi_def_cfa_offset 160
	br	%r14
	.cfi_endproc
	.size	gort_test_regs, .-gort_test_regs

// void gort_test_clobber_gogo(const uint64_t *vals /* r2 */,
//                             const Gobuf *buf /* r3 */)  -- never returns
// Loads the slots from vals, then tail-calls gort_gogo(buf). Smashes
// everything gogo does not restore.
	.globl	gort_test_clobber_gogo
	.type	gort_test_clobber_gogo, @function
	.p2align 3
gort_test_clobber_gogo:
	LOAD_SLOTS %r2
	lgr	%r2, %r3
	jg	gort_gogo
	.size	gort_test_clobber_gogo, .-gort_test_clobber_gogo

// void gort_test_probe(void *arg /* r2 */)
// Tail-calls gort_test_probe_body(arg, r15 at entry /* r3 */): r15 is left
// exactly as it was at entry.
	.globl	gort_test_probe
	.type	gort_test_probe, @function
	.p2align 3
gort_test_probe:
	lgr	%r3, %r15
	jg	gort_test_probe_body
	.size	gort_test_probe, .-gort_test_probe

// void gort_test_retregs_fill(const uint64_t *p /* r2 */)
// r2 = p[0], f0 = p[1] (and v24 = p[2..3] with the vector ABI): 64-bit
// loads, so any bit pattern survives. Called by gort_morestack on its new
// stack.
	.type	gort_test_retregs_fill, @function
	.p2align 3
gort_test_retregs_fill:
	ld	%f0, 8(%r2)
#ifdef __VX__
	vl	%v24, 16(%r2)
#endif
	lg	%r2, 0(%r2)
	br	%r14
	.size	gort_test_retregs_fill, .-gort_test_retregs_fill

// void gort_test_retregs(const uint64_t *p /* r2 */, uint64_t *out /* r3 */,
//                        uintptr_t sp /* r4 */)
// gort_morestack(p, fill, sp), then out = r2, f0 (, v24) as lessstack left
// them. Keeps out in r13. Smashes what morestack smashes.
	.globl	gort_test_retregs
	.type	gort_test_retregs, @function
	.p2align 3
gort_test_retregs:
	.cfi_startproc
	stmg	%r13, %r15, 104(%r15)
	.cfi_offset %r13, -56
	.cfi_offset %r14, -48
	.cfi_offset %r15, -40
	lay	%r15, -160(%r15)
	.cfi_adjust_cfa_offset 160
	lgr	%r13, %r3
	larl	%r3, gort_test_retregs_fill
	brasl	%r14, gort_morestack
	stg	%r2, 0(%r13)
	std	%f0, 8(%r13)
#ifdef __VX__
	vst	%v24, 16(%r13)
#endif
	lmg	%r13, %r15, 160 + 104(%r15)
	.cfi_def_cfa_offset 160
	br	%r14
	.cfi_endproc
	.size	gort_test_retregs, .-gort_test_retregs

// uint32_t gort_test_fpenv_get(void): fpc.
	.globl	gort_test_fpenv_get
	.type	gort_test_fpenv_get, @function
	.p2align 3
gort_test_fpenv_get:
	efpc	%r2
	llgfr	%r2, %r2		// efpc leaves bits 0-31; the ABI zero-extends
	br	%r14
	.size	gort_test_fpenv_get, .-gort_test_fpenv_get

// void gort_test_fpenv_set(uint32_t v /* r2 */): fpc = v.
	.globl	gort_test_fpenv_set
	.type	gort_test_fpenv_set, @function
	.p2align 3
gort_test_fpenv_set:
	sfpc	%r2
	br	%r14
	.size	gort_test_fpenv_set, .-gort_test_fpenv_set

	.section .note.GNU-stack,"",@progbits
