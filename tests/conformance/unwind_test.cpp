// Promises: C++ exceptions work inside a context and cross a morestack
// segment boundary; a backtrace taken inside a context ends cleanly at its
// entry (goexit stops the unwinder) instead of wandering into garbage.
#include <unwind.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "harness.hpp"

namespace gort::test {
namespace {

#if defined(__cpp_exceptions)
__attribute__((noinline)) int thrower(int n) {
  if (n == 0) throw std::runtime_error("deep inside");
  asm volatile("" ::: "memory");
  return thrower(n - 1) + 1;
}

TEST(Exceptions, ThrownAndCaughtInsideAContext) {
  std::string what;
  auto fn = [&] {
    try {
      thrower(20);
    } catch (const std::runtime_error& e) {
      what = e.what();
    }
  };
  Context ctx(fn);
  run(ctx);
  EXPECT_EQ(what, "deep inside");
}

TEST(Exceptions, CrossMorestackSegments) {
  std::string what;
  std::int64_t live_inside = 0;
  auto fn = [&] {
    try {
      rt::morestack([&] {
        return rt::morestack([&] {
          live_inside = rt::segments_live();
          return thrower(5);
        });
      });
    } catch (const std::runtime_error& e) {
      what = e.what();
    }
  };
  Context ctx(fn);
  run(ctx);
  EXPECT_EQ(what, "deep inside");
  EXPECT_EQ(live_inside, 2);
  EXPECT_EQ(rt::segments_live(), 0) << "unwinding leaked a segment";
}

#endif  // __cpp_exceptions

struct Trace {
  std::vector<std::uintptr_t> pcs;
  _Unwind_Reason_Code code = _URC_NO_REASON;
};

_Unwind_Reason_Code collect(struct _Unwind_Context* c, void* arg) {
  auto* t = static_cast<Trace*>(arg);
  t->pcs.push_back(_Unwind_GetIP(c));
  return t->pcs.size() > 256 ? _URC_END_OF_STACK : _URC_NO_REASON;
}

__attribute__((noinline)) void take_trace(Trace* t, int depth) {
  if (depth > 0) {
    take_trace(t, depth - 1);
    asm volatile("" ::: "memory");
    return;
  }
  t->code = _Unwind_Backtrace(&collect, t);
}

Trace g_trace;

// The context's entry function: a plain function so that its address is
// known. noinline keeps its frame.
__attribute__((noinline)) void entry(void*) {
  take_trace(&g_trace, 3);
  asm volatile("" ::: "memory");
}

bool in_entry(std::uintptr_t pc) {
  auto e = reinterpret_cast<std::uintptr_t>(&entry) & ~std::uintptr_t(1);  // Thumb bit
  return pc >= e && pc < e + 256;
}

bool in_goexit(std::uintptr_t pc) {
  auto ra = reinterpret_cast<std::uintptr_t>(gort_goexit_ra);
  return pc == ra;
}

TEST(Backtrace, InsideAContextEndsAtItsEntry) {
  g_trace = Trace{};
  Context ctx(&entry, nullptr);
  run(ctx);
  auto& pcs = g_trace.pcs;
  // libgcc reports one last frame with pc 0 once the return address is
  // undefined: that is the clean end, not a frame.
  while (!pcs.empty() && pcs.back() == 0) pcs.pop_back();
  ASSERT_FALSE(pcs.empty());
  ASSERT_LT(pcs.size(), 32u) << "the unwinder wandered past the context's entry";
  // Walk to the entry frame; only goexit may follow it.
  std::size_t i = 0;
  while (i < pcs.size() && !in_entry(pcs[i])) ++i;
  ASSERT_LT(i, pcs.size()) << "the entry function is not in the backtrace";
  std::size_t after = pcs.size() - i - 1;
#ifdef __ARM_EABI_UNWINDER__
  // ARM EHABI: goexit is .cantunwind, so the walk stops before reporting it.
  EXPECT_LE(after, 1u);
  if (after == 1) {
    EXPECT_TRUE(in_goexit(pcs.back()));
  }
#else
  // Under ASan and TSan the harness starts the context in Context::entry,
  // which tells the sanitizer of the switch and calls the entry function:
  // one frame more between them and goexit unless the compiler made that
  // call a tail call (it does at -O2, not at the sanitizer presets' -O1).
  if (rt::race::kStackSwitch && after == 2) after = 1;
  ASSERT_EQ(after, 1u) << "expected exactly goexit after the entry frame";
  EXPECT_TRUE(in_goexit(pcs.back())) << "last frame is not goexit";
  EXPECT_EQ(g_trace.code, _URC_END_OF_STACK);
#endif
}

__attribute__((noinline)) void on_segment_caller(Trace* t) {
  rt::morestack([t] { take_trace(t, 2); });
  asm volatile("" ::: "memory");
}

TEST(Backtrace, CrossesFromASegmentToItsCaller) {
  g_trace = Trace{};
  auto fn = [&] { on_segment_caller(&g_trace); };
  Context ctx(fn);
  run(ctx);
  auto c = reinterpret_cast<std::uintptr_t>(&on_segment_caller) & ~std::uintptr_t(1);
  bool found = false;
  // A return address inside on_segment_caller: its code is under 512
  // bytes, several times that with ASan's checks in it.
  for (auto pc : g_trace.pcs) found |= pc >= c && pc < c + 512 * kFrameScale;
  EXPECT_TRUE(found) << "the backtrace did not cross back from the segment";
  EXPECT_LT(g_trace.pcs.size(), 32u);
}

}  // namespace
}  // namespace gort::test
