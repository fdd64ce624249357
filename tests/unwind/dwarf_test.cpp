// Promises of the DWARF CFI strategy (core/unwind_dwarf.cpp), on tables
// written here byte by byte: CIE/FDE parsing with every pointer encoding,
// the CFA instructions (remember/restore state included), expressions,
// .eh_frame_hdr lookups, and clean stops on what is unsupported or out of
// range. And on the real program: its .eh_frame_hdr and the index built
// from .eh_frame find the same entries.
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

constexpr int P = sizeof(void*);
constexpr int SP = GORT_DWARF_SP;
constexpr int RA = GORT_DWARF_RA;
constexpr int FP = GORT_DWARF_FP;
constexpr int R = 3;  // a register that is none of the above on every CPU
static_assert(R != SP && R != RA && R != FP && R < GORT_DWARF_NREGS);
// The caller's sp where a frame leaves sp's rule unspecified: the CFA less
// the ABI's offset (160 on s390x, 0 on most).
constexpr std::uintptr_t kCfaOff = GORT_DWARF_CFA_OFFSET;

// Bytes: a table under construction.
struct Bytes {
  std::vector<std::uint8_t> b;
  std::size_t size() const { return b.size(); }
  Bytes& u8(unsigned v) {
    b.push_back(static_cast<std::uint8_t>(v));
    return *this;
  }
  template <class T>
  Bytes& fixed(T v) {
    unsigned char x[sizeof v];
    std::memcpy(x, &v, sizeof v);
    b.insert(b.end(), x, x + sizeof v);
    return *this;
  }
  Bytes& uleb(std::uint64_t v) {
    do {
      std::uint8_t c = v & 0x7f;
      v >>= 7;
      u8(c | (v ? 0x80 : 0));
    } while (v);
    return *this;
  }
  Bytes& sleb(std::int64_t v) {
    for (;;) {
      std::uint8_t c = v & 0x7f;
      v >>= 7;
      bool done = (v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40));
      u8(c | (done ? 0 : 0x80));
      if (done) return *this;
    }
  }
  Bytes& str(const char* s) {
    b.insert(b.end(), s, s + std::strlen(s) + 1);
    return *this;
  }
  Bytes& add(const Bytes& o) {
    b.insert(b.end(), o.b.begin(), o.b.end());
    return *this;
  }
  void put32(std::size_t at, std::uint32_t v) { std::memcpy(&b[at], &v, 4); }
};

// Table: an .eh_frame (and maybe .eh_frame_hdr) in fixed memory, and a
// Module over it.
struct Table {
  alignas(16) std::uint8_t mem[4096] = {};
  std::size_t used = 0;
  Module m;
  std::uintptr_t base() const { return reinterpret_cast<std::uintptr_t>(mem); }
  std::uintptr_t at(std::size_t off) const { return base() + off; }
  Table() {
    m.segs[0] = Span{base(), base() + sizeof mem};
    m.nsegs = 1;
  }
  ~Table() { delete[] m.index; }  // frame_prepare's
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;
};

// A CIE at table offset `off`; the CIE is padded to a multiple of P.
struct CieSpec {
  const char* aug = "zR";
  std::uint8_t fde_enc = 0x00;  // absptr
  int ra = RA;
  int version = 1;
  Bytes insns;  // initial instructions
  Bytes aug_extra;  // for P/L: written in place by the caller if needed
};

std::size_t emit_cie(Table& t, std::size_t off, const CieSpec& c) {
  Bytes b;
  b.fixed<std::uint32_t>(0).fixed<std::uint32_t>(0).u8(c.version).str(c.aug).uleb(1).sleb(-P);
  if (c.version == 1)
    b.u8(c.ra);
  else
    b.uleb(c.ra);
  Bytes aug;
  for (const char* a = c.aug; *a; ++a) {
    if (*a == 'R') aug.u8(c.fde_enc);
    if (*a == 'L') aug.u8(0x1b);
    if (*a == 'P') aug.add(c.aug_extra);
  }
  if (c.aug[0] == 'z') b.uleb(aug.size()).add(aug);
  b.add(c.insns);
  while ((b.size() % P) != 0) b.u8(0);  // DW_CFA_nop
  b.put32(0, static_cast<std::uint32_t>(b.size() - 4));
  std::memcpy(t.mem + off, b.b.data(), b.size());
  return off + b.size();
}

