// testhelp_mipsel.S: routines that let the conformance suite see MIPS o32
// registers. Test-only, not part of the runtime; the contract of each is in
// tests/conformance/harness.hpp.
//
// Slot order (GORT_TEST_NINT = 9, GORT_TEST_NFP = 6): slots 0-8 are s0-s8
// (the low word of each 64-bit slot, at +0: little-endian), slots 9-14 are
// f20 f22 f24 f26 f28 f30 as doubles. Return-register slots
// (GORT_TEST_NRET = 4): v0, v1, f0, f2.
// Every routine that calls keeps 16 bytes at its sp for its callee's
// argument slots (o32).
#include "gort_arch.h"

	.text

.macro CPLOAD
	.set	noreorder
	.cpload	$t9
	.set	reorder
.endm

// Load s0-s8 from \vals[0..8] and f20-f30 from \vals[9..14].
.macro LOAD_SLOTS vals
	lw	$s0, 0(\vals)
	lw	$s1, 8(\vals)
	lw	$s2, 16(\vals)
	lw	$s3, 24(\vals)
	lw	$s4, 32(\vals)
	lw	$s5, 40(\vals)
	lw	$s6, 48(\vals)
	lw	$s7, 56(\vals)
	lw	$s8, 64(\vals)
	ldc1	$f20, 72(\vals)
	ldc1	$f22, 80(\vals)
	ldc1	$f24, 88(\vals)
	ldc1	$f26, 96(\vals)
	ldc1	$f28, 104(\vals)
	ldc1	$f30, 112(\vals)
.endm

// Store them to \out[0..14] in the same order.
.macro STORE_SLOTS out
	sw	$s0, 0(\out)
	sw	$s1, 8(\out)
	sw	$s2, 16(\out)
	sw	$s3, 24(\out)
	sw	$s4, 32(\out)
	sw	$s5, 40(\out)
	sw	$s6, 48(\out)
	sw	$s7, 56(\out)
	sw	$s8, 64(\out)
	sdc1	$f20, 72(\out)
	sdc1	$f22, 80(\out)
	sdc1	$f24, 88(\out)
	sdc1	$f26, 96(\out)
	sdc1	$f28, 104(\out)
	sdc1	$f30, 112(\out)
.endm

// void gort_test_regs(const uint64_t *in /* a0 */, uint64_t *out /* a1 */,
//                     void (*fn)(void *) /* a2 */, void *arg /* a3 */)
// Loads the slots from in, out[15] = sp before calling fn(arg) through t9,
// then stores the slots to out and out[16] = sp after. A 112-byte frame:
//   0..15 fn's argument slots   16 out   20..52 s0-s8   56 ra
//   64..104 f20-f30 (the caller's, restored on return)
// Smashes t9 and what fn smashes.
	.globl	gort_test_regs
	.type	gort_test_regs, @function
	.ent	gort_test_regs
gort_test_regs:
	.cfi_startproc
	addiu	$sp, $sp, -112
	.cfi_def_cfa_offset 112
	sw	$ra, 56($sp)
	.cfi_offset 31, -56
	sw	$s0, 20($sp)
	sw	$s1, 24($sp)
	sw	$s2, 28($sp)
	sw	$s3, 32($sp)
	sw	$s4, 36($sp)
	sw	$s5, 40($sp)
	sw	$s6, 44($sp)
	sw	$s7, 48($sp)
	sw	$s8, 52($sp)
	.cfi_offset 16, -92
	.cfi_offset 17, -88
	.cfi_offset 18, -84
	.cfi_offset 19, -80
	.cfi_offset 20, -76
	.cfi_offset 21, -72
	.cfi_offset 22, -68
	.cfi_offset 23, -64
	.cfi_offset 30, -60
	sdc1	$f20, 64($sp)
	sdc1	$f22, 72($sp)
	sdc1	$f24, 80($sp)
	sdc1	$f26, 88($sp)
	sdc1	$f28, 96($sp)
	sdc1	$f30, 104($sp)
	sw	$a1, 16($sp)
	LOAD_SLOTS $a0
	sw	$sp, 120($a1)
	move	$a0, $a3
	move	$t9, $a2
	jalr	$t9
	lw	$a1, 16($sp)
	STORE_SLOTS $a1
	sw	$sp, 128($a1)
	lw	$s0, 20($sp)
	lw	$s1, 24($sp)
	lw	$s2, 28($sp)
	lw	$s3, 32($sp)
	lw	$s4, 36($sp)
	lw	$s5, 40($sp)
	lw	$s6, 44($sp)
	lw	$s7, 48($sp)
	lw	$s8, 52($sp)
	ldc1	$f20, 64($sp)
	ldc1	$f22, 72($sp)
	ldc1	$f24, 80($sp)
	ldc1	$f26, 88($sp)
	ldc1	$f28, 96($sp)
	ldc1	$f30, 104($sp)
	lw	$ra, 56($sp)
	addiu	$sp, $sp, 112
	.cfi_def_cfa_offset 0
	jr	$ra
	.cfi_endproc
	.end	gort_test_regs
	.size	gort_test_regs, .-gort_test_regs

