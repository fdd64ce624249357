// The Mach-O reader of darwin's unwinder (os/macho/macho_image.cpp), run
// on any host: Mach-O images laid out in memory as dyld maps them (load
// commands in __TEXT, symbols and strings in __LINKEDIT), with a slide.
// What it must get right: readable segments only (not __PAGEZERO), the
// executable ones, __eh_frame and __text, functions from LC_SYMTAB sized up
// to the next start (LC_FUNCTION_STARTS included), names without C's '_',
// the best-ranked alias; and for a malformed image, fewer symbols, never a
// read outside the image (the last page of each image here is followed by
// an inaccessible one).
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "macho_image.hpp"

namespace gort::test {
namespace {

namespace mo = rt::unw::macho;
using rt::unw::Module;

// A module read here owns the arrays read_image made (the runtime keeps
// its modules for the life of the process; a test's go at its end).
struct OwnedModule : Module {
  OwnedModule() = default;
  OwnedModule(const OwnedModule&) = delete;
  OwnedModule& operator=(const OwnedModule&) = delete;
  ~OwnedModule() {
    delete[] funcs;
    delete[] labels;
  }
};

// Link-time layout: __PAGEZERO [0, kBase), __TEXT at kBase (one page:
// header, load commands, __text at +0x400, __eh_frame at +0x500),
// __LINKEDIT at kBase + page (file offset kLinkOff): the symbol table at
// +0, strings at +0x200, function starts at +0x300. kBase fits 32 bits,
// so 32-bit hosts run this too.
constexpr std::uint64_t kBase = 0x100000;
constexpr std::uint64_t kLinkOff = 0x8000;  // __LINKEDIT's file offset

struct Image {
  std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  unsigned char* mem = nullptr;  // __TEXT page, __LINKEDIT page, a guard page
  std::uintptr_t slide = 0;
  // What to build (tests change these before build()).
  std::uint32_t symoff_rel = 0, stroff_rel = 0x200, starts_rel = 0x300;
  std::uint32_t nsyms_extra = 0;       // claim more symbols than written
  bool nul_terminated_strings = true;
  std::uint32_t magic = mo::kMagic64;
  std::uint32_t sizeofcmds_cut = 0;    // bytes taken off sizeofcmds
  std::uint32_t nsects_extra = 0;      // claim more sections than the command holds

