// testhelp_arm64.S: routines the conformance suite uses to see registers.
// Not part of the runtime; see tests/conformance/harness.hpp. Every routine
// starts with GORT_LANDING_PAD (gort_arch.h): several are called through
// pointers (probe, retregs_fill).
#include "gort_arch.h"

	.text

// Load x19-x29 from vals[0..10] and d8-d15 from vals[11..18].
.macro LOAD_SLOTS vals
	ldp	x19, x20, [\vals, #0]
	ldp	x21, x22, [\vals, #16]
	ldp	x23, x24, [\vals, #32]
	ldp	x25, x26, [\vals, #48]
	ldp	x27, x28, [\vals, #64]
	ldr	x29, [\vals, #80]
	ldp	d8, d9, [\vals, #88]
	ldp	d10, d11, [\vals, #104]
	ldp	d12, d13, [\vals, #120]
	ldp	d14, d15, [\vals, #136]
.endm

// void gort_test_regs(const uint64_t *in /* x0 */, uint64_t *out /* x1 */,
//                     void (*fn)(void *) /* x2 */, void *arg /* x3 */)
// Slots as LOAD_SLOTS; out[19] = sp before the call, out[20] = sp after.
	.globl	GORT_SYM(gort_test_regs)
	GORT_TYPE(gort_test_regs)
GORT_SYM(gort_test_regs):
	.cfi_startproc
	GORT_LANDING_PAD
	sub	sp, sp, #176
	.cfi_def_cfa_offset 176
	stp	x29, x30, [sp, #0]
	.cfi_offset x29, -176
	.cfi_offset x30, -168
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	stp	d8, d9, [sp, #96]
	stp	d10, d11, [sp, #112]
	stp	d12, d13, [sp, #128]
	stp	d14, d15, [sp, #144]
	str	x1, [sp, #160]
	LOAD_SLOTS x0
	mov	x4, sp
	str	x4, [x1, #152]
	mov	x0, x3
	blr	x2
	ldr	x1, [sp, #160]
	stp	x19, x20, [x1, #0]
	stp	x21, x22, [x1, #16]
	stp	x23, x24, [x1, #32]
	stp	x25, x26, [x1, #48]
	stp	x27, x28, [x1, #64]
	str	x29, [x1, #80]
	stp	d8, d9, [x1, #88]
	stp	d10, d11, [x1, #104]
	stp	d12, d13, [x1, #120]
	stp	d14, d15, [x1, #136]
	mov	x4, sp
	str	x4, [x1, #160]
	ldp	x29, x30, [sp, #0]
	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	d8, d9, [sp, #96]
	ldp	d10, d11, [sp, #112]
	ldp	d12, d13, [sp, #128]
	ldp	d14, d15, [sp, #144]
	add	sp, sp, #176
	.cfi_def_cfa_offset 0
	ret
	.cfi_endproc
	GORT_SIZE(gort_test_regs)

// void gort_test_clobber_gogo(const uint64_t *vals /* x0 */,
//                             const Gobuf *buf /* x1 */)  -- never returns
	.globl	GORT_SYM(gort_test_clobber_gogo)
	GORT_TYPE(gort_test_clobber_gogo)
GORT_SYM(gort_test_clobber_gogo):
	GORT_LANDING_PAD
	LOAD_SLOTS x0
	mov	x0, x1
	b	GORT_SYM(gort_gogo)
	GORT_SIZE(gort_test_clobber_gogo)

// void gort_test_probe(void *arg /* x0 */): tail-calls
// gort_test_probe_body(arg, sp at entry).
	.globl	GORT_SYM(gort_test_probe)
	GORT_TYPE(gort_test_probe)
GORT_SYM(gort_test_probe):
	GORT_LANDING_PAD
	mov	x1, sp
	b	GORT_SYM(gort_test_probe_body)
	GORT_SIZE(gort_test_probe)

// void gort_test_retregs_fill(const uint64_t *p /* x0 */)
// x0 = p[0], x1 = p[1], d0..d3 = p[2..5].
	GORT_TYPE(gort_test_retregs_fill)
GORT_SYM(gort_test_retregs_fill):
	GORT_LANDING_PAD
	ldr	x1, [x0, #8]
	ldp	d0, d1, [x0, #16]
	ldp	d2, d3, [x0, #32]
	ldr	x0, [x0, #0]
	ret
	GORT_SIZE(gort_test_retregs_fill)

// void gort_test_retregs(const uint64_t *p /* x0 */, uint64_t *out /* x1 */,
//                        uintptr_t sp /* x2 */)
	.globl	GORT_SYM(gort_test_retregs)
	GORT_TYPE(gort_test_retregs)
GORT_SYM(gort_test_retregs):
	.cfi_startproc
	GORT_LANDING_PAD
	stp	x29, x30, [sp, #-32]!
	.cfi_def_cfa_offset 32
	.cfi_offset x29, -32
	.cfi_offset x30, -24
	str	x19, [sp, #16]
	.cfi_offset x19, -16
	mov	x29, sp
	mov	x19, x1
	GORT_ADR x1, gort_test_retregs_fill
	bl	GORT_SYM(gort_morestack)
	stp	x0, x1, [x19, #0]
	stp	d0, d1, [x19, #16]
	stp	d2, d3, [x19, #32]
	ldr	x19, [sp, #16]
	ldp	x29, x30, [sp], #32
	.cfi_def_cfa_offset 0
	ret
	.cfi_endproc
	GORT_SIZE(gort_test_retregs)

// uint32_t gort_test_fpenv_get(void): FPCR (FPSR, the sticky flags, is
// not part of a context on this port).
	.globl	GORT_SYM(gort_test_fpenv_get)
	GORT_TYPE(gort_test_fpenv_get)
GORT_SYM(gort_test_fpenv_get):
	GORT_LANDING_PAD
	mrs	x0, fpcr
	ret
	GORT_SIZE(gort_test_fpenv_get)

// void gort_test_fpenv_set(uint32_t v /* w0 */): FPCR = v. The upper half
// of x0 is undefined for a 32-bit argument: mov w0, w0 clears it.
	.globl	GORT_SYM(gort_test_fpenv_set)
	GORT_TYPE(gort_test_fpenv_set)
GORT_SYM(gort_test_fpenv_set):
	GORT_LANDING_PAD
	mov	w0, w0
	msr	fpcr, x0
	ret
	GORT_SIZE(gort_test_fpenv_set)

	GORT_PROPERTY_NOTE
	GORT_NOTE_GNU_STACK
