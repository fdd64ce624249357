// objects_solaris.cpp: the loaded-object hooks of os_objects.hpp for
// illumos and Solaris: the runtime linker's dl_iterate_phdr(3C) (the same
// record as glibc's, LP64 layout in defs_solaris.hpp) and
// /proc/self/object/a.out for the program's own file (proc(5): the
// executable, whatever path it was run by). The objects are ELF: the
// reader is os/elf/elf_modules.cpp, shared with Linux. Called only by
// unwind_init, outside any signal handler.
#include "defs_solaris.hpp"
#include "os_objects.hpp"

namespace gort::os {

using namespace sol;

namespace {

struct Walk {
  void (*fn)(const LoadedObject&, void*);
  void* arg;
  bool first = true;
};

int each(DlPhdrInfo* info, std::size_t, void* data) {
  auto* w = static_cast<Walk*>(data);
  LoadedObject o;
  // The base link-map list starts with the program; the others' names are
  // the paths the runtime linker opened.
  const char* name = info->dlpi_name != nullptr ? info->dlpi_name : "";
  o.name = w->first ? "" : name;
  o.path = w->first ? "/proc/self/object/a.out" : (name[0] == '/' ? name : nullptr);
  o.bias = info->dlpi_addr;
  o.phdr = info->dlpi_phdr;
  o.phnum = info->dlpi_phnum;
  w->first = false;
  w->fn(o, w->arg);
  return 0;
}

}  // namespace

void loaded_objects(void (*fn)(const LoadedObject& obj, void* arg), void* arg) {
  Walk w{fn, arg};
  sys_dl_iterate_phdr(&each, &w);
}

bool map_file(const char* path, const void** base, std::size_t* size) {
  int fd = sys_open(path, kO_RDONLY | kO_CLOEXEC);
  if (fd < 0) return false;
  long end = sys_lseek(fd, 0, kSEEK_END);
  void* p = end > 0 ? sys_mmap(nullptr, static_cast<std::size_t>(end), kPROT_READ, kMAP_PRIVATE, fd, 0)
                    : reinterpret_cast<void*>(kMAP_FAILED);
  sys_close(fd);
  if (reinterpret_cast<std::intptr_t>(p) == kMAP_FAILED) return false;
  *base = p;
  *size = static_cast<std::size_t>(end);
  return true;
}

}  // namespace gort::os
