// port.hpp: the contract between gort's portable core and a CPU port.
//
// A porter can read this file alone (docs/PORTING.md walks through it). A CPU
// port is three files in arch/<cpu>/:
//
//   gort_arch.h          layout facts, shared by C++ and the assembler
//   asm_<cpu>.S          the primitives declared below
//   testhelp_<cpu>.S     test-only routines that let the conformance suite
//                        see registers (linked into tests/conformance only)
//
// CMake picks the folder from the target and puts it on the include path, so
// "gort_arch.h" below is the chosen CPU's header. core/ never names a CPU.
//
// What gort_arch.h defines, and where each fact is used or checked:
//
//   GORT_ARCH_NAME        "amd64", "arm", ...
//   GORT_PTRSIZE          4 or 8 (static_assert below)
//   GORT_STACK_ALIGN      sp alignment the ABI demands at a call instruction:
//                         16 on most, 8 on ARM (AAPCS) and s390x, never less
//                         than a pointer (static_assert below; the
//                         StackAlignment tests)
//   GORT_RA_ON_STACK      bytes a call pushes before the callee's first
//                         instruction: 8 on amd64, 4 on 386, 0 where a link
//                         register holds the return address. A correct port
//                         enters every function with
//                         (sp + GORT_RA_ON_STACK) % GORT_STACK_ALIGN == 0.
//   GORT_RED_ZONE         bytes below sp that the running function may use
//                         without moving sp (128 on amd64, 0 on most other
//                         ports; where the ABI reserves more from code that
//                         runs without a call, that: 512 on ELFv2 ppc64,
//                         whose functions use 288): nothing else may write
//                         there. Core code
//                         that writes below an interrupted sp (a call pushed
//                         onto a goroutine from a signal handler, a frame
//                         built below a stopped G's sp) ends every write at
//                         or below redzone_floor(sp), defined below; the
//                         kernel does the same for a signal frame.
//   GORT_MIN_FRAME        bytes a caller reserves above its sp for the
//                         callee to write (part of the caller's frame): 0
//                         on most; 32 on ELFv2 ppc64 (back chain, CR, LR and
//                         TOC save slots), 160 on s390x (back chain and
//                         register save area), 16 on MIPS o32 (argument home
//                         slots). gostartcall, mcall and morestack enter fn
//                         with sp GORT_MIN_FRAME below the top they are
//                         given, so that fn's writes to [sp +
//                         GORT_RA_ON_STACK, + GORT_MIN_FRAME) stay inside its
//                         stack (the MinFrame tests). A multiple of
//                         GORT_STACK_ALIGN (static_assert below), so that
//                         subtracting it keeps the alignment. Where the ABI
//                         keeps a back chain in that area's first word
//                         (ppc64, s390x), the frame each of them builds there
//                         chains as the ABI's own frames do: 0 (the end) for
//                         a new G and for mcall on g0, the caller's frame for
//                         morestack.
//   GOBUF_SP, GOBUF_PC, GOBUF_CTXT, GOBUF_REGS, and GOBUF_<REG> for every
//                         saved register: byte offsets into Gobuf, used by
//                         the assembly; checked below and in gort_arch.h
//   struct gort_arch::Regs  the callee-saved area of a Gobuf, as C++ sees it,
//                         with a static_assert per GOBUF_<REG> offset
//   gort_arch::fpctl_copy(Regs& to, const Regs& from)
//                         copies the FP control slot(s) only (whatever
//                         gosave stores there; nothing on a CPU without an
//                         FP environment). Core gives a new goroutine the
//                         state it was made with (run's caller's, a
//                         callback's caller's) with it: read by a gosave,
//                         kept across gostartcall at its first run
//                         (sched.hpp, fpctl_capture; the FpInheritance
//                         tests)
//   GORT_TEST_NINT, GORT_TEST_NFP, GORT_TEST_NRET: how many 64-bit slots the
//                         test helpers load: callee-saved integer registers,
//                         callee-saved FP registers, return-value registers
//
// Every primitive takes its inputs as arguments. The current G lives in a
// C++ thread-local that only the wrappers in runtime.hpp read and write, so no
// port depends on the platform's TLS model.
//
// Optional hooks. A port may leave these out; core then does without.
//
//   GORT_ARCH_TLS_G       defined when gort_arch.h offers inline access to
//                         the current G: gort_arch::tls_g_get() and
//                         gort_arch::tls_g_set(void*) read and write the
//                         initial-exec thread-local `gort_tls_g` (a C name,
//                         defined in core). Each access must compute the
//                         thread's address afresh (asm volatile through the
//                         thread-pointer register, as %fs on amd64): a
//                         goroutine resumes on another thread after a
//                         switch, and a compiler that saw a plain
//                         thread-local access may keep its address across
//                         one. Without the hook getg/setg are out-of-line
//                         calls (a few ns per switch). The Getg tests in
//                         tests/core/migration_test.cpp check it.
//
//   GORT_ARCH_SWAP        defined when asm_<cpu>.S provides
//                         gort_swap(save, to): gosave(save) then gogo(to)
//                         in one call, except that `to` is entered by a
//                         return that pairs with the call to gort_swap
//                         (its pc written just below its sp and returned
//                         to, or the link register loaded and returned
//                         through), where gogo jumps. save is resumed as a
//                         return from the call, like gosave's second return
//                         but with no value. The slot just below a saved
//                         sp is free to write: it held the return address
//                         of the call that saved the context, or lies
//                         below a new G's first frame. Why: a CPU predicts
//                         returns from the calls it saw, and after gosave
//                         then gogo its prediction is one call off, so the
//                         resumed goroutine's next returns all mispredict
//                         (measured on amd64: a solo P's direct switch
//                         through gosave and gogo was slower than the trip
//                         through g0 it replaced; through gort_swap,
//                         faster). A solo P's direct switches between
//                         goroutines (core/solo.cpp) need it and are off
//                         without it. The Swap tests in
//                         tests/conformance/swap_test.cpp check it.
//
// The entry-address register. Some ABIs have a register that holds a
// function's own address whenever it is entered, and position-independent
// code computes its global pointer from it: MIPS SVR4 abicalls ($t9, from
// which $gp is computed), ELFv2 ppc64 at a function's global entry point
// (r12, from which the TOC pointer r2 is computed). On such a CPU, gogo
// jumps to buf->pc through that register (a new G's fn is entered there; a
// resumed gosave or mcall caller ignores it), and mcall, morestack and
// systemstack call fn through it. The other CPUs have no such register
// and nothing to do. Where the global pointer is callee-saved (MIPS n64),
// it is a saved register like the others: gosave and mcall keep it, gogo
// restores it, and gostartcall gives the new G the value goexit needs (fn
// hands it back when it returns); where callers reload it after every call
// (MIPS o32), a context does not keep it, and a primitive that needs it
// computes its own.
//
// The primitives. Each is extern "C", written in asm_<cpu>.S, and each
// routine there opens with its C signature, the registers that carry its
// arguments and what it clobbers.
//
//   gosave(buf)    Save the caller's callee-saved registers, FP control
//                  state, sp and return pc in *buf, store 1 in buf->ctxt and
//                  return 0. A later gogo(buf) makes this call return again,
//                  with the value of buf->ctxt. Like setjmp: returns_twice.
//   gogo(buf)      Restore *buf: callee-saved registers, FP control state,
//                  sp, and (on link-register CPUs) lr; put buf->ctxt in the
//                  first argument register and the integer return register;
//                  jump to buf->pc as an indirect call enters a function
//                  (buf->pc is a new G's function, whose entry may expect
//                  its own address in a register: r12 at an ELFv2 global
//                  entry point, $t9 in MIPS PIC code). Never returns.
//                  Registers a module's code relies on without saving them
//                  across local calls (the ELFv2 TOC pointer r2, MIPS $gp
//                  where the ABI makes it callee-saved) are saved and
//                  restored like callee-saved ones: gogo may be called from
//                  code with another value. Every word of buf is read
//                  before sp moves, and sp moves last, just before the jump:
//                  buf may lie below the new sp (mexit resumes a copy of g0's
//                  base context kept in its own frame), where a signal
//                  handled on the current stack once sp has moved builds its
//                  frame.
//   mcall(save, g0sp, fn, gp)
//                  Save the caller into *save exactly as gosave does (save
//                  is gp's Gobuf), switch to g0's stack below g0sp (g0's
//                  base, aligned to GORT_STACK_ALIGN; GORT_MIN_FRAME lower)
//                  and call fn(gp) there, as an indirect call does (the
//                  entry register as for gogo; the caller's TOC or GP put
//                  back after the call, since fn may be in another module).
//                  fn must not return (it ends in
//                  gogo); if it does, mcall calls gort_mcall_returned(),
//                  which is fatal. Unwinders stop at mcall's frame on g0.
//   morestack(arg, fn, sp)
//                  Call fn(arg) on another stack whose top is sp (aligned
//                  to GORT_STACK_ALIGN; fn's frame starts GORT_MIN_FRAME
//                  lower), as an indirect call (see mcall); when fn
//                  returns, the
//                  return path ("lessstack") switches back to the caller's
//                  stack and returns, leaving every return-value register as
//                  fn left it (integer pair, FP and vector return registers,
//                  x87 st0). Unwind info lets a backtrace or a C++ exception
//                  cross from the new stack back to the caller's. Freeing the
//                  segment is the core's job, after morestack returns.
//   systemstack(arg, fn, sp)
//                  The same promise as morestack; the core passes g0's base
//                  sp and calls it only from a goroutine stack (runtime.hpp
//                  makes it a plain call on g0 and gsignal). A port may make
//                  both names one routine.
//   gostartcall(buf, fn, arg, stack_hi)
//                  Lay out a new G's first frame in *buf, GORT_MIN_FRAME
//                  below stack_hi, so that gogo(buf) enters fn(arg) with the
//                  ABI's entry alignment and a return from fn lands in
//                  goexit. The new G's FP control state is the caller's at
//                  this call (core then puts the one the G was made with
//                  in its place: fpctl_copy above); its frame pointer is
//                  zero. It writes to the stack only within that first
//                  frame's slots (the pushed return address, a back
//                  chain), never below them: the runtime calls it on the
//                  very stack it lays out, from a goroutine that has just
//                  ended there (proc.cpp, goexit_direct), whose live
//                  frames lie below.
//   goexit         Never called: gort_goexit_ra, a label one instruction
//                  into it, is the return address of a new G's first frame
//                  (an unwinder looks up ra-1, which must fall inside
//                  goexit). It calls gort_goexit1(), after putting back the
//                  port's own TOC or GP where the ABI has one (fn may return
//                  with another module's), and stops unwinders
//                  (DWARF: .cfi_undefined on the return-address column; ARM
//                  EHABI: .cantunwind).
//
// What no primitive saves or restores: the signal mask, errno, and any
// register not listed in gort_arch.h. Each asm file says so for its CPU.
#pragma once

