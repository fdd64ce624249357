// elf_modules.cpp: module_load for ELF systems (unwind_impl.hpp): what the
// unwinder needs to know of one loaded ELF object. Not Linux-specific
// (solaris and the BSDs are ELF too): the OS part, listing the objects and
// mapping a file, is behind os_objects.hpp.
//
// From the program headers in memory: the loaded segments (every read of
// an unwind table stays inside them), the executable ones, PT_GNU_EH_FRAME
// and PT_ARM_EXIDX. From the file (mapped read-only, never unmapped: its
// string table backs the symbol names): .symtab/.strtab, or .dynsym/.dynstr
// in a stripped object; .eh_frame, for objects linked without
// .eh_frame_hdr (static programs); .text, the base of DW_EH_PE_textrel. An
// object with no file (the vdso) is read from memory when its first
// segment maps the whole image, section headers included.
//
// Runs only in unwind_init, outside any handler: allocates freely.
#include <elf.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "unwind_impl.hpp"

namespace gort::rt::unw {

namespace {

#if GORT_PTRSIZE == 8
using Ehdr = Elf64_Ehdr;
using Phdr = Elf64_Phdr;
using Shdr = Elf64_Shdr;
using Sym = Elf64_Sym;
using Dyn = Elf64_Dyn;
constexpr unsigned char kClass = ELFCLASS64;
inline unsigned char st_type(unsigned char info) { return ELF64_ST_TYPE(info); }
inline unsigned char st_bind(unsigned char info) { return ELF64_ST_BIND(info); }
#else
using Ehdr = Elf32_Ehdr;
using Phdr = Elf32_Phdr;
using Shdr = Elf32_Shdr;
using Sym = Elf32_Sym;
using Dyn = Elf32_Dyn;
constexpr unsigned char kClass = ELFCLASS32;
inline unsigned char st_type(unsigned char info) { return ELF32_ST_TYPE(info); }
inline unsigned char st_bind(unsigned char info) { return ELF32_ST_BIND(info); }
#endif

#ifndef PT_GNU_EH_FRAME
#define PT_GNU_EH_FRAME 0x6474e550
#endif
#ifndef PT_ARM_EXIDX
#define PT_ARM_EXIDX 0x70000001
#endif
#ifndef STT_GNU_IFUNC
#define STT_GNU_IFUNC 10
#endif

// Image: an ELF file's bytes (mapped file, or the object in memory).
struct Image {
  const unsigned char* p = nullptr;
  std::size_t size = 0;
  bool holds(std::uint64_t off, std::uint64_t n) const { return off <= size && n <= size - off; }
  template <class T>
  const T* at(std::uint64_t off) const {
    return reinterpret_cast<const T*>(p + off);
  }
};

bool valid_ehdr(const Image& im) {
  if (!im.holds(0, sizeof(Ehdr))) return false;
  const Ehdr* eh = im.at<Ehdr>(0);
  return std::memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_ident[EI_CLASS] == kClass &&
         eh->e_shentsize == sizeof(Shdr) && im.holds(eh->e_shoff, std::uint64_t(eh->e_shnum) * sizeof(Shdr));
}

// same_loads: the file's PT_LOAD segments are the ones in memory (the file
// on disk was not replaced since it was loaded).
bool same_loads(const Image& im, const Phdr* ph, int phnum) {
  const Ehdr* eh = im.at<Ehdr>(0);
  if (eh->e_phentsize != sizeof(Phdr) || !im.holds(eh->e_phoff, std::uint64_t(eh->e_phnum) * sizeof(Phdr)))
    return false;
  const Phdr* fph = im.at<Phdr>(eh->e_phoff);
  int a = 0, b = 0;
  for (;;) {
    while (a < eh->e_phnum && fph[a].p_type != PT_LOAD) ++a;
    while (b < phnum && ph[b].p_type != PT_LOAD) ++b;
    if (a == eh->e_phnum || b == phnum) return a == eh->e_phnum && b == phnum;
    if (fph[a].p_vaddr != ph[b].p_vaddr || fph[a].p_memsz != ph[b].p_memsz) return false;
    ++a, ++b;
  }
}

bool in_text(const Module& m, std::uintptr_t a) {
  for (int i = 0; i < m.ntext; ++i)
    if (m.text[i].holds(a, 1)) return true;
  return false;
}

struct Entry {
  Symbol s;
  int rank;  // binding: global 0, weak 1, local 2 (the first one wins at an address)
};

// read_symbols: functions and text labels of one symbol table.
void read_symbols(const Image& im, const Shdr& symtab, const Shdr& strtab, bool thumb_bit, Module* m) {
  if (symtab.sh_entsize != sizeof(Sym) || !im.holds(symtab.sh_offset, symtab.sh_size) ||
      !im.holds(strtab.sh_offset, strtab.sh_size) || strtab.sh_size == 0)
    return;
  const Sym* syms = im.at<Sym>(symtab.sh_offset);
  std::size_t n = symtab.sh_size / sizeof(Sym);
  const char* strs = im.at<char>(strtab.sh_offset);
  if (strs[strtab.sh_size - 1] != '\0') return;  // names must end inside the table
  std::vector<Entry> funcs, labels;
  for (std::size_t i = 0; i < n; ++i) {
    const Sym& s = syms[i];
    unsigned char type = st_type(s.st_info);
    if (s.st_shndx == SHN_UNDEF || s.st_shndx == SHN_ABS || s.st_name == 0 || s.st_name >= strtab.sh_size) continue;
    if (type != STT_FUNC && type != STT_GNU_IFUNC && type != STT_NOTYPE) continue;
    const char* name = strs + s.st_name;
    // Mapping symbols ($a, $t, $d, $x) and assembler locals are no names.
    if (name[0] == '$' || (name[0] == '.' && name[1] == 'L')) continue;
    std::uintptr_t addr = static_cast<std::uintptr_t>(s.st_value) + m->bias;
    if (thumb_bit && type == STT_FUNC) addr &= ~std::uintptr_t(1);  // ELF for ARM: bit 0 marks Thumb code
    if (!in_text(*m, addr)) continue;
    unsigned char bind = st_bind(s.st_info);
    int rank = bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2;
    Entry e{Symbol{addr, static_cast<std::uintptr_t>(s.st_size), name}, rank};
    (s.st_size != 0 ? funcs : labels).push_back(e);
  }
  auto publish = [](std::vector<Entry>& v, const Symbol** out, std::size_t* nout) {
    std::sort(v.begin(), v.end(), [](const Entry& a, const Entry& b) {
      if (a.s.addr != b.s.addr) return a.s.addr < b.s.addr;
      if (a.rank != b.rank) return a.rank < b.rank;
      return std::strcmp(a.s.name, b.s.name) < 0;
    });
    auto* arr = new Symbol[v.empty() ? 1 : v.size()];
    std::size_t k = 0;
    for (std::size_t i = 0; i < v.size(); ++i)
      if (k == 0 || arr[k - 1].addr != v[i].s.addr) arr[k++] = v[i].s;
    *out = arr;
    *nout = k;
  };
  publish(funcs, &m->funcs, &m->nfuncs);
  publish(labels, &m->labels, &m->nlabels);
}

// read_sections: symbols, .eh_frame and .text from the section headers.
void read_sections(const Image& im, Module* m) {
  const Ehdr* eh = im.at<Ehdr>(0);
  const Shdr* sh = im.at<Shdr>(eh->e_shoff);
  const int n = eh->e_shnum;
  const char* shstr = nullptr;
  std::uint64_t shstr_size = 0;
  if (eh->e_shstrndx < n && im.holds(sh[eh->e_shstrndx].sh_offset, sh[eh->e_shstrndx].sh_size)) {
    shstr = im.at<char>(sh[eh->e_shstrndx].sh_offset);
    shstr_size = sh[eh->e_shstrndx].sh_size;
  }
  auto named = [&](const Shdr& s, const char* want) {
    std::size_t len = std::strlen(want);
    return shstr != nullptr && s.sh_name < shstr_size && shstr_size - s.sh_name > len &&
           std::memcmp(shstr + s.sh_name, want, len + 1) == 0;
  };
  int symtab = -1, dynsym = -1;
  for (int i = 0; i < n; ++i) {
    if (sh[i].sh_type == SHT_SYMTAB && symtab < 0) symtab = i;
    if (sh[i].sh_type == SHT_DYNSYM && dynsym < 0) dynsym = i;
    std::uintptr_t addr = static_cast<std::uintptr_t>(sh[i].sh_addr) + m->bias;
    if (named(sh[i], ".eh_frame") && sh[i].sh_addr != 0) {
      Span s{addr, addr + static_cast<std::uintptr_t>(sh[i].sh_size)};
      if (!m->segment(s.lo, s.hi - s.lo).empty()) m->eh_frame = s;
    }
    if (named(sh[i], ".text") && sh[i].sh_addr != 0) m->text_base = addr;
  }
  bool thumb = eh->e_machine == EM_ARM;
  int use = symtab >= 0 ? symtab : dynsym;
  if (use >= 0 && sh[use].sh_link < static_cast<unsigned>(n)) read_symbols(im, sh[use], sh[sh[use].sh_link], thumb, m);
}

}  // namespace

bool module_load(const os::LoadedObject& obj, Module* m) {
  const auto* ph = static_cast<const Phdr*>(obj.phdr);
  if (ph == nullptr || obj.phnum <= 0) return false;
  m->bias = obj.bias;
  m->phdr = obj.phdr;
  const Phdr* whole = nullptr;  // a segment mapping the image from offset 0
  const Dyn* dyn = nullptr;
  for (int i = 0; i < obj.phnum; ++i) {
    const Phdr& p = ph[i];
    std::uintptr_t lo = static_cast<std::uintptr_t>(p.p_vaddr) + obj.bias;
    Span s{lo, lo + static_cast<std::uintptr_t>(p.p_memsz)};
    if (p.p_type == PT_LOAD && !s.empty() && m->nsegs < kModuleSegs) {
      m->segs[m->nsegs++] = s;
      if ((p.p_flags & PF_X) && m->ntext < kModuleSegs) m->text[m->ntext++] = s;
      if (p.p_offset == 0 && whole == nullptr) whole = &p;
    } else if (p.p_type == PT_GNU_EH_FRAME) {
      m->eh_frame_hdr = s;
    } else if (p.p_type == PT_ARM_EXIDX) {
      m->exidx = s;
    } else if (p.p_type == PT_DYNAMIC) {
      dyn = reinterpret_cast<const Dyn*>(lo);
    }
  }
  if (m->ntext == 0) return false;
  for (Span* s : {&m->eh_frame_hdr, &m->exidx})
    if (!s->empty() && m->segment(s->lo, s->hi - s->lo).empty()) *s = Span{};
  // DW_EH_PE_datarel's base: the GOT (DT_PLTGOT). Some loaders relocate
  // the dynamic section in place, some (a read-only one: RISC-V, MIPS) do
  // not: take whichever lies in the object.
  if (dyn != nullptr && !m->segment(reinterpret_cast<std::uintptr_t>(dyn), sizeof(Dyn)).empty()) {
    for (const Dyn* d = dyn; d->d_tag != DT_NULL && !m->segment(reinterpret_cast<std::uintptr_t>(d), sizeof *d).empty();
         ++d) {
      if (d->d_tag != DT_PLTGOT) continue;
      auto v = static_cast<std::uintptr_t>(d->d_un.d_ptr);
      if (!m->segment(v, 1).empty())
        m->data_base = v;
      else if (!m->segment(v + obj.bias, 1).empty())
        m->data_base = v + obj.bias;
      break;
    }
  }
  Image im;
  const void* base = nullptr;
  std::size_t size = 0;
  if (obj.path != nullptr && os::map_file(obj.path, &base, &size)) {
    im = Image{static_cast<const unsigned char*>(base), size};
    if (!valid_ehdr(im) || !same_loads(im, ph, obj.phnum)) im = Image{};
  }
  if (im.p == nullptr && whole != nullptr) {
    // No file (the vdso): the image in memory, if it holds its section headers.
    Image mem{reinterpret_cast<const unsigned char*>(static_cast<std::uintptr_t>(whole->p_vaddr) + obj.bias),
              static_cast<std::size_t>(whole->p_filesz)};
    if (valid_ehdr(mem)) im = mem;
  }
  if (im.p != nullptr) read_sections(im, m);
  if (m->text_base == 0) m->text_base = m->text[0].lo;
  return true;
}

}  // namespace gort::rt::unw
