// branch_protection.cpp: the CPU port under control-flow protection.
//
// Promise: built with -fcf-protection=full (amd64) or
// -mbranch-protection=standard (arm64), the port's assembly carries the
// GNU property note (IBT, never SHSTK; BTI, not PAC), starts every entry
// with a landing pad, and gogo, mcall, morestack and goexit still work when
// every indirect branch is checked.
//
// This program is the port's assembly and this file alone: no libc, no
// C++ runtime, its own _start, so that every object in it carries the note
// and the linked program keeps it (Debian's libc objects carry none, and
// one unmarked object drops the property from the whole program). Under
// qemu-aarch64, which maps a BTI program's text guarded, a branch that
// misses a landing pad raises SIGILL: running this proves the landing pads
// and gogo's branch register. No Linux enforces IBT in user space, so on
// amd64 the program checks that each primitive starts with endbr64, and the
// ctest reads the note with readelf on both (check_property_note.cmake).
//
// Exit status: 0 when every step ran in order, else the number of the
// check that failed.
#include "port.hpp"

#if defined(__x86_64__)
asm(R"(
	.globl	_start
	.type	_start, @function
_start:
	endbr64
	xorl	%ebp, %ebp
	andq	$-16, %rsp
	call	gort_bp_main
	movl	%eax, %edi
	movl	$231, %eax		# exit_group
	syscall
	hlt
)");
#elif defined(__aarch64__)
asm(R"(
	.globl	_start
	.type	_start, %function
_start:
	hint	34			// bti c
	mov	x29, xzr
	mov	x30, xzr
	bl	gort_bp_main
	mov	x8, #94			// exit_group
	svc	#0
	brk	#0
)");
#else
#error "branch_protection.cpp: amd64 and arm64 only"
#endif

// The compiler may emit calls to these even in a freestanding program.
extern "C" {
__attribute__((used, optimize("no-tree-loop-distribute-patterns"))) void* memset(void* d, int c,
                                                                                 std::size_t n) {
  auto* p = static_cast<unsigned char*>(d);
  while (n--) *p++ = static_cast<unsigned char>(c);
  return d;
}
__attribute__((used, optimize("no-tree-loop-distribute-patterns"))) void* memcpy(
    void* d, const void* s, std::size_t n) {
  auto* p = static_cast<unsigned char*>(d);
  auto* q = static_cast<const unsigned char*>(s);
  while (n--) *p++ = *q++;
  return d;
}
}

namespace {

Gobuf main_ctx, g_ctx;
alignas(16) unsigned char g_stack[64 * 1024];
alignas(16) unsigned char g0_stack[64 * 1024];
alignas(16) unsigned char segment[64 * 1024];
int cookie;
int step;       // how far the new G got, in order
int failed;     // the first check that failed
bool finished;  // goexit reached

template <std::size_t N>
std::uintptr_t top(unsigned char (&s)[N]) {
  return reinterpret_cast<std::uintptr_t>(s + N);
}

void check(bool ok, int code) {
  if (!ok && failed == 0) failed = code;
}

// An indirect call, which the hardware checks (a direct call is not). Not
// for gosave and mcall: a call through a pointer drops returns_twice, and
// with it the landing pad the compiler puts after the call.
template <class F>
F* indirect(F* f) {
  F* volatile p = f;
  return p;
}

void on_segment(void* arg) { ++*static_cast<int*>(arg); }

void on_g0(gort::rt::G* gp) {
  check(gp == reinterpret_cast<gort::rt::G*>(&cookie), 3);
  check(++step == 3, 4);
  indirect(&gort_gogo)(&g_ctx);  // back after the mcall: a "bti j" / endbr64
}

// Entered by gogo's branch: a new G's function (bti c, paciasp or endbr64).
void g_main(void* arg) {
  check(arg == &cookie, 1);
  check(++step == 1, 2);
  if (gort_gosave(&g_ctx) == 0) indirect(&gort_gogo)(&main_ctx);  // park
  check(++step == 2, 5);
  gort_mcall(&g_ctx, top(g0_stack), &on_g0, reinterpret_cast<gort::rt::G*>(&cookie));
  check(++step == 4, 6);
  int n = 0;
  indirect(&gort_morestack)(&n, &on_segment, top(segment));
  indirect(&gort_systemstack)(&n, &on_segment, top(segment));
  check(n == 2, 7);
  check(++step == 5, 8);
}  // returns into gort_goexit_ra

bool starts_with_landing_pad(const void* fn) {
#if defined(__CET__) && (__CET__ & 1)
  const auto* p = static_cast<const unsigned char*>(fn);
  return p[0] == 0xf3 && p[1] == 0x0f && p[2] == 0x1e && p[3] == 0xfa;  // endbr64
#elif defined(__ARM_FEATURE_BTI_DEFAULT) && __ARM_FEATURE_BTI_DEFAULT
  return *static_cast<const std::uint32_t*>(fn) == 0xd503245fu;  // bti c
#else
  (void)fn;
  return true;
#endif
}

}  // namespace

extern "C" void gort_goexit1() {
  finished = true;
  gort_gogo(&main_ctx);
}

extern "C" void gort_mcall_returned() {
  check(false, 9);
  gort_gogo(&main_ctx);
}

extern "C" int gort_bp_main() {
  const void* entries[] = {
      reinterpret_cast<const void*>(&gort_gosave),      reinterpret_cast<const void*>(&gort_gogo),
      reinterpret_cast<const void*>(&gort_mcall),       reinterpret_cast<const void*>(&gort_morestack),
      reinterpret_cast<const void*>(&gort_gostartcall),
  };
  for (const void* e : entries) check(starts_with_landing_pad(e), 10);
  indirect(&gort_gostartcall)(&g_ctx, &g_main, &cookie, top(g_stack));
  // Run the G until it parks, then resume it until it finishes. Each gosave
  // returns a second time through gogo's branch, onto the landing pad the
  // compiler put after the call.
  if (gort_gosave(&main_ctx) == 0) indirect(&gort_gogo)(&g_ctx);
  check(step == 1 && !finished, 13);
  if (!finished && gort_gosave(&main_ctx) == 0) indirect(&gort_gogo)(&g_ctx);
  check(finished, 11);
  check(step == 5, 12);
  return failed;
}