#include <cstddef>
#include <cstdint>

#include "gort_arch.h"

namespace gort::rt {
struct G;
}

// Gobuf: a suspended context. sp, pc and ctxt are portable; regs is the
// CPU's callee-saved state, laid out by gort_arch.h.
struct Gobuf {
  std::uintptr_t sp;
  std::uintptr_t pc;
  std::uintptr_t ctxt;
  gort_arch::Regs regs;
};

static_assert(offsetof(Gobuf, sp) == GOBUF_SP, "GOBUF_SP");
static_assert(offsetof(Gobuf, pc) == GOBUF_PC, "GOBUF_PC");
static_assert(offsetof(Gobuf, ctxt) == GOBUF_CTXT, "GOBUF_CTXT");
static_assert(offsetof(Gobuf, regs) == GOBUF_REGS, "GOBUF_REGS");
static_assert(sizeof(void*) == GORT_PTRSIZE, "GORT_PTRSIZE");
// At least a pointer: 8 is right for s390x, whose ABI aligns frames to 8
// bytes only (and GCC keeps no more), as for ARM's AAPCS.
static_assert(GORT_STACK_ALIGN >= GORT_PTRSIZE, "GORT_STACK_ALIGN must hold a pointer");
static_assert((GORT_STACK_ALIGN & (GORT_STACK_ALIGN - 1)) == 0,
              "GORT_STACK_ALIGN must be a power of two");
