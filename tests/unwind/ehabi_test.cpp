// Promises of the ARM EHABI strategy (arch/arm/unwind_ehabi.cpp), on
// tables written here: inline and .ARM.extab entries (compact model with
// personalities 0, 1, 2 and the generic model), every opcode group,
// cantunwind and refuse-to-unwind as the end, clean stops on spare opcodes
// and reads out of range, and the prologue rule for exact frames.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "unwind.hpp"
#include "unwind_impl.hpp"

namespace gort::test {
namespace {

using rt::UnwindCursor;
using rt::UnwindStop;
using rt::unw::Module;
using rt::unw::Span;

constexpr int kSP = 13, kLR = 14, kPC = 15;

// Table: .ARM.exidx at mem[0, 512), .ARM.extab at mem[512, 1024), code of
// the fake functions from mem[1024].
struct Table {
  alignas(16) std::uint8_t mem[4096] = {};
  int nentries = 0;
  std::size_t extab = 512;
  Module m;
  std::uintptr_t at(std::size_t off) const { return reinterpret_cast<std::uintptr_t>(mem) + off; }
  static std::uint32_t prel31(std::uintptr_t place, std::uintptr_t target) {
    return static_cast<std::uint32_t>(target - place) & 0x7fffffffu;
  }
  // fn: offset of the function in mem (entries must come in address order).
  void entry(std::size_t fn, std::uint32_t data) {
    std::size_t e = 8 * nentries++;
    std::uint32_t w0 = prel31(at(e), at(fn));
    std::memcpy(mem + e, &w0, 4);
    std::memcpy(mem + e + 4, &data, 4);
  }
  // entry_extab: an entry pointing at the words given, in .ARM.extab.
  void entry_extab(std::size_t fn, const std::vector<std::uint32_t>& words) {
    std::size_t e = 8 * nentries;
    std::uint32_t data = prel31(at(e + 4), at(extab));
    entry(fn, data);
    for (std::uint32_t w : words) {
      std::memcpy(mem + extab, &w, 4);
      extab += 4;
    }
  }
  void code(std::size_t fn, const std::vector<std::uint16_t>& halfwords) {
    for (std::size_t i = 0; i < halfwords.size(); ++i) std::memcpy(mem + fn + 2 * i, &halfwords[i], 2);
  }
  void prepare() {
    m.segs[0] = Span{at(0), at(sizeof mem)};
    m.nsegs = 1;
    m.exidx = Span{at(0), at(8 * nentries)};
    rt::unw::frame_prepare(m);
  }
};

struct Stack {
  alignas(8) std::uint32_t w[1024] = {};
  std::uintptr_t addr(int i) const { return reinterpret_cast<std::uintptr_t>(&w[i]); }
  UnwindCursor cursor(std::uintptr_t pc, int sp_index) const {
    UnwindCursor c;
    c.pc = pc;
    for (int r = 0; r < 16; ++r) c.set(r, 0x1000 + r);
    c.set(kSP, addr(sp_index));
    c.set(kLR, 0x7771);  // a Thumb return address
    c.add_range(addr(0), addr(1024));
    return c;
  }
};

UnwindStop step(const Table& t, std::uintptr_t lookup, const UnwindCursor& c, UnwindCursor* out) {
  *out = c;
  return rt::unw::frame_step(t.m, lookup, c, out);
}

TEST(Ehabi, InlineCompactEntry) {
  Table t;
  t.entry(1024, 0x8003a8b0);  // vsp += 16; pop {r4, r14}; finish
  t.prepare();
  Stack s;
  s.w[8] = 0x44;
  s.w[9] = 0x9991;
  UnwindCursor c = s.cursor(t.at(1024 + 8), 4), out;
  ASSERT_EQ(step(t, t.at(1024 + 7), c, &out), UnwindStop::none);
  EXPECT_EQ(out.pc, 0x9990u);  // the Thumb bit cleared
  EXPECT_EQ(out.sp(), s.addr(10));
  EXPECT_EQ(out.regs[4], 0x44u);
  EXPECT_EQ(out.regs[kLR], 0x9991u);
  EXPECT_FALSE(out.exact);
}

TEST(Ehabi, CantUnwindAndRefuseToUnwindAreTheEnd) {
  Table t;
  t.entry(1024, 1);           // EXIDX_CANTUNWIND
  t.entry(1100, 0x808000b0);  // pop {} under mask 0: refuse to unwind
  t.prepare();
  Stack s;
  UnwindCursor c = s.cursor(0, 4), out;
  EXPECT_EQ(step(t, t.at(1030), c, &out), UnwindStop::end);
  EXPECT_EQ(step(t, t.at(1104), c, &out), UnwindStop::end);
}

TEST(Ehabi, PersonalityOneWithVfpAndMaskPops) {
  Table t;
  // c9 11: VPUSH d1-d2 (16); d1: VPUSH d8-d9 (16); b1 03: pop r0 r1;
  // 84 08: pop r7 r14; b0: finish.
  t.entry_extab(1024, {0x8102c911, 0xd1b10384, 0x08b0b0b0});
  t.prepare();
  Stack s;
  s.w[8] = 0x10;
  s.w[9] = 0x11;
  s.w[10] = 0x17;
  s.w[11] = 0x5551;
  UnwindCursor c = s.cursor(0, 0), out;
  ASSERT_EQ(step(t, t.at(1030), c, &out), UnwindStop::none);
  EXPECT_EQ(out.regs[0], 0x10u);
  EXPECT_EQ(out.regs[1], 0x11u);
  EXPECT_EQ(out.regs[7], 0x17u);
  EXPECT_EQ(out.pc, 0x5550u);
  EXPECT_EQ(out.sp(), s.addr(12));
}

TEST(Ehabi, PersonalityTwoWithLongVspAdd) {
  Table t;
  // b2 04: vsp += 0x204 + 4*4 = 532 bytes (133 words); a8: pop r4 r14.
  t.entry_extab(1024, {0x8201b204, 0xa8b0b0b0});
  t.prepare();
  Stack s;
  s.w[133] = 0x4;
  s.w[134] = 0x6661;
  UnwindCursor c = s.cursor(0, 0), out;
  ASSERT_EQ(step(t, t.at(1030), c, &out), UnwindStop::none);
  EXPECT_EQ(out.pc, 0x6660u);
  EXPECT_EQ(out.sp(), s.addr(135));
}

TEST(Ehabi, GenericModelEntryWithFramePointer) {
  Table t;
  // A personality routine (anywhere), then count 0 and 9b (vsp = r11),
  // a8 (pop r4 r14), b0.
  t.entry_extab(1024, {0x00000100, 0x009ba8b0});
  t.prepare();
  Stack s;
  s.w[20] = 0x4;
  s.w[21] = 0x3331;
  UnwindCursor c = s.cursor(0, 2), out;
  c.set(11, s.addr(20));
  ASSERT_EQ(step(t, t.at(1030), c, &out), UnwindStop::none);
  EXPECT_EQ(out.pc, 0x3330u);
  EXPECT_EQ(out.sp(), s.addr(22));
}

TEST(Ehabi, PoppingSpAndPc) {
  Table t;
  t.entry(1024, 0x808600b0);  // pop {r13, r14}: vsp = the popped sp
  t.entry(1100, 0x808800b0);  // pop {r15}: pc from the stack, not lr
  t.entry(1200, 0x8041a8b0);  // vsp -= 8; pop {r4, r14}
  t.prepare();
  Stack s;
  s.w[4] = static_cast<std::uint32_t>(s.addr(30));
  s.w[5] = 0x2221;
  s.w[6] = 0x4441;
  UnwindCursor c = s.cursor(0, 4), out;
  ASSERT_EQ(step(t, t.at(1030), c, &out), UnwindStop::none);
  EXPECT_EQ(out.sp(), s.addr(30));
  EXPECT_EQ(out.pc, 0x2220u);
  ASSERT_EQ(step(t, t.at(1104), c, &out), UnwindStop::none);
  EXPECT_EQ(out.pc, s.addr(30));
  EXPECT_EQ(out.regs[kLR], 0x7771u);
  UnwindCursor c2 = s.cursor(0, 6), out2;
  ASSERT_EQ(step(t, t.at(1204), c2, &out2), UnwindStop::none);
  EXPECT_EQ(out2.regs[4], static_cast<std::uint32_t>(s.addr(30)));
  EXPECT_EQ(out2.pc, 0x2220u);
}

TEST(Ehabi, SpareOpcodesAndUnknownPersonalitiesStop) {
  Table t;
  t.entry(1024, 0x80b4b0b0);                 // b4: spare (PAC pop)
  t.entry(1100, 0x80b100b0);                 // b1 00: spare
  t.entry(1200, 0x839d00b0);                 // personality 3 inline: unknown
  t.entry(1300, 0x809db0b0);                 // 9d: vsp = r13, reserved
  t.entry_extab(1400, {0x83000000});         // personality 3 in extab
  t.prepare();
  Stack s;
  UnwindCursor c = s.cursor(0, 4), out;
  for (std::size_t fn : {1024u, 1100u, 1200u, 1300u, 1400u})
    EXPECT_EQ(step(t, t.at(fn + 4), c, &out), UnwindStop::bad_table) << fn;
}

TEST(Ehabi, ReadsOutsideTheRangesStop) {
  Table t;
  t.entry(1024, 0x80a9b0b0);  // pop {r4, r5, r14}
  t.prepare();
  Stack s;
  UnwindCursor c = s.cursor(0, 1022), out;  // r14 would be w[1024]: past the range
  EXPECT_EQ(step(t, t.at(1030), c, &out), UnwindStop::bad_read);
}

TEST(Ehabi, LookupBeforeTheFirstFunctionHasNoInfo) {
  Table t;
  t.entry(1024, 0x80a8b0b0);
  t.prepare();
  Stack s;
  UnwindCursor c = s.cursor(0, 4), out;
  EXPECT_EQ(step(t, t.at(1000), c, &out), UnwindStop::no_info);
}

// A Thumb-2 prologue with a stack-clash probe, as GCC writes it for a
// 3000-byte frame: a stack overflow faults in the probe, after the push
// and before the sub.
TEST(Ehabi, ExactFramesInsideThePrologue) {
  Table t;
  const std::size_t fn = 1024;
  t.code(fn, {0xb510,            // push {r4, lr}
              0xf44f, 0x5c80,    // mov.w ip, #4096
              0xebad, 0x0c0c,    // sub.w ip, sp, ip
              0xf8cc, 0x0440,    // str.w r0, [ip, #1088]
              0xf6ad, 0x3db8,    // subw sp, sp, #3000
              0x4603});          // mov r3, r0
  // b2 ed 04: vsp += 0x204 + 4*621 = 3000; a8: pop {r4, r14}.
  t.entry_extab(fn, {0x8101b2ed, 0x04a8b0b0});
  t.prepare();
  Stack s;
  const int top = 800;       // sp at entry: w[800]
  s.w[top - 2] = 0x4;        // pushed r4
  s.w[top - 1] = 0x8881;     // pushed lr
  UnwindCursor out;
  // At the push (nothing pushed): the caller is lr, sp unchanged.
  UnwindCursor c0 = s.cursor(t.at(fn), top);
  c0.exact = true;
  ASSERT_EQ(step(t, t.at(fn), c0, &out), UnwindStop::none);
  EXPECT_EQ(out.pc, 0x7770u);
  EXPECT_EQ(out.sp(), s.addr(top));
  // After the push, at the probe: lr is on the stack, the sub not done.
  for (std::size_t at : {fn + 2, fn + 10}) {
    UnwindCursor c1 = s.cursor(t.at(at), top - 2);
    c1.exact = true;
    ASSERT_EQ(step(t, t.at(at), c1, &out), UnwindStop::none) << at - fn;
    EXPECT_EQ(out.pc, 0x8880u) << at - fn;
    EXPECT_EQ(out.sp(), s.addr(top)) << at - fn;
    EXPECT_EQ(out.regs[4], 0x4u) << at - fn;
  }
  // After the sub: the body's description.
  int body_sp = top - 2 - 750;
  UnwindCursor c2 = s.cursor(t.at(fn + 18), body_sp);
  c2.exact = true;
  ASSERT_EQ(step(t, t.at(fn + 18), c2, &out), UnwindStop::none);
  EXPECT_EQ(out.pc, 0x8880u);
  EXPECT_EQ(out.sp(), s.addr(top));
  // A return address (not exact) is always in the body.
  UnwindCursor c3 = s.cursor(t.at(fn + 18), body_sp);
  ASSERT_EQ(step(t, t.at(fn + 17), c3, &out), UnwindStop::none);
  EXPECT_EQ(out.sp(), s.addr(top));
}

TEST(Ehabi, ExactFramesInsideAnArmModePrologue) {
  Table t;
  const std::size_t fn = 1024;
  t.code(fn, {0x4010, 0xe92d,   // push {r4, lr}
              0xd010, 0xe24d,   // sub sp, sp, #16
              0x0000, 0xe1a0}); // nop (mov r0, r0)
  t.entry(fn, 0x8003a8b0);       // vsp += 16; pop {r4, r14}
  t.prepare();
  Stack s;
  const int top = 100;
  s.w[top - 2] = 0x4;
  s.w[top - 1] = 0x6661;
  UnwindCursor out;
  UnwindCursor c0 = s.cursor(t.at(fn), top);
  c0.exact = true;
  ASSERT_EQ(step(t, t.at(fn), c0, &out), UnwindStop::none);
  EXPECT_EQ(out.pc, 0x7770u);
  EXPECT_EQ(out.sp(), s.addr(top));
  UnwindCursor c1 = s.cursor(t.at(fn + 4), top - 2);
  c1.exact = true;
  ASSERT_EQ(step(t, t.at(fn + 4), c1, &out), UnwindStop::none);
  EXPECT_EQ(out.pc, 0x6660u);
  EXPECT_EQ(out.sp(), s.addr(top));
  UnwindCursor c2 = s.cursor(t.at(fn + 8), top - 6);
  c2.exact = true;
  ASSERT_EQ(step(t, t.at(fn + 8), c2, &out), UnwindStop::none);
  EXPECT_EQ(out.pc, 0x6660u);
  EXPECT_EQ(out.sp(), s.addr(top));
}

}  // namespace
}  // namespace gort::test
