// Promise: every callee-saved integer and FP register of the psABI (the
// port's Gobuf, core/port.hpp)
// keeps its value across each primitive, and so does the FP environment:
// the rounding mode, and every other control and status bit the port
// keeps (gort_arch.h: GORT_TEST_FPENV_A; a port without an FP unit
// defines GORT_NO_FPENV instead, and the FpControl tests skip).
// gort_test_regs loads random values, runs an operation that switches away
// (and, on the other side, deliberately loads different values), and reads
// the registers back.
#include <cfenv>
#include <cstdio>
#include <string>

#include "harness.hpp"

namespace gort::test {
namespace {

// The other side's values: different from in in every slot.
std::vector<std::uint64_t> garbage() { return random_slots(0xbad5eed, kRegSlots); }

struct Case {
  std::vector<std::uint64_t> in = random_slots(12345, kRegSlots);
  std::uint64_t out[kOut] = {};
};

TEST(CalleeSavedRegisters, SurviveGosaveGogoOnOneStack) {
  Case c;
  auto body = [] {
    Gobuf b;
    if (gort_gosave(&b) == 0) {
      static std::vector<std::uint64_t> v;  // static: this frame never returns
      v = garbage();
      gort_test_clobber_gogo(v.data(), &b);
    }
  };
  auto ctx_fn = [&] { gort_test_regs(c.in.data(), c.out, &rt::detail::call_thunk<decltype(body)>, &body); };
  Context ctx(ctx_fn);
  run(ctx);
  expect_survived(c.in, c.out, "gosave/gogo");
}

TEST(CalleeSavedRegisters, SurviveSwitchToAnotherContextAndBack) {
  Case a, b;
  b.in = garbage();
  Context* pa = nullptr;
  Context* pb = nullptr;
  auto a_op = [&] { switch_to(pa->g(), pb->g()); };
  auto b_op = [&] { switch_to(pb->g(), pa->g()); };
  auto a_fn = [&] {
    gort_test_regs(a.in.data(), a.out, &rt::detail::call_thunk<decltype(a_op)>, &a_op);
    switch_to(pa->g(), pb->g());  // let b finish; b's exit ends run()
  };
  auto b_fn = [&] {
    gort_test_regs(b.in.data(), b.out, &rt::detail::call_thunk<decltype(b_op)>, &b_op);
  };
  Context ca(a_fn), cb(b_fn);
  pa = &ca;
  pb = &cb;
  run(ca);
  expect_survived(a.in, a.out, "switch A->B->A");
  expect_survived(b.in, b.out, "switch B->A->B");
}

TEST(CalleeSavedRegisters, SurviveMcall) {
  Case c;
  static G* seen;
  seen = nullptr;
  auto op = [] {
    rt::mcall([](G* gp) {
      seen = gp;
      if (rt::getg() != rt::getg()->m->g0) rt::fatal("mcall fn not running as g0");
      static std::vector<std::uint64_t> v;  // static: this frame never returns
      v = garbage();
      const std::uint64_t* vals = v.data();  // read before the switch: after it, TSan counts it gp's
      // What rt::gogo tells a sanitizer before it switches (core/race.hpp).
      rt::race::switch_begin(rt::getg()->race, false, gp->race, gp->stack_lo, gp->stack_hi);
      rt::setg(gp);
      gort_test_clobber_gogo(vals, &gp->sched);
    });
  };
  auto fn = [&] { gort_test_regs(c.in.data(), c.out, &rt::detail::call_thunk<decltype(op)>, &op); };
  Context ctx(fn);
  run(ctx);
  EXPECT_EQ(seen, ctx.g()) << "mcall passed the wrong G to fn";
  expect_survived(c.in, c.out, "mcall");
}

TEST(CalleeSavedRegisters, SurviveSystemstack) {
  Case c;
  auto op = [] {
    rt::systemstack([] {
      static std::vector<std::uint64_t> v;  // static: this frame never returns
      v = garbage();
      std::uint64_t tmp[kOut];
      gort_test_regs(v.data(), tmp, [](void*) {}, nullptr);
    });
  };
  auto fn = [&] { gort_test_regs(c.in.data(), c.out, &rt::detail::call_thunk<decltype(op)>, &op); };
  Context ctx(fn);
  run(ctx);
  expect_survived(c.in, c.out, "systemstack");
}

TEST(CalleeSavedRegisters, SurviveMorestackLessstack) {
  Case c;
  auto op = [] {
    int r = rt::morestack([] {
      static std::vector<std::uint64_t> v;  // static: this frame never returns
      v = garbage();
      std::uint64_t tmp[kOut];
      gort_test_regs(v.data(), tmp, [](void*) {}, nullptr);
      return 7;
    });
    if (r != 7) rt::fatal("morestack lost its result");
  };
  auto fn = [&] { gort_test_regs(c.in.data(), c.out, &rt::detail::call_thunk<decltype(op)>, &op); };
  Context ctx(fn);
  run(ctx);
  expect_survived(c.in, c.out, "morestack/lessstack");
}

#ifndef GORT_NO_FPENV
// Rounding through volatile operands, so that nothing is folded at compile
// time: 1/3 rounds differently upward and downward.
double third() {
  volatile double one = 1.0, three = 3.0;
  return one / three;
}

struct RoundingGuard {
  ~RoundingGuard() { std::fesetround(FE_TONEAREST); }
};

TEST(FpControl, RoundingModeSurvivesSwitch) {
  RoundingGuard guard;
  int a_mode = -1, b_mode = -1;
  double a_third = 0, b_third = 0;
  Context* pa = nullptr;
  Context* pb = nullptr;
  auto a_fn = [&] {
    std::fesetround(FE_UPWARD);
    switch_to(pa->g(), pb->g());
    a_mode = std::fegetround();
    a_third = third();
    switch_to(pa->g(), pb->g());
  };
  auto b_fn = [&] {
    std::fesetround(FE_DOWNWARD);
    switch_to(pb->g(), pa->g());
    b_mode = std::fegetround();
    b_third = third();
  };
  Context ca(a_fn), cb(b_fn);
  pa = &ca;
  pb = &cb;
  run(ca);
  std::fesetround(FE_TONEAREST);
  EXPECT_EQ(a_mode, FE_UPWARD);
  EXPECT_EQ(b_mode, FE_DOWNWARD);
  EXPECT_GT(a_third, b_third) << "1/3 rounded the same way in both contexts";
}

TEST(FpControl, RoundingModeSurvivesMcall) {
  RoundingGuard guard;
  int mode = -1;
  auto fn = [&] {
    std::fesetround(FE_TOWARDZERO);
    rt::mcall([](G* gp) {
      std::fesetround(FE_UPWARD);  // g0 changes its own mode
      rt::gogo(gp);
    });
    mode = std::fegetround();
  };
  Context ctx(fn);
  run(ctx);
  std::fesetround(FE_TONEAREST);
  EXPECT_EQ(mode, FE_TOWARDZERO);
}

TEST(FpControl, NewContextStartsWithCreatorsMode) {
  RoundingGuard guard;
  int mode = -1;
  auto fn = [&] { mode = std::fegetround(); };
  std::fesetround(FE_DOWNWARD);
  Context ctx(fn);
  std::fesetround(FE_TONEAREST);
  run(ctx);
  EXPECT_EQ(mode, FE_DOWNWARD);
}

// The whole FP environment a context keeps (harness.hpp: kFpPairs,
// FpEnvGuard, EXPECT_FPENV).

TEST(FpControl, TestValuesAreKeptByTheCpu) {
  FpEnvGuard guard;
  for (FpPair p : kFpPairs) {
    gort_test_fpenv_set(p.mine);
    std::uint32_t got = gort_test_fpenv_get();
    gort_test_fpenv_set(guard.saved);
    EXPECT_FPENV(got, p.mine, "the CPU (or emulator) drops bits of GORT_TEST_FPENV_A/B");
  }
}

TEST(FpControl, WholeEnvironmentSurvivesGosaveGogo) {
  FpEnvGuard guard;
  for (FpPair p : kFpPairs) {
    static std::uint32_t other, got;
    other = p.other;
    Gobuf b;
    gort_test_fpenv_set(p.mine);
    if (gort_gosave(&b) == 0) {
      gort_test_fpenv_set(other);
      gort_gogo(&b);
    }
    got = gort_test_fpenv_get();
    gort_test_fpenv_set(guard.saved);
    EXPECT_FPENV(got, p.mine, "gosave/gogo");
  }
}

TEST(FpControl, WholeEnvironmentSurvivesSwitch) {
  FpEnvGuard guard;
  for (FpPair p : kFpPairs) {
    std::uint32_t a_got = 0, b_got = 0;
    Context* pa = nullptr;
    Context* pb = nullptr;
    auto a_fn = [&] {
      gort_test_fpenv_set(p.mine);
      switch_to(pa->g(), pb->g());
      a_got = gort_test_fpenv_get();
      switch_to(pa->g(), pb->g());
    };
    auto b_fn = [&] {
      gort_test_fpenv_set(p.other);
      switch_to(pb->g(), pa->g());
      b_got = gort_test_fpenv_get();
    };
    Context ca(a_fn), cb(b_fn);
    pa = &ca;
    pb = &cb;
    run(ca);
    gort_test_fpenv_set(guard.saved);
    EXPECT_FPENV(a_got, p.mine, "switch A->B->A");
    EXPECT_FPENV(b_got, p.other, "switch B->A->B");
  }
}

TEST(FpControl, WholeEnvironmentSurvivesMcall) {
  FpEnvGuard guard;
  for (FpPair p : kFpPairs) {
    static std::uint32_t other;
    other = p.other;
    std::uint32_t got = 0;
    auto fn = [&] {
      gort_test_fpenv_set(p.mine);
      rt::mcall([](G* gp) {
        gort_test_fpenv_set(other);  // g0 changes its own environment
        rt::gogo(gp);
      });
      got = gort_test_fpenv_get();
    };
    Context ctx(fn);
    run(ctx);
    gort_test_fpenv_set(guard.saved);
    EXPECT_FPENV(got, p.mine, "mcall");
  }
}

TEST(FpControl, NewContextStartsWithCreatorsEnvironment) {
  FpEnvGuard guard;
  for (FpPair p : kFpPairs) {
    std::uint32_t got = 0;
    auto fn = [&] { got = gort_test_fpenv_get(); };
    gort_test_fpenv_set(p.mine);
    Context ctx(fn);
    gort_test_fpenv_set(p.other);
    run(ctx);
    gort_test_fpenv_set(guard.saved);
    EXPECT_FPENV(got, p.mine, "gostartcall");
  }
}

#else   // GORT_NO_FPENV: each FpControl test above, skipped (harness.hpp)
GORT_FPENV_SKIPPED(FpControl, RoundingModeSurvivesSwitch)
GORT_FPENV_SKIPPED(FpControl, RoundingModeSurvivesMcall)
GORT_FPENV_SKIPPED(FpControl, NewContextStartsWithCreatorsMode)
GORT_FPENV_SKIPPED(FpControl, TestValuesAreKeptByTheCpu)
GORT_FPENV_SKIPPED(FpControl, WholeEnvironmentSurvivesGosaveGogo)
GORT_FPENV_SKIPPED(FpControl, WholeEnvironmentSurvivesSwitch)
GORT_FPENV_SKIPPED(FpControl, WholeEnvironmentSurvivesMcall)
GORT_FPENV_SKIPPED(FpControl, NewContextStartsWithCreatorsEnvironment)
#endif  // GORT_NO_FPENV

}  // namespace
}  // namespace gort::test
