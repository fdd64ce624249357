// unwind_dwarf.cpp: the DWARF CFI strategy of gort's unwinder
// (unwind_impl.hpp): frames from .eh_frame, found through .eh_frame_hdr's
// binary-search table, or through an index built at init when the object
// has no .eh_frame_hdr (GCC links static programs without one).
//
// A step: find the FDE holding the pc, run its CIE's initial instructions
// and then its own up to the pc, which gives the row of rules: how to
// compute the CFA (the caller's sp) and where each register of the caller
// is. The return-address column's value is the caller's pc.
//
// Supported: CIE versions 1, 3, 4; augmentations z, R, P, L, S (and B, G,
// which only mark frames); every pointer encoding (absptr, uleb128,
// udata2/4/8, sleb128, sdata2/4/8; pcrel, textrel, datarel, funcrel,
// aligned; indirect); every DW_CFA_* of DWARF 5 but the register rules of
// registers gort does not track (ignored) and DW_CFA_GNU_window_save
// (SPARC; on AArch64 the same number is negate_ra_state, supported where
// gort_arch.h gives GORT_DWARF_PAC_VA_BITS); DW_OP_* for the expressions
// real code uses: constants, breg/bregx, deref/deref_size, stack and
// arithmetic operators, comparisons, branches, call_frame_cfa. Anything
// else ends the walk (UnwindStop::bad_table), never a guess.
//
// Everything but frame_prepare runs in signal handlers: no allocation, no
// lock, and every read of the tables is bounds-checked against the
// object's loaded segments, every read of the stack against the cursor's
// ranges.
#include <algorithm>
#include <cstring>
#include <vector>

#include "unwind_impl.hpp"

#if defined(GORT_UNWIND_EHABI) && GORT_UNWIND_EHABI
#error "gort_arch.h says GORT_UNWIND_EHABI: CMake should build arch/arm/unwind_ehabi.cpp, not this file"
#endif

namespace gort::rt::unw {

namespace {

// Pointer encodings (DW_EH_PE_*).
enum : std::uint8_t {
  kPeAbsptr = 0x00,
  kPeUleb128 = 0x01,
  kPeUdata2 = 0x02,
  kPeUdata4 = 0x03,
  kPeUdata8 = 0x04,
  kPeSleb128 = 0x09,
  kPeSdata2 = 0x0a,
  kPeSdata4 = 0x0b,
  kPeSdata8 = 0x0c,
  kPePcrel = 0x10,
  kPeTextrel = 0x20,
  kPeDatarel = 0x30,
  kPeFuncrel = 0x40,
  kPeAligned = 0x50,
  kPeIndirect = 0x80,
  kPeOmit = 0xff,
};

constexpr int kMaxRemember = 4;   // DW_CFA_remember_state depth
constexpr int kExprStack = 32;    // DW_OP evaluation stack
constexpr int kExprSteps = 512;   // DW_OP instructions per evaluation (branches may loop)

// Reader: bytes of an unwind table in [p, end), end being the end of the
// loaded segment (or section) the table lies in. A read past end clears ok
// and returns 0; callers check ok once at the end of a parse.
struct Reader {
  const std::uint8_t* p;
  const std::uint8_t* end;
  bool ok = true;

