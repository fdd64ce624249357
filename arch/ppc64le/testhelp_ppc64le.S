// testhelp_ppc64le.S: routines that let the conformance suite see Power
// registers. Test-only, not part of the runtime; the contract of each is in
// tests/conformance/harness.hpp.
//
// Slot order (GORT_TEST_NINT = 20, GORT_TEST_NFP = 42): integer slots 0-17
// are r14-r31; slot 18 is CR2-CR4: loaded with mtcrf, read back as the
// slot given with its bits 12-23 (CR2-CR4 in mfcr's word) replaced by the
// CR's, so a field lost shows as a changed slot; slot 19 is r2, the TOC,
// which C++ code needs intact and so cannot be loaded: read back as the
// slot given XOR (r2 after fn ^ r2 before), it changes iff r2 did (the
// other side, gort_test_clobber_gogo, points r2 at unmapped memory). FP
// slots 0-17 are f14-f31
// and slots 18-41 are v20-v31, two each (lxvd2x/stxvd2x order). Return
// slots (GORT_TEST_NRET = 26): r3, r4, f1-f8, v2-v9 (two each).
#include "gort_arch.h"

	.abiversion 2
	.text

#define SLOT_CR (18 * 8)
#define SLOT_TOC (19 * 8)
#define SLOT_F(n) ((GORT_TEST_NINT + (n) - 14) * 8)
#define SLOT_V(n) ((GORT_TEST_NINT + 18 + ((n) - 20) * 2) * 8)
#define SLOT_SP ((GORT_TEST_NINT + GORT_TEST_NFP) * 8)
#define CR_KEPT 0x00fff000  // CR2-CR4 in mfcr's word

// Load r14-r31, CR2-CR4, f14-f31, v20-v31 from the slots at \vals.
// Smashes r0.
.macro LOAD_SLOTS vals
	ld	%r0, SLOT_CR(\vals)
	mtcrf	0x38, %r0
	.irp n, 14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	lfd	%f\n, SLOT_F(\n)(\vals)
	.endr
	.irp n, 20,21,22,23,24,25,26,27,28,29,30,31
	li	%r0, SLOT_V(\n)
	lxvd2x	32+\n, \vals, %r0
	.endr
	.irp n, 14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	ld	%r\n, (\n - 14) * 8(\vals)
	.endr
.endm

// Store the slots to \out; the CR slot is \in's with CR2-CR4 from the CR,
// the TOC slot \in's XOR (r2 ^ \toc, r2 before). Smashes r0, \t1, \t2.
.macro STORE_SLOTS out, in, toc, t1, t2
	xor	%r0, %r2, \toc
	ld	\t1, SLOT_TOC(\in)
	xor	%r0, %r0, \t1
	std	%r0, SLOT_TOC(\out)
	.irp n, 14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	std	%r\n, (\n - 14) * 8(\out)
	stfd	%f\n, SLOT_F(\n)(\out)
	.endr
	.irp n, 20,21,22,23,24,25,26,27,28,29,30,31
	li	%r0, SLOT_V(\n)
	stxvd2x	32+\n, \out, %r0
	.endr
	ld	\t1, SLOT_CR(\in)
	mfcr	%r0
	xor	%r0, %r0, \t1
	lis	\t2, CR_KEPT >> 16
	ori	\t2, \t2, CR_KEPT & 0xffff
	and	%r0, %r0, \t2
	xor	%r0, %r0, \t1
	std	%r0, SLOT_CR(\out)
.endm

// void gort_test_regs(const uint64_t *in /* r3 */, uint64_t *out /* r4 */,
//                     void (*fn)(void *) /* r5 */, void *arg /* r6 */)
// Loads the slots from in, out[62] = r1 before calling fn(arg), then
// stores the slots to out and out[63] = r1 after. A 544-byte frame keeps
// the caller's registers (restored on return), in and out:
//   0 back chain  8 CR  16 LR  24 TOC (the ABI's header)  32 in  40 out
//   48 the caller's CR  64..200 r14-r31  208..344 f14-f31  352..528 v20-v31
// Smashes r0, r5-r7, r12, ctr and what fn smashes.
	.globl	gort_test_regs
	.type	gort_test_regs, @function
	.p2align 4
