// testhelp_arm.S: routines the conformance suite uses to see registers.
// Not part of the runtime. Slots are 64-bit (an integer register takes the
// low word); see tests/conformance/harness.hpp.
// Soft-float (no GORT_ARM_VFP): no FP slots, r0 r1 the only return
// registers, and no FP environment (the FpControl tests skip).
#include "gort_arch.h"

	.syntax	unified
	.arm
	.text

// void gort_test_regs(const uint64_t *in /* r0 */, uint64_t *out /* r1 */,
//                     void (*fn)(void *) /* r2 */, void *arg /* r3 */)
// r4-r11 = in[0..7], d8-d15 = in[8..15]; fn(arg); out[0..15] = the same
// registers, out[16] = sp before the call, out[17] = sp after. Soft-float:
// r4-r11 only, and the sp values go to out[8] and out[9].
	.globl	gort_test_regs
	.type	gort_test_regs, %function
gort_test_regs:
	.fnstart
	push	{r1, r4-r11, lr}	// 40 bytes: sp stays 8-aligned
	.save	{r1, r4-r11, lr}
#if GORT_ARM_VFP
	vpush	{d8-d15}
	.vsave	{d8-d15}
#endif
	ldr	r4, [r0, #0]
	ldr	r5, [r0, #8]
	ldr	r6, [r0, #16]
	ldr	r7, [r0, #24]
	ldr	r8, [r0, #32]
	ldr	r9, [r0, #40]
	ldr	r10, [r0, #48]
	ldr	r11, [r0, #56]
#if GORT_ARM_VFP
	add	ip, r0, #64
	vldmia	ip, {d8-d15}
	str	sp, [r1, #128]
#else
	str	sp, [r1, #64]
#endif
	mov	r0, r3
	blx	r2
#if GORT_ARM_VFP
	ldr	r1, [sp, #64]		// out, above the saved d8-d15
#else
	ldr	r1, [sp]		// out
#endif
	str	r4, [r1, #0]
	str	r5, [r1, #8]
	str	r6, [r1, #16]
	str	r7, [r1, #24]
	str	r8, [r1, #32]
	str	r9, [r1, #40]
	str	r10, [r1, #48]
	str	r11, [r1, #56]
#if GORT_ARM_VFP
	add	ip, r1, #64
	vstmia	ip, {d8-d15}
	str	sp, [r1, #136]
	vpop	{d8-d15}
#else
	str	sp, [r1, #72]
#endif
	pop	{r1, r4-r11, pc}
	.fnend
	.size	gort_test_regs, .-gort_test_regs

// void gort_test_clobber_gogo(const uint64_t *vals /* r0 */,
//                             const Gobuf *buf /* r1 */)  -- never returns
	.globl	gort_test_clobber_gogo
	.type	gort_test_clobber_gogo, %function
gort_test_clobber_gogo:
	ldr	r4, [r0, #0]
	ldr	r5, [r0, #8]
	ldr	r6, [r0, #16]
	ldr	r7, [r0, #24]
	ldr	r8, [r0, #32]
	ldr	r9, [r0, #40]
	ldr	r10, [r0, #48]
	ldr	r11, [r0, #56]
#if GORT_ARM_VFP
	add	ip, r0, #64
	vldmia	ip, {d8-d15}
#endif
	mov	r0, r1
	b	gort_gogo
	.size	gort_test_clobber_gogo, .-gort_test_clobber_gogo

// void gort_test_probe(void *arg /* r0 */): tail-calls
// gort_test_probe_body(arg, sp at entry).
	.globl	gort_test_probe
	.type	gort_test_probe, %function
gort_test_probe:
	mov	r1, sp
	b	gort_test_probe_body
	.size	gort_test_probe, .-gort_test_probe

// void gort_test_retregs_fill(const uint64_t *p /* r0 */)
// r0 = p[0], r1 = p[1], d0..d3 = p[2..5] (with VFP).
	.type	gort_test_retregs_fill, %function
gort_test_retregs_fill:
	ldr	r1, [r0, #8]
#if GORT_ARM_VFP
	vldr	d0, [r0, #16]
	vldr	d1, [r0, #24]
	vldr	d2, [r0, #32]
	vldr	d3, [r0, #40]
#endif
	ldr	r0, [r0, #0]
	bx	lr
	.size	gort_test_retregs_fill, .-gort_test_retregs_fill

// void gort_test_retregs(const uint64_t *p /* r0 */, uint64_t *out /* r1 */,
//                        uintptr_t sp /* r2 */)
	.globl	gort_test_retregs
	.type	gort_test_retregs, %function
gort_test_retregs:
	.fnstart
	push	{r4, lr}
	.save	{r4, lr}
	mov	r4, r1
	adr	r1, gort_test_retregs_fill
	bl	gort_morestack
	str	r0, [r4, #0]
	str	r1, [r4, #8]
#if GORT_ARM_VFP
	vstr	d0, [r4, #16]
	vstr	d1, [r4, #24]
	vstr	d2, [r4, #32]
	vstr	d3, [r4, #40]
#endif
	pop	{r4, pc}
	.fnend
	.size	gort_test_retregs, .-gort_test_retregs

#if GORT_ARM_VFP
// uint32_t gort_test_fpenv_get(void): FPSCR.
	.globl	gort_test_fpenv_get
	.type	gort_test_fpenv_get, %function
gort_test_fpenv_get:
	vmrs	r0, fpscr
	bx	lr
	.size	gort_test_fpenv_get, .-gort_test_fpenv_get

// void gort_test_fpenv_set(uint32_t v /* r0 */): FPSCR = v.
	.globl	gort_test_fpenv_set
	.type	gort_test_fpenv_set, %function
gort_test_fpenv_set:
	vmsr	fpscr, r0
	bx	lr
	.size	gort_test_fpenv_set, .-gort_test_fpenv_set
#endif

	.section .note.GNU-stack,"",%progbits
