// Promise: morestack/lessstack run a call on a fresh segment and come back
// with its result intact in every return class, and every segment is freed
// on the way back.
#include <cstring>

#include "harness.hpp"

namespace gort::test {
namespace {

constexpr int kDepth = 10000;
constexpr int kEvery = 100;  // a new segment every kEvery calls: 100 segments
// A segment holds kEvery frames of deep<T>, and every frame carries the
// area its caller keeps for its callee: 160 bytes on s390x, whose deep<int>
// frame is 232 bytes, 100 of which a 16 KiB segment could not hold.
constexpr std::size_t kSegment = (rt::kSegmentSize + kEvery * GORT_MIN_FRAME) * kFrameScale;

struct Small {
  std::int32_t a;
  std::int16_t b;
  bool operator==(const Small&) const = default;
};

template <class T>
T step(T r, int n);
template <>
int step(int r, int n) { return static_cast<int>(static_cast<unsigned>(r) * 3u + static_cast<unsigned>(n)); }  // wraps
template <>
std::int64_t step(std::int64_t r, int n) {  // exceeds 32 bits, wraps
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(r) * 0x10001u + static_cast<std::uint64_t>(n));
}
template <>
double step(double r, int n) { return r * 0.5 + n; }
template <>
Small step(Small r, int n) {
  return Small{static_cast<std::int32_t>(static_cast<std::uint32_t>(r.a) * 5u + static_cast<std::uint32_t>(n)),
               static_cast<std::int16_t>(r.b ^ n)};
}

std::int64_t g_max_live;

template <class T>
__attribute__((noinline)) T deep(int n) {
  if (n == 0) return T{};
  T r;
  if (n % kEvery == 0) {
    r = rt::morestack([n] {
      std::int64_t live = rt::segments_live();
      if (live > g_max_live) g_max_live = live;
      return deep<T>(n - 1);
    }, kSegment);
  } else {
    r = deep<T>(n - 1);
  }
  asm volatile("" ::: "memory");  // keep the frame: no tail call
  return step(r, n);
}

template <class T>
T flat() {
  T r{};
  for (int n = 1; n <= kDepth; ++n) r = step(r, n);
  return r;
}

template <class T>
void check_deep_recursion() {
  g_max_live = 0;
  std::int64_t total0 = rt::segments_total();
  T got{};
  auto fn = [&] { got = deep<T>(kDepth); };
  // 32 KiB could not hold 10,000 frames: the segments have to carry them.
  Context ctx(fn, 32 * 1024);
  run(ctx);
  EXPECT_EQ(got, flat<T>());
  EXPECT_GE(rt::segments_total() - total0, kDepth / kEvery);
  EXPECT_GE(g_max_live, kDepth / kEvery) << "segments were not all live at the bottom";
  EXPECT_EQ(rt::segments_live(), 0) << "segments not freed on the way back";
}

TEST(Morestack, DeepRecursionReturnsInt) { check_deep_recursion<int>(); }
TEST(Morestack, DeepRecursionReturnsInt64) { check_deep_recursion<std::int64_t>(); }
TEST(Morestack, DeepRecursionReturnsDouble) { check_deep_recursion<double>(); }
TEST(Morestack, DeepRecursionReturnsSmallStruct) { check_deep_recursion<Small>(); }

TEST(Morestack, SegmentBoundsBecomeTheGoroutinesWhileInside) {
  std::uintptr_t lo = 0, hi = 0, after_lo = 0;
  std::uintptr_t local_addr = 0;
  auto fn = [&] {
    rt::morestack([&] {
      // The frame, not a local's address: ASan may keep locals on a fake stack.
      local_addr = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
      lo = rt::getg()->stack_lo;
      hi = rt::getg()->stack_hi;
    });
    after_lo = rt::getg()->stack_lo;
  };
  Context ctx(fn);
  run(ctx);
  // (lo, hi]: the frame address is where the frame's own record lies on
  // most CPUs, but the canonical frame address itself (the caller's sp,
  // which is hi for the first frame on a segment) on riscv64.
  EXPECT_GT(local_addr, lo);
  EXPECT_LE(local_addr, hi);
  EXPECT_NE(lo, ctx.stack().lo);
  EXPECT_EQ(after_lo, ctx.stack().lo);
}

// Every return-value register, not just the ones C++ happens to use:
// gort_test_retregs loads a pattern into all of them on the new segment and
// reads them back after lessstack.
TEST(Morestack, LessstackKeepsEveryReturnRegister) {
  std::uint64_t p[GORT_TEST_NRET], out[GORT_TEST_NRET];
  for (int i = 0; i < GORT_TEST_NRET; ++i) {
    // Ordinary doubles (1.5, 2.5, ...): valid for FP and x87 registers alike.
    double d = 1.5 + i * 1.25 + (i << 20);
    std::memcpy(&p[i], &d, sizeof d);
    if (i < 2) p[i] = 0x0123456789abcdefull * (i + 3);  // integer registers
  }
  std::memset(out, 0, sizeof out);
  Stack s;
  rt::systemstack([&] { s = rt::stackalloc(16 * 1024); });
  gort_test_retregs(p, out, s.hi & ~std::uintptr_t(GORT_STACK_ALIGN - 1));
  rt::systemstack([&] { rt::stackfree(s); });
  for (int i = 0; i < GORT_TEST_NRET; ++i)
    EXPECT_EQ(i < 2 ? slot_bits(out[i]) : out[i], i < 2 ? slot_bits(p[i]) : p[i])
        << "return register slot " << i << " (see testhelp_" GORT_ARCH_NAME ".S)";
}

}  // namespace
}  // namespace gort::test
