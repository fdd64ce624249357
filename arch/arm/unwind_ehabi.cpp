// unwind_ehabi.cpp: the ARM EHABI strategy of gort's unwinder
// (unwind_impl.hpp), for CPUs whose gort_arch.h defines GORT_UNWIND_EHABI
// (arm; armel will reuse it): GCC emits no .eh_frame there, only
// .ARM.exidx (one entry per function, sorted by address) and .ARM.extab.
//
// An entry is EXIDX_CANTUNWIND (1: the end of the stack; goexit and mcall
// use it), an inline compact-model word (personality 0: three opcodes), or
// a pointer to .ARM.extab, which holds a compact-model entry (personality
// 0, 1 or 2) or a generic-model one (a personality routine, then the
// opcodes in the layout GCC's personalities use). The opcodes (EHABI
// section 10.3) move the virtual sp and pop registers: vsp +/-, pop
// r4-r15 and r0-r3 under masks, vsp = r[n], pop VFP (d0-d31, FSTMFDX or
// VPUSH forms) and iWMMXt registers (only their size matters), finish,
// refuse to unwind. Spare and unknown opcodes end the walk.
//
// EHABI describes a function's body, not each instruction of its prologue
// (libgcc only unwinds from call sites). A signal may land inside one: a
// stack overflow faults in the prologue's push or in the stack-clash probe
// between the push and the sub of sp. For an exact frame near its
// function's start, prologue() reads the instructions from the start to pc
// (push, str lr/[sp,#-4]!, vpush, sub sp,#imm in Thumb-2 and ARM) to see
// how much of the frame exists: none of it, or lr not pushed yet: the
// caller is lr, its sp is sp plus what was pushed; part of it: the opcodes
// run from a virtual sp lowered by what is missing (the missing
// instructions come last, and the opcodes undo the last ones first).
// Anything else in the prologue (sub sp by a register, a probe loop)
// leaves the frame to the opcodes as if the prologue were done.

// Everything but frame_prepare runs in signal handlers: no allocation, no
// lock; stack reads checked against the cursor's ranges, table reads
// against the object's loaded segments.
#include <cstring>

#include "unwind_impl.hpp"

#if !defined(GORT_UNWIND_EHABI) || !GORT_UNWIND_EHABI
#error "unwind_ehabi.cpp is for CPUs whose gort_arch.h defines GORT_UNWIND_EHABI"
#endif
static_assert(gort::rt::kUnwindRegs == 16, "EHABI unwinding tracks r0-r15");

