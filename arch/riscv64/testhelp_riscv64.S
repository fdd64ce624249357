// testhelp_riscv64.S: routines that let the conformance suite see RISC-V
// registers. Test-only, not part of the runtime; the contract of each is in
// tests/conformance/harness.hpp.
//
// Slot order (GORT_TEST_NINT = 12, GORT_TEST_NFP = 12): slots 0-11 are
// s0-s11, slots 12-23 are fs0-fs11 (all 64 bits). Return-register slots
// (GORT_TEST_NRET = 4): a0, a1, fa0, fa1.
#include "gort_arch.h"

	.text

// Load s0-s11 from \vals[0..11] and fs0-fs11 from \vals[12..23].
.macro LOAD_SLOTS vals
	ld	s0, 0(\vals)
	ld	s1, 8(\vals)
	ld	s2, 16(\vals)
	ld	s3, 24(\vals)
	ld	s4, 32(\vals)
	ld	s5, 40(\vals)
	ld	s6, 48(\vals)
	ld	s7, 56(\vals)
	ld	s8, 64(\vals)
	ld	s9, 72(\vals)
	ld	s10, 80(\vals)
	ld	s11, 88(\vals)
	fld	fs0, 96(\vals)
	fld	fs1, 104(\vals)
	fld	fs2, 112(\vals)
	fld	fs3, 120(\vals)
	fld	fs4, 128(\vals)
	fld	fs5, 136(\vals)
	fld	fs6, 144(\vals)
	fld	fs7, 152(\vals)
	fld	fs8, 160(\vals)
	fld	fs9, 168(\vals)
	fld	fs10, 176(\vals)
	fld	fs11, 184(\vals)
.endm

// Store s0-s11 to \out[0..11] and fs0-fs11 to \out[12..23].
.macro STORE_SLOTS out
	sd	s0, 0(\out)
	sd	s1, 8(\out)
	sd	s2, 16(\out)
	sd	s3, 24(\out)
	sd	s4, 32(\out)
	sd	s5, 40(\out)
	sd	s6, 48(\out)
	sd	s7, 56(\out)
	sd	s8, 64(\out)
	sd	s9, 72(\out)
	sd	s10, 80(\out)
	sd	s11, 88(\out)
	fsd	fs0, 96(\out)
	fsd	fs1, 104(\out)
	fsd	fs2, 112(\out)
	fsd	fs3, 120(\out)
	fsd	fs4, 128(\out)
	fsd	fs5, 136(\out)
	fsd	fs6, 144(\out)
	fsd	fs7, 152(\out)
	fsd	fs8, 160(\out)
	fsd	fs9, 168(\out)
	fsd	fs10, 176(\out)
	fsd	fs11, 184(\out)
.endm

// void gort_test_regs(const uint64_t *in /* a0 */, uint64_t *out /* a1 */,
//                     void (*fn)(void *) /* a2 */, void *arg /* a3 */)
// Loads the slots from in, out[24] = sp before calling fn(arg), then stores
// the slots to out and out[25] = sp after. A 208-byte frame keeps the
// caller's ra, s0-s11, fs0-fs11 (restored on return) and out:
//   0(sp) out   8..96(sp) fs0-fs11   104..192(sp) s0-s11   200(sp) ra
// Smashes what fn smashes.
	.globl	gort_test_regs
	.type	gort_test_regs, %function
	.p2align 2
gort_test_regs:
	.cfi_startproc
	addi	sp, sp, -208
	.cfi_def_cfa_offset 208
	sd	ra, 200(sp)
	.cfi_offset ra, -8
	sd	s0, 104(sp)
	sd	s1, 112(sp)
	sd	s2, 120(sp)
	sd	s3, 128(sp)
	sd	s4, 136(sp)
	sd	s5, 144(sp)
	sd	s6, 152(sp)
	sd	s7, 160(sp)
	sd	s8, 168(sp)
	sd	s9, 176(sp)
	sd	s10, 184(sp)
	sd	s11, 192(sp)
	.cfi_offset s0, -104
	.cfi_offset s1, -96
	.cfi_offset s2, -88
	.cfi_offset s3, -80
	.cfi_offset s4, -72
	.cfi_offset s5, -64
	.cfi_offset s6, -56
	.cfi_offset s7, -48
	.cfi_offset s8, -40
	.cfi_offset s9, -32
	.cfi_offset s10, -24
	.cfi_offset s11, -16
	fsd	fs0, 8(sp)
	fsd	fs1, 16(sp)
	fsd	fs2, 24(sp)
	fsd	fs3, 32(sp)
	fsd	fs4, 40(sp)
	fsd	fs5, 48(sp)
	fsd	fs6, 56(sp)
	fsd	fs7, 64(sp)
	fsd	fs8, 72(sp)
	fsd	fs9, 80(sp)
	fsd	fs10, 88(sp)
	fsd	fs11, 96(sp)
	.cfi_offset fs0, -200
	.cfi_offset fs1, -192
	.cfi_offset fs2, -184
	.cfi_offset fs3, -176
	.cfi_offset fs4, -168
	.cfi_offset fs5, -160
	.cfi_offset fs6, -152
	.cfi_offset fs7, -144
	.cfi_offset fs8, -136
	.cfi_offset fs9, -128
	.cfi_offset fs10, -120
	.cfi_offset fs11, -112
	sd	a1, 0(sp)
	LOAD_SLOTS a0
	sd	sp, 192(a1)
	mv	a0, a3
	jalr	a2
	ld	a1, 0(sp)
	STORE_SLOTS a1
	sd	sp, 200(a1)
	ld	s0, 104(sp)
	ld	s1, 112(sp)
	ld	s2, 120(sp)
	ld	s3, 128(sp)
	ld	s4, 136(sp)
	ld	s5, 144(sp)
	ld	s6, 152(sp)
	ld	s7, 160(sp)
	ld	s8, 168(sp)
	ld	s9, 176(sp)
	ld	s10, 184(sp)
	ld	s11, 192(sp)
	fld	fs0, 8(sp)
	fld	fs1, 16(sp)
	fld	fs2, 24(sp)
	fld	fs3, 32(sp)
	fld	fs4, 40(sp)
	fld	fs5, 48(sp)
	fld	fs6, 56(sp)
	fld	fs7, 64(sp)
	fld	fs8, 72(sp)
	fld	fs9, 80(sp)
	fld	fs10, 88(sp)
	fld	fs11, 96(sp)
	ld	ra, 200(sp)
	addi	sp, sp, 208
	.cfi_def_cfa_offset 0
	ret
	.cfi_endproc
	.size	gort_test_regs, .-gort_test_regs

