// Promise (optional hook GORT_ARCH_SWAP, core/port.hpp): gort_swap(save,
// to) is gosave(save) then gogo(to) in one call. Every callee-saved
// register and the FP environment survive it; it resumes a context saved by
// gosave (which then returns buf->ctxt), by mcall, or by gort_swap, and
// enters a new context (gostartcall) with the ABI's alignment; a context it
// saved is resumed by gogo as well as by another gort_swap. The entry by a
// return (where gogo jumps) writes only the free slot just below the
// resumed sp: everything a resumed frame holds at and above its sp is kept.
// A port without the hook runs none of this (one test says so).
#include <cstdio>

#include "harness.hpp"

namespace gort::test {
namespace {

#if defined(GORT_ARCH_SWAP)

// swap_to(from, to): the harness's switch_to through gort_swap, with what
// rt::gogo tells a sanitizer (core/race.hpp) and the harness's hand-off edge
// (the one run() and Context's entry use too), released after this side's
// last access to the contexts: the context switched to may be over and its
// memory reused before this one runs again.
void swap_to(G* from, G* to) {
  rt::setg(to);
  std::uintptr_t lo = to->stack_lo, hi = to->stack_hi;
  handoff_release();
  rt::race::switch_begin(from->race, false, to->race, lo, hi);
  gort_swap(&from->sched, &to->sched);
  rt::race::switch_end(from->race);
  handoff_acquire();
}

TEST(Swap, CalleeSavedRegistersSurviveSwapToAnotherContextAndBack) {
  std::vector<std::uint64_t> a_in = random_slots(12345, kRegSlots), b_in = random_slots(0xbad5eed, kRegSlots);
  std::uint64_t a_out[kOut] = {}, b_out[kOut] = {};
  Context* pa = nullptr;
  Context* pb = nullptr;
  auto a_op = [&] { swap_to(pa->g(), pb->g()); };
  auto b_op = [&] { swap_to(pb->g(), pa->g()); };
  auto a_fn = [&] {
    gort_test_regs(a_in.data(), a_out, &rt::detail::call_thunk<decltype(a_op)>, &a_op);
    swap_to(pa->g(), pb->g());  // let b finish; b's exit ends run()
  };
  auto b_fn = [&] { gort_test_regs(b_in.data(), b_out, &rt::detail::call_thunk<decltype(b_op)>, &b_op); };
  Context ca(a_fn), cb(b_fn);
  pa = &ca;
  pb = &cb;
  run(ca);
  expect_survived(a_in, a_out, "swap A->B->A");
  expect_survived(b_in, b_out, "swap B->A->B");
}

#if !defined(GORT_NO_FPENV)
TEST(Swap, FpEnvironmentSurvivesSwap) {
  constexpr std::uint32_t kMask = GORT_TEST_FPENV_A ^ GORT_TEST_FPENV_B;
  std::uint32_t saved = gort_test_fpenv_get();
  for (int k = 0; k < 2; ++k) {
    std::uint32_t mine = k ? GORT_TEST_FPENV_B : GORT_TEST_FPENV_A;
    std::uint32_t other = k ? GORT_TEST_FPENV_A : GORT_TEST_FPENV_B;
    std::uint32_t a_got = 0, b_got = 0;
    Context* pa = nullptr;
    Context* pb = nullptr;
    auto a_fn = [&] {
      gort_test_fpenv_set(mine);
      swap_to(pa->g(), pb->g());
      a_got = gort_test_fpenv_get();
      swap_to(pa->g(), pb->g());
    };
    auto b_fn = [&] {
      gort_test_fpenv_set(other);
      swap_to(pb->g(), pa->g());
      b_got = gort_test_fpenv_get();
    };
    Context ca(a_fn), cb(b_fn);
    pa = &ca;
    pb = &cb;
    run(ca);
    gort_test_fpenv_set(saved);
    EXPECT_EQ(a_got & kMask, mine & kMask) << "swap A->B->A lost FP environment bits";
    EXPECT_EQ(b_got & kMask, other & kMask) << "swap B->A->B lost FP environment bits";
  }
}
#endif

// A new context entered by gort_swap: its function runs with the ABI's
// alignment (snprintf of doubles, as the Alignment tests do) and its
// argument, and returns into goexit, which ends run().
TEST(Swap, EntersANewContextAlignedWithItsArgument) {
  struct Seen {
    std::uintptr_t sp = 0;
    char text[64] = {};
  } seen;
  Context* pa = nullptr;
  Context* pb = nullptr;
  auto b_fn = [&] {
    volatile double x = 3.25, y = -0.125;
    std::snprintf(seen.text, sizeof seen.text, "%.3f %g %e", x, y, x * y);
    // The frame's address, not a local's (ASan may keep locals on its fake
    // stack); it may be the CFA, the stack's top itself on the first frame.
    seen.sp = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
  };
  auto a_fn = [&] { swap_to(pa->g(), pb->g()); };  // b's exit ends run(); a is abandoned
  Context ca(a_fn), cb(b_fn);
  pa = &ca;
  pb = &cb;
  run(ca);
  EXPECT_STREQ(seen.text, "3.250 -0.125 -4.062500e-01");
  EXPECT_TRUE(seen.sp > cb.stack().lo && seen.sp <= cb.stack().hi) << "the new context ran on another stack";
}

// gogo resumes a context gort_swap saved; gort_swap resumes one that gosave
// saved (gosave then returns its ctxt, 1) and one that mcall saved.
Context* g_swap_a;
TEST(Swap, InteroperatesWithGosaveGogoAndMcall) {
  static G* parked;
  parked = nullptr;
  int steps = 0;
  std::uintptr_t resumed_with = 0;
  Context* pa = nullptr;
  Context* pb = nullptr;
  auto a_fn = [&] {
    ++steps;                    // 1
    swap_to(pa->g(), pb->g());  // saved by swap, resumed by b's rt::gogo
    ++steps;                    // 3
    G* a = pa->g();
    G* b = pb->g();
    rt::setg(b);
    std::uintptr_t lo = b->stack_lo, hi = b->stack_hi;
    handoff_release();
    rt::race::switch_begin(a->race, false, b->race, lo, hi);
    gort_swap(&a->sched, &b->sched);  // into b's gosave: returns 1 there
    rt::race::switch_end(a->race);
    handoff_acquire();
    ++steps;  // 5
    // b is parked in mcall (parked): swap back into it from here.
    swap_to(pa->g(), parked);
  };
  auto b_fn = [&] {
    ++steps;  // 2
    G* a = pa->g();
    G* b = pb->g();
    if (std::uintptr_t r = gort_gosave(&b->sched); r == 0) {
      std::uintptr_t lo = a->stack_lo, hi = a->stack_hi;
      handoff_release();
      rt::race::switch_begin(b->race, false, a->race, lo, hi);
      rt::setg(a);
      gort_gogo(&a->sched);
    } else {
      rt::race::switch_end(b->race);
      handoff_acquire();
      resumed_with = r;
    }
    ++steps;  // 4
    handoff_release();
    rt::mcall([](G* gp) {
      handoff_acquire();
      parked = gp;
      handoff_release();
      rt::gogo(g_swap_a->g());  // from g0 back to a (saved by its gort_swap)
    });
    handoff_acquire();  // resumed by a's swap_to
    ++steps;            // 6: b returns; its exit ends run()
  };
  Context ca(a_fn), cb(b_fn);
  pa = &ca;
  pb = &cb;
  g_swap_a = &ca;
  run(ca);
  EXPECT_EQ(steps, 6);
  EXPECT_EQ(resumed_with, 1u) << "gosave resumed by gort_swap must return buf->ctxt (1)";
  EXPECT_EQ(parked, cb.g()) << "mcall passed the wrong G";
}

// A resumed frame's bytes at and above its sp are kept: gort_swap writes
// only the slot below it. Locals of every frame between the swap and the
// context's entry are checked after each of many swaps.
TEST(Swap, ResumedFramesKeepTheirLocals) {
  constexpr int kRounds = 10000 / kScale;
  Context* pa = nullptr;
  Context* pb = nullptr;
  int bad = 0;
  auto side = [&](Context*& me, Context*& peer, bool last) {
    volatile unsigned char buf[256];
    for (int r = 0; r < kRounds; ++r) {
      for (int i = 0; i < 256; ++i) buf[i] = static_cast<unsigned char>(i * 7 + r);
      swap_to(me->g(), peer->g());
      for (int i = 0; i < 256; ++i) bad += buf[i] != static_cast<unsigned char>(i * 7 + r);
    }
    if (!last) swap_to(me->g(), peer->g());
  };
  auto a_fn = [&] { side(pa, pb, false); };
  auto b_fn = [&] { side(pb, pa, true); };
  Context ca(a_fn), cb(b_fn);
  pa = &ca;
  pb = &cb;
  run(ca);
  EXPECT_EQ(bad, 0) << "a frame's locals changed across gort_swap";
}

#else   // !GORT_ARCH_SWAP

TEST(Swap, OptionalHookAbsent) {
  GTEST_SKIP() << "arch/" GORT_ARCH_NAME " has no gort_swap (GORT_ARCH_SWAP is optional, core/port.hpp): "
                  "a solo P goes through g0 here";
}

#endif  // GORT_ARCH_SWAP

}  // namespace
}  // namespace gort::test
