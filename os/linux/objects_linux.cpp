// objects_linux.cpp: the loaded-object hooks of os_objects.hpp for Linux:
// dl_iterate_phdr (glibc and musl, static programs included) and
// /proc/self/exe for the program's own file (map_file: os/posix). Called
// only by unwind_init, outside any signal handler.
#include <link.h>

#include "os_objects.hpp"

namespace gort::os {

namespace {

struct Walk {
  void (*fn)(const LoadedObject&, void*);
  void* arg;
  bool first = true;
};

int each(struct dl_phdr_info* info, std::size_t, void* data) {
  auto* w = static_cast<Walk*>(data);
  LoadedObject o;
  o.name = info->dlpi_name != nullptr ? info->dlpi_name : "";
  // The program comes first with an empty name; the loader's other names
  // are paths, except the vdso's ("linux-vdso.so.1"), which is no file:
  // only absolute paths are opened.
  if (o.name[0] == '\0')
    o.path = w->first ? "/proc/self/exe" : nullptr;
  else
    o.path = o.name[0] == '/' ? o.name : nullptr;
  o.bias = static_cast<std::uintptr_t>(info->dlpi_addr);
  o.phdr = info->dlpi_phdr;
  o.phnum = info->dlpi_phnum;
  w->first = false;
  w->fn(o, w->arg);
  return 0;
}

}  // namespace

void loaded_objects(void (*fn)(const LoadedObject& obj, void* arg), void* arg) {
  Walk w{fn, arg};
  dl_iterate_phdr(&each, &w);
}

}  // namespace gort::os