// void gort_test_clobber_gogo(const uint64_t *vals /* a0 */,
//                             const Gobuf *buf /* a1 */)  -- never returns
// Loads the slots from vals, then tail-calls gort_gogo(buf). Smashes
// everything gogo does not restore.
	.globl	gort_test_clobber_gogo
	.type	gort_test_clobber_gogo, %function
	.p2align 2
gort_test_clobber_gogo:
	LOAD_SLOTS a0
	mv	a0, a1
	tail	gort_gogo
	.size	gort_test_clobber_gogo, .-gort_test_clobber_gogo

// void gort_test_probe(void *arg /* a0 */)
// Tail-calls gort_test_probe_body(arg, sp at entry /* a1 */): sp is left
// exactly as it was at entry. Smashes a1, t1 (tail's scratch).
	.globl	gort_test_probe
	.type	gort_test_probe, %function
	.p2align 2
gort_test_probe:
	mv	a1, sp
	tail	gort_test_probe_body
	.size	gort_test_probe, .-gort_test_probe

// void gort_test_retregs_fill(const uint64_t *p /* a0 */)
// a0 = p[0], a1 = p[1], fa0 = p[2], fa1 = p[3] (64-bit loads, so any bit
// pattern survives). Called by gort_morestack on its new stack.
	.type	gort_test_retregs_fill, %function
	.p2align 2
gort_test_retregs_fill:
	ld	a1, 8(a0)
	fld	fa0, 16(a0)
	fld	fa1, 24(a0)
	ld	a0, 0(a0)
	ret
	.size	gort_test_retregs_fill, .-gort_test_retregs_fill

// void gort_test_retregs(const uint64_t *p /* a0 */, uint64_t *out /* a1 */,
//                        uintptr_t sp /* a2 */)
// gort_morestack(p, fill, sp), then out[0..3] = a0, a1, fa0, fa1 as
// lessstack left them. Keeps out in s1. Smashes what morestack smashes.
	.globl	gort_test_retregs
	.type	gort_test_retregs, %function
	.p2align 2
gort_test_retregs:
	.cfi_startproc
	addi	sp, sp, -32
	.cfi_def_cfa_offset 32
	sd	ra, 24(sp)
	sd	s0, 16(sp)
	sd	s1, 8(sp)
	.cfi_offset ra, -8
	.cfi_offset s0, -16
	.cfi_offset s1, -24
	addi	s0, sp, 32
	mv	s1, a1
	lla	a1, gort_test_retregs_fill
	call	gort_morestack
	sd	a0, 0(s1)
	sd	a1, 8(s1)
	fsd	fa0, 16(s1)
	fsd	fa1, 24(s1)
	ld	ra, 24(sp)
	ld	s0, 16(sp)
	ld	s1, 8(sp)
	.cfi_restore ra
	.cfi_restore s0
	.cfi_restore s1
	addi	sp, sp, 32
	.cfi_def_cfa_offset 0
	ret
	.cfi_endproc
	.size	gort_test_retregs, .-gort_test_retregs

// uint32_t gort_test_fpenv_get(void): fcsr (frm << 5 | fflags).
	.globl	gort_test_fpenv_get
	.type	gort_test_fpenv_get, %function
	.p2align 2
gort_test_fpenv_get:
	frcsr	a0
	ret
	.size	gort_test_fpenv_get, .-gort_test_fpenv_get

// void gort_test_fpenv_set(uint32_t v /* a0 */): fcsr = v.
	.globl	gort_test_fpenv_set
	.type	gort_test_fpenv_set, %function
	.p2align 2
gort_test_fpenv_set:
	fscsr	a0
	ret
	.size	gort_test_fpenv_set, .-gort_test_fpenv_set

	.section .note.GNU-stack,"",%progbits
