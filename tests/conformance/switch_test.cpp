// Promises: gogo/gosave switch between contexts reliably (10^6 ping-pongs
// with a checksum of the work on both sides); systemstack on g0 is a plain
// call and values come back; an mcall function that returns is fatal.
#include "harness.hpp"

namespace gort::test {
namespace {

std::uint64_t mix(std::uint64_t x, std::uint64_t i) { return (x ^ i) * 0x9e3779b97f4a7c15ull + 1; }
std::uint64_t twist(std::uint64_t x, std::uint64_t i) { return (x >> 7 | x << 57) + i * 3; }

TEST(Switch, MillionPingPongsKeepBothSidesWork) {
  constexpr std::uint64_t kN = 1000000;
  std::uint64_t shared = 1, a_steps = 0, b_steps = 0, a_local = 0, b_local = 0;
  Context* pa = nullptr;
  Context* pb = nullptr;
  auto a_fn = [&] {
    std::uint64_t local = 0;  // lives in A's frame across every switch
    for (std::uint64_t i = 0; i < kN; ++i) {
      shared = mix(shared, i);
      local += i;
      ++a_steps;
      switch_to(pa->g(), pb->g());
    }
    a_local = local;
  };
  auto b_fn = [&] {
    std::uint64_t local = 0;
    for (std::uint64_t i = 0; i < kN; ++i) {
      shared = twist(shared, i);
      local += 2 * i;
      ++b_steps;
      switch_to(pb->g(), pa->g());
    }
    b_local = local;
  };
  Context ca(a_fn), cb(b_fn);
  pa = &ca;
  pb = &cb;
  run(ca);  // A finishes first: its exit ends run()
  std::uint64_t expect = 1;
  for (std::uint64_t i = 0; i < kN; ++i) expect = twist(mix(expect, i), i);
  EXPECT_EQ(a_steps, kN);
  EXPECT_EQ(b_steps, kN);
  EXPECT_EQ(shared, expect) << "the two sides' work interleaved wrongly";
  EXPECT_EQ(a_local, kN * (kN - 1) / 2);
  EXPECT_EQ(b_local, 0u) << "B finished, but it should still be parked";
}

__attribute__((noinline)) std::uintptr_t frame_here() {
  return reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
}

TEST(Systemstack, OnG0IsAPlainCall) {
  G* z = g0();
  z->sched.sp = 0;  // no base context: a switch would be fatal, a call is not
  std::uintptr_t caller = frame_here();
  std::uintptr_t inside = 0;
  G* who = nullptr;
  long value = 0;
  rt::systemstack([&] {
    inside = frame_here();
    who = rt::getg();
    value = 42;
  });
  EXPECT_EQ(who, z);
  EXPECT_EQ(value, 42);
  std::uintptr_t d = caller > inside ? caller - inside : inside - caller;
  EXPECT_LT(d, 1024u) << "the function ran on another stack";
}

TEST(Systemstack, FromGoroutineRunsOnG0AndReturnsValues) {
  G* z = g0();
  G* who = nullptr;
  G* after = nullptr;
  std::uintptr_t inside = 0;
  double value = 0;
  auto fn = [&] {
    double base = 1.5;
    rt::systemstack([&] {
      // The frame, not a local's address: ASan may keep locals on a fake stack.
      inside = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
      who = rt::getg();
      value = base * 4;
    });
    after = rt::getg();
  };
  Context ctx(fn);
  run(ctx);
  EXPECT_EQ(who, z) << "systemstack function did not run as g0";
  EXPECT_EQ(after, ctx.g()) << "the goroutine is not current again afterwards";
  EXPECT_EQ(value, 6.0);
  EXPECT_GE(inside, z->stack_lo);
  EXPECT_LT(inside, z->stack_hi) << "systemstack function not on g0's stack";
}

TEST(Mcall, FunctionRunsOnG0WithItsG) {
  static G* got;
  static std::uintptr_t inside;
  got = nullptr;
  G* z = g0();
  auto fn = [] {
    rt::mcall([](G* gp) {
      // The frame, not a local's address: ASan may keep locals on a fake stack.
      inside = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
      got = gp;
      rt::gogo(gp);
    });
  };
  Context ctx(fn);
  run(ctx);
  EXPECT_EQ(got, ctx.g());
  EXPECT_GE(inside, z->stack_lo);
  EXPECT_LT(inside, z->stack_hi);
}

TEST(McallDeathTest, FunctionThatReturnsIsFatal) {
  EXPECT_EXIT(
      {
        auto fn = [] { rt::mcall([](G*) {}); };
        Context ctx(fn);
        run(ctx);
      },
      ::testing::ExitedWithCode(2), "fatal: mcall: function returned");
}

TEST(McallDeathTest, OnSystemStackIsFatal) {
  EXPECT_EXIT(
      {
        g0();
        rt::mcall([](G* gp) { rt::gogo(gp); });
      },
      ::testing::ExitedWithCode(2), "fatal: mcall called on the system stack");
}

}  // namespace
}  // namespace gort::test