  Reader(std::uintptr_t a, std::uintptr_t e)
      : p(reinterpret_cast<const std::uint8_t*>(a)), end(reinterpret_cast<const std::uint8_t*>(e)) {
    if (a > e) ok = false;
  }
  std::uintptr_t addr() const { return reinterpret_cast<std::uintptr_t>(p); }
  bool need(std::size_t n) {
    if (!ok || static_cast<std::size_t>(end - p) < n) {
      ok = false;
      return false;
    }
    return true;
  }
  template <class T>
  T fixed() {
    T v{};
    if (!need(sizeof v)) return T{};
    std::memcpy(&v, p, sizeof v);
    p += sizeof v;
    return v;
  }
  std::uint8_t u8() { return fixed<std::uint8_t>(); }
  std::uint64_t uleb() {
    std::uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
      if (!need(1)) return 0;
      std::uint8_t b = *p++;
      if (shift < 64) v |= std::uint64_t(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
  }
  std::int64_t sleb() {
    std::uint64_t v = 0;
    int shift = 0;
    std::uint8_t b;
    do {
      if (!need(1)) return 0;
      b = *p++;
      if (shift < 64) v |= std::uint64_t(b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    if (shift < 64 && (b & 0x40)) v |= ~std::uint64_t(0) << shift;
    return static_cast<std::int64_t>(v);
  }
  void skip(std::uint64_t n) {
    if (!need(n)) return;
    p += n;
  }
};

// Bases of the relative encodings.
struct Bases {
  std::uintptr_t text = 0;
  std::uintptr_t data = 0;
  std::uintptr_t func = 0;
};

// read_encoded: a pointer in encoding enc (not kPeOmit). Indirect pointers
// are read from m's segments only.
std::uintptr_t read_encoded(Reader& r, std::uint8_t enc, const Bases& b, const Module& m) {
  std::uintptr_t field = r.addr();
  if ((enc & 0x70) == kPeAligned) {
    std::uintptr_t a = (field + sizeof(void*) - 1) & ~(sizeof(void*) - 1);
    r.skip(a - field);
    field = r.addr();
    enc = kPeAbsptr;
  }
  std::uintptr_t v = 0;
  switch (enc & 0x0f) {
    case kPeAbsptr: v = r.fixed<std::uintptr_t>(); break;
    case kPeUleb128: v = static_cast<std::uintptr_t>(r.uleb()); break;
    case kPeUdata2: v = r.fixed<std::uint16_t>(); break;
    case kPeUdata4: v = r.fixed<std::uint32_t>(); break;
    case kPeUdata8: v = static_cast<std::uintptr_t>(r.fixed<std::uint64_t>()); break;
    case kPeSleb128: v = static_cast<std::uintptr_t>(r.sleb()); break;
    case kPeSdata2: v = static_cast<std::uintptr_t>(static_cast<std::intptr_t>(r.fixed<std::int16_t>())); break;
    case kPeSdata4: v = static_cast<std::uintptr_t>(static_cast<std::intptr_t>(r.fixed<std::int32_t>())); break;
    case kPeSdata8: v = static_cast<std::uintptr_t>(r.fixed<std::int64_t>()); break;
    default: r.ok = false; return 0;
  }
  switch (enc & 0x70) {
    case kPeAbsptr: break;
    case kPePcrel: v += field; break;
    case kPeTextrel:
      if (b.text == 0) r.ok = false;
      v += b.text;
      break;
    case kPeDatarel:
      if (b.data == 0) r.ok = false;
      v += b.data;
      break;
    case kPeFuncrel:
      if (b.func == 0) r.ok = false;
      v += b.func;
      break;
    default: r.ok = false; return 0;
  }
  if (r.ok && (enc & kPeIndirect)) {
    std::uintptr_t target = 0;
    if (!read_table(m, v, &target, sizeof target)) r.ok = false;
    v = target;
  }
  return v;
}

// encoded_size: bytes of a fixed-size encoding, 0 for the LEB128 ones.
std::size_t encoded_size(std::uint8_t enc) {
  switch (enc & 0x0f) {
    case kPeAbsptr: return sizeof(void*);
    case kPeUdata2: case kPeSdata2: return 2;
    case kPeUdata4: case kPeSdata4: return 4;
    case kPeUdata8: case kPeSdata8: return 8;
    default: return 0;
  }
}

struct Cie {
  std::uint64_t code_align = 1;
  std::int64_t data_align = 1;
  std::uint64_t ra = 0;
  std::uint8_t fde_enc = kPeAbsptr;
  bool aug_z = false;
  bool signal = false;
  std::uintptr_t insns = 0, insns_end = 0;
};

struct Fde {
  Cie cie;
  std::uintptr_t pc_begin = 0, pc_end = 0;
  std::uintptr_t insns = 0, insns_end = 0;
};

// The span unwind tables of m are read from: .eh_frame if known, or the
// loaded segment holding addr.
Span table_span(const Module& m, std::uintptr_t addr) {
  if (m.eh_frame.holds(addr, 1)) return m.eh_frame;
  return m.segment(addr, 1);
}

bool parse_cie(const Module& m, std::uintptr_t at, Cie* c) {
  Span s = table_span(m, at);
  if (s.empty()) return false;
  Reader r(at, s.hi);
  std::uint32_t len = r.fixed<std::uint32_t>();
  if (!r.ok || len == 0 || len == 0xffffffff) return false;  // 64-bit DWARF: not in .eh_frame
  if (!s.holds(r.addr(), len)) return false;
  std::uintptr_t end = r.addr() + len;
  r.end = reinterpret_cast<const std::uint8_t*>(end);
  if (r.fixed<std::uint32_t>() != 0) return false;  // not a CIE
  std::uint8_t version = r.u8();
  if (version != 1 && version != 3 && version != 4) return false;
  const char* aug = reinterpret_cast<const char*>(r.p);
  std::size_t auglen = 0;
  while (r.need(1) && *r.p != 0) ++r.p, ++auglen;
  r.skip(1);
  if (version == 4) {
    if (r.u8() != sizeof(void*)) return false;  // address size
    if (r.u8() != 0) return false;              // segment selector size
  }
  c->code_align = r.uleb();
  c->data_align = r.sleb();
  c->ra = version == 1 ? r.u8() : r.uleb();
  if (!r.ok) return false;
  std::uintptr_t aug_end = 0;
  for (std::size_t i = 0; i < auglen; ++i) {
    char ch = aug[i];
    if (i == 0 && ch == 'z') {
      c->aug_z = true;
      std::uint64_t n = r.uleb();
      aug_end = r.addr() + n;
      if (!r.ok || aug_end > end || aug_end < r.addr()) return false;
    } else if (ch == 'R') {
      c->fde_enc = r.u8();
    } else if (ch == 'P') {
      std::uint8_t enc = r.u8();
      // The personality routine: only its size matters here. Indirect
      // ones point into the GOT, which is not read.
      Bases b{m.text_base, m.data_base, 0};
      read_encoded(r, static_cast<std::uint8_t>(enc & ~kPeIndirect), b, m);
    } else if (ch == 'L') {
      r.u8();  // the LSDA's encoding, for the FDE's augmentation data
    } else if (ch == 'S') {
      c->signal = true;
    } else if (ch == 'B' || ch == 'G') {
      // AArch64 pointer-authentication key B, memory-tagged frames: marks.
    } else if (c->aug_z) {
      break;  // unknown, but 'z' says where the data ends
    } else {
      return false;
    }
  }
  if (!r.ok) return false;
  if (c->aug_z) r.p = reinterpret_cast<const std::uint8_t*>(aug_end);
  c->insns = r.addr();
  c->insns_end = end;
  return true;
}

// parse_fde: the FDE at `at` and its CIE.
bool parse_fde(const Module& m, std::uintptr_t at, Fde* f) {
  Span s = table_span(m, at);
  if (s.empty()) return false;
  Reader r(at, s.hi);
  std::uint32_t len = r.fixed<std::uint32_t>();
  if (!r.ok || len == 0 || len == 0xffffffff) return false;
  if (!s.holds(r.addr(), len)) return false;
  std::uintptr_t end = r.addr() + len;
  r.end = reinterpret_cast<const std::uint8_t*>(end);
  std::uintptr_t id_field = r.addr();
  std::uint32_t cie_delta = r.fixed<std::uint32_t>();
  if (!r.ok || cie_delta == 0 || cie_delta > id_field) return false;  // a CIE, or nonsense
  if (!parse_cie(m, id_field - cie_delta, &f->cie)) return false;
  Bases b{m.text_base, m.data_base, 0};
  f->pc_begin = read_encoded(r, f->cie.fde_enc, b, m);
  // The range: same format, no base.
  std::uintptr_t range = read_encoded(r, static_cast<std::uint8_t>(f->cie.fde_enc & 0x0f), b, m);
  if (f->cie.aug_z) r.skip(r.uleb());
  if (!r.ok) return false;
  f->pc_end = f->pc_begin + range;
  f->insns = r.addr();
  f->insns_end = end;
  return true;
}

// ---------------------------------------------------------------------------
// Rules.

enum class How : std::uint8_t { unspec, undef, same, offset, val_offset, reg, expr, val_expr };

// Rule and Row are plain data (no member initializers): the remember
// stack below is left uninitialized, and Row{} is all How::unspec. A rule
// is 8 bytes (rows are copied at every step): an expression is kept as its
// offset from the FDE.
struct Rule {
  std::int32_t v;  // offset, register, or the expression's offset from the FDE
  std::uint16_t len;
  How how;
};

enum class CfaHow : std::uint8_t { none, reg_off, expr };

struct Row {
  Rule regs[kUnwindRegs];
  CfaHow cfa;
  std::uint32_t cfa_len;
  std::uint64_t cfa_reg;
  std::intptr_t cfa_off;  // or the expression's address
  bool ra_signed;
};
static_assert(static_cast<int>(How::unspec) == 0 && static_cast<int>(CfaHow::none) == 0, "Row{} is empty");

struct Program {
  const Module& m;
  const Cie& cie;
  std::uintptr_t fde;  // expressions are kept relative to it
  std::uintptr_t pc_begin;
  std::uintptr_t target;  // run rows while their location <= target
  const Row* initial;     // the CIE's row, for DW_CFA_restore; nullptr while running the CIE
};

// set_rule: false if the rule does not fit a Rule (no real table's does not).
bool set_rule(Row& row, std::uint64_t reg, How how, std::int64_t v, std::uint64_t len = 0) {
  if (reg >= static_cast<std::uint64_t>(kUnwindRegs)) return true;  // a register gort does not track
  if (v != static_cast<std::int32_t>(v) || len > 0xffff) return false;
  row.regs[reg] = Rule{static_cast<std::int32_t>(v), static_cast<std::uint16_t>(len), how};
  return true;
}

// execute: run a CFA program over row. UnwindStop::none if it ran (or
// stopped at the target location).
UnwindStop execute(const Program& pg, std::uintptr_t insns, std::uintptr_t end, Row& row) {
  Row stack[kMaxRemember];
  int depth = 0;
  std::uintptr_t loc = pg.pc_begin;
  Reader r(insns, end);
  const std::uint64_t ca = pg.cie.code_align;
  const std::int64_t da = pg.cie.data_align;
  auto advance = [&](std::uint64_t delta) {
    loc += static_cast<std::uintptr_t>(delta * ca);
    return loc <= pg.target;
  };
  while (r.ok && r.p < r.end) {
    std::uint8_t op = r.u8();
    std::uint8_t low = op & 0x3f;
    switch (op & 0xc0) {
      case 0x40:  // DW_CFA_advance_loc
        if (!advance(low)) return UnwindStop::none;
        continue;
      case 0x80:  // DW_CFA_offset
        if (!set_rule(row, low, How::offset, static_cast<std::int64_t>(r.uleb()) * da)) return UnwindStop::bad_table;
        continue;
      case 0xc0:  // DW_CFA_restore
        if (pg.initial == nullptr) return UnwindStop::bad_table;
        if (low < kUnwindRegs) row.regs[low] = pg.initial->regs[low];
        continue;
      default: break;
    }
    switch (op) {
      case 0x00: break;  // DW_CFA_nop
      case 0x01: {       // DW_CFA_set_loc
        Bases b{pg.m.text_base, pg.m.data_base, pg.pc_begin};
        std::uintptr_t to = read_encoded(r, pg.cie.fde_enc, b, pg.m);
        if (!r.ok) return UnwindStop::bad_table;
        loc = to;
        if (loc > pg.target) return UnwindStop::none;
        break;
      }
      case 0x02: if (!advance(r.u8())) return UnwindStop::none; break;
      case 0x03: if (!advance(r.fixed<std::uint16_t>())) return UnwindStop::none; break;
      case 0x04: if (!advance(r.fixed<std::uint32_t>())) return UnwindStop::none; break;
      case 0x05: {  // DW_CFA_offset_extended
        std::uint64_t reg = r.uleb();
        if (!set_rule(row, reg, How::offset, static_cast<std::int64_t>(r.uleb()) * da)) return UnwindStop::bad_table;
        break;
      }
      case 0x06: {  // DW_CFA_restore_extended
        std::uint64_t reg = r.uleb();
        if (pg.initial == nullptr) return UnwindStop::bad_table;
        if (reg < static_cast<std::uint64_t>(kUnwindRegs)) row.regs[reg] = pg.initial->regs[reg];
        break;
      }
      case 0x07: set_rule(row, r.uleb(), How::undef, 0); break;  // DW_CFA_undefined
      case 0x08: set_rule(row, r.uleb(), How::same, 0); break;   // DW_CFA_same_value
      case 0x09: {  // DW_CFA_register
        std::uint64_t reg = r.uleb();
        std::uint64_t from = r.uleb();
        if (!set_rule(row, reg, How::reg, from >= static_cast<std::uint64_t>(kUnwindRegs) ? -1 : static_cast<std::int64_t>(from)))
          return UnwindStop::bad_table;
        break;
      }
      case 0x0a:  // DW_CFA_remember_state (the CFA rule too, as GCC expects)
        if (depth == kMaxRemember) return UnwindStop::bad_table;
        stack[depth++] = row;
        break;
      case 0x0b:  // DW_CFA_restore_state
        if (depth == 0) return UnwindStop::bad_table;
        row = stack[--depth];
        break;
      case 0x0c:  // DW_CFA_def_cfa
        row.cfa = CfaHow::reg_off;
        row.cfa_reg = r.uleb();
        row.cfa_off = static_cast<std::intptr_t>(r.uleb());
        break;
      case 0x0d:  // DW_CFA_def_cfa_register
        row.cfa = CfaHow::reg_off;
        row.cfa_reg = r.uleb();
        break;
      case 0x0e:  // DW_CFA_def_cfa_offset
        row.cfa_off = static_cast<std::intptr_t>(r.uleb());
        break;
      case 0x0f: {  // DW_CFA_def_cfa_expression
        std::uint64_t n = r.uleb();
        row.cfa = CfaHow::expr;
        row.cfa_off = static_cast<std::intptr_t>(r.addr() - pg.fde);
        row.cfa_len = static_cast<std::uint32_t>(n);
        r.skip(n);
        break;
      }
      case 0x10:    // DW_CFA_expression
      case 0x16: {  // DW_CFA_val_expression
        std::uint64_t reg = r.uleb();
        std::uint64_t n = r.uleb();
        if (!set_rule(row, reg, op == 0x10 ? How::expr : How::val_expr,
                      static_cast<std::int64_t>(static_cast<std::intptr_t>(r.addr() - pg.fde)), n))
          return UnwindStop::bad_table;
        r.skip(n);
        break;
      }
      case 0x11: {  // DW_CFA_offset_extended_sf
        std::uint64_t reg = r.uleb();
        if (!set_rule(row, reg, How::offset, r.sleb() * da)) return UnwindStop::bad_table;
        break;
      }
      case 0x12:  // DW_CFA_def_cfa_sf
        row.cfa = CfaHow::reg_off;
        row.cfa_reg = r.uleb();
        row.cfa_off = static_cast<std::intptr_t>(r.sleb() * da);
        break;
      case 0x13:  // DW_CFA_def_cfa_offset_sf
        row.cfa_off = static_cast<std::intptr_t>(r.sleb() * da);
        break;
      case 0x14: {  // DW_CFA_val_offset
        std::uint64_t reg = r.uleb();
        if (!set_rule(row, reg, How::val_offset, static_cast<std::int64_t>(r.uleb()) * da)) return UnwindStop::bad_table;
        break;
      }
      case 0x15: {  // DW_CFA_val_offset_sf
        std::uint64_t reg = r.uleb();
        if (!set_rule(row, reg, How::val_offset, r.sleb() * da)) return UnwindStop::bad_table;
        break;
      }
      case 0x2d:  // DW_CFA_AARCH64_negate_ra_state (DW_CFA_GNU_window_save on SPARC)
#ifdef GORT_DWARF_PAC_VA_BITS
        row.ra_signed = !row.ra_signed;
        break;
#else
        return UnwindStop::bad_table;
#endif
      case 0x2e: r.uleb(); break;  // DW_CFA_GNU_args_size
      case 0x2f: {                 // DW_CFA_GNU_negative_offset_extended
        std::uint64_t reg = r.uleb();
        if (!set_rule(row, reg, How::offset, -(static_cast<std::int64_t>(r.uleb()) * da))) return UnwindStop::bad_table;
        break;
      }
      default: return UnwindStop::bad_table;
    }
  }
  return r.ok ? UnwindStop::none : UnwindStop::bad_table;
}

// ---------------------------------------------------------------------------
// Expressions.

struct Eval {
  const Module& m;
  const UnwindCursor& cur;
  bool has_cfa;
  std::uintptr_t cfa;
};

// eval: the value an expression leaves on top of the stack; initial is
// pushed first when has_initial. UnwindStop::none on success.
UnwindStop eval(const Eval& e, std::uintptr_t expr, std::uint32_t len, bool has_initial, std::uintptr_t initial,
                std::uintptr_t* out) {
  Span s = table_span(e.m, expr);
  if (s.empty() || !s.holds(expr, len)) return UnwindStop::bad_table;
  std::uintptr_t st[kExprStack];
  int sp = 0;
  if (has_initial) st[sp++] = initial;
  Reader r(expr, expr + len);
  using S = std::intptr_t;
  auto push = [&](std::uintptr_t v) {
    if (sp == kExprStack) return false;
    st[sp++] = v;
    return true;
  };
  for (int steps = 0; r.ok && r.p < r.end; ++steps) {
    if (steps == kExprSteps) return UnwindStop::bad_table;
    std::uint8_t op = r.u8();
    bool ok = true;
    if (op >= 0x30 && op <= 0x4f) {  // DW_OP_lit0..31
      ok = push(op - 0x30);
    } else if (op >= 0x70 && op <= 0x8f) {  // DW_OP_breg0..31
      int reg = op - 0x70;
      std::int64_t off = r.sleb();
      if (!e.cur.has(reg)) return UnwindStop::bad_table;
      ok = push(e.cur.regs[reg] + static_cast<std::uintptr_t>(off));
    } else {
      switch (op) {
        case 0x03: ok = push(r.fixed<std::uintptr_t>()); break;  // DW_OP_addr
        case 0x06:                                               // DW_OP_deref
        case 0x94: {                                             // DW_OP_deref_size
          std::size_t n = op == 0x06 ? sizeof(std::uintptr_t) : r.u8();
          if (sp == 0 || n == 0 || n > sizeof(std::uintptr_t)) return UnwindStop::bad_table;
          std::uintptr_t v = 0;
          // Little- and big-endian alike: a deref_size value is zero-extended.
          unsigned char b[sizeof(std::uintptr_t)];
          if (!read_stack(e.cur, st[sp - 1], b, n)) return UnwindStop::bad_read;
          if (n == sizeof v) {
            std::memcpy(&v, b, n);
          } else if (n == 1) {
            v = b[0];
          } else if (n == 2) {
            std::uint16_t x;
            std::memcpy(&x, b, 2);
            v = x;
          } else if (n == 4) {
            std::uint32_t x;
            std::memcpy(&x, b, 4);
            v = x;
          } else {
            return UnwindStop::bad_table;
          }
          st[sp - 1] = v;
          break;
        }
        case 0x08: ok = push(r.u8()); break;
        case 0x09: ok = push(static_cast<std::uintptr_t>(static_cast<S>(r.fixed<std::int8_t>()))); break;
        case 0x0a: ok = push(r.fixed<std::uint16_t>()); break;
        case 0x0b: ok = push(static_cast<std::uintptr_t>(static_cast<S>(r.fixed<std::int16_t>()))); break;
        case 0x0c: ok = push(r.fixed<std::uint32_t>()); break;
        case 0x0d: ok = push(static_cast<std::uintptr_t>(static_cast<S>(r.fixed<std::int32_t>()))); break;
        case 0x0e: ok = push(static_cast<std::uintptr_t>(r.fixed<std::uint64_t>())); break;
        case 0x0f: ok = push(static_cast<std::uintptr_t>(r.fixed<std::int64_t>())); break;
        case 0x10: ok = push(static_cast<std::uintptr_t>(r.uleb())); break;  // DW_OP_constu
        case 0x11: ok = push(static_cast<std::uintptr_t>(r.sleb())); break;  // DW_OP_consts
        case 0x12: ok = sp >= 1 && push(st[sp - 1]); break;                  // DW_OP_dup
        case 0x13: ok = sp >= 1; sp -= ok; break;                            // DW_OP_drop
        case 0x14: ok = sp >= 2 && push(st[sp - 2]); break;                  // DW_OP_over
        case 0x15: {                                                         // DW_OP_pick
          int i = r.u8();
          ok = i < sp && push(st[sp - 1 - i]);
          break;
        }
        case 0x16:  // DW_OP_swap
          ok = sp >= 2;
          if (ok) std::swap(st[sp - 1], st[sp - 2]);
          break;
        case 0x17:  // DW_OP_rot
          ok = sp >= 3;
          if (ok) {
            std::uintptr_t t = st[sp - 1];
            st[sp - 1] = st[sp - 2];
            st[sp - 2] = st[sp - 3];
            st[sp - 3] = t;
          }
          break;
        case 0x19:  // DW_OP_abs
          ok = sp >= 1;
          if (ok && static_cast<S>(st[sp - 1]) < 0) st[sp - 1] = -st[sp - 1];
          break;
        case 0x1f:  // DW_OP_neg
          ok = sp >= 1;
          if (ok) st[sp - 1] = -st[sp - 1];
          break;
        case 0x20:  // DW_OP_not
          ok = sp >= 1;
          if (ok) st[sp - 1] = ~st[sp - 1];
          break;
        case 0x23:  // DW_OP_plus_uconst
          ok = sp >= 1;
          if (ok) st[sp - 1] += static_cast<std::uintptr_t>(r.uleb());
          break;
        case 0x1a: case 0x1b: case 0x1c: case 0x1d: case 0x1e: case 0x21: case 0x22:
        case 0x24: case 0x25: case 0x26: case 0x27: case 0x29: case 0x2a: case 0x2b:
        case 0x2c: case 0x2d: case 0x2e: {
          if (sp < 2) return UnwindStop::bad_table;
          std::uintptr_t a = st[--sp];  // top
          std::uintptr_t b = st[sp - 1];
          std::uintptr_t v = 0;
          switch (op) {
            case 0x1a: v = b & a; break;
            case 0x1b:  // DW_OP_div (signed)
              if (a == 0) return UnwindStop::bad_table;
              v = static_cast<std::uintptr_t>(static_cast<S>(b) / static_cast<S>(a));
              break;
            case 0x1c: v = b - a; break;
            case 0x1d:  // DW_OP_mod
              if (a == 0) return UnwindStop::bad_table;
              v = b % a;
              break;
            case 0x1e: v = b * a; break;
            case 0x21: v = b | a; break;
            case 0x22: v = b + a; break;
            case 0x24: v = a >= sizeof(v) * 8 ? 0 : b << a; break;
            case 0x25: v = a >= sizeof(v) * 8 ? 0 : b >> a; break;
            case 0x26:
              v = static_cast<std::uintptr_t>(static_cast<S>(b) >> (a >= sizeof(v) * 8 ? sizeof(v) * 8 - 1 : a));
              break;
            case 0x27: v = b ^ a; break;
            case 0x29: v = b == a; break;
            case 0x2a: v = static_cast<S>(b) >= static_cast<S>(a); break;
            case 0x2b: v = static_cast<S>(b) > static_cast<S>(a); break;
            case 0x2c: v = static_cast<S>(b) <= static_cast<S>(a); break;
            case 0x2d: v = static_cast<S>(b) < static_cast<S>(a); break;
            case 0x2e: v = b != a; break;
          }
          st[sp - 1] = v;
          break;
        }
        case 0x28:    // DW_OP_bra
        case 0x2f: {  // DW_OP_skip
          std::int16_t off = r.fixed<std::int16_t>();
          bool jump = true;
          if (op == 0x28) {
            if (sp < 1) return UnwindStop::bad_table;
            jump = st[--sp] != 0;
          }
          if (jump) {
            const std::uint8_t* to = r.p + off;
            if (to < reinterpret_cast<const std::uint8_t*>(expr) || to > r.end) return UnwindStop::bad_table;
            r.p = to;
          }
          break;
        }
        case 0x92: {  // DW_OP_bregx
          std::uint64_t reg = r.uleb();
          std::int64_t off = r.sleb();
          if (reg >= static_cast<std::uint64_t>(kUnwindRegs) || !e.cur.has(static_cast<int>(reg)))
            return UnwindStop::bad_table;
          ok = push(e.cur.regs[reg] + static_cast<std::uintptr_t>(off));
          break;
        }
        case 0x96: break;  // DW_OP_nop
        case 0x9c:         // DW_OP_call_frame_cfa
          ok = e.has_cfa && push(e.cfa);
          break;
        default: return UnwindStop::bad_table;
      }
    }
    if (!ok) return UnwindStop::bad_table;
  }
  if (!r.ok || sp == 0) return UnwindStop::bad_table;
  *out = st[sp - 1];
  return UnwindStop::none;
}

// ---------------------------------------------------------------------------
// Finding the FDE.

// hdr_entry: entry i of the .eh_frame_hdr table (checked at prepare).
void hdr_entry(const Module& m, std::size_t i, std::uintptr_t* pc, std::uintptr_t* fde) {
  std::size_t sz = encoded_size(m.lookup_enc);
  std::uintptr_t at = m.lookup_table + i * 2 * sz;
  Reader r(at, at + 2 * sz);
  Bases b{m.text_base, m.lookup_base, 0};
  *pc = read_encoded(r, m.lookup_enc, b, m);
  *fde = read_encoded(r, m.lookup_enc, b, m);
}

// find_fde: the FDE whose range may hold pc (the last one starting at or
// before it), or 0.
std::uintptr_t find_fde(const Module& m, std::uintptr_t pc) {
  if (m.lookup_table != 0 && m.lookup_enc == (kPeDatarel | kPeSdata4)) {
    // What GNU ld and lld write: pairs of 32-bit offsets from the header.
    const auto* t = reinterpret_cast<const std::int32_t*>(m.lookup_table);
    const std::uintptr_t base = m.lookup_base;
    std::size_t lo = 0, hi = m.lookup_count;
    while (lo < hi) {
      std::size_t mid = lo + (hi - lo) / 2;
      std::int32_t v;
      std::memcpy(&v, &t[2 * mid], 4);
      if (base + static_cast<std::uintptr_t>(static_cast<std::intptr_t>(v)) <= pc)
        lo = mid + 1;
      else
        hi = mid;
    }
    if (lo == 0) return 0;
    std::int32_t f;
    std::memcpy(&f, &t[2 * (lo - 1) + 1], 4);
    return base + static_cast<std::uintptr_t>(static_cast<std::intptr_t>(f));
  }
  if (m.lookup_table != 0) {
    std::size_t lo = 0, hi = m.lookup_count;
    while (lo < hi) {
      std::size_t mid = lo + (hi - lo) / 2;
      std::uintptr_t start, fde;
      hdr_entry(m, mid, &start, &fde);
      if (start <= pc)
        lo = mid + 1;
      else
        hi = mid;
    }
    if (lo == 0) return 0;
    std::uintptr_t start, fde;
    hdr_entry(m, lo - 1, &start, &fde);
    return fde;
  }
  std::size_t lo = 0, hi = m.nindex;
  while (lo < hi) {
    std::size_t mid = lo + (hi - lo) / 2;
    if (m.index[mid].pc <= pc)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo == 0 ? 0 : m.index[lo - 1].entry;
}

// value_of: a register's value in the caller under rule ru (expressions
// relative to fde). known = false if the rule makes it unknown.
UnwindStop value_of(const Eval& e, std::uintptr_t fde, int reg, const Rule& ru, std::uintptr_t cfa, std::uintptr_t* v,
                    bool* known) {
  *known = true;
  switch (ru.how) {
    case How::unspec:
    case How::same:
      *known = e.cur.has(reg);
      *v = e.cur.regs[reg];
      return UnwindStop::none;
    case How::undef:
      *known = false;
      return UnwindStop::none;
    case How::offset:
      return read_stack(e.cur, cfa + static_cast<std::uintptr_t>(ru.v), v, sizeof *v) ? UnwindStop::none
                                                                                      : UnwindStop::bad_read;
    case How::val_offset:
      *v = cfa + static_cast<std::uintptr_t>(ru.v);
      return UnwindStop::none;
    case How::reg:
      if (ru.v < 0 || ru.v >= kUnwindRegs || !e.cur.has(static_cast<int>(ru.v))) {
        *known = false;
        return UnwindStop::none;
      }
      *v = e.cur.regs[ru.v];
      return UnwindStop::none;
    case How::expr:
    case How::val_expr: {
      std::uintptr_t a;
      UnwindStop why = eval(e, fde + static_cast<std::uintptr_t>(static_cast<std::intptr_t>(ru.v)), ru.len, true, cfa, &a);
      if (why != UnwindStop::none) return why;
      if (ru.how == How::val_expr) {
        *v = a;
        return UnwindStop::none;
      }
      return read_stack(e.cur, a, v, sizeof *v) ? UnwindStop::none : UnwindStop::bad_read;
    }
  }
  return UnwindStop::bad_table;
}

}  // namespace

// At init (allocates): the .eh_frame_hdr table if the object has a usable
// one, else an index of .eh_frame.
void frame_prepare(Module& m) {
  if (!m.eh_frame_hdr.empty()) {
    Span seg = m.segment(m.eh_frame_hdr.lo, 4);
    Reader r(m.eh_frame_hdr.lo, seg.hi);
    std::uint8_t version = r.u8();
    std::uint8_t ptr_enc = r.u8();
    std::uint8_t count_enc = r.u8();
    std::uint8_t table_enc = r.u8();
    Bases b{m.text_base, m.eh_frame_hdr.lo, 0};
    std::uintptr_t eh_frame = ptr_enc == kPeOmit ? 0 : read_encoded(r, ptr_enc, b, m);
    std::uintptr_t count = count_enc == kPeOmit ? 0 : read_encoded(r, count_enc, b, m);
    std::size_t sz = encoded_size(table_enc);
    if (r.ok && version == 1 && table_enc != kPeOmit && count_enc != kPeOmit && sz != 0 &&
        (table_enc & 0x70) != kPeFuncrel && (table_enc & kPeIndirect) == 0 && count < (std::uintptr_t(1) << 28) &&
        seg.holds(r.addr(), count * 2 * sz)) {
      m.lookup_table = r.addr();
      m.lookup_count = count;
      m.lookup_enc = table_enc;
      m.lookup_base = m.eh_frame_hdr.lo;
      return;
    }
    // No search table: index the .eh_frame the header points to.
    if (r.ok && eh_frame != 0 && m.eh_frame.empty()) {
      Span s = m.segment(eh_frame, 4);
      m.eh_frame = Span{eh_frame, s.hi};
    }
  }
  if (m.eh_frame.empty()) return;
  std::vector<IndexEntry> idx;
  std::uintptr_t at = m.eh_frame.lo;
  while (m.eh_frame.holds(at, 4)) {
    std::uint32_t len;
    std::memcpy(&len, reinterpret_cast<const void*>(at), 4);
    if (len == 0 || len == 0xffffffff || !m.eh_frame.holds(at + 4, len)) break;  // the terminator, or the end
    std::uint32_t id;
    std::memcpy(&id, reinterpret_cast<const void*>(at + 4), 4);
    if (id != 0) {
      Fde f;
      // FDEs of code the linker discarded keep pc_begin 0 (or a range of 0).
      if (parse_fde(m, at, &f) && f.pc_begin != 0 && f.pc_end > f.pc_begin) idx.push_back(IndexEntry{f.pc_begin, at});
    }
    at += 4 + len;
  }
  std::sort(idx.begin(), idx.end(), [](const IndexEntry& a, const IndexEntry& b) { return a.pc < b.pc; });
  auto* arr = new IndexEntry[idx.size() ? idx.size() : 1];
  std::copy(idx.begin(), idx.end(), arr);
  m.index = arr;
  m.nindex = idx.size();
}

// In handlers: no allocation, no lock; reads checked.
UnwindStop frame_step(const Module& m, std::uintptr_t lookup, const UnwindCursor& cur, UnwindFrame* out) {
  std::uintptr_t at = find_fde(m, lookup);
  if (at == 0) return UnwindStop::no_info;
  Fde f;
  if (!parse_fde(m, at, &f)) return UnwindStop::bad_table;
  if (lookup < f.pc_begin || lookup >= f.pc_end) return UnwindStop::no_info;
  if (f.cie.ra >= static_cast<std::uint64_t>(kUnwindRegs)) return UnwindStop::bad_table;

  Row initial{};
  Program cie_pg{m, f.cie, at, f.pc_begin, ~std::uintptr_t(0), nullptr};
  UnwindStop why = execute(cie_pg, f.cie.insns, f.cie.insns_end, initial);
  if (why != UnwindStop::none) return why;
  Row row = initial;
  Program fde_pg{m, f.cie, at, f.pc_begin, lookup, &initial};
  why = execute(fde_pg, f.insns, f.insns_end, row);
  if (why != UnwindStop::none) return why;

  // The CFA.
  Eval e{m, cur, false, 0};
  std::uintptr_t cfa = 0;
  if (row.cfa == CfaHow::reg_off) {
    if (row.cfa_reg >= static_cast<std::uint64_t>(kUnwindRegs)) return UnwindStop::bad_table;
    if (!cur.has(static_cast<int>(row.cfa_reg))) return UnwindStop::bad_table;
    cfa = cur.regs[row.cfa_reg] + static_cast<std::uintptr_t>(row.cfa_off);
  } else if (row.cfa == CfaHow::expr) {
    why = eval(e, at + static_cast<std::uintptr_t>(row.cfa_off), row.cfa_len, false, 0, &cfa);
    if (why != UnwindStop::none) return why;
  } else {
    return UnwindStop::bad_table;
  }
  e.has_cfa = true;
  e.cfa = cfa;

  // The return address first: undefined is the end of the stack.
  const int ra = static_cast<int>(f.cie.ra);
  if (row.regs[ra].how == How::undef) return UnwindStop::end;

  std::uintptr_t regs[kUnwindRegs];
  std::uint64_t known[(kUnwindRegs + 63) / 64] = {};
  for (int i = 0; i < kUnwindRegs; ++i) {
    std::uintptr_t v = 0;
    bool k = false;
    const Rule& ru = row.regs[i];
    if (i == GORT_DWARF_SP && ru.how == How::unspec) {
      // The caller's sp: the CFA less the ABI's offset (0 on most; s390x
      // defines the CFA as the caller's r15 + 160). GCC describes sp
      // wherever a frame moves it, so this is a frameless function: a
      // leaf interrupted by a signal, or a sample in the profiler.
      v = cfa - static_cast<std::uintptr_t>(GORT_DWARF_CFA_OFFSET);
      k = true;
    } else {
      why = value_of(e, at, i, ru, cfa, &v, &k);
      if (why != UnwindStop::none) return why;
    }
    regs[i] = v;
    if (k) known[i / 64] |= std::uint64_t(1) << (i % 64);
  }
  if (((known[ra / 64] >> (ra % 64)) & 1) == 0) return UnwindStop::bad_table;
  std::uintptr_t pc = regs[ra];
#ifdef GORT_DWARF_PAC_VA_BITS
  if (row.ra_signed) {
    pc &= (std::uintptr_t(1) << GORT_DWARF_PAC_VA_BITS) - 1;
    regs[ra] = pc;
  }
#endif
  std::memcpy(out->regs, regs, sizeof regs);
  std::memcpy(out->known, known, sizeof known);
  out->pc = pc;
  out->exact = f.cie.signal;
  return UnwindStop::none;
}

}  // namespace gort::rt::unw