// encode: v in encoding enc at table offset `at` (pcrel/datarel relative to
// the field or the data base).
void encode(Bytes& b, std::uint8_t enc, std::uintptr_t v, std::uintptr_t field, std::uintptr_t data_base = 0,
            std::uintptr_t text_base = 0) {
  switch (enc & 0x70) {
    case 0x10: v -= field; break;
    case 0x20: v -= text_base; break;
    case 0x30: v -= data_base; break;
    default: break;
  }
  switch (enc & 0x0f) {
    case 0x00: b.fixed<std::uintptr_t>(v); break;
    case 0x01: b.uleb(v); break;
    case 0x02: b.fixed<std::uint16_t>(static_cast<std::uint16_t>(v)); break;
    case 0x03: b.fixed<std::uint32_t>(static_cast<std::uint32_t>(v)); break;
    case 0x04: b.fixed<std::uint64_t>(v); break;
    case 0x09: b.sleb(static_cast<std::intptr_t>(v)); break;
    case 0x0a: b.fixed<std::int16_t>(static_cast<std::int16_t>(v)); break;
    case 0x0b: b.fixed<std::int32_t>(static_cast<std::int32_t>(v)); break;
    case 0x0c: b.fixed<std::int64_t>(static_cast<std::int64_t>(static_cast<std::intptr_t>(v))); break;
  }
}

struct FdeSpec {
  explicit FdeSpec(std::size_t cie) : cie_off(cie) {}
  std::size_t cie_off;
  std::uint8_t fde_enc = 0x00;
  std::uintptr_t pc_begin = 0x1000, pc_range = 0x100;
  Bytes insns;
  bool aug_z = true;
  Bytes aug_data;
};

std::size_t emit_fde(Table& t, std::size_t off, const FdeSpec& f) {
  Bytes b;
  b.fixed<std::uint32_t>(0).fixed<std::uint32_t>(static_cast<std::uint32_t>(off + 4 - f.cie_off));
  encode(b, f.fde_enc, f.pc_begin, t.at(off + b.size()), t.m.data_base, t.m.text_base);
  encode(b, f.fde_enc & 0x0f, f.pc_range, 0);
  if (f.aug_z) b.uleb(f.aug_data.size()).add(f.aug_data);
  b.add(f.insns);
  while ((b.size() % P) != 0) b.u8(0);
  b.put32(0, static_cast<std::uint32_t>(b.size() - 4));
  std::memcpy(t.mem + off, b.b.data(), b.size());
  return off + b.size();
}

void finish(Table& t, std::size_t end) {
  std::memset(t.mem + end, 0, 4);  // terminator
  t.used = end + 4;
  t.m.eh_frame = Span{t.base(), t.base() + t.used};
  rt::unw::frame_prepare(t.m);
}

// Stack: fake stack memory and a cursor over it.
struct Stack {
  alignas(16) std::uintptr_t w[64] = {};
  std::uintptr_t addr(int i) const { return reinterpret_cast<std::uintptr_t>(&w[i]); }
  UnwindCursor cursor(std::uintptr_t pc, int sp_index) const {
    UnwindCursor c;
    c.pc = pc;
    c.set(SP, addr(sp_index));
    c.add_range(addr(0), addr(64));
    return c;
  }
};

UnwindStop step(const Table& t, std::uintptr_t lookup, const UnwindCursor& c, UnwindCursor* out) {
  *out = c;
  return rt::unw::frame_step(t.m, lookup, c, out);
}

// offset: DW_CFA_offset reg, CFA - n * P; the compact form holds register
// numbers below 64 only (ppc64's return-address column, lr, is 65).
Bytes& offset(Bytes& b, int reg, unsigned n) {
  if (reg < 64) return b.u8(0x80 | reg).uleb(n);
  return b.u8(0x05).uleb(reg).uleb(n);  // DW_CFA_offset_extended
}

// The plainest frame: CFA = sp + 2P, return address at CFA - P.
Bytes plain_cie_insns() {
  Bytes b;
  b.u8(0x0c).uleb(SP).uleb(2 * P);  // def_cfa sp, 2P
  offset(b, RA, 1);                 // RA at CFA - P
  return b;
}

class Encodings : public ::testing::TestWithParam<int> {};

