// testhelp_mips64el.S: routines that let the conformance suite see MIPS
// n64 registers. Test-only, not part of the runtime; the contract of each
// is in tests/conformance/harness.hpp.
//
// Slot order (GORT_TEST_NINT = 10, GORT_TEST_NFP = 8): slots 0-8 are s0-s8,
// slot 9 is gp, slots 10-17 are f24-f31. Return-register slots
// (GORT_TEST_NRET = 4): v0, v1, f0, f2.
// gp holds a random value while fn runs: fn, entered through t9, computes
// its own, and gives the random one back (n64 keeps gp callee-saved).
#include "gort_arch.h"

	.text

// Load s0-s8 from \vals[0..8], gp from \vals[9], f24-f31 from \vals[10..17].
.macro LOAD_SLOTS vals
	ld	$s0, 0(\vals)
	ld	$s1, 8(\vals)
	ld	$s2, 16(\vals)
	ld	$s3, 24(\vals)
	ld	$s4, 32(\vals)
	ld	$s5, 40(\vals)
	ld	$s6, 48(\vals)
	ld	$s7, 56(\vals)
	ld	$s8, 64(\vals)
	ld	$gp, 72(\vals)
	ldc1	$f24, 80(\vals)
	ldc1	$f25, 88(\vals)
	ldc1	$f26, 96(\vals)
	ldc1	$f27, 104(\vals)
	ldc1	$f28, 112(\vals)
	ldc1	$f29, 120(\vals)
	ldc1	$f30, 128(\vals)
	ldc1	$f31, 136(\vals)
.endm

// Store them to \out[0..17] in the same order.
.macro STORE_SLOTS out
	sd	$s0, 0(\out)
	sd	$s1, 8(\out)
	sd	$s2, 16(\out)
	sd	$s3, 24(\out)
	sd	$s4, 32(\out)
	sd	$s5, 40(\out)
	sd	$s6, 48(\out)
	sd	$s7, 56(\out)
	sd	$s8, 64(\out)
	sd	$gp, 72(\out)
	sdc1	$f24, 80(\out)
	sdc1	$f25, 88(\out)
	sdc1	$f26, 96(\out)
	sdc1	$f27, 104(\out)
	sdc1	$f28, 112(\out)
	sdc1	$f29, 120(\out)
	sdc1	$f30, 128(\out)
	sdc1	$f31, 136(\out)
.endm

// void gort_test_regs(const uint64_t *in /* a0 */, uint64_t *out /* a1 */,
//                     void (*fn)(void *) /* a2 */, void *arg /* a3 */)
// Loads the slots from in, out[18] = sp before calling fn(arg) through t9,
// then stores the slots to out and out[19] = sp after. A 160-byte frame
// keeps out and the caller's s0-s8, gp, f24-f31 and ra:
//   0 out   8..72 s0-s8   80 gp   88..144 f24-f31   152 ra
// Smashes t9 and what fn smashes.
	.globl	gort_test_regs
	.type	gort_test_regs, @function
	.ent	gort_test_regs
gort_test_regs:
	.cfi_startproc
	daddiu	$sp, $sp, -160
	.cfi_def_cfa_offset 160
	sd	$ra, 152($sp)
	.cfi_offset 31, -8
	sd	$s0, 8($sp)
	sd	$s1, 16($sp)
	sd	$s2, 24($sp)
	sd	$s3, 32($sp)
	sd	$s4, 40($sp)
	sd	$s5, 48($sp)
	sd	$s6, 56($sp)
	sd	$s7, 64($sp)
	sd	$s8, 72($sp)
	sd	$gp, 80($sp)
	.cfi_offset 16, -152
	.cfi_offset 17, -144
	.cfi_offset 18, -136
	.cfi_offset 19, -128
	.cfi_offset 20, -120
	.cfi_offset 21, -112
	.cfi_offset 22, -104
	.cfi_offset 23, -96
	.cfi_offset 30, -88
	.cfi_offset 28, -80
	sdc1	$f24, 88($sp)
	sdc1	$f25, 96($sp)
	sdc1	$f26, 104($sp)
	sdc1	$f27, 112($sp)
	sdc1	$f28, 120($sp)
	sdc1	$f29, 128($sp)
	sdc1	$f30, 136($sp)
	sdc1	$f31, 144($sp)
	sd	$a1, 0($sp)
	LOAD_SLOTS $a0
	sd	$sp, 144($a1)
	move	$a0, $a3
	move	$t9, $a2
	jalr	$t9
	ld	$a1, 0($sp)
	STORE_SLOTS $a1
	sd	$sp, 152($a1)
	ld	$s0, 8($sp)
	ld	$s1, 16($sp)
	ld	$s2, 24($sp)
	ld	$s3, 32($sp)
	ld	$s4, 40($sp)
	ld	$s5, 48($sp)
	ld	$s6, 56($sp)
	ld	$s7, 64($sp)
	ld	$s8, 72($sp)
	ld	$gp, 80($sp)
	ldc1	$f24, 88($sp)
	ldc1	$f25, 96($sp)
	ldc1	$f26, 104($sp)
	ldc1	$f27, 112($sp)
	ldc1	$f28, 120($sp)
	ldc1	$f29, 128($sp)
	ldc1	$f30, 136($sp)
	ldc1	$f31, 144($sp)
	ld	$ra, 152($sp)
	daddiu	$sp, $sp, 160
	.cfi_def_cfa_offset 0
	jr	$ra
	.cfi_endproc
	.end	gort_test_regs
	.size	gort_test_regs, .-gort_test_regs

