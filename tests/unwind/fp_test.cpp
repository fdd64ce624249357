// Promises of the frame-pointer strategy (core/unwind_fp.cpp), darwin's
// unwinder, on chains of frame records written here: each step takes the
// caller's pc and frame pointer from the record and its sp from the
// record's address; a zero frame pointer is the end; a record outside the
// stack ranges, a misaligned one or a chain that does not move up stops
// the walk where it is; a walk crosses to another stack once, and never
// back; a signed return address is stripped. The real walks (goroutines,
// morestack segments, signals) are unwind_test.cpp's, in the kit's "fp"
// variant.
#include <gtest/gtest.h>

#include <cstring>

#include "unwind.hpp"
#include "unwind_impl.hpp"

extern "C" {
// Code addresses for the records: the walk looks each pc up in the module
// table, so they must lie in the program's text.
__attribute__((noinline)) int fp_test_code(int x) { return x * 3 + 1; }
}

namespace gort::test {
namespace {

using rt::UnwindCursor;
using rt::UnwindStop;

constexpr int P = sizeof(void*);

struct UnwindEnv : ::testing::Environment {
  void SetUp() override { rt::unwind_init(); }
};
[[maybe_unused]] auto* const env = ::testing::AddGlobalTestEnvironment(new UnwindEnv);

std::uintptr_t code(int k) { return reinterpret_cast<std::uintptr_t>(&fp_test_code) + 1 + k; }

// Stack: memory with frame records written at chosen offsets.
struct Stack {
  alignas(16) std::uintptr_t w[256] = {};
  std::uintptr_t lo() const { return reinterpret_cast<std::uintptr_t>(w); }
  std::uintptr_t hi() const { return lo() + sizeof w; }
  std::uintptr_t at(int word) const { return lo() + static_cast<std::uintptr_t>(word) * P; }
  // record at word: {caller's fp, return address}
  void record(int word, std::uintptr_t fp, std::uintptr_t ra) {
    w[word] = fp;
    w[word + 1] = ra;
  }
};

// start: a cursor as a signal would leave it: pc exact, sp and fp known.
UnwindCursor start(const Stack& s, int sp_word, std::uintptr_t fp) {
  UnwindCursor c;
  c.pc = code(0);
  c.exact = true;
  c.set(GORT_DWARF_SP, s.at(sp_word));
  c.set(GORT_DWARF_FP, fp);
  c.add_range(s.lo(), s.hi());
  return c;
}

TEST(UnwindFp, FollowsTheChainToAZeroFramePointer) {
  Stack s;
  s.record(10, s.at(40), code(1));
  s.record(40, s.at(100), code(2));
  s.record(100, 0, code(3));
  UnwindCursor c = start(s, 4, s.at(10));
  ASSERT_TRUE(rt::unwind_step(&c));
  EXPECT_EQ(c.pc, code(1));
  EXPECT_FALSE(c.exact);
  EXPECT_EQ(c.sp(), s.at(12));  // the record's address + two words
  EXPECT_EQ(c.regs[GORT_DWARF_FP], s.at(40));
  ASSERT_TRUE(rt::unwind_step(&c));
  EXPECT_EQ(c.pc, code(2));
  EXPECT_EQ(c.sp(), s.at(42));
  ASSERT_TRUE(rt::unwind_step(&c));
  EXPECT_EQ(c.pc, code(3));
  EXPECT_EQ(c.regs[GORT_DWARF_FP], 0u);
  // The frame whose saved frame pointer is 0 (gort_goexit's, mcall's
  // callee's) is the last.
  EXPECT_FALSE(rt::unwind_step(&c));
  EXPECT_EQ(c.stop, UnwindStop::end);
  EXPECT_EQ(c.pc, code(3));
}

TEST(UnwindFp, OnlyTheFramePointerAndSpAreKnownInACaller) {
  Stack s;
  s.record(10, 0, code(1));
  UnwindCursor c = start(s, 4, s.at(10));
  c.set(3, 0x1234);  // some other register, known in the interrupted frame
  ASSERT_TRUE(rt::unwind_step(&c));
  EXPECT_FALSE(c.has(3));
  EXPECT_TRUE(c.has(GORT_DWARF_SP));
  EXPECT_TRUE(c.has(GORT_DWARF_FP));
}

TEST(UnwindFp, AReturnAddressOfZeroEnds) {
  Stack s;
  s.record(10, s.at(40), 0);  // a thread's first frame
  UnwindCursor c = start(s, 4, s.at(10));
  EXPECT_FALSE(rt::unwind_step(&c));
  EXPECT_EQ(c.stop, UnwindStop::end);
}

TEST(UnwindFp, ARecordOutsideTheRangesIsNotRead) {
  Stack s, other;
  other.record(0, 0, code(1));
  UnwindCursor c = start(s, 4, other.at(0));  // other is no range of c
  EXPECT_FALSE(rt::unwind_step(&c));
  EXPECT_EQ(c.stop, UnwindStop::bad_read);
  EXPECT_EQ(c.pc, code(0));  // left at the last good frame
  // Half inside: the return-address word lies past the range's end.
  UnwindCursor d = start(s, 4, s.hi() - P);
  EXPECT_FALSE(rt::unwind_step(&d));
  EXPECT_EQ(d.stop, UnwindStop::bad_read);
}

TEST(UnwindFp, AMisalignedFramePointerStops) {
  Stack s;
  s.record(10, 0, code(1));
  UnwindCursor c = start(s, 4, s.at(10) + 1);
  EXPECT_FALSE(rt::unwind_step(&c));
  EXPECT_EQ(c.stop, UnwindStop::bad_read);
}

TEST(UnwindFp, AChainThatDoesNotMoveUpStops) {
  Stack s;
  s.record(40, s.at(10), code(1));  // points down
  s.record(10, 0, code(2));
  UnwindCursor c = start(s, 4, s.at(40));
  ASSERT_TRUE(rt::unwind_step(&c));
  EXPECT_FALSE(rt::unwind_step(&c));
  EXPECT_EQ(c.stop, UnwindStop::bad_sp);
  EXPECT_EQ(c.pc, code(1));
  // A record that points at itself.
  Stack t;
  t.record(10, t.at(10), code(1));
  UnwindCursor d = start(t, 4, t.at(10));
  ASSERT_TRUE(rt::unwind_step(&d));
  EXPECT_FALSE(rt::unwind_step(&d));
  EXPECT_EQ(d.stop, UnwindStop::bad_sp);
}

TEST(UnwindFp, CrossesToAnotherStackOnceAndNeverBack) {
  // A morestack segment: its first frame's record points to a record on
  // the old stack (morestack's own), whose caller is on the old stack too.
  Stack seg, old;
  seg.record(200, old.at(50), code(1));
  old.record(50, old.at(80), code(2));
  old.record(80, seg.at(220), code(3));  // back to the segment: corrupt
  seg.record(220, 0, code(4));
  UnwindCursor c = start(seg, 190, seg.at(200));
  c.add_range(old.lo(), old.hi());
  ASSERT_TRUE(rt::unwind_step(&c));
  EXPECT_EQ(c.pc, code(1));
  ASSERT_TRUE(rt::unwind_step(&c));  // onto the old stack
  EXPECT_EQ(c.pc, code(2));
  EXPECT_EQ(c.sp(), old.at(52));
  ASSERT_TRUE(rt::unwind_step(&c));
  EXPECT_EQ(c.pc, code(3));
  EXPECT_FALSE(rt::unwind_step(&c));  // not back to the segment it left
  EXPECT_EQ(c.stop, UnwindStop::bad_sp);
}

TEST(UnwindFp, AWalkWithoutAFramePointerHasNoInfo) {
  Stack s;
  UnwindCursor c;
  c.pc = code(0);
  c.exact = true;
  c.set(GORT_DWARF_SP, s.at(4));
  c.add_range(s.lo(), s.hi());
  EXPECT_FALSE(rt::unwind_step(&c));
  EXPECT_EQ(c.stop, UnwindStop::no_info);
}

#ifdef GORT_DWARF_PAC_VA_BITS
TEST(UnwindFp, ASignedReturnAddressIsStripped) {
  Stack s;
  std::uintptr_t signed_ra = code(1) | (std::uintptr_t(0x5a) << 56) | (std::uintptr_t(1) << GORT_DWARF_PAC_VA_BITS);
  s.record(10, 0, signed_ra);
  UnwindCursor c = start(s, 4, s.at(10));
  ASSERT_TRUE(rt::unwind_step(&c));
  EXPECT_EQ(c.pc, code(1));
}
#endif

}  // namespace
}  // namespace gort::test