TEST_P(Encodings, FindTheFdeAndUnwindIt) {
  std::uint8_t enc = static_cast<std::uint8_t>(GetParam());
  Table t;
  t.m.data_base = t.base() + 256;
  t.m.text_base = t.base() + 512;
  CieSpec c;
  c.fde_enc = enc;
  c.insns = plain_cie_insns();
  std::size_t off = emit_cie(t, 0, c);
  FdeSpec f(0);
  f.fde_enc = enc;
  // A pc a 2-byte encoding can hold; pcrel/datarel ones near the table.
  std::uintptr_t pc = (enc & 0x70) ? t.base() + 0x800 : 0x1000;
  f.pc_begin = pc;
  off = emit_fde(t, off, f);
  finish(t, off);
  ASSERT_EQ(t.m.nindex, 1u);
  Stack s;
  s.w[11] = 0x4242;  // the return address: CFA = &w[10] + 2P, at CFA - P
  UnwindCursor cu = s.cursor(pc + 0x10, 10), out;
  ASSERT_EQ(step(t, pc + 0x10, cu, &out), UnwindStop::none);
  EXPECT_EQ(out.pc, 0x4242u);
  EXPECT_EQ(out.sp(), s.addr(12) - kCfaOff);
  EXPECT_FALSE(out.exact);
  // Outside the FDE's range.
  EXPECT_EQ(step(t, pc + 0x100, cu, &out), UnwindStop::no_info);
  EXPECT_EQ(step(t, pc - 1, cu, &out), UnwindStop::no_info);
}

INSTANTIATE_TEST_SUITE_P(Dwarf, Encodings,
                         ::testing::Values(0x00, 0x01, 0x02, 0x03, 0x04, 0x09, 0x0a, 0x0b, 0x0c,  // absolute
                                           0x10, 0x1b, 0x19, 0x1c, 0x30 | 0x0b, 0x20 | 0x03));

TEST(Dwarf, IndirectPcBeginAndPersonalityAndLsda) {
  Table t;
  // The pointer an indirect encoding reads: in the object's segment.
  std::uintptr_t pc = 0x2000;
  std::memcpy(t.mem + 2048, &pc, P);
  CieSpec c;
  c.aug = "zPLR";
  c.fde_enc = 0x80 | 0x10 | 0x0b;  // indirect pcrel sdata4
  Bytes pers;
  pers.u8(0x9b).fixed<std::int32_t>(0x1234);  // personality: indirect pcrel sdata4 (skipped)
  c.aug_extra = pers;
  c.insns = plain_cie_insns();
  std::size_t off = emit_cie(t, 0, c);
  // FDE by hand: pc_begin indirect|pcrel|sdata4 pointing at mem+2048.
  Bytes b;
  b.fixed<std::uint32_t>(0).fixed<std::uint32_t>(static_cast<std::uint32_t>(off + 4));
  std::uintptr_t field = t.at(off + 8);
  b.fixed<std::int32_t>(static_cast<std::int32_t>(t.at(2048) - field));
  b.fixed<std::int32_t>(0x40);  // range
  b.uleb(4).fixed<std::int32_t>(0);  // augmentation data: the LSDA pointer
  while (b.size() % P) b.u8(0);
  b.put32(0, static_cast<std::uint32_t>(b.size() - 4));
  std::memcpy(t.mem + off, b.b.data(), b.size());
  finish(t, off + b.size());
  ASSERT_EQ(t.m.nindex, 1u);
  EXPECT_EQ(t.m.index[0].pc, pc);
  Stack s;
  s.w[5] = 0x777;
  UnwindCursor c0 = s.cursor(pc + 4, 4), out;
  ASSERT_EQ(step(t, pc + 4, c0, &out), UnwindStop::none);
  EXPECT_EQ(out.pc, 0x777u);
}

TEST(Dwarf, SignalFrameAugmentationMakesTheCallerExact) {
  Table t;
  CieSpec c;
  c.aug = "zRS";
  c.insns = plain_cie_insns();
  std::size_t off = emit_cie(t, 0, c);
  off = emit_fde(t, off, FdeSpec(0));
  finish(t, off);
  Stack s;
  s.w[3] = 0x5000;
  UnwindCursor c0 = s.cursor(0x1004, 2), out;
  ASSERT_EQ(step(t, 0x1004, c0, &out), UnwindStop::none);
  EXPECT_TRUE(out.exact);
}