namespace gort::rt::unw {

namespace {

constexpr std::uint32_t kCantUnwind = 1;
constexpr int kSP = 13, kLR = 14, kPC = 15;

// prel31: the address a 31-bit place-relative field at `at` points to.
std::uintptr_t prel31(std::uintptr_t at, std::uint32_t w) {
  std::int32_t off = static_cast<std::int32_t>(w << 1) >> 1;
  return at + static_cast<std::uintptr_t>(static_cast<std::intptr_t>(off));
}

// Opcodes: bytes taken from words most significant first.
struct Ops {
  std::uint32_t words[1 + 255];
  int nwords = 0;
  int pos = 0;  // byte index into the stream
  int first = 0;  // bytes of words[0] to skip (the header's)
  int total = 0;
  bool next(std::uint8_t* b) {
    if (pos >= total) return false;
    int i = pos + first;
    *b = static_cast<std::uint8_t>(words[i / 4] >> (24 - 8 * (i % 4)));
    ++pos;
    return true;
  }
};

struct Vrs {
  std::uintptr_t r[16];
  std::uint32_t known;
};

enum class Run { ok, end, bad_table, bad_read };

// execute: run the opcodes on vrs (EHABI 10.3). dry: read nothing, only
// move vsp (vsp = r[n] is then bad_table): the frame's size.
Run execute(Ops& ops, const UnwindCursor& cur, Vrs& v, bool dry = false) {
  std::uintptr_t vsp = v.r[kSP];
  bool pc_set = false;
  std::uint8_t op, op2;
  auto pop = [&](int reg) {
    std::uint32_t w = 0;
    if (!dry && !read_stack(cur, vsp, &w, 4)) return false;
    v.r[reg] = w;
    v.known |= 1u << reg;
    vsp += 4;
    return true;
  };
  while (ops.next(&op)) {
    if ((op & 0xc0) == 0x00) {
      vsp += ((op & 0x3f) << 2) + 4;
    } else if ((op & 0xc0) == 0x40) {
      vsp -= ((op & 0x3f) << 2) + 4;
    } else if ((op & 0xf0) == 0x80) {
      if (!ops.next(&op2)) return Run::bad_table;
      std::uint32_t mask = ((op & 0x0f) << 8) | op2;
      if (mask == 0) return Run::end;  // refuse to unwind
      bool sp_popped = false;
      std::uintptr_t new_sp = 0;
      for (int i = 0; i < 12; ++i) {
        if (!(mask & (1u << i))) continue;
        int reg = 4 + i;
        if (!pop(reg)) return Run::bad_read;
        if (reg == kSP) sp_popped = true, new_sp = v.r[kSP];
        if (reg == kPC) pc_set = true;
      }
      if (sp_popped) vsp = new_sp;
    } else if ((op & 0xf0) == 0x90) {
      int reg = op & 0x0f;
      if (reg == kSP || reg == kPC || dry) return Run::bad_table;  // reserved
      if (!(v.known & (1u << reg))) return Run::bad_table;
      vsp = v.r[reg];
    } else if ((op & 0xf0) == 0xa0) {
      int last = 4 + (op & 0x07);
      for (int reg = 4; reg <= last; ++reg)
        if (!pop(reg)) return Run::bad_read;
      if ((op & 0x08) && !pop(kLR)) return Run::bad_read;
    } else if (op == 0xb0) {
      break;  // finish
    } else if (op == 0xb1) {
      if (!ops.next(&op2)) return Run::bad_table;
      if (op2 == 0 || (op2 & 0xf0)) return Run::bad_table;  // spare
      for (int reg = 0; reg < 4; ++reg)
        if ((op2 & (1u << reg)) && !pop(reg)) return Run::bad_read;
    } else if (op == 0xb2) {
      std::uint32_t uleb = 0;
      int shift = 0;
      do {
        if (!ops.next(&op2) || shift > 28) return Run::bad_table;
        uleb |= std::uint32_t(op2 & 0x7f) << shift;
        shift += 7;
      } while (op2 & 0x80);
      vsp += 0x204 + (uleb << 2);
    } else if (op == 0xb3 || op == 0xc8 || op == 0xc9) {
      // VFP d[s]..d[s+c]: FSTMFDX (+4 bytes), or VPUSH of d16+ / d0+.
      if (!ops.next(&op2)) return Run::bad_table;
      int count = (op2 & 0x0f) + 1;
      vsp += 8 * count + (op == 0xb3 ? 4 : 0);
    } else if ((op & 0xf8) == 0xb8) {
      vsp += 8 * ((op & 0x07) + 1) + 4;  // FSTMFDX d8..d(8+n)
    } else if ((op & 0xf8) == 0xd0) {
      vsp += 8 * ((op & 0x07) + 1);  // VPUSH d8..d(8+n)
    } else if ((op & 0xf8) == 0xc0 && (op & 0x07) < 6) {
      vsp += 8 * ((op & 0x07) + 1);  // iWMMXt wR10..wR(10+n)
    } else if (op == 0xc6) {
      if (!ops.next(&op2)) return Run::bad_table;
      vsp += 8 * ((op2 & 0x0f) + 1);  // iWMMXt wR[s]..
    } else if (op == 0xc7) {
      if (!ops.next(&op2)) return Run::bad_table;
      if (op2 == 0 || (op2 & 0xf0)) return Run::bad_table;
      for (int i = 0; i < 4; ++i)
        if (op2 & (1u << i)) vsp += 4;  // iWMMXt wCGR
    } else {
      return Run::bad_table;  // spare (0xb4-0xb7: pointer authentication, ...)
    }
  }
  if (!pc_set && !dry) {
    if (!(v.known & (1u << kLR))) return Run::bad_table;
    v.r[kPC] = v.r[kLR];
  }
  v.r[kSP] = vsp;
  v.known |= (1u << kSP) | (1u << kPC);
  return Run::ok;
}

int popcount(std::uint32_t x) { return __builtin_popcount(x); }

// ThumbExpandImm / ARMExpandImm (modified immediates; only the values).
std::uint32_t thumb_imm(std::uint32_t imm12) {
  if ((imm12 >> 10) == 0) {
    std::uint32_t b = imm12 & 0xff;
    switch ((imm12 >> 8) & 3) {
      case 0: return b;
      case 1: return b | b << 16;
      case 2: return b << 8 | b << 24;
      default: return b | b << 8 | b << 16 | b << 24;
    }
  }
  std::uint32_t v = 0x80 | (imm12 & 0x7f), rot = imm12 >> 7;
  return v >> rot | v << (32 - rot);
}
std::uint32_t arm_imm(std::uint32_t imm12) {
  std::uint32_t v = imm12 & 0xff, rot = 2 * (imm12 >> 8);
  return rot == 0 ? v : (v >> rot | v << (32 - rot));
}

// Prologue: what the instructions from a function's start to pc did.
struct Prologue {
  bool ok = false;        // every instruction before pc understood
  std::uint32_t done = 0;  // bytes pushed or subtracted from sp
  bool lr_saved = false;
};

constexpr std::uintptr_t kPrologueScan = 64;  // bytes from the start

// read_code: n bytes of the function's code, from the object's segments.
bool read_code(const Module& m, std::uintptr_t a, void* out, std::size_t n) { return read_table(m, a, out, n); }

bool arm_prologue_insn(std::uint32_t w, Prologue* p) {
  if ((w & 0xffff0000u) == 0xe92d0000u) {  // push {list} (stmdb sp!)
    p->done += 4 * popcount(w & 0xffff);
    p->lr_saved |= (w >> kLR) & 1;
  } else if ((w & 0xffff0fffu) == 0xe52d0004u) {  // str rt, [sp, #-4]!
    p->done += 4;
    p->lr_saved |= ((w >> 12) & 0xf) == kLR;
  } else if ((w & 0xfffff000u) == 0xe24dd000u) {  // sub sp, sp, #imm
    p->done += arm_imm(w & 0xfff);
  } else if ((w & 0xffbf0f00u) == 0xed2d0b00u) {  // vpush {d..}
    p->done += 4 * (w & 0xff);
  } else if ((w & 0x0e000000u) == 0x0a000000u) {
    // b/bl (an early return's test before the prologue): bits 12-15 are
    // offset bits, not a destination register
  } else if ((w & 0x0000f000u) == 0x0000d000u) {
    return false;  // another write of sp (sub sp, sp, rX; mov sp, rX), or so it may be
  }
  return true;
}

bool thumb_prologue_insn(std::uint16_t h1, std::uint16_t h2, bool wide, Prologue* p) {
  if (!wide) {
    if ((h1 & 0xfe00) == 0xb400) {  // push {list[, lr]}
      p->done += 4 * popcount(h1 & 0x1ff);
      p->lr_saved |= (h1 >> 8) & 1;
    } else if ((h1 & 0xff80) == 0xb080) {  // sub sp, #imm7*4
      p->done += 4 * (h1 & 0x7f);
    } else if ((h1 & 0xff87) == 0x4685 || (h1 & 0xff87) == 0x4485) {
      return false;  // mov sp, rX; add sp, rX
    }
    return true;
  }
  if (h1 == 0xe92d) {  // push.w {list}
    p->done += 4 * popcount(h2 & 0x5fff);
    p->lr_saved |= (h2 >> kLR) & 1;
  } else if (h1 == 0xf84d && (h2 & 0x0fff) == 0x0d04) {  // str.w rt, [sp, #-4]!
    p->done += 4;
    p->lr_saved |= (h2 >> 12) == kLR;
  } else if ((h1 & 0xffbf) == 0xed2d && (h2 & 0x0f00) == 0x0b00) {  // vpush {d..}
    p->done += 4 * (h2 & 0xff);
  } else if ((h1 & 0xfbef) == 0xf1ad && (h2 & 0x8f00) == 0x0d00) {  // sub.w sp, sp, #const
    p->done += thumb_imm(((h1 >> 10) & 1) << 11 | ((h2 >> 12) & 7) << 8 | (h2 & 0xff));
  } else if ((h1 & 0xfbff) == 0xf2ad && (h2 & 0x8f00) == 0x0d00) {  // subw sp, sp, #imm12
    p->done += ((h1 >> 10) & 1) << 11 | ((h2 >> 12) & 7) << 8 | (h2 & 0xff);
  } else if ((h2 & 0x0f00) == 0x0d00 && (h1 & 0xfe00) == 0xea00) {
    return false;  // a data-processing (register) write of sp
  }
  return true;
}

// is_arm_code: is the function at fn ARM code (else Thumb)? Neither the
// signal's pc nor .ARM.exidx (the linker drops the Thumb bit there) says,
// so: the state this file was compiled for, which is the compiler's
// default for the program's own code (Thumb-2 for armhf, ARM for armel
// on ARMv5TE), overridden by the first instruction. In a Thumb build, ARM
// code is gort's assembly and the like: a first word that is an ARM
// prologue instruction with cond AL. In an ARM build, Thumb code starts
// with a 16-bit push or a push.w, which as an ARM word's low half comes
// with a condition field no ARM prologue has. (Deciding Thumb whenever the
// first word is no ARM prologue instruction, as this did, misread every
// shrink-wrapped ARM function, whose prologue follows an early-return
// test: armel's stack-overflow reports stopped after two frames.)
bool is_arm_code(const Module& m, std::uintptr_t fn) {
  std::uint32_t w;
  if ((fn & 3) != 0 || !read_code(m, fn, &w, 4)) return false;  // Thumb code is 2-aligned only
  Prologue probe;
  bool arm_prologue_first = (w >> 28) == 0xe && arm_prologue_insn(w, &probe) && probe.done != 0;
#if defined(__thumb__)
  return arm_prologue_first;
#else
  std::uint16_t h = static_cast<std::uint16_t>(w);
  bool thumb_push_first = (h & 0xfe00) == 0xb400 || h == 0xe92d;
  return arm_prologue_first || !thumb_push_first || (w >> 28) == 0xe;
#endif
}

// prologue: scan [fn, pc), as ARM or Thumb code (is_arm_code).
Prologue prologue(const Module& m, std::uintptr_t fn, std::uintptr_t pc) {
  Prologue p;
  if (pc < fn || pc - fn > kPrologueScan) return p;
  std::uint32_t w;
  bool arm = is_arm_code(m, fn);
  std::uintptr_t a = fn;
  while (a < pc) {
    if (arm) {
      if (!read_code(m, a, &w, 4) || !arm_prologue_insn(w, &p)) return p;
      a += 4;
    } else {
      std::uint16_t h[2];
      if (!read_code(m, a, &h[0], 2)) return p;
      bool wide = (h[0] & 0xf800) >= 0xe800;
      if (wide && !read_code(m, a + 2, &h[1], 2)) return p;
      if (!thumb_prologue_insn(h[0], wide ? h[1] : 0, wide, &p)) return p;
      a += wide ? 4 : 2;
    }
  }
  p.ok = a == pc;
  return p;
}

// leaf: the caller of an exact frame that has pushed nothing yet.
// done bytes were pushed, lr not among them.
UnwindStop leaf(const UnwindCursor& cur, std::uint32_t done, UnwindFrame* out) {
  if (!cur.has(kLR) || !cur.has(kSP)) return UnwindStop::bad_table;
  out->pc = cur.regs[kLR] & ~std::uintptr_t(1);
  out->regs[kSP] = cur.regs[kSP] + done;
  out->regs[kPC] = out->pc;
  out->exact = false;
  return UnwindStop::none;
}

}  // namespace

// At init: .ARM.exidx is the lookup table (checked to lie in a segment).
void frame_prepare(Module& m) {
  if (m.exidx.empty()) return;
  m.lookup_table = m.exidx.lo;
  m.lookup_count = (m.exidx.hi - m.exidx.lo) / 8;
}

// In handlers: no allocation, no lock; reads checked.
UnwindStop frame_step(const Module& m, std::uintptr_t lookup, const UnwindCursor& cur, UnwindFrame* out) {
  if (m.lookup_count == 0) return UnwindStop::no_info;
  // The last entry whose function starts at or before lookup.
  auto entry = reinterpret_cast<const std::uint32_t*>(m.lookup_table);
  std::size_t lo = 0, hi = m.lookup_count;
  while (lo < hi) {
    std::size_t mid = lo + (hi - lo) / 2;
    if (prel31(m.lookup_table + 8 * mid, entry[2 * mid]) <= lookup)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0) return UnwindStop::no_info;
  std::size_t i = lo - 1;
  std::uintptr_t fn = prel31(m.lookup_table + 8 * i, entry[2 * i]);
  std::uint32_t data = entry[2 * i + 1];
  if (data == kCantUnwind) return UnwindStop::end;
  if (cur.exact && (cur.pc & ~std::uintptr_t(1)) == fn) return leaf(cur, 0, out);

  Ops ops;
  std::uint32_t w;
  if (data & 0x80000000u) {
    // Inline compact model, personality 0.
    if ((data & 0x0f000000u) != 0) return UnwindStop::bad_table;
    ops.words[0] = data;
    ops.nwords = 1;
    ops.first = 1;
    ops.total = 3;
  } else {
    std::uintptr_t at = prel31(m.lookup_table + 8 * i + 4, data);
    if (!read_table(m, at, &w, 4)) return UnwindStop::bad_table;
    int extra;
    if (w & 0x80000000u) {
      int personality = (w >> 24) & 0x0f;
      if (personality == 0) {
        extra = 0;
        ops.first = 1;
      } else if (personality == 1 || personality == 2) {
        extra = (w >> 16) & 0xff;
        ops.first = 2;
      } else {
        return UnwindStop::bad_table;
      }
    } else {
      // Generic model: the personality routine, then (GCC's layout) a word
      // holding the count of further words and three opcodes.
      at += 4;
      if (!read_table(m, at, &w, 4)) return UnwindStop::bad_table;
      extra = w >> 24;
      ops.first = 1;
    }
    ops.words[0] = w;
    for (int k = 1; k <= extra; ++k)
      if (!read_table(m, at + 4 * k, &ops.words[k], 4)) return UnwindStop::bad_table;
    ops.nwords = 1 + extra;
    ops.total = 4 * ops.nwords - ops.first;
  }

  Vrs v;
  std::memcpy(v.r, cur.regs, sizeof v.r);
  v.known = static_cast<std::uint32_t>(cur.known[0]) & 0xffffu;
  if (!(v.known & (1u << kSP))) return UnwindStop::bad_table;
  if (cur.exact) {
    // Inside the prologue? (see the top of this file)
    Prologue p = prologue(m, fn, cur.pc & ~std::uintptr_t(1));
    Vrs dry = v;
    bool sized = p.ok && execute(ops, cur, dry, true) == Run::ok;
    ops.pos = 0;
    if (sized) {
      std::uint32_t total = static_cast<std::uint32_t>(dry.r[kSP] - v.r[kSP]);
      if (p.done < total) {
        if (!p.lr_saved) return leaf(cur, p.done, out);
        v.r[kSP] -= total - p.done;
      }
    }
  }
  switch (execute(ops, cur, v)) {
    case Run::ok: break;
    case Run::end: return UnwindStop::end;
    case Run::bad_table: return UnwindStop::bad_table;
    case Run::bad_read: return UnwindStop::bad_read;
  }
  std::memcpy(out->regs, v.r, sizeof v.r);
  out->known[0] = v.known;
  out->pc = v.r[kPC] & ~std::uintptr_t(1);
  out->exact = false;
  return UnwindStop::none;
}

}  // namespace gort::rt::unw