gort_test_regs:
	.cfi_startproc
	mflr	%r0
	std	%r0, 16(%r1)
	.cfi_offset lr, 16
	stdu	%r1, -544(%r1)
	.cfi_def_cfa_offset 544
	.irp n, 14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	std	%r\n, 64 + (\n - 14) * 8(%r1)
	.cfi_offset %r\n, 64 + (\n - 14) * 8 - 544
	stfd	%f\n, 208 + (\n - 14) * 8(%r1)
	.cfi_offset %f\n, 208 + (\n - 14) * 8 - 544
	.endr
	.irp n, 20,21,22,23,24,25,26,27,28,29,30,31
	li	%r0, 352 + (\n - 20) * 16
	stxvd2x	32+\n, %r1, %r0
	.endr
	mfcr	%r0
	std	%r0, 48(%r1)
	std	%r2, 24(%r1)
	std	%r3, 32(%r1)
	std	%r4, 40(%r1)
	LOAD_SLOTS %r3
	std	%r1, SLOT_SP(%r4)
	mr	%r3, %r6
	mr	%r12, %r5
	mtctr	%r12
	bctrl
	ld	%r3, 32(%r1)
	ld	%r4, 40(%r1)
	ld	%r7, 24(%r1)
	STORE_SLOTS %r4, %r3, %r7, %r5, %r6
	mr	%r2, %r7
	std	%r1, SLOT_SP + 8(%r4)
	.irp n, 14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	ld	%r\n, 64 + (\n - 14) * 8(%r1)
	lfd	%f\n, 208 + (\n - 14) * 8(%r1)
	.endr
	.irp n, 20,21,22,23,24,25,26,27,28,29,30,31
	li	%r0, 352 + (\n - 20) * 16
	lxvd2x	32+\n, %r1, %r0
	.endr
	ld	%r0, 48(%r1)
	mtcrf	0x38, %r0
	addi	%r1, %r1, 544
	.cfi_def_cfa_offset 0
	ld	%r0, 16(%r1)
	mtlr	%r0
	blr
	.cfi_endproc
	.size	gort_test_regs, .-gort_test_regs

// void gort_test_clobber_gogo(const uint64_t *vals /* r3 */,
//                             const Gobuf *buf /* r4 */)  -- never returns
// Loads the slots from vals and points r2 at unmapped memory (as if this
// side ran with another module's TOC), then tail-calls gort_gogo(buf): if
// gogo does not restore r2, the resumed code's first TOC access faults.
// Smashes everything gogo does not restore.
	.globl	gort_test_clobber_gogo
	.type	gort_test_clobber_gogo, @function
	.p2align 4
gort_test_clobber_gogo:
	LOAD_SLOTS %r3
	lis	%r2, 0x0bad		// 0x0bad0000
	mr	%r3, %r4
	b	gort_gogo
	.size	gort_test_clobber_gogo, .-gort_test_clobber_gogo

// void gort_test_probe(void *arg /* r3 */)
// Tail-calls gort_test_probe_body(arg, r1 at entry /* r4 */): r1 is left
// exactly as it was at entry, and so is the caller's frame above it.
	.globl	gort_test_probe
	.type	gort_test_probe, @function
	.p2align 4
gort_test_probe:
	mr	%r4, %r1
	b	gort_test_probe_body
	.size	gort_test_probe, .-gort_test_probe

// void gort_test_retregs_fill(const uint64_t *p /* r3 */)
// r3 = p[0], r4 = p[1], f1-f8 = p[2..9], v2-v9 = p[10..25] (bit patterns
// survive: lfd and lxvd2x convert nothing). Called by gort_morestack on its
// new stack.
	.type	gort_test_retregs_fill, @function
	.p2align 4