// A prologue as GCC writes it, and what every row gives.
TEST(Dwarf, RowsFollowThePcThroughAPrologue) {
  Table t;
  CieSpec c;
  c.insns.u8(0x0c).uleb(SP).uleb(P);  // at entry: CFA = sp + P (x86-like)
  offset(c.insns, RA, 1);             // RA at CFA - P
  std::size_t off = emit_cie(t, 0, c);
  FdeSpec f(0);
  f.insns.u8(0x41);                    // advance 1 -> 0x1001
  f.insns.u8(0x0e).uleb(2 * P);        // def_cfa_offset 2P
  f.insns.u8(0x80 | FP).uleb(2);       // FP at CFA - 2P
  f.insns.u8(0x02).u8(3);              // advance_loc1 3 -> 0x1004
  f.insns.u8(0x0d).uleb(FP);           // def_cfa_register FP
  f.insns.u8(0x03).fixed<std::uint16_t>(0x10);  // advance_loc2 -> 0x1014
  f.insns.u8(0x0a);                    // remember_state
  f.insns.u8(0x0c).uleb(SP).uleb(P);   // def_cfa sp, P (an early return)
  f.insns.u8(0xc0 | FP);               // restore FP: the CIE's rule (same value)
  f.insns.u8(0x04).fixed<std::uint32_t>(4);  // advance_loc4 -> 0x1018
  f.insns.u8(0x0b);                    // restore_state
  off = emit_fde(t, off, f);
  finish(t, off);

  Stack s;
  s.w[20] = 0x1111;  // return address
  s.w[19] = s.addr(40);  // saved FP
  UnwindCursor out;
  // At entry: CFA = &w[20] + P... sp = &w[20], RA at sp.
  UnwindCursor c0 = s.cursor(0x1000, 20);
  c0.set(FP, 0xf0f0);
  c0.exact = true;
  ASSERT_EQ(step(t, 0x1000, c0, &out), UnwindStop::none);
  EXPECT_EQ(out.pc, 0x1111u);
  EXPECT_EQ(out.sp(), s.addr(21) - kCfaOff);
  EXPECT_EQ(out.regs[FP], 0xf0f0u);
  // After the push of FP: sp = &w[19].
  UnwindCursor c1 = s.cursor(0x1001, 19);
  c1.set(FP, 0xf0f0);
  ASSERT_EQ(step(t, 0x1002, c1, &out), UnwindStop::none);
  EXPECT_EQ(out.pc, 0x1111u);
  EXPECT_EQ(out.sp(), s.addr(21) - kCfaOff);
  EXPECT_EQ(out.regs[FP], s.addr(40));
  // In the body: CFA from FP (= &w[19]), sp anywhere below.
  UnwindCursor c2 = s.cursor(0x1010, 4);
  c2.set(FP, s.addr(19));
  ASSERT_EQ(step(t, 0x1010, c2, &out), UnwindStop::none);
  EXPECT_EQ(out.pc, 0x1111u);
  EXPECT_EQ(out.sp(), s.addr(21) - kCfaOff);
  EXPECT_EQ(out.regs[FP], s.addr(40));
  // In the early return (remembered state changed): CFA = sp + P, FP as is.
  UnwindCursor c3 = s.cursor(0x1015, 20);
  c3.set(FP, 0xabc);
  ASSERT_EQ(step(t, 0x1015, c3, &out), UnwindStop::none);
  EXPECT_EQ(out.sp(), s.addr(21) - kCfaOff);
  EXPECT_EQ(out.regs[FP], 0xabcu);
  // After restore_state: the FP-based row again.
  UnwindCursor c4 = s.cursor(0x1020, 4);
  c4.set(FP, s.addr(19));
  ASSERT_EQ(step(t, 0x1020, c4, &out), UnwindStop::none);
  EXPECT_EQ(out.sp(), s.addr(21) - kCfaOff);
  EXPECT_EQ(out.regs[FP], s.addr(40));
}

