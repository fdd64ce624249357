// macho_modules.cpp: module_load for Mach-O systems (unwind_impl.hpp): the
// object-format reader of darwin's unwinder. The OS part, dyld's list of
// images, is os/darwin/objects_darwin.cpp (os_objects.hpp: a
// LoadedObject's phdr is the image's mach_header, its bias dyld's slide);
// the parser is macho_image.cpp, kept apart so that tests run it on any
// host.
//
// What the unwinder gets from a Mach-O image: its segments and symbols.
// It walks frames by frame pointers on darwin (core/unwind_fp.cpp says
// why), so __eh_frame is recorded but not indexed.
//
// Runs only in unwind_init, outside any handler.
#include "macho_image.hpp"

#if __has_include(<mach-o/loader.h>)
#include <mach-o/loader.h>
#include <mach-o/nlist.h>

#include <cstddef>

// macho_image.hpp declares the format itself: check it against Apple's.
namespace gort::rt::unw::macho {
static_assert(kMagic64 == MH_MAGIC_64 && kLcSymtab == LC_SYMTAB && kLcSegment64 == LC_SEGMENT_64 &&
              kLcFunctionStarts == LC_FUNCTION_STARTS);
static_assert(kProtRead == VM_PROT_READ && kProtExecute == VM_PROT_EXECUTE);
static_assert(kAttrPureInstructions == S_ATTR_PURE_INSTRUCTIONS && kAttrSomeInstructions == S_ATTR_SOME_INSTRUCTIONS);
static_assert(kNStab == N_STAB && kNPext == N_PEXT && kNType == N_TYPE && kNExt == N_EXT && kNSect == N_SECT &&
              kNWeakDef == N_WEAK_DEF);
static_assert(sizeof(Header64) == sizeof(mach_header_64) && sizeof(Segment64) == sizeof(segment_command_64) &&
              sizeof(Section64) == sizeof(section_64) && sizeof(Symtab) == sizeof(symtab_command) &&
              sizeof(LinkeditData) == sizeof(linkedit_data_command) && sizeof(Nlist64) == sizeof(nlist_64));
#define GORT_MACHO_AT(ours, theirs, f) static_assert(offsetof(ours, f) == offsetof(theirs, f), #theirs "." #f)
GORT_MACHO_AT(Header64, mach_header_64, ncmds);
GORT_MACHO_AT(Header64, mach_header_64, sizeofcmds);
GORT_MACHO_AT(Segment64, segment_command_64, segname);
GORT_MACHO_AT(Segment64, segment_command_64, vmaddr);
GORT_MACHO_AT(Segment64, segment_command_64, vmsize);
GORT_MACHO_AT(Segment64, segment_command_64, fileoff);
GORT_MACHO_AT(Segment64, segment_command_64, initprot);
GORT_MACHO_AT(Segment64, segment_command_64, nsects);
GORT_MACHO_AT(Section64, section_64, segname);
GORT_MACHO_AT(Section64, section_64, addr);
GORT_MACHO_AT(Section64, section_64, size);
GORT_MACHO_AT(Section64, section_64, flags);
GORT_MACHO_AT(Symtab, symtab_command, symoff);
GORT_MACHO_AT(Symtab, symtab_command, strsize);
GORT_MACHO_AT(LinkeditData, linkedit_data_command, dataoff);
static_assert(offsetof(Nlist64, n_strx) == offsetof(nlist_64, n_un), "nlist_64.n_un");
GORT_MACHO_AT(Nlist64, nlist_64, n_type);
GORT_MACHO_AT(Nlist64, nlist_64, n_sect);
GORT_MACHO_AT(Nlist64, nlist_64, n_desc);
GORT_MACHO_AT(Nlist64, nlist_64, n_value);
#undef GORT_MACHO_AT
}  // namespace gort::rt::unw::macho
#endif

namespace gort::rt::unw {

bool module_load(const os::LoadedObject& obj, Module* m) { return macho::read_image(obj.phdr, obj.bias, m); }

}  // namespace gort::rt::unw