  Image() {
    mem = static_cast<unsigned char*>(
        mmap(nullptr, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    mprotect(mem + 2 * page, page, PROT_NONE);
    slide = reinterpret_cast<std::uintptr_t>(mem) - static_cast<std::uintptr_t>(kBase);
  }
  ~Image() { munmap(mem, 3 * page); }
  std::uintptr_t at(std::uint64_t vmaddr) const { return static_cast<std::uintptr_t>(vmaddr) + slide; }

  template <class T>
  void put(std::size_t off, const T& v) {
    std::memcpy(mem + off, &v, sizeof v);
  }

  void build() {
    std::memset(mem, 0, 2 * page);
    const std::uint64_t le_vm = kBase + page;
    std::size_t off = sizeof(mo::Header64);
    std::uint32_t ncmds = 0;
    auto segment = [&](const char* name, std::uint64_t vmaddr, std::uint64_t vmsize, std::uint64_t fileoff,
                       std::int32_t prot, std::vector<mo::Section64> sects) {
      mo::Segment64 s{};
      s.cmd = mo::kLcSegment64;
      s.cmdsize = static_cast<std::uint32_t>(sizeof s + sects.size() * sizeof(mo::Section64));
      std::strncpy(s.segname, name, sizeof s.segname);
      s.vmaddr = vmaddr;
      s.vmsize = vmsize;
      s.fileoff = fileoff;
      s.filesize = vmsize;
      s.maxprot = s.initprot = prot;
      s.nsects = static_cast<std::uint32_t>(sects.size()) + (sects.empty() ? 0 : nsects_extra);
      put(off, s);
      off += sizeof s;
      for (const auto& x : sects) {
        put(off, x);
        off += sizeof x;
      }
      ++ncmds;
    };
    auto section = [](const char* seg, const char* name, std::uint64_t addr, std::uint64_t size,
                      std::uint32_t flags) {
      mo::Section64 x{};
      std::strncpy(x.segname, seg, sizeof x.segname);
      std::strncpy(x.sectname, name, sizeof x.sectname);
      x.addr = addr;
      x.size = size;
      x.flags = flags;
      return x;
    };
    segment("__PAGEZERO", 0, kBase, 0, 0, {});
    segment("__TEXT", kBase, page, 0, mo::kProtRead | mo::kProtExecute,
            {section("__TEXT", "__text", kBase + 0x400, 0x100,
                     mo::kAttrPureInstructions | mo::kAttrSomeInstructions),
             section("__TEXT", "__eh_frame", kBase + 0x500, 0x40, 0)});
    segment("__LINKEDIT", le_vm, page, kLinkOff, mo::kProtRead, {});

    // Strings: offset 0 is the empty name, as linkers write it.
    std::string strs(1, '\0');
    auto str = [&](const char* s) {
      auto at = static_cast<std::uint32_t>(strs.size());
      strs += s;
      strs += '\0';
      return at;
    };
    std::vector<mo::Nlist64> syms;
    auto sym = [&](const char* name, std::uint8_t type, std::uint8_t sect, std::uint64_t value,
                   std::uint16_t desc = 0) {
      mo::Nlist64 n{};
      n.n_strx = str(name);
      n.n_type = type;
      n.n_sect = sect;
      n.n_desc = desc;
      n.n_value = value;
      syms.push_back(n);
    };
    const std::uint8_t ext = mo::kNSect | mo::kNExt, local = mo::kNSect;
    sym("_alpha_local_alias", local, 1, kBase + 0x400);  // loses to the external name
    sym("_alpha", ext, 1, kBase + 0x400);
    sym("__ZN4gort4betaEv", ext, 1, kBase + 0x420);  // C++: "_ZN..." after the '_'
    sym("_beta_weak", ext, 1, kBase + 0x420, mo::kNWeakDef);
    sym("_gamma", local, 1, kBase + 0x480);
    sym("_stab_fun", 0x24 /* N_FUN */, 1, kBase + 0x440);  // debugging entry: no symbol
    sym("_printf", mo::kNExt /* N_UNDF */, 0, 0);          // undefined: no symbol
    sym("_frame_data", local, 2, kBase + 0x500);           // not code: no symbol
    // Mapping beyond this sentinel would fault (the guard page).
    if (!nul_terminated_strings) strs.back() = 'x';

    mo::Symtab st{};
    st.cmd = mo::kLcSymtab;
    st.cmdsize = sizeof st;
    st.symoff = static_cast<std::uint32_t>(kLinkOff) + symoff_rel;
    st.nsyms = static_cast<std::uint32_t>(syms.size()) + nsyms_extra;
    st.stroff = static_cast<std::uint32_t>(kLinkOff) + stroff_rel;
    st.strsize = static_cast<std::uint32_t>(strs.size());
    put(off, st);
    off += sizeof st;
    ++ncmds;

    // Function starts, ULEB128 deltas from __TEXT: 0x400, 0x420, 0x460 (a
    // function with no symbol), 0x480, then the end.
    const unsigned char starts[] = {0x80, 0x08, 0x20, 0x40, 0x20, 0x00};
    mo::LinkeditData fs{};
    fs.cmd = mo::kLcFunctionStarts;
    fs.cmdsize = sizeof fs;
    fs.dataoff = static_cast<std::uint32_t>(kLinkOff) + starts_rel;
    fs.datasize = sizeof starts;
    put(off, fs);
    off += sizeof fs;
    ++ncmds;

    mo::Header64 h{};
    h.magic = magic;
    h.filetype = 2;  // MH_EXECUTE
    h.ncmds = ncmds;
    h.sizeofcmds = static_cast<std::uint32_t>(off - sizeof h) - sizeofcmds_cut;
    put(0, h);

    unsigned char* le = mem + page;
    if (symoff_rel + syms.size() * sizeof(mo::Nlist64) <= page)
      std::memcpy(le + symoff_rel, syms.data(), syms.size() * sizeof(mo::Nlist64));
    if (stroff_rel + strs.size() <= page) std::memcpy(le + stroff_rel, strs.data(), strs.size());
    std::memcpy(le + starts_rel, starts, sizeof starts);
  }

  bool read(Module* m) { return mo::read_image(mem, slide, m); }
};

std::vector<std::string> names(const Module& m) {
  std::vector<std::string> v;
  for (std::size_t i = 0; i < m.nfuncs; ++i) v.push_back(m.funcs[i].name);
  return v;
}

TEST(MachO, SegmentsSectionsAndSizedSymbols) {
  Image im;
  im.build();
  OwnedModule m;
  ASSERT_TRUE(im.read(&m));
  EXPECT_EQ(m.bias, im.slide);
  EXPECT_EQ(m.phdr, static_cast<const void*>(im.mem));
  // __TEXT and __LINKEDIT; not __PAGEZERO (no access).
  ASSERT_EQ(m.nsegs, 2);
  EXPECT_EQ(m.segs[0].lo, im.at(kBase));
  EXPECT_EQ(m.segs[0].hi, im.at(kBase) + im.page);
  EXPECT_EQ(m.segs[1].lo, im.at(kBase) + im.page);
  ASSERT_EQ(m.ntext, 1);
  EXPECT_EQ(m.text[0].lo, im.at(kBase));
  EXPECT_EQ(m.text_base, im.at(kBase + 0x400));
  EXPECT_EQ(m.eh_frame.lo, im.at(kBase + 0x500));
  EXPECT_EQ(m.eh_frame.hi, im.at(kBase + 0x540));

  ASSERT_EQ(names(m), (std::vector<std::string>{"alpha", "_ZN4gort4betaEv", "gamma"}));
  EXPECT_EQ(m.funcs[0].addr, im.at(kBase + 0x400));
  EXPECT_EQ(m.funcs[0].size, 0x20u);  // up to beta
  EXPECT_EQ(m.funcs[1].addr, im.at(kBase + 0x420));
  EXPECT_EQ(m.funcs[1].size, 0x40u);  // up to the unnamed function at 0x460 (LC_FUNCTION_STARTS)
  EXPECT_EQ(m.funcs[2].addr, im.at(kBase + 0x480));
  EXPECT_EQ(m.funcs[2].size, 0x80u);  // up to the end of __text
  EXPECT_EQ(m.nlabels, 0u);
}

TEST(MachO, NotAMachOImage) {
  Image im;
  im.magic = 0xfeedface;  // 32-bit Mach-O
  im.build();
  OwnedModule m;
  EXPECT_FALSE(im.read(&m));
  EXPECT_FALSE(mo::read_image(nullptr, 0, &m));
}

TEST(MachO, LoadCommandsAreReadOnlyInsideSizeofcmds) {
  // sizeofcmds ends inside LC_FUNCTION_STARTS: it and what follows are not
  // read; the symbols are still there, sized by the next symbol.
  Image im;
  im.sizeofcmds_cut = 8;
  im.build();
  OwnedModule m;
  ASSERT_TRUE(im.read(&m));
  ASSERT_EQ(names(m), (std::vector<std::string>{"alpha", "_ZN4gort4betaEv", "gamma"}));
  EXPECT_EQ(m.funcs[1].size, 0x60u);  // no function start at 0x460 now: up to gamma
}

TEST(MachO, SectionsAreReadOnlyInsideTheirCommand) {
  // __TEXT claims sections beyond its cmdsize: they are not read (the next
  // command would be read as one).
  Image im;
  im.nsects_extra = 3;
  im.build();
  OwnedModule m;
  ASSERT_TRUE(im.read(&m));
  EXPECT_EQ(m.text_base, im.at(kBase + 0x400));
  EXPECT_EQ(names(m).size(), 3u);
}

TEST(MachO, ATableOutsideLinkeditIsNotRead) {
  // The symbol table would run past __LINKEDIT into the guard page: no
  // symbols, no fault.
  Image im;
  im.symoff_rel = static_cast<std::uint32_t>(im.page) - 2 * sizeof(mo::Nlist64);
  im.stroff_rel = 0x200;
  im.build();
  OwnedModule m;
  ASSERT_TRUE(im.read(&m));
  EXPECT_EQ(m.nfuncs, 0u);
  // So would one that claims more entries than __LINKEDIT holds.
  Image im2;
  im2.nsyms_extra = static_cast<std::uint32_t>(im2.page / sizeof(mo::Nlist64));
  im2.build();
  OwnedModule m2;
  ASSERT_TRUE(im2.read(&m2));
  EXPECT_EQ(m2.nfuncs, 0u);
}

TEST(MachO, StringsMustEndInsideTheirTable) {
  Image im;
  im.nul_terminated_strings = false;
  im.build();
  OwnedModule m;
  ASSERT_TRUE(im.read(&m));
  EXPECT_EQ(m.nfuncs, 0u);
  EXPECT_EQ(m.ntext, 1);  // the segments are still known
}

}  // namespace
}  // namespace gort::test