TEST(Dwarf, RegisterRulesOfEveryKind) {
  Table t;
  CieSpec c;
  c.version = 3;  // return-address register as ULEB128
  c.insns = plain_cie_insns();
  std::size_t off = emit_cie(t, 0, c);
  FdeSpec f(0);
  f.insns.u8(0x05).uleb(R).uleb(3);             // offset_extended R, CFA - 3P
  f.insns.u8(0x09).uleb(FP).uleb(R);            // register FP <- R (the callee's)
  f.insns.u8(0x2e).uleb(32);                    // GNU_args_size (ignored)
  f.insns.u8(0x00);                             // nop
  f.insns.u8(0x41);                             // advance -> 0x1001
  f.insns.u8(0x11).uleb(R).sleb(4);             // offset_extended_sf R, CFA - 4P
  f.insns.u8(0x14).uleb(FP).uleb(2);            // val_offset FP = CFA - 2P
  f.insns.u8(0x41);                             // -> 0x1002
  f.insns.u8(0x15).uleb(FP).sleb(-1);           // val_offset_sf FP = CFA + P
  f.insns.u8(0x2f).uleb(R).uleb(5);             // GNU_negative_offset_extended R at CFA + 5P
  f.insns.u8(0x41);                             // -> 0x1003
  f.insns.u8(0x06).uleb(R);                     // restore_extended R (CIE: unspecified)
  f.insns.u8(0x08).uleb(FP);                    // same_value FP
  f.insns.u8(0x12).uleb(SP).sleb(-4);           // def_cfa_sf sp, 4P
  f.insns.u8(0x41);                             // -> 0x1004
  f.insns.u8(0x13).sleb(-6);                    // def_cfa_offset_sf 6P
  f.insns.u8(0x07).uleb(R);                     // undefined R
  offset(f.insns, RA, 1);                       // RA at CFA - P
  off = emit_fde(t, off, f);
  finish(t, off);
  Stack s;
  for (int i = 0; i < 64; ++i) s.w[i] = 0x100 + i;
  UnwindCursor out;
  // 0x1000: CFA = &w[10] + 2P = &w[12].
  UnwindCursor c0 = s.cursor(0x1000, 10);
  c0.set(R, 0x33);
  c0.set(FP, 0x66);
  c0.exact = true;
  ASSERT_EQ(step(t, 0x1000, c0, &out), UnwindStop::none);
  EXPECT_EQ(out.pc, 0x100u + 11);
  EXPECT_EQ(out.regs[R], 0x100u + 9);  // CFA - 3P
  EXPECT_EQ(out.regs[FP], 0x33u);      // the callee's R
  ASSERT_EQ(step(t, 0x1001, c0, &out), UnwindStop::none);
  EXPECT_EQ(out.regs[R], 0x100u + 8);  // CFA - 4P
  EXPECT_EQ(out.regs[FP], s.addr(10));  // CFA - 2P, the value
  ASSERT_EQ(step(t, 0x1002, c0, &out), UnwindStop::none);
  EXPECT_EQ(out.regs[FP], s.addr(13));   // CFA + P
  EXPECT_EQ(out.regs[R], 0x100u + 17);   // CFA + 5P
  ASSERT_EQ(step(t, 0x1003, c0, &out), UnwindStop::none);
  EXPECT_EQ(out.sp(), s.addr(14) - kCfaOff);       // CFA = sp + 4P
  EXPECT_EQ(out.regs[R], 0x33u);         // unspecified: the callee's
  EXPECT_EQ(out.regs[FP], 0x66u);        // same value
  EXPECT_EQ(out.pc, 0x100u + 13);
  ASSERT_EQ(step(t, 0x1004, c0, &out), UnwindStop::none);
  EXPECT_EQ(out.sp(), s.addr(16) - kCfaOff);       // CFA = sp + 6P
  EXPECT_FALSE(out.has(R));              // undefined
  EXPECT_EQ(out.pc, 0x100u + 15);
}

