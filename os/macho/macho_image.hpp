// macho_image.hpp: the Mach-O half of the unwinder's module table
// (unwind_impl.hpp): what one loaded 64-bit Mach-O image holds, read from
// the image in memory, as dyld mapped it.
//
// The format is declared here (the parts used of <mach-o/loader.h> and
// <mach-o/nlist.h>), as os/elf relies on <elf.h>: so that the reader
// compiles on any host and its tests run on Linux with images built in
// memory (tests/unwind/macho_test.cpp). macho_modules.cpp checks these
// declarations against Apple's headers in every darwin build.
#pragma once

#include <cstddef>
#include <cstdint>

#include "unwind_impl.hpp"

namespace gort::rt::unw::macho {

inline constexpr std::uint32_t kMagic64 = 0xfeedfacf;  // MH_MAGIC_64
inline constexpr std::uint32_t kLcSymtab = 0x2, kLcSegment64 = 0x19, kLcFunctionStarts = 0x26;
inline constexpr std::int32_t kProtRead = 0x1, kProtExecute = 0x4;  // VM_PROT_*
inline constexpr std::uint32_t kAttrPureInstructions = 0x80000000u, kAttrSomeInstructions = 0x400u;
inline constexpr std::uint8_t kNStab = 0xe0, kNPext = 0x10, kNType = 0x0e, kNExt = 0x01, kNSect = 0x0e;
inline constexpr std::uint16_t kNWeakDef = 0x0080;

struct Header64 {  // mach_header_64
  std::uint32_t magic, cputype, cpusubtype, filetype, ncmds, sizeofcmds, flags, reserved;
};
struct LoadCommand {  // load_command
  std::uint32_t cmd, cmdsize;
};
struct Segment64 {  // segment_command_64
  std::uint32_t cmd, cmdsize;
  char segname[16];
  std::uint64_t vmaddr, vmsize, fileoff, filesize;
  std::int32_t maxprot, initprot;
  std::uint32_t nsects, flags;
};
struct Section64 {  // section_64
  char sectname[16];
  char segname[16];
  std::uint64_t addr, size;
  std::uint32_t offset, align, reloff, nreloc, flags, reserved1, reserved2, reserved3;
};
struct Symtab {  // symtab_command
  std::uint32_t cmd, cmdsize, symoff, nsyms, stroff, strsize;
};
struct LinkeditData {  // linkedit_data_command (LC_FUNCTION_STARTS)
  std::uint32_t cmd, cmdsize, dataoff, datasize;
};
struct Nlist64 {  // nlist_64
  std::uint32_t n_strx;
  std::uint8_t n_type, n_sect;
  std::uint16_t n_desc;
  std::uint64_t n_value;
};
static_assert(sizeof(Header64) == 32 && sizeof(LoadCommand) == 8 && sizeof(Segment64) == 72 &&
                  sizeof(Section64) == 80 && sizeof(Symtab) == 24 && sizeof(LinkeditData) == 16 &&
                  sizeof(Nlist64) == 16,
              "the Mach-O structures' sizes (mach-o/loader.h, mach-o/nlist.h)");

// read_image: fill m (all but the strategy's lookup) from the 64-bit Mach-O
// image whose mach_header_64 is at header, loaded slide bytes above its
// link-time addresses (dyld's "vmaddr slide"): the readable segments (every
// table read stays inside them), the executable ones, __TEXT,__eh_frame,
// __TEXT,__text (the textrel base), and the functions of LC_SYMTAB, each
// sized up to the next function start (LC_FUNCTION_STARTS or the next
// symbol; Mach-O symbols carry no size), names without the leading '_' of
// C symbols, so that they read as on ELF. The names point into the image's
// __LINKEDIT: no copy. false if header is no 64-bit Mach-O image or it has
// no executable segment. unwind_init only (allocates).
bool read_image(const void* header, std::uintptr_t slide, Module* m);

}  // namespace gort::rt::unw::macho