// void gort_test_clobber_gogo(const uint64_t *vals /* a0 */,
//                             const Gobuf *buf /* a1 */)  -- never returns
// Loads the slots from vals, then jumps to gort_gogo(buf) through t9 (found
// through the GOT). Smashes everything gogo does not restore.
	.globl	gort_test_clobber_gogo
	.type	gort_test_clobber_gogo, @function
	.ent	gort_test_clobber_gogo
gort_test_clobber_gogo:
	CPLOAD
	lw	$t9, %call16(gort_gogo)($gp)
	LOAD_SLOTS $a0
	move	$a0, $a1
	jr	$t9
	.end	gort_test_clobber_gogo
	.size	gort_test_clobber_gogo, .-gort_test_clobber_gogo

// void gort_test_probe(void *arg /* a0 */)
// Tail-calls gort_test_probe_body(arg, sp at entry /* a1 */) through t9,
// with sp as it was at entry (the caller's argument slots above it serve
// the body). Smashes t9, gp.
	.globl	gort_test_probe
	.type	gort_test_probe, @function
	.ent	gort_test_probe
gort_test_probe:
	CPLOAD
	lw	$t9, %call16(gort_test_probe_body)($gp)
	move	$a1, $sp
	jr	$t9
	.end	gort_test_probe
	.size	gort_test_probe, .-gort_test_probe

// void gort_test_retregs_fill(const uint64_t *p /* a0 */)
// v0 = p[0], v1 = p[1], f0 = p[2], f2 = p[3] (doubles: any bit pattern
// survives). Called by gort_morestack on its new stack.
	.type	gort_test_retregs_fill, @function
	.ent	gort_test_retregs_fill
gort_test_retregs_fill:
	lw	$v1, 8($a0)
	ldc1	$f0, 16($a0)
	ldc1	$f2, 24($a0)
	lw	$v0, 0($a0)
	jr	$ra
	.end	gort_test_retregs_fill
	.size	gort_test_retregs_fill, .-gort_test_retregs_fill

// void gort_test_retregs(const uint64_t *p /* a0 */, uint64_t *out /* a1 */,
//                        uintptr_t sp /* a2 */)
// gort_morestack(p, fill, sp), then out[0..3] = v0, v1, f0, f2 as
// lessstack left them (low words for v0 and v1). A 24-byte frame:
// 0..15 morestack's argument slots, 16 s0 (keeps out), 20 ra. Smashes gp
// and what morestack smashes.
	.globl	gort_test_retregs
	.type	gort_test_retregs, @function
	.ent	gort_test_retregs
gort_test_retregs:
	.cfi_startproc
	CPLOAD
	addiu	$sp, $sp, -24
	.cfi_def_cfa_offset 24
	sw	$ra, 20($sp)
	sw	$s0, 16($sp)
	.cfi_offset 31, -4
	.cfi_offset 16, -8
	move	$s0, $a1
	la	$a1, gort_test_retregs_fill
	lw	$t9, %call16(gort_morestack)($gp)
	jalr	$t9
	sw	$v0, 0($s0)
	sw	$v1, 8($s0)
	sdc1	$f0, 16($s0)
	sdc1	$f2, 24($s0)
	lw	$s0, 16($sp)
	lw	$ra, 20($sp)
	addiu	$sp, $sp, 24
	.cfi_def_cfa_offset 0
	jr	$ra
	.cfi_endproc
	.end	gort_test_retregs
	.size	gort_test_retregs, .-gort_test_retregs

// uint32_t gort_test_fpenv_get(void): FCSR.
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