TEST(Dwarf, ExpressionsAsInSignalFramesAndPltStubs) {
  Table t;
  CieSpec c;
  c.insns = plain_cie_insns();
  std::size_t off = emit_cie(t, 0, c);
  FdeSpec f(0);
  // A signal frame (glibc's __restore_rt): CFA = *(sp + 4P); R = *(sp + 2P);
  // RA = *(sp + 3P).
  Bytes e;
  e.u8(0x70 + SP).sleb(4 * P).u8(0x06);  // breg sp, 4P; deref
  f.insns.u8(0x0f).uleb(e.size()).add(e);
  Bytes er;
  er.u8(0x70 + SP).sleb(2 * P);  // breg sp, 2P
  f.insns.u8(0x10).uleb(R).uleb(er.size()).add(er);
  Bytes era;
  era.u8(0x92).uleb(SP).sleb(3 * P);  // bregx sp, 3P
  f.insns.u8(0x10).uleb(RA).uleb(era.size()).add(era);
  // FP = CFA + 8 through val_expression with arithmetic and a branch.
  Bytes ev;
  ev.u8(0x9c);                          // call_frame_cfa
  ev.u8(0x38);                          // lit8
  ev.u8(0x22);                          // plus
  ev.u8(0x31);                          // lit1
  ev.u8(0x28).fixed<std::int16_t>(1);   // bra +1 (taken)
  ev.u8(0x1f);                          // neg (skipped)
  ev.u8(0x31).u8(0x08).u8(0x0f).u8(0x1a);  // lit1; const1u 15; and -> 1
  ev.u8(0x13);                          // drop
  f.insns.u8(0x16).uleb(FP).uleb(ev.size()).add(ev);
  f.insns.u8(0x41);  // -> 0x1001: a PLT stub's CFA: sp + P + ((pc & 15) >= 11) << 3
  Bytes plt;
  plt.u8(0x70 + SP).sleb(P).u8(0x70 + R).sleb(0).u8(0x3f).u8(0x1a).u8(0x3b).u8(0x2a).u8(0x33).u8(0x24).u8(0x22);
  f.insns.u8(0x0f).uleb(plt.size()).add(plt);
  offset(f.insns, RA, 1);
  f.insns.u8(0x07).uleb(R);
  f.insns.u8(0x07).uleb(FP);
  off = emit_fde(t, off, f);
  finish(t, off);
  Stack s;
  s.w[14] = s.addr(30);  // the saved sp (CFA)
  s.w[12] = 0x12;        // R's slot
  s.w[13] = 0x3456;      // the interrupted pc
  UnwindCursor c0 = s.cursor(0x1000, 10), out;
  c0.exact = true;
  ASSERT_EQ(step(t, 0x1000, c0, &out), UnwindStop::none);
  EXPECT_EQ(out.sp(), s.addr(30) - kCfaOff);
  EXPECT_EQ(out.pc, 0x3456u);
  EXPECT_EQ(out.regs[R], 0x12u);  // expression: the value at the address it computes
  EXPECT_EQ(out.regs[FP], s.addr(30) + 8);
  // The PLT row: (pc & 15) >= 11 adds 8.
  s.w[20] = 0x999;
  for (std::uintptr_t low : {3u, 12u}) {
    UnwindCursor cp = s.cursor(0x1001, 19);
    cp.set(R, 0x2000 + low);  // stands for the pc register in the expression
    ASSERT_EQ(step(t, 0x1001, cp, &out), UnwindStop::none);
    std::uintptr_t cfa = s.addr(19) + P + (low >= 11 ? 8 : 0);
    EXPECT_EQ(out.sp(), cfa - kCfaOff) << low;
  }
}

// The caller's sp: the CFA less GORT_DWARF_CFA_OFFSET where sp's rule is
// unspecified (a leaf interrupted by a signal: on s390x the CFA is the
// caller's r15 + 160, and taking the CFA for r15 puts every later frame 160
// bytes off), and what the rule says where there is one.
TEST(Dwarf, CallersSpIsTheCfaLessTheAbisOffsetUnlessItsRuleSays) {
  Table t;
  CieSpec c;
  c.insns = plain_cie_insns();
  std::size_t off = emit_cie(t, 0, c);
  FdeSpec f(0);
  f.insns.u8(0x41);                   // -> 0x1001
  offset(f.insns, SP, 2);             // sp saved at CFA - 2P
  f.insns.u8(0x41);                   // -> 0x1002
  f.insns.u8(0x14).uleb(SP).uleb(0);  // val_offset sp = CFA
  off = emit_fde(t, off, f);
  finish(t, off);
  Stack s;
  s.w[11] = 0x4242;          // RA at CFA - P; CFA = &w[12]
  s.w[10] = s.addr(40);      // sp's slot, CFA - 2P
  UnwindCursor c0 = s.cursor(0x1000, 10), out;
  c0.exact = true;
  ASSERT_EQ(step(t, 0x1000, c0, &out), UnwindStop::none);
  EXPECT_EQ(out.sp(), s.addr(12) - kCfaOff);
  EXPECT_EQ(out.pc, 0x4242u);
  ASSERT_EQ(step(t, 0x1001, c0, &out), UnwindStop::none);
  EXPECT_EQ(out.sp(), s.addr(40));
  ASSERT_EQ(step(t, 0x1002, c0, &out), UnwindStop::none);
  EXPECT_EQ(out.sp(), s.addr(12));
}

TEST(Dwarf, UndefinedReturnAddressIsTheEnd) {
  Table t;
  CieSpec c;
  c.insns = plain_cie_insns();
  std::size_t off = emit_cie(t, 0, c);
  FdeSpec f(0);
  f.insns.u8(0x07).uleb(RA);
  off = emit_fde(t, off, f);
  finish(t, off);
  Stack s;
  UnwindCursor c0 = s.cursor(0x1004, 4), out;
  EXPECT_EQ(step(t, 0x1004, c0, &out), UnwindStop::end);
}

