// os_objects.hpp: the OS hooks behind the unwinder's table of loaded objects
// (core/unwind.cpp, read by the object format's reader, e.g.
// os/elf/elf_modules.cpp). Both run only in unwind_init, outside any signal
// handler; nothing here is called from a handler.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gort::os {

// LoadedObject: one object mapped in the process (the program, a shared
// library, the vdso) as the dynamic loader reports it.
struct LoadedObject {
  const char* name = "";        // the loader's name ("" for the program)
  const char* path = nullptr;   // a file holding the object (its symbols), or nullptr
  std::uintptr_t bias = 0;      // runtime address = address in the file + bias
  const void* phdr = nullptr;   // its program headers, in memory
  int phnum = 0;
};

// loaded_objects: call fn(obj, arg) for every loaded object, the program
// first. May lock (the loader's lock) and allocate; not in a handler.
void loaded_objects(void (*fn)(const LoadedObject& obj, void* arg), void* arg);

// map_file: map the whole file at path read-only (private) and never unmap
// it; false if it cannot be opened or mapped. Not in a handler.
bool map_file(const char* path, const void** base, std::size_t* size);

}  // namespace gort::os
