// harness.hpp: drive the CPU port's primitives without a scheduler.
//
// The test thread is adopted as g0 (its own stack is the system stack). A
// Context is a G with its own stack whose function starts through
// gostartcall; run() enters it from g0 and returns when it finishes (its
// function returns into goexit, which hands the thread back to g0's base).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "runtime.hpp"

extern "C" {
// Slots are 64-bit; on 32-bit CPUs only the low word is loaded and stored.
// gort_test_regs: load in[0, NINT) into the callee-saved integer registers and
// in[NINT, NINT+NFP) into the callee-saved FP registers, call fn(arg), store
// those registers to out[0, NINT+NFP), out[NINT+NFP] = sp before the call,
// out[NINT+NFP+1] = sp after it. Restores the caller's registers.
void gort_test_regs(const std::uint64_t* in, std::uint64_t* out, void (*fn)(void*), void* arg);
// gort_test_clobber_gogo: load vals like gort_test_regs, then gogo(buf).
[[noreturn]] void gort_test_clobber_gogo(const std::uint64_t* vals, const Gobuf* buf);
// gort_test_probe: calls gort_test_probe_body(arg, sp at its own entry) with
// the stack aligned exactly as it was at its entry.
void gort_test_probe(void* arg);
void gort_test_probe_body(void* arg, std::uintptr_t entry_sp);
// gort_test_retregs: morestack(p, fill, sp) where fill loads p[0, NRET) into
// every return-value register; then stores those registers to out[0, NRET).
void gort_test_retregs(const std::uint64_t* p, std::uint64_t* out, std::uintptr_t sp);
// gort_test_fpenv_get/set: the FP control and status state a context keeps,
// packed into 32 bits as gort_arch.h describes at GORT_TEST_FPENV_A.
std::uint32_t gort_test_fpenv_get();
void gort_test_fpenv_set(std::uint32_t v);
}

namespace gort::test {

using rt::G;
using rt::Stack;

constexpr int kScale = GORT_TEST_SCALE;  // >1 under emulation
constexpr int kRegSlots = GORT_TEST_NINT + GORT_TEST_NFP;

#ifndef GORT_NO_FPENV
// The whole FP environment a context keeps. GORT_TEST_FPENV_A and _B
// (gort_arch.h) differ in every bit compared: flush-to-zero,
// denormals-are-zero and x87 precision on x86, default-NaN on ARM, the
// rounding mode, and the sticky flags where the port keeps them. Each case
// runs both ways round (A saved and B loaded meanwhile, then B and A), so a
// bit lost in either direction shows.
constexpr std::uint32_t kFpMask = GORT_TEST_FPENV_A ^ GORT_TEST_FPENV_B;
static_assert(kFpMask != 0, "GORT_TEST_FPENV_A and _B must differ");

struct FpPair {
  std::uint32_t mine, other;
};
constexpr FpPair kFpPairs[] = {{GORT_TEST_FPENV_A, GORT_TEST_FPENV_B},
                               {GORT_TEST_FPENV_B, GORT_TEST_FPENV_A}};

// Puts back the test thread's environment however the test ends.
struct FpEnvGuard {
  std::uint32_t saved = gort_test_fpenv_get();
  ~FpEnvGuard() { gort_test_fpenv_set(saved); }
};

inline std::string fp_bits(std::uint32_t got, std::uint32_t want) {
  char text[96];
  std::snprintf(text, sizeof text, "got %#010x, want %#010x: bits %#010x lost", got & kFpMask,
                want & kFpMask, (got ^ want) & kFpMask);
  return text;
}

#define EXPECT_FPENV(got, want, what) \
  EXPECT_EQ((got) & kFpMask, (want) & kFpMask) << what << ": " << fp_bits(got, want)
#else
// A CPU without an FP unit (soft-float) has no FP environment: gort_arch.h
// says why in GORT_NO_FPENV. Each FP-environment test is listed in its
// file's #else branch with this, and skipped with that reason (a new test
// gets a line there too).
#define GORT_FPENV_SKIPPED(suite, name) \
  TEST(suite, name) { GTEST_SKIP() << GORT_NO_FPENV; }
#endif  // GORT_NO_FPENV

// g0: the test thread's g0 (adopted on first use).
G* g0();

class Context {
 public:
  Context(void (*fn)(void*), void* arg, std::size_t stack_size = 64 * 1024);
  template <class F>
  explicit Context(F& f, std::size_t stack_size = 64 * 1024)
      : Context(&rt::detail::call_thunk<F>, &f, stack_size) {}
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  G* g() { return &g_; }
  const Stack& stack() const { return stack_; }

 private:
  // With a sanitizer that follows switches (core/race.hpp), fn starts
  // through entry(), which tells it first that the switch is done.
  static void entry(void* self);
  G g_;
  Stack stack_;
  void (*fn_)(void*) = nullptr;
  void* arg_ = nullptr;
};

// run(c): from g0, run c until it finishes (or anything resumes g0's base).
void run(Context& c);

// switch_to(from, to): save from, resume to; returns when from is resumed.
void switch_to(G* from, G* to);

// handoff_release/handoff_acquire: the hand-off that run() and switch_to
// tell TSan of (harness.cpp), for a test that switches by other means:
// release last thing before its switch, acquire first thing where the
// switched-to code resumes. Nothing without TSan.
void handoff_release();
void handoff_acquire();

// kFrameScale: how much larger than usual a frame may be in this build. ASan
// surrounds a frame's locals with redzones, TSan's calls on entry and exit
// keep more in the frame (deep<int>'s 100 frames overflowed a segment); tests that size a stack for a
// number of frames multiply by it.
constexpr std::size_t kFrameScale = rt::race::kAsan ? 4 : rt::race::kTsan ? 2 : 1;

// GORT_SKIP_RAW_SWITCH(): first statement of a test that switches stacks
// with the port's primitives alone, around the wrappers (rt::gogo, mcall,
// systemstack, morestack) that tell ASan and TSan of every switch
// (core/race.hpp): under those sanitizers it skips, saying so; every other
// build runs it.
#define GORT_SKIP_RAW_SWITCH()                                                                     \
  if (::gort::rt::race::kStackSwitch)                                                              \
  GTEST_SKIP() << "switches stacks with the port's primitives alone, which ASan and TSan cannot " \
                  "follow (core/race.hpp); the builds without them run it"

// random_slots(seed, n): n distinct nonzero values, varied in every byte.
std::vector<std::uint64_t> random_slots(std::uint64_t seed, int n);

// same_slot: equal as the CPU stored them (low word on 32-bit CPUs).
inline std::uint64_t slot_bits(std::uint64_t v) {
  return sizeof(void*) == 4 ? (v & 0xffffffffu) : v;
}

// kOut: gort_test_regs's out slots: the registers, then sp before and after.
constexpr int kOut = kRegSlots + 2;

// expect_survived(in, out, what): every callee-saved register came back as
// gort_test_regs loaded it from in, and sp is where it was.
void expect_survived(const std::vector<std::uint64_t>& in, const std::uint64_t* out, const char* what);

}  // namespace gort::test