TEST(Dwarf, UnsupportedOrMalformedStopsCleanly) {
  struct Case {
    const char* what;
    Bytes insns;
  };
  std::vector<Case> cases;
  cases.push_back({"unknown CFA op", Bytes{}.u8(0x3f)});
  cases.push_back({"unknown DW_OP", Bytes{}.u8(0x0f).uleb(1).u8(0x90)});
  cases.push_back({"DW_OP_deref on an empty stack", Bytes{}.u8(0x0f).uleb(1).u8(0x06)});
  cases.push_back({"restore_state without remember", Bytes{}.u8(0x0b)});
  cases.push_back({"remember_state too deep", Bytes{}.u8(0x0a).u8(0x0a).u8(0x0a).u8(0x0a).u8(0x0a)});
  cases.push_back({"expression running past its end", Bytes{}.u8(0x0f).uleb(40).u8(0x30)});
  cases.push_back({"a branch out of the expression", Bytes{}.u8(0x0f).uleb(3).u8(0x2f).fixed<std::int16_t>(-100)});
  cases.push_back({"an endless loop", Bytes{}.u8(0x0f).uleb(3).u8(0x2f).fixed<std::int16_t>(-3)});
  cases.push_back({"CFA from an untracked register", Bytes{}.u8(0x0c).uleb(200).uleb(0)});
  for (auto& k : cases) {
    Table t;
    CieSpec c;
    c.insns = plain_cie_insns();
    std::size_t off = emit_cie(t, 0, c);
    FdeSpec f(0);
    f.insns = k.insns;
    off = emit_fde(t, off, f);
    finish(t, off);
    Stack s;
    UnwindCursor c0 = s.cursor(0x1004, 4), out;
    EXPECT_EQ(step(t, 0x1004, c0, &out), UnwindStop::bad_table) << k.what;
  }
}

TEST(Dwarf, ReadsOutsideTheRangesStop) {
  Table t;
  CieSpec c;
  c.insns = plain_cie_insns();
  std::size_t off = emit_cie(t, 0, c);
  off = emit_fde(t, off, FdeSpec(0));
  finish(t, off);
  Stack s;
  UnwindCursor c0 = s.cursor(0x1004, 63), out;  // RA would be at w[64]: past the range
  EXPECT_EQ(step(t, 0x1004, c0, &out), UnwindStop::bad_read);
  // A deref outside the ranges, in an expression.
  Table t2;
  std::size_t off2 = emit_cie(t2, 0, c);
  FdeSpec f(0);
  Bytes e;
  e.u8(0x70 + SP).sleb(-64 * P).u8(0x06);
  f.insns.u8(0x0f).uleb(e.size()).add(e);
  off2 = emit_fde(t2, off2, f);
  finish(t2, off2);
  UnwindCursor c1 = s.cursor(0x1004, 10);
  EXPECT_EQ(step(t2, 0x1004, c1, &out), UnwindStop::bad_read);
}

TEST(Dwarf, TablesAreReadOnlyInsideTheirSegments) {
  Table t;
  CieSpec c;
  c.insns = plain_cie_insns();
  std::size_t off = emit_cie(t, 0, c);
  FdeSpec f(0);
  off = emit_fde(t, off, f);
  finish(t, off);
  // Make the FDE's length run past the segment: no read beyond it.
  Module m = t.m;
  std::uint32_t big = 0x100000;
  std::size_t fde_at = m.index[0].entry - t.base();
  std::memcpy(t.mem + fde_at, &big, 4);
  Stack s;
  UnwindCursor c0 = s.cursor(0x1004, 4), out = c0;
  EXPECT_EQ(rt::unw::frame_step(m, 0x1004, c0, &out), UnwindStop::bad_table);
}