// void gort_test_clobber_gogo(const uint64_t *vals /* a0 */,
//                             const Gobuf *buf /* a1 */)  -- never returns
// Finds gort_gogo through the GOT (before gp becomes a slot), loads the
// slots from vals, then jumps to gort_gogo(buf) through t9. Smashes
// everything gogo does not restore.
	.globl	gort_test_clobber_gogo
	.type	gort_test_clobber_gogo, @function
	.ent	gort_test_clobber_gogo
gort_test_clobber_gogo:
	.cpsetup $t9, $t8, gort_test_clobber_gogo
	ld	$t9, %call16(gort_gogo)($gp)
	LOAD_SLOTS $a0
	move	$a0, $a1
	jr	$t9
	.end	gort_test_clobber_gogo
	.size	gort_test_clobber_gogo, .-gort_test_clobber_gogo

// void gort_test_probe(void *arg /* a0 */)
// Tail-calls gort_test_probe_body(arg, sp at entry /* a1 */) through t9,
// with sp and the caller's gp as they were at entry. Smashes t8, t9.
	.globl	gort_test_probe
	.type	gort_test_probe, @function
	.ent	gort_test_probe
gort_test_probe:
	.cpsetup $t9, $t8, gort_test_probe
	ld	$t9, %call16(gort_test_probe_body)($gp)
	.cpreturn
	move	$a1, $sp
	jr	$t9
	.end	gort_test_probe
	.size	gort_test_probe, .-gort_test_probe

// void gort_test_retregs_fill(const uint64_t *p /* a0 */)
// v0 = p[0], v1 = p[1], f0 = p[2], f2 = p[3] (64-bit loads, so any bit
// pattern survives). Called by gort_morestack on its new stack.
	.type	gort_test_retregs_fill, @function
	.ent	gort_test_retregs_fill
gort_test_retregs_fill:
	ld	$v1, 8($a0)
	ldc1	$f0, 16($a0)
	ldc1	$f2, 24($a0)
	ld	$v0, 0($a0)
	jr	$ra
	.end	gort_test_retregs_fill
	.size	gort_test_retregs_fill, .-gort_test_retregs_fill

// void gort_test_retregs(const uint64_t *p /* a0 */, uint64_t *out /* a1 */,
//                        uintptr_t sp /* a2 */)
// gort_morestack(p, fill, sp), then out[0..3] = v0, v1, f0, f2 as
// lessstack left them. A 32-byte frame: 0 s0 (keeps out), 8 the caller's
// gp (.cpsetup's save slot), 24 ra. Smashes what morestack smashes.
	.globl	gort_test_retregs
	.type	gort_test_retregs, @function
	.ent	gort_test_retregs
gort_test_retregs:
	.cfi_startproc
	daddiu	$sp, $sp, -32
	.cfi_def_cfa_offset 32
	sd	$ra, 24($sp)
	sd	$s0, 0($sp)
	.cfi_offset 31, -8
	.cfi_offset 16, -32
	.cpsetup $t9, 8, gort_test_retregs
	move	$s0, $a1
	dla	$a1, gort_test_retregs_fill
	ld	$t9, %call16(gort_morestack)($gp)
	jalr	$t9
	sd	$v0, 0($s0)
	sd	$v1, 8($s0)
	sdc1	$f0, 16($s0)
	sdc1	$f2, 24($s0)
	.cpreturn
	ld	$s0, 0($sp)
	ld	$ra, 24($sp)
	daddiu	$sp, $sp, 32
	.cfi_def_cfa_offset 0
	jr	$ra
	.cfi_endproc
	.end	gort_test_retregs
	.size	gort_test_retregs, .-gort_test_retregs

// uint32_t gort_test_fpenv_get(void): FCSR (sign-extended, as n64 passes
// 32-bit values).
	.globl	gort_test_fpenv_get
	.type	gort_test_fpenv_get, @function
	.ent	gort_test_fpenv_get
gort_test_fpenv_get:
	cfc1	$v0, $31
	jr	$ra
	.end	gort_test_fpenv_get
	.size	gort_test_fpenv_get, .-gort_test_fpenv_get

// void gort_test_fpenv_set(uint32_t v /* a0 */): FCSR = v.
	.globl	gort_test_fpenv_set
	.type	gort_test_fpenv_set, @function
	.ent	gort_test_fpenv_set
gort_test_fpenv_set:
	ctc1	$a0, $31
	jr	$ra
	.end	gort_test_fpenv_set
	.size	gort_test_fpenv_set, .-gort_test_fpenv_set

	.section .note.GNU-stack,"",@progbits
