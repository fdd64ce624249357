// Promise: a new G, an mcall function, a systemstack function and a new
// morestack segment are all entered with the ABI's stack alignment. The
// probe (testhelp_<cpu>.S) reports sp at its own entry and runs the body at
// the same alignment, where snprintf formats doubles (misaligned SSE or VFP
// spills crash or print garbage there).
//
// Promise: each of them may write the area its caller reserves for it,
// [sp + GORT_RA_ON_STACK, + GORT_MIN_FRAME) at entry, and that area lies
// inside the stack the primitive was given: nothing above the top changes.
#include <cstdio>
#include <cstring>

#include "harness.hpp"

namespace gort::test {
namespace {

enum class Mode { plain, mcall };
Mode g_mode;
bool g_write_min_frame;  // the body fills its caller-reserved area
// The bytes above a MinFrameStack's top, and how many of them the body's
// fill changed.
constexpr std::size_t kCanaryBytes = 256;
constexpr unsigned char kCanary = 0xc3;
const volatile unsigned char* g_canary;
std::size_t g_clobbered_above;
std::uintptr_t g_entry_sp;
char g_text[64];

bool aligned(std::uintptr_t entry_sp) {
  return (entry_sp + GORT_RA_ON_STACK) % GORT_STACK_ALIGN == 0;
}

}  // namespace
}  // namespace gort::test

extern "C" void gort_test_probe_body(void* arg, std::uintptr_t entry_sp) {
  using namespace gort::test;
  g_entry_sp = entry_sp;
  if (g_write_min_frame) {
    // The area may already hold what this function's own prologue stored
    // there (a callee saves into its caller's frame: lr at +16 on ppc64,
    // r6-r15 from +48 on s390x, a0-a3 on MIPS o32), so it is put back
    // before returning; the writes that reached above the stack's top are
    // counted before that.
    auto* area = reinterpret_cast<volatile unsigned char*>(entry_sp + GORT_RA_ON_STACK);
    unsigned char saved[GORT_MIN_FRAME + 1];
    for (int i = 0; i < GORT_MIN_FRAME; ++i) saved[i] = area[i];
    for (int i = 0; i < GORT_MIN_FRAME; ++i) area[i] = 0x5a;
    g_clobbered_above = 0;
    for (std::size_t i = 0; i < kCanaryBytes; ++i) g_clobbered_above += g_canary[i] != kCanary;
    for (int i = 0; i < GORT_MIN_FRAME; ++i) area[i] = saved[i];
  }
  volatile double x = 3.25, y = -0.125;
  std::snprintf(g_text, sizeof g_text, "%.3f %g %e", x, y, x * y);
  if (g_mode == Mode::mcall) gort::rt::gogo(static_cast<gort::rt::G*>(arg));
}

