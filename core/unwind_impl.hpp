// unwind_impl.hpp: the contract between the pieces of gort's unwinder
// (unwind.hpp has the public side):
//
//   core/unwind.cpp          cursors, stack ranges, the module table and its
//                            publication, symbolize, the sp rules of a walk
//   core/unwind_dwarf.cpp    frame_prepare / frame_step from DWARF CFI
//     or arch/arm/unwind_ehabi.cpp  the same from ARM EHABI tables (CMake
//                            builds exactly one: the EHABI one where
//                            gort_arch.h defines GORT_UNWIND_EHABI)
//   os/elf/elf_modules.cpp   module_load: one loaded object's segments,
//                            unwind tables and symbols (CMake builds it for
//                            ELF systems; another object format brings its
//                            own module_load)
//
// Rejected: choosing the table format with #if in core (core names no CPU),
// and one unwinder that tries both formats per object (ARM objects carry no
// usable .eh_frame, the others no .ARM.exidx).
#pragma once

#include <cstddef>
#include <cstdint>

#include "os_objects.hpp"
#include "unwind.hpp"

namespace gort::rt::unw {

// Span: [lo, hi) of memory.
struct Span {
  std::uintptr_t lo = 0;
  std::uintptr_t hi = 0;
  bool empty() const { return lo >= hi; }
  bool holds(std::uintptr_t a, std::size_t n) const { return a >= lo && a < hi && n <= hi - a; }
};

// Symbol: a function (or, with size 0, a label) at a runtime address.
struct Symbol {
  std::uintptr_t addr = 0;
  std::uintptr_t size = 0;
  const char* name = nullptr;
};

// IndexEntry: a strategy's own search table (sorted by pc), built at init
// when an object has none (a static link has no .eh_frame_hdr).
struct IndexEntry {
  std::uintptr_t pc = 0;
  std::uintptr_t entry = 0;
};

inline constexpr int kModuleSegs = 8;

// Module: one loaded object. Filled by module_load and frame_prepare in
// unwind_init; read-only afterwards (handlers read it).
struct Module {
  const char* name = "";
  std::uintptr_t bias = 0;
  const void* phdr = nullptr;  // with name and bias: the object's identity
  Span segs[kModuleSegs];      // loaded segments: unwind tables are read only here
  int nsegs = 0;
  Span text[kModuleSegs];      // the executable ones
  int ntext = 0;
  Span eh_frame_hdr;           // PT_GNU_EH_FRAME
  Span eh_frame;               // .eh_frame (section headers), when known
  Span exidx;                  // PT_ARM_EXIDX
  std::uintptr_t text_base = 0;  // DW_EH_PE_textrel's base (.text)
  std::uintptr_t data_base = 0;  // DW_EH_PE_datarel's base (the GOT)
  // The strategy's lookup (frame_prepare): a table in the object (the
  // .eh_frame_hdr table, .ARM.exidx) already checked to lie in a segment,
  // or an index of its own.
  std::uintptr_t lookup_table = 0;
  std::size_t lookup_count = 0;
  std::uint8_t lookup_enc = 0;
  std::uintptr_t lookup_base = 0;
  const IndexEntry* index = nullptr;
  std::size_t nindex = 0;
  // Symbols (module_load), sorted by address.
  const Symbol* funcs = nullptr;   // sized functions
  std::size_t nfuncs = 0;
  const Symbol* labels = nullptr;  // size-0 symbols in text (asm labels)
  std::size_t nlabels = 0;

  // segment: the loaded segment holding [a, a+n), or an empty span.
  Span segment(std::uintptr_t a, std::size_t n) const {
    for (int i = 0; i < nsegs; ++i)
      if (segs[i].holds(a, n)) return segs[i];
    return Span{};
  }
};

// module_for_pc: the loaded object whose executable segments hold pc, in
// the current table, or nullptr. Async-signal-safe.
const Module* module_for_pc(std::uintptr_t pc);

// read_stack: copy n bytes at addr if they lie inside one of c's ranges.
// Async-signal-safe.
bool read_stack(const UnwindCursor& c, std::uintptr_t addr, void* out, std::size_t n);
// read_table: copy n bytes at addr if they lie inside one of m's loaded
// segments. Async-signal-safe.
bool read_table(const Module& m, std::uintptr_t addr, void* out, std::size_t n);

// The strategy (unwind_dwarf.cpp or unwind_ehabi.cpp).
// frame_prepare: set up m's lookup (may allocate: unwind_init only).
void frame_prepare(Module& m);
// frame_step: the caller of cur's frame, whose pc lies in m; lookup is
// cur.pc (exact) or the address inside the call. out starts as a copy of
// cur's frame; frame_step sets its pc, regs, known and exact. Returns
// UnwindStop::none or why it cannot. Async-signal-safe.
UnwindStop frame_step(const Module& m, std::uintptr_t lookup, const UnwindCursor& cur, UnwindFrame* out);

// The object format's reader (os/elf/elf_modules.cpp): fill m (all but the
// lookup) for one loaded object. unwind_init only (allocates).
bool module_load(const os::LoadedObject& obj, Module* m);

}  // namespace gort::rt::unw
