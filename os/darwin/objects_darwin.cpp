// objects_darwin.cpp: the loaded-object hooks of os_objects.hpp for
// darwin: dyld's image list. A LoadedObject's phdr is the image's
// mach_header (os/macho/macho_modules.cpp reads it), its bias dyld's
// vmaddr slide, its path the name dyld gives (the shared cache's images
// have no file on disk since macOS 11: the Mach-O reader reads every image
// from memory and never maps its file; map_file: os/posix). Called only
// by unwind_init, outside any signal handler.
#include <mach-o/dyld.h>
#include <mach-o/loader.h>

#include <cstdint>

#include "os_objects.hpp"

namespace gort::os {

namespace {

bool is_program(const mach_header* h) { return h != nullptr && h->filetype == MH_EXECUTE; }

void report(std::uint32_t i, bool program, void (*fn)(const LoadedObject&, void*), void* arg) {
  // dyld's list may change under us (dlopen and dlclose on other
  // threads): an index past its end gives no header, and is skipped.
  const mach_header* h = _dyld_get_image_header(i);
  if (h == nullptr || h->magic != MH_MAGIC_64) return;
  LoadedObject o;
  const char* name = _dyld_get_image_name(i);
  o.name = program || name == nullptr ? "" : name;  // the program is "" (as on ELF)
  o.path = name;
  o.bias = static_cast<std::uintptr_t>(_dyld_get_image_vmaddr_slide(i));
  o.phdr = h;
  o.phnum = 0;
  fn(o, arg);
}

}  // namespace

void loaded_objects(void (*fn)(const LoadedObject& obj, void* arg), void* arg) {
  // The program first (the unwinder's contract): dyld lists it first in
  // practice, but says nothing; find it by its file type.
  std::uint32_t n = _dyld_image_count(), prog = n;
  for (std::uint32_t i = 0; i < n && prog == n; ++i)
    if (is_program(_dyld_get_image_header(i))) prog = i;
  if (prog != n) report(prog, true, fn, arg);
  for (std::uint32_t i = 0; i < n; ++i)
    if (i != prog) report(i, false, fn, arg);
}

}  // namespace gort::os