static_assert(GORT_MIN_FRAME >= 0 && GORT_MIN_FRAME % GORT_STACK_ALIGN == 0,
              "GORT_MIN_FRAME must be a multiple of GORT_STACK_ALIGN");
static_assert(GORT_RED_ZONE >= 0 && GORT_RED_ZONE % GORT_PTRSIZE == 0, "GORT_RED_ZONE");

namespace gort::rt {
// redzone_floor(sp): the top of what anyone but the function running at sp
// may write below sp. A frame core pushes onto an interrupted or stopped
// goroutine's stack (a call injected from a signal handler, say) lies wholly
// below it, so that the function's red-zone data survives.
constexpr std::uintptr_t redzone_floor(std::uintptr_t sp) { return sp - GORT_RED_ZONE; }
}  // namespace gort::rt

extern "C" {
// See the table above. Names carry a gort_ prefix in the object files.
__attribute__((returns_twice)) std::uintptr_t gort_gosave(Gobuf* buf);
[[noreturn]] void gort_gogo(const Gobuf* buf);
// mcall's caller is resumed, as gosave's is, by a gogo that jumps to the
// instruction after the call. Where code marks indirect-branch targets
// (GORT_BRANCH_TARGETS, from gort_arch.h: -fcf-protection,
// -mbranch-protection), returns_twice makes compilers plant a landing pad
// there (endbr64, bti j), as they do after setjmp. Elsewhere mcall is an
// ordinary call to the compiler, which it is (it returns once, with the
// callee-saved registers and the frame as they were): GCC never inlines a
// function that calls a returns_twice function, and the scheduler's park
// path wants mcall inlined into its callers (each return after a switch is
// a mispredicted one: the return-address predictor holds the other stack's
// calls).
#if defined(GORT_BRANCH_TARGETS)
#define GORT_MCALL_ATTR __attribute__((returns_twice))
#else
#define GORT_MCALL_ATTR
#endif
GORT_MCALL_ATTR void gort_mcall(Gobuf* save, std::uintptr_t g0sp, void (*fn)(gort::rt::G*), gort::rt::G* gp);
void gort_systemstack(void* arg, void (*fn)(void*), std::uintptr_t sp);
// morestack returns whatever fn returned; runtime.hpp casts it to the right
// function type for scalar results.
void gort_morestack(void* arg, void (*fn)(void*), std::uintptr_t sp);
void gort_gostartcall(Gobuf* buf, void (*fn)(void*), void* arg,
                      std::uintptr_t stack_hi);
#if defined(GORT_ARCH_SWAP)
void gort_swap(Gobuf* save, const Gobuf* to);
#endif
void gort_goexit();
extern char gort_goexit_ra[];

// Called from assembly; defined in core. Hidden so that a direct call from a
// position-independent object needs no PLT register (i386).
[[noreturn]] __attribute__((visibility("hidden"))) void gort_goexit1();
[[noreturn]] __attribute__((visibility("hidden"))) void gort_mcall_returned();
}