namespace gort::test {
namespace {

constexpr const char* kExpected = "3.250 -0.125 -4.062500e-01";

void reset(Mode m) {
  g_mode = m;
  g_write_min_frame = false;
  g_entry_sp = 0;
  std::memset(g_text, 0, sizeof g_text);
}

void expect_aligned(const char* where) {
  ASSERT_NE(g_entry_sp, 0u) << where << ": probe did not run";
  EXPECT_TRUE(aligned(g_entry_sp))
      << where << ": sp at entry " << std::hex << g_entry_sp << " + " << GORT_RA_ON_STACK
      << " is not a multiple of " << std::dec << GORT_STACK_ALIGN;
  EXPECT_STREQ(g_text, kExpected) << where << ": snprintf with doubles";
}

TEST(StackAlignment, AbiValueIsDeclared) {
  // 8 on ARM (AAPCS), 16 on the other seed and kit CPUs.
  EXPECT_TRUE(GORT_STACK_ALIGN == 8 || GORT_STACK_ALIGN == 16);
  EXPECT_EQ(GORT_STACK_ALIGN % sizeof(void*), 0u);
}

// Start a G whose stack top is skew bytes below a fresh stack's end.
void probe_new_g(std::size_t skew) {
  reset(Mode::plain);
  G g;
  g.m = g0()->m;
  Stack s;
  rt::systemstack([&] { s = rt::stackalloc(32 * 1024); });
  g.stack_lo = s.lo;
  g.stack_hi = s.hi - skew;
  gort_gostartcall(&g.sched, &gort_test_probe, nullptr, g.stack_hi);
  G* z = g0();
  if (gort_gosave(&z->sched) == 0) rt::gogo(&g);
  z->sched = Gobuf{};
  rt::systemstack([&] { rt::stackfree(s); });
  expect_aligned("new G");
  EXPECT_LE(g_entry_sp, g.stack_hi) << "first frame above the stack top";
  EXPECT_GE(g_entry_sp, g.stack_hi - 64 - GORT_MIN_FRAME) << "first frame wastes stack";
}

TEST(StackAlignment, AtEntryOfNewG) {
  GORT_SKIP_RAW_SWITCH();
  for (std::size_t skew = 0; skew < 64; skew += 4) probe_new_g(skew);  // unaligned tops too
}

TEST(StackAlignment, AtEntryOfMcallFunction) {
  reset(Mode::mcall);
  auto fn = [] { rt::mcall(reinterpret_cast<void (*)(G*)>(&gort_test_probe)); };
  Context ctx(fn);
  run(ctx);
  expect_aligned("mcall function");
  EXPECT_GE(g_entry_sp, g0()->stack_lo);
  EXPECT_LT(g_entry_sp, g0()->stack_hi) << "mcall function not on g0's stack";
}

TEST(StackAlignment, AtEntryOfSystemstackFunction) {
  reset(Mode::plain);
  auto fn = [] {
    G* gp = rt::getg();
    G* z = gp->m->g0;
    rt::setg(z);
    gort_systemstack(nullptr, &gort_test_probe, z->sched.sp);
    rt::setg(gp);
  };
  // Call through the primitive itself and through the C++ wrapper.
  Context ctx(fn);
  run(ctx);
  expect_aligned("systemstack function (primitive)");
  reset(Mode::plain);
  auto fn2 = [] { rt::systemstack([] { gort_test_probe(nullptr); }); };
  Context ctx2(fn2);
  run(ctx2);
  expect_aligned("systemstack function (wrapper)");
  EXPECT_GE(g_entry_sp, g0()->stack_lo);
  EXPECT_LT(g_entry_sp, g0()->stack_hi);
}

TEST(StackAlignment, OnNewSegment) {
  reset(Mode::plain);
  Stack s;
  rt::systemstack([&] { s = rt::stackalloc(16 * 1024); });
  gort_morestack(nullptr, &gort_test_probe, s.hi & ~std::uintptr_t(GORT_STACK_ALIGN - 1));
  expect_aligned("new segment (primitive)");
  EXPECT_LE(g_entry_sp, s.hi);
  EXPECT_GE(g_entry_sp, s.lo);
  rt::systemstack([&] { rt::stackfree(s); });
  reset(Mode::plain);
  std::uintptr_t lo = 0, hi = 0;
  auto fn = [&] {
    rt::morestack([&] {
      lo = rt::getg()->stack_lo;
      hi = rt::getg()->stack_hi;
      gort_test_probe(nullptr);
    });
  };
  Context ctx(fn);
  run(ctx);
  expect_aligned("new segment (wrapper)");
  EXPECT_GE(g_entry_sp, lo);
  EXPECT_LE(g_entry_sp, hi);
}

// The caller-reserved area: a stack whose top lies kAbove bytes below the
// end of its memory; those bytes hold a pattern that must survive.
class MinFrameStack {
 public:
  static constexpr std::size_t kAbove = kCanaryBytes;
  MinFrameStack() {
    rt::systemstack([&] { s_ = rt::stackalloc(32 * 1024); });
    std::memset(reinterpret_cast<void*>(top()), kCanary, kAbove);
    g_canary = reinterpret_cast<const unsigned char*>(top());
    g_clobbered_above = 0;
  }
  ~MinFrameStack() {
    Stack s = s_;
    rt::systemstack([s] { rt::stackfree(s); });
  }
  std::uintptr_t top() const { return s_.hi - kAbove; }
  void expect_area_inside(const char* where) const {
    ASSERT_NE(g_entry_sp, 0u) << where << ": probe did not run";
    EXPECT_LE(g_entry_sp + GORT_RA_ON_STACK + GORT_MIN_FRAME, top())
        << where << ": the " << GORT_MIN_FRAME
        << "-byte area the callee may write reaches above the stack's top";
    const auto* p = reinterpret_cast<const unsigned char*>(top());
    std::size_t bad = 0;
    for (std::size_t i = 0; i < kAbove; ++i) bad += p[i] != kCanary;
    EXPECT_EQ(bad, 0u) << where << ": bytes above the stack's top were written";
    EXPECT_EQ(g_clobbered_above, 0u)
        << where << ": the callee's writes to its caller's area reached above the stack's top";
  }

 private:
  Stack s_;
};

TEST(MinFrame, NewGMayWriteItsCallersArea) {
  GORT_SKIP_RAW_SWITCH();
  MinFrameStack st;
  reset(Mode::plain);
  g_write_min_frame = true;
  G g;
  g.m = g0()->m;
  g.stack_lo = st.top() - 16 * 1024;
  g.stack_hi = st.top();
  gort_gostartcall(&g.sched, &gort_test_probe, nullptr, st.top());
  G* z = g0();
  if (gort_gosave(&z->sched) == 0) rt::gogo(&g);
  z->sched = Gobuf{};
  st.expect_area_inside("new G");
  EXPECT_STREQ(g_text, kExpected);
}

TEST(MinFrame, McallFunctionMayWriteItsCallersArea) {
  static MinFrameStack* st;
  MinFrameStack stack;
  st = &stack;
  reset(Mode::mcall);
  g_write_min_frame = true;
  auto fn = [] {
    G* gp = rt::getg();
    // The primitive itself, with a g0sp of our choosing.
    gort_mcall(&gp->sched, st->top(), reinterpret_cast<void (*)(G*)>(&gort_test_probe), gp);
  };
  Context ctx(fn);
  run(ctx);
  st->expect_area_inside("mcall function");
  EXPECT_STREQ(g_text, kExpected);
}

TEST(MinFrame, MorestackAndSystemstackFunctionsMayWriteTheirCallersArea) {
  struct {
    void (*fn)(void*, void (*)(void*), std::uintptr_t);
    const char* name;
  } const prims[] = {{&gort_morestack, "morestack"}, {&gort_systemstack, "systemstack"}};
  for (auto prim : prims) {
    MinFrameStack st;
    reset(Mode::plain);
    g_write_min_frame = true;
    prim.fn(nullptr, &gort_test_probe, st.top());
    st.expect_area_inside(prim.name);
    EXPECT_STREQ(g_text, kExpected);
  }
}

}  // namespace
}  // namespace gort::test
