// macho_image.cpp: read_image (macho_image.hpp): one loaded Mach-O image's
// segments, sections and symbols, for the unwinder's module table.
//
// Everything is read from memory: dyld maps the load commands (inside
// __TEXT) and __LINKEDIT, which holds the symbol and string tables, of
// every image, those of the shared cache included, whose files are not on
// disk since macOS 11. A file offset in __LINKEDIT is found in memory at
// __LINKEDIT's vmaddr + slide + (offset - its fileoff); every such range is
// checked to lie inside __LINKEDIT, and every load command inside
// sizeofcmds, so a malformed image yields fewer symbols, never a read
// outside the image.
//
// Runs only in unwind_init, outside any handler: allocates freely.
#include "macho_image.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

namespace gort::rt::unw::macho {

namespace {

bool named(const char (&field)[16], const char* want) { return std::strncmp(field, want, sizeof field) == 0; }

template <class T>
T load(const unsigned char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// A 64-bit link-time address or size as this host's uintptr_t (the reader
// also runs, in tests, on 32-bit hosts): false if it does not fit.
bool fits(std::uint64_t v) { return v <= std::uint64_t(~std::uintptr_t(0)); }

struct Linkedit {
  bool found = false;
  std::uint64_t vmaddr = 0, vmsize = 0, fileoff = 0;
  // at: [off, off+n) of the file, in memory, or nullptr if it is not inside
  // __LINKEDIT.
  const unsigned char* at(std::uintptr_t slide, std::uint64_t off, std::uint64_t n) const {
    if (!found || off < fileoff) return nullptr;
    std::uint64_t rel = off - fileoff;
    if (rel > vmsize || n > vmsize - rel || !fits(vmaddr + rel + n)) return nullptr;
    return reinterpret_cast<const unsigned char*>(static_cast<std::uintptr_t>(vmaddr + rel) + slide);
  }
};

struct Entry {
  Symbol s;
  int rank;  // external 0, weak 1, private or local 2: the first wins at an address
};

bool in(const Span* spans, int n, std::uintptr_t a) {
  for (int i = 0; i < n; ++i)
    if (spans[i].holds(a, 1)) return true;
  return false;
}

}  // namespace

bool read_image(const void* header, std::uintptr_t slide, Module* m) {
  const auto* base = static_cast<const unsigned char*>(header);
  if (base == nullptr) return false;
  const auto h = load<Header64>(base);
  if (h.magic != kMagic64) return false;
  m->bias = slide;
  m->phdr = header;

  Span code[kModuleSegs];  // sections holding instructions: symbols and their sizes
  int ncode = 0;
  Linkedit le;
  std::uint64_t text_vmaddr = 0;  // LC_FUNCTION_STARTS counts from __TEXT
  bool have_symtab = false, have_starts = false;
  Symtab st{};
  LinkeditData fs{};

  const unsigned char* p = base + sizeof(Header64);
  std::uint32_t left = h.sizeofcmds;
  for (std::uint32_t i = 0; i < h.ncmds && left >= sizeof(LoadCommand); ++i) {
    const auto lc = load<LoadCommand>(p);
    if (lc.cmdsize < sizeof(LoadCommand) || lc.cmdsize > left) break;
    if (lc.cmd == kLcSegment64 && lc.cmdsize >= sizeof(Segment64)) {
      const auto seg = load<Segment64>(p);
      if (named(seg.segname, "__TEXT")) text_vmaddr = seg.vmaddr;
      if (named(seg.segname, "__LINKEDIT")) le = Linkedit{true, seg.vmaddr, seg.vmsize, seg.fileoff};
      // Mapped and readable (not __PAGEZERO: 4 GiB of nothing).
      if (seg.vmsize != 0 && (seg.initprot & kProtRead) && fits(seg.vmaddr + seg.vmsize)) {
        std::uintptr_t lo = static_cast<std::uintptr_t>(seg.vmaddr) + slide;
        Span s{lo, lo + static_cast<std::uintptr_t>(seg.vmsize)};
        if (m->nsegs < kModuleSegs) m->segs[m->nsegs++] = s;
        if ((seg.initprot & kProtExecute) && m->ntext < kModuleSegs) m->text[m->ntext++] = s;
      }
      std::uint64_t room = (lc.cmdsize - sizeof(Segment64)) / sizeof(Section64);
      for (std::uint32_t k = 0; k < seg.nsects && k < room; ++k) {
        const auto sec = load<Section64>(p + sizeof(Segment64) + k * sizeof(Section64));
        if (!fits(sec.addr + sec.size)) continue;
        std::uintptr_t lo = static_cast<std::uintptr_t>(sec.addr) + slide;
        Span s{lo, lo + static_cast<std::uintptr_t>(sec.size)};
        if (named(sec.segname, "__TEXT") && named(sec.sectname, "__eh_frame")) m->eh_frame = s;
        if (named(sec.segname, "__TEXT") && named(sec.sectname, "__text")) m->text_base = lo;
        if ((sec.flags & (kAttrPureInstructions | kAttrSomeInstructions)) && !s.empty() && ncode < kModuleSegs)
          code[ncode++] = s;
      }
    } else if (lc.cmd == kLcSymtab && lc.cmdsize >= sizeof(Symtab)) {
      st = load<Symtab>(p);
      have_symtab = true;
    } else if (lc.cmd == kLcFunctionStarts && lc.cmdsize >= sizeof(LinkeditData)) {
      fs = load<LinkeditData>(p);
      have_starts = true;
    }
    p += lc.cmdsize;
    left -= lc.cmdsize;
  }
  if (m->ntext == 0) return false;
  if (!m->eh_frame.empty() && m->segment(m->eh_frame.lo, m->eh_frame.hi - m->eh_frame.lo).empty()) m->eh_frame = Span{};
  if (m->text_base == 0) m->text_base = m->text[0].lo;
  // Sections only inside executable segments count as code.
  int keep = 0;
  for (int i = 0; i < ncode; ++i)
    if (in(m->text, m->ntext, code[i].lo)) code[keep++] = code[i];
  ncode = keep;

  // Function starts: LC_FUNCTION_STARTS (every function, stripped ones
  // too: ULEB128 deltas from __TEXT's start, ended by a 0) and the symbols.
  std::vector<std::uintptr_t> starts;
  if (have_starts) {
    if (const unsigned char* d = le.at(slide, fs.dataoff, fs.datasize)) {
      std::uint64_t addr = text_vmaddr;
      std::uint64_t v = 0;
      int shift = 0;
      for (std::uint32_t i = 0; i < fs.datasize && shift < 64; ++i) {
        v |= std::uint64_t(d[i] & 0x7f) << shift;
        shift += 7;
        if (d[i] & 0x80) continue;
        if (v == 0) break;
        addr += v;
        if (fits(addr)) starts.push_back(static_cast<std::uintptr_t>(addr) + slide);
        v = 0;
        shift = 0;
      }
    }
  }
  std::vector<Entry> syms;
  const unsigned char* tab = have_symtab ? le.at(slide, st.symoff, std::uint64_t(st.nsyms) * sizeof(Nlist64)) : nullptr;
  const unsigned char* strs = have_symtab ? le.at(slide, st.stroff, st.strsize) : nullptr;
  // Names must end inside the table (the linker pads it with zeros).
  if (tab != nullptr && strs != nullptr && st.strsize > 0 && strs[st.strsize - 1] == '\0') {
    for (std::uint32_t i = 0; i < st.nsyms; ++i) {
      const auto n = load<Nlist64>(tab + std::size_t(i) * sizeof(Nlist64));
      if ((n.n_type & kNStab) || (n.n_type & kNType) != kNSect) continue;
      if (n.n_strx == 0 || n.n_strx >= st.strsize || !fits(n.n_value)) continue;
      std::uintptr_t addr = static_cast<std::uintptr_t>(n.n_value) + slide;
      if (!in(code, ncode, addr)) continue;
      const char* name = reinterpret_cast<const char*>(strs + n.n_strx);
      if (name[0] == '_') ++name;  // C's prefix on darwin: "_main", "__ZN..."
      if (name[0] == '\0') continue;
      int rank = (n.n_type & kNExt) && !(n.n_type & kNPext) ? ((n.n_desc & kNWeakDef) ? 1 : 0) : 2;
      syms.push_back(Entry{Symbol{addr, 0, name}, rank});
      starts.push_back(addr);
    }
  }
  std::sort(starts.begin(), starts.end());
  starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
  std::sort(syms.begin(), syms.end(), [](const Entry& a, const Entry& b) {
    if (a.s.addr != b.s.addr) return a.s.addr < b.s.addr;
    if (a.rank != b.rank) return a.rank < b.rank;
    return std::strcmp(a.s.name, b.s.name) < 0;
  });
  auto* arr = new Symbol[syms.empty() ? 1 : syms.size()];
  std::size_t k = 0;
  for (const Entry& e : syms) {
    if (k != 0 && arr[k - 1].addr == e.s.addr) continue;  // an alias: the best-ranked name
    // Up to the next function start, inside the symbol's section.
    std::uintptr_t end = 0;
    for (int i = 0; i < ncode; ++i)
      if (code[i].holds(e.s.addr, 1)) end = code[i].hi;
    auto next = std::upper_bound(starts.begin(), starts.end(), e.s.addr);
    if (next != starts.end() && *next < end) end = *next;
    arr[k] = e.s;
    arr[k].size = end - e.s.addr;
    ++k;
  }
  m->funcs = arr;
  m->nfuncs = k;
  return true;
}

}  // namespace gort::rt::unw::macho