gort_test_retregs_fill:
	ld	%r4, 8(%r3)
	.irp n, 1,2,3,4,5,6,7,8
	lfd	%f\n, (\n + 1) * 8(%r3)
	.endr
	.irp n, 2,3,4,5,6,7,8,9
	li	%r0, 80 + (\n - 2) * 16
	lxvd2x	32+\n, %r3, %r0
	.endr
	ld	%r3, 0(%r3)
	blr
	.size	gort_test_retregs_fill, .-gort_test_retregs_fill

// void gort_test_retregs(const uint64_t *p /* r3 */, uint64_t *out /* r4 */,
//                        uintptr_t sp /* r5 */)
// gort_morestack(p, fill, sp), then out[0..25] = r3, r4, f1-f8, v2-v9 as
// lessstack left them. Keeps out in r31. Smashes r0 and what morestack
// smashes.
	.globl	gort_test_retregs
	.type	gort_test_retregs, @function
	.p2align 4
gort_test_retregs:
	.cfi_startproc
	mflr	%r0
	std	%r0, 16(%r1)
	.cfi_offset lr, 16
	std	%r31, -8(%r1)
	.cfi_offset %r31, -8
	stdu	%r1, -48(%r1)
	.cfi_def_cfa_offset 48
	mr	%r31, %r4
	bcl	20, 31, 1f
1:	mflr	%r4
	addis	%r4, %r4, (gort_test_retregs_fill - 1b)@ha
	addi	%r4, %r4, (gort_test_retregs_fill - 1b)@l
	bl	gort_morestack
	nop
	std	%r3, 0(%r31)
	std	%r4, 8(%r31)
	.irp n, 1,2,3,4,5,6,7,8
	stfd	%f\n, (\n + 1) * 8(%r31)
	.endr
	.irp n, 2,3,4,5,6,7,8,9
	li	%r0, 80 + (\n - 2) * 16
	stxvd2x	32+\n, %r31, %r0
	.endr
	addi	%r1, %r1, 48
	.cfi_def_cfa_offset 0
	ld	%r0, 16(%r1)
	mtlr	%r0
	.cfi_restore lr
	ld	%r31, -8(%r1)
	.cfi_restore %r31
	blr
	.cfi_endproc
	.size	gort_test_retregs, .-gort_test_retregs

// uint32_t gort_test_fpenv_get(void): FPSCR's low byte, DRN << 8, VSCR's
// NJ (bit 16), as gort_arch.h packs them.
	.globl	gort_test_fpenv_get
	.type	gort_test_fpenv_get, @function
	.p2align 4
gort_test_fpenv_get:
	mffs	%f0
	mffprd	%r4, %f0
	andi.	%r3, %r4, 0xff
	rldicl	%r5, %r4, 32, 61	// (fpscr >> 32) & 7: DRN
	sldi	%r5, %r5, 8
	or	%r3, %r3, %r5
	mfvscr	%v0
	vspltw	%v0, %v0, 3
	mfvsrwz	%r6, %vs32
	andis.	%r6, %r6, 1		// NJ
	or	%r3, %r3, %r6
	blr
	.size	gort_test_fpenv_get, .-gort_test_fpenv_get

// void gort_test_fpenv_set(uint32_t v /* r3 */): the inverse.
	.globl	gort_test_fpenv_set
	.type	gort_test_fpenv_set, @function
	.p2align 4
gort_test_fpenv_set:
	andi.	%r4, %r3, 0xff
	rldicl	%r5, %r3, 56, 61	// (v >> 8) & 7
	sldi	%r5, %r5, 32
	or	%r4, %r4, %r5
	mtfprd	%f0, %r4
	mtfsf	0x03, %f0
	mtfsf	0x01, %f0, 0, 1
	andis.	%r6, %r3, 1
	mtvsrwz	%vs32, %r6
	vspltw	%v0, %v0, 1
	mtvscr	%v0
	blr
	.size	gort_test_fpenv_set, .-gort_test_fpenv_set

	.section .note.GNU-stack,"",@progbits