// An .eh_frame_hdr search table over three FDEs.
TEST(Dwarf, EhFrameHdrBinarySearch) {
  Table t;
  CieSpec c;
  c.fde_enc = 0x1b;  // pcrel sdata4
  c.insns = plain_cie_insns();
  std::size_t off = emit_cie(t, 0, c);
  std::uintptr_t pcs[3] = {t.base() + 0x100000, t.base() + 0x100100, t.base() + 0x100300};
  std::size_t fdes[3];
  for (int i = 0; i < 3; ++i) {
    FdeSpec f(0);
    f.fde_enc = 0x1b;
    f.pc_begin = pcs[i];
    f.pc_range = 0x80;
    f.insns.u8(0x0e).uleb((2 + i) * P);  // each its own CFA offset
    fdes[i] = off;
    off = emit_fde(t, off, f);
  }
  std::memset(t.mem + off, 0, 4);
  std::size_t hdr = (off + 4 + 15) & ~std::size_t(15);
  Bytes h;
  h.u8(1).u8(0x1b).u8(0x03).u8(0x3b);  // version, eh_frame_ptr pcrel sdata4, count udata4, table datarel sdata4
  h.fixed<std::int32_t>(static_cast<std::int32_t>(t.base() - t.at(hdr + 4)));
  h.fixed<std::uint32_t>(3);
  for (int i = 0; i < 3; ++i) {
    h.fixed<std::int32_t>(static_cast<std::int32_t>(pcs[i] - t.at(hdr)));
    h.fixed<std::int32_t>(static_cast<std::int32_t>(t.at(fdes[i]) - t.at(hdr)));
  }
  std::memcpy(t.mem + hdr, h.b.data(), h.size());
  t.m.eh_frame_hdr = Span{t.at(hdr), t.at(hdr + h.size())};
  rt::unw::frame_prepare(t.m);
  ASSERT_EQ(t.m.lookup_count, 3u);
  EXPECT_EQ(t.m.index, nullptr);
  Stack s;
  for (int i = 0; i < 3; ++i) s.w[10 + 2 + i - 1] = 0x500 + i;
  UnwindCursor out;
  for (int i = 0; i < 3; ++i) {
    UnwindCursor c0 = s.cursor(pcs[i] + 8, 10);
    ASSERT_EQ(step(t, pcs[i] + 8, c0, &out), UnwindStop::none) << i;
    EXPECT_EQ(out.sp(), s.addr(10 + 2 + i) - kCfaOff) << i;
    EXPECT_EQ(out.pc, 0x500u + i) << i;
  }
  UnwindCursor c0 = s.cursor(0, 10);
  EXPECT_EQ(step(t, pcs[0] - 1, c0, &out), UnwindStop::no_info);
  EXPECT_EQ(step(t, pcs[1] + 0x80, c0, &out), UnwindStop::no_info);  // the gap
}

// The real program: the index built from .eh_frame finds what the
// linker's .eh_frame_hdr finds, for every function.
TEST(Dwarf, IndexAgreesWithTheLinkersTable) {
  const Module* m = rt::unw::module_for_pc(reinterpret_cast<std::uintptr_t>(&rt::unwind_step));
  ASSERT_NE(m, nullptr);
  if (m->eh_frame_hdr.empty())
    GTEST_SKIP() << "no .eh_frame_hdr (a static link): walks use the index already";
  ASSERT_FALSE(m->eh_frame.empty()) << ".eh_frame not found in the section headers";
  ASSERT_NE(m->lookup_table, 0u);
  Module idx = *m;
  idx.eh_frame_hdr = Span{};
  idx.lookup_table = 0;
  idx.lookup_count = 0;
  idx.index = nullptr;
  rt::unw::frame_prepare(idx);
  struct FreeIndex {
    Module& m;
    ~FreeIndex() { delete[] m.index; }
  } free_index{idx};
  EXPECT_EQ(idx.nindex, m->lookup_count);
  Stack s;
  for (int i = 0; i < 64; ++i) s.w[i] = s.addr(i);
  int compared = 0;
  for (std::size_t i = 0; i < m->nfuncs; ++i) {
    std::uintptr_t pc = m->funcs[i].addr + m->funcs[i].size / 2;
    UnwindCursor c = s.cursor(pc, 8);
    for (int r = 0; r < GORT_DWARF_NREGS; ++r) c.set(r, s.addr(16 + r % 32));
    c.set(SP, s.addr(8));
    UnwindCursor a = c, b = c;
    UnwindStop wa = rt::unw::frame_step(*m, pc, c, &a);
    UnwindStop wb = rt::unw::frame_step(idx, pc, c, &b);
    ASSERT_EQ(wa, wb) << m->funcs[i].name;
    if (wa == UnwindStop::none) {
      ASSERT_EQ(a.pc, b.pc) << m->funcs[i].name;
      ASSERT_EQ(a.sp(), b.sp()) << m->funcs[i].name;
    }
    ++compared;
  }
  EXPECT_GT(compared, 100);
}

}  // namespace
}  // namespace gort::test
